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
    assert t["between"] + t["within"] == pytest.approx(t["total"])
    assert t["total"] > 0 and 0 < t["between_share"] < 1
    one = pd.Series([0.0, 0.0, 6.0])
    assert theil(one)["total"] == pytest.approx(np.log(3))  # all in one of three units
    assert gini(pd.Series([1.0, 1.0, 1.0, 1.0])) == pytest.approx(0.0)
    assert gini(pd.Series([0.0, 0.0, 0.0, 8.0])) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        theil(pd.Series([1.0, -1.0]))


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
