/* The CDN: edge caches in front of an origin. A request goes to the edge of its client's
 * region (or, without regions, the client's own edge by hash); a hit is served there, a miss
 * fetches from the origin (one fetch per edge and key at a time), fills and answers; other ops
 * pass through. A failed edge's clients go to the origin directly. */
#include "models/eviction.h"
#include "models/hitratio.h"
#include "models/pending.h"
#include "models/placement.h"
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

enum { EV_CDN_DONE = EV_MODEL, EV_CDN_ENTER, EV_CDN_OUT, EV_CDN_BACK };

#define CDN_MAX_EDGES 100000

/* Why a request goes to the origin, kept in the low bits of its frame's `step`; the bits
 * above hold the edge's life (epoch) when it left, so that a fetch made before the edge
 * failed or was scaled away does not fill the edge's next life. */
enum cdn_stage { CDN_FILL = 1, CDN_PASS, CDN_BYPASS };
#define STAGE_BITS 4
#define STAGE_MASK ((1u << STAGE_BITS) - 1)
#define EPOCH_MASK (UINT32_MAX >> STAGE_BITS)

struct cdn_cfg {
    struct station_cfg st;
    struct dist service; /* one request's time on an edge worker */
    int64_t edges;       /* 0: not given */
    const cJSON *regions_json;
    const cJSON *capacity_json;
    int eviction; /* enum evict_policy */
    double ttl;   /* s; 0 = none */
    char *origin_id;
    struct dist origin_latency; /* one way, edge to origin, on top of the origin's latency */
    const cJSON *ops_json;
    int coalesce;
    /* Resolved by the parse hook. */
    uint32_t origin; /* component index */
    uint32_t nedges;
    uint16_t *edge_region;       /* per edge: its region number (1 + index); NULL: no regions */
    uint32_t route[REGION_MAX];  /* per region index: the edge its clients use */
    uint64_t capacity;           /* entries per edge */
    double capacity_bytes;       /* bytes per edge when given as a size; 0 otherwise */
    uint8_t cached[SCN_MAX_OPS]; /* per workload op: served from the edges */
};

struct cdn_edge {
    struct evict_store store;
    gsl_rng *rng; /* random eviction only */
    uint8_t up;
    uint32_t epoch; /* the edge's life: a failure or a scale-in starts the next one */
    /* Counted requests (after the warm-up). */
    uint64_t requests, hits, misses, bypassed;
};

struct cdn {
    struct station st;
    struct cdn_edge *edges;
    uint32_t nedges; /* edge records (never shrinks) */
    uint32_t active; /* edges that clients use */
    struct comp *origin;
    gsl_rng *rng_olat;         /* origin_latency draws */
    gsl_rng *rng_region;       /* latencies between a client's region and another's edge */
    int delayed;               /* origin_latency is not the constant 0: the legs are events */
    int instant;               /* lookups take no time on unlimited workers: served on arrival */
    int probed;                /* the kernel's first sample (t = 0) has been answered */
    struct pending_table pend; /* fetches in progress per (edge, key) */
    /* Figures after the warm-up. */
    uint64_t hits, misses, coalesced, origin_requests, bypassed, passed;
    uint64_t evict_base, expire_base; /* store counters at the end of the warm-up */
    /* The current metrics interval, warm-up included. */
    uint64_t int_hits, int_lookups;
};

static const struct param_spec cdn_params[] = {
    {"workers", PT_LIMIT, offsetof(struct cdn_cfg, st.workers), 1, 1e9, "\"unlimited\"",
     "concurrent requests per edge (event-driven: none is held while the origin answers)", NULL, 0},
    {"queue", PT_LIMIT, offsetof(struct cdn_cfg, st.queue), 0, 1e9, "\"unlimited\"",
     "waiting room per edge; 0 = none", NULL, 0},
    {"service", PT_DIST, offsetof(struct cdn_cfg, service), 0, 0, "0",
     "time an edge takes for a request (a hit is answered after it; a miss then fetches)", NULL, 0},
    {"edges", PT_INT, offsetof(struct cdn_cfg, edges), 1, CDN_MAX_EDGES, NULL,
     "number of edge caches (default 1); a client always uses the same one (by client id hash)",
     NULL, 0},
    {"regions", PT_JSON, offsetof(struct cdn_cfg, regions_json), 0, 0, NULL,
     "instead of \"edges\": a list of the scenario's regions, one edge in each; a request goes "
     "to its client's region's edge, or the nearest one (mean latency) when that region has "
     "none, paying the latency between the regions",
     NULL, 0},
    {"capacity", PT_JSON, offsetof(struct cdn_cfg, capacity_json), 0, 0, NULL,
     "per edge: a number of keys, or a size such as \"10GB\" (needs workload.object_size; holds "
     "size / object_size objects)",
     NULL, PARAM_REQUIRED},
    {"eviction", PT_ENUM, offsetof(struct cdn_cfg, eviction), 0, 0, "\"lru\"",
     "which key leaves a full edge", evict_policy_names, 0},
    {"ttl", PT_DURATION, offsetof(struct cdn_cfg, ttl), 0, 1e12, "0",
     "lifetime of an entry from its fill; an expired entry is a miss (0: none)", NULL, 0},
    {"origin", PT_STRING, offsetof(struct cdn_cfg, origin_id), 0, 0, NULL,
     "id of the component behind the edges: misses, other ops and bypassed requests go there", NULL,
     PARAM_REQUIRED},
    {"origin_latency", PT_DIST, offsetof(struct cdn_cfg, origin_latency), 0, 0, "0",
     "one-way delay from an edge to the origin, each way, on top of the origin's own latency "
     "(a bypassed request pays it too: the client is as far from the origin)",
     NULL, 0},
    {"ops", PT_JSON, offsetof(struct cdn_cfg, ops_json), 0, 0, NULL,
     "the ops served from the edges (default [\"static\"]); others pass through to the origin "
     "uncached",
     NULL, 0},
    {"coalesce", PT_BOOL, offsetof(struct cdn_cfg, coalesce), 0, 0, "true",
     "concurrent misses for a key at an edge wait for one origin fetch", NULL, 0},
    PARAM_END,
};

/* ---- configuration --------------------------------------------------------------------- */

static int parse_regions(struct cdn_cfg *cfg, const struct scenario *sc, const char *path,
                         struct sim_error *err)
{
    const struct region_set *rs = &sc->regions;
    const cJSON *j = cfg->regions_json;
    char sub[300];
    int n = cJSON_GetArraySize(j);
    if (!cJSON_IsArray(j) || n < 1)
        return sim_fail(err, path, "must be a non-empty list of region names, one edge each");
    if (!rs->n)
        return sim_fail(err, path,
                        "names regions, but the scenario declares none: add the top-level "
                        "\"regions\" (names and the latencies between them), or give \"edges\"");
    cfg->edge_region = sim_xcalloc((size_t)n, sizeof *cfg->edge_region);
    int i = 0;
    for (const cJSON *r = j->child; r; r = r->next, i++) {
        path_index(sub, sizeof sub, path, (size_t)i);
        if (!cJSON_IsString(r))
            return sim_fail(err, sub, "must be a region name (a string)");
        int k = region_find(rs, r->valuestring);
        if (k < 0)
            return region_unknown(rs, r->valuestring, sub, err);
        for (int e = 0; e < i; e++)
            if (cfg->edge_region[e] == k + 1)
                return sim_fail(err, sub, "region \"%s\" is listed twice", r->valuestring);
        cfg->edge_region[i] = (uint16_t)(k + 1);
        cfg->nedges = (uint32_t)i + 1;
    }
    /* The clients of a region use its edge, or else the nearest edge by mean latency (ties:
     * the first listed). */
    for (uint32_t r = 0; r < rs->n; r++) {
        uint32_t best = 0;
        for (uint32_t e = 1; e < cfg->nedges; e++) {
            unsigned here = cfg->edge_region[e] - 1u, there = cfg->edge_region[best] - 1u;
            if (there != r &&
                (here == r || region_mean_latency(rs, r, here) < region_mean_latency(rs, r, there)))
                best = e;
        }
        cfg->route[r] = best;
    }
    return 0;
}

/* A number of keys, or a size that workload.object_size turns into a number of objects. */
static int parse_capacity(struct cdn_cfg *cfg, const struct scenario *sc, const char *path,
                          struct sim_error *err)
{
    const cJSON *j = cfg->capacity_json;
    double v;
    if (cJSON_IsNumber(j)) {
        v = j->valuedouble;
        if (!(v >= 0) || v != floor(v) || v > (double)EVICT_MAX_CAPACITY)
            return sim_fail(err, path,
                            "must be a whole number of keys from 0 to %llu, or a size such as "
                            "\"10GB\"",
                            (unsigned long long)EVICT_MAX_CAPACITY);
        cfg->capacity = (uint64_t)v;
        return 0;
    }
    if (!cJSON_IsString(j))
        return sim_fail(err, path, "must be a number of keys or a size such as \"10GB\"");
    if (units_size(j, path, &v, err))
        return -1;
    /* Components are read before the rest of the workload, so the field is read here. */
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(sc->root, "workload");
    const cJSON *os = cJSON_IsObject(w) ? cJSON_GetObjectItemCaseSensitive(w, "object_size") : NULL;
    double size = 0;
    if (os && units_size(os, "workload.object_size", &size, err))
        return -1;
    if (!(size > 0))
        return sim_fail(err, path,
                        "a size needs workload.object_size (the bytes of one object) to tell "
                        "how many objects an edge holds; or give a number of keys");
    /* The relative 1e-12 keeps an exact ratio such as 10GB / 100KB from rounding down. */
    double n = floor(v / size * (1 + 1e-12));
    if (n > (double)EVICT_MAX_CAPACITY)
        return sim_fail(err, path, "holds %.0f objects, more than the %llu an edge can hold", n,
                        (unsigned long long)EVICT_MAX_CAPACITY);
    cfg->capacity = (uint64_t)n;
    cfg->capacity_bytes = v;
    return 0;
}

static int parse_ops(struct cdn_cfg *cfg, const struct scenario *sc, const char *path,
                     struct sim_error *err)
{
    static const char *const builtin[] = {"read", "write", "static", NULL};
    const cJSON *j = cfg->ops_json;
    char sub[300];
    if (!j) {
        int op = scenario_op(sc, "static");
        if (op >= 0)
            cfg->cached[op] = 1;
        return 0;
    }
    if (!cJSON_IsArray(j))
        return sim_fail(err, path, "must be a list of op names, such as [\"static\"]");
    int i = 0;
    for (const cJSON *o = j->child; o; o = o->next, i++) {
        path_index(sub, sizeof sub, path, (size_t)i);
        if (!cJSON_IsString(o))
            return sim_fail(err, sub, "must be an op name (a string)");
        int op = scenario_op(sc, o->valuestring), known = op >= 0;
        for (size_t b = 0; builtin[b]; b++)
            known |= strcmp(builtin[b], o->valuestring) == 0;
        if (!known) {
            const char *cands[SCN_MAX_OPS + 4];
            size_t n = 0;
            for (size_t k = 0; k < sc->wl.nops; k++)
                cands[n++] = sc->wl.op_names[k];
            for (size_t b = 0; builtin[b]; b++)
                cands[n++] = builtin[b];
            cands[n] = NULL;
            const char *near = suggest_word(o->valuestring, cands);
            return sim_fail(err, sub, "unknown op \"%s\"%s%s%s", o->valuestring,
                            near ? " (did you mean \"" : " (not in workload.ops)", near ? near : "",
                            near ? "\"?)" : "");
        }
        if (op >= 0)
            cfg->cached[op] = 1;
    }
    return 0;
}

static int cdn_parse(struct comp_spec *cs, const cJSON *obj, const struct scenario *sc,
                     struct sim_error *err)
{
    struct cdn_cfg *cfg = cs->config;
    char path[300];
    if (cJSON_GetObjectItemCaseSensitive(obj, "nodes"))
        return sim_fail(err, path_member(path, sizeof path, cs->path, "nodes"),
                        "a CDN is sized by \"edges\" (or one edge per region in \"regions\")");
    int o = scenario_find(sc, cfg->origin_id);
    if (o < 0)
        return sim_fail(err, path_member(path, sizeof path, cs->path, "origin"),
                        "unknown component \"%s\"", cfg->origin_id);
    cfg->origin = (uint32_t)o;
    if (cfg->regions_json) {
        if (cfg->edges)
            return sim_fail(err, path_member(path, sizeof path, cs->path, "edges"),
                            "give \"edges\" or \"regions\" (one edge per region), not both");
        if (cs->region)
            return sim_fail(err, path_member(path, sizeof path, cs->path, "region"),
                            "a CDN with \"regions\" has an edge in each of them; it has no "
                            "\"region\" of its own");
        if (parse_regions(cfg, sc, path_member(path, sizeof path, cs->path, "regions"), err))
            return -1;
    } else {
        cfg->nedges = cfg->edges ? (uint32_t)cfg->edges : 1;
    }
    /* Events name edges as nodes, and the kernel checks them against this count. */
    cs->nodes = cfg->nedges;
    if (parse_capacity(cfg, sc, path_member(path, sizeof path, cs->path, "capacity"), err))
        return -1;
    return parse_ops(cfg, sc, path_member(path, sizeof path, cs->path, "ops"), err);
}

static void cdn_free_config(void *config)
{
    struct cdn_cfg *cfg = config;
    free(cfg->edge_region);
}

static void cdn_edges(const struct comp_spec *cs, void (*fn)(void *ctx, uint32_t to), void *ctx)
{
    const struct cdn_cfg *cfg = cs->config;
    fn(ctx, cfg->origin);
}

/* Hits depend on keys, the edge on the client. */
static unsigned cdn_needs(const struct comp_spec *cs)
{
    (void)cs;
    return NEEDS_KEYS | NEEDS_CLIENTS;
}

/* The share of the requests each edge gets: by the users' region shares when the edges are
 * per region (each region's to the edge its clients use), else even (client hashing). */
static void edge_shares(const struct cdn_cfg *cfg, const struct region_set *rs, double *w)
{
    double total = 0;
    for (uint32_t r = 0; cfg->edge_region && rs->share && r < rs->n; r++)
        total += rs->share[r];
    for (uint32_t e = 0; e < cfg->nedges; e++)
        w[e] = total > 0 ? 0 : 1.0 / cfg->nedges;
    for (uint32_t r = 0; total > 0 && r < rs->n; r++)
        w[cfg->route[r]] += rs->share[r] / total;
}

/* Each edge sees its share of the cached ops with the workload's popularity: Che's
 * approximation per edge (models/hitratio.c), weighted by the shares. The rate matters only
 * through the TTL. Misses and the other ops reach the origin; the trips between edge and
 * origin are the component's own delay. Latencies between regions are left out, as the
 * kernel's estimate leaves them out for calls. */
static void cdn_estimate(const struct comp_spec *cs, const struct scenario *sc,
                         struct est_comp *self)
{
    const struct cdn_cfg *cfg = cs->config;
    self->nodes = cfg->nedges;
    self->workers = cfg->st.workers < 0 ? INFINITY : (double)cfg->st.workers;
    self->queue = cfg->st.queue < 0 ? INFINITY : (double)cfg->st.queue;
    self->service = cfg->service.mean;
    self->scv = cfg->service.scv;
    double cached = 0;
    for (size_t op = 0; op < sc->wl.nops; op++)
        cached += cfg->cached[op] ? self->rate[op] : 0;
    double *w = sim_xmalloc(cfg->nedges * sizeof *w), h = 0, same = NAN;
    edge_shares(cfg, &sc->regions, w);
    for (uint32_t e = 0; cached > 0 && e < cfg->nedges; e++) {
        if (!(w[e] > 0))
            continue;
        /* Without a TTL every edge has the same ratio: one solve. */
        double he = cfg->ttl == 0 && !isnan(same)
                        ? same
                        : hitratio_irm(sc, (double)cfg->capacity, (enum evict_policy)cfg->eviction,
                                       cached * w[e], cfg->ttl);
        same = he;
        h += w[e] * he;
    }
    free(w);
    double to_origin = 0;
    for (size_t op = 0; op < sc->wl.nops; op++) {
        double share = cfg->cached[op] ? 1 - h : 1;
        est_call(self, cfg->origin, op, self->rate[op] * share, share);
        to_origin += self->rate[op] * share;
    }
    double offload = self->total > 0 ? 1 - to_origin / self->total : NAN;
    self->hit_ratio = cached > 0 ? h : NAN;
    self->delay = self->total > 0 ? 2 * cfg->origin_latency.mean * to_origin / self->total : 0;
    snprintf(self->note, sizeof self->note,
             "hit ratio %.3f (%s, %llu keys x %u edges); origin offload %.3f", h,
             cfg->eviction == EVICT_LFU ? "top keys" : "Che", (unsigned long long)cfg->capacity,
             cfg->nedges, offload);
}

/* ---- limits ---------------------------------------------------------------------------- */

/* Every edge allocates its whole store when it starts, so the capacity counts in full, over
 * the most edges a scale reaches. */
static double cdn_memory(const struct comp_spec *cs, const struct scenario *sc)
{
    const struct cdn_cfg *cfg = cs->config;
    double edges = (double)limits_peak(sc, cs->index, "edges", cfg->nedges);
    return edges * (LIMITS_NODE_BYTES +
                    evict_estimate_bytes((enum evict_policy)cfg->eviction, cfg->capacity,
                                         cfg->ttl));
}

/* ---- edges ------------------------------------------------------------------------------ */

/* Adds edge records up to n, each up with a cold store. */
static void grow_edges(struct comp *c, struct sim *sim, uint32_t n)
{
    struct cdn *d = c->state;
    const struct cdn_cfg *cfg = c->config;
    if (n <= d->nedges)
        return;
    d->edges = sim_xrealloc(d->edges, n * sizeof *d->edges);
    for (uint32_t i = d->nedges; i < n; i++) {
        struct cdn_edge *e = &d->edges[i];
        memset(e, 0, sizeof *e);
        e->up = 1;
        if (cfg->eviction == EVICT_RANDOM)
            e->rng = comp_rng(c, i, "evict");
        struct sim_error err = {0};
        /* The capacity was checked against the store's limit at load, the TTL by its bounds. */
        int rc = evict_init(&e->store, (enum evict_policy)cfg->eviction, cfg->capacity, cfg->ttl,
                            e->rng, &err);
        if (rc)
            sim_error_print(&err);
        SIM_ASSERT(rc == 0);
    }
    d->nedges = n;
    station_resize(&d->st, sim, n);
}

/* A request's edge: its client's region's (frame 0 holds where the client is), or else jump
 * consistent hashing of the client id, so a client keeps its edge and a change in the number
 * of edges moves only the clients it must. */
static uint32_t pick_edge(const struct comp *c, const struct request *req)
{
    const struct cdn *d = c->state;
    const struct cdn_cfg *cfg = c->config;
    if (cfg->edge_region && req->frames[0].region)
        return cfg->route[req->frames[0].region - 1];
    if (d->active == 1)
        return 0;
    return (uint32_t)placement_jump(placement_key_hash(req->client), (int32_t)d->active);
}

/* An edge loses what it held and starts a new life (fetches of the old one do not fill). */
static void reset_edge(struct cdn_edge *e)
{
    evict_clear(&e->store);
    e->epoch = (e->epoch + 1) & EPOCH_MASK;
}

static int cdn_start(struct comp *c, struct sim *sim)
{
    struct cdn *d = c->state;
    const struct cdn_cfg *cfg = c->config;
    d->origin = &c->world->comps[cfg->origin];
    d->rng_olat = comp_rng(c, 0, "origin_latency");
    d->rng_region = comp_rng(c, 0, "region_latency");
    d->delayed = !(cfg->origin_latency.kind == DIST_CONST && cfg->origin_latency.p[0] == 0);
    d->instant = cfg->st.workers < 0 && cfg->service.kind == DIST_CONST && cfg->service.p[0] == 0;
    station_init(&d->st, c, &cfg->st, &cfg->service, 0, EV_CDN_DONE, sim->now);
    grow_edges(c, sim, cfg->nedges);
    d->active = cfg->nedges;
    return 0;
}

/* ---- the request path ------------------------------------------------------------------ */

/* Sends the request to the origin: after the edge-to-origin leg when there is one. */
static void to_origin(struct comp *c, struct sim *sim, struct request *req, enum cdn_stage stage)
{
    struct cdn *d = c->state;
    const struct cdn_cfg *cfg = c->config;
    struct frame *f = req_top(req);
    f->step = (uint32_t)stage | d->edges[f->node].epoch << STAGE_BITS;
    d->origin_requests += req->counted;
    if (!d->delayed) {
        req_call(sim, req, d->origin->index, REQ_ANY_NODE);
        return;
    }
    /* The same draw is paid back by the answer, as the kernel does for a call's latency. */
    double t = dist_sample(&cfg->origin_latency, d->rng_olat);
    memcpy(&f->aux, &t, sizeof t);
    struct sim_event ev = {.ptr = req, .target = c->index, .kind = EV_CDN_OUT, .node = f->node};
    sim_schedule(sim, t, &ev);
}

/* The edge is down: the client goes to the origin, and nothing is cached. */
static void bypass(struct comp *c, struct sim *sim, struct request *req)
{
    struct cdn *d = c->state;
    d->bypassed += req->counted;
    d->edges[req_top(req)->node].bypassed += req->counted;
    to_origin(c, sim, req, CDN_BYPASS);
}

/* The edge has done its part of the work (its service time is over, or it takes none). */
static void serve(struct comp *c, struct sim *sim, struct request *req)
{
    struct cdn *d = c->state;
    const struct cdn_cfg *cfg = c->config;
    uint32_t node = req_top(req)->node;
    struct cdn_edge *e = &d->edges[node];
    if (!cfg->cached[req->op]) {
        d->passed += req->counted;
        to_origin(c, sim, req, CDN_PASS);
        return;
    }
    d->int_lookups++;
    if (evict_get(&e->store, req->key, sim->now, NULL)) {
        d->int_hits++;
        d->hits += req->counted;
        e->hits += req->counted;
        req_reply(sim, req);
        return;
    }
    d->misses += req->counted;
    e->misses += req->counted;
    if (cfg->coalesce) {
        struct pending *p = pending_find(&d->pend, node, req->key);
        if (p) {
            d->coalesced += req->counted;
            pending_add_waiter(p, req);
            return;
        }
        pending_insert(&d->pend, node, req->key);
    }
    to_origin(c, sim, req, CDN_FILL);
}

/* The request is at its edge. */
static void enter(struct comp *c, struct sim *sim, struct request *req)
{
    struct cdn *d = c->state;
    struct frame *f = req_top(req);
    struct cdn_edge *e = &d->edges[f->node];
    e->requests += req->counted;
    if (!e->up) {
        bypass(c, sim, req);
        return;
    }
    /* Edges are never failed through the station (their requests must not fail), so the
     * station only starts, queues or refuses. */
    enum station_result r = d->instant ? station_enter(&d->st, f->node, req)
                                       : station_arrive(&d->st, sim, f->node, req);
    if (r == STATION_REJECTED) {
        c->rejected += req->counted;
        req_reply_status(sim, req, REQ_REJECTED);
    } else if (d->instant) {
        serve(c, sim, req);
    }
}

static void cdn_arrive(struct comp *c, struct sim *sim, struct request *req)
{
    struct cdn *d = c->state;
    const struct cdn_cfg *cfg = c->config;
    struct frame *f = req_top(req);
    /* The client decides the edge, whatever node the caller named. */
    f->node = pick_edge(c, req);
    if (cfg->edge_region) {
        /* The edge is in its region: calls to the origin leave from there. A request from
         * another region (one without an edge) pays the latency between the two each way: it
         * reaches the edge that much later, and the reply pays the frame's net again. */
        unsigned from = f->region, to = cfg->edge_region[f->node];
        double t = region_delay(&c->world->sc->regions, from, to, d->rng_region);
        f->region = (uint16_t)to;
        if (t > 0) {
            f->t_arrive += t;
            f->net += t;
            struct sim_event ev = {
                .ptr = req, .target = c->index, .kind = EV_CDN_ENTER, .node = f->node};
            sim_schedule(sim, t, &ev);
            return;
        }
    }
    enter(c, sim, req);
}

/* The answer is back at the edge: a fetch from this life of a working edge fills it, and the
 * misses that waited for the fetch get the same answer. */
static void finish(struct comp *c, struct sim *sim, struct request *req)
{
    struct cdn *d = c->state;
    const struct cdn_cfg *cfg = c->config;
    struct frame *f = req_top(req);
    if ((f->step & STAGE_MASK) == CDN_FILL) {
        struct cdn_edge *e = &d->edges[f->node];
        if (req->status == REQ_OK && f->node < d->active && e->up &&
            f->step >> STAGE_BITS == e->epoch)
            evict_put(&e->store, req->key, sim->now, 0, NULL);
        if (cfg->coalesce) {
            struct pending *p = pending_find(&d->pend, f->node, req->key);
            if (p)
                pending_resolve(&d->pend, sim, p, (enum req_status)req->status, 0);
        }
    }
    req_reply(sim, req);
}

static void cdn_handle(struct comp *c, struct sim *sim, const struct sim_event *ev)
{
    struct cdn *d = c->state;
    struct request *req = ev->ptr;
    switch (ev->kind) {
    case EV_CDN_DONE:
        /* Event-driven: the worker is free once the edge's part is done. A request caught
         * at an edge that failed meanwhile goes to the origin instead. */
        station_release(&d->st, sim, ev->node);
        if (d->edges[ev->node].up)
            serve(c, sim, req);
        else
            bypass(c, sim, req);
        break;
    case EV_CDN_ENTER:
        enter(c, sim, req);
        break;
    case EV_CDN_OUT:
        req_call(sim, req, d->origin->index, REQ_ANY_NODE);
        break;
    default:
        SIM_ASSERT(ev->kind == EV_CDN_BACK);
        finish(c, sim, req);
        break;
    }
}

static void cdn_resume(struct comp *c, struct sim *sim, struct request *req)
{
    struct cdn *d = c->state;
    /* The origin's retry policy may call again (from the origin's front: the edge-to-origin
     * legs are paid once per fetch); misses coalesced on this fetch wait on. */
    if (req->status != REQ_OK && req_retry(sim, req, REQ_ANY_NODE))
        return;
    if (!d->delayed) {
        finish(c, sim, req);
        return;
    }
    struct frame *f = req_top(req);
    double t;
    memcpy(&t, &f->aux, sizeof t);
    struct sim_event ev = {.ptr = req, .target = c->index, .kind = EV_CDN_BACK, .node = f->node};
    sim_schedule(sim, t, &ev);
}

/* ---- topology -------------------------------------------------------------------------- */

/* Edges past the new count are gone (what they held with them); edges that join start cold
 * and working. The clients that change edge miss at their new one. */
static void scale(struct comp *c, struct sim *sim, uint32_t n)
{
    struct cdn *d = c->state;
    grow_edges(c, sim, n);
    for (uint32_t i = n; i < d->active; i++)
        reset_edge(&d->edges[i]);
    for (uint32_t i = d->active; i < n; i++)
        d->edges[i].up = 1;
    d->active = n;
}

/* A fail with no node takes every edge down; with a node, that edge. (A region's fail event
 * reaches the components placed in the region; a CDN with regions has no region of its own,
 * so its edge there is failed by index.) */
static int cdn_control(struct comp *c, struct sim *sim, const struct control *ctl,
                       struct sim_error *err)
{
    struct cdn *d = c->state;
    const struct cdn_cfg *cfg = c->config;
    if (ctl->action == CTL_SCALE) {
        if (cfg->edge_region)
            return sim_fail(err, c->spec->path,
                            "a CDN with \"regions\" has one edge per region; it cannot be scaled");
        if (strcmp(ctl->what, "edges") != 0 || ctl->nodes < 1)
            return sim_fail(err, c->spec->path, "a CDN scales by \"edges\" (at least 1)");
        scale(c, sim, (uint32_t)ctl->nodes);
        return 0;
    }
    if (ctl->node >= (int64_t)d->active || ctl->node < -1)
        return sim_fail(err, c->spec->path, "%s has no edge %lld", c->spec->id,
                        (long long)ctl->node);
    for (uint32_t i = 0; i < d->active; i++) {
        struct cdn_edge *e = &d->edges[i];
        if (ctl->node >= 0 && (uint32_t)ctl->node != i)
            continue;
        if (ctl->action == CTL_RECOVER) {
            e->up = 1; /* cold: it lost its content when it failed */
        } else if (e->up) {
            e->up = 0;
            reset_edge(e);
        }
    }
    return 0;
}

/* ---- figures --------------------------------------------------------------------------- */

static void store_totals(const struct cdn *d, uint64_t *evictions, uint64_t *expirations,
                         uint64_t *keys)
{
    *evictions = *expirations = *keys = 0;
    for (uint32_t i = 0; i < d->nedges; i++) {
        *evictions += d->edges[i].store.count.evictions;
        *expirations += d->edges[i].store.count.expirations;
        *keys += evict_size(&d->edges[i].store);
    }
}

static void cdn_sample(struct comp *c, struct sim *sim, struct comp_sample *out)
{
    struct cdn *d = c->state;
    station_sample(&d->st, sim->now, &out->util, &out->queue);
    /* The kernel's first call, at t = 0, decides whether the column exists. */
    if (!d->probed) {
        d->probed = 1;
        out->hit_ratio = 0;
    } else {
        out->hit_ratio = d->int_lookups ? (double)d->int_hits / (double)d->int_lookups : NAN;
    }
    d->int_hits = d->int_lookups = 0;
}

static void cdn_reset(struct comp *c, struct sim *sim)
{
    struct cdn *d = c->state;
    uint64_t keys;
    station_reset(&d->st, sim->now);
    d->hits = d->misses = d->coalesced = d->origin_requests = d->bypassed = d->passed = 0;
    for (uint32_t i = 0; i < d->nedges; i++) {
        struct cdn_edge *e = &d->edges[i];
        e->requests = e->hits = e->misses = e->bypassed = 0;
    }
    store_totals(d, &d->evict_base, &d->expire_base, &keys);
}

static uint32_t cdn_node_count(const struct comp *c)
{
    const struct cdn *d = c->state;
    return d->active;
}

static int cdn_node_up(const struct comp *c, uint32_t node)
{
    const struct cdn *d = c->state;
    return node < d->active && d->edges[node].up;
}

/* Per edge: the requests its workers took (bypassed ones are not among them) and its keys. */
static void cdn_node_stats(struct comp *c, struct sim *sim, uint32_t node, struct node_stats *out)
{
    struct cdn *d = c->state;
    station_node_stats(&d->st, sim->now, node, out);
    out->keys = evict_size(&d->edges[node].store);
}

static void add_ratio(cJSON *o, const char *name, double num, double den)
{
    if (den > 0)
        cJSON_AddNumberToObject(o, name, num / den);
    else
        cJSON_AddNullToObject(o, name);
}

static void cdn_report(struct comp *c, struct sim *sim, cJSON *out)
{
    struct cdn *d = c->state;
    const struct cdn_cfg *cfg = c->config;
    (void)sim;
    uint64_t ev, ex, keys;
    store_totals(d, &ev, &ex, &keys);
    add_ratio(out, "hit_ratio", (double)d->hits, (double)(d->hits + d->misses));
    cJSON_AddNumberToObject(out, "hits", (double)d->hits);
    cJSON_AddNumberToObject(out, "misses", (double)d->misses);
    cJSON_AddNumberToObject(out, "coalesced", (double)d->coalesced);
    cJSON_AddNumberToObject(out, "origin_requests", (double)d->origin_requests);
    add_ratio(out, "origin_offload", (double)c->requests - (double)d->origin_requests,
              (double)c->requests);
    cJSON_AddNumberToObject(out, "bypassed", (double)d->bypassed);
    cJSON_AddNumberToObject(out, "passed", (double)d->passed);
    cJSON_AddNumberToObject(out, "evictions", (double)(ev - d->evict_base));
    cJSON_AddNumberToObject(out, "expirations", (double)(ex - d->expire_base));
    cJSON_AddNumberToObject(out, "keys", (double)keys);
    cJSON_AddNumberToObject(out, "capacity", (double)cfg->capacity);
    if (cfg->capacity_bytes > 0)
        cJSON_AddNumberToObject(out, "capacity_bytes", cfg->capacity_bytes);
    cJSON_AddStringToObject(out, "eviction", evict_policy_names[cfg->eviction]);
    cJSON_AddStringToObject(out, "origin", d->origin->spec->id);
    cJSON_AddStringToObject(out, "routing", cfg->edge_region ? "region" : "client");
    cJSON *edges = cJSON_AddArrayToObject(out, "edges");
    for (uint32_t i = 0; i < d->active; i++) {
        const struct cdn_edge *e = &d->edges[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "edge", i);
        if (cfg->edge_region)
            cJSON_AddStringToObject(o, "region",
                                    c->world->sc->regions.names[cfg->edge_region[i] - 1]);
        cJSON_AddNumberToObject(o, "requests", (double)e->requests);
        cJSON_AddNumberToObject(o, "hits", (double)e->hits);
        cJSON_AddNumberToObject(o, "misses", (double)e->misses);
        cJSON_AddNumberToObject(o, "bypassed", (double)e->bypassed);
        add_ratio(o, "hit_ratio", (double)e->hits, (double)(e->hits + e->misses));
        cJSON_AddNumberToObject(o, "keys", (double)evict_size(&e->store));
        cJSON_AddBoolToObject(o, "up", e->up);
        cJSON_AddItemToArray(edges, o);
    }
}

static void cdn_free_state(struct comp *c)
{
    struct cdn *d = c->state;
    station_free(&d->st);
    for (uint32_t i = 0; i < d->nedges; i++) {
        evict_free(&d->edges[i].store);
        if (d->edges[i].rng)
            gsl_rng_free(d->edges[i].rng);
    }
    free(d->edges);
    if (d->rng_olat)
        gsl_rng_free(d->rng_olat);
    if (d->rng_region)
        gsl_rng_free(d->rng_region);
    pending_free(&d->pend);
}

const struct model_ops cdn_ops = {
    .name = "cdn",
    .help = "edge caches in front of an origin: per-client edges, eviction, TTL, coalesced "
            "fetches, fallback to the origin when an edge fails; event-driven",
    .params = cdn_params,
    .config_size = sizeof(struct cdn_cfg),
    .parse = cdn_parse,
    .edges = cdn_edges,
    .free_config = cdn_free_config,
    .estimate = cdn_estimate,
    .needs = cdn_needs,
    .state_size = sizeof(struct cdn),
    .start = cdn_start,
    .arrive = cdn_arrive,
    .resume = cdn_resume,
    .handle = cdn_handle,
    .control = cdn_control,
    .sample = cdn_sample,
    .reset_stats = cdn_reset,
    .node_count = cdn_node_count,
    .node_up = cdn_node_up,
    .node_stats = cdn_node_stats,
    .report = cdn_report,
    .free_state = cdn_free_state,
    .memory = cdn_memory,
};
