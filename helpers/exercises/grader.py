"""Grade a reader's answer to an exercise with the book's own checks.

An answer is compared with the exercise's reference the way the book checks
every ``=``: SymPy reduces the difference to 0 (:func:`~helpers.verify.symbolic.prove_zero`)
*and* both agree to 50 digits at seeded random points that respect the
symbols' assumptions and the exercise's constraints
(:mod:`helpers.verify.points`).  A wrong answer is shown a point where it and
the reference differ, with the answer's value there and the size of the
difference, never the reference itself.  A numeric answer is graded within a
stated relative tolerance.  Anything else (a wrong type, an unknown symbol, a
tuple of the wrong length, a function that raises) gets a sentence saying what
was expected, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Number
from typing import Mapping

import numpy as np
import sympy as sp
from sympy.functions.elementary.hyperbolic import HyperbolicFunction
from sympy.functions.elementary.trigonometric import TrigonometricFunction

from helpers.verify.points import NoPoint, evaluate, prepare, random_points, validate_where
from helpers.verify.symbolic import prove_zero

#: Points where a correct answer must agree with the reference, and how many are
#: searched for a counter-example when SymPy cannot decide.
POINTS = 3
SEARCH = 24
AGREE = sp.Float(10, 50) ** -35
#: Digits to which a numeric answer and its exact value are evaluated and compared (not
#: as floats: a tolerance finer than a float's, or 10**400, is graded as stated).  An
#: imaginary part below that precision counts as none: SymPy leaves 1.0 + 0.e-35*I for
#: exp(i pi/3) + exp(-i pi/3).
DIGITS = 30
NOISE = sp.Float(10, DIGITS) ** -DIGITS
#: The finest relative tolerance an exercise may state: one the digits compared can honour.
FINEST_RTOL = 10.0 ** (1 - DIGITS)


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    ``symbols`` are the names the reader may use, in the order
    :func:`exercise_symbols` returns them (and a function answer is called
    with).  ``reference`` is a SymPy expression, a number, or a tuple of them.
    ``where`` holds constraints such as ``{q3: 1 - q1 - q2}``, as in the book's
    checks.  ``rtol`` is the tolerance of a numeric answer.
    """

    id: str
    chapter: str
    task: str
    symbols: tuple = ()
    reference: object = None
    where: Mapping | None = None
    rtol: float = 1e-6

    def __post_init__(self):
        if not self.rtol >= FINEST_RTOL:    # (nan and a negative too)
            raise ValueError(f"rtol must be at least {FINEST_RTOL:g}, as numbers are compared "
                             f"to {DIGITS} digits; got {self.rtol!r}")

    @property
    def kind(self) -> str:
        if isinstance(self.reference, tuple):
            return "tuple"
        if isinstance(self.reference, sp.Basic) and self.reference.free_symbols:
            return "expression"
        return "number"


@dataclass(frozen=True)
class Verdict:
    """What the grader says: ``status`` is one of ``correct``, ``agrees`` (right at
    every point tried, not proven in general), ``wrong``, ``invalid`` (not an
    answer of the expected form) or ``empty`` (no answer yet)."""

    exercise: str
    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status in ("correct", "agrees")

    def _repr_markdown_(self) -> str:
        mark = {"correct": "✅ **Correct.**", "agrees": "☑ **Very likely correct.**",
                "wrong": "❌ **Not yet.**", "invalid": "⚠ **Not an answer of the expected form.**",
                "empty": "✏ **No answer yet.**"}[self.status]
        return f"{mark} {self.message}"

    def __repr__(self) -> str:
        return f"{self.exercise}: {self.status}: {self.message}"


class _Invalid(Exception):
    """An answer that cannot be graded; its message is shown to the reader."""


def _names(symbols) -> str:
    return ", ".join(sp.sstr(s) for s in symbols)


def _as_expression(value, exercise: Exercise, part: str) -> sp.Expr:
    """The reader's value as a SymPy expression in the exercise's own symbols."""
    # the symbols of the constraints too (q3 of {q3: 1 - q1 - q2}): an answer may use them
    by_name = {s.name: s for s in (*validate_where(exercise.where), *exercise.symbols)}
    if isinstance(value, bool) or value is None:
        raise _Invalid(f"{part} is {value!r}; give a formula or a number")
    if isinstance(value, str):
        try:
            value = sp.parse_expr(value, local_dict=dict(by_name))
        except Exception as error:       # SymPy's parser raises many kinds
            raise _Invalid(f"{part} {value!r} could not be read as a formula "
                           f"({type(error).__name__}: {error})") from None
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, (Number, np.number)):
        typed = value
        # SymPy, not complex(): an integer too large for a float is still a finite number
        value = sp.nsimplify(value) if isinstance(value, (float, np.floating)) else sp.sympify(value)
        if not value.is_finite:
            raise _Invalid(f"{part} is {typed}, not a finite number")
    if not isinstance(value, sp.Expr):
        raise _Invalid(f"{part} is a {type(value).__name__}; give a SymPy expression, a number "
                       "or a string such as 'm**2 / 2'")
    if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise _Invalid(f"{part} contains nan or an infinity")
    # A symbol typed afresh (sp.Symbol("m") without the exercise's assumptions)
    # is the exercise's symbol of that name.
    value = value.xreplace({s: by_name[s.name] for s in value.free_symbols
                            if s.name in by_name and s != by_name[s.name]})
    allowed = set(by_name.values())
    unknown = sorted((s for s in value.free_symbols if s not in allowed), key=str)
    if unknown and not exercise.symbols:
        raise _Invalid(f"this exercise asks for a number, but {part} uses {_names(unknown)}")
    if unknown:
        raise _Invalid(f"{part} uses {_names(unknown)}, which this exercise does not define; "
                       f"use {_names(exercise.symbols)}")
    return value


def _at(point, symbols) -> str:
    shown = [s for s in symbols if s in point]
    return ", ".join(f"{sp.sstr(s)} = {sp.sstr(point[s])}" for s in shown)


def _counterexample(answer, reference, exercise: Exercise, n: int):
    """``(agreed, sentence)``: points where both agree, and the first where they do not."""
    where = validate_where(exercise.where)
    left, right = prepare(answer.subs(where)), prepare(reference.subs(where))
    symbols = set(exercise.symbols) | left.free_symbols | right.free_symbols
    agreed = 0
    try:
        for point in random_points(symbols, where, 4 * n + 8, seed=7):
            mine, theirs = evaluate(left, point), evaluate(right, point)
            if theirs is None:
                continue
            if mine is None:
                return agreed, (f"at {_at(point, exercise.symbols)} your answer is not a finite "
                                "number, but the correct one is")
            if abs(mine - theirs) > AGREE * max(abs(mine), abs(theirs), 1):
                return agreed, (f"at {_at(point, exercise.symbols)} your answer is "
                                f"{sp.N(mine, 6)}, which differs from the correct value by "
                                f"{sp.N(abs(mine - theirs), 3)}")
            agreed += 1
            if agreed == n:
                break
    except NoPoint as error:
        raise _Invalid(str(error)) from None
    return agreed, None


def _wrong(counter: str, part: str) -> tuple[str, str]:
    return "wrong", f"{part + ': ' if part else ''}{counter}."


def _sentence(message: str) -> str:
    """``message`` as the reader sees it, after the verdict's mark: with a capital."""
    return message[0].upper() + message[1:]


def _grade_expression(answer, reference, exercise: Exercise, part: str) -> tuple[str, str]:
    agreed, counter = _counterexample(answer, reference, exercise, POINTS)
    if counter is not None:
        return _wrong(counter, part)
    method = prove_zero(answer - reference, exercise.where)
    if method is None and (answer - reference).has(HyperbolicFunction, TrigonometricFunction):
        # The book's rewrites never turn tanh or cos into exponentials; a reader may.
        method = prove_zero((answer - reference).rewrite(sp.exp), exercise.where)
        method = method and "written with exponentials, then " + method
    if method is not None:
        points = (f", and exact at {agreed} random points" if agreed else
                  " (neither could be evaluated at any random point)")
        return "correct", (f"{part + ': ' if part else ''}proven equal to the reference: "
                           f"{method.replace(' (remembered)', '')}{points}.")
    agreed, counter = _counterexample(answer, reference, exercise, SEARCH)
    if counter is not None:
        return _wrong(counter, part)
    return "agrees", (f"{part + ': ' if part else ''}equal to the reference at all {agreed} exact "
                      "random points tried, but SymPy could not prove it in general; "
                      "simplifying your answer may let it.")


def _is_real(value) -> bool:
    """Whether ``value`` (evaluated to :data:`DIGITS` digits) is real, to its precision."""
    return abs(sp.im(value)) <= NOISE * abs(value)


def _grade_number(answer, reference, exercise: Exercise, part: str) -> tuple[str, str]:
    if answer.free_symbols:
        raise _Invalid(f"{part or 'the answer'} should be a number, but uses {_names(answer.free_symbols)}")
    mine, theirs = sp.N(answer, DIGITS), sp.N(reference, DIGITS)
    try:
        approximate = complex(mine)
    except TypeError:               # f(2) of an undefined f: no number at all
        raise _Invalid(f"{part or 'your answer'}, {sp.sstr(answer)}, has no numerical value") from None
    error = abs(mine - theirs)
    prefix = f"{part}: " if part else ""
    shown = f"{approximate.real:.8g}" if _is_real(mine) else f"{approximate:.8g}"
    if not np.isfinite(approximate):
        shown = sp.sstr(sp.N(answer, 8))
    if error <= exercise.rtol * max(abs(theirs), 1e-300):
        return "correct", f"{prefix}{shown} is within a relative {exercise.rtol:g} of the exact value."
    if not _is_real(theirs):        # a complex exact value is neither larger nor smaller
        how = "it is not the exact value"
    elif not _is_real(mine):
        how = "it is not real, but the exact value is"
    else:
        how = f"it is {'too large' if sp.re(mine) > sp.re(theirs) else 'too small'}"
    return "wrong", f"{prefix}{shown} is off by more than a relative {exercise.rtol:g}: {how}."


def grade(exercise: Exercise, answer) -> Verdict:
    """Grade ``answer`` against ``exercise`` (see the module docstring)."""
    def verdict(status, message):
        return Verdict(exercise.id, status, message)

    if answer is Ellipsis:
        return verdict("empty", "Replace `...` with your answer and run the cell again.")
    try:
        if callable(answer) and not isinstance(answer, sp.Basic):
            try:
                answer = answer(*exercise.symbols)
            except Exception as error:
                given = f"({_names(exercise.symbols)})" if exercise.symbols else "no arguments"
                raise _Invalid(f"calling your function with {given} raised "
                               f"{type(error).__name__}: {error}") from None
        references = exercise.reference if exercise.kind == "tuple" else (exercise.reference,)
        if exercise.kind == "tuple":
            if isinstance(answer, (str, sp.Basic)) or not hasattr(answer, "__len__"):
                raise _Invalid(f"give {len(references)} values, as a tuple, in the order asked")
            answers = list(answer)
            if len(answers) != len(references):
                raise _Invalid(f"give {len(references)} values, in the order asked; "
                               f"you gave {len(answers)}")
        else:
            if isinstance(answer, (list, tuple, np.ndarray)) and np.ndim(answer) > 0:
                raise _Invalid(f"give one value, not a {type(answer).__name__} of {len(answer)}")
            answers = [answer]
        results = []
        for number, (mine, theirs) in enumerate(zip(answers, references), start=1):
            part = f"value {number}" if len(references) > 1 else ""
            mine = _as_expression(mine, exercise, part or "your answer")
            theirs = sp.sympify(theirs)
            grader = _grade_expression if theirs.free_symbols else _grade_number
            results.append(grader(mine, theirs, exercise, part))
    except _Invalid as why:
        return verdict("invalid", _sentence(str(why)) + ".")
    for status in ("wrong", "agrees"):
        if any(s == status for s, _ in results):
            return verdict(status, " ".join(_sentence(m) for s, m in results if s == status))
    return verdict("correct", " ".join(_sentence(m) for _, m in results))
