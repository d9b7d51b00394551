"""Exception hierarchy of spatial_planner.

Every error the library raises on purpose derives from :class:`SpatialPlannerError`
and also from the builtin exception a caller would expect (``ValueError``,
``KeyError``, ``OSError``, ...), so ``except ValueError`` keeps working.

Messages follow one pattern: *what* is wrong, *where* (file, layer, column,
feature ids: the first few plus a count) and *how to fix it*.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "format_ids",
    "cause_text",
    "SpatialPlannerError",
    "DataFileError",
    "MissingColumnError",
    "NoCRSError",
    "UnexpectedCRSError",
    "InvalidGeometryError",
    "InvalidValueError",
    "EmptyLayerError",
    "DuplicateIdError",
    "OutsideStudyAreaError",
    "DisconnectedNetworkError",
    "EncodingError",
    "ConfigError",
    "OutputExistsError",
    "OutputLockedError",
    "DataWarning",
]


def format_ids(ids: Iterable[object], limit: int = 5) -> str:
    """Return ``'a, b, c … (N in all)'`` for the first ``limit`` ids."""
    ids = list(ids)
    head = ", ".join(str(i) for i in ids[:limit])
    if len(ids) > limit:
        return f"{head} … ({len(ids)} in all)"
    return head


#: Characters of a caught exception's message kept in an error's text (the whole of it stays on ``__cause__``).
CAUSE_LIMIT = 400


def cause_text(exc: BaseException, limit: int = CAUSE_LIMIT) -> str:
    """A caught exception as one line for an error message: ``'ParseError: no element found: line 1'``.

    The type is named because it tells where the failure came from (GDAL,
    the XML parser, the network); whitespace runs and line breaks become one
    space, and a message longer than ``limit`` is cut with ``…``. Raise the
    new error ``from exc`` so that ``--debug`` shows the original traceback.
    """
    text = " ".join(str(exc).split())
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


class SpatialPlannerError(Exception):
    """Root of every error raised on purpose by spatial_planner.

    Parameters
    ----------
    message
        What is wrong.
    layer
        The layer (or file) concerned, if any.
    fix
        How to fix it, in one sentence.
    """

    def __init__(self, message: str, *, layer: str | None = None, fix: str | None = None):
        self.layer = layer
        self.fix = fix
        self.detail = message
        parts = []
        if layer:
            parts.append(f"[{layer}]")
        parts.append(message)
        text = " ".join(parts)
        if fix:
            text += f" 修复/Fix: {fix}"
        super().__init__(text)

    def __str__(self) -> str:  # KeyError quotes its args; keep messages readable
        return str(self.args[0]) if self.args else ""


class DataFileError(SpatialPlannerError, OSError):
    """A file is missing, unreadable, truncated or of an unknown format."""


class MissingColumnError(SpatialPlannerError, KeyError):
    """A required column is absent from a layer."""

    def __init__(self, columns: Sequence[str], *, layer: str, available: Sequence[str] = (), fix: str | None = None):
        self.columns = list(columns)
        msg = f"缺少字段 missing column(s): {', '.join(self.columns)}"
        if available:
            msg += f"; the layer has: {', '.join(map(str, available))}"
        super().__init__(
            msg,
            layer=layer,
            fix=fix
            or "rename the column in the source file, or map it in the config's [layers.<name>.columns] table.",
        )


class NoCRSError(SpatialPlannerError, ValueError):
    """A layer carries no coordinate reference system."""


class UnexpectedCRSError(SpatialPlannerError, ValueError):
    """A layer's CRS is not what it should be, or two layers' CRSs disagree."""


class InvalidGeometryError(SpatialPlannerError, ValueError):
    """Geometries are invalid, empty, of the wrong type, or not repairable."""

    def __init__(self, message: str, *, layer: str | None = None, ids: Sequence[object] = (), fix: str | None = None):
        self.ids = list(ids)
        if self.ids:
            message += f" (features: {format_ids(self.ids)})"
        super().__init__(message, layer=layer, fix=fix)


class InvalidValueError(SpatialPlannerError, ValueError):
    """An attribute value is unreadable or out of range: a speed, an area, a detour factor, a one-way flag, an id."""

    def __init__(self, message: str, *, layer: str | None = None, column: str | None = None,
                 ids: Sequence[object] = (), fix: str | None = None):
        self.ids = list(ids)
        self.column = column
        if self.ids:
            message += f" (features: {format_ids(self.ids)})"
        super().__init__(message, layer=layer, fix=fix)


class EmptyLayerError(SpatialPlannerError, ValueError):
    """A layer has no features."""


class DuplicateIdError(SpatialPlannerError, ValueError):
    """Feature ids are not unique."""

    def __init__(self, ids: Sequence[object], *, layer: str, column: str):
        self.ids = list(ids)
        self.column = column
        super().__init__(
            f"字段 {column} 有重复值 duplicate ids in column '{column}': {format_ids(self.ids)}",
            layer=layer,
            fix=f"make '{column}' unique, for example by appending a suffix to the repeated ids.",
        )


class OutsideStudyAreaError(SpatialPlannerError, ValueError):
    """Features fall outside the study area."""

    def __init__(self, ids: Sequence[object], *, layer: str, area: str, fix: str | None = None):
        self.ids = list(ids)
        super().__init__(
            f"{len(self.ids)} 个要素在研究区 {area} 之外 feature(s) outside the study area: {format_ids(self.ids)}",
            layer=layer,
            fix=fix
            or "check the coordinates (swapped lon/lat? wrong CRS? GCJ-02 shift?) or drop the features.",
        )


class DisconnectedNetworkError(SpatialPlannerError, ValueError):
    """A transport network is not connected where it must be."""


class EncodingError(SpatialPlannerError, UnicodeError):
    """Text in a file cannot be decoded with the declared or detected encoding."""


class ConfigError(SpatialPlannerError, ValueError):
    """A configuration key is unknown, of the wrong type or out of range."""

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None, fix: str | None = None):
        self.key = key
        where = source or "config"
        if key:
            where = f"{where}: {key}"
        super().__init__(message, layer=where, fix=fix)


class OutputExistsError(SpatialPlannerError, FileExistsError):
    """An output exists and overwriting was not requested."""


class OutputLockedError(SpatialPlannerError, BlockingIOError):
    """Another run is working in the same output folder (``BlockingIOError``, as for a lock held elsewhere)."""


class DataWarning(UserWarning):
    """Something in the input was repaired, guessed or converted; the message says what."""
