"""The loops of the contraction hierarchy: node contraction, upward searches and bucket scans.

Plain Python on NumPy arrays, compiled with numba when it is installed
(``cache=True``: the machine code is kept in ``__pycache__`` and reused by
later runs). :func:`spatial_planner.network.hierarchy.kernels` loads this file
on first use, with ``JIT = True`` for the compiled kernel, or ``JIT = False``
for the pure-Python one that the tests run on small graphs and that runs
wherever numba is missing (imported plainly, the module stays uncompiled). The
code is the same; only its speed differs.

Graphs are float64 minutes, every weight ``>= 0``. Searches use an indexed
binary heap (decrease-key); the contraction order is a ``heapq`` list of
``(priority, node)`` with lazy deletion. :func:`contract` runs the witness
searches of a batch of nodes on numba's threads (``parallel=True``; ``prange``
is ``range`` uncompiled), each thread with its own search arrays.
"""

from __future__ import annotations

import heapq
from contextlib import contextmanager

import numpy as np

if globals().get("JIT", False):
    try:
        from numba import njit, prange

        _jit = njit(cache=True, nogil=True)
        _pjit = njit(cache=True, nogil=True, parallel=True)
        _inline = njit(cache=True, nogil=True, inline="always")  # small hot helpers: no call, no refcounts
        COMPILED = True
    except ImportError:  # pragma: no cover - numba is a dependency
        COMPILED = False
else:
    COMPILED = False

if not COMPILED:

    def _jit(fn):
        return fn

    _inline = _pjit = _jit
    prange = range


INF = np.inf


def threads() -> int:
    """The threads a contraction runs on: numba's setting (``NUMBA_NUM_THREADS``), or 1 uncompiled."""
    if COMPILED:
        from numba import get_num_threads

        return get_num_threads()
    return 1


@contextmanager
def on_threads(n: int):
    """numba's threads limited to ``n`` (at least 1, at most ``NUMBA_NUM_THREADS``) inside the block; yields
    how many that is (1 uncompiled)."""
    if not COMPILED:
        yield 1
        return
    from numba import config, get_num_threads, set_num_threads

    before = get_num_threads()
    set_num_threads(max(1, min(int(n), config.NUMBA_NUM_THREADS)))
    try:
        yield get_num_threads()
    finally:
        set_num_threads(before)

_STALL = 1e-12  # stall only on a strict improvement larger than rounding


# --------------------------------------------------------------------------- an indexed binary heap
#
# ``hk`` keys and ``hn`` nodes of the heap, ``hpos[node]`` its slot or -1; a node is in the heap at
# most once (a better key moves it up). Reused across searches: each search leaves ``hpos`` all -1.


@_inline
def _hpush(hk, hn, hpos, size, node, key):
    """Insert ``node`` or lower its key; returns the new size."""
    i = hpos[node]
    if i < 0:
        i = size
        size += 1
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= key:
            break
        hk[i] = hk[p]
        hn[i] = hn[p]
        hpos[hn[i]] = i
        i = p
    hk[i] = key
    hn[i] = node
    hpos[node] = i
    return size


@_inline
def _hpop(hk, hn, hpos, size):
    """Remove the top (read ``hn[0]``, ``hk[0]`` first); returns the new size."""
    hpos[hn[0]] = -1
    size -= 1
    if size > 0:
        key = hk[size]
        node = hn[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and hk[c + 1] < hk[c]:
                c += 1
            if hk[c] >= key:
                break
            hk[i] = hk[c]
            hn[i] = hn[c]
            hpos[hn[i]] = i
            i = c
        hk[i] = key
        hn[i] = node
        hpos[node] = i
    return size


@_inline
def _hclear(hn, hpos, size):
    for i in range(size):
        hpos[hn[i]] = -1


# --------------------------------------------------------------------------- the dynamic graph
#
# Every node has a block of records in two pools: ``pi[k] = (neighbour, hops out, hops in)`` and
# ``pf[k] = (minutes out, minutes in)`` (``inf`` where that direction has no arc). An arc x→y is
# the "out" half of x's record of y and the "in" half of y's record of x. A block that fills up
# moves to the end of the pools with twice the room; the pools grow by half when needed. A node's
# records are dropped from its neighbours' blocks when it is contracted.


@_inline
def _find(pi, start, size, x, y):
    s = start[x]
    for k in range(s, s + size[x]):
        if pi[k, 0] == y:
            return k
    return -1


@_jit
def _append(pi, pf, top, start, size, cap, x, y, w_out, w_in, h_out, h_in):
    if size[x] == cap[x]:
        new_cap = 2 * cap[x] + 2
        if top + new_cap > pi.shape[0]:
            grown = max(top + new_cap, pi.shape[0] + pi.shape[0] // 2)
            pi2 = np.empty((grown, 3), np.int64)
            pf2 = np.empty((grown, 2), np.float64)
            pi2[:top] = pi[:top]
            pf2[:top] = pf[:top]
            pi, pf = pi2, pf2
        s = start[x]
        for j in range(size[x]):
            pi[top + j] = pi[s + j]
            pf[top + j] = pf[s + j]
        start[x] = top
        cap[x] = new_cap
        top += new_cap
    k = start[x] + size[x]
    pi[k, 0] = y
    pi[k, 1] = h_out
    pi[k, 2] = h_in
    pf[k, 0] = w_out
    pf[k, 1] = w_in
    size[x] += 1
    return pi, pf, top


@_jit
def _add_arc(pi, pf, top, start, size, cap, x, y, w, h):
    """Add arc x→y (or lower an existing one); both ends' records stay in step."""
    k = _find(pi, start, size, x, y)
    if k >= 0:
        if w < pf[k, 0]:
            pf[k, 0] = w
            pi[k, 1] = h
            k2 = _find(pi, start, size, y, x)
            pf[k2, 1] = w
            pi[k2, 2] = h
        return pi, pf, top
    pi, pf, top = _append(pi, pf, top, start, size, cap, x, y, w, INF, h, 0)
    pi, pf, top = _append(pi, pf, top, start, size, cap, y, x, INF, w, 0, h)
    return pi, pf, top


@_inline
def _unlink(pi, pf, start, size, x, y):
    """Drop x's record of y (contracted): the last record takes its place."""
    k = _find(pi, start, size, x, y)
    if k >= 0:
        last = start[x] + size[x] - 1
        pi[k] = pi[last]
        pf[k] = pf[last]
        size[x] -= 1


@_inline
def _witness(pi, pf, start, size, u, v, base, max_d, limit, dist, touched, mark, stamp, tw, n_need, hk, hn,
             hpos):
    """Dijkstra from u in the remaining graph without v, looking for witnesses of the shortcuts u → v → w.

    The targets ``w`` are the nodes with ``mark[w] == stamp`` (``n_need`` of them besides u); a path to
    ``w`` of fewer than ``base + tw[w]`` minutes is a witness. Stops once every target has one, past
    ``max_d`` minutes or after ``limit`` settled nodes. Leaves tentative minutes in ``dist`` (to be reset
    from ``touched[:count]``) and returns the count.
    """
    n_touched = 1
    dist[u] = 0.0
    touched[0] = u
    if n_need == 0:
        return n_touched
    hsize = _hpush(hk, hn, hpos, 0, u, 0.0)
    settled = 0
    found = 0
    while hsize > 0:
        x = hn[0]
        d = hk[0]
        if d > max_d:
            break
        hsize = _hpop(hk, hn, hpos, hsize)
        settled += 1
        if settled > limit:
            break
        s = start[x]
        for k in range(s, s + size[x]):
            y = pi[k, 0]
            w = pf[k, 0]
            if y == v or w == INF:
                continue
            nd = d + w
            if nd < dist[y]:
                if dist[y] == INF:
                    touched[n_touched] = y
                    n_touched += 1
                if mark[y] == stamp and y != u:
                    c = base + tw[y]
                    if nd < c <= dist[y]:
                        found += 1
                dist[y] = nd
                hsize = _hpush(hk, hn, hpos, hsize, y, nd)
        if found == n_need:
            break
    _hclear(hn, hpos, hsize)
    return n_touched


@_jit
def _process(pi, pf, start, size, v, limit, dist, touched, mark, stamp, tw, hk, hn, hpos, sc_i, sc_f):
    """The shortcuts that contracting v needs, written to ``sc_i`` (``u, w, hops``) and ``sc_f`` (minutes),
    which have room for as many as v's records squared.

    A pair u → v → w needs no shortcut when a witness search finds a path from u to w without v that
    is strictly faster. Strictly: then the nodes of a batch, no two of them neighbours, can be
    contracted with the shortcuts each found in the same graph, even where one's witness runs through
    another (on a shortest path, a strictly faster witness cannot exist, so every pair on one gets its
    shortcut).

    Returns ``(shortcuts, shortcut hops, arcs removed, hops removed)``.
    """
    s = start[v]
    m = size[v]
    removed = 0
    removed_h = 0
    n_targets = 0
    max_out = 0.0
    for k in range(s, s + m):
        if pf[k, 0] < INF:
            removed += 1
            removed_h += pi[k, 1]
            mark[pi[k, 0]] = stamp
            tw[pi[k, 0]] = pf[k, 0]
            n_targets += 1
            max_out = max(max_out, pf[k, 0])
        if pf[k, 1] < INF:
            removed += 1
            removed_h += pi[k, 2]
    added = 0
    added_h = 0
    if n_targets == 0:
        return added, added_h, removed, removed_h
    for i in range(s, s + m):
        w_in = pf[i, 1]
        if w_in == INF:
            continue
        u = pi[i, 0]
        n_need = n_targets - (1 if mark[u] == stamp else 0)
        count = _witness(pi, pf, start, size, u, v, w_in, w_in + max_out, limit, dist, touched, mark, stamp, tw,
                         n_need, hk, hn, hpos)
        for j in range(s, s + m):
            if j == i or pf[j, 0] == INF:
                continue
            c = w_in + pf[j, 0]
            w = pi[j, 0]
            if dist[w] < c:
                continue  # a faster path without v
            sc_i[added, 0] = u
            sc_i[added, 1] = w
            sc_i[added, 2] = pi[i, 2] + pi[j, 1]
            sc_f[added] = c
            added += 1
            added_h += pi[i, 2] + pi[j, 1]
        for k in range(count):
            dist[touched[k]] = INF
    return added, added_h, removed, removed_h


@_jit
def _priority(added, added_h, removed, removed_h, level, step):
    """Edge quotient, hop quotient and level, rounded down to a multiple of ``step``.

    Nodes of one rounded priority are contracted in the order of their ids: with ids that follow
    the ground (a Hilbert or row order), one contraction after another works in the same part of
    memory, which matters more on a large graph than the finer order does.
    """
    p = 2.0 * added / max(removed, 1) + added_h / max(removed_h, 1) + level
    return np.floor(p / step) * step if step > 0 else p


@_pjit
def _simulate(pi, pf, start, size, cand, nc, limit, dist, touched, mark, stamp0, tw, hk, hn, hpos, off, sc_i,
              sc_f, res):
    """Simulate the contraction of ``cand[:nc]`` in one graph, on as many threads as ``dist`` has rows.

    Thread t takes the candidates t, t + threads, …, with row t of the search arrays; candidate i
    writes its shortcuts from ``off[i]`` on and its counts to ``res[i]``. The graph is only read.
    """
    threads = dist.shape[0]
    for t in prange(threads):
        for i in range(t, nc, threads):
            a, ah, r, rh = _process(pi, pf, start, size, cand[i], limit, dist[t], touched[t], mark[t], stamp0 + i,
                                    tw[t], hk[t], hn[t], hpos[t], sc_i[off[i]:], sc_f[off[i]:])
            res[i, 0] = a
            res[i, 1] = ah
            res[i, 2] = r
            res[i, 3] = rh


@_jit
def _offsets(size, cand, nc, off, sc_i, sc_f):
    """Room for the shortcuts of each candidate (its records squared); the buffers, grown if needed."""
    off[0] = 0
    for i in range(nc):
        off[i + 1] = off[i] + size[cand[i]] * size[cand[i]]
    if off[nc] > sc_f.shape[0]:
        grown = max(off[nc], 2 * sc_f.shape[0])
        sc_i = np.empty((grown, 3), np.int64)
        sc_f = np.empty(grown, np.float64)
    return sc_i, sc_f


@_jit
def contract(n, indptr, indices, data, sim_limit, limit, step, threads, batch):
    """Contract every node of a CSR graph (no self-loops, weights > 0).

    Nodes go by priority (:func:`_priority`), with lazy updates, a ``batch`` at a time: the least
    nodes, no two of them neighbours and all of the least priority, are simulated again with the
    full witness ``limit`` (``sim_limit`` for the first estimates) on ``threads`` threads, each in
    the same graph; then, one after another, each is contracted with the shortcuts its simulation
    found if it is still the least, else put back. A node's arcs to the nodes still in the graph
    when it is contracted are its arcs in the hierarchy. The result does not depend on ``threads``.

    Returns
    -------
    (order, arc_node, arc_head, arc_minutes, arc_up)
        ``order[i]`` is the i-th contracted node; each hierarchy arc is stored at its lower
        node ``arc_node`` with its higher end ``arc_head``: ``arc_up`` 1 for node → head
        (forward), 0 for head → node (used upward by backward searches).
    """
    deg = np.zeros(n, np.int64)
    for x in range(n):
        for k in range(indptr[x], indptr[x + 1]):
            deg[x] += 1
            deg[indices[k]] += 1
    start = np.zeros(n, np.int64)
    cap = np.zeros(n, np.int64)
    size = np.zeros(n, np.int64)
    top = 0
    for x in range(n):
        start[x] = top
        cap[x] = deg[x] + 2
        top += cap[x]
    pi = np.empty((top + top // 2 + 16, 3), np.int64)
    pf = np.empty((top + top // 2 + 16, 2), np.float64)
    for x in range(n):
        for k in range(indptr[x], indptr[x + 1]):
            pi, pf, top = _add_arc(pi, pf, top, start, size, cap, x, indices[k], data[k], 1)

    threads = max(1, threads)
    batch = max(1, batch)
    done = np.zeros(n, np.bool_)
    busy = np.zeros(n, np.bool_)
    level = np.zeros(n, np.float64)
    prio = np.empty(n, np.float64)
    dist = np.full((threads, n), INF)
    touched = np.empty((threads, n), np.int64)
    mark = np.full((threads, n), -1, np.int64)
    tw = np.empty((threads, n), np.float64)
    hk = np.empty((threads, n), np.float64)
    hn = np.empty((threads, n), np.int64)
    hpos = np.full((threads, n), -1, np.int64)
    sc_i = np.empty((1024, 3), np.int64)
    sc_f = np.empty(1024, np.float64)
    stamp = 0

    # first estimates, in slices of the nodes
    chunk = 4096
    cand = np.arange(n)
    off = np.empty(max(chunk, batch) + 1, np.int64)
    res = np.empty((max(chunk, batch), 4), np.int64)
    for lo in range(0, n, chunk):
        nc = min(chunk, n - lo)
        sc_i, sc_f = _offsets(size, cand[lo:], nc, off, sc_i, sc_f)
        _simulate(pi, pf, start, size, cand[lo:], nc, sim_limit, dist, touched, mark, stamp, tw, hk, hn, hpos, off,
                  sc_i, sc_f, res)
        stamp += nc
        for i in range(nc):
            prio[lo + i] = _priority(res[i, 0], res[i, 1], res[i, 2], res[i, 3], 0.0, step)
    heap = [(prio[x], x) for x in range(n)]
    heapq.heapify(heap)

    order = np.empty(n, np.int64)
    out_cap = 2 * len(data) + 16
    arc_node = np.empty(out_cap, np.int64)
    arc_head = np.empty(out_cap, np.int64)
    arc_w = np.empty(out_cap, np.float64)
    arc_up = np.empty(out_cap, np.int8)
    n_arcs = 0
    rank = 0
    cand = np.empty(batch, np.int64)
    aside = [(0.0, 0)]
    while len(heap) > 0:
        # the batch: the least nodes of one priority, no two of them neighbours (the others wait aside)
        nc = 0
        aside.clear()
        first = INF
        while len(heap) > 0 and nc < batch and len(aside) < 4 * batch:
            p, v = heap[0]
            if done[v] or p != prio[v]:
                heapq.heappop(heap)
                continue
            if p > first:
                break
            heapq.heappop(heap)
            first = p
            near = False
            for k in range(start[v], start[v] + size[v]):
                if busy[pi[k, 0]]:
                    near = True
                    break
            if near:
                aside.append((p, v))
                continue
            busy[v] = True
            cand[nc] = v
            nc += 1
        for e in aside:
            heapq.heappush(heap, e)
        if nc == 0:
            continue
        sc_i, sc_f = _offsets(size, cand, nc, off, sc_i, sc_f)
        _simulate(pi, pf, start, size, cand, nc, limit, dist, touched, mark, stamp, tw, hk, hn, hpos, off, sc_i,
                  sc_f, res)
        stamp += nc
        for i in range(nc):
            v = cand[i]
            busy[v] = False
            prio[v] = _priority(res[i, 0], res[i, 1], res[i, 2], res[i, 3], level[v], step)
            if len(heap) > 0 and prio[v] > heap[0][0]:
                heapq.heappush(heap, (prio[v], v))  # no longer the least: wait
                continue
            o = off[i]
            for j in range(o, o + res[i, 0]):
                pi, pf, top = _add_arc(pi, pf, top, start, size, cap, sc_i[j, 0], sc_i[j, 1], sc_f[j], sc_i[j, 2])
            s = start[v]
            m = size[v]
            if n_arcs + 2 * m > arc_node.shape[0]:
                grown = max(n_arcs + 2 * m, arc_node.shape[0] * 3 // 2)
                a1 = np.empty(grown, np.int64)
                a2 = np.empty(grown, np.int64)
                a3 = np.empty(grown, np.float64)
                a4 = np.empty(grown, np.int8)
                a1[:n_arcs] = arc_node[:n_arcs]
                a2[:n_arcs] = arc_head[:n_arcs]
                a3[:n_arcs] = arc_w[:n_arcs]
                a4[:n_arcs] = arc_up[:n_arcs]
                arc_node, arc_head, arc_w, arc_up = a1, a2, a3, a4
            for k in range(s, s + m):
                for half in range(2):
                    w = pf[k, half]
                    if w < INF:
                        arc_node[n_arcs] = v
                        arc_head[n_arcs] = pi[k, 0]
                        arc_w[n_arcs] = w
                        arc_up[n_arcs] = 1 - half
                        n_arcs += 1
            done[v] = True
            for k in range(s, s + m):
                _unlink(pi, pf, start, size, pi[k, 0], v)  # the graph left holds only nodes not yet contracted
            order[rank] = v
            rank += 1
            for k in range(s, s + m):
                x = pi[k, 0]
                level[x] = max(level[x], level[v] + 1.0)
    return order, arc_node[:n_arcs].copy(), arc_head[:n_arcs].copy(), arc_w[:n_arcs].copy(), arc_up[:n_arcs].copy()


# --------------------------------------------------------------------------- queries
#
# Nodes are numbered by rank, highest first; ``(ptr, head, wt)`` is one direction's upward graph and
# ``(sptr, shead, swt)`` the other's, which tells which arcs reach a node from above (stall-on-demand).


@_jit
def _upward(ptr, head, wt, sptr, shead, swt, src, dist, touched, hk, hn, hpos, out_node, out_dist):
    """Upward search from ``src`` with stall-on-demand: its unstalled settled nodes and their minutes.

    Writes them to ``out_node[:count]``, ``out_dist[:count]`` and returns the count; ``dist`` is left all inf.
    """
    n_touched = 1
    dist[src] = 0.0
    touched[0] = src
    hsize = _hpush(hk, hn, hpos, 0, src, 0.0)
    count = 0
    while hsize > 0:
        x = hn[0]
        d = hk[0]
        hsize = _hpop(hk, hn, hpos, hsize)
        stalled = False
        bar = d - _STALL * d
        for k in range(sptr[x], sptr[x + 1]):
            if dist[shead[k]] + swt[k] < bar:
                stalled = True
                break
        if stalled:
            continue
        out_node[count] = x
        out_dist[count] = d
        count += 1
        for k in range(ptr[x], ptr[x + 1]):
            y = head[k]
            nd = d + wt[k]
            if nd < dist[y]:
                if dist[y] == INF:
                    touched[n_touched] = y
                    n_touched += 1
                dist[y] = nd
                hsize = _hpush(hk, hn, hpos, hsize, y, nd)
    for k in range(n_touched):
        dist[touched[k]] = INF
    return count


@_jit
def _scratch(n):
    """Per-search arrays: minutes (all inf), touched nodes, the heap, and the output buffers."""
    return (np.full(n, INF), np.empty(n, np.int64), np.empty(n, np.float64), np.empty(n, np.int64),
            np.full(n, -1, np.int64), np.empty(n, np.int64), np.empty(n, np.float64))


@_jit
def search_spaces(ptr, head, wt, sptr, shead, swt, nodes):
    """Upward search spaces of ``nodes``, concatenated: ``(counts, node, minutes)``."""
    dist, touched, hk, hn, hpos, buf_node, buf_dist = _scratch(ptr.shape[0] - 1)
    counts = np.zeros(nodes.shape[0], np.int64)
    cap = 1024
    all_node = np.empty(cap, np.int64)
    all_dist = np.empty(cap, np.float64)
    total = 0
    for i in range(nodes.shape[0]):
        c = _upward(ptr, head, wt, sptr, shead, swt, nodes[i], dist, touched, hk, hn, hpos, buf_node, buf_dist)
        if total + c > cap:
            cap = max(total + c, 2 * cap)
            a = np.empty(cap, np.int64)
            b = np.empty(cap, np.float64)
            a[:total] = all_node[:total]
            b[:total] = all_dist[:total]
            all_node, all_dist = a, b
        all_node[total:total + c] = buf_node[:c]
        all_dist[total:total + c] = buf_dist[:c]
        counts[i] = c
        total += c
    return counts, all_node[:total].copy(), all_dist[:total].copy()


@_jit
def scan_buckets(ptr, head, wt, sptr, shead, swt, nodes, bucket_ptr, bucket_col, bucket_min, out):
    """For each of ``nodes``: its upward search, and at each node reached the bucket there.

    ``out[i, c] = min over meeting nodes x of d(nodes[i], x) + bucket minutes of column c at x``;
    ``out`` starts all inf.
    """
    dist, touched, hk, hn, hpos, buf_node, buf_dist = _scratch(ptr.shape[0] - 1)
    for i in range(nodes.shape[0]):
        c = _upward(ptr, head, wt, sptr, shead, swt, nodes[i], dist, touched, hk, hn, hpos, buf_node, buf_dist)
        row = out[i]
        for j in range(c):
            x = buf_node[j]
            d = buf_dist[j]
            for k in range(bucket_ptr[x], bucket_ptr[x + 1]):
                t = bucket_col[k]
                val = d + bucket_min[k]
                if val < row[t]:  # noqa: PLR1730 - a store only on an improvement
                    row[t] = val


@_jit
def sweep_rows(ptr, head, wt, sptr, shead, swt, nodes, pos, out):
    """Minutes from each of ``nodes`` to every node (PHAST, Delling et al. 2011): the upward search from
    the node, then one sweep down the whole hierarchy; ``out[i, x]`` for original node ``x`` (at
    ``pos[x]`` in the hierarchy).

    Nodes are numbered by rank, highest first, and the arcs that reach a node from above are its
    records in ``(sptr, shead, swt)``; so a pass over the nodes in order sees each node's higher
    neighbours final before the node itself, and each node takes its best way down: a pass over
    memory in order, where a Dijkstra keeps a heap over the graph.
    """
    n = ptr.shape[0] - 1
    dist, touched, hk, hn, hpos, buf_node, buf_dist = _scratch(n)
    row = np.empty(n)
    for i in range(nodes.shape[0]):
        row[:] = INF
        c = _upward(ptr, head, wt, sptr, shead, swt, nodes[i], dist, touched, hk, hn, hpos, buf_node, buf_dist)
        for j in range(c):
            row[buf_node[j]] = buf_dist[j]
        for v in range(n):
            best = row[v]
            for k in range(sptr[v], sptr[v + 1]):
                val = row[shead[k]] + swt[k]
                if val < best:  # noqa: PLR1730 - a store only on an improvement
                    best = val
            row[v] = best
        dst = out[i]
        for x in range(n):
            dst[x] = row[pos[x]]
