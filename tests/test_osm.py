"""OSM ingestion on a small hand-made .osm fixture (CI is offline)."""

from pathlib import Path

import pytest

import spatial_planner as sp
from spatial_planner.accessibility import od_matrix
from spatial_planner.io import read_osm
from spatial_planner.network import build_network

OSM = Path(__file__).parent / "data" / "small.osm"


def test_osm_xml_to_planner_layers():
    roads, rails = read_osm(OSM)
    assert roads.crs.to_epsg() == 4490 and rails.crs.to_epsg() == 4490
    assert set(roads["road_class"]) == {"motorway", "primary", "secondary", "residential"}
    assert "footway" not in set(roads["osm_highway"])
    g4 = roads[roads["route_ref"] == "G4"]
    assert len(g4) >= 1 and (g4["design_speed_kmh"] == 120).all() and (g4["name_zh"] == "京港澳高速").all()
    assert roads["road_id"].is_unique
    assert set(rails["rail_class"]) == {"hsr", "freight"}
    assert (rails.loc[rails["rail_class"] == "hsr", "design_speed_kmh"] == 350).all()


def test_osm_network_routes_and_fills_speeds_from_classes():
    roads, rails = read_osm(OSM)
    net = build_network(roads, rails)
    assert net.report.road_components[0] >= 12 and len(net.report.road_components) == 1
    assert set(net.report.missing_speeds) >= {"road:primary", "road:residential"}
    pts = roads.iloc[[0, -1]].geometry.representative_point()
    od = od_matrix(net, pts.to_frame("geometry").set_geometry("geometry").assign(id=["a", "b"]), mode="road")
    assert od["minutes"].max() > 0 and not od["unreachable"].any()


def test_osm_cache_round_trip(tmp_path):
    cache = tmp_path / "osm.gpkg"
    roads, rails = read_osm(OSM, cache=cache)
    assert cache.exists()
    again_roads, again_rails = read_osm(OSM, cache=cache)
    assert len(again_roads) == len(roads) and len(again_rails) == len(rails)
    gml = tmp_path / "osm.graphml"
    read_osm(OSM, cache=gml)
    assert gml.exists()
    assert len(read_osm(cache=gml)[0]) == len(roads)


def test_bad_osm_inputs(tmp_path):
    with pytest.raises(sp.DataFileError, match="not found"):
        read_osm(tmp_path / "none.osm")
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1'", encoding="utf-8")
    with pytest.raises(sp.DataFileError, match="broken.osm"):
        read_osm(broken)
