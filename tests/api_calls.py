"""One valid call of each public function and method of the helpers, for the bad-input test.

``valid_calls()[name] = (function, {parameter: value})``: a call that must
succeed.  ``tests/test_bad_input.py`` replaces one argument at a time by a bad
value and expects a clear error.  The calls are built afresh each time, because
a generator is consumed and a method belongs to a fresh object.  The modules in
``COVERED`` have every public function (and every public method of their
classes) here.
"""

import tempfile

import numpy as np

import sympy as sp

from helpers import (bayes, bitsback, book_files, counts, diffusion, finite, gaussian, ising,
                     labels, laurent, lemmas, mlp_vae, models, notebook, plotting, vae, vdm)
from helpers import mixture as em_mixture
from helpers import ising_exact

COVERED = ("helpers.gaussian", "helpers.vdm", "helpers.diffusion", "helpers.models",
           "helpers.finite", "helpers.mixture", "helpers.counts", "helpers.ising",
           "helpers.vae", "helpers.mlp_vae", "helpers.bayes", "helpers.labels",
           "helpers.notebook", "helpers.plotting", "helpers.lemmas", "helpers.laurent",
           "helpers.ising_exact", "helpers.bitsback", "helpers.book_files")
#: Modules whose calls are listed but which do not yet pass (issue 16, in progress).
PENDING = ()


def _mixture():
    return diffusion.GaussianMixture([0.6, 0.4], [[-1.0, 0.0], [1.0, 0.5]],
                                     [np.eye(2) * 0.2, np.eye(2) * 0.3])


def valid_calls():
    """``{name: (function, kwargs)}`` for every public callable of ``COVERED``."""
    calls = {f"{f.__module__}.{f.__qualname__}": (f, kwargs)
             for f, kwargs in _functions().items()}
    calls.update(_methods())
    return calls


def _methods():
    rng = np.random.default_rng(1)
    gm = _mixture()
    pts = np.array([[0.1, 0.2], [-0.4, 0.9]])
    mixture_methods = {f"GaussianMixture.{name}": (getattr(gm, name), kwargs)
                       for name, kwargs in (
        ("denoiser", dict(xt=pts, t=3, betas=diffusion.linear_betas(20))),
        ("denoiser_at", dict(xt=pts, abar=0.7)),
        ("denoising_error", dict(abar=np.array([0.2, 0.9]), nodes=6)),
        ("log_density", dict(x=pts)),
        ("marginal_log_density", dict(xt=pts, t=3, betas=diffusion.linear_betas(20))),
        ("sample", dict(n=4, rng=rng)))}
    conjugate = models.ConjugateGaussian(prior_mean=0.2, prior_var=1.5, noise_var=0.5)
    discrete = models.DiscreteLatent(prior=[0.3, 0.7], likelihood=[[0.5, 0.5], [0.2, 0.8]])
    q = dict(x=0.4, q_mean=0.1, q_var=0.3)
    return {f"ConjugateGaussian.{name}": (getattr(conjugate, name), kwargs) for name, kwargs in (
        ("elbo", q), ("kl_to_posterior", q), ("weight_relative_variance", q),
        ("log_evidence", dict(x=0.4)), ("posterior", dict(x=0.4)),
        ("log_joint", dict(x=0.4, z=0.1)), ("log_likelihood", dict(x=0.4, z=0.1)),
        ("sample_prior", dict(rng=rng, size=5)))} | {
        f"DiscreteLatent.{name}": (getattr(discrete, name), kwargs) for name, kwargs in (
            ("elbo", dict(x=1, q=[0.4, 0.6])), ("log_evidence", dict(x=1)),
            ("posterior", dict(x=0)))} | mixture_methods | _ising_methods() | _bayes_methods()


def _regression():
    x = np.linspace(-1, 1, 8)
    design = bayes.polynomial_design(x, 2)
    return bayes.NormalGammaRegression(design, np.sin(2 * x), np.zeros(3), np.eye(3),
                                       2.0, 1.0)


def _bayes_methods():
    model = _regression()
    return {f"NormalGammaRegression.{name}": (getattr(model, name), kwargs)
            for name, kwargs in (("posterior", {}), ("log_evidence", {}),
                                 ("log_joint", dict(w=np.zeros(3), tau=1.5)),
                                 ("log_posterior", dict(w=np.zeros(3), tau=1.5)))}


def _ising_methods():
    model = ising.Ising(ising.lattice_edges(1, 4), 4, J=1.0, h=0.1)
    m = np.array([0.2, -0.1, 0.3, 0.05])
    log_q = model.product_log_prob(m)
    return {f"Ising.{name}": (getattr(model, name), kwargs) for name, kwargs in (
        ("energy", dict(spins=ising.all_spins(4))),
        ("log_partition", dict(beta=0.5)), ("log_boltzmann", dict(beta=0.5)),
        ("mean_abs_magnetisation", dict(beta=0.5)), ("product_log_prob", dict(m=m)),
        ("elbo_exact", dict(log_q=log_q, beta=0.5)),
        ("kl_to_boltzmann", dict(log_q=log_q, beta=0.5)),
        ("mean_field_elbo", dict(m=m, beta=0.5)), ("mean_field_map", dict(m=m, beta=0.5)),
        ("self_consistency_residual", dict(m=m, beta=0.5)),
        ("mean_field_hessian", dict(m=m, beta=0.5)),
        ("mean_field_solve", dict(beta=0.5, m0=m, damping=0.5, tol=1e-10,
                                  max_iter=1000)))}


def _functions():
    rng = np.random.default_rng(0)
    betas = diffusion.linear_betas(20)
    mixture = _mixture()
    xs = np.array([0.3, -0.2, 1.1])
    cells = counts.simulate_cells(np.random.default_rng(2), n_cells=6, n_genes=4,
                                  n_types=2)
    params = counts.init_params(np.random.default_rng(3), 4, latent=2)
    X = np.array([[0.0, 0.1], [1.0, 1.2], [-0.5, 0.3], [2.0, 1.5], [0.3, -0.4],
                  [1.7, 0.8], [-0.2, -0.1], [1.2, 1.9]])
    gmm = dict(weights=[0.5, 0.5], means=[[0.0, 0.0], [1.5, 1.0]],
               covs=[np.eye(2), np.eye(2) * 0.5])
    model = _regression()
    q0 = bayes.initial_q(model, "diagonal")
    pixels = (np.random.default_rng(5).random((6, 5)) < 0.4).astype(float)
    net = mlp_vae.init_params(np.random.default_rng(6), 5, 3, 2)
    tiny = mlp_vae.Settings(hidden=3, latent=2, epochs=1, batch_size=3)
    pca_X = np.random.default_rng(4).normal(size=(12, 3)) * [2.0, 1.0, 0.5]
    pca_W = np.array([[1.0], [0.5], [0.1]])
    q_resp = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.1, 0.9], [0.8, 0.2],
                       [0.3, 0.7], [0.7, 0.3], [0.2, 0.8]])
    bb = dict(prior=[2, 5, 3], likelihood=[[1, 9], [6, 4], [5, 5]],
              encoder=[[1, 6, 3], [5, 3, 2]])
    bb_run = bitsback.bits_back_encode([1, 0, 1], initial=2**40, **bb)
    return {
        bitsback.push: dict(state=2**40 + 3, symbol=1, freqs=[2, 5, 3]),
        bitsback.pop: dict(state=2**40 + 3, freqs=[2, 5, 3]),
        bitsback.state_bits: dict(state=2**40 + 3),
        bitsback.rounding_bound: dict(state=2**40 + 3, freqs=[2, 5, 3]),
        bitsback.bits_back_encode: dict(messages=[1, 0, 1], initial=2**40, **bb),
        bitsback.bits_back_decode: dict(final=bb_run.final, n_messages=3, **bb),
        gaussian.log_normal: dict(x=xs, mean=0.1, var=0.5),
        gaussian.log_normal_expr: dict(x=0.3, mean=0.1, var=0.5),
        gaussian.kl_normal: dict(mean_q=xs, var_q=0.4, mean_p=0.0, var_p=1.0),
        gaussian.kl_mvn: dict(mean_q=np.zeros(2), cov_q=np.eye(2) * 0.5,
                              mean_p=np.ones(2), cov_p=np.eye(2)),
        gaussian.standard_normal_rule: dict(nodes=5, d=2),
        gaussian.standard_normal_rule_2d: dict(nodes=5),
        vdm.log_snr_linear: dict(t=np.array([0.0, 0.5, 1.0]), log_snr_min=-5.0,
                                 log_snr_max=13.3),
        vdm.log_snr_cosine: dict(t=np.array([0.0, 0.5, 1.0]), log_snr_min=-5.0,
                                 log_snr_max=13.3),
        vdm.vp_variances: dict(log_snr=xs),
        vdm.gaussian_mmse: dict(snr=np.array([0.5, 2.0]), s2=0.3, x=0.2),
        vdm.gaussian_diffusion_loss: dict(s2=0.3, x=xs, log_snr_min=-5.0,
                                          log_snr_max=13.3),
        vdm.gaussian_diffusion_loss_steps: dict(s2=0.3, T=8, x=xs,
                                                log_snr=vdm.log_snr_linear,
                                                log_snr_min=-5.0, log_snr_max=13.3),
        vdm.gaussian_prior_term: dict(s2=0.3, x=xs, log_snr_min=-5.0),
        vdm.reconstruction_term: dict(log_snr_max=13.3, d=2),
        vdm.gaussian_neg_elbo: dict(s2=0.3, x=xs, T=8, log_snr=vdm.log_snr_cosine,
                                    log_snr_min=-5.0, log_snr_max=13.3),
        vdm.gaussian_neg_log_likelihood: dict(s2=0.3, x=xs),
        vdm.mixture_mmse: dict(mixture=mixture, log_snr=xs, nodes=8),
        vdm.mixture_diffusion_loss: dict(mixture=mixture, log_snr_min=-5.0,
                                         log_snr_max=13.3, snr_nodes=8, nodes=8),
        vdm.mixture_diffusion_loss_steps: dict(mixture=mixture, T=4,
                                               log_snr=vdm.log_snr_linear,
                                               log_snr_min=-5.0, log_snr_max=13.3,
                                               nodes=8),
        vdm.mixture_prior_term: dict(mixture=mixture, log_snr_min=-5.0),
        vdm.mixture_neg_elbo: dict(mixture=mixture, T=4, log_snr=vdm.log_snr_linear,
                                   log_snr_min=-5.0, log_snr_max=13.3, nodes=8),
        vdm.mixture_entropy: dict(mixture=mixture, nodes=8),
        vdm.pixel_levels: dict(bits=8),
        vdm.discretized_gaussian_log_likelihood: dict(x=vdm.pixel_levels(8)[:5],
                                                      mean=0.0, var=0.01, bits=8),
        vdm.bits_per_dim: dict(nats=xs, dims=3),
        diffusion.linear_betas: dict(T=20, beta_start=1e-4, beta_end=0.02),
        diffusion.cosine_betas: dict(T=20, s=0.008, max_beta=0.999),
        diffusion.alphas_cumprod: dict(betas=betas),
        diffusion.forward_marginal: dict(x0=xs, t=3, betas=betas),
        diffusion.q_sample: dict(x0=xs, t=3, betas=betas, rng=rng),
        diffusion.q_posterior: dict(x0=xs, xt=xs[::-1].copy(), t=3, betas=betas),
        diffusion.gaussian_data_marginal: dict(mu=0.5, s2=0.3, t=3, betas=betas),
        diffusion.gaussian_data_reverse: dict(mu=0.5, s2=0.3, xt=xs, t=3, betas=betas),
        diffusion.gaussian_data_elbo_terms: dict(mu=0.5, s2=0.3, betas=betas, x0=xs),
        diffusion.gaussian_data_elbo: dict(mu=0.5, s2=0.3, betas=betas, x0=xs),
        diffusion.gaussian_data_log_likelihood: dict(mu=0.5, s2=0.3, betas=betas,
                                                     x0=xs),
        diffusion.GaussianMixture: dict(weights=[0.6, 0.4],
                                        means=[[-1.0, 0.0], [1.0, 0.5]],
                                        covs=[np.eye(2) * 0.2, np.eye(2) * 0.3]),
        diffusion.elbo_chain_samples: dict(x0=np.zeros((6, 2)), betas=betas,
                                           reverse_mean=lambda x, t: 0.9 * x,
                                           reverse_var=betas, rng=rng),
        diffusion.ancestral_samples: dict(n=6, d=2, betas=betas,
                                          reverse_mean=lambda x, t: 0.9 * x,
                                          reverse_var=betas, rng=rng),
        models.ConjugateGaussian: dict(prior_mean=0.2, prior_var=1.5, noise_var=0.5),
        models.DiscreteLatent: dict(prior=[0.3, 0.7], likelihood=[[0.5, 0.5], [0.2, 0.8]]),
        counts.nb_log_prob: dict(x=np.array([0, 3, 7]), mu=2.0, theta=1.5),
        counts.zinb_log_prob: dict(x=np.array([0, 3, 7]), mu=2.0, theta=1.5, pi=0.2),
        counts.sample_zinb: dict(rng=rng, mu=2.0, theta=1.5, pi=0.2, size=5),
        counts.simulate_cells: dict(rng=rng, n_cells=6, n_genes=4, n_types=2, spread=0.5),
        counts.init_params: dict(rng=rng, n_genes=4, latent=2),
        counts.encode: dict(params=params, x=cells.x),
        counts.decoder_mean: dict(params=params, z=np.zeros((6, 2)),
                                  library=cells.x.sum(axis=1)),
        counts.log_likelihood: dict(params=params, x=cells.x, z=np.zeros((6, 2))),
        counts.elbo_estimate: dict(params=params, x=cells.x, eps=np.zeros((6, 2))),
        counts.exact_elbo: dict(params=params, x=cells.x, nodes=4),
        counts.fit: dict(x=cells.x, steps=3, learning_rate=0.03, seed=0),
        em_mixture.log_joint: dict(X=X, **gmm),
        em_mixture.log_density: dict(X=X, **gmm),
        em_mixture.log_likelihood: dict(X=X, **gmm),
        em_mixture.responsibilities: dict(X=X, **gmm),
        em_mixture.hard_assignments: dict(X=X, **gmm),
        em_mixture.m_step: dict(X=X, q=q_resp),
        em_mixture.elbo: dict(X=X, q=q_resp, params=em_mixture.m_step(X, q_resp)),
        em_mixture.em: dict(X=X, init=em_mixture.m_step(X, q_resp), n_iter=3,
                         e_step=em_mixture.responsibilities),
        finite.random_distributions: dict(rng=rng, n=4, K=3, concentration=1.0),
        finite.random_rational_distribution: dict(rng=rng, K=3, denominator=1000),
        finite.probability_symbols: dict(name="q", K=3),
        finite.indexed_weights: dict(name="q", total="Q"),
        finite.kl_exact: dict(q=[0.25, 0.75], p=[0.5, 0.5]),
        finite.state_sum: dict(expr=finite.indexed_weights("w", "W")[0][finite.k]),
        ising.lattice_edges: dict(rows=3, cols=3, periodic=True),
        ising.all_spins: dict(n=3),
        ising.binary_entropy: dict(m=np.array([0.1, -0.5])),
        ising.chain_log_partition: dict(n=4, beta=0.5, J=1.0, h=0.2),
        ising.Ising: dict(edges=ising.lattice_edges(1, 4), n_spins=4, J=1.0, h=0.1),
        vae.ppca_log_likelihood: dict(X=pca_X, W=pca_W, mu=np.zeros(3), noise_var=0.3),
        vae.ppca_posterior: dict(X=pca_X, W=pca_W, mu=np.zeros(3), noise_var=0.3),
        vae.linear_vae_elbo: dict(X=pca_X, W=pca_W, mu=np.zeros(3), noise_var=0.3,
                                  V=pca_W.T * 0.5, S=np.array([0.4])),
        vae.ppca_ml: dict(X=pca_X, k=1),
        vae.fit_linear_vae: dict(X=pca_X, k=1, beta=1.0, noise_var=None, seed=0,
                                 max_iter=50),
        vae.fit_ppca: dict(X=pca_X, k=1, noise_var=None, seed=0, max_iter=50),
        vae.linear_beta_optimum: dict(eigenvalues=np.array([2.0, 1.0, 0.5]),
                                      noise_var=0.3, beta=1.0),
        mlp_vae.Settings: dict(hidden=3, latent=2, beta=1.0, epochs=1, batch_size=3,
                               learning_rate=0.003, seed=0),
        mlp_vae.binary_digits: dict(n_test=100, seed=0),
        mlp_vae.init_params: dict(rng=rng, data_dim=5, hidden=3, latent=2),
        mlp_vae.encode: dict(params=net, x=pixels),
        mlp_vae.decoder_logits: dict(params=net, z=np.zeros((4, 2))),
        mlp_vae.bernoulli_log_likelihood: dict(x=pixels, logits=np.zeros((6, 5))),
        mlp_vae.elbo_estimate: dict(params=net, x=pixels, eps=np.zeros((6, 2)), beta=1.0),
        mlp_vae.train: dict(x_train=pixels, x_test=pixels[:2], settings=tiny),
        mlp_vae.log_weights: dict(params=net, x=pixels, K=4, rng=rng, chunk=2, block=8),
        mlp_vae.iwae_bounds: dict(log_w=np.zeros((4, 6)), sizes=[1, 2, 4]),
        mlp_vae.expected_log_likelihood: dict(params=net, x=pixels, nodes=4),
        mlp_vae.log_evidence_grid: dict(params=net, x=pixels, half_width=6.0, n=11,
                                        chunk=3),
        mlp_vae.cache_path: dict(x_train=pixels, x_test=pixels[:2], settings=tiny,
                                 directory=tempfile.gettempdir()),
        mlp_vae.trained: dict(x_train=pixels, x_test=pixels[:2], settings=tiny,
                              directory=tempfile.gettempdir(), retrain=False),
        bayes.polynomial_design: dict(x=np.linspace(-1, 1, 5), degree=2),
        bayes.log_gamma_pdf: dict(tau=np.array([0.5, 2.0]), shape=2.0, rate=1.5),
        bayes.kl_gamma: dict(shape_q=2.0, rate_q=1.5, shape_p=1.0, rate_p=1.0),
        bayes.NormalGammaRegression: dict(design=bayes.polynomial_design(
            np.linspace(-1, 1, 6), 1), targets=np.linspace(0, 1, 6), prior_mean=np.zeros(2),
            prior_precision=np.eye(2), a0=2.0, b0=1.0),
        bayes.elbo: dict(model=model, q=q0),
        bayes.kl_to_posterior: dict(model=model, q=q0),
        bayes.log_q: dict(q=q0, w=np.zeros(3), tau=1.5),
        bayes.sample_q: dict(q=q0, rng=rng, size=4),
        bayes.update_w: dict(model=model, q=q0, block=[0, 1]),
        bayes.update_tau: dict(model=model, q=q0),
        bayes.initial_q: dict(model=model, blocks="diagonal"),
        bayes.cavi: dict(model=model, blocks="diagonal", q0=q0, max_sweeps=50, tol=1e-9),
        bayes.fixed_point: dict(model=model, blocks="diagonal"),
        bayes.fixed_point_gap: dict(model=model, blocks="diagonal"),
        labels.Equation: dict(label="eq-x", tex="x = 1", definition=False),
        labels.equation_labels: dict(path=notebook.CONFIG.parent / "book" / "jensen.md"),
        labels.equations: dict(path=notebook.CONFIG.parent / "book" / "jensen.md"),
        labels.equations_in_text: dict(text="$$\nx = 1\n$$ (eq-x)\n", in_definition=False),
        labels.labels_in_text: dict(text="$$\nx = 1\n$$ (eq-x)\n"),
        notebook.book_macros: dict(config=notebook.CONFIG),
        book_files.book_file: dict(relative="_config.yml"),
        book_files.packaged_equations: dict(chapter="jensen.md"),
        book_files.equation_number: dict(label="eq-jensen"),
        notebook.glue: dict(name="gap", variable="a value", display=False),
        notebook.macro_definitions: dict(macros={"E": "\\mathbb{E}"}),
        notebook.setup_chapter: {},
        plotting.use_book_style: {},
        lemmas.log_tangent_bound: dict(label=None),
        lemmas.tangent_gap: {},
        laurent.expand_laurent: dict(expr=(sp.Symbol("x") + 1 / sp.Symbol("y")) ** 2),
    } | _ising_exact_functions()


def _ising_exact_functions():
    model = ising.Ising.square(3, J=1.0, h=0.1)
    return {
        ising_exact.row_transfer_matrix: dict(cols=3, beta=0.5, J=1.0, h=0.2),
        ising_exact.torus_log_partition: dict(rows=3, cols=3, beta=0.5, J=1.0, h=0.2),
        ising_exact.mean_magnetisation: dict(model=model, beta=0.5),
        ising_exact.specific_heat: dict(model=model, beta=0.5),
        ising_exact.abs_magnetisation_susceptibility: dict(model=model, beta=0.5),
        ising_exact.mean_field_coordinate_ascent: dict(model=model, beta=0.3,
                                                       m0=np.full(9, 0.2), tol=1e-10,
                                                       max_sweeps=500),
        ising_exact.belief_propagation: dict(model=model, beta=0.3, u0=0.1, damping=0.5,
                                             tol=1e-10, max_iter=1000),
    }
