"""The map in a real browser: headless Chromium (Debian's ``chromium``).

Skipped with a message when Chromium is not installed (``make test`` installs
it when it runs as root).
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (apt-get install chromium)")
OUTPUT = Path(os.environ.get("SPATIAL_PLANNER_TEST_OUTPUT", Path(__file__).parent / "output"))

PROBE = """<script>
window.__errs = [];
window.__alerts = 0;
window.alert = function() { window.__alerts += 1; };
(function() {
  var oe = console.error;
  console.error = function() { window.__errs.push(Array.prototype.join.call(arguments, ' ')); oe.apply(console, arguments); };
  window.addEventListener('error', function(e) {
    window.__errs.push('error: ' + (e.message || (e.target && (e.target.src || e.target.href)) || 'resource'));
  }, true);
  window.addEventListener('unhandledrejection', function(e) { window.__errs.push('rejection: ' + e.reason); });
})();
window.addEventListener('load', function() { setTimeout(function() {
  try {
    // every overlay on, every indicator shown, every popup and tooltip opened
    document.querySelectorAll('.leaflet-control-layers-overlays input').forEach(function(cb) { if (!cb.checked) cb.click(); });
    var sel = document.querySelector('.sp-switch select');
    if (sel) { for (var i = 0; i < sel.options.length; i++) { sel.value = String(i); sel.dispatchEvent(new Event('change')); } }
    // open each layer's tooltip on its first feature, then the popup of any feature whose name holds markup
    function at(l) { return l.getBounds ? l.getBounds().getCenter() : l.getLatLng(); }
    var marked = null;
    Object.keys(window).filter(function(k) { return k.indexOf('geo_json_') === 0; }).forEach(function(k) {
      var g = window[k], first = null;
      if (!g || !g.eachLayer) { return; }
      g.eachLayer(function(l) {
        if (!first) { first = l; }
        var p = l.feature && l.feature.properties;
        if (p && JSON.stringify(p).indexOf('lt;script') >= 0) { marked = [g, l]; }
      });
      try {  // probing only: a layer Leaflet cannot centre a tooltip on is not the page's error
        if (first) { first.fire('mouseover', {latlng: at(first)}, true); first.fire('click', {latlng: at(first)}, true); }
      } catch (e) { window.__probeSkips = (window.__probeSkips || 0) + 1; }
    });
    if (marked) {  // as a user would: hover and click the feature
      marked[1].fire('mouseover', {latlng: at(marked[1])}, true);
      marked[1].fire('click', {latlng: at(marked[1])}, true);
    }
  } catch (e) { window.__errs.push('probe: ' + e + ' ' + (e.stack || '').slice(0, 600)); }
  var labels = Array.prototype.map.call(document.querySelectorAll('.leaflet-control-layers-overlays label'),
                                        function(l) { return l.textContent.trim(); });
  document.body.setAttribute('data-errors', JSON.stringify(window.__errs));
  document.body.setAttribute('data-layers', JSON.stringify(labels));
  document.body.setAttribute('data-alerts', String(window.__alerts));
  document.body.setAttribute('data-text', document.body.innerText.indexOf('<script>alert(1)<\\/script>') >= 0 ? 'yes' : 'no');
}, 1500); });
</script>"""

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync", "--disable-quic"]


def chromium(url: str, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    size = [] if any(x.startswith("--window-size=") for x in extra) else ["--window-size=1400,1000"]
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *size, "--virtual-time-budget=10000",
           "--enable-logging=stderr", "--v=0", *extra, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def probed(henan_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    html = (henan_run.out_dir / "map.html").read_text(encoding="utf-8")
    (out / "map.html").write_text(html, encoding="utf-8")
    assert not re.search(r'<script src="https?:|<link rel="stylesheet" href="https?:', html)  # assets inline
    page = out / "probe.html"
    page.write_text(html.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    proc = chromium(page.as_uri(), out, "--dump-dom")
    m = re.search(r'<body[^>]*data-errors="([^"]*)"[^>]*>', proc.stdout)
    assert m, proc.stderr[-2000:]
    body = re.search(r"<body[^>]*>", proc.stdout).group(0)

    def attr(name):
        return json.loads(re.search(fr'{name}="([^"]*)"', body).group(1).replace("&quot;", '"')) \
            if name in ("data-errors", "data-layers") else re.search(fr'{name}="([^"]*)"', body).group(1)

    return out, proc, attr


def test_map_has_no_javascript_errors(probed):
    _, proc, attr = probed
    assert attr("data-errors") == []
    assert "Uncaught" not in proc.stderr


def test_layer_control_lists_every_layer(probed):
    _, _, attr = probed
    layers = attr("data-layers")
    for name in ["县级行政区", "产业园区（按首位产业）", "铁路网", "高速公路", "普通干线公路", "交通枢纽", "县域指标", "枢纽等时圈",
                 "到最近机场时间(栅格)", "增长极（点，按培育层级）", "产业带（带）", "节点联系（网）", "优先建设/提升通道",
                 "跨县产业集群建议", "产业同构县对"]:
        assert name in layers, name


def test_screenshot_written(probed):
    out, _, _ = probed
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / "map.png"
    proc = chromium((out / "map.html").as_uri(), out, f"--screenshot={shot}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a drawn map, not a blank page


def test_script_in_a_park_name_renders_as_text(tmp_path, henan):
    from spatial_planner.io import read_sectors
    from spatial_planner.outputs.webmap import build_map, render_html

    parks = henan["parks"].head(3).copy()
    parks.loc[parks.index[0], "name_zh"] = "<script>alert(1)</script>"
    html = render_html(build_map({"counties": henan["counties"], "parks": parks}, sectors=read_sectors()))
    page = tmp_path / "xss.html"
    page.write_text(html.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    proc = chromium(page.as_uri(), tmp_path, "--dump-dom")
    body = re.search(r"<body[^>]*>", proc.stdout).group(0)
    assert 'data-alerts="0"' in body
    assert 'data-text="yes"' in body  # shown as literal text in the opened popup/tooltip


# --------------------------------------------------------------------------- the default view, as a planner opens it

VIEW_PROBE = """<script>
window.__errs = [];
(function() {
  var oe = console.error;
  console.error = function() { window.__errs.push(Array.prototype.join.call(arguments, ' ')); oe.apply(console, arguments); };
  window.addEventListener('error', function(e) { window.__errs.push('error: ' + (e.message || 'resource')); }, true);
})();
window.addEventListener('load', function() { setTimeout(function() {
  var out = {errors: window.__errs};
  try {
    var map = window[Object.keys(window).filter(function(k) { return k.indexOf('map_') === 0; })[0]];
    var listed = window[Object.keys(window).filter(function(k) { return /^layer_control_.*_layers$/.test(k); })[0]];
    function rect(el) { var r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }
    out.viewport = [window.innerWidth, window.innerHeight];
    out.controls = {};
    ['.leaflet-control-layers', '.sp-legend-box', '.sp-search', '.leaflet-control-zoom', '.sp-note', '.sp-title',
     '.leaflet-control-scale', '.leaflet-control-attribution'].forEach(function(sel) {
      var el = document.querySelector(sel);
      if (el && el.offsetParent !== null) { out.controls[sel] = rect(el); }
    });
    // the study area on screen: the counties' bounds
    var byName = listed.overlays;
    out.on = Object.keys(byName).filter(function(n) { return map.hasLayer(byName[n]); });
    var counties = byName['县级行政区'];
    var b = counties.getBounds();
    var nw = map.latLngToContainerPoint(b.getNorthWest()), se = map.latLngToContainerPoint(b.getSouthEast());
    out.area = [nw.x, nw.y, se.x, se.y];
    function shown() {
      return Array.prototype.filter.call(document.querySelectorAll('.sp-l-prefecture'), function(el) {
        return el.style.visibility === 'visible';
      }).map(function(el) { return el.textContent; });
    }
    out.prefecture_labels = shown();
    out.belt_labels = Array.prototype.filter.call(document.querySelectorAll('.sp-l-belt'), function(el) {
      return el.style.visibility === 'visible'; }).map(function(el) { return el.textContent; });
    // every overlay off, then on again in reverse order: the drawing order must not follow the clicks
    var inputs = Array.prototype.slice.call(document.querySelectorAll('.leaflet-control-layers-overlays input'));
    inputs.forEach(function(cb) { if (cb.checked) { cb.click(); } });
    inputs.slice().reverse().forEach(function(cb) { cb.click(); });
    function paneOf(layer) {
      var el = null;
      if (layer._image) { el = layer._image; }
      else if (layer.getLayers) {
        var first = layer.getLayers()[0];
        if (first && first._icon) { el = first._icon; }
        else if (first && first._renderer) { el = first._renderer._container; }
        else if (first && first._path) { el = first._path; }
      }
      while (el && !(el.classList && el.classList.contains('leaflet-pane'))) { el = el.parentNode; }
      return el ? Number(getComputedStyle(el).zIndex) : null;
    }
    out.z = {};
    ['县级行政区', '到最近机场时间(栅格)', '铁路网', '产业带（带）', '节点联系（网）', '优先建设/提升通道',
     '增长极（点，按培育层级）', '地市名称'].forEach(function(n) { out.z[n] = byName[n] ? paneOf(byName[n]) : null; });
  } catch (e) { out.errors.push('probe: ' + e + ' ' + (e.stack || '').slice(0, 400)); }
  document.body.setAttribute('data-view', JSON.stringify(out));
}, 2000); });
</script>"""


def _overlap(a, b) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


@pytest.fixture(scope="module", params=[(1366, 768), (1920, 1080)], ids=["1366x768", "1920x1080"])
def default_view(request, henan_run, tmp_path_factory):
    """The map as it opens at a laptop's and a desktop's window size: what the probe measured, and a
    screenshot written for review (``tests/output/map_<w>x<h>.png``)."""
    w, h = request.param
    out = tmp_path_factory.mktemp(f"view{w}")
    html = (henan_run.out_dir / "map.html").read_text(encoding="utf-8")
    (out / "map.html").write_text(html, encoding="utf-8")
    page = out / "view.html"
    page.write_text(html.replace("<head>", "<head>" + VIEW_PROBE, 1), encoding="utf-8")
    size = f"--window-size={w},{h}"
    proc = chromium(page.as_uri(), out, "--dump-dom", size)
    m = re.search(r'data-view="([^"]*)"', proc.stdout)
    assert m, proc.stderr[-2000:]
    view = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / f"map_{w}x{h}.png"
    chromium((out / "map.html").as_uri(), out, f"--screenshot={shot}", size, "--hide-scrollbars")
    return view


def test_default_view_has_no_console_errors(default_view):
    assert default_view["errors"] == []


def test_controls_and_legend_do_not_overlap(default_view):
    boxes = default_view["controls"]
    assert {".leaflet-control-layers", ".sp-legend-box", ".sp-search", ".leaflet-control-zoom"} <= set(boxes)
    names = sorted(boxes)
    clashes = [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if _overlap(boxes[a], boxes[b])]
    assert clashes == [], clashes
    w, h = default_view["viewport"]
    for name, (left, top, right, bottom) in boxes.items():  # inside the window: nothing cut off
        assert left >= 0 and top >= 0 and right <= w + 1 and bottom <= h + 1, (name, boxes[name], (w, h))


def test_study_area_fills_the_view(default_view):
    w, h = default_view["viewport"]
    x0, y0, x1, y1 = default_view["area"]
    assert max(x1 - x0, y1 - y0) >= 0.6 * min(w, h), (default_view["area"], (w, h))
    assert x0 >= -1 and y0 >= -1 and x1 <= w + 1 and y1 <= h + 1  # and all of it is in view


def test_plan_layers_are_on_at_first(default_view):
    for name in ["增长极（点，按培育层级）", "产业带（带）", "产业带名称", "节点联系（网）", "优先建设/提升通道", "地市名称"]:
        assert name in default_view["on"], name
    for name in ["县域指标", "到最近机场时间(栅格)", "普通干线公路"]:  # indicators and dense context wait for a click
        assert name not in default_view["on"], name


def test_every_prefecture_is_named(default_view, henan):
    assert sorted(default_view["prefecture_labels"]) == sorted(henan["prefectures"]["name_zh"])
    assert len(default_view["belt_labels"]) >= 3  # belts named along their corridors, thinned where they crowd


def test_drawing_order_holds_whatever_the_clicks(default_view):
    z = default_view["z"]
    order = ["县级行政区", "到最近机场时间(栅格)", "铁路网", "产业带（带）", "节点联系（网）", "增长极（点，按培育层级）", "地市名称"]
    levels = [z[n] for n in order]
    assert None not in levels, z
    assert levels == sorted(levels) and len(set(levels)) == len(levels), z
    assert z["优先建设/提升通道"] == z["节点联系（网）"]
