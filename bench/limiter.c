/* Benchmark of rate-limit decisions: nanoseconds per limiter_admit for each algorithm, with one
 * global key and with 100000 clients drawn uniformly (keys spread over a hash table larger than
 * the caches). Run: build/bench/limiter [decisions per case, default 10000000]. */
#include "models/limiter.h"
#include "sim/clock.h"

#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>

#define NCLIENTS 100000
#define NDRAWS (1u << 20) /* client draws, replayed; drawing them is not what is timed */
#define DT 1e-7           /* s between decisions: 10 million requests per second offered */

/* Parameters that admit about half of the offered load (total 1e7/s, per client 100/s) over
 * windows short enough that a run crosses many of them. */
static struct limiter_params params(enum limiter_algo a, enum limiter_keying key)
{
    double offered = key == LIMITER_KEY_GLOBAL ? 1 / DT : 1 / DT / NCLIENTS; /* req/s */
    struct limiter_params p = {.algorithm = a, .key = key};
    p.capacity = 10;
    p.rate = offered / 2;
    p.window = 0.1;
    p.limit = (uint64_t)(offered * p.window / 2);
    return p;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000L;
    if (n <= 0)
        return 2;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1);
    uint64_t *ids = malloc(NCLIENTS * sizeof *ids);
    uint64_t *draws = malloc(NDRAWS * sizeof *draws);
    if (!ids || !draws)
        return 1;
    for (size_t i = 0; i < NCLIENTS; i++)
        ids[i] = ((uint64_t)gsl_rng_get(r) << 32) ^ gsl_rng_get(r);
    for (size_t i = 0; i < NDRAWS; i++)
        draws[i] = ids[gsl_rng_uniform_int(r, NCLIENTS)];

    for (int k = 0; k < 2; k++) {
        enum limiter_keying key = k == 0 ? LIMITER_KEY_GLOBAL : LIMITER_KEY_CLIENT;
        for (int a = 0; a < LIMITER_NALGOS; a++) {
            struct limiter_params p = params(a, key);
            struct sim_error err = {0};
            struct limiter *l;
            if (limiter_create(&p, "bench", &l, &err) != 0) {
                sim_error_print(&err);
                return 1;
            }
            /* Warm up: every client once, so the timed part measures steady state. */
            for (size_t i = 0; i < NCLIENTS; i++)
                limiter_admit(l, ids[i], 0, NULL);
            long admitted = 0;
            double t0 = clock_wall_s();
            for (long i = 0; i < n; i++)
                admitted += limiter_admit(l, draws[i & (NDRAWS - 1)], (double)(i + 1) * DT, NULL);
            double dt = clock_wall_s() - t0;
            printf("limiter %-22s %-6s %6.1f ns/decision  admitted %4.1f%%  keys %zu  "
                   "memory %.1f MiB\n",
                   limiter_algo_name(a), limiter_keying_name(key), dt / (double)n * 1e9,
                   100.0 * (double)admitted / (double)n, limiter_keys(l),
                   (double)limiter_memory(l) / (1 << 20));
            limiter_free(l);
        }
    }
    /* Eventual sync: 4 nodes that all know 100000 clients; per sync, `touched` decisions on
     * random clients and then the sync, whose cost follows the keys touched. */
    for (int a = 0; a < LIMITER_NALGOS; a++) {
        if (!limiter_supports_eventual(a))
            continue;
        struct limiter_params p = params(a, LIMITER_KEY_CLIENT);
        p.sync = LIMITER_SYNC_EVENTUAL;
        p.sync_interval = 0.01;
        struct limiter *nodes[4];
        struct sim_error err = {0};
        for (int i = 0; i < 4; i++)
            if (limiter_create(&p, "bench", &nodes[i], &err) != 0)
                return 1;
        for (size_t i = 0; i < NCLIENTS; i++)
            limiter_admit(nodes[i % 4], ids[i], 0, NULL);
        limiter_sync(nodes, 4, 0); /* every key on every node from here on */
        size_t next = 0;
        double t = 0;
        for (int touched = NCLIENTS; touched >= 1000; touched /= 100) {
            int syncs = touched == NCLIENTS ? 20 : 2000;
            double t0 = clock_wall_s();
            for (int s = 0; s < syncs; s++) {
                t += 0.01;
                for (int i = 0; i < touched; i++, next++)
                    limiter_admit(nodes[next % 4], draws[next & (NDRAWS - 1)], t, NULL);
                limiter_sync(nodes, 4, t + 0.005);
            }
            double dt = clock_wall_s() - t0;
            printf("limiter %-22s sync   %8.3f ms per sync of 4 nodes x %d keys after %d "
                   "decisions (decisions included)\n",
                   limiter_algo_name(a), dt / syncs * 1e3, NCLIENTS, touched);
        }
        for (int i = 0; i < 4; i++)
            limiter_free(nodes[i]);
    }
    free(draws);
    free(ids);
    gsl_rng_free(r);
    return 0;
}
