"""Building a :class:`~spatial_planner.network.graph.Network` from line layers.

:func:`build_network` turns road lines, rail lines and stations into one
graph in a projected metric CRS:

* **Noding** (:mod:`~spatial_planner.network.noding`). Every vertex of a line
  is a node, and a line's own vertices are never merged, so a densely drawn
  road keeps its length. Vertices at exactly the same coordinates are one node
  (OSM ways sharing node ids, lines drawn with snapping on). Only loose line
  ends are snapped, to other lines within the snapping tolerance: onto another
  line's loose end (an end snap) or onto another line's vertex or segment (a
  junction snap, splitting the segment: a T-junction). Lines flagged
  ``noded`` (the OSM readers flag their ways) keep their loose ends: those
  are real dead ends. Every merge is reported by line id, and so are
  disconnected components, by size; nothing is dropped.
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
  not a junction); stations join them.

:func:`network_from_arrays` builds a road-only network straight from arrays.
"""


from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .._errors import (
    EmptyLayerError,
    InvalidGeometryError,
    InvalidValueError,
)
from ..crs import CGCS2000, projected_crs_for
from .graph import Network, NetworkParams, NetworkReport, SnapRecord, locality_order, snap_summary
from .noding import Noding, Snap, node_lines

__all__ = ["build_network", "network_from_arrays"]


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


def _factors(classes: pd.Series, table: dict[str, float], default: float) -> np.ndarray:
    """Each line's operating share of design speed: its class's factor, else ``default``."""
    return classes.map(table).fillna(default).to_numpy(float)


def _detour(values: pd.Series, ids: np.ndarray, what: str = "road") -> np.ndarray:
    """Detour factors: empty means 1; zero, negative or infinite values raise, naming the lines."""
    d = _numbers(values, what, "detour_factor", ids)
    bad = (d <= 0) | np.isinf(d)
    if bad.any():
        shown = ", ".join(f"{i}={x:g}" for i, x in list(zip(ids[bad.to_numpy()], d[bad]))[:3])
        raise InvalidValueError(
            f"绕行系数无效 detour_factor must be a positive number ({shown})", layer=_LAYER_OF[what],
            column="detour_factor",
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


_FLAG = {"yes": True, "true": True, "1": True, "y": True, "t": True, "是": True,
         "no": False, "false": False, "0": False, "n": False, "f": False, "否": False, "": False, "nan": False,
         "none": False, "<na>": False}


def _noded(values: pd.Series, ids: np.ndarray, what: str) -> np.ndarray:
    """Which lines are already noded (column ``noded``: yes/no, 是/否, true/false, 1/0; empty means no).

    Raises
    ------
    InvalidValueError
        Naming the lines whose value is none of these.
    """
    text = values.map(lambda x: "" if x is None or (isinstance(x, float) and np.isnan(x)) else
                      str(int(x)) if isinstance(x, (bool, np.bool_, int, np.integer, float)) else str(x))
    flag = text.str.strip().str.lower().map(_FLAG)
    bad = flag.isna().to_numpy()
    if bad.any():
        shown = ", ".join(f"{i}={t!r}" for i, t in list(zip(ids[bad], text[bad]))[:3])
        raise InvalidValueError(
            f"字段 noded 无法识别 unreadable noded values ({shown})", layer=_LAYER_OF[what], column="noded",
            ids=list(ids[bad]),
            fix="write yes/no (是/否, true/false, 1/0): yes where the line meets others only at shared vertices "
                "(OSM ways), so that its loose ends are never snapped; leave it empty otherwise.",
        )
    return flag.to_numpy(bool)


def _line_edges(geoms: np.ndarray, node_offset: int, tol: float, noded: np.ndarray) -> Noding:
    """Node the lines of one layer (:func:`~spatial_planner.network.noding.node_lines`), node ids from
    ``node_offset`` on."""
    noding = node_lines(geoms, tol, noded)
    noding.u = noding.u + node_offset
    noding.v = noding.v + node_offset
    return noding


def _lines_without_segments(ids: np.ndarray, seg_src: np.ndarray) -> list[str]:
    """Ids of the lines (in input order) none of whose segments survived noding."""
    kept = set(ids[seg_src].tolist())
    return [i for i in dict.fromkeys(ids.tolist()) if i not in kept]


def _explode_lines(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    g = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    return g.explode(index_parts=False).reset_index(drop=True)


@dataclass
class _Noded:
    """One layer's lines noded into segments: node coordinates, segments and what noding found."""

    xy: np.ndarray
    segments: pd.DataFrame  # u, v, length_m, minutes, layer, cls, line_id, name
    split: int
    zero: int
    zero_lines: list[str]
    snaps: list[SnapRecord]
    components: list[int] = field(default_factory=list)


def _snap_records(snaps: list[Snap], ids: np.ndarray, what: str) -> list[SnapRecord]:
    """Noding's merges with line ids instead of line indices (``what``: road or rail)."""
    return [SnapRecord(what, x.kind, str(ids[x.line]), str(ids[x.onto]), round(x.gap_m, 3), x.split) for x in snaps]


def _segment_table(u, v, length, minutes, what: str, lines: gpd.GeoDataFrame, src: np.ndarray, id_col: str
                   ) -> pd.DataFrame:
    return pd.DataFrame({
        "u": u, "v": v, "length_m": length, "minutes": minutes, "layer": what,
        "cls": lines[f"{what}_class"].astype(str).to_numpy()[src],
        "line_id": lines.get(id_col, pd.Series("", index=lines.index)).astype(str).to_numpy()[src],
        "name": lines.get("name_zh", pd.Series("", index=lines.index)).astype(str).to_numpy()[src],
    })


def _road_segments(roads: gpd.GeoDataFrame, crs: CRS | str | None, p: NetworkParams, missing: dict[str, int]
                   ) -> tuple[_Noded, np.ndarray, CRS]:
    """The road layer noded, with each segment's speed, detour and direction; each segment's one-way code; and
    the metric CRS (``crs``, or one chosen for the roads' extent)."""
    r = _explode_lines(roads)
    if len(r) == 0:
        raise InvalidGeometryError(
            "道路图层没有几何 every road of the layer has an empty geometry", layer="roads",
            ids=list(_line_ids(roads, "road_id")), fix="load a road layer with line geometries.",
        )
    ids = _line_ids(r, "road_id")
    _check_lines(r, "road", ids)
    crs = CRS.from_user_input(crs if crs is not None else projected_crs_for(tuple(r.to_crs(CGCS2000).total_bounds)))
    r = r.to_crs(crs)
    speed = _speed(r.get("design_speed_kmh", pd.Series(np.nan, index=r.index)), r["road_class"].astype(str),
                   p.road_speeds, missing, "road", ids)
    detour = _detour(r.get("detour_factor", pd.Series(1.0, index=r.index)), ids)
    oneway = _oneway(r.get("oneway", pd.Series("", index=r.index)), ids)
    noded = _noded(r.get("noded", pd.Series("", index=r.index)), ids, "road")
    noding = _line_edges(r.geometry.values, 0, p.snap_tolerance_m, noded)
    xy, u, v, length, src = noding.xy, noding.u, noding.v, noding.length, noding.line
    seg_oneway = oneway[src]
    u, v = np.where(seg_oneway < 0, v, u), np.where(seg_oneway < 0, u, v)  # oneway=-1: against the line
    if len(u) == 0:
        raise InvalidGeometryError(
            f"道路图层没有长度不为零的路段 the road layer has no segment of non-zero length ({len(xy)} distinct "
            f"point(s)): every road's vertices are one point",
            layer="roads", ids=list(dict.fromkeys(ids)),
            fix="load real road lines (at least two distinct points each).",
        )
    length = length * detour[src]
    factor = _factors(r["road_class"].astype(str), p.road_speed_factors, p.road_speed_factor)
    minutes = length / (speed[src] * factor[src] * 1000.0 / 60.0)
    segments = _segment_table(u, v, length, minutes, "road", r, src, "road_id")
    return _Noded(xy, segments, noding.splits, noding.zero, _lines_without_segments(ids, src),
                  _snap_records(noding.snaps, ids, "road")), seg_oneway, crs


def _rail_segments(rail_lines: gpd.GeoDataFrame | None, crs: CRS, p: NetworkParams, missing: dict[str, int],
                   offset: int) -> _Noded | None:
    """The rail layer noded (node ids from ``offset`` on), with its components; ``None`` without rail lines."""
    rl = _explode_lines(rail_lines) if rail_lines is not None and len(rail_lines) else None
    if rl is None or not len(rl):
        return None
    ids = _line_ids(rl, "line_id")
    _check_lines(rl, "rail", ids)
    rl = rl.to_crs(crs)
    speed = _speed(rl.get("design_speed_kmh", pd.Series(np.nan, index=rl.index)), rl["rail_class"].astype(str),
                   p.rail_speeds, missing, "rail", ids)
    detour = _detour(rl.get("detour_factor", pd.Series(1.0, index=rl.index)), ids, "rail")
    noded = _noded(rl.get("noded", pd.Series("", index=rl.index)), ids, "rail")
    noding = _line_edges(rl.geometry.values, offset, p.snap_tolerance_m, noded)
    xy, u, v, length, src = noding.xy, noding.u, noding.v, noding.length, noding.line
    length = length * detour[src]
    factor = _factors(rl["rail_class"].astype(str), p.rail_speed_factors, p.rail_speed_factor)
    minutes = length / (speed[src] * factor[src] * 1000.0 / 60.0)
    graph = sparse.coo_matrix((np.ones(len(u)), (u - offset, v - offset)), shape=(len(xy), len(xy)))
    _, labels = connected_components(graph, directed=False)
    return _Noded(xy, _segment_table(u, v, length, minutes, "rail", rl, src, "line_id"), noding.splits, noding.zero,
                  _lines_without_segments(ids, src), _snap_records(noding.snaps, ids, "rail"),
                  sorted(np.bincount(labels).tolist(), reverse=True))


def _attach_stations(stations: gpd.GeoDataFrame | None, crs: CRS, rail: _Noded | None, road_xy: np.ndarray
                     ) -> pd.DataFrame:
    """Each station's rail node (the nearest node of a line it serves, else of any line) and nearest road node."""
    cols = ["station_id", "name_zh", "station_type", "rail_node", "road_node"]
    if rail is None or stations is None or not len(stations):
        return pd.DataFrame([], columns=cols)
    offset = len(road_xy)  # rail node ids follow the road nodes
    nodes_of_line: dict[str, set[int]] = {}
    for lid, a, b in zip(rail.segments["line_id"], rail.segments["u"], rail.segments["v"]):
        nodes_of_line.setdefault(lid, set()).update((int(a) - offset, int(b) - offset))
    road_tree, rail_tree = cKDTree(road_xy), cKDTree(rail.xy)
    rows = []
    for rec in stations.to_crs(crs).itertuples():
        pt = np.array([rec.geometry.x, rec.geometry.y])
        served = [x for x in str(getattr(rec, "lines", "") or "").split(";") if x]
        cand = sorted(set().union(*(nodes_of_line.get(x, set()) for x in served))) if served else []
        if cand:
            rail_node = cand[int(np.argmin(np.hypot(*(rail.xy[cand] - pt).T)))]
        else:
            _, rail_node = rail_tree.query(pt)
        _, road_node = road_tree.query(pt)
        rows.append((str(rec.station_id), str(getattr(rec, "name_zh", "")), str(rec.station_type),
                     int(rail_node) + offset, int(road_node)))
    return pd.DataFrame(rows, columns=cols)


def _directed_edges(segments: pd.DataFrame, two_way: np.ndarray, stations: pd.DataFrame, xy: np.ndarray,
                    p: NetworkParams) -> tuple[pd.DataFrame, int, list[str]]:
    """Every directed edge: the segments, their reverse where two-way, and boarding and alighting at stations.

    Returns the edges, the number of duplicate segments and the lines that have them.
    """
    key = np.minimum(segments["u"], segments["v"]) * (1 << 32) + np.maximum(segments["u"], segments["v"])
    n_dup = int(pd.Series(key).duplicated().sum())
    dup_lines = list(dict.fromkeys(segments["line_id"][pd.Series(key).duplicated(keep=False).to_numpy()].astype(str)))
    back = segments[two_way]
    parts = [segments.assign(reverse=False), back.assign(u=back["v"], v=back["u"], reverse=True)]
    if len(stations):
        gap = np.hypot(*(xy[stations["rail_node"]] - xy[stations["road_node"]]).T)
        walk = gap * p.access_detour / (p.access_speed_kmh * 1000.0 / 60.0)
        penalty = np.where(stations["station_type"] == "freight_terminal", p.freight_transfer_min,
                           p.boarding_penalty_min)
        board = pd.DataFrame({"u": stations["road_node"], "v": stations["rail_node"], "length_m": gap,
                              "minutes": walk + penalty, "layer": "board", "cls": stations["station_type"],
                              "line_id": stations["station_id"], "name": stations["name_zh"]})
        board["reverse"] = False
        parts += [board, board.assign(u=board["v"], v=board["u"], minutes=walk, layer="alight")]
    return pd.concat(parts, ignore_index=True), n_dup, dup_lines


def _road_components(road: pd.DataFrame, seg_oneway: np.ndarray, n_road: int) -> tuple[list[int], int]:
    """Sizes of the road network's connected parts, and the road nodes one-way streets cut off."""
    ru, rv = road["u"].to_numpy(), road["v"].to_numpy()
    _, lab = connected_components(sparse.coo_matrix((np.ones(len(ru)), (ru, rv)), shape=(n_road, n_road)),
                                  directed=False)
    traps = 0
    if (seg_oneway != 0).any():
        two = seg_oneway == 0
        directed = sparse.coo_matrix((np.ones(len(ru) + int(two.sum())), (np.r_[ru, rv[two]], np.r_[rv, ru[two]])),
                                     shape=(n_road, n_road))
        _, strong = connected_components(directed, directed=True, connection="strong")
        traps = int(n_road - np.bincount(strong).max())
    return sorted(np.bincount(lab).tolist(), reverse=True), traps


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
        ``detour_factor``, ``road_id``, ``name_zh``, ``oneway`` (yes/no,
        是/否, true/false, 1/0, or -1 for one-way against the line's
        direction; empty means two-way) and ``noded`` (yes where the line
        meets others only at shared vertices, as OSM ways do: its loose ends
        are dead ends and are never snapped; empty means no).
    rail_lines
        Rail lines with ``rail_class``, optionally ``design_speed_kmh``, ``detour_factor`` (track length
        over drawn length, for lines drawn partly straight), ``line_id`` and ``noded``.
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
    missing: dict[str, int] = {}
    road, seg_oneway, crs = _road_segments(roads, crs, p, missing)
    n_road = len(road.xy)
    rail = _rail_segments(rail_lines, crs, p, missing, n_road)
    layers_ = [road] + ([rail] if rail is not None else [])
    xy = np.vstack([x.xy for x in layers_])
    stations_df = _attach_stations(stations, crs, rail, road.xy)
    segments = pd.concat([x.segments for x in layers_], ignore_index=True)
    two_way = np.r_[seg_oneway == 0, np.ones(len(segments) - len(road.segments), dtype=bool)]
    all_edges, n_dup, dup_lines = _directed_edges(segments, two_way, stations_df, xy, p)
    layer = np.concatenate([np.zeros(n_road, dtype=np.int8), np.ones(len(xy) - n_road, dtype=np.int8)])
    road_comp, traps = _road_components(road.segments, seg_oneway, n_road)
    snaps = [x for layer_ in layers_ for x in layer_.snaps]
    report = NetworkReport(
        n_nodes=int(len(xy)), n_edges=int(len(all_edges)), snapped_vertices=len(snaps),
        t_junction_splits=sum(x.split for x in layers_), zero_length_edges=sum(x.zero for x in layers_),
        duplicate_edges=n_dup, road_components=road_comp, rail_components=rail.components if rail is not None else [],
        stations_attached=int(len(stations_df)), missing_speeds=missing,
        zero_length_lines=[i for x in layers_ for i in x.zero_lines], duplicate_lines=dup_lines if n_dup else [],
        oneway_segments=int((seg_oneway != 0).sum()), one_way_traps=traps, **snap_summary(snaps),
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
    crs: CRS | str,
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
    crs
        The projected CRS of ``node_xy`` (required: nothing here can guess it).
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

