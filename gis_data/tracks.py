"""Real alignments for the built-in lines: OpenStreetMap-derived rail and road graphs, and routing along them.

The graphs come from the PyPI wheel ``scgraph-data`` 2.0.0 (OSM-derived world
railway and highway graphs; MIT for the package, the data ODbL as all OSM
data). Each member ``scgraph_data/world_<kind>.py`` is Python text of the form
``graph=[{neighbour: km, ...}, ...]`` (one dict per node) and
``nodes=[[lat, lon], ...]``; it is parsed as text here, never imported. Node
positions are WGS84 rounded to 0.001° (about 100 m); an edge's length is the
length along the track or road, while its drawn shape is the straight chord
between its two nodes (intermediate vertices were dropped upstream).

:func:`route_line` threads a line through ordered waypoints (a rail line's
stations in order): each waypoint gets a few candidate foot points on nearby
edges, the legs between candidates are turn-penalised shortest paths on the
graph restricted to the line's corridor, and the cheapest chain of candidates
wins (a Viterbi pass). A leg that cannot be routed plausibly is drawn straight
and reported, never silently.
"""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import Transformer
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra

__all__ = ["Graph", "read_scgraph", "Route", "route_line", "turns_deg"]

_PAIR = re.compile(rb"(\d+): ([0-9.eE+-]+)")
_NUM = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


@dataclass
class Graph:
    """An undirected graph in a metric CRS: node coordinates (m), edges ``u < v`` and along-track km."""

    xy: np.ndarray
    u: np.ndarray
    v: np.ndarray
    km: np.ndarray

    @property
    def chord_m(self) -> np.ndarray:
        return np.hypot(*(self.xy[self.v] - self.xy[self.u]).T)

    def subgraph(self, keep_edges: np.ndarray) -> "Graph":
        return Graph(self.xy, self.u[keep_edges], self.v[keep_edges], self.km[keep_edges])


def read_scgraph(wheel: zipfile.ZipFile, name: str, box_lonlat: tuple[float, float, float, float], crs) -> Graph:
    """The graph ``scgraph_data/<name>.py`` of the wheel, cut to a lon/lat box and projected to ``crs``.

    Self-loops are dropped, parallel edges keep the shortest, and only edges
    with both ends in the box are kept.
    """
    text = wheel.read(f"scgraph_data/{name}.py")
    g0, n0 = text.index(b"graph=["), text.index(b"\nnodes=[")
    gtext = text[g0 + len(b"graph=["):n0].rstrip()[:-1]
    ntext = text[n0 + len(b"\nnodes="):text.index(b"\n", n0 + 1)]
    latlon = np.array(_NUM.findall(ntext), dtype=np.float64).reshape(-1, 2)
    rows = gtext.split(b"}, {")
    if len(rows) != len(latlon):
        raise ValueError(f"{name}: {len(rows)} adjacency rows for {len(latlon)} nodes")
    deg = np.fromiter((r.count(b":") for r in rows), dtype=np.int64, count=len(rows))
    pairs = _PAIR.findall(gtext)
    dst = np.fromiter((int(a) for a, _ in pairs), dtype=np.int64, count=len(pairs))
    km = np.fromiter((float(b) for _, b in pairs), dtype=np.float64, count=len(pairs))
    src = np.repeat(np.arange(len(rows), dtype=np.int64), deg)
    lon0, lat0, lon1, lat1 = box_lonlat
    inside = (latlon[:, 1] >= lon0) & (latlon[:, 1] <= lon1) & (latlon[:, 0] >= lat0) & (latlon[:, 0] <= lat1)
    u, v = np.minimum(src, dst), np.maximum(src, dst)
    keep = (u != v) & inside[u] & inside[v]
    u, v, km = u[keep], v[keep], km[keep]
    order = np.lexsort((km, v, u))
    u, v, km = u[order], v[order], km[order]
    first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])]
    u, v, km = u[first], v[first], km[first]
    used = np.unique(np.r_[u, v])
    new = np.full(len(latlon), -1, dtype=np.int64)
    new[used] = np.arange(len(used))
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(latlon[used, 1], latlon[used, 0])
    return Graph(np.column_stack([x, y]), new[u], new[v], km)


def edges_within(g: Graph, area) -> np.ndarray:
    """Which edges lie wholly inside ``area``: both ends inside is not enough for a long straight edge."""
    inside = shapely.contains_xy(area, g.xy[:, 0], g.xy[:, 1])
    keep = inside[g.u] & inside[g.v]
    segs = shapely.linestrings(np.stack([g.xy[g.u[keep]], g.xy[g.v[keep]]], axis=1))
    shapely.prepare(area)
    keep[np.flatnonzero(keep)] = shapely.covers(area, segs)
    return keep


def largest_component(g: Graph) -> Graph:
    n = len(g.xy)
    _, lab = connected_components(sparse.coo_matrix((np.ones(len(g.u)), (g.u, g.v)), shape=(n, n)), directed=False)
    main = np.bincount(lab[g.u]).argmax()
    return g.subgraph(lab[g.u] == main)


def turns_deg(coords: np.ndarray) -> np.ndarray:
    """The turn (degrees, 0 = straight on) at each interior vertex of a polyline."""
    d = np.diff(coords, axis=0)
    d = d[np.hypot(*d.T) > 1e-6]
    if len(d) < 2:
        return np.zeros(0)
    a, b = d[:-1], d[1:]
    cos = (a * b).sum(axis=1) / (np.hypot(*a.T) * np.hypot(*b.T))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


# --------------------------------------------------------------------------- routing


@dataclass
class Route:
    """A routed line: each leg's polyline on the track (metric; ``None`` for a leg that could not be routed),
    the along-track km of the routed legs, and how each leg and waypoint went."""

    legs: list[np.ndarray | None]
    track_km: float
    snap_m: list[float]
    schematic_legs: list[int] = field(default_factory=list)
    leg_ratio: list[float] = field(default_factory=list)

    @property
    def n_legs(self) -> int:
        return len(self.leg_ratio)


class _Split:
    """A graph with candidate foot points inserted as nodes (edges split there, km shared in proportion)."""

    def __init__(self, g: Graph):
        self.xy = [p for p in g.xy]
        self.u, self.v, self.km = list(g.u), list(g.v), list(g.km)
        self._tree = shapely.STRtree(shapely.linestrings(np.stack([g.xy[g.u], g.xy[g.v]], axis=1)))
        self._base = g

    def candidates(self, p: np.ndarray, k: int, max_m: float) -> list[tuple[int, float]]:
        """Up to ``k`` foot points on distinct nearby edges, as ``(node id, distance m)``, nearest first."""
        g = self._base
        idx = self._tree.query(shapely.points(p), predicate="dwithin", distance=max_m)
        if not len(idx):
            idx = np.atleast_1d(self._tree.query_nearest(shapely.points(p)))
        a, b = g.xy[g.u[idx]], g.xy[g.v[idx]]
        ab = b - a
        t = np.clip(((p - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-9), 0.0, 1.0)
        foot = a + t[:, None] * ab
        dist = np.hypot(*(foot - p).T)
        out, seen = [], []
        for j in np.argsort(dist, kind="stable"):
            if any(np.hypot(*(foot[j] - s)) < 150.0 for s in seen):
                continue  # the same spot on another edge of a junction
            seen.append(foot[j])
            out.append((self._insert(int(idx[j]), float(t[j]), foot[j]), float(dist[j])))
            if len(out) == k:
                break
        return out

    def _insert(self, e: int, t: float, foot: np.ndarray) -> int:
        g = self._base
        if t <= 1e-6:
            return int(g.u[e])
        if t >= 1 - 1e-6:
            return int(g.v[e])
        node = len(self.xy)
        self.xy.append(foot)
        self.u += [int(g.u[e]), node]
        self.v += [node, int(g.v[e])]
        self.km += [g.km[e] * t, g.km[e] * (1 - t)]
        self.km[e] = math.inf  # the split edge itself is replaced by its two halves
        return node

    def arcs(self):
        u = np.asarray(self.u, dtype=np.int64)
        v = np.asarray(self.v, dtype=np.int64)
        km = np.asarray(self.km, dtype=float)
        ok = np.isfinite(km)
        u, v, km = u[ok], v[ok], km[ok]
        return np.r_[u, v], np.r_[v, u], np.r_[km, km], np.asarray(self.xy)


def _arc_graph(tail: np.ndarray, head: np.ndarray, km: np.ndarray, xy: np.ndarray, turn_km_per_deg: float,
               free_deg: float) -> tuple[list[int], list[int], list[float]]:
    """Arc-to-arc transitions ``(from, to, cost)``: entering arc ``b`` from arc ``a`` costs ``km[b]`` plus the turn
    penalty; no U-turns."""
    n_arcs = len(tail)
    by_tail: dict[int, list[int]] = {}
    for i, t in enumerate(tail):
        by_tail.setdefault(int(t), []).append(i)
    rows, cols, cost = [], [], []
    direction = xy[head] - xy[tail]
    norm = np.maximum(np.hypot(*direction.T), 1e-9)
    for a in range(n_arcs):
        for b in by_tail.get(int(head[a]), ()):
            if head[b] == tail[a]:
                continue
            cos = float(direction[a] @ direction[b]) / (norm[a] * norm[b])
            angle = math.degrees(math.acos(max(-1.0, min(1.0, cos))))
            rows.append(a)
            cols.append(b)
            cost.append(km[b] + turn_km_per_deg * max(0.0, angle - free_deg) + 1e-9)
    return rows, cols, cost


def route_line(g: Graph, waypoints: np.ndarray, *, corridor: shapely.Geometry | None = None, k: int = 5,
               max_snap_m: float = 5000.0, snap_km_per_km: float = 2.0, turn_km_per_deg: float = 0.2,
               free_deg: float = 15.0, max_ratio: float = 1.6, max_off_track_m: float = 1500.0) -> Route:
    """Thread a line through ``waypoints`` (metric, in order) along graph ``g``.

    Parameters
    ----------
    corridor
        Only edges with both ends inside this area are used.
    k, max_snap_m
        Candidate foot points per waypoint, and how far they may be.
    snap_km_per_km
        Cost of each km between a waypoint and its foot point, in km of track.
    turn_km_per_deg, free_deg
        Cost of turning at a node: km per degree beyond ``free_deg``.
    max_ratio
        A leg longer than this many times its chord is not routed (``None`` in ``Route.legs``).
    max_off_track_m
        A leg whose end lies farther than this from every track is not routed either: the graph lacks
        that track there.

    Returns
    -------
    Route
        Each routed leg passes through its two waypoints: a station is a point of its track, so the
        graph's foot point is replaced by the station's own position.
    """
    if corridor is not None:
        g = g.subgraph(edges_within(g, corridor))
    split = _Split(g)
    cands = [split.candidates(np.asarray(p, float), k, max_snap_m) for p in waypoints]
    tail, head, km, xy = split.arcs()
    r, c, w = _arc_graph(tail, head, km, xy, turn_km_per_deg, free_deg)
    n_arcs = len(tail)
    # a virtual start per candidate node: into each arc leaving it, at that arc's km
    starts = sorted({node for cs in cands[:-1] for node, _ in cs})
    for i, node in enumerate(starts):
        for a in np.flatnonzero(tail == node):
            r.append(n_arcs + i)
            c.append(int(a))
            w.append(km[a] + 1e-9)
    total = n_arcs + len(starts)
    m = sparse.csr_matrix((w, (r, c)), shape=(total, total))
    dist, pred = dijkstra(m, directed=True, indices=n_arcs + np.arange(len(starts)), return_predecessors=True)
    row = {s: i for i, s in enumerate(starts)}

    def leg(a: int, b: int) -> tuple[float, list[int]]:
        """km of the best arc path from node a to node b, and its node sequence."""
        if a == b:
            return 0.0, [a]
        into = np.flatnonzero(head == b)
        if not len(into):
            return math.inf, []
        d = dist[row[a], into]
        best = int(into[np.argmin(d)])
        if not np.isfinite(d.min()):
            return math.inf, []
        arcs_path = [best]
        while True:
            p = int(pred[row[a], arcs_path[-1]])
            if p < 0 or p >= n_arcs:
                break
            arcs_path.append(p)
        arcs_path.reverse()
        return float(d.min()), [int(tail[arcs_path[0]])] + [int(head[x]) for x in arcs_path]

    # Viterbi over the candidates: cost = path km + snap penalty
    score = [[snap_km_per_km * dm / 1000.0 for _, dm in cands[0]]]
    back: list[list[int]] = [[-1] * len(cands[0])]
    legs: list[dict] = []
    for s in range(1, len(waypoints)):
        chord = float(np.hypot(*(np.asarray(waypoints[s], float) - np.asarray(waypoints[s - 1], float)))) / 1000.0
        table = {}
        sc, bk = [], []
        for j, (nj, dj) in enumerate(cands[s]):
            best, arg = math.inf, -1
            for i, (ni, _) in enumerate(cands[s - 1]):
                cost, _ = table.setdefault((i, j), leg(ni, nj))
                total_cost = score[-1][i] + cost + snap_km_per_km * dj / 1000.0
                if total_cost < best:
                    best, arg = total_cost, i
            sc.append(best)
            bk.append(arg)
        legs.append({"chord": chord, "table": table})
        score.append(sc)
        back.append(bk)
    # walk back
    j = int(np.argmin(score[-1]))
    chosen = [j]
    for s in range(len(waypoints) - 1, 0, -1):
        j = back[s][j]
        chosen.append(j if j >= 0 else 0)
    chosen.reverse()
    legs_out: list[np.ndarray | None] = []
    track_km, ratios, schematic = 0.0, [], []
    snap_m = [cands[s][chosen[s]][1] for s in range(len(waypoints))]
    for s in range(1, len(waypoints)):
        i, j = chosen[s - 1], chosen[s]
        cost, nodes = legs[s - 1]["table"].get((i, j)) or leg(cands[s - 1][i][0], cands[s][j][0])
        chord = legs[s - 1]["chord"]
        path_km = _path_km(nodes, split) if nodes else math.inf
        ratio = path_km / chord if chord > 0 else 1.0
        on_track = max(snap_m[s - 1], snap_m[s]) <= max_off_track_m
        if not nodes or not math.isfinite(path_km) or ratio > max_ratio or not on_track:
            schematic.append(s)
            ratios.append(float("nan") if not math.isfinite(ratio) else ratio)
            legs_out.append(None)
            continue
        ratios.append(ratio)
        track_km += path_km
        legs_out.append(np.asarray([np.asarray(waypoints[s - 1], float)] + [xy[n] for n in nodes[1:-1]]
                                   + [np.asarray(waypoints[s], float)]))
    return Route(legs_out, track_km, snap_m, schematic, ratios)


def _path_km(nodes: list[int], split: _Split) -> float:
    """Along-track km of a node path on the split graph."""
    lookup: dict[tuple[int, int], float] = {}
    for a, b, k in zip(split.u, split.v, split.km):
        if math.isfinite(k):
            key = (min(a, b), max(a, b))
            lookup[key] = min(k, lookup.get(key, math.inf))
    return float(sum(lookup.get((min(a, b), max(a, b)), math.inf) for a, b in zip(nodes, nodes[1:])))


@dataclass
class Alignment:
    """A line's final shape: its parts (metric polylines) and what each leg became."""

    parts: list[np.ndarray]
    part_kind: list[str]  # per part: "track" or "straight"
    track_km: float
    straight_km: float
    leg_kind: list[str]  # per leg: "track", "straight" or "gap"
    snap_m: list[float]


def align_line(g: Graph, waypoints: np.ndarray, *, corridor, area, **kw) -> Alignment:
    """Route a line (see :func:`route_line`) in its ``corridor``; a failed leg whose chord leaves the corridor is
    tried again within the whole ``area``. What remains is drawn straight where the chord stays inside ``area``;
    a leg whose chord leaves it is a gap (the line then has several parts)."""
    route = route_line(g, waypoints, corridor=corridor, **kw)
    legs, kinds = list(route.legs), []
    track_km, straight_km = route.track_km, 0.0
    for s, leg in enumerate(legs, start=1):
        chord = shapely.linestrings(np.asarray(waypoints[s - 1:s + 1], float))
        if leg is None and not shapely.covers(corridor, chord):  # the line leaves its corridor: look further out
            retry = route_line(g, waypoints[s - 1:s + 1], corridor=area, **kw)
            if retry.legs[0] is not None:
                legs[s - 1] = retry.legs[0]
                track_km += retry.track_km
        if legs[s - 1] is not None:
            kinds.append("track")
            continue
        if shapely.covers(area, chord):
            legs[s - 1] = np.asarray(waypoints[s - 1:s + 1], float)
            straight_km += float(shapely.length(chord)) / 1000.0
            kinds.append("straight")
        else:
            kinds.append("gap")
    parts, part_kind, current, current_kind = [], [], None, None
    for leg, kind in zip(legs, kinds):
        if leg is None or kind != current_kind:  # a gap, or track turning into a straight leg or back
            if current is not None:
                parts.append(current)
                part_kind.append(current_kind)
            current, current_kind = (None, None) if leg is None else (leg, kind)
        else:
            current = np.vstack([current, leg[1:]])
    if current is not None:
        parts.append(current)
        part_kind.append(current_kind)
    return Alignment(parts, part_kind, track_km, straight_km, kinds, route.snap_m)


def despike(coords: np.ndarray, max_turn_deg: float = 150.0) -> np.ndarray:
    """Drop interior vertices where the line doubles back (turn above ``max_turn_deg``), until none is left.

    A station on a short spur of the graph, or a waypoint just past a junction, otherwise draws an
    out-and-back spike; without the vertex the line passes beside it.
    """
    pts = np.asarray(coords, float)
    pts = pts[np.r_[True, np.hypot(*np.diff(pts, axis=0).T) > 1e-6]]
    while len(pts) > 2:
        t = turns_deg(pts)
        worst = int(np.argmax(t))
        if t[worst] <= max_turn_deg:
            break
        pts = np.delete(pts, worst + 1, axis=0)
    return pts
