"""Exercises of the chapter on the diffusion bound in continuous time (``book/vdm.md``)."""

import sympy as sp

from helpers.exercises.grader import Exercise

lam = sp.Symbol("lambda", real=True)
s2, v_min, v_max = sp.symbols("s2 v_min v_max", positive=True)

EXERCISES = [
    Exercise("vdm-1", "vdm.md",
             "the signal variance alpha_t^2 of a variance-preserving process at "
             "log-SNR lambda",
             (lam,), 1 / (1 + sp.exp(-lam))),
    Exercise("vdm-2", "vdm.md",
             "the continuous diffusion loss averaged over Gaussian data N(0, s2), SNR "
             "from v_min to v_max, ideal denoiser",
             (s2, v_min, v_max), sp.log((1 + v_max * s2) / (1 + v_min * s2)) / 2),
    Exercise("vdm-3", "vdm.md",
             "the weight per unit lambda that the bound puts on the squared score error",
             (lam,), 1 / (1 + sp.exp(lam))),
]

#: Typical wrong answers, each of which the grader must reject with a counter-example.
WRONG = {
    "vdm-1": [sp.exp(lam),                          # the SNR itself
              1 / (1 + sp.exp(lam)),                # sigma^2
              sp.exp(lam) / (1 + sp.exp(lam)) ** 2],
    "vdm-2": [sp.log((1 + v_max * s2) / (1 + v_min * s2)),       # the 1/2 lost
              sp.log(v_max / v_min) / 2,                          # no data variance
              sp.log((1 + v_min * s2) / (1 + v_max * s2)) / 2],   # the ends swapped
    "vdm-3": [sp.exp(lam),                                 # the data error's weight
              1 / (1 + sp.exp(-lam)),                      # the velocity's
              sp.Integer(1)],                              # the noise error's
}
