"""A cache of finished checks, so that rerunning a chapter re-checks only what changed.

A reader who edits one step and reruns the cell (or the chapter) should wait
for that step, not for every check again.  Each *passed* check is remembered
under a key made of the exact expressions (``srepr``), the constraints, the
SymPy version and the source of the whole checker (every module of
``helpers/verify``): a changed step, a changed checker or another SymPy gives
another key and is checked afresh.  What is remembered:

- ``zero``: the rewrite with which SymPy reduced a difference to 0;
- ``equal``: a whole ``=`` check (SymPy's proof *and* the agreement at the
  exact random points, which are seeded, so the same expressions always meet
  the same points);
- ``sign``: a certificate found non-negative at its random points;
- ``tex``: a hand-written display read back as the checked expression;
- ``latex``: SymPy's rendering of an expression (display only).

Failures are never remembered, and a remembered check says so on the page
("remembered").  The cache is a file of JSON lines in
``_build/proof-cache.jsonl`` at the repository root (``rm -rf _build`` clears
it); where the helpers run from an installed wheel, not the repository, it is
``elbo-book/proof-cache.jsonl`` in the user's cache folder (``$XDG_CACHE_HOME``,
else ``~/.cache``).  Set ``ELBO_PROOF_CACHE=off`` to disable it (``tests/benchmark.py
--cold`` does), or to a path to move it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import sympy as sp
from sympy.core.function import AppliedUndef

_ROOT = Path(__file__).resolve().parents[2]
_CHECKER = Path(__file__).resolve().parent
_MEMORY: dict[str, object] | None = None
_SOURCE_DIGEST: bytes | None = None


def _source() -> bytes:
    """A digest of the checker's source: every module of ``helpers/verify``."""
    global _SOURCE_DIGEST
    if _SOURCE_DIGEST is None:
        digest = hashlib.sha256()
        for module in sorted(_CHECKER.glob("*.py")):
            digest.update(module.name.encode() + b"\0" + module.read_bytes() + b"\0")
        _SOURCE_DIGEST = digest.digest()
    return _SOURCE_DIGEST


def _path() -> Path | None:
    setting = os.environ.get("ELBO_PROOF_CACHE", "")
    if setting.lower() in ("off", "0", "no"):
        return None
    if setting:
        return Path(setting)
    if (_ROOT / "_config.yml").is_file():                  # running from the repository
        return _ROOT / "_build" / "proof-cache.jsonl"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "elbo-book" / "proof-cache.jsonl"


def key(kind: str, *parts) -> str:
    """The cache key of one check of ``kind`` on ``parts`` (SymPy objects, strings, mappings)."""
    digest = hashlib.sha256()
    for part in (kind, *parts, sp.__version__):
        digest.update(_serial(part).encode())
        digest.update(b"\0")
    digest.update(_source())
    return digest.hexdigest()


def _serial(part) -> str:
    """A text that determines ``part`` completely (two different parts never share one)."""
    if isinstance(part, str):
        return "str:" + part
    if isinstance(part, dict):
        part = sorted(part.items(), key=str)
    if isinstance(part, (list, tuple)):
        return "(" + ",".join(_serial(p) for p in part) + ")"
    if isinstance(part, sp.Basic):
        return _tree(part)
    return "py:" + repr(part)


@functools.lru_cache(maxsize=200_000)
def _tree(expr: sp.Basic) -> str:
    """``srepr`` in effect, several times faster: the class, then the arguments.

    Symbols carry their assumptions, undefined functions theirs, and a lemma
    application the body it stands for (its name alone does not fix it).
    """
    from helpers.verify.symbolic import Lemma
    if isinstance(expr, sp.Symbol):       # Dummy and Wild too: srepr shows their identity
        return sp.srepr(expr)
    if isinstance(expr, Lemma):
        head = f"Lemma[{type(expr).__name__}:{sp.srepr(expr.variable)}:{_tree(expr.body)}]"
    elif isinstance(expr, AppliedUndef):    # srepr omits a function's assumptions
        head = f"{sp.srepr(expr.func)}{sorted(getattr(expr.func, '_kwargs', {}).items())}"
    elif expr.is_Atom or not expr.args:
        return sp.srepr(expr)
    else:
        head = type(expr).__module__ + "." + type(expr).__qualname__
    return head + "(" + ",".join(_tree(a) for a in expr.args) + ")"


def enabled() -> bool:
    """Whether checks are remembered (``ELBO_PROOF_CACHE`` is not ``off``)."""
    return _path() is not None


def _load() -> dict[str, object]:
    global _MEMORY
    if _MEMORY is None:
        _MEMORY = {}
        path = _path()
        if path is not None and path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    _MEMORY[entry["key"]] = entry["value"]
                except (ValueError, KeyError, TypeError):
                    continue          # a torn line from a concurrent writer: ignore it
    return _MEMORY


def lookup(cache_key: str):
    """What a passed check stored under ``cache_key`` before, or None."""
    if _path() is None:
        return None
    return _load().get(cache_key)


def store(cache_key: str, value) -> None:
    """Remember a passed check's result (one appended line; safe with parallel writers)."""
    path = _path()
    if path is None:
        return
    _load()[cache_key] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"key": cache_key, "value": value}) + "\n")
    except OSError:
        pass                          # a read-only checkout: proofs are simply not cached


def remembered(kind: str, keep=lambda result: True):
    """Decorate a deterministic function of SymPy objects and strings: its results are
    remembered under :func:`key` (``kind``, the arguments) when ``keep(result)``."""
    def wrap(function):
        @functools.wraps(function)
        def cached(*parts):
            if not enabled():
                return function(*parts)
            cache_key = key(kind, *parts)
            hit = lookup(cache_key)
            if isinstance(hit, dict) and "result" in hit:     # boxed: a remembered None is a hit
                found = hit["result"]
                return tuple(found) if isinstance(found, list) else found
            result = function(*parts)
            if keep(result):
                store(cache_key, {"result": list(result) if isinstance(result, tuple) else result})
            return result
        return cached
    return wrap


def integrate(expr, *limits):
    """``sympy.integrate(expr, *limits)``, remembered across runs like a passed check.

    For an integral a chapter computes and then checks with a ``Derivation``
    step: the result is a deterministic function of the integrand, the limits
    and SymPy's version (all in the key), so a rerun need not wait for SymPy's
    Meijer-G machinery again.  The result is stored as ``srepr`` and only when
    it reads back as the same expression; an integral SymPy leaves unevaluated
    is not remembered.
    """
    expr = sp.sympify(expr)
    limits = tuple(sp.Tuple(*limit) if isinstance(limit, (tuple, list)) else limit
                   for limit in limits)
    if not enabled():
        return sp.integrate(expr, *limits)
    cache_key = key("integrate", expr, *limits)
    hit = lookup(cache_key)
    if isinstance(hit, dict) and "srepr" in hit:
        return sp.sympify(hit["srepr"])
    result = sp.integrate(expr, *limits)
    text = sp.srepr(result)
    if not result.has(sp.Integral) and sp.sympify(text) == result:
        store(cache_key, {"srepr": text})
    return result
