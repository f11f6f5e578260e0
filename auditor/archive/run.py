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

A scheduler address is checked before any work (:func:`scheduler_address`): ``tcp://HOST:PORT``
(or ``tls``, ``ws``, ``wss``, ``ucx``); an ``http://`` address, the dashboard's kind, is refused
with the ``tcp://`` form to give. A scheduler that does not answer within the connect timeout,
or a server that answers but is not a Dask scheduler, is a :class:`ClusterError` naming the
address; the half-made client is closed at once, so nothing is left to fail at exit.
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

__all__ = ["CONNECT_TIMEOUT", "ClusterError", "MAX_ATTEMPTS", "execute", "scheduler_address"]

#: Runs of one task before it is recorded as ``crashed``.
MAX_ATTEMPTS = 3
#: Seconds without a scheduler connection before the audit stops.
SCHEDULER_GRACE = 10.0
#: Seconds to wait for a Dask scheduler to answer when the audit starts (``--connect-timeout``).
CONNECT_TIMEOUT = 10.0
#: Address schemes of the Dask comms a scheduler listens on.
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
_FORM = "expected tcp://HOST:PORT, the address `dask scheduler` prints"

OnResult = Callable[[FileResult], None]


class ClusterError(AuditorError):
    """The Dask cluster could not be reached, or went away during the audit."""


def scheduler_address(address: str) -> str:
    """Check a Dask scheduler address before any work; return it with its scheme.

    Parameters
    ----------
    address
        ``tcp://HOST:PORT`` (or another Dask comm scheme); ``HOST:PORT`` means ``tcp://``.

    Raises
    ------
    ClusterError
        If the address is not of that form, naming it and the form to give.
    """
    scheme, sep, rest = address.strip().partition("://")
    if not sep:
        scheme, rest = "tcp", address.strip()
    scheme = scheme.lower()
    host, colon, port = rest.rpartition(":")
    if scheme in ("http", "https"):
        raise ClusterError(
            f"--scheduler {address}: a Dask scheduler is not reached over {scheme}:// (that is "
            f"the address of its web dashboard); {_FORM}",
            hint=f"give --scheduler tcp://{rest.rstrip('/') or 'HOST:8786'}, the scheduler's own "
            "address, or leave out --scheduler to audit on this machine",
        )
    problem = None
    if scheme not in SCHEMES:
        problem = f"unknown scheme {scheme + '://'!r} (Dask's are {', '.join(SCHEMES)})"
    elif not colon or not host or "/" in rest:
        problem = "no HOST:PORT after the scheme"
    elif not port.isdigit() or not 0 < int(port) < 65536:
        problem = f"port {port!r} is not a number from 1 to 65535"
    if problem is not None:
        raise ClusterError(f"--scheduler {address}: {problem}; {_FORM}",
                           hint="give the scheduler's address, as tcp://10.0.0.5:8786, or leave "
                           "out --scheduler to audit on this machine")  # fmt: skip
    return f"{scheme}://{rest}"


def execute(tasks: Iterable[Task], *, on_result: OnResult, workers: int = 1,
            scheduler: str | None = None, connect_timeout: float = CONNECT_TIMEOUT) -> None:
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
    connect_timeout
        Seconds to wait for the scheduler to answer.

    Raises
    ------
    ClusterError
        The scheduler address is malformed, no scheduler answers there, or it went away
        (results so far were passed on).
    """
    if scheduler:
        _run_dask(tasks, on_result, scheduler_address(scheduler), connect_timeout)
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


def _connect(address: str, timeout: float) -> Any:
    """A Dask client connected to ``address``, or a :class:`ClusterError` naming it."""
    from distributed import Client

    # Made in two steps so that a client whose connection failed is still ours to close: left
    # to Client.__del__, the close runs at interpreter exit, waits twice the timeout, and
    # prints a traceback.
    client: Any = Client.__new__(Client)
    try:
        client.__init__(address, timeout=timeout, set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the user's to fix
        _close(client, timeout=2.0)
        hint = ("start one (`dask scheduler`, then `dask worker ADDRESS` on each machine), "
                "check the address, or leave out --scheduler to audit on this machine")
        if isinstance(exc, OSError | TimeoutError):
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: nothing "
                               f"answered within {timeout:g} s",
                               hint=f"{hint}; --connect-timeout waits longer") from None
        raise ClusterError(f"something answered at {address}, but it is not a Dask scheduler "
                           f"({type(exc).__name__}: {str(exc)[:200]})", hint=hint) from None
    return client


def _close(client: Any, *, timeout: float) -> None:
    try:
        client.close(timeout=timeout)
    except Exception:  # noqa: BLE001, S110 - closing a client whose scheduler is gone
        pass


def _run_dask(tasks: Iterable[Task], on_result: OnResult, address: str,
              connect_timeout: float) -> None:
    from distributed import KilledWorker
    from distributed import wait as dask_wait

    client = _connect(address, connect_timeout)
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
                    result = failed_result(task, exc)
                on_result(result)
                done_count += 1
    finally:
        _close(client, timeout=5.0)


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
