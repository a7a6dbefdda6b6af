/* The shared server mechanics: workers, a FIFO waiting room, service times, and the
 * time-weighted accounting of busy workers and queue length per node. */
#include "sim/station.h"

#include <math.h>
#include <stdlib.h>

static void node_init(struct station_node *n, double now)
{
    *n = (struct station_node){.up = 1};
    residents_init(&n->residents);
    twavg_init(&n->busy_avg, now, 0);
    twavg_init(&n->queue_avg, now, 0);
    twmark_start(&n->busy_int, &n->busy_avg, now);
    twmark_start(&n->queue_int, &n->queue_avg, now);
}

void station_init(struct station *st, const struct comp *owner, const struct station_cfg *cfg,
                  const struct dist *service, uint32_t nodes, uint16_t done_kind, double now)
{
    st->cfg = *cfg;
    st->owner = owner;
    st->comp = owner->index;
    st->done_kind = done_kind;
    st->service = *service;
    st->nnodes = 0;
    st->nodes = NULL;
    st->rng = NULL;
    st->speed = NULL;
    st->nspeed = 0;
    st->by_op = NULL;
    st->hold_kind = 0;
    station_resize(st, NULL, nodes);
    for (uint32_t i = 0; i < nodes; i++)
        node_init(&st->nodes[i], now);
}

void station_set_speeds(struct station *st, const double *speeds, uint32_t n)
{
    free(st->speed);
    st->speed = n ? sim_xmalloc(n * sizeof *st->speed) : NULL;
    for (uint32_t i = 0; i < n; i++)
        st->speed[i] = speeds[i];
    st->nspeed = n;
}

void station_free(struct station *st)
{
    free(st->speed);
    st->speed = NULL;
    st->nspeed = 0;
    for (uint32_t i = 0; i < st->nnodes; i++) {
        free(st->nodes[i].wait);
        gsl_rng_free(st->rng[i]);
    }
    free(st->nodes);
    free(st->rng);
    st->nodes = NULL;
    st->rng = NULL;
    st->nnodes = 0;
}

static inline void set_busy(struct station_node *n, double now, uint32_t busy)
{
    n->busy = busy;
    twavg_set(&n->busy_avg, now, busy);
}

static inline void set_queue(struct station_node *n, double now, uint32_t len)
{
    n->len = len;
    twavg_set(&n->queue_avg, now, len);
}

__attribute__((always_inline)) static inline void schedule_done(struct station *st,
                                                                struct sim *sim, uint32_t node,
                                                                struct request *req,
                                                                const struct dist *service)
{
    struct sim_event ev = {.ptr = req, .target = st->comp, .kind = st->done_kind, .node = node};
    double t = dist_sample(service, st->rng[node]);
    if (node < st->nspeed)
        t /= st->speed[node];
    sim_schedule(sim, t, &ev);
}

void station_serve(struct station *st, struct sim *sim, uint32_t node, struct request *req,
                   const struct dist *service)
{
    schedule_done(st, sim, node, req, service);
}

/* Doubles the waiting ring. Out of line: it runs a handful of times per node. */
__attribute__((noinline)) static void grow_wait(struct station_node *n)
{
    uint32_t cap = n->cap ? 2 * n->cap : 16;
    struct request **w = sim_xmalloc(cap * sizeof *w);
    for (uint32_t i = 0; i < n->len; i++)
        w[i] = n->wait[(n->head + i) & (n->cap - 1)];
    free(n->wait);
    n->wait = w;
    n->head = 0;
    n->cap = cap;
}

static inline void push_wait(struct station_node *n, struct request *req, double now)
{
    if (n->len == n->cap)
        grow_wait(n);
    n->wait[(n->head + n->len) & (n->cap - 1)] = req;
    set_queue(n, now, n->len + 1);
}

SIM_HOT enum station_result station_arrive(struct station *st, struct sim *sim, uint32_t node,
                                           struct request *req)
{
    struct station_node *n = &st->nodes[node];
    n->arrivals++;
    if (!n->up) {
        n->rejected++;
        return STATION_DOWN;
    }
    enum station_result result;
    if (st->cfg.workers < 0 || n->busy < (uint64_t)st->cfg.workers) {
        set_busy(n, sim->now, n->busy + 1);
        schedule_done(st, sim, node, req, st->by_op ? &st->by_op[req->op] : &st->service);
        result = STATION_STARTED;
    } else if (st->cfg.queue >= 0 && n->len >= (uint64_t)st->cfg.queue) {
        n->rejected++;
        return STATION_REJECTED;
    } else {
        push_wait(n, req, sim->now);
        result = STATION_QUEUED;
    }
    req_top(req)->epoch = n->epoch;
    residents_add(&n->residents, req);
    return result;
}

enum station_result station_enter(struct station *st, uint32_t node, struct request *req)
{
    enum station_result r = station_pass(st, node);
    if (r == STATION_STARTED) {
        struct station_node *n = &st->nodes[node];
        req_top(req)->epoch = n->epoch;
        residents_add(&n->residents, req);
    }
    return r;
}

SIM_HOT void station_admit(struct station *st, struct comp *c, struct sim *sim,
                           struct request *req)
{
    switch (station_arrive(st, sim, req_top(req)->node, req)) {
    case STATION_REJECTED:
        c->rejected += req->counted;
        req_reply_status(sim, req, REQ_REJECTED);
        break;
    case STATION_DOWN:
        c->rejected += req->counted;
        req_reply_status(sim, req, REQ_FAILED);
        break;
    default:
        break;
    }
}

void station_fail(struct station *st, struct sim *sim, uint32_t node)
{
    struct station_node *n = &st->nodes[node];
    if (!n->up)
        return;
    n->up = 0;
    n->epoch++;
    /* Waiting requests have no event pending here: they fail at once. */
    while (n->len > 0) {
        struct request *req = n->wait[n->head];
        n->head = (n->head + 1) & (n->cap - 1);
        n->len--;
        if (req) /* a waiting hold (NULL) just ends: its model sees the failure */
            req_reply_status(sim, req, REQ_FAILED);
    }
    set_queue(n, sim->now, 0);
    /* The rest are in service or below: their callers hear of the failure now, and what comes
     * back for them later is dropped (station_alive). */
    struct frame *head = &n->residents.head;
    while (head->res_next != head) {
        struct frame *f = head->res_next;
        struct request *req = req_of_frame(f);
        req_abandon(sim, req, f->index, REQ_FAILED, f->net);
        /* req_abandon leaves the original's frame linked when it is the abandoned one. */
        if (head->res_next == f) {
            f->res_prev->res_next = f->res_next;
            f->res_next->res_prev = f->res_prev;
            f->res_prev = f->res_next = NULL;
        }
    }
    set_busy(n, sim->now, 0);
}

void station_recover(struct station *st, struct sim *sim, uint32_t node)
{
    (void)sim;
    st->nodes[node].up = 1;
}

/* A worker is free: it goes to the head of the queue, if any (a request, or a hold: NULL). */
SIM_HOT static void free_worker(struct station *st, struct sim *sim, uint32_t node)
{
    struct station_node *n = &st->nodes[node];
    SIM_ASSERT(n->busy > 0);
    if (n->len > 0) {
        /* The freed worker goes straight to the head of the queue: busy stays the same. */
        struct request *next = n->wait[n->head];
        n->head = (n->head + 1) & (n->cap - 1);
        set_queue(n, sim->now, n->len - 1);
        if (!next) {
            struct sim_event ev = {.target = st->comp, .kind = st->hold_kind, .node = node};
            sim_schedule(sim, 0, &ev);
            return;
        }
        schedule_done(st, sim, node, next, st->by_op ? &st->by_op[next->op] : &st->service);
        return;
    }
    set_busy(n, sim->now, n->busy - 1);
}

SIM_HOT void station_release(struct station *st, struct sim *sim, uint32_t node)
{
    st->nodes[node].served++;
    free_worker(st, sim, node);
}

int station_hold(struct station *st, struct sim *sim, uint32_t node, uint16_t kind)
{
    struct station_node *n = &st->nodes[node];
    SIM_ASSERT(n->up);
    if (st->cfg.workers < 0 || n->busy < (uint64_t)st->cfg.workers) {
        set_busy(n, sim->now, n->busy + 1);
        return 1;
    }
    st->hold_kind = kind;
    push_wait(n, NULL, sim->now);
    return 0;
}

void station_unhold(struct station *st, struct sim *sim, uint32_t node)
{
    free_worker(st, sim, node);
}

/* A node record moved to `to`: the first and last resident frames still point at the old
 * list head, so they are pointed at the new one (an empty list points at itself). */
static void move_residents(const struct residents *from, struct residents *to)
{
    if (from->head.res_next == &from->head) {
        residents_init(to);
        return;
    }
    to->head.res_next->res_prev = &to->head;
    to->head.res_prev->res_next = &to->head;
}

void station_resize(struct station *st, struct sim *sim, uint32_t nodes)
{
    double now = sim ? sim->now : 0;
    if (nodes > st->nnodes) {
        /* Not realloc: each record holds its resident list's head, which the frames on the
         * list point to, so the records are copied and the lists re-anchored before the old
         * array goes. */
        struct station_node *fresh = sim_xmalloc(nodes * sizeof *fresh);
        for (uint32_t i = 0; i < st->nnodes; i++) {
            fresh[i] = st->nodes[i];
            move_residents(&st->nodes[i].residents, &fresh[i].residents);
        }
        free(st->nodes);
        st->nodes = fresh;
        st->rng = sim_xrealloc(st->rng, nodes * sizeof *st->rng);
        for (uint32_t i = st->nnodes; i < nodes; i++) {
            node_init(&st->nodes[i], now);
            st->rng[i] = comp_rng(st->owner, i, "service");
        }
    }
    /* Shrinking keeps the node records (their figures stay in the report); callers stop
     * routing to nodes past the new count. */
    if (nodes > st->nnodes)
        st->nnodes = nodes;
}

void station_reset(struct station *st, double now)
{
    for (uint32_t i = 0; i < st->nnodes; i++) {
        struct station_node *n = &st->nodes[i];
        twmark_rebase(&n->busy_int, &n->busy_avg, now);
        twmark_rebase(&n->queue_int, &n->queue_avg, now);
        twavg_restart(&n->busy_avg, now);
        twavg_restart(&n->queue_avg, now);
        n->arrivals = n->rejected = n->served = 0;
    }
}

/* Utilisation has no meaning without a worker limit: NaN (null in summary.json). */
static double node_util(const struct station *st, double busy_mean)
{
    if (st->cfg.workers <= 0)
        return NAN;
    return busy_mean / (double)st->cfg.workers;
}

double station_interval_busy(const struct station *st, uint32_t node, double now)
{
    const struct station_node *n = &st->nodes[node];
    return twmark_mean(&n->busy_int, &n->busy_avg, now);
}

double station_interval_queue(const struct station *st, uint32_t node, double now)
{
    const struct station_node *n = &st->nodes[node];
    return twmark_mean(&n->queue_int, &n->queue_avg, now);
}

void station_sample(struct station *st, double now, double *util, double *queue)
{
    double u = 0, q = 0;
    for (uint32_t i = 0; i < st->nnodes; i++) {
        struct station_node *n = &st->nodes[i];
        u += node_util(st, station_interval_busy(st, i, now));
        q += station_interval_queue(st, i, now);
        twmark_start(&n->busy_int, &n->busy_avg, now);
        twmark_start(&n->queue_int, &n->queue_avg, now);
    }
    *util = st->nnodes ? u / st->nnodes : 0;
    *queue = st->nnodes ? q / st->nnodes : 0;
}

void station_node_stats(const struct station *st, double now, uint32_t node,
                        struct node_stats *out)
{
    const struct station_node *n = &st->nodes[node];
    out->requests = n->arrivals;
    out->util = node_util(st, twavg_mean(&n->busy_avg, now));
    out->keys = 0;
}

double station_utilization(const struct station *st, double now)
{
    double u = 0;
    for (uint32_t i = 0; i < st->nnodes; i++)
        u += node_util(st, twavg_mean(&st->nodes[i].busy_avg, now));
    return st->nnodes ? u / st->nnodes : 0;
}

double station_queue_mean(const struct station *st, double now)
{
    double q = 0;
    for (uint32_t i = 0; i < st->nnodes; i++)
        q += twavg_mean(&st->nodes[i].queue_avg, now);
    return st->nnodes ? q / st->nnodes : 0;
}

double station_busy_mean(const struct station *st, double now)
{
    double b = 0;
    for (uint32_t i = 0; i < st->nnodes; i++)
        b += twavg_mean(&st->nodes[i].busy_avg, now);
    return st->nnodes ? b / st->nnodes : 0;
}

uint64_t station_rejected(const struct station *st)
{
    uint64_t r = 0;
    for (uint32_t i = 0; i < st->nnodes; i++)
        r += st->nodes[i].rejected;
    return r;
}
