"""Integrity of the built-in Henan dataset (gis_data/henan)."""

import json

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree

from spatial_planner.crs import projected_crs_for
from spatial_planner.io import builtin_dir, read_sectors
from spatial_planner.schema import SCHEMAS

METRIC = "EPSG:4547"


def test_counts(henan):
    assert len(henan["counties"]) == 157
    assert len(henan["prefectures"]) == 18
    assert len(henan["seats"]) == 157
    assert len(henan["parks"]) >= 60
    assert henan["counties"]["adcode"].str.match(r"^41\d{4}$").all()
    assert set(henan["counties"]["prefecture_adcode"]) == set(henan["prefectures"]["adcode"])
    assert "济源市" in set(henan["prefectures"]["name_zh"])


def test_all_layers_in_cgcs2000(henan):
    for name, gdf in henan.items():
        assert gdf.crs.to_epsg() == 4490, name


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_no_duplicate_ids(henan, name):
    ids = henan[name][SCHEMAS[name].id_column]
    assert ids.is_unique, ids[ids.duplicated()].tolist()


def test_counties_cover_the_province_without_gaps_or_overlaps(henan):
    counties = henan["counties"].to_crs(METRIC)
    province = henan["boundary"].to_crs(METRIC).geometry.iloc[0]
    union = shapely.union_all(counties.geometry.values)
    tol_km2 = 1.0  # slivers below 1 km² in all are tolerated
    assert shapely.difference(province, union).area / 1e6 < tol_km2
    assert shapely.difference(union, province).area / 1e6 < tol_km2
    assert abs(counties.area.sum() - province.area) / 1e6 < tol_km2  # no overlaps either
    assert 160_000 < province.area / 1e6 < 170_000  # Henan is about 167 000 km²


def test_every_seat_inside_its_own_county(henan):
    counties = henan["counties"].set_index("adcode")
    seats = henan["seats"]
    inside = shapely.contains(counties.geometry.loc[seats["adcode"]].values, seats.geometry.values)
    assert inside.all(), seats.loc[~inside, "name_zh"].tolist()


def test_seats_are_gcj02_corrected(henan):
    # Zhengzhou's Zhongyuan district government: the source gives GCJ-02 (113.613337, 34.748256);
    # the stored seat must sit about 560 m west of it, where the inverse shift puts it.
    s = henan["seats"].set_index("adcode").to_crs(METRIC).geometry["410102"]
    raw = gpd.GeoSeries.from_xy([113.613337], [34.748256], crs=4490).to_crs(METRIC).iloc[0]
    assert 450 < raw.x - s.x < 650
    assert 480 < s.distance(raw) < 680


def test_prefecture_seats_one_per_prefecture(henan):
    seats = henan["seats"]
    flagged = seats[seats["is_prefecture_seat"]]
    assert len(flagged) == 18
    assert set(flagged["prefecture_adcode"]) == set(henan["prefectures"]["adcode"])


def test_every_park_inside_its_county(henan):
    counties = henan["counties"].set_index("adcode").to_crs(METRIC)
    parks = henan["parks"].to_crs(METRIC)
    poly = counties.geometry.loc[parks["county_adcode"]].values
    # footprints are clipped to their county: allow 1 m of rounding
    inside = shapely.covers(shapely.buffer(poly, 1.0), parks.geometry.values)
    assert inside.all(), parks.loc[~inside, "name_zh"].tolist()


def test_parks_cover_every_prefecture_and_all_national_zones(henan):
    parks = henan["parks"]
    assert set(parks["prefecture_zh"]) == set(henan["prefectures"]["name_zh"])
    national = parks[parks["level"] == "national"]
    names = " ".join(national["name_zh"])
    for city in ["郑州", "洛阳", "新乡", "开封", "漯河", "鹤壁", "濮阳", "许昌", "红旗渠", "安阳", "南阳", "平顶山", "焦作"]:
        assert city in names, city
    assert len(national[national["park_type"] == "高新区"]) >= 7
    assert (parks["geometry_quality"] == "schematic").all()


def test_park_sectors_from_the_vocabulary(henan):
    vocab = set(read_sectors()["code"])
    assert 12 <= len(vocab) <= 18
    used = {s for v in henan["parks"]["sectors"] for s in v.split(";")}
    assert used <= vocab
    assert (henan["parks"]["lead_sector"] == henan["parks"]["sectors"].str.split(";").str[0]).all()


def test_rail_and_road_classes(henan):
    rail = henan["rail_lines"]
    assert {"hsr", "conventional"} <= set(rail["rail_class"])
    assert set(rail["rail_class"]) <= {"hsr", "intercity", "conventional", "freight"}
    assert (rail["design_speed_kmh"] > 0).all()
    hsr = rail[rail["rail_class"] == "hsr"]
    assert len(hsr) >= 6 and (hsr["design_speed_kmh"] >= 250).all()
    roads = henan["roads"]
    assert {"expressway", "provincial_expressway", "arterial"} <= set(roads["road_class"])
    g = roads[roads["road_class"] == "expressway"]
    assert {"G4", "G30", "G45"} <= set(g["route_ref"])
    assert set(henan["stations"]["station_type"]) <= {"hsr", "conventional", "freight_terminal"}


def test_hubs_include_airport_and_china_europe_terminal(henan):
    hubs = henan["hubs"]
    assert "CGO" in set(hubs["iata"])
    assert {"airport", "china_europe_train", "river_port"} <= set(hubs["hub_type"])


def test_every_seat_reaches_every_other_over_roads(henan):
    """Each seat lies near a road, and the roads near the 157 seats are one connected network."""
    g = nx.Graph()
    for geom in henan["roads"].geometry:
        coords = [tuple(np.round(c, 6)) for c in geom.coords]
        g.add_edges_from(zip(coords[:-1], coords[1:]))
    nodes = list(g.nodes)
    tree = cKDTree(np.array(nodes))
    metric = henan["seats"].to_crs(METRIC)
    _, idx = tree.query(np.column_stack([henan["seats"].geometry.x, henan["seats"].geometry.y]))
    near = [nodes[i] for i in idx]
    foot = gpd.GeoSeries(gpd.points_from_xy(*np.array(near).T), crs=henan["seats"].crs).to_crs(METRIC)
    assert (foot.distance(metric.geometry, align=False) < 5000).all()
    comp = nx.node_connected_component(g, near[0])
    assert set(near) <= comp


def test_build_report_matches_the_layers(henan):
    report = json.loads((builtin_dir() / "build_report.json").read_text(encoding="utf-8"))
    for name, n in report["counts"].items():
        assert len(henan[name]) == n
    assert report["coverage"]["projected_crs"] == METRIC
    assert projected_crs_for(tuple(henan["boundary"].total_bounds)).to_string() == METRIC
