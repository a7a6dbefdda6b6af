/* libFuzzer target over the scenario loader and validator (with the real model registry) and
 * the --set parser: any input must load or fail with a clean error, never crash or hang. */
#include "models/registry.h"
#include "sim/scenario.h"
#include "tests/fuzz/fuzz_input.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in;
    fuzz_input_split(data, size, &in);
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    /* A name inside a folder that does not exist, so that a relative trace name reads
     * nothing from the working directory. */
    int rc = scenario_load_text("fuzz-no-such-dir/scenario.json", in.text, in.len,
                                (const char *const *)in.sets, in.nsets, model_registry, &sc, &err);
    if (rc == 0) {
        if (!sc)
            abort();
        scenario_free(sc);
    } else if (sc || err.code != SIM_EUSAGE || !err.msg[0]) {
        /* An error must say what is wrong and leave nothing allocated. */
        fprintf(stderr, "unclean error: code %d, message '%s'\n", err.code, err.msg);
        abort();
    }
    fuzz_input_free(&in);
    return 0;
}
