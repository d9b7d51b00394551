"""GeoPackage styles for QGIS, and the shapefile writer/reader round trip."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Point, Polygon

from spatial_planner import DataWarning
from spatial_planner._errors import (
    ConfigError,
    DataFileError,
    InvalidGeometryError,
    OutputExistsError,
)
from spatial_planner.io import gpkg as gpkg_module
from spatial_planner.io import (
    load_henan,
    read_sectors,
    read_shapefiles,
    read_styles,
    write_geopackage,
    write_shapefiles,
    write_styles,
)
from spatial_planner.outputs.qgis import (
    LABEL_FONT,
    default_styles,
    qml_categorized,
    qml_graduated,
    qml_single,
)
from spatial_planner.symbology import (
    COUNTY_STYLE,
    LAYER_STYLE,
    PREFECTURE_STYLE,
    RAIL_STYLE,
    TIME_BREAKS,
    TIME_COLOURS,
)

OGRINFO = shutil.which("ogrinfo") or ("/usr/bin/ogrinfo" if os.path.exists("/usr/bin/ogrinfo") else None)


def _rgb(hex_colour: str, alpha: float = 1.0) -> str:
    """QGIS's ``r,g,b,a`` of a colour drawn at ``alpha`` (0–1)."""
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{round(255 * alpha)}"


def _fill_alpha(layer: str) -> float:
    """The fill opacity of a layer in the shared table (opaque when it has none)."""
    return float(LAYER_STYLE[layer].get("fill_opacity", 1.0))


def _options(layer: ET.Element) -> dict[str, str]:
    """The ``name → value`` options of one symbol layer."""
    return {o.get("name"): o.get("value") for o in layer.find("Option").findall("Option")}


def _symbol_layers(root: ET.Element) -> dict[str, ET.Element]:
    """Symbol name → its (single) symbol layer, from the renderer's ``<symbols>``."""
    return {s.get("name"): s.find("layer") for s in root.find("renderer-v2").find("symbols").findall("symbol")}


def _ogrinfo(*args: str) -> str:
    if OGRINFO is None:
        pytest.skip("GDAL's ogrinfo is not installed (Debian: apt-get install gdal-bin); skipping the GDAL client check")
    run = subprocess.run([OGRINFO, *args], capture_output=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")
    return run.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def henan_layers() -> dict[str, gpd.GeoDataFrame]:
    return load_henan()


@pytest.fixture(scope="module")
def sectors() -> pd.DataFrame:
    return read_sectors()


@pytest.fixture(scope="module")
def styled_gpkg(tmp_path_factory, henan_layers, sectors):
    """The built-in layers in a GeoPackage with their default styles."""
    path = tmp_path_factory.mktemp("gpkg") / "plan.gpkg"
    styles = default_styles(henan_layers, sectors)
    write_geopackage(henan_layers, path, styles=styles)
    return path, styles


# --------------------------------------------------------------------------- QML builders


def test_categorized_qml_is_wellformed_and_escapes_text():
    cats = [
        ("a<b&c", "#c0392b", "郑州 <市> & \"区\""),
        ("国家级", "#123", "第二类"),
        (3.0, "#00ff00", "three"),
    ]
    qml = qml_categorized("polygon", "kind & type", cats, opacity=0.5)
    assert qml.startswith("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>")
    root = ET.fromstring(qml)
    assert root.tag == "qgis" and root.get("version").startswith("3.28")
    assert root.get("styleCategories") == "AllStyleCategories"
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "kind & type"
    got = [(c.get("value"), c.get("label"), c.get("symbol")) for c in renderer.find("categories")]
    assert got == [("a<b&c", "郑州 <市> & \"区\"", "0"), ("国家级", "第二类", "1"), ("3", "three", "2")]
    layers = _symbol_layers(root)
    assert {k: v.get("class") for k, v in layers.items()} == {"0": "SimpleFill", "1": "SimpleFill", "2": "SimpleFill"}
    assert _options(layers["0"])["color"] == "192,57,43,255"
    assert _options(layers["1"])["color"] == "17,34,51,255"  # #123 is #112233
    symbols = renderer.find("symbols").findall("symbol")
    assert {s.get("type") for s in symbols} == {"fill"} and {s.get("alpha") for s in symbols} == {"0.5"}
    assert root.find("labeling") is None and root.get("labelsEnabled") == "0"


def test_line_categories_carry_their_width_and_dash():
    qml = qml_categorized("line", "rail_class", [
        ("hsr", "#c0392b", "高速铁路", {"width": 3.5}),
        ("conventional", "#34495e", "普速铁路", {"width": 2.0, "dash": "6 4"}),
        ("other", "#999999", "其他"),
    ], width=1.25)
    layers = _symbol_layers(ET.fromstring(qml))
    hsr, conv, other = (_options(layers[k]) for k in ("0", "1", "2"))
    assert layers["0"].get("class") == "SimpleLine"
    assert (hsr["line_width"], hsr["use_custom_dash"], hsr["line_color"]) == ("3.5", "0", "192,57,43,255")
    assert (conv["line_width"], conv["use_custom_dash"], conv["customdash"]) == ("2", "1", "6;4")
    assert other["line_width"] == "1.25"
    with pytest.raises(ConfigError):
        qml_categorized("line", "c", [("a", "#000000", "A", {"colour": "#fff"})])
    with pytest.raises(ValueError):
        qml_categorized("line", "c", [("a", "#000000", "A", {"dash": "long short"})])


def test_point_sizes_and_single_symbols():
    qml = qml_categorized("point", "tier", [("国家级", "#b2182b", "国家级", {"size": 10}), ("县级", "#2166ac", "县级")],
                          point_size=4)
    layers = _symbol_layers(ET.fromstring(qml))
    assert layers["0"].get("class") == "SimpleMarker"
    assert (_options(layers["0"])["size"], _options(layers["1"])["size"]) == ("10", "4")

    outline_only = ET.fromstring(qml_single("polygon", "#222222", fill=False, width=2.0))
    assert outline_only.find("renderer-v2").get("type") == "singleSymbol"
    opts = _options(_symbol_layers(outline_only)["0"])
    assert (opts["style"], opts["outline_color"], opts["outline_width"]) == ("no", "34,34,34,255", "2")

    dashed = _options(_symbol_layers(ET.fromstring(qml_single("line", "#8e44ad", width=1.2, dash="3 3")))["0"])
    assert (dashed["use_custom_dash"], dashed["customdash"], dashed["line_width"]) == ("1", "3;3", "1.2")
    with pytest.raises(ValueError):
        qml_single("point", "red")
    with pytest.raises(ValueError):
        qml_single("raster", "#ff0000")


def test_graduated_ranges_cover_every_value():
    labels = [f"class {i}" for i in range(len(TIME_COLOURS))]
    root = ET.fromstring(qml_graduated("polygon", "min_to_airport", list(TIME_BREAKS), list(TIME_COLOURS), labels))
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol" and renderer.get("attr") == "min_to_airport"
    ranges = renderer.find("ranges").findall("range")
    assert len(ranges) == len(TIME_BREAKS) + 1
    lower = [float(r.get("lower")) for r in ranges]
    upper = [float(r.get("upper")) for r in ranges]
    assert upper[:-1] == [float(b) for b in TIME_BREAKS]
    assert lower[1:] == upper[:-1]  # contiguous classes
    assert upper[-1] >= 1e12 and lower[0] <= -1e12  # open at both ends
    assert [r.get("label") for r in ranges] == labels
    layers = _symbol_layers(root)
    assert [_options(layers[r.get("symbol")])["color"] for r in ranges] == [_rgb(c) for c in TIME_COLOURS]
    with pytest.raises(ValueError):
        qml_graduated("polygon", "x", [1, 2], ["#000000", "#111111"], ["a", "b"])
    with pytest.raises(ValueError):
        qml_graduated("polygon", "x", [2, 1], ["#000000", "#111111", "#222222"], ["a", "b", "c"])


@pytest.mark.parametrize("geometry", ["polygon", "line", "point"])
def test_labels_use_a_cjk_font(geometry):
    for qml in (qml_single(geometry, "#ff0000", label_field="name_zh"),
                qml_categorized(geometry, "k", [("a", "#ff0000", "A")], label_field="name_zh"),
                qml_graduated(geometry, "v", [1], ["#ff0000", "#00ff00"], ["≤1", ">1"], label_field="name_zh")):
        root = ET.fromstring(qml)
        assert root.get("labelsEnabled") == "1"
        labeling = root.find("labeling")
        assert labeling.get("type") == "simple"
        style = labeling.find("settings/text-style")
        assert style.get("fieldName") == "name_zh" and style.get("fontFamily") == LABEL_FONT == "Noto Sans CJK SC"
        assert labeling.find("settings/placement") is not None


# --------------------------------------------------------------------------- default styles


def test_default_styles_follow_the_map_palette(henan_layers, sectors):
    styles = default_styles({**henan_layers, "mystery": henan_layers["seats"]}, sectors)
    assert set(styles) == {"boundary", "prefectures", "counties", "seats", "parks", "rail_lines", "stations",
                           "roads", "hubs"}
    roots = {k: ET.fromstring(v) for k, v in styles.items()}

    parks = roots["parks"].find("renderer-v2")
    assert parks.get("type") == "categorizedSymbol" and parks.get("attr") == "lead_sector"
    present = set(henan_layers["parks"]["lead_sector"])
    cats = parks.find("categories").findall("category")
    assert len(cats) == len(present) and {c.get("value") for c in cats} == present
    colour = dict(zip(sectors["code"], sectors["color"]))
    name = {c: f"{zh} {en}" for c, zh, en in zip(sectors["code"], sectors["name_zh"], sectors["name_en"])}
    fills = _symbol_layers(roots["parks"])
    for c in cats:
        assert _options(fills[c.get("symbol")])["color"] == _rgb(colour[c.get("value")], _fill_alpha("parks"))
        assert c.get("label") == name[c.get("value")]  # Chinese first, then English

    # counties: the web map's near-white context fill (COUNTY_STYLE), not labelled: county names are labelled
    # once, on the growth poles
    counties = roots["counties"]
    assert counties.find("renderer-v2").get("type") == "singleSymbol"
    fill = _options(_symbol_layers(counties)["0"])
    assert fill["color"] == _rgb(COUNTY_STYLE["fillColor"], COUNTY_STYLE["fillOpacity"])
    assert fill["outline_color"] == _rgb(COUNTY_STYLE["color"]) and float(fill["outline_width"]) == COUNTY_STYLE["weight"]
    assert counties.find("labeling") is None and counties.get("labelsEnabled") == "0"
    # prefectures: outlined as on the web map, named (but for a one-county prefecture, named by its pole)
    outline = _options(_symbol_layers(roots["prefectures"])["0"])
    assert outline["outline_color"] == _rgb(PREFECTURE_STYLE["color"])
    assert float(outline["outline_width"]) == PREFECTURE_STYLE["weight"]
    assert roots["prefectures"].find("labeling/settings/text-style").get("fieldName") == "name_zh"
    shown = roots["prefectures"].find(".//dd_properties//Option[@name='Show']/Option[@name='expression']")
    assert shown.get("value") == '"n_counties" > 1'

    rail = roots["rail_lines"]
    lines = _symbol_layers(rail)
    for c in rail.find("renderer-v2/categories").findall("category"):
        colour_hex, width, dash = RAIL_STYLE[c.get("value")]
        opts = _options(lines[c.get("symbol")])
        assert opts["line_color"] == _rgb(colour_hex) and float(opts["line_width"]) == width
        assert opts["use_custom_dash"] == ("1" if dash else "0")
        if dash:
            assert opts["customdash"] == dash.replace(" ", ";")
    assert {c.get("label") for c in rail.find("renderer-v2/categories")} >= {"高速铁路 High-speed rail",
                                                                              "普速铁路 Conventional rail"}

    # features flagged schematic or approximate are dashed, as on the web map: a data-defined stroke style
    for name in ("rail_lines", "parks", "stations", "hubs", "roads"):
        for layer in roots[name].iter("layer"):
            props = {o.get("name"): o for o in layer.find("data_defined_properties/Option/Option[@name='properties']")}
            expr = props["outlineStyle"].find("Option[@name='expression']").get("value")
            assert expr.startswith('CASE WHEN "geometry_quality" IN (') and "'schematic'" in expr
            assert "'approximate'" in expr and expr.endswith("THEN 'dash' ELSE 'solid' END")
    assert roots["seats"].find(".//layer/data_defined_properties/Option/Option[@name='properties']").get(
        "type") is None  # seats carry no geometry_quality: no data-defined style

    prefectures = _options(_symbol_layers(roots["prefectures"])["0"])
    assert prefectures["style"] == "no"
    assert roots["hubs"].find("renderer-v2").get("attr") == "hub_type"
    assert roots["stations"].find("renderer-v2").get("attr") == "station_type"
    assert roots["roads"].find("renderer-v2").get("attr") == "road_class"
    assert roots["seats"].find("renderer-v2").get("type") == "singleSymbol"


def test_default_styles_of_analysis_layers(henan_layers, sectors):
    counties = henan_layers["counties"]
    access = counties[["adcode", "name_zh", "geometry"]].assign(name="x", min_to_airport=np.linspace(0, 200, len(counties)),
                                                                min_to_hsr=1.0)
    iso = gpd.GeoDataFrame({"hub_name": ["郑州机场"] * 3, "minutes": [30.0, 60.0, 90.0]},
                           geometry=[Point(113.8, 34.5).buffer(r) for r in (0.1, 0.2, 0.3)], crs="EPSG:4490")
    nodes = gpd.GeoDataFrame({"name_zh": ["郑州", "洛阳", "开封", "兰考"], "tier": ["国家级", "省级", "市级", "县级"]},
                             geometry=[Point(113.6 + i / 10, 34.7) for i in range(4)], crs="EPSG:4490")
    mixed = gpd.GeoDataFrame({"tier": ["国家级", "省级"]}, geometry=[Point(113, 34), Point(113, 34).buffer(0.1)],
                             crs="EPSG:4490")
    styles = default_styles({"county_access": access, "isochrones": iso, "nodes": nodes, "belts": mixed,
                             "links": nodes.drop(columns="tier"), "table": pd.DataFrame({"a": [1]})}, sectors)
    assert set(styles) == {"county_access", "isochrones", "nodes"}

    access_r = ET.fromstring(styles["county_access"]).find("renderer-v2")
    assert access_r.get("type") == "graduatedSymbol" and access_r.get("attr") == "min_to_airport"
    assert len(access_r.find("ranges")) == len(TIME_BREAKS) + 1
    iso_r = ET.fromstring(styles["isochrones"]).find("renderer-v2")
    assert iso_r.get("attr") == "minutes" and len(iso_r.find("ranges")) == len(TIME_COLOURS)

    root = ET.fromstring(styles["nodes"])
    markers = _symbol_layers(root)
    sizes = {c.get("value"): _options(markers[c.get("symbol")])["size"] for c in root.find("renderer-v2/categories")}
    assert sizes == {"国家级": "22", "省级": "16", "市级": "12", "县级": "7"}  # the web map's marker diameters


# --------------------------------------------------------------------------- styles in the GeoPackage


def test_layer_styles_table_holds_one_default_style_per_layer(styled_gpkg, henan_layers, sectors):
    path, styles = styled_gpkg
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, "
                           "styleQML, useAsDefault, update_time FROM layer_styles ORDER BY id").fetchall()
        geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        contents = con.execute("SELECT data_type, identifier, srs_id FROM gpkg_contents "
                               "WHERE table_name = 'layer_styles'").fetchall()
        columns = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
    finally:
        con.close()
    assert columns == ["id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                       "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"]
    assert contents == [("attributes", "layer_styles", 0)]
    assert [r[2] for r in rows] == list(styles)  # one row per styled layer
    for catalog, schema, table, geom, name, qml, default, updated in rows:
        # QGIS looks styles up by f_table_schema='' and the layer's geometry column
        assert (catalog, schema, name, default) == ("", "", table, 1)
        assert geom == geom_cols[table] and updated
        assert qml == styles[table]
        ET.fromstring(qml)
    parks_qml = {r[2]: r[5] for r in rows}["parks"]
    cats = ET.fromstring(parks_qml).find("renderer-v2/categories").findall("category")
    assert len(cats) == henan_layers["parks"]["lead_sector"].nunique()
    auto = next(c for c in cats if c.get("value") == "auto")
    colour = dict(zip(sectors["code"], sectors["color"]))["auto"]
    assert _options(_symbol_layers(ET.fromstring(parks_qml))[auto.get("symbol")])["color"] == _rgb(
        colour, _fill_alpha("parks"))
    assert read_styles(path) == styles


def test_data_layers_unchanged_by_styles(styled_gpkg, henan_layers):
    path, styles = styled_gpkg
    listed = {str(name) for name, _ in pyogrio.list_layers(path)}
    assert listed == set(henan_layers) | {"layer_styles"}
    for name, gdf in henan_layers.items():
        back = pyogrio.read_dataframe(path, layer=name)
        assert len(back) == len(gdf), name
        assert back.crs.to_epsg() == 4490
    assert len(pyogrio.read_dataframe(path, layer="layer_styles")) == len(styles)
    con = sqlite3.connect(path)
    try:
        assert "layer_styles" in {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        con.close()


def test_write_styles_replaces_rows_and_skips_unknown_layers(tmp_path, henan_layers):
    path = tmp_path / "s.gpkg"
    write_geopackage({"hubs": henan_layers["hubs"], "table": pd.DataFrame({"a": [1, 2]})}, path)
    assert write_styles(path, {"hubs": qml_single("point", "#ff0000")}) == ["hubs"]
    new = qml_single("point", "#00ff00", label_field="name_zh")
    with pytest.warns(DataWarning, match="nowhere"):
        styled = write_styles(path, {"hubs": new, "table": qml_single("point", "#000000"), "nowhere": new})
    assert styled == ["hubs", "table"]
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT f_table_name, f_geometry_column, styleQML FROM layer_styles ORDER BY id").fetchall()
        counted = con.execute("SELECT feature_count FROM gpkg_ogr_contents WHERE table_name='layer_styles'").fetchone()
    finally:
        con.close()
    assert rows == [("hubs", "geom", new), ("table", "", qml_single("point", "#000000"))]
    assert counted == (2,)
    assert pyogrio.read_info(path, layer="layer_styles")["features"] == 2


def test_geopackage_stays_atomic_when_styles_fail(tmp_path, henan_layers, monkeypatch):
    path = tmp_path / "plan.gpkg"
    write_geopackage({"hubs": henan_layers["hubs"]}, path)
    before = path.read_bytes()

    def boom(gpkg, styles):
        assert Path(gpkg) != path and Path(gpkg).exists()  # styles go into the temporary file
        raise RuntimeError("disk full")

    monkeypatch.setattr(gpkg_module, "write_styles", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_geopackage({"seats": henan_layers["seats"]}, path, overwrite=True, styles={"seats": "<qgis/>"})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]


def test_ogrinfo_lists_the_styled_geopackage(styled_gpkg, henan_layers):
    path, _ = styled_gpkg
    listing = _ogrinfo("-q", str(path))
    for name in [*henan_layers, "layer_styles"]:
        assert f": {name} (" in listing, name
    summary = _ogrinfo("-so", str(path), "parks")
    assert f"Feature Count: {len(henan_layers['parks'])}" in summary
    assert 'ID["EPSG",4490]' in summary or "EPSG:4490" in summary


# --------------------------------------------------------------------------- shapefiles


def _assert_same_layer(orig: pd.DataFrame, back: pd.DataFrame, name: str) -> None:
    assert list(back.columns) == list(orig.columns), name
    assert len(back) == len(orig), name
    for col in orig.columns:
        a, b = orig[col], back[col]
        if isinstance(a.dtype, gpd.array.GeometryDtype):
            assert list(a.geom_type) == list(b.geom_type), (name, col)
            same = shapely.equals_exact(shapely.normalize(a.values), shapely.normalize(b.values), tolerance=0)
            assert bool(np.all(same | (a.isna().to_numpy() & b.isna().to_numpy()))), (name, col)
            continue
        assert a.dtype == b.dtype, (name, col, a.dtype, b.dtype)
        if pd.api.types.is_float_dtype(a):
            np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=1e-14, atol=1e-15, equal_nan=True,
                                       err_msg=f"{name}.{col}")
        else:
            assert a.tolist() == b.tolist() or a.equals(b), (name, col)


@pytest.fixture(scope="module", params=["UTF-8", "GBK"])
def henan_shapefiles(request, tmp_path_factory, henan_layers):
    folder = tmp_path_factory.mktemp(f"shp-{request.param}") / "shapefiles"
    result = write_shapefiles(henan_layers, folder, encoding=request.param)
    return request.param, folder, result


def test_shapefile_round_trip_loses_nothing(henan_shapefiles, henan_layers):
    encoding, folder, result = henan_shapefiles
    back = read_shapefiles(folder)
    assert list(back) == list(henan_layers)
    for name, gdf in henan_layers.items():
        _assert_same_layer(gdf, back[name], name)
        assert back[name].crs.to_epsg() == 4490
        assert (folder / f"{name}.cpg").read_text().strip() == encoding
        assert result["files"][name] == folder / f"{name}.shp"
    # long texts came back from the sidecar, not from the truncated dBase field
    parks = henan_layers["parks"]
    longest = parks["source"].map(lambda s: len(s.encode("utf-8"))).idxmax()
    assert len(parks.at[longest, "source"].encode("utf-8")) > 254
    assert back["parks"].at[longest, "source"] == parks.at[longest, "source"]
    raw = pyogrio.read_dataframe(folder / "parks.shp")
    assert raw["source"].map(lambda s: len(s.encode(encoding))).max() <= 254
    assert raw.at[longest, "source"] != parks.at[longest, "source"]
    assert "parks" in result["long_text"] and result["long_text"]["parks"]["values"] > 0
    assert any("parks_long_text.csv" in note for note in result["notes"])
    sidecar = pd.read_csv(folder / "parks_long_text.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert list(sidecar.columns) == ["park_id", "column", "value"]
    assert parks.at[longest, "source"] in set(sidecar["value"])


def test_field_name_mapping_is_documented_and_returned(henan_shapefiles):
    _, folder, result = henan_shapefiles
    raw_bytes = (folder / "field_names.csv").read_bytes()
    assert raw_bytes.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    table = pd.read_csv(folder / "field_names.csv", encoding="utf-8-sig", dtype=str)
    assert list(table.columns) == ["layer", "shapefile_field", "full_name"]
    rows = set(map(tuple, table.to_numpy()))
    assert ("rail_lines", "design_s01", "design_speed_kmh") in rows
    assert ("roads", "design_s01", "design_speed_kmh") in rows
    from_result = {(layer, short, full) for layer, m in result["field_names"].items() for short, full in m.items()}
    assert from_result == rows
    for name in ("rail_lines", "parks", "counties"):
        fields = list(pyogrio.read_info(folder / f"{name}.shp")["fields"])
        assert all(len(f) <= 10 and f.isascii() for f in fields), fields
        assert len({f.upper() for f in fields}) == len(fields)


def test_an_exported_shapefile_reads_back_with_full_field_names(henan_shapefiles, henan_layers):
    from spatial_planner.io import read_layer
    from spatial_planner.network import build_network

    encoding, folder, _ = henan_shapefiles
    roads = read_layer(folder / "roads.shp", kind="roads")
    assert "design_speed_kmh" in roads and "design_s01" not in roads
    assert np.allclose(roads["design_speed_kmh"].to_numpy(float),
                       henan_layers["roads"]["design_speed_kmh"].to_numpy(float), equal_nan=True)
    # routing off the re-read layer matches the original: the speeds were not silently replaced by class defaults
    a = build_network(henan_layers["roads"]).edges["minutes"].sum()
    assert np.isclose(build_network(roads).edges["minutes"].sum(), a, rtol=1e-9)
    stray = folder.parent / f"stray-{encoding}"
    stray.mkdir(exist_ok=True)
    for f in folder.glob("roads.*"):
        (stray / f.name).write_bytes(f.read_bytes())
    assert "design_s01" in read_layer(stray / "roads.shp", kind="roads")  # no sidecar, names as they are


def test_gbk_dbf_really_is_gbk(henan_shapefiles, henan_layers):
    encoding, folder, _ = henan_shapefiles
    dbf = (folder / "counties.dbf").read_bytes()
    header_len = int.from_bytes(dbf[8:10], "little")
    offset, field = 1, None  # byte 0 of a record is the deletion flag
    for i in range(32, header_len - 1, 32):
        desc = dbf[i:i + 32]
        if desc[0] == 0x0D:
            break
        fname, width = desc[:11].split(b"\x00")[0].decode("ascii"), desc[16]
        if fname == "name_zh":
            field = (offset, width)
            break
        offset += width
    assert field is not None
    first = dbf[header_len + field[0]:header_len + field[0] + field[1]].rstrip(b" \x00")
    expected = henan_layers["counties"]["name_zh"].iloc[0]
    if encoding == "GBK":
        assert first.decode("gbk") == expected
        assert first != expected.encode("utf-8")
        assert dbf[29] == 0x4D  # language driver: code page 936
    else:
        assert first.decode("utf-8") == expected


def test_ogrinfo_reads_chinese_from_the_utf8_shapefile(tmp_path, henan_layers):
    write_shapefiles({"hubs": henan_layers["hubs"]}, tmp_path / "shp", encoding="UTF-8")
    out = _ogrinfo("-al", "-q", "-fid", "0", str(tmp_path / "shp" / "hubs.shp"))
    assert henan_layers["hubs"]["name_zh"].iloc[0] in out


@pytest.fixture
def awkward() -> gpd.GeoDataFrame:
    """Attributes a shapefile cannot hold as they are."""
    long_zh = "郑州航空港经济综合实验区" * 12  # 144 characters: 432 bytes in UTF-8, 288 in GBK
    return gpd.GeoDataFrame(
        {
            "park_id": ["P1", "P2", "P3"],
            "name_zh": ["面积 1 km²", long_zh, "开封"],
            "notes": ["", None, "x"],
            "always_text": ["", "a", "b"],
            "sectors_list": [["auto", "food"], [], None],
            "attrs": [{"级别": "国家级", "n": 2}, {"ok": True}, {}],
            "mixed": [1, "two", 3.5],
            "flag": [True, False, True],
            "maybe": pd.array([True, None, False], dtype="boolean"),
            "opened_at": pd.to_datetime(["2020-01-02 03:04:05", None, "2024-06-30 00:00:00"]),
            "tz_time": pd.to_datetime(["2020-01-02 03:04:05+08:00"] * 3).tz_convert("Asia/Shanghai"),
            "count": pd.array([1, None, 3], dtype="Int64"),
            "small": np.array([1, 2, 3], dtype="int32"),
            "ratio": [1 / 3, np.nan, 2.5e-7],
            "category_kind": pd.Categorical(["a", "b", "a"]),
            "园区名称": ["甲", "乙", "丙"],
            "design_speed_kmh": [350, 250, 160],
            "design_speed_note": ["a", "b", "c"],
            "exactly_10": [1, 2, 3],
        },
        geometry=[Polygon([(0, 0), (1, 0), (1, 1)]), MultiPolygon([Polygon([(2, 2), (3, 2), (3, 3)]),
                                                                    Polygon([(5, 5), (6, 5), (6, 6)])]), None],
        crs="EPSG:4490",
    )


@pytest.mark.parametrize("encoding", ["UTF-8", "GBK"])
def test_awkward_attributes_round_trip(tmp_path, awkward, encoding):
    result = write_shapefiles({"parks": awkward}, tmp_path / "out", encoding=encoding)
    mapping = result["field_names"]["parks"]
    assert mapping["design_s01"] == "design_speed_kmh" and mapping["design_s02"] == "design_speed_note"
    assert mapping["field01"] == "园区名称"
    assert "exactly_10" not in mapping.values()
    back = read_shapefiles(tmp_path / "out")["parks"]
    _assert_same_layer(awkward, back, "parks")
    assert back.at[0, "attrs"] == {"级别": "国家级", "n": 2}
    assert back.at[0, "sectors_list"] == ["auto", "food"] and back.at[2, "sectors_list"] is None
    assert back.at[0, "notes"] == "" and pd.isna(back.at[1, "notes"])
    assert back.at[0, "name_zh"] == "面积 1 km²"
    sidecar = pd.read_csv(tmp_path / "out" / "parks_long_text.csv", dtype=str, encoding="utf-8-sig",
                          keep_default_na=False)
    keys = set(zip(sidecar["park_id"], sidecar["column"]))
    assert ("P2", "name_zh") in keys and ("P1", "notes") in keys
    assert (("P1", "name_zh") in keys) == (encoding == "GBK")  # ² has no GBK code
    assert not any(note.startswith("parks.mixed") for note in result["notes"])  # JSON keeps 1, "two", 3.5
    assert back["mixed"].tolist() == [1, "two", 3.5]


def test_layer_without_id_column_keys_sidecar_by_row(tmp_path):
    gdf = gpd.GeoDataFrame({"text": ["短", "长" * 200]}, geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:4490")
    result = write_shapefiles({"我的图层": gdf}, tmp_path / "out")
    sidecar = pd.read_csv(result["long_text"]["我的图层"]["file"], dtype=str, encoding="utf-8-sig")
    assert list(sidecar.columns) == ["row", "column", "value"] and sidecar["row"].tolist() == ["1"]
    back = read_shapefiles(tmp_path / "out")["我的图层"]
    _assert_same_layer(gdf, back, "我的图层")


def test_plain_tables_are_written_as_csv(tmp_path, henan_layers):
    table = pd.DataFrame({"adcode": ["410102", "410103"], "名称": ["中原区", "二七区"], "minutes": [12.5, np.nan],
                          "n": [1, 2], "ok": [True, False], "tags": [["a"], ["b", "c"]], "note": ["", None]})
    result = write_shapefiles({"hubs": henan_layers["hubs"], "od": table}, tmp_path / "out")
    csv = tmp_path / "out" / "od.csv"
    assert result["files"]["od"] == csv and csv.read_bytes().startswith(b"\xef\xbb\xbf")
    assert any("od" in note and "od.csv" in note for note in result["notes"])
    assert not (tmp_path / "out" / "od.shp").exists()
    back = read_shapefiles(tmp_path / "out")
    assert list(back) == ["hubs", "od"]
    _assert_same_layer(table, back["od"], "od")
    _assert_same_layer(henan_layers["hubs"], back["hubs"], "hubs")


def test_existing_folder_is_refused_and_left_untouched(tmp_path, henan_layers):
    folder = tmp_path / "shp"
    write_shapefiles({"hubs": henan_layers["hubs"]}, folder)
    (folder / "marker.txt").write_text("keep me")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(OutputExistsError):
        write_shapefiles({"seats": henan_layers["seats"]}, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["shp"]  # no temporary folder left behind

    write_shapefiles({"seats": henan_layers["seats"]}, folder, overwrite=True)
    assert not (folder / "marker.txt").exists() and not (folder / "hubs.shp").exists()
    assert (folder / "seats.shp").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["shp"]
    assert len(read_shapefiles(folder)["seats"]) == len(henan_layers["seats"])


def test_interrupted_write_keeps_the_previous_folder(tmp_path, henan_layers, monkeypatch):
    folder = tmp_path / "shp"
    write_shapefiles({"hubs": henan_layers["hubs"]}, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real = pyogrio.write_dataframe
    calls = []

    def failing(df, path, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(df, path, **kwargs)

    monkeypatch.setattr(gpkg_module.pyogrio, "write_dataframe", failing)
    with pytest.raises(OSError, match="disk full"):
        write_shapefiles({"hubs": henan_layers["hubs"], "seats": henan_layers["seats"]}, folder, overwrite=True)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["shp"]


def test_mixed_geometry_kinds_are_refused(tmp_path, henan_layers):
    mixed = gpd.GeoDataFrame({"a": [1, 2]}, geometry=[Point(113, 34), Point(113, 34).buffer(0.1)], crs="EPSG:4490")
    with pytest.raises(InvalidGeometryError, match=r"\[混合图层\]") as info:
        write_shapefiles({"hubs": henan_layers["hubs"], "混合图层": mixed}, tmp_path / "out")
    assert info.value.layer == "混合图层"
    assert not any(tmp_path.iterdir())  # nothing written, no temporary folder

    p = Polygon([(0, 0), (1, 0), (1, 1)])
    single_and_multi = gpd.GeoDataFrame({"a": [1, 2]}, geometry=[p, MultiPolygon([p, shapely.affinity.translate(p, 5)])],
                                        crs="EPSG:4490")
    write_shapefiles({"ok": single_and_multi}, tmp_path / "out")
    back = read_shapefiles(tmp_path / "out")["ok"]
    assert back.geometry.geom_equals(single_and_multi.geometry).all()


def test_unknown_encoding_is_refused(tmp_path, henan_layers):
    with pytest.raises(ConfigError, match="encoding"):
        write_shapefiles({"hubs": henan_layers["hubs"]}, tmp_path / "out", encoding="latin-1")
    assert not (tmp_path / "out").exists()


def _web_marker_styles(page: str) -> dict[str, dict]:
    """Name → Leaflet style of each marker of the one styled point layer of a folium page (its styler function)."""
    import json
    import re

    body = re.search(r"function geo_json_\w+_styler\(feature\) \{(.*?)\n\s*\}\n", page, re.DOTALL).group(1)
    cases = {name: json.loads(style) for name, style in re.findall(r'case "(.*?)":\s*return (\{.*?\});', body)}
    default = re.search(r"default:\s*return (\{.*?\});", body)
    return {**cases, None: json.loads(default.group(1))} if default else cases


def test_one_palette_for_the_web_map_the_figures_and_qgis(sectors, henan_layers, tmp_path):
    """Tier colours, outlines, opacities and sizes come from spatial_planner.symbology in all three clients:
    the web map's markers, the PNG map's markers and the QGIS style agree, tier by tier."""
    import folium
    from PIL import Image

    from spatial_planner.outputs import figures
    from spatial_planner.outputs.webmap import add_plan_layers, render_html
    from spatial_planner.results import Plan
    from spatial_planner.symbology import TIER_STYLE

    nodes = gpd.GeoDataFrame({"name_zh": ["郑州", "洛阳", "开封", "兰考"], "name_en": ["a", "b", "c", "d"],
                              "rank": [1, 2, 3, 4], "tier": list(TIER_STYLE), "score": [0.9, 0.6, 0.4, 0.1]},
                             geometry=[Point(113.6 + i / 2, 34.2) for i in range(4)], crs="EPSG:4490")
    tier_of = dict(zip(nodes["name_zh"], nodes["tier"]))
    # QGIS: each tier's marker
    root = ET.fromstring(default_styles({"nodes": nodes}, sectors)["nodes"])
    markers = _symbol_layers(root)
    qgis = {cat.get("value"): _options(markers[cat.get("symbol")]) for cat in root.find("renderer-v2/categories")}
    assert set(qgis) == set(TIER_STYLE)
    # web map: each marker's style, read from the page
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4490")
    plan = Plan(nodes=nodes, belts=empty, belt_corridors=empty, corridors=empty, linkages=empty, priorities=empty,
                clusters=empty, isomorphism=empty, industry=pd.DataFrame(), lq=pd.DataFrame(),
                county_indices=pd.DataFrame(), productivity=pd.DataFrame())
    m = folium.Map(tiles=None)
    add_plan_layers(m, plan, sectors=sectors)
    page = render_html(m, assets="cdn")
    web = _web_marker_styles(page)
    web[nodes["name_zh"][0]] = web.pop(None, web.get(nodes["name_zh"][0]))  # folium's default case is the first
    assert set(web) == set(tier_of)
    for name, style in web.items():
        colour, radius, _ = TIER_STYLE[tier_of[name]]
        opts = qgis[tier_of[name]]
        assert style["fillColor"] == colour and opts["color"] == _rgb(colour, style["fillOpacity"])
        assert opts["outline_color"] == _rgb(style["color"]) and float(opts["outline_width"]) == style["weight"]
        assert float(opts["size"]) == 2 * style["radius"] == 2 * radius  # QGIS diameter = web radius × 2
        assert f"background:{colour}" in page  # the legend
    # figures: the PNG map draws every tier's marker in the tier's colour
    try:
        figures.cjk_font()
    except DataFileError as exc:  # no CJK font: the figures are not drawn at all
        pytest.skip(f"no CJK font for the figures ({exc}); install fonts-noto-cjk")
    path = figures.map_plan_png(henan_layers, plan, tmp_path / "plan.png")
    rgb = np.asarray(Image.open(path).convert("RGB")).astype(int)
    for tier, (colour, _, _) in TIER_STYLE.items():
        target = np.array([int(colour[k:k + 2], 16) for k in (1, 3, 5)])
        assert (np.abs(rgb - target).max(axis=-1) <= 2).sum() >= 10, f"no {tier} marker in {colour} on the PNG map"
