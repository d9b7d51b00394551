"""Web assets of the HTML map (Leaflet and its plugins) for maps that work offline.

Folium links its JavaScript and CSS from public CDNs; a planner without
internet, or a browser test on a closed machine, would then see a blank page.
The addresses come from the installed Folium itself (``default_js`` and
``default_css`` of :class:`folium.Map` and of the plugins the map uses:
:func:`used_assets`), so they follow whatever Folium the project is installed
with. ``make`` fetches the same packages and versions from the npm registry
once into ``<venv>/share/spatial_planner/web`` (:func:`fetch_assets`, with
``npm pack``: nothing is installed, no script runs), and
:func:`inline_assets` writes them into the HTML, images included as data URIs,
so ``map.html`` is one self-contained file.

Run ``spatial-planner fetch-assets`` to (re)fetch them.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import folium
import folium.plugins

__all__ = [
    "KEEP_JS",
    "KEEP_CSS",
    "PLUGINS",
    "used_assets",
    "npm_source",
    "asset_dir",
    "assets_available",
    "fetch_assets",
    "inline_assets",
]

#: Folium defaults the planner's map keeps (the others, Bootstrap and icon fonts, it does not use).
KEEP_JS = ("leaflet", "jquery")
KEEP_CSS = ("leaflet_css",)
#: The Folium plugins the map uses (their scripts and stylesheets come along).
PLUGINS = (folium.plugins.Search, folium.plugins.Fullscreen, folium.plugins.MeasureControl, folium.plugins.MiniMap)

_MANIFEST = "manifest.json"
_CDN = (
    re.compile(r"^https?://cdn\.jsdelivr\.net/npm/(?P<pkg>(?:@[^/]+/)?[^@/]+)@(?P<ver>[^/]+)/(?P<path>.+)$"),
    re.compile(r"^https?://cdn\.jsdelivr\.net/gh/[^/]+/(?P<pkg>[^@/]+)@(?P<ver>[^/]+)/(?P<path>.+)$"),
    re.compile(r"^https?://unpkg\.com/(?P<pkg>(?:@[^/]+/)?[^@/]+)@(?P<ver>[^/]+)/(?P<path>.+)$"),
    re.compile(r"^https?://cdnjs\.cloudflare\.com/ajax/libs/(?P<pkg>[^/]+)/(?P<ver>[^/]+)/(?P<path>.+)$"),
    re.compile(r"^https?://code\.jquery\.com/(?P<pkg>jquery)-(?P<ver>\d[\d.]*)(?P<path>(?:\.min)?\.js)$"),
)
_URL_IN_CSS = re.compile(r"url\((['\"]?)([^'\")]+)\1\)")


def used_assets() -> list[str]:
    """The CDN addresses of every script and stylesheet the planner's map uses, from the installed Folium."""
    urls = [u for name, u in folium.Map.default_js if name in KEEP_JS]
    urls += [u for name, u in folium.Map.default_css if name in KEEP_CSS]
    for plugin in PLUGINS:
        urls += [u for _, u in (*plugin.default_js, *plugin.default_css)]
    return list(dict.fromkeys(urls))


def npm_source(url: str) -> tuple[str, str] | None:
    """``(npm package spec, file path in it)`` behind a CDN address, or ``None`` for an address of no package.

    ``https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js`` → ``("leaflet@1.9.3", "dist/leaflet.js")``;
    GitHub (``/gh/``) and cdnjs addresses name the npm package of the repository or library.
    """
    for pattern in _CDN:
        m = pattern.match(url)
        if m:
            pkg, ver, path = m.group("pkg"), m.group("ver"), m.group("path")
            if pkg == "jquery" and "code.jquery.com" in url:
                path = f"dist/jquery{path}"
            return f"{pkg.lower()}@{ver}", path
    return None


def asset_dir() -> Path:
    """Where fetched assets live: ``$SPATIAL_PLANNER_ASSETS`` or ``<prefix>/share/spatial_planner/web``."""
    env = os.environ.get("SPATIAL_PLANNER_ASSETS")
    return Path(env) if env else Path(sys.prefix) / "share" / "spatial_planner" / "web"


def _manifest(root: Path | None = None) -> dict[str, str]:
    """CDN address → fetched file (relative to the asset folder)."""
    path = (root or asset_dir()) / _MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _local(url: str, root: Path | None = None) -> Path | None:
    rel = _manifest(root).get(url)
    path = (root or asset_dir()) / rel if rel else None
    return path if path is not None and path.is_file() else None


def assets_available(root: Path | None = None) -> bool:
    """True when every asset the map uses has been fetched."""
    return all(_local(url, root) is not None for url in used_assets() if npm_source(url))


def _member(names: list[str], path: str) -> str | None:
    """The tarball member (path inside ``package/``) for a CDN path: the same path, else a file of the same
    name (minified or not), preferring ``dist/``."""
    if path in names:
        return path
    base = posixpath.basename(path)
    alts = {base, base.replace(".min.", "."), base.replace(".js", ".min.js").replace(".css", ".min.css")}
    hits = sorted((n for n in names if posixpath.basename(n) in alts),
                  key=lambda n: (posixpath.basename(n) != base, not n.startswith("dist/"), n))
    return hits[0] if hits else None


def _extract(tf: tarfile.TarFile, member: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(tf.extractfile(f"package/{member}").read())


def fetch_assets(root: Path | None = None, *, npm: str = "npm") -> Path:
    """Fetch the map's assets from the npm registry with ``npm pack`` (no install, no scripts run).

    Each address of :func:`used_assets` is taken from the npm package and
    version it names; a stylesheet's images come along. A ``manifest.json``
    records which file stands for which address.

    Returns
    -------
    pathlib.Path
        The asset folder.
    """
    root = root or asset_dir()
    if shutil.which(npm) is None:
        raise RuntimeError("npm is not installed; maps will link their scripts from the web instead")
    manifest = _manifest(root)
    wanted: dict[str, list[tuple[str, str]]] = {}
    for url in used_assets():
        src = npm_source(url)
        if src is not None and _local(url, root) is None:
            wanted.setdefault(src[0], []).append((url, src[1]))
    with tempfile.TemporaryDirectory() as tmp:
        for spec, items in sorted(wanted.items()):
            out = subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", tmp],
                                 check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / out) as tf:
                names = [m.name.split("/", 1)[1] for m in tf.getmembers() if m.isfile() and "/" in m.name]
                for url, path in items:
                    member = _member(names, path)
                    if member is None:
                        raise RuntimeError(f"{spec} has no file like {path} (for {url})")
                    _extract(tf, member, root / spec / member)
                    manifest[url] = f"{spec}/{member}"
                    if member.endswith(".css"):
                        css = (root / spec / member).read_text(encoding="utf-8", errors="replace")
                        for ref in _URL_IN_CSS.findall(css):
                            rel = posixpath.normpath(posixpath.join(posixpath.dirname(member), ref[1].split("?")[0]))
                            if not ref[1].startswith(("data:", "http:", "https:", "#")) and rel in names:
                                _extract(tf, rel, root / spec / rel)
    root.mkdir(parents=True, exist_ok=True)
    (root / _MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return root


def _css_with_data_uris(path: Path) -> str:
    css = path.read_text(encoding="utf-8")

    def repl(m: re.Match) -> str:
        ref = m.group(2)
        if ref.startswith(("data:", "http:", "https:", "#")):
            return m.group(0)
        f = (path.parent / ref.split("?")[0].split("#")[0]).resolve()
        if not f.is_file():
            return m.group(0)
        mime = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
        return f"url(data:{mime};base64,{base64.b64encode(f.read_bytes()).decode()})"

    return _URL_IN_CSS.sub(repl, css)


def inline_assets(html: str, root: Path | None = None) -> tuple[str, list[str]]:
    """Replace CDN ``<script src>`` and stylesheet ``<link>`` tags by the fetched files' contents.

    Returns
    -------
    (html, missing)
        The new document and the addresses that stayed links (not fetched, or unknown).
    """
    missing: list[str] = []

    def label(url: str) -> str:
        src = npm_source(url)
        return src[0] if src else url

    def script(m: re.Match) -> str:
        url, path = m.group(1), _local(m.group(1), root)
        if path is None:
            missing.append(url)
            return m.group(0)
        code = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>/* {label(url)} */\n{code}\n</script>"

    def link(m: re.Match) -> str:
        url, path = m.group(1), _local(m.group(1), root)
        if path is None:
            missing.append(url)
            return m.group(0)
        return f"<style>/* {label(url)} */\n{_css_with_data_uris(path)}\n</style>"

    html = re.sub(r'<script src="(https?://[^"]+)"></script>', script, html)
    html = re.sub(r'<link rel="stylesheet" href="(https?://[^"]+)"/>', link, html)
    return html, missing
