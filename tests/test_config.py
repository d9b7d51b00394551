import tomllib

import pytest

import spatial_planner as sp
from spatial_planner.config import Config, config_from_dict, config_template, load_config


def test_template_loads_to_the_defaults(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(config_template(), encoding="utf-8")
    cfg = load_config(p)
    default = Config()
    assert cfg.map == default.map and cfg.study_area == default.study_area
    assert all(s.source == "builtin" for s in cfg.layers.values())
    assert set(cfg.layers) == set(default.layers)


@pytest.mark.parametrize("data,key", [
    ({"mapp": {}}, "mapp"),
    ({"map": {"colour": "red"}}, "map.colour"),
    ({"map": {"precision": "5"}}, "map.precision"),
    ({"map": {"precision": 12}}, "map.precision"),
    ({"map": {"basemap": "google"}}, "map.basemap"),
    ({"output": {"overwrite": "yes"}}, "output.overwrite"),
    ({"layers": {"railways": "x.gpkg"}}, "layers.railways"),
    ({"layers": {"parks": {"path": "x.gpkg"}}}, "layers.parks.path"),
])
def test_bad_keys_name_their_path(data, key):
    with pytest.raises(sp.ConfigError) as info:
        config_from_dict(data, source="t.toml")
    assert f"t.toml: {key}" in str(info.value)


def test_relative_layer_paths_follow_the_config_file(tmp_path):
    p = tmp_path / "sub" / "c.toml"
    p.parent.mkdir()
    p.write_text('[layers]\nparks = "data/parks.gpkg"\n[layers.hubs]\nsource = "/abs/h.csv"\nencoding = "GBK"\n')
    cfg = load_config(p)
    assert cfg.layers["parks"].source == str(tmp_path / "sub" / "data" / "parks.gpkg")
    assert cfg.layers["hubs"].source == "/abs/h.csv" and cfg.layers["hubs"].encoding == "GBK"


def test_broken_toml_and_missing_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[map\n")
    with pytest.raises(sp.ConfigError, match="TOML"):
        load_config(p)
    with pytest.raises(sp.ConfigError, match="not found"):
        load_config(tmp_path / "none.toml")


def test_template_is_commented_in_chinese_and_english():
    text = config_template()
    tomllib.loads(text)
    assert "输出目录" in text and "output folder" in text
