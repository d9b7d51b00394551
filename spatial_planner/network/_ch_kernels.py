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
``(priority, node)`` with lazy deletion.
"""

from __future__ import annotations

import heapq

import numpy as np

if globals().get("JIT", False):
    try:
        from numba import njit

        _jit = njit(cache=True, nogil=True)
        _inline = njit(cache=True, nogil=True, inline="always")  # small hot helpers: no call, no refcounts
        COMPILED = True
    except ImportError:  # pragma: no cover - numba is a dependency
        COMPILED = False
else:
    COMPILED = False

if not COMPILED:

    def _jit(fn):
        return fn

    _inline = _jit


INF = np.inf
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
    ``w`` of at most ``base + tw[w]`` minutes is a witness. Stops once every target has one, past
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
                    if nd <= c < dist[y]:
                        found += 1
                dist[y] = nd
                hsize = _hpush(hk, hn, hpos, hsize, y, nd)
        if found == n_need:
            break
    _hclear(hn, hpos, hsize)
    return n_touched


@_jit
def _process(pi, pf, start, size, v, limit, dist, touched, mark, stamp, tw, hk, hn, hpos, si, sf, sc_i, sc_f):
    """The shortcuts that contracting v needs (``si``, ``sf``: room for v's records; ``sc_i``, ``sc_f``
    for ``(u, w, hops)`` and minutes of each shortcut, as many as v's records squared).

    Returns ``(shortcuts, shortcut hops, arcs removed, hops removed)``.
    """
    s = start[v]
    m = size[v]
    si[:m] = pi[s:s + m]
    sf[:m] = pf[s:s + m]
    nb = si[:, 0]
    h_out = si[:, 1]
    h_in = si[:, 2]
    w_out = sf[:, 0]
    w_in = sf[:, 1]
    removed = 0
    removed_h = 0
    n_targets = 0
    max_out = 0.0
    for j in range(m):
        if w_out[j] < INF:
            removed += 1
            removed_h += h_out[j]
            mark[nb[j]] = stamp
            tw[nb[j]] = w_out[j]
            n_targets += 1
            max_out = max(max_out, w_out[j])
        if w_in[j] < INF:
            removed += 1
            removed_h += h_in[j]
    added = 0
    added_h = 0
    for i in range(m):
        if w_in[i] == INF or n_targets == 0:
            continue
        u = nb[i]
        n_need = n_targets - (1 if mark[u] == stamp else 0)
        count = _witness(pi, pf, start, size, u, v, w_in[i], w_in[i] + max_out, limit, dist, touched, mark,
                         stamp, tw, n_need, hk, hn, hpos)
        for j in range(m):
            if j == i or w_out[j] == INF:
                continue
            c = w_in[i] + w_out[j]
            w = nb[j]
            if dist[w] <= c:
                continue  # a path as fast without v
            sc_i[added, 0] = u
            sc_i[added, 1] = w
            sc_i[added, 2] = h_in[i] + h_out[j]
            sc_f[added] = c
            added += 1
            added_h += h_in[i] + h_out[j]
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


@_jit
def contract(n, indptr, indices, data, sim_limit, limit, step):
    """Contract every node of a CSR graph (no self-loops, weights > 0).

    Nodes go by priority (:func:`_priority`), with lazy updates: the least is simulated again
    with the full witness ``limit`` (``sim_limit`` for the first estimates), and contracted
    with the shortcuts that simulation found if it is still the least, else put back. A
    node's arcs to the nodes still in the graph when it is contracted are its arcs in the
    hierarchy.

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

    done = np.zeros(n, np.bool_)
    dist = np.full(n, INF)
    touched = np.empty(n, np.int64)
    mark = np.zeros(n, np.int64)
    level = np.zeros(n, np.float64)
    prio = np.empty(n, np.float64)
    tw = np.empty(n, np.float64)
    hk = np.empty(n, np.float64)
    hn = np.empty(n, np.int64)
    hpos = np.full(n, -1, np.int64)
    room = int(deg.max()) + 2 if n else 2
    si = np.empty((room, 3), np.int64)
    sf = np.empty((room, 2), np.float64)
    sc_i = np.empty((room * room, 3), np.int64)
    sc_f = np.empty(room * room, np.float64)
    stamp = 0
    heap = [(0.0, 0)]
    heap.pop()
    for x in range(n):
        stamp += 1
        a, ah, r, rh = _process(pi, pf, start, size, x, sim_limit, dist, touched, mark, stamp, tw, hk, hn, hpos,
                                si, sf, sc_i, sc_f)
        prio[x] = _priority(a, ah, r, rh, 0.0, step)
        heap.append((prio[x], x))
    heapq.heapify(heap)

    order = np.empty(n, np.int64)
    out_cap = 2 * len(data) + 16
    arc_node = np.empty(out_cap, np.int64)
    arc_head = np.empty(out_cap, np.int64)
    arc_w = np.empty(out_cap, np.float64)
    arc_up = np.empty(out_cap, np.int8)
    n_arcs = 0
    rank = 0
    while len(heap) > 0:
        p, v = heapq.heappop(heap)
        if done[v] or p != prio[v]:
            continue
        if size[v] > si.shape[0]:
            si = np.empty((2 * size[v], 3), np.int64)
            sf = np.empty((2 * size[v], 2), np.float64)
            sc_i = np.empty((4 * size[v] * size[v], 3), np.int64)
            sc_f = np.empty(4 * size[v] * size[v], np.float64)
        # lazy update: simulate again (with the full witness limit); contract if still the least, else wait
        stamp += 1
        a, ah, r, rh = _process(pi, pf, start, size, v, limit, dist, touched, mark, stamp, tw, hk, hn, hpos, si, sf,
                                sc_i, sc_f)
        prio[v] = _priority(a, ah, r, rh, level[v], step)
        if len(heap) > 0 and prio[v] > heap[0][0]:
            heapq.heappush(heap, (prio[v], v))
            continue
        for j in range(a):
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
