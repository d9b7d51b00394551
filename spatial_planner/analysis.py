"""The analysis step of a run: indices, nodes, belts, linkages and clusters, gathered in a :class:`Plan`.

:func:`build_plan` takes validated layers and the accessibility result and
returns every 点-带-网 output, each a (Geo)DataFrame, with the parameters and
provenance that produced it in ``Plan.report``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .accessibility import gravity_potential, od_matrix, od_wide
from .belts import axis_corridors, axis_members, belt_geometries, build_axes, candidate_belts, select_belts
from .clusters import cross_county_clusters
from .config import Config
from .indices import (
    cosine_similarity,
    gini,
    industry_table_from_csv,
    industry_table_from_parks,
    isomorphism_pairs,
    krugman_dissimilarity,
    krugman_specialisation,
    land_productivity,
    location_quotient,
    park_mass,
    theil,
)
from .io import read_sectors
from .linkages import gravity_linkage, link_priorities, linkage_lines
from .nodes import PARK_LEVEL_SCORE, assign_tiers, betweenness_between, score_nodes

__all__ = ["Plan", "build_plan", "neighbour_pairs"]


@dataclass
class Plan:
    """Every output of the 点-带-网 analysis.

    Attributes
    ----------
    nodes
        County-seat growth poles with score parts, ``score``, ``tier`` and ``total_linkage`` (points).
    belts, belt_corridors
        Selected industrial belts: axis segments and corridor polygons.
    corridors
        Multi-industry corridors: the densest stretch of park mass along each axis.
    linkages
        The strongest gravity linkages as lines, classed by strength.
    priorities
        Ranked link proposals with their reasons (lines between seats).
    clusters
        Cross-county cluster proposals (hull polygons).
    isomorphism
        产业同构 pairs (lines between seats).
    industry, lq
        County × sector table and location quotients.
    county_indices
        Per county: specialisation, lead LQ sector, mass and the node score.
    productivity
        Per park: land productivity, its floor and the low-productivity flag.
    report
        Parameters, provenance, tier breaks and rules, inequality figures.
    """

    nodes: gpd.GeoDataFrame
    belts: gpd.GeoDataFrame
    belt_corridors: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    linkages: gpd.GeoDataFrame
    priorities: gpd.GeoDataFrame
    clusters: gpd.GeoDataFrame
    isomorphism: gpd.GeoDataFrame
    industry: pd.DataFrame
    lq: pd.DataFrame
    county_indices: pd.DataFrame
    productivity: pd.DataFrame
    report: dict = field(default_factory=dict)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The plan's map/GeoPackage layers, in drawing order."""
        return {"nodes": self.nodes, "belts": self.belts, "belt_corridors": self.belt_corridors,
                "corridors": self.corridors, "linkages": self.linkages, "priorities": self.priorities,
                "clusters": self.clusters, "isomorphism": self.isomorphism}


def neighbour_pairs(counties: gpd.GeoDataFrame, *, min_shared_m: float = 200.0, crs="EPSG:4547") -> set[tuple[str, str]]:
    """Unordered ``(a, b)`` adcode pairs (``a < b``) of counties sharing at least ``min_shared_m`` of border."""
    c = counties.to_crs(crs).reset_index(drop=True)
    geoms = c.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    out = set()
    codes = c["adcode"].astype(str).to_numpy()
    for i, j in zip(left, right):
        if i < j:
            shared = shapely.intersection(shapely.boundary(geoms[i]), shapely.boundary(geoms[j]))
            if shared.length >= min_shared_m:
                out.add((min(codes[i], codes[j]), max(codes[i], codes[j])))
    return out


def _hub_access_score(county_access: pd.DataFrame, kinds=("airport", "hsr", "rail_freight")) -> pd.Series:
    parts = []
    for k in kinds:
        col = f"min_to_{k}"
        if col in county_access:
            t = county_access[col].astype(float)
            parts.append(1.0 - t / t.max())
    return pd.concat(parts, axis=1).mean(axis=1) if parts else pd.Series(0.0, index=county_access.index)


def build_plan(layers: dict[str, gpd.GeoDataFrame], access, cfg: Config | None = None) -> Plan:
    """Run every analysis of the 点-带-网 plan.

    Parameters
    ----------
    layers
        Validated input layers (``counties``, ``seats``, ``parks``, ``roads``, ``rail_lines``, ``hubs`` ...).
    access
        The :class:`~spatial_planner.plan.AccessResult` of the accessibility step (network and county hub times).
    cfg
        The run configuration.
    """
    cfg = cfg or Config()
    net = access.network
    sectors = read_sectors()
    counties = layers["counties"]
    parks = layers["parks"].copy()
    codes = counties["adcode"].astype(str)
    report: dict = {}

    # 1. the industry table (statistics or the park proxy) and its indices
    if cfg.indices.statistics:
        table = industry_table_from_csv(cfg.indices.statistics).reindex(codes, fill_value=0.0)
        table.attrs["provenance"] = "statistics"
    else:
        table = industry_table_from_parks(parks, index=pd.Index(codes))
    provenance = table.attrs.get("provenance", "proxy")
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
    neigh = neighbour_pairs(counties)
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
    hub = _hub_access_score(ca)
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
    cands = candidate_belts(members, parks, params=cfg.belts, access=park_access)
    chosen = select_belts(cands, members, parks, params=cfg.belts, access=park_access)
    pnames = dict(zip(parks["park_id"].astype(str), parks["name_zh"]))
    belt_lines, belt_polys = belt_geometries(chosen, axes_gdf, corridor_km=cfg.belts.corridor_km, sectors=sectors,
                                             counties=counties, park_names=pnames)
    corridors = axis_corridors(axes_gdf, members, parks, window_km=cfg.belts.corridor_window_km,
                               min_parks=cfg.belts.min_parks, sectors=sectors)
    report["belts"] = {"corridor_km": cfg.belts.corridor_km, "max_gap_km": cfg.belts.max_gap_km,
                       "min_parks": cfg.belts.min_parks, "min_counties": cfg.belts.min_counties,
                       "axes": int(len(axes_gdf)), "candidates": int(len(cands)), "selected": int(len(chosen))}

    # 8. cross-county clusters (park-to-park road minutes)
    park_pts = gpd.GeoDataFrame({"id": parks["park_id"].astype(str).to_numpy()},
                                geometry=parks.geometry.representative_point().values, crs=parks.crs)
    ptimes = od_wide(od_matrix(net, park_pts, mode="road", id_col="id", with_km=False, scheduler=sched))
    clusters = cross_county_clusters(parks, ptimes, sectors=sectors, counties=counties, params=cfg.clusters,
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
