"""Country names and address strings to ISO 3166-1 alpha-2 codes (methods.md 8.1).

The country is read from the *last* element of an address, never from a
substring anywhere in it: "Beth Israel Deaconess Medical Center, Boston, MA,
USA" is US, not IL.  Bibliometric variants that the country library misses
(Web of Science's "Peoples R China", "U Arab Emirates", the UK home nations,
US state + zip codes, Hong Kong written inside a Chinese address) are mapped
first; everything else goes through ``country_converter``.
"""
from __future__ import annotations

import functools
import logging
import re
import unicodedata

# methods.md 8.1 step 3: applied before the library.  Keys are casefolded,
# with dots and surplus spaces removed.
PRE_MAP = {
    "england": "GB", "scotland": "GB", "wales": "GB", "north ireland": "GB", "northern ireland": "GB",
    "uk": "GB", "u k": "GB", "great britain": "GB", "united kingdom": "GB",
    "peoples r china": "CN", "p r china": "CN", "pr china": "CN", "peoples republic of china": "CN",
    "u arab emirates": "AE", "usa": "US", "u s a": "US", "united states of america": "US", "united states": "US",
    "south korea": "KR", "republic of korea": "KR", "korea (south)": "KR", "korea south": "KR", "korea": "KR",
    "s korea": "KR", "north korea": "KP", "dpr korea": "KP", "viet nam": "VN", "vietnam": "VN",
    "turkiye": "TR", "türkiye": "TR", "turkey": "TR", "czechia": "CZ", "czech republic": "CZ",
    "russia": "RU", "russian federation": "RU", "iran": "IR", "taiwan": "TW", "hong kong": "HK",
    "macau": "MO", "macao": "MO", "dem rep congo": "CD", "rep congo": "CG", "kosovo": "XK",
    # Web of Science abbreviations that the library misses (its older records; "Engl" in Compendex too)
    "mongol peo rep": "MN", "cent afr republ": "CF", "byelarus": "BY", "fr polynesia": "PF", "engl": "GB",
    "ascension isl": "SH", "ascension islan": "SH", "ascension island": "SH",
}
# names in the language of the address (SciELO, Redalyc and national databases write them so) that
# pycountry's translations lack; keys casefolded, without accents
LOCAL_NAMES = {
    "holanda": "NL", "inglaterra": "GB", "escocia": "GB", "gales": "GB", "irlanda del norte": "GB",
    "irlanda do norte": "GB", "rusia": "RU", "russie": "RU", "eeuu": "US", "ee uu": "US", "eua": "US",
    # and some countries' own names
    "sverige": "SE", "norge": "NO", "danmark": "DK", "polska": "PL", "suomi": "FI", "eesti": "EE",
    "latvija": "LV", "lietuva": "LT", "hrvatska": "HR", "slovenija": "SI", "slovensko": "SK", "cesko": "CZ",
    "ceska republika": "CZ", "magyarorszag": "HU",
}
LOCAL_LANGUAGES = ("es", "pt", "pt_BR", "fr", "it", "de", "nl")   # pycountry's translations read
# flagged mappings: conventional but ambiguous
AMBIGUOUS = {"korea"}
HISTORIC = {"ussr", "yugoslavia", "czechoslovakia", "east germany", "west germany", "fed rep ger", "ger dem rep"}
US_STATES = set(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR".split())
US_STATE_NAMES = {  # the last element of many US addresses in MEDLINE ("Bethesda, Maryland"); not Georgia
    "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware", "florida",
    "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky", "louisiana", "maine", "maryland",
    "massachusetts", "michigan", "minnesota", "mississippi", "missouri", "montana", "nebraska", "nevada",
    "new hampshire", "new jersey", "new mexico", "new york", "north carolina", "north dakota", "ohio",
    "oklahoma", "oregon", "pennsylvania", "rhode island", "south carolina", "south dakota", "tennessee", "texas",
    "utah", "vermont", "virginia", "washington", "west virginia", "wisconsin", "wyoming", "district of columbia",
}
CA_PROVINCES = set("AB BC MB NB NL NS NT NU ON PE PEI QC SK YT".split())   # a bare code: Canada (flagged)
CA_PROVINCE_NAMES = {"alberta", "british columbia", "manitoba", "new brunswick", "newfoundland",
                     "newfoundland and labrador", "nova scotia", "ontario", "prince edward island", "quebec",
                     "québec", "saskatchewan"}
# author initials that MEDLINE appends to an address: "Boston, MA (P.S.G., M.J.S.)", "Canada (MMG, MW, HK)"
_INITIALS_TAIL = re.compile(r"\s*\(\s*[A-Z][A-Z.\-]{0,9}(?:\s*,\s*[A-Z][A-Z.\-]{0,9})*\s*\)$")
_US_ZIP = re.compile(r"\b([A-Z]{2})\s+\d{5}(?:-\d{4})?(?:\s+USA)?$")
_US_STATE_USA = re.compile(r"\b([A-Z]{2})\s+USA$")  # WoS without the zip code: "Los Angeles, CA USA"
_EMAIL_TAIL = re.compile(r"(?:;\s*)?(?:electronic address|e-?mail)\s*:.*$", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+")
_DIGITS = re.compile(r"\b[\w-]*\d[\w-]*\b")

logging.getLogger("country_converter").setLevel(logging.ERROR)


@functools.lru_cache(maxsize=1)
def _converter():
    import country_converter as coco
    return coco.CountryConverter()


def _key(name: str) -> str:
    s = unicodedata.normalize("NFKC", name).casefold().replace(".", " ")
    return re.sub(r"\s+", " ", s).strip(" ,;")


@functools.lru_cache(maxsize=None)
def country_code(name: str | None) -> str | None:
    """ISO alpha-2 code of a country *name* (not an address), or None.

    >>> country_code("Peoples R China"), country_code("England"), country_code("Viet Nam")
    ('CN', 'GB', 'VN')
    """
    if not name:
        return None
    k = _key(name)
    if not k:
        return None
    if k in PRE_MAP:
        return PRE_MAP[k]
    if k in HISTORIC:
        return None
    if len(k) == 2 and k.upper() == name.strip().upper() and k.isalpha():
        # already a code (OpenAlex country_code); validate with the library
        return k.upper() if _valid_iso2(k.upper()) else None
    bare = _unaccented(k)
    local = _local_names().get(bare)
    if local is not None:   # a name in another language ("Brasil", "Países Bajos", "République dominicaine")
        return local
    res = _converter().convert(name.strip(), to="ISO2", not_found=None)
    if isinstance(res, list):
        res = res[0] if len(res) == 1 else None
    if isinstance(res, str) and len(res) == 2 and res.isupper():
        return res
    # written with accents that the library does without ("Perú", "México", "Panamá")
    return country_code(bare) if bare != k else None


def _unaccented(name: str) -> str:
    """``name`` without its accents and other combining marks (NFKD, the marks dropped)."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


@functools.lru_cache(maxsize=1)
def _local_names() -> dict:
    """Country names in the languages of LOCAL_LANGUAGES (pycountry's translations of the ISO 3166 names,
    official names and common names; only those that differ from the English) and LOCAL_NAMES, keyed as
    :func:`country_code` keys a name, without accents; a key that two countries share, or of three
    letters or fewer, is left out (the library, or nothing, decides those)."""
    import gettext
    import pycountry
    codes: dict = {}
    for lang in LOCAL_LANGUAGES:
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            continue
        for c in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                english = getattr(c, attr, None)
                if english and tr.gettext(english) != english:
                    codes.setdefault(_unaccented(_key(tr.gettext(english))), set()).add(c.alpha_2)
    out = {k: v.pop() for k, v in codes.items() if len(v) == 1 and len(k) > 3}
    out.update(LOCAL_NAMES)
    return out


@functools.lru_cache(maxsize=None)
def _valid_iso2(code: str) -> bool:
    if code == "XK":
        return True
    res = _converter().convert(code, src="ISO2", to="ISO2", not_found=None)
    return res == code


def clean_address(addr: str) -> str:
    """Strip e-mail tails, trailing dots and spaces from an affiliation string."""
    s = _EMAIL_TAIL.sub("", addr)
    s = _EMAIL.sub("", s)
    return s.strip().rstrip(".;, ").strip()


@functools.lru_cache(maxsize=200_000)
def address_country(addr: str | None) -> tuple[str | None, str]:
    """Country of an affiliation address, read from its last element.

    Returns ``(code, how)``; ``how`` is "string", "string:ambiguous" (bare
    "Korea"), "us-zip" or "unresolved" (code None).

    >>> address_country("Beth Israel Deaconess Medical Center, Boston, MA, USA")
    ('US', 'string')
    >>> address_country("Harvard Med Sch, Boston, MA 02115 USA.")
    ('US', 'us-zip')
    >>> address_country("Univ Calif Los Angeles, Los Angeles, CA USA")
    ('US', 'string')
    >>> address_country("Univ Hong Kong, Pokfulam, Hong Kong, Peoples R China.")
    ('HK', 'string')
    """
    if not addr:
        return None, "unresolved"
    s = clean_address(addr)
    m = _INITIALS_TAIL.search(s)
    if m and country_code(s[m.start():].strip(" ()")) is None:   # ("(USA)" is no one's initials)
        s = clean_address(s[:m.start()])
    if not s:
        return None, "unresolved"
    segs = [p.strip() for p in s.split(",") if p.strip()]
    if not segs:
        return None, "unresolved"
    last = segs[-1]
    m = _US_ZIP.search(last)
    if m and m.group(1) in US_STATES and (last.endswith("USA") or len(segs) >= 2):
        return "US", "us-zip"
    m = _US_STATE_USA.search(last)
    if m and m.group(1) in US_STATES:
        return "US", "string"
    if len(last) == 2 and last.isupper() and last.isalpha() and _key(last) not in PRE_MAP:
        # a bare two-letter element is a US state (or a Canadian province) far more often than an ISO code
        # ("Stanford, CA", "Toronto, ON")
        if last in US_STATES:
            return "US", "string:ambiguous"
        return ("CA", "string:ambiguous") if last in CA_PROVINCES else (None, "unresolved")
    if last in CA_PROVINCES:   # (PEI: three letters)
        return "CA", "string:ambiguous"
    k = _key(last)
    if k in US_STATE_NAMES:
        return "US", "string"
    if k in CA_PROVINCE_NAMES:
        return "CA", "string"
    code = country_code(last)
    if code is None:
        # postal codes written beside the country: "Japan 113-8655", "1066 CX Amsterdam Netherlands"
        stripped = _DIGITS.sub(" ", last).strip()
        if stripped and stripped != last:
            code = country_code(stripped)
            if code is None and len(stripped.split()) > 1:
                code = country_code(stripped.split()[-1])
    if code is None:
        return None, "unresolved"
    if code == "CN":  # methods.md 8.1 step 2b: Hong Kong / Macao inside a Chinese address
        for seg in segs[:-1]:
            sk = _key(seg)
            if sk == "hong kong" or sk.startswith("hong kong "):
                return "HK", "string"
            if sk in ("macau", "macao"):
                return "MO", "string"
    how = "string:ambiguous" if k in AMBIGUOUS else "string"
    return code, how


def country_token(addr: str) -> str:
    """The element of an address that names its country (for reports of unresolved ones)."""
    s = clean_address(addr)
    return s.rsplit(",", 1)[-1].strip() if s else ""
