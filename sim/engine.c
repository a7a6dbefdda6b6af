/* The run loop: take the earliest event (from the heap, the zero-delay FIFO or the lane, by
 * (time, seq)), advance the clock, dispatch. Nothing else. */
#include "sim/engine.h"
#include "sim/error.h"

#include <math.h>
#include <stdlib.h>

void sim_init(struct sim *sim, sim_dispatch_fn dispatch, void *world)
{
    sim_init_kind(sim, dispatch, world, evq_default_kind());
}

void sim_init_kind(struct sim *sim, sim_dispatch_fn dispatch, void *world, enum evq_kind kind)
{
    sim->now = 0;
    sim->seq = 0;
    sim->dispatched = 0;
    sim->dispatch = dispatch;
    sim->lane_dispatch = dispatch;
    sim->world = world;
    sim->stop = 0;
    sim->now_q = (struct sim_fifo){0};
    sim->next_t = INFINITY;
    sim->lane = (struct sim_event){.t = INFINITY};
    sim->until = -INFINITY; /* no sim_run in progress: sim_lane_take takes nothing */
    evq_init_kind(&sim->q, 1024, kind);
}

void sim_free(struct sim *sim)
{
    evq_free(&sim->q);
    free(sim->now_q.ev);
    sim->now_q = (struct sim_fifo){0};
}

void sim_fifo_grow(struct sim_fifo *f)
{
    size_t cap = f->cap ? 2 * f->cap : 256;
    struct sim_event *ev = sim_xmalloc(cap * sizeof *ev);
    for (size_t i = 0; i < f->len; i++) {
        size_t j = f->head + i;
        ev[i] = f->ev[j >= f->cap ? j - f->cap : j];
    }
    free(f->ev);
    f->ev = ev;
    f->head = 0;
    f->cap = cap;
}

void sim_lane_init(struct sim *sim, sim_dispatch_fn lane_dispatch)
{
    sim->lane_dispatch = lane_dispatch ? lane_dispatch : sim->dispatch;
}

/* Out of line: the lane's callers rarely leave an event in it. */
__attribute__((noinline)) void sim_lane_displace(struct sim *sim)
{
    sim_push_queue(sim, &sim->lane);
    sim->lane.t = INFINITY;
}

/* Whether the lane's event comes before the zero-delay FIFO's head `e` by (time, seq). The
 * lane's event is never earlier than now, the FIFO's time. */
static inline int lane_before(const struct sim *sim, const struct sim_event *e)
{
    return e->t == sim->lane.t && sim->lane.seq < e->seq;
}

/* Whether the zero-delay FIFO's head `e` comes before the queue's earliest event by (time, seq).
 * Only equal times need the queue's event itself. */
static inline int fifo_first(const struct sim *sim, const struct sim_event *e, enum evq_kind kind)
{
    if (e->t != sim->next_t)
        return e->t < sim->next_t;
    const struct sim_event *next = evq_peek_as(&sim->q, kind);
    return !next || e->seq < next->seq;
}

/* Whether the lane's event, if any, comes before the queue's earliest by (time, seq). */
static inline int lane_first(const struct sim *sim, enum evq_kind kind)
{
    const double t = sim->lane.t;
    if (t != sim->next_t)
        return t < sim->next_t;
    if (!(t < INFINITY))
        return 0;
    const struct sim_event *next = evq_peek_as(&sim->q, kind);
    return !next || sim->lane.seq < next->seq;
}

/* The loop for a queue of `kind`, inlined twice below with a constant kind so that neither copy
 * tests the kind per event. (A third and fourth copy without the lane, for engines that never
 * use it, made the compiler call the pops instead of inlining them: slower for all.) */
static inline __attribute__((always_inline)) uint64_t run_as(struct sim *sim, double until,
                                                             enum evq_kind kind)
{
    uint64_t n = 0;
    struct sim_event ev;
    struct sim_fifo *f = &sim->now_q;
    while (!sim->stop) {
        if (f->len && !lane_before(sim, &f->ev[f->head]) &&
            fifo_first(sim, &f->ev[f->head], kind)) {
            /* A zero-delay event: its time is now, which is never past `until`. */
            ev = f->ev[f->head];
            f->head = f->head + 1 == f->cap ? 0 : f->head + 1;
            f->len--;
        } else if (sim->next_t < sim->lane.t || !lane_first(sim, kind)) {
            /* The queue's turn; the first test alone decides when the lane is empty. */
            if (!(sim->next_t <= until && evq_pop_as(&sim->q, kind, &ev)))
                break;
            sim->next_t = evq_next_t_as(&sim->q, kind);
        } else {
            if (!(sim->lane.t <= until))
                break;
            ev = sim->lane;
            sim->lane.t = INFINITY;
            sim->now = ev.t;
            sim->lane_dispatch(sim, &ev);
            n++;
            continue;
        }
        sim->now = ev.t;
        sim->dispatch(sim, &ev);
        n++;
    }
    return n;
}

uint64_t sim_run(struct sim *sim, double until)
{
    uint64_t before = sim->dispatched;
    sim->until = until;
    uint64_t n = sim->q.kind == EVQ_LADDER ? run_as(sim, until, EVQ_LADDER)
                                           : run_as(sim, until, EVQ_HEAP4);
    sim->dispatched += n;
    sim->until = -INFINITY;
    if (!sim->stop && sim->now < until)
        sim->now = until;
    return sim->dispatched - before;
}
