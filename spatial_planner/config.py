"""Run configuration: one TOML file names the study area, the layers and every parameter.

:func:`load_config` reads a TOML file onto the defaults and checks every key:
an unknown key, a wrong type or an out-of-range value raises
:class:`~spatial_planner.ConfigError` naming the key path (``map.basemap``).
:func:`config_template` is the commented template ``spatial-planner
init-config`` writes; loading it gives the defaults.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path

from ._errors import ConfigError
from .analysis.belts import BeltParams
from .analysis.county_access import AccessParams
from .analysis.clusters import ClusterParams
from .analysis.linkages import LinkParams
from .analysis.nodes import NodeParams
from .io.readers import LayerSource
from .network.graph import NetworkParams
from .outputs.webmap.map import MapConfig
from .schema import LAYER_ORDER

__all__ = [
    "StudyArea",
    "OutputConfig",
    "IndicesConfig",
    "Config",
    "config_from_dict",
    "load_config",
    "config_template",
]


@dataclass
class StudyArea:
    """``[study_area]``: its name, which counties it covers, how far the network reaches beyond it, and the
    projected CRS of metric work (``auto``: chosen for its extent).

    ``area`` names counties or prefectures of the counties layer (``["郑州市"]``, adcodes too); empty means
    every county. The name defaults to the selection's when ``area`` is given and the name is left as is.
    """

    name_zh: str = "河南省"
    name_en: str = "Henan"
    area: list[str] = field(default_factory=list)
    network_buffer_km: float = 50.0
    projected_crs: str = "auto"

    @property
    def is_henan(self) -> bool:
        """Whether this is the built-in Henan study area (whose county seats can check other layers' coordinates)."""
        return self.name_en.strip().lower() == "henan" or self.name_zh.strip() in ("河南", "河南省")


@dataclass
class OutputConfig:
    dir: str = "outputs/henan"
    overwrite: bool = False
    formats: list[str] = field(default_factory=lambda: ["gpkg"])
    shapefile_encoding: str = "UTF-8"


@dataclass
class IndicesConfig:
    """``[indices]``: the industry table and the 产业同构 test."""

    statistics: str = "builtin"
    similarity_threshold: float = 0.9
    isomorphism_minutes: float = 60.0


@dataclass
class Config:
    """The whole run configuration (see :func:`config_template`)."""

    study_area: StudyArea = field(default_factory=StudyArea)
    layers: dict[str, LayerSource] = field(default_factory=lambda: {k: LayerSource() for k in LAYER_ORDER})
    output: OutputConfig = field(default_factory=OutputConfig)
    map: MapConfig = field(default_factory=MapConfig)
    network: NetworkParams = field(default_factory=NetworkParams)
    accessibility: AccessParams = field(default_factory=AccessParams)
    indices: IndicesConfig = field(default_factory=IndicesConfig)
    nodes: NodeParams = field(default_factory=NodeParams)
    belts: BeltParams = field(default_factory=BeltParams)
    linkages: LinkParams = field(default_factory=LinkParams)
    clusters: ClusterParams = field(default_factory=ClusterParams)
    source: str = "defaults"


_CHOICES = {
    "map.language": ("zh", "en"),
    "map.basemap": ("none", "osm", "tianditu", "gaode"),
    "map.assets": ("auto", "inline", "cdn"),
    "accessibility.decay": ("exp", "power"),
    "output.shapefile_encoding": ("UTF-8", "GBK"),
    "output.formats": ("gpkg", "shp"),
    "nodes.weighting": ("fixed", "entropy"),
    "nodes.classifier": ("fisher_jenks", "head_tail"),
    "nodes.national_zone_min_tier": ("国家级", "省级", "市级", "县级"),
    "nodes.prefecture_seat_min_tier": ("国家级", "省级", "市级", "县级"),
    "belts.pole_tiers": ("国家级", "省级", "市级", "县级"),
    "linkages.mode": ("road", "rail", "freight"),
    "clusters.sector_field": ("lead_sector",),
}
_RANGES = {
    "map.simplify_m": (0.0, 5000.0),
    "map.precision": (3, 8),
    "map.max_road_features": (100, 10_000_000),
    "network.snap_tolerance_m": (0.0, 5000.0),
    "study_area.network_buffer_km": (0.0, 2000.0),
    "network.year": (0, 2100),
    "network.road_speed_factor": (0.05, 1.5),
    "network.rail_speed_factor": (0.05, 1.5),
    "network.boarding_penalty_min": (0.0, 1e6),
    "network.freight_transfer_min": (0.0, 1e6),
    "network.access_speed_kmh": (1.0, 200.0),
    "network.access_detour": (1.0, 5.0),
    "network.access_warn_km": (0.0, 1e5),
    "accessibility.resolution_m": (10.0, 100000.0),
    "accessibility.opportunity_minutes": (1.0, 10000.0),
    "accessibility.half_life_min": (0.1, 10000.0),
    "accessibility.workers": (0, 256),
    "indices.similarity_threshold": (0.0, 1.0),
    "indices.isomorphism_minutes": (0.0, 10000.0),
    "belts.corridor_km": (0.1, 500.0),
    "belts.join_km": (0.1, 200.0),
    "belts.join_share": (0.01, 1.0),
    "belts.min_part_km": (0.0, 10000.0),
    "belts.bandwidth_km": (0.1, 1000.0),
    "belts.step_km": (0.01, 100.0),
    "belts.threshold": (0.0, 1000.0),
    "belts.gap_km": (0.0, 1000.0),
    "belts.gap_share": (0.0, 1.0),
    "belts.min_parks": (1, 1000),
    "belts.min_prefectures": (1, 1000),
    "belts.min_length_km": (0.0, 10000.0),
    "belts.min_pole_prefectures": (0, 1000),
    "belts.mix_share": (0.0, 0.99),
    "belts.merge_overlap": (0.01, 1.0),
    "belts.max_gap_km": (0.1, 1000.0),
    "belts.min_counties": (1, 1000),
    "belts.top": (1, 1000),
    "linkages.beta": (0.0, 5.0),
    "linkages.t_min": (0.0, 1000.0),
    "linkages.complementarity": (0.0, 10.0),
    "linkages.n_lines": (1, 100000),
    "linkages.n_candidates": (1, 100000),
    "linkages.reference_speed_kmh": (1.0, 1000.0),
    "linkages.terminal_min": (0.0, 240.0),
    "linkages.serve_km": (0.0, 200.0),
    "linkages.min_deficit": (0.0, 1.0),
    "linkages.min_crow_km": (0.0, 10000.0),
    "linkages.top": (1, 10000),
    "clusters.max_minutes": (0.0, 10000.0),
    "clusters.min_parks": (2, 1000),
    "clusters.min_counties": (1, 1000),
    "clusters.hull_buffer_km": (0.0, 100.0),
}


def _check_value(key: str, value, annotation, source: str):
    origin = typing.get_origin(annotation)
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"expected true or false, got {value!r}", key=key, source=source,
                              fix=f"write {key.split('.')[-1]} = true (or false).")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"expected a whole number, got {value!r}", key=key, source=source,
                              fix="write a number without quotes.")
    elif annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"expected a number, got {value!r}", key=key, source=source,
                              fix="write a number without quotes.")
        value = float(value)
    elif annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"expected text, got {value!r}", key=key, source=source, fix="put the value in quotes.")
    elif origin is dict:
        vtype = typing.get_args(annotation)[1]
        if vtype is float:
            positive = key.endswith(("_speeds", "_factors"))  # speeds must be > 0; weights may be 0
            ok = isinstance(value, dict) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and (v > 0 if positive else v >= 0)
                for v in value.values())
            if not ok:
                raise ConfigError(f"expected a table of {'positive' if positive else 'non-negative'} numbers, "
                                  f"got {value!r}", key=key, source=source,
                                  fix="write it as {expressway = 120, connector = 60}.")
            value = {k: float(v) for k, v in value.items()}
        elif not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"expected a table of text values, got {value!r}", key=key, source=source,
                              fix='write it as {old_name = "new_name"}.')
    elif origin is list:
        vtype = typing.get_args(annotation)[0]
        if not isinstance(value, list):
            raise ConfigError(f"expected a list, got {value!r}", key=key, source=source, fix="write it as [a, b].")
        if vtype is float:
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
                raise ConfigError(f"expected a list of numbers, got {value!r}", key=key, source=source,
                                  fix="write it as [30, 60, 90].")
            value = [float(v) for v in value]
        elif not all(isinstance(v, str) for v in value):
            raise ConfigError(f"expected a list of text values, got {value!r}", key=key, source=source,
                              fix='write it as ["a", "b"].')
    if key in _CHOICES and isinstance(value, list):
        bad = [v for v in value if v not in _CHOICES[key]]
        if bad:
            raise ConfigError(f"{bad!r} not among {', '.join(_CHOICES[key])}", key=key, source=source,
                              fix=f"choose from: {', '.join(_CHOICES[key])}.")
    elif key in _CHOICES and value not in _CHOICES[key]:
        raise ConfigError(f"{value!r} is not one of {', '.join(_CHOICES[key])}", key=key, source=source,
                          fix=f"choose one of: {', '.join(_CHOICES[key])}.")
    if key in _RANGES:
        lo, hi = _RANGES[key]
        if not lo <= value <= hi:
            raise ConfigError(f"{value!r} is out of range [{lo}, {hi}]", key=key, source=source,
                              fix=f"use a value between {lo} and {hi}.")
    return value


def _merge(obj, data: dict, prefix: str, source: str):
    hints = typing.get_type_hints(type(obj))
    names = {f.name for f in dataclasses.fields(obj)} - ({"source"} if isinstance(obj, Config) else set())
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in names:
            raise ConfigError(f"unknown key '{key}'", key=path, source=source,
                              fix=f"remove it or use one of: {', '.join(sorted(names))}.")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"expected a [{path}] table", key=path, source=source,
                                  fix=f"write it as a [{path}] section.")
            _merge(current, value, path + ".", source)
        elif key == "layers":
            if not isinstance(value, dict):
                raise ConfigError("expected a [layers] table", key=path, source=source)
            for kind, spec in value.items():
                if kind not in LAYER_ORDER:
                    raise ConfigError(f"unknown layer '{kind}'", key=f"{path}.{kind}", source=source,
                                      fix=f"use one of: {', '.join(LAYER_ORDER)}.")
                if isinstance(spec, str):
                    spec = {"source": spec}
                if not isinstance(spec, dict):
                    raise ConfigError("expected a file path or a table", key=f"{path}.{kind}", source=source,
                                      fix=f'write {kind} = "path/to/file.gpkg" or a [layers.{kind}] table.')
                layer = LayerSource()
                _merge(layer, spec, f"{path}.{kind}.", source)
                current[kind] = layer
        elif isinstance(current, dict) and typing.get_args(hints[key])[1:] == (float,):
            current.update(_check_value(path, value, hints[key], source))  # speed tables extend the defaults
        else:
            setattr(obj, key, _check_value(path, value, hints[key], source))
    return obj


def config_from_dict(data: dict, *, source: str = "config", base_dir: Path | None = None) -> Config:
    """Build a :class:`Config` from a parsed TOML mapping, checking every key."""
    cfg = _merge(Config(), data, "", source)
    cfg.source = source
    if base_dir is not None:
        for spec in cfg.layers.values():
            if spec.source != "builtin" and not Path(spec.source).is_absolute():
                spec.source = str((base_dir / spec.source).resolve())
        out = Path(cfg.output.dir)
        if not out.is_absolute() and "output" in data and "dir" in data.get("output", {}):
            cfg.output.dir = str((base_dir / out).resolve())
    return cfg


def load_config(path: str | Path | None = None) -> Config:
    """Load a TOML config (``None`` gives the built-in Henan defaults).

    Relative layer paths are taken relative to the config file's folder.
    """
    if path is None:
        return Config()
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"config file not found: {p}", source=str(p),
                          fix="write one with `spatial-planner init-config config.toml`.")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", source=str(p), fix="fix the syntax at the line named.") from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", source=str(p), fix="save the config as UTF-8.") from None
    return config_from_dict(data, source=str(p), base_dir=p.parent)


def config_template() -> str:
    """The commented TOML template (Chinese first, English too)."""
    layer_lines = "\n".join(f'{k} = "builtin"' for k in LAYER_ORDER)
    return f"""\
# spatial_planner 运行配置 / run configuration
# 未写出的键取默认值；未知的键会报错。
# Keys left out take their defaults; unknown keys are errors.

[study_area]
name_zh = "河南省"          # 研究区名称 / study-area name
name_en = "Henan"
area = []                   # 规划范围：地市或县区名称/代码，如 ["郑州市"]；空 = 全部县区 / counties or prefectures, [] = all
network_buffer_km = 50.0    # 路网（道路、铁路、车站、枢纽）保留至研究区外多少公里 / network kept this far beyond the area
projected_crs = "auto"      # 量算用投影：auto 自动选 CGCS2000 3度带高斯-克吕格 (河南 EPSG:4547)，或如 "EPSG:4547"

[layers]
# 每个图层："builtin"（内置河南数据）或文件路径（.gpkg/.shp/.zip/.geojson/.csv；roads 与 rail_lines 还可用 OSM 的 .osm/.osm.pbf）。
# Each layer: "builtin" (the built-in Henan data) or a file path (roads and rail_lines may also be an OSM
# .osm or .osm.pbf file). For a file, a table gives more:
#   [layers.parks]
#   source = "data/parks.shp"
#   encoding = "GBK"                 # 无 .cpg 的 GBK 文件 / GBK shapefile without .cpg
#   crs = "EPSG:4490"                # 仅当文件无坐标系时 / only when the file has no CRS
#   columns = {{"园区名称" = "name_zh", "编号" = "park_id"}}   # 字段映射 / column mapping
#   from_gcj02 = true                # 坐标取自高德等 GCJ-02 网络地图时转换 / convert from GCJ-02
{layer_lines}

[output]
dir = "outputs/henan"       # 输出目录 / output folder
overwrite = false           # 覆盖已有输出 / replace existing outputs
formats = ["gpkg"]          # 另加 "shp" 输出 Shapefile（shp/ 文件夹）/ add "shp" for shapefiles
shapefile_encoding = "UTF-8" # 或 "GBK"（老版本软件）/ or "GBK" for older software

[map]
language = "zh"             # 标注语言 zh | en
basemap = "none"            # none（离线）| osm | tianditu | gaode（数据自动偏移至 GCJ-02）
tianditu_key = ""           # 天地图密钥，也可用环境变量 TIANDITU_KEY
simplify_m = 500.0          # 边界共享化简容差（米，约为删去三角形面积的平方根）/ coverage simplification tolerance (≈ √area removed), metres
precision = 5               # 坐标小数位 / coordinate decimals in the HTML
assets = "auto"             # 网页脚本：inline 内嵌（离线可用）| cdn 外链 | auto 已下载则内嵌
max_road_features = 20000   # 道路超过此数时地图只画高等级道路（GeoPackage 保留全部）/ above this, the map draws the higher road classes only (the GeoPackage keeps all)

[network]
# 路网构建与速度 / network building and speeds
snap_tolerance_m = 50.0     # 线端吸附容差（米）/ a loose line end this close to another line joins it; a line's own vertices never merge
road_speed_factor = 0.8     # 运行速度/设计速度 / operating ÷ design speed, roads
rail_speed_factor = 0.8     # 同上，铁路（下表未列的等级）/ the same for rail classes not in the table below
# 分等级运行速度系数（按公布的最快列车时刻拟合）/ per-class factors, fitted to published fastest train times:
# rail_speed_factors = {{hsr = 0.62, intercity = 0.56, conventional = 0.64, freight = 0.64}}
# road_speed_factors = {{arterial = 0.7}}
boarding_penalty_min = 20.0 # 客运上车附加时间（分钟）/ boarding penalty at stations
freight_transfer_min = 120.0 # 公铁换装时间（分钟）/ road–rail transfer at freight terminals
access_speed_kmh = 40.0     # 路网外接驳速度 / off-network access speed
access_detour = 1.3         # 接驳绕行系数 / access detour factor
year = 0                    # 按某年底的路网规划（晚于该年开通的线路不计），0 = 现状 / plan on the network as of a year; 0 = as is
access_warn_km = 15.0       # 地点距路网超过此距离（公里）时提示 / note places farther than this from the road network, km
# 缺省设计速度（km/h），JTG B01 与铁路设计规范 / default design speeds by class:
# road_speeds = {{expressway = 120, connector = 60}}
# rail_speeds = {{hsr = 300, intercity = 200, conventional = 120, freight = 80}}

[accessibility]
hub_types = ["airport", "hsr", "rail_freight", "river_port"]  # 县域枢纽时间 / hub times per county
isochrone_hubs = ["AP_CGO", "CE_ZZ"]    # 等时圈枢纽编号 / hubs to draw isochrones around
isochrone_minutes = [30.0, 60.0, 90.0]
raster_to = ["airport", "hsr", "rail_freight"]  # 可达性栅格 / travel-time rasters to these
resolution_m = 1000.0       # 栅格分辨率（米）/ raster cell size
opportunity_minutes = 60.0  # 累积机会：县城多少分钟内可达的园区 / parks reachable within T minutes
decay = "exp"               # 引力衰减 exp | power
half_life_min = 30.0        # 指数衰减半衰期（分钟）/ half-life of the exponential decay
workers = 0                 # 进程数，0 为全部核心 / processes, 0 = all cores
scheduler = ""              # Dask 调度器："local" 或 tcp://主机:端口；空则本机多进程 / Dask scheduler

[indices]
statistics = "builtin"       # 县域经济规模：builtin（内置 2022 年 GDP/二产增加值，缺者估算并标注）、CSV 路径（adcode + 各行业列、adcode,sector,value，或 adcode + secondary_100m_yuan/gdp_100m_yuan 总量），空 = 园区代理指标
similarity_threshold = 0.9  # 产业同构：结构相似系数阈值 / similarity at or above this is 同构
isomorphism_minutes = 60.0  # 相邻或在此分钟内可达的县对才判同构 / neighbours or pairs within T minutes

[nodes]
# 增长极综合得分权重 / weights of the growth-pole score (normalised to sum 1)
weights = {{mass = 0.35, gravity = 0.2, betweenness = 0.15, hub_access = 0.15, park_level = 0.15}}
weighting = "fixed"         # fixed 固定权重 | entropy 熵权法
classifier = "fisher_jenks" # 自然断点 fisher_jenks | 头尾断裂 head_tail
national_zone_min_tier = "省级"   # 有国家级园区的县不低于此级
prefecture_seat_min_tier = "市级" # 地级市驻地不低于此级

[belts]
# 通道：走向一致的铁路与高速公路合并为一条通道，沿其最长线路（参照线）计里程
# corridors: parallel rail lines and expressways that follow one route are one corridor, measured along its longest line
corridor_km = 15.0          # 参照线两侧走廊宽度：园区与增长极在此距离内属于通道 / corridor half-width for parks and poles
join_km = 8.0               # 两线相距此距离内的部分计为并行 / lines within this distance run together
join_share = 0.5            # 较短线路至少此比例与另一线并行则归入同一通道 / share of the shorter line that must run together
min_part_km = 20.0          # 参照线分段时，不短于此长度的每段成为一条通道 / a multi-part reference line gives a corridor per part this long
# 产业带：沿参照线的产业规模核密度剖面（四次核）高于阈值的路段
# belts: where the kernel-smoothed (quartic) mass profile along the reference line lies above the threshold
bandwidth_km = 20.0         # 核半径（公里）/ kernel radius, km
step_km = 1.0               # 剖面采样间距 / profile sampling step, km
threshold = 1.0             # 阈值 = 此系数 × 该产业沿全部通道的平均线密度 / threshold = factor × the sector's mean mass per km along all corridors
gap_km = 40.0               # 可跨越的断档：不超过 max(gap_km, gap_share × 两侧路段长度之和) / gaps bridged: up to max(gap_km,
gap_share = 0.25            #   gap_share × the two stretches' total length)
min_parks = 3               # 产业带（及集群段）最少园区数 / fewest parks in a belt (and a segment)
min_prefectures = 3         # 产业带至少跨此数量的地市，或长度不短于 min_length_km / a belt spans this many prefectures
min_length_km = 150.0       #   or is at least this long；市域研究可调低，如 1 与 30 / a city-scale study may lower both, e.g. 1 and 30
min_pole_prefectures = 2    # 串联的增长极至少分属此数量的地市（市域研究可设 1）/ the poles threaded lie in this many prefectures
pole_tiers = ["国家级", "省级", "市级"]  # 计为增长极的节点层级 / node tiers that count as growth poles
mix_share = 0.15            # 先进制造业走廊：至少两个先进制造业门类各占此比例 / multi-sector belts: two advanced sectors each carry this share
merge_overlap = 0.8         # 同一通道上重叠（交并比）不低于此值的路段合并为一条产业带 / stretches overlapping this much are one belt
max_gap_km = 40.0           # 集群段：相邻园区最大间距 / segments: largest gap between consecutive parks
min_counties = 2            # 集群段最少跨县数 / segments: fewest counties
top = 15                    # 选出的产业带数 / belts kept

[linkages]
beta = 2.0                  # 引力模型距离衰减指数 β
t_min = 10.0                # 时间下限（分钟）/ floor of t_ij
complementarity = 0.0       # 互补性系数 λ（结构差异越大联系越强）
mode = "rail"               # 计算联系所用方式：rail = 公路与铁路（含接驳、候车）取最快；road 仅公路 / mode of t_ij: rail = the fastest of road and rail with access and boarding
n_lines = 80                # 地图上显示的联系线数
n_candidates = 120          # 参与通道评估的强联系对数
reference_speed_kmh = 100.0 # 理想时间 = 端点时间 + 直线距离 ÷ 此速度
terminal_min = 10.0         # 理想时间中上下快速网络的端点时间（分钟）/ terminal time in the ideal, minutes
serve_km = 10.0             # 快速线路距两端县城均在此距离内即视为已有通道（提速而非新建）/ a fast line this close to both seats is an existing corridor
min_deficit = 0.15          # 时间缺口下限 / smallest time deficit proposed
min_crow_km = 25.0          # 直线距离下限：更近的县对（如同城各区）不评通道 / skip pairs closer than this
top = 20                    # 优先通道数
urgency = {{"国家级" = 1.5, "省级" = 1.25, "市级" = 1.0, "县级" = 0.8}}  # 两端节点级别的紧迫度权重（取平均）

[clusters]
max_minutes = 45.0          # 同主导产业园区间最大车程（分钟）
min_parks = 2
min_counties = 2
hull_buffer_km = 3.0
"""
