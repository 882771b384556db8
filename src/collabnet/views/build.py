"""Everything `collabnet build` writes about the networks: exports (always) and views + figures (unless --no-views)."""
from __future__ import annotations

import os

import networkx as nx

from ..export import write_graph
from ..layout import colour, communities, layout, regions
from .html import MAX_NODES, view_data, write_views


def topic_graph(corpus, topics) -> nx.Graph:
    """Papers of the described topic clusters, linked by their citation links (CWTS weights)."""
    g = topics.graph
    mem = topics.membership.set_index("work_id")
    keep = set(mem.index[mem["described"]])
    labels = dict(zip(topics.clusters["cluster"], topics.clusters["label"]))
    w = corpus.works.set_index("work_id")
    src = corpus.citation_source()
    cites = corpus.citations(src) if src else None
    G = nx.Graph()
    for wid in sorted(keep):
        c = int(mem.at[wid, "cluster"])
        year = w.at[wid, "year"] if wid in w.index else None
        G.add_node(wid, name=str(w.at[wid, "title"] or wid), year=int(year) if year == year and year is not None else "",
                   doi=str(mem.at[wid, "doi"] or ""), cluster=c, topic=labels.get(c, ""),
                   citations=float(cites.get(wid, 0) or 0) if cites is not None else 0.0, works=1)
    for i, j, x in zip(g.rows.tolist(), g.cols.tolist(), g.weights.tolist()):
        a, b = g.nodes[i], g.nodes[j]
        if a in keep and b in keep:
            G.add_edge(a, b, weight=float(x))
    return G


def networks_and_views(out: str, corpus, graphs: dict, *, views: bool = True, max_nodes: int = MAX_NODES,
                       min_edge_weight: float | None = None, report_exists: bool = True) -> dict:
    """Lay out, colour and export every graph; write views/ and network figures when ``views``."""
    made = {}
    net_dir = os.path.join(out, "networks")
    G = graphs.get("country")
    if G is not None:
        reg = regions(G.nodes)
        names = sorted(set(reg.values()))
        rid = {r: k + 1 for k, r in enumerate(names)}
        pos = layout(G)
        for u in G.nodes:
            G.nodes[u].update(x=pos[u][0], y=pos[u][1], cluster=rid[reg[u]], region=reg[u])
        write_graph(G, net_dir, "country", "country", "countries")
        made["country"] = ("Country co-authorship network", G, {u: rid[reg[u]] for u in G.nodes},
                           {v: k for k, v in rid.items()}, ["region", "works", "works_fractional", "citations"],
                           "Node size: works (full counting); colour: continent; link width: weight.")
    GI = graphs.get("institution")
    if GI is not None:
        com = communities(GI)
        pos = layout(GI)
        for u in GI.nodes:
            GI.nodes[u].update(x=pos[u][0], y=pos[u][1], cluster=com[u])
        write_graph(GI, net_dir, "institution", "institution", "institutions")
        made["institution"] = ("Institution co-authorship network", GI, com, {c: f"community {c}" for c in set(com.values())},
                               ["country", "sector", "works", "works_fractional", "citations"],
                               "Node size: works; colour: community (Leiden, modularity); link width: weight.")
    t = graphs.get("topics")
    if t is not None and t.graph is not None and t.membership["described"].any():
        TG = topic_graph(corpus, t)
        pos = layout(TG)
        for u in TG.nodes:
            TG.nodes[u].update(x=pos[u][0], y=pos[u][1])
        write_graph(TG, net_dir, "topics", "paper", "papers")
        cl = {u: TG.nodes[u]["cluster"] for u in TG.nodes}
        lab = {c: f"{c}: {lbl}" for c, lbl in zip(t.clusters["cluster"], t.clusters["label"])}
        made["topics"] = ("Topic network (papers by citation links)", TG, cl, lab,
                          ["topic", "year", "doi", "citations"],
                          "One node per paper of the described topics; colour: topic; links: citations (CWTS weights).")
    if not views:
        return {}
    pages = {}
    for name, (title, H, group, gnames, tips, note) in made.items():
        pos = {u: (H.nodes[u]["x"], H.nodes[u]["y"]) for u in H.nodes}
        data = view_data(H, group=group, group_names=gnames, tip_fields=tips, max_nodes=max_nodes,
                         min_edge_weight=min_edge_weight, positions=pos)
        pages[name] = (title, data, note)
    write_views(out, pages, report_exists=report_exists)
    from ..figures import network_figure
    for name in ("country", "institution"):
        if name in made:
            _, H, group, _, _, _ = made[name]
            network_figure(H, group, os.path.join(out, "figures"), f"{name}_network", made[name][0])
    return pages


del colour
