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
    """Outputs and their hashes: not the staging folders or the lock file a killed run leaves behind."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and ".staging-" not in str(p) and p.name != ".spatial-planner.lock"}



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
    assert list(out.glob(".staging-*"))  # the killed run's staging folder and lock are left behind ...
    assert (out / ".spatial-planner.lock").exists()
    from spatial_planner.io._atomic import staged_outputs

    with staged_outputs(out, overwrite=True) as staging:  # ... and the next run takes the lock and removes them
        (staging / "note.txt").write_text("x", encoding="utf-8")
    assert not list(out.glob(".staging-*")) and (out / "note.txt").read_text(encoding="utf-8") == "x"
    assert not (out / ".spatial-planner.lock").exists()
    assert {k for k in digest(out)} == before.keys() | {"note.txt"}


def test_failed_run_writes_nothing(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[layers]\nparks = "missing.gpkg"\n', encoding="utf-8")
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "spatial_planner", "run", "--config", str(cfg), "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and "missing.gpkg" in res.stderr
    assert not out.exists() or not any(out.iterdir())


# --------------------------------------------------------------------------- one run per output folder

#: A process that holds an output folder: it stages a file, says so, and finishes when its stdin closes.
HOLDER = """
import sys
from spatial_planner.io._atomic import staged_outputs

with staged_outputs(sys.argv[1], overwrite=True) as staging:
    (staging / "first.txt").write_text("first run", encoding="utf-8")
    print(staging, flush=True)
    sys.stdin.read()
"""


def test_second_run_into_a_busy_folder_fails_at_once(tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        staging = Path(holder.stdout.readline().strip())
        assert staging.is_dir()
        start = time.monotonic()
        res = subprocess.run([console_script(), "run", "--out", str(out), "--overwrite"], capture_output=True,
                             text=True, timeout=600, env={**__import__("os").environ, "COLUMNS": "400"})
        took = time.monotonic() - start
        assert res.returncode == 2, res.stderr[-2000:]
        assert took < 60, f"the second run worked {took:.0f} s before failing"  # a whole run takes minutes
        err = " ".join(res.stderr.split())
        assert "OutputLockedError" in err and str(out) in err and f"process {holder.pid}" in err
        assert "Fix:" in err and ".spatial-planner.lock" in err and "Traceback" not in err
        assert (staging / "first.txt").read_text(encoding="utf-8") == "first run"  # the first run's work kept
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0
    assert (out / "first.txt").read_text(encoding="utf-8") == "first run"
    assert sorted(p.name for p in out.iterdir()) == ["first.txt"]  # no lock file, no staging folder left


def test_output_lock_names_the_holder_and_breaks_only_stale_locks(tmp_path):
    import json
    import threading

    import spatial_planner as sp
    from spatial_planner.io._atomic import LOCK_NAME, output_lock

    out = tmp_path / "out"
    with output_lock(out), output_lock(out):  # one thread may nest (run() holds it while it stages)
        assert (out / LOCK_NAME).exists()
        errors = []

        def other_thread():
            try:
                with output_lock(out):
                    pass
            except sp.OutputLockedError as exc:
                errors.append(exc)

        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        assert len(errors) == 1 and isinstance(errors[0], BlockingIOError) and str(out) in str(errors[0])
    assert not out.exists()  # made for the lock, left empty: removed again
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({"pid": int(dead.stdout), "host": __import__("socket").gethostname(),
                                             "started": "2024-01-01T00:00:00"}), encoding="utf-8")
    with output_lock(out):  # the process that left the lock is gone: the lock is taken over
        owner = json.loads((out / LOCK_NAME).read_text(encoding="utf-8"))
        assert owner["pid"] == __import__("os").getpid()
    assert not (out / LOCK_NAME).exists()
    (out / LOCK_NAME).write_text(json.dumps({"pid": 1, "host": "another-machine", "started": "2024-01-01"}),
                                 encoding="utf-8")
    with pytest.raises(sp.OutputLockedError, match="another-machine"):  # cannot tell: refused, with the fix
        with output_lock(out):
            pass


#: Waits for a start signal, tries to take the folder, and (if it got it) holds it until told to let go.
CONTENDER = """
import sys, time
from pathlib import Path
from spatial_planner import OutputLockedError
from spatial_planner.io._atomic import output_lock

out, signals = sys.argv[1], Path(sys.argv[2])
print("ready", flush=True)
while not (signals / "go").exists():
    time.sleep(0.01)
try:
    with output_lock(out):
        print("held", flush=True)
        while not (signals / "release").exists():
            time.sleep(0.01)
except OutputLockedError:
    print("refused", flush=True)
"""


@pytest.mark.parametrize("stale", [False, True])
def test_contending_processes_one_holds_the_folder(tmp_path, stale):
    """Four processes reach for one folder at the same moment (with a stale lock there, or none): one gets it."""
    import json
    import socket

    out, signals = tmp_path / "out", tmp_path / "signals"
    signals.mkdir()
    if stale:
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        out.mkdir()
        (out / ".spatial-planner.lock").write_text(json.dumps({"pid": int(gone.stdout), "host": socket.gethostname()}),
                                                   encoding="utf-8")
    procs = [subprocess.Popen([sys.executable, "-c", CONTENDER, str(out), str(signals)], stdout=subprocess.PIPE,
                              text=True) for _ in range(4)]
    try:
        assert [p.stdout.readline().strip() for p in procs] == ["ready"] * 4
        (signals / "go").touch()
        said = sorted(p.stdout.readline().strip() for p in procs)
        assert said == ["held", "refused", "refused", "refused"]
    finally:
        (signals / "release").touch()
        for p in procs:
            p.wait(timeout=60)
    assert [p.returncode for p in procs] == [0] * 4
    assert not (out / ".spatial-planner.lock").exists()
