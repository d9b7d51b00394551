"""The built-in Henan layers follow real alignments and positions, and the network matches published travel facts."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from spatial_planner.io import builtin_dir
from spatial_planner.network import build_network, check_travel, read_truth, truth_summary

METRIC = "EPSG:4547"
ROOT = Path(__file__).resolve().parents[1]
TRUTH = Path(__file__).parent / "data" / "travel_truth.csv"
#: How far beyond the province the built-in network layers reach (gis_data/build.py AREA_BUFFER_M), plus 1 km.
REACH_M = 51_000.0


def _build_module():
    """gis_data/build.py as a module (it puts gis_data/ on the path for its own tracks module)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("henan_build", ROOT / "gis_data" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def metric(henan):
    return {k: henan[k].to_crs(METRIC) for k in ("boundary", "counties", "seats", "parks", "rail_lines", "stations",
                                                  "roads", "hubs")}


def test_each_station_lies_within_1_km_of_each_of_its_lines(metric):
    lines = metric["rail_lines"].set_index("line_id").geometry
    far = []
    for st in metric["stations"].itertuples():
        for line in filter(None, str(st.lines).split(";")):
            d = lines[line].distance(st.geometry)
            if d > 1000:
                far.append((st.name_zh, line, round(d)))
    assert far == []
    # and each line's stations are the line's own list
    listed = {s for v in metric["rail_lines"]["stations"] for s in v.split(";")}
    served = set(metric["stations"].loc[metric["stations"]["lines"] != "", "station_id"])
    assert listed == served


def test_no_line_leaves_the_study_area_buffer(metric):
    reach = metric["boundary"].union_all().buffer(REACH_M)
    for kind in ("rail_lines", "roads"):
        outside = metric[kind][~metric[kind].within(reach)]
        assert outside.empty, (kind, outside.iloc[:, 0].tolist()[:5])


def test_lines_follow_track_not_chords_between_stations(metric, henan):
    """Track-quality lines bend: far more vertices than stations, and their length exceeds the station chords."""
    rail = metric["rail_lines"]
    for r in rail[rail["geometry_quality"] == "track"].itertuples():
        n_vertices = len(shapely.get_coordinates(r.geometry))
        n_stations = len(r.stations.split(";"))
        assert n_vertices > 2 * n_stations, r.line_id
    # the straight legs a line has are listed, and "track" lines have none
    assert (rail.loc[rail["geometry_quality"] == "track", "straight_legs"].fillna("") == "").all()
    assert (rail.loc[rail["geometry_quality"] != "track", "straight_legs"].fillna("") != "").all()
    # 京广高铁 and G4 share no segment any more (both used to be drawn seat to seat)
    g4 = metric["roads"].set_index("road_id").geometry["G4"]
    hsr = rail.set_index("line_id").geometry["hsr_jingguang"]
    assert g4.intersection(hsr.buffer(50)).length < 0.05 * g4.length


def test_every_line_vertex_off_its_stations_is_a_node_of_the_osm_graph(metric, henan):
    """Routed geometry comes from the scgraph-data rail graph: its vertices are that graph's nodes (or stations)."""
    build = _build_module()
    wheel = build._wheel("scgraph-data==2.0.0")  # fetched as `make data` does, SHA-256 checked
    lon0, lat0, lon1, lat1 = henan["boundary"].total_bounds
    graph = build.read_scgraph(wheel, "world_railways", (lon0 - 1, lat0 - 1, lon1 + 1, lat1 + 1), METRIC)
    known = np.vstack([graph.xy, np.column_stack([metric["stations"].geometry.x, metric["stations"].geometry.y])])
    tree = cKDTree(known)
    rail = metric["rail_lines"]
    coords = shapely.get_coordinates(rail[rail["geometry_quality"] == "track"].geometry.values)
    d, _ = tree.query(coords)
    assert np.percentile(d, 99) < 1.0  # metres: the 6-decimal rounding of the files


def test_each_park_lies_inside_its_county(metric):
    counties = metric["counties"].set_index("adcode").geometry
    inside = [counties[c].buffer(1.0).covers(g) for c, g in zip(metric["parks"]["county_adcode"], metric["parks"].geometry)]
    assert all(inside)
    assert set(metric["parks"]["location_quality"]) <= {"surveyed", "address", "approximate"}
    assert (metric["parks"]["geometry_quality"] == "schematic").all()


def test_every_park_stands_at_its_own_authored_location(metric):
    """No rule places parks: each has an authored position with its source, and the footprint is centred on it."""
    pos = pd.read_csv(ROOT / "gis_data" / "sources" / "park_positions.csv").set_index("park_id")
    parks = metric["parks"].set_index("park_id")
    assert set(pos.index) == set(parks.index)
    assert pos["source"].str.len().gt(10).all() and pos["located_at"].str.len().gt(3).all()
    assert (parks["located_at"] == pos.loc[parks.index, "located_at"]).all()
    # parks of one county no longer share a spiral around the seat: parks of a county are apart
    for _, group in parks.groupby("county_adcode"):
        pts = group.geometry.centroid
        if len(pts) > 1:
            d = [a.distance(b) for i, a in enumerate(pts) for b in pts.iloc[i + 1:]]
            assert min(d) > 100 or len(set(group["located_at"])) < len(group)
    # those still at their county town for want of a published site (gis_data/README.md) are counted
    seats = metric["seats"].set_index("adcode").geometry
    at_town = sum(seats[c].distance(g.centroid) < 500 for c, g in zip(parks["county_adcode"], parks.geometry))
    assert at_town <= 30


def test_no_two_stations_of_different_names_share_coordinates(metric):
    st = metric["stations"]
    xy = np.column_stack([st.geometry.x, st.geometry.y])
    pairs = cKDTree(xy).query_pairs(100.0)
    assert [(st["name_zh"].iloc[a], st["name_zh"].iloc[b]) for a, b in pairs] == []
    # and stations are no longer where their county seat is
    seats = metric["seats"].set_index("adcode").geometry
    at_seat = [s for s, c, g in zip(st["name_zh"], st["county_adcode"], st.geometry) if c and seats[c].distance(g) < 100]
    assert at_seat == []


def test_hsr_stations_are_apart_from_the_conventional_stations_of_their_city(metric):
    at = metric["stations"].set_index("name_zh").geometry
    for a, b, km in (("郑州东", "郑州", 8), ("郑州东", "郑州北编组站", 5), ("新乡东", "新乡", 5), ("洛阳龙门", "洛阳", 5)):
        assert at[a].distance(at[b]) > km * 1000, (a, b)


def test_network_matches_the_published_travel_facts(henan):
    """Median |log(network / published)| ≤ 0.15 for rail and ≤ 0.10 for road (tests/data/travel_truth.csv)."""
    truth = read_truth(TRUTH)
    assert len(truth) >= 40 and truth["source"].notna().all()
    net = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    checked = check_travel(net, truth, stations=henan["stations"], seats=henan["seats"])
    summary = truth_summary(checked)
    assert summary.loc["rail", "facts"] >= 30 and summary.loc["road", "facts"] >= 20
    assert summary.loc["rail", "median_abs_log"] <= 0.15
    assert summary.loc["road", "median_abs_log"] <= 0.10
    assert summary["unreachable"].sum() == 0
    # published expressway sections are lower bounds on the seat-to-seat distance
    sections = checked[checked["measure"] == "section"]
    assert (sections["network_km"] >= 0.9 * sections["km"]).all()
    # each kind of train is centred: the class factors are not tuned to some pairs at the others' expense
    rail = checked[checked["mode"] == "rail"]
    assert rail.groupby("service")["log_ratio"].median().abs().max() < 0.1


def test_truth_table_errors_name_the_row(tmp_path):
    from spatial_planner import InvalidValueError

    bad = tmp_path / "truth.csv"
    pd.read_csv(TRUTH).head(3).assign(mode=["rail", "boat", "rail"]).to_csv(bad, index=False)
    with pytest.raises(InvalidValueError, match="boat") as err:
        read_truth(bad)
    assert "3" in str(err.value)


@pytest.mark.slow
def test_make_data_reproduces_the_committed_files_byte_for_byte(tmp_path):
    out = tmp_path / "henan"
    subprocess.run([sys.executable, str(ROOT / "gis_data" / "build.py"), "--out", str(out)], check=True,
                   capture_output=True, timeout=600)
    committed = builtin_dir()
    names = sorted(p.name for p in committed.iterdir() if p.is_file())
    assert names == sorted(p.name for p in out.iterdir() if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(committed, out, names, shallow=False)
    assert mismatch == [] and errors == []
    report = json.loads((out / "build_report.json").read_text(encoding="utf-8"))
    assert report["osm_graphs"]["source"].startswith("scgraph-data 2.0.0")
