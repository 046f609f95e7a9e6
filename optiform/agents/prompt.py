"""What the agent says to the model: templates, the grammar summary, few-shot examples.

The words live in `prompts/*.md` (loaded with importlib.resources), not in
code. The grammar summary is generated from `grammar.lark` each run, so the
prompt and the parser cannot drift apart. Few-shot examples come from the
project's `examples/` folder, chosen by word overlap with the question.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from string import Template

from optiform.dsl.parser import grammar_text

# Words that say nothing about which example fits a problem.
_STOPWORDS = frozenset(
    "the and for are with that this from each must can per not its into which will "
    "have has all any one two three than what how much many there their they these "
    "those been being our your you should would could may might also only more most "
    "less least given such both over under between about when where then else while "
    "total number amount units unit".split())


@cache
def template(name: str) -> Template:
    """A prompt file from `prompts/`, as a `string.Template` ($name placeholders)."""
    text = resources.files("optiform.agents").joinpath(f"prompts/{name}.md").read_text(
        encoding="utf-8")
    return Template(text.strip())


@lru_cache(maxsize=1)
def feedback_texts() -> dict[str, Template]:
    """The sections of `prompts/feedback.md`, keyed by their `## heading`."""
    text = resources.files("optiform.agents").joinpath("prompts/feedback.md").read_text(
        encoding="utf-8")
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif current is not None:
            current.append(line)
    return {key: Template("\n".join(lines).strip()) for key, lines in sections.items()}


def grammar_summary(text: str | None = None) -> str:
    """The grammar's rules, one per line, without Lark's tree-shaping marks.

    Aliases (`-> name`), inlining marks (`?rule`, `!rule`, `_rule`), comments
    and directives are dropped; the reserved words are listed at the end.
    """
    rules: list[str] = []
    for raw in (grammar_text() if text is None else text).splitlines():
        line = raw.strip()
        if not line or line.startswith(("//", "%")):
            continue
        if line.startswith("|") and rules:
            rules[-1] += " " + line
        else:
            rules.append(line)
    out = []
    for rule in rules:
        rule = re.sub(r"\s*->\s*\w+", "", rule)
        name, _, body = rule.partition(":")
        body = re.sub(r'(?<![\w"])_(?=[a-z])', "", " ".join(body.split()))
        out.append(f"{name.strip().lstrip('?!_')}: {body}")
    words = sorted({w for w in re.findall(r'"([A-Za-z]+)"', text or grammar_text())})
    out.append("")
    out.append("Reserved words (quote them to use them as symbols): " + " ".join(words))
    return "\n".join(out)


@dataclass(frozen=True)
class Example:
    """One model from the few-shot pool."""

    name: str
    text: str
    words: frozenset[str]

    @property
    def title(self) -> str:
        for line in self.text.splitlines():
            if line.startswith("#"):
                return line.lstrip("# ").strip()
        return self.name


def words(text: str) -> frozenset[str]:
    """Lower-case words of three letters or more, identifiers split at underscores."""
    return frozenset(w for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in _STOPWORDS)


def default_examples_dir() -> Path | None:
    """The `examples/` folder of a source checkout (an editable install), if there is one."""
    folder = Path(__file__).resolve().parents[2] / "examples"
    return folder if folder.is_dir() else None


@lru_cache(maxsize=8)
def load_pool(folder: Path | None) -> tuple[Example, ...]:
    """Every example a model can learn from: self-contained and single-objective.

    Models that need a data file or a solve option (their `.expected.json`
    names `options`) would teach things the agent must not write.
    """
    if folder is None:
        return ()
    pool = []
    for path in sorted(folder.glob("*.opt")):
        expected = path.with_name(path.stem + ".expected.json")
        if expected.exists() and json.loads(expected.read_text(encoding="utf-8")).get("options"):
            continue
        text = path.read_text(encoding="utf-8").strip()
        pool.append(Example(path.stem, text, words(text)))
    return tuple(pool)


def choose_examples(question: str, pool: tuple[Example, ...], k: int) -> list[Example]:
    """The k examples whose words overlap most with the question (Jaccard), best first."""
    asked = words(question)

    def score(e: Example) -> float:
        union = len(asked | e.words)
        return len(asked & e.words) / union if union else 0.0

    return sorted(pool, key=lambda e: (-score(e), e.name))[:k]


def system_prompt(question: str, pool: tuple[Example, ...], k: int) -> str:
    chosen = choose_examples(question, pool, k)
    shown = "\n\n".join(template("example").substitute(title=e.title, model=e.text)
                        for e in chosen) or "(none available)"
    return template("system").substitute(grammar=grammar_summary(), examples=shown,
                                         language=template("language").template)
