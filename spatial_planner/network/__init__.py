"""The multimodal transport network: building it from line layers, the graph, its contraction hierarchies, and walks
up path trees."""

from .build import build_network, network_from_arrays
from .graph import (
    MODES,
    RAIL_SPEEDS,
    ROAD_SPEEDS,
    Network,
    NetworkParams,
    NetworkReport,
    far_from_network,
    hilbert_keys,
    locality_order,
    require_connected,
    search_inputs,
    unreachable_flags,
)
from .hierarchy import Hierarchy, build_hierarchy
from .paths import paths_through, walk_to_source

__all__ = [
    "build_network", "network_from_arrays",
    "MODES", "RAIL_SPEEDS", "ROAD_SPEEDS", "Network", "NetworkParams", "NetworkReport", "far_from_network",
    "hilbert_keys", "locality_order", "require_connected", "search_inputs", "unreachable_flags",
    "paths_through", "walk_to_source", "Hierarchy", "build_hierarchy",
]
