"""The plan run: load → validate → network → accessibility → analysis → map and exports.

:func:`run` is what ``spatial-planner run`` calls. Each step reports progress
through a callback, so the CLI can show it and notebooks can stay quiet.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ._errors import DataFileError, DataWarning
from .analysis.accessibility import (
    cumulative_opportunities,
    gravity_potential,
    isochrones,
    od_matrix,
    od_wide,
    times_to_nearest,
    travel_time_surface,
    zonal_stats,
)
from .analysis.belts import (
    axis_corridors,
    axis_members,
    belt_geometries,
    build_axes,
    candidate_belts,
    select_belts,
)
from .analysis.clusters import cross_county_clusters
from .analysis.indices import (
    IndustryTable,
    cosine_similarity,
    gini,
    industry_table,
    isomorphism_pairs,
    krugman_dissimilarity,
    krugman_specialisation,
    land_productivity,
    location_quotient,
    neighbour_pairs,
    theil,
)
from .analysis.linkages import gravity_linkage, link_priorities, linkage_lines
from .analysis.nodes import (
    PARK_LEVEL_SCORE,
    assign_tiers,
    betweenness_between,
    hub_access_score,
    score_nodes,
)
from .analysis.places import find_place, select_targets
from .config import Config
from .crs import study_area_crs
from .io._atomic import check_free, staged_outputs
from .io.builtin import read_sectors
from .io.gpkg import write_geopackage
from .io.readers import load_layers
from .io.shapefile import write_shapefiles
from .io.writers import write_csv, write_geotiff, write_html
from .network.build import build_network
from .network.graph import Network, far_from_network
from .outputs.qgis import default_styles
from .outputs.report import markdown_report, write_report
from .outputs.webmap.elements import render_html
from .outputs.webmap.map import build_map
from .outputs.webmap.overlays import (
    add_choropleths,
    add_isochrones,
    add_plan_layers,
    add_raster,
)
from .outputs.webmap.prepare import prepare_for_web
from .results import AccessResult, Plan
from .symbology import HUB_LABELS
from .validate.layers import study_area_of, validate_layers

__all__ = [
    "OUTPUT_FILES",
    "RunResult",
    "load_network",
    "network_of",
    "industry_of",
    "coverage_notes",
    "accessibility_step",
    "run",
    "build_plan",
]

#: Files every run writes into its output folder (rasters add ``time_to_<kind>.tif``).
OUTPUT_FILES = ("map.html", "plan.gpkg", "report.md", "county_access.csv", "nodes.csv", "belts.csv",
                "priorities.csv", "clusters.csv", "county_indices.csv")


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
        layers = validate_layers(load_layers(cfg.layers)).layers
    return layers, network_of(layers, cfg)


def network_of(layers: dict[str, gpd.GeoDataFrame], cfg: Config | None = None) -> Network:
    """The multimodal network of validated layers, in the study area's metric CRS (``[study_area] projected_crs``)."""
    cfg = cfg or Config()
    area = study_area_of(layers)
    crs = study_area_crs(area if area is not None else layers["roads"].total_bounds, cfg.study_area.projected_crs)
    return build_network(layers["roads"], layers.get("rail_lines"), layers.get("stations"), params=cfg.network,
                         crs=crs)


def industry_of(layers: dict[str, gpd.GeoDataFrame], cfg: Config | None = None) -> IndustryTable:
    """The plan's one industry table: ``[indices] statistics`` when given, else the park proxy."""
    cfg = cfg or Config()
    return industry_table(layers["parks"], layers["counties"]["adcode"].astype(str), cfg.indices.statistics or None)


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


def accessibility_step(layers: dict[str, gpd.GeoDataFrame], cfg: Config, *,
                       industry: IndustryTable | None = None) -> AccessResult:
    """Build the network and compute hub times per county, isochrones and travel-time rasters.

    County hub times are the network minutes from each county seat to the
    nearest hub of each kind (``min_to_<kind>``); raster zonal statistics add
    the mean and median over the county's area (``mean_to_<kind>``,
    ``median_to_<kind>``); the seat's cumulative opportunities
    (``parks_within_<T>``, ``park_mass_within_<T>``) and Hansen potential of park
    mass (``park_potential``) measure its access to industrial parks.
    """
    acc = cfg.accessibility
    net = network_of(layers, cfg)
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

        park_pts = gpd.GeoDataFrame({"id": parks["park_id"].astype(str).to_numpy()},
                                    geometry=parks.geometry.representative_point().values, crs=parks.crs)
        seat_ids = gpd.GeoDataFrame({"id": counties["adcode"].astype(str).to_numpy()},
                                    geometry=seat_pts.geometry.values, crs=seat_pts.crs)
        t = od_wide(od_matrix(net, seat_ids, park_pts, mode="road", id_col="id", with_km=False,
                              scheduler=acc.scheduler or None))
        industry = industry or industry_of(layers, cfg)
        m = industry.park_mass.reindex(park_pts["id"].to_numpy()).fillna(0.0)
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
    check_free(targets.values(), overwrite=overwrite, where=str(out))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", DataWarning)
        progress("读取图层 Loading layers")
        layers = load_layers(cfg.layers)
        progress("校验图层 Validating layers")
        layers = validate_layers(layers).layers
    caught = [str(w.message) for w in record if issubclass(w.category, DataWarning)]
    for w in record:
        if not issubclass(w.category, DataWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)

    progress("构建路网并计算可达性 Network and accessibility")
    industry = industry_of(layers, cfg)
    access = accessibility_step(layers, cfg, industry=industry)
    caught += coverage_notes(layers, access.network)
    progress("点-带-网 分析 Nodes, belts and network")

    plan = build_plan(layers, access, cfg, industry=industry)

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
    """Write every output into a staging folder inside ``out``, then move them into place (:func:`staged_outputs`)."""
    with staged_outputs(out, overwrite=overwrite) as staging:
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
            write_shapefiles({k: v for k, v in gpkg_layers.items()}, staging / "shp",
                             encoding=cfg.output.shapefile_encoding)
            extra["shp"] = staging / "shp"
        write_html(render_html(fmap, assets=cfg.map.assets), stage["map.html"])
        names = list(targets) + [k for k in extra if k not in targets]
        return {name: out / name for name in names if (staging / name).exists()}


def _write_report(plan, cfg: Config, access, layers, folder: Path, notes: list[str] | None = None
                  ) -> dict[str, Path]:
    """report.md, report.html, figures/ and maps/; without a CJK font, report.md alone (with a warning)."""

    try:
        paths = write_report(plan, cfg, access, layers, folder, overwrite=True, notes=notes)
        return {Path(p).relative_to(folder).parts[0]: folder / Path(p).relative_to(folder).parts[0]
                for p in paths.values()}
    except DataFileError as exc:  # no CJK font: the report without its figures, said plainly
        warnings.warn(f"report written without figures: {exc}", DataWarning, stacklevel=2)
        for leftover in ("figures", "maps", "report.html"):
            target = folder / leftover
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            elif target.exists():
                target.unlink()
    write_html(markdown_report(plan, cfg, access, notes=notes), folder / "report.md", overwrite=True)
    return {"report.md": folder / "report.md"}


def _plan_map(layers, access: AccessResult, plan, cfg: Config):
    """The run's map: input layers, accessibility layers and the 点-带-网 layers."""

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
    """QGIS styles of the GeoPackage layers."""
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


def build_plan(layers: dict[str, gpd.GeoDataFrame], access, cfg: Config | None = None, *,
               industry: IndustryTable | None = None) -> Plan:
    """Run every analysis of the 点-带-网 plan.

    Parameters
    ----------
    layers
        Validated input layers (``counties``, ``seats``, ``parks``, ``roads``, ``rail_lines``, ``hubs`` ...).
    access
        The :class:`~spatial_planner.plan.AccessResult` of the accessibility step (network and county hub times).
    cfg
        The run configuration.
    industry
        The industry table (:func:`industry_of`); built from ``cfg.indices.statistics`` or the parks when omitted.
    """
    cfg = cfg or Config()
    net = access.network
    sectors = read_sectors()
    counties = layers["counties"]
    parks = layers["parks"].copy()
    codes = counties["adcode"].astype(str)
    report: dict = {}

    # 1. the industry table (statistics or the park proxy) and its indices
    industry = industry or industry_of(layers, cfg)
    table = industry.counties
    provenance = industry.provenance
    report["provenance"] = provenance
    lq = location_quotient(table)
    spec = krugman_specialisation(table)
    sim = cosine_similarity(table)
    dis = krugman_dissimilarity(table)
    mass = table.sum(axis=1).rename("mass")

    # seat-to-seat road times (symmetrised), used by gravity, isomorphism and linkages
    seats = layers["seats"].set_index(layers["seats"]["adcode"].astype(str)).loc[codes].reset_index(drop=True)
    seat_pts = gpd.GeoDataFrame({"id": codes.to_numpy(), "name": seats["name_zh"].to_numpy()},
                                geometry=seats.geometry.values, crs=seats.crs)
    sched = cfg.accessibility.scheduler or None
    od = od_wide(od_matrix(net, seat_pts, mode=cfg.linkages.mode, id_col="id", name_col="name", with_km=False,
                           scheduler=sched))
    times = (od + od.T) / 2.0

    # 2. 产业同构 pairs
    neigh = neighbour_pairs(counties, crs=net.crs)
    iso = isomorphism_pairs(seats.assign(adcode=codes.to_numpy()), sim, threshold=cfg.indices.similarity_threshold,
                            neighbours=neigh, times=times, max_minutes=cfg.indices.isomorphism_minutes,
                            dissimilarity=dis)
    report["isomorphism"] = {"threshold": cfg.indices.similarity_threshold,
                             "within_minutes": cfg.indices.isomorphism_minutes, "pairs": int(len(iso)),
                             "neighbour_pairs_tested": len(neigh)}

    # 3. concentration of high-end resources
    pref = counties.set_index(codes)["prefecture_zh"]
    adv = [c for c in sectors.loc[sectors["advanced_manufacturing"], "code"] if c in table.columns]
    adv_mass = table[adv].sum(axis=1) if adv else mass * 0
    nat = parks[parks["level"] == "national"].groupby(parks["county_adcode"].astype(str)).size().reindex(codes,
                                                                                                        fill_value=0)
    conc = {}
    for name, values in (("mass", mass), ("advanced_mass", adv_mass), ("national_zones", nat.astype(float))):
        th = theil(values, pref)
        by_pref = values.groupby(pref).sum().sort_values(ascending=False)
        conc[name] = {"theil": round(th["total"], 4), "theil_between_prefectures": round(th["between"], 4),
                      "theil_within_prefectures": round(th["within"], 4), "gini_counties": round(gini(values), 4),
                      "top3_prefecture_share": round(float(by_pref.head(3).sum() / max(by_pref.sum(), 1e-12)), 4),
                      "top3_prefectures": list(by_pref.head(3).index)}
    report["concentration"] = conc

    # 4. land productivity of parks
    prod = land_productivity(parks)
    report["productivity"] = {"provenance": prod["provenance"].iloc[0] if len(prod) else provenance,
                              "low": int(prod["low_productivity"].sum()), "parks": int(len(prod))}

    # 5. growth poles and tiers
    ca = access.county_access.set_index(access.county_access["adcode"].astype(str)).loc[codes]
    hub = hub_access_score(ca)
    grav = gravity_potential(times, mass, half_life=cfg.accessibility.half_life_min, include_self=False,
                             kind=cfg.accessibility.decay)
    seat_nodes = net.attach(seat_pts.set_index("id"))["node"]
    betw = betweenness_between(net, seat_nodes.to_dict(), mode="road")
    level = parks.assign(s=parks["level"].map(PARK_LEVEL_SCORE).fillna(0.0)).groupby(
        parks["county_adcode"].astype(str))["s"].max().reindex(codes, fill_value=0.0)
    parts = pd.DataFrame({"mass": mass, "gravity": grav.reindex(codes), "betweenness": betw.reindex(codes),
                          "hub_access": hub.to_numpy(), "park_level": level}, index=codes)
    scored = score_nodes(parts, cfg.nodes)
    is_pref = seats.set_index(codes)["is_prefecture_seat"].astype(bool)
    tiered, tier_report = assign_tiers(scored, params=cfg.nodes, has_national_zone=nat > 0, is_prefecture_seat=is_pref)
    report["tiers"] = tier_report

    # 6. linkages
    g = gravity_linkage(mass, times, beta=cfg.linkages.beta, t_min=cfg.linkages.t_min, dissimilarity=dis,
                        complementarity=cfg.linkages.complementarity)
    lines, totals = linkage_lines(g, seats.assign(adcode=codes.to_numpy()), n_lines=cfg.linkages.n_lines)
    tiered["total_linkage"] = totals.reindex(codes).to_numpy()
    prio = link_priorities(net, g, times, seats.assign(adcode=codes.to_numpy()), tiers=tiered["tier"],
                           params=cfg.linkages)
    report["linkages"] = {"beta": cfg.linkages.beta, "mode": cfg.linkages.mode, "t_min": cfg.linkages.t_min,
                          "complementarity": cfg.linkages.complementarity,
                          "reference_speed_kmh": cfg.linkages.reference_speed_kmh}

    info = counties.set_index(codes)[["name_zh", "name_en", "prefecture_zh"]]
    nodes = gpd.GeoDataFrame(
        pd.concat([info, tiered], axis=1).reset_index(names="adcode"),
        geometry=seats.geometry.values, crs=seats.crs)
    nodes = nodes.sort_values(["score", "adcode"], ascending=[False, True]).reset_index(drop=True)
    nodes.insert(1, "rank", np.arange(1, len(nodes) + 1))
    nodes["provenance"] = provenance

    # 7. belts along axes (metric CRS of the network)
    crs = net.crs
    rail = layers.get("rail_lines")
    roads = layers["roads"]
    axes = []
    if rail is not None and len(rail):
        axes.append(build_axes(rail, kind="rail", crs=crs, id_col="line_id"))
    expw = roads[roads["road_class"].isin(["expressway", "provincial_expressway"])]
    if len(expw):
        axes.append(build_axes(expw.assign(name_zh=expw["name_zh"].astype(str)), kind="expressway", crs=crs,
                               id_col="route_ref"))
    axes_gdf = gpd.GeoDataFrame(pd.concat(axes, ignore_index=True), geometry="geometry", crs=crs)
    parks_m = parks.to_crs(crs)
    members = axis_members(axes_gdf, parks_m, corridor_km=cfg.belts.corridor_km)
    park_access = parks["county_adcode"].astype(str).map(hub).fillna(0.0)
    park_access.index = parks["park_id"].astype(str)
    cands = candidate_belts(members, parks, params=cfg.belts, access=park_access, industry=industry)
    chosen = select_belts(cands, members, parks, params=cfg.belts, access=park_access, industry=industry)
    pnames = dict(zip(parks["park_id"].astype(str), parks["name_zh"]))
    belt_lines, belt_polys = belt_geometries(chosen, axes_gdf, corridor_km=cfg.belts.corridor_km, sectors=sectors,
                                             counties=counties, park_names=pnames)
    corridors = axis_corridors(axes_gdf, members, parks, industry=industry, window_km=cfg.belts.corridor_window_km,
                               min_parks=cfg.belts.min_parks, sectors=sectors)
    report["belts"] = {"corridor_km": cfg.belts.corridor_km, "max_gap_km": cfg.belts.max_gap_km,
                       "min_parks": cfg.belts.min_parks, "min_counties": cfg.belts.min_counties,
                       "axes": int(len(axes_gdf)), "candidates": int(len(cands)), "selected": int(len(chosen))}

    # 8. cross-county clusters (park-to-park road minutes)
    park_pts = gpd.GeoDataFrame({"id": parks["park_id"].astype(str).to_numpy()},
                                geometry=parks.geometry.representative_point().values, crs=parks.crs)
    ptimes = od_wide(od_matrix(net, park_pts, mode="road", id_col="id", with_km=False, scheduler=sched))
    clusters = cross_county_clusters(parks, ptimes, sectors=sectors, counties=counties, params=cfg.clusters,
                                     mass=industry.park_mass,
                                     metric_crs=crs)
    report["clusters"] = {"max_minutes": cfg.clusters.max_minutes, "sector_field": cfg.clusters.sector_field,
                          "clusters": int(len(clusters))}

    lead_lq = lq.idxmax(axis=1).where(table.sum(axis=1) > 0, "")
    s_zh = dict(zip(sectors["code"], sectors["name_zh"]))
    county_indices = pd.DataFrame({
        "name_zh": info["name_zh"], "prefecture_zh": info["prefecture_zh"], "mass": mass.round(3),
        "advanced_mass": adv_mass.round(3), "krugman_specialisation": spec.round(4),
        "top_lq_sector": lead_lq.map(lambda c: s_zh.get(c, c)), "top_lq": lq.max(axis=1).round(3),
        "national_zones": nat, "score": tiered["score"].round(4), "tier": tiered["tier"],
    }, index=codes)
    county_indices.index.name = "adcode"
    county_indices["provenance"] = provenance
    parks_prod = prod.reset_index()
    parks_prod.insert(1, "name_zh", parks_prod["park_id"].map(pnames))
    parks_prod.insert(2, "level", parks_prod["park_id"].map(dict(zip(parks["park_id"].astype(str), parks["level"]))))
    return Plan(
        nodes=nodes,
        belts=belt_lines.to_crs("EPSG:4490"),
        belt_corridors=belt_polys.to_crs("EPSG:4490"),
        corridors=corridors.to_crs("EPSG:4490"),
        linkages=lines,
        priorities=prio,
        clusters=clusters,
        isomorphism=iso,
        industry=table,
        lq=lq,
        county_indices=county_indices,
        productivity=parks_prod,
        report=report,
    )
