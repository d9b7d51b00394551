"""OSM ingestion on a small hand-made .osm fixture (CI is offline)."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

import spatial_planner as sp
from spatial_planner.analysis.accessibility import od_matrix
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


def test_ways_of_different_kinds_never_merge_into_one_line():
    # the footway 1-17 meets the freight line at 17: simplification must not fold it into the railway
    _, rails = read_osm(OSM)
    freight = rails[rails["rail_class"] == "freight"]
    assert len(freight) == 1
    assert abs(freight.to_crs(4547).length.iloc[0] - 4550.5) < 1.0


def test_one_way_streets_are_routed_one_way():
    roads, rails = read_osm(OSM)
    g4 = roads[roads["route_ref"] == "G4"]
    assert g4["oneway"].all() and not roads.loc[roads["osm_highway"] != "motorway", "oneway"].any()
    net = build_network(roads, rails)
    assert net.report.oneway_segments > 0 and not net.is_symmetric("road")
    west, east = (gpd.GeoDataFrame({"id": [k]}, geometry=[Point(lon, 35.30)], crs=4326) for k, lon in
                  (("w", 113.88), ("e", 113.95)))
    places = pd.concat([west, east], ignore_index=True)
    od = od_matrix(net, places, id_col="id", mode="road").set_index(["origin_id", "destination_id"])["minutes"]
    # eastbound on the motorway; westbound has to leave it for the town's streets
    assert od[("w", "e")] < od[("e", "w")] - 1.0


def test_pbf_reads_like_the_xml(tmp_path):
    osmium = pytest.importorskip("osmium")
    pbf = tmp_path / "small.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(OSM)):
            writer.add(obj)
    roads_x, rails_x = read_osm(OSM)
    roads_p, rails_p = read_osm(pbf)
    assert roads_p.crs.to_epsg() == 4490

    def metres(gdf, by):
        return gdf.assign(m=gdf.to_crs(4547).length).groupby(by)["m"].sum().round(3).to_dict()

    assert metres(roads_p, ["road_class", "oneway"]) == metres(roads_x, ["road_class", "oneway"])
    assert metres(rails_p, "rail_class") == metres(rails_x, "rail_class")
    assert set(roads_p.loc[roads_p["route_ref"] == "G4", "design_speed_kmh"]) == {120.0}
    pts = roads_x.geometry.representative_point().iloc[[0, 5, -1]]
    places = gpd.GeoDataFrame({"id": ["a", "b", "c"]}, geometry=pts.to_numpy(), crs=roads_x.crs)
    a = od_matrix(build_network(roads_x, rails_x), places, id_col="id", with_km=False)
    b = od_matrix(build_network(roads_p, rails_p), places, id_col="id", with_km=False)
    assert np.allclose(a["minutes"], b["minutes"], atol=1e-6)


def test_osm_road_classes_get_styles_and_chinese_legend_labels():
    from spatial_planner.outputs.webmap import build_map, render_html
    from spatial_planner.symbology import ROAD_STYLE

    roads, rails = read_osm(OSM)
    assert set(roads["road_class"]) <= set(ROAD_STYLE)
    html = render_html(build_map({"roads": roads, "rail_lines": rails}))
    for text in ("高速公路", "主要道路", "次要道路", "街巷", "高速铁路"):
        assert text in html


def test_osm_file_as_the_configured_road_and_rail_layers(tmp_path):
    from spatial_planner.io import read_layer
    from spatial_planner.config import load_config
    from spatial_planner.validate import validate_inputs

    roads = read_layer(OSM, kind="roads")
    rails = read_layer(OSM, kind="rail_lines")
    assert set(roads["road_class"]) == {"motorway", "primary", "secondary", "residential"}
    assert set(rails["rail_class"]) == {"hsr", "freight"} and roads.crs.to_epsg() == 4490
    with pytest.raises(sp.DataFileError, match="roads and rail_lines"):
        read_layer(OSM, kind="parks")
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(f'[layers]\nroads = "{OSM.as_posix()}"\nrail_lines = "{OSM.as_posix()}"\n', encoding="utf-8")
    problems = validate_inputs(load_config(cfg).layers)
    assert not [p for p in problems if p.severity == "error"]
    # segments of one street share its name: not a problem for roads and railways
    assert not [p for p in problems if p.layer in ("roads", "rail_lines") and "重名" in p.message]


def test_a_road_layer_that_misses_the_study_area_is_reported(henan):
    from spatial_planner.pipeline import coverage_notes

    roads, rails = read_osm(OSM)  # a few streets in 新乡, for the whole province
    notes = coverage_notes(henan, build_network(roads, rails))
    assert len(notes) == 3
    seats = next(n for n in notes if "county seats" in n)
    assert "县城距路网超过 15 公里" in seats and "of 157 lie more than 15 km" in seats
    assert "411523" in seats or "411524" in seats  # the far south (信阳) is named first
    assert coverage_notes(henan, build_network(henan["roads"], henan["rail_lines"], henan["stations"])) == []


def test_opposite_one_way_streets_between_the_same_two_nodes_are_both_kept(tmp_path):
    # a divided road: 1→2 eastbound on the south side, 2→1 westbound on the north side, streets beyond each end
    nodes = {1: (35.30, 113.90), 2: (35.30, 113.92), 3: (35.2995, 113.91), 4: (35.3005, 113.91),
             5: (35.30, 113.89), 6: (35.30, 113.93)}
    ways = {10: ([1, 3, 2], "yes"), 11: ([2, 4, 1], "yes"), 12: ([5, 1], "no"), 13: ([2, 6], "no")}
    xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="spatial_planner tests">']
    xml += [f'  <node id="{i}" version="1" lat="{lat}" lon="{lon}"/>' for i, (lat, lon) in nodes.items()]
    for i, (refs, oneway) in ways.items():
        xml += [f'  <way id="{i}" version="1">', *(f'    <nd ref="{r}"/>' for r in refs),
                '    <tag k="highway" v="secondary"/>', f'    <tag k="oneway" v="{oneway}"/>', "  </way>"]
    path = tmp_path / "divided.osm"
    path.write_text("\n".join(xml + ["</osm>"]), encoding="utf-8")
    roads, _ = read_osm(path)
    assert len(roads) == 4 and roads["oneway"].sum() == 2
    net = build_network(roads)
    assert net.report.road_components == [6] and net.report.one_way_traps == 0


def test_osm_failures_keep_the_original_message_and_cause(tmp_path, monkeypatch):
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1'", encoding="utf-8")
    with pytest.raises(sp.DataFileError) as info:
        read_osm(broken)
    cause = info.value.__cause__
    assert cause is not None and " ".join(str(cause).split()) in str(info.value)
    assert type(cause).__name__ in str(info.value)

    import spatial_planner.io.osm as osm_module

    class Offline:
        def graph_from_place(self, *args, **kwargs):
            raise ConnectionError("HTTPSConnectionPool(host='overpass-api.de'): Max retries exceeded")

    monkeypatch.setattr(osm_module, "_osm_settings", lambda: Offline())
    with pytest.raises(sp.DataFileError, match="overpass-api.de.*Max retries") as info:
        read_osm(place="新乡市")
    assert isinstance(info.value.__cause__, ConnectionError) and "ConnectionError" in str(info.value)
