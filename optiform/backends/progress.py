"""A progress line on stderr for solves that run longer than a second.

Silent when stderr is not a terminal, so that logs and `--json` stay clean;
rich is imported only when a line is first shown.
"""

from __future__ import annotations

import sys
import time
from typing import Any


class ProgressLine:
    DELAY = 1.0

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> ProgressLine:
        return self

    def __bool__(self) -> bool:
        return sys.stderr.isatty()

    def show(self, description: str) -> None:
        if time.monotonic() - self.started < self.DELAY:
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
            self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                TimeElapsedColumn(), console=Console(stderr=True),
                                transient=True)
            self.bar.start()
            self.task = self.bar.add_task("")
        self.bar.update(self.task, description=description)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
