"""User thesaurus: variant -> canonical institution, overriding every rule (methods.md 8.2).

CSV (UTF-8) with a header ``variant,canonical[,ror,type,country]``; ``type``
is a sector (academic, corporate, medical, government, other) or an
OpenAlex/ROR type (education, company, ...); ``canonical`` = ``drop`` removes
the institution.  VOSviewer thesaurus files (tab-separated ``label`` /
``replace by``) are read as well.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ..errors import InputError
from .countries import country_code
from .institutions import SECTORS, name_key, sector_of_type


@dataclass(frozen=True)
class Entry:
    canonical: str | None      # None = drop
    ror: str | None
    sector: str | None
    country: str | None


class Thesaurus:
    def __init__(self, entries: dict[str, Entry] | None = None, path: str | None = None):
        self.entries = entries or {}
        self.path = path
        self.hits = 0

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def active(self) -> bool:
        """False for an empty thesaurus: lookups can be skipped."""
        return bool(self.entries)

    def lookup(self, *names: str | None) -> Entry | None:
        for n in names:
            if n:
                e = self.entries.get(name_key(n))
                if e is not None:
                    return e
        return None

    @classmethod
    def load(cls, path: str) -> "Thesaurus":
        try:
            with open(path, encoding="utf-8-sig") as f:
                text = f.read()
        except OSError as exc:
            raise InputError(path, f"cannot read the thesaurus ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise InputError(path, "the thesaurus is not UTF-8", hint="Save it as UTF-8 CSV") from None
        first = text.split("\n", 1)[0]
        delim = "\t" if "\t" in first else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delim))
        if not rows:
            raise InputError(path, "the thesaurus is empty")
        head = [h.strip().lower() for h in rows[0]]
        if head[:2] == ["label", "replace by"]:
            head = ["variant", "canonical"] + head[2:]
        if "variant" not in head or "canonical" not in head:
            raise InputError(path, "the thesaurus needs the columns variant,canonical (optional ror,type,country)",
                             where="line 1", hint="Or a VOSviewer thesaurus with label<TAB>replace by")
        col = {h: i for i, h in enumerate(head)}
        entries = {}
        for lineno, row in enumerate(rows[1:], 2):
            if not row or not any(c.strip() for c in row):
                continue

            def g(name):
                i = col.get(name)
                return row[i].strip() if i is not None and i < len(row) else ""

            variant, canonical = g("variant"), g("canonical")
            if not variant:
                raise InputError(path, "empty variant", where=f"line {lineno}")
            typ = g("type").lower()
            sector = typ if typ in SECTORS else sector_of_type(typ)
            if typ and sector is None:
                raise InputError(path, f"unknown type {typ!r}", where=f"line {lineno}",
                                 hint="Use one of " + ", ".join(SECTORS) + " or an OpenAlex type (education, company, ...)")
            cc = g("country")
            code = country_code(cc) if cc else None
            if cc and code is None:
                raise InputError(path, f"unknown country {cc!r}", where=f"line {lineno}")
            drop = canonical.lower() == "drop"
            entries[name_key(variant)] = Entry(None if drop else (canonical or variant), g("ror") or None, sector, code)
        return cls(entries, path)
