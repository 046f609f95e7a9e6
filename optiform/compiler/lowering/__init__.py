"""Lowerings: constructs with no solver column of their own rewritten as linear rows.

Each lowering takes a construct over affine expressions of the model's
columns and returns the `Terms` that stand for it, after adding auxiliary
columns and rows to an `Auxiliaries`. The lowered problem is the user's
columns first and the auxiliaries after them, so the solution maps back by
keeping the first `n_vars` values. The checker never sees a lowering.
"""
