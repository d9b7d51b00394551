"""Reading and writing layers: the built-in Henan data, user files, OpenStreetMap, GeoPackage and shapefiles.

Readers bring every layer to CGCS2000 (EPSG:4490) and the planner's schema;
writers build their file beside its final path and rename it into place.
"""

from ._atomic import atomic_output
from .builtin import (
    BUILTIN_LAYERS,
    builtin_dir,
    load_henan,
    read_builtin,
    read_builtin_statistics,
    read_published_clusters,
    read_sectors,
)
from .checks import GCJ02Check, detect_gcj02
from .credits import OSM_CREDIT, data_credits
from .encoding import detect_dbf_encoding
from .gpkg import gpkg_layer_counts, read_styles, write_geopackage, write_styles
from .osm import OSM_HIGHWAY_CLASSES, osm_to_layers, read_osm
from .qml import qml_sidecar, rename_qml_fields
from .readers import LayerSource, load_layers, read_layer, read_source, read_table
from .shapefile import SHAPEFILE_ENCODINGS, read_shapefiles, write_shapefiles
from .writers import write_csv, write_geotiff, write_html, write_text

__all__ = [
    "BUILTIN_LAYERS",
    "OSM_CREDIT",
    "OSM_HIGHWAY_CLASSES",
    "SHAPEFILE_ENCODINGS",
    "GCJ02Check",
    "LayerSource",
    "atomic_output",
    "builtin_dir",
    "data_credits",
    "detect_dbf_encoding",
    "detect_gcj02",
    "gpkg_layer_counts",
    "load_henan",
    "load_layers",
    "osm_to_layers",
    "qml_sidecar",
    "read_builtin",
    "read_builtin_statistics",
    "read_layer",
    "read_osm",
    "read_published_clusters",
    "read_sectors",
    "read_shapefiles",
    "read_source",
    "read_styles",
    "read_table",
    "rename_qml_fields",
    "write_csv",
    "write_geopackage",
    "write_geotiff",
    "write_html",
    "write_shapefiles",
    "write_styles",
    "write_text",
]
