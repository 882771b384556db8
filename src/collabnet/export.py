"""Graph exports that other tools open, and ``load_graph`` to read any of them back.

For a networkx graph G (nodes keyed by id, edges with ``weight``) ``write_graph(G, folder, name)``
writes, each atomically and deterministically:

- ``name.graphml``: list/dict/None attributes flattened to JSON strings so the write never fails;
- ``name.gexf``: GEXF 1.2 without the writer's date (byte-identical runs);
- ``name.net``: Pajek (``*Vertices`` with quoted ids, ``*Edges i j weight``);
- ``name_vosviewer_map.txt`` and ``name_vosviewer_network.txt``: VOSviewer map and network files;
- ``name_vosviewer.json``: VOSviewer JSON (``network.items`` with id, label, x, y, cluster, weights,
  scores; ``network.links`` with source_id, target_id, strength; ``config.terminology``);
- ``name_nodes.csv`` and ``name_edges.csv``.

Node positions (``x``, ``y``) and ``cluster`` come from the node attributes when present.
"""
from __future__ import annotations

import csv
import html
import io
import json
import os

import networkx as nx
import pandas as pd

from .io_utils import atomic_write_text

FORMATS = ("graphml", "gexf", "net", "vosviewer_map", "vosviewer_json", "csv")
_SCALAR = (str, int, float, bool)


def _flat(v):
    if isinstance(v, bool) or isinstance(v, (int, float, str)):
        return v
    if v is None:
        return ""
    if hasattr(v, "item"):  # numpy scalar
        return v.item()
    return json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)


def flatten(G: nx.Graph) -> nx.Graph:
    """A copy with sorted nodes/edges and only str/int/float/bool attributes (GraphML and GEXF need that)."""
    H = nx.Graph()
    H.graph.update({k: _flat(v) for k, v in sorted(G.graph.items())})
    for n in sorted(G.nodes, key=str):
        H.add_node(str(n), **{k: _flat(v) for k, v in sorted(G.nodes[n].items())})
    for (u, v), d in sorted((tuple(sorted((str(a), str(b)))), d) for a, b, d in G.edges(data=True)):
        H.add_edge(u, v, **{k: _flat(x) for k, x in sorted(d.items())})
    _unify(H.nodes.values())
    _unify([d for _, _, d in H.edges(data=True)])
    return H


def _unify(dicts) -> None:
    """One type per attribute (GEXF/GraphML declare it once): ints mixed with floats become floats,
    anything mixed with strings becomes a string."""
    dicts = list(dicts)
    kinds: dict = {}
    for d in dicts:
        for k, v in d.items():
            kinds.setdefault(k, set()).add(type(v))
    for k, ts in kinds.items():
        if len(ts) <= 1:
            continue
        conv = float if ts <= {int, float, bool} else str
        for d in dicts:
            if k in d:
                d[k] = conv(d[k])


_XML_TYPE = {bool: "boolean", int: "long", float: "double", str: "string"}  # GraphML and GEXF


def graphml(G, flat=None) -> str:
    """GraphML written directly (networkx's writer takes 1 s per 50k edges): one <key> per attribute with
    its type, list/dict attributes already flattened to JSON strings (see ``flatten``)."""
    from xml.sax.saxutils import escape, quoteattr
    H = flat if flat is not None else flatten(G)

    def keys(rows):
        out = {}
        for d in rows:
            for k, v in d.items():
                out.setdefault(k, _XML_TYPE.get(type(v), "string"))
        return dict(sorted(out.items()))
    nk = keys(d for _, d in H.nodes(data=True))
    ek = keys(d for _, _, d in H.edges(data=True))
    gk = keys([H.graph])
    ids = {}
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
             'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
    for scope, kk in (("graph", gk), ("node", nk), ("edge", ek)):
        for k, t in kk.items():
            ids[(scope, k)] = f"d{len(ids)}"
            lines.append(f'  <key id="{ids[(scope, k)]}" for="{scope}" attr.name={quoteattr(k)} attr.type="{t}" />')
    lines.append('  <graph edgedefault="undirected">')
    for k, v in H.graph.items():
        lines.append(f'    <data key="{ids[("graph", k)]}">{escape(_gexf_val(v))}</data>')
    for n, d in H.nodes(data=True):
        data = "".join(f'<data key="{ids[("node", k)]}">{escape(_gexf_val(v))}</data>' for k, v in d.items())
        lines.append(f'    <node id={quoteattr(str(n))}>{data}</node>')
    for u, v, d in H.edges(data=True):
        data = "".join(f'<data key="{ids[("edge", k)]}">{escape(_gexf_val(x))}</data>' for k, x in d.items())
        lines.append(f'    <edge source={quoteattr(str(u))} target={quoteattr(str(v))}>{data}</edge>')
    lines += ['  </graph>', '</graphml>']
    return "\n".join(lines) + "\n"


def _gexf_val(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def gexf(G, flat=None) -> str:
    """GEXF 1.2draft (static, undirected), written directly: networkx's writer builds an ElementTree of the
    whole graph (5 s for a 54k-edge graph) and stamps today's date, which breaks byte-identical runs."""
    from xml.sax.saxutils import quoteattr
    H = flat if flat is not None else flatten(G)
    node_keys = sorted({k for _, d in H.nodes(data=True) for k in d if k not in ("label",)})
    edge_keys = sorted({k for _, _, d in H.edges(data=True) for k in d if k != "weight"})

    def kind(keys, rows):
        out = {}
        for k in keys:
            t = next((type(d[k]) for d in rows if k in d), str)
            out[k] = _XML_TYPE.get(t, "string")
        return out
    nk = kind(node_keys, [d for _, d in H.nodes(data=True)])
    ek = kind(edge_keys, [d for _, _, d in H.edges(data=True)])
    nid = {k: i for i, k in enumerate(node_keys)}
    eid = {k: i for i, k in enumerate(edge_keys)}
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">',
             '  <meta>', '    <creator>collabnet</creator>', '  </meta>',
             '  <graph defaultedgetype="undirected" mode="static" name="">',
             '    <attributes class="node" mode="static">']
    lines += [f'      <attribute id="{nid[k]}" title={quoteattr(k)} type="{nk[k]}" />' for k in node_keys]
    lines += ['    </attributes>', '    <attributes class="edge" mode="static">']
    lines += [f'      <attribute id="{eid[k]}" title={quoteattr(k)} type="{ek[k]}" />' for k in edge_keys]
    lines += ['    </attributes>', '    <nodes>']
    for n, d in H.nodes(data=True):
        label = d.get("label", d.get("name", n))
        vals = "".join(f'<attvalue for="{nid[k]}" value={quoteattr(_gexf_val(d[k]))} />' for k in node_keys if k in d)
        lines.append(f'      <node id={quoteattr(str(n))} label={quoteattr(str(label))}><attvalues>{vals}</attvalues></node>')
    lines += ['    </nodes>', '    <edges>']
    for i, (u, v, d) in enumerate(H.edges(data=True)):
        w = f' weight="{_gexf_val(float(d["weight"]))}"' if "weight" in d else ""
        vals = "".join(f'<attvalue for="{eid[k]}" value={quoteattr(_gexf_val(d[k]))} />' for k in edge_keys if k in d)
        lines.append(f'      <edge id="{i}" source={quoteattr(str(u))} target={quoteattr(str(v))}{w}>'
                     f'<attvalues>{vals}</attvalues></edge>')
    lines += ['    </edges>', '  </graph>', '</gexf>']
    return "\n".join(lines) + "\n"


def _pajek_label(s: str) -> str:
    return '"' + str(s).replace('"', "'").replace("\n", " ") + '"'


def pajek(G) -> str:
    nodes = sorted(G.nodes, key=str)
    idx = {n: k + 1 for k, n in enumerate(nodes)}
    lines = [f"*Vertices {len(nodes)}"] + [f"{idx[n]} {_pajek_label(n)}" for n in nodes] + ["*Edges"]
    for u, v in sorted((tuple(sorted((a, b), key=lambda n: idx[n])) for a, b in G.edges()), key=lambda e: (idx[e[0]], idx[e[1]])):
        lines.append(f"{idx[u]} {idx[v]} {_num(G.edges[u, v].get('weight', 1.0))}")
    return "\n".join(lines) + "\n"


def _num(x) -> str:
    return repr(float(x)) if not float(x).is_integer() else str(int(x)) if abs(x) < 2 ** 53 else repr(float(x))


def _label(G, n) -> str:
    return str(G.nodes[n].get("name") or G.nodes[n].get("label") or n)


def _vos_label(G, n) -> str:
    """VOSviewer Online treats labels as HTML (DOMPurify) and stops on markup such as "<img ...>": the
    angle brackets become the look-alike single guillemets, so the label shows as text and the map opens."""
    return _label(G, n).replace("<", "\u2039").replace(">", "\u203a")


def vosviewer_items(G):
    nodes = sorted(G.nodes, key=str)
    strength = dict(G.degree(weight="weight"))
    items = []
    for n in nodes:
        d = G.nodes[n]
        it = {"id": str(n), "label": _vos_label(G, n)}
        if "x" in d and "y" in d:
            it["x"], it["y"] = round(float(d["x"]), 6), round(float(d["y"]), 6)
        if d.get("cluster") is not None:
            it["cluster"] = int(d["cluster"])
        it["weights"] = {"Links": int(G.degree(n)), "Total link strength": round(float(strength[n]), 6),
                         "Documents": int(d.get("works", 0))}
        scores = {}
        if "citations" in d:
            scores["Citations"] = round(float(d["citations"]), 6)
        if d.get("works"):
            scores["Avg. citations"] = round(float(d.get("citations", 0)) / float(d["works"]), 6)
        if scores:
            it["scores"] = scores
        items.append(it)
    links = [{"source_id": str(u), "target_id": str(v), "strength": float(G.edges[u, v].get("weight", 1.0))}
             for u, v in sorted((tuple(sorted((str(a), str(b)))) for a, b in G.edges()))]
    return items, links


def vosviewer_json(G, unit: str = "item", units: str = "items") -> str:
    items, links = vosviewer_items(G)
    data = {"network": {"items": items, "links": links},
            "config": {"terminology": {"item": unit, "items": units, "link": "co-authorship link",
                                       "links": "co-authorship links", "link_strength": "link strength",
                                       "total_link_strength": "total link strength"}}}
    import orjson
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"


def vosviewer_map_network(G) -> tuple[str, str]:
    """VOSviewer map file (tab-separated, numeric ids) and network file (id, id, strength)."""
    nodes = sorted(G.nodes, key=str)
    idx = {n: k + 1 for k, n in enumerate(nodes)}
    has_xy = all("x" in G.nodes[n] for n in nodes) and nodes
    has_cl = all(G.nodes[n].get("cluster") is not None for n in nodes) and nodes
    head = ["id", "label", "description"] + (["x", "y"] if has_xy else []) + (["cluster"] if has_cl else []) + [
        "weight<Links>", "weight<Total link strength>", "weight<Documents>", "score<Citations>"]
    strength = dict(G.degree(weight="weight"))
    m = io.StringIO()
    w = csv.writer(m, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
    w.writerow(head)
    for n in nodes:
        d = G.nodes[n]
        # VOSviewer shows the description as HTML: escape it (load_graph unescapes)
        row = [idx[n], _vos_label(G, n).replace("\t", " ").replace('"', "'"), html.escape(str(n).replace("\t", " "))]
        if has_xy:
            row += [round(float(d["x"]), 6), round(float(d["y"]), 6)]
        if has_cl:
            row.append(int(d["cluster"]))
        row += [G.degree(n), round(float(strength[n]), 6), int(d.get("works", 0)), round(float(d.get("citations", 0)), 6)]
        w.writerow(row)
    net = io.StringIO()
    wn = csv.writer(net, delimiter="\t", lineterminator="\n")
    for u, v in sorted((tuple(sorted((a, b), key=lambda n: idx[n])) for a, b in G.edges()), key=lambda e: (idx[e[0]], idx[e[1]])):
        wn.writerow([idx[u], idx[v], _num(G.edges[u, v].get("weight", 1.0))])
    return m.getvalue(), net.getvalue()


def node_edge_csv(G) -> tuple[str, str]:
    nodes = sorted(G.nodes, key=str)
    cols = sorted({k for n in nodes for k in G.nodes[n]})
    nd = pd.DataFrame([{"id": str(n), **{k: _flat(G.nodes[n].get(k)) for k in cols}} for n in nodes], columns=["id"] + cols)
    ecols = sorted({k for _, _, d in G.edges(data=True) for k in d})
    ed = pd.DataFrame([{"source": u, "target": v, **{k: _flat(G.edges[u, v].get(k)) for k in ecols}}
                       for u, v in sorted((tuple(sorted((str(a), str(b)))) for a, b in G.edges()))],
                      columns=["source", "target"] + ecols)
    return nd.to_csv(index=False), ed.to_csv(index=False)


EXPORT_PARTS = ("xml", "other")  # GraphML + GEXF; Pajek, VOSviewer and CSV: about half the work each


def write_graph(G: nx.Graph, folder: str, name: str, unit: str = "item", units: str = "items",
                part: str | None = None) -> list[str]:
    """Write every export of G into folder (``part``: only the "xml" or the "other" half); return the paths."""
    G = nx.relabel_nodes(G, {n: str(n) for n in G.nodes}) if any(not isinstance(n, str) for n in G.nodes) else G
    out = {}
    if part in (None, "xml"):
        flat = flatten(G)
        out[f"{name}.graphml"] = graphml(G, flat)
        out[f"{name}.gexf"] = gexf(G, flat)
    if part in (None, "other"):
        out[f"{name}.net"] = pajek(G)
        out[f"{name}_vosviewer_map.txt"], out[f"{name}_vosviewer_network.txt"] = vosviewer_map_network(G)
        out[f"{name}_vosviewer.json"] = vosviewer_json(G, unit, units)
        out[f"{name}_nodes.csv"], out[f"{name}_edges.csv"] = node_edge_csv(G)
    paths = []
    for fn, text in out.items():
        p = os.path.join(folder, fn)
        atomic_write_text(p, text)
        paths.append(p)
    return paths


# ------------------------------------------------------------------ reading back
def load_graph(path) -> nx.Graph:
    """Read any collabnet export back into an undirected networkx graph (node ids as written, ``weight`` on edges).

    GraphML, GEXF, Pajek ``.net``, VOSviewer JSON, a VOSviewer map file (its ``_network`` file alongside) or
    network file, and the node/edge CSV pair (give either file).
    """
    from .errors import InputError
    p = os.fspath(path)
    if not os.path.exists(p):
        raise InputError(p, "no such file")
    low = p.lower()
    try:
        if low.endswith(".graphml"):
            return _simple(nx.read_graphml(p))
        if low.endswith(".gexf"):
            return _simple(nx.read_gexf(p))
        if low.endswith(".net"):
            return _read_pajek(p)
        if low.endswith(".json"):
            return _read_vos_json(p)
        if low.endswith("_vosviewer_map.txt") or low.endswith("_vosviewer_network.txt"):
            base = p[: -len("_vosviewer_map.txt")] if low.endswith("_map.txt") else p[: -len("_vosviewer_network.txt")]
            return _read_vos_txt(base + "_vosviewer_map.txt", base + "_vosviewer_network.txt")
        if low.endswith("_nodes.csv") or low.endswith("_edges.csv"):
            base = p[: -len("_nodes.csv")]
            return _read_csv(base + "_nodes.csv", base + "_edges.csv")
    except InputError:
        raise
    except Exception as exc:  # a damaged file: say which and why
        raise InputError(p, f"cannot be read as a graph ({type(exc).__name__}: {exc})") from None
    raise InputError(p, "unknown graph file type", hint="give .graphml, .gexf, .net, _vosviewer.json, "
                     "_vosviewer_map.txt or _nodes.csv/_edges.csv")


def _simple(G) -> nx.Graph:
    H = nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    for u, v, d in G.edges(data=True):
        H.add_edge(u, v, **{k: x for k, x in d.items() if k not in ("id",)})
        if "weight" in d:
            H.edges[u, v]["weight"] = float(d["weight"])
    return H


def _read_pajek(p) -> nx.Graph:
    G = nx.Graph()
    names = {}
    mode = None
    with open(p, encoding="utf-8") as fh:
        for line in fh:
            s = line.strip()
            if not s:
                continue
            if s.lower().startswith("*vertices"):
                mode = "v"
                continue
            if s.lower().startswith(("*edges", "*arcs")):
                mode = "e"
                continue
            if mode == "v":
                i, rest = s.split(None, 1)
                names[i] = rest.strip().strip('"')
                G.add_node(names[i])
            elif mode == "e":
                parts = s.split()
                G.add_edge(names[parts[0]], names[parts[1]], weight=float(parts[2]) if len(parts) > 2 else 1.0)
    return G


def _read_vos_json(p) -> nx.Graph:
    with open(p, encoding="utf-8") as fh:
        data = json.load(fh)
    G = nx.Graph()
    for it in data["network"]["items"]:
        attrs = {k: v for k, v in it.items() if k not in ("id",)}
        G.add_node(str(it["id"]), **attrs)
    for ln in data["network"].get("links", []):
        G.add_edge(str(ln["source_id"]), str(ln["target_id"]), weight=float(ln.get("strength", 1.0)))
    return G


def _read_vos_txt(map_path, net_path) -> nx.Graph:
    m = pd.read_csv(map_path, sep="\t", dtype={"description": str, "label": str}, keep_default_na=False,
                    quoting=csv.QUOTE_NONE, escapechar="\\")
    ids = dict(zip(m["id"], [html.unescape(x) for x in (m["description"] if "description" in m else m["label"])]))
    G = nx.Graph()
    for r in m.to_dict("records"):
        G.add_node(ids[r["id"]], label=r["label"])
    if os.path.exists(net_path) and os.path.getsize(net_path):
        n = pd.read_csv(net_path, sep="\t", header=None)
        for a, b, w in n.itertuples(index=False):
            G.add_edge(ids[a], ids[b], weight=float(w))
    return G


def _read_csv(nodes_path, edges_path) -> nx.Graph:
    G = nx.Graph()
    nd = pd.read_csv(nodes_path, dtype={"id": str}, keep_default_na=False)
    for r in nd.to_dict("records"):
        G.add_node(r.pop("id"), **r)
    ed = pd.read_csv(edges_path, dtype={"source": str, "target": str}, keep_default_na=False)
    for r in ed.to_dict("records"):
        u, v = r.pop("source"), r.pop("target")
        G.add_edge(u, v, **r)
        if "weight" in r:
            G.edges[u, v]["weight"] = float(r["weight"])
    return G
