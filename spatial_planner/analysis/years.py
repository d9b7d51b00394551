"""What a network changed: each county's access at two (or more) years, and the gains between them.

For each year the network is the one that stood at the end of it
(:func:`spatial_planner.io.area.network_as_of`); :func:`county_access_of_year`
measures, per county seat:

* ``to_hsr`` and ``to_airport``: road minutes to the nearest HSR station and airport open that year;
* ``to_prefecture``: the fastest time to its prefecture seat, by road or by rail with access and boarding;
* ``potential``: the Hansen potential of the other counties' mass over those fastest times.

:func:`year_gains` puts the years side by side: minutes saved (first year minus last) and the potential's
gain in per cent.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ..network.graph import Network
from .accessibility import gravity_potential, od_matrix, od_wide
from .county_access import hub_times

__all__ = ["YEAR_MEASURES", "county_access_of_year", "year_gains"]

#: The measures of a year: column → (zh label, en label, "minutes" or "potential").
YEAR_MEASURES = {
    "to_hsr": ("到最近高铁站(分钟)", "To the nearest HSR station (min)", "minutes"),
    "to_airport": ("到最近机场(分钟)", "To the nearest airport (min)", "minutes"),
    "to_prefecture": ("到所属地市中心(分钟)", "To the prefecture seat (min)", "minutes"),
    "potential": ("经济潜力(引力)", "Gravity potential", "potential"),
}


def _seats(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    s = layers["seats"]
    return s.set_index(s["adcode"].astype(str))


def county_access_of_year(net: Network, layers: dict[str, gpd.GeoDataFrame], mass: pd.Series, *,
                          half_life: float = 30.0, decay: str = "exp", engine: str | None = "auto") -> pd.DataFrame:
    """Each county's access on one year's network (columns of :data:`YEAR_MEASURES`, indexed by adcode).

    ``mass`` is each county's economic mass by adcode (the plan's industry table). A hub kind the layers lack
    that year gives NaN. The seat-to-seat ODs run on ``engine``
    (:func:`spatial_planner.analysis.accessibility.resolve_engine`).
    """
    seats = _seats(layers)
    codes = seats.index
    times, _ = hub_times(net, layers, ["hsr", "airport"])
    times.index = layers["counties"]["adcode"].astype(str).to_numpy()
    out = pd.DataFrame(index=codes)
    for kind in ("hsr", "airport"):
        col = f"min_to_{kind}"
        out[f"to_{kind}"] = times[col].reindex(codes).to_numpy() if col in times else np.nan
    pts = seats[["geometry"]].assign(id=codes.to_numpy())
    road = od_wide(od_matrix(net, pts, mode="road", id_col="id", with_km=False, engine=engine))
    rail = od_wide(od_matrix(net, pts, mode="rail", id_col="id", with_km=False, engine=engine))
    best = np.fmin(road.reindex(index=codes, columns=codes).to_numpy(), rail.reindex(index=codes,
                                                                                     columns=codes).to_numpy())
    best = pd.DataFrame(best, index=codes, columns=codes)
    pref_seat = seats.loc[seats["is_prefecture_seat"].astype(bool)]
    seat_of = dict(zip(pref_seat["prefecture_adcode"].astype(str), pref_seat.index))
    target = seats["prefecture_adcode"].astype(str).map(seat_of)
    out["to_prefecture"] = [best.at[c, t] if isinstance(t, str) else np.nan for c, t in zip(codes, target)]
    out["potential"] = gravity_potential(best, mass.reindex(codes).fillna(0.0), half_life=half_life,
                                         include_self=False, kind=decay).reindex(codes).to_numpy()
    return out


def year_gains(by_year: dict[int, pd.DataFrame], names: pd.DataFrame) -> pd.DataFrame:
    """The years side by side and the gains from the first year to the last.

    Parameters
    ----------
    by_year
        Year → :func:`county_access_of_year` table.
    names
        ``name_zh`` and ``prefecture_zh`` by adcode.

    Returns
    -------
    pandas.DataFrame
        ``adcode``, ``name_zh``, ``prefecture_zh``, ``<measure>_<year>`` for each year, ``<measure>_saved``
        (minutes, first − last) and ``potential_gain_pct``; ranked by the potential's gain.
    """
    years = sorted(by_year)
    first, last = by_year[years[0]], by_year[years[-1]]
    out = names.reindex(first.index)[["name_zh", "prefecture_zh"]].copy()
    for col, (_, _, kind) in YEAR_MEASURES.items():
        for y in years:
            out[f"{col}_{y}"] = by_year[y][col].round(2)
        if kind == "minutes":
            out[f"{col}_saved"] = (first[col] - last[col]).round(2)
    out["potential_gain_pct"] = ((last["potential"] / first["potential"] - 1.0) * 100.0).round(2)
    out = out.sort_values("potential_gain_pct", ascending=False, kind="stable")
    return out.reset_index(names="adcode")
