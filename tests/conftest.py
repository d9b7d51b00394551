"""Shared fixtures: the built-in Henan layers (read once) and small user-format files."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from spatial_planner.io import load_henan


@pytest.fixture(scope="session")
def henan():
    """All built-in Henan layers, validated once."""
    from spatial_planner.validate import validate_layers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return validate_layers(load_henan()).layers


@pytest.fixture
def parks_gdf():
    """Three small parks in Zhengzhou with Chinese attributes (EPSG:4490)."""
    polys = [
        Polygon([(113.70, 34.70), (113.72, 34.70), (113.72, 34.72), (113.70, 34.72)]),
        Polygon([(113.60, 34.80), (113.63, 34.80), (113.63, 34.82), (113.60, 34.82)]),
        Polygon([(113.80, 34.50), (113.84, 34.50), (113.84, 34.53), (113.80, 34.53)]),
    ]
    return gpd.GeoDataFrame(
        {
            "park_id": ["T1", "T2", "T3"],
            "name_zh": ["郑州测试经开区", "惠济测试园区", "航空港测试园"],
            "level": ["national", "provincial", "municipal"],
            "sectors": ["auto;equipment", "food", "electronics;aviation"],
            "area_km2": [4.4, 6.1, 13.2],
        },
        geometry=polys,
        crs="EPSG:4490",
    )


@pytest.fixture
def point_in_henan():
    return Point(113.65, 34.76)
