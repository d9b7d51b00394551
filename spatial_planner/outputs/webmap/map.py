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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import branca.element
import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd

from ..._errors import EmptyLayerError
from ...crs import CGCS2000
from ...io.credits import data_credits
from ...symbology import (
    APPROXIMATE_QUALITY,
    COUNTY_STYLE,
    HUB_STYLE,
    LAYER_PANE,
    LOW_PRODUCTIVITY_COLOUR,
    MAIN_ROAD_CLASSES,
    PREFECTURE_STYLE,
    RAIL_STYLE,
    ROAD_STYLE,
    STATION_COLOURS,
    approximate_style,
    label,
    web_style,
)
from .assets import KEEP_CSS, KEEP_JS
from .elements import Attribution, FitStudyArea, Legend, MapNote, PlaceSearch
from .labels import add_place_labels
from .panes import add_panes, pane_name
from .prepare import (
    escaped_properties,
    merge_unnamed,
    prepare_for_web,
    roads_for_map,
    split_straight_parts,
)

__all__ = ["MapConfig", "add_layer", "build_map"]


# --------------------------------------------------------------------------- data preparation


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
    pane: str = "context",
    highlight: dict | None = None,
) -> folium.GeoJson:
    """Add one GeoDataFrame as a toggled overlay with escaped popups and tooltips.

    Parameters
    ----------
    pane
        The kind of layer (a key of :data:`~spatial_planner.symbology.MAP_PANES`): it fixes where the layer is
        drawn, above or below the others, whatever the order in which layers are switched on.
    style
        ``f(properties) -> dict`` of Leaflet path options, or a dict.
    point_style
        For point layers: ``f(properties) -> dict`` of CircleMarker options.
    search_field
        Column to make searchable (one search box for the whole map).
    highlight
        Leaflet path options while the pointer is over a feature (default: a black 3 px outline).
    """
    shown = list(dict.fromkeys([*fields] + ([tooltip_field] if tooltip_field else [])))
    if "geometry_quality" in shown and "geometry_quality" in gdf.columns:
        # the raw value styles approximate features (dashed); the popup reads its label
        quality = gdf["geometry_quality"].fillna("").astype(str)
        gdf = gdf.assign(_quality=quality, geometry_quality=quality.map(lambda v: label(v, language) if v else ""))
        shown.append("_quality")
    for col in ("location_quality",):
        if col in shown and col in gdf.columns:
            gdf = gdf.assign(**{col: gdf[col].fillna("").astype(str).map(lambda v: label(v, language) if v else "")})
    data = escaped_properties(gdf, shown)
    empty = [c for c in data.columns if c != "geometry" and not c.startswith("_") and not data[c].astype(bool).any()]
    data = data.drop(columns=empty)  # a field empty for every feature says nothing in a popup
    # Fields whose name starts with "_" travel with the features for styling but are not shown.
    present = [f for f in fields if f in data.columns and not f.startswith("_")]
    aliases = [label(f, language) for f in present]
    style_fn = style if callable(style) else (lambda _f, s=style or {}: s)
    where = {"pane": pane_name(pane)}  # a style's pane is read when the feature is added: its drawing level
    kwargs = {}
    if point_style is not None:
        kwargs["marker"] = folium.CircleMarker(radius=6, fill=True, fill_opacity=0.9, weight=1, pane=where["pane"])
        kwargs["style_function"] = lambda f: {**approximate_style(f["properties"], point_style(f["properties"])),
                                              **where}
    else:
        kwargs["style_function"] = lambda f: {**approximate_style(f["properties"], style_fn(f["properties"])), **where}
    layer = folium.GeoJson(
        json.loads(data.to_json(drop_id=True)),
        name=name,
        show=show,
        popup=folium.GeoJsonPopup(fields=present, aliases=aliases, labels=True, localize=False) if present else None,
        tooltip=folium.GeoJsonTooltip(fields=[tooltip_field], labels=False) if tooltip_field in data.columns else None,
        highlight_function=(lambda f, h=highlight or {"weight": 3, "color": "#000"}: h) if point_style is None else None,
        smooth_factor=1.0,
        **kwargs,
    )
    layer.add_to(m)
    if search_field and search_field in data.columns:
        search = getattr(m, "_sp_search", None)
        if search is None:
            search = m._sp_search = PlaceSearch("搜索地名、园区…" if language == "zh" else "Search places, parks…")
        search.add(layer, search_field, name)
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
        raise EmptyLayerError("nothing to map: every layer given is empty", layer=", ".join(layers) or None,
                              fix="pass at least one layer with features (counties or a boundary frame the map).")
    b = np.array([g.to_crs(CGCS2000).total_bounds for g in frames])
    return float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1])), float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3]))


@dataclass
class _Context:
    """What every layer drawer of :func:`build_map` needs."""

    cfg: MapConfig
    lang: str
    zh: bool
    colour_of: dict
    sector_name: dict
    web: Callable[..., gpd.GeoDataFrame]

    @property
    def gcj(self) -> bool:
        return self.cfg.basemap == "gaode"


def build_map(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    config: MapConfig | None = None,
    sectors: pd.DataFrame | None = None,
    title: str | None = None,
    labels: bool = True,
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
    labels
        Name the prefectures (always) and the county seats (from a zoom on); a plan map names its growth poles
        instead (:func:`~spatial_planner.outputs.webmap.plan_map`).
    """
    cfg = config or MapConfig()
    zh = cfg.language == "zh"
    lang = cfg.language
    gcj = cfg.basemap == "gaode"
    minx, miny, maxx, maxy = _map_bounds(layers)
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=7, tiles=None,
                   prefer_canvas=True, control_scale=True, zoom_snap=0.25, zoom_delta=0.5)
    # Only Leaflet and jQuery of Folium's defaults are used (no Bootstrap, no icon fonts).
    m.default_js = [x for x in m.default_js if x[0] in KEEP_JS]
    m.default_css = [x for x in m.default_css if x[0] in KEEP_CSS]
    _basemap(m, cfg)
    add_panes(m)
    if title:
        m.get_root().html.add_child(branca.element.Element(
            f'<div class="sp-title" style="position:fixed;top:8px;left:60px;z-index:1000;background:rgba(255,255,255,.9);'
            f'padding:4px 10px;border-radius:4px;font:bold 15px sans-serif">{html.escape(title)}</div>'))
    colour_of, sector_name = _sector_maps(sectors, lang)
    cx = _Context(cfg, lang, zh, colour_of, sector_name,
                  lambda name, **kw: prepare_for_web(layers[name], precision=cfg.precision, gcj02=gcj, **kw))
    for name, draw in _DRAWERS.items():  # context first, points last: the order of the layer control
        if layers.get(name) is not None and (name in ("counties", "prefectures") or len(layers[name])):
            draw(m, layers, cx)
    if labels:
        add_place_labels(m, prefectures=_frame(layers, "prefectures"), places=_frame(layers, "seats"), language=lang,
                         precision=cfg.precision, gcj02=gcj)
    # tight on the study area, clear of the layer list (right) and the zoom buttons (left)
    FitStudyArea([[miny, minx], [maxy, maxx]], padding_top_left=(50, 12), padding_bottom_right=(235, 12)).add_to(m)
    for credit in data_credits(layers):
        Attribution(credit).add_to(m)
    if _has_approximate(layers):
        MapNote("虚线 = 示意线位或近似位置（见要素的“几何精度”）" if zh else
                "dashed = schematic course or approximate position (see each feature's Geometry)").add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    folium.plugins.MeasureControl(position="topleft", primary_length_unit="kilometers",
                                  primary_area_unit="sqkilometers").add_to(m)
    if cfg.basemap != "none":
        folium.plugins.MiniMap(toggle_display=True).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    if getattr(m, "_sp_search", None) is not None:
        m._sp_search.add_to(m)  # one box for every searchable layer, after they are all drawn
    m._sp_lang = "zh-CN" if zh else "en"
    page_title = title or ("空间布局地图" if zh else "Spatial layout map")
    m.get_root().header.add_child(branca.element.Element(f"<title>{html.escape(page_title)}</title>"))
    m.get_root().header.add_child(branca.element.Element(
        "<style>.leaflet-control-layers-expanded{max-height:44vh;overflow-y:auto;font-size:12px;padding:4px 8px}"
        ".leaflet-container{background:#fbfbfa}</style>"))
    return m


# --------------------------------------------------------------------------- the input layers


def _frame(layers: dict[str, gpd.GeoDataFrame], name: str) -> gpd.GeoDataFrame | None:
    """A layer when it is given and not empty."""
    g = layers.get(name)
    return g if g is not None and len(g) else None


def _has_approximate(layers: dict[str, gpd.GeoDataFrame]) -> bool:
    """Whether any layer the map draws holds a feature flagged approximate or schematic."""
    for name in _DRAWERS:
        g = layers.get(name)
        if g is None or not len(g):
            continue
        if "geometry_quality" in g.columns and g["geometry_quality"].astype(str).isin(APPROXIMATE_QUALITY).any():
            return True
        if "straight_parts" in g.columns and g["straight_parts"].fillna("").astype(str).str.len().gt(0).any():
            return True
    return False


def _draw_counties(m: folium.Map, layers: dict[str, gpd.GeoDataFrame], cx: _Context) -> None:
    cfg, lang, zh, web = cx.cfg, cx.lang, cx.zh, cx.web
    c = web("counties", simplify_m=cfg.simplify_m, coverage=True)
    if "kind" in c:
        c["kind"] = c["kind"].map(lambda v: label(str(v), lang))
    name = "县级行政区" if zh else "Counties"
    layer = add_layer(
        m, c, name=name, fields=["name_zh", "name_en", "adcode", "prefecture_zh", "kind", "area_km2"],
        language=lang, tooltip_field="name_zh" if zh else "name_en", search_field="name_zh", style=COUNTY_STYLE,
        pane=LAYER_PANE["counties"],
    )
    Legend(layer, name, [(COUNTY_STYLE["fillColor"], "县区" if zh else "county", "box")]).add_to(m)


def _draw_prefectures(m: folium.Map, layers: dict[str, gpd.GeoDataFrame], cx: _Context) -> None:
    cfg, lang, zh, web = cx.cfg, cx.lang, cx.zh, cx.web
    p = web("prefectures", simplify_m=cfg.simplify_m, coverage=True)
    name = "地级行政区界" if zh else "Prefecture boundaries"
    layer = add_layer(m, p, name=name, fields=["name_zh", "name_en", "adcode", "n_counties", "area_km2"],
                      language=lang, tooltip_field="name_zh" if zh else "name_en", style=PREFECTURE_STYLE,
                      pane=LAYER_PANE["prefectures"])
    Legend(layer, name, [(PREFECTURE_STYLE["color"], "地级市界" if zh else "Prefecture boundary", "line")]).add_to(m)


def _draw_roads(m: folium.Map, layers: dict[str, gpd.GeoDataFrame], cx: _Context) -> None:
    cfg, lang, zh, gcj = cx.cfg, cx.lang, cx.zh, cx.gcj
    drawn, left_out = roads_for_map(layers["roads"], cfg.max_road_features)
    thin = len(drawn) < len(layers["roads"])
    r = prepare_for_web(merge_unnamed(drawn, "road_class"), precision=cfg.precision, gcj02=gcj,
                        simplify_m=cfg.simplify_m / 5 if thin else 0.0)
    suffix = ""
    if thin:
        shown = f"{len(drawn):,}/{len(layers['roads']):,}"
        suffix = (f"（显示 {shown} 条；未画 {'、'.join(label(c, lang) for c in left_out)}，见 GeoPackage）" if zh
                  else f" ({shown} drawn; not drawn: {', '.join(label(c, lang) for c in left_out)}; all in the GeoPackage)")
    fields = ["name_zh", "name_en", "route_ref", "road_class_label", "design_speed_kmh", "geometry_quality"]
    main = r["road_class"].astype(str).isin(MAIN_ROAD_CLASSES)
    # expressways in the default context; the dense ordinary roads a layer of their own, off at first
    for part, name, show in ((r[main], "高速公路" if zh else "Expressways", True),
                             (r[~main], "普通干线公路" if zh else "Other roads", not main.any())):
        if len(part):
            _class_lines(m, part.copy(), "road_class", ROAD_STYLE, ("#bbb", 1, None), name=name + suffix, cx=cx,
                         opacity=web_style("roads").get("opacity"), fields=fields, show=show)


def _draw_rail_lines(m: folium.Map, layers: dict[str, gpd.GeoDataFrame], cx: _Context) -> None:
    _class_lines(m, split_straight_parts(cx.web("rail_lines")), "rail_class", RAIL_STYLE, ("#555", 2, None),
                 name="铁路网" if cx.zh else "Railways", cx=cx, opacity=web_style("rail_lines").get("opacity"),
                 fields=["name_zh", "name_en", "rail_class_label", "design_speed_kmh", "opened", "geometry_quality",
                         "straight_legs"])


def _class_lines(m: folium.Map, lines: gpd.GeoDataFrame, column: str, styles: dict, default: tuple, *, name: str,
                 fields: list[str], cx: _Context, opacity: float | None = None, show: bool = True) -> None:
    """Lines styled by class (colour, width, dash from ``styles``), with a legend of the classes present."""
    lines[f"{column}_label"] = lines[column].map(lambda v: label(v, cx.lang))
    lines[f"_{column}"] = lines[column]

    def style(props: dict) -> dict:
        colour, width, dash = styles.get(props.get(f"_{column}"), default)
        out = {"color": colour, "weight": width, "dashArray": dash}
        return out if opacity is None else {**out, "opacity": opacity}

    layer = add_layer(m, lines, name=name, fields=[*fields, f"_{column}"], language=cx.lang,
                      tooltip_field="name_zh" if cx.zh else "name_en", style=style, show=show)
    present = [k for k in styles if k in set(lines[column])]
    Legend(layer, name, [(styles[k][0], label(k, cx.lang), "dash" if styles[k][2] else "line")
                         for k in present]).add_to(m)


def _draw_parks(m: folium.Map, layers: dict[str, gpd.GeoDataFrame], cx: _Context) -> None:
    lang, zh, web, colour_of, sector_name = cx.lang, cx.zh, cx.web, cx.colour_of, cx.sector_name
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
        style=lambda p: web_style("parks", fillColor=p.get("_fill", "#999")),
        pane=LAYER_PANE["parks"],
    )
    present = [s for s in colour_of if s in set(layers["parks"]["lead_sector"])]
    Legend(layer, name, [(colour_of[s], sector_name[s], "box") for s in present], position="bottomleft").add_to(m)
    if "low_productivity" in layers["parks"] and layers["parks"]["low_productivity"].astype(bool).any():
        low = pk[layers["parks"]["low_productivity"].astype(bool).to_numpy()]
        lname = "地均产出偏低的园区" if zh else "Parks with low land productivity"
        llayer = add_layer(m, low, name=lname, language=lang, show=False, tooltip_field="name_zh" if zh else "name_en",
                           fields=["name_zh", "name_en", "level", "lead_sector_label", "productivity"],
                           style={"fill": False, "color": LOW_PRODUCTIVITY_COLOUR, "weight": 3, "dashArray": "4 3"},
                           pane=LAYER_PANE["parks"])
        Legend(llayer, lname, [(LOW_PRODUCTIVITY_COLOUR, "低于其级别下限" if zh else "below the floor of its level",
                                "dash")]).add_to(m)


def _draw_stations(m: folium.Map, layers: dict[str, gpd.GeoDataFrame], cx: _Context) -> None:
    lang, zh, web = cx.lang, cx.zh, cx.web
    st = web("stations")
    st["station_type_label"] = st["station_type"].map(lambda v: label(v, lang))
    st["_station_type"] = st["station_type"]
    rail = layers.get("rail_lines")
    if "lines" in st and rail is not None and "line_id" in rail:  # line names, not ids
        names = dict(zip(rail["line_id"].astype(str), rail["name_zh" if zh else "name_en"].astype(str)))
        st["lines"] = st["lines"].fillna("").astype(str).map(
            lambda v: "、".join(names.get(x, x) for x in v.split(";") if x))
    name = "铁路车站" if zh else "Rail stations"
    colours = STATION_COLOURS
    layer = add_layer(
        m, st, name=name, fields=["name_zh", "name_en", "station_type_label", "lines", "_station_type"],
        language=lang, tooltip_field="name_zh" if zh else "name_en", show=False,
        point_style=lambda p: web_style("stations", fillColor=colours.get(p.get("_station_type"), "#777")),
        pane=LAYER_PANE["stations"],
    )
    Legend(layer, name, [(v, label(k, lang) if k != "hsr" else ("高铁站" if zh else "HSR station"), "point")
                         for k, v in colours.items() if k in set(st["station_type"])]).add_to(m)


def _draw_hubs(m: folium.Map, layers: dict[str, gpd.GeoDataFrame], cx: _Context) -> None:
    lang, zh, web = cx.lang, cx.zh, cx.web
    h = web("hubs")
    h["hub_type_label"] = h["hub_type"].map(lambda v: label(v, lang))
    h["_hub_type"] = h["hub_type"]
    if "level" in h:
        h["level"] = h["level"].fillna("").astype(str).map(lambda v: label(v, lang) if v else "")
    name = "交通枢纽" if zh else "Transport hubs"
    layer = add_layer(
        m, h, name=name, fields=["name_zh", "name_en", "hub_type_label", "iata", "level", "geometry_quality",
                                 "_hub_type"],
        language=lang, tooltip_field="name_zh" if zh else "name_en", search_field=None,
        point_style=lambda p: web_style("hubs", fillColor=HUB_STYLE.get(p.get("_hub_type"), "#777")),
        pane=LAYER_PANE["hubs"],
    )
    Legend(layer, name, [(HUB_STYLE[k], label(k, lang), "point") for k in HUB_STYLE
                         if k in set(h["hub_type"])]).add_to(m)


def _draw_seats(m: folium.Map, layers: dict[str, gpd.GeoDataFrame], cx: _Context) -> None:
    lang, zh, web = cx.lang, cx.zh, cx.web
    s = web("seats")
    name = "县级行政中心" if zh else "County seats"
    layer = add_layer(
        m, s, name=name, fields=["name_zh", "name_en", "adcode", "prefecture_zh"], language=lang,
        tooltip_field="name_zh" if zh else "name_en", show=False,
        point_style=lambda p: web_style("seats"),
        pane=LAYER_PANE["seats"],
    )
    Legend(layer, name, [(web_style("seats")["fillColor"], "县级政府驻地" if zh else "County government seat", "point")]).add_to(m)

#: The input layers build_map draws, in drawing order.
_DRAWERS = {"counties": _draw_counties, "prefectures": _draw_prefectures, "roads": _draw_roads, "rail_lines": _draw_rail_lines, "parks": _draw_parks, "stations": _draw_stations, "hubs": _draw_hubs, "seats": _draw_seats}

@dataclass
class MapConfig:
    language: str = "zh"
    basemap: str = "none"
    tianditu_key: str = ""
    simplify_m: float = 500.0
    precision: int = 5
    assets: str = "auto"
    max_road_features: int = 20000
