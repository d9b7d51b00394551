"""The web map's panes: one per kind of layer, stacked in a fixed order (:data:`~spatial_planner.symbology.MAP_PANES`).

A layer drawn in its kind's pane stays above or below the others whatever the order in which the user
switches layers on: fills < rasters < context lines < belts < links < points < labels.
"""

from __future__ import annotations

import folium

from ...symbology import MAP_PANES

__all__ = ["add_panes", "pane_name"]


def pane_name(kind: str) -> str:
    """The Leaflet pane of a kind of layer (``fills``, ``rasters``, ``context``, ``belts``, ``links``, ``points``,
    ``labels``)."""
    if kind not in MAP_PANES:
        raise ValueError(f"unknown map pane {kind!r}: one of {', '.join(MAP_PANES)}")
    return f"sp-{kind}"


def add_panes(m: folium.Map) -> None:
    """Create one pane per kind of layer on ``m``; names are not clickable, every other pane is."""
    for kind, z in MAP_PANES.items():
        folium.map.CustomPane(pane_name(kind), z_index=z, pointer_events=kind != "labels").add_to(m)
