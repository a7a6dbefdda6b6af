/* Random number streams: one GSL generator per (scenario seed, component id, node, purpose),
 * so adding a component or a node never changes another stream's draws. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

/* The 64-bit seed of a stream: a hash of the tuple (component is an id string, purpose a
 * short name such as "service" or "arrivals"). Pure and stable across builds and platforms. */
uint64_t rng_stream_seed(uint64_t seed, const char *component, uint32_t node, const char *purpose);
/* A new generator (gsl_rng_mt19937) seeded from rng_stream_seed; free with gsl_rng_free. */
gsl_rng *rng_stream(uint64_t seed, const char *component, uint32_t node, const char *purpose);
/* Seeds an mt19937 generator (r must be one) with the reference init_by_array(key, n) of
 * Matsumoto & Nishimura, which takes every bit of the key; gsl_rng_set takes only 32. */
void rng_seed_mt_array(gsl_rng *r, const uint32_t *key, size_t n);

#endif
