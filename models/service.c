/* The stateless tier (web or app servers): thread-per-request. A worker serves the request,
 * then makes the op's downstream calls in order while it stays held, then replies. */
#include "models/autoscale.h"
#include "models/calls.h"
#include "models/ratelimit.h"
#include "sim/scenario.h"
#include "sim/estimate.h"
#include "sim/jsonloc.h"
#include "sim/station.h"
#include "sim/world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { EV_SERVICE_DONE = EV_MODEL, EV_SERVICE_AUTOSCALE, EV_SERVICE_LIMIT };

struct service_cfg {
    struct station_cfg st;
    const cJSON *service_json;
    struct dist service;              /* the time for ops without their own */
    struct dist by_op[SCN_MAX_OPS];   /* per op, when "service" names ops */
    int per_op;
    const cJSON *calls_json;
    const cJSON *speeds_json;
    double *speeds;   /* relative speed per node, from speeds_json */
    uint32_t nspeeds;
    const cJSON *autoscale_json;
    struct autoscale_cfg autoscale;
    /* Resolved from calls_json: per op, the components to call in order. */
    uint32_t *calls[SCN_MAX_OPS];
    uint32_t ncalls[SCN_MAX_OPS];
    const cJSON *rate_limit_json;
    struct ratelimit_cfg *rate_limit; /* parsed from rate_limit_json; NULL: none */
};

struct service {
    struct station st;
    uint32_t active;  /* nodes that receive traffic */
    uint32_t next_rr; /* round robin when the caller does not pick a node */
    struct autoscale as;
    struct ratelimit *limit; /* the inline rate limit, checked on arrival */
};

static const struct param_spec service_params[] = {
    {"workers", PT_LIMIT, offsetof(struct service_cfg, st.workers), 1, 1e6, "1",
     "concurrent requests per node (a worker stays held during downstream calls)", NULL, 0},
    {"queue", PT_LIMIT, offsetof(struct service_cfg, st.queue), 0, 1e9, "\"unlimited\"",
     "waiting room per node; 0 = none (reject when every worker is busy)", NULL, 0},
    {"service", PT_DIST_BY_OP, offsetof(struct service_cfg, service_json), 0, 0, NULL,
     "time to serve one request on a worker: a distribution, or one per op such as "
     "{\"read\": \"5ms\", \"write\": {\"dist\": \"exp\", \"mean\": \"40ms\"}, "
     "\"*\": \"2ms\"} (default 0)",
     NULL, 0},
    {"calls", PT_JSON, offsetof(struct service_cfg, calls_json), 0, 0, NULL,
     "per op, the components called in order: {\"read\": [\"cache\"], \"*\": [\"db\"]}", NULL,
     0},
    {"speeds", PT_JSON, offsetof(struct service_cfg, speeds_json), 0, 0, NULL,
     "relative speed of each node, e.g. [1, 1, 0.5] (service time / speed; unlisted: 1)",
     NULL, 0},
    {"autoscale", PT_JSON, offsetof(struct service_cfg, autoscale_json), 0, 0, NULL,
     "{\"target_utilization\": 0.6, \"min\": 2, \"max\": 20, \"interval\": \"30s\", "
     "\"cooldown\": \"2m\", \"provisioning\": \"90s\"}: the pool sizes itself to its "
     "utilisation; new nodes serve after the provisioning delay",
     NULL, 0},
    {"rate_limit", PT_JSON, offsetof(struct service_cfg, rate_limit_json), 0, 0, NULL,
     "a rate limit checked on arrival, before service: the rate_limiter fields without "
     "backend; refused requests end as 429",
     NULL, 0},
    PARAM_END,
};

static int parse_speeds(struct comp_spec *cs, struct service_cfg *cfg, struct sim_error *err)
{
    char path[300], sub[300];
    const cJSON *v = cfg->speeds_json;
    if (!v)
        return 0;
    path_member(path, sizeof path, cs->path, "speeds");
    int n = cJSON_GetArraySize(v);
    if (!cJSON_IsArray(v) || n < 1 || n > cs->nodes)
        return sim_fail(err, path, "must be a list of 1 to %lld speeds (one per node)",
                        (long long)cs->nodes);
    cfg->speeds = sim_xcalloc((size_t)n, sizeof *cfg->speeds);
    int i = 0;
    for (const cJSON *x = v->child; x; x = x->next, i++) {
        /* Service time / speed must stay finite: a speed near 0 would make it infinite. */
        if (!cJSON_IsNumber(x) || !(x->valuedouble >= 1e-6) || x->valuedouble > 1e6)
            return sim_fail(err, path_index(sub, sizeof sub, path, (size_t)i),
                            "must be a number above 0, from 1e-6 to 1e6");
        cfg->speeds[i] = x->valuedouble;
    }
    cfg->nspeeds = (uint32_t)n;
    return 0;
}

/* "service" is a distribution, or an object of op -> distribution with "*" for the rest. */
static int parse_service(struct comp_spec *cs, struct service_cfg *cfg, const struct scenario *sc,
                         struct sim_error *err)
{
    char path[300], sub[300];
    const cJSON *v = cfg->service_json;
    path_member(path, sizeof path, cs->path, "service");
    if (!v) {
        dist_const(&cfg->service, 0);
        return 0;
    }
    if (!cJSON_IsObject(v) || cJSON_GetObjectItemCaseSensitive(v, "dist"))
        return dist_compile(&cfg->service, v, path, err);
    for (const cJSON *m = v->child; m; m = m->next)
        if (strcmp(m->string, "*") != 0 && scenario_op(sc, m->string) < 0) {
            const char *near = suggest_word(m->string, (const char *const *)sc->wl.op_names);
            return sim_fail(err, path_member(sub, sizeof sub, path, m->string),
                            "not an op of the workload%s%s%s (give a distribution, or one per "
                            "op with \"*\" for the rest)",
                            near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
        }
    const cJSON *star = cJSON_GetObjectItemCaseSensitive(v, "*");
    if (star) {
        if (dist_compile(&cfg->service, star, path_member(sub, sizeof sub, path, "*"), err))
            return -1;
    } else {
        dist_const(&cfg->service, 0);
    }
    cfg->per_op = 1;
    for (size_t op = 0; op < sc->wl.nops; op++) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(v, sc->wl.op_names[op]);
        const char *name = d ? sc->wl.op_names[op] : "*";
        if (!d)
            d = star;
        if (!d)
            dist_const(&cfg->by_op[op], 0);
        else if (dist_compile(&cfg->by_op[op], d, path_member(sub, sizeof sub, path, name), err))
            return -1;
    }
    return 0;
}

static int service_parse(struct comp_spec *cs, const cJSON *obj, const struct scenario *sc,
                         struct sim_error *err)
{
    struct service_cfg *cfg = cs->config;
    char path[300];
    (void)obj;
    if (parse_speeds(cs, cfg, err) || parse_service(cs, cfg, sc, err))
        return -1;
    if (autoscale_parse(cfg->autoscale_json, path_member(path, sizeof path, cs->path, "autoscale"),
                        cs->nodes, cfg->st.workers, &cfg->autoscale, err))
        return -1;
    if (cfg->rate_limit_json &&
        ratelimit_parse(cfg->rate_limit_json, path_member(path, sizeof path, cs->path,
                                                          "rate_limit"),
                        LIMITER_SYNC_LOCAL, &cfg->rate_limit, err))
        return -1;
    return calls_parse(cfg->calls, cfg->ncalls, cfg->calls_json,
                       path_member(path, sizeof path, cs->path, "calls"), sc, err);
}

static unsigned service_needs(const struct comp_spec *cs)
{
    const struct service_cfg *cfg = cs->config;
    return ratelimit_needs(cfg->rate_limit);
}

static void service_estimate(const struct comp_spec *cs, const struct scenario *sc,
                             struct est_comp *self)
{
    const struct service_cfg *cfg = cs->config;
    self->workers = cfg->st.workers < 0 ? INFINITY : (double)cfg->st.workers;
    self->queue = cfg->st.queue < 0 ? INFINITY : (double)cfg->st.queue;
    self->service = cfg->service.mean;
    self->scv = cfg->service.scv;
    if (cfg->per_op && self->total > 0) {
        /* The mixture over ops: its mean, and its scv from the second moment. */
        double m1 = 0, m2 = 0;
        for (size_t op = 0; op < sc->wl.nops; op++) {
            double p = self->rate[op] / self->total, m = cfg->by_op[op].mean;
            m1 += p * m;
            m2 += p * m * m * (1 + cfg->by_op[op].scv);
        }
        self->service = m1;
        self->scv = m1 > 0 ? m2 / (m1 * m1) - 1 : 0;
    }
    self->holds_downstream = 1;
    if (cfg->nspeeds)
        snprintf(self->note, sizeof self->note, "node speeds differ: figures for speed 1");
    else if (cfg->autoscale.on)
        snprintf(self->note, sizeof self->note,
                 "autoscaled (%u..%u nodes): figures for the initial count", cfg->autoscale.min,
                 cfg->autoscale.max);
    for (size_t op = 0; op < sc->wl.nops; op++)
        for (uint32_t i = 0; i < cfg->ncalls[op]; i++)
            est_call(self, cfg->calls[op][i], op, self->rate[op], 1);
}

static void service_edges(const struct comp_spec *cs, void (*fn)(void *ctx, uint32_t to),
                          void *ctx)
{
    const struct service_cfg *cfg = cs->config;
    for (size_t op = 0; op < SCN_MAX_OPS; op++)
        for (uint32_t i = 0; i < cfg->ncalls[op]; i++)
            fn(ctx, cfg->calls[op][i]);
}

static void service_free_config(void *config)
{
    struct service_cfg *cfg = config;
    calls_free(cfg->calls);
    free(cfg->speeds);
    dist_free(&cfg->service);
    for (size_t op = 0; op < SCN_MAX_OPS; op++)
        dist_free(&cfg->by_op[op]);
    ratelimit_cfg_free(cfg->rate_limit);
}

/* A request (past the rate limit, if any) takes a worker of its node or waits for one. */
static void enter(struct comp *c, struct sim *sim, struct request *req)
{
    struct service *s = c->state;
    station_admit(&s->st, c, sim, req);
}

static int service_start(struct comp *c, struct sim *sim)
{
    struct service *s = c->state;
    const struct service_cfg *cfg = c->config;
    s->active = (uint32_t)c->spec->nodes;
    station_init(&s->st, c, &cfg->st, &cfg->service, s->active, EV_SERVICE_DONE, sim->now);
    station_set_speeds(&s->st, cfg->speeds, cfg->nspeeds);
    if (cfg->per_op)
        s->st.by_op = cfg->by_op;
    if (cfg->autoscale.on)
        autoscale_start(&s->as, &cfg->autoscale, c, sim, s->active, EV_SERVICE_AUTOSCALE);
    if (cfg->rate_limit)
        s->limit = ratelimit_create(cfg->rate_limit, c, sim, s->active, EV_SERVICE_LIMIT, enter);
    return 0;
}

/* New nodes start idle; nodes scaled away finish what they hold and get no more. */
static void resize_pool(struct service *s, struct sim *sim, uint32_t nodes)
{
    station_resize(&s->st, sim, nodes);
    s->active = nodes;
    if (s->next_rr >= s->active)
        s->next_rr = 0;
}

/* Busy worker-seconds of every node so far (since the warm-up), for the autoscaler. */
static double busy_total(const struct service *s, double now)
{
    double b = 0;
    for (uint32_t i = 0; i < s->st.nnodes; i++)
        b += twavg_area(&s->st.nodes[i].busy_avg, now);
    return b;
}

/* Makes the next downstream call of the request's op, or replies when there is none left. */
__attribute__((always_inline)) static inline void next_call(struct comp *c, struct sim *sim,
                                                             struct request *req)
{
    struct service *s = c->state;
    const struct service_cfg *cfg = c->config;
    struct frame *f = req_top(req);
    if (f->step < cfg->ncalls[req->op]) {
        req_call(sim, req, cfg->calls[req->op][f->step++], REQ_ANY_NODE);
        return;
    }
    station_release(&s->st, sim, f->node);
    req_reply(sim, req);
}

static void service_arrive(struct comp *c, struct sim *sim, struct request *req)
{
    struct service *s = c->state;
    struct frame *f = req_top(req);
    if (f->node == REQ_ANY_NODE || f->node >= s->active) {
        f->node = s->next_rr;
        s->next_rr = s->next_rr + 1 >= s->active ? 0 : s->next_rr + 1;
    }
    if (!s->limit || ratelimit_arrive(s->limit, sim, req))
        enter(c, sim, req);
}

static void service_resume(struct comp *c, struct sim *sim, struct request *req)
{
    struct service *st = c->state;
    if (!station_alive(&st->st, req)) {
        req_drop(sim, req); /* the node failed meanwhile: nobody waits for this */
        return;
    }
    if (req->status != REQ_OK) {
        if (req_retry(sim, req, REQ_ANY_NODE))
            return; /* the worker stays held through the backoff, as a blocking client's */
        /* A failed downstream call fails the request; the worker is free again. */
        struct service *s = c->state;
        station_release(&s->st, sim, req_top(req)->node);
        req_reply(sim, req);
        return;
    }
    next_call(c, sim, req);
}

static void service_handle(struct comp *c, struct sim *sim, const struct sim_event *ev)
{
    struct service *s = c->state;
    if (ev->kind == EV_SERVICE_LIMIT) {
        ratelimit_handle(s->limit, sim, ev);
        return;
    }
    if (ev->kind == EV_SERVICE_AUTOSCALE) {
        const struct service_cfg *cfg = c->config;
        uint32_t n = autoscale_handle(&s->as, sim, ev, c, busy_total(s, sim->now), cfg->st.workers);
        if (n != s->active)
            resize_pool(s, sim, n);
        return;
    }
    SIM_ASSERT(ev->kind == EV_SERVICE_DONE);
    if (!station_alive(&s->st, ev->ptr)) {
        req_drop(sim, ev->ptr);
        return;
    }
    next_call(c, sim, ev->ptr);
}

static void service_sample(struct comp *c, struct sim *sim, struct comp_sample *out)
{
    struct service *s = c->state;
    const struct service_cfg *cfg = c->config;
    /* After a scale-in the pool is the serving nodes: the ones scaled away only finish what
     * they held, and would dilute the figures. */
    double u = 0, q = 0;
    uint32_t n = s->active < s->st.nnodes ? s->active : 0;
    for (uint32_t i = 0; i < n; i++) {
        u += station_interval_busy(&s->st, i, sim->now);
        q += station_interval_queue(&s->st, i, sim->now);
    }
    station_sample(&s->st, sim->now, &out->util, &out->queue);
    if (n) {
        out->util = cfg->st.workers > 0 ? u / n / (double)cfg->st.workers : NAN;
        out->queue = q / n;
    }
    out->hit_ratio = NAN;
    if (cfg->autoscale.on)
        out->nodes = s->active;
}

static void service_reset(struct comp *c, struct sim *sim)
{
    struct service *s = c->state;
    const struct service_cfg *cfg = c->config;
    if (cfg->autoscale.on)
        autoscale_restart(&s->as, busy_total(s, sim->now));
    station_reset(&s->st, sim->now);
}

static uint32_t service_node_count(const struct comp *c)
{
    const struct service *s = c->state;
    return s->active;
}

static int service_node_up(const struct comp *c, uint32_t node)
{
    const struct service *s = c->state;
    return node < s->active && s->st.nodes[node].up;
}

static int service_control(struct comp *c, struct sim *sim, const struct control *ctl,
                           struct sim_error *err)
{
    struct service *s = c->state;
    switch (ctl->action) {
    case CTL_SCALE:
        if (strcmp(ctl->what, "nodes") != 0 || ctl->nodes < 1)
            return sim_fail(err, c->spec->path, "a service scales by \"nodes\" (at least 1)");
        resize_pool(s, sim, (uint32_t)ctl->nodes);
        if (((const struct service_cfg *)c->config)->autoscale.on)
            autoscale_scaled(&s->as, sim->now, s->active);
        return 0;
    case CTL_FAIL:
    case CTL_RECOVER:
        if (ctl->node >= (int64_t)s->active || ctl->node < -1)
            return sim_fail(err, c->spec->path, "%s has no node %lld", c->spec->id,
                            (long long)ctl->node);
        /* A whole-component failure also takes the nodes scaled away that still serve. */
        for (uint32_t i = 0; i < (ctl->node < 0 ? s->st.nnodes : s->active); i++)
            if (ctl->node < 0 || (uint32_t)ctl->node == i) {
                if (ctl->action == CTL_FAIL)
                    station_fail(&s->st, sim, i);
                else
                    station_recover(&s->st, sim, i);
            }
        return 0;
    }
    return -1;
}

static void service_node_stats(struct comp *c, struct sim *sim, uint32_t node,
                               struct node_stats *out)
{
    struct service *s = c->state;
    station_node_stats(&s->st, sim->now, node, out);
}

static void service_report(struct comp *c, struct sim *sim, cJSON *out)
{
    struct service *s = c->state;
    cJSON_AddNumberToObject(out, "busy_mean", station_busy_mean(&s->st, sim->now));
    cJSON_AddNumberToObject(out, "queue_mean", station_queue_mean(&s->st, sim->now));
    if (((const struct service_cfg *)c->config)->autoscale.on)
        autoscale_report(&s->as, out);
    if (s->limit)
        ratelimit_report(s->limit, cJSON_AddObjectToObject(out, "rate_limit"));
}

static void service_free_state(struct comp *c)
{
    struct service *s = c->state;
    station_free(&s->st);
    autoscale_free(&s->as);
    ratelimit_free(s->limit);
}

const struct model_ops service_ops = {
    .name = "service",
    .help = "a stateless tier (web or app servers); thread-per-request",
    .params = service_params,
    .config_size = sizeof(struct service_cfg),
    .parse = service_parse,
    .edges = service_edges,
    .needs = service_needs,
    .estimate = service_estimate,
    .free_config = service_free_config,
    .state_size = sizeof(struct service),
    .start = service_start,
    .arrive = service_arrive,
    .resume = service_resume,
    .handle = service_handle,
    .sample = service_sample,
    .reset_stats = service_reset,
    .control = service_control,
    .node_count = service_node_count,
    .node_up = service_node_up,
    .node_stats = service_node_stats,
    .report = service_report,
    .free_state = service_free_state,
};
