"""Property-based tests: random (often broken) geometries and networks.

Whatever the input, only :class:`spatial_planner.SpatialPlannerError` subclasses
may escape, and what comes out is valid geometry.
"""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon

import spatial_planner as sp
from spatial_planner.analysis.accessibility import isochrones, od_matrix
from spatial_planner import DataWarning
from spatial_planner.outputs.webmap import prepare_for_web
from spatial_planner.network import NetworkParams, build_network
from spatial_planner.validate import validate_layer

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- strategies

lon = st.floats(113.0, 113.05, allow_nan=False)
lat = st.floats(34.0, 34.05, allow_nan=False)
vertex = st.tuples(lon, lat)


@st.composite
def polygons(draw):
    """Valid, self-intersecting, collapsed, too-few-point and NaN polygons."""
    kind = draw(st.sampled_from(["random", "random", "box", "bowtie", "collinear", "too_few", "nan", "empty"]))
    if kind == "random":
        return Polygon(draw(st.lists(vertex, min_size=3, max_size=8)))
    if kind == "box":
        x, y = draw(vertex)
        w, h = draw(st.floats(1e-4, 0.02)), draw(st.floats(1e-4, 0.02))
        return shapely.box(x, y, x + w, y + h)
    if kind == "bowtie":
        x, y = draw(vertex)
        d = draw(st.floats(1e-4, 0.02))
        return Polygon([(x, y), (x + d, y + d), (x + d, y), (x, y + d)])
    if kind == "collinear":
        x, y = draw(vertex)
        return Polygon([(x, y), (x + 0.01, y + 0.01), (x + 0.02, y + 0.02)])
    if kind == "too_few":
        (x1, y1), (x2, y2) = draw(vertex), draw(vertex)
        return shapely.from_wkt(f"POLYGON (({x1} {y1}, {x2} {y2}, {x1} {y1}))")
    if kind == "nan":
        x, y = draw(vertex)
        with np.errstate(invalid="ignore"):
            return Polygon([(x, y), (math.nan, y), (x + 0.01, y + 0.01)])
    return Polygon()


def parks_layer(geoms) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame({"park_id": [f"P{i}" for i in range(n)], "name_zh": [f"园{i}" for i in range(n)],
                             "level": "provincial", "sectors": "auto"}, geometry=list(geoms), crs="EPSG:4490")


X0, Y0 = 500000.0, 3800000.0  # EPSG:4547, in Henan


@st.composite
def road_lines(draw, *, max_lines=6):
    """Lines on a 1 km grid with small offsets (snapping, T-junctions), points and zero-length lines among them."""
    n = draw(st.integers(1, max_lines))
    lines = []
    for _ in range(n):
        pts = draw(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(0, 3), st.integers(0, 3)),
                            min_size=1, max_size=5))
        xy = [(X0 + i * 1000 + a * 20, Y0 + j * 1000 + b * 20) for i, j, a, b in pts]
        lines.append(LineString(xy) if len(xy) >= 2 else Point(xy[0]))
    return lines


speed = st.one_of(st.just(math.nan), st.floats(-20, 150, allow_nan=False), st.just(0.0))
detour = st.one_of(st.just(math.nan), st.floats(-0.5, 2.0, allow_nan=False))


@st.composite
def road_layers(draw):
    lines = draw(road_lines())
    n = len(lines)
    return gpd.GeoDataFrame(
        {"road_id": [f"r{i}" for i in range(n)], "name_zh": "路",
         "road_class": draw(st.lists(st.sampled_from(["connector", "expressway", "first_class", "cart_track"]),
                                     min_size=n, max_size=n)),
         "design_speed_kmh": draw(st.lists(speed, min_size=n, max_size=n)),
         "detour_factor": draw(st.lists(detour, min_size=n, max_size=n))},
        geometry=lines, crs="EPSG:4547")


# --------------------------------------------------------------------------- validate_layer


@settings(max_examples=80, **SETTINGS)
@given(st.lists(polygons(), min_size=1, max_size=6))
def test_validate_layer_repairs_or_names_every_bad_polygon(geoms):
    gdf = parks_layer(geoms)
    problems = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        out = validate_layer(gdf, "parks", problems=problems)  # collect mode never raises
        named = {i for p in problems if p.severity == "error" for i in p.ids}
        for pid, g in zip(out["park_id"], out.geometry):
            if pid in named:
                continue
            assert g is not None and not g.is_empty, pid
            assert g.is_valid and g.geom_type in ("Polygon", "MultiPolygon"), (pid, g.wkt)
        try:
            raised = validate_layer(gdf, "parks")
        except sp.SpatialPlannerError as exc:
            assert not problems or any(p.severity == "error" for p in problems), exc
        else:
            assert not [p for p in problems if p.severity == "error"]
            assert raised.geometry.is_valid.all()


# --------------------------------------------------------------------------- maps.prepare_for_web


@st.composite
def web_layers(draw):
    geoms = draw(st.lists(polygons(), min_size=1, max_size=5))
    geoms = [shapely.make_valid(g) for g in geoms if np.isfinite(shapely.get_coordinates(g)).all()]
    assume(any(not g.is_empty for g in geoms))  # an all-empty layer: see test_prepare_for_web_on_an_all_empty_layer
    return gpd.GeoDataFrame({"name": [f"f{i}" for i in range(len(geoms))]}, geometry=geoms, crs="EPSG:4490")


@settings(max_examples=60, **SETTINGS)
@given(web_layers(), st.sampled_from([0.0, 50.0, 500.0]), st.booleans(), st.integers(3, 7))
def test_prepare_for_web_never_raises_and_keeps_the_rows(gdf, simplify_m, gcj02, precision):
    try:
        out = prepare_for_web(gdf, simplify_m=simplify_m, gcj02=gcj02, precision=precision)
    except sp.SpatialPlannerError:
        return
    assert len(out) == len(gdf) and list(out["name"]) == list(gdf["name"])
    assert out.crs.to_epsg() == 4490
    coords = shapely.get_coordinates(out.geometry.values)
    assert np.isfinite(coords).all()
    assert np.allclose(coords, np.round(coords, precision), rtol=0, atol=1e-9)
    assert out.geometry.notna().all()


@st.composite
def convex_parks(draw):
    n = draw(st.integers(1, 5))
    out = []
    for _ in range(n):
        x, y = draw(vertex)
        size = draw(st.floats(0.005, 0.05))
        pts = draw(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=3, max_size=10))
        hull = shapely.MultiPoint([(x + a * size, y + b * size) for a, b in pts]).convex_hull
        assume(hull.geom_type == "Polygon" and hull.area > (size * 0.2) ** 2)
        out.append(hull)
    return gpd.GeoDataFrame({"name": [f"f{i}" for i in range(n)]}, geometry=out, crs="EPSG:4490")


@settings(max_examples=60, **SETTINGS)
@given(convex_parks(), st.sampled_from([0.0, 50.0]), st.booleans())
def test_prepare_for_web_keeps_park_sized_convex_polygons_valid(gdf, simplify_m, gcj02):
    out = prepare_for_web(gdf, simplify_m=simplify_m, gcj02=gcj02)
    assert out.geometry.is_valid.all()
    assert not out.geometry.is_empty.any()


def test_prepare_for_web_keeps_valid_concave_polygons_valid():
    # a valid concave polygon with a 1 m-wide spike would cross itself if each vertex were rounded on its own
    poly = shapely.from_wkt("POLYGON ((113.0099884 34.0047144, 113.0026355 34.0092431, 113.0079305 34.0059755, "
                            "113.0005643 34.0034943, 113.0099884 34.0047144))")
    assert poly.is_valid
    out = prepare_for_web(gpd.GeoDataFrame(geometry=[poly], crs="EPSG:4490"))
    assert out.geometry.is_valid.all()


def test_prepare_for_web_on_an_all_empty_layer():
    gdf = gpd.GeoDataFrame({"name": ["f0"]}, geometry=[Polygon()], crs="EPSG:4490")
    out = prepare_for_web(gdf, simplify_m=50.0)
    assert len(out) == 1 and out.geometry.iloc[0].is_empty


# --------------------------------------------------------------------------- network.build_network


@settings(max_examples=80, **SETTINGS)
@given(road_layers(), st.sampled_from([10.0, 50.0, 300.0]))
def test_build_network_on_random_lines(roads, tol):
    try:
        net = build_network(roads, params=NetworkParams(snap_tolerance_m=tol))
    except sp.SpatialPlannerError:
        return
    sp_ = roads["design_speed_kmh"].to_numpy(float)
    assert not (sp_ < 0).any(), "a negative speed must be an error"
    det = roads["detour_factor"].to_numpy(float)
    assert not (det <= 0).any(), "a non-positive detour factor must be an error"
    e = net.edges
    assert len(e) > 0
    assert ((e["u"] >= 0) & (e["u"] < net.n_nodes) & (e["v"] >= 0) & (e["v"] < net.n_nodes)).all()
    assert (e["u"] != e["v"]).all()
    assert np.isfinite(e["minutes"]).all() and (e["minutes"] > 0).all()
    assert np.isfinite(e["length_m"]).all() and (e["length_m"] > 0).all()
    assert sum(net.report.road_components) == int((net.node_layer == 0).sum())
    assert net.csr("road").shape == (net.n_nodes, net.n_nodes)
    assert set(net.report.zero_length_lines) <= set(roads["road_id"])


@settings(max_examples=40, **SETTINGS)
@given(road_lines(max_lines=4), road_lines(max_lines=3),
       st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8), st.sampled_from(["hsr", "freight_terminal"])),
                min_size=0, max_size=3))
def test_build_network_with_rail_and_stations(road_geoms, rail_geoms, stations):
    roads = gpd.GeoDataFrame({"road_id": [f"r{i}" for i in range(len(road_geoms))], "road_class": "connector"},
                             geometry=road_geoms, crs="EPSG:4547")
    rail = gpd.GeoDataFrame({"line_id": [f"l{i}" for i in range(len(rail_geoms))], "rail_class": "conventional"},
                            geometry=rail_geoms, crs="EPSG:4547")
    st_gdf = gpd.GeoDataFrame({"station_id": [f"s{i}" for i in range(len(stations))],
                               "station_type": [t for _, _, t in stations], "lines": ""},
                              geometry=[Point(X0 + i * 1000, Y0 + j * 1000) for i, j, _ in stations], crs="EPSG:4547")
    try:
        net = build_network(roads, rail, st_gdf)
    except sp.SpatialPlannerError:
        return
    for mode in ("road", "rail", "freight"):
        g = net.csr(mode)
        assert g.shape == (net.n_nodes, net.n_nodes) and np.isfinite(g.data).all() and (g.data > 0).all()
    assert net.report.stations_attached == len(stations)


# --------------------------------------------------------------------------- accessibility.isochrones


@settings(max_examples=30, **SETTINGS)
@given(road_lines(max_lines=4), st.tuples(st.integers(-2, 10), st.integers(-2, 10)),
       st.lists(st.floats(1.0, 60.0), min_size=1, max_size=3, unique=True))
def test_isochrones_on_small_random_networks(lines, origin, minutes):
    roads = gpd.GeoDataFrame({"road_id": [f"r{i}" for i in range(len(lines))], "road_class": "connector"},
                             geometry=lines, crs="EPSG:4547")
    try:
        net = build_network(roads)
    except sp.SpatialPlannerError:
        assume(False)
    start = gpd.GeoSeries([Point(X0 + origin[0] * 1000, Y0 + origin[1] * 1000)], crs="EPSG:4547")
    iso = isochrones(net, start, minutes)
    assert list(iso["minutes"]) == sorted(minutes)
    assert iso.geometry.is_valid.all()
    assert (np.diff(iso["cumulative_km2"]) >= -1e-9).all()
    assert (iso["area_km2"] >= 0).all()
    metric = iso.to_crs(net.crs).geometry.values
    for i in range(len(metric)):
        for j in range(i + 1, len(metric)):
            assert shapely.intersection(metric[i], metric[j]).area <= 1e-6 * max(metric[j].area, 1.0)
    pts = gpd.GeoDataFrame({"id": ["o", "d"]}, geometry=[start.iloc[0], Point(X0, Y0)], crs="EPSG:4547")
    od = od_matrix(net, pts, id_col="id")
    assert (od["unreachable"] | np.isfinite(od["minutes"])).all()
    assert not np.isinf(od["minutes"]).any()
    for engine in ("dijkstra", "ch"):  # the minutes on either engine are the Dijkstra tree's
        other = od_matrix(net, pts, id_col="id", with_km=False, engine=engine)
        assert np.array_equal(other["unreachable"], od["unreachable"])
        assert np.allclose(other["minutes"].fillna(-1), od["minutes"].fillna(-1), atol=1e-6, rtol=0)
