"""Writing outputs: GeoPackage, shapefiles, HTML map and tables, always atomically.

Every writer builds its file beside the final path and renames it into place
(:func:`spatial_planner.io.atomic_output`), so an interrupted run leaves the
previous outputs intact and never a half-written file. :func:`write_shapefiles`
does the same with a whole folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from rasterio.enums import Resampling

from ._atomic import atomic_output, check_free
from .qml import qml_sidecar

__all__ = ["write_csv", "write_geotiff", "write_html", "write_text"]


def write_text(text: str, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a text file (UTF-8; an HTML page, a QGIS project or style, Markdown) atomically."""
    final = Path(path)
    with atomic_output(final, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return final


def write_html(html_text: str, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write an HTML document (UTF-8) atomically."""
    return write_text(html_text, path, overwrite=overwrite)


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
    style: str | None = None,
) -> Path:
    """Write a single-band float raster as a tiled, DEFLATE-compressed GeoTIFF with overviews.

    NaN cells are written as ``nodata``. The CRS is written as it is (the
    projected CRS the analysis used). With ``style`` (QML text, for example
    :func:`spatial_planner.outputs.qgis.time_raster_style`), the style is
    written beside the raster as ``<name>.qml``, which QGIS applies when it
    opens the raster; both files are checked for ``overwrite`` before either
    is written.
    """
    final = Path(path)
    check_free([final, qml_sidecar(final)] if style is not None else [final], overwrite=overwrite)
    data = np.where(np.isfinite(array), array, nodata).astype("float32")
    height, width = data.shape
    profile = {
        "driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "float32",
        "crs": crs, "transform": transform, "nodata": nodata, "tiled": True, "blockxsize": 256,
        "blockysize": 256, "compress": "deflate", "predictor": 3,
    }
    with atomic_output(final, overwrite=overwrite) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data, 1)
        dst.set_band_description(1, description or units)
        dst.update_tags(1, units=units)
        factors = [f for f in (2, 4, 8, 16) if min(width, height) // f >= 8]
        if factors:
            dst.build_overviews(factors, Resampling.average)
            dst.update_tags(ns="rio_overview", resampling="average")
    if style is not None:
        write_text(style, qml_sidecar(final), overwrite=overwrite)
    return final


# --------------------------------------------------------------------------- shapefiles

