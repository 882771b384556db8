"""Deduplicating records from one or several files (methods.md 8.3).

Order of keys: DOI, then PMID, then each source's own id (Scopus EID, WoS
UT, OpenAlex W-id), then normalised title + year + first-author surname.
Two records whose DOIs (or same-source ids) differ are never merged by title.

Which record wins: the author and affiliation structure comes from the
best-structured source, OpenAlex > Scopus > WoS > PubMed (the first such
record in input order).  Records are grouped by their keys alone
(:class:`Grouper`, in input order) and merged as work rows
(:func:`merge_rows`), so a chunked read never holds the records themselves.  Identifiers, keywords, subject fields and references
are the union of all merged records (references are never dropped); citation
counts stay per source and are never mixed (methods.md 4.1).
"""
from __future__ import annotations

from .common import surname_key, title_key

SOURCE_PRIORITY = ("openalex", "scopus", "wos", "pubmed")
ID_FIELDS = ("doi", "pmid", "eid", "ut", "openalex_id")


# fields a merged work takes from the first record (best source first) that has a value, and fields it takes
# from the first record that has one at all (citations per source, OpenAlex's impact figures)
FILL_FIELDS = ID_FIELDS + ("title", "year", "source_title", "volume", "issue", "first_page", "language",
                           "funding", "primary_topic", "countries_declared")
FIRST_NOT_NONE = ("cited_by_openalex", "cited_by_scopus", "cited_by_wos", "cited_by_wos_all", "fwci_openalex",
                  "top10_openalex", "percentile_openalex", "counts_by_year")


def rank(source: str) -> int:
    """Priority of a source for a merged work's structure (0 = best)."""
    try:
        return SOURCE_PRIORITY.index(source)
    except ValueError:
        return len(SOURCE_PRIORITY)


def dedup_keys(rec: dict) -> tuple:
    """What grouping needs of a record: (doi, pmid, eid, ut, openalex_id, title key or None, year,
    first-author surname)."""
    t = title_key(rec["title"])
    authors = rec["authors"]
    # (a Scopus row's authors on arrays give their first name without making the dicts)
    first = (authors.first_name() if hasattr(authors, "first_name") else authors[0]["name"]) if authors else None
    return (rec["doi"], rec["pmid"], rec["eid"], rec["ut"], rec["openalex_id"], t if t and rec["year"] else None,
            rec["year"], surname_key(first) if authors else None)


class Grouper:
    """Groups of records that are the same work, fed the :func:`dedup_keys` of one record at a time in
    input order; ``groups_of``: the group of every record so far (groups numbered by first appearance)."""

    _STEPS = ((0, "doi"), (1, "pmid"), (2, "source_id"), (3, "source_id"), (4, "source_id"))

    def __init__(self):
        self.index = [{} for _ in ID_FIELDS]  # doi, pmid, eid, ut, openalex_id -> group
        self.titles: dict = {}                # (title key, year) -> group
        self.first_ids: list = []             # ids of each group's first record
        self.first_surname: list = []
        self.more_ids: dict = {}              # group -> ids of its later records
        self.steps = {"doi": 0, "pmid": 0, "source_id": 0, "title": 0}
        self.groups_of: list = []

    def __len__(self) -> int:
        return len(self.first_ids)

    def add(self, key: tuple) -> int:
        ids = key[:5]
        g = None
        for i, step in self._STEPS:
            if ids[i] and ids[i] in self.index[i]:
                g = self.index[i][ids[i]]
                self.steps[step] += 1
                break
        tk = (key[5], key[6]) if key[5] else None
        if g is None and tk is not None and tk in self.titles:
            cand = self.titles[tk]
            sa, sb = key[7], self.first_surname[cand]
            members = [self.first_ids[cand]] + self.more_ids.get(cand, [])
            if not any(_conflict(ids, other) for other in members) and (not sa or not sb or sa == sb):
                g = cand
                self.steps["title"] += 1
        if g is None:
            g = len(self.first_ids)
            self.first_ids.append(ids)
            self.first_surname.append(key[7])
        else:
            self.more_ids.setdefault(g, []).append(ids)
        for i, v in enumerate(ids):
            if v:
                self.index[i].setdefault(v, g)
        if tk is not None:
            self.titles.setdefault(tk, g)
        self.groups_of.append(g)
        return g


def _conflict(a: tuple, b: tuple) -> bool:
    """True when two records carry different values of the same identifier."""
    return any(x and y and x != y for x, y in zip(a, b))


def group_records(records: list[dict]) -> list[list[dict]]:
    """Groups of records that are the same work, in order of first appearance (``last_steps``: how many
    records each step merged)."""
    grouper = Grouper()
    groups: list[list[dict]] = []
    for rec in records:
        g = grouper.add(dedup_keys(rec))
        if g == len(groups):
            groups.append([rec])
        else:
            groups[g].append(rec)
    group_records.last_steps = grouper.steps
    return groups


def dedup_ci(items) -> list:
    """Items in order, case-insensitive duplicates dropped."""
    seen, out = set(), []
    for k in items:
        lk = k.lower()
        if lk not in seen:
            seen.add(lk)
            out.append(k)
    return out


def dedup_refs(refs) -> list:
    """References (raw, doi, openalex_id) in order, one per key (OpenAlex id, else DOI, else raw string)."""
    seen, out = set(), []
    for ref in refs:
        key = ref[2] or ref[1] or ref[0]
        if key and key not in seen:
            seen.add(key)
            out.append(ref)
    return out


def merge_rows(rows: list[dict]) -> dict:
    """One work row from the work rows of the records that are the same work, in input order (each
    row as its record makes it alone: ``sources`` its one source, lists of keywords and fields)."""
    ordered = sorted(rows, key=lambda r: rank(r["sources"]))  # stable: input order within a source
    base = dict(ordered[0])                                    # the structure of the best-ranked record
    for f in FILL_FIELDS:
        if not base[f]:
            for r in ordered:
                if r[f]:
                    base[f] = r[f]
                    break
    for f in FIRST_NOT_NONE:
        base[f] = next((r[f] for r in ordered if r[f] is not None), None)
    for f in ("keywords", "index_keywords", "fields"):
        base[f] = dedup_ci(k for r in ordered for k in r[f])
    base["is_retracted"] = any(r["is_retracted"] for r in rows)
    base["is_paratext"] = any(r["is_paratext"] for r in rows)
    base["sources"] = ";".join(sorted({r["sources"] for r in rows}, key=SOURCE_PRIORITY.index))
    base["file"], base["record"], base["line"] = rows[0]["file"], rows[0]["record"], rows[0]["line"]
    return base
