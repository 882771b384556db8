"""methods.md 1.2 (edge weights), 2 (normalisation) on the toy dataset of 0.3."""
import pytest

from collabnet.networks import country_graph, institution_graph, similarity
from toy import toy_corpus

EDGES = {  # methods.md 1.2 table
    "full": {("JP", "NL"): 2, ("JP", "US"): 1, ("NL", "US"): 1},
    "unit_fractional": {("JP", "NL"): 1.5, ("JP", "US"): 0.5, ("NL", "US"): 0.5},
    "pair_normalised": {("JP", "NL"): 4 / 3, ("JP", "US"): 1 / 3, ("NL", "US"): 1 / 3},
    "author_based": {("JP", "NL"): 4 / 3, ("JP", "US"): 2 / 3, ("NL", "US"): 2 / 3},
}


@pytest.mark.parametrize("counting", list(EDGES))
def test_toy_country_edges(counting):
    G = country_graph(toy_corpus(), counting=counting)
    got = {tuple(sorted(e)): d["weight"] for *e, d in G.edges(data=True)}
    assert got.keys() == EDGES[counting].keys()
    for k, v in EDGES[counting].items():
        assert got[k] == pytest.approx(v, abs=1e-9)
    assert {tuple(sorted(e)): d["works"] for *e, d in G.edges(data=True)} == EDGES["full"]


def test_toy_author_based_self_loops():
    G = country_graph(toy_corpus(), counting="author_based")
    loops = {n: G.nodes[n]["internal_weight"] for n in G}
    assert loops == pytest.approx({"JP": 0.5, "NL": 1.0, "US": 1 / 3}, abs=1e-9)
    assert not any(u == v for u, v in G.edges())


def test_toy_node_output():
    G = country_graph(toy_corpus())
    assert {n: G.nodes[n]["works"] for n in G} == {"JP": 2, "NL": 3, "US": 1}
    frac = {n: G.nodes[n]["works_fractional"] for n in G}
    assert frac == pytest.approx({"JP": 1 / 2 + 1 / 3, "NL": 1 / 2 + 1 / 3 + 1, "US": 1 / 3}, abs=1e-9)
    # unit_fractional strength = number of international papers of the unit
    assert dict(G.degree(weight="weight")) == pytest.approx({"JP": 2, "NL": 2, "US": 1})
    assert G.nodes["JP"]["citations"] == 14


def test_normalisation_toy_values():
    # methods.md 2: (JP, NL) c = 2, s_JP = 2, s_NL = 3, N = 3
    assert similarity(2, 2, 3, "association_strength") == pytest.approx(1 / 3)
    assert similarity(2, 2, 3, "probabilistic_association_strength", 3) == pytest.approx(1.0)
    assert similarity(2, 2, 3, "cosine") == pytest.approx(0.8165, abs=1e-4)
    assert similarity(2, 2, 3, "equivalence") == pytest.approx(2 / 3)
    assert similarity(2, 2, 3, "jaccard") == pytest.approx(2 / 3)
    assert similarity(2, 2, 3, "inclusion") == pytest.approx(1.0)
    assert similarity(0, 0, 3, "association_strength") == 0.0
    G = country_graph(toy_corpus(), normalization="association_strength")
    assert G.edges["JP", "NL"]["similarity"] == pytest.approx(1 / 3)


def test_institution_graph_attributes():
    G = institution_graph(toy_corpus(), counting="full")
    assert G.nodes["name:pfizer"]["sector"] == "corporate" and G.nodes["name:pfizer"]["country"] == "US"
    assert G.edges["name:osaka univ", "name:pfizer"]["works"] == 1
    assert G.number_of_nodes() == 6 and G.number_of_edges() == 1 + 3


def test_centrality_methods_test_graph():
    import networkx as nx
    from collabnet.networks import centrality
    G = nx.Graph()
    for u, v, w in [("JP", "NL", 4), ("JP", "US", 1), ("NL", "US", 2), ("US", "DE", 3)]:
        G.add_edge(u, v, weight=w)
    t = centrality(G).set_index("node")
    assert t["degree"].to_dict() == {"DE": 1, "JP": 2, "NL": 2, "US": 3}
    assert t["strength"].to_dict() == {"DE": 3, "JP": 5, "NL": 6, "US": 6}
    assert t["betweenness"].to_dict() == {"DE": 0, "JP": 0, "NL": 2, "US": 2}
    assert t.loc["NL", "betweenness_normalised"] == pytest.approx(0.6667, abs=1e-4)
    assert t["closeness"].to_dict() == pytest.approx({"JP": 1.44, "NL": 1.8947, "US": 1.8947, "DE": 1.3333}, abs=1e-4)
    assert t["eigenvector"].to_dict() == pytest.approx({"JP": 0.5540, "NL": 0.6074, "US": 0.4950, "DE": 0.2813}, abs=1e-4)
    assert t["pagerank"].to_dict() == pytest.approx({"JP": 0.2439, "NL": 0.2888, "US": 0.3016, "DE": 0.1657}, abs=1e-4)
    assert t["clustering"].to_dict() == pytest.approx({"JP": 1, "NL": 1, "US": 1 / 3, "DE": 0}, abs=1e-4)
    assert t["clustering_weighted"].to_dict() == pytest.approx({"JP": 0.5, "NL": 0.5, "US": 0.1667, "DE": 0}, abs=1e-4)
    assert t["opsahl_degree"].to_dict() == pytest.approx({"JP": 3.1623, "NL": 3.4641, "US": 4.2426, "DE": 1.7321}, abs=1e-4)
    assert set(t["component"]) == {0}


def _assert_same_tables(a, b):
    import numpy as np
    assert list(a["node"]) == list(b["node"])
    for col in a.columns[1:]:
        x, y = a[col].to_numpy(float), b[col].to_numpy(float)
        assert (np.isnan(x) == np.isnan(y)).all(), col
        assert np.nanmax(np.abs(x - y)) <= 1e-9, col


def test_centrality_engines_agree_on_test_graph():
    import networkx as nx
    from collabnet.networks import centrality
    G = nx.Graph()
    for u, v, w in [("JP", "NL", 4), ("JP", "US", 1), ("NL", "US", 2), ("US", "DE", 3), ("BR", "AR", 1)]:
        G.add_edge(u, v, weight=w)
    G.add_node("ZA")  # isolated: closeness 0, eigenvector NaN (not in the largest component)
    a, b = centrality(G, engine="networkx"), centrality(G, engine="igraph")
    _assert_same_tables(a, b)
    t = a.set_index("node")
    assert t.loc["ZA", "closeness"] == 0 and t.loc["ZA", "component"] == 2
    # WF closeness of NL in a 7-node graph: (3/sum d) * 3/6, sum d = 1/4 + 1/2 + (1/2 + 1/3)
    assert t.loc["NL", "closeness"] == pytest.approx(3 / (0.25 + 0.5 + 0.5 + 1 / 3) * 3 / 6)


def test_centrality_engines_agree_on_institution_graph(seed_openalex):
    """A 2019 slice of the seed world's institution graph (~100+ nodes, fractional weights)."""
    from collabnet.networks import centrality
    w = seed_openalex.works
    ids = sorted(w.loc[w["year"] == 2019, "work_id"])[:80]
    G = institution_graph(seed_openalex, works=ids)
    assert G.number_of_nodes() > 100
    _assert_same_tables(centrality(G, engine="networkx"), centrality(G, engine="igraph"))


def test_centrality_of_a_two_node_graph():
    """A tiny network (one co-authored paper between two countries) must not break the eigensolver."""
    import networkx as nx
    from collabnet.networks import centrality
    G = nx.Graph()
    G.add_edge("JP", "NL", weight=1.0)
    t = centrality(G, engine="networkx").set_index("node")
    assert t["eigenvector"].to_dict() == pytest.approx({"JP": 2 ** -0.5, "NL": 2 ** -0.5})
    assert t["pagerank"].to_dict() == pytest.approx({"JP": 0.5, "NL": 0.5})
    assert t["betweenness"].to_dict() == {"JP": 0, "NL": 0}


def _clustered_graph(n, m, seed, weight_seed, paths):
    """A clustered power-law graph of ``n`` nodes (``m`` links per new node; weights in quarters, so many
    paths have equal lengths) and ``paths`` small components a - b - c (weights 1 and 0.5)."""
    import numpy as np
    import networkx as nx
    rng = np.random.default_rng(weight_seed)
    G = nx.Graph()
    for u, v in nx.powerlaw_cluster_graph(n, m, 0.3, seed=seed).edges():
        G.add_edge(f"i{u:03d}", f"i{v:03d}", weight=float(rng.integers(1, 5)) / 4, works=1)
    for j in range(paths):
        G.add_edge(f"x{j}a", f"x{j}b", weight=1.0, works=1)
        G.add_edge(f"x{j}b", f"x{j}c", weight=0.5, works=1)
    return G


def test_centrality_of_a_graph_too_large_for_exact_paths_is_estimated_and_says_so(monkeypatch):
    """Above the work budget (nodes x links), betweenness and closeness of the largest component come
    from a sample of sources (Brandes and Pich 2007), scaled to estimate the exact values; the small
    components and the other measures stay exact, and the table says how they were computed."""
    import numpy as np
    import collabnet.networks as N
    G = _clustered_graph(600, 6, seed=1, weight_seed=3, paths=5)
    exact = N.centrality(G)
    assert "path_measures" not in exact.attrs
    monkeypatch.setattr(N, "EXACT_PATH_WORK", 600 * 100)
    k = max(N.SAMPLED_MIN_SOURCES, 600 * 100 // G.number_of_edges())   # 200 of the 600 nodes as sources
    est = N.centrality(G)
    assert est.attrs["path_measures"].startswith(f"betweenness and closeness estimated from {k} of the 600 nodes")
    small = est["node"].str.startswith("x")
    # the middle node of each 3-node path lies on 1 shortest path; its closeness is exact too
    assert list(est.loc[est["node"].str.endswith("b") & small, "betweenness"]) == [1.0] * 5
    assert np.allclose(est.loc[small, ["betweenness", "closeness"]], exact.loc[small, ["betweenness", "closeness"]])
    for c in ("degree", "strength", "eigenvector", "pagerank", "clustering_weighted"):
        assert np.allclose(est[c], exact[c], equal_nan=True), c
    for c in ("betweenness", "closeness"):
        assert abs(est[c].sum() - exact[c].sum()) / exact[c].sum() < 0.05, c
        assert len(set(est.nlargest(10, c)["node"]) & set(exact.nlargest(10, c)["node"])) >= 8, c


def test_path_sums_by_hand_and_ties_within_igraph_s_epsilon():
    """One shortest-path search per source gives betweenness (both directions of a pair: twice the
    undirected value), each source's distance sum and reach, and each node's distance sum.  A path
    a - b - c (lengths 1, 2) plus a lone link d - e, by hand; then s - t direct (0.3) and through m
    (0.1 + 0.2, which is 0.30000000000000004 in floating point): the same length within igraph's relative
    1e-10, so two shortest paths and m is on one of them (betweenness 1/2, as igraph says)."""
    import numpy as np
    import scipy.sparse as sp
    pytest.importorskip("numba")
    from collabnet.paths import path_sums

    def csr(n, links):
        r = [i for i, _, _ in links] + [j for _, j, _ in links]
        c = [j for _, j, _ in links] + [i for i, _, _ in links]
        d = [x for _, _, x in links] * 2
        A = sp.csr_matrix((d, (r, c)), shape=(n, n))
        return A.indptr, A.indices, A.data
    g = csr(5, [(0, 1, 1.0), (1, 2, 2.0), (3, 4, 0.5)])
    bet, source_sum, reached, node_sum = path_sums(*g, np.arange(5))
    assert bet.tolist() == [0.0, 2.0, 0.0, 0.0, 0.0]
    assert source_sum.tolist() == [4.0, 3.0, 5.0, 0.5, 0.5] and reached.tolist() == [3, 3, 3, 2, 2]
    assert node_sum.tolist() == [4.0, 3.0, 5.0, 0.5, 0.5]
    bet, source_sum, reached, node_sum = path_sums(*g, [0])   # from a only: the paths a-b and a-c
    assert bet.tolist() == [0.0, 1.0, 0.0, 0.0, 0.0] and node_sum.tolist() == [0.0, 1.0, 3.0, 0.0, 0.0]
    assert 0.1 + 0.2 != 0.3
    s, m, t = 0, 1, 2
    bet, *_ = path_sums(*csr(3, [(s, t, 0.3), (s, m, 0.1), (m, t, 0.2)]), np.arange(3))
    assert bet.tolist() == [0.0, 1.0, 0.0]
    import igraph as ig
    h = ig.Graph(n=3, edges=[(s, t), (s, m), (m, t)])
    assert h.betweenness(directed=False, weights=[0.3, 0.1, 0.2]) == [0.0, 0.5, 0.0]


@pytest.mark.parametrize("sampled", [False, True])
def test_shared_path_searches_give_igraph_s_betweenness_and_closeness(monkeypatch, sampled):
    """The centrality table from the shared searches (collabnet.paths, half the sources on another core)
    equals igraph's separate betweenness and closeness (to rounding; every other column digit for digit),
    exact and estimated from a sample of sources, on a graph with many equal-length paths (weights in
    quarters) and small components; and run in one process (COLLABNET_WORKERS=1) it has the same digits."""
    import numpy as np
    import collabnet.networks as N
    pytest.importorskip("numba")
    G = _clustered_graph(400, 5, seed=2, weight_seed=5, paths=4)
    if sampled:
        monkeypatch.setattr(N, "EXACT_PATH_WORK", 400 * 100)
    monkeypatch.setattr(N, "PATH_SEARCH_WORK", 10 ** 12)
    separate = N.centrality(G)
    monkeypatch.setattr(N, "PATH_SEARCH_WORK", 0)
    shared = N.centrality(G)
    assert shared.attrs == separate.attrs and ("path_measures" in shared.attrs) == sampled
    for c in shared.columns:
        if c in ("betweenness", "betweenness_normalised", "closeness"):
            assert np.allclose(shared[c], separate[c], rtol=1e-12, atol=0), c
        else:
            assert shared[c].equals(separate[c]), c
    assert shared["betweenness"].sum() > 0
    monkeypatch.setenv("COLLABNET_WORKERS", "1")
    import pandas as pd
    pd.testing.assert_frame_equal(N.centrality(G), shared, check_exact=True)


def test_weighted_triangles_in_row_blocks_equal_the_whole_product():
    """diag(A^3) from the oriented products (each triangle once per corner) equals diag(A^3) from A @ A
    whole (to rounding), and is the same, digit for digit, whatever the blocks of rows (bounded memory);
    a weighted triangle by hand: links a-b 1, b-c 8, a-c 27 (cube roots 1, 2, 3) give each corner 2*1*2*3,
    and a fourth node d linked to a and b only (a-d 1, b-d 1) adds 2*1*1*1 to a, b and d."""
    import numpy as np
    import scipy.sparse as sp
    from collabnet.networks import _weighted_triangles
    A = sp.csr_matrix(np.cbrt(np.array([[0, 1, 27], [1, 0, 8], [27, 8, 0]], dtype=float)))
    assert _weighted_triangles(A).tolist() == pytest.approx([12.0, 12.0, 12.0])
    A = sp.csr_matrix(np.cbrt(np.array([[0, 1, 27, 1], [1, 0, 8, 1], [27, 8, 0, 0], [1, 1, 0, 0]], dtype=float)))
    assert _weighted_triangles(A).tolist() == pytest.approx([14.0, 14.0, 12.0, 2.0])
    rng = np.random.default_rng(3)
    n = 300
    M = sp.random(n, n, density=0.05, random_state=rng, format="csr")
    A = ((M + M.T) / 2).tocsr()
    A.setdiag(0)
    A.eliminate_zeros()
    whole = np.asarray((A @ A).multiply(A).sum(axis=1)).ravel()
    assert whole.sum() > 0
    blocks = [_weighted_triangles(A, budget) for budget in (1, 50, 5000, 10 ** 9)]
    assert blocks[0] == pytest.approx(whole, rel=1e-12)
    assert all(np.array_equal(b, blocks[0]) for b in blocks[1:])


def test_institution_colouring_communities():
    """The colouring of the institution view (igraph's Leiden, modularity): methods.md 7.3's fixture of two
    4-cliques joined by one link gives the two cliques, numbered by size and then by first node; a third,
    larger clique hanging off them by a weak link comes first.  The same graph gives the same numbers."""
    import networkx as nx
    from collabnet.layout import communities
    G = nx.Graph()
    for block in (["a0", "a1", "a2", "a3"], ["b0", "b1", "b2", "b3"]):
        G.add_edges_from(((u, v) for k, u in enumerate(block) for v in block[k + 1:]), weight=1.0)
    G.add_edge("a3", "b0", weight=1.0)
    assert communities(G) == {**{f"a{k}": 1 for k in range(4)}, **{f"b{k}": 2 for k in range(4)}}
    big = [f"c{k}" for k in range(6)]
    G.add_edges_from(((u, v) for k, u in enumerate(big) for v in big[k + 1:]), weight=2.0)
    G.add_edge("b3", "c0", weight=0.1)
    com = communities(G)
    assert com == {**{u: 1 for u in big}, **{f"a{k}": 2 for k in range(4)}, **{f"b{k}": 3 for k in range(4)}}
    assert communities(G) == com and communities(nx.Graph()) == {}


def test_incidence_of_the_toy_is_each_work_s_distinct_units():
    """B (methods.md 1.1 unit sets): one 1 per distinct (work, unit), however many author rows repeat it;
    works and units sorted."""
    from collabnet.networks import incidence
    B, wids, units = incidence(toy_corpus(), "country")
    assert list(wids) == ["P1", "P2", "P3"] and list(units) == ["JP", "NL", "US"]
    assert B.toarray().tolist() == [[1, 1, 0], [1, 1, 1], [0, 1, 0]]
    B, wids, units = incidence(toy_corpus(), "institution", works=["P2", "P3"])
    assert list(wids) == ["P2", "P3"]
    assert list(units) == ["name:erasmus mc", "name:osaka univ", "name:pfizer", "name:utrecht univ"]
    assert B.toarray().tolist() == [[1, 1, 1, 0], [0, 0, 0, 1]]


def test_work_codes_and_ranks_of_the_toy():
    """Corpus.work_codes: pd.factorize of the authorships' work ids (first-appearance order); work_ranks:
    codes that sort as the ids do, made once per authorships table."""
    import numpy as np
    c = toy_corpus()
    c.authorships = c.authorships.iloc[::-1].reset_index(drop=True)   # P3's rows first
    codes, ids = c.work_codes()
    assert list(ids) == ["P3", "P2", "P1"]
    assert list(np.asarray(ids)[codes]) == c.authorships["work_id"].tolist()
    ranks = c.work_ranks()
    assert ranks.tolist() == [{"P1": 0, "P2": 1, "P3": 2}[w] for w in c.authorships["work_id"]]
    assert c.work_ranks() is ranks


def test_unit_codes_and_the_institution_nodes_first_rows():
    """Corpus.unit_codes: pd.factorize of an authorship column, made once per column. The institution
    graph's nodes take name, sector and country from each institution's first row (rows without a key
    left out), as drop_duplicates over the rows gave them: here the toy's Pfizer rows disagree."""
    c = toy_corpus()
    a = c.authorships
    a.loc[0, ["institution_key", "institution", "country"]] = [None, None, None]   # P1's first author: no key
    pf = a.index[a["institution"] == "Pfizer"]
    a.loc[pf[0], ["sector", "country"]] = ["other", "DE"]     # Pfizer's first row
    a.loc[pf[1], ["sector", "country"]] = ["corporate", None]
    codes, keys = c.unit_codes("institution_key")
    assert list(keys) == ["name:u-tokyo", "name:leiden univ", "name:osaka univ", "name:erasmus mc",
                          "name:pfizer", "name:utrecht univ"]
    assert codes.tolist() == [-1, 0, 1, 2, 3, 4, 4, 5, 5]
    assert c.unit_codes("institution_key") is c.unit_codes("institution_key")
    assert list(c.unit_codes("country")[1]) == ["JP", "NL", "DE"]        # (Pfizer's US rows are gone)
    nodes = institution_graph(c).nodes
    pfizer = nodes["name:pfizer"]
    assert (pfizer["name"], pfizer["sector"], pfizer["country"]) == ("Pfizer", "other", "DE")
    assert (nodes["name:u-tokyo"]["sector"], nodes["name:u-tokyo"]["country"]) == ("academic", "JP")
    assert nodes["name:erasmus mc"]["sector"] == "medical"
    assert sorted(nodes) == sorted(keys)


def test_slot_coverage_by_hand_with_and_without_the_shared_numbers():
    """slot_coverage on the toy (9 author slots): a slot with two rows counts once and has a country when
    either row has one; an unlinked row (position -1) is no slot; a mask counts its rows only. The same
    figures whether the slots and the rows with a value are found here or given (as the build summary
    gives them, found once for all its files)."""
    import pandas as pd
    from collabnet.corpus import slot_coverage, slot_numbers, summary
    c = toy_corpus()
    a = c.authorships
    a.loc[0, ["country", "institution_key"]] = [None, None]          # P1 slot 0: neither
    a.loc[3, "country"] = None                                      # P2 slot 0: no country, but see below
    extra = a.iloc[[3]].assign(country="JP", institution_key=None)   # P2 slot 0's second affiliation
    unlinked = a.iloc[[8]].assign(position=-1, country=None, institution_key=None)
    a = pd.concat([a.iloc[:4], extra, a.iloc[4:], unlinked], ignore_index=True)
    c.authorships = a
    want_all = {"author_slots": 9, "with_country": round(8 / 9, 4), "with_institution": round(8 / 9, 4)}
    p2 = (a["work_id"] == "P2").to_numpy()
    want_p2 = {"author_slots": 4, "with_country": 1.0, "with_institution": 1.0}
    assert slot_coverage(a) == want_all
    assert slot_coverage(a, rows=p2) == want_p2
    slots = slot_numbers(a, c.work_codes()[0])
    present = {k: c.unit_codes(k)[0] >= 0 for k in ("country", "institution_key")}
    assert slot_coverage(a, slots=slots, present=present) == want_all
    assert slot_coverage(a, rows=p2, slots=slots, present=present) == want_p2
    assert slot_coverage(a, rows=~(a["position"] >= 0).to_numpy()) == {"author_slots": 0, "with_country": 0.0,
                                                                      "with_institution": 0.0}
    c.meta["inputs"] = []
    s = summary(c)
    assert {k: s[k] for k in want_all} == want_all and s["unlinked_affiliation_rows"] == 1
