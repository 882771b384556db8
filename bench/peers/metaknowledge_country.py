"""Peer: metaknowledge reads a WoS or (old-layout) Scopus file; the country network is built from its records.

metaknowledge has no country parser: the country is the last ", " element of each address (WoS C1 with
the [authors] prefix removed; Scopus "Affiliations").  Run inside the venv that has metaknowledge.
Prints one JSON line: records, nodes, edges, seconds (with ``--labels``: also records per country
label and the records without one, for bench/correctness.py).
"""
import itertools
import re
import sys
import time

from _labels import Labels, emit  # (bench/peers/_labels.py, next to this script)

import metaknowledge as mk
import networkx as nx

t0 = time.perf_counter()
RC = mk.RecordCollection(sys.argv[1])
G = nx.Graph()
labels = Labels()
n = 0
for r in RC:
    n += 1
    addrs = []
    c1 = r.get("C1") if "C1" in r else None
    if c1:
        addrs = [re.sub(r"^\[[^\]]*\]\s*", "", a) for a in (c1 if isinstance(c1, list) else [c1])]
    else:
        aff = r.get("affiliations") or r.get("Affiliations") or ""
        addrs = aff.split("; ") if isinstance(aff, str) else list(aff)
    cs = sorted({a.rstrip(". ").rsplit(", ", 1)[-1].strip() for a in addrs if a and a.strip()})
    labels.add(cs)
    G.add_nodes_from(cs)
    for a, b in itertools.combinations(cs, 2):
        G.add_edge(a, b, weight=G[a][b]["weight"] + 1 if G.has_edge(a, b) else 1)
out = {"records": n, "nodes": G.number_of_nodes(), "edges": G.number_of_edges(),
       "seconds": time.perf_counter() - t0}
emit(out, labels)
