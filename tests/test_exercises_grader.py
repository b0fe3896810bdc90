"""The grader's sentences, tolerances and points, one behaviour at a time, and the catalogue.

Each test pins what a reader sees for one specific answer: the exact sentence,
worked out by hand where it holds a number (the first random point of an
exercise in one positive symbol x is x = 1181/250 = 4.724, drawn with the
grader's seed 7), so that a change to a formula, a tolerance, the seed, the
number of points or the wording of a message fails a test.
"""

from importlib import import_module

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

import helpers.exercises.catalogue as catalogue
import helpers.exercises.grader as grader
from helpers.exercises import all_exercises, check_answer, exercise
from helpers.exercises.grader import AGREE, Exercise, grade
from helpers.verify.points import random_points

x = sp.Symbol("x", positive=True)
a, b = sp.symbols("a b", real=True)
y, z = sp.symbols("y z", positive=True)
q1, q2, q3 = sp.symbols("q1:4", positive=True)
ON_SIMPLEX = {q3: 1 - q1 - q2}

ONE = Exercise("one", "jensen.md", "1/x", (x,), 1 / x)
PAIR = Exercise("pair", "jensen.md", "a + b and a b", (a, b), (a + b, a * b))
FIRST = Exercise("first", "jensen.md", "a, for symbols a and b", (a, b), a)
NUMBER = Exercise("number", "jensen.md", "log 2", (), sp.log(2), rtol=1e-8)
MIXED = Exercise("mixed", "jensen.md", "1/x and 1/2", (x,), (1 / x, sp.Rational(1, 2)))
TWO_FORMULAS = Exercise("two", "jensen.md", "1/x and x^2", (x,), (1 / x, x**2))


def on_simplex(reference, symbols=(q1, q2, q3)):
    """An exercise whose reference is written with q1, q2, q3 but, as q3 = 1 - q1 - q2, is a constant."""
    return Exercise("simplex", "jensen.md", "a constant on the simplex", symbols, reference,
                    where=ON_SIMPLEX)


def message(item, answer):
    return grade(item, answer).message


# ---- a wrong formula: the point, the answer's value there and the difference ----------

def test_a_wrong_formula_is_shown_the_first_point_its_value_and_the_difference():
    # x = 4.724: the answer x is 4.724, the reference 1/x is 0.2117, they differ by 4.512
    verdict = grade(ONE, x)
    assert (verdict.exercise, verdict.status) == ("one", "wrong")
    assert verdict.message == ("At x = 1181/250 your answer is 4.72400, which differs "
                               "from the correct value by 4.51.")
    # 2/x: 0.42337 against 0.21169
    assert message(ONE, 2 / x) == ("At x = 1181/250 your answer is 0.423370, which differs "
                                   "from the correct value by 0.212.")


def test_a_point_names_every_symbol_of_the_exercise_even_one_neither_side_uses():
    # a = -4.724, b = -3.125: 2a = -9.448 is off from a by 4.724
    assert message(FIRST, 2 * a) == ("At a = -1181/250, b = -25/8 your answer is -9.44800, "
                                     "which differs from the correct value by 4.72.")


def test_every_symbol_of_either_side_gets_a_value_at_the_points():
    agreed, counter = grader._counterexample(a * b, a, Exercise("e", "jensen.md", "a", (a,), a), 3)
    assert agreed == 0 and "which differs from the correct value by" in counter


def test_an_answer_with_a_pole_at_a_point_is_not_a_finite_number_there():
    assert message(ONE, 1 / (x - sp.Rational(1181, 250))) == (
        "At x = 1181/250 your answer is not a finite number, but the correct one is.")


def test_a_wrong_part_is_named_and_every_wrong_part_is_reported_in_order():
    # a = -4.724, b = -3.125: a - b = -1.599, against a + b = -7.849 and a b = 14.76
    assert grade(PAIR, (a + b, a - b)).message == (
        "Value 2: at a = -1181/250, b = -25/8 your answer is -1.59900, which differs from "
        "the correct value by 16.4.")
    assert grade(PAIR, (a - b, a - b)).message == (
        "Value 1: at a = -1181/250, b = -25/8 your answer is -1.59900, which differs from "
        "the correct value by 6.25. Value 2: at a = -1181/250, b = -25/8 your answer is "
        "-1.59900, which differs from the correct value by 16.4.")


def test_a_part_wrong_only_at_a_later_point_is_caught_by_the_longer_search():
    # floor(1/(2x)) is 0 for x > 1/2, so the first three points (4.7, 3.1, 3.4) agree and
    # SymPy cannot prove it zero; the 8th point, x = 0.2815, gives 1/x + 1 = 4.5524
    answer = (1 / x + sp.floor(1 / (2 * x)), x**2)
    assert grade(TWO_FORMULAS, answer).message == (
        "Value 1: at x = 563/2000 your answer is 4.55240, which differs from the correct "
        "value by 1.00.")


# ---- a right formula: proven, or only agreeing at the points ----------------------------

@pytest.mark.parametrize("answer", [1 / x, "1/x", sp.Symbol("x") ** -1, lambda t: 1 / t])
def test_a_proven_answer_says_how_and_at_how_many_points_it_was_also_exact(answer):
    verdict = grade(ONE, answer)
    assert (verdict.exercise, verdict.status) == ("one", "correct")
    assert verdict.message == "Proven equal to the reference: direct, and exact at 3 random points."


def test_a_proven_tuple_says_so_part_by_part():
    assert grade(PAIR, (a + b, b * a)).message == (
        "Value 1: proven equal to the reference: direct, and exact at 3 random points. "
        "Value 2: proven equal to the reference: direct, and exact at 3 random points.")


def test_a_remembered_proof_is_reported_without_the_caches_note(monkeypatch):
    monkeypatch.setattr(grader, "prove_zero", lambda difference, where=None: "simplify (remembered)")
    assert message(ONE, 1 / x) == ("Proven equal to the reference: simplify, and exact at 3 "
                                   "random points.")


def _finite_only_between(low, high):
    """1 where low <= x <= high (both floors are 1 there), a pole (1/0) everywhere else."""
    return 1 / (sp.floor(x / low) * sp.floor(high / x))


def test_the_first_check_tries_twenty_points_and_counts_those_where_the_reference_is_finite():
    # Of the 4 * 3 + 8 = 20 points drawn with seed 7, the 16th (x = 0.2566) and the 18th
    # (0.2491) lie in [0.249, 0.257]; so does the 21st (0.2551), which is not drawn.
    xs = [float(p[x]) for p in random_points({x}, None, 21, seed=7)]
    inside = [n for n, v in enumerate(xs, start=1) if 0.249 <= v <= 0.257]
    assert inside == [16, 18, 21]
    window = _finite_only_between(sp.Rational(249, 1000), sp.Rational(257, 1000))
    item = Exercise("window", "jensen.md", "finite on a window", (x,), window)
    assert message(item, window) == "Proven equal to the reference: direct, and exact at 2 random points."


def test_a_proof_without_any_point_to_evaluate_says_so():
    # no point of the 20 lies in [1/2, 3/5]
    window = _finite_only_between(sp.Rational(1, 2), sp.Rational(3, 5))
    item = Exercise("window", "jensen.md", "finite on a window", (x,), window)
    assert message(item, window) == ("Proven equal to the reference: direct (neither could be "
                                     "evaluated at any random point).")


UNPROVEN = ("equal to the reference at all 24 exact random points tried, but SymPy could not "
            "prove it in general; simplifying your answer may let it.")


def test_an_answer_wrong_only_where_no_point_falls_is_only_very_likely_correct():
    # floor(1/(1000 x)) is 0 for x > 1/1000, and every one of the 24 points is larger
    verdict = grade(ONE, 1 / x + sp.floor(1 / (1000 * x)))
    assert verdict.status == "agrees" and verdict.correct
    assert verdict.message == "E" + UNPROVEN[1:]


def test_a_part_that_only_agrees_makes_the_whole_answer_only_agree():
    verdict = grade(TWO_FORMULAS, (1 / x + sp.floor(1 / (1000 * x)), x**2))
    assert verdict.status == "agrees"
    assert verdict.message == "Value 1: " + UNPROVEN


def test_a_wrong_part_outweighs_a_part_that_only_agrees():
    verdict = grade(TWO_FORMULAS, (1 / x + sp.floor(1 / (1000 * x)), x**3))
    assert verdict.status == "wrong" and verdict.message.startswith("Value 2: at x = 1181/250 ")


# ---- the tolerance of the points: 35 digits, relative to the larger side ---------------

def test_agreement_at_a_point_allows_a_difference_of_agree_at_values_below_one():
    # the reference q1 + q2 + q3 - 1 is exactly 0 on the simplex
    item = on_simplex(q1 + q2 + q3 - 1)
    assert grade(item, AGREE).status == "agrees"
    assert message(item, 2 * AGREE) == (
        "At q1 = 149/1000, q2 = 117/200, q3 = 133/500 your answer is 2.00000E-35, which "
        "differs from the correct value by 2.00E-35.")


@pytest.mark.parametrize("answer, reference", [(10**35 - 1, 10**35), (10**35, 10**35 - 1)])
def test_agreement_is_relative_to_the_larger_of_the_two_values(answer, reference):
    # a difference of 1 is 1e-35 of 10**35 (agreement) but more than 1e-35 of 10**35 - 1
    assert (1 / AGREE).round() == 10**35 and AGREE * (10**35 - 1) < 1
    assert grade(on_simplex(reference * (q1 + q2 + q3)), answer).status == "agrees"


def test_a_difference_of_two_in_10_to_the_35_is_a_disagreement():
    assert message(on_simplex(10**35 * (q1 + q2 + q3)), 10**35 - 2) == (
        "At q1 = 149/1000, q2 = 117/200, q3 = 133/500 your answer is 1.00000E+35, which "
        "differs from the correct value by 2.00.")


# ---- trigonometric and hyperbolic functions written with exponentials -------------------

def test_a_sine_written_with_exponentials_is_proven_after_the_rewrite():
    t = sp.Symbol("t", real=True)
    item = Exercise("sine", "jensen.md", "sin t", (t,), sp.sin(t))
    verdict = grade(item, (sp.exp(sp.I * t) - sp.exp(-sp.I * t)) / (2 * sp.I))
    assert verdict.status == "correct"
    assert verdict.message.startswith("Proven equal to the reference: written with "
                                      "exponentials, then direct, and exact at 3 random points")


def test_a_trigonometric_identity_proven_directly_is_not_rewritten():
    verdict = grade(ONE, 1 / x + sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1)
    assert verdict.message == ("Proven equal to the reference: expand_log, simplify, and exact "
                               "at 3 random points.")


def test_the_rewrite_uses_the_constraints():
    item = on_simplex(sp.cosh(q3))
    verdict = grade(item, (sp.exp(1 - q1 - q2) + sp.exp(q1 + q2 - 1)) / 2)
    assert verdict.message == ("Proven equal to the reference: written with exponentials, then "
                               "expand, then the constraint, and exact at 3 random points.")


def test_the_rewrite_is_tried_only_where_trigonometric_or_hyperbolic_functions_remain():
    # y**log(z) = z**log(y) needs the rewrite to exponentials, but the sines cancel in the
    # difference, so none is tried: the answer only agrees at the points
    item = Exercise("powers", "jensen.md", "sin y + z^log y", (y, z), sp.sin(y) + z ** sp.log(y))
    assert grade(item, sp.sin(y) + y ** sp.log(z)).status == "agrees"


# ---- a number: within a relative tolerance, too large or too small ----------------------

def test_a_number_within_the_tolerance_is_correct_and_shown_to_eight_digits():
    assert message(NUMBER, 0.6931471805599453) == "0.69314718 is within a relative 1e-08 of the exact value."
    assert message(NUMBER, "log(4)/2") == "0.69314718 is within a relative 1e-08 of the exact value."


def test_a_number_outside_the_tolerance_says_which_way_it_is_off():
    assert message(NUMBER, 0.6931) == "0.6931 is off by more than a relative 1e-08: it is too small."
    assert message(NUMBER, 0.7) == "0.7 is off by more than a relative 1e-08: it is too large."


@pytest.mark.parametrize("answer, status", [(1.5, "correct"), (0.5, "correct"),
                                            (1.5000001, "wrong"), (0.4999999, "wrong")])
def test_the_relative_tolerance_includes_its_boundary(answer, status):
    item = Exercise("one-half", "jensen.md", "1", (), sp.Integer(1), rtol=0.5)
    assert grade(item, answer).status == status


def test_the_tolerance_is_relative_to_the_exact_value_even_when_it_is_small():
    item = Exercise("milli", "jensen.md", "1/1000", (), sp.Rational(1, 1000), rtol=1e-6)
    assert message(item, 1.0000005e-3) == "0.0010000005 is within a relative 1e-06 of the exact value."
    # 5e-7 off is 5e-4 relative
    assert message(item, 1.0005e-3) == "0.0010005 is off by more than a relative 1e-06: it is too large."


@pytest.mark.parametrize("rtol", [-1e-6, float("nan"), 0.0, 9e-30])
def test_an_exercise_refuses_a_tolerance_the_thirty_digits_compared_cannot_honour(rtol):
    with pytest.raises(ValueError, match=r"^rtol must be at least 1e-29, as numbers are "
                                         r"compared to 30 digits; got "):
        Exercise("bad", "jensen.md", "1", (), sp.Integer(1), rtol=rtol)


def test_a_tolerance_finer_than_a_floats_is_honoured():
    half = Exercise("fine", "jensen.md", "1/2", (), sp.Rational(1, 2), rtol=1e-25)
    assert message(half, sp.Rational(1, 2) + sp.Rational(1, 10**26)) == (
        "0.5 is within a relative 1e-25 of the exact value.")
    assert message(half, sp.Rational(1, 2) + sp.Rational(1, 10**20)) == (
        "0.5 is off by more than a relative 1e-25: it is too large.")
    # and the finest allowed
    finest = Exercise("finest", "jensen.md", "1/2", (), sp.Rational(1, 2), rtol=1e-29)
    assert grade(finest, sp.Rational(1, 2) - sp.Rational(1, 10**20)).message == (
        "0.5 is off by more than a relative 1e-29: it is too small.")
    # 1/2 written with irrational numbers is evaluated, not reduced, and still passes
    assert grade(finest, "(sqrt(3) + 1)*(sqrt(3) - 1)/4").status == "correct"


def test_the_exact_value_too_is_evaluated_beyond_a_floats_digits():
    item = Exercise("fine", "jensen.md", "1/2 + 1e-20", (), sp.Rational(1, 2) + sp.Rational(1, 10**20),
                    rtol=1e-25)
    assert message(item, sp.Rational(1, 2)) == ("0.5 is off by more than a relative 1e-25: "
                                                "it is too small.")


@pytest.mark.parametrize("answer, says", [
    (sp.Rational(3, 2) + sp.Rational(1, 10**20), "1.5 is off by more than a relative 0.5: it is too large."),
    (sp.Rational(1, 2) - sp.Rational(1, 10**20), "0.5 is off by more than a relative 0.5: it is too small."),
])
def test_an_answer_just_outside_the_tolerance_is_wrong(answer, says):
    item = Exercise("one-half", "jensen.md", "1", (), sp.Integer(1), rtol=0.5)
    assert message(item, answer) == says
    # the same answer against an exact value just as far inside
    inside = Exercise("one-half", "jensen.md", "1", (), 1 - sp.Rational(1, 10**20), rtol=0.5)
    assert grade(inside, sp.Rational(3, 2)).status == "wrong"


def test_a_complex_answer_to_a_real_number_is_said_to_be_not_real():
    assert message(NUMBER, 1 + 1j) == ("1+1j is off by more than a relative 1e-08: it is not real, "
                                       "but the exact value is.")
    # log(-2) = log 2 + i pi: the real part is right, so neither too large nor too small
    assert message(NUMBER, sp.log(-2)) == ("0.69314718+3.1415927j is off by more than a relative "
                                           "1e-08: it is not real, but the exact value is.")


def test_an_imaginary_part_below_the_digits_compared_is_no_imaginary_part():
    # SymPy evaluates exp(i pi/3) + exp(-i pi/3), which is 1, to 1.0 + 0.e-35*I
    assert message(NUMBER, sp.exp(sp.I * sp.pi / 3) + sp.exp(-sp.I * sp.pi / 3)) == (
        "1 is off by more than a relative 1e-08: it is too large.")
    assert message(NUMBER, 0) == "0 is off by more than a relative 1e-08: it is too small."
    # an imaginary part within the tolerance is shown, and passes
    assert message(NUMBER, 0.6931471805599453 + 1e-12j) == (
        "0.69314718+1e-12j is within a relative 1e-08 of the exact value.")


def test_a_number_that_cannot_be_evaluated_gets_a_sentence():
    assert message(NUMBER, "f(2)") == "Your answer, f(2), has no numerical value."
    assert message(MIXED, (1 / x, sp.Function("g")(1))) == "Value 2, g(1), has no numerical value."


def test_a_complex_exact_value_is_neither_larger_nor_smaller():
    item = Exercise("complex", "jensen.md", "1 + 2i", (), 1 + 2 * sp.I)
    assert message(item, 1 + 2j) == "1+2j is within a relative 1e-06 of the exact value."
    assert message(item, 2 + 2j) == "2+2j is off by more than a relative 1e-06: it is not the exact value."


def test_a_number_too_large_for_a_float_is_graded_not_a_crash():
    assert message(NUMBER, 10**400) == ("1.0000000e+400 is off by more than a relative 1e-08: "
                                        "it is too large.")
    assert message(NUMBER, sp.Integer(10) ** 400) == message(NUMBER, 10**400)
    assert message(ONE, 10**400) == ("At x = 1181/250 your answer is 1.00000E+400, which "
                                     "differs from the correct value by 1.00E+400.")


def test_a_number_part_of_a_tuple_is_named():
    assert grade(MIXED, (1 / x, 0.5)).message == (
        "Value 1: proven equal to the reference: direct, and exact at 3 random points. "
        "Value 2: 0.5 is within a relative 1e-06 of the exact value.")
    assert grade(MIXED, (1 / x, 0.6)).message == (
        "Value 2: 0.6 is off by more than a relative 1e-06: it is too large.")
    assert grade(MIXED, (1 / x, x)).message == "Value 2 should be a number, but uses x."


# ---- how an answer is read -------------------------------------------------------------

@pytest.mark.parametrize("answer", [np.array(0.6931471805599453), np.float64(0.6931471805599453),
                                    np.float32(0.6931472)])
def test_numpy_scalars_and_zero_dimensional_arrays_are_numbers(answer):
    assert message(NUMBER, answer) == "0.69314718 is within a relative 1e-08 of the exact value."


def test_a_python_float_is_read_as_the_fraction_it_rounds():
    # the reference is 1/3 on the simplex; 1/3 in Python is 0.333...33 (16 digits)
    assert grade(on_simplex((q1 + q2 + q3) / 3), 1 / 3).status == "correct"


def test_a_sympy_float_is_taken_at_its_binary_value():
    # sp.Float(1/3) is 0.33333333333333331483 (the double nearest 1/3): 1.85e-17 below 1/3
    assert message(on_simplex((q1 + q2 + q3) / 3), sp.Float(1 / 3)) == (
        "At q1 = 149/1000, q2 = 117/200, q3 = 133/500 your answer is 0.333333, which differs "
        "from the correct value by 1.85E-17.")


def test_a_string_is_read_with_the_exercises_own_symbols_and_assumptions():
    # beta would be SymPy's beta function without the exercise's symbol of that name
    answer = "exp(beta*(J + 2*h)) + exp(beta*(J - 2*h)) + 2*exp(-beta*J)"
    assert check_answer("ising-4", answer).status == "correct"
    beta = sp.Symbol("beta", positive=True)
    item = Exercise("beta", "ising.md", "beta", (beta,), beta)
    # sqrt(beta**2) is beta only because beta is positive
    assert grade(item, "sqrt(beta**2)").message == ("Proven equal to the reference: direct, and "
                                                    "exact at 3 random points.")


def test_a_symbol_typed_afresh_is_the_exercises_symbol_of_that_name():
    assert grade(ONE, 1 / sp.Symbol("x")).status == "correct"
    assert grade(ONE, 1 / sp.Symbol("x", real=True)).status == "correct"


@pytest.mark.parametrize("answer", [q3, "q3", sp.Symbol("q3")])
def test_an_answer_may_use_the_symbol_a_constraint_defines(answer):
    item = on_simplex(1 - q1 - q2, symbols=(q1, q2))
    assert grade(item, answer).message == ("Proven equal to the reference: expand, then the "
                                           "constraint, and exact at 3 random points.")


# ---- answers that are not of the expected form: one exact sentence each -----------------

@pytest.mark.parametrize("answer, says", [
    (None, "Your answer is None; give a formula or a number."),
    (True, "Your answer is True; give a formula or a number."),
    ("1/y + w", "Your answer uses w, y, which this exercise does not define; use x."),
    ([1 / x, x], "Give one value, not a list of 2."),
    (sp.Matrix([x]), "Your answer is a MutableDenseMatrix; give a SymPy expression, a number or "
                     "a string such as 'm**2 / 2'."),
    (float("nan"), "Your answer is nan, not a finite number."),
    (np.float64("-inf"), "Your answer is -inf, not a finite number."),
    (sp.oo, "Your answer is oo, not a finite number."),
    (lambda: 1, "Calling your function with (x) raised TypeError: <lambda>() takes 0 positional "
                "arguments but 1 was given."),
])
def test_an_answer_of_the_wrong_form_gets_one_exact_sentence(answer, says):
    verdict = grade(ONE, answer)
    assert (verdict.exercise, verdict.status, verdict.message) == ("one", "invalid", says)


@pytest.mark.parametrize("infinite", [sp.nan, sp.oo, -sp.oo, sp.zoo])
def test_an_expression_holding_nan_or_an_infinity_is_refused(infinite):
    answer = sp.Piecewise((1 / x, x < 1), (infinite, True))
    assert message(ONE, answer) == "Your answer contains nan or an infinity."


def test_a_function_answer_to_a_number_exercise_is_called_with_no_arguments():
    assert message(NUMBER, lambda: sp.log(2)) == "0.69314718 is within a relative 1e-08 of the exact value."
    assert message(NUMBER, lambda: 1 / 0) == ("Calling your function with no arguments raised "
                                              "ZeroDivisionError: division by zero.")


def test_a_tuple_exercise_wants_a_tuple_of_the_right_length():
    assert message(PAIR, "a + b, a*b") == "Give 2 values, as a tuple, in the order asked."
    assert message(PAIR, a + b) == "Give 2 values, as a tuple, in the order asked."
    assert message(PAIR, [a + b]) == "Give 2 values, in the order asked; you gave 1."
    assert message(PAIR, "c") == "Give 2 values, as a tuple, in the order asked."
    assert message(PAIR, (a + b, "c")) == ("Value 2 uses c, which this exercise does not define; "
                                           "use a, b.")


def test_no_answer_yet_is_asked_for():
    verdict = grade(ONE, ...)
    assert (verdict.exercise, verdict.status, verdict.message) == (
        "one", "empty", "Replace `...` with your answer and run the cell again.")


# ---- every exercise of the catalogue ----------------------------------------------------

def _by_chapter():
    """{id: exercise} read from each chapter's module directly, not through the catalogue."""
    found = {}
    for name in catalogue.CHAPTERS:
        for item in import_module(f"helpers.exercises.{name}").EXERCISES:
            found[item.id] = item
    return found


@pytest.mark.parametrize("exercise_id", sorted(_by_chapter()))
def test_every_reference_uses_only_what_a_reader_may_and_is_exact_at_three_points(exercise_id):
    item = exercise(exercise_id)
    allowed = set(item.symbols) | set(item.where or {})
    references = item.reference if isinstance(item.reference, tuple) else (item.reference,)
    for reference in references:
        assert sp.sympify(reference).free_symbols <= allowed, exercise_id
    verdict = check_answer(exercise_id, item.reference)
    formulas = sum(1 for r in references if sp.sympify(r).free_symbols)
    assert verdict.message.count("and exact at 3 random points") == formulas, verdict


def test_all_exercises_reads_every_chapter_once_and_remembers(monkeypatch):
    monkeypatch.setattr(catalogue, "_BY_ID", None)
    found = all_exercises()
    expected = _by_chapter()
    assert list(found) == list(expected)
    assert all(found[k] is expected[k] for k in expected)
    assert all_exercises() is found


def test_a_chapter_without_a_module_is_skipped(monkeypatch):
    monkeypatch.setattr(catalogue, "_BY_ID", None)
    monkeypatch.setattr(catalogue, "CHAPTERS", ("no_such_chapter", "jensen"))
    assert list(all_exercises()) == ["jensen-1", "jensen-2", "jensen-3"]


def test_a_chapter_module_that_fails_to_import_is_not_hidden(monkeypatch):
    def failing(name):
        raise ModuleNotFoundError("No module named 'missing_dependency'", name="missing_dependency")
    monkeypatch.setattr(catalogue, "_BY_ID", None)
    monkeypatch.setattr(catalogue, "import_module", failing)
    with pytest.raises(ModuleNotFoundError, match="missing_dependency"):
        all_exercises()


def test_two_exercises_with_one_id_are_refused(monkeypatch):
    monkeypatch.setattr(catalogue, "_BY_ID", None)
    monkeypatch.setattr(catalogue, "CHAPTERS", ("jensen", "jensen"))
    with pytest.raises(ValueError, match="^two exercises share the id 'jensen-1'$"):
        all_exercises()


def _unknown(exercise_id):
    with pytest.raises(ValueError) as raised:
        exercise(exercise_id)
    return str(raised.value)


def test_an_unknown_id_lists_the_ids_of_its_chapter():
    assert _unknown("jensen-99") == ("exercise_id 'jensen-99' is not an exercise; known ids "
                                     "include jensen-1, jensen-2, jensen-3")
    assert _unknown("gap-kl-9").endswith("include gap-kl-1, gap-kl-2, gap-kl-3")


def test_an_unknown_id_of_no_chapter_lists_the_first_twelve_ids():
    first = ", ".join(sorted(_by_chapter())[:12])
    assert _unknown("no-such-thing") == (f"exercise_id 'no-such-thing' is not an exercise; known "
                                         f"ids include {first}")
    # the chapter is what comes before the last dash: jensen-extra has no exercise
    assert _unknown("jensen-extra-1").endswith(f"include {first}")


# ---- the formulas the exercises' references are built from -----------------------------
# (each chapter module calls them once, at import; here they are checked against scipy)

def test_the_elbo_chapters_log_normal_density_is_scipys():
    from helpers.exercises.elbo import _log_normal
    for point, mean, var in [(0.3, -1.2, 2.5), (-2.0, 0.5, 0.25)]:
        assert float(_log_normal(point, mean, var)) == pytest.approx(
            stats.norm.logpdf(point, mean, np.sqrt(var)), rel=1e-13)


def test_the_em_chapters_normal_density_is_scipys():
    from helpers.exercises.em import _normal
    for value, mean, var in [(0.3, -1.2, 2.5), (-2.0, 0.5, 0.25)]:
        assert float(_normal(value, mean, var)) == pytest.approx(
            stats.norm.pdf(value, mean, np.sqrt(var)), rel=1e-13)


def test_the_gap_chapters_gaussian_kl_is_the_integral_of_q_log_q_over_p():
    from helpers.exercises.gap_kl import _kl_normal
    for mq, vq, mp, vp in [(0.3, 0.5, -1.0, 2.0), (1.0, 3.0, 0.5, 0.7)]:
        q, p = stats.norm(mq, np.sqrt(vq)), stats.norm(mp, np.sqrt(vp))
        integral, _ = integrate.quad(lambda t: q.pdf(t) * (q.logpdf(t) - p.logpdf(t)), -40, 40,
                                     epsabs=1e-13, epsrel=1e-12)
        assert float(_kl_normal(mq, vq, mp, vp)) == pytest.approx(integral, rel=1e-9)


def test_the_ising_chapters_binary_entropy_is_scipys():
    from helpers.exercises.ising import binary_entropy
    for m in [0.3, -0.8]:
        assert float(binary_entropy(sp.Float(m))) == pytest.approx(
            stats.entropy([(1 + m) / 2, (1 - m) / 2]), rel=1e-13)


def test_the_perception_free_energy_is_the_expected_energy_minus_the_entropy():
    # v ~ N(v_p, Sigma_p), u | v ~ N(v^2, Sigma_u), q = N(phi, s^2): F = E_q[-log p(u, v)] - H[q],
    # the expectation by Gauss-Hermite quadrature (exact for the degree-4 polynomial)
    from helpers.exercises.applications import perception_free_energy
    phi, s, u, v_p, sigma_p, sigma_u = 0.7, 0.4, 1.3, -0.2, 1.5, 0.6
    nodes, weights = np.polynomial.hermite_e.hermegauss(10)
    v = phi + s * nodes
    energy = -(stats.norm.logpdf(v, v_p, np.sqrt(sigma_p))
               + stats.norm.logpdf(u, v**2, np.sqrt(sigma_u)))
    expected = weights @ energy / np.sqrt(2 * np.pi) - stats.norm(phi, s).entropy()
    assert float(perception_free_energy(phi, s, u, v_p, sigma_p, sigma_u)) == pytest.approx(
        expected, rel=1e-12)
