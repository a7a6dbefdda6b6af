/* The baseline for the cache-only benchmark: its request loop written by hand in C, with no
 * simulator around it (Poisson arrivals, Zipf keys, one LRU store without a backend), drawing
 * the same random streams as `clustersim run scenarios/bench/cache-only.json`, so that both
 * count the same hits. The key draw and the store are the simulator's own (sim/keys.c,
 * models/eviction.c): the ratio of the two runs is what the simulator adds around them, and
 * this loop's own speed is what the machine allows for the workload's memory traffic. */
#include "models/eviction.h"
#include "sim/clock.h"
#include "sim/keys.h"
#include "sim/rng.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    /* The defaults are scenarios/bench/cache-only.json's. */
    double rate = argc > 1 ? atof(argv[1]) : 10000;                         /* req/s */
    unsigned long long keys = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    double s = argc > 3 ? atof(argv[3]) : 0.99;                             /* Zipf exponent */
    unsigned long long capacity = argc > 4 ? strtoull(argv[4], NULL, 10) : 100000;
    double duration = argc > 5 ? atof(argv[5]) : 210;                       /* s */
    double warmup = argc > 6 ? atof(argv[6]) : 10;                          /* s */
    unsigned long long seed = argc > 7 ? strtoull(argv[7], NULL, 10) : 1;
    if (argc > 8 || !(rate > 0) || keys == 0 || !(s >= 0) || !(duration > warmup) ||
        !(warmup >= 0)) {
        fprintf(stderr, "usage: cache_bare [RATE [KEYS [S [CAPACITY [DURATION [WARMUP [SEED]]]]]]]\n");
        return 2;
    }

    char msg[200];
    struct keydist kd;
    if (keydist_init(&kd, keys, 1, s, 0, 0, msg, sizeof msg) != 0) {
        fprintf(stderr, "cache_bare: %s\n", msg);
        return 2;
    }
    struct evict_store store;
    struct sim_error err;
    if (evict_init(&store, EVICT_LRU, capacity, 0, NULL, &err) != 0) {
        fprintf(stderr, "cache_bare: %s\n", err.msg);
        return 2;
    }
    /* The simulator's streams for these two purposes, seeded the same way. */
    gsl_rng *arrivals = rng_stream(seed, "", 0, "arrivals"), *key_rng = rng_stream(seed, "", 0, "keys");

    double t0 = clock_wall_s();
    unsigned long long requests = 0, counted = 0, hits = 0;
    for (double t = gsl_ran_exponential(arrivals, 1 / rate); t < duration;
         t += gsl_ran_exponential(arrivals, 1 / rate)) {
        int hit = evict_fetch(&store, keydist_draw(&kd, key_rng), t, NULL);
        requests++;
        if (t >= warmup) {
            counted++;
            hits += (unsigned)hit;
        }
    }
    double wall = clock_wall_s() - t0;

    printf("cache_bare rate=%g keys=%llu s=%g capacity=%llu requests=%llu completed=%llu "
           "wall_s=%.4f requests_per_s=%.0f hit_ratio=%.15g\n",
           rate, keys, s, capacity, requests, counted, wall, (double)counted / wall,
           counted ? (double)hits / (double)counted : 0.0);
    gsl_rng_free(arrivals);
    gsl_rng_free(key_rng);
    evict_free(&store);
    keydist_free(&kd);
    return 0;
}
