"""The run's map: the input layers, the accessibility layers and the 点-带-网 plan, on one page."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from ...results import Plan
from ...symbology import HUB_LABELS
from .elements import IndicatorSwitch, Legend
from .labels import add_place_labels
from .map import MapConfig, build_map
from .overlays import add_choropleths, add_isochrones, add_plan_layers, add_raster
from .prepare import prepare_for_web

__all__ = ["indicator_classes", "plan_map"]

#: Colours of the quantile classes of the indicators that are not minutes.
_QUANTILE_PALETTE = ["#f7fcf5", "#c7e9c0", "#74c476", "#238b45", "#00441b"]


def indicator_classes(zones: pd.DataFrame) -> dict[str, tuple[list[float], list[str], list[str]]]:
    """Quantile classes (5) for the indicators that are not minutes: column → (breaks, colours, labels)."""
    out = {}
    cols = ["score", "mass", "advanced_mass", "krugman_specialisation", "top_lq", "park_potential"]
    cols += [c for c in zones.columns if c.startswith("parks_within_")]
    for col in cols:
        if col not in zones:
            continue
        v = zones[col].astype(float)
        qs = sorted(set(np.round(v.quantile([0.2, 0.4, 0.6, 0.8]).to_numpy(), 3)))
        labels, lo = [], float(v.min())
        for q in qs:
            labels.append(f"{lo:.2f}–{q:.2f}")
            lo = q
        labels.append(f"> {lo:.2f}")
        out[col] = (list(qs), _QUANTILE_PALETTE[: len(qs) + 1], labels)
    return out


def _indicators(access_labels: dict[str, tuple[str, str]], zones: pd.DataFrame, provenance: str
                ) -> dict[str, tuple[str, str]]:
    """zh/en names of the county indicators the map can switch between, in menu order."""
    indicators = dict(access_labels)
    for col in zones.columns:
        if col.startswith("parks_within_"):
            t = col.rsplit("_", 1)[-1]
            indicators[col] = (f"县城{t}分钟内可达园区数", f"Parks within {t} min of the seat")
    if "park_potential" in zones:
        indicators["park_potential"] = ("园区引力潜力", "Park gravity potential")
    zh_src, en_src = ("统计", "statistics") if provenance == "statistics" else ("代理", "proxy")
    indicators.update({"score": ("增长极综合得分", "Growth-pole score"),
                       "mass": (f"产业规模({zh_src})", f"Industry mass ({en_src})"),
                       "advanced_mass": (f"先进制造业规模({zh_src})", f"Advanced-manufacturing mass ({en_src})"),
                       "krugman_specialisation": ("克鲁格曼专业化指数", "Krugman specialisation"),
                       "top_lq": ("最高区位商", "Highest location quotient")})
    return indicators


def _layer_control_last(fmap: folium.Map) -> None:
    """Move the layer control, then the legends, to the end, so that it lists every overlay added before it."""
    for kind in (folium.LayerControl, (Legend, IndicatorSwitch)):
        for key in [k for k, v in fmap._children.items() if isinstance(v, kind)]:
            fmap._children.move_to_end(key)


def plan_map(layers: dict[str, gpd.GeoDataFrame], plan: Plan, *, config: MapConfig | None = None,
             sectors: pd.DataFrame | None = None, title: str | None = None) -> folium.Map:
    """The whole plan on one map: input layers, county indicators, isochrones, rasters and the 点-带-网 layers.

    Parameters
    ----------
    layers
        The validated input layers.
    plan
        The plan, with its accessibility step (``plan.access``).
    config
        Map options (language, basemap, precision, simplification).
    sectors
        The sector vocabulary (colours and names).
    title
        The title shown on the map.
    """
    cfg = config or MapConfig()
    access = plan.access
    lang, gcj = cfg.language, cfg.basemap == "gaode"
    prod = plan.productivity.set_index("park_id")
    parks = layers["parks"].copy()
    parks["productivity"] = parks["park_id"].astype(str).map(prod["productivity"])
    parks["low_productivity"] = parks["park_id"].astype(str).map(prod["low_productivity"]).fillna(False)
    fmap = build_map({**layers, "parks": parks}, config=cfg, sectors=sectors, title=title, labels=False)
    ci = plan.county_indices
    zones = access.county_access.merge(ci[["mass", "advanced_mass", "krugman_specialisation", "score", "top_lq"]],
                                       left_on="adcode", right_index=True, how="left")
    zones = prepare_for_web(zones, precision=cfg.precision, simplify_m=cfg.simplify_m, coverage=True, gcj02=gcj)
    provenance = ci["provenance"].iloc[0] if "provenance" in ci and len(ci) else "proxy"
    add_choropleths(fmap, zones, _indicators(access.indicators, zones, provenance), language=lang,
                    classes=indicator_classes(zones))
    if len(access.isochrones):
        add_isochrones(fmap, access.isochrones, language=lang, precision=cfg.precision, gcj02=gcj)
    for key, (arr, transform, crs) in access.rasters.items():
        zh, en = HUB_LABELS.get(key, (key, key))
        add_raster(fmap, arr, transform, crs, name=f"到最近{zh}时间(栅格)" if lang == "zh" else f"Time to {en} (raster)",
                   language=lang, gcj02=gcj)
    add_plan_layers(fmap, plan, language=lang, sectors=sectors, precision=cfg.precision, gcj02=gcj)
    prefectures = layers.get("prefectures")
    add_place_labels(fmap, prefectures=prefectures if prefectures is not None and len(prefectures) else None,
                     places=plan.nodes if len(plan.nodes) else layers.get("seats"), language=lang,
                     precision=cfg.precision, gcj02=gcj)
    _layer_control_last(fmap)
    return fmap
