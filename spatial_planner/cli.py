"""``spatial-planner`` command line: a thin layer over the library API.

Errors the library raises on purpose print as one line (中文 + English, with
the fix) and exit with status 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click
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
@_handle_errors
def run_cmd(config_path: Path | None, out_dir: Path | None, overwrite: bool | None) -> None:
    """运行规划并写出地图与 GeoPackage / run the plan and write the map and GeoPackage."""
    from .config import load_config
    from .plan import run

    cfg = load_config(config_path)
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
    from .config import config_template
    from .io import atomic_output

    with atomic_output(path, overwrite=bool(overwrite)) as tmp:
        tmp.write_text(config_template(), encoding="utf-8")
    console.print(f"已写出配置模板 Wrote config template: {escape(str(path.resolve()))}", soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="spatial-planner")


if __name__ == "__main__":
    main()
