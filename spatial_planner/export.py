"""Writing outputs: GeoPackage, HTML map and tables, always atomically.

Every writer builds its file beside the final path and renames it into place
(:func:`spatial_planner.io.atomic_output`), so an interrupted run leaves the
previous outputs intact and never a half-written file.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from .io import atomic_output

__all__ = ["write_geopackage", "write_html", "write_csv", "write_geotiff", "gpkg_layer_counts"]


def _gpkg_safe(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GeoPackage cannot hold (lists, dicts, mixed objects) become text; nothing is dropped."""
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        if s.dtype == object:
            kinds = {type(v) for v in s.dropna()}
            if kinds - {str}:
                out[col] = s.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
    return out


def write_geopackage(
    layers: dict[str, gpd.GeoDataFrame],
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
) -> Path:
    """Write layers into one GeoPackage, atomically.

    Parameters
    ----------
    layers
        Layer name → GeoDataFrame (or plain DataFrame, written as a table
        without geometry).
    path
        Output ``.gpkg``.
    overwrite
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    final = Path(path)
    with atomic_output(final, overwrite=overwrite) as tmp:
        for i, (name, gdf) in enumerate(layers.items()):
            if isinstance(gdf, gpd.GeoDataFrame):
                pyogrio.write_dataframe(_gpkg_safe(gdf), tmp, layer=name, driver="GPKG", append=i > 0,
                                        layer_options={"SPATIAL_INDEX": "YES"})
            else:
                pyogrio.write_dataframe(pd.DataFrame(gdf), tmp, layer=name, driver="GPKG", append=i > 0)
    return final


def gpkg_layer_counts(path: str | os.PathLike) -> dict[str, int]:
    """Feature count of every layer in a GeoPackage (as listed by GDAL)."""
    out = {}
    for name, _geom in pyogrio.list_layers(path):
        out[str(name)] = int(pyogrio.read_info(path, layer=name)["features"])
    return out


def write_html(html_text: str, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write an HTML document (UTF-8) atomically."""
    final = Path(path)
    with atomic_output(final, overwrite=overwrite) as tmp:
        tmp.write_text(html_text, encoding="utf-8")
    return final


def write_csv(df: pd.DataFrame, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a table as CSV in UTF-8 with BOM (so Excel shows the Chinese), atomically."""
    final = Path(path)
    with atomic_output(final, overwrite=overwrite) as tmp:
        df.to_csv(tmp, index=False, encoding="utf-8-sig")
    return final


def write_geotiff(
    array: np.ndarray,
    transform,
    crs,
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    nodata: float = -9999.0,
    description: str = "",
    units: str = "minutes",
) -> Path:
    """Write a single-band float raster as a tiled, DEFLATE-compressed GeoTIFF with overviews.

    NaN cells are written as ``nodata``. The CRS is written as it is (the
    projected CRS the analysis used).
    """
    import rasterio
    from rasterio.enums import Resampling

    final = Path(path)
    data = np.where(np.isfinite(array), array, nodata).astype("float32")
    height, width = data.shape
    profile = {
        "driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "float32",
        "crs": crs, "transform": transform, "nodata": nodata, "tiled": True, "blockxsize": 256,
        "blockysize": 256, "compress": "deflate", "predictor": 3,
    }
    with atomic_output(final, overwrite=overwrite) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(data, 1)
            dst.set_band_description(1, description or units)
            dst.update_tags(1, units=units)
            factors = [f for f in (2, 4, 8, 16) if min(width, height) // f >= 8]
            if factors:
                dst.build_overviews(factors, Resampling.average)
                dst.update_tags(ns="rio_overview", resampling="average")
    return final
