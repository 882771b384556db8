"""How right each tool's country network is, on the files the speed benchmark reads (bench/run.py times them).

    python bench/correctness.py [--no-pybibx]

For each input the peers that read it (metaknowledge, in bench/work/mk-venv as bench/run.py makes it, the
plain pandas + networkx script, and pyBibX in bench/work/pybibx-venv when it is there) print the country
labels of every record (metaknowledge and the script: the last ", " element of each address, neither has a
country parser; pyBibX: its own countries of each document), and collabnet reads the file into a corpus.  Each peer label is
then named by country_converter (an independent library, not collabnet's parser):

- a country: the label names one (its ISO code), and is the most frequent label of that code;
- a variant: it names a country that another label already names (one country, two nodes);
- a US state or ZIP fragment: "AK 99503 USA" (WoS writes "City, ST ZIP USA"), which names no country as a
  whole and becomes a node of its own;
- not a country: a city, an institution or a fragment of one.

The figures are the nodes, the countries named (after merging variants), the countries found by one tool and
not the other, the records without any country, and the records each tool keeps.  On the planted world the
truth is known: every country's works (truth.json) against each tool's count for it.  The real files are read
as they are (not the x100k copies of bench/run.py: those repeat the same records with fresh ids and titles,
so every share is the same).  Writes the section "correctness" of bench/RESULTS.md.
"""
from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import HERE, SHARED, WORK, machine, write_section  # noqa: E402

# "AK 99503 USA" (WoS), "MA" (Scopus "Boston, MA"): a state and ZIP code, not a country; country_converter would
# read a bare two-letter label as an ISO code (MA: Morocco)
US_FRAGMENT = re.compile(r"^[A-Z]{2}(?: \d{5}(?:-\d{4})?)?(?: USA)?$")
# WoS writes the United Kingdom's nations, country_converter knows England only; "UK" is no state code
UK_NATIONS = {"UK": "GB", "England": "GB", "Scotland": "GB", "Wales": "GB", "North Ireland": "GB", "Northern Ireland": "GB"}
INPUTS = [
    ("real Scopus: superconductors (metaknowledge's own test file)", "data/real/scopus/superconductors_metaknowledge_2016.csv", "scopus"),
    ("real WoS: capture-recapture, part 1", "data/real/wos/capture_recapture_part01.txt", "wos"),
    ("real WoS: KTH, with mega-author papers", "data/real/wos/kth_2025_nobom.txt", "wos"),
    ("seed world S=1 scopus.csv (planted truth)", "data/seedworld/jpnl/scopus.csv", "scopus"),
]


def name_labels(labels) -> dict:
    """label -> ISO 3166-1 alpha-2 code, or None when the label names no country (country_converter)."""
    import country_converter as coco
    logging.getLogger("country_converter").setLevel(logging.ERROR)
    labels = [lab for lab in labels if lab in UK_NATIONS or not US_FRAGMENT.match(lab)]
    named = {lab: UK_NATIONS[lab] for lab in labels if lab in UK_NATIONS}
    rest = [lab for lab in labels if lab not in named]
    if rest:
        got = coco.CountryConverter().convert(rest, to="ISO2", not_found="-")
        got = got if isinstance(got, list) else [got]
        named.update((lab, code if isinstance(code, str) and len(code) == 2 else None) for lab, code in zip(rest, got))
    return named


def classify(labels: dict) -> dict:
    """A peer's labels (label -> records) sorted into countries, variants, US fragments and non-countries;
    the records per country code after merging its labels."""
    codes = name_labels(labels)
    by_code = defaultdict(list)
    out = {"country": [], "variant": [], "us_fragment": [], "not_country": []}
    for lab, n in labels.items():
        if codes.get(lab):
            by_code[codes[lab]].append((n, lab))
        elif US_FRAGMENT.match(lab):  # (the UK's nations are named above)
            out["us_fragment"].append((n, lab))
        else:
            out["not_country"].append((n, lab))
    for code, labs in by_code.items():
        labs.sort(key=lambda x: (-x[0], x[1]))
        out["country"].append(labs[0])
        out["variant"] += [(n, f"{lab} ({code})") for n, lab in labs[1:]]
    for k in out:
        out[k].sort(key=lambda x: (-x[0], x[1]))
    # a record counts once per country even when two of its labels name it: the merged counts are an upper bound
    out["records_per_code"] = {code: sum(n for n, _ in labs) for code, labs in by_code.items()}
    return out


def peer(py: str, script: str, path: str, *args) -> dict:
    r = subprocess.run([py, os.path.join(HERE, "peers", script), path, *args, "--labels"], capture_output=True,
                       text=True)
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["failed"])[-1][:160]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def collabnet_countries(path: str) -> dict:
    import collabnet
    rep = {}
    c = collabnet.read(path, progress=False)
    wc = c.work_countries()
    per = wc.groupby("country")["work_id"].nunique()
    files = c.meta.get("inputs") or []
    rep["records"] = sum(int(f.get("records", 0)) for f in files)
    rep["skipped"] = sum(sum(f.get("skipped", {}).values()) for f in files)
    rep["merged"] = sum(int(f.get("merged_within_file", 0)) for f in files)
    rep["excluded"] = sum(c.meta.get("excluded", {}).values())
    rep["works"] = len(c.works)
    rep["no_country"] = int(len(c.works) - wc["work_id"].nunique())
    rep["per_code"] = {k: int(v) for k, v in per.items()}
    return rep


def examples(rows, k=4) -> str:
    return ", ".join(f"{lab!r} ({n})" for n, lab in rows[:k]) + (" ..." if len(rows) > k else "")


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-pybibx", action="store_true", help="skip pyBibX (about 2 minutes on the 5k planted world)")
    a = ap.parse_args()
    mk = os.path.join(WORK, "mk-venv", "bin", "python")
    pb = os.path.join(WORK, "pybibx-venv", "bin", "python")
    if not os.path.exists(os.path.join(SHARED, "data")):
        sys.exit(f"no {SHARED}/data: the inputs live there")
    L = ["## Correctness against the peers (bench/correctness.py)", "", machine(), "",
         "What each tool's country network holds, on the files that bench/run.py times (there repeated to 100k records "
         "with fresh ids and titles; the labels, and so every share below, are the same). The peers take the last "
         "\", \" element of each address as its country: metaknowledge has no country parser, and the pandas script "
         "is the plain way to do it; pyBibX has a country parser of its own, and its countries of each document are "
         "taken as they are. All their labels are named by country_converter, not by collabnet. "
         "Variant: a second label for a country another label already names (one country, two nodes). "
         "US fragment: \"AK 99503 USA\" (WoS writes \"City, ST ZIP USA\"), or \"MA\" (Scopus \"Boston, MA\"), a node "
         "per state and ZIP code (the United Kingdom's nations, which WoS writes, are named GB). "
         "Not a country: a city, an institution or a piece of one, as a node. Records without a country: no label "
         "at all (peers), no country resolved for any author (collabnet).", ""]
    truth = json.load(open(os.path.join(SHARED, "data/seedworld/jpnl/truth.json")))
    for title, rel, fmt in INPUTS:
        path = os.path.join(SHARED, rel)
        print(title, flush=True)
        cn = collabnet_countries(path)
        tools = {}
        if os.path.exists(mk):
            tools["metaknowledge"] = peer(mk, "metaknowledge_country.py", path)
        else:
            tools["metaknowledge"] = {"missing": "not measured: no bench/work/mk-venv (bench/run.py makes it)"}
        if fmt == "scopus":
            tools["pandas+networkx script"] = peer(sys.executable, "pandas_country.py", path)
        if not a.no_pybibx:
            tools["pyBibX"] = (peer(pb, "pybibx_country.py", path, fmt) if os.path.exists(pb) else
                               {"missing": "not measured: no bench/work/pybibx-venv (bench/run.py --pybibx makes it)"})
        L += [f"### {title}", "", f"`{rel}`", "",
              "| tool | records kept | nodes | countries named | variants | US state/ZIP fragments | not a country | "
              "countries collabnet finds, the tool not | the tool's, not collabnet's | records without a country |",
              "|---|---|---|---|---|---|---|---|---|---|",
              f"| collabnet | {cn['works']:,} of {cn['records']:,} ({cn['merged']} duplicates merged, {cn['skipped']} "
              f"skipped, {cn['excluded']} retracted or paratext) | "
              f"{len(cn['per_code'])} | {len(cn['per_code'])} | 0 | 0 | 0 | - | - | {cn['no_country']:,} |"]
        notes = []
        for tool, r in tools.items():
            if "error" in r or "missing" in r:
                L.append(f"| {tool} | {r['missing'] if 'missing' in r else 'fails: ' + r['error']} | | | | | | | | |")
                continue
            k = classify(r["labels"])
            mine, theirs = set(cn["per_code"]), set(k["records_per_code"])
            L.append(f"| {tool} | {r['records']:,} | {r['nodes']} | {len(theirs)} | {len(k['variant'])} | "
                     f"{len(k['us_fragment'])} | {len(k['not_country'])} | {len(mine - theirs)} | {len(theirs - mine)} | "
                     f"{r['no_country']:,} |")
            parts = [f"{tool}:"]
            if k["variant"]:
                parts.append(f"variants {examples(k['variant'])};")
            if k["us_fragment"]:
                parts.append(f"US fragments {examples(k['us_fragment'])};")
            if k["not_country"]:
                parts.append(f"not countries {examples(k['not_country'])};")
            if mine - theirs:
                parts.append(f"missed {', '.join(sorted(mine - theirs)[:12])};")
            if theirs - mine:
                parts.append(f"only theirs {', '.join(sorted(theirs - mine)[:12])};")
            if len(parts) > 1:
                notes.append(" ".join(parts).rstrip(";").removesuffix(" ...") + (" ..." if parts[-1].endswith("...;") else "."))
            if rel.startswith("data/seedworld"):
                tools[tool]["_codes"] = k["records_per_code"]
        L += ([""] + [f"- {n}" for n in notes]) if notes else []
        if rel.startswith("data/seedworld"):
            want = {r["country"]: r["works"] for r in truth["third_party_countries"]}
            for f in truth["focus"]:
                want[f] = truth["works"]
            L += ["", f"Works per country against truth.json ({len(want)} countries):", "",
                  "| tool | countries with the planted count | off | missing | extra | total works off |",
                  "|---|---|---|---|---|---|"]
            for tool, got in [("collabnet", cn["per_code"])] + [(t, r["_codes"]) for t, r in tools.items()
                                                                 if "_codes" in r]:
                exact = sum(got.get(c) == n for c, n in want.items())
                missing = sum(c not in got for c in want)
                extra = sum(c not in want for c in got)
                off = sum(abs(got.get(c, 0) - n) for c, n in want.items()) + sum(n for c, n in got.items() if c not in want)
                L.append(f"| {tool} | {exact} | {len(want) - exact - missing} | {missing} | {extra} | {off:,} |")
        L.append("")
    write_section("correctness", "\n".join(L))
    print(f"written {os.path.join(HERE, 'RESULTS.md')}")


if __name__ == "__main__":
    main()
