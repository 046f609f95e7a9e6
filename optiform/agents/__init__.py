"""English -> optiform text -> verified Result: the LLM agent.

The top layer: it may import everything below it (backends, compiler, dsl,
and the verbs in `optiform.api`); nothing below imports it. The public names
are re-exported by `optiform/__init__.py`.
"""
