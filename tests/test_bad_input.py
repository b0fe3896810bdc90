"""Every public function of the covered helpers, fed one bad argument, raises a clear error.

One generic property test over the public API.  Each function has one valid call
(``tests/api_calls.py``); hypothesis picks a function, one of its parameters and
a kind of bad value that applies to that parameter, and the call must raise
``ValueError`` or ``TypeError`` whose message names the parameter, never return
a number or let an ``IndexError``/``AttributeError`` escape.

The kinds: ``nan`` and ``inf`` (at a random position of an array), a string,
``None`` (when ``None`` is not a documented default), and the rules a
parameter's name carries (``RULES``): a non-positive variance, a bad count
(0, -1, 2.5, True), a probability vector that does not sum to one or has a
negative entry, a time step outside 1..T, a time outside [0, 1], a matrix that
is not symmetric positive definite, a wrong shape, ``rng=None``, a non-callable
where a function is expected, an 8-bit value off the grid.
"""

import inspect
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api_calls import COVERED, valid_calls
from helpers import diffusion, vdm

CALLS = {key: call for key, call in valid_calls().items()
         if call[0].__module__ in COVERED
         or getattr(call[0], "__self__", None).__class__.__module__ in COVERED}
NAMES = sorted(CALLS)

POSITIVE = {"var", "var_q", "var_p", "s2", "reverse_var", "beta_start", "beta_end",
            "prior_var", "noise_var", "q_var", "theta", "learning_rate",
            "spread", "concentration", "tau", "shape", "rate", "shape_q", "rate_q",
            "shape_p", "rate_p", "a0", "b0"}
NONNEGATIVE = {"snr"}
COUNT = {"nodes", "d", "T", "snr_nodes", "bits", "dims", "n", "n_cells", "n_genes",
         "n_types", "latent", "steps", "n_iter", "K", "denominator", "size", "max_iter",
         "max_sweeps", "hidden", "epochs", "batch_size", "data_dim", "n_test", "chunk",
         "block", "state", "initial", "final"}
BINARY = {"x_train", "x_test"}                    # pixels 0 or 1
SEED = {"seed", "degree", "n_messages"}           # an integer >= 0
PROBABILITIES = {"weights", "prior"}
FREQUENCIES = {"freqs", "prior", "likelihood", "encoder"}   # helpers.bitsback: whole numbers > 0
SYMBOLS = {"symbol", "messages"}                             # helpers.bitsback: in 0..size - 1
UNIT = {"pi"}                                      # a probability, one number
COVARIANCE = {"cov_q", "cov_p", "prior_precision"}
CALLABLE = {"log_snr": ("gaussian_diffusion_loss_steps", "gaussian_neg_elbo",
                        "mixture_diffusion_loss_steps", "mixture_neg_elbo"),
            "reverse_mean": None, "e_step": None}
UNIT_TIME = ("log_snr_linear", "log_snr_cosine")          # t in [0, 1]
STEP_TIME = ("forward_marginal", "q_sample", "q_posterior", "gaussian_data_marginal",
             "gaussian_data_reverse")
COUNTS_DATA = ("nb_log_prob", "zinb_log_prob")            # x holds counts
POSITIVE_MEAN = COUNTS_DATA + ("sample_zinb",)              # mu is a count's mean


def _has_default_none(function, name):
    parameter = inspect.signature(function).parameters[name]
    return parameter.default is None


def _with_entry(value, bad, index):
    """``value`` as a float array with one entry (chosen by ``index``) set to ``bad``."""
    array = np.array(value, dtype=float)
    if array.ndim == 0:
        return bad
    array = array.copy()
    array.flat[index % array.size] = bad
    return array


def bad_values(function, name, value, index):
    """The bad values that apply to ``name``, each with the kind it stands for."""
    fname = function.__name__
    found = []
    numeric = (isinstance(value, (int, float, np.integer, np.floating, np.ndarray, list))
               and not isinstance(value, bool))
    if name == "mixture":
        return [("not a mixture", "mixture")]
    if name in ("model", "q", "q0") and not isinstance(value, (np.ndarray, list, float)):
        return [("a string", "abc"), ("a number", 1.0)]
    if name == "blocks":
        return [("unknown", "some"), ("not a partition", [[0], [0, 1]])]
    if name == "block":
        return [("out of range", [0, 7]), ("repeated", [1, 1])]
    if name in ("path", "config"):
        return [("missing file", "/nonexistent/chapter.md"), ("not a path", 42)]
    if name in ("text", "tex", "label") and isinstance(value, str):
        return [("not a string", 42)]
    if name in ("macros",):
        return [("not a dict", ["E"]), ("a non-string value", {"E": 1})]
    if name == "expr":
        return [("a string", "x + 1"), ("a number list", [1, 2])]
    if name in ("definition", "in_definition"):
        return [("not a bool", "yes")]
    if name == "params" and isinstance(value, list):
        broken = [np.array(a, dtype=float) for a in value]
        broken[0] = _with_entry(broken[0], np.nan, index)
        return [("a string", "abc"), ("one entry short", value[:-1]),
                ("nan in an entry", broken)]
    if name in CALLABLE and (CALLABLE[name] is None or fname in CALLABLE[name]):
        return [("not callable", "linear"), ("None", None)]
    if name == "rng":
        return [("rng None", None), ("rng an int", 42)]
    if numeric:
        found += [("nan", _with_entry(value, np.nan, index)),
                  ("inf", _with_entry(value, np.inf, index)),
                  ("-inf", _with_entry(value, -np.inf, index)),
                  ("a string", "abc")]
        if not _has_default_none(function, name):
            found.append(("None", None))
    if name in POSITIVE or (name == "mu" and fname in POSITIVE_MEAN) or (
            name in ("learning_rate", "half_width")):
        found += [("zero", _with_entry(value, 0.0, index)),
                  ("negative", _with_entry(value, -0.5, index))]
    if name in NONNEGATIVE:
        found.append(("negative", _with_entry(value, -0.5, index)))
    if name in COUNT:
        found += [("zero count", 0), ("negative count", -1), ("fractional count", 2.5),
                  ("bool count", True)]
    if name in BINARY or (name == "x" and "mlp_vae" in function.__module__
                          and np.ndim(value) == 2):
        found.append(("a pixel of 2", _with_entry(value, 2.0, index)))
    if name in ("settings",):
        found.append(("not Settings", {"epochs": 1}))
    if name == "directory":
        found.append(("not a path", 3))
    if name == "retrain":
        found.append(("not a bool", "yes"))
    if name == "sizes":
        found += [("size 3 of 4", [3]), ("size 0", [0]), ("not a sequence", 4)]
    if name in SEED:
        found += [("negative seed", -1), ("fractional seed", 2.5), ("bool seed", True)]
    if name == "damping":
        found += [("zero", 0.0), ("negative", -0.1)]
    if name == "tol":
        found.append(("negative", -0.1))
    if "bitsback" in function.__module__ and name in FREQUENCIES:
        table = np.array(value)
        found += [("zero frequency", np.where(table == table.flat[0], 0, table).tolist()),
                  ("negative frequency", (-table).tolist()),
                  ("fractional frequency", (table + 0.5).tolist()), ("empty", [])]
    elif "bitsback" in function.__module__ and name in SYMBOLS:
        found += [("symbol out of range", np.add(value, 7).tolist()),
                  ("negative symbol", np.negative(value).tolist() if np.ndim(value) else -1)]
    elif name in PROBABILITIES:
        weights = np.asarray(value, dtype=float)
        found += [("sum 2", weights * 2), ("negative entry", weights[::-1] * [1.5, -0.5])]
    if name in COVARIANCE:
        matrix = np.asarray(value, dtype=float)
        skew = matrix.copy()
        skew[0, -1] += 0.3
        found += [("not symmetric", skew), ("not positive definite", -matrix),
                  ("wrong shape", matrix[:1])]
    if name == "mean_q" and fname == "kl_mvn":
        found.append(("wrong shape", np.zeros((2, 2))))
    if name == "covs":
        covs = np.array(value, dtype=float)
        found += [("not positive definite", -covs), ("wrong shape", covs[:, :1])]
    if name == "means":
        found.append(("wrong shape", np.array(value, dtype=float)[:1]))
    if name in UNIT:
        found += [("above 1", 1.5), ("negative", -0.2)]
    if name == "x" and fname in COUNTS_DATA:
        found += [("negative count", _with_entry(value, -1, index)),
                  ("fractional count", _with_entry(value, 2.5, index))]
    if name == "q" and np.ndim(value) >= 1:
        q = np.asarray(value, dtype=float)
        found += [("rows sum to 2", q * 2), ("negative entry", _with_entry(q, -0.3, index))]
    if name == "likelihood":
        found.append(("rows sum to 2", np.asarray(value, dtype=float) * 2))
    if name == "X":
        found += [("empty", np.zeros((0, 2))), ("3-D", np.asarray(value)[None])]
    if name == "t" and fname in UNIT_TIME:
        found += [("t above 1", 1.5), ("t below 0", -0.1)]
    if name == "t" and fname in STEP_TIME:
        found += [("step T + 1", 21), ("fractional step", 2.5)]
        if fname != "gaussian_data_marginal":                    # t = 0 is the data
            found.append(("step 0", 0))
    if name in ("betas", "reverse_var") and np.ndim(value) == 1:
        found += [("2-D", np.atleast_2d(value)), ("empty", np.array([]))]
    if name == "betas":
        found += [("beta 1", _with_entry(value, 1.0, index)),
                  ("beta 0", _with_entry(value, 0.0, index))]
    if name == "x" and fname == "discretized_gaussian_log_likelihood":
        found.append(("off the 8-bit grid", _with_entry(value, 0.5, index)))
    both_ends = {"log_snr_min", "log_snr_max"} <= set(inspect.signature(function).parameters)
    if name in ("log_snr_min", "log_snr_max") and both_ends:
        found.append(("ends swapped", 20.0 if name == "log_snr_min" else -20.0))
    if name == "max_beta":
        found += [("max_beta 1", 1.0), ("max_beta 0", 0.0)]
    if name == "s" and fname == "cosine_betas":
        found.append(("negative offset", -0.5))
    return found


CASES = [(key, name) for key in NAMES for name in CALLS[key][1]]


def _tool_made(name):
    """Names that tools/mutation.py adds to a scratch copy (mutmut's, undecorate's)."""
    return "mutmut" in name or name.endswith("__body")


def _public(module):
    names = getattr(module, "__all__", None) or [
        n for n in dir(module) if not n.startswith("_") and not _tool_made(n)
        and getattr(getattr(module, n), "__module__", None) == module.__name__]
    return [getattr(module, n) for n in names if callable(getattr(module, n))]


def test_every_public_function_of_the_covered_modules_has_a_valid_call():
    import importlib
    called = {key.rsplit(".", 1)[-1] for key in CALLS}
    for module_name in COVERED:
        module = importlib.import_module(module_name)
        missing = set()
        for item in _public(module):
            if isinstance(item, type) and (issubclass(item, tuple)
                                           or hasattr(item, "__dataclass_fields__")):
                continue                       # result containers, not functions
            if item.__name__ not in called:
                missing.add(item.__name__)
            if isinstance(item, type):
                missing |= {f"{item.__name__}.{m}" for m in vars(item)
                            if not m.startswith("_") and not _tool_made(m)
                            and callable(vars(item)[m])
                            and f"{item.__name__}.{m}" not in CALLS}
        assert not missing, f"{module_name}: no valid call for {sorted(missing)}"


@pytest.mark.parametrize("key", NAMES)
def test_the_valid_call_succeeds(key):
    function, kwargs = valid_calls()[key]
    function(**kwargs)


@pytest.mark.parametrize("key,name", CASES, ids=[f"{k}-{n}" for k, n in CASES])
@settings(max_examples=3, deadline=None, derandomize=True)
@given(index=st.integers(0, 10 ** 6))
def test_a_bad_argument_gets_a_clear_error(key, name, index):
    """Every kind of bad value for this parameter, the array entry chosen by hypothesis."""
    function, kwargs = valid_calls()[key]
    for kind, bad in bad_values(function, name, kwargs[name], index):
        function, kwargs = valid_calls()[key]
        kwargs[name] = bad
        try:
            result = function(**kwargs)
        except (ValueError, TypeError) as error:
            assert re.search(rf"(?<![\w.]){re.escape(name)}\b", str(error)), (
                f"{key}({name}={kind}): the error does not name {name!r}: {error}")
        else:
            pytest.fail(f"{key}({name}={kind}) returned {result!r:.80} instead of raising")
