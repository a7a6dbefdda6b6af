/* The rate-limit object: its one parser and checks, and the gate that takes the decisions at
 * a component's nodes (local, central with a store round trip, or eventual with periodic
 * syncs), delays leaky-bucket departures and keeps a shadow exact limiter for comparison. */
#include "models/ratelimit.h"

#include "sim/scenario.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const ratelimit_algo_names[] = {"token_bucket",           "leaky_bucket",
                                            "fixed_window",           "sliding_window_log",
                                            "sliding_window_counter", NULL};
const char *const ratelimit_key_names[] = {"global", "client", NULL};
const char *const ratelimit_sync_names[] = {"local", "central", "eventual", NULL};

/* The inline object's table: the shared entries over a bare struct ratelimit_cfg. */
struct ratelimit_wrap {
    struct ratelimit_cfg c;
};
static const struct param_spec ratelimit_params[] = {
    RATELIMIT_PARAMS(struct ratelimit_wrap, c),
    PARAM_END,
};

/* ---- parsing --------------------------------------------------------------------------- */

/* Which algorithms each algorithm-specific field belongs to (bit per enum limiter_algo). */
#define ALGO_BIT(a) (1u << (a))
#define BUCKETS (ALGO_BIT(LIMITER_TOKEN_BUCKET) | ALGO_BIT(LIMITER_LEAKY_BUCKET))
#define WINDOWS                                                                                    \
    (ALGO_BIT(LIMITER_FIXED_WINDOW) | ALGO_BIT(LIMITER_SLIDING_WINDOW_LOG) |                       \
     ALGO_BIT(LIMITER_SLIDING_WINDOW_COUNTER))

static const struct {
    const char *name;
    unsigned algos;
    const char *which; /* for the message */
} algo_fields[] = {
    {"capacity", BUCKETS, "token_bucket and leaky_bucket"},
    {"refill_rate", ALGO_BIT(LIMITER_TOKEN_BUCKET), "token_bucket"},
    {"leak_rate", ALGO_BIT(LIMITER_LEAKY_BUCKET), "leaky_bucket"},
    {"limit", WINDOWS, "the window algorithms"},
    {"window", WINDOWS, "the window algorithms"},
    {"log_rejected", ALGO_BIT(LIMITER_SLIDING_WINDOW_LOG), "sliding_window_log"},
};

int ratelimit_check(struct ratelimit_cfg *cfg, const cJSON *obj, const char *path,
                    struct sim_error *err)
{
    char sub[300];
    for (size_t i = 0; i < sizeof algo_fields / sizeof algo_fields[0]; i++)
        if (cJSON_GetObjectItemCaseSensitive(obj, algo_fields[i].name) &&
            !(algo_fields[i].algos & ALGO_BIT(cfg->algorithm)))
            return sim_fail(err, path_member(sub, sizeof sub, path, algo_fields[i].name),
                            "applies only to %s, not to %s", algo_fields[i].which,
                            ratelimit_algo_names[cfg->algorithm]);
    struct limiter_params *p = &cfg->lp;
    *p = (struct limiter_params){
        .algorithm = (enum limiter_algo)cfg->algorithm,
        .key = (enum limiter_keying)cfg->key,
        .capacity = (uint64_t)cfg->capacity,
        .rate = cfg->algorithm == LIMITER_TOKEN_BUCKET ? cfg->refill_rate : cfg->leak_rate,
        .limit = (uint64_t)cfg->limit,
        .window = cfg->window,
        .log_admitted_only = !cfg->log_rejected,
        .sync = (enum limiter_sync_mode)cfg->sync,
        .sync_interval = cfg->sync_interval,
    };
    /* A missing field reads as 0, which the limiter's own check refuses with a message that
     * names the field the algorithm needs. */
    return limiter_params_check(p, path, err);
}

int ratelimit_parse(const cJSON *obj, const char *path, enum limiter_sync_mode sync_default,
                    struct ratelimit_cfg **out, struct sim_error *err)
{
    *out = NULL;
    if (!cJSON_IsObject(obj))
        return sim_fail(err, path,
                        "must be an object such as {\"algorithm\": \"fixed_window\", "
                        "\"limit\": 100, \"window\": \"1s\"}");
    const struct param_spec *tab[] = {ratelimit_params, NULL};
    struct ratelimit_wrap *w = sim_xcalloc(1, sizeof *w);
    int rc = params_parse(tab, NULL, obj, w, path, err);
    if (!rc && !cJSON_GetObjectItemCaseSensitive(obj, "sync"))
        w->c.sync = (int)sync_default;
    if (!rc)
        rc = ratelimit_check(&w->c, obj, path, err);
    if (rc) {
        ratelimit_cfg_free(&w->c);
        return -1;
    }
    *out = &w->c;
    return 0;
}

void ratelimit_cfg_free(struct ratelimit_cfg *cfg)
{
    if (!cfg)
        return;
    const struct param_spec *tab[] = {ratelimit_params, NULL};
    params_free(tab, cfg);
    free(cfg);
}

unsigned ratelimit_needs(const struct ratelimit_cfg *cfg)
{
    return cfg && cfg->key == LIMITER_KEY_CLIENT ? NEEDS_CLIENTS : 0;
}

double ratelimit_sustained_rate(const struct ratelimit_cfg *cfg, uint32_t nodes)
{
    double r = cfg->algorithm == LIMITER_TOKEN_BUCKET   ? cfg->refill_rate
               : cfg->algorithm == LIMITER_LEAKY_BUCKET ? cfg->leak_rate
                                                        : (double)cfg->limit / cfg->window;
    return cfg->sync == LIMITER_SYNC_LOCAL ? r * (nodes ? nodes : 1) : r;
}

/* ---- the gate -------------------------------------------------------------------------- */

/* The gate's events, in the tag of the holder's event kind. */
enum { GATE_STORE, GATE_PASS, GATE_SYNC };

struct gate_node {
    struct limiter *lim; /* local and eventual: this node's own limiter */
    struct ratelimit_counts counts;
};

struct ratelimit {
    const struct ratelimit_cfg *cfg;
    struct comp *holder;
    uint16_t kind;
    ratelimit_pass_fn pass;
    uint32_t nnodes; /* node records (grows when the holder scales out) */
    struct gate_node *nodes;
    struct limiter *central;    /* central: the one shared store */
    struct limiter *shadow;     /* the exact reference over the same arrivals */
    struct limiter **sync_list; /* eventual: the node limiters, for limiter_sync */
    gsl_rng *rng;               /* store round trips */
    int store_zero;             /* central with a constant zero round trip: decide at once */
    uint64_t syncs;             /* eventual: sync rounds so far */
    struct ratelimit_counts counts;
};

static struct limiter *new_limiter(const struct ratelimit *rl, enum limiter_sync_mode sync)
{
    struct limiter_params p = rl->cfg->lp;
    p.sync = sync;
    struct limiter *l = NULL;
    struct sim_error err = {0};
    /* The parameters passed ratelimit_check at load, so creation cannot fail. */
    int rc = limiter_create(&p, rl->holder->spec->path, &l, &err);
    if (rc)
        sim_error_print(&err);
    SIM_ASSERT(rc == 0);
    return l;
}

/* Node records up to n; local and eventual nodes get their own limiter. */
static void ensure_nodes(struct ratelimit *rl, uint32_t n)
{
    if (n <= rl->nnodes)
        return;
    rl->nodes = sim_xrealloc(rl->nodes, n * sizeof *rl->nodes);
    enum limiter_sync_mode mode = (enum limiter_sync_mode)rl->cfg->sync;
    for (uint32_t i = rl->nnodes; i < n; i++) {
        rl->nodes[i] = (struct gate_node){0};
        if (mode != LIMITER_SYNC_CENTRAL)
            rl->nodes[i].lim = new_limiter(rl, mode);
    }
    if (mode == LIMITER_SYNC_EVENTUAL) {
        rl->sync_list = sim_xrealloc(rl->sync_list, n * sizeof *rl->sync_list);
        for (uint32_t i = 0; i < n; i++)
            rl->sync_list[i] = rl->nodes[i].lim;
    }
    rl->nnodes = n;
}

/* Syncs run on a fixed grid (k x interval), so that a long run does not drift. */
static void schedule_sync(struct ratelimit *rl, struct sim *sim)
{
    struct sim_event ev = {.target = rl->holder->index, .kind = rl->kind, .tag = GATE_SYNC};
    sim_schedule_at(sim, (double)(rl->syncs + 1) * rl->cfg->sync_interval, &ev);
}

struct ratelimit *ratelimit_create(const struct ratelimit_cfg *cfg, struct comp *holder,
                                   struct sim *sim, uint32_t nodes, uint16_t kind,
                                   ratelimit_pass_fn pass)
{
    struct ratelimit *rl = sim_xcalloc(1, sizeof *rl);
    rl->cfg = cfg;
    rl->holder = holder;
    rl->kind = kind;
    rl->pass = pass;
    rl->shadow = new_limiter(rl, LIMITER_SYNC_LOCAL);
    if (cfg->sync == LIMITER_SYNC_CENTRAL) {
        rl->central = new_limiter(rl, LIMITER_SYNC_CENTRAL);
        const struct dist *d = &cfg->store_latency;
        rl->store_zero = d->kind == DIST_CONST && d->p[0] == 0;
        if (!rl->store_zero)
            rl->rng = comp_rng(holder, 0, "rate_limit_store");
    }
    ensure_nodes(rl, nodes ? nodes : 1);
    if (cfg->sync == LIMITER_SYNC_EVENTUAL)
        schedule_sync(rl, sim);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (uint32_t i = 0; i < rl->nnodes; i++)
        limiter_free(rl->nodes[i].lim);
    free(rl->nodes);
    free(rl->sync_list);
    limiter_free(rl->central);
    limiter_free(rl->shadow);
    if (rl->rng)
        gsl_rng_free(rl->rng);
    free(rl);
}

static void count(struct ratelimit_counts *c, int admitted, double wait)
{
    if (admitted) {
        c->admitted++;
        c->delayed += wait > 0;
        c->delay_sum += wait;
    } else {
        c->rejected++;
    }
}

/* Takes the decision for req at node with limiter lim, now. Returns 1 when it goes on at
 * once; otherwise the gate has replied 429 or scheduled its departure. */
static int decide(struct ratelimit *rl, struct sim *sim, struct request *req, uint32_t node,
                  struct limiter *lim)
{
    double now = sim->now;
    /* Compared in whole ns, as the limiter decides: an idle leaky bucket's departure is the
     * arrival's own ns, which is no wait even when now lies between two ns. */
    int64_t now_ns = limiter_ns(now), depart_ns = now_ns;
    int ok = limiter_admit_ns(lim, req->client, now_ns, &depart_ns);
    int later = ok && depart_ns > now_ns;
    double depart = later ? (double)depart_ns * 1e-9 : now;
    /* The wait counts from the arrival at the node: it includes the store's round trip. */
    double arrived = req_top(req)->t_arrive;
    if (req->counted) {
        double wait = ok ? depart - arrived : 0;
        count(&rl->counts, ok, wait);
        count(&rl->nodes[node].counts, ok, wait);
    }
    if (!ok) {
        req->retry_after = (double)limiter_retry_after_ns(lim, req->client, now_ns) * 1e-9;
        rl->holder->rejected += req->counted;
        req_reply_status(sim, req, REQ_REJECTED);
        return 0;
    }
    if (later) {
        struct sim_event ev = {.ptr = req,
                               .target = rl->holder->index,
                               .kind = rl->kind,
                               .node = node,
                               .tag = GATE_PASS};
        sim_schedule_at(sim, depart, &ev);
        return 0;
    }
    return 1;
}

int ratelimit_arrive(struct ratelimit *rl, struct sim *sim, struct request *req)
{
    uint32_t node = req_top(req)->node;
    if (!rl->holder->ops->node_up(rl->holder, node))
        return 1;
    ensure_nodes(rl, node + 1);
    if (req->counted) {
        rl->counts.arrivals++;
        rl->nodes[node].counts.arrivals++;
    }
    if (limiter_admit(rl->shadow, req->client, sim->now, NULL))
        rl->counts.exact_admitted += req->counted;
    if (rl->cfg->sync != LIMITER_SYNC_CENTRAL)
        return decide(rl, sim, req, node, rl->nodes[node].lim);
    if (rl->store_zero)
        return decide(rl, sim, req, node, rl->central);
    /* The store applies each decision when the node hears back: with a constant round trip
     * that is the order of arrival, shifted by it. */
    struct sim_event ev = {
        .ptr = req, .target = rl->holder->index, .kind = rl->kind, .node = node, .tag = GATE_STORE};
    sim_schedule(sim, dist_sample(&rl->cfg->store_latency, rl->rng), &ev);
    return 0;
}

void ratelimit_handle(struct ratelimit *rl, struct sim *sim, const struct sim_event *ev)
{
    SIM_ASSERT(ev->kind == rl->kind);
    switch (ev->tag) {
    case GATE_SYNC:
        limiter_sync(rl->sync_list, rl->nnodes, sim->now);
        rl->syncs++;
        schedule_sync(rl, sim);
        return;
    case GATE_STORE:
        if (decide(rl, sim, ev->ptr, ev->node, rl->central))
            rl->pass(rl->holder, sim, ev->ptr);
        return;
    case GATE_PASS:
        rl->pass(rl->holder, sim, ev->ptr);
        return;
    default:
        SIM_ASSERT(!"unknown rate-limit gate event");
    }
}

/* ---- figures --------------------------------------------------------------------------- */

void ratelimit_counts(const struct ratelimit *rl, struct ratelimit_counts *out)
{
    *out = rl->counts;
}

void ratelimit_node_counts(const struct ratelimit *rl, uint32_t node, struct ratelimit_counts *out)
{
    *out = node < rl->nnodes ? rl->nodes[node].counts : (struct ratelimit_counts){0};
}

double ratelimit_over_admission(const struct ratelimit *rl)
{
    if (rl->counts.exact_admitted == 0)
        return NAN;
    return (double)rl->counts.admitted / (double)rl->counts.exact_admitted - 1;
}

/* Replaces a member the kernel may have written already (a rate_limiter's "rejected" is the
 * same figure), or adds it. */
static void put(cJSON *out, const char *name, cJSON *item)
{
    if (cJSON_GetObjectItemCaseSensitive(out, name))
        cJSON_ReplaceItemInObjectCaseSensitive(out, name, item);
    else
        cJSON_AddItemToObject(out, name, item);
}

static cJSON *num(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

void ratelimit_report(const struct ratelimit *rl, cJSON *out)
{
    const struct ratelimit_counts *c = &rl->counts;
    put(out, "algorithm", cJSON_CreateString(ratelimit_algo_names[rl->cfg->algorithm]));
    put(out, "key", cJSON_CreateString(ratelimit_key_names[rl->cfg->key]));
    put(out, "sync", cJSON_CreateString(ratelimit_sync_names[rl->cfg->sync]));
    put(out, "admitted", num((double)c->admitted));
    put(out, "rejected", num((double)c->rejected));
    put(out, "exact_admitted", num((double)c->exact_admitted));
    put(out, "over_admission", num(ratelimit_over_admission(rl)));
    put(out, "delayed", num((double)c->delayed));
    put(out, "delay_mean_ms", num(c->admitted ? c->delay_sum / (double)c->admitted * 1e3 : NAN));
    cJSON *per = cJSON_CreateArray();
    for (uint32_t i = 0; i < rl->nnodes; i++) {
        cJSON *n = cJSON_CreateObject();
        cJSON_AddNumberToObject(n, "node", i);
        cJSON_AddNumberToObject(n, "admitted", (double)rl->nodes[i].counts.admitted);
        cJSON_AddNumberToObject(n, "rejected", (double)rl->nodes[i].counts.rejected);
        cJSON_AddItemToArray(per, n);
    }
    put(out, "limiter_nodes", per);
}
