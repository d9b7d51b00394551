"""Layer schemas: the columns, id and geometry type each input layer must have.

Each schema names the id column, the required and optional columns (with
defaults), the accepted geometry types and the zh/en labels used in maps,
tables and the CLI. Loaders map user columns onto these names; validation
checks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._errors import ConfigError

__all__ = ["LayerSchema", "SCHEMAS", "LAYER_ORDER", "schema_for"]


@dataclass(frozen=True)
class LayerSchema:
    """What one input layer must look like.

    Attributes
    ----------
    name
        Layer name used in configs, GeoPackages and messages.
    id_column
        Column holding unique feature ids.
    required
        Columns that must be present.
    optional
        Columns filled with a default when absent.
    geometry
        ``"polygon"``, ``"point"`` or ``"line"``.
    label_zh, label_en
        Human labels.
    """

    name: str
    id_column: str
    required: tuple[str, ...]
    geometry: str
    label_zh: str
    label_en: str
    optional: dict[str, object] = field(default_factory=dict)

    @property
    def geom_types(self) -> tuple[str, ...]:
        return {
            "polygon": ("Polygon", "MultiPolygon"),
            "point": ("Point",),
            "line": ("LineString", "MultiLineString"),
        }[self.geometry]


SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in [
        LayerSchema("boundary", "adcode", ("adcode", "name_zh"), "polygon", "研究区边界", "Study-area boundary",
                    {"name_en": ""}),
        LayerSchema("prefectures", "adcode", ("adcode", "name_zh"), "polygon", "地级行政区", "Prefectures",
                    {"name_en": ""}),
        LayerSchema("counties", "adcode", ("adcode", "name_zh", "prefecture_adcode"), "polygon", "县级行政区",
                    "Counties", {"name_en": "", "prefecture_zh": "", "prefecture_en": ""}),
        LayerSchema("seats", "adcode", ("adcode", "name_zh"), "point", "县级行政中心", "County seats",
                    {"name_en": "", "is_prefecture_seat": False, "prefecture_adcode": ""}),
        LayerSchema("parks", "park_id", ("park_id", "name_zh", "level", "sectors"), "polygon", "产业园区",
                    "Industrial parks",
                    {"name_en": "", "park_type": "", "county_adcode": "", "area_km2": None, "lead_sector": ""}),
        LayerSchema("rail_lines", "line_id", ("line_id", "name_zh", "rail_class"), "line", "铁路线", "Rail lines",
                    {"name_en": "", "design_speed_kmh": None, "opened": None, "detour_factor": 1.0}),
        LayerSchema("stations", "station_id", ("station_id", "name_zh", "station_type"), "point", "铁路车站",
                    "Rail stations", {"name_en": "", "lines": ""}),
        LayerSchema("roads", "road_id", ("road_id", "name_zh", "road_class"), "line", "公路", "Roads",
                    {"name_en": "", "design_speed_kmh": None, "detour_factor": 1.0}),
        LayerSchema("hubs", "hub_id", ("hub_id", "name_zh", "hub_type"), "point", "交通枢纽", "Transport hubs",
                    {"name_en": "", "iata": "", "level": ""}),
    ]
}

#: Order in which layers are loaded, validated and written.
LAYER_ORDER: tuple[str, ...] = (
    "boundary", "prefectures", "counties", "seats", "parks", "rail_lines", "stations", "roads", "hubs",
)


def schema_for(kind: str) -> LayerSchema:
    """Return the schema of layer ``kind`` or raise a ``ConfigError`` naming the known kinds."""
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise ConfigError(
            f"unknown layer kind '{kind}'", key=f"layers.{kind}", fix=f"use one of: {', '.join(SCHEMAS)}."
        ) from None
