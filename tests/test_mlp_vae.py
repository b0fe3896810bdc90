"""helpers.mlp_vae: the trained MLP VAE, its bounds and its cached weights."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from autograd import grad
from scipy import stats
from scipy.special import expit

from helpers.mlp_vae import (Settings, bernoulli_log_likelihood, binary_digits,
                             cache_path, decoder_logits, elbo_estimate, encode,
                             expected_log_likelihood, init_params, iwae_bounds,
                             log_evidence_grid, log_weights, train, trained)

CACHE = Path(__file__).resolve().parent.parent / "book" / "data"
CHAPTER_SETTINGS = [Settings(), replace(Settings(), beta=0.0)]   # as in book/vae.md


def toy_model(seed=0, data_dim=10, hidden=16):
    """A small random VAE with a 2-D latent, and binary data for it."""
    rng = np.random.default_rng(seed)
    params = init_params(rng, data_dim, hidden, 2)
    x = (rng.random((12, data_dim)) < 0.4).astype(float)
    return params, x


def exact_elbo(params, x, nodes=120):
    mean, log_var = encode(params, x)
    kl = 0.5 * np.sum(mean**2 + np.exp(log_var) - 1 - log_var, axis=1)
    return expected_log_likelihood(params, x, nodes) - kl


# ---- the cached weights ------------------------------------------------------------

def test_the_chapter_caches_exist_and_nothing_else():
    x_train, x_test, *_ = binary_digits()
    expected = {cache_path(x_train, x_test, s, CACHE).name for s in CHAPTER_SETTINGS}
    assert {p.name for p in CACHE.glob("mlp-vae-*.npz")} == expected
    assert sum(p.stat().st_size for p in CACHE.iterdir()) < 2_000_000


@pytest.mark.parametrize("settings", CHAPTER_SETTINGS, ids=["beta=1", "beta=0"])
def test_cached_weights_are_what_training_produces(settings):
    """Retrain from scratch (a few seconds) and compare with the committed file."""
    x_train, x_test, *_ = binary_digits()
    path = cache_path(x_train, x_test, settings, CACHE)
    with np.load(path) as cached:
        assert Settings(**json.loads(str(cached["settings"]))) == settings
        params, history = train(x_train, x_test, settings)
        for i, p in enumerate(params):
            np.testing.assert_allclose(cached[f"param{i}"], p, rtol=1e-9, atol=1e-12)
        for key in ("train", "test"):
            np.testing.assert_allclose(cached[key], history[key], rtol=1e-9)
    loaded, _, source = trained(x_train, x_test, settings, CACHE)
    assert source.startswith("loaded") and all(a.shape == b.shape for a, b in
                                                zip(loaded, params))


def test_training_is_seeded_and_the_elbo_rises(tmp_path):
    x_train, x_test, *_ = binary_digits()
    short = Settings(hidden=32, epochs=4, seed=3)
    first, history = train(x_train, x_test, short)
    second, _ = train(x_train, x_test, short)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert history["test"][-1] > history["test"][0]
    saved = trained(x_train, x_test, short, tmp_path, retrain=True)
    loaded = trained(x_train, x_test, short, tmp_path)
    assert "saved" in saved[2] and loaded[2].startswith("loaded")
    assert all(np.array_equal(a, b) for a, b in zip(saved[0], loaded[0]))


def test_cache_key_changes_with_settings_and_data():
    x_train, x_test, *_ = binary_digits()
    base = cache_path(x_train, x_test, Settings(), "d")
    assert cache_path(x_train, x_test, replace(Settings(), seed=1), "d") != base
    assert cache_path(x_train[:-1], x_test, Settings(), "d") != base


# ---- likelihood, ELBO estimate, gradients --------------------------------------------

def test_bernoulli_log_likelihood_matches_scipy():
    rng = np.random.default_rng(1)
    x, logits = rng.integers(0, 2, size=(6, 20)), rng.uniform(-20, 20, size=(6, 20))
    expected = stats.bernoulli(expit(logits)).logpmf(x).sum(axis=1)
    np.testing.assert_allclose(bernoulli_log_likelihood(x, logits), expected, rtol=1e-9)
    assert bernoulli_log_likelihood(np.zeros(1), np.array([800.0])) == -800.0


def test_one_draw_elbo_is_unbiased():
    params, x = toy_model()
    rng = np.random.default_rng(2)
    draws = np.array([elbo_estimate(params, x, rng.standard_normal((len(x), 2)))
                      for _ in range(4000)])
    se = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - exact_elbo(params, x)) <= 4 * se)


def test_autograd_gradient_matches_finite_differences():
    params, x = toy_model(seed=4)
    eps = np.random.default_rng(5).standard_normal((len(x), 2))

    def loss(p):
        return -np.mean(elbo_estimate(p, x, eps))

    g = grad(lambda p: -elbo_estimate(p, x, eps).mean())(params)
    for index, entry in ((0, (3, 5)), (6, (7, 2)), (7, (4,))):
        step = 1e-6
        up = [p.copy() for p in params]
        down = [p.copy() for p in params]
        up[index][entry] += step
        down[index][entry] -= step
        numeric = (loss(up) - loss(down)) / (2 * step)
        assert g[index][entry] == pytest.approx(numeric, rel=1e-6, abs=1e-8)


# ---- bounds on a toy model whose evidence is known by quadrature ----------------------

def test_quadratures_converge():
    params, x = toy_model()
    np.testing.assert_allclose(log_evidence_grid(params, x, 9.0, 301),
                               log_evidence_grid(params, x, 8.0, 201), rtol=1e-9)
    np.testing.assert_allclose(expected_log_likelihood(params, x, 160),
                               expected_log_likelihood(params, x, 120), atol=1e-6)


def test_iwae_bounds_are_ordered_and_below_the_evidence():
    params, x = toy_model(seed=6)
    log_px, elbo = log_evidence_grid(params, x), exact_elbo(params, x)
    assert np.all(elbo < log_px)
    log_w = log_weights(params, x, 4096, np.random.default_rng(7))
    bounds = iwae_bounds(log_w, [1, 4, 16, 64, 256])
    assert np.all(np.diff(bounds, axis=0) >= -1e-12)          # Jensen, block by block
    se_1 = log_w.std(axis=0, ddof=1) / np.sqrt(log_w.shape[0])
    assert np.all(np.abs(bounds[0] - elbo) <= 4 * se_1)         # L_1 is the ELBO
    blocks = iwae_bounds(log_w.reshape(16, 256, -1).transpose(1, 0, 2).reshape(256, -1),
                         [256]).reshape(16, -1)               # 16 estimates of L_256
    se_256 = blocks.std(axis=0, ddof=1) / np.sqrt(16)
    assert np.all(blocks.mean(axis=0) <= log_px + 4 * se_256)  # L_256 <= log p(x)
    gaps = (log_px - bounds).mean(axis=1)
    assert gaps[-1] < 0.1 * gaps[0]
    # the importance-weighted estimate of p(x) itself is unbiased
    weights = np.exp(log_w - log_px)
    se = weights.std(axis=0, ddof=1) / np.sqrt(weights.shape[0])
    assert np.all(np.abs(weights.mean(axis=0) - 1) <= 4 * se)


# ---- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: Settings(hidden=0), "hidden"),
    (lambda: Settings(epochs=2.5), "epochs"),
    (lambda: Settings(beta=-1.0), "beta"),
    (lambda: Settings(learning_rate=0.0), "learning_rate"),
    (lambda: binary_digits(n_test=0), "n_test"),
    (lambda: encode(toy_model()[0], np.zeros((3, 11))), "x"),
    (lambda: decoder_logits(toy_model()[0], np.zeros((3, 3))), "z"),
    (lambda: elbo_estimate(*toy_model(), np.zeros((12, 3))), "eps"),
    (lambda: log_weights(*toy_model(), 0, np.random.default_rng()), "K"),
    (lambda: log_weights(*toy_model(), 4, np.random.default_rng(), chunk=-1), "chunk"),
    (lambda: log_weights(*toy_model(), 4, np.random.default_rng(), block=0), "block"),
    (lambda: iwae_bounds(np.zeros((8, 3)), [3]), "size"),
    (lambda: iwae_bounds(np.zeros(8), [1]), "log_w"),
    (lambda: log_evidence_grid(*toy_model(), n=2), "n"),
    (lambda: log_evidence_grid(init_params(np.random.default_rng(), 10, 4, 3),
                               np.zeros((2, 10))), "2-D"),
    (lambda: expected_log_likelihood(init_params(np.random.default_rng(), 10, 4, 1),
                                     np.zeros((2, 10))), "2-D"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
