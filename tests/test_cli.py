"""The CLI end to end in a temporary folder."""

import re
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner

import spatial_planner as sp
from conftest import console_script
from spatial_planner.cli import cli
from spatial_planner.io import gpkg_layer_counts


@pytest.fixture(scope="module")
def run_dir(cli_run):
    """The session's run of the installed console script: its folder and what it printed."""
    return cli_run


def test_run_writes_map_and_geopackage(run_dir, henan):
    out, output = run_dir
    html = (out / "map.html").read_text(encoding="utf-8")
    for name in ["县级行政区", "地级行政区界", "产业园区（按首位产业）", "铁路网", "高速公路", "交通枢纽", "铁路车站"]:
        assert name in html, name
    counts = gpkg_layer_counts(out / "plan.gpkg")
    for layer in ["counties", "prefectures", "seats", "parks", "rail_lines", "stations", "roads", "hubs"]:
        assert counts[layer] == len(henan[layer]), layer
    assert "plan.gpkg" in output and "map.html" in output
    assert str(out.resolve()) in output.replace("\n", "")


def test_run_prints_summary_table(run_dir, henan):
    out, output = run_dir
    assert "Features per layer" in output
    rows = dict(re.findall(r"│ (\w+)\s+│\s+(\d+) │", output))
    for layer in ("counties", "seats", "parks", "stations", "hubs"):
        assert int(rows[layer]) == len(henan[layer]), layer  # the table shows each layer's own count
    assert int(rows["nodes"]) == 157 and int(rows["priorities"]) == 20
    assert rows == {k: str(v) for k, v in gpkg_layer_counts(out / "plan.gpkg").items() if k != "layer_styles"}


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
    version = subprocess.run([console_script(), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.strip() == f"spatial-planner, version {sp.__version__}"
    bad = subprocess.run([console_script(), "od", "--mode", "plane", "--out", "x.csv"], capture_output=True, text=True)
    assert bad.returncode == 2 and "plane" in bad.stderr


def test_run_writes_accessibility_outputs(run_dir):
    import pandas as pd
    import rasterio

    out, _ = run_dir
    counts = gpkg_layer_counts(out / "plan.gpkg")
    assert counts["county_access"] == 157 and counts["isochrones"] == 6 and counts["network_edges"] > 400
    for layer in ("nodes", "belts", "belt_corridors", "belt_segments", "corridors", "linkages", "priorities",
                  "clusters", "isomorphism", "county_indices", "location_quotients", "park_productivity"):
        assert counts[layer] > 0, layer
    import sqlite3

    with sqlite3.connect(out / "plan.gpkg") as db:
        styled = {r[0] for r in db.execute("select f_table_name from layer_styles where useAsDefault = 1")}
    assert {"parks", "counties", "roads", "rail_lines", "nodes", "belts", "belt_segments", "corridors", "linkages",
            "priorities", "clusters", "isomorphism", "network_edges", "county_access", "isochrones"} <= styled
    report = (out / "report.md").read_text(encoding="utf-8")
    for heading in ("增长极与培育层级", "产业带", "优先通道", "跨县产业集群", "产业同构", "高端要素集中", "按人口估算 126 个"):
        assert heading in report, heading
    table = pd.read_csv(out / "county_access.csv", encoding="utf-8-sig", dtype={"adcode": str})
    assert {"min_to_airport", "min_to_hsr", "mean_to_airport", "median_to_rail_freight", "parks_within_60",
            "park_mass_within_60", "park_potential"} <= set(table.columns)
    assert table["parks_within_60"].between(0, 95).all() and table["parks_within_60"].max() > 10
    assert table["min_to_airport"].between(0, 400).all()
    # the county holding Zhengzhou airport is the fastest to reach an airport
    assert table.loc[table["min_to_airport"].idxmin(), "prefecture_zh"] in {"郑州市", "洛阳市", "南阳市", "信阳市", "安阳市"}
    with rasterio.open(out / "time_to_airport.tif") as src:
        assert src.crs.to_epsg() == 4547
        assert src.profile["tiled"] and src.profile["compress"] == "deflate"
        assert src.overviews(1) == [2, 4, 8, 16]
        assert src.res == (1000.0, 1000.0)
        data = src.read(1, masked=True)
        assert data.mask.any() and not data.mask.all()  # nodata outside Henan
        assert 0 <= data.min() and data.max() < 500
    html = (out / "map.html").read_text(encoding="utf-8")
    for name in ["县域指标", "枢纽等时圈", "到最近机场时间(栅格)", "增长极（点，按培育层级）", "产业带（带）",
                 "优先建设/提升通道", "跨县产业集群建议", "产业同构县对", "节点联系（网）"]:
        assert name in html


def test_od_command(tmp_path):
    import pandas as pd

    path = tmp_path / "od.csv"
    res = CliRunner().invoke(cli, ["od", "--mode", "rail", "--origins", "prefecture-seats", "--out", str(path)])
    assert res.exit_code == 0, res.output
    od = pd.read_csv(path, encoding="utf-8-sig", dtype={"origin_id": str, "destination_id": str})
    assert len(od) == 18 * 18 and (od["minutes"] >= 0).all()
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"  # BOM for Excel
    zz_ly = od[(od["origin_name"] == "中原区") & (od["destination_name"] == "洛龙区")]["minutes"].iloc[0]
    assert 30 < zz_ly < 120  # Zhengzhou–Luoyang by HSR and access


def test_isochrones_and_access_commands(tmp_path):

    iso = tmp_path / "iso.gpkg"
    res = CliRunner().invoke(cli, ["isochrones", "--from", "AP_CGO", "--minutes", "30,60", "--out", str(iso)])
    assert res.exit_code == 0, res.output
    assert pyogrio.read_info(iso, layer="isochrones")["features"] == 2
    tif = tmp_path / "t.tif"
    zonal = tmp_path / "z.csv"
    res = CliRunner().invoke(cli, ["access", "--to", "hsr", "--resolution", "5000", "--out", str(tif),
                                   "--zonal", str(zonal)])
    assert res.exit_code == 0, res.output
    assert tif.exists() and zonal.read_text(encoding="utf-8-sig").count("\n") == 158
    bad = CliRunner().invoke(cli, ["isochrones", "--from", "NOWHERE", "--out", str(tmp_path / "x.gpkg")])
    assert bad.exit_code == 2 and "NOWHERE" in bad.output


def test_scenario_and_validate_commands(tmp_path):
    import pandas as pd

    out = tmp_path / "sc.csv"
    res = CliRunner().invoke(cli, ["scenario", "--add-link", "410102,410311,rail,350", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"adcode": str})
    assert (table["gain_gravity"] >= -1e-9).all()
    assert set(table.head(3)["adcode"]) & {"410102", "410311"}
    bad = CliRunner().invoke(cli, ["scenario", "--add-link", "410102"])
    assert bad.exit_code == 2 and "--add-link" in bad.output
    ok = CliRunner().invoke(cli, ["validate"])
    assert ok.exit_code == 0 and "No problems" in ok.output
    broken = tmp_path / "parks.csv"
    broken.write_text("park_id,name_zh,lon,lat\nP1,园,113.6,34.7\nP1,园二,113.7,34.8\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["validate", str(broken)])
    assert res.exit_code == 1
    # to a pipe, one problem per line (no table to wrap): severity, layer, count, ids, message, fix
    lines = [line for line in res.output.splitlines() if line.startswith(("error\t", "warning\t"))]
    assert "│" not in res.output and len(lines) >= 1
    severity, layer, count, ids, message, fix = lines[0].split("\t")
    assert (severity, layer) == ("error", f"[{broken}]") and "level" in message and fix.startswith("修复/Fix: ")


# --------------------------------------------------------------------------- validate: every file, readable output


def _two_broken_files(tmp_path):
    """A parks CSV without its level and sectors columns, and a hubs CSV with a repeated id."""
    parks = tmp_path / "parks.csv"
    parks.write_text("park_id,name_zh,lon,lat\nP1,园,113.6,34.7\n", encoding="utf-8")
    hubs = tmp_path / "hubs.csv"
    hubs.write_text("hub_id,name_zh,hub_type,lon,lat\nH1,郑州,airport,113.65,34.76\nH1,洛阳,airport,112.45,34.62\n",
                    encoding="utf-8")
    return parks, hubs


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_validate_reports_every_file_of_one_kind(tmp_path, parks_gdf):
    from shapely.geometry import Polygon

    a, b = tmp_path / "a.gpkg", tmp_path / "b.shp"
    bowtie = Polygon([(113.7, 34.7), (113.72, 34.72), (113.72, 34.7), (113.7, 34.72)])
    parks_gdf.assign(geometry=[bowtie, *parks_gdf.geometry.iloc[1:]]).to_file(a, driver="GPKG")
    parks_gdf.assign(park_id=["T1", "T2", "T1"]).to_file(b)
    res = CliRunner().invoke(cli, ["validate", "--kind", "parks", str(a), str(b)])
    assert res.exit_code == 1, res.output
    lines = [line.split("\t") for line in res.output.splitlines() if "\t" in line]
    assert [(f[0], f[1], f[3]) for f in lines if f[0] == "repaired"] == [("repaired", f"[{a}]", "T1")]
    assert [f[1] for f in lines if "duplicate ids" in f[4]] == [f"[{b}]"]


def test_validate_to_a_pipe_is_one_problem_per_line(tmp_path):
    parks, hubs = _two_broken_files(tmp_path)
    res = subprocess.run([console_script(), "validate", str(parks), str(hubs)], capture_output=True, text=True,
                         timeout=300, env={**__import__("os").environ, "COLUMNS": "80"})
    assert res.returncode == 1, res.stderr
    lines = res.stdout.splitlines()
    assert "│" not in res.stdout and len(lines) == 2
    assert [line.split("\t")[:2] for line in lines] == [["error", f"[{parks}]"], ["error", f"[{hubs}]"]]
    assert "missing column(s): level, sectors" in lines[0] and "duplicate ids" in lines[1]


@pytest.mark.parametrize("width", [80, 100])
def test_validate_on_a_narrow_terminal_is_one_problem_per_paragraph(tmp_path, monkeypatch, width):
    """A terminal narrower than the table needs gets the line layout, word-wrapped, instead of
    six columns of single words."""
    import io

    from rich.console import Console

    import spatial_planner.cli as cli_module
    from spatial_planner.validate import validate_inputs

    _two_broken_files(tmp_path)
    monkeypatch.chdir(tmp_path)  # short layer names, whatever the temporary folder's path
    parks, hubs = Path("parks.csv"), Path("hubs.csv")
    buf = io.StringIO()
    monkeypatch.setattr(cli_module, "console", Console(file=buf, width=width, force_terminal=True,
                                                       color_system=None, highlight=False))
    res = CliRunner().invoke(cli, ["validate", str(parks), str(hubs)])
    assert res.exit_code == 1, res.output
    out = buf.getvalue()
    assert "│" not in out and max(len(line) for line in out.splitlines()) <= width
    for p in validate_inputs(paths=[parks, hubs]):
        assert _flat(p.message) in _flat(out) and _flat(p.fix) in _flat(out)
    starts = [line.split(" ")[:2] for line in out.splitlines() if line.startswith("error ")]
    assert starts == [["error", f"[{parks}]"], ["error", f"[{hubs}]"]]


def test_validate_on_a_wide_terminal_is_a_table(tmp_path, monkeypatch):
    import io

    from rich.console import Console

    import spatial_planner.cli as cli_module

    _two_broken_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    parks, hubs = Path("parks.csv"), Path("hubs.csv")
    buf = io.StringIO()
    monkeypatch.setattr(cli_module, "console", Console(file=buf, width=200, force_terminal=True,
                                                       color_system=None, highlight=False))
    res = CliRunner().invoke(cli, ["validate", str(parks), str(hubs)])
    assert res.exit_code == 1, res.output
    out = buf.getvalue()
    assert "Input check" in out and "│" in out
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines() if "│" in line]
    assert [r[:2] for r in rows if r[0] == "error"] == [["error", str(parks)], ["error", str(hubs)]]  # not folded
