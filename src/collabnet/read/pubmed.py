"""PubMed MEDLINE text (.nbib / .txt; methods.md 9.4)."""
from __future__ import annotations

import re

from .common import FileReport, canonical_doc_type, new_aff, new_author, new_record, norm_doi, parse_year

_LINE = re.compile(r"^([A-Z][A-Z0-9 ]{1,3})- ?(.*)$")
_PT_TYPES = {"journal article": "article", "review": "review", "systematic review": "review",
             "letter": "letter", "editorial": "editorial", "comment": "letter", "published erratum": "erratum",
             "preprint": "preprint"}


def looks_like_medline(text: str) -> bool:
    head = text[:3000].lstrip("\ufeff").lstrip()
    return head.startswith("PMID-") or bool(re.match(r"^PMID\s*- ", head))


def _records(text: str):
    """(line, [(tag, value)]) per record; continuation lines joined with a space."""
    items: list[list] = []
    start = None
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if line.startswith("      ") and items:
            items[-1][1] += " " + line.strip()
            continue
        m = _LINE.match(line)
        if not m:
            continue
        tag, val = m.group(1).strip(), m.group(2).strip()
        if tag == "PMID" and items:
            yield start, items
            items = []
        if not items:
            start = lineno
        items.append([tag, val])
    if items:
        yield start, items


def parse(path: str, text: str, report: FileReport):
    report.format = "pubmed"
    recno = 0
    for line, items in _records(text):
        recno += 1
        report.records += 1
        where = f"line {line}"
        rec = new_record("pubmed", path, recno, line)
        authors: list[dict] = []
        pts: list[str] = []
        current = None
        for tag, val in items:
            if tag == "PMID":
                rec["pmid"] = val
            elif tag == "TI":
                rec["title"] = val
            elif tag == "DP" and rec["year"] is None:
                rec["year"] = parse_year(val, report, where)
            elif tag == "DEP" and rec["year"] is None:
                rec["year"] = parse_year(val, report, where)
            elif tag == "FAU":
                current = new_author(None, val)
                authors.append(current)
            elif tag == "AU":
                if current is not None and current["name"] is None:
                    current["name"] = val
                else:
                    current = new_author(val)
                    authors.append(current)
            elif tag == "AD":
                if current is None:
                    rec["unlinked"].append(new_aff(val))
                else:
                    current["affs"].append(new_aff(val))
            elif tag == "AUID" and current is not None and "orcid" in val.lower():
                current["orcid"] = val.split(":", 1)[-1].strip()
            elif tag == "PT":
                pts.append(val)
            elif tag in ("MH",):
                rec["index_keywords"].append(val.lstrip("*").split("/")[0].strip())
            elif tag == "OT":
                rec["keywords"].append(val)
            elif tag in ("LID", "AID") and val.endswith("[doi]") and rec["doi"] is None:
                rec["doi"] = norm_doi(val[: -len("[doi]")])
            elif tag == "JT":
                rec["source_title"] = val
            elif tag == "TA" and not rec["source_title"]:
                rec["source_title"] = val
            elif tag == "VI":
                rec["volume"] = val
            elif tag == "IP":
                rec["issue"] = val
            elif tag == "PG":
                rec["first_page"] = val.split("-")[0]
            elif tag == "LA":
                rec["language"] = val
        with_ad = [a for a in authors if a["affs"]]
        if len(authors) > 1 and len(with_ad) == 1 and with_ad[0] is authors[0]:
            # older records carry one AD for the first author only: treat it as the paper's, unlinked
            rec["unlinked"].extend(authors[0]["affs"])
            authors[0]["affs"] = []
        for a in authors:
            if a["name"] is None:
                a["name"] = a["full_name"]
        rec["authors"] = authors
        types = [p.lower() for p in pts]
        rec["doc_type_raw"] = "; ".join(pts) or None
        mapped = [_PT_TYPES[t] for t in types if t in _PT_TYPES]
        rec["doc_type"] = ("review" if "review" in mapped else mapped[0]) if mapped else canonical_doc_type(pts[0] if pts else None)
        rec["is_retracted"] = "retracted publication" in types
        if not rec["title"] and not rec["pmid"]:
            report.skip("record without PMID or title", where)
            continue
        yield rec
