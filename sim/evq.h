/* The future event set: a priority queue of events ordered by (time, sequence number).
 * Five functions; the implementation is chosen at build time (sim/evq_heap4.c by default). */
#ifndef SIM_EVQ_H
#define SIM_EVQ_H

#include <stddef.h>
#include <stdint.h>

/* One scheduled event. Small and copied by value; a handler's pointer to it is valid only
 * during the call. `seq` breaks ties so that events at equal times run in schedule order. */
struct sim_event {
    double t;        /* s, absolute simulated time */
    uint64_t seq;    /* schedule order, set by the engine */
    void *ptr;       /* payload, usually a struct request * */
    uint32_t target; /* component index, or SIM_KERNEL */
    uint16_t kind;   /* what the target does; numbered by the target */
    uint16_t flags;  /* free for the target */
    uint32_t node;   /* node index inside the target */
    uint32_t tag;    /* free for the target: generation for lazy cancellation, op, ... */
};

struct evq {
    struct sim_event *heap;
    size_t n, cap;
};

void evq_init(struct evq *q, size_t capacity_hint);
void evq_free(struct evq *q);
void evq_push(struct evq *q, const struct sim_event *ev);
/* Removes the earliest event into *out; returns 0 when the queue is empty. */
int evq_pop(struct evq *q, struct sim_event *out);
/* The earliest event without removing it, or NULL when empty. */
static inline const struct sim_event *evq_peek(const struct evq *q)
{
    return q->n ? &q->heap[0] : NULL;
}
static inline size_t evq_size(const struct evq *q)
{
    return q->n;
}

static inline int evq_before(const struct sim_event *a, const struct sim_event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

#endif
