#!/usr/bin/python3
"""Coefficients of the exp polynomial in lib/pmc_weights.c (pmc__exp_scaled).

exp(r) = 1 + r + r^2 q(r) on |r| <= ln2/2, q of degree 9: the Chebyshev fit of
(e^r - 1 - r) / r^2 (near-minimax), computed with 50-digit mpmath, rounded to
double. Prints the coefficients (highest degree first, as C hex floats) and the
relative error of 1 + r + r^2 q(r) with those double coefficients in exact
arithmetic. Needs python3-mpmath (Debian: apt-get install python3-mpmath).
Usage: tools/exp_coeffs.py [DEGREE]   (default 9)
"""
import sys

import mpmath as mp

mp.mp.dps = 50
deg = int(sys.argv[1]) if len(sys.argv) > 1 else 9
a = mp.log(2) / 2 * (1 + mp.mpf(2) ** -40)  # a hair wider than ln2/2: rounding of n


def q(r):
    if abs(r) < mp.mpf(10) ** -20:
        return mp.mpf(1) / 2 + r / 6
    return (mp.exp(r) - 1 - r) / r ** 2


poly, err = mp.chebyfit(q, [-a, a], deg + 1, error=True)
coefs = [float(c) for c in poly]
worst = mp.mpf(0)
for k in range(4001):
    r = -a + 2 * a * k / 4000
    p = 1 + r + r * r * mp.polyval([mp.mpf(c) for c in coefs], r)
    worst = max(worst, abs(p / mp.exp(r) - 1))
print("q coefficients, r^%d first:" % deg)
for c in coefs:
    print("    " + c.hex())
print("relative error of 1 + r + r^2 q(r), exact arithmetic: %s" % mp.nstr(worst, 3))
