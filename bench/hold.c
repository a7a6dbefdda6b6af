/* The hold-model benchmark as a program: with no arguments, the standard table of
 * bench_hold_report; `hold PENDING EVENTS [ring|live] [RING_SIZE]` times one configuration,
 * on the event queue named by $CLUSTERSIM_EVQ (heap4 or ladder). */
#include "sim/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: hold [PENDING EVENTS [ring|live] [RING_SIZE]]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc == 1)
        return bench_hold_report(stdout) == 0 ? 0 : 1;
    if (argc < 3 || argc > 5)
        return usage();
    struct bench_hold_config cfg;
    bench_hold_defaults(&cfg, strtoull(argv[1], NULL, 10), strtoull(argv[2], NULL, 10), 1);
    cfg.warmup = cfg.pending;
    if (argc > 3) {
        if (strcmp(argv[3], "live") == 0)
            cfg.rng = BENCH_RNG_LIVE;
        else if (strcmp(argv[3], "ring") != 0)
            return usage();
    }
    if (argc > 4)
        cfg.ring = strtoull(argv[4], NULL, 10);
    if (cfg.pending == 0 || (cfg.ring & (cfg.ring - 1)) != 0)
        return usage();
    struct bench_hold_result res;
    bench_hold_run(&cfg, &res);
    printf("pending=%zu events=%llu rng=%s queue=%s wall_s=%.3f cpu_s=%.3f events_per_s=%.0f\n",
           cfg.pending, (unsigned long long)res.dispatched,
           cfg.rng == BENCH_RNG_LIVE ? "live" : "ring", evq_kind_name(cfg.evq), res.wall_s,
           res.cpu_s, res.events_per_s);
    return 0;
}
