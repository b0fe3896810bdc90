"""Exercises the machine grades: ``check_answer(exercise_id, answer)`` from any cell.

The grader (:mod:`helpers.exercises.grader`) proves an answer equal to the
reference with the book's own two checks, SymPy and exact random points, and
shows a wrong answer a point where it differs.  The exercises themselves are
in one module per chapter (:mod:`helpers.exercises.catalogue`).
"""

from helpers.exercises.catalogue import all_exercises, check_answer, exercise, exercise_symbols
from helpers.exercises.grader import Exercise, Verdict, grade

__all__ = ["check_answer", "exercise_symbols", "exercise", "all_exercises", "grade",
           "Exercise", "Verdict"]
