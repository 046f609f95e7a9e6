"""Pyomo with any solver it drives (SCIP from pip): the model built block by block."""
