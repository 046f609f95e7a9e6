"""Fuzzing the compiler: generated models, wild expressions, and broken data.

- `models()`: ASTs of plausible models (declared names, bound indices, small
  sets, now and then a slip), printed with `format_model`, compiled and, when
  small, solved with a short time limit.
- `wild_models()`: a valid model with one random expression of any shape put
  in one of its slots (a set, a bound, a filter, a constraint...).
- data: the transport example's data with nodes replaced by random JSON values,
  given as a Python mapping and as JSON, YAML and CSV files, raw bytes mangled,
  now and then a key given twice, YAML aliases nested or bare-CR line ends.
- files that are not files: a FIFO, a device or a folder as the model, a data
  file or a CSV file.

Each must end in a result or a located DiagnosticError (`fuzzkit.check_text`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import fuzzkit
import pytest
from fuzzkit import DATA_MODEL, check_data_files, check_text
from hypothesis import HealthCheck, given, settings

FAST = settings(deadline=fuzzkit.DEADLINE_MS, suppress_health_check=list(HealthCheck))
LONG = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)


def test_the_generators_reach_the_solver() -> None:
    """Guard against a generator that only ever makes errors."""
    seen: set[str] = set()

    @settings(max_examples=150, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(fuzzkit.models())
    def run(text: str) -> None:
        seen.add(check_text(text).split(":")[0])

    run()
    assert {"solved", "rejected"} <= seen, seen


@settings(FAST, max_examples=fuzzkit.examples(300))
@given(fuzzkit.models())
def test_generated_models(text: str) -> None:
    check_text(text, fmt=True)


@settings(FAST, max_examples=fuzzkit.examples(300))
@given(fuzzkit.wild_models())
def test_wild_expressions_in_a_valid_model(text: str) -> None:
    check_text(text, fmt=True)


@settings(FAST, max_examples=fuzzkit.examples(150))
@given(fuzzkit.data_mappings())
def test_broken_data_as_a_mapping(data: dict[str, Any]) -> None:
    check_text(DATA_MODEL, data)


@settings(FAST, max_examples=fuzzkit.examples(150))
@given(fuzzkit.data_files())
def test_broken_data_files(case: tuple[str, dict[str, bytes]]) -> None:
    kind, files = case
    with tempfile.TemporaryDirectory() as folder:
        check_data_files(kind, files, Path(folder))


@settings(FAST, max_examples=fuzzkit.examples(100))
@given(fuzzkit.models())
def test_the_command_line_prints_any_model(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        fuzzkit.check_cli(text, Path(folder))


@pytest.mark.skipif(not hasattr(fuzzkit.os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("role", fuzzkit.FILE_ROLES)
@pytest.mark.parametrize("kind", fuzzkit.FILE_KINDS)
def test_what_is_not_a_file(kind: str, role: str, tmp_path: Path) -> None:
    assert fuzzkit.check_file_kind(kind, role, tmp_path) == "rejected"


@pytest.mark.fuzz_long
@settings(LONG, max_examples=fuzzkit.long_share(0.20))
@given(fuzzkit.models())
def test_generated_models_long(text: str) -> None:
    check_text(text, fmt=True)


@pytest.mark.fuzz_long
@settings(LONG, max_examples=fuzzkit.long_share(0.15))
@given(fuzzkit.wild_models())
def test_wild_expressions_long(text: str) -> None:
    check_text(text, fmt=True)


@pytest.mark.fuzz_long
@settings(LONG, max_examples=fuzzkit.long_share(0.075))
@given(fuzzkit.data_mappings())
def test_broken_data_as_a_mapping_long(data: dict[str, Any]) -> None:
    check_text(DATA_MODEL, data)


@pytest.mark.fuzz_long
@settings(LONG, max_examples=fuzzkit.long_share(0.075))
@given(fuzzkit.data_files())
def test_broken_data_files_long(case: tuple[str, dict[str, bytes]]) -> None:
    kind, files = case
    with tempfile.TemporaryDirectory() as folder:
        check_data_files(kind, files, Path(folder))


@pytest.mark.fuzz_long
@settings(LONG, max_examples=fuzzkit.long_share(0.02))
@given(fuzzkit.models())
def test_the_command_line_prints_any_model_long(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        fuzzkit.check_cli(text, Path(folder))
