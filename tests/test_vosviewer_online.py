"""VOSviewer Online itself (npm vosviewer-online 1.2.2, bundled with esbuild) opens collabnet's VOSviewer JSON.

Needs `npm ci` in tests/vosviewer (.ci/run does it) and Debian's chromium; skipped otherwise.
"""
import json
import re
import subprocess

import pytest

from browser import Page, needs_browser
from conftest import HERE
from collabnet.export import write_graph

HARNESS = HERE / "vosviewer"
ESBUILD = HARNESS / "node_modules" / ".bin" / "esbuild"
needs_npm = pytest.mark.skipif(not ESBUILD.exists(), reason="run `npm ci` in tests/vosviewer (the CI script does)")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("vos") / "bundle.js"
    subprocess.run([str(ESBUILD), str(HARNESS / "entry.jsx"), "--bundle", "--format=iife", "--minify",
                    f"--outfile={out}", '--define:process.env.NODE_ENV="production"', "--loader:.js=jsx",
                    "--log-level=error"], check=True, cwd=HARNESS)
    return out.read_text()


def _open(tmp_path, bundle, vos_json):
    safe = vos_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    page = tmp_path / "vos.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div id="root"></div>'
                    f'<script type="application/json" id="vos-data">{safe}</script><script>{bundle}</script></body></html>')
    return Page(page)


def _status(p):
    p.page.wait_for_function("/links: \\d+/i.test(document.body.textContent)", timeout=60000)
    return re.search(r"(\w+): (\d+) \| ([\w -]+?): (\d+) \|", p.page.evaluate("document.body.textContent"))


@needs_npm
@needs_browser
def test_vosviewer_online_renders_country_network(tmp_path, bundle, seed_openalex):
    from collabnet.networks import country_graph
    from collabnet.layout import layout
    G = country_graph(seed_openalex)
    for u, (x, y) in layout(G).items():
        G.nodes[u].update(x=x, y=y, cluster=1)
    write_graph(G, str(tmp_path), "country", "country", "countries")
    text = (tmp_path / "country_vosviewer.json").read_text()
    data = json.loads(text)
    with _open(tmp_path, bundle, text) as p:
        m = _status(p)
        assert m.group(1) == "Countries" and int(m.group(2)) == len(data["network"]["items"]) == 72
        assert m.group(3) == "Co-authorship links" and int(m.group(4)) == len(data["network"]["links"]) == 2556
        # the only request the viewer makes is its link shortener, blocked here
        assert all("tinyurl.com" in r for r in p.requests)


@needs_npm
@needs_browser
def test_vosviewer_online_default_terminology_and_escaping(tmp_path, bundle):
    import networkx as nx
    G = nx.Graph()
    evil = "<img src=x onerror=alert(1)>"
    G.add_node("a", name=evil, works=3, x=0.1, y=0.2, cluster=1)
    G.add_node("b", name="B", works=1, x=-0.3, y=0.4, cluster=2)
    G.add_node("c", name="C", works=2, x=0.5, y=-0.1, cluster=1)
    G.add_edge("a", "b", weight=1.0)
    G.add_edge("a", "c", weight=2.5)
    write_graph(G, str(tmp_path), "g")  # default terminology: items / links
    data = json.loads((tmp_path / "g_vosviewer.json").read_text())
    del data["config"]
    with _open(tmp_path, bundle, json.dumps(data)) as p:
        m = _status(p)
        assert (m.group(1), int(m.group(2)), m.group(3), int(m.group(4))) == ("Items", 3, "Links", 2)
        assert p.dialogs == [] and p.page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
        assert [e for e in p.page_errors if e != "Failed to fetch"] == []
