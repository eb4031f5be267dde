"""The thread policy for BLAS/LAPACK (docs/performance.md, "Threads").

OpenBLAS and MKL threads busy-wait for work; when the machine's cores are already taken by other
processes, a dense LAPACK call (``eigh``) with more threads than idle cores spins instead of
computing (measured: 17× the CPU time and 16–21× the wall time of one thread on a busy 2-core
machine). So dense linear algebra runs with as many BLAS threads as the machine has idle cores,
never fewer than one:

    threads = clamp(round(cores − load), 1, cores)

with ``cores`` the CPUs this process may run on and ``load`` the one-minute load average of the
other processes (ours is subtracted: the BLAS call is about to replace our own work). The
environment variable ``NTK_FREQ_BLAS_THREADS`` sets the count outright.
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import time

ENV = "NTK_FREQ_BLAS_THREADS"
_last = {"wall": time.monotonic(), "cpu": 0.0}


def _own_load() -> float:
    """This process's CPU seconds per wall second since the previous call (or since import):
    the part of the load average that is ours."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu, wall = usage.ru_utime + usage.ru_stime, time.monotonic()
    share = (cpu - _last["cpu"]) / max(wall - _last["wall"], 1e-3)
    _last.update(cpu=cpu, wall=wall)
    return max(share, 0.0)


def blas_thread_count() -> int:
    """BLAS threads for the next dense call under the policy of the module docstring."""
    forced = os.environ.get(ENV, "").strip()
    if forced:
        try:
            return max(1, int(forced))
        except ValueError:
            raise ValueError(f"{ENV} must be a positive integer, got {forced!r}") from None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    others = max(os.getloadavg()[0] - _own_load(), 0.0)
    return int(min(cores, max(1, round(cores - others))))


@contextlib.contextmanager
def blas_threads(count: int | None = None):
    """Run the enclosed dense linear algebra with ``count`` BLAS threads (default: the policy's
    :func:`blas_thread_count`)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=count or blas_thread_count(), user_api="blas"):
        yield


@functools.lru_cache(maxsize=None)
def _pool(count: int):
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(count, thread_name_prefix="ntk-freq-blocks")


def map_blocks(fn, starts) -> None:
    """``fn(start)`` for every start, in :func:`blas_thread_count` threads (in this thread when
    that is one), BLAS single-threaded inside them. ``fn`` writes its own part of a shared array
    and returns nothing; an exception in any call is raised here."""
    count = blas_thread_count()
    if count == 1:
        for start in starts:
            fn(start)
        return
    with blas_threads(1):
        for _ in _pool(count).map(fn, starts):
            pass
