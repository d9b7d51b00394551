"""The multimodal transport network: noding, speeds, modes and the CSR graph.

:func:`build_network` turns road lines, rail lines and stations into one
graph in a projected metric CRS:

* **Noding.** Lines are split at their vertices; an endpoint that lies within
  the snapping tolerance of another line's interior splits that line (a
  T-junction), and vertices closer than the tolerance are merged into one node.
  How many vertices were snapped and how many T-junctions were split is
  reported, and so are disconnected components, by size; nothing is dropped.
* **Bad input** is named, not routed around: NaN coordinates, negative or
  infinite speeds, non-positive detour factors and a road layer without a
  single segment of non-zero length raise
  :class:`~spatial_planner.InvalidGeometryError` naming the road or rail ids;
  lines that are wholly zero-length and segments that duplicate another are
  reported by id in :class:`NetworkReport`.
* **Travel time** of an edge is its length (projected CRS, times the line's
  detour factor) over its speed. A missing speed comes from the class table
  (:data:`ROAD_SPEEDS`, :data:`RAIL_SPEEDS`, after JTG B01-2014 for roads and the
  railway design codes TB 10621 / TB 10623 / TB 10098 for rail), and every
  speed is multiplied by an operating factor (design speed is not average
  speed). Everything can be overridden in :class:`NetworkParams`.
* **Modes.** Road and rail nodes are kept apart (a rail line crossing a road is
  not a junction):

  - ``road``: the road edges;
  - ``rail``: roads plus passenger rail (hsr, intercity, conventional), entered
    from the road network only at passenger stations, with a boarding penalty;
  - ``freight``: roads plus freight-capable rail (conventional, freight),
    entered only at rail freight terminals, with a transfer penalty.

The graph for a mode is a SciPy CSR matrix of minutes, built once and cached.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ._errors import DisconnectedNetworkError, EmptyLayerError, InvalidGeometryError, InvalidValueError
from .crs import CGCS2000, projected_crs_for

__all__ = [
    "ROAD_SPEEDS",
    "RAIL_SPEEDS",
    "MODES",
    "NetworkParams",
    "NetworkReport",
    "Network",
    "build_network",
    "network_from_arrays",
    "unreachable_flags",
    "far_from_network",
    "hilbert_keys",
    "locality_order",
    "walk_to_source",
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
        Vertices closer than this are one node; endpoints this close to a line split it.
    road_speeds, rail_speeds
        Class → design speed (km/h) used when a line has none.
    road_speed_factor, rail_speed_factor
        Operating speed as a share of design speed.
    boarding_penalty_min
        Minutes added when a trip enters passenger rail at a station (waiting, access inside the station).
    freight_transfer_min
        Minutes added when freight moves between road and rail at a freight terminal.
    access_speed_kmh, access_detour
        Speed and detour factor of the off-network link from an origin or destination to its nearest node.
    access_warn_km
        Places farther than this from the road network are reported (:func:`far_from_network`):
        a road layer that does not cover the study area gives access links, not network times.
    """

    snap_tolerance_m: float = 50.0
    road_speeds: dict[str, float] = field(default_factory=lambda: dict(ROAD_SPEEDS))
    rail_speeds: dict[str, float] = field(default_factory=lambda: dict(RAIL_SPEEDS))
    road_speed_factor: float = 0.85
    rail_speed_factor: float = 0.8
    boarding_penalty_min: float = 20.0
    freight_transfer_min: float = 120.0
    access_speed_kmh: float = 40.0
    access_detour: float = 1.3
    access_warn_km: float = 15.0


@dataclass
class NetworkReport:
    """What noding found.

    Attributes
    ----------
    zero_length_lines
        Ids of road/rail lines with no segment of non-zero length (after
        snapping): they add nothing to the graph.
    duplicate_lines
        Ids of lines with a segment joining the same two nodes as another
        segment (the fastest of such parallel edges is used).
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

    def lines(self) -> list[str]:
        """Human-readable summary lines (zh + en)."""
        from ._errors import format_ids

        comps = self.road_components
        out = [
            f"节点 nodes: {self.n_nodes:,}; 边 edges: {self.n_edges:,}",
            f"吸附合并的顶点 vertices snapped: {self.snapped_vertices:,}; T 形交叉打断 T-junction splits: "
            f"{self.t_junction_splits:,}",
            f"零长度边 zero-length edges dropped: {self.zero_length_edges:,}; 重复边 duplicate edges: "
            f"{self.duplicate_edges:,}",
            f"道路连通分量 road components: {len(comps)} (sizes {comps[:5]}{' …' if len(comps) > 5 else ''})",
            f"铁路连通分量 rail components: {len(self.rail_components)}",
        ]
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

    @property
    def n_nodes(self) -> int:
        return int(len(self.node_xy))

    def edge_mask(self, mode: str) -> np.ndarray:
        """Which edges a mode may use."""
        if mode not in MODES:
            from ._errors import ConfigError

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

    def attach(self, points: gpd.GeoSeries | gpd.GeoDataFrame) -> pd.DataFrame:
        """Attach points to their nearest road node.

        Returns
        -------
        pandas.DataFrame
            Aligned on the input index: ``node`` (node id), ``access_m`` (crow-fly
            distance to it) and ``access_min`` (at the access speed and detour).
        """
        geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        if geoms.crs is None:
            from ._errors import NoCRSError

            raise NoCRSError("points have no CRS", layer="origins/destinations", fix="set their CRS.")
        pts = geoms.to_crs(self.crs)
        xy = np.column_stack([pts.representative_point().x, pts.representative_point().y])
        tree, ids = self.road_tree()
        dist, idx = tree.query(xy)
        p = self.params
        minutes = dist * p.access_detour / (p.access_speed_kmh * 1000.0 / 60.0)
        return pd.DataFrame({"node": ids[idx], "access_m": dist, "access_min": minutes}, index=geoms.index)

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

    def with_edges(self, extra: pd.DataFrame) -> "Network":
        """A copy with extra edges appended (used by what-if scenarios)."""
        edges = pd.concat([self.edges, extra[self.edges.columns]], ignore_index=True)
        return dataclasses.replace(self, edges=edges, _csr={}, _trees={})


# --------------------------------------------------------------------------- building


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



def _line_ids(gdf: gpd.GeoDataFrame, column: str) -> np.ndarray:
    """Ids of lines for messages: the id column, or ``row <n>``."""
    if column in gdf.columns:
        return gdf[column].astype(str).to_numpy(dtype=object)
    return np.array([f"row {i}" for i in range(len(gdf))], dtype=object)


_LAYER_OF = {"road": "roads", "rail": "rail_lines"}


def _numbers(values: pd.Series, what: str, column: str, ids: np.ndarray) -> pd.Series:
    """Numeric values; text that is not a number raises, naming the lines (``what``: road or rail)."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    blank = values.isna() | values.astype(str).str.strip().isin(["", "nan", "NaN", "None", "<NA>"])
    text = v.isna() & ~blank
    if text.any():
        raise InvalidValueError(
            f"字段 {column} 不是数字 non-numeric {column}", layer=_LAYER_OF[what], column=column,
            ids=list(ids[text.to_numpy()]),
            fix=f"write numbers in '{column}' (leave the cell empty when unknown).",
        )
    return v


def _speed(values: pd.Series, classes: pd.Series, table: dict[str, float], missing: dict[str, int], what: str,
           ids: np.ndarray | None = None):
    ids = np.array([f"row {i}" for i in range(len(values))], dtype=object) if ids is None else ids
    v = _numbers(values, what, "design_speed_kmh", ids)
    bad = (v < 0) | np.isinf(v) | ((v > 0) & (v < 1.0))
    if bad.any():
        shown = ", ".join(f"{i}={x:g}" for i, x in list(zip(ids[bad.to_numpy()], v[bad]))[:3])
        raise InvalidValueError(
            f"速度无效 negative, infinite or below 1 km/h design_speed_kmh ({shown})", layer=_LAYER_OF[what],
            column="design_speed_kmh",
            ids=list(ids[bad.to_numpy()]),
            fix="give a positive design speed in km/h, or leave it empty to use the class speed.",
        )
    need = v.isna() | (v <= 0)
    if need.any():
        fallback = classes[need].map(table)
        unknown = classes[need][fallback.isna()]
        if len(unknown):
            raise InvalidValueError(
                f"no speed for {what} class(es) {sorted(set(map(str, unknown)))}", layer=_LAYER_OF[what],
                column=f"{what}_class",
                ids=list(ids[need.to_numpy()][fallback.isna().to_numpy()]),
                fix=f"give design_speed_kmh, or add the class to [network.{what}_speeds] in the config.",
            )
        v[need] = fallback
        for c, n in classes[need].value_counts().items():
            missing[f"{what}:{c}"] = int(n)
    return v.to_numpy(float)


def _detour(values: pd.Series, ids: np.ndarray) -> np.ndarray:
    """Detour factors: empty means 1; zero, negative or infinite values raise, naming the roads."""
    d = _numbers(values, "road", "detour_factor", ids)
    bad = (d <= 0) | np.isinf(d)
    if bad.any():
        shown = ", ".join(f"{i}={x:g}" for i, x in list(zip(ids[bad.to_numpy()], d[bad]))[:3])
        raise InvalidValueError(
            f"绕行系数无效 detour_factor must be a positive number ({shown})", layer="roads", column="detour_factor",
            ids=list(ids[bad.to_numpy()]),
            fix="give detour_factor ≥ 1 (network length over line length), or leave it empty for 1.",
        )
    return d.fillna(1.0).to_numpy(float)


_ONEWAY = {"yes": 1, "true": 1, "1": 1, "y": 1, "t": 1, "是": 1, "单向": 1, "-1": -1, "reverse": -1,
           "no": 0, "false": 0, "0": 0, "n": 0, "f": 0, "否": 0, "双向": 0, "": 0, "nan": 0, "none": 0, "<na>": 0}


def _oneway(values: pd.Series, ids: np.ndarray) -> np.ndarray:
    """Direction of each road: ``1`` one-way along the line, ``-1`` against it (OSM ``oneway=-1``), ``0`` two-way."""
    text = values.map(lambda x: "" if x is None or (isinstance(x, float) and np.isnan(x)) else
                      str(int(x)) if isinstance(x, (bool, np.bool_, int, np.integer, float)) else str(x))
    code = text.str.strip().str.lower().map(_ONEWAY)
    bad = code.isna().to_numpy()
    if bad.any():
        shown = ", ".join(f"{i}={t!r}" for i, t in list(zip(ids[bad], text[bad]))[:3])
        raise InvalidValueError(
            f"字段 oneway 无法识别 unreadable oneway values ({shown})", layer="roads", column="oneway", ids=list(ids[bad]),
            fix="write yes/no (是/否, true/false, 1/0), or -1 for one-way against the line's direction; "
                "leave it empty for two-way.",
        )
    return code.to_numpy(np.int8)


def _check_lines(gdf: gpd.GeoDataFrame, what: str, ids: np.ndarray) -> None:
    """Raise naming the features that are not lines or have NaN/infinite coordinates (``what``: road or rail)."""
    types = shapely.get_type_id(gdf.geometry.values)
    wrong = ~np.isin(types, (1, 2, 5))  # LineString, LinearRing, MultiLineString
    if wrong.any():
        found = sorted({g.geom_type for g in gdf.geometry.values[wrong]})
        raise InvalidGeometryError(
            f"几何类型错误 expected line geometries, found {', '.join(found)}", layer=_LAYER_OF[what],
            ids=list(ids[wrong]), fix="give the layer lines only (a road or rail line needs two distinct points).",
        )
    coords, idx = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    bad = np.unique(idx[~np.isfinite(coords).all(axis=1)])
    if len(bad):
        raise InvalidGeometryError(
            "坐标含 NaN 或无穷值 lines with NaN or infinite coordinates", layer=_LAYER_OF[what], ids=list(ids[bad]),
            fix="fix or delete these lines (validate the layer first: spatial-planner validate).",
        )


def _split_t_junctions(geoms: np.ndarray, tol: float) -> tuple[np.ndarray, int]:
    """Insert a vertex where an endpoint of one line lies within ``tol`` of another line's interior."""
    if len(geoms) < 2:
        return geoms, 0
    tree = shapely.STRtree(geoms)
    starts = shapely.get_point(geoms, 0)
    ends = shapely.get_point(geoms, -1)
    inserts: dict[int, list[float]] = {}
    for pts in (starts, ends):
        src, cand = tree.query(pts, predicate="dwithin", distance=tol)
        keep = src != cand
        src, cand = src[keep], cand[keep]
        if not len(src):
            continue
        dpos = shapely.line_locate_point(geoms[cand], pts[src])
        lengths = shapely.length(geoms[cand])
        interior = (dpos > tol) & (dpos < lengths - tol)
        for c, d, s in zip(cand[interior], dpos[interior], src[interior]):
            inserts.setdefault(int(c), []).append(float(d))
    n_split = 0
    out = geoms.copy()
    for i, dists in inserts.items():
        line = geoms[i]
        coords = shapely.get_coordinates(line)
        vdist = shapely.line_locate_point(line, shapely.points(coords))
        new = []
        for d in sorted(set(dists)):
            if np.min(np.abs(vdist - d)) > tol:  # not already near a vertex
                new.append(d)
        if not new:
            continue
        n_split += len(new)
        pts = shapely.get_coordinates(shapely.line_interpolate_point(line, new))
        all_d = np.concatenate([vdist, np.asarray(new)])
        all_xy = np.vstack([coords, pts])
        order = np.argsort(all_d, kind="stable")
        out[i] = shapely.linestrings(all_xy[order])
    return out, n_split


def _snap(xy: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Cluster points within ``tol``; return (labels, representative xy, vertices moved)."""
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 2)), 0
    tree = cKDTree(xy)
    pairs = tree.query_pairs(tol, output_type="ndarray")
    n = len(xy)
    if len(pairs):
        g = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, labels = connected_components(g, directed=False)
    else:
        labels = np.arange(n)
    # representative: the first vertex of each cluster (stable, deterministic)
    uniq, first = np.unique(labels, return_index=True)
    remap = np.empty(labels.max() + 1, dtype=np.int64)
    remap[uniq] = np.arange(len(uniq))
    lab = remap[labels]
    rep = xy[first]
    moved = int(np.count_nonzero(np.any(xy != rep[lab], axis=1)))
    return lab, rep, moved


def _line_edges(geoms: np.ndarray, node_offset: int, tol: float):
    """Node the lines of one layer; return (node xy, edge u, v, length, source line index, report bits)."""
    geoms, n_split = _split_t_junctions(geoms, tol)
    coords, line_idx = shapely.get_coordinates(geoms, return_index=True)
    lab, rep, moved = _snap(coords, tol)
    same_line = line_idx[1:] == line_idx[:-1]
    u = lab[:-1][same_line]
    v = lab[1:][same_line]
    seg_src = line_idx[:-1][same_line]
    seg_len = np.hypot(*(coords[1:][same_line] - coords[:-1][same_line]).T)
    zero = u == v
    return rep, u[~zero] + node_offset, v[~zero] + node_offset, seg_len[~zero], seg_src[~zero], moved, n_split, \
        int(zero.sum())


def _lines_without_segments(ids: np.ndarray, seg_src: np.ndarray) -> list[str]:
    """Ids of the lines (in input order) none of whose segments survived noding."""
    kept = set(ids[seg_src].tolist())
    return [i for i in dict.fromkeys(ids.tolist()) if i not in kept]


def _explode_lines(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    g = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    return g.explode(index_parts=False).reset_index(drop=True)


def build_network(
    roads: gpd.GeoDataFrame,
    rail_lines: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    *,
    params: NetworkParams | None = None,
    crs: CRS | str | None = None,
) -> Network:
    """Build the multimodal network from line layers.

    Parameters
    ----------
    roads
        Road lines with ``road_class`` and optionally ``design_speed_kmh``,
        ``detour_factor``, ``road_id``, ``name_zh`` and ``oneway`` (yes/no,
        是/否, true/false, 1/0, or -1 for one-way against the line's
        direction; empty means two-way).
    rail_lines
        Rail lines with ``rail_class``, optionally ``design_speed_kmh``, ``line_id``.
    stations
        Station points with ``station_id``, ``station_type`` and ``lines``
        (``;``-separated line ids; empty means any line).
    params
        Building parameters.
    crs
        Metric CRS; chosen for the roads' extent when omitted.

    Returns
    -------
    Network
    """
    p = params or NetworkParams()
    if roads is None or len(roads) == 0:
        raise EmptyLayerError("the road layer has no features", layer="roads",
                              fix="load a road layer; every mode reaches places by road.")
    r = _explode_lines(roads)
    if len(r) == 0:
        raise InvalidGeometryError(
            "道路图层没有几何 every road of the layer has an empty geometry", layer="roads",
            ids=list(_line_ids(roads, "road_id")), fix="load a road layer with line geometries.",
        )
    r_ids = _line_ids(r, "road_id")
    _check_lines(r, "road", r_ids)
    if crs is None:
        crs = projected_crs_for(tuple(r.to_crs(CGCS2000).total_bounds))
    crs = CRS.from_user_input(crs)
    missing: dict[str, int] = {}

    r = r.to_crs(crs)
    r_speed = _speed(r.get("design_speed_kmh", pd.Series(np.nan, index=r.index)), r["road_class"].astype(str),
                     p.road_speeds, missing, "road", r_ids)
    r_detour = _detour(r.get("detour_factor", pd.Series(1.0, index=r.index)), r_ids)
    r_oneway = _oneway(r.get("oneway", pd.Series("", index=r.index)), r_ids)
    rep_r, ru, rv, rlen, rsrc, moved_r, split_r, zero_r = _line_edges(r.geometry.values, 0, p.snap_tolerance_m)
    seg_oneway = r_oneway[rsrc]
    ru, rv = np.where(seg_oneway < 0, rv, ru), np.where(seg_oneway < 0, ru, rv)  # oneway=-1: against the line
    if len(ru) == 0:
        raise InvalidGeometryError(
            f"道路图层没有长度不为零的路段 the road layer has no segment of non-zero length ({len(rep_r)} node(s) after "
            f"snapping within {p.snap_tolerance_m:g} m): every road is a point or shorter than the tolerance",
            layer="roads", ids=list(dict.fromkeys(r_ids)),
            fix="load real road lines (at least two distinct points each), or lower network.snap_tolerance_m.",
        )
    zero_lines = _lines_without_segments(r_ids, rsrc)
    r_len = rlen * r_detour[rsrc]
    r_min = r_len / (r_speed[rsrc] * p.road_speed_factor * 1000.0 / 60.0)
    edges = [pd.DataFrame({
        "u": ru, "v": rv, "length_m": r_len, "minutes": r_min, "layer": "road",
        "cls": r["road_class"].astype(str).to_numpy()[rsrc],
        "line_id": r.get("road_id", pd.Series("", index=r.index)).astype(str).to_numpy()[rsrc],
        "name": r.get("name_zh", pd.Series("", index=r.index)).astype(str).to_numpy()[rsrc],
    })]
    node_xy = [rep_r]
    n_road = len(rep_r)
    moved, n_split, n_zero = moved_r, split_r, zero_r
    rail_comp: list[int] = []
    st_rows = []
    rl = _explode_lines(rail_lines) if rail_lines is not None and len(rail_lines) else None
    if rl is not None and len(rl):
        rl_ids = _line_ids(rl, "line_id")
        _check_lines(rl, "rail", rl_ids)
        rl = rl.to_crs(crs)
        rl_speed = _speed(rl.get("design_speed_kmh", pd.Series(np.nan, index=rl.index)),
                          rl["rail_class"].astype(str), p.rail_speeds, missing, "rail", rl_ids)
        rep_l, lu, lv, llen, lsrc, moved_l, split_l, zero_l = _line_edges(rl.geometry.values, n_road,
                                                                           p.snap_tolerance_m)
        zero_lines += _lines_without_segments(rl_ids, lsrc)
        l_min = llen / (rl_speed[lsrc] * p.rail_speed_factor * 1000.0 / 60.0)
        edges.append(pd.DataFrame({
            "u": lu, "v": lv, "length_m": llen, "minutes": l_min, "layer": "rail",
            "cls": rl["rail_class"].astype(str).to_numpy()[lsrc],
            "line_id": rl.get("line_id", pd.Series("", index=rl.index)).astype(str).to_numpy()[lsrc],
            "name": rl.get("name_zh", pd.Series("", index=rl.index)).astype(str).to_numpy()[lsrc],
        }))
        node_xy.append(rep_l)
        moved, n_split, n_zero = moved + moved_l, n_split + split_l, n_zero + zero_l
        rail_edges = edges[-1]
        if stations is not None and len(stations):
            st = stations.to_crs(crs)
            rail_xy = rep_l
            road_tree = cKDTree(rep_r)
            line_of_node: dict[str, set[int]] = {}
            for lid, a, b in zip(rail_edges["line_id"], rail_edges["u"], rail_edges["v"]):
                line_of_node.setdefault(lid, set()).update((int(a) - n_road, int(b) - n_road))
            all_rail = cKDTree(rail_xy)
            for rec in st.itertuples():
                pt = np.array([rec.geometry.x, rec.geometry.y])
                served = [x for x in str(getattr(rec, "lines", "") or "").split(";") if x]
                cand = sorted(set().union(*(line_of_node.get(x, set()) for x in served))) if served else []
                if cand:
                    cxy = rail_xy[cand]
                    k = int(np.argmin(np.hypot(*(cxy - pt).T)))
                    rail_node = cand[k]
                else:
                    _, rail_node = all_rail.query(pt)
                _, road_node = road_tree.query(pt)
                st_rows.append((str(rec.station_id), str(getattr(rec, "name_zh", "")), str(rec.station_type),
                                int(rail_node) + n_road, int(road_node)))
        rail_csr = sparse.coo_matrix((np.ones(len(lu)), (lu - n_road, lv - n_road)),
                                     shape=(len(rep_l), len(rep_l)))
        _, rl_lab = connected_components(rail_csr, directed=False)
        rail_comp = sorted(np.bincount(rl_lab).tolist(), reverse=True)
    stations_df = pd.DataFrame(st_rows, columns=["station_id", "name_zh", "station_type", "rail_node", "road_node"])
    # Rails and two-way roads: add the reverse of every segment; one-way roads keep their direction only.
    segments = pd.concat(edges, ignore_index=True)
    key = np.minimum(segments["u"], segments["v"]) * (1 << 32) + np.maximum(segments["u"], segments["v"])
    n_dup = int(pd.Series(key).duplicated().sum())
    dup_lines = list(dict.fromkeys(segments["line_id"][pd.Series(key).duplicated(keep=False).to_numpy()].astype(str)))
    two_way = np.r_[seg_oneway == 0, np.ones(len(segments) - len(ru), dtype=bool)]
    back = segments[two_way]
    parts = [segments.assign(reverse=False), back.assign(u=back["v"], v=back["u"], reverse=True)]
    if len(stations_df):
        xy_all = np.vstack(node_xy)
        gap = np.hypot(*(xy_all[stations_df["rail_node"]] - xy_all[stations_df["road_node"]]).T)
        walk = gap * p.access_detour / (p.access_speed_kmh * 1000.0 / 60.0)
        penalty = np.where(stations_df["station_type"] == "freight_terminal", p.freight_transfer_min,
                           p.boarding_penalty_min)
        board = pd.DataFrame({"u": stations_df["road_node"], "v": stations_df["rail_node"], "length_m": gap,
                              "minutes": walk + penalty, "layer": "board", "cls": stations_df["station_type"],
                              "line_id": stations_df["station_id"], "name": stations_df["name_zh"]})
        board["reverse"] = False
        parts += [board, board.assign(u=board["v"], v=board["u"], minutes=walk, layer="alight")]
    all_edges = pd.concat(parts, ignore_index=True)
    xy = np.vstack(node_xy)
    layer = np.concatenate([np.zeros(n_road, dtype=np.int8), np.ones(len(xy) - n_road, dtype=np.int8)])
    road_g = sparse.coo_matrix((np.ones(len(ru)), (ru, rv)), shape=(n_road, n_road))
    _, lab = connected_components(road_g, directed=False)
    road_comp = sorted(np.bincount(lab).tolist(), reverse=True)
    traps = 0
    if (seg_oneway != 0).any():
        directed = sparse.coo_matrix((np.ones(len(ru) + int(two_way[:len(ru)].sum())),
                                      (np.r_[ru, rv[seg_oneway == 0]], np.r_[rv, ru[seg_oneway == 0]])),
                                     shape=(n_road, n_road))
        _, strong = connected_components(directed, directed=True, connection="strong")
        traps = int(n_road - np.bincount(strong).max())
    report = NetworkReport(
        n_nodes=int(len(xy)), n_edges=int(len(all_edges)), snapped_vertices=int(moved),
        t_junction_splits=int(n_split), zero_length_edges=int(n_zero), duplicate_edges=n_dup,
        road_components=road_comp, rail_components=rail_comp, stations_attached=int(len(stations_df)),
        missing_speeds=missing, zero_length_lines=zero_lines, duplicate_lines=dup_lines if n_dup else [],
        oneway_segments=int((seg_oneway != 0).sum()), one_way_traps=traps,
    )
    # number the nodes along a Hilbert curve (road nodes first, then rail) so that searches read memory in order
    perm = locality_order(xy, layer)
    new_id = np.empty_like(perm)
    new_id[perm] = np.arange(len(perm))
    all_edges["u"] = new_id[all_edges["u"].to_numpy(np.int64)]
    all_edges["v"] = new_id[all_edges["v"].to_numpy(np.int64)]
    for col in ("rail_node", "road_node"):
        stations_df[col] = new_id[stations_df[col].to_numpy(np.int64)] if len(stations_df) else stations_df[col]
    return Network(crs=crs, node_xy=xy[perm], node_layer=layer[perm], edges=all_edges, stations=stations_df,
                   report=report, params=p)


def network_from_arrays(
    node_xy: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    minutes: np.ndarray,
    length_m: np.ndarray | None = None,
    *,
    crs: CRS | str = "EPSG:4547",
    cls: np.ndarray | str = "connector",
    params: NetworkParams | None = None,
    two_way: bool = True,
) -> Network:
    """A road-only network straight from arrays (synthetic graphs, benchmarks, other tools' output).

    Parameters
    ----------
    node_xy
        ``(n, 2)`` projected coordinates.
    u, v, minutes, length_m
        Edge endpoints (node indices), travel times and lengths.
    two_way
        Add the reverse of every edge.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    t = np.asarray(minutes, dtype=float)
    d = np.asarray(length_m, dtype=float) if length_m is not None else np.zeros_like(t)
    if two_way:
        u, v, t, d = np.r_[u, v], np.r_[v, u], np.r_[t, t], np.r_[d, d]
        if not isinstance(cls, str):
            cls = np.r_[cls, cls]
    if isinstance(cls, str) or np.ndim(cls) == 0:
        cls_col = pd.Categorical.from_codes(np.zeros(len(u), dtype=np.int8), categories=[str(cls)])
    else:
        cats, codes = np.unique(np.asarray(cls), return_inverse=True)
        cls_col = pd.Categorical.from_codes(codes.astype(np.int16), categories=[str(c) for c in cats])
    edges = pd.DataFrame({"u": u, "v": v, "length_m": d, "minutes": t,
                          "layer": pd.Categorical.from_codes(np.zeros(len(u), dtype=np.int8), categories=["road"]),
                          "cls": cls_col, "line_id": "", "name": "", "reverse": False})
    n = len(node_xy)
    report = NetworkReport(n_nodes=n, n_edges=len(edges), snapped_vertices=0, t_junction_splits=0,
                           zero_length_edges=0, duplicate_edges=0, road_components=[], rail_components=[],
                           stations_attached=0, missing_speeds={})
    return Network(crs=CRS.from_user_input(crs), node_xy=np.asarray(node_xy, float),
                   node_layer=np.zeros(n, dtype=np.int8), edges=edges,
                   stations=pd.DataFrame(columns=["station_id", "name_zh", "station_type", "rail_node", "road_node"]),
                   report=report, params=params or NetworkParams())


def far_from_network(net: Network, places: gpd.GeoDataFrame, ids: Sequence[object], what: tuple[str, str]
                     ) -> str | None:
    """A note naming the places farther than ``params.access_warn_km`` from their nearest road node, or ``None``.

    ``what`` names the places in Chinese and English, e.g. ``("县城", "county seats")``.

    Such places reach the network only through a long straight access link,
    so their times say little: typically the road layer covers part of the
    study area (an OSM extract of one city for a whole province).
    """
    from ._errors import format_ids

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
