"""Dask: the same answers on a LocalCluster of two workers."""

import geopandas as gpd
import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("dask_geopandas")

from distributed import Client, LocalCluster  # noqa: E402

from spatial_planner.analysis.accessibility import od_matrix, shortest_times  # noqa: E402
from spatial_planner.analysis.distributed import dask_shortest_times, scatter_graph, sjoin_points  # noqa: E402
from spatial_planner.network import build_network  # noqa: E402
from spatial_planner.analysis.places import select_places  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def net(henan):
    return build_network(henan["roads"], henan["rail_lines"], henan["stations"])


def test_dask_equals_single_process_exactly(client, net):
    sources = np.arange(0, net.n_nodes, 19)
    for mode in ("road", "rail"):
        local = shortest_times(net, sources, mode=mode, workers=1, engine="dijkstra")  # Dijkstra on both sides
        remote = dask_shortest_times(net, sources, mode=mode, scheduler=client, batch_size=16)
        assert np.array_equal(local, remote)
    cols = np.array([3, 50, 7])
    assert np.array_equal(dask_shortest_times(net, sources[:40], targets=cols, scheduler=client, batch_size=8),
                          shortest_times(net, sources[:40], workers=1, engine="dijkstra")[:, cols])
    lim = dask_shortest_times(net, sources[:10], limit=30.0, reverse=True, scheduler=client)
    assert np.array_equal(lim, shortest_times(net, sources[:10], limit=30.0, reverse=True, workers=1))


def test_hierarchy_on_dask_equals_the_single_process_hierarchy(client, net):
    rng = np.random.default_rng(2)
    for mode in ("road", "rail"):
        src, tgt = rng.integers(0, net.n_nodes, 70), rng.integers(0, net.n_nodes, 30)
        for reverse in (False, True):
            local = shortest_times(net, src, targets=tgt, mode=mode, reverse=reverse, engine="ch", workers=1)
            remote = dask_shortest_times(net, src, targets=tgt, mode=mode, reverse=reverse, scheduler=client,
                                         batch_size=16, engine="ch")
            assert np.array_equal(local, remote)
            ref = shortest_times(net, src, targets=tgt, mode=mode, reverse=reverse, engine="dijkstra", workers=1)
            assert np.allclose(remote, ref, atol=1e-6, rtol=0) and np.array_equal(np.isinf(remote), np.isinf(ref))
            rows = dask_shortest_times(net, src[:20], mode=mode, reverse=reverse, scheduler=client, batch_size=8,
                                       engine="ch")  # rows to every node: the sweep, on the workers
            assert np.array_equal(rows, shortest_times(net, src[:20], mode=mode, reverse=reverse, engine="ch"))
            ref = shortest_times(net, src[:20], mode=mode, reverse=reverse, engine="dijkstra", workers=1)
            assert np.allclose(rows, ref, atol=1e-6, rtol=0) and np.array_equal(np.isinf(rows), np.isinf(ref))


def test_graph_is_shipped_once_per_worker(client, net):
    fut = scatter_graph(client, net.csr("road"))
    holders = client.who_has(fut)[fut.key]
    assert len(holders) == len(client.scheduler_info()["workers"]) == 2


def test_od_on_dask_matches(client, net, henan):
    seats = select_places(henan, "prefecture-seats")
    a = od_matrix(net, seats, id_col="id", name_col="name", with_km=False)
    b = od_matrix(net, seats, id_col="id", name_col="name", scheduler=client)
    # the single-process OD searches each pair of seats once and mirrors it (a two-way road network);
    # summing a path's edges in the other direction may change the last bit, no more
    assert np.allclose(a["minutes"].to_numpy(), b["minutes"].to_numpy(), rtol=1e-12, atol=0)


def test_dask_geopandas_point_join_matches_geopandas(henan):
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = henan["counties"].total_bounds
    n = 20_000
    pts = gpd.GeoDataFrame({"firm": np.arange(n)},
                           geometry=gpd.points_from_xy(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)),
                           crs=4490)
    counties = henan["counties"][["adcode", "name_zh", "geometry"]]
    plain = sjoin_points(pts, counties, use_dask=False)
    dask = sjoin_points(pts, counties, npartitions=4)
    assert list(dask["firm"]) == list(range(n))
    assert dask["adcode"].fillna("").tolist() == plain["adcode"].fillna("").tolist()
    assert dask["adcode"].notna().sum() > n * 0.5  # most random points in the bounding box fall in Henan
