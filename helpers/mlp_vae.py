"""A small MLP VAE on binarised 8x8 digits, trained with autograd (book: ch-vae).

Data: scikit-learn's digits (1797 images of 8 x 8 pixels, grey levels 0..16,
shipped inside the package: no download), binarised at level 8, so that the
Bernoulli decoder is a proper likelihood and log-likelihoods are in nats.
Model: prior ``z ~ N(0, I_L)``; decoder ``p_theta(x | z) = prod_d Bernoulli(x_d;
sigmoid(l_d(z)))`` with logits ``l(z)`` from an MLP with one tanh hidden layer;
encoder ``q_phi(z | x) = N(m(x), diag exp(log_var(x)))`` from another.
Parameters are a list ``[W1, b1, W2, b2]`` (encoder) ``+ [W3, b3, W4, b4]``
(decoder); data are rows of 0/1 floats.  Training is seeded and deterministic.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import autograd.numpy as anp
import numpy as np
from autograd import grad
from scipy.special import logsumexp
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_limits

from helpers.gaussian import standard_normal_rule_2d
from helpers.validation import count, generator, positive, real_array, real_scalar

__all__ = ["Settings", "binary_digits", "init_params", "encode", "decoder_logits",
           "bernoulli_log_likelihood", "elbo_estimate", "train", "log_weights",
           "iwae_bounds", "expected_log_likelihood", "log_evidence_grid",
           "cache_path", "trained"]

_TRAINING_CODE_VERSION = 1    # bump whenever train() changes what it computes

# Small matrices: one BLAS thread is fastest, and immune to a busy CPU (several
# threads spinning on two shared cores can be ten times slower).
_one_thread = threadpool_limits.wrap(limits=1, user_api="blas")


@dataclass(frozen=True)
class Settings:
    """Training settings; ``beta`` weights the KL term (1: the ELBO; 0: no KL)."""

    hidden: int = 128
    latent: int = 2
    beta: float = 1.0
    epochs: int = 200
    batch_size: int = 100
    learning_rate: float = 3e-3
    seed: int = 0

    def __post_init__(self):
        for name in ("hidden", "latent", "epochs", "batch_size"):
            count(name, getattr(self, name))
        count("seed", self.seed, minimum=0)
        if not real_scalar("beta", self.beta) >= 0:
            raise ValueError(f"beta must be >= 0, got {self.beta!r}")
        positive("learning_rate", real_scalar("learning_rate", self.learning_rate))


def binary_digits(n_test=360, seed=0):
    """``(x_train, x_test, labels_train, labels_test)``: a seeded split of the digits."""
    digits = load_digits()
    if count("n_test", n_test) >= len(digits.target):
        raise ValueError(f"n_test must be an integer in 1..{len(digits.target) - 1}, "
                         f"got {n_test!r}")
    x = (digits.data >= 8).astype(np.float64)
    order = np.random.default_rng(count("seed", seed, minimum=0)).permutation(len(x))
    test, train = order[:n_test], order[n_test:]
    return x[train], x[test], digits.target[train], digits.target[test]


def init_params(rng, data_dim, hidden, latent):
    """Weights ``N(0, 1/fan_in)``, biases zero: encoder then decoder."""
    generator("rng", rng)
    data_dim, hidden, latent = (count("data_dim", data_dim), count("hidden", hidden),
                                count("latent", latent))
    shapes = [(data_dim, hidden), (hidden, 2 * latent), (latent, hidden), (hidden, data_dim)]
    params = []
    for fan_in, fan_out in shapes:
        params += [rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in), np.zeros(fan_out)]
    return params


def _plain(value) -> bool:
    """True unless ``value`` is an array autograd is tracing (checked by its owner)."""
    return not hasattr(value, "_value")


def _rows(name, x, dim, binary=False):
    """``x`` as an (N, dim) float array, N >= 1; with ``binary`` every entry 0 or 1."""
    if _plain(x):
        x = real_array(name, x)
    if x.ndim != 2 or x.shape[1] != dim or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N, {dim}) with N >= 1, got {x.shape}")
    if binary and _plain(x) and not np.all((x == 0) | (x == 1)):
        raise ValueError(f"{name} must hold binary pixels (0 or 1)")
    return x


def _check_params(params):
    """ValueError unless ``params`` is the list of init_params' 8 arrays, consistent and finite."""
    if isinstance(params, (str, bytes)) or not hasattr(params, "__len__") or len(params) != 8:
        raise ValueError("params must be the list of 8 arrays that init_params returns")
    shapes = [np.shape(p) for p in params]
    if len(shapes[0]) != 2 or len(shapes[4]) != 2:
        raise ValueError(f"params must have the shapes of init_params, got {shapes}")
    (data_dim, hidden), latent = shapes[0], shapes[4][0]
    expected = [(data_dim, hidden), (hidden,), (hidden, 2 * latent), (2 * latent,),
                (latent, hidden), (hidden,), (hidden, data_dim), (data_dim,)]
    if shapes != expected:
        raise ValueError(f"params must have the shapes of init_params, got {shapes}")
    for i, p in enumerate(params):
        if _plain(p):
            real_array(f"params[{i}]", p)
    return params


def encode(params, x):
    """Mean and log-variance of ``q_phi(z | x)``, one row per data point."""
    x = _rows("x", x, np.shape(_check_params(params)[0])[0], binary=True)
    hidden = anp.tanh(anp.dot(x, params[0]) + params[1])
    out = anp.dot(hidden, params[2]) + params[3]
    latent = params[4].shape[0]
    return out[:, :latent], out[:, latent:]


def decoder_logits(params, z):
    """Logits of ``p_theta(x | z)``; ``z`` has one row per latent point."""
    z = _rows("z", z, np.shape(_check_params(params)[4])[0])
    return anp.dot(anp.tanh(anp.dot(z, params[4]) + params[5]), params[6]) + params[7]


def bernoulli_log_likelihood(x, logits):
    """``sum_d [x_d l_d - log(1 + e^{l_d})]`` over the last axis (eq-vae-recon-bernoulli)."""
    if _plain(x):
        x = real_array("x", x)
        if not np.all((x == 0) | (x == 1)):
            raise ValueError("x must hold binary pixels (0 or 1)")
    if _plain(logits):
        logits = real_array("logits", logits)
    return anp.sum(x * logits - anp.logaddexp(0.0, logits), axis=-1)


def elbo_estimate(params, x, eps, beta=1.0):
    """One-sample reparameterised ELBO per row: ``z = m + s eps``, KL in closed form.

    ``log p_theta(x | m + s eps) - beta KL(q || N(0, I))``; unbiased for the
    ELBO when ``beta = 1`` and ``eps ~ N(0, I)`` (eq-reparam, eq-vae-kl).
    """
    mean, log_var = encode(params, x)              # checks params and x
    if np.shape(eps) != np.shape(mean):
        raise ValueError(f"eps must have shape {np.shape(mean)}, got {np.shape(eps)}")
    if _plain(eps):
        real_array("eps", eps)
    if not real_scalar("beta", beta) >= 0:
        raise ValueError(f"beta must be >= 0, got {beta!r}")
    z = mean + anp.exp(0.5 * log_var) * eps
    kl = 0.5 * anp.sum(mean**2 + anp.exp(log_var) - 1.0 - log_var, axis=1)
    return bernoulli_log_likelihood(x, decoder_logits(params, z)) - beta * kl


def _loss(params, x, eps, beta):
    return -anp.mean(elbo_estimate(params, x, eps, beta))


@_one_thread
def train(x_train, x_test, settings=Settings()):
    """Adam on the one-sample ELBO (weighted by ``settings.beta``); returns ``(params, history)``.

    ``history["train"]``: per epoch, the mean of that epoch's minibatch
    estimates; ``history["test"]``: per epoch, the held-out ELBO (``beta = 1``)
    averaged over 10 draws per point.  One generator (``settings.seed``) drives
    the initialisation, the minibatch order and every draw.
    """
    x_train = _rows("x_train", x_train, np.shape(x_train)[-1] if np.ndim(x_train) else 0,
                    binary=True)
    x_test = _rows("x_test", x_test, x_train.shape[1], binary=True)
    _settings(settings)
    s, rng = settings, np.random.default_rng(settings.seed)
    params = init_params(rng, x_train.shape[1], s.hidden, s.latent)
    first, second = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
    gradient, step = grad(_loss), 0
    history = {"train": [], "test": []}
    for _ in range(s.epochs):
        order, total = rng.permutation(len(x_train)), 0.0
        for start in range(0, len(x_train), s.batch_size):
            batch = x_train[order[start:start + s.batch_size]]
            eps = rng.standard_normal((len(batch), s.latent))
            total -= _loss(params, batch, eps, s.beta) * len(batch)
            step += 1
            for p, g, m, v in zip(params, gradient(params, batch, eps, s.beta),
                                  first, second):      # Adam, in place
                m += 0.1 * (g - m)
                v += 0.001 * (g**2 - v)
                p -= (s.learning_rate * (m / (1 - 0.9**step))
                      / (np.sqrt(v / (1 - 0.999**step)) + 1e-8))
        history["train"].append(total / len(x_train))
        eps = rng.standard_normal((10, len(x_test), s.latent))
        history["test"].append(np.mean([elbo_estimate(params, x_test, e) for e in eps]))
    return params, {key: np.array(value) for key, value in history.items()}


def _settings(settings):
    if not isinstance(settings, Settings):
        raise TypeError(f"settings must be a helpers.mlp_vae.Settings, got "
                        f"{type(settings).__name__}")
    return settings


def cache_path(x_train, x_test, settings, directory):
    """The cache file for these data and settings: ``mlp-vae-<hash>.npz`` in ``directory``.

    The hash covers the settings, the training code's version and the bytes
    of both data sets, so a cache is never reused for anything else.
    """
    _settings(settings)
    x_train = _rows("x_train", x_train, np.shape(x_train)[-1] if np.ndim(x_train) else 0,
                    binary=True)
    x_test = _rows("x_test", x_test, x_train.shape[1], binary=True)
    if not isinstance(directory, (str, Path)):
        raise TypeError(f"directory must be a path, got {type(directory).__name__}")
    key = hashlib.sha256(json.dumps({"code": _TRAINING_CODE_VERSION, **asdict(settings)},
                                    sort_keys=True).encode())
    for x in (x_train, x_test):
        key.update(x.tobytes())                    # float64 (real_array), in C order
    return Path(directory) / f"mlp-vae-{key.hexdigest()[:16]}.npz"


def trained(x_train, x_test, settings, directory, retrain=False):
    """``(params, history, source)``: the trained VAE, from the cache when there is one.

    With ``retrain=True`` (or no cache file) the model is trained by
    :func:`train`; with ``retrain=True`` the cache file is (re)written.
    """
    if not isinstance(retrain, bool):
        raise TypeError(f"retrain must be True or False, got {retrain!r}")
    path = cache_path(x_train, x_test, settings, directory)
    if path.exists() and not retrain:
        with np.load(path) as data:
            params = [data[f"param{i}"] for i in range(8)]
            history = {"train": data["train"], "test": data["test"]}
        return params, history, f"loaded from {path.name}"
    params, history = train(x_train, x_test, settings)
    if retrain:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, settings=json.dumps(asdict(settings)), **history,
                            **{f"param{i}": p for i, p in enumerate(params)})
    return params, history, "trained" + (f", saved to {path.name}" if retrain else "")


@_one_thread
def log_weights(params, x, K, rng, chunk=16, block=2048):
    """Log importance weights ``log p_theta(x, z_k) - log q_phi(z_k | x)``, shape ``(K, N)``.

    ``z_k ~ q_phi(z | x)`` independently; drawn ``chunk`` data points at a time
    (all ``K`` draws of those points at once), and decoded about ``block``
    latent points at a time, so that the intermediate arrays stay in cache.
    """
    x = _rows("x", x, np.shape(_check_params(params)[0])[0], binary=True)
    K, chunk, block = count("K", K), count("chunk", chunk), count("block", block)
    generator("rng", rng)
    mean, log_var = encode(params, x)
    latent, out = mean.shape[1], np.empty((K, len(x)))
    for start in range(0, len(x), chunk):
        rows = slice(start, start + chunk)
        n = len(x[rows])
        eps = rng.standard_normal((K, n, latent))
        z = mean[rows] + np.exp(0.5 * log_var[rows]) * eps
        log_prior = -0.5 * np.sum(z**2 + np.log(2 * np.pi), axis=2)
        log_q = -0.5 * np.sum(eps**2 + np.log(2 * np.pi) + log_var[rows], axis=2)
        z_flat = z.reshape(-1, latent)                 # row k n + i: draw k of point i
        step = max(1, block // n) * n                  # whole groups of the n points
        x_tiled = np.tile(x[rows], (step // n, 1))
        log_lik = np.empty(K * n)
        for b in range(0, K * n, step):
            logits = decoder_logits(params, z_flat[b:b + step])
            log_lik[b:b + step] = bernoulli_log_likelihood(x_tiled[:len(logits)], logits)
        out[:, rows] = log_lik.reshape(K, n) + log_prior - log_q
    return out


def iwae_bounds(log_w, sizes):
    """Estimates of the importance-weighted bound ``L_K`` per data point, one row per K.

    The ``K_max`` weights of each point are split into ``K_max / K`` blocks of
    ``K``; each block gives ``log (1/K) sum_k w_k`` and the blocks are averaged
    (eq-iwae of the gap-kl chapter).  Every size must divide ``K_max``.
    """
    log_w = real_array("log_w", log_w)
    if log_w.ndim != 2:
        raise ValueError(f"log_w must have shape (K_max, N), got {log_w.shape}")
    rows = []
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a sequence of positive integers, got {sizes!r}")
    for K in sizes:
        if log_w.shape[0] % count("sizes", K) != 0:
            raise ValueError(f"sizes must be positive divisors of {log_w.shape[0]}, "
                             f"got {K!r}")
        blocks = log_w.reshape(-1, K, log_w.shape[1])
        rows.append(np.mean(logsumexp(blocks, axis=1) - np.log(K), axis=0))
    return np.array(rows)


@_one_thread
def expected_log_likelihood(params, x, nodes=32):
    """``E_q[log p_theta(x | z)]`` per row by Gauss-Hermite quadrature (a 2-D latent).

    ``z = m + sqrt(2) s t`` on the tensor grid of ``nodes`` Hermite nodes per
    axis: exact for polynomials of degree < 2 ``nodes``, and converging fast
    for this smooth integrand; compare two node counts to see the error.
    """
    x = _rows("x", x, np.shape(_check_params(params)[0])[0], binary=True)
    points, weights = standard_normal_rule_2d(nodes)
    mean, log_var = encode(params, x)
    if mean.shape[1] != 2:
        raise ValueError(f"the latent must be 2-D for this quadrature, got {mean.shape[1]}")
    z = mean[:, None, :] + np.exp(0.5 * log_var)[:, None, :] * points
    logits = decoder_logits(params, z.reshape(-1, 2)).reshape(len(x), len(points), -1)
    return bernoulli_log_likelihood(x[:, None, :], logits) @ weights


@_one_thread
def log_evidence_grid(params, x, half_width=8.0, n=201, chunk=40):
    """``log p_theta(x) = log int p_theta(x | z) p(z) dz`` on an ``n x n`` grid (a 2-D latent).

    The rectangle rule on a uniform grid over ``[-half_width, half_width]^2``:
    for a smooth integrand that vanishes at the edges it converges faster than
    any power of the spacing; compare two grids to see the error.
    """
    x = _rows("x", x, np.shape(_check_params(params)[0])[0], binary=True)
    if params[4].shape[0] != 2:
        raise ValueError(f"the latent must be 2-D for this quadrature, got {params[4].shape[0]}")
    half_width = float(positive("half_width", real_scalar("half_width", half_width)))
    n, chunk = count("n", n, minimum=3), count("chunk", chunk)
    g = np.linspace(-half_width, half_width, n)
    z = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    logits = decoder_logits(params, z)
    log_prior_area = -0.5 * np.sum(z**2, axis=1) - np.log(2 * np.pi) + 2 * np.log(g[1] - g[0])
    offset = log_prior_area - np.sum(np.logaddexp(0.0, logits), axis=1)
    return np.concatenate([logsumexp(x[i:i + chunk] @ logits.T + offset, axis=1)
                           for i in range(0, len(x), chunk)])
