"""From merged records to the Corpus tables: every author slot gets institution, sector and country."""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from functools import lru_cache

import orjson
import pandas as pd

from .countries import country_code, country_token
from .institutions import display_preference, name_key, parse_affiliation, sector_of_type
from .thesaurus import Thesaurus

AUTHORSHIP_COLUMNS = ["work_id", "position", "author", "author_id", "orcid", "is_corresponding", "raw_affiliation",
                      "institution_key", "institution", "sector", "sector_source", "institution_type",
                      "country", "country_source"]


def work_id_of(rec: dict) -> str:
    if rec.get("openalex_id"):
        return rec["openalex_id"]
    if rec.get("doi"):
        return "doi:" + rec["doi"]
    for f, p in (("eid", "scopus:"), ("ut", ""), ("pmid", "pmid:")):
        if rec.get(f):
            return p + rec[f]
    h = hashlib.sha1(f"{rec.get('title')}|{rec.get('year')}".encode()).hexdigest()[:16]
    return "t:" + h


def _inst_key(aff: dict) -> str | None:
    if aff.get("ror"):
        return "ror:" + aff["ror"]
    if aff.get("inst_id"):
        return "openalex:" + aff["inst_id"]
    return None


def resolve(works: list[dict], thesaurus: Thesaurus | None = None, consume: bool = False):
    """Build (works, authorships, references) DataFrames and a cleaning report (``consume``: empty each
    work dict once its rows are made)."""
    th = thesaurus or Thesaurus()
    a_rows = []
    w_rows = []
    r_rows = []
    how = Counter()
    pool: dict = {}  # one string object per distinct name, address and key (see _row)
    for w in works:
        wid = w["work_id"]
        for pos, au in enumerate(w["authors"]):
            affs = au["affs"] or [None]
            for aff in affs:
                a_rows.append(_row(wid, pos, au, aff, th, how, pool))
        for aff in w["unlinked"]:
            a_rows.append(_row(wid, -1, None, aff, th, how, pool))
        for i, (raw, doi, oa) in enumerate(w["references"]):
            r_rows.append((wid, i, raw, doi, oa))
        c = w.get("citations", {})
        cby = w.get("counts_by_year")
        w_rows.append({
            "work_id": wid, "doi": w["doi"], "openalex_id": w["openalex_id"], "eid": w["eid"], "ut": w["ut"],
            "pmid": w["pmid"], "title": w["title"], "year": w["year"], "doc_type": w["doc_type"],
            "doc_type_raw": w["doc_type_raw"], "source_title": w["source_title"], "volume": w["volume"],
            "issue": w["issue"], "first_page": w["first_page"], "language": w["language"],
            "cited_by_openalex": c.get("openalex"), "cited_by_scopus": c.get("scopus"),
            "cited_by_wos": c.get("wos"), "cited_by_wos_all": c.get("wos_all"),
            "cited_by_pubmed": None,
            "fwci_openalex": w["fwci"], "top10_openalex": w["top10"], "percentile_openalex": w["percentile"],
            "counts_by_year": orjson.dumps({str(k): v for k, v in sorted(cby.items())}).decode() if cby else None,
            "keywords": "; ".join(w["keywords"]) or None, "index_keywords": "; ".join(w["index_keywords"]) or None,
            "fields": "; ".join(w["fields"]) or None, "primary_topic": w["primary_topic"],
            "n_authors": len(w["authors"]), "countries_declared": w["countries_declared"],
            "sources": ";".join(w["sources"]), "file": w["provenance"][0][0], "record": w["provenance"][0][1],
            "line": w["provenance"][0][2], "is_retracted": w["is_retracted"], "is_paratext": w["is_paratext"],
            "funding": w["funding"],
        })
        if consume:
            w.clear()
    authorships = _frame(a_rows, AUTHORSHIP_COLUMNS)
    del a_rows
    _unify_names(authorships)
    works_df = pd.DataFrame(w_rows)
    if works_df.empty:
        works_df = pd.DataFrame(columns=["work_id"])
    for col in ("year", "cited_by_openalex", "cited_by_scopus", "cited_by_wos", "cited_by_wos_all", "cited_by_pubmed",
                "n_authors", "countries_declared", "record", "line"):
        if col in works_df:
            works_df[col] = pd.to_numeric(works_df[col], errors="coerce").astype("Int64")
    for col in ("fwci_openalex", "percentile_openalex"):
        if col in works_df:
            works_df[col] = pd.to_numeric(works_df[col], errors="coerce").astype("float64")
    if "top10_openalex" in works_df:
        works_df["top10_openalex"] = works_df["top10_openalex"].astype("boolean")
    authorships["position"] = authorships["position"].astype("int32")
    authorships["is_corresponding"] = authorships["is_corresponding"].astype(bool)
    refs = _frame(r_rows, ["work_id", "position", "raw", "doi", "openalex_id"])
    del r_rows
    refs["cited_work_id"] = pd.Series([None] * len(refs), dtype="object")
    return works_df, authorships, refs, dict(how)


def _frame(rows: list, columns: list) -> pd.DataFrame:
    """DataFrame of a list of row tuples, built column by column and emptying the list as it goes: the
    peak is the rows plus one column, not the rows plus pandas' two-dimensional copy of them all."""
    if not rows:
        return pd.DataFrame(rows, columns=columns)
    cols = list(zip(*rows))
    rows.clear()
    data = {}
    for i, name in enumerate(columns):
        data[name] = pd.Series(cols[i])
        cols[i] = None
    return pd.DataFrame(data, columns=columns)


def _row(wid, pos, au, aff, th: Thesaurus, how: Counter, pool: dict):
    """One authorship row.  Names, addresses and institution keys repeat across rows (an institution's
    key on every one of its authorships): each distinct value is kept as one string object (``pool``),
    which saves memory and makes the later group-bys faster (fewer, denser objects to hash and compare)."""
    name = au["name"] if au else None
    if name:
        name = pool.setdefault(name, name)
    aid = au["id"] if au else None
    orcid = au["orcid"] if au else None
    corr = bool(au["corresponding"]) if au else False
    if aff is None:
        return (wid, pos, name, aid, orcid, corr, None, None, None, None, None, None, None, None)
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
    if th.active and (inst or raw):
        e = th.lookup(inst, raw)
        if e is not None:
            th.hits += 1
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
    if sector_src:
        how[sector_src] += 1
    if key:
        key = pool.setdefault(key, key)
    return (wid, pos, name, aid, orcid, corr, raw, key, inst, sector, sector_src, itype, country, country_src)


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
    name (unabbreviated preferred, then the most frequent).
    """
    if a.empty:
        return
    has = a["institution_key"].notna()
    sub = a.loc[has, ["institution_key", "institution", "country"]]
    idkeys = sub[~sub["institution_key"].str.startswith("name:")]
    by_name = {}
    for key, nm, cc in idkeys.drop_duplicates(["institution_key"]).itertuples(index=False):
        if nm:
            by_name.setdefault(("name:" + name_key(nm), cc), key)
    if by_name:
        namerows = sub["institution_key"].str.startswith("name:")
        remap = [by_name.get((k, c), k) for k, c in zip(sub.loc[namerows, "institution_key"], sub.loc[namerows, "country"])]
        a.loc[sub.index[namerows.values], "institution_key"] = remap
    sub = a.loc[has, ["institution_key", "institution"]]
    counts = defaultdict(Counter)
    pairs = sub.groupby(["institution_key", "institution"], sort=False, dropna=False).size()
    for (k, nm), n in pairs.items():
        counts[k][nm] += int(n)
    display = {k: min(c.items(), key=lambda kv: (display_preference(kv[0]), -kv[1], kv[0]))[0]
               for k, c in counts.items()}
    a.loc[has, "institution"] = a.loc[has, "institution_key"].map(display)


def unresolved_report(a: pd.DataFrame, top: int = 20) -> dict:
    """Unresolved countries (their address element) and institutions, most frequent first."""
    out = {"countries": [], "institutions": []}
    if a.empty:
        return out
    miss_c = a[a["country"].isna() & a["raw_affiliation"].notna()]
    toks = Counter(country_token(r) for r in miss_c["raw_affiliation"])
    out["countries"] = [{"token": t, "rows": n} for t, n in sorted(toks.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    miss_i = a[(a["sector_source"] == "unresolved") & a["institution"].notna()]
    names = Counter(miss_i["institution"])
    out["institutions"] = [{"institution": t, "rows": n}
                           for t, n in sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    return out


__all__ = ["resolve", "work_id_of", "unresolved_report"]
