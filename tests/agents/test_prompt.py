"""The prompt: templates in files, a grammar summary that follows the grammar, examples."""

from __future__ import annotations

import re
from pathlib import Path

from optiform.agents.prompt import (
    choose_examples,
    default_examples_dir,
    feedback_texts,
    grammar_summary,
    load_pool,
    system_prompt,
    template,
)
from optiform.dsl.parser import KEYWORDS, grammar_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_grammar_summary_has_every_rule_and_reserved_word() -> None:
    summary = grammar_summary()
    rules = {m.lstrip("?!_") for m in re.findall(r"^([?!_]?[A-Za-z_]+)\s*:", grammar_text(),
                                                     re.MULTILINE)}
    defined = {line.split(":")[0] for line in summary.splitlines() if ":" in line}
    assert rules <= defined
    reserved = summary.rsplit("Reserved words", 1)[1].split()
    assert set(KEYWORDS) <= set(reserved)
    assert "->" not in summary and "%import" not in summary and "//" not in summary
    assert 'reduction: sumlike "(" binders filter? ")" term | minmax' in summary


def test_grammar_summary_follows_a_changed_grammar() -> None:
    changed = grammar_text().replace('!sense: "minimize" | "maximize"',
                                     '!sense: "minimize" | "maximize" | "satisfy"')
    summary = grammar_summary(changed)
    assert 'sense: "minimize" | "maximize" | "satisfy"' in summary
    assert "satisfy" in summary.rsplit("Reserved words", 1)[1]


def test_every_template_fills_without_leftovers() -> None:
    filled = {
        "system": template("system").substitute(grammar="G", examples="E", language="L"),
        "language": template("language").substitute(),
        "draft": template("draft").substitute(question="Q"),
        "repair": template("repair").substitute(feedback="F"),
        "review": template("review").substitute(reasons="R"),
        "example": template("example").substitute(title="T", model="M"),
    }
    for text in filled.values():
        assert "$" not in text
    assert {"empty", "no_model", "syntax", "semantic", "data", "solver", "infeasible",
            "unbounded", "no_solution", "check_failed", "internal_error", "zero_solution",
            "unconstrained_variable", "unused_parameter", "truncated"} <= set(feedback_texts())


def test_examples_are_chosen_by_word_overlap() -> None:
    pool = load_pool(EXAMPLES)
    hiker = choose_examples("A hiker packs items into a backpack; each item has a weight, a "
                            "volume and a value.", pool, 2)
    assert hiker[0].name == "knapsack"
    plants = choose_examples("Plants ship to markets; the shipping cost per case depends on "
                             "the distance between each plant and market.", pool, 1)
    assert plants[0].name == "transportation"


def test_pool_leaves_out_models_that_need_data_or_options() -> None:
    names = {e.name for e in load_pool(EXAMPLES)}
    assert "transport_data" not in names
    assert "staffing" in names  # its `lexicographic:` line is model text, not an option
    assert {"knapsack", "diet", "facility_location"} <= names
    assert default_examples_dir() == EXAMPLES


def test_system_prompt_has_grammar_and_chosen_examples() -> None:
    prompt = system_prompt("A hiker packs a backpack within a weight limit.",
                           load_pool(EXAMPLES), 2)
    assert "sets_section: \"sets\" set_decl*" in prompt
    assert "model knapsack" in prompt
    assert prompt.count("```optiform") >= 3  # the format, the scalar sketch, the examples
    assert "(none available)" in system_prompt("anything", (), 2)
