"""Interactive HTML network views (vis-network from pyvis's bundle, inlined) and the views index."""
from .html import render_view, view_data, write_views

__all__ = ["render_view", "view_data", "write_views"]
