"""Affiliation strings to institutions and sectors (methods.md 3.5 and 8.2).

An affiliation string ("Department of Medicine, Keio University, Tokyo,
Japan") is split on commas; legal forms that a comma split off ("Hitachi,
Ltd.") are rejoined; the organisation is the first segment that names an
organisation by a sector rule and is not a sub-unit (departments, schools,
faculties are sub-units when anything else names the institution).  Its
sector comes from the ordered rules of methods.md 3.5.  Names get a stable
key that merges variants ("The University of Tokyo", "Univ Tokyo").
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from .countries import address_country, clean_address

SECTORS = ("academic", "corporate", "medical", "government", "other")
# OpenAlex / ROR institution types -> sector (methods.md 3.5)
TYPE_TO_SECTOR = {
    "education": "academic", "company": "corporate", "healthcare": "medical", "government": "government",
    "nonprofit": "other", "facility": "other", "archive": "other", "funder": "other", "other": "other",
}


def sector_of_type(openalex_type: str | None) -> str | None:
    if not openalex_type:
        return None
    return TYPE_TO_SECTOR.get(openalex_type.strip().lower())


def _rx(*alts: str) -> re.Pattern:
    return re.compile(r"(?<![\w&])(?:" + "|".join(alts) + r")(?![\w&])", re.IGNORECASE)


# Rule 1: company legal forms and markers.  Some only count as the last token.
_LEGAL_ANY = _rx(r"Inc\.?", r"Incorporated", r"Ltd\.?", r"Limited", r"LLC", r"L\.L\.C\.?", r"Corp\.?", r"Corporation",
                 r"Co\.?,?\s+Ltd\.?", r"GmbH", r"Pte\.?", r"K\.K\.?", r"KK", r"Kabushiki\s+Kaisha", r"S\.A\.",
                 r"S\.p\.A\.?", r"S\.r\.l\.?", r"B\.V\.?", r"BV", r"N\.V\.?", r"plc", r"A/S", r"Oy", r"Pty")
_LEGAL_LAST = re.compile(r"(?:^|\s)(?:AG|SE|KGaA|SA|Company|Co\.?|NV|Holdings?)\s*\.?\s*(?:\d+)?$", re.IGNORECASE)
_MARKERS = _rx(r"Pharmaceuticals?", r"Pharmaceut", r"Pharma", r"Biotech", r"R&D\s+Cent(?:er|re)")
# A segment that is only a legal form belongs to the segment before it ("Gilead Sciences, Inc.")
_LEGAL_SEGMENT = re.compile(
    r"^(?:Inc|Incorporated|Ltd|Limited|LLC|L\.L\.C|Corp|Corporation|Co|Company|GmbH|AG|SE|KGaA|Pte|KK|K\.K|S\.A|SA|"
    r"S\.p\.A|S\.r\.l|B\.V|BV|N\.V|NV|plc|A/S|Oy|Pty)\b[\s.]*(?:Ltd\b\.?|Limited|Inc\b\.?)?[\s.]*\d*$", re.IGNORECASE)

_ACADEMIC = _rx(r"Univ\.?", r"University", r"Universit\w*", r"Universidad\w*", r"Universidade", r"Hochschule",
                r"Hogeschool", r"College", r"Institute\s+of\s+Technology", r"School\s+of\s+Medicine",
                r"Medical\s+School", r"Med\s+Sch(?:ool)?", r"Graduate\s+School", r"Faculty", r"Daigaku")
_MEDICAL = _rx(r"Hospitals?", r"Hosp", r"Medical\s+Cent(?:er|re)", r"Med\s+Ctr", r"Clinics?", r"Klinik\w*",
               r"Ziekenhuis", r"Gasthuis", r"Medisch\s+Centrum", r"UMC", r"Health\s+System", r"Cancer\s+Cent(?:er|re)",
               r"Canc(?:er)?\s+Ctr")
_GOVERNMENT = _rx(r"Ministry", r"Minist", r"Agency", r"National\s+Institutes?\s+of", r"Natl\s+Inst", r"Centers\s+for\s+Disease\s+Control",
                  r"Government", r"Council")
_OTHER = _rx(r"Foundation", r"Fdn", r"Trust", r"Society", r"Association", r"Museum", r"Observatory")

# The same kinds of organisation named in the languages of the addresses (SciELO, national databases):
# they type an organisation that the rules above leave untyped, and never choose it (an Italian "Clinica
# Medica" is a unit of the university named after it)
_LOCAL_SECTORS = (
    ("academic", _rx(r"Facultad", r"Faculdade", r"Facult[ée]", r"Facolt[àa]")),
    ("medical", _rx(r"Cl[íi]nicas?", r"H[ôo]pital\w*", r"Ospedal[ei]", r"Krankenhaus", r"Sanatorio",
                    r"Policl[íi]nic[ao]", r"Centre\s+Hospitalier", r"Centro\s+M[ée]dico")),
    ("government", _rx(r"Minist[eé]rio", r"Minist[eè]re", r"Ministero", r"Ministerium", r"Instituto\s+Nacional\s+de",
                       r"Institut\s+National\s+de", r"Istituto\s+Nazionale", r"Consejo", r"Conselho", r"Conseil",
                       r"Consiglio")),
    ("other", _rx(r"Fundaci[óo]n", r"Funda[çc][ãa]o", r"Fondation", r"Fondazione", r"Stiftung", r"Asociaci[óo]n",
                  r"Associa[çc][ãa]o", r"Museo", r"Museu", r"Mus[ée]e", r"Observatorio", r"Observat[óo]rio")),
)


def classify_local(segment: str) -> str | None:
    """Sector of an organisation that :func:`classify` leaves untyped, from the names of its kind in other
    languages ("Clínica Delgado": medical; "Ministerio de Salud": government), or None."""
    for sector, rx in _LOCAL_SECTORS:
        if rx.search(segment):
            return sector
    return None


# Sub-units: never the institution when another segment names one.
_SUBUNIT = re.compile(
    r"^(?:Dept|Department|Depts|Div|Division|Lab|Labs|Laboratory|Laboratories|Sch\b|School\s+of|Graduate\s+School|"
    r"Grad\s+Sch|Faculty|Fac\b|College\s+of|Coll\b|Center\s+for|Centre\s+for|Ctr\s+for|Unit|Section|Sect\b|Program|"
    r"Programme|Service|Servicio|Institute\s+for\s+Medical|Inst\s+Med|Chair|Group|Team|Clinic\s+of|"
    r"Research\s+Group|Key\s+Lab|State\s+Key)\b", re.IGNORECASE)


def classify(segment: str) -> str | None:
    """Sector of one organisation segment by the ordered rules of methods.md 3.5, or None.

    >>> classify("Daiichi Sankyo Company, Limited"), classify("Keio University"), classify("Univ Tokyo Hosp")
    ('corporate', 'academic', 'academic')
    >>> classify("Erasmus MC"), classify("Leiden Univ Med Ctr"), classify("AstraZeneca")
    (None, 'academic', None)
    """
    s = segment.strip()
    if _LEGAL_ANY.search(s) or _LEGAL_LAST.search(s):
        return "corporate"
    if _ACADEMIC.search(s):
        return "academic"
    if _MARKERS.search(s):
        return "corporate"
    if _MEDICAL.search(s):
        return "medical"
    if _GOVERNMENT.search(s):
        return "government"
    if _OTHER.search(s):
        return "other"
    return None


def split_segments(addr: str) -> list[str]:
    """Comma segments of an address with split-off legal forms rejoined.

    >>> split_segments("Daiichi Sankyo Company, Limited, Tokyo, Japan")
    ['Daiichi Sankyo Company, Limited', 'Tokyo', 'Japan']
    """
    out: list[str] = []
    for part in addr.split(","):
        p = part.strip()
        if not p:
            continue
        if out and _LEGAL_SEGMENT.match(p):
            out[-1] = out[-1] + ", " + p
        else:
            out.append(p)
    return out


@dataclass(frozen=True)
class ParsedAffiliation:
    organisation: str | None
    sector: str            # one of SECTORS
    sector_source: str     # "rule" or "unresolved"
    country: str | None
    country_source: str    # "string", "string:ambiguous", "us-zip", "unresolved"


_HAS_DIGIT = re.compile(r"\d")


@functools.lru_cache(maxsize=500_000)
def parse_affiliation(raw: str) -> ParsedAffiliation:
    """Organisation, sector and country of a raw affiliation string.

    >>> p = parse_affiliation("Graduate School of Medicine, Keio University, Tokyo, Japan")
    >>> p.organisation, p.sector, p.country
    ('Keio University', 'academic', 'JP')
    >>> parse_affiliation("Hitachi, Ltd., Tokyo, Japan").organisation
    'Hitachi, Ltd.'
    """
    country, how = address_country(raw)
    segs = split_segments(clean_address(raw))
    if not segs:
        return ParsedAffiliation(None, "other", "unresolved", country, how)
    body = segs[:-1] if len(segs) > 1 else segs
    # the element just before the country is usually the city (or a postcode)
    located = body[:-1] if len(segs) >= 3 else body
    org, sector = None, None
    for seg in located:
        if _SUBUNIT.match(seg):
            continue
        sec = classify(seg)
        if sec:
            org, sector = seg, sec
            break
    if org is None:
        plain = [s for s in located if not _SUBUNIT.match(s) and not _HAS_DIGIT.search(s)]
        if plain:
            org = plain[0]
        else:
            subs = [s for s in located if _SUBUNIT.match(s)]
            for seg in subs:  # a sub-unit that is all there is ("Graduate School of Medicine, Tokyo, Japan")
                sec = classify(seg)
                if sec:
                    org, sector = seg, sec
                    break
            if org is None:
                org = located[0] if located else body[0]
    if sector is None and org:
        sector = classify_local(org)
    if sector is None:
        return ParsedAffiliation(org, "other", "unresolved", country, how)
    return ParsedAffiliation(org, sector, "rule", country, how)


# ---------------------------------------------------------------- name keys
_ABBREV = {
    "univ": "university", "universiteit": "university", "universitat": "university", "universitaet": "university",
    "universite": "university", "universidad": "university", "universita": "university", "universidade": "university",
    "uniwersytet": "university", "hosp": "hospital", "inst": "institute", "natl": "national", "med": "medical",
    "ctr": "center", "centre": "center", "coll": "college", "sch": "school", "res": "research",
    "technol": "technology", "sci": "science", "int": "international", "fdn": "foundation",
    "pharmaceut": "pharmaceutical", "corp": "corporation", "co": "company", "ltd": "limited", "dept": "department",
    "lab": "laboratory", "labs": "laboratories", "acad": "academy", "clin": "clinical", "hlth": "health",
    "canc": "cancer", "grad": "graduate", "fac": "faculty", "ist": "istituto", "ks": "",
}
_DROP = {"the", "of", "and", "for", "de", "der", "la", "le", "at", "in"}
_NONALNUM = re.compile(r"[^0-9a-z]+")


@functools.lru_cache(maxsize=500_000)
def name_key(name: str) -> str:
    """Normalised institution name: accents, case, WoS abbreviations, "the"/"of" removed.

    >>> name_key("The University of Tokyo") == name_key("Univ Tokyo") == name_key("University of Tokyo")
    True
    >>> name_key("Vrije Universiteit Amsterdam") == name_key("Vrije Univ Amsterdam")
    True
    """
    s = unicodedata.normalize("NFKD", name)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).casefold().replace("&", " and ")
    toks = [t for t in _NONALNUM.split(s) if t]
    out = []
    for t in toks:
        t = _ABBREV.get(t, t)
        if t and t not in _DROP:
            out.append(t)
    return " ".join(out)


_ABBREV_TOKEN = re.compile(r"\b(?:Univ|Hosp|Inst|Natl|Med|Ctr|Coll|Sch|Res|Technol|Sci|Int|Fdn|Pharmaceut)\b")


def display_preference(name: str) -> tuple:
    """Sort key to choose one display name among variants: unabbreviated, no leading "The"."""
    return (bool(_ABBREV_TOKEN.search(name)), name.lower().startswith("the "), name.isupper())
