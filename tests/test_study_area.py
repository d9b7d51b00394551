"""A study area of any size: part of the built-in data by name, the network clipped around it, never rejected."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import spatial_planner as sp
from spatial_planner.config import Config, LayerSource
from spatial_planner.io import load_henan
from spatial_planner.io.area import clip_network, resolve_area, select_area
from spatial_planner.pipeline import load_network, run
from spatial_planner.validate import validate_layers

ZHENGZHOU = {"410102", "410103", "410104", "410105", "410106", "410108", "410122", "410181", "410182", "410183",
             "410184", "410185"}


def test_resolve_area_by_prefecture_county_code_or_english(henan):
    counties = henan["counties"]
    assert set(resolve_area(counties, ["郑州市"])) == ZHENGZHOU
    assert set(resolve_area(counties, ["郑州"])) == ZHENGZHOU
    assert set(resolve_area(counties, ["410100"])) == ZHENGZHOU
    assert resolve_area(counties, ["中牟县", "410122"]) == ["410122"]
    assert len(resolve_area(counties, ["Luoyang", "济源市"])) == 16  # 15 units of Luoyang + 济源
    with pytest.raises(sp.ConfigError, match="郑洲市") as err:
        resolve_area(counties, ["郑洲市"])
    assert "郑州市" in str(err.value)  # the fix lists the known prefectures


def test_select_area_keeps_the_plan_layers_of_the_area_and_clips_the_network():
    layers = load_henan()
    sel = select_area(layers, ["郑州市"], buffer_km=50)
    assert set(layers["counties"]["adcode"]) == ZHENGZHOU and len(layers["seats"]) == 12
    assert set(layers["parks"]["county_adcode"]) <= ZHENGZHOU and len(layers["parks"]) == 9
    assert list(layers["prefectures"]["name_zh"]) == ["郑州市"]
    assert sel.name_zh == "郑州市" and layers["boundary"]["name_zh"].iloc[0] == "郑州市"
    area = layers["boundary"].to_crs("EPSG:4547").geometry.iloc[0]
    for name in ("roads", "rail_lines", "stations", "hubs"):
        g = layers[name].to_crs("EPSG:4547")
        assert len(g) and g.within(area.buffer(50_001)).all(), name
    # lines are cut at the buffer's edge, not dropped: G4 runs on beyond the city and is kept, shorter
    g4 = layers["roads"].set_index("road_id").loc["G4"]
    assert 80_000 < gpd.GeoSeries([g4.geometry], crs=4490).to_crs(4547).length.iloc[0] < 200_000
    # a hub in the buffer stays usable: western Zhengzhou is closer to Luoyang's airport than most of Henan
    assert {"AP_CGO", "AP_LYA"} <= set(layers["hubs"]["hub_id"]) and "AP_NNY" not in set(layers["hubs"]["hub_id"])
    dropped = {k: d for k, (_, d) in sel.clipped.items()}
    assert dropped["stations"] > 50 and dropped["hubs"] > 10
    assert "50 公里" in sel.note(50) and "roads" in sel.note(50)


def test_network_layers_beyond_the_area_are_never_errors():
    layers = load_henan()
    layers["counties"] = layers["counties"][layers["counties"]["adcode"].isin(ZHENGZHOU)]
    layers["boundary"] = gpd.GeoDataFrame({"adcode": ["x"], "name_zh": ["郑州"]},
                                          geometry=[shapely.union_all(layers["counties"].geometry.values)], crs=4490)
    layers["prefectures"] = layers["prefectures"][layers["prefectures"]["adcode"] == "410100"]
    layers["seats"] = layers["seats"][layers["seats"]["adcode"].isin(ZHENGZHOU)]
    layers["parks"] = layers["parks"][layers["parks"]["county_adcode"].isin(ZHENGZHOU)]
    validate_layers(layers)  # the whole province's roads, rail, stations and hubs: no error
    # a park outside the area stays an error
    outside = load_henan()["parks"].query("county_adcode == '411702'").head(1)
    layers["parks"] = pd.concat([layers["parks"], outside])
    with pytest.raises(sp.OutsideStudyAreaError, match=outside["park_id"].iloc[0]):
        validate_layers(layers)


def test_clip_network_counts_what_it_keeps_and_drops():
    layers = {k: v for k, v in load_henan().items() if k in ("roads", "rail_lines", "stations", "hubs")}
    n = {k: len(v) for k, v in layers.items()}
    tiny = shapely.Point(113.63, 34.75).buffer(0.01)
    out = clip_network(layers, tiny, 5.0)
    for k, (kept, dropped) in out.items():
        assert kept + dropped == n[k] and kept == len(layers[k])
    assert out["stations"][0] >= 1  # 郑州 station is 1.5 km from the point


def test_user_files_whose_roads_run_far_beyond_the_area(tmp_path):
    """A user's city with the province's roads: validated and routed after clipping, with one note."""
    henan = load_henan()
    gpkg = tmp_path / "city.gpkg"
    for name in ("counties", "seats", "parks"):
        key = "county_adcode" if name == "parks" else "adcode"
        henan[name][henan[name][key].isin(ZHENGZHOU)].to_file(gpkg, layer=name)
    henan["roads"].to_file(gpkg, layer="roads")
    cfg = Config()
    for name in ("counties", "seats", "parks", "roads"):
        cfg.layers[name] = LayerSource(source=str(gpkg), layer=name)
    for name in ("boundary", "prefectures", "rail_lines", "stations", "hubs"):
        cfg.layers.pop(name, None)
    layers, net = load_network(cfg)  # boundary and prefectures stay built-in (the province): set to the city
    assert len(layers["counties"]) == 12 and len(layers["roads"]) < len(henan["roads"]) / 2
    assert list(layers["prefectures"]["name_zh"]) == ["郑州市"]
    assert abs(layers["boundary"].to_crs(4547).area.sum() / layers["counties"].to_crs(4547).area.sum() - 1) < 1e-6
    assert net.report.road_components[0] > 1000


@pytest.mark.slow
def test_a_city_scale_run(tmp_path):
    cfg = Config()
    cfg.study_area.area = ["郑州市"]
    res = run(cfg, out_dir=tmp_path / "zz")
    assert res.counts["counties"] == 12 and res.counts["nodes"] == 12 and res.counts["park_productivity"] == 9
    assert any("50 公里" in w for w in res.warnings)
    assert any("river port" in w for w in res.warnings)  # no river port near Zhengzhou: said, not an error
    report = (tmp_path / "zz" / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# 郑州市 ")
    nodes = pd.read_csv(tmp_path / "zz" / "nodes.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    assert set(nodes["adcode"]) == ZHENGZHOU and (nodes["prefecture_zh"] == "郑州市").all()
    assert "郑州市" in (tmp_path / "zz" / "map.html").read_text(encoding="utf-8")
