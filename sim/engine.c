/* The run loop: pop the earliest event, advance the clock, dispatch. Nothing else. */
#include "sim/engine.h"

void sim_init(struct sim *sim, sim_dispatch_fn dispatch, void *world)
{
    sim->now = 0;
    sim->seq = 0;
    sim->dispatched = 0;
    sim->dispatch = dispatch;
    sim->world = world;
    sim->stop = 0;
    evq_init(&sim->q, 1024);
}

void sim_free(struct sim *sim)
{
    evq_free(&sim->q);
}

uint64_t sim_run(struct sim *sim, double until)
{
    uint64_t n = 0;
    struct sim_event ev;
    for (;;) {
        const struct sim_event *next = evq_peek(&sim->q);
        if (!next || next->t > until || sim->stop)
            break;
        evq_pop(&sim->q, &ev);
        sim->now = ev.t;
        sim->dispatch(sim, &ev);
        n++;
    }
    sim->dispatched += n;
    if (!sim->stop && sim->now < until)
        sim->now = until;
    return n;
}
