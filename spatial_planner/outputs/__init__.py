"""What a run delivers: the web map, QGIS styles, static figures and maps, and the report."""

from . import figures, qgis, report, webmap
from .webmap import build_map, render_html

__all__ = ["figures", "qgis", "report", "webmap", "build_map", "render_html"]
