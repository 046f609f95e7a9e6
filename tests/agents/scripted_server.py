"""A small OpenAI-compatible chat server that answers from a script.

No LLM can be reached from the tests, so this stands in for one: a
`ThreadingHTTPServer` on 127.0.0.1 and an ephemeral port answering
`POST /v1/chat/completions` the way OpenAI, vLLM and Ollama do. The agent
talks to it through the real `openai` client. A script is either a list of
steps served in order, or a function from the request body to a step; every
request body is kept in `requests` for the tests to inspect.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from optiform.agents.llm import LLM


@dataclass(frozen=True)
class Status:
    """An HTTP error instead of a reply (429 with an optional Retry-After, 500, 404...)."""

    code: int
    retry_after: float | None = None


@dataclass(frozen=True)
class Slow:
    """A reply sent only after `seconds`, long enough for a short client timeout."""

    seconds: float
    reply: str


@dataclass(frozen=True)
class Cut:
    """A reply stopped at the output limit (`finish_reason: length`)."""

    reply: str


@dataclass(frozen=True)
class Raw:
    """A status-200 body sent as it is: not JSON, or JSON that is not a completion."""

    body: bytes


@dataclass(frozen=True)
class Drip:
    """A reply sent `pieces` bytes-chunks apart by `every` seconds: each read is quick,
    the whole is slow."""

    reply: str
    pieces: int
    every: float


Step = str | Status | Slow | Cut | Raw | Drip
Script = Sequence[Step] | Callable[[dict[str, Any]], Step]


class ScriptedServer:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._next = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def user_messages(self, request: int) -> list[str]:
        return [m["content"] for m in self.requests[request]["messages"] if m["role"] == "user"]

    def _step(self, body: dict[str, Any]) -> Step:
        with self._lock:
            self.requests.append(body)
            if callable(self.script):
                return self.script(body)
            if self._next >= len(self.script):
                raise AssertionError(f"the script has no step {self._next + 1}")
            step = self.script[self._next]
            self._next += 1
            return step

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet tests
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                step = server._step(body)
                if isinstance(step, Status):
                    headers = ({"retry-after": str(step.retry_after)}
                               if step.retry_after is not None else {})
                    self._send(step.code, {"error": {"message": f"scripted {step.code}",
                                                     "type": "scripted"}}, headers)
                    return
                if isinstance(step, Raw):
                    self._send_bytes(200, step.body)
                    return
                if isinstance(step, Drip):
                    self._drip(step)
                    return
                if isinstance(step, Slow):
                    time.sleep(step.seconds)
                    step = step.reply
                text, finish = (step.reply, "length") if isinstance(step, Cut) else (step, "stop")
                self._send(200, _completion(body.get("model", "scripted"), text, finish))

            def _drip(self, step: Drip) -> None:
                data = json.dumps(_completion("scripted", step.reply, "stop")).encode()
                size = -(-len(data) // step.pieces)
                try:
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    for start in range(0, len(data), size):
                        self.wfile.write(data[start:start + size])
                        self.wfile.flush()
                        time.sleep(step.every)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up
                    pass

            def _send(self, code: int, payload: dict[str, Any],
                      headers: dict[str, str] | None = None) -> None:
                self._send_bytes(code, json.dumps(payload).encode(), headers)

            def _send_bytes(self, code: int, data: bytes,
                            headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(code)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up
                    pass

        return Handler

    def __enter__(self) -> ScriptedServer:
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _completion(model: str, text: str, finish_reason: str) -> dict[str, Any]:
    return {"id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "finish_reason": finish_reason,
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}



def connect(server: ScriptedServer, timeout: float = 5.0, retries: int = 2) -> LLM:
    """The real openai client against a scripted server, with quick backoff."""
    return LLM.connect("scripted-model", server.base_url, "test-key", timeout=timeout,
                       retries=retries, backoff=0.01)


Serve = Callable[[Script], "ScriptedServer"]  # the `serve` fixture: start one, get it back
