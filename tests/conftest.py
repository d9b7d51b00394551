"""Shared fixtures: the built-in Henan layers, the default Henan plan (run once per session) and small files.

The two end-to-end runs of the session are :func:`henan_run` (the library's
``run``) and :func:`cli_run` (the installed ``spatial-planner`` console script,
in a subprocess, as a user types it); every test that needs a plan or run
outputs shares them. Tests that use them are marked ``slow``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from spatial_planner.io import load_henan

#: Fixtures that are whole runs of the plan: a test that uses one (directly or through another fixture) is ``slow``.
END_TO_END = {"henan_run", "henan_plan", "cli_run", "qgis_run"}


def pytest_collection_modifyitems(items):
    for item in items:
        if END_TO_END & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


#: The engines the exactness tests run on: SciPy's Dijkstra, the contraction hierarchy compiled, and the
#: same hierarchy code uncompiled (the pure-Python kernel, on small graphs only: it is slow).
ENGINES = ("dijkstra", "ch", "ch-python")


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch):
    """An ``engine=`` value for the accessibility functions, once per engine under test.

    ``ch-python`` is ``"ch"`` with ``SPATIAL_PLANNER_CH_KERNEL=python`` set for the test.
    """
    from spatial_planner.network.hierarchy import KERNEL_ENV

    monkeypatch.setenv(KERNEL_ENV, "python" if request.param == "ch-python" else "numba")
    return "dijkstra" if request.param == "dijkstra" else "ch"


@pytest.fixture(params=ENGINES[:2])
def big_engine(request, monkeypatch):
    """As :func:`engine`, for graphs too large for the pure-Python kernel."""
    from spatial_planner.network.hierarchy import KERNEL_ENV

    monkeypatch.setenv(KERNEL_ENV, "numba")
    return request.param


@pytest.fixture(scope="session")
def henan():
    """All built-in Henan layers, validated once."""
    from spatial_planner.validate import validate_layers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return validate_layers(load_henan()).layers


@pytest.fixture(scope="session")
def henan_run(tmp_path_factory):
    """The default Henan plan run once through the library (``spatial_planner.pipeline.run``): outputs on disk,
    and the plan, the accessibility step and the layers in memory."""
    from spatial_planner.config import Config
    from spatial_planner.pipeline import run

    return run(Config(), out_dir=tmp_path_factory.mktemp("henan_run") / "out")


@pytest.fixture(scope="session")
def henan_plan(henan_run):
    """The default Henan :class:`~spatial_planner.results.Plan` (with ``plan.access``)."""
    return henan_run.plan


def console_script() -> str:
    """The installed ``spatial-planner`` command of this environment."""
    found = Path(sys.executable).with_name("spatial-planner")
    return str(found) if found.exists() else shutil.which("spatial-planner") or "spatial-planner"


@pytest.fixture(scope="session")
def cli_run(tmp_path_factory):
    """``spatial-planner run --out DIR`` in a subprocess: ``(DIR, stdout)``."""
    out = tmp_path_factory.mktemp("cli_run") / "out"
    res = subprocess.run([console_script(), "run", "--out", str(out)], capture_output=True, text=True, timeout=900,
                         env={**os.environ, "COLUMNS": "160"}, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    return out, res.stdout


@pytest.fixture
def parks_gdf():
    """Three small parks in Zhengzhou with Chinese attributes (EPSG:4490)."""
    polys = [
        Polygon([(113.70, 34.70), (113.72, 34.70), (113.72, 34.72), (113.70, 34.72)]),
        Polygon([(113.60, 34.80), (113.63, 34.80), (113.63, 34.82), (113.60, 34.82)]),
        Polygon([(113.80, 34.50), (113.84, 34.50), (113.84, 34.53), (113.80, 34.53)]),
    ]
    return gpd.GeoDataFrame(
        {
            "park_id": ["T1", "T2", "T3"],
            "name_zh": ["郑州测试经开区", "惠济测试园区", "航空港测试园"],
            "level": ["national", "provincial", "municipal"],
            "sectors": ["auto;equipment", "food", "electronics;aviation"],
            "area_km2": [4.4, 6.1, 13.2],
        },
        geometry=polys,
        crs="EPSG:4490",
    )


@pytest.fixture
def point_in_henan():
    return Point(113.65, 34.76)
