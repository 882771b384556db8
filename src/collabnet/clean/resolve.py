"""From merged records to the Corpus tables: every author slot gets institution, sector and country."""
from __future__ import annotations

import hashlib
from collections import Counter
from functools import lru_cache

import numpy as np
import pandas as pd

from ..corpus import columns_frame
from .countries import country_code, country_token
from .institutions import display_preference, name_key, parse_affiliation, sector_of_type
from .thesaurus import Thesaurus

AUTHORSHIP_COLUMNS = ["work_id", "position", "author", "author_id", "orcid", "is_corresponding", "raw_affiliation",
                      "institution_key", "institution", "sector", "sector_source", "institution_type",
                      "country", "country_source"]


WORK_ID_FIELDS = ("openalex_id", "doi", "eid", "ut", "pmid", "title", "year")


def work_id_from(openalex_id, doi, eid, ut, pmid, title, year) -> str:
    """A work's id: its OpenAlex id, else its DOI, Scopus EID, WoS UT or PMID, else a title + year hash."""
    if openalex_id:
        return openalex_id
    if doi:
        return "doi:" + doi
    if eid:
        return "scopus:" + eid
    if ut:
        return ut
    if pmid:
        return "pmid:" + pmid
    return "t:" + hashlib.sha1(f"{title}|{year}".encode()).hexdigest()[:16]


def work_id_of(rec: dict) -> str:
    return work_id_from(*(rec.get(f) for f in WORK_ID_FIELDS))


def _inst_key(aff: dict) -> str | None:
    if aff.get("ror"):
        return "ror:" + aff["ror"]
    if aff.get("inst_id"):
        return "openalex:" + aff["inst_id"]
    return None


NUMERIC_WORK_COLUMNS = ("year", "cited_by_openalex", "cited_by_scopus", "cited_by_wos", "cited_by_wos_all",
                        "cited_by_pubmed", "n_authors", "countries_declared", "record", "line")


def finish_works(works_df: pd.DataFrame) -> pd.DataFrame:
    """The works table with its dtypes (nullable integers, floats, a nullable top-10% flag)."""
    if works_df.empty:
        works_df = pd.DataFrame(columns=["work_id"])
    for col in NUMERIC_WORK_COLUMNS:
        if col in works_df:
            works_df[col] = pd.to_numeric(works_df[col], errors="coerce").astype("Int64")
    for col in ("fwci_openalex", "percentile_openalex"):
        if col in works_df:
            works_df[col] = pd.to_numeric(works_df[col], errors="coerce").astype("float64")
    if "top10_openalex" in works_df:
        works_df["top10_openalex"] = works_df["top10_openalex"].astype("boolean")
    return works_df


def finish_authorships(auth: dict, thesaurus: Thesaurus | None = None) -> tuple[pd.DataFrame, dict]:
    """The authorships table from its assembled columns (name -> numpy array), institution names unified,
    and the cleaning report: rows per sector source, in order of first appearance (thesaurus hits are
    added to the thesaurus)."""
    th = thesaurus or Thesaurus()
    hits = auth.pop("thesaurus_hit", None)
    th.hits += int(hits.sum()) if hits is not None else 0
    authorships = _frame(auth, AUTHORSHIP_COLUMNS, {"position": "int32", "is_corresponding": bool})
    del auth
    # rows per sector source, in order of first appearance (missing and "" left out): one hashing pass
    codes, sources = pd.factorize(authorships["sector_source"].to_numpy())
    counts = np.bincount(codes[codes >= 0], minlength=len(sources))
    del codes
    how = {k: int(n) for k, n in zip(sources, counts) if k != ""}
    _unify_names(authorships)
    return authorships, how


def finish_references(refs: dict) -> pd.DataFrame:
    """The references table from its assembled columns (``cited_work_id``: None until topics resolve it)."""
    return _frame(refs, REFERENCE_COLUMNS, {"position": "int64"})


REFERENCE_COLUMNS = ["work_id", "position", "raw", "doi", "openalex_id", "cited_work_id"]


def _frame(cols: dict, names: list, dtypes: dict) -> pd.DataFrame:
    """A DataFrame of numpy columns (a missing column: all None), without copying them into
    two-dimensional blocks: the peak is the columns, not twice them."""
    n = len(cols["work_id"]) if "work_id" in cols else 0
    data = {}
    for name in names:
        arr = cols.pop(name, None)
        if arr is None:
            arr = np.full(n, None, dtype=object)
        data[name] = arr.astype(dtypes.get(name, arr.dtype), copy=False)
    return columns_frame(data, names)


def authorship_row(wid, pos, au, aff, th: Thesaurus, pool: dict):
    """One authorship row.  Names, addresses and institution keys repeat across rows (an institution's
    key on every one of its authorships): each distinct value is kept as one string object (``pool``),
    which saves memory and makes the later group-bys faster (fewer, denser objects to hash and compare)."""
    return author_head(wid, pos, au, pool) + affiliation_tail(aff, th, pool)


def author_head(wid, pos, au, pool: dict) -> tuple:
    """The first six fields of an authorship row: the work, the position and the author's own fields."""
    if not au:
        return (wid, pos, None, None, None, False)
    name = au["name"]
    if name:
        name = pool.setdefault(name, name)
    return (wid, pos, name, au["id"], au["orcid"], bool(au["corresponding"]))


NO_AFFILIATION = (None, None, None, None, None, None, None, None, False)


def affiliation_tail(aff, th: Thesaurus, pool: dict) -> tuple:
    """The last nine fields of an authorship row: the affiliation resolved (raw string, institution key and
    name, sector, type, country, thesaurus hit).  It depends on the affiliation's raw string, OpenAlex id,
    ROR, name, type and country (and the thesaurus) only: ``chunk_part`` resolves each distinct six once
    per chunk."""
    if aff is None:
        return NO_AFFILIATION
    raw = aff.get("raw")
    if raw:
        raw = pool.setdefault(raw, raw)
    key = _inst_key(aff)
    inst = itype = None
    sector = sector_src = None
    country, country_src = None, None
    if key:
        inst, itype = aff.get("inst_name"), aff.get("inst_type")
        sector, sector_src, country, country_src = _id_fields(itype, aff.get("country"))
    elif raw:
        p = parse_affiliation(raw)
        inst, sector, sector_src = p.organisation, p.sector, p.sector_source
        if inst:
            key = "name:" + name_key(inst)
            if key == "name:":
                key = None
        if aff.get("country"):
            country, country_src = country_code(aff["country"]), "openalex"
        else:
            country, country_src = p.country, p.country_source
    else:
        country = country_code(aff.get("country")) if aff.get("country") else None
        country_src = "openalex" if country else None
    hit = False
    if th.active and (inst or raw):
        e = th.lookup(inst, raw)
        if e is not None:
            hit = True
            if e.canonical is None:
                key = inst = None
                sector = sector_src = None
            else:
                inst = e.canonical
                key = ("ror:" + e.ror.rstrip("/").rsplit("/", 1)[-1]) if e.ror else "name:" + name_key(e.canonical)
                if e.sector:
                    sector, sector_src = e.sector, "thesaurus"
                elif sector_src == "unresolved" or sector is None:
                    sector, sector_src = "other", "unresolved"
                if e.country:
                    country, country_src = e.country, "thesaurus"
    if country is None and raw and country_src in (None, "unresolved"):
        country_src = "unresolved"
    if key:
        key = pool.setdefault(key, key)
    return (raw, key, inst, sector, sector_src, itype, country, country_src, hit)


@lru_cache(maxsize=None)
def _id_fields(itype, cc):
    """(sector, sector source, country, country source) of an institution that OpenAlex identifies."""
    sector = sector_of_type(itype)
    sector, sector_src = (sector, "openalex") if sector else ("other", "unresolved")
    country = country_code(cc) if cc else None
    return sector, sector_src, country, "openalex" if country else None


def _unify_names(a: pd.DataFrame) -> None:
    """One key and one display name per institution.

    A name parsed from a string that equals an OpenAlex institution's name
    takes that institution's id key; variants of one name key get one display
    name (unabbreviated preferred, then the most frequent).  Worked on the
    codes of the distinct keys, names and countries (a million rows hold a
    few thousand institutions).
    """
    if a.empty:
        return
    col = a["institution_key"].to_numpy()
    codes, keys = pd.factorize(col)          # distinct keys in order of first appearance; missing: -1
    if not len(keys):
        return
    rows = np.flatnonzero(codes >= 0)
    kc = codes[rows]
    inst = a["institution"].to_numpy()
    country = a["country"].to_numpy()
    first = np.empty(len(keys), dtype=np.int64)
    first[kc[::-1]] = rows[::-1]             # each key's first row
    is_name = np.fromiter((k.startswith("name:") for k in keys), dtype=bool, count=len(keys))
    by_name = {}                             # (name key, country) -> the first id key of that name
    for j in np.flatnonzero(~is_name):
        nm = inst[first[j]]
        if nm:
            by_name.setdefault(("name:" + name_key(nm), country[first[j]]), j)
    if by_name:
        named = rows[is_name[kc]]           # rows of name keys: remapped per distinct (key, country)
        cc, ccs = pd.factorize(country[named])
        cc, ccs = cc + 1, [None, *ccs]          # (a missing country stays None, as in by_name)
        w = len(ccs)
        pair_of, pairs = pd.factorize(codes[named].astype(np.int64) * w + cc)   # (each pair is mapped on its own)
        to = np.array([by_name.get((keys[p // w], ccs[p % w]), p // w) for p in pairs.tolist()], dtype=np.int64)
        codes = codes.copy()
        codes[named] = to[pair_of]
        kc = codes[rows]
        col = col.copy()
        col[rows] = keys[kc]
        a["institution_key"] = col
    nc, names = pd.factorize(inst[rows], use_na_sentinel=False)
    w = max(len(names), 1)
    # (rows per distinct pair, as np.unique(..., return_counts=True) gives them, by hashing, not sorting, the rows)
    pair_of, pairs = pd.factorize(kc.astype(np.int64) * w + nc)
    n = np.bincount(pair_of, minlength=len(pairs))
    del pair_of
    by = np.argsort(pairs)
    pairs, n = pairs[by], n[by]
    best: dict = {}                          # key code -> (preference, -rows, name) of its display name
    for p, c in zip(pairs.tolist(), n.tolist()):
        nm = names[p % w]
        cand = (display_preference(nm), -c, nm)
        if p // w not in best or cand < best[p // w]:
            best[p // w] = cand
    display = np.empty(len(keys), dtype=object)
    for k, cand in best.items():
        display[k] = cand[2]
    inst = inst.copy()
    inst[rows] = display[kc]
    a["institution"] = inst


def unresolved_report(a: pd.DataFrame, top: int = 20) -> dict:
    """Unresolved countries (their address element) and institutions, most frequent first."""
    out = {"countries": [], "institutions": []}
    if a.empty:
        return out
    miss_c = (a["country"].isna() & a["raw_affiliation"].notna()).to_numpy()
    toks: Counter = Counter()
    for raw, n in pd.Series(a["raw_affiliation"].to_numpy()[miss_c]).value_counts(sort=False).items():
        toks[country_token(raw)] += int(n)      # (once per distinct address)
    out["countries"] = [{"token": t, "rows": n} for t, n in sorted(toks.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    miss_i = ((a["sector_source"] == "unresolved") & a["institution"].notna()).to_numpy()
    names = Counter({t: int(n) for t, n in
                     pd.Series(a["institution"].to_numpy()[miss_i]).value_counts(sort=False).items()})
    out["institutions"] = [{"institution": t, "rows": n}
                           for t, n in sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    return out


__all__ = ["authorship_row", "finish_works", "finish_authorships", "finish_references", "work_id_of",
           "unresolved_report"]
