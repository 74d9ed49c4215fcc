/* A tiny test harness in the libuv style: each test_<module>.c defines tests
 * with PMC_TEST(name) and lists them in a table `pmc_tests_<module>[]`
 * terminated by {NULL, NULL}; tests/unit/runner.c runs one test by name, and
 * CMake registers every PMC_TEST it finds as its own CTest test. */
#ifndef PMC_TEST_H
#define PMC_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef void (*pmc_test_fn)(void);
typedef struct {
    const char *name;
    pmc_test_fn fn;
} pmc_test_case;

extern int pmc_test_failures;

#define PMC_TEST(name) static void test_##name(void)
#define PMC_TEST_ENTRY(name) { #name, test_##name }

#define PMC_CHECK(cond)                                                               \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            pmc_test_failures++;                                                      \
        }                                                                             \
    } while (0)

#define PMC_CHECK_INT(a, b)                                                            \
    do {                                                                               \
        long long pa_ = (long long)(a), pb_ = (long long)(b);                          \
        if (pa_ != pb_) {                                                              \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__,      \
                    __LINE__, #a, pa_, #b, pb_);                                       \
            pmc_test_failures++;                                                       \
        }                                                                              \
    } while (0)

/* |a - b| <= tol; tol must be justified at the call site. */
#define PMC_CHECK_NEAR(a, b, tol)                                                          \
    do {                                                                                   \
        double pa_ = (a), pb_ = (b), pt_ = (tol);                                          \
        if (!(fabs(pa_ - pb_) <= pt_)) {                                                   \
            fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g +- %.3g\n", __FILE__,       \
                    __LINE__, #a, pa_, pb_, pt_);                                          \
            pmc_test_failures++;                                                           \
        }                                                                                  \
    } while (0)

#define PMC_CHECK_STR(a, b)                                                                \
    do {                                                                                   \
        const char *pa_ = (a), *pb_ = (b);                                                 \
        if (!pa_ || strcmp(pa_, pb_) != 0) {                                               \
            fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
                    pa_ ? pa_ : "(null)", pb_);                                            \
            pmc_test_failures++;                                                           \
        }                                                                                  \
    } while (0)

#define PMC_CHECK_CONTAINS(hay, needle)                                                    \
    do {                                                                                   \
        const char *ph_ = (hay), *pn_ = (needle);                                          \
        if (!ph_ || !strstr(ph_, pn_)) {                                                   \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
                    ph_ ? ph_ : "(null)", pn_);                                            \
            pmc_test_failures++;                                                           \
        }                                                                                  \
    } while (0)

#endif
