"""Scale past one machine: shortest paths and spatial joins on Dask.

A province fits on one machine; the whole country (every county seat in
China, thousands of zones, a national road graph of tens of millions of edges)
does not. This module runs the same Dijkstra batches on a ``dask.distributed``
cluster:

* :func:`get_client` connects to a scheduler address, or starts a
  ``LocalCluster`` for ``"local"`` (one process per worker, one thread each:
  SciPy's Dijkstra holds the GIL).
* :func:`dask_shortest_times` scatters the CSR graph **once per worker**
  (``broadcast=True``) and submits one task per batch of sources; each task
  returns only the requested target columns. Results equal
  :func:`spatial_planner.accessibility.shortest_times` exactly (same SciPy
  routine on the same renumbered matrix), except that a single-process OD on
  a two-way network searches each pair once and mirrors it, which may differ
  in the last bit.
* On the ``"ch"`` engine it contracts the graph (or takes the network's
  hierarchy) and runs the targets' backward searches on the client, then
  scatters the hierarchy and the buckets once per worker; each task runs the
  forward searches of a batch of sources. Rows to every node (no targets)
  scatter the hierarchy alone, and each task sweeps it for a batch of
  sources. The result equals the single-process hierarchy's bit for bit.
* :func:`sjoin_points` joins a large point layer (for example a million firm
  points) to polygons with dask-geopandas, partitioned spatially.

See ``docs/scale.md`` for the national-scale plan and its measurements.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import ConfigError
from ..network.graph import search_inputs

__all__ = ["get_client", "scatter_graph", "dask_shortest_times", "sjoin_points"]


@contextmanager
def _session(scheduler, n_workers: int):
    """A client for ``scheduler`` (:func:`get_client`); one this call started is closed with its cluster."""
    own = not hasattr(scheduler, "submit")
    client = get_client(scheduler, n_workers=n_workers)
    try:
        yield client
    finally:
        if own:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()


def get_client(scheduler: str | object = "local", *, n_workers: int = 2, memory_limit: str | None = "auto"):
    """A ``distributed.Client``: ``"local"`` starts a LocalCluster, otherwise ``scheduler`` is an address.

    An existing ``Client`` passed as ``scheduler`` is returned as it is.
    """
    try:
        from distributed import Client, LocalCluster  # the optional `dask` extra
    except ImportError:
        raise ConfigError("Dask is not installed", key="scheduler",
                          fix="pip install 'spatial-planner[dask]' (dask[distributed], dask-geopandas).") from None
    if isinstance(scheduler, Client):
        return scheduler
    if scheduler in (None, "", "local"):
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               memory_limit=memory_limit)
        return Client(cluster)
    if not isinstance(scheduler, str) or "://" not in scheduler and ":" not in scheduler:
        raise ConfigError(f"not a scheduler address: {scheduler!r}", key="scheduler",
                          fix="give tcp://HOST:PORT of a dask scheduler, or 'local'.")
    try:
        return Client(scheduler, timeout="10s")
    except OSError as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}", key="scheduler",
                          fix="start it (dask scheduler) or check the address.") from None


def scatter_graph(client, csr):
    """Send the CSR graph to every worker once (``broadcast=True``); returns its future."""
    return client.scatter(csr, broadcast=True, hash=False)  # a fresh key: a released twin cannot race it


def _scan(packed, sources: np.ndarray) -> np.ndarray:
    ch, buckets = packed
    return ch.scan(sources, buckets)


def _sweep(ch, sources: np.ndarray, reverse: bool) -> np.ndarray:
    return ch.rows(sources, reverse=reverse)


def _batch(csr, sources: np.ndarray, limit: float, targets: np.ndarray | None) -> np.ndarray:
    from scipy.sparse.csgraph import dijkstra

    rows = dijkstra(csr, directed=True, indices=sources, limit=limit)
    return rows if targets is None else rows[:, targets]


def dask_shortest_times(
    net,
    sources: Sequence[int] | np.ndarray,
    *,
    mode: str = "road",
    targets: Sequence[int] | np.ndarray | None = None,
    limit: float | None = None,
    reverse: bool = False,
    scheduler: str | object = "local",
    batch_size: int = 32,
    n_workers: int = 2,
    engine: str = "dijkstra",
) -> np.ndarray:
    """Minutes from each source to every node (or to ``targets``), computed on a Dask cluster.

    Parameters
    ----------
    net
        The :class:`~spatial_planner.network.Network`.
    sources, targets, mode, limit, reverse
        As in :func:`spatial_planner.accessibility.shortest_times`.
    scheduler
        ``"local"`` (a LocalCluster of ``n_workers``), a scheduler address
        ``tcp://host:port``, or a ``distributed.Client``.
    batch_size
        Sources per task.
    engine
        ``"ch"`` for the contraction hierarchy (without a ``limit``: buckets for ``targets``, the
        downward sweep for rows to every node), ``"dijkstra"`` otherwise.

    Returns
    -------
    numpy.ndarray
        Equal, element for element, to the single-process result.
    """
    if engine == "ch" and targets is not None and limit is None:
        return _dask_hierarchy(net, sources, targets, mode=mode, reverse=reverse, scheduler=scheduler,
                               batch_size=batch_size, n_workers=n_workers)
    ch = net.hierarchy(mode) if engine == "ch" and limit is None else None
    if hasattr(ch, "rows"):  # rows to every node; a scenario's overlay has no sweep and stays on Dijkstra
        src = np.asarray(sources, dtype=np.int64)
        with _session(scheduler, n_workers) as client:
            packed = client.scatter(ch, broadcast=True, hash=False)  # once per worker, not once per task
            futures = [client.submit(_sweep, packed, src[i:i + batch_size], reverse, pure=False)
                       for i in range(0, len(src), batch_size)]
            parts = client.gather(futures)
        return np.vstack(parts) if parts else np.zeros((0, net.n_nodes))
    csr, src, tgt = search_inputs(net, sources, targets, mode=mode, reverse=reverse)  # as the single-process engine
    lim = np.inf if limit is None else float(limit)
    with _session(scheduler, n_workers) as client:
        graph = scatter_graph(client, csr)  # once per worker, not once per task
        tgt_f = client.scatter(tgt, broadcast=True, hash=False) if tgt is not None else None
        futures = [client.submit(_batch, graph, src[i:i + batch_size], lim, tgt_f, pure=False)
                   for i in range(0, len(src), batch_size)]
        parts = client.gather(futures)
    return np.vstack(parts) if parts else np.zeros((0, csr.shape[0] if tgt is None else len(tgt)))


def _dask_hierarchy(net, sources, targets, *, mode: str, reverse: bool, scheduler, batch_size: int,
                    n_workers: int) -> np.ndarray:
    """Bucket many-to-many on Dask: buckets on the client, the hierarchy and buckets sent once per worker."""
    src = np.asarray(sources, dtype=np.int64)
    tgt = np.asarray(targets, dtype=np.int64)
    if reverse:
        src, tgt = tgt, src
    ch = net.hierarchy(mode)
    if not hasattr(ch, "buckets"):  # a scenario's overlay: a few base ODs and a small closure, on the client
        out = ch.many_to_many(src, tgt)
        return out.T.copy() if reverse else out
    u_src, src_inv = np.unique(src, return_inverse=True)
    u_tgt, tgt_inv = np.unique(tgt, return_inverse=True)
    buckets = ch.buckets(u_tgt)
    with _session(scheduler, n_workers) as client:
        packed = client.scatter((ch, buckets), broadcast=True, hash=False)  # once per worker, not once per task
        futures = [client.submit(_scan, packed, u_src[i:i + batch_size], pure=False)
                   for i in range(0, len(u_src), batch_size)]
        parts = client.gather(futures)
    out = (np.vstack(parts) if parts else np.zeros((0, len(u_tgt))))[src_inv][:, tgt_inv]
    return out.T.copy() if reverse else out


def sjoin_points(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, *, npartitions: int | None = None,
                 predicate: str = "within", use_dask: bool = True) -> gpd.GeoDataFrame:
    """Join points to the polygons containing them, with dask-geopandas for large layers.

    Parameters
    ----------
    points, polygons
        Layers in the same CRS (converted to the polygons' CRS otherwise).
    npartitions
        Partitions of the point layer (default: one per 250 000 points).
    use_dask
        ``False`` runs plain ``geopandas.sjoin`` (the reference result).

    Returns
    -------
    geopandas.GeoDataFrame
        The points with the polygons' columns, in the points' original order.
    """
    pts = points.to_crs(polygons.crs) if points.crs != polygons.crs else points
    pts = pts.assign(_row=np.arange(len(pts)))
    if not use_dask:
        out = gpd.sjoin(pts, polygons, how="left", predicate=predicate)
    else:
        import dask_geopandas  # the optional `dask` extra

        n = npartitions or max(1, len(pts) // 250_000)
        dpts = dask_geopandas.from_geopandas(pts, npartitions=n)
        # dask-geopandas joins inner only; points in no polygon are added back below (a left join)
        inner = dask_geopandas.sjoin(dpts, polygons, how="inner", predicate=predicate).compute(scheduler="threads")
        missing = pts[~pts["_row"].isin(inner["_row"])]
        out = pd.concat([inner, missing], ignore_index=False)
    out = out.sort_values("_row", kind="stable").drop(columns="_row")
    out = out[~out.index.duplicated(keep="first")] if out.index.has_duplicates else out
    return out
