"""QGIS layer styles (QML) of the plan's layers and rasters, from the one palette of :mod:`spatial_planner.symbology`.

The styles are generated as QGIS 3 QML text from Python (QGIS itself is never
needed). The run stores them where QGIS looks for them: in the GeoPackage's
``layer_styles`` table with the default-style flag set
(:func:`spatial_planner.io.write_styles`), as ``<name>.qml`` beside each
shapefile and GeoTIFF (:func:`spatial_planner.io.write_shapefiles`,
:func:`spatial_planner.io.write_geotiff`), and inside the QGIS project
``plan.qgs`` (:mod:`spatial_planner.outputs.qgis_project`). QGIS then draws
every layer with the same colours, widths, dashes and classes as the HTML map.

* :func:`qml_single`, :func:`qml_categorized`, :func:`qml_graduated` build one
  QML document (single symbol, categories, graduated ranges), optionally with
  labels on a text field in a CJK-capable font.
* :func:`qml_raster_classes` and :func:`time_raster_style` style a
  single-band raster in fixed classes (the travel-time classes).
* :func:`default_styles` builds the styles of the layers the plan writes; each
  name is labelled on one layer only.

Sizes (line widths, outline widths, marker sizes, dash lengths) are screen
pixels, as on the web map. Every text that enters the XML (values, labels,
field names) is escaped, so Chinese text and characters such as ``<`` or ``&``
are safe.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

import geopandas as gpd
import pandas as pd

from .._errors import ConfigError
from ..symbology import (
    APPROXIMATE_QUALITY,
    CLASS_LABELS,
    HUB_LABELS,
    HUB_STYLE,
    LAYER_STYLE,
    MULTI_SECTOR,
    NETWORK_EDGE_STYLE,
    RAIL_STYLE,
    RASTER_OPACITY,
    ROAD_STYLE,
    STATION_COLOURS,
    STRENGTH_EN,
    STRENGTH_STYLE,
    TIER_LABEL_EN,
    TIER_STYLE,
    TIERS,
    minute_classes,
    sector_colour,
    text_colour,
)
from .webmap.labels import LABEL_ZOOM

__all__ = [
    "LABEL_FONT",
    "QGIS_VERSION",
    "default_styles",
    "minute_labels",
    "qml_categorized",
    "qml_graduated",
    "qml_raster_classes",
    "qml_single",
    "time_raster_style",
]

#: QGIS version the QML declares.
QGIS_VERSION = "3.28.0"

#: Font family of labels (Chinese-capable; Debian/Ubuntu ``fonts-noto-cjk``).
LABEL_FONT = "Noto Sans CJK SC"



_GEOMETRIES = {"polygon": ("fill", "SimpleFill", 2), "line": ("line", "SimpleLine", 1),
               "point": ("marker", "SimpleMarker", 0)}
_UNIT = "Pixel"
_OPEN_BOUND = 1e12  # graduated classes are open at both ends: ±1e12 stands for ±infinity
_DEFAULT_WIDTH = {"polygon": 0.6, "line": 1.0, "point": 0.8}
_DEFAULT_POINT_SIZE = 6.0
_CATEGORY_KEYS = {"width", "dash", "size", "point_size", "outline", "band"}
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --------------------------------------------------------------------------- XML helpers


def _attr(value: object) -> str:
    """Text as a double-quoted XML attribute value (escaped, control characters dropped)."""
    text = _INVALID_XML.sub("", str(value))
    return escape(text, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _rgba(colour: str, *, what: str = "colour", alpha: float | None = None) -> str:
    """``"#rrggbb"`` (or ``#rgb``, ``#rrggbbaa``) as QGIS's ``"r,g,b,a"``; ``alpha`` (0–1) scales the alpha."""
    text = str(colour).strip()
    m = re.fullmatch(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})", text)
    if not m:
        raise ConfigError(f"not a hex colour: {colour!r}", key=what, source="QGIS style",
                          fix="write colours as '#rrggbb', for example '#c0392b'.")
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    parts = [int(h[i:i + 2], 16) for i in range(0, len(h), 2)]
    if len(parts) == 3:
        parts.append(255)
    if alpha is not None:
        parts[3] = round(parts[3] * min(max(float(alpha), 0.0), 1.0))
    return ",".join(str(p) for p in parts)


def _num(value: float) -> str:
    """A number as QGIS writes it (no trailing ``.0``)."""
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def _value_text(value: object) -> str:
    """A category value as the text QGIS compares feature values with."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _dash(dash: str | None) -> str | None:
    """``"6 4"`` (or ``"6,4"``) as QGIS's ``"6;4"``; None for a solid line."""
    if dash is None or str(dash).strip() == "":
        return None
    parts = re.split(r"[\s,;]+", str(dash).strip())
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) < 2 or any(v < 0 or not math.isfinite(v) for v in values):
        raise ConfigError(f"not a dash pattern: {dash!r}", key="dash", source="QGIS style",
                          fix="write dash patterns as dash and gap lengths in pixels, for example '6 4'.")
    return ";".join(_num(v) for v in values)


def _check_geometry(geometry: str) -> str:
    g = str(geometry).lower()
    if g not in _GEOMETRIES:
        raise ConfigError(f"unknown geometry kind {geometry!r}", key="geometry", source="QGIS style",
                          fix="use 'polygon', 'line' or 'point'.")
    return g


def _options(pairs: Sequence[tuple[str, object]]) -> str:
    rows = "".join(f'<Option name="{_attr(k)}" type="QString" value="{_attr(v)}"/>' for k, v in pairs)
    return f'<Option type="Map">{rows}</Option>'


#: A symbol layer's data-defined stroke style: dashed where ``geometry_quality`` says the feature is
#: schematic or approximate (the web map's rule, :data:`~spatial_planner.symbology.APPROXIMATE_QUALITY`).
_APPROXIMATE_EXPRESSION = ('CASE WHEN "geometry_quality" IN ({}) THEN \'dash\' ELSE \'solid\' END'.format(
    ", ".join(f"'{q}'" for q in sorted(APPROXIMATE_QUALITY))))


def _ddp(tag: str, expressions: Mapping[str, str]) -> str:
    """A ``<tag>`` collection of data-defined properties: property name → QGIS expression (all active)."""
    props = "".join(
        f'<Option name="{_attr(name)}" type="Map"><Option name="active" type="bool" value="true"/>'
        f'<Option name="expression" type="QString" value="{_attr(expr)}"/>'
        '<Option name="type" type="int" value="3"/></Option>'
        for name, expr in expressions.items())
    inner = f'<Option name="properties" type="Map">{props}</Option>' if props else '<Option name="properties"/>'
    return (f'<{tag}><Option type="Map"><Option name="name" type="QString" value=""/>{inner}'
            f'<Option name="type" type="QString" value="collection"/></Option></{tag}>')


_DDP = _ddp("data_defined_properties", {})
_DDP_APPROXIMATE = _ddp("data_defined_properties", {"outlineStyle": _APPROXIMATE_EXPRESSION})


def _dash_approximate(qml: str) -> str:
    """Every symbol layer of a style drawn dashed for features flagged schematic or approximate."""
    return qml.replace(f"{_DDP}</layer>", f"{_DDP_APPROXIMATE}</layer>")


def _line_options(colour: str, width: float, customdash: str | None, *, alpha: float | None = None) -> list:
    """The options of a ``SimpleLine`` symbol layer (``customdash`` in QGIS's ``"6;4"``, None for solid)."""
    return [
        ("align_dash_pattern", "0"),
        ("capstyle", "round" if customdash is None else "flat"),
        ("customdash", customdash or "5;2"),
        ("customdash_map_unit_scale", "3x:0,0,0,0,0,0"),
        ("customdash_unit", _UNIT),
        ("dash_pattern_offset", "0"),
        ("dash_pattern_offset_map_unit_scale", "3x:0,0,0,0,0,0"),
        ("dash_pattern_offset_unit", _UNIT),
        ("draw_inside_polygon", "0"),
        ("joinstyle", "round"),
        ("line_color", _rgba(colour, alpha=alpha)),
        ("line_style", "solid"),
        ("line_width", _num(width)),
        ("line_width_unit", _UNIT),
        ("offset", "0"),
        ("offset_map_unit_scale", "3x:0,0,0,0,0,0"),
        ("offset_unit", _UNIT),
        ("ring_filter", "0"),
        ("trim_distance_end", "0"),
        ("trim_distance_start", "0"),
        ("tweak_dash_pattern_on_corners", "0"),
        ("use_custom_dash", "1" if customdash else "0"),
        ("width_map_unit_scale", "3x:0,0,0,0,0,0"),
    ]


def _symbol(
    geometry: str,
    name: str,
    colour: str,
    *,
    width: float | None = None,
    outline: str | None = "#333333",
    opacity: float = 1.0,
    point_size: float | None = None,
    dash: str | None = None,
    fill: bool = True,
    fill_opacity: float | None = None,
    outline_opacity: float | None = None,
    band: tuple[float, float] | None = None,
) -> str:
    """One ``<symbol>`` with one simple symbol layer.

    ``outline`` None outlines polygons and markers in their fill colour; ``fill_opacity`` makes the fill
    (not the outline) translucent, ``outline_opacity`` the outline (not the fill). ``band`` (lines only:
    width in pixels, opacity) draws a wide translucent band of the line's colour under the line.
    """
    sym_type, layer_class, _ = _GEOMETRIES[geometry]
    outline = colour if outline is None else outline
    w = _DEFAULT_WIDTH[geometry] if width is None else float(width)
    customdash = _dash(dash)
    if geometry == "polygon":
        edge = colour if not fill else outline
        opts = [
            ("border_width_map_unit_scale", "3x:0,0,0,0,0,0"),
            ("color", _rgba(colour, alpha=fill_opacity)),
            ("joinstyle", "bevel"),
            ("offset", "0,0"),
            ("offset_map_unit_scale", "3x:0,0,0,0,0,0"),
            ("offset_unit", _UNIT),
            ("outline_color", _rgba(edge, what="outline", alpha=outline_opacity)),
            ("outline_style", "dash" if customdash else "solid"),
            ("outline_width", _num(w)),
            ("outline_width_unit", _UNIT),
            ("style", "solid" if fill else "no"),
        ]
    elif geometry == "line":
        opts = _line_options(colour, w, customdash)
    else:
        size = _DEFAULT_POINT_SIZE if point_size is None else float(point_size)
        opts = [
            ("angle", "0"),
            ("cap_style", "square"),
            ("color", _rgba(colour, alpha=fill_opacity)),
            ("horizontal_anchor_point", "1"),
            ("joinstyle", "bevel"),
            ("name", "circle"),
            ("offset", "0,0"),
            ("offset_map_unit_scale", "3x:0,0,0,0,0,0"),
            ("offset_unit", _UNIT),
            ("outline_color", _rgba(outline, what="outline", alpha=outline_opacity)),
            ("outline_style", "solid"),
            ("outline_width", _num(w)),
            ("outline_width_map_unit_scale", "3x:0,0,0,0,0,0"),
            ("outline_width_unit", _UNIT),
            ("scale_method", "diameter"),
            ("size", _num(size)),
            ("size_map_unit_scale", "3x:0,0,0,0,0,0"),
            ("size_unit", _UNIT),
            ("vertical_anchor_point", "1"),
        ]
    alpha = min(max(float(opacity), 0.0), 1.0)
    layers = f'<layer class="{layer_class}" enabled="1" locked="0" pass="0">{_options(opts)}{_DDP}</layer>'
    if band is not None and geometry == "line":
        # the band's own opacity, whatever the symbol's (which applies to both layers)
        band_alpha = min(float(band[1]) / alpha, 1.0) if alpha > 0 else 0.0
        under = _line_options(colour, float(band[0]), None, alpha=band_alpha)
        layers = f'<layer class="{layer_class}" enabled="1" locked="0" pass="0">{_options(under)}{_DDP}</layer>' + layers
    return (
        f'<symbol type="{sym_type}" name="{_attr(name)}" alpha="{_num(alpha)}" clip_to_extent="1" '
        f'force_rhr="0" is_animated="0" frame_rate="10">{_DDP}{layers}</symbol>'
    )


def _labeling(geometry: str, field: str, properties: Mapping[str, str] | None = None) -> str:
    """A ``<labeling type="simple">`` block on ``field`` in :data:`LABEL_FONT`.

    ``properties`` are data-defined label properties: QGIS property name (``Priority``, ``Size``, ``Bold``,
    ``Show`` …) → expression.
    """
    layer_type = {"polygon": "PolygonGeometry", "line": "LineGeometry", "point": "PointGeometry"}[geometry]
    # QgsPalLayerSettings::Placement: 1 offset from centroid, 2 parallel to lines, 6 cartographic around points
    placement = {"polygon": "1", "line": "2", "point": "6"}[geometry]
    dist = "1" if geometry == "point" else "0"
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName="{_attr(field)}" isExpression="0" fontFamily="{_attr(LABEL_FONT)}" '
        'namedStyle="Regular" fontSize="9" fontSizeUnit="Point" fontSizeMapUnitScale="3x:0,0,0,0,0,0" '
        'fontWeight="50" fontItalic="0" fontUnderline="0" fontStrikeout="0" fontKerning="1" '
        'fontLetterSpacing="0" fontWordSpacing="0" forcedBold="0" forcedItalic="0" capitalization="0" '
        'textColor="35,35,35,255" textOpacity="1" textOrientation="horizontal" allowHtml="0" blendMode="0" '
        'multilineHeight="1" multilineHeightUnit="Percentage" previewBkgrdColor="255,255,255,255" '
        'useSubstitutions="0" legendString="Aa">'
        '<families/>'
        '<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" bufferSizeMapUnitScale="3x:0,0,0,0,0,0" '
        'bufferColor="255,255,255,255" bufferOpacity="0.85" bufferNoFill="1" bufferJoinStyle="128" '
        'bufferBlendMode="0"/>'
        '<text-mask maskEnabled="0" maskType="0" maskSize="0" maskSizeUnits="MM" '
        'maskSizeMapUnitScale="3x:0,0,0,0,0,0" maskOpacity="1" maskJoinStyle="128" maskedSymbolLayers=""/>'
        '<background shapeDraw="0"/>'
        '<shadow shadowDraw="0"/>'
        '<dd_properties><Option type="Map"><Option name="name" type="QString" value=""/>'
        '<Option name="properties"/><Option name="type" type="QString" value="collection"/></Option></dd_properties>'
        '<substitutions/>'
        '</text-style>'
        '<text-format wrapChar="" autoWrapLength="0" useMaxLineLengthForAutoWrap="1" multilineAlign="3" '
        'formatNumbers="0" decimals="3" plussign="0" addDirectionSymbol="0" leftDirectionSymbol="&lt;" '
        'rightDirectionSymbol="&gt;" reverseDirectionSymbol="0" placeDirectionSymbol="0"/>'
        f'<placement placement="{placement}" placementFlags="10" layerType="{layer_type}" dist="{dist}" '
        'distUnits="MM" distMapUnitScale="3x:0,0,0,0,0,0" offsetType="0" quadOffset="4" xOffset="0" yOffset="0" '
        'offsetUnits="MM" labelOffsetMapUnitScale="3x:0,0,0,0,0,0" rotationAngle="0" preserveRotation="1" '
        'centroidWhole="0" centroidInside="1" fitInPolygonOnly="0" polygonPlacementFlags="2" priority="5" '
        'repeatDistance="0" repeatDistanceUnits="MM" repeatDistanceMapUnitScale="3x:0,0,0,0,0,0" '
        'maxCurvedCharAngleIn="25" maxCurvedCharAngleOut="-25" overrunDistance="0" overrunDistanceUnit="MM" '
        'overrunDistanceMapUnitScale="3x:0,0,0,0,0,0" lineAnchorPercent="0.5" lineAnchorType="0" '
        'lineAnchorClipping="0" lineAnchorTextPoint="FollowPlacement" '
        'predefinedPositionOrder="TR,TL,BR,BL,R,L,TSR,BSR" geometryGenerator="" geometryGeneratorEnabled="0" '
        'geometryGeneratorType="PointGeometry" allowDegraded="0"/>'
        '<rendering drawLabels="1" obstacle="1" obstacleFactor="1" obstacleType="1" scaleVisibility="0" '
        'scaleMin="0" scaleMax="0" displayAll="0" upsidedownLabels="0" labelPerPart="0" mergeLines="0" '
        'limitNumLabels="0" maxNumLabels="2000" minFeatureSize="0" fontLimitPixelSize="0" fontMinPixelSize="3" '
        'fontMaxPixelSize="10000" zIndex="0" unplacedVisibility="0"/>'
        + _ddp("dd_properties", properties or {}) +
        '<callout type="simple"><Option type="Map"><Option name="enabled" type="QString" value="0"/></Option>'
        '</callout>'
        '</settings></labeling>'
    )


def _document(geometry: str, renderer: str, label_field: str | None,
              label_properties: Mapping[str, str] | None = None) -> str:
    """The whole QML document around a ``<renderer-v2>`` element."""
    _, _, layer_geometry_type = _GEOMETRIES[geometry]
    labels = _labeling(geometry, label_field, label_properties) if label_field else ""
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="AllStyleCategories" '
        f'labelsEnabled="{1 if label_field else 0}" hasScaleBasedVisibilityFlag="0" minScale="0" maxScale="0" '
        'readOnly="0" simplifyAlgorithm="0" simplifyDrawingHints="1" simplifyDrawingTol="1" simplifyLocal="1" '
        'simplifyMaxScale="1" symbologyReferenceScale="-1">\n'
        "  <flags><Identifiable>1</Identifiable><Removable>1</Removable><Searchable>1</Searchable>"
        "<Private>0</Private></flags>\n"
        f"  {renderer}\n"
        + (f"  {labels}\n" if labels else "")
        + "  <blendMode>0</blendMode>\n"
        "  <featureBlendMode>0</featureBlendMode>\n"
        "  <layerOpacity>1</layerOpacity>\n"
        f"  <layerGeometryType>{layer_geometry_type}</layerGeometryType>\n"
        "</qgis>\n"
    )


# --------------------------------------------------------------------------- public QML builders


def qml_single(
    geometry: str,
    colour: str,
    *,
    width: float | None = None,
    fill: bool = True,
    outline: str | None = "#333333",
    opacity: float = 1.0,
    fill_opacity: float | None = None,
    outline_opacity: float | None = None,
    point_size: float | None = None,
    dash: str | None = None,
    label_field: str | None = None,
    label_properties: Mapping[str, str] | None = None,
) -> str:
    """QML of a single-symbol style.

    Parameters
    ----------
    geometry
        ``"polygon"``, ``"line"`` or ``"point"``.
    colour
        Fill colour (polygons, points) or line colour, ``"#rrggbb"``.
    width
        Outline width (polygons, points) or line width, in pixels.
    fill
        Polygons only: False draws only the boundary, in ``colour``
        (``outline`` is then unused).
    outline
        Outline colour of polygons and point markers; None for the fill colour.
    opacity
        Opacity of the whole symbol, 0–1.
    fill_opacity
        Opacity of the fill of polygons and markers, 0–1, the outline staying opaque (as a web
        map's ``fillOpacity``); None for opaque.
    outline_opacity
        Opacity of the outline of polygons and markers, 0–1, the fill as it is (as a web map's
        ``opacity`` of a polygon); None for opaque.
    point_size
        Marker diameter in pixels.
    dash
        Dash pattern in pixels, ``"6 4"`` (dash, gap, ...); None for solid.
    label_field
        Label features with this text field (in :data:`LABEL_FONT`).
    label_properties
        Data-defined label properties (see :func:`qml_categorized`).

    Returns
    -------
    str
        The QML document.
    """
    g = _check_geometry(geometry)
    sym = _symbol(g, "0", colour, width=width, outline=outline, opacity=opacity, point_size=point_size,
                  dash=dash, fill=fill, fill_opacity=fill_opacity, outline_opacity=outline_opacity)
    renderer = (f'<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0" '
                f'referencescale="-1"><symbols>{sym}</symbols><rotation/><sizescale/></renderer-v2>')
    return _document(g, renderer, label_field, label_properties)


def qml_categorized(
    geometry: str,
    field: str,
    categories: Sequence[tuple],
    *,
    width: float | None = None,
    opacity: float = 1.0,
    fill_opacity: float | None = None,
    outline_opacity: float | None = None,
    outline: str | None = "#333333",
    point_size: float | None = None,
    dash: str | None = None,
    label_field: str | None = None,
    label_properties: Mapping[str, str] | None = None,
) -> str:
    """QML of a categorised style (``renderer-v2 type="categorizedSymbol"``).

    Parameters
    ----------
    geometry
        ``"polygon"``, ``"line"`` or ``"point"``.
    field
        The attribute whose values pick the category.
    categories
        ``(value, colour, label)`` rows, or ``(value, colour, label, extra)``
        where ``extra`` is a dict with any of ``width`` (pixels), ``dash``
        (``"6 4"``), ``size`` (marker diameter in pixels), ``outline``
        (colour) and ``band`` (lines: a wide translucent band under the
        line, ``(width in pixels, opacity)``) for that category only.
    width, opacity, fill_opacity, outline_opacity, outline, point_size, dash
        Defaults of every category (see :func:`qml_single`).
    label_field
        Label features with this text field.
    label_properties
        Data-defined label properties: QGIS property name → expression, for
        example ``{"Priority": ...}`` (0–10; where labels collide the higher
        one is placed), ``Size`` (points), ``Bold``, ``Show``.

    Returns
    -------
    str
        The QML document.
    """
    g = _check_geometry(geometry)
    cats, syms = [], []
    for i, row in enumerate(categories):
        if len(row) not in (3, 4):
            raise ConfigError(f"category {i} has {len(row)} items", key="categories", source="QGIS style",
                              fix="give (value, colour, label) or (value, colour, label, {'width': .., 'dash': ..}).")
        value, colour, text = row[:3]
        extra: Mapping[str, Any] = row[3] if len(row) == 4 and row[3] is not None else {}
        unknown = set(extra) - _CATEGORY_KEYS
        if unknown:
            raise ConfigError(f"unknown category option(s): {', '.join(sorted(unknown))}", key="categories",
                              source="QGIS style", fix=f"use only {', '.join(sorted(_CATEGORY_KEYS))}.")
        size = extra.get("size", extra.get("point_size", point_size))
        syms.append(_symbol(g, str(i), colour, width=extra.get("width", width), outline=extra.get("outline", outline),
                            opacity=opacity, fill_opacity=fill_opacity, outline_opacity=outline_opacity,
                            point_size=size, dash=extra.get("dash", dash), band=extra.get("band")))
        cats.append(f'<category symbol="{i}" value="{_attr(_value_text(value))}" label="{_attr(text)}" '
                    'render="true"/>')
    source = _symbol(g, "0", "#999999", width=width, outline=outline, opacity=opacity, fill_opacity=fill_opacity,
                     outline_opacity=outline_opacity,
                     point_size=point_size)
    renderer = (
        f'<renderer-v2 type="categorizedSymbol" attr="{_attr(field)}" forceraster="0" symbollevels="0" '
        f'enableorderby="0" referencescale="-1"><categories>{"".join(cats)}</categories>'
        f'<symbols>{"".join(syms)}</symbols><source-symbol>{source}</source-symbol>'
        "<rotation/><sizescale/></renderer-v2>"
    )
    return _document(g, renderer, label_field, label_properties)


def qml_graduated(
    geometry: str,
    field: str,
    breaks: Sequence[float],
    colours: Sequence[str],
    labels: Sequence[str],
    *,
    width: float | None = None,
    opacity: float = 1.0,
    fill_opacity: float | None = None,
    outline_opacity: float | None = None,
    outline: str | None = "#333333",
    point_size: float | None = None,
    label_field: str | None = None,
) -> str:
    """QML of a graduated style (``renderer-v2 type="graduatedSymbol"``) with fixed breaks.

    Class ``i`` holds values in ``(breaks[i-1], breaks[i]]`` (a value equal to
    a break falls in the lower class, as on the web map); the first class is
    open below and the last open above (bounds ±1e12).

    Parameters
    ----------
    geometry
        ``"polygon"``, ``"line"`` or ``"point"``.
    field
        Numeric attribute to classify.
    breaks
        Upper bounds of all classes but the last, increasing.
    colours
        One colour per class: ``len(breaks) + 1``.
    labels
        One legend label per class: ``len(breaks) + 1``.
    width, opacity, fill_opacity, outline_opacity, outline, point_size, label_field
        As in :func:`qml_single` (``outline`` None outlines each class in its colour).

    Returns
    -------
    str
        The QML document.
    """
    g = _check_geometry(geometry)
    b = _checked_classes(breaks, colours, labels)
    bounds = [-_OPEN_BOUND, *b, _OPEN_BOUND]
    ranges, syms = [], []
    for i, (colour, text) in enumerate(zip(colours, labels)):
        syms.append(_symbol(g, str(i), colour, width=width, outline=outline, opacity=opacity,
                            fill_opacity=fill_opacity, outline_opacity=outline_opacity, point_size=point_size))
        ranges.append(f'<range symbol="{i}" lower="{bounds[i]:.15f}" upper="{bounds[i + 1]:.15f}" '
                      f'label="{_attr(text)}" render="true"/>')
    source = _symbol(g, "0", colours[0], width=width, outline=outline, opacity=opacity, fill_opacity=fill_opacity,
                     outline_opacity=outline_opacity,
                     point_size=point_size)
    renderer = (
        f'<renderer-v2 type="graduatedSymbol" attr="{_attr(field)}" graduatedMethod="GraduatedColor" '
        f'forceraster="0" symbollevels="0" enableorderby="0" referencescale="-1">'
        f'<ranges>{"".join(ranges)}</ranges><symbols>{"".join(syms)}</symbols>'
        f"<source-symbol>{source}</source-symbol>"
        '<classificationMethod id="Custom"><symmetricMode enabled="0" symmetrypoint="0" astride="0"/>'
        '<labelFormat format="%1 - %2" trimtrailingzeroes="1" labelprecision="4"/>'
        "<parameters><Option/></parameters><extraInformation/></classificationMethod>"
        "<rotation/><sizescale/></renderer-v2>"
    )
    return _document(g, renderer, label_field)


def _checked_classes(breaks: Sequence[float], colours: Sequence[str], labels: Sequence[str]) -> list[float]:
    """The breaks as floats, once they are finite and increasing with one colour and one label per class."""
    b = [float(x) for x in breaks]
    if len(colours) != len(b) + 1 or len(labels) != len(b) + 1:
        raise ConfigError(
            f"{len(b)} breaks need {len(b) + 1} colours and labels; got {len(colours)} and {len(labels)}",
            key="breaks", source="QGIS style", fix="give one colour and one label per class (breaks + 1).")
    if any(not math.isfinite(x) for x in b) or any(x >= y for x, y in itertools.pairwise(b)):
        raise ConfigError(f"breaks must be finite and increasing: {list(breaks)}", key="breaks",
                          source="QGIS style", fix="sort the breaks and drop repeated ones.")
    return b


def _ramp_item(upper: str, colour: str, label: str) -> str:
    """One ``<item>`` of a colour ramp: the class's upper bound, colour (``#rrggbb`` and alpha) and label."""
    r, g, b, a = (int(v) for v in _rgba(colour).split(","))
    return f'<item value="{upper}" color="#{r:02x}{g:02x}{b:02x}" alpha="{a}" label="{_attr(label)}"/>'


_RASTER_PIPE_TAIL = (
    '<brightnesscontrast brightness="0" contrast="0" gamma="1"/>'
    '<huesaturation saturation="0" grayscaleMode="0" invertColors="0" colorizeOn="0" colorizeRed="255" '
    'colorizeGreen="128" colorizeBlue="128" colorizeStrength="100"/>'
    '<rasterresampler maxOversampling="2"/><resamplingStage>resamplingFilter</resamplingStage>'
)


def qml_raster_classes(
    breaks: Sequence[float],
    colours: Sequence[str],
    labels: Sequence[str],
    *,
    opacity: float = 1.0,
    band: int = 1,
) -> str:
    """QML of a single-band raster drawn in fixed classes: a pseudocolour renderer with a discrete ramp.

    A cell falls in class ``i`` when its value is at most ``breaks[i]`` and
    above ``breaks[i-1]`` (upper bounds inclusive, as on the web map); the
    last class is open above. No-data cells stay transparent and QGIS
    computes no min/max stretch.

    Parameters
    ----------
    breaks
        Upper bounds of all classes but the last, increasing.
    colours
        One colour per class: ``len(breaks) + 1``.
    labels
        One legend label per class: ``len(breaks) + 1``.
    opacity
        Opacity of the layer, 0–1.
    band
        The band drawn (1-based).

    Returns
    -------
    str
        The QML document (``<rasterrenderer type="singlebandpseudocolor">``).
    """
    b = _checked_classes(breaks, colours, labels)
    uppers = [_num(x) for x in b] + ["inf"]
    items = "".join(_ramp_item(u, c, text) for u, c, text in zip(uppers, colours, labels))
    low, high = _num(min(0.0, b[0])), _num(b[-1])
    alpha = min(max(float(opacity), 0.0), 1.0)
    renderer = (
        f'<rasterrenderer type="singlebandpseudocolor" band="{int(band)}" opacity="{_num(alpha)}" alphaBand="-1" '
        f'nodataColor="" classificationMin="{low}" classificationMax="{high}"><rasterTransparency/>'
        "<minMaxOrigin><limits>None</limits><extent>WholeRaster</extent><statAccuracy>Estimated</statAccuracy>"
        "<cumulativeCutLower>0.02</cumulativeCutLower><cumulativeCutUpper>0.98</cumulativeCutUpper>"
        "<stdDevFactor>2</stdDevFactor></minMaxOrigin>"
        f'<rastershader><colorrampshader colorRampType="DISCRETE" classificationMode="1" clip="0" '
        f'minimumValue="{low}" maximumValue="{high}" labelPrecision="0">{items}</colorrampshader></rastershader>'
        "</rasterrenderer>"
    )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" '
        'minScale="1e+08" maxScale="0">\n'
        "  <flags><Identifiable>1</Identifiable><Removable>1</Removable><Searchable>1</Searchable>"
        "<Private>0</Private></flags>\n"
        '  <pipe><provider><resampling enabled="false" zoomedInResamplingMethod="nearestNeighbour" '
        f'zoomedOutResamplingMethod="nearestNeighbour" maxOversampling="2"/></provider>{renderer}'
        f"{_RASTER_PIPE_TAIL}</pipe>\n"
        "  <blendMode>0</blendMode>\n"
        "</qgis>\n"
    )


def time_raster_style() -> str:
    """QML of a travel-time raster (minutes): the classes and colours of every output
    (:func:`~spatial_planner.symbology.minute_classes`), drawn at
    :data:`~spatial_planner.symbology.RASTER_OPACITY`."""
    breaks, colours, _ = minute_classes("zh")
    return qml_raster_classes(breaks, colours, minute_labels(), opacity=RASTER_OPACITY)


def minute_labels() -> list[str]:
    """Legend labels of the travel-time classes, Chinese then English: ``0–15 分钟 (min)`` … ``> 180 分钟 (min)``."""
    return [f"{zh} (min)" for zh in minute_classes("zh")[2]]


# --------------------------------------------------------------------------- the plan's styles


def _geometry_kind(gdf: object) -> str | None:
    """``"polygon"``, ``"line"`` or ``"point"`` of a layer; None without geometry or with mixed kinds."""
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        return None
    families = {
        "Polygon": "polygon", "MultiPolygon": "polygon", "LineString": "line", "MultiLineString": "line",
        "LinearRing": "line", "Point": "point", "MultiPoint": "point",
    }
    kinds = {families.get(t) for t in gdf.geom_type.dropna().unique()}
    if len(kinds) != 1 or None in kinds:
        return None
    return kinds.pop()


def _present(gdf: pd.DataFrame, column: str, order: Sequence[str]) -> list:
    """Values of ``column`` in ``order`` first, then the others sorted; all of ``order`` for an empty layer."""
    values = [v for v in pd.unique(gdf[column].dropna())]
    if not values:
        return list(order)
    known = [v for v in order if v in set(values)]
    others = sorted((v for v in values if v not in set(order)), key=str)
    return known + others


def _bilingual(zh: str, en: str | None) -> str:
    """A legend label: Chinese first, then English when there is one that differs."""
    return f"{zh} {en}" if en and str(en) != str(zh) else str(zh)


def _class_label(key: str) -> str:
    """The bilingual label of a class value (:data:`~spatial_planner.symbology.CLASS_LABELS`); the value itself
    when unknown."""
    pair = CLASS_LABELS.get(key)
    return _bilingual(*pair) if pair else str(key)


#: :data:`~spatial_planner.symbology.LAYER_STYLE` keys → keyword arguments of the QML builders.
_LOOK_KEYWORDS = {"width": "width", "outline": "outline", "opacity": "opacity", "fill_opacity": "fill_opacity",
                  "size": "point_size", "dash": "dash"}


def _look(name: str, **defaults: Any) -> dict[str, Any]:
    """A layer's drawing options (:data:`~spatial_planner.symbology.LAYER_STYLE`, its ``colour`` aside) as
    keyword arguments of :func:`qml_single`, :func:`qml_categorized` and :func:`qml_graduated`, over
    ``defaults``."""
    style = LAYER_STYLE.get(name, {})
    keywords = dict(_LOOK_KEYWORDS)
    if "fill_opacity" in style:  # a filled symbol: its opacity is that of its outline, as on the web map
        keywords["opacity"] = "outline_opacity"
    return {**defaults, **{keywords[k]: v for k, v in style.items() if k in keywords}}


def _colour(name: str) -> str:
    """The one colour of a single-symbol layer."""
    return str(LAYER_STYLE[name]["colour"])


def _by_tier(values: Sequence[object], default: object) -> str:
    """A QGIS expression taking ``values[i]`` for a growth pole of tier ``TIERS[i]``, else ``default``."""
    cases = " ".join(f"WHEN \"tier\" = '{t}' THEN {v}" for t, v in zip(TIERS, values))
    return f"CASE {cases} ELSE {default} END"


def _web_scale(zoom: float) -> float:
    """The map scale (at 96 dpi, at the study area's latitude) of a web map zoom level."""
    return _WEB_SCALE_AT_ZOOM_0 * math.cos(math.radians(_LATITUDE)) / 2 ** zoom


#: Scale of web map zoom 0 at the equator at 96 dpi (a 256-pixel tile spanning the equator), and the latitude
#: (Henan's) at which the web map's label zooms are turned into QGIS scales.
_WEB_SCALE_AT_ZOOM_0 = 591_657_527.6
_LATITUDE = 34.0

#: Label priority (0–10, the higher placed first where labels collide), in the web map's order: prefecture names,
#: national-tier poles, belts, then the lower tiers.
_LABEL_PRIORITY = {"prefecture": 10, TIERS[0]: 9, "belt": 8, TIERS[1]: 7, TIERS[2]: 6, TIERS[3]: 5}

#: Labels of the growth poles as on the web map: each tier's name from the web map's zoom for it
#: (:data:`spatial_planner.outputs.webmap.labels.LABEL_ZOOM`; at the scale of a province on a screen only the
#: national tier), higher tiers first where labels collide, larger, bold and darker.
_TIER_LABELS = {
    "Priority": _by_tier([_LABEL_PRIORITY[t] for t in TIERS], 4),
    "Size": _by_tier([9.75, 9, 8.25, 8.25], 8),
    "Bold": f"\"tier\" IN ('{TIERS[0]}', '{TIERS[1]}')",
    "Color": _by_tier(["'#67000d'", "'#7f2704'", "'#444444'", "'#444444'"], "'#444444'"),
    "Show": "@map_scale < " + _by_tier([round(_web_scale(LABEL_ZOOM[t])) for t in TIERS],
                                       round(_web_scale(LABEL_ZOOM["county"]))),
}

#: Labels of the prefectures as on the web map: at every scale, bold, first where labels collide. A prefecture
#: of one county (济源) is named by its growth pole, not twice.
_PREFECTURE_LABELS = {"Priority": str(_LABEL_PRIORITY["prefecture"]), "Bold": "true", "Size": "11.25",
                      "Color": "'#2b2b2b'"}


def _line_classes(gdf: pd.DataFrame, column: str, palette: Mapping[str, tuple], default: tuple) -> list:
    """Categories of a line layer from a ``class → (colour, width, dash)`` palette of the web map."""
    rows = []
    for c in _present(gdf, column, list(palette)):
        col, w, dash = palette.get(c, default)
        rows.append((c, col, _class_label(c), {"width": w, "dash": dash}))
    return rows


def _tier_classes(gdf: gpd.GeoDataFrame, kind: str) -> list:
    """Categories of the tiers (:data:`~spatial_planner.symbology.TIER_STYLE`): colour, and the web map's
    marker diameter (points) or line width (lines)."""
    cats = []
    for t in _present(gdf, "tier", list(TIER_STYLE)):
        colour, radius, width = TIER_STYLE.get(t, ("#999999", 2.0, 1.0))
        extra = {"size": 2 * radius} if kind == "point" else ({"width": width} if kind == "line" else {})
        cats.append((t, colour, _bilingual(t, TIER_LABEL_EN.get(t)), extra))
    return cats


def _sector_classes(gdf: pd.DataFrame, column: str, sectors: pd.DataFrame | None, extra: Mapping | None = None
                    ) -> list:
    """Categories of a sector column, in the sector vocabulary's colours and names; multi-sector belts
    (:data:`~spatial_planner.symbology.MULTI_SECTOR`) in their own colour."""
    colour_of, name_of, order = _sector_palette(sectors)
    name_of = {MULTI_SECTOR: _class_label(MULTI_SECTOR), **name_of}
    return [(s, sector_colour(s, colour_of), name_of.get(s, str(s)), dict(extra or {}))
            for s in _present(gdf, column, [*order, MULTI_SECTOR])]


def _belt_labels(classes: Sequence[tuple]) -> dict[str, str]:
    """Labels of the belts as on the web map: bold, in their sector's colour darkened to stay legible
    (:func:`~spatial_planner.symbology.text_colour`), after the prefecture and national-tier names."""
    cases = " ".join(f"WHEN \"sector\" = '{str(value).replace(chr(39), chr(39) * 2)}' THEN '{text_colour(colour)}'"
                     for value, colour, *_ in classes)
    return {"Priority": str(_LABEL_PRIORITY["belt"]), "Bold": "true", "Size": "9",
            "Color": f"CASE {cases} ELSE '#333333' END"}


def _minute_style(kind: str, column: str, name: str, **defaults: Any) -> str:
    """A graduated style of minutes in the travel-time classes of every output."""
    breaks, colours, _ = minute_classes("zh")
    return qml_graduated(kind, column, breaks, colours, minute_labels(), **_look(name, **defaults))


def default_styles(
    layers: Mapping[str, gpd.GeoDataFrame],
    sectors: pd.DataFrame | None,
) -> dict[str, str]:
    """QML styles of the plan's layers, with the web map's palette.

    Every colour, width, size and opacity comes from :mod:`spatial_planner.symbology`
    (:data:`~spatial_planner.symbology.LAYER_STYLE` and the class palettes), so QGIS
    draws what the web map draws. Each name is labelled on one layer only: the
    county names on ``nodes`` (higher tiers placed first), not on ``counties``.

    Parameters
    ----------
    layers
        Layer name → GeoDataFrame, as written to the GeoPackage.
    sectors
        The sector vocabulary (:func:`spatial_planner.io.read_sectors`;
        columns ``code``, ``name_zh``, ``name_en``, ``color``) colouring the
        parks, belts and clusters.

    Returns
    -------
    dict[str, str]
        Layer name → QML for the layers this module knows: ``boundary``,
        ``prefectures``, ``counties``, ``seats``, ``parks``, ``rail_lines``,
        ``stations``, ``roads``, ``hubs``, ``county_access``, ``isochrones``,
        ``network_edges``, ``nodes`` (by ``tier``), ``belts``,
        ``belt_corridors``, ``belt_segments`` and ``clusters`` (by
        ``sector``; multi-sector belts in their own colour), ``corridors``,
        ``linkages`` (by ``strength_class``), ``priorities`` and
        ``isomorphism``. Other layers, layers without the needed column and
        layers mixing geometry kinds get no entry.
    """
    out: dict[str, str] = {}
    for name, gdf in layers.items():
        kind = _geometry_kind(gdf)
        if kind is None:
            continue
        qml = _style_for(name, gdf, kind, sectors)
        if qml is not None:
            out[name] = _dash_approximate(qml) if "geometry_quality" in gdf.columns else qml
    return out


def _style_for(name: str, gdf: gpd.GeoDataFrame, kind: str, sectors: pd.DataFrame | None) -> str | None:
    """The QML of one layer: a context or network layer, else an analysis layer."""
    cols = set(gdf.columns)
    if name == "boundary" and kind == "polygon":
        return qml_single("polygon", _colour(name), fill=False, **_look(name))
    if name == "prefectures" and kind == "polygon":
        label = "name_zh" if "name_zh" in cols else None
        shown = {"Show": '"n_counties" > 1'} if "n_counties" in cols else {}
        return qml_single("polygon", _colour(name), fill=False, label_field=label,
                          label_properties={**_PREFECTURE_LABELS, **shown} if label else None, **_look(name))
    if name == "counties" and kind == "polygon":
        return qml_single("polygon", _colour(name), **_look(name))
    if name == "seats" and kind == "point":
        return qml_single("point", _colour(name), **_look(name))
    if name == "parks" and "lead_sector" in cols:
        return qml_categorized(kind, "lead_sector", _sector_classes(gdf, "lead_sector", sectors), **_look(name))
    if name == "rail_lines" and kind == "line" and "rail_class" in cols:
        return qml_categorized("line", "rail_class", _line_classes(gdf, "rail_class", RAIL_STYLE, ("#555555", 2.0, None)),
                               **_look(name))
    if name == "roads" and kind == "line" and "road_class" in cols:
        return qml_categorized("line", "road_class", _line_classes(gdf, "road_class", ROAD_STYLE, ("#999999", 1.0, None)),
                               **_look(name))
    if name == "hubs" and kind == "point" and "hub_type" in cols:
        cats = [(c, HUB_STYLE.get(c, "#777777"), _class_label(c)) for c in _present(gdf, "hub_type", list(HUB_STYLE))]
        return qml_categorized("point", "hub_type", cats, **_look(name))
    if name == "stations" and kind == "point" and "station_type" in cols:
        cats = [(c, STATION_COLOURS.get(c, "#777777"), _bilingual(*HUB_LABELS["hsr"]) if c == "hsr" else _class_label(c))
                for c in _present(gdf, "station_type", list(STATION_COLOURS))]
        return qml_categorized("point", "station_type", cats, **_look(name))
    if name == "network_edges" and kind == "line" and "layer" in cols:
        cats = [(k, c, lab, {"width": w}) for k, (c, w), lab in zip(
            NETWORK_EDGE_STYLE, NETWORK_EDGE_STYLE.values(), ("道路边 road edge", "铁路边 rail edge"))
            if k in set(gdf["layer"])]
        return qml_categorized("line", "layer", cats, **_look(name))
    return _analysis_style(name, gdf, kind, sectors)


def _analysis_style(name: str, gdf: gpd.GeoDataFrame, kind: str, sectors: pd.DataFrame | None) -> str | None:
    """The QML of an accessibility or 点-带-网 layer."""
    cols = set(gdf.columns)
    if name == "county_access":
        col = next((c for c in gdf.columns if str(c).startswith("min_to_")), None)
        return None if col is None else _minute_style(kind, col, name)
    if name == "isochrones" and "minutes" in cols:
        return _minute_style(kind, "minutes", name, outline=None)
    if name == "nodes" and "tier" in cols:
        label = "name_zh" if "name_zh" in cols else None
        return qml_categorized(kind, "tier", _tier_classes(gdf, kind), label_field=label,
                               label_properties=_TIER_LABELS if label else None, **_look(name))
    if name in ("belts", "belt_corridors", "belt_segments", "clusters") and "sector" in cols:
        # a belt's name is labelled once, on its axis (belts); its band and segments are not labelled again
        label = "name_zh" if "name_zh" in cols and name in ("belts", "clusters") else None
        band = LAYER_STYLE["belt_bands"]
        # belts: the web map's wide translucent band along each belt, its axis line on top
        extra = {"band": (float(band["width"]), float(band["opacity"]))} if name == "belts" and kind == "line" else None
        classes = _sector_classes(gdf, "sector", sectors, extra)
        return qml_categorized(kind, "sector", classes, label_field=label,
                               label_properties=_belt_labels(classes) if label and name == "belts" else None,
                               **_look(name, outline=None))
    if name == "linkages" and kind == "line" and "strength_class" in cols:
        cats = [(k, c, _bilingual(k, STRENGTH_EN.get(k)), {"width": w}) for k, (c, w) in STRENGTH_STYLE.items()
                if k in set(gdf["strength_class"])]
        return qml_categorized("line", "strength_class", cats, **_look(name))
    if name in ("corridors", "priorities", "isomorphism") and kind == "line":
        # priority links are numbered by rank (their proposals repeat); the corridors carry their names
        field = {"corridors": "name_zh", "priorities": "rank"}.get(name)
        return qml_single("line", _colour(name), label_field=field if field in cols else None, **_look(name))
    return None


def _sector_palette(sectors: pd.DataFrame | None) -> tuple[dict, dict, list]:
    """Sector code → colour and → legend label (Chinese, then English), in vocabulary order."""
    if sectors is None or not {"code", "color"} <= set(sectors.columns):
        return {}, {}, []
    order = [str(c) for c in sectors["code"]]
    colour_of = dict(zip(order, sectors["color"].astype(str)))
    name_of = {}
    if "name_zh" in sectors.columns:
        en = sectors["name_en"] if "name_en" in sectors.columns else pd.Series(None, index=sectors.index)
        name_of = {c: _bilingual(str(zh), None if pd.isna(e) else str(e))
                   for c, zh, e in zip(order, sectors["name_zh"], en)}
    return colour_of, name_of, order



