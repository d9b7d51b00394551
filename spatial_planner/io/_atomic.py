"""Atomic outputs: write beside the final path, then rename into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .._errors import OutputExistsError

__all__ = ["atomic_output"]


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place on success.

    Parameters
    ----------
    path
        Final output path.
    overwrite
        Replace an existing file. Without it an existing output raises
        :class:`~spatial_planner.OutputExistsError`.
    """
    final = Path(path)
    if final.exists() and not overwrite:
        raise OutputExistsError(f"output exists: {final}", layer=str(final),
                                fix="pass --overwrite, or choose another --out folder.")
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
