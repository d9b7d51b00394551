"""The network against published travel facts: timetable times between stations, driving times and distances
between seats.

A truth table is a CSV with one published fact per row:

``mode``
    ``rail`` (station to station, on the train) or ``road`` (seat to seat, by car).
``from_zh``, ``to_zh``, ``from_kind``, ``to_kind``
    The two places: ``station`` (a station's ``name_zh``), ``prefecture_seat`` (a prefecture's ``name_zh``;
    its seat) or ``county_seat`` (a seat's ``name_zh``).
``service``
    Rail only, optional: the kind of train the time is for, which sets the track it may use: ``hsr`` (G/D
    trains: high-speed and intercity lines), ``conventional`` (Z/T/K trains: conventional lines) or
    ``intercity`` (C trains: every passenger line). Empty: every passenger line.
``minutes``, ``km``
    What was published; either may be empty. A row with minutes is compared on minutes, else on km.
``measure``
    Optional: ``section`` marks a published length of a road section between interchanges. A section does not
    start or end at the seats, so it is a lower bound on the seat-to-seat distance and is left out of the
    medians (:func:`truth_summary` counts the ones the network undercuts).
``source``
    Where the fact was published.

:func:`check_travel` gives the network's figure for every row and ``log(network / published)``;
:func:`truth_summary` gives the median absolute log ratio per mode.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from .._errors import InvalidValueError, MissingColumnError
from .graph import _PASSENGER, Network
from .paths import walk_to_source

__all__ = ["TRUTH_COLUMNS", "read_truth", "check_travel", "truth_summary"]

#: Columns a truth table must have.
TRUTH_COLUMNS = ("mode", "from_zh", "to_zh", "from_kind", "to_kind", "minutes", "km", "source")
_KINDS = ("station", "prefecture_seat", "county_seat")
#: The rail classes each kind of train runs on.
SERVICE_TRACK: dict[str, tuple[str, ...]] = {
    "hsr": ("hsr", "intercity"),
    "conventional": ("conventional",),
    "intercity": _PASSENGER,
    "": _PASSENGER,
}


def read_truth(path: str | Path) -> pd.DataFrame:
    """Read a truth table (UTF-8 CSV), checking its columns, modes and place kinds."""
    path = Path(path)
    table = pd.read_csv(path, dtype={"from_zh": str, "to_zh": str}, encoding="utf-8-sig")
    missing = [c for c in TRUTH_COLUMNS if c not in table.columns]
    if missing:
        raise MissingColumnError(missing, layer=str(path), fix=f"give the columns {', '.join(TRUTH_COLUMNS)}.")
    for col in ("measure", "service"):
        table[col] = table[col].fillna("").astype(str) if col in table.columns else ""
    for col, allowed in (("mode", ("rail", "road")), ("from_kind", _KINDS), ("to_kind", _KINDS),
                         ("service", tuple(SERVICE_TRACK)), ("measure", ("", "section"))):
        bad = ~table[col].isin(allowed)
        if bad.any():
            raise InvalidValueError(f"unknown {col} {sorted(set(table.loc[bad, col].astype(str)))}", layer=str(path),
                                    column=col, ids=[int(i) + 2 for i in np.flatnonzero(bad)],
                                    fix=f"use one of: {', '.join(allowed)} (ids are CSV line numbers).")
    empty = table["minutes"].isna() & table["km"].isna()
    if empty.any():
        raise InvalidValueError("a row gives neither minutes nor km", layer=str(path), column="minutes",
                                ids=[int(i) + 2 for i in np.flatnonzero(empty)],
                                fix="give the published minutes or km (ids are CSV line numbers).")
    return table


def _place_points(kind: str, names: pd.Series, stations: gpd.GeoDataFrame, seats: gpd.GeoDataFrame
                  ) -> gpd.GeoSeries:
    """The point of each named place, aligned with ``names``; raises naming the places not found."""
    if kind == "station":
        table = stations.drop_duplicates("name_zh").set_index("name_zh").geometry
    elif kind == "prefecture_seat":
        table = seats[seats["is_prefecture_seat"].astype(bool)].drop_duplicates("prefecture_zh")
        table = table.set_index("prefecture_zh").geometry
    else:
        table = seats.drop_duplicates("name_zh").set_index("name_zh").geometry
    unknown = sorted(set(names) - set(table.index))
    if unknown:
        layer = "stations" if kind == "station" else "seats"
        raise InvalidValueError(f"{kind} not found: {unknown}", layer=layer, column="name_zh", ids=unknown,
                                fix="spell the places as the layers do, or add them to the layers.")
    return gpd.GeoSeries(table.loc[names.to_numpy()].to_numpy(), index=names.index, crs=table.crs)


def _rail_only(net: Network, classes: tuple[str, ...]) -> tuple[sparse.csr_matrix, dict[tuple[int, int], float]]:
    """Minutes matrix of the track of ``classes`` alone (no boarding, no road), and the length of each edge."""
    e = net.edges
    keep = ((e["layer"] == "rail") & e["cls"].isin(classes)).to_numpy()
    u, v = e["u"].to_numpy(np.int64)[keep], e["v"].to_numpy(np.int64)[keep]
    t, d = e["minutes"].to_numpy(float)[keep], e["length_m"].to_numpy(float)[keep]
    # parallel edges (lines sharing track): the fastest one, and its length
    order = np.lexsort((t, v, u))
    u, v, t, d = u[order], v[order], t[order], d[order]
    first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])]
    u, v, t, d = u[first], v[first], t[first], d[first]
    n = net.n_nodes
    return sparse.csr_matrix((np.maximum(t, 1e-9), (u, v)), shape=(n, n)), dict(zip(zip(u.tolist(), v.tolist()),
                                                                                  d.tolist()))


def _path_km(pred: np.ndarray, source: int, target: int, lengths: dict[tuple[int, int], float]) -> float:
    total = 0.0
    for _, cur, up in walk_to_source(pred, source, np.array([target])):
        total += lengths[(int(up[0]), int(cur[0]))]
    return total / 1000.0


def _rail_rows(net: Network, rows: pd.DataFrame, stations: gpd.GeoDataFrame) -> pd.DataFrame:
    """In-train minutes and km between the stations of ``rows`` along the passenger track."""
    node = dict(zip(net.stations["name_zh"], net.stations["rail_node"]))
    missing = sorted({n for n in pd.concat([rows["from_zh"], rows["to_zh"]]) if n not in node})
    if missing:
        raise InvalidValueError(f"station(s) not on the network: {missing}", layer="stations", column="name_zh",
                                ids=missing, fix="spell the stations as the stations layer does.")
    tracks = {svc: _rail_only(net, SERVICE_TRACK[svc]) for svc in set(rows["service"])}
    out = []
    for a, b, svc in zip(rows["from_zh"], rows["to_zh"], rows["service"]):
        csr, lengths = tracks[svc]
        s, t = int(node[a]), int(node[b])
        dist, pred = dijkstra(csr, indices=s, return_predecessors=True)
        out.append((dist[t], _path_km(pred, s, t, lengths) if np.isfinite(dist[t]) else np.nan))
    return pd.DataFrame(out, columns=["network_min", "network_km"], index=rows.index)


def _road_rows(net: Network, rows: pd.DataFrame, stations: gpd.GeoDataFrame, seats: gpd.GeoDataFrame
               ) -> pd.DataFrame:
    """Driving minutes and km between the places of ``rows``, access links included."""
    ends = {}
    for side in ("from", "to"):
        pts = pd.concat([_place_points(k, g[f"{side}_zh"], stations, seats)
                         for k, g in rows.groupby(f"{side}_kind")]).loc[rows.index]
        ends[side] = net.attach(gpd.GeoSeries(pts, crs=pts.crs))
    csr, lengths = net.csr("road"), net.csr("road", "length_m")
    coo = lengths.tocoo()
    edge_m = dict(zip(zip(coo.row.tolist(), coo.col.tolist()), coo.data.tolist()))
    detour = net.params.access_detour
    out = []
    for i in rows.index:
        s, t = int(ends["from"].at[i, "node"]), int(ends["to"].at[i, "node"])
        dist, pred = dijkstra(csr, indices=s, return_predecessors=True)
        access_min = ends["from"].at[i, "access_min"] + ends["to"].at[i, "access_min"]
        access_km = (ends["from"].at[i, "access_m"] + ends["to"].at[i, "access_m"]) * detour / 1000.0
        km = _path_km(pred, s, t, edge_m) if np.isfinite(dist[t]) else np.nan
        out.append((dist[t] + access_min, km + access_km))
    return pd.DataFrame(out, columns=["network_min", "network_km"], index=rows.index)


def check_travel(net: Network, truth: pd.DataFrame, *, stations: gpd.GeoDataFrame, seats: gpd.GeoDataFrame
                 ) -> pd.DataFrame:
    """The network's figure for every published fact.

    Parameters
    ----------
    net
        The network (:func:`~spatial_planner.network.build_network`).
    truth
        A truth table (:func:`read_truth`).
    stations, seats
        The layers the places are named in.

    Returns
    -------
    pandas.DataFrame
        Aligned on ``truth``: its columns plus ``network_min``, ``network_km``, ``compared`` (``minutes`` or
        ``km``) and ``log_ratio`` = ``log(network / published)`` of the compared quantity.
    """
    out = truth.copy()
    for col in ("measure", "service"):
        out[col] = out[col].fillna("").astype(str) if col in out.columns else ""
    parts = []
    rail = out[out["mode"] == "rail"]
    if len(rail):
        parts.append(_rail_rows(net, rail, stations))
    road = out[out["mode"] == "road"]
    if len(road):
        parts.append(_road_rows(net, road, stations, seats))
    found = pd.concat(parts) if parts else pd.DataFrame(columns=["network_min", "network_km"])
    out = out.join(found)
    by_min = out["minutes"].notna()
    out["compared"] = np.where(by_min, "minutes", "km")
    published = np.where(by_min, out["minutes"], out["km"]).astype(float)
    network = np.where(by_min, out["network_min"], out["network_km"]).astype(float)
    out["log_ratio"] = np.log(network / published)
    return out


def truth_summary(checked: pd.DataFrame) -> pd.DataFrame:
    """Per mode: facts compared, median and 90th percentile of ``|log ratio|``, and sections undercut.

    Sections (``measure == "section"``) are not in the medians; ``sections_undercut`` counts those where the
    network's seat-to-seat distance is more than 5 % shorter than the published section.
    """
    rows = []
    for mode, g in checked.groupby("mode", sort=True):
        point = g[g["measure"] != "section"]
        sec = g[g["measure"] == "section"]
        a = point["log_ratio"].abs()
        rows.append({"mode": mode, "facts": int(len(point)), "median_abs_log": float(a.median()),
                     "p90_abs_log": float(a.quantile(0.9)), "unreachable": int(point["log_ratio"].isna().sum()),
                     "sections": int(len(sec)),
                     "sections_undercut": int((sec["network_km"] < 0.95 * sec["km"]).sum())})
    return pd.DataFrame(rows).set_index("mode")
