"""The planner's HTML map (Folium / Leaflet).

Each plan layer is its own toggled overlay with a legend that shows only while
the layer is on. Labels are Chinese by default (``language="en"`` for English).
Every attribute shown in a popup or tooltip is HTML-escaped. Boundaries are
simplified as a coverage (neighbours keep sharing edges) and coordinates are
rounded, so the Henan map stays small. With the Gaode basemap the data are
shifted to GCJ-02 before drawing, since Gaode's tiles are GCJ-02.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Sequence

import branca.element
import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from jinja2 import Template

from .config import MapConfig
from .crs import CGCS2000, projected_crs_for, shift_geometry_to_gcj02, wgs84_to_gcj02
from .webassets import KEEP_CSS, KEEP_JS

__all__ = ["render_html", "build_map", "roads_for_map", "add_plan_layers", "add_choropleths", "add_isochrones", "add_raster", "add_layer", "Legend", "prepare_for_web", "FIELD_LABELS", "label", "CLASS_LABELS"]

#: zh / en labels of the fields shown in popups and tooltips.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "name_zh": ("名称", "Name (zh)"),
    "name_en": ("英文名", "Name"),
    "adcode": ("行政区划代码", "Admin code"),
    "prefecture_zh": ("所属地市", "Prefecture"),
    "kind": ("类型", "Kind"),
    "area_km2": ("面积(km²)", "Area (km²)"),
    "level": ("级别", "Level"),
    "park_type": ("园区类型", "Park type"),
    "sectors_label": ("主导产业", "Leading industries"),
    "lead_sector_label": ("首位产业", "Lead industry"),
    "footprint_km2": ("示意面积(km²)", "Footprint (km²)"),
    "rail_class_label": ("线路等级", "Line class"),
    "design_speed_kmh": ("设计速度(km/h)", "Design speed (km/h)"),
    "opened": ("开通年份", "Opened"),
    "road_class_label": ("道路等级", "Road class"),
    "route_ref": ("编号", "Route"),
    "station_type_label": ("车站类型", "Station type"),
    "hub_type_label": ("枢纽类型", "Hub type"),
    "iata": ("IATA", "IATA"),
    "geometry_quality": ("几何精度", "Geometry"),
    "n_counties": ("县级单位数", "Counties"),
}

#: zh / en labels of class values.
CLASS_LABELS: dict[str, tuple[str, str]] = {
    "hsr": ("高速铁路", "High-speed rail"),
    "intercity": ("城际铁路", "Intercity rail"),
    "conventional": ("普速铁路", "Conventional rail"),
    "freight": ("货运铁路", "Freight rail"),
    "freight_terminal": ("铁路货运站", "Rail freight terminal"),
    "expressway": ("国家高速公路", "National expressway"),
    "provincial_expressway": ("省级高速公路", "Provincial expressway"),
    "connector": ("县际连接线(示意)", "County connector (schematic)"),
    "hub_connector": ("枢纽连接线(示意)", "Hub connector (schematic)"),
    "first_class": ("一级公路", "Class I highway"),
    "second_class": ("二级公路", "Class II highway"),
    "third_class": ("三级公路", "Class III highway"),
    "fourth_class": ("四级公路", "Class IV highway"),
    "motorway": ("高速公路", "Motorway"),
    "trunk": ("干线公路", "Trunk road"),
    "primary": ("主要道路", "Primary road"),
    "secondary": ("次要道路", "Secondary road"),
    "tertiary": ("三级道路", "Tertiary road"),
    "unclassified": ("乡村道路", "Unclassified road"),
    "residential": ("街巷", "Residential street"),
    "service": ("服务道路", "Service road"),
    "link": ("匝道", "Link road"),
    "airport": ("机场", "Airport"),
    "rail_freight": ("铁路物流基地", "Rail freight terminal"),
    "china_europe_train": ("中欧班列集结中心", "China–Europe train hub"),
    "river_port": ("内河港口", "River port"),
    "logistics_hub": ("物流枢纽", "Logistics hub"),
    "national": ("国家级", "National"),
    "provincial": ("省级", "Provincial"),
    "municipal": ("市级", "Municipal"),
    "schematic": ("示意", "schematic"),
}

RAIL_STYLE = {
    "hsr": ("#c0392b", 3.5, None),
    "intercity": ("#e67e22", 2.5, None),
    "conventional": ("#34495e", 2.0, "6 4"),
    "freight": ("#7f8c8d", 2.0, "2 4"),
}
def roads_for_map(roads: gpd.GeoDataFrame, max_features: int) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The roads a web map can carry: whole classes, fastest first, up to ``max_features`` lines.

    A province of OSM roads has hundreds of thousands of lines, far more than a
    browser draws smoothly. Classes are ranked by their default design speed
    (:data:`~spatial_planner.network.ROAD_SPEEDS`; unknown classes last) and
    taken whole while they fit; the fastest class is always drawn. Returns the
    roads to draw and the classes left out (the GeoPackage keeps every road).
    """
    from .network import ROAD_SPEEDS

    if len(roads) <= max_features:
        return roads, []
    counts = roads["road_class"].astype(str).value_counts()
    ranked = sorted(counts.index, key=lambda c: (-ROAD_SPEEDS.get(c, 0.0), c))
    keep, total = [], 0
    for c in ranked:
        if keep and total + counts[c] > max_features:
            break
        keep.append(c)
        total += int(counts[c])
    return roads[roads["road_class"].astype(str).isin(keep)], [c for c in ranked if c not in keep]


ROAD_STYLE = {
    "expressway": ("#27ae60", 3.0, None),
    "provincial_expressway": ("#2ecc71", 2.0, None),
    "connector": ("#b7950b", 1.0, "3 3"),
    "hub_connector": ("#8e44ad", 1.2, "3 3"),
    # JTG B01 classes and OSM highway classes (read_osm), widest first
    "motorway": ("#27ae60", 3.0, None),
    "trunk": ("#2ecc71", 2.2, None),
    "first_class": ("#e67e22", 1.8, None),
    "primary": ("#e67e22", 1.8, None),
    "second_class": ("#d4ac0d", 1.4, None),
    "secondary": ("#d4ac0d", 1.4, None),
    "link": ("#7f8c8d", 1.0, None),
    "third_class": ("#95a5a6", 1.0, None),
    "tertiary": ("#95a5a6", 1.0, None),
    "fourth_class": ("#b3b6b7", 0.7, None),
    "unclassified": ("#b3b6b7", 0.7, None),
    "residential": ("#cacfd2", 0.6, None),
    "service": ("#d5d8dc", 0.5, None),
}
HUB_STYLE = {
    "airport": "#8e44ad",
    "china_europe_train": "#c0392b",
    "rail_freight": "#d35400",
    "river_port": "#2980b9",
    "logistics_hub": "#16a085",
}
PREFECTURE_PALETTE = [
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#d9d9d9",
    "#bc80bd", "#ccebc5", "#ffed6f", "#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#ffff99",
]


def label(key: str, language: str = "zh") -> str:
    """zh or en label of a field or class value (the key itself when unknown)."""
    pair = FIELD_LABELS.get(key) or CLASS_LABELS.get(key)
    if pair is None:
        return key
    return pair[0] if language == "zh" else pair[1]


class Legend(branca.element.MacroElement):
    """A legend bound to one overlay: shown while the overlay is on, hidden otherwise.

    All legends of a map share one scrollable panel (bottom right), so that
    however many layers are on, legends never cover the layer control.

    Parameters
    ----------
    layer
        The overlay (FeatureGroup, GeoJson, ImageOverlay, ...).
    title
        Legend title (escaped).
    items
        ``(colour, text, kind)`` rows; kind is ``"line"``, ``"dash"``, ``"point"``
        or ``"box"``. Text is escaped.
    position
        Kept for compatibility; the shared panel sits bottom right.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function() {
    var map = {{ this._parent.get_name() }};
    var layer = {{ this.layer.get_name() }};
    if (!map._spLegendBox) {
        var panel = L.control({position: 'bottomright'});
        panel.onAdd = function() {
            var d = L.DomUtil.create('div', 'sp-legend-box');
            d.style.cssText = 'background:rgba(255,255,255,.94);padding:6px 8px;border-radius:4px;' +
                'box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.5 sans-serif;max-height:42vh;overflow-y:auto;' +
                'max-width:260px';
            L.DomEvent.disableClickPropagation(d);
            L.DomEvent.disableScrollPropagation(d);
            return d;
        };
        panel.addTo(map);
        map._spLegendBox = panel.getContainer();
    }
    var div = document.createElement('div');
    div.className = 'sp-legend';
    div.setAttribute('data-layer', {{ this.title|tojson }});
    div.style.marginBottom = '6px';
    div.innerHTML = {{ this.html|tojson }};
    map._spLegendBox.insertBefore(div, map._spLegendBox.firstChild);  // newest (plan) layers on top
    function sync() {
        div.style.display = map.hasLayer(layer) ? '' : 'none';
        var any = Array.prototype.some.call(map._spLegendBox.children, function(c) { return c.style.display !== 'none'; });
        map._spLegendBox.style.display = any ? '' : 'none';
    }
    map.on('overlayadd overlayremove layeradd layerremove', sync);
    sync();
})();
{% endmacro %}
"""
    )

    def __init__(self, layer, title: str, items: Sequence[tuple[str, str, str]], position: str = "bottomright"):
        super().__init__()
        self._name = "Legend"
        self.layer = layer
        self.title = title
        self.position = position
        rows = []
        for colour, text, kind in items:
            c = html.escape(colour, quote=True)
            if kind == "line":
                sym = f'<span style="display:inline-block;width:22px;height:0;border-top:3px solid {c};"></span>'
            elif kind == "dash":
                sym = f'<span style="display:inline-block;width:22px;height:0;border-top:3px dashed {c};"></span>'
            elif kind == "point":
                sym = (f'<span style="display:inline-block;width:11px;height:11px;border-radius:50%;'
                       f'background:{c};border:1px solid #333;"></span>')
            else:
                sym = (f'<span style="display:inline-block;width:16px;height:11px;background:{c};'
                       f'border:1px solid #555;"></span>')
            rows.append(f'<div style="white-space:nowrap">{sym}&nbsp;{html.escape(str(text))}</div>')
        self.html = f'<b>{html.escape(title)}</b>{"".join(rows)}'


_JSON_UNICODE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")


def _unescape_non_ascii(match: re.Match) -> str:
    cp = int(match.group(2), 16)
    if cp < 0x80 or cp in (0x2028, 0x2029) or 0xD800 <= cp <= 0xDFFF:
        return match.group(0)  # keep ASCII escapes such as \u003c (<), line separators and surrogates
    return match.group(1) + chr(cp)


def _stable_ids(m: folium.Map) -> None:
    """Number every element in document order, replacing branca's random ids, so that the same map
    renders to the same bytes on every run."""
    seen = set()

    def walk(el, counter=[0]):  # noqa: B006 - a shared counter across the walk
        if id(el) in seen:
            return
        seen.add(id(el))
        el._id = f"{counter[0]:08x}"
        counter[0] += 1
        for child in list(getattr(el, "_children", {}).values()):
            walk(child)

    walk(m.get_root())


def render_html(m: folium.Map, *, assets: str = "auto") -> str:
    """Render a map to one HTML document.

    Chinese text is written as UTF-8 rather than ``\\uXXXX``: JSON escapes of
    ASCII characters (``<``, ``>``, ``&`` as ``\\u003c`` ...) are kept, so the page
    stays as safe as Folium made it; only non-ASCII escapes become the
    characters themselves, which makes the file smaller and searchable.

    Parameters
    ----------
    assets
        ``"inline"`` writes Leaflet and its plugins into the page (it then works
        offline; see :mod:`spatial_planner.webassets`), ``"cdn"`` links them
        from the web, ``"auto"`` inlines when the assets have been fetched.
    """
    from ._errors import DataFileError
    from .webassets import assets_available, inline_assets

    _stable_ids(m)
    html_text = _JSON_UNICODE.sub(_unescape_non_ascii, m.get_root().render())
    if assets == "cdn" or (assets == "auto" and not assets_available()):
        return html_text
    html_text, missing = inline_assets(html_text)
    if missing and assets == "inline":
        raise DataFileError(f"web assets not available for: {', '.join(missing)}", layer="map.html",
                            fix="run `python -m spatial_planner.webassets fetch` (needs npm), or set map.assets = \"cdn\".")
    return html_text


# --------------------------------------------------------------------------- data preparation


def _round_coords(geoms: np.ndarray, decimals: int) -> np.ndarray:
    """Snap to a 10^-decimals grid with ``shapely.set_precision``, which keeps polygons valid (rounding each
    vertex on its own can make a thin spike cross itself); parts that collapse below the grid keep their
    vertex-rounded form rather than vanishing."""
    snapped = shapely.set_precision(geoms, 10.0 ** -decimals)
    lost = shapely.is_empty(snapped) & ~shapely.is_empty(geoms)
    if lost.any():
        snapped[lost] = shapely.transform(geoms[lost], lambda c: np.round(c, decimals))
    return snapped


def prepare_for_web(
    gdf: gpd.GeoDataFrame,
    *,
    precision: int = 5,
    simplify_m: float = 0.0,
    coverage: bool = False,
    gcj02: bool = False,
) -> gpd.GeoDataFrame:
    """Return a copy ready for the web map: simplified, rounded, optionally GCJ-02-shifted.

    Parameters
    ----------
    gdf
        Layer in EPSG:4490 (or any geographic CRS).
    precision
        Decimals kept (5 ≈ 1 m).
    simplify_m
        Simplification tolerance in metres (0: none).
    coverage
        Simplify polygons as a coverage (``shapely.coverage_simplify``), so
        that neighbours keep sharing their edges.
    gcj02
        Shift coordinates to GCJ-02 for Gaode tiles.
    """
    out = gdf.to_crs(CGCS2000).copy()
    geoms = out.geometry.values
    drawable = ~(out.geometry.isna() | out.geometry.is_empty)
    if simplify_m > 0 and drawable.any():
        metric = projected_crs_for(tuple(out.geometry[drawable].total_bounds))
        gm = out.geometry.to_crs(metric).values
        if coverage:
            gm = shapely.coverage_simplify(gm, simplify_m)
        else:
            gm = shapely.simplify(gm, simplify_m, preserve_topology=True)
        geoms = gpd.GeoSeries(gm, crs=metric).to_crs(CGCS2000).values
    if gcj02:
        geoms = shift_geometry_to_gcj02(geoms)
    geoms = _round_coords(np.asarray(geoms), precision)
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=CGCS2000))
    return out


def _escaped_properties(gdf: gpd.GeoDataFrame, fields: Sequence[str]) -> gpd.GeoDataFrame:
    """Keep ``fields`` and the geometry; turn values into escaped display strings."""
    cols = [f for f in fields if f in gdf.columns]
    out = gpd.GeoDataFrame(index=gdf.index, geometry=gdf.geometry.values, crs=gdf.crs)
    for c in cols:
        vals = gdf[c]
        if pd.api.types.is_float_dtype(vals):
            text = vals.map(lambda v: "" if pd.isna(v) else f"{v:.2f}".rstrip("0").rstrip("."))
        else:
            text = vals.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
        out[c] = text.map(lambda s: html.escape(s, quote=True))
    return out


def add_layer(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    fields: Sequence[str],
    language: str = "zh",
    style=None,
    point_style=None,
    tooltip_field: str | None = None,
    show: bool = True,
    search_field: str | None = None,
) -> folium.GeoJson:
    """Add one GeoDataFrame as a toggled overlay with escaped popups and tooltips.

    Parameters
    ----------
    style
        ``f(properties) -> dict`` of Leaflet path options, or a dict.
    point_style
        For point layers: ``f(properties) -> dict`` of CircleMarker options.
    search_field
        Column to make searchable (folium Search plugin).
    """
    shown = list(dict.fromkeys([*fields] + ([tooltip_field] if tooltip_field else [])))
    data = _escaped_properties(gdf, shown)
    # Fields whose name starts with "_" travel with the features for styling but are not shown.
    present = [f for f in fields if f in data.columns and not f.startswith("_")]
    aliases = [label(f, language) for f in present]
    style_fn = style if callable(style) else (lambda _f, s=style or {}: s)
    kwargs = {}
    if point_style is not None:
        kwargs["marker"] = folium.CircleMarker(radius=6, fill=True, fill_opacity=0.9, weight=1)
        kwargs["style_function"] = lambda f: point_style(f["properties"])
    else:
        kwargs["style_function"] = lambda f: style_fn(f["properties"])
    layer = folium.GeoJson(
        json.loads(data.to_json(drop_id=True)),
        name=name,
        show=show,
        popup=folium.GeoJsonPopup(fields=present, aliases=aliases, labels=True, localize=False) if present else None,
        tooltip=folium.GeoJsonTooltip(fields=[tooltip_field], labels=False) if tooltip_field in data.columns else None,
        highlight_function=(lambda f: {"weight": 3, "color": "#000"}) if point_style is None else None,
        smooth_factor=1.0,
        **kwargs,
    )
    layer.add_to(m)
    if search_field and search_field in data.columns:
        folium.plugins.Search(
            layer=layer, search_label=search_field, geom_type="Point" if point_style else "Polygon",
            placeholder="搜索…" if language == "zh" else "Search…", collapsed=True, search_zoom=11,
            position="topleft",
        ).add_to(m)
    return layer


# --------------------------------------------------------------------------- the map


def _basemap(m: folium.Map, cfg: MapConfig) -> None:
    if cfg.basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(m)
    elif cfg.basemap == "tianditu":
        key = cfg.tianditu_key or os.environ.get("TIANDITU_KEY", "")
        for layer, name in (("vec", "天地图矢量"), ("cva", "天地图注记")):
            folium.TileLayer(
                tiles=f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
                f"&TILECOL={{x}}&tk={key}",
                attr="天地图 Tianditu", name=name, subdomains="01234567", overlay=layer == "cva",
            ).add_to(m)
    elif cfg.basemap == "gaode":
        folium.TileLayer(
            tiles="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            attr="高德地图 AutoNavi (GCJ-02)", name="高德地图", subdomains="1234",
        ).add_to(m)


def _sector_maps(sectors: pd.DataFrame | None, language: str) -> tuple[dict, dict]:
    if sectors is None:
        return {}, {}
    col = "name_zh" if language == "zh" else "name_en"
    return dict(zip(sectors["code"], sectors["color"])), dict(zip(sectors["code"], sectors[col]))


def _map_bounds(layers) -> tuple[float, float, float, float]:
    """Lon/lat bounds of the boundary (or counties), else of every layer given."""
    frames = [layers[k] for k in ("boundary", "counties") if layers.get(k) is not None and len(layers[k])][:1] or \
        [g for g in layers.values() if isinstance(g, gpd.GeoDataFrame) and len(g) and not g.geometry.is_empty.all()]
    if not frames:
        from ._errors import EmptyLayerError

        raise EmptyLayerError("nothing to map: every layer given is empty", layer=", ".join(layers) or None,
                              fix="pass at least one layer with features (counties or a boundary frame the map).")
    b = np.array([g.to_crs(CGCS2000).total_bounds for g in frames])
    return float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1])), float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3]))


def build_map(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    config: MapConfig | None = None,
    sectors: pd.DataFrame | None = None,
    title: str | None = None,
) -> folium.Map:
    """Draw the input layers as a Folium map with a layer control and per-layer legends.

    Parameters
    ----------
    layers
        Layer name → GeoDataFrame (EPSG:4490); any of ``counties``,
        ``prefectures``, ``parks``, ``rail_lines``, ``stations``, ``roads``,
        ``hubs``, ``seats``.
    config
        Map options (language, basemap, simplification, precision).
    sectors
        Sector vocabulary (colours and labels); see :func:`spatial_planner.io.read_sectors`.
    """
    cfg = config or MapConfig()
    zh = cfg.language == "zh"
    lang = cfg.language
    gcj = cfg.basemap == "gaode"
    minx, miny, maxx, maxy = _map_bounds(layers)
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=7, tiles=None,
                   prefer_canvas=True, control_scale=True)
    # Only Leaflet and jQuery of Folium's defaults are used (no Bootstrap, no icon fonts).
    m.default_js = [x for x in m.default_js if x[0] in KEEP_JS]
    m.default_css = [x for x in m.default_css if x[0] in KEEP_CSS]
    _basemap(m, cfg)
    if title:
        m.get_root().html.add_child(branca.element.Element(
            f'<div style="position:fixed;top:8px;left:60px;z-index:1000;background:rgba(255,255,255,.9);'
            f'padding:4px 10px;border-radius:4px;font:bold 15px sans-serif">{html.escape(title)}</div>'))
    web = lambda name, **kw: prepare_for_web(layers[name], precision=cfg.precision, gcj02=gcj, **kw)  # noqa: E731
    colour_of, sector_name = _sector_maps(sectors, lang)

    if layers.get("counties") is not None:
        c = web("counties", simplify_m=cfg.simplify_m, coverage=True)
        prefs = sorted(c["prefecture_adcode"].astype(str).unique()) if "prefecture_adcode" in c else []
        pcolour = {p: PREFECTURE_PALETTE[i % len(PREFECTURE_PALETTE)] for i, p in enumerate(prefs)}
        c["_fill"] = c["prefecture_adcode"].astype(str).map(pcolour) if prefs else "#dddddd"
        name = "县级行政区" if zh else "Counties"
        layer = add_layer(
            m, c, name=name, fields=["name_zh", "name_en", "adcode", "prefecture_zh", "kind", "area_km2", "_fill"],
            language=lang, tooltip_field="name_zh" if zh else "name_en", search_field="name_zh",
            style=lambda p: {"fillColor": p.get("_fill", "#ddd"), "color": "#555", "weight": 0.6, "fillOpacity": 0.35},
        )
        Legend(layer, name, [("#dddddd", "按所属地市着色" if zh else "shaded by prefecture", "box")],
               position="bottomleft").add_to(m)

    if layers.get("prefectures") is not None:
        p = web("prefectures", simplify_m=cfg.simplify_m, coverage=True)
        name = "地级行政区界" if zh else "Prefecture boundaries"
        layer = add_layer(m, p, name=name, fields=["name_zh", "name_en", "adcode", "n_counties", "area_km2"],
                          language=lang, tooltip_field="name_zh" if zh else "name_en",
                          style={"fill": False, "color": "#222", "weight": 2.0})
        Legend(layer, name, [("#222", "地级市界" if zh else "Prefecture boundary", "line")]).add_to(m)

    if layers.get("roads") is not None and len(layers["roads"]):
        drawn, left_out = roads_for_map(layers["roads"], cfg.max_road_features)
        thin = len(drawn) < len(layers["roads"])
        r = prepare_for_web(drawn, precision=cfg.precision, gcj02=gcj, simplify_m=cfg.simplify_m / 5 if thin else 0.0)
        r["road_class_label"] = r["road_class"].map(lambda v: label(v, lang))
        r["_road_class"] = r["road_class"]
        name = "公路网" if zh else "Roads"
        if thin:
            shown = f"{len(drawn):,}/{len(layers['roads']):,}"
            name += (f"（显示 {shown} 条；未画 {'、'.join(label(c, lang) for c in left_out)}，见 GeoPackage）" if zh
                     else f" ({shown} drawn; not drawn: {', '.join(label(c, lang) for c in left_out)}; all in the GeoPackage)")
        layer = add_layer(
            m, r, name=name, fields=["name_zh", "name_en", "route_ref", "road_class_label", "design_speed_kmh",
                                     "geometry_quality", "_road_class"],
            language=lang, tooltip_field="name_zh" if zh else "name_en",
            style=lambda p: {"color": ROAD_STYLE.get(p.get("_road_class"), ("#999", 1, None))[0],
                             "weight": ROAD_STYLE.get(p.get("_road_class"), ("#999", 1, None))[1],
                             "dashArray": ROAD_STYLE.get(p.get("_road_class"), ("#999", 1, None))[2],
                             "opacity": 0.85},
        )
        present = [k for k in ROAD_STYLE if k in set(r["road_class"])]
        Legend(layer, name, [(ROAD_STYLE[k][0], label(k, lang), "dash" if ROAD_STYLE[k][2] else "line")
                             for k in present]).add_to(m)

    if layers.get("rail_lines") is not None and len(layers["rail_lines"]):
        r = web("rail_lines")
        r["rail_class_label"] = r["rail_class"].map(lambda v: label(v, lang))
        r["_rail_class"] = r["rail_class"]
        name = "铁路网" if zh else "Railways"
        layer = add_layer(
            m, r, name=name, fields=["name_zh", "name_en", "rail_class_label", "design_speed_kmh", "opened",
                                     "geometry_quality", "_rail_class"],
            language=lang, tooltip_field="name_zh" if zh else "name_en",
            style=lambda p: {"color": RAIL_STYLE.get(p.get("_rail_class"), ("#555", 2, None))[0],
                             "weight": RAIL_STYLE.get(p.get("_rail_class"), ("#555", 2, None))[1],
                             "dashArray": RAIL_STYLE.get(p.get("_rail_class"), ("#555", 2, None))[2]},
        )
        present = [k for k in RAIL_STYLE if k in set(r["rail_class"])]
        Legend(layer, name, [(RAIL_STYLE[k][0], label(k, lang), "dash" if RAIL_STYLE[k][2] else "line")
                             for k in present]).add_to(m)

    if layers.get("parks") is not None and len(layers["parks"]):
        pk = web("parks")
        pk["lead_sector_label"] = pk["lead_sector"].map(lambda s: sector_name.get(s, s))
        pk["sectors_label"] = pk["sectors"].map(
            lambda s: "、".join(sector_name.get(x, x) for x in str(s).split(";") if x))
        pk["level"] = pk["level"].map(lambda v: label(v, lang))
        pk["_fill"] = pk["lead_sector"].map(lambda s: colour_of.get(s, "#999999"))
        name = "产业园区（按首位产业）" if zh else "Industrial parks (by lead industry)"
        layer = add_layer(
            m, pk, name=name,
            fields=["name_zh", "name_en", "level", "park_type", "prefecture_zh", "lead_sector_label", "sectors_label",
                    "area_km2", "footprint_km2", "productivity", "low_productivity", "geometry_quality", "_fill"],
            language=lang, tooltip_field="name_zh" if zh else "name_en", search_field="name_zh",
            style=lambda p: {"fillColor": p.get("_fill", "#999"), "color": "#333", "weight": 1, "fillOpacity": 0.8},
        )
        present = [s for s in colour_of if s in set(layers["parks"]["lead_sector"])]
        Legend(layer, name, [(colour_of[s], sector_name[s], "box") for s in present], position="bottomleft").add_to(m)
        if "low_productivity" in layers["parks"] and layers["parks"]["low_productivity"].astype(bool).any():
            low = pk[layers["parks"]["low_productivity"].astype(bool).to_numpy()]
            lname = "地均产出偏低的园区" if zh else "Parks with low land productivity"
            llayer = add_layer(m, low, name=lname, language=lang, show=False, tooltip_field="name_zh" if zh else "name_en",
                               fields=["name_zh", "name_en", "level", "lead_sector_label", "productivity"],
                               style={"fill": False, "color": "#e31a1c", "weight": 3, "dashArray": "4 3"})
            Legend(llayer, lname, [("#e31a1c", "低于其级别下限" if zh else "below the floor of its level", "dash")]).add_to(m)

    if layers.get("stations") is not None and len(layers["stations"]):
        st = web("stations")
        st["station_type_label"] = st["station_type"].map(lambda v: label(v, lang))
        st["_station_type"] = st["station_type"]
        name = "铁路车站" if zh else "Rail stations"
        colours = {"hsr": "#c0392b", "conventional": "#34495e", "freight_terminal": "#d35400"}
        layer = add_layer(
            m, st, name=name, fields=["name_zh", "name_en", "station_type_label", "lines", "_station_type"],
            language=lang, tooltip_field="name_zh" if zh else "name_en", show=False,
            point_style=lambda p: {"color": "#222", "fillColor": colours.get(p.get("_station_type"), "#777"),
                                   "radius": 4, "weight": 1, "fillOpacity": 0.9},
        )
        Legend(layer, name, [(v, label(k, lang) if k != "hsr" else ("高铁站" if zh else "HSR station"), "point")
                             for k, v in colours.items() if k in set(st["station_type"])]).add_to(m)

    if layers.get("hubs") is not None and len(layers["hubs"]):
        h = web("hubs")
        h["hub_type_label"] = h["hub_type"].map(lambda v: label(v, lang))
        h["_hub_type"] = h["hub_type"]
        name = "交通枢纽" if zh else "Transport hubs"
        layer = add_layer(
            m, h, name=name, fields=["name_zh", "name_en", "hub_type_label", "iata", "level", "geometry_quality",
                                     "_hub_type"],
            language=lang, tooltip_field="name_zh" if zh else "name_en", search_field=None,
            point_style=lambda p: {"color": "#000", "fillColor": HUB_STYLE.get(p.get("_hub_type"), "#777"),
                                   "radius": 8, "weight": 1.5, "fillOpacity": 0.95},
        )
        Legend(layer, name, [(HUB_STYLE[k], label(k, lang), "point") for k in HUB_STYLE
                             if k in set(h["hub_type"])]).add_to(m)

    if layers.get("seats") is not None and len(layers["seats"]):
        s = web("seats")
        name = "县级行政中心" if zh else "County seats"
        layer = add_layer(
            m, s, name=name, fields=["name_zh", "name_en", "adcode", "prefecture_zh"], language=lang,
            tooltip_field="name_zh" if zh else "name_en", show=False,
            point_style=lambda p: {"color": "#333", "fillColor": "#fff", "radius": 3, "weight": 1, "fillOpacity": 1},
        )
        Legend(layer, name, [("#ffffff", "县级政府驻地" if zh else "County government seat", "point")]).add_to(m)

    m.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    folium.plugins.MeasureControl(position="topleft", primary_length_unit="kilometers",
                                  primary_area_unit="sqkilometers").add_to(m)
    if cfg.basemap != "none":
        folium.plugins.MiniMap(toggle_display=True).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.get_root().header.add_child(branca.element.Element(
        "<style>.leaflet-control-layers-expanded{max-height:52vh;overflow-y:auto;font-size:12px}</style>"))
    return m


# --------------------------------------------------------------------------- analysis layers

TIME_BREAKS = (15, 30, 45, 60, 90, 120, 180)
TIME_COLOURS = ("#1a9850", "#66bd63", "#a6d96a", "#fee08b", "#fdae61", "#f46d43", "#d73027", "#a50026")


def _time_colour(v) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "#cccccc"
    if not np.isfinite(x):
        return "#cccccc"
    for b, c in zip(TIME_BREAKS, TIME_COLOURS):
        if x <= b:
            return c
    return TIME_COLOURS[-1]


def _time_legend_items(language: str) -> list[tuple[str, str, str]]:
    lo = 0
    items = []
    for b, c in zip(TIME_BREAKS, TIME_COLOURS):
        items.append((c, f"{lo}–{b} 分钟" if language == "zh" else f"{lo}–{b} min", "box"))
        lo = b
    items.append((TIME_COLOURS[-1], f"> {lo} 分钟" if language == "zh" else f"> {lo} min", "box"))
    return items


class IndicatorSwitch(branca.element.MacroElement):
    """A drop-down that recolours one zone layer by the chosen indicator, with its legend.

    Every indicator's values travel once in the layer's properties; switching
    only restyles, so ten indicators cost no more map size than one.
    """

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>
.sp-switch { background: rgba(255,255,255,.94); padding: 6px 8px; border-radius: 4px;
             box-shadow: 0 1px 4px rgba(0,0,0,.3); font: 12px/1.5 sans-serif; max-width: 260px; }
.sp-switch select { max-width: 240px; font-size: 12px; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function() {
    var map = {{ this._parent.get_name() }};
    var layer = {{ this.layer.get_name() }};
    var specs = {{ this.specs|tojson }};
    function colourOf(spec, v) {
        if (v === null || v === undefined || v === "" || isNaN(Number(v))) { return "#cccccc"; }
        v = Number(v);
        for (var i = 0; i < spec.breaks.length; i++) { if (v <= spec.breaks[i]) { return spec.colors[i]; } }
        return spec.colors[spec.colors.length - 1];
    }
    var control = L.control({position: 'bottomleft'});
    var div;
    control.onAdd = function() {
        div = L.DomUtil.create('div', 'sp-switch sp-legend');
        div.setAttribute('data-layer', {{ this.title|tojson }});
        L.DomEvent.disableClickPropagation(div);
        var html = '<b>' + {{ this.title|tojson }} + '</b><br><select>';
        specs.forEach(function(s, i) { html += '<option value="' + i + '">' + s.label + '</option>'; });
        div.innerHTML = html + '</select><div class="sp-switch-legend"></div>';
        div.querySelector('select').addEventListener('change', function(e) { apply(specs[Number(e.target.value)]); });
        return div;
    };
    function apply(spec) {
        layer.setStyle(function(f) {
            return {fillColor: colourOf(spec, f.properties[spec.column]), color: '#666', weight: 0.5, fillOpacity: 0.75};
        });
        var rows = '';
        for (var i = 0; i < spec.colors.length; i++) {
            rows += '<div><span style="display:inline-block;width:16px;height:11px;background:' + spec.colors[i] +
                    ';border:1px solid #555"></span>&nbsp;' + spec.classes[i] + '</div>';
        }
        if (div) { div.querySelector('.sp-switch-legend').innerHTML = rows; }
    }
    function sync() {
        if (map.hasLayer(layer)) { if (!div || !div.parentNode) { control.addTo(map); apply(specs[0]); } }
        else { control.remove(); }
    }
    map.on('overlayadd overlayremove layeradd layerremove', sync);
    sync();
})();
{% endmacro %}
"""
    )

    def __init__(self, layer, title: str, specs: list[dict]):
        super().__init__()
        self._name = "IndicatorSwitch"
        self.layer = layer
        self.title = html.escape(title)
        self.specs = [
            {**spec, "label": html.escape(spec["label"]), "classes": [html.escape(c) for c in spec["classes"]]}
            for spec in specs
        ]


def minute_classes(language: str = "zh") -> tuple[list[float], list[str], list[str]]:
    """Breaks, colours and class labels of travel-time choropleths."""
    unit = "分钟" if language == "zh" else "min"
    labels, lo = [], 0
    for b in TIME_BREAKS:
        labels.append(f"{lo}–{b} {unit}")
        lo = b
    labels.append(f"> {lo} {unit}")
    return list(TIME_BREAKS), list(TIME_COLOURS), labels


def add_choropleths(
    m: folium.Map,
    zones: gpd.GeoDataFrame,
    indicators: dict[str, tuple[str, str]],
    *,
    language: str = "zh",
    info_fields: Sequence[str] = ("name_zh", "prefecture_zh"),
    classes: dict[str, tuple[list[float], list[str], list[str]]] | None = None,
    name: str | None = None,
) -> folium.GeoJson:
    """One zone overlay whose colouring switches between indicators (a drop-down in its legend).

    Parameters
    ----------
    indicators
        Column → (zh label, en label), in menu order; the first is shown first.
    classes
        Column → (upper breaks, colours, class labels); travel-time classes by default.
    """
    cols = [c for c in indicators if c in zones.columns]
    specs = []
    for col in cols:
        zh_label, en_label = indicators[col]
        FIELD_LABELS.setdefault(col, (zh_label, en_label))
        breaks, colours, labels = (classes or {}).get(col) or minute_classes(language)
        specs.append({"column": col, "label": zh_label if language == "zh" else en_label,
                      "breaks": breaks, "colors": colours, "classes": labels})
    title = name or ("县域指标" if language == "zh" else "County indicators")
    first = specs[0] if specs else None
    layer = add_layer(
        m, zones, name=title, fields=[*info_fields, *cols], language=language,
        tooltip_field=info_fields[0] if info_fields else None, show=False,
        style={"fillColor": "#cccccc", "color": "#666", "weight": 0.5, "fillOpacity": 0.75} if first is None else
        (lambda p, f=first: {"fillColor": _class_colour(p.get(f["column"]), f), "color": "#666", "weight": 0.5,
                             "fillOpacity": 0.75}),
    )
    if specs:
        IndicatorSwitch(layer, title, specs).add_to(m)
    return layer


def _class_colour(value, spec: dict) -> str:
    try:
        v = float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return "#cccccc"
    if not np.isfinite(v):
        return "#cccccc"
    for b, c in zip(spec["breaks"], spec["colors"]):
        if v <= b:
            return c
    return spec["colors"][-1]


def add_isochrones(m: folium.Map, iso: gpd.GeoDataFrame, *, language: str = "zh", precision: int = 5,
                   gcj02: bool = False) -> folium.GeoJson:
    """Isochrone bands of one or more hubs as one overlay (``hub_name``, ``minutes`` columns)."""
    web = prepare_for_web(iso, precision=precision, gcj02=gcj02, simplify_m=50)
    web["_fill"] = web["minutes"].map(_time_colour)
    web["band"] = [f"{int(a)}–{int(b)}" for a, b in zip(web["from_minutes"], web["minutes"])]
    FIELD_LABELS.setdefault("hub_name", ("枢纽", "Hub"))
    FIELD_LABELS.setdefault("band", ("时间带(分钟)", "Band (min)"))
    name = "枢纽等时圈" if language == "zh" else "Hub isochrones"
    layer = add_layer(m, web, name=name, fields=["hub_name", "band", "area_km2", "_fill"], language=language,
                      tooltip_field="hub_name", show=False,
                      style=lambda p: {"fillColor": p.get("_fill", "#ccc"), "color": p.get("_fill", "#ccc"),
                                       "weight": 1, "fillOpacity": 0.35})
    bands = sorted(set(zip(iso["from_minutes"], iso["minutes"])))
    Legend(layer, name, [(_time_colour(b), f"{int(a)}–{int(b)} " + ("分钟" if language == "zh" else "min"), "box")
                         for a, b in bands], position="bottomleft").add_to(m)
    return layer


def raster_to_rgba(array: np.ndarray, transform, crs, *, max_pixels: int = 1_500_000):
    """Warp a minutes raster to Web Mercator and colour it by :data:`TIME_BREAKS`.

    Returns
    -------
    (rgba, bounds)
        ``uint8`` RGBA image and ``[[south, west], [north, east]]`` in degrees.
    """
    from rasterio.warp import Resampling, calculate_default_transform, reproject
    from rasterio.transform import array_bounds

    h, w = array.shape
    left, bottom, right, top = array_bounds(h, w, transform)
    dst_t, dw, dh = calculate_default_transform(crs, "EPSG:3857", w, h, left, bottom, right, top)
    scale = max(1.0, (dw * dh / max_pixels) ** 0.5)
    dw, dh = int(dw / scale), int(dh / scale)
    dst_t = dst_t @ dst_t.scale(scale, scale)
    out = np.full((dh, dw), np.nan, dtype=np.float32)
    reproject(array.astype(np.float32), out, src_transform=transform, src_crs=crs, dst_transform=dst_t,
              dst_crs="EPSG:3857", resampling=Resampling.nearest, src_nodata=np.nan, dst_nodata=np.nan)
    rgba = np.zeros((dh, dw, 4), dtype=np.uint8)
    valid = np.isfinite(out)
    idx = np.searchsorted(np.asarray(TIME_BREAKS, float), out[valid], side="left")
    palette = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in TIME_COLOURS], dtype=np.uint8)
    rgba[valid, :3] = palette[np.minimum(idx, len(TIME_COLOURS) - 1)]
    rgba[valid, 3] = 170
    l3, b3, r3, t3 = array_bounds(dh, dw, dst_t)
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    west, south = tr.transform(l3, b3)
    east, north = tr.transform(r3, t3)
    return rgba, [[south, west], [north, east]]


def add_raster(m: folium.Map, array: np.ndarray, transform, crs, *, name: str, language: str = "zh",
               gcj02: bool = False, show: bool = False) -> folium.raster_layers.ImageOverlay:
    """A minutes raster as a coloured image overlay with its own legend."""
    rgba, bounds = raster_to_rgba(array, transform, crs)
    if gcj02:
        (s, w), (n, e) = bounds
        (w2, e2), (s2, n2) = wgs84_to_gcj02([w, e], [s, n])
        bounds = [[float(s2), float(w2)], [float(n2), float(e2)]]
    layer = folium.raster_layers.ImageOverlay(rgba, bounds=bounds, name=name, opacity=0.8, show=show,
                                              interactive=False, cross_origin=False, zindex=1)
    layer.add_to(m)
    Legend(layer, name, _time_legend_items(language), position="bottomleft").add_to(m)
    return layer


# --------------------------------------------------------------------------- 点-带-网 layers

TIER_STYLE = {"国家级": ("#b2182b", 11), "省级": ("#ef8a62", 8), "市级": ("#fddbc7", 6), "县级": ("#f7f7f7", 3.5)}
STRENGTH_STYLE = {"强": ("#08306b", 5.0), "较强": ("#2171b5", 3.5), "中等": ("#6baed6", 2.2), "一般": ("#bdd7e7", 1.2)}
TIER_LABEL_EN = {"国家级": "national tier", "省级": "provincial tier", "市级": "city tier", "县级": "county tier"}
STRENGTH_EN = {"强": "strong", "较强": "fairly strong", "中等": "medium", "一般": "weak"}

FIELD_LABELS.update({
    "rank": ("排名", "Rank"), "score": ("综合得分", "Score"), "tier": ("培育层级", "Tier"),
    "tier_rule": ("层级规则", "Tier rule"), "s_mass": ("经济规模(标准化)", "Mass (norm.)"),
    "s_gravity": ("引力可达性(标准化)", "Gravity access (norm.)"),
    "s_betweenness": ("网络中介性(标准化)", "Betweenness (norm.)"),
    "s_hub_access": ("枢纽可达性(标准化)", "Hub access (norm.)"), "s_park_level": ("园区级别(标准化)", "Park level (norm.)"),
    "total_linkage": ("联系总量", "Total linkage"), "member_names": ("成员园区", "Member parks"),
    "county_names": ("涉及县区", "Counties"), "n_parks": ("园区数", "Parks"), "n_counties": ("县区数", "Counties"),
    "length_km": ("长度(km)", "Length (km)"), "continuity": ("连续性", "Continuity"),
    "accessibility": ("可达性", "Accessibility"), "mass": ("规模(代理)", "Mass (proxy)"),
    "top_sectors": ("主要产业", "Main industries"), "linkage": ("联系强度", "Linkage"),
    "strength_class": ("强度等级", "Strength"), "name_a": ("节点A", "Node A"), "name_b": ("节点B", "Node B"),
    "network_min": ("现状时间(分钟)", "Network time (min)"), "ideal_min": ("理想时间(分钟)", "Ideal time (min)"),
    "deficit": ("时间缺口", "Time deficit"), "utilisation": ("现状利用率", "Utilisation"),
    "priority": ("优先度", "Priority"), "proposal": ("建议", "Proposal"), "reason_zh": ("理由", "Reason (zh)"),
    "reason_en": ("理由(英)", "Reason"), "similarity": ("结构相似系数", "Similarity"),
    "krugman_dissimilarity": ("克鲁格曼差异指数", "Krugman dissimilarity"), "relation": ("关系", "Relation"),
    "sector_label": ("产业", "Industry"), "provenance": ("数据来源", "Provenance"),
    "max_internal_min": ("内部最大车程(分钟)", "Max internal time (min)"),
    "productivity": ("地均产出(亿元/km²)", "Output per km²"), "low_productivity": ("低效", "Low productivity"),
})


def _line_layer(m, gdf, *, name, fields, language, style, tooltip_field, show=True, precision=5, gcj02=False):
    web = prepare_for_web(gdf, precision=precision, gcj02=gcj02)
    return add_layer(m, web, name=name, fields=fields, language=language, tooltip_field=tooltip_field, show=show,
                     style=style)


def add_plan_layers(m: folium.Map, plan, *, language: str = "zh", sectors: pd.DataFrame | None = None,
                    precision: int = 5, gcj02: bool = False) -> None:
    """Draw a :class:`~spatial_planner.analysis.Plan`: nodes by tier, belts, corridors, linkages,
    priorities, clusters and 产业同构 pairs, each a toggled layer with its own legend."""
    zh = language == "zh"
    s_name = dict(zip(sectors["code"], sectors["name_zh" if zh else "name_en"])) if sectors is not None else {}
    s_col = dict(zip(sectors["code"], sectors["color"])) if sectors is not None else {}

    if len(plan.clusters):
        c = plan.clusters.assign(sector_label=plan.clusters["sector"].map(lambda s: s_name.get(s, s)),
                                 _fill=plan.clusters["sector"].map(lambda s: s_col.get(s, "#999")))
        name = "跨县产业集群建议" if zh else "Cross-county clusters"
        layer = _line_layer(m, c, name=name, language=language, show=False, precision=precision, gcj02=gcj02,
                            fields=["name_zh", "sector_label", "member_names", "county_names", "n_parks", "mass",
                                    "max_internal_min", "_fill"], tooltip_field="name_zh",
                            style=lambda p: {"fillColor": p.get("_fill"), "color": p.get("_fill"), "weight": 2,
                                             "dashArray": "6 3", "fillOpacity": 0.18})
        present = list(dict.fromkeys(plan.clusters["sector"]))
        Legend(layer, name, [(s_col.get(s, "#999"), s_name.get(s, s), "box") for s in present],
               position="bottomleft").add_to(m)

    if len(plan.belt_corridors):
        bc = plan.belt_corridors.assign(_fill=plan.belt_corridors["sector"].map(lambda s: s_col.get(s, "#999")))
        name = "产业带走廊" if zh else "Belt corridors"
        layer = _line_layer(m, bc, name=name, language=language, precision=precision, gcj02=gcj02, show=False,
                            fields=["name_zh", "name_en", "member_names", "county_names", "length_km", "score", "_fill"],
                            tooltip_field="name_zh",
                            style=lambda p: {"fillColor": p.get("_fill"), "color": p.get("_fill"), "weight": 0.5,
                                             "fillOpacity": 0.15})
        Legend(layer, name, [("#cccccc", "产业带两侧走廊范围" if zh else "corridor around each belt", "box")],
               position="bottomleft").add_to(m)

    if len(plan.corridors):
        name = "多产业走廊（最密集段）" if zh else "Multi-industry corridors (densest stretch)"
        layer = _line_layer(m, plan.corridors, name=name, language=language, show=False, precision=precision,
                            gcj02=gcj02, fields=["name_zh", "n_parks", "mass", "top_sectors"], tooltip_field="name_zh",
                            style={"color": "#6a3d9a", "weight": 9, "opacity": 0.35})
        Legend(layer, name, [("#6a3d9a", "走廊段" if zh else "corridor stretch", "line")]).add_to(m)

    if len(plan.belts):
        b = plan.belts.assign(sector_label=plan.belts["sector"].map(lambda s: s_name.get(s, s)),
                              _col=plan.belts["sector"].map(lambda s: s_col.get(s, "#999")))
        name = "产业带（带）" if zh else "Industrial belts"
        layer = _line_layer(m, b, name=name, language=language, precision=precision, gcj02=gcj02,
                            fields=["name_zh", "name_en", "rank", "sector_label", "member_names", "county_names",
                                    "length_km", "mass", "continuity", "accessibility", "score", "_col"],
                            tooltip_field="name_zh" if zh else "name_en",
                            style=lambda p: {"color": p.get("_col"), "weight": 7, "opacity": 0.9})
        Legend(layer, name, [(s_col.get(s, "#999"), s_name.get(s, s), "line")
                             for s in dict.fromkeys(plan.belts["sector"])]).add_to(m)

    if len(plan.linkages):
        lk = plan.linkages.assign(_cls=plan.linkages["strength_class"])
        name = "节点联系（网）" if zh else "Linkages"
        layer = _line_layer(m, lk, name=name, language=language, show=False, precision=precision, gcj02=gcj02,
                            fields=["name_a", "name_b", "linkage", "strength_class", "_cls"], tooltip_field="name_a",
                            style=lambda p: {"color": STRENGTH_STYLE.get(p.get("_cls"), ("#999", 1))[0],
                                             "weight": STRENGTH_STYLE.get(p.get("_cls"), ("#999", 1))[1],
                                             "opacity": 0.8})
        Legend(layer, name, [(c, k if zh else STRENGTH_EN[k], "line") for k, (c, _) in STRENGTH_STYLE.items()
                             if k in set(lk["_cls"])]).add_to(m)

    if len(plan.priorities):
        name = "优先建设/提升通道" if zh else "Priority links"
        layer = _line_layer(m, plan.priorities, name=name, language=language, precision=precision, gcj02=gcj02,
                            fields=["rank", "name_a", "name_b", "network_min", "ideal_min", "deficit", "utilisation",
                                    "priority", "proposal", "reason_zh" if zh else "reason_en"],
                            tooltip_field="proposal",
                            style={"color": "#e31a1c", "weight": 4, "dashArray": "10 6", "opacity": 0.95})
        Legend(layer, name, [("#e31a1c", "建议通道（按优先度排序）" if zh else "proposed link (ranked)", "dash")]).add_to(m)

    if len(plan.isomorphism):
        name = "产业同构县对" if zh else "Same-structure pairs (产业同构)"
        layer = _line_layer(m, plan.isomorphism, name=name, language=language, show=False, precision=precision,
                            gcj02=gcj02, fields=["name_a", "name_b", "similarity", "krugman_dissimilarity", "relation"],
                            tooltip_field="name_a", style={"color": "#ff7f00", "weight": 3, "dashArray": "2 5"})
        Legend(layer, name, [("#ff7f00", "结构相似的相邻/近距县对" if zh else "similar neighbouring counties", "dash")]).add_to(m)

    if len(plan.nodes):
        n = prepare_for_web(plan.nodes, precision=precision, gcj02=gcj02)
        n["_tier"] = n["tier"]
        name = "增长极（点，按培育层级）" if zh else "Growth poles (by tier)"
        layer = add_layer(
            m, n, name=name, language=language, tooltip_field="name_zh" if zh else "name_en",
            fields=["name_zh", "name_en", "rank", "tier", "score", "s_mass", "s_gravity", "s_betweenness",
                    "s_hub_access", "s_park_level", "total_linkage", "tier_rule", "provenance", "_tier"],
            point_style=lambda p: {"color": "#222", "weight": 1, "fillOpacity": 0.95,
                                   "fillColor": TIER_STYLE.get(p.get("_tier"), ("#ccc", 3))[0],
                                   "radius": TIER_STYLE.get(p.get("_tier"), ("#ccc", 3))[1]},
            search_field="name_zh")
        Legend(layer, name, [(c, t if zh else TIER_LABEL_EN[t], "point") for t, (c, _) in TIER_STYLE.items()]).add_to(m)
