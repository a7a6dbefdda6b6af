/* The load balancer: event-driven (it holds no worker while the backend answers); spreads
 * requests over the nodes of its backend pool by policy, and learns of failed and recovered
 * nodes only at its health checks, so a failed node keeps receiving traffic until then. */
#include "models/ratelimit.h"
#include "models/sharding.h"
#include "sim/estimate.h"
#include "sim/jsonloc.h"
#include "sim/limits.h"
#include "sim/scenario.h"
#include "sim/station.h"
#include "sim/units.h"
#include "sim/world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { EV_LB_DONE = EV_MODEL, EV_LB_HEALTH, EV_LB_LIMIT };

enum lb_policy { LB_ROUND_ROBIN, LB_RANDOM, LB_LEAST_CONN, LB_POWER_OF_TWO, LB_HASH, LB_STICKY };
static const char *const policy_names[] = {"round_robin",   "random", "least_connections",
                                           "power_of_two", "hash",   "sticky",
                                           NULL};

#define LB_MAX_STICKY_CLIENTS 50000000u

struct lb_cfg {
    struct station_cfg st;
    struct dist service;
    char *backend_id;
    int policy;
    const cJSON *health_json;
    const cJSON *sharding_json;
    const cJSON *rate_limit_json;
    /* Resolved by the parse hook. */
    uint32_t backend;
    double health_interval;        /* s; 0: no health checks (the view never changes) */
    struct sharding_cfg sharding;  /* for the hash policy */
    struct ratelimit_cfg *rate_limit; /* NULL: none */
};

struct lb {
    struct station st;
    uint32_t next_node;     /* round robin over the balancer's own nodes */
    uint32_t rr;            /* round robin over the backend */
    gsl_rng *rng;           /* random and power_of_two choices */
    struct comp *backend;
    uint32_t nbackend;      /* backend node records known (grows with scale-outs) */
    uint8_t *healthy;       /* the view of the last health check, per backend node */
    uint32_t *outstanding;  /* requests sent to each backend node and not yet answered */
    uint32_t *sticky;       /* client -> backend node + 1 (0: not assigned yet) */
    struct placement *ring; /* hash policy: placement over the backend's current nodes */
    uint32_t ring_nodes;
    uint32_t ring_gen;      /* rebuilds so far: a bounded acquire is released only on its ring */
    int acquired;           /* the last pick_hash took a bounded-load slot */
    uint64_t outstanding_total; /* the sum of outstanding */
    double peak_over_cap;   /* hash policy: the most outstanding[node] / ceil(load_bound x mean
                               outstanding) seen right after a send */
    uint64_t sent_to_down;  /* requests routed to a node that had failed */
    struct ratelimit *limit; /* the inline rate limit, checked on arrival */
};

static const struct param_spec lb_params[] = {
    {"workers", PT_LIMIT, offsetof(struct lb_cfg, st.workers), 1, 1e9, "\"unlimited\"",
     "concurrent requests per balancer node (event-driven: not held while the backend answers)",
     NULL, 0},
    {"queue", PT_LIMIT, offsetof(struct lb_cfg, st.queue), 0, 1e9, "\"unlimited\"",
     "waiting room per balancer node; 0 = none", NULL, 0},
    {"service", PT_DIST, offsetof(struct lb_cfg, service), 0, 0, "0",
     "processing time per request on the balancer", NULL, 0},
    {"backend", PT_STRING, offsetof(struct lb_cfg, backend_id), 0, 0, NULL,
     "id of the pool it spreads requests over", NULL, PARAM_REQUIRED},
    {"policy", PT_ENUM, offsetof(struct lb_cfg, policy), 0, 0, "\"round_robin\"",
     "how a backend node is chosen", policy_names, 0},
    {"health_check", PT_JSON, offsetof(struct lb_cfg, health_json), 0, 0, NULL,
     "{\"interval\": \"5s\"}: how often node health is checked (default 5s)", NULL, 0},
    {"sharding", PT_JSON, offsetof(struct lb_cfg, sharding_json), 0, 0, NULL,
     "placement of keys for the hash policy (default {\"scheme\": \"modulo\"})", NULL, 0},
    {"rate_limit", PT_JSON, offsetof(struct lb_cfg, rate_limit_json), 0, 0, NULL,
     "a rate limit checked on arrival (the rate_limiter fields without backend; \"sync\" "
     "counts over the balancer's nodes); refused requests end as 429",
     NULL, 0},
    PARAM_END,
};

static int lb_parse(struct comp_spec *cs, const cJSON *obj, const struct scenario *sc,
                    struct sim_error *err)
{
    struct lb_cfg *cfg = cs->config;
    char path[300], sub[300];
    (void)obj;
    int b = scenario_find(sc, cfg->backend_id);
    if (b < 0)
        return sim_fail(err, path_member(path, sizeof path, cs->path, "backend"),
                        "unknown component \"%s\"", cfg->backend_id);
    if (!sc->comps[b].ops->node_count || !sc->comps[b].ops->node_up)
        return sim_fail(err, path_member(path, sizeof path, cs->path, "backend"),
                        "a %s is not a pool a load balancer can spread over",
                        sc->comps[b].ops->name);
    cfg->backend = (uint32_t)b;
    cfg->health_interval = 5;
    const cJSON *hc = cfg->health_json;
    path_member(path, sizeof path, cs->path, "health_check");
    if (hc) {
        if (!cJSON_IsObject(hc))
            return sim_fail(err, path, "must be an object such as {\"interval\": \"5s\"}");
        for (const cJSON *m = hc->child; m; m = m->next)
            if (strcmp(m->string, "interval") != 0)
                return sim_fail(err, path_member(sub, sizeof sub, path, m->string),
                                "unknown field \"%s\" (health_check has \"interval\")",
                                m->string);
        const cJSON *iv = cJSON_GetObjectItemCaseSensitive(hc, "interval");
        if (iv && units_duration(iv, path_member(sub, sizeof sub, path, "interval"),
                                 &cfg->health_interval, err))
            return -1;
        /* Below 1 us the next check could round to the same instant late in a long run
         * (the clock's resolution at 1e9 s is about 1e-7 s) and time would stop. */
        if (iv && !(cfg->health_interval >= 1e-6 && cfg->health_interval <= 1e9))
            return sim_fail(err, sub, "must be from 1us to 1e9 s, got %g s", cfg->health_interval);
    }
    if (cfg->sharding_json && cfg->policy != LB_HASH)
        return sim_fail(err, path_member(path, sizeof path, cs->path, "sharding"),
                        "applies only to \"policy\": \"hash\"");
    if (sharding_parse(cfg->sharding_json, path_member(path, sizeof path, cs->path, "sharding"),
                       &cfg->sharding, err))
        return -1;
    if (cfg->policy == LB_STICKY && sc->wl.clients > LB_MAX_STICKY_CLIENTS)
        return sim_fail(err, path_member(path, sizeof path, cs->path, "policy"),
                        "sticky sessions keep one entry per client; %llu clients is more than "
                        "the %u supported (set workload.clients)",
                        (unsigned long long)sc->wl.clients, LB_MAX_STICKY_CLIENTS);
    if (cfg->rate_limit_json &&
        ratelimit_parse(cfg->rate_limit_json, path_member(path, sizeof path, cs->path,
                                                          "rate_limit"),
                        LIMITER_SYNC_LOCAL, &cfg->rate_limit, err))
        return -1;
    return 0;
}

static void lb_free_config(void *config)
{
    struct lb_cfg *cfg = config;
    ratelimit_cfg_free(cfg->rate_limit);
}

static unsigned lb_needs(const struct comp_spec *cs)
{
    const struct lb_cfg *cfg = cs->config;
    return (cfg->policy == LB_HASH ? NEEDS_KEYS : cfg->policy == LB_STICKY ? NEEDS_CLIENTS : 0) |
           ratelimit_needs(cfg->rate_limit);
}

static void lb_estimate(const struct comp_spec *cs, const struct scenario *sc,
                        struct est_comp *self)
{
    const struct lb_cfg *cfg = cs->config;
    self->workers = cfg->st.workers < 0 ? INFINITY : (double)cfg->st.workers;
    self->queue = cfg->st.queue < 0 ? INFINITY : (double)cfg->st.queue;
    self->service = cfg->service.mean;
    self->scv = cfg->service.scv;
    if (cfg->policy == LB_HASH || cfg->policy == LB_STICKY)
        snprintf(self->note, sizeof self->note, "%s: assumes an even spread",
                 policy_names[cfg->policy]);
    for (size_t op = 0; op < sc->wl.nops; op++)
        est_call(self, cfg->backend, op, self->rate[op], 1);
}

static void lb_edges(const struct comp_spec *cs, void (*fn)(void *ctx, uint32_t to), void *ctx)
{
    const struct lb_cfg *cfg = cs->config;
    fn(ctx, cfg->backend);
}

static uint32_t backend_nodes(const struct lb *lb)
{
    return lb->backend->ops->node_count(lb->backend);
}

/* Backend records grow with scale-outs; a new node is healthy in the view at once. */
static void ensure_backend(struct lb *lb, uint32_t n)
{
    if (n <= lb->nbackend)
        return;
    lb->healthy = sim_xrealloc(lb->healthy, n);
    lb->outstanding = sim_xrealloc(lb->outstanding, n * sizeof *lb->outstanding);
    for (uint32_t i = lb->nbackend; i < n; i++) {
        lb->healthy[i] = 1;
        lb->outstanding[i] = 0;
    }
    lb->nbackend = n;
}

static void rebuild_ring(struct comp *c, uint32_t n)
{
    struct lb *lb = c->state;
    const struct lb_cfg *cfg = c->config;
    placement_free(lb->ring);
    lb->ring = NULL;
    struct sim_error err = {0};
    /* The parameters were checked at load; placement of n >= 1 default-named nodes cannot
     * fail for them. */
    int rc = placement_create(cfg->sharding.scheme, NULL, n, &cfg->sharding.params, &lb->ring, &err);
    if (rc)
        sim_error_print(&err);
    SIM_ASSERT(rc == 0);
    lb->ring_nodes = n;
    lb->ring_gen++;
}

/* A frame's aux: the backend node in the low 32 bits; bit 32 set when the send took a
 * bounded-load slot, with the ring's generation above it. */
#define AUX_NODE(aux) ((uint32_t)((aux)&0xffffffffu))
#define AUX_ACQUIRED (UINT64_C(1) << 32)
#define AUX_GEN(aux) ((uint32_t)((aux) >> 33))

static uint64_t make_aux(const struct lb *lb, uint32_t node)
{
    if (!lb->acquired)
        return node;
    return (uint64_t)node | AUX_ACQUIRED | (uint64_t)(lb->ring_gen & 0x7fffffffu) << 33;
}

/* The send to node is on its way: count it, and for the hash policy keep the most any node
 * held against the bounded-load cap ceil(load_bound x mean). */
static void count_send(struct comp *c, uint32_t node)
{
    struct lb *lb = c->state;
    const struct lb_cfg *cfg = c->config;
    lb->outstanding[node]++;
    lb->outstanding_total++;
    if (cfg->policy != LB_HASH)
        return;
    double bound = cfg->sharding.params.load_bound > 0 ? cfg->sharding.params.load_bound
                                                       : PLACEMENT_DEFAULT_LOAD_BOUND;
    double cap = ceil(bound * (double)lb->outstanding_total / (double)backend_nodes(lb));
    lb->peak_over_cap = fmax(lb->peak_over_cap, lb->outstanding[node] / cap);
}

/* The answer for a frame's send came back (or it was given up). */
static void count_answer(struct lb *lb, uint64_t aux)
{
    uint32_t node = AUX_NODE(aux);
    if (node < lb->nbackend && lb->outstanding[node] > 0) {
        lb->outstanding[node]--;
        lb->outstanding_total--;
    }
    if ((aux & AUX_ACQUIRED) && AUX_GEN(aux) == (lb->ring_gen & 0x7fffffffu))
        placement_release(lb->ring, node);
}

static void schedule_health(struct comp *c, struct sim *sim)
{
    const struct lb_cfg *cfg = c->config;
    if (cfg->health_interval <= 0)
        return;
    struct sim_event ev = {.target = c->index, .kind = EV_LB_HEALTH};
    sim_schedule(sim, cfg->health_interval, &ev);
}

/* A request (past the rate limit, if any) takes a worker of its balancer node. */
static void enter(struct comp *c, struct sim *sim, struct request *req)
{
    struct lb *lb = c->state;
    station_admit(&lb->st, c, sim, req);
}

static int lb_start(struct comp *c, struct sim *sim)
{
    struct lb *lb = c->state;
    const struct lb_cfg *cfg = c->config;
    station_init(&lb->st, c, &cfg->st, &cfg->service, (uint32_t)c->spec->nodes, EV_LB_DONE,
                 sim->now);
    lb->rng = comp_rng(c, 0, "route");
    lb->backend = &c->world->comps[cfg->backend];
    ensure_backend(lb, backend_nodes(lb));
    if (cfg->policy == LB_STICKY)
        lb->sticky = sim_xcalloc(c->world->sc->wl.clients, sizeof *lb->sticky);
    if (cfg->policy == LB_HASH)
        rebuild_ring(c, backend_nodes(lb));
    schedule_health(c, sim);
    if (cfg->rate_limit)
        lb->limit = ratelimit_create(cfg->rate_limit, c, sim, lb->st.nnodes, EV_LB_LIMIT, enter);
    return 0;
}

static int usable(const struct lb *lb, uint32_t node, uint32_t n)
{
    return node < n && lb->healthy[node];
}

static uint32_t pick_round_robin(struct lb *lb, uint32_t n)
{
    for (uint32_t tries = 0; tries < n; tries++) {
        uint32_t node = lb->rr;
        lb->rr = lb->rr + 1 >= n ? 0 : lb->rr + 1;
        if (lb->healthy[node])
            return node;
    }
    return UINT32_MAX;
}

static uint32_t pick_random(struct lb *lb, uint32_t n, uint32_t healthy)
{
    if (!healthy)
        return UINT32_MAX;
    /* The k-th healthy node, k uniform: exact whatever the pattern of failures. */
    uint32_t k = (uint32_t)gsl_rng_uniform_int(lb->rng, healthy);
    for (uint32_t i = 0; i < n; i++)
        if (lb->healthy[i] && k-- == 0)
            return i;
    return UINT32_MAX;
}

static uint32_t pick_least(struct lb *lb, uint32_t n)
{
    /* Ties go round robin, so that an idle pool is still spread evenly. */
    uint32_t best = UINT32_MAX;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = (lb->rr + k) % n;
        if (lb->healthy[i] && (best == UINT32_MAX || lb->outstanding[i] < lb->outstanding[best]))
            best = i;
    }
    lb->rr = lb->rr + 1 >= n ? 0 : lb->rr + 1;
    return best;
}

static uint32_t pick_two(struct lb *lb, uint32_t n, uint32_t healthy)
{
    uint32_t a = pick_random(lb, n, healthy);
    if (healthy < 2)
        return a;
    uint32_t b;
    do
        b = pick_random(lb, n, healthy);
    while (b == a);
    return lb->outstanding[b] < lb->outstanding[a] ? b : a;
}

static uint32_t pick_hash(struct comp *c, struct request *req, uint32_t n)
{
    struct lb *lb = c->state;
    if (lb->ring_nodes != n)
        rebuild_ring(c, n);
    uint64_t h = placement_hash_id(lb->ring, req->key);
    lb->acquired = 0;
    if (placement_get_scheme(lb->ring) == PLACEMENT_BOUNDED) {
        /* Load-aware: the key's first node under the cap, counted until the answer. */
        uint32_t node = placement_acquire(lb->ring, h);
        if (usable(lb, node, n)) {
            lb->acquired = 1;
            return node;
        }
        placement_release(lb->ring, node);
    }
    uint32_t cand[16];
    size_t k = placement_lookup_n(lb->ring, h, cand, n < 16 ? n : 16);
    /* The key's node, or the next distinct ones while it is known to be down. */
    for (size_t i = 0; i < k; i++)
        if (usable(lb, cand[i], n))
            return cand[i];
    return UINT32_MAX;
}

static uint32_t pick_sticky(struct lb *lb, struct request *req, uint32_t n)
{
    uint32_t *slot = &lb->sticky[req->client];
    if (*slot && usable(lb, *slot - 1, n))
        return *slot - 1;
    /* A new session, or its node is gone: the next node in turn takes it. */
    uint32_t node = pick_round_robin(lb, n);
    *slot = node == UINT32_MAX ? 0 : node + 1;
    return node;
}

static uint32_t choose(struct comp *c, struct request *req)
{
    struct lb *lb = c->state;
    const struct lb_cfg *cfg = c->config;
    uint32_t n = backend_nodes(lb);
    ensure_backend(lb, n);
    uint32_t healthy = 0;
    if (cfg->policy == LB_RANDOM || cfg->policy == LB_POWER_OF_TWO)
        for (uint32_t i = 0; i < n; i++)
            healthy += lb->healthy[i];
    switch (cfg->policy) {
    case LB_ROUND_ROBIN:
        return pick_round_robin(lb, n);
    case LB_RANDOM:
        return pick_random(lb, n, healthy);
    case LB_LEAST_CONN:
        return pick_least(lb, n);
    case LB_POWER_OF_TWO:
        return pick_two(lb, n, healthy);
    case LB_HASH:
        return pick_hash(c, req, n);
    default:
        return pick_sticky(lb, req, n);
    }
}

static void lb_arrive(struct comp *c, struct sim *sim, struct request *req)
{
    struct lb *lb = c->state;
    struct frame *f = req_top(req);
    if (f->node == REQ_ANY_NODE || f->node >= lb->st.nnodes) {
        f->node = lb->next_node;
        lb->next_node = lb->next_node + 1 >= lb->st.nnodes ? 0 : lb->next_node + 1;
    }
    if (!lb->limit || ratelimit_arrive(lb->limit, sim, req))
        enter(c, sim, req);
}

static void forward(struct comp *c, struct sim *sim, struct request *req)
{
    struct lb *lb = c->state;
    struct frame *f = req_top(req);
    /* Event-driven: the worker is free as soon as the request is on its way. */
    station_release(&lb->st, sim, f->node);
    uint32_t node = choose(c, req);
    if (node == UINT32_MAX) {
        /* Every backend node is out of the view: 503. */
        c->rejected += req->counted;
        req_reply_status(sim, req, REQ_REJECTED);
        return;
    }
    if (!lb->backend->ops->node_up(lb->backend, node))
        lb->sent_to_down += req->counted;
    count_send(c, node);
    f->aux = make_aux(lb, node);
    req_call(sim, req, lb->backend->index, node);
}

static void health_check(struct comp *c, struct sim *sim)
{
    struct lb *lb = c->state;
    uint32_t n = backend_nodes(lb);
    ensure_backend(lb, n);
    for (uint32_t i = 0; i < n; i++)
        lb->healthy[i] = (uint8_t)lb->backend->ops->node_up(lb->backend, i);
    schedule_health(c, sim);
}

static void lb_handle(struct comp *c, struct sim *sim, const struct sim_event *ev)
{
    struct lb *lb = c->state;
    if (ev->kind == EV_LB_HEALTH) {
        health_check(c, sim);
        return;
    }
    if (ev->kind == EV_LB_LIMIT) {
        ratelimit_handle(lb->limit, sim, ev);
        return;
    }
    if (!station_alive(&lb->st, ev->ptr)) {
        req_drop(sim, ev->ptr);
        return;
    }
    forward(c, sim, ev->ptr);
}

static void lb_resume(struct comp *c, struct sim *sim, struct request *req)
{
    struct lb *lb = c->state;
    struct frame *f = req_top(req);
    /* The backend answered (or failed): the node has one request less outstanding, whether
     * or not this balancer node is still alive to pass the answer on. */
    count_answer(lb, f->aux);
    if (!station_alive(&lb->st, req)) {
        req_drop(sim, req); /* this balancer node failed meanwhile */
        return;
    }
    if (req_retry_allowed(sim, req)) {
        /* A retry goes where the policy sends it now (a balancer retries on another node). */
        uint32_t node = choose(c, req);
        if (node != UINT32_MAX && req_retry(sim, req, node)) {
            count_send(c, node);
            f->aux = make_aux(lb, node);
            return;
        }
        if (node != UINT32_MAX && lb->acquired)
            placement_release(lb->ring, node);
    }
    req_reply(sim, req);
}

static void lb_sample(struct comp *c, struct sim *sim, struct comp_sample *out)
{
    struct lb *lb = c->state;
    station_sample(&lb->st, sim->now, &out->util, &out->queue);
    out->hit_ratio = NAN;
}

static void lb_reset(struct comp *c, struct sim *sim)
{
    struct lb *lb = c->state;
    station_reset(&lb->st, sim->now);
    lb->sent_to_down = 0;
}

static uint32_t lb_node_count(const struct comp *c)
{
    const struct lb *lb = c->state;
    return lb->st.nnodes;
}

static int lb_node_up(const struct comp *c, uint32_t node)
{
    const struct lb *lb = c->state;
    return node < lb->st.nnodes && lb->st.nodes[node].up;
}

static void lb_node_stats(struct comp *c, struct sim *sim, uint32_t node, struct node_stats *out)
{
    struct lb *lb = c->state;
    station_node_stats(&lb->st, sim->now, node, out);
}

static int lb_control(struct comp *c, struct sim *sim, const struct control *ctl,
                      struct sim_error *err)
{
    struct lb *lb = c->state;
    if (ctl->action == CTL_SCALE) {
        if (strcmp(ctl->what, "nodes") != 0 || ctl->nodes < 1)
            return sim_fail(err, c->spec->path, "a load balancer scales by \"nodes\"");
        if ((uint32_t)ctl->nodes > lb->st.nnodes)
            station_resize(&lb->st, sim, (uint32_t)ctl->nodes);
        return 0;
    }
    for (uint32_t i = 0; i < lb->st.nnodes; i++)
        if (ctl->node < 0 || (uint32_t)ctl->node == i) {
            if (ctl->action == CTL_FAIL)
                station_fail(&lb->st, sim, i);
            else
                station_recover(&lb->st, sim, i);
        }
    return 0;
}

static void lb_report(struct comp *c, struct sim *sim, cJSON *out)
{
    struct lb *lb = c->state;
    const struct lb_cfg *cfg = c->config;
    (void)sim;
    cJSON_AddStringToObject(out, "policy", policy_names[cfg->policy]);
    cJSON_AddStringToObject(out, "backend", lb->backend->spec->id);
    cJSON_AddNumberToObject(out, "sent_to_failed_nodes", (double)lb->sent_to_down);
    if (cfg->policy == LB_HASH) {
        cJSON *h = cJSON_AddObjectToObject(out, "hash");
        cJSON_AddStringToObject(h, "scheme", placement_scheme_name(cfg->sharding.scheme));
        /* Above 1, some node held more outstanding requests than the bounded-load cap
         * ceil(load_bound x mean) would allow. */
        cJSON_AddNumberToObject(h, "peak_outstanding_over_cap", lb->peak_over_cap);
    }
    if (lb->limit)
        ratelimit_report(lb->limit, cJSON_AddObjectToObject(out, "rate_limit"));
}

/* Its own nodes, plus what grows with the backend and the clients: the view of each backend
 * node, the sticky table (one slot per client) and the hash policy's placement. */
static double lb_memory(const struct comp_spec *cs, const struct scenario *sc)
{
    const struct lb_cfg *cfg = cs->config;
    int64_t backend = limits_peak_nodes(sc, cfg->backend);
    double bytes = (double)limits_peak_nodes(sc, cs->index) * LIMITS_NODE_BYTES +
                   (double)backend * (sizeof(uint8_t) + sizeof(uint32_t));
    if (cfg->policy == LB_STICKY)
        bytes += (double)sc->wl.clients * sizeof(uint32_t);
    if (cfg->policy == LB_HASH)
        bytes += sharding_memory(&cfg->sharding, backend);
    return bytes;
}

/* The hash policy rebuilds its placement whenever the backend's size changes. */
static int lb_check(const struct comp_spec *cs, const struct scenario *sc, struct sim_error *err)
{
    const struct lb_cfg *cfg = cs->config;
    char path[300];
    if (cfg->policy != LB_HASH)
        return 0;
    return sharding_check(&cfg->sharding, limits_peak_nodes(sc, cfg->backend),
                          path_member(path, sizeof path, cs->path, "sharding"), err);
}

static void lb_free_state(struct comp *c)
{
    struct lb *lb = c->state;
    station_free(&lb->st);
    gsl_rng_free(lb->rng);
    free(lb->healthy);
    free(lb->outstanding);
    free(lb->sticky);
    placement_free(lb->ring);
    ratelimit_free(lb->limit);
}

const struct model_ops load_balancer_ops = {
    .name = "load_balancer",
    .help = "spreads requests over a pool by policy; event-driven; health checks",
    .params = lb_params,
    .config_size = sizeof(struct lb_cfg),
    .parse = lb_parse,
    .edges = lb_edges,
    .free_config = lb_free_config,
    .needs = lb_needs,
    .estimate = lb_estimate,
    .state_size = sizeof(struct lb),
    .start = lb_start,
    .arrive = lb_arrive,
    .resume = lb_resume,
    .handle = lb_handle,
    .control = lb_control,
    .sample = lb_sample,
    .reset_stats = lb_reset,
    .node_count = lb_node_count,
    .node_up = lb_node_up,
    .node_stats = lb_node_stats,
    .report = lb_report,
    .free_state = lb_free_state,
    .memory = lb_memory,
    .check = lb_check,
};
