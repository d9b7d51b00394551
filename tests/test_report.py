"""The written report: CJK font, charts, static maps, the Markdown → HTML converter and write_report."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from spatial_planner import OutputExistsError
from spatial_planner._errors import DataFileError
from spatial_planner.outputs import figures as F
from spatial_planner.symbology import PRIORITY_STYLE, TIER_STYLE, TIME_COLOURS
from spatial_planner.outputs.report import html_report, markdown_report, markdown_to_html, write_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def font():
    try:
        return F.cjk_font()
    except DataFileError as exc:
        pytest.skip(f"no CJK font for the figures ({exc}); install fonts-noto-cjk")


@pytest.fixture(scope="module")
def built(henan_run, henan):
    from spatial_planner.config import Config

    return Config(), henan, henan_run.access, henan_run.plan


@pytest.fixture(scope="module")
def report_dir(henan_run, font):
    """The report the session's run wrote: its folder and each file by its relative name."""
    out = henan_run.out_dir
    paths = {str(p.relative_to(out)): p for p in [out / "report.md", out / "report.html",
                                                  *sorted((out / "figures").glob("*.png")),
                                                  *sorted((out / "maps").glob("*.png"))]}
    return out, paths


def _image(path):
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        return im.convert("RGB")


def _n_colours(rgb: np.ndarray) -> int:
    packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
    return len(np.unique(packed))


def _has_colour(rgb: np.ndarray, hex_colour: str, *, tol: int = 12, min_pixels: int = 20) -> bool:
    target = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    close = np.abs(rgb.astype(int) - target).max(axis=-1) <= tol
    return int(close.sum()) >= min_pixels


# --------------------------------------------------------------------------- font


def test_cjk_font_has_chinese_glyphs(font):
    from matplotlib.ft2font import FT2Font

    path = F.cjk_font_path()
    ft = FT2Font(path)
    for ch in "增长极点带网":
        assert ft.get_char_index(ord(ch)) != 0, (path, ch)
    assert font.get_family()[0] in {f.name for f in __import__("matplotlib").font_manager.fontManager.ttflist}


def test_no_cjk_font_is_an_error_not_a_silent_fallback(font, monkeypatch):
    monkeypatch.setattr(F, "_registered", F._registered)  # restored afterwards
    monkeypatch.setattr(F, "_system_font", lambda: None)
    monkeypatch.setattr(F, "_package_font_path", lambda: None)
    monkeypatch.setattr(F, "_OTHER_FAMILIES", ())
    with pytest.raises(DataFileError, match="fonts-noto-cjk"):
        F.register_cjk_font()
    from matplotlib import font_manager

    dejavu = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    with pytest.raises(DataFileError, match="no glyphs for Chinese"):
        F.register_cjk_font(dejavu)


# --------------------------------------------------------------------------- charts

CHARTS = {
    "node_scores": (lambda plan, access, p: F.chart_node_scores(plan, p), (1500, 1200)),
    "belts": (lambda plan, access, p: F.chart_belts(plan, p), (1800, 900)),
    "priorities": (lambda plan, access, p: F.chart_priorities(plan, p), (1500, 1050)),
    "concentration": (lambda plan, access, p: F.chart_concentration(plan, p), (1500, 900)),
    "hub_access": (lambda plan, access, p: F.chart_hub_access(access, p), (1500, 900)),
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_chart_is_a_png_of_the_expected_size_with_content(name, built, font, tmp_path):
    _, _, access, plan = built
    draw, size = CHARTS[name]
    out = draw(plan, access, tmp_path / f"{name}.png")
    assert out == tmp_path / f"{name}.png"
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    rgb = np.asarray(_image(out))
    assert (rgb.shape[1], rgb.shape[0]) == size
    assert rgb.std() > 20, "chart looks blank"
    assert _n_colours(rgb) > 30
    assert [p.name for p in tmp_path.iterdir()] == [f"{name}.png"]  # no temporary file left


def test_charts_are_deterministic(built, font, tmp_path):
    _, _, _, plan = built
    a = F.chart_belts(plan, tmp_path / "a.png").read_bytes()
    b = F.chart_belts(plan, tmp_path / "b.png").read_bytes()
    assert a == b
    assert b"matplotlib" not in a.lower()  # no software stamp


# --------------------------------------------------------------------------- maps


def test_plan_map_has_drawn_content_in_several_colours(report_dir):
    _, paths = report_dir
    for key in ("maps/plan_zh.png", "maps/plan_en.png"):
        rgb = np.asarray(_image(paths[key]))
        assert (rgb.shape[1], rgb.shape[0]) == (2100, 1650)
        assert _n_colours(rgb) > 200
        assert _has_colour(rgb, PRIORITY_STYLE["color"]), "priority links"
        assert _has_colour(rgb, TIER_STYLE["国家级"][0]), "national-tier nodes"
        assert _has_colour(rgb, TIER_STYLE["省级"][0]), "provincial-tier nodes"
        assert _has_colour(rgb, "#ececec", min_pixels=10_000), "county fill"
    assert paths["maps/plan_zh.png"].read_bytes() != paths["maps/plan_en.png"].read_bytes()


def test_access_map_shows_the_time_classes(report_dir):
    _, paths = report_dir
    rgb = np.asarray(_image(paths["maps/time_to_airport.png"]))
    assert (rgb.shape[1], rgb.shape[0]) == (2100, 1650)
    present = [c for c in TIME_COLOURS if _has_colour(rgb, c, tol=30, min_pixels=50)]
    assert len(present) >= 6, present


# --------------------------------------------------------------------------- HTML


def test_html_report_has_every_section_figure_and_the_top_node(report_dir, built):
    out, paths = report_dir
    _, _, _, plan = built
    md = paths["report.md"].read_text(encoding="utf-8")
    page = paths["report.html"].read_text(encoding="utf-8")
    headings = [re.sub(r"^#+\s+", "", line) for line in md.splitlines() if line.startswith("#")]
    assert len(headings) >= 10
    import html

    for h in headings:
        assert html.escape(h) in page, h
    assert plan.nodes.sort_values("rank")["name_zh"].iloc[0] in page
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert set(images) >= {"figures/node_scores.png", "figures/belts.png", "figures/priorities.png",
                           "figures/concentration.png", "figures/hub_access.png", "maps/plan_zh.png",
                           "maps/time_to_airport.png"}
    assert all((out / rel).is_file() for rel in images)
    assert page.count('<img src="data:image/png;base64,') == len(images)
    assert page.count(' alt="') == len(images)
    assert "<script" not in page.lower()
    assert '<meta charset="utf-8">' in page and 'class="toc"' in page and "Noto Sans CJK SC" in page


def test_names_from_the_data_are_escaped(built, font, tmp_path):
    cfg, _, access, plan = built
    evil = "<script>alert('x')</script>$x^2$"
    nodes = plan.nodes.copy()
    nodes.loc[nodes["rank"] == 1, "name_zh"] = evil + "新郑市"
    belts = plan.belts.copy()
    belts.loc[belts.index[0], "name_zh"] = evil + "产业带"
    bad = dataclasses.replace(plan, nodes=nodes, belts=belts)
    fig = F.chart_node_scores(bad, tmp_path / "node_scores.png")  # text stays text (no mathtext error)
    F.chart_belts(bad, tmp_path / "belts.png")
    md = markdown_report(bad, cfg, access, figures={"node_scores": "figures/node_scores.png"})
    assert evil in md
    page = html_report(md, {"figures/node_scores.png": fig}, title=evil)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert page.count("data:image/png;base64,") == 1


def test_markdown_table():
    md = "| 名称 | 得分 | 说明 |\n|---|---:|:---:|\n| A | 1.50 | x\\|y |\n| <b>B</b> | 2 |"
    out = markdown_to_html(md)
    assert out.startswith('<div class="table-wrap"><table>') and out.rstrip().endswith("</table></div>")
    assert '<th>名称</th>' in out and '<th class="r">得分</th>' in out and '<th class="c">说明</th>' in out
    assert '<td class="r">1.50</td>' in out and '<td class="c">x|y</td>' in out  # escaped pipe stays in its cell
    assert "<td>&lt;b&gt;B&lt;/b&gt;</td>" in out and "<b>" not in out  # raw HTML is text
    assert out.count("<tr>") == 3


def test_markdown_lists_quotes_and_inline():
    md = ("理由 Reasons:\n\n1. 第一 **重点**\n2. `a<b>` & c\n\n> 注意 note\n> 第二行\n\n"
          "- x\n- [安全](https://example.org) [bad](javascript:alert) ![图](a.png)")
    out = markdown_to_html(md)
    assert "<p>理由 Reasons:</p>" in out
    assert "<ol>\n<li>第一 <strong>重点</strong></li>\n<li><code>a&lt;b&gt;</code> &amp; c</li>\n</ol>" in out
    assert "<blockquote>\n<p>注意 note\n第二行</p>\n</blockquote>" in out
    assert '<a href="https://example.org">安全</a>' in out and 'href="javascript' not in out
    assert '<img src="a.png" alt="图" />' in out


def test_markdown_fenced_code_and_headings():
    md = "# 标题 <T>\n\n## 参数 Parameters\n\n```toml\n[nodes]\nname = \"<x> & y\"\n\n# not a heading\n```\n正文"
    out = markdown_to_html(md)
    assert out.startswith('<h1 id="sec-1">标题 &lt;T&gt;</h1>\n<h2 id="sec-2">参数 Parameters</h2>')
    assert ('<pre><code class="language-toml">[nodes]\nname = &quot;&lt;x&gt; &amp; y&quot;\n\n'
            "# not a heading\n</code></pre>") in out
    assert out.count("<h1") == 1 and out.rstrip().endswith("<p>正文</p>")


def test_markdown_image_alone_is_a_captioned_figure():
    out = markdown_to_html("文字 ![行内](a.png)\n\n![总图 Plan](b.png)\n")
    assert '<p>文字 <img src="a.png" alt="行内" /></p>' in out
    assert '<figure><img src="b.png" alt="总图 Plan" /><figcaption>总图 Plan</figcaption></figure>' in out


def test_html_report_appends_unreferenced_figures_and_builds_a_toc(report_dir):
    _, paths = report_dir
    md = "# 报告\n\n## 一 A\n\n### 小节\n\n文字\n\n## 二 B\n\n![图一](figures/belts.png)\n"
    page = html_report(md, {"figures/belts.png": paths["figures/belts.png"],
                            "figures/priorities.png": paths["figures/priorities.png"]}, title="T & <t>")
    assert "<title>T &amp; &lt;t&gt;</title>" in page
    assert page.count("data:image/png;base64,") == 2
    assert "附图 Figures" in page
    toc = page[page.index('<nav class="toc"'):page.index("</nav>")]
    assert toc.count("<li>") == 4 and '<a href="#sec-2">一 A</a>' in toc and '<a href="#sec-3">小节</a>' in toc


# --------------------------------------------------------------------------- write_report


def test_write_report_outputs_and_refuses_to_overwrite(report_dir, built):
    out, paths = report_dir
    cfg, layers, access, plan = built
    assert set(paths) == {"report.md", "report.html", "figures/node_scores.png", "figures/belts.png",
                          "figures/priorities.png", "figures/concentration.png", "figures/hub_access.png",
                          "maps/plan_zh.png", "maps/plan_en.png", "maps/time_to_airport.png"}
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())
    before = {k: (p.stat().st_mtime_ns, p.read_bytes()) for k, p in paths.items()}
    with pytest.raises(OutputExistsError):
        write_report(plan, cfg, access, layers, out)
    assert {k: (p.stat().st_mtime_ns, p.read_bytes()) for k, p in paths.items()} == before
    leftovers = [p for p in out.rglob("*") if p.is_file() and (".tmp" in p.name or p.name.startswith("."))]
    assert leftovers == []


def test_write_report_checks_every_output_before_writing(built, font, tmp_path):
    cfg, layers, access, plan = built
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "plan_en.png").write_bytes(b"keep")
    with pytest.raises(OutputExistsError, match="plan_en.png"):
        write_report(plan, cfg, access, layers, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["maps", "maps/plan_en.png"]
    assert (tmp_path / "maps" / "plan_en.png").read_bytes() == b"keep"


def test_run_notes_head_the_report(built):
    cfg, layers, access, plan = built
    from spatial_planner.network import build_network
    from spatial_planner.pipeline import coverage_notes

    assert "注意 Notes" not in markdown_report(plan, cfg, access)
    far = build_network(layers["roads"][layers["roads"]["road_class"] == "expressway"].iloc[:2])
    notes = coverage_notes(layers, far)
    md = markdown_report(plan, cfg, access, notes=notes)
    head = md.split("## 1 ")[0]
    assert "注意 Notes" in head and all(n in head for n in notes) and len(notes) == 3


def test_report_says_how_the_network_was_built(built):
    cfg, _, access, plan = built
    md = markdown_report(plan, cfg, access)
    section = md.split("### 路网构建 How the network was built")[1].split("## 参数")[0]
    rep = access.network.report
    assert f"节点 nodes: {rep.n_nodes:,}" in section and "道路连通分量 road components: 1" in section
    assert "单向路段" not in section  # the built-in roads are two-way
