"""Deterministic graph layout and community colours for views, figures and VOSviewer exports."""
from __future__ import annotations

import contextlib
import random

import networkx as nx
import numpy as np

SEED = 42


@contextlib.contextmanager
def seeded_igraph(seed: int = SEED):
    """igraph draws from Python's random module (ARPACK start vectors, layouts): seed it, then restore."""
    import igraph as ig
    state = random.getstate()
    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)
        random.setstate(state)


def layout(G: nx.Graph, seed: int = SEED, niter: int = 500) -> dict:
    """Fruchterman-Reingold (igraph, weighted) from seeded start positions; coordinates scaled to [-1, 1].

    Same graph and seed, same coordinates: nodes are sorted, the start positions come from a seeded
    generator and igraph's own random generator is seeded too.
    """
    import igraph as ig
    nodes = sorted(G.nodes, key=str)
    n = len(nodes)
    if n == 0:
        return {}
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    idx = {u: k for k, u in enumerate(nodes)}
    edges = sorted((min(idx[u], idx[v]), max(idx[u], idx[v])) for u, v in G.edges())
    g = ig.Graph(n=n, edges=edges)
    w = [float(G.edges[nodes[a], nodes[b]].get("weight", 1.0)) for a, b in edges]
    if w:
        m = max(w)
        w = [x / m for x in w]
    rng = np.random.default_rng(seed)
    start = (rng.random((n, 2)) * 2 - 1) * np.sqrt(n)
    with seeded_igraph(seed):
        lay = g.layout_fruchterman_reingold(weights=w or None, niter=niter, seed=start.tolist(),
                                            grid="nogrid" if n <= 2000 else "grid")
    xy = np.array(lay.coords, dtype=float)
    xy -= xy.mean(axis=0)
    span = np.abs(xy).max() or 1.0
    xy /= span
    return {u: (round(float(xy[k, 0]), 6), round(float(xy[k, 1]), 6)) for k, u in enumerate(nodes)}


def communities(G: nx.Graph, seed: int = SEED) -> dict:
    """Leiden modularity communities (numbered 1.. by size), for colouring institution networks."""
    import igraph as ig
    import leidenalg as la
    nodes = sorted(G.nodes, key=str)
    if not nodes:
        return {}
    idx = {u: k for k, u in enumerate(nodes)}
    edges = sorted((min(idx[u], idx[v]), max(idx[u], idx[v])) for u, v in G.edges())
    g = ig.Graph(n=len(nodes), edges=edges)
    g.es["weight"] = [float(G.edges[nodes[a], nodes[b]].get("weight", 1.0)) for a, b in edges]
    part = la.find_partition(g, la.RBConfigurationVertexPartition, weights="weight", seed=seed, n_iterations=-1)
    m = np.asarray(part.membership)
    sizes = np.bincount(m)
    order = sorted(range(len(sizes)), key=lambda c: (-sizes[c], int(np.flatnonzero(m == c)[0])))
    new = {c: k + 1 for k, c in enumerate(order)}
    return {u: new[int(m[k])] for k, u in enumerate(nodes)}


def regions(codes) -> dict:
    """ISO2 country code -> continent (country_converter), 'other' when unknown."""
    from .clean.countries import _converter
    cc = _converter()
    codes = sorted(set(codes))
    if not codes:
        return {}
    conts = cc.convert(codes, src="ISO2", to="continent", not_found="other")
    if isinstance(conts, str):
        conts = [conts]
    return dict(zip(codes, conts))


PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]


def colour(k: int) -> str:
    return PALETTE[(k - 1) % len(PALETTE)] if k and k > 0 else "#cccccc"
