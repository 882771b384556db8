"""OpenAlex works (methods.md 9.3): API pages, JSON arrays, single works, JSON Lines; gzip handled upstream."""
from __future__ import annotations

from itertools import repeat
from sys import intern
from typing import Any, Optional

import msgspec
import orjson

from ..errors import InputError
from .chunks import OpenAlexIds
from .common import AuthorRows, FileReport, canonical_doc_type, find_doi, new_record, norm_doi, parse_year

PREFIX = "https://openalex.org/"
PREFIX_LEN = len(PREFIX)


# A JSON line is decoded by msgspec straight into these structs: the fields the reader uses (the rest of
# the work skipped unread), authorships typed (attribute access, no dict lookups), everything else as
# the Python values json gives.  A line whose authorships hold something else (a number where a string
# belongs, a null in a list) is parsed by orjson and its dicts made the same structs as they are
# (``_lenient``): both give the same records.
class _Person(msgspec.Struct, gc=False):
    id: Optional[str] = None
    display_name: Optional[str] = None
    orcid: Optional[str] = None


class _Institution(msgspec.Struct, frozen=True, gc=False):   # (hashable: the key of its converted fields)
    id: Optional[str] = None
    ror: Optional[str] = None
    display_name: Optional[str] = None
    type: Optional[str] = None
    country_code: Optional[str] = None


class _Affiliation(msgspec.Struct, gc=False):
    raw_affiliation_string: Optional[str] = None
    institution_ids: Optional[list[str]] = None


class _Authorship(msgspec.Struct, gc=False):
    author: Optional[_Person] = None
    institutions: Optional[list[_Institution]] = None
    countries: Optional[list[str]] = None
    is_corresponding: Optional[bool] = None
    raw_author_name: Optional[str] = None
    raw_affiliation_strings: Optional[list[str]] = None
    affiliations: Optional[list[_Affiliation]] = None


_WORK_FIELDS = ("id", "doi", "ids", "title", "display_name", "publication_year", "type", "primary_location",
                "biblio", "language", "is_retracted", "is_paratext", "cited_by_count", "fwci",
                "citation_normalized_percentile", "counts_by_year", "keywords", "mesh", "primary_topic",
                "countries_distinct_count", "institutions_distinct_count", "referenced_works")
_Work = msgspec.defstruct("_Work", [(f, Any, None) for f in _WORK_FIELDS] +
                          [("authorships", Optional[list[_Authorship]], None)], gc=False)
_DECODE = msgspec.json.Decoder(_Work).decode
_NO_PERSON = _Person()


def _obj(x) -> dict:
    return x if isinstance(x, dict) else {}


def _lenient(w: dict):
    """A work dict as the structs msgspec decodes, its values as they are (what a line that the typed
    decoding refuses becomes)."""
    def person(p):
        p = _obj(p)
        return _Person(id=p.get("id"), display_name=p.get("display_name"), orcid=p.get("orcid"))

    def inst(i):
        i = _obj(i)
        return _Institution(id=i.get("id"), ror=i.get("ror"), display_name=i.get("display_name"),
                            type=i.get("type"), country_code=i.get("country_code"))

    def authorship(a):
        a = _obj(a)
        insts, affs = a.get("institutions"), a.get("affiliations")
        return _Authorship(author=person(a["author"]) if a.get("author") else None,
                           institutions=[inst(i) for i in insts] if insts else None,
                           countries=a.get("countries"), is_corresponding=a.get("is_corresponding"),
                           raw_author_name=a.get("raw_author_name"),
                           raw_affiliation_strings=a.get("raw_affiliation_strings"),
                           affiliations=[_Affiliation(raw_affiliation_string=_obj(f).get("raw_affiliation_string"),
                                                      institution_ids=_obj(f).get("institution_ids"))
                                         for f in affs] if affs else None)

    aus = w.get("authorships")
    return _Work(**{f: w.get(f) for f in _WORK_FIELDS}, authorships=[authorship(a) for a in aus] if aus else None)


def _id(value) -> str | None:
    """Short OpenAlex id (W123, I45, A67), interned: the same institution or author in a million
    authorships is one string in memory, not a million."""
    if not value:
        return None
    return intern(value.removeprefix(PREFIX) if isinstance(value, str) else str(value))


def _ror(value) -> str | None:
    if not value:
        return None
    return intern(str(value).rstrip("/").rsplit("/", 1)[-1])


def _text(value) -> str | None:
    """An often repeated short string (institution name, type, country code), interned; a value of another
    kind where text belongs (a number, a list) is taken as its text."""
    if isinstance(value, str):
        return intern(value) if value else None
    return str(value) if value else None


def looks_like_openalex(text: str) -> bool:
    head = text[:20000]
    return ("openalex.org/W" in head or '"authorships"' in head) and head.lstrip()[:1] in "{["


def iter_works(path: str, text: str, report: FileReport):
    """(record number, line, work dict) for every work in the text."""
    stripped = text.lstrip()
    first_line_end = stripped.find("\n")
    jsonl = False
    if stripped.startswith("{") and first_line_end > 0:
        rest = stripped[first_line_end:].lstrip()
        jsonl = rest.startswith("{")
    if not jsonl:
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InputError(path, f"is not valid JSON ({exc})",
                             hint="A truncated download? Fetch the page again") from None
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            works = data["results"]
        elif isinstance(data, dict) and "id" in data:
            works = [data]
        elif isinstance(data, list):
            works = data
        else:
            raise InputError(path, "JSON that holds no OpenAlex works (expected {\"results\": [...]}, a list "
                             "of works or one work)")
        for i, w in enumerate(works, 1):
            yield i, None, w
        return
    yield from _jsonl_works(enumerate(text.splitlines(), 1), report)


def _jsonl_works(numbered_lines, report: FileReport, recno: int = 0):
    """(record number, line number, work) of numbered JSON lines; blank lines skipped, bad ones counted;
    records numbered from recno + 1."""
    for lineno, line in numbered_lines:
        if not line.strip():
            continue
        recno += 1
        try:
            w = _DECODE(line)
        except msgspec.MsgspecError:
            w = None
        try:
            if w is None:   # (not JSON, not an object, or authorships of other kinds: parsed as it is)
                w = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            report.records += 1
            report.skip(f"malformed JSON line ({str(exc).split(':')[0]})", f"line {lineno}")
            continue
        yield recno, lineno, w


def is_jsonl_head(head: bytes) -> bool:
    """True when the head of a file is JSON Lines (a JSON object on each of the first two lines)."""
    lines = [ln.strip() for ln in head.lstrip(b"\xef\xbb\xbf").split(b"\n")[:3] if ln.strip()]
    return len(lines) >= 2 and lines[0][:1] == b"{" and lines[1][:1] == b"{"


def iter_jsonl_stream(path: str, report: FileReport):
    """(record number, line, work) streamed from a JSON Lines file (.gz or plain), one line at a time."""
    from .textio import iter_lines
    yield from _jsonl_works(iter_lines(path), report)


def blocks(path, size: int, keep=None):
    """(block number, first record number - 1, [(line number, bytes)]) of a JSON Lines file in blocks of
    ``size`` non-blank lines; ``keep(block number)`` False: the block is counted but its lines are not
    collected (its lines list is empty)."""
    from .textio import iter_lines
    b, recno0, n, block = 0, 0, 0, []
    wanted = keep is None or keep(0)
    for lineno, line in iter_lines(path):
        if not line.strip():
            continue
        if wanted:
            block.append((lineno, line))
        n += 1
        if n - recno0 >= size:
            if wanted:
                yield b, recno0, block
            b, recno0, block = b + 1, n, []
            wanted = keep is None or keep(b)
    if n > recno0 and wanted:
        yield b, recno0, block


def parse_lines(path: str, lines, recno0: int, report: FileReport) -> list[dict]:
    """Records of a block of JSON Lines [(line number, bytes)], numbered from recno0 + 1 (the Dask engine's unit)."""
    return list(_records(path, _jsonl_works(lines, report, recno0), report))


def parse(path: str, text: str | None, report: FileReport):
    """Records of an OpenAlex file; ``text`` None streams a JSON Lines file from disk."""
    works = iter_jsonl_stream(path, report) if text is None else iter_works(path, text, report)
    return _records(path, works, report)


def _records(path: str, works, report: FileReport):
    """Converted records of (record number, line number, work) triples; non-works skipped and counted."""
    report.format = "openalex"
    cache: dict = {}
    for recno, lineno, w in works:
        where = f"line {lineno}" if lineno else f"record {recno}"
        report.records += 1
        if type(w) is not _Work:
            w = _lenient(w) if isinstance(w, dict) else None
        if w is None or not (w.id or w.doi or w.title):
            report.skip("not an OpenAlex work (no id, doi or title)", where)
            continue
        rec = convert(w, path, recno, lineno, report, where, cache)
        yield rec


_NONE = frozenset()


def convert(w, path: str, recno: int, lineno, report: FileReport, where: str, cache: dict | None = None) -> dict:
    """The record of one work (a ``_Work``: decoded by msgspec, or a dict made one by ``_lenient``);
    ``cache``: the institutions' converted fields and short ids, kept across the works of a block (each
    institution appears on many authorships)."""
    if type(w) is not _Work:
        w = _lenient(w)
    rec = new_record("openalex", path, recno, lineno)
    rec["openalex_id"] = _id(w.id)
    rec["doi"] = norm_doi(w.doi)
    ids = w.ids or {}
    pm = ids.get("pmid")
    rec["pmid"] = str(pm).rstrip("/").rsplit("/", 1)[-1] if pm else None
    rec["title"] = w.title or w.display_name
    rec["year"] = parse_year(w.publication_year, report, where)
    typ = w.type or ""
    loc = w.primary_location or {}
    src = loc.get("source") or {}
    if typ == "article" and (src.get("type") == "conference"):
        rec["doc_type"] = "conference_paper"
    else:
        rec["doc_type"] = canonical_doc_type(typ.replace("-", " "))
    rec["doc_type_raw"] = typ or None
    rec["source_title"] = src.get("display_name")
    biblio = w.biblio or {}
    rec["volume"] = biblio.get("volume")
    rec["issue"] = biblio.get("issue")
    rec["first_page"] = biblio.get("first_page")
    rec["language"] = w.language
    rec["is_retracted"] = bool(w.is_retracted)
    rec["is_paratext"] = bool(w.is_paratext) or typ == "paratext"
    rec["cited_by"] = w.cited_by_count
    rec["fwci"] = w.fwci
    cnp = w.citation_normalized_percentile or {}
    if isinstance(cnp, dict) and cnp:
        rec["top10"] = cnp.get("is_in_top_10_percent")
        rec["percentile"] = cnp.get("value")
    cby = w.counts_by_year
    if cby:
        rec["counts_by_year"] = {int(x["year"]): int(x.get("cited_by_count") or 0) for x in cby if x.get("year")}
    rec["keywords"] = [k.get("display_name") if isinstance(k, dict) else str(k) for k in (w.keywords or [])]
    rec["keywords"] = [k for k in rec["keywords"] if k]
    rec["index_keywords"] = [m.get("descriptor_name") for m in (w.mesh or []) if m.get("descriptor_name")]
    pt = w.primary_topic or {}
    rec["primary_topic"] = pt.get("display_name")
    sub = (pt.get("subfield") or {}).get("display_name")
    fld = (pt.get("field") or {}).get("display_name")
    rec["fields"] = [sub or fld] if (sub or fld) else []
    rec["countries_declared"] = w.countries_distinct_count
    rec["institutions_declared"] = w.institutions_distinct_count

    found_countries = set()
    # each author as a compact row (AuthorRows: chunk_part reads them as they are), each affiliation the
    # six fields its tail is resolved from; an institution's fields (keyed by its struct: its five
    # values) and its id's short form (keyed by the id string) are converted once per block
    rows = []
    seen = cache if cache is not None else {}
    for au in w.authorships or ():
        person = au.author or _NO_PERSON
        full = person.display_name
        raws = au.raw_affiliation_strings or ()
        affs = []
        covered = _NONE
        insts = au.institutions
        if insts:
            raw_of = {}
            for af in au.affiliations or ():
                for iid in af.institution_ids or ():
                    short = seen.get(iid) if type(iid) is str else None   # (an id's short form)
                    if short is None:
                        short = _id(iid)
                        if type(iid) is str and short is not None:
                            seen[iid] = short
                    raw_of.setdefault(short, af.raw_affiliation_string)
            one = raws[0] if len(raws) == 1 else None
            covered = set()
            for inst in insts:
                try:
                    fields = seen.get(inst)
                except TypeError:   # (a list or dict where a string belongs: converted, not kept)
                    fields = None
                    seen_it = False
                else:
                    seen_it = True
                if fields is None:
                    fields = (_id(inst.id), _ror(inst.ror), _text(inst.display_name), _text(inst.type),
                              _text(inst.country_code))
                    if seen_it:
                        seen[inst] = fields
                affs.append((raw_of.get(fields[0]) or one,) + fields)
                if inst.country_code:
                    covered.add(inst.country_code)
        if not affs:
            # no institution: keep the raw strings, parsed later like any other export
            affs = [(r, None, None, None, None, None) for r in raws if r]
        for cc in au.countries or ():
            if cc and cc not in covered and not any(x[5] == cc for x in affs):
                if len(affs) == 1 and affs[0][1] is None and affs[0][5] is None:
                    affs[0] = affs[0][:5] + (cc,)   # the raw string's country, as OpenAlex parsed it
                else:
                    affs.append((None, None, None, None, None, cc))
            found_countries.add(cc)
        found_countries |= covered
        rows.append((au.raw_author_name or full, full, _id(person.id), person.orcid, bool(au.is_corresponding), affs))
    rec["authors"] = AuthorRows(rows)
    if rec["countries_declared"] and rec["countries_declared"] > len(found_countries):
        report.warn("authorships truncated (countries_distinct_count exceeds the countries listed)", where)
    cited = w.referenced_works or []
    try:   # the usual form: https://openalex.org/W... (str.startswith of anything but a string: TypeError)
        usual = all(map(str.startswith, cited, repeat(PREFIX)))
    except TypeError:
        usual = False
    if usual:
        rec["references"] = OpenAlexIds([r[PREFIX_LEN:] for r in cited])  # (to Arrow as they are: chunk_part)
        return rec
    refs = []
    for r in cited:
        if isinstance(r, str) and r.startswith(PREFIX):
            rid = intern(r[PREFIX_LEN:])
            refs.append((rid, None, rid))
        elif r:
            rid = _id(r)
            refs.append((rid, find_doi(r) if "doi.org" in str(r) else None, rid))
    rec["references"] = refs
    return rec
