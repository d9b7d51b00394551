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
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000", "--virtual-time-budget=10000",
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
    for name in ["县级行政区", "产业园区（按首位产业）", "铁路网", "公路网", "交通枢纽", "县域指标", "枢纽等时圈",
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
