/* The future event set: a priority queue of events ordered by (time, sequence number).
 * Five functions over two implementations, chosen per queue at run time (sim/evq.c). */
#ifndef SIM_EVQ_H
#define SIM_EVQ_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
 * zero-delay calls) look up `seq` in the slot. The ladder sorts the same keys in its bottom. */
struct evq_key {
    uint64_t tkey; /* the event's time as an integer with the same order as the double */
    uint32_t slot; /* index into the event array */
    uint32_t pad;
};

/* A double's bits read as an unsigned integer that sorts like the double: flip every bit of a
 * negative number, only the sign bit of a positive one. Integer compares and selects are
 * cheaper than floating-point ones on the sift's critical path. Adding 0.0 turns -0 into +0 so
 * that the two zeros stay equal, as they are for evq_before. */
static inline uint64_t evq_time_key(double t)
{
    uint64_t u;
    t += 0.0;
    memcpy(&u, &t, sizeof u);
    return u >> 63 ? ~u : u | (UINT64_C(1) << 63);
}

#define EVQ_ROOT 3 /* position of the root in evq_heap4.key; the children of p sit at 4p-8 .. 4p-5 */

/* The events of a queue, by slot: both kinds keep them apart from what they order (keys,
 * links), which refers to them by slot number. Released slots are reused last in, first out,
 * so the next push writes the line the last pop read. */
struct evq_slots {
    struct sim_event *ev; /* events by slot */
    uint32_t *free;       /* stack of released slots below `used` */
    size_t cap;           /* slots allocated */
    size_t used, nfree;   /* slots ever handed out (high-water mark); entries in `free` */
};

/* sim/evq.c. */
void evq_slots_init(struct evq_slots *s, size_t capacity_hint); /* cap: the hint, at least 16 */
void evq_slots_free(struct evq_slots *s);
/* A slot never handed out before, doubling cap when all are taken (the owner then grows its
 * own per-slot arrays to the new cap). Out of line: it runs once per slot. */
uint32_t evq_slots_new(struct evq_slots *s);

static inline void evq_slots_release(struct evq_slots *s, uint32_t slot)
{
    s->free[s->nfree++] = slot;
}

/* sim/evq_heap4.c: an implicit 4-ary heap. */
struct evq_heap4 {
    struct evq_key *key;    /* the 4-ary heap, positions EVQ_ROOT .. EVQ_ROOT + n - 1 */
    struct evq_slots slots;
    size_t n;               /* pending events */
    void *key_block;        /* the allocation behind `key`, which is aligned inside it */
};

/* sim/evq_ladder.c: a ladder queue (Tang, Goh and Thng 2005). Events wait unsorted in Top,
 * in the buckets of up to EVQ_LADDER_RUNGS rungs, each finer than the one above, and sorted in
 * Bottom, whose last key is always the least pending event. */
#define EVQ_LADDER_RUNGS 8
#define EVQ_NIL UINT32_MAX /* end of a list */

struct evq_link {
    double t;      /* s, the event's time, kept beside the link so a list walk reads one line */
    uint32_t next; /* next slot in the same list, or EVQ_NIL */
    uint32_t pad;
};

struct evq_rung {
    double start;   /* s, lower edge of bucket 0 */
    double scale;   /* buckets per second */
    uint32_t *head; /* first slot of each bucket's list */
    size_t nb, cap; /* buckets in use; allocated */
    size_t cur;     /* buckets below cur are taken (empty); new events below it go down */
    size_t count;   /* events in the rung's buckets */
};

struct evq_ladder {
    struct evq_slots slots;
    struct evq_link *link;  /* list links by slot */
    size_t n;               /* pending events */
    uint32_t top;           /* list of the events later than top_start */
    size_t ntop;
    double top_start;       /* s, events after this go to Top */
    double top_min, top_max; /* s, range of the times in Top */
    struct evq_rung rung[EVQ_LADDER_RUNGS];
    size_t nrungs;
    struct evq_key *bot;    /* Bottom, sorted with the least event last */
    size_t nbot, botcap;
    size_t bot_limit;       /* Bottom size past which direct inserts turn it into a rung */
    size_t small_max;       /* Bottom size below which a push takes the small path: nonzero
                               only while Top and the rungs are empty */
};

enum evq_kind { EVQ_HEAP4 = 0, EVQ_LADDER = 1 };

struct evq {
    enum evq_kind kind;
    union {
        struct evq_heap4 heap4;
        struct evq_ladder ladder;
    } u;
};

#define EVQ_DEFAULT EVQ_LADDER

struct sim_error;
/* The implementation evq_init picks: $CLUSTERSIM_EVQ ("heap4" or "ladder"), else EVQ_DEFAULT. */
enum evq_kind evq_default_kind(void);
/* Refuses an unknown $CLUSTERSIM_EVQ (sim/error.h); 0 when it is unset or known. */
int evq_check_env(struct sim_error *err);
/* 0 and *out set when `name` is a kind's name, else -1. */
int evq_kind_parse(const char *name, enum evq_kind *out);
const char *evq_kind_name(enum evq_kind kind);
void evq_init(struct evq *q, size_t capacity_hint);
void evq_init_kind(struct evq *q, size_t capacity_hint, enum evq_kind kind);
void evq_free(struct evq *q);

void evq_heap4_init(struct evq_heap4 *q, size_t capacity_hint);
void evq_heap4_free(struct evq_heap4 *q);
void evq_heap4_push(struct evq_heap4 *q, const struct sim_event *ev);
int evq_heap4_pop(struct evq_heap4 *q, struct sim_event *out);

void evq_ladder_init(struct evq_ladder *q, size_t capacity_hint);
void evq_ladder_free(struct evq_ladder *q);
/* The parts of the push that small queues never reach, out of line (sim/evq_ladder.c): a new
 * slot when none is free (evq_slots_new, with the links grown alike), and placing an event
 * outside the small path. */
uint32_t evq_ladder_new_slot(struct evq_ladder *q);
void evq_ladder_place(struct evq_ladder *q, uint32_t slot, double t);

/* Order of Bottom's keys: by time, then by schedule order. */
static inline int evq_ladder_key_before(const struct evq_ladder *q, struct evq_key a,
                                        struct evq_key b)
{
    if (a.tkey != b.tkey)
        return a.tkey < b.tkey;
    return q->slots.ev[a.slot].seq < q->slots.ev[b.slot].seq;
}

/* Inline, because in small models (M/M/1) the call and its register saves cost as much as the
 * small path itself (sim_push_queue). */
static inline __attribute__((always_inline)) void evq_ladder_push(struct evq_ladder *q,
                                                                  const struct sim_event *ev)
{
    struct evq_slots *sl = &q->slots;
    uint32_t slot = sl->nfree ? sl->free[--sl->nfree] : evq_ladder_new_slot(q);
    const double t = ev->t;
    sl->ev[slot] = *ev;
    q->n++;
    if (q->nbot < q->small_max) {
        /* A small queue is Bottom alone, a sorted array; Top starts after its end, which
         * evq_ladder_place sets on leaving this path. An insertion step from the least end
         * costs less than a search and a memmove call. */
        const struct evq_key k = {.tkey = evq_time_key(t), .slot = slot};
        struct evq_key *b = q->bot;
        size_t j = q->nbot++;
        while (j > 0 && evq_ladder_key_before(q, b[j - 1], k)) {
            b[j] = b[j - 1];
            j--;
        }
        b[j] = k;
        q->link[slot].t = t;
        return;
    }
    evq_ladder_place(q, slot, t);
}
int evq_ladder_pop(struct evq_ladder *q, struct sim_event *out);

/* Both kinds are compiled in; the switch on `kind` is always predicted, and costs far less
 * than either queue's work. */
static inline __attribute__((always_inline)) void evq_push(struct evq *q,
                                                           const struct sim_event *ev)
{
    if (q->kind == EVQ_LADDER)
        evq_ladder_push(&q->u.ladder, ev);
    else
        evq_heap4_push(&q->u.heap4, ev);
}

/* Pop and peek for a queue known to be of `kind`: with a constant kind (the engine's loop is
 * compiled once per kind) the switch folds away. */
static inline int evq_pop_as(struct evq *q, enum evq_kind kind, struct sim_event *out)
{
    if (kind == EVQ_LADDER)
        return evq_ladder_pop(&q->u.ladder, out);
    return evq_heap4_pop(&q->u.heap4, out);
}

static inline const struct sim_event *evq_peek_as(const struct evq *q, enum evq_kind kind)
{
    if (kind == EVQ_LADDER) {
        const struct evq_ladder *l = &q->u.ladder;
        return l->n ? &l->slots.ev[l->bot[l->nbot - 1].slot] : NULL;
    }
    const struct evq_heap4 *h = &q->u.heap4;
    return h->n ? &h->slots.ev[h->key[EVQ_ROOT].slot] : NULL;
}

/* The earliest event's time, INFINITY when the queue is empty. */
static inline double evq_next_t_as(const struct evq *q, enum evq_kind kind)
{
    if (kind == EVQ_LADDER) {
        const struct evq_ladder *l = &q->u.ladder;
        return l->n ? l->link[l->bot[l->nbot - 1].slot].t : INFINITY;
    }
    const struct evq_heap4 *h = &q->u.heap4;
    return h->n ? h->slots.ev[h->key[EVQ_ROOT].slot].t : INFINITY;
}

/* Removes the earliest event into *out; returns 0 when the queue is empty. */
static inline int evq_pop(struct evq *q, struct sim_event *out)
{
    return evq_pop_as(q, q->kind, out);
}

/* The earliest event without removing it, or NULL when empty. */
static inline const struct sim_event *evq_peek(const struct evq *q)
{
    return evq_peek_as(q, q->kind);
}

static inline size_t evq_size(const struct evq *q)
{
    return q->kind == EVQ_LADDER ? q->u.ladder.n : q->u.heap4.n;
}

static inline int evq_before(const struct sim_event *a, const struct sim_event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

#endif
