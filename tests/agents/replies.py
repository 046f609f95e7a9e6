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


# The question's own numbers cannot hold: a crew of whole workers, each able to
# lift 40 kg, must lift exactly 100 kg. The LP relaxation (2.5 workers) is
# feasible, so only the elastic relaxation finds the conflict.
CREW_QUESTION = ("A crew of movers, each of whom lifts exactly 40 kg, must lift a crate of "
                 "exactly 100 kg together. At most 5 movers are available. How few movers "
                 "can do it?")
CREW = """\
# assume: every mover lifts exactly 40 kg, no more and no less
parameters
  lift  = 40
  crate = 100

variables
  movers integer in [0, 5]

objective
  minimize crew: movers

constraints
  exact: lift * movers == crate
"""
# Whole trucks, infeasible even with fractions: 3 trucks of 10 t cannot carry 50 t.
TRUCKS = """\
parameters
  trucks = 3
  load   = 10
  cargo  = 50
  fleet[1..4] default 1

variables
  used integer >= 0

objective
  minimize cost: used

constraints
  carry: load * used >= cargo
  have:  used <= trucks
"""
