"""Pieces every reader shares: the record layout, per-file reports, id and type normalisation."""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote

import numpy as np

CURRENT_YEAR = _dt.date.today().year


@dataclass
class FileReport:
    """What happened while reading one file: records read, skipped (why, where), merged."""

    path: str
    format: str = ""
    records: int = 0                 # records found in the file (good or bad)
    skipped: Counter = field(default_factory=Counter)
    skipped_examples: dict = field(default_factory=dict)
    warnings: Counter = field(default_factory=Counter)
    warning_examples: dict = field(default_factory=dict)
    merged_within: int = 0           # duplicates of a record earlier in the same file
    merged_across: int = 0           # duplicates of a record in an earlier file
    excluded: Counter = field(default_factory=Counter)  # retracted, paratext

    def skip(self, reason: str, where: str) -> None:
        self.skipped[reason] += 1
        self.skipped_examples.setdefault(reason, [])
        if len(self.skipped_examples[reason]) < 3:
            self.skipped_examples[reason].append(f"{self.path}:{where}")

    def warn(self, reason: str, where: str) -> None:
        self.warnings[reason] += 1
        self.warning_examples.setdefault(reason, [])
        if len(self.warning_examples[reason]) < 3:
            self.warning_examples[reason].append(f"{self.path}:{where}")

    def absorb(self, other: "FileReport") -> None:
        """Add the counts of a report on a later chunk of the same file (examples: the first three overall)."""
        self.format = self.format or other.format
        self.records += other.records
        for mine, theirs, ex_mine, ex_theirs in ((self.skipped, other.skipped, self.skipped_examples, other.skipped_examples),
                                                 (self.warnings, other.warnings, self.warning_examples, other.warning_examples)):
            mine.update(theirs)
            for k, v in ex_theirs.items():
                ex_mine.setdefault(k, [])
                ex_mine[k].extend(v[: max(0, 3 - len(ex_mine[k]))])

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    def to_dict(self) -> dict:
        return {
            "path": self.path, "format": self.format, "records": self.records,
            "skipped": dict(sorted(self.skipped.items())),
            "skipped_examples": {k: v for k, v in sorted(self.skipped_examples.items())},
            "warnings": dict(sorted(self.warnings.items())),
            "warning_examples": {k: v for k, v in sorted(self.warning_examples.items())},
            "merged_within_file": self.merged_within, "merged_with_earlier_files": self.merged_across,
            "excluded": dict(sorted(self.excluded.items())),
        }


def new_record(source: str, path: str, recno: int, line: int | None = None) -> dict:
    """An empty canonical record (methods.md 0.1) that a reader fills in."""
    return {
        "source": source, "file": path, "record": recno, "line": line,
        "doi": None, "openalex_id": None, "eid": None, "ut": None, "pmid": None,
        "title": None, "year": None, "doc_type": "other", "doc_type_raw": None,
        "source_title": None, "volume": None, "issue": None, "first_page": None, "language": None,
        "cited_by": None, "cited_by_all": None, "fwci": None, "top10": None, "percentile": None,
        "counts_by_year": None, "keywords": [], "index_keywords": [], "fields": [], "primary_topic": None,
        "is_retracted": False, "is_paratext": False, "countries_declared": None, "institutions_declared": None,
        "authors": [], "unlinked": [], "references": [], "funding": None,
    }


def new_author(name: str | None, full_name: str | None = None, author_id: str | None = None,
               orcid: str | None = None, corresponding: bool = False) -> dict:
    # (the strings are not interned: a record lives for one chunk, and chunk_part keeps one string object
    # per distinct name and address of the chunk; interning them cost a tenth of a Scopus read)
    return {"name": name, "full_name": full_name, "id": author_id, "orcid": orcid,
            "corresponding": corresponding, "affs": []}


def new_aff(raw: str | None, *, inst_id: str | None = None, ror: str | None = None, inst_name: str | None = None,
            inst_type: str | None = None, country: str | None = None, lineage: list | None = None) -> dict:
    return {"raw": raw, "inst_id": inst_id, "ror": ror, "inst_name": inst_name, "inst_type": inst_type,
            "country": country, "lineage": lineage}


class AuthorsView:
    """The authors of one record kept in a compact form (``rec["authors"]``) that ``chunk_part`` reads as
    it is; elsewhere it is the list of author dicts that :meth:`authors` makes (length, indexing,
    iteration, ``==``, pickling as that list).  A subclass gives ``__len__``, ``first_name`` and
    ``authors``."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return len(self) > 0

    def __getitem__(self, k):
        return self.authors()[k]

    def __iter__(self):
        return iter(self.authors())

    def __eq__(self, other):
        return self.authors() == (other.authors() if isinstance(other, AuthorsView) else other)

    __hash__ = None

    def __repr__(self):
        return repr(self.authors())

    def __reduce__(self):
        return (list, (self.authors(),))


def plain_authors(records: list) -> list:
    """``records`` with every :class:`AuthorsView` made the list of dicts it stands for (for callers that
    want plain records)."""
    for r in records:
        if isinstance(r["authors"], AuthorsView):
            r["authors"] = r["authors"].authors()
    return records


class AuthorRows(AuthorsView):
    """The authors of an OpenAlex work as compact rows: per author (name, full name, id, ORCID,
    corresponding, affiliations), each affiliation the six fields (raw, institution id, ROR, institution
    name, type, country) that its authorship row's tail is resolved from."""

    __slots__ = ("rows",)

    def __init__(self, rows: list):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def first_name(self) -> str | None:
        """The first author's name (what duplicates are told apart by), without making the dicts."""
        return self.rows[0][0]

    def authors(self) -> list[dict]:
        out = []
        for name, full, aid, orcid, corr, affs in self.rows:
            a = new_author(name, full, aid, orcid, corr)
            a["affs"] = [new_aff(raw, inst_id=i, ror=r, inst_name=n, inst_type=t, country=c)
                         for raw, i, r, n, t, c in affs]
            out.append(a)
        return out


_DOI_RX = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
_DOI_FIND = re.compile(r"10\.\d{4,9}/[^\s,;\]\[]+")


def norm_doi(value) -> str | None:
    """Normalised DOI (methods.md 8.3) or None.

    >>> norm_doi(" https://doi.org/10.1000/ABC.1. ")
    '10.1000/abc.1'
    """
    if not value:
        return None
    s = unquote(str(value).strip())
    s = _DOI_PREFIX.sub("", s).strip().rstrip(".,;").lower()
    return s if _DOI_RX.match(s) else None


@lru_cache(maxsize=1 << 17)
def find_doi(text: str | None) -> str | None:
    """First DOI inside a reference string (cached: a cited work's string recurs in every paper citing it)."""
    if not text:
        return None
    m = _DOI_FIND.search(text)
    if m is None:
        return None
    s = m.group(0)
    if "%" in s:
        return norm_doi(s)
    # norm_doi's other steps do nothing to what _DOI_FIND matches (it starts "10." and has no spaces)
    s = s.rstrip(".,;").lower()
    return s if _DOI_RX.match(s) else None


def parse_year(value, report: FileReport | None = None, where: str = "") -> int | None:
    """Publication year in [1900, current + 1], else None (reported)."""
    if value is None:
        return None
    s = str(value).strip()
    if not s:
        return None
    m = re.match(r"^(\d{4})", s)
    if m:
        y = int(m.group(1))
        if 1900 <= y <= CURRENT_YEAR + 1:
            return y
    if report is not None:
        report.warn(f"year outside 1900-{CURRENT_YEAR + 1} or unreadable (set to null)", where)
    return None


def parse_int(value) -> int | None:
    if value is None:
        return None
    s = str(value).strip().replace(",", "")
    if not s:
        return None
    try:
        return int(float(s))
    except ValueError:
        return None


_TITLE_NON = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1 << 18)
def title_key(title: str | None) -> str | None:
    """Title NFKD, accents removed, casefolded, non-alphanumerics to one space (methods.md 8.3)."""
    if not title:
        return None
    if title.isascii():
        s = title.lower()
    else:
        s = unicodedata.normalize("NFKD", title)
        s = "".join(ch for ch in s if not unicodedata.combining(ch)).casefold()
    s = _TITLE_NON.sub(" ", s).strip()
    return s or None


@lru_cache(maxsize=1 << 18)
def surname_key(name: str | None) -> str | None:
    """Surname of "Surname, Given", "Surname I." or "Given Surname" forms, as a bare lowercase key."""
    if not name:
        return None
    s = name.strip()
    if "," in s:
        s = s.split(",", 1)[0]
    else:
        parts = s.split()
        if len(parts) > 1 and re.fullmatch(r"(?:[A-Z]\.?-?){1,4}", parts[-1]):  # "Surname I.J."
            s = " ".join(parts[:-1])
        elif len(parts) > 1:  # "Given Surname"
            s = parts[-1]
    k = title_key(s)
    return k.replace(" ", "") if k else None


# methods.md 8.4: canonical document types
_DOC_TYPES = {
    "article": "article", "journal article": "article", "review": "review", "short survey": "review",
    "systematic review": "review", "conference paper": "conference_paper", "proceedings paper": "conference_paper",
    "letter": "letter", "comment": "letter", "editorial": "editorial", "editorial material": "editorial",
    "note": "note", "erratum": "erratum", "correction": "erratum", "published erratum": "erratum",
    "book": "book", "book chapter": "book_chapter", "book-chapter": "book_chapter", "preprint": "preprint",
    "data paper": "data_paper", "dataset": "data_paper", "data-paper": "data_paper", "meeting abstract": "other",
    "retracted": "other", "retraction": "other", "paratext": "other", "news item": "other",
}


def canonical_doc_type(raw: str | None) -> str:
    if not raw:
        return "other"
    first = raw.split(";")[0].strip().lower()
    return _DOC_TYPES.get(first, "other")


_NAME_KEY = re.compile(r"[^a-z]")


def string_bytes(strings) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, UTF-8 bytes) of an Arrow string array without nulls, read from its buffers: string ``i`` is
    ``bytes[offsets[i]:offsets[i + 1]]``."""
    bufs = strings.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=strings.offset + len(strings) + 1)[strings.offset:]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None and bufs[2].size else \
        np.zeros(1, dtype=np.uint8)
    return offsets.astype(np.int64), data


def ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """The positions ``starts[i] .. starts[i] + lens[i] - 1`` of every ``i``, in order."""
    return np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(int(np.sum(lens)))


_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));")


def _char(m) -> str:
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    if code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return m.group(0)   # a control character or no character: left as written
    return chr(code)


def unescape_char_refs(text: str) -> str:
    """``text`` with its numeric character references ("&#x00FC;", "&#8208;") made the characters they
    stand for (some Scopus and Web of Science exports write accented letters and dashes so, and their
    ";" would split the field's list); control characters and named entities are left as written."""
    return _CHAR_REF.sub(_char, text) if "&#" in text else text


@lru_cache(maxsize=1 << 16)
def author_key(name: str) -> str:
    """An author name as the readers match it across fields: lower case, letters a-z only.  (A name recurs
    on every record of its author, with 2-3 keys a name: the recent ones are kept.)"""
    return _NAME_KEY.sub("", name.lower())


class FieldRef:
    """A field's text that stays in an Arrow string array (``array[index]``): a Scopus References field
    read by pyarrow goes on to ``chunk_part`` without ever becoming a Python string (it is split there on
    arrays).  The text is already stripped, not empty and not a missing-value mark.  ``text()`` (and
    ``strip()``, ``==``, pickling) make the string where something needs it."""

    __slots__ = ("array", "index")

    def __init__(self, array, index: int):
        self.array, self.index = array, index

    def text(self) -> str:
        return self.array[self.index].as_py()

    def strip(self) -> str:
        return self.text()

    def __eq__(self, other):
        if isinstance(other, FieldRef):
            other = other.text()
        return self.text() == other if isinstance(other, str) else NotImplemented

    def __hash__(self):
        return hash(self.text())

    def __repr__(self):
        return repr(self.text())

    def __reduce__(self):
        return (str, (self.text(),))


class StringRun:
    """A record's reference strings that stay in an Arrow string array (``array[lo:hi]``): the CR values of
    a WoS window parsed on arrays go on to ``chunk_part`` as a slice, never as millions of Python strings.
    The strings are already stripped and none is empty.  It is a sequence of its strings where something
    needs them (``len``, iteration, ``==`` with a list, pickling as a list)."""

    __slots__ = ("array", "lo", "hi")

    def __init__(self, array, lo: int, hi: int):
        self.array, self.lo, self.hi = array, lo, hi

    def texts(self) -> list:
        return self.array.slice(self.lo, self.hi - self.lo).to_pylist()

    def __len__(self):
        return self.hi - self.lo

    def __iter__(self):
        return iter(self.texts())

    def __eq__(self, other):
        if isinstance(other, StringRun):
            other = other.texts()
        return self.texts() == other if isinstance(other, list) else NotImplemented

    __hash__ = None

    def __repr__(self):
        return repr(self.texts())

    def __reduce__(self):
        return (list, (self.texts(),))


def count_byte(data, byte: int) -> int:
    """``data.count(bytes([byte]))`` of bytes, with numpy (several times faster on megabytes)."""
    import numpy as np
    return int(np.count_nonzero(np.frombuffer(data, np.uint8) == byte))
