"""Runs pmcabc with the sleeping test model and reads its rank-0 log.

Shared by tools/bench-scaling and tools/bench-dispatch (issue 15). The model
is the test_gate plugin (tests/models/test_gate.c, target pmc_test_gate): the
gaussian model of jobs/gaussian.ini plus a sleep of [model] sleep_us per
simulation (its gate stays open without PMC_TEST_GATE).

What the log gives (lib/pmc_pmcabc.c, log_generation): the generation line is
printed when the generation's simulations, gather and weights are done, before
its file is written; its `wall` covers the slot schedule, the gather and the
weights. So generation g starts at ts(g) - wall(g), and the time between
generations (ts(g - 1) to the start of g: the previous file's write, the next
epsilon, the kernel fit) is ts(g) - wall(g) - ts(g - 1). `discarded N` (after
`busy`) and `requests N` are read when a later pmcabc prints them; the debug
line "gen G: N chunk requests" needs --verbose.
"""
import os
import re
import subprocess
import tempfile
import time

GEN = re.compile(
    r"^\[0\s+(?P<ts>[0-9.]+)s\] gen\s+(?P<gen>\d+)\s+eps (?P<eps>\S+)\s+accept (?P<acc>\S+)"
    r"\s+ESS \S+\s+sims (?P<sims>\d+)\s+total (?P<total>\d+)\s+\S+ sims/s\s+(?P<wall>[0-9.]+)s"
    r"\s+busy (?P<bmin>[0-9.]+)/(?P<bmean>[0-9.]+)/(?P<bmax>[0-9.]+)(?P<rest>.*)$")
DISCARDED = re.compile(r"\bdiscarded (\d+)")
REQUESTS_INLINE = re.compile(r"\brequests (\d+)")
REQUESTS_DEBUG = re.compile(r"^\[0\s+[0-9.]+s\] debug: gen (\d+): (\d+) chunk requests")


def parse_log(text):
    """Returns a list of dicts, one per generation line of rank 0."""
    gens, requests = [], {}
    for line in text.splitlines():
        m = GEN.match(line)
        if m:
            g = {k: float(v) for k, v in m.groupdict().items() if k != "rest"}
            g["gen"] = int(g["gen"])
            d = DISCARDED.search(m.group("rest"))
            g["discarded"] = int(d.group(1)) if d else 0
            g["has_discarded"] = d is not None
            r = REQUESTS_INLINE.search(m.group("rest"))
            g["requests"] = int(r.group(1)) if r else None
            gens.append(g)
            continue
        m = REQUESTS_DEBUG.match(line)
        if m:
            requests[int(m.group(1))] = int(m.group(2))
    for g in gens:
        if g["requests"] is None:
            g["requests"] = requests.get(g["gen"])
    return gens


def run(pmc, plugin, np, particles, sleep_ms, generations, quantile, extra=(), timeout=1800):
    """One pmcabc run; returns (generations, total wall seconds, log text)."""
    with tempfile.TemporaryDirectory(prefix="pmc-scaleout-") as ckpt:
        cmd = ["mpiexec.mpich", "-n", str(np), pmc, "run", "jobs/gaussian.ini", "--verbose",
               "--set", "model.name=plugin", "--set", "model.plugin=" + plugin,
               "--set", "model.sleep_us=%g" % (1000.0 * sleep_ms),
               "--set", "run.particles=%d" % particles,
               "--set", "run.generations=%d" % generations,
               "--set", "epsilon.quantile=%g" % quantile,
               "--set", "run.checkpoint_dir=" + ckpt]
        for kv in extra:
            cmd += ["--set", kv]
        t0 = time.monotonic()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout)
        total = time.monotonic() - t0
        if p.returncode != 0:
            raise RuntimeError("exit %d: %s\n%s" % (p.returncode, " ".join(cmd), p.stdout[-3000:]))
        gens = parse_log(p.stdout)
        exact_walls(gens, ckpt)
    return gens, total, p.stdout


def exact_walls(gens, ckpt):
    """The log prints wall times to 10 ms; the generation files hold them in
    full (attribute wall_time, docs/checkpoint-format.md)."""
    import h5py
    for g in gens:
        path = os.path.join(ckpt, "gen-%04d.h5" % g["gen"])
        if os.path.exists(path):
            with h5py.File(path, "r") as f:
                g["wall"] = float(f.attrs["wall_time"])


def gaps(gens):
    """Seconds between generation g - 1's log line and generation g's start."""
    return [b["ts"] - b["wall"] - a["ts"] for a, b in zip(gens, gens[1:])]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def paths(build):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    pmc = os.path.join(build, "app", "pmcabc")
    plugin = os.path.abspath(os.path.join(build, "tests", "models", "libpmc_test_gate.so"))
    for f in (pmc, plugin):
        if not os.path.exists(f):
            raise SystemExit("%s missing: tools/build %s (with tests) first" % (f, build))
    return root, pmc, plugin
