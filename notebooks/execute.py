"""Run the notebooks top to bottom and store them with their outputs: ``make notebooks``.

Each notebook is executed in a fresh kernel (working folder: a temporary one),
normalised so that a second run on the same machine writes the same bytes
(no timings, no kernel version details, consecutive prints merged), stamped
with a hash of its code cells (``metadata.spatial_planner.code_sha256``) and
written back atomically. ``tests/test_notebooks.py`` compares that hash with
the code cells as committed: code edited without a re-run fails there with
"run `make notebooks`".

    python notebooks/execute.py                     # every notebook
    python notebooks/execute.py notebooks/03_*.ipynb
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from spatial_planner.io._atomic import atomic_output

HERE = Path(__file__).resolve().parent
#: The notebook metadata key that holds what this script records.
KEY = "spatial_planner"


def code_sha256(nb) -> str:
    """SHA-256 of the notebook's code cells: their sources, in order."""
    sources = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    return hashlib.sha256(json.dumps(sources, ensure_ascii=False).encode("utf-8")).hexdigest()


def notebooks() -> list[Path]:
    return sorted(HERE.glob("[0-9]*.ipynb"))


def _normalise(nb) -> None:
    """Keep what a reader needs and nothing that changes from run to run or machine to machine."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for out in cell.outputs:
                out.get("metadata", {}).pop("execution", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata.pop("widgets", None)
    nb.metadata[KEY] = {"code_sha256": code_sha256(nb)}


def execute(path: Path, *, timeout: int = 900) -> int:
    """Execute ``path`` in place; return its size in bytes. Raises if a cell fails (the file is left as it was)."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="notebook-") as work:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                                coalesce_streams=True, resources={"metadata": {"path": work}})
        client.execute()
    _normalise(nb)
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks to run (default: every notebooks/NN_*.ipynb)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds a cell may take")
    args = parser.parse_args(argv)
    for path in args.paths or notebooks():
        start = time.perf_counter()
        size = execute(path, timeout=args.timeout)
        print(f"{path.name}: {size / 1e6:.2f} MB, {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
