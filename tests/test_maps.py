"""The Folium map: escaping, legends, GCJ-02 shift, size."""

import re

import numpy as np
import pytest
import shapely

import spatial_planner as sp
from spatial_planner.outputs.webmap import MapConfig
from spatial_planner.crs import wgs84_to_gcj02
from spatial_planner.io import read_sectors
from spatial_planner.outputs.webmap import build_map, prepare_for_web, render_html

XSS = "<script>alert(1)</script>"


def _render(layers, **kw):
    return render_html(build_map(layers, sectors=read_sectors(), **kw))


def test_attribute_html_is_escaped(henan, parks_gdf):
    parks = parks_gdf.assign(lead_sector="auto", name_en=XSS, county_adcode="410104")
    parks.loc[0, "name_zh"] = XSS
    html = _render({"counties": henan["counties"], "parks": parks})
    assert XSS not in html
    # the value travels HTML-escaped (and JSON-escaped by Folium): shown as text, never parsed as markup
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;" in html
    assert "\\u003cscript\\u003ealert(1)" not in html


def test_each_layer_has_its_own_legend(henan):
    html = _render(henan)
    titles = re.findall(r'div\.setAttribute\(\x27data-layer\x27, "([^"]+)"\)', html)
    assert {"县级行政区", "产业园区（按首位产业）", "铁路网", "高速公路", "普通干线公路", "交通枢纽"} <= set(titles)
    # legends follow their layer on and off
    assert html.count("map.on('overlayadd overlayremove layeradd layerremove', sync)") == len(titles)


def test_english_labels(henan):
    html = _render({"counties": henan["counties"], "parks": henan["parks"]}, config=MapConfig(language="en"))
    assert "Industrial parks (by lead industry)" in html and "Counties" in html
    assert "Equipment manufacturing" in html or "Automobiles and parts" in html


def test_coverage_simplification_keeps_shared_edges(henan):
    counties = henan["counties"][henan["counties"]["prefecture_adcode"] == "410100"]
    web = prepare_for_web(counties, simplify_m=1000, coverage=True)
    assert shapely.is_valid(web.geometry.values).all()
    before = sum(len(shapely.get_coordinates(g)) for g in counties.geometry)
    after = sum(len(shapely.get_coordinates(g)) for g in web.geometry)
    assert after < before * 0.8
    # no gaps or overlaps appear between neighbours (beyond rounding)
    union_area = shapely.union_all(web.to_crs(4547).geometry.values).area
    assert abs(web.to_crs(4547).area.sum() - union_area) < 1e4  # < 0.01 km²


def test_gaode_basemap_shifts_data_to_gcj02(henan):
    seats = henan["seats"].head(3)
    web = prepare_for_web(seats, gcj02=True, precision=6)
    gx, gy = wgs84_to_gcj02(seats.geometry.x.values, seats.geometry.y.values)
    assert np.allclose(web.geometry.x, gx, atol=2e-6) and np.allclose(web.geometry.y, gy, atol=2e-6)
    html = _render({"counties": henan["counties"], "seats": seats}, config=MapConfig(basemap="gaode"))
    assert "autonavi" in html


def test_render_keeps_ascii_escapes_and_writes_chinese_as_text():
    import folium

    m = folium.Map(tiles=None)
    folium.GeoJson({"type": "Feature", "properties": {"n": "郑州 \\u4e2d <b>"},
                    "geometry": {"type": "Point", "coordinates": [113.6, 34.7]}}, name="郑州图层").add_to(m)
    folium.LayerControl().add_to(m)
    raw = m.get_root().render()
    assert "\\u90d1\\u5dde\\u56fe\\u5c42" in raw  # Folium escapes the layer name ...
    html = render_html(m)
    assert "郑州图层" in html and "\\u90d1" not in html  # ... render_html writes it as text
    assert "\\\\u4e2d" in html  # an escaped backslash followed by u4e2d stays as it was
    assert '"郑州 \\\\u4e2d \\u003cb\\u003e"' in html  # markup stays escaped as JSON, never becomes a tag


def test_coordinates_rounded(henan):
    web = prepare_for_web(henan["seats"], precision=5)
    xs = web.geometry.x.values
    assert np.allclose(xs, np.round(xs, 5))


def test_default_henan_map_is_within_size_budget(henan):
    html = _render(henan, title="河南")
    assert len(html.encode("utf-8")) <= 5 * 1024 * 1024


def test_large_road_layers_are_thinned_by_class_on_the_map_only(henan):
    from spatial_planner.outputs.webmap import roads_for_map

    roads = henan["roads"]
    counts = roads["road_class"].value_counts()
    same, left = roads_for_map(roads, len(roads))
    assert same is roads and left == []
    fast = int(counts["expressway"] + counts["provincial_expressway"])
    drawn, left = roads_for_map(roads, 100)
    assert set(drawn["road_class"]) == {"expressway", "provincial_expressway"} and len(drawn) == fast
    assert set(left) == set(counts.index) - {"expressway", "provincial_expressway"}
    assert "arterial" in left
    only_top, _ = roads_for_map(roads, 1)  # the fastest class is always drawn
    assert set(only_top["road_class"]) == {"expressway"}
    html = _render({"counties": henan["counties"], "roads": roads}, config=MapConfig(max_road_features=100))
    assert f"显示 {fast:,}/{len(roads):,} 条" in html and "见 GeoPackage" in html
    full = _render({"counties": henan["counties"], "roads": roads})
    assert "见 GeoPackage" not in full and len(html) < len(full)


def test_map_of_lines_only_and_of_nothing(henan):
    html = _render({"roads": henan["roads"]})
    assert "高速公路" in html and "普通干线公路" in html
    empty = henan["roads"].iloc[:0]
    with pytest.raises(sp.EmptyLayerError, match="nothing to map"):
        _render({"roads": empty})


def test_web_assets_follow_the_installed_folium():
    """Every script and stylesheet a rendered map links is one the asset fetcher knows, from Folium's own lists."""
    import re

    from spatial_planner.outputs.webmap.assets import _member, npm_source, used_assets

    layers = sp.load_henan()
    page = render_html(build_map({"counties": layers["counties"], "hubs": layers["hubs"]}), assets="cdn")
    linked = set(re.findall(r'<script src="(https?://[^"]+)"', page) + re.findall(r'<link rel="stylesheet" href="(https?://[^"]+)"', page))
    assert linked and linked <= set(used_assets())
    assert all(npm_source(u) is not None for u in linked)
    assert npm_source("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js") == ("leaflet@1.9.3", "dist/leaflet.js")
    assert npm_source("https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/a.min.css") == (
        "leaflet-measure@2.1.7", "dist/a.min.css")
    assert npm_source("https://code.jquery.com/jquery-3.7.1.min.js") == ("jquery@3.7.1", "dist/jquery.min.js")
    assert npm_source("https://example.org/x.js") is None
    # a minified file the package does not ship is taken unminified, from dist/ first
    assert _member(["src/x.js", "dist/x.js", "README.md"], "x.min.js") == "dist/x.js"


def test_one_search_box_for_every_searchable_layer_a_title_and_the_language(henan):
    m = build_map({k: henan[k] for k in ("counties", "parks", "hubs")}, title="测试地图")
    page = render_html(m, assets="cdn")
    assert page.count("L.DomUtil.create('div', 'sp-search')") == 1 and "leaflet-search" not in page
    sources = re.search(r"var sources = \[(.*?)\];", page).group(1)
    assert sources.count("layer:") == 2 and "县级行政区" in sources and "产业园区" in sources
    # the layers are named as they are in the page (ids made stable before the search names them)
    for name in re.findall(r"layer: (geo_json_[0-9a-f]+)", sources):
        assert f"var {name} = " in page
    assert '<html lang="zh-CN">' in page and "<title>测试地图</title>" in page
    en = render_html(build_map({"counties": henan["counties"]}, config=MapConfig(language="en")), assets="cdn")
    assert '<html lang="en">' in en and "Search places" in en
