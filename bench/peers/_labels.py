"""What the peer scripts print: one JSON line of their figures, with ``--labels`` also the records per country
label and the records without any (for bench/correctness.py).  Standard library only: it is imported from
each peer's own virtual environment."""
import json
import sys
from collections import Counter


class Labels:
    """Country labels counted once per record."""

    def __init__(self):
        self.counts, self.none = Counter(), 0

    def add(self, found) -> None:
        self.counts.update(found)
        self.none += not found


def emit(out: dict, labels: Labels) -> None:
    if "--labels" in sys.argv:
        out.update(labels=dict(sorted(labels.counts.items())), no_country=labels.none)
    print(json.dumps(out))
