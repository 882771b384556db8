"""Peer: pyBibX loads a Scopus CSV or WoS file (pbx_probe) and builds its country adjacency matrix.

Run inside the venv that has pybibx.  Prints one JSON line: records, nodes, edges, seconds.
"""
import json
import sys
import time

t0 = time.perf_counter()
from pybibx.base import pbx_probe  # noqa: E402  (its import alone takes seconds: part of the cost)

path, db = sys.argv[1], sys.argv[2]
bib = pbx_probe(file_bib=path, db=db, del_duplicated=True)
bib._pbx_probe__adjacency_matrix_ctr(1)
m = bib.matrix_a.sparse.to_coo()
nodes = int(((m.sum(axis=0) > 0).sum()))
edges = int((m.nnz - m.diagonal().astype(bool).sum()) // 2)
print(json.dumps({"records": int(bib.data.shape[0]), "nodes": nodes, "edges": edges,
                  "seconds": time.perf_counter() - t0}))
