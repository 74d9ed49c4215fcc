#!/usr/bin/python3
"""Validation: the stochastic SIR model (Gillespie simulation, integer
incidence statistics, priors that cut the posterior of gamma) against a
rejection-ABC reference computed here with an independent numpy Gillespie
simulator.

Target: as in test_gandk.py, pmcabc's last generation at epsilon = `minimum`
= EPS and rejection ABC at EPS sample the same ABC posterior
prior(theta) P(||S(y) - S(x_obs)|| <= EPS | theta): same prior, data,
statistics (the T counts themselves), Euclidean distance and EPS; the sir
model has no support restriction beyond the prior. The counts are whole
numbers, so the distance is the square root of a whole number; EPS = 7.5
lies between sqrt(56) and sqrt(57), far from any value it could be compared
with, so rounding cannot move a draw across it.

Model (docs/models.md): population N = 100, I0 = 3 infected, S + I -> 2I at
rate beta S I / N, I -> R at rate gamma I; statistics the new infections in
((k-1) dt, k dt], k = 1..10, dt = 1. Data: one trajectory of that model with
beta = 0.8, gamma = 0.3 (written here, not drawn, so that it does not depend
on numpy's streams). Priors beta ~ U(0, 2), gamma ~ U(0, 1).

Reference: M = 2e6 prior draws (numpy default_rng(20261205)), about 0.6 %
accepted. pmcabc: R = 20 runs (seeds 1..20, N = 1000, quantile 0.5, down to
minimum EPS). Tolerances: common.compare_with_rejection (Monte-Carlo errors
of both sides, ESS- or replicate-based, Student t, Bonferroni over the 4
checks, family error 1e-3).
"""
import sys

import numpy as np

from common import check_against_rejection

DATA = [1, 3, 4, 7, 10, 11, 8, 7, 8, 5]
POPULATION = 100
INFECTED = 3
DT = 1.0
EPS = 7.5
REPS = 20
M = 2_000_000
CHUNK = 250_000
NAMES = ("beta", "gamma")


def incidence(beta, gamma, rng):
    """New infections per interval ((k-1) DT, k DT], k = 1..T, of one
    trajectory per (beta, gamma): Gillespie's direct method, all trajectories
    one event at a time."""
    n_int = len(DATA)
    s = np.full(len(beta), float(POPULATION - INFECTED))
    i = np.full(len(beta), float(INFECTED))
    t = np.zeros(len(beta))
    cases = np.zeros((len(beta), n_int))
    live = np.arange(len(beta))
    while len(live):
        a_inf = beta[live] * s[live] * i[live] / POPULATION
        a_all = a_inf + gamma[live] * i[live]
        t_next = t[live] + rng.exponential(size=len(live)) / np.where(a_all > 0, a_all, 1.0)
        go = (a_all > 0) & (t_next <= n_int * DT)
        live, t_next, a_inf, a_all = live[go], t_next[go], a_inf[go], a_all[go]
        t[live] = t_next
        infection = rng.uniform(size=len(live)) * a_all < a_inf
        who = live[infection]
        s[who] -= 1
        i[who] += 1
        interval = np.minimum(np.ceil(t_next[infection] / DT).astype(int) - 1, n_int - 1)
        np.add.at(cases, (who, interval), 1)
        i[live[~infection]] -= 1
    return cases


def rejection_reference():
    obs = np.array(DATA, dtype=float)
    rng = np.random.default_rng(20261205)
    acc = []
    for _ in range(M // CHUNK):
        beta = rng.uniform(0, 2, CHUNK)
        gamma = rng.uniform(0, 1, CHUNK)
        d = np.sqrt(((incidence(beta, gamma, rng) - obs) ** 2).sum(1))
        keep = d <= EPS
        acc.append(np.column_stack([beta[keep], gamma[keep]]))
    return np.concatenate(acc)


def main():
    ref = rejection_reference()
    print("rejection reference: %d of %d prior draws accepted at eps %g" % (len(ref), M, EPS))
    model = [("name", "sir"), ("population", POPULATION), ("infected", INFECTED), ("dt", DT)]
    prior = [("beta", "uniform(0, 2)"), ("gamma", "uniform(0, 1)")]
    return check_against_rejection("sir PMC eps=%g" % EPS, NAMES, ref,
                                   "".join("%d\n" % c for c in DATA), model, prior, REPS, EPS)


if __name__ == "__main__":
    sys.exit(main())
