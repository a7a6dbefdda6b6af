/* The rate_limiter component: middleware in front of a backend. Each node decides on arrival
 * (models/ratelimit.c: local, central or eventual counting over the nodes); admitted requests
 * go on to the backend, possibly after a leaky bucket's wait, refused ones end as 429. */
#include "models/ratelimit.h"
#include "sim/estimate.h"
#include "sim/limits.h"
#include "sim/scenario.h"
#include "sim/station.h"
#include "sim/world.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { EV_RL_DONE = EV_MODEL, EV_RL_GATE };

struct rate_limiter_cfg {
    struct ratelimit_cfg rl;
    char *backend_id;
    uint32_t backend; /* resolved by the parse hook */
};

struct rate_limiter {
    /* A station with unlimited workers and no service time: it holds no worker, but keeps
     * each node's residents, so that a failed node fails what passed through it. */
    struct station st;
    struct dist zero;
    struct ratelimit *gate;
    uint32_t active;  /* nodes that receive traffic */
    uint32_t next_rr; /* round robin when the caller does not pick a node */
};

static const struct param_spec rate_limiter_params[] = {
    RATELIMIT_PARAMS(struct rate_limiter_cfg, rl),
    {"backend", PT_STRING, offsetof(struct rate_limiter_cfg, backend_id), 0, 0, NULL,
     "id of the component that receives the admitted requests", NULL, PARAM_REQUIRED},
    PARAM_END,
};

static int rate_limiter_parse(struct comp_spec *cs, const cJSON *obj, const struct scenario *sc,
                              struct sim_error *err)
{
    struct rate_limiter_cfg *cfg = cs->config;
    char path[300];
    if (ratelimit_check(&cfg->rl, obj, cs->path, err))
        return -1;
    int b = scenario_find(sc, cfg->backend_id);
    if (b < 0)
        return sim_fail(err, path_member(path, sizeof path, cs->path, "backend"),
                        "unknown component \"%s\"", cfg->backend_id);
    cfg->backend = (uint32_t)b;
    return 0;
}

static void rate_limiter_edges(const struct comp_spec *cs, void (*fn)(void *ctx, uint32_t to),
                               void *ctx)
{
    const struct rate_limiter_cfg *cfg = cs->config;
    fn(ctx, cfg->backend);
}

static unsigned rate_limiter_needs(const struct comp_spec *cs)
{
    const struct rate_limiter_cfg *cfg = cs->config;
    return ratelimit_needs(&cfg->rl);
}

/* A limit passes at most its sustained rate on to the backend (global keys); the central
 * store's round trip is the time each decision takes. */
static void rate_limiter_estimate(const struct comp_spec *cs, const struct scenario *sc,
                                  struct est_comp *self)
{
    const struct rate_limiter_cfg *cfg = cs->config;
    double cap = ratelimit_sustained_rate(&cfg->rl, (uint32_t)cs->nodes);
    double pass = 1;
    if (cfg->rl.key == LIMITER_KEY_CLIENT) {
        snprintf(self->note, sizeof self->note, "per-client limit %.4g req/s, assumed not reached",
                 cap);
    } else {
        pass = self->total > cap ? cap / self->total : 1;
        snprintf(self->note, sizeof self->note, "admits %.4g of %.4g req/s (%s)",
                 fmin(cap, self->total), self->total, ratelimit_sync_names[cfg->rl.sync]);
    }
    self->service = cfg->rl.sync == LIMITER_SYNC_CENTRAL ? cfg->rl.store_latency.mean : 0;
    self->scv = cfg->rl.sync == LIMITER_SYNC_CENTRAL ? cfg->rl.store_latency.scv : 0;
    for (size_t op = 0; op < sc->wl.nops; op++)
        est_call(self, cfg->backend, op, self->rate[op] * pass, pass);
}

/* The gate admitted the request: through the node's station to the backend. */
static void admitted(struct comp *c, struct sim *sim, struct request *req)
{
    struct rate_limiter *r = c->state;
    if (station_arrive(&r->st, sim, req_top(req)->node, req) == STATION_DOWN)
        req_reply_status(sim, req, REQ_FAILED);
}

static int rate_limiter_start(struct comp *c, struct sim *sim)
{
    struct rate_limiter *r = c->state;
    const struct rate_limiter_cfg *cfg = c->config;
    struct station_cfg st = {.workers = -1, .queue = -1};
    r->active = (uint32_t)c->spec->nodes;
    dist_const(&r->zero, 0);
    station_init(&r->st, c, &st, &r->zero, r->active, EV_RL_DONE, sim->now);
    r->gate = ratelimit_create(&cfg->rl, c, sim, r->active, EV_RL_GATE, admitted);
    return 0;
}

static void rate_limiter_arrive(struct comp *c, struct sim *sim, struct request *req)
{
    struct rate_limiter *r = c->state;
    struct frame *f = req_top(req);
    if (f->node == REQ_ANY_NODE || f->node >= r->active) {
        f->node = r->next_rr;
        r->next_rr = r->next_rr + 1 >= r->active ? 0 : r->next_rr + 1;
    }
    if (ratelimit_arrive(r->gate, sim, req))
        admitted(c, sim, req);
}

static void rate_limiter_handle(struct comp *c, struct sim *sim, const struct sim_event *ev)
{
    struct rate_limiter *r = c->state;
    if (ev->kind == EV_RL_GATE) {
        ratelimit_handle(r->gate, sim, ev);
        return;
    }
    SIM_ASSERT(ev->kind == EV_RL_DONE);
    struct request *req = ev->ptr;
    if (!station_alive(&r->st, req)) {
        req_drop(sim, req);
        return;
    }
    const struct rate_limiter_cfg *cfg = c->config;
    station_release(&r->st, sim, req_top(req)->node);
    req_call(sim, req, cfg->backend, REQ_ANY_NODE);
}

static void rate_limiter_resume(struct comp *c, struct sim *sim, struct request *req)
{
    struct rate_limiter *r = c->state;
    if (!station_alive(&r->st, req)) {
        req_drop(sim, req); /* the node failed meanwhile: its caller has had its answer */
        return;
    }
    if (req_retry(sim, req, REQ_ANY_NODE))
        return;
    req_reply(sim, req);
}

static void rate_limiter_sample(struct comp *c, struct sim *sim, struct comp_sample *out)
{
    struct rate_limiter *r = c->state;
    station_sample(&r->st, sim->now, &out->util, &out->queue);
    out->hit_ratio = NAN;
}

static void rate_limiter_reset(struct comp *c, struct sim *sim)
{
    struct rate_limiter *r = c->state;
    station_reset(&r->st, sim->now);
}

static uint32_t rate_limiter_node_count(const struct comp *c)
{
    const struct rate_limiter *r = c->state;
    return r->active;
}

static int rate_limiter_node_up(const struct comp *c, uint32_t node)
{
    const struct rate_limiter *r = c->state;
    return node < r->active && r->st.nodes[node].up;
}

static void rate_limiter_node_stats(struct comp *c, struct sim *sim, uint32_t node,
                                    struct node_stats *out)
{
    struct rate_limiter *r = c->state;
    station_node_stats(&r->st, sim->now, node, out);
    /* A node's requests are the decisions it took, refused ones included. */
    struct ratelimit_counts n;
    ratelimit_node_counts(r->gate, node, &n);
    out->requests = n.arrivals;
}

static int rate_limiter_control(struct comp *c, struct sim *sim, const struct control *ctl,
                                struct sim_error *err)
{
    struct rate_limiter *r = c->state;
    if (ctl->action == CTL_SCALE) {
        if (strcmp(ctl->what, "nodes") != 0 || ctl->nodes < 1)
            return sim_fail(err, c->spec->path, "a rate limiter scales by \"nodes\" (at least 1)");
        /* Nodes scaled away keep their counts; new ones start with empty limiters. */
        station_resize(&r->st, sim, (uint32_t)ctl->nodes);
        r->active = (uint32_t)ctl->nodes;
        if (r->next_rr >= r->active)
            r->next_rr = 0;
        return 0;
    }
    if (ctl->node >= (int64_t)r->active || ctl->node < -1)
        return sim_fail(err, c->spec->path, "%s has no node %lld", c->spec->id,
                        (long long)ctl->node);
    for (uint32_t i = 0; i < r->active; i++)
        if (ctl->node < 0 || (uint32_t)ctl->node == i) {
            if (ctl->action == CTL_FAIL)
                station_fail(&r->st, sim, i);
            else
                station_recover(&r->st, sim, i);
        }
    return 0;
}

static void rate_limiter_report(struct comp *c, struct sim *sim, cJSON *out)
{
    struct rate_limiter *r = c->state;
    const struct rate_limiter_cfg *cfg = c->config;
    (void)sim;
    cJSON_AddStringToObject(out, "backend", c->world->comps[cfg->backend].spec->id);
    ratelimit_report(r->gate, out);
}

static void rate_limiter_free_state(struct comp *c)
{
    struct rate_limiter *r = c->state;
    station_free(&r->st);
    ratelimit_free(r->gate);
    dist_free(&r->zero);
}

/* Its nodes, and one limiter state per key in each node's table, or in the one shared table
 * when central. Client keys are made when a client first appears. A table is kept under 0.7 full and doubles, so a key costs
 * about 3 x 64 bytes at worst. Sliding-window logs grow with the arrivals in a window, which
 * is load, not configuration. */
static double rate_limiter_memory(const struct comp_spec *cs, const struct scenario *sc)
{
    const struct rate_limiter_cfg *cfg = cs->config;
    double nodes = (double)limits_peak_nodes(sc, cs->index);
    double tables = cfg->rl.sync == LIMITER_SYNC_CENTRAL ? 1 : nodes;
    /* A key enters a table when a request brings it there: over all tables, at most one per
     * request, and at most every client in every table. */
    double keys = cfg->rl.key == LIMITER_KEY_CLIENT
                      ? fmin(tables * (double)sc->wl.clients, limits_max_requests(sc))
                      : tables;
    return nodes * LIMITS_NODE_BYTES + keys * 3 * 64;
}

const struct model_ops rate_limiter_ops = {
    .name = "rate_limiter",
    .help = "admits requests to a backend by a rate limit (token/leaky bucket, windows); 429 "
            "past it; local, central or eventual counting over its nodes",
    .params = rate_limiter_params,
    .config_size = sizeof(struct rate_limiter_cfg),
    .parse = rate_limiter_parse,
    .edges = rate_limiter_edges,
    .needs = rate_limiter_needs,
    .estimate = rate_limiter_estimate,
    .state_size = sizeof(struct rate_limiter),
    .start = rate_limiter_start,
    .arrive = rate_limiter_arrive,
    .resume = rate_limiter_resume,
    .handle = rate_limiter_handle,
    .control = rate_limiter_control,
    .sample = rate_limiter_sample,
    .reset_stats = rate_limiter_reset,
    .node_count = rate_limiter_node_count,
    .node_up = rate_limiter_node_up,
    .node_stats = rate_limiter_node_stats,
    .report = rate_limiter_report,
    .free_state = rate_limiter_free_state,
    .memory = rate_limiter_memory,
};
