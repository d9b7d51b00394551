"""The linkage network (网): gravity linkages, link priorities and what-if scenarios.

* :func:`gravity_linkage`: ``G_ij = M_i · M_j / t_ij^β`` over network minutes
  (``t`` floored at ``t_min``), optionally raised where structures differ
  (complementarity: ``× (1 + λ · D_ij / 2)`` with ``D`` the Krugman
  dissimilarity, 0–2).
* :func:`linkage_lines`: the strongest pairs as lines, classed by natural
  breaks, and each node's total linkage.
* :func:`link_priorities`: for strongly linked pairs whose network time is poor
  against an ideal (a terminal time for getting on and off the fast network, plus the crow-fly distance ÷ a
  reference speed),
  ``priority = w(linkage) × time deficit × (1 − utilisation) × urgency`` (``w``: the linkage on a log scale,
  :func:`linkage_weight`), where the
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
    "linkage_weight",
    "spread",
    "linkage_lines",
    "edge_loads",
    "link_priorities",
    "path_lines",
    "linkage_network",
]


@dataclass
class LinkParams:
    """Parameters of the linkage network (``[linkages]`` in the run config)."""

    beta: float = 2.0
    t_min: float = 10.0
    complementarity: float = 0.0
    mode: str = "rail"
    n_lines: int = 80
    n_candidates: int = 600
    linkage_scale: str = "log"
    max_per_node: int = 3
    reference_speed_kmh: float = 100.0
    terminal_min: float = 10.0
    serve_km: float = 10.0
    min_deficit: float = 0.15
    min_crow_km: float = 40.0
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


#: Classes of the fast lines a corridor is made of.
FAST_CLASSES = frozenset({"expressway", "provincial_expressway", "motorway", "hsr", "intercity"})
#: Classes of high-speed passenger rail.
HSR_CLASSES = frozenset({"hsr", "intercity"})


def _edge_info(net: Network, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, str, str, float]]:
    """``(layer, class, line name, length m)`` of the fastest edge behind each undirected key ``(u, v)``
    (``u < v``) asked for, from the network's edge table."""
    if not wanted:
        return {}
    n = net.n_nodes
    e = net.edges
    u = e["u"].to_numpy(np.int64)
    v = e["v"].to_numpy(np.int64)
    key = np.minimum(u, v) * n + np.maximum(u, v)
    keep = np.isin(key, np.fromiter((a * n + b for a, b in wanted), dtype=np.int64, count=len(wanted)))
    table = pd.DataFrame({"key": key[keep], "minutes": e["minutes"].to_numpy(float)[keep],
                          "layer": e["layer"].astype(str).to_numpy()[keep], "cls": e["cls"].astype(str).to_numpy()[keep],
                          "name": e["name"].astype(str).to_numpy()[keep],
                          "length_m": e["length_m"].to_numpy(float)[keep]})
    best = table.sort_values(["key", "minutes"], kind="stable").drop_duplicates("key")
    return {(int(k // n), int(k % n)): (la, c, nm, ln) for k, la, c, nm, ln in
            zip(best["key"], best["layer"], best["cls"], best["name"], best["length_m"])}


def path_lines(path: list[tuple[int, int]], info: dict[tuple[int, int], tuple[str, str, str, float]], *,
               min_share: float = 0.1) -> tuple[list[str], float, float]:
    """The named lines a path rides (in order, each carrying at least ``min_share`` of the path's length),
    and the shares of its length on fast lines and on high-speed rail."""
    total = sum(info[e][3] for e in path if e in info) or 1.0
    by_line: dict[str, float] = {}
    fast = hsr = 0.0
    for e in path:
        if e not in info:
            continue
        layer, cls, name, length = info[e]
        if layer in ("road", "rail") and name and name not in ("nan", "None") and cls in FAST_CLASSES:
            by_line[name] = by_line.get(name, 0.0) + length
        fast += length if cls in FAST_CLASSES else 0.0
        hsr += length if cls in HSR_CLASSES else 0.0
    named = [n for n, km in by_line.items() if km >= min_share * total]
    return named, fast / total, hsr / total


def link_priorities(
    net: Network,
    g: pd.DataFrame,
    times: pd.DataFrame,
    seats: gpd.GeoDataFrame,
    *,
    tiers: pd.Series | None = None,
    params: LinkParams | None = None,
    id_col: str = "adcode",
    corridor_lines: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Ranked proposals of new or upgraded links between strongly linked nodes.

    ``corridor_lines`` (rail lines and expressways with ``name_zh``) tell which pairs a corridor already joins:
    those get an upgrade, never a new link.

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
    ideal = p.terminal_min + crow / p.reference_speed_kmh * 60.0
    deficit = np.clip(1.0 - ideal / np.where(tnet > 0, tnet, np.inf), 0.0, 1.0)
    # utilisation: on the busiest edge of the pair's fastest path, the load that other pairs put there,
    # as a share of the network's peak edge load (the pair's own flow does not count against it)
    util = np.array([max((load.get(e, 0.0) - w for e in paths.get((a, b), [])), default=0.0) / max_load
                     for a, b, w in zip(pairs["a"], pairs["b"], pairs["linkage"])])
    util = np.clip(util, 0.0, 1.0)
    info = _edge_info(net, {e for a, b in zip(pairs["a"], pairs["b"]) for e in paths.get((a, b), [])})
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
    pairs["priority"] = linkage_weight(pairs["linkage"].to_numpy(float), p.linkage_scale) * deficit * (1.0 - util) * urg
    rides = [path_lines(paths.get((a, b), []), info) for a, b in zip(pairs["a"], pairs["b"])]
    pairs["existing_lines"] = ["、".join(r[0]) for r in rides]
    lines_m = corridor_lines.to_crs(net.crs) if corridor_lines is not None else None
    pairs["serving_lines"] = ["、".join(serving_lines(m, a, b, lines_m, p.serve_km * 1000.0))
                              for a, b in zip(pairs["a"], pairs["b"])]
    pairs["fast_share"] = np.round([r[1] for r in rides], 4)
    pairs["hsr_share"] = np.round([r[2] for r in rides], 4)
    # a pair whose fastest trip already rides high-speed rail for most of the way gets no proposal: what is
    # left of its deficit is access and boarding at the stations, not the line
    keep = (pairs["deficit"] >= p.min_deficit) & (pairs["crow_km"] >= p.min_crow_km) & (pairs["hsr_share"] < 0.5)
    pairs = pairs[keep]
    kinds = [_proposal_kind(r, tiers) for r in pairs.itertuples()]
    pairs["proposal"] = [k[0] for k in kinds]
    pairs["reason_zh"] = [_reason(r, k, pts, p, "zh") for r, k in zip(pairs.itertuples(), kinds)]
    pairs["reason_en"] = [_reason(r, k, pts, p, "en") for r, k in zip(pairs.itertuples(), kinds)]
    pairs["name_a"] = pairs["a"].map(pts["name_zh"])
    pairs["name_b"] = pairs["b"].map(pts["name_zh"])
    pairs = pairs.sort_values(["priority", "a", "b"], ascending=[False, True, True])
    pairs = spread(pairs, p.max_per_node).head(p.top).reset_index(drop=True)
    pairs.insert(0, "rank", np.arange(1, len(pairs) + 1))
    geom = [LineString([pts.geometry[a], pts.geometry[b]]) for a, b in zip(pairs["a"], pairs["b"])]
    cols = ["rank", "a", "b", "name_a", "name_b", "linkage", "linkage_rank", "network_min", "ideal_min", "crow_km",
            "deficit", "utilisation", "urgency", "priority", "existing_lines", "serving_lines", "fast_share",
            "hsr_share", "proposal", "reason_zh", "reason_en"]
    return gpd.GeoDataFrame(pairs[cols], geometry=geom, crs=seats.crs)


def spread(pairs: pd.DataFrame, max_per_node: int) -> pd.DataFrame:
    """``pairs`` (in priority order) without those whose end already has ``max_per_node`` proposals above them
    (0: no limit), so that one large node's neighbours do not fill the whole list."""
    if max_per_node <= 0:
        return pairs
    count: dict[str, int] = {}
    keep = []
    for a, b in zip(pairs["a"], pairs["b"]):
        ok = count.get(a, 0) < max_per_node and count.get(b, 0) < max_per_node
        keep.append(ok)
        if ok:
            count[a] = count.get(a, 0) + 1
            count[b] = count.get(b, 0) + 1
    return pairs[np.array(keep, dtype=bool)]


def linkage_weight(linkage: np.ndarray, scale: str = "log") -> np.ndarray:
    """The linkage's weight in a pair's priority.

    ``"log"``: the linkage on a log scale between the weakest and the strongest candidate, mapped to 0.1–1, so
    that a pair ten times more strongly linked counts once more, not ten times more, and the time deficit and
    the network's use still decide among strongly linked pairs (gravity linkages span orders of magnitude and
    would otherwise rank nothing but the neighbours of the largest node). ``"raw"``: the linkage itself.
    """
    x = np.asarray(linkage, float)
    if scale == "raw":
        return x
    if scale != "log":
        raise ValueError(f"linkage_scale must be 'log' or 'raw', not {scale!r}")
    pos = x[x > 0]
    if not len(pos):
        return np.zeros_like(x)
    lo, hi = float(pos.min()), float(pos.max())
    if hi <= lo:
        return np.where(x > 0, 1.0, 0.0)
    with np.errstate(divide="ignore"):
        t = (np.log(np.where(x > 0, x, lo)) - np.log(lo)) / (np.log(hi) - np.log(lo))
    return np.where(x > 0, 0.1 + 0.9 * np.clip(t, 0.0, 1.0), 0.0)


def serving_lines(seats_m: gpd.GeoSeries, a: str, b: str, lines_m: gpd.GeoDataFrame | None, within_m: float
                  ) -> list[str]:
    """Names of the fast lines (rail lines, expressways) that pass within ``within_m`` of both seats: the
    corridors that already join the pair, whether or not its fastest trip rides them."""
    if lines_m is None or not len(lines_m):
        return []
    near_a = lines_m.geometry.distance(seats_m[a]) <= within_m
    near_b = lines_m.geometry.distance(seats_m[b]) <= within_m
    return list(dict.fromkeys(lines_m.loc[near_a & near_b, "name_zh"].astype(str)))


def _proposal_kind(r, tiers: pd.Series | None) -> tuple[str, str]:
    """What a pair needs, from the facts: an upgrade where a corridor already joins it (a fast line passing both
    seats) or carries most of its fastest trip, a new link where none does (rail between two top-tier nodes far
    apart, else an expressway)."""
    if r.serving_lines or r.fast_share >= 0.5:
        return "既有通道提速改造", "upgrade of the existing corridor"
    long_top = r.crow_km >= 120 and tiers is not None and \
        tiers.get(r.a) in ("国家级", "省级") and tiers.get(r.b) in ("国家级", "省级")
    if long_top:
        return "新建城际铁路/高铁联络线", "new intercity or HSR link"
    return "新建高速公路/快速通道", "new expressway or express road"


def _reason(r, kind: tuple[str, str], pts: gpd.GeoDataFrame, p: LinkParams, lang: str) -> str:
    na, nb = pts.loc[r.a, "name_zh"], pts.loc[r.b, "name_zh"]
    ratio = r.network_min / max(r.ideal_min, 1e-9)
    serve_zh = f"；{r.serving_lines}已连接两地" if r.serving_lines else "；尚无快速通道连接两地"
    serve_en = f"; {r.serving_lines} already join the two" if r.serving_lines else "; no fast line joins the two yet"
    if lang == "zh":
        via = f"经{r.existing_lines}" if r.existing_lines else "经普通公路"
        return (f"{na}—{nb}：联系强度居第 {r.linkage_rank} 位；现状{via} {r.network_min:.0f} 分钟，为理想 "
                f"{r.ideal_min:.0f} 分钟（{p.terminal_min:g} 分钟 + 直线 {r.crow_km:.0f} km ÷ {p.reference_speed_kmh:g} km/h）的 "
                f"{ratio:.1f} 倍；"
                f"快速通道占行程 {r.fast_share:.0%}{serve_zh}；现状路径最大负荷 {r.utilisation:.0%}；建议{kind[0]}。")
    via = f"via {r.existing_lines}" if r.existing_lines else "on ordinary roads"
    return (f"{na}–{nb}: linkage rank {r.linkage_rank}; today {r.network_min:.0f} min {via}, {ratio:.1f}× the "
            f"ideal {r.ideal_min:.0f} min ({p.terminal_min:g} min + {r.crow_km:.0f} km crow-fly at "
            f"{p.reference_speed_kmh:g} km/h); fast "
            f"lines carry {r.fast_share:.0%} of the trip{serve_en}; busiest edge on the path at {r.utilisation:.0%} "
            f"of the network's peak load; proposed: {kind[1]}.")


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
    corridor_lines: gpd.GeoDataFrame | None = None,
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
    prio = link_priorities(net, g, times, seats, tiers=tiers, params=p, corridor_lines=corridor_lines)
    report = {"beta": p.beta, "mode": p.mode, "t_min": p.t_min, "complementarity": p.complementarity,
              "reference_speed_kmh": p.reference_speed_kmh, "terminal_min": p.terminal_min,
              "min_crow_km": p.min_crow_km, "min_deficit": p.min_deficit, "linkage_scale": p.linkage_scale,
              "max_per_node": p.max_per_node, "n_candidates": p.n_candidates}
    return lines, totals, prio, report
