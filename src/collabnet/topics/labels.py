"""Deterministic class-based TF-IDF labels (methods.md 7.5): no model, no download."""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache

import pandas as pd

ENGLISH = set("""a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
once only or other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very via was we were what when where which
while who whom why will with within without would you your yours yourself yourselves versus vs among across per upon
toward towards whether""".split())
BIBLIOMETRIC = set("""study studies analysis analyses patient patients result results effect effects using use used
based method methods case cases japan japanese netherlands dutch new novel approach role evaluation review
associated association report trial""".split())


@lru_cache(maxsize=1)
def stop_words() -> frozenset:
    words = set(ENGLISH) | BIBLIOMETRIC
    try:
        import country_converter as coco
        for name in coco.CountryConverter().data["name_short"]:
            words.update(_tokens(str(name)))
    except Exception:  # pragma: no cover - the country list is a nicety
        pass
    return frozenset(words)


_PUNCT = re.compile(r"[^\w\s-]|(?<![\w])-|-(?![\w])|_")


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _raw_tokens(text)]


def _raw_tokens(text: str) -> list[str]:
    return _PUNCT.sub(" ", unicodedata.normalize("NFKC", text)).split()


def lemma(word: str) -> str:
    """A fixed suffix stripper: plural -ies -> -y, -s dropped (not -ss, -us, -is, -ys), nothing else."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ys")) and not word[-2].isdigit():
        return word[:-1]
    return word


def paper_terms(title: str | None, keywords: list[str]) -> tuple[set, dict]:
    """Terms of one paper (1-3-grams of the title, keywords whole and as n-grams) and lemma -> surface form."""
    terms, surface = set(), {}
    for text in [title or ""] + [k for k in keywords if k]:
        for key, surf in _text_grams(text):
            terms.add(key)
            surface.setdefault(key, surf)
    for k in keywords:
        kk = _keyword_term(k)
        if kk is not None:
            terms.add(kk[0])
            surface[kk[0]] = kk[1]  # a keyword's own spelling wins
    return terms, surface


@lru_cache(maxsize=200_000)
def _text_grams(text: str) -> tuple:
    """(lemma key, surface) of the 1-3-grams of one text that neither start nor end with a stop word and
    hold no number, in order (keywords repeat from paper to paper: each is split once)."""
    stops = stop_words()
    raw = _raw_tokens(text)
    toks = [t.lower() for t in raw]
    lem = [lemma(t) for t in toks]
    out = []
    for n in (1, 2, 3):
        for i in range(len(toks) - n + 1):
            g = lem[i:i + n]
            if g[0] in stops or g[-1] in stops or toks[i] in stops or toks[i + n - 1] in stops:
                continue
            if any(t.isdigit() for t in g):
                continue
            out.append((" ".join(g), " ".join(raw[i:i + n])))
    return tuple(out)


@lru_cache(maxsize=200_000)
def _keyword_term(k: str):
    raw = _raw_tokens(k)
    if not raw:
        return None
    key = " ".join(lemma(t.lower()) for t in raw)
    return None if key in stop_words() else (key, " ".join(raw))


def _keywords(row) -> list[str]:
    out = []
    for col in ("keywords", "index_keywords"):
        v = row.get(col)
        if isinstance(v, str) and v:
            out.extend(x.strip() for x in v.split(";") if x.strip())
    return out


def cluster_terms(works: pd.DataFrame, membership: pd.Series, clusters: list, top: int = 10) -> dict:
    """cluster -> [(term surface form, score, tf)] for the given clusters, best first."""
    per_paper = {}
    surf_count: dict = defaultdict(Counter)
    cols = [c for c in ("work_id", "title", "keywords", "index_keywords") if c in works]
    for row in works[cols].to_dict("records"):
        t, s = paper_terms(row.get("title"), _keywords(row))
        per_paper[row["work_id"]] = t
        for k, v in s.items():
            surf_count[k][v] += 1
    f = Counter()
    for t in per_paper.values():
        f.update(t)
    sizes = membership.value_counts()
    A = float(sizes.mean()) if len(sizes) else 1.0
    members = membership.groupby(membership).groups
    out = {}
    for c in clusters:
        ids = list(members.get(c, []))
        n_c = len(ids)
        tf = Counter()
        for w in ids:
            tf.update(per_paper.get(w, ()))
        floor = max(2, 0.1 * n_c)
        cand = {t: v for t, v in tf.items() if v >= floor}
        # a shorter n-gram goes when a longer one containing it has >= 80% of its tf
        drop = set()
        for t, v in cand.items():
            for u, vu in cand.items():
                if u != t and len(u) > len(t) and f" {t} " in f" {u} " and vu >= 0.8 * v:
                    drop.add(t)
                    break
        scored = [((v / n_c) * math.log(1 + A / f[t]), t, v) for t, v in cand.items() if t not in drop]
        scored.sort(key=lambda x: (-x[0], x[1]))
        out[c] = [(_display(t, surf_count), s, v) for s, t, v in scored[:top]]
    return out


def _display(key: str, surf_count) -> str:
    forms = surf_count.get(key)
    if not forms:
        return key
    return sorted(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def label(terms: list) -> str:
    return " \u00b7 ".join(t for t, _, _ in terms[:3])
