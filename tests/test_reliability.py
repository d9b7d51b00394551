"""Nothing lost: interrupted runs keep the previous outputs; two runs give the same outputs."""

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
from conftest import console_script


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".staging-" not in str(p)}



@pytest.fixture(scope="module")
def two_runs(henan_run, cli_run):
    """The session's library run and its console-script run: the same plan by two roads."""
    return henan_run.out_dir, cli_run[0]


def test_two_runs_give_identical_outputs(two_runs):
    a, b = two_runs
    da, db = digest(a), digest(b)
    assert da.keys() == db.keys()
    text = [k for k in da if k.endswith((".csv", ".html", ".md"))]
    assert "map.html" in text and "nodes.csv" in text
    for k in text:
        assert da[k] == db[k], k  # byte-identical
    for layer, _ in pyogrio.list_layers(a / "plan.gpkg"):
        ga = pyogrio.read_dataframe(a / "plan.gpkg", layer=layer)
        gb = pyogrio.read_dataframe(b / "plan.gpkg", layer=layer)
        # layer_styles.update_time is when the style was written: the one value allowed to differ
        drop = ["geometry", "update_time"]
        pd.testing.assert_frame_equal(pd.DataFrame(ga.drop(columns=drop, errors="ignore")),
                                      pd.DataFrame(gb.drop(columns=drop, errors="ignore")))
        if "geometry" in ga:
            assert ga.geometry.geom_equals_exact(gb.geometry, tolerance=0).all(), layer
    for tif in a.glob("*.tif"):
        with rasterio.open(tif) as x, rasterio.open(b / tif.name) as y:
            assert np.array_equal(x.read(1), y.read(1)) and x.profile == y.profile


def test_killed_run_leaves_previous_outputs_intact(two_runs, tmp_path):
    a, _ = two_runs
    out = tmp_path / "out"
    import shutil

    shutil.copytree(a, out)
    before = digest(out)
    proc = subprocess.Popen([console_script(), "run", "--out", str(out), "--overwrite"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # kill it while it writes: as soon as its staging folder holds a file
    deadline = time.time() + 120
    killed_while_writing = False
    while time.time() < deadline and proc.poll() is None:
        staged = [p for d in out.glob(".staging-*") for p in d.iterdir()]
        if staged:
            proc.send_signal(signal.SIGKILL)
            killed_while_writing = True
            break
        time.sleep(0.02)
    proc.wait(timeout=60)
    assert killed_while_writing, "the run finished before it could be interrupted"
    assert digest(out) == before  # every previous output as it was, none half-written
    assert list(out.glob(".staging-*"))  # the killed run's staging folder is left behind ...
    from spatial_planner.io._atomic import staged_outputs

    with staged_outputs(out, overwrite=True) as staging:  # ... and the next run's staging removes it
        (staging / "note.txt").write_text("x", encoding="utf-8")
    assert not list(out.glob(".staging-*")) and (out / "note.txt").read_text(encoding="utf-8") == "x"
    assert {k for k in digest(out)} == before.keys() | {"note.txt"}


def test_failed_run_writes_nothing(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[layers]\nparks = "missing.gpkg"\n', encoding="utf-8")
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "spatial_planner", "run", "--config", str(cfg), "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and "missing.gpkg" in res.stderr
    assert not out.exists() or not any(out.iterdir())
