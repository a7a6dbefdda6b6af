/* The future event set as a ladder queue (Tang, Goh and Thng, ACM TOMACS 2005): O(1) amortised
 * push and pop whatever the number pending, with the exact (t, seq) order of the heap.
 * Top takes the far future unsorted, rungs split time into buckets, Bottom is sorted. */
#include "sim/evq.h"
#include "sim/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A bucket of more events than this becomes a finer rung instead of being sorted into Bottom,
 * and a Bottom that grows past twice this by direct inserts is turned into a rung. The paper's
 * value; sorting 50 keys costs about as much as spreading them over a rung. */
#define LADDER_THRES 50
#define LADDER_BOT_MAX (2 * LADDER_THRES)
/* Up to this many events, a queue with nothing in Top or the rungs keeps every event in Bottom:
 * the handful pending in small models costs a short memmove per push and nothing per pop. */
#define LADDER_SMALL 16

/* Order of the rungs and Bottom. Every bucket index is (t - start) * scale cut to an integer
 * and clamped to the rung's last bucket, a non-decreasing function of t; an event goes to the
 * first rung from the top where its bucket is not yet taken (index >= cur), else to Bottom.
 * So an event in a finer rung, or in Bottom, is strictly earlier than every event left in a
 * coarser rung, whichever way it got there, and events with equal times always share a bucket
 * or Bottom, where seq orders them. Top holds exactly the events after top_start. */

/* A bucket count or index as a double. They fit in an int64_t, whose conversion is one
 * instruction; converting a size_t takes a branch and several more on x86-64. */
static inline double count_d(size_t n)
{
    return (double)(int64_t)n;
}

static inline int key_before(const struct evq_ladder *q, struct evq_key a, struct evq_key b)
{
    return evq_ladder_key_before(q, a, b);
}

/* Sets small_max from the state of Top and the rungs; called wherever they change, so that a
 * push tests one field. */
static inline void note_small(struct evq_ladder *q)
{
    q->small_max = q->nrungs == 0 && q->ntop == 0 ? LADDER_SMALL : 0;
}

/* The state of a queue with nothing pending: no rungs, the next push starts Bottom. */
static void empty(struct evq_ladder *q)
{
    q->nrungs = 0;
    q->top = EVQ_NIL;
    q->ntop = 0;
    q->top_start = -INFINITY;
    q->top_min = INFINITY;
    q->top_max = -INFINITY;
    q->bot_limit = LADDER_BOT_MAX;
    note_small(q);
}

void evq_ladder_init(struct evq_ladder *q, size_t capacity_hint)
{
    memset(q, 0, sizeof *q);
    evq_slots_init(&q->slots, capacity_hint);
    q->link = sim_xmalloc(q->slots.cap * sizeof *q->link);
    q->botcap = 2 * LADDER_BOT_MAX;
    q->bot = sim_xmalloc(q->botcap * sizeof *q->bot);
    empty(q);
}

void evq_ladder_free(struct evq_ladder *q)
{
    for (size_t i = 0; i < EVQ_LADDER_RUNGS; i++)
        free(q->rung[i].head);
    evq_slots_free(&q->slots);
    free(q->link);
    free(q->bot);
    memset(q, 0, sizeof *q);
}

/* A slot never used before; the links grow with the slots. Out of line like the heap's. */
__attribute__((noinline)) uint32_t evq_ladder_new_slot(struct evq_ladder *q)
{
    size_t cap = q->slots.cap;
    uint32_t slot = evq_slots_new(&q->slots);
    if (q->slots.cap != cap)
        q->link = sim_xrealloc(q->link, q->slots.cap * sizeof *q->link);
    return slot;
}

static void bot_reserve(struct evq_ladder *q, size_t n)
{
    if (n <= q->botcap)
        return;
    while (q->botcap < n)
        q->botcap *= 2;
    q->bot = sim_xrealloc(q->bot, q->botcap * sizeof *q->bot);
}

static int cmp_desc(const void *pa, const void *pb, void *arg)
{
    const struct evq_ladder *q = arg;
    struct evq_key a = *(const struct evq_key *)pa, b = *(const struct evq_key *)pb;
    return key_before(q, b, a) ? -1 : key_before(q, a, b);
}

/* Sorts Bottom with the least key last: insertion sort for the usual handful of keys. */
static void sort_bottom(struct evq_ladder *q)
{
    struct evq_key *b = q->bot;
    size_t n = q->nbot;
    if (n > 32) {
        qsort_r(b, n, sizeof *b, cmp_desc, q);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        struct evq_key k = b[i];
        size_t j = i;
        while (j > 0 && key_before(q, b[j - 1], k)) {
            b[j] = b[j - 1];
            j--;
        }
        b[j] = k;
    }
}

/* Buckets per second for n buckets over [lo, hi], or 0 when the span cannot be split (equal
 * or non-finite ends): such events are sorted instead. */
static double rung_scale(double lo, double hi, size_t n)
{
    if (!(lo < hi) || !isfinite(lo) || !isfinite(hi))
        return 0;
    double scale = (double)n / (hi - lo);
    return isfinite(scale) ? scale : 0;
}

/* Opens rung i (the finest) with nb empty buckets from `start`. */
static struct evq_rung *rung_open(struct evq_ladder *q, size_t i, double start, double scale,
                                  size_t nb)
{
    struct evq_rung *r = &q->rung[i];
    if (r->cap < nb) {
        r->cap = nb > 2 * r->cap ? nb : 2 * r->cap;
        free(r->head);
        r->head = sim_xmalloc(r->cap * sizeof *r->head);
    }
    memset(r->head, 0xff, nb * sizeof *r->head); /* every byte 0xff: EVQ_NIL */
    r->start = start;
    r->scale = scale;
    r->nb = nb;
    r->cur = 0;
    r->count = 0;
    q->nrungs = i + 1;
    return r;
}

/* The bucket of time t, for t at or after the rung's start. */
static inline size_t rung_bucket(const struct evq_rung *r, double t)
{
    double d = (t - r->start) * r->scale;
    return d < count_d(r->nb) ? (size_t)d : r->nb - 1;
}

static inline void rung_put(struct evq_ladder *q, struct evq_rung *r, size_t b, uint32_t slot)
{
    q->link[slot].next = r->head[b];
    r->head[b] = slot;
    r->count++;
}

/* Spreads Bottom's keys over a new finest rung and empties Bottom. */
static void bottom_to_rung(struct evq_ladder *q, double lo, double scale)
{
    struct evq_rung *r = rung_open(q, q->nrungs, lo, scale, q->nbot);
    for (size_t i = 0; i < q->nbot; i++) {
        uint32_t slot = q->bot[i].slot;
        rung_put(q, r, rung_bucket(r, q->link[slot].t), slot);
    }
    q->nbot = 0;
}

/* Appends list `s` to Bottom (unsorted); returns how many keys it added, their times' range in
 * *lo and *hi. */
static size_t list_to_bottom(struct evq_ladder *q, uint32_t s, double *lo, double *hi)
{
    size_t m = 0;
    double a = INFINITY, b = -INFINITY;
    while (s != EVQ_NIL) {
        bot_reserve(q, q->nbot + 1);
        const struct evq_link *l = &q->link[s];
        q->bot[q->nbot++] = (struct evq_key){.tkey = evq_time_key(l->t), .slot = s};
        a = l->t < a ? l->t : a;
        b = l->t > b ? l->t : b;
        s = l->next;
        m++;
    }
    *lo = a;
    *hi = b;
    return m;
}

/* Fills the empty Bottom from the finest rung's next bucket, splitting crowded buckets into
 * finer rungs, and from Top when the ladder is empty. Afterwards Bottom holds the least event
 * unless the queue is empty. */
static void refill(struct evq_ladder *q)
{
    double lo, hi, scale;
    for (;;) {
        if (q->nrungs == 0) {
            if (q->ntop == 0)
                break;
            /* Top's events all go below top_start now, and later ones after it into Top. */
            q->top_start = q->top_max;
            scale = q->ntop > LADDER_THRES ? rung_scale(q->top_min, q->top_max, q->ntop) : 0;
            if (scale > 0) {
                struct evq_rung *r = rung_open(q, 0, q->top_min, scale, q->ntop);
                for (uint32_t s = q->top, next; s != EVQ_NIL; s = next) {
                    next = q->link[s].next;
                    rung_put(q, r, rung_bucket(r, q->link[s].t), s);
                }
            } else {
                list_to_bottom(q, q->top, &lo, &hi);
            }
            q->top = EVQ_NIL;
            q->ntop = 0;
            q->top_min = INFINITY;
            q->top_max = -INFINITY;
            if (q->nbot)
                break;
            continue;
        }
        struct evq_rung *r = &q->rung[q->nrungs - 1];
        if (r->count == 0) {
            q->nrungs--;
            continue;
        }
        while (r->head[r->cur] == EVQ_NIL)
            r->cur++;
        uint32_t list = r->head[r->cur];
        r->head[r->cur++] = EVQ_NIL;
        size_t m = list_to_bottom(q, list, &lo, &hi);
        r->count -= m;
        /* A rung with every bucket taken is gone: new events below it go further down. */
        if (r->cur == r->nb)
            q->nrungs--;
        scale = m > LADDER_THRES && q->nrungs < EVQ_LADDER_RUNGS ? rung_scale(lo, hi, m) : 0;
        if (scale > 0) {
            bottom_to_rung(q, lo, scale);
            continue;
        }
        break;
    }
    note_small(q);
    sort_bottom(q);
    q->bot_limit = 2 * q->nbot > LADDER_BOT_MAX ? 2 * q->nbot : LADDER_BOT_MAX;
    /* The engine reads the least event next: in a large queue its slot is rarely in cache. */
    if (q->nbot)
        __builtin_prefetch(&q->slots.ev[q->bot[q->nbot - 1].slot]);
}

/* Inserts into sorted Bottom an event earlier than everything in the rungs. A Bottom grown to
 * twice its size at the last refill by such inserts becomes a rung, so that an insert never
 * moves more than a few hundred keys, unless its times cannot be split. */
__attribute__((noinline)) static void bottom_insert(struct evq_ladder *q, uint32_t slot,
                                                    double t)
{
    const struct evq_key k = {.tkey = evq_time_key(t), .slot = slot};
    bot_reserve(q, q->nbot + 1);
    struct evq_key *b = q->bot;
    size_t lo = 0, hi = q->nbot;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (key_before(q, b[mid], k))
            hi = mid;
        else
            lo = mid + 1;
    }
    memmove(b + lo + 1, b + lo, (q->nbot - lo) * sizeof *b);
    b[lo] = k;
    q->nbot++;
    if (q->nbot <= q->bot_limit || q->nrungs == EVQ_LADDER_RUNGS)
        return;
    double scale = rung_scale(q->link[b[q->nbot - 1].slot].t, q->link[b[0].slot].t, q->nbot);
    if (scale > 0) {
        bottom_to_rung(q, q->link[b[q->nbot - 1].slot].t, scale);
        refill(q);
    } else {
        q->bot_limit = 2 * q->nbot;
    }
}

/* Places an event that the small path did not take: into Top, a rung or Bottom. Out of line,
 * so that the small path saves no registers: with the heap's small queues (M/M/1) inlining it
 * cost 25 instructions a push, more than the call costs large queues. For the same reason
 * bottom_insert stays out of it, and fmax (a library call) too: the usual Top or rung insert
 * then saves no registers either. */
__attribute__((noinline)) void evq_ladder_place(struct evq_ladder *q, uint32_t slot, double t)
{
    struct evq_link *l = &q->link[slot];
    l->t = t;
    /* Leaving the small path: its pushes leave top_start to here, where Bottom's greatest
     * time (its first key) becomes the bound. */
    if (q->small_max && q->nbot) {
        double last = q->link[q->bot[0].slot].t;
        q->top_start = last > q->top_start ? last : q->top_start;
    }
    if (t > q->top_start) {
        l->next = q->top;
        q->top = slot;
        q->ntop++;
        q->small_max = 0;
        q->top_min = t < q->top_min ? t : q->top_min;
        q->top_max = t > q->top_max ? t : q->top_max;
        return;
    }
    for (size_t i = 0; i < q->nrungs; i++) {
        struct evq_rung *r = &q->rung[i];
        double d = (t - r->start) * r->scale;
        if (d >= count_d(r->cur)) {
            rung_put(q, r, d < count_d(r->nb) ? (size_t)d : r->nb - 1, slot);
            return;
        }
    }
    bottom_insert(q, slot, t);
}

int evq_ladder_pop(struct evq_ladder *q, struct sim_event *out)
{
    if (q->n == 0)
        return 0;
    uint32_t slot = q->bot[--q->nbot].slot;
    *out = q->slots.ev[slot];
    evq_slots_release(&q->slots, slot);
    if (--q->n == 0)
        empty(q);
    else if (q->nbot == 0)
        refill(q);
    return 1;
}
