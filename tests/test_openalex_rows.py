"""OpenAlex authors as compact rows (``AuthorRows``): what each authorship becomes, and chunk_part's fast
loop over the rows gives the Part the author dicts give."""
import copy
import pickle

import orjson
import pyarrow as pa

from collabnet.read import chunks, openalex, plain_authors, read_file
from collabnet.read.common import AuthorRows, FileReport, new_aff, new_author

from conftest import FIXTURES, REAL, SEEDWORLD, needs_real, needs_seedworld

OA = "https://openalex.org/"


def _inst(i, name, cc, typ="education", ror=None):
    return {"id": OA + i, "display_name": name, "ror": ror and "https://ror.org/" + ror, "country_code": cc,
            "type": typ}


EDGE_WORKS = [
    {"id": OA + "W1", "title": "Edge cases", "publication_year": 2020, "type": "article", "authorships": [
        # two institutions, each with its own raw string; a country none of them covers
        {"author": {"id": OA + "A1", "display_name": "Ann One", "orcid": "https://orcid.org/0000-0001"},
         "raw_author_name": "A. One", "is_corresponding": True,
         "institutions": [_inst("I1", "Keio University", "JP", ror="02kn6nx58"),
                          _inst("I2", "Pfizer", "US", typ="company")],
         "countries": ["JP", "US", "DE"],
         "raw_affiliation_strings": ["Keio Univ, Tokyo, Japan", "Pfizer, New York, USA"],
         "affiliations": [{"raw_affiliation_string": "Keio Univ, Tokyo, Japan", "institution_ids": [OA + "I1"]},
                          {"raw_affiliation_string": "Pfizer, New York, USA", "institution_ids": [OA + "I2"]}]},
        # no institution, one raw string: the country goes onto it
        {"author": {"id": OA + "A2", "display_name": "Bob Two"}, "institutions": [],
         "countries": ["NL"], "raw_affiliation_strings": ["Somewhere, Leiden"]},
        # no institution, two raw strings: the country is an affiliation of its own
        {"author": {"display_name": "Cy Three"}, "raw_author_name": None,
         "countries": ["JP"], "raw_affiliation_strings": ["Lab A", "Lab B"]},
        # one institution, no affiliations list, one raw string: the string is the institution's
        {"author": {"id": OA + "A4", "display_name": "Di Four"}, "institutions": [_inst("I1", "Keio University", "JP", ror="02kn6nx58")],
         "raw_affiliation_strings": ["Keio, Japan"], "countries": ["JP"]},
        # a list where a name belongs (not cacheable: taken as its text), and an institution without an id
        {"author": {}, "institutions": [{"id": OA + "I5", "display_name": ["odd"], "country_code": "FR"},
                                        {"id": None, "display_name": "Nameless Lab", "country_code": None}],
         "raw_affiliation_strings": ["x", "y"], "countries": []},
        # nothing at all
        {},
    ]},
    # the same institution id with another name in the next work: its own fields, not the first's
    {"id": OA + "W2", "title": "Second", "publication_year": 2021, "authorships": [
        {"author": {"id": OA + "A1", "display_name": "Ann One"},
         "institutions": [_inst("I1", "Keio Univ.", "JP", ror="02kn6nx58")], "countries": ["JP"],
         "affiliations": [{"raw_affiliation_string": "Keio", "institution_ids": [OA + "I1", OA + "I1"]},
                          {"raw_affiliation_string": "later", "institution_ids": [OA + "I1"]}]},
        # one institution without a country, and a country: an affiliation of its own, not the institution's
        {"author": {"display_name": "Ed Five"}, "institutions": [_inst("I6", "Lab Six", None)], "countries": ["BE"]}]},
]


def _aff(raw, inst_id=None, ror=None, name=None, typ=None, country=None):
    return new_aff(raw, inst_id=inst_id, ror=ror, inst_name=name, inst_type=typ, country=country)


def _author(name, full, aid, orcid, corr, affs):
    a = new_author(name, full, aid, orcid, corr)
    a["affs"] = affs
    return a


EXPECTED_AUTHORS = [
    [_author("A. One", "Ann One", "A1", "https://orcid.org/0000-0001", True, [
        _aff("Keio Univ, Tokyo, Japan", "I1", "02kn6nx58", "Keio University", "education", "JP"),
        _aff("Pfizer, New York, USA", "I2", None, "Pfizer", "company", "US"),
        _aff(None, country="DE")]),
     _author("Bob Two", "Bob Two", "A2", None, False, [_aff("Somewhere, Leiden", country="NL")]),
     _author("Cy Three", "Cy Three", None, None, False, [_aff("Lab A"), _aff("Lab B"), _aff(None, country="JP")]),
     _author("Di Four", "Di Four", "A4", None, False, [
         _aff("Keio, Japan", "I1", "02kn6nx58", "Keio University", "education", "JP")]),
     _author(None, None, None, None, False, [_aff(None, "I5", None, "['odd']", None, "FR"),
                                             _aff(None, None, None, "Nameless Lab", None, None)]),
     _author(None, None, None, None, False, [])],
    [_author("Ann One", "Ann One", "A1", None, False, [
        _aff("Keio", "I1", "02kn6nx58", "Keio Univ.", "education", "JP")]),
     _author("Ed Five", "Ed Five", None, None, False, [_aff(None, "I6", None, "Lab Six", "education", None),
                                                      _aff(None, country="BE")])],
]


def _records(works):
    lines = [(n, orjson.dumps(w)) for n, w in enumerate(works, 1)]
    return openalex.parse_lines("edge.jsonl", lines, 0, FileReport("edge.jsonl"))


def test_each_authorship_becomes_the_author_and_affiliations_worked_out_by_hand():
    recs = _records(EDGE_WORKS)
    assert all(type(r["authors"]) is AuthorRows for r in recs)
    assert [r["authors"].authors() for r in recs] == EXPECTED_AUTHORS
    assert [r["authors"].first_name() for r in recs] == ["A. One", "Ann One"]
    assert len(recs[0]["authors"]) == 6 and recs[0]["authors"][2]["name"] == "Cy Three"
    assert recs[0]["authors"] == EXPECTED_AUTHORS[0] and list(recs[0]["authors"]) == EXPECTED_AUTHORS[0]
    back = pickle.loads(pickle.dumps(recs[1]["authors"]))
    assert type(back) is list and back == EXPECTED_AUTHORS[1]
    # the streamed and whole-file readers give plain lists of dicts
    plain = plain_authors(_records(EDGE_WORKS))
    assert [r["authors"] for r in plain] == EXPECTED_AUTHORS and all(type(r["authors"]) is list for r in plain)


def _same_part(records):
    """chunk_part of the records as read (AuthorRows) and of the same records with plain author dicts."""
    plain = plain_authors(copy.deepcopy(records))
    assert all(type(r["authors"]) is list for r in plain)
    a, b = chunks.chunk_part(records), chunks.chunk_part(plain)
    assert a.keys == b.keys
    for name in ("works", "authorships", "references"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.schema == y.schema and x.equals(y), name
        for c in range(x.num_columns):   # (dictionaries in the same order too)
            assert x.column(c).combine_chunks().to_pylist() == y.column(c).combine_chunks().to_pylist()
            if pa.types.is_dictionary(x.column(c).type):
                assert x.column(c).combine_chunks().dictionary.equals(y.column(c).combine_chunks().dictionary)
    return a


def test_chunk_part_of_the_rows_is_the_part_of_the_dicts():
    part = _same_part(_records(EDGE_WORKS))
    rows = part.authorships.to_pydict()
    # one row per affiliation, one for the author without any
    assert rows["position"] == [0, 0, 0, 1, 2, 2, 2, 3, 4, 4, 5, 0, 1, 1]
    assert rows["country"][:3] == ["JP", "US", "DE"] and rows["institution_key"][0] == "ror:02kn6nx58"


def _works_of(path, limit):
    import gzip
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        return [orjson.loads(line) for _, line in zip(range(limit), f) if line.strip()]


def test_chunk_part_of_the_rows_is_the_part_of_the_dicts_on_the_fixture():
    _same_part(_records(_works_of(str(FIXTURES / "openalex_works.jsonl"), 10)))


@needs_real
def test_chunk_part_of_the_rows_is_the_part_of_the_dicts_on_real_works():
    data = orjson.loads((REAL / "openalex" / "vector_borne_disease_search_200.json").read_bytes())
    _same_part(_records(data["results"]))


@needs_seedworld
def test_chunk_part_of_the_rows_is_the_part_of_the_dicts_on_the_seed_world():
    part = _same_part(_records(_works_of(str(SEEDWORLD / "works.jsonl.gz"), 1500)))
    assert part.authorships.num_rows > 20000


def test_read_file_gives_plain_author_lists():
    recs, _ = read_file(FIXTURES / "openalex_works.jsonl")
    assert recs and all(type(r["authors"]) is list for r in recs)
    assert all(type(a) is dict for r in recs for a in r["authors"])


ODD_TYPES = [   # JSON that the typed decoding refuses (read from its dicts instead)
    {"id": OA + "W7", "title": "Odd types", "authorships": [
        {"author": {"id": 12345, "display_name": "Flo Six"}, "is_corresponding": 1,
         "institutions": [_inst("I1", 5, "JP")], "countries": ["JP", None],
         "raw_affiliation_strings": [None, "Keio"],
         "affiliations": [{"raw_affiliation_string": "Keio", "institution_ids": [None, OA + "I1"]}]}]},
]


def test_typed_decoding_and_the_dicts_give_the_same_records():
    """A JSON line is decoded into structs (msgspec), or, when its authorships hold other kinds of values,
    parsed by orjson and its dicts made the same structs: both ways give the same record."""
    import msgspec
    works = EDGE_WORKS + ODD_TYPES + _works_of(str(FIXTURES / "openalex_works.jsonl"), 10)
    typed = 0
    for n, w in enumerate(works):
        line = orjson.dumps(w)
        from_dicts = openalex.convert(openalex._lenient(orjson.loads(line)), "x", n, n, FileReport("x"), "")
        try:
            decoded = openalex._DECODE(line)
        except msgspec.ValidationError:
            assert w in ODD_TYPES or w is EDGE_WORKS[0]   # (the list where a name belongs)
            continue
        typed += 1
        assert openalex.convert(decoded, "x", n, n, FileReport("x"), "") == from_dicts
    assert typed == len(works) - 2
    # the refused line is read all the same: its values taken as they are
    rec = _records(ODD_TYPES)[0]
    assert rec["authors"].authors() == [_author("Flo Six", "Flo Six", "12345", None, True, [
        _aff("Keio", "I1", None, "5", "education", "JP")])]
