"""Industrial belts (带) along transport corridors.

A provincial 产业带 is an axis that threads parks and growth poles of several
cities along a trunk corridor. It is found in five steps:

1. **Corridors** (:func:`transport_corridors`, see :mod:`.corridors`): parallel
   rail lines and expressways that follow one route, merged into one corridor
   measured along its longest line (the *reference line*).
2. **Linear referencing** (:func:`corridor_members`): every park within
   ``corridor_km`` of a reference line is placed at its position along it (km),
   with its sector masses from the plan's industry table.
3. **Mass profiles** (:func:`kernel_profile`): for each corridor and sector,
   the parks' masses smoothed along the line with a quartic (biweight) kernel of
   radius ``bandwidth_km``, sampled every ``step_km``. The kernel has compact
   support, so a stretch never reaches more than ``bandwidth_km`` beyond its
   outermost park.
4. **Stretches** (:func:`above_intervals`, :func:`bridge_gaps`): where the profile
   lies above the threshold ``threshold × D̄``, with ``D̄`` the sector's mean linear
   density over all corridors (its park mass within the corridors ÷ their total
   length): the stretches where a sector is denser than it is on average along the
   province's corridors. This threshold does not depend on the largest park of
   a corridor (a share of the profile's peak would keep only the peak city where
   one city dominates) and is the same on every corridor. Stretches separated
   by a gap no longer than ``max(gap_km, gap_share × L)`` are joined, ``L`` being
   the longer of the two stretches (the smallest gaps first, until no gap
   qualifies): a long belt bridges a longer gap than a short one.
5. **Belts**: a stretch is a belt when it holds at least ``min_parks`` parks of
   the sector, threads growth poles (nodes of a tier in ``pole_tiers`` within
   ``corridor_km`` of the stretch) in at least ``min_pole_prefectures``
   prefectures, and spans at least ``min_prefectures`` prefectures (of its
   parks) or ``min_length_km``.

**Multi-sector belts** (先进制造业走廊): the same on the profile of the summed mass
of the advanced-manufacturing sectors (``read_sectors()["advanced_manufacturing"]``),
kept where at least two advanced sectors each carry ``mix_share`` of the stretch's mass.

**No duplicates**: on one corridor, a stretch overlapping a kept belt by at least
``merge_overlap`` (intersection over union) is merged into it: its sector joins the
kept belt's sectors. Multi-sector belts are kept first, then single-sector belts by
score; the kept belt's extent stays its own. A belt's ``sector`` is its lead sector
(the largest mass; :data:`ADVANCED` for a multi-sector belt, whose lead is
``lead_sector``), ``other_sectors`` the codes of its other sectors and ``sector_shares``
every sector's share of its mass.

**Segments** (集群段): within each belt, the runs of its parks in which consecutive parks
are at most ``max_gap_km`` apart, with at least ``min_parks`` parks in ``min_counties`` counties.

**Score** = mass × continuity × accessibility, each part kept as a column:

* ``mass``: the belt's sectors' mass in its member parks;
* ``continuity``: the share of the belt's length where its profile lies above the threshold;
* ``accessibility``: the member parks' hub-access score (0–1), weighted by mass, floored at 0.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from .._errors import ConfigError
from ..symbology import MULTI_SECTOR, TIERS
from .corridors import build_corridors, transport_lines
from .indices import IndustryTable, industry_table

__all__ = [
    "ADVANCED",
    "BeltParams",
    "BeltResult",
    "check_params",
    "transport_corridors",
    "corridor_members",
    "kernel_profile",
    "above_intervals",
    "bridge_gaps",
    "mean_densities",
    "interval_overlap",
    "park_runs",
    "find_belts",
]

#: The ``sector`` of a multi-sector (advanced-manufacturing) belt.
ADVANCED = MULTI_SECTOR


@dataclass
class BeltParams:
    """Corridor and belt parameters (``[belts]`` in the run config; see the module notes)."""

    corridor_km: float = 15.0
    join_km: float = 8.0
    join_share: float = 0.5
    min_part_km: float = 20.0
    bandwidth_km: float = 20.0
    step_km: float = 1.0
    threshold: float = 1.0
    gap_km: float = 40.0
    gap_share: float = 0.25
    min_parks: int = 3
    min_prefectures: int = 3
    min_length_km: float = 150.0
    min_pole_prefectures: int = 2
    pole_tiers: list[str] = field(default_factory=lambda: ["国家级", "省级", "市级"])
    mix_share: float = 0.15
    merge_overlap: float = 0.8
    max_gap_km: float = 40.0
    min_counties: int = 2
    top: int = 15
    #: ``"auto"``: a study area of fewer prefectures than ``min_prefectures`` (a city-scale plan) counts counties
    #: where the rules count prefectures, so that a belt there threads poles of several counties; ``"fixed"``:
    #: prefectures always.
    unit: str = "auto"


#: (key, test, what it must be) of :func:`check_params`.
_CHECKS = (
    ("corridor_km", lambda v: v > 0, "a positive distance"),
    ("join_km", lambda v: v > 0, "a positive distance"),
    ("join_share", lambda v: 0 < v <= 1, "a share in (0, 1]"),
    ("min_part_km", lambda v: v >= 0, "a distance ≥ 0"),
    ("bandwidth_km", lambda v: v > 0, "a positive distance"),
    ("step_km", lambda v: v > 0, "a positive distance"),
    ("threshold", lambda v: v >= 0, "a factor ≥ 0"),
    ("gap_km", lambda v: v >= 0, "a distance ≥ 0"),
    ("gap_share", lambda v: 0 <= v <= 1, "a share in [0, 1]"),
    ("min_parks", lambda v: v >= 1, "a count ≥ 1"),
    ("min_prefectures", lambda v: v >= 1, "a count ≥ 1"),
    ("min_length_km", lambda v: v >= 0, "a distance ≥ 0"),
    ("min_pole_prefectures", lambda v: v >= 0, "a count ≥ 0"),
    ("mix_share", lambda v: 0 <= v < 1, "a share in [0, 1)"),
    ("merge_overlap", lambda v: 0 < v <= 1, "a share in (0, 1]"),
    ("max_gap_km", lambda v: v > 0, "a positive distance"),
    ("min_counties", lambda v: v >= 1, "a count ≥ 1"),
    ("top", lambda v: v >= 1, "a count ≥ 1"),
)


def check_params(params: BeltParams) -> BeltParams:
    """``params`` when every value is usable, else :class:`~spatial_planner.ConfigError` naming the key."""
    for key, ok, what in _CHECKS:
        value = getattr(params, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or not ok(value):
            raise ConfigError(f"{value!r} is not {what}", key=f"belts.{key}", fix=f"give belts.{key} {what}.")
    if params.step_km > params.bandwidth_km:
        raise ConfigError(f"step_km {params.step_km} is larger than bandwidth_km {params.bandwidth_km}",
                          key="belts.step_km", fix="sample the profile at most once per bandwidth, e.g. 1 km.")
    if params.unit not in ("auto", "fixed"):
        raise ConfigError(f"{params.unit!r} is not a unit", key="belts.unit", fix='give belts.unit "auto" or "fixed".')
    bad = [t for t in params.pole_tiers if t not in TIERS]
    if bad:
        raise ConfigError(f"unknown tier(s) {bad}", key="belts.pole_tiers", fix=f"use some of {', '.join(TIERS)}.")
    return params


@dataclass
class BeltResult:
    """What :func:`find_belts` gives: belts (lines), their corridor polygons, their segments, the transport
    corridors (with ``n_belts``), all in EPSG:4490, and the report (counts, thresholds and parameters)."""

    belts: gpd.GeoDataFrame
    belt_corridors: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    report: dict


def transport_corridors(rail_lines: gpd.GeoDataFrame | None, roads: gpd.GeoDataFrame | None, *, crs,
                        params: BeltParams | None = None) -> gpd.GeoDataFrame:
    """The corridors of belts: rail lines and expressways grouped by route (:mod:`.corridors`), in metric ``crs``."""
    p = check_params(params or BeltParams())
    return build_corridors(transport_lines(rail_lines, roads, crs=crs), join_km=p.join_km, join_share=p.join_share,
                           guard_km=p.corridor_km, min_part_km=p.min_part_km)


def corridor_members(corridors: gpd.GeoDataFrame, parks: gpd.GeoDataFrame, *, corridor_km: float = 15.0
                     ) -> pd.DataFrame:
    """Parks within ``corridor_km`` of each corridor's reference line, with their position along it.

    ``parks`` must be in the corridors' CRS. Returns one row per (corridor, park):
    ``corridor_id, park_id, position_km`` (of the park's representative point) and ``distance_km``.
    """
    cols = ["corridor_id", "park_id", "position_km", "distance_km"]
    if not len(parks) or not len(corridors):
        return pd.DataFrame(columns=cols)
    geoms = parks.geometry.values
    tree = shapely.STRtree(geoms)
    reps = parks.geometry.representative_point().values
    ids = parks["park_id"].astype(str).to_numpy()
    rows = []
    for c in corridors.itertuples():
        for i in sorted(tree.query(c.geometry, predicate="dwithin", distance=corridor_km * 1000.0)):
            rows.append((c.corridor_id, ids[i], c.geometry.project(reps[i]) / 1000.0,
                         shapely.distance(c.geometry, geoms[i]) / 1000.0))
    return pd.DataFrame(rows, columns=cols)


def kernel_profile(positions, masses, *, length_km: float, bandwidth_km: float = 20.0, step_km: float = 1.0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Mass per km along a line: the masses smoothed with a quartic kernel of radius ``bandwidth_km``.

    ``f(x) = Σ m_i K((x − p_i) / h) / h`` with ``K(u) = 15/16 (1 − u²)²`` for ``|u| < 1`` (0 beyond), sampled
    from 0 to ``length_km`` every ``step_km`` at most; the profile integrates to the total mass (away from the
    line's ends).

    Returns
    -------
    (x, f)
        Sample positions (km) and densities (mass per km).
    """
    pos = np.asarray(positions, dtype=float)
    m = np.asarray(masses, dtype=float)
    n = max(int(np.ceil(length_km / step_km)), 1) + 1
    x = np.linspace(0.0, max(float(length_km), 0.0), n)
    if not len(pos):
        return x, np.zeros(n)
    u = (x[:, None] - pos[None, :]) / bandwidth_km
    k = np.where(np.abs(u) < 1.0, 15.0 / 16.0 * (1.0 - u**2) ** 2, 0.0) / bandwidth_km
    return x, k @ m


def _crossing(x0: float, x1: float, f0: float, f1: float, tau: float) -> float:
    """Where the line through (x0, f0) and (x1, f1) crosses ``tau``."""
    return x0 if f1 == f0 else x0 + (tau - f0) / (f1 - f0) * (x1 - x0)


def above_intervals(x: np.ndarray, f: np.ndarray, tau: float) -> list[tuple[float, float]]:
    """The intervals ``[a, b]`` where the profile lies above ``tau`` (ends interpolated between samples)."""
    above = np.asarray(f) > tau
    out = []
    k, n = 0, len(x)
    while k < n:
        if not above[k]:
            k += 1
            continue
        j = k
        while j + 1 < n and above[j + 1]:
            j += 1
        a = x[k] if k == 0 else _crossing(x[k - 1], x[k], f[k - 1], f[k], tau)
        b = x[j] if j == n - 1 else _crossing(x[j], x[j + 1], f[j], f[j + 1], tau)
        out.append((float(a), float(b)))
        k = j + 1
    return out


def bridge_gaps(intervals: list[tuple[float, float]], *, gap_km: float = 40.0, gap_share: float = 0.25
                ) -> list[tuple[float, float, float]]:
    """Join intervals across gaps no longer than ``max(gap_km, gap_share × L)``, ``L`` the longer of the two
    stretches a gap separates; the smallest qualifying gap first, until none qualifies.

    Returns
    -------
    list of (start, end, covered)
        Each stretch, with the length of its intervals (the stretch less its gaps).
    """
    groups = [[iv] for iv in sorted(intervals)]
    while len(groups) > 1:
        best = None
        for k in range(len(groups) - 1):
            left, right = groups[k], groups[k + 1]
            gap = right[0][0] - left[-1][1]
            joined = (left[-1][1] - left[0][0]) + (right[-1][1] - right[0][0])
            if gap <= max(gap_km, gap_share * joined) and (best is None or gap < best[0]):
                best = (gap, k)
        if best is None:
            break
        k = best[1]
        groups[k:k + 2] = [groups[k] + groups[k + 1]]
    return [(g[0][0], g[-1][1], float(sum(b - a for a, b in g))) for g in groups]


def interval_overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Intersection over union of two intervals (1 for identical ones, 0 for disjoint ones)."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else float(a == b)


def park_runs(positions, max_gap: float) -> list[tuple[int, int]]:
    """Maximal index ranges ``[i, j]`` of sorted positions whose consecutive gaps are at most ``max_gap``."""
    pos = np.asarray(positions, dtype=float)
    runs, start = [], 0
    for k in range(1, len(pos) + 1):
        if k == len(pos) or pos[k] - pos[k - 1] > max_gap:
            runs.append((start, k - 1))
            start = k
    return runs


def mean_densities(members: pd.DataFrame, lengths: pd.Series, keys: list[str]) -> dict[str, float]:
    """Each key's (sector's) mean mass per km along the corridors: the mass of the parks within any corridor
    (each park once, however many corridors it lies in) ÷ the corridors' total length.

    ``members`` has one row per (corridor, park) and a mass column per key; ``lengths`` the corridors' km.
    """
    total = float(lengths.sum())
    once = members.drop_duplicates("park_id")
    return {k: (float(once[k].sum()) / total if total > 0 else 0.0) for k in keys}


# --------------------------------------------------------------------------- the context of one run


@dataclass
class _Context:
    """What every belt of a run reads: corridors, members with masses, places, poles and parameters."""

    corridors: gpd.GeoDataFrame  # indexed by corridor_id, metric
    members: pd.DataFrame  # corridor_id, park_id, position_km and a mass column per sector and ADVANCED
    sectors: list[str]
    advanced: list[str]
    county_of: dict
    prefecture_of: dict
    county_name: dict
    park_name: dict
    access: pd.Series  # per park
    poles: gpd.GeoDataFrame  # adcode, name_zh, prefecture, geometry (metric)
    params: BeltParams
    names_zh: dict
    names_en: dict
    by_corridor: dict = field(default_factory=dict)  # corridor_id → its members, in order along the line

    def __post_init__(self):
        ordered = self.members.sort_values(["corridor_id", "position_km", "park_id"])
        self.by_corridor = {cid: grp for cid, grp in ordered.groupby("corridor_id", sort=False)}

    def along(self, corridor_id: str) -> pd.DataFrame:
        """The members of one corridor, in order along its line."""
        return self.by_corridor.get(corridor_id, self.members.iloc[:0])


def _masses(industry: IndustryTable, advanced: list[str]) -> pd.DataFrame:
    """Park × sector mass table (wide), with the advanced-manufacturing total as column :data:`ADVANCED`."""
    wide = industry.parks.pivot_table(index="park_id", columns="sector", values="mass", aggfunc="sum", fill_value=0.0)
    wide.index = wide.index.astype(str)
    wide[ADVANCED] = wide[[s for s in advanced if s in wide.columns]].sum(axis=1) if advanced else 0.0
    return wide


def _places(parks: pd.DataFrame, counties: pd.DataFrame | None) -> tuple[dict, dict, dict]:
    """County of each park, prefecture of each county (parks' own ``prefecture_zh`` when no county table),
    and county names."""
    county_of = dict(zip(parks["park_id"].astype(str), parks["county_adcode"].astype(str)))
    prefecture_of, county_name = {}, {}
    if "prefecture_zh" in parks:
        prefecture_of.update(zip(parks["county_adcode"].astype(str), parks["prefecture_zh"].astype(str)))
    if counties is not None and "adcode" in counties:
        codes = counties["adcode"].astype(str)
        if "prefecture_zh" in counties:
            prefecture_of.update(zip(codes, counties["prefecture_zh"].astype(str)))
        if "name_zh" in counties:
            county_name.update(zip(codes, counties["name_zh"].astype(str)))
    return county_of, prefecture_of, county_name


def _poles(nodes: gpd.GeoDataFrame | None, tiers: list[str], crs, prefecture_of: dict) -> gpd.GeoDataFrame:
    """The growth poles a belt may thread: nodes of the given tiers, in the metric CRS."""
    cols = ["adcode", "name_zh", "prefecture", "geometry"]
    if nodes is None or not len(nodes):
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=crs)
    sub = nodes[nodes["tier"].isin(tiers)].to_crs(crs)
    codes = sub["adcode"].astype(str)
    pref = sub["prefecture_zh"].astype(str) if "prefecture_zh" in sub else codes.map(prefecture_of).fillna(codes)
    return gpd.GeoDataFrame({"adcode": codes.to_numpy(), "name_zh": sub["name_zh"].astype(str).to_numpy(),
                             "prefecture": pref.to_numpy()}, geometry=sub.geometry.values, crs=crs)


# --------------------------------------------------------------------------- stretches and their measures


def _line(ctx: _Context, corridor_id: str):
    return ctx.corridors.geometry[corridor_id]


def _segment(line, start_km: float, end_km: float, min_km: float = 1.0):
    """The line between two positions; at least ``min_km`` long, so members at one spot still give a line."""
    if end_km - start_km < min_km:
        mid = (start_km + end_km) / 2.0
        start_km, end_km = max(mid - min_km / 2.0, 0.0), min(mid + min_km / 2.0, line.length / 1000.0)
    return substring(line, start_km * 1000.0, end_km * 1000.0)


def _in_stretch(ctx: _Context, corridor_id: str, start: float, end: float, sectors: list[str]) -> pd.DataFrame:
    """The corridor's parks between two positions carrying mass in any of ``sectors``, in order along the line,
    with their mass in those sectors (``_mass``)."""
    mem = ctx.along(corridor_id)
    inside = mem[(mem["position_km"] >= start - 1e-6) & (mem["position_km"] <= end + 1e-6)]
    inside = inside.assign(_mass=inside[sectors].sum(axis=1))
    return inside[inside["_mass"] > 0]


def _threaded_poles(ctx: _Context, corridor_id: str, start: float, end: float) -> gpd.GeoDataFrame:
    """The growth poles within ``corridor_km`` of a stretch, in order along the line."""
    poles = ctx.poles
    if not len(poles):
        return poles.assign(position_km=[])
    line = _line(ctx, corridor_id)
    seg = _segment(line, start, end)
    near = poles[shapely.dwithin(poles.geometry.values, seg, ctx.params.corridor_km * 1000.0)]
    pos = shapely.line_locate_point(line, near.geometry.values) / 1000.0
    return near.assign(position_km=pos).sort_values(["position_km", "adcode"])


def _measure(ctx: _Context, corridor_id: str, start: float, end: float, sectors: list[str]) -> dict:
    """Parks, places, poles, masses and accessibility of a stretch for some sectors."""
    inside = _in_stretch(ctx, corridor_id, start, end, sectors)
    ids = inside["park_id"].tolist()
    counties = list(dict.fromkeys(ctx.county_of[x] for x in ids))
    prefectures = list(dict.fromkeys(ctx.prefecture_of.get(c, c) for c in counties))
    poles = _threaded_poles(ctx, corridor_id, start, end)
    by_sector = {s: float(inside[s].sum()) for s in sectors}
    mass = float(inside["_mass"].sum())
    acc = ctx.access.reindex(ids).fillna(0.0).to_numpy()
    accessibility = float(np.average(acc, weights=inside["_mass"].to_numpy())) if len(acc) else 0.0
    return {"park_ids": ids, "positions": inside["position_km"].round(2).tolist(), "counties": counties,
            "prefectures": prefectures, "pole_codes": poles["adcode"].tolist(), "pole_names": poles["name_zh"].tolist(),
            "pole_prefectures": list(dict.fromkeys(poles["prefecture"])), "by_sector": by_sector, "mass": mass,
            "accessibility": max(accessibility, 0.1)}


def _stretches(ctx: _Context, corridor_id: str, key: str, tau: float) -> list[tuple[float, float, float]]:
    """The stretches of one corridor where the profile of ``key`` lies above ``tau``, gaps bridged."""
    p = ctx.params
    mem = ctx.along(corridor_id)
    mem = mem[mem[key] > 0]
    if not len(mem):
        return []
    length = _line(ctx, corridor_id).length / 1000.0
    x, f = kernel_profile(mem["position_km"], mem[key], length_km=length, bandwidth_km=p.bandwidth_km,
                          step_km=p.step_km)
    return bridge_gaps(above_intervals(x, f, tau), gap_km=p.gap_km, gap_share=p.gap_share)


def _units(counties: pd.DataFrame | None, nodes: gpd.GeoDataFrame | None, p: BeltParams
           ) -> tuple[pd.DataFrame | None, gpd.GeoDataFrame | None, str]:
    """The places the belt rules count: prefectures, or, at city scale (``unit = "auto"`` and fewer prefectures
    in the study area than ``min_prefectures``), counties, each standing for its own "prefecture"."""
    if p.unit != "auto" or counties is None or not len(counties) or "prefecture_zh" not in counties.columns:
        return counties, nodes, "prefecture"
    if counties["prefecture_zh"].nunique() >= p.min_prefectures:
        return counties, nodes, "prefecture"
    counties = counties.assign(prefecture_zh=counties["name_zh"].astype(str))
    if nodes is not None and "prefecture_zh" in nodes.columns and "name_zh" in nodes.columns:
        nodes = nodes.assign(prefecture_zh=nodes["name_zh"].astype(str))
    return counties, nodes, "county"


def _why_not(cand: dict, p: BeltParams, multi: bool) -> str:
    """Why a stretch is not a belt (empty when it is)."""
    if len(cand["park_ids"]) < p.min_parks:
        return "parks"
    if len(cand["pole_prefectures"]) < p.min_pole_prefectures:
        return "poles"
    if len(cand["prefectures"]) < p.min_prefectures and cand["length_km"] < p.min_length_km:
        return "extent"
    if multi:
        total = sum(cand["by_sector"].values())
        if total <= 0 or sum(v / total >= p.mix_share for v in cand["by_sector"].values()) < 2:
            return "mix"
    return ""


def _candidates(ctx: _Context, densities: dict[str, float]) -> tuple[list[dict], dict[str, int]]:
    """Every stretch of every corridor and profile, measured; those that are belts, and why the others are not."""
    p = ctx.params
    keys = [(s, False) for s in ctx.sectors] + ([(ADVANCED, True)] if len(ctx.advanced) >= 2 else [])
    out, rejected = [], {}
    for corridor_id in ctx.corridors.index:
        for key, multi in keys:
            tau = p.threshold * densities.get(key, 0.0)
            mem = ctx.along(corridor_id)
            pos, mass = mem["position_km"].to_numpy(), mem[key].to_numpy()
            for start, end, covered in _stretches(ctx, corridor_id, key, tau):
                if ((pos >= start - 1e-6) & (pos <= end + 1e-6) & (mass > 0)).sum() < p.min_parks:
                    rejected["parks"] = rejected.get("parks", 0) + 1  # too few parks: not worth measuring
                    continue
                sectors = ctx.advanced if multi else [key]
                cand = {"corridor_id": corridor_id, "kind": "multi" if multi else "sector", "key": key,
                        "start_km": start, "end_km": end, "length_km": end - start,
                        "continuity": covered / (end - start) if end > start else 1.0, "sectors": list(sectors),
                        **_measure(ctx, corridor_id, start, end, sectors)}
                why = _why_not(cand, p, multi)
                if why:
                    rejected[why] = rejected.get(why, 0) + 1
                else:
                    out.append(cand)
    return out, rejected


def _score(cand: dict) -> float:
    return cand["mass"] * cand["continuity"] * cand["accessibility"]


def _merge_duplicates(ctx: _Context, cands: list[dict]) -> tuple[list[dict], int]:
    """Leader clustering on each corridor: a stretch overlapping a kept belt by ``merge_overlap`` or more
    (intersection over union) joins it; multi-sector belts lead, then the higher score."""
    order = sorted(cands, key=lambda c: (c["kind"] != "multi", -_score(c), c["corridor_id"], c["key"], c["start_km"]))
    kept: list[dict] = []
    merged = 0
    for cand in order:
        span = (cand["start_km"], cand["end_km"])
        host = next((k for k in kept if k["corridor_id"] == cand["corridor_id"]
                     and interval_overlap((k["start_km"], k["end_km"]), span) >= ctx.params.merge_overlap), None)
        if host is None:
            kept.append(dict(cand, absorbed=[]))
            continue
        merged += 1
        host["absorbed"].append(cand["key"])
        for s in cand["sectors"]:
            if s not in host["sectors"]:
                host["sectors"].append(s)
    for k in kept:
        if k["absorbed"]:
            k.update(_measure(ctx, k["corridor_id"], k["start_km"], k["end_km"], k["sectors"]))
    return kept, merged


# --------------------------------------------------------------------------- tables and geometry


def _ordered_sectors(belt: dict) -> list[str]:
    """The belt's sectors with mass, largest first (the lead sector first)."""
    return [s for s, v in sorted(belt["by_sector"].items(), key=lambda kv: (-kv[1], kv[0])) if v > 0]


def _belt_names(ctx: _Context, belt: dict, sectors: list[str]) -> tuple[str, str]:
    """``京广装备制造产业带`` / ``京广先进制造业走廊`` and their English names."""
    c = ctx.corridors.loc[belt["corridor_id"]]
    stem, stem_en = str(c["stem_zh"]), str(c["stem_en"])
    if belt["kind"] == "multi":
        return f"{stem}先进制造业走廊", f"{stem_en} advanced-manufacturing corridor"
    zh = [ctx.names_zh.get(s, s) for s in sectors[:2]]
    en = [ctx.names_en.get(s, s) for s in sectors[:2]]
    more_zh, more_en = ("等", " and other") if len(sectors) > 2 else ("", "")
    return f"{stem}{'·'.join(zh)}{more_zh}产业带", f"{stem_en} {' · '.join(en)}{more_en} belt"


def _shares(belt: dict, sectors: list[str], names: dict) -> str:
    """``装备制造 45%、电子信息 31%``: each sector's share of the belt's mass, largest first."""
    total = sum(belt["by_sector"].values())
    return "、".join(f"{names.get(s, s)} {belt['by_sector'][s] / total:.0%}" for s in sectors) if total else ""


def _segments_of(ctx: _Context, belt: dict, belt_id: str, belt_name: str) -> list[dict]:
    """The runs of the belt's parks (集群段) with consecutive parks ≤ ``max_gap_km`` apart, ``min_parks`` parks
    and ``min_counties`` counties at least."""
    p = ctx.params
    inside = _in_stretch(ctx, belt["corridor_id"], belt["start_km"], belt["end_km"], belt["sectors"])
    line = _line(ctx, belt["corridor_id"])
    out = []
    for i, j in park_runs(inside["position_km"], p.max_gap_km):
        run = inside.iloc[i:j + 1]
        ids = run["park_id"].tolist()
        counties = list(dict.fromkeys(ctx.county_of[x] for x in ids))
        if len(ids) < p.min_parks or len(counties) < p.min_counties:
            continue
        names = [ctx.county_name.get(c, c) for c in counties]
        label = names[0] if len(names) == 1 else f"{names[0]}—{names[-1]}"
        start, end = float(run["position_km"].min()), float(run["position_km"].max())
        k = len(out) + 1
        out.append({"segment_id": f"{belt_id}-S{k}", "belt_id": belt_id, "name_zh": f"{belt_name}·{label}段",
                    "label": label, "sector": belt["sector"], "members": ";".join(ids),
                    "member_names": "、".join(ctx.park_name.get(x, x) for x in ids), "counties": ";".join(counties),
                    "county_names": "、".join(names), "n_parks": len(ids), "n_counties": len(counties),
                    "start_km": round(start, 2), "end_km": round(end, 2), "length_km": round(end - start, 2),
                    "mass": round(float(run["_mass"].sum()), 3), "geometry": _segment(line, start, end)})
    return out


def _unique_names(rows: list[dict]) -> None:
    """Belts of the same name get the prefectures they run between (then their km) added."""
    for key in ("name_zh", "name_en"):
        seen: dict[str, int] = {}
        for r in rows:
            seen[r[key]] = seen.get(r[key], 0) + 1
        for r in rows:
            if seen[r[key]] > 1:
                pref = r["_prefectures"]
                span = pref[0] if len(pref) == 1 else f"{pref[0]}—{pref[-1]}"
                r[key] += f"（{span}段）" if key == "name_zh" else f" ({r['start_km']:.0f}–{r['end_km']:.0f} km)"
    names = [r["name_zh"] for r in rows]
    for r in rows:
        if names.count(r["name_zh"]) > 1:
            r["name_zh"] += f"（{r['start_km']:.0f}–{r['end_km']:.0f} km）"


BELT_COLUMNS = [
    "belt_id", "rank", "name_zh", "name_en", "kind", "corridor_id", "corridor", "modes", "sector", "lead_sector",
    "sector_zh", "other_sectors", "sectors", "sector_shares", "start_km", "end_km", "length_km", "n_prefectures", "prefectures", "n_poles", "poles",
    "n_parks", "members", "member_names", "n_counties", "counties", "county_names", "n_segments", "segments", "mass",
    "continuity", "accessibility", "score", "geometry",
]
SEGMENT_COLUMNS = ["segment_id", "belt_id", "name_zh", "label", "sector", "members", "member_names", "counties",
                   "county_names", "n_parks", "n_counties", "start_km", "end_km", "length_km", "mass", "geometry"]


def _belt_rows(ctx: _Context, chosen: list[dict]) -> tuple[list[dict], list[dict]]:
    """Belt and segment records of the chosen belts (ranked by score)."""
    rows, segs = [], []
    for rank, b in enumerate(chosen, start=1):
        c = ctx.corridors.loc[b["corridor_id"]]
        sectors = _ordered_sectors(b)
        lead = sectors[0] if sectors else b["key"]
        b["sector"] = ADVANCED if b["kind"] == "multi" else lead
        name_zh, name_en = _belt_names(ctx, b, sectors)
        belt_id = f"B{rank:02d}"
        seg = _segments_of(ctx, b, belt_id, name_zh)
        segs += seg
        rows.append({
            "belt_id": belt_id, "rank": rank, "name_zh": name_zh, "name_en": name_en, "kind": b["kind"],
            "corridor_id": b["corridor_id"], "corridor": c["name_zh"], "modes": c["modes"], "sector": b["sector"],
            "lead_sector": lead, "sector_zh": ctx.names_zh.get(lead, lead),
            "other_sectors": ";".join(x for x in sectors if x != b["sector"]), "sectors": ";".join(sectors),
            "sector_shares": _shares(b, sectors, ctx.names_zh), "start_km": round(b["start_km"], 2), "end_km": round(b["end_km"], 2),
            "length_km": round(b["end_km"] - b["start_km"], 2), "n_prefectures": len(b["prefectures"]),
            "prefectures": "、".join(b["prefectures"]), "n_poles": len(b["pole_codes"]),
            "poles": "、".join(b["pole_names"]), "n_parks": len(b["park_ids"]), "members": ";".join(b["park_ids"]),
            "member_names": "、".join(ctx.park_name.get(x, x) for x in b["park_ids"]),
            "n_counties": len(b["counties"]), "counties": ";".join(b["counties"]),
            "county_names": "、".join(ctx.county_name.get(x, x) for x in b["counties"]), "n_segments": len(seg),
            "segments": "；".join(f"{s['label']} {s['start_km']:.0f}–{s['end_km']:.0f} km（{s['n_parks']} 园区）"
                                 for s in seg),
            "mass": round(b["mass"], 3), "continuity": round(b["continuity"], 4),
            "accessibility": round(b["accessibility"], 4), "score": round(_score(b), 3),
            "geometry": _segment(_line(ctx, b["corridor_id"]), b["start_km"], b["end_km"]),
            "_prefectures": b["prefectures"] or b["pole_prefectures"] or ["?"],
        })
    _unique_names(rows)
    for r in rows:
        del r["_prefectures"]
    return rows, segs


# --------------------------------------------------------------------------- the whole step


def _context(corridors: gpd.GeoDataFrame, parks: gpd.GeoDataFrame, *, nodes, hub_access: pd.Series,
             industry: IndustryTable, p: BeltParams, sectors: pd.DataFrame, counties) -> _Context:
    codes = [str(c) for c in sectors["code"]]
    advanced = ([str(c) for c in sectors.loc[sectors["advanced_manufacturing"].astype(bool), "code"]]
                if "advanced_manufacturing" in sectors else [])
    wide = _masses(industry, advanced)
    present = [s for s in codes if s in wide.columns] + [s for s in wide.columns if s not in codes and s != ADVANCED]
    metric = parks.to_crs(corridors.crs)
    members = corridor_members(corridors, metric, corridor_km=p.corridor_km)
    members = members.merge(wide, left_on="park_id", right_index=True, how="left").fillna(
        {s: 0.0 for s in [*present, ADVANCED]})
    county_of, prefecture_of, county_name = _places(parks, counties)
    access = parks["county_adcode"].astype(str).map(hub_access).fillna(0.0)
    access.index = parks["park_id"].astype(str)
    return _Context(
        corridors=corridors.set_index("corridor_id", drop=False), members=members, sectors=present,
        advanced=[s for s in advanced if s in wide.columns], county_of=county_of, prefecture_of=prefecture_of,
        county_name=county_name, park_name=dict(zip(parks["park_id"].astype(str), parks["name_zh"].astype(str))),
        access=access, poles=_poles(nodes, p.pole_tiers, corridors.crs, prefecture_of), params=p,
        names_zh=dict(zip(sectors["code"], sectors["name_zh"])),
        names_en=dict(zip(sectors["code"], sectors["name_en"])) if "name_en" in sectors else {})


def find_belts(
    corridors: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    nodes: gpd.GeoDataFrame | None,
    hub_access: pd.Series,
    sectors: pd.DataFrame,
    industry: IndustryTable | None = None,
    params: BeltParams | None = None,
    counties: pd.DataFrame | None = None,
) -> BeltResult:
    """The 带 of a plan: belts along the corridors, their corridor polygons and their segments.

    Parameters
    ----------
    corridors
        From :func:`transport_corridors` (metric CRS).
    parks
        ``park_id, name_zh, county_adcode`` and the footprint.
    nodes
        The plan's growth poles (``adcode, name_zh, prefecture_zh, tier`` and the seat); ``None`` skips the
        poles test.
    hub_access
        Each county's hub-access score (0–1), given to its parks.
    sectors
        The sector vocabulary (``code, name_zh, name_en, advanced_manufacturing``).
    industry
        The plan's industry table; the park proxy when omitted.
    counties
        ``adcode, name_zh, prefecture_zh`` (prefectures and names); the parks' ``prefecture_zh`` otherwise.

    Returns
    -------
    BeltResult
    """
    p = check_params(params or BeltParams())
    if nodes is None:
        p = BeltParams(**{**p.__dict__, "min_pole_prefectures": 0})
    counties, nodes, unit = _units(counties, nodes, p)
    industry = industry if industry is not None else industry_table(parks, parks["county_adcode"].astype(str).unique())
    ctx = _context(corridors, parks, nodes=nodes, hub_access=hub_access, industry=industry, p=p, sectors=sectors,
                   counties=counties)
    keys = ctx.sectors + [ADVANCED]
    densities = mean_densities(ctx.members, corridors["length_km"], keys)
    cands, rejected = _candidates(ctx, densities)
    kept, merged = _merge_duplicates(ctx, cands)
    chosen = sorted(kept, key=lambda b: (-_score(b), b["corridor_id"], b["key"], b["start_km"]))[: p.top]
    rows, segs = _belt_rows(ctx, chosen)
    crs = corridors.crs
    lines = gpd.GeoDataFrame(rows, columns=BELT_COLUMNS, geometry="geometry", crs=crs)
    polys = lines.copy()
    polys["geometry"] = lines.geometry.buffer(p.corridor_km * 1000.0, quad_segs=8)
    segments = gpd.GeoDataFrame(segs, columns=SEGMENT_COLUMNS, geometry="geometry", crs=crs)
    counts = lines["corridor_id"].value_counts()
    out_corr = corridors.assign(n_belts=corridors["corridor_id"].map(counts).fillna(0).astype(int))
    report = {**{k: v for k, v in p.__dict__.items()}, "unit_counted": unit, "corridors": int(len(corridors)),
              "candidates": int(len(cands) + sum(rejected.values())), "rejected": rejected,
              "merged": int(merged), "qualifying": int(len(kept)), "selected": int(len(lines)),
              "densities": {k: round(v, 4) for k, v in densities.items() if v > 0}}
    return BeltResult(belts=lines.to_crs("EPSG:4490"), belt_corridors=polys.to_crs("EPSG:4490"),
                      segments=segments.to_crs("EPSG:4490"), corridors=out_corr.to_crs("EPSG:4490"), report=report)
