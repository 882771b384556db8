"""Topics (methods.md 7): reference resolution, relatedness weights, Leiden/Louvain, labels, the planted world."""
import gzip
import json
import random
import sys

import numpy as np
import pandas as pd
import pytest

import collabnet
from collabnet.corpus import Corpus
from collabnet.topics import default_resolution, run_topics
from collabnet.topics.cluster import TopicGraph, leiden, louvain, merge_small, nmi, relatedness_graph, renumber
from collabnet.topics.labels import cluster_terms, label, lemma
from collabnet.topics.refs import resolve_references
from conftest import SEEDWORLD, SHARED, needs_seedworld


def cliques():
    """methods.md 7.3 fixture: two 4-cliques (0-3, 4-7) joined by the edge 3-4, unweighted."""
    e = [(a, b) for a in range(4) for b in range(a + 1, 4)] + [(a, b) for a in range(4, 8) for b in range(a + 1, 8)] + [(3, 4)]
    return TopicGraph([f"W{k}" for k in range(8)], 8, [a for a, _ in e], [b for _, b in e], [1.0] * len(e))


def groups(m):
    return sorted(sorted(np.flatnonzero(m == c).tolist()) for c in set(m.tolist()))


def test_cpm_on_two_cliques():
    g = cliques()
    assert groups(leiden(g, "cpm", 0.5)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert groups(leiden(g, "cpm", 0.05)) == [list(range(8))]
    assert groups(leiden(g, "cpm", 1.2)) == [[k] for k in range(8)]


def test_modularity_on_two_cliques():
    import igraph as ig
    g = cliques()
    m = leiden(g, "modularity", 1.0)
    assert groups(m) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert ig.Graph(n=8, edges=list(zip(g.rows, g.cols))).modularity(m.tolist()) == pytest.approx(0.4231, abs=1e-4)
    assert groups(louvain(g)) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def star_pair():
    """Core papers 0 and 1 both cite external works 3..17 (CWTS weight 1/15 each), core paper 2 cites 3 alone
    (weight 1): the EDC graph of a real OpenAlex export (snowball_citing.json).  At modularity resolution 3,
    moving the externals between clusters gains nothing, and igraph's own n_iterations=-1 moves them for ever."""
    rows = [0] * 15 + [1] * 15 + [2]
    cols = list(range(3, 18)) * 2 + [3]
    return TopicGraph([f"W{k}" for k in range(18)], 3, rows, cols, [1 / 15] * 30 + [1.0])


def test_leiden_stops_where_zero_gain_moves_would_cycle():
    import subprocess
    import os
    code = ("import sys; sys.path.insert(0, %r); from test_topics import star_pair; "
            "from collabnet.topics.cluster import leiden; print(leiden(star_pair(), 'modularity', 3.0).tolist())"
            % os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    m = np.array(json.loads(out.stdout))
    g = star_pair()
    # every node alone or with one neighbour: at resolution 3 no larger cluster has positive gain, and
    # the quality equals leidenalg's
    ref = leiden(g, "modularity", 3.0, engine="leidenalg")
    ig_g = g.igraph()
    assert ig_g.modularity(m.tolist(), weights="weight", resolution=3.0) == pytest.approx(
        ig_g.modularity(ref.tolist(), weights="weight", resolution=3.0), abs=1e-12)
    assert max(np.bincount(m)) <= 2


def test_leiden_engines_agree_on_two_cliques():
    for q, res in (("cpm", 0.5), ("modularity", 1.0)):
        assert groups(leiden(cliques(), q, res, engine="leidenalg")) == groups(leiden(cliques(), q, res))
    with pytest.raises(ValueError, match="Leiden engine"):
        leiden(cliques(), "cpm", 0.5, engine="networkx")


def test_renumber_by_size_then_smallest_id():
    g = TopicGraph(["A", "B", "C", "D", "E"], 5, [], [], [])
    assert renumber(np.array([7, 3, 3, 9, 7]), g).tolist() == [1, 2, 2, 3, 1]  # {A,E} and {B,C} tie: A < B


def _refs(rows):
    return pd.DataFrame(rows, columns=["work_id", "cited_work_id", "ext_id"])


def test_cwts_weights_by_hand():
    # A cites B and C; B cites A; C cites D and E and F (F outside the set)
    refs = _refs([("A", "B", "work:B"), ("A", "C", "work:C"), ("B", "A", "work:A"), ("C", "D", "work:D"),
                  ("C", "E", "work:E"), ("C", None, "doi:x"), ("D", None, "doi:x")])
    g = relatedness_graph(refs, ["A", "B", "C", "D", "E"], "dc")
    got = {(g.nodes[i], g.nodes[j]): w for i, j, w in zip(g.rows, g.cols, g.weights)}
    # A spreads 1 over 2 links, B 1 over 1 (mutual with A: 1/2 + 1), C 1 over 2 in-set links
    assert got == pytest.approx({("A", "B"): 1.5, ("A", "C"): 0.5, ("C", "D"): 0.5, ("C", "E"): 0.5})
    # EDC: doi:x (cited by C and D) becomes a node of size 0; C now spreads 1 over 3 links
    e = relatedness_graph(refs, ["A", "B", "C", "D", "E"], "edc")
    assert e.nodes[-1] == "doi:x" and e.sizes == [1] * 5 + [0]
    got = {(e.nodes[i], e.nodes[j]): w for i, j, w in zip(e.rows, e.cols, e.weights)}
    assert got[("C", "D")] == pytest.approx(1 / 3) and got[("C", "doi:x")] == pytest.approx(1 / 3)
    assert got[("D", "doi:x")] == pytest.approx(1.0)
    # BC cosine: C and D share doi:x; |R_C| = 3, |R_D| = 1
    b = relatedness_graph(refs, ["A", "B", "C", "D", "E"], "bc")
    got = {(b.nodes[i], b.nodes[j]): w for i, j, w in zip(b.rows, b.cols, b.weights)}
    assert got == pytest.approx({("C", "D"): 1 / np.sqrt(3)})


def test_merge_small_waltman_van_eck():
    # clusters: {0,1,2} (size 3), {3} linked to 0 (w 1) and to 4 (w 2), {4,5} (size 2)
    g = TopicGraph(list("ABCDEF"), 6, [0, 0, 1, 3, 3, 4], [1, 2, 2, 0, 4, 5], [1, 1, 1, 1, 2, 1])
    m = np.array([1, 1, 1, 2, 3, 3])
    # min size 3: {3} goes first (smallest): score to cluster 1 = 1/3, to cluster 3 = 2/2 -> joins 3
    out = merge_small(m, g, 3)
    assert groups(out) == [[0, 1, 2], [3, 4, 5]]


def _corpus(works, refs, authors):
    w = pd.DataFrame(works, columns=["work_id", "title", "year", "volume", "first_page", "doi", "openalex_id"])
    a = pd.DataFrame(authors, columns=["work_id", "position", "author"])
    r = pd.DataFrame(refs, columns=["work_id", "position", "raw", "doi", "openalex_id"])
    r["cited_work_id"] = None
    return Corpus(w, a, r, {})


def test_reference_resolution_steps():
    works = [("W1", "Deep learning for mammography screening", 2019, "12", "100", "10.1/a", None),
             ("W2", "Statins and heart failure outcomes", 2020, "5", "33", None, None),
             ("W3", "Gastric cancer in older adults", 2021, None, None, None, "W99"),
             ("W4", "Same key one", 2018, "1", "1", None, None), ("W5", "Same key two", 2018, "1", "1", None, None)]
    authors = [("W1", 0, "Tanaka K."), ("W2", 0, "Jansen P."), ("W3", 0, "Sato Y."), ("W4", 0, "Ito A."),
               ("W5", 0, "Ito A.")]
    refs = [("W2", 0, "x", "10.1/A", None),                                            # DOI, any case
            ("W3", 0, "JANSEN P, 2020, EUR HEART J, V5, P33", None, None),            # WoS key
            ("W2", 1, "W99", None, "W99"),                                            # OpenAlex id
            ("W3", 1, "Tanaka K., Deep learning for mammography screening, (2019) Radiology, 12, pp. 100-108", None, None),
            ("W1", 0, "Jansen P., Statins and heart-failure outcome, (2020) Eur Heart J, 99, pp. 1-2", None, None),  # fuzzy
            ("W1", 1, "ITO A, 2018, J X, V1, P1", None, None),                          # ambiguous key: dropped
            ("W1", 2, "Nobody Z., Unknown paper, (2001) Nowhere, 1, pp. 1-2", None, None)]
    refs_out, stats = resolve_references(_corpus(works, refs, authors))
    got = dict(zip(zip(refs_out["work_id"], refs_out["position"]), zip(refs_out["cited_work_id"], refs_out["how"])))
    assert got[("W2", 0)] == ("W1", "doi")
    assert got[("W3", 0)] == ("W2", "key")
    assert got[("W2", 1)] == ("W3", "openalex_id")
    assert got[("W3", 1)] == ("W1", "title")
    assert got[("W1", 0)] == ("W2", "fuzzy_title")
    assert got[("W1", 1)] == (None, None) and got[("W1", 2)] == (None, None)
    assert stats["resolved"] == 5 and stats["by_step"] == {"doi": 1, "fuzzy_title": 1, "key": 1, "openalex_id": 1, "title": 1}


def test_labels_ctfidf_by_hand():
    works = pd.DataFrame({"work_id": list("ABCDEF"),
                          "title": ["Gastric cancer surgery", "Gastric cancer screening", "Gastric cancer and diet",
                                    "Heart failure drugs", "Heart failure in children", "Heart failure registry"],
                          "keywords": ["", "", "", "", "", ""], "index_keywords": ["", "", "", "", "", ""]})
    mem = pd.Series([1, 1, 1, 2, 2, 2], index=list("ABCDEF"))
    t = cluster_terms(works, mem, [1, 2])
    # "gastric cancer" (tf 3) swallows "gastric" and "cancer" (same tf); score = 3/3 * log(1 + 3/3)
    assert t[1][0][0] == "Gastric cancer" and t[1][0][1] == pytest.approx(np.log(2))
    assert [x[0] for x in t[1]] == ["Gastric cancer"]  # singletons below the floor max(2, 0.3)
    assert label(t[2]) == "Heart failure"
    assert lemma("studies") == "study" and lemma("diseases") == "disease" and lemma("sepsis") == "sepsis"


def test_nmi():
    assert nmi([1, 1, 2, 2], ["a", "a", "b", "b"]) == pytest.approx(1.0)
    assert nmi([1, 1, 2, 2], ["a", "b", "a", "b"]) == pytest.approx(0.0)
    # by hand: p(a)=(1/2,1/3,1/6), p(b)=(1/3,1/2,1/6), joint 1/3 (1,5) 1/6 (1,6) 1/3 (2,6) 1/6 (3,7)
    a, b = [1, 1, 1, 2, 2, 3], [5, 5, 6, 6, 6, 7]
    h = -(0.5 * np.log(0.5) + 2 * (1 / 3) * np.log(1 / 3) + 2 * (1 / 6) * np.log(1 / 6) + 0.5 * np.log(0.5)) / 2
    mi = (1 / 3) * np.log((1 / 3) / (1 / 2 * 1 / 3)) + (1 / 6) * np.log((1 / 6) / (1 / 2 * 1 / 2)) \
        + (1 / 3) * np.log((1 / 3) / (1 / 3 * 1 / 2)) + (1 / 6) * np.log((1 / 6) / (1 / 6 * 1 / 6))
    assert nmi(a, b) == pytest.approx(mi / h)
    # 40,000 singletons a side: the dense table would need 12.8 GB
    assert nmi(range(40000), range(40000)) == pytest.approx(1.0)


# ---- the planted world ------------------------------------------------------------------------------------

def _planted():
    truth = json.loads((SEEDWORLD / "truth.json").read_text())
    sys.path.insert(0, str(SHARED / "tools"))
    from seedworld import JPNL  # the generator's own topic vocabularies
    vocab = {lab: [v.lower() for v in voc] for lab, _, voc in JPNL["topics"]}
    return truth, vocab


def _doi_of_truth(truth):
    sys.path.insert(0, str(SHARED / "tools"))
    from check_against_truth import doi, work_id
    return {work_id(i): doi(i) for i in range(truth["works"])}


def _score(topics, truth):
    doi_of = _doi_of_truth(truth)
    got = dict(zip(topics.membership["doi"].str.lower(), topics.membership["cluster"]))
    planted = {doi_of[w]: tp["label"] for tp in truth["topics"] for w in tp["works"]}
    keys = [d for d in planted if d in got]
    assert len(keys) == len(planted)
    by_c = {}
    for d, c in got.items():
        by_c.setdefault(c, set()).add(d)
    match = {}
    for tp in truth["topics"]:
        s = {doi_of[w] for w in tp["works"]}
        best = max(by_c, key=lambda c: (len(by_c[c] & s) / len(by_c[c] | s), -c))
        if len(by_c[best] & s) / len(by_c[best] | s) >= 0.9:
            match[tp["label"]] = best
    return nmi([planted[d] for d in keys], [got[d] for d in keys]), match, got, doi_of


@needs_seedworld
@pytest.mark.parametrize("file,need_nmi,need_matched", [("works.jsonl.gz", 0.98, 31), ("savedrecs.txt", 0.98, 31),
                                                        ("scopus.csv", 0.95, 29)])
def test_planted_topics_found(file, need_nmi, need_matched, seed_openalex):
    truth, vocab = _planted()
    corpus = seed_openalex if file == "works.jsonl.gz" else collabnet.read(str(SEEDWORLD / file), progress=False)
    t = run_topics(corpus)
    score, match, got, doi_of = _score(t, truth)
    assert score >= need_nmi and len(match) >= need_matched
    assert t.stats["references"]["resolved"] == truth["in_set_citation_links"]
    cl = t.clusters.set_index("cluster")
    for lab, c in match.items():
        terms = [x.strip().lower() for x in cl.loc[c, "top_terms"].split(";")]
        words = {lemma(w) for v in vocab[lab] for w in v.split()}
        # the label's three terms come from the topic's planted vocabulary; its key term is in the top terms
        assert all(all(lemma(w) in words for w in term.split()) for term in terms[:3]), (lab, terms[:3])
        assert vocab[lab][0] in terms, (lab, terms)
        if file == "works.jsonl.gz":
            assert cl.loc[c, "openalex_topic"] == lab and cl.loc[c, "openalex_topic_share"] == 1.0
    # no planted micro-cluster paper (outside the topics, with in-set links) sits in a described cluster
    in_topics = {doi_of[w] for tp in truth["topics"] for w in tp["works"]}
    sizes = t.membership["cluster"].value_counts()
    mem = t.membership.assign(doi=t.membership["doi"].str.lower())
    linked = set(mem.loc[mem["cluster"].map(sizes) > 1, "doi"])
    micro = linked - in_topics
    assert len(micro) == truth["micro_cluster_works"]
    assert not micro & set(mem.loc[mem["described"], "doi"])


@needs_seedworld
def test_leiden_engines_give_the_same_topics(seed_openalex):
    """igraph's Leiden (the default) and leidenalg find the same partition of the planted world (direct
    citation, CWTS weights, default CPM resolution): same clusters after renumbering."""
    refs, _ = resolve_references(seed_openalex)
    g = relatedness_graph(refs, seed_openalex.works["work_id"])
    res = default_resolution(g)
    a = renumber(leiden(g, "cpm", res), g)
    b = renumber(leiden(g, "cpm", res, engine="leidenalg"), g)
    assert np.array_equal(a, b)
    assert len(set(a.tolist())) == len(set(b.tolist())) > 33


@needs_seedworld
def test_membership_independent_of_input_order(tmp_path, seed_openalex):
    lines = gzip.open(SEEDWORLD / "works.jsonl.gz", "rt", encoding="utf-8").read().splitlines()
    random.Random(3).shuffle(lines)
    f = tmp_path / "shuffled.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    a = run_topics(seed_openalex).membership.sort_values("work_id").reset_index(drop=True)
    b = run_topics(collabnet.read(str(f), progress=False)).membership.sort_values("work_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


@needs_seedworld
def test_default_resolution_rule(seed_openalex):
    refs, _ = resolve_references(seed_openalex)
    g = relatedness_graph(refs, seed_openalex.works["work_id"])
    deg = np.zeros(len(g.nodes))
    np.add.at(deg, g.rows, 1)
    np.add.at(deg, g.cols, 1)
    n_l = int((deg > 0).sum())
    assert n_l == 3194 and g.weights.sum() == pytest.approx(2942)  # papers with links; citing papers with links
    assert default_resolution(g) == pytest.approx(4 * 2 * 2942 / 3194 ** 2)


def test_louvain_and_options_run(tmp_path, fixture_path):
    from click.testing import CliRunner
    from collabnet.cli import main
    r = CliRunner().invoke(main, ["build", fixture_path("openalex_works.jsonl"), "--out", str(tmp_path), "-q", "--no-views"])
    assert r.exit_code == 0, r.output
    for extra in (["--algorithm", "louvain"], ["--relatedness", "edc"], ["--relatedness", "bc", "--quality", "modularity"],
                  ["--resolution-sweep"]):
        r = CliRunner().invoke(main, ["topics", str(tmp_path / "corpus"), "--out", str(tmp_path / "t")] + extra)
        assert r.exit_code == 0, (extra, r.output)
    assert "resolution" in r.output and "described_clusters" in r.output
    mem = pd.read_csv(tmp_path / "t/topics/membership.csv")
    assert list(mem.columns) == ["work_id", "doi", "cluster", "described"]


def test_topics_without_references_is_a_clear_error(tmp_path, fixture_path):
    from click.testing import CliRunner
    from collabnet.cli import main
    r = CliRunner().invoke(main, ["build", fixture_path("medline.nbib"), "--out", str(tmp_path), "-q", "--no-views"])
    assert r.exit_code == 0 and not (tmp_path / "topics").exists()
    r = CliRunner().invoke(main, ["topics", str(tmp_path / "corpus")])
    assert r.exit_code == 2 and "no references" in r.output
