#!/usr/bin/python3
"""A simulator program for tests/e2e/test_command.sh, speaking pmcabc's
protocol (docs/writing-a-model.md, "A simulator program").

    gauss_sim.py DATA [--fail=KIND] [--exit-after=N]        persistent mode
    gauss_sim.py DATA --once SEED MU SIGMA [--fail=KIND]    per_simulation mode

The model: n = (values in DATA) draws from Normal(mu, sigma), by Python's own
generator seeded with SEED (deterministic: same seed, same statistics);
statistics: mean and standard deviation. --fail makes every simulation fail
one way: exit (status 3), signal (SIGSEGV), count (3 values), text, nan,
hang (sleeps 1000 s); the environment variable GAUSS_SIM_FAIL=KIND does the
same without changing the command. --exit-after=N exits with status 0 after
N replies (pmcabc must start it again). --observed-pid: the observed statistics
depend on the process id (a program pmcabc must refuse on 2 ranks). --gate=DIR: at its 5th simulation a
process creates DIR/waiting.PID and waits until DIR/open exists (how a test
hits a run while simulations are running, without racing the clock)."""
import math
import os
import random
import signal
import sys
import time


def read_data(path):
    with open(path) as f:
        return [float(x) for x in f.read().split("\n") if x.strip() and not x.startswith("#")]


def stats(xs):
    m = sum(xs) / len(xs)
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def simulate(seed, mu, sigma, n, fail):
    if fail == "exit":
        print("gauss_sim: failing on purpose with status 3", file=sys.stderr)
        sys.exit(3)
    if fail == "signal":
        print("gauss_sim: about to crash", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGSEGV)
    if fail == "hang":
        time.sleep(1000)
    if fail == "count":
        return "1 2 3"
    if fail == "text":
        return "1.5 abc"
    if fail == "nan":
        return "nan 1"
    rng = random.Random(seed)
    return "%.17g %.17g" % stats([rng.gauss(mu, sigma) for _ in range(n)])


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    opts = dict(a[2:].split("=", 1) if "=" in a else (a[2:], "") for a in sys.argv[1:]
                if a.startswith("--"))
    data = read_data(args[0])
    fail = opts.get("fail", os.environ.get("GAUSS_SIM_FAIL"))
    gate = opts.get("gate")
    if "once" in opts:
        seed, mu, sigma = int(args[1]), float(args[2]), float(args[3])
        print(simulate(seed, mu, sigma, len(data), fail))
        return
    left = int(opts.get("exit-after", "0")) or -1
    served = 0
    for line in sys.stdin:
        words = line.split()
        if words[0] == "observed":
            m, sd = stats(data)
            print("%.17g %.17g" % (m + ("observed-pid" in opts) * os.getpid(), sd))
            continue
        served += 1
        if gate and served == 5:
            open(os.path.join(gate, "waiting.%d" % os.getpid()), "w").close()
            while not os.path.exists(os.path.join(gate, "open")):
                time.sleep(0.05)
        seed = int(words[1])
        p = dict(w.split("=") for w in words[2:])
        print(simulate(seed, float(p["mu"]), float(p["sigma"]), len(data), fail))
        left -= 1
        if left == 0:
            return


main()
