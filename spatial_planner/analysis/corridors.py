"""Transport corridors (通道): the rail lines and expressways that follow one route, merged.

A provincial 产业带 runs along a trunk route, and a trunk route is usually
served by several parallel lines: the 京广 corridor carries the 京广高铁, the
京广铁路 and the G4 京港澳高速. Belts are therefore found along corridors, not
along single lines.

1. **Lines** (:func:`transport_lines`): one row per rail line (``line_id``) and
   per expressway route (``route_ref``; national and provincial expressways
   only, the arterial roads are left out), with its mode (``hsr``,
   ``intercity``, ``conventional``, ``freight`` or ``expressway``) and short names.
2. **Grouping** (:func:`group_lines`): two lines are linked when at least
   ``join_share`` of the shorter one lies within ``join_km`` of the other. Links
   are taken strongest first and joined with union-find, with a guard against
   chaining unrelated routes: two groups merge only if every line of the merged
   group keeps at least ``join_share`` of its length within ``guard_km`` of the
   merged group's reference line (its longest line). A short line that touches
   two trunk routes (an airport link near a junction) thus joins one of them
   and never welds them together.
3. **Corridors** (:func:`build_corridors`): the reference line of each group,
   ``line_merge``\\ d; a reference line in several parts gives one corridor per
   part of at least ``min_part_km``. Each corridor is named from its members'
   short names, e.g. ``京广通道 (京广高铁·京广铁路·G4)``: the stem shared by two
   or more members, else the stem of the reference line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import ConfigError

__all__ = [
    "MODES",
    "EXPRESSWAY_CLASSES",
    "short_name",
    "name_stem",
    "english_stem",
    "transport_lines",
    "cover_share",
    "share_matrix",
    "group_lines",
    "corridor_name",
    "build_corridors",
]

#: Modes of corridor members, in the order they are listed.
MODES = ("hsr", "intercity", "conventional", "freight", "expressway")
#: Road classes that make corridors (the arterial roads do not).
EXPRESSWAY_CLASSES = ("expressway", "provincial_expressway")

_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
_SECTION = re.compile(r"(河南段|河南部分)$")
#: Longest first: the suffix stripped to give a line's stem.
_STEM_SUFFIXES = ("高速铁路", "城际铁路", "市域铁路", "客运专线", "高速公路", "铁路", "高铁", "城际", "高速")
_EN_SUFFIXES = re.compile(r"\s*\b(heavy-haul railway|high-speed railway|high-speed rail|hsr|intercity railway|"
                          r"suburban railway|railway|expressway|line)\s*$", re.IGNORECASE)


def _bare(name: str) -> str:
    """A Chinese line name without its bracketed notes and ``河南段``."""
    text = _BRACKETS.sub("", str(name)).strip()
    return _SECTION.sub("", text).strip() or str(name).strip()


def short_name(name_zh: str, mode: str, ref: str | None = None) -> str:
    """The short name of a line in a corridor's name: ``G4`` for an expressway with a route number,
    ``京广高铁`` for 京广高速铁路(河南段), ``郑焦城际`` for 郑焦城际铁路, ``京广铁路`` for 京广铁路(河南段)."""
    if mode == "expressway" and ref and str(ref).strip():
        return str(ref).strip()
    return _bare(name_zh).replace("高速铁路", "高铁").replace("城际铁路", "城际").replace("市域铁路", "市域")


def name_stem(name_zh: str) -> str:
    """The route part of a line's name: ``京广`` for 京广高速铁路(河南段) and 京广铁路, ``京港澳`` for 京港澳高速."""
    bare = _bare(name_zh)
    for suffix in _STEM_SUFFIXES:
        if bare.endswith(suffix) and len(bare) > len(suffix):
            return bare[: -len(suffix)]
    return bare


def english_stem(name_en: str) -> str:
    """The route part of an English line name: ``Beijing-Guangzhou`` for
    "Beijing-Guangzhou High-Speed Railway (Henan section)"."""
    text = " ".join(_BRACKETS.sub("", str(name_en)).split(",")[0].split())
    for _ in range(2):
        text = _EN_SUFFIXES.sub("", text).strip()
    return text or str(name_en).strip()


def _merged(geoms: Sequence) -> shapely.Geometry:
    """One (multi)line of several line geometries, merged where they join."""
    return shapely.line_merge(shapely.union_all(list(geoms)))


def transport_lines(rail_lines: gpd.GeoDataFrame | None, roads: gpd.GeoDataFrame | None, *, crs) -> gpd.GeoDataFrame:
    """The lines corridors are made of, in metric ``crs``: one row per rail line and per expressway route.

    Parameters
    ----------
    rail_lines
        ``line_id, name_zh, rail_class`` (``name_en`` optional); rows of one ``line_id`` are merged.
    roads
        ``road_class, name_zh`` (``route_ref``, ``name_en`` optional); only ``expressway`` and
        ``provincial_expressway`` rows are used, merged by ``route_ref`` (by name where it is empty).

    Returns
    -------
    geopandas.GeoDataFrame
        ``line_id, name_zh, name_en, mode, ref, short_zh, stem_zh, stem_en, length_km`` and the line.
    """
    rows: list[dict] = []
    if rail_lines is not None and len(rail_lines):
        rail = rail_lines.to_crs(crs)
        for line_id, grp in rail.groupby(rail["line_id"].astype(str), sort=True):
            mode = str(grp["rail_class"].iloc[0]) if "rail_class" in grp else "conventional"
            rows.append(_line_row(line_id, grp, mode if mode in MODES else "conventional", ref=None))
    if roads is not None and len(roads) and "road_class" in roads:
        expw = roads[roads["road_class"].isin(EXPRESSWAY_CLASSES)].to_crs(crs)
        if len(expw):
            refs = expw["route_ref"].fillna("").astype(str).str.strip() if "route_ref" in expw else None
            key = refs.where(refs != "", expw["name_zh"].astype(str)) if refs is not None else expw["name_zh"].astype(str)
            for ref, grp in expw.groupby(key, sort=True):
                rows.append(_line_row(str(ref), grp, "expressway", ref=str(ref) if refs is not None else None))
    cols = ["line_id", "name_zh", "name_en", "mode", "ref", "short_zh", "stem_zh", "stem_en", "length_km", "geometry"]
    out = gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=crs)
    return out[out["length_km"] > 0].reset_index(drop=True)


def _line_row(line_id: str, grp: gpd.GeoDataFrame, mode: str, *, ref: str | None) -> dict:
    name_zh = str(grp["name_zh"].iloc[0])
    name_en = str(grp["name_en"].iloc[0]) if "name_en" in grp and pd.notna(grp["name_en"].iloc[0]) else name_zh
    geom = _merged(grp.geometry.values)
    is_ref = mode == "expressway" and ref is not None and ref != name_zh
    return {"line_id": line_id, "name_zh": name_zh, "name_en": name_en, "mode": mode, "ref": ref if is_ref else "",
            "short_zh": short_name(name_zh, mode, ref if is_ref else None), "stem_zh": name_stem(name_zh),
            "stem_en": english_stem(name_en), "length_km": geom.length / 1000.0, "geometry": geom}


def cover_share(a, b, distance_m: float) -> float:
    """The share of line ``a``'s length that lies within ``distance_m`` of ``b`` (0–1)."""
    if a.length <= 0:
        return 0.0
    return float(shapely.intersection(a, shapely.buffer(b, distance_m, quad_segs=4)).length / a.length)


def share_matrix(geoms: Sequence, distance_m: float) -> np.ndarray:
    """``S[i, j]``: the share of line ``i`` within ``distance_m`` of line ``j`` (0 on the diagonal and for lines
    farther apart than ``distance_m``)."""
    geoms = np.asarray(list(geoms), dtype=object)
    n = len(geoms)
    out = np.zeros((n, n))
    if n < 2:
        return out
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=distance_m)
    buffers = shapely.buffer(geoms, distance_m, quad_segs=4)
    for i, j in zip(left, right):
        if i != j and geoms[i].length > 0:
            out[i, j] = shapely.intersection(geoms[i], buffers[j]).length / geoms[i].length
    return out


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))
        self.members = {i: [i] for i in range(n)}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        keep, gone = min(ra, rb), max(ra, rb)
        self.parent[gone] = keep
        self.members[keep] = sorted(self.members[keep] + self.members.pop(gone))


def _reference(group: Sequence[int], lengths: np.ndarray, ids: Sequence[str]) -> int:
    """The longest line of a group (the smallest id among equals)."""
    return min(group, key=lambda i: (-round(float(lengths[i]), 6), str(ids[i])))


def group_lines(geoms: Sequence, lengths: Sequence[float], ids: Sequence[str], *, join_km: float = 8.0,
                join_share: float = 0.5, guard_km: float = 15.0) -> list[list[int]]:
    """Group lines that follow one route (see the module notes).

    Parameters
    ----------
    geoms, lengths, ids
        The lines (metric CRS), their lengths and ids (ids order ties).
    join_km, join_share
        Two lines are linked when ``join_share`` of the shorter lies within ``join_km`` of the other.
    guard_km
        Every line of a group keeps ``join_share`` of its length within ``guard_km`` of the group's longest line.

    Returns
    -------
    list of list of int
        Groups of line indices, each sorted, in the order of their smallest index.
    """
    if join_km <= 0 or not 0 < join_share <= 1:
        raise ConfigError(f"join_km must be > 0 and join_share in (0, 1], got {join_km}, {join_share}",
                          key="belts.join_km", fix="use e.g. join_km = 8, join_share = 0.5.")
    lengths = np.asarray(lengths, dtype=float)
    share = share_matrix(geoms, join_km * 1000.0)
    guard = _guard_share(geoms, guard_km * 1000.0)
    links = []
    for i in range(len(lengths)):
        for j in range(i + 1, len(lengths)):
            short, long_ = (i, j) if (lengths[i], str(ids[i])) < (lengths[j], str(ids[j])) else (j, i)
            if share[short, long_] >= join_share:
                links.append((-share[short, long_], -lengths[long_], str(ids[short]), str(ids[long_]), short, long_))
    uf = _UnionFind(len(lengths))
    for *_, a, b in sorted(links):
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            continue
        merged = uf.members[ra] + uf.members[rb]
        ref = _reference(merged, lengths, ids)
        if all(guard(m, ref) >= join_share for m in merged if m != ref):
            uf.union(a, b)
    return sorted(uf.members.values(), key=min)


def _guard_share(geoms: Sequence, distance_m: float) -> Callable[[int, int], float]:
    """``share(i, j)`` of line ``i`` within ``distance_m`` of line ``j``, computed when first asked."""
    cache: dict[tuple[int, int], float] = {}
    geoms = list(geoms)

    def share(i: int, j: int) -> float:
        if (i, j) not in cache:
            cache[(i, j)] = cover_share(geoms[i], geoms[j], distance_m)
        return cache[(i, j)]

    return share


def _ordered(members: pd.DataFrame) -> pd.DataFrame:
    """Members listed by mode (high-speed rail first, expressways last), longest first within a mode."""
    rank = members["mode"].map({m: k for k, m in enumerate(MODES)}).fillna(len(MODES))
    return members.assign(_rank=rank).sort_values(["_rank", "length_km", "line_id"],
                                                  ascending=[True, False, True]).drop(columns="_rank")


def corridor_name(members: pd.DataFrame, reference: str) -> tuple[str, str, str, str]:
    """``(name_zh, name_en, stem_zh, stem_en)`` of a corridor from its members (:func:`transport_lines` rows).

    The stem is the one shared by two or more members (the most members, then the longest total length), else the
    reference line's: ``京广通道 (京广高铁·京广铁路·G4)``, ``Beijing-Guangzhou corridor``.
    """
    members = _ordered(members)
    counts = members.groupby("stem_zh").agg(n=("line_id", "size"), km=("length_km", "sum"))
    shared = counts[counts["n"] >= 2].sort_values(["n", "km"], ascending=False)
    ref = members[members["line_id"] == reference].iloc[0]
    if len(shared):
        stem = str(shared.index[0])
        stem_en = str(members[members["stem_zh"] == stem].sort_values("length_km", ascending=False)["stem_en"].iloc[0])
    else:
        stem, stem_en = str(ref["stem_zh"]), str(ref["stem_en"])
    shorts = list(dict.fromkeys(members["short_zh"].astype(str)))
    return f"{stem}通道 ({'·'.join(shorts)})", f"{stem_en} corridor", stem, stem_en


def _parts(geom, min_part_km: float) -> list:
    """The parts of a reference line of at least ``min_part_km``, longest first (the longest part at least)."""
    parts = [p for p in getattr(geom, "geoms", [geom]) if p.length > 0]
    parts.sort(key=lambda p: -p.length)
    keep = [p for p in parts if p.length >= min_part_km * 1000.0]
    return keep or parts[:1]


def build_corridors(lines: gpd.GeoDataFrame, *, join_km: float = 8.0, join_share: float = 0.5,
                    guard_km: float = 15.0, min_part_km: float = 20.0) -> gpd.GeoDataFrame:
    """Corridors from :func:`transport_lines` (see the module notes), longest first.

    Returns
    -------
    geopandas.GeoDataFrame
        ``corridor_id, name_zh, name_en, stem_zh, stem_en, modes`` (``;``-joined, in :data:`MODES` order),
        ``members`` (line ids), ``member_names``, ``n_members``, ``reference`` (the line measured along),
        ``length_km`` and the reference line (one part) as geometry, in the lines' CRS.
    """
    cols = ["corridor_id", "name_zh", "name_en", "stem_zh", "stem_en", "modes", "members", "member_names",
            "n_members", "reference", "length_km", "geometry"]
    if not len(lines):
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=lines.crs)
    ids = lines["line_id"].astype(str).tolist()
    groups = group_lines(lines.geometry.values, lines["length_km"].to_numpy(), ids, join_km=join_km,
                         join_share=join_share, guard_km=max(guard_km, join_km))
    rows = []
    for group in groups:
        members = lines.iloc[group]
        ref = ids[_reference(group, lines["length_km"].to_numpy(), ids)]
        name_zh, name_en, stem, stem_en = corridor_name(members, ref)
        ordered = _ordered(members)
        modes = [m for m in MODES if m in set(members["mode"])]
        parts = _parts(shapely.line_merge(lines.geometry.iloc[ids.index(ref)]), min_part_km)
        for k, part in enumerate(parts):
            suffix = "" if len(parts) == 1 else f"#{k + 1}"
            rows.append({"corridor_id": f"{ref}{suffix}", "name_zh": name_zh + (f" 第{k + 1}段" if suffix else ""),
                         "name_en": name_en + (f" part {k + 1}" if suffix else ""), "stem_zh": stem,
                         "stem_en": stem_en, "modes": ";".join(modes), "members": ";".join(ordered["line_id"]),
                         "member_names": "、".join(ordered["name_zh"].astype(str)), "n_members": len(members),
                         "reference": ref, "length_km": round(part.length / 1000.0, 3), "geometry": part})
    out = gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=lines.crs)
    return out.sort_values(["length_km", "corridor_id"], ascending=[False, True]).reset_index(drop=True)
