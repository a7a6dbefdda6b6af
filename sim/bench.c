/* The hold model (Vaucher and Duval; Jones 1986): a queue kept at P pending events, where every
 * dispatched event schedules one successor at now + Exp(1). It times sim_run end to end. */
#include "sim/bench.h"
#include "sim/clock.h"
#include "sim/engine.h"
#include "sim/error.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

/* 2^16 draws (512 KiB) read in order: long enough that the increments do not repeat in step
 * with any queue size we test, and a sequential stream costs the prefetcher almost nothing. */
#define BENCH_RING_DEFAULT ((size_t)1 << 16)

struct hold {
    const double *ring;   /* precomputed Exp(1) draws, or NULL for live draws */
    size_t mask;          /* ring size - 1 */
    size_t pos;
    gsl_rng *rng;
    uint64_t left;        /* handlers to run before the engine is stopped */
    size_t min_pending, max_pending;
};

static double hold_draw(struct hold *h)
{
    if (h->ring)
        return h->ring[h->pos++ & h->mask];
    return gsl_ran_exponential(h->rng, 1.0);
}

static void hold_dispatch(struct sim *sim, const struct sim_event *ev)
{
    struct hold *h = sim->world;
    /* The successor carries the same payload, as a model's next event for the same job would. */
    struct sim_event next = *ev;
    next.tag++;
    sim_schedule(sim, hold_draw(h), &next);
    size_t n = evq_size(&sim->q);
    if (n < h->min_pending)
        h->min_pending = n;
    if (n > h->max_pending)
        h->max_pending = n;
    if (--h->left == 0)
        sim->stop = 1;
}

/* Runs exactly `events` handlers (the queue never empties, so only the stop flag ends the run). */
static uint64_t hold_steps(struct sim *sim, struct hold *h, uint64_t events)
{
    if (events == 0)
        return 0;
    h->left = events;
    sim->stop = 0;
    return sim_run(sim, HUGE_VAL);
}

void bench_hold_defaults(struct bench_hold_config *cfg, size_t pending, uint64_t events,
                         uint64_t seed)
{
    cfg->pending = pending;
    cfg->events = events;
    cfg->warmup = 0;
    cfg->seed = seed;
    cfg->rng = BENCH_RNG_RING;
    cfg->ring = BENCH_RING_DEFAULT;
    cfg->evq = evq_default_kind();
}

void bench_hold_run(const struct bench_hold_config *cfg, struct bench_hold_result *out)
{
    SIM_ASSERT(cfg->pending > 0);
    struct hold h = {.min_pending = SIZE_MAX};
    h.rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(h.rng, (unsigned long)cfg->seed);
    double *ring = NULL;
    if (cfg->rng == BENCH_RNG_RING) {
        size_t n = cfg->ring ? cfg->ring : BENCH_RING_DEFAULT;
        SIM_ASSERT((n & (n - 1)) == 0);
        ring = sim_xmalloc(n * sizeof *ring);
        for (size_t i = 0; i < n; i++)
            ring[i] = gsl_ran_exponential(h.rng, 1.0);
        h.ring = ring;
        h.mask = n - 1;
    }

    struct sim sim;
    sim_init_kind(&sim, hold_dispatch, &h, cfg->evq);
    for (size_t i = 0; i < cfg->pending; i++) {
        struct sim_event ev = {.target = SIM_KERNEL, .node = (uint32_t)i};
        sim_schedule(&sim, gsl_ran_exponential(h.rng, 1.0), &ev);
    }
    hold_steps(&sim, &h, cfg->warmup);
    h.min_pending = SIZE_MAX;
    h.max_pending = 0;

    double c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID), t0 = clock_seconds(CLOCK_MONOTONIC);
    out->dispatched = hold_steps(&sim, &h, cfg->events);
    out->wall_s = clock_seconds(CLOCK_MONOTONIC) - t0;
    out->cpu_s = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;

    out->min_pending = cfg->events ? h.min_pending : evq_size(&sim.q);
    out->max_pending = cfg->events ? h.max_pending : evq_size(&sim.q);
    out->events_per_s = out->wall_s > 0 ? (double)out->dispatched / out->wall_s : 0;
    out->sim_end = sim.now;
    sim_free(&sim);
    free(ring);
    gsl_rng_free(h.rng);
}

double bench_hold(size_t pending, uint64_t events, uint64_t seed)
{
    struct bench_hold_config cfg;
    struct bench_hold_result res;
    bench_hold_defaults(&cfg, pending, events, seed);
    bench_hold_run(&cfg, &res);
    return res.events_per_s;
}

int bench_hold_report(FILE *out)
{
    /* Events per size: enough for about a second each at the target rates; the warm-up holds
     * every prefilled event about once so the queue's time spread reaches its steady state.
     * 1000 pending is the size of a large model's queue (about 2000 in the million-user
     * scenario); it keeps the 10k target, which a smaller queue has no excuse to miss. */
    static const struct {
        size_t pending;
        uint64_t events;
        double target; /* events/s on one core */
    } sizes[] = {
        {1000, 10000000, 8e6},
        {10000, 10000000, 8e6},
        {100000, 10000000, 5e6},
        {1000000, 5000000, 2e6},
    };
    static const enum evq_kind kinds[] = {EVQ_HEAP4, EVQ_LADDER};
    fprintf(out, "hold model: event queue + dispatch, Exp(1) increments from a precomputed ring\n");
    fprintf(out, "%10s %10s %8s %12s %12s %6s %14s %s\n", "pending", "events", "wall_s",
            "Mevents/s", "target", "met", "Mevents/cpu-s", "queue");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++) {
            struct bench_hold_config cfg;
            struct bench_hold_result res;
            bench_hold_defaults(&cfg, sizes[i].pending, sizes[i].events, 1);
            cfg.warmup = sizes[i].pending;
            cfg.evq = kinds[j];
            bench_hold_run(&cfg, &res);
            double per_cpu = res.cpu_s > 0 ? (double)res.dispatched / res.cpu_s : 0;
            fprintf(out, "%10zu %10llu %8.3f %12.2f %12.2f %6s %14.2f %s\n", sizes[i].pending,
                    (unsigned long long)res.dispatched, res.wall_s, res.events_per_s / 1e6,
                    sizes[i].target / 1e6, res.events_per_s >= sizes[i].target ? "yes" : "no",
                    per_cpu / 1e6, evq_kind_name(kinds[j]));
            fflush(out);
        }
    }
    return ferror(out) ? -1 : 0;
}
