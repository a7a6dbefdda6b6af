/* Hotspot measures: the Gini coefficient of per-node load, and the workload's heaviest keys:
 * counted exactly when the keys are 0 .. n-1 for a moderate n, else found by Space-Saving
 * (Metwally, Agrawal, El Abbadi 2005) in k counters over any stream. */
#ifndef SIM_HOTKEYS_H
#define SIM_HOTKEYS_H

#include <stddef.h>
#include <stdint.h>

/* Gini coefficient of n >= 1 non-negative loads: 0 when all are equal, (n-1)/n when one holds
 * everything; NAN when n == 0 or every load is 0. */
double hotkeys_gini(const double *load, size_t n);

/* Space-Saving: a monitored key's count is at least its true count and at most that plus its
 * error, which is at most total / k; every key with more than total / k occurrences is
 * monitored. In exact mode every count is the true one and every error 0. */
struct hotkeys;

/* Largest key space counted exactly, the Zipf alias table's limit too, so that a workload that
 * affords the table (24 bytes per key) affords the counts (HOTKEYS_EXACT_BYTES per key, plus
 * a map for the keys with HOTKEYS_WRAP requests or more). */
#define HOTKEYS_EXACT_MAX (UINT64_C(1) << 22)
#define HOTKEYS_EXACT_BYTES 1
/* Requests of one key after which its exact low counter wraps into the map. */
#define HOTKEYS_WRAP (UINT64_C(1) << (8 * HOTKEYS_EXACT_BYTES))

struct hotkey {
    uint64_t key;
    uint64_t count; /* occurrences counted, an over-estimate by at most error */
    uint64_t error; /* the largest over-estimate of count */
};

/* nkeys in 1 .. HOTKEYS_EXACT_MAX: exact counts of keys 0 .. nkeys-1 (adding a key outside
 * is a bug); otherwise (0 for keys of any value, or more keys) Space-Saving in k counters. */
struct hotkeys *hotkeys_create(size_t k, uint64_t nkeys);
void hotkeys_free(struct hotkeys *h);
void hotkeys_add(struct hotkeys *h, uint64_t key);
/* A hint that hotkeys_add(h, key) comes soon: in exact mode the key's counter is fetched into
 * the cache meanwhile (a random line of an array of up to 4 MB). */
void hotkeys_prefetch(const struct hotkeys *h, uint64_t key);
/* Forgets every count (the end of the warm-up). */
void hotkeys_clear(struct hotkeys *h);
uint64_t hotkeys_total(const struct hotkeys *h); /* keys added since the last clear */
/* Writes the up to max monitored (exact mode: requested) keys with the highest counts,
 * highest first (ties by key), and returns how many were written. */
size_t hotkeys_top(const struct hotkeys *h, struct hotkey *out, size_t max);

#endif
