"""Industrial-structure indices with known answers."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

import spatial_planner as sp
from spatial_planner.analysis.indices import (
    cosine_similarity,
    gini,
    industry_table_from_csv,
    industry_table_from_parks,
    isomorphism_pairs,
    krugman_dissimilarity,
    krugman_specialisation,
    land_productivity,
    location_quotient,
    park_mass,
    theil,
)

T = pd.DataFrame({"auto": [10.0, 0.0, 5.0], "food": [0.0, 10.0, 5.0]}, index=["a", "b", "c"])


def test_identical_structures_have_similarity_one_and_orthogonal_zero():
    sim = cosine_similarity(pd.DataFrame({"x": [1.0, 2.0, 1.0], "y": [2.0, 4.0, 0.0]}, index=list("pqr")))
    assert sim.loc["p", "q"] == pytest.approx(1.0)  # same proportions, different size
    s = cosine_similarity(T)
    assert s.loc["a", "b"] == pytest.approx(0.0)
    assert s.loc["a", "c"] == pytest.approx(np.sqrt(0.5))
    d = krugman_dissimilarity(T)
    assert d.loc["a", "b"] == pytest.approx(2.0) and d.loc["a", "a"] == 0.0 and d.loc["a", "c"] == pytest.approx(1.0)


def test_location_quotient_and_specialisation():
    lq = location_quotient(T)
    # a: 100 % auto, region 50 % auto → LQ 2
    assert lq.loc["a", "auto"] == pytest.approx(2.0) and lq.loc["a", "food"] == 0.0
    assert lq.loc["c", "auto"] == pytest.approx(1.0)
    k = krugman_specialisation(T)
    # a against the rest (b + c: 5 auto, 15 food): |1 − 0.25| + |0 − 0.75| = 1.5
    assert k["a"] == pytest.approx(1.5)
    assert k["c"] == pytest.approx(0.0)  # c against a + b: 50/50 like c


def test_theil_zero_for_equal_and_parts_sum():
    assert theil(pd.Series([3.0, 3.0, 3.0]))["total"] == pytest.approx(0.0)
    y = pd.Series([1.0, 2.0, 3.0, 10.0, 0.0, 4.0])
    g = pd.Series(["p", "p", "q", "q", "r", "r"])
    t = theil(y, g)
    assert t["total"] > 0 and 0 < t["between_share"] < 1
    # known answer: all in one unit of four, two groups of two → T = ln 4, between = within = ln 2
    k = theil(pd.Series([0.0, 0.0, 0.0, 4.0]), pd.Series(["a", "a", "b", "b"]))
    assert k["total"] == pytest.approx(np.log(4)) and k["between"] == pytest.approx(np.log(2))
    assert k["within"] == pytest.approx(np.log(2))
    one = pd.Series([0.0, 0.0, 6.0])
    assert theil(one)["total"] == pytest.approx(np.log(3))  # all in one of three units
    assert gini(pd.Series([1.0, 1.0, 1.0, 1.0])) == pytest.approx(0.0)
    assert gini(pd.Series([0.0, 0.0, 0.0, 8.0])) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        theil(pd.Series([1.0, -1.0]))


@pytest.mark.parametrize("seed", range(5))
def test_theil_equals_pysal_inequality(seed):
    """PySAL's ``inequality`` (Theil T and its between/within decomposition) as an independent oracle."""
    theil_pysal = pytest.importorskip("inequality.theil")
    rng = np.random.default_rng(seed)
    y = rng.lognormal(1.0, 1.2, 157)
    y[rng.random(157) < 0.1] = 0.0  # counties with none of the factor
    g = rng.integers(0, 18, 157)
    ours = theil(pd.Series(y), pd.Series(g))
    ref = theil_pysal.TheilD(y, g)
    assert ours["total"] == pytest.approx(float(theil_pysal.Theil(y).T), rel=1e-12)
    assert ours["total"] == pytest.approx(float(np.squeeze(ref.T)), rel=1e-12)
    assert ours["between"] == pytest.approx(float(np.squeeze(ref.bg)), rel=1e-12)
    assert ours["within"] == pytest.approx(float(np.squeeze(ref.wg)), rel=1e-12)


def test_park_proxy_table_and_provenance():
    parks = pd.DataFrame({"park_id": ["p1", "p2", "p3"], "county_adcode": ["1", "1", "2"],
                          "level": ["national", "provincial", "municipal"],
                          "sectors": ["auto;food;chemicals", "food", "auto;food"], "area_km2": [10.0, None, 5.0]})
    m = park_mass(parks)
    assert list(m) == [20.0, 10.0, 3.0]  # 10×2; default 10 km²×1; 5×0.6
    t = industry_table_from_parks(parks, index=pd.Index(["1", "2", "3"]))
    assert t.attrs["provenance"] == "proxy"
    assert t.loc["1", "auto"] == pytest.approx(10.0) and t.loc["1", "food"] == pytest.approx(6.0 + 10.0)
    assert t.loc["2", "auto"] == pytest.approx(1.8) and t.loc["3"].sum() == 0.0
    assert t.sum().sum() == pytest.approx(m.sum())


def test_statistics_csv_wide_and_long(tmp_path):
    wide = tmp_path / "w.csv"
    wide.write_text("adcode,auto,food\n410102,5,1\n410103,0,2\n", encoding="utf-8")
    t = industry_table_from_csv(wide)
    assert t.attrs["provenance"] == "statistics" and t.loc["410102", "auto"] == 5.0
    long = tmp_path / "l.csv"
    long.write_bytes("adcode,sector,value\n410102,auto,5\n410102,food,1\n".encode("gbk"))
    assert industry_table_from_csv(long).loc["410102", "food"] == 1.0
    bad = tmp_path / "b.csv"
    bad.write_text("adcode,auto\n410102,-3\n", encoding="utf-8")
    with pytest.raises(sp.DataFileError, match="negative"):
        industry_table_from_csv(bad)
    nan = tmp_path / "n.csv"
    nan.write_text("adcode,auto\n410102,\n", encoding="utf-8")
    with pytest.raises(sp.DataFileError, match="auto"):
        industry_table_from_csv(nan)


def test_isomorphism_pairs_need_similarity_and_proximity():
    seats = gpd.GeoDataFrame({"adcode": ["a", "b", "c"], "name_zh": ["甲", "乙", "丙"]},
                             geometry=[Point(0, 0), Point(1, 0), Point(2, 0)], crs=4490)
    table = pd.DataFrame({"auto": [5.0, 10.0, 0.0], "food": [1.0, 2.0, 3.0]}, index=["a", "b", "c"])
    sim = cosine_similarity(table)
    out = isomorphism_pairs(seats, sim, threshold=0.9, neighbours={("a", "b"), ("b", "c")})
    assert list(zip(out["a"], out["b"])) == [("a", "b")]
    assert out["similarity"].iloc[0] == pytest.approx(1.0)
    times = pd.DataFrame([[0, 90, 30], [90, 0, 20], [30, 20, 0]], index=list("abc"), columns=list("abc"), dtype=float)
    assert len(isomorphism_pairs(seats, sim, threshold=0.9, times=times, max_minutes=60)) == 0  # a–b too far apart


def test_land_productivity_flags_against_level():
    parks = pd.DataFrame({"park_id": ["p1", "p2"], "level": ["national", "municipal"], "sectors": ["food", "food"],
                          "area_km2": [100.0, 5.0]})
    out = land_productivity(parks)
    # food 50 × sprawl (20/100)^0.25 ≈ 33.4 < 60 for a national zone; municipal 50 ≥ 25
    assert out.loc["p1", "productivity"] == pytest.approx(50 * (0.2 ** 0.25), abs=0.01)
    assert bool(out.loc["p1", "low_productivity"]) and not bool(out.loc["p2", "low_productivity"])
    stats = land_productivity(parks, output=pd.Series({"p1": 9000.0, "p2": 50.0}))
    assert stats.loc["p1", "productivity"] == 90.0 and stats["provenance"].iloc[0] == "statistics"
    assert bool(stats.loc["p2", "low_productivity"])


def _parks():
    return pd.DataFrame({
        "park_id": ["p1", "p2", "p3", "p4"], "county_adcode": ["a", "a", "b", "c"],
        "level": ["national", "provincial", "provincial", "municipal"],
        "sectors": ["auto;food", "auto", "food", "auto"], "area_km2": [10.0, 20.0, 5.0, 8.0],
    })


def test_one_industry_table_from_the_park_proxy():
    from spatial_planner.analysis.indices import industry_table

    parks = _parks()
    ind = industry_table(parks, ["a", "b", "c", "d"])
    assert ind.provenance == "proxy"
    pd.testing.assert_frame_equal(ind.counties, industry_table_from_parks(parks, index=pd.Index(["a", "b", "c", "d"])))
    # p1: 10 km² × 2.0 split 0.6 / 0.4; p2: 20 × 1.0; p4: 8 × 0.6
    assert ind.counties.loc["a", "auto"] == pytest.approx(12.0 + 20.0) and ind.counties.loc["d"].sum() == 0.0
    assert ind.park_mass.to_dict() == pytest.approx({"p1": 20.0, "p2": 20.0, "p3": 5.0, "p4": 4.8})
    assert ind.mass.to_dict() == pytest.approx({"a": 40.0, "b": 5.0, "c": 4.8, "d": 0.0})


def test_statistics_reach_every_park_through_its_share_of_the_county():
    from spatial_planner.analysis.indices import industry_table

    parks = _parks()
    stats = pd.DataFrame({"auto": [64.0, 0.0, 3.0], "food": [10.0, 7.0, 0.0]}, index=["a", "b", "c"])
    ind = industry_table(parks, ["a", "b", "c"], stats)
    assert ind.provenance == "statistics"
    by = ind.parks.set_index(["park_id", "sector"])["mass"]
    # county a's 64 of auto split by proxy shares 12 : 20 between p1 and p2
    assert by[("p1", "auto")] == pytest.approx(64.0 * 12 / 32) and by[("p2", "auto")] == pytest.approx(64.0 * 20 / 32)
    assert by[("p1", "food")] == pytest.approx(10.0) and by[("p3", "food")] == pytest.approx(7.0)
    assert by[("p4", "auto")] == pytest.approx(3.0)
    assert ind.park_mass["p1"] == pytest.approx(24.0 + 10.0)
    # what the county statistics say is what the parks of each county and sector add up to
    sums = ind.parks.groupby(["county_adcode", "sector"])["mass"].sum()
    for (county, sector), value in sums.items():
        assert value == pytest.approx(stats.loc[county, sector])


def test_belts_and_clusters_read_the_industry_table():
    from shapely.geometry import LineString

    from spatial_planner.analysis.belts import BeltParams, find_belts
    from spatial_planner.analysis.clusters import ClusterParams, cross_county_clusters
    from spatial_planner.analysis.indices import industry_table
    from spatial_planner.io import read_sectors

    parks = _parks().assign(lead_sector=["auto", "auto", "food", "auto"], name_zh=["甲", "乙", "丙", "丁"])
    stats = pd.DataFrame({"auto": [100.0, 0.0, 50.0], "food": [0.0, 0.0, 0.0]}, index=["a", "b", "c"])
    ind = industry_table(parks, ["a", "b", "c"], stats)
    geo = gpd.GeoDataFrame(parks, geometry=[Point(113 + i / 50, 34).buffer(0.01) for i in range(4)], crs=4490)
    corridor = gpd.GeoDataFrame({"corridor_id": ["L"], "name_zh": ["测试通道 (测试铁路)"], "stem_zh": ["测试"],
                                 "stem_en": ["Test"], "modes": ["conventional"], "length_km": [40.0]},
                                geometry=[LineString([(112.99, 34.0), (113.07, 34.0)])], crs=4490).to_crs("EPSG:4547")
    corridor["length_km"] = corridor.length / 1000.0
    belts = find_belts(corridor, geo.assign(prefecture_zh=["甲市", "甲市", "乙市", "丙市"]), nodes=None,
                       hub_access=pd.Series(1.0, index=["a", "b", "c"]), sectors=read_sectors(), industry=ind,
                       params=BeltParams(threshold=0.0, min_parks=3, min_prefectures=2)).belts
    assert belts.loc[belts["sector"] == "auto", "mass"].item() == pytest.approx(150.0)  # not the proxy's 36.8
    times = pd.DataFrame(10.0, index=parks["park_id"], columns=parks["park_id"])
    clusters = cross_county_clusters(geo, times, params=ClusterParams(), mass=ind.park_mass, metric_crs="EPSG:4547")
    assert clusters.loc[clusters["sector"] == "auto", "mass"].item() == pytest.approx(150.0)


def test_county_totals_are_split_by_the_parks_sectors(henan):
    from spatial_planner.analysis.indices import industry_table, industry_table_from_csv

    parks = henan["parks"]
    codes = henan["counties"]["adcode"].astype(str)
    totals = pd.DataFrame({"adcode": codes, "name_zh": henan["counties"]["name_zh"],
                           "secondary_100m_yuan": np.arange(len(codes), dtype=float) + 1.0})
    stats = industry_table_from_csv(totals)
    assert stats.attrs["kind"] == "totals" and list(stats.columns) == ["secondary_100m_yuan"]
    table = industry_table(parks, codes, stats)
    proxy = industry_table(parks, codes)
    weight = pd.Series(totals["secondary_100m_yuan"].to_numpy(), index=codes)
    assert table.provenance == "statistics"
    pd.testing.assert_series_equal(table.mass, weight.rename("mass"), check_names=False)
    with_parks = proxy.counties.sum(axis=1) > 0
    # a county with parks: its total, shared as its parks' proxy masses are
    share = proxy.counties[with_parks].div(proxy.counties[with_parks].sum(axis=1), axis=0)
    np.testing.assert_allclose(table.counties[with_parks], share.mul(weight[with_parks], axis=0), rtol=1e-12)
    # a county without parks keeps its weight for nodes and linkages but has no sector
    assert (table.counties[~with_parks].to_numpy() == 0).all() and (table.mass[~with_parks] > 0).all()
    # each park carries its county's sector value in proportion to its proxy mass
    zz = table.parks[table.parks["county_adcode"] == "410184"]
    assert abs(zz["mass"].sum() - weight["410184"]) < 1e-9


def test_builtin_statistics_cover_a_part_and_not_someone_elses_counties(henan):
    from spatial_planner.config import Config
    from spatial_planner.pipeline import industry_of

    part = {k: v for k, v in henan.items()}
    part["counties"] = henan["counties"][henan["counties"]["prefecture_zh"] == "郑州市"]
    ind = industry_of(part, Config())
    assert ind.provenance == "statistics" and ind.counties.attrs["coverage"] == {"published": 1, "rescaled": 11}
    other = dict(part)
    other["counties"] = part["counties"].assign(adcode=["99" + a[2:] for a in part["counties"]["adcode"]])
    with pytest.warns(sp.DataWarning, match="park proxy"):
        assert industry_of(other, Config()).provenance == "proxy"
