"""GeoPackage output: every layer in one file, written atomically."""

from __future__ import annotations

import os
import sqlite3
import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .._errors import DataFileError, DataWarning
from ._atomic import atomic_output

__all__ = ["gpkg_layer_counts", "read_styles", "write_geopackage", "write_styles"]


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
    styles: dict[str, str] | None = None,
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
    styles
        Layer name → QGIS QML (for example
        :func:`spatial_planner.outputs.qgis.default_styles`), stored in the
        GeoPackage's ``layer_styles`` table as the layers' default styles
        before the file is renamed into place, so QGIS opens the layers styled.

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
        if styles:
            write_styles(tmp, styles)
    return final


def gpkg_layer_counts(path: str | os.PathLike) -> dict[str, int]:
    """Feature count of every layer in a GeoPackage (as listed by GDAL)."""
    out = {}
    for name, _geom in pyogrio.list_layers(path):
        out[str(name)] = int(pyogrio.read_info(path, layer=name)["features"])
    return out


_LAYER_STYLES_DDL = (
    "CREATE TABLE IF NOT EXISTS layer_styles ("
    "id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256), "
    "f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
    "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
    "update_time DATETIME DEFAULT CURRENT_TIMESTAMP)"
)


_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"


def write_styles(gpkg_path: str | os.PathLike, styles: Mapping[str, str]) -> list[str]:
    """Store QML styles in a GeoPackage's ``layer_styles`` table as the layers' default styles.

    The table has the schema QGIS creates and is registered in
    ``gpkg_contents`` as an attributes table. Each style becomes one row
    (``styleName`` = layer name, ``useAsDefault`` = 1, ``f_geometry_column``
    from ``gpkg_geometry_columns``), replacing earlier rows of the same layer.

    Parameters
    ----------
    gpkg_path
        An existing GeoPackage (closed by its writer).
    styles
        Layer name → QML text.

    Returns
    -------
    list[str]
        The styled layers. A style for a layer the GeoPackage does not hold is
        skipped with a :class:`~spatial_planner.io.DataWarning`.
    """
    path = Path(gpkg_path)
    if not path.is_file():
        raise DataFileError(f"GeoPackage {path} does not exist", layer=str(path),
                            fix="write the layers first (write_geopackage), then their styles.")
    styled: list[str] = []
    con = sqlite3.connect(path)
    try:
        try:
            tables = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
        except sqlite3.DatabaseError as exc:
            raise DataFileError(f"{path.name} is not a GeoPackage ({exc})", layer=str(path),
                                fix="pass the .gpkg written by write_geopackage.") from exc
        geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        missing = [n for n in styles if n not in tables or n == "layer_styles"]
        if missing:
            warnings.warn(f"{path.name}: no layer {', '.join(missing)}; its style is not written", DataWarning,
                          stacklevel=2)
        with con:
            con.execute(_LAYER_STYLES_DDL)
            if "layer_styles" not in tables:
                con.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) "
                    f"VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', {_NOW}, 0)"
                )
            for name, qml in styles.items():
                if name in missing:
                    continue
                con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (name,))
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                    "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                    f"VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, {_NOW})",
                    (name, geom_cols.get(name) or "", name, qml, f"spatial_planner default style of {name}"),
                )
                styled.append(name)
            has_ogr_contents = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_ogr_contents'").fetchone()
            if has_ogr_contents:
                con.execute("DELETE FROM gpkg_ogr_contents WHERE table_name = 'layer_styles'")
                con.execute("INSERT INTO gpkg_ogr_contents (table_name, feature_count) "
                            "SELECT 'layer_styles', COUNT(*) FROM layer_styles")
            con.execute(f"UPDATE gpkg_contents SET last_change = {_NOW} WHERE table_name = 'layer_styles'")
    finally:
        con.close()
    return styled


def read_styles(gpkg_path: str | os.PathLike) -> dict[str, str]:
    """Default QML style of each layer stored in a GeoPackage (layer name → QML; empty without styles)."""
    con = sqlite3.connect(Path(gpkg_path))
    try:
        exists = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'layer_styles'").fetchone()
        if not exists:
            return {}
        rows = con.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault "
                           "ORDER BY update_time, id").fetchall()
    finally:
        con.close()
    return {name: qml for name, qml in rows}
