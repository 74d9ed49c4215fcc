/* The build identity: what a file records about the pmcabc that wrote it,
 * and what decides whether this build may continue a run.
 *
 * PMC_VERSION is the CMake project version (semantic versioning: the minor
 * version goes up with PMC_STREAM_VERSION while the major version is 0).
 *
 * PMC_STREAM_VERSION goes up with every change that alters the bits a run
 * gives for a given seed, config and data: the random streams (pmc_rng),
 * the proposal kernel, the weights, the tolerance rule, a built-in model or
 * its statistics, the order of any floating-point sum. Generation and
 * partial files store it; a resume is refused when it differs, so two
 * samplers are never mixed in one run (docs/checkpoint-format.md). The
 * tests e2e.golden pin the bits of fixed runs to catch a change that
 * forgot to bump it.
 *
 * History: 1: pmcabc 0.1.0 until the attempt streams of issue 15;
 * 2: one random stream per proposal attempt (0.1.0 after issue 15, 0.2.0). */
#ifndef PMC_VERSION_H
#define PMC_VERSION_H

#ifndef PMC_VERSION
#define PMC_VERSION "unknown"
#endif

#define PMC_STREAM_VERSION 2

#define PMC_STRINGIFY_(x) #x
#define PMC_STRINGIFY(x) PMC_STRINGIFY_(x)

#endif
