"""Validation of input layers (schema, ids, geometry, CRS, study area) and of whole datasets' files."""

from .inputs import validate_inputs
from .layers import Problem, ValidationReport, study_area_of, validate_layer, validate_layers

__all__ = ["Problem", "ValidationReport", "study_area_of", "validate_inputs", "validate_layer", "validate_layers"]
