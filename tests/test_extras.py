"""The core install: LP, MILP and QP without any optional library, and each missing
extra named by the `pip install` line that brings it (exit 5, no traceback).

The commands run in a child process in which every optional library is hidden
by a `sys.modules[name] = None` entry: exactly what Python does for a module
that is not installed. `.ci/run` also installs the bare core in a virtual
environment of its own and runs the same commands there.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from optiform.extras import EXTRA_OF, MissingExtra, install_line, require

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

CHILD = """
import json, sys
for name in {hidden!r}:
    sys.modules[name] = None
from typer.testing import CliRunner
from optiform.cli import app
runs = {{}}
for key, argv in {commands!r}.items():
    r = CliRunner().invoke(app, argv)
    runs[key] = {{"code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr,
                  "raised": repr(r.exception) if r.exit_code not in (0, 5) else ""}}
loaded = sorted(n for n in {hidden!r} if sys.modules.get(n) is not None)
print(json.dumps({{"runs": runs, "loaded": loaded}}))
"""


def run_without(hidden: list[str], commands: dict[str, list[str]]) -> dict:
    code = CHILD.format(hidden=hidden, commands=commands)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("bare")
    knapsack, hs071 = str(EXAMPLES / "knapsack.opt"), str(EXAMPLES / "hs071.opt")
    two = str(EXAMPLES / "biobjective_knapsack.opt")
    return run_without(sorted(EXTRA_OF), {
        "milp": ["solve", str(EXAMPLES / "facility_location.opt")],
        "lp_json": ["solve", str(EXAMPLES / "transportation.opt"), "--json"],
        "qp": ["solve", str(EXAMPLES / "portfolio.opt")],
        "lp_file": ["export", knapsack, "-o", str(tmp / "k.lp")],
        "solvers": ["solvers"],
        "torch": ["solve", knapsack, "--backend", "torch"],
        "torch_json": ["solve", knapsack, "--backend", "torch", "--json"],
        "gflownet": ["solve", knapsack, "--backend", "gflownet"],
        "ipopt": ["solve", hs071, "--backend", "ipopt"],
        "pyomo": ["solve", knapsack, "--backend", "pyomo"],
        "nlp_auto": ["solve", hs071],
        "nl_file": ["export", hs071, "-o", str(tmp / "h.nl")],
        "ask": ["ask", "a diet problem", "--model", "m", "--base-url", "http://127.0.0.1:9"],
        "plot": ["solve", two, "--pareto", "3", "--plot", str(tmp / "f.png")],
    })


def test_the_core_solves_lp_milp_and_qp_and_imports_no_extra(bare: dict) -> None:
    runs = bare["runs"]
    for key in ("milp", "lp_json", "qp", "lp_file", "solvers"):
        assert runs[key]["code"] == 0, (key, runs[key])
    assert "1625" in runs["milp"]["stdout"]
    assert json.loads(runs["lp_json"]["stdout"])["status"] == "optimal"
    assert bare["loaded"] == []


@pytest.mark.parametrize(("key", "line"), [
    ("torch", "--backend torch needs torch, which is not installed: pip install 'optiform[torch]'"),
    ("gflownet", "--backend gflownet needs torch, which is not installed: "
                 "pip install 'optiform[torch]'"),
    ("ipopt", "--backend ipopt needs cyipopt, which is not installed: "
              "pip install 'optiform[ipopt]'"),
    ("pyomo", "--backend pyomo needs pyomo, which is not installed: "
              "pip install 'optiform[pyomo]'"),
    ("nlp_auto", "pip install 'optiform[pyomo]' brings Pyomo and SCIP"),
    ("nl_file", "writing .nl files needs pyomo, which is not installed: "
                "pip install 'optiform[pyomo]'"),
    ("ask", "the agent (ask, eval) needs openai, which is not installed: "
            "pip install 'optiform[agent]'"),
    ("plot", "drawing a front (--plot) needs matplotlib, which is not installed: "
             "pip install 'optiform[plot]'"),
])
def test_a_missing_extra_gives_its_install_line_and_exit_5(bare: dict, key: str,
                                                           line: str) -> None:
    run = bare["runs"][key]
    assert run["code"] == 5, run
    assert line in " ".join(run["stderr"].split())
    assert "Traceback" not in run["stderr"] + run["stdout"]


def test_json_output_carries_the_install_line(bare: dict) -> None:
    payload = json.loads(bare["runs"]["torch_json"]["stdout"])
    assert payload["status"] == "error"
    assert "pip install 'optiform[torch]'" in payload["errors"][0]["message"]


def test_solvers_says_what_is_missing_and_why_ipopt_is_listed_twice(bare: dict) -> None:
    text = " ".join(bare["runs"]["solvers"]["stdout"].split())
    assert "Pyomo is not installed" in text and "pip install 'optiform[pyomo]'" in text
    assert "pip install 'optiform[torch]'" in text
    assert "ipopt has two rows" in text


def test_require_names_the_extra() -> None:
    assert require("json", "anything").dumps([]) == "[]"
    with pytest.raises(MissingExtra) as caught:
        require("pandas.no_such_module", "frames")
    assert caught.value.extra == "frames"
    assert str(caught.value).endswith("pip install 'optiform[frames]'")
    assert install_line("ray") == "pip install 'optiform[ray]'"


def test_every_extra_named_in_a_message_brings_its_module() -> None:
    # the hint for polars once named `frames`, which does not bring it
    tomllib = pytest.importorskip("tomllib")
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    for module, extra in EXTRA_OF.items():
        brought = [re.split(r"[<>=!~\[ ]", r)[0] for r in extras[extra]]
        assert any(name.startswith(module) for name in brought), (module, extra, brought)
    in_all = re.fullmatch(r"optiform\[(.*)\]", extras["all"][0]).group(1).split(",")
    assert set(EXTRA_OF.values()) <= set(in_all)
    assert install_line("polars") == "pip install 'optiform[polars]'"

