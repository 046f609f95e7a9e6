"""Where the scenarios of a batch run: a local process pool, or Ray.

Each engine ships what every task shares (for a batch, the parsed model) once,
to each pool worker as it starts or to Ray's object store with `ray.put`, then
one small task per scenario (or benchmark problem, for `eval --ray`), with a
bounded number in flight so that a long batch never queues everything at
once. Outcomes come back in the order they finish. Leaving the `with` block
by an exception (Ctrl-C) stops the workers and what is still queued. Ray is
imported only when its engine starts, through `extras.require`.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from types import TracebackType
from typing import Any, Protocol, TypeVar

from optiform.batching.worker import error_text
from optiform.extras import require

S = TypeVar("S")  # what every task shares: shipped once
T = TypeVar("T")  # one task
R = TypeVar("R")  # its answer
Work = Callable[[S, T], R]  # a module-level function, so that workers import it by name
Failed = Callable[[str], R]  # the answer of a task whose worker died, from the reason
_DIED = ("the worker process died while solving (out of memory, or a crash in the "
         "solver); the scenarios it held are marked failed")


class Engine(Protocol):
    def __enter__(self) -> Engine: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def describe(self) -> str:
        """The `engine:` line."""
        ...

    def map(self, work: Work[S, T, R], shared: S, tasks: Iterable[T],
            failed: Failed[R]) -> Iterator[tuple[T, R]]:
        """`work(shared, task)` for each task, answers in the order they finish."""
        ...


# What a pool worker was started with (one per process, set by `_start_worker`).
_SHARED: list[Any] = []


def _start_worker(work: Work[Any, Any, Any], shared: Any) -> None:
    # Its own process group: Ctrl-C at the terminal reaches the driver alone, which
    # then stops the workers, instead of each solve ending early as `interrupted`.
    os.setpgrp()
    _SHARED[:] = [work, shared]


def _in_worker(task: Any) -> Any:
    work, shared = _SHARED
    return work(shared, task)


class ProcessEngine:
    """A local pool of `workers` processes (the CPU count by default).

    Workers come from a fork server that has imported optiform and nothing else,
    so starting one is cheap and safe although the driver may have loaded torch
    or Ray (forking a process with their threads running is not).
    """

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        if address is not None:
            raise ValueError("the process engine runs on this machine; an address is Ray's")
        self.workers = workers or os.cpu_count() or 1
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessEngine:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.pool is None:
            return
        if kind is not None:
            processes = list(self.pool._processes.values())
            for process in processes:
                process.terminate()  # Python 3.14's terminate_workers(), by hand
            for process in processes:
                process.join(5)
        # Waited for even after an error: a pool left running (wait=False) met the
        # interpreter's exit with its wake-up pipe closed, and printed a traceback
        # ("Bad file descriptor") after the batch's own clean error.
        self.pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> str:
        return f"processes ({self.workers})"

    def map(self, work: Work[S, T, R], shared: S, tasks: Iterable[T],
            failed: Failed[R]) -> Iterator[tuple[T, R]]:
        queue = iter(tasks)
        running: dict[Future[R], T] = {}

        def submit(task: T) -> None:
            if self.pool is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["optiform.batching.worker"])
                self.pool = ProcessPoolExecutor(self.workers, mp_context=context,
                                                initializer=_start_worker,
                                                initargs=(work, shared))
            running[self.pool.submit(_in_worker, task)] = task

        for task in islice(queue, 2 * self.workers):
            submit(task)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                task = running.pop(future)
                try:
                    answer = future.result()
                except BrokenProcessPool:
                    answer = failed(_DIED)
                    if self.pool is not None:
                        self.pool.shutdown(wait=False)
                        self.pool = None  # the next task gets a fresh pool
                yield task, answer
                if (nxt := next(queue, None)) is not None:
                    submit(nxt)


class EngineError(RuntimeError):
    """An engine that cannot start (a Ray cluster that does not answer); says why."""


def _check_reachable(address: str) -> None:
    """Ray waits minutes on an address where nothing listens: ask the port first."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # `auto`, `local`: Ray finds the cluster itself
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise EngineError(f"no Ray cluster answers at {address} ({exc.strerror or exc}): "
                          "start one with `ray start --head`, or check the address") from None


class RayEngine:
    """Ray: a local instance of `workers` CPUs, or the cluster at `address`.

    One task per scenario, one CPU each. A Ray already initialised in this
    process (a notebook, a test's fixture) is used as it is and left running.
    """

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        self.workers = workers
        self.address = address
        self.started = False
        self.ray: Any = None
        self.pending: list[Any] = []

    def __enter__(self) -> RayEngine:
        ray = self.ray = require("ray", "--ray")
        if not ray.is_initialized():
            quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": "ERROR"}
            try:
                if self.address is not None:
                    _check_reachable(self.address)
                    ray.init(address=self.address, **quiet)
                else:
                    ray.init(num_cpus=self.workers, include_dashboard=False, **quiet)
            except (ConnectionError, ValueError) as exc:  # Ray's words for a bad address
                raise EngineError(f"Ray did not start: {exc}") from None
            self.started = True
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for ref in self.pending:
            self.ray.cancel(ref, force=True)
        if self.started:
            self.ray.shutdown()

    def describe(self) -> str:
        if self.address is not None:
            return f"ray at {self.address}"
        ray = self.ray
        cpus = int(ray.cluster_resources().get("CPU", 0))
        gcs = ray.get_runtime_context().gcs_address  # a Ray this process did not start
        if self.started or gcs.rpartition(":")[0] == ray.util.get_node_ip_address():
            return f"ray (local, {cpus} CPUs)"
        return f"ray at {gcs} ({cpus} CPUs)"

    def map(self, work: Work[S, T, R], shared: S, tasks: Iterable[T],
            failed: Failed[R]) -> Iterator[tuple[T, R]]:
        ray = self.ray
        ref = ray.put(shared)  # once; each task gets the reference, not a copy
        remote = ray.remote(num_cpus=1)(work)
        limit = 4 * max(1, int(ray.cluster_resources().get("CPU", 1)))
        queue = iter(tasks)
        running = {remote.remote(ref, t): t for t in islice(queue, limit)}
        self.pending = list(running)
        while running:
            ready, rest = ray.wait(list(running), num_returns=1)
            if rest:
                more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
                ready += more
            for done in ready:
                task = running.pop(done)
                try:
                    answer = ray.get(done)
                except ray.exceptions.RayError as exc:
                    answer = failed(error_text(exc))
                yield task, answer
                if (nxt := next(queue, None)) is not None:
                    running[remote.remote(ref, nxt)] = nxt
            self.pending = list(running)


ENGINES: dict[str, Callable[[int | None, str | None], Engine]] = {
    "processes": ProcessEngine,
    "ray": RayEngine,
}
