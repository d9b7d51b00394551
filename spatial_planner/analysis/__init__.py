"""The analyses of the 点-带-网 plan: accessibility, industry indices, nodes, corridors and belts, linkages, clusters,
scenarios.

Each module takes layers, tables and a :class:`~spatial_planner.network.Network`
and returns (Geo)DataFrames aligned on its input; parameters come as the
module's ``*Params`` dataclass (the ``[section]`` of the run config).
"""

from . import accessibility, belts, clusters, corridors, indices, linkages, nodes, places, scenario
from .accessibility import isochrones, od_matrix, od_wide, shortest_times, travel_time_surface, zonal_stats
from .belts import BeltParams
from .clusters import ClusterParams
from .linkages import LinkParams
from .nodes import NodeParams
from .scenario import ScenarioLink, evaluate_scenario

__all__ = [
    "accessibility", "belts", "clusters", "corridors", "indices", "linkages", "nodes", "places", "scenario",
    "isochrones", "od_matrix", "od_wide", "shortest_times", "travel_time_surface", "zonal_stats",
    "BeltParams", "ClusterParams", "LinkParams", "NodeParams", "ScenarioLink", "evaluate_scenario",
]
