"""Relatedness graphs and clustering (methods.md 7.1, 7.3, 7.4): Leiden (CPM or modularity) and Louvain."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

SEED = 42


class TopicGraph:
    """Undirected weighted graph over core works (sorted ids) plus, for EDC, external nodes of size 0."""

    def __init__(self, nodes: list, n_core: int, rows, cols, weights):
        self.nodes = nodes
        self.n_core = n_core
        self.rows = np.asarray(rows, dtype=np.int64)
        self.cols = np.asarray(cols, dtype=np.int64)
        self.weights = np.asarray(weights, dtype=float)

    @property
    def sizes(self):
        return [1] * self.n_core + [0] * (len(self.nodes) - self.n_core)

    def linked_core_share(self) -> float:
        if not self.n_core:
            return 0.0
        deg = np.zeros(len(self.nodes))
        np.add.at(deg, self.rows, 1)
        np.add.at(deg, self.cols, 1)
        return float((deg[: self.n_core] > 0).mean())

    def igraph(self):
        import igraph as ig
        g = ig.Graph(n=len(self.nodes), edges=list(zip(self.rows.tolist(), self.cols.tolist())), directed=False)
        g.es["weight"] = self.weights.tolist()
        return g


def _sym_upper(i, j, w, n):
    """Sum weights of i-j and j-i into one upper-triangular entry per pair; drop self-pairs."""
    a, b = np.minimum(i, j), np.maximum(i, j)
    keep = a != b
    M = sp.coo_matrix((w[keep], (a[keep], b[keep])), shape=(n, n)).tocsr()
    M.sum_duplicates()
    M = M.tocoo()
    order = np.lexsort((M.col, M.row))
    return M.row[order], M.col[order], M.data[order]


def relatedness_graph(refs: pd.DataFrame, work_ids, method: str = "dc", weighting: str = "cwts") -> TopicGraph:
    """Build the relatedness graph.

    ``dc``: direct citation within the corpus; with ``cwts`` weighting a citing work spreads weight 1
    over its in-corpus links (a citation i -> j weighs 1/r_i; mutual citations add).  ``edc``: DC plus
    the cited works outside the corpus as nodes of size 0 (CWTS extended direct citation).  ``bc``:
    bibliographic coupling over all references, cosine-normalised (``weighting='raw'`` for counts).
    """
    nodes = sorted(work_ids)
    index = {w: k for k, w in enumerate(nodes)}
    n = len(nodes)
    r = refs[refs["work_id"].isin(index)]
    if method in ("dc", "edc"):
        if method == "dc":
            links = r.dropna(subset=["cited_work_id"])
            links = links[links["cited_work_id"].isin(index)][["work_id", "cited_work_id"]].drop_duplicates()
            src = links["work_id"].map(index).to_numpy()
            dst = links["cited_work_id"].map(index).to_numpy()
            all_nodes = nodes
        else:
            tgt = r["cited_work_id"].where(r["cited_work_id"].isin(index), r["ext_id"])
            links = pd.DataFrame({"work_id": r["work_id"], "t": tgt}).dropna().drop_duplicates()
            links = links[links["t"] != links["work_id"]]
            ext = sorted(set(links["t"]) - set(index))
            # an external node that only one core work cites links nothing: drop it
            cnt = links[links["t"].isin(set(ext))]["t"].value_counts()
            ext = [e for e in ext if cnt.get(e, 0) >= 2]
            eidx = {e: n + k for k, e in enumerate(ext)}
            links = links[links["t"].isin(index) | links["t"].isin(eidx)]
            src = links["work_id"].map(index).to_numpy()
            dst = links["t"].map(lambda x: index.get(x, eidx.get(x))).to_numpy()
            all_nodes = nodes + ext
        if weighting == "cwts":
            out_deg = np.bincount(src, minlength=len(all_nodes)).astype(float)
            w = 1.0 / out_deg[src]
        else:
            w = np.ones(len(src))
        i, j, v = _sym_upper(src.astype(np.int64), dst.astype(np.int64), w, len(all_nodes))
        return TopicGraph(all_nodes, n, i, j, v)
    if method == "bc":
        keys = r.assign(k=r["ext_id"]).dropna(subset=["k"])[["work_id", "k"]].drop_duplicates()
        kid = {k: t for t, k in enumerate(sorted(set(keys["k"])))}
        B = sp.csr_matrix((np.ones(len(keys)), (keys["work_id"].map(index).to_numpy(), keys["k"].map(kid).to_numpy())),
                          shape=(n, len(kid)))
        C = sp.triu(B @ B.T, k=1).tocoo()
        data = C.data.astype(float)
        if weighting != "raw":
            rl = np.asarray(B.sum(axis=1)).ravel()
            data = data / np.sqrt(rl[C.row] * rl[C.col])
        order = np.lexsort((C.col, C.row))
        return TopicGraph(nodes, n, C.row[order], C.col[order], data[order])
    raise ValueError(f"unknown relatedness {method!r} (dc, edc, bc)")


LEIDEN_MAX_ITERATIONS = 1000  # a bound; the stop on no improvement came first on every graph tried


def leiden(graph: TopicGraph, quality: str = "cpm", resolution: float = 1.0, seed: int = SEED,
           engine: str = "igraph") -> np.ndarray:
    """Leiden membership of every node, iterated until an iteration no longer improves the quality.

    ``engine``: ``igraph`` (``Graph.community_leiden``, the default: methods.md 7.3 names it an acceptable
    substitute) or ``leidenalg``.  Both optimise the same CPM (node sizes 1 for core papers, 0 for external
    nodes) or modularity; on the planted worlds they return the same partition, igraph 10-20 times faster
    (2.5 s against 30 s for the 105k papers and 556k links of the scale-20 world; docs/decisions.md)."""
    if quality not in ("cpm", "modularity"):
        raise ValueError(f"unknown quality {quality!r} (cpm, modularity)")
    if engine == "igraph":
        return _leiden_igraph(graph, quality, resolution, seed)
    if engine == "leidenalg":
        return _leiden_leidenalg(graph, quality, resolution, seed)
    raise ValueError(f"unknown Leiden engine {engine!r} (igraph, leidenalg)")


def _leiden_igraph(graph: TopicGraph, quality: str, resolution: float, seed: int) -> np.ndarray:
    """One iteration at a time, kept while the quality rises: igraph's own n_iterations=-1 stops only at an
    iteration that changes nothing, and loops for ever where nodes of zero gain keep moving (an 18-node
    graph of a real OpenAlex export at modularity resolution 3).  An unchanged partition has the same
    quality, so it stops there too."""
    from ..layout import seeded_igraph
    g = graph.igraph()
    kw = {"node_weights": [float(x) for x in graph.sizes]} if quality == "cpm" else {}
    membership, best = None, None
    with seeded_igraph(seed):
        for _ in range(LEIDEN_MAX_ITERATIONS):
            part = g.community_leiden(objective_function="CPM" if quality == "cpm" else "modularity",
                                      weights="weight", resolution=resolution, n_iterations=1,
                                      initial_membership=membership, **kw)
            if best is not None and part.quality <= best + 1e-10 * max(1.0, abs(best)):
                break
            membership, best = part.membership, part.quality
    return np.asarray(membership)


def _leiden_leidenalg(graph: TopicGraph, quality: str, resolution: float, seed: int) -> np.ndarray:
    import leidenalg as la
    kind, kw = ((la.CPMVertexPartition, {"node_sizes": graph.sizes}) if quality == "cpm"
                else (la.RBConfigurationVertexPartition, {}))
    part = la.find_partition(graph.igraph(), kind, weights="weight", resolution_parameter=resolution, seed=seed,
                             n_iterations=-1, **kw)
    return np.asarray(part.membership)


def louvain(graph: TopicGraph, resolution: float = 1.0, seed: int = SEED) -> np.ndarray:
    """python-louvain (modularity only)."""
    import community as community_louvain
    import networkx as nx
    G = nx.Graph()
    G.add_nodes_from(range(len(graph.nodes)))
    G.add_weighted_edges_from(zip(graph.rows.tolist(), graph.cols.tolist(), graph.weights.tolist()))
    part = community_louvain.best_partition(G, weight="weight", resolution=resolution, random_state=seed)
    return np.array([part[k] for k in range(len(graph.nodes))])


def renumber(membership: np.ndarray, graph: TopicGraph) -> np.ndarray:
    """Clusters numbered 1.. by decreasing core size, ties by smallest member id; core nodes only."""
    core = membership[: graph.n_core]
    sizes = pd.Series(core).value_counts()
    first = pd.Series(np.arange(graph.n_core)).groupby(core).min()  # nodes are sorted ids, so index order = id order
    order = sorted(sizes.index, key=lambda c: (-sizes[c], first[c]))
    new = {c: k + 1 for k, c in enumerate(order)}
    return np.array([new[c] for c in core])


def merge_small(membership: np.ndarray, graph: TopicGraph, min_size: int) -> np.ndarray:
    """Waltman-van Eck merging of clusters below min_size (methods.md 7.4); min_size 1 = off."""
    if min_size <= 1:
        return membership
    m = membership.copy()
    core = graph.n_core
    while True:
        sizes = pd.Series(m[:core]).value_counts()
        small = sizes[sizes < min_size]
        if small.empty:
            return m
        # smallest first, ties by lowest cluster number
        cands = sorted(small.index, key=lambda c: (small[c], c))
        merged = False
        for c in cands:
            a, b = m[graph.rows], m[graph.cols]
            sel = (a == c) ^ (b == c)
            if not sel.any():
                continue
            other = np.where(a[sel] == c, b[sel], a[sel])
            wsum = pd.Series(graph.weights[sel]).groupby(other).sum()
            score = {o: wsum[o] / max(sizes.get(o, 0), 1e-12) for o in wsum.index if sizes.get(o, 0) > 0}
            if not score:
                continue
            best = sorted(score, key=lambda o: (-score[o], o))[0]
            m[m == c] = best
            merged = True
            break
        if not merged:
            return m


def nmi(a, b) -> float:
    """Normalised mutual information (arithmetic mean normalisation).  The contingency table is kept
    sparse (one count per pair of labels that occur together): a dense one of two partitions with tens of
    thousands of singletons each would need tens of GB."""
    a, b = pd.factorize(pd.Series(list(a)))[0], pd.factorize(pd.Series(list(b)))[0]
    n = len(a)
    if n == 0:
        return 0.0
    ab = pd.DataFrame({"a": a, "b": b}).value_counts()
    pij = ab.to_numpy().astype(float) / n
    pi = np.bincount(a).astype(float) / n
    pj = np.bincount(b).astype(float) / n
    ia = ab.index.get_level_values("a").to_numpy()
    jb = ab.index.get_level_values("b").to_numpy()
    mi = float((pij * np.log(pij / (pi[ia] * pj[jb]))).sum())
    ha = -float((pi * np.log(pi)).sum())
    hb = -float((pj * np.log(pj)).sum())
    return 1.0 if ha + hb == 0 else 2 * mi / (ha + hb)
