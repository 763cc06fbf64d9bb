"""Layers that work on each example's units one by one, with steps of their own on the board:
``layernorm`` (u, o; dx, G) and ``dropout`` (o; dx)."""
