#!/usr/bin/python3
"""A simulator program for pmcabc's `[model] name = command` (the protocol:
docs/writing-a-model.md, "A simulator program"). Copy it and replace
simulate() and summary() with your model.

The model: the data are n values from Normal(mu, sigma); the summary
statistics are their mean and standard deviation. pmcabc starts this program
once per MPI rank (command = /usr/bin/python3 simulator.py {data}) and writes
one request per line on its stdin:

    observed                      -> the statistics of the observed data
    simulate SEED mu=... sigma=...  -> the statistics of one simulated data set

Each reply is one line of numbers on stdout. Anything else (progress, warnings,
tracebacks) goes to stderr, which pmcabc copies to its log."""
import sys

import numpy as np


def summary(x):
    """The summary statistics, printed with 17 digits so that no bit is lost."""
    return "%.17g %.17g" % (x.mean(), x.std(ddof=1))


def simulate(rng, params, n):
    """One data set like the observed one. All randomness comes from rng,
    seeded by pmcabc's SEED: the same seed and parameters give the same
    statistics, so the run is bit-identical on any number of ranks."""
    return rng.normal(params["mu"], params["sigma"], n)


def main():
    data = np.loadtxt(sys.argv[1], comments="#", ndmin=1)
    for line in sys.stdin:
        words = line.split()
        if words[0] == "observed":
            print(summary(data), flush=True)
        elif words[0] == "simulate":
            seed = int(words[1])
            params = {k: float(v) for k, v in (w.split("=", 1) for w in words[2:])}
            x = simulate(np.random.default_rng(seed), params, data.size)
            print(summary(x), flush=True)
        else:
            sys.exit("simulator.py: unknown request %r" % line)


main()
