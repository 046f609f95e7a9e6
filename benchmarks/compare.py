"""optiform against raw highspy and other Python modellers, on the same models.

Builds a transportation LP (300 x 300 = 90k and 1,000 x 1,000 = 1M variables)
and a capacitated facility-location MILP (100 facilities x 2,000 customers,
about 200k variables) from the same numpy data (fixed seeds) with every layer:

- `raw-highspy`: CSR arrays computed with numpy, one `passModel` (the floor);
- `optiform`: `optiform.loads(text, data=arrays)` + `Model.compile()`, then the
  HiGHS backend's own hand-off (`HighsBackend.load`) and `run`;
- `optiform-cli-json`, `optiform-cli-csv`: the `optiform solve` command reading a
  data file (dense nested lists in JSON, or a folder of CSV files);
- `pyoptinterface`, `linopy`, `pyoframe`, `pyomo`: where installed
  (benchmarks/requirements.txt), each through its documented fast path.

Every measurement runs in a fresh process (one per layer, case and repeat);
the table shows the median of the repeats. Times: build (data in memory to
the modeller's model), hand-off (to the point HiGHS holds the model), solve
(HiGHS `run`), and the child's peak RSS (`ru_maxrss`). Every layer must reach
the same optimum (relative 1e-6), else the run fails.

    python benchmarks/compare.py                       # everything, writes RESULTS.md
    python benchmarks/compare.py --cases lp90k --layers raw-highspy,optiform -r 1
    python benchmarks/compare.py --quick               # tiny sizes: a smoke test

Only the standard library is imported at the top, so that a child's timings
and memory are its layer's own.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 7
MIP_TIME_LIMIT = 120.0  # every layer gets the same HiGHS options

# name -> (model, sizes); sizes are (sources, sinks) or (facilities, customers)
CASES: dict[str, tuple[str, tuple[int, int]]] = {
    "lp90k": ("transport", (300, 300)),
    "lp1m": ("transport", (1000, 1000)),
    "milp200k": ("facility", (100, 2000)),
}
QUICK_CASES: dict[str, tuple[str, tuple[int, int]]] = {
    "lp-tiny": ("transport", (20, 30)),
    "milp-tiny": ("facility", (5, 40)),
}
CASE_TITLES = {
    "lp90k": "Transportation LP, 300 x 300 (90,000 variables, 180,000 nonzeros)",
    "lp1m": "Transportation LP, 1,000 x 1,000 (1,000,000 variables, 2,000,000 nonzeros)",
    "milp200k": "Facility location MILP, 100 x 2,000 (200,100 variables, 400,100 nonzeros)",
}
# Issue 7's target for optiform's build + hand-off (10 ms + 150 ns per nonzero).
TARGETS = {"lp90k": 0.04, "lp1m": 0.3, "milp200k": 0.13}

LAYERS = ["raw-highspy", "optiform", "optiform-cli-json", "optiform-cli-csv",
          "pyoptinterface", "linopy", "pyoframe", "pyomo"]
REQUIRES = {"raw-highspy": "highspy", "optiform": "optiform",
            "optiform-cli-json": "optiform", "optiform-cli-csv": "optiform",
            "pyoptinterface": "pyoptinterface", "linopy": "linopy",
            "pyoframe": "pyoframe", "pyomo": "pyomo"}
HOW = {
    "raw-highspy": "numpy CSR arrays; hand-off: `Highs()` + the array overload of `passModel`",
    "optiform": "`optiform.loads(text, data=arrays)`, `Model.compile()`; hand-off: the "
                "HiGHS backend's `load`",
    "optiform-cli-json": "`optiform solve model.opt --data data.json` (dense nested lists); "
                         "build is from process start (interpreter, imports, reading, "
                         "parsing, compiling) to the hand-off",
    "optiform-cli-csv": "as above with `--data` a folder of CSV files (one row per entry)",
    "pyoptinterface": "`add_variables` tupledicts, `quicksum`/`ExprBuilder` rows straight "
                      "into HiGHS (build and hand-off are one step)",
    "linopy": "xarray coordinates and `DataArray` data; hand-off `linopy.io.to_highspy`",
    "pyoframe": "polars DataFrames, `sum_by`; writes into HiGHS as it builds "
                "(build and hand-off are one step)",
    "pyomo": "`ConcreteModel`, `RangeSet`s, rules with `quicksum` over plain Python floats; "
             "hand-off: APPSI HiGHS `set_instance`",
}


# ---- data ------------------------------------------------------------------------
def transport_data(n: int, m: int) -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(SEED + n)
    demand = rng.integers(10, 50, m).astype(float)
    supply = rng.integers(10, 50, n).astype(float)
    supply *= 1.2 * demand.sum() / supply.sum()
    supply = np.ceil(supply)
    cost = np.round(rng.uniform(1.0, 10.0, (n, m)), 3)
    return {"supply": supply, "demand": demand, "cost": cost}


def facility_data(nf: int, nc: int) -> dict[str, Any]:
    """Fixed costs small against transport: HiGHS proves optimality at the root."""
    import numpy as np

    rng = np.random.default_rng(SEED + nc)
    fxy, cxy = rng.uniform(0, 1, (nf, 2)), rng.uniform(0, 1, (nc, 2))
    demand = rng.integers(5, 36, nc).astype(float)
    dist = np.sqrt(((fxy[:, None, :] - cxy[None, :, :]) ** 2).sum(axis=-1))
    cost = np.round(10.0 * dist, 3)
    mean_cap = 1.5 * demand.sum() / nf
    capacity = np.round(rng.uniform(0.7 * mean_cap, 1.3 * mean_cap, nf))
    fixed = np.round(rng.uniform(0.05, 0.15, nf), 3)
    return {"fixed": fixed, "capacity": capacity, "demand": demand, "cost": cost}


def make_data(case: str, quick: bool) -> tuple[str, dict[str, Any]]:
    model, (a, b) = (QUICK_CASES if quick else CASES)[case]
    return model, (transport_data(a, b) if model == "transport" else facility_data(a, b))


FACILITY_OPT = """\
model facility "Capacitated facility location"
sets
  W  "facilities"
  C  "customers"
parameters
  fixed[W]
  capacity[W]
  demand[C]
  cost[W, C]
variables
  open[W] binary
  ship[W, C] >= 0
objective
  minimize total_cost:
    sum(w in W) fixed[w] * open[w] + sum(w in W, c in C) cost[w, c] * ship[w, c]
constraints
  serve[c in C]:       sum(w in W) ship[w, c] == demand[c]
  capacity_ok[w in W]: sum(c in C) ship[w, c] <= capacity[w] * open[w]
"""


def optiform_text_and_data(model: str, d: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    import numpy as np

    n, m = d["cost"].shape
    first, second = ("I", "J") if model == "transport" else ("W", "C")
    data = {first: np.arange(1, n + 1), second: np.arange(1, m + 1), **d}
    # imported here: a raw library's child process must not load optiform
    from optiform.testing import TRANSPORT

    return (TRANSPORT if model == "transport" else FACILITY_OPT), data


# ---- layers: each returns build, handoff (None when fused with build), solve, ... ---
def _highs_status(h: Any) -> str:
    return str(h.modelStatusToString(h.getModelStatus()))


def run_raw_highspy(model: str, d: dict[str, Any]) -> dict[str, Any]:
    import highspy
    import numpy as np

    t0 = time.perf_counter()
    cost = d["cost"]
    n, m = cost.shape
    nv = n * m
    if model == "transport":
        # column i*m + j; rows out[i] (n) then into[j] (m)
        index = np.concatenate([np.arange(nv), np.arange(nv).reshape(n, m).T.ravel()])
        start = np.concatenate([np.arange(n + 1) * m, nv + np.arange(1, m + 1) * n])
        value = np.ones(2 * nv)
        col_cost, ncol = cost.ravel(), nv
        col_lower, col_upper = np.zeros(nv), np.full(nv, np.inf)
        row_lower = np.concatenate([np.full(n, -np.inf), d["demand"]])
        row_upper = np.concatenate([d["supply"], np.full(m, np.inf)])
    else:
        # columns open[w] (n) then ship[w, c] at n + w*m + c; rows serve[c] then capacity_ok[w]
        ncol = n + nv
        ship = n + np.arange(nv).reshape(n, m)
        index = np.concatenate([ship.T.ravel(),
                                np.hstack([ship, np.arange(n)[:, None]]).ravel()])
        start = np.concatenate([np.arange(m + 1) * n, nv + np.arange(1, n + 1) * (m + 1)])
        value = np.concatenate([np.ones(nv),
                                np.hstack([np.ones((n, m)), -d["capacity"][:, None]]).ravel()])
        col_cost = np.concatenate([d["fixed"], cost.ravel()])
        col_lower = np.zeros(ncol)
        col_upper = np.concatenate([np.ones(n), np.full(nv, np.inf)])
        row_lower = np.concatenate([d["demand"], np.full(n, -np.inf)])
        row_upper = np.concatenate([d["demand"], np.zeros(n)])
    start, index = start.astype(np.int32), index.astype(np.int32)
    integrality = np.zeros(ncol, dtype=np.int32)
    if model == "facility":
        integrality[:n] = 1  # kInteger; the bounds make them binary
    t1 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if model == "facility":
        h.setOptionValue("time_limit", MIP_TIME_LIMIT)
    # The array overload (HiGHS's C API: starts without the final entry) copies each array
    # once; filling a `HighsLp` member by member converts them one by one and is ~4x slower.
    status = h.passModel(ncol, len(start) - 1, len(index), int(highspy.MatrixFormat.kRowwise),
                         int(highspy.ObjSense.kMinimize), 0.0, col_cost, col_lower, col_upper,
                         row_lower, row_upper, start[:-1], index, value, integrality)
    assert status == highspy.HighsStatus.kOk, status
    t2 = time.perf_counter()
    h.run()
    t3 = time.perf_counter()
    return {"build": t1 - t0, "handoff": t2 - t1, "solve": t3 - t2, "status": _highs_status(h),
            "objective": h.getInfo().objective_function_value}


def run_optiform(model: str, d: dict[str, Any]) -> dict[str, Any]:
    text, data = optiform_text_and_data(model, d)
    import highspy
    import numpy as np

    import optiform
    from optiform.backends import SolveOptions
    from optiform.backends.highs.backend import HighsBackend
    from optiform.verify import verify

    t_parser = time.perf_counter()
    optiform.loads("variables\n  v\n")  # builds the LALR parser: once per process
    t0 = time.perf_counter()
    m = optiform.loads(text, data=data)
    t_parse = time.perf_counter()
    problem = m.compile()
    t1 = time.perf_counter()
    backend = HighsBackend()
    options = SolveOptions(time_limit=MIP_TIME_LIMIT if model == "facility" else None).started()
    h = backend.load(problem, options)
    t2 = time.perf_counter()
    backend._run(h, highspy, problem, options.deadline)
    t3 = time.perf_counter()
    values = np.asarray(h.getSolution().col_value, dtype=float)
    report = verify(problem, values)
    t4 = time.perf_counter()
    assert report.feasible, report
    return {"build": t1 - t0, "handoff": t2 - t1, "solve": t3 - t2, "status": _highs_status(h),
            "objective": h.getInfo().objective_function_value,
            "extra": {"parser_build": t0 - t_parser, "parse": t_parse - t0,
                      "compile": t1 - t_parse, "check": t4 - t3}}


def run_pyoptinterface(model: str, d: dict[str, Any]) -> dict[str, Any]:
    import pyoptinterface as poi
    from pyoptinterface import highs

    if not highs.autoload_library():
        raise RuntimeError("pyoptinterface finds no HiGHS library (pip install highsbox)")
    t0 = time.perf_counter()
    cost = d["cost"].tolist()
    n, m = len(cost), len(cost[0])
    mdl = highs.Model()
    mdl.set_raw_parameter("output_flag", False)
    if model == "transport":
        supply, demand = d["supply"].tolist(), d["demand"].tolist()
        x = mdl.add_variables(range(n), range(m), lb=0.0)
        for i in range(n):
            mdl.add_linear_constraint(poi.quicksum(x[i, j] for j in range(m)), poi.Leq,
                                      supply[i])
        for j in range(m):
            mdl.add_linear_constraint(poi.quicksum(x[i, j] for i in range(n)), poi.Geq,
                                      demand[j])
        obj = poi.ExprBuilder()
        for i in range(n):
            row = cost[i]
            for j in range(m):
                obj.add_affine_term(x[i, j], row[j])
    else:
        mdl.set_raw_parameter("time_limit", MIP_TIME_LIMIT)
        fixed, capacity = d["fixed"].tolist(), d["capacity"].tolist()
        demand = d["demand"].tolist()
        y = mdl.add_variables(range(n), domain=poi.VariableDomain.Binary)
        x = mdl.add_variables(range(n), range(m), lb=0.0)
        for j in range(m):
            mdl.add_linear_constraint(poi.quicksum(x[i, j] for i in range(n)), poi.Eq,
                                      demand[j])
        for i in range(n):
            expr = poi.quicksum(x[i, j] for j in range(m))
            expr.add_affine_term(y[i], -capacity[i])
            mdl.add_linear_constraint(expr, poi.Leq, 0.0)
        obj = poi.ExprBuilder()
        for i in range(n):
            obj.add_affine_term(y[i], fixed[i])
            row = cost[i]
            for j in range(m):
                obj.add_affine_term(x[i, j], row[j])
    mdl.set_objective(obj, poi.ObjectiveSense.Minimize)
    t1 = time.perf_counter()
    mdl.optimize()
    t2 = time.perf_counter()
    status = str(mdl.get_model_attribute(poi.ModelAttribute.TerminationStatus))
    return {"build": t1 - t0, "handoff": None, "solve": t2 - t1, "status": status,
            "objective": mdl.get_model_attribute(poi.ModelAttribute.ObjectiveValue)}


def run_linopy(model: str, d: dict[str, Any]) -> dict[str, Any]:
    import linopy
    import pandas as pd
    import xarray as xr

    t0 = time.perf_counter()
    n, m = d["cost"].shape
    first, second = ("i", "j") if model == "transport" else ("w", "c")
    A = pd.RangeIndex(n, name=first)
    B = pd.RangeIndex(m, name=second)
    cost = xr.DataArray(d["cost"], coords=[A, B])
    mdl = linopy.Model()
    x = mdl.add_variables(lower=0, coords=[A, B], name="x")
    if model == "transport":
        mdl.add_constraints(x.sum(second) <= xr.DataArray(d["supply"], coords=[A]), name="out")
        mdl.add_constraints(x.sum(first) >= xr.DataArray(d["demand"], coords=[B]), name="into")
        mdl.add_objective((cost * x).sum())
    else:
        y = mdl.add_variables(coords=[A], name="open", binary=True)
        mdl.add_constraints(x.sum(first) == xr.DataArray(d["demand"], coords=[B]),
                            name="serve")
        mdl.add_constraints(x.sum(second) - xr.DataArray(d["capacity"], coords=[A]) * y <= 0,
                            name="capacity_ok")
        mdl.add_objective((xr.DataArray(d["fixed"], coords=[A]) * y).sum()
                          + (cost * x).sum())
    t1 = time.perf_counter()
    h = linopy.io.to_highspy(mdl)
    t2 = time.perf_counter()
    h.setOptionValue("output_flag", False)
    if model == "facility":
        h.setOptionValue("time_limit", MIP_TIME_LIMIT)
    h.run()
    t3 = time.perf_counter()
    return {"build": t1 - t0, "handoff": t2 - t1, "solve": t3 - t2, "status": _highs_status(h),
            "objective": h.getInfo().objective_function_value}


def run_pyoframe(model: str, d: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import polars as pl
    import pyoframe as pf

    t0 = time.perf_counter()
    n, m = d["cost"].shape
    first, second = ("i", "j") if model == "transport" else ("w", "c")
    A, B = np.arange(n), np.arange(m)
    pairs = pl.DataFrame({first: np.repeat(A, m), second: np.tile(B, n)})
    cost = pairs.with_columns(cost=pl.Series(d["cost"].ravel()))
    mdl = pf.Model("highs")
    mdl.params.output_flag = False
    mdl.x = pf.Variable(pairs, lb=0)
    if model == "transport":
        mdl.out = mdl.x.sum_by(first) <= pl.DataFrame({first: A, "supply": d["supply"]})
        mdl.into = mdl.x.sum_by(second) >= pl.DataFrame({second: B, "demand": d["demand"]})
        mdl.minimize = (cost * mdl.x).sum()
    else:
        mdl.params.time_limit = MIP_TIME_LIMIT
        mdl.open = pf.Variable(pl.DataFrame({first: A}), vtype=pf.VType.BINARY)
        mdl.serve = mdl.x.sum_by(second) == pl.DataFrame({second: B, "demand": d["demand"]})
        capacity = pl.DataFrame({first: A, "capacity": d["capacity"]})
        mdl.capacity_ok = mdl.x.sum_by(first) <= capacity * mdl.open
        fixed = pl.DataFrame({first: A, "fixed": d["fixed"]})
        mdl.minimize = (fixed * mdl.open).sum() + (cost * mdl.x).sum()
    t1 = time.perf_counter()
    mdl.optimize()
    t2 = time.perf_counter()
    return {"build": t1 - t0, "handoff": None, "solve": t2 - t1,
            "status": str(mdl.attr.TerminationStatus), "objective": mdl.objective.value}


def run_pyomo(model: str, d: dict[str, Any]) -> dict[str, Any]:
    import pyomo.environ as pyo
    from pyomo.contrib.appsi.solvers.highs import Highs

    t0 = time.perf_counter()
    cost = d["cost"].tolist()
    n, m = len(cost), len(cost[0])
    mdl = pyo.ConcreteModel()
    mdl.A = pyo.RangeSet(0, n - 1)
    mdl.B = pyo.RangeSet(0, m - 1)
    mdl.x = pyo.Var(mdl.A, mdl.B, domain=pyo.NonNegativeReals)
    if model == "transport":
        supply, demand = d["supply"].tolist(), d["demand"].tolist()
        mdl.out = pyo.Constraint(mdl.A, rule=lambda mm, i: pyo.quicksum(
            mm.x[i, j] for j in mm.B) <= supply[i])
        mdl.into = pyo.Constraint(mdl.B, rule=lambda mm, j: pyo.quicksum(
            mm.x[i, j] for i in mm.A) >= demand[j])
        mdl.obj = pyo.Objective(expr=pyo.quicksum(
            cost[i][j] * mdl.x[i, j] for i in mdl.A for j in mdl.B))
    else:
        fixed, capacity = d["fixed"].tolist(), d["capacity"].tolist()
        demand = d["demand"].tolist()
        mdl.open = pyo.Var(mdl.A, domain=pyo.Binary)
        mdl.serve = pyo.Constraint(mdl.B, rule=lambda mm, j: pyo.quicksum(
            mm.x[i, j] for i in mm.A) == demand[j])
        mdl.capacity_ok = pyo.Constraint(mdl.A, rule=lambda mm, i: pyo.quicksum(
            mm.x[i, j] for j in mm.B) <= capacity[i] * mm.open[i])
        mdl.obj = pyo.Objective(expr=pyo.quicksum(fixed[i] * mdl.open[i] for i in mdl.A)
                                + pyo.quicksum(cost[i][j] * mdl.x[i, j]
                                               for i in mdl.A for j in mdl.B))
    t1 = time.perf_counter()
    opt = Highs()
    opt.config.load_solution = False
    if model == "facility":
        opt.config.time_limit = MIP_TIME_LIMIT
    opt.set_instance(mdl)
    t2 = time.perf_counter()
    for flag in ("check_for_new_or_removed_constraints", "check_for_new_or_removed_vars",
                 "check_for_new_or_removed_params", "check_for_new_objective",
                 "update_constraints", "update_vars", "update_params",
                 "update_named_expressions"):
        setattr(opt.update_config, flag, False)  # solve() must not re-scan the model
    res = opt.solve(mdl)
    t3 = time.perf_counter()
    return {"build": t1 - t0, "handoff": t2 - t1, "solve": t3 - t2,
            "status": str(res.termination_condition), "objective": res.best_feasible_objective}


RUNNERS = {"raw-highspy": run_raw_highspy, "optiform": run_optiform,
           "pyoptinterface": run_pyoptinterface, "linopy": run_linopy,
           "pyoframe": run_pyoframe, "pyomo": run_pyomo}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def child(layer: str, case: str, quick: bool, out: str) -> None:
    model, d = make_data(case, quick)
    result = RUNNERS[layer](model, d)
    result["rss"] = peak_rss_mib()
    Path(out).write_text(json.dumps(result), encoding="utf-8")


# ---- the CLI path: the real `optiform solve`, with time stamps around the hand-off ---
def cli_child(model_path: str, data_path: str, milp: bool, out: str) -> None:
    """Runs the command in this process; the parent took the time before starting it."""
    stamps: dict[str, Any] = {}

    def report() -> None:
        stamps["end"] = time.time()
        stamps["rss"] = peak_rss_mib()
        Path(out).write_text(json.dumps(stamps), encoding="utf-8")

    atexit.register(report)
    from optiform.backends.highs.backend import HighsBackend

    load, run = HighsBackend.load, HighsBackend._run

    def timed_load(self: Any, problem: Any, options: Any) -> Any:
        stamps.setdefault("handoff_start", time.time())
        return load(self, problem, options)

    def timed_run(self: Any, h: Any, highspy: Any, problem: Any, deadline: Any) -> Any:
        stamps.setdefault("solve_start", time.time())
        status = run(self, h, highspy, problem, deadline)
        stamps["solve_end"] = time.time()
        stamps["status"] = _highs_status(h)
        stamps["objective"] = h.getInfo().objective_function_value
        return status

    HighsBackend.load = timed_load  # type: ignore[method-assign]
    HighsBackend._run = timed_run  # type: ignore[method-assign]
    from optiform.cli import app

    args = ["solve", model_path, "--data", data_path]
    if milp:
        args += ["--time-limit", str(MIP_TIME_LIMIT)]
    app(args, prog_name="optiform")


def write_cli_files(case: str, quick: bool, folder: Path) -> dict[str, Path]:
    """The model file and its data as JSON (dense nested lists) and as CSV files."""
    import numpy as np

    model, d = make_data(case, quick)
    text, data = optiform_text_and_data(model, d)
    base = folder / case
    base.mkdir(parents=True, exist_ok=True)
    model_path = base / "model.opt"
    model_path.write_text(text, encoding="utf-8")
    json_path = base / "data.json"
    json_path.write_text(json.dumps({k: np.asarray(v).tolist() for k, v in data.items()}),
                         encoding="utf-8")
    csv_dir = base / "csv"
    csv_dir.mkdir(exist_ok=True)
    first, second = ("I", "J") if model == "transport" else ("W", "C")
    index = {"supply": first, "demand": second, "fixed": first, "capacity": first}
    for name, value in data.items():
        arr = np.asarray(value)
        with open(csv_dir / f"{name}.csv", "w", encoding="utf-8") as fh:
            if name in (first, second):
                fh.write(name + "\n" + "\n".join(map(str, arr.tolist())) + "\n")
            elif arr.ndim == 1:
                keys = np.asarray(data[index[name]]).tolist()
                fh.write(f"{index[name]},value\n")
                fh.writelines(f"{k},{v!r}\n" for k, v in zip(keys, arr.tolist(), strict=True))
            else:
                rows, cols = np.asarray(data[first]).tolist(), np.asarray(data[second]).tolist()
                fh.write(f"{first},{second},value\n")
                for r, row in zip(rows, arr.tolist(), strict=True):
                    fh.writelines(f"{r},{c},{v!r}\n" for c, v in zip(cols, row, strict=True))
    return {"model": model_path, "json": json_path, "csv": csv_dir}


# ---- the parent --------------------------------------------------------------------
def available(layer: str) -> bool:
    return importlib.util.find_spec(REQUIRES[layer]) is not None


def measure(layer: str, case: str, quick: bool, files: dict[str, Path] | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "result.json")
        if layer.startswith("optiform-cli"):
            assert files is not None
            data = files["json" if layer.endswith("json") else "csv"]
            milp = (QUICK_CASES if quick else CASES)[case][0] == "facility"
            cmd = [sys.executable, __file__, "--cli-child", str(files["model"]), str(data),
                   "--milp" if milp else "--lp", out]
            started = time.time()
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True)
            wall = time.time() - started
            if not Path(out).exists() or "solve_end" not in (s := json.loads(
                    Path(out).read_text(encoding="utf-8"))):
                raise RuntimeError(f"{layer} {case} failed (exit {proc.returncode}):\n"
                                   f"{proc.stderr[-3000:]}")
            return {"build": s["handoff_start"] - started,
                    "handoff": s["solve_start"] - s["handoff_start"],
                    "solve": s["solve_end"] - s["solve_start"], "status": s["status"],
                    "objective": s["objective"], "rss": s["rss"],
                    "extra": {"wall": wall, "exit": proc.returncode}}
        cmd = [sys.executable, __file__, "--child", layer, case, out]
        if quick:
            cmd.append("--quick")
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        if proc.returncode != 0 or not Path(out).exists():
            raise RuntimeError(f"{layer} {case} failed (exit {proc.returncode}):\n"
                               f"{proc.stderr[-3000:]}")
        return json.loads(Path(out).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def med(key: str) -> float | None:
        values = [r[key] for r in runs if r.get(key) is not None]
        return statistics.median(values) if values else None

    out: dict[str, Any] = {k: med(k) for k in ("build", "handoff", "solve", "rss")}
    out["objective"] = runs[0]["objective"]
    out["objectives"] = [r["objective"] for r in runs]
    out["status"] = runs[0]["status"]
    extras = {k for r in runs for k in r.get("extra", {})}
    out["extra"] = {k: statistics.median([r["extra"][k] for r in runs]) for k in sorted(extras)}
    out["runs"] = runs
    return out


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = next(int(line.split()[1]) for line in
                       Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal"))
        ram = f"{mem_kib / 1024 ** 2:.1f} GiB"
    except (OSError, StopIteration):
        ram = "unknown"
    versions = []
    for pkg in ("optiform", "numpy", "highspy", "highsbox", "pyoptinterface", "linopy",
                "pyoframe", "pyomo", "polars", "xarray"):
        try:
            versions.append(f"{pkg} {importlib.metadata.version(pkg)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    try:
        rev = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(HERE), "status", "--porcelain", "--",
                                "../optiform"], capture_output=True, text=True).stdout
        rev += " (with uncommitted changes to optiform/)" if dirty.strip() else ""
    except (OSError, subprocess.CalledProcessError):
        rev = "unknown"
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": ram,
            "python": platform.python_version(), "versions": ", ".join(versions),
            "commit": rev,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def _s(x: float | None) -> str:
    if x is None:
        return "(in build)"
    return f"{x * 1000:.1f} ms" if x < 0.1 else f"{x:.2f} s"


def check_optima(case: str, results: dict[str, dict[str, Any]]) -> list[str]:
    """Every layer's every run within 1e-6 of raw highspy's (or the first layer's) optimum."""
    if not results:
        return []
    ref_layer = "raw-highspy" if "raw-highspy" in results else next(iter(results))
    ref = results[ref_layer]["objective"]
    problems = []
    for layer, r in results.items():
        if "optimal" not in r["status"].lower():
            problems.append(f"{case}: {layer} ended `{r['status']}`")
        for obj in r["objectives"]:
            if obj is None or abs(obj - ref) > 1e-6 * max(1.0, abs(ref)):
                problems.append(f"{case}: {layer} reached {obj}, {ref_layer} {ref}")
                break
    return problems


def write_markdown(path: Path, info: dict[str, str], repeats: int,
                   all_results: dict[str, dict[str, dict[str, Any]]],
                   problems: list[str], quick: bool) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python benchmarks/compare.py` on {info['date']}.",
        "",
        f"- Machine: {info['nproc']} CPUs, {info['cpu']}, {info['ram']} RAM; "
        f"Python {info['python']}",
        f"- Versions: {info['versions']}; optiform at {info['commit']}",
        f"- Load average (1 min) at the start and the end of the run: {info['load']} "
        "(other work shared the machine: compare ratios within a table rather than "
        "absolute times across runs)",
        f"- Each number is the median of {repeats} runs, each in a fresh process. "
        "Build: from data in memory (numpy arrays) to the modeller's model; hand-off: "
        "until HiGHS holds the model; solve: HiGHS `run`; RSS: the child's peak "
        "(`ru_maxrss`), data and imports included.",
        "- optiform's build is `optiform.loads` (parse) + `Model.compile()`, shown apart "
        "below each table; the LALR parser is built beforehand (once per process, its "
        "time shown below). The CLI rows count from process start: interpreter, imports, "
        "parser, reading the data file, parsing and compiling.",
        f"- MILP: HiGHS defaults (relative gap 1e-4) with a {MIP_TIME_LIMIT:g} s time "
        "limit; every layer gets the same options.",
        "",
    ]
    if problems:
        lines += ["**Optimum check FAILED:**", ""] + [f"- {p}" for p in problems] + [""]
    else:
        lines += ["Optimum check: every layer, every run, reached the same objective "
                  "(relative 1e-6).", ""]
    for case, results in all_results.items():
        if not results:
            continue
        title = CASE_TITLES.get(case, case)
        raw = results.get("raw-highspy")
        raw_total = (raw["build"] + (raw["handoff"] or 0)) if raw else None
        lines += [f"## {title}", ""]
        if not quick and case in TARGETS:
            lines += [f"Issue 7's target for optiform, build + hand-off: {_s(TARGETS[case])}.",
                      ""]
        lines += ["| layer | build | hand-off | build + hand-off | x raw | solve | peak RSS "
                  "| x raw RSS | objective |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for layer, r in results.items():
            total = r["build"] + (r["handoff"] or 0.0)
            ratio = f"{total / raw_total:.1f}x" if raw_total else ""
            rss_ratio = f"{r['rss'] / raw['rss']:.2f}x" if raw else ""
            lines.append(f"| {layer} | {_s(r['build'])} | {_s(r['handoff'])} | {_s(total)} "
                         f"| {ratio} | {_s(r['solve'])} | {r['rss']:.0f} MiB | {rss_ratio} "
                         f"| {r['objective']:.6f} |")
        lines.append("")
        details = []
        for layer, r in results.items():
            ex = r.get("extra") or {}
            if layer == "optiform" and ex:
                target = (f" (issue 7's target: {_s(TARGETS[case])})"
                          if case in TARGETS and not quick else "")
                details.append(
                    f"optiform: parse {_s(ex['parse'])} + compile {_s(ex['compile'])} = build; "
                    f"compile + hand-off {_s(ex['compile'] + (r['handoff'] or 0))}{target}; "
                    f"building the parser, once per process and not in the table: "
                    f"{_s(ex['parser_build'])}; the checker after the solve {_s(ex['check'])}")
            elif layer.startswith("optiform-cli") and ex:
                details.append(f"{layer}: whole command {_s(ex['wall'])} (exit "
                               f"{ex['exit']:g}); before the solver starts "
                               f"{_s(r['build'] + r['handoff'])}, HiGHS solve "
                               f"{_s(r['solve'])}")
        if details:
            lines += [f"- {d}" for d in details] + [""]
    lines += ["## How each layer builds the model", ""]
    lines += [f"- {layer}: {how}" for layer, how in HOW.items()]
    lines += ["", "The data are generated by `transport_data` and `facility_data` in "
              "`benchmarks/compare.py` (seeded); every layer builds the same rows and "
              "columns. pyoptinterface and pyoframe load HiGHS from `highsbox`, the others "
              "use `highspy`'s own copy, so solve times can differ by HiGHS version.", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--cases", default="", help="comma-separated: " + ",".join(CASES))
    ap.add_argument("--layers", default="", help="comma-separated: " + ",".join(LAYERS))
    ap.add_argument("-r", "--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, a smoke test")
    ap.add_argument("--out", type=Path, default=None,
                    help="Markdown file (default benchmarks/RESULTS.md; none with --quick)")
    ap.add_argument("--json", type=Path, default=None, help="also dump every run as JSON")
    args = ap.parse_args(argv)
    table = QUICK_CASES if args.quick else CASES
    cases = [c for c in args.cases.split(",") if c] or list(table)
    layers = [layer for layer in args.layers.split(",") if layer] or LAYERS
    for name in cases:
        if name not in table:
            ap.error(f"unknown case {name}")
    for layer in layers:
        if layer not in LAYERS:
            ap.error(f"unknown layer {layer}")
    out = args.out or (None if args.quick else HERE / "RESULTS.md")
    load_start = os.getloadavg()[0]
    info = machine()  # the commit and versions as the run starts
    all_results: dict[str, dict[str, dict[str, Any]]] = {}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="optiform-bench-") as tmp:
        for case in cases:
            files = None
            if any(layer.startswith("optiform-cli") for layer in layers):
                files = write_cli_files(case, args.quick, Path(tmp))
            all_results[case] = {}
            for layer in layers:
                if not available(layer):
                    print(f"{case:>9} {layer:<18} not installed, skipped", flush=True)
                    continue
                runs = [measure(layer, case, args.quick, files) for _ in range(args.repeats)]
                r = median_of(runs)
                all_results[case][layer] = r
                print(f"{case:>9} {layer:<18} build {_s(r['build']):>10}  hand-off "
                      f"{_s(r['handoff']):>10}  solve {_s(r['solve']):>9}  "
                      f"rss {r['rss']:7.0f} MiB  obj {r['objective']:.6f} {r['status']}",
                      flush=True)
            problems += check_optima(case, all_results[case])
    for p in problems:
        print("MISMATCH:", p, flush=True)
    if out is not None:
        info["load"] = f"{load_start:.2f} / {os.getloadavg()[0]:.2f}"
        write_markdown(out, info, args.repeats, all_results, problems, args.quick)
        print(f"wrote {out}")
    if args.json is not None:
        args.json.write_text(json.dumps(all_results, indent=1, default=str), encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], "--quick" in sys.argv[5:], sys.argv[4])
    elif len(sys.argv) > 1 and sys.argv[1] == "--cli-child":
        cli_child(sys.argv[2], sys.argv[3], sys.argv[4] == "--milp", sys.argv[5])
    else:
        sys.exit(main(sys.argv[1:]))
