"""Noding one layer's lines into graph nodes and segments.

The rules, in the order they apply:

1. **Every vertex of a line is a node**, and a line's own vertices are never
   merged with each other, however close: a road drawn with a vertex every
   5–30 m keeps its shape and its length. Consecutive vertices at exactly the
   same coordinates only make a zero-length segment, which is dropped and
   counted.
2. **Vertices at exactly the same coordinates are one node**, whichever lines
   they belong to. Input that is already topologically noded (OSM ways that
   share node ids, lines drawn with snapping on) is used as it is: no
   tolerance is involved.
3. **Only dangling ends are snapped**, and only to *other* lines, within the
   tolerance. A dangling end is the first or last vertex of a line that no
   other line shares.

   * *End snaps*: dangling ends of different lines within the tolerance of
     each other become one node, the closest pairs first. A node never holds
     two vertices of one line, all its vertices lie within the tolerance of
     each other, and it holds at most one end of a ``noded`` line, which stays
     where it is (otherwise the end of the line that comes first in the input
     stays).
   * *Junction snaps*: a dangling end that joined no other end moves to the
     nearest point of another line within the tolerance: a vertex of that line
     shared by two or more lines or inside it, or a new vertex on one of its
     segments (a T-junction split). It never moves onto a vertex of its own
     line, and the two ends of one line never move onto the same point.

   The ends of lines flagged ``noded`` (OSM ways: their loose ends are real dead
   ends) are never moved, but other lines' ends may snap onto them.
4. **Lengths are drawn lengths.** A segment keeps the length of the line it
   was drawn from; a split shares it in proportion. Snapping moves nodes, not
   lengths, so the network's length is the input's length less the
   zero-length segments.

:func:`node_lines` applies these rules and returns a :class:`Noding`; every
merge is a :class:`Snap`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.spatial import cKDTree

__all__ = ["Snap", "Noding", "node_lines"]


@dataclass(frozen=True)
class Snap:
    """One merge made by noding: a line end moved onto another line.

    Attributes
    ----------
    kind
        ``"end"`` (joined another line's dangling end) or ``"junction"``
        (joined another line's vertex or segment).
    line
        Index of the line whose end moved.
    onto
        Index of the line it joined.
    gap_m
        How far the end moved, in metres.
    split
        Whether a new vertex was inserted on ``onto`` (a T-junction split).
    """

    kind: str
    line: int
    onto: int
    gap_m: float
    split: bool = False


@dataclass
class Noding:
    """One layer's lines noded.

    Attributes
    ----------
    xy
        ``(n, 2)`` node coordinates.
    u, v
        Each segment's end nodes (indices into ``xy``).
    length
        Each segment's drawn length.
    line
        Each segment's source line (index into the input lines).
    zero
        Zero-length segments dropped (consecutive duplicate vertices).
    splits
        Vertices inserted into lines by junction snaps.
    snaps
        Every merge, in the order made.
    """

    xy: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    line: np.ndarray
    zero: int
    splits: int
    snaps: list[Snap] = field(default_factory=list)


# --------------------------------------------------------------------------- exact topology


def exact_nodes(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One node per distinct coordinate pair.

    Returns
    -------
    (node_of_vertex, node_xy)
        The node of each row of ``coords``, and each node's coordinates.
    """
    if len(coords) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 2))
    node_xy, inverse = np.unique(coords, axis=0, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), node_xy


def lines_per_node(node_of_vertex: np.ndarray, line_idx: np.ndarray, n_nodes: int) -> np.ndarray:
    """How many distinct lines have a vertex at each node."""
    pairs = np.unique(np.column_stack([node_of_vertex, line_idx]), axis=0)
    return np.bincount(pairs[:, 0], minlength=n_nodes)


def line_ends(line_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertex indices of each line's first and last vertex (``line_idx`` is sorted, as shapely returns it)."""
    first = np.flatnonzero(np.r_[True, line_idx[1:] != line_idx[:-1]])
    last = np.r_[first[1:] - 1, len(line_idx) - 1]
    return first, last


def dangling_ends(node_of_vertex: np.ndarray, line_idx: np.ndarray, n_lines_at: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The nodes that are a line's first or last vertex and no other line's vertex.

    Returns
    -------
    (nodes, lines)
        Each dangling end node once (a closed line's start and end are one), and its line.
    """
    if len(line_idx) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    first, last = line_ends(line_idx)
    ends = np.r_[first, last]
    ends = ends[n_lines_at[node_of_vertex[ends]] == 1]
    nodes, pick = np.unique(node_of_vertex[ends], return_index=True)
    return nodes, line_idx[ends[pick]]


# --------------------------------------------------------------------------- end snaps


def _may_join(a: list[int], b: list[int], xy: np.ndarray, lines: np.ndarray, noded: np.ndarray, tol: float) -> bool:
    """Whether two groups of dangling ends may become one node: no line twice, at most one ``noded`` end,
    every pair within ``tol``."""
    if set(lines[a].tolist()) & set(lines[b].tolist()):
        return False
    if noded[a].any() and noded[b].any():
        return False
    gaps = np.hypot(*(xy[a][:, None, :] - xy[b][None, :, :]).transpose(2, 0, 1))
    return bool((gaps <= tol).all())


def _groups(xy: np.ndarray, lines: np.ndarray, noded: np.ndarray, tol: float) -> list[list[int]]:
    """Dangling ends grouped closest pairs first under :func:`_may_join`; groups of two or more."""
    pairs = cKDTree(xy).query_pairs(tol, output_type="ndarray") if len(xy) > 1 else np.zeros((0, 2), int)
    if not len(pairs):
        return []
    gap = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    order = np.lexsort((pairs[:, 1], pairs[:, 0], gap))
    group_of = np.arange(len(xy))
    members: dict[int, list[int]] = {i: [i] for i in range(len(xy))}
    for i, j in pairs[order]:
        gi, gj = group_of[i], group_of[j]
        if gi == gj or not _may_join(members[gi], members[gj], xy, lines, noded, tol):
            continue
        keep, gone = min(gi, gj), max(gi, gj)
        members[keep] += members.pop(gone)
        group_of[members[keep]] = keep
    return [sorted(m) for m in members.values() if len(m) > 1]


def join_ends(end_nodes: np.ndarray, end_lines: np.ndarray, noded: np.ndarray, node_xy: np.ndarray, tol: float
              ) -> tuple[dict[int, int], list[Snap]]:
    """End snaps: dangling ends of different lines within ``tol`` of each other become one node.

    Parameters
    ----------
    end_nodes, end_lines
        The dangling end nodes and their lines (:func:`dangling_ends`).
    noded
        Per line: its ends stay where they are.
    node_xy
        Node coordinates.
    tol
        Snapping tolerance in metres.

    Returns
    -------
    (moved, snaps)
        ``{node: node it joined}`` for every end that moved, and one :class:`Snap` per moved end.
    """
    xy = node_xy[end_nodes]
    own_noded = noded[end_lines]
    moved: dict[int, int] = {}
    snaps: list[Snap] = []
    for group in _groups(xy, end_lines, own_noded, tol):
        stay = next((k for k in group if own_noded[k]), min(group, key=lambda k: end_lines[k]))
        for k in group:
            if k == stay:
                continue
            moved[int(end_nodes[k])] = int(end_nodes[stay])
            snaps.append(Snap("end", int(end_lines[k]), int(end_lines[stay]), float(np.hypot(*(xy[k] - xy[stay])))))
    return moved, snaps


# --------------------------------------------------------------------------- junction snaps


@dataclass
class _Segments:
    """The non-degenerate segments of a layer: start vertex index, line, end points."""

    start: np.ndarray
    line: np.ndarray
    a: np.ndarray
    b: np.ndarray


def _segments(coords: np.ndarray, line_idx: np.ndarray) -> _Segments:
    """Segments between consecutive vertices of one line, zero-length ones left out."""
    s = np.flatnonzero((line_idx[1:] == line_idx[:-1]) & np.any(coords[1:] != coords[:-1], axis=1))
    return _Segments(s, line_idx[s], coords[s], coords[s + 1])


def _project(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest points of segments ``a``–``b`` to points ``p`` (row by row): ``(t, point, distance)``,
    ``t`` in [0, 1] along the segment; at ``t`` 0 or 1 the point is the vertex itself, bit for bit."""
    d = b - a
    t = np.clip(np.einsum("ij,ij->i", p - a, d) / np.einsum("ij,ij->i", d, d), 0.0, 1.0)
    q = a + t[:, None] * d
    q[t == 0.0] = a[t == 0.0]
    q[t == 1.0] = b[t == 1.0]
    return t, q, np.hypot(*(p - q).T)


def _node_at(points: np.ndarray, node_xy: np.ndarray) -> np.ndarray:
    """The node at exactly each point, or -1."""
    if len(points) == 0:
        return np.zeros(0, dtype=np.int64)
    both = np.vstack([node_xy, points])
    _, inverse = np.unique(both, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    owner = np.full(inverse.max() + 1, -1, dtype=np.int64)
    owner[inverse[:len(node_xy)]] = np.arange(len(node_xy))
    return owner[inverse[len(node_xy):]]


def _one_point_per_line(cand_end: np.ndarray, end_lines: np.ndarray, q: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Among chosen targets (one per end, nearest first), drop the farther end of a line whose two ends chose
    the same point; returns a keep mask."""
    keep = np.ones(len(cand_end), dtype=bool)
    seen: dict[tuple[int, float, float], int] = {}
    for k in np.argsort(dist, kind="stable"):
        key = (int(end_lines[cand_end[k]]), float(q[k, 0]), float(q[k, 1]))
        if key in seen:
            keep[k] = False
        else:
            seen[key] = k
    return keep


@dataclass
class _Junctions:
    """Junction snaps chosen: per moving end its target point, and the splits to make."""

    end: np.ndarray  # index into the dangling ends
    point: np.ndarray  # (k, 2) where each goes
    seg_start: np.ndarray  # vertex index of the segment split, -1 where the target is an existing node
    t: np.ndarray  # position along that segment
    onto: np.ndarray  # line joined
    gap: np.ndarray

    @classmethod
    def none(cls) -> "_Junctions":
        """No junction snaps."""
        ints = np.zeros(0, dtype=np.int64)
        return cls(ints, np.zeros((0, 2)), ints, np.zeros(0), ints, np.zeros(0))


def _junction_candidates(ends: np.ndarray, end_xy: np.ndarray, end_lines: np.ndarray, seg: _Segments, tol: float):
    """Every (end, segment of another line) within ``tol``, with the nearest point of the segment."""
    tree = shapely.STRtree(shapely.linestrings(np.stack([seg.a, seg.b], axis=1)))
    e, s = tree.query(shapely.points(end_xy[ends]), predicate="dwithin", distance=tol)
    e = ends[e]
    other = seg.line[s] != end_lines[e]
    e, s = e[other], s[other]
    t, q, dist = _project(end_xy[e], seg.a[s], seg.b[s])
    near = dist <= tol
    return e[near], s[near], t[near], q[near], dist[near]


def choose_junctions(free: np.ndarray, end_nodes: np.ndarray, end_lines: np.ndarray, node_xy: np.ndarray,
                     coords: np.ndarray, line_idx: np.ndarray, node_of_vertex: np.ndarray, tol: float) -> _Junctions:
    """Junction snaps: each end in ``free`` (indices into the dangling ends) moves to the nearest point of
    another line within ``tol``.

    A target that is an existing node must be shared by two or more lines or lie inside a line (dangling ends
    meet in :func:`join_ends`), and must not be a vertex of the moving end's own line.
    """
    seg = _segments(coords, line_idx)
    if not len(free) or not len(seg.start):
        return _Junctions.none()
    e, s, t, q, dist = _junction_candidates(free, node_xy[end_nodes], end_lines, seg, tol)
    at = _node_at(q, node_xy)
    own = np.zeros(len(e), dtype=bool)
    hit = np.flatnonzero(at >= 0)
    if len(hit):
        key_own = np.unique(node_of_vertex * (line_idx.max() + 1) + line_idx)
        own[hit] = np.isin(at[hit] * (line_idx.max() + 1) + end_lines[e[hit]], key_own)
        own[hit] |= np.isin(at[hit], end_nodes)  # another line's dangling end: join_ends's business
    e, s, t, q, dist, at = e[~own], s[~own], t[~own], q[~own], dist[~own], at[~own]
    order = np.lexsort((s, dist, e))
    first = order[np.r_[True, e[order][1:] != e[order][:-1]]] if len(order) else order
    e, s, t, q, dist, at = e[first], s[first], t[first], q[first], dist[first], at[first]
    keep = _one_point_per_line(e, end_lines, q, dist)
    e, s, t, q, dist, at = e[keep], s[keep], t[keep], q[keep], dist[keep], at[keep]
    split = at < 0
    return _Junctions(e, q, np.where(split, seg.start[s], -1), np.where(split, t, 0.0), seg.line[s], dist)


# --------------------------------------------------------------------------- assembly


def _with_splits(coords: np.ndarray, line_idx: np.ndarray, seg_start: np.ndarray, t: np.ndarray,
                 points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The vertices with the split points inserted in order along their segments.

    Returns
    -------
    (xy, line, seg, t)
        Per vertex: coordinates, line, the original segment it starts from (its own index for an input vertex)
        and its position along that segment (0 for an input vertex).
    """
    keep = seg_start >= 0
    key = np.unique(np.column_stack([seg_start[keep], t[keep]]), axis=0, return_index=True)[1]
    s, tt, pts = seg_start[keep][key], t[keep][key], points[keep][key]
    seg = np.r_[np.arange(len(coords)), s.astype(np.int64)]
    pos = np.r_[np.zeros(len(coords)), tt]
    order = np.lexsort((pos, seg))
    return np.vstack([coords, pts])[order], np.r_[line_idx, line_idx[s.astype(np.int64)]][order], seg[order], \
        pos[order]


def _pieces(line: np.ndarray, seg: np.ndarray, pos: np.ndarray, seg_len: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive vertex pairs of one line and each piece's drawn length."""
    same = np.flatnonzero(line[1:] == line[:-1])
    end_pos = np.where(seg[same + 1] == seg[same], pos[same + 1], 1.0)
    return same, (end_pos - pos[same]) * seg_len[seg[same]]


def node_lines(geoms: np.ndarray, tol: float, noded: np.ndarray | None = None) -> Noding:
    """Node one layer's lines (see the module's rules).

    Parameters
    ----------
    geoms
        LineStrings in a metric CRS.
    tol
        Snapping tolerance in metres; ``0`` keeps the exact topology alone.
    noded
        Per line: ``True`` where the line is already noded and its ends are never moved. All ``False`` when
        omitted.

    Returns
    -------
    Noding
    """
    coords, line_idx = shapely.get_coordinates(geoms, return_index=True)
    noded = np.zeros(len(geoms), dtype=bool) if noded is None else np.asarray(noded, dtype=bool)
    node_of_vertex, node_xy = exact_nodes(coords)
    n_lines_at = lines_per_node(node_of_vertex, line_idx, len(node_xy))
    end_nodes, end_lines = dangling_ends(node_of_vertex, line_idx, n_lines_at)
    moved, snaps = join_ends(end_nodes, end_lines, noded, node_xy, tol)
    joined = set(moved) | set(moved.values())
    free = np.flatnonzero(~noded[end_lines] & ~np.isin(end_nodes, np.fromiter(joined, dtype=np.int64)))
    junc = choose_junctions(free, end_nodes, end_lines, node_xy, coords, line_idx, node_of_vertex, tol)
    final_xy = node_xy.copy()
    for node, onto in moved.items():
        final_xy[node] = node_xy[onto]
    final_xy[end_nodes[junc.end]] = junc.point
    snaps += [Snap("junction", int(end_lines[k]), int(o), float(g), bool(s >= 0))
              for k, o, g, s in zip(junc.end, junc.onto, junc.gap, junc.seg_start)]
    seg_len = np.r_[np.hypot(*(coords[1:] - coords[:-1]).T), 0.0]
    xy, line, seg, pos = _with_splits(final_xy[node_of_vertex], line_idx, junc.seg_start, junc.t, junc.point)
    pair, length = _pieces(line, seg, pos, seg_len)
    nodes, at = exact_nodes(xy)
    u, v = nodes[pair], nodes[pair + 1]
    zero = u == v
    return Noding(at, u[~zero], v[~zero], length[~zero], line[pair][~zero], int(zero.sum()),
                  int(len(xy) - len(coords)), snaps)
