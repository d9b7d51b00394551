"""The written report: ``report.md`` with ranked tables, parameters and provenance, and its HTML page.

Every table says where its numbers come from (``statistics`` or the park
``proxy``) and which parameters produced it, so a planner can defend each line.

* :func:`markdown_report`: the report in Markdown (optionally with figure links);
* :func:`markdown_to_html`: the report's Markdown as HTML (markdown-it-py: CommonMark and pipe tables,
  raw HTML shown as text, figures embedded);
* :func:`html_report`: a self-contained HTML page (figures embedded, table of contents);
* :func:`write_report`: ``report.md``, ``report.html``, ``figures/*.png`` and ``maps/*.png`` into a folder.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import html as _html
import os
from pathlib import Path

import pandas as pd
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .._errors import DataFileError
from ..io._atomic import atomic_output, check_free
from ..io.credits import data_credits
from ..symbology import mode_labels
from . import figures as F

__all__ = [
    "REPORT_FIGURES",
    "md_table",
    "markdown_report",
    "markdown_to_html",
    "html_report",
    "write_report",
]

#: Figure sections of the report: key → (relative path, alt text).
REPORT_FIGURES: dict[str, tuple[str, str]] = {
    "plan_map": ("maps/plan_zh.png", "点-带-网 空间布局总图 Plan map"),
    "node_scores": ("figures/node_scores.png", "增长极综合得分构成 Growth-pole score parts"),
    "belts": ("figures/belts.png", "产业带排序 Belts ranked by score"),
    "priorities": ("figures/priorities.png", "优先通道：现状与理想时间 Link priorities, network vs ideal minutes"),
    "concentration": ("figures/concentration.png", "泰尔指数分解 Theil decomposition"),
    "hub_access": ("figures/hub_access.png", "县城到枢纽时间分布 County-seat minutes to hubs"),
    "access_map": ("maps/time_to_airport.png", "到最近机场的出行时间 Travel time to the nearest airport"),
}


def md_table(df: pd.DataFrame, columns: dict[str, str], *, floatfmt: str = "{:.2f}") -> str:
    """A Markdown table of ``df`` with the given column → header mapping (``|`` in values escaped)."""
    cols = [c for c in columns if c in df.columns]
    head = "| " + " | ".join(columns[c] for c in cols) + " |"
    sep = "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c]) else "---" for c in cols) + "|"
    rows = []
    for rec in df[cols].itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, float):
                cells.append(floatfmt.format(v) if pd.notna(v) else "")
            else:
                cells.append(str(v).replace("|", "\\|").replace("\n", " "))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join([head, sep, *rows])


def _figure_lines(figures: dict[str, str] | None, key: str) -> list[str]:
    """``![alt](path)`` and a blank line for a figure of the report, when ``figures`` has it."""
    if not figures or key not in figures:
        return []
    alt = REPORT_FIGURES.get(key, ("", key))[1]
    return [f"![{alt}]({figures[key]})", ""]


def markdown_report(plan, cfg, access=None, *, title: str | None = None, top: int = 10,
                    figures: dict[str, str] | None = None, notes: list[str] | None = None,
                    credits: list[str] | None = None) -> str:
    """The plan's report in Markdown (Chinese headings with English).

    Parameters
    ----------
    notes
        Warnings of the run (data repaired or guessed, places far from the road
        network), shown at the top so that a reader of the report sees them.
    figures
        Optional figure links by section key (see :data:`REPORT_FIGURES`: ``plan_map``, ``node_scores``,
        ``belts``, ``priorities``, ``concentration``, ``hub_access``, ``access_map``) → relative path; each is
        placed as an image under its section.
    credits
        Credit lines the data asks for (:func:`spatial_planner.io.data_credits`), under "Data".
    """
    fig = figures
    r = plan.report
    prov = "统计数据 statistics" if r.get("provenance") == "statistics" else "园区代理指标 park proxy"
    lines = [f"# {title or cfg.study_area.name_zh + ' 先进制造业集群 点-带-网 空间布局'}", "",
             f"生成 Generated: {_dt.date.today().isoformat()} · 产业数据来源 Industry data: **{prov}**", ""]
    if r.get("coverage"):
        cov = r["coverage"]
        lines += [f"> 经济规模取县域 2022 年第二产业增加值：公布 {cov.get('published', 0)} 个县区，按地市总量折算 "
                  f"{cov.get('rescaled', 0)} 个，按人口估算 {cov.get('estimated', 0)} 个（方法与来源见 "
                  "`gis_data/README.md` 与 county_statistics.csv 的 quality/method 列）；行业构成按各县园区主导产业拆分。",
                  f"> Economic mass is each county's 2022 secondary-industry value added: published for "
                  f"{cov.get('published', 0)} counties, rescaled to a prefecture total for {cov.get('rescaled', 0)}, "
                  f"estimated from population for {cov.get('estimated', 0)}; sector shares follow the parks' "
                  "leading industries.", ""]
    elif r.get("provenance") != "statistics":
        lines += ["> 产业规模为园区代理指标：园区面积 × 级别系数（国家级 2.0、省级 1.0、市级 0.6），按主导产业 "
                  "0.5/0.3/0.2 分配，反映产业用地的集中程度，不是产值。提供分县分行业统计后（`[indices] statistics`）"
                  "全部指标改用统计数据。",
                  "> Industry mass is a proxy from park area × level factor split over leading sectors; it shows where "
                  "designated industrial land concentrates, not output.", ""]
    if notes:
        lines += ["> **注意 Notes on the input data**", ">"] + [f"> - {n}" for n in notes] + [""]
    lines += _figure_lines(fig, "plan_map")
    t = r["tiers"]
    lines += ["## 1 增长极与培育层级 Growth poles and tiers (点)", "",
              f"综合得分 = Σ 权重 × 标准化分项；权重 weights ({t['weighting']}): "
              + ", ".join(f"{k} {v}" for k, v in t["weights"].items()) + ".",
              f"分级 classifier: {t['classifier']}, breaks {t['breaks']}; 规则提升 lifted by rule: {t['lifted_by_rule']}.",
              "", md_table(plan.nodes.head(top), {
                  "rank": "排名", "name_zh": "节点", "prefecture_zh": "地市", "tier": "层级", "score": "得分",
                  "s_mass": "规模", "s_gravity": "引力可达", "s_betweenness": "中介性", "s_hub_access": "枢纽可达",
                  "s_park_level": "园区级别", "tier_rule": "规则"}, floatfmt="{:.3f}"), ""]
    lines += _figure_lines(fig, "node_scores")
    counts = plan.nodes["tier"].value_counts()
    lines += ["层级数量 Nodes per tier: " + ", ".join(f"{k} {int(counts.get(k, 0))}" for k in ("国家级", "省级", "市级", "县级")),
              ""]
    lines += _belt_lines(plan, r["belts"], top=top, figures=fig)
    lk = r["linkages"]
    lines += ["## 3 联系网络与优先通道 Linkages and link priorities (网)", "",
              f"引力联系 G = M_i·M_j / t^{lk['beta']}（t 为 {lk['mode']} 网络时间，下限 {lk['t_min']} 分钟；互补系数 "
              f"{lk['complementarity']}）。优先度 = w(联系强度) × 时间缺口 × (1 − 现状路径利用率) × 紧迫度，"
              f"w 为联系强度的对数标度（候选中最弱 0.1、最强 1）"
              f"；理想时间 = {lk.get('terminal_min', 10):g} 分钟 + 直线距离 ÷ {lk['reference_speed_kmh']} km/h。"
              f"候选为联系最强的 {lk.get('n_candidates', '')} 对中直线距离 ≥ {lk.get('min_crow_km', '')} km、"
              f"缺口 ≥ {lk.get('min_deficit', '')} 者（更近的属都市区内部交通），每个节点至多 {lk.get('max_per_node', '')} 条。"
              "Priority = w(linkage) × deficit × (1 − utilisation) × urgency, w the linkage on a log scale; pairs "
              "closer than the minimum distance are metropolitan, not provincial, links; at most a few per node.", "",
              md_table(plan.priorities.head(top), {"rank": "排名", "name_a": "节点A", "name_b": "节点B",
                                                   "network_min": "现状分钟", "ideal_min": "理想分钟", "deficit": "缺口",
                                                   "utilisation": "利用率", "priority": "优先度", "proposal": "建议"}), ""]
    lines += _figure_lines(fig, "priorities")
    lines += ["理由 Reasons:", ""] + [f"{i + 1}. {z}" for i, z in enumerate(plan.priorities["reason_zh"].head(top))] + [""]
    c = r["clusters"]
    lines += ["## 4 跨县产业集群建议 Cross-county clusters", "",
              f"同一主导产业、彼此车程 ≤ {c['max_minutes']} 分钟的园区连通成组，跨 2 个以上县区者提为集群（共 {c['clusters']} 个）。",
              "", md_table(plan.clusters.head(top), {"cluster_id": "编号", "name_zh": "集群", "member_names": "成员园区",
                                                      "n_counties": "县区数", "mass": "规模", "max_internal_min": "内部最大车程"}), ""]
    iso = r["isomorphism"]
    lines += ["## 5 问题诊断 Diagnosis", "",
              "### 产业同构 Same-structure competition", "",
              f"结构相似系数（UNIDO 余弦）≥ {iso['threshold']}，且相邻或 {iso['within_minutes']} 分钟内可达：{iso['pairs']} 对。", "",
              md_table(plan.isomorphism.sort_values("similarity", ascending=False).head(top),
                       {"name_a": "县区A", "name_b": "县区B", "similarity": "相似系数", "krugman_dissimilarity": "克鲁格曼差异",
                        "relation": "关系"}, floatfmt="{:.3f}"), ""]
    pr = r["productivity"]
    low = plan.productivity[plan.productivity["low_productivity"]]
    lines += ["### 园区地均产出偏低 Low land productivity", "",
              f"{pr['low']} / {pr['parks']} 个园区低于其级别的地均产出下限（来源：{pr['provenance']}）。", ""]
    if len(low):
        lines += [md_table(low.head(top), {"park_id": "园区", "name_zh": "名称", "productivity": "地均产出",
                                           "floor": "下限"}), ""]
    lines += ["### 高端要素集中 Concentration of high-end resources", "",
              md_table(pd.DataFrame([{"factor": k, **v, "top3_prefectures": "、".join(v["top3_prefectures"])}
                                     for k, v in r["concentration"].items()]),
                       {"factor": "要素", "theil": "泰尔指数", "theil_between_prefectures": "地市间",
                        "theil_within_prefectures": "地市内", "gini_counties": "基尼（县）",
                        "top3_prefecture_share": "前三地市占比", "top3_prefectures": "前三地市"}, floatfmt="{:.3f}"), ""]
    lines += _figure_lines(fig, "concentration")
    if access is not None:
        ca = access.county_access
        cols = [c for c in ca.columns if c.startswith("min_to_")]
        lines += ["## 6 枢纽可达性 Hub access", "", "县城到最近枢纽的网络时间（分钟）统计 Minutes from county seats:", "",
                  md_table(ca[cols].describe().T.reset_index(names="指标"),
                           {"指标": "指标", "mean": "平均", "50%": "中位", "min": "最小", "max": "最大"}), ""]
        lines += _figure_lines(fig, "hub_access") + _figure_lines(fig, "access_map")
        lines += ["### 路网构建 How the network was built", ""] + [f"- {x}" for x in access.network.report.lines()] + [""]
    lines += _published_lines(plan)
    lines += ["## 参数 Parameters", "", "```toml", _params(cfg), "```", "",
              "## 数据说明 Data", "",
              "内置数据的来源、许可与精度见 `gis_data/README.md`：铁路与公路沿 OpenStreetMap 线路绘制，缺轨道数据的区段"
              "为直线示意；车站位于实际位置；园区范围为按面积绘制的示意圆。要素的“几何精度”（geometry_quality）"
              "标明示意或近似，地图以虚线表示。适用于省域尺度规划。",
              "See gis_data/README.md: rail and roads follow OpenStreetMap, legs without track data are drawn straight, "
              "stations are where they are, park footprints are schematic circles; `geometry_quality` flags what is "
              "schematic or approximate (dashed on the map). Fit for province-scale planning.", ""]
    if credits:
        lines += ["数据署名 Credits: " + "; ".join(credits), ""]
    return "\n".join(lines)


def _short_list(text: str, n: int = 6, sep: str = "、") -> str:
    """The first ``n`` items of a ``、``-joined list, with the count when there are more."""
    items = [x for x in str(text).split(sep) if x]
    return sep.join(items) if len(items) <= n else sep.join(items[:n]) + f" 等 {len(items)} 个"


def _belt_lines(plan, b: dict, *, top: int, figures: dict[str, str] | None) -> list[str]:
    """Section 2: corridors, the belts' rule and table, their segments and the figure."""
    belts = plan.belts.head(top)
    rej = b.get("rejected", {})
    place = "县区" if b.get("unit_counted") == "county" else "地市"
    lines = ["## 2 产业带 Industrial belts (带)", "",
             f"交通通道 {b['corridors']} 条：走向一致的铁路与高速公路合并（较短线路至少 {b['join_share']:.0%} 位于另一线 "
             f"{b['join_km']} km 内），沿最长线路（参照线）计里程；参照线两侧 {b['corridor_km']} km 内的园区与增长极属于该通道。"
             f"各产业沿参照线的规模经四次核平滑（半径 {b['bandwidth_km']} km），高于该产业沿全部通道平均线密度 × "
             f"{b['threshold']} 的路段为候选，断档不超过 max({b['gap_km']} km, {b['gap_share']} × 两侧路段长度之和) 的相连；"
             f"产业带须至少 {b['min_parks']} 个园区、串联至少 {b['min_pole_prefectures']} 个{place}的增长极（"
             f"{'/'.join(b['pole_tiers'])}），并跨至少 {b['min_prefectures']} 个{place}或长不少于 {b['min_length_km']} km"
             + ("（研究区不足三个地市，按县区计）" if place == "县区" else "") + "。"
             f"先进制造业走廊取先进制造业各门类之和的剖面，须至少两个门类各占 {b['mix_share']:.0%}。同一通道上交并比 ≥ "
             f"{b['merge_overlap']} 的路段合并为一条带（各产业列入“产业构成”）。候选 {b['candidates']} 段，"
             f"不足园区数 {rej.get('parks', 0)}、增长极不足 {rej.get('poles', 0)}、跨度不足 {rej.get('extent', 0)}、"
             f"门类不足 {rej.get('mix', 0)}，合并 {b['merged']}，入选 {b['selected']} 条。得分 = 规模 × 连续性 × 可达性。",
             "Corridors merge parallel rail lines and expressways; belts are the stretches of a corridor where a "
             "sector's kernel-smoothed mass lies above its mean density along all corridors, gaps bridged, threading "
             "growth poles of several prefectures; score = mass × continuity × accessibility.", ""]
    if not len(belts):
        return lines + ["（无符合条件的产业带：市域等小范围研究可调低 `[belts] min_prefectures`、`min_length_km` 与 "
                        "`min_pole_prefectures`。No belt qualifies: a city-scale study may lower them.）", ""]
    table = belts.assign(sector_label=[("先进制造业（多产业）" if k == "multi" else z)
                                       for k, z in zip(belts["kind"], belts["sector_zh"])],
                         span=[f"{a:.0f}–{e:.0f}" for a, e in zip(belts["start_km"], belts["end_km"])],
                         poles_short=belts["poles"].map(_short_list), modes_label=belts["modes"].map(mode_labels))
    lines += [md_table(table, {"rank": "排名", "name_zh": "产业带", "name_en": "Belt", "corridor": "交通通道",
                               "modes_label": "运输方式", "sector_label": "主导产业", "sector_shares": "产业构成（占比）", "span": "里程 km",
                               "length_km": "长度 km", "n_prefectures": "地市数", "prefectures": "途经地市",
                               "poles_short": "串联增长极", "n_parks": "园区数", "member_names": "成员园区（沿线顺序）",
                               "segments": "集群段", "mass": "规模", "continuity": "连续性",
                               "accessibility": "可达性", "score": "得分"}), ""]
    lines += _figure_lines(figures, "belts")
    seg = plan.belt_segments
    if seg is not None and len(seg):
        seg = seg[seg["belt_id"].isin(set(belts["belt_id"]))]
        lines += ["集群段（产业带内相邻园区间距 ≤ "
                  f"{b['max_gap_km']} km、至少 {b['min_parks']} 个园区跨 {b['min_counties']} 个县区）Segments:", "",
                  md_table(seg, {"segment_id": "编号", "name_zh": "集群段", "member_names": "成员园区",
                                 "start_km": "起 km", "end_km": "止 km", "n_parks": "园区数", "mass": "规模"}), ""]
    return lines


def _published_lines(plan) -> list[str]:
    """The check against the province's published clusters (a check of the plan, not an input)."""
    pub = getattr(plan, "published", None)
    if pub is None or not len(pub):
        return []
    r = plan.report.get("published", {})
    t = pub.assign(covered=pub["covered"].map({True: "是", False: "否"}))
    return ["## 对照省级战略性新兴产业集群 Check against the published provincial clusters", "",
            f"河南省战略性新兴产业集群（第一批，2022）{r.get('clusters', len(pub))} 个中，本规划的增长极（省级及以上且"
            f"该行业区位商 > 1）、跨县集群或产业带覆盖 {r.get('covered', int(pub['covered'].sum()))} 个，"
            f"召回率 recall {r.get('recall', 0):.0%}。此表仅作检验，名单不参与计算。",
            "The first batch of Henan's strategic emerging-industry clusters (2022) beside the plan's poles "
            "(provincial tier or higher with a location quotient above 1 in the sector), cross-county clusters "
            "and belts in the same place; the list is a check, never an input.", "",
            md_table(t, {"cluster_name": "省级集群", "sectors_zh": "行业", "places": "所在地", "nodes": "增长极",
                         "clusters": "跨县集群", "belts": "产业带", "covered": "覆盖", "why_not": "未覆盖原因"}), ""]


def _params(cfg) -> str:
    out = []
    for sec in ("network", "accessibility", "indices", "nodes", "belts", "linkages", "clusters"):
        obj = getattr(cfg, sec)
        out.append(f"[{sec}]")
        for f in dataclasses.fields(obj):
            out.append(f"{f.name} = {getattr(obj, f.name)!r}")
    return "\n".join(out)


# --------------------------------------------------------------------------- Markdown → HTML

_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
         ".webp": "image/webp", ".svg": "image/svg+xml"}
_ALIGN = {"text-align:right": "r", "text-align:center": "c", "text-align:left": "l"}


def _esc(text: str) -> str:
    return _html.escape(text, quote=True)


class _Figures:
    """Figure files by the names a Markdown image may use; embeds each as a ``data:`` URI."""

    def __init__(self, figures: dict[str, str | os.PathLike] | None):
        self.paths: dict[str, Path] = {}
        self.index: dict[str, str] = {}
        for key, path in (figures or {}).items():
            p = Path(path)
            self.paths[key] = p
            for name in (key, Path(key).name, p.name, str(p), p.as_posix()):
                self.index.setdefault(name, key)
        self._uri: dict[str, str] = {}

    def key(self, src: str) -> str | None:
        return self.index.get(src) or self.index.get(Path(src).name)

    def uri(self, key: str) -> str:
        if key not in self._uri:
            p = self.paths[key]
            try:
                data = p.read_bytes()
            except OSError as exc:
                raise DataFileError(f"图表文件无法读取 cannot read figure {key!r}: {exc}", layer=str(p),
                                    fix="write the figures first (write_report does), or drop the entry.") from exc
            mime = _MIME.get(p.suffix.lower(), "application/octet-stream")
            self._uri[key] = f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
        return self._uri[key]


def _cell_open(renderer, tokens, idx, options, env) -> str:
    """Table cells carry their alignment as a class (``r``, ``c``, ``l``) that the page's CSS styles."""
    tok = tokens[idx]
    cls = _ALIGN.get((tok.attrGet("style") or "").replace(" ", ""))
    return f'<{tok.tag} class="{cls}">' if cls else f"<{tok.tag}>"


def _markdown() -> MarkdownIt:
    """CommonMark with pipe tables; raw HTML in the text is shown as text, never passed through."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.add_render_rule("th_open", _cell_open)
    md.add_render_rule("td_open", _cell_open)
    md.add_render_rule("table_open", lambda *_: '<div class="table-wrap"><table>\n')
    md.add_render_rule("table_close", lambda *_: "</table></div>\n")
    return md


def _lone_image(tokens, i: int) -> bool:
    """Whether token ``i`` is the inline content of a paragraph that holds one image and nothing else."""
    kids = tokens[i].children or []
    return (tokens[i].type == "inline" and len(kids) == 1 and kids[0].type == "image"
            and tokens[i - 1].type == "paragraph_open")


def _convert(text: str, figs: _Figures) -> tuple[str, list[tuple[int, str, str]], set[str]]:
    """HTML of the Markdown, its headings ``(level, id, inner html)`` and the figure keys it shows.

    Headings get ids ``sec-1``, ``sec-2`` …; images of known figures are
    embedded as ``data:`` URIs, and an image alone in its paragraph becomes a
    ``<figure>`` captioned with its alt text.
    """
    md = _markdown()
    tokens = md.parse(text)
    toc, used, n = [], set(), 0
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            n += 1
            tok.attrSet("id", f"sec-{n}")
            toc.append((int(tok.tag[1]), f"sec-{n}", md.renderer.renderInline(tokens[i + 1].children, md.options, {})))
        for img in (c for c in (tok.children or []) if c.type == "image"):
            key = figs.key(img.attrGet("src") or "")
            if key is not None:
                used.add(key)
                img.attrSet("src", figs.uri(key))
    out: list[Token] = []
    skip = set()
    for i, tok in enumerate(tokens):
        if i in skip:
            continue
        if _lone_image(tokens, i):
            figure = Token("html_block", "", 0)
            figure.content = (f"<figure>{md.renderer.renderInline(tok.children, md.options, {})}"
                              f"<figcaption>{_esc(tok.children[0].content)}</figcaption></figure>\n")
            out[-1] = figure  # in place of the paragraph_open
            skip.add(i + 1)  # and its paragraph_close
            continue
        out.append(tok)
    return md.renderer.render(out, md.options, {}), toc, used


def markdown_to_html(text: str, figures: dict[str, str | os.PathLike] | None = None) -> str:
    """Convert the report's Markdown (CommonMark with pipe tables, by markdown-it-py) to an HTML fragment.

    Headings get ids ``sec-1``, ``sec-2`` …; ``figures`` maps image names to
    files embedded as ``data:`` URIs; table cells carry their alignment as a
    class. All text is HTML-escaped: raw HTML in the Markdown is shown as text,
    and no link to ``javascript:`` or the like is made.
    """
    return _convert(text, _Figures(figures))[0]


_CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--head:#f3f5f7;--zebra:#fafbfc;--accent:#b2182b}
*{box-sizing:border-box}
html{font-size:16px}
body{margin:0;color:var(--fg);background:#fff;line-height:1.65;
 font-family:"Noto Sans CJK SC","Source Han Sans SC","Noto Sans SC","PingFang SC","Hiragino Sans GB",
 "Microsoft YaHei","WenQuanYi Micro Hei",system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1120px;margin:0 auto;padding:2rem 1.5rem 4rem}
h1{font-size:1.9rem;line-height:1.3;margin:0 0 1rem;border-bottom:3px solid var(--accent);padding-bottom:.5rem}
h2{font-size:1.45rem;margin:2.4rem 0 .8rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
h3{font-size:1.15rem;margin:1.8rem 0 .6rem}
p,li{max-width:60rem}
a{color:#0b5cad}
code{font-family:"Noto Sans Mono CJK SC",ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em;
 background:#f0f2f4;border-radius:4px;padding:.1em .35em}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:.9rem 1rem;overflow:auto;line-height:1.45}
pre code{background:none;padding:0;font-size:.85rem}
blockquote{margin:1rem 0;padding:.6rem 1rem;border-left:4px solid #e0a800;background:#fffbea;color:#3d3d3d}
blockquote p{margin:.3rem 0}
.table-wrap{overflow-x:auto;margin:1rem 0 1.4rem}
table{border-collapse:collapse;font-size:.88rem;min-width:50%}
th,td{border:1px solid var(--line);padding:.35rem .6rem;vertical-align:top}
th{background:var(--head);font-weight:600;white-space:nowrap;position:sticky;top:0}
tbody tr:nth-child(even){background:var(--zebra)}
td.r,th.r{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.c,th.c{text-align:center}
td.l,th.l{text-align:left}
figure{margin:1.2rem 0 1.8rem;text-align:center}
figure img{max-width:100%;height:auto;border:1px solid var(--line);border-radius:4px}
figcaption{color:var(--muted);font-size:.9rem;margin-top:.4rem}
nav.toc{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:.8rem 1.2rem;margin:1rem 0 2rem}
nav.toc h2{font-size:1.05rem;margin:0 0 .4rem;border:0;padding:0}
nav.toc ul{margin:.2rem 0;padding-left:0;list-style:none}
nav.toc ul ul{padding-left:1.6rem}
nav.toc li{margin:.15rem 0}
hr{border:0;border-top:1px solid var(--line);margin:2rem 0}
@media print{main{max-width:none;padding:0}nav.toc{display:none}th{position:static}
 figure,table{page-break-inside:avoid}}
"""


def _toc_html(toc: list[tuple[int, str, str]]) -> str:
    entries = [(lvl, hid, inner) for lvl, hid, inner in toc if lvl in (2, 3)]
    if not entries:
        return ""
    out = ['<nav class="toc" aria-label="目录 Contents">', "<h2>目录 Contents</h2>", "<ul>"]
    open_sub = False
    for j, (lvl, hid, inner) in enumerate(entries):
        link = f'<a href="#{hid}">{inner}</a>'
        if lvl == 2:
            if open_sub:
                out.append("</ul></li>")
                open_sub = False
            nxt = entries[j + 1][0] if j + 1 < len(entries) else 2
            if nxt == 3:
                out.append(f"<li>{link}<ul>")
                open_sub = True
            else:
                out.append(f"<li>{link}</li>")
        else:
            out.append(f"<li>{link}</li>")
    if open_sub:
        out.append("</ul></li>")
    out += ["</ul>", "</nav>"]
    return "\n".join(out)


def html_report(markdown_text: str, figures: dict[str, str | os.PathLike] | None = None, *, title: str) -> str:
    """A self-contained HTML page of a Markdown report.

    Figures whose name (key, relative path or file name) an image in the
    Markdown refers to are embedded there as base64 ``data:`` URIs; the others
    are appended under "附图 Figures". The page has a table of contents of the
    level-2 and -3 headings, CSS for tables and a CJK font stack, a content
    security policy that allows no scripts, and every piece of text escaped.

    Parameters
    ----------
    markdown_text
        The report (e.g. :func:`markdown_report`).
    figures
        Image name → PNG (or JPEG/SVG) file.
    title
        The page title (``<title>``; also the heading when the Markdown has no level-1 heading).
    """
    figs = _Figures(figures)
    _, _, used = _convert(markdown_text, figs)
    rest = [k for k in figs.paths if k not in used]
    if rest:
        markdown_text = markdown_text.rstrip("\n") + "\n\n## 附图 Figures\n\n" + "".join(
            f"![{Path(k).stem}]({k})\n\n" for k in rest)
    body, toc, _ = _convert(markdown_text, figs)
    if body.startswith("<h1"):
        head, _, body = body.partition("\n")
    else:
        head = f"<h1>{_esc(title)}</h1>"
    body = "\n".join([head, _toc_html(toc), body])
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src * data:; "
        "style-src 'unsafe-inline'\">",
        f"<title>{_esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        body,
        "</main>",
        "</body>",
        "</html>",
        "",
    ])


# --------------------------------------------------------------------------- writing the report


def _report_targets(access, out: Path) -> tuple[dict[str, Path], str | None]:
    """Relative name → path of every file :func:`write_report` writes, and the raster kind of the access map."""
    rel = ["report.md", "report.html", "figures/node_scores.png", "figures/belts.png", "figures/priorities.png",
           "figures/concentration.png"]
    kind = None
    if access is not None:
        if any(str(c).startswith("min_to_") for c in access.county_access.columns):
            rel.append("figures/hub_access.png")
        rasters = getattr(access, "rasters", {}) or {}
        kind = "airport" if "airport" in rasters else next(iter(rasters), None)
    rel += ["maps/plan_zh.png", "maps/plan_zh.pdf", "maps/plan_en.png"]
    if kind is not None:
        rel.append(f"maps/time_to_{kind}.png")
    return {r: out / r for r in rel}, kind


def write_report(plan, cfg, access, layers, out_dir: str | os.PathLike, *, overwrite: bool = False,
                 title: str | None = None, top: int = 10, notes: list[str] | None = None) -> dict[str, Path]:
    """Write the report with its figures and maps into ``out_dir``.

    Files: ``report.md`` (figures linked as relative ``figures/*.png`` and
    ``maps/*.png`` under their sections), ``report.html`` (self-contained),
    ``figures/node_scores.png``, ``figures/belts.png``, ``figures/priorities.png``,
    ``figures/concentration.png``, ``figures/hub_access.png`` (with ``access``),
    ``maps/plan_zh.png`` (and ``maps/plan_zh.pdf`` for print), ``maps/plan_en.png`` and ``maps/time_to_airport.png``
    (the first raster when there is no airport raster). Each is written
    atomically.

    Returns
    -------
    dict
        Relative name (e.g. ``"figures/belts.png"``) → path.

    Raises
    ------
    OutputExistsError
        One of the files exists and ``overwrite`` is false (nothing is written).
    """

    out = Path(out_dir)
    targets, kind = _report_targets(access, out)
    check_free(targets.values(), overwrite=overwrite, where=str(out))
    F.cjk_font()  # fail early, before anything is written, when no CJK font is available
    t = targets
    F.chart_node_scores(plan, t["figures/node_scores.png"], overwrite=overwrite)
    F.chart_belts(plan, t["figures/belts.png"], overwrite=overwrite)
    F.chart_priorities(plan, t["figures/priorities.png"], overwrite=overwrite)
    F.chart_concentration(plan, t["figures/concentration.png"], overwrite=overwrite)
    if "figures/hub_access.png" in t:
        F.chart_hub_access(access, t["figures/hub_access.png"], overwrite=overwrite)
    crs = access.network.crs if access is not None else None
    names = (cfg.study_area.name_zh, cfg.study_area.name_en)
    F.map_plan_png(layers, plan, t["maps/plan_zh.png"], language="zh", overwrite=overwrite, crs=crs, area_name=names,
                   pdf=t["maps/plan_zh.pdf"])
    F.map_plan_png(layers, plan, t["maps/plan_en.png"], language="en", overwrite=overwrite, crs=crs, area_name=names)
    links = {key: path for key, (path, _) in REPORT_FIGURES.items() if path in t}
    if kind is not None:
        F.map_access_png(access, layers, t[f"maps/time_to_{kind}.png"], kind=kind, overwrite=overwrite)
        links["access_map"] = f"maps/time_to_{kind}.png"
    md = markdown_report(plan, cfg, access, title=title, top=top, figures=links, notes=notes,
                         credits=data_credits(layers))
    with atomic_output(t["report.md"], overwrite=overwrite) as tmp:
        tmp.write_text(md, encoding="utf-8")
    page_title = title or f"{cfg.study_area.name_zh} 先进制造业集群 点-带-网 空间布局"
    embedded = {rel: t[rel] for rel in links.values()}
    with atomic_output(t["report.html"], overwrite=overwrite) as tmp:
        tmp.write_text(html_report(md, embedded, title=page_title), encoding="utf-8")
    return dict(t)


def years_markdown(gains: pd.DataFrame, years: list[int], *, title: str, notes: list[str] | None = None,
                   credits: list[str] | None = None, top: int = 10) -> str:
    """The report of a year comparison: what the network changed for each county (top gainers, all counties)."""
    first, last = years[0], years[-1]
    lines = [f"# {title}", "", f"生成 Generated: {_dt.date.today().isoformat()} · 路网年份 Network years: "
             + " → ".join(str(y) for y in years), ""]
    if notes:
        lines += ["> **注意 Notes**", ">"] + [f"> - {n}" for n in notes] + [""]
    saved = [c for c in gains.columns if c.endswith("_saved")]
    lines += ["## 概况 Summary", "",
              md_table(pd.DataFrame([{"measure": c.removesuffix("_saved"), "mean": gains[c].mean(),
                                      "median": gains[c].median(), "max": gains[c].max(),
                                      "counties_gaining": int((gains[c] > 0.5).sum())} for c in saved]),
                       {"measure": "指标 measure", "mean": "平均节省(分钟)", "median": "中位", "max": "最大",
                        "counties_gaining": "受益县区数"}), "",
              f"经济潜力（引力）提升中位数 median potential gain: {gains['potential_gain_pct'].median():.1f}%", "",
              f"## 受益最大的县区 Top {top} counties by potential gain", "",
              md_table(gains.head(top), {
                  "name_zh": "县区", "prefecture_zh": "地市", "potential_gain_pct": "潜力提升%",
                  f"to_hsr_{first}": f"到高铁站 {first}", f"to_hsr_{last}": f"到高铁站 {last}",
                  f"to_prefecture_{first}": f"到地市中心 {first}", f"to_prefecture_{last}": f"到地市中心 {last}",
                  "to_airport_saved": "到机场节省"}, floatfmt="{:.1f}"), "",
              "分钟为县城出发的网络时间；到地市中心取公路与铁路（含接驳与候车）中较快者；潜力为其他县区经济规模按时间衰减之和。",
              "Minutes are network times from the county seat; to the prefecture seat, the faster of road and rail "
              "(with access and boarding); the potential sums the other counties' mass, decayed by time.", ""]
    if credits:
        lines += ["数据署名 Credits: " + "; ".join(credits), ""]
    return "\n".join(lines)
