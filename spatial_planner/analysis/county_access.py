"""The accessibility step of a plan: each county's minutes to hubs, access to parks, rasters and isochrones.

:func:`county_access` gathers, per county (at its seat unless said otherwise):

* ``min_to_<kind>``: network minutes to the nearest hub of each kind (:func:`hub_times`);
* ``parks_within_<T>``, ``park_mass_within_<T>`` and ``park_potential``: cumulative
  opportunities and Hansen potential of the parks' mass (:func:`park_access`);
* ``mean_to_<kind>``, ``median_to_<kind>``: zonal statistics over the county of
  the travel-time raster to each kind (:func:`time_rasters`);

and the isochrone bands around chosen hubs (:func:`hub_isochrones`), in an
:class:`~spatial_planner.results.AccessResult`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import DataWarning
from ..network.graph import Network
from ..results import AccessResult
from ..symbology import HUB_LABELS
from .accessibility import (
    cumulative_opportunities,
    gravity_potential,
    isochrones,
    od_matrix,
    od_wide,
    times_to_nearest,
    travel_time_surface,
    zonal_stats,
)
from .places import TARGET_KINDS, find_place, select_targets

__all__ = [
    "AccessParams",
    "hub_times",
    "park_access",
    "time_rasters",
    "hub_isochrones",
    "county_access",
]


@dataclass
class AccessParams:
    """``[accessibility]`` in the run config: what the accessibility step computes, and with how many workers.

    ``engine`` chooses how many-to-many travel times are searched: ``"auto"`` (a contraction hierarchy
    where it pays, see :func:`spatial_planner.analysis.accessibility.resolve_engine`), ``"ch"`` (always
    the hierarchy) or ``"dijkstra"`` (always SciPy's Dijkstra). Searches that are not many-to-many
    (isochrones, rasters, nearest hubs) use Dijkstra whatever it says.
    """

    hub_types: list[str] = field(default_factory=lambda: ["airport", "hsr", "rail_freight", "river_port"])
    isochrone_hubs: list[str] = field(default_factory=lambda: ["AP_CGO", "CE_ZZ"])
    isochrone_minutes: list[float] = field(default_factory=lambda: [30.0, 60.0, 90.0])
    raster_to: list[str] = field(default_factory=lambda: ["airport", "hsr", "rail_freight"])
    resolution_m: float = 1000.0
    opportunity_minutes: float = 60.0
    decay: str = "exp"
    half_life_min: float = 30.0
    workers: int = 0
    scheduler: str = ""
    engine: str = "auto"


def _seat_points(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """One point per county (its seat), in the counties' order, with an ``id`` column of adcodes."""
    counties = layers["counties"]
    seats = layers["seats"].set_index("adcode")
    return gpd.GeoDataFrame({"id": counties["adcode"].astype(str).to_numpy()},
                            geometry=seats.geometry.reindex(counties["adcode"]).values, crs=seats.crs)


def _present_kinds(layers: dict[str, gpd.GeoDataFrame], kinds: list[str]) -> list[str]:
    """The target kinds the layers hold; each one missing is left out with a note (a city-scale study area may
    have no river port within reach)."""
    present = []
    for kind in kinds:
        if kind in TARGET_KINDS:
            layer, col, values = TARGET_KINDS[kind]
            g = layers.get(layer)
            if g is None or not g[col].isin(values).any():
                zh, en = HUB_LABELS.get(kind, (kind, kind))
                warnings.warn(f"研究区及其路网范围内没有{zh}，相关时间指标从略 — no {en} within the study area and its "
                              f"network buffer: the times to it are left out", DataWarning, stacklevel=3)
                continue
        present.append(kind)
    return present


def hub_times(net: Network, layers: dict[str, gpd.GeoDataFrame], kinds: list[str]
              ) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """Minutes from each county seat to the nearest hub of each kind (road), and the columns' zh/en labels."""
    att = net.attach(_seat_points(layers))
    out, labels = {}, {}
    for kind in _present_kinds(layers, kinds):
        t = times_to_nearest(net, select_targets(layers, kind), mode="road")
        col = f"min_to_{kind.replace('-', '_')}"
        out[col] = np.round(t[att["node"].to_numpy()] + att["access_min"].to_numpy(), 2)
        zh, en = HUB_LABELS.get(kind, (kind, kind))
        labels[col] = (f"县城到最近{zh}(分钟)", f"Seat to nearest {en} (min)")
    return pd.DataFrame(out, index=layers["counties"].index), labels


def park_access(net: Network, layers: dict[str, gpd.GeoDataFrame], park_mass: pd.Series, params: AccessParams
                ) -> pd.DataFrame:
    """Each seat's parks (and park mass) within ``opportunity_minutes`` and its Hansen potential of park mass."""
    parks = layers["parks"]
    park_pts = gpd.GeoDataFrame({"id": parks["park_id"].astype(str).to_numpy()},
                                geometry=parks.geometry.representative_point().values, crs=parks.crs)
    t = od_wide(od_matrix(net, _seat_points(layers), park_pts, mode="road", id_col="id", with_km=False,
                          scheduler=params.scheduler or None, engine=params.engine))
    m = park_mass.reindex(park_pts["id"].to_numpy()).fillna(0.0)
    cum = cumulative_opportunities(t, m, threshold=params.opportunity_minutes)
    T = int(params.opportunity_minutes)
    return pd.DataFrame({
        f"parks_within_{T}": cum["count_within"].to_numpy(),
        f"park_mass_within_{T}": np.round(cum["mass_within"].to_numpy(), 2),
        "park_potential": np.round(gravity_potential(t, m, kind=params.decay, half_life=params.half_life_min)
                                   .to_numpy(), 3),
    }, index=layers["counties"].index)


def time_rasters(net: Network, layers: dict[str, gpd.GeoDataFrame], kinds: list[str], study_area, resolution: float
                 ) -> tuple[dict, pd.DataFrame, dict[str, tuple[str, str]]]:
    """Travel-time rasters to the nearest hub of each kind, their county means and medians, and the labels."""
    rasters, stats, labels = {}, {}, {}
    counties = layers["counties"]
    for kind in _present_kinds(layers, kinds):
        arr, transform, crs = travel_time_surface(net, select_targets(layers, kind), study_area, resolution=resolution)
        key = kind.replace("-", "_")
        rasters[key] = (arr, transform, crs)
        z = zonal_stats(arr, transform, crs, counties, id_col="adcode")
        stats[f"mean_to_{key}"] = np.round(z["mean"].to_numpy(), 2)
        stats[f"median_to_{key}"] = np.round(z["median"].to_numpy(), 2)
        zh, en = HUB_LABELS.get(kind, (kind, kind))
        labels[f"mean_to_{key}"] = (f"县域平均到{zh}时间(分钟)", f"County mean time to {en} (min)")
    return rasters, pd.DataFrame(stats, index=counties.index), labels


def hub_isochrones(net: Network, layers: dict[str, gpd.GeoDataFrame], hubs: list[str], minutes: list[float],
                   study_area) -> gpd.GeoDataFrame:
    """Isochrone bands around each hub (by id or name), with ``hub_id`` and ``hub_name``."""
    bands = []
    for hub in hubs:
        place = find_place(layers, hub)
        iso = isochrones(net, place.iloc[:1], minutes, study_area=study_area)
        iso.insert(0, "hub_id", place["id"].iloc[0])
        iso.insert(1, "hub_name", place["name"].iloc[0])
        bands.append(iso)
    out = (pd.concat(bands, ignore_index=True) if bands else
           gpd.GeoDataFrame(columns=["hub_id", "hub_name", "minutes", "from_minutes", "area_km2", "geometry"],
                            geometry="geometry", crs="EPSG:4490"))
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4490")


def county_access(net: Network, layers: dict[str, gpd.GeoDataFrame], params: AccessParams | None = None, *,
                  park_mass: pd.Series | None = None, study_area=None) -> AccessResult:
    """Everything the accessibility step gives (see the module notes), per county, on network ``net``.

    Parameters
    ----------
    net
        The multimodal network.
    layers
        Validated layers (``counties``, ``seats``, ``parks``, ``hubs``, ``stations`` ...).
    params
        ``[accessibility]`` settings.
    park_mass
        Each park's mass by ``park_id`` (the plan's ``IndustryTable.park_mass``); access to parks is
        left out without it.
    study_area
        The area the rasters and isochrones cover (EPSG:4490 geometry).
    """
    p = params or AccessParams()
    counties = layers["counties"].copy()
    times, indicators = hub_times(net, layers, p.hub_types)
    parts = [times]
    parks = layers.get("parks")
    if park_mass is not None and parks is not None and len(parks):
        parts.append(park_access(net, layers, park_mass, p))
    rasters, stats, labels = time_rasters(net, layers, p.raster_to, study_area, p.resolution_m)
    parts.append(stats)
    indicators.update(labels)
    for part in parts:
        for col in part.columns:
            counties[col] = part[col].to_numpy()
    iso = hub_isochrones(net, layers, p.isochrone_hubs, p.isochrone_minutes, study_area)
    return AccessResult(network=net, county_access=counties, isochrones=iso, rasters=rasters, indicators=indicators)
