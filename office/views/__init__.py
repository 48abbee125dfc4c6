"""Screens: one module per area; `menu.py` registers them."""
