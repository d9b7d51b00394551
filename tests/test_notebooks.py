"""The notebooks run top to bottom on the built-in data, show what they say they show, and are committed with
the outputs of their current code (``make notebooks`` runs them in place and stores those outputs)."""

import importlib.util
from pathlib import Path

import geopandas as gpd
import nbformat
import pytest
from nbclient import NotebookClient
from shapely.geometry import Point

FOLDER = Path(__file__).parent.parent / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
_spec = importlib.util.spec_from_file_location("notebooks_execute", FOLDER / "execute.py")
execute = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute)

#: Text each notebook's outputs must contain: a result a reader can check, not just "it ran".
EXPECTED = {
    "01_quickstart": ["'counties': 157", "EPSG", "4547", "郑州", "Zhengzhou City", "roads"],  # layer counts, the CRS,
    # a park table, the study area
    "02_accessibility": ["area_km2", "min_to_airport", "mean", "saved_min", "parks_within_60"],
    "03_dian_dai_wang": ["breaks", "国家级", "产业带", "建议", "gain_gravity_pct", "B01-S1", "strength_class",
                         "counties change tier"],
    "04_your_own_data": ["GB18030", "EPSG:4490", "NoCRSError", "UnexpectedCRSError", "EPSG:4526", "park_id", "shp"],
}

#: What each committed notebook shows beyond tables (at least): PNG charts or static maps, and interactive map pages.
VISUALS = {
    "01_quickstart": {"png": 2, "map": 1},
    "02_accessibility": {"png": 2, "map": 1},
    "03_dian_dai_wang": {"png": 3, "map": 1},
    "04_your_own_data": {"png": 0, "map": 1},
}

#: The most a committed notebook may weigh: show a smaller area or fewer layers rather than the whole run's map.
MAX_BYTES = 2_500_000

RERUN = "run `make notebooks` (it executes the notebooks in place and stores their outputs)"


def _output_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            for key in ("text/plain", "text/html"):
                parts.append(str(out.get("data", {}).get(key, "")))
    return "\n".join(parts)


def _visuals(nb) -> dict[str, int]:
    found = {"png": 0, "map": 0}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            found["png"] += "image/png" in data
            found["map"] += "<iframe srcdoc=" in data.get("text/html", "") and "leaflet" in data["text/html"]
    return found


def test_every_notebook_has_expectations():
    assert {p.stem for p in NOTEBOOKS} == set(EXPECTED) == set(VISUALS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_holds_the_outputs_of_its_code(path):
    """Read on GitHub or opened in Jupyter, a notebook shows the results of the code it holds (no kernel needed)."""
    nb = nbformat.read(path, as_version=4)
    stored = nb.metadata.get("spatial_planner", {}).get("code_sha256")
    assert stored == execute.code_sha256(nb), f"{path.name}: code cells changed since their outputs were made; {RERUN}"
    code = [c for c in nb.cells if c.cell_type == "code"]
    unrun = [i for i, c in enumerate(code, 1) if c.execution_count is None]
    assert not unrun, f"{path.name}: code cells {unrun} were not run; {RERUN}"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), \
        f"{path.name}: the cells were not run once, top to bottom, in one kernel; {RERUN}"
    silent = [i for i, c in enumerate(code, 1) if not c.outputs]
    assert not silent, f"{path.name}: code cells {silent} show nothing; end each with a result a reader can check"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, (path.name, errors[:1])
    text = _output_text(nb)
    for expected in EXPECTED[path.stem]:
        assert expected in text, f"{path.name}: the stored outputs lack {expected!r}; {RERUN}"
    found = _visuals(nb)
    for kind, least in VISUALS[path.stem].items():
        assert found[kind] >= least, f"{path.name}: {found[kind]} {kind} output(s), expected at least {least}; {RERUN}"
    assert path.stat().st_size <= MAX_BYTES, \
        f"{path.name} is {path.stat().st_size / 1e6:.2f} MB: show a smaller study area or fewer layers"


def test_code_hash_sees_code_and_only_code():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# a"), nbformat.v4.new_code_cell("x = 1")])
    before = execute.code_sha256(nb)
    nb.cells[0].source = "# b"
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    assert execute.code_sha256(nb) == before
    nb.cells[1].source = "x = 2"
    assert execute.code_sha256(nb) != before


def test_show_map_frames_the_page_with_the_same_bytes_and_every_layer_listed(henan):
    """show_map frames the page render_html writes (numbered ids: one map, one output) and moves the layer
    control after overlays added later, so that the control lists them."""
    import folium

    from spatial_planner.outputs.notebook import show_map
    from spatial_planner.outputs.webmap import add_isochrones, build_map

    def page():
        m = build_map({"hubs": henan["hubs"].head(3)})
        iso = gpd.GeoDataFrame({"hub_name": ["机场"], "from_minutes": [0.0], "minutes": [30.0], "area_km2": [1.0]},
                               geometry=[Point(113.84, 34.53).buffer(0.2)], crs="EPSG:4490")
        add_isochrones(m, iso)
        frame = show_map(m, height=300)
        assert isinstance(list(m._children.values())[-1], folium.LayerControl)
        return frame

    first, second = page(), page()
    html = first._repr_html_()
    assert html.startswith("<iframe srcdoc=") and 'height="300"' in html
    assert html == second._repr_html_()  # the same bytes on every run
    assert "枢纽等时圈" in first.page and "&quot;" in html and "0x" not in repr(first)


@pytest.mark.slow  # each notebook is a whole session in a kernel
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_shows_its_results(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors[:1]
    text = _output_text(nb)
    for expected in EXPECTED[path.stem]:
        assert expected in text, (path.stem, expected)
