"""Reading layers: the built-in Henan data and user files.

* :func:`read_builtin` / :func:`load_henan` give the built-in layers.
* :func:`read_layer` reads GeoPackage, Shapefile (plain or zipped), GeoJSON and
  CSV (lon/lat columns or a WKT column), detects GBK/GB18030 shapefiles that
  lack a ``.cpg``, maps user column names onto the schema and brings the layer
  to CGCS2000 (EPSG:4490).
* :func:`atomic_output` writes an output next to its final path and renames it
  into place, so a failed run never leaves a half-written file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from .._errors import (
    DataFileError,
    DataWarning,
    EmptyLayerError,
    EncodingError,
    InvalidGeometryError,
    MissingColumnError,
    NoCRSError,
    UnexpectedCRSError,
    cause_text,
)
from ..crs import CGCS2000
from ..schema import LAYER_ORDER, schema_for
from .builtin import BUILTIN_LAYERS, builtin_extent, read_builtin
from .checks import (
    check_coordinate_units,
    check_finite_coordinates,
    check_sqlite_file,
    conform_layer,
    convert_from_gcj02,
    feature_ids,
    fix_axis_order,
    geometry_family,
    geometry_type_error,
    normalise_geometry_types,
)
from .encoding import detect_dbf_encoding, guess_text_encoding
from .osm import read_osm
from .shapefile import full_field_names

__all__ = ["read_layer", "read_table", "read_source", "load_layers", "LayerSource"]


_LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经")
_LAT_NAMES = ("lat", "latitude", "y", "纬度", "北纬")
_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "几何")


# --------------------------------------------------------------------------- built-in data


# --------------------------------------------------------------------------- user files


def read_layer(
    path: str | os.PathLike,
    *,
    kind: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    crs: str | int | CRS | None = None,
    columns: Mapping[str, str] | None = None,
    from_gcj02: bool = False,
) -> gpd.GeoDataFrame:
    """Read a user layer and bring it to the project's conventions.

    Parameters
    ----------
    path
        A ``.gpkg``, ``.shp``, ``.zip`` (zipped shapefile), ``.geojson``/``.json``
        or ``.csv`` file; or an OpenStreetMap ``.osm`` / ``.osm.pbf`` file for
        ``kind="roads"`` or ``"rail_lines"`` (through :func:`read_osm`, read
        once per file for both layers).
    kind
        Schema to map onto (``"parks"``, ``"counties"``, ...). Without it the
        columns are returned as they are.
    layer
        Layer name inside a multi-layer file such as a GeoPackage.
    encoding
        Attribute encoding. Shapefiles without a ``.cpg`` are detected
        (UTF-8 vs GBK/GB18030) and a :class:`DataWarning` says so.
    crs
        CRS for files that carry none (CSV with a WKT column, a shapefile
        without ``.prj``). A CSV with lon/lat columns defaults to EPSG:4490.
        A file that declares its CRS is never overridden: a mismatch raises.
    columns
        Mapping from the file's column names to schema names.
    from_gcj02
        The coordinates are GCJ-02 (copied from Gaode/AMap, Tencent or another
        Chinese web map): convert them to WGS84/CGCS2000, with a :class:`DataWarning`.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4490, with schema defaults filled in when ``kind`` is given.

    Notes
    -----
    A layer without features (an empty GeoJSON FeatureCollection, a CSV with
    a header only) raises :class:`~spatial_planner.EmptyLayerError` naming the
    file and the layer, before its columns are checked.
    Bad coordinates are caught before anything else is done with them:
    NaN or infinite coordinates raise :class:`~spatial_planner.InvalidGeometryError`;
    projected metres in a layer labelled as degrees (or the reverse, or the
    wrong Gauss-Krüger zone) raise :class:`~spatial_planner.UnexpectedCRSError`
    naming the CRS that fits; swapped longitude/latitude is swapped back with a
    :class:`DataWarning`. With ``kind``, MultiPoints in a point layer are split
    (ids suffixed ``-1``, ``-2``), GeometryCollections keep their parts of the
    layer's type, and a layer of mixed geometry types raises
    :class:`~spatial_planner.InvalidGeometryError` naming the odd features.
    """
    p = Path(path)
    label = f"{p.name}" + (f":{layer}" if layer else "")
    if not p.exists():
        raise DataFileError(f"file not found: {p}", layer=label, fix="check the path in the config or command line.")
    if p.is_file() and p.stat().st_size == 0:
        raise DataFileError(f"file is empty: {p}", layer=label, fix="re-export the layer from its source.")
    suffix = p.suffix.lower()
    if suffix == ".gpkg" and p.is_file():
        check_sqlite_file(p, label)
    if suffix in (".osm", ".pbf"):
        gdf = _osm_layer(p, kind, label)
    elif suffix == ".csv":
        gdf = _read_csv(p, label, encoding=encoding, crs=crs)
    elif suffix in (".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb", ".gml", ".kml"):
        gdf = _read_ogr(p, label, layer=layer, encoding=encoding)
    else:
        raise DataFileError(
            f"unsupported file type '{p.suffix}'", layer=label,
            fix="use GeoPackage (.gpkg), Shapefile (.shp or zipped), GeoJSON or CSV with lon/lat or WKT.",
        )
    if gdf.crs is None:
        if crs is None:
            raise NoCRSError(
                "图层没有坐标参考系 the layer has no CRS", layer=label,
                fix="add the .prj file, or state the CRS (e.g. crs = \"EPSG:4490\" in [layers.<name>] or --crs).",
            )
        gdf = gdf.set_crs(crs)
    elif crs is not None and CRS.from_user_input(crs) != gdf.crs:
        raise UnexpectedCRSError(
            f"the file declares {gdf.crs.to_string()} but {CRS.from_user_input(crs).to_string()} was requested",
            layer=label, fix="drop the crs setting (the file's own CRS is used) or fix the file's .prj.",
        )
    if suffix == ".shp":
        gdf = gdf.rename(columns=full_field_names(p))
    if columns:
        gdf = gdf.rename(columns=dict(columns))
    gdf = _check_coordinates(gdf, kind, label)
    if from_gcj02:
        gdf = convert_from_gcj02(gdf, label)
    gdf = conform_layer(gdf, kind, label)
    if kind is not None and kind in LAYER_ORDER:
        gdf = _check_geometry_types(gdf, kind, label)
    return gdf


def _check_coordinates(gdf: gpd.GeoDataFrame, kind: str | None, label: str) -> gpd.GeoDataFrame:
    """NaN coordinates, CRS units and axis order, checked in the layer's own CRS (before any transformation)."""
    if len(gdf) == 0 or gdf.crs is None:
        return gdf
    ids = feature_ids(gdf, kind)
    check_finite_coordinates(gdf, label, ids)
    check_coordinate_units(gdf, label, ids, reference_bounds=builtin_extent())
    return fix_axis_order(gdf, label, ids)


def _check_geometry_types(gdf: gpd.GeoDataFrame, kind: str, label: str) -> gpd.GeoDataFrame:
    """Split MultiPoints, unpack GeometryCollections, reject a layer that mixes geometry types.

    A layer wholly of another type than its schema's is left to
    :func:`~spatial_planner.validate.validate_layer`, which names it along with
    the layer's other problems.
    """
    schema = schema_for(kind)
    gdf = normalise_geometry_types(gdf, schema.geometry, label=label, id_column=schema.id_column)
    geoms = gdf.geometry.values
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    types = np.array([g.geom_type if ok else None for g, ok in zip(geoms, present)], dtype=object)
    families = {geometry_family(t) or t for t in types[present]}
    if len(families) > 1:
        expected = schema.geometry if schema.geometry in families else None
        _, err = geometry_type_error(types, expected, label=label, ids=feature_ids(gdf, kind))
        if err is not None:
            raise err
    return gdf


def _read_ogr(p: Path, label: str, *, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    target: str | Path = p
    shp_for_encoding: Path | None = p if p.suffix.lower() == ".shp" else None
    tmpdir: str | None = None
    if p.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(p) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile as exc:
            raise DataFileError(f"{p.name} is not a valid zip file ({cause_text(exc)})", layer=label,
                                fix="re-create the zip archive.") from exc
        shps = [n for n in names if n.lower().endswith(".shp")]
        if not shps:
            raise DataFileError(f"{p.name} holds no .shp file", layer=label, fix="zip the shapefile's parts together.")
        stem = shps[0][:-4]
        missing = [ext for ext in (".shx", ".dbf") if not any(n.lower() == (stem + ext).lower() for n in names)]
        if missing:
            raise DataFileError(
                f"{p.name}: shapefile {shps[0]} lacks its {', '.join(missing)} part(s)", layer=label,
                fix="zip all parts of the shapefile (.shp, .shx, .dbf, .prj, .cpg) together.",
            )
        target = f"/vsizip/{p}/{shps[0]}"
        if encoding is None and not any(n.lower() == (stem + ".cpg").lower() for n in names):
            tmpdir = tempfile.mkdtemp(prefix="sp_zip_")
            with zipfile.ZipFile(p) as zf:
                zf.extract(stem + ".dbf" if (stem + ".dbf") in names else
                           next(n for n in names if n.lower() == (stem + ".dbf").lower()), tmpdir)
            shp_for_encoding = Path(tmpdir) / (stem + ".shp")
    if p.suffix.lower() == ".shp" and not p.with_suffix(".shx").exists():
        raise DataFileError(f"{p.name}: the index file {p.with_suffix('.shx').name} is missing", layer=label,
                            fix="copy the .shx next to the .shp (GDAL can rebuild it: SHAPE_RESTORE_SHX=YES).")
    if shp_for_encoding is not None and encoding is None:
        try:
            enc, how = detect_dbf_encoding(shp_for_encoding)
        finally:
            if tmpdir is not None:
                shutil.rmtree(tmpdir, ignore_errors=True)
        if how == "ambiguous":
            warnings.warn(f"[{label}] 未找到 .cpg 文件；属性字节虽是合法的 UTF-8，但只有按 {enc} 读取才是中文，"
                          f"故按 {enc} 读取 / no .cpg file: the attribute bytes are valid UTF-8 but read as "
                          f"Chinese text only as {enc}, so they were read as {enc}. Add a .cpg file to make this "
                          "explicit.", DataWarning, stacklevel=3)
        elif how == "detected" and enc != "UTF-8":
            warnings.warn(f"[{label}] 未找到 .cpg 文件，按 {enc} 读取属性 / no .cpg file: attributes read as {enc} "
                          "(detected). Add a .cpg file to make this explicit.", DataWarning, stacklevel=3)
        encoding = enc
    kwargs = {}
    if encoding:
        kwargs["encoding"] = encoding
    try:
        if layer is None and p.suffix.lower() == ".gpkg":
            layers = pyogrio.list_layers(p)
            if len(layers) > 1:
                raise DataFileError(
                    f"{p.name} holds {len(layers)} layers ({', '.join(str(n) for n in layers[:, 0])})",
                    layer=label, fix="name one with `layer = \"...\"` in the config or --layer.",
                )
        if layer is not None and not str(layer).isdigit():
            names = [str(n) for n in pyogrio.list_layers(target)[:, 0]]
            if layer not in names:
                raise DataFileError(
                    f"{p.name} 中没有图层 has no layer '{layer}'; it holds: {', '.join(names) or '(none)'}",
                    layer=label, fix=f"use one of these layer names: {', '.join(names)}." if names else
                    "check that this is the right file.",
                )
        gdf = pyogrio.read_dataframe(target, layer=layer, **kwargs)
        if len(gdf) == 0:
            raise _empty_layer(p, label, _layer_name(target, layer))
    except (DataFileError, EmptyLayerError):
        raise
    except UnicodeDecodeError as exc:
        raise EncodingError(f"cannot decode attributes as {encoding}: {cause_text(exc)}", layer=label,
                            fix="state the right encoding (encoding = \"GBK\") or add a .cpg file.") from exc
    except Exception as exc:  # pyogrio.errors.DataSourceError, DataLayerError, ...
        raise DataFileError(
            f"cannot read {p.name}: {cause_text(exc)}", layer=label,
            fix="check that the file is complete and of the format its extension says (open it in QGIS to see).",
        ) from exc
    return gdf


def _layer_name(target: str | Path, layer: str | None) -> str:
    """The name of the layer read from ``target``: ``layer``, or the name of the layer at that index or first."""
    if layer is not None and not str(layer).isdigit():
        return str(layer)
    names = pyogrio.list_layers(target)[:, 0]
    return str(names[int(layer or 0)])


def _empty_layer(p: Path, label: str, layer: str | None) -> EmptyLayerError:
    """The error for a file whose layer (or, for a CSV, whose table) has no features."""
    if layer is None:
        return EmptyLayerError(f"{p.name} 没有数据行 has no features: a header but no rows", layer=label,
                               fix="add the rows below the header, or export the table again with its rows.")
    return EmptyLayerError(
        f"{p.name} 的图层 '{layer}' 没有要素 layer '{layer}' of {p.name} has no features", layer=label,
        fix="export the layer again with its features (a filter or selection that matched nothing is a common "
            "cause), or name the layer that holds them (layer = \"...\" in the config).",
    )


def _find_column(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {str(c).strip().lower(): c for c in df.columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def read_table(path: str | os.PathLike, *, encoding: str | None = None, label: str | None = None
                   ) -> pd.DataFrame:
    """A CSV as text columns: UTF-8 (with or without BOM) or, failing that, GB18030 with a warning."""
    p = Path(path)
    label = label or p.name
    if not p.exists():
        raise DataFileError(f"file not found: {p}", layer=label, fix="check the path.")
    encodings = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    last: Exception | None = None
    for enc in encodings:
        try:
            df = pd.read_csv(p, encoding=enc, dtype=str, keep_default_na=False)
            break
        except UnicodeDecodeError as exc:
            last = exc
        except pd.errors.EmptyDataError as exc:
            raise DataFileError(f"{p.name} has no rows or header ({cause_text(exc)})", layer=label,
                                fix="write a header row.") from exc
        except pd.errors.ParserError as exc:
            raise DataFileError(f"{p.name} is not a well-formed CSV: {cause_text(exc)}", layer=label,
                                fix="check quoting and the number of fields per line.") from exc
    else:
        raise EncodingError(f"cannot decode {p.name} as {' or '.join(encodings)}: {last}", layer=label,
                            fix="save the CSV as UTF-8 (or state encoding = \"GBK\").")
    if enc == "gb18030" and encoding is None:
        warnings.warn(f"[{label}] CSV 按 GB18030 读取 / CSV read as GB18030 (not UTF-8).", DataWarning, stacklevel=3)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _read_csv(p: Path, label: str, *, encoding: str | None, crs) -> gpd.GeoDataFrame:
    if encoding is None:
        _, how = guess_text_encoding(p.read_bytes().removeprefix(b"\xef\xbb\xbf"))
        if how == "ambiguous":
            warnings.warn(f"[{label}] CSV 字节虽是合法的 UTF-8，但只有按 GB18030 读取才是中文，故按 GB18030 读取 / "
                          "the CSV's bytes are valid UTF-8 but read as Chinese text only as GB18030, so they were "
                          "read as GB18030. Save it as UTF-8 (or state encoding = \"GBK\") to make this explicit.",
                          DataWarning, stacklevel=3)
            encoding = "gb18030"
    df = read_table(p, encoding=encoding, label=label)
    if df.empty:
        raise _empty_layer(p, label, None)
    lon_c, lat_c = _find_column(df, _LON_NAMES), _find_column(df, _LAT_NAMES)
    wkt_c = _find_column(df, _WKT_NAMES)
    if lon_c is not None and lat_c is not None:
        lon = pd.to_numeric(df[lon_c], errors="coerce")
        lat = pd.to_numeric(df[lat_c], errors="coerce")
        bad = df.index[lon.isna() | lat.isna()].tolist()
        if bad:
            raise InvalidGeometryError(
                f"non-numeric or empty coordinates in columns '{lon_c}'/'{lat_c}'", layer=label,
                ids=[i + 2 for i in bad], fix="fill in numeric lon/lat (decimal degrees) on those CSV lines.",
            )
        geom = gpd.points_from_xy(lon, lat)
        gdf = gpd.GeoDataFrame(df.drop(columns=[lon_c, lat_c]), geometry=geom, crs=crs or CGCS2000)
    elif wkt_c is not None:
        try:
            geom = shapely.from_wkt(df[wkt_c].replace("", None))
        except shapely.errors.GEOSException as exc:
            raise DataFileError(f"column '{wkt_c}' holds invalid WKT: {cause_text(exc)}", layer=label,
                                fix="write geometries as WKT, e.g. POINT (113.6 34.7).") from exc
        gdf = gpd.GeoDataFrame(df.drop(columns=[wkt_c]), geometry=geom, crs=crs)
    else:
        raise MissingColumnError(
            ["lon/lat (经度/纬度) or wkt"], layer=label, available=list(df.columns),
            fix="add longitude and latitude columns (lon, lat / 经度, 纬度) or a WKT column named wkt.",
        )
    return gdf


# --------------------------------------------------------------------------- atomic output


def read_source(kind: str, spec: LayerSource | None = None) -> gpd.GeoDataFrame:
    """Read one layer as a :class:`LayerSource` says: the built-in layer, or a file with its reading options."""
    if spec is None or spec.source == "builtin":
        return read_builtin(kind)
    return read_layer(spec.source, kind=kind, layer=spec.layer or None, encoding=spec.encoding or None,
                      crs=spec.crs or None, columns=spec.columns or None, from_gcj02=spec.from_gcj02)


def load_layers(sources: Mapping[str, LayerSource] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Load every layer (the built-in Henan data for any layer not in ``sources``).

    Parameters
    ----------
    sources
        Layer name → :class:`LayerSource`, as in a config's ``[layers]`` table
        (``Config.layers``); ``None`` means the built-in data throughout.

    Returns
    -------
    dict
        Layer name → GeoDataFrame in EPSG:4490, in :data:`BUILTIN_LAYERS` order.
    """
    sources = sources or {}
    return {kind: read_source(kind, sources.get(kind)) for kind in BUILTIN_LAYERS}


# --------------------------------------------------------------------------- OpenStreetMap


_OSM_CACHE: dict[tuple, tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]] = {}


def _osm_layer(p: Path, kind: str | None, label: str) -> gpd.GeoDataFrame:
    """The roads or the rail lines of an OSM file, reading the file once for both."""
    if kind not in ("roads", "rail_lines"):
        raise DataFileError(f"an OSM file gives the roads and rail_lines layers, not '{kind or 'a layer'}'",
                            layer=label, fix="give this layer as a GeoPackage, Shapefile, GeoJSON or CSV.")
    stat = p.stat()
    key = (str(p.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _OSM_CACHE:
        _OSM_CACHE.clear()  # one file at a time: a province of OSM roads is large
        _OSM_CACHE[key] = read_osm(p)
    roads, rails = _OSM_CACHE[key]
    return (roads if kind == "roads" else rails).copy()


@dataclass
class LayerSource:
    """Where one layer comes from: ``"builtin"`` or a file path."""

    source: str = "builtin"
    layer: str = ""
    encoding: str = ""
    crs: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    from_gcj02: bool = False
