#!/usr/bin/python3
"""Generates the observed data of the example jobs for the built-in models
(docs/models.md) with fixed seeds and known true parameters. This is an
independent (numpy) implementation of the same models as lib/pmc_model.c,
so it also serves as a cross-check of their definitions.

    /usr/bin/python3 jobs/data/generate.py      # rewrites jobs/data/{ma2,gandk,lotka_volterra,sir}.csv

ma2 and gandk are files of one number per line; lotka_volterra and sir are
tables with a header row, whose columns the jobs select with
`[model] data_columns` (docs/models.md#observed-data).
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, header, values, fmt):
    with open(os.path.join(HERE, name), "w") as f:
        for line in header:
            f.write("# %s\n" % line)
        for v in values:
            f.write(fmt % v + "\n")


def write_table(name, header, columns, rows):
    with open(os.path.join(HERE, name), "w") as f:
        for line in header:
            f.write("# %s\n" % line)
        f.write(",".join(columns) + "\n")
        for row in rows:
            # Counts exactly (%g would round 1234567), times shortest.
            f.write(",".join(("%g" if isinstance(v, float) else "%d") % v for v in row) + "\n")


def ma2(rng, t1, t2, n):
    e = rng.standard_normal(n + 2)
    return e[2:] + t1 * e[1:-1] + t2 * e[:-2]


def gandk(rng, a, b, g, k, n, c=0.8):
    z = rng.standard_normal(n)
    return a + b * (1 + c * np.tanh(g * z / 2)) * (1 + z * z) ** k * z


def lotka_volterra(rng, c1, c2, c3, x0, y0, dt, n_obs):
    x, y, t, out = x0, y0, 0.0, []
    for k in range(1, n_obs + 1):
        while True:
            a1, a2, a3 = c1 * x, c2 * x * y, c3 * y
            a0 = a1 + a2 + a3
            if a0 <= 0:
                break
            tau = rng.exponential(1 / a0)
            if t + tau > k * dt:
                break  # memoryless: the next waiting time is redrawn from k dt
            t += tau
            u = rng.uniform() * a0
            if u < a1:
                x += 1
            elif u < a1 + a2:
                x, y = x - 1, y + 1
            else:
                y -= 1
        t = k * dt
        out.append((k * dt, x, y))
    return out


def sir(rng, beta, gamma, n_pop, i0, dt, n_obs):
    """Rows (time k dt, new infections in ((k-1) dt, k dt], then S, I, R at
    k dt); the model's data are the new infections."""
    s, i, t, out = n_pop - i0, i0, 0.0, []
    for k in range(1, n_obs + 1):
        cases = 0
        while True:
            a1, a2 = beta * s * i / n_pop, gamma * i
            a0 = a1 + a2
            if a0 <= 0:
                break
            tau = rng.exponential(1 / a0)
            if t + tau > k * dt:
                break
            t += tau
            if rng.uniform() * a0 < a1:
                s, i, cases = s - 1, i + 1, cases + 1
            else:
                i -= 1
        t = k * dt
        out.append((k * dt, cases, s, i, n_pop - s - i))
    return out


def main():
    rng = np.random.default_rng(101)
    write("ma2.csv", ["MA(2) series, n = 100, true t1 = 0.6, t2 = 0.2",
                      "jobs/data/generate.py, numpy default_rng(101)"],
          ma2(rng, 0.6, 0.2, 100), "%.8f")
    rng = np.random.default_rng(102)
    write("gandk.csv", ["g-and-k sample, n = 1000, true A = 3, B = 1, g = 2, k = 0.5 (c = 0.8)",
                        "jobs/data/generate.py, numpy default_rng(102)"],
          gandk(rng, 3.0, 1.0, 2.0, 0.5, 1000), "%.8f")
    rng = np.random.default_rng(103)
    write_table("lotka_volterra.csv",
                ["stochastic Lotka-Volterra, true c1 = 1, c2 = 0.005, c3 = 0.6, x0 = 50, y0 = 100",
                 "prey and predator counts at t = 2, 4, ..., 32",
                 "jobs/data/generate.py, numpy default_rng(103)"],
                ["time", "prey", "predator"],
                lotka_volterra(rng, 1.0, 0.005, 0.6, 50, 100, 2.0, 16))
    rng = np.random.default_rng(104)
    write_table("sir.csv",
                ["stochastic SIR, true beta = 0.5, gamma = 0.2, population 1000, infected 5",
                 "new_infections: in the interval ((k-1) 2, k 2], k = 1..30;",
                 "susceptible, infected, recovered: at time k 2",
                 "jobs/data/generate.py, numpy default_rng(104)"],
                ["time", "new_infections", "susceptible", "infected", "recovered"],
                sir(rng, 0.5, 0.2, 1000, 5, 2.0, 30))


if __name__ == "__main__":
    main()
