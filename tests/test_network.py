"""Network building: noding, speeds, modes."""

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString

import spatial_planner as sp
from spatial_planner.network import NetworkParams, build_network

CRS = "EPSG:4547"


def roads(lines, classes=None, speeds=None, **extra):
    n = len(lines)
    return gpd.GeoDataFrame(
        {"road_id": [f"r{i}" for i in range(n)], "name_zh": [f"路{i}" for i in range(n)],
         "road_class": classes or ["connector"] * n,
         "design_speed_kmh": speeds if speeds is not None else [np.nan] * n, **extra},
        geometry=lines, crs=CRS)


def test_t_junction_is_split_and_reported():
    # a road ending 10 m from the middle of another road joins it there
    main = LineString([(500000, 3800000), (510000, 3800000)])
    spur = LineString([(505000, 3800010), (505000, 3805000)])
    net = build_network(roads([main, spur]), params=NetworkParams(snap_tolerance_m=50))
    assert net.report.t_junction_splits == 1
    assert net.report.snapped_vertices == 1
    assert net.report.road_components == [4]


def test_vertices_within_tolerance_are_merged_not_beyond():
    a = LineString([(500000, 3800000), (501000, 3800000)])
    b = LineString([(501030, 3800000), (502000, 3800000)])
    assert build_network(roads([a, b]), params=NetworkParams(snap_tolerance_m=50)).report.road_components == [3]
    report = build_network(roads([a, b]), params=NetworkParams(snap_tolerance_m=10)).report
    assert report.road_components == [2, 2]  # reported, not dropped


def test_speeds_from_class_table_and_detour():
    line = LineString([(500000, 3800000), (560000, 3800000)])  # 60 km
    p = NetworkParams(road_speed_factor=1.0)
    net = build_network(roads([line], classes=["expressway"], detour_factor=[1.0]), params=p)
    assert net.edges["minutes"].iloc[0] == pytest.approx(30.0)  # 60 km at 120 km/h
    assert net.report.missing_speeds == {"road:expressway": 1}
    net = build_network(roads([line], classes=["expressway"], speeds=[60.0], detour_factor=[1.5]), params=p)
    assert net.edges["minutes"].iloc[0] == pytest.approx(90.0)  # 90 km at 60 km/h
    p2 = NetworkParams(road_speed_factor=0.5)
    assert build_network(roads([line], classes=["expressway"]), params=p2).edges["minutes"].iloc[0] == \
        pytest.approx(60.0)


def test_unknown_class_without_speed_names_the_class():
    line = LineString([(500000, 3800000), (510000, 3800000)])
    with pytest.raises(sp.InvalidValueError, match="cart_track"):
        build_network(roads([line], classes=["cart_track"]))


def test_empty_roads():
    with pytest.raises(sp.EmptyLayerError):
        build_network(roads([]))


def test_henan_network(henan):
    net = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    r = net.report
    assert r.road_components[0] >= 157 and len(r.road_components) == 1
    assert r.stations_attached == len(henan["stations"])
    # the OSM arterials carry no speed of their own: they take the class speed
    assert set(r.missing_speeds) <= {"road:arterial", "road:connector"}
    assert r.missing_speeds["road:arterial"] == (henan["roads"]["road_class"] == "arterial").sum()
    # every station's rail node lies on one of its lines
    assert (net.node_layer[net.stations["rail_node"]] == 1).all()
    assert (net.node_layer[net.stations["road_node"]] == 0).all()
    assert net.crs.to_epsg() == 4547


def test_modes_use_the_right_edges(henan):
    net = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    e = net.edges
    road = net.edge_mask("road")
    assert set(e.loc[road, "layer"]) == {"road"}
    rail = net.edge_mask("rail")
    assert "freight" not in set(e.loc[rail & (e["layer"] == "rail"), "cls"])
    assert set(e.loc[rail & (e["layer"] == "board"), "cls"]) <= {"hsr", "conventional"}
    freight = net.edge_mask("freight")
    assert set(e.loc[freight & (e["layer"] == "rail"), "cls"]) <= {"conventional", "freight"}
    assert set(e.loc[freight & (e["layer"] == "board"), "cls"]) == {"freight_terminal"}
    with pytest.raises(sp.ConfigError):
        net.edge_mask("boat")


def test_csr_matches_networkx_graph(henan):
    """The CSR graph holds, for each node pair, the fastest of the parallel edges."""
    net = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    csr = net.csr("rail").tocoo()
    e = net.edges[net.edge_mask("rail")]
    g = nx.DiGraph()
    for u, v, t in zip(e["u"], e["v"], e["minutes"]):
        if not g.has_edge(u, v) or g[u][v]["w"] > t:
            g.add_edge(u, v, w=t)
    assert csr.nnz == g.number_of_edges()
    for u, v, t in zip(csr.row, csr.col, csr.data):
        assert g[u][v]["w"] == pytest.approx(t, abs=1e-9)


def test_hilbert_keys_walk_a_grid_one_step_at_a_time():
    from spatial_planner.network import hilbert_keys

    grid = np.stack(np.meshgrid(np.arange(8), np.arange(8), indexing="ij"), -1).reshape(-1, 2).astype(float)
    keys = hilbert_keys(grid * 250.0 + [400000, 3700000], bits=3)
    assert len(np.unique(keys)) == 64
    walk = grid[np.argsort(keys)]
    assert (np.abs(np.diff(walk, axis=0)).sum(axis=1) == 1).all()  # each step moves to a neighbour cell
    assert len(hilbert_keys(np.zeros((0, 2)))) == 0


def test_one_way_roads_route_in_their_direction_only():
    from spatial_planner.analysis.accessibility import shortest_times

    corners = [(500000, 3800000), (500000, 3801000), (501000, 3801000), (501000, 3800000)]
    lines = [LineString([corners[i], corners[(i + 1) % 4]]) for i in range(4)]
    lines[3] = LineString([corners[0], corners[3]])  # drawn the other way round, tagged -1
    roads = gpd.GeoDataFrame({"road_id": list("abcd"), "road_class": "primary", "design_speed_kmh": 60.0,
                              "oneway": ["yes", True, "是", "-1"]}, geometry=lines, crs=4547)
    net = build_network(roads)
    assert net.report.oneway_segments == 4 and net.report.one_way_traps == 0
    assert not net.is_symmetric("road") and net.edges_gdf()["oneway"].all()
    inv = {tuple(xy): k for k, xy in enumerate(net.node_xy.round().tolist())}
    order = [inv[tuple(map(float, c))] for c in corners]
    t = shortest_times(net, order)[:, order]
    one = 1.0 / net.params.road_speed_factor  # 1 km at 60 km/h times the operating factor
    assert np.allclose(t[0], [0, one, 2 * one, 3 * one])  # clockwise only: the way back is the long way round
    assert np.allclose(t[1], [3 * one, 0, one, 2 * one])
    two = build_network(roads.assign(oneway=["no", "", None, 0]))
    assert two.report.oneway_segments == 0 and two.is_symmetric("road") and not two.edges_gdf()["oneway"].any()
    trap = build_network(roads.iloc[:3])  # an open chain of one-way roads: its ends are cut off
    assert trap.report.one_way_traps == 3


def test_unreadable_oneway_is_named():
    roads = gpd.GeoDataFrame({"road_id": ["r1", "r2"], "road_class": "primary", "oneway": ["yes", "sometimes"]},
                             geometry=[LineString([(0, 0), (0, 1000)]), LineString([(0, 1000), (900, 1000)])],
                             crs=4547)
    with pytest.raises(sp.InvalidValueError, match="oneway") as err:
        build_network(roads)
    assert "r2" in str(err.value) and "sometimes" in str(err.value) and "r1" not in str(err.value)
    assert err.value.column == "oneway" and err.value.ids == ["r2"] and err.value.layer == "roads"


def test_build_network_numbers_nodes_along_a_hilbert_curve(henan):
    from spatial_planner.network import hilbert_keys

    net = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    n_road = int((net.node_layer == 0).sum())
    assert (net.node_layer[:n_road] == 0).all() and (net.node_layer[n_road:] == 1).all()
    for part in (net.node_xy[:n_road], net.node_xy[n_road:]):
        assert (np.diff(hilbert_keys(part)) >= 0).all()
    # stations still point at the nodes next to them after the renumbering
    st = henan["stations"].to_crs(net.crs).set_index("station_id")
    xy = st.loc[net.stations["station_id"]].geometry.get_coordinates().to_numpy()
    gap = np.hypot(*(net.node_xy[net.stations["road_node"]] - xy).T)
    assert np.median(gap) < 2000
