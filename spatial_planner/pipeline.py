"""The plan run: load → validate → network → accessibility → analysis → map and exports.

:func:`run` is what ``spatial-planner run`` calls. Each step reports progress
through a callback, so the CLI can show it and notebooks can stay quiet.
"""

from __future__ import annotations

import dataclasses
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import ConfigError, DataFileError, DataWarning
from .analysis.accessibility import (
    od_matrix,
    od_wide,
)
from .analysis.belts import (
    find_belts,
    transport_corridors,
)
from .analysis.clusters import cross_county_clusters
from .analysis.county_access import county_access
from .analysis.indices import (
    IndustryTable,
    concentration,
    cosine_similarity,
    industry_table,
    industry_table_from_csv,
    isomorphism_pairs,
    krugman_dissimilarity,
    krugman_specialisation,
    land_productivity,
    location_quotient,
    national_zones,
    neighbour_pairs,
)
from .analysis.linkages import (
    linkage_network,
)
from .analysis.nodes import (
    growth_poles,
    hub_access_score,
    park_level_score,
)
from .analysis.published import published_cluster_check, recall
from .analysis.years import county_access_of_year, year_gains
from .config import Config, StudyArea
from .crs import study_area_crs
from .io._atomic import check_free, output_lock, staged_outputs
from .io.area import network_as_of, select_area
from .io.builtin import read_builtin_statistics, read_published_clusters, read_sectors
from .io.credits import data_credits
from .io.gpkg import write_geopackage
from .io.readers import load_layers
from .io.shapefile import write_shapefiles
from .io.writers import write_csv, write_geotiff, write_html
from .network.build import build_network
from .network.graph import Network, far_from_network
from .outputs.qgis import default_styles, time_raster_style
from .outputs.qgis_project import PROJECT_FILE, write_plan_project
from .outputs.report import markdown_report, write_report, years_markdown
from .outputs.webmap.elements import render_html
from .outputs.webmap.plan_map import plan_map
from .outputs.webmap.years_map import years_map
from .results import AccessResult, Plan
from .validate.layers import study_area_of, validate_layers

__all__ = [
    "OUTPUT_FILES",
    "RunResult",
    "accessibility_step",
    "build_plan",
    "coverage_notes",
    "industry_of",
    "load_network",
    "network_of",
    "run",
    "seat_times",
]

#: Files every run writes into its output folder (rasters add ``time_to_<kind>.tif`` and its ``.qml`` style).
OUTPUT_FILES = ("map.html", "plan.gpkg", PROJECT_FILE, "report.md", "county_access.csv", "nodes.csv",
                "belts.csv", "priorities.csv", "clusters.csv", "county_indices.csv")


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


def _study_area(layers: dict[str, gpd.GeoDataFrame], cfg: Config) -> tuple[dict[str, gpd.GeoDataFrame], Config,
                                                                           list[str]]:
    """The layers of ``[study_area] area`` (all counties when empty) with the network clipped to the area plus
    ``network_buffer_km`` and, with ``[network] year``, as it stood then; the config named after the selection
    (unless a name was given); the notes on what was clipped or left out."""
    sa = cfg.study_area
    sel = select_area(layers, sa.area, buffer_km=sa.network_buffer_km)
    if sa.area and (sa.name_zh, sa.name_en) == (StudyArea.name_zh, StudyArea.name_en):
        cfg = dataclasses.replace(cfg, study_area=dataclasses.replace(sa, name_zh=sel.name_zh,
                                                                      name_en=sel.name_en))
    notes = [sel.note(sa.network_buffer_km)]
    if cfg.network.year:
        notes.append(network_as_of(layers, cfg.network.year))
    return layers, cfg, [n for n in notes if n]


def load_network(cfg: Config | None = None) -> tuple[dict[str, gpd.GeoDataFrame], Network]:
    """Load and validate a config's layers (its study area, the network clipped around it) and build its network
    (what ``od``, ``isochrones`` and ``access`` use)."""
    cfg = cfg or Config()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        layers, cfg, _ = _study_area(load_layers(cfg.layers), cfg)
        layers = validate_layers(layers).layers
    return layers, network_of(layers, cfg)


def network_of(layers: dict[str, gpd.GeoDataFrame], cfg: Config | None = None) -> Network:
    """The multimodal network of validated layers, in the study area's metric CRS (``[study_area] projected_crs``).

    When the roads come from an OpenStreetMap file (``.osm``, ``.pbf``), the network's contraction
    hierarchies are saved next to it (:attr:`Network.cache_dir`, files ``ch-<hash>.npz``), so the
    next run, scenario or notebook on the same extract loads them instead of contracting again.
    """
    cfg = cfg or Config()
    area = study_area_of(layers)
    crs = study_area_crs(area if area is not None else layers["roads"].total_bounds, cfg.study_area.projected_crs)
    net = build_network(layers["roads"], layers.get("rail_lines"), layers.get("stations"), params=cfg.network,
                        crs=crs)
    net.cache_dir = _osm_folder(cfg)
    return net


def _osm_folder(cfg: Config) -> str | None:
    """The folder of the roads' OpenStreetMap file, if they come from one."""
    roads = cfg.layers.get("roads")
    src = Path(roads.source) if roads is not None and roads.source not in ("", "builtin") else None
    return str(src.parent) if src is not None and src.suffix.lower() in (".osm", ".pbf") else None


def industry_of(layers: dict[str, gpd.GeoDataFrame], cfg: Config | None = None) -> IndustryTable:
    """The plan's one industry table: ``[indices] statistics`` when given, else the park proxy.

    ``statistics = "builtin"`` (the default) takes the built-in county statistics when they cover the study
    area's counties (the built-in ones), else the park proxy with a note; its ``counties.attrs["coverage"]``
    counts the counties' values by quality (published / rescaled / estimated).
    """
    cfg = cfg or Config()
    codes = layers["counties"]["adcode"].astype(str)
    stats = cfg.indices.statistics or None
    coverage = None
    if stats == "builtin":
        table = read_builtin_statistics()
        if set(codes) <= set(table["adcode"]):
            sub = table[table["adcode"].isin(set(codes))]
            coverage = sub["quality"].value_counts().sort_index().to_dict()
            stats = industry_table_from_csv(table)
        else:
            warnings.warn("内置县域统计不覆盖这些县区，改用园区代理指标 — the built-in county statistics do not cover "
                          "these counties: the park proxy is used", DataWarning, stacklevel=2)
            stats = None
    industry = industry_table(layers["parks"], codes, stats)
    if coverage is not None:
        industry.counties.attrs["coverage"] = coverage
    return industry


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


def accessibility_step(layers: dict[str, gpd.GeoDataFrame], cfg: Config | None = None, *,
                       industry: IndustryTable | None = None, net: Network | None = None) -> AccessResult:
    """Build the network (unless given) and compute each county's access: hub times, park access, rasters, isochrones.

    See :func:`spatial_planner.analysis.county_access.county_access`; the
    parks' mass comes from the plan's industry table (:func:`industry_of`).
    """
    cfg = cfg or Config()
    industry = industry or industry_of(layers, cfg)
    return county_access(net or network_of(layers, cfg), layers, cfg.accessibility, park_mass=industry.park_mass,
                         study_area=study_area_of(layers))


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

    Raises
    ------
    OutputLockedError
        Another run is working in the output folder (checked first, before
        any work: one run per folder at a time, see
        :func:`spatial_planner.io._atomic.output_lock`).
    OutputExistsError
        Outputs exist and ``overwrite`` is false.
    """
    cfg = config or Config()
    out = Path(out_dir or cfg.output.dir)
    overwrite = cfg.output.overwrite if overwrite is None else overwrite
    with output_lock(out):
        return _run_in(out, cfg, overwrite=overwrite, progress=progress)


def _run_in(out: Path, cfg: Config, *, overwrite: bool, progress: Callable[[str], None]) -> RunResult:
    """:func:`run`'s steps, with the output folder held (:func:`~spatial_planner.io._atomic.output_lock`)."""
    targets = {name: out / name for name in OUTPUT_FILES}
    for kind in cfg.accessibility.raster_to:
        key = kind.replace("-", "_")
        targets[f"time_to_{key}.tif"] = out / f"time_to_{key}.tif"
        targets[f"time_to_{key}.qml"] = out / f"time_to_{key}.qml"
    check_free(targets.values(), overwrite=overwrite, where=str(out))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", DataWarning)
        progress("读取图层 Loading layers")
        layers, cfg, scope_notes = _study_area(load_layers(cfg.layers), cfg)
        progress("校验图层 Validating layers")
        layers = validate_layers(layers).layers
        progress("构建路网并计算可达性 Network and accessibility")
        industry = industry_of(layers, cfg)
        access = accessibility_step(layers, cfg, industry=industry)
        progress("点-带-网 分析 Nodes, belts and network")
        plan = build_plan(layers, cfg, access=access, industry=industry)
    caught = scope_notes + list(dict.fromkeys(
        str(w.message) for w in record if issubclass(w.category, DataWarning)))
    for w in record:
        if not issubclass(w.category, DataWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    caught += coverage_notes(layers, access.network)

    progress("绘制地图 Drawing the map")
    fmap = plan_map(layers, plan, config=cfg.map, sectors=read_sectors(), title=_map_title(cfg))

    progress("写出文件 Writing outputs")
    gpkg_layers = _gpkg_layers(layers, access, plan)
    written = _write_outputs(out, targets, gpkg_layers, layers, access, plan, fmap, cfg, overwrite=overwrite,
                             notes=caught)
    counts = {k: len(v) for k, v in gpkg_layers.items()}
    return RunResult(out_dir=out, outputs=written, layers=gpkg_layers, counts=counts, warnings=caught, access=access,
                     plan=plan)


def _write_outputs(out: Path, targets: dict, gpkg_layers, layers, access, plan, fmap, cfg: Config, *,
                   overwrite: bool, notes: list[str] | None = None) -> dict[str, Path]:
    """Write every output into a staging folder inside ``out``, then move them into place (:func:`staged_outputs`)."""
    with staged_outputs(out, overwrite=overwrite) as staging:
        stage = {name: staging / name for name in targets}
        styles = _styles(gpkg_layers)
        write_geopackage(gpkg_layers, stage["plan.gpkg"], styles=styles)
        write_csv(pd.DataFrame(access.county_access.drop(columns="geometry")), stage["county_access.csv"])
        for name, gdf in (("nodes", plan.nodes), ("belts", plan.belts), ("priorities", plan.priorities),
                          ("clusters", plan.clusters)):
            write_csv(pd.DataFrame(gdf.drop(columns="geometry")), stage[f"{name}.csv"])
        write_csv(plan.county_indices.reset_index(), stage["county_indices.csv"])
        raster_style = time_raster_style()
        for key, (arr, transform, crs) in access.rasters.items():
            write_geotiff(arr, transform, crs, stage[f"time_to_{key}.tif"], description=f"minutes to nearest {key}",
                          style=raster_style)
        write_plan_project(stage[PROJECT_FILE], gpkg_layers, styles, gpkg="plan.gpkg", raster_style=raster_style,
                           rasters={f"time_to_{key}": (f"time_to_{key}.tif", crs)
                                    for key, (_, _, crs) in access.rasters.items()},
                           crs=access.network.crs, title=_project_title(cfg))
        extra = _write_report(plan, cfg, access, layers, staging, notes)
        if "shp" in cfg.output.formats:
            write_shapefiles(dict(gpkg_layers), staging / "shp", encoding=cfg.output.shapefile_encoding,
                             styles=styles)
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
    write_html(markdown_report(plan, cfg, access, notes=notes, credits=data_credits(layers)), folder / "report.md",
               overwrite=True)
    return {"report.md": folder / "report.md"}


def _project_title(cfg: Config) -> str:
    """The QGIS project's title: Chinese, then English."""
    area, year = cfg.study_area, cfg.network.year
    zh = f"{area.name_zh} 先进制造业集群 点-带-网 布局" + (f"（{year} 年路网）" if year else "")
    en = f"{area.name_en}: advanced-manufacturing clusters — nodes, belts, network" + (
        f" (network of {year})" if year else "")
    return f"{zh} — {en}"


def _map_title(cfg: Config) -> str:
    area, year = cfg.study_area, cfg.network.year
    if cfg.map.language == "zh":
        return f"{area.name_zh} 先进制造业集群 点-带-网 布局" + (f"（{year} 年路网）" if year else "")
    return f"{area.name_en}: advanced-manufacturing clusters — nodes, belts, network" + (
        f" (network of {year})" if year else "")


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


def _styles(gpkg_layers) -> dict[str, str]:
    """QGIS styles of the GeoPackage layers (stored in the GeoPackage, beside the shapefiles, in plan.qgs)."""
    return default_styles({k: v for k, v in gpkg_layers.items() if isinstance(v, gpd.GeoDataFrame)}, read_sectors())


def _seats(layers: dict[str, gpd.GeoDataFrame], codes: pd.Series) -> gpd.GeoDataFrame:
    """One seat per county, in the counties' order, with ``adcode`` as a column."""
    seats = layers["seats"]
    return seats.set_index(seats["adcode"].astype(str)).loc[codes].reset_index(drop=True).assign(
        adcode=codes.to_numpy())


def seat_times(net: Network, seats: gpd.GeoDataFrame, cfg: Config | None = None) -> pd.DataFrame:
    """Symmetrised seat-to-seat minutes (``[linkages] mode``), indexed by adcode both ways."""
    cfg = cfg or Config()
    pts = gpd.GeoDataFrame({"id": seats["adcode"].to_numpy(), "name": seats["name_zh"].to_numpy()},
                           geometry=seats.geometry.values, crs=seats.crs)
    od = od_wide(od_matrix(net, pts, mode=cfg.linkages.mode, id_col="id", name_col="name", with_km=False,
                           scheduler=cfg.accessibility.scheduler or None, engine=cfg.accessibility.engine))
    return (od + od.T) / 2.0


def _node_layer(tiered: pd.DataFrame, counties: gpd.GeoDataFrame, seats: gpd.GeoDataFrame, provenance: str
                ) -> gpd.GeoDataFrame:
    """Growth poles as points at the seats, best first, with ``rank`` and names."""
    codes = counties["adcode"].astype(str)
    info = counties.set_index(codes)[["name_zh", "name_en", "prefecture_zh"]]
    nodes = gpd.GeoDataFrame(pd.concat([info, tiered], axis=1).reset_index(names="adcode"),
                             geometry=seats.geometry.values, crs=seats.crs)
    nodes = nodes.sort_values(["score", "adcode"], ascending=[False, True]).reset_index(drop=True)
    nodes.insert(1, "rank", np.arange(1, len(nodes) + 1))
    nodes["provenance"] = provenance
    return nodes


def _county_indices(industry: IndustryTable, lq: pd.DataFrame, counties: gpd.GeoDataFrame, tiered: pd.DataFrame,
                    advanced: pd.Series, national: pd.Series, sectors: pd.DataFrame) -> pd.DataFrame:
    """Per county: mass, advanced-manufacturing mass, specialisation, the top LQ sector, zones, score and tier."""
    codes = counties["adcode"].astype(str)
    info = counties.set_index(codes)
    table = industry.counties
    s_zh = dict(zip(sectors["code"], sectors["name_zh"]))
    lead = lq.idxmax(axis=1).where(table.sum(axis=1) > 0, "")
    out = pd.DataFrame({
        "name_zh": info["name_zh"], "prefecture_zh": info["prefecture_zh"], "mass": industry.mass.round(3),
        "advanced_mass": advanced.round(3), "krugman_specialisation": krugman_specialisation(table).round(4),
        "top_lq_sector": lead.map(lambda c: s_zh.get(c, c)), "top_lq": lq.max(axis=1).round(3),
        "national_zones": national, "score": tiered["score"].round(4), "tier": tiered["tier"],
    }, index=codes)
    out.index.name = "adcode"
    out["provenance"] = industry.provenance
    return out


def _park_productivity(parks: gpd.GeoDataFrame) -> pd.DataFrame:
    prod = land_productivity(parks).reset_index()
    prod.insert(1, "name_zh", prod["park_id"].map(dict(zip(parks["park_id"].astype(str), parks["name_zh"]))))
    prod.insert(2, "level", prod["park_id"].map(dict(zip(parks["park_id"].astype(str), parks["level"]))))
    return prod


def _clusters(net: Network, parks: gpd.GeoDataFrame, industry: IndustryTable, cfg: Config, *, sectors, counties
              ) -> gpd.GeoDataFrame:
    """Cross-county clusters from park-to-park road minutes."""
    pts = gpd.GeoDataFrame({"id": parks["park_id"].astype(str).to_numpy()},
                           geometry=parks.geometry.representative_point().values, crs=parks.crs)
    times = od_wide(od_matrix(net, pts, mode="road", id_col="id", with_km=False,
                              scheduler=cfg.accessibility.scheduler or None, engine=cfg.accessibility.engine))
    return cross_county_clusters(parks, times, sectors=sectors, counties=counties, params=cfg.clusters,
                                 mass=industry.park_mass, metric_crs=net.crs)


def build_plan(layers: dict[str, gpd.GeoDataFrame], cfg: Config | None = None, *, access: AccessResult | None = None,
               industry: IndustryTable | None = None) -> Plan:
    """Run every analysis of the 点-带-网 plan: ``plan = sp.build_plan(layers, cfg)``.

    Parameters
    ----------
    layers
        Validated input layers (``counties``, ``seats``, ``parks``, ``roads``, ``rail_lines``, ``hubs`` ...).
    cfg
        The run configuration (the defaults when omitted).
    access
        The accessibility step (:func:`accessibility_step`); computed, network and all, when omitted.
    industry
        The industry table (:func:`industry_of`); built from ``[indices] statistics`` or the parks when omitted.

    Returns
    -------
    Plan
        Nodes, belts, corridors, linkages, priorities, clusters, 产业同构 pairs and the county tables, with the
        parameters and provenance in ``plan.report`` and the accessibility step in ``plan.access``.
    """
    cfg = cfg or Config()
    industry = industry or industry_of(layers, cfg)
    access = access or accessibility_step(layers, cfg, industry=industry)
    net, sectors = access.network, read_sectors()
    counties, parks = layers["counties"], layers["parks"].copy()
    codes = counties["adcode"].astype(str)
    table, mass = industry.counties, industry.mass
    seats = _seats(layers, codes)
    times = seat_times(net, seats, cfg)
    report: dict = {"provenance": industry.provenance, "coverage": industry.counties.attrs.get("coverage")}

    # 产业同构: neighbours (or places within T minutes) whose structures are alike
    neigh = neighbour_pairs(counties, crs=net.crs)
    dis = krugman_dissimilarity(table)
    iso = isomorphism_pairs(seats, cosine_similarity(table), threshold=cfg.indices.similarity_threshold,
                            neighbours=neigh, times=times, max_minutes=cfg.indices.isomorphism_minutes,
                            dissimilarity=dis)
    report["isomorphism"] = {"threshold": cfg.indices.similarity_threshold,
                             "within_minutes": cfg.indices.isomorphism_minutes, "pairs": len(iso),
                             "neighbour_pairs_tested": len(neigh)}

    # where high-end resources concentrate, and the parks' land productivity
    advanced = table[[c for c in sectors.loc[sectors["advanced_manufacturing"], "code"] if c in table.columns]
                     ].sum(axis=1)
    national = national_zones(parks, codes)
    report["concentration"] = concentration({"mass": mass, "advanced_mass": advanced,
                                             "national_zones": national.astype(float)},
                                            counties.set_index(codes)["prefecture_zh"])
    productivity = _park_productivity(parks)
    report["productivity"] = {"provenance": productivity["provenance"].iloc[0] if len(productivity)
                              else industry.provenance,
                              "low": int(productivity["low_productivity"].sum()), "parks": len(productivity)}

    # 点: growth poles and tiers
    hub = hub_access_score(access.county_access.set_index(access.county_access["adcode"].astype(str)).loc[codes])
    tiered, report["tiers"] = growth_poles(
        net, seats.set_index(codes), mass, times, hub_access=hub, park_level=park_level_score(parks, codes),
        has_national_zone=national > 0, params=cfg.nodes, half_life=cfg.accessibility.half_life_min,
        decay=cfg.accessibility.decay, zones=counties.set_index(codes))

    # 网: linkages and link proposals
    lines, totals, priorities, report["linkages"] = linkage_network(
        net, mass, times, seats, tiers=tiered["tier"], dissimilarity=dis, params=cfg.linkages,
        corridor_lines=_fast_lines(layers))
    tiered["total_linkage"] = totals.reindex(codes).to_numpy()

    nodes = _node_layer(tiered, counties, seats, industry.provenance)

    # 带: belts along the transport corridors (parallel rail lines and expressways merged), threading the poles
    belts = find_belts(transport_corridors(layers.get("rail_lines"), layers["roads"], crs=net.crs, params=cfg.belts),
                       parks, nodes=nodes, hub_access=hub, industry=industry, params=cfg.belts, sectors=sectors,
                       counties=counties)
    report["belts"] = belts.report

    clusters = _clusters(net, parks, industry, cfg, sectors=sectors, counties=counties)
    report["clusters"] = {"max_minutes": cfg.clusters.max_minutes, "sector_field": cfg.clusters.sector_field,
                          "clusters": len(clusters)}
    lq = location_quotient(table)
    published = _published_check(counties, parks, nodes, lq, clusters, belts.belts, sectors)
    if len(published):
        report["published"] = {"clusters": len(published), "covered": int(published["covered"].sum()),
                               "recall": round(recall(published), 3)}
    return Plan(
        nodes=nodes, belts=belts.belts, belt_corridors=belts.belt_corridors, belt_segments=belts.segments,
        corridors=belts.corridors, linkages=lines, priorities=priorities, clusters=clusters, isomorphism=iso,
        industry=industry, lq=lq,
        county_indices=_county_indices(industry, lq, counties, tiered, advanced, national, sectors),
        productivity=productivity, report=report, access=access, published=published,
    )


def _fast_lines(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame | None:
    """The passenger rail lines and expressways (``name_zh``, geometry): the corridors that can join two nodes.

    A rail line joins a place only where a train stops: with a stations layer that lists each station's lines
    (``lines``), a rail line's geometry here is its stations (a line passing a county without a station does
    not serve it); an expressway is its line.
    """
    parts = []
    rail = layers.get("rail_lines")
    if rail is not None and len(rail) and "rail_class" in rail.columns:
        passenger = rail[rail["rail_class"].isin(["hsr", "intercity", "conventional"])]
        parts.append(_boarding_points(passenger, layers.get("stations"))[["name_zh", "geometry"]])
    roads = layers.get("roads")
    if roads is not None and len(roads) and "road_class" in roads.columns:
        fast = roads[roads["road_class"].isin(["expressway", "provincial_expressway", "motorway"])]
        if "name_zh" in fast.columns:
            parts.append(fast[fast["name_zh"].fillna("").astype(str) != ""][["name_zh", "geometry"]])
    if not parts:
        return None
    lines = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=parts[0].crs)
    return lines.dissolve(by="name_zh", as_index=False)[["name_zh", "geometry"]]  # a route drawn in pieces is one


def _boarding_points(rail: gpd.GeoDataFrame, stations: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Each rail line as the multipoint of its stations (from the stations' ``lines``); lines without a listed
    station, or without a stations layer, keep their geometry."""
    if stations is None or not len(stations) or "lines" not in stations.columns or "line_id" not in rail.columns:
        return rail
    stops: dict[str, list] = {}
    for lines, geom in zip(stations["lines"].fillna("").astype(str), stations.to_crs(rail.crs).geometry):
        for line in filter(None, (x.strip() for x in lines.split(";"))):
            stops.setdefault(line, []).append(geom)
    geoms = [shapely.MultiPoint(stops[i]) if stops.get(i) else g for i, g in zip(rail["line_id"].astype(str), rail.geometry)]
    return rail.set_geometry(gpd.GeoSeries(geoms, index=rail.index, crs=rail.crs))


def _published_check(counties, parks, nodes, lq, clusters, belts, sectors) -> pd.DataFrame:
    """The published clusters whose prefecture lies in the study area, beside what of the plan covers them."""
    published = read_published_clusters()
    published = published[published["prefecture_zh"].isin(set(counties["prefecture_zh"].astype(str)))]
    if not len(published):
        return pd.DataFrame()
    names = dict(zip(sectors["code"], sectors["name_zh"]))
    return published_cluster_check(published, counties=counties, parks=parks, nodes=nodes,
                                   location_quotients=lq.reset_index(names="adcode"), clusters=clusters,
                                   belts=belts, sector_names=names)


def compare_years(years: list[int], config: Config | None = None, *, out_dir: str | Path | None = None,
                  overwrite: bool = False) -> tuple[pd.DataFrame, dict[str, Path], list[str]]:
    """Each county's access on the network of each year and the gains between the first and the last.

    Writes ``compare.csv`` (every county), ``compare.md`` (the report) and ``compare_map.html`` (a choropleth of
    the gains) into ``out_dir`` when it is given. Returns the table, the files written and the notes.
    """
    cfg = config or Config()
    years = sorted({int(y) for y in years})
    if len(years) < 2:
        raise ConfigError(f"two or more years are needed, got {years}", key="year",
                          fix="give --year twice, e.g. --year 2015 --year 2024.")
    out = Path(out_dir) if out_dir is not None else None
    targets = {n: out / n for n in ("compare.csv", "compare.md", "compare_map.html")} if out else {}
    check_free(targets.values(), overwrite=overwrite, where=str(out))
    by_year, notes, last_layers = {}, [], None
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", DataWarning)
        for y in years:
            cy = dataclasses.replace(cfg, network=dataclasses.replace(cfg.network, year=y))
            layers, cy, scope = _study_area(load_layers(cfg.layers), cy)
            layers = validate_layers(layers).layers
            by_year[y] = county_access_of_year(network_of(layers, cy), layers, industry_of(layers, cy).mass,
                                               half_life=cfg.accessibility.half_life_min,
                                               decay=cfg.accessibility.decay, engine=cfg.accessibility.engine)
            notes += scope
            last_layers, cfg_last = layers, cy
    notes += list(dict.fromkeys(str(w.message) for w in record if issubclass(w.category, DataWarning)))
    names = last_layers["counties"].set_index(last_layers["counties"]["adcode"].astype(str))
    gains = year_gains(by_year, names)
    written: dict[str, Path] = {}
    if out is not None:
        area = cfg_last.study_area
        title = f"{area.name_zh} 路网变化的可达性效果 {years[0]}→{years[-1]}"
        credits = data_credits(last_layers)
        written["compare.csv"] = write_csv(gains, targets["compare.csv"], overwrite=overwrite)
        written["compare.md"] = write_html(years_markdown(gains, years, title=title, notes=notes, credits=credits),
                                           targets["compare.md"], overwrite=overwrite)
        fmap = years_map(last_layers, gains, years, config=cfg.map, title=title)
        written["compare_map.html"] = write_html(render_html(fmap, assets=cfg.map.assets),
                                                 targets["compare_map.html"], overwrite=overwrite)
    return gains, written, notes
