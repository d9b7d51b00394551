"""spatial_planner: 点-带-网 (nodes, belts, network) layout planning for industrial clusters.

The package follows the data flow, one subpackage per step::

    io → validate → network → analysis → outputs

with ``config`` (the run settings), ``pipeline`` (the whole run) and ``cli``
(the ``spatial-planner`` command) on top, and ``_errors``, ``schema``, ``crs``,
``symbology`` and ``results`` at the bottom. The names below (see
:mod:`spatial_planner._api`) load on first use, so importing the package is
cheap, and a name loads only the part of the package it needs::

    import spatial_planner as sp
    layers = sp.load_henan()
    plan = sp.build_plan(layers, sp.Config())
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: Each public name and the module it is loaded from on first use (the typed view: :mod:`spatial_planner._api`).
_LAZY: dict[str, str] = {
    "load_henan": ".io", "load_layers": ".io", "read_builtin": ".io", "read_layer": ".io", "read_osm": ".io",
    "read_sectors": ".io", "validate_layer": ".validate", "validate_layers": ".validate",
    "build_network": ".network", "check_travel": ".network", "read_truth": ".network", "truth_summary": ".network",
    "od_matrix": ".analysis.accessibility", "isochrones": ".analysis.accessibility",
    "Config": ".config", "load_config": ".config", "build_plan": ".pipeline", "run": ".pipeline",
    "build_map": ".outputs.webmap", "AccessResult": ".results", "Plan": ".results",
    "gcj02_to_wgs84": ".crs", "wgs84_to_gcj02": ".crs", "projected_crs_for": ".crs",
}

__all__ = [
    "__version__",
    "ConfigError", "DataFileError", "DataWarning", "DisconnectedNetworkError", "DuplicateIdError", "EmptyLayerError",
    "EncodingError", "InvalidGeometryError", "InvalidValueError", "MissingColumnError", "NoCRSError",
    "OutputExistsError", "OutputLockedError", "OutsideStudyAreaError", "SpatialPlannerError", "UnexpectedCRSError",
    *_LAZY,
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
    OutputLockedError,
    OutsideStudyAreaError,
    SpatialPlannerError,
    UnexpectedCRSError,
)

if TYPE_CHECKING:  # static tools see the real names
    from ._api import *  # noqa: F403


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
