/* The simulation kernel: the clock, the future event set and the run loop.
 * The loop is pop, advance, dispatch; everything else hangs on the dispatch function. */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include "sim/evq.h"

#include <stdint.h>

#define SIM_KERNEL UINT32_MAX /* target of the kernel's own events (arrivals, ticks, ...) */

struct sim;
typedef void (*sim_dispatch_fn)(struct sim *sim, const struct sim_event *ev);

struct sim {
    double now;             /* s */
    uint64_t seq;           /* events scheduled so far; the tie-breaker */
    uint64_t dispatched;    /* events handled so far */
    struct evq q;
    sim_dispatch_fn dispatch;
    void *world;            /* the runtime that owns this engine (components, stats) */
    volatile int stop;      /* set to end the run early (SIGINT, fatal model error) */
};

void sim_init(struct sim *sim, sim_dispatch_fn dispatch, void *world);
void sim_free(struct sim *sim);

/* Schedules *ev to run `delay` seconds from now (delay >= 0); fills in t and seq. */
static inline void sim_schedule(struct sim *sim, double delay, struct sim_event *ev)
{
    ev->t = sim->now + delay;
    ev->seq = sim->seq++;
    evq_push(&sim->q, ev);
}

/* Schedules at an absolute time, which must not lie in the past. */
static inline void sim_schedule_at(struct sim *sim, double t, struct sim_event *ev)
{
    ev->t = t < sim->now ? sim->now : t;
    ev->seq = sim->seq++;
    evq_push(&sim->q, ev);
}

/* Runs events with time <= until (or until stop is set); the clock ends at `until` unless
 * stopped early. Returns the number of events dispatched by this call. */
uint64_t sim_run(struct sim *sim, double until);

#endif
