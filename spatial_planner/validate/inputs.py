"""Checking a dataset's files without running the plan: every problem, as a list, for ``spatial-planner validate``."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
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


def _guess_kind(path: Path) -> str | None:
    stem = path.stem.lower()
    for kind in SCHEMAS:
        if kind in stem or kind.rstrip("s") in stem:
            return kind
    return None


@dataclass
class _Input:
    """One layer read for validation: its kind, how problems name it, and its source (a path or ``"builtin"``)."""

    kind: str
    name: str
    source: str
    gdf: gpd.GeoDataFrame

    @property
    def from_file(self) -> bool:
        return self.source != "builtin"


def validate_inputs(sources: Mapping[str, LayerSource] | None = None, *, paths=(), kind: str | None = None,
                    gcj02_reference: bool = True) -> list[Problem]:
    """Every problem of a dataset's layers (``sources``, as a config's ``[layers]``) or of the given files, without raising.

    Files are read with :func:`spatial_planner.io.read_layer`; read failures
    become ``error`` problems, repairs ``repaired`` ones and warnings
    (encoding guessed, coordinates converted) ``warning`` ones. Each file is
    checked on its own, so several files of one kind each report their
    problems, under the file's path; layers of a config are named by their
    kind. Beyond :func:`validate_layer`'s checks:

    * names used by several features (``name_zh``) are a ``warning`` (ids must
      be unique, names need not be, but repeated names are often a mistake),
      except in roads and rail lines, whose segments share their line's name;
    * when the study area is the built-in Henan, point-like layers read from
      files (seats, hubs, stations, parks) are compared with the built-in
      county seats, and a layer that sits at the GCJ-02 offset from them is a
      ``warning`` (see :func:`spatial_planner._detect.detect_gcj02`);
    * files given without a boundary or counties layer are checked against the
      built-in Henan boundary (the default study area); with several boundary
      (or counties) files, against their union.

    Parameters
    ----------
    sources
        Layer name → :class:`~spatial_planner.io.LayerSource`, as a config's
        ``[layers]``; used when no ``paths`` are given.
    paths
        Files to check, each on its own.
    kind
        Layer kind of every file in ``paths``; by default guessed from each
        file's name (``parks.gpkg``).
    gcj02_reference
        Compare point-like file layers with the built-in county seats for a
        GCJ-02 offset (only meaningful when the study area is Henan).

    Returns
    -------
    list of Problem
        In the order found: reading problems first, file by file, then checks.
    """
    problems: list[Problem] = []
    inputs = [r for k, name, src in _entries(sources, paths, kind) if (r := _read_input(k, name, src, problems))]
    area, area_name = _study_area(inputs, files_given=bool(paths))
    for r in inputs:
        _check_input(r, area, area_name, problems)
    if gcj02_reference:
        problems.extend(_gcj02_problems(inputs))
    return problems


def _entries(sources: Mapping[str, LayerSource] | None, paths, kind: str | None
             ) -> list[tuple[str, str, LayerSource]]:
    """``(kind, name in problems, source)`` of each layer to check: the files given, or a config's layers."""
    if paths:
        return [(kind or _guess_kind(Path(p)) or "", str(p), LayerSource(str(p))) for p in paths]
    sources = sources or {}
    return [(k, k, sources.get(k) or LayerSource()) for k in LAYER_ORDER]


def _read_input(kind: str, name: str, src: LayerSource, problems: list[Problem]) -> _Input | None:
    """Read one layer, recording read failures and reading warnings; ``None`` when there is nothing to check."""
    label = kind if src.source == "builtin" else src.source
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        try:
            gdf = read_source(kind, src) if kind else read_layer(src.source)
        except SpatialPlannerError as exc:
            problems.append(Problem("error", label, 1, getattr(exc, "ids", []) or [], exc.detail, exc.fix or ""))
            return None
    for w in caught:
        if issubclass(w.category, DataWarning):
            problems.append(Problem("warning", label, 1, [], str(w.message), ""))
    if not kind:
        problems.append(Problem("warning", label, len(gdf), [], "layer kind unknown: only read, not checked",
                                "name the file after its kind (parks.gpkg) or pass --kind."))
        return None
    return _Input(kind, name, src.source, gdf)


def _study_area(inputs: list[_Input], *, files_given: bool):
    """The study area the layers are checked against, and what messages call it.

    The union of the boundary layers read (or of the counties layers); for
    files given without either, the built-in Henan boundary.
    """
    by_kind = {k: pd.concat([r.gdf for r in inputs if r.kind == k])
               for k in ("boundary", "counties") if any(r.kind == k for r in inputs)}
    area = study_area_of(by_kind)
    if area is None and files_given and inputs:
        return shapely.union_all(read_builtin("boundary").geometry.values), "河南省 Henan (built-in boundary)"
    return area, "study area"


def _check_input(r: _Input, area, area_name: str, problems: list[Problem]) -> None:
    """:func:`validate_layer`'s checks of one layer, and repeated names, appended to ``problems``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        validated = validate_layer(r.gdf, r.kind, name=r.name, study_area=None if r.kind == "boundary" else area,
                                   problems=problems, area_name=area_name)
    if r.kind in NAMES_MAY_REPEAT or "name_zh" not in validated.columns:
        return
    id_col = schema_for(r.kind).id_column
    if id_col not in validated.columns:
        return
    names, dup_ids = duplicate_names(validated, ids=validated[id_col].astype(str).tolist())
    if names:
        problems.append(Problem(
            "warning", r.name, len(dup_ids), dup_ids,
            f"重名 {len(names)} name(s) used by more than one feature in 'name_zh': {format_ids(names, 3)}",
            "check that these are different places; give them distinct names (ids are unique already).",
        ))


#: Layers compared with the built-in county seats for a GCJ-02 offset.
_GCJ02_KINDS = ("seats", "hubs", "stations", "parks")


def _gcj02_problems(inputs: list[_Input]) -> list[Problem]:
    """``warning`` problems for file layers that sit at the GCJ-02 offset from the built-in seats."""
    todo = [r for r in inputs if r.kind in _GCJ02_KINDS and r.from_file and len(r.gdf) and r.gdf.crs is not None]
    if not todo:
        return []
    reference = read_builtin("seats")
    out = []
    for r in todo:
        id_col = schema_for(r.kind).id_column
        ids = r.gdf[id_col].astype(str).tolist() if id_col in r.gdf.columns else None
        try:
            check = detect_gcj02(r.gdf, reference, ids=ids, label=r.source, warn=False)
        except SpatialPlannerError:
            continue
        if check.shifted:
            out.append(Problem(
                "warning", r.name, check.n_shifted, check.shifted_ids,
                f"坐标疑似 GCJ-02（火星坐标）: {check.n_shifted} of {check.n_matched} feature(s) near a county seat sit "
                f"300–700 m from it in the direction of the GCJ-02 offset (median {check.median_offset_m:.0f} m)",
                "convert the coordinates from GCJ-02 (read_layer(..., from_gcj02=True) or "
                "spatial_planner.crs.gcj02_to_wgs84) and save the file again.",
            ))
    return out
