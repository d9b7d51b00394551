"""Loaders on small user-format fixtures written in the tests."""

import zipfile
from pathlib import Path

import pyogrio
import pytest

import spatial_planner as sp
from spatial_planner import DataWarning
from spatial_planner.io import atomic_output, builtin_dir, detect_dbf_encoding, read_layer


def test_gpkg_round_trip(tmp_path, parks_gdf):
    path = tmp_path / "parks.gpkg"
    parks_gdf.to_file(path, layer="parks")
    got = read_layer(path, kind="parks")
    assert list(got["name_zh"]) == list(parks_gdf["name_zh"])
    assert got.crs.to_epsg() == 4490
    assert (got["park_type"] == "").all()  # schema default filled in


def test_gpkg_with_several_layers_needs_a_layer_name(tmp_path, parks_gdf):
    path = tmp_path / "two.gpkg"
    parks_gdf.to_file(path, layer="a")
    parks_gdf.to_file(path, layer="b")
    with pytest.raises(sp.DataFileError, match="2 layers"):
        read_layer(path)
    assert len(read_layer(path, layer="b")) == 3


def test_shapefile_utf8_with_cpg(tmp_path, parks_gdf):
    path = tmp_path / "parks.shp"
    parks_gdf.to_file(path, encoding="UTF-8")
    assert path.with_suffix(".cpg").exists()
    got = read_layer(path, kind="parks")
    assert got.loc[0, "name_zh"] == "郑州测试经开区"


def test_gbk_shapefile_without_cpg_is_detected_with_a_warning(tmp_path, parks_gdf):
    path = tmp_path / "gbk.shp"
    pyogrio.write_dataframe(parks_gdf, path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert detect_dbf_encoding(path)[0] == "GB18030"
    with pytest.warns(DataWarning, match="GB18030"):
        got = read_layer(path, kind="parks")
    assert list(got["name_zh"]) == ["郑州测试经开区", "惠济测试园区", "航空港测试园"]


def test_zipped_shapefile(tmp_path, parks_gdf):
    shp = tmp_path / "z" / "parks.shp"
    shp.parent.mkdir()
    parks_gdf.to_file(shp, encoding="UTF-8")
    zpath = tmp_path / "parks.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in shp.parent.iterdir():
            zf.write(f, f.name)
    assert list(read_layer(zpath)["name_zh"]) == list(parks_gdf["name_zh"])


def test_zipped_shapefile_without_shx_names_the_missing_part(tmp_path, parks_gdf):
    shp = tmp_path / "z" / "parks.shp"
    shp.parent.mkdir()
    parks_gdf.to_file(shp, encoding="UTF-8")
    zpath = tmp_path / "broken.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in shp.parent.iterdir():
            if f.suffix != ".shx":
                zf.write(f, f.name)
    with pytest.raises(sp.DataFileError, match=r"\.shx"):
        read_layer(zpath)


def test_geojson(tmp_path, parks_gdf):
    path = tmp_path / "parks.geojson"
    parks_gdf.to_file(path, driver="GeoJSON")
    assert len(read_layer(path, kind="parks")) == 3


def test_csv_with_chinese_lonlat_headers_and_column_mapping(tmp_path):
    path = tmp_path / "hubs.csv"
    path.write_text("编号,名称,类型,经度,纬度\nH1,郑州圃田,china_europe_train,113.78,34.78\n", encoding="utf-8")
    got = read_layer(path, kind="hubs", columns={"编号": "hub_id", "名称": "name_zh", "类型": "hub_type"})
    assert got.loc[0, "name_zh"] == "郑州圃田"
    assert got.geometry.iloc[0].x == pytest.approx(113.78)
    assert got.crs.to_epsg() == 4490


def test_csv_in_gbk_is_read_and_said(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("id,名称,lon,lat\n1,新乡,113.9,35.3\n".encode("gbk"))
    with pytest.warns(DataWarning, match="GB18030"):
        got = read_layer(path)
    assert got.loc[0, "名称"] == "新乡"


def test_csv_wkt_without_crs_is_an_error(tmp_path):
    path = tmp_path / "wkt.csv"
    path.write_text('id,wkt\n1,"POINT (113.6 34.7)"\n', encoding="utf-8")
    with pytest.raises(sp.NoCRSError, match="wkt.csv"):
        read_layer(path)
    assert read_layer(path, crs="EPSG:4490").crs.to_epsg() == 4490


def test_csv_without_coordinates_names_the_columns(tmp_path):
    path = tmp_path / "nocoords.csv"
    path.write_text("id,名称\n1,新乡\n", encoding="utf-8")
    with pytest.raises(sp.MissingColumnError, match="名称"):
        read_layer(path)


def test_csv_bad_coordinate_names_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,lon,lat\n1,113.9,35.3\n2,abc,35.1\n", encoding="utf-8")
    with pytest.raises(sp.InvalidGeometryError, match="3"):
        read_layer(path)


def test_layer_without_crs_is_an_error_not_a_guess(tmp_path, parks_gdf):
    path = tmp_path / "nocrs.shp"
    parks_gdf.set_crs(None, allow_override=True).to_file(path, encoding="UTF-8")
    with pytest.raises(sp.NoCRSError, match="nocrs.shp"):
        read_layer(path)


def test_declared_crs_is_never_overridden(tmp_path, parks_gdf):
    path = tmp_path / "p.gpkg"
    parks_gdf.to_file(path)
    with pytest.raises(sp.UnexpectedCRSError):
        read_layer(path, crs="EPSG:4547")


def test_projected_input_is_brought_to_cgcs2000(tmp_path, parks_gdf):
    path = tmp_path / "gk.gpkg"
    parks_gdf.to_crs(4547).to_file(path)
    got = read_layer(path)
    assert got.crs.to_epsg() == 4490
    assert got.geometry.iloc[0].bounds[0] == pytest.approx(113.70, abs=1e-7)


def test_missing_column_names_file_and_column(tmp_path, parks_gdf):
    path = tmp_path / "p.gpkg"
    parks_gdf.drop(columns=["level"]).to_file(path)
    with pytest.raises(sp.MissingColumnError, match=r"p\.gpkg.*level"):
        read_layer(path, kind="parks")


@pytest.mark.parametrize("content,suffix,err", [
    (b"", ".gpkg", "empty"),
    (b"SQLite format 3\x00" + b"\x00" * 40, ".gpkg", "cannot read"),
    (b"hello", ".xyz", "unsupported"),
])
def test_unreadable_files(tmp_path, content, suffix, err):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    with pytest.raises(sp.DataFileError, match=err):
        read_layer(path)


def test_missing_file(tmp_path):
    with pytest.raises(sp.DataFileError, match="not found"):
        read_layer(tmp_path / "nope.gpkg")


def test_atomic_output_keeps_previous_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(target, overwrite=True) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with pytest.raises(sp.OutputExistsError):
        with atomic_output(target):
            pass


def test_builtin_data_ships_inside_the_package():
    d = builtin_dir()
    assert (d / "counties.geojson").is_file()
    assert "spatial_planner" in str(Path(sp.__file__).parent) or d.is_dir()


def test_builtin_layer_unknown_name():
    with pytest.raises(sp.DataFileError, match="no built-in layer"):
        sp.read_builtin("railways")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_ogr_failure_keeps_the_gdal_message_and_its_cause(tmp_path):
    path = tmp_path / "cut.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Po',
                    encoding="utf-8")
    with pytest.raises(sp.DataFileError) as info:
        read_layer(path)
    cause = info.value.__cause__
    assert cause is not None and type(cause).__module__.startswith("pyogrio")
    assert _flat(str(cause)) in str(info.value) and type(cause).__name__ in str(info.value)
    assert "cut.geojson" in str(info.value) and "Fix:" in str(info.value)


@pytest.mark.parametrize("content,name,cause_type", [
    (b"PK\x03\x04 not really a zip", "bad.zip", "BadZipFile"),
    (b'id,lon,lat\n1,113.6,34.7\n2,"113.7,34.8\n3,1,2,3,4\n', "bad.csv", "ParserError"),
])
def test_other_read_failures_keep_their_cause(tmp_path, content, name, cause_type):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(sp.DataFileError) as info:
        read_layer(path)
    assert type(info.value.__cause__).__name__ == cause_type
    assert _flat(str(info.value.__cause__)) in str(info.value)


def test_cli_read_failure_is_one_line_and_debug_shows_the_cause(tmp_path):
    import traceback

    from click.testing import CliRunner

    from spatial_planner.cli import cli

    bad = tmp_path / "cut.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[layers]\nparks = "{bad.as_posix()}"\n', encoding="utf-8")
    args = ["run", "--config", str(cfg), "--out", str(tmp_path / "out")]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "DataFileError" in res.output and "cut.geojson" in res.output and "GeoJSON" in res.output
    debug = CliRunner().invoke(cli, ["--debug", *args])
    assert isinstance(debug.exception, sp.DataFileError)
    shown = "".join(traceback.format_exception(debug.exception))
    assert "direct cause of the following exception" in shown and "pyogrio" in shown
