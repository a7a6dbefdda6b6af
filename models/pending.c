/* The map of backend calls in progress per (node, key) that the cache and the CDN use to
 * coalesce misses: linear probing, kept at most half full, with backward-shift deletion. */
#include "models/pending.h"
#include "sim/error.h"

#include <stdlib.h>

static uint32_t slot_of(const struct pending_table *t, uint32_t node, uint64_t key)
{
    uint64_t h = key * UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)node * UINT64_C(0xc2b2ae3d27d4eb4f);
    h ^= h >> 29;
    return (uint32_t)h & t->mask;
}

struct pending *pending_find(struct pending_table *t, uint32_t node, uint64_t key)
{
    if (!t->count)
        return NULL;
    for (uint32_t i = slot_of(t, node, key);; i = (i + 1) & t->mask) {
        struct pending *p = &t->slot[i];
        if (!p->used)
            return NULL;
        if (p->key == key && p->node == node)
            return p;
    }
}

/* Doubles the table (64 slots at first). */
static void grow(struct pending_table *t)
{
    struct pending *old = t->slot;
    uint32_t oldn = t->slot ? t->mask + 1 : 0;
    uint32_t n = oldn ? 2 * oldn : 64;
    t->slot = sim_xcalloc(n, sizeof *t->slot);
    t->mask = n - 1;
    t->count = 0;
    for (uint32_t i = 0; i < oldn; i++)
        if (old[i].used)
            *pending_insert(t, old[i].node, old[i].key) = old[i];
    free(old);
}

struct pending *pending_insert(struct pending_table *t, uint32_t node, uint64_t key)
{
    if (!t->slot || 2 * (t->count + 1) > t->mask + 1)
        grow(t);
    uint32_t i = slot_of(t, node, key);
    while (t->slot[i].used)
        i = (i + 1) & t->mask;
    struct pending *p = &t->slot[i];
    *p = (struct pending){.key = key, .node = node, .used = 1};
    t->count++;
    return p;
}

/* Linear probing with backward-shift deletion: later entries of the run move into the hole
 * when their home slot allows it, so lookups never need tombstones. */
static void forget(struct pending_table *t, struct pending *p)
{
    uint32_t hole = (uint32_t)(p - t->slot);
    for (uint32_t i = (hole + 1) & t->mask; t->slot[i].used; i = (i + 1) & t->mask) {
        uint32_t home = slot_of(t, t->slot[i].node, t->slot[i].key);
        /* Entry i may fill the hole if its home is not in the cyclic range (hole, i]. */
        if (((i - home) & t->mask) >= ((i - hole) & t->mask)) {
            t->slot[hole] = t->slot[i];
            hole = i;
        }
    }
    t->slot[hole].used = 0;
    t->count--;
}

void pending_add_waiter(struct pending *p, struct request *req)
{
    req_top(req)->aux = 0;
    if (p->tail)
        req_top(p->tail)->aux = (uint64_t)(uintptr_t)req;
    else
        p->head = req;
    p->tail = req;
}

void pending_resolve(struct pending_table *t, struct sim *sim, struct pending *p,
                     enum req_status st, int drop)
{
    struct request *w = p->head;
    forget(t, p);
    while (w) {
        struct request *next = (struct request *)(uintptr_t)req_top(w)->aux;
        if (drop)
            req_drop(sim, w);
        else
            req_reply_status(sim, w, st);
        w = next;
    }
}

void pending_resolve_node(struct pending_table *t, struct sim *sim, uint32_t node,
                          enum req_status st, int drop)
{
    for (uint32_t i = 0; t->slot && i <= t->mask;) {
        struct pending *p = &t->slot[i];
        if (p->used && p->node == node)
            pending_resolve(t, sim, p, st, drop); /* backward shift may refill slot i */
        else
            i++;
    }
}

void pending_free(struct pending_table *t)
{
    free(t->slot);
    *t = (struct pending_table){0};
}
