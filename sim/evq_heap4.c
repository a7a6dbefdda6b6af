/* The future event set as an implicit 4-ary min-heap of 16-byte (time, slot) keys, with the
 * events in a separate slot array. Four children per node halve the depth of a binary heap, and
 * each group of four siblings fills exactly one cache line. Deletion is bottom-up, branch-free. */
#include "sim/evq.h"
#include "sim/error.h"

#include <stdlib.h>
#include <string.h>

#define EVQ_LINE 64 /* bytes; four keys */

/* Children of position p (EVQ_ROOT = 3 is the root) start at 4p - 8, a multiple of four, so a
 * 64-byte aligned base puts every sibling group on its own line. */
static inline size_t first_child(size_t p)
{
    return 4 * p - 8;
}

static inline size_t parent(size_t c)
{
    return (c >> 2) + 2;
}

/* (t, seq) order; seq is fetched from the slots only when the times are equal. */
static inline int key_before(const struct evq_heap4 *q, struct evq_key a, struct evq_key b)
{
    if (a.tkey != b.tkey)
        return a.tkey < b.tkey;
    return q->slots.ev[a.slot].seq < q->slots.ev[b.slot].seq;
}

static void alloc_keys(struct evq_heap4 *q, size_t cap)
{
    void *block = sim_xmalloc((cap + EVQ_ROOT) * sizeof(struct evq_key) + EVQ_LINE);
    uintptr_t base = ((uintptr_t)block + EVQ_LINE - 1) & ~(uintptr_t)(EVQ_LINE - 1);
    struct evq_key *key = (struct evq_key *)base;
    if (q->key)
        memcpy(key, q->key, (q->n + EVQ_ROOT) * sizeof *key);
    free(q->key_block);
    q->key_block = block;
    q->key = key;
}

void evq_heap4_init(struct evq_heap4 *q, size_t capacity_hint)
{
    memset(q, 0, sizeof *q);
    evq_slots_init(&q->slots, capacity_hint);
    alloc_keys(q, q->slots.cap);
}

void evq_heap4_free(struct evq_heap4 *q)
{
    free(q->key_block);
    evq_slots_free(&q->slots);
    memset(q, 0, sizeof *q);
}

/* A slot never used before; the keys grow with the slots. Out of line, like evq_slots_new:
 * keeping the reallocation calls out of evq_heap4_push spares it saving registers. */
__attribute__((noinline)) static uint32_t new_slot(struct evq_heap4 *q)
{
    size_t cap = q->slots.cap;
    uint32_t slot = evq_slots_new(&q->slots);
    if (q->slots.cap != cap)
        alloc_keys(q, q->slots.cap);
    return slot;
}

void evq_heap4_push(struct evq_heap4 *q, const struct sim_event *ev)
{
    struct evq_slots *sl = &q->slots;
    uint32_t slot = sl->nfree ? sl->free[--sl->nfree] : new_slot(q);
    /* The sift needs only t and seq; the event goes into its slot afterwards. */
    const uint64_t tkey = evq_time_key(ev->t), seq = ev->seq;
    struct evq_key *h = q->key;
    size_t c = EVQ_ROOT + q->n++;
    while (c > EVQ_ROOT) {
        size_t p = parent(c);
        if (tkey > h[p].tkey || (tkey == h[p].tkey && seq >= sl->ev[h[p].slot].seq))
            break;
        h[c] = h[p];
        c = p;
    }
    h[c].tkey = tkey;
    h[c].slot = slot;
    sl->ev[slot] = *ev;
}

/* The position of the smallest of the `count` keys starting at c (1 <= count <= 4). */
static size_t min_child_slow(const struct evq_heap4 *q, const struct evq_key *h, size_t c, size_t count)
{
    size_t best = c;
    for (size_t k = c + 1; k < c + count; k++)
        if (key_before(q, h[k], h[best]))
            best = k;
    return best;
}

/* The smallest of four siblings as a tournament on times alone, written so that the compiler
 * selects with flags instead of branches: which child wins is a coin toss for the branch
 * predictor. A tie in any match (rare) needs seq, so it takes the slow path. */
static inline size_t min_child4(const struct evq_heap4 *q, const struct evq_key *h, size_t c)
{
    uint64_t k0 = h[c].tkey, k1 = h[c + 1].tkey, k2 = h[c + 2].tkey, k3 = h[c + 3].tkey;
    int s01 = k1 < k0, s23 = k3 < k2;
    uint64_t ka = s01 ? k1 : k0, kb = s23 ? k3 : k2;
    if (__builtin_expect((k0 == k1) | (k2 == k3) | (ka == kb), 0))
        return min_child_slow(q, h, c, 4);
    /* A mask instead of `?:`, which compilers tend to turn back into a branch here. */
    size_t ia = c + (size_t)s01, ib = c + 2 + (size_t)s23;
    size_t b_wins = -(size_t)(kb < ka);
    return ia ^ ((ia ^ ib) & b_wins);
}

/* Moves the hole at `hole` one level down to its smallest child and returns the child's
 * position, or 0 when the hole is a leaf. */
static inline size_t hole_down(const struct evq_heap4 *q, struct evq_key *h, size_t hole, size_t end)
{
    size_t c = first_child(hole);
    if (c >= end)
        return 0;
    /* The grandchildren of the hole are 16 consecutive keys; fetch their four lines now so that
     * the next level's load overlaps this level's comparisons. */
    size_t g = first_child(c);
    if (g < end) {
        __builtin_prefetch(&h[g]);
        __builtin_prefetch(&h[g + 4]);
        __builtin_prefetch(&h[g + 8]);
        __builtin_prefetch(&h[g + 12]);
    }
    size_t best = c + 4 <= end ? min_child4(q, h, c) : min_child_slow(q, h, c, end - c);
    h[hole] = h[best];
    return best;
}

int evq_heap4_pop(struct evq_heap4 *q, struct sim_event *out)
{
    if (q->n == 0)
        return 0;
    struct evq_key *h = q->key;
    uint32_t slot = h[EVQ_ROOT].slot;
    *out = q->slots.ev[slot];
    evq_slots_release(&q->slots, slot);
    const size_t end = EVQ_ROOT + --q->n; /* positions below end hold keys once `last` is taken */
    const struct evq_key last = h[end];
    if (end <= first_child(EVQ_ROOT) + 4) {
        /* Every key left is a child of the root (the usual case in small models): the smallest
         * of them and `last` becomes the root, and `last` fills its place. */
        size_t best = end;
        for (size_t k = first_child(EVQ_ROOT); k < end; k++)
            if (key_before(q, h[k], best == end ? last : h[best]))
                best = k;
        h[EVQ_ROOT] = best == end ? last : h[best];
        if (best != end)
            h[best] = last;
        return 1;
    }
    /* Bottom-up deletion (Wegener): walk the hole down along the smaller children to a leaf,
     * then sift the last key up from there. The last key almost always belongs near the bottom,
     * so this skips the comparison against it on every level. */
    size_t hole = EVQ_ROOT, next = hole_down(q, h, hole, end);
    /* The root's smaller child is the new root unless `last` climbs all the way back: start
     * loading its event, which the engine reads next, right away. */
    __builtin_prefetch(&q->slots.ev[h[EVQ_ROOT].slot]);
    do
        hole = next;
    while ((next = hole_down(q, h, hole, end)) != 0);
    while (hole > EVQ_ROOT) {
        size_t p = parent(hole);
        if (!key_before(q, last, h[p]))
            break;
        h[hole] = h[p];
        hole = p;
    }
    h[hole] = last;
    return 1;
}
