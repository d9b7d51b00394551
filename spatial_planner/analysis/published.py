"""The plan against the province's published clusters: which of its nodes, clusters and belts cover each one.

A published cluster (``gis_data/henan/published_clusters.csv``: the first batch
of Henan's provincial strategic emerging-industry clusters, 2022) names a place
(a prefecture, or a park of it) and one or more sectors. The plan covers it
where, in that place,

* a growth pole of tier 省级 or higher has a location quotient above 1 in one
  of the sectors (``nodes``);
* a cross-county cluster of one of the sectors touches a county (``clusters``);
* a belt of one of the sectors (lead or other) threads a county (``belts``).

This is a check of the plan, not an input to it: nothing here feeds back.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["POLE_TIERS", "published_cluster_check", "recall"]

#: The tiers whose nodes count as growth poles for the check.
POLE_TIERS = ("国家级", "省级")


def _codes(value) -> set[str]:
    return {x for x in str(value or "").split(";") if x and x != "nan"}


def _places(row, counties: pd.DataFrame, parks: pd.DataFrame) -> set[str]:
    """The counties a published cluster sits in: its park's county, else its prefecture's counties."""
    place = str(row.get("place") or "").strip()
    if place and place != "nan":
        hit = parks.loc[parks["name_zh"] == place, "county_adcode"].astype(str)
        if len(hit):
            return set(hit)
    return set(counties.loc[counties["prefecture_zh"] == row["prefecture_zh"], "adcode"].astype(str))


def published_cluster_check(published: pd.DataFrame, *, counties: pd.DataFrame, parks: pd.DataFrame,
                            nodes: pd.DataFrame, location_quotients: pd.DataFrame, clusters: pd.DataFrame,
                            belts: pd.DataFrame, sector_names: dict[str, str] | None = None) -> pd.DataFrame:
    """Side by side: each published cluster and what of the plan covers it.

    Parameters
    ----------
    published
        ``cluster_name, prefecture_zh, place, sectors`` (``;``-separated sector codes).
    counties, parks
        The study area's layers (``adcode, name_zh, prefecture_zh``; ``park_id, name_zh, county_adcode,
        sectors``).
    nodes, location_quotients, clusters, belts
        The plan's tables (``Plan.nodes`` with ``adcode, name_zh, tier``; county × sector location quotients
        indexed or keyed by ``adcode``; clusters and belts with ``sector``, ``counties`` and optionally
        ``other_sectors``, ``name_zh``).

    Returns
    -------
    pandas.DataFrame
        One row per published cluster: ``cluster_name, sectors_zh, places, nodes, clusters, belts, covered``
        and ``why_not`` (for a miss: no park of the sector there, or parks but no pole, cluster or belt).
    """
    names = sector_names or {}
    lq = location_quotients.set_index("adcode") if "adcode" in location_quotients.columns else location_quotients
    lq.index = lq.index.astype(str)
    poles = nodes[nodes["tier"].isin(POLE_TIERS)].assign(adcode=lambda d: d["adcode"].astype(str))
    rows = []
    for row in published.to_dict("records"):
        sectors = _codes(row["sectors"])
        where = _places(row, counties, parks)
        hit_nodes = [r["name_zh"] for r in poles.to_dict("records") if r["adcode"] in where and any(
            s in lq.columns and lq.at[r["adcode"], s] > 1.0 for s in sectors if r["adcode"] in lq.index)]
        hit_clusters = _touching(clusters, sectors, where)
        hit_belts = _touching(belts, sectors, where)
        covered = bool(hit_nodes or hit_clusters or hit_belts)
        has_parks = parks[parks["county_adcode"].astype(str).isin(where)]["sectors"].astype(str).map(
            lambda v: bool(_codes(v) & sectors)).any()
        why = "" if covered else ("该地无此行业园区 no park of the sector there" if not has_parks else
                                  "有此行业园区，但未成为增长极、集群或产业带 parks of the sector, but no pole, "
                                  "cluster or belt")
        rows.append({"order": row.get("order"), "cluster_name": row["cluster_name"],
                     "sectors_zh": "、".join(names.get(s, s) for s in sorted(sectors)),
                     "places": "、".join(sorted(counties.loc[counties["adcode"].astype(str).isin(where),
                                                           "name_zh"].astype(str))) if len(where) <= 3
                     else row["prefecture_zh"],
                     "nodes": "、".join(hit_nodes), "clusters": "、".join(hit_clusters),
                     "belts": "、".join(hit_belts), "covered": covered, "why_not": why})
    return pd.DataFrame(rows)


def _touching(table: pd.DataFrame, sectors: set[str], where: set[str]) -> list[str]:
    """Names of the rows (clusters or belts) of one of ``sectors`` that reach a county of ``where``."""
    if table is None or not len(table) or "counties" not in table.columns:
        return []
    out = []
    for r in table.to_dict("records"):
        own = {str(r.get("sector", ""))} | _codes(r.get("other_sectors", ""))
        if own & sectors and _codes(r["counties"]) & where:
            out.append(str(r.get("name_zh", r.get("belt_id", r.get("cluster_id", "")))))
    return out


def recall(check: pd.DataFrame) -> float:
    """Share of the published clusters the plan covers."""
    return float(check["covered"].mean()) if len(check) else float("nan")
