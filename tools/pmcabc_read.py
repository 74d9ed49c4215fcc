"""Read pmcabc checkpoints (gen-NNNN.h5, partial-NNNN.h5) with h5py and numpy.

Import it from a notebook or script after adding pmcabc's tools/ directory
to sys.path:

    import sys; sys.path.insert(0, "/path/to/pmcabc/tools")
    import pmcabc_read as pr
    run = pr.load_run("checkpoints/gaussian")
    last = run.last                      # newest generation
    print(last.epsilon, last.ess, last.parameter_names)
    print(pr.summarize(last))            # weighted mean, sd, 5/50/95 % quantiles

The summaries use the same definitions as the C code (lib/pmc_inspect.c,
`pmcabc inspect` and the run log's posterior lines), so the numbers agree:
weighted mean sum(w x) and sd sqrt(sum(w (x - mean)^2)), both summed in index
order, and the weighted q-quantile "the smallest sampled value whose
cumulative weight, in ascending order of value, reaches q".

Unlike `pmcabc inspect`, this reader does not verify the whole-file digest
or the checksums: a file h5py can open is taken as it is
(docs/checkpoint-format.md has a checksum example; tests/e2e/h5check.py
checks both). File layout: docs/checkpoint-format.md; guide:
docs/postprocessing.md.
"""

import configparser
import json
import math
import os
import re
import statistics

import h5py
import numpy as np

__all__ = [
    "Generation", "Partial", "Run", "read_generation", "read_partial", "load_run",
    "weighted_mean", "weighted_sd", "weighted_quantile", "summarize", "parse_config",
    "config_priors",
    "run_state", "summary", "to_json", "from_json_number",
    "parse_prior", "prior_is_discrete", "prior_format", "prior_support", "bound_window", "bound_threshold",
    "bound_warnings", "bound_text",
]

GEN_NAME = re.compile(r"gen-([0-9]{4,})\.h5")
PARTIAL_NAME = re.compile(r"partial-([0-9]{4,})\.h5")
QUANTILES = (("q05", 0.05), ("q50", 0.5), ("q95", 0.95))


def _attr_value(v):
    """An HDF5 attribute as a plain Python value (str, int, float, list)."""
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        return [_attr_value(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _attrs(f):
    return {k: _attr_value(v) for k, v in f.attrs.items()}


class Generation:
    """One committed generation: arrays and root attributes of gen-NNNN.h5.

    theta (n, d), weights (n,), distances (n,), epsilons (g + 1,) are numpy
    arrays; stats (n, s) and observed_stats (s,) the simulated statistics of
    each particle and the observed ones, or None in files written before
    pmcabc stored them; attrs is a dict of every root attribute; the common
    ones are also properties (generation, epsilon, ess, n_simulations, ...).
    """

    def __init__(self, path, theta, weights, distances, epsilons, attrs, stats=None,
                 observed_stats=None):
        self.path = path
        self.theta = theta
        self.weights = weights
        self.distances = distances
        self.epsilons = epsilons
        self.attrs = attrs
        self.stats = stats
        self.observed_stats = observed_stats

    generation = property(lambda self: int(self.attrs["generation"]))
    epsilon = property(lambda self: float(self.attrs["epsilon"]))
    ess = property(lambda self: float(self.attrs["ess"]))
    acceptance_rate = property(lambda self: float(self.attrs["acceptance_rate"]))
    n_simulations = property(lambda self: int(self.attrs["n_simulations"]))
    gen_simulations = property(lambda self: int(self.attrs["gen_simulations"]))
    wall_time = property(lambda self: float(self.attrs["wall_time"]))
    seed = property(lambda self: int(self.attrs["seed"]))
    config = property(lambda self: self.attrs["config"])
    parameter_names = property(lambda self: list(self.attrs["parameter_names"]))
    n = property(lambda self: self.theta.shape[0])
    d = property(lambda self: self.theta.shape[1])

    def column(self, name):
        """The sampled values of parameter `name` (a column of theta)."""
        return self.theta[:, self.parameter_names.index(name)]

    # Model choice (docs/checkpoint-format.md): the model labels and the
    # posterior model probabilities; None for a run of one model.
    model_names = property(lambda self: self.attrs.get("model_names"))
    model_probabilities = property(lambda self: self.attrs.get("model_probabilities"))

    def model(self, label):
        """(theta, weights) of the particles of model `label` (model choice):
        its parameters' columns only, named model_parameters(label), the
        weights renormalised to sum to 1 (the posterior given the model)."""
        index = self.model_names.index(label)
        rows = self.theta[:, 0] == index
        cols = [k for k, n in enumerate(self.parameter_names) if n.startswith(label + ".")]
        w = self.weights[rows]
        return self.theta[np.ix_(rows, cols)], w / w.sum()

    def model_parameters(self, label):
        """The parameter names of model `label` (without the "label." prefix)."""
        return [n[len(label) + 1:] for n in self.parameter_names if n.startswith(label + ".")]

    def __repr__(self):
        return (f"Generation({self.generation}, n={self.n}, epsilon={self.epsilon:.6g}, "
                f"ess={self.ess:.1f}, path={self.path!r})")


class Partial:
    """The finished slots of an unfinished generation (partial-NNNN.h5).

    slots (k,), theta (k, d), distances (k,), n_sims (k,) are numpy arrays;
    n is the generation's particle count, k the slots done.
    """

    def __init__(self, path, slots, theta, distances, n_sims, attrs, rejected):
        self.path = path
        self.slots = slots
        self.theta = theta
        self.distances = distances
        self.n_sims = n_sims
        self.attrs = attrs
        self.rejected = rejected

    generation = property(lambda self: int(self.attrs["generation"]))
    epsilon = property(lambda self: float(self.attrs["epsilon"]))
    seed = property(lambda self: int(self.attrs["seed"]))
    n = property(lambda self: int(self.attrs["n_particles"]))
    k = property(lambda self: int(self.attrs["n_done"]))
    simulations = property(lambda self: int(self.n_sims.sum(dtype=np.uint64)))
    config = property(lambda self: self.attrs["config"])

    def __repr__(self):
        return f"Partial({self.generation}, {self.k} of {self.n} slots, path={self.path!r})"


# The result stream version of this pmcabc (lib/pmc_version.h): a run is
# continued only by a pmcabc of the same.
STREAM_VERSION = 2


def _check_kind(path, attrs, expect_partial):
    # Version 2 changed the random streams, 3 added attributes and /rejected:
    # all read alike.
    if attrs.get("format_version") not in (1, 2, 3):
        raise ValueError(f"{path}: format_version {attrs.get('format_version')!r}: expected 1 to 3 "
                         "(not a pmcabc checkpoint?)")
    if (attrs.get("kind") == "partial") != expect_partial:
        raise ValueError(f"{path}: expected a {'partial' if expect_partial else 'generation'} file")


def read_generation(path):
    """Reads one gen-NNNN.h5. Raises OSError (cannot open) or ValueError (not a
    pmcabc generation file), naming the file."""
    with h5py.File(path, "r") as f:
        attrs = _attrs(f)
        _check_kind(path, attrs, False)
        try:
            data = [np.asarray(f[name][()], dtype=np.float64)
                    for name in ("theta", "weights", "distances", "epsilons")]
        except KeyError as e:
            raise ValueError(f"{path}: missing dataset ({e})") from None
        # Optional (docs/checkpoint-format.md): absent in older files.
        stats, observed = (np.asarray(f[name][()], dtype=np.float64) if name in f else None
                           for name in ("stats", "observed_stats"))
    return Generation(path, *data, attrs, stats, observed)


def read_partial(path):
    """Reads one partial-NNNN.h5 (errors as read_generation)."""
    with h5py.File(path, "r") as f:
        attrs = _attrs(f)
        _check_kind(path, attrs, True)
        try:
            slots = np.asarray(f["slots"][()], dtype=np.uint64)
            theta = np.asarray(f["theta"][()], dtype=np.float64)
            distances = np.asarray(f["distances"][()], dtype=np.float64)
            n_sims = np.asarray(f["n_sims"][()], dtype=np.uint64)
            # Format 3: per slot not done, its first attempts known rejected.
            rejected = (np.asarray(f["rejected"][()], dtype=np.uint64) if "rejected" in f
                        else np.zeros(int(attrs["n_particles"]), dtype=np.uint64))
        except KeyError as e:
            raise ValueError(f"{path}: missing dataset ({e})") from None
    return Partial(path, slots, theta, distances, n_sims, attrs, rejected)


class Run:
    """A run directory: generations (usable gen files, ascending), partial
    (the next generation's partial file of an unfinished run, or None) and
    skipped ([(path, error text)] for files that could not be read)."""

    def __init__(self, directory, generations, partial, skipped):
        self.directory = directory
        self.generations = generations
        self.partial = partial
        self.skipped = skipped

    @property
    def last(self):
        """The newest usable generation, or None."""
        return self.generations[-1] if self.generations else None

    def __getitem__(self, g):
        """The generation with index g (not the list position)."""
        for gen in self.generations:
            if gen.generation == g:
                return gen
        raise KeyError(f"{self.directory}: no generation {g}")

    def __repr__(self):
        return (f"Run({self.directory!r}, generations "
                f"{[g.generation for g in self.generations]}, partial={self.partial!r})")


def load_run(directory):
    """Loads every gen-NNNN.h5 of a run directory, in generation order (keep_last
    may have removed old ones), plus the partial file of the next generation
    if the run is not finished. Files h5py cannot read, or whose generation
    attribute differs from their name, go to run.skipped. Raises ValueError
    if the directory holds neither a readable generation nor partial-0000.h5."""
    if not os.path.isdir(directory):
        raise ValueError(f"{directory}: not a directory")
    named = []
    for name in os.listdir(directory):
        m = GEN_NAME.fullmatch(name)
        if m and int(m.group(1)) < 2 ** 24:
            named.append((int(m.group(1)), name))
    generations, skipped = [], []
    for number, name in sorted(named):
        path = os.path.join(directory, name)
        try:
            gen = read_generation(path)
        except (OSError, ValueError, KeyError) as e:
            skipped.append((path, f"{path}: {e}" if path not in str(e) else str(e)))
            continue
        if gen.generation != number:
            skipped.append((path, f"{path}: holds generation {gen.generation}, its name says "
                                  f"{number}"))
            continue
        generations.append(gen)
    partial = None
    if generations:
        last = generations[-1]
        if run_state_of(last)["status"] != "finished":
            partial = _read_next_partial(directory, last.generation + 1, last, skipped)
    elif not skipped:
        partial = _read_next_partial(directory, 0, None, skipped)
        if partial is None:
            raise ValueError(f"{directory}: no generation file (gen-NNNN.h5) and no "
                             "partial-0000.h5: not a pmcabc run directory")
    if not generations and partial is None:
        raise ValueError(f"{directory}: no valid generation file ({len(skipped)} not usable; "
                         f"the newest: {skipped[-1][1]})")
    return Run(directory, generations, partial, skipped)


def _read_next_partial(directory, g, last, skipped):
    path = os.path.join(directory, f"partial-{g:04d}.h5")
    if not os.path.exists(path):
        return None
    try:
        p = read_partial(path)
    except (OSError, ValueError, KeyError) as e:
        skipped.append((path, f"{path}: {e}" if path not in str(e) else str(e)))
        return None
    if last is not None and (p.seed != last.seed or p.n != last.n or p.generation != g):
        skipped.append((path, f"{path}: not a partial file of this run"))
        return None
    return p


# --- weighted statistics (same definitions as lib/pmc_inspect.c) ----------------

def weighted_mean(x, w):
    """sum_i w_i x_i, summed in index order like the C code (w normalised)."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    return float(np.cumsum(w * x)[-1])


def weighted_sd(x, w, mean=None):
    """sqrt(sum_i w_i (x_i - mean)^2), summed in index order (w normalised)."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    if mean is None:
        mean = weighted_mean(x, w)
    dx = x - mean
    return math.sqrt(float(np.cumsum(w * dx * dx)[-1]))


def weighted_quantile(x, w, q):
    """The smallest sampled value whose cumulative weight, in ascending order
    of value (equal values in index order), reaches q; the largest value if
    rounding keeps the total below q. q may be a number or a sequence."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    if x.size == 0:
        raise ValueError("weighted_quantile: no values")
    order = np.argsort(x, kind="stable")
    acc = np.cumsum(w[order])

    def one(level):
        i = int(np.argmax(acc >= level)) if acc[-1] >= level else x.size - 1
        return float(x[order[i]])

    return [one(level) for level in q] if np.ndim(q) else one(q)


def summarize(gen):
    """[{"name", "mean", "sd", "q05", "q50", "q95"}] per parameter of a Generation.
    A NaN is a parameter the particle does not have (model choice: another
    model's): such a column is summarised over the other particles, their
    weights divided by their sum, as pmc_posterior_summarize does."""
    out = []
    for k, name in enumerate(gen.parameter_names):
        x, w = gen.theta[:, k], np.asarray(gen.weights, dtype=np.float64)
        have = ~np.isnan(x)
        if not have.all():
            total = _index_order_sum(w[have])
            x, w = x[have], w[have] * (1.0 / total if total > 0 else math.nan)
        if x.size == 0:
            out.append(dict(name=name, mean=math.nan, sd=math.nan,
                            **{key: math.nan for key, _ in QUANTILES}))
            continue
        mean = weighted_mean(x, w)
        row = {"name": name, "mean": mean, "sd": weighted_sd(x, w, mean)}
        for key, level in QUANTILES:
            row[key] = weighted_quantile(x, w, level)
        out.append(row)
    return out


# --- priors and the bound check (same criterion as lib/pmc_bounds.c) ------------
#
# The criterion and its reasoning are in lib/pmc_bounds.c; this is a copy of
# it for the Python tools (pmcabc-summary, pmcabc-plot). Change both together:
# tests/e2e/test_plots.py checks that `pmcabc inspect --json` and
# bound_warnings give the same warnings (numbers and text) for a uniform and
# a truncnormal prior, tests/e2e/test_inspect.sh that pmcabc-summary prints
# inspect's report.

BOUND_WINDOW = 0.025     # PMC_BOUND_WINDOW: prior probability of the window next to a bound
BOUND_MIN_MASS = 0.10    # PMC_BOUND_MIN_MASS
BOUND_Z = 6.0            # PMC_BOUND_Z
_PRIOR_ARITY = {"uniform": 2, "normal": 2, "lognormal": 2, "exponential": 1, "gamma": 2,
                "beta": 2, "truncnormal": 4, "uniform_int": 2, "poisson": 1,
                "categorical": None}  # None: 2 to 16 numbers (PMC_PRIOR_MAX_ARGS)
_STD_NORMAL = statistics.NormalDist()


def parse_prior(text):
    """("uniform", [5.0, 25.0]) from a stored prior spec "uniform(5, 25)". A
    trailing scale word ("log", "logit": where the kernel perturbs the
    parameter, docs/config.md) does not change the prior and is left out."""
    m = re.fullmatch(r"\s*(\w+)\s*\((.*)\)\s*(?:log|logit)?\s*", text)
    if not m or m.group(1) not in _PRIOR_ARITY:
        raise ValueError(f"prior spec {text!r}: expected e.g. uniform(a, b)")
    args = [float(a) for a in m.group(2).split(",")] if m.group(2).strip() else []
    arity = _PRIOR_ARITY[m.group(1)]
    if (arity is None and not 2 <= len(args) <= 16) or (arity is not None and len(args) != arity):
        raise ValueError(f"prior spec {text!r}: expected {arity or '2 to 16'} numbers")
    return m.group(1), args


def prior_is_discrete(kind):
    """Whether the prior takes whole values only (pmc_prior_is_discrete)."""
    return kind in ("uniform_int", "poisson", "categorical")


def prior_format(kind, args):
    """The spec as lib/pmc_prior.c's pmc_prior_format writes it: numbers in %g."""
    return f"{kind}({', '.join('%g' % a for a in args)})"


def prior_support(kind, args):
    """(lo, hi) of the prior's support; -inf / inf where it is unbounded."""
    if kind in ("uniform", "uniform_int"):
        return args[0], args[1]
    if kind == "truncnormal":
        return args[2], args[3]
    if kind == "beta":
        return 0.0, 1.0
    if kind == "categorical":
        return 0.0, len(args) - 1.0
    if kind in ("lognormal", "exponential", "gamma", "poisson"):
        return 0.0, math.inf
    return -math.inf, math.inf


def _std_truncnormal_quantile(alpha, beta, p):
    """Quantile p of the standard normal on [alpha, beta], mirrored in the upper tail."""
    if alpha > 0:
        return -_std_truncnormal_quantile(-beta, -alpha, 1.0 - p)
    plo, phi = _STD_NORMAL.cdf(alpha), _STD_NORMAL.cdf(beta)
    level = plo + p * (phi - plo)
    z = -math.inf if level <= 0 else math.inf if level >= 1 else _STD_NORMAL.inv_cdf(level)
    return min(max(z, alpha), beta)


def bound_window(kind, args, upper):
    """(bound, inner edge of its window) for an explicit bound of the prior
    (uniform, truncnormal), else None (pmc_bounds_window)."""
    if kind == "uniform":
        a, b = args
        return (b, b - BOUND_WINDOW * (b - a)) if upper else (a, a + BOUND_WINDOW * (b - a))
    if kind == "truncnormal":
        m, sd, a, b = args
        q = _std_truncnormal_quantile((a - m) / sd, (b - m) / sd,
                                      1.0 - BOUND_WINDOW if upper else BOUND_WINDOW)
        return (b if upper else a), m + sd * q
    return None


def bound_threshold(ess):
    """Posterior weight in the window from which it warns (pmc_bounds_threshold)."""
    f = BOUND_WINDOW
    return max(BOUND_MIN_MASS, f + BOUND_Z * math.sqrt(f * (1.0 - f) / ess))


def _index_order_sum(v):
    return float(np.cumsum(v)[-1]) if len(v) else 0.0


def bound_warnings(gen, priors=None):
    """The prior bounds a Generation's population piles against, as
    [{"parameter", "bound" ("lower" | "upper"), "value", "window_edge", "mass",
    "threshold", "text"}] in parameter order, lower before upper: the
    `posterior.bound_warnings` of `pmcabc inspect --json` (pmc_bounds_check).
    priors maps each parameter name to its spec text (default: the stored config)."""
    if priors is None:
        priors = config_priors(parse_config(gen.config))
    out = []
    for k, name in enumerate(gen.parameter_names):
        if name not in priors:
            continue
        kind, args = parse_prior(priors[name])
        # Over the particles that have the parameter (NaN: another model's).
        have = ~np.isnan(gen.theta[:, k])
        x, w = gen.theta[have, k], np.asarray(gen.weights, dtype=np.float64)[have]
        total, squares = _index_order_sum(w), _index_order_sum(w * w)
        if not total > 0:
            continue
        threshold = bound_threshold(total * total / squares)
        for upper in (False, True):
            window = bound_window(kind, args, upper)
            if window is None:
                continue
            bound, edge = window
            inside = x >= edge if upper else x <= edge
            mass = _index_order_sum(np.where(inside, w, 0.0)) / total
            if mass >= threshold:
                hit = {"parameter": name, "bound": "upper" if upper else "lower", "value": bound,
                       "window_edge": edge, "mass": mass, "threshold": threshold}
                hit["text"] = bound_text(hit, prior_format(kind, args))
                out.append(hit)
    return out


def bound_text(hit, prior_text):
    """The warning line of pmc_bounds_text (without "warning: ")."""
    up = hit["bound"] == "upper"
    side = "above" if up else "below"
    name, bound, edge = hit["parameter"], "%g" % hit["value"], "%g" % hit["window_edge"]
    window, threshold = "%g" % (100.0 * BOUND_WINDOW), "%.3g" % (100.0 * hit["threshold"])
    return (f"{name} piles against the {hit['bound']} bound {bound} of its prior {prior_text}: "
            f"{100.0 * hit['mass']:.1f} % of the posterior weight is at or {side} {edge}, the "
            f"prior's {'top' if up else 'bottom'} {window} % (warning from {threshold} %); the "
            f"bound may cut the posterior off: widen the prior if {name} can lie {side} {bound}")


# --- run state and the inspect-compatible summary ---------------------------------

def parse_config(text):
    """The stored effective config text as {section: {key: value-string}}."""
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str
    cp.read_string(text)
    return {s: dict(cp[s]) for s in cp.sections()}


def config_priors(cfg):
    """{parameter name: prior spec} of a parse_config dict: [prior], or with
    model choice each [prior.LABEL] as "LABEL.NAME" (the run's parameter
    names; the model index "model" has no spec of its own)."""
    out = dict(cfg.get("prior", {}))
    for section, keys in cfg.items():
        if section.startswith("prior."):
            label = section[len("prior."):]
            out.update({label + "." + k: v for k, v in keys.items()})
    return out


def _config_numbers(config_text):
    cfg = parse_config(config_text)
    run, eps = cfg.get("run", {}), cfg.get("epsilon", {})
    return {"generations": int(run["generations"]),
            "epsilon_minimum": float(eps.get("minimum", "0")),
            "max_simulations": int(run.get("max_simulations", "0"))}


def _stop_rule(gen):
    """Whether an [epsilon] stopping rule ends the run after gen, as
    pmc_epsilon_should_stop decides it (lib/pmc_epsilon.c)."""
    eps = parse_config(gen.config).get("epsilon", {})
    t = gen.generation
    min_acceptance = float(eps.get("min_acceptance", "0"))
    min_change = float(eps.get("min_change", "0"))
    n_values = len(eps.get("values", "").split(",")) if eps.get("schedule") == "list" else 0
    if min_acceptance > 0 and gen.acceptance_rate < min_acceptance:
        return True
    prev = float(gen.epsilons[t - 1]) if t >= 1 else math.inf
    if min_change > 0 and t >= 1 and 1.0 - gen.epsilon / prev < min_change:
        return True
    return n_values > 0 and t >= n_values


def run_state_of(gen):
    """State of a run whose newest generation is gen (no partial file looked
    at), by the rule of pmc_epsilon_run_finished: generations, epsilon
    minimum, or a stopping rule (then "stop_rule": True)."""
    c = _config_numbers(gen.config)
    if gen.generation + 1 >= c["generations"] or gen.epsilon <= c["epsilon_minimum"]:
        return {"status": "finished", "text": "finished", "stop_rule": False,
                "next_generation": None}
    if _stop_rule(gen):
        return {"status": "finished", "text": "finished", "stop_rule": True,
                "next_generation": None}
    g = gen.generation + 1
    return {"status": "resumable", "text": f"resumable at generation {g}", "stop_rule": False,
            "next_generation": g}


def _partial_state(p):
    return {"status": "partial", "stop_rule": False,
            "text": f"partial generation {p.generation} with {p.k} of {p.n} slots",
            "next_generation": p.generation, "slots_done": p.k, "slots_total": p.n,
            "partial_simulations": p.simulations, "partial_epsilon": p.epsilon,
            "partial_file": p.path}


def _budget_reached(run):
    """Whether max_simulations ends the run: the next generation needs more
    than what is left (each slot not done: its known rejected attempts and
    one more), as pmcabc run decides it (lib/pmc_pmcabc.c, budget_left).
    Returns what is left if so, else None."""
    src = run.partial if run.partial is not None else run.last
    cap = _config_numbers(src.config)["max_simulations"]
    if not cap:
        return None
    done = run.last.n_simulations if run.last is not None else 0
    if run.partial is None:
        need = run.last.n
    else:
        p = run.partial
        need = p.simulations + (p.n - p.k) + int(p.rejected.sum(dtype=np.uint64))
    left = max(cap - done, 0)
    return left if need > left else None


def run_state(run):
    """{"status": "finished" | "resumable" | "partial", "text": ...,
    "budget_reached": ..., ...} as `pmcabc inspect --json` reports it."""
    state = run_state_of(run.last) if run.partial is None else _partial_state(run.partial)
    left = _budget_reached(run) if state["status"] != "finished" else None
    if left is None:
        state["budget_reached"] = False
        return state
    src = run.partial if run.partial is not None else run.last
    return {"status": "finished", "text": "finished", "stop_rule": False, "budget_reached": True,
            "next_generation": None,
            "max_simulations": _config_numbers(src.config)["max_simulations"], "budget_left": left,
            "partial_file": run.partial.path if run.partial is not None else None}


def build_of(f):
    """Which build wrote a Generation or Partial: creator, stream and format
    version (files of format 1 and 2 have no stream_version: theirs is their
    format version), and whether this pmcabc may continue the run."""
    a = f.attrs
    fmt = int(a["format_version"])
    stream = int(a.get("stream_version", fmt))
    return {"creator": a.get("creator", "unknown"), "stream_version": stream,
            "format_version": fmt, "compatible": stream == STREAM_VERSION}


def _meta(gen):
    return {"generation": gen.generation, "epsilon": gen.epsilon,
            "acceptance_rate": gen.acceptance_rate, "ess": gen.ess,
            "gen_simulations": gen.gen_simulations, "n_simulations": gen.n_simulations,
            "wall_time": gen.wall_time}


def summary(directory):
    """The report of `pmcabc inspect DIRECTORY --json`, as a dict (same keys)."""
    run = load_run(directory)
    last = run.last
    src = last if last is not None else run.partial
    cfg = parse_config(src.config)
    labels = [s[len("model."):] for s in cfg if s.startswith("model.")]
    names = (last.parameter_names if last is not None
             else (["model"] if labels else []) + list(config_priors(cfg).keys()))
    report = {
        "path": directory,
        "kind": "run",
        # The model's own name (format 3; a plugin's, not "plugin"), else the config's.
        "model": ((last.attrs.get("model") if last is not None else None)
                  or ("choice" if labels else cfg["model"]["name"])),
        "parameters": names,
        "seed": src.seed,
        "particles": src.n,
        "config": _config_numbers(src.config),
        "build": build_of(run.partial if run.partial is not None else last),
        "state": run_state(run),
        "generations": [dict(_meta(g), file=g.path) for g in run.generations],
        "not_usable": [{"file": f, "error": e} for f, e in run.skipped],
        "models": ({"names": labels,
                    "probabilities": [[float(p) for p in g.model_probabilities]
                                      for g in run.generations]} if labels else None),
        "posterior": None,
    }
    if last is not None:
        report["posterior"] = dict(_meta(last), epsilons=[float(e) for e in last.epsilons],
                                   parameters=summarize(last), bound_warnings=bound_warnings(last))
    return report


def _json_safe(v):
    """inf -> "inf", -inf -> "-inf", NaN -> None, as `pmcabc inspect --json` writes them."""
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    return v


def to_json(report):
    """JSON text of a summary() report, with the C program's conventions for inf/NaN."""
    return json.dumps(_json_safe(report), indent=2, allow_nan=False)


def from_json_number(v):
    """A number of an inspect/summary JSON report as a float ("inf" -> inf, None -> nan)."""
    return float("nan") if v is None else float(v)
