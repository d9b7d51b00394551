"""The whole 点-带-网 plan on the built-in Henan data."""

import numpy as np
import pandas as pd
import pytest
import shapely

from spatial_planner.pipeline import build_plan
from spatial_planner.config import Config
from spatial_planner.pipeline import accessibility_step


@pytest.fixture(scope="module")
def plan_and_access(henan):
    cfg = Config()
    access = accessibility_step(henan, cfg)
    return build_plan(henan, cfg, access=access), access, cfg


def test_every_belt_member_lies_within_the_corridor_of_its_axis(plan_and_access, henan):
    plan, access, cfg = plan_and_access
    assert len(plan.belts) >= 5
    parks = henan["parks"].set_index("park_id").to_crs(access.network.crs)
    belts = plan.belts.to_crs(access.network.crs)
    for b in belts.itertuples():
        assert b.n_parks >= cfg.belts.min_parks and b.n_counties >= cfg.belts.min_counties
        for pid in b.members.split(";"):
            # the belt line is the axis segment between its first and last member
            assert parks.geometry[pid].distance(b.geometry) <= cfg.belts.corridor_km * 1000 + 1.0, (b.name_zh, pid)
        assert b.name_zh.endswith("产业带")
    # no park is claimed twice for the same sector
    claims = [(m, s) for ms, s in zip(plan.belts["members"], plan.belts["sector"]) for m in ms.split(";")]
    assert len(claims) == len(set(claims))
    assert (plan.belts["score"].diff().dropna() <= 1e-9).all()
    assert shapely.is_valid(plan.belt_corridors.geometry.values).all()


def test_nodes_tiers_and_rules(plan_and_access, henan):
    plan, _, _ = plan_and_access
    nodes = plan.nodes
    assert len(nodes) == 157 and set(nodes["tier"]) <= {"国家级", "省级", "市级", "县级"}
    assert nodes["score"].between(0, 1).all() and (nodes["score"].diff().dropna() <= 1e-12).all()
    nat = set(henan["parks"].loc[henan["parks"]["level"] == "national", "county_adcode"])
    assert nodes.loc[nodes["adcode"].isin(nat), "tier"].isin(["国家级", "省级"]).all()
    pref = set(henan["seats"].loc[henan["seats"]["is_prefecture_seat"], "adcode"])
    assert nodes.loc[nodes["adcode"].isin(pref), "tier"].isin(["国家级", "省级", "市级"]).all()
    w = plan.report["tiers"]["weights"]
    parts = sum(nodes[f"s_{k}"] * v for k, v in w.items())
    assert np.allclose(parts, nodes["score"], atol=1e-3)  # every score traces to its parts
    assert (nodes["tier"] == "国家级").sum() >= 1


def test_linkages_priorities_clusters_and_diagnosis(plan_and_access):
    plan, _, cfg = plan_and_access
    assert len(plan.linkages) == cfg.linkages.n_lines
    assert (plan.linkages["linkage"].diff().dropna() <= 1e-12).all()
    pr = plan.priorities
    assert len(pr) >= 10 and list(pr["rank"]) == list(range(1, len(pr) + 1))
    assert (pr["crow_km"] >= cfg.linkages.min_crow_km).all() and (pr["deficit"] >= cfg.linkages.min_deficit).all()
    expect = pr["linkage"] * pr["deficit"] * (1 - pr["utilisation"]) * pr["urgency"]
    assert np.allclose(expect, pr["priority"], rtol=1e-3)
    assert pr["reason_zh"].str.contains("建议").all()
    assert (plan.clusters["n_counties"] >= 2).all() and len(plan.clusters) >= 3
    assert plan.report["provenance"] == "proxy" and (plan.nodes["provenance"] == "proxy").all()
    conc = plan.report["concentration"]["advanced_mass"]
    assert conc["theil_between_prefectures"] + conc["theil_within_prefectures"] == pytest.approx(conc["theil"], abs=1e-3)
    assert 0 < conc["top3_prefecture_share"] <= 1
    assert set(plan.isomorphism.columns) >= {"a", "b", "similarity", "relation"}
    assert (plan.isomorphism["similarity"] >= cfg.indices.similarity_threshold).all()


def test_tables_deterministic_across_two_runs(plan_and_access, henan):
    plan, _, cfg = plan_and_access
    again = build_plan(henan, cfg)
    for name in ("nodes", "belts", "priorities", "clusters", "linkages", "isomorphism"):
        a = pd.DataFrame(getattr(plan, name).drop(columns="geometry"))
        b = pd.DataFrame(getattr(again, name).drop(columns="geometry"))
        pd.testing.assert_frame_equal(a, b, check_exact=True)
