"""Preparing layers for the web map: simplified, rounded, GCJ-02-shifted where needed, escaped."""

from __future__ import annotations

import html
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...crs import CGCS2000, projected_crs_for, shift_geometry_to_gcj02
from ...network.graph import ROAD_SPEEDS
from ...symbology import TIME_COLOURS, label, minute_class

__all__ = ["roads_for_map", "merge_unnamed", "split_straight_parts", "prepare_for_web", "escaped_properties", "raster_to_rgba"]


def roads_for_map(roads: gpd.GeoDataFrame, max_features: int) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The roads a web map can carry: whole classes, fastest first, up to ``max_features`` lines.

    A province of OSM roads has hundreds of thousands of lines, far more than a
    browser draws smoothly. Classes are ranked by their default design speed
    (:data:`~spatial_planner.network.ROAD_SPEEDS`; unknown classes last) and
    taken whole while they fit; the fastest class is always drawn. Returns the
    roads to draw and the classes left out (the GeoPackage keeps every road).
    """
    if len(roads) <= max_features:
        return roads, []
    counts = roads["road_class"].astype(str).value_counts()
    ranked = sorted(counts.index, key=lambda c: (-ROAD_SPEEDS.get(c, 0.0), c))
    keep, total = [], 0
    for c in ranked:
        if keep and total + counts[c] > max_features:
            break
        keep.append(c)
        total += int(counts[c])
    return roads[roads["road_class"].astype(str).isin(keep)], [c for c in ranked if c not in keep]


def merge_unnamed(lines: gpd.GeoDataFrame, column: str) -> gpd.GeoDataFrame:
    """Lines without a name or route number merged into one multi-line per ``column`` class and geometry quality.

    A provincial OSM road layer is mostly such lines; one feature each would fill the page with repeated
    empty popups. Named lines stay as they are. The merged feature's ``name_zh``/``name_en`` give the class
    and the count of lines it holds.
    """
    name = lines.get("name_zh", pd.Series("", index=lines.index)).fillna("").astype(str).str.strip()
    ref = lines.get("route_ref", pd.Series("", index=lines.index)).fillna("").astype(str).str.strip()
    unnamed = (name == "") & (ref == "")
    if unnamed.sum() < 2:
        return lines
    rest, merged = lines[~unnamed], []
    quality = lines.get("geometry_quality", pd.Series("", index=lines.index)).fillna("").astype(str)
    for (cls, q), group in lines[unnamed].groupby([lines.loc[unnamed, column], quality[unnamed]], sort=True):
        parts = shapely.get_parts(group.geometry.values)
        n = len(group)
        merged.append({column: cls, "geometry_quality": q, "name_zh": f"{label(cls, 'zh')}（{n} 段）",
                       "name_en": f"{label(cls, 'en')} ({n} segments)",
                       "geometry": shapely.multilinestrings(parts)})
    out = pd.concat([rest, gpd.GeoDataFrame(merged, geometry="geometry", crs=lines.crs)], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=lines.crs)


def split_straight_parts(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Lines whose ``straight_parts`` column lists parts drawn straight (where the track is not known), split in
    two features: the straight parts flagged ``geometry_quality = "schematic"``, the others ``"track"``.
    Other lines are unchanged.

    ``straight_parts`` holds ``;``-separated 0-based indices into the line's parts (its MultiLineString).
    """
    if "straight_parts" not in lines.columns:
        return lines
    which = lines["straight_parts"].fillna("").astype(str).str.strip()
    if not which.str.len().gt(0).any():
        return lines
    rows = []
    for (_, rec), idx in zip(lines.iterrows(), which):
        parts = list(shapely.get_parts(rec.geometry))
        straight = {int(i) for i in idx.split(";") if i.strip().isdigit() and int(i) < len(parts)}
        if not straight:
            rows.append(rec)
            continue
        for keep, quality in ((sorted(set(range(len(parts))) - straight), "track"), (sorted(straight), "schematic")):
            if not keep:
                continue
            piece = rec.copy()
            piece["geometry"] = shapely.multilinestrings([parts[i] for i in keep]) if len(keep) > 1 else parts[keep[0]]
            piece["geometry_quality"] = quality
            rows.append(piece)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=lines.crs).reset_index(drop=True)


def _snap_one(geom, decimals: int):
    """One geometry on the grid, or its vertices rounded where GEOS cannot snap it."""
    try:
        return shapely.set_precision(geom, 10.0 ** -decimals)
    except shapely.errors.GEOSException:
        return shapely.transform(geom, lambda c: np.round(c, decimals))


def _round_coords(geoms: np.ndarray, decimals: int) -> np.ndarray:
    """Snap to a 10^-decimals grid with ``shapely.set_precision``, which keeps polygons valid (rounding each
    vertex on its own can make a thin spike cross itself); parts that collapse below the grid keep their
    vertex-rounded form rather than vanishing."""
    try:
        snapped = shapely.set_precision(geoms, 10.0 ** -decimals)
    except shapely.errors.GEOSException:  # one odd geometry (a topology GEOS cannot snap): each on its own
        snapped = np.array([_snap_one(g, decimals) for g in geoms], dtype=object)
    lost = shapely.is_empty(snapped) & ~shapely.is_empty(geoms)
    if lost.any():
        snapped[lost] = shapely.transform(geoms[lost], lambda c: np.round(c, decimals))
    return snapped


def prepare_for_web(
    gdf: gpd.GeoDataFrame,
    *,
    precision: int = 5,
    simplify_m: float = 0.0,
    coverage: bool = False,
    gcj02: bool = False,
) -> gpd.GeoDataFrame:
    """Return a copy ready for the web map: simplified, rounded, optionally GCJ-02-shifted.

    Parameters
    ----------
    gdf
        Layer in EPSG:4490 (or any geographic CRS).
    precision
        Decimals kept (5 ≈ 1 m).
    simplify_m
        Simplification tolerance in metres (0: none).
    coverage
        Simplify polygons as a coverage (``shapely.coverage_simplify``), so
        that neighbours keep sharing their edges.
    gcj02
        Shift coordinates to GCJ-02 for Gaode tiles.
    """
    out = gdf.to_crs(CGCS2000).copy()
    geoms = out.geometry.values
    drawable = ~(out.geometry.isna() | out.geometry.is_empty)
    if simplify_m > 0 and drawable.any():
        metric = projected_crs_for(tuple(out.geometry[drawable].total_bounds))
        gm = out.geometry.to_crs(metric).values
        if coverage:
            gm = shapely.coverage_simplify(gm, simplify_m)
        else:
            gm = shapely.simplify(gm, simplify_m, preserve_topology=True)
        geoms = gpd.GeoSeries(gm, crs=metric).to_crs(CGCS2000).values
    if gcj02:
        geoms = shift_geometry_to_gcj02(geoms)
    geoms = _round_coords(np.asarray(geoms), precision)
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=CGCS2000))
    return out


def escaped_properties(gdf: gpd.GeoDataFrame, fields: Sequence[str]) -> gpd.GeoDataFrame:
    """Keep ``fields`` and the geometry; turn values into escaped display strings."""
    cols = [f for f in fields if f in gdf.columns]
    out = gpd.GeoDataFrame(index=gdf.index, geometry=gdf.geometry.values, crs=gdf.crs)
    for c in cols:
        vals = gdf[c]
        if pd.api.types.is_float_dtype(vals):
            text = vals.map(lambda v: "" if pd.isna(v) else f"{v:.2f}".rstrip("0").rstrip("."))
        else:
            text = vals.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
        out[c] = text.map(lambda s: html.escape(s, quote=True))
    return out


def raster_to_rgba(array: np.ndarray, transform, crs, *, max_pixels: int = 1_500_000):
    """Warp a minutes raster to Web Mercator and colour it by :data:`TIME_BREAKS`.

    Returns
    -------
    (rgba, bounds)
        ``uint8`` RGBA image and ``[[south, west], [north, east]]`` in degrees.
    """
    from rasterio.transform import array_bounds
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    h, w = array.shape
    left, bottom, right, top = array_bounds(h, w, transform)
    dst_t, dw, dh = calculate_default_transform(crs, "EPSG:3857", w, h, left, bottom, right, top)
    scale = max(1.0, (dw * dh / max_pixels) ** 0.5)
    dw, dh = int(dw / scale), int(dh / scale)
    dst_t = dst_t @ dst_t.scale(scale, scale)
    out = np.full((dh, dw), np.nan, dtype=np.float32)
    reproject(array.astype(np.float32), out, src_transform=transform, src_crs=crs, dst_transform=dst_t,
              dst_crs="EPSG:3857", resampling=Resampling.nearest, src_nodata=np.nan, dst_nodata=np.nan)
    rgba = np.zeros((dh, dw, 4), dtype=np.uint8)
    valid = np.isfinite(out)
    idx = minute_class(out[valid])
    palette = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in TIME_COLOURS], dtype=np.uint8)
    rgba[valid, :3] = palette[np.minimum(idx, len(TIME_COLOURS) - 1)]
    rgba[valid, 3] = 170
    l3, b3, r3, t3 = array_bounds(dh, dw, dst_t)
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    west, south = tr.transform(l3, b3)
    east, north = tr.transform(r3, t3)
    return rgba, [[south, west], [north, east]]
