"""Time every chapter against its floor, in one run (a benchmark, not a test).

    python tests/benchmark.py              # every chapter
    python tests/benchmark.py vae.md       # some chapters
    python tests/benchmark.py --cold       # without remembered proofs (as in CI)

For each chapter, in a fresh kernel: the *floor* (kernel start plus the
chapter's setup cell, its first code cell), the *total* (kernel start plus
every cell), their ratio, and the slowest cell.  The targets are a ratio of
at most 3 (8 for the VAE chapter, which trains and integrates a network) and
no cell slower than 2 s except where a chapter states why (training, grids).
Run it on an otherwise idle machine: the chapters run one after another.
By default SymPy's proofs remembered from earlier runs are reused, as when a
reader reruns a chapter (:mod:`helpers.verify.proof_cache`); ``--cold``
proves everything afresh, as CI does.
"""

import os
import sys

from chapter_run import chapters, run_chapter

LIMIT = {"vae.md": 8.0}


def main(names):
    rows = []
    print(f"{'chapter':18s} {'floor':>6s} {'total':>6s} {'ratio':>6s} {'limit':>6s}  slowest cell")
    for name in names or chapters():
        run = run_chapter(name)
        seconds, number, first = run.slowest[0]
        limit = LIMIT.get(name, 3.0)
        flag = "" if run.ratio <= limit else "  <- over the limit"
        print(f"{name:18s} {run.floor:6.1f} {run.total:6.1f} {run.ratio:6.2f} {limit:6.1f}  "
              f"{seconds:5.2f} s (cell {number}: {first[:40]}){flag}", flush=True)
        rows.append(run)
    total = sum(r.total for r in rows)
    print(f"all {len(rows)} chapters: {total:.1f} s")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if "--cold" in arguments:
        arguments.remove("--cold")
        os.environ["ELBO_PROOF_CACHE"] = "off"      # the kernels inherit it
    main(arguments)
