"""Atomic outputs, the one mechanism every writer uses: build beside the final path, then move into place.

* :func:`check_free` refuses to replace outputs unless asked to, naming them all.
* :func:`atomic_output` yields a temporary file (or folder) beside the final
  path and moves it into place when the block succeeds.
* :func:`staged_outputs` yields a staging folder for a whole run's outputs and
  moves each of them into the output folder only once all are written.
* :func:`output_lock` keeps an output folder to one run at a time: a second
  run into it fails at once with :class:`~spatial_planner.OutputLockedError`
  instead of deleting the first run's staging folder.

A file moves by one ``os.replace``. A folder is swapped: the old one is moved
aside, the new one renamed in, the old one deleted (and put back if the rename
fails). An interrupted write therefore never leaves a half-written output.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from .._errors import OutputExistsError, OutputLockedError

__all__ = ["LOCK_NAME", "check_free", "replace_into_place", "atomic_output", "staged_outputs", "output_lock"]

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
    as they were. The folder is held with :func:`output_lock` throughout, so
    staging folders found in it were left by killed runs: they are removed
    first.

    Raises
    ------
    OutputLockedError
        Another process (or thread) holds ``out_dir``.
    OutputExistsError
        An output exists and ``overwrite`` is false.
    """
    out = Path(out_dir)
    with output_lock(out):
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


# --------------------------------------------------------------------------- one run per output folder

#: The lock file a run keeps in its output folder while it works: who holds the folder, as JSON.
LOCK_NAME = ".spatial-planner.lock"

#: Locks this process holds: lock path → [thread id, depth]. The thread that holds a folder may take it again.
_HELD: dict[str, list[int]] = {}
#: Serialises this process's threads over :data:`_HELD` and the lock files they create and remove.
_GUARD = threading.RLock()


@contextlib.contextmanager
def output_lock(out_dir: str | os.PathLike) -> Iterator[Path]:
    """Hold the output folder ``out_dir`` for one run at a time; yield it (created if missing).

    The lock is a file, :data:`LOCK_NAME`, created in the folder with
    ``O_EXCL`` and naming the holder (process id, host, start time). A lock
    left by a process that is gone (killed, crashed) is taken over; one held
    by a live process, by another thread of this process, or by a process on
    another host (a shared drive: its process cannot be checked from here)
    raises at once. The thread that holds the folder may take it again (a
    run holds it while it stages its outputs). On leaving, the lock file is
    removed, and so is the folder if it was created here and is still empty.

    Raises
    ------
    OutputLockedError
        The folder is held; the message names the holder, the folder and the
        lock file, and how to go on.
    """
    out = Path(out_dir)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    lock = Path(os.path.realpath(out / LOCK_NAME))
    token = _enter(lock, out)
    try:
        yield out
    finally:
        _leave(lock, token)
        if created and token is not None:
            with contextlib.suppress(OSError):
                out.rmdir()  # only when empty: the run failed before writing anything


def _enter(lock: Path, out: Path) -> str | None:
    """Take ``lock`` (see :func:`output_lock`): its text, or ``None`` when this thread holds it already."""
    with _GUARD:
        held = _HELD.get(str(lock))
        if held is not None and held[0] == threading.get_ident():
            held[1] += 1
            return None
        token = _acquire(lock, out)
        _HELD[str(lock)] = [threading.get_ident(), 1]
        return token


def _leave(lock: Path, token: str | None) -> None:
    """Count one hold less; the last one removes the lock file (if it is still this process's own)."""
    with _GUARD:
        held = _HELD[str(lock)]
        held[1] -= 1
        if held[1]:
            return
        with contextlib.suppress(OSError):
            if token is not None and lock.read_text(encoding="utf-8") == token:
                lock.unlink()
        del _HELD[str(lock)]


def _acquire(lock: Path, out: Path) -> str:
    """Create the lock file (``O_EXCL``), taking over a stale one; return its text."""
    for _ in range(3):  # a stale lock broken, then the race for the new one lost: give up after a few rounds
        token = _owner_record()
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            seen, owner = _read_owner(lock)
            if seen is None:
                continue  # released in between
            if _owner_alive(owner, lock):
                raise _locked_error(out, lock, owner) from None
            _break_stale(lock, seen)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(token)
        return token
    raise _locked_error(out, lock, _read_owner(lock)[1])


def _owner_record() -> str:
    """The lock file's text: this process, its host, its start (to tell a reused process id), the time, and a
    nonce that makes each lock's text its own."""
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "proc_start": _process_start(os.getpid()),
                       "started": datetime.datetime.now().isoformat(timespec="seconds"), "nonce": uuid.uuid4().hex})


def _read_owner(lock: Path) -> tuple[str | None, dict]:
    """The lock file's text (``None`` if it is gone) and the holder it names (``{}`` if unreadable)."""
    try:
        text = lock.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, {}
    except OSError:
        return "", {}
    try:
        owner = json.loads(text)
    except ValueError:
        return text, {}
    return text, owner if isinstance(owner, dict) else {}


def _owner_alive(owner: dict, lock: Path) -> bool:
    """Whether the holder named in a lock file may still be working; ``True`` whenever that cannot be told.

    An unreadable lock file (a holder that has not yet written it, or was
    killed before it could) counts as alive for a minute.
    """
    pid, host = owner.get("pid"), owner.get("host")
    if not isinstance(pid, int) or pid <= 0 or not host:
        with contextlib.suppress(OSError):
            return lock.stat().st_mtime > datetime.datetime.now().timestamp() - 60
        return False
    if host != socket.gethostname() or os.name != "posix":
        return True
    if pid == os.getpid():
        return str(lock) in _HELD  # another thread of this process; otherwise a reused id (read under _GUARD)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    start = owner.get("proc_start")
    return start is None or start == _process_start(pid)


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started, in clock ticks since boot (Linux); ``None`` where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22; the name before ")" may hold spaces


def _break_stale(lock: Path, seen: str) -> None:
    """Remove a lock file whose holder is gone, unless another process replaced it in the meantime."""
    aside = lock.with_name(f"{lock.name}.stale-{os.getpid()}-{threading.get_ident()}")
    try:
        os.replace(lock, aside)
    except FileNotFoundError:
        return  # another process broke it first
    try:
        if aside.read_text(encoding="utf-8") != seen:  # a new holder's lock: put it back
            with contextlib.suppress(OSError):
                os.link(aside, lock)
    finally:
        aside.unlink(missing_ok=True)


def _locked_error(out: Path, lock: Path, owner: dict) -> OutputLockedError:
    pid, host, since = owner.get("pid", "?"), owner.get("host", "?"), owner.get("started", "?")
    return OutputLockedError(
        f"输出目录正被另一次运行使用 the output folder {out} is in use by another run "
        f"(process {pid} on {host}, since {since})",
        layer=str(out),
        fix=f"wait for that run to finish, or choose another output folder (--out); if no run is working there "
            f"(it crashed, or ran on another machine that has stopped), delete {lock}.",
    )
