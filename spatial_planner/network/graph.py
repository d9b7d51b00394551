"""The multimodal network: :class:`Network`, its parameters, modes and CSR matrices.

A :class:`Network` holds nodes in a projected metric CRS and one row per
directed edge (road, rail, board, alight). Road and rail nodes are kept apart
(a rail line crossing a road is not a junction); the modes are:

* ``road``: the road edges;
* ``rail``: roads plus passenger rail (hsr, intercity, conventional), entered
  from the road network only at passenger stations, with a boarding penalty;
* ``freight``: roads plus freight-capable rail (conventional, freight),
  entered only at rail freight terminals, with a transfer penalty.

The graph for a mode is a SciPy CSR matrix of minutes, built once and cached.
Networks are built by :func:`spatial_planner.network.build.build_network`.
"""


from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .._errors import ConfigError, DisconnectedNetworkError, NoCRSError, format_ids
from .hierarchy import Hierarchy, Overlay, cached_hierarchy, on_disk, overlay

__all__ = [
    "ROAD_SPEEDS",
    "RAIL_SPEEDS",
    "RAIL_SPEED_FACTORS",
    "MODES",
    "NetworkParams",
    "NetworkReport",
    "SnapRecord",
    "snap_summary",
    "Network",
    "locality_order",
    "hilbert_keys",
    "far_from_network",
    "require_connected",
    "unreachable_flags",
    "search_inputs",
]

#: Design speeds (km/h) by road class, after JTG B01-2014 (highest value of each class's range),
#: plus the OSM highway classes the OSM reader produces.
ROAD_SPEEDS: dict[str, float] = {
    "expressway": 120.0,  # 高速公路 120/100/80
    "provincial_expressway": 100.0,
    "first_class": 100.0,  # 一级公路 100/80/60
    "second_class": 80.0,  # 二级公路 80/60
    "third_class": 40.0,  # 三级公路 40/30
    "fourth_class": 30.0,  # 四级公路 30/20
    "connector": 60.0,  # generated county connector: an ordinary 二级 road
    "hub_connector": 60.0,  # generated link from a hub to the nearest county seats
    "arterial": 80.0,  # 普通国省干线: 一级 (80–100) and 二级 (60–80) roads through towns; built-in data
    "motorway": 120.0,
    "trunk": 100.0,
    "primary": 80.0,
    "secondary": 60.0,
    "tertiary": 40.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "service": 20.0,
    "link": 40.0,
}

#: Design speeds (km/h) by rail class: 高速铁路 TB 10621 (250–350), 城际铁路 TB 10623 (120–200),
#: 普速铁路 TB 10098 (passenger up to 160; freight trains about 80–120).
RAIL_SPEEDS: dict[str, float] = {
    "hsr": 300.0,
    "intercity": 200.0,
    "conventional": 120.0,
    "freight": 80.0,
}

#: Operating share of design speed by rail class: the fastest scheduled trains, with their stops, acceleration
#: and speed limits near junctions, average this share of the line's design speed.
#: Fitted to the 34 timetable facts of ``tests/data/travel_truth.csv`` (``spatial-planner check-travel``): each
#: factor is the one that centres its kind of train on the published times. No freight times are published;
#: freight takes the conventional factor.
RAIL_SPEED_FACTORS: dict[str, float] = {
    "hsr": 0.62,
    "intercity": 0.56,
    "conventional": 0.64,
    "freight": 0.64,
}

#: The modes a network answers for.
MODES = ("road", "rail", "freight")
_PASSENGER = ("hsr", "intercity", "conventional")
_FREIGHT = ("conventional", "freight")


@dataclass
class NetworkParams:
    """Parameters of network building (all in the run config's ``[network]`` table).

    Attributes
    ----------
    snap_tolerance_m
        A loose line end this close to another line's loose end becomes one node with it (an end snap);
        otherwise, this close to another line, it joins that line's nearest point, splitting the segment
        there (a junction snap). A line's own vertices are never merged, vertices at exactly the same
        coordinates are always one node, and the ends of lines flagged ``noded`` (OSM ways) never move.
        ``0`` keeps the exact topology alone.
    road_speeds, rail_speeds
        Class → design speed (km/h) used when a line has none.
    road_speed_factor, rail_speed_factor
        Operating speed as a share of design speed, for the classes without a factor of their own.
    road_speed_factors, rail_speed_factors
        Class → operating share of design speed. The rail defaults (:data:`RAIL_SPEED_FACTORS`) are fitted to
        published fastest timetable times, stops included (``tests/data/travel_truth.csv``).
    boarding_penalty_min
        Minutes added when a trip enters passenger rail at a station (waiting, access inside the station).
    freight_transfer_min
        Minutes added when freight moves between road and rail at a freight terminal.
    access_speed_kmh, access_detour
        Speed and detour factor of the off-network link from an origin or destination to its nearest node.
    access_warn_km
        Places farther than this from the road network are reported (:func:`far_from_network`):
        a road layer that does not cover the study area gives access links, not network times.
    year
        Plan on the network as it stood at the end of this year (lines whose ``opened`` year is later are
        left out, :func:`spatial_planner.io.area.network_as_of`); 0 takes the layers as they are.
    """

    snap_tolerance_m: float = 50.0
    road_speeds: dict[str, float] = field(default_factory=lambda: dict(ROAD_SPEEDS))
    rail_speeds: dict[str, float] = field(default_factory=lambda: dict(RAIL_SPEEDS))
    road_speed_factor: float = 0.8
    rail_speed_factor: float = 0.8
    road_speed_factors: dict[str, float] = field(default_factory=dict)
    rail_speed_factors: dict[str, float] = field(default_factory=lambda: dict(RAIL_SPEED_FACTORS))
    boarding_penalty_min: float = 20.0
    freight_transfer_min: float = 120.0
    access_speed_kmh: float = 40.0
    access_detour: float = 1.3
    access_warn_km: float = 15.0
    year: int = 0


@dataclass(frozen=True)
class SnapRecord:
    """One merge made while noding: a loose line end moved onto another line.

    Attributes
    ----------
    layer
        ``"road"`` or ``"rail"``.
    kind
        ``"end"``: joined another line's loose end; ``"junction"``: joined another line's vertex or segment.
    line_id
        The line whose end moved.
    onto_line_id
        The line it joined.
    gap_m
        How far the end moved, in metres.
    split
        Whether a vertex was inserted on ``onto_line_id`` (a T-junction split).
    """

    layer: str
    kind: str
    line_id: str
    onto_line_id: str
    gap_m: float
    split: bool = False


def _involved(snaps: Sequence[SnapRecord]) -> list[str]:
    """The lines on either side of the merges, each once, in the order met."""
    return list(dict.fromkeys(i for x in snaps for i in (x.line_id, x.onto_line_id)))


def snap_summary(snaps: Sequence[SnapRecord]) -> dict[str, object]:
    """The :class:`NetworkReport` fields that sum up noding's merges.

    Returns
    -------
    dict
        ``end_snaps``, ``junction_snaps`` (counts), ``end_snap_lines``, ``junction_snap_lines`` (ids of the
        lines involved, either side) and ``snaps`` (every merge).
    """
    ends = [x for x in snaps if x.kind == "end"]
    junctions = [x for x in snaps if x.kind == "junction"]
    return {"end_snaps": len(ends), "junction_snaps": len(junctions), "end_snap_lines": _involved(ends),
            "junction_snap_lines": _involved(junctions), "snaps": list(snaps)}


@dataclass
class NetworkReport:
    """What noding found.

    Attributes
    ----------
    snapped_vertices
        Line ends moved by snapping (one per merge: ``end_snaps + junction_snaps``).
    t_junction_splits
        Vertices inserted into lines where another line's end joined a segment.
    zero_length_edges
        Segments between consecutive vertices at the same point, dropped.
    zero_length_lines
        Ids of road/rail lines with no segment of non-zero length: they add
        nothing to the graph.
    duplicate_lines
        Ids of lines with a segment joining the same two nodes as another
        segment (the fastest of such parallel edges is used).
    end_snaps, junction_snaps
        Merges of a loose line end with another line's loose end, and with
        another line's vertex or segment.
    end_snap_lines, junction_snap_lines
        Ids of the lines involved in those merges (either side).
    snaps
        Every merge (:class:`SnapRecord`): which end moved onto which line, and how far.
    """

    n_nodes: int
    n_edges: int
    snapped_vertices: int
    t_junction_splits: int
    zero_length_edges: int
    duplicate_edges: int
    road_components: list[int]
    rail_components: list[int]
    stations_attached: int
    missing_speeds: dict[str, int]
    zero_length_lines: list[str] = field(default_factory=list)
    duplicate_lines: list[str] = field(default_factory=list)
    oneway_segments: int = 0
    one_way_traps: int = 0
    end_snaps: int = 0
    junction_snaps: int = 0
    end_snap_lines: list[str] = field(default_factory=list)
    junction_snap_lines: list[str] = field(default_factory=list)
    snaps: list[SnapRecord] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable summary lines (zh + en)."""
        comps = self.road_components
        out = [
            f"节点 nodes: {self.n_nodes:,}; 边 edges: {self.n_edges:,}",
            f"吸附移动的线端 line ends snapped: {self.snapped_vertices:,}; T 形交叉打断 T-junction splits: "
            f"{self.t_junction_splits:,}",
            f"端点吸附 end snaps (a loose end joined another line's loose end): {self.end_snaps:,}; "
            f"交叉口吸附 junction snaps (a loose end joined another line): {self.junction_snaps:,}",
            f"零长度边 zero-length edges dropped: {self.zero_length_edges:,}; 重复边 duplicate edges: "
            f"{self.duplicate_edges:,}",
            f"道路连通分量 road components: {len(comps)} (sizes {comps[:5]}{' …' if len(comps) > 5 else ''})",
            f"铁路连通分量 rail components: {len(self.rail_components)}",
        ]
        if self.end_snap_lines:
            out.append(f"端点吸附所涉线路 lines in end snaps: {format_ids(self.end_snap_lines)}")
        if self.junction_snap_lines:
            out.append(f"交叉口吸附所涉线路 lines in junction snaps: {format_ids(self.junction_snap_lines)}")
        if self.oneway_segments:
            out.append(f"单向路段 one-way road segments: {self.oneway_segments:,}; 单向困点 road nodes that cannot "
                       f"reach or be reached from the main strongly connected part: {self.one_way_traps:,}")
        if self.zero_length_lines:
            out.append(f"零长度线 zero-length lines (no usable segment): {format_ids(self.zero_length_lines)}")
        if self.duplicate_lines:
            out.append(f"重复线段所在线 lines with duplicate segments: {format_ids(self.duplicate_lines)}")
        return out


@dataclass
class Network:
    """A multimodal network in a projected CRS.

    Attributes
    ----------
    crs
        Projected metric CRS of ``node_xy``.
    node_xy
        ``(n, 2)`` node coordinates.
    node_layer
        ``0`` road node, ``1`` rail node.
    edges
        One row per directed edge: ``u, v, length_m, minutes, layer`` (road, rail,
        board, alight), ``cls`` (road or rail class, or station type), ``line_id``, ``name``.
    stations
        ``station_id, name_zh, station_type, rail_node, road_node``.
    report
        Noding summary.
    params
        The parameters it was built with.
    cache_dir
        A folder where contraction hierarchies of this network's modes are saved and found again
        (:meth:`hierarchy`); the planner sets it next to an OpenStreetMap source. ``None``: only
        :data:`spatial_planner.network.hierarchy.CACHE_ENV`, if set.
    """

    crs: CRS
    node_xy: np.ndarray
    node_layer: np.ndarray
    edges: pd.DataFrame
    stations: pd.DataFrame
    report: NetworkReport
    params: NetworkParams
    _csr: dict = field(default_factory=dict, repr=False)
    _trees: dict = field(default_factory=dict, repr=False)
    cache_dir: str | None = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        return int(len(self.node_xy))

    def edge_mask(self, mode: str) -> np.ndarray:
        """Which edges a mode may use."""
        if mode not in MODES:
            raise ConfigError(f"unknown mode '{mode}'", key="mode", fix=f"use one of: {', '.join(MODES)}.")
        layer = self.edges["layer"].to_numpy()
        cls = self.edges["cls"].to_numpy()
        road = layer == "road"
        if mode == "road":
            return road
        if mode == "rail":
            rail = (layer == "rail") & np.isin(cls, _PASSENGER)
            xfer = np.isin(layer, ("board", "alight")) & np.isin(cls, ("hsr", "conventional"))
        else:
            rail = (layer == "rail") & np.isin(cls, _FREIGHT)
            xfer = np.isin(layer, ("board", "alight")) & (cls == "freight_terminal")
        return road | rail | xfer

    def csr(self, mode: str = "road", weight: str = "minutes") -> sparse.csr_matrix:
        """The directed CSR matrix of a mode (``weight`` = ``minutes`` or ``length_m``), cached.

        Parallel edges keep the fastest one; the ``length_m`` matrix has the
        same sparsity pattern, holding the length of that fastest edge.
        """
        key = (mode, weight)
        if key not in self._csr:
            self._build_csr(mode)
        return self._csr[key]

    def csr_reverse(self, mode: str = "road") -> sparse.csr_matrix:
        """The transposed minutes matrix (times *to* a node), cached."""
        key = (mode, "reverse")
        if key not in self._csr:
            self._csr[key] = self.csr(mode).T.tocsr()
        return self._csr[key]

    def node_order(self) -> tuple[np.ndarray, np.ndarray]:
        """A cache-friendly numbering of the nodes: ``(perm, inv)`` along a Hilbert curve.

        ``perm[new] = old`` and ``inv[old] = new``. Dijkstra touches the
        neighbours of each settled node; when nodes close on the ground are
        close in memory, those reads hit the CPU cache. On the million-node
        benchmark grid a search is 7–8 % faster than with row-major numbering
        and about 2.5 times faster than with random numbering, which is what
        node ids from a file or from OSM can look like
        (``benchmarks/bench_network.py`` prints all three). Road nodes come
        first, then rail nodes (:func:`locality_order`); :func:`build_network`
        already numbers its nodes this way, so for its networks this is the
        identity.
        """
        if "order" not in self._csr:
            perm = locality_order(self.node_xy, self.node_layer)
            inv = np.empty_like(perm)
            inv[perm] = np.arange(len(perm))
            self._csr["order"] = (perm, inv)
        return self._csr["order"]

    def csr_ordered(self, mode: str = "road", reverse: bool = False) -> sparse.csr_matrix:
        """The minutes matrix (or its transpose) renumbered by :meth:`node_order`, cached.

        Node ``k`` of the network is row and column ``inv[k]`` of this matrix.
        """
        key = (mode, "ordered-reverse" if reverse else "ordered")
        if key not in self._csr:
            own = self.csr_reverse(mode) if reverse else self.csr(mode)
            perm, inv = self.node_order()
            if np.array_equal(perm, np.arange(len(perm))):  # numbered so already: no second copy
                return own
            coo = own.tocoo()
            n = self.n_nodes
            m = sparse.csr_matrix((coo.data, (inv[coo.row], inv[coo.col])), shape=(n, n))
            m.sort_indices()
            self._csr[key] = m
        return self._csr[key]

    def hierarchy(self, mode: str = "road", *, kernel: str | None = None, workers: int | None = None
                  ) -> Hierarchy | Overlay:
        """The contraction hierarchy of a mode's minutes (:mod:`spatial_planner.network.hierarchy`), cached.

        Built once per network and mode and kept here; with :attr:`cache_dir` (or the
        ``SPATIAL_PLANNER_CH_CACHE`` folder) it is also saved to disk under a content hash of the
        mode's matrix, so a later run on the same graph loads it instead.

        A network made by :meth:`with_edges` (a what-if scenario) whose parent already has the
        mode's hierarchy gets an :class:`~spatial_planner.network.hierarchy.Overlay` of it: the
        added edges are searched around the parent's hierarchy, exactly, without contracting again.
        A contraction runs on ``workers`` threads (default: all of numba's).
        """
        key = (mode, "hierarchy")
        if key not in self._csr:
            parent = self._csr.get("parent")
            found = None
            if parent is not None and (mode, "hierarchy") in parent._csr:
                found = overlay(parent.hierarchy(mode), parent.csr(mode), self.csr(mode))
            self._csr[key] = found or cached_hierarchy(self.csr(mode), self.cache_dir, kernel=kernel, workers=workers)
        return self._csr[key]

    def has_hierarchy(self, mode: str = "road") -> bool:
        """Whether :meth:`hierarchy` of a mode costs no contraction: built already, saved on disk, or (a
        scenario's copy) its parent's to overlay."""
        parent = self._csr.get("parent")
        return ((mode, "hierarchy") in self._csr or on_disk(self.csr(mode), self.cache_dir)
                or (parent is not None and (mode, "hierarchy") in parent._csr))

    def is_symmetric(self, mode: str = "road") -> bool:
        """Whether every edge of a mode has a reverse edge of exactly the same time (a two-way network)."""
        key = (mode, "symmetric")
        if key not in self._csr:
            a = self.csr(mode)
            diff = (a - a.T).tocsr()
            diff.eliminate_zeros()
            self._csr[key] = diff.nnz == 0
        return self._csr[key]

    def _build_csr(self, mode: str) -> None:
        e = self.edges[self.edge_mask(mode)]
        u = e["u"].to_numpy(np.int64)
        v = e["v"].to_numpy(np.int64)
        t = e["minutes"].to_numpy(float)
        d = e["length_m"].to_numpy(float)
        order = np.lexsort((t, v, u))
        u, v, t, d = u[order], v[order], t[order], d[order]
        first = np.ones(len(u), dtype=bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        u, v, t, d = u[first], v[first], t[first], d[first]
        # csgraph treats explicit zeros as missing edges: give zero-time edges a tiny positive time
        t = np.maximum(t, 1e-9)
        n = self.n_nodes
        self._csr[(mode, "minutes")] = sparse.csr_matrix((t, (u, v)), shape=(n, n))
        self._csr[(mode, "length_m")] = sparse.csr_matrix((d, (u, v)), shape=(n, n))

    def road_tree(self) -> tuple[cKDTree, np.ndarray]:
        """KD-tree of road nodes and their node ids."""
        if "road" not in self._trees:
            ids = np.flatnonzero(self.node_layer == 0)
            self._trees["road"] = (cKDTree(self.node_xy[ids]), ids)
        return self._trees["road"]

    def main_road_tree(self) -> tuple[cKDTree, np.ndarray, np.ndarray]:
        """KD-tree of the road nodes of the largest connected part of the road network, their ids, and a mask
        of every node in that part."""
        if "main" not in self._trees:
            ids = np.flatnonzero(self.node_layer == 0)
            e = self.edges[self.edges["layer"].to_numpy() == "road"]
            n = self.n_nodes
            g = sparse.coo_matrix((np.ones(len(e)), (e["u"].to_numpy(), e["v"].to_numpy())), shape=(n, n))
            _, lab = connected_components(g, directed=False)
            in_main = lab == np.bincount(lab[ids]).argmax() if len(ids) else np.zeros(n, dtype=bool)
            main = ids[in_main[ids]]
            self._trees["main"] = (cKDTree(self.node_xy[main]), main, in_main)
        return self._trees["main"]

    def attach(self, points: gpd.GeoSeries | gpd.GeoDataFrame) -> pd.DataFrame:
        """Attach points to their nearest road node (on the main network when the nearest is a fragment of it
        and the main network lies within ``access_warn_km``).

        Returns
        -------
        pandas.DataFrame
            Aligned on the input index: ``node`` (node id), ``access_m`` (crow-fly
            distance to it) and ``access_min`` (at the access speed and detour).
        """
        geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        if geoms.crs is None:
            raise NoCRSError("points have no CRS", layer="origins/destinations", fix="set their CRS.")
        pts = geoms.to_crs(self.crs)
        xy = np.column_stack([pts.representative_point().x, pts.representative_point().y])
        tree, ids = self.road_tree()
        dist, idx = tree.query(xy)
        node = ids[idx]
        # a place whose nearest road is a fragment (cut off by a study area's edge, or by leaving out a road not
        # yet built) joins the main network instead when it lies within access_warn_km of it
        m_tree, m_ids, in_main = self.main_road_tree()
        off = ~in_main[node]
        if off.any() and len(m_ids):
            d_main, i_main = m_tree.query(xy[off])
            near = d_main <= self.params.access_warn_km * 1000.0
            sel = np.flatnonzero(off)[near]
            node[sel], dist[sel] = m_ids[i_main[near]], d_main[near]
        p = self.params
        minutes = dist * p.access_detour / (p.access_speed_kmh * 1000.0 / 60.0)
        return pd.DataFrame({"node": node, "access_m": dist, "access_min": minutes}, index=geoms.index)

    def nodes_gdf(self) -> gpd.GeoDataFrame:
        """The nodes as a point GeoDataFrame (projected CRS)."""
        return gpd.GeoDataFrame(
            {"node": np.arange(self.n_nodes), "layer": np.where(self.node_layer == 0, "road", "rail")},
            geometry=gpd.points_from_xy(self.node_xy[:, 0], self.node_xy[:, 1]),
            crs=self.crs,
        )

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """The edges as straight-segment lines (projected CRS), with ``oneway`` where no edge runs back."""
        e = self.edges
        u, v = e["u"].to_numpy(np.int64), e["v"].to_numpy(np.int64)
        lines = shapely.linestrings(np.stack([self.node_xy[u], self.node_xy[v]], axis=1))
        n = self.n_nodes
        out = gpd.GeoDataFrame(e.copy(), geometry=lines, crs=self.crs)
        out["oneway"] = ~np.isin(v * n + u, u * n + v)
        return out

    def with_edges(self, extra: pd.DataFrame, *, parent: Network | None = None) -> Network:
        """A copy with extra edges appended (used by what-if scenarios).

        The copy remembers ``parent`` (this network by default; pass the original when this one is
        itself a copy with nodes added) so that its :meth:`hierarchy` can reuse the parent's.
        """
        edges = pd.concat([self.edges, extra[self.edges.columns]], ignore_index=True)
        return dataclasses.replace(self, edges=edges, _csr={"parent": parent or self}, _trees={})



def locality_order(xy: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """``perm[new] = old``: road nodes (layer 0), then rail nodes, each along a Hilbert curve over its own extent."""
    return np.concatenate([np.flatnonzero(layer == k)[np.argsort(hilbert_keys(xy[layer == k]), kind="stable")]
                           for k in (0, 1)])


def hilbert_keys(xy: np.ndarray, bits: int = 16) -> np.ndarray:
    """Position of each point along a Hilbert curve over the points' bounding square.

    Points close along the curve are close on the ground, so sorting by the key
    gives a numbering with good memory locality.
    """
    xy = np.asarray(xy, dtype=float)
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64)
    side = 1 << bits
    lo = xy.min(axis=0)
    span = max(float((xy.max(axis=0) - lo).max()), 1e-9)
    q = np.clip(((xy - lo) / span * (side - 1)).round(), 0, side - 1).astype(np.int64)
    x, y = q[:, 0].copy(), q[:, 1].copy()
    key = np.zeros(len(xy), dtype=np.int64)
    s = side >> 1
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        key += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        turn = ~ry
        flip = turn & rx
        x = np.where(flip, side - 1 - x, x)
        y = np.where(flip, side - 1 - y, y)
        x, y = np.where(turn, y, x), np.where(turn, x, y)
        s >>= 1
    return key



def far_from_network(net: Network, places: gpd.GeoDataFrame, ids: Sequence[object], what: tuple[str, str]
                     ) -> str | None:
    """A note naming the places farther than ``params.access_warn_km`` from their nearest road node, or ``None``.

    ``what`` names the places in Chinese and English, e.g. ``("县城", "county seats")``.

    Such places reach the network only through a long straight access link,
    so their times say little: typically the road layer covers part of the
    study area (an OSM extract of one city for a whole province).
    """
    if places is None or not len(places):
        return None
    km = net.attach(places)["access_m"].to_numpy() / 1000.0
    far = km > net.params.access_warn_km
    if not far.any():
        return None
    order = np.argsort(-km[far])
    shown = [f"{i} ({d:.0f} km)" for i, d in zip(np.asarray(list(ids), dtype=object)[far][order], km[far][order])]
    zh, en = what
    lim = f"{net.params.access_warn_km:g}"
    return (f"{int(far.sum())}/{len(km)} 个{zh}距路网超过 {lim} 公里，其时间主要是直线接驳 — {en}: {int(far.sum())} of "
            f"{len(km)} lie more than {lim} km from the road network ({format_ids(shown, 3)}); load a road layer that "
            f"covers the study area, or raise network.access_warn_km if this is expected.")


def require_connected(net: Network, nodes: np.ndarray, *, layer: str = "network") -> None:
    """Raise :class:`DisconnectedNetworkError` if the given road nodes are not in one component."""
    n_road = int((net.node_layer == 0).sum())
    g = net.csr("road")[:n_road, :n_road]
    _, lab = connected_components(g, directed=False)
    comps = np.unique(lab[np.asarray(nodes)])
    if len(comps) > 1:
        sizes = {int(c): int((lab[np.asarray(nodes)] == c).sum()) for c in comps}
        raise DisconnectedNetworkError(
            f"the places fall into {len(comps)} disconnected parts of the road network (places per part: "
            f"{sorted(sizes.values(), reverse=True)})", layer=layer,
            fix="add the missing road links (check for gaps larger than the snapping tolerance).",
        )


def unreachable_flags(net: Network, nodes, *, mode: str = "road") -> np.ndarray:
    """Which nodes lie outside the largest connected part of a mode's graph.

    Places attached to such nodes cannot reach most others: their OD rows are
    ``unreachable`` (see :func:`spatial_planner.accessibility.od_matrix`).

    Parameters
    ----------
    net
        The network.
    nodes
        Node ids (for places: ``net.attach(points)["node"]``).
    mode
        ``"road"``, ``"rail"`` or ``"freight"``.

    Returns
    -------
    numpy.ndarray
        Boolean, aligned with ``nodes``.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    g = net.csr(mode)
    if g.shape[0] == 0 or len(nodes) == 0:
        return np.zeros(len(nodes), dtype=bool)
    _, lab = connected_components(g, directed=False)
    sizes = np.bincount(lab)
    # the largest part that holds a node this mode may use (isolated rail nodes do not count in road mode)
    used = np.zeros(g.shape[0], dtype=bool)
    coo = g.tocoo()
    used[coo.row] = True
    used[coo.col] = True
    if used.any():
        sizes = np.bincount(lab[used], minlength=len(sizes))
    main = int(np.argmax(sizes))
    return lab[nodes] != main


def search_inputs(net: Network, sources, targets=None, *, mode: str = "road", reverse: bool = False
                  ) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray | None]:
    """The matrix to search and the sources' and targets' rows in it.

    Rows of every node (``targets`` None) use the network's own numbering;
    target columns use :meth:`Network.csr_ordered`. Both the single-process
    engine and :mod:`spatial_planner.distributed` search these.
    """
    src = np.asarray(sources, dtype=np.int64)
    if targets is None:
        return (net.csr_reverse(mode) if reverse else net.csr(mode)), src, None
    inv = net.node_order()[1]
    return net.csr_ordered(mode, reverse=reverse), inv[src], inv[np.asarray(targets, dtype=np.int64)]
