"""Resolve references to in-corpus works (methods.md 7.2): ids, DOIs, bibliographic keys, titles.

Order per reference: OpenAlex id, DOI, then (first-author surname, year, volume, first page), then the
normalised cited title (+ year) found in a Scopus reference string, then a fuzzy title match
(rapidfuzz token ratio >= 95, same year, same first-author surname).  A key that matches more than
one work is dropped.  Every reference also gets an ``ext_id`` (DOI, OpenAlex id or key string) so that
bibliographic coupling and extended direct citation can use references outside the corpus.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..read.common import surname_key, title_key

_WOS_REF = re.compile(r"^(?P<au>[^,]*),\s*(?P<year>\d{4})\s*,\s*(?P<src>[^,]*)(?:,\s*V(?P<vol>[\w-]+))?(?:,\s*P(?P<page>[\w-]+))?")
_SCOPUS_YEAR = re.compile(r"\((?P<year>\d{4})\)")
_SCOPUS_VOLPAGE = re.compile(r"\)\s*[^,]*,\s*(?P<vol>[\w-]+)(?:\s*\([^)]*\))?,\s*(?:pp?\.\s*)?(?P<page>[\w-]+)")
_AUTHOR_TOKEN = re.compile(r"^[^\W\d_][\w'\- ]*\s+(?:[A-Z]\.(?:-?[A-Z]\.)*)$")
FUZZY_MIN = 95


def _unique_map(keys: pd.Series, ids: pd.Series) -> dict:
    """key -> work id, keys that match more than one work dropped."""
    df = pd.DataFrame({"k": keys, "w": ids}).dropna().drop_duplicates()
    counts = df["k"].value_counts()
    df = df[df["k"].map(counts) == 1]
    return dict(zip(df["k"], df["w"]))


def _parse(raw: str):
    """(surname key, year, volume, page, title candidates) from a WoS CR or Scopus reference string."""
    m = _WOS_REF.match(raw)
    if m and "(" not in raw[: m.end()]:
        return surname_key(m["au"]), int(m["year"]), m["vol"], m["page"], ()
    y = _SCOPUS_YEAR.search(raw)
    if not y:
        return None, None, None, None, ()
    head = raw[: y.start()].rstrip(" ,")
    parts = [p.strip() for p in head.split(", ")]
    n_auth = 0
    while n_auth < len(parts) - 1 and _AUTHOR_TOKEN.match(parts[n_auth]):
        n_auth += 1
    au = surname_key(parts[0]) if n_auth else None
    title = ", ".join(parts[n_auth:]) if n_auth else head
    vp = _SCOPUS_VOLPAGE.search(raw, y.start())
    return au, int(y["year"]), vp["vol"] if vp else None, vp["page"] if vp else None, (title,)


def _first_surnames(corpus) -> pd.Series:
    a = corpus.authorships
    a = a[a["position"] == 0].drop_duplicates("work_id")
    return a.set_index("work_id")["author"].map(surname_key)


def resolve_references(corpus, fuzzy: bool = True) -> tuple[pd.DataFrame, dict]:
    """Return (references with cited_work_id, how, ext_id filled; statistics per step)."""
    refs = corpus.references.copy()
    w = corpus.works
    n = len(refs)
    cited = pd.Series([None] * n, index=refs.index, dtype="object")
    how = pd.Series([None] * n, index=refs.index, dtype="object")

    def fill(mask_vals: pd.Series, step: str):
        ok = mask_vals.notna() & cited.isna()
        cited[ok] = mask_vals[ok]
        how[ok] = step

    if n and "openalex_id" in refs:
        fill(refs["openalex_id"].map(_unique_map(w["openalex_id"], w["work_id"])), "openalex_id")
    if n and "doi" in refs:
        fill(refs["doi"].str.lower().map(_unique_map(w["doi"].str.lower(), w["work_id"])), "doi")
    todo = cited.isna() & refs["raw"].notna() if n else pd.Series(dtype=bool)
    if n and "openalex_id" in refs:  # a bare OpenAlex id carries no author, year or title to parse
        todo &= refs["raw"] != refs["openalex_id"]
    if todo.any():
        raws = refs.loc[todo, "raw"]
        # a cited work's string recurs in every citing paper: parse and key each distinct string once
        uniq = pd.unique(raws)
        once = [_parse(r) for r in uniq]
        code = pd.Index(uniq).get_indexer(raws)  # each reference's distinct string

        def per_ref(values) -> pd.Series:
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
            return pd.Series(arr[code], index=raws.index, dtype="object")

        sur = _first_surnames(corpus).reindex(w["work_id"]).to_numpy()
        wk = pd.Series([f"{s}|{y}|{v}|{p}" if s and pd.notna(y) and v and p else None
                        for s, y, v, p in zip(sur, w["year"], w["volume"], w["first_page"])])
        kmap = _unique_map(wk, w["work_id"])
        keys = per_ref([f"{a}|{y}|{v}|{p}" if a and y and v and p else None for a, y, v, p, _ in once])
        fill(keys.map(kmap).reindex(refs.index), "key")
        # titles (Scopus strings carry the cited title)
        tkeys = pd.Series([title_key(t) for t in w["title"]])
        tmap = _unique_map(tkeys + "|" + w["year"].astype("Int64").astype(str), w["work_id"])
        tk = per_ref([(title_key(t[0]) or "") + f"|{y}" if t else None for _, y, _, _, t in once])
        fill(tk.map(tmap).reindex(refs.index), "title")
        if fuzzy:
            left = np.unique(code[cited.reindex(raws.index).isna().to_numpy()])
            found = _fuzzy([once[i] for i in left], w, sur)
            match = np.full(len(once), None, dtype=object)
            match[left] = found
            fill(pd.Series(match[code], index=raws.index, dtype="object").reindex(refs.index), "fuzzy_title")
    ext = pd.Series([None] * n, index=refs.index, dtype="object")
    if n:
        d = refs["doi"]
        m = d.map(lambda x: isinstance(x, str)).astype(bool)
        ext[m] = "doi:" + d[m].str.lower()
        if "openalex_id" in refs:
            o = refs["openalex_id"]
            m = ext.isna() & o.map(lambda x: isinstance(x, str)).astype(bool)
            ext[m] = "openalex:" + o[m]
        r = refs["raw"]
        m = ext.isna() & r.map(lambda x: isinstance(x, str)).astype(bool)
        if m.any():
            vals = r[m]
            ext[m] = vals.map({x: "ref:" + (title_key(x) or "") for x in pd.unique(vals)})
    refs["cited_work_id"] = cited
    refs["how"] = how
    refs["ext_id"] = ext
    # a resolved reference's external id is the work itself (so BC sees the same key from every source)
    refs.loc[cited.notna(), "ext_id"] = "work:" + cited[cited.notna()]
    self_cite = refs["cited_work_id"] == refs["work_id"]
    refs.loc[self_cite, "cited_work_id"] = None
    stats = {"references": int(n), "resolved": int(refs["cited_work_id"].notna().sum()),
             "by_step": {k: int(v) for k, v in how[~self_cite].value_counts().sort_index().items()},
             "self_citations_dropped": int(self_cite.sum())}
    stats["resolved_share"] = stats["resolved"] / n if n else None
    return refs, stats


def _fuzzy(parsed: list, w: pd.DataFrame, sur) -> list:
    """Fuzzy title match of parsed references ((surname, year, volume, page, titles) each), blocked on
    (year, first-author surname) so each reference meets a few candidates: the work id, or None."""
    from rapidfuzz import fuzz
    out = [None] * len(parsed)
    if not parsed:
        return out
    blocks: dict = {}
    for wid, t, y, s in zip(w["work_id"], w["title"], w["year"], sur):
        if t and pd.notna(y) and s:
            blocks.setdefault((int(y), s), []).append((title_key(t), wid))
    for i, (au, y, _, _, titles) in enumerate(parsed):
        if not titles or not au or not y:
            continue
        cand = blocks.get((int(y), au))
        if not cand:
            continue
        q = title_key(titles[0]) or ""
        scores = [fuzz.token_ratio(q, c[0]) for c in cand]
        best = np.flatnonzero(np.array(scores) >= FUZZY_MIN)
        if len(best) == 1:
            out[i] = cand[best[0]][1]
    return out
