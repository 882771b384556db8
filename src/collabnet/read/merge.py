"""Deduplicating records from one or several files (methods.md 8.3).

Order of keys: DOI, then PMID, then each source's own id (Scopus EID, WoS
UT, OpenAlex W-id), then normalised title + year + first-author surname.
Two records whose DOIs (or same-source ids) differ are never merged by title.

Which record wins: the author and affiliation structure comes from the
best-structured source, OpenAlex > Scopus > WoS > PubMed (the first such
record in input order).  Identifiers, keywords, subject fields and references
are the union of all merged records (references are never dropped); citation
counts stay per source and are never mixed (methods.md 4.1).
"""
from __future__ import annotations

from .common import surname_key, title_key

SOURCE_PRIORITY = ("openalex", "scopus", "wos", "pubmed")
ID_FIELDS = ("doi", "pmid", "eid", "ut", "openalex_id")


def _rank(rec) -> int:
    try:
        return SOURCE_PRIORITY.index(rec["source"])
    except ValueError:
        return len(SOURCE_PRIORITY)


def _conflict(a: dict, b: dict) -> bool:
    """True when two records carry different values of the same identifier."""
    return any(a[f] and b[f] and a[f] != b[f] for f in ID_FIELDS)


def group_records(records: list[dict]) -> list[list[dict]]:
    """Groups of records that are the same work, in order of first appearance."""
    groups: list[list[dict]] = []
    index: dict[tuple, int] = {}
    steps = {"doi": 0, "pmid": 0, "source_id": 0, "title": 0}
    for rec in records:
        g = None
        for f, step in (("doi", "doi"), ("pmid", "pmid"), ("eid", "source_id"), ("ut", "source_id"),
                        ("openalex_id", "source_id")):
            if rec[f] and (f, rec[f]) in index:
                g = index[(f, rec[f])]
                steps[step] += 1
                break
        tk = None
        t = title_key(rec["title"])
        if t and rec["year"]:
            tk = (t, rec["year"])
        if g is None and tk is not None and ("title", tk) in index:
            cand = index[("title", tk)]
            first = groups[cand][0]
            sa = surname_key(rec["authors"][0]["name"]) if rec["authors"] else None
            sb = surname_key(first["authors"][0]["name"]) if first["authors"] else None
            if not any(_conflict(rec, other) for other in groups[cand]) and (not sa or not sb or sa == sb):
                g = cand
                steps["title"] += 1
        if g is None:
            g = len(groups)
            groups.append([rec])
        else:
            groups[g].append(rec)
        for f in ID_FIELDS:
            if rec[f]:
                index.setdefault((f, rec[f]), g)
        if tk is not None:
            index.setdefault(("title", tk), g)
    group_records.last_steps = steps
    return groups


def _dedup_ci(items) -> list:
    """Items in order, case-insensitive duplicates dropped."""
    seen, out = set(), []
    for k in items:
        lk = k.lower()
        if lk not in seen:
            seen.add(lk)
            out.append(k)
    return out


def _dedup_refs(refs) -> list:
    """References (raw, doi, openalex_id) in order, one per key (OpenAlex id, else DOI, else raw string)."""
    seen, out = set(), []
    for ref in refs:
        key = ref[2] or ref[1] or ref[0]
        if key and key not in seen:
            seen.add(key)
            out.append(ref)
    return out


def merge_group(group: list[dict]) -> dict:
    """One work from the records that are the same work (nearly always a group of one: no unions to make)."""
    if len(group) == 1:
        base, ordered = dict(group[0]), group
    else:
        best = min(range(len(group)), key=lambda i: (_rank(group[i]), i))
        base = dict(group[best])
        ordered = sorted(group, key=_rank)
        for f in ID_FIELDS + ("title", "year", "source_title", "volume", "issue", "first_page", "language",
                              "funding", "primary_topic", "countries_declared"):
            if not base.get(f):
                for r in ordered:
                    if r.get(f):
                        base[f] = r[f]
                        break
    for f in ("keywords", "index_keywords", "fields"):
        base[f] = _dedup_ci(k for r in ordered for k in r[f])
    base["references"] = _dedup_refs(ref for r in ordered for ref in r["references"])
    cites = {}
    for r in ordered:
        if r["cited_by"] is not None:
            cites.setdefault(r["source"], r["cited_by"])
        if r["source"] == "wos" and r.get("cited_by_all") is not None:
            cites.setdefault("wos_all", r["cited_by_all"])
    base["citations"] = cites
    for f in ("fwci", "top10", "percentile", "counts_by_year"):
        if base.get(f) is None:
            base[f] = next((r[f] for r in ordered if r.get(f) is not None), None)
    base["is_retracted"] = any(r["is_retracted"] for r in group)
    base["is_paratext"] = any(r["is_paratext"] for r in group)
    base["sources"] = sorted({r["source"] for r in group}, key=SOURCE_PRIORITY.index)
    base["provenance"] = [(r["file"], r["record"], r["line"]) for r in group]
    return base
