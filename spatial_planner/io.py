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

import contextlib
import importlib.resources
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from ._detect import (
    GCJ02Check,
    check_coordinate_units,
    check_finite_coordinates,
    check_sqlite_file,
    convert_from_gcj02,
    detect_gcj02,
    feature_ids,
    fix_axis_order,
    geometry_family,
    geometry_type_error,
    guess_text_encoding,
    normalise_geometry_types,
)
from ._errors import DataFileError, EncodingError, MissingColumnError, NoCRSError, UnexpectedCRSError
from .crs import CGCS2000
from .schema import LAYER_ORDER, schema_for

__all__ = [
    "BUILTIN_LAYERS",
    "builtin_dir",
    "read_builtin",
    "read_sectors",
    "load_henan",
    "load_layers",
    "read_layer",
    "detect_dbf_encoding",
    "detect_gcj02",
    "GCJ02Check",
    "atomic_output",
    "DataWarning",
    "read_osm",
    "osm_to_layers",
    "OSM_HIGHWAY_CLASSES",
]

BUILTIN_LAYERS: tuple[str, ...] = LAYER_ORDER

_LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经")
_LAT_NAMES = ("lat", "latitude", "y", "纬度", "北纬")
_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "几何")


class DataWarning(UserWarning):
    """Something in the input was repaired, guessed or converted; the message says what."""


# --------------------------------------------------------------------------- built-in data


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
    return _finish(gdf, name, str(path))


def read_sectors() -> pd.DataFrame:
    """The controlled sector vocabulary: code, name_zh, name_en, colour and notes."""
    path = builtin_dir() / "sectors.csv"
    df = pd.read_csv(path, dtype=str, encoding="utf-8")
    df["advanced_manufacturing"] = df["advanced_manufacturing"].str.lower() == "true"
    return df


def load_henan() -> dict[str, gpd.GeoDataFrame]:
    """All built-in Henan layers, keyed by layer name, in :data:`BUILTIN_LAYERS` order."""
    return {name: read_builtin(name) for name in BUILTIN_LAYERS}


# --------------------------------------------------------------------------- user files


def detect_dbf_encoding(path: str | os.PathLike) -> tuple[str, str]:
    """Guess the text encoding of a shapefile's attribute table.

    Parameters
    ----------
    path
        The ``.shp`` (or ``.dbf``) path.

    Returns
    -------
    (encoding, how)
        ``how`` is ``"cpg"`` when a ``.cpg`` file declares it, ``"ldid"`` when
        the dBase language driver byte does (code page 936: GBK), ``"detected"``
        when the bytes decode one way only, and ``"ambiguous"`` when they are
        valid UTF-8 but make sense only as GBK/GB18030 (read as GB18030).

    Raises
    ------
    EncodingError
        When the text is neither UTF-8 nor GBK/GB18030.
    """
    p = Path(path)
    cpg = p.with_suffix(".cpg")
    if cpg.exists():
        text = cpg.read_text(encoding="ascii", errors="ignore").strip()
        if text:
            return _normalise_encoding(text), "cpg"
    dbf = p.with_suffix(".dbf")
    if not dbf.exists():
        raise DataFileError(f"{p.name}: the attribute table {dbf.name} is missing", layer=str(p),
                            fix="copy the .dbf that belongs to this shapefile next to it.")
    raw = dbf.read_bytes()
    ldid = raw[29] if len(raw) > 29 else 0
    # Decode the record area (after the header) to tell UTF-8 from GB18030.
    header_len = int.from_bytes(raw[8:10], "little") if len(raw) > 10 else 0
    body = raw[header_len:]
    enc, how = guess_text_encoding(body)
    if ldid in (0x4D, 0x7A) and enc is not None:  # dBase code page 936 (GBK)
        try:
            body.decode("gb18030")
            return "GB18030", "ldid"
        except UnicodeDecodeError:
            return enc, "detected"  # the LDID is wrong: the text is not GBK
    if enc is None:
        raise EncodingError(
            f"{dbf.name}: 属性文本既不是 UTF-8 也不是 GBK/GB18030 / attribute text is neither UTF-8 nor GBK/GB18030",
            layer=str(p),
            fix="write a .cpg file naming the encoding (for example 'GBK' or 'UTF-8') next to the shapefile, "
                "or state it (encoding = \"...\" in [layers.<name>]).",
        )
    return enc, "ambiguous" if how == "ambiguous" else "detected"


def _normalise_encoding(name: str) -> str:
    n = name.strip().upper().replace("_", "-")
    aliases = {"936": "GB18030", "CP936": "GB18030", "GBK": "GB18030", "GB2312": "GB18030",
               "65001": "UTF-8", "UTF8": "UTF-8"}
    return aliases.get(n, name.strip())


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
        gdf = gdf.rename(columns=_full_field_names(p))
    if columns:
        gdf = gdf.rename(columns=dict(columns))
    gdf = _check_coordinates(gdf, kind, label)
    if from_gcj02:
        gdf = convert_from_gcj02(gdf, label)
    gdf = _finish(gdf, kind, label)
    if kind is not None and kind in LAYER_ORDER:
        gdf = _check_geometry_types(gdf, kind, label)
    return gdf


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


def _full_field_names(shp: Path) -> dict[str, str]:
    """Full names of a shapefile's truncated fields, from the ``field_names.csv`` that our export writes beside it.

    dBase field names hold 10 characters, so ``design_speed_kmh`` is written
    as ``design_s01``; reading the layer back restores the name the planner
    needs. Any other shapefile (no sidecar, or no row for it) is unchanged.
    """
    sidecar = shp.with_name("field_names.csv")
    if not sidecar.is_file():
        return {}
    try:
        table = pd.read_csv(sidecar, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    if not {"layer", "shapefile_field", "full_name"} <= set(table.columns):
        return {}
    from .export import _file_stem

    rows = table[table["layer"].map(lambda name: shp.stem in (name, _file_stem(name)))]
    return dict(zip(rows["shapefile_field"], rows["full_name"]))


def _check_coordinates(gdf: gpd.GeoDataFrame, kind: str | None, label: str) -> gpd.GeoDataFrame:
    """NaN coordinates, CRS units and axis order, checked in the layer's own CRS (before any transformation)."""
    if len(gdf) == 0 or gdf.crs is None:
        return gdf
    ids = feature_ids(gdf, kind)
    check_finite_coordinates(gdf, label, ids)
    check_coordinate_units(gdf, label, ids)
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
        except zipfile.BadZipFile:
            raise DataFileError(f"{p.name} is not a valid zip file", layer=label,
                                fix="re-create the zip archive.") from None
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
    except DataFileError:
        raise
    except UnicodeDecodeError as exc:
        raise EncodingError(f"cannot decode attributes as {encoding}: {exc.reason}", layer=label,
                            fix="state the right encoding (encoding = \"GBK\") or add a .cpg file.") from None
    except Exception as exc:  # pyogrio.errors.DataSourceError, DataLayerError, ...
        raise DataFileError(
            f"cannot read {p.name}: {exc}", layer=label,
            fix="check that the file is complete and of the format its extension says (open it in QGIS to see).",
        ) from None
    return gdf


def _find_column(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {str(c).strip().lower(): c for c in df.columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def _read_csv_text(path: str | os.PathLike, *, encoding: str | None = None, label: str | None = None
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
        except pd.errors.EmptyDataError:
            raise DataFileError(f"{p.name} has no rows or header", layer=label, fix="write a header row.") from None
        except pd.errors.ParserError as exc:
            raise DataFileError(f"{p.name} is not a well-formed CSV: {exc}", layer=label,
                                fix="check quoting and the number of fields per line.") from None
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
    df = _read_csv_text(p, encoding=encoding, label=label)
    lon_c, lat_c = _find_column(df, _LON_NAMES), _find_column(df, _LAT_NAMES)
    wkt_c = _find_column(df, _WKT_NAMES)
    if lon_c is not None and lat_c is not None:
        lon = pd.to_numeric(df[lon_c], errors="coerce")
        lat = pd.to_numeric(df[lat_c], errors="coerce")
        bad = df.index[lon.isna() | lat.isna()].tolist()
        if bad:
            from ._errors import InvalidGeometryError

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
            raise DataFileError(f"column '{wkt_c}' holds invalid WKT: {exc}", layer=label,
                                fix="write geometries as WKT, e.g. POINT (113.6 34.7).") from None
        gdf = gpd.GeoDataFrame(df.drop(columns=[wkt_c]), geometry=geom, crs=crs)
    else:
        raise MissingColumnError(
            ["lon/lat (经度/纬度) or wkt"], layer=label, available=list(df.columns),
            fix="add longitude and latitude columns (lon, lat / 经度, 纬度) or a WKT column named wkt.",
        )
    return gdf


def _finish(gdf: gpd.GeoDataFrame, kind: str | None, label: str) -> gpd.GeoDataFrame:
    """Bring a freshly read layer to EPSG:4490 and fill the schema's defaults."""
    if gdf.crs is not None and not gdf.crs.equals(CGCS2000):
        gdf = gdf.to_crs(CGCS2000)
    if kind is None or kind not in LAYER_ORDER:
        return gdf
    schema = schema_for(kind)
    missing = [c for c in schema.required if c not in gdf.columns]
    if missing:
        raise MissingColumnError(missing, layer=label, available=[c for c in gdf.columns if c != "geometry"])
    for col, default in schema.optional.items():
        if col not in gdf.columns:
            gdf[col] = default
    id_col = schema.id_column
    gdf[id_col] = gdf[id_col].astype(str)
    return gdf


# --------------------------------------------------------------------------- atomic output


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place on success.

    Parameters
    ----------
    path
        Final output path.
    overwrite
        Replace an existing file. Without it an existing output raises
        :class:`~spatial_planner.OutputExistsError`.
    """
    from ._errors import OutputExistsError

    final = Path(path)
    if final.exists() and not overwrite:
        raise OutputExistsError(f"output exists: {final}", layer=str(final),
                                fix="pass --overwrite, or choose another --out folder.")
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def load_layers(config=None) -> dict[str, gpd.GeoDataFrame]:
    """Load every layer a config names (the built-in Henan data by default).

    Parameters
    ----------
    config
        A :class:`~spatial_planner.config.Config`; ``None`` means the defaults.

    Returns
    -------
    dict
        Layer name → GeoDataFrame in EPSG:4490, in :data:`BUILTIN_LAYERS` order.
    """
    from .config import Config

    config = config or Config()
    layers = {}
    for kind in BUILTIN_LAYERS:
        spec = config.layers.get(kind)
        if spec is None or spec.source == "builtin":
            layers[kind] = read_builtin(kind)
        else:
            layers[kind] = read_layer(
                spec.source, kind=kind, layer=spec.layer or None, encoding=spec.encoding or None,
                crs=spec.crs or None, columns=spec.columns or None, from_gcj02=spec.from_gcj02,
            )
    return layers


# --------------------------------------------------------------------------- OpenStreetMap

#: OSM ``highway`` values kept, and the road class each becomes (speeds: ``network.ROAD_SPEEDS``).
OSM_HIGHWAY_CLASSES: dict[str, str] = {
    "motorway": "motorway", "motorway_link": "link", "trunk": "trunk", "trunk_link": "link",
    "primary": "primary", "primary_link": "link", "secondary": "secondary", "secondary_link": "link",
    "tertiary": "tertiary", "tertiary_link": "link", "unclassified": "unclassified", "residential": "residential",
}


def _first(v):
    return v[0] if isinstance(v, list) and v else v


def _maxspeed_kmh(v) -> float:
    v = _first(v)
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return float("nan")
    text = str(v).strip().lower()
    try:
        if text.endswith("mph"):
            return float(text[:-3].strip()) * 1.609344
        return float(text.split()[0])
    except ValueError:
        return float("nan")


def _rail_class(tags: dict) -> str | None:
    if _first(tags.get("railway")) != "rail":
        return None
    if str(_first(tags.get("highspeed")) or "").lower() == "yes":
        return "hsr"
    usage = str(_first(tags.get("usage")) or "")
    if usage in ("freight", "industrial"):
        return "freight"
    if usage in ("main", "branch", ""):
        return "conventional"
    return None


def osm_to_layers(graph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Convert an OSMnx graph into the planner's ``roads`` and ``rail_lines`` layers.

    ``highway`` classes map through :data:`OSM_HIGHWAY_CLASSES`; ``railway=rail`` becomes
    ``hsr`` (``highspeed=yes``), ``freight`` (``usage=freight|industrial``) or
    ``conventional``. ``maxspeed`` becomes ``design_speed_kmh`` where given; the
    class tables fill the rest when the network is built. One-way streets keep
    ``oneway = True`` with the line drawn in the direction of travel, so the
    network routes them one way only.
    """
    import osmnx as ox

    edges = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True).reset_index()
    # a two-way street is two directed edges in OSMnx: keep one line per street
    pair = pd.Series(list(zip(edges["u"], edges["v"], edges["key"])))
    rev = set(zip(edges["v"], edges["u"], edges["key"]))
    edges = edges[[not (k in rev and k[0] > k[1]) for k in pair]].reset_index(drop=True)
    if "oneway" not in edges:
        edges["oneway"] = False
    if "highway" not in edges:
        edges["highway"] = None
    if "railway" not in edges:
        edges["railway"] = None
    roads, rails = [], []
    for i, e in enumerate(edges.itertuples(index=False)):
        tags = e._asdict()
        name = _first(tags.get("name"))
        name = "" if name is None or (isinstance(name, float) and np.isnan(name)) else str(name)
        ref = _first(tags.get("ref"))
        ref = "" if ref is None or (isinstance(ref, float) and np.isnan(ref)) else str(ref)
        hw = _first(tags.get("highway"))
        if isinstance(hw, str) and hw in OSM_HIGHWAY_CLASSES:
            roads.append({"road_id": f"osm_{e.u}_{e.v}_{e.key}", "name_zh": name, "route_ref": ref,
                          "road_class": OSM_HIGHWAY_CLASSES[hw], "design_speed_kmh": _maxspeed_kmh(tags.get("maxspeed")),
                          "detour_factor": 1.0, "osm_highway": hw, "oneway": _first(tags.get("oneway")) is True,
                          "geometry": e.geometry})
            continue
        rc = _rail_class(tags)
        if rc is not None:
            rails.append({"line_id": f"osm_{e.u}_{e.v}_{e.key}", "name_zh": name, "rail_class": rc,
                          "design_speed_kmh": _maxspeed_kmh(tags.get("maxspeed")), "geometry": e.geometry})
    crs = edges.crs or "EPSG:4326"
    road_gdf = gpd.GeoDataFrame(roads, geometry="geometry", crs=crs) if roads else gpd.GeoDataFrame(
        columns=["road_id", "name_zh", "route_ref", "road_class", "design_speed_kmh", "detour_factor", "osm_highway",
                 "oneway", "geometry"], geometry="geometry", crs=crs)
    rail_gdf = gpd.GeoDataFrame(rails, geometry="geometry", crs=crs) if rails else gpd.GeoDataFrame(
        columns=["line_id", "name_zh", "rail_class", "design_speed_kmh", "geometry"], geometry="geometry", crs=crs)
    return _finish(road_gdf, None, "osm roads"), _finish(rail_gdf, None, "osm rail")


def _osm_settings():
    import osmnx as ox

    for tag in ("railway", "usage", "highspeed", "ref", "maxspeed", "name", "oneway"):
        if tag not in ox.settings.useful_tags_way:
            ox.settings.useful_tags_way = [*ox.settings.useful_tags_way, tag]
    return ox


# ways merge into one line only where these agree: a footway never joins a railway, a one-way
# carriageway never joins a two-way street, and each line keeps one class and speed
_OSM_SIMPLIFY_KEEP = ["highway", "railway", "oneway", "maxspeed", "ref", "name", "usage", "highspeed"]


def _osm_simplify(ox, graph):
    return ox.simplify_graph(graph, edge_attrs_differ=_OSM_SIMPLIFY_KEEP)


def read_osm(
    source: str | os.PathLike | None = None,
    *,
    place: str | None = None,
    polygon=None,
    cache: str | os.PathLike | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Road and rail layers from OpenStreetMap.

    Parameters
    ----------
    source
        A local ``.osm`` XML file (``osmnx.graph_from_xml``) or ``.pbf`` file
        (needs the ``pbf`` extra, pyosmium).
    place, polygon
        Download instead (``osmnx.graph_from_place`` / ``graph_from_polygon``,
        needs internet): a place name such as ``"新乡市, 河南省"`` or a shapely
        polygon in EPSG:4326.
    cache
        A ``.gpkg`` path: read from it when it exists, otherwise write the
        result there (layers ``roads`` and ``rail_lines``). A ``.graphml`` path
        caches the raw OSMnx graph instead.

    Returns
    -------
    (roads, rail_lines)
        GeoDataFrames in EPSG:4490 in the planner's schema.
    """
    if cache is not None and Path(cache).suffix == ".gpkg" and Path(cache).exists():
        return (read_layer(cache, layer="roads"), read_layer(cache, layer="rail_lines"))
    ox = _osm_settings()
    label = str(source or place or "polygon")
    if cache is not None and Path(cache).suffix == ".graphml" and Path(cache).exists():
        graph = ox.load_graphml(cache)
    elif source is not None:
        p = Path(source)
        if not p.exists():
            raise DataFileError(f"file not found: {p}", layer=label, fix="check the path to the .osm/.pbf file.")
        if p.suffix.lower() == ".pbf":
            return _read_pbf(p)
        try:
            graph = _osm_simplify(ox, ox.graph_from_xml(p, simplify=False, retain_all=True))
        except Exception as exc:  # osmnx raises plain exceptions on bad XML
            raise DataFileError(f"cannot read OSM XML {p.name}: {exc}", layer=label,
                                fix="check that the file is complete OSM XML (export it again).") from None
    else:
        filt = ('["highway"~"motorway|trunk|primary|secondary|tertiary|unclassified|residential"]',
                '["railway"="rail"]')
        try:
            if place is not None:
                graph = _osm_simplify(ox, ox.graph_from_place(place, custom_filter=list(filt), simplify=False,
                                                              retain_all=True))
            elif polygon is not None:
                graph = _osm_simplify(ox, ox.graph_from_polygon(polygon, custom_filter=list(filt), simplify=False,
                                                                retain_all=True))
            else:
                raise DataFileError("no OSM source given", fix="pass a .osm/.pbf file, place= or polygon=.")
        except DataFileError:
            raise
        except Exception as exc:
            raise DataFileError(f"OSM download failed: {exc}", layer=label,
                                fix="check the internet connection, or export a .osm file and read it instead.") from None
    if cache is not None and Path(cache).suffix == ".graphml" and not Path(cache).exists():
        ox.save_graphml(graph, cache)
    roads, rails = osm_to_layers(graph)
    if cache is not None and Path(cache).suffix == ".gpkg":
        from .export import write_geopackage

        write_geopackage({"roads": roads, "rail_lines": rails}, cache)
    return roads, rails


def _osm_oneway(tags: dict) -> int:
    """``1`` one-way along the way, ``-1`` against it, ``0`` two-way, as OSMnx reads the same tags."""
    value = tags.get("oneway", "").strip().lower()
    if value in ("-1", "reverse"):
        return -1
    if value in ("yes", "true", "1") or tags.get("junction") == "roundabout":
        return 1
    return 0


def _read_pbf(path: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    try:
        import osmium
    except ImportError:
        raise DataFileError(f"reading {path.name} needs pyosmium", layer=str(path),
                            fix="pip install 'spatial-planner[pbf]', or convert the file to .osm XML.") from None
    from shapely.geometry import LineString

    roads, rails = [], []
    fp = osmium.FileProcessor(str(path)).with_locations().with_filter(osmium.filter.KeyFilter("highway", "railway"))
    for obj in fp:
        if not obj.is_way():
            continue
        try:
            coords = [(n.lon, n.lat) for n in obj.nodes]
        except osmium.InvalidLocationError:
            continue
        if len(coords) < 2:
            continue
        tags = {t.k: t.v for t in obj.tags}
        hw = tags.get("highway")
        name = tags.get("name:zh", tags.get("name", ""))
        if hw in OSM_HIGHWAY_CLASSES:
            oneway = _osm_oneway(tags)
            roads.append({"road_id": f"osm_w{obj.id}", "name_zh": name, "route_ref": tags.get("ref", ""),
                          "road_class": OSM_HIGHWAY_CLASSES[hw], "design_speed_kmh": _maxspeed_kmh(tags.get("maxspeed")),
                          "detour_factor": 1.0, "osm_highway": hw, "oneway": oneway != 0,
                          "geometry": LineString(coords[::-1] if oneway < 0 else coords)})
        else:
            rc = _rail_class(tags)
            if rc:
                rails.append({"line_id": f"osm_w{obj.id}", "name_zh": name, "rail_class": rc,
                              "design_speed_kmh": _maxspeed_kmh(tags.get("maxspeed")), "geometry": LineString(coords)})
    r = gpd.GeoDataFrame(roads, geometry="geometry", crs="EPSG:4326") if roads else gpd.GeoDataFrame(
        columns=["road_id", "road_class", "geometry"], geometry="geometry", crs="EPSG:4326")
    l = gpd.GeoDataFrame(rails, geometry="geometry", crs="EPSG:4326") if rails else gpd.GeoDataFrame(  # noqa: E741
        columns=["line_id", "rail_class", "geometry"], geometry="geometry", crs="EPSG:4326")
    return _finish(r, None, "osm roads"), _finish(l, None, "osm rail")
