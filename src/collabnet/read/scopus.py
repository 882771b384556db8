"""Scopus CSV exports (methods.md 9.1): the 2023+ and pre-2023 layouts, any column order."""
from __future__ import annotations

import csv
import functools
import io
import os
import re

import numpy as np

from ..errors import InputError
from .common import (FieldRef, FileReport, author_key, canonical_doc_type, count_byte, new_aff, new_author,
                     new_record, norm_doi, parse_int, parse_year, plain_authors, unescape_char_refs)
from .scopus_authors import AuthorSlice

REQUIRED = ("Title", "Year")
NO_AUTHOR = "[no author name available]"
MISSING = {"NA", "N/A", "NULL", "null", "None", "nan", "NaN"}  # tools that re-save exports write these

csv.field_size_limit(2**31 - 1)


SCOPUS_COLUMNS = {"authors", "author full names", "author(s) id", "title", "year", "source title", "cited by", "doi",
                  "link", "affiliations", "authors with affiliations", "abbreviated source title", "document type",
                  "publication stage", "eid", "correspondence address", "index keywords", "author keywords"}


def looks_like_scopus(header: list[str]) -> bool:
    """Scopus-like when at least three of its column names are there and one is Scopus-specific."""
    h = {c.strip().lower().lstrip("\ufeff") for c in header}
    specific = {"eid", "author(s) id", "authors with affiliations", "link", "abbreviated source title",
                "author full names", "source title"}
    return len(h & SCOPUS_COLUMNS) >= 3 and bool(h & specific) and "article title" not in h


def _col(header: list[str]) -> dict:
    """Column name -> index, exact match first, then case-insensitive (methods.md 9.1)."""
    idx = {}
    for i, name in enumerate(header):
        idx.setdefault(name.strip(), i)
    low = {}
    for i, name in enumerate(header):
        low.setdefault(name.strip().lower(), i)
    return idx, low


def full_name_id(part: str) -> tuple[str, str | None]:
    r"""A stripped `Author full names` item, "Surname, Given (id)", as (name, id); (the item, None) when it
    ends in no "(digits)".  What the regex ``^(.*?)\s*\((\d+)\)\s*$`` matches, found with string methods:
    the last "(" before the closing ")", digits between, the name before it with its trailing spaces
    dropped, and no line break in the name (the regex's "." stops at one)."""
    if part.endswith(")"):
        k = part.rfind("(")
        digits = part[k + 1:-1]
        if k >= 0 and digits.isdecimal():
            name = part[:k].rstrip()
            if "\n" not in name:
                return name, digits
    return part, None


def _split_authors(value: str, new_layout: bool) -> list[str]:
    v = value.strip()
    if not v or v.lower() == NO_AUTHOR:
        return []
    if new_layout or ";" in v:
        parts = v.split(";")
    else:
        parts = v.split(", ")
    return [p.strip().rstrip(",") for p in parts if p.strip() and p.strip().lower() != NO_AUTHOR]


def _tile(segs: list[str], known: set[str], firsts: set[str] | None = None) -> list[str] | None:
    """Split consecutive segments into strings all found in ``known`` (longest first).  ``firsts``:
    :func:`first_segments` of ``known``; a tile is only looked for where one of them starts (the same
    result: a joined run of segments found in ``known`` starts with that affiliation's first segment)."""
    whole = ", ".join(segs)
    if whole in known:  # one affiliation (the usual case): what the longest-first search below finds first
        return [whole]
    n = len(segs)
    best: list = [None] * (n + 1)
    best[n] = []
    for i in range(n - 1, -1, -1):
        if firsts is not None and segs[i] not in firsts:
            continue
        for j in range(n, i, -1):
            if best[j] is not None and ", ".join(segs[i:j]) in known:
                best[i] = [", ".join(segs[i:j])] + best[j]
                break
    return best[0]


_INITIALS = re.compile(r"^(?:[A-Z][a-z]?\.?[- ]?){1,5}$")


def first_segments(known: set[str]) -> set[str]:
    """The first comma-separated segment of each known affiliation: a tiling of segments can only start
    with one of these (see :func:`split_author_entry`)."""
    return {a.split(",", 1)[0].strip() for a in known}


def _joined(value: str) -> str:
    """A string's comma-separated segments, stripped, the empty ones dropped, joined by ", "."""
    return ", ".join(p for p in (s.strip() for s in value.split(",")) if p)


@functools.lru_cache(maxsize=65536)
def _plain(value: str) -> bool:
    return _joined(value) == value


def split_author_entry(entry: str, known: set[str], firsts: set[str] | None = None) -> tuple[str, list[str]]:
    """One `Authors with affiliations` entry -> (author name, affiliation strings).

    An author with several affiliations has them joined by ", " in one entry;
    they are told apart with the distinct strings of the `Affiliations` column.
    ``firsts``: :func:`first_segments` of ``known`` (when given, the usual entry, a one- or two-segment
    name and one known affiliation in its :func:`_joined` form, is found without the search; the result
    is the same).

    >>> split_author_entry("Liu F., Dept A, Univ A, Tokyo, Japan, Inst B, Osaka, Japan",
    ...                    {"Dept A, Univ A, Tokyo, Japan", "Inst B, Osaka, Japan"})
    ('Liu F.', ['Dept A, Univ A, Tokyo, Japan', 'Inst B, Osaka, Japan'])
    """
    if firsts is not None:
        # what the search below finds first, when the rest after the name's one segment (k = 1) is
        # a known affiliation in its joined form; or, when the name's second segment starts no known
        # affiliation (so k = 1 is not tried), the rest after two segments (k = 2)
        i = entry.find(",")
        if i > 0:
            s0 = entry[:i].strip()
            if s0:
                rest = entry[i + 1:].strip()
                if rest in known and _plain(rest):
                    return s0, [rest]
                j = entry.find(",", i + 1)
                if j > 0:
                    s1 = entry[i + 1:j].strip()
                    rest = entry[j + 1:].strip()
                    if s1 and s1 not in firsts and rest in known and _plain(rest):
                        return s0 + ", " + s1, [rest]
    segs = [s.strip() for s in entry.split(",")]
    segs = [s for s in segs if s]
    if not segs:
        return "", []
    if known:
        if firsts is None:
            firsts = first_segments(known)
        for k in range(1, min(3, len(segs) - 1) + 1):
            # the tiling of segs[k:] starts with a known affiliation, which starts with segs[k]: where no
            # known one does, skip the search (it would try every split of the segments and fail)
            tiles = _tile(segs[k:], known, firsts) if segs[k] in firsts else None
            if tiles:
                return ", ".join(segs[:k]), tiles
    # no tiling: "Surname, I." takes two segments when the second is initials
    k = 2 if len(segs) > 1 and _INITIALS.match(segs[1]) else 1
    rest = ", ".join(segs[k:])
    return ", ".join(segs[:k]), ([rest] if rest else [])


def _align(names: list[str], entries: list[tuple[str, list[str]]]) -> list[list[str]] | None:
    """Affiliations per author slot, or None when the entries do not line up with the names."""
    if not entries:
        return None
    if len(entries) == len(names):
        return [affs for _, affs in entries]
    out: list[list[str]] = [[] for _ in names]
    slot = -1
    prev = None
    for name, affs in entries:
        key = author_key(name)
        if slot >= 0 and key == prev:  # consecutive entries of one author: several affiliations
            out[slot].extend(affs)
            continue
        slot += 1
        if slot >= len(names) or (key and author_key(names[slot]) and not author_key(names[slot]).startswith(key[:3])):
            return None
        out[slot].extend(affs)
        prev = key
    return out if slot == len(names) - 1 else None


class Layout:
    """The header of a Scopus CSV: the csv reader positioned after it, and where each field is."""

    def __init__(self, path: str, text):
        self.path = path
        self.reader = csv.reader(io.StringIO(text, newline="") if isinstance(text, str) else text)
        try:
            header = next(self.reader)
        except (StopIteration, csv.Error) as exc:
            raise InputError(path, f"cannot read the CSV header ({exc})") from None
        header = [h.strip().lstrip("\ufeff") for h in header]
        idx, low = _col(header)

        def ci(name):
            return idx.get(name, low.get(name.lower()))

        missing = [c for c in REQUIRED if ci(c) is None]
        if ci("Authors") is None and ci("Author full names") is None:
            missing.append("Authors")
        if missing:
            raise InputError(path, f"Scopus CSV without the required column(s) {', '.join(missing)}",
                             where="line 1", hint="Export again with these fields selected")
        self.mangled = header[-1].endswith(";") or any(";;" in h for h in header)
        self.new_layout = ci("Author full names") is not None
        self.cols = {name: ci(name) for name in (
            "Authors", "Author full names", "Author(s) ID", "Title", "Year", "Source title", "Volume", "Issue",
            "Page start", "Art. No.", "Cited by", "DOI", "Affiliations", "Authors with affiliations", "Abstract",
            "Author Keywords", "Index Keywords", "Funding Details", "Funding Texts", "References",
            "Correspondence Address", "PubMed ID", "Language of Original Document", "Document Type",
            "Publication Stage", "EID")}
        self.funding_cols = [i for i, h in enumerate(header) if h.lower().startswith("funding text")]
        self.width = len(header)
        self.records = 0   # records seen so far (every block's, converted here or not)
        self.line_base = 0  # lines of the file before the reader's first line (a second half starts later)
        self.reached_mark = False  # a first half: its reader came to SPLIT_MARK as a row of its own


BAD_WIDTH = "row has "  # how the skip reason for a row of the wrong width begins


def parse(path: str, text, report: FileReport):
    """Yield canonical records from the text of a Scopus CSV file (a string, or a text file opened with
    newline="")."""
    report.format = "scopus"
    layout = Layout(path, text)
    for _, recs, rep in blocks(layout, 1000):
        report.absorb(rep)
        yield from plain_authors(recs)
    check(layout, report)


def check(layout: Layout, report: FileReport) -> None:
    """Refuse a file that a spreadsheet program re-saved (most rows do not match its ';;;' header)."""
    check_header(layout.path, layout.mangled, report)


def check_header(path: str, mangled: bool, report: FileReport) -> None:
    """:func:`check` from the header's ``mangled`` flag and the whole file's report."""
    bad_width = sum(n for why, n in report.skipped.items() if why.startswith(BAD_WIDTH))
    if mangled and report.records and bad_width > report.records / 2:
        raise InputError(path, f"{bad_width} of {report.records} rows do not match the header "
                         "(the header ends in ';;;': the file looks re-saved by a spreadsheet program)",
                         hint="Use the CSV exactly as Scopus exported it")


def blocks(layout: Layout, size: int, keep=None):
    """(block number, records, report) for blocks of ``size`` records (rows that are not blank) of the
    file; ``keep(block number)`` False: the block's rows are read but not converted (another process
    converts them) and the block is not yielded."""
    path, reader, base = layout.path, layout.reader, layout.line_base
    b, n = 0, 0
    wanted = keep is None or keep(0)
    rep, out = FileReport(path, "scopus"), []
    line_start = base + reader.line_num + 1
    while True:
        if n == size:
            if wanted:
                yield b, out, rep
            b, n = b + 1, 0
            wanted = keep is None or keep(b)
            rep, out = FileReport(path, "scopus"), []
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            n += 1
            layout.records += 1
            if wanted:
                rep.records += 1
                rep.skip(f"malformed CSV row ({exc})", f"{base + reader.line_num}")
            line_start = base + reader.line_num + 1
            continue
        if len(row) == 1 and row[0] == SPLIT_MARK:  # the end of a first half (see split_text)
            layout.reached_mark = True
            break
        where_line = line_start
        line_start = base + reader.line_num + 1
        if not row or all(type(c) is str and not c.strip() for c in row):  # (a FieldRef, AuthorSlice: not blank)
            continue
        n += 1
        layout.records += 1
        if wanted:
            rep.records += 1
            rec = _convert(layout, row, where_line, rep)
            if rec is not None:
                out.append(rec)
    if n and wanted:
        yield b, out, rep


# ---------------------------------------------------------------- rows parsed by pyarrow
# The csv module parses every field of every row into a Python string; a Scopus row is mostly fields that
# are never read (abstracts, links, conference data).  pyarrow's CSV reader parses many rows at once in
# C++, and only the fields read become strings.  Its rows are the csv module's for a well-formed file: a
# row ends at a line end with an even number of quotes before it.  The bytes are taken a window at a time
# and cut after the last such line end in it; pyarrow must give as many rows as the count says.  A window
# that it does not read so (a row of the wrong width, a NUL byte, a byte that is not UTF-8) is read by the
# csv module alone, and must end its rows where the count does; if it does not (a stray quote, a bare CR),
# the csv module reads from that window's first row to the end, as before.
ARROW_WINDOW = 16 * 2 ** 20  # bytes read and parsed at a time
_UNREAD = ("Abstract", "Publication Stage")  # fields of Layout.cols that _convert does not read


class _Prefixed(io.RawIOBase):
    """Some bytes, then the rest of a binary stream."""

    def __init__(self, head: bytes, rest):
        super().__init__()
        self._head, self._rest = memoryview(head), rest

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if len(self._head):
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._rest.readinto(b)


class ArrowRows:
    """Rows as ``csv.reader`` gives them (``line_num``: the lines read so far), parsed by pyarrow a window
    at a time (see above).  The fields that :func:`_convert` does not read are "" (a row whose read fields
    are all blank is given whole: blank rows are told apart as before)."""

    def __init__(self, layout: "Layout", raw, mark: bool, line_num: int):
        self.raw, self.mark, self.line_num, self.width = raw, mark, line_num, layout.width
        # (the last field too: a quoted field left open at the end of a window shows in it, see _parse)
        self.read = sorted({i for n, i in layout.cols.items() if i is not None and n not in _UNREAD} |
                           set(layout.funding_cols) | {layout.width - 1})
        self.names = [f"f{c}" for c in range(self.width)]
        # the References field stays in Arrow (FieldRef; the last field is checked as a Python string)
        rc = layout.cols.get("References")
        self.refs_col = rc if rc is not None and rc in self.read and rc != self.width - 1 else None
        # the author fields stay in Arrow for the rows the columnar author path takes (scopus_authors)
        au = [layout.cols.get(c) for c in _AUTHOR_COLS]
        self.new_layout = layout.new_layout   # (the full names carry the ids; the earlier layout has none)
        need = [au[0], au[3], au[4]] + ([au[1]] if layout.new_layout else [])
        self.author_cols = au if COLUMNAR and None not in need and self.width - 1 not in au else None
        self.buf = b""       # bytes read and not parsed yet (they start a row)
        self.rows = iter(())  # (row, line_num after it) of the window parsed last
        self.csv = None      # the csv module's reader, once a window failed
        self.tail = False    # the stream has ended: what is left in buf (and the mark) goes to the csv module
        self.done = False
        self._area = None    # the buffer the windows are read into (see _window)

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self.csv is not None:
                try:
                    return next(self.csv)
                finally:
                    self.line_num = self._csv_base + self.csv.line_num
            for row, self.line_num in self.rows:
                return row
            if self.tail:
                self._to_csv(self.buf)
            elif self.done:
                raise StopIteration
            else:
                self._window()

    def _window(self) -> None:
        n0 = len(self.buf)
        if n0 < ARROW_WINDOW:
            # a window of ARROW_WINDOW bytes, the unparsed ones first, in one buffer used again and again
            # (a fresh one per window costs as much as reading it: its pages are faulted in)
            if self._area is None:
                self._area = bytearray(ARROW_WINDOW)
            with memoryview(self._area) as area:
                area[:n0] = self.buf
                got = n0 + _read_into(self.raw, area[n0:])
                eof = got < ARROW_WINDOW
                data = bytes(area[:got]) if eof else self._area
        else:  # (a row longer than a window, read on)
            more = self.raw.read(ARROW_WINDOW)
            data = self.buf + more
            eof = len(more) < ARROW_WINDOW
        ends, lines = _certain_row_ends(data, eof)
        if not ends and not eof:
            if len(data) > 4 * ARROW_WINDOW:  # no certain row end for this long: a stray quote
                self._to_csv(data)
            else:
                self.buf = bytes(data)  # (a row longer than a window: read on; a copy, not the buffer)
            return
        rows = self._parse(data, ends, lines) if ends else []
        if rows is None:
            rows = self._csv_window(data, ends, lines)
        if rows is None:
            self._to_csv(data)
            return
        self.buf = data[ends[-1]:] if ends else bytes(data)  # (copies: the buffer is read into again)
        base = self.line_num
        self.rows = iter([(row, base + n) for row, n in rows])
        if eof:
            self.done = True
            self.tail = bool(self.buf) or self.mark  # rows the count could not end, or the mark

    def _parse(self, data: bytes, ends: list, lines: list) -> list | None:
        """(row, lines up to its end) of the rows of ``data`` ending at ``ends``, or None when pyarrow
        does not read them so."""
        import pyarrow as pa
        stop = ends[-1]
        if data.find(b"\x00", 0, stop) >= 0 or (data.find(b"\r", 0, stop) >= 0 and
                                                 data.count(b"\r", 0, stop) != data.count(b"\r\n", 0, stop)):
            return None
        chunk = pa.py_buffer(data)[:stop]
        bounds = [0] + ends
        blank = [k for k in range(len(ends)) if bounds[k + 1] - bounds[k] <= 2
                 and data[bounds[k]:bounds[k + 1]] in (b"\n", b"\r\n")]
        n = len(ends) - len(blank)
        try:
            # (pyarrow checks only the fields it converts as UTF-8: the whole chunk is checked here)
            pa.Array.from_buffers(pa.binary(), 1, [None, pa.array([0, stop], type=pa.int32()).buffers()[1], chunk]
                                  ).cast(pa.string())
            longest = max(b - a for a, b in zip(bounds, ends))
            table = self._read(chunk, [self.names[c] for c in self.read], longest)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if table.num_rows != n:
            return None
        au = self.author_cols
        cols = {c: table.column(k).to_pylist() for k, c in enumerate(self.read)
                if c != self.refs_col and (au is None or c not in au)}
        if au is not None:
            cols.update(self._authors(table, au, n))
        if self.refs_col is not None:
            cols[self.refs_col] = _field_refs(table.column(self.read.index(self.refs_col)))
        # pyarrow closes a quoted field that the end of the bytes leaves open (so does the csv module): a
        # window whose count was fooled by a stray quote and that ends inside a quoted field.  A field
        # left open in the middle of a row leaves it short (pyarrow refuses it); one in the last field
        # ends with the line end the count took for the row's: such a window goes to the csv module
        if n and cols[self.width - 1][-1][-1:] in ("\n", "\r"):
            return None
        del table
        empty = [""] * n
        rows = list(zip(*[cols.get(c, empty) for c in range(self.width)]))
        whole = None
        for k, row in enumerate(rows):
            # blank where it is read: is it blank whole?  (a FieldRef or AuthorSlice is never blank)
            if not any(type(row[c]) is not str or row[c].strip() for c in self.read):
                if whole is None:
                    t = self._read(chunk, None, longest)
                    whole = list(zip(*[col.to_pylist() for col in t.columns]))
                rows[k] = whole[k]
        for k in blank:  # (the csv module gives an empty line as an empty row)
            rows.insert(k, [])
        return list(zip(rows, lines))

    def _authors(self, table, au: list, n: int) -> dict:
        """The author columns of a parsed window as the rows hold them: a regular row's Authors field is
        its :class:`~.scopus_authors.AuthorSlice` and its other author fields are "" (``_convert`` reads
        none of them then); the other rows' are their strings."""
        import pyarrow as pa
        from .scopus_authors import author_window
        arrays = [table.column(self.read.index(c)) if c is not None else None for c in au]
        arrays = [a.combine_chunks() if a is not None and a.num_chunks != 1 else a.chunk(0) if a is not None
                  else None for a in arrays]
        A, F, I, L, W, C = arrays
        win = author_window(A, F, None if self.new_layout else I, L, W, C, author_key, new_layout=self.new_layout)
        regular = win.regular
        other = np.flatnonzero(~regular)
        take = pa.array(other, type=pa.int64())
        out = {}
        for c, a in zip(au, arrays):
            if c is None:
                continue
            vals = [""] * n
            for k, v in zip(other.tolist(), a.take(take).to_pylist()):
                vals[k] = v
            out[c] = vals
        names = out[au[0]]
        for r in np.flatnonzero(regular).tolist():
            names[r] = AuthorSlice(win, r)
        return out

    def _csv_window(self, data: bytes, ends: list, lines: list) -> list | None:
        """(row, lines up to its end) of the rows of ``data`` ending at ``ends``, read by the csv module (a
        window pyarrow did not read: a row of the wrong width, say), or None when the csv module does
        not end its rows where the count does (then the quotes cannot be trusted from here on)."""
        try:
            # (strict: a quoted field that the end of the window leaves open is an error, not closed)
            reader = csv.reader(io.StringIO(data[:ends[-1]].decode("utf-8"), newline=""), strict=True)
            rows = [(row, reader.line_num) for row in reader]
        except (UnicodeDecodeError, csv.Error):
            return None
        return rows if [n for _, n in rows] == lines else None

    def _read(self, chunk, include: list | None, longest: int):
        import pyarrow as pa
        import pyarrow.csv as pacsv
        return pacsv.read_csv(
            pa.BufferReader(chunk),
            read_options=pacsv.ReadOptions(column_names=self.names, use_threads=False,
                                           block_size=max(1 << 20, 2 * longest)),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in self.names},
                                                 include_columns=include or [], strings_can_be_null=False))

    def _to_csv(self, data: bytes) -> None:
        """The csv module reads on from the start of ``data`` (a row's start), then the rest of the stream."""
        import itertools
        self._csv_base = self.line_num
        text = io.TextIOWrapper(io.BufferedReader(_Prefixed(data, self.raw), 1 << 20), encoding="utf-8",
                                newline="")
        self.csv = csv.reader(itertools.chain(text, [SPLIT_MARK + "\n"]) if self.mark else text)
        self.buf, self.rows, self.tail = b"", iter(()), False


def _field_refs(column) -> list:
    """A column of fields as what the rows hold: each field's text stripped, as a :class:`FieldRef`,
    or the field itself (a Python string) when that text is empty or a missing-value mark (so every
    test of the row sees what it saw before)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from .chunks import strip_strings
    strings, odd, before = strip_strings(column.combine_chunks() if column.num_chunks != 1 else column.chunk(0))
    raw = dict(zip(odd.tolist(), before))
    plain = pc.is_in(strings, value_set=pa.array(sorted(MISSING) + [""], type=pa.string()))
    out = [FieldRef(strings, i) for i in range(len(strings))]
    at = np.flatnonzero(plain.to_numpy(zero_copy_only=False))
    if len(at):
        for i, v in zip(at.tolist(), strings.take(pa.array(at)).to_pylist()):
            out[i] = raw.get(i, v)  # (the field as it was: an odd one before its strip)
    return out


def _read_into(raw, view) -> int:
    """Bytes read from ``raw`` into ``view`` until it is full or the stream ends; how many."""
    got = 0
    while got < len(view):
        n = raw.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _certain_row_ends(data: bytes, eof: bool) -> tuple[list, list]:
    """(the offset after each row, the lines up to it) of the rows of ``data`` (which starts a row) whose
    end is certain: each line end with an even number of quotes before it, and at the end of the
    stream (``eof``) its last bytes when they have an even number too."""
    ends, lines, q, p, n = [], [], 0, 0, 0
    find, count = data.find, data.count
    while True:
        nl = find(b"\n", p)
        if nl < 0:
            break
        q += count(b'"', p, nl)
        n += 1
        if not q & 1:
            ends.append(nl + 1)
            lines.append(n)
        p = nl + 1
    if eof and p < len(data) and not (q + count(b'"', p)) & 1:
        ends.append(len(data))
        lines.append(n + 1)
    return ends, lines


# ---------------------------------------------------------------- a file read in two halves
# A CSV row ends at a line end outside quotes: where the quotes before it are even in number (every quote
# of a well-formed CSV opens, closes or doubles).  The first half is read to such a line end near the
# middle, with SPLIT_MARK appended as one more line; the second half from there, by another process.  The
# first half's reader coming to SPLIT_MARK as a row of its own proves that the csv module, reading the
# whole file, would start a row there too; a file with stray quotes fails that check and is read whole.
COLUMNAR = True  # the author fields of regular rows on Arrow arrays (scopus_authors), with ARROW
_AUTHOR_COLS = ("Authors", "Author full names", "Author(s) ID", "Affiliations", "Authors with affiliations",
                "Correspondence Address")
ARROW = True  # parse the rows with pyarrow where it reads them as the csv module does (see ArrowRows)
SPLIT_MARK = "\ue000collabnet: the first half of the file ends here\ue000"
SPLIT_SEARCH = 64 * 2 ** 20  # how far past the middle to look for a row end before giving up


def _row_end(window, quotes_before: int, quote, newline) -> int | None:
    """The offset in ``window`` (str or bytes) just after its first line end with an even number of
    quotes before it (``quotes_before`` of them come before the window), or None."""
    q, p = quotes_before, 0
    while True:
        nl = window.find(newline, p)
        if nl < 0:
            return None
        q += window.count(quote, p, nl)
        if q % 2 == 0:
            return nl + 1
        p = nl + 1


def _lines_before(text: str, stop: int) -> int:
    """Lines ending before ``stop`` as a reader opened with newline="" counts them (\n, \r\n, \r)."""
    return text.count("\n", 0, stop) + text.count("\r", 0, stop) - text.count("\r\n", 0, stop)


def split_text(text: str) -> int | None:
    """Where the second half of a CSV text begins (see above), or None."""
    mid = len(text) // 2
    at = _row_end(text[mid: mid + SPLIT_SEARCH], text.count('"', 0, mid), '"', "\n")
    return None if at is None or mid + at >= len(text) else mid + at


def text_halves(path: str, text: str, at: int):
    """(first half's Layout, a function making the second half's Layout in the child) of a CSV text."""
    first = text_layout(path, text, 0, at, mark=True)
    return first, lambda: text_layout(path, text, at, None, _lines_before(text, at))


class _ByteRange(io.RawIOBase):
    """Bytes [start, stop) of a file (stop None: to its end), as a raw stream."""

    def __init__(self, path: str, start: int, stop: int | None):
        super().__init__()
        self._f = open(path, "rb")
        self._f.seek(start)
        self._left = None if stop is None else stop - start

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = len(b) if self._left is None else min(len(b), self._left)
        if n <= 0:
            return 0
        got = self._f.readinto(memoryview(b)[:n])
        if self._left is not None:
            self._left -= got
        return got

    def close(self) -> None:
        self._f.close()
        super().close()


def _open_range(path: str, start: int, stop: int | None):
    return io.TextIOWrapper(io.BufferedReader(_ByteRange(path, start, stop), 1 << 20),
                            encoding="utf-8-sig" if start == 0 else "utf-8", newline="")


def _line_ends(data: bytes) -> int:
    """Line ends in ``data`` as a reader opened with newline="" counts them (\n, \r\n, \r)."""
    cr = count_byte(data, 13) if b"\r" in data else 0  # (most files have no \r at all: memchr says so)
    return count_byte(data, 10) + (cr - data.count(b"\r\n") if cr else 0)


def _scan(path: str, start: int, stop: int, quotes: bool = True) -> tuple[int, int, bytes]:
    """(quotes, line ends, last byte) of bytes [start, stop) of a file, in one read of them (the quotes
    0 when not ``quotes``)."""
    n_quotes = lines = 0
    last = b""
    with open(path, "rb") as f:
        f.seek(start)
        left = stop - start
        while left > 0:
            chunk = f.read(min(1 << 22, left))
            if not chunk:
                break
            left -= len(chunk)
            if quotes:
                n_quotes += count_byte(chunk, 34)
            lines += _line_ends(chunk) - (last == b"\r" and chunk[:1] == b"\n")  # a \r\n across two reads
            last = chunk[-1:]
    return n_quotes, lines, last


def cut_file(path: str, piece_bytes: int) -> list[tuple[int, int | None, int]]:
    """A (plain, UTF-8) CSV file cut at row ends into pieces of about ``piece_bytes``: each cut is the
    first row end (see above) at or after ``piece_bytes`` from the last; (start, stop or None for the
    end, lines before start) of each piece, in file order.  ``cut_file(path, size // 2)`` halves it."""
    size = os.path.getsize(path)
    pieces, start, lines = [], 0, 0
    while size - start > piece_bytes:
        target = start + piece_bytes
        quotes, lines_to_target, last = _scan(path, start, target)  # (a cut has an even number before it)
        with open(path, "rb") as f:
            f.seek(target)
            window = f.read(min(size - target, SPLIT_SEARCH))
        at = _row_end(window, quotes, b'"', b"\n")
        if at is None or target + at >= size:
            break
        stop = target + at
        pieces.append((start, stop, lines))
        lines += lines_to_target + _line_ends(window[:at]) - (last == b"\r" and window[:1] == b"\n")
        start = stop
    pieces.append((start, None, lines))
    return pieces


# a line that ends with a quoted field's closing quote (one quote, after something that cannot open a
# field: inside a quoted field a quote is doubled) or with a Scopus EID field: most exports end rows so
_LIKELY_ROW_END = re.compile(rb'(?:[^",\r\n]"|,2-s2\.0-[0-9]{1,20})\r?\n')


def likely_row_start(path: str, target: int) -> int | None:
    """The first place at or after byte ``target`` of a CSV file just after a line that likely ends a
    row (above), or None.  It is a guess, found without counting the quotes before it: the first half's
    mark proves or disproves it (see above)."""
    with open(path, "rb") as f:
        f.seek(target)
        m = _LIKELY_ROW_END.search(f.read(1 << 20))
    return None if m is None else target + m.end()


def file_halves(path: str, pieces: list):
    """(first half's Layout, a function making the second half's Layout in the child) of a CSV file
    cut in two (``cut_file``; the lines before the cut None: the child counts them); the open halves
    are closed when their readers are dropped."""
    (_, at, _), (_, _, lines) = pieces

    def second() -> Layout:
        return piece_layout(path, at, None, _scan(path, 0, at, quotes=False)[1] if lines is None else lines, mark=False)
    return piece_layout(path, 0, at, 0, mark=True), second


def piece_layout(path: str, start: int, stop: int | None, line_base: int, mark: bool) -> Layout:
    """The Layout of bytes [start, stop) of a CSV file (the header read from its first line); ``mark``:
    SPLIT_MARK follows the piece as one more line (a piece that is not the last: see above).  The rows
    are parsed by pyarrow (:class:`ArrowRows`) when ``ARROW`` is on and the header is one plain line."""
    import itertools
    if ARROW:
        hend = _header_end(path)
        if hend is not None and (start == 0 or hend <= start):
            with _open_range(path, 0, hend) as head:
                layout = Layout(path, head)
                whole = next(layout.reader, None) is None  # (the header was all of those bytes)
            if whole:
                raw = io.BufferedReader(_ByteRange(path, start or hend, stop), 1 << 20)
                layout.reader = ArrowRows(layout, raw, mark, layout.reader.line_num if start == 0 else 0)
                layout.line_base = line_base
                return layout
    src = _open_range(path, start, stop)
    lines = itertools.chain(src, [SPLIT_MARK + "\n"]) if mark else src
    if start == 0:
        return Layout(path, lines)
    with _open_range(path, 0, start) as head:
        layout = Layout(path, head)
    layout.reader = csv.reader(lines)
    layout.line_base = line_base
    return layout


def _header_end(path: str) -> int | None:
    """The offset after a CSV file's header row (its first row end in its first MB, see _row_end, with
    no bare CR before it), or None."""
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    end = _row_end(head, 0, b'"', b"\n")
    if end is None or head.count(b"\r", 0, end) != head.count(b"\r\n", 0, end):
        return None
    return end


def text_layout(path: str, text: str, start: int = 0, stop: int | None = None, line_base: int = 0,
                mark: bool = False) -> Layout:
    """The Layout of characters [start, stop) of a CSV text (the header read from its first line; a
    piece that starts later: ``line_base`` lines before it), its rows parsed by pyarrow when ``ARROW`` is
    on; ``mark``: as :func:`piece_layout`."""
    import itertools
    end = len(text) if stop is None else stop
    if start == 0:
        src = io.StringIO(text[:end], newline="")
        layout = Layout(path, itertools.chain(src, [SPLIT_MARK + "\n"]) if mark else src)
        begin = src.tell()
    else:
        layout = Layout(path, io.StringIO(text[:start], newline=""))
        rest = io.StringIO(text[start:end], newline="")
        layout.reader = csv.reader(itertools.chain(rest, [SPLIT_MARK + "\n"]) if mark else rest)
        layout.line_base = line_base
        begin = start
    if ARROW:
        try:
            data = text[begin:end].encode("utf-8")
        except UnicodeEncodeError:  # (a lone surrogate: the csv module reads it)
            return layout
        layout.reader = ArrowRows(layout, io.BytesIO(data), mark, layout.reader.line_num)
    return layout


def _convert(layout: Layout, row: list, where_line: int, report: FileReport) -> dict | None:
    """The record of one row (None: skipped, with the reason in the report)."""
    path, cols, funding_cols, width = layout.path, layout.cols, layout.funding_cols, layout.width
    if len(row) > width and funding_cols and any(c.strip() for c in row[width:]):
        # Scopus writes more "Funding Text N" fields than its header names: realign the columns
        # after the last funding column from the right, and keep the extra texts as funding
        k = funding_cols[-1] + 1
        extra = row[k:k + len(row) - width]
        row = row[:k] + row[k + len(row) - width:]
        row[funding_cols[-1]] = " | ".join(x for x in [row[funding_cols[-1]]] + extra if x.strip())
        report.warn("more Funding Text fields than header columns (realigned)", f"{where_line}")
    if len(row) != width and not (len(row) > width and not any(c.strip() for c in row[width:])):
        report.skip(f"{BAD_WIDTH}{len(row)} fields, the header has {width} (truncated or misquoted row)",
                    f"{where_line}")
        return None

    def g(name):
        i = cols[name]
        v = row[i].strip() if i is not None and i < len(row) else ""
        if "&#" in v:
            v = unescape_char_refs(v)
        return "" if v in MISSING else v

    rec = new_record("scopus", path, layout.records, where_line)
    rec["title"] = g("Title") or None
    if rec["title"] and rec["title"].lower() == "[no title available]":
        rec["title"] = None
    rec["year"] = parse_year(g("Year"), report, f"{where_line}")
    rec["doi"] = norm_doi(g("DOI"))
    rec["eid"] = g("EID") or None
    rec["pmid"] = g("PubMed ID") if g("PubMed ID").isdigit() else None
    rec["source_title"] = g("Source title") or None
    rec["volume"] = g("Volume") or None
    rec["issue"] = g("Issue") or None
    rec["first_page"] = g("Page start") or g("Art. No.") or None
    rec["language"] = g("Language of Original Document") or None
    cb = g("Cited by")
    rec["cited_by"] = parse_int(cb) if cb else 0
    dt = g("Document Type")
    rec["doc_type_raw"] = dt or None
    rec["doc_type"] = canonical_doc_type(dt)
    rec["is_retracted"] = dt.lower().startswith("retracted")
    rec["keywords"] = [k.strip() for k in g("Author Keywords").split(";") if k.strip()]
    rec["index_keywords"] = [k.strip() for k in g("Index Keywords").split(";") if k.strip()]
    funding = [g("Funding Details"), g("Funding Texts")] + [row[i].strip() for i in funding_cols if i < len(row)]
    rec["funding"] = " | ".join(f for f in funding if f) or None
    if not rec["title"] and not rec["doi"] and not rec["eid"]:
        report.skip("record without title, DOI or EID", f"{where_line}")
        return None

    # ---- authors
    at = cols["Authors"]
    if at is not None and at < len(row) and type(row[at]) is AuthorSlice:  # (worked out on arrays)
        rec["authors"] = row[at]
        _references(rec, row, cols, g)
        return rec
    names = _split_authors(g("Authors"), layout.new_layout)
    fulls, ids = [], []
    full_names = g("Author full names")
    if full_names:
        for part in full_names.split(";"):
            part = part.strip()
            if part:
                name, aid = full_name_id(part)
                fulls.append(name)
                ids.append(aid)
    if not ids and g("Author(s) ID"):
        ids = [x.strip() for x in g("Author(s) ID").split(";") if x.strip()]
    if not names and fulls:
        names = fulls
    if len(ids) != len(names):
        ids = [None] * len(names)
    if len(fulls) != len(names):
        fulls = [None] * len(names)
    authors = [new_author(n, f, i) for n, f, i in zip(names, fulls, ids)]
    affs_all = [a.strip() for a in g("Affiliations").split(";") if a.strip()]
    known = set(affs_all)
    with_aff = g("Authors with affiliations")
    per_slot = None
    if with_aff and authors:
        firsts = first_segments(known)
        entries = [split_author_entry(e.strip(), known, firsts) for e in with_aff.split(";") if e.strip()]
        per_slot = _align(names, entries)
    if per_slot is not None:
        for a, affs in zip(authors, per_slot):
            seen = set()
            for s in affs:
                if s not in seen:
                    seen.add(s)
                    a["affs"].append(new_aff(s))
    else:
        if affs_all and authors:
            report.warn("authors not aligned with affiliations (affiliations kept unlinked)", f"{where_line}")
        rec["unlinked"] = [new_aff(s) for s in affs_all]
    corr = g("Correspondence Address")
    if corr and authors:
        cname = author_key(corr.split(";", 1)[0])
        for a in authors:
            if cname and author_key(a["name"] or "") == cname:
                a["corresponding"] = True
                break
    rec["authors"] = authors
    _references(rec, row, cols, g)
    return rec


def _references(rec: dict, row: list, cols: dict, g) -> None:
    at = cols["References"]
    refs = row[at] if at is not None and at < len(row) else ""
    if type(refs) is not FieldRef:  # (a FieldRef is stripped, not empty, not missing: see _field_refs)
        refs = g("References")
    if refs:
        rec["references"] = refs  # (the whole field: chunk_part splits it and finds the DOIs)
