"""The network as of a year, and what it changed between two years."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import spatial_planner as sp
from spatial_planner.config import Config
from spatial_planner.io import load_henan
from spatial_planner.io.area import network_as_of
from spatial_planner.pipeline import compare_years


def test_network_as_of_leaves_out_what_opened_later():
    layers = load_henan()
    rail, roads, stations = layers["rail_lines"], layers["roads"], layers["stations"]
    note = network_as_of(layers, 2010)
    later = set(rail.loc[pd.to_numeric(rail["opened"]) > 2010, "line_id"])
    assert {"hsr_jingguang", "hsr_zhengxu", "hsr_zhengwan", "ic_zhengkai"} <= later
    assert set(layers["rail_lines"]["line_id"]) == set(rail["line_id"]) - later
    assert "hsr_zhengxi" in set(layers["rail_lines"]["line_id"])  # opened 2010
    opened_later = pd.to_numeric(roads["opened"]) > 2010
    fast = roads["road_class"].isin(["expressway", "provincial_expressway", "motorway"])
    assert set(layers["roads"]["road_id"]) == set(roads.loc[~opened_later | fast, "road_id"])
    # an expressway not yet open is the ordinary road its traffic used: a second-class road, flagged schematic
    older = layers["roads"].set_index("road_id").loc[sorted(set(roads.loc[opened_later & fast, "road_id"]))]
    assert len(older) and (older["road_class"] == "second_class").all() and (older["design_speed_kmh"] == 60).all()
    assert (older["geometry_quality"] == "schematic").all() and older["name_zh"].str.endswith("（通车前：按二级公路）").all()
    assert f"{len(older)} 段按通车前的二级公路" in note
    # a station goes when every line it lies on does
    gone = {s for s, ls in zip(stations["station_id"], stations["lines"])
            if ls and all(x in later for x in ls.split(";"))}
    assert gone and set(layers["stations"]["station_id"]) == set(stations["station_id"]) - gone
    assert "2010" in note and f"rail_lines {len(later)}" in note
    assert network_as_of(load_henan(), 2100) is None  # nothing opened later: nothing to say


def test_plan_runs_on_an_earlier_network(tmp_path):
    cfg = Config()
    cfg.study_area.area = ["开封市"]
    cfg.network.year = 2012
    res = sp.run(cfg, out_dir=tmp_path / "kf")
    assert any("2012" in w for w in res.warnings)
    lines = set(res.layers["rail_lines"]["line_id"])
    assert "hsr_zhengxu" not in lines and "conv_longhai" in lines  # 郑徐 opened 2016


@pytest.fixture(scope="module")
def zhengzhou_gains(tmp_path_factory):
    cfg = Config()
    cfg.study_area.area = ["郑州市"]
    out = tmp_path_factory.mktemp("cmp")
    gains, written, notes = compare_years([2024, 2010], cfg, out_dir=out)
    return gains, written, notes


def test_compare_years_gains_never_negative(zhengzhou_gains):
    """The network only grows between the years, so no time can get longer and no potential smaller."""
    gains, _, _ = zhengzhou_gains
    assert len(gains) == 12 and list(gains.columns[:3]) == ["adcode", "name_zh", "prefecture_zh"]
    for col in ("to_hsr_saved", "to_airport_saved", "to_prefecture_saved"):
        assert (gains[col] >= -1e-6).all(), col
    assert (gains["potential_gain_pct"] >= -1e-6).all()
    # 郑州航空港 (2022) and 郑州东 (the 米 network) came after 2010; 郑州 and the 郑西 stations were there
    hsr = gains.set_index("name_zh")["to_hsr_saved"]
    assert hsr["新郑市"] > 10 and hsr["中牟县"] > 5 and hsr["巩义市"] == 0 and (hsr > 1).sum() >= 3
    # 登封 got onto an expressway (S60 商登, 2017; before it, a second-class road on its line): the largest gain
    # in potential, well ahead of the city centre
    assert gains["name_zh"].iloc[0] == "登封市" and gains["potential_gain_pct"].iloc[0] > 25
    assert gains["potential_gain_pct"].iloc[0] > 2 * gains.set_index("name_zh").loc["金水区", "potential_gain_pct"]
    assert np.allclose(gains["to_hsr_saved"], gains["to_hsr_2010"] - gains["to_hsr_2024"], atol=0.011)
    assert gains["potential_gain_pct"].is_monotonic_decreasing


def test_compare_years_writes_its_table_report_and_map(zhengzhou_gains):
    gains, written, notes = zhengzhou_gains
    assert set(written) == {"compare.csv", "compare.md", "compare_map.html"}
    table = pd.read_csv(written["compare.csv"], dtype={"adcode": str}, encoding="utf-8-sig")
    assert table["adcode"].tolist() == gains["adcode"].tolist()
    md = written["compare.md"].read_text(encoding="utf-8")
    assert md.startswith("# 郑州市 路网变化的可达性效果 2010→2024") and gains["name_zh"].iloc[0] in md
    html = written["compare_map.html"].read_text(encoding="utf-8")
    assert "路网变化带来的可达性提升 2010→2024" in html and "© OpenStreetMap contributors" in html
    assert any("2010" in n for n in notes)


def test_compare_needs_two_years():
    with pytest.raises(sp.ConfigError, match="two or more years"):
        compare_years([2020, 2020])
