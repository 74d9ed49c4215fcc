#!/usr/bin/python3
"""Coefficients of the exp polynomial in lib/pmc_weights.c (exp_half_neg_scaled).

The kernel computes exp(-d2/2) = 2^-t, t = d2 log2(e)/2, as 2^n 2^-g with n an
integer and |g| <= 1/2; 2^-g = 1 + g Q(g), Q of degree DEGREE the Chebyshev
fit of (2^-g - 1)/g (near-minimax), computed with 50-digit mpmath, rounded to
double. Prints the coefficients (highest degree first, as C hex floats) and
the relative error of 1 + g Q(g) with those double coefficients in exact
arithmetic. Needs python3-mpmath (Debian: apt-get install python3-mpmath).
Usage: tools/exp_coeffs.py [DEGREE]   (default 10)
"""
import sys

import mpmath as mp

mp.mp.dps = 50
deg = int(sys.argv[1]) if len(sys.argv) > 1 else 10
a = mp.mpf(1) / 2 * (1 + mp.mpf(2) ** -40)  # a hair wider than 1/2


def q(g):
    if abs(g) < mp.mpf(10) ** -20:
        ln2 = mp.log(2)
        return -ln2 + ln2 ** 2 * g / 2
    return (mp.power(2, -g) - 1) / g


poly, err = mp.chebyfit(q, [-a, a], deg + 1, error=True)
coefs = [float(c) for c in poly]
worst = mp.mpf(0)
for k in range(4001):
    g = -a + 2 * a * k / 4000
    p = 1 + g * mp.polyval([mp.mpf(c) for c in coefs], g)
    worst = max(worst, abs(p / mp.power(2, -g) - 1))
print("Q coefficients, g^%d first:" % deg)
for c in coefs:
    print("    " + c.hex())
print("relative error of 1 + g Q(g), exact arithmetic: %s" % mp.nstr(worst, 3))
