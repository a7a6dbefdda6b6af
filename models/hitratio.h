/* Back-of-envelope hit ratios of a key-value store under the independent reference model, for
 * the estimate hooks of the cache and the CDN. */
#ifndef MODELS_HITRATIO_H
#define MODELS_HITRATIO_H

#include "models/eviction.h"
#include "sim/scenario.h"

/* The hit ratio of a store of `cap` entries that sees `reads` req/s drawn from the workload's
 * key popularity: Che's approximation for LRU, its FIFO form for FIFO and random (and MRU,
 * as an upper bound), the top-`cap` popularity mass for LFU (which holds the most popular
 * keys under a stationary popularity); each bounded by a TTL of `ttl` s (0: none) not renewed
 * by hits. Keys beyond the first 65536 are taken in blocks 0.1% wide, so a billion keys cost
 * about 10^4 terms per step. */
double hitratio_irm(const struct scenario *sc, double cap, enum evict_policy policy, double reads,
                    double ttl);

#endif
