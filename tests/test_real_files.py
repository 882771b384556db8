"""Every real export in ../shared/data/real: read without a crash, record counts as in MANIFEST.tsv."""
import csv

import pytest

import collabnet
from collabnet.errors import InputError, UnsupportedFormat
from conftest import REAL, needs_real

pytestmark = needs_real


def manifest():
    if not (REAL / "MANIFEST.tsv").exists():
        return []
    with open(REAL / "MANIFEST.tsv", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


READABLE = {"scopus", "wos", "openalex", "pubmed"}
# files of a readable source in a format collabnet does not read
NOT_READ = {"openalex/bibliometrix_fixture.csv": "flattened OpenAlex CSV", "pubmed/author_ranking_pair_7.xml": "PubMed XML",
            "pubmed/pubmr_93.xml": "PubMed XML"}
MANGLED = "scopus/excel_roundtrip_mangled_2025.csv"


@pytest.mark.parametrize("row", [r for r in manifest() if r["format"] in READABLE and r["file"] not in NOT_READ
                                 and r["file"] != MANGLED], ids=lambda r: r["file"])
def test_readable_file(row):
    c = collabnet.read(str(REAL / row["file"]), progress=False)
    inp = c.meta["inputs"][0]
    assert inp["records"] == int(row["records"])
    assert sum(inp["skipped"].values()) == 0
    excluded = sum(inp["excluded"].values())
    assert len(c.works) == int(row["records"]) - inp["merged_within_file"] - excluded
    assert inp["merged_within_file"] <= 3


@pytest.mark.parametrize("row", [r for r in manifest() if r["format"] not in READABLE or r["file"] in NOT_READ],
                         ids=lambda r: r["file"])
def test_unsupported_file_gets_a_clear_error(row):
    with pytest.raises(UnsupportedFormat) as e:
        collabnet.read(str(REAL / row["file"]))
    msg = str(e.value)
    assert "unsupported format" in msg and "collabnet reads Scopus CSV" in msg
    if row["file"] in NOT_READ:
        assert NOT_READ[row["file"]] in msg


def test_spreadsheet_mangled_scopus_is_refused():
    with pytest.raises(InputError) as e:
        collabnet.read(str(REAL / MANGLED))
    assert "spreadsheet" in str(e.value) and not isinstance(e.value, UnsupportedFormat)


def test_known_duplicates_merged():
    # bibliometrix's fixture writes "NA" for a missing PubMed ID: not an id, so nothing merges
    c = collabnet.read(str(REAL / "scopus/bibliometrix_fixture_2026.csv"))
    assert len(c.works) == 8
    # two Scopus records (different EIDs) of one DOI in the IoT export
    c = collabnet.read(str(REAL / "scopus/iot_fog_scientopy_2019.csv"))
    w = c.works[c.works["doi"] == "10.1145/2968456.2974005"]
    assert len(w) == 1


def test_wos_three_files_and_tab_delimited_together():
    c = collabnet.read(str(REAL / "wos/coral_reef_lab_tabdelim.txt"), str(REAL / "wos/coral_reef_lab_fullheaders.csv"))
    assert len(c.works) == 212
    assert c.meta["inputs"][1]["merged_with_earlier_files"] == 212


@needs_real
def test_spanish_country_names_of_a_scielo_export_resolve():
    """SciELO (Web of Science format) writes the country in Spanish: "..., Perú." ended 1,819 of the 2,710
    addressed rows of this export unresolved.  Every row whose address ends in "Perú" (found here with
    string methods alone) is Peru's."""
    c = collabnet.read(str(REAL / "wos/scielo_peru_hospitals_full_428.txt"), progress=False)
    a = c.authorships[c.authorships["raw_affiliation"].notna()]
    peru = a["raw_affiliation"].map(lambda s: s.rstrip(". ").rsplit(",", 1)[-1].strip() == "Perú")
    assert peru.sum() > 1700
    assert (a.loc[peru, "country"] == "PE").all()


@needs_real
def test_centrality_of_a_real_institution_network_warns_nothing():
    """igraph warns that some eigenvector centralities are nearly zero on the institution network of
    these real files (SciELO and MEDLINE: a large component with a long periphery); the values stand,
    and a build's output (with -q: nothing) is no place for the warning."""
    import warnings
    from collabnet.networks import centrality, institution_graph
    c = collabnet.read(str(REAL / "wos/scielo_peru_hospitals_full_428.txt"),
                       str(REAL / "pubmed/pybibx_medline_335.txt"), progress=False)
    G = institution_graph(c)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = centrality(G)
    assert [str(w.message) for w in caught] == []
    assert t["eigenvector"].notna().any() and (t["eigenvector"].dropna() >= 0).all()
