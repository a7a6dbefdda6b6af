/* The rate-limit object of scenarios: one parser (for the rate_limiter component, the inline
 * "rate_limit" of load balancers and services, and an external API's "quota") and one runtime
 * gate that admits or refuses (429) requests at the nodes of the component that holds it. */
#ifndef MODELS_RATELIMIT_H
#define MODELS_RATELIMIT_H

#include "models/limiter.h"
#include "sim/model.h"

#include <stddef.h>

/* Names in the order of enum limiter_algo / limiter_keying / limiter_sync_mode, NULL-ended
 * (the parameter tables' enum choices). */
extern const char *const ratelimit_algo_names[];
extern const char *const ratelimit_key_names[];
extern const char *const ratelimit_sync_names[];

/* The fields of a rate limit as the scenario gives them. Fields an algorithm does not use
 * must be absent (an error names them); store_latency and sync_interval may be given with any
 * sync mode, so that `--set ...sync=central` switches a scenario without other edits. */
struct ratelimit_cfg {
    int algorithm;             /* enum limiter_algo */
    int key;                   /* enum limiter_keying */
    int64_t capacity;          /* token bucket: tokens; leaky bucket: queue slots; 0: absent */
    double refill_rate;        /* token bucket: req/s; 0: absent */
    double leak_rate;          /* leaky bucket: req/s; 0: absent */
    int64_t limit;             /* window algorithms: requests per window; 0: absent */
    double window;             /* s; window algorithms; 0: absent */
    int log_rejected;          /* sliding_window_log: rejected requests enter the log too */
    int sync;                  /* enum limiter_sync_mode: how the holder's nodes count */
    struct dist store_latency; /* s; central: round trip to the shared store, per decision */
    double sync_interval;      /* s; eventual: how often the nodes exchange their counts */
    struct limiter_params lp;  /* derived by ratelimit_check */
};

/* The parameter-table entries of a rate limit, for a model whose config struct `type` holds
 * a struct ratelimit_cfg as member `m`: the rate_limiter component lists them among its own
 * fields, and the inline object is parsed with the same entries. (Kept out of clang-format,
 * which would put every member of an entry on its own line.) */
/* clang-format off */
#define RATELIMIT_PARAMS(type, m)                                                                  \
    {"algorithm", PT_ENUM, offsetof(type, m.algorithm), 0, 0, "\"fixed_window\"",                 \
     "rate-limit algorithm", ratelimit_algo_names, 0},                                            \
    {"key", PT_ENUM, offsetof(type, m.key), 0, 0, "\"global\"",                                   \
     "one limit for all traffic (global) or one per client id (client)", ratelimit_key_names, 0}, \
    {"capacity", PT_INT, offsetof(type, m.capacity), 1, 9007199254740992.0, NULL,                 \
     "token_bucket: tokens (the burst); leaky_bucket: queue slots", NULL, 0},                     \
    {"refill_rate", PT_NUMBER, offsetof(type, m.refill_rate), 1e-9, 1e12, NULL,                   \
     "token_bucket: tokens added per second", NULL, 0},                                           \
    {"leak_rate", PT_NUMBER, offsetof(type, m.leak_rate), 1e-9, 1e12, NULL,                       \
     "leaky_bucket: requests leaving the queue per second", NULL, 0},                             \
    {"limit", PT_INT, offsetof(type, m.limit), 1, 9007199254740992.0, NULL,                       \
     "fixed_window, sliding_window_log, sliding_window_counter: requests per window", NULL, 0},   \
    {"window", PT_DURATION, offsetof(type, m.window), 1e-9, 4.6e9, NULL,                          \
     "fixed_window, sliding_window_log, sliding_window_counter: the window", NULL, 0},            \
    {"log_rejected", PT_BOOL, offsetof(type, m.log_rejected), 0, 0, "true",                       \
     "sliding_window_log: log rejected requests too (the book's algorithm; false: admitted "      \
     "ones only)", NULL, 0},                                                                      \
    {"sync", PT_ENUM, offsetof(type, m.sync), 0, 0, "\"local\"",                                  \
     "how several nodes count: local (each alone), central (one shared store), eventual "         \
     "(exchange counts every sync_interval)", ratelimit_sync_names, 0},                           \
    {"store_latency", PT_DIST, offsetof(type, m.store_latency), 0, 0, "0",                        \
     "central: round trip to the shared counter store, paid by every decision", NULL, 0},         \
    {"sync_interval", PT_DURATION, offsetof(type, m.sync_interval), 1e-6, 1e9, "\"1s\"",          \
     "eventual: how often the nodes exchange their counts", NULL, 0}
/* clang-format on */

/* Checks a parsed rate limit (obj is the JSON object its fields came from: a field the
 * algorithm does not use is an error at path.FIELD) and derives cfg->lp. Returns 0 or -1. */
int ratelimit_check(struct ratelimit_cfg *cfg, const cJSON *obj, const char *path,
                    struct sim_error *err);
/* Parses an inline rate-limit object at path; when it has no "sync", sync_default applies.
 * On success *out is a new config the caller frees with ratelimit_cfg_free; on error *out is
 * NULL and err names the field. */
int ratelimit_parse(const cJSON *obj, const char *path, enum limiter_sync_mode sync_default,
                    struct ratelimit_cfg **out, struct sim_error *err);
void ratelimit_cfg_free(struct ratelimit_cfg *cfg);
/* NEEDS_CLIENTS when the limit is per client, else 0 (cfg may be NULL: no limit). */
unsigned ratelimit_needs(const struct ratelimit_cfg *cfg);
/* The most a limit lets through in the long run, in req/s: the refill or leak rate, or limit /
 * window; times `nodes` for local counting over that many nodes (one count each). Per client
 * limits apply to each client: the figure is per client. For back-of-envelope estimates. */
double ratelimit_sustained_rate(const struct ratelimit_cfg *cfg, uint32_t nodes);

/* The runtime gate. The holder calls ratelimit_arrive when a request reaches one of its nodes
 * (req_top(req)->node picked). A request the gate refuses ends there as 429: REQ_REJECTED,
 * counted in the holder's `rejected`, with req->retry_after set for the caller's retries.
 * An admitted request goes on at once, or after a wait (the central store's round trip, a
 * leaky bucket's departure time), in which case the gate later calls `pass` for it. The
 * gate's own events reach the holder with kind `kind`; the holder hands them to
 * ratelimit_handle. Counts per node cover every decision; a shadow limiter (one exact,
 * central, zero-latency limiter over the same arrivals) gives the over-admission. */
typedef void (*ratelimit_pass_fn)(struct comp *c, struct sim *sim, struct request *req);
struct ratelimit;

/* The caller frees the gate with ratelimit_free; cfg must outlive it. */
struct ratelimit *ratelimit_create(const struct ratelimit_cfg *cfg, struct comp *holder,
                                   struct sim *sim, uint32_t nodes, uint16_t kind,
                                   ratelimit_pass_fn pass);
void ratelimit_free(struct ratelimit *rl);
/* Returns 1 when the request is admitted now (the holder goes on), 0 when the gate has taken
 * it (refused and replied to, or held until pass). A request at a node that is down passes
 * without a decision: the holder's own checks fail it. */
int ratelimit_arrive(struct ratelimit *rl, struct sim *sim, struct request *req);
void ratelimit_handle(struct ratelimit *rl, struct sim *sim, const struct sim_event *ev);

/* Figures since the end of the warm-up (counted requests). */
struct ratelimit_counts {
    uint64_t arrivals; /* decisions asked for */
    uint64_t admitted;
    uint64_t rejected;       /* 429 */
    uint64_t exact_admitted; /* what the shadow limiter admitted of the same arrivals */
    uint64_t delayed;        /* admitted requests that waited (store round trip, leaky queue) */
    double delay_sum;        /* s, total wait of the admitted requests */
};
void ratelimit_counts(const struct ratelimit *rl, struct ratelimit_counts *out);
/* The same for one node (exact_admitted is 0: the shadow is not per node). */
void ratelimit_node_counts(const struct ratelimit *rl, uint32_t node, struct ratelimit_counts *out);
/* admitted / exact_admitted - 1: how far the nodes together admit beyond one exact limiter
 * (NaN when the shadow admitted nothing). */
double ratelimit_over_admission(const struct ratelimit *rl);
/* Adds (or replaces) members of out: algorithm, key, sync, admitted, rejected,
 * exact_admitted, over_admission, delayed, delay_mean_ms, limiter_nodes. */
void ratelimit_report(const struct ratelimit *rl, cJSON *out);

#endif
