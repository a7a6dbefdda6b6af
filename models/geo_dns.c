/* geo_dns: routing by region (GeoDNS). A request goes to the entry component of its client's
 * region while the router considers that region healthy, else to the nearest healthy region by
 * the latency matrix. The router learns of a failed or recovered region at its health checks,
 * and clients keep the old answer for the TTL after the router changed it: a failure costs
 * detection + TTL. A zero-cost routing step: no workers, no service time. */
#include "sim/estimate.h"
#include "sim/jsonloc.h"
#include "sim/scenario.h"
#include "sim/units.h"
#include "sim/world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { EV_GEO_HEALTH = EV_MODEL, EV_GEO_SWITCH };

#define GEO_NONE UINT32_MAX

struct geo_cfg {
    const cJSON *routes_json;
    double ttl; /* s */
    const cJSON *health_json;
    /* Resolved by the parse hook. */
    size_t nregions;
    uint32_t route[REGION_MAX]; /* per region index: its entry component, or GEO_NONE */
    uint32_t first;             /* the first region with a route: for requests from no region */
    double health_interval;     /* s */
};

/* One change of the answer given to the clients of a region. */
struct geo_failover {
    uint32_t clients, from, to; /* region indexes */
    double decided_at;          /* s, the health check that changed the router's answer */
    double at;                  /* s, when the clients switched (decided_at + ttl) */
    double unreachable;         /* s, from the first request sent to a failed target */
    uint64_t sent_to_failed;    /* requests sent to the failed target meanwhile */
};

/* The clients of one region. */
struct geo_clients {
    uint32_t answer;     /* region index the clients use now */
    uint32_t pending;    /* the router's new answer, used after the TTL; GEO_NONE */
    uint32_t gen;        /* generation of the pending switch (lazy cancellation) */
    double decided_at;   /* s, when the router changed its answer to `pending` */
    double stuck_since;  /* s, first request sent to a failed target since; NaN when none */
    uint64_t stuck_sent; /* requests sent to the failed target since stuck_since */
    double unreachable;  /* s, over the episodes that ended */
    uint64_t requests, failed, sent_to_failed; /* counted requests */
};

struct geo {
    struct comp *targets[REGION_MAX]; /* per region index, NULL without a route */
    uint8_t view[REGION_MAX];         /* the router's view of each route at its last check */
    struct geo_clients clients[REGION_MAX];
    uint64_t *sent_to; /* n x n: counted requests by client region, destination */
    struct geo_failover *failovers;
    size_t nfailovers, cap;
};

static const struct param_spec geo_params[] = {
    {"routes", PT_JSON, offsetof(struct geo_cfg, routes_json), 0, 0, NULL,
     "region -> the entry component placed there, e.g. {\"us\": \"lb-us\", \"eu\": \"lb-eu\"}",
     NULL, PARAM_REQUIRED},
    {"ttl", PT_DURATION, offsetof(struct geo_cfg, ttl), 0, 1e9, "\"60s\"",
     "how long clients keep an answer after the router changed it (a failover takes the health "
     "check's detection plus this)",
     NULL, 0},
    {"health_check", PT_JSON, offsetof(struct geo_cfg, health_json), 0, 0, NULL,
     "{\"interval\": \"5s\"}: how often the router checks each route's component (default 5s)",
     NULL, 0},
    PARAM_END,
};

static int geo_parse(struct comp_spec *cs, const cJSON *obj, const struct scenario *sc,
                     struct sim_error *err)
{
    struct geo_cfg *cfg = cs->config;
    char path[300], sub[300];
    if (cJSON_GetObjectItemCaseSensitive(obj, "nodes"))
        return sim_fail(err, path_member(path, sizeof path, cs->path, "nodes"),
                        "a geo_dns is a routing step: it has no nodes");
    if (cs->region)
        return sim_fail(err, path_member(path, sizeof path, cs->path, "region"),
                        "a geo_dns routes clients to regions; it has no region of its own");
    cfg->nregions = sc->regions.n;
    for (size_t i = 0; i < REGION_MAX; i++)
        cfg->route[i] = GEO_NONE;
    cfg->first = GEO_NONE;
    const cJSON *routes = cfg->routes_json;
    path_member(path, sizeof path, cs->path, "routes");
    if (!cJSON_IsObject(routes) || !routes->child)
        return sim_fail(err, path,
                        "must be an object of region -> entry component, e.g. "
                        "{\"us\": \"lb-us\", \"eu\": \"lb-eu\"}");
    for (const cJSON *m = routes->child; m; m = m->next) {
        path_member(sub, sizeof sub, path, m->string);
        int r = region_find(&sc->regions, m->string);
        if (r < 0)
            return region_unknown(&sc->regions, m->string, sub, err);
        if (!cJSON_IsString(m))
            return sim_fail(err, sub, "must be a component id (a string)");
        int to = scenario_find(sc, m->valuestring);
        if (to < 0)
            return sim_fail(err, sub, "unknown component \"%s\"", m->valuestring);
        const struct comp_spec *t = &sc->comps[to];
        if (!t->ops->node_count || !t->ops->node_up)
            return sim_fail(err, sub, "a %s has no nodes to health-check", t->ops->name);
        if (t->region_no != (uint16_t)(r + 1))
            return sim_fail(err, sub, "%s is placed %s%s, not in %s (set its \"region\")", t->id,
                            t->region ? "in " : "in no region", t->region ? t->region : "",
                            m->string);
        cfg->route[r] = (uint32_t)to;
    }
    for (size_t i = 0; i < cfg->nregions && cfg->first == GEO_NONE; i++)
        if (cfg->route[i] != GEO_NONE)
            cfg->first = (uint32_t)i;
    cfg->health_interval = 5;
    const cJSON *hc = cfg->health_json;
    path_member(path, sizeof path, cs->path, "health_check");
    if (hc) {
        if (!cJSON_IsObject(hc))
            return sim_fail(err, path, "must be an object such as {\"interval\": \"5s\"}");
        for (const cJSON *m = hc->child; m; m = m->next)
            if (strcmp(m->string, "interval") != 0)
                return sim_fail(err, path_member(sub, sizeof sub, path, m->string),
                                "unknown field \"%s\" (health_check has \"interval\")", m->string);
        const cJSON *iv = cJSON_GetObjectItemCaseSensitive(hc, "interval");
        if (iv && units_duration(iv, path_member(sub, sizeof sub, path, "interval"),
                                 &cfg->health_interval, err))
            return -1;
        if (iv && !(cfg->health_interval > 0))
            return sim_fail(err, sub, "must be above 0");
    }
    return 0;
}

static void geo_edges(const struct comp_spec *cs, void (*fn)(void *ctx, uint32_t to), void *ctx)
{
    const struct geo_cfg *cfg = cs->config;
    for (size_t i = 0; i < cfg->nregions; i++)
        if (cfg->route[i] != GEO_NONE)
            fn(ctx, cfg->route[i]);
}

static unsigned geo_needs(const struct comp_spec *cs)
{
    (void)cs;
    return 0;
}

/* Where the router sends the clients of region r, given which routes it considers healthy:
 * their own region's route, else the routed region nearest to r by mean latency (ties: the
 * first listed), else (nothing healthy) where they go now. */
static uint32_t want(const struct geo_cfg *cfg, const struct region_set *rs, const uint8_t *view,
                     uint32_t r, uint32_t keep)
{
    if (cfg->route[r] != GEO_NONE && view[r])
        return r;
    uint32_t best = GEO_NONE;
    for (uint32_t d = 0; d < cfg->nregions; d++)
        if (cfg->route[d] != GEO_NONE && view[d] &&
            (best == GEO_NONE || region_mean_latency(rs, r, d) < region_mean_latency(rs, r, best)))
            best = d;
    return best == GEO_NONE ? keep : best;
}

static void geo_estimate(const struct comp_spec *cs, const struct scenario *sc,
                         struct est_comp *self)
{
    const struct geo_cfg *cfg = cs->config;
    const struct region_set *rs = &sc->regions;
    uint8_t all[REGION_MAX];
    memset(all, 1, sizeof all);
    self->workers = INFINITY;
    self->queue = INFINITY;
    self->service = 0;
    self->scv = 0;
    double total = 0;
    for (size_t r = 0; rs->share && r < rs->n; r++)
        total += rs->share[r];
    snprintf(self->note, sizeof self->note, "every region healthy");
    for (size_t op = 0; op < sc->wl.nops; op++) {
        if (!(total > 0)) {
            est_call(self, cfg->route[cfg->first], op, self->rate[op], 1);
            continue;
        }
        for (uint32_t r = 0; r < rs->n; r++)
            if (rs->share[r] > 0)
                est_call(self, cfg->route[want(cfg, rs, all, r, cfg->first)], op,
                         self->rate[op] * rs->share[r] / total, rs->share[r] / total);
    }
}

static void schedule_health(struct comp *c, struct sim *sim)
{
    const struct geo_cfg *cfg = c->config;
    struct sim_event ev = {.target = c->index, .kind = EV_GEO_HEALTH};
    sim_schedule(sim, cfg->health_interval, &ev);
}

static int target_up(const struct comp *t)
{
    uint32_t n = t->ops->node_count(t);
    for (uint32_t i = 0; i < n; i++)
        if (t->ops->node_up(t, i))
            return 1;
    return 0;
}

static int geo_start(struct comp *c, struct sim *sim)
{
    struct geo *g = c->state;
    const struct geo_cfg *cfg = c->config;
    const struct region_set *rs = &c->world->sc->regions;
    g->sent_to = sim_xcalloc(rs->n * rs->n, sizeof *g->sent_to);
    /* At the start every route is healthy in the view, as a balancer's new nodes are. */
    for (size_t d = 0; d < rs->n; d++) {
        g->view[d] = cfg->route[d] != GEO_NONE;
        g->targets[d] = cfg->route[d] != GEO_NONE ? &c->world->comps[cfg->route[d]] : NULL;
    }
    for (uint32_t r = 0; r < rs->n; r++) {
        struct geo_clients *k = &g->clients[r];
        k->answer = want(cfg, rs, g->view, r, cfg->first);
        k->pending = GEO_NONE;
        k->stuck_since = NAN;
    }
    schedule_health(c, sim);
    return 0;
}

static void switch_clients(struct comp *c, struct sim *sim, uint32_t r)
{
    struct geo *g = c->state;
    struct geo_clients *k = &g->clients[r];
    struct geo_failover fo = {.clients = r,
                              .from = k->answer,
                              .to = k->pending,
                              .decided_at = k->decided_at,
                              .at = sim->now};
    if (!isnan(k->stuck_since)) {
        fo.unreachable = sim->now - k->stuck_since;
        fo.sent_to_failed = k->stuck_sent;
        k->unreachable += fo.unreachable;
        k->stuck_since = NAN;
        k->stuck_sent = 0;
    }
    if (g->nfailovers == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 8;
        g->failovers = sim_xrealloc(g->failovers, g->cap * sizeof *g->failovers);
    }
    g->failovers[g->nfailovers++] = fo;
    k->answer = k->pending;
    k->pending = GEO_NONE;
    k->gen++;
}

/* The router's check: a route is healthy while its component has a working node. A changed
 * answer reaches the clients of a region after the TTL (their cached answer expires). */
static void health_check(struct comp *c, struct sim *sim)
{
    struct geo *g = c->state;
    const struct geo_cfg *cfg = c->config;
    const struct region_set *rs = &c->world->sc->regions;
    for (size_t d = 0; d < rs->n; d++)
        g->view[d] = g->targets[d] && target_up(g->targets[d]);
    for (uint32_t r = 0; r < rs->n; r++) {
        struct geo_clients *k = &g->clients[r];
        uint32_t d = want(cfg, rs, g->view, r, k->answer);
        if (d == k->answer) {
            if (k->pending != GEO_NONE) {
                k->pending = GEO_NONE; /* the old answer is right again before anyone moved */
                k->gen++;
            }
            continue;
        }
        if (d == k->pending)
            continue;
        k->pending = d;
        k->gen++;
        k->decided_at = sim->now;
        if (cfg->ttl > 0) {
            struct sim_event ev = {
                .target = c->index, .kind = EV_GEO_SWITCH, .node = r, .tag = k->gen};
            sim_schedule(sim, cfg->ttl, &ev);
        } else {
            switch_clients(c, sim, r);
        }
    }
    schedule_health(c, sim);
}

static void geo_handle(struct comp *c, struct sim *sim, const struct sim_event *ev)
{
    struct geo *g = c->state;
    if (ev->kind == EV_GEO_HEALTH) {
        health_check(c, sim);
        return;
    }
    SIM_ASSERT(ev->kind == EV_GEO_SWITCH);
    if (g->clients[ev->node].pending != GEO_NONE && g->clients[ev->node].gen == ev->tag)
        switch_clients(c, sim, ev->node);
}

static void geo_arrive(struct comp *c, struct sim *sim, struct request *req)
{
    struct geo *g = c->state;
    const struct geo_cfg *cfg = c->config;
    const struct region_set *rs = &c->world->sc->regions;
    struct frame *f = req_top(req);
    f->node = 0;
    /* The region the request comes from (a geo_dns has none of its own, so its frame holds
     * the caller's); a request from no region counts as from the first routed region. */
    uint32_t r = f->region ? f->region - 1u : cfg->first;
    struct geo_clients *k = &g->clients[r];
    uint32_t d = k->answer;
    /* What the clients cannot know: whether the answer they use still works. */
    if (!target_up(g->targets[d])) {
        if (isnan(k->stuck_since))
            k->stuck_since = sim->now;
        k->stuck_sent++;
        k->sent_to_failed += req->counted;
    } else if (!isnan(k->stuck_since)) {
        k->unreachable += sim->now - k->stuck_since; /* it came back before the clients moved */
        k->stuck_since = NAN;
        k->stuck_sent = 0;
    }
    if (req->counted) {
        k->requests++;
        g->sent_to[r * rs->n + d]++;
    }
    f->aux = r;
    req_call(sim, req, cfg->route[d], REQ_ANY_NODE);
}

static void geo_resume(struct comp *c, struct sim *sim, struct request *req)
{
    struct geo *g = c->state;
    if (req->status != REQ_OK) {
        /* Clients retry with the answer they have. */
        if (req_retry(sim, req, REQ_ANY_NODE))
            return;
        g->clients[req_top(req)->aux].failed += req->counted;
    }
    req_reply(sim, req);
}

static void geo_sample(struct comp *c, struct sim *sim, struct comp_sample *out)
{
    (void)c;
    (void)sim;
    out->util = NAN;
    out->queue = 0;
}

static void geo_reset(struct comp *c, struct sim *sim)
{
    struct geo *g = c->state;
    const struct region_set *rs = &c->world->sc->regions;
    (void)sim;
    for (size_t r = 0; r < rs->n; r++)
        g->clients[r].requests = g->clients[r].failed = g->clients[r].sent_to_failed = 0;
    memset(g->sent_to, 0, rs->n * rs->n * sizeof *g->sent_to);
}

static void geo_report(struct comp *c, struct sim *sim, cJSON *out)
{
    struct geo *g = c->state;
    const struct geo_cfg *cfg = c->config;
    const struct region_set *rs = &c->world->sc->regions;
    cJSON_AddNumberToObject(out, "ttl_s", cfg->ttl);
    cJSON_AddNumberToObject(out, "health_check_s", cfg->health_interval);
    cJSON *regions = cJSON_AddObjectToObject(out, "regions");
    for (size_t r = 0; r < rs->n; r++) {
        const struct geo_clients *k = &g->clients[r];
        cJSON *o = cJSON_AddObjectToObject(regions, rs->names[r]);
        cJSON_AddNumberToObject(o, "requests", (double)k->requests);
        cJSON_AddNumberToObject(o, "failed", (double)k->failed);
        cJSON_AddNumberToObject(o, "sent_to_failed", (double)k->sent_to_failed);
        /* An episode still open at the end counts up to the end. */
        double open = isnan(k->stuck_since) ? 0 : sim->now - k->stuck_since;
        cJSON_AddNumberToObject(o, "unreachable_s", k->unreachable + open);
        cJSON_AddStringToObject(o, "answer", rs->names[k->answer]);
        cJSON *to = cJSON_AddObjectToObject(o, "sent_to");
        for (size_t d = 0; d < rs->n; d++)
            if (cfg->route[d] != GEO_NONE)
                cJSON_AddNumberToObject(to, rs->names[d], (double)g->sent_to[r * rs->n + d]);
    }
    cJSON *list = cJSON_AddArrayToObject(out, "failovers");
    for (size_t i = 0; i < g->nfailovers; i++) {
        const struct geo_failover *fo = &g->failovers[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "clients", rs->names[fo->clients]);
        cJSON_AddStringToObject(o, "from", rs->names[fo->from]);
        cJSON_AddStringToObject(o, "to", rs->names[fo->to]);
        cJSON_AddNumberToObject(o, "decided_at_s", fo->decided_at);
        cJSON_AddNumberToObject(o, "at_s", fo->at);
        cJSON_AddNumberToObject(o, "unreachable_s", fo->unreachable);
        cJSON_AddNumberToObject(o, "sent_to_failed", (double)fo->sent_to_failed);
        cJSON_AddItemToArray(list, o);
    }
}

static void geo_free_state(struct comp *c)
{
    struct geo *g = c->state;
    free(g->sent_to);
    free(g->failovers);
}

const struct model_ops geo_dns_ops = {
    .name = "geo_dns",
    .help = "routes each client to its region's entry, or the nearest healthy region (GeoDNS)",
    .params = geo_params,
    .config_size = sizeof(struct geo_cfg),
    .parse = geo_parse,
    .edges = geo_edges,
    .needs = geo_needs,
    .estimate = geo_estimate,
    .state_size = sizeof(struct geo),
    .start = geo_start,
    .arrive = geo_arrive,
    .resume = geo_resume,
    .handle = geo_handle,
    .sample = geo_sample,
    .reset_stats = geo_reset,
    .report = geo_report,
    .free_state = geo_free_state,
};
