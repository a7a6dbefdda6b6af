/* Benchmark of key draws: nanoseconds per draw for Zipf over 1M and 1e9 keys (GSL alias
 * table over the most popular ranks and blocks of the rest) and over 1e9 keys by
 * rejection-inversion alone, plus uniform for reference. Run: build/bench/keys [draws]. */
#include "sim/clock.h"
#include "sim/keys.h"
#include "sim/rng.h"

#include <stdio.h>
#include <stdlib.h>

static void bench(const char *name, uint64_t count, int zipf, double s, uint64_t table_max,
                  long draws)
{
    struct keydist k;
    char msg[128];
    double t0 = clock_wall_s();
    if (keydist_init_table_max(&k, count, zipf, s, 0, 0, table_max, msg, sizeof msg) != 0) {
        fprintf(stderr, "keys bench: %s: %s\n", name, msg);
        exit(1);
    }
    double t_init = clock_wall_s() - t0;
    gsl_rng *r = rng_stream(1, "bench", 0, "keys");
    /* The checksum keeps the compiler from dropping the draws. */
    uint64_t sum = 0;
    t0 = clock_wall_s();
    for (long i = 0; i < draws; i++)
        sum += keydist_draw(&k, r);
    double t = clock_wall_s() - t0;
    printf("%-34s %8.1f ns/draw  (init %7.1f ms, %s, checksum %llu)\n", name, t / draws * 1e9,
           t_init * 1e3,
           k.alias && k.head < k.count ? "alias + blocks"
           : k.alias                   ? "alias"
           : zipf && s > 0             ? "rejection-inversion"
                                       : "uniform",
           (unsigned long long)(sum % 1000));
    gsl_rng_free(r);
    keydist_free(&k);
}

int main(int argc, char **argv)
{
    long draws = argc > 1 ? atol(argv[1]) : 10000000;
    if (draws <= 0) {
        fprintf(stderr, "usage: keys [draws]\n");
        return 2;
    }
    const uint64_t table = KEYDIST_TABLE_MAX;
    bench("zipf s=0.99, 1M keys", 1000000, 1, 0.99, table, draws);
    bench("zipf s=0.99, 1e9 keys", 1000000000, 1, 0.99, table, draws);
    bench("zipf s=0.99, 1e9 keys, no table", 1000000000, 1, 0.99, 0, draws);
    bench("zipf s=1.0, 1e9 keys", 1000000000, 1, 1.0, table, draws);
    bench("zipf s=1.2, 1e9 keys", 1000000000, 1, 1.2, table, draws);
    bench("uniform, 1e9 keys", 1000000000, 0, 0, table, draws);
    bench("uniform, 1e12 keys", 1000000000000ULL, 0, 0, table, draws);
    return 0;
}
