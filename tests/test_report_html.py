"""report.html and figures: complete, self-contained, escaped, deterministic; opened in headless Chromium."""
import json
import os

import pytest

from conftest import read_tree

from browser import Page, needs_browser
from toy import toy_corpus
from collabnet.report import analyse, write_report

EVIL = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"




@pytest.fixture(scope="module")
def seed_report(tmp_path_factory, seed_openalex):
    out = tmp_path_factory.mktemp("seed")
    rep, tables = analyse(seed_openalex, ["JP", "NL"])
    write_report(str(out), rep, tables, summary={"files": [], "works": len(seed_openalex.works)})
    return out, rep, tables


def test_report_files_and_determinism(seed_report, seed_openalex, tmp_path):
    out, rep, tables = seed_report
    figs = sorted(os.listdir(out / "figures"))
    # one figure per chart: output per year, third parties, institutions of JP and NL, companies, types, impact
    stems = {"works_by_year", "third_party_countries", "institutions_JP", "institutions_NL", "corporates",
             "collaboration_types", "impact_by_year"}
    assert figs == sorted([f"{s}.png" for s in stems] + [f"{s}.svg" for s in stems])
    assert rep["institution_graph"]["nodes"] == len(open(out / "networks/institution_centrality.csv").readlines()) - 1
    assert (out / "networks/institution_centrality.csv").exists()
    # same input, same bytes: report.html, figures (PNG and SVG), tables
    rep2, tables2 = analyse(seed_openalex, ["JP", "NL"])
    write_report(str(tmp_path), rep2, tables2, summary={"files": [], "works": len(seed_openalex.works)})
    assert read_tree(out) == read_tree(tmp_path)


@needs_browser
def test_report_html_in_chromium(seed_report):
    out, rep, tables = seed_report
    with Page(out / "report.html") as p:
        page = p.page
        assert p.console_errors == [] and p.page_errors == [] and p.requests == []
        n_png = len([f for f in os.listdir(out / "figures") if f.endswith(".png")])
        imgs = page.eval_on_selector_all("img.fig", "els => els.map(e => [e.complete, e.naturalWidth])")
        assert len(imgs) == n_png and all(ok and w > 100 for ok, w in imgs)
        sections = page.eval_on_selector_all("section", "els => els.map(e => e.id)")
        for sid in ("output", "countries-per-work", "third-parties", "institutions-JP", "institutions-NL",
                    "corporates", "collaboration-types", "impact", "networks"):
            assert sid in sections
        # every section has its one-line definition; the key figures show the report's values
        assert page.eval_on_selector_all("section", "els => els.every(e => e.querySelector('p.def'))")
        kpis = page.inner_text("#key-figures")
        assert "5,244" in kpis and "7.0%" in kpis and "29.0%" in kpis and "7.079" in kpis and "\u00d71.37" in kpis
        # the third-party table lists the top country with its count
        top = rep["third_party_countries"][0]
        row = page.inner_text("#third-parties tbody tr:first-child")
        assert top["country"] in row and f"{top['works']:,}" in row


@needs_browser
def test_report_html_escapes_user_data(tmp_path):
    c = toy_corpus()
    a = c.authorships
    a.loc[a["institution"] == "Pfizer", "institution"] = EVIL
    rep, tables = analyse(c, ["JP", "NL"])
    write_report(str(tmp_path), rep, tables)
    html = (tmp_path / "report.html").read_text()
    assert EVIL not in html and "&lt;/script&gt;&lt;script&gt;alert(1)" in html
    with Page(tmp_path / "report.html") as p:
        assert p.dialogs == [] and p.requests == [] and p.page_errors == []
        assert EVIL in p.page.inner_text("#corporates")
    assert json.loads((tmp_path / "report.json").read_text())["corporates"][0]["corporate"] == EVIL


@needs_browser
def test_browser_helper_sees_outgoing_requests_and_dialogs(tmp_path):
    """The harness itself can fail: a page that fetches and alerts is caught."""
    f = tmp_path / "bad.html"
    f.write_text('<html><body><img src="http://example.invalid/x.png"><script>alert("hi")</script></body></html>')
    with Page(f, wait_ms=300) as p:
        assert p.requests == ["http://example.invalid/x.png"] and p.dialogs == ["hi"]


def test_build_writes_html_unless_no_views(tmp_path, fixture_path):
    from click.testing import CliRunner
    from collabnet.cli import main
    r = CliRunner().invoke(main, ["build", fixture_path("scopus_2023.csv"), "--out", str(tmp_path / "a"), "-q"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "a/report.html").exists() and (tmp_path / "a/figures/works_by_year.svg").exists()
    html = (tmp_path / "a/report.html").read_text()
    assert "scopus_2023.csv" in html and "<script" not in html  # no script at all in the report
    r = CliRunner().invoke(main, ["build", fixture_path("scopus_2023.csv"), "--out", str(tmp_path / "b"), "-q",
                                  "--no-views"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "b/report.json").exists() and not (tmp_path / "b/report.html").exists()
    assert not (tmp_path / "b/figures").exists()
