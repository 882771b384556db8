"""Records to compact tables a chunk at a time, and the chunks to one Corpus (methods.md 8.3).

The reading is a map-reduce over chunks of records, so memory grows with the corpus tables and not
with the raw records or the file:

- map (:func:`chunk_part`, run wherever the chunk was parsed: this process, a forked child, a Dask
  worker): every record becomes, on its own, one work row, its authorship rows with institution,
  sector and country resolved, and its references, as Arrow tables (a few bytes per value, not a
  Python object each), plus its deduplication keys.  The records are dropped.
- reduce (:func:`assemble`): the keys of all records, in input order, are grouped exactly as
  methods.md 8.3 says (DOI, PMID, source ids, then title + year + first-author surname); a group of
  one (nearly every work) keeps its rows as they are; the few groups of several records are merged
  as :mod:`.merge` describes (structure from the best-ranked source, unions of ids, keywords and
  references, citations per source).  Work ids, exclusions and the per-file merge counts follow.

The result is the same Corpus, row for row, as merging all records first and resolving afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from ..clean.resolve import AUTHORSHIP_COLUMNS, WORK_ID_FIELDS, authorship_row, work_id_from, work_id_of
from ..clean.thesaurus import Thesaurus
from .merge import Grouper, dedup_ci, dedup_keys, dedup_refs, merge_rows, rank

CHUNK_RECORDS = 20_000

# a work row per record, in the works table's column order (work_id is given at assembly);
# keywords, index_keywords and fields stay lists until then
WORK_FIELDS = [
    ("doi", pa.string()), ("openalex_id", pa.string()), ("eid", pa.string()), ("ut", pa.string()),
    ("pmid", pa.string()), ("title", pa.string()), ("year", pa.int64()), ("doc_type", pa.string()),
    ("doc_type_raw", pa.string()), ("source_title", pa.string()), ("volume", pa.string()),
    ("issue", pa.string()), ("first_page", pa.string()), ("language", pa.string()),
    ("cited_by_openalex", pa.int64()), ("cited_by_scopus", pa.int64()), ("cited_by_wos", pa.int64()),
    ("cited_by_wos_all", pa.int64()), ("cited_by_pubmed", pa.int64()), ("fwci_openalex", pa.float64()),
    ("top10_openalex", pa.bool_()), ("percentile_openalex", pa.float64()), ("counts_by_year", pa.string()),
    ("keywords", pa.list_(pa.string())), ("index_keywords", pa.list_(pa.string())),
    ("fields", pa.list_(pa.string())), ("primary_topic", pa.string()), ("n_authors", pa.int64()),
    ("countries_declared", pa.int64()), ("sources", pa.string()), ("file", pa.string()), ("record", pa.int64()),
    ("line", pa.int64()), ("is_retracted", pa.bool_()), ("is_paratext", pa.bool_()), ("funding", pa.string()),
]
WORK_SCHEMA = pa.schema([("rec", pa.int32())] + WORK_FIELDS)
_STR_FIELDS = frozenset(n for n, t in WORK_FIELDS if t == pa.string())
_W = {n: i for i, (n, _) in enumerate(WORK_FIELDS)}
AUTH_SCHEMA = pa.schema([("rec", pa.int32()), ("position", pa.int32())] +
                        [(c, pa.bool_() if c == "is_corresponding" else pa.string())
                         for c in AUTHORSHIP_COLUMNS[2:]] + [("thesaurus_hit", pa.bool_())])
REF_SCHEMA = pa.schema([("rec", pa.int32()), ("position", pa.int64()), ("raw", pa.string()), ("doi", pa.string()),
                        ("openalex_id", pa.string())])
@dataclass
class Part:
    """What one chunk of records becomes: per record its deduplication keys, one work row, its
    authorship rows and its references (the tables' ``rec`` column: the record's number in the chunk)."""

    keys: list            # (doi, pmid, eid, ut, openalex_id, title key, year, first-author surname, source, file)
    works: pa.Table
    authorships: pa.Table
    references: pa.Table

    def __len__(self) -> int:
        return len(self.keys)


def _text(v):
    return v if v is None or type(v) is str else str(v)


def _work_row(rec: dict) -> tuple:
    """The work row of one record as if it were a group of one (what merge_group makes of it)."""
    src = rec["source"]
    cb = rec["cited_by"]
    cby = rec.get("counts_by_year")
    if cby:
        import orjson
        cby = orjson.dumps({str(k): v for k, v in sorted(cby.items())}).decode()
    else:
        cby = None
    return (
        rec["doi"], rec["openalex_id"], rec["eid"], rec["ut"], rec["pmid"], rec["title"], rec["year"],
        rec["doc_type"], rec["doc_type_raw"], _text(rec["source_title"]), _text(rec["volume"]),
        _text(rec["issue"]), _text(rec["first_page"]), _text(rec["language"]),
        cb if src == "openalex" else None, cb if src == "scopus" else None, cb if src == "wos" else None,
        rec.get("cited_by_all") if src == "wos" else None, None,
        rec["fwci"], rec["top10"], rec["percentile"], cby,
        dedup_ci(rec["keywords"]), dedup_ci(rec["index_keywords"]), dedup_ci(rec["fields"]),
        rec["primary_topic"], len(rec["authors"]), rec["countries_declared"], src,
        rec["file"], rec["record"], rec["line"], bool(rec["is_retracted"]), bool(rec["is_paratext"]),
        _text(rec["funding"]),
    )


def _table(rows: list, schema: pa.Schema) -> pa.Table:
    cols = list(zip(*rows)) if rows else [()] * len(schema)
    rows.clear()
    arrays = []
    for i, f in enumerate(schema):
        arrays.append(pa.array(cols[i], type=f.type))
        cols[i] = None
    return pa.Table.from_arrays(arrays, schema=schema)


def chunk_part(records: list[dict], thesaurus: Thesaurus | None = None) -> Part:
    """The map step: one chunk of records (any source) as a :class:`Part`; the list is emptied."""
    th = thesaurus or Thesaurus()
    keys, w_rows, a_rows, r_rows = [], [], [], []
    pool: dict = {}
    for i, rec in enumerate(records):
        authors = rec["authors"]
        keys.append(dedup_keys(rec) + (rec["source"], rec["file"]))
        w_rows.append(_work_row(rec))
        for pos, au in enumerate(authors):
            for aff in au["affs"] or [None]:
                a_rows.append(authorship_row(i, pos, au, aff, th, pool))
        for aff in rec["unlinked"]:
            a_rows.append(authorship_row(i, -1, None, aff, th, pool))
        for j, (raw, doi, oa) in enumerate(dedup_refs(rec["references"])):
            r_rows.append((i, j, raw, doi, oa))
        records[i] = None
    records.clear()
    return Part(keys, _table([(i,) + r for i, r in enumerate(w_rows)], WORK_SCHEMA),
                _table(a_rows, AUTH_SCHEMA), _table(r_rows, REF_SCHEMA))


@dataclass
class Assembly:
    """The reduce step's state: parts added in input order."""

    grouper: Grouper = field(default_factory=Grouper)
    parts: list = field(default_factory=list)
    n: int = 0

    def add(self, part: Part) -> None:
        for k in part.keys:
            self.grouper.add(k)
        self.parts.append((self.n, part.works, part.authorships, part.references, [(k[8], k[9]) for k in part.keys]))
        self.n += len(part)


def _concat(tables: list, offsets: list) -> pa.Table:
    """Tables of several parts as one, with ``rec`` made a global record number (int64)."""
    out = []
    for t, off in zip(tables, offsets):
        rec = pa.array(t.column("rec").to_numpy().astype(np.int64) + off)
        out.append(t.set_column(0, "rec", rec))
    if not out:
        return None
    return pa.concat_tables(out).combine_chunks()


def assemble(asm: Assembly, reports: list, keep_retracted: bool = False):
    """The reduce step: (works DataFrame, authorships and references Arrow tables, excluded counts, dedup
    steps) from the parts; the per-file reports get their merge and exclusion counts."""
    g = asm.grouper
    groups_of = np.asarray(g.groups_of, dtype=np.int64)
    n_groups = len(g.first_ids)
    offsets = [p[0] for p in asm.parts]
    source_file = [sf for p in asm.parts for sf in p[4]]
    asm.parts, parts = [], asm.parts
    works = _concat([p[1] for p in parts], offsets)
    auth = _concat([p[2] for p in parts], offsets)
    refs = _concat([p[3] for p in parts], offsets)
    del parts
    by_path = {r.path: r for r in reports}

    # the records of every group in input order; multi-record groups are few
    sizes = np.bincount(groups_of, minlength=n_groups) if len(groups_of) else np.zeros(0, np.int64)
    first_rec = np.full(n_groups, -1, dtype=np.int64)
    order = np.arange(len(groups_of), dtype=np.int64)
    first_rec[groups_of[::-1]] = order[::-1]       # the first record of each group
    base_rec = first_rec.copy()
    multi = {}
    for r in np.flatnonzero(sizes[groups_of] > 1):
        multi.setdefault(int(groups_of[r]), []).append(int(r))
    merged = {}
    for gi, members in multi.items():
        ranks = [rank(source_file[r][0]) for r in members]
        base_rec[gi] = members[min(range(len(members)), key=lambda i: (ranks[i], i))]
        seen_files = set()
        for r in members:
            f = source_file[r][1]
            if f in seen_files:
                by_path[f].merged_within += 1
            elif seen_files:
                by_path[f].merged_across += 1
            seen_files.add(f)
        rows = works.take(pa.array(members)).to_pylist()
        merged[gi] = merge_rows(rows)

    # exclusions (retracted, paratext) from the merged flags
    retracted = works.column("is_retracted").to_numpy(zero_copy_only=False)[base_rec]
    paratext = works.column("is_paratext").to_numpy(zero_copy_only=False)[base_rec]
    for gi, row in merged.items():
        retracted[gi], paratext[gi] = row["is_retracted"], row["is_paratext"]
    keep = np.ones(n_groups, dtype=bool)
    excluded = {"retracted": 0, "paratext": 0}
    if not keep_retracted:
        drop = retracted | paratext
        keep = ~drop
        for gi in np.flatnonzero(drop):
            why = "retracted" if retracted[gi] else "paratext"
            excluded[why] += 1
            by_path[source_file[first_rec[gi]][1]].excluded[why] += 1
    kept = np.flatnonzero(keep)                      # groups in order of first appearance

    # the works table: each kept group's base row, merged rows patched in
    wt = works.take(pa.array(base_rec[kept])).drop(["rec"])
    del works
    cols = [wt.column(name).to_pylist() for name in WORK_ID_FIELDS]
    work_ids = [work_id_from(*vals) for vals in zip(*cols)]
    del cols
    pos_of = {int(gi): i for i, gi in enumerate(kept) if int(gi) in merged}
    for gi, i in pos_of.items():
        work_ids[i] = work_id_of(merged[gi])
    seen = {}
    for i, base in enumerate(work_ids):  # distinct works keep distinct ids even when two share a fallback id
        if base in seen:
            seen[base] += 1
            work_ids[i] = f"{base}#{seen[base]}"
        else:
            seen[base] = 0
    works_df = _works_frame(wt, work_ids, {i: merged[gi] for gi, i in pos_of.items()})
    del wt

    # authorship rows of each kept group's base record, in group order; references: the base record's
    # (groups of one), or the merged union (groups of several)
    slot_of_group = np.full(n_groups, -1, dtype=np.int64)
    slot_of_group[kept] = np.arange(len(kept))
    is_base = np.zeros(len(groups_of), dtype=bool)
    is_base[base_rec[kept]] = True
    wid = pa.array(work_ids, pa.string())
    auth = _select(auth, is_base, groups_of, slot_of_group, wid)
    single = is_base.copy()
    for gi in multi:
        single[base_rec[gi]] = False
    extra = _merged_refs(refs, multi, keep, slot_of_group, lambda r: rank(source_file[r][0]))
    refs = _select(refs, single, groups_of, slot_of_group, wid, extra=extra)
    return works_df, auth, refs, excluded, dict(g.steps)


def _select(t: pa.Table, want: np.ndarray, groups_of: np.ndarray, slot_of_group: np.ndarray, wid: pa.Array,
            extra: pa.Table | None = None) -> pa.Table:
    """Rows of the records ``want`` marks, in work order (rows of one record keep their order), with
    ``rec`` replaced by the work id; ``extra``: rows (with a ``slot`` column) to add."""
    rec = t.column("rec").to_numpy()
    mask = want[rec]
    t = t.filter(pa.array(mask))
    slot = slot_of_group[groups_of[rec[mask]]]
    t = t.drop(["rec"]).add_column(0, "slot", pa.array(slot))
    if extra is not None and len(extra):
        t = pa.concat_tables([t, extra.select(t.column_names).cast(t.schema)])
    s = t.column("slot").to_numpy()
    idx = np.argsort(s, kind="stable")
    t = t.take(pa.array(idx))
    return t.set_column(0, "work_id", wid.take(t.column("slot")))


def _merged_refs(refs: pa.Table, multi: dict, keep: np.ndarray, slot_of_group: np.ndarray, rank_of) -> pa.Table | None:
    """Reference rows (with a ``slot`` column) of the merged works: the union over their records, best
    source first, one reference per key (methods.md 8.3: references are never dropped)."""
    import pyarrow.compute as pc
    wanted = {gi: rs for gi, rs in multi.items() if keep[gi]}
    if not wanted:
        return None
    members = [r for rs in wanted.values() for r in rs]
    sub = refs.filter(pc.is_in(refs.column("rec"), pa.array(members, pa.int64())))
    by_rec: dict = {}
    for r, raw, doi, oa in zip(sub.column("rec").to_pylist(), sub.column("raw").to_pylist(),
                               sub.column("doi").to_pylist(), sub.column("openalex_id").to_pylist()):
        by_rec.setdefault(r, []).append((raw, doi, oa))
    slot, pos, raws, dois, oas = [], [], [], [], []
    for gi, rs in wanted.items():
        for j, (raw, doi, oa) in enumerate(dedup_refs(ref for r in sorted(rs, key=rank_of) for ref in by_rec.get(r, ()))):
            slot.append(int(slot_of_group[gi]))
            pos.append(j)
            raws.append(raw)
            dois.append(doi)
            oas.append(oa)
    return pa.table({"slot": pa.array(slot, pa.int64()), "position": pa.array(pos, pa.int64()),
                     "raw": pa.array(raws, pa.string()), "doi": pa.array(dois, pa.string()),
                     "openalex_id": pa.array(oas, pa.string())})


def _works_frame(wt: pa.Table, work_ids: list, patches: dict):
    """The works DataFrame: keyword lists joined with "; ", merged rows (position -> row) patched in."""
    import pyarrow.compute as pc
    for name in ("keywords", "index_keywords", "fields"):
        i = wt.schema.get_field_index(name)
        joined = pc.binary_join(wt.column(i), "; ")
        wt = wt.set_column(i, name, pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined))
    if patches:
        at = sorted(patches)
        mask = np.zeros(len(wt), dtype=bool)
        mask[at] = True
        mask = pa.array(mask)
        for name, typ in WORK_FIELDS:
            vals = [patches[i][name] for i in at]
            if name in ("keywords", "index_keywords", "fields"):
                typ, vals = pa.string(), ["; ".join(v) or None for v in vals]
            i = wt.schema.get_field_index(name)
            wt = wt.set_column(i, name, pc.replace_with_mask(wt.column(i).combine_chunks(), mask, pa.array(vals, typ)))
    df = wt.to_pandas()
    df.insert(0, "work_id", pd.Series(work_ids, dtype=object))
    return df
