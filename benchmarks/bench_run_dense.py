"""The whole plan with an OSM-sized road layer: ``spatial_planner.pipeline.run`` end to end.

Run on demand, not in the tests::

    .venv/bin/python benchmarks/bench_run_dense.py                # 250,000-node road grid
    .venv/bin/python benchmarks/bench_run_dense.py --nodes 1000000

The built-in Henan roads join county seats only (442 lines). Planners who load
OSM drive roads bring hundreds of thousands. This adds a seeded road grid
(``benchmarks/synthetic.py``, classes mapped to OSM's motorway / primary /
residential) clipped to the province, to the built-in roads, writes it to a
GeoPackage, and times a full ``run`` into a temporary folder: network,
accessibility, the 点-带-网 analysis, map, GeoPackage, rasters and report.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import road_grid  # noqa: E402

from spatial_planner.config import Config  # noqa: E402
from spatial_planner.io import LayerSource, load_henan  # noqa: E402
from spatial_planner.pipeline import run  # noqa: E402

OSM_CLASS = {"expressway": "motorway", "primary": "primary", "residential": "residential"}


def dense_roads(n_nodes: int) -> gpd.GeoDataFrame:
    """The built-in roads plus a seeded grid of about ``n_nodes`` nodes over the province."""
    henan = load_henan()
    outline = henan["boundary"].to_crs(4547).geometry.iloc[0]
    minx, miny, maxx, maxy = outline.bounds
    spacing = max(maxx - minx, maxy - miny) / np.sqrt(n_nodes)
    xy, u, v, _, _, cls = road_grid(n_nodes, spacing_m=spacing, seed=3)
    xy = xy - xy.min(axis=0) + [minx, miny]
    inside = shapely.contains_xy(outline, xy[:, 0], xy[:, 1])
    keep = inside[u] & inside[v]
    grid = gpd.GeoDataFrame(
        {"road_id": [f"g{i}" for i in range(int(keep.sum()))], "name_zh": "",
         "road_class": pd.Series(cls[keep]).map(OSM_CLASS).to_numpy()},
        geometry=shapely.linestrings(np.stack([xy[u[keep]], xy[v[keep]]], axis=1)), crs=4547).to_crs(4490)
    return pd.concat([henan["roads"], grid], ignore_index=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=250_000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        roads = dense_roads(args.nodes)
        path = Path(tmp) / "roads.gpkg"
        roads.to_file(path, layer="roads", driver="GPKG")
        print(f"road layer: {len(roads):,} lines ({time.perf_counter() - t0:.1f} s to make)", flush=True)
        cfg = Config()
        cfg.layers["roads"] = LayerSource(source=str(path))
        marks: list[tuple[str, float]] = []
        t0 = time.perf_counter()
        result = run(cfg, out_dir=Path(tmp) / "out", overwrite=True,
                     progress=lambda step: marks.append((step, time.perf_counter())))
        t_end = time.perf_counter()
        for k, (step, start) in enumerate(marks):
            end = marks[k + 1][1] if k + 1 < len(marks) else t_end
            print(f"  {end - start:7.1f} s  {step}")
        out = Path(tmp) / "out"
        print(f"whole run: {t_end - t0:.1f} s; map.html {(out / 'map.html').stat().st_size / 1e6:.1f} MB; "
              f"plan.gpkg {(out / 'plan.gpkg').stat().st_size / 1e6:.0f} MB; outputs: {len(result.outputs)}")


if __name__ == "__main__":
    main()
