"""National-scale measurements for docs/scale.md: a synthetic 5,000,000-node road graph.

    .venv/bin/python benchmarks/bench_scale.py [--nodes 5000000] [--workers 2]

Prints: graph build time and CSR size; time and memory per source for one
Dijkstra (one core); a Dask LocalCluster run of a batch of sources (scatter
cost, per-source time on the cluster, equality with the single-process
result); and the projection of every county seat in China (about 2,850) ×
all nodes on N workers.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import GRID_CRS, road_grid  # noqa: E402

from spatial_planner.analysis.accessibility import shortest_times  # noqa: E402
from spatial_planner.network import network_from_arrays  # noqa: E402

SEATS_CHINA = 2850


def rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=5_000_000)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--sources", type=int, default=16, help="sources run on the Dask cluster")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    xy, u, v, minutes, length, cls = road_grid(args.nodes)
    print(f"graph: {len(xy):,} nodes, {len(u):,} two-way edges, generated in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    net = network_from_arrays(xy, u, v, minutes, length, cls=cls, crs=GRID_CRS)
    csr = net.csr("road")
    t_build = time.perf_counter() - t0
    csr_mb = (csr.data.nbytes + csr.indices.nbytes + csr.indptr.nbytes) / 1e6
    del xy, u, v, minutes, length, cls
    gc.collect()
    print(f"build (arrays → edge table → CSR): {t_build:.1f} s; CSR {csr_mb:.0f} MB; peak RSS so far {rss_gb():.2f} GB")

    rng = np.random.default_rng(11)
    times = []
    for s in rng.choice(net.n_nodes, 5, replace=False):
        t0 = time.perf_counter()
        row = shortest_times(net, [int(s)], workers=1)
        times.append(time.perf_counter() - t0)
    per_source = statistics.median(times)
    row_mb = row.nbytes / 1e6
    print(f"one source → all nodes, one core: median {per_source:.2f} s; result row {row_mb:.0f} MB (float64)")

    from distributed import Client, LocalCluster

    from spatial_planner.analysis.distributed import dask_shortest_times, scatter_graph

    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           memory_limit=None)
    client = Client(cluster)
    try:
        t0 = time.perf_counter()
        fut = scatter_graph(client, csr)
        client.who_has(fut)
        t_scatter = time.perf_counter() - t0
        sources = rng.choice(net.n_nodes, args.sources, replace=False)
        targets = rng.choice(net.n_nodes, 2850, replace=False)
        t0 = time.perf_counter()
        res = dask_shortest_times(net, sources, targets=targets, scheduler=client, batch_size=4)
        t_dask = time.perf_counter() - t0
        local = shortest_times(net, sources[:2], workers=1, targets=targets)
        equal = np.array_equal(res[:2], local)
        # memory a worker holds of its own (USS: not shared with other processes) once it has the graph
        mem = client.run(lambda: __import__("psutil").Process().memory_full_info().uss / 1e9)
    finally:
        client.close()
        cluster.close()
    per_src_cluster = t_dask / args.sources
    print(f"Dask LocalCluster, {args.workers} workers: scatter of the graph {t_scatter:.1f} s; "
          f"{args.sources} sources → 2,850 targets in {t_dask:.1f} s ({per_src_cluster:.2f} s per source on the "
          f"cluster, incl. one scatter per call); equal to single process: {equal}; "
          f"memory held by each worker (USS) {max(mem.values()):.2f} GB")
    print(f"peak RSS of this process: {rss_gb():.2f} GB")
    print("\nprojection: every county seat in China × all nodes (one Dijkstra per seat)")
    print("| workers | wall time | full result (all nodes) | result kept per seat (2,850 seats) |")
    print("|---:|---:|---:|---:|")
    for n in (2, 8, 32, 128):
        wall = SEATS_CHINA * per_source / n
        print(f"| {n} | {wall / 60:.1f} min | {SEATS_CHINA * row_mb / 1e3:.0f} GB | "
              f"{SEATS_CHINA * SEATS_CHINA * 8 / 1e6:.0f} MB |")


if __name__ == "__main__":
    main()
