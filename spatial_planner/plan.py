"""The plan run: load → validate → network → accessibility → analysis → map and exports.

:func:`run` is what ``spatial-planner run`` calls. Each step reports progress
through a callback, so the CLI can show it and notebooks can stay quiet.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ._errors import OutputExistsError
from .accessibility import isochrones, times_to_nearest, travel_time_surface, zonal_stats
from .config import Config
from .export import write_csv, write_geopackage, write_geotiff, write_html
from .io import DataWarning, load_layers, read_sectors
from .maps import add_choropleths, add_isochrones, add_raster, build_map, label, render_html
from .network import Network, build_network
from .places import find_place, select_targets
from .validate import validate_layers

__all__ = ["RunResult", "AccessResult", "run", "accessibility_step", "load_network", "OUTPUT_FILES", "HUB_LABELS"]

#: Files every run writes into its output folder (rasters add ``time_to_<kind>.tif``).
OUTPUT_FILES = ("map.html", "plan.gpkg", "county_access.csv")

#: zh / en names of hub kinds in column labels.
HUB_LABELS = {
    "airport": ("机场", "airport"),
    "hsr": ("高铁站", "HSR station"),
    "rail_freight": ("铁路货运枢纽", "rail freight hub"),
    "rail-freight": ("铁路货运枢纽", "rail freight hub"),
    "river_port": ("内河港口", "river port"),
    "port": ("内河港口", "river port"),
    "china_europe_train": ("中欧班列集结中心", "China–Europe train hub"),
    "logistics_hub": ("物流枢纽", "logistics hub"),
    "freight_terminal": ("铁路货运站", "rail freight terminal"),
}


@dataclass
class AccessResult:
    """Outputs of the accessibility step."""

    network: Network
    county_access: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    rasters: dict[str, tuple[np.ndarray, object, object]]
    indicators: dict[str, tuple[str, str]]


@dataclass
class RunResult:
    """What a run produced."""

    out_dir: Path
    outputs: dict[str, Path]
    layers: dict[str, gpd.GeoDataFrame]
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    access: AccessResult | None = None


def _noop(step: str) -> None:
    return None


def load_network(cfg: Config | None = None) -> tuple[dict[str, gpd.GeoDataFrame], Network]:
    """Load and validate a config's layers and build its network (what ``od``, ``isochrones`` and ``access`` use)."""
    cfg = cfg or Config()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        layers = validate_layers(load_layers(cfg)).layers
    net = build_network(layers["roads"], layers.get("rail_lines"), layers.get("stations"), params=cfg.network)
    return layers, net


def accessibility_step(layers: dict[str, gpd.GeoDataFrame], cfg: Config) -> AccessResult:
    """Build the network and compute hub times per county, isochrones and travel-time rasters.

    County hub times are the network minutes from each county seat to the
    nearest hub of each kind (``min_to_<kind>``); raster zonal statistics add
    the mean and median over the county's area (``mean_to_<kind>``,
    ``median_to_<kind>``).
    """
    acc = cfg.accessibility
    net = build_network(layers["roads"], layers.get("rail_lines"), layers.get("stations"), params=cfg.network)
    seats = layers["seats"].set_index("adcode")
    counties = layers["counties"].copy()
    seat_pts = gpd.GeoDataFrame({"adcode": counties["adcode"]},
                                geometry=seats.geometry.reindex(counties["adcode"]).values, crs=seats.crs)
    att = net.attach(seat_pts)
    indicators: dict[str, tuple[str, str]] = {}
    for kind in acc.hub_types:
        targets = select_targets(layers, kind)
        t = times_to_nearest(net, targets, mode="road")
        col = f"min_to_{kind.replace('-', '_')}"
        counties[col] = np.round(t[att["node"].to_numpy()] + att["access_min"].to_numpy(), 2)
        zh, en = HUB_LABELS.get(kind, (kind, kind))
        indicators[col] = (f"县城到最近{zh}(分钟)", f"Seat to nearest {en} (min)")
    rasters = {}
    area = layers["boundary"].geometry.union_all() if "boundary" in layers else layers["counties"].union_all()
    for kind in acc.raster_to:
        targets = select_targets(layers, kind)
        arr, transform, crs = travel_time_surface(net, targets, area, resolution=acc.resolution_m)
        key = kind.replace("-", "_")
        rasters[key] = (arr, transform, crs)
        z = zonal_stats(arr, transform, crs, counties, id_col="adcode")
        counties[f"mean_to_{key}"] = np.round(z["mean"].to_numpy(), 2)
        counties[f"median_to_{key}"] = np.round(z["median"].to_numpy(), 2)
        zh, en = HUB_LABELS.get(kind, (kind, kind))
        indicators[f"mean_to_{key}"] = (f"县域平均到{zh}时间(分钟)", f"County mean time to {en} (min)")
    bands = []
    for hub in acc.isochrone_hubs:
        place = find_place(layers, hub)
        iso = isochrones(net, place.iloc[:1], acc.isochrone_minutes, study_area=area)
        iso.insert(0, "hub_id", place["id"].iloc[0])
        iso.insert(1, "hub_name", place["name"].iloc[0])
        bands.append(iso)
    iso_all = (pd.concat(bands, ignore_index=True) if bands else
               gpd.GeoDataFrame(columns=["hub_id", "hub_name", "minutes", "from_minutes", "area_km2", "geometry"],
                                geometry="geometry", crs="EPSG:4490"))
    iso_all = gpd.GeoDataFrame(iso_all, geometry="geometry", crs="EPSG:4490")
    return AccessResult(network=net, county_access=counties, isochrones=iso_all, rasters=rasters,
                        indicators=indicators)


def run(
    config: Config | None = None,
    *,
    out_dir: str | Path | None = None,
    overwrite: bool | None = None,
    progress: Callable[[str], None] = _noop,
) -> RunResult:
    """Run the plan for a config (the built-in Henan data by default).

    Parameters
    ----------
    config
        Run configuration; ``None`` gives the defaults.
    out_dir
        Output folder; defaults to ``config.output.dir``.
    overwrite
        Replace existing outputs; defaults to ``config.output.overwrite``.
    progress
        Called with a short zh/en description at the start of each step.

    Returns
    -------
    RunResult
    """
    cfg = config or Config()
    out = Path(out_dir or cfg.output.dir)
    overwrite = cfg.output.overwrite if overwrite is None else overwrite
    targets = {name: out / name for name in OUTPUT_FILES}
    for kind in cfg.accessibility.raster_to:
        key = kind.replace("-", "_")
        targets[f"time_to_{key}.tif"] = out / f"time_to_{key}.tif"
    if not overwrite:
        existing = [str(p) for p in targets.values() if p.exists()]
        if existing:
            raise OutputExistsError(f"outputs exist: {', '.join(existing)}", layer=str(out),
                                    fix="pass --overwrite, or choose another --out folder.")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", DataWarning)
        progress("读取图层 Loading layers")
        layers = load_layers(cfg)
        progress("校验图层 Validating layers")
        layers = validate_layers(layers).layers
    caught = [str(w.message) for w in record if issubclass(w.category, DataWarning)]
    for w in record:
        if not issubclass(w.category, DataWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)

    progress("构建路网并计算可达性 Network and accessibility")
    access = accessibility_step(layers, cfg)

    progress("绘制地图 Drawing the map")
    lang = cfg.map.language
    title = f"{cfg.study_area.name_zh} 先进制造业集群 点-带-网 布局" if lang == "zh" else (
        f"{cfg.study_area.name_en}: advanced-manufacturing clusters — nodes, belts, network")
    fmap = build_map(layers, config=cfg.map, sectors=read_sectors(), title=title)
    gcj = cfg.map.basemap == "gaode"
    from .maps import prepare_for_web

    zones = prepare_for_web(access.county_access, precision=cfg.map.precision, simplify_m=cfg.map.simplify_m,
                            coverage=True, gcj02=gcj)
    add_choropleths(fmap, zones, access.indicators, language=lang)
    if len(access.isochrones):
        add_isochrones(fmap, access.isochrones, language=lang, precision=cfg.map.precision, gcj02=gcj)
    for key, (arr, transform, crs) in access.rasters.items():
        zh, en = HUB_LABELS.get(key, (key, key))
        add_raster(fmap, arr, transform, crs, name=f"到最近{zh}时间(栅格)" if lang == "zh" else f"Time to {en} (raster)",
                   language=lang, gcj02=gcj)
    _reorder_layer_control(fmap)

    progress("写出文件 Writing outputs")
    out.mkdir(parents=True, exist_ok=True)
    edges = access.network.edges_gdf().to_crs("EPSG:4490")
    gpkg_layers = dict(layers)
    gpkg_layers["county_access"] = access.county_access
    gpkg_layers["isochrones"] = access.isochrones
    gpkg_layers["network_edges"] = edges[edges["layer"].isin(["road", "rail"]) & ~edges["reverse"]].drop(
        columns="reverse").reset_index(drop=True)
    write_geopackage(gpkg_layers, targets["plan.gpkg"], overwrite=overwrite)
    table = access.county_access.drop(columns="geometry")
    write_csv(pd.DataFrame(table), targets["county_access.csv"], overwrite=overwrite)
    for key, (arr, transform, crs) in access.rasters.items():
        write_geotiff(arr, transform, crs, targets[f"time_to_{key}.tif"], overwrite=overwrite,
                      description=f"minutes to nearest {key}")
    write_html(render_html(fmap, assets=cfg.map.assets), targets["map.html"], overwrite=overwrite)
    counts = {k: int(len(v)) for k, v in gpkg_layers.items()}
    return RunResult(out_dir=out, outputs=targets, layers=gpkg_layers, counts=counts, warnings=caught, access=access)


def _reorder_layer_control(fmap) -> None:
    """Move the layer control to the end so that it lists every overlay added after the base map."""
    from folium import LayerControl

    controls = [k for k, v in fmap._children.items() if isinstance(v, LayerControl)]
    for k in controls:
        fmap._children.move_to_end(k)
    legends = [k for k, v in fmap._children.items() if type(v).__name__ in ("Legend", "IndicatorSwitch")]
    for k in legends:
        fmap._children.move_to_end(k)
