"""The prompt shows the whole language: docs/LANGUAGE.md's constructs, each with an example.

The rule (stated at the top of docs/LANGUAGE.md): every `##`/`###` heading of
the reference names a construct, except the few about the page itself listed
in NOT_CONSTRUCTS; the prompt's reference (prompts/language.md) has a `###`
heading of the same words for each. Every reserved word of the grammar and
every built-in function appears there too, and each example parses in its
section; the whole models the system prompt shows compile and solve.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import optiform
from optiform.agents.prompt import system_prompt, template
from optiform.compiler.resolve import FUNCTIONS
from optiform.dsl.parser import KEYWORDS, grammar_text, parse

LANGUAGE = Path(__file__).resolve().parents[2] / "docs" / "LANGUAGE.md"
NOT_CONSTRUCTS = {"A whole model", "Pareto fronts", "Precise rules",
                  "What the compiler guarantees", "Decisions where the design page was silent"}
SECTIONS = ("sets", "parameters", "variables", "objective", "constraints")


def _headings(text: str, levels: str = "#{2,3}") -> list[str]:
    return [m.group(1).strip() for m in re.finditer(rf"^{levels} (.+)$", _uncommented(text),
                                                    re.MULTILINE)]


def _uncommented(text: str) -> str:
    """Without HTML comments and fenced blocks (a `#` comment line is not a heading)."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    return re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)


def _blocks(text: str) -> dict[str, list[str]]:
    """The fenced optiform blocks under each `###` heading of the prompt's reference."""
    return {heading: [block for _, block in blocks]
            for heading, blocks in _tagged_blocks(text).items()}


def _tagged_blocks(text: str) -> dict[str, list[tuple[str, str]]]:
    """Each block with the section its fence names (```optiform constraints), or ""."""
    out: dict[str, list[tuple[str, str]]] = {}
    for part in re.split(r"^### ", text, flags=re.MULTILINE)[1:]:
        heading, _, body = part.partition("\n")
        out[heading.strip()] = re.findall(r"^```optiform ?(\w*)\n(.*?)^```", body,
                                          re.DOTALL | re.MULTILINE)
    return out


REFERENCE = template("language").template


def test_every_construct_of_the_reference_is_in_the_prompt() -> None:
    documented = [h for h in _headings(LANGUAGE.read_text(encoding="utf-8"))
                  if h not in NOT_CONSTRUCTS and h != "The optiform language"]
    shown = {h.lower() for h in _headings(REFERENCE, "###")}
    missing = [h for h in documented if h.lower() not in shown]
    assert not missing, (f"docs/LANGUAGE.md documents {missing}, which "
                         "optiform/agents/prompts/language.md does not show")
    assert {"sets", "parameters", "variables", "objective", "constraints"} <= shown
    for part in re.split(r"^### ", REFERENCE, flags=re.MULTILINE)[1:]:
        assert "`" in part, part.splitlines()[0]  # an example, in a block or in a line


def test_the_rule_catches_a_new_construct() -> None:
    page = LANGUAGE.read_text(encoding="utf-8") + "\n### Implication\n```\nc: b => x <= 3\n```\n"
    assert "Implication" in _headings(page)
    assert "implication" not in {h.lower() for h in _headings(REFERENCE, "###")}


def test_every_reserved_word_and_function_is_shown() -> None:
    words = set(KEYWORDS) | set(re.findall(r'"([a-z]+)"', grammar_text()))
    code = " ".join(re.findall(r"`[^`]+`", _uncommented(REFERENCE))) + " ".join(
        b for blocks in _blocks(REFERENCE).values() for b in blocks)
    assert not [w for w in sorted(words) if not re.search(rf"\b{w}\b", code)]
    assert not [f for f in sorted(FUNCTIONS) if f"{f}(" not in code]


def _section_of(heading: str) -> str | None:
    """The model section a heading's examples belong to: its own, or its parent's in the
    reference (`### Ordered sets` under `## Expressions`, which constraints show)."""
    parent: dict[str, str] = {}
    current = ""
    for m in re.finditer(r"^(#{2,3}) (.+)$", _uncommented(LANGUAGE.read_text(encoding="utf-8")),
                         re.MULTILINE):
        level, name = m.group(1), m.group(2).strip().lower()
        if level == "##":
            current = name
        else:
            parent[name] = current
    name = heading.lower()
    while name not in SECTIONS and name in parent:
        name = parent[name]
    return name if name in SECTIONS else "constraints" if name == "expressions" else None


@pytest.mark.parametrize("heading", sorted(_blocks(REFERENCE)))
def test_each_example_parses_in_its_section(heading: str) -> None:
    for tag, block in _tagged_blocks(REFERENCE)[heading]:
        section = tag or _section_of(heading)
        if section is None:  # a whole model of its own
            parse(block + ("" if "variables" in block else "variables\n  placeholder\n"))
            continue
        lines = "".join(f"  {line}\n" for line in block.splitlines())
        before = "" if section == "variables" else "variables\n  placeholder\n"
        text = (f"{section}\n{lines}{before}" if SECTIONS.index(section) < 2 else
                f"{before}{section}\n{lines}" if section != "variables" else
                f"variables\n{lines}")
        parse(text)


def test_system_prompt_says_what_the_measurement_asked_for() -> None:
    prompt = system_prompt("plan the moves of a robot", (), 0)
    assert "$" not in prompt.replace("$3", "")
    assert "## Language reference" in prompt and "### Expressions" in prompt
    assert "`< <= > >= == !=`" in prompt and "x[i in N, j in N : i != j]" in prompt
    assert "never `prod`" in prompt
    assert "integer >= 0" in prompt and "stay continuous" in prompt
    assert "# assume:" in prompt and "Infeasible as stated" in prompt
    assert "states over `0..H`, actions over `1..H`" in prompt and "idle steps" in prompt
    assert "--lexicographic" in prompt


def test_the_whole_models_in_the_system_prompt_solve() -> None:
    prompt = system_prompt("anything", (), 0)
    models = [b for b in re.findall(r"^```optiform\n(.*?)^```", prompt, re.DOTALL | re.MULTILINE)
              if re.search(r"^variables$", b, re.MULTILINE)]
    assert len(models) >= 2
    for text in models:
        result = optiform.loads(text).solve()
        assert result.verified and result.status == "optimal", text
    plan = next(m for m in models if "idle_last" in m)
    assert optiform.loads(plan).solve().objective == 2
