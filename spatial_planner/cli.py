"""``spatial-planner`` command line: a thin layer over the library API.

Errors the library raises on purpose print as one line (中文 + English, with
the fix) and exit with status 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__
from ._errors import SpatialPlannerError

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)

EXIT_USAGE = 2


def _handle_errors(fn):
    """Turn SpatialPlannerError into a one-line message and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        debug = bool(ctx.find_root().params.get("debug"))
        try:
            return fn(*args, **kwargs)
        except SpatialPlannerError as exc:
            if debug:
                raise
            err_console.print(f"[bold red]错误 Error:[/] {type(exc).__name__}: {escape(str(exc))}", soft_wrap=True)
            sys.exit(EXIT_USAGE)

    return wrapper


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="运行配置 TOML 文件 / run config (default: built-in Henan data).",
)
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                          help="输出目录 / output folder.")
area_option = click.option(
    "--area", "area", multiple=True,
    help="规划范围：地市或县区名称/代码，可多次或逗号分隔 / plan part of the data: prefectures or counties "
         "(e.g. --area 郑州市), repeatable or comma-separated.")


def _set_area(cfg, area: tuple[str, ...]) -> None:
    """``--area`` values (repeatable, comma-separated) into ``[study_area] area``."""
    names = [x.strip() for a in area for x in a.replace("，", ",").split(",") if x.strip()]
    if names:
        cfg.study_area.area = names


overwrite_option = click.option("--overwrite", is_flag=True, default=None,
                                 help="覆盖已有输出 / replace existing outputs.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="spatial-planner")
@click.option("--debug", is_flag=True, help="出错时显示完整堆栈 / show tracebacks.")
def cli(debug: bool) -> None:
    """spatial-planner：先进制造业集群 点-带-网 空间布局规划工具。

    Industrial-cluster layout planner: nodes (点), belts (带) and network (网).
    """


@cli.command("run")
@config_option
@out_option
@overwrite_option
@click.option("--scheduler", default=None, help="Dask 调度器 local 或地址 / Dask scheduler: 'local' or an address.")
@click.option("--format", "formats", multiple=True, type=click.Choice(["gpkg", "shp"]),
              help="另写 Shapefile：--format shp / also write shapefiles (shp/ folder).")
@click.option("--shp-encoding", type=click.Choice(["UTF-8", "GBK"]), default=None,
              help="Shapefile 编码（GBK 供老版本软件）/ shapefile encoding.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="地图与报告语言 / map labels: zh or en.")
@area_option
@click.option("--year", type=int, default=None, help="按某年底的路网规划 / plan on the network as of a year.")
@_handle_errors
def run_cmd(config_path: Path | None, out_dir: Path | None, overwrite: bool | None, scheduler: str | None,
            formats: tuple[str, ...], shp_encoding: str | None, lang: str | None, area: tuple[str, ...],
            year: int | None) -> None:
    """运行规划并写出地图与 GeoPackage / run the plan and write the map and GeoPackage."""
    # the library is imported here, not at the top, so that `--help` answers at once
    from .config import load_config
    from .pipeline import run

    cfg = load_config(config_path)
    _set_area(cfg, area)
    if year is not None:
        cfg.network.year = year
    if scheduler:
        cfg.accessibility.scheduler = scheduler
    for f in formats:
        if f not in cfg.output.formats:
            cfg.output.formats.append(f)
    if shp_encoding:
        cfg.output.shapefile_encoding = shp_encoding
    if lang:
        cfg.map.language = lang
    with console.status("…") as status:
        def progress(step: str) -> None:
            status.update(step)
            console.print(f"[green]✓[/] {escape(step)}")

        result = run(cfg, out_dir=out_dir, overwrite=overwrite, progress=progress)
    for w in result.warnings:
        err_console.print(f"[yellow]注意 Note:[/] {escape(w)}", soft_wrap=True)
    table = Table(title="图层要素数 Features per layer")
    table.add_column("图层 Layer")
    table.add_column("要素 Features", justify="right")
    for name, n in result.counts.items():
        table.add_row(name, str(n))
    console.print(table)
    console.print("[bold]输出 Outputs:[/]")
    for name, path in result.outputs.items():
        console.print(f"  {name:10s} {escape(str(path.resolve()))}", soft_wrap=True)


@cli.command("init-config")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=Path("spatial_planner.toml"))
@overwrite_option
@_handle_errors
def init_config_cmd(path: Path, overwrite: bool | None) -> None:
    """写出带注释的配置模板 / write a commented config template."""
    # the library is imported here, not at the top, so that `--help` answers at once
    from .config import config_template
    from .io import atomic_output

    with atomic_output(path, overwrite=bool(overwrite)) as tmp:
        tmp.write_text(config_template(), encoding="utf-8")
    console.print(f"已写出配置模板 Wrote config template: {escape(str(path.resolve()))}", soft_wrap=True)


scheduler_option = click.option(
    "--scheduler", default=None,
    help="Dask 调度器：local（本机集群）或 tcp://主机:端口 / run the batches on Dask: 'local' or a scheduler address.")
mode_option = click.option("--mode", type=click.Choice(["road", "rail", "freight"]), default="road", show_default=True,
                           help="出行方式 / travel mode.")


@cli.command("od")
@config_option
@mode_option
@scheduler_option
@click.option("--origins", default="prefecture-seats", show_default=True,
              help="起点：seats | prefecture-seats | parks | hubs | stations | 文件 FILE.")
@click.option("--destinations", default=None, help="终点（缺省同起点）/ destinations (default: the origins).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="输出 CSV / output CSV (UTF-8 with BOM).")
@overwrite_option
@_handle_errors
def od_cmd(config_path, mode, scheduler, origins, destinations, out_path, overwrite) -> None:
    """起讫点时间矩阵 / origin–destination travel-time matrix (tidy CSV)."""
    # the library is imported here, not at the top, so that `--help` answers at once
    from .analysis.accessibility import od_matrix
    from .analysis.places import select_places
    from .config import load_config
    from .io import write_csv
    from .pipeline import load_network

    cfg = load_config(config_path)
    layers, net = load_network(cfg)
    o = select_places(layers, origins)
    d = select_places(layers, destinations) if destinations else o
    od = od_matrix(net, o, d, mode=mode, id_col="id", name_col="name", workers=cfg.accessibility.workers or None,
                   scheduler=scheduler or cfg.accessibility.scheduler or None, engine=cfg.accessibility.engine)
    write_csv(od.round({"minutes": 2, "km": 2}), out_path, overwrite=bool(overwrite))
    n_bad = int(od["unreachable"].sum())
    console.print(f"{len(o)} × {len(d)} 起讫对 pairs, 方式 mode {mode}; 不可达 unreachable: {n_bad}")
    console.print(f"已写出 Wrote {escape(str(out_path.resolve()))}", soft_wrap=True)


@cli.command("isochrones")
@config_option
@mode_option
@click.option("--from", "origin", required=True, help="起点编号或名称 / hub id (e.g. AP_CGO), station, park, adcode or name.")
@click.option("--minutes", default="30,60,90", show_default=True, help="时间阈值 / thresholds in minutes.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="输出 GeoPackage / output .gpkg.")
@overwrite_option
@_handle_errors
def isochrones_cmd(config_path, mode, origin, minutes, out_path, overwrite) -> None:
    """等时圈 / isochrone bands around a place."""
    # the library is imported here, not at the top, so that `--help` answers at once
    from ._errors import ConfigError
    from .analysis.accessibility import isochrones
    from .analysis.places import find_place
    from .config import load_config
    from .io import write_geopackage
    from .pipeline import load_network
    from .validate import study_area_of

    try:
        thresholds = [float(x) for x in minutes.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"not a list of minutes: {minutes!r}", key="--minutes", fix="write e.g. 30,60,90.") from None
    cfg = load_config(config_path)
    layers, net = load_network(cfg)
    place = find_place(layers, origin)
    area = study_area_of(layers)
    iso = isochrones(net, place, thresholds, mode=mode, study_area=area)
    iso.insert(0, "origin_id", place["id"].iloc[0])
    iso.insert(1, "origin_name", place["name"].iloc[0])
    write_geopackage({"isochrones": iso}, out_path, overwrite=bool(overwrite))
    for r in iso.itertuples():
        console.print(f"  {r.from_minutes:>5.0f}–{r.minutes:<5.0f} 分钟 min: {r.area_km2:10.1f} km²")
    console.print(f"已写出 Wrote {escape(str(out_path.resolve()))}", soft_wrap=True)


@cli.command("access")
@config_option
@mode_option
@click.option("--to", "target", required=True,
              help="目标：airport | hsr | rail-freight | port | 地点编号或名称 / a hub kind, or one place's id or name.")
@click.option("--resolution", type=float, default=1000.0, show_default=True, help="栅格分辨率（米）/ cell size, m.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="输出 GeoTIFF / output .tif.")
@click.option("--zonal", "zonal_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="另写县域统计 CSV / also write per-county mean and median minutes.")
@overwrite_option
@_handle_errors
def access_cmd(config_path, mode, target, resolution, out_path, zonal_path, overwrite) -> None:
    """到最近目标的时间栅格 / raster of minutes to the nearest target."""
    # the library is imported here, not at the top, so that `--help` answers at once
    from .analysis.accessibility import travel_time_surface, zonal_stats
    from .analysis.places import select_targets
    from .config import load_config
    from .io import write_csv, write_geotiff
    from .outputs.qgis import time_raster_style
    from .pipeline import load_network
    from .validate import study_area_of

    cfg = load_config(config_path)
    layers, net = load_network(cfg)
    targets = select_targets(layers, target)
    area = study_area_of(layers)
    arr, transform, crs = travel_time_surface(net, targets, area, mode=mode, resolution=resolution)
    write_geotiff(arr, transform, crs, out_path, overwrite=bool(overwrite), description=f"minutes to {target}",
                  style=time_raster_style())
    import numpy as np

    console.print(f"{len(targets)} 个目标 targets; {arr.shape[1]}×{arr.shape[0]} 像元 cells of {resolution:g} m; "
                  f"分钟 minutes: min {np.nanmin(arr):.1f}, median {np.nanmedian(arr):.1f}, max {np.nanmax(arr):.1f}")
    if zonal_path:
        z = zonal_stats(arr, transform, crs, layers["counties"]).reset_index()
        z.insert(1, "name_zh", layers["counties"]["name_zh"].to_numpy())
        write_csv(z.round(2), zonal_path, overwrite=bool(overwrite))
    console.print(f"已写出 Wrote {escape(str(out_path.resolve()))}", soft_wrap=True)


@cli.command("scenario")
@config_option
@click.option("--add-link", "links", multiple=True, required=True,
              help="新增通道 A,B,方式,速度 / a link A,B,mode,speed (mode road|rail; A, B: adcode, hub, station or park id).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="输出 CSV / write the per-county table here.")
@click.option("--top", type=int, default=10, show_default=True, help="显示受益最大的县区数 / rows to show.")
@overwrite_option
@_handle_errors
def scenario_cmd(config_path, links, out_path, top, overwrite) -> None:
    """情景分析：新增通道后各县可达性的变化 / what-if: accessibility change per county after adding links."""
    # the library is imported here, not at the top, so that `--help` answers at once
    from .analysis.scenario import ScenarioLink, evaluate_scenario
    from .config import load_config
    from .pipeline import industry_of, load_network

    cfg = load_config(config_path)
    parsed = [ScenarioLink.parse(t) for t in links]
    layers, net = load_network(cfg)
    res = evaluate_scenario(net, parsed, layers, mass=industry_of(layers, cfg).mass, engine=cfg.accessibility.engine)
    table = Table(title="受益最大的县区 Counties that gain most")
    cols = ["name_zh", "gain_gravity_pct"] + [c for c in res.columns if c.startswith("gain_min_to_")]
    table.add_column("adcode")
    for c in cols:
        table.add_column(c, justify="right" if c != "name_zh" else "left")
    for code, row in res.head(top).iterrows():
        table.add_row(code, *[str(row[c]) if c == "name_zh" else f"{row[c]:.2f}" for c in cols])
    console.print(table)
    worse = int((res.filter(like="gain_").round(9) < 0).any(axis=1).sum())
    console.print(f"受益县区 counties gaining: {int((res['gain_gravity'] > 1e-9).sum())}; 变差 worse off: {worse}")
    if out_path:
        # the library is imported here, not at the top, so that `--help` answers at once
        from .io import write_csv

        write_csv(res.reset_index().round(4), out_path, overwrite=bool(overwrite))
        console.print(f"已写出 Wrote {escape(str(out_path.resolve()))}", soft_wrap=True)


@cli.command("validate")
@config_option
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(["boundary", "prefectures", "counties", "seats", "parks", "rail_lines",
                                           "stations", "roads", "hubs"]), default=None,
              help="文件的图层类型（缺省按文件名猜）/ layer kind of the files (guessed from their names).")
@_handle_errors
def validate_cmd(config_path, paths, kind) -> None:
    """只检查输入，不运行规划 / check inputs without running the plan."""
    # the library is imported here, not at the top, so that `--help` answers at once
    from .config import load_config
    from .validate import validate_inputs

    cfg = load_config(config_path)
    problems = validate_inputs(cfg.layers, paths=list(paths), kind=kind, gcj02_reference=cfg.study_area.is_henan)
    if not problems:
        console.print("未发现问题 No problems found.")
    else:
        _print_problems([p.row() for p in problems])
    n_err = sum(p.severity == "error" for p in problems)
    if n_err:
        err_console.print(f"[bold red]{n_err} 个错误 error(s)[/]")
        sys.exit(1)


#: Columns of the validate table; the first four (severity, layer, count, ids) are shown whole.
_PROBLEM_COLUMNS = ("级别 severity", "图层 layer", "数量 count", "示例 ids", "问题 problem", "修复 fix")
#: Cells the problem and the fix columns need at least, so that they read as sentences, not single words.
_TEXT_MIN_WIDTH = 32
_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "repaired": "cyan"}


def _print_problems(rows: list[tuple[str, ...]]) -> None:
    """Print validate's findings (:meth:`Problem.row` tuples) in the layout the output can show.

    A table on a terminal wide enough for it (:func:`_table_width`); on a
    narrower terminal one problem per paragraph, word-wrapped; to a pipe or a
    file one problem per line with tab-separated fields, never wrapped.
    """
    if not console.is_terminal:
        for row in rows:
            click.echo(_problem_line(row))
    elif console.width >= _table_width(rows):
        console.print(_problem_table(rows))
    else:
        for row in rows:
            console.print(_problem_paragraph(row))


def _problem_line(row: tuple[str, ...]) -> str:
    """``severity, [layer], count, ids, message, 修复/Fix: fix`` separated by tabs."""
    severity, layer, count, ids, message, fix = row
    return f"{severity}\t[{layer}]\t{count}\t{ids}\t{message}" + (f"\t修复/Fix: {fix}" if fix else "")


def _problem_paragraph(row: tuple[str, ...]) -> str:
    """``severity [layer] count (ids): message 修复/Fix: fix`` as rich markup, for a terminal to wrap at words."""
    severity, layer, count, ids, message, fix = row
    style = _SEVERITY_STYLE.get(severity, "bold")
    text = f"[{style}]{escape(severity)}[/] {escape(f'[{layer}]')} {count}"
    text += f" ({escape(ids)})" if ids else ""
    text += f": {escape(message)}"
    return text + (f" [dim]修复/Fix:[/] {escape(fix)}" if fix else "")


def _table_width(rows: list[tuple[str, ...]]) -> int:
    """Cells the validate table needs: the short columns whole and the text columns at their minimum."""
    short = sum(max(cell_len(r[i]) for r in [_PROBLEM_COLUMNS, *rows]) for i in range(4))
    n = len(_PROBLEM_COLUMNS)
    return short + 2 * _TEXT_MIN_WIDTH + 3 * n + 1  # each column padded by one cell a side, n + 1 borders


def _problem_table(rows: list[tuple[str, ...]]) -> Table:
    table = Table(title="输入检查 Input check")
    for i, col in enumerate(_PROBLEM_COLUMNS):
        if i < 4:
            table.add_column(col, no_wrap=True)
        else:
            table.add_column(col, overflow="fold", min_width=_TEXT_MIN_WIDTH, ratio=1)
    for row in rows:
        table.add_row(*[escape(x) for x in row])
    return table


@cli.command("compare")
@config_option
@click.option("--year", "years", type=int, multiple=True, required=True,
              help="路网年份，至少两个 / network years, two or more: --year 2015 --year 2024.")
@area_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="输出目录 / output folder (compare.csv, compare.md, compare_map.html).")
@overwrite_option
@_handle_errors
def compare_cmd(config_path, years, area, out_dir, overwrite) -> None:
    """比较不同年份路网下各县区的可达性 / each county's access on the network of each year, and the gains."""
    # the library is imported here, not at the top, so that `--help` answers at once
    from .config import load_config
    from .pipeline import compare_years

    cfg = load_config(config_path)
    _set_area(cfg, area)
    gains, written, notes = compare_years(list(years), cfg, out_dir=out_dir, overwrite=bool(overwrite))
    for n in notes:
        err_console.print(f"[yellow]注意 Note:[/] {escape(n)}", soft_wrap=True)
    first, last = min(years), max(years)
    table = Table(title=f"潜力提升最大的县区 Top counties by potential gain {first}→{last}")
    for col in ("县区 county", "地市 prefecture", "潜力提升 gain %", f"到高铁站 to HSR {first}→{last} (min)",
                f"到地市中心 to seat {first}→{last} (min)"):
        table.add_column(col)
    for r in gains.head(10).to_dict("records"):
        table.add_row(escape(r["name_zh"]), escape(r["prefecture_zh"]), f"{r['potential_gain_pct']:.1f}",
                      f"{r[f'to_hsr_{first}']:.0f} → {r[f'to_hsr_{last}']:.0f}",
                      f"{r[f'to_prefecture_{first}']:.0f} → {r[f'to_prefecture_{last}']:.0f}")
    console.print(table)
    for path in written.values():
        console.print(f"已写出 Wrote {escape(str(Path(path).resolve()))}", soft_wrap=True)


@cli.command("check-travel")
@config_option
@click.argument("truth", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="另存对比表 CSV / also write the comparison as CSV.")
@overwrite_option
@_handle_errors
def check_travel_cmd(config_path, truth, out_path, overwrite) -> None:
    """路网时间与公布数据对比 / the network against published travel times and distances."""
    # the library is imported here, not at the top, so that `--help` answers at once
    from .config import load_config
    from .io import write_csv
    from .network import check_travel, read_truth, truth_summary
    from .pipeline import load_network

    cfg = load_config(config_path)
    layers, net = load_network(cfg)
    checked = check_travel(net, read_truth(truth), stations=layers["stations"], seats=layers["seats"])
    table = Table(title="路网对照公布数据 Network against published facts")
    for col in ("方式 mode", "起 from", "讫 to", "类 kind", "公布 published", "路网 network", "log(路网/公布)"):
        table.add_column(col, overflow="fold")
    for r in checked.itertuples():
        unit = "min" if r.compared == "minutes" else "km"
        pub = r.minutes if r.compared == "minutes" else r.km
        got = r.network_min if r.compared == "minutes" else r.network_km
        kind = "section" if r.measure == "section" else (r.service or "")
        table.add_row(r.mode, escape(r.from_zh), escape(r.to_zh), kind, f"{pub:g} {unit}", f"{got:.1f} {unit}",
                      f"{r.log_ratio:+.3f}")
    console.print(table)
    summary = truth_summary(checked)
    for mode, s in summary.to_dict("index").items():
        console.print(f"{mode}: {s['facts']} 条 facts, 中位 median |log| = {s['median_abs_log']:.3f}, "
                      f"P90 = {s['p90_abs_log']:.3f}; 路段下限 sections {s['sections']}, 短于路段 undercut "
                      f"{s['sections_undercut']}")
    if out_path is not None:
        write_csv(checked.round({"network_min": 2, "network_km": 2, "log_ratio": 4}), out_path,
                  overwrite=bool(overwrite))
        console.print(f"已写出 Wrote {escape(str(out_path.resolve()))}", soft_wrap=True)


@cli.command("fetch-assets")
def fetch_assets_cmd() -> None:
    """取得地图脚本以便离线打开 / fetch the map's Leaflet files from npm, so maps work offline."""
    import subprocess

    # the library is imported here, not at the top, so that `--help` answers at once
    from .outputs.webmap.assets import fetch_assets

    try:
        path = fetch_assets()
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        err_console.print(f"[yellow]注意 Note:[/] 未取得网页脚本，地图将从网络加载 Leaflet / web assets not fetched "
                          f"({escape(str(exc))}); maps will link Leaflet from the web", soft_wrap=True)
        return
    console.print(f"网页脚本 web assets: {escape(str(path))}", soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="spatial-planner")


if __name__ == "__main__":
    main()
