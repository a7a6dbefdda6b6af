/* The message queue: a producer's call ends once its message is accepted, and consumers on
 * every node take messages in FIFO order and process them as new background requests
 * (service time, then the op's calls), with at-least-once delivery, redelivery, duplicates
 * and a dead-letter count.
 *
 * Nodes are partitions. A message goes to a node by round robin over the working nodes, or by
 * its key's hash (the "sharding" placement over the nodes; the key's next candidates while its
 * node is down). `capacity` bounds the messages WAITING on a node (not those a consumer holds,
 * as RabbitMQ's max-length counts only ready messages): a message that finds every consumer
 * busy and `capacity` waiting is rejected (REQ_REJECTED); 0 accepts only when a consumer is
 * free. A producer reaching a failed node (or no working node) fails (REQ_FAILED); both count
 * in `rejected`.
 *
 * A delivery is one consumer's attempt at one message: a request from req_spawn whose client
 * frame is the queue, so it loads the components it calls but never counts end to end. The
 * consumer is held until the request comes back. A message's outcome is settled once:
 * - its first completed delivery acknowledges it (`delivered`); a copy still waiting is
 *   withdrawn, and deliveries still running go on: each that completes is a duplicate;
 * - a delivery that ends unacknowledged puts the message back, unless it has had
 *   `max_deliveries` deliveries: then it is dead-lettered. Unacknowledged means: a call
 *   failed for good (after the callee's retry policy; requeued at the TAIL, so that a failing
 *   message does not block the others), the visibility timeout passed (SQS-style: visible
 *   again at the HEAD while the first consumer runs on; only its latest delivery can put a
 *   message back), or the node failed (at the head, see below).
 * A node failure ends its consumers' deliveries (what comes back for them is dropped) and
 * fails over its partition: its messages, the interrupted ones first, move to the working
 * nodes by the routing rule (at their tails, above capacity if need be: accepted messages are
 * never dropped). With no working node they wait where they are until a node recovers.
 *
 * Figures: `wait` runs from acceptance to the start of the message's first delivery, `delay`
 * from acceptance to its acknowledgement (the end of the first completed delivery); both only
 * for messages accepted after the warm-up, as are all message counts. Depth is the number of
 * waiting messages over all nodes; <id>.queue in the time series is its interval mean and
 * <id>.util is busy consumers / consumers. */
#include "models/calls.h"
#include "models/sharding.h"
#include "sim/estimate.h"
#include "sim/limits.h"
#include "sim/scenario.h"
#include "sim/world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { EV_Q_SERVICE = EV_MODEL, EV_Q_VISIBLE };

enum queue_routing { ROUTE_ROUND_ROBIN, ROUTE_HASH };
static const char *const routing_names[] = {"round_robin", "hash", NULL};

#define QUEUE_NONE UINT32_MAX

struct queue_cfg {
    int64_t capacity;          /* waiting messages per node; -1 unlimited */
    int64_t consumers;         /* per node */
    struct dist service;       /* s, per delivery on a consumer, before its calls */
    const cJSON *calls_json;
    int routing;               /* enum queue_routing */
    const cJSON *sharding_json;
    int64_t max_deliveries;    /* deliveries before an unacknowledged message is dead */
    double visibility;         /* s; 0: a delivery never times out */
    /* Resolved by the parse hook. */
    uint32_t *calls[SCN_MAX_OPS];
    uint32_t ncalls[SCN_MAX_OPS];
    struct sharding_cfg sharding;
};

enum msg_state { MSG_PENDING, MSG_DONE, MSG_DEAD };

/* One accepted message, alive while a node's ring or a delivery refers to it. */
struct qmsg {
    uint64_t key;
    double t_accept;     /* s */
    uint64_t latest;     /* serial of its latest delivery; only that one may put it back */
    uint32_t deliveries; /* started so far */
    uint32_t refs;       /* ring entries + deliveries in progress */
    uint32_t where;      /* the node whose ring holds its waiting copy */
    uint32_t next_free;
    uint16_t op;
    uint8_t counted;     /* accepted after the warm-up */
    uint8_t state;       /* enum msg_state */
    uint8_t waiting;     /* a live copy is in a ring */
};

/* A consumer and the delivery it holds. */
struct slot {
    uint64_t serial;   /* the delivery's serial */
    double deadline;   /* s, when its visibility timeout fires */
    uint32_t msg;
    uint8_t busy;
    uint8_t expired;   /* its visibility timeout has passed */
};

struct qnode {
    /* FIFO of message indexes; entries of settled messages are skipped when they come up
     * (a withdrawn copy), so len >= depth. */
    uint32_t *ring;
    uint32_t head, len, cap;
    uint32_t depth;       /* live waiting messages */
    uint32_t busy;        /* consumers holding a delivery */
    uint32_t up;
    uint32_t epoch;       /* the node's life: a failure starts the next one */
    /* Consumer records, allocated as consumers first get busy (so a large "consumers" costs
     * nothing until used); idle ones are on a stack. */
    struct slot *slots;
    uint32_t nslots;
    uint32_t *free_slots;
    uint32_t nfree;
    uint64_t arrivals;    /* producer calls routed here, after the warm-up */
    struct twavg depth_avg, busy_avg; /* since the warm-up */
    struct twmark depth_int, busy_int; /* the current metrics interval, off the above */
    gsl_rng *rng;         /* service times */
};

struct queue {
    struct qnode *nodes;
    uint32_t nnodes;      /* records (never dropped) */
    uint32_t active;      /* nodes that receive messages */
    uint32_t rr;          /* round robin */
    struct placement *ring;
    uint32_t ring_nodes;
    struct qmsg *msgs;    /* pool, grown by doubling; referred to by index */
    uint32_t nmsgs, free_msg;
    uint64_t next_serial;
    uint32_t depth;       /* waiting over all nodes */
    uint32_t depth_max;   /* since the warm-up */
    /* Counts of messages (and their deliveries) accepted after the warm-up. */
    uint64_t enqueued, delivered, dead_lettered, pending;
    uint64_t deliveries, redelivered, duplicates;
    uint64_t nacked, expired, interrupted, failed_over;
    uint64_t rejected_full, rejected_down;
    struct hist wait, delay;
};

static const struct param_spec queue_params[] = {
    {"capacity", PT_LIMIT, offsetof(struct queue_cfg, capacity), 0, 1e9, "\"unlimited\"",
     "messages waiting per node (not counting those consumers hold); full = rejected", NULL, 0},
    {"consumers", PT_INT, offsetof(struct queue_cfg, consumers), 1, 100000, "1",
     "consumers per node; each holds one message until its calls are answered", NULL, 0},
    {"service", PT_DIST, offsetof(struct queue_cfg, service), 0, 0, "0",
     "time a consumer spends on a message before its calls", NULL, 0},
    {"calls", PT_JSON, offsetof(struct queue_cfg, calls_json), 0, 0, NULL,
     "per op, the components a consumer calls in order: {\"*\": [\"worker-db\"]}", NULL, 0},
    {"routing", PT_ENUM, offsetof(struct queue_cfg, routing), 0, 0, "\"round_robin\"",
     "how a message picks its node: round robin, or by key hash (\"sharding\")",
     routing_names, 0},
    {"sharding", PT_JSON, offsetof(struct queue_cfg, sharding_json), 0, 0, NULL,
     "placement of keys over the nodes for \"routing\": \"hash\" (default modulo)", NULL, 0},
    {"max_deliveries", PT_INT, offsetof(struct queue_cfg, max_deliveries), 1, 1000000, "5",
     "deliveries of a message before an unacknowledged one is dead-lettered", NULL, 0},
    {"visibility_timeout", PT_DURATION, offsetof(struct queue_cfg, visibility), 0, 1e9, "0",
     "an unacknowledged delivery makes the message visible again after this; 0 = never",
     NULL, 0},
    PARAM_END,
};

/* ---- configuration ---------------------------------------------------------------------- */

static int queue_parse(struct comp_spec *cs, const cJSON *obj, const struct scenario *sc,
                       struct sim_error *err)
{
    struct queue_cfg *cfg = cs->config;
    char path[300];
    (void)obj;
    if (calls_parse(cfg->calls, cfg->ncalls, cfg->calls_json,
                    path_member(path, sizeof path, cs->path, "calls"), sc, err))
        return -1;
    path_member(path, sizeof path, cs->path, "sharding");
    if (cfg->sharding_json && cfg->routing != ROUTE_HASH)
        return sim_fail(err, path, "applies only to \"routing\": \"hash\"");
    if (sharding_parse(cfg->sharding_json, path, &cfg->sharding, err))
        return -1;
    if (cfg->sharding.replication_factor != 1)
        return sim_fail(err, path, "a queue keeps each message on one node: "
                                   "replication_factor must be 1");
    return 0;
}

/* Keys only for routing by hash; what consumers call declares its own needs. */
static unsigned queue_needs(const struct comp_spec *cs)
{
    const struct queue_cfg *cfg = cs->config;
    return cfg->routing == ROUTE_HASH ? NEEDS_KEYS : 0;
}

/* Back-of-envelope figures. For the producers the queue is a delay of two network latencies
 * (acceptance takes no time), and its consumers' calls are traffic they do not wait for. The
 * consumers are an M/G/c per node whose figures go in the note; their hold is the service
 * time only, since the calls' times are not known in this (callers-first) pass. */
static void queue_estimate(const struct comp_spec *cs, const struct scenario *sc,
                           struct est_comp *self)
{
    const struct queue_cfg *cfg = cs->config;
    /* The producer waits only for acceptance; the consumers are an M/G/c queue per node whose
     * holding time is the service plus the calls they make. */
    self->async = 1;
    self->holds_downstream = 1;
    self->workers = (double)cfg->consumers;
    self->service = cfg->service.mean;
    self->scv = cfg->service.scv;
    snprintf(self->note, sizeof self->note, "wait and util: messages and consumers");
    for (size_t op = 0; op < sc->wl.nops; op++)
        for (uint32_t i = 0; i < cfg->ncalls[op]; i++)
            est_call(self, cfg->calls[op][i], op, self->rate[op], 1);
}

static void queue_edges(const struct comp_spec *cs, void (*fn)(void *ctx, uint32_t to),
                        void *ctx)
{
    const struct queue_cfg *cfg = cs->config;
    for (size_t op = 0; op < SCN_MAX_OPS; op++)
        for (uint32_t i = 0; i < cfg->ncalls[op]; i++)
            fn(ctx, cfg->calls[op][i]);
}

static void queue_free_config(void *config)
{
    struct queue_cfg *cfg = config;
    calls_free(cfg->calls);
}

/* ---- messages and rings ----------------------------------------------------------------- */

static uint32_t msg_alloc(struct queue *q)
{
    if (q->free_msg == QUEUE_NONE) {
        uint32_t n = q->nmsgs ? 2 * q->nmsgs : 1024;
        q->msgs = sim_xrealloc(q->msgs, n * sizeof *q->msgs);
        for (uint32_t i = n; i-- > q->nmsgs;) {
            q->msgs[i].next_free = q->free_msg;
            q->free_msg = i;
        }
        q->nmsgs = n;
    }
    uint32_t m = q->free_msg;
    q->free_msg = q->msgs[m].next_free;
    return m;
}

static void msg_unref(struct queue *q, uint32_t m)
{
    struct qmsg *msg = &q->msgs[m];
    SIM_ASSERT(msg->refs > 0);
    if (--msg->refs == 0) {
        msg->next_free = q->free_msg;
        q->free_msg = m;
    }
}

static void ring_grow(struct qnode *n)
{
    if (n->len < n->cap)
        return;
    uint32_t cap = n->cap ? 2 * n->cap : 16;
    uint32_t *r = sim_xmalloc(cap * sizeof *r);
    for (uint32_t i = 0; i < n->len; i++)
        r[i] = n->ring[(n->head + i) % n->cap];
    free(n->ring);
    n->ring = r;
    n->head = 0;
    n->cap = cap;
}

static void set_depth(struct queue *q, struct qnode *n, double now, uint32_t depth)
{
    q->depth = q->depth - n->depth + depth;
    if (q->depth > q->depth_max)
        q->depth_max = q->depth;
    n->depth = depth;
    twavg_set(&n->depth_avg, now, depth);
}

static void set_busy(struct qnode *n, double now, uint32_t busy)
{
    n->busy = busy;
    twavg_set(&n->busy_avg, now, busy);
}

/* Puts a pending message that has no waiting copy into node's ring (at the head or tail). */
static void enqueue(struct queue *q, uint32_t node, uint32_t m, int at_head, double now)
{
    struct qnode *n = &q->nodes[node];
    struct qmsg *msg = &q->msgs[m];
    SIM_ASSERT(msg->state == MSG_PENDING && !msg->waiting);
    ring_grow(n);
    if (at_head) {
        n->head = (n->head + n->cap - 1) % n->cap;
        n->ring[n->head] = m;
    } else {
        n->ring[(n->head + n->len) % n->cap] = m;
    }
    n->len++;
    msg->refs++;
    msg->waiting = 1;
    msg->where = node;
    set_depth(q, n, now, n->depth + 1);
}

/* Takes the head entry off a node's ring (the caller takes over its reference). */
static uint32_t ring_pop(struct qnode *n)
{
    uint32_t m = n->ring[n->head];
    n->head = (n->head + 1) % n->cap;
    n->len--;
    return m;
}

/* ---- routing ---------------------------------------------------------------------------- */

static void rebuild_ring(struct comp *c, uint32_t n)
{
    struct queue *q = c->state;
    const struct queue_cfg *cfg = c->config;
    placement_free(q->ring);
    q->ring = NULL;
    struct sim_error err = {0};
    /* The parameters were checked at load; placement of n >= 1 default-named nodes cannot
     * fail for them. */
    int rc = placement_create(cfg->sharding.scheme, NULL, n, &cfg->sharding.params, &q->ring,
                              &err);
    if (rc)
        sim_error_print(&err);
    SIM_ASSERT(rc == 0);
    q->ring_nodes = n;
}

/* Its nodes, and for hash routing the placement over the most of them a scale reaches;
 * messages grow with the load (or up to "capacity" per node), not with the scenario. */
static double queue_memory(const struct comp_spec *cs, const struct scenario *sc)
{
    const struct queue_cfg *cfg = cs->config;
    int64_t nodes = limits_peak_nodes(sc, cs->index);
    double bytes = (double)nodes * LIMITS_NODE_BYTES;
    if (cfg->routing == ROUTE_HASH)
        bytes += sharding_memory(&cfg->sharding, nodes);
    return bytes;
}

static int queue_check(const struct comp_spec *cs, const struct scenario *sc, struct sim_error *err)
{
    const struct queue_cfg *cfg = cs->config;
    char path[300];
    if (cfg->routing != ROUTE_HASH)
        return 0;
    return sharding_check(&cfg->sharding, limits_peak_nodes(sc, cs->index),
                          path_member(path, sizeof path, cs->path, "sharding"), err);
}

/* The working node a message with this key goes to, or QUEUE_NONE when none works. */
static uint32_t route(struct comp *c, uint64_t key)
{
    struct queue *q = c->state;
    const struct queue_cfg *cfg = c->config;
    uint32_t n = q->active;
    if (cfg->routing == ROUTE_ROUND_ROBIN) {
        for (uint32_t tries = 0; tries < n; tries++) {
            uint32_t node = q->rr;
            q->rr = q->rr + 1 >= n ? 0 : q->rr + 1;
            if (q->nodes[node].up)
                return node;
        }
        return QUEUE_NONE;
    }
    if (q->ring_nodes != n)
        rebuild_ring(c, n);
    uint32_t cand[16];
    size_t k = placement_lookup_n(q->ring, placement_hash_id(q->ring, key), cand,
                                  n < 16 ? n : 16);
    /* The key's node, or its next candidates while it is down; past them, the next up. */
    for (size_t i = 0; i < k; i++)
        if (q->nodes[cand[i]].up)
            return cand[i];
    for (uint32_t i = 1; i <= n; i++) {
        uint32_t node = (cand[0] + i) % n;
        if (q->nodes[node].up)
            return node;
    }
    return QUEUE_NONE;
}

/* ---- deliveries ------------------------------------------------------------------------- */

static void try_deliver(struct comp *c, struct sim *sim, uint32_t node);

/* Starts a delivery of message m (whose ring reference it takes over) on an idle consumer. */
static void deliver(struct comp *c, struct sim *sim, uint32_t node, uint32_t m)
{
    struct queue *q = c->state;
    const struct queue_cfg *cfg = c->config;
    struct qnode *n = &q->nodes[node];
    struct qmsg *msg = &q->msgs[m];
    if (n->nfree == 0) {
        /* A consumer never busy before: the records grow by doubling, up to "consumers". */
        uint32_t k = (uint32_t)cfg->consumers, old = n->nslots;
        uint32_t grown = old * 2 > k ? k : old * 2 < 4 ? (k < 4 ? k : 4) : old * 2;
        SIM_ASSERT(grown > old);
        n->slots = sim_xrealloc(n->slots, grown * sizeof *n->slots);
        n->free_slots = sim_xrealloc(n->free_slots, grown * sizeof *n->free_slots);
        for (uint32_t i = grown; i-- > old;) {
            n->slots[i] = (struct slot){0};
            n->free_slots[n->nfree++] = i;
        }
        n->nslots = grown;
    }
    uint32_t si = n->free_slots[--n->nfree];
    struct slot *s = &n->slots[si];
    s->busy = 1;
    s->expired = 0;
    s->msg = m;
    s->serial = ++q->next_serial;
    msg->latest = s->serial;
    msg->deliveries++;
    set_busy(n, sim->now, n->busy + 1);
    if (msg->counted) {
        q->deliveries++;
        if (msg->deliveries > 1)
            q->redelivered++;
        else
            hist_record(&q->wait, sim->now - msg->t_accept);
    }
    struct request *req = req_spawn(sim, c->index, node, msg->key, msg->op);
    struct frame *f = req_top(req);
    f->epoch = n->epoch;
    f->aux = si;
    struct sim_event ev = {.ptr = req, .target = c->index, .kind = EV_Q_SERVICE, .node = node};
    sim_schedule(sim, dist_sample(&cfg->service, n->rng), &ev);
    if (cfg->visibility > 0) {
        s->deadline = sim->now + cfg->visibility;
        struct sim_event vev = {.target = c->index, .kind = EV_Q_VISIBLE, .node = node,
                                .tag = si};
        sim_schedule_at(sim, s->deadline, &vev);
    }
}

/* Idle consumers of a working node take the waiting messages in order. */
static void try_deliver(struct comp *c, struct sim *sim, uint32_t node)
{
    struct queue *q = c->state;
    const struct queue_cfg *cfg = c->config;
    struct qnode *n = &q->nodes[node];
    while (n->up && n->busy < (uint64_t)cfg->consumers && n->len > 0) {
        uint32_t m = ring_pop(n);
        struct qmsg *msg = &q->msgs[m];
        if (msg->state != MSG_PENDING) {
            msg_unref(q, m); /* a copy withdrawn by an acknowledgement */
            continue;
        }
        msg->waiting = 0;
        set_depth(q, n, sim->now, n->depth - 1);
        deliver(c, sim, node, m);
    }
}

/* The latest delivery of a pending message ended unacknowledged: back into node's ring, or
 * dead-lettered after max_deliveries. */
static void put_back(struct comp *c, struct sim *sim, uint32_t node, uint32_t m, int at_head)
{
    struct queue *q = c->state;
    const struct queue_cfg *cfg = c->config;
    struct qmsg *msg = &q->msgs[m];
    if (msg->deliveries >= (uint64_t)cfg->max_deliveries) {
        msg->state = MSG_DEAD;
        q->dead_lettered += msg->counted;
        q->pending -= msg->counted;
        return;
    }
    enqueue(q, node, m, at_head, sim->now);
}

/* Whether the message of a delivery is still the delivery's to put back. */
static int owns(const struct queue *q, const struct slot *s)
{
    const struct qmsg *msg = &q->msgs[s->msg];
    return msg->latest == s->serial && msg->state == MSG_PENDING && !msg->waiting;
}

static void acknowledge(struct queue *q, uint32_t m, double now)
{
    struct qmsg *msg = &q->msgs[m];
    if (msg->state != MSG_PENDING) {
        q->duplicates += msg->counted;
        return;
    }
    msg->state = MSG_DONE;
    if (msg->counted) {
        q->delivered++;
        q->pending--;
        hist_record(&q->delay, now - msg->t_accept);
    }
    if (msg->waiting) {
        /* The waiting copy stays in its ring as an entry to skip. */
        msg->waiting = 0;
        struct qnode *w = &q->nodes[msg->where];
        set_depth(q, w, now, w->depth - 1);
    }
}

static void free_slot(struct queue *q, struct qnode *n, uint32_t si, double now)
{
    struct slot *s = &n->slots[si];
    s->busy = 0;
    n->free_slots[n->nfree++] = si;
    set_busy(n, now, n->busy - 1);
    msg_unref(q, s->msg);
}

/* A delivery's request came back to its consumer: acknowledged (ok) or failed for good. */
static void finish(struct comp *c, struct sim *sim, struct request *req, int ok)
{
    struct queue *q = c->state;
    const struct frame *f = req_top(req);
    uint32_t node = f->node, si = (uint32_t)f->aux;
    struct qnode *n = &q->nodes[node];
    struct slot *s = &n->slots[si];
    if (ok) {
        acknowledge(q, s->msg, sim->now);
    } else {
        q->nacked += q->msgs[s->msg].counted;
        if (owns(q, s))
            put_back(c, sim, node, s->msg, 0);
    }
    free_slot(q, n, si, sim->now);
    req_free(sim, req);
    try_deliver(c, sim, node);
}

/* Whether a delivery's request still belongs to its node's current life. After a failure
 * the node's deliveries were ended; whatever comes back for them is only freed. */
static int alive(const struct queue *q, struct request *req)
{
    const struct frame *f = req_top(req);
    const struct qnode *n = &q->nodes[f->node];
    return n->up && f->epoch == n->epoch;
}

/* Makes the next call of the message's op, or acknowledges it when none is left. */
static void next_call(struct comp *c, struct sim *sim, struct request *req)
{
    const struct queue_cfg *cfg = c->config;
    struct frame *f = req_top(req);
    if (f->step < cfg->ncalls[req->op]) {
        req_call(sim, req, cfg->calls[req->op][f->step++], REQ_ANY_NODE);
        return;
    }
    finish(c, sim, req, 1);
}

/* ---- runtime hooks ---------------------------------------------------------------------- */

static void node_init(struct comp *c, struct qnode *n, uint32_t index, double now)
{
    *n = (struct qnode){.up = 1};
    twavg_init(&n->depth_avg, now, 0);
    twavg_init(&n->busy_avg, now, 0);
    twmark_start(&n->depth_int, &n->depth_avg, now);
    twmark_start(&n->busy_int, &n->busy_avg, now);
    n->rng = comp_rng(c, index, "service");
}

static void resize(struct comp *c, uint32_t nodes, double now)
{
    struct queue *q = c->state;
    if (nodes <= q->nnodes)
        return;
    q->nodes = sim_xrealloc(q->nodes, nodes * sizeof *q->nodes);
    for (uint32_t i = q->nnodes; i < nodes; i++)
        node_init(c, &q->nodes[i], i, now);
    q->nnodes = nodes;
}

static int queue_start(struct comp *c, struct sim *sim)
{
    struct queue *q = c->state;
    q->free_msg = QUEUE_NONE;
    hist_init(&q->wait);
    hist_init(&q->delay);
    q->active = (uint32_t)c->spec->nodes;
    resize(c, q->active, sim->now);
    return 0;
}

/* A producer's message: accepted (the call ends now), rejected when the node is full, or
 * failed when no node works. */
static void queue_arrive(struct comp *c, struct sim *sim, struct request *req)
{
    struct queue *q = c->state;
    const struct queue_cfg *cfg = c->config;
    struct frame *f = req_top(req);
    uint32_t node = f->node;
    if (node == REQ_ANY_NODE || node >= q->active)
        node = route(c, req->key);
    else if (!q->nodes[node].up)
        node = QUEUE_NONE; /* the caller chose a failed node */
    if (node == QUEUE_NONE) {
        c->rejected += req->counted;
        q->rejected_down += req->counted;
        req_reply_status(sim, req, REQ_FAILED);
        return;
    }
    f->node = node;
    struct qnode *n = &q->nodes[node];
    n->arrivals += req->counted;
    int idle = n->busy < (uint64_t)cfg->consumers;
    if (!idle && cfg->capacity >= 0 && n->depth >= (uint64_t)cfg->capacity) {
        c->rejected += req->counted;
        q->rejected_full += req->counted;
        req_reply_status(sim, req, REQ_REJECTED);
        return;
    }
    uint32_t m = msg_alloc(q);
    q->msgs[m] = (struct qmsg){.key = req->key,
                               .t_accept = sim->now,
                               .op = req->op,
                               .counted = req->counted,
                               .state = MSG_PENDING};
    q->enqueued += req->counted;
    q->pending += req->counted;
    req_reply(sim, req);
    if (idle && n->depth == 0) {
        /* An idle consumer takes it at once: it never waits, and depth stays 0. */
        q->msgs[m].refs = 1;
        deliver(c, sim, node, m);
        return;
    }
    enqueue(q, node, m, 0, sim->now);
    try_deliver(c, sim, node);
}

static void queue_resume(struct comp *c, struct sim *sim, struct request *req)
{
    struct queue *q = c->state;
    if (!alive(q, req)) {
        req_free(sim, req);
        return;
    }
    if (req->status != REQ_OK) {
        if (req_retry(sim, req, REQ_ANY_NODE))
            return; /* the consumer stays held through the backoff */
        finish(c, sim, req, 0);
        return;
    }
    next_call(c, sim, req);
}

/* The visibility timeout of a delivery: its message is visible again at the head of the
 * queue while the consumer runs on. */
static void visibility_expired(struct comp *c, struct sim *sim, const struct sim_event *ev)
{
    struct queue *q = c->state;
    struct qnode *n = &q->nodes[ev->node];
    struct slot *s = &n->slots[ev->tag];
    /* A later delivery in the same consumer has a later deadline, unless it started at the
     * same instant, when this is its deadline too. */
    if (!s->busy || s->expired || s->deadline != ev->t)
        return;
    s->expired = 1;
    if (!owns(q, s))
        return;
    q->expired += q->msgs[s->msg].counted;
    put_back(c, sim, ev->node, s->msg, 1);
    try_deliver(c, sim, ev->node);
}

static void queue_handle(struct comp *c, struct sim *sim, const struct sim_event *ev)
{
    struct queue *q = c->state;
    if (ev->kind == EV_Q_VISIBLE) {
        visibility_expired(c, sim, ev);
        return;
    }
    SIM_ASSERT(ev->kind == EV_Q_SERVICE);
    if (!alive(q, ev->ptr)) {
        req_free(sim, ev->ptr);
        return;
    }
    next_call(c, sim, ev->ptr);
}

/* Moves every message waiting on a failed node to the working nodes (at their tails, in
 * order). Nothing moves while no node works. */
static void fail_over(struct comp *c, struct sim *sim, uint32_t from)
{
    struct queue *q = c->state;
    struct qnode *n = &q->nodes[from];
    uint32_t first = QUEUE_NONE;
    for (uint32_t i = 0; i < q->active && first == QUEUE_NONE; i++)
        if (q->nodes[i].up)
            first = i;
    if (first == QUEUE_NONE)
        return;
    while (n->len > 0) {
        uint32_t m = ring_pop(n);
        struct qmsg *msg = &q->msgs[m];
        if (msg->state == MSG_PENDING) {
            msg->waiting = 0;
            set_depth(q, n, sim->now, n->depth - 1);
            enqueue(q, route(c, msg->key), m, 0, sim->now);
            q->failed_over += msg->counted;
        }
        msg_unref(q, m);
    }
    for (uint32_t i = 0; i < q->nnodes; i++)
        try_deliver(c, sim, i);
}

static int by_serial_desc(const void *a, const void *b)
{
    const struct slot *x = *(const struct slot *const *)a, *y = *(const struct slot *const *)b;
    return x->serial < y->serial ? 1 : x->serial > y->serial ? -1 : 0;
}

/* A node fails: its deliveries end unacknowledged (the earliest ends up first at the head),
 * then its partition fails over. */
static void fail_node(struct comp *c, struct sim *sim, uint32_t node)
{
    struct queue *q = c->state;
    struct qnode *n = &q->nodes[node];
    if (!n->up)
        return;
    n->up = 0;
    n->epoch++;
    uint32_t nbusy = 0;
    struct slot **held = sim_xmalloc((n->nslots ? n->nslots : 1) * sizeof *held);
    for (uint32_t i = 0; i < n->nslots; i++)
        if (n->slots[i].busy)
            held[nbusy++] = &n->slots[i];
    qsort(held, nbusy, sizeof *held, by_serial_desc);
    for (uint32_t i = 0; i < nbusy; i++) {
        struct slot *s = held[i];
        q->interrupted += q->msgs[s->msg].counted;
        if (owns(q, s))
            put_back(c, sim, node, s->msg, 1);
        free_slot(q, n, (uint32_t)(s - n->slots), sim->now);
    }
    free(held);
    fail_over(c, sim, node);
}

static void recover_node(struct comp *c, struct sim *sim, uint32_t node)
{
    struct queue *q = c->state;
    q->nodes[node].up = 1;
    /* Messages parked on failed nodes while none worked come to the working ones now. */
    for (uint32_t i = 0; i < q->nnodes; i++)
        if (!q->nodes[i].up && q->nodes[i].len > 0)
            fail_over(c, sim, i);
    try_deliver(c, sim, node);
}

static int queue_control(struct comp *c, struct sim *sim, const struct control *ctl,
                         struct sim_error *err)
{
    struct queue *q = c->state;
    switch (ctl->action) {
    case CTL_SCALE:
        if (strcmp(ctl->what, "nodes") != 0 || ctl->nodes < 1)
            return sim_fail(err, c->spec->path, "a queue scales by \"nodes\" (at least 1)");
        /* New nodes start empty; nodes scaled away get no new messages and drain what they
         * hold. */
        resize(c, (uint32_t)ctl->nodes, sim->now);
        q->active = (uint32_t)ctl->nodes;
        if (q->rr >= q->active)
            q->rr = 0;
        return 0;
    case CTL_FAIL:
    case CTL_RECOVER:
        if (ctl->node >= (int64_t)q->active || ctl->node < -1)
            return sim_fail(err, c->spec->path, "%s has no node %lld", c->spec->id,
                            (long long)ctl->node);
        if (ctl->node >= 0) {
            if (ctl->action == CTL_FAIL)
                fail_node(c, sim, (uint32_t)ctl->node);
            else if (!q->nodes[ctl->node].up)
                recover_node(c, sim, (uint32_t)ctl->node);
            return 0;
        }
        /* The whole queue: every node at once, so that no node takes over the others'
         * partitions in between. */
        for (uint32_t i = 0; i < q->active; i++)
            if (ctl->action == CTL_FAIL)
                fail_node(c, sim, i);
            else
                q->nodes[i].up = 1;
        if (ctl->action == CTL_RECOVER)
            for (uint32_t i = 0; i < q->nnodes; i++) {
                if (!q->nodes[i].up && q->nodes[i].len > 0)
                    fail_over(c, sim, i);
                try_deliver(c, sim, i);
            }
        return 0;
    }
    return -1;
}

/* ---- figures ---------------------------------------------------------------------------- */

static void queue_sample(struct comp *c, struct sim *sim, struct comp_sample *out)
{
    struct queue *q = c->state;
    const struct queue_cfg *cfg = c->config;
    double util = 0, depth = 0;
    for (uint32_t i = 0; i < q->nnodes; i++) {
        struct qnode *n = &q->nodes[i];
        util += twmark_mean(&n->busy_int, &n->busy_avg, sim->now) / (double)cfg->consumers;
        depth += twmark_mean(&n->depth_int, &n->depth_avg, sim->now);
        twmark_start(&n->busy_int, &n->busy_avg, sim->now);
        twmark_start(&n->depth_int, &n->depth_avg, sim->now);
    }
    out->util = q->nnodes ? util / q->nnodes : 0;
    out->queue = depth;
    out->hit_ratio = NAN;
}

static void queue_reset(struct comp *c, struct sim *sim)
{
    struct queue *q = c->state;
    for (uint32_t i = 0; i < q->nnodes; i++) {
        struct qnode *n = &q->nodes[i];
        twmark_rebase(&n->depth_int, &n->depth_avg, sim->now);
        twmark_rebase(&n->busy_int, &n->busy_avg, sim->now);
        twavg_restart(&n->depth_avg, sim->now);
        twavg_restart(&n->busy_avg, sim->now);
        n->arrivals = 0;
    }
    q->depth_max = q->depth;
}

static uint32_t queue_node_count(const struct comp *c)
{
    const struct queue *q = c->state;
    return q->active;
}

static int queue_node_up(const struct comp *c, uint32_t node)
{
    const struct queue *q = c->state;
    return node < q->active && q->nodes[node].up;
}

static void queue_node_stats(struct comp *c, struct sim *sim, uint32_t node,
                             struct node_stats *out)
{
    struct queue *q = c->state;
    const struct queue_cfg *cfg = c->config;
    const struct qnode *n = &q->nodes[node];
    out->requests = n->arrivals;
    out->util = twavg_mean(&n->busy_avg, sim->now) / (double)cfg->consumers;
    out->keys = 0;
}

static void add_num(cJSON *obj, const char *name, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(obj, name, v);
    else
        cJSON_AddNullToObject(obj, name);
}

static void add_ms(cJSON *obj, const char *name, const struct hist *h)
{
    cJSON *o = cJSON_AddObjectToObject(obj, name);
    int any = hist_count(h) > 0;
    add_num(o, "mean", any ? hist_mean(h) * 1e3 : NAN);
    add_num(o, "p50", any ? hist_quantile(h, 0.50) * 1e3 : NAN);
    add_num(o, "p99", any ? hist_quantile(h, 0.99) * 1e3 : NAN);
    add_num(o, "max", any ? hist_max(h) * 1e3 : NAN);
}

static void queue_report(struct comp *c, struct sim *sim, cJSON *out)
{
    struct queue *q = c->state;
    const struct queue_cfg *cfg = c->config;
    double depth = 0, busy = 0;
    uint32_t in_process = 0;
    for (uint32_t i = 0; i < q->nnodes; i++) {
        depth += twavg_mean(&q->nodes[i].depth_avg, sim->now);
        busy += twavg_mean(&q->nodes[i].busy_avg, sim->now);
        in_process += q->nodes[i].busy;
    }
    cJSON_AddStringToObject(out, "routing", routing_names[cfg->routing]);
    cJSON_AddNumberToObject(out, "enqueued", (double)q->enqueued);
    cJSON_AddNumberToObject(out, "delivered", (double)q->delivered);
    cJSON_AddNumberToObject(out, "dead_lettered", (double)q->dead_lettered);
    cJSON_AddNumberToObject(out, "pending", (double)q->pending);
    cJSON_AddNumberToObject(out, "rejected_full", (double)q->rejected_full);
    cJSON_AddNumberToObject(out, "rejected_down", (double)q->rejected_down);
    cJSON_AddNumberToObject(out, "deliveries", (double)q->deliveries);
    cJSON_AddNumberToObject(out, "redelivered", (double)q->redelivered);
    cJSON_AddNumberToObject(out, "duplicates", (double)q->duplicates);
    cJSON_AddNumberToObject(out, "nacked", (double)q->nacked);
    cJSON_AddNumberToObject(out, "expired", (double)q->expired);
    cJSON_AddNumberToObject(out, "interrupted", (double)q->interrupted);
    cJSON_AddNumberToObject(out, "failed_over", (double)q->failed_over);
    cJSON_AddNumberToObject(out, "depth", (double)q->depth);
    cJSON_AddNumberToObject(out, "in_process", (double)in_process);
    cJSON_AddNumberToObject(out, "depth_max", (double)q->depth_max);
    add_num(out, "depth_mean", depth);
    add_num(out, "busy_mean", q->nnodes ? busy / q->nnodes : NAN);
    add_ms(out, "wait_ms", &q->wait);
    add_ms(out, "delay_ms", &q->delay);
}

static void queue_free_state(struct comp *c)
{
    struct queue *q = c->state;
    for (uint32_t i = 0; i < q->nnodes; i++) {
        free(q->nodes[i].ring);
        free(q->nodes[i].slots);
        free(q->nodes[i].free_slots);
        gsl_rng_free(q->nodes[i].rng);
    }
    free(q->nodes);
    free(q->msgs);
    placement_free(q->ring);
    hist_free(&q->wait);
    hist_free(&q->delay);
}

const struct model_ops queue_ops = {
    .name = "queue",
    .help = "a message queue: producers' calls end at acceptance; consumers process messages "
            "at least once",
    .params = queue_params,
    .config_size = sizeof(struct queue_cfg),
    .parse = queue_parse,
    .edges = queue_edges,
    .needs = queue_needs,
    .estimate = queue_estimate,
    .free_config = queue_free_config,
    .state_size = sizeof(struct queue),
    .start = queue_start,
    .arrive = queue_arrive,
    .resume = queue_resume,
    .handle = queue_handle,
    .control = queue_control,
    .sample = queue_sample,
    .reset_stats = queue_reset,
    .node_count = queue_node_count,
    .node_up = queue_node_up,
    .node_stats = queue_node_stats,
    .report = queue_report,
    .free_state = queue_free_state,
    .memory = queue_memory,
    .check = queue_check,
};
