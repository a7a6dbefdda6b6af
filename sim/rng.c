/* Random number streams: the 64-bit stream seed is XXH3 of a canonical encoding of
 * (seed, component, node, purpose), and it seeds a GSL mt19937 through all of its 64 bits. */
#include "sim/rng.h"

#include "sim/error.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Bump when the encoding changes, so that old and new streams can never be confused. */
static const char rng_domain[] = "clustersim.rng.v1";

/* The canonical encoding: little-endian integers, strings as a 64-bit length then their bytes
 * (so ("ab", "c") and ("a", "bc") differ). NULL encodes like "". */
static unsigned char *put_u64(unsigned char *p, uint64_t v, unsigned nbytes)
{
    for (unsigned i = 0; i < nbytes; i++)
        *p++ = (unsigned char)(v >> (8 * i));
    return p;
}

static unsigned char *put_str(unsigned char *p, const char *s, size_t n)
{
    p = put_u64(p, (uint64_t)n, 8);
    if (n)
        memcpy(p, s, n);
    return p + n;
}

uint64_t rng_stream_seed(uint64_t seed, const char *component, uint32_t node, const char *purpose)
{
    size_t nd = sizeof rng_domain - 1, nc = component ? strlen(component) : 0,
           np = purpose ? strlen(purpose) : 0;
    size_t len = 8 + nd + 8 + 8 + nc + 4 + 8 + np;
    unsigned char *buf = sim_xmalloc(len), *p = buf;
    p = put_str(p, rng_domain, nd);
    p = put_u64(p, seed, 8);
    p = put_str(p, component, nc);
    p = put_u64(p, node, 4);
    p = put_str(p, purpose, np);
    SIM_ASSERT((size_t)(p - buf) == len);
    uint64_t h = XXH3_64bits(buf, len);
    free(buf);
    return h;
}

/* GSL's mt19937 state, as laid out in GSL's rng/mt.c since its first release. rng_seed_mt_array
 * checks the layout against gsl_rng_set before writing into it. */
#define MT_N 624
struct mt_state {
    unsigned long mt[MT_N];
    int mti;
};

/* gsl_rng_set feeds mt19937 only 32 bits of seed, so with thousands of streams two of them
 * would likely coincide (birthday bound: about 1 in 9 for 30,000 streams). The reference
 * generator's own init_by_array (Matsumoto & Nishimura, mt19937ar.c, 2002) takes a key of any
 * length; GSL lacks it, so it is done here on GSL's state. Streams seeded this way match
 * every mt19937 implementation that offers init_by_array. */
void rng_seed_mt_array(gsl_rng *r, const uint32_t *key, size_t n)
{
    SIM_ASSERT(r->type == gsl_rng_mt19937 && n > 0);
    SIM_ASSERT(gsl_rng_size(r) == sizeof(struct mt_state));
    struct mt_state *st = gsl_rng_state(r);
    gsl_rng_set(r, 19650218UL); /* init_genrand(19650218), the documented first step */
    SIM_ASSERT(st->mti == MT_N && st->mt[0] == 19650218UL && st->mt[1] == 2194844435UL);
    unsigned long *mt = st->mt;
    size_t i = 1, j = 0;
    for (size_t k = MT_N > n ? MT_N : n; k; k--) {
        mt[i] =
            ((mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525UL)) + key[j] + j) & 0xffffffffUL;
        i++, j++;
        if (i >= MT_N) {
            mt[0] = mt[MT_N - 1];
            i = 1;
        }
        if (j >= n)
            j = 0;
    }
    for (size_t k = MT_N - 1; k; k--) {
        mt[i] = ((mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941UL)) - i) & 0xffffffffUL;
        i++;
        if (i >= MT_N) {
            mt[0] = mt[MT_N - 1];
            i = 1;
        }
    }
    mt[0] = 0x80000000UL; /* most significant bit set: the state is never all zero */
    st->mti = MT_N;
}

gsl_rng *rng_stream(uint64_t seed, const char *component, uint32_t node, const char *purpose)
{
    uint64_t h = rng_stream_seed(seed, component, node, purpose);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    SIM_ASSERT(r != NULL); /* gsl_rng_alloc only fails when out of memory */
    const uint32_t key[2] = {(uint32_t)h, (uint32_t)(h >> 32)};
    rng_seed_mt_array(r, key, 2);
    return r;
}
