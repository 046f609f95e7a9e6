"""Ctrl-C during a long solve prints the best solution found so far."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

MODEL = """\
sets
  I
  K
parameters
  value[I]
  w[K, I]
  cap
variables
  take[I] binary
objective
  maximize total: sum(i in I) value[i] * take[i]
constraints
  room[k in K]: sum(i in I) w[k, i] * take[i] <= cap
"""


def test_ctrl_c_keeps_the_incumbent_and_checks_it(tmp_path: Path) -> None:
    # A multi-dimensional knapsack that HiGHS cannot close in seconds, but where it
    # finds good points at once.
    rng = np.random.default_rng(7)
    n, m = 500, 30
    data = {
        "I": list(range(1, n + 1)), "K": list(range(1, m + 1)),
        "value": {str(i + 1): int(v) for i, v in enumerate(rng.integers(10, 100, n))},
        "w": {str(k + 1): {str(i + 1): int(x) for i, x in enumerate(rng.integers(10, 100, n))}
              for k in range(m)},
        "cap": 1000,
    }
    (tmp_path / "mkp.json").write_text(json.dumps(data))
    (tmp_path / "mkp.opt").write_text(MODEL)
    proc = subprocess.Popen(
        [sys.executable, "-m", "optiform", "solve", "mkp.opt", "--data", "mkp.json", "--json"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)  # past start-up and grounding, into the branch and bound
    assert proc.poll() is None, "the solve finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    result = json.loads(out)
    assert result["status"] == "feasible"
    assert result["message"] == "interrupted: the best solution found so far"
    assert result["check"]["feasible"] is True
    assert result["objective"] > 0
