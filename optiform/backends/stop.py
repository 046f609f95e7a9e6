"""Ctrl-C, SIGTERM and the deadline as one flag that a solver's callback reads.

A solver that calls back into Python (HiGHS's interrupt callbacks, Ipopt's
intermediate callback) can stop at its next check and keep its best point;
an exception raised inside native code would lose it. While a `Stop` is
entered, SIGINT and SIGTERM only set the flag (a second one interrupts
Python as usual), and `requested()` also turns true past the deadline, a
watchdog over solvers whose own time limit some phases do not read. Only
the main thread can take signals; elsewhere only the deadline is watched.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from optiform.solution import TerminationStatus

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stop:
    def __init__(self, deadline: float | None = None) -> None:
        self.deadline = deadline
        self.interrupted = self.late = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Stop:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True

    def requested(self, ahead: float = 0.0) -> bool:
        """Whether to stop now: a signal came, or the deadline is less than `ahead`
        seconds away (the length of the next step, where it is known)."""
        if not self.interrupted and self.deadline is not None \
                and time.monotonic() + ahead >= self.deadline:
            self.late = True
        return self.interrupted or self.late

    def termination(self, status: TerminationStatus) -> TerminationStatus:
        """The solver's status for a run this stopped: interrupted, or the time limit."""
        if self.interrupted:
            return TerminationStatus.INTERRUPTED
        if self.late:
            return TerminationStatus.TIME_LIMIT
        return status

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
