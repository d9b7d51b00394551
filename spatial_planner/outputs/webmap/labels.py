"""Names on the map: prefectures always, belts along their corridors, growth poles and counties from a zoom on.

Every name is a Leaflet marker in the ``labels`` pane. One script (:class:`Declutter`) shows them by priority
after each zoom or pan and hides a name whose box would overlap one already shown, so that names never pile
up; prefecture names are always shown.
"""

from __future__ import annotations

import html

import branca.element
import folium
import geopandas as gpd
from jinja2 import Template

from ...symbology import TIERS, text_colour
from .panes import pane_name
from .prepare import prepare_for_web

__all__ = ["Declutter", "LABEL_ZOOM", "add_belt_labels", "add_place_labels"]

#: The zoom from which each kind of name shows (the province fills the screen at about 7.5).
LABEL_ZOOM = {"prefecture": 0, "belt": 0, "国家级": 7, "省级": 8, "市级": 9, "县级": 9.5, "county": 9.5}
#: Priority of each kind of name when two would overlap (lower wins).
_PRIORITY = {"prefecture": 0, "国家级": 1, "belt": 2, "省级": 3, "市级": 4, "县级": 5, "county": 5}
#: Where along its line a belt's name sits first (fractions of its length); the declutter hides a name that
#: still overlaps another.
_BELT_AT = (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88)


class Declutter(branca.element.MacroElement):
    """The labels' style and the script that shows them by priority without overlaps (one per map)."""

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>
.sp-label { position: absolute; left: 0; top: 0; display: inline-block; white-space: nowrap; pointer-events: none; font-family: "Noto Sans CJK SC", "Microsoft YaHei",
            "PingFang SC", sans-serif; color: #333; transform: translate(-50%, -50%);
            text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff, 0 0 1px #fff; }
.sp-l-prefecture { font-size: 15px; font-weight: bold; color: #2b2b2b; letter-spacing: 1px; }
.sp-l-belt { font-size: 12px; font-weight: bold; }
.sp-l-pole { font-size: 12px; transform: translate(-50%, calc(-100% - 7px)); }
.sp-l-t0 { font-weight: bold; color: #67000d; font-size: 13px; }
.sp-l-t1 { font-weight: bold; color: #7f2704; }
.sp-l-t2, .sp-l-t3 { color: #444; font-size: 11px; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function() {
    var map = {{ this._parent.get_name() }};
    function overlaps(a, b) {
        return !(a.right + 2 < b.left || a.left - 2 > b.right || a.bottom + 1 < b.top || a.top - 1 > b.bottom);
    }
    function declutter() {
        var pane = map.getPane({{ this.pane|tojson }});
        if (!pane) { return; }
        var z = map.getZoom();
        var els = Array.prototype.slice.call(pane.querySelectorAll('.sp-label'));
        els.sort(function(a, b) { return Number(a.dataset.prio) - Number(b.dataset.prio); });
        var kept = [], named = {};
        els.forEach(function(el) { el.style.visibility = 'hidden'; });
        els.forEach(function(el) {
            if (z < Number(el.dataset.minzoom)) { return; }
            if (el.dataset.group && named[el.dataset.group]) { return; }  // one place per name
            var r = el.getBoundingClientRect();
            if (!r.width) { return; }
            if (el.dataset.always !== '1' && kept.some(function(k) { return overlaps(r, k); })) { return; }
            kept.push(r);
            if (el.dataset.group) { named[el.dataset.group] = true; }
            el.style.visibility = 'visible';
        });
    }
    var pending = null;
    function later() { if (pending) { clearTimeout(pending); } pending = setTimeout(declutter, 30); }
    map.on('zoomend moveend overlayadd overlayremove resize', later);
    map.whenReady(later);
    map._spDeclutter = declutter;
})();
{% endmacro %}
"""
    )

    def __init__(self):
        super().__init__()
        self._name = "Declutter"
        self.pane = pane_name("labels")


def _marker(lat: float, lon: float, text: str, *, kind: str, css: str = "", colour: str | None = None,
            always: bool = False, group: str = "", rank: float = 0.0) -> folium.Marker:
    """One name as a marker of the labels pane (not clickable). Markers of one ``group`` are alternative
    places for one name: the first that fits (lowest ``rank``, a fraction below 1) is shown."""
    style = f' style="color:{html.escape(colour, quote=True)}"' if colour else ""
    prio = _PRIORITY.get(kind, 9) + rank
    extra = f' data-group="{html.escape(group, quote=True)}"' if group else ""
    tag = (f'<div class="sp-label {css}" data-prio="{prio:g}" data-minzoom="{LABEL_ZOOM.get(kind, 9)}"'
           f' data-always="{int(always)}"{extra}{style}>{html.escape(text, quote=True)}</div>')
    return folium.Marker([lat, lon], icon=folium.DivIcon(html=tag, icon_size=(0, 0), icon_anchor=(0, 0),
                                                         class_name="sp-label-icon"),
                         pane=pane_name("labels"), interactive=False, keyboard=False)


def _ensure_declutter(m: folium.Map) -> None:
    if getattr(m, "_sp_declutter", None) is None:
        m._sp_declutter = Declutter()
        m._sp_declutter.add_to(m)


def add_place_labels(m: folium.Map, *, prefectures: gpd.GeoDataFrame | None = None,
                     places: gpd.GeoDataFrame | None = None, language: str = "zh", precision: int = 5,
                     gcj02: bool = False) -> list[folium.FeatureGroup]:
    """Prefecture names (always) and place names (growth poles by tier, or counties) as label layers.

    Parameters
    ----------
    prefectures
        Prefecture polygons (``name_zh``, ``name_en``); each name sits at a point inside its polygon.
    places
        Points to name: growth poles (with ``tier``: the higher the tier, the earlier the name shows) or
        county seats (no ``tier``: names from zoom :data:`LABEL_ZOOM` ``["county"]``).
    """
    field = "name_zh" if language == "zh" else "name_en"
    groups = []
    _ensure_declutter(m)
    if prefectures is not None and len(prefectures):
        pts = prepare_for_web(prefectures.assign(geometry=prefectures.to_crs(3857).representative_point()
                                                 .to_crs(prefectures.crs)), precision=precision, gcj02=gcj02)
        g = folium.FeatureGroup(name="地市名称" if language == "zh" else "Prefecture names", show=True)
        for text, pt in zip(pts[field].astype(str), pts.geometry):
            text = text.removesuffix(" City")  # "Luoyang", as English maps name a prefecture
            _marker(pt.y, pt.x, text, kind="prefecture", css="sp-l-prefecture", always=True).add_to(g)
        g.add_to(m)
        groups.append(g)
    if places is not None and len(places):
        pts = prepare_for_web(places, precision=precision, gcj02=gcj02)
        tiered = "tier" in pts.columns
        name = ("增长极名称（按层级逐级显示）" if tiered else "县区名称") if language == "zh" else \
            ("Growth-pole names (by tier)" if tiered else "County names")
        g = folium.FeatureGroup(name=name, show=True)
        order = pts.sort_values("tier", key=lambda t: t.map({t: i for i, t in enumerate(TIERS)})) if tiered else pts
        for rec, pt in zip(order.to_dict("records"), order.geometry):
            kind = rec["tier"] if tiered and rec.get("tier") in TIERS else "county"
            css = f"sp-l-pole sp-l-t{TIERS.index(kind) if kind in TIERS else 3}"
            _marker(pt.y, pt.x, str(rec[field]), kind=kind, css=css).add_to(g)
        g.add_to(m)
        groups.append(g)
    return groups


def add_belt_labels(m: folium.Map, belts: gpd.GeoDataFrame, *, colours: dict[str, str], language: str = "zh",
                    precision: int = 5, gcj02: bool = False) -> folium.FeatureGroup:
    """Each belt's name along its line, in its sector's colour: at the middle, else at the first of a few other
    places along the line where it overlaps no name shown before it, else hidden until a closer zoom."""
    _ensure_declutter(m)
    field = "name_zh" if language == "zh" else "name_en"
    group = folium.FeatureGroup(name="产业带名称" if language == "zh" else "Belt names", show=True)
    web = prepare_for_web(belts, precision=precision, gcj02=gcj02)
    for k, (rec, geom) in enumerate(zip(belts.to_dict("records"), web.geometry)):
        if geom is None or geom.is_empty:
            continue
        colour = text_colour(colours.get(rec["sector"], "#333333"))
        for i, t in enumerate(_BELT_AT):  # places along the line, belt by belt in rank order: the first that fits
            pt = geom.interpolate(t, normalized=True)
            _marker(pt.y, pt.x, str(rec[field]), kind="belt", css="sp-l-belt", colour=colour,
                    group=f"belt-{rec.get('belt_id', k)}", rank=(k * len(_BELT_AT) + i) / 10_000).add_to(group)
    group.add_to(m)
    return group
