"""The results of a plan run: what the accessibility step and the 点-带-网 analysis produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

if TYPE_CHECKING:  # for annotations only: results sit below every package that fills them
    from .analysis.indices import IndustryTable
    from .network.graph import Network

__all__ = ["Plan", "AccessResult"]


@dataclass
class Plan:
    """Every output of the 点-带-网 analysis.

    Attributes
    ----------
    nodes
        County-seat growth poles with score parts, ``score``, ``tier`` and ``total_linkage`` (points).
    belts, belt_corridors
        Selected industrial belts (single-sector 产业带 and multi-sector 先进制造业走廊): stretches of a
        corridor's reference line, and the corridor polygons around them.
    corridors
        Transport corridors (通道): parallel rail lines and expressways merged by route, as their reference
        lines, with their modes and the number of belts along each.
    linkages
        The strongest gravity linkages as lines, classed by strength.
    priorities
        Ranked link proposals with their reasons (lines between seats).
    clusters
        Cross-county cluster proposals (hull polygons).
    isomorphism
        产业同构 pairs (lines between seats).
    industry
        The :class:`~spatial_planner.analysis.indices.IndustryTable` every score read
        (``industry.counties`` is the county × sector table, with its provenance).
    lq
        Location quotients of the county × sector table.
    county_indices
        Per county: specialisation, lead LQ sector, mass and the node score.
    productivity
        Per park: land productivity, its floor and the low-productivity flag.
    report
        Parameters, provenance, tier breaks and rules, inequality figures.
    published
        The province's published clusters beside what of the plan covers each
        (:func:`~spatial_planner.analysis.published.published_cluster_check`); empty outside Henan.
    access
        The accessibility step the plan was built on (network, county hub times, rasters, isochrones).
    belt_segments
        The belts' segments (集群段): runs of neighbouring parks within each belt.
    """

    nodes: gpd.GeoDataFrame
    belts: gpd.GeoDataFrame
    belt_corridors: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    linkages: gpd.GeoDataFrame
    priorities: gpd.GeoDataFrame
    clusters: gpd.GeoDataFrame
    isomorphism: gpd.GeoDataFrame
    industry: IndustryTable
    lq: pd.DataFrame
    county_indices: pd.DataFrame
    productivity: pd.DataFrame
    report: dict = field(default_factory=dict)
    access: AccessResult | None = None
    belt_segments: gpd.GeoDataFrame | None = None
    published: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def network(self) -> Network | None:
        """The network the plan was computed on."""
        return self.access.network if self.access is not None else None

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The plan's map/GeoPackage layers, in drawing order."""
        segments = {"belt_segments": self.belt_segments} if self.belt_segments is not None else {}
        return {"nodes": self.nodes, "belts": self.belts, "belt_corridors": self.belt_corridors, **segments,
                "corridors": self.corridors, "linkages": self.linkages, "priorities": self.priorities,
                "clusters": self.clusters, "isomorphism": self.isomorphism}


@dataclass
class AccessResult:
    """Outputs of the accessibility step."""

    network: Network
    county_access: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    rasters: dict[str, tuple[np.ndarray, object, object]]
    indicators: dict[str, tuple[str, str]]
