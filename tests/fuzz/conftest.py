"""The fuzz folder: the long run stays out of ordinary runs; the inputs run are counted.

`@pytest.mark.fuzz_long` tests (at least 100,000 inputs in all) run only when
the `-m` expression names them: `pytest tests/fuzz -m fuzz_long`. Plain
`pytest`, `pytest -m slow` and `pytest -m "not slow"` leave them out.
`pytest -m "not slow"`, the quick run, takes a share of each default test's
inputs (`fuzzkit.examples`); plain `pytest` takes them all.
`OPTIFORM_FUZZ_LONG_EXAMPLES` sets the long run's total (default 100000), and
`OPTIFORM_FUZZ_RECORD=FILE` records each breach of the contract in FILE and goes on
(see fuzzkit.py), for a long run left to itself.
"""

from __future__ import annotations

import time

import fuzzkit
import pytest


def pytest_configure(config: pytest.Config) -> None:
    # runs before the test modules are imported, so their settings see it
    fuzzkit.QUICK = "not slow" in (config.getoption("markexpr", "") or "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "fuzz_long" in (config.getoption("markexpr", "") or ""):
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("fuzz_long") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    total = sum(fuzzkit.OUTCOMES.values())
    if not total:
        return
    elapsed = time.perf_counter() - fuzzkit.STARTED
    outcomes = ", ".join(f"{k}: {v}" for k, v in fuzzkit.OUTCOMES.most_common())
    breaches = fuzzkit.OUTCOMES["breach"]
    terminalreporter.write_line(
        f"fuzz: {total} inputs in {elapsed:.0f} s, {breaches} breaking the contract"
        + (f" (recorded in {fuzzkit.RECORD})" if breaches else "") + f"; {outcomes}")


@pytest.fixture(scope="session", autouse=True)
def _warm_solvers() -> None:
    """Solver imports happen here, not inside the first timed input."""
    fuzzkit.warm_up()
