"""Benchmark of the contraction-hierarchy engine against csgraph, networkx, pandana and pyroutingkit.

Run on demand, not in the tests::

    .venv/bin/python benchmarks/bench_ch.py                       # the 1M grid and China's highways
    .venv/bin/python benchmarks/bench_ch.py --graph grid --nodes 250000 --quick
    .venv/bin/python benchmarks/bench_ch.py --graph china --wheel path/to/scgraph_data-2.0.0-py3-none-any.whl

Two graphs: the seeded 1,000,000-node road grid of ``benchmarks/synthetic.py``,
and China's highway graph from the ``scgraph-data`` wheel (``scgraph_china.py``;
``--wheel`` names the file, else ``pip download --no-deps scgraph-data==2.0.0``
fetches it into a temporary folder), at 80 km/h on every edge.

For each graph, in one run: preprocessing (the CSR matrix for csgraph; the
contraction for the hierarchy, with the process's peak memory after it); one
source to every node; a 160 × 160 OD; a 2,000 × 2,000 OD among one set of
places (csgraph then searches each pair once). The hierarchy's ODs are
checked against csgraph's (largest difference in minutes). networkx answers
one-to-all and, on 4 sources, a 160 × 160 (scaled by 40). pandana and
pyroutingkit (``pip install -e '.[bench]'``) run when installed, in one
process each; their weights are integers (pandana × 1000 internally,
pyroutingkit in milliseconds here). Ratios are against the times of the same
run.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scgraph_china import china_highways  # noqa: E402
from synthetic import GRID_CRS, road_grid  # noqa: E402

from spatial_planner.analysis.accessibility import shortest_times  # noqa: E402
from spatial_planner.network import build_hierarchy, network_from_arrays  # noqa: E402

KMH = 80.0  # one speed for the highway graph, which has no road classes


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def clock(fn, what: str = ""):
    """Seconds and result of ``fn()``; printed as it comes when ``what`` names it (a long run shows progress)."""
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    t = time.perf_counter() - t0
    if what:
        print(f"  {what}: {t:.3f} s", flush=True)
    return t, out


def load(graph: str, args):
    """``(label, net)`` of a benchmark graph."""
    if graph == "grid":
        xy, u, v, minutes, length, cls = road_grid(args.nodes)
        return f"synthetic grid {len(xy):,} nodes", network_from_arrays(xy, u, v, minutes, length, cls=cls,
                                                                         crs=GRID_CRS)
    wheel = args.wheel
    if wheel is None:
        folder = tempfile.mkdtemp()
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", folder,
                        "scgraph-data==2.0.0"], check=True)
        wheel = next(Path(folder).glob("scgraph_data-*.whl"))
    from pyproj import Transformer

    lonlat, u, v, km = china_highways(wheel)
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(lonlat[:, 0], lonlat[:, 1])
    minutes = km / KMH * 60.0
    net = network_from_arrays(np.column_stack([x, y]), u, v, minutes, km * 1000.0, crs="EPSG:3857")
    return f"China highways {len(lonlat):,} nodes, {len(u):,} edges", net


def fmt(t: float | None) -> str:
    return "—" if t is None else f"{t:9.3f} s"


def ratio(base: float | None, ours: float | None) -> str:
    return "" if base is None or ours is None else f"{base / ours:8.1f}×"


def others(net, src160, src2k, quick: bool) -> dict:
    """pandana and pyroutingkit, when installed: {name: (build, 160x160, 2000x2000, max diff vs csgraph OD)}."""
    out = {}
    coo = net.csr("road").tocoo()
    n = net.n_nodes
    try:
        import pandana
        import pandas as pd
    except ImportError:
        pandana = None
    if pandana is not None:
        t_build, pn = clock(lambda: pandana.Network(net.node_xy[:, 0], net.node_xy[:, 1], pd.Series(coo.row),
                                                    pd.Series(coo.col), pd.DataFrame({"w": coo.data}),
                                                    twoway=False), "pandana contraction")

        def od(s):
            a, b = np.repeat(s, len(s)), np.tile(s, len(s))
            return np.asarray(pn.shortest_path_lengths(a, b, imp_name="w"), float).reshape(len(s), len(s))

        t160, o160 = clock(lambda: od(src160), "pandana 160×160")
        t2k = None if quick else clock(lambda: od(src2k), "pandana 2,000×2,000")[0]
        out["pandana (CH, pair by pair)"] = (t_build, t160, t2k, o160)
        del pn
    try:
        import pyroutingkit
    except ImportError:
        pyroutingkit = None
    if pyroutingkit is not None:
        lat = net.node_xy[:, 1].astype(np.float32)
        lon = net.node_xy[:, 0].astype(np.float32)
        order = np.lexsort((coo.col, coo.row))
        tail, head = coo.row[order].astype(np.uint32), coo.col[order].astype(np.uint32)
        ms = np.maximum(np.round(coo.data[order] * 60_000.0), 0).astype(np.uint32)
        cch = pyroutingkit.CCH()

        def build():
            cch.build_topology(tail, head, lat, lon, n)
            cch.customize_weights(ms)

        t_build, _ = clock(build, "pyroutingkit topology and customisation")

        def od(s):
            d = np.asarray(cch.distances_many_to_many(s.astype(np.uint32), s.astype(np.uint32)), float)
            return np.where(d >= pyroutingkit.INF_WEIGHT, np.inf, d / 60_000.0)

        t160, o160 = clock(lambda: od(src160), "pyroutingkit 160×160")
        t2k = None if quick else clock(lambda: od(src2k), "pyroutingkit 2,000×2,000")[0]
        out["pyroutingkit (CCH)"] = (t_build, t160, t2k, o160)
        del cch
    return out


def bench(graph: str, args) -> None:
    label, net = load(graph, args)
    n = net.n_nodes
    w = args.workers
    print(f"\n## {label}; {w} workers", flush=True)
    t_csr, _ = clock(lambda: (net.csr("road"), net.csr_ordered("road"), net.is_symmetric("road")), "csgraph CSR")
    build_hierarchy(net.csr("road")[:50, :50])  # compile or load the kernels outside the timing
    t_ch, ch = clock(lambda: net.hierarchy("road"), "contraction")
    peak = peak_gb()
    print(f"  peak memory so far: {peak:.2f} GB", flush=True)
    rng = np.random.default_rng(7)
    src1 = int(rng.integers(n))
    src2k = rng.choice(n, 2000, replace=False)
    src160 = src2k[:160]
    t_one, _ = clock(lambda: shortest_times(net, [src1], workers=1), "csgraph one-to-all")
    t_nx_one = t_nx160 = None
    if not args.no_networkx:
        import networkx as nx

        coo = net.csr("road").tocoo()
        g = nx.DiGraph()
        g.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
        t_nx_one, _ = clock(lambda: nx.single_source_dijkstra_path_length(g, src1), "networkx one-to-all")
        t4, _ = clock(lambda: [nx.single_source_dijkstra_path_length(g, int(s)) for s in src160[:4]],
                      "networkx 4 sources")
        t_nx160 = t4 * 40
        del g
    t_dj160, dj160 = clock(lambda: shortest_times(net, src160, targets=src160, workers=w, engine="dijkstra"),
                           "csgraph 160×160")
    t_ch160, ch160 = clock(lambda: shortest_times(net, src160, targets=src160, workers=w, engine="ch"),
                           "hierarchy 160×160")
    t_ch2k, ch2k = clock(lambda: shortest_times(net, src2k, targets=src2k, workers=w, engine="ch"),
                         "hierarchy 2,000×2,000")
    diff = float(np.abs(ch160 - dj160)[np.isfinite(dj160)].max())
    t_dj2k = None
    if not args.quick:
        t_dj2k, dj2k = clock(lambda: shortest_times(net, src2k, targets=src2k, workers=w, engine="dijkstra"),
                             "csgraph 2,000×2,000")
        diff = max(diff, float(np.abs(ch2k - dj2k)[np.isfinite(dj2k)].max()))
        assert np.array_equal(np.isinf(ch2k), np.isinf(dj2k))
    rest = {} if args.no_others else others(net, src160, src2k, args.quick)
    print(f"hierarchy: {ch.n_arcs:,} arcs (graph {net.csr('road').nnz:,}); largest |CH − csgraph| "
          f"{diff:.2e} min", flush=True)
    print("| engine | preprocessing | one-to-all | 160×160 | 2,000×2,000 | hierarchy faster, 160 | "
          "hierarchy faster, 2,000 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| csgraph ({w} processes) | {fmt(t_csr)} | {fmt(t_one)} | {fmt(t_dj160)} | {fmt(t_dj2k)} | "
          f"{ratio(t_dj160, t_ch160)} | {ratio(t_dj2k, t_ch2k)} |")
    if t_nx_one is not None:
        print(f"| networkx (160×160: 4 sources × 40) | — | {fmt(t_nx_one)} | ≈{fmt(t_nx160)} | — | "
              f"{ratio(t_nx160, t_ch160)} | |")
    for name, (tb, t160, t2k, o160) in rest.items():
        d = np.abs(o160 - dj160)[np.isfinite(dj160)].max()
        print(f"| {name}, max diff {d:.1e} min | {fmt(tb)} | — | {fmt(t160)} | {fmt(t2k)} | "
              f"{ratio(t160, t_ch160)} | {ratio(t2k, t_ch2k)} |")
    print(f"| **hierarchy ({w} threads)**, peak {peak:.2f} GB | {fmt(t_ch)} | (csgraph) | "
          f"{fmt(t_ch160)} | {fmt(t_ch2k)} | 1.0× | 1.0× |", flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--graph", choices=("grid", "china", "both"), default="both")
    ap.add_argument("--nodes", type=int, default=1_000_000, help="grid size")
    ap.add_argument("--wheel", help="scgraph_data-2.0.0-py3-none-any.whl (downloaded when omitted)")
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--quick", action="store_true", help="skip the 2,000 × 2,000 ODs of csgraph and the others")
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--no-others", action="store_true", help="skip pandana and pyroutingkit")
    args = ap.parse_args(argv)
    for graph in (("china", "grid") if args.graph == "both" else (args.graph,)):
        bench(graph, args)


if __name__ == "__main__":
    main()
