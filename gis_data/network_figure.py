"""Draw the built-in network as it is and as it was at an earlier commit, side by side.

    python gis_data/network_figure.py --before <commit> --out docs/network_before_after.png

Each panel shows the province, the expressways, the rail lines by class (dashed where a line is drawn
straight for want of track data) and the stations. The earlier layers are read from git
(``git show <commit>:gis_data/henan/<layer>.geojson``), so the figure needs a clone with history.
"""

from __future__ import annotations

import argparse
import io
import subprocess
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LAYERS = ("boundary", "counties", "rail_lines", "stations", "roads")
METRIC = "EPSG:4547"
RAIL = {"hsr": ("#c0392b", 1.6), "intercity": ("#e67e22", 1.2), "conventional": ("#34495e", 1.0),
        "freight": ("#7f8c8d", 0.9)}
RAIL_ZH = {"hsr": "高速铁路", "intercity": "城际铁路", "conventional": "普速铁路", "freight": "货运铁路"}


def _layers_at(commit: str | None) -> dict[str, gpd.GeoDataFrame]:
    out = {}
    for name in LAYERS:
        path = f"gis_data/henan/{name}.geojson"
        if commit is None:
            gdf = gpd.read_file(ROOT / path)
        else:
            text = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:{path}"], check=True,
                                  capture_output=True).stdout
            gdf = gpd.read_file(io.BytesIO(text))
        out[name] = gdf.to_crs(METRIC)
    return out


def _panel(ax, layers: dict[str, gpd.GeoDataFrame], title: str) -> None:
    layers["counties"].boundary.plot(ax=ax, color="#cccccc", linewidth=0.3)
    layers["boundary"].boundary.plot(ax=ax, color="#333333", linewidth=0.9)
    roads = layers["roads"]
    fast = roads[roads["road_class"].isin(["expressway", "provincial_expressway"])]
    fast.plot(ax=ax, color="#27ae60", linewidth=0.7, alpha=0.8)
    rail = layers["rail_lines"]
    straight = rail.get("geometry_quality", "").astype(str).eq("schematic") if len(rail) else []
    for cls, (colour, width) in RAIL.items():
        part = rail[rail["rail_class"] == cls]
        if len(part):
            if (~straight[part.index]).any():
                part[~straight[part.index]].plot(ax=ax, color=colour, linewidth=width)
            if straight[part.index].any():
                part[straight[part.index]].plot(ax=ax, color=colour, linewidth=width, linestyle=(0, (3, 2)))
    st = layers["stations"]
    ax.scatter(st.geometry.x, st.geometry.y, s=5, color="#111111", zorder=5)
    ax.set_title(title, fontsize=11)
    ax.set_axis_off()
    minx, miny, maxx, maxy = layers["boundary"].total_bounds
    ax.set_xlim(minx - 60_000, maxx + 60_000)
    ax.set_ylim(miny - 60_000, maxy + 60_000)
    ax.set_aspect("equal")


def main(argv: list[str] | None = None) -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--before", required=True, help="commit whose built-in layers are the 'before' panel")
    args.add_argument("--out", type=Path, default=ROOT / "docs" / "network_before_after.png")
    a = args.parse_args(argv)
    for family in ("Noto Sans CJK SC", "WenQuanYi Zen Hei", "SimHei"):
        if any(family == f.name for f in matplotlib.font_manager.fontManager.ttflist):
            plt.rcParams["font.family"] = family
            break
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.6), dpi=110)
    _panel(axes[0], _layers_at(a.before), f"修改前 Before ({a.before[:7]}): 县城之间的直线")
    _panel(axes[1], _layers_at(None), "修改后 After: 沿 OSM 轨道与高速公路, 车站实际位置")
    handles = [Line2D([], [], color=c, linewidth=w * 1.5, label=f"{RAIL_ZH[k]} {k}") for k, (c, w) in RAIL.items()]
    handles += [Line2D([], [], color="#c0392b", linestyle=(0, (3, 2)), label="示意 (缺轨道数据) schematic"),
                Line2D([], [], color="#27ae60", label="高速公路 expressway"),
                Line2D([], [], marker="o", color="#111111", linestyle="", markersize=3, label="车站 station")]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.text(0.99, 0.01, "© OpenStreetMap contributors (after: track and roads via scgraph-data 2.0.0)",
             ha="right", fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.07, 1, 0.96))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = a.out.with_suffix(".tmp.png")
    fig.savefig(tmp)
    tmp.replace(a.out)
    print(a.out)


if __name__ == "__main__":
    main()
