"""helpers.bayes against independent computations: scipy densities, the multivariate
Student t, numerical integration over (w, tau), numerical optimisation, simulation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from helpers.bayes import (MeanField, NormalGammaRegression, cavi, elbo, fixed_point,
                           fixed_point_gap, initial_q, kl_gamma, kl_to_posterior,
                           log_gamma_pdf, log_q, polynomial_design, sample_q,
                           update_tau, update_w)

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)


def make_model(seed=0, n=12, d=3, a0=2.5, b0=0.7):
    rng = np.random.default_rng(seed)
    design = rng.standard_normal((n, d))
    targets = design @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n)
    B = rng.standard_normal((d, d))
    return NormalGammaRegression(design, targets, rng.standard_normal(d),
                                 B @ B.T + 0.5 * np.eye(d), a0, b0)


def random_q(rng, d):
    A = rng.standard_normal((d, d))
    return MeanField(rng.standard_normal(d), A @ A.T + 0.2 * np.eye(d),
                     float(rng.uniform(1, 10)), float(rng.uniform(0.2, 3)))


MODEL = make_model()
# a one-weight model, for brute-force integration over (w, tau)
RNG1 = np.random.default_rng(7)
X1 = RNG1.uniform(-1, 1, 6)[:, None]
MODEL1 = NormalGammaRegression(X1, 0.8 * X1[:, 0] + 0.3 * RNG1.standard_normal(6),
                               [0.2], [[1.5]], 3.0, 1.0)


NODES = np.polynomial.legendre.leggauss(300)       # Gauss-Legendre on [-1, 1]


def integral(f, w_range=(-6, 6), tau_range=(0, 40)):
    """Integral of f(w, tau) over a box holding all the mass of MODEL1, by
    tensor-product Gauss-Legendre quadrature (brute force, vectorised); f gets
    w with a last axis of length 1."""
    x, weights = NODES
    (w0, w1), (t0, t1) = w_range, tau_range
    w = (w1 - w0) / 2 * x + (w1 + w0) / 2
    tau = (t1 - t0) / 2 * x + (t1 + t0) / 2
    W, T = np.meshgrid(w, tau, indexing="ij")
    values = f(W[..., None], T)
    return (w1 - w0) * (t1 - t0) / 4 * weights @ values @ weights


def integrate_exp(log_f, times=lambda w, t: 1.0, **box):
    """Integral of times(w, tau) * exp(log_f(w, tau))."""
    return integral(lambda w, t: times(w[..., 0], t) * np.exp(log_f(w, t)), **box)


# ---- exact quantities ---------------------------------------------------------------

def test_log_joint_matches_scipy():
    rng = np.random.default_rng(1)
    w, tau = rng.standard_normal((5, MODEL.d)), rng.gamma(2.0, 1.0, 5)
    expected = [stats.gamma.logpdf(t, MODEL.a0, scale=1 / MODEL.b0)
                + stats.multivariate_normal.logpdf(
                    wi, MODEL.prior_mean, np.linalg.inv(t * MODEL.prior_precision))
                + stats.norm.logpdf(MODEL.targets, MODEL.design @ wi,
                                    1 / np.sqrt(t)).sum()
                for wi, t in zip(w, tau)]
    np.testing.assert_allclose(MODEL.log_joint(w, tau), expected, rtol=1e-12)


def test_log_evidence_is_a_multivariate_t():
    for seed in range(5):
        m = make_model(seed, n=8, d=seed % 3 + 1)
        shape = m.b0 / m.a0 * (np.eye(m.n) + m.design @ np.linalg.solve(
            m.prior_precision, m.design.T))
        t = stats.multivariate_t(m.design @ m.prior_mean, shape, df=2 * m.a0)
        assert m.log_evidence() == pytest.approx(t.logpdf(m.targets), rel=1e-12)


def test_log_evidence_by_numerical_integration():
    evidence = integrate_exp(MODEL1.log_joint)
    assert np.log(evidence) == pytest.approx(MODEL1.log_evidence(), rel=1e-10)


def test_posterior_moments_by_numerical_integration():
    evidence = integrate_exp(MODEL1.log_joint)
    mean_w = integrate_exp(MODEL1.log_joint, lambda w, t: w) / evidence
    mean_tau = integrate_exp(MODEL1.log_joint, lambda w, t: t) / evidence
    post = MODEL1.posterior()
    assert mean_w == pytest.approx(post.mean[0], rel=1e-7)
    assert mean_tau == pytest.approx(post.shape / post.rate, rel=1e-7)


def test_log_posterior_is_normalised_and_is_bayes_rule():
    assert integrate_exp(MODEL1.log_posterior) == pytest.approx(1.0, rel=1e-10)
    rng = np.random.default_rng(2)
    w, tau = rng.standard_normal((7, MODEL.d)), rng.gamma(3.0, 1.0, 7)
    np.testing.assert_allclose(MODEL.log_posterior(w, tau),
                               MODEL.log_joint(w, tau) - MODEL.log_evidence(),
                               rtol=1e-11)


def test_posterior_rate_is_the_square_completed():
    m, post = MODEL, MODEL.posterior()
    direct = m.b0 + 0.5 * (m.targets @ m.targets
                           + m.prior_mean @ m.prior_precision @ m.prior_mean
                           - post.mean @ post.precision @ post.mean)
    assert post.rate == pytest.approx(direct, rel=1e-12)


def test_polynomial_design_is_vandermonde():
    x = np.linspace(-1, 2, 5)
    np.testing.assert_array_equal(polynomial_design(x, 3), np.vander(x, 4, True))


def test_gamma_helpers_match_scipy_and_quadrature():
    tau = np.array([0.1, 1.0, 4.5])
    np.testing.assert_allclose(log_gamma_pdf(tau, 2.5, 1.5),
                               stats.gamma.logpdf(tau, 2.5, scale=1 / 1.5), rtol=1e-13)
    q, p = stats.gamma(3.0, scale=1 / 2.0), stats.gamma(1.5, scale=1 / 0.4)
    expected, _ = integrate.quad(lambda t: q.pdf(t) * (q.logpdf(t) - p.logpdf(t)),
                                 0, 60, epsabs=1e-13, limit=200)
    assert kl_gamma(3.0, 2.0, 1.5, 0.4) == pytest.approx(expected, rel=1e-9)
    assert kl_gamma(3.0, 2.0, 3.0, 2.0) == pytest.approx(0.0, abs=1e-15)


# ---- the ELBO and the gap -------------------------------------------------------------

Q1 = MeanField(np.array([0.5]), np.array([[0.04]]), 4.0, 3.0)
Q1_BOX = dict(w_range=(-1.5, 2.5), tau_range=(0, 12))


def under_q1(f):
    """E_q1[f(w, tau)] by quadrature, f given on the grid (w with its last axis)."""
    return integral(lambda w, t: np.exp(log_q(Q1, w, t)) * f(w, t), **Q1_BOX)


def test_log_q_matches_scipy():
    rng = np.random.default_rng(3)
    q = random_q(rng, 3)
    w, tau = rng.standard_normal((4, 3)), rng.gamma(2.0, 1.0, 4)
    expected = (stats.multivariate_normal.logpdf(w, q.mean, q.cov)
                + stats.gamma.logpdf(tau, q.shape, scale=1 / q.rate))
    np.testing.assert_allclose(log_q(q, w, tau), expected, rtol=1e-12)


def test_elbo_by_numerical_integration():
    value = under_q1(lambda w, t: MODEL1.log_joint(w, t) - log_q(Q1, w, t))
    assert elbo(MODEL1, Q1) == pytest.approx(value, rel=1e-10)


def test_kl_by_numerical_integration():
    value = under_q1(lambda w, t: log_q(Q1, w, t) - MODEL1.log_posterior(w, t))
    assert kl_to_posterior(MODEL1, Q1) == pytest.approx(value, rel=1e-9)


def test_elbo_and_kl_by_simulation():
    rng = np.random.default_rng(4)
    q = random_q(rng, MODEL.d)
    w, tau = sample_q(q, rng, 200_000)
    terms = MODEL.log_joint(w, tau) - log_q(q, w, tau)
    se = terms.std(ddof=1) / np.sqrt(terms.size)
    assert abs(terms.mean() - elbo(MODEL, q)) < 4 * se
    kl_terms = log_q(q, w, tau) - MODEL.log_posterior(w, tau)
    se = kl_terms.std(ddof=1) / np.sqrt(kl_terms.size)
    assert abs(kl_terms.mean() - kl_to_posterior(MODEL, q)) < 4 * se


def test_sample_q_moments():
    rng = np.random.default_rng(5)
    q = random_q(rng, 2)
    w, tau = sample_q(q, rng, 100_000)
    np.testing.assert_allclose(w.mean(0), q.mean, atol=5 * np.sqrt(q.cov.diagonal()
                                                                    / 1e5).max())
    np.testing.assert_allclose(np.cov(w.T), q.cov, rtol=0.03, atol=0.03)
    assert tau.mean() == pytest.approx(q.shape / q.rate, rel=0.01)


@SETTINGS
@given(seed=st.integers(0, 10_000), d=st.integers(1, 4), n=st.integers(1, 15))
def test_evidence_is_elbo_plus_kl(seed, d, n):
    model = make_model(seed, n=n, d=d)
    q = random_q(np.random.default_rng(seed), d)
    kl = kl_to_posterior(model, q)
    assert kl >= 0
    assert elbo(model, q) + kl == pytest.approx(model.log_evidence(), rel=1e-10,
                                                abs=1e-10)


# ---- CAVI ---------------------------------------------------------------------------

def test_update_tau_is_the_numerical_maximiser():
    q = random_q(np.random.default_rng(6), MODEL.d)
    best = update_tau(MODEL, q)
    res = optimize.minimize(
        lambda p: -elbo(MODEL, q._replace(shape=np.exp(p[0]), rate=np.exp(p[1]))),
        np.log([q.shape, q.rate]), method="Nelder-Mead",
        options=dict(xatol=1e-10, fatol=1e-13, maxiter=4000))
    assert np.exp(res.x) == pytest.approx([best.shape, best.rate], rel=1e-5)
    assert elbo(MODEL, best) >= -res.fun - 1e-12


def test_update_w_is_the_numerical_maximiser():
    model = make_model(8, d=2)
    q = random_q(np.random.default_rng(8), 2)
    best = update_w(model, q, [0, 1])

    def unpack(p):
        L = np.array([[np.exp(p[2]), 0.0], [p[3], np.exp(p[4])]])
        return q._replace(mean=p[:2], cov=L @ L.T)

    L0 = np.linalg.cholesky(q.cov)
    start = np.r_[q.mean, np.log(L0[0, 0]), L0[1, 0], np.log(L0[1, 1])]
    res = optimize.minimize(lambda p: -elbo(model, unpack(p)), start, method="BFGS",
                            options=dict(gtol=1e-10))
    found = unpack(res.x)
    np.testing.assert_allclose(found.mean, best.mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(found.cov, best.cov, rtol=1e-4, atol=1e-7)
    assert elbo(model, best) >= -res.fun - 1e-10


def test_update_w_block_zeroes_the_cross_covariance():
    q = random_q(np.random.default_rng(9), MODEL.d)
    new = update_w(MODEL, q, [1])
    assert np.all(new.cov[1, [0, 2]] == 0) and np.all(new.cov[[0, 2], 1] == 0)
    np.testing.assert_array_equal(new.cov[np.ix_([0, 2], [0, 2])],
                                  q.cov[np.ix_([0, 2], [0, 2])])


@SETTINGS
@given(seed=st.integers(0, 10_000), blocks=st.sampled_from(
    ["full", "diagonal", [[0, 2], [1]], [[2], [0, 1]]]))
def test_cavi_climbs_to_the_closed_form_fixed_point(seed, blocks):
    model = make_model(seed, n=10, d=3)
    run = cavi(model, blocks=blocks)
    assert run.converged
    assert np.all(np.diff(run.elbos) >= -1e-11)
    assert np.all(run.elbos <= model.log_evidence() + 1e-11)
    star = fixed_point(model, blocks)
    np.testing.assert_allclose(run.q.mean, star.mean, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(run.q.cov, star.cov, rtol=1e-6, atol=1e-9)
    gap = model.log_evidence() - run.elbos[-1]
    assert gap == pytest.approx(fixed_point_gap(model, blocks), rel=1e-6, abs=1e-10)
    assert kl_to_posterior(model, star) == pytest.approx(
        fixed_point_gap(model, blocks), rel=1e-10, abs=1e-12)


def test_fixed_point_gap_ignores_the_data_but_not_the_blocks():
    a, b = make_model(1, n=10, d=3), make_model(2, n=10, d=3)
    assert fixed_point_gap(a) == pytest.approx(fixed_point_gap(b), rel=1e-12)
    corr = a.post_precision / np.sqrt(np.outer(a.post_precision.diagonal(),
                                               a.post_precision.diagonal()))
    assert fixed_point_gap(a, "diagonal") == pytest.approx(
        fixed_point_gap(a) - 0.5 * np.linalg.slogdet(corr)[1], rel=1e-12)
    assert fixed_point_gap(a, "diagonal") > fixed_point_gap(a)


def test_initial_q_and_max_sweeps():
    q0 = initial_q(MODEL, "diagonal")
    assert np.count_nonzero(q0.cov - np.diag(q0.cov.diagonal())) == 0
    run = cavi(MODEL, blocks="diagonal", max_sweeps=2)
    assert run.sweeps == 2 and not run.converged
    assert run.elbos.size == 1 + 2 * (MODEL.d + 1)


# ---- validation -------------------------------------------------------------------------

GOOD = dict(design=np.ones((3, 2)), targets=np.zeros(3), prior_mean=np.zeros(2),
            prior_precision=np.eye(2), a0=1.0, b0=1.0)


@pytest.mark.parametrize("change, message", [
    (dict(design="abc"), "design must be real numbers"),
    (dict(design=np.ones(3)), "design must be a non-empty 2-D"),
    (dict(design=np.full((3, 2), np.nan)), "design must be finite"),
    (dict(targets=np.zeros(4)), "targets must have shape"),
    (dict(prior_mean=np.zeros(3)), "prior_mean must have shape"),
    (dict(prior_precision=np.eye(3)), "prior_precision must have shape"),
    (dict(prior_precision=[[1.0, 0.5], [0.0, 1.0]]), "prior_precision must be symmetric"),
    (dict(prior_precision=-np.eye(2)), "prior_precision must be symmetric positive definite"),
    (dict(a0=0.0), "a0 must be a single positive number"),
    (dict(b0=[1.0, 2.0]), "b0 must be a single positive number"),
])
def test_model_validation(change, message):
    with pytest.raises(ValueError, match=message):
        NormalGammaRegression(**{**GOOD, **change})


def test_density_validation():
    with pytest.raises(ValueError, match="w must have last axis"):
        MODEL.log_joint(np.zeros((2, 5)), np.ones(2))
    with pytest.raises(ValueError, match="tau must have shape"):
        MODEL.log_posterior(np.zeros((2, 3)), np.ones(3))
    with pytest.raises(ValueError, match="tau must be positive"):
        MODEL.log_joint(np.zeros((2, 3)), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="tau must be positive"):
        log_gamma_pdf(-1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="shape_q must be a single positive"):
        kl_gamma(0.0, 1.0, 1.0, 1.0)
    q = random_q(np.random.default_rng(0), 3)
    with pytest.raises(ValueError, match="w must have shape"):
        log_q(q, np.zeros((2, 2)), np.ones(2))


@pytest.mark.parametrize("x, degree, message", [
    (np.zeros((2, 2)), 2, "x must be a non-empty 1-D"),
    ([], 2, "x must be a non-empty 1-D"),
    ([0.0, 1.0], -1, "degree must be a non-negative integer"),
    ([0.0, 1.0], 1.5, "degree must be a non-negative integer"),
    ([0.0, 1.0], True, "degree must be a non-negative integer"),
])
def test_polynomial_design_validation(x, degree, message):
    with pytest.raises(ValueError, match=message):
        polynomial_design(x, degree)


def test_q_validation():
    good = random_q(np.random.default_rng(0), 3)
    cases = [
        ((1.0, 2.0), "q must be a MeanField"),
        (good._replace(mean=np.zeros(2)), "q.mean must have shape"),
        (good._replace(cov=np.eye(2)), "q.cov must have shape"),
        (good._replace(cov=-np.eye(3)), "q.cov must be symmetric positive definite"),
        (good._replace(shape=0.0), "q.shape must be a single positive"),
        (good._replace(rate=np.inf), "q.rate must be finite"),
    ]
    for q, message in cases:
        with pytest.raises((ValueError, TypeError), match=message):
            elbo(MODEL, q)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        sample_q(good, 0, 5)
    with pytest.raises(ValueError, match="size must be a positive integer"):
        sample_q(good, np.random.default_rng(0), 0)


@pytest.mark.parametrize("block", [[], [3], [0, 0], [0.5], [[0, 1]], -1])
def test_update_w_block_validation(block):
    with pytest.raises(ValueError, match="block must be distinct indices"):
        update_w(MODEL, random_q(np.random.default_rng(0), 3), block)


@pytest.mark.parametrize("blocks, message", [
    ("banded", "blocks must be 'full', 'diagonal' or a partition"),
    (5, "blocks must be 'full', 'diagonal' or a partition"),
    ([[0, 1], []], "blocks must be non-empty sequences of integer indices"),
    ([[0.0, 1.0], [2.0]], "blocks must be non-empty sequences of integer indices"),
    ([[0, 1], [1, 2]], "blocks must partition range"),
    ([[0, 1]], "blocks must partition range"),
])
def test_blocks_validation(blocks, message):
    with pytest.raises(ValueError, match=message):
        cavi(MODEL, blocks=blocks)
    with pytest.raises(ValueError, match=message):
        fixed_point_gap(MODEL, blocks)


def test_cavi_validation():
    with pytest.raises(ValueError, match="max_sweeps must be a positive integer"):
        cavi(MODEL, max_sweeps=0)
    with pytest.raises(ValueError, match="tol must be non-negative"):
        cavi(MODEL, tol=-1.0)
    with pytest.raises(ValueError, match="q0.cov must be zero between different"):
        cavi(MODEL, blocks="diagonal", q0=random_q(np.random.default_rng(0), 3))



# ---- edge cases and documented conventions ------------------------------------------------

def test_gamma_density_rejects_tau_zero_and_design_of_degree_zero():
    with pytest.raises(ValueError, match="tau must be positive"):
        log_gamma_pdf(np.array([1.0, 0.0]), 2.0, 1.0)
    np.testing.assert_array_equal(polynomial_design([0.5, -2.0], 0), [[1.0], [1.0]])


def test_initial_q_is_the_prior_at_the_prior_mean_of_tau():
    """q(w_B) = N(m0_B, (a0/b0 Lambda0[B, B])^-1), q(tau) = Gamma(a0, b0), for the full and
    the diagonal family (the diagonal: 1 / (a0/b0 Lambda0[j, j]))."""
    m = MODEL
    full, diag = initial_q(m), initial_q(m, "diagonal")                # default: "full"
    np.testing.assert_allclose(full.cov, m.b0 / m.a0 * np.linalg.inv(m.prior_precision),
                               rtol=1e-12)
    np.testing.assert_allclose(diag.cov, np.diag(m.b0 / (m.a0 * m.prior_precision.diagonal())),
                               rtol=1e-14)
    for q in (full, diag):
        np.testing.assert_array_equal(q.mean, m.prior_mean)
        assert (q.shape, q.rate) == (m.a0, m.b0)


@pytest.mark.parametrize("tol", [0.0, 1e-4])
@pytest.mark.parametrize("blocks", ["full", "diagonal"])
def test_cavi_stops_at_the_first_sweep_that_gains_less_than_tol(blocks, tol):
    """The ELBO at the end of each sweep: every sweep but the last gains >= tol, the last < tol
    (with tol = 0: a sweep that gains exactly 0 does not stop the run; only a rounding loss does)."""
    run = cavi(MODEL, blocks=blocks, tol=tol, max_sweeps=100)
    per_sweep = 1 + (MODEL.d if blocks == "diagonal" else 1)
    ends = run.elbos[::per_sweep]
    assert ends.size == run.sweeps + 1 and (run.converged or tol == 0)
    gains = np.diff(ends)
    assert np.all(gains[:-1] >= tol) and (gains[-1] < tol) == run.converged


def test_cavi_names_q0_in_its_errors():
    with pytest.raises(TypeError, match="q0 must be a MeanField"):
        cavi(MODEL, q0=(np.zeros(3), np.eye(3), 1.0, 1.0))
    with pytest.raises(ValueError, match="q0.cov must be zero between different"):
        cavi(MODEL, blocks=[[0, 1], [2]], q0=random_q(np.random.default_rng(1), 3))


def test_fixed_point_defaults_to_the_full_family():
    """fixed_point(model) is the one-block fixed point: mean m_n, cov (a_n/b_n Lambda_n)^-1."""
    star, m = fixed_point(MODEL), MODEL
    np.testing.assert_allclose(star.mean, m.post_mean, rtol=1e-13)
    np.testing.assert_allclose(star.cov, m.post_rate / m.post_shape * np.linalg.inv(m.post_precision),
                               rtol=1e-12)
