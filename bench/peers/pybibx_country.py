"""Peer: pyBibX loads a Scopus CSV or WoS file (pbx_probe) and builds its country adjacency matrix.

Run inside the venv that has pybibx.  Prints one JSON line: records, nodes, edges, seconds (with ``--labels``:
also records per country label, from pyBibX's countries of each document, and the records without one,
for bench/correctness.py).
"""
import sys
import time

from _labels import Labels, emit  # (bench/peers/_labels.py, next to this script)

t0 = time.perf_counter()
from pybibx.base import pbx_probe  # noqa: E402  (its import alone takes seconds: part of the cost)

path, db = sys.argv[1], sys.argv[2]
bib = pbx_probe(file_bib=path, db=db, del_duplicated=True)
bib._pbx_probe__adjacency_matrix_ctr(1)
m = bib.matrix_a.sparse.to_coo()
nodes = int(((m.sum(axis=0) > 0).sum()))
edges = int((m.nnz - m.diagonal().astype(bool).sum()) // 2)
out = {"records": int(bib.data.shape[0]), "nodes": nodes, "edges": edges, "seconds": time.perf_counter() - t0}
labels = Labels()
if "--labels" in sys.argv:  # (only then: bib.ctr is a list per document, walked here once)
    for cs in bib.ctr:
        labels.add(sorted({c.strip() for c in cs if isinstance(c, str) and c.strip() and c.strip() != "UNKNOWN"}))
emit(out, labels)
