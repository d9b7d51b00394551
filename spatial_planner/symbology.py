"""Every palette and label of the planner, in one place: the web map, the PNG figures and the QGIS styles all draw from here."""

from __future__ import annotations

import numpy as np

__all__ = [
    "APPROXIMATE_DASH",
    "APPROXIMATE_QUALITY",
    "CLASS_LABELS",
    "COUNTY_STYLE",
    "FIELD_LABELS",
    "GAIN_COLOURS",
    "HUB_LABELS",
    "HUB_STYLE",
    "ISOMORPHISM_STYLE",
    "LAYER_PANE",
    "LAYER_STYLE",
    "LAYER_TITLES",
    "LOW_PRODUCTIVITY_COLOUR",
    "MAIN_ROAD_CLASSES",
    "MAP_PANES",
    "MULTI_SECTOR",
    "MULTI_SECTOR_COLOUR",
    "NETWORK_EDGE_STYLE",
    "PREFECTURE_PALETTE",
    "PREFECTURE_STYLE",
    "PRIORITY_STYLE",
    "RAIL_STYLE",
    "RASTER_OPACITY",
    "ROAD_STYLE",
    "STATION_COLOURS",
    "STRENGTH_CLASSES",
    "STRENGTH_EN",
    "STRENGTH_STYLE",
    "TIERS",
    "TIER_EN",
    "TIER_LABEL_EN",
    "TIER_STYLE",
    "TIME_BREAKS",
    "TIME_COLOURS",
    "approximate_style",
    "gain_classes",
    "label",
    "minute_class",
    "minute_classes",
    "mode_labels",
    "sector_colour",
    "text_colour",
    "time_colour",
    "web_style",
]

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
    "location_quality": ("位置精度", "Location"),
    "located_at": ("定位依据", "Located at"),
    "straight_legs": ("直线示意区段", "Drawn straight"),
    "lines": ("途经线路", "Lines"),
    # the plan layers
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
    # belts and corridors
    "corridor": ("交通通道", "Corridor"), "modes_label": ("运输方式", "Modes"), "modes": ("运输方式", "Modes"),
    "sector_shares": ("产业构成（占比）", "Sectors (share of mass)"), "prefectures": ("途经地市", "Prefectures"),
    "n_prefectures": ("地市数", "Prefectures"), "poles": ("串联增长极", "Growth poles threaded"),
    "n_poles": ("增长极数", "Poles"), "segments": ("集群段", "Segments"), "n_segments": ("集群段数", "Segments"),
    "start_km": ("起点(km)", "From (km)"), "end_km": ("终点(km)", "To (km)"), "n_belts": ("产业带数", "Belts"),
    "label": ("集群段", "Segment"),
    "productivity": ("地均产出(亿元/km²)", "Output per km²"), "low_productivity": ("低效", "Low productivity"),
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
    "arterial": ("国省干线公路", "Arterial road (national/provincial)"),
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
    "regional": ("区域级", "Regional"),
    "national_zone": ("有国家级园区：层级下限", "floor: has a national-level zone"),
    "prefecture_seat": ("地级市驻地：层级下限", "floor: prefecture seat"),
    "by_score": ("按综合得分分级", "by score breaks"),
    "statistics": ("统计数据（第二产业增加值）", "statistics (secondary-industry value added)"),
    "proxy": ("代理：园区面积×级别", "proxy: park area × level"),
    "district": ("市辖区", "district"),
    "county": ("县", "county"),
    "county_city": ("县级市", "county-level city"),
    "schematic": ("示意", "schematic"),
    "approximate": ("近似位置", "approximate"),
    "surveyed": ("实测位置", "surveyed"),
    "address": ("按地址定位", "from address"),
    "track": ("沿实际线路", "along the track"),
    "mostly track": ("大部沿实际线路", "mostly along the track"),
    "osm_road_graph": ("OSM 路网", "OSM road graph"),
    "osm_road_graph_corridor": ("OSM 路网（按走廊选线）", "OSM road graph, routed in its corridor"),
    "advanced_manufacturing": ("先进制造业（多产业）", "Advanced manufacturing (several sectors)"),
}


#: Rail lines by class: the context of the plan, in greys (darkest and widest for high-speed rail), so that no
#: plan colour (tiers, sectors, links) is ever confused with a line.
RAIL_STYLE = {
    "hsr": ("#4d4d4d", 2.6, None),
    "intercity": ("#6f6f6f", 2.0, None),
    "conventional": ("#8f8f8f", 1.5, None),
    "freight": ("#b3b3b3", 1.1, None),
}

#: ``geometry_quality`` values drawn as approximate: dashed lines and dashed outlines, on every map.
APPROXIMATE_QUALITY = frozenset({"approximate", "schematic"})
#: The dash of approximate features.
APPROXIMATE_DASH = "5 5"


def approximate_style(props: dict, style: dict) -> dict:
    """``style`` with the approximate dash when the feature's ``geometry_quality`` says it is approximate."""
    if str(props.get("_quality", props.get("geometry_quality", ""))) in APPROXIMATE_QUALITY:
        return {**style, "dashArray": APPROXIMATE_DASH}
    return style


#: Roads by class: context in muted tans and greys (expressways the darkest), never a plan colour.
ROAD_STYLE = {
    "expressway": ("#b59b6a", 2.2, None),
    "provincial_expressway": ("#c8b48c", 1.6, None),
    "connector": ("#b8b8b8", 0.8, "3 3"),
    "hub_connector": ("#a0a0a0", 1.0, "3 3"),
    # JTG B01 classes and OSM highway classes (read_osm), widest first
    "motorway": ("#b59b6a", 2.2, None),
    "trunk": ("#c8b48c", 1.6, None),
    "arterial": ("#d9cdb4", 0.8, None),
    "first_class": ("#d0c3a6", 1.2, None),
    "primary": ("#d0c3a6", 1.2, None),
    "second_class": ("#d9cdb4", 1.0, None),
    "secondary": ("#d9cdb4", 1.0, None),
    "link": ("#c4c4c4", 0.8, None),
    "third_class": ("#cfcfcf", 0.8, None),
    "tertiary": ("#cfcfcf", 0.8, None),
    "fourth_class": ("#dadada", 0.6, None),
    "unclassified": ("#dadada", 0.6, None),
    "residential": ("#e2e2e2", 0.5, None),
    "service": ("#e6e6e6", 0.5, None),
}

#: Road classes drawn in the map's default context (the rest is a layer of its own, off at first).
MAIN_ROAD_CLASSES = ("expressway", "provincial_expressway", "motorway", "trunk")


#: Transport hubs: muted, dark-outlined markers, told apart by tone, never a plan colour.
HUB_STYLE = {
    "airport": "#6b7280",
    "china_europe_train": "#474f5c",
    "rail_freight": "#9ca3af",
    "river_port": "#7f9196",
    "logistics_hub": "#8b8b70",
}


PREFECTURE_PALETTE = [
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#d9d9d9",
    "#bc80bd", "#ccebc5", "#ffed6f", "#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#ffff99",
]


#: Leaflet panes of the web map, bottom to top (z-index): the drawing order by kind, whatever the order in which
#: layers are switched on. Labels sit above points and below tooltips (650) and popups (700).
MAP_PANES = {"fills": 360, "rasters": 370, "context": 380, "belts": 400, "links": 420, "points": 440,
             "labels": 620}

#: The pane (drawing level) of each layer, on the web map and in the QGIS project; the travel-time rasters are in
#: ``rasters``, the names in ``labels``.
LAYER_PANE: dict[str, str] = {
    "counties": "fills", "county_access": "fills", "isochrones": "fills",
    "boundary": "context", "prefectures": "context", "corridors": "context", "rail_lines": "context",
    "roads": "context", "network_edges": "context",
    "belt_corridors": "belts", "clusters": "belts", "parks": "belts", "belt_segments": "belts", "belts": "belts",
    "isomorphism": "links", "linkages": "links", "priorities": "links",
    "seats": "points", "stations": "points", "hubs": "points", "nodes": "points",
}


def label(key: str, language: str = "zh") -> str:
    """zh or en label of a field or class value (the key itself when unknown)."""
    pair = FIELD_LABELS.get(key) or CLASS_LABELS.get(key)
    if pair is None:
        return key
    return pair[0] if language == "zh" else pair[1]


#: Gains (minutes saved, per cent of potential gained): no gain grey, then a colour-blind-safe sequential ramp
#: (ColorBrewer YlGnBu).
GAIN_COLOURS = ("#e0e0e0", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")
GAIN_BREAKS = {"minutes": (0.5, 5, 15, 30, 60, 1e12), "percent": (0.5, 10, 25, 50, 100, 1e12)}


def gain_classes(kind: str, language: str = "zh") -> tuple[list[float], list[str], list[str]]:
    """Class breaks, colours and labels of a gain: ``kind`` is ``"minutes"`` or ``"percent"``."""
    b = GAIN_BREAKS[kind]
    unit = ("分钟" if language == "zh" else "min") if kind == "minutes" else "%"
    none = "无变化" if language == "zh" else "no gain"
    labels = [none] + [f"{b[i]:g}–{b[i + 1]:g} {unit}" for i in range(len(b) - 2)] + [f"> {b[-2]:g} {unit}"]
    return list(b), list(GAIN_COLOURS), labels


TIME_BREAKS = (15, 30, 45, 60, 90, 120, 180)


TIME_COLOURS = ("#1a9850", "#66bd63", "#a6d96a", "#fee08b", "#fdae61", "#f46d43", "#d73027", "#a50026")


def minute_class(minutes) -> np.ndarray:
    """Travel-time class of each value: 0 for ≤ 15 min … ``len(TIME_BREAKS)`` above the last break (upper bounds inclusive)."""
    return np.searchsorted(np.asarray(TIME_BREAKS, float), np.asarray(minutes, float), side="left")


def time_colour(v) -> str:
    """Colour of one travel time (grey when it is missing or not a number)."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "#cccccc"
    if not np.isfinite(x):
        return "#cccccc"
    return TIME_COLOURS[int(minute_class(x))]


def minute_classes(language: str = "zh") -> tuple[list[float], list[str], list[str]]:
    """Breaks, colours and class labels (``0–15 分钟`` … ``> 180 分钟``) of travel times, for every output."""
    unit = "分钟" if language == "zh" else "min"
    labels, lo = [], 0
    for b in TIME_BREAKS:
        labels.append(f"{lo}–{b} {unit}")
        lo = b
    labels.append(f"> {lo} {unit}")
    return list(TIME_BREAKS), list(TIME_COLOURS), labels


#: Cultivation tiers of growth poles, the one palette of the web map, the figures and QGIS: colour (a sequential
#: red ramp, ColorBrewer RdBu's reds: darkest for the national tier, evenly lighter down to a near-white county
#: tier, so the order reads without hue), marker radius (px; QGIS markers are that diameter) and line width (px).
TIER_STYLE: dict[str, tuple[str, float, float]] = {
    "国家级": ("#b2182b", 11.0, 4.0),
    "省级": ("#d6604d", 8.0, 3.0),
    "市级": ("#f4a582", 6.0, 2.0),
    "县级": ("#f7f7f7", 3.5, 1.5),
}


#: Linkage strength classes: colour and width, a teal ramp (ColorBrewer PuBuGn), darkest for the strongest, in
#: hues neither the tiers, the context nor the sectors' blues use.
STRENGTH_STYLE = {"强": ("#014636", 5.0), "较强": ("#02818a", 3.5), "中等": ("#67a9cf", 2.2), "一般": ("#c9d6e3", 1.2)}




STRENGTH_EN = {"强": "strong", "较强": "fairly strong", "中等": "medium", "一般": "weak"}


#: zh / en names of hub kinds in column labels, charts and notes.
HUB_LABELS = {
    "airport": ("机场", "airport"),
    "hsr": ("高铁站", "HSR station"),
    "rail_freight": ("铁路货运枢纽", "rail freight hub"),
    "rail-freight": ("铁路货运枢纽", "rail freight hub"),
    "river_port": ("内河港口", "river port"),
    "port": ("内河港口", "river port"),
    "china_europe_train": ("中欧班列集结中心", "China–Europe train hub"),
    "logistics_hub": ("物流枢纽", "logistics hub"),
    "freight_terminal": ("铁路货运站", "rail freight terminal"),
}


#: Station colours of the web map.
STATION_COLOURS: dict[str, str] = {"hsr": "#4d4d4d", "conventional": "#9a9a9a", "freight_terminal": "#b59b6a"}


#: Edges of the routing network (``network_edges``, QGIS only) by ``layer``: colour and line width (px).
NETWORK_EDGE_STYLE: dict[str, tuple[str, float]] = {"road": ("#a0a0a0", 1.0), "rail": ("#4d4d4d", 1.5)}


#: How each layer is drawn besides its class colours (which come from the tables above and the sector
#: vocabulary), on the web map (:func:`web_style`) and in QGIS (:mod:`spatial_planner.outputs.qgis`):
#: ``colour`` (one colour for the whole layer: the line colour of lines and of unfilled polygons, the fill of
#: markers with an ``outline``), ``outline`` (outline of polygons and markers), ``width`` (line or outline
#: width, px), ``size`` (marker diameter, px), ``dash`` (dash and gap, px), ``opacity`` (of lines, and of the
#: outlines of a style with ``fill_opacity``, as Leaflet's ``opacity``) and ``fill_opacity`` (of polygon and
#: marker fills). A polygon without ``outline`` is outlined in its fill colour. Area fills drawn under the plan
#: (counties, accessibility, isochrones, belt bands, clusters) are translucent, so that what lies above them
#: stays readable.
LAYER_STYLE: dict[str, dict[str, object]] = {
    "boundary": {"colour": "#000000", "width": 2.5},
    "prefectures": {"colour": "#6b6b6b", "width": 1.6},
    "counties": {"colour": "#f3f3f1", "outline": "#b4b4b4", "width": 0.6, "fill_opacity": 0.55},
    "seats": {"colour": "#ffffff", "outline": "#333333", "width": 1.0, "size": 6.0, "fill_opacity": 1.0},
    "parks": {"outline": "#555555", "width": 0.8, "fill_opacity": 0.85},
    "stations": {"outline": "#222222", "width": 1.0, "size": 8.0, "fill_opacity": 0.9},
    "hubs": {"outline": "#ffffff", "width": 1.5, "size": 12.0, "fill_opacity": 0.95},
    "roads": {"opacity": 0.9},
    "rail_lines": {},
    "network_edges": {"opacity": 0.8},
    "county_access": {"outline": "#666666", "width": 0.5, "fill_opacity": 0.55},
    "isochrones": {"width": 1.0, "fill_opacity": 0.35},
    "nodes": {"outline": "#222222", "width": 1.0, "fill_opacity": 0.95},
    "belts": {"width": 2.0, "opacity": 0.9},
    # the band drawn along each belt's line, under its axis: a screen width, so that it reads at any scale
    "belt_bands": {"width": 18.0, "opacity": 0.32},
    "belt_corridors": {"width": 1.0, "opacity": 0.6, "fill_opacity": 0.22},
    "belt_segments": {"width": 6.0, "opacity": 0.95},
    "clusters": {"width": 2.0, "dash": "6 3", "fill_opacity": 0.18},
    "corridors": {"colour": "#555555", "width": 3.0, "opacity": 0.6, "dash": "1 6"},
    "linkages": {"opacity": 0.8},
    "priorities": {"colour": "#c51b7d", "width": 4.0, "dash": "10 6", "opacity": 0.95},
    "isomorphism": {"colour": "#ff7f00", "width": 3.0, "dash": "2 5"},
}

#: :data:`LAYER_STYLE` keys → Leaflet path options.
_LEAFLET_KEYS = {"width": "weight", "opacity": "opacity", "fill_opacity": "fillOpacity", "dash": "dashArray"}


def web_style(name: str, **extra: object) -> dict[str, object]:
    """A layer's :data:`LAYER_STYLE` as Leaflet path options (``color``, ``fillColor``, ``weight``,
    ``opacity``, ``fillOpacity``, ``dashArray``, ``radius``), with ``extra`` options on top.

    ``outline`` is the stroke ``color``; ``colour`` is the ``fillColor`` of a layer with an outline, else the
    stroke ``color``; ``size`` (a diameter) becomes the marker ``radius``.
    """
    style = LAYER_STYLE.get(name, {})
    out: dict[str, object] = {}
    if "outline" in style:
        out["color"] = style["outline"]
    if "colour" in style:
        out["fillColor" if "outline" in style else "color"] = style["colour"]
    for key, leaflet in _LEAFLET_KEYS.items():
        if key in style:
            out[leaflet] = style[key]
    if "size" in style:
        out["radius"] = float(style["size"]) / 2  # type: ignore[arg-type]
    return {**out, **extra}


#: The context fills and outlines: counties in a near-white grey, prefecture boundaries in a darker grey.
COUNTY_STYLE = web_style("counties")
PREFECTURE_STYLE = web_style("prefectures", fill=False)

#: Plan colours that no context layer uses: the proposed links (magenta, dashed), 产业同构 pairs (orange, dotted)
#: and parks of low land productivity (a dark red dashed outline).
PRIORITY_STYLE = web_style("priorities")
ISOMORPHISM_STYLE = web_style("isomorphism")
LOW_PRODUCTIVITY_COLOUR = "#a50f15"


#: zh / en titles of the plan's layers in the QGIS project (:mod:`spatial_planner.outputs.qgis_project`).
LAYER_TITLES: dict[str, tuple[str, str]] = {
    "boundary": ("省界", "Province boundary"),
    "prefectures": ("地级行政区界", "Prefecture boundaries"),
    "counties": ("县级行政区（按地市着色）", "Counties (by prefecture)"),
    "seats": ("县级行政中心", "County seats"),
    "parks": ("产业园区（按首位产业）", "Industrial parks (by lead industry)"),
    "rail_lines": ("铁路网", "Railways"),
    "stations": ("铁路车站", "Rail stations"),
    "roads": ("公路网", "Roads"),
    "hubs": ("交通枢纽", "Transport hubs"),
    "county_access": ("县域可达性（分钟）", "County access (minutes)"),
    "isochrones": ("枢纽等时圈", "Hub isochrones"),
    "network_edges": ("计算路网", "Routing network"),
    "nodes": ("增长极（点，按培育层级）", "Growth poles (by tier)"),
    "belts": ("产业带（带）", "Industrial belts"),
    "belt_corridors": ("产业带园区汇集范围", "Belt catchments (parks counted)"),
    "belt_segments": ("产业带集群段", "Belt segments (clusters along a belt)"),
    "clusters": ("跨县产业集群建议", "Cross-county clusters"),
    "corridors": ("交通通道（并行线路合并）", "Transport corridors (parallel lines merged)"),
    "linkages": ("节点联系（网）", "Linkages"),
    "priorities": ("优先建设/提升通道", "Priority links"),
    "isomorphism": ("产业同构县对", "Same-structure pairs"),
}


#: Opacity of the travel-time rasters drawn over the map.
RASTER_OPACITY = 0.8


#: Cultivation tiers from the top.
TIERS = ("国家级", "省级", "市级", "县级")


TIER_EN = {"国家级": "national", "省级": "provincial", "市级": "city", "县级": "county"}
#: English legend labels of the tiers ("national tier" …).
TIER_LABEL_EN = {k: f"{v} tier" for k, v in TIER_EN.items()}


STRENGTH_CLASSES = ("强", "较强", "中等", "一般")


#: The ``sector`` of a multi-sector belt (先进制造业走廊) and its colour on every map.
MULTI_SECTOR = "advanced_manufacturing"
MULTI_SECTOR_COLOUR = "#6a3d9a"


def sector_colour(sector: str, colours: dict[str, str], default: str = "#999999") -> str:
    """The colour of a sector (the multi-sector colour for :data:`MULTI_SECTOR`)."""
    return MULTI_SECTOR_COLOUR if sector == MULTI_SECTOR else colours.get(sector, default)


def text_colour(colour: str, max_luminance: float = 0.2) -> str:
    """``colour`` darkened (towards black, hue kept) until its relative luminance is at most ``max_luminance``,
    so that a name in a light sector colour stays legible on a light map."""
    rgb = np.array([int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)], dtype=float) / 255.0

    def luminance(c: np.ndarray) -> float:
        lin = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(lin @ np.array([0.2126, 0.7152, 0.0722]))

    while luminance(rgb) > max_luminance:
        rgb = rgb * 0.9
    return "#" + "".join(f"{round(v * 255):02x}" for v in rgb)


def mode_labels(modes: str, language: str = "zh") -> str:
    """``hsr;conventional;expressway`` as ``高速铁路、普速铁路、国家高速公路`` (or in English)."""
    parts = [m for m in str(modes).split(";") if m]
    names = {"expressway": ("高速公路", "Expressway")}  # national and provincial expressways alike
    return ("、" if language == "zh" else ", ").join(
        names[m][language != "zh"] if m in names else label(m, language) for m in parts)
