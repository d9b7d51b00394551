"""The linkage network (网): gravity linkages, link priorities and what-if scenarios.

* :func:`gravity_linkage`: ``G_ij = M_i · M_j / t_ij^β`` over network minutes
  (``t`` floored at ``t_min``), optionally raised where structures differ
  (complementarity: ``× (1 + λ · D_ij / 2)`` with ``D`` the Krugman
  dissimilarity, 0–2).
* :func:`linkage_lines`: the strongest pairs as lines, classed by natural
  breaks, and each node's total linkage.
* :func:`link_priorities`: for strongly linked pairs whose network time is poor
  against an ideal (crow-fly distance ÷ a reference speed),
  ``priority = linkage × time deficit × (1 − utilisation) × urgency``, where the
  deficit is ``1 − t_ideal / t_network``, the utilisation is the load that
  *other* pairs put on the busiest edge of the pair's fastest path under the
  all-pairs linkage-weighted assignment, as a share of the network's peak edge
  load (0–1), and urgency comes from the endpoints' tiers. Each proposal
  carries its reason in words.
* :func:`evaluate_scenario`: add links and recompute county accessibility.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

from ..network.graph import Network
from ..network.paths import walk_to_source
from ..symbology import STRENGTH_CLASSES

__all__ = [
    "LinkParams",
    "gravity_linkage",
    "linkage_lines",
    "edge_loads",
    "link_priorities",
    "linkage_network",
]


@dataclass
class LinkParams:
    """Parameters of the linkage network (``[linkages]`` in the run config)."""

    beta: float = 2.0
    t_min: float = 10.0
    complementarity: float = 0.0
    mode: str = "road"
    n_lines: int = 80
    n_candidates: int = 120
    reference_speed_kmh: float = 100.0
    min_deficit: float = 0.15
    min_crow_km: float = 25.0
    urgency: dict[str, float] = field(default_factory=lambda: {"国家级": 1.5, "省级": 1.25, "市级": 1.0, "县级": 0.8})
    top: int = 20


def gravity_linkage(mass: pd.Series, times: pd.DataFrame, *, beta: float = 2.0, t_min: float = 10.0,
                    dissimilarity: pd.DataFrame | None = None, complementarity: float = 0.0) -> pd.DataFrame:
    """Pairwise gravity linkage ``M_i M_j / max(t_ij, t_min)^β`` (diagonal 0; NaN times give 0).

    Parameters
    ----------
    mass
        Node masses aligned on ``times.index``.
    times
        Square minutes matrix (symmetrise it first for an undirected measure).
    dissimilarity, complementarity
        With λ = ``complementarity`` > 0, multiply by ``1 + λ · D_ij / 2``.
    """
    ids = times.index
    m = mass.reindex(ids).fillna(0.0).to_numpy(float)
    t = np.nan_to_num(times.loc[ids, ids].to_numpy(float), nan=np.inf)
    with np.errstate(divide="ignore"):
        g = np.outer(m, m) / np.power(np.maximum(t, t_min), beta)
    g[~np.isfinite(t)] = 0.0
    if complementarity and dissimilarity is not None:
        d = dissimilarity.reindex(index=ids, columns=ids).fillna(0.0).to_numpy(float)
        g = g * (1.0 + complementarity * d / 2.0)
    np.fill_diagonal(g, 0.0)
    return pd.DataFrame(g, index=ids, columns=ids)


def _pairs(g: pd.DataFrame) -> pd.DataFrame:
    ids = g.index.to_numpy()
    iu, ju = np.triu_indices(len(ids), k=1)
    val = g.to_numpy()[iu, ju]
    return pd.DataFrame({"a": ids[iu], "b": ids[ju], "linkage": val}).sort_values(
        ["linkage", "a", "b"], ascending=[False, True, True]).reset_index(drop=True)


def linkage_lines(g: pd.DataFrame, seats: gpd.GeoDataFrame, *, n_lines: int = 80, id_col: str = "adcode"
                  ) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """The ``n_lines`` strongest pairs as lines classed 强/较强/中等/一般 (Fisher–Jenks), and node totals.

    Returns
    -------
    (lines, totals)
        ``lines``: ``a, b, name_a, name_b, linkage, share`` (of all linkage), ``strength_class``, ``class_rank``;
        ``totals``: Σ_j G_ij per node.
    """
    import mapclassify  # imported on use: it loads scikit-learn

    pts = seats.set_index(seats[id_col].astype(str))
    pairs = _pairs(g).head(n_lines).copy()
    total = float(np.triu(g.to_numpy(), 1).sum()) or 1.0
    pairs["share"] = pairs["linkage"] / total
    k = min(4, pairs["linkage"].nunique())
    if k >= 2:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Numba not installed")
            bins = mapclassify.FisherJenks(pairs["linkage"].to_numpy(), k=k).bins
        cls = np.searchsorted(bins, pairs["linkage"].to_numpy(), side="left")
        rank = (k - 1) - cls
    else:
        rank = np.zeros(len(pairs), dtype=int)
    pairs["class_rank"] = rank + 1
    pairs["strength_class"] = [STRENGTH_CLASSES[min(r, 3)] for r in rank]
    pairs["name_a"] = pairs["a"].map(pts["name_zh"])
    pairs["name_b"] = pairs["b"].map(pts["name_zh"])
    geom = [LineString([pts.geometry[a], pts.geometry[b]]) for a, b in zip(pairs["a"], pairs["b"])]
    lines = gpd.GeoDataFrame(pairs[["a", "b", "name_a", "name_b", "linkage", "share", "strength_class", "class_rank"]],
                             geometry=geom, crs=seats.crs)
    totals = pd.Series(g.to_numpy().sum(axis=1), index=g.index, name="total_linkage")
    return lines, totals


def edge_loads(net: Network, seat_nodes: pd.Series, g: pd.DataFrame, *, mode: str = "road"
               ) -> tuple[dict[tuple[int, int], float], dict[tuple[str, str], list[tuple[int, int]]]]:
    """Linkage-weighted load of every edge under all-pairs fastest paths between seats.

    Runs on SciPy's Dijkstra whatever the accessibility engine: the loads need every pair's path,
    and one predecessor tree per seat gives all of its paths at once, where a contraction
    hierarchy would have to unpack each pair's shortcuts.

    Returns
    -------
    (load, paths)
        ``load[(u, v)]`` (undirected key ``u < v``) = Σ G_ij over pairs whose
        fastest path uses the edge; ``paths[(a, b)]`` the edges of each pair's path.
    """
    csr = net.csr(mode)
    ids = list(g.index)
    nodes = seat_nodes.reindex(ids).to_numpy(np.int64)
    gv = g.to_numpy(float)
    n = csr.shape[0]
    step_pair, step_key = [], []  # every (pair, edge) step of every path, path by path from the far end
    for i in range(len(ids) - 1):
        _, pred = dijkstra(csr, directed=True, indices=int(nodes[i]), return_predecessors=True)
        for which, cur, up in walk_to_source(pred, int(nodes[i]), nodes[i + 1:]):
            step_pair.append(i * len(ids) + i + 1 + which)
            step_key.append(np.minimum(up, cur) * n + np.maximum(up, cur))
    load: dict[tuple[int, int], float] = {}
    paths: dict[tuple[str, str], list[tuple[int, int]]] = {(a, b): [] for k, a in enumerate(ids) for b in ids[k + 1:]}
    if not step_pair:
        return load, paths
    pair_of = np.concatenate(step_pair)
    key_of = np.concatenate(step_key)
    weight = gv[pair_of // len(ids), pair_of % len(ids)]
    keys, where = np.unique(key_of, return_inverse=True)
    totals = np.bincount(where, weights=weight, minlength=len(keys))
    load = {(int(k // n), int(k % n)): float(t) for k, t in zip(keys, totals)}
    order = np.argsort(pair_of, kind="stable")  # steps stay in path order within a pair
    pair_sorted, key_sorted = pair_of[order], key_of[order]
    starts = np.flatnonzero(np.r_[True, pair_sorted[1:] != pair_sorted[:-1]])
    for pk, chunk in zip(pair_sorted[starts], np.split(key_sorted, starts[1:])):
        paths[(ids[pk // len(ids)], ids[pk % len(ids)])] = [(int(k // n), int(k % n)) for k in chunk]
    return load, paths


def _edge_classes(net: Network, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], list[str]]:
    """Road or rail classes of the edges ``(u, v)`` (``u < v``) asked for, from the network's edge table."""
    if not wanted:
        return {}
    n = net.n_nodes
    u = net.edges["u"].to_numpy(np.int64)
    v = net.edges["v"].to_numpy(np.int64)
    key = np.minimum(u, v) * n + np.maximum(u, v)
    keep = np.isin(key, np.fromiter((a * n + b for a, b in wanted), dtype=np.int64, count=len(wanted)))
    table = pd.DataFrame({"key": key[keep], "cls": net.edges["cls"].astype(str).to_numpy()[keep]})
    return {(int(k // n), int(k % n)): sorted(set(c)) for k, c in table.groupby("key")["cls"]}


def link_priorities(
    net: Network,
    g: pd.DataFrame,
    times: pd.DataFrame,
    seats: gpd.GeoDataFrame,
    *,
    tiers: pd.Series | None = None,
    params: LinkParams | None = None,
    id_col: str = "adcode",
) -> gpd.GeoDataFrame:
    """Ranked proposals of new or upgraded links between strongly linked nodes.

    Returns
    -------
    geopandas.GeoDataFrame
        ``rank, a, b, name_a, name_b, linkage, linkage_rank, network_min, ideal_min, crow_km, deficit,
        utilisation, urgency, priority, proposal, reason_zh, reason_en`` and a straight line
        between the seats (EPSG of ``seats``).
    """
    p = params or LinkParams()
    pts = seats.set_index(seats[id_col].astype(str))
    att = net.attach(pts)
    seat_nodes = att["node"]
    load, paths = edge_loads(net, seat_nodes, g, mode=p.mode)
    max_load = max(load.values()) if load else 1.0
    pairs = _pairs(g).head(p.n_candidates).copy()
    pairs["linkage_rank"] = np.arange(1, len(pairs) + 1)
    m = pts.to_crs(net.crs).geometry
    crow = np.array([m[a].distance(m[b]) / 1000.0 for a, b in zip(pairs["a"], pairs["b"])])
    tnet = np.array([times.loc[a, b] for a, b in zip(pairs["a"], pairs["b"])], dtype=float)
    ideal = crow / p.reference_speed_kmh * 60.0
    deficit = np.clip(1.0 - ideal / np.where(tnet > 0, tnet, np.inf), 0.0, 1.0)
    # utilisation: on the busiest edge of the pair's fastest path, the load that other pairs put there,
    # as a share of the network's peak edge load (the pair's own flow does not count against it)
    util = np.array([max((load.get(e, 0.0) - w for e in paths.get((a, b), [])), default=0.0) / max_load
                     for a, b, w in zip(pairs["a"], pairs["b"], pairs["linkage"])])
    util = np.clip(util, 0.0, 1.0)
    cls_of = _edge_classes(net, {e for a, b in zip(pairs["a"], pairs["b"]) for e in paths.get((a, b), [])})
    if tiers is not None:
        urg = np.array([(p.urgency.get(tiers.get(a, ""), 1.0) + p.urgency.get(tiers.get(b, ""), 1.0)) / 2.0
                        for a, b in zip(pairs["a"], pairs["b"])])
    else:
        urg = np.ones(len(pairs))
    pairs["crow_km"] = np.round(crow, 2)
    pairs["network_min"] = np.round(tnet, 2)
    pairs["ideal_min"] = np.round(ideal, 2)
    pairs["deficit"] = np.round(deficit, 4)
    pairs["utilisation"] = np.round(util, 4)
    pairs["urgency"] = urg
    pairs["priority"] = pairs["linkage"] * deficit * (1.0 - util) * urg
    pairs = pairs[(pairs["deficit"] >= p.min_deficit) & (pairs["crow_km"] >= p.min_crow_km)]
    proposals, zh, en = [], [], []
    for r in pairs.itertuples():
        used = {c for e in paths.get((r.a, r.b), []) for c in cls_of.get(e, [])}
        fast = used & {"expressway", "provincial_expressway", "motorway", "hsr", "intercity"}
        long_top = r.crow_km >= 120 and tiers is not None and \
            tiers.get(r.a) in ("国家级", "省级") and tiers.get(r.b) in ("国家级", "省级")
        if long_top:
            kind = ("城际铁路/高铁联络线", "intercity or HSR link")
        elif fast:
            kind = ("既有通道提速改造", "upgrade of the existing corridor")
        else:
            kind = ("新建高速公路/快速通道", "new expressway or express road")
        proposals.append(kind[0])
        na, nb = pts.loc[r.a, "name_zh"], pts.loc[r.b, "name_zh"]
        zh.append(f"{na}—{nb}：联系强度居第 {r.linkage_rank} 位；现状最快 {r.network_min:.0f} 分钟，"
                  f"为理想 {r.ideal_min:.0f} 分钟（直线 {r.crow_km:.0f} km ÷ {p.reference_speed_kmh:g} km/h）的 "
                  f"{r.network_min / max(r.ideal_min, 1e-9):.1f} 倍；现状路径最大负荷 {r.utilisation:.0%}；建议{kind[0]}。")
        en.append(f"{na}–{nb}: linkage rank {r.linkage_rank}; fastest today {r.network_min:.0f} min, "
                  f"{r.network_min / max(r.ideal_min, 1e-9):.1f}× the ideal {r.ideal_min:.0f} min "
                  f"({r.crow_km:.0f} km crow-fly at {p.reference_speed_kmh:g} km/h); busiest edge on the path at "
                  f"{r.utilisation:.0%} of the network's peak load; proposed: {kind[1]}.")
    pairs["proposal"] = proposals
    pairs["reason_zh"] = zh
    pairs["reason_en"] = en
    pairs["name_a"] = pairs["a"].map(pts["name_zh"])
    pairs["name_b"] = pairs["b"].map(pts["name_zh"])
    pairs = pairs.sort_values(["priority", "a", "b"], ascending=[False, True, True]).head(p.top).reset_index(drop=True)
    pairs.insert(0, "rank", np.arange(1, len(pairs) + 1))
    geom = [LineString([pts.geometry[a], pts.geometry[b]]) for a, b in zip(pairs["a"], pairs["b"])]
    cols = ["rank", "a", "b", "name_a", "name_b", "linkage", "linkage_rank", "network_min", "ideal_min", "crow_km",
            "deficit", "utilisation", "urgency", "priority", "proposal", "reason_zh", "reason_en"]
    return gpd.GeoDataFrame(pairs[cols], geometry=geom, crs=seats.crs)


# --------------------------------------------------------------------------- scenarios


def linkage_network(
    net: Network,
    mass: pd.Series,
    times: pd.DataFrame,
    seats: gpd.GeoDataFrame,
    *,
    tiers: pd.Series,
    dissimilarity: pd.DataFrame | None = None,
    params: LinkParams | None = None,
) -> tuple[gpd.GeoDataFrame, pd.Series, gpd.GeoDataFrame, dict]:
    """The 网 of a plan: gravity linkages between seats, the strongest as lines, and the ranked link proposals.

    Returns
    -------
    (lines, totals, priorities, report)
        :func:`linkage_lines`, each node's total linkage, :func:`link_priorities` and the parameters used.
    """
    p = params or LinkParams()
    g = gravity_linkage(mass, times, beta=p.beta, t_min=p.t_min, dissimilarity=dissimilarity,
                        complementarity=p.complementarity)
    lines, totals = linkage_lines(g, seats, n_lines=p.n_lines)
    prio = link_priorities(net, g, times, seats, tiers=tiers, params=p)
    report = {"beta": p.beta, "mode": p.mode, "t_min": p.t_min, "complementarity": p.complementarity,
              "reference_speed_kmh": p.reference_speed_kmh}
    return lines, totals, prio, report
