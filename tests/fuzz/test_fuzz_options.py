"""Fuzzing the options of a solve (issue 14): limits, gaps, tolerances and weights of
any float, NaN, infinities and negatives among them. Each ends in a result with a
documented status, or a `ValueError` that names the option; never a wrong
"optimal" (a NaN weight gave one) or a traceback from inside a backend."""

from __future__ import annotations

import math

import fuzzkit
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optiform

FAST = settings(deadline=fuzzkit.DEADLINE_MS, suppress_health_check=list(HealthCheck),
                max_examples=150)
MODEL = optiform.loads("variables\n  x in [0, 10]\n  y integer in [0, 10]\nobjective\n"
                       "  minimize a: x + 2 * y\n  minimize b: 3 - x\n"
                       "constraints\n  c: x + y >= 1\n")
STATUSES = {"optimal", "feasible", "infeasible", "unbounded", "time_limit",
            "iteration_limit", "interrupted", "error"}
numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0.0, -0.0, 1e-300, 1e300, -1.0, 1e20]))


weights_of = st.dictionaries(st.sampled_from(["a", "b"]),
                             st.floats(allow_nan=True, allow_infinity=True), max_size=2)


@FAST
@given(time_limit=numbers, mip_gap=numbers, weights=weights_of)
def test_any_options(time_limit: float | None, mip_gap: float | None,
                     weights: dict[str, float]) -> None:
    check_options(time_limit, mip_gap, weights)


@pytest.mark.fuzz_long
@settings(deadline=None, suppress_health_check=list(HealthCheck), database=None,
          max_examples=max(1, fuzzkit.LONG_TOTAL // 50))
@given(time_limit=numbers, mip_gap=numbers, weights=weights_of)
def test_any_options_long(time_limit: float | None, mip_gap: float | None,
                          weights: dict[str, float]) -> None:
    check_options(time_limit, mip_gap, weights)


def check_options(time_limit: float | None, mip_gap: float | None,
                  weights: dict[str, float]) -> None:
    """A documented status, or a ValueError naming what was wrong."""
    if time_limit is not None and math.isfinite(time_limit):
        time_limit = min(time_limit, 5.0)  # a valid limit that would not end the run
    bad = [name for name, v in (("time_limit", time_limit), ("mip_gap", mip_gap))
           if v is not None and not (math.isfinite(v) and v >= 0)]
    if time_limit == math.inf:  # the Python API reads an infinite limit as no limit
        bad.remove("time_limit")
    bad += ["weights"] * any(not (math.isfinite(w) and abs(w) < 1e20)
                             for w in weights.values())
    with fuzzkit.guard():
        try:
            result = MODEL.solve("highs", time_limit=time_limit, mip_gap=mip_gap,
                                 weights=weights)
        except ValueError as exc:
            assert bad and any(name in str(exc) for name in bad), exc
            fuzzkit.OUTCOMES["rejected: option"] += 1
            return
    assert not bad, f"{bad} accepted"
    assert result.status in STATUSES
    if result.status == "optimal":
        assert result.verified
    if result.status == "error":
        assert result.solution.message, "status error with an empty note"
    fuzzkit.OUTCOMES[f"solved: {result.status}"] += 1

