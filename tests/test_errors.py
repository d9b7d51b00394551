import pytest

import spatial_planner as sp
from spatial_planner._errors import format_ids

BUILTINS = {
    sp.DataFileError: OSError,
    sp.MissingColumnError: KeyError,
    sp.NoCRSError: ValueError,
    sp.UnexpectedCRSError: ValueError,
    sp.InvalidGeometryError: ValueError,
    sp.InvalidValueError: ValueError,
    sp.EmptyLayerError: ValueError,
    sp.DuplicateIdError: ValueError,
    sp.OutsideStudyAreaError: ValueError,
    sp.DisconnectedNetworkError: ValueError,
    sp.EncodingError: UnicodeError,
    sp.ConfigError: ValueError,
    sp.OutputExistsError: FileExistsError,
    sp.OutputLockedError: BlockingIOError,
}


@pytest.mark.parametrize("cls,builtin", BUILTINS.items())
def test_every_error_has_one_root_and_a_builtin(cls, builtin):
    assert issubclass(cls, sp.SpatialPlannerError)
    assert issubclass(cls, builtin)


def test_message_names_layer_ids_and_fix():
    err = sp.DuplicateIdError(["P1", "P2"], layer="parks", column="park_id")
    text = str(err)
    assert "[parks]" in text and "P1, P2" in text and "park_id" in text and "Fix:" in text


def test_missing_column_is_readable_despite_keyerror():
    err = sp.MissingColumnError(["name_zh"], layer="parks.shp", available=["id"])
    assert str(err).startswith("[parks.shp]")  # KeyError would otherwise quote it


def test_format_ids_counts_the_rest():
    assert format_ids(range(8), limit=3) == "0, 1, 2 … (8 in all)"
    assert format_ids(["a"]) == "a"
