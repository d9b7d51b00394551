"""The whole 点-带-网 plan on the built-in Henan data."""

import numpy as np
import pandas as pd
import pytest
import shapely

from spatial_planner.io import read_builtin_statistics
from spatial_planner.config import Config
from spatial_planner.pipeline import build_plan


@pytest.fixture(scope="module")
def plan_and_access(henan_plan):
    return henan_plan, henan_plan.access, Config()


def test_every_belt_member_lies_within_the_corridor_of_its_reference_line(plan_and_access, henan):
    plan, access, cfg = plan_and_access
    assert len(plan.belts) >= 5
    parks = henan["parks"].set_index("park_id").to_crs(access.network.crs)
    belts = plan.belts.to_crs(access.network.crs)
    corridors = plan.corridors.set_index("corridor_id").to_crs(access.network.crs)
    for b in belts.itertuples():
        line = corridors.geometry[b.corridor_id]
        for pid in b.members.split(";"):
            assert parks.geometry[pid].distance(line) <= cfg.belts.corridor_km * 1000 + 1.0, (b.name_zh, pid)
        # the belt is the reference line between its ends
        assert b.geometry.length / 1000 == pytest.approx(b.length_km, abs=0.05)
        assert b.name_zh.endswith(("产业带", "先进制造业走廊")) or "段）" in b.name_zh
        assert b.n_parks >= cfg.belts.min_parks and b.n_poles >= 2
        assert b.n_prefectures >= cfg.belts.min_prefectures or b.length_km >= cfg.belts.min_length_km
    assert (plan.belts["score"].diff().dropna() <= 1e-9).all() and plan.belts["name_zh"].is_unique
    assert shapely.is_valid(plan.belt_corridors.geometry.values).all()
    # every segment lies in its belt, between the belt's ends
    seg = plan.belt_segments.merge(plan.belts[["belt_id", "start_km", "end_km"]], on="belt_id", suffixes=("", "_b"))
    assert len(seg) and ((seg["start_km"] >= seg["start_km_b"] - 1e-6) & (seg["end_km"] <= seg["end_km_b"] + 1e-6)).all()


def test_belts_are_corridor_scale_and_never_share_a_geometry(plan_and_access, record_property):
    plan, access, cfg = plan_and_access
    b = plan.belts
    record_property("belt_lengths_km", sorted(b["length_km"].round(0).tolist()))
    record_property("belt_prefectures", b["n_prefectures"].value_counts().sort_index().to_dict())
    assert b["length_km"].median() >= 150.0 or (b["n_prefectures"] >= 3).all()
    assert ((b["n_prefectures"] >= 3) | (b["length_km"] >= 150.0)).all()
    assert b["length_km"].max() >= 400 and (b["n_prefectures"] >= 5).sum() >= 2  # the trunk corridors
    metric = b.to_crs(access.network.crs)
    for i in range(len(b)):
        for j in range(i + 1, len(b)):
            gi, gj = metric.geometry.iloc[i], metric.geometry.iloc[j]
            assert gi.hausdorff_distance(gj) > 5_000, (b["name_zh"].iloc[i], b["name_zh"].iloc[j])
            if b["corridor_id"].iloc[i] == b["corridor_id"].iloc[j]:
                inter = max(0.0, min(b["end_km"].iloc[i], b["end_km"].iloc[j])
                            - max(b["start_km"].iloc[i], b["start_km"].iloc[j]))
                union = (max(b["end_km"].iloc[i], b["end_km"].iloc[j])
                         - min(b["start_km"].iloc[i], b["start_km"].iloc[j]))
                assert inter / union < cfg.belts.merge_overlap


def test_the_jingguang_corridor_carries_its_three_lines(plan_and_access):
    plan, _, _ = plan_and_access
    corr = plan.corridors
    jg = corr[corr["members"].str.contains("hsr_jingguang")].iloc[0]
    assert {"hsr_jingguang", "conv_jingguang", "G4"} <= set(jg["members"].split(";"))
    assert jg["name_zh"].startswith("京广通道 (京广高铁·") and {"hsr", "conventional", "expressway"} <= set(
        jg["modes"].split(";"))
    lh = corr[corr["members"].str.contains("conv_longhai")].iloc[0]
    assert {"G30", "hsr_zhengxi", "hsr_zhengxu"} <= set(lh["members"].split(";"))
    assert not set(jg["members"].split(";")) & set(lh["members"].split(";"))  # 京广 and 陇海 stay two corridors
    # the 京广 corridor holds a multi-sector belt threading the poles of Zhengzhou and of cities north and south
    belts = plan.belts[plan.belts["corridor_id"] == jg["corridor_id"]]
    multi = belts[belts["kind"] == "multi"]
    assert len(multi) == 1 and multi.iloc[0]["name_zh"] == "京广先进制造业走廊"
    assert {"郑州市", "新乡市", "许昌市"} <= set(multi.iloc[0]["prefectures"].split("、"))
    assert int((plan.corridors["n_belts"]).sum()) == len(plan.belts)


def test_nodes_tiers_and_rules(plan_and_access, henan):
    plan, _, _ = plan_and_access
    nodes = plan.nodes
    assert len(nodes) == 157 and set(nodes["tier"]) <= {"国家级", "省级", "市级", "县级"}
    assert nodes["score"].between(0, 1).all() and (nodes["score"].diff().dropna() <= 1e-12).all()
    nat = set(henan["parks"].loc[henan["parks"]["level"] == "national", "county_adcode"])
    assert nodes.loc[nodes["adcode"].isin(nat), "tier"].isin(["国家级", "省级"]).all()
    pref = set(henan["seats"].loc[henan["seats"]["is_prefecture_seat"], "adcode"])
    assert nodes.loc[nodes["adcode"].isin(pref), "tier"].isin(["国家级", "省级", "市级"]).all()
    # every score traces to its raw parts: min–max each over the 157 seats, weighted by the configured weights
    weights = Config().nodes.weights
    total = sum(weights.values())
    raw = nodes[list(weights)].astype(float)
    expect = sum(w / total * (raw[k] - raw[k].min()) / (raw[k].max() - raw[k].min()) for k, w in weights.items())
    np.testing.assert_allclose(nodes["score"], expect, rtol=0, atol=1e-12)
    # the mass part is each county's secondary-industry value added from the built-in statistics
    stats = read_builtin_statistics().set_index("adcode")["secondary_100m_yuan"]
    mass = nodes.set_index("adcode")["mass"]
    np.testing.assert_allclose(mass, stats.reindex(mass.index), rtol=1e-12)
    assert mass.idxmax() == "410105"  # 金水区
    assert (nodes["tier"] == "国家级").sum() >= 1


def test_linkages_priorities_clusters_and_diagnosis(plan_and_access):
    plan, _, cfg = plan_and_access
    assert len(plan.linkages) == cfg.linkages.n_lines
    assert (plan.linkages["linkage"].diff().dropna() <= 1e-12).all()
    pr = plan.priorities
    assert len(pr) >= 10 and list(pr["rank"]) == list(range(1, len(pr) + 1))
    assert (pr["crow_km"] >= cfg.linkages.min_crow_km).all() and (pr["deficit"] >= cfg.linkages.min_deficit).all()
    assert (pr["priority"].diff().dropna() <= 1e-12).all()
    assert pr["reason_zh"].str.contains("建议").all()
    assert (plan.clusters["n_counties"] >= 2).all() and len(plan.clusters) >= 3
    assert plan.report["provenance"] == "statistics" and (plan.nodes["provenance"] == "statistics").all()
    assert plan.report["coverage"] == {"estimated": 126, "published": 19, "rescaled": 12}
    assert 0 < plan.report["concentration"]["advanced_mass"]["top3_prefecture_share"] <= 1
    assert set(plan.isomorphism.columns) >= {"a", "b", "similarity", "relation"}
    assert (plan.isomorphism["similarity"] >= cfg.indices.similarity_threshold).all()


def test_tables_deterministic_across_two_runs(plan_and_access, henan):
    plan, access, cfg = plan_and_access
    again = build_plan(henan, cfg, access=access)  # the analysis again on the same accessibility step
    for name in ("nodes", "belts", "priorities", "clusters", "linkages", "isomorphism"):
        a = pd.DataFrame(getattr(plan, name).drop(columns="geometry"))
        b = pd.DataFrame(getattr(again, name).drop(columns="geometry"))
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_top_priority_link_against_independent_computations(plan_and_access, henan):
    """The first proposed link, recomputed without the planner's code: networkx on the network's road edges,
    geodesic distance on the ellipsoid, the gravity formula on the county masses, the tiers' urgencies."""
    import networkx as nx
    from pyproj import Geod

    plan, access, cfg = plan_and_access
    top = plan.priorities.iloc[0]
    net = access.network
    seats = henan["seats"].set_index("adcode")
    a, b = seats.loc[top["a"]], seats.loc[top["b"]]
    # crow-fly km: the geodesic between the two seats (the planner measures in Gauss-Krüger metres)
    _, _, metres = Geod(ellps="GRS80").inv(a.geometry.x, a.geometry.y, b.geometry.x, b.geometry.y)
    assert top["crow_km"] == pytest.approx(metres / 1000.0, rel=3e-3)
    # network minutes: networkx Dijkstra over the edges of the linkage mode (road and rail with boarding), both
    # ways (boarding costs where a trip starts), averaged, plus the two access links
    e = net.edges[net.edge_mask(cfg.linkages.mode)]
    graph = nx.DiGraph()
    for u, v, w in zip(e["u"], e["v"], e["minutes"]):
        if not graph.has_edge(u, v) or graph[u][v]["w"] > w:
            graph.add_edge(int(u), int(v), w=float(w))
    att = net.attach(seats.loc[[top["a"], top["b"]]])
    na, nb = int(att["node"].iloc[0]), int(att["node"].iloc[1])
    minutes = (nx.dijkstra_path_length(graph, na, nb, weight="w") + nx.dijkstra_path_length(graph, nb, na, weight="w"))
    minutes = minutes / 2.0 + float(att["access_min"].sum())
    assert top["network_min"] == pytest.approx(minutes, abs=0.01)
    # gravity linkage M_a M_b / t^β from the county masses, and urgency from the two nodes' tiers
    mass = plan.nodes.set_index("adcode")["mass"]
    linkage = mass[top["a"]] * mass[top["b"]] / max(minutes, cfg.linkages.t_min) ** cfg.linkages.beta
    assert top["linkage"] == pytest.approx(linkage, rel=1e-3)
    tiers = plan.nodes.set_index("adcode")["tier"]
    assert top["urgency"] == pytest.approx((cfg.linkages.urgency[tiers[top["a"]]] + cfg.linkages.urgency[tiers[top["b"]]]) / 2)
    ideal = cfg.linkages.terminal_min + metres / 1000.0 / cfg.linkages.reference_speed_kmh * 60.0
    assert top["deficit"] == pytest.approx(1.0 - ideal / minutes, abs=2e-3)


def test_concentration_equals_pysal_theil(plan_and_access, henan):
    theil_pysal = pytest.importorskip("inequality.theil")
    plan, _, _ = plan_and_access
    ci = plan.county_indices
    ref = theil_pysal.TheilD(ci["advanced_mass"].to_numpy(float), ci["prefecture_zh"].to_numpy())
    conc = plan.report["concentration"]["advanced_mass"]
    assert conc["theil"] == pytest.approx(float(np.squeeze(ref.T)), abs=1e-4)  # the report rounds to 4 decimals
    assert conc["theil_between_prefectures"] == pytest.approx(float(np.squeeze(ref.bg)), abs=1e-4)
    assert conc["theil_within_prefectures"] == pytest.approx(float(np.squeeze(ref.wg)), abs=1e-4)


def test_plan_covers_most_published_clusters_and_explains_the_misses(plan_and_access):
    plan, _, _ = plan_and_access
    pub = plan.published
    assert len(pub) == 15 and plan.report["published"]["recall"] >= 0.7
    assert (pub.loc[~pub["covered"], "why_not"] != "").all() and (pub.loc[pub["covered"], "why_not"] == "").all()
    # the 郑州经开区 clusters are found where the zone is, in 管城回族区
    zz = pub[pub["cluster_name"].str.startswith("郑州经济技术开发区")]
    assert (zz["places"] == "管城回族区").all() and zz["covered"].all()
