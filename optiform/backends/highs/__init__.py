"""HiGHS through highspy: LP, MILP and convex QP, with duals, IIS and unbounded rays."""
