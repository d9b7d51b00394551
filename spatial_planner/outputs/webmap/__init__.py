"""The planner's HTML map (Folium / Leaflet): layers prepared for the web, our map elements, overlays and assets."""

from .elements import IndicatorSwitch, Legend, render_html
from .map import MapConfig, add_layer, build_map
from .overlays import add_choropleths, add_isochrones, add_plan_layers, add_raster
from .prepare import escaped_properties, prepare_for_web, raster_to_rgba, roads_for_map

__all__ = [
    "IndicatorSwitch", "Legend", "render_html", "MapConfig", "add_layer", "build_map",
    "add_choropleths", "add_isochrones", "add_plan_layers", "add_raster",
    "escaped_properties", "prepare_for_web", "raster_to_rgba", "roads_for_map",
]
