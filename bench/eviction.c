/* Micro-benchmark of the cache store: a read-through cache (get, then put on a miss) of 100k
 * entries under a Zipf(0.99) stream over 1M keys, for each eviction policy; prints requests/s
 * and nanoseconds per request. The requests are timed in 5 segments and the fastest and the median
 * are shown, since other processes on a shared machine slow some segments down. */
#include "models/eviction.h"
#include "sim/clock.h"
#include "sim/keys.h"
#include "sim/rng.h"

#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>

#define NKEYS 1000000u
#define CAPACITY 100000u
#define ZIPF_S 0.99
#define NDRAWS (1u << 22) /* 32 MiB of keys, replayed; drawing them is not what is timed */
#define NWARM 2000000u    /* 20 x capacity, discarded */
#define NSEGMENTS 5
#define NPERSEG 4000000u

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t run(struct evict_store *s, const uint64_t *keys, uint64_t first, uint64_t n)
{
    uint64_t hits = 0;
    for (uint64_t i = first; i < first + n; i++) {
        uint64_t key = keys[i & (NDRAWS - 1)];
        /* The simulated clock advances 1 us per request, as a cache model would pass it. */
        double t = (double)i * 1e-6;
        if (evict_get(s, key, t, NULL))
            hits++;
        else
            evict_put(s, key, t, 0, NULL);
    }
    return hits;
}

int main(void)
{
    struct keydist kd;
    char msg[128];
    if (keydist_init(&kd, NKEYS, 1, ZIPF_S, 0, 0, msg, sizeof msg) != 0) {
        fprintf(stderr, "eviction bench: %s\n", msg);
        return 1;
    }
    gsl_rng *r = rng_stream(1, "bench", 0, "keys");
    gsl_rng *victims = rng_stream(1, "bench", 0, "victims");
    uint64_t *keys = malloc(NDRAWS * sizeof *keys);
    if (!keys)
        return 1;
    for (size_t i = 0; i < NDRAWS; i++)
        keys[i] = keydist_draw(&kd, r);
    printf("eviction: Zipf(%.2f) over %u keys, capacity %u, read-through, %u x %u requests\n",
           ZIPF_S, NKEYS, CAPACITY, NSEGMENTS, NPERSEG);
    for (int pol = 0; pol < EVICT_NPOLICIES; pol++) {
        struct evict_store s;
        if (evict_init(&s, (enum evict_policy)pol, CAPACITY, 0, victims, NULL) != 0)
            return 1;
        run(&s, keys, 0, NWARM);
        double dt[NSEGMENTS];
        uint64_t hits = 0;
        for (int g = 0; g < NSEGMENTS; g++) {
            double t0 = clock_wall_s();
            hits += run(&s, keys, NWARM + (uint64_t)g * NPERSEG, NPERSEG);
            dt[g] = clock_wall_s() - t0;
        }
        qsort(dt, NSEGMENTS, sizeof dt[0], cmp_double);
        printf("  %-6s %5.1f M req/s (median %5.1f)  %5.1f ns/req (median %5.1f)  hit ratio %.4f"
               "  %.1f bytes/entry\n",
               evict_policy_name((enum evict_policy)pol), NPERSEG / dt[0] * 1e-6,
               NPERSEG / dt[NSEGMENTS / 2] * 1e-6, dt[0] / NPERSEG * 1e9,
               dt[NSEGMENTS / 2] / NPERSEG * 1e9, (double)hits / (NSEGMENTS * NPERSEG),
               (double)evict_memory_bytes(&s) / CAPACITY);
        evict_free(&s);
    }
    keydist_free(&kd);
    free(keys);
    gsl_rng_free(victims);
    gsl_rng_free(r);
    return 0;
}
