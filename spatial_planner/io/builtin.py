"""The built-in Henan layers and the sector vocabulary, installed with the package."""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .._errors import (
    DataFileError,
)
from ..schema import LAYER_ORDER
from .checks import conform_layer

__all__ = [
    "BUILTIN_LAYERS",
    "builtin_dir",
    "read_builtin",
    "read_builtin_statistics",
    "read_published_clusters",
    "read_sectors",
    "load_henan",
    "builtin_extent",
]

BUILTIN_LAYERS: tuple[str, ...] = LAYER_ORDER


def builtin_dir() -> Path:
    """Folder of the built-in Henan layers (inside the installed package)."""
    return Path(str(importlib.resources.files("spatial_planner.gis_data") / "henan"))


def read_builtin(name: str) -> gpd.GeoDataFrame:
    """Read one built-in Henan layer by name (see :data:`BUILTIN_LAYERS`).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4490, with the documented schema (``gis_data/README.md``).
    """
    if name not in BUILTIN_LAYERS:
        raise DataFileError(f"no built-in layer '{name}'", fix=f"use one of: {', '.join(BUILTIN_LAYERS)}.")
    path = builtin_dir() / f"{name}.geojson"
    if not path.exists():
        raise DataFileError(
            f"built-in layer file {path} is missing", layer=name,
            fix="reinstall the package, or rebuild the data with `make data`.",
        )
    gdf = pyogrio.read_dataframe(path)
    return conform_layer(gdf, name, str(path))


def read_sectors() -> pd.DataFrame:
    """The controlled sector vocabulary: code, name_zh, name_en, colour and notes."""
    path = builtin_dir() / "sectors.csv"
    df = pd.read_csv(path, dtype=str, encoding="utf-8")
    df["advanced_manufacturing"] = df["advanced_manufacturing"].str.lower() == "true"
    return df


def read_builtin_statistics() -> pd.DataFrame:
    """The built-in county statistics (2022 GDP and secondary-industry value added, 亿元), each row flagged
    ``published`` / ``rescaled`` / ``estimated`` (see ``gis_data/README.md``)."""
    return pd.read_csv(builtin_dir() / "county_statistics.csv", dtype={"adcode": str}, encoding="utf-8")


def read_published_clusters() -> pd.DataFrame:
    """Henan's published provincial strategic emerging-industry clusters (first batch, 2022): name, prefecture,
    place and sectors; used to check a plan, never as its input."""
    return pd.read_csv(builtin_dir() / "published_clusters.csv", dtype=str, encoding="utf-8")


def load_henan() -> dict[str, gpd.GeoDataFrame]:
    """All built-in Henan layers, keyed by layer name, in :data:`BUILTIN_LAYERS` order."""
    return {name: read_builtin(name) for name in BUILTIN_LAYERS}


@functools.cache
def builtin_extent() -> tuple[float, float, float, float]:
    """Lon/lat extent of the built-in study area (its boundary layer): where user data are expected by default."""
    minx, miny, maxx, maxy = read_builtin("boundary").total_bounds
    return float(minx), float(miny), float(maxx), float(maxy)
