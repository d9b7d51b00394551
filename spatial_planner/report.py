"""The written report: ``report.md`` with ranked tables, parameters and provenance.

Every table says where its numbers come from (``statistics`` or the park
``proxy``) and which parameters produced it, so a planner can defend each line.
"""

from __future__ import annotations

import datetime as _dt

import pandas as pd

__all__ = ["markdown_report", "md_table"]


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


def markdown_report(plan, cfg, access=None, *, title: str | None = None, top: int = 10) -> str:
    """The plan's report in Markdown (Chinese headings with English)."""
    r = plan.report
    prov = "统计数据 statistics" if r.get("provenance") == "statistics" else "园区代理指标 park proxy"
    lines = [f"# {title or cfg.study_area.name_zh + ' 先进制造业集群 点-带-网 空间布局'}", "",
             f"生成 Generated: {_dt.date.today().isoformat()} · 产业数据来源 Industry data: **{prov}**", ""]
    if r.get("provenance") != "statistics":
        lines += ["> 产业规模为园区代理指标：园区面积 × 级别系数（国家级 2.0、省级 1.0、市级 0.6），按主导产业 "
                  "0.5/0.3/0.2 分配，反映产业用地的集中程度，不是产值。提供分县分行业统计后（`[indices] statistics`）"
                  "全部指标改用统计数据。",
                  "> Industry mass is a proxy from park area × level factor split over leading sectors; it shows where "
                  "designated industrial land concentrates, not output.", ""]
    t = r["tiers"]
    lines += ["## 1 增长极与培育层级 Growth poles and tiers (点)", "",
              f"综合得分 = Σ 权重 × 标准化分项；权重 weights ({t['weighting']}): "
              + ", ".join(f"{k} {v}" for k, v in t["weights"].items()) + ".",
              f"分级 classifier: {t['classifier']}, breaks {t['breaks']}; 规则提升 lifted by rule: {t['lifted_by_rule']}.",
              "", md_table(plan.nodes.head(top), {
                  "rank": "排名", "name_zh": "节点", "prefecture_zh": "地市", "tier": "层级", "score": "得分",
                  "s_mass": "规模", "s_gravity": "引力可达", "s_betweenness": "中介性", "s_hub_access": "枢纽可达",
                  "s_park_level": "园区级别", "tier_rule": "规则"}, floatfmt="{:.3f}"), ""]
    counts = plan.nodes["tier"].value_counts()
    lines += ["层级数量 Nodes per tier: " + ", ".join(f"{k} {int(counts.get(k, 0))}" for k in ("国家级", "省级", "市级", "县级")),
              ""]
    b = r["belts"]
    lines += ["## 2 产业带 Industrial belts (带)", "",
              f"轴线 {b['axes']} 条（铁路与高速公路按名称合并）；走廊宽度 {b['corridor_km']} km，同产业相邻园区最大间距 "
              f"G = {b['max_gap_km']} km，至少 {b['min_parks']} 个园区、{b['min_counties']} 个县区；候选 {b['candidates']} 条，"
              f"入选 {b['selected']} 条。得分 = 规模 × 连续性 × 可达性。", "",
              md_table(plan.belts.head(top), {"rank": "排名", "name_zh": "产业带", "member_names": "成员园区（沿线顺序）",
                                              "county_names": "县区", "length_km": "长度 km", "mass": "规模",
                                              "continuity": "连续性", "accessibility": "可达性", "score": "得分"}), ""]
    if len(plan.corridors):
        lines += ["多产业走廊（各轴线园区最密集的一段）Multi-industry corridors:", "",
                  md_table(plan.corridors.head(top), {"name_zh": "走廊", "start_km": "起 km", "end_km": "止 km",
                                                      "n_parks": "园区数", "mass": "规模", "top_sectors": "主要产业"}), ""]
    lk = r["linkages"]
    lines += ["## 3 联系网络与优先通道 Linkages and link priorities (网)", "",
              f"引力联系 G = M_i·M_j / t^{lk['beta']}（t 为 {lk['mode']} 网络时间，下限 {lk['t_min']} 分钟；互补系数 "
              f"{lk['complementarity']}）。优先度 = 联系强度 × 时间缺口 × (1 − 现状路径利用率) × 紧迫度；理想时间 = 直线距离 ÷ "
              f"{lk['reference_speed_kmh']} km/h。", "",
              md_table(plan.priorities.head(top), {"rank": "排名", "name_a": "节点A", "name_b": "节点B",
                                                   "network_min": "现状分钟", "ideal_min": "理想分钟", "deficit": "缺口",
                                                   "utilisation": "利用率", "priority": "优先度", "proposal": "建议"}), ""]
    lines += ["理由 Reasons:", ""] + [f"{i + 1}. {z}" for i, z in enumerate(plan.priorities["reason_zh"].head(top))] + [""]
    c = r["clusters"]
    lines += ["## 4 跨县产业集群建议 Cross-county clusters", "",
              f"同一主导产业、彼此车程 ≤ {c['max_minutes']} 分钟的园区连通成组，跨 2 个以上县区者提为集群（共 {c['clusters']} 个）。",
              "", md_table(plan.clusters.head(top), {"cluster_id": "编号", "name_zh": "集群", "member_names": "成员园区",
                                                      "n_counties": "县区数", "mass": "规模", "max_internal_min": "内部最大车程"}), ""]
    iso = r["isomorphism"]
    lines += ["## 5 问题诊断 Diagnosis", "",
              f"### 产业同构 Same-structure competition", "",
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
    if access is not None:
        ca = access.county_access
        cols = [c for c in ca.columns if c.startswith("min_to_")]
        lines += ["## 6 枢纽可达性 Hub access", "", "县城到最近枢纽的网络时间（分钟）统计 Minutes from county seats:", "",
                  md_table(ca[cols].describe().T.reset_index(names="指标"),
                           {"指标": "指标", "mean": "平均", "50%": "中位", "min": "最小", "max": "最大"}), ""]
    lines += ["## 参数 Parameters", "", "```toml", _params(cfg), "```", "",
              "## 数据说明 Data", "", "内置数据的来源与精度见 `gis_data/README.md`；铁路、高速公路与园区范围为示意，适用于省域尺度规划。",
              "See gis_data/README.md: rail, expressway and park geometry are schematic, fit for province-scale planning.", ""]
    return "\n".join(lines)


def _params(cfg) -> str:
    import dataclasses

    out = []
    for sec in ("network", "accessibility", "indices", "nodes", "belts", "linkages", "clusters"):
        obj = getattr(cfg, sec)
        out.append(f"[{sec}]")
        for f in dataclasses.fields(obj):
            out.append(f"{f.name} = {getattr(obj, f.name)!r}")
    return "\n".join(out)
