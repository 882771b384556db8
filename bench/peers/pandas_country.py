"""Peer baseline: a plain pandas + networkx script that builds the country network from a Scopus CSV.

Splits the Affiliations column on "; ", takes the last ", " element as the country (no cleaning),
and counts co-occurrences into a networkx graph.  Prints one JSON line: records, nodes, edges, seconds
(with ``--labels``: also records per country label and the records without one, for bench/correctness.py).
"""
import itertools
import sys
import time

from _labels import Labels, emit  # (bench/peers/_labels.py, next to this script)

import networkx as nx
import pandas as pd

t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1], usecols=["Affiliations"], dtype=str, keep_default_na=False)
G = nx.Graph()
labels = Labels()
for aff in df["Affiliations"]:
    cs = sorted({a.rsplit(", ", 1)[-1].strip() for a in aff.split("; ") if a.strip()})
    labels.add(cs)
    for c in cs:
        G.add_node(c)
    for a, b in itertools.combinations(cs, 2):
        if G.has_edge(a, b):
            G[a][b]["weight"] += 1
        else:
            G.add_edge(a, b, weight=1)
out = {"records": len(df), "nodes": G.number_of_nodes(), "edges": G.number_of_edges(),
       "seconds": time.perf_counter() - t0}
emit(out, labels)
