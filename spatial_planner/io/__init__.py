"""Reading and writing layers: the built-in Henan data, user files, OpenStreetMap, GeoPackage and shapefiles.

Readers bring every layer to CGCS2000 (EPSG:4490) and the planner's schema;
writers build their file beside its final path and rename it into place.
"""

from ._atomic import atomic_output
from .builtin import BUILTIN_LAYERS, builtin_dir, load_henan, read_builtin, read_builtin_statistics, read_published_clusters, read_sectors
from .checks import GCJ02Check, detect_gcj02
from .credits import OSM_CREDIT, data_credits
from .encoding import detect_dbf_encoding
from .gpkg import gpkg_layer_counts, read_styles, write_geopackage, write_styles
from .osm import OSM_HIGHWAY_CLASSES, osm_to_layers, read_osm
from .readers import LayerSource, load_layers, read_layer, read_source, read_table
from .qml import qml_sidecar, rename_qml_fields
from .shapefile import SHAPEFILE_ENCODINGS, read_shapefiles, write_shapefiles
from .writers import write_csv, write_geotiff, write_html, write_text

__all__ = [
    "atomic_output",
    "BUILTIN_LAYERS", "builtin_dir", "load_henan", "read_builtin", "read_builtin_statistics", "read_published_clusters",
    "read_sectors",
    "GCJ02Check", "detect_gcj02", "OSM_CREDIT", "data_credits", "detect_dbf_encoding",
    "gpkg_layer_counts", "read_styles", "write_geopackage", "write_styles",
    "OSM_HIGHWAY_CLASSES", "osm_to_layers", "read_osm",
    "LayerSource", "load_layers", "read_layer", "read_source", "read_table",
    "qml_sidecar", "rename_qml_fields",
    "SHAPEFILE_ENCODINGS", "read_shapefiles", "write_shapefiles",
    "write_csv", "write_geotiff", "write_html", "write_text",
]
