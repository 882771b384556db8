"""Repeat a real Scopus CSV or WoS plain-text export to N records, each copy with fresh ids and titles.

    python bench/replicate.py IN OUT N

Copies get a new DOI, EID/UT and a title suffix " (copy k)", so no tool can deduplicate them away; the
affiliation data (what the country network is built from) are the real file's.
"""
import csv
import io
import re
import sys


def scopus(src, dst, n):
    raw = open(src, encoding="utf-8-sig", newline="").read()
    rows = list(csv.reader(io.StringIO(raw)))
    head, body = rows[0], rows[1:]
    col = {h: i for i, h in enumerate(head)}
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL if raw.startswith('"') else csv.QUOTE_MINIMAL, lineterminator="\n")
    w.writerow(head)
    k = 0
    while k < n:
        for r in body:
            if k >= n:
                break
            r = list(r)
            copy = k // len(body)
            if copy:
                for name in ("DOI",):
                    if name in col and r[col[name]]:
                        r[col[name]] = f"{r[col[name]]}.c{copy}"
                if "EID" in col:
                    r[col["EID"]] = f"2-s2.0-9{copy:03d}{k:08d}"
                if "Link" in col:
                    r[col["Link"]] = re.sub(r"eid=[^&]*", f"eid=2-s2.0-9{copy:03d}{k:08d}", r[col["Link"]])
                for name in ("PubMed ID", "Art. No."):
                    if name in col and r[col[name]]:
                        r[col[name]] = f"{r[col[name]]}{copy}"
                if "Title" in col:
                    r[col["Title"]] = f"{r[col['Title']]} (copy {copy})"
            w.writerow(r)
            k += 1
    with open(dst, "w", encoding="utf-8-sig", newline="") as f:
        f.write(out.getvalue())


def wos(src, dst, n):
    text = open(src, encoding="utf-8-sig").read()
    head, _, rest = text.partition("\nPT ")
    recs = [r.strip("\n") for r in ("PT " + rest).split("\nER\n")]
    recs = [r for r in recs if r and not r.startswith("EF")]
    out = [head + "\n"]
    k = 0
    while k < n:
        for r in recs:
            if k >= n:
                break
            copy = k // len(recs)
            if copy:
                r = re.sub(r"^UT (\S+)", lambda m: f"UT {m.group(1)}C{copy}", r, flags=re.M)
                r = re.sub(r"^DI (\S+)", lambda m: f"DI {m.group(1)}.c{copy}", r, flags=re.M)
                r = re.sub(r"^PM (\S+)", lambda m: f"PM {m.group(1)}{copy:03d}", r, flags=re.M)
                r = re.sub(r"^TI (.*)$", lambda m: f"TI {m.group(1)} (copy {copy})", r, count=1, flags=re.M)
            out.append(r.rstrip("\n") + "\nER\n\n")
            k += 1
    out.append("EF\n")
    with open(dst, "w", encoding="utf-8-sig") as f:
        f.write("".join(out).replace("\nPT ", "\nPT ", 1))


if __name__ == "__main__":
    src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    (scopus if src.lower().endswith((".csv", ".scopus")) else wos)(src, dst, n)
