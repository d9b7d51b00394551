"""The package's shape: layers along the data flow, no cycles, lazy imports only where they are meant to be."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "spatial_planner"


def test_import_linter_contracts_hold():
    pytest.importorskip("importlinter")
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(PACKAGE.parent / "pyproject.toml")) == 0


def _function_level_internal_imports() -> dict[str, list[str]]:
    """Module → the package-internal modules it imports inside functions."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and node.level > 0:
                    rel = str(path.relative_to(PACKAGE.parent))
                    found.setdefault(rel, []).append("." * node.level + (node.module or ""))
    return found


def _modules_loaded_by_path() -> set[str]:
    """Modules that load a package file through importlib (an import by another name)."""
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("spec_from_file_location", "import_module"):
                found.add(str(path.relative_to(PACKAGE.parent)))
    return found


def test_only_the_hierarchy_loads_a_module_by_path():
    """The package resolves its public names on use; the contraction hierarchy loads its kernels (numba, slow to
    import) on first use, compiled or plain."""
    assert _modules_loaded_by_path() == {"spatial_planner/__init__.py", "spatial_planner/network/hierarchy.py"}


def test_lazy_internal_imports_only_where_they_are_meant_to_be():
    """The CLI imports the library inside its commands (``--help`` must not load geopandas), and the
    accessibility engine imports its Dask twin only when a scheduler is asked for (an optional extra)."""
    lazy = _function_level_internal_imports()
    assert set(lazy) == {"spatial_planner/cli.py", "spatial_planner/analysis/accessibility.py"}
    assert lazy["spatial_planner/analysis/accessibility.py"] == [".distributed"]


def test_a_public_name_loads_only_what_it_needs():
    code = ("import sys, spatial_planner as sp; sp.load_henan; "
            "print(sorted({'folium', 'matplotlib', 'spatial_planner.pipeline'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_importing_the_package_loads_no_heavy_library():
    code = ("import sys, spatial_planner as sp; heavy = {'geopandas', 'scipy', 'folium', 'matplotlib', 'osmnx'}; "
            "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_public_api_names_resolve_and_match_the_api_module():
    import spatial_planner as sp
    from spatial_planner import _api

    assert set(_api.__all__) == set(sp.__all__) - {"__version__"}
    for name in _api.__all__:
        assert getattr(sp, name) is getattr(_api, name), name  # the lazy table and the typed view agree
    assert sp.build_plan.__module__ == "spatial_planner.pipeline"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sp.nope  # noqa: B018
