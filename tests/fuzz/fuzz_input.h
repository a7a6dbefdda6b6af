/* How a fuzz input is read, shared by the libFuzzer target and the regression suite that
 * replays its findings: the scenario text up to the first NUL byte, then up to
 * FUZZ_MAX_SETS NUL-separated --set strings (as a shell would pass them, NUL-free). */
#ifndef TESTS_FUZZ_INPUT_H
#define TESTS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_SETS 4

struct fuzz_input {
    const char *text;          /* the scenario (not NUL-terminated) */
    size_t len;                /* bytes */
    char *sets[FUZZ_MAX_SETS]; /* NUL-terminated copies, owned */
    size_t nsets;
};

static inline void fuzz_input_split(const uint8_t *data, size_t size, struct fuzz_input *in)
{
    const uint8_t *nul = memchr(data, 0, size);
    in->text = (const char *)data;
    in->len = nul ? (size_t)(nul - data) : size;
    in->nsets = 0;
    size_t at = nul ? in->len + 1 : size;
    while (at < size && in->nsets < FUZZ_MAX_SETS) {
        const uint8_t *end = memchr(data + at, 0, size - at);
        size_t n = end ? (size_t)(end - (data + at)) : size - at;
        char *s = malloc(n + 1);
        if (!s)
            abort();
        memcpy(s, data + at, n);
        s[n] = '\0';
        in->sets[in->nsets++] = s;
        at += n + 1;
    }
}

static inline void fuzz_input_free(struct fuzz_input *in)
{
    for (size_t i = 0; i < in->nsets; i++)
        free(in->sets[i]);
    in->nsets = 0;
}

#endif
