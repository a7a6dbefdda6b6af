/* The simulation kernel: the clock, the future event set and the run loop.
 * The loop is pop, advance, dispatch; everything else hangs on the dispatch function. */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include "sim/evq.h"

#include <stdint.h>

#define SIM_KERNEL UINT32_MAX /* target of the kernel's own events (arrivals, ticks, ...) */

struct sim;
typedef void (*sim_dispatch_fn)(struct sim *sim, const struct sim_event *ev);

/* Events scheduled with no delay skip the heap: they all share the current time and come in
 * seq order, so a FIFO keeps them sorted, and the loop takes whichever of its head, the heap's
 * minimum and the lane's event (sim_lane_at) comes first by (time, seq). The order is exactly
 * the heap's alone. */
struct sim_fifo {
    struct sim_event *ev;
    size_t head, len, cap; /* a ring buffer */
};

struct sim {
    double now;             /* s */
    uint64_t seq;           /* events scheduled so far; the tie-breaker */
    uint64_t dispatched;    /* events handled so far, with those a handler ran itself
                               (sim_next_is_now) */
    struct evq q;
    double next_t;          /* s, time of q's earliest event, INFINITY when q is empty: kept by
                               every push and pop so that the loop and sim_next_is_now compare
                               one double instead of peeking at the queue */
    struct sim_fifo now_q;  /* zero-delay events */
    struct sim_event lane;  /* the lane's event (sim_lane_at); lane.t is INFINITY when empty */
    sim_dispatch_fn dispatch;
    sim_dispatch_fn lane_dispatch; /* runs the lane's event: `dispatch` unless sim_lane_init */
    void *world;            /* the runtime that owns this engine (components, stats) */
    volatile int stop;      /* set to end the run early (SIGINT, fatal model error) */
    double until;           /* s, the horizon of the sim_run in progress */
};

/* The queue is evq_init's choice (evq_default_kind); sim_init_kind names it. */
void sim_init(struct sim *sim, sim_dispatch_fn dispatch, void *world);
void sim_init_kind(struct sim *sim, sim_dispatch_fn dispatch, void *world, enum evq_kind kind);
void sim_free(struct sim *sim);

void sim_fifo_grow(struct sim_fifo *f);

/* Puts *ev, whose t and seq are set, into the queue. Every push goes through here (or
 * sim_schedule), so that next_t stays the queue's earliest time. Always inline, down to the
 * ladder's small path: left to itself the compiler made a function of it, whose call and
 * register saves cost 12 instructions a request in M/M/1 and 2% of the million-user
 * scenario's instructions. */
static inline __attribute__((always_inline)) void sim_push_queue(struct sim *sim,
                                                                 const struct sim_event *ev)
{
    if (ev->t < sim->next_t)
        sim->next_t = ev->t;
    evq_push(&sim->q, ev);
}

static inline void sim_push_now(struct sim *sim, const struct sim_event *ev)
{
    struct sim_fifo *f = &sim->now_q;
    if (f->len == f->cap)
        sim_fifo_grow(f);
    size_t i = f->head + f->len;
    f->ev[i >= f->cap ? i - f->cap : i] = *ev;
    f->len++;
}

/* Schedules *ev to run `delay` seconds from now (delay >= 0); fills in t and seq. */
static inline __attribute__((always_inline)) void sim_schedule(struct sim *sim, double delay,
                                                               struct sim_event *ev)
{
    ev->t = sim->now + delay;
    ev->seq = sim->seq++;
    if (ev->t == sim->now)
        sim_push_now(sim, ev);
    else
        sim_push_queue(sim, ev);
}

/* Schedules at an absolute time; a time in the past means now. */
static inline void sim_schedule_at(struct sim *sim, double t, struct sim_event *ev)
{
    ev->t = t < sim->now ? sim->now : t;
    ev->seq = sim->seq++;
    if (ev->t == sim->now)
        sim_push_now(sim, ev);
    else
        sim_push_queue(sim, ev);
}

/* The lane: a one-event slot beside the queue, for a stream of events of which one at a time
 * is pending, each scheduled by its predecessor's handler (the workload's next arrival). The
 * loop compares it with the queue's earliest and the FIFO's head by (time, seq), so it runs
 * exactly where the queue would have run it, without a push and a pop, and hands it to
 * lane_dispatch, which may skip the general dispatch's tests. sim_lane_at schedules like
 * sim_schedule_at (the same seq), at a finite time. An event still in the lane is moved to the
 * queue (sim_lane_displace), which keeps the order exact whatever the caller does, and is then
 * run by `dispatch`: both must handle the lane's events alike. */
/* Sets the lane's handler; NULL: `dispatch`, the default. */
void sim_lane_init(struct sim *sim, sim_dispatch_fn lane_dispatch);
void sim_lane_displace(struct sim *sim);

static inline void sim_lane_at(struct sim *sim, double t, const struct sim_event *ev)
{
    if (__builtin_expect(sim->lane.t < INFINITY, 0))
        sim_lane_displace(sim);
    sim->lane = *ev;
    sim->lane.t = t < sim->now ? sim->now : t;
    sim->lane.seq = sim->seq++;
}

/* Whether an event scheduled now with no delay would be the very next one to run: nothing
 * else is due at the current time (the FIFO is empty, the heap's and the lane's earliest
 * events are later) and the run goes on. A handler may then do that event's work itself
 * instead, provided it does it after everything else it does that the event's work could see,
 * and counts the event in `dispatched`: the order of all else stays exactly the same. */
static inline int sim_next_is_now(const struct sim *sim)
{
    return !sim->stop && sim->now_q.len == 0 && sim->lane.t > sim->now &&
           (sim->next_t > sim->now || evq_size(&sim->q) == 0);
}

/* For the lane's handler, once it has done all it does: when the lane's event is the very next
 * to run in this sim_run (the FIFO empty, the queue's earliest strictly later, within the
 * run's horizon, not stopped), takes it as the run loop would (the clock moves to its time,
 * it counts as dispatched) into *ev and returns 1, and the handler runs it in a loop of its
 * own instead of returning to the run loop. Returns 0, changing nothing, otherwise. */
static inline int sim_lane_take(struct sim *sim, struct sim_event *ev)
{
    const double t = sim->lane.t;
    if (sim->stop || sim->now_q.len || !(t < sim->next_t) || !(t <= sim->until))
        return 0;
    *ev = sim->lane;
    sim->lane.t = INFINITY;
    sim->now = t;
    sim->dispatched++;
    return 1;
}

/* Events waiting, in the heap, the zero-delay FIFO and the lane. */
static inline size_t sim_pending(const struct sim *sim)
{
    return evq_size(&sim->q) + sim->now_q.len + (sim->lane.t < INFINITY);
}

/* Runs events with time <= until (or until stop is set); the clock ends at `until` unless
 * stopped early. Returns the number of events dispatched during this call, those that
 * handlers ran themselves (sim_next_is_now, sim_lane_take) included. */
uint64_t sim_run(struct sim *sim, double until);

#endif
