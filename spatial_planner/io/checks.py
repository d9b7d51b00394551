"""Detection and repair of bad input: encodings, coordinates, CRS labels, GCJ-02 and geometry types.

Each function either returns the data repaired, with a
:class:`~spatial_planner.io.DataWarning` that says what was done to how many
features, or raises a typed error (a :class:`~spatial_planner.SpatialPlannerError`)
that names the layer, the feature ids and the fix. :func:`spatial_planner.io.read_layer`
and :func:`spatial_planner.validate.validate_layer` call them; they also work
on their own:

* :func:`guess_text_encoding` tells UTF-8 from GBK/GB18030 attribute bytes,
  including GBK text whose bytes happen to be valid UTF-8.
* :func:`check_sqlite_file` catches a GeoPackage cut short (or not SQLite at all).
* :func:`check_finite_coordinates` rejects NaN or infinite coordinates.
* :func:`check_coordinate_units` catches projected metres in a layer labelled
  as degrees (and suggests the CGCS2000 Gauss-Krüger zone that puts the data in
  China, see :func:`gk_candidates`), degrees in a layer labelled as metres, and
  a projected layer labelled with the wrong zone.
* :func:`fix_axis_order` swaps features whose longitude and latitude (or
  Gauss-Krüger easting and northing) were exchanged.
* :func:`detect_gcj02` tells whether points sit at the GCJ-02 offset from
  reference points; :func:`convert_from_gcj02` converts a layer back.
* :func:`normalise_geometry_types` splits MultiPoints and unpacks
  GeometryCollections; :func:`geometry_type_error` describes layers of the
  wrong or of mixed geometry types.
* :func:`check_numeric_columns` rejects negative areas, speeds and detour
  factors; :func:`duplicate_names` finds names used twice.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from .._errors import (
    DataFileError,
    DataWarning,
    InvalidGeometryError,
    InvalidValueError,
    MissingColumnError,
    SpatialPlannerError,
    UnexpectedCRSError,
    format_ids,
)
from ..crs import CGCS2000, gcj02_to_wgs84, in_china, wgs84_to_gcj02
from ..schema import LAYER_ORDER, SCHEMAS, schema_for

__all__ = [
    "feature_ids",
    "check_sqlite_file",
    "nonfinite_mask",
    "check_finite_coordinates",
    "gk_candidates",
    "check_coordinate_units",
    "fix_axis_order",
    "GCJ02Check",
    "detect_gcj02",
    "convert_from_gcj02",
    "geometry_family",
    "keep_family_parts",
    "normalise_geometry_types",
    "geometry_type_error",
    "check_numeric_columns",
    "duplicate_names",
    "conform_layer",
]


_FAMILY = {
    "Point": "point", "MultiPoint": "point",
    "LineString": "line", "MultiLineString": "line", "LinearRing": "line",
    "Polygon": "polygon", "MultiPolygon": "polygon",
}

_FAMILY_ZH = {"point": "点", "line": "线", "polygon": "面"}


def _warn(message: str, stacklevel: int = 3) -> None:
    warnings.warn(message, DataWarning, stacklevel=stacklevel)


# --------------------------------------------------------------------------- ids


def feature_ids(gdf: gpd.GeoDataFrame, kind: str | None = None) -> np.ndarray:
    """Ids to name features by in messages.

    Parameters
    ----------
    gdf
        The layer.
    kind
        Schema name; its id column is used when present.

    Returns
    -------
    numpy.ndarray
        One string per row: the id column's value, or ``"row <index>"`` when
        the layer has no id column (yet).
    """
    col = None
    if kind is not None:
        schema = SCHEMAS.get(kind)
        if schema is not None and schema.id_column in gdf.columns:
            col = schema.id_column
    if col is None:
        return np.array([f"row {i}" for i in gdf.index], dtype=object)
    return gdf[col].astype(str).to_numpy(dtype=object)


# --------------------------------------------------------------------------- text encodings


# --------------------------------------------------------------------------- files


def check_sqlite_file(path: str | Path, label: str) -> None:
    """Raise :class:`DataFileError` when a GeoPackage (SQLite) file is shorter than its header says.

    SQLite stores the database size in pages in its header; a file cut short
    in a copy or a download is smaller than that. Files with a write-ahead log
    beside them are not checked (their header may be stale).
    """
    p = Path(path)
    if Path(str(p) + "-wal").exists():
        return
    with open(p, "rb") as fh:
        head = fh.read(100)
    size = p.stat().st_size
    if not head.startswith(b"SQLite format 3\x00"):
        if head[:2] in (b"PK",):
            fix = "this is a zip archive: unzip it or rename it to .zip."
        else:
            fix = "export the layer again as GeoPackage; the file is not an SQLite database."
        raise DataFileError(f"cannot read {p.name}: 不是 GeoPackage / not a GeoPackage (no SQLite header)",
                            layer=label, fix=fix)
    if len(head) < 100:
        raise DataFileError(f"cannot read {p.name}: 文件被截断 / truncated: {size} bytes, not even a full header",
                            layer=label, fix="copy or download the file again.")
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    n_pages = int.from_bytes(head[28:32], "big")
    valid = head[24:28] == head[92:96]
    if valid and n_pages > 0 and page >= 512 and size < n_pages * page:
        raise DataFileError(
            f"cannot read {p.name}: 文件被截断 / truncated: the header says {n_pages * page:,} bytes, the file has "
            f"{size:,}",
            layer=label, fix="copy or download the file again (the end of the file is missing).",
        )


# --------------------------------------------------------------------------- coordinates


def _coords(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    return shapely.get_coordinates(gdf.geometry.values, return_index=True)


def _all_per_feature(cond: np.ndarray, idx: np.ndarray, n: int) -> np.ndarray:
    """Per feature: every coordinate satisfies ``cond`` (features without coordinates: False)."""
    n_coords = np.bincount(idx, minlength=n)
    n_true = np.bincount(idx, weights=cond.astype(float), minlength=n)
    return (n_coords > 0) & (n_true == n_coords)


def _any_per_feature(cond: np.ndarray, idx: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(idx, weights=cond.astype(float), minlength=n) > 0


def nonfinite_mask(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Boolean mask of features with a NaN or infinite coordinate."""
    xy, idx = _coords(gdf)
    return _any_per_feature(~np.isfinite(xy).all(axis=1), idx, len(gdf))


def check_finite_coordinates(gdf: gpd.GeoDataFrame, label: str, ids: Sequence[object] | None = None) -> None:
    """Raise :class:`InvalidGeometryError` naming the features with NaN or infinite coordinates."""
    bad = nonfinite_mask(gdf)
    if bad.any():
        ids = feature_ids(gdf) if ids is None else np.asarray(ids, dtype=object)
        raise InvalidGeometryError(
            f"坐标含 NaN 或无穷值 {int(bad.sum())} feature(s) with NaN or infinite coordinates", layer=label,
            ids=list(ids[bad]),
            fix="fill in the missing coordinates (empty cells in a spreadsheet export are a common cause) "
                "or delete these features.",
        )


def _sample(xy: np.ndarray, n: int = 400) -> np.ndarray:
    if len(xy) <= n:
        return xy
    return xy[np.linspace(0, len(xy) - 1, n).astype(int)]


@functools.lru_cache(maxsize=64)
def _to_geographic(epsg: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(epsg), CGCS2000, always_xy=True)


def _gk_family(epsg: int) -> tuple[str, float, float]:
    """(description, central meridian, half band width) of a CGCS2000 Gauss-Krüger EPSG code."""
    if 4491 <= epsg <= 4501:
        cm = 75.0 + 6.0 * (epsg - 4491)
        return f"6-degree zone {13 + epsg - 4491} with zone prefix, CM {cm:g}E", cm, 3.0
    if 4502 <= epsg <= 4512:
        cm = 75.0 + 6.0 * (epsg - 4502)
        return f"6-degree, CM {cm:g}E", cm, 3.0
    if 4513 <= epsg <= 4533:
        cm = 75.0 + 3.0 * (epsg - 4513)
        return f"3-degree zone {25 + epsg - 4513} with zone prefix, CM {cm:g}E", cm, 1.5
    cm = 75.0 + 3.0 * (epsg - 4534)
    return f"3-degree, CM {cm:g}E", cm, 1.5


def gk_candidates(
    x: np.ndarray,
    y: np.ndarray,
    *,
    reference_bounds: tuple[float, float, float, float] | None = None,
) -> list[tuple[int, str, bool]]:
    """CGCS2000 Gauss-Krüger CRSs under which projected coordinates fall in China.

    Eastings of 13–23 million are 6-degree zones with the zone number in front
    (EPSG:4491–4501), 25–45 million 3-degree zones with the number in front
    (EPSG:4513–4533). Eastings below a million can be any zone without prefix
    (3-degree EPSG:4534–4554, 6-degree EPSG:4502–4512); only zones whose band
    holds the data are kept. Each candidate is checked with pyproj.

    Parameters
    ----------
    x, y
        Eastings and northings in metres.
    reference_bounds
        Lon/lat extent of the study area (the readers pass the built-in
        data's): candidates that put the data there come first.

    Returns
    -------
    list of (epsg, description, in_reference)
        Best first: inside the reference area, then nearest its centre, 3-degree before 6-degree.
    """
    xy = _sample(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return []
    zone = np.floor(xy[:, 0] / 1e6)
    if (zone == zone[0]).all() and 13 <= zone[0] <= 23:
        codes = [4491 + int(zone[0]) - 13]
    elif (zone == zone[0]).all() and 25 <= zone[0] <= 45:
        codes = [4513 + int(zone[0]) - 25]
    elif (xy[:, 0] > 0).all() and (xy[:, 0] < 1e6).all():
        codes = list(range(4534, 4555)) + list(range(4502, 4513))
    else:
        return []
    out = []
    for code in codes:
        lon, lat = _to_geographic(code).transform(xy[:, 0], xy[:, 1])
        lon, lat = np.asarray(lon), np.asarray(lat)
        if not (np.isfinite(lon).all() and np.isfinite(lat).all() and in_china(lon, lat).all()):
            continue
        desc, cm, half = _gk_family(code)
        if len(codes) > 1 and np.abs(lon - cm).max() > half + 0.1:
            continue  # outside the zone's own band: not how anyone would have projected it
        inside = False
        dist = 0.0
        if reference_bounds is not None:
            minx, miny, maxx, maxy = reference_bounds
            inside = bool(((lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)).all())
            dist = float(np.hypot(np.median(lon) - (minx + maxx) / 2, np.median(lat) - (miny + maxy) / 2))
        six = 4491 <= code <= 4512
        out.append(((not inside, round(dist, 3), six, code), (code, f"CGCS2000 / Gauss-Krüger {desc}", inside)))
    out.sort(key=lambda t: t[0])
    return [c for _, c in out]


def _describe_candidates(cands: list[tuple[int, str, bool]], limit: int = 3) -> str:
    if not cands:
        return ""
    best = cands[0]
    where = "in Henan" if best[2] else "in China"
    text = f"EPSG:{best[0]} ({best[1]}) puts the data {where}"
    others = [f"EPSG:{c[0]}" for c in cands[1:limit + 1]]
    if others:
        text += f"; other zones that also fit: {', '.join(others)}"
        if len(cands) > limit + 1:
            text += f" … ({len(cands)} in all)"
    return text


def check_coordinate_units(gdf: gpd.GeoDataFrame, label: str, ids: Sequence[object] | None = None, *,
                           reference_bounds: tuple[float, float, float, float] | None = None) -> None:
    """Raise :class:`UnexpectedCRSError` when the coordinates do not fit the units of the layer's CRS.

    * Projected metres (values beyond ±360) in a layer whose CRS is in
      degrees: the message names the CGCS2000 Gauss-Krüger zone that puts the
      data in China (computed with pyproj).
    * Degrees (every value within ±180/±90) in a layer whose CRS is in metres:
      the message suggests EPSG:4490.
    * A projected layer that its declared CRS puts outside China while a
      Gauss-Krüger zone puts it inside (wrong zone, zone prefix missing or extra).

    Longitudes and latitudes that are merely swapped are left to
    :func:`fix_axis_order`. Call :func:`check_finite_coordinates` first.
    """
    crs = gdf.crs
    if crs is None or len(gdf) == 0:
        return
    xy, idx = _coords(gdf)
    ok = np.isfinite(xy).all(axis=1)
    xy, idx = xy[ok], idx[ok]
    if not len(xy):
        return
    ids = feature_ids(gdf) if ids is None else np.asarray(ids, dtype=object)
    name = f"{crs.to_string()} ({crs.name})"
    if crs.is_geographic:
        metric = (np.abs(xy[:, 0]) > 360) | (np.abs(xy[:, 1]) > 360)
        if not metric.any():
            return
        bad = _any_per_feature(metric, idx, len(gdf))
        cands = gk_candidates(xy[metric, 0], xy[metric, 1], reference_bounds=reference_bounds)
        x0, y0 = np.median(xy[metric], axis=0)
        msg = (f"坐标像投影坐标（米）而非经纬度 coordinates look like projected metres (e.g. x {x0:,.0f}, y {y0:,.0f}) "
               f"but the layer says {name}, in degrees; {int(bad.sum())} feature(s): {format_ids(list(ids[bad]))}")
        if cands:
            best = cands[0][0]
            fix = (f"declare the CRS the coordinates are in: {_describe_candidates(cands)}. For a CSV give "
                   f"crs = \"EPSG:{best}\"; for a file fix its .prj (QGIS: Layer ▸ Set CRS to EPSG:{best}, then save).")
        else:
            fix = "declare the projected CRS the coordinates are in (fix the .prj, or crs = \"EPSG:…\" for a CSV)."
        raise UnexpectedCRSError(msg, layer=label, fix=fix)
    if not crs.is_projected:
        return
    if (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all():
        china = bool(in_china(xy[:, 0], xy[:, 1]).all())
        raise UnexpectedCRSError(
            f"坐标像经纬度而非米 coordinates look like degrees (all within ±180/±90"
            f"{', inside China as lon/lat' if china else ''}) but the layer says {name}, in metres",
            layer=label,
            fix="declare a geographic CRS instead: EPSG:4490 (CGCS2000) or EPSG:4326 (WGS84) — fix the .prj, "
                "or give crs = \"EPSG:4490\" for a CSV.",
        )
    epsg = crs.to_epsg()
    sample = _sample(xy)
    try:
        tr = Transformer.from_crs(crs, CGCS2000, always_xy=True)
        lon, lat = (np.asarray(v) for v in tr.transform(sample[:, 0], sample[:, 1]))
    except Exception:  # pyproj: a CRS it cannot transform; leave it to to_crs to complain
        return
    finite = np.isfinite(lon) & np.isfinite(lat)
    if finite.all() and not (epsg is not None and 4491 <= epsg <= 4554):
        return  # only CGCS2000 Gauss-Krüger labels (or untransformable values) are second-guessed
    placed = finite & in_china(np.nan_to_num(lon), np.nan_to_num(lat))
    if placed.mean() >= 0.5:
        return
    cands = gk_candidates(xy[:, 0], xy[:, 1], reference_bounds=reference_bounds)
    cands = [c for c in cands if CRS.from_epsg(c[0]) != crs]
    if not cands:
        return
    raise UnexpectedCRSError(
        f"投影坐标与声明的坐标系不符 the layer says {name}, which puts the data outside China "
        f"(e.g. x {np.median(xy[:, 0]):,.0f}, y {np.median(xy[:, 1]):,.0f})",
        layer=label,
        fix=f"declare the zone the coordinates are in: {_describe_candidates(cands)} (fix the .prj: QGIS ▸ "
            f"Layer ▸ Set CRS to EPSG:{cands[0][0]}).",
    )


def fix_axis_order(gdf: gpd.GeoDataFrame, label: str, ids: Sequence[object] | None = None) -> gpd.GeoDataFrame:
    """Swap x and y of features where they were exchanged.

    A feature of a geographic layer is swapped when its coordinates lie
    outside China (``spatial_planner.crs.in_china``) but inside it with
    longitude and latitude exchanged. In a layer in a CGCS2000 Gauss-Krüger
    zone, a feature is swapped when its eastings and northings put it outside
    China and the exchanged ones inside (northing, easting order, as some CAD
    exports write). Swapping is a repair, reported with a
    :class:`~spatial_planner.io.DataWarning` naming how many features and
    which. Longitudes beyond ±180° or latitudes beyond ±90° that swapping does
    not bring into China raise :class:`UnexpectedCRSError`.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer, with the swapped features repaired (a copy when anything changed).
    """
    crs = gdf.crs
    if crs is None or len(gdf) == 0:
        return gdf
    epsg = crs.to_epsg() if crs.is_projected else None
    if not (crs.is_geographic or (epsg is not None and 4491 <= epsg <= 4554)):
        return gdf
    xy, idx = _coords(gdf)
    n = len(gdf)
    finite = np.isfinite(xy).all(axis=1)
    ids = feature_ids(gdf) if ids is None else np.asarray(ids, dtype=object)
    if crs.is_geographic:
        inside = _all_per_feature(finite & in_china(xy[:, 0], xy[:, 1]), idx, n)
        swapped_inside = _all_per_feature(finite & in_china(xy[:, 1], xy[:, 0]), idx, n)
        impossible = _any_per_feature(finite & ((np.abs(xy[:, 1]) > 90) | (np.abs(xy[:, 0]) > 180)), idx, n)
        what = ("经纬度顺序颠倒", "longitude and latitude")
    else:
        tr = _to_geographic(epsg)
        safe = np.where(finite[:, None], xy, 0.0)
        with np.errstate(all="ignore"):
            lon, lat = (np.asarray(v) for v in tr.transform(safe[:, 0], safe[:, 1]))
            slon, slat = (np.asarray(v) for v in tr.transform(safe[:, 1], safe[:, 0]))
        inside = _all_per_feature(finite & np.isfinite(lon) & in_china(np.nan_to_num(lon), np.nan_to_num(lat)), idx, n)
        swapped_inside = _all_per_feature(
            finite & np.isfinite(slon) & in_china(np.nan_to_num(slon), np.nan_to_num(slat)), idx, n)
        impossible = np.zeros(n, dtype=bool)
        what = ("坐标 x/y 顺序颠倒", "easting and northing")
    swap = ~inside & swapped_inside
    stuck = impossible & ~swap
    if stuck.any():
        raise UnexpectedCRSError(
            f"经纬度超出范围 longitudes beyond ±180° or latitudes beyond ±90° in {int(stuck.sum())} feature(s) "
            f"({format_ids(list(ids[stuck]))}), and swapping lon/lat does not put them in China either",
            layer=label,
            fix="check which columns hold longitude and latitude, and that the CRS is right "
                "(projected metres need a projected CRS).",
        )
    if not swap.any():
        return gdf
    out = gdf.copy()
    geoms = out.geometry.values.copy()
    geoms[swap] = shapely.transform(geoms[swap], lambda c: c[:, ::-1])
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=crs))
    _warn(f"[{label}] {what[0]}，已交换 {int(swap.sum())} 个要素 / {what[1]} were swapped in "
          f"{int(swap.sum())} of {n} feature(s) ({format_ids(list(ids[swap]))}): outside China as given, inside it "
          "when swapped; swapped them back. Fix the source's column order to silence this.")
    return out


# --------------------------------------------------------------------------- GCJ-02


@dataclass
class GCJ02Check:
    """What :func:`detect_gcj02` found.

    Attributes
    ----------
    n_points
        Points tested.
    n_matched
        Points with a reference point within ``max_match_m``.
    n_shifted
        Matched points 300–700 m from their reference in the direction of the GCJ-02 shift.
    shifted_ids
        Ids (or row labels) of those points.
    median_offset_m
        Median distance of the matched points from their reference.
    median_residual_m
        Median distance of the matched points from their reference shifted to GCJ-02.
    shifted
        Whether the layer as a whole looks shifted.
    """

    n_points: int
    n_matched: int
    n_shifted: int
    shifted_ids: list = field(default_factory=list)
    median_offset_m: float = float("nan")
    median_residual_m: float = float("nan")
    shifted: bool = False

    @property
    def share(self) -> float:
        """Share of the matched points that sit at the GCJ-02 offset."""
        return self.n_shifted / self.n_matched if self.n_matched else 0.0


def _lonlat(points) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    if isinstance(points, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        if geo.crs is not None and not geo.crs.equals(CGCS2000):
            geo = geo.to_crs(CGCS2000)
        values = geo.values
        index = geo.index
    else:
        values = np.asarray(points, dtype=object)
        index = pd.RangeIndex(len(values))
    ok = ~(shapely.is_missing(values) | shapely.is_empty(values))
    pts = np.full(len(values), None, dtype=object)
    pts[ok] = shapely.point_on_surface(values[ok])
    lon = np.full(len(values), np.nan)
    lat = np.full(len(values), np.nan)
    lon[ok] = shapely.get_x(pts[ok])
    lat[ok] = shapely.get_y(pts[ok])
    return lon, lat, index


_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0


def detect_gcj02(
    points,
    reference_points,
    *,
    max_match_m: float = 3000.0,
    min_matches: int = 3,
    min_share: float = 0.6,
    ids: Sequence[object] | None = None,
    label: str | None = None,
    warn: bool = True,
) -> GCJ02Check:
    """Tell whether points are GCJ-02 ("Mars") coordinates of places known in WGS84/CGCS2000.

    Each point is matched to its nearest reference point (for example the
    built-in county seats). GCJ-02 moves points by a few hundred metres in a
    direction that changes slowly over China; a point taken from a Chinese web
    map sits 300–700 m from its true position, in the direction that
    :func:`spatial_planner.crs.wgs84_to_gcj02` moves the reference. When most
    matched points do, the layer looks shifted.

    Parameters
    ----------
    points
        A GeoDataFrame/GeoSeries (any CRS) or an array of shapely geometries in
        degrees; polygons and lines are tested at a point on their surface.
    reference_points
        The same, in WGS84/CGCS2000.
    max_match_m
        Points farther than this from every reference point are not matched.
    min_matches
        Fewer matched points than this never count as shifted.
    min_share
        Share of the matched points that must sit at the GCJ-02 offset.
    ids
        Names of the points for :attr:`GCJ02Check.shifted_ids` (default: the index).
    label
        Layer name for the warning.
    warn
        Emit a :class:`~spatial_planner.io.DataWarning` when the layer looks shifted.

    Returns
    -------
    GCJ02Check
    """
    from scipy.spatial import cKDTree

    lon, lat, index = _lonlat(points)
    rlon, rlat, _ = _lonlat(reference_points)
    names = np.asarray(list(index) if ids is None else list(ids), dtype=object)
    keep_r = np.isfinite(rlon) & np.isfinite(rlat)
    rlon, rlat = rlon[keep_r], rlat[keep_r]
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not len(rlon) or not ok.any():
        return GCJ02Check(n_points=int(ok.sum()), n_matched=0, n_shifted=0)
    lat0 = float(np.median(rlat))
    kx = _M_PER_DEG_LON * np.cos(np.radians(lat0))
    tree = cKDTree(np.column_stack([rlon * kx, rlat * _M_PER_DEG_LAT]))
    q = np.column_stack([lon[ok] * kx, lat[ok] * _M_PER_DEG_LAT])
    _, j = tree.query(q)
    plon, plat, pnames = lon[ok], lat[ok], names[ok]
    mlon, mlat = rlon[j], rlat[j]
    coslat = np.cos(np.radians(mlat))
    dx = (plon - mlon) * _M_PER_DEG_LON * coslat
    dy = (plat - mlat) * _M_PER_DEG_LAT
    dist = np.hypot(dx, dy)
    matched = dist <= max_match_m
    glon, glat = wgs84_to_gcj02(mlon, mlat)
    gx = (glon - mlon) * _M_PER_DEG_LON * coslat
    gy = (glat - mlat) * _M_PER_DEG_LAT
    gnorm = np.hypot(gx, gy)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos_angle = (dx * gx + dy * gy) / (dist * gnorm)
    at_offset = matched & (dist >= 300.0) & (dist <= 700.0) & (cos_angle >= np.cos(np.radians(30.0)))
    n_matched = int(matched.sum())
    n_shifted = int(at_offset.sum())
    residual = np.hypot(dx - gx, dy - gy)
    result = GCJ02Check(
        n_points=int(ok.sum()), n_matched=n_matched, n_shifted=n_shifted,
        shifted_ids=list(pnames[at_offset]),
        median_offset_m=float(np.median(dist[matched])) if n_matched else float("nan"),
        median_residual_m=float(np.median(residual[matched])) if n_matched else float("nan"),
    )
    result.shifted = n_matched >= min_matches and n_shifted >= max(1, min_share * n_matched)
    if result.shifted and warn:
        _warn(f"[{label or 'points'}] 坐标疑似 GCJ-02（火星坐标）/ coordinates look GCJ-02 shifted: "
              f"{n_shifted} of {n_matched} matched feature(s) sit 300–700 m from their reference point in the "
              f"direction of the GCJ-02 offset (median {result.median_offset_m:.0f} m; "
              f"{format_ids(result.shifted_ids)}). Convert them with read_layer(..., from_gcj02=True) or "
              "spatial_planner.crs.gcj02_to_wgs84.")
    return result


def convert_from_gcj02(gdf: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    """Convert a layer's coordinates from GCJ-02 to WGS84/CGCS2000, with a :class:`DataWarning`.

    The layer must be in a geographic CRS (GCJ-02 is an offset of longitude
    and latitude); its CRS label is kept (WGS84 and CGCS2000 agree to
    centimetres here).

    Raises
    ------
    UnexpectedCRSError
        When the layer is projected.
    """
    if gdf.crs is None or not gdf.crs.is_geographic:
        raise UnexpectedCRSError(
            f"from_gcj02 needs longitude/latitude, but the layer is in "
            f"{gdf.crs.to_string() if gdf.crs is not None else 'no CRS'}",
            layer=label, fix="GCJ-02 applies to lon/lat copied from Chinese web maps: read such a layer in EPSG:4326 "
                             "or EPSG:4490, or drop from_gcj02.",
        )
    geoms = gdf.geometry.values
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any():
        return gdf

    def _back(c: np.ndarray) -> np.ndarray:
        x, y = gcj02_to_wgs84(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    new = geoms.copy()
    new[ok] = shapely.transform(geoms[ok], _back)
    a = shapely.get_coordinates(geoms[ok])
    b = shapely.get_coordinates(new[ok])
    shift = np.hypot((a[:, 0] - b[:, 0]) * _M_PER_DEG_LON * np.cos(np.radians(b[:, 1])),
                     (a[:, 1] - b[:, 1]) * _M_PER_DEG_LAT)
    out = gdf.set_geometry(gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs))
    moved = shift[np.isfinite(shift)]
    span = f"{moved.min():.0f}–{moved.max():.0f} m" if len(moved) else "0 m"
    _warn(f"[{label}] 已从 GCJ-02 转换 {int(ok.sum())} 个要素 / converted {int(ok.sum())} feature(s) from GCJ-02 to "
          f"WGS84/CGCS2000 (moved {span}).")
    return out


# --------------------------------------------------------------------------- geometry types


def geometry_family(geom_type: str | None) -> str | None:
    """``"point"``, ``"line"`` or ``"polygon"`` for a shapely geometry type (None for collections)."""
    return _FAMILY.get(geom_type) if geom_type else None


def keep_family_parts(geom, family: str):
    """The parts of ``geom`` of one family (``"point"``, ``"line"``, ``"polygon"``), or None if there are none.

    Polygons are unioned into a Polygon/MultiPolygon, lines into a
    MultiLineString (or a LineString), points into a MultiPoint (or a Point).
    """
    if geom is None or geom.is_empty:
        return None
    if geometry_family(geom.geom_type) == family:
        return geom
    parts = []
    stack = list(getattr(geom, "geoms", []))
    while stack:
        g = stack.pop(0)
        if g.geom_type == "GeometryCollection":
            stack.extend(g.geoms)
        elif geometry_family(g.geom_type) == family and not g.is_empty:
            parts.extend(getattr(g, "geoms", [g]))
    if not parts:
        return None
    if family == "polygon":
        return shapely.union_all(parts) if len(parts) > 1 else parts[0]
    if family == "line":
        return parts[0] if len(parts) == 1 else shapely.multilinestrings(parts)
    return parts[0] if len(parts) == 1 else shapely.multipoints(parts)


def normalise_geometry_types(
    gdf: gpd.GeoDataFrame,
    geometry: str,
    *,
    label: str,
    id_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Repair multipart and collection geometries for a layer of one geometry family.

    * GeometryCollections keep their parts of the expected family (a
      :class:`DataWarning` counts them); collections without such parts are
      left as they are, for :func:`geometry_type_error` to reject.
    * In a point layer, MultiPoints are split into one feature per point; the
      ids get the suffixes ``-1``, ``-2``, … (a one-point MultiPoint becomes a
      Point and keeps its id).

    Parameters
    ----------
    gdf
        The layer.
    geometry
        ``"point"``, ``"line"`` or ``"polygon"``.
    label
        Layer name for messages.
    id_column
        Column of the ids to suffix and name.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer itself when nothing needed repair, otherwise a repaired copy.
    """
    if len(gdf) == 0:
        return gdf
    geoms = gdf.geometry.values
    types = shapely.get_type_id(geoms)
    ids = (gdf[id_column].astype(str).to_numpy(dtype=object) if id_column and id_column in gdf.columns
           else np.array([f"row {i}" for i in gdf.index], dtype=object))
    out = gdf
    gc = types == 7
    if gc.any():
        kept = np.array([keep_family_parts(g, geometry) for g in geoms[gc]], dtype=object)
        has = np.array([k is not None for k in kept], dtype=bool)
        if has.any():
            out = gdf.copy()
            new = out.geometry.values.copy()
            pos = np.flatnonzero(gc)[has]
            new[pos] = kept[has]
            out = out.set_geometry(gpd.GeoSeries(new, index=out.index, crs=gdf.crs))
            _warn(f"[{label}] 几何集合只保留{_FAMILY_ZH[geometry]}要素部分 / kept the {geometry} parts of {int(has.sum())} "
                  f"GeometryCollection feature(s) and dropped their other parts: {format_ids(list(ids[pos]))}.")
    if geometry != "point":
        return out
    geoms = out.geometry.values
    multi = shapely.get_type_id(geoms) == 4
    multi &= ~shapely.is_empty(geoms)
    if not multi.any():
        return out
    parts_n = shapely.get_num_geometries(geoms)
    rows = []
    new_geoms = []
    new_ids = []
    n_split = 0
    for i in range(len(out)):
        if multi[i] and parts_n[i] > 1:
            n_split += 1
            for k, part in enumerate(shapely.get_parts(geoms[i]), start=1):
                rows.append(i)
                new_geoms.append(part)
                new_ids.append(f"{ids[i]}-{k}")
        else:
            rows.append(i)
            new_geoms.append(shapely.get_geometry(geoms[i], 0) if multi[i] else geoms[i])
            new_ids.append(None)
    res = out.iloc[rows].copy()
    res = res.set_geometry(gpd.GeoSeries(np.array(new_geoms, dtype=object), index=res.index, crs=gdf.crs))
    if id_column and id_column in res.columns:
        col = res[id_column].astype(str).to_numpy(dtype=object)
        suffixed = np.array([n is not None for n in new_ids])
        col[suffixed] = np.array([n for n in new_ids if n is not None], dtype=object)
        res[id_column] = col
    res = res.reset_index(drop=True)
    n_parts = int(parts_n[multi & (parts_n > 1)].sum())
    single = int((multi & (parts_n <= 1)).sum())
    msg = f"[{label}] 多点要素已拆分 / "
    if n_split:
        msg += (f"split {n_split} MultiPoint feature(s) into {n_parts} points; their ids got the suffixes -1, -2, … "
                f"({format_ids(list(ids[multi & (parts_n > 1)]))})")
    if single:
        msg += ("; " if n_split else "") + f"turned {single} one-point MultiPoint(s) into Point(s)"
    _warn(msg + ".")
    return res


def geometry_type_error(
    types: np.ndarray,
    expected: str | None,
    *,
    label: str,
    ids: Sequence[object],
) -> tuple[np.ndarray, InvalidGeometryError | None]:
    """Features of the wrong geometry family, and the error describing them.

    Parameters
    ----------
    types
        Geometry type names (``None`` for missing geometries).
    expected
        ``"point"``, ``"line"``, ``"polygon"``, or None: then a layer mixing
        families names the features of the minority family.
    label
        Layer name.
    ids
        Feature ids aligned with ``types``.

    Returns
    -------
    (mask, error)
        ``error`` is None when every feature is of the right family.
    """
    types = np.asarray(types, dtype=object)
    ids = np.asarray(ids, dtype=object)
    fam = np.array([geometry_family(t) if t else None for t in types], dtype=object)
    present = np.array([t is not None for t in types], dtype=bool)
    counts = pd.Series(fam[present & (fam != None)]).value_counts()  # noqa: E711
    if expected is None:
        if len(counts) <= 1 and not (present & (fam == None)).any():  # noqa: E711
            return np.zeros(len(types), dtype=bool), None
        main = counts.index[0] if len(counts) else None
        wrong = present & (fam != main)
        if not wrong.any():
            return wrong, None
        found = ", ".join(f"{n} {f}" for f, n in counts.items())
        odd = sorted({str(t) for t in types[wrong]})
        return wrong, InvalidGeometryError(
            f"几何类型混杂 the layer mixes geometry types ({found}); the odd ones are {', '.join(odd)}",
            layer=label, ids=list(ids[wrong]),
            fix=f"keep one geometry type per layer: split the layer by type (QGIS: Vector ▸ Data Management Tools ▸ "
                f"Split Vector Layer by geometry type) and use the {main} features.",
        )
    wrong = present & (fam != expected)
    if not wrong.any():
        return wrong, None
    found = sorted({str(t) for t in types[wrong]})
    msg = f"几何类型错误 expected {expected} geometries, found {', '.join(found)}"
    n_right = int((present & (fam == expected)).sum())
    if n_right:
        msg += f" (the layer mixes {n_right} {expected} and {int(wrong.sum())} other feature(s))"
    if "GeometryCollection" in found:
        msg += f"; GeometryCollections without any {expected} part cannot be kept"
    return wrong, InvalidGeometryError(
        msg, layer=label, ids=list(ids[wrong]),
        fix=f"give this layer {expected} geometries only (move or delete the features named here).",
    )


# --------------------------------------------------------------------------- attributes

#: Numeric columns checked per layer kind: column → (lowest allowed value, whether the value may equal it).
_NUMERIC_RULES: dict[str, dict[str, tuple[float, bool]]] = {
    "parks": {"area_km2": (0.0, True)},
    "counties": {"area_km2": (0.0, True)},
    "prefectures": {"area_km2": (0.0, True)},
    "roads": {"design_speed_kmh": (0.0, True), "detour_factor": (0.0, False)},
    "rail_lines": {"design_speed_kmh": (0.0, True), "detour_factor": (0.0, False)},
}


def check_numeric_columns(
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    label: str,
    ids: Sequence[object],
) -> list[SpatialPlannerError]:
    """Errors for negative areas, negative speeds, non-positive detour factors and non-numeric values.

    Empty values are allowed (they mean "unknown": the class speed, a
    detour factor of 1, no stated area). Returns one
    :class:`InvalidGeometryError` per offending column (empty list when all is well).
    """
    errors: list[SpatialPlannerError] = []
    ids = np.asarray(ids, dtype=object)
    for col, (low, inclusive) in _NUMERIC_RULES.get(kind, {}).items():
        if col not in gdf.columns:
            continue
        raw = gdf[col]
        values = pd.to_numeric(raw, errors="coerce")
        blank = raw.isna() | (raw.astype(str).str.strip().isin(["", "nan", "None", "NaN", "<NA>"]))
        text = (values.isna() & ~blank).to_numpy()
        v = values.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            below = (v < low) if inclusive else (v <= low)
        out_of_range = np.isfinite(v) & below | np.isinf(v)
        if text.any():
            errors.append(InvalidValueError(
                f"字段 {col} 不是数字 column '{col}' holds text that is not a number", layer=label, column=col,
                ids=list(ids[text]), fix=f"write numbers in '{col}' (leave the cell empty when unknown).",
            ))
        if out_of_range.any():
            bound = f"≥ {low:g}" if inclusive else f"> {low:g}"
            shown = ", ".join(f"{i}={x:g}" for i, x in list(zip(ids[out_of_range], v[out_of_range]))[:3])
            errors.append(InvalidValueError(
                f"字段 {col} 取值无效 column '{col}' must be finite and {bound}: {shown}", layer=label, column=col,
                ids=list(ids[out_of_range]),
                fix=f"correct '{col}' for these features (leave it empty when unknown).",
            ))
    return errors


def duplicate_names(
    gdf: gpd.GeoDataFrame,
    *,
    ids: Sequence[object],
    column: str = "name_zh",
) -> tuple[list, list]:
    """Names used by more than one feature, and the ids of those features.

    Returns
    -------
    (names, ids)
        Empty lists when every name is unique (empty names are ignored).
    """
    if column not in gdf.columns or len(gdf) == 0:
        return [], []
    names = gdf[column].astype(str).str.strip()
    names = names.where(~gdf[column].isna(), "")
    dup = names.duplicated(keep=False) & (names != "")
    if not dup.any():
        return [], []
    ids = np.asarray(ids, dtype=object)
    return names[dup].unique().tolist(), list(ids[dup.to_numpy()])


def conform_layer(gdf: gpd.GeoDataFrame, kind: str | None, label: str) -> gpd.GeoDataFrame:
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
