"""Mutation testing of the helpers' formulas, one module at a time, with mutmut 3.

Run from the repository root, in the book's environment plus mutmut::

    pip install "mutmut>=3.8,<4"
    python tools/mutation.py helpers/gaussian.py [helpers/finite.py ...]
    python tools/mutation.py --tests tests/test_verify.py helpers/finite.py   # choose the tests

What it measures: for each module, mutmut makes small changes ("mutants") to the
code inside its functions (numbers c -> c+1, operators + - * / ** swapped,
comparisons and and/or swapped, True/False, unary minus dropped, a call's
argument -> None or dropped, an assignment -> None, strings altered, ...) and
runs the module's unit tests against each one.  A mutant the tests fail on is
*killed*; one they pass is a *survivor*: a change to a formula no test notices.
Lines that raise are not mutated (they only word an error message); module-level
constants are not mutated (mutmut changes function bodies only).  mutmut leaves
decorated functions alone (``@property``, ``@cached_property``, a cache or a
thread limit), so in the scratch copy each one is split first: its body becomes an
undecorated function ``<name>__body`` and the decorated ``<name>`` only calls it
(:func:`undecorate`); mutants of the body are reported under ``<name>``.  The
proof cache of :mod:`helpers.verify.proof_cache` is switched off, so that no
mutant is judged by a check an earlier mutant stored.

The tests are ``tests/test_<module>.py`` and the generic bad-input test
``tests/test_bad_input.py``; for a module of a package without its own test
file (``helpers/verify/chain.py``), ``tests/test_verify*.py``; for any other
module without one, the test files of the helper modules that import it (or, if
none does, every unit test).
mutmut then runs, for each mutant, only those of them that call the mutated
function.  The chapters (``book/``) are never run: the work happens in a scratch
copy of ``helpers/`` and ``tests/`` without the root ``conftest.py`` that
collects them.

It prints, per module: mutants, killed, survived (including those no test
reaches), timed out, equivalent, and the score = killed / (mutants -
equivalent); then each survivor as ``file:line`` with the changed line, ready
for a new test against an independent reference.  A survivor that cannot be
killed because it computes the same thing goes in ``tools/mutation-equivalent.txt``
(format explained there) and counts as equivalent instead.  The goal is a score
of at least 0.95 in every module.  Exit status 1 if any module is below it.
"""

import argparse
import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "tools" / "mutation-equivalent.txt"
GOAL = 0.95
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no test reaches it", 33: "no test reaches it",
          36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout"}  # else suspicious
PYTEST_ARGS = ["-o", "addopts=", "-p", "no:xdist", "-p", "no:nbval", "-p", "no:cacheprovider"]
DATA = ["book", "_config.yml", "_toc.yml"]  # read by some unit tests
BAD_INPUT = "tests/test_bad_input.py"       # the generic bad-argument test, for every module


def unit_tests() -> list[str]:
    return sorted(f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_book.py")


def tests_for(module: Path) -> list[str]:
    """tests/test_<module>.py, else tests/test_<package>*.py for a module of a package (helpers/verify/),
    else the tests of the helpers importing it, else every unit test.

    For a module of a package, tests/test_<module>.py counts only if it imports that very module:
    tests/test_ising.py tests helpers/ising.py, not helpers/exercises/ising.py."""
    name = module.stem
    own = ROOT / "tests" / f"test_{name}.py"
    dotted = ".".join((ROOT / module).resolve().relative_to(ROOT).with_suffix("").parts)
    if own.exists() and (module.parent.name == "helpers" or dotted in own.read_text()):
        return [f"tests/test_{name}.py", BAD_INPUT]
    if module.parent.name != "helpers":  # a package such as helpers/verify/: its tests/test_verify*.py
        package = sorted(f"tests/{p.name}" for p in (ROOT / "tests").glob(f"test_{module.parent.name}*.py"))
        if package:
            return package + [BAD_INPUT]
    imports = re.compile(rf"^\s*(from helpers\.{name} import|import helpers\.{name}\b"
                         rf"|from helpers import .*\b{name}\b|from \. import .*\b{name}\b|from \.{name} import)", re.M)
    users = {p for p in (ROOT / "helpers").rglob("*.py") if imports.search(p.read_text())}
    names = {p.parent.name if p.parent.name != "helpers" else p.stem for p in users}
    found = [t for t in unit_tests() if Path(t).stem[5:] in names
             or imports.search((ROOT / t).read_text())]
    return found or unit_tests()


BODY = "__body"   # suffix of a decorated function's body, split off by undecorate()
#: An in-memory cache, dropped by undecorate(): mutmut runs each mutant in a process forked
#: after the unmutated tests ran, so a cached result would stand in for the mutated code.
CACHE = re.compile(r"\s*@(functools\.)?(lru_cache|cache)\b")


def undecorate(source: str) -> str:
    """``source`` with each decorated function (top level or a method) split in two.

    ``@d def f(args): body`` becomes ``def f__body(args): body`` in place (the
    decorator lines blanked) and, right after it (a module may use ``f`` at import),
    ``@d def f(args): return f__body(...)``, passing every argument on.  A lone
    ``@staticmethod`` or ``@classmethod`` is left as it is: mutmut handles those.
    """
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    wrappers: dict[int, list[str]] = {}     # line index after which to insert -> wrapper lines

    def split(node: ast.FunctionDef, method: bool) -> None:
        names = [d.id for d in node.decorator_list if isinstance(d, ast.Name)]
        if not node.decorator_list or names in (["staticmethod"], ["classmethod"]) or "staticmethod" in names:
            return
        start = node.decorator_list[0].lineno - 1
        decorators = [line for line in lines[start:node.lineno - 1] if not CACHE.match(line)]
        for i in range(start, node.lineno - 1):
            lines[i] = "\n"
        if not decorators:                  # only a cache: dropped, the function mutated as it is
            return
        lines[node.lineno - 1] = lines[node.lineno - 1].replace(f"def {node.name}(", f"def {node.name}{BODY}(", 1)
        a = node.args
        positional = [x.arg for x in a.posonlyargs + a.args]
        call = positional[1:] if method else positional
        call += [f"*{a.vararg.arg}"] if a.vararg else []
        call += [f"{x.arg}={x.arg}" for x in a.kwonlyargs]
        call += [f"**{a.kwarg.arg}"] if a.kwarg else []
        target = f"{positional[0]}.{node.name}{BODY}" if method else f"{node.name}{BODY}"
        indent = " " * node.col_offset
        wrappers.setdefault(node.end_lineno, []).extend(
            ["\n", *decorators, f"{indent}def {node.name}({ast.unparse(a)}):\n",
             f"{indent}    return {target}({', '.join(call)})\n"])

    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            split(node, False)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    split(item, True)
    for after in sorted(wrappers, reverse=True):
        lines[after:after] = wrappers[after]
    return "".join(lines)


def read_equivalent() -> set[tuple[str, str, str]]:
    """(file, function, mutated line) of each mutant listed as equivalent."""
    listed = set()
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                path, function, rest = line.split(" | ", 2)   # the code may hold " | " itself
                code, _reason = rest.rsplit(" | ", 1)
                listed.add((path.strip(), function.strip(), code.strip()))
    return listed


def functions(tree: ast.AST) -> dict[str, ast.FunctionDef]:
    """Top-level functions and methods by mutmut's mangled name (f -> x_f, C.m -> xǁCǁm)."""
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[f"x_{node.name}"] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[f"xǁ{node.name}ǁ{item.name}"] = item
    return found


def describe(key: str, module: Path, mutated: str, defs: dict, originals: dict) -> tuple[str, int, str, str]:
    """(function, line in the original file, original line, mutated line) of mutant ``key``.

    ``defs``: the functions of mutmut's mutated file by name; ``originals``: the module's, by mangled name.
    """
    name = key.rsplit(".", 1)[-1]
    mangled = name.rsplit("__mutmut_", 1)[0]
    orig = f"{mangled}__mutmut_orig"
    old = ast.get_source_segment(mutated, defs[orig]).splitlines()
    new = ast.get_source_segment(mutated, defs[name]).replace(name, orig).splitlines()
    mangled = mangled.removesuffix(BODY)    # a decorated function's body: report the function
    start, function = originals[mangled].lineno, mangled[2:].replace("ǁ", ".")
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op != "equal":
            return function, start + i1, " ".join(old[i1:i2]).strip(), " ".join(new[j1:j2]).strip()
    return function, start, "", ""


def run_module(module: Path, tests: list[str], children: int, keep: bool) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="mutation-"))
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "helpers", scratch / "helpers", ignore=skip)
    shutil.copytree(ROOT / "tests", scratch / "tests", ignore=skip)
    (scratch / module).write_text(undecorate((ROOT / module).read_text()))
    # mutmut runs the whole selection twice in its own process (stats, then the clean
    # run) and Hypothesis chains one settings object per test run there, each falling
    # back on the one before: past about 1,000 Hypothesis runs a settings lookup
    # exceeds Python's default recursion limit of 1,000 frames.
    (scratch / "tests" / "conftest.py").write_text("import sys\n\nsys.setrecursionlimit(20_000)\n")
    for name in DATA:
        (scratch / name).symlink_to(ROOT / name)
    config = {"source_paths": ["helpers"], "only_mutate": [module.as_posix()], "also_copy": DATA,
              "do_not_mutate_patterns": [r"^\s*raise\b"], "pytest_add_cli_args": PYTEST_ARGS,
              "pytest_add_cli_args_test_selection": tests}
    (scratch / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + "\n[tool.mutmut]\n"
                                            + "".join(f"{k} = {json.dumps(v)}\n" for k, v in config.items()))
    start = time.monotonic()
    log = scratch / "mutmut.log"
    with log.open("w") as out:
        done = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(children)],
                              cwd=scratch, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "ELBO_PROOF_CACHE": "off"})
    seconds = time.monotonic() - start
    meta = scratch / "mutants" / f"{module}.meta"
    untested = "could not find any test case for any mutant" in log.read_text()  # mutmut stops early
    if (done.returncode and not untested) or not meta.exists():
        sys.exit(f"mutmut failed on {module} (exit {done.returncode}); see {log}")
    codes = {key: 33 if untested else code for key, code in json.loads(meta.read_text())["exit_code_by_key"].items()}
    mutated = (scratch / "mutants" / module).read_text()
    defs = {node.name: node for node in ast.walk(ast.parse(mutated)) if isinstance(node, ast.FunctionDef)}
    originals = functions(ast.parse((ROOT / module).read_text()))
    result = {"module": module, "seconds": seconds, "mutants": len(codes), "killed": 0, "survived": [],
              "timeout": 0, "equivalent": 0}
    equivalent = read_equivalent()
    for key, code in sorted(codes.items()):
        status = STATUS.get(code, f"suspicious, exit {code}")
        if status in ("killed", "timeout"):
            result[status] += 1
            continue
        function, line, old, new = describe(key, module, mutated, defs, originals)
        if (module.as_posix(), function, new) in equivalent:
            result["equivalent"] += 1
        else:
            result["survived"].append((line, function, old, new, "" if status == "survived" else status))
    if keep:
        print(f"  kept {scratch}")
    else:
        shutil.rmtree(scratch)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="+", type=Path, help="helpers/<module>.py, relative to the root")
    parser.add_argument("--tests", nargs="+", help="test files to run instead of the default choice")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="mutants tested in parallel (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (mutmut's mutants/)")
    args = parser.parse_args()
    results = []
    for module in args.modules:
        tests = args.tests or tests_for(module)
        print(f"{module}: tests {' '.join(tests)}", flush=True)
        r = run_module(module, tests, args.jobs, args.keep)
        results.append(r)
        for line, function, old, new, note in sorted(r["survived"]):
            print(f"  survived {module}:{line} ({function}){'  [' + note + ']' if note else ''}\n"
                  f"      - {old}\n      + {new}")
    print(f"\n{'module':28} {'mutants':>7} {'killed':>6} {'survived':>8} {'timeout':>7} {'equiv':>5} {'score':>6} {'seconds':>7}")
    below = False
    for r in results:
        scored = r["mutants"] - r["equivalent"]
        score = r["killed"] / scored if scored else 1.0
        below |= score < GOAL
        print(f"{r['module'].as_posix():28} {r['mutants']:7} {r['killed']:6} {len(r['survived']):8} "
              f"{r['timeout']:7} {r['equivalent']:5} {score:6.3f} {r['seconds']:7.0f}")
    return int(below)


if __name__ == "__main__":
    sys.exit(main())
