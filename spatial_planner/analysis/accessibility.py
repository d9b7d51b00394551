"""Accessibility engine: shortest times, OD matrices, hub times, isochrones, indices, rasters.

Two engines answer for the cached graphs of a :class:`~spatial_planner.network.Network`:

* ``"ch"``: a contraction hierarchy (:mod:`spatial_planner.network.hierarchy`) and the
  bucket many-to-many algorithm, for times from many sources to many targets
  (:func:`shortest_times` with ``targets`` and no ``limit``, :func:`od_matrix`
  without kilometres). Contracting a mode costs a few hundred one-to-all searches,
  once per network and mode (kept on the network, and on disk next to an
  OpenStreetMap source); after that an OD costs a few upward searches per place.
  Rows to every node (:func:`shortest_times` without ``targets`` or ``limit``)
  are an upward search and one sweep down the hierarchy per source (PHAST). Its
  threads split the searches.
* ``"dijkstra"``: :func:`scipy.sparse.csgraph.dijkstra` (multi-source, with
  ``limit=``), for everything else: searches with a
  ``limit`` (isochrones), searches from a virtual node (nearest hubs, rasters),
  shortest-path trees (kilometres along the fastest path, edge loads). Many
  sources are split across processes (both cores by default). Workers start
  from a fork server, never forked from the caller, so that a caller with other
  threads (a Jupyter kernel running Dask, a GUI) cannot pass them a held lock;
  the graph reaches each worker once, through shared memory, never pickled per
  task, and each worker writes its rows straight into shared memory (see
  :mod:`spatial_planner.analysis._pool`).

``engine="auto"`` (the default, ``[accessibility] engine`` in the run config)
takes the hierarchy for a many-to-many search when it is already built or saved,
or when there are enough distinct sources for the contraction to pay for itself,
and for rows to every node when it is already built or saved
(:func:`resolve_engine`); both engines give the same minutes to about 1e-12.

Times are minutes. A place is attached to its nearest road node through an
access link (:meth:`Network.attach`); OD times include both access links.
Unreachable pairs are ``inf`` in arrays and carry ``unreachable = True`` in
tables, never a silent NaN.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from .._errors import ConfigError, EmptyLayerError
from ..network.graph import Network, search_inputs
from ._pool import SHARED as _SHARED
from ._pool import can_pool, pool_map

__all__ = [
    "ENGINES",
    "default_workers",
    "resolve_engine",
    "shortest_times",
    "od_matrix",
    "od_wide",
    "nearest_hub_times",
    "isochrones",
    "decay",
    "cumulative_opportunities",
    "gravity_potential",
    "two_step_fca",
    "times_to_nearest",
    "travel_time_surface",
    "zonal_stats",
]

# --------------------------------------------------------------------------- core


def default_workers() -> int:
    """Worker processes to use: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


#: The engines ``engine=`` and ``[accessibility] engine`` accept.
ENGINES = ("auto", "dijkstra", "ch")
#: ``auto``: distinct sources from which contracting a graph pays for itself within one OD. Contracting
#: costs about as much as 300 one-to-all Dijkstras (``benchmarks/bench_ch.py``).
CH_MIN_SOURCES = 300
#: ``auto``: and sources × nodes from which it pays: below, the whole OD takes less time than loading
#: the compiled kernels (a few hundred milliseconds).
CH_MIN_WORK = 20_000_000


def resolve_engine(net: Network, engine: str | None = "auto", *, mode: str = "road", n_sources: int = 0,
                   many_to_many: bool = True, rows: bool = False) -> str:
    """The engine a search runs on: ``"ch"`` or ``"dijkstra"``.

    Searches with a ``limit`` (isochrones, nearest hubs within a time) always use Dijkstra. Rows to
    every node (``rows``: accessibility surfaces, rasters) use the hierarchy's downward sweep
    (:meth:`~spatial_planner.network.hierarchy.Hierarchy.rows`) on ``"ch"``, and on ``"auto"`` when
    the hierarchy costs no contraction; a contraction is not worth it for rows alone. For
    many-to-many, ``"auto"`` takes the hierarchy when it costs no contraction (built on this network,
    or saved on disk), or when there are at least :data:`CH_MIN_SOURCES` distinct sources and
    sources × nodes is at least :data:`CH_MIN_WORK`. The built-in Henan plan (about 11,600 nodes,
    157 seats, 95 parks) stays on Dijkstra; a national graph with thousands of places goes to the
    hierarchy.

    Raises
    ------
    ConfigError
        ``engine`` is not one of :data:`ENGINES`.
    """
    engine = engine or "auto"
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine '{engine}'", key="accessibility.engine",
                          fix=f"use one of: {', '.join(ENGINES)}.")
    if not many_to_many:
        return "ch" if rows and (engine == "ch" or (engine == "auto" and net.has_hierarchy(mode))) else "dijkstra"
    if engine != "auto":
        return engine
    if n_sources >= CH_MIN_SOURCES and n_sources * net.n_nodes >= CH_MIN_WORK:
        return "ch"
    return "ch" if net.has_hierarchy(mode) else "dijkstra"


_EPS = 1e-9  # csgraph treats explicit zeros as missing edges
_BOUND_ROWS = 32  # earlier rows used to bound a search in a symmetric OD


def _worker_rows(bounds) -> None:
    start, stop = bounds
    csr, sources, limit, targets, out = (_SHARED[k] for k in ("csr", "sources", "limit", "targets", "out"))
    rows = dijkstra(csr, directed=True, indices=sources[start:stop], limit=limit)
    out[start:stop] = rows if targets is None else rows[:, targets]


def _rows(csr: sparse.csr_matrix, sources: np.ndarray, limit: float, workers: int,
          targets: np.ndarray | None = None, chunk: int = 16) -> np.ndarray:
    """Dijkstra rows for many sources, split over worker processes (:func:`._pool.pool_map`).

    The graph reaches each worker once, through shared memory (never pickled
    per task), and the result is a shared array that the workers write into
    and the parent returns without copying. With ``targets`` only those
    columns are kept, so a 2 000 × 2 000 OD on a million nodes needs 32 MB,
    not 16 GB.
    """
    n_src = len(sources)
    n_col = csr.shape[0] if targets is None else len(targets)
    if not can_pool(workers, n_src // chunk):
        if targets is None:
            return dijkstra(csr, directed=True, indices=sources, limit=limit)
        out = np.empty((n_src, n_col))
        for i in range(0, n_src, chunk):
            out[i:i + chunk] = dijkstra(csr, directed=True, indices=sources[i:i + chunk], limit=limit)[:, targets]
        return out
    bounds = [(i, min(i + chunk, n_src)) for i in range(0, n_src, chunk)]
    return pool_map(_worker_rows, bounds, workers, inputs={"csr": csr, "sources": sources, "limit": limit,
                                                           "targets": targets},
                    outputs={"out": (n_src, n_col)})["out"]


# ------------------------------------------------------------ symmetric OD


def _symmetric_plan(sources: np.ndarray, targets: np.ndarray, xy: np.ndarray):
    """Search order for an OD whose sources are all among the targets, on a two-way graph.

    Returns ``(uniq, inverse, own_col, rank, col_rank)`` or ``None`` when some
    source is not a target. Sources are searched outermost first (farthest
    from the sources' centroid). A pair of sources is computed once, by
    whichever of the two is searched first; ``col_rank`` is the rank of each
    target column as a source (``-1`` for targets that are not sources, which
    every search must reach).
    """
    uniq, inverse = np.unique(sources, return_inverse=True)
    by_node = np.argsort(targets, kind="stable")
    at = np.searchsorted(targets[by_node], uniq).clip(0, len(targets) - 1)
    if len(uniq) < 2 or not (targets[by_node][at] == uniq).all():
        return None
    own_col = by_node[at]  # first column of each source among the targets
    pts = xy[uniq]
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[np.argsort(-np.hypot(*(pts - pts.mean(axis=0)).T), kind="stable")] = np.arange(len(uniq))
    pos = np.searchsorted(uniq, targets).clip(0, len(uniq) - 1)
    col_rank = np.where(uniq[pos] == targets, rank[pos], -1)
    return uniq, inverse, own_col, rank, col_rank


def _bounded_search(csr, node: int, own: int, needed: np.ndarray, done: np.ndarray, targets: np.ndarray
                    ) -> np.ndarray:
    """One Dijkstra row on the target columns, stopped once every ``needed`` column is settled.

    The stop is exact: for an earlier search from ``j`` (a row of ``done``),
    ``t(node, c) <= t(j, node) + t(j, c)`` on a two-way graph, so the largest
    such bound over the needed columns is a safe ``limit``. The rows nearest
    to ``node`` give the tightest bound. A needed column left unreached (a
    rounding corner case) is recomputed without a limit.
    """
    limit = np.inf
    if len(done) and needed.any():
        back = done[:, own]
        near = np.argpartition(back, _BOUND_ROWS)[:_BOUND_ROWS] if len(back) > _BOUND_ROWS else slice(None)
        bound = (back[near, None] + done[near][:, needed]).min(axis=0).max()
        limit = bound * (1 + 1e-9) + _EPS
    row = dijkstra(csr, directed=True, indices=node, limit=limit)[targets]
    if np.isfinite(limit) and not np.isfinite(row[needed]).all():
        row = dijkstra(csr, directed=True, indices=node)[targets]
    return row


def _symmetric_worker(w: int) -> None:
    csr, uniq, own_col, rank, col_rank, targets, out, workers = (
        _SHARED[k] for k in ("csr", "uniq", "own_col", "rank", "col_rank", "targets", "out", "workers"))
    _symmetric_rows(csr, uniq, own_col, rank, col_rank, targets, out, w, workers)


def _symmetric_rows(csr, uniq, own_col, rank, col_rank, targets, out, w: int, workers: int) -> None:
    """Searches of ranks ``w, w + workers, …`` in rank order, each bounded by this worker's earlier rows."""
    by_rank = np.argsort(rank)
    ranks = range(w, len(uniq), workers)
    done = np.empty((len(ranks), len(targets)))  # this worker's rows so far, in search order
    for m, r in enumerate(ranks):
        k = int(by_rank[r])
        needed = (col_rank > r) | (col_rank < 0)
        row = _bounded_search(csr, int(uniq[k]), int(own_col[k]), needed, done[:m], targets) if needed.any() \
            else np.full(len(targets), np.inf)
        row[col_rank == r] = 0.0
        out[k] = done[m] = row


def _symmetric_od(csr, sources: np.ndarray, targets: np.ndarray, plan, workers: int) -> np.ndarray:
    """OD rows on a two-way graph where every source is also a target: each pair searched once.

    Sources are processed outermost first; a search from a source only has to
    reach the targets not yet searched from, so the later, central searches
    stop early. The missing half is filled from the transpose.
    """
    uniq, inverse, own_col, rank, col_rank = plan
    n_col = len(targets)
    workers = workers if can_pool(workers, len(uniq) // 16) else 1
    if workers == 1:
        out = np.empty((len(uniq), n_col))
        _symmetric_rows(csr, uniq, own_col, rank, col_rank, targets, out, 0, 1)
    else:
        shared = {"csr": csr, "uniq": uniq, "own_col": own_col, "rank": rank, "col_rank": col_rank,
                  "targets": targets, "workers": workers}
        out = pool_map(_symmetric_worker, list(range(workers)), workers, inputs=shared,
                       outputs={"out": (len(uniq), n_col)})["out"]
    # a column searched earlier than its row holds t(row source, column source) in the column source's row
    kk, cc = np.nonzero((col_rank[None, :] >= 0) & (col_rank[None, :] < rank[:, None]))
    by_rank = np.argsort(rank)
    out[kk, cc] = out[by_rank[col_rank[cc]], own_col[kk]]
    return out[inverse]


def shortest_times(
    net: Network,
    sources: Sequence[int] | np.ndarray,
    *,
    mode: str = "road",
    limit: float | None = None,
    workers: int | None = None,
    reverse: bool = False,
    targets: Sequence[int] | np.ndarray | None = None,
    scheduler: str | object | None = None,
    engine: str | None = "auto",
) -> np.ndarray:
    """Minutes from each source node to every node (or to ``targets`` only).

    With ``targets`` and no ``limit`` (a many-to-many search), the ``"ch"``
    engine answers from the mode's contraction hierarchy
    (:meth:`Network.hierarchy`, bucket many-to-many; ``reverse`` swaps the
    roles of sources and targets); rows to every node without a ``limit``
    come from one upward search and one sweep down the hierarchy per source
    (PHAST). With a ``limit``, and on the ``"dijkstra"`` engine, the
    searches are SciPy Dijkstras.

    On Dijkstra with ``targets``, the search runs on the network renumbered along a
    Hilbert curve (:meth:`Network.csr_ordered`) for memory locality, and on a
    two-way network where every source is also a target (and no ``limit``)
    each pair is searched once (see :func:`_symmetric_od`). Rows of every
    node are searched in the network's own numbering: putting a million
    columns back in order would cost more than the locality saves.

    Parameters
    ----------
    net
        The network.
    sources
        Node ids.
    mode
        ``"road"``, ``"rail"`` or ``"freight"``.
    limit
        Stop searching beyond this many minutes (unreached nodes are ``inf``).
    workers
        Processes (Dijkstra) or threads (hierarchy); defaults to the available CPUs. Below 32
        sources Dijkstra uses one process.
    reverse
        Times *to* the sources instead of from them (the transposed graph).
    targets
        Keep only these columns (node ids); saves memory on large graphs.
    scheduler
        Run the batches on Dask instead: ``"local"`` (a LocalCluster) or a
        scheduler address (see :mod:`spatial_planner.distributed`).
    engine
        ``"auto"``, ``"dijkstra"`` or ``"ch"`` (see :func:`resolve_engine`).

    Returns
    -------
    numpy.ndarray
        ``(len(sources), n_nodes or len(targets))`` float64, ``inf`` where unreachable.
    """
    n_src = len(np.unique(np.asarray(sources, dtype=np.int64)))
    eng = resolve_engine(net, engine, mode=mode, n_sources=n_src, many_to_many=targets is not None and limit is None,
                         rows=targets is None and limit is None)
    if scheduler:
        from .distributed import dask_shortest_times

        return dask_shortest_times(net, sources, mode=mode, targets=targets, limit=limit, reverse=reverse,
                                   scheduler=scheduler, n_workers=workers or 2, engine=eng)
    workers = default_workers() if workers is None else workers
    if eng == "ch":
        threads = max(1, workers)
        ch = net.hierarchy(mode, workers=threads)
        if targets is not None:
            if reverse:
                return ch.many_to_many(targets, sources, workers=threads).T.copy()
            return ch.many_to_many(sources, targets, workers=threads)
        if hasattr(ch, "rows"):  # a scenario's overlay has no sweep: its rows stay on Dijkstra
            return ch.rows(sources, reverse=reverse, workers=threads)
    csr, src, tgt = search_inputs(net, sources, targets, mode=mode, reverse=reverse)
    lim = np.inf if limit is None else float(limit)
    if tgt is None:
        return _rows(csr, src, lim, workers)
    if limit is None and net.is_symmetric(mode):
        plan = _symmetric_plan(src, tgt, net.node_xy[net.node_order()[0]])
        if plan is not None:
            return _symmetric_od(csr, src, tgt, plan, workers)
    return _rows(csr, src, lim, workers, tgt)


def _edge_lookup(csr: sparse.csr_matrix) -> np.ndarray:
    """Sorted keys ``u * n + v`` of a CSR matrix's entries, aligned with ``csr.data``."""
    csr.sort_indices()
    n = csr.shape[0]
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(csr.indptr))
    return rows * n + csr.indices.astype(np.int64)


def _tree_lengths(csr_t: sparse.csr_matrix, csr_d: sparse.csr_matrix, keys: np.ndarray, source: int,
                  targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minutes and metres along the fastest path from one source to each target node.

    The metres come from a second Dijkstra on the shortest-path tree weighted by
    edge length: on a tree the path is unique, so this sums the lengths of the
    fastest path's edges in C, without a Python loop over nodes.
    """
    n = csr_t.shape[0]
    times, pred = dijkstra(csr_t, directed=True, indices=source, return_predecessors=True)
    v = np.flatnonzero(pred >= 0)
    u = pred[v].astype(np.int64)
    step = np.maximum(csr_d.data[np.searchsorted(keys, u * n + v)], _EPS)  # csgraph drops explicit zeros
    tree = sparse.csr_matrix((step, (u, v)), shape=(n, n))
    return times[targets], dijkstra(tree, directed=True, indices=source)[targets]


def _worker_paths(bounds) -> None:
    start, stop = bounds
    csr_t, csr_d, keys, sources, targets, out_t, out_m = (
        _SHARED[k] for k in ("csr_t", "csr_d", "keys", "sources", "targets", "out_t", "out_m"))
    for k in range(start, stop):
        out_t[k], out_m[k] = _tree_lengths(csr_t, csr_d, keys, int(sources[k]), targets)


def _path_lengths(net: Network, mode: str, sources: np.ndarray, targets: np.ndarray, workers: int | None = None,
                  chunk: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Minutes and metres along the fastest path from each source to each target node.

    One source at a time, so memory stays at a few rows of the graph whatever the
    number of sources, split over worker processes like :func:`_rows`. Always
    Dijkstra: the metres need each source's shortest-path tree.
    """
    csr_t = net.csr(mode, "minutes")
    csr_d = net.csr(mode, "length_m")
    keys = _edge_lookup(csr_d)
    targets = np.asarray(targets, dtype=np.int64)
    workers = default_workers() if workers is None else workers
    shape = (len(sources), len(targets))
    if not can_pool(workers, len(sources) // 16):  # as in _rows: workers pay from 32 sources
        out_t, out_m = np.empty(shape), np.empty(shape)
        for k, s in enumerate(sources):
            out_t[k], out_m[k] = _tree_lengths(csr_t, csr_d, keys, int(s), targets)
        return out_t, out_m
    bounds = [(i, min(i + chunk, len(sources))) for i in range(0, len(sources), chunk)]
    out = pool_map(_worker_paths, bounds, workers,
                   inputs={"csr_t": csr_t, "csr_d": csr_d, "keys": keys, "sources": sources, "targets": targets},
                   outputs={"out_t": shape, "out_m": shape})
    return out["out_t"], out["out_m"]


def _points_frame(points: gpd.GeoDataFrame, id_col: str | None, name_col: str | None, what: str) -> gpd.GeoDataFrame:
    if points is None or len(points) == 0:
        raise EmptyLayerError(f"no {what} given", layer=what, fix=f"pass at least one {what[:-1]} point.")
    ids = points[id_col].astype(str) if id_col and id_col in points else points.index.astype(str)
    names = points[name_col].astype(str) if name_col and name_col in points else ids
    return gpd.GeoDataFrame({"id": ids.to_numpy(), "name": names.to_numpy()}, geometry=points.geometry.values,
                            crs=points.crs)


def _guess(points: gpd.GeoDataFrame, candidates: Sequence[str]) -> str | None:
    for c in candidates:
        if c in points.columns:
            return c
    return None


_ID_COLS = ("adcode", "park_id", "hub_id", "station_id", "seat_id", "id")
_NAME_COLS = ("name_zh", "name", "名称")


def od_matrix(
    net: Network,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame | None = None,
    *,
    mode: str = "road",
    id_col: str | None = None,
    name_col: str | None = None,
    with_km: bool = True,
    workers: int | None = None,
    scheduler: str | object | None = None,
    engine: str | None = "auto",
) -> pd.DataFrame:
    """Travel-time matrix between two sets of places, as a tidy table.

    Minutes come from :func:`shortest_times` (the contraction hierarchy or
    Dijkstra, see ``engine``). Kilometres along the fastest path need each
    origin's shortest-path tree, so ``with_km`` runs on Dijkstra whatever the
    engine.

    Parameters
    ----------
    net
        The network.
    origins, destinations
        Point (or polygon) layers; ``destinations`` defaults to ``origins``.
    mode
        ``"road"``, ``"rail"`` or ``"freight"``.
    id_col, name_col
        Columns naming the places (guessed: ``adcode``, ``park_id``, ``hub_id`` ...; ``name_zh``).
    with_km
        Also give the kilometres along the fastest path (network part plus access links).
    scheduler
        Compute the minutes on Dask (``"local"`` or an address); kilometres are
        then left empty (they need each source's shortest-path tree).
    engine
        ``"auto"``, ``"dijkstra"`` or ``"ch"`` for the minutes (see :func:`resolve_engine`).

    Returns
    -------
    pandas.DataFrame
        ``origin_id, origin_name, destination_id, destination_name, minutes, km, unreachable``,
        one row per pair, origins in input order.
    """
    destinations = origins if destinations is None else destinations
    oid = id_col or _guess(origins, _ID_COLS)
    did = id_col or _guess(destinations, _ID_COLS)
    on = name_col or _guess(origins, _NAME_COLS)
    dn = name_col or _guess(destinations, _NAME_COLS)
    o = _points_frame(origins, oid, on, "origins")
    d = _points_frame(destinations, did, dn, "destinations")
    oa = net.attach(o)
    da = net.attach(d)
    o_nodes, o_inv = np.unique(oa["node"].to_numpy(), return_inverse=True)
    d_nodes = da["node"].to_numpy()
    if with_km and not scheduler:
        t_nodes, m_nodes = _path_lengths(net, mode, o_nodes, d_nodes, workers)
    else:
        t_nodes = shortest_times(net, o_nodes, mode=mode, workers=workers, targets=d_nodes, scheduler=scheduler,
                                 engine=engine)
        m_nodes = np.full_like(t_nodes, np.nan)
    minutes = t_nodes[o_inv] + oa["access_min"].to_numpy()[:, None] + da["access_min"].to_numpy()[None, :]
    metres = m_nodes[o_inv] + (oa["access_m"].to_numpy()[:, None] + da["access_m"].to_numpy()[None, :]) \
        * net.params.access_detour
    same = o["id"].to_numpy()[:, None] == d["id"].to_numpy()[None, :]
    minutes = np.where(same, 0.0, minutes)
    metres = np.where(same, 0.0, metres)
    n_o, n_d = minutes.shape
    out = pd.DataFrame({
        "origin_id": np.repeat(o["id"].to_numpy(), n_d),
        "origin_name": np.repeat(o["name"].to_numpy(), n_d),
        "destination_id": np.tile(d["id"].to_numpy(), n_o),
        "destination_name": np.tile(d["name"].to_numpy(), n_o),
        "minutes": minutes.ravel(),
        "km": metres.ravel() / 1000.0,
    })
    out["unreachable"] = ~np.isfinite(out["minutes"])
    out.loc[out["unreachable"], ["minutes", "km"]] = np.nan
    return out


def od_wide(od: pd.DataFrame, value: str = "minutes") -> pd.DataFrame:
    """Pivot a tidy OD table to an origins × destinations matrix (input order kept)."""
    rows = pd.unique(od["origin_id"])
    cols = pd.unique(od["destination_id"])
    return od.pivot(index="origin_id", columns="destination_id", values=value).loc[rows, cols]


def nearest_hub_times(
    net: Network,
    places: gpd.GeoDataFrame,
    hubs: gpd.GeoDataFrame,
    *,
    mode: str = "road",
    by: str = "hub_type",
    id_col: str | None = None,
) -> pd.DataFrame:
    """Minutes from each place to the nearest hub of each type.

    One multi-source Dijkstra per hub type, from a virtual node joined to every
    hub of that type by its access time, on the reversed graph (time *to* the
    hub), so the answer is exact. Always SciPy's Dijkstra: one search per hub
    type answers every place, which no hierarchy query beats.

    Returns
    -------
    pandas.DataFrame
        Index: the places' ids; one column per hub type (``min_to_<type>``) and
        one naming the nearest hub (``nearest_<type>``).
    """
    pid = id_col or _guess(places, _ID_COLS)
    p = _points_frame(places, pid, None, "places")
    pa = net.attach(p)
    out = pd.DataFrame(index=pd.Index(p["id"], name="id"))
    csr_rev = net.csr_reverse(mode)
    n = csr_rev.shape[0]
    for kind, group in hubs.groupby(by, sort=True):
        ha = net.attach(group)
        # virtual node n → each hub node, weighted by the hub's access time
        extra = sparse.csr_matrix(
            (ha["access_min"].to_numpy() + _EPS, (np.full(len(ha), n), ha["node"].to_numpy())),
            shape=(n + 1, n + 1))
        g = sparse.bmat([[csr_rev, None], [None, sparse.csr_matrix((1, 1))]], format="csr") + extra
        t, pred = dijkstra(g, directed=True, indices=n, return_predecessors=True)
        times = t[pa["node"].to_numpy()] - _EPS + pa["access_min"].to_numpy()
        out[f"min_to_{kind}"] = np.where(np.isfinite(times), np.maximum(times, 0.0), np.nan)
        # which hub: the first node after the virtual one on the path
        hub_names = group.get("name_zh", group.get(by)).astype(str).to_numpy()
        node_to_hub = {}
        for node, name, acc in sorted(zip(ha["node"].to_numpy(), hub_names, ha["access_min"].to_numpy()),
                                      key=lambda r: r[2], reverse=True):
            node_to_hub[node] = name  # several hubs on one node: the closest one wins
        first = _first_after_root(pred, n, pa["node"].to_numpy())
        out[f"nearest_{kind}"] = [node_to_hub.get(f, "") for f in first]
    out["unreachable"] = out.filter(like="min_to_").isna().any(axis=1)
    return out


def _first_after_root(pred: np.ndarray, root: int, nodes: np.ndarray) -> list[int]:
    res = []
    for v in nodes:
        prev = -1
        cur = int(v)
        steps = 0
        while cur != root and cur >= 0 and steps <= len(pred):
            prev, cur = cur, int(pred[cur])
            steps += 1
        res.append(prev if cur == root else -1)
    return res


# --------------------------------------------------------------------------- isochrones


def isochrones(
    net: Network,
    origin,
    minutes: Sequence[float] = (30, 60, 90),
    *,
    mode: str = "road",
    study_area=None,
    quad_segs: int = 8,
) -> gpd.GeoDataFrame:
    """Isochrone bands around a place.

    A road node reached at time ``t < T`` extends the area by a disc of the
    remaining ``T − t`` minutes at the off-network access speed (divided by the
    access detour). The area reached within ``T`` is the union of those discs
    (and of the origin's own); each band is that area minus the previous one,
    so bands never overlap and the cumulative areas are nested. Bands are
    clipped to ``study_area``. The node times come from one Dijkstra with a
    ``limit`` (every node within the largest threshold), whatever the engine.

    Parameters
    ----------
    origin
        A shapely point in EPSG:4490, or a one-row GeoDataFrame/GeoSeries.
    minutes
        Increasing thresholds.
    study_area
        Geometry (EPSG:4490) to clip to.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per band: ``minutes`` (upper bound), ``from_minutes``, ``area_km2``, in EPSG:4490.
    """
    thresholds = sorted(float(m) for m in minutes)
    if not thresholds or thresholds[0] <= 0:
        raise ConfigError("isochrone thresholds must be positive minutes", key="minutes",
                          fix="give e.g. 30,60,90.")
    if isinstance(origin, (gpd.GeoDataFrame, gpd.GeoSeries)):
        pts = origin if isinstance(origin, gpd.GeoSeries) else origin.geometry
    else:
        pts = gpd.GeoSeries([origin], crs="EPSG:4490")
    att = net.attach(pts.iloc[:1])
    start = int(att["node"].iloc[0])
    t = shortest_times(net, [start], mode=mode, limit=thresholds[-1], workers=1)[0] + att["access_min"].iloc[0]
    p = net.params
    speed_m_per_min = p.access_speed_kmh * 1000.0 / 60.0 / p.access_detour
    road = net.node_layer == 0
    origin_xy = pts.to_crs(net.crs).iloc[0]
    clip = None
    if study_area is not None:
        clip = gpd.GeoSeries([study_area], crs="EPSG:4490").to_crs(net.crs).iloc[0]
    rows = []
    previous = None
    for T in thresholds:
        reach = road & (t < T)
        radii = (T - t[reach]) * speed_m_per_min
        discs = shapely.buffer(shapely.points(net.node_xy[reach]), radii, quad_segs=quad_segs)
        area = shapely.union_all(np.append(discs, shapely.buffer(origin_xy, T * speed_m_per_min, quad_segs=quad_segs)))
        if clip is not None:
            area = shapely.intersection(area, clip)
        area = shapely.make_valid(area)
        band = area if previous is None else shapely.make_valid(shapely.difference(area, previous))
        rows.append({"minutes": T, "from_minutes": 0.0 if previous is None else rows[-1]["minutes"],
                     "area_km2": band.area / 1e6, "cumulative_km2": area.area / 1e6, "geometry": band})
        previous = area
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs)
    return gdf.to_crs("EPSG:4490")


# --------------------------------------------------------------------------- indices


def decay(t: np.ndarray, *, kind: str = "exp", beta: float | None = None, half_life: float = 30.0,
          t_min: float = 5.0) -> np.ndarray:
    """Distance-decay weights of travel times (minutes).

    Parameters
    ----------
    kind
        ``"exp"``: ``exp(−β t)``, with ``β = ln 2 / half_life`` unless given
        (the weight halves every ``half_life`` minutes; 30 by default).
        ``"power"``: ``max(t, t_min)^−β`` with ``β = 1`` unless given; ``t_min``
        keeps very short times from dominating.
    """
    t = np.asarray(t, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if kind == "exp":
            b = math.log(2.0) / half_life if beta is None else beta
            w = np.exp(-b * t)
        elif kind == "power":
            b = 1.0 if beta is None else beta
            w = np.power(np.maximum(t, t_min), -b)
        else:
            raise ConfigError(f"unknown decay '{kind}'", key="decay", fix="use 'exp' or 'power'.")
    return np.where(np.isfinite(t), w, 0.0)


def cumulative_opportunities(times: pd.DataFrame, mass: pd.Series | None = None, *, threshold: float = 60.0
                             ) -> pd.DataFrame:
    """Count and mass of destinations reachable within ``threshold`` minutes.

    Parameters
    ----------
    times
        Origins × destinations minutes (``od_wide``), NaN/inf where unreachable.
    mass
        Destination masses aligned on ``times.columns`` (1 each when omitted).

    Returns
    -------
    pandas.DataFrame
        ``count_within``, ``mass_within``, indexed like ``times``.
    """
    t = times.to_numpy(dtype=float)
    m = np.ones(t.shape[1]) if mass is None else mass.reindex(times.columns).fillna(0.0).to_numpy(float)
    within = np.nan_to_num(t, nan=np.inf) <= threshold
    return pd.DataFrame({"count_within": within.sum(axis=1), "mass_within": within @ m}, index=times.index)


def gravity_potential(times: pd.DataFrame, mass: pd.Series | None = None, *, kind: str = "exp",
                      beta: float | None = None, half_life: float = 30.0, t_min: float = 5.0,
                      include_self: bool = True) -> pd.Series:
    """Hansen gravity potential ``A_i = Σ_j M_j f(t_ij)``.

    See :func:`decay` for ``kind``, ``beta``, ``half_life`` and ``t_min``.
    ``include_self=False`` leaves out pairs with the same id.
    """
    t = np.nan_to_num(times.to_numpy(dtype=float), nan=np.inf)
    m = np.ones(t.shape[1]) if mass is None else mass.reindex(times.columns).fillna(0.0).to_numpy(float)
    w = decay(t, kind=kind, beta=beta, half_life=half_life, t_min=t_min)
    if not include_self:
        same = times.index.to_numpy()[:, None] == times.columns.to_numpy()[None, :]
        w = np.where(same, 0.0, w)
    return pd.Series(w @ m, index=times.index, name="gravity_potential")


def two_step_fca(times: pd.DataFrame, demand: pd.Series, supply: pd.Series, *, threshold: float = 60.0
                 ) -> pd.Series:
    """Two-step floating catchment area (Luo & Wang 2003) with a binary catchment.

    Step 1: each supply site ``j`` gets ``R_j = S_j / Σ_{i: t_ij ≤ T} P_i``.
    Step 2: each demand place gets ``A_i = Σ_{j: t_ij ≤ T} R_j``.

    Parameters
    ----------
    times
        Demand places × supply sites minutes.
    demand, supply
        ``P_i`` aligned on ``times.index``, ``S_j`` on ``times.columns``.
    """
    t = np.nan_to_num(times.to_numpy(dtype=float), nan=np.inf)
    within = t <= threshold
    p = demand.reindex(times.index).fillna(0.0).to_numpy(float)
    s = supply.reindex(times.columns).fillna(0.0).to_numpy(float)
    pop = within.T @ p
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(pop > 0, s / pop, 0.0)
    return pd.Series(within @ r, index=times.index, name="access_2sfca")


# --------------------------------------------------------------------------- surfaces


def times_to_nearest(net: Network, targets: gpd.GeoDataFrame, *, mode: str = "road") -> np.ndarray:
    """Minutes from every node to the nearest of ``targets`` (access link at the target included).

    One Dijkstra on the reversed graph from a virtual node joined to each
    target's node by that target's access time (SciPy's, whatever the engine:
    one search gives every node).
    """
    if targets is None or len(targets) == 0:
        raise EmptyLayerError("no targets given", layer="targets", fix="pass at least one target point.")
    ta = net.attach(targets)
    csr_rev = net.csr_reverse(mode)
    n = csr_rev.shape[0]
    extra = sparse.csr_matrix((ta["access_min"].to_numpy() + _EPS, (np.full(len(ta), n), ta["node"].to_numpy())),
                              shape=(n + 1, n + 1))
    g = sparse.bmat([[csr_rev, None], [None, sparse.csr_matrix((1, 1))]], format="csr") + extra
    t = dijkstra(g, directed=True, indices=n)[:n] - _EPS
    return np.maximum(t, 0.0)


def travel_time_surface(
    net: Network,
    targets: gpd.GeoDataFrame,
    study_area,
    *,
    mode: str = "road",
    resolution: float = 1000.0,
    k: int = 8,
):
    """Raster of minutes to the nearest target, in the network's projected CRS.

    A cell's time is the best of: walking (off-network speed and detour) to one
    of its ``k`` nearest road nodes and travelling on from there; or walking
    straight to a target. Cells outside ``study_area`` are NaN. The node times
    are :func:`times_to_nearest` (one Dijkstra).

    Parameters
    ----------
    study_area
        Geometry in EPSG:4490.
    resolution
        Cell size in metres (1000 by default).

    Returns
    -------
    (array, transform, crs)
        ``float32`` array (NaN outside), its affine transform and CRS.
    """
    from rasterio.features import geometry_mask
    from rasterio.transform import from_origin
    from scipy.spatial import cKDTree

    if resolution <= 0:
        raise ConfigError(f"resolution must be positive, got {resolution}", key="resolution",
                          fix="give a cell size in metres, e.g. 1000.")
    area = gpd.GeoSeries([study_area], crs="EPSG:4490").to_crs(net.crs).iloc[0]
    minx, miny, maxx, maxy = area.bounds
    minx = math.floor(minx / resolution) * resolution
    maxy = math.ceil(maxy / resolution) * resolution
    width = int(math.ceil((maxx - minx) / resolution))
    height = int(math.ceil((maxy - miny) / resolution))
    transform = from_origin(minx, maxy, resolution, resolution)
    inside = ~geometry_mask([area], out_shape=(height, width), transform=transform, all_touched=False)
    rows, cols = np.nonzero(inside)
    cx = minx + (cols + 0.5) * resolution
    cy = maxy - (rows + 0.5) * resolution
    cells = np.column_stack([cx, cy])
    p = net.params
    m_per_min = p.access_speed_kmh * 1000.0 / 60.0 / p.access_detour
    t_node = times_to_nearest(net, targets, mode=mode)
    tree, ids = net.road_tree()
    kk = min(k, len(ids))
    dist, idx = tree.query(cells, k=kk)
    if kk == 1:
        dist, idx = dist[:, None], idx[:, None]
    best = np.min(t_node[ids[idx]] + dist / m_per_min, axis=1)
    txy = np.column_stack([targets.to_crs(net.crs).representative_point().x,
                           targets.to_crs(net.crs).representative_point().y])
    direct, _ = cKDTree(txy).query(cells)
    best = np.minimum(best, direct / m_per_min)
    out = np.full((height, width), np.nan, dtype=np.float32)
    out[rows, cols] = best.astype(np.float32)
    return out, transform, net.crs


def zonal_stats(array: np.ndarray, transform, crs, zones: gpd.GeoDataFrame, *, id_col: str = "adcode"
                ) -> pd.DataFrame:
    """Mean, median, min and max of a raster per zone (cells whose centre lies in the zone).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``zones[id_col]``: ``mean``, ``median``, ``min``, ``max``, ``cells``.
    """
    from rasterio.features import rasterize

    z = zones.to_crs(crs)
    codes = rasterize(((g, i + 1) for i, g in enumerate(z.geometry.values)), out_shape=array.shape,
                      transform=transform, fill=0, dtype="int32")
    valid = (codes > 0) & np.isfinite(array)
    df = pd.DataFrame({"zone": codes[valid] - 1, "v": array[valid].astype(float)})
    g = df.groupby("zone")["v"]
    stats = pd.DataFrame({"mean": g.mean(), "median": g.median(), "min": g.min(), "max": g.max(),
                          "cells": g.size()})
    stats = stats.reindex(range(len(z)))
    stats.index = pd.Index(z[id_col].astype(str).to_numpy(), name=id_col)
    return stats
