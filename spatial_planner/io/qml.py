"""QGIS style files (QML) beside data files: where QGIS looks for them, and in the file's own field names.

QGIS applies ``<name>.qml`` as the default style of a file-based layer
``<name>.<ext>`` (a shapefile, a GeoTIFF) when it opens it. A shapefile keeps
at most 10 characters of a field name (:func:`spatial_planner.io.write_shapefiles`
shortens longer ones), so a style written for the full names must name the
shortened fields instead: :func:`rename_qml_fields` does that.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

from .._errors import ConfigError, cause_text

__all__ = ["QML_DOCTYPE", "qml_sidecar", "rename_qml_fields"]

#: The document type line QGIS writes at the top of a QML file.
QML_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"

#: A single-quoted string literal (left alone) or a double-quoted field name (group 1) of a QGIS expression.
_EXPRESSION_TOKEN = re.compile(r"'(?:[^']|'')*'|\"((?:[^\"]|\"\")*)\"")


def qml_sidecar(path: str | os.PathLike) -> Path:
    """The style file QGIS loads with a data file: ``roads.shp`` → ``roads.qml``."""
    return Path(path).with_suffix(".qml")


def _rename_expression(expression: str, names: Mapping[str, str]) -> str:
    """A QGIS expression with each double-quoted field name in ``names`` renamed; string literals untouched."""

    def swap(m: re.Match) -> str:
        field = m.group(1)
        if field is None:
            return m.group(0)
        new = names.get(field.replace('""', '"'))
        return m.group(0) if new is None else '"{}"'.format(new.replace('"', '""'))

    return _EXPRESSION_TOKEN.sub(swap, expression)


def _rename_field_or_expression(value: str, names: Mapping[str, str]) -> str:
    """A field reference that is either a bare field name or an expression."""
    return names[value] if value in names else _rename_expression(value, names)


def rename_qml_fields(qml: str, names: Mapping[str, str]) -> str:
    """A QML document whose field references follow a renaming (full name → name in the file).

    The references renamed are the ones a vector style holds: the renderer's
    classification field (``<renderer-v2 attr>``), the label field
    (``<text-style fieldName>``), rule filters and every data-defined
    property's expression (``"field"`` names; string literals are left as they
    are).

    Parameters
    ----------
    qml
        The QML text.
    names
        Field name → the name to use instead; names mapped to themselves and
        fields not listed stay as they are.

    Returns
    -------
    str
        The QML text; unchanged when nothing is renamed.

    Raises
    ------
    ConfigError
        The text is not well-formed XML.
    """
    names = {k: v for k, v in names.items() if k != v}
    if not names:
        return qml
    try:
        root = ET.fromstring(qml)
    except ET.ParseError as exc:
        raise ConfigError(f"the QGIS style is not well-formed XML ({cause_text(exc)})", key="styles",
                          source="QML", fix="pass QML as written by QGIS or spatial_planner.outputs.qgis.") from exc
    for el in root.iter():
        if el.tag == "renderer-v2" and el.get("attr"):
            el.set("attr", _rename_field_or_expression(el.get("attr"), names))
        elif el.tag == "text-style" and el.get("fieldName"):
            el.set("fieldName", _rename_field_or_expression(el.get("fieldName"), names))
        elif el.tag == "rule" and el.get("filter"):
            el.set("filter", _rename_expression(el.get("filter"), names))
        elif el.tag == "Option" and el.get("name") in ("expression", "field") and el.get("value"):
            el.set("value", _rename_field_or_expression(el.get("value"), names))
    return f"{QML_DOCTYPE}\n{ET.tostring(root, encoding='unicode')}\n"
