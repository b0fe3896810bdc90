"""helpers.mlp_vae: the trained MLP VAE, its bounds and its cached weights."""

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from autograd import grad
from scipy import stats
from scipy.special import expit, logsumexp

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


# ---- the forward passes, against a plain-NumPy reference ------------------------------

def random_model(seed=10, data_dim=7, hidden=5, latent=2, n=12):
    """A VAE with random weights AND biases (init_params' biases are 0), and binary data."""
    rng = np.random.default_rng(seed)
    params = [p + rng.normal(size=p.shape) for p in init_params(rng, data_dim, hidden, latent)]
    return params, (rng.random((n, data_dim)) < 0.4).astype(float)


def reference_encode(params, x):
    """tanh(x W1 + b1) W2 + b2 row by row, split into mean and log-variance."""
    out = np.array([np.tanh(row @ params[0] + params[1]) @ params[2] + params[3] for row in x])
    latent = params[4].shape[0]
    return out[:, :latent], out[:, latent:]


def reference_logits(params, z):
    return np.array([np.tanh(row @ params[4] + params[5]) @ params[6] + params[7] for row in z])


def reference_log_lik(x, logits):
    """sum_d log Bernoulli(x_d; sigmoid(l_d)), by scipy."""
    return stats.bernoulli(expit(logits)).logpmf(x).sum(axis=-1)


def test_init_params_shapes_scales_and_zero_biases():
    params = init_params(np.random.default_rng(0), 300, 200, 3)
    assert [p.shape for p in params] == [(300, 200), (200,), (200, 6), (6,), (3, 200), (200,),
                                         (200, 300), (300,)]
    for weights, bias in zip(params[0::2], params[1::2]):
        assert np.all(bias == 0)
        # N(0, 1/fan_in): fan_in * variance ~ chi^2 / dof, 6 standard errors apart
        dof = weights.size
        assert weights.shape[0] * np.var(weights) == pytest.approx(1.0, abs=6 * np.sqrt(2 / dof))
        assert abs(np.mean(weights)) * np.sqrt(weights.shape[0] * dof) < 6


def test_encode_and_decode_match_a_row_by_row_reference():
    for latent in (1, 2, 3):
        params, x = random_model(latent=latent)
        mean, log_var = encode(params, x)
        ref_mean, ref_log_var = reference_encode(params, x)
        assert mean.shape == log_var.shape == (len(x), latent)
        np.testing.assert_allclose(mean, ref_mean, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(log_var, ref_log_var, rtol=1e-12, atol=1e-12)
        z = np.random.default_rng(latent).normal(size=(4, latent))
        np.testing.assert_allclose(decoder_logits(params, z), reference_logits(params, z),
                                   rtol=1e-12, atol=1e-12)


def test_bernoulli_log_likelihood_sums_the_last_axis_of_any_shape():
    rng = np.random.default_rng(3)
    x, logits = rng.integers(0, 2, size=(3, 4, 5)), rng.normal(size=(3, 4, 5)) * 4
    np.testing.assert_allclose(bernoulli_log_likelihood(x, logits), reference_log_lik(x, logits),
                               rtol=1e-12)
    np.testing.assert_allclose(bernoulli_log_likelihood(x[0, 0], logits[0, 0]),
                               reference_log_lik(x[0, 0], logits[0, 0]), rtol=1e-12)


@pytest.mark.parametrize("beta", [0.0, 1.0, 2.5])
def test_elbo_estimate_matches_the_reparameterised_formula(beta):
    params, x = random_model()
    eps = np.random.default_rng(4).standard_normal((len(x), 2))
    mean, log_var = reference_encode(params, x)
    sd = np.sqrt(np.exp(log_var))
    z = mean + sd * eps
    # KL(N(m, s^2) || N(0, 1)) = (m^2 + s^2 - 1) / 2 - log s, per latent axis
    kl = np.sum((mean**2 + sd**2 - 1) / 2 - np.log(sd), axis=1)
    expected = reference_log_lik(x, reference_logits(params, z)) - beta * kl
    np.testing.assert_allclose(elbo_estimate(params, x, eps, beta), expected, rtol=1e-12)


# ---- training: Adam, against a textbook reference ---------------------------------------

def reference_train(x_train, x_test, s):
    """Adam (Kingma & Ba 2015: beta1 0.9, beta2 0.999, eps 1e-8) on the minibatch loss,
    with the generator drawn as train() documents: init, then per epoch a permutation
    and one eps per minibatch, then 10 draws for the test ELBO."""
    rng = np.random.default_rng(s.seed)
    params = init_params(rng, x_train.shape[1], s.hidden, s.latent)
    m1, m2, t = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params], 0
    loss_grad = grad(lambda p, xb, e: -np.mean(elbo_estimate(p, xb, e, s.beta)))
    train_hist, test_hist = [], []
    for _ in range(s.epochs):
        order, estimates = rng.permutation(len(x_train)), []
        for batch in np.array_split(order, np.arange(s.batch_size, len(order), s.batch_size)):
            eps = rng.standard_normal((len(batch), s.latent))
            estimates.append(elbo_estimate(params, x_train[batch], eps, s.beta))
            t += 1
            g = loss_grad(params, x_train[batch], eps)
            for i in range(len(params)):
                m1[i] = 0.9 * m1[i] + 0.1 * g[i]
                m2[i] = 0.999 * m2[i] + 0.001 * g[i] ** 2
                step = (m1[i] / (1 - 0.9**t)) / (np.sqrt(m2[i] / (1 - 0.999**t)) + 1e-8)
                params[i] = params[i] - s.learning_rate * step
        train_hist.append(np.mean(np.concatenate(estimates)))
        eps = rng.standard_normal((10, len(x_test), s.latent))
        test_hist.append(np.mean([elbo_estimate(params, x_test, e, 1.0) for e in eps]))
    return params, train_hist, test_hist


TINY = Settings(hidden=4, latent=2, beta=0.7, epochs=3, batch_size=5, learning_rate=0.05, seed=2)


def tiny_data():
    rng = np.random.default_rng(11)
    return (rng.random((12, 6)) < 0.4).astype(float), (rng.random((4, 6)) < 0.4).astype(float)


def test_training_is_adam_on_the_minibatch_elbo():
    x_train, x_test = tiny_data()
    params, history = train(x_train, x_test, TINY)
    ref_params, ref_train, ref_test = reference_train(x_train, x_test, TINY)
    assert len(params) == 8 and sorted(history) == ["test", "train"]
    for p, ref in zip(params, ref_params):
        assert p.shape == ref.shape
        np.testing.assert_allclose(p, ref, rtol=1e-11, atol=1e-13)
    assert history["train"].shape == history["test"].shape == (TINY.epochs,)
    np.testing.assert_allclose(history["train"], ref_train, rtol=1e-11)
    np.testing.assert_allclose(history["test"], ref_test, rtol=1e-11)


def test_tiny_training_is_deterministic_and_the_loss_falls():
    x_train, x_test = tiny_data()
    settings = replace(TINY, beta=1.0, epochs=12, batch_size=12, learning_rate=0.1)
    first, history = train(x_train, x_test, settings)
    second, again = train(x_train, x_test, settings)
    other, _ = train(x_train, x_test, replace(settings, seed=3, epochs=1))
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert np.array_equal(history["train"], again["train"])
    assert not np.allclose(first[0], other[0])                    # another seed, another start
    assert history["train"][-3:].mean() > history["train"][0] + 0.7   # the ELBO rises


def test_trained_trains_saves_and_loads(tmp_path):
    x_train, x_test = tiny_data()
    settings, where = replace(TINY, epochs=1), tmp_path / "new" / "cache"   # a missing parent
    params, history, source = trained(x_train, x_test, settings, where)
    assert source == "trained" and not where.exists()          # no retrain: nothing written
    saved, saved_history, source = trained(x_train, x_test, settings, where, retrain=True)
    path = cache_path(x_train, x_test, settings, where)
    assert source == f"trained, saved to {path.name}" and path.exists()
    again = trained(x_train, x_test, settings, where, retrain=True)    # overwrites the file
    assert again[2] == source
    loaded, loaded_history, source = trained(x_train, x_test, settings, where)
    assert source == f"loaded from {path.name}"
    for a, b, c in zip(params, saved, loaded):
        assert np.array_equal(a, b) and np.array_equal(b, c)
    for key in ("train", "test"):
        assert np.array_equal(loaded_history[key], history[key])
    with np.load(path) as data:
        assert Settings(**json.loads(str(data["settings"]))) == settings
    with pytest.raises(TypeError, match="^retrain must be True or False, got 'yes'"):
        trained(x_train, x_test, settings, where, retrain="yes")


def test_cache_path_depends_on_everything_it_hashes():
    x_train, x_test = tiny_data()
    base = cache_path(x_train, x_test, TINY, "d")
    assert base.parent == Path("d") and base.name.startswith("mlp-vae-") and base.suffix == ".npz"
    assert len(base.stem) == len("mlp-vae-") + 16
    assert cache_path(x_train.tolist(), x_test, TINY, Path("d")) == base   # same bytes as floats
    flipped = x_test.copy()
    flipped[0, 0] = 1 - flipped[0, 0]
    others = {cache_path(x_train, flipped, TINY, "d"),
              cache_path(x_train[:-1], x_test, TINY, "d"),
              cache_path(x_train, x_test, replace(TINY, beta=0.5), "d"),
              cache_path(x_train, x_test, replace(TINY, hidden=5), "d")}
    assert len(others) == 4 and base not in others
    with pytest.raises(TypeError, match="^directory must be a path, got int"):
        cache_path(x_train, x_test, TINY, 3)
    with pytest.raises(TypeError, match="^settings must be a helpers.mlp_vae.Settings, got dict"):
        cache_path(x_train, x_test, {"epochs": 1}, "d")
    with pytest.raises(TypeError, match="^settings must be a helpers.mlp_vae.Settings, got dict"):
        train(x_train, x_test, {"epochs": 1})


def test_binary_digits_is_a_seeded_split_of_the_binarised_digits():
    from sklearn.datasets import load_digits
    digits = load_digits()
    x_train, x_test, y_train, y_test = binary_digits(n_test=100, seed=3)
    assert x_train.shape == (1697, 64) and x_test.shape == (100, 64)
    assert y_train.shape == (1697,) and y_test.shape == (100,)
    # the two parts together are the whole data set, pixels binarised at grey level 8
    rows = np.concatenate([np.column_stack([x_train, y_train]), np.column_stack([x_test, y_test])])
    expected = np.column_stack([np.where(digits.data >= 8, 1.0, 0.0), digits.target])
    assert np.array_equal(np.unique(rows, axis=0, return_counts=True)[1].sum(), 1797)
    assert np.array_equal(rows[np.lexsort(rows.T)], expected[np.lexsort(expected.T)])
    again, other = binary_digits(n_test=100, seed=3), binary_digits(n_test=100, seed=4)
    assert np.array_equal(again[1], x_test) and not np.array_equal(other[1], x_test)
    with pytest.raises(ValueError, match="^n_test must be an integer in 1..1796, got 1797"):
        binary_digits(n_test=1797)


@pytest.mark.parametrize("name", ["hidden", "latent", "epochs", "batch_size"])
def test_settings_refuse_non_positive_counts(name):
    with pytest.raises(ValueError, match=f"^{name} must be a positive integer, got 0"):
        Settings(**{name: 0})


def test_settings_bounds():
    assert Settings(seed=0, beta=0.0).beta == 0.0              # the smallest allowed values
    with pytest.raises(ValueError, match="^seed must be an integer >= 0, got -1"):
        Settings(seed=-1)
    with pytest.raises(ValueError, match="^beta must be >= 0, got -0.5"):
        Settings(beta=-0.5)


def test_params_and_data_are_checked():
    params, x = random_model()
    with pytest.raises(ValueError, match="^params must be the list of 8 arrays"):
        encode(params[:7], x)
    with pytest.raises(ValueError, match="^params must be the list of 8 arrays"):
        encode("abcdefgh", x)
    for index in (0, 4):                       # not 2-D: named, not an unpacking error
        broken = list(params)
        broken[index] = broken[index].ravel()
        with pytest.raises(ValueError, match="^params must have the shapes of init_params"):
            encode(broken, x)
    broken = list(params)
    broken[2] = broken[2][:, :3]               # 3 encoder outputs for a 2-D latent
    with pytest.raises(ValueError, match="^params must have the shapes of init_params"):
        encode(broken, x)
    broken = [p.copy() for p in params]
    broken[3][0] = np.nan
    with pytest.raises(ValueError, match=r"^params\[3\] must be finite"):
        decoder_logits(broken, np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"^x must have shape \(N, 7\) with N >= 1, got \(0, 7\)"):
        encode(params, x[:0])
    with pytest.raises(ValueError, match=r"^x must have shape \(N, 7\)"):
        encode(params, x[0])
    with pytest.raises(ValueError, match="^x must hold binary pixels"):
        encode(params, x + 0.5)
    assert encode(params, x.tolist())[0].shape == (12, 2)
    decoder_logits(params, np.full((1, 2), 0.5))              # z need not be binary
    with pytest.raises(ValueError, match="^x must hold binary pixels"):
        bernoulli_log_likelihood(x + 0.5, np.zeros(7))
    with pytest.raises(ValueError, match="^logits must be finite"):
        bernoulli_log_likelihood(x, np.full(7, np.nan))
    eps = np.zeros((12, 2))
    eps[0, 0] = np.inf
    with pytest.raises(ValueError, match="^eps must be finite"):
        elbo_estimate(params, x, eps)
    with pytest.raises(ValueError, match="^beta must be >= 0, got -1"):
        elbo_estimate(params, x, np.zeros((12, 2)), beta=-1)


# ---- log weights and bounds, against scipy densities and loops -----------------------

def test_log_weights_are_log_joint_minus_log_q_of_the_documented_draws():
    """z_k = m + s eps with eps drawn (K, n, latent) per chunk of n points, as documented."""
    params, x = random_model(n=12)
    K, chunk = 3, 5
    out = log_weights(params, x, K, np.random.default_rng(8), chunk=chunk, block=7)
    mean, log_var = reference_encode(params, x)
    sd, rng, expected = np.exp(log_var / 2), np.random.default_rng(8), np.empty((K, 12))
    for start in range(0, 12, chunk):
        rows = slice(start, start + chunk)
        z = mean[rows] + sd[rows] * rng.standard_normal((K, len(x[rows]), 2))
        for k in range(K):
            expected[k, rows] = (reference_log_lik(x[rows], reference_logits(params, z[k]))
                                 + stats.norm.logpdf(z[k]).sum(axis=1)
                                 - stats.norm.logpdf(z[k], mean[rows], sd[rows]).sum(axis=1))
    np.testing.assert_allclose(out, expected, rtol=1e-11)
    for block in (1, 2048):                     # decoding in other blocks: the same numbers
        np.testing.assert_allclose(log_weights(params, x, K, np.random.default_rng(8), chunk=chunk,
                                               block=block), out, rtol=1e-13)


def test_iwae_bounds_match_a_loop():
    log_w = np.random.default_rng(9).normal(size=(12, 3)) * 2
    bounds = iwae_bounds(log_w, (1, 3, 12))
    assert bounds.shape == (3, 3)
    for row, K in zip(bounds, (1, 3, 12)):
        for i in range(3):
            blocks = [math.log(math.fsum(math.exp(w) for w in log_w[b:b + K, i]) / K)
                      for b in range(0, 12, K)]
            assert row[i] == pytest.approx(np.mean(blocks), rel=1e-13)
    with pytest.raises(ValueError, match="^sizes must be positive divisors of 12, got 5"):
        iwae_bounds(log_w, [5])
    with pytest.raises(TypeError, match="^sizes must be a sequence"):
        iwae_bounds(log_w, "12")


def test_expected_log_likelihood_matches_a_probabilists_hermite_rule():
    params, x = random_model()
    mean, log_var = reference_encode(params, x)
    t, w = np.polynomial.hermite_e.hermegauss(12)        # weight exp(-t^2/2), sum sqrt(2 pi)
    w = w / np.sqrt(2 * np.pi)
    e1, e2 = (a.ravel() for a in np.meshgrid(t, t))
    weights = np.outer(w, w).ravel()
    expected = [weights @ reference_log_lik(xi, reference_logits(params, m + np.exp(lv / 2)
                                                                 * np.column_stack([e1, e2])))
                for xi, m, lv in zip(x, mean, log_var)]
    np.testing.assert_allclose(expected_log_likelihood(params, x, 12), expected, rtol=1e-11)


def test_log_evidence_grid_is_the_rectangle_rule():
    params, x = random_model(n=7)
    half, n = 5.0, 11
    g = np.linspace(-half, half, n)
    area = (2 * half / (n - 1)) ** 2
    z = np.array([[a, b] for a in g for b in g])
    prior = stats.multivariate_normal(np.zeros(2), np.eye(2)).logpdf(z)
    expected = [logsumexp(reference_log_lik(xi, reference_logits(params, z)) + prior) + np.log(area)
                for xi in x]
    np.testing.assert_allclose(log_evidence_grid(params, x, half, n, chunk=3), expected,
                               rtol=1e-12)
    assert log_evidence_grid(params, x[:2], 1.0, 3).shape == (2,)       # the smallest grid
    with pytest.raises(ValueError, match="^half_width must be positive"):
        log_evidence_grid(params, x, 0.0, n)
    with pytest.raises(ValueError, match="^chunk must be a positive integer"):
        log_evidence_grid(params, x, half, n, chunk=0)
    with pytest.raises(ValueError, match="^the latent must be 2-D for this quadrature, got 3"):
        log_evidence_grid(random_model(latent=3)[0], x, half, n)


def test_train_and_cache_path_refuse_bad_data():
    x_train, x_test = tiny_data()
    for call in (train, cache_path):
        args = (TINY, "d") if call is cache_path else (TINY,)
        with pytest.raises(ValueError, match=r"^x_train must have shape \(N, 0\)"):
            call(5.0, x_test, *args)
        with pytest.raises(ValueError, match=r"^x_train must have shape \(N, 6\) with N >= 1, got \(6,\)"):
            call(x_train[0], x_test, *args)
        with pytest.raises(ValueError, match="^x_train must hold binary pixels"):
            call(x_train + 0.5, x_test, *args)
        with pytest.raises(ValueError, match="^x_test must hold binary pixels"):
            call(x_train, x_test + 0.5, *args)
        with pytest.raises(ValueError, match=r"^x_test must have shape \(N, 6\)"):
            call(x_train, x_test[:, :5], *args)


def test_argument_names_in_the_validators_messages():
    """Each message starts with the argument's own name (validation.py's wording)."""
    params, x = random_model()
    rng = np.random.default_rng(0)
    cases = [
        (lambda: Settings(beta="abc"), "^beta must be real numbers"),
        (lambda: Settings(learning_rate="abc"), "^learning_rate must be real numbers"),
        (lambda: Settings(learning_rate=0.0), "^learning_rate must be positive"),
        (lambda: binary_digits(n_test=0), "^n_test must be a positive integer"),
        (lambda: binary_digits(seed=-1), "^seed must be an integer >= 0"),
        (lambda: init_params(rng, 0, 3, 2), "^data_dim must be a positive integer"),
        (lambda: init_params(rng, 5, 0, 2), "^hidden must be a positive integer"),
        (lambda: init_params(rng, 5, 3, 0), "^latent must be a positive integer"),
        (lambda: decoder_logits(params, np.zeros((3, 3))), r"^z must have shape \(N, 2\)"),
        (lambda: elbo_estimate(params, x[:, :6], np.zeros((12, 2))), r"^x must have shape \(N, 7\)"),
        (lambda: elbo_estimate(params, x, np.zeros((12, 2)), beta="b"), "^beta must be real"),
        (lambda: log_weights(params, x, 0, rng), "^K must be a positive integer"),
        (lambda: log_weights(params, x, 2, rng, chunk=0), "^chunk must be a positive integer"),
        (lambda: log_weights(params, x, 2, rng, block=0), "^block must be a positive integer"),
        (lambda: log_weights(params, x[:, :6], 2, rng), r"^x must have shape \(N, 7\)"),
        (lambda: log_weights(params, x + 0.5, 0, None), "^x must hold binary pixels"),   # x first
        (lambda: expected_log_likelihood(params, x + 0.5, 0), "^x must hold binary pixels"),
        (lambda: expected_log_likelihood(params, x[:, :6]), r"^x must have shape \(N, 7\)"),
        (lambda: log_evidence_grid(params, x[:, :6]), r"^x must have shape \(N, 7\)"),
        (lambda: log_evidence_grid(params, x + 0.5), "^x must hold binary pixels"),
        (lambda: log_evidence_grid(params, x, "abc"), "^half_width must be real numbers"),
        (lambda: log_evidence_grid(params, x, 8.0, 2), "^n must be an integer >= 3, got 2"),
        (lambda: iwae_bounds(np.full((4, 2), np.nan), [1]), "^log_w must be finite"),
        (lambda: iwae_bounds(np.zeros((4, 2)), [0]), "^sizes must be a positive integer"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(TypeError, match="^rng must be a numpy Generator"):
        init_params(None, 5, 3, 2)
    with pytest.raises(TypeError, match="^rng must be a numpy Generator"):
        log_weights(params, x, 2, 42)
    with pytest.raises(TypeError, match="^sizes must be a sequence of positive integers, got 4"):
        iwae_bounds(np.zeros((4, 2)), 4)


def test_gradients_flow_through_the_data_and_the_noise():
    """Traced x and eps skip the plain-array checks: d/dx_d of the log-likelihood is l_d,
    and the pathwise gradient in eps matches central finite differences."""
    params, x = random_model()
    logits = np.random.default_rng(5).normal(size=x.shape)
    slope = grad(lambda v: bernoulli_log_likelihood(v, logits).sum())(x)
    np.testing.assert_allclose(slope, logits, rtol=1e-14)
    eps = np.random.default_rng(6).standard_normal((len(x), 2))
    pathwise = grad(lambda e: elbo_estimate(params, x, e).sum())(eps)
    step, numeric = 1e-6, np.empty_like(eps)
    for index in np.ndindex(eps.shape):
        up, down = eps.copy(), eps.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (elbo_estimate(params, x, up).sum()
                          - elbo_estimate(params, x, down).sum()) / (2 * step)
    np.testing.assert_allclose(pathwise, numeric, rtol=1e-6, atol=1e-7)     # |gradient| ~ 1
    with pytest.raises(ValueError, match="^x must be finite"):
        bernoulli_log_likelihood(np.full(7, np.nan), np.zeros(7))
