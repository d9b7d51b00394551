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
import pandas as pd
import shapely

from .._errors import (
    DataWarning,
    DuplicateIdError,
    EmptyLayerError,
    InvalidGeometryError,
    InvalidValueError,
    MissingColumnError,
    NoCRSError,
    OutsideStudyAreaError,
    SpatialPlannerError,
    format_ids,
)
from ..crs import CGCS2000, projected_crs_for
from ..io.area import NETWORK_LAYERS
from ..io.checks import (
    check_numeric_columns,
    geometry_type_error,
    keep_family_parts,
    nonfinite_mask,
    normalise_geometry_types,
)
from ..schema import schema_for

__all__ = [
    "Problem",
    "ValidationReport",
    "NAMES_MAY_REPEAT",
    "validate_layer",
    "study_area_of",
    "validate_layers",
]


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


# a road or railway is many features sharing one name (segments of one street or line)
NAMES_MAY_REPEAT = ("boundary", "roads", "rail_lines")


def _problem_from(exc: SpatialPlannerError, layer: str) -> Problem:
    ids = getattr(exc, "ids", []) or []
    return Problem("error", layer, max(len(ids), 1), ids, exc.detail, exc.fix or "")


#: How far outside the study area a place (county, park, seat) may lie, in metres: digitising slack.
AREA_TOLERANCE_M = 2000.0
#: The network layers: not held to the study area (they are clipped to it plus a buffer).
NETWORK_KINDS = frozenset(NETWORK_LAYERS)
#: Network features farther than this beyond the study area get a warning (the default network buffer), km.
NETWORK_REACH_KM = 50.0


def validate_layer(
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    name: str | None = None,
    study_area=None,
    tolerance_m: float | None = None,
    repair: bool = True,
    problems: list[Problem] | None = None,
    area_name: str = "study area",
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
        A shapely geometry in EPSG:4490. Features that lie wholly farther than
        ``tolerance_m`` outside it are errors.
    tolerance_m
        Slack for the study-area test, in metres: by default
        :data:`AREA_TOLERANCE_M`. The network layers (roads, rail lines,
        stations, hubs) are not tested by default: a network runs on past any
        boundary, and the pipeline clips it to the area plus
        ``[study_area] network_buffer_km`` (:func:`spatial_planner.io.select_area`).
    repair
        Make the safe repairs, each with a warning: invalid geometries through
        ``make_valid`` (keeping the parts of the layer's type), MultiPoints in a
        point layer split into points (ids suffixed ``-1``, ``-2``), and
        GeometryCollections reduced to their parts of the layer's type.
    problems
        When given, problems are appended here and validation goes on;
        otherwise the first error is raised.
    area_name
        How messages call the study area.

    Raises
    ------
    EmptyLayerError, MissingColumnError, DuplicateIdError, InvalidGeometryError,
    OutsideStudyAreaError, NoCRSError
        ``InvalidGeometryError`` also covers NaN coordinates, geometries that
        ``make_valid`` cannot turn into the layer's type (rings with too few
        points), mixed geometry types, and out-of-range numbers (negative
        ``area_km2``, speeds or detour factors).
    """
    chk = _Checker(schema_for(kind), name or kind, problems)
    if not chk.readable(gdf):
        return gdf
    if repair:
        gdf = chk.normalise_types(gdf)
    ids = chk.ids(gdf)
    for exc in check_numeric_columns(gdf, kind, label=chk.label, ids=ids.to_numpy(dtype=object)):
        chk.fail(exc)
    usable = chk.usable_geometries(gdf, ids)
    gdf = chk.invalid_geometries(gdf, ids, usable, repair=repair)
    if study_area is not None and usable.any() and kind in NETWORK_KINDS and tolerance_m is None:
        beyond = _outside(gdf.loc[usable], study_area, NETWORK_REACH_KM * 1000.0)
        if beyond.any():
            chk.warn(int(beyond.sum()), ids[usable][beyond].tolist(),
                     f"{int(beyond.sum())} 个要素在研究区外 {NETWORK_REACH_KM:g} 公里以远，规划时将被略去 — feature(s) "
                     f"farther than {NETWORK_REACH_KM:g} km beyond the study area: a run leaves them out",
                     "check the coordinates (swapped lon/lat? wrong CRS?), or ignore if the network simply runs on.")
    elif study_area is not None and usable.any():
        outside = _outside(gdf.loc[usable], study_area, AREA_TOLERANCE_M if tolerance_m is None else tolerance_m)
        if outside.any():
            chk.fail(OutsideStudyAreaError(ids[usable][outside].tolist(), layer=chk.label, area=area_name))
    return gdf


class _Checker:
    """The checks of :func:`validate_layer` for one layer: each raises, or records a :class:`Problem` and goes on."""

    def __init__(self, schema, label: str, problems: list[Problem] | None):
        self.schema, self.label, self.problems = schema, label, problems

    def fail(self, exc: SpatialPlannerError) -> None:
        if self.problems is None:
            raise exc
        self.problems.append(_problem_from(exc, self.label))

    def warn(self, count: int, ids: list, message: str, fix: str) -> None:
        """A finding that is not an error: recorded, or a :class:`DataWarning` when nothing records."""
        if self.problems is not None:
            self.problems.append(Problem("warning", self.label, count, ids, message, fix))
        else:
            warnings.warn(f"[{self.label}] {message} ({format_ids(ids, 5)})", DataWarning, stacklevel=4)

    def repaired(self, count: int, ids: list, message: str) -> None:
        if self.problems is not None:
            self.problems.append(Problem("repaired", self.label, count, ids, message,
                                         "fix the source geometry to silence this."))

    def readable(self, gdf: gpd.GeoDataFrame) -> bool:
        """A CRS, features and the required columns: without them nothing else can be checked."""
        if gdf.crs is None:
            self.fail(NoCRSError("图层没有坐标参考系 the layer has no CRS", layer=self.label,
                                 fix="set the CRS in the source file or in the config."))
            return False
        if len(gdf) == 0:
            self.fail(EmptyLayerError("图层为空 the layer has no features", layer=self.label,
                                      fix="check the file and the layer name; an empty export is a common cause."))
            return False
        missing = [c for c in self.schema.required if c not in gdf.columns]
        if missing:
            self.fail(MissingColumnError(missing, layer=self.label,
                                         available=[c for c in gdf.columns if c != "geometry"]))
            return False
        return True

    def normalise_types(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """MultiPoints split and GeometryCollections unpacked (:func:`normalise_geometry_types`), each reported."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            gdf = normalise_geometry_types(gdf, self.schema.geometry, label=self.label,
                                           id_column=self.schema.id_column)
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=3)
            if issubclass(w.category, DataWarning):
                self.repaired(1, [], str(w.message).split("] ", 1)[-1])
        return gdf

    def ids(self, gdf: gpd.GeoDataFrame) -> pd.Series:
        """The ids as text, after checking that none is empty and none repeats."""
        col = self.schema.id_column
        ids = gdf[col].astype(str)
        blank = ids[(ids.str.strip() == "") | gdf[col].isna()]
        if len(blank):
            self.fail(InvalidValueError(f"empty ids in column '{col}'", layer=self.label, column=col,
                                        ids=[f"row {i}" for i in blank.index],
                                        fix=f"give every feature a value in '{col}'."))
        dups = ids[ids.duplicated(keep=False)].unique().tolist()
        if dups:
            self.fail(DuplicateIdError(dups, layer=self.label, column=col))
        return ids

    def usable_geometries(self, gdf: gpd.GeoDataFrame, ids: pd.Series) -> np.ndarray:
        """Which features have a geometry of the layer's type with finite coordinates (the others are reported)."""
        geoms = gdf.geometry.values
        null = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if null.any():
            self.fail(InvalidGeometryError("要素没有几何 features without geometry", layer=self.label,
                                           ids=ids[null].tolist(), fix="draw or geocode these features, or remove them."))
        nonfinite = ~null & nonfinite_mask(gdf)
        if nonfinite.any():
            self.fail(InvalidGeometryError(
                f"坐标含 NaN 或无穷值 {int(nonfinite.sum())} feature(s) with NaN or infinite coordinates",
                layer=self.label, ids=ids[nonfinite].tolist(),
                fix="fill in the missing coordinates (empty cells in a spreadsheet export are a common cause) "
                    "or delete these features."))
        types = np.array([g.geom_type if not n else None for g, n in zip(geoms, null)], dtype=object)
        wrong, type_error = geometry_type_error(types, self.schema.geometry, label=self.label,
                                                ids=ids.to_numpy(dtype=object))
        if type_error is not None:
            self.fail(type_error)
        return ~null & ~nonfinite & ~wrong

    def invalid_geometries(self, gdf: gpd.GeoDataFrame, ids: pd.Series, usable: np.ndarray, *, repair: bool
                           ) -> gpd.GeoDataFrame:
        """Invalid geometries repaired with ``make_valid`` (keeping the layer's type) and reported, or refused."""
        geoms = gdf.geometry.values
        invalid = usable & ~shapely.is_valid(geoms)
        if not invalid.any():
            return gdf
        reasons = shapely.is_valid_reason(geoms[invalid])
        family = self.schema.geometry
        if not repair:
            self.fail(InvalidGeometryError(f"无效几何 invalid geometries ({reasons[0]})", layer=self.label,
                                           ids=ids[invalid].tolist(), fix="repair them (QGIS: Fix geometries)."))
            return gdf
        fixed = np.array([keep_family_parts(g, family) for g in shapely.make_valid(geoms[invalid])], dtype=object)
        lost = np.array([g is None for g in fixed], dtype=bool)
        pos = np.flatnonzero(invalid)
        if lost.any():
            self.fail(InvalidGeometryError(
                f"无法修复的几何 {int(lost.sum())} invalid geometr{'y' if lost.sum() == 1 else 'ies'} that "
                f"make_valid cannot turn into a {family} ({reasons[lost][0]})", layer=self.label,
                ids=ids.iloc[pos[lost]].tolist(),
                fix=f"redraw these features as proper {family}s (a ring needs at least three distinct "
                    "points) or delete them."))
        if (~lost).any():
            done = pos[~lost]
            new = geoms.copy()
            new[done] = fixed[~lost]
            gdf = gdf.set_geometry(gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs))
            done_ids = ids.iloc[done].tolist()
            n = len(done)
            warnings.warn(f"[{self.label}] 修复了 {n} 个无效几何 repaired {n} invalid "
                          f"geometr{'y' if n == 1 else 'ies'} with make_valid: {format_ids(done_ids)} "
                          f"({reasons[~lost][0]})", DataWarning, stacklevel=3)
            self.repaired(n, done_ids, f"invalid geometry repaired with make_valid ({reasons[~lost][0]})")
        return gdf


def _outside(gdf: gpd.GeoDataFrame, area, tolerance_m: float) -> np.ndarray:
    """Boolean mask (aligned with ``gdf``) of features with no part inside ``area`` (buffered by
    ``tolerance_m``): a point outside it, a line or polygon that does not reach it. A line that runs out of the
    area and back (a railway crossing a neighbouring province) is inside."""
    metric = projected_crs_for(area.bounds)
    area_m = gpd.GeoSeries([area], crs=CGCS2000).to_crs(metric).iloc[0]
    geoms = gdf.geometry.to_crs(metric).values
    prepared = shapely.buffer(area_m, tolerance_m) if tolerance_m > 0 else area_m
    shapely.prepare(prepared)
    return ~shapely.intersects(prepared, geoms)


def study_area_of(layers: dict[str, gpd.GeoDataFrame]):
    """The study area of a dataset: the union of its ``boundary`` layer, or of its counties; ``None`` without either."""
    src = layers.get("boundary")
    if src is None or len(src) == 0:
        src = layers.get("counties")
    if src is None or len(src) == 0:
        return None
    return shapely.union_all(src.geometry.values)


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
    area = study_area if study_area is not None else study_area_of(layers)
    for kind, gdf in layers.items():
        report.layers[kind] = validate_layer(
            gdf, kind, study_area=None if kind in ("boundary",) else area,
            problems=report.problems if collect else None,
        )
    return report

