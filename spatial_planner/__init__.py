"""spatial_planner: 点-带-网 (nodes, belts, network) layout planning for industrial clusters.

The package follows the data flow, one subpackage per step::

    io → validate → network → analysis → outputs

with ``config`` (the run settings), ``pipeline`` (the whole run) and ``cli``
(the ``spatial-planner`` command) on top, and ``_errors``, ``schema``, ``crs``,
``symbology`` and ``results`` at the bottom. The names below (see
:mod:`spatial_planner._api`) load on first use, so importing the package is
cheap::

    import spatial_planner as sp
    layers = sp.load_henan()
    plan = sp.build_plan(layers, sp.Config())
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "ConfigError", "DataFileError", "DataWarning", "DisconnectedNetworkError", "DuplicateIdError", "EmptyLayerError",
    "EncodingError", "InvalidGeometryError", "InvalidValueError", "MissingColumnError", "NoCRSError",
    "OutputExistsError", "OutsideStudyAreaError", "SpatialPlannerError", "UnexpectedCRSError",
    "isochrones", "od_matrix", "Config", "load_config", "gcj02_to_wgs84", "projected_crs_for", "wgs84_to_gcj02",
    "load_henan", "load_layers", "read_builtin", "read_layer", "read_osm", "read_sectors", "build_network",
    "build_map", "build_plan", "run", "AccessResult", "Plan", "validate_layer", "validate_layers",
]

from ._errors import (
    ConfigError,
    DataFileError,
    DataWarning,
    DisconnectedNetworkError,
    DuplicateIdError,
    EmptyLayerError,
    EncodingError,
    InvalidGeometryError,
    InvalidValueError,
    MissingColumnError,
    NoCRSError,
    OutputExistsError,
    OutsideStudyAreaError,
    SpatialPlannerError,
    UnexpectedCRSError,
)

if TYPE_CHECKING:  # static tools see the real names
    from ._api import *  # noqa: F403


def __getattr__(name: str):
    if name in __all__:
        value = getattr(importlib.import_module("._api", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
