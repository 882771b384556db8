"""Graph exports (round trips through networkx, igraph and load_graph) and the HTML views in Chromium."""
import json
import os

import networkx as nx
import pytest

from conftest import read_tree

import collabnet
from browser import Page, needs_browser
from toy import toy_corpus
from collabnet.export import write_graph
from collabnet.report import analyse
from collabnet.views.build import networks_and_views

EVIL = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"


def _weights(G):
    return {frozenset((str(u), str(v))): round(float(d["weight"]), 6) for u, v, d in G.edges(data=True)}


def _small_graph():
    G = nx.Graph()
    G.add_node("ror:1", name="Univ <A>", sector="academic", works=3, citations=10.0, x=0.5, y=-1.0, cluster=1,
               tags=["a", "b"], extra=None)
    G.add_node("name:b c", name='B "quoted"\tname', sector="corporate", works=1, citations=0.0, x=1.0, y=2.0,
               cluster=2, tags={"k": 1})
    G.add_node("C", works=2, citations=1.5, x=0, y=0, cluster=1)
    G.add_edge("ror:1", "name:b c", weight=0.5, works=1, ids=["W1"])
    G.add_edge("ror:1", "C", weight=2.0, works=2)
    return G


EXPORTS = ["g.graphml", "g.gexf", "g.net", "g_vosviewer.json", "g_vosviewer_map.txt", "g_vosviewer_network.txt",
           "g_nodes.csv", "g_edges.csv"]


def test_every_export_round_trips(tmp_path):
    G = _small_graph()  # list, dict and None attributes, quotes, a tab, '<' in names
    paths = write_graph(G, str(tmp_path), "g")
    assert sorted(os.path.basename(p) for p in paths) == sorted(EXPORTS)
    for name in EXPORTS:
        H = collabnet.load_graph(tmp_path / name)
        assert set(H.nodes) == set(G.nodes), name
        assert _weights(H) == _weights(G), name
    H = collabnet.load_graph(tmp_path / "g.graphml")
    assert json.loads(H.nodes["ror:1"]["tags"]) == ["a", "b"] and H.nodes["ror:1"]["name"] == "Univ <A>"


def test_other_tools_read_the_exports(tmp_path):
    import igraph as ig
    G = _small_graph()
    write_graph(G, str(tmp_path), "g")
    g = ig.Graph.Read_GraphML(str(tmp_path / "g.graphml"))
    assert g.vcount() == 3 and sorted(g.es["weight"]) == [0.5, 2.0]
    assert sorted(g.vs["id"]) == sorted(G.nodes)
    p = ig.Graph.Read_Pajek(str(tmp_path / "g.net"))
    assert p.vcount() == 3 and sorted(p.es["weight"]) == [0.5, 2.0] and sorted(p.vs["name"]) == sorted(G.nodes)
    x = nx.read_gexf(tmp_path / "g.gexf")
    assert set(x.nodes) == set(G.nodes) and x.edges["ror:1", "C"]["weight"] == 2.0


def test_vosviewer_json_structure(tmp_path):
    write_graph(_small_graph(), str(tmp_path), "g", "institution", "institutions")
    d = json.loads((tmp_path / "g_vosviewer.json").read_text())
    items, links = d["network"]["items"], d["network"]["links"]
    assert [i["id"] for i in items] == ["C", "name:b c", "ror:1"]
    for it in items:
        assert set(it) >= {"id", "label", "x", "y", "cluster", "weights", "scores"}
        assert isinstance(it["x"], float) and isinstance(it["cluster"], int)
    u = next(i for i in items if i["id"] == "ror:1")
    assert u["label"] == "Univ \u2039A\u203a" and u["weights"] == {"Links": 2, "Total link strength": 2.5, "Documents": 3}
    assert u["scores"]["Citations"] == 10.0
    assert links == [{"source_id": "C", "target_id": "ror:1", "strength": 2.0},
                     {"source_id": "name:b c", "target_id": "ror:1", "strength": 0.5}]
    assert d["config"]["terminology"]["item"] == "institution"
    # no markup reaches VOSviewer: labels get look-alike brackets, the description is HTML-escaped
    m = (tmp_path / "g_vosviewer_map.txt").read_text()
    assert "Univ \u2039A\u203a" in m and "<A>" not in m


def test_exports_are_deterministic(tmp_path):
    G = _small_graph()
    write_graph(G, str(tmp_path / "a"), "g")
    write_graph(G, str(tmp_path / "b"), "g")
    for n in EXPORTS:
        assert (tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes(), n
    assert b"lastmodifieddate" not in (tmp_path / "a" / "g.gexf").read_bytes()


@pytest.fixture(scope="module")
def seed_build(tmp_path_factory, seed_openalex):
    from collabnet.topics import TopicOptions
    out = tmp_path_factory.mktemp("views")
    graphs = {}
    rep, tables = analyse(seed_openalex, ["JP", "NL"], topics=TopicOptions(), graphs=graphs)
    networks_and_views(str(out), seed_openalex, graphs)
    return out, rep, graphs


def test_seed_world_exports_round_trip(seed_build):
    out, rep, graphs = seed_build
    for name, G in (("country", graphs["country"]), ("institution", graphs["institution"])):
        for ext in (".graphml", ".gexf", ".net", "_vosviewer.json", "_vosviewer_map.txt", "_nodes.csv"):
            H = collabnet.load_graph(out / "networks" / f"{name}{ext}")
            assert H.number_of_nodes() == G.number_of_nodes() and H.number_of_edges() == G.number_of_edges(), (name, ext)
            assert _weights(H) == _weights(G), (name, ext)
    assert graphs["country"].number_of_nodes() == 72 and graphs["country"].number_of_edges() == 2556


@needs_browser
@pytest.mark.parametrize("view", ["country", "institution", "topics"])
def test_seed_world_views_in_chromium(seed_build, view):
    out, rep, graphs = seed_build
    if view == "topics":
        described = graphs["topics"].membership["described"].sum()
        want_nodes = min(2000, int(described))
    else:
        want_nodes = graphs[view].number_of_nodes()
    with Page(out / "views" / f"{view}.html") as p:
        p.page.wait_for_function("window.collabnetView && window.collabnetView.ready", timeout=60000)
        n, m = p.page.evaluate("[collabnetView.nodeCount, collabnetView.edgeCount]")
        assert p.console_errors == [] and p.page_errors == [] and p.requests == [] and p.dialogs == []
        assert n == want_nodes
        info = p.page.inner_text("#info")
        assert f"showing {n} of" in info and f"{m} of" in info
        if view == "country":
            assert (n, m) == (72, 2556)
            tip = p.page.evaluate("collabnetTip('JP').textContent")
            assert "works: 5,244" in tip and "top partners: NL" in tip
        # the search box finds and selects nodes
        p.page.fill("#search", "univ" if view != "country" else "JP")
        p.page.press("#search", "Enter")
        assert "found" in p.page.inner_text("#found")


@needs_browser
def test_injected_html_runs_nothing(tmp_path):
    c = toy_corpus()
    a = c.authorships
    a.loc[a["institution"] == "Pfizer", "institution"] = EVIL
    c.works["title"] = EVIL
    graphs = {}
    analyse(c, ["JP", "NL"], graphs=graphs, topics=None)
    G = graphs["institution"]
    assert G.nodes["name:pfizer"]["name"] == EVIL
    networks_and_views(str(tmp_path), c, graphs)
    page = (tmp_path / "views" / "institution.html").read_text()
    assert EVIL not in page and "<img src=x" not in page
    with Page(tmp_path / "views" / "institution.html") as p:
        p.page.wait_for_function("window.collabnetView && window.collabnetView.ready", timeout=30000)
        assert p.dialogs == [] and p.page_errors == [] and p.requests == []
        tip = p.page.evaluate("collabnetTip('name:pfizer').textContent")
        assert EVIL in tip
        assert p.page.evaluate("document.querySelectorAll('img').length") == 0
        p.page.fill("#search", "alert")
        p.page.press("#search", "Enter")
        assert p.page.inner_text("#found") == "1 found" and p.dialogs == []


def test_view_command_prints_path(tmp_path):
    from click.testing import CliRunner
    from collabnet.cli import main
    os.makedirs(tmp_path / "views")
    (tmp_path / "views" / "index.html").write_text("<html></html>")
    r = CliRunner().invoke(main, ["view", str(tmp_path), "--print"])
    assert r.exit_code == 0 and r.output.strip() == str(tmp_path / "views" / "index.html")
    r = CliRunner().invoke(main, ["view", str(tmp_path / "views")])
    assert r.exit_code == 2 and "no views/index.html" in r.output




def test_whole_build_is_byte_identical(tmp_path, fixture_path):
    """Same input, same files: corpus, report, tables, figures (PNG/SVG), exports (GEXF/GraphML/...), views."""
    from click.testing import CliRunner
    from collabnet.cli import main
    for d in ("a", "b"):
        r = CliRunner().invoke(main, ["build", fixture_path("openalex_works.jsonl"), fixture_path("scopus_2023.csv"),
                                      "--out", str(tmp_path / d), "-q"])
        assert r.exit_code == 0, r.output
    a, b = read_tree(tmp_path / "a"), read_tree(tmp_path / "b")
    assert sorted(a) == sorted(b)
    assert {"views/index.html", "views/country.html", "views/institution.html", "networks/country.gexf",
            "networks/institution_vosviewer.json", "figures/country_network.svg", "figures/institution_network.png",
            "report.html"} <= set(a)
    assert [k for k in a if a[k] != b[k]] == []
