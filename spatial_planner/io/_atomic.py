"""Atomic outputs, the one mechanism every writer uses: build beside the final path, then move into place.

* :func:`check_free` refuses to replace outputs unless asked to, naming them all.
* :func:`atomic_output` yields a temporary file (or folder) beside the final
  path and moves it into place when the block succeeds.
* :func:`staged_outputs` yields a staging folder for a whole run's outputs and
  moves each of them into the output folder only once all are written.

A file moves by one ``os.replace``. A folder is swapped: the old one is moved
aside, the new one renamed in, the old one deleted (and put back if the rename
fails). An interrupted write therefore never leaves a half-written output.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .._errors import OutputExistsError

__all__ = ["check_free", "replace_into_place", "atomic_output", "staged_outputs"]

_FIX = "pass --overwrite (overwrite=True), or choose another output folder."


def check_free(paths: Iterable[str | os.PathLike], *, overwrite: bool = False, where: str | None = None) -> None:
    """Raise :class:`~spatial_planner.OutputExistsError` naming every path that exists, unless ``overwrite``."""
    if overwrite:
        return
    existing = [str(p) for p in paths if Path(p).exists()]
    if existing:
        noun = "output exists" if len(existing) == 1 else "outputs exist"
        raise OutputExistsError(f"{noun}: {', '.join(existing)}", layer=where or existing[0], fix=_FIX)


def replace_into_place(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst``: a file by one atomic rename, a folder by swapping it with the old one."""
    if not src.is_dir():
        os.replace(src, dst)
        return
    if not dst.exists():
        os.rename(src, dst)
        return
    if not dst.is_dir():
        raise OutputExistsError(f"output exists and is not a folder: {dst}", layer=str(dst),
                                fix="move that file away, or choose another output folder.")
    backup = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".old", dir=dst.parent))
    backup.rmdir()
    os.rename(dst, backup)
    try:
        os.rename(src, dst)
    except BaseException:
        os.rename(backup, dst)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, *, overwrite: bool = False, folder: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place when the block succeeds.

    Parameters
    ----------
    path
        Final output path.
    overwrite
        Replace an existing output. Without it an existing output raises
        :class:`~spatial_planner.OutputExistsError` before anything is written.
    folder
        Yield a new empty folder (for outputs made of several files, such as
        shapefiles) instead of a file path that does not exist yet.
    """
    final = Path(path)
    check_free([final], overwrite=overwrite)
    if folder and final.exists() and not final.is_dir():
        raise OutputExistsError(f"output exists and is not a folder: {final}", layer=str(final),
                                fix="move that file away, or choose another output folder.")
    final.parent.mkdir(parents=True, exist_ok=True)
    if folder:
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    else:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=final.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        replace_into_place(tmp, final)
    finally:
        _remove(tmp)


@contextlib.contextmanager
def staged_outputs(out_dir: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a staging folder inside ``out_dir``; when the block succeeds, move each entry into ``out_dir``.

    All the work happens before the first output is replaced, so a run killed
    or failing at any point before the final moves leaves the previous outputs
    as they were. Staging folders left by killed runs are removed first.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = out / f".staging-{os.getpid()}"
    staging.mkdir()
    try:
        yield staging
        entries = sorted(staging.iterdir())
        check_free([out / e.name for e in entries], overwrite=overwrite, where=str(out))
        for entry in entries:
            replace_into_place(entry, out / entry.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
