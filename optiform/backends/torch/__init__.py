"""Gradient methods over batched starts in torch, and Ipopt fed the same compiled functions.

Nothing here imports torch or cyipopt until a solve needs them.
"""
