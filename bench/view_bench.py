"""How fast an institution view of a ~100k-work world opens in headless Chromium.

    python bench/view_bench.py [--scale 20] [--loads 3]

Builds the institution graph of the planted world (bench/work/jpnl_s{scale}), writes the view as
`collabnet build` does (communities, layout, default --max-nodes and link cap), then opens it three
times in Debian's chromium (Playwright, network blocked) and records the time from navigation to the
first completed draw (vis-network's first `afterDrawing`). Writes the "views" section of RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from _common import machine, world, write_section  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=20)
    ap.add_argument("--loads", type=int, default=3)
    a = ap.parse_args()
    from browser import Page
    from collabnet.corpus import Corpus
    from collabnet.networks import institution_graph
    from collabnet.views.build import networks_and_views
    d = world(a.scale)
    corpus = Corpus.load(os.path.join(d, "corpus"))
    t0 = time.perf_counter()
    G = institution_graph(corpus)
    t_graph = time.perf_counter() - t0
    out = tempfile.mkdtemp(prefix="collabnet_view_")
    t0 = time.perf_counter()
    networks_and_views(out, corpus, {"institution": G}, report_exists=False)
    t_write = time.perf_counter() - t0
    page = os.path.join(out, "views", "institution.html")
    size = os.path.getsize(page)
    loads = []
    for _ in range(a.loads):
        t0 = time.perf_counter()
        with Page(page) as p:
            p.page.wait_for_function("window.collabnetView && window.collabnetView.ready", timeout=120000)
            wall = time.perf_counter() - t0
            first_draw = p.page.evaluate("collabnetView.firstDraw") / 1000
            n, m = p.page.evaluate("[collabnetView.nodeCount, collabnetView.edgeCount]")
            assert not p.requests and not p.page_errors, (p.requests, p.page_errors)
        loads.append((first_draw, wall))
        print(f"first draw {first_draw:.2f} s after navigation (browser start + load {wall:.2f} s)", flush=True)
    fd = statistics.median(x for x, _ in loads)
    lines = ["## Interactive views (bench/view_bench.py)", "",
             f"Machine: {machine()}. Date: {time.strftime('%Y-%m-%d')}.",
             f"World: jpnl scale {a.scale}, {len(corpus.works):,} works; institution graph {G.number_of_nodes():,} nodes, "
             f"{G.number_of_edges():,} edges (built in {t_graph:.1f} s; exports, layout and view written in {t_write:.1f} s).",
             f"View: {n:,} nodes and {m:,} links shown (defaults: --max-nodes 2000, the 20,000 strongest links), "
             f"file {size / 2 ** 20:.1f} MB, self-contained.", "",
             "| load | first draw after navigation (s) | browser start to ready (s) |", "|---|---|---|"]
    lines += [f"| {k + 1} | {x:.2f} | {y:.2f} |" for k, (x, y) in enumerate(loads)]
    lines += ["", f"Median first draw: **{fd:.2f} s** (target: interactive within 5 s)."]
    write_section("views", "\n".join(lines))
    print(f"median first draw {fd:.2f} s; written RESULTS.md")


if __name__ == "__main__":
    main()
