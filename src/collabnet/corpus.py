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
from dataclasses import dataclass, field

import pandas as pd

from .errors import InputError

TABLES = ("works", "authorships", "references")
CITATION_SOURCES = ("openalex", "scopus", "wos")  # priority when several sources count citations


@dataclass
class Corpus:
    works: pd.DataFrame
    authorships: pd.DataFrame
    references: pd.DataFrame
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.works)

    def __repr__(self) -> str:
        return (f"<Corpus: {len(self.works)} works, {len(self.authorships)} authorship rows, "
                f"{len(self.references)} references>")

    # ------------------------------------------------------------ derived sets
    def work_countries(self) -> pd.DataFrame:
        """Distinct (work_id, country): the country set C_p of every work (methods.md 0.1)."""
        a = self.authorships
        return (a.loc[a["country"].notna(), ["work_id", "country"]].drop_duplicates()
                .sort_values(["work_id", "country"]).reset_index(drop=True))

    def work_institutions(self) -> pd.DataFrame:
        """Distinct (work_id, institution_key) with name, sector and country of the institution."""
        a = self.authorships
        cols = ["work_id", "institution_key", "institution", "sector", "country"]
        return (a.loc[a["institution_key"].notna(), cols].drop_duplicates(["work_id", "institution_key"])
                .sort_values(["work_id", "institution_key"]).reset_index(drop=True))

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
        return self.works.set_index("work_id")[f"cited_by_{source}"]

    # ------------------------------------------------------------ persistence
    def save(self, directory) -> None:
        """Write the tables as Parquet and meta.json; nothing is left half-written."""
        directory = os.fspath(directory)
        parent = os.path.dirname(os.path.abspath(directory)) or "."
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".corpus-", dir=parent)
        try:
            for name in TABLES:
                getattr(self, name).to_parquet(os.path.join(tmp, f"{name}.parquet"), index=False)
            with open(os.path.join(tmp, "meta.json"), "w", encoding="utf-8") as f:
                json.dump(self.meta, f, indent=1, sort_keys=True, ensure_ascii=False, default=str)
                f.write("\n")
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

    @classmethod
    def load(cls, directory) -> "Corpus":
        """Read a corpus that :meth:`save` (or ``collabnet build``) wrote."""
        directory = os.fspath(directory)
        if os.path.isdir(os.path.join(directory, "corpus")):
            directory = os.path.join(directory, "corpus")
        missing = [n for n in TABLES if not os.path.exists(os.path.join(directory, f"{n}.parquet"))]
        if missing:
            raise InputError(directory, "is not a saved corpus (missing " + ", ".join(f"{m}.parquet" for m in missing) + ")",
                             hint="Point at the folder `collabnet build --out DIR` wrote (DIR or DIR/corpus)")
        tables = {n: pd.read_parquet(os.path.join(directory, f"{n}.parquet")) for n in TABLES}
        meta = {}
        mp = os.path.join(directory, "meta.json")
        if os.path.exists(mp):
            with open(mp, encoding="utf-8") as f:
                meta = json.load(f)
        return cls(tables["works"], tables["authorships"], tables["references"], meta)
