"""A function run in a forked child process that can always be killed.

Native code can crash the process (highspy's IIS search segfaults on some
MIPs) or loop where no signal reaches it (Pyomo's SCIP interface expanding
a huge power); a child takes the crash or is killed at the bound, and the
parent goes on. The result travels back as JSON through a pipe, and the
child leaves by `os._exit`, running no cleanup of the parent's state.
Needs `fork` (POSIX): callers decide what to do without it (`CAN_FORK`).
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
from collections.abc import Callable
from typing import Any

CAN_FORK = hasattr(os, "fork")


class ChildTimeout(Exception):
    """The child did not answer within its time and was killed."""


class ChildFailed(Exception):
    """The child raised (its message and traceback are this one's) or died silently."""


def run_forked(fn: Callable[[], Any], seconds: float) -> Any:
    """`fn()`, whose result must be JSON, in a forked child killed past `seconds`."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, report, and leave without running any cleanup
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
        try:  # gone already when it answered; killed when it hangs or we are interrupted
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    try:
        message = json.loads(b"".join(chunks))
    except ValueError:  # nothing, or half a message: it crashed
        raise ChildFailed("the child died without a word") from None
    if "error" in message:
        raise ChildFailed(message["error"] + "\n" + message.get("traceback", ""))
    return message["ok"]
