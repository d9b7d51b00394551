"""spatial_planner: 点-带-网 (nodes, belts, network) layout planning for industrial clusters.

The data flow, one module per step::

    io → validate → network → accessibility → indices / nodes / belts / linkages → plan → maps / export

with ``config`` for run settings, ``crs`` for CGCS2000 / Gauss-Krüger / GCJ-02
handling and ``cli`` for the ``spatial-planner`` command.
"""

__version__ = "0.1.0"

from ._errors import (  # noqa: E402
    ConfigError,
    DataFileError,
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
from .config import Config, load_config  # noqa: E402
from .crs import gcj02_to_wgs84, projected_crs_for, wgs84_to_gcj02  # noqa: E402
from .io import DataWarning, load_henan, load_layers, read_builtin, read_layer, read_sectors  # noqa: E402
from .validate import validate_layer, validate_layers  # noqa: E402

__all__ = [
    "__version__",
    "SpatialPlannerError",
    "ConfigError",
    "DataFileError",
    "DisconnectedNetworkError",
    "DuplicateIdError",
    "EmptyLayerError",
    "EncodingError",
    "InvalidGeometryError",
    "InvalidValueError",
    "MissingColumnError",
    "NoCRSError",
    "OutputExistsError",
    "OutsideStudyAreaError",
    "UnexpectedCRSError",
    "Config",
    "load_config",
    "gcj02_to_wgs84",
    "wgs84_to_gcj02",
    "projected_crs_for",
    "DataWarning",
    "load_henan",
    "load_layers",
    "read_builtin",
    "read_layer",
    "read_sectors",
    "validate_layer",
    "validate_layers",
]
