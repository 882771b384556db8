"""The toy dataset of methods.md 0.3, built directly as a Corpus."""
import pandas as pd

from collabnet.corpus import Corpus
from collabnet.clean.resolve import AUTHORSHIP_COLUMNS

SECTOR = {"education": "academic", "healthcare": "medical", "company": "corporate"}
# paper -> author slots as (country, institution, type); first author is corresponding
PAPERS = {
    "P1": [("JP", "U-Tokyo", "education"), ("JP", "U-Tokyo", "education"), ("NL", "Leiden Univ", "education")],
    "P2": [("JP", "Osaka Univ", "education"), ("NL", "Erasmus MC", "healthcare"), ("US", "Pfizer", "company"),
           ("US", "Pfizer", "company")],
    "P3": [("NL", "Utrecht Univ", "education"), ("NL", "Utrecht Univ", "education")],
}


def toy_corpus(years=None, cites=None) -> Corpus:
    years = years or {"P1": 2020, "P2": 2021, "P3": 2021}
    cites = cites or {"P1": 10, "P2": 4, "P3": 1}
    rows = []
    for wid, slots in PAPERS.items():
        for pos, (cc, inst, typ) in enumerate(slots):
            rows.append((wid, pos, f"Author {wid}-{pos}", None, None, pos == 0, f"{inst}, City, {cc}",
                         "name:" + inst.lower(), inst, SECTOR[typ], "openalex", typ, cc, "openalex"))
    a = pd.DataFrame(rows, columns=AUTHORSHIP_COLUMNS)
    w = pd.DataFrame({"work_id": list(PAPERS), "year": [years[p] for p in PAPERS], "doc_type": "article",
                      "n_authors": [len(PAPERS[p]) for p in PAPERS],
                      "cited_by_openalex": [cites[p] for p in PAPERS], "title": list(PAPERS)})
    r = pd.DataFrame(columns=["work_id", "position", "raw", "doi", "openalex_id", "cited_work_id"])
    return Corpus(w, a, r, {})
