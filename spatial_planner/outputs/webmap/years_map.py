"""The map of what the network changed between two years: a choropleth of each county's gains."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from ...analysis.years import YEAR_MEASURES
from ...symbology import gain_classes
from .map import MapConfig, build_map
from .overlays import add_choropleths

__all__ = ["years_map"]


def years_map(layers: dict[str, gpd.GeoDataFrame], gains: pd.DataFrame, years: list[int], *,
              config: MapConfig | None = None, title: str | None = None) -> folium.Map:
    """Counties coloured by their gains from the first year to the last (a drop-down switches the measure), over
    the last year's rail lines and the prefectures.

    ``gains`` is :func:`spatial_planner.analysis.years.year_gains`'s table.
    """
    cfg = config or MapConfig()
    zh = cfg.language == "zh"
    base = {k: layers[k] for k in ("prefectures", "rail_lines", "stations") if layers.get(k) is not None}
    m = build_map(base, config=cfg, title=title)
    zones = layers["counties"].merge(gains.drop(columns=["name_zh", "prefecture_zh"]), on="adcode", how="left")
    first, last = years[0], years[-1]
    indicators, classes = {}, {}
    for col, (label_zh, label_en, kind) in YEAR_MEASURES.items():
        key = f"{col}_saved" if kind == "minutes" else "potential_gain_pct"
        what = ("节省" if kind == "minutes" else "提升") if zh else ("saved" if kind == "minutes" else "gain")
        indicators[key] = (f"{label_zh.split('(')[0]}{what} {first}→{last}", f"{label_en}: {what} {first}→{last}")
        classes[key] = gain_classes("minutes" if kind == "minutes" else "percent", cfg.language)
    name = f"路网变化带来的可达性提升 {first}→{last}" if zh else f"Access gained {first}→{last}"
    add_choropleths(m, zones, indicators, language=cfg.language, classes=classes, name=name, show=True)
    return m
