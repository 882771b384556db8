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

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

COUNTINGS = ("full", "unit_fractional", "pair_normalised", "author_based")
NORMALIZATIONS = ("none", "association_strength", "cosine", "jaccard", "inclusion")


def incidence(corpus, unit: str = "country", works=None):
    """(B, work ids, unit ids): the binary works x units matrix (methods.md 1.1 unit sets U_p)."""
    col = "country" if unit == "country" else "institution_key"
    a = corpus.authorships
    a = a.loc[a[col].notna(), ["work_id", col]].drop_duplicates()
    if works is not None:
        a = a[a["work_id"].isin(set(works))]
    wids = np.array(sorted(a["work_id"].unique()), dtype=object)
    units = np.array(sorted(a[col].unique()), dtype=object)
    wi = pd.Index(wids).get_indexer(a["work_id"])
    ui = pd.Index(units).get_indexer(a[col])
    B = sp.csr_matrix((np.ones(len(a)), (wi, ui)), shape=(len(wids), len(units)))
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
    Wd = W.todok() if counting != "full" else None
    order = np.lexsort((Cu.col, Cu.row))
    for k in order:
        i, j, c = int(Cu.row[k]), int(Cu.col[k]), Cu.data[k]
        w = float(c) if Wd is None else float(Wd.get((i, j), 0.0))
        attrs = {"works": int(c), "weight": w}
        if normalization and normalization != "none":
            attrs["similarity"] = similarity(c, size[i], size[j], normalization, len(wids))
        G.add_edge(units[i], units[j], **attrs)
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
    info = a.loc[a["institution_key"].notna(), ["institution_key", "institution", "sector", "country"]]
    info = info.drop_duplicates("institution_key").set_index("institution_key")
    for k in G.nodes:
        if k in info.index:
            r = info.loc[k]
            G.nodes[k].update(name=r["institution"], sector=r["sector"], country=r["country"] if pd.notna(r["country"]) else "")
    return G


def centrality(G: nx.Graph, alpha: float = 0.5) -> pd.DataFrame:
    """Centrality table of a weighted graph (methods.md 6), one row per node.

    Strength-type measures (strength, eigenvector, PageRank, weighted clustering) read ``weight``;
    path-based measures (betweenness, closeness) read the distance 1/weight (Newman).  Eigenvector
    centrality is computed on the largest component only (``NaN`` elsewhere).  ``opsahl_degree`` =
    k^(1-alpha) * s^alpha (Opsahl et al. 2010).
    """
    H = G.copy()
    for _, _, d in H.edges(data=True):
        w = d.get("weight", 1.0)
        d["distance"] = 1.0 / w if w else float("inf")
    nodes = sorted(H.nodes)
    deg = dict(H.degree())
    strength = dict(H.degree(weight="weight"))
    comps = sorted(nx.connected_components(H), key=lambda c: (-len(c), min(c))) if len(H) else []
    comp_of = {n: i for i, c in enumerate(comps) for n in c}
    bet_raw = nx.betweenness_centrality(H, weight="distance", normalized=False)
    bet = nx.betweenness_centrality(H, weight="distance", normalized=True)
    clo = nx.closeness_centrality(H, distance="distance", wf_improved=True)
    eig = {}
    if comps and len(comps[0]) > 1:
        eig = nx.eigenvector_centrality_numpy(H.subgraph(comps[0]), weight="weight")
    pr = nx.pagerank(H, weight="weight") if len(H) else {}
    cl = nx.clustering(H)
    clw = nx.clustering(H, weight="weight")
    df = pd.DataFrame({
        "node": nodes,
        "degree": [deg[n] for n in nodes],
        "strength": [float(strength[n]) for n in nodes],
        "opsahl_degree": [deg[n] ** (1 - alpha) * float(strength[n]) ** alpha for n in nodes],
        "betweenness": [bet_raw[n] for n in nodes],
        "betweenness_normalised": [bet[n] for n in nodes],
        "closeness": [clo[n] for n in nodes],
        "eigenvector": [abs(eig[n]) if n in eig else np.nan for n in nodes],
        "pagerank": [pr.get(n, np.nan) for n in nodes],
        "clustering": [cl[n] for n in nodes],
        "clustering_weighted": [clw[n] for n in nodes],
        "component": [comp_of[n] for n in nodes],
    })
    return df
