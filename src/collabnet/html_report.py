"""report.html: one self-contained page (figures inlined as data URIs, no script, no network).

Every piece of user data goes through ``html.escape``; nothing is fetched when the page opens.
"""
from __future__ import annotations

import base64
import html
import os

import pandas as pd

from .io_utils import atomic_write_text

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1000px;padding:1.5em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.def{color:#555;font-size:.9em;margin:.3em 0 .8em}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:.6em;margin:1em 0}
.kpi{border:1px solid #ddd;border-radius:6px;padding:.6em}.kpi b{display:block;font-size:1.4em}.kpi span{font-size:.8em;color:#555}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}th,td{border-bottom:1px solid #eee;padding:.25em .6em;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:.5em 0}img{max-width:100%}
.more{font-size:.8em;color:#666}nav a{margin-right:.8em;font-size:.85em}
"""


def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def _num(v, nd=2) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:,.{nd}f}"


def _table(df: pd.DataFrame, csv_name: str | None = None, limit: int = 25, pct_cols=(), table_id=None) -> str:
    shown = df.head(limit)
    head = "".join(f'<th class="{"n" if pd.api.types.is_numeric_dtype(shown[c]) else ""}">{_e(c)}</th>'
                   for c in shown.columns)
    rows = []
    for r in shown.itertuples(index=False):
        cells = []
        for c, v in zip(shown.columns, r):
            if isinstance(v, float):
                txt = "" if pd.isna(v) else (_pct(v) if c in pct_cols else f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}")
                cells.append(f'<td class="n">{_e(txt)}</td>')
            elif isinstance(v, int) or (hasattr(v, "dtype") and pd.api.types.is_integer(v)):
                cells.append(f'<td class="n">{int(v) if c == "year" else format(int(v), ",")}</td>')
            else:
                cells.append(f"<td>{_e('' if v is None or (not isinstance(v, str) and pd.isna(v)) else v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    tid = f' id="{_e(table_id)}"' if table_id else ""
    out = f'<table{tid} class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    if csv_name:
        more = f"{len(df) - limit:,} more rows; " if len(df) > limit else ""
        out += f'<p class="more">{more}all {len(df):,} rows in {_e(csv_name)}</p>'
    return out


def _figure(figs: dict, name: str, alt: str) -> str:
    if name not in figs:
        return ""
    data = base64.b64encode(figs[name]["png"]).decode("ascii")
    return (f'<figure><img class="fig" alt="{_e(alt)}" src="data:image/png;base64,{data}">'
            f'<figcaption class="more">figures/{_e(name)}.png and .svg</figcaption></figure>')


def _section(sid: str, title: str, definition: str, body: str) -> str:
    return f'<section id="{_e(sid)}"><h2>{_e(title)}</h2><p class="def">{_e(definition)}</p>{body}</section>'


def render(rep: dict, tables: dict, figs: dict, summary: dict | None = None) -> str:
    counting = rep.get("counting", {})
    full = "Full counting: a work counts once for every country or institution on it."
    kp = [("works", _num(rep["works"]), rep["analysed_set"]),
          ("international share", _pct(rep.get("international_share")), "works with 2+ countries")]
    if "bilateral_only_share" in rep:
        kp += [("bilateral only", _pct(rep["bilateral_only_share"]), f"{rep['bilateral_only_works']:,} works with only the pair"),
               ("multinational", _pct(rep["multinational_share"]), "works with a third country")]
    kp += [("academic-corporate", _pct(rep.get("academic_corporate_share")), "works with a company and an academic institution"),
           ("citations per work", _num(rep.get("citations_per_work")), f"source: {rep.get('citation_source') or 'none'}")]
    if rep.get("fwci_mean") is not None:
        kp.append(("FWCI", _num(rep["fwci_mean"], 3), f"mean, from {rep.get('fwci_source')}"))
    elif rep.get("mncs_ds") is not None:
        kp.append(("MNCS_ds", _num(rep["mncs_ds"], 3), "dataset-relative, not FWCI"))
    t10 = rep.get("top10_share", rep.get("top10_share_ds"))
    kp.append(("top-10% share", _pct(t10), f"from {rep.get('top10_source')}"))
    g = rep.get("growth")
    if g and g.get("fold") is not None:
        kp.append(("growth", f"\u00d7{g['fold']:.2f}", f"{g['first_year']}\u2013{g['last_year']}, CAGR {_pct(g['cagr'])}"))
    kpis = "".join(f'<div class="kpi"><span>{_e(a)}</span><b>{_e(b)}</b><span>{_e(c)}</span></div>' for a, b, c in kp)

    sec = []
    sec.append(_section("output", "Output per year",
                        f"Works per publication year in the analysed set ({rep['analysed_set']}). {full} "
                        "Growth = last year / first year; CAGR = fold^(1/(years)) - 1."
                        + (f" {rep['partial_year']} is incomplete and left out of growth." if rep.get("partial_year") else ""),
                        _figure(figs, "works_by_year", "works per year") + _table(tables["works_by_year"], "tables/works_by_year.csv")))
    if "country_count_histogram" in rep:
        h = pd.DataFrame(list(rep["country_count_histogram"].items()), columns=["countries on the work", "works"])
        sec.append(_section("countries-per-work", "Countries per joint work",
                            "Distribution of the number of distinct countries on each joint work; 2 = bilateral only.",
                            _table(h)))
    sec.append(_section("third-parties", "Third-party countries",
                        "Countries other than the focus on the analysed works: works (full counting) and share of the analysed works.",
                        _figure(figs, "third_party_countries", "third-party countries")
                        + _table(tables["third_party_countries"], "tables/third_party_countries.csv", pct_cols=("share",))))
    for c in rep.get("institutions", {}):
        sec.append(_section(f"institutions-{c}", f"Institutions of {c}",
                            f"Every institution in {c} on the analysed works (companies included), by works (full counting); "
                            "share of the analysed works; impact = mean per-work score.",
                            _figure(figs, f"institutions_{c}", f"institutions of {c}")
                            + _table(tables[f"institutions_{c}"], f"tables/institutions_{c}.csv", pct_cols=("share",))))
    sec.append(_section("corporates", "Companies",
                        "Institutions of sector corporate (any country) on the analysed works, by works (full counting).",
                        _figure(figs, "corporates", "companies") + _table(tables["corporates"], "tables/corporates.csv", pct_cols=("share",))))
    sec.append(_section("collaboration-types", "Collaboration types",
                        "SciVal's exclusive types: international (2+ countries), else national (2+ institutions), "
                        "else institutional (2+ authors), else single authorship; shares of the analysed works.",
                        _figure(figs, "collaboration_types", "collaboration types")
                        + _table(tables["collaboration_types"], "tables/collaboration_types.csv", pct_cols=("share",))
                        + _table(tables["scp_mcp"], "tables/scp_mcp.csv")))
    impact_def = {"FWCI (OpenAlex)": "FWCI as OpenAlex computes it (citations / world expectation of field, year and type).",
                  "FWCI (your baseline)": "Citations / expected citations of the work's year, type and field in the baseline you passed."}.get(
        rep.get("impact_name"), "No source FWCI and no baseline: MNCS_ds = citations / mean citations of the work's "
                                "year, type and field within this dataset. It is not FWCI.")
    sec.append(_section("impact", "Citation impact", impact_def
                        + f" Top-10% share from {rep.get('top10_source')}.",
                        _figure(figs, "impact_by_year", "impact per year") + _table(tables["impact_by_year"], "tables/impact_by_year.csv")))
    cg = rep.get("country_graph", {})
    net = (f"<p>Country graph: {cg.get('nodes', 0):,} nodes, {cg.get('edges', 0):,} edges. "
           f"Institution graph: {rep.get('institution_graph', {}).get('nodes', 0):,} nodes, "
           f"{rep.get('institution_graph', {}).get('edges', 0):,} edges.</p>")
    if "country_links" in tables:
        net += "<h3>Strongest country links</h3>" + _table(tables["country_links"], "tables/country_links.csv", limit=15)
    if "networks/country_centrality" in tables:
        ct = tables["networks/country_centrality"].sort_values(["strength", "node"], ascending=[False, True])
        net += "<h3>Country centrality</h3>" + _table(ct, "networks/country_centrality.csv", limit=15)
    sec.append(_section("networks", "Co-authorship networks",
                        f"Edges join units that share a work; edge weight: {counting.get('network_weight', '')} counting "
                        "(unit fractional: each work adds 1/(m-1) to each of its m units' links). Betweenness and "
                        "closeness use distance = 1/weight.", net))
    if "topics/clusters" in tables:
        info = rep.get("topics_info", {})
        refs = info.get("references", {})
        td = tables["topics/clusters"]
        cols = [c for c in ("cluster", "label", "size", "first_year", "median_year", "citations_per_paper", "impact",
                            "top_countries", "corporate_share", "openalex_topic") if c in td.columns]
        body = (f"<p>{info.get('described_clusters', 0):,} clusters of {info.get('report_min_size', 9)}+ papers hold "
                f"{info.get('papers_in_described', 0):,} papers; {info.get('small_clusters', 0):,} smaller clusters "
                f"(singletons included) are in topics/membership.csv. References resolved inside the set: "
                f"{refs.get('resolved', 0):,} of {refs.get('references', 0):,}; papers with a link: "
                f"{_pct(info.get('linked_share'))}.</p>")
        if info.get("advice"):
            body += f"<p>{_e(info['advice'])}</p>"
        body += _table(td[cols], "topics/clusters.csv", limit=60, pct_cols=("corporate_share",), table_id="topics-table")
        sec.append(_section("topics", "Topics",
                            f"Papers clustered by {info.get('relatedness', 'dc')} citation links ({info.get('algorithm')}, "
                            f"{info.get('quality')}, resolution {info.get('resolution', 0):.3g}); label = top three "
                            "class-based TF-IDF terms of titles and keywords.", body))
    nav = "".join(f'<a href="#{sid}">{_e(t)}</a>' for sid, t in
                  [("output", "output"), ("third-parties", "third parties"), ("corporates", "companies"),
                   ("impact", "impact"), ("networks", "networks"), ("topics", "topics")])
    src = ""
    if summary:
        files = ", ".join(f"{os.path.basename(f['path'])} ({f['format']}, {f['records']:,} records)" for f in summary.get("files", []))
        src = f'<p class="def">Input: {_e(files)}. Corpus: {summary.get("works", 0):,} works after deduplication.</p>'
    title = f"collabnet report: {rep['analysed_set']}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{_e(title)}</h1>{src}<nav>{nav}</nav><div class=\"kpis\" id=\"key-figures\">{kpis}</div>"
            + "".join(sec) + "</body></html>\n")


def write_html(out: str, rep: dict, tables: dict, figs: dict, summary: dict | None = None) -> str:
    path = os.path.join(out, "report.html")
    atomic_write_text(path, render(rep, tables, figs, summary))
    return path
