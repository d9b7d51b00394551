"""Static figures for the written report and slide decks: charts and PNG maps.

Everything is drawn with matplotlib's Agg canvas (no display, no pyplot state)
in a CJK-capable font, at fixed sizes and resolutions and without a software
stamp in the PNG metadata, so two runs on one machine write the same bytes.
Each function writes its PNG atomically and returns the path.

Charts take a :class:`~spatial_planner.results.Plan` (or the
:class:`~spatial_planner.results.AccessResult`); maps are drawn in the study
area's metric CRS (the network's), e.g. a CGCS2000 Gauss-Krüger zone.

Font
----
:func:`cjk_font` prefers an installed "Noto Sans CJK SC" (Debian/Ubuntu
``fonts-noto-cjk``; found even when matplotlib's font cache predates the
install), then the font file of the ``cvttf_NotoSansCJK_Regular`` package if
that is installed, then a few other common CJK families. Each candidate must
have glyphs for the report's Chinese text; without one a
:class:`~spatial_planner.DataFileError` says how to install a font. There is
no silent fallback to a font that would draw empty boxes.
"""

from __future__ import annotations

import importlib.util
import os
import textwrap
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import matplotlib
import matplotlib.colors
import matplotlib.patheffects as path_effects
import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from pyproj import CRS
from rasterio.transform import array_bounds
from rasterio.warp import Resampling, calculate_default_transform, reproject

from .._errors import DataFileError
from ..analysis.places import select_targets
from ..crs import crs_label, study_area_crs
from ..io._atomic import atomic_output
from ..io.builtin import read_sectors
from ..io.credits import data_credits
from ..symbology import (
    HUB_LABELS,
    MULTI_SECTOR,
    PRIORITY_STYLE,
    RAIL_STYLE,
    ROAD_STYLE,
    TIER_LABEL_EN,
    TIER_STYLE,
    TIME_COLOURS,
    label,
    minute_class,
    minute_classes,
    sector_colour,
)

__all__ = [
    "CHART_SIZE",
    "MAP_SIZE",
    "DPI",
    "SCORE_PARTS",
    "FACTOR_LABELS",
    "register_cjk_font",
    "cjk_font",
    "cjk_font_path",
    "chart_node_scores",
    "chart_belts",
    "chart_priorities",
    "chart_concentration",
    "chart_hub_access",
    "map_plan_png",
    "map_access_png",
]

#: Chart size in inches (width, height) and resolution: 1500 × 900 pixels.
CHART_SIZE = (10.0, 6.0)
#: Map size in inches: 2100 × 1650 pixels.
MAP_SIZE = (14.0, 11.0)
DPI = 150

#: Text every candidate font must be able to draw.
_GLYPH_PROBE = "增长极点带网河南优先通道产业集群枢纽分钟"
#: Preferred family, then families tried after the package font.
_PREFERRED_FAMILY = "Noto Sans CJK SC"
_OTHER_FAMILIES = ("Source Han Sans SC", "Noto Sans SC", "Source Han Sans CN", "Noto Sans CJK TC",
                   "Noto Sans CJK JP", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei",
                   "PingFang SC", "Hiragino Sans GB", "Heiti SC")
_FONT_PACKAGE = "cvttf_NotoSansCJK_Regular"
_INSTALL_HINT = ("install a CJK font: `apt-get install fonts-noto-cjk` (Debian/Ubuntu), "
                 "`dnf install google-noto-sans-cjk-fonts` (Fedora), or `pip install cvttf-notosanscjk-regular`; "
                 "or pass a font file to register_cjk_font(path).")

_registered: font_manager.FontProperties | None = None

#: Labels of the node score parts (key of the tier weights → zh, en).
SCORE_PARTS = {
    "mass": ("经济规模", "mass"),
    "gravity": ("引力可达", "gravity"),
    "betweenness": ("中介性", "betweenness"),
    "hub_access": ("枢纽可达", "hub access"),
    "park_level": ("园区级别", "park level"),
}
_PART_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#7f7f7f")

#: Labels of the concentration factors in ``plan.report["concentration"]``.
FACTOR_LABELS = {
    "mass": ("产业规模", "mass"),
    "advanced_mass": ("先进制造业规模", "advanced mfg."),
    "national_zones": ("国家级开发区", "national zones"),
}


# --------------------------------------------------------------------------- font


def _has_glyphs(path: str | os.PathLike, face_index: int = 0, text: str = _GLYPH_PROBE) -> bool:
    """Whether face ``face_index`` of a font file has a glyph for every character of ``text``."""
    try:
        font = FT2Font(str(path), face_index=face_index)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) != 0 for ch in text)


def _entry(family: str):
    """The regular-weight upright font entry of ``family`` known to matplotlib, if any."""
    found = [f for f in font_manager.fontManager.ttflist if f.name == family and f.style == "normal"]
    if not found:
        return None
    weight = {"normal": 400, "regular": 400, "book": 400, "medium": 500, "bold": 700}
    return min(found, key=lambda f: (abs((f.weight if isinstance(f.weight, int) else weight.get(f.weight, 400)) - 400),
                                     f.fname))


def _usable(family: str) -> font_manager.FontProperties | None:
    e = _entry(family)
    if e is None or not _has_glyphs(e.fname, getattr(e, "index", 0)):
        return None
    return font_manager.FontProperties(family=family)


def _scan_system_cjk_files() -> list[str]:
    """System font files that look like Noto/Source Han CJK fonts (regular weight first)."""
    out = []
    for p in font_manager.findSystemFonts():
        name = os.path.basename(p).lower()
        if any(k in name for k in ("notosanscjk", "sourcehansans", "notosanssc")):
            out.append(p)
    return sorted(out, key=lambda p: ("regular" not in os.path.basename(p).lower(), p))


def _system_font() -> font_manager.FontProperties | None:
    """An installed "Noto Sans CJK SC", registering the system files when matplotlib's cache predates them."""
    fp = _usable(_PREFERRED_FAMILY)
    if fp is not None:
        return fp
    for p in _scan_system_cjk_files():
        if not any(f.fname == p for f in font_manager.fontManager.ttflist):
            try:
                font_manager.fontManager.addfont(p)
            except (OSError, RuntimeError, ValueError):
                continue
    return _usable(_PREFERRED_FAMILY)


def _package_font_path() -> Path | None:
    """The font file shipped by the ``cvttf_NotoSansCJK_Regular`` package, when it is installed."""
    if importlib.util.find_spec(_FONT_PACKAGE) is None:
        return None
    from importlib import resources

    try:
        root = resources.files(_FONT_PACKAGE)
    except (ModuleNotFoundError, TypeError):
        return None
    for name in ("NotoSansCJKtc-Regular.otf",):
        candidate = root / name
        if candidate.is_file():
            return Path(str(candidate))
    for candidate in sorted(root.iterdir(), key=lambda c: c.name):
        if candidate.name.lower().endswith((".otf", ".ttf", ".ttc")):
            return Path(str(candidate))
    return None


def _font_from_file(path: str | os.PathLike) -> font_manager.FontProperties:
    """Register a font file with matplotlib and return its (CJK) family; raise if it lacks CJK glyphs."""
    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"字体文件不存在 font file not found: {p}", layer=str(p), fix=_INSTALL_HINT)
    if not _has_glyphs(p):
        raise DataFileError(f"字体缺少中文字形 the font has no glyphs for Chinese text ({_GLYPH_PROBE[:3]}…): {p}",
                            layer=str(p), fix=_INSTALL_HINT)
    if not any(f.fname == str(p) for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(p))
    family = FT2Font(str(p)).family_name
    return font_manager.FontProperties(family=family)


def register_cjk_font(path: str | os.PathLike | None = None) -> font_manager.FontProperties:
    """Find (or take ``path``), register with matplotlib and return a CJK-capable font.

    Order: ``path`` when given; an installed "Noto Sans CJK SC"; the font file of
    the ``cvttf_NotoSansCJK_Regular`` package; other common CJK families. Only
    fonts with glyphs for Chinese text are accepted.

    Raises
    ------
    DataFileError
        No CJK font is available; the message says how to install one.
    """
    global _registered
    if path is not None:
        fp = _font_from_file(path)
    else:
        fp = _system_font()
        if fp is None:
            pkg = _package_font_path()
            if pkg is not None and _has_glyphs(pkg):
                fp = _font_from_file(pkg)
        if fp is None:
            for family in _OTHER_FAMILIES:
                fp = _usable(family)
                if fp is not None:
                    break
    if fp is None:
        raise DataFileError("找不到中文字体 no font with Chinese glyphs found for the figures "
                            f"(looked for {_PREFERRED_FAMILY}, the {_FONT_PACKAGE} package and "
                            f"{', '.join(_OTHER_FAMILIES[:4])} …)", layer="fonts", fix=_INSTALL_HINT)
    _registered = fp
    return fp


def cjk_font() -> font_manager.FontProperties:
    """The CJK font of the figures (found and registered on first use; see :func:`register_cjk_font`)."""
    return _registered if _registered is not None else register_cjk_font()


def cjk_font_path() -> str:
    """The file of the font :func:`cjk_font` resolves to."""
    return font_manager.findfont(cjk_font(), fallback_to_default=False)


@contextmanager
def _style():
    family = cjk_font().get_family()[0]
    rc = {
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "text.parse_math": False,      # names with "$" stay text
        "text.usetex": False,
        "axes.titlesize": 13,
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "savefig.facecolor": "white",
        "figure.facecolor": "white",
    }
    with matplotlib.rc_context(rc):
        yield


class _Canvas(FigureCanvasAgg):
    """An Agg canvas that draws when the figure is saved, and only then.

    GeoPandas asks the canvas to redraw after every layer it plots
    (``draw_idle``); on Agg that is a full render each time, a dozen per map.
    """

    def draw_idle(self, *args, **kwargs) -> None:
        return None


def _figure(size=CHART_SIZE, *, layout: str | None = "constrained") -> Figure:
    fig = Figure(figsize=size, dpi=DPI, layout=layout)
    _Canvas(fig)
    return fig


def _save(fig: Figure, path: str | os.PathLike, *, overwrite: bool = True,
          also: str | os.PathLike | None = None) -> Path:
    """Write ``fig`` as PNG to ``path`` and, with ``also`` (a ``.pdf`` path), the same figure as a vector PDF."""
    final = Path(path)
    for target in [final] + ([Path(also)] if also else []):
        fmt = "pdf" if target.suffix.lower() == ".pdf" else "png"
        meta = {"Creator": None, "Producer": None, "CreationDate": None} if fmt == "pdf" else {"Software": None}
        with atomic_output(target, overwrite=overwrite) as tmp:
            fig.savefig(tmp, format=fmt, dpi=DPI, metadata=meta)
    fig.clear()
    return final


def _empty(fig: Figure, text: str) -> None:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=14, color="#555555", transform=ax.transAxes)


def _halo(width: float = 2.5):
    return [path_effects.withStroke(linewidth=width, foreground="white")]


# --------------------------------------------------------------------------- charts


def chart_node_scores(plan, path: str | os.PathLike, *, top: int = 20, overwrite: bool = True) -> Path:
    """Top ``top`` growth poles: stacked bars of weight × normalised score part, with the tier."""
    weights = plan.report.get("tiers", {}).get("weights", {})
    nodes = plan.nodes.sort_values("rank").head(top)
    parts = [k for k in weights if f"s_{k}" in nodes.columns]
    with _style():
        fig = _figure((10.0, 8.0))
        if not len(nodes) or not parts:
            _empty(fig, "无节点 no nodes")
            return _save(fig, path, overwrite=overwrite)
        ax = fig.add_subplot()
        y = np.arange(len(nodes))[::-1]
        left = np.zeros(len(nodes))
        for i, k in enumerate(parts):
            v = nodes[f"s_{k}"].astype(float).fillna(0.0).to_numpy() * float(weights[k])
            zh, en = SCORE_PARTS.get(k, (k, k))
            ax.barh(y, v, left=left, height=0.72, color=_PART_COLOURS[i % len(_PART_COLOURS)],
                    label=f"{zh} ({en}) ×{float(weights[k]):g}", edgecolor="white", linewidth=0.4)
            left += v
        ax.set_yticks(y, [f"{int(r)}. {n}" for r, n in zip(nodes["rank"], nodes["name_zh"].astype(str))])
        xmax = float(max(left.max(), nodes["score"].astype(float).max()))
        for yi, total, score, tier in zip(y, left, nodes["score"].astype(float), nodes["tier"].astype(str)):
            colour = TIER_STYLE.get(tier, ("#cccccc", 0))[0]
            ax.text(total + xmax * 0.01, yi, f"{score:.3f}  {tier}", va="center", fontsize=8.5,
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": colour, "edgecolor": "#444444", "linewidth": 0.5})
        ax.set_xlim(0, xmax * 1.22)
        ax.set_ylim(-0.7, len(nodes) - 0.3)
        ax.set_xlabel("加权得分 = 权重 × 标准化分项 (weighted score)")
        ax.set_title(f"增长极综合得分前 {len(nodes)} 位 (top growth poles by score)", loc="left")
        ax.legend(loc="lower right", frameon=False, title="分项 (part) × 权重 (weight)")
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        return _save(fig, path, overwrite=overwrite)


def _sector_colours() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    s = read_sectors()
    return (dict(zip(s["code"], s["color"])), dict(zip(s["code"], s["name_zh"])), dict(zip(s["code"], s["name_en"])))


def chart_belts(plan, path: str | os.PathLike, *, top: int = 15, overwrite: bool = True) -> Path:
    """Belts ranked by score, with the three factors of the score (mass, continuity and accessibility); each
    belt labelled with its length and the prefectures it spans."""
    belts = plan.belts.sort_values("score", ascending=False).head(top)
    col, s_zh, _ = _sector_colours()
    with _style():
        fig = _figure((12.0, 6.0))
        if not len(belts):
            _empty(fig, "无产业带 no belts")
            return _save(fig, path, overwrite=overwrite)
        axes = fig.subplots(1, 4, sharey=True, gridspec_kw={"width_ratios": [1.5, 1.2, 1, 1]})
        y = np.arange(len(belts))[::-1]
        colours = [sector_colour(s, col) for s in belts["sector"]]
        panels = (("score", "得分 (score)", "{:.0f}"), ("mass", "规模 (mass)", "{:.0f}"),
                  ("continuity", "连续性 (continuity)", "{:.2f}"), ("accessibility", "可达性 (accessibility)", "{:.2f}"))
        for ax, (c, label_, fmt) in zip(axes, panels):
            v = belts[c].astype(float).to_numpy()
            ax.barh(y, v, color=colours, height=0.7, edgecolor="#333333", linewidth=0.4)
            vmax = float(np.nanmax(v)) if len(v) else 1.0
            for yi, x in zip(y, v):
                ax.text(x + vmax * 0.02, yi, fmt.format(x), va="center", fontsize=7.5)
            ax.set_xlim(0, (1.0 if c in ("continuity", "accessibility") and vmax <= 1 else vmax) * 1.25)
            ax.set_title(label_, fontsize=10)
            ax.grid(axis="x", color="#dddddd", linewidth=0.6)
            ax.set_axisbelow(True)
        ticks = [f"{r}. {n}\n{float(km):.0f} km · {int(k)} 个地市" for r, n, km, k in
                 zip(belts["rank"], belts["name_zh"].astype(str), belts["length_km"], belts["n_prefectures"])]
        axes[0].set_yticks(y, ticks, fontsize=8)
        present = list(dict.fromkeys(belts["sector"]))
        names = {MULTI_SECTOR: "先进制造业（多产业）", **s_zh}
        fig.legend([Patch(color=sector_colour(s, col)) for s in present], [names.get(s, s) for s in present],
                   loc="outside lower center", ncols=min(len(present), 6), frameon=False, title="产业 (sector)")
        fig.suptitle("产业带排序：得分 = 规模 × 连续性 × 可达性 (belts ranked by score)", x=0.01, ha="left",
                     fontsize=13)
        return _save(fig, path, overwrite=overwrite)


def chart_priorities(plan, path: str | os.PathLike, *, top: int = 15, overwrite: bool = True) -> Path:
    """Top link priorities: today's network minutes against the ideal minutes, with the priority."""
    pr = plan.priorities.sort_values("rank").head(top)
    with _style():
        fig = _figure((10.0, 7.0))
        if not len(pr):
            _empty(fig, "无优先通道 no link priorities")
            return _save(fig, path, overwrite=overwrite)
        ax = fig.add_subplot()
        y = np.arange(len(pr))[::-1]
        net = pr["network_min"].astype(float).to_numpy()
        ideal = pr["ideal_min"].astype(float).to_numpy()
        ax.hlines(y, ideal, net, color="#f4a6a6", linewidth=4, zorder=1)
        ax.scatter(ideal, y, s=46, color="#4d4d4d", zorder=2, label="理想时间 (ideal, crow-fly at reference speed)")
        ax.scatter(net, y, s=46, color="#e31a1c", zorder=3, label="现状网络时间 (network today)")
        xmax = float(np.nanmax(np.r_[net, ideal]))
        for yi, n, p, prop in zip(y, net, pr["priority"].astype(float), pr["proposal"].astype(str)):
            ax.text(n + xmax * 0.02, yi, f"优先度 {p:.2f} · {prop}", va="center", fontsize=8)
        ax.set_yticks(y, [f"{int(r)}. {a}—{b}" for r, a, b in zip(pr["rank"], pr["name_a"].astype(str),
                                                                    pr["name_b"].astype(str))])
        ax.set_xlim(0, xmax * 1.6)
        ax.set_ylim(-0.7, len(pr) - 0.3)
        ax.set_xlabel("分钟 (minutes)")
        ax.set_title(f"优先建设/提升通道前 {len(pr)} 位 (top link priorities)", loc="left")
        ax.legend(loc="upper right", frameon=False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        return _save(fig, path, overwrite=overwrite)


def chart_concentration(plan, path: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """Theil index per factor split into its between- and within-prefecture parts, with the county Gini."""
    conc = plan.report.get("concentration", {})
    with _style():
        fig = _figure(CHART_SIZE)
        if not conc:
            _empty(fig, "无集中度指标 no concentration figures")
            return _save(fig, path, overwrite=overwrite)
        ax = fig.add_subplot()
        keys = list(conc)
        x = np.arange(len(keys))
        between = np.array([float(conc[k].get("theil_between_prefectures", np.nan)) for k in keys])
        within = np.array([float(conc[k].get("theil_within_prefectures", np.nan)) for k in keys])
        ax.bar(x, between, width=0.55, color="#2166ac", label="地市间 (between prefectures)")
        ax.bar(x, within, width=0.55, bottom=between, color="#92c5de", label="地市内 (within prefectures)")
        top = np.nan_to_num(between) + np.nan_to_num(within)
        for xi, k, t in zip(x, keys, top):
            v = conc[k]
            share = v.get("top3_prefecture_share")
            txt = f"泰尔 T = {float(v.get('theil', t)):.3f}\n基尼 G = {float(v.get('gini_counties', np.nan)):.3f}"
            if share is not None:
                txt += f"\n前三地市 {float(share):.0%}"
            ax.text(xi, t + max(top) * 0.02, txt, ha="center", va="bottom", fontsize=8.5)
            for yy, part in ((between[xi] / 2, between[xi]), (between[xi] + within[xi] / 2, within[xi])):
                if np.isfinite(part) and part > max(top) * 0.06:
                    ax.text(xi, yy, f"{part:.2f}", ha="center", va="center", fontsize=8.5, color="black",
                            path_effects=_halo(2))
        ax.set_xticks(x, [f"{FACTOR_LABELS.get(k, (k, k))[0]}\n({FACTOR_LABELS.get(k, (k, k))[1]})" for k in keys])
        ax.set_ylim(0, max(top) * 1.35 if len(top) and max(top) > 0 else 1)
        ax.set_ylabel("泰尔指数 (Theil index)")
        ax.set_title("高端要素集中度：泰尔指数的地市间与地市内分解 (Theil decomposition)", loc="left")
        ax.legend(loc="upper left", frameon=False)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        return _save(fig, path, overwrite=overwrite)


def chart_hub_access(access, path: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """County seats per travel-time class to the nearest hub of each kind (``min_to_*``), with the median."""
    ca = access.county_access
    cols = [c for c in ca.columns if c.startswith("min_to_")]
    with _style():
        fig = _figure(CHART_SIZE)
        if not cols:
            _empty(fig, "无枢纽可达性指标 no hub-access columns")
            return _save(fig, path, overwrite=overwrite)
        ax = fig.add_subplot()
        y = np.arange(len(cols))[::-1]
        labels = minute_classes("zh")[2]
        n_classes = len(TIME_COLOURS)
        for yi, c in zip(y, cols):
            v = ca[c].astype(float).to_numpy()
            v = v[np.isfinite(v)]
            counts = np.bincount(minute_class(v), minlength=n_classes)[:n_classes] if len(v) else np.zeros(n_classes)
            share = counts / max(1, counts.sum()) * 100.0
            left = 0.0
            for k in range(n_classes):
                if share[k] > 0:
                    ax.barh(yi, share[k], left=left, height=0.62, color=TIME_COLOURS[k], edgecolor="white",
                            linewidth=0.6)
                    if share[k] >= 6:
                        ax.text(left + share[k] / 2, yi, f"{int(counts[k])}", ha="center", va="center", fontsize=8,
                                path_effects=_halo(2))
                    left += share[k]
            if len(v):
                ax.text(101, yi, f"中位 {np.median(v):.0f} 分钟\n最大 {v.max():.0f} 分钟", va="center", fontsize=8)
        names = []
        for c in cols:
            zh, en = HUB_LABELS.get(c[len("min_to_"):], (c[len("min_to_"):], c[len("min_to_"):]))
            names.append(f"{zh}\n({en})")
        ax.set_yticks(y, names)
        ax.set_xlim(0, 118)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel("县城占比 % (share of county seats; 数字为县城数 numbers are seats)")
        ax.set_title("县城到最近枢纽的网络时间分布 (county-seat minutes to the nearest hub)", loc="left")
        fig.legend([Patch(color=c) for c in TIME_COLOURS], labels, loc="outside lower center",
                  ncols=len(labels), frameon=False, fontsize=8)
        return _save(fig, path, overwrite=overwrite)


# --------------------------------------------------------------------------- map furniture


def _north_arrow(ax, *, x: float = 0.95, y: float = 0.93, zh: bool = True) -> None:
    ax.annotate("", xy=(x, y), xytext=(x, y - 0.08), xycoords="axes fraction",
                arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=0.9", "color": "black", "linewidth": 2})
    ax.text(x, y + 0.008, "北\nN" if zh else "N", transform=ax.transAxes, ha="center", va="bottom", fontsize=11,
            fontweight="bold", linespacing=0.95)


def _scale_bar(ax, *, km: int = 100, x: float = 0.04, y: float = 0.04) -> None:
    """A ``km`` kilometre bar (alternating halves) in data units of a metric CRS."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bx = x0 + (x1 - x0) * x
    by = y0 + (y1 - y0) * y
    h = (y1 - y0) * 0.008
    half = km * 1000 / 2
    ax.add_patch(Rectangle((bx, by), half, h, facecolor="black", edgecolor="black", linewidth=0.8, zorder=20))
    ax.add_patch(Rectangle((bx + half, by), half, h, facecolor="white", edgecolor="black", linewidth=0.8, zorder=20))
    for dx, t in ((0, "0"), (half, f"{km // 2}"), (2 * half, f"{km} km")):
        ax.text(bx + dx, by + h * 1.6, t, ha="center", va="bottom", fontsize=9, zorder=20, path_effects=_halo(2))


def _dashes(dash: str | None, width: float):
    if not dash:
        return "solid"
    parts = tuple(max(0.5, float(p) / max(width, 0.5)) for p in dash.split())
    return (0, parts)


def _metric_crs(layers, crs) -> CRS:
    """The maps' projected CRS: the one given (the network's), else the study area's (:func:`study_area_crs`)."""
    if crs is not None:
        return CRS.from_user_input(crs)
    return study_area_crs(layers["counties"].to_crs(4490).total_bounds)


def _to_metric(gdf: gpd.GeoDataFrame | None, crs) -> gpd.GeoDataFrame | None:
    if gdf is None or not len(gdf):
        return None
    return gdf.to_crs(crs)


def _base(ax, layers, crs, *, county_fill: str = "#ececec") -> gpd.GeoDataFrame:
    """Counties (light fill) and prefecture borders; returns the metric counties."""
    counties = layers["counties"].to_crs(crs)
    counties.plot(ax=ax, facecolor=county_fill, edgecolor="#ffffff", linewidth=0.5, zorder=1)
    _borders(ax, layers, counties)
    return counties


def _borders(ax, layers, counties, *, zorder: float = 2) -> None:
    pref = layers.get("prefectures")
    if pref is None or not len(pref):
        key = "prefecture_adcode" if "prefecture_adcode" in counties else None
        pref = counties.dissolve(by=key) if key else None
    else:
        pref = pref.to_crs(counties.crs)
    if pref is not None:
        pref.boundary.plot(ax=ax, color="#8c8c8c", linewidth=0.9, zorder=zorder)
    outline = counties.union_all()
    gpd.GeoSeries([outline], crs=counties.crs).boundary.plot(ax=ax, color="#4d4d4d", linewidth=1.4, zorder=zorder)


def _frame(ax, counties: gpd.GeoDataFrame, *, pad: float = 0.04) -> None:
    xmin, ymin, xmax, ymax = counties.total_bounds
    dx, dy = (xmax - xmin) * pad, (ymax - ymin) * pad
    ax.set_xlim(xmin - dx, xmax + dx)
    ax.set_ylim(ymin - dy * 2.5, ymax + dy)
    ax.set_aspect("equal")
    ax.set_autoscale_on(False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for s in ax.spines.values():
        s.set_visible(True)
        s.set_color("#999999")


# --------------------------------------------------------------------------- maps


def map_plan_png(layers: dict[str, gpd.GeoDataFrame], plan, path: str | os.PathLike, *, language: str = "zh",
                 overwrite: bool = True, crs=None, area_name: tuple[str, str] = ("", ""),
                 pdf: str | os.PathLike | None = None) -> Path:
    """The 点-带-网 plan as a static map for slides, in ``crs`` (the study area's metric CRS by default).

    ``area_name`` is the study area's ``(zh, en)`` name for the title; with ``pdf``, the same map is also
    written there as a vector PDF for print.

    Counties with prefecture borders, rail lines by class, expressways, belts
    coloured by sector and labelled with their id (listed in the legend),
    priority links dashed red, nodes sized and coloured by tier (national and
    provincial tiers named where the label fits), with a north arrow, a 100 km
    scale bar, a legend, a title and a note that the geometry is schematic.
    """
    zh = language == "zh"
    col, s_zh, s_en = _sector_colours()
    with _style():
        fig = _figure(MAP_SIZE, layout=None)
        ax = fig.add_axes((0.01, 0.06, 0.70, 0.87))
        crs = _metric_crs(layers, crs)
        counties = _base(ax, layers, crs)
        handles: list = [Patch(facecolor="#ececec", edgecolor="#8c8c8c",
                               label="县区 / 地市界" if zh else "Counties / prefecture borders")]
        labels: list[tuple] = []  # (x, y, text, kwargs, required)
        prefectures = _to_metric(layers.get("prefectures"), crs)
        if prefectures is not None and len(prefectures):  # the prefectures named first: the reader's bearings
            pname = "name_zh" if zh or "name_en" not in prefectures else "name_en"
            for text, pt in zip(prefectures[pname].astype(str), prefectures.representative_point()):
                labels.append((pt.x, pt.y, text, {"fontsize": 10, "fontweight": "bold", "color": "#5a5a5a"}, True))

        rail = _to_metric(layers.get("rail_lines"), crs)
        if rail is not None and "rail_class" in rail:
            for cls in ("freight", "conventional", "intercity", "hsr"):
                sub = rail[rail["rail_class"] == cls]
                if not len(sub) or cls not in RAIL_STYLE:
                    continue
                c, w, dash = RAIL_STYLE[cls]
                lw = w * 0.55
                sub.plot(ax=ax, color=c, linewidth=lw, linestyle=_dashes(dash, w), zorder=4)
                handles.append(Line2D([], [], color=c, linewidth=lw, linestyle=_dashes(dash, w),
                                      label=label(cls, "zh" if zh else "en")))
        roads = _to_metric(layers.get("roads"), crs)
        if roads is not None and "road_class" in roads:
            for cls in ("trunk", "provincial_expressway", "motorway", "expressway"):  # the main roads, OSM or authored
                sub = roads[roads["road_class"] == cls]
                if not len(sub):
                    continue
                c, w, dash = ROAD_STYLE[cls]
                lw = w * 0.5
                sub.plot(ax=ax, color=c, linewidth=lw, linestyle=_dashes(dash, w), zorder=3, alpha=0.9)
                handles.append(Line2D([], [], color=c, linewidth=lw, label=label(cls, "zh" if zh else "en")))

        pr = _to_metric(plan.priorities, crs)
        if pr is not None:
            pr.plot(ax=ax, color=PRIORITY_STYLE["color"], linewidth=2.0, linestyle=(0, (4, 2.5)), zorder=6)
            handles.append(Line2D([], [], color=PRIORITY_STYLE["color"], linewidth=2.0, linestyle=(0, (4, 2.5)),
                                  label="优先建设/提升通道" if zh else "Priority link"))

        belts = _to_metric(plan.belts, crs)
        if belts is not None:
            belts = belts.sort_values("rank")
            for rec in belts.itertuples():
                c = sector_colour(rec.sector, col)
                gpd.GeoSeries([rec.geometry], crs=crs).plot(ax=ax, color=c, linewidth=9, alpha=0.35,
                                                                   zorder=5, capstyle="round")
                name = str(rec.name_zh) if zh else _wrap(str(getattr(rec, "name_en", rec.name_zh)), 44)
                handles.append(Line2D([], [], color=c, linewidth=7, alpha=0.45, label=f"{rec.belt_id} {name}"))
                if rec.geometry is not None and not rec.geometry.is_empty:
                    pt = rec.geometry.interpolate(0.5, normalized=True)
                    labels.append((pt.x, pt.y, str(rec.belt_id),
                                   {"fontsize": 8, "fontweight": "bold", "color": _darker(c, 0.55)}, True))

        nodes = _to_metric(plan.nodes, crs)
        if nodes is not None:
            order = list(TIER_STYLE)[::-1]
            for tier in order:
                sub = nodes[nodes["tier"] == tier]
                c, r, _ = TIER_STYLE[tier]
                if len(sub):
                    ax.scatter(sub.geometry.x, sub.geometry.y, s=(r * 1.25) ** 2, color=c, edgecolor="#222222",
                               linewidth=0.6, zorder=7 + order.index(tier) * 0.1)
                handles.append(Line2D([], [], marker="o", linestyle="none", markersize=r * 1.25, markerfacecolor=c,
                                      markeredgecolor="#222222", label=(f"增长极：{tier}" if zh
                                                                        else f"Growth pole: {TIER_LABEL_EN[tier]}")))
            name_col = "name_zh" if zh or "name_en" not in nodes else "name_en"
            big = nodes[nodes["tier"].isin(["国家级", "省级"])].sort_values("rank")
            for rec in big.itertuples():
                labels.append((rec.geometry.x, rec.geometry.y, str(getattr(rec, name_col)),
                               {"fontsize": 7.5 if rec.tier == "国家级" else 6.8,
                                "fontweight": "bold" if rec.tier == "国家级" else "normal"}, rec.tier == "国家级"))

        _frame(ax, counties)
        _place_labels(fig, ax, labels)
        _north_arrow(ax, zh=zh)
        _scale_bar(ax)
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.725, 0.935), frameon=False,
                   title="图例" if zh else "Legend", alignment="left", fontsize=8, title_fontsize=10)
        title = (f"{area_name[0]}先进制造业集群 点-带-网 空间布局（示意）" if zh
                 else f"{area_name[1] + ' ' if area_name[1] else ''}advanced-manufacturing clusters: "
                      "nodes, belts and network (schematic)")
        credits = "；".join(data_credits(layers)) if zh else "; ".join(data_credits(layers))
        note = ("示意 schematic：铁路与高速公路沿 OSM 路网绘制（个别区段为示意），园区多为近似位置，产业带为规划示意；"
                f"适用于省域尺度规划，非测绘成果。坐标系 {crs_label(crs)}。{credits}" if zh else
                "Schematic: rail and expressways follow the OSM network (a few stretches drawn straight), most parks "
                "are approximate positions and belts are planning sketches; for province-scale planning, not "
                f"survey-grade. CRS {crs_label(crs, zh=False)}. {credits}")
        _frame_texts(fig, title, note)
        return _save(fig, path, overwrite=overwrite, also=pdf)


def _frame_texts(fig, title: str, note: str) -> None:
    """The map sheets' title (top left) and provenance note (bottom left)."""
    fig.text(0.01, 0.965, title, fontsize=16, fontweight="bold", ha="left", va="center")
    fig.text(0.01, 0.025, note, fontsize=8.5, color="#555555", ha="left", va="center")


#: Label offsets tried in turn (points, horizontal and vertical alignment).
_LABEL_OFFSETS = ((0, -7, "center", "top"), (6, 3, "left", "bottom"), (-6, 3, "right", "bottom"),
                  (6, -3, "left", "top"), (-6, -3, "right", "top"), (0, 7, "center", "bottom"),
                  (10, 0, "left", "center"), (-10, 0, "right", "center"))


def _place_labels(fig: Figure, ax, items: list[tuple]) -> None:
    """Greedy label placement: the first offset whose box overlaps no placed label; optional labels that fit
    nowhere are dropped, required ones keep their first position."""
    renderer = fig.canvas.get_renderer()
    placed = []
    for x, y, text, kw, required in items:
        chosen = None
        for dx, dy, ha, va in _LABEL_OFFSETS:
            ann = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, zorder=10,
                              path_effects=_halo(2.2), **kw)
            box = ann.get_window_extent(renderer).expanded(1.04, 1.1)
            if not any(box.overlaps(b) for b in placed):
                chosen = (ann, box)
                break
            ann.remove()
        if chosen is None and required:
            dx, dy, ha, va = _LABEL_OFFSETS[0]
            ann = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, zorder=10,
                              path_effects=_halo(2.2), **kw)
            chosen = (ann, ann.get_window_extent(renderer))
        if chosen is not None:
            placed.append(chosen[1])


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _darker(hex_colour: str, f: float = 0.65) -> str:
    rgb = matplotlib.colors.to_rgb(hex_colour)
    return matplotlib.colors.to_hex(tuple(c * f for c in rgb))


def map_access_png(access, layers: dict[str, gpd.GeoDataFrame], path: str | os.PathLike, kind: str = "airport", *,
                   language: str = "zh", overwrite: bool = True, crs=None) -> Path:
    """The travel-time raster to the nearest hub of ``kind`` (``access.rasters[kind]``) in the
    :data:`~spatial_planner.maps.TIME_BREAKS` classes, with county outlines and the target hubs."""
    key = kind.replace("-", "_")
    if key not in access.rasters:
        raise KeyError(f"no travel-time raster for {kind!r}; rasters: {', '.join(access.rasters) or 'none'}")
    zh = language == "zh"
    map_crs = crs
    arr, transform, crs = access.rasters[key]
    arr = np.asarray(arr, dtype=np.float32)
    metric = CRS.from_user_input(crs if map_crs is None else map_crs)  # the raster's own CRS unless one is asked for
    if CRS.from_user_input(crs) != metric:
        h, w = arr.shape
        l_, b_, r_, t_ = array_bounds(h, w, transform)
        dst_t, dw, dh = calculate_default_transform(crs, metric, w, h, l_, b_, r_, t_)
        out = np.full((dh, dw), np.nan, dtype=np.float32)
        reproject(arr, out, src_transform=transform, src_crs=crs, dst_transform=dst_t, dst_crs=metric,
                  resampling=Resampling.nearest, src_nodata=np.nan, dst_nodata=np.nan)
        arr, transform = out, dst_t
    h, w = arr.shape
    left, bottom, right, top = array_bounds(h, w, transform)
    hub_zh, hub_en = HUB_LABELS.get(key, (kind, kind))
    with _style():
        fig = _figure(MAP_SIZE, layout=None)
        ax = fig.add_axes((0.01, 0.06, 0.76, 0.87))
        counties = layers["counties"].to_crs(metric)
        counties.plot(ax=ax, facecolor="#f2f2f2", edgecolor="none", zorder=0)
        valid = np.isfinite(arr)
        classes = np.ma.masked_array(np.where(valid, minute_class(np.where(valid, arr, 0.0)), 0), mask=~valid)
        cmap = ListedColormap(list(TIME_COLOURS)).with_extremes(bad=(0, 0, 0, 0))
        norm = BoundaryNorm(np.arange(len(TIME_COLOURS) + 1) - 0.5, cmap.N)
        ax.imshow(classes, extent=(left, right, bottom, top), origin="upper", cmap=cmap, norm=norm,
                  interpolation="nearest", zorder=1, alpha=0.9)
        counties.boundary.plot(ax=ax, color="#ffffff", linewidth=0.45, zorder=2)
        _borders(ax, layers, counties, zorder=3)
        try:
            targets = select_targets(layers, kind).to_crs(metric)
        except (KeyError, ValueError, LookupError):
            targets = None
        handles = [Patch(color=c, label=lab) for c, lab in zip(TIME_COLOURS, minute_classes("zh" if zh else "en")[2])]
        if targets is not None and len(targets):
            pts = targets.geometry.representative_point()
            ax.scatter(pts.x, pts.y, marker="*", s=190, color="#1a1a1a", edgecolor="white", linewidth=0.8, zorder=6)
            name_col = "name" if "name" in targets else ("name_zh" if "name_zh" in targets else None)
            if name_col and zh:
                for p, n in zip(pts, targets[name_col].astype(str)):
                    ax.annotate(n, (p.x, p.y), xytext=(7, 4), textcoords="offset points", fontsize=8, zorder=7,
                                path_effects=_halo(2.5))
            handles.append(Line2D([], [], marker="*", linestyle="none", markersize=13, markerfacecolor="#1a1a1a",
                                  markeredgecolor="white", label=f"{hub_zh}" if zh else hub_en))
        _frame(ax, counties)
        _north_arrow(ax, zh=zh)
        _scale_bar(ax)
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.785, 0.93), frameon=False,
                   title="到最近%s时间" % hub_zh if zh else f"Time to nearest {hub_en}", alignment="left",
                   fontsize=9, title_fontsize=10)
        title = (f"到最近{hub_zh}的出行时间（{transform.a / 1000:g} km 栅格）" if zh
                 else f"Travel time to the nearest {hub_en} ({transform.a / 1000:g} km grid)")
        note = ("每个栅格：步行接入最近路网节点后经道路网络到达最近目标的分钟数（或直接步行，取较小者）；"
                "路网为示意 schematic。" if zh else
                "Minutes from each cell: off-network access to a nearby road node, then the road network (or "
                "straight access, whichever is faster); the network is schematic (示意).")
        _frame_texts(fig, title, note)
        return _save(fig, path, overwrite=overwrite)
