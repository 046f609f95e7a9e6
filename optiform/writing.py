"""Writing files and standard output so that a failure loses nothing.

A write that fails halfway (a full disk, a quota, a file-size limit) must not
leave a truncated model or a half-written .lp behind, nor be reported as
written. `write_atomic` writes a temporary file in the target's folder,
flushes it to disk and renames it over the target; `OutputError` says what
could not be written and why; `GuardedOutput` does the same for standard
output. Imports nothing from the rest of optiform.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup


class OutputError(OSError):
    """A file could not be written; the target, if it existed, is as it was."""


def check_target(path: Path) -> None:
    """Refuse to write over what is not a regular file (`/dev/full`, a FIFO, a folder):
    a rename would replace it, and writing into it reports nothing useful."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot write `{path}`: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise OutputError(f"cannot write `{path}`: it is {kind}")


def write_atomic(path: str | Path, data: str | bytes | Path) -> None:
    """Write `data` (text as UTF-8, bytes, or the contents of the file at a `Path`) to
    `path` through a temporary file beside it, renamed over it once complete; on
    failure the temporary file is removed and `path` is untouched. Keeps an existing
    file's permissions; a symbolic link is written through, not replaced."""
    shown = Path(path)
    path = Path(os.path.realpath(shown))
    check_target(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write `{shown}`: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, Path):
                with open(data, "rb") as source:
                    shutil.copyfileobj(source, fh, 1 << 20)
            else:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        existed = path.exists()
        os.chmod(temp, stat.S_IMODE(path.stat().st_mode) if existed else 0o666 & ~_umask())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        left = "it is unchanged" if path.exists() else "nothing was written"
        raise OutputError(f"cannot write `{shown}`: {exc.strerror or exc}; {left}") from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class GuardedOutput(TyperGroup):
    """The command line's group: standard output that fails is an answer, not a traceback.

    `optiform solve ... | head -1` closes the pipe early: that exits quietly with
    141 (128 + SIGPIPE, what the shell reports for a command the pipe ended), not
    1, which means a wrong model. Standard output on a full disk or `/dev/full`
    exits 7 with one line on stderr. Output is flushed before the command returns,
    so that a failure is seen here and not at interpreter exit.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(141) from None
        except OSError as exc:
            if exc.errno not in _WRITE_ERRORS or not _from_printing(exc):
                raise
            _silence_stdout()
            print(f"error: cannot write to standard output: {exc.strerror or exc}",
                  file=sys.stderr)
            raise typer.Exit(7) from None


_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}
# Where standard output is written: rich's console, the commands' own `print`s, the
# `--json` text (Result.write_json) and the flush above. Files are written elsewhere
# (`write_atomic` says which one failed).
_PRINTERS = (os.path.join("rich", "console.py"), os.path.join("optiform", "cli.py"),
             os.path.join("optiform", "writing.py"),
             os.path.join("optiform", "solution.py"))  # `--json`, written from the arrays


def _from_printing(exc: OSError) -> bool:
    """Whether the failed write was one to standard output: the innermost frame of its
    traceback is one of the places that print (a write to a file fails elsewhere)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_filename.endswith(_PRINTERS)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that what is still buffered in it does not
    fail again when the interpreter flushes it on its way out."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass  # not a real file (a test's capture): nothing will flush it later


class Terminal(Console):
    """A rich console that leaves a closed pipe to `GuardedOutput` (rich itself would
    exit 1 there) and prints no emoji for `:codes:` in the user's text."""

    def __init__(self, **options: Any) -> None:
        super().__init__(emoji=False, highlight=False, soft_wrap=True, **options)

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError
