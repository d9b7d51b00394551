"""Validation of input layers: schema, ids, geometry, CRS and study area.

:func:`validate_layer` checks one layer against its schema. By default it
raises the first error as a typed exception; with ``collect`` it returns every
problem as a :class:`Problem` so that ``spatial-planner validate`` can print a
table. Safe repairs (invalid polygons through ``make_valid``) are made and
reported with a :class:`~spatial_planner.io.DataWarning`, never silently.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely

from ._errors import (
    DuplicateIdError,
    EmptyLayerError,
    InvalidGeometryError,
    MissingColumnError,
    NoCRSError,
    OutsideStudyAreaError,
    SpatialPlannerError,
    format_ids,
)
from .crs import CGCS2000, projected_crs_for
from .io import DataWarning
from .schema import schema_for

__all__ = ["Problem", "ValidationReport", "validate_layer", "validate_layers", "validate_inputs"]


@dataclass
class Problem:
    """One finding of validation."""

    severity: str  # "error" | "warning" | "repaired"
    layer: str
    count: int
    ids: list
    message: str
    fix: str = ""

    def row(self) -> tuple[str, str, str, str, str, str]:
        return (self.severity, self.layer, str(self.count), format_ids(self.ids, 3), self.message, self.fix)


@dataclass
class ValidationReport:
    """Problems found across layers, with the repaired layers."""

    problems: list[Problem] = field(default_factory=list)
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _problem_from(exc: SpatialPlannerError, layer: str) -> Problem:
    ids = getattr(exc, "ids", []) or []
    return Problem("error", layer, max(len(ids), 1), ids, exc.detail, exc.fix or "")


def validate_layer(
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    name: str | None = None,
    study_area=None,
    tolerance_m: float = 2000.0,
    repair: bool = True,
    problems: list[Problem] | None = None,
) -> gpd.GeoDataFrame:
    """Check a layer against the schema of ``kind`` and return it, repaired.

    Parameters
    ----------
    gdf
        The layer.
    kind
        Schema name (``"parks"``, ``"counties"``, ...).
    name
        Name used in messages (defaults to ``kind``).
    study_area
        A shapely geometry in EPSG:4490. Features whose representative point
        lies farther than ``tolerance_m`` outside it are errors.
    tolerance_m
        Slack for the study-area test, in metres.
    repair
        Repair invalid geometries with ``make_valid`` (with a warning).
    problems
        When given, problems are appended here and validation goes on;
        otherwise the first error is raised.

    Raises
    ------
    EmptyLayerError, MissingColumnError, DuplicateIdError, InvalidGeometryError,
    OutsideStudyAreaError, NoCRSError
    """
    schema = schema_for(kind)
    label = name or kind
    collect = problems is not None

    def fail(exc: SpatialPlannerError):
        if not collect:
            raise exc
        problems.append(_problem_from(exc, label))

    if gdf.crs is None:
        fail(NoCRSError("图层没有坐标参考系 the layer has no CRS", layer=label,
                        fix="set the CRS in the source file or in the config."))
        return gdf
    if len(gdf) == 0:
        fail(EmptyLayerError("图层为空 the layer has no features", layer=label,
                             fix="check the file and the layer name; an empty export is a common cause."))
        return gdf
    missing = [c for c in schema.required if c not in gdf.columns]
    if missing:
        fail(MissingColumnError(missing, layer=label, available=[c for c in gdf.columns if c != "geometry"]))
        return gdf
    ids = gdf[schema.id_column].astype(str)
    blank = ids[(ids.str.strip() == "") | gdf[schema.id_column].isna()]
    if len(blank):
        fail(InvalidGeometryError(f"empty ids in column '{schema.id_column}'", layer=label,
                                  ids=[f"row {i}" for i in blank.index],
                                  fix=f"give every feature a value in '{schema.id_column}'."))
    dups = ids[ids.duplicated(keep=False)].unique().tolist()
    if dups:
        fail(DuplicateIdError(dups, layer=label, column=schema.id_column))

    geoms = gdf.geometry.values
    null = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if null.any():
        fail(InvalidGeometryError("要素没有几何 features without geometry", layer=label,
                                  ids=ids[null].tolist(), fix="draw or geocode these features, or remove them."))
    types = np.array([g.geom_type if g is not None else None for g in geoms], dtype=object)
    wrong = ~null & ~np.isin(types, schema.geom_types)
    if wrong.any():
        found = sorted({str(t) for t in types[wrong]})
        fail(InvalidGeometryError(
            f"几何类型错误 expected {schema.geometry} geometries, found {', '.join(found)}", layer=label,
            ids=ids[wrong].tolist(), fix=f"give this layer {schema.geometry} geometries only."))
    invalid = ~null & ~wrong & ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        if repair:
            gdf = gdf.copy()
            fixed = shapely.make_valid(geoms[invalid])
            if schema.geometry == "polygon":
                fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
            gdf.loc[gdf.index[invalid], gdf.geometry.name] = fixed
            msg = (f"[{label}] 修复了 {int(invalid.sum())} 个无效几何 repaired {int(invalid.sum())} invalid "
                   f"geometr{'y' if invalid.sum() == 1 else 'ies'} with make_valid: {format_ids(ids[invalid].tolist())} "
                   f"({reasons[0]})")
            warnings.warn(msg, DataWarning, stacklevel=2)
            if collect:
                problems.append(Problem("repaired", label, int(invalid.sum()), ids[invalid].tolist(),
                                        f"invalid geometry repaired with make_valid ({reasons[0]})",
                                        "fix the source geometry to silence this."))
        else:
            fail(InvalidGeometryError(f"无效几何 invalid geometries ({reasons[0]})", layer=label,
                                      ids=ids[invalid].tolist(), fix="repair them (QGIS: Fix geometries)."))

    if study_area is not None and not null.all():
        outside = _outside(gdf.loc[~null], study_area, tolerance_m)
        if outside.any():
            fail(OutsideStudyAreaError(ids[~null][outside].tolist(), layer=label, area="study area"))
    return gdf


def _polygonal_part(geom):
    """Keep the polygonal part of a ``make_valid`` result (drops stray lines/points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else geom


def _outside(gdf: gpd.GeoDataFrame, area, tolerance_m: float) -> np.ndarray:
    """Boolean mask (aligned with ``gdf``) of features whose representative point lies outside ``area``."""
    metric = projected_crs_for(area.bounds)
    area_m = gpd.GeoSeries([area], crs=CGCS2000).to_crs(metric).iloc[0]
    pts = gdf.geometry.to_crs(metric).representative_point().values
    prepared = shapely.buffer(area_m, tolerance_m) if tolerance_m > 0 else area_m
    shapely.prepare(prepared)
    return ~shapely.contains(prepared, pts)


def validate_layers(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    study_area=None,
    collect: bool = False,
) -> ValidationReport:
    """Validate every layer of a dataset against its schema.

    The study area defaults to the union of the ``boundary`` layer (or of the
    counties) when ``study_area`` is not given.
    """
    report = ValidationReport()
    if study_area is None:
        src = layers.get("boundary")
        if src is None or len(src) == 0:
            src = layers.get("counties")
        if src is not None and len(src):
            study_area = shapely.union_all(src.geometry.values)
    for kind, gdf in layers.items():
        report.layers[kind] = validate_layer(
            gdf, kind, study_area=None if kind in ("boundary",) else study_area,
            problems=report.problems if collect else None,
        )
    return report


def _guess_kind(path) -> str | None:
    from .schema import SCHEMAS

    stem = path.stem.lower()
    for kind in SCHEMAS:
        if kind in stem or kind.rstrip("s") in stem:
            return kind
    return None


def validate_inputs(*, config_path=None, paths=(), kind: str | None = None) -> list[Problem]:
    """Every problem of a config's layers or of the given files, without raising.

    Files are read with :func:`spatial_planner.io.read_layer`; read failures
    become ``error`` problems, repairs ``repaired`` ones and warnings
    (encoding guessed, coordinates converted) ``warning`` ones.
    """
    from .config import load_config
    from .io import DataWarning, read_builtin, read_layer
    from .schema import LAYER_ORDER

    problems: list[Problem] = []
    sources: list[tuple[str, object]] = []
    if paths:
        for p in paths:
            sources.append((kind or _guess_kind(p) or "", p))
    else:
        cfg = load_config(config_path)
        for k in LAYER_ORDER:
            spec = cfg.layers[k]
            sources.append((k, "builtin" if spec.source == "builtin" else spec))
    layers: dict[str, gpd.GeoDataFrame] = {}
    for k, src in sources:
        label = k if src == "builtin" else str(getattr(src, "source", src))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            try:
                if src == "builtin":
                    gdf = read_builtin(k)
                elif hasattr(src, "source"):
                    gdf = read_layer(src.source, kind=k, layer=src.layer or None, encoding=src.encoding or None,
                                     crs=src.crs or None, columns=src.columns or None)
                else:
                    gdf = read_layer(src, kind=k or None)
            except SpatialPlannerError as exc:
                problems.append(Problem("error", label, 1, getattr(exc, "ids", []) or [], exc.detail, exc.fix or ""))
                continue
        for w in caught:
            if issubclass(w.category, DataWarning):
                problems.append(Problem("warning", label, 1, [], str(w.message), ""))
        if k:
            layers[k] = gdf
        else:
            problems.append(Problem("warning", label, len(gdf), [], "layer kind unknown: only read, not checked",
                                    "name the file after its kind (parks.gpkg) or pass --kind."))
    area = None
    src = layers.get("boundary") if layers.get("boundary") is not None else layers.get("counties")
    if src is not None and len(src):
        area = shapely.union_all(src.geometry.values)
    for k, gdf in layers.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            validate_layer(gdf, k, name=k, study_area=None if k == "boundary" else area, problems=problems)
    return problems
