"""Analysis overlays on the map: indicator choropleths, isochrones, rasters and the 点-带-网 plan layers."""

from __future__ import annotations

from collections.abc import Sequence

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd

from ...crs import wgs84_to_gcj02
from ...symbology import (
    FIELD_LABELS,
    ISOMORPHISM_STYLE,
    LAYER_PANE,
    MULTI_SECTOR,
    MULTI_SECTOR_COLOUR,
    PRIORITY_STYLE,
    RASTER_OPACITY,
    STRENGTH_EN,
    STRENGTH_STYLE,
    TIER_LABEL_EN,
    TIER_STYLE,
    label,
    minute_classes,
    mode_labels,
    sector_colour,
    time_colour,
    web_style,
)
from .elements import IndicatorSwitch, Legend
from .labels import add_belt_labels
from .map import add_layer
from .panes import pane_name
from .prepare import prepare_for_web, raster_to_rgba

__all__ = ["add_choropleths", "add_isochrones", "add_plan_layers", "add_raster"]


def add_choropleths(
    m: folium.Map,
    zones: gpd.GeoDataFrame,
    indicators: dict[str, tuple[str, str]],
    *,
    language: str = "zh",
    info_fields: Sequence[str] = ("name_zh", "prefecture_zh"),
    classes: dict[str, tuple[list[float], list[str], list[str]]] | None = None,
    name: str | None = None,
    show: bool = False,
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
        tooltip_field=info_fields[0] if info_fields else None, show=show, pane=LAYER_PANE["county_access"],
        style=web_style("county_access", fillColor="#cccccc") if first is None else
        (lambda p, f=first: web_style("county_access", fillColor=_class_colour(p.get(f["column"]), f))),
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
    web["_fill"] = web["minutes"].map(time_colour)
    web["band"] = [f"{int(a)}–{int(b)}" for a, b in zip(web["from_minutes"], web["minutes"])]
    FIELD_LABELS.setdefault("hub_name", ("枢纽", "Hub"))
    FIELD_LABELS.setdefault("band", ("时间带(分钟)", "Band (min)"))
    name = "枢纽等时圈" if language == "zh" else "Hub isochrones"
    layer = add_layer(m, web, name=name, fields=["hub_name", "band", "area_km2", "_fill"], language=language,
                      tooltip_field="hub_name", show=False, pane=LAYER_PANE["isochrones"],
                      style=lambda p: web_style("isochrones", fillColor=p.get("_fill", "#ccc"), color=p.get("_fill", "#ccc")))
    bands = sorted(set(zip(iso["from_minutes"], iso["minutes"])))
    Legend(layer, name, [(time_colour(b), f"{int(a)}–{int(b)} " + ("分钟" if language == "zh" else "min"), "box")
                         for a, b in bands], position="bottomleft").add_to(m)
    return layer


def add_raster(m: folium.Map, array: np.ndarray, transform, crs, *, name: str, language: str = "zh",
               gcj02: bool = False, show: bool = False) -> folium.raster_layers.ImageOverlay:
    """A minutes raster as a coloured image overlay with its own legend."""
    rgba, bounds = raster_to_rgba(array, transform, crs)
    if gcj02:
        (s, w), (n, e) = bounds
        (w2, e2), (s2, n2) = wgs84_to_gcj02([w, e], [s, n])
        bounds = [[float(s2), float(w2)], [float(n2), float(e2)]]
    layer = folium.raster_layers.ImageOverlay(rgba, bounds=bounds, name=name, opacity=RASTER_OPACITY, show=show,
                                              interactive=False, cross_origin=False, pane=pane_name("rasters"))
    layer.add_to(m)
    Legend(layer, name, [(c, text, "box") for c, text in zip(*minute_classes(language)[1:])], position="bottomleft").add_to(m)
    return layer


def _line_layer(m, gdf, *, name, fields, language, style, tooltip_field, show=True, precision=5, gcj02=False,
                pane="links", highlight=None):
    web = prepare_for_web(gdf, precision=precision, gcj02=gcj02)
    return add_layer(m, web, name=name, fields=fields, language=language, tooltip_field=tooltip_field, show=show,
                     style=style, pane=pane, highlight=highlight)


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
                                    "max_internal_min", "_fill"], tooltip_field="name_zh", pane=LAYER_PANE["clusters"],
                            style=lambda p: web_style("clusters", fillColor=p.get("_fill"), color=p.get("_fill")))
        present = list(dict.fromkeys(plan.clusters["sector"]))
        Legend(layer, name, [(s_col.get(s, "#999"), s_name.get(s, s), "box") for s in present],
               position="bottomleft").add_to(m)

    _add_belts(m, plan, zh=zh, language=language, s_name=s_name, s_col=s_col, precision=precision, gcj02=gcj02)

    if len(plan.linkages):
        lk = plan.linkages.assign(_cls=plan.linkages["strength_class"])
        name = "节点联系（网）" if zh else "Linkages"
        layer = _line_layer(m, lk, name=name, language=language, precision=precision, gcj02=gcj02,
                            fields=["name_a", "name_b", "linkage", "strength_class", "_cls"], tooltip_field="name_a",
                            style=lambda p: web_style("linkages", color=STRENGTH_STYLE.get(p.get("_cls"), ("#999", 1))[0],
                                                      weight=STRENGTH_STYLE.get(p.get("_cls"), ("#999", 1))[1]),
                            pane=LAYER_PANE["linkages"])
        Legend(layer, name, [(c, k if zh else STRENGTH_EN[k], "line") for k, (c, _) in STRENGTH_STYLE.items()
                             if k in set(lk["_cls"])]).add_to(m)

    if len(plan.priorities):
        name = "优先建设/提升通道" if zh else "Priority links"
        layer = _line_layer(m, plan.priorities, name=name, language=language, precision=precision, gcj02=gcj02,
                            fields=["rank", "name_a", "name_b", "network_min", "ideal_min", "deficit", "utilisation",
                                    "priority", "proposal", "reason_zh" if zh else "reason_en"],
                            tooltip_field="proposal", style=PRIORITY_STYLE, pane=LAYER_PANE["priorities"])
        Legend(layer, name, [(PRIORITY_STYLE["color"], "建议通道（按优先度排序）" if zh else "proposed link (ranked)",
                              "dash")]).add_to(m)

    if len(plan.isomorphism):
        name = "产业同构县对" if zh else "Same-structure pairs (产业同构)"
        layer = _line_layer(m, plan.isomorphism, name=name, language=language, show=False, precision=precision,
                            gcj02=gcj02, fields=["name_a", "name_b", "similarity", "krugman_dissimilarity", "relation"],
                            tooltip_field="name_a", style=ISOMORPHISM_STYLE, pane=LAYER_PANE["isomorphism"])
        Legend(layer, name, [(ISOMORPHISM_STYLE["color"], "结构相似的相邻/近距县对" if zh else "similar neighbouring counties", "dash")]).add_to(m)

    if len(plan.nodes):
        n = prepare_for_web(plan.nodes, precision=precision, gcj02=gcj02)
        n["_tier"] = n["tier"]
        if "provenance" in n:
            n["provenance"] = n["provenance"].astype(str).map(lambda v: label(v, language))
        if "tier_rule" in n:
            n["tier_rule"] = n["tier_rule"].fillna("").astype(str).map(
                lambda v: "；".join(label(r.strip(), language) for r in v.split(";") if r.strip())
                or label("by_score", language))
        if not zh:
            n["tier"] = n["tier"].map(lambda t: TIER_LABEL_EN.get(t, t))
        name = "增长极（点，按培育层级）" if zh else "Growth poles (by tier)"
        layer = add_layer(
            m, n, name=name, language=language, tooltip_field="name_zh" if zh else "name_en",
            fields=["name_zh", "name_en", "rank", "tier", "score", "s_mass", "s_gravity", "s_betweenness",
                    "s_hub_access", "s_park_level", "total_linkage", "tier_rule", "provenance", "_tier"],
            point_style=lambda p: web_style("nodes", fillColor=TIER_STYLE.get(p.get("_tier"), ("#ccc", 3))[0],
                                            radius=TIER_STYLE.get(p.get("_tier"), ("#ccc", 3))[1]),
            search_field="name_zh", pane=LAYER_PANE["nodes"])
        Legend(layer, name, [(c, t if zh else TIER_LABEL_EN[t], "point") for t, (c, *_) in TIER_STYLE.items()]).add_to(m)


def _add_belts(m: folium.Map, plan, *, zh: bool, language: str, s_name: dict, s_col: dict, precision: int,
               gcj02: bool) -> None:
    """Transport corridors (thin, hidden), belts as wide translucent corridors labelled by name, their centre
    lines and their segments (集群段)."""
    if plan.corridors is not None and len(plan.corridors) and "modes" in plan.corridors:
        tc = plan.corridors.assign(modes_label=plan.corridors["modes"].map(lambda v: mode_labels(v, language)))
        name = "交通通道（并行线路合并）" if zh else "Transport corridors (parallel lines merged)"
        layer = _line_layer(m, tc, name=name, language=language, show=False, precision=precision, gcj02=gcj02,
                            fields=["name_zh", "name_en", "modes_label", "member_names", "length_km", "n_belts"],
                            tooltip_field="name_zh" if zh else "name_en",
                            style=web_style("corridors"), pane=LAYER_PANE["corridors"])
        Legend(layer, name, [(web_style("corridors")["color"], "通道参照线" if zh else "corridor reference line", "dash")],
               position="bottomleft").add_to(m)
    if not len(plan.belts):
        return
    colours = {s: sector_colour(s, s_col) for s in plan.belts["sector"]}
    def sector_label(s: str) -> str:
        return label(MULTI_SECTOR, language) if s == MULTI_SECTOR else s_name.get(s, s)

    fields = ["name_zh", "name_en", "rank", "corridor", "modes_label", "sector_label", "sector_shares", "length_km",
              "prefectures", "n_poles", "n_parks", "member_names", "segments", "mass", "continuity", "accessibility",
              "score", "_col"]
    # drawn as wide translucent bands along their lines (a width in pixels, so the corridor reads at any scale,
    # from a province to a city); the corridor polygons of the GeoPackage are the parks' catchment, not a symbol
    wide = plan.belts.assign(sector_label=plan.belts["sector"].map(sector_label), _col=plan.belts["sector"].map(colours),
                             modes_label=plan.belts["modes"].map(lambda v: mode_labels(v, language)))
    name = "产业带（带）" if zh else "Industrial belts"
    layer = _line_layer(m, wide, name=name, language=language, precision=precision, gcj02=gcj02, fields=fields,
                        tooltip_field="name_zh" if zh else "name_en", pane=LAYER_PANE["belts"], highlight={"opacity": 0.55},
                        style=lambda p: web_style("belt_bands", color=p.get("_col"), lineCap="round", lineJoin="round"))
    items = [(colours[s], sector_label(s), "box") for s in dict.fromkeys(plan.belts["sector"])]
    Legend(layer, name, items).add_to(m)
    axis = plan.belts.assign(_col=plan.belts["sector"].map(colours))
    _line_layer(m, axis, name="产业带轴线" if zh else "Belt axes", language=language, precision=precision,
                gcj02=gcj02, fields=["name_zh", "name_en", "start_km", "end_km", "length_km", "_col"],
                tooltip_field="name_zh" if zh else "name_en", pane=LAYER_PANE["belts"],
                style=lambda p: web_style("belts", color=p.get("_col")))
    add_belt_labels(m, plan.belts, colours=colours, language=language, precision=precision, gcj02=gcj02)
    seg = plan.belt_segments
    if seg is not None and len(seg):
        sg = seg.assign(_col=seg["sector"].map(lambda s: sector_colour(s, s_col)))
        name = "产业带集群段" if zh else "Belt segments (clusters along a belt)"
        layer = _line_layer(m, sg, name=name, language=language, show=False, precision=precision, gcj02=gcj02,
                            fields=["name_zh", "member_names", "county_names", "n_parks", "length_km", "mass", "_col"],
                            tooltip_field="name_zh", pane=LAYER_PANE["belt_segments"],
                            style=lambda p: web_style("belt_segments", color=p.get("_col")))
        Legend(layer, name, [(MULTI_SECTOR_COLOUR if MULTI_SECTOR in set(seg["sector"]) else "#444444",
                              "园区连续分布的路段" if zh else "runs of neighbouring parks", "line")],
               position="bottomleft").add_to(m)
