"""Benchmark of the accessibility engine against networkx (and igraph, when installed).

Run on demand, not in the tests::

    .venv/bin/python benchmarks/bench_network.py            # 1,000,000 nodes
    .venv/bin/python benchmarks/bench_network.py --nodes 250000 --quick

It builds a seeded road-like graph (benchmarks/synthetic.py) and times, in one
run: graph build; one source to all nodes; 160 sources to all nodes; a 160 × 160
OD; a 2,000 × 2,000 OD among one set of places (each pair searched once on the
two-way grid) and from 2,000 origins to 2,000 other destinations (every search
to its last target); cumulative accessibility of every node (the mass of
2,000 opportunities within 60 minutes); and a 1 km raster of a 600 × 560 km
area. It prints medians and the ratios against the baselines measured in the
same run, and the peak memory. The ODs run on the Dijkstra engine
(``engine="dijkstra"``); ``bench_ch.py`` compares the contraction hierarchy.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import GRID_CRS, road_grid  # noqa: E402

from spatial_planner.analysis.accessibility import shortest_times, travel_time_surface  # noqa: E402
from spatial_planner.network import network_from_arrays  # noqa: E402


def timed(fn, repeat: int = 3):
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def peak_gb() -> float:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(self_kb, child_kb) / 1024 / 1024


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--quick", action="store_true", help="skip the 2,000 × 2,000 OD and the networkx multi-source runs")
    ap.add_argument("--no-networkx", action="store_true")
    args = ap.parse_args(argv)
    rows = []

    def report(name, ours, base=None, base_name=""):
        ratio = f"{base / ours:8.1f}× vs {base_name}" if base else ""
        rows.append((name, ours, ratio))
        print(f"{name:44s} {ours:9.3f} s  {ratio}", flush=True)

    t0 = time.perf_counter()
    xy, u, v, minutes, length, cls = road_grid(args.nodes)
    print(f"synthetic grid: {len(xy):,} nodes, {len(u):,} two-way edges ({time.perf_counter() - t0:.1f} s to generate);"
          f" {args.workers} workers", flush=True)

    def build():
        net = network_from_arrays(xy, u, v, minutes, length, cls=cls, crs=GRID_CRS)
        net.csr("road")
        return net

    t_build, net = timed(build, repeat=3)
    csr = net.csr("road")
    rng = np.random.default_rng(7)
    n = net.n_nodes
    src1 = int(rng.integers(n))
    from scipy.sparse.csgraph import dijkstra

    ordered, inv = net.csr_ordered("road"), net.node_order()[1]
    t_raw, _ = timed(lambda: dijkstra(csr, directed=True, indices=src1), repeat=5)

    shuffle = np.random.default_rng(9).permutation(n)  # node ids in no spatial order, as from a file
    coo = csr.tocoo()
    scrambled = sparse.csr_matrix((coo.data, (shuffle[coo.row], shuffle[coo.col])), shape=csr.shape)

    def paired(sources):
        """Median per-source times on the row-major, Hilbert and random numberings, interleaved."""
        times = {"row": [], "hilbert": [], "random": []}
        for s in sources:
            times["row"].append(timed(lambda: dijkstra(csr, directed=True, indices=int(s)), repeat=1)[0])
            times["hilbert"].append(timed(lambda: dijkstra(ordered, directed=True, indices=int(inv[s])), repeat=1)[0])
            times["random"].append(timed(lambda: dijkstra(scrambled, directed=True, indices=int(shuffle[s])),
                                         repeat=1)[0])
        return {k: float(np.median(v)) for k, v in times.items()}

    numbering = paired(np.random.default_rng(8).choice(n, 8, replace=False))
    del scrambled, coo
    t_one, ours_one = timed(lambda: shortest_times(net, [src1], workers=1), repeat=5)
    report("one-to-all, bare csgraph (same matrix)", t_raw)
    report("one-to-all, spatial_planner", t_one, t_raw, "bare csgraph")
    report("one-to-all, bare csgraph, row-major (median of 8 sources)", numbering["row"])
    report("one-to-all, bare csgraph, Hilbert-renumbered (same 8)", numbering["hilbert"], numbering["row"],
           "row-major")
    report("one-to-all, bare csgraph, random numbering (same 8)", numbering["random"], numbering["row"],
           "row-major")
    src160 = rng.choice(n, 160, replace=False)
    t160, _ = timed(lambda: shortest_times(net, src160, workers=args.workers), repeat=1)
    report(f"160 sources × all nodes ({args.workers} workers)", t160)
    t160od, _ = timed(lambda: shortest_times(net, src160, workers=args.workers, targets=src160, engine="dijkstra"),
                       repeat=1)
    report(f"160 × 160 OD ({args.workers} workers)", t160od)
    if not args.quick:
        src2k = rng.choice(n, 2000, replace=False)
        t2k, _ = timed(lambda: shortest_times(net, src2k, workers=args.workers, targets=src2k, engine="dijkstra"),
                       repeat=1)
        report(f"2,000 × 2,000 OD, one set ({args.workers} workers)", t2k)
        dst2k = rng.choice(n, 2000, replace=False)
        t2kd, _ = timed(lambda: shortest_times(net, src2k, workers=args.workers, targets=dst2k, engine="dijkstra"),
                        repeat=1)
        report(f"2,000 → 2,000 OD, two sets ({args.workers} workers)", t2kd)
    # cumulative accessibility: mass of 2,000 opportunities within 60 min, for every node
    opp = rng.choice(n, 2000, replace=False)
    mass = rng.uniform(1, 100, 2000)

    def cumulative():
        acc = np.zeros(n)
        for i in range(0, len(opp), 160):
            block = shortest_times(net, opp[i:i + 160], workers=args.workers, limit=60.0, reverse=True)
            acc += (np.isfinite(block) * mass[i:i + 160, None]).sum(axis=0)
        return acc

    t_cum, _ = timed(cumulative, repeat=1)
    report("cumulative accessibility, every node (60 min)", t_cum)
    # a 1 km raster of a 600 × 560 km area
    import geopandas as gpd
    import shapely

    from spatial_planner.network import NetworkParams

    minx, miny = xy.min(axis=0)
    area_m = shapely.box(minx, miny, minx + 600_000, miny + 560_000)
    area = gpd.GeoSeries([area_m], crs=net.crs).to_crs(4490).iloc[0]
    targets = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[opp[:5], 0], xy[opp[:5], 1]), crs=net.crs).to_crs(4490)
    net.params = NetworkParams()
    t_ras, (arr, _, _) = timed(lambda: travel_time_surface(net, targets, area, resolution=1000), repeat=1)
    report(f"1 km raster, 600 × 560 km ({arr.shape[1]}×{arr.shape[0]} cells)", t_ras)
    ours_peak = peak_gb()
    print(f"peak memory of the engine so far: {ours_peak:.2f} GB", flush=True)

    try:
        import igraph as ig
    except ImportError:
        ig = None
    if ig is not None:
        t_ig_build, g = timed(lambda: ig.Graph(n=n, edges=np.column_stack([u, v]).tolist(), directed=False,
                                               edge_attrs={"w": minutes}), repeat=1)
        report("graph build, igraph", t_ig_build)
        t_ig_one, _ = timed(lambda: g.distances(source=[src1], weights="w"), repeat=3)
        report("one-to-all, igraph", t_ig_one)
    if not args.no_networkx:
        import networkx as nx

        def nx_build():
            g = nx.Graph()
            g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), minutes.tolist()))
            return g

        t_nx_build, g = timed(nx_build, repeat=1)
        report("graph build, networkx", t_nx_build)
        report("graph build, spatial_planner (arrays → CSR)", t_build, t_nx_build, "networkx")
        t_nx_one, ref = timed(lambda: nx.single_source_dijkstra_path_length(g, src1), repeat=1)
        report("one-to-all, networkx", t_nx_one)
        report("one-to-all, spatial_planner", t_one, t_nx_one, "networkx")
        sample = rng.choice(list(ref), 2000, replace=False)
        err = max(abs(ours_one[0, s] - ref[s]) for s in sample)
        print(f"max |ours − networkx| over 2,000 nodes: {err:.2e} min")
        if not args.quick:
            t_nx_160, _ = timed(lambda: [nx.single_source_dijkstra_path_length(g, int(s)) for s in src160[:8]],
                                repeat=1)
            report("160 × all nodes, networkx (extrapolated from 8)", t_nx_160 * 20)
            report(f"160 × all nodes, spatial_planner ({args.workers} workers)", t160, t_nx_160 * 20, "networkx")
    else:
        report("graph build, spatial_planner (arrays → CSR)", t_build)
    print(f"peak memory, engine: {ours_peak:.2f} GB; whole run incl. baselines: {peak_gb():.2f} GB")
    print("\n| step | seconds | ratio |\n|---|---:|---|")
    for name, secs, ratio in rows:
        print(f"| {name} | {secs:.3f} | {ratio.strip()} |")


if __name__ == "__main__":
    main()
