"""`optiform show`: the model as mathematics, in Unicode text, LaTeX and Markdown.

The LaTeX of every example is checked for well-formedness: braces and
`\\left`/`\\right` pairs balance, environments open and close in order, and
each formula line is read by matplotlib's mathtext parser, a TeX-free check
that it is LaTeX a renderer accepts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import optiform
from optiform.cli import app
from optiform.dsl.parser import parse, parse_file
from optiform.dsl.render import render

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MODELS = sorted(EXAMPLES.glob("*.opt"))
from matplotlib import mathtext  # noqa: E402


def _formulas(latex: str) -> list[str]:
    """The formula of each line inside the align* environments, alignment marks removed."""
    out = []
    for line in latex.splitlines():
        if line.startswith(("%", r"\begin", r"\end")) or not line.strip():
            continue
        out.append(line.strip().removesuffix(r"\\").replace("&", " "))
    return out


def _balanced(text: str) -> bool:
    depth = 0
    for match in re.finditer(r"\\[{}]|[{}]", text):
        token = match.group()
        if token in ("{", "}"):
            depth += 1 if token == "{" else -1
            if depth < 0:
                return False
    return depth == 0


# mathtext lays each formula out with real fonts (about 0.1 s a line): a few examples
# in the quick run, every one in the full run
QUICK = {"facility_location", "min_cost_flow", "haverly", "chemical_equilibrium"}
MATHTEXT_CASES = [pytest.param(m, id=m.stem, marks=() if m.stem in QUICK else pytest.mark.slow)
                  for m in MODELS]


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_latex_of_every_example_is_well_formed(model: Path) -> None:
    latex = render(parse_file(model), "latex")
    environments = re.findall(r"\\(begin|end)\{([^}]*)\}", latex)
    stack: list[str] = []
    for kind, name in environments:
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name, environments
    assert not stack and environments
    formulas = _formulas(latex)
    assert formulas
    for formula in formulas:
        assert _balanced(formula), formula
        assert formula.count(r"\left") == formula.count(r"\right"), formula


@pytest.mark.parametrize("model", MATHTEXT_CASES)
def test_latex_of_every_example_is_read_by_mathtext(model: Path) -> None:
    parser = mathtext.MathTextParser("path")
    for formula in _formulas(render(parse_file(model), "latex")):
        parser.parse(f"${formula}$")  # raises on anything mathtext cannot read


@pytest.mark.parametrize("model", MATHTEXT_CASES)
def test_markdown_math_of_every_example_is_read_by_mathtext(model: Path) -> None:
    markdown = render(parse_file(model), "markdown")
    parser = mathtext.MathTextParser("path")
    blocks = re.findall(r"\$\$\n(.*?)\n\$\$", markdown, re.S)
    inline = re.findall(r"(?<!\$)\$([^$\n]+)\$(?!\$)", markdown)
    assert blocks and inline
    for formula in blocks + inline:
        parser.parse(f"${formula}$")


def test_text_shows_the_five_elements_of_facility_location() -> None:
    text = render(parse_file(EXAMPLES / "facility_location.opt"), "text")
    for line in [
        "facility_location — Open warehouses and serve customers at least cost",
        "  W = {north, south, east}    (candidate warehouses)",
        "  C = {1, …, 5}    (customers)",
        "  fixed[w]    = {north: 1000, south: 1200, east: 900}    ∀ w ∈ W",
        "  cost[w, c]  = 3 × 5 values from 4 to 9    ∀ w ∈ W, c ∈ C",
        "  open[w] ∈ {0, 1}    ∀ w ∈ W    (warehouse is opened)",
        "  ship[w, c] ≥ 0    ∀ w ∈ W, c ∈ C    (units shipped)",
        "  minimize total_cost:  Σ_{w ∈ W} fixed[w]·open[w] + "
        "Σ_{w ∈ W, c ∈ C} cost[w, c]·ship[w, c]",
        "  serve:        Σ_{w ∈ W} ship[w, c] = demand[c]    ∀ c ∈ C",
        "  capacity_ok:  Σ_{c ∈ C} ship[w, c] ≤ capacity[w]·open[w]    ∀ w ∈ W",
    ]:
        assert line in text.splitlines(), line
    sections = [s for s in ("Sets", "Parameters", "Variables", "Objective", "Constraints")]
    positions = [text.splitlines().index(s) for s in sections]
    assert positions == sorted(positions)


def test_latex_of_facility_location() -> None:
    latex = render(parse_file(EXAMPLES / "facility_location.opt"), "latex")
    assert (r"\min & \sum_{w \in W} \mathit{fixed}_{w} \, \mathit{open}_{w} + "
            r"\sum_{w \in W, c \in C} \mathit{cost}_{w,c} \, \mathit{ship}_{w,c}") in latex
    assert (r"\sum_{c \in C} \mathit{ship}_{w,c} \leq \mathit{capacity}_{w} \, "
            r"\mathit{open}_{w}\quad \forall\, w \in W") in latex
    assert r"W = \{\mathrm{north}, \mathrm{south}, \mathrm{east}\}" in latex  # members upright
    assert r"\mathit{open}_{w} \in \{0, 1\}" in latex


def _formula(section: str, text: str, style: str) -> str:
    """The formula `show` writes for `text` as objective `o` or constraint `c`."""
    model = parse(f"variables\n  x\n  y\n  z\n{section}\n  "
                  f"{'minimize o' if section == 'objective' else 'c'}: {text}\n")
    name = "o" if section == "objective" else "c"
    line = next(li for li in render(model, style).splitlines()
                if f"{name}:  " in li or f"({name})" in li)
    return line.split(f"{name}:  ")[-1] if style == "text" else \
        line.split("&", 1)[1].rsplit(r"\qquad", 1)[0].strip()


def _expr(text: str, style: str) -> str:
    return _formula("objective", text, style)


@pytest.mark.parametrize(("source", "text", "latex"), [
    ("(x + y) * z", "(x + y)·z", r"\left(x + y\right) \, z"),
    ("x / (y + z)", "x / (y + z)", r"\frac{x}{y + z}"),
    ("-x^2 + 2 * x", "-x² + 2·x", r"- x^{2} + 2 \, x"),
    ("x^(y + 1)", "x^(y + 1)", r"x^{y + 1}"),
    ("2 * 3 * x", "2·3·x", r"2 \cdot 3 \, x"),  # as written: no 6
    ("x - (y - z)", "x - (y - z)", r"x - \left(y - z\right)"),
    ("x - -y", "x - (-y)", r"x - \left(- y\right)"),
    ("x / 2 * y", "x / 2·y", r"\frac{x}{2} \, y"),
    ("sqrt(x) + abs(y) + exp(z)", "√x + |y| + exp(z)",
     r"\sqrt{x} + \left|{y}\right| + e^{z}"),
    ("log(x) + floor(y) + ceil(z)", "log(x) + ⌊y⌋ + ⌈z⌉",
     r"\log{\left(x \right)} + \left\lfloor{y}\right\rfloor + \left\lceil{z}\right\rceil"),
    ("min(x, y) + 2.5e-7", "min(x, y) + 2.5·10⁻⁷",
     r"\min{\left(x,y \right)} + 2.5 \cdot 10^{-7}"),
    ("max(y, x) + 1000.0", "max(y, x) + 1000", r"\max{\left(y,x \right)} + 1000"),
    ("x^0.5 + (x + y)^2", "x^0.5 + (x + y)²", r"x^{0.5} + \left(x + y\right)^{2}"),
    ("x mod 3 + y", "x mod 3 + y", r"\left(x \;\mathrm{mod}\; 3\right) + y"),
    ("if x >= 1 then x else 2 * y", "(x if x ≥ 1, else 2·y)",
     r"\left(x\ \mathrm{if}\ x \geq 1,\ \mathrm{else}\ 2 \, y\right)"),
    ("2 * sum(i in 1..3) x + (sum(i in 1..3) x) * 3",
     "2·Σ_{i ∈ {1, …, 3}} x + (Σ_{i ∈ {1, …, 3}} x)·3",
     r"2 \, \sum_{i \in \{1, \ldots, 3\}} x + \left(\sum_{i \in \{1, \ldots, 3\}} x\right) \, 3"),
    ("-sum(i in 1..3 : i mod 2 == 1) x", "-Σ_{i ∈ {1, …, 3} : i mod 2 = 1} x",
     r"- \sum_{i \in \{1, \ldots, 3\} : i \;\mathrm{mod}\; 2 = 1} x"),
    ("pwl(x, [0, 1, 2], [0, 5, 6])", "pwl(x; (0, 0), (1, 5), (2, 6))",
     r"\operatorname{pwl}\left(x;\ (0, 0), (1, 5), (2, 6)\right)"),
])
def test_precedence_and_functions(source: str, text: str, latex: str) -> None:
    assert _expr(source, "text") == text
    assert _expr(source, "latex") == latex
    mathtext.MathTextParser("path").parse(f"${latex}$")


@pytest.mark.parametrize(("source", "text", "latex"), [
    # what would change the meaning without its brackets
    ("(x * sum(i in 1..3) y) / z", "(x·Σ_{i ∈ {1, …, 3}} y) / z",
     r"\frac{x \, \sum_{i \in \{1, \ldots, 3\}} y}{z}"),
    ("(sum(i in 1..3) x) mod 3", "(Σ_{i ∈ {1, …, 3}} x) mod 3",
     r"\left(\sum_{i \in \{1, \ldots, 3\}} x\right) \;\mathrm{mod}\; 3"),
    ("max(i in 1..3) (x * sum(j in 1..3) y)", "max_{i ∈ {1, …, 3}} (x·Σ_{j ∈ {1, …, 3}} y)",
     r"\max_{i \in \{1, \ldots, 3\}} \left(x \, \sum_{j \in \{1, \ldots, 3\}} y\right)"),
    ("x * (-sum(i in 1..3) y)", "x·(-Σ_{i ∈ {1, …, 3}} y)",
     r"x \, \left(- \sum_{i \in \{1, \ldots, 3\}} y\right)"),
    ("-(x mod 3)", "-(x mod 3)", r"- \left(x \;\mathrm{mod}\; 3\right)"),
    ("(x mod 3) * y", "(x mod 3)·y", r"\left(x \;\mathrm{mod}\; 3\right) \, y"),
    ("x / y / z", "x / y / z", r"\frac{\frac{x}{y}}{z}"),
    ("(x <= 1) + y", "(x ≤ 1) + y", r"\left(x \leq 1\right) + y"),
    ("(x == y) * z", "(x = y)·z", r"\left(x = y\right) \, z"),
])
def test_brackets_that_keep_the_meaning(source: str, text: str, latex: str) -> None:
    assert _expr(source, "text") == text
    assert _expr(source, "latex") == latex
    mathtext.MathTextParser("path").parse(f"${latex}$")


def _constraint(text: str, style: str) -> str:
    return _formula("constraints", text, style)


@pytest.mark.parametrize(("source", "text", "latex"), [
    ("0 <= x + y <= 4", "0 ≤ x + y ≤ 4", r"0 \leq x + y \leq 4"),
    ("x != y", "x ≠ y", r"x \neq y"),
    ("x >= 1 ==> y <= 2", "x ≥ 1 ⇒ y ≤ 2", r"x \geq 1 \Rightarrow y \leq 2"),
    ("y <= 1 or x >= 3 and y >= 2", "y ≤ 1 ∨ x ≥ 3 ∧ y ≥ 2",
     r"y \leq 1 \vee x \geq 3 \wedge y \geq 2"),
    ("(y <= 1 or x >= 3) and y >= 2", "(y ≤ 1 ∨ x ≥ 3) ∧ y ≥ 2",  # the order as written
     r"\left(y \leq 1 \vee x \geq 3\right) \wedge y \geq 2"),
    ("not x >= 2", "¬ x ≥ 2", r"\neg x \geq 2"),
])
def test_relations_and_logic(source: str, text: str, latex: str) -> None:
    assert _constraint(source, "text") == text
    assert _constraint(source, "latex") == latex
    mathtext.MathTextParser("path").parse(f"${latex}$")


def test_large_literals_are_summarised_and_small_ones_shown() -> None:
    values = ", ".join(str(i) for i in range(1, 101))
    model = parse(f"sets\n  I = 1..100\n  S = {{a, b, c, d, e, f, g, h, i, j}}\nparameters\n"
                  f"  w[I] = [{values}]\n  s[S] = {{a: 1, b: 2}} default 0\n"
                  "variables\n  x[I] >= 0\n")
    text = render(model, "text")
    assert "w[i]  = 100 values from 1 to 100    ∀ i ∈ I" in text
    assert "S = {a, b, c, …, j}" in text
    assert "s[s2] = {a: 1, b: 2}, default 0    ∀ s2 ∈ S" in text


def test_filters_ranges_and_tuple_binders() -> None:
    model = parse("""\
sets
  T = 1..5
  ARCS within T * T = {(1, 2), (2, 3)}
variables
  x[(i, j) in ARCS] in [0, 4]
  n integer in [0, 3]
constraints
  lag[t in T : t > 1]: sum(s in 1..t - 1) n <= t
  out[i in T]: sum((a, b) in ARCS : a == i) x[a, b] <= 2
""")
    text = render(model, "text")
    assert "ARCS = {(1, 2), (2, 3)} ⊆ T × T" in text
    assert "0 ≤ x[i, j] ≤ 4    ∀ (i, j) ∈ ARCS" in text
    assert "n ∈ ℤ, 0 ≤ n ≤ 3" in text
    assert "lag:  Σ_{s ∈ {1, …, t - 1}} n ≤ t    ∀ t ∈ T : t > 1" in text
    assert "Σ_{(a, b) ∈ ARCS : a = i} x[a, b] ≤ 2    ∀ i ∈ T" in text
    latex = render(model, "latex")
    assert r"\forall\, t \in T \mid t > 1" in latex


def test_an_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="latex"):
        render(parse("variables\n  x\n"), "html")


def test_cli_show_prints_each_style() -> None:
    runner = CliRunner()
    model = str(EXAMPLES / "hs071.opt")
    text = runner.invoke(app, ["show", model])
    assert text.exit_code == 0 and "minimize f:" in text.stdout
    assert "product:  Π_{i ∈ I} x[i] ≥ 25" in text.stdout
    latex = runner.invoke(app, ["show", model, "--latex"])
    assert latex.exit_code == 0 and r"\prod_{i \in I} x_{i} \geq 25" in latex.stdout
    markdown = runner.invoke(app, ["show", model, "--markdown"])
    assert markdown.exit_code == 0 and markdown.stdout.startswith("## hs071")


def test_show_with_data_says_what_the_data_gave() -> None:
    runner = CliRunner()
    model, data = str(EXAMPLES / "transport_data.opt"), str(EXAMPLES / "transport_data.data.json")
    bare = runner.invoke(app, ["show", model]).stdout
    assert "PLANTS = given by the data" in bare
    text = runner.invoke(app, ["show", model, "--data", data])
    assert text.exit_code == 0, text.output
    assert "PLANTS = from the data: 3 members: hamburg, munich, lyon" in text.stdout
    assert "ROUTES = from the data: 11 members: (hamburg, 101), " in text.stdout
    assert "and 3 more" in text.stdout
    assert "lane_cap   = from the data: 75" in text.stdout
    assert "cost[p, s] = from the data: 15 values in [3, 9]" in text.stdout
    latex = runner.invoke(app, ["show", model, "--data", data, "--latex"]).stdout
    parser = mathtext.MathTextParser("path")
    for formula in _formulas(latex):
        parser.parse(f"${formula}$")
    wrong = runner.invoke(app, ["show", model, "--data", str(EXAMPLES / "diet.opt")])
    assert wrong.exit_code == 1 and "Traceback" not in wrong.output


def test_a_weighted_sum_shows_the_sense_it_is_solved_in() -> None:
    # it read `weighted: 1·a + 2·b` where the solve maximises a - 2·b
    text = ("variables\n  x in [0, 4]\n  y in [0, 3]\nobjective\n"
            "  maximize a: x + y\n  minimize b: y\n  weights: a = 1, b = 2\n")
    model = parse(text)
    assert "  weighted: maximize 1·a - 2·b" in render(model, "text").splitlines()
    assert r"\text{weighted: maximize }1 \, a - 2 \, b" in render(model, "latex")
    result = optiform.loads(text).solve()
    assert (result.values["x"], result.values["y"]) == (4, 0)  # x - y, not x + 3·y
