"""Issue 13's targets: answers and data at scale, against raw highspy's whole run.

On compare.py's transportation LP (its model text and `transport_data`,
n x n, 1,000 x 1,000 = 1M variables by default), each in a fresh process:

- `raw`: compare.py's raw-highspy layer: numpy CSR arrays, `passModel`, `run`;
- `cli-json`: `optiform solve model.opt --data data.json --json > answer.json`;
- `cli-parquet`: `optiform solve ... --output DIR --format parquet`;
- `frame`: `Result.frame("x")` of the n x n values against HiGHS's solve time;
- `series` and `json-data`: a 1M-entry pandas Series (MultiIndex) against the
  same costs from the JSON file, from the data to the point HiGHS holds the model.

Times are whole-process wall clocks (interpreter start to exit) for the first
three, and their CPU seconds (user + system: on a shared machine the steadier
measure, since a wall clock there counts other work's time); peak RSS is
each child's `ru_maxrss` (from `os.wait4`). The optima of raw, the JSON
answer and the parquet run's summary.json must agree (1e-6).

    python benchmarks/frames.py                 # 1,000 x 1,000, writes its RESULTS.md section
    python benchmarks/frames.py --size 300      # smaller, same tables
    python benchmarks/frames.py --size 30 -r 1 --no-write   # a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import compare  # noqa: E402  (the transport model and data, shared)

BEGIN, END = "<!-- frames.py: begin -->", "<!-- frames.py: end -->"


def _data(n: int) -> tuple[str, dict[str, Any]]:
    return compare.optiform_text_and_data("transport", compare.transport_data(n, n))


def child(kind: str, n: int, folder: Path, out: Path) -> None:
    """One measurement inside this process; writes its numbers to `out`."""
    result: dict[str, Any] = {}
    if kind == "raw":
        result = compare.run_raw_highspy("transport", compare.transport_data(n, n))
    elif kind == "frame":
        import optiform

        text, data = _data(n)
        solved = optiform.loads(text, data=data).solve("highs")
        t0 = time.perf_counter()
        import pandas  # noqa: F401  (its import is timed apart: once per process)

        t1 = time.perf_counter()
        frame = solved.frame("x")
        t2 = time.perf_counter()
        assert len(frame) == n * n
        result = {"solve": solved.timings["solve"], "pandas_import": t1 - t0,
                  "frame": t2 - t1, "objective": solved.objective}
    else:  # series, json-data: data -> HiGHS holds the model
        import optiform
        from optiform.backends import SolveOptions
        from optiform.backends.highs.backend import HighsBackend

        optiform.loads("variables\n  v\n")  # the LALR parser, built once per process
        text, data = _data(n)
        if kind == "series":
            import numpy as np
            import pandas as pd

            index = pd.MultiIndex.from_product([np.arange(1, n + 1)] * 2, names=["I", "J"])
            data["cost"] = pd.Series(data["cost"].ravel(), index=index)
            t0 = time.perf_counter()
            model = optiform.loads(text, data=data)
        else:
            t0 = time.perf_counter()
            model = optiform.load(folder / "model.opt", folder / "data.json")
        HighsBackend().load(model.compile(), SolveOptions())
        result = {"to_highs": time.perf_counter() - t0}
    out.write_text(json.dumps(result), encoding="utf-8")


def run(cmd: list[str], stdout: Any = subprocess.DEVNULL) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MiB) and CPU seconds (user + system) of one child."""
    # Python's bytecode cache on, as an installed package has it: a machine that sets
    # PYTHONDONTWRITEBYTECODE compiles every module of every run again (0.13 s here)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {code}:\n{stderr[-3000:]}")
    return wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each number's median over the repeats (the machine is shared: one run is noise)."""
    import statistics

    return {k: statistics.median(r[k] for r in runs) if isinstance(v, (int, float)) else v
            for k, v in runs[0].items()}


def measure(n: int, tmp: Path) -> dict[str, Any]:
    files = compare.write_cli_files("lp1m", False, tmp) if n == 1000 else _files(n, tmp)
    folder = files["model"].parent
    me = [sys.executable, __file__]
    res: dict[str, Any] = {}
    for kind in ("raw", "frame", "series", "json-data"):
        out = tmp / f"{kind}.json"
        wall, rss, cpu = run([*me, "--child", kind, str(n), str(folder), str(out)])
        res[kind] = {**json.loads(out.read_text()), "wall": wall, "rss": rss, "cpu": cpu}
    cli = [sys.executable, "-m", "optiform", "solve", str(files["model"]), "--data",
           str(files["json"])]
    answer = tmp / "answer.json"
    with open(answer, "wb") as fh:
        wall, rss, cpu = run([*cli, "--json"], stdout=fh)
    res["cli-json"] = {"wall": wall, "rss": rss, "cpu": cpu,
                       "objective": json.loads(answer.read_text())["objective"],
                       "bytes": answer.stat().st_size}
    outdir = tmp / "answer"
    wall, rss, cpu = run([*cli, "--output", str(outdir), "--format", "parquet"])
    summary = json.loads((outdir / "summary.json").read_text())
    res["cli-parquet"] = {"wall": wall, "rss": rss, "cpu": cpu,
                          "objective": summary["objective"],
                          "bytes": (outdir / "x.parquet").stat().st_size}
    return res


def _files(n: int, tmp: Path) -> dict[str, Path]:
    """compare.py's CLI files at another size (its cases are fixed sizes)."""
    compare.CASES["frames"] = ("transport", (n, n))
    return compare.write_cli_files("frames", False, tmp)


def check(res: dict[str, Any]) -> list[str]:
    best = res["raw"]["objective"]
    return [f"{k}: objective {res[k]['objective']} against raw's {best}"
            for k in ("cli-json", "cli-parquet", "frame")
            if abs(res[k]["objective"] - best) > 1e-6 * max(1.0, abs(best))]


def table(n: int, res: dict[str, Any], info: dict[str, str]) -> str:
    raw = res["raw"]
    ratio = lambda k, key="wall": res[k][key] / raw[key]  # noqa: E731
    frame_share = res["frame"]["frame"] / res["frame"]["solve"]
    series_ratio = res["series"]["to_highs"] / res["json-data"]["to_highs"]
    rows = [
        ("whole CLI run, `--json` to a file: wall", f"{res['cli-json']['wall']:.2f} s",
         f"{ratio('cli-json'):.2f} x raw ({raw['wall']:.2f} s)", "<= 1.3",
         f"{res['cli-json']['bytes'] / 1e6:.0f} MB of JSON"),
        ("the same: CPU (user + system)", f"{res['cli-json']['cpu']:.2f} s",
         f"{ratio('cli-json', 'cpu'):.2f} x raw ({raw['cpu']:.2f} s)", "<= 1.3", ""),
        ("whole CLI run, `--output DIR --format parquet`: wall",
         f"{res['cli-parquet']['wall']:.2f} s", f"{ratio('cli-parquet'):.2f} x raw", "<= 1.3",
         f"{res['cli-parquet']['bytes'] / 1e6:.1f} MB x.parquet"),
        ("the same: CPU", f"{res['cli-parquet']['cpu']:.2f} s",
         f"{ratio('cli-parquet', 'cpu'):.2f} x raw", "<= 1.3", ""),
        ("`Result.frame` of the values", f"{res['frame']['frame']:.3f} s",
         f"{100 * frame_share:.1f}% of HiGHS's solve ({res['frame']['solve']:.2f} s)",
         "<= 10%", f"pandas import apart: {res['frame']['pandas_import']:.2f} s"),
        ("peak RSS, CLI `--json`", f"{res['cli-json']['rss']:.0f} MiB",
         f"{ratio('cli-json', 'rss'):.2f} x raw ({raw['rss']:.0f} MiB)", "<= 1.3", ""),
        ("peak RSS, CLI parquet", f"{res['cli-parquet']['rss']:.0f} MiB",
         f"{ratio('cli-parquet', 'rss'):.2f} x raw", "<= 1.3", ""),
        ("data to HiGHS: pandas Series", f"{res['series']['to_highs']:.2f} s",
         f"{series_ratio:.2f} x the JSON file's ({res['json-data']['to_highs']:.2f} s)",
         "<= 1.0", ""),
    ]
    lines = [BEGIN, f"## Answers and data at scale (benchmarks/frames.py, issue 13), "
             f"{n:,} x {n:,} transportation LP ({n * n:,} variables)", "",
             f"Written by `python benchmarks/frames.py --size {n}` on {info['date']}: "
             f"{info['nproc']} CPUs, {info['cpu']}, {info['ram']} RAM, load average "
             f"{info['load']}; {info['versions']}; optiform at {info['commit']}. One fresh "
             f"process per measure, the median of {info['repeats']} repeats; raw is "
             "compare.py's raw-highspy layer run as a whole process (interpreter, "
             "imports, data, build, solve). Every process runs with Python's bytecode "
             "cache, as an installed package does.", "",
             "| measure | optiform | against | target | note |", "|---|---|---|---|---|"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    lines += ["", f"Same optimum everywhere: {raw['objective']:.10g}.", END]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> Path:
    """Replace this script's section of RESULTS.md (compare.py rewrites the rest)."""
    path = HERE / "RESULTS.md"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + text.rstrip("\n") + rest.split(END, 1)[1]
    else:
        first, _, body = old.partition("\n")
        new = f"{first}\n\n{text}{body}"
    path.write_text(new, encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        child(argv[1], int(argv[2]), Path(argv[3]), Path(argv[4]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1000, help="n of the n x n LP (1000)")
    ap.add_argument("--repeats", "-r", type=int, default=3, help="median of (3)")
    ap.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    args = ap.parse_args(argv)
    load = f"{os.getloadavg()[0]:.1f}"
    runs = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="frames-bench-") as tmp:
            runs.append(measure(args.size, Path(tmp)))
    res = {k: median([r[k] for r in runs]) for k in runs[0]}
    info = {**compare.machine(), "load": f"{load} to {os.getloadavg()[0]:.1f}",
            "repeats": str(args.repeats)}
    text = table(args.size, res, info)
    print(text)
    problems = check(res)
    if not args.no_write:
        print(f"wrote {write_section(text)}")
    for p in problems:
        print("DIFFERENT OPTIMUM:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
