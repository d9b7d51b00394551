"""What-if scenarios: add road or rail links and measure who gains (minutes to hubs, gravity potential)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import ConfigError
from ..network.graph import Network
from .accessibility import gravity_potential, od_matrix, od_wide, times_to_nearest
from .places import find_place, select_targets

__all__ = ["ScenarioLink", "add_links", "evaluate_scenario"]


@dataclass
class ScenarioLink:
    """A link to add: between two places, by ``road`` or ``rail``, at a speed (km/h)."""

    a: str
    b: str
    mode: str = "road"
    speed_kmh: float = 100.0
    detour: float = 1.15

    @classmethod
    def parse(cls, text: str) -> "ScenarioLink":
        """Parse ``A,B[,mode[,speed]]`` as given to ``spatial-planner scenario --add-link``."""
        parts = [x.strip() for x in text.split(",")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise ConfigError(f"cannot read link '{text}'", key="--add-link", fix="write A,B,mode,speed e.g. 410102,410311,road,120.")
        mode = parts[2] if len(parts) > 2 and parts[2] else "road"
        if mode not in ("road", "rail"):
            raise ConfigError(f"unknown link mode '{mode}'", key="--add-link", fix="use road or rail.")
        try:
            speed = float(parts[3]) if len(parts) > 3 and parts[3] else (120.0 if mode == "road" else 250.0)
        except ValueError:
            raise ConfigError(f"speed '{parts[3]}' is not a number", key="--add-link", fix="give km/h, e.g. 120.") from None
        if speed <= 0:
            raise ConfigError(f"speed must be positive, got {speed}", key="--add-link", fix="give km/h, e.g. 120.")
        return cls(parts[0], parts[1], mode, speed)


def add_links(net: Network, links: list[ScenarioLink], places: gpd.GeoDataFrame) -> Network:
    """A copy of the network with the links added.

    A road link joins the two places' road nodes. A rail link adds a rail
    node at each place, a rail edge between them and boarding/alighting at
    both ends (as a passenger station), so it serves the ``rail`` mode.
    ``places`` has ``id`` and point geometry (see :func:`spatial_planner.places.find_place`).
    """
    pl = places.set_index("id")
    att = net.attach(pl)
    xy = net.node_xy
    layer = net.node_layer
    rows = []
    for k, link in enumerate(links):
        for key in (link.a, link.b):
            if key not in pl.index:
                raise ConfigError(f"no place '{key}' for a scenario link", key="--add-link",
                                  fix="use a county adcode, hub_id, station_id or park_id.")
        ua, ub = int(att.loc[link.a, "node"]), int(att.loc[link.b, "node"])
        pa, pb = pl.to_crs(net.crs).geometry[link.a], pl.to_crs(net.crs).geometry[link.b]
        length = pa.distance(pb) * link.detour
        minutes = length / (link.speed_kmh * 1000.0 / 60.0)
        name = f"scenario {link.a}–{link.b}"
        if link.mode == "road":
            rows += [(ua, ub, length, minutes, "road", "scenario", f"S{k}", name, False),
                     (ub, ua, length, minutes, "road", "scenario", f"S{k}", name, True)]
        else:
            ra, rb = len(xy), len(xy) + 1
            xy = np.vstack([xy, [[pa.x, pa.y], [pb.x, pb.y]]])
            layer = np.concatenate([layer, np.ones(2, dtype=np.int8)])
            pen = net.params.boarding_penalty_min
            cls = "hsr" if link.speed_kmh >= 250 else "intercity"
            rows += [(ra, rb, length, minutes, "rail", cls, f"S{k}", name, False),
                     (rb, ra, length, minutes, "rail", cls, f"S{k}", name, True),
                     (ua, ra, 0.0, pen, "board", "hsr", f"S{k}", name, False),
                     (ra, ua, 0.0, 0.0, "alight", "hsr", f"S{k}", name, False),
                     (ub, rb, 0.0, pen, "board", "hsr", f"S{k}", name, False),
                     (rb, ub, 0.0, 0.0, "alight", "hsr", f"S{k}", name, False)]
    extra = pd.DataFrame(rows, columns=["u", "v", "length_m", "minutes", "layer", "cls", "line_id", "name", "reverse"])
    out = dataclasses.replace(net, node_xy=xy, node_layer=layer, _csr={}, _trees={})
    return out.with_edges(extra, parent=net)


def evaluate_scenario(
    net: Network,
    links: list[ScenarioLink],
    layers: dict[str, gpd.GeoDataFrame],
    *,
    mass: pd.Series | None = None,
    hub_kinds: tuple[str, ...] = ("airport", "hsr", "rail_freight"),
    mode: str = "rail",
    half_life: float = 30.0,
    engine: str | None = "auto",
) -> pd.DataFrame:
    """Accessibility per county before and after adding ``links``.

    The seat-to-seat ODs run on ``engine`` (see
    :func:`spatial_planner.analysis.accessibility.resolve_engine`). On the contraction
    hierarchy, the network with the links overlays the original network's hierarchy
    (:class:`spatial_planner.network.hierarchy.Overlay`): exact, and no second contraction.

    Measures: minutes from the county seat to the nearest hub of each kind
    (road), and the gravity potential of the other counties' mass over
    ``mode`` times (exponential decay, ``half_life`` minutes). Positive
    ``gain_*`` columns are improvements (minutes saved, potential gained).

    Returns
    -------
    pandas.DataFrame
        Indexed by adcode: ``name_zh``, ``<measure>_before``, ``<measure>_after``,
        ``gain_<measure>``, sorted by the gravity gain (who gains most first).
    """
    seats = layers["seats"]
    pts = gpd.GeoDataFrame({"id": seats["adcode"].astype(str).to_numpy(), "name": seats["name_zh"].to_numpy()},
                           geometry=seats.geometry.values, crs=seats.crs)
    places = pd.concat([find_place(layers, k) for link in links for k in (link.a, link.b)], ignore_index=True)
    places = gpd.GeoDataFrame(places.drop_duplicates("id"), geometry="geometry", crs=seats.crs)
    after_net = add_links(net, links, places)
    if mass is None:
        mass = pd.Series(1.0, index=pts["id"])
    out = pd.DataFrame({"name_zh": pts["name"].to_numpy()}, index=pd.Index(pts["id"], name="adcode"))
    for label, n in (("before", net), ("after", after_net)):
        att = n.attach(pts)
        for kind in hub_kinds:
            t = times_to_nearest(n, select_targets(layers, kind), mode="road")
            out[f"min_to_{kind}_{label}"] = t[att["node"].to_numpy()] + att["access_min"].to_numpy()
        w = od_wide(od_matrix(n, pts, mode=mode, id_col="id", name_col="name", with_km=False, engine=engine))
        w = (w + w.T) / 2.0
        out[f"gravity_{label}"] = gravity_potential(w, mass, half_life=half_life, include_self=False).to_numpy()
    for kind in hub_kinds:
        out[f"gain_min_to_{kind}"] = out[f"min_to_{kind}_before"] - out[f"min_to_{kind}_after"]
    out["gain_gravity"] = out["gravity_after"] - out["gravity_before"]
    out["gain_gravity_pct"] = 100.0 * out["gain_gravity"] / out["gravity_before"].where(out["gravity_before"] > 0)
    return out.sort_values("gain_gravity", ascending=False)
