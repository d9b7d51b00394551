"""Growth poles (点): composite scores and cultivation tiers.

Candidates are county seats (one node per county). Each part of the score is
kept as a raw column and a min–max normalised ``s_*`` column, and the weights
are reported, so every score can be traced to its parts:

* ``mass``: economic mass (statistics, or the park proxy of :mod:`.indices`);
* ``gravity``: Hansen gravity potential of the other counties' mass over network time;
* ``betweenness``: how often fastest seat-to-seat paths cross the seat's county (or, without county
  polygons, pass through the seat's own node);
* ``hub_access``: nearness to the airport, HSR and rail freight (1 − t / t_max, averaged);
* ``park_level``: the highest park level in the county (national 1, provincial 0.6, municipal 0.3).

Tiers: natural breaks (Fisher–Jenks via mapclassify, or head/tail breaks) on
the score give 国家级 / 省级 / 市级 / 县级 from the top class down; then rules
lift nodes that must not sit lower (a county with a national-level zone is at
least 省级; a prefecture seat at least 市级). Both the breaks and every rule
applied are reported.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from .._errors import ConfigError
from ..network.paths import paths_through, walk_to_source
from ..symbology import TIER_EN, TIERS
from .accessibility import gravity_potential

__all__ = [
    "PARK_LEVEL_SCORE",
    "NodeParams",
    "normalise",
    "entropy_weights",
    "betweenness_between",
    "zone_betweenness",
    "node_zones",
    "score_nodes",
    "assign_tiers",
    "hub_access_score",
    "park_level_score",
    "growth_poles",
]

PARK_LEVEL_SCORE = {"national": 1.0, "provincial": 0.6, "municipal": 0.3}


@dataclass
class NodeParams:
    """Weights and tiering of the node score (``[nodes]`` in the run config)."""

    weights: dict[str, float] = field(default_factory=lambda: {
        "mass": 0.35, "gravity": 0.2, "betweenness": 0.15, "hub_access": 0.15, "park_level": 0.15})
    weighting: str = "fixed"  # or "entropy"
    classifier: str = "fisher_jenks"  # or "head_tail"
    national_zone_min_tier: str = "省级"
    prefecture_seat_min_tier: str = "市级"


def normalise(s: pd.Series) -> pd.Series:
    """Min–max to [0, 1] (a constant column gives 0)."""
    s = pd.to_numeric(s, errors="coerce").astype(float).fillna(0.0)
    lo, hi = s.min(), s.max()
    return (s - lo) / (hi - lo) if hi > lo else s * 0.0


def entropy_weights(parts: pd.DataFrame) -> pd.Series:
    """Entropy weights of normalised indicator columns: w_j = (1 − e_j) / Σ (1 − e_k).

    ``e_j = −1/ln(n) Σ_i p_ij ln p_ij`` with ``p_ij = x_ij / Σ_i x_ij``; an
    indicator that varies more carries more information and more weight.
    """
    x = parts.to_numpy(float) + 1e-12
    p = x / x.sum(axis=0, keepdims=True)
    n = len(parts)
    e = -(p * np.log(p)).sum(axis=0) / np.log(n)
    d = 1.0 - e
    return pd.Series(d / d.sum(), index=parts.columns)


def betweenness_between(net, seat_nodes: dict[str, int], mode: str = "road", *, chunk: int = 16) -> pd.Series:
    """Share of fastest seat-to-seat paths passing through each seat.

    Computed on the road (or mode) graph with minutes as weights, sources and
    targets being the seats' nodes (ordered pairs, ends excluded), normalised to
    [0, 1] by the number of pairs. This is networkx's
    ``betweenness_centrality_subset`` for fastest paths that are unique, which
    they are with real-valued travel times; it runs on SciPy's Dijkstra, a few
    sources at a time, so it scales to OSM road graphs.
    """
    csr = net.csr(mode)
    nodes = np.array(sorted(set(seat_nodes.values())), dtype=np.int64)
    total = np.zeros(csr.shape[0])
    for i in range(0, len(nodes), chunk):
        _, pred = dijkstra(csr, directed=True, indices=nodes[i:i + chunk], return_predecessors=True)
        for k, s in enumerate(nodes[i:i + chunk]):
            total += paths_through(pred[k], int(s), nodes)
    pairs = max(len(nodes) * (len(nodes) - 1), 1)
    return pd.Series({k: total[v] / pairs for k, v in seat_nodes.items()}, name="betweenness")


def node_zones(net, zones) -> np.ndarray:
    """The index key of the zone polygon holding each network node (``""`` outside every zone)."""
    geoms = zones.to_crs(net.crs).geometry.values
    keys = np.asarray(zones.index.astype(str), dtype=object)
    pts = shapely.points(net.node_xy)
    node_idx, zone_idx = shapely.STRtree(geoms).query(pts, predicate="within")
    out = np.full(net.n_nodes, "", dtype=object)
    out[node_idx] = keys[zone_idx]
    return out


def zone_betweenness(net, seat_nodes: dict[str, int], node_zone: np.ndarray,
                     mode: str = "road", *, chunk: int = 16) -> pd.Series:
    """Share of fastest seat-to-seat paths that cross each seat's zone (its county), ends' zones excluded.

    On a real road graph a seat's nearest node is one street among many, and few fastest paths pass through
    that very node; the county they cross is what a planner means by a node "on the way". ``node_zone``
    gives each network node the key of its zone, aligned with the node ids; the zones are the seats' keys
    (a county and its seat share the adcode), other keys (``""`` outside every county) count for none. Each path
    counts once per zone it enters, except the zones it starts and ends in; shares are over the ordered
    pairs of distinct seats.
    """
    zone_of = np.asarray(node_zone, dtype=object)
    keys = sorted(seat_nodes)
    codes = {k: i for i, k in enumerate(keys)}
    zone_idx = np.array([codes.get(z, -1) for z in zone_of], dtype=np.int64)
    csr = net.csr(mode)
    nodes = np.array([seat_nodes[k] for k in keys], dtype=np.int64)
    ends = zone_idx[nodes]
    total = np.zeros(len(keys))
    for i in range(0, len(nodes), chunk):
        block = nodes[i:i + chunk]
        _, pred = dijkstra(csr, directed=True, indices=block, return_predecessors=True)
        for k, s in enumerate(block):
            which_all, zones_all = [], []
            for which, _, up in walk_to_source(pred[k], int(s), nodes):
                z = zone_idx[up]
                keep = z >= 0
                which_all.append(which[keep])
                zones_all.append(z[keep])
            if not which_all:
                continue
            w, z = np.concatenate(which_all), np.concatenate(zones_all)
            pair = np.unique(w * len(keys) + z)  # each path once per zone
            w, z = pair // len(keys), pair % len(keys)
            inner = (z != ends[i + k]) & (z != ends[w])
            total += np.bincount(z[inner], minlength=len(keys))
    pairs = max(len(nodes) * (len(nodes) - 1), 1)
    return pd.Series(total / pairs, index=keys, name="betweenness")


def score_nodes(parts: pd.DataFrame, params: NodeParams | None = None) -> pd.DataFrame:
    """Composite score from raw parts (columns ``mass, gravity, betweenness, hub_access, park_level``).

    Returns
    -------
    pandas.DataFrame
        The raw parts, the ``s_<part>`` normalised columns, ``score`` (0–1) and
        ``attrs["weights"]``.
    """
    p = params or NodeParams()
    cols = [c for c in p.weights if c in parts.columns]
    missing = [c for c in p.weights if c not in parts.columns]
    if missing:
        raise ConfigError(f"node score parts not computed: {missing}", key="nodes.weights",
                          fix="weight only the parts mass, gravity, betweenness, hub_access, park_level.")
    norm = pd.DataFrame({f"s_{c}": normalise(parts[c]) for c in cols}, index=parts.index)
    if p.weighting == "entropy":
        w = entropy_weights(norm)
        w.index = cols
    elif p.weighting == "fixed":
        w = pd.Series({c: float(p.weights[c]) for c in cols})
        if w.sum() <= 0:
            raise ConfigError("node weights sum to zero", key="nodes.weights", fix="give positive weights.")
        w = w / w.sum()
    else:
        raise ConfigError(f"unknown weighting '{p.weighting}'", key="nodes.weighting", fix="use fixed or entropy.")
    out = parts.copy()
    for c in cols:
        out[f"s_{c}"] = norm[f"s_{c}"]
    out["score"] = sum(norm[f"s_{c}"] * w[c] for c in cols)
    out.attrs["weights"] = {c: round(float(w[c]), 4) for c in cols}
    out.attrs["weighting"] = p.weighting
    return out


def _breaks(score: pd.Series, classifier: str) -> list[float]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Numba not installed")
        import mapclassify  # imported on use: it loads scikit-learn

    y = score.to_numpy(float)
    if classifier == "fisher_jenks":
        k = min(4, len(np.unique(y)))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Numba not installed")
            return [float(b) for b in mapclassify.FisherJenks(y, k=k).bins] if k > 1 else [float(y.max())]
    if classifier == "head_tail":
        return [float(b) for b in mapclassify.HeadTailBreaks(y).bins]
    raise ConfigError(f"unknown classifier '{classifier}'", key="nodes.classifier", fix="use fisher_jenks or head_tail.")


def assign_tiers(
    scored: pd.DataFrame,
    *,
    params: NodeParams | None = None,
    has_national_zone: pd.Series | None = None,
    is_prefecture_seat: pd.Series | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Tiers from natural breaks on ``score``, then the floor rules.

    Returns
    -------
    (table, report)
        ``table`` adds ``tier_by_breaks``, ``tier`` and ``tier_rule`` (the rule
        that lifted the node, empty when none); ``report`` holds the
        classifier, the breaks and the count of nodes each rule lifted.
    """
    p = params or NodeParams()
    for key in (p.national_zone_min_tier, p.prefecture_seat_min_tier):
        if key not in TIERS:
            raise ConfigError(f"unknown tier '{key}'", key="nodes", fix=f"use one of {', '.join(TIERS)}.")
    bins = _breaks(scored["score"], p.classifier)
    # class index from the top: the highest class is 国家级; more than four classes fold into 县级
    cls = np.searchsorted(np.asarray(bins), scored["score"].to_numpy(float), side="left")
    top = len(bins) - 1
    rank = np.clip(top - cls, 0, len(TIERS) - 1)
    out = scored.copy()
    out["tier_by_breaks"] = [TIERS[r] for r in rank]
    tier_rank = rank.copy()
    rule = np.array([""] * len(out), dtype=object)
    lifted = {"national_zone": 0, "prefecture_seat": 0}
    for flag, min_tier, name in ((has_national_zone, p.national_zone_min_tier, "national_zone"),
                                 (is_prefecture_seat, p.prefecture_seat_min_tier, "prefecture_seat")):
        if flag is None:
            continue
        f = flag.reindex(out.index).fillna(False).astype(bool).to_numpy()
        floor = TIERS.index(min_tier)
        lift = f & (tier_rank > floor)
        tier_rank[lift] = floor
        rule[lift] = [("; ".join(filter(None, [r, name]))) for r in rule[lift]]
        lifted[name] = int(lift.sum())
    out["tier"] = [TIERS[r] for r in tier_rank]
    out["tier_en"] = out["tier"].map(TIER_EN)
    out["tier_rule"] = rule
    report = {"classifier": p.classifier, "breaks": [round(b, 4) for b in bins], "lifted_by_rule": lifted,
              "weights": scored.attrs.get("weights", {}), "weighting": scored.attrs.get("weighting", "")}
    return out, report


def hub_access_score(county_access: pd.DataFrame, kinds=("airport", "hsr", "rail_freight")) -> pd.Series:
    """Each county's access to hubs, 0–1: ``1 − t / max t`` per hub kind (``min_to_<kind>``), averaged."""
    parts = []
    for k in kinds:
        col = f"min_to_{k}"
        if col in county_access:
            t = county_access[col].astype(float)
            parts.append(1.0 - t / t.max())
    return pd.concat(parts, axis=1).mean(axis=1) if parts else pd.Series(0.0, index=county_access.index)


def park_level_score(parks: pd.DataFrame, counties: pd.Index) -> pd.Series:
    """Each county's highest park level as a score (:data:`PARK_LEVEL_SCORE`; 0 without a park)."""
    score = parks["level"].map(PARK_LEVEL_SCORE).fillna(0.0)
    return score.groupby(parks["county_adcode"].astype(str)).max().reindex(counties, fill_value=0.0)


def growth_poles(
    net,
    seats: pd.DataFrame,
    mass: pd.Series,
    times: pd.DataFrame,
    *,
    hub_access: pd.Series,
    park_level: pd.Series,
    has_national_zone: pd.Series,
    params: NodeParams | None = None,
    half_life: float = 30.0,
    decay: str = "exp",
    zones=None,
) -> tuple[pd.DataFrame, dict]:
    """Score every county seat as a growth pole and put it in a tier.

    Parameters
    ----------
    net
        The network (for the seats' betweenness on the road network).
    seats
        Seat points indexed by adcode, with ``is_prefecture_seat``.
    mass, times
        County masses and the symmetric seat-to-seat minutes.
    hub_access, park_level, has_national_zone
        Per county (:func:`hub_access_score`, :func:`park_level_score`, a national zone in the county).
    half_life, decay
        Of the gravity potential of the other counties' mass.
    zones
        County polygons indexed like ``seats``: betweenness counts the paths crossing each county
        (:func:`zone_betweenness`); without them, the paths through each seat's node.

    Returns
    -------
    (tiered, report)
        :func:`assign_tiers`'s table (score parts, ``score``, ``tier`` …) indexed like ``mass``, and its report.
    """
    codes = mass.index
    grav = gravity_potential(times, mass, half_life=half_life, include_self=False, kind=decay)
    seat_nodes = net.attach(seats)["node"].to_dict()
    if zones is not None:
        betw = zone_betweenness(net, seat_nodes, node_zones(net, zones), mode="road")
    else:
        betw = betweenness_between(net, seat_nodes, mode="road")
    parts = pd.DataFrame({"mass": mass, "gravity": grav.reindex(codes), "betweenness": betw.reindex(codes),
                          "hub_access": hub_access.to_numpy(), "park_level": park_level.reindex(codes)}, index=codes)
    scored = score_nodes(parts, params)
    return assign_tiers(scored, params=params, has_national_zone=has_national_zone,
                        is_prefecture_seat=seats["is_prefecture_seat"].reindex(codes).astype(bool))
