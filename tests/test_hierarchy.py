"""The contraction hierarchy: known answers, both kernels, files, the engine choice and its config key."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

import spatial_planner as sp
from spatial_planner.analysis.accessibility import (
    CH_MIN_SOURCES,
    resolve_engine,
    shortest_times,
)
from spatial_planner.config import config_template, load_config
from spatial_planner.network import build_network, network_from_arrays
from spatial_planner.network import hierarchy as H


def _csr(u, v, w, n):
    return sparse.csr_matrix((np.asarray(w, float), (np.asarray(u), np.asarray(v))), shape=(n, n))


@pytest.mark.parametrize("kernel", ["numba", "python"])
def test_known_answers_on_a_one_way_graph(kernel):
    # 0 → 1 → 2 → 3 one way, a slow way back 3 → 0, a shortcut 0 → 2 slower than via 1; 4 cut off
    m = _csr([0, 1, 2, 3, 0], [1, 2, 3, 0, 2], [1.5, 2.25, 0.5, 10.0, 4.0], 5)
    ch = H.build_hierarchy(m, kernel=kernel)
    got = ch.many_to_many([0, 3, 4, 0], [3, 0, 2, 4], kernel=kernel)
    inf = np.inf
    expect = np.array([[4.25, 0.0, 3.75, inf],
                       [0.0, 10.0, 13.75, inf],
                       [inf, inf, inf, 0.0],
                       [4.25, 0.0, 3.75, inf]])
    assert np.array_equal(np.isinf(got), np.isinf(expect))
    assert np.allclose(got[np.isfinite(expect)], expect[np.isfinite(expect)], atol=1e-12, rtol=0)


def test_zero_minutes_parallel_arcs_and_self_loops_read_as_csgraph_reads_them():
    # an explicit zero is an arc; of parallel entries the fastest counts; a self-loop changes nothing
    m = sparse.csr_matrix((np.array([0.0, 5.0, 2.0, 7.0, 1.0]), np.array([1, 2, 2, 2, 0]), np.array([0, 1, 3, 5])),
                          shape=(3, 3))  # rows: 0 → 1 (0 min); 1 → 2 twice (5, 2); 2 → 2 (7), 2 → 0 (1)
    expect = [[0, 0, 2], [3, 0, 2], [1, 1, 0]]
    assert np.array_equal(dijkstra(m, directed=True), expect)
    assert np.array_equal(H.build_hierarchy(m).many_to_many([0, 1, 2], [0, 1, 2]), expect)


def test_both_kernels_build_the_same_hierarchy_bit_for_bit():
    rng = np.random.default_rng(3)
    n, m = 300, 1200
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = np.round(rng.uniform(0.1, 20.0, m), 1)  # ties on purpose
    csr = _csr(u, v, w, n)
    a, b = H.build_hierarchy(csr, kernel="numba", workers=2), H.build_hierarchy(csr, kernel="python")
    one = H.build_hierarchy(csr, kernel="numba", workers=1)  # one thread: the same hierarchy
    for name in H.Hierarchy._FIELDS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
        assert np.array_equal(getattr(a, name), getattr(one, name)), name
    src, tgt = rng.integers(0, n, 40), rng.integers(0, n, 50)
    assert np.array_equal(a.many_to_many(src, tgt, workers=2), b.many_to_many(src, tgt, kernel="python"))
    ref = dijkstra(csr, directed=True, indices=src)[:, tgt]
    got = a.many_to_many(src, tgt)
    assert np.array_equal(np.isinf(got), np.isinf(ref))
    assert np.abs(got[np.isfinite(ref)] - ref[np.isfinite(ref)]).max() < 1e-9


@pytest.mark.parametrize("kernel", ["numba", "python"])
def test_a_batch_whose_witnesses_run_through_each_other_keeps_every_path(kernel):
    # a square of equal sides, two ways: 0 and 2 (or 1 and 3) are contracted in one batch, and each
    # one's pair of neighbours has a witness of equal length through the other; a tie is no witness
    m = _csr([0, 1, 2, 3, 1, 2, 3, 0], [1, 2, 3, 0, 0, 1, 2, 3], [1.0] * 8, 4)
    got = H.build_hierarchy(m, kernel=kernel).many_to_many([0, 1, 2, 3], [0, 1, 2, 3], kernel=kernel)
    assert np.array_equal(got, dijkstra(m, directed=True))
    grid = network_from_arrays(np.c_[np.arange(36) % 6, np.arange(36) // 6] * 1000.0,
                               np.r_[[i for i in range(36) if i % 6 < 5], np.arange(30)],
                               np.r_[[i + 1 for i in range(36) if i % 6 < 5], np.arange(6, 36)],
                               np.ones(60), np.full(60, 1000.0), crs="EPSG:4547").csr("road")
    got = H.build_hierarchy(grid, kernel=kernel).many_to_many(np.arange(36), np.arange(36), kernel=kernel)
    assert np.array_equal(got, dijkstra(grid, directed=True))  # a lattice of ties: whole minutes, exactly


def test_the_numba_kernel_is_compiled_and_the_python_kernel_is_not():
    """numba is a dependency: "numba" must mean machine code, or the tests of that path test Python twice."""
    k = H.kernels("numba")
    assert k.COMPILED
    assert not H.kernels("python").COMPILED
    before = k.threads()
    with k.on_threads(1) as n:
        assert n == k.threads() == 1
    assert k.threads() == before  # the setting comes back after a contraction on fewer threads


@st.composite
def directed_graph(draw):
    """A random directed graph of minutes: one-way arcs, parallel arcs, ties, zeros and unreachable nodes."""
    n = draw(st.integers(1, 30))
    m = draw(st.integers(0, 90))
    ends = st.lists(st.integers(0, n - 1), min_size=m, max_size=m)
    w = draw(st.lists(st.one_of(st.sampled_from([0.0, 1.0, 2.5]), st.floats(0.0, 120.0)), min_size=m, max_size=m))
    src = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=12))
    tgt = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=12))
    return n, np.array(draw(ends), dtype=int), np.array(draw(ends), dtype=int), np.array(w), src, tgt


def _coo_graph(n, u, v, w):
    """The matrix csgraph reads: of parallel arcs the fastest (a CSR built from COO would sum them)."""
    best = {}
    for a, b, t in zip(u.tolist(), v.tolist(), w.tolist()):
        best[a, b] = min(t, best.get((a, b), np.inf))
    keys = list(best)
    # explicit zeros stay stored (no eliminate_zeros): csgraph reads them as arcs of 0 minutes
    return sparse.csr_matrix(([best[k] for k in keys], ([k[0] for k in keys], [k[1] for k in keys])), shape=(n, n))


@pytest.mark.parametrize("kernel", ["numba", "python"])
@settings(max_examples=80, deadline=None)
@given(graph=directed_graph())
def test_random_directed_graphs_equal_csgraph(kernel, graph):
    """Many-to-many both ways, and rows to every node both ways."""
    n, u, v, w, src, tgt = graph
    csr = _coo_graph(n, u, v, w)
    ref = dijkstra(csr, directed=True, indices=src)[:, tgt]
    ch = H.build_hierarchy(csr, kernel=kernel)
    got = ch.many_to_many(src, tgt, kernel=kernel)
    assert np.array_equal(np.isinf(got), np.isinf(ref))
    assert np.abs(got[np.isfinite(ref)] - ref[np.isfinite(ref)]).max(initial=0.0) <= 1e-6
    back = ch.many_to_many(tgt, src, kernel=kernel).T  # times towards the sources: the other direction
    ref_back = dijkstra(csr, directed=True, indices=tgt)[:, src].T
    assert np.array_equal(np.isinf(back), np.isinf(ref_back))
    assert np.abs(back[np.isfinite(ref_back)] - ref_back[np.isfinite(ref_back)]).max(initial=0.0) <= 1e-6
    for reverse in (False, True):  # rows to every node: upward search and sweep down the hierarchy
        ref = dijkstra(csr.T if reverse else csr, directed=True, indices=src)
        got = ch.rows(src, reverse=reverse, workers=2, kernel=kernel)
        assert np.array_equal(np.isinf(got), np.isinf(ref))
        assert np.abs(got[np.isfinite(ref)] - ref[np.isfinite(ref)]).max(initial=0.0) <= 1e-6


def test_bad_graphs_and_ids_raise_config_errors():
    with pytest.raises(sp.ConfigError, match="square"):
        H.build_hierarchy(sparse.csr_matrix((2, 3)))
    with pytest.raises(sp.ConfigError, match="negative"):
        H.build_hierarchy(_csr([0], [1], [-1.0], 2))
    ch = H.build_hierarchy(_csr([0], [1], [1.0], 2))
    with pytest.raises(sp.ConfigError, match="node ids"):
        ch.many_to_many([0], [2])
    with pytest.raises(sp.ConfigError, match="kernel"):
        H.kernels("fortran")
    assert ch.many_to_many([], [0, 1]).shape == (0, 2)


def test_saved_hierarchy_loads_by_content_hash(tmp_path, monkeypatch):
    csr = _csr([0, 1, 2], [1, 2, 0], [1.0, 2.0, 3.0], 3)
    first = H.cached_hierarchy(csr, tmp_path)
    files = list(tmp_path.glob("ch-*.npz"))
    assert [f.name for f in files] == [f"ch-{H.csr_key(csr)}.npz"] and H.on_disk(csr, tmp_path)

    def no_build(*a, **k):
        raise AssertionError("rebuilt although saved")

    monkeypatch.setattr(H, "build_hierarchy", no_build)
    again = H.cached_hierarchy(csr, tmp_path)
    for name in H.Hierarchy._FIELDS:
        assert np.array_equal(getattr(first, name), getattr(again, name))
    monkeypatch.undo()
    files[0].write_bytes(b"not a hierarchy")  # a damaged file is rebuilt and replaced
    assert np.array_equal(H.cached_hierarchy(csr, tmp_path).pos, first.pos)
    with pytest.raises(sp.DataFileError):
        H.Hierarchy.load(files[0], key="0" * 32)
    other = _csr([0, 1, 2], [1, 2, 0], [1.0, 2.0, 3.5], 3)
    assert H.csr_key(other) != H.csr_key(csr) and not H.on_disk(other, tmp_path)


def test_network_keeps_one_hierarchy_per_mode_and_saves_it_in_its_cache_dir(henan, tmp_path):
    net = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    net.cache_dir = str(tmp_path)
    assert not net.has_hierarchy("rail")
    ch = net.hierarchy("rail")
    assert net.hierarchy("rail") is ch and net.has_hierarchy("rail") and not net.has_hierarchy("road")
    assert len(list(tmp_path.glob("ch-*.npz"))) == 1
    fresh = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    fresh.cache_dir = str(tmp_path)
    assert fresh.has_hierarchy("rail")  # on disk: auto takes the hierarchy without contracting
    assert resolve_engine(fresh, "auto", mode="rail", n_sources=2) == "ch"


def test_a_changed_network_gets_a_new_key_and_its_own_hierarchy(tmp_path):
    side = 6
    idx = np.arange(side * side).reshape(side, side)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    xy = np.column_stack([idx.ravel() % side, idx.ravel() // side]) * 1000.0 + [500000, 3800000]
    minutes = np.random.default_rng(5).uniform(1.0, 3.0, len(u))
    nets = []
    for extra in (0.0, 50.0):  # the second network: one road 50 minutes slower
        net = network_from_arrays(xy, u, v, minutes + np.r_[extra, np.zeros(len(u) - 1)], two_way=True,
                                  crs="EPSG:4547")
        net.cache_dir = str(tmp_path)
        nets.append(net)
    nets[0].hierarchy("road")
    assert H.csr_key(nets[0].csr("road")) != H.csr_key(nets[1].csr("road"))
    assert not nets[1].has_hierarchy("road")  # the first network's file is not the second's
    nodes = np.arange(side * side)
    got = shortest_times(nets[1], nodes, targets=nodes, engine="ch")
    assert len(list(tmp_path.glob("ch-*.npz"))) == 2
    ref = dijkstra(nets[1].csr("road"), directed=True)
    assert np.abs(got - ref).max() < 1e-9
    assert np.abs(got - shortest_times(nets[0], nodes, targets=nodes, engine="ch")).max() > 0.5


def test_engine_choice():
    xy = np.column_stack([np.arange(4) * 100.0 + 500000, np.full(4, 3800000.0)])
    net = network_from_arrays(xy, np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([1.0, 1.0, 1.0]),
                              two_way=True, crs="EPSG:4547")
    assert resolve_engine(net, "auto", n_sources=CH_MIN_SOURCES) == "dijkstra"  # a tiny graph: not worth it
    assert resolve_engine(net, "ch", n_sources=1) == "ch"
    assert resolve_engine(net, "ch", n_sources=1, many_to_many=False) == "dijkstra"  # rows, limits
    with pytest.raises(sp.ConfigError, match="unknown engine"):
        shortest_times(net, [0], targets=[1], engine="astar")
    assert np.allclose(shortest_times(net, [0, 3], targets=[3, 0], engine="ch"), [[3, 0], [0, 3]])
    assert net.has_hierarchy("road") and resolve_engine(net, "auto", n_sources=1) == "ch"  # built: reuse it
    lim = shortest_times(net, [0], targets=[1, 3], limit=2.0, engine="ch")  # a limit stays on Dijkstra
    assert lim[0, 0] == 1.0 and np.isinf(lim[0, 1])
    assert resolve_engine(net, "auto", many_to_many=False, rows=True) == "ch"  # rows: the sweep, once built
    fresh = network_from_arrays(xy, np.array([0, 1, 2]), np.array([1, 2, 3]), np.ones(3), crs="EPSG:4547")
    assert resolve_engine(fresh, "auto", many_to_many=False, rows=True) == "dijkstra"  # no contraction for rows
    assert resolve_engine(fresh, "ch", many_to_many=False, rows=True) == "ch"
    assert np.array_equal(shortest_times(net, [3, 1], engine="ch"), [[3, 2, 1, 0], [1, 0, 1, 2]])


def test_rows_on_the_henan_rail_mode_and_a_scenario_overlay(henan):
    net = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    src = np.arange(0, net.n_nodes, 997)
    ref = shortest_times(net, src, mode="rail", engine="dijkstra")
    got = shortest_times(net, src, mode="rail", engine="ch")  # one-way boarding arcs: an asymmetric graph
    ok = np.isfinite(ref)
    assert np.array_equal(np.isinf(got), ~ok) and np.abs(got[ok] - ref[ok]).max() < 1e-9
    back = shortest_times(net, src, mode="rail", engine="ch", reverse=True)
    ref = shortest_times(net, src, mode="rail", engine="dijkstra", reverse=True)
    ok = np.isfinite(ref)
    assert np.array_equal(np.isinf(back), ~ok) and np.abs(back[ok] - ref[ok]).max() < 1e-9
    scen = net.with_edges(net.edges.iloc[:0])  # a scenario's copy: its hierarchy overlays the base's
    assert np.array_equal(shortest_times(scen, src[:3], mode="rail", engine="ch"),
                          shortest_times(net, src[:3], mode="rail", engine="dijkstra"))


def test_config_key_is_validated_and_documented(tmp_path):
    assert 'engine = "auto"' in config_template()
    good = tmp_path / "good.toml"
    good.write_text('[accessibility]\nengine = "ch"\n', encoding="utf-8")
    assert load_config(good).accessibility.engine == "ch"
    bad = tmp_path / "bad.toml"
    bad.write_text('[accessibility]\nengine = "fast"\n', encoding="utf-8")
    with pytest.raises(sp.ConfigError, match="fast"):
        load_config(bad)


@pytest.mark.parametrize(("seed", "kernel"), [(s, "numba") for s in range(6)] + [(6, "python"), (7, "python")])
def test_overlay_of_added_arcs_equals_a_new_contraction(seed, kernel):
    rng = np.random.default_rng(seed)
    n, m = 120, 360
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.uniform(1.0, 30.0, m)
    base = _csr(u, v, w, n)  # parallel entries summed, as scipy builds it
    ch = H.build_hierarchy(base, kernel=kernel)
    b = base.tocoo()
    u, v, w = b.row, b.col, b.data
    m = len(w)
    # faster copies of some arcs, new arcs, and two new nodes joined one way in, one way out
    k = rng.integers(0, m, 3)
    au = np.r_[u[k], rng.integers(0, n, 4), rng.integers(0, n), n, n + 1]
    av = np.r_[v[k], rng.integers(0, n, 4), n, n + 1, rng.integers(0, n)]
    aw = np.r_[w[k] / 3, rng.uniform(0.5, 5.0, 4), 0.0, 1.0, 2.0]
    big = H._clean_csr(sparse.coo_matrix((np.r_[w, aw], (np.r_[u, au], np.r_[v, av])), shape=(n + 2, n + 2)))
    ov = H.overlay(ch, base, big)
    assert ov is not None and len(ov.tail) <= 10
    src, tgt = rng.integers(0, n + 2, 30), rng.integers(0, n + 2, 25)
    ref = dijkstra(big, directed=True, indices=src)[:, tgt]
    got = ov.many_to_many(src, tgt, kernel=kernel)
    assert np.array_equal(np.isinf(got), np.isinf(ref))
    assert np.abs(got[np.isfinite(ref)] - ref[np.isfinite(ref)]).max() < 1e-9
    fresh = H.build_hierarchy(big, kernel=kernel).many_to_many(src, tgt, kernel=kernel)  # contracted anew
    assert np.array_equal(np.isinf(got), np.isinf(fresh))
    assert np.abs(got[np.isfinite(fresh)] - fresh[np.isfinite(fresh)]).max() < 1e-9
    slower = base.copy()
    slower.data[0] += 1.0  # an arc made slower: no overlay can be exact
    assert H.overlay(ch, base, slower) is None


def test_scenario_on_the_hierarchy_equals_dijkstra(henan, monkeypatch):
    from spatial_planner.analysis.scenario import ScenarioLink, evaluate_scenario

    links = [ScenarioLink.parse("410102,410311,rail,300"), ScenarioLink.parse("411502,410102,road,120")]
    net = build_network(henan["roads"], henan["rail_lines"], henan["stations"])
    ref = evaluate_scenario(net, links, henan, engine="dijkstra")
    net.hierarchy("rail")  # the base network's hierarchy: the scenario overlays it

    def no_build(*a, **k):
        raise AssertionError("the scenario contracted its network again instead of overlaying the base")

    monkeypatch.setattr(H, "build_hierarchy", no_build)
    got = evaluate_scenario(net, links, henan, engine="ch")
    assert list(got.index) == list(ref.index)
    assert np.allclose(got.filter(like="gravity").to_numpy(float), ref.filter(like="gravity").to_numpy(float),
                       rtol=1e-9, atol=1e-9, equal_nan=True)
    assert (ref["gain_gravity"] > 0).any()


def test_hierarchies_are_saved_next_to_an_osm_source(tmp_path):
    from spatial_planner.config import Config
    from spatial_planner.io.readers import LayerSource
    from spatial_planner.pipeline import _osm_folder

    cfg = Config()
    assert _osm_folder(cfg) is None  # the built-in layers: no folder of the user's to write into
    cfg.layers["roads"] = LayerSource(source=str(tmp_path / "henan-latest.osm.pbf"))
    assert _osm_folder(cfg) == str(tmp_path)
    cfg.layers["roads"] = LayerSource(source=str(tmp_path / "roads.gpkg"))
    assert _osm_folder(cfg) is None
