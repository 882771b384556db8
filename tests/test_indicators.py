"""Worked examples of methods.md 3, 4 and 5 on the toy dataset of 0.3."""
import numpy as np
import pandas as pd
import pytest

from collabnet import indicators as ind
from toy import toy_corpus


def test_international_share_toy():
    c = toy_corpus()
    assert ind.international_share(c, ind.works_with(c, "JP")) == 1.0
    assert ind.international_share(c, ind.works_with(c, "NL")) == pytest.approx(2 / 3)
    assert ind.international_share(c, ind.works_with(c, "US")) == 1.0


def test_collaboration_types_toy():
    t = ind.collaboration_types(toy_corpus())
    assert t.to_dict() == pytest.approx({"international": 2 / 3, "national": 0.0, "institutional": 1 / 3,
                                         "single_authorship": 0.0})


def test_scp_mcp_toy():
    t = ind.scp_mcp(toy_corpus())
    assert t.loc["JP", ["SCP", "MCP"]].tolist() == [0, 2]
    assert t.loc["NL", ["SCP", "MCP"]].tolist() == [1, 0]
    assert "US" not in t.index


def test_pair_indicators_toy():
    p = ind.pair_indicators(toy_corpus(), "JP", "NL")
    assert (p.joint_works, p.bilateral_only_works, p.bilateral_only_share, p.multinational_share) == (2, 1, 0.5, 0.5)
    assert p.third_parties.to_dict("records") == [{"country": "US", "works": 1, "share": 0.5}]
    assert p.country_count_histogram == {"2": 1, "3": 1, "4": 0, "5-9": 0, ">=10": 0}


def test_academic_corporate_share_toy():
    c = toy_corpus()
    assert ind.academic_corporate_share(c) == pytest.approx(1 / 3)
    assert ind.academic_corporate_share(c, ind.works_with(c, "JP")) == pytest.approx(1 / 2)
    assert ind.academic_corporate_share(c, ind.works_with(c, "NL")) == pytest.approx(1 / 3)


def test_top_institutions_toy():
    c = toy_corpus()
    t = ind.institution_table(c, ind.works_with(c, "JP", "NL"))
    assert t[["institution", "works"]].values.tolist() == [
        ["Erasmus MC", 1], ["Leiden Univ", 1], ["Osaka Univ", 1], ["Pfizer", 1], ["U-Tokyo", 1]]
    corp = ind.institution_table(c, sector="corporate")
    assert corp[["institution", "country", "works", "citations"]].values.tolist() == [["Pfizer", "US", 1, 4.0]]


def test_growth_example():
    s = pd.Series({2008: 120, 2019: 400, 2024: 600})
    assert ind.growth(s, 2008, 2024)["fold"] == pytest.approx(5.0)
    g = ind.growth(s, 2019, 2024)
    assert g["percent"] == pytest.approx(50.0) and g["cagr"] == pytest.approx(1.5 ** 0.2 - 1)
    assert ind.growth(pd.Series({2019: 0, 2020: 5}), 2019, 2020)["fold"] is None
    assert ind.growth(s, 2019, 2019)["cagr"] is None


def test_rai_and_harmonic_fwci_examples():
    assert ind.rai(1000, 20000, 100000, 4000000) == pytest.approx(2.0)
    assert ind.rai(1, 2, 0, 10) is None
    assert ind.harmonic_expected([8, 24]) == pytest.approx(12.0)   # c = 12 -> FWCI 1.0


def test_top10_ties_example():
    t = ind.top_fraction([50, 12, 12, 12] + [5] * 16)
    assert t[0] == 1.0 and t[1:4] == pytest.approx([1 / 3] * 3) and t[4:].sum() == 0 and t.sum() == pytest.approx(2)


def test_top10_sum_property():
    rng = np.random.default_rng(1)
    for n in (7, 20, 133, 1000):
        c = rng.poisson(3, size=n)
        assert ind.top_fraction(c).sum() == pytest.approx(0.1 * n)
        assert ind.top_fraction(c, 0.01).sum() == pytest.approx(0.01 * n)


def test_dataset_relative_score_is_labelled_not_fwci():
    c = toy_corpus()
    c.works["fwci_openalex"] = np.nan
    rep = ind.impact(c)
    assert "fwci_mean" not in rep and rep["mncs_ds"] is not None and "not FWCI" in rep["mncs_ds_label"]
    assert rep["citations_per_work"] == pytest.approx(5.0)


def test_field_activity_and_rai_by_hand():
    import pandas as pd
    from collabnet import indicators as ind
    c = toy_corpus()
    c.works["fields"] = ["Medicine", "Medicine; Chemistry", "Physics"]
    jp = ind.works_with(c, "JP")  # P1 (2020), P2 (2021)
    world = pd.DataFrame({"year": [2020, 2020, 2021, 2021, 2019], "field": ["Medicine", "Chemistry", "Medicine", "Physics", "Physics"],
                          "world_output": [100, 300, 100, 500, 9999]})
    t = ind.field_activity(c, jp, world).set_index("field")
    assert t["works"].to_dict() == {"Medicine": 2, "Chemistry": 1}
    # dataset shares: Medicine 2/3, Chemistry 1/3 -> RAI_ds 1/(2/3) and (1/2)/(1/3)
    assert t["rai_ds"].to_dict() == pytest.approx({"Medicine": 1.5, "Chemistry": 1.5})
    # world output of 2020-2021 (2019 left out): 1,000; Medicine 200, Chemistry 300
    assert t["rai"].to_dict() == pytest.approx({"Medicine": 1.0 / 0.2, "Chemistry": 0.5 / 0.3})


def test_dataset_groups_fall_back_by_hand():
    """methods.md 4.3: a work is normalised in its (year, type, field) group when that has >= 20 works,
    else in its (year, type) group (of works not placed higher), else in its year; no year is a year of its own."""
    import math
    from collabnet.corpus import Corpus
    from collabnet.clean.resolve import AUTHORSHIP_COLUMNS
    rows = ([(2020, "article", "Medicine", 2)] * 19 + [(2020, "article", "Medicine", 22)]       # A: 20 works, mean 3
            + [(2020, "article", "Physics", c) for c in (1, 2, 3)]                            # B: (2020, article), mean 2
            + [(2021, "review", "Medicine", 4), (2021, "review", "Medicine", 0), (2021, "article", "X", 8)]  # C: 2021, mean 4
            + [(None, "article", "Medicine", 3), (None, "article", "Physics", 1)])            # D: no year, mean 2
    w = pd.DataFrame({"work_id": [f"W{i:02d}" for i in range(len(rows))], "year": [r[0] for r in rows],
                      "doc_type": [r[1] for r in rows], "fields": [r[2] + "; Other" for r in rows],
                      "cited_by_openalex": [r[3] for r in rows], "title": "t", "n_authors": 1})
    c = Corpus(w, pd.DataFrame(columns=AUTHORSHIP_COLUMNS),
               pd.DataFrame(columns=["work_id", "position", "raw", "doi", "openalex_id", "cited_work_id"]), {})
    ncs = ind.mncs_ds(c)
    expected = [2 / 3] * 19 + [22 / 3] + [0.5, 1.0, 1.5] + [1.0, 0.0, 2.0] + [1.5, 0.5]
    assert ncs.tolist() == pytest.approx(expected)
    t = ind.top_share_ds(c)
    # A: k = 2, the 22 is in (1), the nineteen tied 2s share the one place left; B: k = 0.3 of the 3
    # C: k = 0.3 of the 8; D: k = 0.2 of the 3
    expected_t = [1 / 19] * 19 + [1.0] + [0, 0, 0.3] + [0, 0, 0.3] + [0.2, 0]
    assert t.tolist() == pytest.approx(expected_t)
    assert not any(math.isnan(v) for v in t)


def test_scp_mcp_lead_country_is_the_corresponding_authors_else_the_first_with_a_country():
    c = toy_corpus()
    a = c.authorships
    # P2: the corresponding author is the US company's second author (position 3), not the first
    a.loc[a["work_id"] == "P2", "is_corresponding"] = a.loc[a["work_id"] == "P2", "position"] == 3
    # P1: the corresponding author (made position 2, NL) has no country: the first author with one leads (JP)
    p1 = a["work_id"] == "P1"
    a.loc[p1, "is_corresponding"] = a.loc[p1, "position"] == 2
    a.loc[p1 & (a["position"] == 2), "country"] = None
    c.invalidate()
    t = ind.scp_mcp(c)
    # P1 now has JP only (SCP, lead JP); P2 lead US (MCP); P3 NL (SCP)
    assert t[["SCP", "MCP"]].to_dict("index") == {"JP": {"SCP": 1, "MCP": 0}, "NL": {"SCP": 1, "MCP": 0},
                                                  "US": {"SCP": 0, "MCP": 1}}
    assert ind.scp_mcp(c, ["P2", "P3"])[["SCP", "MCP"]].to_dict("index") == {"NL": {"SCP": 1, "MCP": 0},
                                                                             "US": {"SCP": 0, "MCP": 1}}


def _shuffled_toy_with_an_orphan():
    """The toy corpus with its works in the order P3, P1, P2 and one authorship row of a work (P9) that
    the works table does not hold."""
    c = toy_corpus()
    w = c.works.iloc[[2, 0, 1]].reset_index(drop=True)
    orphan = c.authorships.iloc[[0]].assign(work_id="P9")
    a = pd.concat([c.authorships, orphan], ignore_index=True)
    return type(c)(w, a, c.references, {})


def test_work_lookups_by_hand():
    c = _shuffled_toy_with_an_orphan()
    v = ind._work_values(c, ["P2", "P3"], "year", "n_authors", "no_such_column")
    assert list(v.columns) == ["year", "n_authors"] and v.index.name == "work_id"
    assert v.index.tolist() == ["P2", "P3"]
    assert v["year"].tolist() == [2021, 2021] and v["n_authors"].tolist() == [4, 2]
    # the same table, dtypes included, as set_index + reindex; an id the works do not hold: a missing row
    for ids in (["P2", "P3"], ["P1", "PX"]):
        pd.testing.assert_frame_equal(ind._work_values(c, ids, "year", "n_authors"),
                                      c.works.set_index("work_id").reindex(ids)[["year", "n_authors"]])
    assert ind._work_values(c, ["P1", "PX"], "year")["year"].isna().tolist() == [False, True]
    # rows of the works table (P3, P1, P2), and a last slot for "not a work" that is never set
    assert ind._works_mask(c, ["P1", "PX"]).tolist() == [False, True, False, False]
    # authorship rows: P2's four; the row of P9 (not a work) stays out even when every work is asked for
    assert np.flatnonzero(c.authorship_mask(["P2"])).tolist() == [3, 4, 5, 6]
    assert c.authorship_mask(["P1", "P2", "P3"]).tolist() == [True] * 9 + [False]


def test_cached_lookups_follow_a_replaced_works_table():
    c = toy_corpus()
    assert c.citations().loc["P1"] == 10 and ind.works_by_year(c).to_dict() == {2020: 1, 2021: 2}
    # the same number of rows in another order: a cache keyed on the authorships alone would misplace them
    c.works = c.works.iloc[[2, 0, 1]].reset_index(drop=True)
    assert c.citations().to_dict() == {"P3": 1, "P1": 10, "P2": 4}
    c.works = c.works[c.works["work_id"] != "P3"].reset_index(drop=True)
    assert ind.works_by_year(c).to_dict() == {2020: 1, 2021: 1}
    assert ind.collaboration_types(c).to_dict() == pytest.approx({"international": 1.0, "national": 0.0,
                                                                  "institutional": 0.0, "single_authorship": 0.0})


def test_institution_table_and_acc_find_each_row_s_work_by_hand():
    """On the shuffled toy with an orphan row: each institution row takes its own work's citations and
    impact (works in the order P3, P1, P2 must not shift them), the orphan (a U-Tokyo row of P9) counts
    nowhere, and an impact series that lacks a work leaves that work's rows without impact."""
    c = _shuffled_toy_with_an_orphan()
    impact = pd.Series({"P1": 2.0, "P2": 0.5}).rename_axis("work_id")   # (no value for P3)
    t = ind.institution_table(c, impact=impact).set_index("institution")
    assert t.loc["U-Tokyo", ["works", "citations", "impact"]].tolist() == [1, 10.0, 2.0]
    assert t.loc["Pfizer", ["works", "citations", "impact"]].tolist() == [1, 4.0, 0.5]
    assert t.loc["Utrecht Univ", ["works", "citations"]].tolist() == [1, 1.0]
    assert np.isnan(t.loc["Utrecht Univ", "impact"])
    nl = ind.institution_table(c, ["P1", "P3"], country="NL", impact=impact).set_index("institution")
    assert nl[["works", "citations", "share"]].to_dict("index") == {
        "Leiden Univ": {"works": 1, "citations": 10.0, "share": 0.5},
        "Utrecht Univ": {"works": 1, "citations": 1.0, "share": 0.5}}
    # P2 alone has an academic (Osaka Univ) and a corporate (Pfizer) institution
    assert ind.academic_corporate_share(c) == pytest.approx(1 / 3)
    assert ind.academic_corporate_share(c, ["P1", "P2"]) == pytest.approx(1 / 2)
    assert ind.academic_corporate_share(c, ["P1", "P3"]) == 0.0
