"""The Corpus: the one object that flows through collabnet (design.md).

Three tidy tables:

- ``works``: one row per distinct work (ids, title, year, type, source,
  citation counts per source, OpenAlex FWCI and top-10% flag, keywords,
  fields) with provenance (file, record, line);
- ``authorships``: one row per (work, author slot, affiliation): author
  name and id, institution key, name and sector, ISO country code, the raw
  affiliation string it came from.  ``position`` is -1 for affiliations
  that the source does not tie to an author (unlinked);
- ``references``: one row per (citing work, cited reference): raw string,
  DOI, OpenAlex id, and the in-corpus ``cited_work_id`` once resolved.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field

import pandas as pd

from .errors import InputError

TABLES = ("works", "authorships", "references")
CITATION_SOURCES = ("openalex", "scopus", "wos")  # priority when several sources count citations


def sorted_codes(values, factorized=None):
    """Integer codes of ``values`` (a numpy array of strings, say) that sort as the values do: each
    distinct value is compared once, not once per row.  ``factorized``: ``pd.factorize(values)``, if made."""
    import numpy as np
    codes, uniq = factorized if factorized is not None else pd.factorize(values)
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[np.argsort(uniq, kind="stable")] = np.arange(len(uniq))
    return rank[codes]


def first_rows(values):
    """The places of the first occurrence of each distinct value of ``values`` (integers, say), in order:
    the sorted ``return_index`` of ``np.unique``, found with a hash table instead of a sort of every row
    (0.13 against 2.2 s for 12M values)."""
    import numpy as np
    return np.flatnonzero(~pd.Series(values).duplicated().to_numpy())


def _distinct_sorted(df: pd.DataFrame, cols: list, work_ranks, key_codes: tuple) -> pd.DataFrame:
    """Columns ``cols`` of the first row of each distinct (work_id, key) among the rows of ``df`` with a key,
    sorted by work id and key, with a fresh index: the same table as
    ``df.loc[df[key].notna(), cols].drop_duplicates(["work_id", key]).sort_values(["work_id", key])
    .reset_index(drop=True)``, made on integer codes (each distinct string compared once, not once per
    row) and without copying the rows that are left out (17M authorship rows for a million works).
    ``work_ranks``: codes of every row's work id that sort as the ids do (``Corpus.work_ranks``);
    ``key_codes``: ``pd.factorize`` of the key column (``Corpus.unit_codes``)."""
    import numpy as np
    codes, keys = key_codes
    rows = np.flatnonzero(codes >= 0)
    r0, r1 = work_ranks[rows], sorted_codes(None, (codes[rows], keys))
    if len(rows):
        # each distinct pair's first row, then only those sorted (np.unique's return_index, unsorted rows)
        pair = r0 * (int(r1.max()) + 1) + r1
        first = first_rows(pair)
        rows = rows[first[np.argsort(pair[first], kind="stable")]]
    return pd.DataFrame({c: df[c].take(rows).reset_index(drop=True) for c in cols}, columns=cols)


_REFERENCES_LOCK = threading.Lock()


@dataclass
class Corpus:
    works: pd.DataFrame
    authorships: pd.DataFrame
    references: pd.DataFrame
    meta: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def _cached(self, name, make):
        """Derived tables are computed once per works and authorships tables (a table replaced: made again;
        a table edited in place? call ``invalidate``)."""
        key = (name, id(self.works), len(self.works), id(self.authorships), len(self.authorships))
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def invalidate(self) -> None:
        """Forget the cached derived tables (after editing ``authorships`` or ``works`` in place)."""
        self._cache.clear()

    def __len__(self) -> int:
        return len(self.works)

    def __getattr__(self, name):
        # references not made yet: read from the file of a corpus loaded with ``lazy_references``, or made
        # from the reader's Arrow parts (``collabnet.read``), on first use, once (the lock: by one thread)
        d = self.__dict__
        if name == "references" and ("_references_make" in d or "_references_file" in d):
            with _REFERENCES_LOCK:
                if "references" not in d:
                    make = d.get("_references_make")
                    d["references"] = make() if make is not None else _read_parquet(d["_references_file"])
                    d.pop("_references_make", None)
            return d["references"]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @classmethod
    def with_references_made_later(cls, works, authorships, make, meta=None) -> "Corpus":
        """A corpus whose references table is ``make()``, called when the table is first used (most
        analyses never use it: only topics do).  Pickling or copying the corpus makes it first."""
        corpus = cls(works, authorships, None, meta or {})
        del corpus.references
        corpus._references_make = make
        return corpus

    def __getstate__(self):
        if "_references_make" in self.__dict__:   # (a function of the reader's parts: not picklable)
            self.references
        return self.__dict__

    def __repr__(self) -> str:
        refs = (f"{len(self.references)} references" if "references" in self.__dict__
                else "references not loaded yet")
        return f"<Corpus: {len(self.works)} works, {len(self.authorships)} authorship rows, {refs}>"

    # ------------------------------------------------------------ derived sets
    def work_countries(self) -> pd.DataFrame:
        """Distinct (work_id, country): the country set C_p of every work (methods.md 0.1). Do not modify."""
        a = self.authorships
        return self._cached("work_countries", lambda: _distinct_sorted(
            a, ["work_id", "country"], self.work_ranks(), self.unit_codes("country")))

    def work_institutions(self) -> pd.DataFrame:
        """Distinct (work_id, institution_key) with name, sector and country of the institution."""
        a = self.authorships
        cols = ["work_id", "institution_key", "institution", "sector", "country"]
        return self._cached("work_institutions", lambda: _distinct_sorted(
            a, cols, self.work_ranks(), self.unit_codes("institution_key")))

    def work_codes(self) -> tuple:
        """(codes, distinct ids) of the authorships' work_id column (``pd.factorize``: ids in order of first
        appearance), made once: a million works have 17M authorship rows to hash. Do not modify."""
        return self._cached("work_codes", lambda: pd.factorize(self.authorships["work_id"].to_numpy()))

    def authorship_mask(self, ids):
        """Which authorship rows belong to the works ``ids``: ``authorships["work_id"].isin(ids)``, found on
        the work codes (each distinct work id looked up once, not each of 17M rows for a million works)."""
        import numpy as np
        codes, uniq = self.work_codes()
        return np.append(pd.Series(uniq, dtype=object).isin(ids).to_numpy(), False)[codes]

    def unit_codes(self, column: str) -> tuple:
        """(codes, distinct values) of an authorship column (``pd.factorize``: values in order of first
        appearance, -1 where missing), made once per column: the country and institution networks, and
        the institutions' node details, all start from it. Do not modify."""
        return self._cached(("unit_codes", column), lambda: pd.factorize(self.authorships[column]))

    def work_index(self) -> pd.Index:
        """The works' ids as an Index (name ``work_id``), made once: its hash table finds the rows of a
        million ids without a copy of the works table (``works.set_index`` copies every column). Do not modify."""
        return self._cached("work_index", lambda: pd.Index(self.works["work_id"].to_numpy(), name="work_id"))

    def work_ranks(self):
        """Codes of the authorships' work_id column that sort as the ids do (:func:`sorted_codes`), made once."""
        return self._cached("work_ranks", lambda: sorted_codes(None, self.work_codes()))

    def citation_source(self) -> str | None:
        """The one source whose citation counts a report uses (methods.md 4.1).

        The source counting the most works; ties by priority OpenAlex > Scopus > WoS.
        WoS counts are ``TC`` (Core Collection), never ``Z9``.
        """
        best, n_best = None, 0
        for s in CITATION_SOURCES:
            col = f"cited_by_{s}"
            if col in self.works:
                n = int(self.works[col].notna().sum())
                if n > n_best:
                    best, n_best = s, n
        return best

    def citations(self, source: str | None = None) -> pd.Series:
        """Citation count per work (index work_id) from one source only."""
        source = source or self.citation_source()
        if source is None:
            return pd.Series(dtype="float64")
        col = f"cited_by_{source}"   # (the column alone: set_index would copy the whole works table)
        return pd.Series(self.works[col].array, index=self.work_index(), name=col)

    # ------------------------------------------------------------ persistence
    def save(self, directory) -> None:
        """Write the tables as Parquet and meta.json; nothing is left half-written."""
        def write(put):
            for name in TABLES:
                put(name, getattr(self, name))
            put("meta", self.meta)
        write_corpus(directory, write)

    @classmethod
    def load(cls, directory, lazy_references: bool = False) -> "Corpus":
        """Read a corpus that :meth:`save` (or ``collabnet build``) wrote.  ``lazy_references``: read the
        references table (the largest; only topics use it) when it is first used, from the file then (which
        must stay in place until then)."""
        directory = os.fspath(directory)
        if os.path.isdir(os.path.join(directory, "corpus")):
            directory = os.path.join(directory, "corpus")
        missing = [n for n in TABLES if not os.path.exists(os.path.join(directory, f"{n}.parquet"))]
        if missing:
            raise InputError(directory, "is not a saved corpus (missing " + ", ".join(f"{m}.parquet" for m in missing) + ")",
                             hint="Point at the folder `collabnet build --out DIR` wrote (DIR or DIR/corpus)")
        names = [n for n in TABLES if not (lazy_references and n == "references")]
        tables = {n: _read_parquet(os.path.join(directory, f"{n}.parquet")) for n in names}
        meta = {}
        mp = os.path.join(directory, "meta.json")
        if os.path.exists(mp):
            with open(mp, encoding="utf-8") as f:
                meta = json.load(f)
        corpus = cls(tables["works"], tables["authorships"], tables.get("references"), meta)
        if lazy_references:
            del corpus.references
            corpus._references_file = os.path.join(directory, "references.parquet")
        return corpus


def write_corpus(directory, write) -> None:
    """Write a corpus folder: ``write(put)`` calls ``put(name, DataFrame or (Arrow schema, record
    batches))`` for each table and
    ``put("meta", dict)``; the files go to a temporary folder that replaces ``directory`` at the end,
    so nothing is ever left half-written."""
    directory = os.fspath(directory)
    parent = os.path.dirname(os.path.abspath(directory)) or "."
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".corpus-", dir=parent)

    def put(name, value):
        if name == "meta":
            with open(os.path.join(tmp, "meta.json"), "w", encoding="utf-8") as f:
                json.dump(value, f, indent=1, sort_keys=True, ensure_ascii=False, default=str)
                f.write("\n")
        elif isinstance(value, tuple):   # (Arrow schema, record batches)
            _write_batches(*value, os.path.join(tmp, f"{name}.parquet"))
        elif name == "references" and _unresolved_references(value):
            # in the schema of the batches that ``collabnet build`` writes: the same bytes from either engine
            schema = reference_schema()
            _write_batches(schema, _frame_batches(value, schema, PARQUET_SLICE), os.path.join(tmp, f"{name}.parquet"))
        else:
            _write_parquet(value, os.path.join(tmp, f"{name}.parquet"))
    try:
        write(put)
        if os.path.isdir(directory):
            old = directory + ".old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(directory, old)
            os.replace(tmp, directory)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, directory)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


def slot_coverage(authorships: pd.DataFrame, rows=None, slots=None, present=None) -> dict:
    """Author slots (distinct work and position), and the shares of slots with a country and with an
    institution (in any of the slot's rows); ``rows``: a boolean mask of the authorship rows to count;
    ``slots``: a number per row for its slot (:func:`slot_numbers`), if made; ``present``: the rows with a ``country`` and
    with an ``institution_key`` (boolean masks by column name), if known.
    Done on numpy columns, never a copy of the table (17M rows for a million works)."""
    import numpy as np
    a = authorships
    keep = (a["position"] >= 0).to_numpy()
    if rows is not None:
        keep &= np.asarray(rows, dtype=bool)
    if not keep.any():
        return {"author_slots": 0, "with_country": 0.0, "with_institution": 0.0}
    slot = (slots if slots is not None else slot_numbers(a))[keep]
    used = np.bincount(slot) > 0
    n = int(used.sum())
    present = present or {}

    def share(col):
        has = present[col] if col in present else a[col].notna().to_numpy()
        return round(float(int((np.bincount(slot, weights=has[keep], minlength=len(used)) > 0).sum()) / n), 4)
    return {"author_slots": n, "with_country": share("country"), "with_institution": share("institution_key")}


def slot_numbers(authorships: pd.DataFrame, work_codes=None):
    """A number per authorship row for its author slot (work and position; which number does not matter;
    0 for the rows of no slot, position -1); ``work_codes``: a number per row for its work
    (``Corpus.work_codes``), if known."""
    import numpy as np
    a = authorships
    pos = a["position"].to_numpy().astype(np.int64)
    keep = pos >= 0
    out = np.zeros(len(a), dtype=np.int64)
    if keep.any():
        work = (work_codes[keep] if work_codes is not None else pd.factorize(a["work_id"].to_numpy()[keep])[0]).astype(np.int64)
        pos = pos[keep]
        out[keep] = pd.factorize(work * (int(pos.max()) + 1) + pos)[0]
    return out


def summary(corpus: Corpus) -> dict:
    """What a build read and how well it resolved: per file and overall (the build summary)."""
    w, a = corpus.works, corpus.authorships
    # the slots and the rows with a country and an institution, found once for the files and the whole
    slots = slot_numbers(a, corpus.work_codes()[0])
    present = {c: corpus.unit_codes(c)[0] >= 0 for c in ("country", "institution_key")}
    files = []
    for inp in corpus.meta.get("inputs", []):
        ids = set(w.loc[w["file"] == inp["path"], "work_id"]) if "file" in w else set()
        cov = slot_coverage(a, rows=corpus.authorship_mask(ids), slots=slots, present=present)
        files.append({**inp, "works_kept": len(ids), **cov})
    wc = corpus.work_countries()
    return {
        "works": int(len(w)),
        "files": files,
        "dedup_steps": corpus.meta.get("dedup_steps", {}),
        "excluded": corpus.meta.get("excluded", {}),
        **slot_coverage(a, slots=slots, present=present),
        "works_with_country": int(wc["work_id"].nunique()),
        "unlinked_affiliation_rows": int((a["position"] < 0).sum()),
        "sector_sources": corpus.meta.get("sector_sources", {}),
        "citation_source": corpus.citation_source(),
        "unresolved": corpus.meta.get("unresolved", {}),
        "thesaurus": corpus.meta.get("thesaurus"),
    }


PARQUET_SLICE = 250_000


def _read_parquet(path: str) -> pd.DataFrame:
    """A table that :func:`_write_parquet` wrote, equal to what ``pd.read_parquet`` gives (string columns:
    objects, None when missing), with the string columns read as dictionaries and decoded once per
    distinct value: 4 bytes a row per string column plus the distinct strings, never every string as
    Arrow text (about 5 GB for the 17M authorship rows of a million works) beside the pandas table.
    The references' raw strings and OpenAlex ids are decoded together (one object when equal)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    schema = pq.read_schema(path)
    strings = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    t = pq.read_table(path, read_dictionary=strings)
    rest = t.drop(strings).to_pandas()           # numbers, flags, all-null columns: pandas' own dtypes
    together = [n for n in ("raw", "openalex_id") if n in strings]
    cols = {}
    for group in [together] + [[n] for n in strings if n not in together]:
        if group:
            cols.update(zip(group, decode_strings([t.column(n) for n in group])))
            t = t.drop(group)
    del t
    pa.default_memory_pool().release_unused()
    data = {f.name: cols.pop(f.name) if f.name in cols else rest[f.name] for f in schema}
    return columns_frame(data, [f.name for f in schema], index=rest.index)


def columns_frame(data: dict, columns: list, index=None) -> pd.DataFrame:
    """``pd.DataFrame(data, columns=columns, copy=False)`` for columns that are numpy arrays or Series,
    with each object array wrapped as an object Series first: pandas otherwise scans every value of an
    object array for dates to convert (0.4 s for an all-missing column of 3 million rows), and these
    columns hold strings and None only, which it would leave as they are."""
    import numpy as np
    data = {k: pd.Series(v, index=index, dtype=object, copy=False)
            if isinstance(v, np.ndarray) and v.dtype == object else v for k, v in data.items()}
    return pd.DataFrame(data, index=index, columns=columns, copy=False)


def decode_strings(columns: list, idx=None) -> list:
    """Dictionary-encoded Arrow columns (ChunkedArrays) as numpy object arrays (at rows ``idx`` only, when
    given), one Python string per distinct value across all of them (dictionaries unified), None where
    missing."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    chunks = [c for col in columns for c in col.chunks]
    if not chunks:
        return [np.full(len(col) if idx is None else len(idx), None, dtype=object) for col in columns]
    ca = pa.chunked_array(chunks, type=chunks[0].type).unify_dictionaries()
    del chunks
    objs = np.empty(len(ca.chunk(0).dictionary) + 1, dtype=object)
    objs[:-1] = ca.chunk(0).dictionary.to_pylist()         # the last slot (code -1): None
    codes = np.concatenate([pc.fill_null(c.indices, -1).to_numpy() for c in ca.chunks])
    del ca
    out, at = [], 0
    for col in columns:
        c = codes[at:at + len(col)]
        out.append(objs[c if idx is None else c[idx]])
        at += len(col)
    return out


def reference_schema():
    """The Arrow schema of references.parquet before topics resolve ``cited_work_id`` (all missing)."""
    import pyarrow as pa
    return pa.schema([("work_id", pa.string()), ("position", pa.int64()), ("raw", pa.string()),
                      ("doi", pa.string()), ("openalex_id", pa.string()), ("cited_work_id", pa.null())])


def _unresolved_references(df: pd.DataFrame) -> bool:
    """Whether ``df`` is a references table whose ``cited_work_id`` is all missing."""
    names = reference_schema().names
    return list(df.columns) == names and not df["cited_work_id"].notna().any()


def _frame_batches(df: pd.DataFrame, schema, rows: int):
    """The rows of ``df`` as Arrow record batches of ``schema`` (no pandas metadata), ``rows`` at a time."""
    import pyarrow as pa
    for at in range(0, len(df), rows):
        part = df.iloc[at:at + rows]
        yield pa.RecordBatch.from_arrays([pa.array(part[f.name].to_numpy(), type=f.type, from_pandas=True)
                                          for f in schema], schema=schema)


def _write_batches(schema, batches, path: str) -> None:
    """Arrow record batches as Parquet, one row group each (what :func:`_read_parquet` reads back)."""
    import pyarrow.parquet as pq
    with pq.ParquetWriter(path, schema) as w:
        _pipelined(batches, w.write_batch)


_DONE = object()


def _pipelined(items, write) -> None:
    """``write(item)`` for each item of an iterator, in order, on a second thread, so that the Parquet
    encoding of one slice (Arrow's C++ writer, which releases the GIL) overlaps the making of the next
    (pandas' Python strings converted to Arrow, which holds it): 0.9 against 1.3-1.7 s for the 1.7M
    authorship rows of the S=20 world, the same bytes.  At most three slices are held at once (one being
    written, one waiting, one being made).  An error on either side is raised here, after the writer has
    stopped."""
    import queue
    import threading
    q, failed = queue.Queue(maxsize=1), []

    def run():
        try:
            while (item := q.get()) is not _DONE:
                write(item)
        except BaseException as exc:   # (handed to the caller below)
            failed.append(exc)
            while q.get() is not _DONE:   # let the producer finish its put and stop
                pass

    th = threading.Thread(target=run, name="parquet-writer", daemon=True)
    th.start()
    try:
        for item in items:
            q.put(item)
            if failed:
                break
    finally:
        q.put(_DONE)
        th.join()
    if failed:
        raise failed[0]


def arrow_schema(df: pd.DataFrame):
    """``pa.Schema.from_pandas(df, preserve_index=False)`` (pandas metadata included), without what it does
    to learn an object column's type: convert the whole column to Arrow (a second of the writer's time for
    the 1.7M authorship rows of the S=20 world).  A column of strings and missing values is a string
    column, one of missing values only a null column, as pyarrow would find; the schema is inferred from
    one row of each, and any other object column leaves the whole table to pyarrow's own inference."""
    import pyarrow as pa
    if not len(df):
        return pa.Schema.from_pandas(df, preserve_index=False)
    one = {}
    for col in df.columns:
        s = df[col]
        if s.dtype != object:
            one[col] = s.iloc[:1].reset_index(drop=True)
            continue
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind == "string":   # (the first string: at the top of nearly every column)
            one[col] = pd.Series([next(v for v in s.to_numpy() if isinstance(v, str))], dtype=object)
        elif kind == "empty":
            one[col] = pd.Series([None], dtype=object)
        else:
            return pa.Schema.from_pandas(df, preserve_index=False)
    return pa.Schema.from_pandas(pd.DataFrame(one, columns=df.columns), preserve_index=False)


def _write_parquet(df: pd.DataFrame, path: str, rows: int | None = None) -> None:
    """A table as Parquet, converted to Arrow a slice of ``rows`` (default ``PARQUET_SLICE``) rows at a
    time (one row group each): the memory of the conversion is one slice's, not the whole table's (400 MB
    for 1.6M authorship rows)."""
    rows = rows or PARQUET_SLICE
    if len(df) <= rows:
        df.to_parquet(path, index=False)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq
    schema = arrow_schema(df)
    with pq.ParquetWriter(path, schema) as w:
        _pipelined((pa.Table.from_pandas(df.iloc[i:i + rows], schema=schema, preserve_index=False)
                    for i in range(0, len(df), rows)), w.write_table)
