"""helpers.verify.proof_cache with the cache switched on (a file in tmp_path).

Every other test of the checker runs with the cache off (tests/verify_fixtures.py), so
these are the tests that reach the cache's own code: where it lives, what a key is
made of, what is stored and read back, and when nothing is.
"""

import hashlib
import json
from pathlib import Path

import pytest
import sympy as sp

from helpers.verify import proof_cache
from helpers.verify.symbolic import Lemma

a, b = sp.symbols("a b", positive=True)
x = sp.Symbol("x", real=True)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    path = tmp_path / "cache.jsonl"
    monkeypatch.setenv("ELBO_PROOF_CACHE", str(path))
    monkeypatch.setattr(proof_cache, "_MEMORY", None)
    return path


def entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("setting", ["off", "OFF", "0", "no", "No"])
def test_the_cache_is_off_for_each_spelling_of_off(setting, monkeypatch):
    monkeypatch.setenv("ELBO_PROOF_CACHE", setting)
    assert proof_cache._path() is None and not proof_cache.enabled()
    assert proof_cache.lookup("anything") is None


def test_the_cache_lives_in_build_by_default_or_where_the_variable_says(tmp_path, monkeypatch):
    monkeypatch.delenv("ELBO_PROOF_CACHE", raising=False)
    root = Path(proof_cache.__file__).resolve().parents[2]
    assert proof_cache._path() == root / "_build" / "proof-cache.jsonl" and proof_cache.enabled()
    monkeypatch.setenv("ELBO_PROOF_CACHE", "")
    assert proof_cache._path() == root / "_build" / "proof-cache.jsonl"
    monkeypatch.setenv("ELBO_PROOF_CACHE", str(tmp_path / "c.jsonl"))
    assert proof_cache._path() == tmp_path / "c.jsonl"


def test_outside_the_repository_the_cache_lives_in_the_users_cache_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ELBO_PROOF_CACHE", raising=False)
    monkeypatch.setattr(proof_cache, "_ROOT", tmp_path / "site-packages")   # an installed wheel
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert proof_cache._path() == tmp_path / "xdg" / "elbo-book" / "proof-cache.jsonl"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert proof_cache._path() == tmp_path / "home" / ".cache" / "elbo-book" / "proof-cache.jsonl"


def test_the_source_digest_is_of_every_checker_module_in_order(monkeypatch):
    monkeypatch.setattr(proof_cache, "_SOURCE_DIGEST", None)
    digest = hashlib.sha256()
    for module in sorted(Path(proof_cache.__file__).resolve().parent.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes() + b"\0")
    assert proof_cache._source() == digest.digest()
    assert proof_cache._source() is proof_cache._source()       # computed once


def test_a_key_is_the_sha256_of_kind_parts_version_and_source():
    digest = hashlib.sha256()
    for part in ("equal", a, "x"):
        digest.update(proof_cache._serial(part).encode() + b"\0")
    digest.update(proof_cache._serial(sp.__version__).encode() + b"\0")
    digest.update(proof_cache._source())
    assert proof_cache.key("equal", a, "x") == digest.hexdigest()


def test_a_key_changes_with_the_sympy_version(monkeypatch):
    before = proof_cache.key("equal", a)
    monkeypatch.setattr(sp, "__version__", sp.__version__ + ".post1")
    assert proof_cache.key("equal", a) != before


def test_serial_tells_every_kind_of_part_apart():
    serial = proof_cache._serial
    assert serial("a") == "str:a" and serial(3) == "py:3" and serial(None) == "py:None"
    assert serial(("a", 1)) == "(str:a,py:1)" == serial(["a", 1])
    assert serial({"b": 1, "a": 2}) == serial({"a": 2, "b": 1}) == "((str:a,py:2),(str:b,py:1))"
    assert serial(a) == sp.srepr(a)
    distinct = ["a", ("a",), 1, "1", 1.0, a, sp.Integer(1), (a, b), (b, a), {a: 1}, {a: 2}]
    assert len({serial(p) for p in distinct}) == len(distinct)


@pytest.mark.parametrize("expr", [
    a, sp.Integer(3), sp.Rational(2, 7), sp.pi, sp.oo, a + b, a * b**2, sp.log(a + 1) / b,
    sp.Sum(a**x, (x, 0, 5)), sp.Integral(sp.exp(-x**2), (x, -sp.oo, sp.oo)), sp.Eq(a, b),
    sp.ImmutableMatrix([[a, 1], [0, b]]), sp.Dummy("d"), sp.Symbol("n", integer=True)])
def test_tree_determines_an_expression_as_srepr_does(expr):
    tree = proof_cache._tree(expr)
    again = sp.sympify(sp.srepr(expr)) if not isinstance(expr, sp.Dummy) else expr
    assert proof_cache._tree(again) == tree
    for other in (a, b, a + 1, sp.Symbol("a", real=True), sp.Integer(4)):
        assert (proof_cache._tree(other) == tree) == (sp.srepr(other) == sp.srepr(expr))


def test_tree_writes_a_compound_as_class_then_arguments():
    assert proof_cache._tree(sp.log(a)) == (
        f"sympy.functions.elementary.exponential.log({sp.srepr(a)})")
    assert proof_cache._tree(a + 1) == (
        f"sympy.core.add.Add({sp.srepr(sp.Integer(1))},{sp.srepr(a)})")


def test_tree_keeps_the_assumptions_of_undefined_functions_and_the_body_of_a_lemma():
    f_real, f_positive, g = sp.Function("f", real=True), sp.Function("f", positive=True), sp.Function("g")
    trees = {proof_cache._tree(f(a)) for f in (f_real, f_positive, sp.Function("f"), g)}
    assert len(trees) == 4                      # srepr would show the first three alike
    assert proof_cache._tree(f_real(a)).endswith(f"({sp.srepr(a)})")
    t = sp.Symbol("t", positive=True)
    square = type("h", (Lemma,), {"nargs": 1, "body": t**2, "variable": t})
    cube = type("h", (Lemma,), {"nargs": 1, "body": t**3, "variable": t})
    assert proof_cache._tree(square(a)) != proof_cache._tree(cube(a))
    assert proof_cache._tree(square(a)) == (
        f"Lemma[h:{sp.srepr(t)}:{proof_cache._tree(t**2)}]({sp.srepr(a)})")


def test_store_appends_a_line_and_lookup_reads_it_in_a_new_run(cache, monkeypatch):
    assert proof_cache.lookup("k1") is None
    proof_cache.store("k1", {"result": [1, 2]})
    proof_cache.store("k2", "SymPy (direct)")
    assert entries(cache) == [{"key": "k1", "value": {"result": [1, 2]}},
                              {"key": "k2", "value": "SymPy (direct)"}]
    assert proof_cache.lookup("k1") == {"result": [1, 2]}
    monkeypatch.setattr(proof_cache, "_MEMORY", None)             # a new run reads the file
    assert proof_cache.lookup("k2") == "SymPy (direct)" and proof_cache.lookup("k3") is None


def test_a_torn_line_is_skipped_and_the_rest_is_read(cache):
    cache.write_text('{"key": "k1", "value": 1}\n{"key": "k2", "val\n[1, 2]\n{"value": 3}\n'
                     '{"key": "k4", "value": 4}\n')
    assert proof_cache._load() == {"k1": 1, "k4": 4}


def test_store_creates_the_folder_and_a_read_only_place_is_no_error(tmp_path, monkeypatch):
    deep = tmp_path / "new" / "folder" / "cache.jsonl"
    monkeypatch.setenv("ELBO_PROOF_CACHE", str(deep))
    monkeypatch.setattr(proof_cache, "_MEMORY", None)
    proof_cache.store("k", 5)
    assert entries(deep) == [{"key": "k", "value": 5}]
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("ELBO_PROOF_CACHE", str(blocked / "cache.jsonl"))   # a file as folder
    monkeypatch.setattr(proof_cache, "_MEMORY", None)
    proof_cache.store("k", 6)                                  # OSError: simply not cached
    assert proof_cache.lookup("k") == 6                        # still remembered in this run


def test_store_writes_nothing_when_the_cache_is_off(tmp_path, monkeypatch):
    monkeypatch.setenv("ELBO_PROOF_CACHE", "off")
    monkeypatch.setattr(proof_cache, "_MEMORY", None)
    proof_cache.store("k", 1)
    assert proof_cache._MEMORY is None and not list(tmp_path.iterdir())


def test_remembered_reuses_a_kept_result_and_boxes_none_and_tuples(cache):
    calls = []

    @proof_cache.remembered("demo", keep=lambda result: result != "no")
    def square(expr, how):
        calls.append(expr)
        return {"tuple": (sp.sstr(expr**2), "t"), "none": None, "no": "no"}[how]

    assert square(a, "tuple") == ("a**2", "t") and calls == [a]
    assert square(a, "tuple") == ("a**2", "t") and calls == [a]      # remembered: a tuple again
    assert square(a, "none") is None and square(a, "none") is None and calls == [a, a]
    assert square(b, "no") == "no" and square(b, "no") == "no" and calls == [a, a, b, b]
    stored = {e["key"]: e["value"] for e in entries(cache)}
    assert stored[proof_cache.key("demo", a, "none")] == {"result": None}
    assert proof_cache.key("demo", b, "no") not in stored
    assert square.__name__ == "square"


def test_remembered_calls_through_when_the_cache_is_off(monkeypatch):
    monkeypatch.setenv("ELBO_PROOF_CACHE", "off")
    calls = []

    @proof_cache.remembered("demo")
    def double(expr):
        calls.append(expr)
        return 2 * expr

    assert double(a) == double(a) == 2 * a and calls == [a, a]


def test_a_remembered_integral_is_read_back_without_integrating_again(cache, monkeypatch):
    gauss = sp.exp(-(x - b) ** 2 / (2 * a))
    first = proof_cache.integrate(gauss, [x, -sp.oo, sp.oo])       # a list: read as a Tuple
    assert first == sp.sqrt(2 * sp.pi * a)
    assert entries(cache) == [{"key": proof_cache.key("integrate", gauss, sp.Tuple(x, -sp.oo, sp.oo)),
                               "value": {"srepr": sp.srepr(first)}}]
    monkeypatch.setattr(proof_cache, "_MEMORY", None)
    monkeypatch.setattr(sp, "integrate", lambda *args: pytest.fail("integrated again"))
    assert proof_cache.integrate(gauss, (x, -sp.oo, sp.oo)) == first


def test_an_integral_is_not_remembered_when_off_or_unevaluated(cache, monkeypatch):
    f = sp.Function("f")
    assert proof_cache.integrate(f(x), (x, 0, 1)).has(sp.Integral) and not cache.exists()
    assert proof_cache.integrate(x, (x, 0, 1)) == sp.Rational(1, 2) and len(entries(cache)) == 1
    monkeypatch.setenv("ELBO_PROOF_CACHE", "off")
    assert proof_cache.integrate(x**2, (x, 0, 1)) == sp.Rational(1, 3) and len(entries(cache)) == 1
