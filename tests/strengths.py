"""Print each labelled result of the given chapters with its strength.

    python tests/strengths.py jensen.md elbo.md      # or no argument: every chapter

Each chapter is executed in a fresh kernel; the strengths are those its closing
report records (the same data as the site's ledger.json).
"""

import sys
from collections import Counter

from chapter_run import chapters, run_chapter


def main(names):
    overall = Counter()
    for name in names or chapters():
        run = run_chapter(name)
        if run.ledger is None:
            print(f"{name}: no report")
            continue
        counts = Counter(r["strength"] for r in run.ledger["results"])
        overall.update(counts)
        print(f"{name}: {dict(counts)}  ({run.total:.1f} s)")
        for result in run.ledger["results"]:
            whats = "; ".join(f"{c['strength']}: {c['what'][:90]}" for c in result["checks"])
            print(f"  {result['label']:32s} {result['strength']:16s} {whats}")
    total = sum(overall.values())
    if total:
        print(f"all: {dict(overall)}; proof {overall['proof']}/{total} "
              f"= {overall['proof'] / total:.0%}")


if __name__ == "__main__":
    main(sys.argv[1:])
