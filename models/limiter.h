/* Rate limiting: the five classic algorithms (token bucket, leaky bucket, fixed window, sliding
 * window log, sliding window counter), global or per client, with local, central and eventual
 * counting across load-balancer nodes. Pure algorithm: callers pass the current time. */
#ifndef MODELS_LIMITER_H
#define MODELS_LIMITER_H

#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"

/* Time. Every decision is taken on whole nanoseconds: a time in seconds is rounded to the
 * nearest ns (limiter_ns), which is exact for any time a double holds to 0.5 ns, i.e. below
 * about 2^52 ns = 52 days. Windows are whole ns (rounded). Rates are kept as an exact fraction
 * p/q req/s (the continued-fraction convergent of the given double within 1e-12 relative, with
 * q <= 1e9, so 0.1 is 1/10 and 1/3.0 is 1/3), and the token and leaky bucket states are kept
 * exactly in units of 1/p ns, so no error accumulates however long a run lasts. A refill or
 * departure instant that falls between two ns is resolved to the nearest ns (halves up): a
 * request whose rounded time equals the rounded instant is on time, and a bucket that became
 * full (token) or empty (leaky) within the request's ns did so at the request itself. So
 * arrivals at k / rate s, rounded to ns by the caller, meet tokens due at exactly k / rate s,
 * for ever. */

/* The algorithms, as Alex Xu's "Design a rate limiter" describes them:
 *   token bucket: starts full with `capacity` tokens, refilled continuously at `rate` up to
 *     capacity; a request takes one token or is rejected.
 *   leaky bucket: a FIFO of at most `capacity` requests drained at `rate`. A request holds its
 *     slot from arrival until 1/rate after it leaves; an idle bucket lets it leave at once.
 *     So a burst into an idle bucket admits exactly capacity, leaving at now, now + 1/rate,
 *     ..., and the admissions are those of a token bucket of the same capacity and rate.
 *   fixed window: admissions counted per window [k w, (k+1) w), aligned on t = 0.
 *   sliding window log: a request passes when fewer than `limit` logged times lie in
 *     (now - window, now]; see log_admitted_only for which times are logged.
 *   sliding window counter: the book's estimate (limiter_level) must be < limit.
 * The window counters count admitted requests only: a rejected request never got in. */
enum limiter_algo {
    LIMITER_TOKEN_BUCKET,           /* capacity, rate (refill) */
    LIMITER_LEAKY_BUCKET,           /* capacity (queue), rate (leak) */
    LIMITER_FIXED_WINDOW,           /* limit, window */
    LIMITER_SLIDING_WINDOW_LOG,     /* limit, window */
    LIMITER_SLIDING_WINDOW_COUNTER, /* limit, window */
    LIMITER_NALGOS
};

enum limiter_keying {
    LIMITER_KEY_GLOBAL, /* one state for all traffic; the client id is ignored */
    LIMITER_KEY_CLIENT, /* one state per client id, created when the id first appears */
    LIMITER_NKEYINGS
};

/* How several nodes (e.g. the nodes of a load balancer) count. The module does not schedule
 * the sync; it makes all three possible:
 *   local    each node owns a limiter and counts alone (n limiters; a spread of traffic over
 *            n nodes admits up to n times the limit);
 *   central  every node calls the same limiter (one shared store);
 *   eventual each node owns a limiter; every sync interval the caller runs limiter_sync over
 *            all of them, after which each node admits against its own count plus the sum of
 *            the other nodes' counts as of that sync (see limiter_sync for each algorithm). */
enum limiter_sync_mode {
    LIMITER_SYNC_LOCAL,
    LIMITER_SYNC_CENTRAL,
    LIMITER_SYNC_EVENTUAL,
    LIMITER_NSYNCS
};

/* The parameters of one limiter, as the scenario gives them. Fields that an algorithm does not
 * use are ignored; limiter_params_check says which ones each needs. */
struct limiter_params {
    enum limiter_algo algorithm;
    enum limiter_keying key;
    uint64_t capacity; /* token bucket: tokens (burst); leaky bucket: queue slots; >= 1 */
    double rate;       /* token bucket: refill, leaky bucket: leak; req/s, in [1e-9, 1e12] */
    uint64_t limit;    /* window algorithms: requests per window, >= 1 (log: < 2^32) */
    double window;     /* window algorithms: s, at least 1 ns */
    /* Sliding window log only. 0 (the default) is the book's algorithm: every request's
     * timestamp enters the log, rejected ones too, so a client that keeps sending faster than
     * the limit stays rejected until it slows down. 1 logs only admitted requests: exactly
     * "fewer than limit admissions in (now - window, now]". */
    int log_admitted_only;
    enum limiter_sync_mode sync; /* eventual: needs limiter_supports_eventual, and makes the
                                    limiter track what limiter_sync needs */
    double sync_interval;        /* s; eventual only, > 0; the caller schedules the syncs */
};

/* Opaque: one limiter (one node's, or the shared one). */
struct limiter;

/* Names as the scenario spells them ("token_bucket", "client", "eventual", ...). The parse
 * functions return 0 and set *out, or -1 for an unknown name. Names are static strings. */
int limiter_algo_parse(const char *name, enum limiter_algo *out);
const char *limiter_algo_name(enum limiter_algo a);
int limiter_keying_parse(const char *name, enum limiter_keying *out);
const char *limiter_keying_name(enum limiter_keying k);
int limiter_sync_parse(const char *name, enum limiter_sync_mode *out);
const char *limiter_sync_name(enum limiter_sync_mode m);

/* Eventual counting is defined for token_bucket, fixed_window and sliding_window_counter. A
 * leaky bucket is a queue in front of one node (its departures cannot be merged), and a log
 * would have to ship every timestamp; both are refused for eventual. */
int limiter_supports_eventual(enum limiter_algo a);

/* Checks p for its algorithm; on error returns -1 with err naming path.FIELD (path may be NULL
 * or empty for bare field names), else 0. */
int limiter_params_check(const struct limiter_params *p, const char *path, struct sim_error *err);

/* Builds an empty limiter (no key state until keys appear). Returns 0, or -1 with err filled
 * (as limiter_params_check) and *out = NULL. The caller frees *out with limiter_free. */
int limiter_create(const struct limiter_params *p, const char *path, struct limiter **out,
                   struct sim_error *err);
void limiter_free(struct limiter *l);

/* Seconds to whole ns, rounded to nearest; SIM_ASSERTs a finite value within +-2^62 ns. */
int64_t limiter_ns(double seconds);

/* Decides one request of `client` at time now (times must not decrease per limiter). Returns 1
 * if admitted, 0 if rejected (429). When depart is not NULL it receives, for an admitted
 * request, the time it leaves the bucket and should be forwarded: for the leaky bucket the
 * time its turn in the FIFO comes (now when the bucket is idle, later under a backlog), for
 * the other algorithms now. For a rejected request *depart is left alone. */
int limiter_admit(struct limiter *l, uint64_t client, double now, double *depart);
int limiter_admit_ns(struct limiter *l, uint64_t client, int64_t now_ns, int64_t *depart_ns);

/* How long from now until a request of `client` would be admitted, if no other request came
 * in between: 0 when one would be admitted now (for a Retry-After header). Never changes state.
 *   token, leaky: until one token has refilled / one queue slot has drained;
 *   fixed window: until the next window starts;
 *   log: until the oldest of the last `limit` logged timestamps leaves the window;
 *   counter: until the estimate (below) falls under the limit, which may be within the
 *   current window as the previous window's weight shrinks, or in a later window.
 * Admitting at now + limiter_retry_after_ns(...) succeeds; 1 ns earlier does not. */
double limiter_retry_after(const struct limiter *l, uint64_t client, double now);
int64_t limiter_retry_after_ns(const struct limiter *l, uint64_t client, int64_t now_ns);

/* The quantity the algorithm compares with its bound at time now, for reports and tests:
 * token bucket: tokens left (fractional; negative after an eventual debit); leaky bucket:
 * requests in the bucket; fixed window: admissions in the current window; log: logged
 * timestamps in (now - window, now], at most limit (only the last limit are kept, which is all
 * the decision needs); counter: the book's estimate
 *   cur + prev * (window - elapsed) / window,
 * with cur and prev the admissions in the current and previous windows (a request is admitted
 * when this is < limit, i.e. the estimate is rounded down, as in the book's example). Eventual
 * limiters include the other nodes' counts from the last sync. Never changes state. */
double limiter_level(const struct limiter *l, uint64_t client, double now);

/* Eventual counting: merges the counts of n limiters built from identical params with
 * sync = eventual (one per node; such limiters also list the keys they admit between syncs)
 * at time now, which must not precede any decision taken. Afterwards each node sees:
 *   token bucket: its bucket debited with the tokens every other node has taken since the
 *     previous sync (each node's bucket refills at the full rate and is drained by all the
 *     admissions in the cluster, its own at once and the others' at each sync; tokens may go
 *     below zero, and then the node waits for the refill);
 *   fixed window: admits when own count + the others' counts in the current window, as of
 *     this sync, is < limit (the others' counts are forgotten when the window changes);
 *   counter: the estimate over own counts + the others' current and previous window counts
 *     as of this sync (a later window change shifts them: current becomes previous).
 * A key admitted by any node is created on every node. With a sync right after every
 * decision, eventual counting admits exactly what one central limiter admits. A sync costs
 * O(n x keys admitted since the previous sync): untouched keys need no exchange. */
void limiter_sync(struct limiter *const *nodes, size_t n, double now);
void limiter_sync_ns(struct limiter *const *nodes, size_t n, int64_t now_ns);

const struct limiter_params *limiter_get_params(const struct limiter *l);
size_t limiter_keys(const struct limiter *l);   /* keys with state */
size_t limiter_memory(const struct limiter *l); /* bytes held (table, logs) */

#endif
