"""Fixtures for the agent tests: scripted endpoints, stopped after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scripted_server import Script, ScriptedServer, Serve


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start a scripted server (stopped at the end of the test)."""
    servers: list[ScriptedServer] = []

    def start(script: Script) -> ScriptedServer:
        servers.append(ScriptedServer(script).__enter__())
        return servers[-1]

    yield start
    for server in servers:
        server.__exit__()
