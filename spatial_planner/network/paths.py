"""Walks up shortest-path trees: paths, and the nodes they pass, from SciPy's predecessor rows."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["walk_to_source", "paths_through"]


def walk_to_source(pred: np.ndarray, source: int, ends: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray,
                                                                                      np.ndarray]]:
    """Walk the fastest paths from ``ends`` back to ``source`` on a predecessor row, all at once.

    ``pred`` is the source's row from :func:`scipy.sparse.csgraph.dijkstra`
    (``return_predecessors=True``). Each step yields ``(which, node, parent)``:
    the positions in ``ends`` of the paths still walking, their current node
    and its predecessor. Ends that are the source or were not reached yield
    nothing. The loop runs as many times as the deepest path has edges, not
    once per node or per path.
    """
    which = np.arange(len(ends))
    cur = np.asarray(ends, dtype=np.int64)
    live = (cur != source) & (pred[cur] >= 0)
    which, cur = which[live], cur[live]
    while len(cur):
        up = pred[cur].astype(np.int64)
        yield which, cur, up
        more = up != source
        which, cur = which[more], up[more]


def paths_through(pred: np.ndarray, source: int, targets: np.ndarray) -> np.ndarray:
    """How many of the fastest paths from ``source`` to ``targets`` pass through each node, ends excluded.

    ``pred`` is the source's predecessor row from
    :func:`scipy.sparse.csgraph.dijkstra`; the targets walk up the tree
    together (:func:`~spatial_planner.network.walk_to_source`).
    """
    counts = np.zeros(len(pred))
    for _, _, up in walk_to_source(pred, source, targets):
        np.add.at(counts, up[up != source], 1.0)
    return counts
