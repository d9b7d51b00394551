"""The public API: every name ``import spatial_planner as sp`` offers, and where it lives.

``spatial_planner/__init__.py`` loads these lazily, on first use, so that
``import spatial_planner`` (and ``spatial-planner --help``) stay fast.
"""

from ._errors import *  # noqa: F403 - every error type (spatial_planner imports them at once, too)
from .analysis.accessibility import isochrones, od_matrix
from .config import Config, load_config
from .crs import gcj02_to_wgs84, projected_crs_for, wgs84_to_gcj02
from .io import load_henan, load_layers, read_builtin, read_layer, read_osm, read_sectors
from .network import build_network, check_travel, read_truth, truth_summary
from .outputs.webmap import build_map
from .pipeline import build_plan, run
from .results import AccessResult, Plan
from .validate import validate_layer, validate_layers

from . import __all__ as _PUBLIC  # noqa: E402 - the one list of public names, in __init__

__all__ = [name for name in _PUBLIC if name != "__version__"]
