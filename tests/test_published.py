"""The plan against the province's published clusters: a check, with known answers on small tables."""

from __future__ import annotations

import pandas as pd

from spatial_planner.analysis.published import published_cluster_check, recall
from spatial_planner.io import read_published_clusters

COUNTIES = pd.DataFrame({"adcode": ["1", "2", "3", "4"], "name_zh": ["甲县", "乙县", "丙县", "丁县"],
                         "prefecture_zh": ["A市", "A市", "B市", "C市"]})
PARKS = pd.DataFrame({"park_id": ["P1", "P2", "P3"], "name_zh": ["甲园", "乙园", "丙园"],
                      "county_adcode": ["1", "3", "4"], "sectors": ["auto;equipment", "biomedicine", "food"]})
NODES = pd.DataFrame({"adcode": ["1", "2", "3", "4"], "name_zh": ["甲县", "乙县", "丙县", "丁县"],
                      "tier": ["国家级", "市级", "县级", "省级"]})
LQ = pd.DataFrame({"adcode": ["1", "2", "3", "4"], "auto": [2.0, 0, 0, 0], "equipment": [0.5, 3.0, 0, 0],
                   "biomedicine": [0, 0, 4.0, 0], "food": [0, 0, 0, 1.5]})
PUBLISHED = pd.DataFrame({"order": ["1", "2", "3", "4", "5"],
                          "cluster_name": ["A市汽车", "A市装备", "B市生物医药", "甲园生物医药", "C市电子"],
                          "prefecture_zh": ["A市", "A市", "B市", "A市", "C市"],
                          "place": ["", "", "", "甲园", ""],
                          "sectors": ["auto", "equipment", "biomedicine", "biomedicine", "electronics"]})


def _check(belts=None, clusters=None):
    empty = pd.DataFrame(columns=["name_zh", "sector", "counties"])
    return published_cluster_check(PUBLISHED, counties=COUNTIES, parks=PARKS, nodes=NODES, location_quotients=LQ,
                                   clusters=clusters if clusters is not None else empty,
                                   belts=belts if belts is not None else empty).set_index("cluster_name")


def test_poles_count_only_from_the_provincial_tier_with_a_specialisation():
    c = _check()
    assert c.loc["A市汽车", "covered"] and c.loc["A市汽车", "nodes"] == "甲县"  # 国家级, LQ 2
    assert not c.loc["A市装备", "covered"]  # 乙县 is specialised, but only 市级; 甲县 is 国家级 but LQ 0.5
    assert not c.loc["B市生物医药", "covered"]  # 丙县 specialised, 县级
    assert "parks of the sector" in c.loc["B市生物医药", "why_not"]
    assert "no park of the sector" in c.loc["C市电子", "why_not"]
    assert not c.loc["甲园生物医药", "covered"] and c.loc["甲园生物医药", "places"] == "甲县"  # the park's county
    assert recall(c) == 0.2


def test_belts_and_clusters_of_the_sector_in_the_place_cover():
    belts = pd.DataFrame({"name_zh": ["京广装备带"], "sector": ["food"], "other_sectors": ["equipment"],
                          "counties": ["2;3"]})
    clusters = pd.DataFrame({"name_zh": ["丙县生物医药集群"], "sector": ["biomedicine"], "counties": ["3;4"]})
    c = _check(belts=belts, clusters=clusters)
    assert c.loc["A市装备", "covered"] and c.loc["A市装备", "belts"] == "京广装备带"  # an other sector counts
    assert c.loc["B市生物医药", "covered"] and c.loc["B市生物医药", "clusters"] == "丙县生物医药集群"
    assert not c.loc["甲园生物医药", "covered"]  # the cluster is in B市 and C市, not at 甲园
    assert recall(c) == 0.6


def test_the_published_list_is_whole_and_uses_the_sector_vocabulary():
    from spatial_planner.io import read_sectors

    pub = read_published_clusters()
    assert len(pub) == 15 and pub["source"].str.contains("2022-03-30").all()
    codes = set(read_sectors()["code"])
    assert {s for v in pub["sectors"] for s in v.split(";")} <= codes
