"""Seeded, road-like synthetic graphs for the benchmarks.

A jittered planar grid: nodes on a ``side × side`` lattice with spacing
``spacing_m`` and random jitter, 4-neighbour edges, and road classes by row and
column (every 50th line an expressway at 120 km/h, every 10th an arterial at
80 km/h, the rest local roads at 40 km/h), with 3 % of local edges removed so
that the grid is not perfectly regular.
"""

from __future__ import annotations

import numpy as np

#: The CRS the grid's metres are in: CGCS2000 / 3-degree Gauss-Krüger CM 114°E, where x = 200 km … lies.
GRID_CRS = "EPSG:4547"


def road_grid(n_nodes: int = 1_000_000, *, spacing_m: float = 600.0, seed: int = 42):
    """Return ``(xy, u, v, minutes, length_m, cls)`` of a connected road-like grid."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_nodes)))
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    xy = np.column_stack([
        200_000.0 + jj.ravel() * spacing_m + rng.uniform(-0.3, 0.3, side * side) * spacing_m,
        3_500_000.0 + ii.ravel() * spacing_m + rng.uniform(-0.3, 0.3, side * side) * spacing_m,
    ])
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    row_line = np.concatenate([ii[:, :-1].ravel(), jj[:-1, :].ravel()])  # the grid line each edge runs along
    speed = np.where(row_line % 50 == 0, 120.0, np.where(row_line % 10 == 0, 80.0, 40.0))
    cls = np.where(speed == 120.0, "expressway", np.where(speed == 80.0, "primary", "residential"))
    drop = (speed == 40.0) & (rng.random(len(u)) < 0.03)
    u, v, speed, cls = u[~drop], v[~drop], speed[~drop], cls[~drop]
    length = np.hypot(*(xy[u] - xy[v]).T)
    minutes = length / (speed * 1000.0 / 60.0)
    return xy, u, v, minutes, length, cls
