"""Noding keeps every line's own vertices and snaps only loose ends, to other lines."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

import spatial_planner as sp
from spatial_planner.network import NetworkParams, SnapRecord, build_network

CRS = "EPSG:4547"
X0, Y0 = 500000.0, 3800000.0
TOL = 50.0
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def roads(lines, **extra) -> gpd.GeoDataFrame:
    n = len(lines)
    return gpd.GeoDataFrame({"road_id": [f"r{i}" for i in range(n)], "road_class": "connector", **extra},
                            geometry=list(lines), crs=CRS)


def network_length(net) -> float:
    """Metres of road in the network: each segment once (its drawn direction)."""
    e = net.edges
    return float(e.loc[(e["layer"] == "road") & ~e["reverse"], "length_m"].sum())


def road_length(lines) -> float:
    return float(sum(g.length for g in lines))


def vertex_count(lines) -> int:
    return len(np.unique(shapely.get_coordinates(list(lines)), axis=0))


# --------------------------------------------------------------------------- a line's own vertices


def test_a_2km_road_with_a_vertex_every_20m_keeps_its_length_and_its_101_nodes():
    road = LineString([(X0 + 20.0 * i, Y0) for i in range(101)])
    net = build_network(roads([road]))  # default tolerance, 50 m: every vertex is 20 m from the next
    assert net.n_nodes == 101
    assert network_length(net) == pytest.approx(2000.0, abs=1e-6)
    assert net.report.zero_length_lines == [] and net.report.snapped_vertices == 0
    minutes = dijkstra(net.csr("road"), indices=[0])[0]
    far = np.argmax(np.hypot(*(net.node_xy - net.node_xy[0]).T))
    assert minutes[far] == pytest.approx(2.0 / (60.0 * 0.8) * 60.0)  # 2 km at 60 km/h × 0.8


def test_a_curve_drawn_every_5m_keeps_its_shape():
    theta = np.linspace(0.0, math.pi, 315)  # a 1 km radius half circle, a vertex every ~10 m
    arc = LineString(np.column_stack([X0 + 1000.0 * np.cos(theta), Y0 + 1000.0 * np.sin(theta)]))
    tight = LineString([(X0 + 5.0 * i, Y0 - 3000.0 + 50.0 * math.sin(i / 5.0)) for i in range(400)])
    net = build_network(roads([arc, tight]))
    assert net.n_nodes == 315 + 400
    assert network_length(net) == pytest.approx(arc.length + tight.length, rel=1e-12)


def test_consecutive_duplicate_vertices_are_dropped_as_zero_length_edges_only():
    road = LineString([(X0, Y0), (X0 + 10, Y0), (X0 + 10, Y0), (X0 + 30, Y0)])
    net = build_network(roads([road]))
    assert net.n_nodes == 3 and net.report.zero_length_edges == 1
    assert network_length(net) == pytest.approx(30.0)


def test_a_short_road_between_two_near_ends_neither_collapses_nor_chains():
    # a 10 m road whose ends are each within the tolerance of both neighbours' ends
    a = LineString([(X0, Y0), (X0 + 1000, Y0)])
    b = LineString([(X0 + 1005, Y0), (X0 + 1015, Y0)])
    c = LineString([(X0 + 1020, Y0), (X0 + 2000, Y0)])
    net = build_network(roads([a, b, c]))
    r = net.report
    assert r.zero_length_lines == [] and r.road_components == [4]
    assert r.end_snaps == 2 and r.junction_snaps == 0
    assert network_length(net) == pytest.approx(1990.0)
    minutes = dijkstra(net.csr("road"), indices=[int(np.argmin(net.node_xy[:, 0]))])[0]
    assert minutes.max() * 60.0 * 0.8 / 60.0 * 1000.0 == pytest.approx(1990.0)


def test_parallel_dense_roads_within_the_tolerance_are_not_stitched_together():
    # two carriageways 30 m apart, a vertex every 20 m, their ends 200 m apart along the road
    east = LineString([(X0 + 20.0 * i, Y0) for i in range(101)])
    west = LineString([(X0 + 200.0 + 20.0 * i, Y0 + 30.0) for i in range(101)])
    net = build_network(roads([east, west]))
    r = net.report
    # west's start and east's end each join the other carriageway's nearest vertex, 30 m away; nothing else
    assert r.junction_snaps == 2 and r.end_snaps == 0 and r.t_junction_splits == 0
    assert net.n_nodes == 202 - 2 and r.road_components == [200]
    assert network_length(net) == pytest.approx(4000.0)


# --------------------------------------------------------------------------- exact topology and snaps


def test_shared_coordinates_are_nodes_without_snapping():
    a = LineString([(X0, Y0), (X0 + 500, Y0), (X0 + 1000, Y0)])
    b = LineString([(X0 + 500, Y0 - 700), (X0 + 500, Y0), (X0 + 500, Y0 + 700)])  # crosses a at its vertex
    net = build_network(roads([a, b]), params=NetworkParams(snap_tolerance_m=0.0))
    assert net.n_nodes == 5 and net.report.road_components == [5] and net.report.snapped_vertices == 0


def test_a_crossing_without_a_shared_vertex_is_a_bridge():
    a = LineString([(X0, Y0), (X0 + 1000, Y0)])
    b = LineString([(X0 + 500, Y0 - 700), (X0 + 500, Y0 + 700)])
    assert build_network(roads([a, b])).report.road_components == [2, 2]


def test_end_and_junction_snaps_are_reported_by_line():
    a = LineString([(X0, Y0), (X0 + 1000, Y0)])
    b = LineString([(X0 + 1030, Y0), (X0 + 2000, Y0)])  # starts 30 m after a ends: an end snap
    c = LineString([(X0 + 500, Y0 + 12), (X0 + 500, Y0 + 900)])  # starts 12 m off a's middle: a junction snap
    net = build_network(roads([a, b, c]))
    r = net.report
    assert (r.end_snaps, r.junction_snaps, r.snapped_vertices, r.t_junction_splits) == (1, 1, 2, 1)
    assert r.end_snap_lines == ["r1", "r0"] and r.junction_snap_lines == ["r2", "r0"]
    assert r.snaps == [SnapRecord("road", "end", "r1", "r0", 30.0, False),
                       SnapRecord("road", "junction", "r2", "r0", 12.0, True)]
    assert r.road_components == [5]
    assert network_length(net) == pytest.approx(a.length + b.length + c.length)
    text = "\n".join(r.lines())
    for words in ("端点吸附 end snaps", ": 1; 交叉口吸附 junction snaps", "lines in end snaps: r1, r0",
                  "交叉口吸附所涉线路 lines in junction snaps: r2, r0", "T 形交叉打断 T-junction splits: 1"):
        assert words in text


def test_an_end_near_another_lines_vertex_joins_that_vertex():
    a = LineString([(X0, Y0), (X0 + 500, Y0), (X0 + 1000, Y0)])
    c = LineString([(X0 + 500, Y0 + 20), (X0 + 500, Y0 + 900)])
    net = build_network(roads([a, c]))
    assert net.report.junction_snaps == 1 and net.report.t_junction_splits == 0 and net.n_nodes == 4


def test_rail_ends_snap_like_road_ends():
    rail = gpd.GeoDataFrame({"line_id": ["l0", "l1"], "rail_class": "conventional"},
                            geometry=[LineString([(X0, Y0), (X0 + 5000, Y0)]),
                                      LineString([(X0 + 5040, Y0), (X0 + 9000, Y0)])], crs=CRS)
    net = build_network(roads([LineString([(X0, Y0 + 900), (X0 + 9000, Y0 + 900)])]), rail)
    assert net.report.rail_components == [3]
    assert net.report.snaps == [SnapRecord("rail", "end", "l1", "l0", 40.0, False)]


def test_noded_lines_keep_their_dead_ends_but_others_snap_onto_them():
    street = LineString([(X0, Y0), (X0 + 1000, Y0)])
    dead_end = LineString([(X0 + 400, Y0 + 800), (X0 + 400, Y0 + 20)])  # stops 20 m short of the street
    connector = LineString([(X0 + 700, Y0 + 800), (X0 + 700, Y0 + 25)])
    layer = roads([street, dead_end, connector], noded=["yes", True, ""])
    net = build_network(layer)
    assert net.report.snaps == [SnapRecord("road", "junction", "r2", "r0", 25.0, True)]
    assert net.report.road_components == [4, 2]  # the street split where the connector joins; the dead end alone
    with pytest.raises(sp.InvalidValueError, match="noded"):
        build_network(roads([street], noded=["maybe"]))


# --------------------------------------------------------------------------- properties on dense lines


@st.composite
def dense_line(draw, origin=(X0, Y0), heading=None, max_step=TOL / 5):
    """A random walk with a vertex every 1 m to ``max_step`` (well below the tolerance) and gentle turns."""
    n = draw(st.integers(2, 80))
    steps = draw(st.lists(st.floats(1.0, max_step), min_size=n - 1, max_size=n - 1))
    turns = draw(st.lists(st.floats(-0.35, 0.35), min_size=n - 1, max_size=n - 1))
    angle = draw(st.floats(0.0, 2 * math.pi)) if heading is None else heading
    xy = [origin]
    for step, turn in zip(steps, turns):
        angle += turn
        xy.append((xy[-1][0] + step * math.cos(angle), xy[-1][1] + step * math.sin(angle)))
    return LineString(xy)


@st.composite
def far_apart_lines(draw):
    """Up to five dense lines, each in its own 20 km square: farther apart than any tolerance used."""
    k = draw(st.integers(1, 5))
    return [draw(dense_line(origin=(X0 + 20000.0 * i, Y0))) for i in range(k)]


@settings(max_examples=60, **SETTINGS)
@given(far_apart_lines(), st.sampled_from([10.0, 50.0, 300.0]))
def test_dense_lines_keep_their_length_and_every_vertex(lines, tol):
    net = build_network(roads(lines), params=NetworkParams(snap_tolerance_m=tol))
    r = net.report
    assert network_length(net) == pytest.approx(road_length(lines), rel=1e-9)
    assert r.zero_length_lines == [] and set(net.edges["line_id"]) == {f"r{i}" for i in range(len(lines))}
    assert net.n_nodes == vertex_count(lines)
    assert r.snapped_vertices == 0 and len(r.road_components) == len(lines)


@st.composite
def near_miss(draw):
    """A dense line and a second one starting within the tolerance of the first one's end, heading away."""
    a = draw(dense_line())
    end = np.asarray(a.coords[-1])
    gap = draw(st.floats(0.5, 0.95 * TOL))
    angle = draw(st.floats(0.0, 2 * math.pi))
    start = end + gap * np.array([math.cos(angle), math.sin(angle)])
    b = draw(dense_line(origin=tuple(start), heading=angle))
    return a, b, gap


@settings(max_examples=60, **SETTINGS)
@given(near_miss())
def test_near_miss_ends_within_the_tolerance_are_joined(case):
    a, b, gap = case
    assume(a.distance(b) > 0.0)  # a line that crosses the other is another test's business
    net = build_network(roads([a, b]))
    r = net.report
    assert len(r.road_components) == 1, r.lines()
    assert r.end_snaps + r.junction_snaps >= 1 and all(x.gap_m <= TOL for x in r.snaps)
    assert r.zero_length_lines == []
    assert network_length(net) == pytest.approx(a.length + b.length, rel=1e-9)


@st.composite
def far_miss(draw):
    """A dense line and a second one starting beyond the tolerance from the first one's end, heading away."""
    a = draw(dense_line())
    end = np.asarray(a.coords[-1])
    gap = draw(st.floats(1.05 * TOL, 4 * TOL))
    angle = draw(st.floats(0.0, 2 * math.pi))
    b = draw(dense_line(origin=tuple(end + gap * np.array([math.cos(angle), math.sin(angle)])), heading=angle))
    return a, b


@settings(max_examples=60, **SETTINGS)
@given(far_miss())
def test_lines_farther_apart_than_the_tolerance_stay_apart(case):
    a, b = case
    assume(a.distance(b) > TOL * 1.0001)
    net = build_network(roads([a, b]))
    assert len(net.report.road_components) == 2 and net.report.snapped_vertices == 0
    assert net.n_nodes == vertex_count([a, b])
    assert network_length(net) == pytest.approx(a.length + b.length, rel=1e-9)


@st.composite
def t_junction(draw):
    """A dense line and a second one starting within the tolerance of the first one's middle."""
    a = draw(dense_line())
    assume(a.length > 4 * TOL)
    d = draw(st.floats(0.3, 0.7)) * a.length
    foot = np.asarray(a.interpolate(d).coords[0])
    gap = draw(st.floats(0.5, 0.95 * TOL))
    angle = draw(st.floats(0.0, 2 * math.pi))
    b = draw(dense_line(origin=tuple(foot + gap * np.array([math.cos(angle), math.sin(angle)])), heading=angle))
    return a, b


@settings(max_examples=60, **SETTINGS)
@given(t_junction())
def test_an_end_within_the_tolerance_of_another_line_joins_it(case):
    a, b = case
    assume(a.distance(b) > 0.0)
    assume(shapely.Point(a.coords[0]).distance(b) > TOL and shapely.Point(a.coords[-1]).distance(b) > TOL)
    net = build_network(roads([a, b]))
    r = net.report
    assert len(r.road_components) == 1, r.lines()
    assert network_length(net) == pytest.approx(a.length + b.length, rel=1e-9)
    assert r.zero_length_lines == [] and all(x.gap_m <= TOL for x in r.snaps)
