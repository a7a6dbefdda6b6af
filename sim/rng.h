/* Random number streams: one GSL generator per (scenario seed, component id, node, purpose),
 * so adding a component or a node never changes another stream's draws. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* The 64-bit seed of a stream: a hash of the tuple (component is an id string, purpose a
 * short name such as "service" or "arrivals"). Pure and stable across builds and platforms. */
uint64_t rng_stream_seed(uint64_t seed, const char *component, uint32_t node, const char *purpose);
/* A new generator (gsl_rng_mt19937) seeded from rng_stream_seed; free with gsl_rng_free. */
gsl_rng *rng_stream(uint64_t seed, const char *component, uint32_t node, const char *purpose);

#endif
