import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, Polygon

import spatial_planner as sp
from spatial_planner import DataWarning
from spatial_planner.validate import validate_layer, validate_layers

HENAN_BOX = shapely.box(110.3, 31.3, 116.7, 36.4)


def test_valid_layer_passes_unchanged(parks_gdf):
    out = validate_layer(parks_gdf, "parks", study_area=HENAN_BOX)
    assert out.geometry.equals(parks_gdf.geometry)


def test_empty_layer(parks_gdf):
    with pytest.raises(sp.EmptyLayerError, match=r"\[parks\]"):
        validate_layer(parks_gdf.iloc[0:0], "parks")


def test_missing_column(parks_gdf):
    with pytest.raises(sp.MissingColumnError, match="sectors"):
        validate_layer(parks_gdf.drop(columns=["sectors"]), "parks")


def test_no_crs(parks_gdf):
    with pytest.raises(sp.NoCRSError):
        validate_layer(parks_gdf.set_crs(None, allow_override=True), "parks")


def test_duplicate_ids_are_named(parks_gdf):
    gdf = parks_gdf.copy()
    gdf.loc[2, "park_id"] = "T1"
    with pytest.raises(sp.DuplicateIdError, match="T1"):
        validate_layer(gdf, "parks")


def test_outside_study_area_names_the_feature(parks_gdf):
    gdf = parks_gdf.copy()
    gdf.loc[1, "geometry"] = Polygon([(120, 30), (120.1, 30), (120.1, 30.1)])
    with pytest.raises(sp.OutsideStudyAreaError, match="T2"):
        validate_layer(gdf, "parks", study_area=HENAN_BOX)


def test_invalid_polygon_is_repaired_with_a_counted_warning(parks_gdf):
    gdf = parks_gdf.copy()
    bowtie = Polygon([(113.7, 34.7), (113.72, 34.72), (113.72, 34.7), (113.7, 34.72)])
    gdf.loc[0, "geometry"] = bowtie
    with pytest.warns(DataWarning, match=r"repaired 1 invalid geometry.*T1"):
        out = validate_layer(gdf, "parks")
    assert out.geometry.is_valid.all()
    assert out.geometry.iloc[0].area == pytest.approx(bowtie.buffer(0).area, rel=0.01) or out.geometry.iloc[0].area > 0
    assert out.geometry.iloc[0].geom_type in ("Polygon", "MultiPolygon")


def test_invalid_polygon_without_repair_is_an_error(parks_gdf):
    gdf = parks_gdf.copy()
    gdf.loc[0, "geometry"] = Polygon([(113.7, 34.7), (113.72, 34.72), (113.72, 34.7), (113.7, 34.72)])
    with pytest.raises(sp.InvalidGeometryError, match="T1"):
        validate_layer(gdf, "parks", repair=False)


def test_wrong_geometry_type(parks_gdf):
    gdf = parks_gdf.copy()
    gdf.loc[1, "geometry"] = Point(113.6, 34.8)
    with pytest.raises(sp.InvalidGeometryError, match=r"expected polygon.*T2"):
        validate_layer(gdf, "parks")


def test_missing_geometry(parks_gdf):
    gdf = parks_gdf.copy()
    gdf.loc[2, "geometry"] = None
    with pytest.raises(sp.InvalidGeometryError, match="T3"):
        validate_layer(gdf, "parks")


def test_collect_mode_gathers_every_problem(parks_gdf):
    gdf = parks_gdf.copy()
    gdf.loc[2, "park_id"] = "T1"
    gdf.loc[1, "geometry"] = None
    problems = []
    validate_layer(gdf, "parks", problems=problems)
    kinds = sorted(p.message.split(" ")[0] for p in problems)
    assert len(problems) == 2, kinds
    assert {p.severity for p in problems} == {"error"}


def test_validate_layers_uses_boundary_as_study_area(henan, parks_gdf):
    layers = {"boundary": henan["boundary"], "parks": parks_gdf}
    rep = validate_layers(layers, collect=True)
    assert rep.ok
    far = parks_gdf.copy()
    far.loc[0, "geometry"] = Polygon([(120, 30), (120.1, 30), (120.1, 30.1)])
    rep = validate_layers({"boundary": henan["boundary"], "parks": far}, collect=True)
    assert not rep.ok and rep.errors[0].ids == ["T1"]


def test_repeated_place_names_warn_but_repeated_street_names_do_not(tmp_path, parks_gdf):
    from spatial_planner.validate import validate_inputs

    twins = parks_gdf.assign(name_zh=["同名园区", "同名园区", "另一园区"])
    path = tmp_path / "parks.gpkg"
    twins.to_file(path, layer="parks", driver="GPKG")
    problems = validate_inputs(paths=[path], kind="parks")
    named = [p for p in problems if "重名" in p.message]
    assert len(named) == 1 and named[0].severity == "warning" and set(named[0].ids) == {"T1", "T2"}
    road = gpd.GeoDataFrame({"road_id": ["a", "b"], "name_zh": ["人民路", "人民路"], "road_class": "primary"},
                            geometry=[shapely.LineString([(113.6, 34.7), (113.61, 34.7)]),
                                      shapely.LineString([(113.61, 34.7), (113.62, 34.7)])], crs=4490)
    rpath = tmp_path / "roads.gpkg"
    road.to_file(rpath, layer="roads", driver="GPKG")
    assert not [p for p in validate_inputs(paths=[rpath], kind="roads") if "重名" in p.message]


def test_two_files_of_one_kind_are_each_reported(tmp_path, parks_gdf):
    """Two park files: the findings of both, each under its own file (the first is not dropped)."""
    from spatial_planner.validate import validate_inputs

    a = tmp_path / "a.gpkg"
    bowtie = Polygon([(113.7, 34.7), (113.72, 34.72), (113.72, 34.7), (113.7, 34.72)])
    parks_gdf.assign(geometry=[bowtie, *parks_gdf.geometry.iloc[1:]]).to_file(a, layer="parks", driver="GPKG")
    b = tmp_path / "b.shp"
    parks_gdf.assign(park_id=["T1", "T2", "T1"]).to_file(b)
    problems = validate_inputs(paths=[a, b], kind="parks")
    repaired = [p for p in problems if p.severity == "repaired"]
    assert [(p.layer, p.ids) for p in repaired] == [(str(a), ["T1"])]
    dups = [p for p in problems if "duplicate ids" in p.message]
    assert [(p.layer, p.ids) for p in dups] == [(str(b), ["T1"])]
    assert {p.layer for p in problems} == {str(a), str(b)}
