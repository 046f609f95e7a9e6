"""Fuzzing the parser: whatever text arrives, a model or a located DiagnosticError.

Inputs: every token boundary of the examples (truncation), hypothesis mutations
of the examples (deleted, duplicated, swapped and replaced tokens, inserted
bytes, unicode, huge numbers, deep nesting, long names), random text, and a
fixed list of hostile inputs. Each input goes on through compile (and a short
solve when it compiles and is small): see `fuzzkit.check_text`.

The default run takes a few thousand inputs; `-m fuzz_long` runs the long
one (see conftest.py).
"""

from __future__ import annotations

import fuzzkit
import pytest
from fuzzkit import EXAMPLES, boundaries, check_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FAST = settings(deadline=fuzzkit.DEADLINE_MS, suppress_health_check=list(HealthCheck))
LONG = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)

# every boundary of these in the default run (the first in the quick run); of all examples
# in the long run
TRUNCATED = ["facility_location", "staffing", "transport_data"]


def _truncations(names: list[str]) -> None:
    for name in names:
        text = EXAMPLES[name]
        for cut in boundaries(text):
            check_text(text[:cut], solve=False)


def test_truncation_at_every_token_boundary() -> None:
    _truncations(TRUNCATED[:1] if fuzzkit.QUICK else TRUNCATED)


@pytest.mark.fuzz_long
def test_truncation_of_every_example_long() -> None:
    _truncations(sorted(EXAMPLES))


HOSTILE = {
    "empty": "",
    "blank": " \n\t\n  \r\n",
    "only comments": "# one\n# two\n   # three",
    "a comment without a newline": "variables\n  x  # the end",
    "only a model line": 'model m "no sections"\n',
    "variables alone": "variables\n",
    "integer too large for a float": "variables\n  x <= 1" + "0" * 400 + "\n",
    "integer of 5001 digits": "variables\n  x <= 1" + "0" * 5000 + "\n",
    "float too large": "variables\n  x <= 1e400\n",
    "float that underflows": "variables\n  x <= 1e-400\n",
    "integer member beyond int64": "sets\n  S = {99999999999999999999}\nvariables\n  x[S]\n",
    "huge range bound": "sets\n  S = 1..1e400\nvariables\n  x[S]\n",
    "1000 parentheses": "variables\n  x\nconstraints\n  c: " + "(" * 1000 + "x" + ")" * 1000
                        + " <= 1\n",
    "1000 brackets": "sets\n  S = " + "[" * 1000 + "1" + "]" * 1000 + "\nvariables\n  x\n",
    "1000 braces": "sets\n  S = " + "{" * 1000 + "1" + "}" * 1000 + "\nvariables\n  x\n",
    "1000 unary minus": "variables\n  x\nconstraints\n  c: " + "-" * 1000 + "x <= 1\n",
    "1000 nots": "sets\n  I = 1..2\nvariables\n  x[i in I : " + "not " * 1000 + "i == 1]\n",
    "1000 nested sums": "sets\n  I = 1..2\nvariables\n  x\nobjective\n  minimize o: "
                        + "sum(i in I) " * 1000 + "x\n",
    "1000 nested ifs": "parameters\n  p = " + "if 1 then (" * 1000 + "1" + ") else 0" * 1000
                       + "\nvariables\n  x\n",
    "1000 powers": "parameters\n  p = " + "^".join(["1"] * 1000) + "\nvariables\n  x\n",
    "5000 written-out terms": "variables\n  x\nconstraints\n  c: " + " + ".join(["x"] * 5000)
                              + " <= 1\n",
    "1000 unclosed parentheses": "variables\n  x\nconstraints\n  c: " + "(" * 1000,
    "1000 stray closers": ")" * 1000,
    "name of 100,000 characters": "variables\n  " + "x" * 100_000 + "\n",
    "long line of members": "sets\n  S = {" + ", ".join(f"m{i}" for i in range(5_000))
                            + "}\nvariables\n  x[S]\n",
    "many declarations": "variables\n" + "".join(f"  x{i} >= 0\n" for i in range(3000)),
    "byte order mark": "\ufeffvariables\n  x\n",
    "NUL byte": "variables\n  x\x00\n",
    "zero-width space": "variables\n  x\u200b\n",
    "right-to-left override": "variables\n  \u202ex\n",
    "unicode name": "variables\n  größe\n",
    "emoji in a string": 'sets\n  S = {"🙂"}\nvariables\n  x[S]\n',
    "CRLF line ends": "variables\r\n  x >= 0\r\nconstraints\r\n  c: x <= 1\r\n",
    "lone CR line ends": "variables\r  x >= 0\rconstraints\r  c: x <= 1\r",
    "lone CR after a comment": "variables # note\r  x >= 0\rconstraints\r  c: y <= 1\r",
    "terminal escapes in strings": 'model "\x1b]0;title\x07"\nsets\n  S = {"\x1b[2J", "\x9b"}'
                                   "\nvariables\n  x[S]\nconstraints\n  c: y >= 1\n",
    "markup and emoji codes": 'sets\n  S = {":x:", "[bold]b", "[/]"}\nvariables\n  x[S]\n'
                              'constraints\n  c: x[":x:"] + y >= 1 # [red]:x:\n',
    "bidi override in a comment": "variables\n  x # \u202e}\u2066\nconstraints\n  c: y >= 1\n",
    "product of sets past the size limit": "sets\n  I = 1..1000\n  P = I*I*I\nvariables\n"
                                           "  x\n",
    "3000 unknown names": "variables\n  x\nconstraints\n" + "".join(
        f"  c{i}: u{i} >= 1\n" for i in range(3000)),
    "model past the size limit": "variables\n  x\n# " + "a" * (1 << 20) + "\n",
    "unterminated string": 'model m "no end\nvariables\n  x\n',
    "single quotes": "sets\n  S = {'a'}\nvariables\n  x\n",
    "keywords only": " ".join(fuzzkit.KEYWORDS),
    "every punctuation mark": "".join(fuzzkit.PUNCT) * 10,
    "section keywords twice": "variables\nvariables\nsets\nsets\n",
    "a set of itself": "sets\n  S = S\nvariables\n  x\n",
    # issue 14: values solvers read as infinite, and a division by a variable that may be 0
    "bound of 1e21": "variables\n  x in [0, 1e21]\nobjective\n  maximize o: x\n",
    "right-hand side of 1e20": "variables\n  x >= 0\nobjective\n  minimize o: x\n"
                               "constraints\n  big: x >= 1e20\n",
    "coefficient of 1e21": "variables\n  x in [0, 1]\n  y in [0, 1]\nconstraints\n"
                           "  c: 1e21 * x + y <= 5\n",
    "quadratic coefficient of 1e22": "variables\n  x in [0, 1]\n  y in [0, 1]\nobjective\n"
                                     "  maximize o: 1e22 * x * y\n",
    "right-hand side of -1e300 from a parameter": "parameters\n  p = -1e300\nvariables\n"
                                                  "  x\nconstraints\n  c: x >= p\n",
    "division by a variable that may be 0": "variables\n  x in [-1, 1]\nobjective\n"
                                            "  minimize o: 1 / x\n",
    "division by an indexed variable at 0": "variables\n  x[i in 1..3] >= 0\nconstraints\n"
                                            "  c[i in 1..3]: 1 / x[i] <= 2\n",
    "empty set everywhere": "sets\n  E = {}\nparameters\n  p[E] = []\nvariables\n  x[E]\n"
                            "objective\n  minimize o: sum(e in E) x[e]\n"
                            "constraints\n  c[e in E]: x[e] >= 1\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_inputs(name: str) -> None:
    check_text(HOSTILE[name], fmt=True)


@settings(FAST, max_examples=fuzzkit.examples(400))
@given(fuzzkit.mutants())
def test_mutated_examples(text: str) -> None:
    check_text(text, fmt=True)


@settings(FAST, max_examples=fuzzkit.examples(600))
@given(fuzzkit.random_text())
def test_random_text(text: str) -> None:
    check_text(text, fmt=True)


@settings(FAST, max_examples=fuzzkit.examples(100))
@given(st.sampled_from(sorted(EXAMPLES)), fuzzkit.special_strategy(), st.data())
def test_hostile_fragment_anywhere_in_an_example(name: str, fragment: str,
                                                 data: st.DataObject) -> None:
    text = EXAMPLES[name]
    at = data.draw(st.sampled_from(boundaries(text)))
    check_text(text[:at] + fragment + text[at:], fmt=True)


@pytest.mark.fuzz_long
@settings(LONG, max_examples=fuzzkit.long_share(0.30))
@given(fuzzkit.mutants())
def test_mutated_examples_long(text: str) -> None:
    check_text(text, fmt=True)


@pytest.mark.fuzz_long
@settings(LONG, max_examples=fuzzkit.long_share(0.15))
@given(fuzzkit.random_text())
def test_random_text_long(text: str) -> None:
    check_text(text, fmt=True)


@pytest.mark.fuzz_long
@settings(LONG, max_examples=fuzzkit.long_share(0.05))
@given(st.sampled_from(sorted(EXAMPLES)), fuzzkit.special_strategy(), st.data())
def test_hostile_fragment_anywhere_long(name: str, fragment: str, data: st.DataObject) -> None:
    text = EXAMPLES[name]
    at = data.draw(st.sampled_from(boundaries(text)))
    check_text(text[:at] + fragment + text[at:], fmt=True)
