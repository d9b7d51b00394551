"""OpenStreetMap roads and railways: ``.osm`` XML through OSMnx, ``.pbf`` through pyosmium, or a download."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from .._errors import (
    DataFileError,
    cause_text,
)
from .checks import conform_layer
from .gpkg import write_geopackage

__all__ = ["OSM_HIGHWAY_CLASSES", "osm_to_layers", "read_osm"]

#: OSM ``highway`` values kept, and the road class each becomes (speeds: ``network.ROAD_SPEEDS``).
OSM_HIGHWAY_CLASSES: dict[str, str] = {
    "motorway": "motorway", "motorway_link": "link", "trunk": "trunk", "trunk_link": "link",
    "primary": "primary", "primary_link": "link", "secondary": "secondary", "secondary_link": "link",
    "tertiary": "tertiary", "tertiary_link": "link", "unclassified": "unclassified", "residential": "residential",
}


def _first(v):
    return v[0] if isinstance(v, list) and v else v


def _maxspeed_kmh(v) -> float:
    v = _first(v)
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return float("nan")
    text = str(v).strip().lower()
    try:
        if text.endswith("mph"):
            return float(text[:-3].strip()) * 1.609344
        return float(text.split()[0])
    except ValueError:
        return float("nan")


def _rail_class(tags: dict) -> str | None:
    if _first(tags.get("railway")) != "rail":
        return None
    if str(_first(tags.get("highspeed")) or "").lower() == "yes":
        return "hsr"
    usage = str(_first(tags.get("usage")) or "")
    if usage in ("freight", "industrial"):
        return "freight"
    if usage in ("main", "branch", ""):
        return "conventional"
    return None


def _one_line_per_street(edges: pd.DataFrame) -> pd.DataFrame:
    """OSMnx edges with one line per street.

    A two-way street is two directed edges in OSMnx, one each way: the one drawn from the lower node id is
    kept. A one-way street is one edge and always stays, even where another one-way street runs back between
    the same two nodes (a divided road): those are two streets.
    """
    two_way = ~edges["oneway"].map(lambda x: _first(x) is True).to_numpy(bool)
    return edges[~(two_way & (edges["u"] > edges["v"]).to_numpy())].reset_index(drop=True)


def osm_to_layers(graph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Convert an OSMnx graph into the planner's ``roads`` and ``rail_lines`` layers.

    ``highway`` classes map through :data:`OSM_HIGHWAY_CLASSES`; ``railway=rail`` becomes
    ``hsr`` (``highspeed=yes``), ``freight`` (``usage=freight|industrial``) or
    ``conventional``. ``maxspeed`` becomes ``design_speed_kmh`` where given; the
    class tables fill the rest when the network is built. One-way streets keep
    ``oneway = True`` with the line drawn in the direction of travel, so the
    network routes them one way only. Every line has ``noded = True``: OSM ways
    meet only at shared nodes, so the network takes their topology as it is
    and never snaps their loose ends (dead ends) onto nearby streets.
    """
    import osmnx as ox  # imported on use: it takes about a second, and only OSM input needs it

    edges = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True).reset_index()
    if "oneway" not in edges:
        edges["oneway"] = False
    edges = _one_line_per_street(edges)
    if "highway" not in edges:
        edges["highway"] = None
    if "railway" not in edges:
        edges["railway"] = None
    roads, rails = [], []
    for i, e in enumerate(edges.itertuples(index=False)):
        tags = e._asdict()
        name = _first(tags.get("name"))
        name = "" if name is None or (isinstance(name, float) and np.isnan(name)) else str(name)
        ref = _first(tags.get("ref"))
        ref = "" if ref is None or (isinstance(ref, float) and np.isnan(ref)) else str(ref)
        hw = _first(tags.get("highway"))
        if isinstance(hw, str) and hw in OSM_HIGHWAY_CLASSES:
            roads.append({"road_id": f"osm_{e.u}_{e.v}_{e.key}", "name_zh": name, "route_ref": ref,
                          "road_class": OSM_HIGHWAY_CLASSES[hw], "design_speed_kmh": _maxspeed_kmh(tags.get("maxspeed")),
                          "detour_factor": 1.0, "osm_highway": hw, "oneway": _first(tags.get("oneway")) is True,
                          "noded": True, "geometry": e.geometry})
            continue
        rc = _rail_class(tags)
        if rc is not None:
            rails.append({"line_id": f"osm_{e.u}_{e.v}_{e.key}", "name_zh": name, "rail_class": rc,
                          "design_speed_kmh": _maxspeed_kmh(tags.get("maxspeed")), "noded": True,
                          "geometry": e.geometry})
    crs = edges.crs or "EPSG:4326"
    road_gdf = gpd.GeoDataFrame(roads, geometry="geometry", crs=crs) if roads else gpd.GeoDataFrame(
        columns=["road_id", "name_zh", "route_ref", "road_class", "design_speed_kmh", "detour_factor", "osm_highway",
                 "oneway", "noded", "geometry"], geometry="geometry", crs=crs)
    rail_gdf = gpd.GeoDataFrame(rails, geometry="geometry", crs=crs) if rails else gpd.GeoDataFrame(
        columns=["line_id", "name_zh", "rail_class", "design_speed_kmh", "noded", "geometry"], geometry="geometry",
        crs=crs)
    return conform_layer(road_gdf, None, "osm roads"), conform_layer(rail_gdf, None, "osm rail")


def _osm_settings():
    import osmnx as ox  # imported on use (see osm_to_layers)

    for tag in ("railway", "usage", "highspeed", "ref", "maxspeed", "name", "oneway"):
        if tag not in ox.settings.useful_tags_way:
            ox.settings.useful_tags_way = [*ox.settings.useful_tags_way, tag]
    return ox


# ways merge into one line only where these agree: a footway never joins a railway, a one-way
# carriageway never joins a two-way street, and each line keeps one class and speed
_OSM_SIMPLIFY_KEEP = ["highway", "railway", "oneway", "maxspeed", "ref", "name", "usage", "highspeed"]


def _osm_simplify(ox, graph):
    return ox.simplify_graph(graph, edge_attrs_differ=_OSM_SIMPLIFY_KEEP)


def read_osm(
    source: str | os.PathLike | None = None,
    *,
    place: str | None = None,
    polygon=None,
    cache: str | os.PathLike | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Road and rail layers from OpenStreetMap.

    Parameters
    ----------
    source
        A local ``.osm`` XML file (``osmnx.graph_from_xml``) or ``.pbf`` file
        (needs the ``pbf`` extra, pyosmium).
    place, polygon
        Download instead (``osmnx.graph_from_place`` / ``graph_from_polygon``,
        needs internet): a place name such as ``"新乡市, 河南省"`` or a shapely
        polygon in EPSG:4326.
    cache
        A ``.gpkg`` path: read from it when it exists, otherwise write the
        result there (layers ``roads`` and ``rail_lines``). A ``.graphml`` path
        caches the raw OSMnx graph instead.

    Returns
    -------
    (roads, rail_lines)
        GeoDataFrames in EPSG:4490 in the planner's schema, every line with ``noded = True``: the network
        takes OSM's topology (ways meet at shared nodes) as it is and never snaps a way's loose end.
    """
    if cache is not None and Path(cache).suffix == ".gpkg" and Path(cache).exists():
        return tuple(conform_layer(pyogrio.read_dataframe(cache, layer=name), None, f"{cache}:{name}")
                     for name in ("roads", "rail_lines"))
    ox = _osm_settings()
    label = str(source or place or "polygon")
    if cache is not None and Path(cache).suffix == ".graphml" and Path(cache).exists():
        graph = ox.load_graphml(cache)
    elif source is not None:
        p = Path(source)
        if not p.exists():
            raise DataFileError(f"file not found: {p}", layer=label, fix="check the path to the .osm/.pbf file.")
        if p.suffix.lower() == ".pbf":
            return _read_pbf(p)
        try:
            graph = _osm_simplify(ox, ox.graph_from_xml(p, simplify=False, retain_all=True))
        except Exception as exc:  # osmnx raises plain exceptions on bad XML
            raise DataFileError(f"cannot read OSM XML {p.name}: {cause_text(exc)}", layer=label,
                                fix="check that the file is complete OSM XML (export it again).") from exc
    else:
        filt = ('["highway"~"motorway|trunk|primary|secondary|tertiary|unclassified|residential"]',
                '["railway"="rail"]')
        try:
            if place is not None:
                graph = _osm_simplify(ox, ox.graph_from_place(place, custom_filter=list(filt), simplify=False,
                                                              retain_all=True))
            elif polygon is not None:
                graph = _osm_simplify(ox, ox.graph_from_polygon(polygon, custom_filter=list(filt), simplify=False,
                                                                retain_all=True))
            else:
                raise DataFileError("no OSM source given", fix="pass a .osm/.pbf file, place= or polygon=.")
        except DataFileError:
            raise
        except Exception as exc:
            raise DataFileError(f"OSM download failed: {cause_text(exc)}", layer=label,
                                fix="check the internet connection, or export a .osm file and read it instead.") from exc
    if cache is not None and Path(cache).suffix == ".graphml" and not Path(cache).exists():
        ox.save_graphml(graph, cache)
    roads, rails = osm_to_layers(graph)
    if cache is not None and Path(cache).suffix == ".gpkg":
        write_geopackage({"roads": roads, "rail_lines": rails}, cache)
    return roads, rails


def _osm_oneway(tags: dict) -> int:
    """``1`` one-way along the way, ``-1`` against it, ``0`` two-way, as OSMnx reads the same tags."""
    value = tags.get("oneway", "").strip().lower()
    if value in ("-1", "reverse"):
        return -1
    if value in ("yes", "true", "1") or tags.get("junction") == "roundabout":
        return 1
    return 0


def _read_pbf(path: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    try:
        import osmium  # the optional `pbf` extra
    except ImportError as exc:
        raise DataFileError(f"reading {path.name} needs pyosmium ({cause_text(exc)})", layer=str(path),
                            fix="pip install 'spatial-planner[pbf]', or convert the file to .osm XML.") from exc
    from shapely.geometry import LineString

    roads, rails = [], []
    fp = osmium.FileProcessor(str(path)).with_locations().with_filter(osmium.filter.KeyFilter("highway", "railway"))
    for obj in fp:
        if not obj.is_way():
            continue
        try:
            coords = [(n.lon, n.lat) for n in obj.nodes]
        except osmium.InvalidLocationError:
            continue
        if len(coords) < 2:
            continue
        tags = {t.k: t.v for t in obj.tags}
        hw = tags.get("highway")
        name = tags.get("name:zh", tags.get("name", ""))
        if hw in OSM_HIGHWAY_CLASSES:
            oneway = _osm_oneway(tags)
            roads.append({"road_id": f"osm_w{obj.id}", "name_zh": name, "route_ref": tags.get("ref", ""),
                          "road_class": OSM_HIGHWAY_CLASSES[hw], "design_speed_kmh": _maxspeed_kmh(tags.get("maxspeed")),
                          "detour_factor": 1.0, "osm_highway": hw, "oneway": oneway != 0, "noded": True,
                          "geometry": LineString(coords[::-1] if oneway < 0 else coords)})
        else:
            rc = _rail_class(tags)
            if rc:
                rails.append({"line_id": f"osm_w{obj.id}", "name_zh": name, "rail_class": rc,
                              "design_speed_kmh": _maxspeed_kmh(tags.get("maxspeed")), "noded": True,
                              "geometry": LineString(coords)})
    r = gpd.GeoDataFrame(roads, geometry="geometry", crs="EPSG:4326") if roads else gpd.GeoDataFrame(
        columns=["road_id", "road_class", "noded", "geometry"], geometry="geometry", crs="EPSG:4326")
    l = gpd.GeoDataFrame(rails, geometry="geometry", crs="EPSG:4326") if rails else gpd.GeoDataFrame(  # noqa: E741
        columns=["line_id", "rail_class", "noded", "geometry"], geometry="geometry", crs="EPSG:4326")
    return conform_layer(r, None, "osm roads"), conform_layer(l, None, "osm rail")
