"""Models the tests share, written once (linopy keeps its test helpers in `testing.py`).

`MULTI_KNAPSACK` is a multi-dimensional knapsack whose data the caller draws:
with a few hundred items and dozens of rows HiGHS cannot close it in a second,
which is what the time-limit, interrupt and batch tests need. Imports nothing.
"""

MULTI_KNAPSACK = """\
sets
  I
  K
parameters
  value[I]
  w[K, I]
  cap
variables
  take[I] binary
objective
  maximize total: sum(i in I) value[i] * take[i]
constraints
  room[k in K]: sum(i in I) w[k, i] * take[i] <= cap
"""
