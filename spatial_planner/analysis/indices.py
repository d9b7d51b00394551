"""Industrial-structure indices: LQ, specialisation, similarity, inequality, land productivity.

Every function takes a county × sector table (or a value Series) and returns
tables aligned on its index. The table comes from user statistics when they
exist (:func:`industry_table_from_csv`) or from the documented park proxy
(:func:`industry_table_from_parks`); the result carries ``attrs["provenance"]``
(``"statistics"`` or ``"proxy"``) and every output built from it says which.

The park proxy
--------------
A park's *mass* is its area (stated ``area_km2``, else its footprint) times a
level factor (:data:`LEVEL_FACTOR`: national 2.0, provincial 1.0, municipal
0.6). The mass is split over its 1–3 leading sectors with fixed shares
(:data:`SECTOR_SHARES`: one sector 1.0; two 0.6/0.4; three 0.5/0.3/0.2). A
county's value in a sector is the sum over its parks. It measures where
designated industrial land is concentrated by sector, not output.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import DataFileError, MissingColumnError
from ..crs import projected_crs_for
from ..io.readers import read_table

__all__ = [
    "LEVEL_FACTOR",
    "SECTOR_SHARES",
    "DEFAULT_AREA_KM2",
    "park_mass",
    "park_sectors",
    "industry_table_from_parks",
    "IndustryTable",
    "industry_table",
    "industry_table_from_csv",
    "location_quotient",
    "krugman_specialisation",
    "cosine_similarity",
    "krugman_dissimilarity",
    "isomorphism_pairs",
    "theil",
    "gini",
    "SECTOR_INTENSITY",
    "PRODUCTIVITY_FLOOR",
    "land_productivity",
    "neighbour_pairs",
    "national_zones",
    "concentration",
]

LEVEL_FACTOR = {"national": 2.0, "provincial": 1.0, "municipal": 0.6}
SECTOR_SHARES = {1: (1.0,), 2: (0.6, 0.4), 3: (0.5, 0.3, 0.2)}
#: Area assumed for a park whose source gives none (km²), by level.
DEFAULT_AREA_KM2 = {"national": 20.0, "provincial": 10.0, "municipal": 5.0}


def _sectors(value: str) -> list[str]:
    return [s.strip() for s in str(value or "").split(";") if s.strip()]


def park_mass(parks: pd.DataFrame) -> pd.Series:
    """Proxy mass of each park: area (stated, else footprint, else level default) × level factor."""
    area = pd.to_numeric(parks.get("area_km2"), errors="coerce")
    if "footprint_km2" in parks:
        area = area.fillna(pd.to_numeric(parks["footprint_km2"], errors="coerce"))
    area = area.fillna(parks["level"].map(DEFAULT_AREA_KM2)).fillna(5.0)
    factor = parks["level"].map(LEVEL_FACTOR).fillna(1.0)
    return (area * factor).rename("mass")


def park_sectors(parks: pd.DataFrame, *, by: str = "county_adcode") -> pd.DataFrame:
    """Each park's proxy mass split over its 1–3 leading sectors (:data:`SECTOR_SHARES`).

    Returns
    -------
    pandas.DataFrame
        One row per park and sector: ``park_id``, ``by`` (the county), ``sector``, ``mass``.
    """
    mass = park_mass(parks)
    ids = parks["park_id"].astype(str) if "park_id" in parks else pd.Series(parks.index.astype(str), index=parks.index)
    rows = []
    for pid, key, sectors, m in zip(ids, parks[by].astype(str), parks["sectors"], mass):
        secs = _sectors(sectors)[:3]
        for s, share in zip(secs, SECTOR_SHARES.get(len(secs), ())):
            rows.append((pid, key, s, m * share))
    return pd.DataFrame(rows, columns=["park_id", by, "sector", "mass"])


def _pivot(long: pd.DataFrame, by: str, index: pd.Index | None) -> pd.DataFrame:
    table = long.pivot_table(index=by, columns="sector", values="mass", aggfunc="sum", fill_value=0.0)
    if index is not None:
        table = table.reindex(index.astype(str), fill_value=0.0)
    table = table.sort_index(axis=1)
    table.columns.name = "sector"
    return table


def industry_table_from_parks(parks: pd.DataFrame, *, by: str = "county_adcode",
                              index: pd.Index | None = None) -> pd.DataFrame:
    """County (or other unit) × sector proxy table from park areas, levels and sectors.

    Parameters
    ----------
    parks
        Parks with ``level``, ``sectors`` and ``by`` columns (``area_km2`` /
        ``footprint_km2`` when known).
    by
        Column to aggregate by (``county_adcode``, ``prefecture_zh``, ``park_id`` ...).
    index
        Rows to report (e.g. all 157 counties, with zeros where no park lies).

    Returns
    -------
    pandas.DataFrame
        Rows × sectors, ``attrs["provenance"] = "proxy"``.
    """
    table = _pivot(park_sectors(parks, by=by), by, index)
    table.attrs["provenance"] = "proxy"
    return table


@dataclass
class IndustryTable:
    """The one industry table of a plan: county × sector values and each park's part of them.

    Every score reads it: the indices and growth poles the county table, belts
    and clusters the parks' sector masses, the seats' access to parks the
    parks' totals. With statistics (:func:`industry_table_from_csv`) the
    county values are the published ones and each park gets the share of its
    county's value in a sector that its proxy mass has among the county's parks
    of that sector; without, everything is the park proxy.

    Attributes
    ----------
    counties
        County × sector values, ``attrs["provenance"]`` ``"statistics"`` or ``"proxy"``.
    parks
        One row per park and sector: ``park_id, county_adcode, sector, mass``.
    park_mass
        Each park's mass over its sectors, indexed by ``park_id`` (every park).
    """

    counties: pd.DataFrame
    parks: pd.DataFrame
    park_mass: pd.Series
    weight: pd.Series | None = None

    @property
    def provenance(self) -> str:
        return self.counties.attrs.get("provenance", "proxy")

    @property
    def mass(self) -> pd.Series:
        """Each county's economic mass: its published (or estimated) total when the statistics give totals,
        else its total over all sectors."""
        if self.weight is not None:
            return self.weight.rename("mass")
        return self.counties.sum(axis=1).rename("mass")


def industry_table(parks: pd.DataFrame, counties: pd.Index, statistics: str | os.PathLike | pd.DataFrame | None = None
                   ) -> IndustryTable:
    """Build the plan's :class:`IndustryTable` from the parks, and from county statistics when given.

    Parameters
    ----------
    parks
        Parks with ``park_id, county_adcode, level, sectors`` (and areas).
    counties
        The adcodes of every county of the study area (rows of the table).
    statistics
        A CSV path (see :func:`industry_table_from_csv`) or a county × sector
        table; ``None`` or ``""`` means the park proxy.
    """
    codes = pd.Index(counties).astype(str)
    ids = parks["park_id"].astype(str)
    long = park_sectors(parks)
    if statistics is None or (isinstance(statistics, str) and not statistics):
        table = _pivot(long, "county_adcode", codes)
        table.attrs["provenance"] = "proxy"
        return IndustryTable(table, long, pd.Series(park_mass(parks).to_numpy(), index=ids, name="mass"))
    stats = statistics if isinstance(statistics, pd.DataFrame) else industry_table_from_csv(statistics)
    weight = None
    if stats.attrs.get("kind") == "totals":
        # one total per county (value added): its sector shares are those of its parks (none without parks)
        weight = stats.iloc[:, 0].astype(float).reindex(codes, fill_value=0.0).rename("mass")
        proxy = _pivot(long, "county_adcode", codes)
        shares = proxy.div(proxy.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(0.0)
        stats = shares.mul(weight, axis=0)
    table = stats.reindex(codes, fill_value=0.0)
    table.attrs["provenance"] = "statistics"
    proxy = long.groupby(["county_adcode", "sector"])["mass"].transform("sum").to_numpy()
    stat = np.array([float(table.at[c, s]) if s in table.columns and c in table.index else 0.0
                     for c, s in zip(long["county_adcode"], long["sector"])])
    long = long.assign(mass=np.where(proxy > 0, long["mass"].to_numpy() * stat / np.where(proxy > 0, proxy, 1), 0.0))
    totals = long.groupby("park_id")["mass"].sum().reindex(ids, fill_value=0.0)
    return IndustryTable(table, long, pd.Series(totals.to_numpy(), index=ids, name="mass"), weight)


#: Columns of county totals a statistics table may give, in order of preference.
TOTAL_COLUMNS = ("secondary_100m_yuan", "gdp_100m_yuan")


def industry_table_from_csv(path, *, key: str = "adcode") -> pd.DataFrame:
    """County × sector table from user statistics (CSV, UTF-8 or GBK).

    Accepts a wide table (``adcode`` plus one column per sector code), a long
    one (``adcode, sector, value``), or county totals: ``adcode`` with
    ``secondary_100m_yuan`` (secondary-industry value added) or
    ``gdp_100m_yuan`` (the first found is used; other columns are ignored),
    which the parks' sectors split (``attrs["kind"] == "totals"``).
    """
    df = path if isinstance(path, pd.DataFrame) else read_table(path)
    if key not in df.columns:
        raise MissingColumnError([key], layer=str(path), available=list(df.columns))
    df = df.copy()
    df[key] = df[key].astype(str).str.strip()
    total_col = next((c for c in TOTAL_COLUMNS if c in df.columns), None)
    if total_col is not None:
        values = pd.to_numeric(df[total_col], errors="coerce")
        bad = df.loc[values.isna() | (values < 0), key].tolist()
        if bad:
            raise DataFileError(f"non-numeric, empty or negative {total_col} for {bad[:5]}", layer=str(path),
                                fix=f"give every county a {total_col} ≥ 0.")
        table = pd.DataFrame({total_col: values.to_numpy()}, index=df[key])
        table.attrs.update(provenance="statistics", kind="totals")
        return table
    if {"sector", "value"} <= set(df.columns):
        df["value"] = pd.to_numeric(df["value"], errors="coerce")
        table = df.pivot_table(index=key, columns="sector", values="value", aggfunc="sum", fill_value=0.0)
    else:
        table = df.set_index(key).apply(pd.to_numeric, errors="coerce")
    bad = table.columns[table.isna().any()].tolist()
    if bad or (table < 0).any().any():
        raise DataFileError(f"non-numeric, empty or negative values in sector column(s) {bad or list(table.columns)}",
                            layer=str(path), fix="fill every sector value with a number ≥ 0 (0 where none).")
    table.attrs["provenance"] = "statistics"
    return table


def location_quotient(table: pd.DataFrame) -> pd.DataFrame:
    """LQ_ij = (e_ij / e_i) / (E_j / E); rows with no activity give 0."""
    e = table.to_numpy(float)
    row = e.sum(axis=1, keepdims=True)
    col = e.sum(axis=0, keepdims=True)
    total = e.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = (e / row) / (col / total)
    out = pd.DataFrame(np.nan_to_num(lq, nan=0.0, posinf=0.0), index=table.index, columns=table.columns)
    out.attrs.update(table.attrs)
    return out


def _shares(table: pd.DataFrame) -> np.ndarray:
    e = table.to_numpy(float)
    row = e.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nan_to_num(e / row)


def krugman_specialisation(table: pd.DataFrame) -> pd.Series:
    """Krugman specialisation index K_i = Σ_j |s_ij − s_j^(−i)|, against the rest of the region (0–2)."""
    e = table.to_numpy(float)
    s = _shares(table)
    rest = e.sum(axis=0, keepdims=True) - e
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.nan_to_num(rest / rest.sum(axis=1, keepdims=True))
    k = np.abs(s - r).sum(axis=1)
    k[e.sum(axis=1) == 0] = np.nan
    return pd.Series(k, index=table.index, name="krugman_specialisation")


def cosine_similarity(table: pd.DataFrame) -> pd.DataFrame:
    """UNIDO structural-similarity coefficient: cosine of the sector vectors (1 identical, 0 orthogonal)."""
    e = table.to_numpy(float)
    norm = np.sqrt((e * e).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        sim = (e @ e.T) / np.outer(norm, norm)
    sim = np.nan_to_num(sim)
    return pd.DataFrame(sim, index=table.index, columns=table.index)


def krugman_dissimilarity(table: pd.DataFrame) -> pd.DataFrame:
    """Pairwise Krugman dissimilarity Σ_k |s_ik − s_jk| (0 identical structure, 2 no overlap)."""
    s = _shares(table)
    d = np.abs(s[:, None, :] - s[None, :, :]).sum(axis=2)
    return pd.DataFrame(d, index=table.index, columns=table.index)


def isomorphism_pairs(
    seats: gpd.GeoDataFrame,
    similarity: pd.DataFrame,
    *,
    threshold: float = 0.9,
    neighbours: set[tuple[str, str]] | None = None,
    times: pd.DataFrame | None = None,
    max_minutes: float = 60.0,
    id_col: str = "adcode",
    dissimilarity: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """产业同构: pairs of neighbouring (or close) counties whose structures are at least ``threshold`` similar.

    Parameters
    ----------
    seats
        County seats (points) with ``id_col`` and ``name_zh``.
    similarity
        Square similarity matrix (:func:`cosine_similarity`).
    neighbours
        Unordered pairs ``(a, b)`` with ``a < b`` that share a border.
    times
        Square minutes matrix; pairs within ``max_minutes`` also count.

    Returns
    -------
    geopandas.GeoDataFrame
        One line between the two seats per pair: ``a, b, name_a, name_b,
        similarity, krugman_dissimilarity, relation`` (neighbour / within T).
    """
    from shapely.geometry import LineString

    pts = seats.set_index(seats[id_col].astype(str))
    ids = [i for i in similarity.index.astype(str) if i in pts.index]
    sim = similarity.loc[ids, ids].to_numpy()
    rows = []
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            a, b = ids[i], ids[j]
            if sim[i, j] < threshold:
                continue
            relation = []
            if neighbours is not None and (min(a, b), max(a, b)) in neighbours:
                relation.append("neighbour")
            if times is not None and a in times.index and b in times.columns and times.loc[a, b] <= max_minutes:
                relation.append(f"within {max_minutes:g} min")
            if not relation:
                continue
            rows.append({
                "a": a, "b": b, "name_a": pts.loc[a, "name_zh"], "name_b": pts.loc[b, "name_zh"],
                "similarity": round(float(sim[i, j]), 4),
                "krugman_dissimilarity": None if dissimilarity is None else round(float(dissimilarity.loc[a, b]), 4),
                "relation": "; ".join(relation),
                "geometry": LineString([pts.loc[a].geometry, pts.loc[b].geometry]),
            })
    cols = ["a", "b", "name_a", "name_b", "similarity", "krugman_dissimilarity", "relation", "geometry"]
    return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=seats.crs)


def theil(values: pd.Series, groups: pd.Series | None = None) -> dict[str, float]:
    """Theil T index of a non-negative factor, split into between- and within-group parts.

    ``T = (1/n) Σ (y_i/μ) ln(y_i/μ)`` (0·ln 0 = 0). With groups (e.g. the
    prefecture of each county), ``T = T_between + T_within`` where
    ``T_between = Σ_g (n_g/n)(μ_g/μ) ln(μ_g/μ)`` and
    ``T_within = Σ_g (n_g/n)(μ_g/μ) T_g``.

    Returns
    -------
    dict
        ``total``, and with groups ``between``, ``within`` and ``between_share``.
    """
    y = pd.to_numeric(values, errors="coerce").astype(float)
    if y.isna().any() or (y < 0).any():
        raise ValueError("Theil index needs non-negative numbers without gaps")
    mu = y.mean()
    if mu == 0:
        return {"total": 0.0, "between": 0.0, "within": 0.0, "between_share": 0.0}

    def t_of(v: np.ndarray) -> float:
        m = v.mean()
        if m == 0:
            return 0.0
        r = v / m
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(r > 0, r * np.log(r), 0.0)
        return float(terms.mean())

    total = t_of(y.to_numpy())
    out = {"total": total}
    if groups is not None:
        n = len(y)
        between = within = 0.0
        for _, idx in y.groupby(groups.reindex(y.index)).groups.items():
            v = y.loc[idx].to_numpy()
            w = len(v) / n * (v.mean() / mu)
            if v.mean() > 0:
                between += w * math.log(v.mean() / mu)
            within += w * t_of(v)
        out.update(between=between, within=within, between_share=between / total if total else 0.0)
    return out


def gini(values: pd.Series) -> float:
    """Gini coefficient of a non-negative factor (0 equal, → 1 concentrated in one unit)."""
    y = np.sort(pd.to_numeric(values, errors="coerce").astype(float).to_numpy())
    if len(y) == 0 or y.sum() == 0:
        return 0.0
    n = len(y)
    cum = np.cumsum(y)
    return float((n + 1 - 2 * (cum.sum() / cum[-1])) / n)


#: Assumed output intensity by sector (亿元 per km² of industrial land) for the productivity proxy.
#: Round figures of the order Chinese development zones report; replace them with statistics when you have them.
SECTOR_INTENSITY = {
    "electronics": 120.0, "auto": 90.0, "equipment": 70.0, "biomedicine": 80.0, "new_materials": 60.0,
    "new_energy": 70.0, "aviation": 80.0, "chemicals": 50.0, "metals": 45.0, "food": 50.0, "textiles": 35.0,
    "light_industry": 35.0, "building_materials": 30.0, "energy_saving": 45.0, "logistics": 25.0,
}
#: Productivity below which a park of a level is flagged (亿元/km²).
PRODUCTIVITY_FLOOR = {"national": 60.0, "provincial": 40.0, "municipal": 25.0}


def land_productivity(parks: pd.DataFrame, output: pd.Series | None = None, *,
                      intensity: dict[str, float] | None = None,
                      floor: dict[str, float] | None = None) -> pd.DataFrame:
    """Land productivity of parks (output per km²) and a flag for low productivity against the park's level.

    Parameters
    ----------
    parks
        Parks with ``park_id``, ``level``, ``sectors``, ``area_km2``/``footprint_km2``.
    output
        Output (亿元) per ``park_id`` from statistics. Without it a proxy is
        used: the sector-share-weighted :data:`SECTOR_INTENSITY`, lowered for
        parks whose stated area is far larger than the typical area of their
        level (sprawl dilutes output per km²: factor ``min(1, (typical/stated)^0.25)``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``park_id``: ``productivity``, ``floor``, ``low_productivity``, ``provenance``.
    """
    intensity = intensity or SECTOR_INTENSITY
    floor = floor or PRODUCTIVITY_FLOOR
    ids = parks["park_id"].astype(str)
    area = pd.to_numeric(parks.get("area_km2"), errors="coerce")
    if "footprint_km2" in parks:
        area = area.fillna(pd.to_numeric(parks["footprint_km2"], errors="coerce"))
    if output is not None:
        out = output.reindex(ids).to_numpy(float)
        prod = out / area.to_numpy(float)
        provenance = "statistics"
    else:
        base = []
        for secs in parks["sectors"]:
            ss = _sectors(secs)[:3]
            shares = SECTOR_SHARES.get(len(ss), (1.0,))
            base.append(sum(intensity.get(s, 40.0) * w for s, w in zip(ss, shares)))
        typical = parks["level"].map(DEFAULT_AREA_KM2).fillna(5.0).to_numpy(float)
        stated = pd.to_numeric(parks.get("area_km2"), errors="coerce").to_numpy(float)
        sprawl = np.where(np.isfinite(stated) & (stated > 0), np.minimum(1.0, (typical / stated) ** 0.25), 1.0)
        prod = np.asarray(base) * sprawl
        provenance = "proxy"
    fl = parks["level"].map(floor).fillna(min(floor.values())).to_numpy(float)
    return pd.DataFrame({"productivity": np.round(prod, 2), "floor": fl, "low_productivity": prod < fl,
                         "provenance": provenance}, index=pd.Index(ids, name="park_id"))


def neighbour_pairs(counties: gpd.GeoDataFrame, *, min_shared_m: float = 200.0, crs=None) -> set[tuple[str, str]]:
    """Unordered ``(a, b)`` adcode pairs (``a < b``) of counties sharing at least ``min_shared_m`` of border.

    Borders are measured in ``crs`` (a metric CRS; chosen for the counties' extent when omitted).
    """
    c = counties.to_crs(crs or projected_crs_for(tuple(counties.to_crs(4490).total_bounds))).reset_index(drop=True)
    geoms = c.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    out = set()
    codes = c["adcode"].astype(str).to_numpy()
    for i, j in zip(left, right):
        if i < j:
            shared = shapely.intersection(shapely.boundary(geoms[i]), shapely.boundary(geoms[j]))
            if shared.length >= min_shared_m:
                out.add((min(codes[i], codes[j]), max(codes[i], codes[j])))
    return out


def national_zones(parks: pd.DataFrame, counties: pd.Index) -> pd.Series:
    """Number of national-level parks in each county."""
    nat = parks[parks["level"] == "national"]
    return nat.groupby(nat["county_adcode"].astype(str)).size().reindex(counties, fill_value=0)


def concentration(factors: dict[str, pd.Series], groups: pd.Series) -> dict[str, dict]:
    """Where high-end resources concentrate: Theil (total, between and within ``groups``), Gini and the top 3 groups.

    Parameters
    ----------
    factors
        Name → value per county (e.g. ``mass``, ``advanced_mass``, ``national_zones``).
    groups
        The group (prefecture) of each county.
    """
    out = {}
    for name, values in factors.items():
        th = theil(values, groups)
        by_group = values.groupby(groups).sum().sort_values(ascending=False)
        out[name] = {"theil": round(th["total"], 4), "theil_between_prefectures": round(th["between"], 4),
                     "theil_within_prefectures": round(th["within"], 4), "gini_counties": round(gini(values), 4),
                     "top3_prefecture_share": round(float(by_group.head(3).sum() / max(by_group.sum(), 1e-12)), 4),
                     "top3_prefectures": list(by_group.head(3).index)}
    return out
