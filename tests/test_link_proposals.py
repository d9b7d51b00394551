"""Link proposals know the existing network: a pair on HSR gets none, a corridor gets an upgrade, a gap a new link."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point

from spatial_planner.analysis.accessibility import od_matrix, od_wide
from spatial_planner.analysis.linkages import LinkParams, link_priorities
from spatial_planner.network import NetworkParams, build_network

CRS = "EPSG:4547"
A, B = (400_000.0, 3_800_000.0), (520_000.0, 3_800_000.0)  # two seats 120 km apart


def _layers(with_hsr: bool, with_expressway: bool):
    # a slow winding road joins A and B (a 40 % detour at second-class speed)
    slow = LineString([A, (460_000.0, 3_840_000.0), B])
    roads = [{"road_id": "R1", "name_zh": "普通公路", "road_class": "second_class", "geometry": slow}]
    # short feeder roads at each end (to stations and the expressway)
    roads += [{"road_id": f"F{i}", "name_zh": "", "road_class": "second_class",
               "geometry": LineString([p, (p[0], p[1] - 3000.0)])} for i, p in enumerate((A, B))]
    if with_expressway:
        roads.append({"road_id": "G1", "name_zh": "测试高速", "road_class": "expressway",
                      "geometry": LineString([(A[0], A[1] - 3000.0), (B[0], B[1] - 3000.0)])})
    roads = gpd.GeoDataFrame(roads, geometry="geometry", crs=CRS)
    rail = stations = None
    if with_hsr:
        rail = gpd.GeoDataFrame([{"line_id": "H1", "name_zh": "测试高铁", "rail_class": "hsr",
                                  "design_speed_kmh": 350, "geometry": LineString([(A[0], A[1] - 3000.0),
                                                                                  (B[0], B[1] - 3000.0)])}],
                                geometry="geometry", crs=CRS)
        stations = gpd.GeoDataFrame([{"station_id": s, "name_zh": s, "station_type": "hsr", "lines": "H1",
                                      "geometry": Point(p[0], p[1] - 3000.0)} for s, p in (("SA", A), ("SB", B))],
                                    geometry="geometry", crs=CRS)
    return roads, rail, stations


def _proposals(with_hsr: bool, with_expressway: bool, reference_kmh: float = 100.0) -> gpd.GeoDataFrame:
    roads, rail, stations = _layers(with_hsr, with_expressway)
    net = build_network(roads, rail, stations, params=NetworkParams(), crs=CRS)
    seats = gpd.GeoDataFrame({"adcode": ["a", "b"], "name_zh": ["甲", "乙"]},
                             geometry=[Point(*A), Point(*B)], crs=CRS)
    times = od_wide(od_matrix(net, seats, mode="rail", id_col="adcode", with_km=False))
    times = (times + times.T) / 2.0
    g = pd.DataFrame([[0.0, 100.0], [100.0, 0.0]], index=["a", "b"], columns=["a", "b"])
    fast = [x for x in (rail, roads[roads["road_class"] == "expressway"]) if x is not None and len(x)]
    lines = gpd.GeoDataFrame(pd.concat([f[["name_zh", "geometry"]] for f in fast]), crs=CRS) if fast else None
    params = LinkParams(min_crow_km=10.0, reference_speed_kmh=reference_kmh)
    return link_priorities(net, g, times, seats, params=params, corridor_lines=lines)


def test_a_pair_already_on_hsr_gets_no_proposal():
    assert len(_proposals(with_hsr=True, with_expressway=False)) == 0


def test_a_pair_on_slow_roads_only_gets_a_new_link():
    p = _proposals(with_hsr=False, with_expressway=False)
    assert len(p) == 1 and p["proposal"].iloc[0] == "新建高速公路/快速通道"
    assert p["serving_lines"].iloc[0] == "" and "尚无快速通道" in p["reason_zh"].iloc[0]
    assert p["deficit"].iloc[0] > 0.3


def test_a_pair_joined_by_a_corridor_gets_an_upgrade_naming_it():
    # at 100 km/h the expressway meets the ideal: nothing to propose; held to 250 km/h it falls short
    assert len(_proposals(with_hsr=False, with_expressway=True)) == 0
    p = _proposals(with_hsr=False, with_expressway=True, reference_kmh=250.0)
    assert len(p) == 1 and p["proposal"].iloc[0] == "既有通道提速改造"
    assert p["serving_lines"].iloc[0] == "测试高速" and p["existing_lines"].iloc[0] == "测试高速"
    assert "测试高速" in p["reason_zh"].iloc[0] and p["fast_share"].iloc[0] > 0.9


def test_linkage_weight_is_logarithmic_between_the_candidates():
    from spatial_planner.analysis.linkages import linkage_weight

    w = linkage_weight(np.array([1.0, 10.0, 100.0, 0.0]))
    assert np.allclose(w, [0.1, 0.55, 1.0, 0.0])  # ten times the linkage: one step, not ten times the weight
    assert np.allclose(linkage_weight(np.array([1.0, 10.0]), "raw"), [1.0, 10.0])


def test_one_node_cannot_fill_the_list():
    from spatial_planner.analysis.linkages import spread

    pairs = pd.DataFrame({"a": ["Z", "Z", "Z", "Z", "X"], "b": ["A", "B", "C", "D", "Y"]})
    kept = spread(pairs, 3)
    assert list(zip(kept["a"], kept["b"])) == [("Z", "A"), ("Z", "B"), ("Z", "C"), ("X", "Y")]
    assert len(spread(pairs, 0)) == 5


def test_a_rail_line_serves_a_place_only_where_it_stops():
    from spatial_planner.pipeline import _fast_lines

    far = (640_000.0, 3_800_000.0)  # the line runs on past C, which has no station
    rail = gpd.GeoDataFrame([{"line_id": "H1", "name_zh": "测试高铁", "rail_class": "hsr",
                              "geometry": LineString([A, B, far])}], geometry="geometry", crs=CRS)
    stations = gpd.GeoDataFrame([{"station_id": s, "name_zh": s, "lines": "H1", "geometry": Point(p)}
                                 for s, p in (("SA", A), ("SB", B))], geometry="geometry", crs=CRS)
    roads = gpd.GeoDataFrame([{"road_id": f"G{i}", "name_zh": "测试高速", "road_class": "expressway",
                               "geometry": LineString(seg)} for i, seg in enumerate(((A, B), (B, far)))],
                             geometry="geometry", crs=CRS)
    lines = _fast_lines({"rail_lines": rail, "stations": stations, "roads": roads}).set_index("name_zh")
    hsr, road = lines.loc["测试高铁", "geometry"], lines.loc["测试高速", "geometry"]
    assert hsr.geom_type == "MultiPoint" and hsr.distance(Point(far)) > 100_000  # C is not served by the line
    assert road.distance(Point(far)) == 0 and road.distance(Point(A)) == 0  # the expressway, in two pieces, is one
