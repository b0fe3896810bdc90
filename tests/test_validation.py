"""helpers.validation: the shared argument checks, each rule at its edge."""

import numpy as np
import pytest

from helpers.validation import (SYMMETRY_RTOL, count, function, generator, positive,
                                probabilities, real_array, real_scalar, spd_cholesky)


def test_real_array_and_scalar():
    array = real_array("x", [1, 2.5])
    assert array.dtype == np.float64 and array.tolist() == [1.0, 2.5]
    assert real_scalar("x", np.float32(2.5)) == 2.5
    assert type(real_scalar("x", 3)) is float
    for bad, words in (("abc", "x must be real numbers"), ([1, np.nan], "x must be finite"),
                       (np.inf, "x must be finite"), (None, "x must be")):
        with pytest.raises(ValueError, match=words):
            real_array("x", bad)
    with pytest.raises(ValueError, match="x must be a single number, got shape \\(2,\\)"):
        real_scalar("x", [1.0, 2.0])


def test_positive():
    assert positive("v", [0.5, 2]).tolist() == [0.5, 2.0]
    for bad in (0.0, -1e-300, [1.0, -2.0]):
        with pytest.raises(ValueError, match="v must be positive"):
            positive("v", bad)


def test_probabilities():
    assert probabilities("p", [0.25, 0.75]).tolist() == [0.25, 0.75]
    probabilities("p", [0.5, 0.5 + 5e-13])                       # within atol = 1e-12
    probabilities("p", [0.5, 0.5 + 5e-7], atol=1e-6)
    for bad, words in (([0.5, 0.5 + 5e-12], "p must sum to 1"), ([1.5, -0.5], "non-negative"),
                       ([[0.5, 0.5]], "1-D probability vector"), ([], "1-D probability"),
                       (0.3, "1-D probability")):
        with pytest.raises(ValueError, match=words):
            probabilities("p", bad)
    with pytest.raises(ValueError, match="p must sum to 1"):
        probabilities("p", [0.5, 0.5 + 2e-6], atol=1e-6)


def test_count():
    assert count("n", 3) == 3 and type(count("n", np.int64(3))) is int
    assert count("n", 0, minimum=0) == 0
    assert count("n", 2, minimum=2) == 2
    for bad in (0, -1, True, 2.0, "3", None):
        with pytest.raises(ValueError, match=r"n must be a positive integer, got"):
            count("n", bad)
    with pytest.raises(ValueError, match=r"n must be an integer >= 2, got 1"):
        count("n", 1, minimum=2)


def test_generator_and_function():
    rng = np.random.default_rng(0)
    assert generator("rng", rng) is rng
    with pytest.raises(TypeError, match="rng must be a numpy Generator.*got NoneType"):
        generator("rng", None)
    assert function("f", len) is len
    with pytest.raises(TypeError, match="f must be a function, got int"):
        function("f", 3)


def test_spd_cholesky():
    matrix = np.array([[4.0, 2.0], [2.0, 3.0]])
    factor = spd_cholesky("c", matrix, 2)
    assert np.allclose(factor @ factor.T, matrix, rtol=1e-14)
    assert factor[0, 1] == 0.0                                     # lower triangular
    assert spd_cholesky("c", np.zeros((0, 0)), 0).shape == (0, 0)  # empty is allowed
    nearly = matrix.copy()
    nearly[0, 1] += 0.5 * SYMMETRY_RTOL * 4.0                      # within the tolerance
    spd_cholesky("c", nearly, 2)
    skew = matrix.copy()
    skew[0, 1] += 2 * SYMMETRY_RTOL * 4.0
    for bad, words in ((skew, "c must be symmetric"), (-matrix, "positive definite"),
                       (np.eye(3), r"c must have shape \(2, 2\)"),
                       ([[1.0, np.nan], [np.nan, 1.0]], "c must be finite")):
        with pytest.raises(ValueError, match=words):
            spd_cholesky("c", bad, 2)
    # the tolerance is relative to the largest entry
    big = matrix * 1e6
    big[0, 1] += 0.5 * SYMMETRY_RTOL * 4e6
    spd_cholesky("c", big, 2)


def test_every_check_names_the_argument():
    for check in (real_scalar, positive, probabilities):
        with pytest.raises(ValueError, match="arg must be real numbers"):
            check("arg", "abc")
        with pytest.raises(ValueError, match="arg must be finite"):
            check("arg", [np.nan] if check is probabilities else np.nan)


def test_probability_edges():
    assert probabilities("p", [1.0]).tolist() == [1.0]            # one state
    assert probabilities("p", [0.0, 1.0]).tolist() == [0.0, 1.0]  # a zero entry is allowed
    probabilities("p", [0.75, 0.75], atol=0.5)                    # |sum - 1| = atol exactly
