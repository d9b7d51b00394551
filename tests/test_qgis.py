"""What a QGIS user opens: style sidecars beside shapefiles and GeoTIFFs, and the project ``plan.qgs``.

The first tests read the files as XML; the last ones open them in QGIS itself
(PyQGIS, run by the system Python in a subprocess with an offscreen Qt) and
skip when PyQGIS is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from itertools import combinations
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point

from spatial_planner import OutputExistsError
from spatial_planner._errors import ConfigError
from spatial_planner.io import (
    qml_sidecar,
    read_styles,
    rename_qml_fields,
    write_geotiff,
    write_shapefiles,
)
from spatial_planner.outputs.qgis import (
    default_styles,
    minute_labels,
    qml_single,
    time_raster_style,
)
from spatial_planner.outputs.qgis_project import PROJECT_FILE, plan_project
from spatial_planner.symbology import (
    LAYER_PANE,
    LAYER_STYLE,
    MAP_PANES,
    TIER_STYLE,
    TIME_BREAKS,
    TIME_COLOURS,
    sector_colour,
)

#: The drawing order a planner reads, from the top (each layer's band), and the web map's pane of each band:
#: points on top, then links, belts (and parks), context lines, rasters, area fills at the bottom.
BANDS = [
    ("points", {"nodes", "hubs", "stations", "seats"}),
    ("links", {"priorities", "linkages", "isomorphism"}),
    ("belts", {"belts", "belt_segments", "belt_corridors", "clusters", "parks"}),
    ("context", {"boundary", "prefectures", "corridors", "rail_lines", "roads", "network_edges"}),
    ("rasters", {"time_to_airport", "time_to_hsr", "time_to_rail_freight"}),
    ("fills", {"isochrones", "county_access", "counties"}),
]


def _band(name: str) -> int:
    return next(i for i, (_, band) in enumerate(BANDS) if name in band)


def _rgba(hex_colour: str, alpha: float = 1.0) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{round(255 * alpha)}"


def _options(layer: ET.Element) -> dict[str, str]:
    return {o.get("name"): o.get("value") for o in layer.find("Option").findall("Option")}


def _category_colours(style: ET.Element) -> dict[str, str]:
    """Category value → fill (or line) colour of a categorised style."""
    renderer = style.find("renderer-v2")
    symbols = {s.get("name"): _options(s.find("layer")) for s in renderer.find("symbols")}
    out = {}
    for cat in renderer.find("categories"):
        opts = symbols[cat.get("symbol")]
        out[cat.get("value")] = opts.get("color") or opts.get("line_color")
    return out


@pytest.fixture(scope="module")
def qgis_run(tmp_path_factory):
    """The default Henan plan run with shapefiles as well: the output folder."""
    from spatial_planner.config import Config, OutputConfig
    from spatial_planner.pipeline import run

    out = tmp_path_factory.mktemp("qgis_run") / "out"
    run(Config(output=OutputConfig(formats=["gpkg", "shp"])), out_dir=out)
    return out


@pytest.fixture(scope="module")
def project(qgis_run) -> ET.Element:
    return ET.parse(qgis_run / PROJECT_FILE).getroot()


def _tree_names(project: ET.Element) -> list[str]:
    """The project's layers (by the name of their GeoPackage layer or raster), top of the panel first."""
    return [el.get("id").removesuffix("_plan_layer") for el in project.iter("layer-tree-layer")]


def _canonical(element: ET.Element) -> str:
    """An element's XML, whitespace between elements left out (the project file is indented)."""
    return ET.canonicalize(ET.tostring(element, encoding="unicode"), strip_text=True)


def _map_layers(project: ET.Element) -> dict[str, ET.Element]:
    return {ml.find("id").text.removesuffix("_plan_layer"): ml for ml in project.find("projectlayers")}


# --------------------------------------------------------------------------- sidecar styles


def test_every_shapefile_and_geotiff_has_its_qml(qgis_run):
    shp = qgis_run / "shp"
    shapefiles = {p.stem for p in shp.glob("*.shp")}
    assert len(shapefiles) >= 20
    assert {p.stem for p in shp.glob("*.qml")} == shapefiles
    tifs = sorted(qgis_run.glob("*.tif"))
    assert [p.stem for p in tifs] == ["time_to_airport", "time_to_hsr", "time_to_rail_freight"]
    for tif in tifs:
        assert qml_sidecar(tif).is_file(), tif
    for qml in [*shp.glob("*.qml"), *qgis_run.glob("*.qml")]:
        assert ET.parse(qml).getroot().tag == "qgis", qml


def test_shapefile_styles_name_the_shapefile_fields(qgis_run):
    """A style names the shapefile's (shortened) fields: the classification, the labels, the dashed rule."""
    shp = qgis_run / "shp"
    for qml in shp.glob("*.qml"):
        fields = set(pyogrio.read_info(qml.with_suffix(".shp"))["fields"])
        root = ET.parse(qml).getroot()
        attr = root.find("renderer-v2").get("attr")
        assert attr is None or attr in fields, (qml.name, attr)
        label = root.find("labeling/settings/text-style")
        assert label is None or label.get("fieldName") in fields, qml.name
        for opt in root.iter("Option"):
            if opt.get("name") == "expression" and "geometry_quality" not in fields:
                assert '"geometry_quality"' not in opt.get("value"), qml.name
    parks = ET.parse(shp / "parks.qml").getroot()
    short = pd.read_csv(shp / "field_names.csv", encoding="utf-8-sig")
    renamed = dict(zip(short.query("layer == 'parks'")["full_name"], short.query("layer == 'parks'")["shapefile_field"]))
    assert parks.find("renderer-v2").get("attr") == renamed["lead_sector"]
    assert any(f'"{renamed["geometry_quality"]}"' in (o.get("value") or "") for o in parks.iter("Option"))


def test_qml_tier_colours_are_the_palette(qgis_run):
    """The growth poles' tier colours in every QGIS style (GeoPackage, shapefile, project) are the shared palette."""
    alpha = float(LAYER_STYLE["nodes"]["fill_opacity"])
    want = {tier: _rgba(colour, alpha) for tier, (colour, _, _) in TIER_STYLE.items()}
    stored = ET.fromstring(read_styles(qgis_run / "plan.gpkg")["nodes"])
    sidecar = ET.parse(qgis_run / "shp" / "nodes.qml").getroot()
    in_project = _map_layers(ET.parse(qgis_run / PROJECT_FILE).getroot())["nodes"]
    for style in (stored, sidecar, in_project):
        assert _category_colours(style) == want


def test_geotiff_styles_draw_the_time_classes(qgis_run):
    for qml in sorted(qgis_run.glob("time_to_*.qml")):
        renderer = ET.parse(qml).getroot().find("pipe/rasterrenderer")
        assert renderer.get("type") == "singlebandpseudocolor"
        shader = renderer.find("rastershader/colorrampshader")
        assert shader.get("colorRampType") == "DISCRETE"
        items = shader.findall("item")
        assert [i.get("color") for i in items] == list(TIME_COLOURS)
        assert [i.get("value") for i in items] == [f"{b:g}" for b in TIME_BREAKS] + ["inf"]
        assert [i.get("label") for i in items] == minute_labels()
        assert minute_labels()[0] == "0–15 分钟 (min)"  # Chinese first, then English


def test_geotiff_style_is_checked_before_anything_is_written(tmp_path):
    arr = np.arange(12, dtype="float32").reshape(3, 4)
    transform = (1000.0, 0.0, 500000.0, 0.0, -1000.0, 3800000.0)
    from rasterio.transform import Affine

    path = tmp_path / "t.tif"
    qml_sidecar(path).write_text("old", encoding="utf-8")
    with pytest.raises(OutputExistsError):
        write_geotiff(arr, Affine(*transform), "EPSG:4547", path, style=time_raster_style())
    assert not path.exists() and qml_sidecar(path).read_text(encoding="utf-8") == "old"
    write_geotiff(arr, Affine(*transform), "EPSG:4547", path, style=time_raster_style(), overwrite=True)
    assert qml_sidecar(path).read_text(encoding="utf-8") == time_raster_style()
    write_geotiff(arr, Affine(*transform), "EPSG:4547", tmp_path / "plain.tif")
    assert not qml_sidecar(tmp_path / "plain.tif").exists()


def test_rename_qml_fields_renames_field_references_only():
    corridors = gpd.GeoDataFrame({"name_zh": ["走廊"], "geometry_quality": ["schematic"]},
                                 geometry=[LineString([(113, 34), (114, 35)])], crs="EPSG:4490")
    qml = default_styles({"corridors": corridors}, None)["corridors"]  # dashed where approximate
    qml = qml.replace('fieldName="name_zh"', 'fieldName="geometry_quality"')
    renamed = rename_qml_fields(qml, {"geometry_quality": "geometry01", "x": "x"})
    root = ET.fromstring(renamed)
    assert root.find("labeling/settings/text-style").get("fieldName") == "geometry01"
    expr = next(o.get("value") for o in root.iter("Option") if o.get("name") == "expression")
    assert expr.startswith('CASE WHEN "geometry01" IN (') and "'schematic'" in expr  # literals stay
    assert rename_qml_fields(qml, {"a": "a"}) == qml
    with pytest.raises(ConfigError):
        rename_qml_fields("<qgis>", {"a": "b"})


def test_write_shapefiles_writes_styles_of_the_layers_written(tmp_path):
    line = gpd.GeoDataFrame({"geometry_quality": ["approximate"], "name_zh": ["线"]},
                            geometry=[LineString([(113, 34), (114, 35)])], crs="EPSG:4490")
    styles = {"links": qml_single("line", "#e31a1c", label_field="name_zh"), "absent": qml_single("line", "#000000"),
              "table": qml_single("line", "#000000")}
    result = write_shapefiles({"links": line, "table": pd.DataFrame({"a": [1]})}, tmp_path / "shp", styles=styles)
    assert result["styles"] == {"links": tmp_path / "shp" / "links.qml"}
    assert sorted(p.name for p in (tmp_path / "shp").glob("*.qml")) == ["links.qml"]


# --------------------------------------------------------------------------- the project file


def test_project_lists_layers_in_the_fixed_order(qgis_run, project):
    names = _tree_names(project)
    geometry_layers = {str(n) for n, g in pyogrio.list_layers(qgis_run / "plan.gpkg") if g}
    assert set(names) == geometry_layers | {p.stem for p in qgis_run.glob("time_to_*.tif")}
    bands = [_band(n) for n in names]
    assert bands == sorted(bands), list(zip(names, bands))  # points on top … area fills at the bottom
    assert names[0] == "nodes" and names[-1] == "counties"
    for name in names:  # the web map's drawing level of each layer
        assert BANDS[_band(name)][0] == LAYER_PANE.get(name, "rasters"), name
    assert [pane for pane, _ in BANDS] == sorted(set(MAP_PANES) - {"labels"}, key=MAP_PANES.get, reverse=True)
    assert [el.get("id").removesuffix("_plan_layer") for el in project.find("layerorder")] == names
    assert list(_map_layers(project)) == names
    groups = [g.get("name") for g in project.find("layer-tree-group").findall("layer-tree-group")]
    assert groups == ["点 Points", "网 Links", "带 Belts and parks", "底图线 Context lines",
                      "出行时间栅格 Travel-time rasters", "面 Area fills"]


def test_project_sources_are_relative_and_exist(qgis_run, project):
    paths = project.find("properties/Paths/Absolute")
    assert paths.text == "false"
    for name, ml in _map_layers(project).items():
        source = ml.find("datasource").text
        assert source.startswith("./"), source
        assert (qgis_run / source[2:].split("|")[0]).is_file(), source
        assert ml.find("srs/spatialrefsys/authid").text in ("EPSG:4490", "EPSG:4547"), name
        assert len(ml.find("id").text) > 10  # QGIS replaces shorter ids when it reads a project


def test_each_name_is_labelled_on_one_layer_only(qgis_run, project):
    """No text is labelled twice: county names are on the growth poles, not on the counties or the seats too."""
    labelled = {}
    for name, ml in _map_layers(project).items():
        labelings = ml.findall("labeling")
        assert len(labelings) <= 1, name
        if labelings and ml.get("labelsEnabled") == "1":
            labelled[name] = labelings[0].find("settings/text-style").get("fieldName")
    assert labelled.get("nodes") == "name_zh"
    assert "counties" not in labelled and "seats" not in labelled and "belt_corridors" not in labelled
    assert labelled.get("prefectures") == "name_zh"
    texts = {}
    for name, field in labelled.items():
        table = pyogrio.read_dataframe(qgis_run / "plan.gpkg", layer=name, read_geometry=False)
        if name == "prefectures":  # shown where "n_counties" > 1: 济源 (one county) is named by its pole
            show = _map_layers(project)[name].find(".//dd_properties//Option[@name='Show']/Option[@name='expression']")
            assert show.get("value") == '"n_counties" > 1'
            table = table[table["n_counties"] > 1]
        texts[name] = set(table[field].astype(str))
    for a, b in combinations(texts, 2):
        assert not texts[a] & texts[b], (a, b, sorted(texts[a] & texts[b])[:5])


def test_project_draws_the_stored_styles_with_a_translucent_accessibility_fill(qgis_run, project):
    layers = _map_layers(project)
    stored = read_styles(qgis_run / "plan.gpkg")
    for name, ml in layers.items():
        if name.startswith("time_to_"):
            continue
        style = ET.fromstring(stored[name])
        assert _canonical(ml.find("renderer-v2")) == _canonical(style.find("renderer-v2")), name
        assert (ml.find("labeling") is None) == (style.find("labeling") is None), name
    # the accessibility fill lies under everything but the counties and is see-through
    names = list(layers)
    assert names.index("county_access") == len(names) - 2
    fills = {_options(s.find("layer"))["color"] for s in layers["county_access"].find("renderer-v2/symbols")}
    assert {int(f.split(",")[3]) for f in fills} == {round(255 * float(LAYER_STYLE["county_access"]["fill_opacity"]))}
    assert max(int(f.split(",")[3]) for f in fills) < 160
    checked = {el.get("id").removesuffix("_plan_layer"): el.get("checked") for el in project.iter("layer-tree-layer")}
    assert all(checked[n] == "Qt::Checked" for n in ("nodes", "hubs", "belts", "priorities", "linkages", "roads",
                                                     "counties"))
    assert all(checked[n] == "Qt::Unchecked" for n in ("county_access", "isochrones", "time_to_airport",
                                                       "belt_corridors"))
    # belts as on the web map: a wide translucent band of the sector's colour under the axis line
    band, axis = (_options(layer) for layer in layers["belts"].find("renderer-v2/symbols/symbol").findall("layer"))
    bands, axes = LAYER_STYLE["belt_bands"], LAYER_STYLE["belts"]
    assert float(band["line_width"]) == bands["width"] and float(axis["line_width"]) == axes["width"]
    assert band["line_color"].split(",")[:3] == axis["line_color"].split(",")[:3]
    symbol_alpha = float(layers["belts"].find("renderer-v2/symbols/symbol").get("alpha"))
    assert symbol_alpha == axes["opacity"]
    assert abs(symbol_alpha * int(band["line_color"].split(",")[3]) / 255 - bands["opacity"]) < 0.01


def test_plan_project_leaves_out_what_it_cannot_draw(tmp_path):
    nodes = gpd.GeoDataFrame({"name_zh": ["郑州"], "tier": ["国家级"]}, geometry=[Point(113.6, 34.7)], crs="EPSG:4490")
    styles = default_styles({"nodes": nodes}, None)
    xml = plan_project({"nodes": nodes, "unstyled": nodes, "table": pd.DataFrame({"a": [1]})}, styles)
    root = ET.fromstring(xml)
    assert _tree_names(root) == ["nodes"]
    assert root.find("projectCrs/spatialrefsys/authid").text == "EPSG:4490"
    with pytest.raises(ConfigError, match="raster"):
        plan_project({"nodes": nodes}, styles, rasters={"time_to_hsr": ("t.tif", "EPSG:4547")})
    with pytest.raises(ConfigError):
        plan_project({"nodes": nodes}, {"nodes": "<qgis"})


# --------------------------------------------------------------------------- in QGIS itself

#: The Python that has PyQGIS (QGIS's own packages are built for the system Python).
QGIS_PYTHON = os.environ.get("QGIS_PYTHON", "/usr/bin/python3")

_PYQGIS_SCRIPT = r'''
import glob, json, os, sys
from qgis.core import (QgsApplication, QgsCoordinateTransform, QgsExpressionContext, QgsExpressionContextUtils,
                       QgsFeatureRequest, QgsMapRendererParallelJob, QgsMapSettings, QgsProject, QgsRasterLayer,
                       QgsRectangle, QgsRenderContext, QgsVectorLayer)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

folder, png = sys.argv[1], sys.argv[2]
app = QgsApplication([], False)
app.initQgis()

def describe(layer):
    out = {"valid": layer.isValid(), "crs": layer.crs().authid()}
    renderer = layer.renderer()
    out["renderer"] = renderer.type() if renderer else None
    if isinstance(layer, QgsVectorLayer):
        out["colours"] = [s.color().name() for s in renderer.symbols(QgsRenderContext())]
        out["labels"] = layer.labelsEnabled()
        out["features"] = layer.featureCount()
    elif out["renderer"] == "singlebandpseudocolor":
        items = renderer.shader().rasterShaderFunction().colorRampItemList()
        out["colours"] = [i.color.name() for i in items]
    return out

project = QgsProject.instance()
ok = project.read(os.path.join(folder, "plan.qgs"))
root = project.layerTreeRoot()
result = {"read": ok, "crs": project.crs().authid(), "project": {}, "order": [], "shp": {}, "tif": {}}
for node in root.findLayers():
    layer = node.layer()
    result["order"].append(node.layerId())
    result["project"][node.layerId()] = describe(layer) if layer else {"valid": False}
for shp in sorted(glob.glob(os.path.join(folder, "shp", "*.shp"))):
    result["shp"][os.path.basename(shp)] = describe(QgsVectorLayer(shp, "shp", "ogr"))
for tif in sorted(glob.glob(os.path.join(folder, "*.tif"))):
    result["tif"][os.path.basename(tif)] = describe(QgsRasterLayer(tif, "tif", "gdal"))

def render(extent, path=None):
    """The visible layers drawn as the map canvas draws them (its expression scopes: @map_scale …); the labels
    placed, as (layer id, text)."""
    settings = QgsMapSettings()
    settings.setLayers([n.layer() for n in root.findLayers() if n.isVisible() and n.layer()])
    settings.setDestinationCrs(project.crs())
    settings.setOutputSize(QSize(1366, 768))
    settings.setBackgroundColor(QColor("white"))
    settings.setExtent(extent)
    settings.setLabelingEngineSettings(project.labelingEngineSettings())
    context = QgsExpressionContext()
    for scope in (QgsExpressionContextUtils.globalScope(), QgsExpressionContextUtils.projectScope(project),
                  QgsExpressionContextUtils.mapSettingsScope(settings)):
        context.appendScope(scope)
    settings.setExpressionContext(context)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    if path:
        job.renderedImage().save(path, "png")
    placed = job.takeLabelingResults().labelsWithinRect(settings.visibleExtent())
    return [e.message for e in job.errors()], sorted({(p.layerID, p.labelText) for p in placed})

result["render_errors"], result["labels"] = render(project.viewSettings().defaultViewExtent(), png)
# and zoomed in on the poles of the national tier, where every tier is named
nodes = project.mapLayer("nodes_plan_layer")
box = QgsRectangle()
for f in nodes.getFeatures(QgsFeatureRequest().setFilterExpression("\"tier\" = '国家级'")):
    box.combineExtentWith(f.geometry().boundingBox())
box = QgsCoordinateTransform(nodes.crs(), project.crs(), project).transformBoundingBox(box)
box.grow(40000)
errors, result["labels_zoomed"] = render(box)
result["render_errors"] += errors
print("RESULT" + json.dumps(result))
app.exitQgis()
'''


@pytest.fixture(scope="module")
def pyqgis_env() -> dict[str, str]:
    """The environment that runs :data:`QGIS_PYTHON` with PyQGIS offscreen; skips (before any run) without it."""
    if not Path(QGIS_PYTHON).exists():
        pytest.skip(f"no {QGIS_PYTHON} for PyQGIS; set QGIS_PYTHON to the Python of a QGIS installation")
    # the system Python with its own packages: none of this environment's paths
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    probe = subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True, timeout=120,
                           env=env, check=False)
    if probe.returncode != 0:
        pytest.skip(f"PyQGIS is not installed for {QGIS_PYTHON} (Debian: apt-get install python3-qgis)")
    return env


@pytest.fixture(scope="module")
def in_qgis(pyqgis_env, qgis_run, tmp_path_factory):
    """The run's outputs as QGIS opens them (project, shapefiles, GeoTIFFs) and the project rendered to a PNG."""
    env = pyqgis_env
    folder = tmp_path_factory.mktemp("in_qgis") / "out"
    shutil.copytree(qgis_run, folder)  # QGIS may write .aux.xml beside rasters: not into the run's folder
    png = folder.parent / "plan.png"
    run = subprocess.run([QGIS_PYTHON, "-c", _PYQGIS_SCRIPT, str(folder), str(png)], capture_output=True, text=True,
                         timeout=600, env=env, check=False)
    line = next((x for x in run.stdout.splitlines() if x.startswith("RESULT")), None)
    assert run.returncode == 0 and line, run.stderr[-3000:]
    return json.loads(line[len("RESULT"):]), png


def test_qgis_opens_the_project_with_every_layer_valid_and_styled(in_qgis, project):
    result, _ = in_qgis
    assert result["read"] and result["crs"] == "EPSG:4547"
    assert result["order"] == [el.get("id") for el in project.iter("layer-tree-layer")]  # the order QGIS shows
    for layer_id, layer in result["project"].items():
        assert layer["valid"], layer_id
        name = layer_id.removesuffix("_plan_layer")
        ml = _map_layers(project)[name]
        if name.startswith("time_to_"):
            assert layer["renderer"] == "singlebandpseudocolor" and layer["colours"] == list(TIME_COLOURS)
            continue
        style = ml.find("renderer-v2")
        assert layer["renderer"] == style.get("type"), name  # not QGIS's default single symbol
        assert layer["features"] > 0, name
        colours = {_options(s.find("layer")).get("color") or _options(s.find("layer")).get("line_color")
                   for s in style.find("symbols")}
        assert {c.lower() for c in layer["colours"]} <= {"#" + "".join(f"{int(v):02x}" for v in c.split(",")[:3])
                                                         for c in colours}, name
        assert layer["labels"] == (ml.get("labelsEnabled") == "1"), name
    nodes = result["project"]["nodes_plan_layer"]
    assert sorted(nodes["colours"]) == sorted(c for c, _, _ in TIER_STYLE.values())


def test_qgis_places_each_name_once(in_qgis):
    """In the labels QGIS places, province-wide and zoomed in, no text comes from two layers; the province view
    names the prefectures, the belts and national-tier poles only, as the web map does."""
    result, _ = in_qgis
    for view in ("labels", "labels_zoomed"):
        layers_of: dict[str, set] = {}
        for layer_id, text in result[view]:
            layers_of.setdefault(text, set()).add(layer_id)
        assert not {t: ids for t, ids in layers_of.items() if len(ids) > 1}, view
        assert "counties_plan_layer" not in {layer_id for layer_id, _ in result[view]}, view
    province = {layer_id for layer_id, _ in result["labels"]}
    assert {"prefectures_plan_layer", "belts_plan_layer", "nodes_plan_layer"} <= province
    zoomed = {layer_id for layer_id, _ in result["labels_zoomed"]}
    assert "nodes_plan_layer" in zoomed
    nodes_in_province = {t for layer_id, t in result["labels"] if layer_id == "nodes_plan_layer"}
    nodes_zoomed = {t for layer_id, t in result["labels_zoomed"] if layer_id == "nodes_plan_layer"}
    assert len(nodes_zoomed) > len(nodes_in_province)  # the lower tiers are named from a closer zoom on


def test_qgis_applies_the_sidecar_styles(in_qgis, qgis_run):
    result, _ = in_qgis
    assert len(result["shp"]) >= 20
    for name, layer in result["shp"].items():
        assert layer["valid"], name
        style = ET.parse(qgis_run / "shp" / Path(name).with_suffix(".qml")).getroot().find("renderer-v2")
        assert layer["renderer"] == style.get("type"), name
    assert result["shp"]["nodes.shp"]["renderer"] == "categorizedSymbol" and result["shp"]["nodes.shp"]["labels"]
    assert sorted(result["shp"]["nodes.shp"]["colours"]) == sorted(c for c, _, _ in TIER_STYLE.values())
    assert result["shp"]["county_access.shp"]["renderer"] == "graduatedSymbol"
    for name, layer in result["tif"].items():
        assert layer["valid"] and layer["renderer"] == "singlebandpseudocolor", name  # not a grey stretch
        assert layer["colours"] == list(TIME_COLOURS), name


def test_the_rendered_project_shows_poles_by_tier_belts_and_links(in_qgis, qgis_run):
    from PIL import Image

    from spatial_planner.io import read_sectors

    result, png = in_qgis
    assert result["render_errors"] == []
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert rgb.shape == (768, 1366, 3)

    def pixels(hex_colour: str, tol: int = 6) -> int:
        target = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        return int((np.abs(rgb - target).max(axis=-1) <= tol).sum())

    for tier in ("国家级", "省级"):
        assert pixels(TIER_STYLE[tier][0]) >= 100, tier
    assert pixels(str(LAYER_STYLE["priorities"]["colour"]), tol=12) >= 100  # priority links
    belts = pyogrio.read_dataframe(qgis_run / "plan.gpkg", layer="belts", read_geometry=False)
    colour = dict(zip(read_sectors()["code"], read_sectors()["color"]))
    # the belts' axes and names in their sector's colour (the translucent bands are lighter)
    seen = {s for s in set(belts["sector"]) if pixels(sector_colour(s, colour), tol=12) >= 100}
    assert len(seen) >= min(3, belts["sector"].nunique()), seen  # the belts' axes and bands
    assert (rgb.sum(axis=-1) < 765).mean() > 0.3  # a map, not a blank page
