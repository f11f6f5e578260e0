"""Run the per-file tasks: inline, on a local process pool, or on a Dask cluster.

Whatever runs the tasks, results come back to the calling process, which alone records them
(``on_result``), so the state database has one writer. Every executor gives the same results:
a task is a pure function of its file, and the report is later built from the state in path
order, not in the order tasks finished.

A worker that dies mid-task (killed, out of memory) loses only its task, which is run again:
the process pool is rebuilt and the unfinished tasks resubmitted; Dask reschedules the tasks of a
lost worker itself. A task that kills its worker :data:`MAX_ATTEMPTS` times is recorded as
``crashed``. A Dask scheduler that goes away stops the audit with a :class:`ClusterError`
(exit 2); what was recorded stays, and the same command resumes.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_all_start_methods, get_context
from typing import Any

from ..errors import AuditorError
from .work import FileResult, Task, audit_file, failed_result

__all__ = ["ClusterError", "MAX_ATTEMPTS", "execute"]

#: Runs of one task before it is recorded as ``crashed``.
MAX_ATTEMPTS = 3
#: Seconds without a scheduler connection before the audit stops.
SCHEDULER_GRACE = 10.0

OnResult = Callable[[FileResult], None]


class ClusterError(AuditorError):
    """The Dask cluster could not be reached, or went away during the audit."""


def execute(tasks: Iterable[Task], *, on_result: OnResult, workers: int = 1,
            scheduler: str | None = None) -> None:
    """Audit every task's file and pass each result to ``on_result`` in this process.

    Parameters
    ----------
    tasks
        The files to audit.
    on_result
        Called once per task, in completion order, in the calling process.
    workers
        Local worker processes; 1 runs the tasks in this process.
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``); overrides ``workers``.

    Raises
    ------
    ClusterError
        The scheduler cannot be reached or went away (results so far were passed on).
    """
    if scheduler:
        _run_dask(tasks, on_result, scheduler)
    elif workers <= 1:
        for task in tasks:
            on_result(audit_file(task))
    else:
        _run_pool(tasks, on_result, workers)


def _crashed(task: Task, attempts: int) -> FileResult:
    return FileResult(task.rel, task.size, task.mtime_ns, task.inode, "crashed",
                      error=f"the worker process died {attempts} times while auditing this file",
                      attempts=attempts)  # fmt: skip


def _run_pool(tasks: Iterable[Task], on_result: OnResult, workers: int) -> None:
    todo: Iterator[Task] = iter(tasks)
    retry: list[tuple[Task, int]] = []
    window = 2 * workers
    while True:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                                   initializer=_watch_parent, initargs=(os.getpid(),))
        running: dict[Future[FileResult], tuple[Task, int]] = {}
        broken = False
        try:
            while True:
                while len(running) < window and not broken:
                    item = retry.pop() if retry else _next(todo)
                    if item is None:
                        break
                    try:
                        running[pool.submit(audit_file, item[0])] = item
                    except BrokenProcessPool:
                        retry.append(item)
                        broken = True
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=lambda f: running[f][0].rel):
                    task, attempts = running.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        if attempts >= MAX_ATTEMPTS:
                            on_result(_crashed(task, attempts))
                        else:
                            retry.append((task, attempts + 1))
                        continue
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that did not pickle
                        result = failed_result(task, exc)
                    result.attempts = attempts
                    on_result(result)
                if broken and not running:
                    break
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if not broken:
            return


def _context() -> Any:
    """``fork`` where there is one (workers start at once, with the scan code already
    imported: this process runs no threads at that point), else ``spawn``."""
    from .. import scan  # noqa: F401 - imported once here, inherited by forked workers

    return get_context("fork" if "fork" in get_all_start_methods() else "spawn")


def _watch_parent(parent: int) -> None:
    """In a pool worker: exit when the auditing process is gone (killed with SIGKILL, say).

    Ctrl-C is left to the auditing process, which stops the pool and keeps what was recorded.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _next(todo: Iterator[Task]) -> tuple[Task, int] | None:
    task = next(todo, None)
    return None if task is None else (task, 1)


def _run_dask(tasks: Iterable[Task], on_result: OnResult, address: str) -> None:
    from distributed import Client, KilledWorker
    from distributed import wait as dask_wait

    try:
        client = Client(address, timeout="15s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}",
                           hint="start it (dask scheduler; dask worker ADDRESS) or check the "
                           "address; the audit resumes from where it stopped") from None
    todo: Iterator[Task] = iter(tasks)
    running: dict[Any, Task] = {}
    done_count = 0
    lost_since: float | None = None
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        window = 4 * workers
        while True:
            while len(running) < window:
                task = next(todo, None)
                if task is None:
                    break
                fut = client.submit(audit_file, task, pure=False, key=f"audit-{task.rel}-"
                                    f"{task.size}-{task.mtime_ns}-{time.monotonic_ns()}")
                running[fut] = task
            if not running:
                return
            try:
                with client.as_current():
                    finished = dask_wait(list(running), timeout=1.0,
                                         return_when="FIRST_COMPLETED")
                done = finished.done
            except TimeoutError:
                done = set()
            except Exception as exc:  # noqa: BLE001 - FuturesCancelledError: scheduler gone
                if "Cancelled" in type(exc).__name__:
                    raise _lost(address, done_count) from None
                raise
            if client.status != "running" or not _connected(client):
                lost_since = lost_since or time.monotonic()
                if time.monotonic() - lost_since > SCHEDULER_GRACE or client.status == "closed":
                    raise _lost(address, done_count)
                continue
            lost_since = None
            for fut in sorted(done, key=lambda f: running[f].rel):
                task = running.pop(fut)
                try:
                    result = fut.result(timeout=30)
                except KilledWorker:
                    result = _crashed(task, MAX_ATTEMPTS)
                except (OSError, TimeoutError) as exc:
                    raise _lost(address, done_count) from exc
                except Exception as exc:  # noqa: BLE001 - cancelled when the scheduler left
                    if fut.status == "cancelled" or type(exc).__name__ in (
                        "CancelledError", "FutureCancelledError", "CommClosedError"
                    ):
                        raise _lost(address, done_count) from None
                    raise
                on_result(result)
                done_count += 1
    finally:
        try:
            client.close(timeout=5)
        except Exception:  # noqa: BLE001, S110 - closing a client whose scheduler is gone
            pass


def _connected(client: Any) -> bool:
    comm = getattr(getattr(client, "scheduler_comm", None), "comm", None)
    return comm is not None and not comm.closed()


def _lost(address: str, done: int) -> ClusterError:
    return ClusterError(
        f"lost the Dask scheduler at {address} after {done} file(s) of this run; "
        "every result received so far is saved in the audit state",
        hint="restart the scheduler and its workers and run the same command again: "
        "it resumes where it stopped",
    )
