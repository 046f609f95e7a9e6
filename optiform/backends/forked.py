"""A function run in a forked child process that can always be killed.

Native code can crash the process (highspy's IIS search segfaults on some
MIPs) or loop where no signal reaches it (Pyomo's SCIP interface expanding
a huge power); a child takes the crash or is killed at the bound, and the
parent goes on. The result travels back as JSON through a pipe, and the
child leaves by `os._exit`, running no cleanup of the parent's state.
`Watched` runs a solve there that Ctrl-C, SIGTERM and the deadline stop.
Needs `fork` (POSIX): callers decide what to do without it (`CAN_FORK`).
"""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

CAN_FORK = hasattr(os, "fork")


class ChildTimeout(Exception):
    """The child did not answer within its time and was killed."""


class ChildFailed(Exception):
    """The child raised (its message and traceback are this one's) or died silently."""


def _child(read: int, write: int, fn: Callable[[], Any]) -> None:
    """The child: run, report, and leave without running any cleanup."""
    os.close(read)
    try:
        message = {"ok": fn()}
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        import traceback

        message = {"error": f"{type(exc).__name__}: {exc}",
                   "traceback": "".join(traceback.format_exception(exc))[-4000:]}
    payload = json.dumps(message).encode()
    while payload:
        payload = payload[os.write(write, payload):]
    os._exit(0)


def _message(chunks: list[bytes]) -> Any:
    try:
        message = json.loads(b"".join(chunks))
    except ValueError:  # nothing, or half a message: it crashed
        raise ChildFailed("the child died without a word") from None
    if "error" in message:
        raise ChildFailed(message["error"] + "\n" + message.get("traceback", ""))
    return message["ok"]


def _reap(pid: int) -> None:
    try:  # gone already when it answered; killed when it hangs or we are interrupted
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def run_forked(fn: Callable[[], Any], seconds: float) -> Any:
    """`fn()`, whose result must be JSON, in a forked child killed past `seconds`."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child(read, write, fn)
    os.close(write)
    chunks: list[bytes] = []
    try:
        deadline = time.monotonic() + seconds
        while True:
            ready, _, _ = select.select([read], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                raise ChildTimeout(f"no answer within {seconds:g} s")
            chunk = os.read(read, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read)
        _reap(pid)
    return _message(chunks)


class Watched:
    """A solve in a forked child that a signal or the clock can stop, keeping its point.

    Native code that holds the GIL (SCIP inside Pyomo) lets no Python signal handler
    run, so Ctrl-C and SIGTERM could not stop it in-process: SIGTERM killed it with
    nothing printed. The parent waits in `select`, free to take signals; Ctrl-C or
    SIGTERM to it, or the deadline, becomes one SIGINT to the child, which a solver
    that catches SIGINT answers with its best point. A child still silent `grace`
    seconds later is killed (`ChildTimeout`); a second signal interrupts the parent.
    `why` then says what stopped it: "", "interrupted" or "time_limit".
    """

    def __init__(self, deadline: float | None, grace: float) -> None:
        self.deadline, self.grace = deadline, grace
        self.why = ""
        self.pid = 0
        self.give_up: float | None = None

    def _stop(self, why: str) -> None:
        self.why = why
        self.give_up = time.monotonic() + self.grace
        try:
            os.kill(self.pid, signal.SIGINT)
        except ProcessLookupError:
            pass

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.why == "interrupted":
            raise KeyboardInterrupt
        self._stop("interrupted")

    def run(self, fn: Callable[[], Any]) -> Any:
        """`fn()`, whose result must be JSON, in the child."""
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            _child(read, write, fn)
        os.close(write)
        main = threading.current_thread() is threading.main_thread()
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT,
                                                                    signal.SIGTERM)
                    if main}
        chunks: list[bytes] = []
        try:
            while True:
                now = time.monotonic()
                if not self.why and self.deadline is not None and now >= self.deadline:
                    self._stop("time_limit")
                ends = [t for t in (self.give_up, None if self.why else self.deadline)
                        if t is not None]
                wait = max(min(ends) - now, 0.0) if ends else None
                ready, _, _ = select.select([read], [], [], wait)
                if not ready:
                    if self.give_up is not None and time.monotonic() >= self.give_up:
                        raise ChildTimeout(f"no answer {self.grace:g} s after it was "
                                           "stopped")
                    continue
                chunk = os.read(read, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            os.close(read)
            _reap(self.pid)
        return _message(chunks)
