"""Maps in a Jupyter notebook: the page ``map.html`` would hold, framed inline, the same bytes on every run.

A Folium map shows itself in Jupyter (``m`` as a cell's last line), but through
Folium's own rendering: element ids drawn at random, so that a notebook stored
with its outputs changes on every run, and Chinese written as ``\\uXXXX``.
:func:`show_map` frames the page that :func:`~spatial_planner.outputs.webmap.render_html`
writes instead (numbered ids, Chinese as text)::

    from spatial_planner.outputs.notebook import show_map
    show_map(sp.build_map(layers))
"""

from __future__ import annotations

import html

import folium

from .webmap import render_html

__all__ = ["MapFrame", "show_map"]


class MapFrame:
    """A map page shown inline by Jupyter (``_repr_html_``): an ``<iframe>`` holding the page."""

    def __init__(self, page: str, *, height: int = 560):
        self.page = page
        self.height = int(height)

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.page, quote=True)}" width="100%" height="{self.height}" '
                'style="border:1px solid #ddd" allowfullscreen></iframe>')

    def __repr__(self) -> str:  # no memory address: the stored text/plain output stays the same
        return f"<map page, {len(self.page.encode('utf-8')) / 1e3:,.0f} kB>"


def show_map(m: folium.Map, *, height: int = 560, assets: str = "cdn") -> MapFrame:
    """Frame ``m`` for a notebook as the page ``map.html`` would hold.

    The layer control is moved last first, so that it lists the overlays added
    after :func:`~spatial_planner.outputs.webmap.build_map` drew it
    (``add_isochrones``, ``add_choropleths``, ``add_plan_layers`` …).

    Parameters
    ----------
    height
        Height of the frame in pixels (its width is the notebook's).
    assets
        As in :func:`~spatial_planner.outputs.webmap.render_html`: ``"cdn"``
        (default) links Leaflet from the web and keeps the notebook small;
        ``"inline"`` writes it into the page (about 0.5 MB more, works offline).
    """
    for key in [k for k, v in m._children.items() if isinstance(v, folium.LayerControl)]:
        m._children.move_to_end(key)
    return MapFrame(render_html(m, assets=assets), height=height)
