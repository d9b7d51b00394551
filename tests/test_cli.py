"""The CLI end to end in a temporary folder."""

import subprocess
import sys

import pyogrio
import pytest
from click.testing import CliRunner

from spatial_planner.cli import cli
from spatial_planner.export import gpkg_layer_counts


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    res = CliRunner().invoke(cli, ["run", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out, res.output


def test_run_writes_map_and_geopackage(run_dir, henan):
    out, output = run_dir
    html = (out / "map.html").read_text(encoding="utf-8")
    for name in ["县级行政区", "地级行政区界", "产业园区（按首位产业）", "铁路网", "公路网", "交通枢纽", "铁路车站"]:
        assert name in html, name
    counts = gpkg_layer_counts(out / "plan.gpkg")
    for layer in ["counties", "prefectures", "seats", "parks", "rail_lines", "stations", "roads", "hubs"]:
        assert counts[layer] == len(henan[layer]), layer
    assert "plan.gpkg" in output and "map.html" in output
    assert str(out.resolve()) in output.replace("\n", "")


def test_run_prints_summary_table(run_dir):
    _, output = run_dir
    assert "157" in output and "Features per layer" in output


def test_run_refuses_to_overwrite_without_flag(run_dir):
    out, _ = run_dir
    before = (out / "plan.gpkg").stat().st_mtime_ns
    res = CliRunner().invoke(cli, ["run", "--out", str(out)])
    assert res.exit_code == 2
    assert "OutputExistsError" in res.output and "--overwrite" in res.output
    assert "Traceback" not in res.output
    assert (out / "plan.gpkg").stat().st_mtime_ns == before


def test_bad_config_is_one_line_error(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[map]\nbasemap = 'google'\n")
    res = CliRunner().invoke(cli, ["run", "--config", str(cfg), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "map.basemap" in res.output and "Traceback" not in res.output


def test_init_config_writes_template(tmp_path):
    path = tmp_path / "c.toml"
    res = CliRunner().invoke(cli, ["init-config", str(path)])
    assert res.exit_code == 0, res.output
    assert "[layers]" in path.read_text(encoding="utf-8")
    again = CliRunner().invoke(cli, ["init-config", str(path)])
    assert again.exit_code == 2


def test_python_dash_m_and_console_script():
    res = subprocess.run([sys.executable, "-m", "spatial_planner", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "点-带-网" in res.stdout
