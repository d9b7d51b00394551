"""Shapefiles that lose nothing: long field names, long text, GBK, types and multi-geometries restored on reading."""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .._errors import (
    ConfigError,
    DataFileError,
    InvalidGeometryError,
    OutputExistsError,
)
from ..schema import SCHEMAS
from ._atomic import atomic_output, check_free
from .qml import rename_qml_fields

__all__ = [
    "FIELD_NAMES_CSV",
    "FIELD_TYPES_CSV",
    "SHAPEFILE_ENCODINGS",
    "file_stem",
    "full_field_names",
    "read_shapefiles",
    "write_shapefiles",
]

_ENCODING_ALIASES = {"UTF8": "UTF-8", "UTF-8": "UTF-8", "65001": "UTF-8",
                     "GBK": "GBK", "CP936": "GBK", "936": "GBK"}


_DBF_TEXT_BYTES = 254  # longest dBase character field, in bytes of the file's encoding


_DBF_MAX_FIELDS = 255


_GBK_LDID = 0x4D  # dBase language driver id of code page 936 (GBK), for software that ignores .cpg


FIELD_NAMES_CSV = "field_names.csv"


FIELD_TYPES_CSV = "field_types.csv"


_LONG_TEXT_SUFFIX = "_long_text.csv"


_SAFE_FIELD = re.compile(r"[A-Za-z0-9_]{1,10}")


_GEOMETRY_FAMILIES = {
    "Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line",
    "LinearRing": "line", "Polygon": "polygon", "MultiPolygon": "polygon",
}


_MULTI_OF = {"point": shapely.MultiPoint, "line": shapely.MultiLineString, "polygon": shapely.MultiPolygon}


_TEXT_TYPES = ("str", "json", "text", "wkt")


def _has_geometry(df: pd.DataFrame) -> bool:
    """True for a GeoDataFrame with an active geometry column."""
    if not isinstance(df, gpd.GeoDataFrame):
        return False
    try:
        df.geometry  # noqa: B018
    except AttributeError:
        return False
    return True


def _shapefile_encoding(encoding: str) -> str:
    key = str(encoding).strip().upper().replace("_", "-")
    name = _ENCODING_ALIASES.get(key) or _ENCODING_ALIASES.get(key.replace("-", ""))
    if name is None:
        raise ConfigError(f"unsupported shapefile encoding {encoding!r}", key="encoding",
                          fix="use 'UTF-8' (default) or 'GBK' (for older Chinese GIS software).")
    return name


def _is_missing(v: object) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float | np.floating):
        return bool(np.isnan(v))
    return False


def _jsonable(v: object) -> bool:
    if v is None or isinstance(v, str | bool | int | float | np.integer | np.floating | np.bool_):
        return True
    if isinstance(v, list | tuple):
        return all(_jsonable(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _jsonable(x) for k, x in v.items())
    return False


def _json_default(v: object):
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, set | frozenset):
        return sorted(v, key=str)
    return str(v)


def _as_text(s: pd.Series, fn) -> pd.Series:
    return pd.Series([None if _is_missing(v) else fn(v) for v in s], index=s.index, dtype=object)


def _convert_column(s: pd.Series) -> tuple[pd.Series, str, str | None]:
    """A column in a form a dBase table (or CSV) holds, the type to restore, and a note when the type is lost.

    Types: ``str``, numeric dtypes (``int64``, ``Int64``, ``float64`` ...), ``bool``
    and ``boolean`` (stored as 0/1), ``json`` (lists, dicts, mixed scalars as
    JSON text), datetime / timedelta dtypes (ISO text), ``wkt`` (extra
    geometry columns), ``category:<inner>`` and ``text`` (other objects as
    ``str(value)``; the values' Python type is not restored).
    """
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        inner, kind, note = _convert_column(s.astype(object).where(s.notna(), None))
        return inner, f"category:{kind}", note
    if isinstance(dtype, gpd.array.GeometryDtype):
        return _as_text(s, lambda g: g.wkt), "wkt", None
    if pd.api.types.is_bool_dtype(dtype):
        kind = "boolean" if s.isna().any() else "bool"
        return s.astype("Int64") if kind == "boolean" else s.astype("int8"), kind, None
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        fn = (lambda v: v.isoformat()) if pd.api.types.is_datetime64_any_dtype(dtype) else str
        return _as_text(s, fn), str(dtype), None
    if pd.api.types.is_numeric_dtype(dtype):
        return s, str(dtype), None
    if pd.api.types.is_string_dtype(dtype) and dtype != object:
        return s, "str", None
    values = [v for v in s if not _is_missing(v)]
    kinds = {type(v) for v in values}
    if all(isinstance(v, str) for v in values):
        return s.astype(object).where(s.notna(), None), "str", None
    if all(isinstance(v, bool | np.bool_) for v in values):
        kind = "boolean" if len(values) < len(s) else "bool"
        return pd.Series([None if _is_missing(v) else int(v) for v in s], index=s.index, dtype="Int64"), kind, None
    if all(isinstance(v, shapely.Geometry) for v in values):
        return _as_text(s, lambda g: g.wkt), "wkt", None
    if all(_jsonable(v) or isinstance(v, set | frozenset) for v in values):
        return _as_text(s, lambda v: json.dumps(v, ensure_ascii=False, default=_json_default)), "json", None
    names = ", ".join(sorted(k.__name__ for k in kinds))
    return _as_text(s, str), "text", f"values of type {names} written as text"


def _short_field_names(columns: list[str]) -> dict[str, str]:
    """Full name → dBase field name: kept when ASCII-safe and ≤ 10 characters, else 8 characters + a counter."""
    taken = {c.upper() for c in columns if _SAFE_FIELD.fullmatch(c)}
    out = {}
    for c in columns:
        if _SAFE_FIELD.fullmatch(c):
            out[c] = c
            continue
        prefix = re.sub(r"[^A-Za-z0-9_]+", "_", c).strip("_")[:8] or "field"
        n = 1
        while True:
            digits = f"{n:02d}"
            short = prefix[: 10 - len(digits)] + digits
            if short.upper() not in taken:
                break
            n += 1
        taken.add(short.upper())
        out[c] = short
    return out


def file_stem(name: str) -> str:
    stem = re.sub(r'[\x00-\x1f/\\:*?"<>|]+', "_", str(name)).strip(" .")
    return stem or "layer"


def _id_column(name: str, df: pd.DataFrame, columns: list[str]) -> str:
    """The layer's id column when it is usable as a key for sidecar rows, else ``"row"``."""
    schema = SCHEMAS.get(name)
    col = schema.id_column if schema else None
    if col is None or col not in columns or col in ("row", "column", "value"):
        return "row"
    ids = df[col]
    if ids.isna().any() or not ids.is_unique:
        return "row"
    if not (pd.api.types.is_integer_dtype(ids) or pd.api.types.is_string_dtype(ids)):
        return "row"
    return col


class _Prepared:
    """One layer made ready for a shapefile (or a CSV table)."""

    def __init__(self, name: str, stem: str, table: bool):
        self.name, self.stem, self.table = name, stem, table
        self.frame: pd.DataFrame | None = None
        self.short: dict[str, str] = {}
        self.types: list[tuple[str, str, int]] = []
        self.sidecar: pd.DataFrame | None = None
        self.notes: list[str] = []


def _prepare_layer(name: str, df: pd.DataFrame, codec: str, *, table: bool) -> _Prepared:
    prep = _Prepared(name, file_stem(name), table)
    df = df.copy()
    idx = df.index
    if not (isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1 and idx.name is None):
        names = [n if n is not None else "index" for n in idx.names]
        names = [n if n not in df.columns else f"{n}_" for n in names]
        df = df.reset_index(names=names)
        prep.notes.append(f"{name}: the index was written as column(s) {', '.join(map(str, names))}")
    df.columns = [str(c) for c in df.columns]
    geom_col = None
    if not table:
        geom_col = df.geometry.name
        families = {_GEOMETRY_FAMILIES.get(t, t) for t in df.geom_type.dropna().unique()}
        unsupported = families - {"point", "line", "polygon"}
        if unsupported or len(families) > 1:
            raise InvalidGeometryError(
                f"a shapefile holds one geometry kind; the layer has {', '.join(sorted(map(str, families)))}",
                layer=name,
                fix="split the layer by geometry type, or write it to a GeoPackage (write_geopackage).",
            )
        family = families.pop() if families else None
        geoms = df.geometry.dropna()
        all_multi = family is not None and len(geoms) > 0 and bool(geoms.geom_type.str.startswith("Multi").all())
        if df.crs is None:
            prep.notes.append(f"{name}: no CRS, so no .prj is written")
    columns = [c for c in df.columns if c != geom_col]
    if not table and len(columns) > _DBF_MAX_FIELDS:
        raise DataFileError(f"a shapefile holds at most {_DBF_MAX_FIELDS} attributes; the layer has {len(columns)}",
                            layer=name, fix="drop columns, or write the layer to a GeoPackage (write_geopackage).")
    key = _id_column(name, df, columns)
    out: dict[str, pd.Series] = {}
    long_rows: list[tuple[object, str, str]] = []
    for col in columns:
        s, kind, note = _convert_column(df[col])
        if note:
            prep.notes.append(f"{name}.{col}: {note}")
        has_missing = int(bool(df[col].isna().any()))
        prep.types.append((col, kind, has_missing))
        if kind.split(":")[-1] in _TEXT_TYPES or kind.startswith(("datetime64", "timedelta64")):
            stored = []
            for pos, v in enumerate(s):
                if _is_missing(v):
                    stored.append(None)
                    continue
                text = str(v)
                exact = not (text == "" and has_missing)
                if not table:
                    try:
                        data = text.encode(codec)
                    except UnicodeEncodeError:
                        data, exact = text.encode(codec, errors="replace"), False
                    if len(data) > _DBF_TEXT_BYTES:
                        data, exact = data[:_DBF_TEXT_BYTES], False
                    text_out = data.decode(codec, errors="ignore")
                else:
                    text_out = text
                if not exact:
                    long_rows.append((df[key].iloc[pos] if key != "row" else pos, col, str(v)))
                stored.append(text_out)
            s = pd.Series(stored, index=s.index, dtype=object)
        out[col] = s
    if table:
        prep.frame = pd.DataFrame(out, index=df.index)
    else:
        prep.short = _short_field_names(columns)
        frame = pd.DataFrame({prep.short[c]: out[c] for c in columns}, index=df.index)
        prep.frame = gpd.GeoDataFrame(frame, geometry=df.geometry.values, crs=df.crs)
        prep.types.append((geom_col, f"geometry:{'multi' if all_multi else 'any'}", 0))
    if long_rows:
        prep.sidecar = pd.DataFrame(long_rows, columns=[key, "column", "value"])
        prep.notes.append(
            f"{name}: {len(long_rows)} text value(s) a {'CSV' if table else 'dBase'} field cannot hold exactly "
            f"(over {_DBF_TEXT_BYTES} bytes, not encodable in {codec.upper()}, or empty text beside missing values) "
            f"are written in full to {prep.stem}{_LONG_TEXT_SUFFIX}"
        )
    return prep


def write_shapefiles(
    layers: Mapping[str, pd.DataFrame],
    folder: str | os.PathLike,
    *,
    encoding: str = "UTF-8",
    overwrite: bool = False,
    styles: Mapping[str, str] | None = None,
) -> dict:
    """Write each layer as a shapefile into one folder, atomically, losing no attribute.

    The folder is built as a temporary sibling and renamed into place, so an
    interrupted write leaves the previous folder intact.

    What a shapefile cannot hold is handled, never dropped:

    * field names that are longer than 10 characters or not ASCII letters,
      digits and ``_`` get short names: their first 8 ASCII-safe characters
      plus a 2-digit counter (``design_speed_kmh`` → ``design_s01``), unique
      within the layer; the mapping is written to ``field_names.csv``
      (UTF-8 with BOM; ``layer,shapefile_field,full_name``) and returned;
    * booleans become 0/1 integers; lists, dicts and mixed values become JSON
      text; datetimes become ISO 8601 text; other objects become text;
      ``field_types.csv`` (``layer,field,type,has_missing``) records every
      column's type so :func:`read_shapefiles` restores it;
    * text a dBase field cannot hold exactly (over 254 bytes in the chosen
      encoding, characters the encoding lacks, or empty text in a column that
      also has missing values, since dBase cannot tell them apart) is written
      truncated and in full to ``<layer>_long_text.csv`` (UTF-8 with BOM;
      columns: the layer's id column, or ``row`` for the row number, then
      ``column`` and ``value``);
    * plain DataFrames (no geometry) are written as ``<layer>.csv`` (UTF-8
      with BOM).

    Doubles are stored with 15 decimals (the dBase numeric field), so values
    below about 8 in magnitude may change in their last binary digits.

    Parameters
    ----------
    layers
        Layer name → GeoDataFrame (or DataFrame).
    folder
        Output folder; one ``<layer>.shp`` (with ``.shx``, ``.dbf``,
        ``.prj``, ``.cpg``) per layer.
    encoding
        ``"UTF-8"`` or ``"GBK"`` (for older Chinese GIS software); written
        to each ``.cpg`` (and, for GBK, to the ``.dbf`` language driver byte).
    overwrite
        Replace an existing folder.
    styles
        Layer name → QGIS style (QML) naming the layer's full field names
        (for example :func:`spatial_planner.outputs.qgis.default_styles`):
        written as ``<layer>.qml`` beside ``<layer>.shp``, with its field
        references renamed to the shapefile's field names
        (:func:`~spatial_planner.io.rename_qml_fields`), so that QGIS opens
        the shapefile styled. Styles of tables and of layers not written are
        ignored.

    Returns
    -------
    dict
        ``folder`` (Path), ``encoding``, ``files`` (layer → written path),
        ``styles`` (layer → written ``.qml``),
        ``field_names`` (layer → {shapefile field → full name}, renamed fields
        only), ``field_names_csv``, ``field_types_csv``, ``long_text``
        (layer → {"file": Path, "values": count}) and ``notes`` (list of
        what was converted, in words).

    Raises
    ------
    OutputExistsError
        The folder exists and ``overwrite`` is False.
    InvalidGeometryError
        A layer mixes geometry kinds (Point and Polygon, say) or holds
        geometry collections.
    """
    enc = _shapefile_encoding(encoding)
    codec = SHAPEFILE_ENCODINGS[enc]
    styles = dict(styles or {})
    final = Path(folder)
    if final.exists() and not final.is_dir():
        raise OutputExistsError(f"output exists and is not a folder: {final}", layer=str(final),
                                fix="choose another folder for the shapefiles.")
    check_free([final], overwrite=overwrite)
    prepared = []
    for name, df in layers.items():
        prepared.append(_prepare_layer(str(name), df, codec, table=not _has_geometry(df)))
    files: dict[str, str] = {}
    reserved = {FIELD_NAMES_CSV.lower(), FIELD_TYPES_CSV.lower()}
    for p in prepared:
        wanted = [f"{p.stem}.csv"] if p.table else [f"{p.stem}.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")]
        if not p.table and p.name in styles:
            wanted.append(f"{p.stem}.qml")
        if p.sidecar is not None:
            wanted.append(f"{p.stem}{_LONG_TEXT_SUFFIX}")
        for fname in wanted:
            if fname.lower() in reserved or fname.lower() in files:
                raise DataFileError(f"layer '{p.name}' would overwrite {fname}", layer=p.name,
                                    fix="rename the layer so that each layer gets its own file names.")
            files[fname.lower()] = p.name
    result = {"folder": final, "encoding": enc, "files": {}, "styles": {}, "field_names": {}, "long_text": {},
              "field_names_csv": final / FIELD_NAMES_CSV, "field_types_csv": final / FIELD_TYPES_CSV, "notes": []}
    with atomic_output(final, overwrite=overwrite, folder=True) as tmp:
        name_rows, type_rows = [], []
        for p in prepared:
            if p.table:
                p.frame.to_csv(tmp / f"{p.stem}.csv", index=False, encoding="utf-8-sig")
                result["files"][p.name] = final / f"{p.stem}.csv"
                p.notes.insert(0, f"{p.name}: no geometry, written as {p.stem}.csv (UTF-8 with BOM)")
            else:
                shp = tmp / f"{p.stem}.shp"
                with warnings.catch_warnings():
                    warnings.simplefilter("error", RuntimeWarning)  # GDAL truncation warnings must not pass
                    pyogrio.write_dataframe(p.frame, shp, driver="ESRI Shapefile", encoding=enc)
                _check_cpg(shp, enc)
                result["files"][p.name] = final / f"{p.stem}.shp"
                if p.name in styles:
                    (tmp / f"{p.stem}.qml").write_text(rename_qml_fields(styles[p.name], p.short), encoding="utf-8")
                    result["styles"][p.name] = final / f"{p.stem}.qml"
                renamed = {short: full for full, short in p.short.items() if short != full}
                result["field_names"][p.name] = renamed
                name_rows += [(p.name, short, full) for short, full in renamed.items()]
            type_rows += [(p.name, col, kind, miss) for col, kind, miss in p.types]
            if p.sidecar is not None:
                p.sidecar.to_csv(tmp / f"{p.stem}{_LONG_TEXT_SUFFIX}", index=False, encoding="utf-8-sig")
                result["long_text"][p.name] = {"file": final / f"{p.stem}{_LONG_TEXT_SUFFIX}",
                                               "values": len(p.sidecar)}
            result["notes"] += p.notes
        pd.DataFrame(name_rows, columns=["layer", "shapefile_field", "full_name"]).to_csv(
            tmp / FIELD_NAMES_CSV, index=False, encoding="utf-8-sig")
        pd.DataFrame(type_rows, columns=["layer", "field", "type", "has_missing"]).to_csv(
            tmp / FIELD_TYPES_CSV, index=False, encoding="utf-8-sig")
    return result


def _check_cpg(shp: Path, enc: str) -> None:
    """Make sure the ``.cpg`` names the encoding; for GBK also set the ``.dbf`` language driver byte."""
    cpg = shp.with_suffix(".cpg")
    if not cpg.exists() or cpg.read_text(encoding="ascii", errors="ignore").strip().upper() != enc:
        cpg.write_text(enc, encoding="ascii")
    if enc == "GBK":
        dbf = shp.with_suffix(".dbf")
        with open(dbf, "r+b") as f:
            f.seek(29)
            if f.read(1) == b"\x00":
                f.seek(29)
                f.write(bytes([_GBK_LDID]))


def _restore_column(s: pd.Series, kind: str, has_missing: bool) -> pd.Series:
    """The column as it was before :func:`_convert_column` (see its type names)."""
    if kind.startswith("category:"):
        return _restore_column(s, kind.split(":", 1)[1], has_missing).astype("category")
    present = s.notna()
    if kind == "str":
        out = s.astype("str")  # pandas' default string dtype; missing values stay missing
        return out if has_missing else out.fillna("")
    if kind == "json":
        return pd.Series([json.loads(v) if isinstance(v, str) else None for v in s.where(present, None)],
                         index=s.index, dtype=object)
    if kind == "text":
        return s
    if kind == "wkt":
        return gpd.GeoSeries.from_wkt(s.where(present, None))
    if kind in ("bool", "boolean"):
        num = pd.to_numeric(s, errors="coerce")
        if kind == "bool":
            return num.fillna(0).astype(bool)
        return num.astype("Int64").astype("boolean")
    if kind.startswith("datetime64"):
        dtype = pd.api.types.pandas_dtype(kind)
        if isinstance(dtype, pd.DatetimeTZDtype):
            return pd.to_datetime(s, utc=True, format="ISO8601").dt.tz_convert(dtype.tz).astype(dtype)
        return pd.to_datetime(s, format="ISO8601").astype(dtype)
    if kind.startswith("timedelta64"):
        return pd.to_timedelta(s).astype(kind)
    try:
        dtype = pd.api.types.pandas_dtype(kind)
    except TypeError:
        return s
    if pd.api.types.is_numeric_dtype(dtype):
        num = pd.to_numeric(s, errors="coerce") if not pd.api.types.is_numeric_dtype(s) else s
        if pd.api.types.is_integer_dtype(dtype) and not isinstance(dtype, pd.api.extensions.ExtensionDtype) \
                and num.isna().any():
            return num.astype("Int64")
        return num.astype(dtype)
    return s


def _apply_sidecar(df: pd.DataFrame, sidecar: pd.DataFrame, layer: str) -> None:
    key = sidecar.columns[0]
    if key == "row":
        positions = sidecar["row"].astype(int).tolist()
    else:
        if key not in df.columns:
            raise DataFileError(f"{layer}{_LONG_TEXT_SUFFIX}: key column '{key}' is not in the layer", layer=layer,
                                fix="keep the shapefile and its sidecar files together, unedited.")
        where = {str(v): i for i, v in enumerate(df[key])}
        missing = [k for k in sidecar[key] if k not in where]
        if missing:
            raise DataFileError(f"{layer}{_LONG_TEXT_SUFFIX}: ids not in the layer: {', '.join(missing[:5])}",
                                layer=layer, fix="keep the shapefile and its sidecar files together, unedited.")
        positions = [where[k] for k in sidecar[key]]
    for pos, col, value in zip(positions, sidecar["column"], sidecar["value"]):
        if col not in df.columns:
            continue
        if df[col].dtype != object:
            df[col] = df[col].astype(object)
        df.iat[pos, df.columns.get_loc(col)] = value


def _read_cpg(shp: Path) -> str | None:
    cpg = shp.with_suffix(".cpg")
    if cpg.exists():
        text = cpg.read_text(encoding="ascii", errors="ignore").strip()
        return text or None
    return None


def read_shapefiles(folder: str | os.PathLike) -> dict[str, pd.DataFrame]:
    """Read a folder written by :func:`write_shapefiles` back, as it was.

    Full field names come back from ``field_names.csv``, column types from
    ``field_types.csv`` and text a dBase field could not hold from the
    ``<layer>_long_text.csv`` sidecars. Layers come back in the order they
    were written; ``.csv`` tables come back as DataFrames.

    Parameters
    ----------
    folder
        The folder.

    Returns
    -------
    dict[str, geopandas.GeoDataFrame]
        Layer name → GeoDataFrame (DataFrame for tables).
    """
    root = Path(folder)
    if not root.is_dir():
        raise DataFileError(f"no such folder: {root}", layer=str(root), fix="pass the folder write_shapefiles wrote.")
    read_csv = lambda p: pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    names = read_csv(root / FIELD_NAMES_CSV) if (root / FIELD_NAMES_CSV).exists() else None
    types = read_csv(root / FIELD_TYPES_CSV) if (root / FIELD_TYPES_CSV).exists() else None
    if types is not None:
        order = list(dict.fromkeys(types["layer"]))
    else:
        order = sorted(p.stem for p in root.glob("*.shp"))
    out: dict[str, pd.DataFrame] = {}
    for layer in order:
        stem = file_stem(layer)
        ltypes = types[types["layer"] == layer] if types is not None else None
        shp = root / f"{stem}.shp"
        if shp.exists():
            df = pyogrio.read_dataframe(shp, encoding=_read_cpg(shp))
            if names is not None:
                rename = dict(zip(names.loc[names["layer"] == layer, "shapefile_field"],
                                  names.loc[names["layer"] == layer, "full_name"]))
                df = df.rename(columns=rename)
        elif (root / f"{stem}.csv").exists():
            df = pd.read_csv(root / f"{stem}.csv", dtype=str, keep_default_na=False, na_values=[""],
                             encoding="utf-8-sig")
        else:
            raise DataFileError(f"layer '{layer}' is listed in {FIELD_TYPES_CSV} but {stem}.shp is missing",
                                layer=str(root), fix="copy the whole folder, not single files.")
        sidecar = root / f"{stem}{_LONG_TEXT_SUFFIX}"
        if sidecar.exists():
            _apply_sidecar(df, read_csv(sidecar), layer)
        if ltypes is not None:
            geom_kind = None
            columns = []
            for col, kind, miss in zip(ltypes["field"], ltypes["type"], ltypes["has_missing"]):
                if kind.startswith("geometry"):
                    geom_kind = (col, kind)
                    columns.append(col)
                    continue
                if col in df.columns:
                    df[col] = _restore_column(df[col], kind, miss == "1")
                    columns.append(col)
            if geom_kind is not None and isinstance(df, gpd.GeoDataFrame):
                col, kind = geom_kind
                if kind.endswith(":multi"):
                    df[df.geometry.name] = _promote_to_multi(df.geometry)
                if col != df.geometry.name:
                    df = df.rename_geometry(col)
            extra = [c for c in df.columns if c not in columns]
            df = df[columns + extra]
        out[layer] = df
    return out


def _promote_to_multi(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    def promote(g):
        if g is None or g.is_empty or g.geom_type.startswith("Multi"):
            return g
        family = _GEOMETRY_FAMILIES.get(g.geom_type)
        return _MULTI_OF[family]([g]) if family else g

    return gpd.GeoSeries([promote(g) for g in geoms], index=geoms.index, crs=geoms.crs)


#: Encodings :func:`write_shapefiles` offers: name written to the ``.cpg`` → Python codec.
SHAPEFILE_ENCODINGS: dict[str, str] = {"UTF-8": "utf-8", "GBK": "gbk"}


def full_field_names(shp: Path) -> dict[str, str]:
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
    rows = table[table["layer"].map(lambda name: shp.stem in (name, file_stem(name)))]
    return dict(zip(rows["shapefile_field"], rows["full_name"]))
