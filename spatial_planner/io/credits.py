"""Credits the data asks for: OpenStreetMap-derived layers are ODbL and must say so on every map and report."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd

__all__ = ["OSM_CREDIT", "data_credits"]

#: The credit line the ODbL asks for.
OSM_CREDIT = "© OpenStreetMap contributors"

#: Columns whose values name where a feature's geometry or facts come from.
_SOURCE_COLUMNS = ("geometry_source", "source", "location_source")
#: Columns only OpenStreetMap readers write.
_OSM_COLUMNS = ("osm_highway", "osm_railway", "osm_id")


def _osm_derived(gdf: gpd.GeoDataFrame) -> bool:
    if any(c in gdf.columns for c in _OSM_COLUMNS):
        return True
    for col in _SOURCE_COLUMNS:
        if col in gdf.columns and gdf[col].astype(str).str.contains("OpenStreetMap", regex=False).any():
            return True
    return False


def data_credits(layers: Mapping[str, gpd.GeoDataFrame | None]) -> list[str]:
    """The credit lines the layers need: :data:`OSM_CREDIT` when any layer is derived from OpenStreetMap (a
    ``source``, ``geometry_source`` or ``location_source`` naming it, or the columns of the OSM readers)."""
    if any(g is not None and len(g) and _osm_derived(g) for g in layers.values()):
        return [OSM_CREDIT]
    return []
