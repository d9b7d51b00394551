"""Benchmark of the plan's network steps on a road graph of OSM size.

Run on demand, not in the tests::

    .venv/bin/python benchmarks/bench_plan.py                 # 1,000,000 nodes, 157 seats
    .venv/bin/python benchmarks/bench_plan.py --nodes 250000

With real OSM roads a province's network has hundreds of thousands of nodes,
while the plan still works between its 157 county seats. This times, on the
seeded grid of ``benchmarks/synthetic.py`` with 157 random seat nodes:

* seat betweenness (``nodes.betweenness_between``) against networkx's
  ``betweenness_centrality_subset``, extrapolated from a few sources;
* linkage loads and fastest paths of every seat pair (``linkages.edge_loads``);
* the seat-to-seat OD in minutes (``accessibility.shortest_times``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import GRID_CRS, road_grid  # noqa: E402

from spatial_planner.analysis.accessibility import shortest_times  # noqa: E402
from spatial_planner.analysis.linkages import edge_loads  # noqa: E402
from spatial_planner.analysis.nodes import betweenness_between  # noqa: E402
from spatial_planner.network import network_from_arrays  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--seats", type=int, default=157)
    ap.add_argument("--nx-sources", type=int, default=3, help="sources networkx runs before extrapolating")
    args = ap.parse_args(argv)
    xy, u, v, minutes, length, cls = road_grid(args.nodes)
    net = network_from_arrays(xy, u, v, minutes, length, cls=cls, crs=GRID_CRS)
    net.csr("road")
    rng = np.random.default_rng(1)
    nodes = rng.choice(net.n_nodes, args.seats, replace=False)
    seat_nodes = {str(i): int(n) for i, n in enumerate(nodes)}
    print(f"grid: {net.n_nodes:,} nodes; {args.seats} seats", flush=True)

    t0 = time.perf_counter()
    shortest_times(net, nodes, targets=nodes)
    print(f"seat-to-seat OD, minutes (2 workers)        {time.perf_counter() - t0:8.1f} s", flush=True)

    t0 = time.perf_counter()
    ours = betweenness_between(net, seat_nodes)
    t_ours = time.perf_counter() - t0
    print(f"seat betweenness, spatial_planner           {t_ours:8.1f} s", flush=True)

    ids = list(seat_nodes)
    w = rng.random((len(ids), len(ids)))
    t0 = time.perf_counter()
    load, paths = edge_loads(net, pd.Series(seat_nodes), pd.DataFrame(w + w.T, index=ids, columns=ids))
    print(f"edge loads and paths of {len(paths):,} pairs          {time.perf_counter() - t0:8.1f} s "
          f"({sum(map(len, paths.values())):,} path edges)", flush=True)

    import networkx as nx

    coo = net.csr("road").tocoo()
    g = nx.DiGraph()
    g.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    few = sorted(nodes.tolist())[: args.nx_sources]
    t0 = time.perf_counter()
    part = nx.betweenness_centrality_subset(g, sources=few, targets=nodes.tolist(), weight="weight", normalized=False)
    t_nx = (time.perf_counter() - t0) * len(nodes) / len(few)
    print(f"seat betweenness, networkx (extrapolated from {len(few)} sources) {t_nx:8.1f} s  "
          f"→ spatial_planner {t_nx / t_ours:.0f}× faster", flush=True)
    # the same sources through our walk agree with networkx
    from scipy.sparse.csgraph import dijkstra

    from spatial_planner.analysis.nodes import paths_through

    _, pred = dijkstra(net.csr("road"), directed=True, indices=few, return_predecessors=True)
    mine = sum(paths_through(pred[k], s, nodes) for k, s in enumerate(few))
    err = max(abs(mine[k] - part.get(k, 0.0)) for k in range(net.n_nodes))
    print(f"max |ours − networkx| on those sources: {err:.1e}; seats with betweenness > 0: {(ours > 0).sum()}")


if __name__ == "__main__":
    main()
