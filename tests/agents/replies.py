"""Replies the scripted endpoint gives: models in optiform, right and wrong.

A workshop makes chairs (profit 3) and tables (profit 5) from 40 labour
hours, 2 per chair and 4 per table: 20 chairs, profit 60.
"""

from __future__ import annotations

QUESTION = ("A workshop makes chairs and tables. A chair earns $3 and takes 2 hours of "
            "labour; a table earns $5 and takes 4 hours. There are 40 hours. How many of "
            "each should it make to maximise profit?")

GOOD = """\
model workshop "chairs and tables"

parameters
  profit_chair = 3
  profit_table = 5
  hours        = 40

variables
  chairs >= 0
  tables >= 0

objective
  maximize profit: profit_chair * chairs + profit_table * tables

constraints
  labour: 2 * chairs + 4 * tables <= hours
"""

# `labour` without its colon: a syntax error on line 14.
UNNAMED = GOOD.replace("labour: 2", "labour 2")
# `profit_tabel`: an unknown name, one letter swapped.
MISSPELT = GOOD.replace("profit_table * tables", "profit_tabel * tables")
# at least 30 chairs, 60 hours needed, 40 there
INFEASIBLE = GOOD + "  enough_chairs: chairs >= 30\n"
# no labour row: tables grow without limit
UNBOUNDED = GOOD.replace("  labour: 2 * chairs + 4 * tables <= hours\n", "") + \
    "  some_chairs: chairs <= 10\n"
# profit_table and hours declared, used nowhere: worth a self-review
FORGETFUL = """\
parameters
  profit_chair = 3
  profit_table = 5
  hours        = 40

variables
  chairs >= 0, <= 20
  tables >= 0, <= 0

objective
  maximize profit: profit_chair * chairs

constraints
  some: chairs <= 20
"""


def fenced(model: str, before: str = "Here is the model:", after: str = "") -> str:
    return f"{before}\n\n```optiform\n{model}```\n\n{after}".strip() + "\n"
