"""The one palette: plan colours that no context layer uses, muted context, ordered ramps that stay ordered in
lightness (readable without hue), and names legible in any sector's colour."""

import colorsys

import numpy as np
import pytest

from spatial_planner.io import read_sectors
from spatial_planner.symbology import (
    COUNTY_STYLE,
    HUB_STYLE,
    ISOMORPHISM_STYLE,
    MAP_PANES,
    MULTI_SECTOR_COLOUR,
    PREFECTURE_STYLE,
    PRIORITY_STYLE,
    RAIL_STYLE,
    ROAD_STYLE,
    STATION_COLOURS,
    STRENGTH_STYLE,
    TIER_STYLE,
    text_colour,
)


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)], dtype=float) / 255.0


def _lab(hex_colour: str) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour."""
    c = _rgb(hex_colour)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ lin
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _luminance(hex_colour: str) -> float:
    c = _rgb(hex_colour)
    lin = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(lin @ np.array([0.2126, 0.7152, 0.0722]))


CONTEXT = {f"rail {k}": v[0] for k, v in RAIL_STYLE.items()} | {f"road {k}": v[0] for k, v in ROAD_STYLE.items()} \
    | {f"hub {k}": v for k, v in HUB_STYLE.items()} | {f"station {k}": v for k, v in STATION_COLOURS.items()} \
    | {"county fill": COUNTY_STYLE["fillColor"], "county line": COUNTY_STYLE["color"],
       "prefecture line": PREFECTURE_STYLE["color"]}


def _plan() -> dict[str, str]:
    sectors = read_sectors()
    return {f"tier {k}": v[0] for k, v in TIER_STYLE.items() if k != "县级"} \
        | {f"sector {c}": col for c, col in zip(sectors["code"], sectors["color"])} \
        | {"multi-sector belt": MULTI_SECTOR_COLOUR, "priority link": PRIORITY_STYLE["color"],
           "same-structure pair": ISOMORPHISM_STYLE["color"]} \
        | {f"linkage {k}": v[0] for k, v in STRENGTH_STYLE.items() if k in ("强", "较强")}


def test_no_plan_colour_is_a_context_colour():
    close = [(p, c, round(float(np.linalg.norm(_lab(pv) - _lab(cv))), 1))
             for p, pv in _plan().items() for c, cv in CONTEXT.items()
             if np.linalg.norm(_lab(pv) - _lab(cv)) < 20]
    assert close == [], close  # ΔE76 < 20: a reader could take one for the other


def test_context_is_grey_or_muted():
    for name, colour in CONTEXT.items():
        _, s, _ = colorsys.rgb_to_hsv(*_rgb(colour))
        assert s <= 0.45, (name, colour, round(s, 2))


@pytest.mark.parametrize("ramp", [[v[0] for v in TIER_STYLE.values()], [v[0] for v in STRENGTH_STYLE.values()]],
                         ids=["tiers", "linkage strength"])
def test_ordered_classes_are_ordered_in_lightness(ramp):
    lightness = [_lab(c)[0] for c in ramp]  # the first class (national tier, strongest link) darkest
    assert lightness == sorted(lightness) and min(np.diff(lightness)) > 8, lightness


def test_the_busiest_plan_colours_are_told_apart():
    plan = {"national tier": TIER_STYLE["国家级"][0], "priority link": PRIORITY_STYLE["color"],
            "strong linkage": STRENGTH_STYLE["强"][0], "fairly strong linkage": STRENGTH_STYLE["较强"][0]} | {f"sector {c}": col for c, col in
                                                         zip(read_sectors()["code"], read_sectors()["color"])}
    names = sorted(plan)
    close = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
             if np.linalg.norm(_lab(plan[a]) - _lab(plan[b])) < 15]
    assert close == [], close


@pytest.mark.parametrize("colour", ["#f7b6d2", "#e6ab02", "#98df8a", "#aec7e8", "#ffffff", "#1f77b4"])
def test_names_in_a_sector_colour_are_legible(colour):
    text = text_colour(colour)
    assert (1.05) / (_luminance(text) + 0.05) >= 4.0  # contrast with white
    if _luminance(colour) <= 0.2:
        assert text == colour  # dark colours are kept as they are


def test_panes_stack_by_kind():
    order = ["fills", "rasters", "context", "belts", "links", "points", "labels"]
    assert list(MAP_PANES) == order and list(MAP_PANES.values()) == sorted(MAP_PANES.values())
    assert MAP_PANES["labels"] < 650  # below tooltips and popups
