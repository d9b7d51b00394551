"""Coordinate reference systems: CGCS2000, Gauss-Krüger zones and GCJ-02.

* Data are stored in CGCS2000 geographic coordinates (EPSG:4490). At the scale
  of this planner CGCS2000 and WGS84 (EPSG:4326) agree to a few centimetres, so
  converting between them is a relabelling, not a datum shift.
* Metric work runs in a projected CRS chosen for the study area by
  :func:`projected_crs_for`: the CGCS2000 3-degree Gauss-Krüger zone whose
  central meridian is nearest the area's centre, or an Albers equal-area
  projection on CGCS2000 for areas wider than about nine degrees.
* Web maps from Chinese providers (Gaode/AMap, Tencent) draw their tiles in the
  GCJ-02 system, a non-linear obfuscation of WGS84 that moves points by a few
  hundred metres. :func:`wgs84_to_gcj02` shifts data onto such a basemap and
  :func:`gcj02_to_wgs84` takes coordinates copied from one back to WGS84.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from pyproj import CRS

__all__ = [
    "CGCS2000",
    "WGS84",
    "gk3_zone_crs",
    "projected_crs_for",
    "study_area_crs",
    "crs_label",
    "in_china",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "shift_geometry_to_gcj02",
]

CGCS2000 = CRS.from_epsg(4490)
WGS84 = CRS.from_epsg(4326)

# Krasovsky 1940 ellipsoid, on which the GCJ-02 offset formula is defined.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323

# Rough mainland-China envelope used for the GCJ-02 "inside China" test and for
# plausibility checks of user coordinates.
_CHINA_BOUNDS = (73.4, 18.0, 135.1, 53.6)


def gk3_zone_crs(lon: float) -> CRS:
    """Return the CGCS2000 3-degree Gauss-Krüger CRS (no zone prefix) for ``lon``.

    The zones are EPSG:4534 (central meridian 75°E) to EPSG:4554 (135°E),
    false easting 500 000 m.
    """
    k = int(round((lon - 75.0) / 3.0))
    if not 0 <= k <= 20:
        raise ValueError(f"longitude {lon:.3f} lies outside the CGCS2000 Gauss-Krüger zones (73.5–136.5°E)")
    return CRS.from_epsg(4534 + k)


def projected_crs_for(bounds: tuple[float, float, float, float]) -> CRS:
    """Choose a metric CRS for an area given by geographic ``bounds``.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` in degrees (CGCS2000 or WGS84).

    Returns
    -------
    pyproj.CRS
        A CGCS2000 3-degree Gauss-Krüger zone for areas up to 9° wide inside
        China (Henan → EPSG:4547, CM 114°E); an Albers equal-area CRS on
        CGCS2000 for wider Chinese areas; the UTM zone elsewhere.
    """
    minx, miny, maxx, maxy = bounds
    if not all(math.isfinite(v) for v in bounds) or minx > maxx or miny > maxy:
        raise ValueError(f"invalid bounds {bounds!r}")
    cx, cy = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    if 73.5 <= cx <= 136.5 and 3.0 <= cy <= 54.0:
        if maxx - minx <= 9.0:
            return gk3_zone_crs(cx)
        lat1 = miny + (maxy - miny) / 6.0
        lat2 = maxy - (maxy - miny) / 6.0
        return CRS.from_proj4(
            f"+proj=aea +lat_0=0 +lon_0={cx:.1f} +lat_1={lat1:.1f} +lat_2={lat2:.1f} "
            "+x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs +type=crs"
        )
    zone = int((cx + 180.0) // 6.0) + 1
    return CRS.from_epsg((32600 if cy >= 0 else 32700) + zone)


def study_area_crs(area, projected_crs: str | int | CRS | None = "auto") -> CRS:
    """The metric CRS of a study area: ``projected_crs`` when set, else :func:`projected_crs_for` its extent.

    Parameters
    ----------
    area
        The study area: a shapely geometry, or ``(minx, miny, maxx, maxy)``, in degrees.
    projected_crs
        ``"auto"`` (or empty) to choose for the area, or any CRS pyproj reads (``"EPSG:4547"``).
    """
    if projected_crs not in (None, "", "auto"):
        return CRS.from_user_input(projected_crs)
    bounds = tuple(area.bounds) if hasattr(area, "bounds") else tuple(area)
    return projected_crs_for(bounds)


def crs_label(crs: CRS | str, *, zh: bool = True) -> str:
    """A short label of a projected CRS for map notes: ``CGCS2000 / 3° 高斯-克吕格 CM 114°E (EPSG:4547)``."""
    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg()
    if epsg is not None and 4534 <= epsg <= 4554:
        cm = 75 + 3 * (epsg - 4534)
        return f"CGCS2000 / 3° {'高斯-克吕格' if zh else 'Gauss-Krüger'} CM {cm}°E (EPSG:{epsg})"
    return f"{crs.name} (EPSG:{epsg})" if epsg is not None else crs.name


def in_china(lon, lat):
    """Vectorised test of whether points lie in the rough China envelope where GCJ-02 applies."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    minx, miny, maxx, maxy = _CHINA_BOUNDS
    return (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (degrees) at WGS84 positions, from the published formula."""
    x = lon - 105.0
    y = lat - 35.0
    sq = np.sqrt(np.abs(x))
    pi = math.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq
        + common
        + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq
        + common
        + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * pi
    s = np.sin(rad)
    m = 1.0 - _KRASOVSKY_EE * s * s
    sm = np.sqrt(m)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (m * sm) * pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sm * np.cos(rad) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """Shift WGS84/CGCS2000 coordinates to GCJ-02 (points outside China are unchanged).

    Parameters
    ----------
    lon, lat
        Scalars or arrays of degrees.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lon, lat)`` in GCJ-02.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_delta(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon, lat, *, iterations: int = 6):
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (error below 1 mm).

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees, scalars or arrays.
    iterations
        Fixed-point steps; each cuts the error by about three orders of magnitude.
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        tlon, tlat = wgs84_to_gcj02(wlon, wlat)
        wlon = wlon + (glon - tlon)
        wlat = wlat + (glat - tlat)
    return wlon, wlat


def shift_geometry_to_gcj02(geometry):
    """Return geometries (shapely array or GeoSeries values) shifted to GCJ-02.

    Input must be in geographic WGS84/CGCS2000 degrees.
    """

    def _shift(coords: np.ndarray) -> np.ndarray:
        x, y = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, _shift)
