"""Hand check on a real export: two indicators computed independently with pandas agree with collabnet.

File: ../shared/data/real/scopus/agri_robotics_2023.csv (69 Scopus records, 2023 layout).
The independent computation reads the Affiliations column with plain pandas, takes the last
", " segment of every "; "-separated affiliation and maps the 28 country names in the file by a
hand-written table, without any collabnet code.
"""
import pandas as pd
import pytest

import collabnet
from collabnet import indicators as ind
from conftest import REAL, needs_real

FILE = REAL / "scopus" / "agri_robotics_2023.csv"
HAND = {  # every last segment in the file, looked up by hand
    "United States": "US", "China": "CN", "Russian Federation": "RU", "India": "IN", "United Kingdom": "GB",
    "Malaysia": "MY", "Indonesia": "ID", "Ecuador": "EC", "France": "FR", "Ukraine": "UA", "Iran": "IR",
    "Australia": "AU", "Norway": "NO", "Brazil": "BR", "Malawi": "MW", "Taiwan": "TW", "Canada": "CA",
    "Italy": "IT", "Pakistan": "PK", "Philippines": "PH", "Switzerland": "CH", "Belgium": "BE", "Poland": "PL",
    "Turkey": "TR", "Czech Republic": "CZ", "Macao": "MO", "Brunei Darussalam": "BN", "United Arab Emirates": "AE",
}


@pytest.fixture(scope="module")
def both():
    if not FILE.exists():
        pytest.skip("real data not present")
    df = pd.read_csv(FILE, dtype=str, keep_default_na=False)
    sets = []
    for aff in df["Affiliations"]:
        segs = [a.rsplit(", ", 1)[-1].strip() for a in aff.split("; ") if a.strip()]
        assert all(s in HAND for s in segs), segs  # the hand table covers the file
        sets.append({HAND[s] for s in segs})
    df["countries"] = sets
    return df, collabnet.read(str(FILE), progress=False)


@needs_real
def test_works_per_country_and_international_share(both):
    df, corpus = both
    assert len(corpus.works) == len(df) == 69
    hand_counts = pd.Series([c for s in df["countries"] for c in s]).value_counts()
    got = corpus.work_countries().groupby("country")["work_id"].nunique()
    assert got.sort_index().to_dict() == hand_counts.sort_index().to_dict()
    # grep: 14 rows mention "United States", 16 "China" (no row has a Chinese address outside China)
    assert hand_counts["US"] == 14 and hand_counts["CN"] == 16
    with_country = df[df["countries"].apply(len) > 0]
    hand_ics = (with_country["countries"].apply(len) >= 2).mean()
    assert ind.international_share(corpus) == pytest.approx(hand_ics, abs=1e-12)


@needs_real
def test_citations_per_work(both):
    df, corpus = both
    cites = pd.to_numeric(df["Cited by"].replace("", "0"))  # an empty "Cited by" is 0 citations
    rep = ind.impact(corpus)
    assert rep["citation_source"] == "scopus"
    assert rep["citations_total"] == int(cites.sum())
    assert rep["citations_per_work"] == pytest.approx(cites.mean(), abs=1e-12)
