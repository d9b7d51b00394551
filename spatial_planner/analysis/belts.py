"""Industrial belts (带) along transport axes.

1. **Axes** (:func:`build_axes`): continuous named transport lines. Lines with the
   same name are merged (``shapely.line_merge``), in the manner of COINS
   strokes; a name whose pieces do not join gives one axis per piece.
2. **Members** (:func:`axis_members`): the parks within the corridor distance of
   an axis, each placed by linear referencing at its position (km) along it.
3. **Candidate belts** (:func:`candidate_belts`): for each sector, runs of member
   parks sharing that sector in which consecutive members are at most
   ``max_gap_km`` apart, with at least ``min_parks`` parks in at least
   ``min_counties`` counties.
4. **Score** = mass × continuity × accessibility, each part kept:

   * ``mass``: the sector's proxy (or statistics) mass of the member parks;
   * ``continuity`` = ``1 − mean gap / (2 · max_gap_km)`` (1 when the parks sit
     side by side, 0.5 when every gap is the largest allowed);
   * ``accessibility``: the members' mean hub-access score (0–1, from the node step),
     floored at 0.1 so that a remote belt is not scored zero.
5. **Selection** (:func:`select_belts`): strongest first; a belt that is a
   sub-run of a stronger belt on the same axis and sector is dropped, and a park
   is never claimed twice for the same sector (later belts lose those parks and
   are kept only if what remains is still a valid run).

:func:`axis_corridors` gives the multi-industry view: the densest stretch of
park mass of any sector along each axis (科创走廊-style corridors).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from .indices import IndustryTable, industry_table

__all__ = [
    "BeltParams",
    "build_axes",
    "axis_members",
    "candidate_belts",
    "select_belts",
    "belt_geometries",
    "axis_corridors",
    "transport_axes",
    "find_belts",
]


@dataclass
class BeltParams:
    """Belt detection parameters (``[belts]`` in the run config)."""

    corridor_km: float = 15.0
    max_gap_km: float = 40.0
    min_parks: int = 3
    min_counties: int = 2
    top: int = 15
    corridor_window_km: float = 80.0


def build_axes(lines: gpd.GeoDataFrame, *, name_col: str = "name_zh", kind: str = "", crs=None,
               id_col: str | None = None, name_en_col: str = "name_en") -> gpd.GeoDataFrame:
    """Merge lines by name into continuous axes (metric CRS ``crs``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``axis_id, name_zh, name_en, kind, length_km`` and the merged line.
    """
    g = lines.to_crs(crs) if crs is not None else lines
    rows = []
    for name, grp in g.groupby(name_col, sort=True):
        merged = shapely.line_merge(shapely.union_all(grp.geometry.values))
        parts = list(getattr(merged, "geoms", [merged]))
        parts = [p for p in parts if p.length > 0]
        base = str(grp[id_col].iloc[0]) if id_col and id_col in grp else str(name)
        en = str(grp[name_en_col].iloc[0]) if name_en_col in grp else str(name)
        for k, part in enumerate(sorted(parts, key=lambda p: -p.length)):
            rows.append({"axis_id": base if len(parts) == 1 else f"{base}#{k + 1}", "name_zh": str(name),
                         "name_en": en, "kind": kind, "length_km": part.length / 1000.0, "geometry": part})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=g.crs)


def axis_members(axes: gpd.GeoDataFrame, parks: gpd.GeoDataFrame, *, corridor_km: float = 15.0) -> pd.DataFrame:
    """Parks within ``corridor_km`` of each axis, with their position along it (km).

    ``parks`` must be in the axes' CRS. Returns one row per (axis, park):
    ``axis_id, park_id, position_km, distance_km``.
    """
    tree = shapely.STRtree(parks.geometry.values)
    rows = []
    reps = parks.geometry.representative_point().values
    for axis in axes.itertuples():
        idx = tree.query(axis.geometry, predicate="dwithin", distance=corridor_km * 1000.0)
        for i in idx:
            d = shapely.distance(axis.geometry, parks.geometry.values[i])
            rows.append((axis.axis_id, str(parks["park_id"].iloc[i]),
                         axis.geometry.project(reps[i]) / 1000.0, d / 1000.0))
    return pd.DataFrame(rows, columns=["axis_id", "park_id", "position_km", "distance_km"])


def _segment(line, start_km: float, end_km: float, min_km: float = 1.0):
    """The axis between two positions; at least ``min_km`` long, so members at one spot still give a line."""
    if end_km - start_km < min_km:
        mid = (start_km + end_km) / 2.0
        start_km, end_km = max(mid - min_km / 2.0, 0.0), min(mid + min_km / 2.0, line.length / 1000.0)
    return substring(line, start_km * 1000.0, end_km * 1000.0)


def _industry(parks: pd.DataFrame, industry: IndustryTable | None) -> IndustryTable:
    """The plan's industry table, or the park proxy when a caller gives none."""
    return industry if industry is not None else industry_table(parks, parks["county_adcode"].astype(str).unique())


def _runs(pos: np.ndarray, max_gap: float) -> list[tuple[int, int]]:
    """Maximal index ranges [i, j] of sorted positions whose consecutive gaps are ≤ max_gap."""
    runs, start = [], 0
    for k in range(1, len(pos) + 1):
        if k == len(pos) or pos[k] - pos[k - 1] > max_gap:
            runs.append((start, k - 1))
            start = k
    return runs


def candidate_belts(
    members: pd.DataFrame,
    parks: pd.DataFrame,
    *,
    params: BeltParams | None = None,
    access: pd.Series | None = None,
    industry: IndustryTable | None = None,
) -> pd.DataFrame:
    """Candidate belts: per axis and sector, maximal runs of member parks sharing the sector.

    Parameters
    ----------
    members
        From :func:`axis_members`.
    parks
        Parks with ``park_id, county_adcode, level, sectors`` (and areas).
    access
        Hub-access score (0–1) per ``park_id``; 1 for all when omitted.
    industry
        The plan's :class:`~spatial_planner.analysis.indices.IndustryTable`
        (parks' sector masses); the park proxy when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per candidate: ``axis_id, sector, park_ids`` (list, in order along
        the axis), ``positions``, ``counties``, ``n_parks, n_counties, start_km,
        end_km, span_km, mass, continuity, accessibility, score``.
    """
    p = params or BeltParams()
    sm = _industry(parks, industry).parks[["park_id", "sector", "mass"]]
    county = dict(zip(parks["park_id"].astype(str), parks["county_adcode"].astype(str)))
    acc = access if access is not None else pd.Series(1.0, index=parks["park_id"].astype(str))
    rows = []
    joined = members.merge(sm, on="park_id")
    for (axis_id, sector), grp in joined.groupby(["axis_id", "sector"], sort=True):
        grp = grp.sort_values(["position_km", "park_id"])
        pos = grp["position_km"].to_numpy()
        for i, j in _runs(pos, p.max_gap_km):
            run = grp.iloc[i:j + 1]
            ids = run["park_id"].tolist()
            counties = sorted({county[x] for x in ids})
            if len(ids) < p.min_parks or len(counties) < p.min_counties:
                continue
            rows.append(_belt_row(axis_id, sector, run, counties, acc, p))
    cols = ["axis_id", "sector", "park_ids", "positions", "counties", "n_parks", "n_counties", "start_km", "end_km",
            "span_km", "mass", "continuity", "accessibility", "score"]
    return pd.DataFrame(rows, columns=cols)


def _belt_row(axis_id, sector, run: pd.DataFrame, counties, acc: pd.Series, p: BeltParams) -> dict:
    pos = run["position_km"].to_numpy()
    gaps = np.diff(pos)
    mean_gap = float(gaps.mean()) if len(gaps) else 0.0
    continuity = 1.0 - mean_gap / (2.0 * p.max_gap_km)
    mass = float(run["mass"].sum())
    accessibility = max(float(acc.reindex(run["park_id"]).fillna(0.0).mean()), 0.1)
    return {"axis_id": axis_id, "sector": sector, "park_ids": run["park_id"].tolist(),
            "positions": [round(float(x), 2) for x in pos], "counties": counties, "n_parks": len(run),
            "n_counties": len(counties), "start_km": float(pos.min()), "end_km": float(pos.max()),
            "span_km": float(pos.max() - pos.min()), "mass": mass, "continuity": continuity,
            "accessibility": accessibility, "score": mass * continuity * accessibility}


def select_belts(candidates: pd.DataFrame, members: pd.DataFrame, parks: pd.DataFrame, *,
                 params: BeltParams | None = None, access: pd.Series | None = None,
                 industry: IndustryTable | None = None) -> pd.DataFrame:
    """Non-redundant top belts (see the module notes), strongest first, with a ``rank``."""
    p = params or BeltParams()
    county = dict(zip(parks["park_id"].astype(str), parks["county_adcode"].astype(str)))
    acc = access if access is not None else pd.Series(1.0, index=parks["park_id"].astype(str))
    sm = _industry(parks, industry).parks[["park_id", "sector", "mass"]]
    chosen: list[dict] = []
    claimed: set[tuple[str, str]] = set()
    order = candidates.sort_values(["score", "axis_id", "sector"], ascending=[False, True, True])
    for cand in order.to_dict("records"):
        same = [b for b in chosen if b["axis_id"] == cand["axis_id"] and b["sector"] == cand["sector"]]
        if any(set(cand["park_ids"]) <= set(b["park_ids"]) for b in same):
            continue  # a sub-run of a stronger belt
        free = [x for x in cand["park_ids"] if (x, cand["sector"]) not in claimed]
        if len(free) < len(cand["park_ids"]):
            sub = members[(members["axis_id"] == cand["axis_id"]) & members["park_id"].isin(free)].merge(
                sm[sm["sector"] == cand["sector"]], on="park_id").sort_values(["position_km", "park_id"])
            best = None
            for i, j in _runs(sub["position_km"].to_numpy(), p.max_gap_km):
                run = sub.iloc[i:j + 1]
                counties = sorted({county[x] for x in run["park_id"]})
                if len(run) >= p.min_parks and len(counties) >= p.min_counties:
                    row = _belt_row(cand["axis_id"], cand["sector"], run, counties, acc, p)
                    if best is None or row["score"] > best["score"]:
                        best = row
            if best is None:
                continue
            cand = best
        chosen.append(cand)
        claimed.update((x, cand["sector"]) for x in cand["park_ids"])
        if len(chosen) >= p.top:
            break
    out = pd.DataFrame(chosen, columns=candidates.columns)
    out = out.sort_values("score", ascending=False).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def belt_geometries(belts: pd.DataFrame, axes: gpd.GeoDataFrame, *, corridor_km: float, sectors: pd.DataFrame,
                    counties: pd.DataFrame | None = None, park_names: dict | None = None
                    ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Axis segments and corridor polygons of selected belts, named ``axis + sector + 产业带``.

    Returns
    -------
    (lines, corridors)
        Both with the belt attributes (``belt_id, name_zh, name_en, members, counties, length_km`` ...),
        in the axes' CRS.
    """
    ax = axes.set_index("axis_id")
    s_zh = dict(zip(sectors["code"], sectors["name_zh"]))
    s_en = dict(zip(sectors["code"], sectors["name_en"]))
    cname = dict(zip(counties["adcode"].astype(str), counties["name_zh"])) if counties is not None else {}
    recs = []
    for b in belts.to_dict("records"):
        axis = ax.loc[b["axis_id"]]
        seg = _segment(axis.geometry, b["start_km"], b["end_km"])
        axis_zh = str(axis["name_zh"]).split("(")[0].split("（")[0]
        recs.append({
            "belt_id": f"B{b['rank']:02d}", "rank": b["rank"],
            "name_zh": f"{axis_zh}{s_zh.get(b['sector'], b['sector'])}产业带",
            "name_en": f"{axis['name_en']} {s_en.get(b['sector'], b['sector'])} belt",
            "axis_id": b["axis_id"], "axis_kind": axis["kind"], "sector": b["sector"],
            "members": ";".join(b["park_ids"]),
            "member_names": "、".join((park_names or {}).get(x, x) for x in b["park_ids"]),
            "counties": ";".join(b["counties"]),
            "county_names": "、".join(cname.get(c, c) for c in b["counties"]),
            "n_parks": b["n_parks"], "n_counties": b["n_counties"], "start_km": round(b["start_km"], 2),
            "end_km": round(b["end_km"], 2), "length_km": round(b["span_km"], 2), "mass": round(b["mass"], 2),
            "continuity": round(b["continuity"], 4), "accessibility": round(b["accessibility"], 4),
            "score": round(b["score"], 3), "geometry": seg,
        })
    cols = ["belt_id", "rank", "name_zh", "name_en", "axis_id", "axis_kind", "sector", "members", "member_names",
            "counties", "county_names", "n_parks", "n_counties", "start_km", "end_km", "length_km", "mass",
            "continuity", "accessibility", "score", "geometry"]
    lines = gpd.GeoDataFrame(recs, columns=cols, geometry="geometry", crs=axes.crs)
    corridors = lines.copy()
    corridors["geometry"] = lines.geometry.buffer(corridor_km * 1000.0, quad_segs=8)
    return lines, corridors


def axis_corridors(axes: gpd.GeoDataFrame, members: pd.DataFrame, parks: pd.DataFrame, *,
                   window_km: float = 80.0, min_parks: int = 3, sectors: pd.DataFrame | None = None,
                   industry: IndustryTable | None = None) -> gpd.GeoDataFrame:
    """The densest ``window_km`` stretch of park mass (all sectors) along each axis.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per axis with at least ``min_parks`` parks in its best window:
        ``axis_id, name_zh, start_km, end_km, n_parks, mass`` (in the window), ``mass_per_100km`` (of window),
        ``top_sectors`` and the segment, densest first.
    """
    ind = _industry(parks, industry)
    pm = ind.park_mass.to_dict()
    by_park = {pid: grp for pid, grp in ind.parks.groupby("park_id", sort=False)}
    names = dict(zip(sectors["code"], sectors["name_zh"])) if sectors is not None else {}
    ax = axes.set_index("axis_id")
    rows = []
    for axis_id, grp in members.groupby("axis_id", sort=True):
        grp = grp.sort_values("position_km")
        pos = grp["position_km"].to_numpy()
        m = grp["park_id"].map(pm).to_numpy()
        best = None
        for i in range(len(pos)):
            j = np.searchsorted(pos, pos[i] + window_km, side="right")
            n = j - i
            total = m[i:j].sum()
            if n >= min_parks and (best is None or total > best[2]):
                best = (i, j, total, n)
        if best is None:
            continue
        i, j, total, n = best
        ids = grp["park_id"].iloc[i:j].tolist()
        counts: dict[str, float] = {}
        for x in ids:
            if x in by_park:
                for s, v in zip(by_park[x]["sector"], by_park[x]["mass"]):
                    counts[s] = counts.get(s, 0.0) + v
        top = [names.get(s, s) for s, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:3]]
        start, end = float(pos[i]), float(pos[j - 1])
        axis = ax.loc[axis_id]
        seg = _segment(axis.geometry, start, end)
        rows.append({"axis_id": axis_id, "name_zh": f"{str(axis['name_zh']).split('(')[0]}产业走廊",
                     "start_km": round(start, 2), "end_km": round(end, 2), "n_parks": int(n),
                     "mass": round(float(total), 2), "mass_per_100km": round(float(total) / window_km * 100, 2),
                     "members": ";".join(ids), "top_sectors": "、".join(top), "geometry": seg})
    cols = ["axis_id", "name_zh", "start_km", "end_km", "n_parks", "mass", "mass_per_100km", "members", "top_sectors",
            "geometry"]
    out = gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=axes.crs)
    return out.sort_values(["mass", "axis_id"], ascending=[False, True]).reset_index(drop=True)


def transport_axes(rail_lines: gpd.GeoDataFrame | None, roads: gpd.GeoDataFrame, *, crs) -> gpd.GeoDataFrame:
    """The axes of belts: rail lines merged by name and expressways merged by route, in metric ``crs``."""
    axes = []
    if rail_lines is not None and len(rail_lines):
        axes.append(build_axes(rail_lines, kind="rail", crs=crs, id_col="line_id"))
    expw = roads[roads["road_class"].isin(["expressway", "provincial_expressway"])]
    if len(expw):
        axes.append(build_axes(expw.assign(name_zh=expw["name_zh"].astype(str)), kind="expressway", crs=crs,
                               id_col="route_ref"))
    return gpd.GeoDataFrame(pd.concat(axes, ignore_index=True), geometry="geometry", crs=crs)


def find_belts(
    axes: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    hub_access: pd.Series,
    industry: IndustryTable | None = None,
    params: BeltParams | None = None,
    sectors: pd.DataFrame,
    counties: pd.DataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame, dict]:
    """The 带 of a plan: belts along the axes, their corridors and the multi-industry corridors.

    ``hub_access`` is each county's hub-access score (0–1), given to its parks.

    Returns
    -------
    (belts, belt_corridors, corridors, report)
        In EPSG:4490, with the counts and parameters used in ``report``.
    """
    p = params or BeltParams()
    members = axis_members(axes, parks.to_crs(axes.crs), corridor_km=p.corridor_km)
    park_access = parks["county_adcode"].astype(str).map(hub_access).fillna(0.0)
    park_access.index = parks["park_id"].astype(str)
    cands = candidate_belts(members, parks, params=p, access=park_access, industry=industry)
    chosen = select_belts(cands, members, parks, params=p, access=park_access, industry=industry)
    names = dict(zip(parks["park_id"].astype(str), parks["name_zh"]))
    lines, polys = belt_geometries(chosen, axes, corridor_km=p.corridor_km, sectors=sectors, counties=counties,
                                   park_names=names)
    corridors = axis_corridors(axes, members, parks, industry=industry, window_km=p.corridor_window_km,
                               min_parks=p.min_parks, sectors=sectors)
    report = {"corridor_km": p.corridor_km, "max_gap_km": p.max_gap_km, "min_parks": p.min_parks,
              "min_counties": p.min_counties, "axes": int(len(axes)), "candidates": int(len(cands)),
              "selected": int(len(chosen))}
    return lines.to_crs("EPSG:4490"), polys.to_crs("EPSG:4490"), corridors.to_crs("EPSG:4490"), report
