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

/* The heap holds 16-byte keys, four siblings to a 64-byte cache line; the events themselves
 * stay put in a slot array, so a sift moves 16 bytes instead of 40. Ties in `t` (rare outside
 * zero-delay calls) look up `seq` in the slot. */
struct evq_key {
    uint64_t tkey; /* the event's time as an integer with the same order as the double */
    uint32_t slot; /* index into evq.ev */
    uint32_t pad;
};

#define EVQ_ROOT 3 /* position of the root in evq.key; the children of p sit at 4p-8 .. 4p-5 */

struct evq {
    struct evq_key *key;  /* the 4-ary heap, positions EVQ_ROOT .. EVQ_ROOT + n - 1 */
    struct sim_event *ev; /* events by slot */
    uint32_t *free;       /* stack of released slots below `used` */
    size_t n, cap;        /* pending events; slots allocated */
    size_t used, nfree;   /* slots ever handed out (high-water mark); entries in `free` */
    void *key_block;      /* the allocation behind `key`, which is aligned inside it */
};

void evq_init(struct evq *q, size_t capacity_hint);
void evq_free(struct evq *q);
void evq_push(struct evq *q, const struct sim_event *ev);
/* Removes the earliest event into *out; returns 0 when the queue is empty. */
int evq_pop(struct evq *q, struct sim_event *out);
/* The earliest event without removing it, or NULL when empty. */
static inline const struct sim_event *evq_peek(const struct evq *q)
{
    return q->n ? &q->ev[q->key[EVQ_ROOT].slot] : NULL;
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
