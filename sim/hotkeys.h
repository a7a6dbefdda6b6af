/* Hotspot measures: the Gini coefficient of per-node load, and the workload's heaviest keys
 * found by Space-Saving (Metwally, Agrawal, El Abbadi 2005) in k counters over any stream. */
#ifndef SIM_HOTKEYS_H
#define SIM_HOTKEYS_H

#include <stddef.h>
#include <stdint.h>

/* Gini coefficient of n >= 1 non-negative loads: 0 when all are equal, (n-1)/n when one holds
 * everything; NAN when n == 0 or every load is 0. */
double hotkeys_gini(const double *load, size_t n);

/* Space-Saving: a monitored key's count is at least its true count and at most that plus its
 * error, which is at most total / k; every key with more than total / k occurrences is
 * monitored. */
struct hotkeys;

struct hotkey {
    uint64_t key;
    uint64_t count; /* occurrences counted, an over-estimate by at most error */
    uint64_t error; /* the largest over-estimate of count */
};

struct hotkeys *hotkeys_create(size_t k);
void hotkeys_free(struct hotkeys *h);
void hotkeys_add(struct hotkeys *h, uint64_t key);
/* Forgets every count (the end of the warm-up). */
void hotkeys_clear(struct hotkeys *h);
uint64_t hotkeys_total(const struct hotkeys *h); /* keys added since the last clear */
/* Writes the up to max monitored keys with the highest counts, highest first (ties by key),
 * and returns how many were written. */
size_t hotkeys_top(const struct hotkeys *h, struct hotkey *out, size_t max);

#endif
