"""Static figures (matplotlib) for report.html and DIR/figures/, byte-identical from run to run.

Each figure is written as PNG and SVG.  Determinism: the Agg backend, no creation date or software
version in the file metadata, a fixed SVG id salt.
"""
from __future__ import annotations

import io
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .io_utils import atomic_write_bytes  # noqa: E402

PNG_META = {"Software": None}
SVG_META = {"Date": None, "Creator": None}
STYLE = {"svg.hashsalt": "collabnet", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
         "figure.dpi": 100, "savefig.dpi": 110}
COLOR = "#2c6e9b"
ACCENT = "#d9822b"


def _tight_bbox(fig):
    """The figure's tight bounding box (inches, padded), found once with the PNG's renderer and then
    used for both files: ``bbox_inches="tight"`` would lay the figure out again for each format."""
    dpi = matplotlib.rcParams["savefig.dpi"]
    dpi = fig.dpi if dpi == "figure" else dpi
    old = fig.dpi
    fig.set_dpi(dpi)
    try:
        renderer = fig.canvas.get_renderer()
        with renderer._draw_disabled():  # lay out (ticks, labels) without drawing, as savefig does
            fig.draw(renderer)
        bbox = fig.get_tightbbox(renderer)
    finally:
        fig.set_dpi(old)
    pad = matplotlib.rcParams["savefig.pad_inches"]
    return bbox.padded(pad, pad)


def _save(fig, out_dir: str, name: str) -> dict:
    """Write name.png and name.svg atomically; return {'png': bytes, 'svg': bytes}."""
    out = {}
    bbox = _tight_bbox(fig)
    for ext, meta in (("png", PNG_META), ("svg", SVG_META)):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, metadata=meta, bbox_inches=bbox)
        out[ext] = buf.getvalue()
        if out_dir:
            atomic_write_bytes(os.path.join(out_dir, f"{name}.{ext}"), out[ext])
    plt.close(fig)
    return out


def _barh(labels, values, title, xlabel, color=COLOR, fmt="{:,.0f}"):
    n = len(labels)
    fig, ax = plt.subplots(figsize=(7, max(1.6, 0.26 * n + 0.8)))
    y = list(range(n))[::-1]
    ax.barh(y, values, color=color)
    ax.set_yticks(y)
    ax.set_yticklabels([_short(s) for s in labels])
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    vmax = max(values) if len(values) else 1
    for yi, v in zip(y, values):
        ax.text(v + vmax * 0.01, yi, fmt.format(v), va="center", fontsize=7)
    ax.set_xlim(0, vmax * 1.12 if vmax else 1)
    return fig


def _short(s, n=48):
    s = str(s)
    return s if len(s) <= n else s[: n - 1] + "\u2026"


def works_by_year(rep: dict):
    years = list(rep["works_by_year"])
    counts = [rep["works_by_year"][y] for y in years]
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar(years, counts, color=COLOR)
    for x, c in zip(years, counts):
        ax.text(x, c, f"{c:,}", ha="center", va="bottom", fontsize=7)
    g = rep.get("growth")
    title = f"Output per year ({rep['analysed_set']})"
    if g and g.get("fold") is not None and g.get("cagr") is not None:
        title += f": {g['first_year']}\u2013{g['last_year']} \u00d7{g['fold']:.2f}, CAGR {g['cagr']:.1%}"
    ax.set_title(title, loc="left")
    ax.set_ylabel("works (full counting)")
    return fig


def figures(rep: dict, tables: dict, out_dir: str | None, top: int = 20) -> dict:
    """Make every report figure; write PNG+SVG to out_dir (when given); return name -> {png, svg, title}."""
    made = {}
    with plt.rc_context(STYLE):
        if rep.get("works_by_year"):
            made["works_by_year"] = _save(works_by_year(rep), out_dir, "works_by_year")
        tp = rep.get("third_party_countries") or []
        if tp:
            t = tp[:top]
            made["third_party_countries"] = _save(_barh(
                [r["country"] for r in t], [r["works"] for r in t],
                f"Top {len(t)} countries joining the analysed works", "works"), out_dir, "third_party_countries")
        for c, rows in (rep.get("institutions") or {}).items():
            if rows:
                t = rows[:top]
                made[f"institutions_{c}"] = _save(_barh(
                    [r["institution"] for r in t], [r["works"] for r in t],
                    f"Top {len(t)} institutions of {c}", "works"), out_dir, f"institutions_{c}")
        corp = rep.get("corporates") or []
        if corp:
            t = corp[:top]
            made["corporates"] = _save(_barh(
                [f"{r['corporate']} ({r['country']})" for r in t], [r["works"] for r in t],
                f"Top {len(t)} companies", "works", color=ACCENT), out_dir, "corporates")
        types = rep.get("collaboration_types") or {}
        if types:
            labels = list(types)
            made["collaboration_types"] = _save(_barh(
                [s.replace("_", " ") for s in labels], [100 * (types[k] or 0) for k in labels],
                "Collaboration types (SciVal)", "% of works", fmt="{:.1f}%"), out_dir, "collaboration_types")
        iy = tables.get("impact_by_year")
        if iy is not None and len(iy) and iy["impact"].notna().any():
            fig, ax = plt.subplots(figsize=(7, 3))
            ax.plot(iy["year"].astype(str), iy["impact"], marker="o", color=COLOR)
            ax.axhline(1.0, color="#999", lw=0.8, ls="--")
            ax.set_ylabel(rep.get("impact_name", "impact"))
            ax.set_title(f"Mean {rep.get('impact_name', 'impact')} per year (1 = world/dataset average)", loc="left")
            made["impact_by_year"] = _save(fig, out_dir, "impact_by_year")
    return made


def network_figure(G, group: dict, out_dir: str, name: str, title: str, labels: int = 25) -> dict:
    """Static network figure from the nodes' precomputed x, y: size by works, colour by group."""
    from .layout import colour
    nodes = sorted(G.nodes, key=str)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 8))
        wmax = max((float(G.edges[u, v].get("weight", 1.0)) for u, v in G.edges()), default=1.0) or 1.0
        edges = sorted(G.edges(data=True), key=lambda e: float(e[2].get("weight", 1.0)))
        if len(edges) > 3000:  # the strongest links carry the picture; 50k lines only blur it
            edges = edges[-3000:]
        from matplotlib.collections import LineCollection
        segs = [((G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])) for u, v, _ in edges]
        widths = [0.2 + 2.5 * float(d.get("weight", 1.0)) / wmax for _, _, d in edges]
        ax.add_collection(LineCollection(segs, linewidths=widths, colors="#9aa7b4", alpha=0.35, zorder=1))
        works = [float(G.nodes[u].get("works", 1) or 1) for u in nodes]
        mx = max(works) if works else 1.0
        ax.scatter([G.nodes[u]["x"] for u in nodes], [G.nodes[u]["y"] for u in nodes],
                   s=[8 + 400 * w / mx for w in works], c=[colour(group.get(u, 0)) for u in nodes], zorder=2,
                   linewidths=0)
        top = sorted(nodes, key=lambda u: (-float(G.nodes[u].get("works", 0) or 0), str(u)))[:labels]
        for u in top:
            ax.text(G.nodes[u]["x"], G.nodes[u]["y"], _short(G.nodes[u].get("name") or u, 30), fontsize=7, zorder=3,
                    ha="center", va="bottom")
        ax.set_title(title, loc="left")
        ax.set_axis_off()
        ax.set_aspect("equal")
        ax.autoscale()
        return _save(fig, out_dir, name)
