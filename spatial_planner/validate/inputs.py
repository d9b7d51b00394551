"""Checking a dataset's files without running the plan: every problem, as a list, for ``spatial-planner validate``."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import geopandas as gpd
import shapely

from .._errors import (
    DataWarning,
    SpatialPlannerError,
    format_ids,
)
from ..io.builtin import read_builtin
from ..io.checks import (
    detect_gcj02,
    duplicate_names,
)
from ..io.readers import LayerSource, read_layer, read_source
from ..schema import LAYER_ORDER, SCHEMAS, schema_for
from .layers import NAMES_MAY_REPEAT, Problem, study_area_of, validate_layer

__all__ = ["validate_inputs"]


def _guess_kind(path) -> str | None:
    stem = path.stem.lower()
    for kind in SCHEMAS:
        if kind in stem or kind.rstrip("s") in stem:
            return kind
    return None


def validate_inputs(sources: Mapping[str, LayerSource] | None = None, *, paths=(), kind: str | None = None,
                    gcj02_reference: bool = True) -> list[Problem]:
    """Every problem of a dataset's layers (``sources``, as a config's ``[layers]``) or of the given files, without raising.

    Files are read with :func:`spatial_planner.io.read_layer`; read failures
    become ``error`` problems, repairs ``repaired`` ones and warnings
    (encoding guessed, coordinates converted) ``warning`` ones. Beyond
    :func:`validate_layer`'s checks:

    * names used by several features (``name_zh``) are a ``warning`` (ids must
      be unique, names need not be, but repeated names are often a mistake),
      except in roads and rail lines, whose segments share their line's name;
    * when the study area is the built-in Henan, point-like layers read from
      files (seats, hubs, stations, parks) are compared with the built-in
      county seats, and a layer that sits at the GCJ-02 offset from them is a
      ``warning`` (see :func:`spatial_planner._detect.detect_gcj02`);
    * files given without a boundary or counties layer are checked against the
      built-in Henan boundary (the default study area).
    """
    problems: list[Problem] = []
    if paths:
        entries: list[tuple[str, LayerSource]] = [(kind or _guess_kind(p) or "", LayerSource(str(p))) for p in paths]
    else:
        sources = sources or {}
        entries = [(k, sources.get(k) or LayerSource()) for k in LAYER_ORDER]
    layers: dict[str, gpd.GeoDataFrame] = {}
    labels: dict[str, str] = {}
    for k, src in entries:
        builtin = src.source == "builtin"
        label = k if builtin else src.source
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            try:
                gdf = read_source(k, src) if k else read_layer(src.source)
            except SpatialPlannerError as exc:
                problems.append(Problem("error", label, 1, getattr(exc, "ids", []) or [], exc.detail, exc.fix or ""))
                continue
        for w in caught:
            if issubclass(w.category, DataWarning):
                problems.append(Problem("warning", label, 1, [], str(w.message), ""))
        if k:
            layers[k] = gdf
            if not builtin:
                labels[k] = label
        else:
            problems.append(Problem("warning", label, len(gdf), [], "layer kind unknown: only read, not checked",
                                    "name the file after its kind (parks.gpkg) or pass --kind."))
    area_name = "study area"
    area = study_area_of(layers)
    if area is None and paths and layers:
        area = shapely.union_all(read_builtin("boundary").geometry.values)
        area_name = "河南省 Henan (built-in boundary)"
    for k, gdf in layers.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            validated = validate_layer(gdf, k, name=k, study_area=None if k == "boundary" else area,
                                       problems=problems, area_name=area_name)
        if k in NAMES_MAY_REPEAT or "name_zh" not in validated.columns:
            continue
        id_col = schema_for(k).id_column
        if id_col not in validated.columns:
            continue
        names, dup_ids = duplicate_names(validated, ids=validated[id_col].astype(str).tolist())
        if names:
            problems.append(Problem(
                "warning", k, len(dup_ids), dup_ids,
                f"重名 {len(names)} name(s) used by more than one feature in 'name_zh': {format_ids(names, 3)}",
                "check that these are different places; give them distinct names (ids are unique already).",
            ))
    if gcj02_reference:
        problems.extend(_gcj02_problems(layers, labels))
    return problems


#: Layers compared with the built-in county seats for a GCJ-02 offset.
_GCJ02_KINDS = ("seats", "hubs", "stations", "parks")


def _gcj02_problems(layers: dict[str, gpd.GeoDataFrame], labels: dict[str, str]) -> list[Problem]:
    """``warning`` problems for file layers that sit at the GCJ-02 offset from the built-in seats."""
    todo = [k for k in _GCJ02_KINDS if k in layers and k in labels and len(layers[k])]
    if not todo:
        return []
    reference = read_builtin("seats")
    out = []
    for k in todo:
        gdf = layers[k]
        if gdf.crs is None:
            continue
        id_col = schema_for(k).id_column
        ids = gdf[id_col].astype(str).tolist() if id_col in gdf.columns else None
        try:
            check = detect_gcj02(gdf, reference, ids=ids, label=labels[k], warn=False)
        except SpatialPlannerError:
            continue
        if check.shifted:
            out.append(Problem(
                "warning", k, check.n_shifted, check.shifted_ids,
                f"坐标疑似 GCJ-02（火星坐标）: {check.n_shifted} of {check.n_matched} feature(s) near a county seat sit "
                f"300–700 m from it in the direction of the GCJ-02 offset (median {check.median_offset_m:.0f} m)",
                "convert the coordinates from GCJ-02 (read_layer(..., from_gcj02=True) or "
                "spatial_planner.crs.gcj02_to_wgs84) and save the file again.",
            ))
    return out
