/* Back-of-envelope hit ratios of a key-value store under the independent reference model, over
 * the workload's key popularity: Che's approximation (LRU, and its FIFO form for FIFO and
 * random), the top keys for LFU, each bounded by a TTL. The estimate hooks of the cache and
 * the CDN share it. */
#include "models/hitratio.h"
#include "sim/keys.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The workload's key popularity as blocks of keys of (nearly) equal probability: the first
 * 65536 keys one by one, then blocks 0.1% wide, so a billion keys take about 10^4 blocks. */
struct key_blocks {
    size_t n, cap;
    double *m; /* keys in the block */
    double *p; /* probability of each of them */
};

static void key_blocks(const struct scenario *sc, struct key_blocks *b)
{
    const struct workload *wl = &sc->wl;
    struct keydist kd;
    char msg[160];
    memset(b, 0, sizeof *b);
    /* The workload was validated at load, and no alias table is built (limit 0). */
    int rc = keydist_init_table_max(&kd, wl->key_count, wl->key_zipf, wl->key_s, wl->hot_keys,
                                    wl->hot_share, 0, msg, sizeof msg);
    SIM_ASSERT(rc == 0);
    for (uint64_t a = 0; a < wl->key_count;) {
        uint64_t end = a < 65536 ? a + 1 : (uint64_t)((double)a * 1.001) + 1;
        if (a < wl->hot_keys && wl->hot_keys < end)
            end = wl->hot_keys;
        if (end > wl->key_count)
            end = wl->key_count;
        if (b->n == b->cap) {
            b->cap = b->cap ? 2 * b->cap : 4096;
            b->m = sim_xrealloc(b->m, b->cap * sizeof *b->m);
            b->p = sim_xrealloc(b->p, b->cap * sizeof *b->p);
        }
        b->m[b->n] = (double)(end - a);
        b->p[b->n++] = keydist_pmf(&kd, a + (end - a) / 2);
        a = end;
    }
    keydist_free(&kd);
}

/* Che's approximation: entries held when a key lives T requests after its last use, for LRU
 * sum (1 - exp(-p T)), for FIFO and random sum p T / (1 + p T). With a TTL of D seconds (not
 * renewed by hits) at `reads` req/s, a key also holds at most the share of time a TTL cache
 * would keep it, r / (1 + r) with r = p reads D, and the smaller share is taken (the entry
 * leaves by whichever comes first). T = inf gives the TTL-only figure. *hit gets the matching
 * hit ratio, sum p x share. */
static double che_occupancy(const struct key_blocks *b, double t, int fifo, double reads,
                            double ttl, double *hit)
{
    double occ = 0, h = 0;
    for (size_t j = 0; j < b->n; j++) {
        double x = b->p[j] * t;
        double in = isinf(t) ? 1 : fifo ? x / (1 + x) : -expm1(-x);
        if (ttl > 0) {
            double r = b->p[j] * reads * ttl;
            in = fmin(in, r / (1 + r));
        }
        occ += b->m[j] * in;
        h += b->m[j] * b->p[j] * in;
    }
    *hit = h;
    return occ;
}

double hitratio_irm(const struct scenario *sc, double cap, enum evict_policy policy, double reads,
                    double ttl)
{
    struct key_blocks b;
    key_blocks(sc, &b);
    double hit = 0;
    if (policy == EVICT_LFU) {
        double held = 0;
        for (size_t j = 0; j < b.n && held < cap; j++) {
            double take = fmin(b.m[j], cap - held), r = b.p[j] * reads * ttl;
            hit += take * b.p[j] * (ttl > 0 ? r / (1 + r) : 1);
            held += take;
        }
    } else if (che_occupancy(&b, INFINITY, 0, reads, ttl, &hit) > cap) {
        int fifo = policy != EVICT_LRU;
        double lo = 0, hi = 1;
        while (che_occupancy(&b, hi, fifo, reads, ttl, &hit) < cap)
            hi *= 2;
        /* Bisection to a relative width of 1e-12: the occupancy grows with T. */
        for (int it = 0; it < 200 && hi - lo > hi * 1e-12; it++) {
            double mid = (lo + hi) / 2;
            if (che_occupancy(&b, mid, fifo, reads, ttl, &hit) < cap)
                lo = mid;
            else
                hi = mid;
        }
        che_occupancy(&b, hi, fifo, reads, ttl, &hit);
    }
    free(b.m);
    free(b.p);
    return fmin(hit, 1);
}
