"""The accessibility engine against networkx, and its invariants."""

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spatial_planner.analysis.accessibility import (
    cumulative_opportunities,
    gravity_potential,
    isochrones,
    nearest_hub_times,
    od_matrix,
    od_wide,
    shortest_times,
    travel_time_surface,
    two_step_fca,
    zonal_stats,
)
from spatial_planner.network import NetworkParams, build_network, network_from_arrays
from spatial_planner.analysis.places import select_places, select_targets


@pytest.fixture(scope="module")
def net(henan):
    return build_network(henan["roads"], henan["rail_lines"], henan["stations"])


def nx_graph(net, mode):
    csr = net.csr(mode).tocoo()
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    g.add_weighted_edges_from(zip(csr.row.tolist(), csr.col.tolist(), csr.data.tolist()))
    return g


@pytest.mark.parametrize("mode", ["road", "rail", "freight"])
def test_times_equal_networkx_on_henan(net, mode, engine):
    g = nx_graph(net, mode)
    sources = np.arange(0, net.n_nodes, 97)
    ours = shortest_times(net, sources, mode=mode, workers=1)
    cols = np.r_[np.arange(net.n_nodes)[::-1], 3]  # every node, reordered, one twice: the many-to-many path
    od = shortest_times(net, sources, mode=mode, workers=2, targets=cols, engine=engine)
    back = shortest_times(net, sources, mode=mode, workers=1, targets=cols, engine=engine, reverse=True)
    for k, s in enumerate(sources):
        ref = nx.single_source_dijkstra_path_length(g, int(s))
        expect = np.full(net.n_nodes, np.inf)
        expect[list(ref)] = list(ref.values())
        assert np.allclose(ours[k], expect, atol=1e-6, rtol=0)
        assert np.allclose(od[k], expect[cols], atol=1e-6, rtol=0)
        ref = nx.single_source_dijkstra_path_length(g.reverse(copy=False), int(s))  # times *to* s
        expect = np.full(net.n_nodes, np.inf)
        expect[list(ref)] = list(ref.values())
        assert np.allclose(back[k], expect[cols], atol=1e-6, rtol=0)


def test_two_processes_equal_one(net):
    sources = np.arange(0, net.n_nodes, 11)
    one = shortest_times(net, sources, workers=1, engine="dijkstra")  # the fixture may carry a hierarchy by now
    two = shortest_times(net, sources, workers=2, engine="dijkstra")
    assert np.array_equal(one, two)
    cols = np.array([5, 0, 77, 5])
    assert np.array_equal(shortest_times(net, sources, workers=2, targets=cols, engine="dijkstra"), one[:, cols])
    assert np.array_equal(shortest_times(net, sources, workers=1, targets=cols, engine="dijkstra"), one[:, cols])


def test_ordered_matrix_is_the_network_renumbered(net):
    perm, inv = net.node_order()
    assert np.array_equal(np.sort(perm), np.arange(net.n_nodes)) and np.array_equal(perm[inv], np.arange(net.n_nodes))
    a, b = net.csr("rail"), net.csr_ordered("rail")
    assert np.array_equal((b[inv][:, inv] != a).nnz, 0)
    assert net.is_symmetric("road") and not net.is_symmetric("rail")  # boarding costs, alighting does not


@pytest.mark.parametrize("workers", [1, 2])
def test_symmetric_od_equals_full_searches(net, monkeypatch, workers):
    """A two-way OD whose sources are among its targets searches each pair once, with early stops."""
    import spatial_planner.analysis.accessibility as acc

    rng = np.random.default_rng(5)
    road = np.flatnonzero(net.node_layer == 0)
    sources = rng.choice(road, 60, replace=False)
    sources = np.r_[sources, sources[:3]]  # duplicates
    targets = rng.permutation(np.r_[sources, rng.choice(road, 15), sources[:4]])  # extras and repeats
    full = shortest_times(net, sources, workers=1)[:, targets]
    limits = []
    real = acc.dijkstra

    def spy(*args, **kw):
        limits.append(kw.get("limit", np.inf))
        return real(*args, **kw)

    monkeypatch.setattr(acc, "dijkstra", spy)
    od = shortest_times(net, sources, targets=targets, workers=workers, engine="dijkstra")
    assert np.allclose(od, full, rtol=1e-12, atol=0)
    assert np.isfinite(od).all()
    if workers == 1:  # the worker processes' calls are not seen here
        assert len(limits) <= 60 and sum(np.isfinite(limits)) >= 40  # most searches stop early


def test_od_km_the_same_on_two_processes(net, henan):
    parks = henan["parks"].assign(geometry=henan["parks"].geometry.representative_point())
    seats = select_places(henan, "prefecture-seats")
    one = od_matrix(net, parks, seats, workers=1)
    two = od_matrix(net, parks, seats, workers=2)
    assert len(one) == 95 * 18 and one["km"].notna().all()
    pd.testing.assert_frame_equal(one, two)


@st.composite
def two_way_graph(draw):
    n = draw(st.integers(3, 30))
    m = draw(st.integers(1, 80))
    u = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    v = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    w = np.array(draw(st.lists(st.floats(0.01, 100.0, allow_nan=False), min_size=m, max_size=m)))
    xy = np.array(draw(st.lists(st.tuples(st.floats(0, 1e5), st.floats(0, 1e5)), min_size=n, max_size=n)))
    sources = np.array(draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2 * n)))
    extra = np.array(draw(st.lists(st.integers(0, n - 1), max_size=n)), dtype=int)
    return n, u, v, w, xy + [500000, 3800000], sources, np.r_[extra, sources][::-1]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(two_way_graph())
def test_symmetric_od_on_random_two_way_graphs(engine, graph):
    n, u, v, w, xy, sources, targets = graph
    keep = u != v
    net = network_from_arrays(xy, u[keep], v[keep], w[keep], two_way=True, crs="EPSG:4547")
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for a, b, t in zip(u[keep], v[keep], w[keep]):
        if not g.has_edge(a, b) or g[a][b]["weight"] > t:
            g.add_edge(int(a), int(b), weight=float(t))
    od = shortest_times(net, sources, targets=targets, workers=1, engine=engine)
    for k, s in enumerate(sources):
        ref = nx.single_source_dijkstra_path_length(g, int(s))
        expect = np.array([ref.get(int(t), np.inf) for t in targets])
        assert np.allclose(od[k], expect, atol=1e-6, rtol=0)
        assert np.array_equal(np.isinf(od[k]), np.isinf(expect))


def test_od_matrix_tidy_and_equal_to_networkx(net, henan, big_engine):
    seats = select_places(henan, "prefecture-seats")
    od = od_matrix(net, seats, mode="road")
    minutes = od_matrix(net, seats, mode="road", with_km=False, engine=big_engine)
    assert np.allclose(minutes["minutes"], od["minutes"], atol=1e-6, rtol=0)
    assert list(od.columns) == ["origin_id", "origin_name", "destination_id", "destination_name", "minutes", "km",
                                "unreachable"]
    assert len(od) == 18 * 18 and not od["unreachable"].any()
    att = net.attach(seats)
    g = nx_graph(net, "road")
    a, b = seats.index[0], seats.index[5]
    ref = nx.dijkstra_path_length(g, int(att.loc[a, "node"]), int(att.loc[b, "node"]))
    ref += att.loc[a, "access_min"] + att.loc[b, "access_min"]
    row = od[(od["origin_id"] == seats.loc[a, "id"]) & (od["destination_id"] == seats.loc[b, "id"])]
    assert row["minutes"].iloc[0] == pytest.approx(ref, abs=1e-6)
    # km along the fastest path equals the sum of its edges' lengths
    path = nx.dijkstra_path(g, int(att.loc[a, "node"]), int(att.loc[b, "node"]))
    lengths = net.csr("road", "length_m")
    km = sum(lengths[u, v] for u, v in zip(path[:-1], path[1:])) / 1000
    km += (att.loc[a, "access_m"] + att.loc[b, "access_m"]) * net.params.access_detour / 1000
    assert row["km"].iloc[0] == pytest.approx(km, abs=1e-6)
    w = od_wide(od)
    assert np.allclose(np.diag(w.to_numpy()), 0.0)
    assert np.allclose(w.to_numpy(), w.to_numpy().T, atol=1e-6)  # roads are two-way


def test_rail_is_faster_between_far_hsr_cities_and_huge_penalty_gives_road(henan):
    seats = select_places(henan, "prefecture-seats")
    base = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    road = od_wide(od_matrix(base, seats, mode="road", with_km=False))
    rail = od_wide(od_matrix(base, seats, mode="rail", with_km=False))
    assert (rail.to_numpy() <= road.to_numpy() + 1e-9).all()
    assert (rail.to_numpy() < road.to_numpy() - 10).sum() > 50  # HSR saves time on many pairs
    huge = build_network(henan["roads"], henan["rail_lines"], henan["stations"],
                         params=NetworkParams(boarding_penalty_min=1e7, freight_transfer_min=1e7))
    for mode in ("rail", "freight"):
        assert np.allclose(od_wide(od_matrix(huge, seats, mode=mode, with_km=False)).to_numpy(), road.to_numpy())


def test_shortcut_edge_never_increases_any_time(net):
    sources = np.r_[3, 90, np.arange(0, net.n_nodes, 13)]
    before = shortest_times(net, sources, workers=1)
    extra = pd.DataFrame({"u": [3, 90], "v": [90, 3], "length_m": [1000.0, 1000.0], "minutes": [1.0, 1.0],
                          "layer": "road", "cls": "scenario", "line_id": "x", "name": "x", "reverse": False})
    after = shortest_times(net.with_edges(extra), sources, workers=1)
    assert (after <= before + 1e-9).all()
    assert (after < before - 1e-6).any()


def test_nearest_hub_times_match_brute_force(net, henan):
    seats = henan["seats"].head(20)
    hubs = henan["hubs"]
    res = nearest_hub_times(net, seats, hubs, mode="road")
    airports = hubs[hubs["hub_type"] == "airport"]
    od = od_wide(od_matrix(net, seats, airports, mode="road", with_km=False))
    assert np.allclose(res["min_to_airport"].to_numpy(), od.min(axis=1).to_numpy(), atol=1e-6)
    names = airports.set_index("hub_id")["name_zh"]
    assert (res["nearest_airport"].to_numpy() == names.loc[od.idxmin(axis=1)].to_numpy()).all()
    assert not res["unreachable"].any()


def test_isochrones_nested_growing_valid_and_clipped(net, henan):
    area = henan["boundary"].geometry.iloc[0]
    hub = henan["hubs"].set_index("hub_id").loc[["AP_CGO"]]
    iso = isochrones(net, hub, [30, 60, 90, 120], study_area=area)
    assert list(iso["minutes"]) == [30, 60, 90, 120]
    assert shapely.is_valid(iso.geometry.values).all()
    cum = iso["cumulative_km2"].to_numpy()
    assert (np.diff(cum) > 0).all()
    assert np.allclose(iso["area_km2"].cumsum().to_numpy(), cum, rtol=1e-6)
    m = iso.to_crs(4547)
    for i in range(len(m)):
        for j in range(i + 1, len(m)):
            assert m.geometry.iloc[i].intersection(m.geometry.iloc[j]).area < 1.0  # bands do not overlap
    assert shapely.union_all(m.geometry.values).difference(
        gpd.GeoSeries([area], crs=4490).to_crs(4547).iloc[0].buffer(1)).area < 1.0


def test_raster_times_at_node_cells_match_network_times(net, henan):
    area = henan["boundary"].geometry.iloc[0]
    targets = select_targets(henan, "airport")
    arr, transform, crs = travel_time_surface(net, targets, area, resolution=1000)
    from spatial_planner.analysis.accessibility import times_to_nearest

    t = times_to_nearest(net, targets)
    road = np.flatnonzero(net.node_layer == 0)
    cols = np.floor((net.node_xy[road, 0] - transform.c) / transform.a).astype(int)
    rows = np.floor((net.node_xy[road, 1] - transform.f) / transform.e).astype(int)
    on_grid = (rows >= 0) & (rows < arr.shape[0]) & (cols >= 0) & (cols < arr.shape[1])
    road, rows, cols = road[on_grid], rows[on_grid], cols[on_grid]  # the network reaches beyond the study area
    cell = arr[rows, cols]
    ok = np.isfinite(cell)
    # half a cell diagonal of off-network travel at most
    tol = 0.5 * np.sqrt(2) * 1000 * net.params.access_detour / (net.params.access_speed_kmh * 1000 / 60)
    assert (cell[ok] <= t[road][ok] + tol + 1e-4).all()
    # Where no off-network shortcut beats the network (walking from another node or straight to a
    # target), the cell holds the node's network time, up to the walk from the cell centre.
    speed = net.params.access_speed_kmh * 1000 / 60 / net.params.access_detour
    every, t_every = net.node_xy[road], t[road]
    pick = np.arange(0, len(road), 5)  # a sample of the nodes: the walk matrix is nodes × nodes
    road, cell, ok, xy = road[pick], cell[pick], ok[pick], every[pick]
    walk = np.hypot(xy[:, None, 0] - every[None, :, 0], xy[:, None, 1] - every[None, :, 1]) / speed
    alt = (t_every[None, :] + walk).min(axis=1)
    txy = targets.to_crs(net.crs).geometry
    direct = np.hypot(xy[:, None, 0] - txy.x.values[None, :], xy[:, None, 1] - txy.y.values[None, :]).min(axis=1)
    optimal = (np.minimum(alt, direct / speed) >= t[road] - 1e-9) & ok
    assert optimal.sum() > 0.9 * ok.sum()
    assert np.allclose(cell[optimal], t[road][optimal], atol=tol + 1e-4)
    z = zonal_stats(arr, transform, crs, henan["counties"])
    assert z["mean"].notna().all() and (z["min"] <= z["median"]).all() and (z["median"] <= z["max"]).all()


def test_gravity_symmetric_and_falls_with_time():
    times = pd.DataFrame([[0, 20, 40], [20, 0, 60], [40, 60, 0]], index=list("abc"), columns=list("abc"), dtype=float)
    mass = pd.Series({"a": 1.0, "b": 1.0, "c": 1.0})
    g = gravity_potential(times, mass, include_self=False)
    pair = lambda i, j: gravity_potential(times.loc[[i], [j]], mass)  # noqa: E731
    assert pair("a", "b").iloc[0] == pytest.approx(pair("b", "a").iloc[0])
    assert g["a"] > g["b"] > g["c"]  # a is closest to the others
    assert pair("a", "b").iloc[0] == pytest.approx(0.5 ** (20 / 30))
    p = gravity_potential(times, mass, kind="power", beta=2.0, include_self=False)
    assert p["a"] == pytest.approx(1 / 20**2 + 1 / 40**2)


def test_cumulative_and_2sfca_known_answers():
    times = pd.DataFrame([[10, 70], [50, 20]], index=["p1", "p2"], columns=["s1", "s2"], dtype=float)
    c = cumulative_opportunities(times, pd.Series({"s1": 5.0, "s2": 7.0}), threshold=60)
    assert c.loc["p1", "count_within"] == 1 and c.loc["p2", "mass_within"] == 12.0
    a = two_step_fca(times, pd.Series({"p1": 100.0, "p2": 300.0}), pd.Series({"s1": 10.0, "s2": 6.0}), threshold=60)
    # s1 serves p1+p2 (400): 10/400; s2 serves p2 (300): 6/300
    assert a["p1"] == pytest.approx(10 / 400)
    assert a["p2"] == pytest.approx(10 / 400 + 6 / 300)


@st.composite
def random_graph(draw):
    n = draw(st.integers(2, 40))
    m = draw(st.integers(1, 120))
    u = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    v = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    w = draw(st.lists(st.floats(0.01, 100.0, allow_nan=False), min_size=m, max_size=m))
    return n, np.array(u), np.array(v), np.array(w)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(random_graph())
def test_random_graphs_equal_networkx(engine, graph):
    n, u, v, w = graph
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    xy = np.column_stack([np.arange(n) * 100.0 + 500000, np.full(n, 3800000.0)])
    net = network_from_arrays(xy, u, v, w, two_way=False, crs="EPSG:4547")
    ours = shortest_times(net, np.arange(n), workers=1)
    od = shortest_times(net, np.arange(n), workers=1, targets=np.arange(n), engine=engine)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for a, b, t in zip(u, v, w):
        if not g.has_edge(a, b) or g[a][b]["weight"] > t:
            g.add_edge(int(a), int(b), weight=float(t))
    for s in range(n):
        ref = nx.single_source_dijkstra_path_length(g, s)
        expect = np.full(n, np.inf)
        expect[list(ref)] = list(ref.values())
        assert np.allclose(ours[s], expect, atol=1e-6, rtol=0)
        assert np.allclose(od[s], expect, atol=1e-6, rtol=0)


#: Multi-worker OD and shortest times from a parent whose other thread holds a lock the searches take.
#: Workers forked from this parent would inherit the lock held, with no thread left to release it.
THREADED_PARENT = """
import threading

import geopandas as gpd
import numpy as np
import pandas as pd

import spatial_planner.analysis.accessibility as acc
from spatial_planner.network import network_from_arrays

side = 30
ij = np.array([(i, j) for i in range(side) for j in range(side)])
xy = ij * 1000.0 + [500000, 3800000]
idx = np.arange(side * side).reshape(side, side)
u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
rng = np.random.default_rng(3)
minutes = rng.uniform(0.5, 2.0, len(u))
net = network_from_arrays(xy, u, v, minutes, minutes * 900, crs="EPSG:4547")
pick = rng.choice(side * side, 48, replace=False)
places = gpd.GeoDataFrame({"id": [f"p{k}" for k in pick], "name": [f"place {k}" for k in pick]},
                          geometry=gpd.points_from_xy(xy[pick, 0] + 3, xy[pick, 1] - 4), crs="EPSG:4547")
sources = np.arange(0, side * side, 7)

held, taken, release = threading.Lock(), threading.Event(), threading.Event()
search = acc.dijkstra

def guarded(*args, **kwargs):
    with held:
        return search(*args, **kwargs)

def holder():
    with held:
        taken.set()
        release.wait()

thread = threading.Thread(target=holder)
thread.start()
taken.wait()
acc.dijkstra = guarded  # the parent's searches now wait for the lock the other thread holds
try:
    od2 = acc.od_matrix(net, places, workers=2)
    rows2 = acc.shortest_times(net, sources, workers=2)
    sym2 = acc.shortest_times(net, pick, targets=pick, workers=2, engine="dijkstra")
finally:
    release.set()
    thread.join()
pd.testing.assert_frame_equal(od2, acc.od_matrix(net, places, workers=1))
assert np.array_equal(rows2, acc.shortest_times(net, sources, workers=1))
assert np.array_equal(sym2, acc.shortest_times(net, pick, targets=pick, workers=1, engine="dijkstra"))
print("ok", len(od2), rows2.shape, sym2.shape)
"""


def _run_python(args: list[str], cwd, what: str, timeout: float = 180) -> str:
    """Run a fresh interpreter in its own session; on timeout kill it and its workers and fail the test."""
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=cwd)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the script and any worker it started
        proc.communicate()
        pytest.fail(f"{what} hung")
    assert proc.returncode == 0, err[-3000:]
    return out


def test_workers_start_safely_from_a_threaded_parent(tmp_path):
    """A parent with another live thread holding a lock (a Jupyter kernel running Dask, a GUI) must not hand
    that lock, held, to its workers: the OD finishes instead of hanging, and equals the one-process result."""
    out = _run_python(["-c", THREADED_PARENT], tmp_path, "multi-worker OD from a threaded parent (deadlocked workers?)")
    assert out.startswith("ok 2304"), out


def test_workers_do_not_run_an_unguarded_script_again(tmp_path):
    """Workers do not import the caller's main module: a script without the ``__main__`` guard runs once."""
    script = tmp_path / "plain_script.py"
    script.write_text(
        "import numpy as np\n"
        "import spatial_planner.analysis.accessibility as acc\n"
        "from spatial_planner.network import network_from_arrays\n"
        "xy = np.c_[np.arange(400) % 20, np.arange(400) // 20] * 1000.0 + [500000, 3800000]\n"
        "u = np.r_[np.flatnonzero(np.arange(400) % 20 < 19), np.arange(380)]\n"
        "v = np.r_[u[:380] + 1, np.arange(20, 400)]\n"
        "net = network_from_arrays(xy, u, v, np.ones(len(u)), crs='EPSG:4547')\n"
        "print('run', acc.shortest_times(net, np.arange(0, 400, 5), workers=2).shape, flush=True)\n",
        encoding="utf-8")
    out = _run_python([str(script)], tmp_path, "multi-worker search from a script without the __main__ guard")
    assert out.splitlines() == ["run (80, 400)"]
