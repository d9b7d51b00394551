"""Web assets of the HTML map (Leaflet and its plugins) for maps that work offline.

Folium links its JavaScript and CSS from public CDNs. A planner without
internet, or a browser test on a closed machine, would then see a blank page.
``make`` fetches the same versions from the npm registry once into
``<venv>/share/spatial_planner/web`` (:func:`fetch_assets`), and
:func:`inline_assets` writes them into the HTML, images included as data URIs,
so ``map.html`` is one self-contained file.

Run ``python -m spatial_planner.webassets fetch`` to (re)fetch them.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

__all__ = [
    "ASSETS",
    "KEEP_JS",
    "KEEP_CSS",
    "asset_dir",
    "assets_available",
    "fetch_assets",
    "inline_assets",
    "main",
]

#: CDN address → (npm package spec, path inside the package, extra files the CSS refers to)
ASSETS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": ("leaflet@1.9.3", "dist/leaflet.js", ()),
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": (
        "leaflet@1.9.3", "dist/leaflet.css",
        ("dist/images/layers.png", "dist/images/layers-2x.png", "dist/images/marker-icon.png",
         "dist/images/marker-icon-2x.png", "dist/images/marker-shadow.png"),
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery@3.7.1", "dist/jquery.min.js", ()),
    "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.js": (
        "leaflet-search@2.9.7", "dist/leaflet-search.min.js", ()),
    "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.css": (
        "leaflet-search@2.9.7", "dist/leaflet-search.min.css", ("images/search-icon.png", "images/loader.gif",
                                                               "images/search-icon-mobile.png")),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": (
        "leaflet.fullscreen@3.0.0", "Control.FullScreen.js", ()),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": (
        "leaflet.fullscreen@3.0.0", "Control.FullScreen.css", ("icon-fullscreen.svg",)),
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js": (
        "leaflet-measure@2.1.7", "dist/leaflet-measure.js", ()),
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css": (
        "leaflet-measure@2.1.7", "dist/leaflet-measure.css",
        tuple(f"dist/images/{n}{s}.png" for n in ("cancel", "check", "focus", "rulers", "start", "trash")
              for s in ("", "_@2X"))),
}

#: Folium defaults the planner's map keeps (the others, Bootstrap and icon fonts, it does not use).
KEEP_JS = ("leaflet", "jquery")
KEEP_CSS = ("leaflet_css",)


def asset_dir() -> Path:
    """Where fetched assets live: ``$SPATIAL_PLANNER_ASSETS`` or ``<prefix>/share/spatial_planner/web``."""
    env = os.environ.get("SPATIAL_PLANNER_ASSETS")
    return Path(env) if env else Path(sys.prefix) / "share" / "spatial_planner" / "web"


def _local(url: str, root: Path | None = None) -> Path:
    spec, member, _ = ASSETS[url]
    return (root or asset_dir()) / spec.replace("/", "_") / member


def _files(spec: str, root: Path | None = None) -> list[Path]:
    """Every file fetched for an npm package: the linked files and the images their CSS uses."""
    base = (root or asset_dir()) / spec.replace("/", "_")
    out = []
    for s, member, extra in ASSETS.values():
        if s == spec:
            out += [base / member] + [base / e for e in extra]
    return out


def assets_available(root: Path | None = None) -> bool:
    """True when every asset, images included, has been fetched."""
    return all(f.is_file() for spec in {a[0] for a in ASSETS.values()} for f in _files(spec, root))


def fetch_assets(root: Path | None = None, *, npm: str = "npm") -> Path:
    """Fetch the assets from the npm registry with ``npm pack`` (no install, no scripts run).

    Returns
    -------
    pathlib.Path
        The asset folder.
    """
    root = root or asset_dir()
    if shutil.which(npm) is None:
        raise RuntimeError("npm is not installed; maps will link their scripts from the web instead")
    specs = sorted({spec for spec, _, _ in ASSETS.values()})
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            target = root / spec.replace("/", "_")
            if all(f.is_file() for f in _files(spec, root)):
                continue
            out = subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", tmp],
                                 check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / out) as tf:
                wanted = set()
                for _url, (s, member, extra) in ASSETS.items():
                    if s == spec:
                        wanted.update({member, *extra})
                for m in tf.getmembers():
                    rel = m.name.split("/", 1)[1] if "/" in m.name else m.name
                    if rel in wanted and m.isfile():
                        dest = target / rel
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        dest.write_bytes(tf.extractfile(m).read())
    return root


_URL_IN_CSS = re.compile(r"url\((['\"]?)([^'\")]+)\1\)")


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

    def script(m: re.Match) -> str:
        url = m.group(1)
        if url in ASSETS and _local(url, root).is_file():
            code = _local(url, root).read_text(encoding="utf-8").replace("</script", "<\\/script")
            return f"<script>/* {ASSETS[url][0]} */\n{code}\n</script>"
        missing.append(url)
        return m.group(0)

    def link(m: re.Match) -> str:
        url = m.group(1)
        if url in ASSETS and _local(url, root).is_file():
            return f"<style>/* {ASSETS[url][0]} */\n{_css_with_data_uris(_local(url, root))}\n</style>"
        missing.append(url)
        return m.group(0)

    html = re.sub(r'<script src="(https?://[^"]+)"></script>', script, html)
    html = re.sub(r'<link rel="stylesheet" href="(https?://[^"]+)"/>', link, html)
    return html, missing


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if args[:1] != ["fetch"]:
        print("usage: python -m spatial_planner.webassets fetch", file=sys.stderr)
        return 2
    try:
        path = fetch_assets()
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        print(f"web assets not fetched ({exc}); maps will link Leaflet from the web", file=sys.stderr)
        return 0
    print(f"web assets in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
