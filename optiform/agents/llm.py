"""The chat endpoint: any OpenAI-compatible server through the `openai` client.

OpenAI, vLLM, Ollama and a llama.cpp server all speak the same
`/v1/chat/completions`, so one client serves them all. This module owns the
endpoint's configuration (flags first, then the `OPENAI_*` variables), the
retry policy (bounded exponential backoff on rate limits, timeouts and
server errors, nothing else), and errors a person can act on instead of the
client's tracebacks. `openai` is imported only when a request is made, so
`optiform solve` does not pay for it (through `extras.require`, which names the
extra when it is missing). Imports nothing else from optiform.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from optiform.extras import require

AGENT = "the agent (ask, eval)"
DEFAULT_TIMEOUT = 120.0
NO_KEY = "not-needed"  # local servers ignore the key, but the client insists on one


class LLMError(Exception):
    """The endpoint failed in a way retrying will not fix; the message says what to do."""


class LLMConfigError(LLMError):
    """No endpoint or no model was given."""


class EndpointUnreachable(LLMError):
    """Nothing answers at the base URL."""


class MalformedReply(LLMError):
    """A 200 whose body is not a chat completion; `body` is what came, kept for the run folder."""

    def __init__(self, message: str, body: str) -> None:
        super().__init__(message)
        self.body = body


@dataclass(frozen=True)
class Message:
    role: str  # system | user | assistant
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class Completion:
    """One reply, with what it took to get it."""

    text: str
    finish_reason: str | None
    retries: int
    seconds: float

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"


@dataclass(frozen=True)
class Endpoint:
    """Where to send requests: resolved from flags, then the environment."""

    model: str
    base_url: str | None
    api_key: str

    @classmethod
    def resolve(cls, model: str | None = None, base_url: str | None = None,
                api_key: str | None = None) -> Endpoint:
        model = model or os.environ.get("OPENAI_MODEL")
        base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        api_key = api_key or os.environ.get("OPENAI_API_KEY")
        if not base_url and not api_key:
            raise LLMConfigError(
                "no LLM endpoint: give --base-url (or OPENAI_BASE_URL) for a local server "
                "such as Ollama (http://localhost:11434/v1) or vLLM (http://localhost:8000/v1), "
                "or --api-key (or OPENAI_API_KEY) for OpenAI")
        if not model:
            raise LLMConfigError("no model: give --model (or OPENAI_MODEL), e.g. "
                                 "--model qwen2.5:14b for Ollama or --model gpt-4o for OpenAI")
        return cls(model, base_url, api_key or NO_KEY)


class LLM:
    """A chat model behind an OpenAI-compatible client, with bounded retries.

    `client` is an `openai.OpenAI` (or anything with the same
    `chat.completions.create`); `connect` builds one from flags and environment.
    """

    def __init__(self, client: Any, model: str, *, retries: int = 4, backoff: float = 1.0,
                 max_backoff: float = 30.0, temperature: float | None = None,
                 timeout: float | None = None) -> None:
        self.client = client
        self.model = model
        # the whole reply within this; the client's own timeout bounds each read only,
        # which a server sending a byte at a time never trips
        self.timeout = timeout if timeout is not None else _client_timeout(client)
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.temperature = temperature

    @classmethod
    def connect(cls, model: str | None = None, base_url: str | None = None,
                api_key: str | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                retries: int = 4, backoff: float = 1.0,
                temperature: float | None = None) -> LLM:
        endpoint = Endpoint.resolve(model, base_url, api_key)
        openai = require("openai", AGENT)

        # The client's own retries are off: ours are bounded, logged and tested.
        client = openai.OpenAI(base_url=endpoint.base_url, api_key=endpoint.api_key,
                               timeout=timeout, max_retries=0)
        return cls(client, endpoint.model, retries=retries, backoff=backoff,
                   temperature=temperature, timeout=timeout)

    @property
    def where(self) -> str:
        base = getattr(self.client, "base_url", None)
        return str(base) if base else "the endpoint"

    def complete(self, messages: Sequence[Message]) -> Completion:
        """Ask for one reply; retry rate limits, timeouts and 5xx, then give up clearly."""
        openai = require("openai", AGENT)

        started = time.perf_counter()
        kwargs: dict[str, Any] = {"model": self.model,
                                  "messages": [m.as_dict() for m in messages]}
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        attempt = 0
        while True:
            try:
                text, finish = self._request(kwargs)
            except (openai.RateLimitError, openai.APITimeoutError,
                    openai.InternalServerError) as exc:
                if attempt >= self.retries:
                    raise LLMError(self._exhausted(exc)) from None
                time.sleep(self._delay(attempt, exc))
                attempt += 1
                continue
            except openai.APIConnectionError as exc:
                raise EndpointUnreachable(
                    f"cannot reach {self.where} ({exc}); is the server running? "
                    "Check --base-url (or OPENAI_BASE_URL)") from None
            except openai.AuthenticationError:
                raise LLMError(f"{self.where} refused the API key (401); check --api-key "
                               "(or OPENAI_API_KEY)") from None
            except openai.NotFoundError:
                raise LLMError(f"{self.where} answered 404 for model `{self.model}`: check "
                               "--model, and that the base URL ends in /v1") from None
            except openai.APIStatusError as exc:
                raise LLMError(f"{self.where} rejected the request ({exc.status_code}): "
                               f"{_detail(exc)}") from None
            return Completion(text, finish, attempt, time.perf_counter() - started)

    def _request(self, kwargs: dict[str, Any]) -> tuple[str, str | None]:
        """One request: the reply's text and finish reason, within the total deadline.

        The body is read as it streams and parsed here, not by the client, so
        that a body that is not a chat completion becomes `MalformedReply`
        (with the body) instead of a traceback.
        """
        completions = self.client.chat.completions
        streaming = getattr(completions, "with_streaming_response", None)
        if streaming is None:  # a client of another make: its own parsing
            response = completions.create(**kwargs)
            return _text(response), _finish_reason(response)
        import openai

        deadline = time.monotonic() + self.timeout
        chunks: list[bytes] = []
        with streaming.create(**kwargs) as response:
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise openai.APITimeoutError(request=response.http_request)
        return parse_reply(b"".join(chunks).decode("utf-8", errors="replace"))

    def _delay(self, attempt: int, exc: Exception) -> float:
        """The server's Retry-After in seconds if it sent one, else exponential with jitter."""
        response = getattr(exc, "response", None)
        header = response.headers.get("retry-after") if response is not None else None
        try:
            if header is not None:
                return min(self.max_backoff, max(0.0, float(header)))
        except ValueError:  # an HTTP date: back off on our own schedule
            pass
        return min(self.max_backoff, self.backoff * 2 ** attempt) * random.uniform(0.5, 1.0)

    def _exhausted(self, exc: Exception) -> str:
        openai = require("openai", AGENT)

        what = ("kept rate-limiting (429)" if isinstance(exc, openai.RateLimitError) else
                "kept timing out" if isinstance(exc, openai.APITimeoutError) else
                f"kept failing ({getattr(exc, 'status_code', 'server error')})")
        return (f"{self.where} {what} after {self.retries} retries; wait and try again, "
                "lower the concurrency, or raise --timeout")


def parse_reply(body: str) -> tuple[str, str | None]:
    """The text and finish reason of a chat completion's JSON body; MalformedReply if not one."""
    def bad(why: str) -> MalformedReply:
        return MalformedReply(f"the endpoint answered 200, but {why}; the body is kept in "
                              "the run folder. Check that --base-url is an OpenAI-compatible "
                              "/v1 endpoint", body)

    try:
        data = json.loads(body)
    except RecursionError:
        raise bad("its body nests too deeply to be a chat completion") from None
    except ValueError as exc:
        raise bad(f"its body is not JSON ({exc})") from None
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise bad("its body has no `choices` with a message")
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if content is not None and not isinstance(content, str):
        raise bad(f"the message's content is {_kind(content)}, not text")
    try:
        (content or "").encode("utf-8")
    except UnicodeEncodeError:
        raise bad("the message's content is not valid Unicode (a lone surrogate)") from None
    finish = choices[0].get("finish_reason")
    return content or "", finish if isinstance(finish, str) else None


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def _client_timeout(client: Any) -> float:
    """The client's read timeout in seconds, or ours."""
    timeout = getattr(client, "timeout", None)
    value = getattr(timeout, "read", timeout)
    return float(value) if isinstance(value, (int, float)) else DEFAULT_TIMEOUT


def _text(response: Any) -> str:
    choices = getattr(response, "choices", None) or []
    if not choices:
        return ""
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None) if message is not None else None
    if content is not None and not isinstance(content, str):
        raise MalformedReply(f"the endpoint's reply has content that is {_kind(content)}, "
                             "not text", repr(response))
    return content or ""


def _finish_reason(response: Any) -> str | None:
    choices = getattr(response, "choices", None) or []
    return getattr(choices[0], "finish_reason", None) if choices else None


def _detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(getattr(exc, "message", exc))
