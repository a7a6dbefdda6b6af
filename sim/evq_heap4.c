/* The future event set as an implicit 4-ary min-heap of events stored by value.
 * Four children per node halve the depth of a binary heap and keep siblings in one or two
 * cache lines, which is what matters once the heap no longer fits in cache. */
#include "sim/evq.h"
#include "sim/error.h"

#include <stdlib.h>

void evq_init(struct evq *q, size_t capacity_hint)
{
    q->cap = capacity_hint > 16 ? capacity_hint : 16;
    q->n = 0;
    q->heap = sim_xmalloc(q->cap * sizeof *q->heap);
}

void evq_free(struct evq *q)
{
    free(q->heap);
    q->heap = NULL;
    q->n = q->cap = 0;
}

void evq_push(struct evq *q, const struct sim_event *ev)
{
    if (q->n == q->cap) {
        q->cap *= 2;
        q->heap = sim_xrealloc(q->heap, q->cap * sizeof *q->heap);
    }
    struct sim_event *h = q->heap;
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) >> 2;
        if (!evq_before(ev, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = *ev;
}

int evq_pop(struct evq *q, struct sim_event *out)
{
    if (q->n == 0)
        return 0;
    struct sim_event *h = q->heap;
    *out = h[0];
    size_t n = --q->n;
    if (n == 0)
        return 1;
    const struct sim_event last = h[n];
    size_t i = 0;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        size_t best = c;
        size_t end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (evq_before(&h[k], &h[best]))
                best = k;
        if (!evq_before(&h[best], &last))
            break;
        h[i] = h[best];
        i = best;
    }
    h[i] = last;
    return 1;
}
