"""Nodes, linkages, scenarios and clusters: known answers on small cases (belts: test_belts.py)."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

import spatial_planner as sp
from spatial_planner.analysis.clusters import ClusterParams, cross_county_clusters
from spatial_planner.analysis.linkages import LinkParams, gravity_linkage, link_priorities
from spatial_planner.analysis.scenario import ScenarioLink, evaluate_scenario
from spatial_planner.network import build_network, network_from_arrays
from spatial_planner.analysis.nodes import NodeParams, assign_tiers, entropy_weights, score_nodes

CRS = "EPSG:4547"


def park(pid, x_km, county, sectors="auto", level="provincial", y_km=0.0, area=4.0):
    x, y = 500_000 + x_km * 1000, 3_800_000 + y_km * 1000
    return {"park_id": pid, "name_zh": f"园{pid}", "county_adcode": county, "level": level, "sectors": sectors,
            "lead_sector": sectors.split(";")[0], "area_km2": area, "geometry": box(x - 500, y - 500, x + 500, y + 500)}


def test_tier_rules_hold():
    parts = pd.DataFrame({"mass": [10, 9, 1, 0.5, 0.4, 0.3, 0.2, 0.1], "gravity": [1] * 8, "betweenness": [0] * 8,
                          "hub_access": [0] * 8, "park_level": [1, 1, 0, 0, 0, 0, 0, 0]},
                         index=[f"n{i}" for i in range(8)], dtype=float)
    scored = score_nodes(parts, NodeParams(weights={"mass": 1, "gravity": 0, "betweenness": 0, "hub_access": 0,
                                                    "park_level": 0}))
    assert scored["score"].iloc[0] == pytest.approx(1.0) and scored["score"].iloc[-1] == pytest.approx(0.0)
    nat = pd.Series([False] * 7 + [True], index=parts.index)
    seat = pd.Series([False] * 6 + [True, False], index=parts.index)
    tiers, report = assign_tiers(scored, has_national_zone=nat, is_prefecture_seat=seat)
    assert tiers.loc["n0", "tier"] == "国家级"
    assert tiers.loc["n7", "tier"] == "省级" and "national_zone" in tiers.loc["n7", "tier_rule"]
    # a prefecture seat that the breaks put in 县级 is lifted to the floor for prefecture seats, 市级
    assert tiers.loc["n6", "tier_by_breaks"] == "县级" and tiers.loc["n6", "tier"] == "市级"
    assert "prefecture_seat" in tiers.loc["n6", "tier_rule"]
    assert report["lifted_by_rule"] == {"national_zone": 1, "prefecture_seat": 1}
    order = ["国家级", "省级", "市级", "县级"]
    ranks = tiers["tier_by_breaks"].map(order.index)
    assert (np.diff(ranks.to_numpy()) >= 0).all()  # breaks never rank a lower score higher


def test_entropy_weights_favour_the_informative_indicator():
    x = pd.DataFrame({"flat": [0.5, 0.5, 0.5, 0.49], "varied": [0.0, 0.1, 0.9, 1.0]})
    w = entropy_weights(x)
    assert w["varied"] > w["flat"] and w.sum() == pytest.approx(1.0)


def test_gravity_linkage_symmetric_and_decreasing():
    mass = pd.Series({"a": 2.0, "b": 3.0, "c": 3.0})
    times = pd.DataFrame([[0, 20, 40], [20, 0, 60], [40, 60, 0]], index=list("abc"), columns=list("abc"), dtype=float)
    g = gravity_linkage(mass, times, beta=2.0, t_min=10.0)
    assert np.allclose(g.to_numpy(), g.to_numpy().T)
    assert g.loc["a", "b"] == pytest.approx(6 / 400) and g.loc["a", "c"] == pytest.approx(6 / 1600)
    assert g.loc["a", "a"] == 0.0
    dis = pd.DataFrame(0.0, index=list("abc"), columns=list("abc"))
    dis.loc["a", "b"] = dis.loc["b", "a"] = 2.0
    gc = gravity_linkage(mass, times, dissimilarity=dis, complementarity=0.5)
    assert gc.loc["a", "b"] == pytest.approx(g.loc["a", "b"] * 1.5) and gc.loc["a", "c"] == g.loc["a", "c"]


def _detour_world():
    """Three towns on a line; the road from A to C bends far north (a long detour) through N."""
    xy = np.array([[500_000, 3_800_000], [560_000, 3_800_000], [530_000, 3_880_000], [620_000, 3_800_000]], float)
    # A(0)–N(2)–B(1) detour, B(1)–C(3) direct
    u, v = np.array([0, 2, 1]), np.array([2, 1, 3])
    length = np.hypot(*(xy[u] - xy[v]).T)
    net = network_from_arrays(xy, u, v, length / 1000.0, length, crs=CRS)
    pts = gpd.GeoDataFrame({"adcode": ["A", "B", "N", "C"], "name_zh": ["甲", "乙", "北", "丙"],
                            "is_prefecture_seat": [True, False, False, False]},
                           geometry=gpd.points_from_xy(xy[[0, 1, 2, 3], 0], xy[[0, 1, 2, 3], 1]), crs=CRS).to_crs(4490)
    return net, pts


def test_scenario_shortcut_raises_served_counties_and_lowers_none():
    net, seats = _detour_world()
    hubs = gpd.GeoDataFrame({"hub_id": ["H"], "name_zh": ["机场"], "hub_type": ["airport"]},
                            geometry=[seats.geometry.iloc[3]], crs=4490)
    stations = gpd.GeoDataFrame({"station_id": ["S"], "name_zh": ["站"], "station_type": ["hsr"]},
                                geometry=[seats.geometry.iloc[1]], crs=4490)
    layers = {"seats": seats, "hubs": hubs, "stations": stations, "parks": gpd.GeoDataFrame(
        {"park_id": [], "name_zh": []}, geometry=[], crs=4490)}
    res = evaluate_scenario(net, [ScenarioLink("A", "B", "road", 100.0)], layers,
                            hub_kinds=("airport", "hsr"), mode="road")
    assert res.loc["A", "gain_min_to_airport"] > 30  # the shortcut saves the detour
    assert (res["gain_gravity"] >= -1e-9).all() and (res.filter(like="gain_min").to_numpy() >= -1e-9).all()
    assert res.loc["A", "gain_gravity"] > 0 and res.loc["B", "gain_gravity"] > 0
    assert res.index[0] in ("A", "B")  # who gains most comes first


def test_scenario_link_parsing():
    link = ScenarioLink.parse("410102,410311,rail,300")
    assert (link.a, link.b, link.mode, link.speed_kmh) == ("410102", "410311", "rail", 300.0)
    assert ScenarioLink.parse("a,b").mode == "road"
    for bad in ("a", "a,b,boat", "a,b,road,fast", "a,b,road,-5"):
        with pytest.raises(sp.ConfigError):
            ScenarioLink.parse(bad)


def test_link_priority_prefers_strong_pairs_with_a_detour():
    net, seats = _detour_world()
    times = pd.DataFrame(index=["A", "B", "N", "C"], columns=["A", "B", "N", "C"], dtype=float)
    from spatial_planner.analysis.accessibility import od_matrix, od_wide

    pts = gpd.GeoDataFrame({"id": seats["adcode"]}, geometry=seats.geometry.values, crs=4490)
    times = od_wide(od_matrix(net, pts, id_col="id", with_km=False))
    mass = pd.Series({"A": 10.0, "B": 10.0, "N": 0.1, "C": 1.0})
    g = gravity_linkage(mass, times)
    prio = link_priorities(net, g, times, seats, params=LinkParams(min_crow_km=10, min_deficit=0.1))
    top = prio.iloc[0]
    assert {top["a"], top["b"]} == {"A", "B"}
    # the ideal: 10 minutes to get on and off the fast network, then 60 km crow-fly at 100 km/h
    assert top["deficit"] > 0.3 and top["ideal_min"] == pytest.approx(10 + 60 / 100 * 60, rel=0.01)
    assert "甲" in top["reason_zh"] and "min" in top["reason_en"]


def test_cross_county_clusters_group_close_parks_of_one_sector():
    parks = gpd.GeoDataFrame([park("a", 0, "c1"), park("b", 10, "c2"), park("c", 20, "c2", "food"),
                              park("d", 200, "c3"), park("e", 30, "c1")], geometry="geometry", crs=CRS).to_crs(4490)
    ids = parks["park_id"].tolist()
    pos = np.array([0, 10, 20, 200, 30], float)
    times = pd.DataFrame(np.abs(pos[:, None] - pos[None, :]), index=ids, columns=ids)  # 1 min per km
    out = cross_county_clusters(parks, times, params=ClusterParams(max_minutes=25))
    assert len(out) == 1
    assert out.iloc[0]["members"] == "a;b;e" and out.iloc[0]["n_counties"] == 2
    assert out.iloc[0].geometry.is_valid and out.crs.to_epsg() == 4490


def _nx_subset_betweenness(net, nodes):
    import networkx as nx

    coo = net.csr("road").tocoo()
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    g.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    return nx.betweenness_centrality_subset(g, sources=nodes, targets=nodes, weight="weight", normalized=False)


def test_seat_betweenness_equals_networkx_on_henan(henan):
    from spatial_planner.analysis.nodes import betweenness_between

    net = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    att = net.attach(henan["seats"])
    seat_nodes = dict(list(zip(henan["seats"]["adcode"].astype(str), att["node"]))[::3])  # the oracle is slow
    ours = betweenness_between(net, seat_nodes)
    nodes = sorted(set(seat_nodes.values()))
    ref = _nx_subset_betweenness(net, nodes)
    pairs = len(nodes) * (len(nodes) - 1)
    expect = pd.Series({k: ref[v] / pairs for k, v in seat_nodes.items()})
    assert np.allclose(ours.reindex(expect.index), expect, atol=1e-12)
    assert (ours > 0).sum() >= 10  # a seat's own street node lies on few fastest paths of a real road graph


def test_county_betweenness_equals_networkx_paths_on_henan(henan):
    """Each fastest seat-to-seat path (networkx's Dijkstra) counted once per county it crosses, ends excluded."""
    import networkx as nx

    from spatial_planner.analysis.nodes import node_zones, zone_betweenness

    net = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    seats = henan["seats"].set_index(henan["seats"]["adcode"].astype(str))
    counties = henan["counties"].set_index(henan["counties"]["adcode"].astype(str))
    all_seats = net.attach(seats)["node"].to_dict()
    zone = node_zones(net, counties)
    full = zone_betweenness(net, all_seats, zone)
    assert (full > 0).sum() > 120 and 0.2 < full.max() < 0.5
    # the county between 郑州 and 开封 carries the most seat-to-seat paths
    assert counties.loc[full.idxmax(), "name_zh"] == "中牟县"
    seat_nodes = {k: v for i, (k, v) in enumerate(sorted(all_seats.items())) if i % 4 == 0}  # the oracle is slow
    ours = zone_betweenness(net, seat_nodes, zone)
    coo = net.csr("road").tocoo()
    g = nx.DiGraph()
    g.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    crossed = pd.Series(0.0, index=sorted(seat_nodes))
    for a, s in seat_nodes.items():
        paths = nx.single_source_dijkstra_path(g, s, weight="weight")
        for b, t in seat_nodes.items():
            if a == b:
                continue
            inner = ({zone[n] for n in paths[t][1:]} & set(seat_nodes)) - {zone[s], zone[t]}
            crossed[list(inner)] += 1
    n = len(seat_nodes)
    assert np.allclose(ours.reindex(crossed.index), crossed / (n * (n - 1)), atol=1e-12)
    assert (ours > 0).sum() >= 20


@pytest.mark.parametrize("seed", range(8))
def test_paths_through_equals_networkx_on_random_graphs(seed):
    from scipy.sparse.csgraph import dijkstra

    from spatial_planner.analysis.nodes import paths_through

    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    u, v = rng.integers(0, n, 3 * n), rng.integers(0, n, 3 * n)
    keep = u != v
    xy = np.column_stack([np.arange(n) * 100.0 + 500000, np.full(n, 3800000.0)])
    net = network_from_arrays(xy, u[keep], v[keep], rng.uniform(0.5, 20.0, keep.sum()), two_way=seed % 2 == 0,
                              crs=CRS)
    nodes = sorted(rng.choice(n, min(n, 8), replace=False).tolist())
    _, pred = dijkstra(net.csr("road"), directed=True, indices=nodes, return_predecessors=True)
    ours = sum(paths_through(pred[k], s, np.array(nodes)) for k, s in enumerate(nodes))
    ref = _nx_subset_betweenness(net, nodes)
    assert np.allclose(ours, [ref[i] for i in range(n)], atol=1e-9)


def test_edge_loads_follow_networkx_paths(henan):
    import networkx as nx

    from spatial_planner.analysis.linkages import edge_loads

    net = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    seats = henan["seats"].set_index(henan["seats"]["adcode"].astype(str)).iloc[::8]
    nodes = net.attach(seats)["node"]
    ids = list(seats.index)
    rng = np.random.default_rng(4)
    w = rng.uniform(0, 1, (len(ids), len(ids)))
    load, paths = edge_loads(net, nodes, pd.DataFrame(w + w.T, index=ids, columns=ids))
    coo = net.csr("road").tocoo()
    g = nx.DiGraph()
    g.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    expect: dict = {}
    for i, a in enumerate(ids):
        for j in range(i + 1, len(ids)):
            route = nx.dijkstra_path(g, int(nodes[a]), int(nodes[ids[j]]), weight="weight")
            edges = [(min(x, y), max(x, y)) for x, y in zip(route[:-1], route[1:])]
            assert sorted(paths[(a, ids[j])]) == sorted(edges)
            for e in edges:
                expect[e] = expect.get(e, 0.0) + (w + w.T)[i, j]
    assert load.keys() == expect.keys()
    assert np.allclose([load[e] for e in expect], list(expect.values()), rtol=1e-12)
