"""Contraction hierarchies: exact many-to-many travel times whose cost grows with the places, not the pairs.

A contraction hierarchy (Geisberger et al. 2008) removes the nodes of a graph
one by one, least important first. Removing a node ``v`` adds a *shortcut*
``u → w`` for each pair of its neighbours whose fastest path runs through
``v`` (a bounded Dijkstra, the witness search, looks for one as fast that does
not). Every fastest path then has a twin that climbs to its most important
node and descends from it, so a search from a node only ever goes *up*: a
few hundred to a few thousand nodes on a road network of millions.

Many-to-many times use the bucket algorithm (Knopp et al. 2007): one upward
search against the arcs from each target leaves ``(target, minutes)`` in a
bucket at every node it reaches; one upward search from each source scans the
buckets of the nodes it reaches, and ``t(s, c) = min_x d(s, x) + d(x, c)``.
The work grows with the number of places (plus one bucket scan per pair at
the few top nodes), not with their product times the graph as with
one Dijkstra per source.

* :func:`build_hierarchy` contracts a CSR matrix of minutes (any directed
  graph with weights ``>= 0``, read as :func:`scipy.sparse.csgraph.dijkstra`
  reads it).
* :class:`Hierarchy` answers :meth:`Hierarchy.many_to_many`, and saves and
  loads itself (:meth:`Hierarchy.save`, :meth:`Hierarchy.load`). Its
  :attr:`Hierarchy.key` is a content hash of the matrix it came from.
* :func:`cached_hierarchy` builds one, or loads it from a folder of earlier
  builds keyed by that hash.
* :meth:`spatial_planner.network.Network.hierarchy` keeps one per mode on the
  network.
* :class:`Overlay` (made by :func:`overlay`) answers for a graph with a few
  arcs added to a contracted one, a what-if scenario, exactly and without a
  second contraction.

Each contraction is chosen by a priority (edge quotient, hop quotient and
level; Geisberger's thesis) with lazy updates; witness searches stop after
a few dozen settled nodes, which can only add shortcuts that were not
needed, never lose a path. The least nodes are taken a batch at a time, no
two of them neighbours, and their witness searches run on all of numba's
threads (``NUMBA_NUM_THREADS``) in the same graph; a witness must then be
strictly faster than the path it replaces, which keeps every fastest path
even where the witnesses of two nodes of a batch run through each other. The
hierarchy does not depend on the number of threads. Queries use
stall-on-demand.

The loops are in :mod:`spatial_planner.network._ch_kernels`, compiled with
numba; ``SPATIAL_PLANNER_CH_KERNEL=python`` (or ``kernel="python"``) runs the
same code uncompiled, which is what the tests do on small graphs and what
happens where numba is not installed. Results are exact: the minutes are the
same sums of the same float weights as a Dijkstra's, added in another order
(they agree to about 1e-12 relative).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy import sparse

from .._errors import ConfigError, DataFileError

__all__ = ["CACHE_ENV", "KERNEL_ENV", "OVERLAY_MAX_NODES", "Buckets", "Hierarchy", "Overlay", "build_hierarchy",
           "cached_hierarchy", "csr_key", "kernels", "on_disk", "overlay"]

#: Environment variable choosing the kernel: ``numba`` (the default when installed) or ``python``.
KERNEL_ENV = "SPATIAL_PLANNER_CH_KERNEL"
#: Environment variable naming a folder where hierarchies are saved and found again (off when unset).
CACHE_ENV = "SPATIAL_PLANNER_CH_CACHE"
_FORMAT = 2  # bump when the contraction or the file layout changes: old files are then ignored
_SIM_LIMIT = 10  # nodes a witness search settles when a contraction is first estimated (priorities)
_LIMIT = 60  # ... and when it is simulated again before the node is contracted
_BATCH = 128  # nodes simulated at once (on numba's threads) before they are contracted one after another
_STEP = 1.0  # priorities are rounded down to a multiple of this (see _ch_kernels._priority)
_KERNELS: dict[bool, object] = {}


def kernels(kernel: str | None = None):
    """The kernel module: compiled (``"numba"``) or the same code in plain Python (``"python"``).

    ``None`` reads :data:`KERNEL_ENV` and falls back to Python where numba is missing. The module is
    loaded from its file on first use, once per variant: importing numba takes longer than a whole
    OD on a small network, so a run that never contracts a graph never pays for it.
    """
    kernel = kernel or os.environ.get(KERNEL_ENV, "") or "numba"
    if kernel not in ("numba", "python"):
        raise ConfigError(f"unknown hierarchy kernel '{kernel}'", key=KERNEL_ENV, fix="use 'numba' or 'python'.")
    python = kernel == "python" or importlib.util.find_spec("numba") is None
    if python not in _KERNELS:
        name = f"{__package__}._ch_kernels" + ("_python" if python else "")
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("_ch_kernels.py"))
        mod = importlib.util.module_from_spec(spec)
        mod.JIT = not python  # read by the module: compile its functions or leave them plain
        spec.loader.exec_module(mod)
        _KERNELS[python] = mod
    return _KERNELS[python]


def csr_key(csr: sparse.csr_matrix) -> str:
    """A content hash of a CSR matrix (shape, structure and weights) and of the hierarchy format."""
    m = _clean_csr(csr)
    h = hashlib.blake2b(digest_size=16)
    h.update(f"ch{_FORMAT}:{m.shape[0]}:{m.nnz}".encode())
    for a in (m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data.astype(np.float64)):
        h.update(np.ascontiguousarray(a).data)
    return h.hexdigest()


def _clean_csr(csr: sparse.csr_matrix) -> sparse.csr_matrix:
    """Canonical form, as :func:`scipy.sparse.csgraph.dijkstra` reads a matrix: float64, sorted, no
    self-loops, the fastest of parallel entries; explicit zeros are arcs of 0 minutes."""
    if csr.ndim != 2 or csr.shape[0] != csr.shape[1]:
        raise ConfigError(f"a graph matrix must be square, got {csr.shape}", key="graph",
                          fix="pass the n × n CSR matrix of a network mode.")
    coo = sparse.coo_matrix(csr)
    r, c, w = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64)
    if len(w) and (not np.isfinite(w).all() or (w < 0).any()):
        raise ConfigError("a graph matrix has negative or non-finite minutes", key="graph",
                          fix="travel times must be finite and >= 0.")
    keep = r != c
    r, c, w = r[keep], c[keep], w[keep]
    order = np.lexsort((w, c, r))
    r, c, w = r[order], c[order], w[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    r, c, w = r[first], c[first], w[first]
    n = csr.shape[0]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    return sparse.csr_matrix((w, c, indptr), shape=(n, n))


def _split(n: int, parts: int) -> list[tuple[int, int]]:
    bounds = np.linspace(0, n, max(1, min(parts, n)) + 1).astype(int)
    return [(int(a), int(b)) for a, b in pairwise(bounds) if b > a]


@dataclass
class Hierarchy:
    """A contracted graph, ready for many-to-many queries.

    Nodes are renumbered by importance, most important first: node ``k`` of
    the original graph is ``pos[k]`` here. ``fwd_*`` is the upward graph
    that searches from sources follow (arcs ``a → b`` of the original
    direction with ``b`` above ``a``); ``bwd_*`` the one that searches
    towards targets follow (arcs ``b → a`` of the original direction, stored
    at ``a``, with ``b`` above ``a``). Each also tells the other's searches
    which arcs come down into a node (stall-on-demand).

    Attributes
    ----------
    key
        :func:`csr_key` of the matrix it was built from.
    """

    key: str
    pos: np.ndarray
    fwd_ptr: np.ndarray
    fwd_head: np.ndarray
    fwd_min: np.ndarray
    bwd_ptr: np.ndarray
    bwd_head: np.ndarray
    bwd_min: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.pos)

    @property
    def n_arcs(self) -> int:
        """Arcs of both upward graphs (original arcs and shortcuts)."""
        return int(len(self.fwd_head) + len(self.bwd_head))

    def _graphs(self, reverse: bool):
        f = (self.fwd_ptr, self.fwd_head, self.fwd_min)
        b = (self.bwd_ptr, self.bwd_head, self.bwd_min)
        return (b, f) if reverse else (f, b)

    def search_spaces(self, nodes, *, backward: bool = False, workers: int = 1, kernel: str | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Upward search spaces of original ``nodes``: ``(counts, hierarchy node, minutes)``, concatenated.

        ``backward`` searches the arcs into each node (times *to* it).
        """
        k = kernels(kernel)
        (g, s) = self._graphs(backward)
        nodes = self.pos[np.asarray(nodes, dtype=np.int64)]
        parts = _split(len(nodes), workers)

        def run(b):
            return k.search_spaces(*g, *s, nodes[b[0]:b[1]])

        res = _map(run, parts, workers)
        if not res:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return tuple(np.concatenate([r[i] for r in res]) for i in range(3))

    def _check(self, nodes, what: str) -> np.ndarray:
        a = np.asarray(nodes, dtype=np.int64).ravel()
        if len(a) and (a.min() < 0 or a.max() >= self.n_nodes):
            raise ConfigError(f"{what} node ids must lie in [0, {self.n_nodes})", key=what,
                              fix="pass node ids of the network the hierarchy was built from.")
        return a

    def buckets(self, targets, *, workers: int = 1, kernel: str | None = None) -> Buckets:
        """The buckets of distinct ``targets``: one backward upward search from each, grouped by the node reached.

        Column ``c`` of a later :meth:`scan` is ``targets[c]``; pass distinct node ids.
        """
        tgt = self._check(targets, "targets")
        counts, b_node, b_min = self.search_spaces(tgt, backward=True, workers=workers, kernel=kernel)
        col = np.repeat(np.arange(len(tgt), dtype=np.int64), counts)
        by_node = np.argsort(b_node, kind="stable")
        ptr = np.zeros(self.n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(b_node, minlength=self.n_nodes), out=ptr[1:])
        return Buckets(ptr, col[by_node], b_min[by_node], len(tgt))

    def scan(self, sources, buckets: Buckets, *, workers: int = 1, kernel: str | None = None) -> np.ndarray:
        """Minutes from each of ``sources`` to each column of ``buckets``: one forward upward search per source.

        ``workers`` threads split the sources (the compiled kernel releases the GIL).
        """
        src = self.pos[self._check(sources, "sources")]
        out = np.full((len(src), buckets.n_cols), np.inf)
        if not len(src) or not buckets.n_cols:
            return out
        k = kernels(kernel)
        (g, s) = self._graphs(False)

        def run(b):
            k.scan_buckets(*g, *s, src[b[0]:b[1]], buckets.ptr, buckets.col, buckets.minutes, out[b[0]:b[1]])

        _map(run, _split(len(src), 4 * workers if workers > 1 else 1), workers)
        return out

    def rows(self, sources, *, reverse: bool = False, workers: int = 1, kernel: str | None = None) -> np.ndarray:
        """Minutes from each of ``sources`` to every node (original node ids), ``inf`` where unreachable.

        One upward search per source and one sweep down the whole hierarchy (PHAST): a pass over
        memory in order, instead of a Dijkstra's heap over the graph. ``reverse`` gives the minutes
        from every node *to* each source. ``workers`` threads split the sources.

        Returns
        -------
        numpy.ndarray
            ``(len(sources), n_nodes)`` float64, columns in node order.
        """
        src = self.pos[self._check(sources, "sources")]
        out = np.empty((len(src), self.n_nodes))
        if not len(src) or not self.n_nodes:
            return out
        k = kernels(kernel)
        (g, s) = self._graphs(reverse)

        def run(b):
            k.sweep_rows(*g, *s, src[b[0]:b[1]], self.pos, out[b[0]:b[1]])

        _map(run, _split(len(src), workers), workers)  # a part per thread: a sweep's scratch is the graph's size
        return out

    def many_to_many(self, sources, targets, *, workers: int = 1, kernel: str | None = None) -> np.ndarray:
        """Minutes from each of ``sources`` to each of ``targets`` (original node ids), ``inf`` where unreachable.

        One backward upward search per distinct target fills the buckets (:meth:`buckets`), one forward
        upward search per distinct source scans them (:meth:`scan`).

        Returns
        -------
        numpy.ndarray
            ``(len(sources), len(targets))`` float64.
        """
        src = self._check(sources, "sources")
        tgt = self._check(targets, "targets")
        if not len(src) or not len(tgt):
            return np.full((len(src), len(tgt)), np.inf)
        u_src, src_inv = np.unique(src, return_inverse=True)
        u_tgt, tgt_inv = np.unique(tgt, return_inverse=True)
        out = self.scan(u_src, self.buckets(u_tgt, workers=workers, kernel=kernel), workers=workers, kernel=kernel)
        return out[src_inv][:, tgt_inv]

    # ----------------------------------------------------------------- files

    _FIELDS = ("pos", "fwd_ptr", "fwd_head", "fwd_min", "bwd_ptr", "bwd_head", "bwd_min")

    def save(self, path: str | os.PathLike) -> Path:
        """Write the hierarchy to ``path`` (``.npz``), atomically; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(f, key=np.array(self.key), format=np.array(_FORMAT),
                     **{name: getattr(self, name) for name in self._FIELDS})
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, key: str | None = None) -> Hierarchy:
        """Read a hierarchy written by :meth:`save`; with ``key``, it must be of that matrix.

        Raises
        ------
        DataFileError
            The file is not a hierarchy of this format (or of ``key``).
        """
        try:
            with np.load(path, allow_pickle=False) as z:
                if int(z["format"]) != _FORMAT or (key is not None and str(z["key"]) != key):
                    raise DataFileError(f"{path} is a hierarchy of another graph or format", layer="hierarchy",
                                        fix="delete it; it is rebuilt when next needed.")
                return cls(key=str(z["key"]), **{name: z[name] for name in cls._FIELDS})
        except (OSError, KeyError, ValueError) as exc:
            raise DataFileError(f"cannot read the hierarchy {path}: {exc}", layer="hierarchy",
                                fix="delete it; it is rebuilt when next needed.") from None


@dataclass
class Buckets:
    """What the backward searches of a set of targets leave at each node: ``(column, minutes to it)``.

    Entries ``ptr[x]:ptr[x + 1]`` of ``col`` and ``minutes`` belong to hierarchy node ``x``.
    """

    ptr: np.ndarray
    col: np.ndarray
    minutes: np.ndarray
    n_cols: int


#: At most this many end nodes of added arcs for an :class:`Overlay`; more, and a network is contracted anew.
OVERLAY_MAX_NODES = 256


@dataclass
class Overlay:
    """A hierarchy of a graph plus a few arcs added (or made faster) after it was contracted: a what-if scenario.

    Exact without contracting again. A fastest path of the new graph runs through the base graph
    between its uses of the added arcs, so with ``P`` the added arcs' end nodes and ``D`` the
    closure (Floyd–Warshall) over ``P`` of the base times among them and the added arcs,
    ``t'(s, c) = min(t(s, c), min_{x, y in P} t(s, x) + D(x, y) + t(y, c))``, all base times
    coming from the base hierarchy's many-to-many. End nodes past the base graph's nodes are
    new nodes, reached only through added arcs. See :func:`overlay`.
    """

    base: Hierarchy
    tail: np.ndarray
    head: np.ndarray
    minutes: np.ndarray
    n: int

    @property
    def n_nodes(self) -> int:
        return self.n

    def _base_times(self, a: np.ndarray, b: np.ndarray, workers: int, kernel) -> np.ndarray:
        """Base-graph minutes between node ids (new nodes: 0 to themselves, inf otherwise)."""
        nb = self.base.n_nodes
        out = np.full((len(a), len(b)), np.inf)
        ia, ib = np.flatnonzero(a < nb), np.flatnonzero(b < nb)
        if len(ia) and len(ib):
            out[np.ix_(ia, ib)] = self.base.many_to_many(a[ia], b[ib], workers=workers, kernel=kernel)
        out[a[:, None] == b[None, :]] = 0.0
        return out

    def many_to_many(self, sources, targets, *, workers: int = 1, kernel: str | None = None) -> np.ndarray:
        """As :meth:`Hierarchy.many_to_many`, on the graph with the added arcs."""
        src = np.asarray(sources, dtype=np.int64).ravel()
        tgt = np.asarray(targets, dtype=np.int64).ravel()
        for what, a in (("sources", src), ("targets", tgt)):
            if len(a) and (a.min() < 0 or a.max() >= self.n):
                raise ConfigError(f"{what[:-1]} node ids must lie in [0, {self.n})", key=what,
                                  fix="pass node ids of the network the hierarchy was built from.")
        ends = np.unique(np.r_[self.tail, self.head])
        d = self._base_times(ends, ends, workers, kernel)
        at = np.searchsorted(ends, self.tail), np.searchsorted(ends, self.head)
        np.minimum.at(d, at, self.minutes)
        for k in range(len(ends)):  # Floyd–Warshall over the few end nodes
            np.minimum(d, d[:, k, None] + d[None, k, :], out=d)
        out = self._base_times(src, tgt, workers, kernel)
        to_ends = self._base_times(src, ends, workers, kernel)
        from_ends = self._base_times(ends, tgt, workers, kernel)
        via = np.full((len(src), len(ends)), np.inf)  # t(s, y) through at least one added arc, ending at y
        for k in range(len(ends)):
            np.minimum(via, to_ends[:, k, None] + d[None, k, :], out=via)
        for k in range(len(ends)):
            np.minimum(out, via[:, k, None] + from_ends[None, k, :], out=out)
        return out


def overlay(base: Hierarchy, base_csr: sparse.csr_matrix, csr: sparse.csr_matrix) -> Overlay | None:
    """An :class:`Overlay` of ``base`` (built from ``base_csr``) for ``csr``, or ``None`` if one cannot be exact.

    ``csr`` must hold every arc of ``base_csr`` at the same or fewer minutes, on the same nodes
    first (new nodes numbered after them), and differ in arcs with at most
    :data:`OVERLAY_MAX_NODES` end nodes.
    """
    old, new = _clean_csr(base_csr), _clean_csr(csr)
    nb, n = old.shape[0], new.shape[0]
    if n < nb or nb != base.n_nodes:
        return None
    pad = sparse.csr_matrix((old.data, old.indices, np.r_[old.indptr, np.full(n - nb, old.indptr[-1])]), shape=(n, n))
    o, w = pad.tocoo(), new.tocoo()
    ko, kw = o.row.astype(np.int64) * n + o.col, w.row.astype(np.int64) * n + w.col
    at = np.searchsorted(kw, ko)
    found = at < len(kw)
    found[found] = kw[at[found]] == ko[found]
    if not found.all() or (w.data[at] > o.data).any():
        return None  # an arc removed or made slower: contract anew
    same = np.zeros(len(kw), dtype=bool)
    same[at] = w.data[at] == o.data
    add = ~same
    if len(np.unique(np.r_[w.row[add], w.col[add]])) > OVERLAY_MAX_NODES:
        return None
    return Overlay(base, w.row[add].astype(np.int64), w.col[add].astype(np.int64), w.data[add].copy(), n)


def _map(fn, parts: list, workers: int) -> list:
    if workers <= 1 or len(parts) <= 1:
        return [fn(p) for p in parts]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, parts))


def build_hierarchy(csr: sparse.csr_matrix, *, kernel: str | None = None, workers: int | None = None) -> Hierarchy:
    """Contract a directed graph of minutes (a square CSR matrix, weights ``>= 0``) into a :class:`Hierarchy`.

    The graph is read as :func:`scipy.sparse.csgraph.dijkstra` reads it: an explicit zero is an arc
    of 0 minutes, self-loops change nothing, and of parallel entries the fastest counts. The
    witness searches run on ``workers`` threads (default: numba's, ``NUMBA_NUM_THREADS``); the
    hierarchy is the same for any number.

    Raises
    ------
    ConfigError
        The matrix is not square, or has negative or non-finite weights.
    """
    m = _clean_csr(csr)
    n = m.shape[0]
    key = csr_key(m)
    k = kernels(kernel)
    with k.on_threads(k.threads() if workers is None else workers) as threads:
        order, a_node, a_head, a_min, a_up = k.contract(n, m.indptr.astype(np.int64), m.indices.astype(np.int64),
                                                        m.data, _SIM_LIMIT, _LIMIT, _STEP, threads, _BATCH)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n - 1, -1, -1)  # the last contracted is the most important: node 0
    node, head = pos[a_node], pos[a_head]
    graphs = []
    for up in (1, 0):
        sel = a_up == up
        nd, hd, mn = node[sel], head[sel], a_min[sel]
        by = np.lexsort((hd, nd))
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(nd, minlength=n), out=ptr[1:])
        graphs += [ptr, hd[by].astype(np.int64), mn[by].astype(np.float64)]
    return Hierarchy(key, pos, *graphs)


def _cache_path(csr: sparse.csr_matrix, cache_dir) -> Path | None:
    folder = cache_dir or os.environ.get(CACHE_ENV) or None
    return None if folder is None else Path(folder) / f"ch-{csr_key(csr)}.npz"


def on_disk(csr: sparse.csr_matrix, cache_dir: str | os.PathLike | None = None) -> bool:
    """Whether :func:`cached_hierarchy` would load this matrix's hierarchy from disk rather than build it."""
    path = _cache_path(csr, cache_dir)
    return path is not None and path.exists()


def cached_hierarchy(csr: sparse.csr_matrix, cache_dir: str | os.PathLike | None = None, *,
                     kernel: str | None = None, workers: int | None = None) -> Hierarchy:
    """:func:`build_hierarchy`, or an earlier build of the same matrix from ``cache_dir``.

    ``cache_dir`` defaults to :data:`CACHE_ENV` (no disk cache when neither is given). A build is
    saved there as ``ch-<key>.npz``; a file that cannot be read is rebuilt and replaced.
    """
    path = _cache_path(csr, cache_dir)
    if path is None:
        return build_hierarchy(csr, kernel=kernel, workers=workers)
    if path.exists():
        try:
            return Hierarchy.load(path, path.stem[3:])
        except DataFileError as exc:
            print(f"note: {exc}; rebuilding", file=sys.stderr)
    ch = build_hierarchy(csr, kernel=kernel, workers=workers)
    try:
        ch.save(path)
    except OSError as exc:  # a read-only cache folder must not stop the analysis
        print(f"note: cannot save the hierarchy to {path}: {exc}", file=sys.stderr)
    return ch
