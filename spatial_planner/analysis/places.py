"""Named sets of places in a dataset: what ``--origins seats`` or ``--to airport`` mean.

:func:`select_places` turns a name (``seats``, ``prefecture-seats``, ``parks``,
``hubs``, ``stations``) or a file into a point layer with ``id`` and ``name``
columns; :func:`select_targets` turns a hub kind (``airport``, ``hsr``,
``rail-freight``, ``port``, any ``hub_type``) or one place's id or name into
the target points of a travel-time surface.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from .._errors import ConfigError
from ..io.readers import read_layer

__all__ = [
    "PLACE_SETS",
    "TARGET_KINDS",
    "select_places",
    "find_place",
    "select_targets",
]

PLACE_SETS = ("seats", "prefecture-seats", "parks", "hubs", "stations")


#: Target kinds of ``access --to`` and ``[accessibility] raster_to``.
TARGET_KINDS = {
    "airport": ("hubs", "hub_type", ("airport",)),
    "hsr": ("stations", "station_type", ("hsr",)),
    "rail_freight": ("hubs", "hub_type", ("rail_freight", "china_europe_train")),
    "rail-freight": ("hubs", "hub_type", ("rail_freight", "china_europe_train")),
    "china_europe_train": ("hubs", "hub_type", ("china_europe_train",)),
    "port": ("hubs", "hub_type", ("river_port",)),
    "river_port": ("hubs", "hub_type", ("river_port",)),
    "logistics_hub": ("hubs", "hub_type", ("logistics_hub",)),
    "freight_terminal": ("stations", "station_type", ("freight_terminal",)),
}

_ID = {"seats": "adcode", "parks": "park_id", "hubs": "hub_id", "stations": "station_id", "counties": "adcode"}


def _frame(gdf: gpd.GeoDataFrame, id_col: str) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame(
        {"id": gdf[id_col].astype(str).to_numpy(), "name": gdf.get("name_zh", gdf[id_col]).astype(str).to_numpy()},
        geometry=gdf.geometry.representative_point().values if gdf.geom_type.ne("Point").any()
        else gdf.geometry.values, crs=gdf.crs)
    for col in ("name_en", "prefecture_adcode", "county_adcode", "hub_type", "station_type", "level", "lead_sector"):
        if col in gdf.columns:
            out[col] = gdf[col].to_numpy()
    return out


def select_places(layers: dict[str, gpd.GeoDataFrame], spec: str) -> gpd.GeoDataFrame:
    """Points named by ``spec``: a place set (see :data:`PLACE_SETS`) or a file path.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id``, ``name`` and point geometry (representative points for polygons).
    """
    if spec == "prefecture-seats":
        seats = layers["seats"]
        return _frame(seats[seats["is_prefecture_seat"].astype(bool)], "adcode")
    if spec in _ID and spec in layers:
        return _frame(layers[spec], _ID[spec])
    path = Path(spec)
    if path.suffix:
        gdf = read_layer(path)
        id_col = next((c for c in ("id", "adcode", "park_id", "hub_id", "编号") if c in gdf.columns), None)
        if id_col is None:
            gdf = gdf.assign(id=[f"{path.stem}_{i}" for i in range(len(gdf))])
            id_col = "id"
        return _frame(gdf, id_col)
    raise ConfigError(f"unknown place set '{spec}'", key="origins/destinations",
                      fix=f"use one of {', '.join(PLACE_SETS)} or a file path (.gpkg, .shp, .geojson, .csv).")


def find_place(layers: dict[str, gpd.GeoDataFrame], key: str) -> gpd.GeoDataFrame:
    """One place by id or exact name, searched in hubs, stations, parks and seats."""
    for layer in ("hubs", "stations", "parks", "seats"):
        gdf = layers.get(layer)
        if gdf is None:
            continue
        hit = gdf[(gdf[_ID[layer]].astype(str) == key) | (gdf.get("name_zh", pd.Series(dtype=str)) == key)]
        if len(hit):
            return _frame(hit.iloc[:1], _ID[layer])
    raise ConfigError(f"no place with id or name '{key}'", key="place",
                      fix="give a hub_id (e.g. AP_CGO), station_id, park_id, county adcode or exact Chinese name.")


def select_targets(layers: dict[str, gpd.GeoDataFrame], spec: str) -> gpd.GeoDataFrame:
    """Target points for ``spec``: a kind in :data:`TARGET_KINDS`, or one place's id or name."""
    if spec in TARGET_KINDS:
        layer, col, values = TARGET_KINDS[spec]
        gdf = layers[layer]
        hit = gdf[gdf[col].isin(values)]
        if len(hit) == 0:
            raise ConfigError(f"the {layer} layer has no {spec} features", key="to",
                              fix=f"add {layer} with {col} in {values}, or choose another target.")
        return _frame(hit, _ID[layer])
    return find_place(layers, spec)
