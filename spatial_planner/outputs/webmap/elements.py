"""Map elements of our own (legends bound to layers, the indicator switch) and rendering a map to one HTML page."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import branca.element
import folium
import folium.plugins
from jinja2 import Template

from ..._errors import DataFileError
from .assets import assets_available, inline_assets

__all__ = ["Attribution", "FitStudyArea", "IndicatorSwitch", "Legend", "MapNote", "PlaceSearch", "render_html"]


class Legend(branca.element.MacroElement):
    """A legend bound to one overlay: shown while the overlay is on, hidden otherwise.

    All legends of a map share one scrollable panel (bottom right, at most 38 % of the window high, folded and
    unfolded by a click on its heading), so that however many layers are on, legends never cover the layer
    control.

    Parameters
    ----------
    layer
        The overlay (FeatureGroup, GeoJson, ImageOverlay, ...).
    title
        Legend title (escaped).
    items
        ``(colour, text, kind)`` rows; kind is ``"line"``, ``"dash"``, ``"point"``
        or ``"box"``. Text is escaped.
    position
        Kept for compatibility; the shared panel sits bottom right.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function() {
    var map = {{ this._parent.get_name() }};
    var layer = {{ this.layer.get_name() }};
    if (!map._spLegendBox) {
        var panel = L.control({position: 'bottomright'});
        panel.onAdd = function() {
            var d = L.DomUtil.create('div', 'sp-legend-box');
            d.style.cssText = 'background:rgba(255,255,255,.94);padding:4px 8px 6px;border-radius:4px;' +
                'box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.45 sans-serif;max-width:260px';
            var head = L.DomUtil.create('div', 'sp-legend-head', d);
            head.style.cssText = 'cursor:pointer;font-weight:bold;user-select:none;border-bottom:1px solid #ddd;' +
                'margin-bottom:3px';
            head.setAttribute('role', 'button');
            head.setAttribute('title', '点击收起/展开 Click to fold or unfold');
            head.textContent = '图例 Legend ▾';
            var body = L.DomUtil.create('div', 'sp-legend-body', d);
            body.style.cssText = 'max-height:38vh;overflow-y:auto';
            head.addEventListener('click', function() {
                var open = body.style.display !== 'none';
                body.style.display = open ? 'none' : '';
                head.textContent = open ? '图例 Legend ▸' : '图例 Legend ▾';
            });
            L.DomEvent.disableClickPropagation(d);
            L.DomEvent.disableScrollPropagation(d);
            return d;
        };
        panel.addTo(map);
        map._spLegendPanel = panel.getContainer();
        map._spLegendBox = map._spLegendPanel.querySelector('.sp-legend-body');
    }
    var div = document.createElement('div');
    div.className = 'sp-legend';
    div.setAttribute('data-layer', {{ this.title|tojson }});
    div.style.marginBottom = '6px';
    div.innerHTML = {{ this.html|tojson }};
    map._spLegendBox.insertBefore(div, map._spLegendBox.firstChild);  // newest (plan) layers on top
    function sync() {
        div.style.display = map.hasLayer(layer) ? '' : 'none';
        var any = Array.prototype.some.call(map._spLegendBox.children, function(c) { return c.style.display !== 'none'; });
        map._spLegendPanel.style.display = any ? '' : 'none';
    }
    map.on('overlayadd overlayremove layeradd layerremove', sync);
    sync();
})();
{% endmacro %}
"""
    )

    def __init__(self, layer, title: str, items: Sequence[tuple[str, str, str]], position: str = "bottomright"):
        super().__init__()
        self._name = "Legend"
        self.layer = layer
        self.title = title
        self.position = position
        rows = []
        for colour, text, kind in items:
            c = html.escape(colour, quote=True)
            if kind == "line":
                sym = f'<span style="display:inline-block;width:22px;height:0;border-top:3px solid {c};"></span>'
            elif kind == "dash":
                sym = f'<span style="display:inline-block;width:22px;height:0;border-top:3px dashed {c};"></span>'
            elif kind == "point":
                sym = (f'<span style="display:inline-block;width:11px;height:11px;border-radius:50%;'
                       f'background:{c};border:1px solid #333;"></span>')
            else:
                sym = (f'<span style="display:inline-block;width:16px;height:11px;background:{c};'
                       f'border:1px solid #555;"></span>')
            rows.append(f'<div style="white-space:nowrap">{sym}&nbsp;{html.escape(str(text))}</div>')
        self.html = f'<b>{html.escape(title)}</b>{"".join(rows)}'


class Attribution(branca.element.MacroElement):
    """A credit line in the map's attribution control (bottom right), e.g. the ODbL credit of OSM data."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
{% endmacro %}
"""
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "Attribution"
        self.text = html.escape(text)


class PlaceSearch(branca.element.MacroElement):
    """One search box for every searchable layer of a map (parks, counties, growth poles …).

    Layers register with :meth:`add` (the layer and the property holding the name). Typing shows up to 12
    matching names with their layer; choosing one zooms to the feature, switches its layer on and opens its
    popup.
    """

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>
.sp-search { background: rgba(255,255,255,.95); padding: 4px; border-radius: 4px;
             box-shadow: 0 1px 4px rgba(0,0,0,.3); font: 13px/1.4 sans-serif; }
.sp-search input { width: 180px; font-size: 13px; padding: 3px 5px; border: 1px solid #aaa; border-radius: 3px; }
.sp-search ul { list-style: none; margin: 4px 0 0; padding: 0; max-height: 260px; overflow-y: auto; }
.sp-search li { padding: 2px 5px; cursor: pointer; white-space: nowrap; }
.sp-search li:hover, .sp-search li.sp-on { background: #e8f0fe; }
.sp-search li small { color: #777; margin-left: 6px; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
setTimeout(function() {  // after every layer of the page is defined (plan layers come after this control)
    var map = {{ this._parent.get_name() }};
    var sources = [{% for s in this.sources %}{layer: {{ s[0].get_name() }}, field: {{ s[1]|tojson }}, title: {{ s[2]|tojson }}}{{ "," if not loop.last }}{% endfor %}];
    var index = [];
    sources.forEach(function(s) {
        s.layer.eachLayer(function(f) {
            var name = f.feature && f.feature.properties ? f.feature.properties[s.field] : null;
            if (name) { index.push({name: String(name), feature: f, source: s}); }
        });
    });
    var box = L.control({position: 'topleft'});
    box.onAdd = function() {
        var d = L.DomUtil.create('div', 'sp-search');
        d.innerHTML = '<input type="search" placeholder={{ this.placeholder|tojson }} aria-label={{ this.placeholder|tojson }}><ul></ul>';
        L.DomEvent.disableClickPropagation(d);
        L.DomEvent.disableScrollPropagation(d);
        var input = d.querySelector('input'), list = d.querySelector('ul');
        function go(hit) {
            if (!map.hasLayer(hit.source.layer)) { map.addLayer(hit.source.layer); }
            var f = hit.feature;
            if (f.getBounds) { map.fitBounds(f.getBounds(), {maxZoom: 11}); } else { map.setView(f.getLatLng(), 11); }
            if (f.openPopup) { f.openPopup(); }
            list.innerHTML = '';
        }
        input.addEventListener('input', function() {
            var q = input.value.trim();
            list.innerHTML = '';
            if (!q) { return; }
            index.filter(function(h) { return h.name.indexOf(q) >= 0; }).slice(0, 12).forEach(function(h) {
                var li = document.createElement('li');
                li.textContent = h.name;
                var small = document.createElement('small');
                small.textContent = h.source.title;
                li.appendChild(small);
                li.addEventListener('click', function() { input.value = h.name; go(h); });
                list.appendChild(li);
            });
        });
        input.addEventListener('keydown', function(e) {
            if (e.key === 'Enter' && list.firstChild) { list.firstChild.click(); }
        });
        return d;
    };
    box.addTo(map);
}, 0);
{% endmacro %}
"""
    )

    def __init__(self, placeholder: str = "搜索地名…"):
        super().__init__()
        self._name = "PlaceSearch"
        self.placeholder = placeholder
        self.sources: list[tuple[object, str, str]] = []

    def add(self, layer, field: str, title: str) -> None:
        """Search ``layer``'s features by the property ``field``; ``title`` names the layer in the results."""
        self.sources.append((layer, field, title))  # named at render time, after the ids are made stable


class FitStudyArea(branca.element.MacroElement):
    """Open the map fitted tightly to the study area, clear of the side panels, and fit again when the window
    changes size until the user first pans or zooms (a page laid out late, or a resized window, still opens on
    the whole study area).

    Parameters
    ----------
    bounds
        ``[[south, west], [north, east]]`` in degrees.
    padding_top_left, padding_bottom_right
        Pixels kept free on each side (``[x, y]``): the zoom buttons on the left, the layer list on the right.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function() {
    var map = {{ this._parent.get_name() }};
    var bounds = {{ this.bounds|tojson }};
    var opts = {paddingTopLeft: {{ this.tl|tojson }}, paddingBottomRight: {{ this.br|tojson }}, animate: false};
    var touched = false;
    function fit() { if (!touched) { map.fitBounds(bounds, opts); } }
    fit();
    ['mousedown', 'wheel', 'touchstart', 'keydown'].forEach(function(ev) {
        map.getContainer().addEventListener(ev, function() { touched = true; }, {passive: true});
    });
    map.on('resize', fit);
    window.addEventListener('load', function() { map.invalidateSize(); fit(); });
})();
{% endmacro %}
"""
    )

    def __init__(self, bounds, padding_top_left=(50, 12), padding_bottom_right=(235, 12)):
        super().__init__()
        self._name = "FitStudyArea"
        self.bounds = [[float(v) for v in p] for p in bounds]
        self.tl = list(padding_top_left)
        self.br = list(padding_bottom_right)


class MapNote(branca.element.MacroElement):
    """A short always-visible note with a symbol (bottom left): what a dashed outline means, for example."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function() {
    var note = L.control({position: 'bottomleft'});
    note.onAdd = function() {
        var d = L.DomUtil.create('div', 'sp-note');
        d.style.cssText = 'background:rgba(255,255,255,.92);padding:3px 8px;border-radius:4px;' +
            'box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.5 sans-serif;max-width:320px';
        d.innerHTML = {{ this.html|tojson }};
        return d;
    };
    note.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
"""
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "MapNote"
        sym = '<span style="display:inline-block;width:22px;height:0;border-top:2px dashed #333;"></span>'
        self.html = f"{sym}&nbsp;{html.escape(text)}"


_JSON_UNICODE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")


def _unescape_non_ascii(match: re.Match) -> str:
    cp = int(match.group(2), 16)
    if cp < 0x80 or cp in (0x2028, 0x2029) or 0xD800 <= cp <= 0xDFFF:
        return match.group(0)  # keep ASCII escapes such as \u003c (<), line separators and surrogates
    return match.group(1) + chr(cp)


def _stable_ids(m: folium.Map) -> None:
    """Number every element in document order, replacing branca's random ids, so that the same map
    renders to the same bytes on every run."""
    seen = set()

    def walk(el, counter=[0]):  # noqa: B006 - a shared counter across the walk
        if id(el) in seen:
            return
        seen.add(id(el))
        el._id = f"{counter[0]:08x}"
        counter[0] += 1
        for child in list(getattr(el, "_children", {}).values()):
            walk(child)

    walk(m.get_root())


def render_html(m: folium.Map, *, assets: str = "auto") -> str:
    """Render a map to one HTML document.

    Chinese text is written as UTF-8 rather than ``\\uXXXX``: JSON escapes of
    ASCII characters (``<``, ``>``, ``&`` as ``\\u003c`` ...) are kept, so the page
    stays as safe as Folium made it; only non-ASCII escapes become the
    characters themselves, which makes the file smaller and searchable.

    Parameters
    ----------
    assets
        ``"inline"`` writes Leaflet and its plugins into the page (it then works
        offline; see :mod:`spatial_planner.outputs.webmap.assets`), ``"cdn"`` links them
        from the web, ``"auto"`` inlines when the assets have been fetched.
    """
    _stable_ids(m)
    html_text = _JSON_UNICODE.sub(_unescape_non_ascii, m.get_root().render())
    lang = getattr(m, "_sp_lang", None)
    if lang:
        html_text = html_text.replace("<html>", f'<html lang="{html.escape(lang, quote=True)}">', 1)
    if assets == "cdn" or (assets == "auto" and not assets_available()):
        return html_text
    html_text, missing = inline_assets(html_text)
    if missing and assets == "inline":
        raise DataFileError(f"web assets not available for: {', '.join(missing)}", layer="map.html",
                            fix="run `spatial-planner fetch-assets` (needs npm), or set map.assets = \"cdn\".")
    return html_text


class IndicatorSwitch(branca.element.MacroElement):
    """A drop-down that recolours one zone layer by the chosen indicator, with its legend.

    Every indicator's values travel once in the layer's properties; switching
    only restyles, so ten indicators cost no more map size than one.
    """

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>
.sp-switch { background: rgba(255,255,255,.94); padding: 6px 8px; border-radius: 4px;
             box-shadow: 0 1px 4px rgba(0,0,0,.3); font: 12px/1.5 sans-serif; max-width: 260px; }
.sp-switch select { max-width: 240px; font-size: 12px; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function() {
    var map = {{ this._parent.get_name() }};
    var layer = {{ this.layer.get_name() }};
    var specs = {{ this.specs|tojson }};
    function colourOf(spec, v) {
        if (v === null || v === undefined || v === "" || isNaN(Number(v))) { return "#cccccc"; }
        v = Number(v);
        for (var i = 0; i < spec.breaks.length; i++) { if (v <= spec.breaks[i]) { return spec.colors[i]; } }
        return spec.colors[spec.colors.length - 1];
    }
    var control = L.control({position: 'bottomleft'});
    var div;
    control.onAdd = function() {
        div = L.DomUtil.create('div', 'sp-switch sp-legend');
        div.setAttribute('data-layer', {{ this.title|tojson }});
        L.DomEvent.disableClickPropagation(div);
        var html = '<b>' + {{ this.title|tojson }} + '</b><br><select>';
        specs.forEach(function(s, i) { html += '<option value="' + i + '">' + s.label + '</option>'; });
        div.innerHTML = html + '</select><div class="sp-switch-legend"></div>';
        div.querySelector('select').addEventListener('change', function(e) { apply(specs[Number(e.target.value)]); });
        return div;
    };
    function apply(spec) {
        layer.setStyle(function(f) {
            return {fillColor: colourOf(spec, f.properties[spec.column]), color: '#666', weight: 0.5, fillOpacity: 0.75};
        });
        var rows = '';
        for (var i = 0; i < spec.colors.length; i++) {
            rows += '<div><span style="display:inline-block;width:16px;height:11px;background:' + spec.colors[i] +
                    ';border:1px solid #555"></span>&nbsp;' + spec.classes[i] + '</div>';
        }
        if (div) { div.querySelector('.sp-switch-legend').innerHTML = rows; }
    }
    function sync() {
        if (map.hasLayer(layer)) { if (!div || !div.parentNode) { control.addTo(map); apply(specs[0]); } }
        else { control.remove(); }
    }
    map.on('overlayadd overlayremove layeradd layerremove', sync);
    sync();
})();
{% endmacro %}
"""
    )

    def __init__(self, layer, title: str, specs: list[dict]):
        super().__init__()
        self._name = "IndicatorSwitch"
        self.layer = layer
        self.title = html.escape(title)
        self.specs = [
            {**spec, "label": html.escape(spec["label"]), "classes": [html.escape(c) for c in spec["classes"]]}
            for spec in specs
        ]
