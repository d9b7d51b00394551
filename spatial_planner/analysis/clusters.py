"""Cross-county cluster proposals.

Parks that share a leading sector and lie within ``max_minutes`` of each other
by road are linked; the connected components of that graph that span at least
two counties are proposed as regional clusters, with their members, counties,
hull polygon and mass. Components are found with
:func:`scipy.sparse.csgraph.connected_components` on the park-to-park time
matrix, so the grouping is single-linkage: a chain of parks, each close to the
next, forms one cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..crs import projected_crs_for
from .indices import park_mass

__all__ = ["ClusterParams", "cross_county_clusters"]


@dataclass
class ClusterParams:
    """``[clusters]`` in the run config."""

    max_minutes: float = 45.0
    min_parks: int = 2
    min_counties: int = 2
    sector_field: str = "lead_sector"
    hull_buffer_km: float = 3.0


def cross_county_clusters(
    parks: gpd.GeoDataFrame,
    times: pd.DataFrame,
    *,
    sectors: pd.DataFrame | None = None,
    counties: pd.DataFrame | None = None,
    params: ClusterParams | None = None,
    metric_crs=None,
    mass: pd.Series | None = None,
) -> gpd.GeoDataFrame:
    """Group parks of one leading sector within ``max_minutes`` into clusters that cross county borders.

    Parameters
    ----------
    parks
        Parks with ``park_id, county_adcode, lead_sector`` (and areas for the mass).
    times
        Park × park minutes, indexed by ``park_id`` (symmetric or not: the faster direction counts).
    metric_crs
        CRS for the hull buffer; chosen for the parks when omitted.
    mass
        Each park's mass by ``park_id`` (the plan's ``IndustryTable.park_mass``); the park proxy when omitted.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cluster_id, name_zh, name_en, sector, members, member_names, counties, county_names,
        n_parks, n_counties, mass, max_internal_min`` and the hull polygon (EPSG:4490), largest mass first.
    """
    p = params or ClusterParams()
    ids = parks["park_id"].astype(str).to_numpy()
    t = times.reindex(index=ids, columns=ids).to_numpy(float)
    t = np.fmin(t, t.T)
    sector = parks[p.sector_field].astype(str).to_numpy()
    county = parks["county_adcode"].astype(str).to_numpy()
    mass = (mass.reindex(ids).fillna(0.0) if mass is not None else park_mass(parks)).to_numpy(float)
    link = (t <= p.max_minutes) & (sector[:, None] == sector[None, :])
    np.fill_diagonal(link, False)
    _, labels = connected_components(sparse.csr_matrix(link), directed=False)
    metric = metric_crs or projected_crs_for(tuple(parks.to_crs(4490).total_bounds))
    geoms_m = parks.to_crs(metric).geometry.values
    s_zh = dict(zip(sectors["code"], sectors["name_zh"])) if sectors is not None else {}
    s_en = dict(zip(sectors["code"], sectors["name_en"])) if sectors is not None else {}
    cname = dict(zip(counties["adcode"].astype(str), counties["name_zh"])) if counties is not None else {}
    pname = dict(zip(ids, parks["name_zh"]))
    rows = []
    for lab in np.unique(labels):
        idx = np.flatnonzero(labels == lab)
        cs = sorted(set(county[idx]))
        if len(idx) < p.min_parks or len(cs) < p.min_counties:
            continue
        sub = t[np.ix_(idx, idx)]
        hull = shapely.convex_hull(shapely.union_all(geoms_m[idx])).buffer(p.hull_buffer_km * 1000.0)
        sec = sector[idx[0]]
        rows.append({
            "sector": sec, "members": ";".join(ids[idx]), "member_names": "、".join(pname[i] for i in ids[idx]),
            "counties": ";".join(cs), "county_names": "、".join(cname.get(c, c) for c in cs),
            "n_parks": int(len(idx)), "n_counties": len(cs), "mass": round(float(mass[idx].sum()), 2),
            "max_internal_min": round(float(np.nanmax(np.where(np.isfinite(sub), sub, np.nan))), 1),
            "geometry": hull,
        })
    cols = ["cluster_id", "name_zh", "name_en", "sector", "members", "member_names", "counties", "county_names",
            "n_parks", "n_counties", "mass", "max_internal_min", "geometry"]
    if not rows:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs="EPSG:4490")
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=metric).sort_values(
        ["mass", "members"], ascending=[False, True]).reset_index(drop=True)
    out.insert(0, "cluster_id", [f"C{i + 1:02d}" for i in range(len(out))])
    first_names = out["county_names"].str.split("、").map(lambda xs: "—".join(xs[:3]) + ("等" if len(xs) > 3 else ""))
    out.insert(1, "name_zh", [f"{n}{s_zh.get(s, s)}跨县产业集群" for n, s in zip(first_names, out["sector"])])
    out.insert(2, "name_en", [f"{s_en.get(s, s)} cluster across {k} counties" for s, k in
                              zip(out["sector"], out["n_counties"])])
    return out[cols].to_crs("EPSG:4490")
