/* The cache tier: event-driven key-value caches (eviction, TTL, write-through, write-around or
 * write-back to a backend), either one cluster sharded by key placement or a private sidecar
 * per caller node; concurrent misses coalesce into one backend call; scaling moves keys, which
 * are dropped or, with a migration, copied to their new owners by a stream of batches. */
#include "models/eviction.h"
#include "models/hitratio.h"
#include "models/migration.h"
#include "models/pending.h"
#include "models/sharding.h"
#include "sim/estimate.h"
#include "sim/limits.h"
#include "sim/scenario.h"
#include "sim/station.h"
#include "sim/world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { EV_CACHE_DONE = EV_MODEL, EV_CACHE_FLUSH, EV_CACHE_HOLD, EV_CACHE_MIGRATED };

enum cache_write { CW_THROUGH, CW_AROUND, CW_BACK };
static const char *const write_names[] = {"write_through", "write_around", "write_back", NULL};

enum cache_placement { CP_SHARED, CP_SIDECAR };
static const char *const placement_names[] = {"shared", "sidecar", NULL};

/* What a request below the cache is doing, kept in its frame's `step` so that the resume
 * knows what to do with the answer. */
enum cache_stage { CS_NONE, CS_FILL, CS_THROUGH, CS_AROUND, CS_PASS, CS_FLUSH };

struct cache_cfg {
    struct station_cfg st;
    struct dist service;
    int64_t capacity; /* entries per node */
    int eviction;     /* enum evict_policy */
    double ttl;       /* s; 0 = none */
    char *backend_id;
    int write_policy;   /* enum cache_write */
    double flush_after; /* s; write-back: a dirty entry is flushed this long after its first
                           unflushed write */
    const cJSON *sharding_json;
    const cJSON *hot_json;
    int placement; /* enum cache_placement */
    int coalesce;  /* concurrent misses for a key share one backend call */
    const cJSON *migration_json;
    /* Resolved by the parse hook. */
    int64_t backend; /* component index, or -1 for none */
    struct sharding_cfg sharding;
    uint64_t hot_keys;     /* keys 0 .. hot_keys-1 are replicated for reads; 0 = none */
    uint32_t hot_replicas; /* nodes that hold each of them */
    struct migration_cfg migration;
};

/* A write-back flush that is due: the key and the start of its dirty period. */
struct flush_rec {
    uint64_t key;
    double since; /* s */
};

struct cache_node {
    struct evict_store store;
    gsl_rng *rng; /* random eviction only */
    /* Due flushes in deadline order; each has one EV_CACHE_FLUSH event pending. */
    struct flush_rec *fq;
    uint32_t fq_head, fq_len, fq_cap;
    uint32_t caller_comp, caller_node; /* sidecar: whose private instance this is */
};

struct cache {
    struct station st;
    struct cache_node *nodes;
    uint32_t nnodes;         /* node records (never shrinks) */
    uint32_t active;         /* nodes that own keys */
    struct placement *place; /* over `active` nodes */
    uint32_t gen;            /* placement generation: changes at every scale */
    uint32_t rf;             /* replication factor */
    uint32_t hot_rr;         /* round robin of hot key reads over their replicas */
    struct comp *backend;    /* NULL: the cache is the store of record */
    const struct cache_cfg *cfg;
    int op_read, op_write;   /* workload op indexes, -1 when absent */
    double warmup;           /* s */
    /* Sidecar: per caller component (the client is the last slot) and caller node, the
     * instance index + 1 (0: none yet). */
    uint32_t **inst;
    uint32_t *ninst;
    uint32_t ncallers;
    struct pending_table pend; /* backend calls in progress, for coalescing */
    /* Figures after the warm-up. */
    uint64_t hits, misses, coalesced, backend_calls, flushes, flush_failures, lost_writes;
    uint64_t writes;
    uint64_t evict_base, expire_base; /* store counters at the end of the warm-up */
    /* The current metrics interval, warm-up included. */
    uint64_t int_hits, int_reads;
    int probed;  /* the kernel's first sample (at t = 0) has been answered */
    int instant; /* lookups take no time on unlimited workers: served on
                    arrival, without a service event */
    /* cache_prefetch: node 0's hash bucket of the next arrival's key. */
    uint32_t ahead_bucket;
    struct key_move *moves;
    size_t nmoves;
    /* The copy stream of the last scale (migration on): its plan, and the batch in flight,
     * positions [batch_from, batch_to) of the plan's order. */
    struct migration mig;
    struct mig_batch batch;
    size_t batch_from, batch_to;
    double item_size; /* bytes per key in the stream */
};

static const struct param_spec cache_params[] = {
    {"workers", PT_LIMIT, offsetof(struct cache_cfg, st.workers), 1, 1e9, "\"unlimited\"",
     "concurrent requests per node (event-driven: none is held while the backend answers)", NULL,
     0},
    {"queue", PT_LIMIT, offsetof(struct cache_cfg, st.queue), 0, 1e9, "\"unlimited\"",
     "waiting room per node; 0 = none", NULL, 0},
    {"service", PT_DIST, offsetof(struct cache_cfg, service), 0, 0, "0",
     "time of one lookup on a worker", NULL, 0},
    {"capacity", PT_INT, offsetof(struct cache_cfg, capacity), 0, (double)EVICT_MAX_CAPACITY, NULL,
     "keys per node (per instance for a sidecar)", NULL, PARAM_REQUIRED},
    {"eviction", PT_ENUM, offsetof(struct cache_cfg, eviction), 0, 0, "\"lru\"",
     "which key leaves a full node", evict_policy_names, 0},
    {"ttl", PT_DURATION, offsetof(struct cache_cfg, ttl), 0, 1e12, "0",
     "lifetime of an entry from its fill or write; an expired entry is a miss (0: none)", NULL, 0},
    {"backend", PT_STRING, offsetof(struct cache_cfg, backend_id), 0, 0, NULL,
     "id of the component called on a read miss, for writes and for other ops (none: misses "
     "are filled at once)",
     NULL, 0},
    {"write_policy", PT_ENUM, offsetof(struct cache_cfg, write_policy), 0, 0, "\"write_through\"",
     "write_through: backend, then update, reply after the ack; write_around: backend, then "
     "invalidate; write_back: update as dirty and reply at once, flush later",
     write_names, 0},
    {"flush_after", PT_DURATION, offsetof(struct cache_cfg, flush_after), 0, 1e12, "\"1s\"",
     "write_back: a dirty entry is flushed this long after its first unflushed write (or "
     "when it leaves the node)",
     NULL, 0},
    {"sharding", PT_JSON, offsetof(struct cache_cfg, sharding_json), 0, 0, NULL,
     "placement of keys over the nodes (default {\"scheme\": \"modulo\"}); replication_factor "
     "N writes to N nodes, reads and fills use the first working one",
     NULL, 0},
    {"hot_keys", PT_JSON, offsetof(struct cache_cfg, hot_json), 0, 0, NULL,
     "{\"keys\": K, \"replicas\": R}: the K hottest keys (0 .. K-1, the workload's most "
     "popular and its keys.hot) live on the key's next R distinct nodes; reads spread over "
     "them in turn, writes reach all (default: none)",
     NULL, 0},
    {"placement", PT_ENUM, offsetof(struct cache_cfg, placement), 0, 0, "\"shared\"",
     "shared: one cluster for all callers; sidecar: a private instance for every node of each "
     "caller",
     placement_names, 0},
    {"coalesce", PT_BOOL, offsetof(struct cache_cfg, coalesce), 0, 0, "true",
     "concurrent misses for a key wait for one backend call (false: each calls: a stampede)", NULL,
     0},
    {"migration", PT_JSON, offsetof(struct cache_cfg, migration_json), 0, 0, NULL,
     "{\"bandwidth\": \"100MB/s\", \"item_size\": \"1KiB\", \"batch\": 10}: at a scale, the "
     "keys that change owner are copied to their new node by one stream of batches at this "
     "total bandwidth (item_size bytes per key, default workload.object_size or 1KiB; batch "
     "keys per transfer, default 10), served by their old node until copied; each batch "
     "holds a worker on its source and its target for its transfer time (default: none: "
     "moved keys are dropped, cold misses)",
     NULL, 0},
    PARAM_END,
};

/* ---- configuration --------------------------------------------------------------------- */

/* "hot_keys": {"keys": K, "replicas": R}: hot key replication against a celebrity key. */
static int parse_hot(struct cache_cfg *cfg, const char *cpath, struct sim_error *err)
{
    char path[300], sub[300];
    const cJSON *h = cfg->hot_json;
    if (!h)
        return 0;
    path_member(path, sizeof path, cpath, "hot_keys");
    if (!cJSON_IsObject(h))
        return sim_fail(err, path, "must be an object such as {\"keys\": 1, \"replicas\": 4}");
    if (cfg->placement == CP_SIDECAR)
        return sim_fail(err, path, "a sidecar cache is private to its caller node: it has no "
                                   "nodes to replicate hot keys over");
    for (const cJSON *m = h->child; m; m = m->next)
        if (strcmp(m->string, "keys") != 0 && strcmp(m->string, "replicas") != 0)
            return sim_fail(err, path_member(sub, sizeof sub, path, m->string),
                            "unknown field \"%s\" (hot_keys has \"keys\" and \"replicas\")",
                            m->string);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "keys");
    path_member(sub, sizeof sub, path, "keys");
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
        v->valuedouble > 1e15)
        return sim_fail(err, sub, "must be a whole number from 1 to 1e15 (the hottest keys "
                                  "are 0 .. keys-1)");
    cfg->hot_keys = (uint64_t)v->valuedouble;
    v = cJSON_GetObjectItemCaseSensitive(h, "replicas");
    path_member(sub, sizeof sub, path, "replicas");
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
        v->valuedouble > 16)
        return sim_fail(err, sub, "must be a whole number from 1 to 16");
    cfg->hot_replicas = (uint32_t)v->valuedouble;
    return 0;
}

static int cache_parse(struct comp_spec *cs, const cJSON *obj, const struct scenario *sc,
                       struct sim_error *err)
{
    struct cache_cfg *cfg = cs->config;
    char path[300];
    cfg->backend = -1;
    if (cfg->backend_id) {
        int b = scenario_find(sc, cfg->backend_id);
        if (b < 0)
            return sim_fail(err, path_member(path, sizeof path, cs->path, "backend"),
                            "unknown component \"%s\"", cfg->backend_id);
        cfg->backend = b;
    }
    if (cfg->write_policy == CW_BACK && cfg->backend < 0)
        return sim_fail(err, path_member(path, sizeof path, cs->path, "write_policy"),
                        "write_back needs a \"backend\" to flush to");
    if (cfg->placement == CP_SIDECAR) {
        if (cJSON_GetObjectItemCaseSensitive(obj, "nodes"))
            return sim_fail(err, path_member(path, sizeof path, cs->path, "nodes"),
                            "a sidecar cache has one instance per caller node; drop \"nodes\"");
        if (cfg->sharding_json)
            return sim_fail(err, path_member(path, sizeof path, cs->path, "sharding"),
                            "a sidecar cache is private to its caller node: it has no sharding");
    }
    if (sharding_parse(cfg->sharding_json, path_member(path, sizeof path, cs->path, "sharding"),
                       &cfg->sharding, err))
        return -1;
    path_member(path, sizeof path, cs->path, "migration");
    if (migration_parse(cfg->migration_json, path, &cfg->migration, err))
        return -1;
    if (cfg->placement == CP_SIDECAR && cfg->migration.on)
        return sim_fail(err, path, "a sidecar cache is never scaled: it has nothing to migrate");
    return parse_hot(cfg, cs->path, err);
}

/* Placement and hits depend on keys; nothing depends on clients. */
static unsigned cache_needs(const struct comp_spec *cs)
{
    (void)cs;
    return NEEDS_KEYS;
}

static void cache_edges(const struct comp_spec *cs, void (*fn)(void *ctx, uint32_t to), void *ctx)
{
    const struct cache_cfg *cfg = cs->config;
    if (cfg->backend >= 0)
        fn(ctx, (uint32_t)cfg->backend);
}

/* ---- limits ---------------------------------------------------------------------------- */

struct caller_probe {
    uint32_t target;
    int calls;
};

static void probe_edge(void *ctx, uint32_t to)
{
    struct caller_probe *p = ctx;
    p->calls |= to == p->target;
}

/* Store instances at the run's peak: the nodes of a shared cache, or for a sidecar one per
 * node of every caller (and one for the clients when the workload enters here). */
static double cache_instances(const struct comp_spec *cs, const struct scenario *sc)
{
    const struct cache_cfg *cfg = cs->config;
    if (cfg->placement != CP_SIDECAR)
        return (double)limits_peak_nodes(sc, cs->index);
    double n = 0;
    for (size_t i = 0; i < sc->ncomp; i++) {
        struct caller_probe p = {cs->index, 0};
        if (sc->comps[i].ops->edges)
            sc->comps[i].ops->edges(&sc->comps[i], probe_edge, &p);
        if (p.calls)
            n += (double)limits_peak_nodes(sc, (uint32_t)i);
    }
    for (size_t op = 0; op < sc->wl.nops; op++)
        if (sc->wl.entry[op] == cs->index) {
            n += 1;
            break;
        }
    return n;
}

/* Every store is allocated whole when its node starts (evict_init), so the capacity counts in
 * full, plus the placement over the most nodes a scale reaches. */
static double cache_memory(const struct comp_spec *cs, const struct scenario *sc)
{
    const struct cache_cfg *cfg = cs->config;
    double per = LIMITS_NODE_BYTES +
                 evict_estimate_bytes((enum evict_policy)cfg->eviction, (uint64_t)cfg->capacity,
                                      cfg->ttl);
    double bytes = cache_instances(cs, sc) * per;
    if (cfg->placement != CP_SIDECAR)
        bytes += sharding_memory(&cfg->sharding, limits_peak_nodes(sc, cs->index));
    /* A migration plans over every stored key: a held copy (24 bytes), a plan item (16), its
     * place in the copy order (4, and 24 while sorted) and its flag (1). */
    if (cfg->migration.on)
        bytes += cache_instances(cs, sc) * (double)cfg->capacity * 69.0;
    return bytes;
}

static int cache_check(const struct comp_spec *cs, const struct scenario *sc, struct sim_error *err)
{
    const struct cache_cfg *cfg = cs->config;
    char path[300];
    if (cfg->placement == CP_SIDECAR)
        return 0;
    return sharding_check(&cfg->sharding, limits_peak_nodes(sc, cs->index),
                          path_member(path, sizeof path, cs->path, "sharding"), err);
}

struct caller_scan {
    uint32_t target;
    int calls;
};

static void caller_edge(void *ctx, uint32_t to)
{
    struct caller_scan *s = ctx;
    s->calls |= to == s->target;
}

/* A sidecar has one instance per node of each caller (the client counts as one node). */
static double sidecar_instances(const struct comp_spec *cs, const struct scenario *sc)
{
    double n = 0;
    for (size_t i = 0; i < sc->ncomp; i++) {
        struct caller_scan s = {cs->index, 0};
        if (sc->comps[i].ops->edges)
            sc->comps[i].ops->edges(&sc->comps[i], caller_edge, &s);
        n += s.calls ? (double)sc->comps[i].nodes : 0;
    }
    for (size_t op = 0; op < sc->wl.nops; op++)
        if (sc->wl.entry[op] == cs->index) {
            n += 1;
            break;
        }
    return n > 0 ? n : 1;
}

/* Reads reach the backend at the miss ratio (Che's approximation over the whole cluster's
 * entries: hashing splits the keys, not their popularity); writes through or around at their
 * rate; write-back flushes at most one per write, and nobody waits for them. */
static void cache_estimate(const struct comp_spec *cs, const struct scenario *sc,
                           struct est_comp *self)
{
    const struct cache_cfg *cfg = cs->config;
    self->workers = cfg->st.workers < 0 ? INFINITY : (double)cfg->st.workers;
    self->queue = cfg->st.queue < 0 ? INFINITY : (double)cfg->st.queue;
    self->service = cfg->service.mean;
    self->scv = cfg->service.scv;
    int read = scenario_op(sc, "read"), write = scenario_op(sc, "write");
    double cap = (double)cfg->capacity * (double)cs->nodes,
           reads = read >= 0 ? self->rate[read] : 0;
    if (cfg->placement == CP_SIDECAR) {
        /* Each instance holds `capacity` keys and sees the reads of one caller node. */
        self->nodes = (uint32_t)sidecar_instances(cs, sc);
        cap = (double)cfg->capacity;
        reads /= self->nodes;
    }
    double h = hitratio_irm(sc, cap, (enum evict_policy)cfg->eviction, reads, cfg->ttl);
    self->hit_ratio = h;
    snprintf(self->note, sizeof self->note, "hit ratio %.3f (%s, %.0f keys, %s)%s", h,
             cfg->eviction == EVICT_LFU ? "top keys" : "Che", cap, "the workload's popularity",
             cfg->eviction == EVICT_MRU ? "; mru as random, an upper bound" : "");
    if (cfg->backend < 0)
        return;
    for (size_t op = 0; op < sc->wl.nops; op++) {
        if ((int)op == read)
            est_call(self, (uint32_t)cfg->backend, op, self->rate[op] * (1 - h), 1 - h);
        else if ((int)op == write)
            est_call(self, (uint32_t)cfg->backend, op, self->rate[op],
                     cfg->write_policy == CW_BACK ? 0 : 1);
        else
            est_call(self, (uint32_t)cfg->backend, op, self->rate[op], 1);
    }
}

/* ---- nodes and placement --------------------------------------------------------------- */

/* Adds node records up to n, each with a cold store. */
static void grow_nodes(struct comp *c, struct sim *sim, uint32_t n)
{
    struct cache *k = c->state;
    const struct cache_cfg *cfg = c->config;
    if (n <= k->nnodes)
        return;
    k->nodes = sim_xrealloc(k->nodes, n * sizeof *k->nodes);
    for (uint32_t i = k->nnodes; i < n; i++) {
        struct cache_node *nd = &k->nodes[i];
        memset(nd, 0, sizeof *nd);
        if (cfg->eviction == EVICT_RANDOM)
            nd->rng = comp_rng(c, i, "evict");
        struct sim_error err = {0};
        /* The capacity and TTL were checked against the store's limits at load. */
        int rc = evict_init(&nd->store, (enum evict_policy)cfg->eviction, (uint64_t)cfg->capacity,
                            cfg->ttl, nd->rng, &err);
        if (rc)
            sim_error_print(&err);
        SIM_ASSERT(rc == 0);
    }
    k->nnodes = n;
    station_resize(&k->st, sim, n);
}

static struct placement *make_placement(const struct cache_cfg *cfg, uint32_t n)
{
    struct placement *p = NULL;
    struct sim_error err = {0};
    /* The parameters were checked at load; n >= 1 default-named nodes cannot fail. */
    int rc = placement_create(cfg->sharding.scheme, NULL, n, &cfg->sharding.params, &p, &err);
    if (rc)
        sim_error_print(&err);
    SIM_ASSERT(rc == 0);
    return p;
}

/* The nodes that hold a key under placement p over n nodes, primary first; returns the count. */
static uint32_t owners_in(const struct placement *p, uint32_t n, uint32_t rf, uint64_t key,
                          uint32_t *out)
{
    if (n == 1) {
        out[0] = 0;
        return 1;
    }
    uint64_t h = placement_hash_id(p, key);
    if (rf == 1) {
        out[0] = placement_lookup(p, h);
        return 1;
    }
    return (uint32_t)placement_lookup_n(p, h, out, rf < n ? rf : n);
}

/* Copies of a key: the replication factor, or more for a replicated hot key. */
static uint32_t key_rf(const struct cache *k, uint64_t key)
{
    const struct cache_cfg *cfg = k->cfg;
    if (key < cfg->hot_keys && cfg->hot_replicas > k->rf)
        return cfg->hot_replicas;
    return k->rf;
}

static uint32_t owners(const struct cache *k, uint64_t key, uint32_t *out)
{
    return owners_in(k->place, k->active, key_rf(k, key), key, out);
}

static int is_owner(const struct cache *k, uint32_t node, uint64_t key)
{
    uint32_t own[16];
    uint32_t n = owners(k, key, own);
    for (uint32_t i = 0; i < n; i++)
        if (own[i] == node)
            return 1;
    return 0;
}

/* The copies a write reaches from the node that handles it: the key's owners, or for a
 * sidecar that node alone (a private instance shares nothing). */
static uint32_t copies(const struct cache *k, uint32_t node, uint64_t key, uint32_t *out)
{
    if (!k->place) {
        out[0] = node;
        return 1;
    }
    /* A key in transit has one copy, on its old node, until the stream moves it. */
    if (k->mig.in_transit && (out[0] = migration_source(&k->mig, key)) != UINT32_MAX)
        return 1;
    return owners(k, key, out);
}

static int node_is_up(const struct cache *k, uint32_t node)
{
    return k->st.nodes[node].up;
}

/* Whether node 0 serves every key (one shared node, no scale in progress), so that arrivals
 * need no placement lookup. */
static int one_node(const struct cache *k, const struct cache_cfg *cfg)
{
    return cfg->placement != CP_SIDECAR && k->active == 1 && !k->mig.in_transit;
}

/* Where a request for the key goes: the first working owner, else the primary (which then
 * refuses it as failed). Reads of a replicated hot key take its working owners in turn. */
static uint32_t route(struct cache *k, uint64_t key, int read)
{
    uint32_t own[16];
    if (k->mig.in_transit && (own[0] = migration_source(&k->mig, key)) != UINT32_MAX)
        return own[0];
    uint32_t n = owners(k, key, own);
    if (read && key < k->cfg->hot_keys && n > 1) {
        uint32_t start = k->hot_rr++ % n;
        for (uint32_t i = 0; i < n; i++)
            if (node_is_up(k, own[(start + i) % n]))
                return own[(start + i) % n];
    }
    for (uint32_t i = 0; i < n; i++)
        if (node_is_up(k, own[i]))
            return own[i];
    return own[0];
}

/* Sidecar: the private instance of the request's caller node, made on first use. */
static uint32_t sidecar_instance(struct comp *c, struct sim *sim, struct request *req)
{
    struct cache *k = c->state;
    const struct frame *caller = &req->frames[req->depth - 2];
    uint32_t cc = caller->comp == SIM_KERNEL ? k->ncallers - 1 : caller->comp;
    uint32_t cn = caller->node;
    if (cn >= k->ninst[cc]) {
        uint32_t n = k->ninst[cc] ? 2 * k->ninst[cc] : 8;
        while (n <= cn)
            n *= 2;
        k->inst[cc] = sim_xrealloc(k->inst[cc], n * sizeof *k->inst[cc]);
        memset(k->inst[cc] + k->ninst[cc], 0, (n - k->ninst[cc]) * sizeof *k->inst[cc]);
        k->ninst[cc] = n;
    }
    if (!k->inst[cc][cn]) {
        uint32_t idx = k->nnodes;
        grow_nodes(c, sim, idx + 1);
        k->nodes[idx].caller_comp = caller->comp;
        k->nodes[idx].caller_node = cn;
        k->active = k->nnodes;
        k->inst[cc][cn] = idx + 1;
    }
    return k->inst[cc][cn] - 1;
}

/* ---- write-back ------------------------------------------------------------------------ */

/* Sends one flush of a key to the backend: a request of the cache's own, counted at the
 * backend, never end to end. */
static void spawn_flush(struct comp *c, struct sim *sim, uint32_t node, uint64_t key)
{
    struct cache *k = c->state;
    struct request *req = req_spawn(sim, c->index, node, key, (uint16_t)k->op_write);
    req_top(req)->step = CS_FLUSH;
    if (req->counted) {
        k->flushes++;
        k->backend_calls++;
    }
    req_call(sim, req, k->backend->index, REQ_ANY_NODE);
}

static int dirty_at(const struct cache *k, uint32_t node, uint64_t key)
{
    struct evict_item it;
    return evict_lookup(&k->nodes[node].store, key, &it) && it.dirty;
}

/* Another working owner of the key (not `node`) still holds it dirty, and so still owes
 * its flush. */
static int dirty_elsewhere(const struct cache *k, uint32_t node, uint64_t key)
{
    if (key_rf(k, key) == 1)
        return 0;
    uint32_t own[16];
    uint32_t n = owners(k, key, own);
    for (uint32_t i = 0; i < n; i++)
        if (own[i] != node && node_is_up(k, own[i]) && dirty_at(k, own[i], key))
            return 1;
    return 0;
}

/* An entry left a node (evicted or expired): a dirty one is written back unless another
 * copy will be. */
static void on_gone(struct comp *c, struct sim *sim, uint32_t node, const struct evict_victim *g)
{
    struct cache *k = c->state;
    if (g->reason == EVICT_NONE || !g->dirty)
        return;
    if (!dirty_elsewhere(k, node, g->key))
        spawn_flush(c, sim, node, g->key);
}

/* The flush of a key is due: every copy becomes clean and one flush goes to the backend. */
static void flush_key(struct comp *c, struct sim *sim, uint32_t node, uint64_t key)
{
    struct cache *k = c->state;
    uint32_t own[16];
    uint32_t n = copies(k, node, key, own);
    evict_mark_clean(&k->nodes[node].store, key);
    for (uint32_t i = 0; i < n; i++)
        if (own[i] != node)
            evict_mark_clean(&k->nodes[own[i]].store, key);
    spawn_flush(c, sim, node, key);
}

static void push_flush(struct comp *c, struct sim *sim, uint32_t node, uint64_t key, double since)
{
    const struct cache_cfg *cfg = c->config;
    struct cache_node *nd = &((struct cache *)c->state)->nodes[node];
    if (nd->fq_len == nd->fq_cap) {
        uint32_t cap = nd->fq_cap ? 2 * nd->fq_cap : 16;
        struct flush_rec *q = sim_xmalloc(cap * sizeof *q);
        for (uint32_t i = 0; i < nd->fq_len; i++)
            q[i] = nd->fq[(nd->fq_head + i) % nd->fq_cap];
        free(nd->fq);
        nd->fq = q;
        nd->fq_head = 0;
        nd->fq_cap = cap;
    }
    nd->fq[(nd->fq_head + nd->fq_len++) % nd->fq_cap] = (struct flush_rec){key, since};
    /* Deadlines grow with the write times and equal times run in schedule order, so the
     * events arrive in queue order: each takes the head. */
    struct sim_event ev = {.target = c->index, .kind = EV_CACHE_FLUSH, .node = node};
    sim_schedule_at(sim, since + cfg->flush_after, &ev);
}

static void on_flush_due(struct comp *c, struct sim *sim, uint32_t node)
{
    struct cache *k = c->state;
    struct cache_node *nd = &k->nodes[node];
    SIM_ASSERT(nd->fq_len > 0);
    struct flush_rec r = nd->fq[nd->fq_head];
    nd->fq_head = (nd->fq_head + 1) % nd->fq_cap;
    nd->fq_len--;
    struct evict_item it;
    /* Only the dirty period that scheduled this flush: it may have been flushed already (by
     * an eviction), lost with a failed node, or followed by a newer one with its own. */
    if (node_is_up(k, node) && evict_lookup(&nd->store, r.key, &it) && it.dirty &&
        it.dirty_since == r.since)
        flush_key(c, sim, node, r.key);
}

/* ---- store updates --------------------------------------------------------------------- */

static void fill(struct comp *c, struct sim *sim, uint32_t node, uint64_t key)
{
    struct cache *k = c->state;
    struct evict_victim gone;
    evict_put(&k->nodes[node].store, key, sim->now, 0, &gone);
    on_gone(c, sim, node, &gone);
}

/* A write reaches every working copy: clean after the backend's ack, or dirty (write-back),
 * where a new dirty period schedules its flush. */
static void write_copies(struct comp *c, struct sim *sim, uint32_t node, uint64_t key, int dirty)
{
    struct cache *k = c->state;
    uint32_t own[16];
    uint32_t n = copies(k, node, key, own);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = own[i];
        if (!node_is_up(k, j))
            continue;
        struct evict_store *s = &k->nodes[j].store;
        struct evict_item it;
        int was = dirty && evict_lookup(s, key, &it) && it.dirty && sim->now < it.expiry;
        struct evict_victim gone;
        evict_put(s, key, sim->now, dirty, &gone);
        on_gone(c, sim, j, &gone);
        if (dirty && !was && evict_lookup(s, key, &it) && it.dirty)
            push_flush(c, sim, j, key, it.dirty_since);
    }
}

static void invalidate_copies(struct cache *k, uint32_t node, uint64_t key)
{
    uint32_t own[16];
    uint32_t n = copies(k, node, key, own);
    for (uint32_t i = 0; i < n; i++)
        evict_remove(&k->nodes[own[i]].store, key, NULL);
}

/* ---- the request path ------------------------------------------------------------------ */

static int cache_start(struct comp *c, struct sim *sim)
{
    struct cache *k = c->state;
    const struct cache_cfg *cfg = c->config;
    struct world *w = c->world;
    k->op_read = world_op_index(w, "read");
    k->op_write = world_op_index(w, "write");
    k->warmup = world_warmup(w);
    k->backend = cfg->backend >= 0 ? &w->comps[cfg->backend] : NULL;
    k->rf = cfg->sharding.replication_factor;
    k->cfg = cfg;
    k->item_size = migration_item_size(&cfg->migration, w->sc->wl.object_size);
    k->instant = cfg->st.workers < 0 && cfg->service.kind == DIST_CONST && cfg->service.p[0] == 0;
    station_init(&k->st, c, &cfg->st, &cfg->service, 0, EV_CACHE_DONE, sim->now);
    if (cfg->placement == CP_SIDECAR) {
        k->ncallers = (uint32_t)w->ncomp + 1;
        k->inst = sim_xcalloc(k->ncallers, sizeof *k->inst);
        k->ninst = sim_xcalloc(k->ncallers, sizeof *k->ninst);
        k->rf = 1;
        return 0;
    }
    grow_nodes(c, sim, (uint32_t)c->spec->nodes);
    k->active = k->nnodes;
    k->place = make_placement(cfg, k->active);
    return 0;
}

static void call_backend(struct comp *c, struct sim *sim, struct request *req,
                         enum cache_stage stage)
{
    struct cache *k = c->state;
    struct frame *f = req_top(req);
    f->step = stage;
    f->aux = k->gen;
    k->backend_calls += req->counted;
    req_call(sim, req, k->backend->index, REQ_ANY_NODE);
}

/* Counts a read at the node and looks the key up; returns 1 on a hit. Without a backend a miss
 * is filled at once: one lookup does both. */
static SIM_HOT int lookup(struct comp *c, struct sim *sim, uint32_t node, uint64_t key, int counted)
{
    struct cache *k = c->state;
    struct evict_victim gone;
    k->int_reads++;
    struct evict_store *store = &k->nodes[node].store;
    if (k->backend ? evict_get(store, key, sim->now, &gone)
                   : evict_fetch(store, key, sim->now, &gone)) {
        k->int_hits++;
        k->hits += (unsigned)counted;
        return 1;
    }
    on_gone(c, sim, node, &gone);
    k->misses += (unsigned)counted;
    return 0;
}

/* Without a backend every op is done at once: a read fills on a miss, a write stores clean
 * copies, any other op is only answered. */
static SIM_HOT void serve_alone(struct comp *c, struct sim *sim, uint32_t node, uint16_t op,
                                uint64_t key, int counted)
{
    struct cache *k = c->state;
    if (op == k->op_read) {
        lookup(c, sim, node, key, counted);
    } else if (op == k->op_write) {
        k->writes += (unsigned)counted;
        write_copies(c, sim, node, key, 0);
    }
}

static SIM_HOT void do_read(struct comp *c, struct sim *sim, struct request *req, uint32_t node)
{
    struct cache *k = c->state;
    const struct cache_cfg *cfg = c->config;
    if (lookup(c, sim, node, req->key, req->counted)) {
        req_reply(sim, req);
        return;
    }
    if (cfg->coalesce) {
        struct pending *p = pending_find(&k->pend, node, req->key);
        if (p) {
            k->coalesced += req->counted;
            pending_add_waiter(p, req);
            return;
        }
        pending_insert(&k->pend, node, req->key);
    }
    call_backend(c, sim, req, CS_FILL);
}

static void do_write(struct comp *c, struct sim *sim, struct request *req, uint32_t node)
{
    struct cache *k = c->state;
    const struct cache_cfg *cfg = c->config;
    k->writes += req->counted;
    switch (cfg->write_policy) {
    case CW_THROUGH:
        call_backend(c, sim, req, CS_THROUGH);
        return;
    case CW_AROUND:
        call_backend(c, sim, req, CS_AROUND);
        return;
    default:
        write_copies(c, sim, node, req->key, 1);
        req_reply(sim, req);
        return;
    }
}

/* The lookup is done (its service time is over, or it takes none). */
static SIM_HOT void serve(struct comp *c, struct sim *sim, struct request *req, uint32_t node)
{
    struct cache *k = c->state;
    if (!k->backend) {
        serve_alone(c, sim, node, req->op, req->key, req->counted);
        req_reply(sim, req);
    } else if (req->op == k->op_read) {
        do_read(c, sim, req, node);
    } else if (req->op == k->op_write) {
        do_write(c, sim, req, node);
    } else {
        call_backend(c, sim, req, CS_PASS);
    }
}

/* The world's offer of a request with no request object (sim/model.h): taken when the way
 * through cache_arrive would be station_pass on a working node 0, then serve_alone. */
static int cache_answer(struct comp *c, struct sim *sim, uint16_t op, uint64_t key, int counted)
{
    struct cache *k = c->state;
    if (!k->instant || k->backend || !one_node(k, c->config) || !node_is_up(k, 0))
        return 0;
    station_pass(&k->st, 0);
    serve_alone(c, sim, 0, op, key, counted);
    return 1;
}

static void cache_arrive(struct comp *c, struct sim *sim, struct request *req)
{
    struct cache *k = c->state;
    const struct cache_cfg *cfg = c->config;
    struct frame *f = req_top(req);
    /* The key decides the node, whatever node the caller named. */
    f->node = one_node(k, cfg)               ? 0
              : cfg->placement == CP_SIDECAR ? sidecar_instance(c, sim, req)
                                             : route(k, req->key, req->op == k->op_read);
    /* Without a backend an instant cache answers every op before this returns. */
    enum station_result r = !k->instant ? station_arrive(&k->st, sim, f->node, req)
                            : k->backend ? station_enter(&k->st, f->node, req)
                                         : station_pass(&k->st, f->node);
    switch (r) {
    case STATION_REJECTED:
        c->rejected += req->counted;
        req_reply_status(sim, req, REQ_REJECTED);
        break;
    case STATION_DOWN:
        c->rejected += req->counted;
        req_reply_status(sim, req, REQ_FAILED);
        break;
    default:
        if (k->instant)
            serve(c, sim, req, f->node);
        break;
    }
}

/* In a single-node cache (the arrival path's node 0), the hash head of the key two arrivals
 * ahead, and the entry (and its list links) of the key one arrival ahead, whose head came in
 * at the last call: the lookup's dependent cache misses leave the request's path. */
static void cache_prefetch(struct comp *c, uint64_t key)
{
    struct cache *k = c->state;
    const struct cache_cfg *cfg = c->config;
    if (!one_node(k, cfg))
        return;
    const struct evict_store *s = &k->nodes[0].store;
    const void *links;
    const void *entry = evict_probe_entry(s, k->ahead_bucket, &links);
    if (entry) {
        __builtin_prefetch(entry);
        __builtin_prefetch(links, 1);
    }
    __builtin_prefetch(evict_probe_head(s, key, &k->ahead_bucket));
}

static void batch_held(struct comp *c, struct sim *sim, uint32_t node);
static void batch_done(struct comp *c, struct sim *sim);

static void cache_handle(struct comp *c, struct sim *sim, const struct sim_event *ev)
{
    struct cache *k = c->state;
    if (ev->kind == EV_CACHE_FLUSH) {
        on_flush_due(c, sim, ev->node);
        return;
    }
    if (ev->kind == EV_CACHE_HOLD) {
        batch_held(c, sim, ev->node);
        return;
    }
    if (ev->kind == EV_CACHE_MIGRATED) {
        batch_done(c, sim);
        return;
    }
    SIM_ASSERT(ev->kind == EV_CACHE_DONE);
    if (!station_alive(&k->st, ev->ptr)) {
        req_drop(sim, ev->ptr);
        return;
    }
    /* Event-driven: the worker is free once the lookup is done. */
    station_release(&k->st, sim, ev->node);
    serve(c, sim, ev->ptr, ev->node);
}

/* The fill goes to the node that served the read, unless a scale has since given the key
 * to another node (the fill would be unreachable there); the old node of a key in transit
 * still serves it. */
static int still_owner(const struct cache *k, const struct frame *f, uint64_t key)
{
    if (f->aux == k->gen && !k->mig.in_transit)
        return 1;
    if (f->node < k->active && is_owner(k, f->node, key))
        return 1;
    return migration_source(&k->mig, key) == f->node;
}

static void cache_resume(struct comp *c, struct sim *sim, struct request *req)
{
    struct cache *k = c->state;
    const struct cache_cfg *cfg = c->config;
    struct frame *f = req_top(req);
    if (f->step == CS_FLUSH) {
        if (req->status != REQ_OK && req_retry(sim, req, REQ_ANY_NODE))
            return;
        /* A flush the backend did not take is a write no copy holds any more. */
        if (req->status != REQ_OK && req->counted) {
            k->flush_failures++;
            k->lost_writes++;
        }
        req_free(sim, req);
        return;
    }
    if (!station_alive(&k->st, req)) {
        req_drop(sim, req); /* the node failed meanwhile; its waiters went with it */
        return;
    }
    /* The backend's retry policy may call again; misses coalesced on this call wait on. */
    if (req->status != REQ_OK && req_retry(sim, req, REQ_ANY_NODE))
        return;
    int ok = req->status == REQ_OK;
    switch (f->step) {
    case CS_FILL:
        if (ok && still_owner(k, f, req->key))
            fill(c, sim, f->node, req->key);
        if (cfg->coalesce) {
            struct pending *p = pending_find(&k->pend, f->node, req->key);
            if (p)
                pending_resolve(&k->pend, sim, p, (enum req_status)req->status, 0);
        }
        break;
    case CS_THROUGH:
        if (ok)
            write_copies(c, sim, f->node, req->key, 0);
        break;
    case CS_AROUND:
        invalidate_copies(k, f->node, req->key);
        break;
    default:
        break;
    }
    req_reply(sim, req);
}

/* ---- topology -------------------------------------------------------------------------- */

struct key_list {
    uint64_t *key;
    uint8_t *dirty;
    size_t n, cap;
};

static void collect(void *ctx, const struct evict_item *it)
{
    struct key_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->key = sim_xrealloc(l->key, l->cap * sizeof *l->key);
        l->dirty = sim_xrealloc(l->dirty, l->cap);
    }
    l->key[l->n] = it->key;
    l->dirty[l->n++] = (uint8_t)it->dirty;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Measures how many keys of an evenly spaced sample change their primary node. */
static void record_move(struct comp *c, struct sim *sim, const struct placement *np, uint32_t n_new)
{
    struct cache *k = c->state;
    const struct scenario *sc = c->world->sc;
    uint64_t count = sc->wl.key_count;
    uint64_t keys = count < sc->key_sample ? count : sc->key_sample;
    uint64_t moved = 0;
    double step = (double)count / (double)keys;
    for (uint64_t i = 0; i < keys; i++) {
        uint64_t key = (uint64_t)((double)i * step);
        uint32_t a, b;
        owners_in(k->place, k->active, 1, key, &a);
        owners_in(np, n_new, 1, key, &b);
        moved += a != b;
    }
    k->moves = sim_xrealloc(k->moves, (k->nmoves + 1) * sizeof *k->moves);
    k->moves[k->nmoves++] = (struct key_move){
        .at = sim->now, .before = k->active, .after = n_new, .keys = keys, .moved = moved};
}

/* ---- migration ------------------------------------------------------------------------ */

/* The record of the scale whose keys the stream copies: the last one. */
static struct key_move *mig_record(struct cache *k)
{
    return &k->moves[k->nmoves - 1];
}

/* A key of the plan is not copied: it leaves its old node (unless that node still owns it,
 * as a replica), written back first when dirty unless another copy still owes the flush, as a
 * scale without migration does. */
static void drop_item(struct comp *c, struct sim *sim, uint32_t idx)
{
    struct cache *k = c->state;
    const struct mig_item *it = &k->mig.item[idx];
    int dirty = 0;
    migration_settle(&k->mig, idx);
    mig_record(k)->dropped++;
    if (!node_is_up(k, it->src) || (it->src < k->active && is_owner(k, it->src, it->key)) ||
        !evict_remove(&k->nodes[it->src].store, it->key, &dirty))
        return;
    if (dirty && !dirty_elsewhere(k, UINT32_MAX, it->key)) {
        uint32_t own[16];
        owners(k, it->key, own);
        spawn_flush(c, sim, own[0], it->key);
    }
}

/* A key lands on its new owner: it leaves its old node (unless that node still owns it, as a
 * replica), a dirty entry flushed first (it arrives clean); a copy the new owner already has
 * (written there meanwhile) is kept. */
static void land_item(struct comp *c, struct sim *sim, uint32_t idx)
{
    struct cache *k = c->state;
    const struct mig_item *it = &k->mig.item[idx];
    struct evict_item e;
    int stays = it->src < k->active && is_owner(k, it->src, it->key);
    if (!stays && evict_lookup(&k->nodes[it->src].store, it->key, &e) && e.dirty)
        flush_key(c, sim, it->src, it->key);
    migration_settle(&k->mig, idx);
    if (!stays)
        evict_remove(&k->nodes[it->src].store, it->key, NULL);
    if (!evict_contains(&k->nodes[it->tgt].store, it->key, sim->now))
        fill(c, sim, it->tgt, it->key);
    mig_record(k)->migrated++;
}

/* Both workers are there (or a node failed): the batch is sent in bytes / bandwidth; one
 * whose node failed is lost at once. */
static void batch_send(struct comp *c, struct sim *sim)
{
    struct cache *k = c->state;
    double dt = 0;
    if (mig_batch_intact(&k->batch, &k->st) && !k->batch.stale) {
        double bytes = (double)k->batch.keys * k->item_size;
        mig_record(k)->bytes += bytes;
        dt = bytes / k->cfg->migration.bandwidth;
    }
    struct sim_event ev = {.target = c->index, .kind = EV_CACHE_MIGRATED};
    sim_schedule(sim, dt, &ev);
}

/* Starts the next batch of the stream: the waiting keys of one source and target that the
 * source still holds (the others are dropped), sent once it has a worker on both. A batch
 * towards a failed target is dropped at once (the connection is refused). With nothing left,
 * the migration ends. */
static void batch_start(struct comp *c, struct sim *sim)
{
    struct cache *k = c->state;
    size_t from, to;
    while (migration_next_batch(&k->mig, k->cfg->migration.batch_keys, &from, &to)) {
        const struct mig_item *first = &k->mig.item[k->mig.order[from]];
        uint32_t src = first->src, tgt = first->tgt, keys = 0;
        for (size_t i = from; i < to; i++) {
            uint32_t idx = k->mig.order[i];
            if (!k->mig.waiting[idx])
                continue;
            if (node_is_up(k, src) && node_is_up(k, tgt) &&
                evict_contains(&k->nodes[src].store, k->mig.item[idx].key, sim->now))
                keys++;
            else
                drop_item(c, sim, idx);
        }
        if (!keys)
            continue;
        k->batch_from = from;
        k->batch_to = to;
        if (mig_batch_begin(&k->batch, &k->st, sim, src, tgt, keys, EV_CACHE_HOLD))
            batch_send(c, sim);
        return;
    }
    mig_record(k)->end = sim->now;
}

/* A worker the batch waited for came, or its node failed: the batch is sent once it has
 * both. */
static void batch_held(struct comp *c, struct sim *sim, uint32_t node)
{
    struct cache *k = c->state;
    if (mig_batch_held(&k->batch, node))
        batch_send(c, sim);
}

/* The batch has been sent: its keys that the source still holds land on the target, unless
 * either node failed meanwhile (the batch is lost, its keys dropped). The workers go back,
 * and the next batch starts. A stale batch leaves the keys alone: the new plan has them. */
static void batch_done(struct comp *c, struct sim *sim)
{
    struct cache *k = c->state;
    int intact = mig_batch_end(&k->batch, &k->st, sim);
    for (size_t i = k->batch_from; i < k->batch_to && !k->batch.stale; i++) {
        uint32_t idx = k->mig.order[i];
        if (!k->mig.waiting[idx])
            continue;
        if (intact && evict_contains(&k->nodes[k->batch.src].store, k->mig.item[idx].key, sim->now))
            land_item(c, sim, idx);
        else
            drop_item(c, sim, idx);
    }
    k->batch.stale = 0;
    batch_start(c, sim);
}

/* A scale while the stream runs ends that migration now; the keys it had not copied yet are
 * still on their old nodes, so the new scale plans them again. A batch in flight finishes
 * (its workers are taken) without landing anything, and the new plan's stream follows it. */
static void migration_interrupt(struct cache *k, struct sim *sim)
{
    if (!k->batch.on)
        return;
    k->batch.stale = 1;
    mig_record(k)->end = sim->now;
}

/* A key held on a node at a scale, and whether the node still owns it. */
struct held_copy {
    uint64_t key;
    uint32_t node;
    int dirty;
    int owned;
};

static int cmp_held(const void *a, const void *b)
{
    const struct held_copy *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

/* A copy that a node no longer owns leaves it: a dirty one is written back first unless
 * another copy still owes the flush. */
static void remove_copy(struct comp *c, struct sim *sim, const struct held_copy *h)
{
    struct cache *k = c->state;
    evict_remove(&k->nodes[h->node].store, h->key, NULL);
    if (h->dirty && !dirty_elsewhere(k, UINT32_MAX, h->key)) {
        uint32_t own[16];
        owners(k, h->key, own);
        spawn_flush(c, sim, own[0], h->key);
    }
}

/* Plans the copies (the scale already installed the new placement; hv holds every key held
 * anywhere). A key whose new primary owner, which serves its reads, lacks it is copied there
 * once: from the lowest-numbered node that no longer owns it, else from the lowest-numbered
 * owner that holds it. Every other copy on a node that no longer owns the key is removed as
 * without migration. Then the stream starts. */
static void migration_begin(struct comp *c, struct sim *sim, struct held_copy *hv, size_t n)
{
    struct cache *k = c->state;
    struct mig_item *items = sim_xmalloc((n ? n : 1) * sizeof *items);
    size_t m = 0;
    qsort(hv, n, sizeof *hv, cmp_held);
    for (size_t g = 0, e; g < n; g = e) {
        uint32_t own[16];
        owners(k, hv[g].key, own);
        size_t src = g;
        int primary_holds = 0, leaving = 0;
        for (e = g; e < n && hv[e].key == hv[g].key; e++) {
            primary_holds |= hv[e].node == own[0];
            if (!hv[e].owned && !leaving) {
                leaving = 1;
                src = e;
            }
        }
        if (!primary_holds)
            items[m++] = (struct mig_item){hv[g].key, hv[src].node, own[0]};
        for (size_t i = g; i < e; i++)
            if (!hv[i].owned && (primary_holds || i != src))
                remove_copy(c, sim, &hv[i]);
    }
    migration_plan(&k->mig, items, m);
    struct key_move *rec = mig_record(k);
    rec->migrating = 1;
    rec->planned = m;
    rec->start = sim->now;
    rec->end = NAN;
    if (!k->batch.on)
        batch_start(c, sim);
}

/* A new node count: new nodes start cold, and every key a node no longer owns is removed from
 * it (a dirty one is written back, once per key, unless a copy that stays is still dirty), so
 * the keys that moved are misses at their new owners; with a migration they are copied
 * instead (migration_begin). */
static void scale(struct comp *c, struct sim *sim, uint32_t n_new)
{
    struct cache *k = c->state;
    const struct cache_cfg *cfg = c->config;
    int migrate = cfg->migration.on;
    if (migrate)
        migration_interrupt(k, sim);
    struct placement *np = make_placement(cfg, n_new);
    record_move(c, sim, np, n_new);
    grow_nodes(c, sim, n_new);
    struct key_list gone_dirty = {0};
    struct held_copy *lv = NULL;
    size_t nlv = 0, lv_cap = 0;
    /* Keys still in transit sit on nodes past the old count after a scale-in. */
    uint32_t scan = migrate ? k->nnodes : k->active;
    for (uint32_t j = 0; j < scan; j++) {
        struct key_list held = {0};
        evict_foreach(&k->nodes[j].store, collect, &held);
        for (size_t i = 0; i < held.n; i++) {
            uint32_t own[16];
            uint32_t n = owners_in(np, n_new, key_rf(k, held.key[i]), held.key[i], own), m = 0;
            while (m < n && own[m] != j)
                m++;
            if (migrate) {
                if (nlv == lv_cap) {
                    lv_cap = lv_cap ? 2 * lv_cap : 1024;
                    lv = sim_xrealloc(lv, lv_cap * sizeof *lv);
                }
                lv[nlv++] = (struct held_copy){held.key[i], j, held.dirty[i], m < n};
                continue;
            }
            if (m < n)
                continue;
            evict_remove(&k->nodes[j].store, held.key[i], NULL);
            if (held.dirty[i]) {
                struct evict_item it = {.key = held.key[i], .dirty = 1};
                collect(&gone_dirty, &it);
            }
        }
        free(held.key);
        free(held.dirty);
    }
    placement_free(k->place);
    k->place = np;
    k->active = n_new;
    k->gen++;
    if (migrate) {
        migration_begin(c, sim, lv, nlv);
        free(lv);
        return;
    }
    if (gone_dirty.n)
        qsort(gone_dirty.key, gone_dirty.n, sizeof *gone_dirty.key, cmp_u64);
    for (size_t i = 0; i < gone_dirty.n; i++) {
        uint64_t key = gone_dirty.key[i];
        if (i > 0 && gone_dirty.key[i - 1] == key)
            continue;
        uint32_t own[16];
        if (!dirty_elsewhere(k, UINT32_MAX, key)) {
            owners(k, key, own);
            spawn_flush(c, sim, own[0], key);
        }
    }
    free(gone_dirty.key);
    free(gone_dirty.dirty);
}

struct loss_scan {
    const struct cache *k;
    uint32_t node;
    uint64_t lost;
};

static void count_loss(void *ctx, const struct evict_item *it)
{
    struct loss_scan *ls = ctx;
    ls->lost += !dirty_elsewhere(ls->k, ls->node, it->key);
}

/* A failed node: what it held is gone (dirty entries without another dirty copy are lost
 * writes), the requests it holds fail, and so do the misses waiting for its backend calls. */
static void fail_node(struct comp *c, struct sim *sim, uint32_t node)
{
    struct cache *k = c->state;
    if (!node_is_up(k, node))
        return;
    struct loss_scan ls = {k, node, 0};
    evict_foreach_dirty(&k->nodes[node].store, count_loss, &ls);
    if (sim->now >= k->warmup)
        k->lost_writes += ls.lost;
    evict_clear(&k->nodes[node].store);
    /* Keys in transit from it are gone with it: their new owners will miss them. */
    if (k->mig.in_transit)
        mig_record(k)->dropped += migration_drop_source(&k->mig, node);
    station_fail(&k->st, sim, node);
    batch_held(c, sim, node); /* its worker is no longer waited for */
    /* The waiters were abandoned towards their callers by station_fail; the orphans left
     * here are discarded. */
    pending_resolve_node(&k->pend, sim, node, REQ_FAILED, 1);
}

static int cache_control(struct comp *c, struct sim *sim, const struct control *ctl,
                         struct sim_error *err)
{
    struct cache *k = c->state;
    const struct cache_cfg *cfg = c->config;
    if (ctl->action == CTL_SCALE) {
        if (cfg->placement == CP_SIDECAR)
            return sim_fail(err, c->spec->path,
                            "a sidecar cache follows its callers' nodes; it cannot be scaled");
        if (strcmp(ctl->what, "nodes") != 0 || ctl->nodes < 1)
            return sim_fail(err, c->spec->path, "a cache scales by \"nodes\" (at least 1)");
        scale(c, sim, (uint32_t)ctl->nodes);
        return 0;
    }
    if (ctl->node >= (int64_t)k->active || ctl->node < -1)
        return sim_fail(err, c->spec->path, "%s has no node %lld", c->spec->id,
                        (long long)ctl->node);
    for (uint32_t i = 0; i < k->active; i++)
        if (ctl->node < 0 || (uint32_t)ctl->node == i) {
            if (ctl->action == CTL_FAIL)
                fail_node(c, sim, i);
            else
                station_recover(&k->st, sim, i); /* it comes back cold */
        }
    return 0;
}

/* ---- figures --------------------------------------------------------------------------- */

static void store_totals(const struct cache *k, uint64_t *evictions, uint64_t *expirations,
                         uint64_t *keys)
{
    *evictions = *expirations = *keys = 0;
    for (uint32_t i = 0; i < k->nnodes; i++) {
        *evictions += k->nodes[i].store.count.evictions;
        *expirations += k->nodes[i].store.count.expirations;
        *keys += evict_size(&k->nodes[i].store);
    }
}

static void cache_sample(struct comp *c, struct sim *sim, struct comp_sample *out)
{
    struct cache *k = c->state;
    station_sample(&k->st, sim->now, &out->util, &out->queue);
    if (k->cfg->migration.on)
        out->in_transit = (double)k->mig.in_transit;
    /* The kernel's first call, at t = 0, decides whether the column exists. */
    if (!k->probed) {
        k->probed = 1;
        out->hit_ratio = 0;
    } else {
        out->hit_ratio = k->int_reads ? (double)k->int_hits / (double)k->int_reads : NAN;
    }
    k->int_hits = k->int_reads = 0;
}

static void cache_reset(struct comp *c, struct sim *sim)
{
    struct cache *k = c->state;
    uint64_t keys;
    station_reset(&k->st, sim->now);
    k->hits = k->misses = k->coalesced = k->backend_calls = k->flushes = 0;
    k->flush_failures = k->lost_writes = k->writes = 0;
    store_totals(k, &k->evict_base, &k->expire_base, &keys);
}

static uint32_t cache_node_count(const struct comp *c)
{
    const struct cache *k = c->state;
    return k->active;
}

static int cache_node_up(const struct comp *c, uint32_t node)
{
    const struct cache *k = c->state;
    return node < k->active && node_is_up(k, node);
}

static void cache_node_stats(struct comp *c, struct sim *sim, uint32_t node, struct node_stats *out)
{
    struct cache *k = c->state;
    station_node_stats(&k->st, sim->now, node, out);
    out->keys = evict_size(&k->nodes[node].store);
}

/* Where the workload's hottest keys live now: the node that serves them (all their nodes
 * when they are replicated) and the requests the workload made for them. */
static void report_hot(const struct cache *k, const struct hotkeys *hot, cJSON *arr)
{
    struct hotkey top[WORLD_HOT_REPORTED];
    size_t n = hotkeys_top(hot, top, WORLD_HOT_REPORTED);
    for (size_t i = 0; i < n; i++) {
        uint32_t own[16];
        uint32_t m = owners(k, top[i].key, own);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "key", (double)top[i].key);
        cJSON_AddNumberToObject(o, "node", own[0]);
        if (m > 1) {
            cJSON *nodes = cJSON_AddArrayToObject(o, "nodes");
            for (uint32_t j = 0; j < m; j++)
                cJSON_AddItemToArray(nodes, cJSON_CreateNumber(own[j]));
        }
        cJSON_AddNumberToObject(o, "requests", (double)top[i].count);
        cJSON_AddItemToArray(arr, o);
    }
}

static void cache_report(struct comp *c, struct sim *sim, cJSON *out)
{
    struct cache *k = c->state;
    const struct cache_cfg *cfg = c->config;
    (void)sim;
    uint64_t ev, ex, keys;
    store_totals(k, &ev, &ex, &keys);
    uint64_t reads = k->hits + k->misses;
    if (reads)
        cJSON_AddNumberToObject(out, "hit_ratio", (double)k->hits / (double)reads);
    else
        cJSON_AddNullToObject(out, "hit_ratio");
    cJSON_AddNumberToObject(out, "hits", (double)k->hits);
    cJSON_AddNumberToObject(out, "misses", (double)k->misses);
    cJSON_AddNumberToObject(out, "evictions", (double)(ev - k->evict_base));
    cJSON_AddNumberToObject(out, "expirations", (double)(ex - k->expire_base));
    cJSON_AddNumberToObject(out, "coalesced", (double)k->coalesced);
    cJSON_AddNumberToObject(out, "backend_calls", (double)k->backend_calls);
    cJSON_AddNumberToObject(out, "writes", (double)k->writes);
    cJSON_AddNumberToObject(out, "flushes", (double)k->flushes);
    cJSON_AddNumberToObject(out, "flush_failures", (double)k->flush_failures);
    cJSON_AddNumberToObject(out, "lost_writes", (double)k->lost_writes);
    cJSON_AddNumberToObject(out, "keys", (double)keys);
    cJSON_AddStringToObject(out, "eviction", evict_policy_names[cfg->eviction]);
    cJSON_AddStringToObject(out, "write_policy", write_names[cfg->write_policy]);
    cJSON_AddStringToObject(out, "placement", placement_names[cfg->placement]);
    if (cfg->placement == CP_SHARED) {
        cJSON_AddStringToObject(out, "sharding", placement_scheme_name(cfg->sharding.scheme));
    } else {
        /* Which caller node each sidecar instance (a node in per_node and nodes.csv) serves. */
        cJSON *inst = cJSON_AddArrayToObject(out, "instances");
        for (uint32_t i = 0; i < k->nnodes; i++) {
            const struct cache_node *nd = &k->nodes[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "node", i);
            cJSON_AddStringToObject(o, "caller",
                                    nd->caller_comp == SIM_KERNEL
                                        ? "client"
                                        : c->world->comps[nd->caller_comp].spec->id);
            cJSON_AddNumberToObject(o, "caller_node", nd->caller_node);
            cJSON_AddItemToArray(inst, o);
        }
    }
    if (k->place && c->world->hot)
        report_hot(k, c->world->hot, cJSON_AddArrayToObject(out, "hot_keys"));
    sharding_report_moves(out, k->moves, k->nmoves);
}

static void cache_free_state(struct comp *c)
{
    struct cache *k = c->state;
    station_free(&k->st);
    for (uint32_t i = 0; i < k->nnodes; i++) {
        evict_free(&k->nodes[i].store);
        if (k->nodes[i].rng)
            gsl_rng_free(k->nodes[i].rng);
        free(k->nodes[i].fq);
    }
    free(k->nodes);
    placement_free(k->place);
    for (uint32_t i = 0; i < k->ncallers; i++)
        free(k->inst[i]);
    free(k->inst);
    free(k->ninst);
    pending_free(&k->pend);
    free(k->moves);
    migration_free(&k->mig);
}

const struct model_ops cache_ops = {
    .name = "cache",
    .help = "a key-value cache tier: eviction, TTL, write policies, sharding or sidecar; "
            "event-driven",
    .params = cache_params,
    .config_size = sizeof(struct cache_cfg),
    .parse = cache_parse,
    .edges = cache_edges,
    .estimate = cache_estimate,
    .needs = cache_needs,
    .state_size = sizeof(struct cache),
    .start = cache_start,
    .arrive = cache_arrive,
    .resume = cache_resume,
    .handle = cache_handle,
    .control = cache_control,
    .sample = cache_sample,
    .reset_stats = cache_reset,
    .node_count = cache_node_count,
    .node_up = cache_node_up,
    .node_stats = cache_node_stats,
    .report = cache_report,
    .free_state = cache_free_state,
    .memory = cache_memory,
    .check = cache_check,
    .prefetch = cache_prefetch,
    .answer = cache_answer,
};
