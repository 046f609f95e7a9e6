"""The run folder: everything an agent run did, written the moment it happens.

`runs/<time>-<slug>/` holds the question, each prompt and reply, each
extracted model, each diagnostic and solution, an `events.jsonl` log, and
at the end the final model as `model.opt` (or `failed.json`). Every file is
written and closed as soon as its content exists, so a crash or Ctrl-C
keeps all that came before. File names come from this package only, never
from what the model wrote.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any


def slug(text: str, words: int = 6, limit: int = 40) -> str:
    """A few lower-case words of a text, joined by hyphens, safe in any file system."""
    parts = re.findall(r"[a-z0-9]+", text.lower())[:words]
    return "-".join(parts)[:limit].strip("-") or "question"


class RunFolder:
    """One run's folder; writes are whole files or appended JSON lines, thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def create(cls, parent: str | Path, question: str, prefix: str | None = None) -> RunFolder:
        """A new folder under `parent`, named by time (or `prefix`) and the question."""
        head = slug(prefix, words=4) if prefix is not None else time.strftime("%Y%m%d-%H%M%S")
        base = Path(parent) / f"{head}-{slug(question)}"
        path, n = base, 1
        while True:
            try:
                path.mkdir(parents=True)
                break
            except FileExistsError:
                n += 1
                path = base.with_name(f"{base.name}-{n}")
        folder = cls(path)
        folder.write("question.txt", question.rstrip("\n") + "\n")
        return folder

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        # whatever a reply holds, it is kept: odd code points are written escaped
        target.write_text(text, encoding="utf-8", errors="backslashreplace")
        return target

    def write_json(self, name: str, data: Any) -> Path:
        return self.write(name, json.dumps(data, indent=2, default=str) + "\n")

    def event(self, event: str, **fields: Any) -> None:
        """Append one line to `events.jsonl`: what happened, when, and its details."""
        line = json.dumps({"time": round(time.time(), 3), "event": event, **fields},
                          default=str)
        with self._lock, (self.path / "events.jsonl").open("a", encoding="utf-8") as f:
            f.write(line + "\n")
