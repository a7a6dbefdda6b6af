/* Backend calls in progress per (node, key) and the requests waiting for them: how the cache
 * and the CDN coalesce concurrent misses for a key into one call. An open-addressing map with
 * backward-shift deletion; waiters are linked through their top frame's aux field. */
#ifndef MODELS_PENDING_H
#define MODELS_PENDING_H

#include "sim/request.h"

#include <stdint.h>

/* One call in progress and the misses that wait for it (at the component, never below). */
struct pending {
    uint64_t key;
    uint32_t node;
    uint32_t used;
    struct request *head, *tail;
};

/* A zeroed table is empty and valid. */
struct pending_table {
    struct pending *slot; /* mask + 1 slots, at most half used; NULL until the first insert */
    uint32_t mask, count;
};

/* The call in progress for (node, key), or NULL. */
struct pending *pending_find(struct pending_table *t, uint32_t node, uint64_t key);
/* Registers a call for (node, key), which must not be pending already. The pointer is valid
 * until the next insert or delete. */
struct pending *pending_insert(struct pending_table *t, uint32_t node, uint64_t key);
/* Queues a request behind the call; the request's top frame's aux holds the link. */
void pending_add_waiter(struct pending *p, struct request *req);
/* Forgets the call and answers every waiter with `st` (req_reply_status), or with `drop`
 * discards them (req_drop: their node failed and their callers were answered already). */
void pending_resolve(struct pending_table *t, struct sim *sim, struct pending *p,
                     enum req_status st, int drop);
/* pending_resolve for every call of one node. */
void pending_resolve_node(struct pending_table *t, struct sim *sim, uint32_t node,
                          enum req_status st, int drop);
void pending_free(struct pending_table *t);

#endif
