import pytest

from collabnet.clean.institutions import classify, name_key, parse_affiliation, sector_of_type, split_segments


@pytest.mark.parametrize("raw,org,sector,country", [
    ("Graduate School of Medicine, Keio University, Tokyo, Japan", "Keio University", "academic", "JP"),
    ("Department of Medicine, Amsterdam UMC, location AMC, Amsterdam, Netherlands", "Amsterdam UMC", "medical", "NL"),
    ("Daiichi Sankyo Company, Limited, Tokyo, Japan", "Daiichi Sankyo Company, Limited", "corporate", "JP"),
    ("Gilead Sciences, Inc., Foster City, CA, United States", "Gilead Sciences, Inc.", "corporate", "US"),
    ("Hitachi, Ltd., Tokyo, Japan", "Hitachi, Ltd.", "corporate", "JP"),
    ("Eli Lilly and Co, Indianapolis, IN 46285 USA.", "Eli Lilly and Co", "corporate", "US"),
    ("Takeda Pharmaceut Co Ltd, Osaka, Japan.", "Takeda Pharmaceut Co Ltd", "corporate", "JP"),
    ("Koninklijke Philips N.V., Eindhoven, Netherlands", "Koninklijke Philips N.V.", "corporate", "NL"),
    ("Natl Inst Infect Dis, Tokyo, Japan.", "Natl Inst Infect Dis", "government", "JP"),
    ("Center for Digital Health, RIKEN, Wako, Japan", "RIKEN", "other", "JP"),
    ("Univ Tokyo Hosp, Dept Surg, Tokyo, Japan.", "Univ Tokyo Hosp", "academic", "JP"),
    ("Catharina Hospital, Eindhoven, Netherlands", "Catharina Hospital", "medical", "NL"),
    ("Sanquin Blood Supply Foundation, Amsterdam, Netherlands", "Sanquin Blood Supply Foundation", "other", "NL"),
])
def test_parse_affiliation(raw, org, sector, country):
    p = parse_affiliation(raw)
    assert (p.organisation, p.sector, p.country) == (org, sector, country)


def test_company_without_legal_form_stays_unresolved():
    p = parse_affiliation("AstraZeneca, Gothenburg, Sweden")
    assert (p.organisation, p.sector, p.sector_source) == ("AstraZeneca", "other", "unresolved")


def test_rule_order_academic_before_medical():
    assert classify("Univ Tokyo Hosp") == "academic"
    assert classify("Pfizer Inc") == "corporate"
    assert classify("Novartis AG") == "corporate"
    assert classify("AG Research Unit") is None  # AG only counts as the last token


def test_legal_forms_rejoined():
    assert split_segments("Shionogi & Co., Ltd., Osaka, Japan") == ["Shionogi & Co., Ltd.", "Osaka", "Japan"]


def test_name_variants_share_a_key():
    assert name_key("The University of Tokyo") == name_key("Univ Tokyo") == "university tokyo"
    assert name_key("Kyoto University") == name_key("Kyoto Univ")
    assert name_key("Tokyo Medical and Dental University") == name_key("Tokyo Med & Dental Univ")
    assert name_key("Kyoto University") != name_key("Kyoto Prefectural University")


def test_openalex_types():
    assert [sector_of_type(t) for t in ("education", "company", "healthcare", "government", "facility", "funder")] == [
        "academic", "corporate", "medical", "government", "other", "other"]
