"""The plan run: load → validate → analyse → write the map and the GeoPackage.

:func:`run` is what ``spatial-planner run`` calls. Each step reports progress
through a callback, so the CLI can show it and notebooks can stay quiet.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from ._errors import OutputExistsError
from .config import Config
from .export import write_geopackage, write_html
from .io import DataWarning, load_layers, read_sectors
from .maps import build_map, render_html
from .validate import validate_layers

__all__ = ["RunResult", "run", "OUTPUT_FILES"]

#: Files a run writes into its output folder.
OUTPUT_FILES = ("map.html", "plan.gpkg")


@dataclass
class RunResult:
    """What a run produced."""

    out_dir: Path
    outputs: dict[str, Path]
    layers: dict[str, gpd.GeoDataFrame]
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)


def _noop(step: str) -> None:
    return None


def run(
    config: Config | None = None,
    *,
    out_dir: str | Path | None = None,
    overwrite: bool | None = None,
    progress: Callable[[str], None] = _noop,
) -> RunResult:
    """Run the plan for a config (the built-in Henan data by default).

    Parameters
    ----------
    config
        Run configuration; ``None`` gives the defaults.
    out_dir
        Output folder; defaults to ``config.output.dir``.
    overwrite
        Replace existing outputs; defaults to ``config.output.overwrite``.
    progress
        Called with a short zh/en description at the start of each step.

    Returns
    -------
    RunResult
    """
    cfg = config or Config()
    out = Path(out_dir or cfg.output.dir)
    overwrite = cfg.output.overwrite if overwrite is None else overwrite
    targets = {name: out / name for name in OUTPUT_FILES}
    if not overwrite:
        existing = [str(p) for p in targets.values() if p.exists()]
        if existing:
            raise OutputExistsError(f"outputs exist: {', '.join(existing)}", layer=str(out),
                                    fix="pass --overwrite, or choose another --out folder.")
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", DataWarning)
        progress("读取图层 Loading layers")
        layers = load_layers(cfg)
        progress("校验图层 Validating layers")
        layers = validate_layers(layers).layers
    caught = [str(w.message) for w in record if issubclass(w.category, DataWarning)]
    for w in record:
        if not issubclass(w.category, DataWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)

    progress("绘制地图 Drawing the map")
    title = f"{cfg.study_area.name_zh} 先进制造业集群 点-带-网 布局" if cfg.map.language == "zh" else (
        f"{cfg.study_area.name_en}: advanced-manufacturing clusters — nodes, belts, network")
    fmap = build_map(layers, config=cfg.map, sectors=read_sectors(), title=title)
    progress("写出文件 Writing outputs")
    out.mkdir(parents=True, exist_ok=True)
    write_geopackage(layers, targets["plan.gpkg"], overwrite=overwrite)
    write_html(render_html(fmap, assets=cfg.map.assets), targets["map.html"], overwrite=overwrite)
    counts = {k: int(len(v)) for k, v in layers.items()}
    return RunResult(out_dir=out, outputs=targets, layers=layers, counts=counts, warnings=caught)
