"""A corpus of bad inputs: each case is an error of the exact type naming the culprit, or a repair with its warning.

Every fixture is generated here, in ``tmp_path``: files are written with
pyogrio/geopandas and then damaged (bytes cut, parts left out, coordinates
swapped, shifted or mislabelled).
"""

from __future__ import annotations

import functools
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import GeometryCollection, LineString, MultiPoint, Point, Polygon

import spatial_planner as sp
from spatial_planner.io.checks import geometry_type_error
from spatial_planner.io.encoding import guess_text_encoding
from spatial_planner.analysis.accessibility import nearest_hub_times, od_matrix
from spatial_planner.cli import cli
from spatial_planner.config import config_from_dict, load_config
from spatial_planner.crs import gcj02_to_wgs84, wgs84_to_gcj02
from spatial_planner.analysis.indices import industry_table_from_csv
from spatial_planner import DataWarning
from spatial_planner.io import detect_dbf_encoding, detect_gcj02, read_layer
from spatial_planner.network import build_network, unreachable_flags
from spatial_planner.validate import validate_inputs, validate_layer

ZHENGZHOU = (113.65, 34.76)

# --------------------------------------------------------------------------- builders


@functools.lru_cache(maxsize=None)
def _builtin(name: str) -> gpd.GeoDataFrame:
    return sp.read_builtin(name)


def builtin(name: str) -> gpd.GeoDataFrame:
    return _builtin(name).copy()


@functools.lru_cache(maxsize=1)
def henan_area():
    return shapely.union_all(_builtin("boundary").geometry.values)


def parks(names=("郑州测试经开区", "惠济测试园区", "航空港测试园"), crs="EPSG:4490") -> gpd.GeoDataFrame:
    polys = [
        Polygon([(113.70, 34.70), (113.72, 34.70), (113.72, 34.72), (113.70, 34.72)]),
        Polygon([(113.60, 34.80), (113.63, 34.80), (113.63, 34.82), (113.60, 34.82)]),
        Polygon([(113.80, 34.50), (113.84, 34.50), (113.84, 34.53), (113.80, 34.53)]),
    ]
    n = len(names)
    return gpd.GeoDataFrame(
        {"park_id": [f"T{i + 1}" for i in range(n)], "name_zh": list(names),
         "level": ["national", "provincial", "municipal"][:n], "sectors": ["auto", "food", "electronics"][:n],
         "area_km2": [4.4, 6.1, 13.2][:n]},
        geometry=polys[:n], crs=crs)


def hubs(points, ids=None, crs="EPSG:4490") -> gpd.GeoDataFrame:
    ids = ids or [f"H{i + 1}" for i in range(len(points))]
    return gpd.GeoDataFrame({"hub_id": ids, "name_zh": [f"枢纽{i}" for i in ids], "hub_type": "airport"},
                            geometry=list(points), crs=crs)


def roads(lines, crs="EPSG:4547", **extra) -> gpd.GeoDataFrame:
    n = len(lines)
    cols = {"road_id": [f"r{i}" for i in range(n)], "name_zh": [f"路{i}" for i in range(n)],
            "road_class": ["connector"] * n}
    cols.update(extra)
    return gpd.GeoDataFrame(cols, geometry=list(lines), crs=crs)


def write_gbk_shapefile(tmp_path, names, *, ldid: int | None = None, stem="gbk"):
    """A GBK shapefile of parks without .cpg; ``ldid`` sets the dBase language driver byte."""
    path = tmp_path / f"{stem}.shp"
    pyogrio.write_dataframe(parks(names), path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    if ldid is not None:
        dbf = path.with_suffix(".dbf")
        raw = bytearray(dbf.read_bytes())
        raw[29] = ldid
        dbf.write_bytes(bytes(raw))
    return path


def write_csv(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def shifted_seats_csv(tmp_path, n=40):
    seats = builtin("seats").head(n)
    glon, glat = wgs84_to_gcj02(seats.geometry.x.to_numpy(), seats.geometry.y.to_numpy())
    df = pd.DataFrame({"adcode": seats["adcode"], "name_zh": seats["name_zh"], "lon": glon, "lat": glat})
    path = tmp_path / "seats_gcj.csv"
    df.to_csv(path, index=False, encoding="utf-8")
    return path, seats


def read_and_validate(path, kind, **kw):
    gdf = read_layer(path, kind=kind, **kw)
    return validate_layer(gdf, kind, name=path.name, study_area=henan_area())


# --------------------------------------------------------------------------- the corpus


@dataclass
class Case:
    run: Callable
    error: type | None = None
    names: tuple[str, ...] = ()  # substrings the error message (or a warning) must contain
    warns: tuple[str, ...] = ()


CASES: dict[str, Case] = {}


def case(name, *, error=None, names=(), warns=()):
    def deco(fn):
        assert name not in CASES
        CASES[name] = Case(fn, error, tuple(names), tuple(warns))
        return fn

    return deco


# 1. text encodings ------------------------------------------------------------


@case("dbf-gbk-ldid-cp936", names=())
def _(tmp_path):
    path = write_gbk_shapefile(tmp_path, ("郑州测试经开区", "惠济测试园区", "航空港测试园"), ldid=0x4D)
    assert detect_dbf_encoding(path) == ("GB18030", "ldid")
    assert list(read_layer(path, kind="parks")["name_zh"]) == ["郑州测试经开区", "惠济测试园区", "航空港测试园"]


@case("dbf-gbk-ldid-0x7a")
def _(tmp_path):
    path = write_gbk_shapefile(tmp_path, ("新乡测试园", "许昌测试园", "洛阳测试园"), ldid=0x7A)
    assert detect_dbf_encoding(path) == ("GB18030", "ldid")
    assert read_layer(path, kind="parks").loc[2, "name_zh"] == "洛阳测试园"


@case("dbf-gbk-without-cpg-detected", warns=("GB18030",))
def _(tmp_path):
    path = write_gbk_shapefile(tmp_path, ("郑州测试经开区", "惠济测试园区", "航空港测试园"))
    assert read_layer(path, kind="parks").loc[0, "name_zh"] == "郑州测试经开区"


@case("dbf-gbk-bytes-also-valid-utf8", warns=("valid UTF-8", "GB18030", "gbk.shp"))
def _(tmp_path):
    names = ("太平", "双泉", "潭山鹿台")
    raw = "".join(names).encode("gbk")
    raw.decode("utf-8")  # the trap: these GBK bytes are valid UTF-8 too
    path = write_gbk_shapefile(tmp_path, names)
    assert detect_dbf_encoding(path) == ("GB18030", "ambiguous")
    assert list(read_layer(path, kind="parks")["name_zh"]) == list(names)


@case("dbf-undecodable", error=sp.EncodingError, names=("bad.dbf", "neither UTF-8 nor GBK", ".cpg"))
def _(tmp_path):
    path = write_gbk_shapefile(tmp_path, ("ABCDEF", "GHIJKL", "MNOPQR"), stem="bad")
    dbf = path.with_suffix(".dbf")
    raw = dbf.read_bytes().replace(b"ABCDEF", b"\xff\xfe\x80\xff\x80\xfe")
    dbf.write_bytes(raw)
    read_layer(path, kind="parks")


@case("csv-gbk-bytes-also-valid-utf8", warns=("valid UTF-8", "GB18030"))
def _(tmp_path):
    text = "hub_id,name_zh,hub_type,lon,lat\nH1,太平,airport,113.6,34.7\nH2,双泉,airport,113.7,34.8\n"
    path = write_csv(tmp_path, "hubs.csv", text, encoding="gbk")
    assert list(read_layer(path, kind="hubs")["name_zh"]) == ["太平", "双泉"]


@case("utf8-pinyin-is-not-mistaken-for-gbk")
def _(tmp_path):
    assert guess_text_encoding("Luòyáng Zhèngzhōu 郑州".encode()) == ("UTF-8", "utf-8")
    assert guess_text_encoding("Luòyáng".encode()) == ("UTF-8", "utf-8")
    assert guess_text_encoding("太平双泉".encode("gbk")) == ("GB18030", "ambiguous")
    assert guess_text_encoding(b"\xff\xfe\x80") == (None, "undecodable")


# files -------------------------------------------------------------------------


@case("empty-gpkg", error=sp.DataFileError, names=("empty", "nothing.gpkg"))
def _(tmp_path):
    (tmp_path / "nothing.gpkg").write_bytes(b"")
    read_layer(tmp_path / "nothing.gpkg")


@case("empty-csv", error=sp.DataFileError, names=("empty", "nothing.csv"))
def _(tmp_path):
    (tmp_path / "nothing.csv").write_bytes(b"")
    read_layer(tmp_path / "nothing.csv")


@case("csv-header-only", error=sp.EmptyLayerError, names=("hubs.csv", "no features"))
def _(tmp_path):
    path = write_csv(tmp_path, "hubs.csv", "hub_id,name_zh,hub_type,lon,lat\n")
    read_and_validate(path, "hubs")


@case("geojson-without-features", error=sp.EmptyLayerError, names=("parks.geojson", "'parks'", "no features", "Fix"))
def _(tmp_path):
    path = write_csv(tmp_path, "parks.geojson", '{"type": "FeatureCollection", "features": []}')
    read_layer(path, kind="parks")


@case("gpkg-layer-without-features", error=sp.EmptyLayerError, names=("two.gpkg", "'none'", "no features"))
def _(tmp_path):
    path = tmp_path / "two.gpkg"
    parks().to_file(path, layer="some")
    parks().iloc[:0].to_file(path, layer="none")
    read_layer(path, kind="parks", layer="none")


@case("validate-inputs-empty-geojson-is-an-empty-layer")
def _(tmp_path):
    path = write_csv(tmp_path, "parks.geojson", '{"type": "FeatureCollection", "features": []}')
    problems = validate_inputs(paths=[path])
    assert len(problems) == 1 and problems[0].severity == "error" and problems[0].layer == str(path)
    assert "no features" in problems[0].message and "missing column" not in problems[0].message
    assert problems[0].fix


@case("csv-malformed", error=sp.DataFileError, names=("bad.csv", "well-formed"))
def _(tmp_path):
    path = write_csv(tmp_path, "bad.csv", 'id,lon,lat\n1,113.6,34.7\n2,"113.7,34.8\n3,1,2,3,4\n')
    read_layer(path)


@case("truncated-gpkg", error=sp.DataFileError, names=("cut.gpkg", "truncated"))
def _(tmp_path):
    full = tmp_path / "full.gpkg"
    big = gpd.GeoDataFrame({"park_id": [f"P{i}" for i in range(300)], "name_zh": "园", "level": "x", "sectors": "a"},
                           geometry=[Point(113 + i * 1e-3, 34).buffer(5e-4) for i in range(300)], crs=4490)
    big.to_file(full, layer="parks")
    raw = full.read_bytes()
    (tmp_path / "cut.gpkg").write_bytes(raw[: len(raw) * 2 // 3])
    read_layer(tmp_path / "cut.gpkg")


@case("text-file-named-gpkg", error=sp.DataFileError, names=("fake.gpkg", "not a GeoPackage"))
def _(tmp_path):
    (tmp_path / "fake.gpkg").write_text("park_id,name\nP1,x\n", encoding="utf-8")
    read_layer(tmp_path / "fake.gpkg")


@case("zip-without-shx", error=sp.DataFileError, names=("broken.zip", ".shx"))
def _(tmp_path):
    shp = tmp_path / "z" / "parks.shp"
    shp.parent.mkdir()
    parks().to_file(shp, encoding="UTF-8")
    zpath = tmp_path / "broken.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in shp.parent.iterdir():
            if f.suffix != ".shx":
                zf.write(f, f.name)
    read_layer(zpath)


@case("shapefile-without-shx", error=sp.DataFileError, names=("parks.shp", "parks.shx"))
def _(tmp_path):
    shp = tmp_path / "parks.shp"
    parks().to_file(shp, encoding="UTF-8")
    shp.with_suffix(".shx").unlink()
    read_layer(shp)


@case("shapefile-without-prj", error=sp.NoCRSError, names=("noprj.shp", "no CRS", ".prj"))
def _(tmp_path):
    shp = tmp_path / "noprj.shp"
    parks().to_file(shp, encoding="UTF-8")
    shp.with_suffix(".prj").unlink()
    read_layer(shp)


@case("geojson-without-crs-member-is-wgs84")
def _(tmp_path):
    path = tmp_path / "hubs.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                    '{"hub_id": "H1", "name_zh": "郑州", "hub_type": "airport"}, '
                    '"geometry": {"type": "Point", "coordinates": [113.65, 34.76]}}]}', encoding="utf-8")
    got = read_and_validate(path, "hubs")
    assert got.crs.to_epsg() == 4490
    assert (got.geometry.x.iloc[0], got.geometry.y.iloc[0]) == pytest.approx(ZHENGZHOU)


@case("gpkg-layer-name-that-does-not-exist", error=sp.DataFileError, names=("two.gpkg", "'roads'", "parks, hubs"))
def _(tmp_path):
    path = tmp_path / "two.gpkg"
    parks().to_file(path, layer="parks")
    hubs([Point(*ZHENGZHOU)]).to_file(path, layer="hubs")
    read_layer(path, layer="roads")


@case("unsupported-extension", error=sp.DataFileError, names=("parks.xlsx", "unsupported"))
def _(tmp_path):
    (tmp_path / "parks.xlsx").write_bytes(b"PK\x03\x04")
    read_layer(tmp_path / "parks.xlsx")


@case("csv-with-chinese-headers-mapped")
def _(tmp_path):
    path = write_csv(tmp_path, "园区.csv", "编号,园区名称,级别,主导产业,经度,纬度\nP1,郑州经开区,national,auto,113.72,34.72\n")
    got = read_layer(path, kind="parks", columns={"编号": "park_id", "园区名称": "name_zh", "级别": "level",
                                                  "主导产业": "sectors"})
    assert got.loc[0, "name_zh"] == "郑州经开区" and got.geometry.iloc[0].x == pytest.approx(113.72)


@case("csv-with-chinese-headers-unmapped", error=sp.MissingColumnError, names=("园区.csv", "park_id", "园区名称"))
def _(tmp_path):
    path = write_csv(tmp_path, "园区.csv", "编号,园区名称,级别,主导产业,经度,纬度\nP1,郑州经开区,national,auto,113.72,34.72\n")
    read_layer(path, kind="parks")


# 2. axis order -----------------------------------------------------------------


@case("csv-lon-lat-swapped", warns=("swapped", "2 of 2", "H1"))
def _(tmp_path):
    path = write_csv(tmp_path, "hubs.csv", "hub_id,name_zh,hub_type,lon,lat\nH1,郑州,airport,34.76,113.65\n"
                                           "H2,洛阳,airport,34.62,112.45\n")
    got = read_and_validate(path, "hubs")
    assert (got.geometry.x.iloc[0], got.geometry.y.iloc[0]) == pytest.approx(ZHENGZHOU)


@case("one-polygon-swapped-in-a-gpkg", warns=("swapped", "1 of 3", "T2"))
def _(tmp_path):
    gdf = parks()
    gdf.loc[1, "geometry"] = shapely.transform(gdf.geometry.iloc[1], lambda c: c[:, ::-1])
    gdf.to_file(tmp_path / "parks.gpkg")
    got = read_and_validate(tmp_path / "parks.gpkg", "parks")
    assert got.geometry.iloc[1].equals(parks().geometry.iloc[1])


@case("gauss-krueger-northing-easting-swapped", warns=("easting and northing", "3 of 3"))
def _(tmp_path):
    gdf = hubs([Point(113.65, 34.76), Point(112.45, 34.62), Point(114.3, 35.0)]).to_crs(4547)
    swapped = gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda c: c[:, ::-1]))
    swapped.to_file(tmp_path / "ne.gpkg")
    got = read_layer(tmp_path / "ne.gpkg", kind="hubs")
    assert (got.geometry.x.iloc[0], got.geometry.y.iloc[0]) == pytest.approx(ZHENGZHOU)


@case("latitude-beyond-90-not-a-swap", error=sp.UnexpectedCRSError, names=("hubs.csv", "±90", "H2"))
def _(tmp_path):
    path = write_csv(tmp_path, "hubs.csv", "hub_id,name_zh,hub_type,lon,lat\nH1,郑州,airport,113.65,34.76\n"
                                           "H2,坏,airport,13.6,134.7\n")
    read_layer(path, kind="hubs")


# 3. projected metres labelled as degrees, and the reverse ------------------------


def _gk_hubs(epsg: int) -> gpd.GeoDataFrame:
    pts = [Point(113.65, 34.76), Point(112.45, 34.62), Point(114.3, 35.0)]
    return hubs(pts).to_crs(epsg).set_crs(4490, allow_override=True)


@case("gk-zone-prefix-labelled-4490", error=sp.UnexpectedCRSError, names=("gk.gpkg", "EPSG:4526", "zone 38",
                                                                          "projected metres"))
def _(tmp_path):
    _gk_hubs(4526).to_file(tmp_path / "gk.gpkg")
    read_layer(tmp_path / "gk.gpkg", kind="hubs")


@case("gk-3-degree-no-prefix-labelled-4490", error=sp.UnexpectedCRSError, names=("gk.gpkg", "EPSG:4547", "H1"))
def _(tmp_path):
    _gk_hubs(4547).to_file(tmp_path / "gk.gpkg")
    read_layer(tmp_path / "gk.gpkg", kind="hubs")


@case("gk-6-degree-prefix-labelled-4490", error=sp.UnexpectedCRSError, names=("gk6.gpkg", "EPSG:4497"))
def _(tmp_path):
    _gk_hubs(4497).to_file(tmp_path / "gk6.gpkg")
    read_layer(tmp_path / "gk6.gpkg", kind="hubs")


@case("gk-metres-in-a-lonlat-csv", error=sp.UnexpectedCRSError, names=("gk.csv", "EPSG:4526", "crs ="))
def _(tmp_path):
    g = _gk_hubs(4526)
    text = "hub_id,name_zh,hub_type,lon,lat\n" + "".join(
        f"{r.hub_id},{r.name_zh},airport,{r.geometry.x:.2f},{r.geometry.y:.2f}\n" for r in g.itertuples())
    path = write_csv(tmp_path, "gk.csv", text)
    try:
        read_layer(path, kind="hubs")
    finally:  # and the suggested CRS reads it right
        got = read_layer(path, kind="hubs", crs="EPSG:4526")
        assert got.geometry.x.iloc[0] == pytest.approx(113.65, abs=1e-6)


@case("degrees-labelled-gauss-krueger", error=sp.UnexpectedCRSError, names=("deg.gpkg", "EPSG:4490", "degrees"))
def _(tmp_path):
    hubs([Point(113.65, 34.76), Point(112.45, 34.62)]).set_crs(4547, allow_override=True).to_file(
        tmp_path / "deg.gpkg")
    read_layer(tmp_path / "deg.gpkg", kind="hubs")


@case("wrong-gauss-krueger-zone-label", error=sp.UnexpectedCRSError, names=("zone.gpkg", "EPSG:4526", "EPSG:4547"))
def _(tmp_path):
    _gk_hubs(4526).set_crs(4547, allow_override=True).to_file(tmp_path / "zone.gpkg")
    read_layer(tmp_path / "zone.gpkg", kind="hubs")


# 4. GCJ-02 ---------------------------------------------------------------------


@case("gcj02-shifted-seats-detected", warns=("GCJ-02", "40 of 40"))
def _(tmp_path):
    path, _ = shifted_seats_csv(tmp_path)
    got = read_layer(path, kind="seats")
    check = detect_gcj02(got, builtin("seats"), ids=got["adcode"].tolist(), label="seats_gcj.csv")
    assert check.shifted and check.n_shifted == 40 and 450 < check.median_offset_m < 700
    assert check.median_residual_m < 1.0


@case("wgs84-seats-are-not-flagged")
def _(tmp_path):
    seats = builtin("seats")
    moved = seats.copy()
    rng = np.random.default_rng(1)  # real positions near the seats, in random directions
    moved["geometry"] = [shapely.affinity.translate(g, *(rng.uniform(-0.006, 0.006, 2))) for g in seats.geometry]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        assert not detect_gcj02(seats, seats).shifted
        assert not detect_gcj02(moved, seats).shifted


@case("read-layer-from-gcj02", warns=("GCJ-02", "converted 40 feature"))
def _(tmp_path):
    path, seats = shifted_seats_csv(tmp_path)
    got = read_layer(path, kind="seats", from_gcj02=True)
    err = np.hypot(got.geometry.x.to_numpy() - seats.geometry.x.to_numpy(),
                   got.geometry.y.to_numpy() - seats.geometry.y.to_numpy())
    assert err.max() < 1e-7


@case("gcj02-polygons-converted", warns=("converted 3 feature",))
def _(tmp_path):
    p = parks()
    shifted = p.copy()
    shifted["geometry"] = sp.crs.shift_geometry_to_gcj02(p.geometry.values)
    shifted.to_file(tmp_path / "parks.gpkg")
    got = read_layer(tmp_path / "parks.gpkg", kind="parks", from_gcj02=True)
    assert shapely.hausdorff_distance(got.geometry.values, p.geometry.values).max() < 1e-7


@case("from-gcj02-on-a-projected-layer", error=sp.UnexpectedCRSError, names=("gk.gpkg", "from_gcj02"))
def _(tmp_path):
    hubs([Point(*ZHENGZHOU)]).to_crs(4547).to_file(tmp_path / "gk.gpkg")
    read_layer(tmp_path / "gk.gpkg", kind="hubs", from_gcj02=True)


@case("validate-inputs-flags-gcj02-hubs")
def _(tmp_path):
    seats = builtin("seats").head(12)
    glon, glat = wgs84_to_gcj02(seats.geometry.x.to_numpy(), seats.geometry.y.to_numpy())
    df = pd.DataFrame({"hub_id": [f"H{i}" for i in range(12)], "name_zh": seats["name_zh"], "hub_type": "airport",
                       "lon": glon, "lat": glat})
    df.to_csv(tmp_path / "hubs.csv", index=False)
    problems = validate_inputs(paths=[tmp_path / "hubs.csv"])
    gcj = [p for p in problems if "GCJ-02" in p.message]
    assert len(gcj) == 1 and gcj[0].severity == "warning" and gcj[0].count == 12 and "H0" in gcj[0].ids
    assert not [p for p in problems if p.severity == "error"]
    # converted back, nothing is flagged
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    df.assign(lon=wlon, lat=wlat).to_csv(tmp_path / "hubs.csv", index=False)
    assert not [p for p in validate_inputs(paths=[tmp_path / "hubs.csv"]) if "GCJ-02" in p.message]


# 5. invalid geometries ------------------------------------------------------------


@case("self-intersecting-park-repaired", warns=("repaired 1 invalid", "T1", "Self-intersection"))
def _(tmp_path):
    gdf = parks()
    gdf.loc[0, "geometry"] = Polygon([(113.7, 34.7), (113.72, 34.72), (113.72, 34.7), (113.7, 34.72)])
    gdf.to_file(tmp_path / "parks.gpkg")
    got = read_and_validate(tmp_path / "parks.gpkg", "parks")
    assert got.geometry.is_valid.all() and got.geometry.iloc[0].geom_type in ("Polygon", "MultiPolygon")
    assert got.geometry.iloc[0].area > 0


@case("ring-with-too-few-points", error=sp.InvalidGeometryError, names=("parks.geojson", "T2", "Too few points"))
def _(tmp_path):
    path = tmp_path / "parks.geojson"
    parks().to_file(path, driver="GeoJSON")
    text = path.read_text(encoding="utf-8")
    gdf = read_layer(path, kind="parks")
    gdf.loc[1, "geometry"] = shapely.from_wkt("POLYGON ((113.6 34.8, 113.63 34.8, 113.6 34.8))")
    assert text  # the file itself is fine; the broken ring comes from an editor's output
    validate_layer(gdf, "parks", name="parks.geojson")


@case("nan-coordinates-in-a-gpkg", error=sp.InvalidGeometryError, names=("nan.gpkg", "NaN", "T3"))
def _(tmp_path):
    gdf = parks()
    gdf.loc[2, "geometry"] = Polygon([(113.8, 34.5), (np.nan, 34.5), (113.84, 34.53), (113.8, 34.5)])
    gdf.to_file(tmp_path / "nan.gpkg")
    read_layer(tmp_path / "nan.gpkg", kind="parks")


@case("nan-coordinates-in-memory", error=sp.InvalidGeometryError, names=("hubs", "NaN", "H2"))
def _(tmp_path):
    validate_layer(hubs([Point(*ZHENGZHOU), Point(np.nan, 34.0)]), "hubs")


@case("csv-empty-coordinate-cell", error=sp.InvalidGeometryError, names=("hubs.csv", "lon", "3"))
def _(tmp_path):
    path = write_csv(tmp_path, "hubs.csv", "hub_id,name_zh,hub_type,lon,lat\nH1,郑州,airport,113.65,34.76\n"
                                           "H2,洛阳,airport,,34.62\n")
    read_layer(path, kind="hubs")


# 6. multipart and mixed geometry types --------------------------------------------


@case("points-mixed-with-polygons", error=sp.InvalidGeometryError, names=("mixed.geojson", "H3", "mixes"))
def _(tmp_path):
    gdf = hubs([Point(*ZHENGZHOU), Point(112.45, 34.62), Point(114.3, 35.0).buffer(0.01)])
    gdf.to_file(tmp_path / "mixed.geojson", driver="GeoJSON")
    read_layer(tmp_path / "mixed.geojson", kind="hubs")


@case("mixed-types-minority-named-without-kind")
def _(tmp_path):
    types = np.array(["Polygon", "Polygon", "Point", "Polygon"], dtype=object)
    mask, err = geometry_type_error(types, None, label="odd.gpkg", ids=["a", "b", "c", "d"])
    assert list(mask) == [False, False, True, False]
    assert isinstance(err, sp.InvalidGeometryError) and err.ids == ["c"] and "odd.gpkg" in str(err)


@case("multipoint-hubs-split", warns=("split 1 MultiPoint", "H1"))
def _(tmp_path):
    gdf = hubs([MultiPoint([ZHENGZHOU, (113.70, 34.80)]), Point(112.45, 34.62), MultiPoint([(114.3, 35.0)])])
    gdf.to_file(tmp_path / "hubs.gpkg")
    got = read_and_validate(tmp_path / "hubs.gpkg", "hubs")
    assert list(got["hub_id"]) == ["H1-1", "H1-2", "H2", "H3"]
    assert set(got.geom_type) == {"Point"}


@case("multipoint-split-in-validate-layer", warns=("split 1 MultiPoint",))
def _(tmp_path):
    got = validate_layer(hubs([MultiPoint([ZHENGZHOU, (113.70, 34.80), (113.8, 34.9)])]), "hubs")
    assert list(got["hub_id"]) == ["H1-1", "H1-2", "H1-3"]


@case("geometry-collection-keeps-polygon-part", warns=("GeometryCollection", "T1"))
def _(tmp_path):
    gdf = parks()
    poly = gdf.geometry.iloc[0]
    extra = [Point(113.71, 34.71), LineString([(113.7, 34.7), (113.8, 34.8)])]
    gdf.loc[0, "geometry"] = GeometryCollection([poly, *extra])
    got = validate_layer(gdf, "parks")
    assert got.geometry.iloc[0].equals(poly)


@case("geometry-collection-without-polygons", error=sp.InvalidGeometryError, names=("parks", "T2",
                                                                                    "GeometryCollection"))
def _(tmp_path):
    gdf = parks()
    gdf.loc[1, "geometry"] = GeometryCollection([Point(113.6, 34.8), LineString([(113.6, 34.8), (113.7, 34.9)])])
    validate_layer(gdf, "parks")


# 7. network problems ---------------------------------------------------------------

LINE = LineString([(500000, 3800000), (510000, 3800000)])


@case("negative-road-speed", error=sp.InvalidValueError, names=("roads", "r1", "design_speed_kmh"))
def _(tmp_path):
    build_network(roads([LINE, LineString([(510000, 3800000), (520000, 3800000)])], design_speed_kmh=[80.0, -60.0]))


@case("nan-speed-unknown-class", error=sp.InvalidValueError, names=("cart_track", "r0"))
def _(tmp_path):
    build_network(roads([LINE], road_class=["cart_track"], design_speed_kmh=[np.nan]))


@case("text-road-speed", error=sp.InvalidValueError, names=("r0", "non-numeric"))
def _(tmp_path):
    build_network(roads([LINE], design_speed_kmh=["fast"]))


@case("non-positive-detour-factor", error=sp.InvalidValueError, names=("detour_factor", "r0", "r1"))
def _(tmp_path):
    build_network(roads([LINE, LINE.offset_curve(5000)], detour_factor=[0.0, -1.2]))


@case("one-node-network-point-road", error=sp.InvalidGeometryError, names=("roads", "r0", "expected line", "Point"))
def _(tmp_path):
    build_network(roads([Point(500000, 3800000)]))


@case("one-node-network-zero-length-road", error=sp.InvalidGeometryError, names=("roads", "r0", "r1"))
def _(tmp_path):
    # a line's own vertices never merge (a 10 m road is a road): only lines that are single points have no segment
    build_network(roads([LineString([(500000, 3800000), (500000, 3800000)]),
                         LineString([(500010, 3800000), (500010, 3800000), (500010, 3800000)])]))


@case("nan-coordinates-in-a-road", error=sp.InvalidGeometryError, names=("roads", "r1", "NaN"))
def _(tmp_path):
    build_network(roads([LINE, LineString([(510000, 3800000), (np.nan, 3800000)])]))


@case("zero-length-and-duplicate-roads-reported")
def _(tmp_path):
    net = build_network(roads([LINE, LineString([(500000, 3800000), (500000, 3800000)]), LINE]))
    assert net.report.zero_length_lines == ["r1"]
    assert net.report.duplicate_edges == 1 and net.report.duplicate_lines == ["r0", "r2"]
    assert any("r1" in line for line in net.report.lines())


@case("unreachable-origins-are-flagged-not-inf")
def _(tmp_path):
    a = LineString([(500000, 3800000), (510000, 3800000), (520000, 3800000)])
    b = LineString([(600000, 3900000), (610000, 3900000)])  # an island
    net = build_network(roads([a, b]))
    places = gpd.GeoDataFrame({"id": ["A", "B", "C"]}, geometry=[Point(500000, 3800100), Point(520000, 3800100),
                                                                 Point(610000, 3900100)], crs="EPSG:4547")
    od = od_matrix(net, places, id_col="id")
    assert np.isfinite(od["minutes"].dropna()).all()
    bad = od[od["unreachable"]]
    assert set(zip(bad["origin_id"], bad["destination_id"])) == {("A", "C"), ("B", "C"), ("C", "A"), ("C", "B")}
    assert bad["minutes"].isna().all() and bad["km"].isna().all()
    assert not od.loc[~od["unreachable"], "minutes"].isna().any()
    flags = unreachable_flags(net, net.attach(places)["node"])
    assert list(flags) == [False, False, True]
    hub = places.iloc[[0]].assign(hub_type="airport")
    times = nearest_hub_times(net, places, hub, id_col="id")
    assert list(times["unreachable"]) == [False, False, True]
    assert times["min_to_airport"].isna().tolist() == [False, False, True]


# 8. config errors --------------------------------------------------------------------


@case("config-unknown-key", error=sp.ConfigError, names=("bad.toml", "network.snap_tolerance", "unknown key"))
def _(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[network]\nsnap_tolerance = 50\n", encoding="utf-8")
    load_config(path)


@case("config-wrong-type", error=sp.ConfigError, names=("bad.toml", "network.snap_tolerance_m", "a number"))
def _(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[network]\nsnap_tolerance_m = "fifty"\n', encoding="utf-8")
    load_config(path)


@case("config-not-toml", error=sp.ConfigError, names=("bad.toml", "not valid TOML"))
def _(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[network\nsnap_tolerance_m = 50\n", encoding="utf-8")
    load_config(path)


@case("config-unknown-layer", error=sp.ConfigError, names=("layers.railways", "unknown layer"))
def _(tmp_path):
    config_from_dict({"layers": {"railways": "rail.gpkg"}})


@case("config-layer-crs-conflicts-with-file", error=sp.UnexpectedCRSError, names=("p.gpkg", "EPSG:4547"))
def _(tmp_path):
    parks().to_file(tmp_path / "p.gpkg")
    read_layer(tmp_path / "p.gpkg", kind="parks", crs="EPSG:4547")


# attributes, ids, study area -----------------------------------------------------------


@case("duplicate-park-ids", error=sp.DuplicateIdError, names=("parks.csv", "park_id", "P1"))
def _(tmp_path):
    path = write_csv(tmp_path, "parks.csv", "park_id,name_zh,level,sectors,lon,lat\nP1,甲园,national,auto,113.6,34.7\n"
                                            "P1,乙园,national,food,113.7,34.8\n")
    gdf = read_layer(path, kind="parks")
    validate_layer(gdf.set_geometry(gdf.buffer(0.005)), "parks", name="parks.csv")


@case("duplicate-park-names-are-a-warning")
def _(tmp_path):
    gdf = parks(names=("高新区", "惠济测试园区", "高新区"))
    gdf.to_file(tmp_path / "parks.gpkg")
    problems = validate_inputs(paths=[tmp_path / "parks.gpkg"])
    dup = [p for p in problems if "name_zh" in p.message]
    assert len(dup) == 1 and dup[0].severity == "warning" and dup[0].ids == ["T1", "T3"] and "高新区" in dup[0].message
    assert not [p for p in problems if p.severity == "error"]


@case("park-outside-every-county", error=sp.OutsideStudyAreaError, names=("parks.gpkg", "T3"))
def _(tmp_path):
    gdf = parks()
    gdf.loc[2, "geometry"] = Polygon([(117.5, 34.5), (117.55, 34.5), (117.55, 34.55), (117.5, 34.55)])  # Jiangsu
    gdf.to_file(tmp_path / "parks.gpkg")
    counties = shapely.union_all(_builtin("counties").geometry.values)
    validate_layer(read_layer(tmp_path / "parks.gpkg", kind="parks"), "parks", name="parks.gpkg",
                   study_area=counties)


@case("hub-in-the-sea", warns=("hubs.csv", "H9", "50 km"))
def _(tmp_path):
    path = write_csv(tmp_path, "hubs.csv", "hub_id,name_zh,hub_type,lon,lat\nH1,郑州,airport,113.65,34.76\n"
                                           "H9,东海,river_port,122.5,30.0\n")
    read_and_validate(path, "hubs")


@case("negative-park-area", error=sp.InvalidValueError, names=("parks.gpkg", "area_km2", "T2"))
def _(tmp_path):
    gdf = parks()
    gdf.loc[1, "area_km2"] = -6.1
    gdf.to_file(tmp_path / "parks.gpkg")
    read_and_validate(tmp_path / "parks.gpkg", "parks")


@case("text-park-area", error=sp.InvalidValueError, names=("parks.csv", "area_km2", "P2", "not a number"))
def _(tmp_path):
    path = write_csv(tmp_path, "parks.csv", "park_id,name_zh,level,sectors,area_km2,lon,lat\n"
                                            "P1,甲园,national,auto,3.5,113.6,34.7\nP2,乙园,national,food,很大,113.7,34.8\n")
    gdf = read_layer(path, kind="parks")
    validate_layer(gdf.set_geometry(gdf.buffer(0.005)), "parks", name="parks.csv")


@case("nan-industry-shares", error=sp.DataFileError, names=("industry.csv", "food", "number"))
def _(tmp_path):
    path = write_csv(tmp_path, "industry.csv", "adcode,auto,food\n410102,12.5,3\n410103,4.0,\n")
    industry_table_from_csv(path)


@case("missing-column-names-file-and-column", error=sp.MissingColumnError, names=("p.gpkg", "level"))
def _(tmp_path):
    parks().drop(columns=["level"]).to_file(tmp_path / "p.gpkg")
    read_layer(tmp_path / "p.gpkg", kind="parks")


@case("empty-ids", error=sp.InvalidValueError, names=("hubs.csv", "hub_id", "row 1"))
def _(tmp_path):
    path = write_csv(tmp_path, "hubs.csv", "hub_id,name_zh,hub_type,lon,lat\nH1,郑州,airport,113.65,34.76\n"
                                           ",洛阳,airport,112.45,34.62\n")
    read_and_validate(path, "hubs")


# --------------------------------------------------------------------------- the test


def test_corpus_is_large_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name, tmp_path):
    c = CASES[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if c.error is not None:
            with pytest.raises(sp.SpatialPlannerError) as info:
                c.run(tmp_path)
            assert type(info.value) is c.error, f"{type(info.value).__name__}: {info.value}"
            text = str(info.value)
            for s in c.names:
                assert s in text, f"{s!r} not in: {text}"
        else:
            c.run(tmp_path)
    messages = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    for s in c.warns:
        assert any(s in m for m in messages), f"no DataWarning with {s!r}: {messages}"
    if not c.warns and c.error is None:
        assert not messages, messages


# --------------------------------------------------------------------------- the CLI on the corpus


def _invoke(*args):
    return CliRunner().invoke(cli, ["validate", *map(str, args)], env={"COLUMNS": "400"})


def test_cli_validate_gauss_krueger_file_labelled_degrees(tmp_path):
    _gk_hubs(4526).to_file(tmp_path / "hubs.gpkg")
    res = _invoke(tmp_path / "hubs.gpkg")
    assert res.exit_code == 1, res.output
    assert "EPSG:4526" in res.output and "hubs.gpkg" in res.output


def test_cli_validate_hub_in_the_sea_and_negative_area(tmp_path):
    write_csv(tmp_path, "hubs.csv", "hub_id,name_zh,hub_type,lon,lat\nH1,郑州,airport,113.65,34.76\n"
                                    "H9,东海,river_port,122.5,30.0\n")
    gdf = parks()
    gdf.loc[1, "area_km2"] = -6.1
    gdf.to_file(tmp_path / "parks.gpkg")
    res = _invoke(tmp_path / "hubs.csv", tmp_path / "parks.gpkg")
    assert res.exit_code == 1, res.output
    # a network feature far beyond the area is a warning (a run leaves it out); a negative area an error
    assert "warning" in res.output and "H9" in res.output and "beyond the study area" in res.output
    assert "area_km2" in res.output and "T2" in res.output
    assert "1 个错误" in res.output


def test_cli_validate_warnings_only_exit_zero(tmp_path):
    path = write_csv(tmp_path, "hubs.csv", "hub_id,name_zh,hub_type,lon,lat\nH1,郑州,airport,34.76,113.65\n"
                                           "H2,郑州,airport,34.62,112.45\n")
    res = _invoke(path)
    assert res.exit_code == 0, res.output
    assert "swapped" in res.output and "name_zh" in res.output
