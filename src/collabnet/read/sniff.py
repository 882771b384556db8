"""Which format is this file?  Decided from its content, not only its name."""
from __future__ import annotations

import csv
import io
import re

from ..errors import UnsupportedFormat
from . import openalex, pubmed, scopus, wos
from .textio import SUPPORTED_FORMATS


def _first_line(text: str) -> str:
    end = text.find("\n")
    return text[: end if end >= 0 else len(text)]


def sniff(path: str, text: str) -> str:
    """One of "scopus", "wos", "wos-tab", "wos-csv", "openalex", "pubmed"; else UnsupportedFormat."""
    head = text[:5000].lstrip("\ufeff")
    stripped = head.lstrip()
    if wos.looks_like_plain(stripped):
        return "wos"
    if pubmed.looks_like_medline(stripped):
        return "pubmed"
    if stripped[:1] in "{[":
        if openalex.looks_like_openalex(text):
            return "openalex"
        what = "Crossref JSON" if '"is-referenced-by-count"' in text[:50000] or '"container-title"' in text[:50000] else "JSON"
        raise _unsupported(path, what)
    if stripped.startswith("<?xml") or stripped.startswith("<"):
        what = "PubMed XML" if "PubmedArticle" in head else "XML"
        raise _unsupported(path, what, "save the PubMed search in 'PubMed' (MEDLINE) format instead" if "Pubmed" in head else None)
    if re.match(r"^TY {2}- ", stripped):
        raise _unsupported(path, "RIS")
    if re.search(r"^@\w+\s*\{", head, re.MULTILINE):
        raise _unsupported(path, "BibTeX")
    first = _first_line(stripped)
    if wos.looks_like_tabbed(first):
        return "wos-tab"
    try:
        header = next(csv.reader(io.StringIO(first)))
    except (csv.Error, StopIteration):
        header = []
    if header:
        low = {h.strip().lower() for h in header}
        if "lens id" in low:
            raise _unsupported(path, "Lens.org CSV")
        if "author_affiliations" in low or "times_cited" in low:
            raise _unsupported(path, "Dimensions CSV")
        if any(h.startswith("authorships.") for h in low):
            raise _unsupported(path, "flattened OpenAlex CSV", "export OpenAlex works as JSON or JSON Lines")
        if "document title" in low and "author affiliations" in low:
            raise _unsupported(path, "IEEE Xplore CSV")
        if {"cites", "authors", "title"} <= low and "gsrank" in low:
            raise _unsupported(path, "Publish or Perish CSV")
        if scopus.looks_like_scopus(header):
            return "scopus"
        if wos.looks_like_long_csv(header):
            return "wos-csv"
        if len(header) > 1:
            raise _unsupported(path, "CSV with unknown columns (" + ", ".join(h.strip() for h in header[:4]) + ", ...)")
    if "Author information:" in text[:20000]:
        raise _unsupported(path, "PubMed 'Abstract' text", "save the PubMed search in 'PubMed' (MEDLINE) format instead")
    raise _unsupported(path, "an unknown format")


def _unsupported(path: str, what: str, hint: str | None = None) -> UnsupportedFormat:
    return UnsupportedFormat(path, f"unsupported format: this looks like {what}",
                             hint=(hint + ". " if hint else "") + f"collabnet reads {SUPPORTED_FORMATS}")
