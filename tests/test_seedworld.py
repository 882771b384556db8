"""The planted-truth world (../shared/data/seedworld/jpnl): every format, and all four together."""
import json
import sys
from collections import Counter

import pytest

import collabnet
from conftest import SEEDWORLD, SHARED, needs_seedworld

pytestmark = needs_seedworld
FILES = {"openalex": "works.jsonl.gz", "scopus": "scopus.csv", "scopus2021": "scopus_2021layout.csv", "wos": "savedrecs.txt"}


@pytest.fixture(scope="module")
def truth():
    return json.loads((SEEDWORLD / "truth.json").read_text())


@pytest.fixture(scope="module")
def corpora():
    out = {k: collabnet.read(str(SEEDWORLD / f), progress=False) for k, f in FILES.items()}
    out["all"] = collabnet.read(*(str(SEEDWORLD / f) for f in FILES.values()), progress=False)
    return out


@pytest.fixture(scope="module")
def matcher():
    sys.path.insert(0, str(SHARED / "tools"))
    from check_against_truth import lookup  # the world's own name matcher (WoS abbreviations)
    return lookup


def country_sets(c):
    return c.work_countries().groupby("work_id")["country"].agg(frozenset)


@pytest.mark.parametrize("fmt", list(FILES) + ["all"])
def test_works_and_country_sets(corpora, truth, fmt):
    c = corpora[fmt]
    assert len(c.works) == truth["works"] == 5244
    sets = country_sets(c)
    assert len(sets) == 5244
    focus = frozenset(truth["focus"])
    assert sum(s == focus for s in sets) == truth["bilateral_only_works"] == 367
    third = Counter(x for s in sets for x in s - focus)
    assert dict(third) == {x["country"]: x["works"] for x in truth["third_party_countries"]}
    years = Counter(str(y) for y in c.works["year"])
    assert dict(years) == truth["works_by_year"]


def test_all_four_formats_merge_into_one_corpus(corpora):
    c = corpora["all"]
    assert set(c.works["sources"]) == {"openalex;scopus;wos"}
    files = c.meta["inputs"]
    assert [f["merged_with_earlier_files"] for f in files] == [0, 5244, 5244, 5244]
    # citation counts stay per source
    w = c.works
    assert w["cited_by_openalex"].notna().all() and w["cited_by_wos"].notna().all() and w["cited_by_scopus"].notna().all()


def institution_table(c, country):
    wi = c.work_institutions()
    cnt = wi[wi["country"] == country].groupby("institution").size()
    return [{"institution": k, "works": int(v)} for k, v in cnt.sort_values(ascending=False).items()]


@pytest.mark.parametrize("country", ["JP", "NL"])
def test_institutions_exact_from_openalex(corpora, truth, matcher, country):
    rows = institution_table(corpora["openalex"], country)
    want = truth["institutions"][country]
    assert len(rows) == len(want)
    for w in want:
        r = matcher(w["institution"], rows, "institution")
        assert r is not None and r["works"] == w["works"], w


@pytest.mark.parametrize("fmt", ["scopus", "scopus2021", "wos"])
@pytest.mark.parametrize("country", ["JP", "NL"])
def test_top10_institutions_from_strings(corpora, truth, matcher, fmt, country):
    rows = institution_table(corpora[fmt], country)[:10]
    for w in truth["institutions"][country][:10]:
        r = matcher(w["institution"], rows, "institution")
        assert r is not None and abs(r["works"] - w["works"]) <= 0.02 * w["works"], (fmt, w, r)


@pytest.mark.parametrize("fmt", list(FILES))
def test_every_company_is_corporate(corpora, truth, matcher, fmt):
    wi = corpora[fmt].work_institutions()
    corp = wi[wi["sector"] == "corporate"].groupby(["institution", "country"]).size()
    rows = [{"corporate": k[0], "country": k[1], "works": int(v)} for k, v in corp.items()]
    for x in truth["corporates"]:
        r = matcher(x["corporate"], rows, "corporate")
        assert r is not None and r["country"] == x["country"] and r["works"] == x["works"], (fmt, x, r)


@pytest.mark.parametrize("fmt", list(FILES))
def test_every_slot_resolved(corpora, fmt):
    from collabnet.corpus import slot_coverage
    cov = slot_coverage(corpora[fmt].authorships)
    assert cov["author_slots"] == 79598 and cov["with_country"] == 1.0 and cov["with_institution"] == 1.0
