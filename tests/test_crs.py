import numpy as np
import pytest
from pyproj import CRS

from spatial_planner.crs import gcj02_to_wgs84, gk3_zone_crs, projected_crs_for, wgs84_to_gcj02

# Published WGS84 → GCJ-02 reference pairs (Tiananmen, Beijing; Guangzhou railway station area).
REFERENCE = [
    ((116.3975, 39.9087), (116.403743, 39.910103)),
    ((113.2466, 23.1291), (113.251923, 23.126419)),
]


@pytest.mark.parametrize("wgs,gcj", REFERENCE)
def test_gcj02_matches_published_offsets(wgs, gcj):
    x, y = wgs84_to_gcj02(*wgs)
    assert abs(x - gcj[0]) < 2e-6 and abs(y - gcj[1]) < 2e-6


def test_gcj02_shift_size_in_henan():
    # In Zhengzhou the shift is a few hundred metres, mostly eastwards.
    x, y = wgs84_to_gcj02(113.65, 34.75)
    dx_m = (x - 113.65) * 111_320 * np.cos(np.radians(34.75))
    dy_m = (y - 34.75) * 110_574
    assert 450 < dx_m < 650
    assert -250 < dy_m < 0


def test_gcj02_inverse_round_trip():
    rng = np.random.default_rng(1)
    lon = rng.uniform(110.3, 116.7, 500)
    lat = rng.uniform(31.3, 36.4, 500)
    glon, glat = wgs84_to_gcj02(lon, lat)
    blon, blat = gcj02_to_wgs84(glon, glat)
    assert np.max(np.abs(blon - lon)) < 1e-8
    assert np.max(np.abs(blat - lat)) < 1e-8


def test_gcj02_leaves_points_outside_china():
    x, y = wgs84_to_gcj02(-121.9, 37.3)
    assert x == -121.9 and y == 37.3


def test_projected_crs_henan_is_gauss_kruger_114():
    assert projected_crs_for((110.35, 31.38, 116.65, 36.37)) == CRS.from_epsg(4547)


def test_projected_crs_wide_area_is_albers_and_abroad_is_utm():
    wide = projected_crs_for((100.0, 25.0, 120.0, 40.0))
    assert "Albers" in wide.to_wkt() and wide.is_projected
    assert projected_crs_for((2.0, 48.0, 3.0, 49.0)) == CRS.from_epsg(32631)


def test_gk_zone_bounds():
    assert gk3_zone_crs(111.4) == CRS.from_epsg(4546)
    with pytest.raises(ValueError):
        gk3_zone_crs(60.0)
