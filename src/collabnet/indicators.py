"""Collaboration, impact, activity and growth indicators (methods.md 3, 4, 5).

Every function takes a Corpus (and options) and returns a DataFrame, a
number or a small dataclass.  Shares are fractions in [0, 1] over the
analysed set of works (``works=`` restricts it; default: all works).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import InputError


def _ids(corpus, works=None) -> list:
    """The analysed work ids, sorted (all works when ``works`` is None)."""
    all_ids = corpus._cached("sorted_work_ids", lambda: sorted(corpus.works["work_id"]))
    if works is None:
        return all_ids
    keep = set(works)
    return [w for w in all_ids if w in keep]


def _positions(corpus, ids) -> np.ndarray:
    """The rows of ``corpus.works`` that hold the work ids ``ids`` (-1: an id the works do not hold)."""
    return corpus.work_index().get_indexer(ids)


def _works_mask(corpus, ids) -> np.ndarray:
    """Which rows of ``corpus.works`` are works of ``ids`` (``works["work_id"].isin(ids)``), with one
    more slot at the end, False, for the row -1 (an id the works do not hold) of the lookups below."""
    pos = _positions(corpus, ids)
    mask = np.zeros(len(corpus.works) + 1, dtype=bool)
    mask[pos[pos >= 0]] = True
    return mask


def _work_values(corpus, ids, *columns) -> pd.DataFrame:
    """The works' ``columns`` (those the table has) for ``ids``, in that order, indexed by work_id: the same
    as ``corpus.works.set_index("work_id").reindex(ids)[columns]``, without a copy of all the other columns
    and their million rows."""
    w = corpus.works
    cols = [c for c in columns if c in w.columns]
    pos = _positions(corpus, ids)
    if (pos < 0).any():   # (reindex's missing rows)
        return w[["work_id", *cols]].set_index("work_id").reindex(ids)
    index = pd.Index(ids, name="work_id")
    return pd.DataFrame({c: pd.Series(w[c].take(pos).array, index=index) for c in cols}, index=index, columns=cols)


def _by_work_row(corpus, values: pd.Series) -> np.ndarray:
    """A Series indexed by work id as floats by row of ``corpus.works``, NaN for the works it does not
    hold, with a last slot, NaN, for the row -1: ``values.reindex(ids)`` is ``_by_work_row(...)[rows]``."""
    out = np.full(len(corpus.works) + 1, np.nan)
    if not values.index.is_unique:   # (reindex would refuse it too)
        raise ValueError("cannot reindex on an axis with duplicate labels")
    pos = _positions(corpus, values.index)
    found = pos >= 0
    out[pos[found]] = values.to_numpy(dtype=float)[found]
    return out


def _institution_works_at(corpus) -> np.ndarray:
    """The row in ``corpus.works`` of each row of ``corpus.work_institutions()`` (-1: not a work of it)."""
    return corpus._cached("work_institutions_at", lambda: _positions(corpus, corpus.work_institutions()["work_id"]))


def _all_country_sets(corpus) -> pd.Series:
    """work_id -> frozenset of its countries for every work, computed once per corpus.  Works with the
    same set share one frozenset object."""
    def make():
        wc = corpus.work_countries()  # sorted by work_id, country: each work's rows together
        ids = _ids(corpus)
        index = pd.Index(ids, name="work_id")
        out = np.full(len(ids), frozenset(), dtype=object)
        wid = wc["work_id"].to_numpy(dtype=object)
        if len(wid):
            starts = np.flatnonzero(np.r_[True, wid[1:] != wid[:-1]])
            ends = np.r_[starts[1:], len(wid)]
            # a work's countries as the bytes of their codes: each distinct set made a frozenset once
            codes, names = pd.factorize(wc["country"].to_numpy(dtype=object))
            buf = codes.astype(np.int32).tobytes()
            interned: dict = {}
            sets = []
            for a, b in zip(starts.tolist(), ends.tolist()):
                key = buf[4 * a:4 * b]
                fs = interned.get(key)
                if fs is None:
                    fs = interned[key] = frozenset(names[codes[a:b]].tolist())
                sets.append(fs)
            made = np.empty(len(sets), dtype=object)
            made[:] = sets
            at = index.get_indexer(wid[starts])
            keep = at >= 0
            out[at[keep]] = made[keep]
        return pd.Series(out, index=index, dtype=object, name="country")
    return corpus._cached("country_sets", make)


def country_sets(corpus, works=None) -> pd.Series:
    """work_id -> frozenset of its countries (C_p), empty for works without a resolved country."""
    s = _all_country_sets(corpus)
    return s if works is None else s.reindex(_ids(corpus, works))


def _set_sizes(sets: pd.Series) -> np.ndarray:
    return np.fromiter((len(v) for v in sets), dtype=np.int64, count=len(sets))


def works_with(corpus, *countries) -> list:
    """Works whose country set contains every given country (a single country, or a pair's joint works)."""
    want = frozenset(countries)
    return [w for w, s in country_sets(corpus).items() if want <= s]


def works_by_year(corpus, works=None) -> pd.Series:
    """Output per publication year (full counting); works without a year are left out."""
    year = corpus.works["year"][_works_mask(corpus, _ids(corpus, works))[:-1]]
    s = year.dropna().astype(int).value_counts().sort_index()
    s.index.name = "year"
    return s.rename("works")


def international_share(corpus, works=None) -> float | None:
    """ICS = |{p : |C_p| >= 2}| / |P| over works with a resolved country (methods.md 3.1)."""
    k = _set_sizes(country_sets(corpus, works))
    k = k[k > 0]
    return float((k >= 2).mean()) if len(k) else None


def collaboration_types(corpus, works=None) -> pd.Series:
    """SciVal collaboration types, mutually exclusive (methods.md 3.2): share of each."""
    ids = _ids(corpus, works)
    nc = _set_sizes(country_sets(corpus, ids))
    at = _institution_works_at(corpus)
    pos = _positions(corpus, ids)
    ninst = np.where(pos >= 0, np.bincount(at[at >= 0], minlength=len(corpus.works) + 1)[pos], 0)
    nauth = _work_values(corpus, ids, "n_authors")["n_authors"].fillna(0).to_numpy()
    kind = np.select([nc >= 2, (nc == 1) & (ninst >= 2), (ninst <= 1) & (nauth >= 2), nauth == 1],
                     ["international", "national", "institutional", "single_authorship"], "unclassified")
    s = pd.Series(kind, index=ids).value_counts()
    s = s.drop("unclassified", errors="ignore")
    order = ["international", "national", "institutional", "single_authorship"]
    return (s / s.sum()).reindex(order).fillna(0.0).rename("share") if s.sum() else pd.Series(dtype=float)


def scp_mcp(corpus, works=None) -> pd.DataFrame:
    """bibliometrix SCP/MCP by lead country: corresponding author's, else first author's with a country (methods.md 3.3)."""
    ids = _ids(corpus, works)
    a = corpus.authorships
    rows = ((a["position"] >= 0) & a["country"].notna()).to_numpy()
    if works is not None:
        rows &= corpus.authorship_mask(ids)
    rows = np.flatnonzero(rows)
    # on numpy columns of the wanted rows only (no copy of the table): per work, in position order
    # (rows of one position in table order), the first corresponding author's row, else the first row
    r = corpus.work_ranks()[rows]
    order = np.lexsort((a["position"].to_numpy()[rows], r))
    r = r[order]
    starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]]) if len(r) else np.zeros(0, dtype=np.int64)
    corr = a["is_corresponding"].to_numpy()[rows][order].astype(bool)
    lead_row = starts.copy()
    c_at = np.flatnonzero(corr)
    c_first = c_at[np.r_[True, r[c_at][1:] != r[c_at][:-1]]] if len(c_at) else c_at
    lead_row[np.searchsorted(r[starts], r[c_first])] = c_first
    lead_at = rows[order[lead_row]]   # (the strings of the lead rows only: a million, not 17M)
    lead = pd.Series(a["country"].to_numpy()[lead_at], index=pd.Index(a["work_id"].to_numpy()[lead_at], name="work_id"))
    multi = _set_sizes(country_sets(corpus, ids)) >= 2
    mcp = pd.Series(multi, index=ids).reindex(lead.index)
    df = pd.DataFrame({"country": lead.to_numpy(), "kind": np.where(mcp.to_numpy(dtype=bool), "MCP", "SCP")})
    t = df.value_counts().unstack(fill_value=0).reindex(columns=["SCP", "MCP"], fill_value=0)
    t["MCP_ratio"] = t["MCP"] / (t["SCP"] + t["MCP"])
    return t.sort_values(["SCP", "MCP"], ascending=False)


@dataclass
class PairIndicators:
    """methods.md 3.4 for a focus pair (A, B)."""
    a: str
    b: str
    joint_works: int
    bilateral_only_works: int
    bilateral_only_share: float | None
    multinational_share: float | None
    country_count_histogram: dict = field(default_factory=dict)
    third_parties: pd.DataFrame = None
    partial_units: int = 0


def pair_indicators(corpus, a: str, b: str) -> PairIndicators:
    sets = country_sets(corpus)
    pair = frozenset((a, b))
    joint = sets[[pair <= s for s in sets]]
    n = len(joint)
    bo = int(sum(s == {a, b} for s in joint))
    bins = {"2": 0, "3": 0, "4": 0, "5-9": 0, ">=10": 0}
    for s in joint:
        k = len(s)
        bins["2" if k == 2 else "3" if k == 3 else "4" if k == 4 else "5-9" if k < 10 else ">=10"] += 1
    return PairIndicators(a, b, n, bo, bo / n if n else None, 1 - bo / n if n else None, bins,
                          third_parties(corpus, joint.index, exclude=(a, b)))


def third_parties(corpus, works, exclude=()) -> pd.DataFrame:
    """Countries other than ``exclude`` in the given works: works and share, descending, ties by ISO code."""
    sets = country_sets(corpus, works)
    n = len(sets)
    cnt = pd.Series([c for s in sets for c in s if c not in exclude], dtype=object).value_counts()
    df = pd.DataFrame({"country": cnt.index, "works": cnt.to_numpy(dtype=int)})
    df["share"] = df["works"] / n if n else np.nan
    return df.sort_values(["works", "country"], ascending=[False, True]).reset_index(drop=True)


def institution_table(corpus, works=None, country: str | None = None, sector: str | None = None,
                      impact: pd.Series | None = None) -> pd.DataFrame:
    """Institutions ranked by works in the analysed set (methods.md 3.6): works, share, citations, impact."""
    ids = _ids(corpus, works)
    wi = corpus.work_institutions()
    at = _institution_works_at(corpus)
    keep = _works_mask(corpus, ids)[at]
    if country:
        keep &= (wi["country"] == country).to_numpy()
    if sector:
        keep &= (wi["sector"] == sector).to_numpy()
    wi, at = wi[keep], at[keep]
    # each row's work's citations and impact, found by the work's row (-1, not a work: the last slot, NaN)
    cites = np.append(corpus.citations().to_numpy(dtype=float), np.nan)[at] if corpus.citation_source() else np.nan
    wi = wi.assign(citations=cites)
    if impact is not None:
        wi = wi.assign(impact=_by_work_row(corpus, impact)[at])
    g = wi.groupby("institution_key")
    df = pd.DataFrame({
        "institution": g["institution"].first(), "sector": g["sector"].first(), "country": g["country"].first(),
        "works": g.size(), "citations": g["citations"].sum(min_count=1)})
    if impact is not None:
        df["impact"] = g["impact"].mean()
    df["share"] = df["works"] / len(ids) if ids else np.nan
    df = df.reset_index().sort_values(["works", "institution"], ascending=[False, True]).reset_index(drop=True)
    return df


def academic_corporate_share(corpus, works=None) -> float | None:
    """ACC = works with >= 1 academic and >= 1 corporate affiliation / works (methods.md 3.5)."""
    ids = _ids(corpus, works)
    if not ids:
        return None
    wi = corpus.work_institutions()
    at = _institution_works_at(corpus)   # (the row of each institution's work; -1: the last slot, never counted)
    has = {}
    for sector in ("academic", "corporate"):
        has[sector] = np.zeros(len(corpus.works) + 1, dtype=bool)
        has[sector][at[(wi["sector"] == sector).to_numpy()]] = True
    both = has["academic"] & has["corporate"] & _works_mask(corpus, ids)
    return float(both[:-1].sum() / len(ids))


def growth(series: pd.Series, y0: int, y1: int) -> dict:
    """Fold change, percentage growth and CAGR between two years (methods.md 5.2); null when undefined.

    >>> g = growth(pd.Series({2008: 120, 2019: 400, 2024: 600}), 2019, 2024)
    >>> round(g["fold"], 4), round(g["percent"], 1), round(g["cagr"], 4)
    (1.5, 50.0, 0.0845)
    """
    p0, p1 = float(series.get(y0, 0)), float(series.get(y1, 0))
    if p0 == 0:
        return {"first_year": y0, "last_year": y1, "fold": None, "percent": None, "cagr": None}
    fold = p1 / p0
    cagr = fold ** (1.0 / (y1 - y0)) - 1 if y1 != y0 else None
    return {"first_year": y0, "last_year": y1, "fold": fold, "percent": 100 * (p1 - p0) / p0, "cagr": cagr}


def rai(entity_field: float, entity_total: float, world_field: float, world_total: float) -> float | None:
    """Relative Activity Index (methods.md 5.3); None when the world share is 0.

    >>> rai(1000, 20000, 100000, 4000000)
    2.0
    """
    if not entity_total or not world_total or not world_field:
        return None
    return (entity_field / entity_total) / (world_field / world_total)


def load_world_output(path) -> pd.DataFrame:
    """World output table for RAI (methods.md 5.3): columns year, field, world_output."""
    from .errors import InputError
    try:
        df = pd.read_csv(path, dtype={"field": str})
    except Exception as exc:
        raise InputError(str(path), f"cannot be read as CSV ({exc})") from None
    missing = {"year", "field", "world_output"} - set(df.columns)
    if missing:
        raise InputError(str(path), f"is missing the column(s) {', '.join(sorted(missing))}",
                         hint="a world output table has the columns year,field,world_output")
    return df


def field_activity(corpus, works=None, world: pd.DataFrame | None = None) -> pd.DataFrame:
    """Works per field and the Relative Activity Index (methods.md 5.3), full counting in each field.

    ``rai_ds`` compares with the whole dataset; ``rai`` (only with ``world``: year, field, world_output)
    compares with the world output of the years the analysed works fall in.

    >>> rai(1000, 20000, 100000, 4000000)
    2.0
    """
    ids = _ids(corpus, works)
    w = corpus.works
    fields = w[["work_id", "year", "fields"]].copy() if "fields" in w else pd.DataFrame(columns=["work_id", "year", "fields"])
    fields = fields.assign(field=fields["fields"].fillna("").str.split("; ")).explode("field")
    fields = fields[fields["field"].fillna("") != ""]
    sub = fields[fields["work_id"].isin(set(ids))]
    n, n_all = len(set(ids)), len(w)
    df = pd.DataFrame({"works": sub.groupby("field")["work_id"].nunique(),
                       "dataset_works": fields.groupby("field")["work_id"].nunique()}).fillna(0)
    df = df[df["works"] > 0]
    df["share"] = df["works"] / n if n else np.nan
    df["dataset_share"] = df["dataset_works"] / n_all if n_all else np.nan
    df["rai_ds"] = df["share"] / df["dataset_share"]
    if world is not None and len(df):
        years = set(w["year"][_works_mask(corpus, ids)[:-1]].dropna().astype(int))
        wy = world[world["year"].isin(years)]
        wf = wy.groupby("field")["world_output"].sum()
        total = wy["world_output"].sum()
        df["world_output"] = wf.reindex(df.index)
        df["world_share"] = df["world_output"] / total if total else np.nan
        df["rai"] = [rai(a, n, b, total) if pd.notna(b) else None for a, b in zip(df["works"], df["world_output"])]
    df = df.reset_index().rename(columns={"index": "field"}).sort_values(["works", "field"], ascending=[False, True])
    df["works"] = df["works"].astype(int)
    df["dataset_works"] = df["dataset_works"].astype(int)
    return df.reset_index(drop=True)


# ------------------------------------------------------------------ impact
def load_baseline(path) -> pd.DataFrame:
    """A world baseline CSV: year, document_type, field, expected_citations[, top10_threshold, window] (methods.md 4.3)."""
    from .read.common import canonical_doc_type
    try:
        b = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read the baseline CSV ({exc})") from None
    need = {"year", "document_type", "field", "expected_citations"}
    if not need <= set(b.columns):
        raise InputError(path, "baseline CSV without the column(s) " + ", ".join(sorted(need - set(b.columns))),
                         where="line 1", hint="Columns: year,document_type,field,expected_citations[,top10_threshold]")
    b = b.copy()
    b["doc_type"] = b["document_type"].map(lambda t: canonical_doc_type(str(t)))
    b["window"] = b["window"] if "window" in b else "to_date"
    if (b["window"] != "to_date").any():
        raise InputError(path, "window '4y' needs per-year citations for every work; only 'to_date' is supported "
                         "for baseline tables here", hint="Use window to_date (total citations as exported)")
    return b


def _baseline_rows(corpus, baseline: pd.DataFrame, ids) -> pd.DataFrame:
    w = _work_values(corpus, ids, "year", "doc_type", "fields")
    fields = baseline["field"].astype(str).unique()
    single = len(fields) == 1
    if single:
        f = [fields[0]] * len(w)
    else:
        f = [str(v or "").split("; ")[0] for v in (w["fields"] if "fields" in w else [None] * len(w))]
    k = pd.DataFrame(list(zip(w.index, w["year"], w["doc_type"], f)), columns=["work_id", "year", "doc_type", "field"])
    b = baseline.copy()
    b.loc[b["field"] == "*", "field"] = None
    m = k.merge(b.drop(columns=["document_type"]), on=["year", "doc_type", "field"], how="left")
    return m.set_index("work_id")


def impact(corpus, works=None, baseline: pd.DataFrame | None = None) -> dict:
    """Citations per work, field-normalised impact and top-10% share, honestly labelled (methods.md 4).

    FWCI from OpenAlex's own ``fwci`` when every work has it (``fwci_source`` openalex); else from a user
    baseline (``baseline``); else the dataset-relative MNCS, reported under ``mncs_ds`` and never called FWCI.
    """
    ids = _ids(corpus, works)
    out = {"citation_source": corpus.citation_source()}
    c = corpus.citations().reindex(ids).astype(float) if out["citation_source"] else pd.Series(np.nan, index=ids)
    out["citations_total"] = int(c.sum()) if c.notna().any() else None
    out["citations_per_work"] = float(c.mean()) if c.notna().any() else None
    w = _work_values(corpus, ids, "fwci_openalex", "top10_openalex")
    fw = w["fwci_openalex"] if "fwci_openalex" in w else pd.Series(np.nan, index=ids)
    flags = w["top10_openalex"] if "top10_openalex" in w else pd.Series(pd.NA, index=ids)
    per_work = pd.Series(np.nan, index=ids)
    if fw.notna().any() and out["citation_source"] == "openalex":
        out.update(fwci_mean=float(fw.dropna().mean()), fwci_source="openalex", fwci_works=int(fw.notna().sum()),
                   fwci_missing=int(fw.isna().sum()))
        per_work = fw.astype(float)
    elif baseline is not None:
        rows = _baseline_rows(corpus, baseline, ids)
        e = rows["expected_citations"].astype(float)
        ratio = c / e
        out.update(fwci_mean=float(ratio.dropna().mean()) if ratio.notna().any() else None, fwci_source="baseline",
                   fwci_works=int(ratio.notna().sum()), fwci_missing=int(ratio.isna().sum()))
        per_work = ratio
    else:
        ds = mncs_ds(corpus, ids)
        out.update(mncs_ds=float(ds.dropna().mean()) if ds.notna().any() else None,
                   mncs_ds_label="normalised citation score relative to this dataset (not FWCI)")
        per_work = ds
    if flags.notna().any() and out["citation_source"] == "openalex":
        out.update(top10_share=float(flags.dropna().astype(bool).mean()), top10_source="openalex")
    elif baseline is not None and "top10_threshold" in baseline:
        rows = _baseline_rows(corpus, baseline, ids)
        thr = rows["top10_threshold"].astype(float)
        ok = thr.notna() & c.notna()
        out.update(top10_share=float((c[ok] >= thr[ok]).mean()) if ok.any() else None, top10_source="baseline")
    else:
        t = top_share_ds(corpus, ids)
        out.update(top10_share_ds=float(t.mean()) if len(t) else None, top10_source="dataset")
    out["per_work"] = per_work
    return out


def _groups(corpus, ids, min_group_size=20) -> np.ndarray:
    """The dataset group of each work (methods.md 4.3), as a number: its (year, type, field) when that has
    at least ``min_group_size`` works, else its (year, type) when that has, else its year.  A missing value
    is a value of its own (works without a year form one group)."""
    w = _work_values(corpus, ids, "year", "doc_type", "fields")
    f = w["fields"].fillna("").str.split("; ").str[0] if "fields" in w else pd.Series("", index=ids)
    k = pd.DataFrame({"y": w["year"].to_numpy(), "t": w["doc_type"].to_numpy(), "f": f.to_numpy()})
    if not len(k):
        return np.zeros(0, dtype=np.int64)
    g3, g2, g1 = (k.groupby(cols, dropna=False, sort=False).ngroup().to_numpy()
                  for cols in (["y", "t", "f"], ["y", "t"], ["y"]))
    n3, n2 = np.bincount(g3)[g3], np.bincount(g2)[g2]
    # three numberings side by side: g3 codes, then g2 codes, then g1 codes
    return np.where(n3 >= min_group_size, g3,
                    np.where(n2 >= min_group_size, g3.max() + 1 + g2, g3.max() + g2.max() + 2 + g1))


def mncs_ds(corpus, works=None, min_group_size: int = 20) -> pd.Series:
    """NCS_ds per work: citations / mean citations of its (year, type, field) group in this dataset (methods.md 4.3)."""
    ids = _ids(corpus, works)
    c = corpus.citations().reindex(ids).astype(float) if corpus.citation_source() else pd.Series(np.nan, index=ids)
    g = _groups(corpus, ids, min_group_size)
    e = c.groupby(g).transform("mean")
    return (c / e).where(e > 0)


def top_share_ds(corpus, works=None, share: float = 0.10, min_group_size: int = 20) -> pd.Series:
    """T_p with CWTS tie handling inside each dataset group (methods.md 4.4); sums to share * n_g per group."""
    ids = _ids(corpus, works)
    c = corpus.citations().reindex(ids).astype(float) if corpus.citation_source() else pd.Series(np.nan, index=ids)
    g = _groups(corpus, ids, min_group_size)
    cv = c.to_numpy()
    out = np.full(len(ids), np.nan)
    for pos in pd.Series(g).groupby(g, sort=False).indices.values():
        out[pos] = top_fraction(cv[pos], share)
    return pd.Series(out, index=ids)


def top_fraction(cites, share: float = 0.10) -> np.ndarray:
    """CWTS top-x% membership with ties: T = 1 if a + b <= k, 0 if a >= k, else (k - a) / b.

    >>> top_fraction([50, 12, 12, 12] + [5] * 16).round(4).tolist()[:5]
    [1.0, 0.3333, 0.3333, 0.3333, 0.0]
    """
    c = np.asarray(cites, dtype=float)
    k = share * len(c)
    srt = np.sort(c)
    a = len(c) - np.searchsorted(srt, c, side="right")          # papers with more citations
    b = np.searchsorted(srt, c, side="right") - np.searchsorted(srt, c, side="left")  # ties, itself included
    out = np.where(a + b <= k, 1.0, np.where(a >= k, 0.0, (k - a) / np.maximum(b, 1)))
    return out


def harmonic_expected(expected: list[float]) -> float:
    """SciVal multi-field expectation: |F| / sum(1/e_f) (methods.md 4.2).

    >>> harmonic_expected([8, 24])
    12.0
    """
    return len(expected) / sum(1.0 / e for e in expected)


def safe(v):
    """JSON-friendly number: NaN and inf become None."""
    if v is None:
        return None
    if isinstance(v, (float, np.floating)) and (math.isnan(v) or math.isinf(v)):
        return None
    return v
