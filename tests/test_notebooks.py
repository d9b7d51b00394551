"""The notebooks run top to bottom on the built-in data and show what they say they show."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))

#: Text each notebook's outputs must contain: a result a reader can check, not just "it ran".
EXPECTED = {
    "01_quickstart": ["'counties': 157", "EPSG", "4547", "郑州"],  # layer counts, the CRS, a park table
    "02_accessibility": ["area_km2", "min_to_airport", "mean"],
    "03_dian_dai_wang": ["breaks", "国家级", "产业带", "建议", "gain_gravity_pct"],
    "04_your_own_data": ["GB18030", "EPSG:4490", "NoCRSError", "UnexpectedCRSError", "EPSG:4526", "park_id", "shp"],
}

pytestmark = pytest.mark.slow  # each notebook is a whole session in a kernel


def _output_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            for key in ("text/plain", "text/html"):
                parts.append(str(out.get("data", {}).get(key, "")))
    return "\n".join(parts)


def test_every_notebook_has_expectations():
    assert {p.stem for p in NOTEBOOKS} == set(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_shows_its_results(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors[:1]
    text = _output_text(nb)
    for expected in EXPECTED[path.stem]:
        assert expected in text, (path.stem, expected)
