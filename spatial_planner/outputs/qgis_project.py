"""The QGIS project of a run, ``plan.qgs``: the plan's layers in a fixed drawing order, styled, labelled once.

Opening ``plan.qgs`` (beside ``plan.gpkg`` and the ``time_to_<kind>.tif``
rasters in the run's output folder) shows the plan as a provincial planner
reads it, in the web map's drawing order: area fills at the bottom, then the
travel-time rasters, the context lines (boundaries, railways, roads), the
belts (and parks), the links, and the points (growth poles by tier on top). Each layer carries the style of
:func:`spatial_planner.outputs.qgis.default_styles` (the web map's palette,
the very QML stored in the GeoPackage's ``layer_styles``) and each raster the
travel-time classes (:func:`spatial_planner.outputs.qgis.time_raster_style`).
Layers the web map hides at first (accessibility, isochrones, rasters, the
routing network, clusters …) are loaded but switched off.

The project is written as QGIS 3 XML from Python (QGIS itself is never
needed); data sources are relative to the project file, so the output folder
can be moved or copied as a whole.
"""

from __future__ import annotations

import os
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pyproj

from .._errors import ConfigError
from ..io.writers import write_text
from ..symbology import HUB_LABELS, LAYER_PANE, LAYER_TITLES, MAP_PANES

__all__ = [
    "PROJECT_FILE",
    "PROJECT_GROUPS",
    "PROJECT_HIDDEN",
    "PROJECT_VERSION",
    "RASTERS",
    "plan_project",
    "project_layer_order",
    "write_plan_project",
]

#: File name of the project in a run's output folder.
PROJECT_FILE = "plan.qgs"

#: QGIS version the project declares: the oldest it is checked with (QGIS 3.22 LTR opens it without warning
#: that the file comes from a newer QGIS; newer versions read it as it is).
PROJECT_VERSION = "3.22.0"

#: Stands for the travel-time rasters in :data:`PROJECT_GROUPS`.
RASTERS = "<rasters>"

#: Titles (zh, en) of the project's layer groups: one per pane of the web map
#: (:data:`~spatial_planner.symbology.MAP_PANES`).
_GROUP_TITLES = {"points": ("点", "Points"), "links": ("网", "Links"), "belts": ("带", "Belts and parks"),
                 "context": ("底图线", "Context lines"), "rasters": ("出行时间栅格", "Travel-time rasters"),
                 "fills": ("面", "Area fills")}

#: Every layer the project knows, top first within its pane, in the web map's order (what it draws last on top).
_PANEL_ORDER = ("nodes", "seats", "hubs", "stations",
                "isomorphism", "priorities", "linkages",
                "belt_segments", "belts", "belt_corridors", "clusters", "parks",
                "boundary", "corridors", "rail_lines", "roads", "prefectures", "network_edges",
                "isochrones", "county_access", "counties")

#: The project's layer panel from top to bottom: groups (zh, en) and their layers, top first. QGIS draws the
#: panel's last layer first, so this is the drawing order reversed, the web map's
#: (:data:`~spatial_planner.symbology.LAYER_PANE`): points on top, then links, belts (and parks), context lines,
#: the travel-time rasters, and area fills at the bottom.
PROJECT_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = tuple(
    (*_GROUP_TITLES[pane], (RASTERS,) if pane == "rasters" else tuple(n for n in _PANEL_ORDER if LAYER_PANE[n] == pane))
    for pane in sorted(_GROUP_TITLES, key=MAP_PANES.__getitem__, reverse=True))

#: Layers loaded but switched off (as the web map first hides them): tick them in the layer panel. The
#: travel-time rasters are switched off too.
PROJECT_HIDDEN = frozenset({"stations", "seats", "isomorphism", "corridors", "network_edges", "clusters",
                            "belt_segments", "belt_corridors", "isochrones", "county_access"})

_PROVIDER_GEOMETRY = {"Point": "Point", "MultiPoint": "Point", "LineString": "Line", "MultiLineString": "Line",
                      "Polygon": "Polygon", "MultiPolygon": "Polygon"}
_EXTENT_MARGIN = 0.03


def project_layer_order(layers: Mapping[str, object], rasters: Mapping[str, object] | None = None) -> list[str]:
    """The names of the layers a project holds, top of the layer panel (drawn last) first.

    Parameters
    ----------
    layers
        Layer name → anything (only the names are read).
    rasters
        Raster name → anything; placed where :data:`RASTERS` stands, in their own order.

    Returns
    -------
    list[str]
        The names of :data:`PROJECT_GROUPS` present, in panel order; names not in the groups are left out.
    """
    out = []
    for _, _, names in PROJECT_GROUPS:
        for name in names:
            if name == RASTERS:
                out += list(rasters or {})
            elif name in layers:
                out.append(name)
    return out


# --------------------------------------------------------------------------- XML pieces


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: str(v) for k, v in attrib.items()})
    if text is not None:
        el.text = str(text)
    return el


def _crs(crs: object) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise ConfigError(f"not a coordinate reference system: {crs!r}", key="crs", source="QGIS project",
                          fix="pass an EPSG code such as 'EPSG:4547' or a pyproj CRS.") from exc


def _spatialrefsys(parent: ET.Element, crs: pyproj.CRS) -> ET.Element:
    """A ``<spatialrefsys>`` QGIS reads from its WKT (and knows by its authority code)."""
    el = _sub(parent, "spatialrefsys")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyproj warns that PROJ strings lose information; QGIS reads the WKT
        proj4 = crs.to_proj4()
    authority = crs.to_authority()
    _sub(el, "wkt", crs.to_wkt())
    _sub(el, "proj4", proj4 or "")
    _sub(el, "srid", authority[1] if authority and authority[0] == "EPSG" else "0")
    _sub(el, "authid", ":".join(authority) if authority else "")
    _sub(el, "description", crs.name)
    _sub(el, "geographicflag", "true" if crs.is_geographic else "false")
    return el


def _extent(parent: ET.Element, bounds: tuple[float, float, float, float]) -> None:
    for key, value in zip(("xmin", "ymin", "xmax", "ymax"), bounds):
        _sub(parent, key, repr(float(value)))


def _style_root(qml: str, name: str) -> ET.Element:
    try:
        return ET.fromstring(qml)
    except ET.ParseError as exc:
        raise ConfigError(f"the QGIS style of layer '{name}' is not well-formed XML ({exc})", key=name,
                          source="QGIS project", fix="pass styles from spatial_planner.outputs.qgis.") from exc


def _map_layer(parent: ET.Element, *, layer_id: str, kind: str, title: str, source: str, provider: str,
               crs: pyproj.CRS | None, style: ET.Element, geometry: str | None = None) -> ET.Element:
    """One ``<maplayer>``: its source and CRS, then the style's elements as they are in the QML."""
    attrib = {k: v for k, v in style.attrib.items() if k != "version"}
    attrib["type"] = kind
    if geometry:
        attrib["geometry"] = geometry
    layer = _sub(parent, "maplayer", **attrib)
    _sub(layer, "id", layer_id)
    _sub(layer, "datasource", source)
    _sub(layer, "layername", title)
    if crs is not None:
        _spatialrefsys(_sub(layer, "srs"), crs)
    if provider == "ogr":
        _sub(layer, "provider", provider, encoding="UTF-8")
    else:
        _sub(layer, "provider", provider)
    for child in style:
        layer.append(child)
    return layer


def _layer_id(name: str) -> str:
    """A layer's id in the project: fixed, so that tests and scripts can find it, and longer than 10 characters,
    since QGIS replaces shorter ids with random ones when it reads a project."""
    return f"{name}_plan_layer"


def _title(name: str, gdf: gpd.GeoDataFrame | None = None) -> str:
    """A layer's name in the panel: Chinese, then English."""
    zh, en = LAYER_TITLES.get(name, (name, name))
    if name == "county_access" and gdf is not None:
        col = next((str(c) for c in gdf.columns if str(c).startswith("min_to_")), None)
        kind = HUB_LABELS.get(col[len("min_to_"):]) if col else None
        if kind:
            zh, en = f"县域到{kind[0]}时间（分钟）", f"County minutes to the nearest {kind[1]}"
    return f"{zh} {en}"


def _raster_title(name: str) -> str:
    key = name.removeprefix("time_to_")
    zh, en = HUB_LABELS.get(key, (key, key))
    return f"到{zh}出行时间（分钟） Travel time to the nearest {en} (min)"


def _geometry(gdf: gpd.GeoDataFrame) -> str | None:
    kinds = {_PROVIDER_GEOMETRY.get(t) for t in gdf.geom_type.dropna().unique()}
    return kinds.pop() if len(kinds) == 1 and None not in kinds else None


def _bounds(layers: Mapping[str, gpd.GeoDataFrame], crs: pyproj.CRS) -> tuple[float, float, float, float] | None:
    """The extent of the boundary (else the counties, else every layer) in ``crs``, with a margin."""
    frames = [layers[k] for k in ("boundary", "counties") if k in layers and len(layers[k])][:1] or \
        [g for g in layers.values() if len(g)]
    boxes = [g.to_crs(crs).total_bounds for g in frames if g.crs is not None]
    if not boxes:
        return None
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    dx, dy = (x1 - x0) * _EXTENT_MARGIN, (y1 - y0) * _EXTENT_MARGIN
    return x0 - dx, y0 - dy, x1 + dx, y1 + dy


# --------------------------------------------------------------------------- the project


def plan_project(
    layers: Mapping[str, gpd.GeoDataFrame],
    styles: Mapping[str, str],
    *,
    gpkg: str = "plan.gpkg",
    rasters: Mapping[str, tuple[str, object]] | None = None,
    raster_style: str | None = None,
    crs: object = None,
    title: str = "",
) -> str:
    """The text of a QGIS project (``.qgs``) showing the plan's GeoPackage and rasters, styled.

    Parameters
    ----------
    layers
        Layer name → GeoDataFrame, as written to the GeoPackage. The layers of
        :data:`PROJECT_GROUPS` that have a style are loaded; others (tables,
        unstyled layers) are left to the GeoPackage.
    styles
        Layer name → QML (:func:`~spatial_planner.outputs.qgis.default_styles`).
    gpkg
        The GeoPackage's path relative to the project file.
    rasters
        Raster name (``time_to_airport`` …) → (path relative to the project
        file, CRS), drawn with ``raster_style``.
    raster_style
        QML of the rasters (:func:`~spatial_planner.outputs.qgis.time_raster_style`);
        required with ``rasters``.
    crs
        The project's (map's) CRS; the first layer's CRS by default.
    title
        The project's title.

    Returns
    -------
    str
        The project XML. Layers appear in the fixed order of :data:`PROJECT_GROUPS`
        (:func:`project_layer_order`); those in :data:`PROJECT_HIDDEN` and the
        rasters are switched off.

    Raises
    ------
    ConfigError
        A style is not well-formed XML, ``crs`` is not a CRS, or rasters come
        without ``raster_style``.
    """
    rasters = dict(rasters or {})
    if rasters and raster_style is None:
        raise ConfigError("rasters need a raster style", key="raster_style", source="QGIS project",
                          fix="pass raster_style=spatial_planner.outputs.qgis.time_raster_style().")
    shown = {k: g for k, g in layers.items() if k in styles and isinstance(g, gpd.GeoDataFrame) and g.crs is not None}
    order = project_layer_order(shown, rasters)
    if crs is None:
        crs = next((g.crs for g in shown.values()), None) or "EPSG:4490"
    project_crs = _crs(crs)

    root = ET.Element("qgis", {"projectname": title, "version": PROJECT_VERSION})
    _sub(root, "homePath", path="")
    _sub(root, "title", title)
    _spatialrefsys(_sub(root, "projectCrs"), project_crs)

    ids = {name: _layer_id(name) for name in order}
    tree = _sub(root, "layer-tree-group")
    _sub(tree, "customproperties")
    for zh, en, names in PROJECT_GROUPS:
        members = [n for n in order if n in names or (RASTERS in names and n in rasters)]
        if not members:
            continue
        group = _sub(tree, "layer-tree-group", name=f"{zh} {en}", checked="Qt::Checked", expanded="1")
        _sub(group, "customproperties")
        for name in members:
            raster = name in rasters
            source = f"./{rasters[name][0]}" if raster else f"./{gpkg}|layername={name}"
            hidden = raster or name in PROJECT_HIDDEN
            _sub(group, "layer-tree-layer", id=ids[name], name=_raster_title(name) if raster else
                 _title(name, shown[name]), source=source, providerKey="gdal" if raster else "ogr",
                 checked="Qt::Unchecked" if hidden else "Qt::Checked", expanded="0" if hidden else "1")
    custom = _sub(tree, "custom-order", enabled="0")
    for name in order:
        _sub(custom, "item", ids[name])

    project_layers = _sub(root, "projectlayers")
    for name in order:
        if name in rasters:
            path, raster_crs = rasters[name]
            _map_layer(project_layers, layer_id=ids[name], kind="raster", title=_raster_title(name),
                       source=f"./{path}", provider="gdal", crs=_crs(raster_crs) if raster_crs is not None else None,
                       style=_style_root(raster_style, name))
        else:
            gdf = shown[name]
            _map_layer(project_layers, layer_id=ids[name], kind="vector", title=_title(name, gdf),
                       source=f"./{gpkg}|layername={name}", provider="ogr", crs=_crs(gdf.crs),
                       style=_style_root(styles[name], name), geometry=_geometry(gdf))
    layer_order = _sub(root, "layerorder")
    for name in order:
        _sub(layer_order, "layer", id=ids[name])

    props = _sub(root, "properties")
    paths = _sub(props, "Paths")
    _sub(paths, "Absolute", "false", type="bool")
    srs = _sub(props, "SpatialRefSys")
    _sub(srs, "ProjectionsEnabled", "1", type="int")

    bounds = _bounds(shown, project_crs)
    if bounds is not None:
        canvas = _sub(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
        _sub(canvas, "units", "degrees" if project_crs.is_geographic else "meters")
        _extent(_sub(canvas, "extent"), bounds)
        _sub(canvas, "rotation", "0")
        _spatialrefsys(_sub(canvas, "destinationsrs"), project_crs)
        view = _sub(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
        default = _sub(view, "DefaultViewExtent", **dict(zip(("xmin", "ymin", "xmax", "ymax"),
                                                               (repr(float(v)) for v in bounds))))
        _spatialrefsys(default, project_crs)
    ET.indent(root, space=" ")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def write_plan_project(
    path: str | os.PathLike,
    layers: Mapping[str, gpd.GeoDataFrame],
    styles: Mapping[str, str],
    *,
    overwrite: bool = False,
    **options: object,
) -> Path:
    """Write :func:`plan_project` to ``path`` (UTF-8, atomically: :func:`spatial_planner.io.write_text`).

    Parameters
    ----------
    path
        The ``.qgs`` file, in the folder of the GeoPackage and rasters it names.
    layers, styles
        As in :func:`plan_project`.
    overwrite
        Replace an existing file.
    **options
        ``gpkg``, ``rasters``, ``raster_style``, ``crs``, ``title`` of :func:`plan_project`.

    Returns
    -------
    Path
        The project file.
    """
    return write_text(plan_project(layers, styles, **options), path, overwrite=overwrite)  # type: ignore[arg-type]
