"""The exercise grader, and every exercise against its reference and its typical wrong answers."""

import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from helpers.exercises import all_exercises, check_answer, exercise, exercise_symbols, grade
from helpers.exercises.catalogue import CHAPTERS, chapter_module
from helpers.exercises.grader import Exercise

BOOK = Path(__file__).resolve().parents[1] / "book"
EXERCISES = all_exercises()


def _wrong_answers():
    cases = []
    for item in EXERCISES.values():
        wrong = chapter_module(item.chapter).WRONG.get(item.id, [])
        cases += [(item.id, n, answer) for n, answer in enumerate(wrong)]
    return cases


# ---- every exercise --------------------------------------------------------------

@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_the_reference_solution_passes(exercise_id):
    item = exercise(exercise_id)
    verdict = check_answer(exercise_id, item.reference)
    assert verdict.status == "correct", verdict


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_each_exercise_has_two_typical_wrong_answers(exercise_id):
    item = exercise(exercise_id)
    assert len(chapter_module(item.chapter).WRONG.get(exercise_id, [])) >= 2


@pytest.mark.parametrize("exercise_id, number, answer", _wrong_answers(),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_a_typical_wrong_answer_is_rejected_with_a_counterexample(exercise_id, number, answer):
    verdict = check_answer(exercise_id, answer)
    assert verdict.status == "wrong", verdict
    assert re.search(r"differs from the correct value by|is off by more than", verdict.message)


def test_the_reference_is_never_revealed():
    for exercise_id, _, answer in _wrong_answers():
        item = exercise(exercise_id)
        references = item.reference if isinstance(item.reference, tuple) else (item.reference,)
        message = check_answer(exercise_id, answer).message
        for reference in references:
            # (a reference that is one symbol is named in every point's description)
            if isinstance(reference, sp.Basic) and reference.free_symbols \
                    and not reference.is_Symbol:
                assert sp.sstr(reference) not in message, (exercise_id, message)


# ---- every chapter has them ----------------------------------------------------

@pytest.mark.parametrize("name", CHAPTERS)
def test_every_chapter_ends_with_three_graded_exercises(name):
    page = BOOK / (name.replace("_", "-") + ".md")
    text = page.read_text(encoding="utf-8")
    assert "\n## Exercises\n" in text, f"{page.name} has no Exercises section"
    tail = text.split("\n## Exercises\n", 1)[1]
    assert "\n## " not in tail, f"the Exercises section of {page.name} must come last"
    labels = re.findall(r":label: ex-([\w-]+)", tail)
    ids = [item.id for item in EXERCISES.values() if item.chapter == page.name]
    assert len(labels) >= 3 and labels == ids, (labels, ids)
    for exercise_id in ids:
        assert re.search(rf'answer = \.\.\..*\ncheck_answer\("{exercise_id}", answer\)', tail), (
            f"{exercise_id}: no answer cell with `answer = ...` and check_answer")
        assert re.search(rf"\{{solution\}} ex-{exercise_id}\n:class: dropdown", tail), (
            f"{exercise_id}: no folded solution")


# ---- the grader on bad and odd answers --------------------------------------------

x = sp.Symbol("x", positive=True)
a, b = sp.symbols("a b", real=True)
ONE = Exercise("test-1", "jensen.md", "1/x", (x,), 1 / x)
PAIR = Exercise("test-2", "jensen.md", "a + b and a b", (a, b), (a + b, a * b))
NUMBER = Exercise("test-3", "jensen.md", "log 2", (), sp.log(2), rtol=1e-8)
q1, q2, q3 = sp.symbols("q1:4", positive=True)
CONSTRAINED = Exercise("test-4", "jensen.md", "q3", (q1, q2, q3), 1 - q1 - q2,
                       where={q3: 1 - q1 - q2})


@pytest.mark.parametrize("answer", [1 / x, "1/x", sp.Symbol("x") ** -1, lambda x: 1 / x,
                                    sp.exp(-sp.log(x))])
def test_equal_answers_in_any_form_are_correct(answer):
    assert grade(ONE, answer).status == "correct"


def test_an_answer_sympy_cannot_prove_but_that_agrees_everywhere_is_only_likely():
    tricky = sp.atan(x) + sp.atan(1 / x) - sp.pi / 2 + 1 / x    # true for x > 0
    verdict = grade(ONE, tricky)
    assert verdict.status in ("agrees", "correct") and verdict.correct


@pytest.mark.parametrize("answer, says", [
    (..., "Replace `...`"),
    (None, "give a formula or a number"),
    (True, "give a formula or a number"),
    ("1/", "could not be read"),
    ("1/y", "uses y, which this exercise does not define; use x"),
    (sp.Symbol("z") + x, "uses z"),
    ([1 / x, x], "give one value, not a list of 2"),
    (np.array([1.0, 2.0]), "not a ndarray of 2"),
    (sp.Matrix([x]), "give a SymPy expression, a number"),
    (float("nan"), "not a finite number"),
    (sp.oo, "not a finite number"),
    (lambda: 1, "calling your function with (x) raised TypeError"),
    ({"x": 1}, "give a SymPy expression"),
])
def test_answers_of_the_wrong_form_get_a_sentence_not_a_crash(answer, says):
    verdict = grade(ONE, answer)
    assert verdict.status in ("invalid", "empty"), verdict
    assert says.lower() in verdict.message.lower(), verdict.message


def test_a_tuple_answer_is_graded_part_by_part():
    assert grade(PAIR, (a + b, b * a)).status == "correct"
    wrong = grade(PAIR, (a + b, a - b))
    assert wrong.status == "wrong" and wrong.message.startswith("Value 2:")
    assert "Give 2 values" in grade(PAIR, (a + b,)).message
    assert "Give 2 values" in grade(PAIR, a + b).message


def test_a_number_is_graded_within_its_stated_tolerance():
    assert grade(NUMBER, 0.6931471805599453).status == "correct"
    assert grade(NUMBER, sp.log(4) / 2).status == "correct"
    low = grade(NUMBER, 0.6931)
    assert low.status == "wrong" and "too small" in low.message and "1e-08" in low.message
    assert "asks for a number, but your answer uses x" in grade(NUMBER, x).message


def test_constraints_are_used_in_both_checks():
    assert grade(CONSTRAINED, q3).status == "correct"
    assert grade(CONSTRAINED, 1 - q1).status == "wrong"


def test_a_pole_in_the_answer_is_a_counterexample_not_a_crash():
    verdict = grade(ONE, 1 / (x - x))
    assert verdict.status == "invalid"     # 1/0 is zoo before any point is drawn
    verdict = grade(ONE, sp.log(x - 1) + 1 / x - sp.log(x - 1))
    assert verdict.correct


def test_an_unknown_exercise_is_a_value_error_naming_the_argument():
    with pytest.raises(ValueError, match="exercise_id 'jensen-99' is not an exercise"):
        check_answer("jensen-99", 1)


def test_exercise_symbols_returns_one_symbol_bare_and_several_as_a_tuple():
    assert isinstance(exercise_symbols("jensen-1"), sp.Symbol)
    assert isinstance(exercise_symbols("jensen-2"), tuple)


def test_hyperbolic_functions_written_with_exponentials_are_proven():
    tanh = Exercise("test-5", "jensen.md", "tanh x", (x,), sp.tanh(x))
    verdict = grade(tanh, (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x)))
    assert verdict.status == "correct" and "exponentials" in verdict.message
    assert grade(tanh, (sp.exp(x) - sp.exp(-x)) / 2).status == "wrong"


# ---- what the reader sees ---------------------------------------------------------

@pytest.mark.parametrize("status, mark", [
    ("correct", "✅ **Correct.**"), ("agrees", "☑ **Very likely correct.**"),
    ("wrong", "❌ **Not yet.**"), ("invalid", "⚠ **Not an answer of the expected form.**"),
    ("empty", "✏ **No answer yet.**")])
def test_each_verdict_shows_its_mark_then_its_message(status, mark):
    from helpers.exercises.grader import Verdict
    verdict = Verdict("ex-1", status, "the message.")
    assert verdict._repr_markdown_() == f"{mark} the message."
    assert repr(verdict) == f"ex-1: {status}: the message."
    assert verdict.correct == (status in ("correct", "agrees"))


def test_an_exercise_knows_what_kind_of_answer_it_wants():
    x = sp.Symbol("x")
    references = [x**2, sp.Rational(1, 2), sp.Float(0.5), 0.5, (x, 1)]
    assert [Exercise("e", "jensen.md", "t", (x,), reference=r).kind for r in references] == [
        "expression", "number", "number", "number", "tuple"]
