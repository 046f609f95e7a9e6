"""Stdout kept for one JSON object while solvers print what they like.

Solvers and the libraries around them write to file descriptor 1 from
native code (a banner, a log line) or through Python loggers (Pyomo's
warnings), out of reach of `sys.stdout`. Under `--json` everything written
during a solve goes to stderr instead, at the descriptor level, and stdout
holds the object alone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def stdout_to_stderr(active: bool = True) -> Iterator[None]:
    """While inside, what is written to stdout (fd 1 and `sys.stdout`) goes to stderr."""
    if not active:
        yield
        return
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no descriptor 1 (a test runner's captured stream): Python's only
        saved = None
    previous = sys.stdout
    sys.stdout = sys.stderr
    if saved is not None:
        os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stdout = previous
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)
