/* libFuzzer target: the config parser (pmc_config_parse) on the input as
 * INI text, and the same input's lines as --set overrides of a valid config.
 * Properties checked beyond "no crash, no sanitizer report":
 * - an accepted config's effective text parses again to the same text
 *   (it is what checkpoints store and resume compares);
 * - pmc_config_diff of that text with itself finds no difference. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmc_config.h"

#define FUZZ_MAX_OVERRIDES 8
/* No directory part: a relative [model] data path is then kept as written,
 * so parsing the effective text again gives the same path. */
#define FUZZ_CONFIG_PATH "fuzz.ini"

static const char base_config[] =
    "[run]\nseed = 7\nparticles = 200\ngenerations = 4\n\n"
    "[epsilon]\ninitial = inf\nquantile = 0.5\n\n"
    "[model]\nname = gaussian\ndata = heights.csv\n\n"
    "[prior]\nmu = uniform(150, 200)\nsigma = uniform(5, 25)\n";

/* An accepted config: its normalised text must be a fixed point. */
static void check_round_trip(const pmc_config *cfg)
{
    static pmc_config again_buf; /* large: kept out of the per-input allocations */
    pmc_config *again = &again_buf;
    pmc_err err = {0};
    if (pmc_config_parse(cfg->text, cfg->path, NULL, 0, again, &err) != PMC_OK) {
        fprintf(stderr, "effective config text does not parse again: %s\n--- text:\n%s\n",
                err.msg, cfg->text);
        abort();
    }
    if (strcmp(again->text, cfg->text) != 0) {
        fprintf(stderr, "effective config text changes when parsed again:\n--- first:\n%s\n"
                "--- second:\n%s\n", cfg->text, again->text);
        abort();
    }
    char diff[512];
    if (pmc_config_diff(cfg->text, again->text, diff, sizeof diff) != 0) {
        fprintf(stderr, "pmc_config_diff finds differences in identical texts:\n%s\n", diff);
        abort();
    }
    pmc_config_free(again);
}

static void parse_one(const char *text, const char *const *overrides, size_t n_overrides)
{
    static pmc_config cfg_buf;
    pmc_config *cfg = &cfg_buf;
    pmc_err err = {0};
    if (pmc_config_parse(text, FUZZ_CONFIG_PATH, overrides, n_overrides, cfg, &err) == PMC_OK) {
        check_round_trip(cfg);
        pmc_config_free(cfg);
    } else if (err.msg[0] == '\0') {
        fprintf(stderr, "config refused without a message\n");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    parse_one(text, NULL, 0);

    /* The lines as overrides (up to FUZZ_MAX_OVERRIDES) of a valid config. */
    const char *ov[FUZZ_MAX_OVERRIDES];
    size_t n = 0;
    for (char *line = text; line && *line && n < FUZZ_MAX_OVERRIDES;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        ov[n++] = line;
        line = nl ? nl + 1 : NULL;
    }
    parse_one(base_config, ov, n);
    free(text);
    return 0;
}
