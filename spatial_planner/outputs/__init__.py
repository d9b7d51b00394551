"""What a run delivers: the web map, QGIS styles and project, static figures and maps, and the report."""

from . import figures, qgis, qgis_project, report, webmap
from .webmap import build_map, render_html

__all__ = ["build_map", "figures", "qgis", "qgis_project", "render_html", "report", "webmap"]
