"""Records to compact tables a chunk at a time, and the chunks to one Corpus (methods.md 8.3).

The reading is a map-reduce over chunks of records, so memory grows with the corpus tables and not
with the raw records or the file:

- map (:func:`chunk_part`, run wherever the chunk was parsed: this process, a forked child, a Dask
  worker): every record becomes, on its own, one work row, its authorship rows with institution,
  sector and country resolved, and its references, as Arrow tables (repeated strings
  dictionary-encoded: a few bytes a row, not a Python object each), plus its deduplication keys.
  The records are dropped.
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
import orjson
import pandas as pd
import pyarrow as pa

from ..clean.resolve import (AUTHORSHIP_COLUMNS, NO_AFFILIATION, WORK_ID_FIELDS, affiliation_tail, author_head,
                             work_id_from, work_id_of)
from ..clean.thesaurus import Thesaurus
from ..corpus import decode_strings, first_rows, reference_schema
from .common import AuthorRows, FieldRef, StringRun, find_doi, new_aff, ranges, string_bytes
from .scopus_authors import AuthorSlice
from .merge import Grouper, dedup_ci, dedup_keys, dedup_refs, merge_rows, rank

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
# authorship and reference rows repeat their strings (an institution's name on each of its rows): their
# string columns are dictionary-encoded, 4 bytes a row, and travel between processes as a few buffers
_DICT = pa.dictionary(pa.int32(), pa.string())
AUTH_SCHEMA = pa.schema([("rec", pa.int32()), ("position", pa.int32())] +
                        [(c, pa.bool_() if c == "is_corresponding" else _DICT) for c in AUTHORSHIP_COLUMNS[2:]] +
                        [("thesaurus_hit", pa.bool_())])
_NO_AFFS = (None,)   # an author without an address: one row, its tail empty
_HEAD_SCHEMA = pa.schema(list(AUTH_SCHEMA)[:6])   # an authorship row's author_head
_TAIL_SCHEMA = pa.schema(list(AUTH_SCHEMA)[6:])   # and its affiliation_tail
REF_SCHEMA = pa.schema([("rec", pa.int32()), ("position", pa.int64()), ("raw", _DICT), ("doi", _DICT),
                        ("openalex_id", _DICT)])


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

    def shift_records(self, n: int) -> None:
        """Add ``n`` to the record numbers (a block numbered its records from 1)."""
        import pyarrow.compute as pc
        i = self.works.schema.get_field_index("record")
        self.works = self.works.set_column(i, "record", pc.add(self.works.column(i), pa.scalar(n, pa.int64())))


def _text(v):
    return v if v is None or type(v) is str else str(v)


def _work_row(rec: dict) -> tuple:
    """The work row of one record as if it were a group of one (references and keywords deduplicated, citations under its source)."""
    src = rec["source"]
    cb = rec["cited_by"]
    cby = rec.get("counts_by_year")
    if cby:
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
        if f.type == _DICT:
            arrays.append(pa.array(cols[i], type=pa.string()).dictionary_encode())
        else:
            arrays.append(pa.array(cols[i], type=f.type))
        cols[i] = None
    return pa.Table.from_arrays(arrays, schema=schema)


def chunk_part(records: list[dict], thesaurus: Thesaurus | None = None) -> Part:
    """The map step: one chunk of records (any source) as a :class:`Part`; the list is emptied."""
    th = thesaurus or Thesaurus()
    keys, w_rows, r_rows = [], [], []
    pool: dict = {}
    # references as strings (their DOIs not found yet) go to Arrow as they are: a whole "; "-separated
    # field (Scopus) or a list of strings (WoS); a chunk that mixes kinds (not made by one reader) has
    # them all made (raw, doi, openalex id) tuples here, as OpenAlex and PubMed records give them
    kinds = {_ref_kind(rec["references"]) for rec in records if rec["references"]}
    plain = len(kinds) == 1 and kinds != {"tuples"}
    ref_recs, ref_counts, ref_strings = [], [], []
    # an authorship row is its author's head (work, position, the author's fields) and its affiliation's
    # tail (resolved): the distinct heads and tails are kept once each, and each row is the two numbers
    heads: list = []      # (record, position, name, id, orcid, corresponding) of each author and unlinked row
    row_head: list = []   # each row's head
    tails: list = [NO_AFFILIATION]
    tail_at: dict = {NO_AFFILIATION: 0}
    row_tail: list = []   # each row's tail
    # an affiliation's tail depends on its six fields (and the thesaurus) alone: each distinct one is
    # resolved once per chunk (an address alone, or an institution on each of its authorships)
    tails_by: dict = {}
    slices: list = []     # (record, AuthorSlice) of the records whose authors are on arrays

    def tail_of(t):
        k = tail_at.get(t)
        if k is None:
            k = tail_at[t] = len(tails)
            tails.append(t)
        return k

    def tail(aff):
        if aff is None:
            return 0
        get = aff.get
        fields = (get("raw"), get("inst_id"), get("ror"), get("inst_name"), get("inst_type"), get("country"))
        k = tails_by.get(fields)
        if k is None:
            k = tails_by[fields] = tail_of(affiliation_tail(aff, th, pool))
        return k

    for i, rec in enumerate(records):
        authors = rec["authors"]
        keys.append(dedup_keys(rec) + (rec["source"], rec["file"]))
        w_rows.append((i,) + _work_row(rec))
        if type(authors) is AuthorSlice:   # (a Scopus row's authors, kept on arrays)
            slices.append((i, authors))
            authors = ()
        elif type(authors) is AuthorRows:   # (an OpenAlex work's authors as compact rows)
            for pos, (name, _, aid, orcid, corr, affs) in enumerate(authors.rows):
                h = len(heads)
                heads.append((i, pos, pool.setdefault(name, name) if name else name, aid, orcid, corr))
                if not affs:
                    row_head.append(h)
                    row_tail.append(0)
                for fields in affs:
                    row_head.append(h)
                    k = tails_by.get(fields)
                    if k is None:
                        k = tails_by[fields] = tail_of(affiliation_tail(_aff(fields), th, pool))
                    row_tail.append(k)
            authors = ()
        for pos, au in enumerate(authors):
            h = len(heads)
            heads.append(author_head(i, pos, au, pool))
            for aff in au["affs"] or _NO_AFFS:
                row_head.append(h)
                row_tail.append(tail(aff))
        for aff in rec["unlinked"]:
            row_head.append(len(heads))
            heads.append(author_head(i, -1, None, pool))
            row_tail.append(tail(aff))
        refs = rec["references"]
        if plain and refs:
            ref_recs.append(i)
            if type(refs) is str or type(refs) is FieldRef:
                ref_strings.append(refs)
            else:
                ref_counts.append(len(refs))
                if type(refs) is StringRun:
                    ref_strings.append(refs)
                else:
                    ref_strings += refs
        else:
            for j, (raw, doi, oa) in enumerate(dedup_refs(_ref_tuples(refs))):
                r_rows.append((i, j, raw, doi, oa))
        records[i] = None
    records.clear()
    if not ref_strings:
        refs_table = _table(r_rows, REF_SCHEMA)
    elif kinds == {"field"}:
        refs_table = _string_refs_table(*_split_fields(np.array(ref_recs, dtype=np.int64), ref_strings))
    else:
        strings = _field_array(ref_strings)
        ref_strings.clear()
        rec_of = np.repeat(np.array(ref_recs, dtype=np.int64), ref_counts)
        refs_table = _ids_refs_table(rec_of, strings) if kinds == {"ids"} else _string_refs_table(rec_of, strings)
    auth = (_authorships(heads, row_head, tails, row_tail) if not slices else
            _with_slices(heads, row_head, tails, row_tail, slices, lambda raw: tail(new_aff(raw))))
    return Part(keys, _table(w_rows, WORK_SCHEMA), auth, refs_table)


def _aff(fields: tuple) -> dict:
    """The affiliation dict of an AuthorRows affiliation's six fields."""
    raw, inst_id, ror, name, itype, country = fields
    return new_aff(raw, inst_id=inst_id, ror=ror, inst_name=name, inst_type=itype, country=country)


def _decoded(col) -> pa.Array:
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return col.dictionary_decode() if pa.types.is_dictionary(col.type) else col


def _with_slices(heads: list, row_head: list, tails: list, row_tail: list, slices: list, tail_of_raw) -> pa.Table:
    """The authorship rows of a chunk some of whose records have their authors on arrays (``slices``:
    (record, AuthorSlice), in record order): the same table as :func:`_authorships` gives when every
    record's authors are dicts (rows in record order, dictionaries in order of first appearance)."""
    # the rows on arrays, a run of records of one window at a time
    cols: list = [[] for _ in range(6)]
    raws, recs = [], []
    k = 0
    while k < len(slices):
        win = slices[k][1].win
        m = k
        while m < len(slices) and slices[m][1].win is win:
            m += 1
        i = np.array([x[0] for x in slices[k:m]], dtype=np.int64)
        r = np.array([x[1].row for x in slices[k:m]], dtype=np.int64)
        lo, n = win.s_lo[r], win.s_hi[r] - win.s_lo[r]
        at = ranges(lo, n)   # the runs' rows, in order
        who = win.s_author[at]
        who_arr = pa.array(who, type=pa.int64())
        rec = np.repeat(i, n)
        recs.append(rec)
        cols[0].append(pa.array(rec, type=pa.int32()))
        cols[1].append(pa.array(who - np.repeat(win.a_lo[r], n), type=pa.int32()))
        cols[2].append(win.names.take(who_arr))
        cols[3].append(win.ids.take(who_arr))
        cols[4].append(pa.nulls(len(at), type=pa.string()))
        cols[5].append(pa.array(win.corr[who], type=pa.bool_()))
        raws.append(win.s_raw.take(pa.array(at, type=pa.int64())))
        k = m
    # their tails: each distinct address resolved once (the chunk's cache: the dict records' too)
    enc = pa.concat_arrays(raws).dictionary_encode()
    to_tail = np.array([tail_of_raw(s) for s in enc.dictionary.to_pylist()] + [0], dtype=np.int64)
    codes = enc.indices.fill_null(len(enc.dictionary)).to_numpy(zero_copy_only=False)
    slice_tail = to_tail[codes]
    # the dict records' rows, then all in record order
    if row_head:
        h = _table(heads, _HEAD_SCHEMA).take(pa.array(row_head, type=pa.int32()))
        for c in range(6):
            cols[c].insert(0, _decoded(h.column(c)))
        recs.insert(0, h.column(0).to_numpy())
    order = pa.array(np.argsort(np.concatenate(recs), kind="stable"), type=pa.int64())
    t = _table(tails, _TAIL_SCHEMA).take(pa.array(np.concatenate([np.asarray(row_tail, dtype=np.int64), slice_tail]),
                                                  type=pa.int32()))
    row_head.clear()
    row_tail.clear()
    arrays = [pa.concat_arrays(c) for c in cols] + [_decoded(c) for c in t.columns]
    out = []
    for f, a in zip(AUTH_SCHEMA, arrays):
        a = a.take(order)
        out.append(a.dictionary_encode() if f.type == _DICT else a.cast(f.type))
    return pa.Table.from_arrays(out, schema=AUTH_SCHEMA)


def _authorships(heads: list, row_head: list, tails: list, row_tail: list) -> pa.Table:
    """The authorship rows (AUTH_SCHEMA) whose heads are ``heads[row_head[r]]`` and tails
    ``tails[row_tail[r]]``: the distinct heads and tails made Arrow columns once, then taken per row.
    (Every head and every tail but the first is some row's, and each first appears in row order, so the
    dictionaries are the ones a row-by-row encoding gives.)"""
    h = _table(heads, _HEAD_SCHEMA).take(pa.array(row_head, type=pa.int32()))
    t = _table(tails, _TAIL_SCHEMA).take(pa.array(row_tail, type=pa.int32()))
    row_head.clear()
    row_tail.clear()
    return pa.Table.from_arrays(h.columns + t.columns, schema=AUTH_SCHEMA)


class OpenAlexIds(list):
    """The references of an OpenAlex record as its cited works' ids (W...): raw string and OpenAlex id
    alike, no DOI."""


def _ref_kind(refs) -> str:
    if type(refs) is OpenAlexIds:
        return "ids"
    if type(refs) is StringRun:
        return "strings"
    return "field" if type(refs) is str or type(refs) is FieldRef else "strings" if type(refs[0]) is str else "tuples"


def split_field(field: str) -> list[str]:
    """A "; "-separated references field as its reference strings (stripped, none empty)."""
    return [r for r in map(str.strip, field.split("; ")) if r]


def _ref_tuples(refs) -> list:
    """References as (raw, doi, openalex id) tuples: a plain string is a reference whose DOI is found in
    it, and a whole field its references (:func:`split_field`)."""
    if type(refs) is FieldRef:
        refs = refs.text()
    if type(refs) is StringRun:
        refs = refs.texts()
    if type(refs) is str:
        refs = split_field(refs)
    if type(refs) is OpenAlexIds:
        return [(r, None, r) for r in refs]
    return [(r, find_doi(r), None) if type(r) is str else r for r in refs]


def _ids_refs_table(rec_of: np.ndarray, ids: pa.Array) -> pa.Table:
    """The references table of OpenAlex ids (``rec_of``: each one's record, in order), one per id within
    a record, the same as ``dedup_refs(_ref_tuples(...))`` per record gives."""
    enc = ids.dictionary_encode()
    del ids
    rec_of, _, enc = _first_of_each_key(rec_of, enc, np.arange(len(enc.dictionary), dtype=np.int64))
    return pa.Table.from_arrays([pa.array(rec_of, type=pa.int32()), pa.array(_positions(rec_of), type=pa.int64()),
                                 enc, pa.nulls(len(rec_of), type=pa.string()).dictionary_encode(), enc],
                                schema=REF_SCHEMA)


def _first_of_each_key(rec_of: np.ndarray, enc: pa.DictionaryArray, key: np.ndarray):
    """(records, codes, strings) of the rows left when only the first row of each key stays within a
    record (``key``: the key number of each of ``enc``'s distinct strings); the strings encoded anew
    when rows went, as if encoded from the rows left."""
    import pyarrow.compute as pc
    codes = enc.indices.to_numpy()
    keep = first_rows(rec_of * (int(key.max()) + 1 if len(key) else 1) + key[codes])
    if len(keep) == len(codes):
        return rec_of, codes, enc
    rec_of, codes = rec_of[keep], codes[keep]
    return rec_of, codes, pc.take(enc.dictionary, pa.array(codes)).dictionary_encode()


def _positions(rec_of: np.ndarray) -> np.ndarray:
    """Each row's place among its record's rows (``rec_of`` in order)."""
    starts = np.flatnonzero(np.r_[True, rec_of[1:] != rec_of[:-1]])
    return np.arange(len(rec_of)) - np.repeat(starts, np.diff(np.r_[starts, len(rec_of)]))


def _odd_edges(strings: pa.Array) -> np.ndarray:
    """Per string: whether it is empty or its first or last character is not an ASCII letter, digit or
    punctuation mark (a string that starts and ends with one has nothing for ``str.strip`` to take).
    In UTF-8 a character is such iff its byte is 0x21-0x7e (the bytes of other characters are >= 0x80),
    so the first and last bytes tell, read from the array's buffers."""
    offsets, data = string_bytes(strings)
    empty = offsets[1:] == offsets[:-1]  # (an empty string reads byte 0: it is odd anyway)
    first = data[np.where(empty, 0, offsets[:-1])]
    last = data[np.where(empty, 0, offsets[1:] - 1)]
    return empty | (first < 0x21) | (first > 0x7e) | (last < 0x21) | (last > 0x7e)


def strip_strings(strings: pa.Array) -> tuple[pa.Array, np.ndarray, list]:
    """(``strings`` each ``str.strip``-ped, the places of those the strip may change, their values before
    it).  Only the few that start or end with a space, a non-ASCII or a control character (:func:`_odd_edges`)
    become Python strings."""
    import pyarrow.compute as pc
    at = np.flatnonzero(_odd_edges(strings))
    if not len(at):
        return strings, at, []
    before = strings.take(pa.array(at)).to_pylist()
    mask = np.zeros(len(strings), dtype=bool)
    mask[at] = True
    stripped = pa.array([v.strip() for v in before], type=pa.string())
    return pc.replace_with_mask(strings, pa.array(mask), stripped), at, before


def _field_array(fields: list) -> pa.Array:
    """Strings (Python strings, :class:`FieldRef` s and :class:`StringRun` s into Arrow arrays) as one Arrow
    string array, in order: each run of consecutive rows of one array is a slice of it (copied once, by the
    concatenation), never a Python string."""
    pieces, strs = [], []
    arr, lo, hi = None, 0, 0   # the slice being extended

    def flush():
        nonlocal arr
        if strs:
            pieces.append(pa.array(strs, type=pa.string()))
            strs.clear()
        if arr is not None:
            pieces.append(arr.slice(lo, hi - lo))
        arr = None
    for f in fields:
        t = type(f)
        if t is FieldRef or t is StringRun:
            a, b, c = (f.array, f.index, f.index + 1) if t is FieldRef else (f.array, f.lo, f.hi)
            if a is not arr or b != hi or strs:
                flush()
                arr, lo = a, b
            hi = c
        else:
            if arr is not None:
                flush()
            strs.append(f)
    flush()
    if not pieces:
        return pa.array([], type=pa.string())
    return pieces[0] if len(pieces) == 1 else pa.concat_arrays(pieces)


def _split_fields(rec_of: np.ndarray, fields: list) -> tuple[np.ndarray, pa.Array]:
    """(each reference's record, the reference strings) of "; "-separated fields (``rec_of``: each
    field's record), as :func:`split_field` splits each one, on arrays; ``fields`` is emptied."""
    import pyarrow.compute as pc
    lists = pc.split_pattern(_field_array(fields), "; ")
    fields.clear()
    counts = pc.list_value_length(lists).to_numpy(zero_copy_only=False)
    rec_of, strings = np.repeat(rec_of, counts), pc.list_flatten(lists)
    # that none is left empty by the strip is checked after it
    strings, at, _ = strip_strings(strings)
    if len(at):
        full = pc.not_equal(strings, "").to_numpy(zero_copy_only=False)
        if not full.all():
            rec_of, strings = rec_of[full], strings.filter(pa.array(full))
    return rec_of, strings


def _string_refs_table(rec_of: np.ndarray, strings: pa.Array) -> pa.Table:
    """The references table of reference strings (``rec_of``: each one's record, in order), the same as
    ``dedup_refs(_ref_tuples(...))`` per record gives: the DOI found in each string, and one reference
    per key (its DOI, else the string) within a record.  The work is done once per distinct string (a
    cited work's string recurs in every paper citing it) and the rest on arrays."""
    import pyarrow.compute as pc
    enc = strings.dictionary_encode()
    del strings
    # only a string with "10." in it can hold a DOI or spell one (``find_doi``'s pattern starts so): the
    # others (all of them in most Scopus exports) never become Python strings
    distinct = enc.dictionary
    maybe = np.flatnonzero(pc.fill_null(pc.match_substring(distinct, "10."), False).to_numpy(zero_copy_only=False))
    at = maybe.tolist()
    some = distinct.take(pa.array(maybe)).to_pylist()
    found = [find_doi(s) for s in some]
    key_of_doi: dict = {}
    for d in found:
        if d is not None and d not in key_of_doi:
            key_of_doi[d] = len(key_of_doi)
    n = len(key_of_doi)
    # a key number per distinct string: its DOI's, else its own (or the DOI's that it spells exactly)
    key = n + np.arange(len(distinct), dtype=np.int64)
    key[maybe] = [key_of_doi[d] if d is not None else key_of_doi.get(s, n + j) for j, s, d in zip(at, some, found)]
    dois = [None] * len(distinct)
    for j, d in zip(at, found):
        dois[j] = d
    rec_of, codes, raw = _first_of_each_key(rec_of, enc, key)
    position = _positions(rec_of)
    doi = pc.take(pa.array(dois, type=pa.string()), pa.array(codes)).dictionary_encode()
    none = pa.nulls(len(rec_of), type=pa.string()).dictionary_encode()
    return pa.Table.from_arrays([pa.array(rec_of, type=pa.int32()), pa.array(position, type=pa.int64()),
                                 raw, doi, none], schema=REF_SCHEMA)


@dataclass
class Assembly:
    """The reduce step's state: the parts, added in input order, and the grouping of their records."""

    grouper: Grouper = field(default_factory=Grouper)
    parts: list = field(default_factory=list)   # (first record number, works, authorships, references)
    source_file: list = field(default_factory=list)
    n: int = 0

    def add(self, part: Part) -> None:
        for k in part.keys:
            self.grouper.add(k)
        self.source_file.extend((k[8], k[9]) for k in part.keys)
        self.parts.append((self.n, part.works, part.authorships, part.references))
        self.n += len(part)


def assemble(asm: Assembly, reports: list, keep_retracted: bool = False):
    """The reduce step: (works DataFrame, authorships(), references(), excluded counts, dedup steps) from
    the parts; ``authorships()`` and ``references()`` make that table's columns (name -> numpy array, in
    table order) when called, once each, so a caller can write and drop one table before the next is
    made.  The per-file reports get their merge and exclusion counts."""
    g = asm.grouper
    groups_of = np.asarray(g.groups_of, dtype=np.int64)
    n_groups = len(g)
    source_file = asm.source_file
    parts, asm.parts = asm.parts, []
    offsets = [p[0] for p in parts]
    works = pa.concat_tables([p[1] for p in parts]) if parts else WORK_SCHEMA.empty_table()
    auth = [p[2] for p in parts]
    refs = [p[3] for p in parts]
    del parts
    by_path = {r.path: r for r in reports}

    # the records of every group in input order; groups of several records are few
    sizes = np.bincount(groups_of, minlength=n_groups)
    first_rec = np.full(n_groups, -1, dtype=np.int64)
    order = np.arange(len(groups_of), dtype=np.int64)
    first_rec[groups_of[::-1]] = order[::-1]       # the first record of each group
    base_rec = first_rec.copy()
    multi: dict = {}
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
        merged[gi] = merge_rows(works.take(pa.array(members, pa.int64())).to_pylist())

    # exclusions (retracted, paratext) from the merged flags
    retracted = works.column("is_retracted").to_numpy()[base_rec]
    paratext = works.column("is_paratext").to_numpy()[base_rec]
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
    rows = base_rec[kept]
    if len(rows) == len(works) and bool((rows == np.arange(len(rows))).all()):
        wt = works.drop(["rec"])                     # (every record kept, in order: nothing to gather)
    else:
        wt = works.take(pa.array(rows)).drop(["rec"]).combine_chunks()
    del rows
    del works
    cols = [wt.column(name).to_pylist() for name in WORK_ID_FIELDS]
    work_ids = [work_id_from(*vals) for vals in zip(*cols)]
    del cols
    pos_of = {int(gi): i for i, gi in enumerate(kept) if int(gi) in merged}
    for gi, i in pos_of.items():
        work_ids[i] = work_id_of(merged[gi])
    seen: dict = {}
    for i, base in enumerate(work_ids):  # distinct works keep distinct ids even when two share a fallback id
        if base in seen:
            seen[base] += 1
            work_ids[i] = f"{base}#{seen[base]}"
        else:
            seen[base] = 0
    del seen
    works_df = _works_frame(wt, work_ids, {i: merged[gi] for gi, i in pos_of.items()})
    del wt
    wid = np.empty(len(work_ids), dtype=object)
    wid[:] = work_ids
    del work_ids

    # authorship rows of each kept group's base record, in group order; references: the base record's
    # (groups of one), or the merged union (groups of several)
    slot_of_group = np.full(n_groups, -1, dtype=np.int64)
    slot_of_group[kept] = np.arange(len(kept))
    is_base = np.zeros(len(groups_of), dtype=bool)
    is_base[base_rec[kept]] = True
    single = is_base.copy()
    for gi in multi:
        single[base_rec[gi]] = False
    held = {"authorships": auth, "references": refs}
    del auth, refs

    def authorships() -> dict:
        return _rows(held.pop("authorships"), offsets, is_base, groups_of, slot_of_group, wid)

    def references(batch_rows: int | None = None):
        refs = held.pop("references")
        extra = _merged_refs(refs, offsets, multi, keep, slot_of_group, lambda r: rank(source_file[r][0]))
        if batch_rows is not None:
            return _ref_batches(refs, offsets, single, groups_of, slot_of_group, wid, extra, batch_rows)
        return _rows(refs, offsets, single, groups_of, slot_of_group, wid, extra=extra)

    return works_df, authorships, references, excluded, dict(g.steps)


def _records_of(tables: list, offsets: list) -> np.ndarray:
    """The global record number of every row of the parts' tables, in order."""
    if not tables:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([t.column("rec").to_numpy().astype(np.int64) + off for t, off in zip(tables, offsets)])


def _take_columns(tables: list, names: tuple, idx: np.ndarray) -> list:
    """Columns ``names`` of the parts' tables (concatenated) at rows ``idx``, as numpy arrays; string
    columns as objects, one Python string per distinct value across all of them (their dictionaries are
    unified together: a reference's raw string and its OpenAlex id, when equal, are one object)."""
    typ = tables[0].schema.field(names[0]).type
    if typ != _DICT:
        cols = [np.concatenate([t.column(n).to_numpy(zero_copy_only=False) for t in tables]) for n in names]
        return cols if idx is None else [c[idx] for c in cols]
    return decode_strings([pa.chunked_array([c for t in tables for c in t.column(n).chunks], type=_DICT)
                           for n in names], idx)


def _row_order(tables: list, offsets: list, want: np.ndarray, groups_of: np.ndarray, slot_of_group: np.ndarray,
               extra: dict | None):
    """(rows of the parts' tables wanted, or None: all; the work slot of each wanted row, then of each
    ``extra`` row; the order that sorts them by slot, stably, or None: already sorted)."""
    rec = _records_of(tables, offsets)
    sel = want[rec]
    # (usually every row is wanted and already in work order: then no row is copied twice)
    idx = None if sel.all() else np.flatnonzero(sel)
    slot = slot_of_group[groups_of[rec if idx is None else rec[idx]]]
    del rec, sel
    if extra is not None:
        slot = np.concatenate([slot, np.asarray(extra["slot"], dtype=np.int64)])
    order = None if bool((slot[1:] >= slot[:-1]).all()) else np.argsort(slot, kind="stable")
    return idx, slot, order


def _rows(tables: list, offsets: list, want: np.ndarray, groups_of: np.ndarray, slot_of_group: np.ndarray,
          work_ids: np.ndarray, extra: dict | None = None) -> dict:
    """Columns (name -> numpy array) of the rows of the records that ``want`` marks, in work order (the
    rows of one record keep their order), with ``rec`` replaced by ``work_id``; ``extra``: columns of
    more rows (``slot``: their work's position) to add.  The parts' tables are dropped column by column
    as the result is made, so the memory of both is never held whole."""
    idx, slot, order = _row_order(tables, offsets, want, groups_of, slot_of_group, extra)
    out = {"work_id": work_ids[slot if order is None else slot[order]]}
    del slot
    names = [f.name for f in (tables[0].schema if tables else []) if f.name != "rec"]
    together = [n for n in ("raw", "openalex_id") if n in names]
    for group in [tuple(together)] + [(n,) for n in names if n not in together]:
        if not group:
            continue
        for name, col in zip(group, _take_columns(tables, group, idx)):
            if extra is not None:
                col = np.concatenate([col, np.array(extra[name], dtype=col.dtype)])
            out[name] = col if order is None else col[order]
        tables = [t.drop(list(group)) for t in tables]
    return {n: out[n] for n in ["work_id"] + names}


REF_OUT_SCHEMA = reference_schema()


def _ref_batches(tables: list, offsets: list, want: np.ndarray, groups_of: np.ndarray, slot_of_group: np.ndarray,
                 work_ids: np.ndarray, extra: dict | None, batch_rows: int):
    """The references table that :func:`_rows` gives (plus ``cited_work_id``, all missing), as (schema,
    Arrow record batches of at most ``batch_rows`` rows), for writing: the strings are gathered from the
    parts' dictionaries a batch at a time and never become Python objects, and the dictionaries are not
    unified (no string is hashed): the file holds the same values."""
    import pyarrow.compute as pc
    idx, slot, order = _row_order(tables, offsets, want, groups_of, slot_of_group, extra)
    n = sum(len(t) for t in tables)
    src = np.arange(n, dtype=np.int64) if idx is None else idx   # each row's row in the parts' tables
    if extra is not None:                                          # (the extra rows come after them)
        src = np.concatenate([src, n + np.arange(len(extra["slot"]), dtype=np.int64)])
    if order is not None:
        src, slot = src[order], slot[order]
    del idx, order
    position = np.concatenate([t.column("position").to_numpy() for t in tables] +
                              [np.asarray(extra["position"] if extra else [], dtype=np.int64)])[src]
    strings = {}
    for name in ("raw", "doi", "openalex_id"):
        # one code space for the column: the parts' dictionaries one after the other, then the extra values
        words, codes, base = [], [], 0
        for i, t in enumerate(tables):
            for c in t.column(name).chunks:
                ind = pc.fill_null(c.indices, -1).to_numpy().astype(np.int64)
                codes.append(np.where(ind < 0, -1, ind + base))
                words.append(c.dictionary.cast(pa.large_string()))   # (no 2 GB limit on the whole)
                base += len(c.dictionary)
            tables[i] = t.drop([name])
        if extra is not None:
            values = pa.array(extra[name], type=pa.large_string())
            words.append(values)
            codes.append(np.where(np.asarray(values.is_null()), -1, base + np.arange(len(values), dtype=np.int64)))
        code = np.concatenate(codes)[src] if codes else np.zeros(0, dtype=np.int64)
        strings[name] = (pa.concat_arrays(words) if words else pa.array([], pa.large_string()), code)
        del words, codes
    tables.clear()
    del src

    def batches():
        for at in range(0, len(slot), batch_rows):
            end = at + batch_rows
            cols = [pa.array(work_ids[slot[at:end]], type=pa.string()), pa.array(position[at:end], pa.int64())]
            for name in ("raw", "doi", "openalex_id"):
                words, code = strings[name]
                k = code[at:end]
                cols.append(words.take(pa.array(k, mask=k < 0)).cast(pa.string()))
            cols.append(pa.nulls(len(cols[0])))
            yield pa.RecordBatch.from_arrays(cols, schema=REF_OUT_SCHEMA)
    return REF_OUT_SCHEMA, batches()


def _merged_refs(refs: list, offsets: list, multi: dict, keep: np.ndarray, slot_of_group: np.ndarray,
                 rank_of) -> dict | None:
    """Reference columns (with ``slot``) of the merged works: the union over their records, best source
    first, one reference per key (methods.md 8.3: references are never dropped)."""
    wanted = {gi: rs for gi, rs in multi.items() if keep[gi]}
    if not wanted or not refs:
        return None
    rec = _records_of(refs, offsets)
    member = np.zeros(int(rec.max()) + 1 if len(rec) else 0, dtype=bool)
    for rs in wanted.values():
        member[[r for r in rs if r < len(member)]] = True
    idx = np.flatnonzero(member[rec])
    cols = [rec[idx].tolist()] + [c.tolist() for c in _take_columns(refs, ("raw", "doi", "openalex_id"), idx)]
    by_rec: dict = {}
    for r, raw, doi, oa in zip(*cols):
        by_rec.setdefault(r, []).append((raw, doi, oa))
    out = {"slot": [], "position": [], "raw": [], "doi": [], "openalex_id": []}
    for gi, rs in wanted.items():
        for j, (raw, doi, oa) in enumerate(dedup_refs(ref for r in sorted(rs, key=rank_of) for ref in by_rec.get(r, ()))):
            out["slot"].append(int(slot_of_group[gi]))
            out["position"].append(j)
            out["raw"].append(raw)
            out["doi"].append(doi)
            out["openalex_id"].append(oa)
    return out


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
