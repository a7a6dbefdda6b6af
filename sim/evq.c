/* The event queue's front: picks the implementation of each queue (the 4-ary heap of
 * sim/evq_heap4.c or the ladder of sim/evq_ladder.c) and forwards init and free to it; the
 * slot pool both keep their events in. */
#include "sim/evq.h"
#include "sim/error.h"

#include <stdlib.h>
#include <string.h>

#define EVQ_ENV "CLUSTERSIM_EVQ"

static const char *const kind_names[] = {[EVQ_HEAP4] = "heap4", [EVQ_LADDER] = "ladder"};

const char *evq_kind_name(enum evq_kind kind)
{
    return kind_names[kind];
}

int evq_kind_parse(const char *name, enum evq_kind *out)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (enum evq_kind)i;
            return 0;
        }
    return -1;
}

/* An unknown name falls back to the default here: evq_check_env refuses it at scenario load,
 * before any queue is built, and evq_init has no error path. */
enum evq_kind evq_default_kind(void)
{
    const char *env = getenv(EVQ_ENV);
    enum evq_kind kind = EVQ_DEFAULT;
    if (env && *env && evq_kind_parse(env, &kind))
        kind = EVQ_DEFAULT;
    return kind;
}

int evq_check_env(struct sim_error *err)
{
    const char *env = getenv(EVQ_ENV);
    enum evq_kind kind;
    if (!env || !*env || evq_kind_parse(env, &kind) == 0)
        return 0;
    return sim_fail(err, NULL, "%s=\"%.40s\" is not an event queue (heap4 or ladder)", EVQ_ENV,
                    env);
}

void evq_slots_init(struct evq_slots *s, size_t capacity_hint)
{
    s->cap = capacity_hint > 16 ? capacity_hint : 16;
    SIM_ASSERT(s->cap <= UINT32_MAX);
    s->ev = sim_xmalloc(s->cap * sizeof *s->ev);
    s->free = sim_xmalloc(s->cap * sizeof *s->free);
    s->used = s->nfree = 0;
}

void evq_slots_free(struct evq_slots *s)
{
    free(s->ev);
    free(s->free);
    memset(s, 0, sizeof *s);
}

__attribute__((noinline)) uint32_t evq_slots_new(struct evq_slots *s)
{
    if (s->used == s->cap) {
        size_t cap = 2 * s->cap;
        SIM_ASSERT(cap <= UINT32_MAX);
        s->ev = sim_xrealloc(s->ev, cap * sizeof *s->ev);
        s->free = sim_xrealloc(s->free, cap * sizeof *s->free);
        s->cap = cap;
    }
    return (uint32_t)s->used++;
}

void evq_init_kind(struct evq *q, size_t capacity_hint, enum evq_kind kind)
{
    q->kind = kind;
    if (kind == EVQ_LADDER)
        evq_ladder_init(&q->u.ladder, capacity_hint);
    else
        evq_heap4_init(&q->u.heap4, capacity_hint);
}

void evq_init(struct evq *q, size_t capacity_hint)
{
    evq_init_kind(q, capacity_hint, evq_default_kind());
}

void evq_free(struct evq *q)
{
    if (q->kind == EVQ_LADDER)
        evq_ladder_free(&q->u.ladder);
    else
        evq_heap4_free(&q->u.heap4);
}
