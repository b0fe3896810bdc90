"""Execute one chapter in a fresh kernel, timing it, and read its ledger.

Used by ``tests/benchmark.py`` (chapter times against the floor) and
``tests/strengths.py`` (each labelled result's strength).  Not a test module.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import jupytext
from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
LEDGER = re.compile(r"<!-- elbo-ledger (.*?) -->", re.S)


@dataclass
class Run:
    chapter: str
    floor: float          # fresh kernel + the setup cell (the first code cell)
    total: float          # fresh kernel + every cell
    slowest: list         # [(seconds, cell number, first line)], slowest first
    ledger: dict | None   # the chapter report's data, if it has one

    @property
    def ratio(self) -> float:
        return self.total / self.floor


def _run_cell(client, source: str, timeout: float = 600):
    msg_id = client.execute(source)
    outputs = []
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            raise RuntimeError(f"cell failed: {content['ename']}: {content['evalue']}")
        if kind in ("display_data", "execute_result"):
            outputs.append(content["data"])
        if kind == "status" and content["execution_state"] == "idle":
            return outputs


def run_chapter(name: str) -> Run:
    """Execute ``book/<name>`` top to bottom in a new kernel started in ``book/``."""
    notebook = jupytext.read(BOOK / name)
    cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    start = time.perf_counter()
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(BOOK))
    try:
        times, ledger, floor = [], None, None
        for number, source in enumerate(cells):
            began = time.perf_counter()
            outputs = _run_cell(client, source)
            times.append((time.perf_counter() - began, number, source.strip().splitlines()[0]
                          if source.strip() else ""))
            if floor is None:
                floor = time.perf_counter() - start
            for data in outputs:
                found = LEDGER.search(data.get("text/markdown", ""))
                if found:
                    ledger = json.loads(found.group(1))
        total = time.perf_counter() - start
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return Run(name, floor or total, total, sorted(times, reverse=True), ledger)


def chapters() -> list[str]:
    """The executable chapters, in table-of-contents order."""
    import sys
    sys.path.insert(0, str(ROOT))
    from conftest import is_chapter, toc_files
    return [Path(f).name + ("" if f.endswith(".md") else ".md") for f in toc_files()
            if is_chapter(ROOT / (f if f.endswith(".md") else f + ".md"))]
