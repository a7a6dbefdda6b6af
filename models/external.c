/* The external component: a third-party API. Event-driven workers serve each call for its
 * service time; past its "quota" (a rate limit, fixed window by default, one count for the
 * whole API) it throttles: 429 with a Retry-After, before any work is done. */
#include "models/ratelimit.h"
#include "sim/estimate.h"
#include "sim/scenario.h"
#include "sim/station.h"
#include "sim/world.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { EV_EXT_DONE = EV_MODEL, EV_EXT_QUOTA };

struct external_cfg {
    struct station_cfg st;
    struct dist service;
    const cJSON *quota_json;
    struct ratelimit_cfg *quota; /* parsed from quota_json; NULL: no quota */
};

struct external {
    struct station st;
    struct ratelimit *quota;
    uint32_t next_rr; /* round robin when the caller does not pick a node */
    uint64_t served;  /* calls answered (after warm-up) */
};

static const struct param_spec external_params[] = {
    {"workers", PT_LIMIT, offsetof(struct external_cfg, st.workers), 1, 1e9, "\"unlimited\"",
     "concurrent calls per node", NULL, 0},
    {"queue", PT_LIMIT, offsetof(struct external_cfg, st.queue), 0, 1e9, "\"unlimited\"",
     "waiting room per node; 0 = none", NULL, 0},
    {"service", PT_DIST, offsetof(struct external_cfg, service), 0, 0, "0",
     "time the API takes to answer one call", NULL, 0},
    {"quota", PT_JSON, offsetof(struct external_cfg, quota_json), 0, 0, NULL,
     "{\"limit\": 100, \"window\": \"1s\"}: calls past it are throttled (429); any rate-limit "
     "fields (\"algorithm\" defaults to fixed_window, \"sync\" to central: one quota for the "
     "API)",
     NULL, 0},
    PARAM_END,
};

static int external_parse(struct comp_spec *cs, const cJSON *obj, const struct scenario *sc,
                          struct sim_error *err)
{
    struct external_cfg *cfg = cs->config;
    char path[300];
    (void)obj;
    (void)sc;
    if (!cfg->quota_json)
        return 0;
    return ratelimit_parse(cfg->quota_json, path_member(path, sizeof path, cs->path, "quota"),
                           LIMITER_SYNC_CENTRAL, &cfg->quota, err);
}

static void external_free_config(void *config)
{
    struct external_cfg *cfg = config;
    ratelimit_cfg_free(cfg->quota);
}

static unsigned external_needs(const struct comp_spec *cs)
{
    const struct external_cfg *cfg = cs->config;
    return ratelimit_needs(cfg->quota);
}

static void external_estimate(const struct comp_spec *cs, const struct scenario *sc,
                              struct est_comp *self)
{
    const struct external_cfg *cfg = cs->config;
    (void)sc;
    self->workers = cfg->st.workers < 0 ? INFINITY : (double)cfg->st.workers;
    self->queue = cfg->st.queue < 0 ? INFINITY : (double)cfg->st.queue;
    self->service = cfg->service.mean;
    self->scv = cfg->service.scv;
    if (cfg->quota && cfg->quota->key == LIMITER_KEY_GLOBAL) {
        double cap = ratelimit_sustained_rate(cfg->quota, (uint32_t)cs->nodes);
        if (self->total > cap)
            snprintf(self->note, sizeof self->note,
                     "quota %.4g req/s: %.0f%% of %.4g req/s throttled (figures for all)", cap,
                     100 * (1 - cap / self->total), self->total);
    }
}

/* Within the quota: the call waits for a worker of its node. */
static void accepted(struct comp *c, struct sim *sim, struct request *req)
{
    struct external *x = c->state;
    switch (station_arrive(&x->st, sim, req_top(req)->node, req)) {
    case STATION_REJECTED:
        c->rejected += req->counted;
        req_reply_status(sim, req, REQ_REJECTED);
        break;
    case STATION_DOWN:
        req_reply_status(sim, req, REQ_FAILED);
        break;
    default:
        break;
    }
}

static int external_start(struct comp *c, struct sim *sim)
{
    struct external *x = c->state;
    const struct external_cfg *cfg = c->config;
    uint32_t n = (uint32_t)c->spec->nodes;
    station_init(&x->st, c, &cfg->st, &cfg->service, n, EV_EXT_DONE, sim->now);
    if (cfg->quota)
        x->quota = ratelimit_create(cfg->quota, c, sim, n, EV_EXT_QUOTA, accepted);
    return 0;
}

static void external_arrive(struct comp *c, struct sim *sim, struct request *req)
{
    struct external *x = c->state;
    struct frame *f = req_top(req);
    if (f->node == REQ_ANY_NODE || f->node >= x->st.nnodes) {
        f->node = x->next_rr;
        x->next_rr = x->next_rr + 1 >= x->st.nnodes ? 0 : x->next_rr + 1;
    }
    if (!x->quota || ratelimit_arrive(x->quota, sim, req))
        accepted(c, sim, req);
}

static void external_handle(struct comp *c, struct sim *sim, const struct sim_event *ev)
{
    struct external *x = c->state;
    if (ev->kind == EV_EXT_QUOTA) {
        ratelimit_handle(x->quota, sim, ev);
        return;
    }
    SIM_ASSERT(ev->kind == EV_EXT_DONE);
    struct request *req = ev->ptr;
    if (!station_alive(&x->st, req)) {
        req_drop(sim, req);
        return;
    }
    station_release(&x->st, sim, req_top(req)->node);
    x->served += req->counted;
    req_reply(sim, req);
}

static void external_resume(struct comp *c, struct sim *sim, struct request *req)
{
    /* An external API calls nothing, so no call of its own can come back. */
    (void)c;
    (void)sim;
    (void)req;
    SIM_ASSERT(!"an external API makes no calls");
}

static void external_sample(struct comp *c, struct sim *sim, struct comp_sample *out)
{
    struct external *x = c->state;
    station_sample(&x->st, sim->now, &out->util, &out->queue);
    out->hit_ratio = NAN;
}

static void external_reset(struct comp *c, struct sim *sim)
{
    struct external *x = c->state;
    station_reset(&x->st, sim->now);
    x->served = 0;
}

static uint32_t external_node_count(const struct comp *c)
{
    const struct external *x = c->state;
    return x->st.nnodes;
}

static int external_node_up(const struct comp *c, uint32_t node)
{
    const struct external *x = c->state;
    return node < x->st.nnodes && x->st.nodes[node].up;
}

static void external_node_stats(struct comp *c, struct sim *sim, uint32_t node,
                                struct node_stats *out)
{
    struct external *x = c->state;
    station_node_stats(&x->st, sim->now, node, out);
    if (x->quota) {
        /* Calls to the node, throttled ones included. */
        struct ratelimit_counts n;
        ratelimit_node_counts(x->quota, node, &n);
        out->requests = n.arrivals;
    }
}

static int external_control(struct comp *c, struct sim *sim, const struct control *ctl,
                            struct sim_error *err)
{
    struct external *x = c->state;
    if (ctl->action == CTL_SCALE) {
        if (strcmp(ctl->what, "nodes") != 0 || ctl->nodes < 1)
            return sim_fail(err, c->spec->path, "an external API scales by \"nodes\"");
        if ((uint32_t)ctl->nodes > x->st.nnodes)
            station_resize(&x->st, sim, (uint32_t)ctl->nodes);
        return 0;
    }
    if (ctl->node >= (int64_t)x->st.nnodes || ctl->node < -1)
        return sim_fail(err, c->spec->path, "%s has no node %lld", c->spec->id,
                        (long long)ctl->node);
    for (uint32_t i = 0; i < x->st.nnodes; i++)
        if (ctl->node < 0 || (uint32_t)ctl->node == i) {
            if (ctl->action == CTL_FAIL)
                station_fail(&x->st, sim, i);
            else
                station_recover(&x->st, sim, i);
        }
    return 0;
}

static void external_report(struct comp *c, struct sim *sim, cJSON *out)
{
    struct external *x = c->state;
    (void)sim;
    struct ratelimit_counts q = {0};
    if (x->quota)
        ratelimit_counts(x->quota, &q);
    cJSON_AddNumberToObject(out, "calls", (double)c->requests);
    cJSON_AddNumberToObject(out, "throttled", (double)q.rejected);
    cJSON_AddNumberToObject(out, "served", (double)x->served);
    if (x->quota)
        ratelimit_report(x->quota, cJSON_AddObjectToObject(out, "quota"));
}

static void external_free_state(struct comp *c)
{
    struct external *x = c->state;
    station_free(&x->st);
    ratelimit_free(x->quota);
}

const struct model_ops external_ops = {
    .name = "external",
    .help = "a third-party API: service time, workers, and a quota past which it throttles "
            "(429)",
    .params = external_params,
    .config_size = sizeof(struct external_cfg),
    .parse = external_parse,
    .free_config = external_free_config,
    .needs = external_needs,
    .estimate = external_estimate,
    .state_size = sizeof(struct external),
    .start = external_start,
    .arrive = external_arrive,
    .resume = external_resume,
    .handle = external_handle,
    .control = external_control,
    .sample = external_sample,
    .reset_stats = external_reset,
    .node_count = external_node_count,
    .node_up = external_node_up,
    .node_stats = external_node_stats,
    .report = external_report,
    .free_state = external_free_state,
};
