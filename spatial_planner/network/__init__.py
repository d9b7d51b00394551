"""The multimodal transport network: building it from line layers, the graph, and walks up path trees."""

from .build import build_network, network_from_arrays
from .graph import (
    MODES,
    RAIL_SPEED_FACTORS,
    RAIL_SPEEDS,
    ROAD_SPEEDS,
    Network,
    NetworkParams,
    NetworkReport,
    SnapRecord,
    far_from_network,
    hilbert_keys,
    locality_order,
    require_connected,
    search_inputs,
    unreachable_flags,
)
from .paths import paths_through, walk_to_source
from .truth import check_travel, read_truth, truth_summary

__all__ = [
    "build_network", "network_from_arrays",
    "MODES", "RAIL_SPEED_FACTORS", "RAIL_SPEEDS", "ROAD_SPEEDS", "Network", "NetworkParams", "NetworkReport", "SnapRecord",
    "far_from_network",
    "hilbert_keys", "locality_order", "require_connected", "search_inputs", "unreachable_flags",
    "paths_through", "walk_to_source", "check_travel", "read_truth", "truth_summary",
]
