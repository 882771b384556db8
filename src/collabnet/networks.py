"""Country and institution co-authorship networks (methods.md 1.2, 2 and 6).

Co-occurrence is a sparse product of the works x units incidence matrix, so
mega-papers with hundreds of countries or institutions cost one row of the
matrix, not a Python loop over their pairs.

Node attributes: ``works`` (full counting), ``works_fractional`` (unit-
fractional credit 1/m per work), ``citations`` (one source, see
:meth:`Corpus.citation_source`), ``internal_weight`` (author-based self-loop
store); institutions also ``name``, ``sector``, ``country``.
Edge attributes: ``works`` (joint works, full counting), ``weight`` (the chosen
counting scheme) and, when a normalisation is chosen, ``similarity``.
"""
from __future__ import annotations

import warnings
from fractions import Fraction

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .corpus import first_rows
from .memory import bulk_allocation

COUNTINGS = ("full", "unit_fractional", "pair_normalised", "author_based")
NORMALIZATIONS = ("none", "association_strength", "cosine", "jaccard", "inclusion")


def incidence(corpus, unit: str = "country", works=None):
    """(B, work ids, unit ids): the binary works x units matrix (methods.md 1.1 unit sets U_p)."""
    col = "country" if unit == "country" else "institution_key"
    # the distinct (work, unit) pairs, in the order of their first rows, on integer codes
    ucode, uvals = corpus.unit_codes(col)  # (no unit: -1)
    wcode, wvals = corpus.work_codes()
    keep = ucode >= 0
    if works is not None:
        keep &= corpus.authorship_mask(set(works))
    rows = np.flatnonzero(keep)
    rows = rows[first_rows(wcode[rows].astype(np.int64) * max(len(uvals), 1) + ucode[rows])]   # (in row order)
    w, u = wcode[rows], ucode[rows]
    wids = np.array(sorted(np.asarray(wvals, dtype=object)[np.unique(w)]), dtype=object)
    units = np.array(sorted(np.asarray(uvals, dtype=object)[np.unique(u)]), dtype=object)
    wi = pd.Index(wids).get_indexer(wvals)[w]
    ui = pd.Index(units).get_indexer(uvals)[u]
    B = sp.csr_matrix((np.ones(len(rows)), (wi, ui)), shape=(len(wids), len(units)))
    return B, wids, units


def _author_matrices(corpus, unit, wids, units):
    """Author-based counting: per-slot unit distributions x_i (rows sum to 1) and n_p per work."""
    col = "country" if unit == "country" else "institution_key"
    a = corpus.authorships
    slots = a[a["position"] >= 0]
    n = slots.groupby("work_id")["position"].nunique().reindex(wids).fillna(0).to_numpy()
    r = slots.loc[slots[col].notna() & slots["work_id"].isin(set(wids)), ["work_id", "position", col]]
    # an author with k affiliation records gives 1/k to each (methods.md 1.1); same unit twice adds up
    r = r.assign(k=r.groupby(["work_id", "position"])[col].transform("size"))
    r = r.assign(w=1.0 / r["k"]).groupby(["work_id", "position", col], as_index=False)["w"].sum()
    keys = r[["work_id", "position"]].drop_duplicates().reset_index(drop=True)
    ki = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(r[["work_id", "position"]]))
    X = sp.csr_matrix((r["w"].to_numpy(), (ki, pd.Index(units).get_indexer(r[col]))), shape=(len(keys), len(units)))
    owner = pd.Index(wids).get_indexer(keys["work_id"])
    return X, owner, n


@bulk_allocation()
def cooccurrence(corpus, unit="country", counting="unit_fractional", works=None):
    """(C full counts, W weights, self-loop store, B, wids, units) for one counting scheme (methods.md 1.2)."""
    if counting not in COUNTINGS:
        raise ValueError(f"counting must be one of {', '.join(COUNTINGS)}")
    B, wids, units = incidence(corpus, unit, works)
    m = np.asarray(B.sum(axis=1)).ravel()
    C = (B.T @ B).tocsr()
    C.setdiag(0)
    C.eliminate_zeros()
    loops = np.zeros(len(units))
    if counting == "full":
        W = C
    elif counting in ("unit_fractional", "pair_normalised"):
        d = np.zeros_like(m, dtype=float)
        ok = m >= 2
        d[ok] = 1.0 / (m[ok] - 1) if counting == "unit_fractional" else 2.0 / (m[ok] * (m[ok] - 1))
        W = (B.T @ sp.diags(d) @ B).tocsr()
        W.setdiag(0)
        W.eliminate_zeros()
    else:
        X, owner, n = _author_matrices(corpus, unit, wids, units)
        P = sp.csr_matrix((np.ones(len(owner)), (owner, np.arange(len(owner)))), shape=(len(wids), X.shape[0])) @ X
        dn = np.zeros(len(wids))
        ok = n >= 2
        dn[ok] = 1.0 / (n[ok] - 1)
        M = (P.T @ sp.diags(dn) @ P - X.T @ sp.diags(dn[owner]) @ X).tocsr()
        loops = M.diagonal() / 2.0
        M.setdiag(0)
        M.eliminate_zeros()
        W = M
    return C, W, loops, B, wids, units


def similarity(c, si, sj, normalization, n_works=None):
    """Normalised co-occurrence (methods.md 2); 0 where undefined, never NaN.

    >>> round(similarity(2, 2, 3, "association_strength"), 4), round(similarity(2, 2, 3, "cosine"), 4)
    (0.3333, 0.8165)
    """
    c, si, sj = np.asarray(c, float), np.asarray(si, float), np.asarray(sj, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if normalization == "association_strength":
            v = c / (si * sj)
        elif normalization == "probabilistic_association_strength":
            v = n_works * c / (si * sj)
        elif normalization == "cosine":
            v = c / np.sqrt(si * sj)
        elif normalization == "equivalence":
            v = c ** 2 / (si * sj)
        elif normalization == "jaccard":
            v = c / (si + sj - c)
        elif normalization == "inclusion":
            v = c / np.minimum(si, sj)
        else:
            raise ValueError(f"normalization must be one of {', '.join(NORMALIZATIONS)}")
    v = np.where(np.isfinite(v), v, 0.0)
    return float(v) if v.ndim == 0 else v


@bulk_allocation()   # (its columns and matrices: see memory.py)
def _graph(corpus, unit, counting, normalization, works):
    C, W, loops, B, wids, units = cooccurrence(corpus, unit, counting, works)
    m = np.asarray(B.sum(axis=1)).ravel()
    size = np.asarray(B.sum(axis=0)).ravel()
    frac = np.asarray(B.T @ (1.0 / np.maximum(m, 1))).ravel()
    cites = np.zeros(len(units))
    src = corpus.citation_source()
    if src is not None and len(wids):
        cv = corpus.citations(src).reindex(wids).fillna(0).to_numpy(dtype=float)
        cites = np.asarray(B.T @ cv).ravel()
    G = nx.Graph(unit=unit, counting=counting, normalization=normalization, citation_source=src or "none",
                 works=int(len(wids)))
    for i, u in enumerate(units):
        G.add_node(u, works=int(size[i]), works_fractional=float(frac[i]), citations=float(cites[i]),
                   internal_weight=float(loops[i]))
    Cu = sp.triu(C, k=1).tocoo()
    order = np.lexsort((Cu.col, Cu.row))
    rows, cols, full = Cu.row[order], Cu.col[order], Cu.data[order]
    # the weight of each link, looked up in W all at once (0 where W has no entry)
    weights = full.astype(float) if counting == "full" else (
        np.asarray(W.tocsr()[rows, cols]).ravel().astype(float) if len(rows) else np.zeros(0))
    names, values = ["works", "weight"], [full.astype(int).tolist(), weights.tolist()]
    if normalization and normalization != "none":
        names.append("similarity")
        values.append(similarity(full, size[rows], size[cols], normalization, len(wids)).tolist())
    G.add_edges_from((units[i], units[j], dict(zip(names, v)))
                     for i, j, *v in zip(rows.tolist(), cols.tolist(), *values))
    return G


def country_graph(corpus, counting: str = "unit_fractional", normalization: str = "none", works=None) -> nx.Graph:
    """Country co-authorship network.

    ``counting``: full, unit_fractional (default; methods.md recommends it for
    structure), pair_normalised, author_based.  ``normalization`` adds an edge
    ``similarity``: association_strength, cosine, jaccard, inclusion.
    """
    return _graph(corpus, "country", counting, normalization, works)


def institution_graph(corpus, counting: str = "unit_fractional", normalization: str = "none", works=None) -> nx.Graph:
    """Institution co-authorship network; nodes carry name, sector and country."""
    G = _graph(corpus, "institution", counting, normalization, works)
    a = corpus.authorships
    # each institution's first row (its codes count in order of first appearance, so its first rows,
    # in row order, are in the order of its keys)
    codes, keys = corpus.unit_codes("institution_key")
    rows = first_rows(codes)
    rows = rows[codes[rows] >= 0]
    nodes = G.nodes
    for k, name, sector, country in zip(np.asarray(keys, dtype=object).tolist(),
                                        a["institution"].to_numpy()[rows].tolist(),
                                        a["sector"].to_numpy()[rows].tolist(), a["country"].to_numpy()[rows].tolist()):
        if k in nodes:
            nodes[k].update(name=name, sector=sector, country=country if pd.notna(country) else "")
    return G


IGRAPH_FROM_NODES = 150
IGRAPH_FROM_EDGES = 500


def centrality(G: nx.Graph, alpha: float = 0.5, engine: str = "auto") -> pd.DataFrame:
    """Centrality table of a weighted graph (methods.md 6), one row per node, sorted by node.

    Strength-type measures (strength, eigenvector, PageRank, weighted clustering) read ``weight``;
    path-based measures (betweenness, closeness) read the distance 1/weight (Newman).  Eigenvector
    centrality is computed on the largest component only (``NaN`` elsewhere), scaled to unit length.
    Closeness is Wasserman-Faust (networkx ``wf_improved``); weighted clustering is Onnela's
    geometric mean.  ``opsahl_degree`` = k^(1-alpha) * s^alpha (Opsahl et al. 2010).

    ``engine``: ``networkx``, ``igraph`` (C implementations; same values within 1e-9) or ``auto``
    (igraph from 150 nodes or 500 edges: networkx needs minutes on a 671-node, 54k-edge institution graph).
    The networkx engine is the exact reference: its betweenness runs on rational (Fraction) path
    lengths, so mathematically equal shortest paths are ties; igraph treats lengths equal within a
    relative 1e-10 as ties, which gives the same counts where float sums would break a tie.
    """
    if engine == "auto":
        big = G.number_of_nodes() >= IGRAPH_FROM_NODES or G.number_of_edges() >= IGRAPH_FROM_EDGES
        engine = "igraph" if big else "networkx"
    if engine not in ("networkx", "igraph"):
        raise ValueError(f"unknown centrality engine {engine!r}")
    nodes = sorted(G.nodes)
    n = len(nodes)
    idx = {u: i for i, u in enumerate(nodes)}
    deg = np.array([G.degree(u) for u in nodes], dtype=float)
    strength = np.array([G.degree(u, weight="weight") for u in nodes], dtype=float)
    comps = sorted(nx.connected_components(G), key=lambda c: (-len(c), min(c))) if n else []
    comp_of = np.zeros(n, dtype=int)
    comp_size = np.zeros(n, dtype=float)
    for ci, comp in enumerate(comps):
        for u in comp:
            comp_of[idx[u]] = ci
            comp_size[idx[u]] = len(comp)
    res = (_centrality_igraph if engine == "igraph" else _centrality_networkx)(G, nodes, idx, comps)
    note = res.pop("note", None)
    # Wasserman-Faust closeness: (r-1)/sum(d) * (r-1)/(n-1), r = nodes reachable incl. itself
    raw = res.pop("closeness_raw")
    clo = np.where(comp_size > 1, raw * (comp_size - 1) / max(n - 1, 1), 0.0)
    bet = res["betweenness"]
    scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0
    table = pd.DataFrame({
        "node": nodes,
        "degree": deg.astype(int),
        "strength": strength,
        "opsahl_degree": deg ** (1 - alpha) * strength ** alpha,
        "betweenness": bet,
        "betweenness_normalised": bet * scale,
        "closeness": clo,
        "eigenvector": res["eigenvector"],
        "pagerank": res["pagerank"],
        "clustering": res["clustering"],
        "clustering_weighted": res["clustering_weighted"],
        "component": comp_of,
    })
    if note:
        table.attrs["path_measures"] = note
    return table


def _with_distance(G):
    H = G.copy()
    for _, _, d in H.edges(data=True):
        w = d.get("weight", 1.0)
        d["distance"] = 1.0 / w if w else float("inf")
    return H


def _centrality_networkx(G, nodes, idx, comps) -> dict:
    H = _with_distance(G)
    R = G.copy()
    for _, _, d in R.edges(data=True):
        d["distance"] = 1 / Fraction(d.get("weight", 1.0)).limit_denominator(10 ** 9)
    bet = {u: float(v) for u, v in nx.betweenness_centrality(R, weight="distance", normalized=False).items()}
    # closeness within the component: (r-1)/sum(d), the WF factor is applied by the caller
    clo = nx.closeness_centrality(H, distance="distance", wf_improved=False)
    eig = {}
    if comps and len(comps[0]) > 1:
        members = sorted(comps[0])
        if len(members) <= 1000:  # dense symmetric eigensolver: exact, and fine for tiny components
            A = nx.to_numpy_array(H.subgraph(members), nodelist=members, weight="weight")
            vals, vecs = np.linalg.eigh(A)
            v = np.abs(vecs[:, -1])
            eig = dict(zip(members, v / np.linalg.norm(v)))
        else:
            eig = nx.eigenvector_centrality_numpy(H.subgraph(members), weight="weight")
    pr = nx.pagerank(H, weight="weight", tol=1e-13, max_iter=10000) if len(H) else {}
    cl = nx.clustering(H)
    clw = nx.clustering(H, weight="weight")
    return {
        "betweenness": np.array([bet[u] for u in nodes], dtype=float),
        "closeness_raw": np.array([clo[u] for u in nodes], dtype=float),
        "eigenvector": np.array([abs(eig[u]) if u in eig else np.nan for u in nodes], dtype=float),
        "pagerank": np.array([pr.get(u, np.nan) for u in nodes], dtype=float),
        "clustering": np.array([cl[u] for u in nodes], dtype=float),
        "clustering_weighted": np.array([clw[u] for u in nodes], dtype=float),
    }


def _symmetric(n: int, ends: tuple, values: np.ndarray):
    """The n x n sparse matrix with ``values`` on the links whose ends are ``ends`` (two arrays), both ways."""
    i, j = ends
    return sp.csr_matrix((np.concatenate([values, values]), (np.concatenate([i, j]), np.concatenate([j, i]))),
                         shape=(n, n))


def _pagerank_sparse(W, alpha: float = 0.85, tol: float = 1e-15, max_iter: int = 10000) -> np.ndarray:
    """PageRank by power iteration on a symmetric sparse weight matrix (igraph's PRPACK differs in the last
    bits from run to run); dangling (isolated) nodes spread their rank uniformly, as in networkx."""
    n = W.shape[0]
    if n == 0:
        return np.zeros(0)
    out = np.asarray(W.sum(axis=1)).ravel()
    dangling = out == 0
    inv = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, out))
    P = sp.diags(inv) @ W
    PT = P.T.tocsr()
    x = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        new = alpha * (PT @ x) + (alpha * x[dangling].sum() + 1 - alpha) / n
        if np.abs(new - x).sum() < tol:
            return new
        x = new
    return x


def _centrality_igraph(G, nodes, idx, comps) -> dict:
    import igraph as ig
    n = len(nodes)
    ed = [(idx[u], idx[v], float(d.get("weight", 1.0))) for u, v, d in G.edges(data=True)]
    g = ig.Graph(n=n, edges=[(i, j) for i, j, _ in ed], directed=False)
    w = np.array([x for _, _, x in ed], dtype=float)
    ends = (np.array([i for i, _, _ in ed], dtype=np.int64), np.array([j for _, j, _ in ed], dtype=np.int64))
    g.es["weight"] = w.tolist()
    # betweenness and closeness each need a shortest-path search from every node (or every sampled node)
    from .parallel import Background
    giant = sorted(idx[u] for u in comps[0]) if comps else []
    k = max(SAMPLED_MIN_SOURCES, EXACT_PATH_WORK // max(len(ed), 1))
    note = sources = None
    if n * len(ed) > EXACT_PATH_WORK and len(giant) > k:
        # exact shortest-path measures need a search from every node: hours on a graph of tens of
        # thousands of nodes and millions of links.  Estimate them from k sources of the largest
        # component (Brandes and Pich 2007); the other components are small and computed exactly.
        sources = sorted(int(x) for x in np.random.default_rng(SAMPLE_SEED).choice(giant, size=k, replace=False))
        note = (f"betweenness and closeness estimated from {k:,} of the {len(giant):,} nodes of the largest "
                f"component as sources (Brandes and Pich 2007; the graph has {n:,} nodes and {len(ed):,} links, "
                f"an exact computation searches from every node); the other components are exact")
    paths = (_path_searches(_symmetric(n, ends, 1.0 / w), giant, sources)
             if n * len(ed) >= PATH_SEARCH_WORK and _compiled() else None)
    if paths is None:
        g.es["distance"] = (1.0 / w).tolist() if len(w) else []   # (igraph's searches)
    if paths is not None:
        bet_job = clo = None   # (one search per source gives both, half of them on the other core)
    elif sources is not None:
        # igraph: the betweenness on the other core while this process does the closeness and the rest
        bet_job = Background(_sampled_betweenness, g, giant, sources, what="betweenness")
        clo = _sampled_closeness(g, giant, sources)
    else:
        bet_job = Background(_betweenness, g, what="betweenness") if len(ed) >= SPLIT_BETWEENNESS_EDGES else None
        clo = np.nan_to_num(np.array(g.closeness(weights="distance", normalized=True), dtype=float)) if n else np.zeros(0)
    eig = np.full(n, np.nan)
    if comps and len(comps[0]) > 1:
        members = sorted(idx[u] for u in comps[0])
        sub = g.subgraph(members)
        from .layout import seeded_igraph
        with seeded_igraph(), warnings.catch_warnings():  # ARPACK's start vector: the same digits run after run
            # (igraph warns when nodes far from the core of the component have nearly zero centrality: they
            # do, the values are right, and a build's output is no place for the warning)
            warnings.filterwarnings("ignore", message="Some eigenvector centralities are nearly zero",
                                    category=RuntimeWarning)
            ev = np.abs(np.array(sub.eigenvector_centrality(weights="weight"), dtype=float))
        eig[members] = ev / np.linalg.norm(ev)
    pr = _pagerank_sparse(_symmetric(n, ends, w))
    cl = np.array(g.transitivity_local_undirected(mode="zero"), dtype=float) if n else np.zeros(0)
    # Onnela weighted clustering: diag(W^(1/3))^3 / (k(k-1)), W scaled by its maximum
    clw = np.zeros(n)
    if len(ed):
        A = _symmetric(n, ends, np.cbrt(w / w.max()))
        tri = _weighted_triangles(A)
        k = np.diff(A.indptr).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            clw = np.where(k > 1, tri / (k * (k - 1)), 0.0)
    if paths is not None:
        bet, clo = paths()
    else:
        bet = bet_job.result() if bet_job is not None else _betweenness(g)
    return {"betweenness": bet, "closeness_raw": clo, "eigenvector": eig, "pagerank": pr,
            "clustering": cl, "clustering_weighted": clw, "note": note}


TRIANGLE_BLOCK_PATHS = 2 * 10 ** 7  # two-step paths per block of rows (entries of a product held at a time)


def _weighted_triangles(A, budget: int = TRIANGLE_BLOCK_PATHS) -> np.ndarray:
    """diag(A^3) of a symmetric sparse matrix with a zero diagonal: per node, twice the sum over the
    triangles it is a corner of of the product of their three link values.

    Each triangle is found once per corner (Schank and Wagner's forward algorithm, on sparse products):
    the links are oriented from the node of lower degree to the higher (ties by number), as the upper
    part U, and a triangle i < j < k (in that order) has its value in row i of (U @ U) * U, row j of
    (U' @ U) * U and row k of (U' @ U') * U'.  A @ A, which the whole diag(A^3) needs, holds every
    two-step path, and a node of degree d has d^2 of them through it; the oriented products hold only
    the paths that climb or fall in degree (1.1 against 27 s on a 29k-institution graph with 790k
    links).  Each product is made in blocks of rows, each holding at most about ``budget`` two-step
    paths; a row's sum is the same whatever the blocks."""
    n = A.shape[0]
    deg = np.diff(A.indptr)
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), deg))] = np.arange(n)
    C = A.tocoo()
    up = rank[C.row] < rank[C.col]
    U = sp.csr_matrix((C.data[up], (C.row[up], C.col[up])), shape=A.shape)
    U.sort_indices()
    D = U.T.tocsr()
    tri = np.zeros(n)
    for L, R in ((U, U), (D, U), (D, D)):
        for start, stop in _row_blocks(L, R, budget):
            tri[start:stop] += np.asarray((L[start:stop] @ R).multiply(R[start:stop]).sum(axis=1)).ravel()
    return 2 * tri


def _row_blocks(L, R, budget: int):
    """(start, stop) of consecutive blocks of rows of ``L`` whose product with ``R`` holds at most about
    ``budget`` two-step paths each (at least one row a block)."""
    n = L.shape[0]
    ones = sp.csr_matrix((np.ones(L.nnz), L.indices, L.indptr), shape=L.shape)
    paths = ones @ np.diff(R.indptr).astype(float)   # two-step paths from each row: an upper bound of its entries
    cum = np.concatenate([[0.0], np.cumsum(paths)])
    start = 0
    while start < n:
        stop = max(start + 1, int(np.searchsorted(cum, cum[start] + budget, side="right")) - 1)
        yield start, stop
        start = stop


SPLIT_BETWEENNESS_EDGES = 5000
PATH_SEARCH_WORK = 2 * 10 ** 8  # nodes x links from which betweenness and closeness share their searches
EXACT_PATH_WORK = 2 * 10 ** 9   # nodes x links up to which betweenness and closeness are exact
SAMPLED_MIN_SOURCES = 200
SAMPLE_SEED = 42


def _compiled() -> bool:
    """Whether the compiled path search (numba) can be used; compiled (or loaded from numba's cache) here,
    on a one-node graph, before any fork, so that forked children share the machine code."""
    try:
        from .paths import path_sums
        path_sums(np.array([0, 0]), np.zeros(0, dtype=np.int64), np.zeros(0), [0])
    except Exception:   # numba missing, or unable to compile here: igraph's searches instead
        return False
    return True


def _path_searches(A, giant: list, sources: list | None):
    """Start the shortest-path searches of betweenness and closeness (:mod:`collabnet.paths`: one search
    per source gives both), half the sources on the other core; returns a function that searches from
    the other half here and gives (betweenness, closeness) as igraph's would be (unnormalised
    betweenness, closeness (r-1)/sum of distances).  ``sources``: a sample of the largest component
    ``giant`` (the estimates of :func:`_sampled_betweenness` and :func:`_sampled_closeness`, the other
    components exact), or None for every node.  The halves are added in a fixed order: the same digits
    whether the other core is used or not.  ``A``: the symmetric sparse matrix of link lengths."""
    from .parallel import Background
    from .paths import path_sums
    n = A.shape[0]
    if sources is None:
        todo = np.arange(n, dtype=np.int64)
    else:
        inside = np.zeros(n, dtype=bool)
        inside[giant] = True
        todo = np.concatenate([np.asarray(sources, dtype=np.int64), np.flatnonzero(~inside)])
    graph = (A.indptr, A.indices, A.data)
    job = Background(path_sums, *graph, todo[0::2], what="betweenness and closeness")

    def finish():
        b2, s2, r2, ns2 = path_sums(*graph, todo[1::2])
        b1, s1, r1, ns1 = job.result()
        bet, node_sum = (b1 + b2) / 2, ns1 + ns2   # (each pair's paths were counted from both ends)
        source_sum, reached = np.empty(len(todo)), np.empty(len(todo), dtype=np.int64)
        source_sum[0::2], source_sum[1::2], reached[0::2], reached[1::2] = s1, s2, r1, r2
        clo = np.zeros(n)
        with np.errstate(divide="ignore", invalid="ignore"):
            own = np.where(reached > 1, (reached - 1) / source_sum, 0.0)   # each source's own closeness
            if sources is None:
                clo[todo] = own
                return bet, clo
            k = len(sources)
            rest = todo[k:]
            clo[rest] = own[k:]
            bet[inside] *= len(giant) / k
            total = node_sum[giant] * len(giant) / k
            clo[giant] = np.where(total > 0, (len(giant) - 1) / total, 0.0)
        return bet, clo
    return finish


def _sampled_betweenness(g, giant: list, sources: list) -> np.ndarray:
    """Betweenness estimated from ``sources`` (a uniform sample of the largest component ``giant``): their
    dependencies scaled by |giant| / |sources| (unbiased, Brandes and Pich 2007); the nodes outside the
    largest component exactly, from all their own components' nodes."""
    n = g.vcount()
    inside = np.zeros(n, dtype=bool)
    inside[giant] = True
    bet = np.zeros(n)
    b = np.array(g.betweenness(directed=False, weights="distance", sources=sources), dtype=float)
    bet[inside] = b[inside] * len(giant) / len(sources)
    rest = np.flatnonzero(~inside).tolist()
    if rest:
        b = np.array(g.betweenness(directed=False, weights="distance", sources=rest), dtype=float)
        bet[~inside] = b[~inside]
    return bet


def _sampled_closeness(g, giant: list, sources: list, block: int = 100) -> np.ndarray:
    """Closeness (igraph's normalised: (r-1) / sum of distances) with the distance sums of the largest
    component's nodes estimated from ``sources``: |giant| / |sources| times their summed distance from
    the sources (Eppstein and Wang 2004); the other nodes exactly."""
    n = g.vcount()
    inside = np.zeros(n, dtype=bool)
    inside[giant] = True
    clo = np.zeros(n)
    rest = np.flatnonzero(~inside).tolist()
    if rest:
        clo[rest] = np.nan_to_num(np.array(g.closeness(vertices=rest, weights="distance", normalized=True), dtype=float))
    total = np.zeros(len(giant))
    for i in range(0, len(sources), block):
        d = np.array(g.distances(source=sources[i:i + block], target=giant, weights="distance"), dtype=float)
        total += d.sum(axis=0)
    total *= len(giant) / len(sources)
    with np.errstate(divide="ignore", invalid="ignore"):
        clo[giant] = np.where(total > 0, (len(giant) - 1) / total, 0.0)
    return clo


def _betweenness(g) -> np.ndarray:
    """Weighted (distance = 1/weight) betweenness of an igraph graph, unnormalised."""
    return np.array(g.betweenness(directed=False, weights="distance"), dtype=float) if g.vcount() else np.zeros(0)
