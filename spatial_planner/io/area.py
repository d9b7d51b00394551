"""The study area: a part of the loaded data chosen by name, and the network clipped to the area plus a buffer.

A plan covers the counties of its study area: the counties, their seats and
parks, the prefectures they belong to, and the area's outline. A transport
network always runs on past a boundary, and trips leave the area and come
back (a motorway to the next city, the airport of the neighbouring
prefecture), so the network layers (roads, rail lines, stations, hubs) are
kept within the area plus a buffer, clipped there, never rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely

from .._errors import ConfigError
from ..crs import CGCS2000, projected_crs_for

__all__ = ["NETWORK_LAYERS", "AreaSelection", "resolve_area", "select_area", "clip_network", "network_as_of"]

#: The layers of the transport network: clipped to the study area plus its buffer, never rejected.
NETWORK_LAYERS = ("roads", "rail_lines", "stations", "hubs")


@dataclass
class AreaSelection:
    """What :func:`select_area` kept: the county adcodes, the area's name, and what was clipped."""

    adcodes: list[str]
    name_zh: str
    name_en: str
    clipped: dict[str, tuple[int, int]] = field(default_factory=dict)  # layer → (features kept, features dropped)

    def note(self, buffer_km: float) -> str | None:
        """One line on what the network clipping dropped, or ``None`` when nothing was."""
        dropped = {k: d for k, (_, d) in self.clipped.items() if d}
        if not dropped:
            return None
        parts = "、".join(f"{k} {d}" for k, d in dropped.items())
        return (f"路网图层裁剪至研究区外扩 {buffer_km:g} 公里：去掉 {parts} 个要素 — network layers clipped to the "
                f"study area plus {buffer_km:g} km; dropped features: "
                + ", ".join(f"{k} {d}" for k, d in dropped.items()))


def _names(counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every name or code a county answers to, and the adcode it stands for."""
    c = counties.assign(adcode=counties["adcode"].astype(str))
    rows = []
    for col in ("adcode", "name_zh", "name_en", "prefecture_adcode", "prefecture_zh", "prefecture_en"):
        if col in c.columns:
            rows.append(pd.DataFrame({"key": c[col].astype(str).str.strip(), "adcode": c["adcode"], "by": col}))
    return pd.concat(rows, ignore_index=True)


def _bare(names: pd.Series) -> pd.Series:
    """Names without their unit word (市/县/区, City/County/District), lower-cased, for loose matching."""
    return (names.str.strip().str.replace(r"(?i)\s+(hui\s+)?(city|county|district)$", "", regex=True)
            .str.rstrip("市县区").str.lower())


def resolve_area(counties: gpd.GeoDataFrame, selectors: Sequence[str]) -> list[str]:
    """The adcodes of the counties that ``selectors`` name: counties or prefectures, by Chinese or English name
    or adcode (``郑州市``, ``410100``, ``中牟县``, ``Zhengzhou``). Raises ``ConfigError`` naming what matched nothing.
    """
    table = _names(counties)
    lowered = table["key"].str.lower()
    chosen: list[str] = []
    unknown = []
    for raw in selectors:
        s = str(raw).strip()
        if not s:
            continue
        hit = table.loc[(table["key"] == s) | (lowered == s.lower()), "adcode"]
        if not len(hit):  # 郑州 for 郑州市, Zhengzhou for Zhengzhou City
            hit = table.loc[_bare(table["key"]) == _bare(pd.Series([s])).iloc[0], "adcode"]
        if not len(hit):
            unknown.append(s)
        chosen += [a for a in hit if a not in chosen]
    if unknown:
        known = sorted(set(counties.get("prefecture_zh", pd.Series(dtype=str)).astype(str)))
        raise ConfigError(f"研究区名称未找到 no county or prefecture named {unknown}", key="study_area.area",
                          fix=f"name counties or prefectures as the counties layer does (prefectures: "
                              f"{'、'.join(known[:20])}), or give 6-digit adcodes.")
    return sorted(chosen)


def _area_name(counties: gpd.GeoDataFrame, adcodes: list[str]) -> tuple[str, str]:
    """The area's name: the prefecture when the selection is whole prefectures, else the counties' names."""
    sub = counties[counties["adcode"].astype(str).isin(adcodes)]
    if "prefecture_adcode" in counties.columns:
        prefs = sorted(set(sub["prefecture_adcode"].astype(str)))
        whole = all(set(counties.loc[counties["prefecture_adcode"].astype(str) == p, "adcode"].astype(str))
                    <= set(adcodes) for p in prefs)
        if whole and "prefecture_zh" in counties.columns:
            zh = "、".join(dict.fromkeys(sub["prefecture_zh"].astype(str)))
            en = ", ".join(dict.fromkeys(sub.get("prefecture_en", sub["prefecture_zh"]).astype(str)))
            return zh, en
    zh = "、".join(sub["name_zh"].astype(str)) if len(sub) <= 4 else f"{sub['name_zh'].iloc[0]}等 {len(sub)} 个县区"
    en = ", ".join(sub.get("name_en", sub["name_zh"]).astype(str)) if len(sub) <= 4 else f"{len(sub)} counties"
    return zh, en


def _far_larger(boundary: gpd.GeoDataFrame | None, outline) -> bool:
    """Whether a boundary layer covers far more than the counties (more than 5 % beyond them)."""
    if boundary is None or not len(boundary):
        return False
    b = shapely.union_all(boundary.geometry.values)
    return shapely.area(shapely.difference(b, outline)) > 0.05 * shapely.area(outline)


def clip_network(layers: dict[str, gpd.GeoDataFrame], area, buffer_km: float) -> dict[str, tuple[int, int]]:
    """Clip the network layers in place to ``area`` (EPSG:4490) plus ``buffer_km``.

    Lines are cut at the buffer's edge (their attributes kept); points and lines
    wholly outside are dropped. Returns layer → (kept, dropped).
    """
    metric = projected_crs_for(tuple(shapely.bounds(area)))
    reach_m = gpd.GeoSeries([area], crs=CGCS2000).to_crs(metric).buffer(buffer_km * 1000.0)
    reach = reach_m.to_crs(CGCS2000).iloc[0]
    shapely.prepare(reach)
    out = {}
    for name in NETWORK_LAYERS:
        g = layers.get(name)
        if g is None or not len(g):
            continue
        geoms = g.geometry.values
        inside = shapely.covers(reach, geoms)
        touches = ~inside & shapely.intersects(reach, geoms)
        keep = inside | touches
        kept = g[keep].copy()
        if touches.any():
            cut = shapely.intersection(geoms[touches], reach)
            kept.loc[g.index[touches], "geometry"] = cut
        kept = kept[~kept.geometry.is_empty]
        layers[name] = kept
        out[name] = (int(len(kept)), int(len(g) - len(kept)))
    return out


def select_area(layers: dict[str, gpd.GeoDataFrame], selectors: Sequence[str] = (), *,
                buffer_km: float = 50.0) -> AreaSelection:
    """Keep, in place, the study area that ``selectors`` name (all counties when empty) and its network.

    Parameters
    ----------
    layers
        Loaded layers (EPSG:4490), changed in place.
    selectors
        Counties or prefectures (:func:`resolve_area`); empty keeps every county.
    buffer_km
        How far beyond the area the network layers reach.

    Returns
    -------
    AreaSelection
    """
    counties = layers["counties"]
    adcodes = resolve_area(counties, selectors) if selectors else sorted(counties["adcode"].astype(str))
    name_zh, name_en = _area_name(counties, adcodes) if selectors else ("", "")
    keep = counties["adcode"].astype(str).isin(adcodes)
    layers["counties"] = counties[keep].copy()
    outline = shapely.union_all(layers["counties"].geometry.values)
    if selectors or _far_larger(layers.get("boundary"), outline):
        # the outline of the chosen counties (also when the counties are a user's and the boundary is not)
        layers["boundary"] = gpd.GeoDataFrame({"adcode": ["area"], "name_zh": [name_zh], "name_en": [name_en]},
                                              geometry=[outline], crs=counties.crs)
        if layers.get("prefectures") is not None and "prefecture_adcode" in counties.columns:
            prefs = set(layers["counties"]["prefecture_adcode"].astype(str))
            layers["prefectures"] = layers["prefectures"][layers["prefectures"]["adcode"].astype(str).isin(prefs)]
    if selectors:
        if layers.get("seats") is not None:
            layers["seats"] = layers["seats"][layers["seats"]["adcode"].astype(str).isin(adcodes)].copy()
        parks = layers.get("parks")
        if parks is not None and "county_adcode" in parks.columns:
            layers["parks"] = parks[parks["county_adcode"].astype(str).isin(adcodes)].copy()
        elif parks is not None:
            layers["parks"] = parks[shapely.intersects(outline, parks.geometry.values)].copy()
    bnd = layers.get("boundary")
    area = shapely.union_all((bnd if bnd is not None and len(bnd) else layers["counties"]).geometry.values)
    clipped = clip_network(layers, area, buffer_km)
    return AreaSelection(adcodes, name_zh, name_en, clipped)


def _opened(g: gpd.GeoDataFrame) -> pd.Series:
    """Each feature's opening year (NaN where unknown or without an ``opened`` column)."""
    return pd.to_numeric(g["opened"], errors="coerce") if "opened" in g.columns else pd.Series(float("nan"),
                                                                                              index=g.index)


#: What an expressway that had not opened yet stands for in an earlier year's network: an ordinary second-class
#: road along its alignment (二级公路, 60 km/h). The network holds trunk roads only, and OSM draws today's
#: expressway where the traffic of its corridor ran on older roads; dropping it outright would cut the corridor.
PRE_OPENING = {"road_class": "second_class", "design_speed_kmh": 60.0}
_EXPRESSWAY_CLASSES = ("expressway", "provincial_expressway", "motorway")


def network_as_of(layers: dict[str, gpd.GeoDataFrame], year: int) -> str | None:
    """Keep, in place, the network as it stood at the end of ``year``; return a note on what was left out.

    Rail lines and roads whose ``opened`` year is later are dropped, except expressways, which become ordinary
    second-class roads along their alignment (:data:`PRE_OPENING`, flagged ``geometry_quality = "schematic"``);
    features without a year are kept (they are taken to exist, and the note counts them). A station is dropped
    when every line it lists is; a station listing no line is kept.
    """
    dropped, unknown, downgraded = {}, {}, 0
    gone_lines: set[str] = set()
    for name, id_col in (("rail_lines", "line_id"), ("roads", "road_id")):
        g = layers.get(name)
        if g is None or not len(g):
            continue
        opened = _opened(g)
        later = (opened > year).to_numpy()
        if name == "rail_lines" and id_col in g.columns:
            gone_lines = set(g.loc[later, id_col].astype(str))
        if name == "roads" and "road_class" in g.columns:
            older = later & g["road_class"].astype(str).isin(_EXPRESSWAY_CLASSES).to_numpy()
            g = g.copy()
            for col, value in {**PRE_OPENING, "geometry_quality": "schematic"}.items():
                if isinstance(value, float):  # a speed: numbers, whatever the file stored
                    g[col] = pd.to_numeric(g[col], errors="coerce") if col in g.columns else float("nan")
                if col in g.columns or col != "geometry_quality":
                    g.loc[older, col] = value
            if "name_zh" in g.columns:
                g.loc[older, "name_zh"] = g.loc[older, "name_zh"].fillna("").astype(str) + "（通车前：按二级公路）"
            downgraded = int(older.sum())
            later = later & ~older
        layers[name] = g[~later].copy()
        dropped[name] = int(later.sum())
        unknown[name] = int(opened.isna().sum())
    st = layers.get("stations")
    if st is not None and len(st) and "lines" in st.columns and gone_lines:
        served = st["lines"].fillna("").astype(str).str.split(";").map(lambda ls: [x for x in ls if x])
        gone = served.map(lambda ls: bool(ls) and all(x in gone_lines for x in ls)).to_numpy()
        layers["stations"] = st[~gone].copy()
        dropped["stations"] = int(gone.sum())
    if not any(dropped.values()) and not downgraded:
        return None
    older_zh = f"；其后通车的高速公路 {downgraded} 段按通车前的二级公路（60 km/h）计" if downgraded else ""
    older_en = (f"; {downgraded} expressway sections that opened later count as the second-class roads "
                "(60 km/h) their traffic used before") if downgraded else ""
    return (f"路网按 {year} 年底：去掉其后开通的 " + ("、".join(f"{k} {v}" for k, v in dropped.items() if v) or "—")
            + older_zh
            + "；无开通年份的要素视为已有（" + "、".join(f"{k} {v}" for k, v in unknown.items()) + "）— network as "
            f"of the end of {year}: left out what opened later (" + (", ".join(f"{k} {v}" for k, v in dropped.items()
                                                                        if v) or "none")
            + ")" + older_en + "; features without an opening year are taken to exist (" + ", ".join(f"{k} {v}" for k, v in
                                                                                    unknown.items()) + ")")
