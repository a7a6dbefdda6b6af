/* The kernel's own benchmark: the classic hold model of the future event set, run through the
 * real engine (struct sim) so that it measures the event queue plus the dispatch call. */
#ifndef SIM_BENCH_H
#define SIM_BENCH_H

#include "sim/evq.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where the exponential increments come from. The hold model is meant to time the queue and the
 * dispatch, so the default draws them once into a ring before the clock starts; BENCH_RNG_LIVE
 * calls the GSL generator inside every handler instead (to show what the RNG itself costs). */
enum bench_rng { BENCH_RNG_RING = 0, BENCH_RNG_LIVE = 1 };

struct bench_hold_config {
    size_t pending;         /* events kept in the queue (P) */
    uint64_t events;        /* hold operations timed (N) */
    uint64_t warmup;        /* hold operations run before the clock starts */
    uint64_t seed;          /* for gsl_rng_mt19937 */
    enum bench_rng rng;
    size_t ring;            /* precomputed draws, a power of two; 0 picks the default */
    enum evq_kind evq;      /* the event queue */
};

struct bench_hold_result {
    uint64_t dispatched;    /* events the engine dispatched while timed; equals config.events */
    size_t min_pending;     /* smallest queue size seen after a handler scheduled its successor */
    size_t max_pending;     /* largest; both equal config.pending in a correct run */
    double wall_s;          /* s, timed part only (CLOCK_MONOTONIC) */
    double cpu_s;           /* s, CPU time of the process over the timed part; on a busy machine
                               it stays near the time the run would take alone */
    double events_per_s;    /* events/s of wall time */
    double sim_end;         /* simulated clock at the end; about (warmup + events) / pending */
};

/* Fills in the defaults: no warm-up, the ring, 2^16 ring entries, evq_default_kind(). */
void bench_hold_defaults(struct bench_hold_config *cfg, size_t pending, uint64_t events,
                         uint64_t seed);
/* Prefills the queue with `pending` events at Exp(1) times, runs `warmup` then `events` hold
 * operations (each handler schedules one event at now + Exp(1)) and fills *out. */
void bench_hold_run(const struct bench_hold_config *cfg, struct bench_hold_result *out);
/* The short form: default configuration, returns events/s. */
double bench_hold(size_t pending, uint64_t events, uint64_t seed);
/* Runs the standard sizes (10k, 100k, 1M pending) and prints a table: one row per size and
 * event queue with the target rate beside the measured one (wall time), the rate per CPU second,
 * and the queue's name last. A missed target is reported in the table, not in
 * the return value, which is 0, or -1 when writing to `out` failed. */
int bench_hold_report(FILE *out);

#endif
