"""A cache of SymPy's symbolic proofs, so that rerunning a chapter re-proves only what changed.

A reader who edits one step and reruns the cell (or the chapter) should wait
for that step, not for every SymPy simplification again.  Each successful
:func:`~helpers.verify.symbolic.prove_zero` is remembered under a key made of
the exact expression (``srepr``), the constraints, the SymPy version and the
source of the prover itself; a changed step, a changed prover or another SymPy
gives another key and is proven afresh.  Only the *symbolic* half is cached:
the evaluation at exact random points, the second, independent check of
every ``=``, runs every time.  Failures are never cached.

The cache is a file of JSON lines in ``_build/proof-cache.jsonl`` at the
repository root (``rm -rf _build`` clears it; CI starts without it).  Set
``ELBO_PROOF_CACHE=off`` to disable it, or to a path to move it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import sympy as sp

_ROOT = Path(__file__).resolve().parents[2]
_SOURCE = Path(__file__).resolve().parent / "symbolic.py"
_MEMORY: dict[str, str] | None = None


def _path() -> Path | None:
    setting = os.environ.get("ELBO_PROOF_CACHE", "")
    if setting.lower() in ("off", "0", "no"):
        return None
    return Path(setting) if setting else _ROOT / "_build" / "proof-cache.jsonl"


def key(difference, where) -> str:
    """The cache key of one proof obligation."""
    digest = hashlib.sha256()
    for part in (sp.srepr(difference), sp.srepr(sorted((where or {}).items(), key=str)),
                 sp.__version__, _SOURCE.read_bytes()):
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def _load() -> dict[str, str]:
    global _MEMORY
    if _MEMORY is None:
        _MEMORY = {}
        path = _path()
        if path is not None and path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    _MEMORY[entry["key"]] = entry["method"]
                except (ValueError, KeyError, TypeError):
                    continue          # a torn line from a concurrent writer: ignore it
    return _MEMORY


def lookup(cache_key: str) -> str | None:
    """The rewrite that proved this obligation before, or None."""
    if _path() is None:
        return None
    return _load().get(cache_key)


def store(cache_key: str, method: str) -> None:
    """Remember a successful proof (one appended line; safe with parallel writers)."""
    path = _path()
    if path is None:
        return
    _load()[cache_key] = method
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"key": cache_key, "method": method}) + "\n")
    except OSError:
        pass                          # a read-only checkout: proofs are simply not cached
