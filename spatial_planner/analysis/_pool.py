"""Worker processes for the accessibility engine, safe to start from any parent.

Workers are not forked from the caller. A caller with other live threads (a
Jupyter kernel running Dask, a GUI, the CLI's progress spinner) may have one
of them holding a lock at the moment of a fork, and the forked worker, which
has the lock but not the thread, waits for it forever. Workers start instead
from multiprocessing's fork server (:data:`START_METHOD`, the default from
Python 3.14 on Linux): a single-threaded process, started once per session,
that has the accessibility engine imported already (:data:`PRELOAD`), so a
worker starts in milliseconds. Unlike other fork-server and spawned
processes, these workers do not import the caller's main module: they need
nothing from it, and a script without the ``if __name__ == "__main__":``
guard would otherwise run again in every worker (see :func:`_preparation_data`).
Where there is no fork server (Windows), everything runs in one process.

Nothing reaches a worker by inheritance, so every array a worker reads or
writes lives in multiprocessing's shared heap (``RawArray``: a file in
``/dev/shm`` when it has room for it, else in the temporary folder, unlinked
at once and handed to each worker as a file descriptor). Each worker maps
the arrays once, when it starts, into :data:`SHARED`; tasks carry only their
bounds, and the arrays the workers write are returned without a copy.
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing as mp
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import context as mp_context
from multiprocessing import spawn

import numpy as np
from scipy import sparse

__all__ = ["START_METHOD", "PRELOAD", "SHARED", "can_pool", "pool_map"]

#: How workers start: from a fork server, never forked from the (possibly threaded) caller.
START_METHOD = "forkserver"
#: Modules the fork server imports once, so that workers forked from it have them loaded.
PRELOAD = ["spatial_planner.analysis.accessibility"]
#: In a worker: the arrays and values of the current pool, by name (see :func:`pool_map`).
SHARED: dict = {}


def can_pool(workers: int, n_tasks: int) -> bool:
    """Whether to use worker processes: more than one worker and one task, where a fork server exists."""
    return workers > 1 and n_tasks > 1 and START_METHOD in mp.get_all_start_methods()


def pool_map(fn: Callable, tasks: list, processes: int, *, inputs: dict, outputs: dict[str, tuple[int, ...]]
             ) -> dict[str, np.ndarray]:
    """Run ``fn`` over ``tasks`` in ``processes`` workers that find ``inputs`` and ``outputs`` in :data:`SHARED`.

    Parameters
    ----------
    fn
        A module-level function of one task (workers import it by name).
    tasks
        Small picklable values (bounds, indices), one call of ``fn`` each.
    processes
        Worker processes.
    inputs
        Name → a NumPy array or CSR matrix (copied once into shared memory,
        read-only in the workers) or a small picklable value.
    outputs
        Name → shape of a float64 array, zero at the start, that the workers
        write into (each task its own rows).

    Returns
    -------
    dict
        Name → the filled output array, in shared memory (no copy).
    """
    ctx = _WorkerContext()
    ctx.set_forkserver_preload(PRELOAD)
    shared = {name: _share(ctx, value) for name, value in inputs.items()}
    filled = {name: _SharedArray.zeros(ctx, shape) for name, shape in outputs.items()}
    with ctx.Pool(processes, initializer=_attach, initargs=({**shared, **filled},)) as pool:
        pool.map(fn, tasks, chunksize=1)
    return {name: array.view() for name, array in filled.items()}


@dataclass(frozen=True)
class _SharedArray:
    """A NumPy array's bytes in a ``RawArray``, with what it takes to view them as the array again."""

    raw: object
    dtype: str
    shape: tuple[int, ...]
    writable: bool = False

    @classmethod
    def copy_of(cls, ctx, array: np.ndarray) -> _SharedArray:
        if array.dtype.hasobject:
            raise TypeError(f"an array of {array.dtype} cannot be shared with worker processes")
        shared = cls(ctx.RawArray(ctypes.c_char, max(array.nbytes, 1)), array.dtype.str, array.shape)
        np.frombuffer(shared.raw, dtype=array.dtype, count=array.size)[:] = array.ravel()
        return shared

    @classmethod
    def zeros(cls, ctx, shape: tuple[int, ...]) -> _SharedArray:
        nbytes = 8 * math.prod(shape)
        return cls(ctx.RawArray(ctypes.c_char, max(nbytes, 1)), "<f8", tuple(shape), writable=True)

    def view(self) -> np.ndarray:
        array = np.frombuffer(self.raw, dtype=self.dtype, count=math.prod(self.shape)).reshape(self.shape)
        array.flags.writeable = self.writable
        return array


@dataclass(frozen=True)
class _SharedCsr:
    """A CSR matrix as its three arrays in shared memory."""

    shape: tuple[int, int]
    data: _SharedArray
    indices: _SharedArray
    indptr: _SharedArray

    def view(self) -> sparse.csr_matrix:
        return sparse.csr_matrix((self.data.view(), self.indices.view(), self.indptr.view()), shape=self.shape,
                                 copy=False)


def _share(ctx, value):
    """An array or CSR matrix copied into shared memory; any other value as it is."""
    if isinstance(value, np.ndarray):
        return _SharedArray.copy_of(ctx, value)
    if sparse.issparse(value) and value.format == "csr":
        return _SharedCsr(value.shape, _SharedArray.copy_of(ctx, value.data),
                          _SharedArray.copy_of(ctx, value.indices), _SharedArray.copy_of(ctx, value.indptr))
    return value


def _attach(shared: dict) -> None:
    """Worker initializer: view the pool's shared arrays (mapped once per worker) in :data:`SHARED`."""
    SHARED.clear()
    SHARED.update({name: v.view() if isinstance(v, (_SharedArray, _SharedCsr)) else v for name, v in shared.items()})


# --------------------------------------------------------------------------- workers without the main module

#: Set (per thread) while one of this module's workers is being started.
_STARTING = threading.local()


def _preparation_data(name: str) -> dict:
    """:func:`multiprocessing.spawn.get_preparation_data`, without the main module for this module's workers.

    What a new process is told to import before it runs: for a worker
    started here, not the caller's main module (a notebook, a script that may
    lack the ``__main__`` guard). Any other process gets exactly what the
    standard library gives.
    """
    data = _stdlib_preparation_data(name)
    if getattr(_STARTING, "worker", False):
        data.pop("init_main_from_name", None)
        data.pop("init_main_from_path", None)
    return data


_stdlib_preparation_data = getattr(spawn.get_preparation_data, "__wrapped__", spawn.get_preparation_data)
_preparation_data.__wrapped__ = _stdlib_preparation_data
spawn.get_preparation_data = _preparation_data

if START_METHOD in mp.get_all_start_methods():  # not on Windows: can_pool() is false there

    class _WorkerProcess(mp_context.ForkServerProcess):
        """A fork-server process that is started without the caller's main module."""

        @staticmethod
        def _Popen(process_obj):
            _STARTING.worker = True
            try:
                return mp_context.ForkServerProcess._Popen(process_obj)
            finally:
                _STARTING.worker = False

    class _WorkerContext(mp_context.ForkServerContext):
        """The fork-server context, with :class:`_WorkerProcess` for the pool's workers."""

        Process = _WorkerProcess
