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
from .network import Network, build_network, far_from_network
from .places import HUB_LABELS, find_place, select_targets
from .validate import study_area_of, validate_layers

__all__ = ["RunResult", "AccessResult", "run", "accessibility_step", "load_network", "OUTPUT_FILES", "HUB_LABELS"]

#: Files every run writes into its output folder (rasters add ``time_to_<kind>.tif``).
OUTPUT_FILES = ("map.html", "plan.gpkg", "report.md", "county_access.csv", "nodes.csv", "belts.csv",
                "priorities.csv", "clusters.csv", "county_indices.csv")


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
    plan: object | None = None


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


def coverage_notes(layers: dict[str, gpd.GeoDataFrame], net: Network) -> list[str]:
    """Notes on seats, parks and hubs that lie far from the road network (see :func:`network.far_from_network`)."""
    notes = []
    for key, id_col, what in (("seats", "adcode", ("县城", "county seats")), ("parks", "park_id", ("园区", "parks")),
                              ("hubs", "hub_id", ("枢纽", "hubs"))):
        g = layers.get(key)
        if g is None or not len(g) or id_col not in g:
            continue
        pts = g.assign(geometry=g.geometry.representative_point()) if key == "parks" else g
        note = far_from_network(net, pts, g[id_col].astype(str).tolist(), what)
        if note:
            notes.append(note)
    return notes


def accessibility_step(layers: dict[str, gpd.GeoDataFrame], cfg: Config) -> AccessResult:
    """Build the network and compute hub times per county, isochrones and travel-time rasters.

    County hub times are the network minutes from each county seat to the
    nearest hub of each kind (``min_to_<kind>``); raster zonal statistics add
    the mean and median over the county's area (``mean_to_<kind>``,
    ``median_to_<kind>``); the seat's cumulative opportunities
    (``parks_within_<T>``, ``park_mass_within_<T>``) and Hansen potential of park
    mass (``park_potential``) measure its access to industrial parks.
    """
    acc = cfg.accessibility
    crs = None if cfg.study_area.projected_crs in ("", "auto") else cfg.study_area.projected_crs
    net = build_network(layers["roads"], layers.get("rail_lines"), layers.get("stations"), params=cfg.network,
                        crs=crs)
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
    # accessibility indices at the seats: parks (and their proxy mass) within T, and Hansen potential
    parks = layers.get("parks")
    if parks is not None and len(parks):
        from .accessibility import cumulative_opportunities, gravity_potential, od_matrix, od_wide
        from .indices import park_mass

        park_pts = gpd.GeoDataFrame({"id": parks["park_id"].astype(str).to_numpy()},
                                    geometry=parks.geometry.representative_point().values, crs=parks.crs)
        seat_ids = gpd.GeoDataFrame({"id": counties["adcode"].astype(str).to_numpy()},
                                    geometry=seat_pts.geometry.values, crs=seat_pts.crs)
        t = od_wide(od_matrix(net, seat_ids, park_pts, mode="road", id_col="id", with_km=False,
                              scheduler=acc.scheduler or None))
        m = pd.Series(park_mass(parks).to_numpy(), index=park_pts["id"].to_numpy())
        cum = cumulative_opportunities(t, m, threshold=acc.opportunity_minutes)
        T = int(acc.opportunity_minutes)
        counties[f"parks_within_{T}"] = cum["count_within"].to_numpy()
        counties[f"park_mass_within_{T}"] = np.round(cum["mass_within"].to_numpy(), 2)
        counties["park_potential"] = np.round(gravity_potential(t, m, kind=acc.decay, half_life=acc.half_life_min)
                                              .to_numpy(), 3)
    rasters = {}
    area = study_area_of(layers)
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
    caught += coverage_notes(layers, access.network)
    progress("点-带-网 分析 Nodes, belts and network")
    from .analysis import build_plan

    plan = build_plan(layers, access, cfg)

    progress("绘制地图 Drawing the map")
    fmap = _plan_map(layers, access, plan, cfg)

    progress("写出文件 Writing outputs")
    gpkg_layers = _gpkg_layers(layers, access, plan)
    written = _write_outputs(out, targets, gpkg_layers, layers, access, plan, fmap, cfg, overwrite=overwrite,
                             notes=caught)
    counts = {k: int(len(v)) for k, v in gpkg_layers.items()}
    return RunResult(out_dir=out, outputs=written, layers=gpkg_layers, counts=counts, warnings=caught, access=access,
                     plan=plan)


def _write_outputs(out: Path, targets: dict, gpkg_layers, layers, access, plan, fmap, cfg: Config, *,
                   overwrite: bool, notes: list[str] | None = None) -> dict[str, Path]:
    """Write every output into a staging folder inside ``out``, then move them into place.

    All the work happens before the first output is replaced, so a run killed
    (or failing) at any point before the final moves leaves the previous
    outputs as they were; each move is an atomic rename. A staging folder left
    by a killed run is removed by the next run.
    """
    import os
    import shutil

    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = out / f".staging-{os.getpid()}"
    staging.mkdir()
    try:
        stage = {name: staging / name for name in targets}
        write_geopackage(gpkg_layers, stage["plan.gpkg"], styles=_styles(gpkg_layers))
        write_csv(pd.DataFrame(access.county_access.drop(columns="geometry")), stage["county_access.csv"])
        for name, gdf in (("nodes", plan.nodes), ("belts", plan.belts), ("priorities", plan.priorities),
                          ("clusters", plan.clusters)):
            write_csv(pd.DataFrame(gdf.drop(columns="geometry")), stage[f"{name}.csv"])
        write_csv(plan.county_indices.reset_index(), stage["county_indices.csv"])
        for key, (arr, transform, crs) in access.rasters.items():
            write_geotiff(arr, transform, crs, stage[f"time_to_{key}.tif"], description=f"minutes to nearest {key}")
        extra = _write_report(plan, cfg, access, layers, staging, notes)
        if "shp" in cfg.output.formats:
            from .export import write_shapefiles

            write_shapefiles({k: v for k, v in gpkg_layers.items()}, staging / "shp",
                             encoding=cfg.output.shapefile_encoding)
            extra["shp"] = staging / "shp"
        write_html(render_html(fmap, assets=cfg.map.assets), stage["map.html"])
        names = list(targets) + [k for k in extra if k not in targets]
        if not overwrite:
            clash = [str(out / n) for n in names if (out / n).exists()]
            if clash:
                raise OutputExistsError(f"outputs exist: {', '.join(clash)}", layer=str(out),
                                        fix="pass --overwrite, or choose another --out folder.")
        final = {}
        for name in names:
            src, dst = staging / name, out / name
            if not src.exists():
                continue
            if src.is_dir():
                old = out / f".old-{name}-{os.getpid()}"
                if dst.exists():
                    dst.rename(old)
                src.rename(dst)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(src, dst)
            final[name] = dst
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_report(plan, cfg: Config, access, layers, folder: Path, notes: list[str] | None = None
                  ) -> dict[str, Path]:
    """report.md, report.html, figures/ and maps/; without a CJK font, report.md alone (with a warning)."""
    from . import report as report_mod

    from ._errors import DataFileError

    try:
        paths = report_mod.write_report(plan, cfg, access, layers, folder, overwrite=True, notes=notes)
        return {Path(p).relative_to(folder).parts[0]: folder / Path(p).relative_to(folder).parts[0]
                for p in paths.values()}
    except DataFileError as exc:  # no CJK font: the report without its figures, said plainly
        warnings.warn(f"report written without figures: {exc}", DataWarning, stacklevel=2)
        for leftover in ("figures", "maps", "report.html"):
            target = folder / leftover
            if target.is_dir():
                import shutil

                shutil.rmtree(target, ignore_errors=True)
            elif target.exists():
                target.unlink()
    write_html(report_mod.markdown_report(plan, cfg, access, notes=notes), folder / "report.md", overwrite=True)
    return {"report.md": folder / "report.md"}


def _plan_map(layers, access: AccessResult, plan, cfg: Config):
    """The run's map: input layers, accessibility layers and the 点-带-网 layers."""
    from .maps import add_plan_layers, prepare_for_web

    lang = cfg.map.language
    sectors = read_sectors()
    title = f"{cfg.study_area.name_zh} 先进制造业集群 点-带-网 布局" if lang == "zh" else (
        f"{cfg.study_area.name_en}: advanced-manufacturing clusters — nodes, belts, network")
    prod = plan.productivity.set_index("park_id")
    parks = layers["parks"].copy()
    parks["productivity"] = parks["park_id"].astype(str).map(prod["productivity"])
    parks["low_productivity"] = parks["park_id"].astype(str).map(prod["low_productivity"]).fillna(False)
    fmap = build_map({**layers, "parks": parks}, config=cfg.map, sectors=sectors, title=title)
    gcj = cfg.map.basemap == "gaode"
    ci = plan.county_indices
    zones = access.county_access.merge(ci[["mass", "advanced_mass", "krugman_specialisation", "score", "top_lq"]],
                                       left_on="adcode", right_index=True, how="left")
    zones = prepare_for_web(zones, precision=cfg.map.precision, simplify_m=cfg.map.simplify_m, coverage=True,
                            gcj02=gcj)
    indicators = dict(access.indicators)
    for col in zones.columns:
        if col.startswith("parks_within_"):
            t = col.rsplit("_", 1)[-1]
            indicators[col] = (f"县城{t}分钟内可达园区数", f"Parks within {t} min of the seat")
    if "park_potential" in zones:
        indicators["park_potential"] = ("园区引力潜力", "Park gravity potential")
    indicators.update({"score": ("增长极综合得分", "Growth-pole score"),
                       "mass": ("产业规模(代理)", "Industry mass (proxy)"),
                       "advanced_mass": ("先进制造业规模(代理)", "Advanced-manufacturing mass (proxy)"),
                       "krugman_specialisation": ("克鲁格曼专业化指数", "Krugman specialisation"),
                       "top_lq": ("最高区位商", "Highest location quotient")})
    add_choropleths(fmap, zones, indicators, language=lang, classes=_indicator_classes(zones, lang))
    if len(access.isochrones):
        add_isochrones(fmap, access.isochrones, language=lang, precision=cfg.map.precision, gcj02=gcj)
    for key, (arr, transform, crs) in access.rasters.items():
        zh, en = HUB_LABELS.get(key, (key, key))
        add_raster(fmap, arr, transform, crs, name=f"到最近{zh}时间(栅格)" if lang == "zh" else f"Time to {en} (raster)",
                   language=lang, gcj02=gcj)
    add_plan_layers(fmap, plan, language=lang, sectors=sectors, precision=cfg.map.precision, gcj02=gcj)
    _reorder_layer_control(fmap)
    return fmap


def _indicator_classes(zones, lang: str) -> dict:
    """Quantile classes (5) for the non-minute indicators."""
    palette = ["#f7fcf5", "#c7e9c0", "#74c476", "#238b45", "#00441b"]
    out = {}
    cols = ["score", "mass", "advanced_mass", "krugman_specialisation", "top_lq", "park_potential"]
    cols += [c for c in zones.columns if c.startswith("parks_within_")]
    for col in cols:
        if col not in zones:
            continue
        v = zones[col].astype(float)
        qs = sorted(set(np.round(v.quantile([0.2, 0.4, 0.6, 0.8]).to_numpy(), 3)))
        labels, lo = [], float(v.min())
        for q in qs:
            labels.append(f"{lo:.2f}–{q:.2f}")
            lo = q
        labels.append(f"> {lo:.2f}")
        out[col] = (list(qs), palette[: len(qs) + 1], labels)
    return out


def _gpkg_layers(layers, access: AccessResult, plan) -> dict:
    edges = access.network.edges_gdf().to_crs("EPSG:4490")
    out = dict(layers)
    out["county_access"] = access.county_access
    out["isochrones"] = access.isochrones
    out["network_edges"] = edges[edges["layer"].isin(["road", "rail"]) & ~edges["reverse"]].drop(
        columns="reverse").reset_index(drop=True)
    out.update(plan.layers())
    out["county_indices"] = plan.county_indices.reset_index()
    out["location_quotients"] = plan.lq.reset_index(names="adcode")
    out["park_productivity"] = plan.productivity
    return out


def _styles(gpkg_layers) -> dict | None:
    """QGIS styles for the GeoPackage (``qgis_styles``), or none when that module is unavailable."""
    try:
        from .qgis_styles import default_styles
    except ImportError:
        return None
    return default_styles({k: v for k, v in gpkg_layers.items() if isinstance(v, gpd.GeoDataFrame)}, read_sectors())


def _reorder_layer_control(fmap) -> None:
    """Move the layer control to the end so that it lists every overlay added after the base map."""
    from folium import LayerControl

    controls = [k for k, v in fmap._children.items() if isinstance(v, LayerControl)]
    for k in controls:
        fmap._children.move_to_end(k)
    legends = [k for k, v in fmap._children.items() if type(v).__name__ in ("Legend", "IndicatorSwitch")]
    for k in legends:
        fmap._children.move_to_end(k)
