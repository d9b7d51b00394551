"""Corridors and belts (带): known answers on synthetic straight corridors.

Every park is a provincial park of 4 km² with one sector, so its proxy mass is 4 (area × level factor 1); parks
lie on a straight east–west corridor, each in its own county, the counties grouped into prefectures A, B, C ...
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

import spatial_planner as sp
from spatial_planner.analysis.belts import (
    ADVANCED,
    BeltParams,
    above_intervals,
    bridge_gaps,
    check_params,
    find_belts,
    interval_overlap,
    kernel_profile,
    park_runs,
    transport_corridors,
)
from spatial_planner.analysis.corridors import (
    build_corridors,
    corridor_name,
    english_stem,
    name_stem,
    short_name,
    transport_lines,
)
from spatial_planner.config import config_from_dict

CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 3_800_000.0
SECTORS = pd.DataFrame({"code": ["auto", "electronics", "food"], "name_zh": ["汽车", "电子", "食品"],
                        "name_en": ["Auto", "Electronics", "Food"], "color": ["#d62728", "#9467bd", "#ff7f0e"],
                        "advanced_manufacturing": [True, True, False]})


def xy(x_km, y_km=0.0):
    return X0 + x_km * 1000.0, Y0 + y_km * 1000.0


def park(pid, x_km, prefecture, sectors="auto", y_km=2.0):
    x, y = xy(x_km, y_km)
    return {"park_id": pid, "name_zh": f"园{pid}", "county_adcode": f"c{pid}", "prefecture_zh": prefecture,
            "level": "provincial", "sectors": sectors, "lead_sector": sectors.split(";")[0], "area_km2": 4.0,
            "geometry": box(x - 500, y - 500, x + 500, y + 500)}


def rail(length_km=600.0, y_km=0.0, line_id="hsr_test", name="测试高速铁路(河南段)", cls="hsr"):
    return gpd.GeoDataFrame({"line_id": [line_id], "name_zh": [name], "name_en": ["Test High-Speed Railway"],
                             "rail_class": [cls]},
                            geometry=[LineString([xy(0, y_km), xy(length_km, y_km)])], crs=CRS)


def no_roads():
    return gpd.GeoDataFrame({"road_class": [], "name_zh": [], "route_ref": []}, geometry=[], crs=CRS)


def plan_belts(parks, *, poles=None, params=None, corridors=None, **kw):
    """Belts of ``parks`` along one straight 600 km HSR line, with a 市级 pole at each park's seat (or ``poles``)."""
    parks = gpd.GeoDataFrame(parks, geometry="geometry", crs=CRS)
    p = params or BeltParams(**kw)
    corridors = corridors if corridors is not None else transport_corridors(rail(), no_roads(), crs=CRS, params=p)
    if poles is None:
        poles = [(r["county_adcode"], r["prefecture_zh"], Point(r["geometry"].centroid.x, Y0 + 5_000), "市级")
                 for _, r in parks.iterrows()]
    nodes = gpd.GeoDataFrame({"adcode": [a for a, *_ in poles], "name_zh": [f"县{a}" for a, *_ in poles],
                              "prefecture_zh": [pr for _, pr, *_ in poles], "tier": [t for *_, t in poles]},
                             geometry=[g for _, _, g, _ in poles], crs=CRS)
    counties = pd.DataFrame({"adcode": parks["county_adcode"], "name_zh": "县" + parks["county_adcode"],
                             "prefecture_zh": parks["prefecture_zh"]})
    hub = pd.Series(1.0, index=parks["county_adcode"])
    return find_belts(corridors, parks, nodes=nodes, hub_access=hub, sectors=SECTORS, params=p, counties=counties)


# --------------------------------------------------------------------------- the building blocks


def test_kernel_profile_is_a_quartic_kernel_that_keeps_the_mass():
    x, f = kernel_profile([100.0, 160.0], [4.0, 6.0], length_km=300.0, bandwidth_km=20.0, step_km=1.0)
    assert len(x) == 301 and x[-1] == 300.0
    assert f[100] == pytest.approx(4.0 * 15 / 16 / 20)  # the kernel's peak
    assert f[110] == pytest.approx(4.0 * 15 / 16 * (1 - 0.25) ** 2 / 20)
    assert f[120] == 0.0 and f[79] == 0.0 and f[181] == 0.0  # compact support: zero beyond the radius
    assert f.sum() * 1.0 == pytest.approx(10.0, rel=1e-3)  # the profile integrates to the total mass


def test_above_intervals_interpolate_their_ends():
    x = np.arange(0.0, 11.0)
    f = np.array([0, 0, 1, 3, 3, 1, 0, 0, 2.5, 2.5, 2], dtype=float)
    # above, not at: the last sample (2) ends the second interval where the line from 2.5 to 2 reaches 2
    assert above_intervals(x, f, 2.0) == [(pytest.approx(2.5), pytest.approx(4.5)), (pytest.approx(7.8), 10.0)]
    assert above_intervals(x, f, 5.0) == []


def test_gap_allowance_scales_with_the_stretches_it_joins():
    # 60 km gap: allowed max(40, 0.25 × (100 + 100) = 50): no; max(40, 0.25 × (150 + 100) = 62.5): yes
    assert bridge_gaps([(0, 100), (160, 260)], gap_km=40, gap_share=0.25) == [(0, 100, 100), (160, 260, 100)]
    assert bridge_gaps([(0, 150), (210, 310)], gap_km=40, gap_share=0.25) == [(0, 310, 250)]
    # the smallest gap first: the 35 km gap joins, then the joined 230 km bridges the 60 km gap
    assert bridge_gaps([(0, 100), (135, 230), (290, 300)], gap_km=40, gap_share=0.25) == [(0, 300, 205)]
    assert bridge_gaps([], gap_km=40) == []


def test_interval_overlap_and_park_runs():
    assert interval_overlap((0, 100), (0, 100)) == 1.0
    assert interval_overlap((0, 100), (10, 100)) == pytest.approx(0.9)
    assert interval_overlap((0, 100), (100, 200)) == 0.0
    assert park_runs([0, 30, 60, 120, 150], 40) == [(0, 2), (3, 4)]


def test_line_names():
    assert short_name("京广高速铁路(河南段)", "hsr") == "京广高铁"
    assert short_name("郑焦城际铁路", "intercity") == "郑焦城际"
    assert short_name("京广铁路(河南段)", "conventional") == "京广铁路"
    assert short_name("京港澳高速", "expressway", "G4") == "G4"
    assert name_stem("郑万高速铁路(郑渝高铁)河南段") == "郑万" and name_stem("京港澳高速") == "京港澳"
    assert english_stem("Beijing-Guangzhou High-Speed Railway (Henan section)") == "Beijing-Guangzhou"
    assert english_stem("Zhengzhou-Taiyuan HSR, Taiyuan-Jiaozuo section (Henan part)") == "Zhengzhou-Taiyuan"
    members = pd.DataFrame({"line_id": ["G4", "conv", "hsr"], "mode": ["expressway", "conventional", "hsr"],
                            "length_km": [492.0, 485.0, 461.0], "short_zh": ["G4", "京广铁路", "京广高铁"],
                            "stem_zh": ["京港澳", "京广", "京广"], "stem_en": ["Beijing–HK–Macau", "Beijing-Guangzhou",
                                                                         "Beijing-Guangzhou"]})
    zh, en, stem, _ = corridor_name(members, "G4")
    assert zh == "京广通道 (京广高铁·京广铁路·G4)" and en == "Beijing-Guangzhou corridor" and stem == "京广"


# --------------------------------------------------------------------------- corridors


def test_a_parallel_hsr_and_expressway_are_one_corridor_and_give_one_belt():
    hsr = rail(400.0)
    roads = gpd.GeoDataFrame({"road_class": ["expressway", "arterial"], "name_zh": ["测试高速", "国道"],
                              "name_en": ["Test Expressway", "Trunk"], "route_ref": ["G99", "G999"]},
                             geometry=[LineString([xy(5, 3), xy(395, 3)]), LineString([xy(0, 1), xy(400, 1)])],
                             crs=CRS)
    corridors = transport_corridors(hsr, roads, crs=CRS)
    assert len(corridors) == 1  # the arterial road is no corridor member
    c = corridors.iloc[0]
    assert c["modes"] == "hsr;expressway" and c["members"] == "hsr_test;G99"
    assert c["name_zh"] == "测试通道 (测试高铁·G99)" and c["reference"] == "hsr_test"
    parks = [park("1", 50, "A"), park("2", 80, "A"), park("3", 110, "B"), park("4", 170, "C"), park("5", 200, "C"),
             park("6", 250, "D")]
    out = plan_belts(parks, corridors=corridors)
    assert len(out.belts) == 1 and out.belts.iloc[0]["corridor"] == c["name_zh"]


def test_a_short_line_touching_two_routes_does_not_weld_them():
    # an east–west and a north–south line cross at (300, 0); a 20 km link runs half along each
    ew = rail(600.0, line_id="ew", name="东西铁路")
    ns = gpd.GeoDataFrame({"line_id": ["ns"], "name_zh": ["南北铁路"], "rail_class": ["conventional"]},
                          geometry=[LineString([xy(300, -300), xy(300, 300)])], crs=CRS)
    link = gpd.GeoDataFrame({"line_id": ["link"], "name_zh": ["联络线"], "rail_class": ["intercity"]},
                            geometry=[LineString([xy(290, 0.5), xy(299.5, 0.5), xy(299.5, 10)])], crs=CRS)
    lines = transport_lines(pd.concat([ew, ns, link], ignore_index=True), None, crs=CRS)
    corridors = build_corridors(lines)
    assert len(corridors) == 2
    members = sorted(corridors["members"])
    assert members in (["ew;link", "ns"], ["ew", "link;ns"])  # the link joins one route, never both


def test_a_multi_part_reference_line_gives_a_corridor_per_part():
    two = gpd.GeoDataFrame({"line_id": ["jj", "jj"], "name_zh": ["京九铁路", "京九铁路"], "rail_class": "conventional"},
                           geometry=[LineString([xy(0, 0), xy(100, 0)]), LineString([xy(200, 0), xy(260, 0)])],
                           crs=CRS)
    corridors = build_corridors(transport_lines(two, None, crs=CRS), min_part_km=20)
    assert list(corridors["corridor_id"]) == ["jj#1", "jj#2"] and list(corridors["length_km"]) == [100.0, 60.0]


# --------------------------------------------------------------------------- belts


def test_one_belt_along_a_corridor_spans_its_parks():
    # parks at 50 … 250 km in four prefectures; 市级 poles at their seats
    parks = [park("1", 50, "A"), park("2", 80, "A"), park("3", 110, "B"), park("4", 170, "C"), park("5", 200, "C"),
             park("6", 250, "D")]
    out = plan_belts(parks)
    b = out.belts
    assert len(b) == 1
    belt = b.iloc[0]
    h = BeltParams().bandwidth_km
    assert 50 - h <= belt["start_km"] <= 50 and 250 <= belt["end_km"] <= 250 + h  # the parks' span ± the bandwidth
    assert belt["members"] == "1;2;3;4;5;6" and belt["n_prefectures"] == 4 and belt["prefectures"] == "A、B、C、D"
    assert belt["kind"] == "sector" and belt["sector"] == "auto" and belt["name_zh"] == "测试汽车产业带"
    assert belt["corridor"] == "测试通道 (测试高铁)" and belt["modes"] == "hsr"
    assert belt["n_poles"] == 6 and belt["mass"] == pytest.approx(24.0) and belt["accessibility"] == 1.0
    # the threshold is the sector's mean density along the corridors: 24 over 600 km
    assert out.report["densities"]["auto"] == pytest.approx(24.0 / 600.0, abs=1e-4)
    # continuity: the profile lies above the threshold except in the gaps 110–170 and 200–250
    assert 0.6 < belt["continuity"] < 0.95
    assert belt["score"] == pytest.approx(belt["mass"] * belt["continuity"] * belt["accessibility"], rel=1e-3)
    # the segment (集群段): parks 1–3 are ≤ 40 km apart in three counties; 4–5 are two parks only
    seg = out.segments
    assert list(seg["members"]) == ["1;2;3"] and seg.iloc[0]["belt_id"] == belt["belt_id"]
    assert belt["n_segments"] == 1 and belt["segments"].startswith("县c1—县c3")
    line = b.to_crs(CRS).geometry.iloc[0]
    assert line.length / 1000 == pytest.approx(belt["length_km"], abs=0.01)
    assert out.belt_corridors.to_crs(CRS).geometry.iloc[0].area == pytest.approx(
        line.buffer(15_000, quad_segs=8).area, rel=1e-6)


def test_a_gap_longer_than_the_allowance_splits_the_belt():
    west = [park("1", 50, "A"), park("2", 80, "A"), park("3", 110, "B"), park("4", 140, "C")]
    east = [park("5", 350, "D"), park("6", 380, "D"), park("7", 410, "E"), park("8", 440, "F")]
    out = plan_belts(west + east)
    b = out.belts.sort_values("start_km")
    assert len(b) == 2
    assert list(b["members"]) == ["1;2;3;4", "5;6;7;8"]
    assert b.iloc[0]["end_km"] < 160 and b.iloc[1]["start_km"] > 330
    assert b["name_zh"].is_unique and b.iloc[0]["name_zh"] == "测试汽车产业带（A—C段）"
    # with the east cluster reduced to two parks, its side is dropped, not joined
    short = plan_belts(west + east[:2])
    assert list(short.belts["members"]) == ["1;2;3;4"] and short.report["rejected"]["parks"] >= 1


def test_identical_stretches_of_two_sectors_are_one_belt():
    parks = [park(str(i), x, pr, "auto;food") for i, (x, pr) in
             enumerate([(50, "A"), (80, "A"), (110, "B"), (140, "C"), (170, "C")], start=1)]
    out = plan_belts(parks)
    assert len(out.belts) == 1 and out.report["merged"] == 1
    belt = out.belts.iloc[0]
    assert belt["sector"] == "auto" and belt["sectors"] == "auto;food"  # auto carries 0.6 of each park, food 0.4
    assert belt["other_sectors"] == "food" and belt["sector_shares"] == "汽车 60%、食品 40%"
    assert belt["name_zh"] == "测试汽车·食品产业带"
    assert belt["mass"] == pytest.approx(20.0)


def test_co_located_advanced_sectors_make_a_multi_sector_corridor():
    sectors = ["auto", "electronics"] * 4
    parks = [park(str(i), 50 + 30 * i, "ABCD"[i // 2], sectors[i]) for i in range(8)]
    out = plan_belts(parks)
    assert len(out.belts) == 1  # the single-sector stretches are near-identical: merged into the corridor
    belt = out.belts.iloc[0]
    assert belt["kind"] == "multi" and belt["sector"] == ADVANCED and belt["name_zh"] == "测试先进制造业走廊"
    assert set(belt["sectors"].split(";")) == {"auto", "electronics"} and belt["n_prefectures"] == 4
    assert set(belt["other_sectors"].split(";")) == {"auto", "electronics"}  # every sector besides ADVANCED
    assert belt["lead_sector"] in {"auto", "electronics"}
    # one advanced sector alone is no multi-sector corridor
    alone = plan_belts([dict(p, sectors="auto", lead_sector="auto") for p in parks])
    assert list(alone.belts["kind"]) == ["sector"]


def test_a_belt_threads_poles_of_two_prefectures_and_spans_three_or_150_km():
    parks = [park("1", 50, "A"), park("2", 80, "A"), park("3", 110, "B"), park("4", 140, "C")]
    only_a = [("c1", "A", Point(xy(50, 5)), "省级"), ("c2", "A", Point(xy(80, 5)), "市级"),
              ("c3", "B", Point(xy(110, 5)), "县级")]
    assert len(plan_belts(parks, poles=only_a).belts) == 0  # county-tier poles do not count
    assert len(plan_belts(parks, poles=only_a, pole_tiers=["国家级", "省级", "市级", "县级"]).belts) == 1
    assert len(plan_belts(parks, poles=only_a, min_pole_prefectures=1).belts) == 1
    # three parks in two prefectures over ~90 km: too small for a province; a city-scale study lowers the bar
    small = parks[:3]
    assert len(plan_belts(small, unit="fixed").belts) == 0
    assert len(plan_belts(small, unit="fixed", min_prefectures=2).belts) == 1
    assert len(plan_belts(small, unit="fixed", min_length_km=80).belts) == 1
    # by default a study area of fewer prefectures than min_prefectures counts counties: three here
    auto = plan_belts(small)
    assert len(auto.belts) == 1 and auto.report["unit_counted"] == "county"
    assert auto.belts["prefectures"].iloc[0].count("、") == 2  # the three counties it spans
    assert plan_belts(parks).report["unit_counted"] == "prefecture"  # three prefectures: the provincial rule


def test_bad_belt_parameters_are_config_errors():
    for bad in ({"bandwidth_km": 0.0}, {"gap_share": 2.0}, {"merge_overlap": 0.0}, {"pole_tiers": ["顶级"]},
                {"step_km": 50.0}, {"min_parks": 0}, {"threshold": float("nan")}):
        with pytest.raises(sp.ConfigError, match="belts."):
            check_params(BeltParams(**bad))
    with pytest.raises(sp.ConfigError, match="belts.threshold"):
        config_from_dict({"belts": {"threshold": -1.0}}, source="t.toml")
    with pytest.raises(sp.ConfigError, match="belts.pole_tiers"):
        config_from_dict({"belts": {"pole_tiers": ["顶级"]}}, source="t.toml")
    cfg = config_from_dict({"belts": {"min_prefectures": 1, "min_length_km": 30.0, "pole_tiers": ["国家级"]}})
    assert cfg.belts.min_prefectures == 1 and cfg.belts.pole_tiers == ["国家级"]
