"""Run ../shared/tools/seedworld.py with one quadratic loop made linear: the same world, byte for byte.

    python bench/seedworld_linear.py --world jpnl --scale 200 --formats openalex --out DIR

seedworld.py gives every corporate-sector work without a company one of the small "tail" companies
that still have room (``uses[k] < max_each``), and rebuilds that list of open companies from all tail
companies for every such work.  New companies are added as the open ones fill up, so the rebuild costs
grows with the world: fine at scale 20 (about 100k works), hours at scale 200 (about 1M).  Here the
list of open companies is kept up to date instead: a company leaves it when it fills, a new one joins
it when it is created.  It holds the same companies in the same order at every step and the random
draws are the same, so every file the generator writes is identical.  Running the shared generator at
scale 20 both ways gives identical files (md5sum).

The change is applied to the generator's source as it is read; when that source no longer has the
loop (the shared tool was changed), the generator runs unchanged.
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("COLLABNET_SHARED", os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared"))
GENERATOR = os.path.join(SHARED, "tools", "seedworld.py")

QUADRATIC = '''    for i in corp_list:
        if any(itype[k] == "company" for k in insts[i]):
            continue
        free = [k for k in tail_keys if uses[k] < tail["max_each"]]
        if not free:
            extra += 1
            c = (f1, f2)[extra % 2]
            key = (c, f"{tail_company_stem(c, extra)}")
            tail_keys.append(key)
            free = [key]
        key = free[int(rng.integers(len(free)))]
        itype[key] = "company"
        icity[key] = corp_city(key[0])
        insts[i].add(key)
        uses[key] += 1
'''

LINEAR = '''    open_keys = [k for k in tail_keys if uses[k] < tail["max_each"]]
    for i in corp_list:
        if any(itype[k] == "company" for k in insts[i]):
            continue
        if not open_keys:
            extra += 1
            c = (f1, f2)[extra % 2]
            key = (c, f"{tail_company_stem(c, extra)}")
            tail_keys.append(key)
            open_keys = [key]
        key = open_keys[int(rng.integers(len(open_keys)))]
        itype[key] = "company"
        icity[key] = corp_city(key[0])
        insts[i].add(key)
        uses[key] += 1
        if uses[key] >= tail["max_each"]:
            open_keys = [k for k in open_keys if k != key]
'''


def main() -> None:
    with open(GENERATOR, encoding="utf-8") as f:
        source = f.read()
    if QUADRATIC in source:
        source = source.replace(QUADRATIC, LINEAR)
    else:
        print("seedworld_linear: the generator's loop has changed; running it unchanged", file=sys.stderr)
    sys.argv[0] = GENERATOR
    code = compile(source, GENERATOR, "exec")
    exec(code, {"__name__": "__main__", "__file__": GENERATOR})


if __name__ == "__main__":
    main()
