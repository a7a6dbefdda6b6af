/* Rate limiting: token and leaky buckets (one exact GCRA state each), fixed and sliding window
 * counters, and the sliding window log, per key in an open-addressing hash map, with the merge
 * that eventual counting across nodes needs. See limiter.h for the semantics. */
#include "models/limiter.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* Bucket times are kept in ticks of 1/num ns, which need more than 64 bits (a time in ns times
 * the rate's numerator). GCC and Clang provide 128-bit integers on every 64-bit target. */
__extension__ typedef __int128 lim_i128;
__extension__ typedef unsigned __int128 lim_u128;

#define NS_PER_S 1000000000LL
#define LIM_MAX_DEN 1000000000LL   /* rate denominators up to 1e9: rates down to 1e-9/s */
#define LIM_MAX_COUNT (1ULL << 53) /* capacities and limits a double holds exactly */
#define LIM_MAX_NS (1LL << 62)     /* times and windows: about 146 years */
#define LIM_RATE_MIN 1e-9          /* req/s */
#define LIM_RATE_MAX 1e12          /* req/s */
/* "Full since forever": below any reachable tick count (2^62 ns x 2^53 < 2^115). */
#define LIM_TAT_FULL (-((lim_i128)1 << 120))

/* One key's state. Buckets use the generic cell rate algorithm (GCRA): tat is the theoretical
 * arrival time, the instant the bucket would be full (token) or empty (leaky) again. A
 * request is conforming when tat - (capacity - 1) / rate <= now, which is exactly "at least
 * one token left" for a continuously refilled bucket of `capacity` tokens, and "fewer than
 * `capacity` requests queued" for a FIFO that leaks one request every 1/rate. */
struct lim_entry {
    uint64_t key; /* client id (0 for global keying) */
    uint16_t used;
    uint16_t dirty; /* eventual: admitted since the last sync, key listed in limiter.dirty */
    union {
        struct {
            lim_i128 tat;      /* ticks of 1/num ns */
            uint64_t unsynced; /* admissions since the last sync (eventual) */
        } b;
        struct {
            int64_t win;    /* index of the window cur counts (window = [win*w, (win+1)*w)) */
            uint64_t cur;   /* admissions in window win */
            uint64_t prev;  /* admissions in window win - 1 */
            int64_t rwin;   /* eventual: window index of the others' counts below */
            uint64_t rcur;  /* others' admissions in window rwin, as of the last sync */
            uint64_t rprev; /* others' admissions in window rwin - 1 */
        } w;
        struct {
            int64_t *ts;   /* ring of the last len logged times, ns, oldest at head */
            uint32_t cap;  /* slots allocated, grows by doubling up to limit */
            uint32_t head; /* index of the oldest */
            uint32_t len;  /* logged times held, <= limit */
        } log;
    } u;
};

/* Open addressing with linear probing; capacity a power of two, load kept under 0.7. */
struct lim_map {
    struct lim_entry *e;
    size_t cap; /* slots */
    size_t n;   /* used slots */
};

/* A growable array of 64-bit values (keys or slot indices). */
struct lim_vec {
    uint64_t *v;
    size_t n, cap;
};

static void vec_push(struct lim_vec *a, uint64_t x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->v = sim_xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = x;
}

struct limiter {
    struct limiter_params p;
    int64_t num; /* rate = num / den req/s; a tick is 1/num ns */
    int64_t den;
    lim_i128 period; /* ticks per token or per leaked request: den * 1e9 */
    lim_i128 tau;    /* ticks: (capacity - 1) * period, the burst tolerance */
    int64_t w_ns;    /* window, ns */
    struct lim_map map;
    struct lim_entry *global; /* global keying: the one entry, once created (never moves) */
    size_t log_bytes;         /* bytes of all log rings */
    /* Eventual counting: the keys admitted since the last sync, so that a sync costs
     * O(nodes x keys touched) rather than O(nodes x keys). */
    bool track;
    struct lim_vec dirty;
    /* limiter_sync's work space when this limiter is the first node: the sums per key and
     * the keys, then slots, they occupy. Kept between syncs to reuse the allocations. */
    struct lim_map scratch;
    struct lim_vec slots;
};

/* ---------------------------------------------------------------- names and parameters */

static const char *const algo_names[LIMITER_NALGOS] = {
    [LIMITER_TOKEN_BUCKET] = "token_bucket",
    [LIMITER_LEAKY_BUCKET] = "leaky_bucket",
    [LIMITER_FIXED_WINDOW] = "fixed_window",
    [LIMITER_SLIDING_WINDOW_LOG] = "sliding_window_log",
    [LIMITER_SLIDING_WINDOW_COUNTER] = "sliding_window_counter",
};
static const char *const keying_names[LIMITER_NKEYINGS] = {
    [LIMITER_KEY_GLOBAL] = "global",
    [LIMITER_KEY_CLIENT] = "client",
};
static const char *const sync_names[LIMITER_NSYNCS] = {
    [LIMITER_SYNC_LOCAL] = "local",
    [LIMITER_SYNC_CENTRAL] = "central",
    [LIMITER_SYNC_EVENTUAL] = "eventual",
};

static int name_index(const char *const *names, int n, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int limiter_algo_parse(const char *name, enum limiter_algo *out)
{
    int i = name_index(algo_names, LIMITER_NALGOS, name);
    if (i < 0)
        return -1;
    *out = (enum limiter_algo)i;
    return 0;
}

const char *limiter_algo_name(enum limiter_algo a)
{
    return (unsigned)a < LIMITER_NALGOS ? algo_names[a] : "?";
}

int limiter_keying_parse(const char *name, enum limiter_keying *out)
{
    int i = name_index(keying_names, LIMITER_NKEYINGS, name);
    if (i < 0)
        return -1;
    *out = (enum limiter_keying)i;
    return 0;
}

const char *limiter_keying_name(enum limiter_keying k)
{
    return (unsigned)k < LIMITER_NKEYINGS ? keying_names[k] : "?";
}

int limiter_sync_parse(const char *name, enum limiter_sync_mode *out)
{
    int i = name_index(sync_names, LIMITER_NSYNCS, name);
    if (i < 0)
        return -1;
    *out = (enum limiter_sync_mode)i;
    return 0;
}

const char *limiter_sync_name(enum limiter_sync_mode m)
{
    return (unsigned)m < LIMITER_NSYNCS ? sync_names[m] : "?";
}

int limiter_supports_eventual(enum limiter_algo a)
{
    return a == LIMITER_TOKEN_BUCKET || a == LIMITER_FIXED_WINDOW ||
           a == LIMITER_SLIDING_WINDOW_COUNTER;
}

static int is_bucket(enum limiter_algo a)
{
    return a == LIMITER_TOKEN_BUCKET || a == LIMITER_LEAKY_BUCKET;
}

static int field_fail(struct sim_error *err, const char *path, const char *field, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

/* Reports an error at path.field (or field alone when path is empty). */
static int field_fail(struct sim_error *err, const char *path, const char *field, const char *fmt,
                      ...)
{
    char where[512];
    if (path && *path)
        snprintf(where, sizeof where, "%s.%s", path, field);
    else
        snprintf(where, sizeof where, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    int rc = sim_vfail(err, where, fmt, ap);
    va_end(ap);
    return rc;
}

int limiter_params_check(const struct limiter_params *p, const char *path, struct sim_error *err)
{
    if ((unsigned)p->algorithm >= LIMITER_NALGOS)
        return field_fail(err, path, "algorithm", "unknown rate-limit algorithm");
    if ((unsigned)p->key >= LIMITER_NKEYINGS)
        return field_fail(err, path, "key", "key must be \"global\" or \"client\"");
    if ((unsigned)p->sync >= LIMITER_NSYNCS)
        return field_fail(err, path, "sync", "sync must be \"local\", \"central\" or \"eventual\"");
    const char *algo = algo_names[p->algorithm];
    if (is_bucket(p->algorithm)) {
        if (p->capacity < 1 || p->capacity > LIM_MAX_COUNT)
            return field_fail(err, path, "capacity", "%s needs a capacity from 1 to 2^53", algo);
        const char *rate = p->algorithm == LIMITER_TOKEN_BUCKET ? "refill_rate" : "leak_rate";
        if (!isfinite(p->rate) || p->rate < LIM_RATE_MIN || p->rate > LIM_RATE_MAX)
            return field_fail(err, path, rate, "%s needs a %s from 1e-9 to 1e12 per second", algo,
                              rate);
    } else {
        uint64_t max = p->algorithm == LIMITER_SLIDING_WINDOW_LOG ? UINT32_MAX : LIM_MAX_COUNT;
        if (p->limit < 1 || p->limit > max)
            return field_fail(err, path, "limit", "%s needs a limit from 1 to %llu", algo,
                              (unsigned long long)max);
        if (!isfinite(p->window) || !(p->window * 1e9 >= 0.5) ||
            p->window * 1e9 > (double)LIM_MAX_NS)
            return field_fail(err, path, "window", "%s needs a window from 1ns to 146 years", algo);
    }
    if (p->sync == LIMITER_SYNC_EVENTUAL) {
        if (!limiter_supports_eventual(p->algorithm))
            return field_fail(err, path, "sync",
                              "eventual sync works with token_bucket, fixed_window and "
                              "sliding_window_counter, not %s",
                              algo);
        if (!isfinite(p->sync_interval) || !(p->sync_interval > 0))
            return field_fail(err, path, "sync_interval",
                              "eventual sync needs a sync_interval > 0");
    }
    return 0;
}

/* The rate as num/den: the last continued-fraction convergent with den <= 1e9 (stopping as
 * soon as one is within 1e-12 relative), so decimal and simple fractional rates are exact. */
static void rate_fraction(double rate, int64_t *num, int64_t *den)
{
    lim_i128 h0 = 0, h1 = 1, k0 = 1, k1 = 0;
    double x = rate;
    for (int i = 0; i < 64; i++) {
        double a = floor(x);
        if (a > 1e18)
            break;
        lim_i128 ai = (lim_i128)a;
        lim_i128 h2 = ai * h1 + h0, k2 = ai * k1 + k0;
        if (k2 > LIM_MAX_DEN || h2 > (lim_i128)LIM_MAX_COUNT)
            break;
        h0 = h1, h1 = h2, k0 = k1, k1 = k2;
        if (h1 > 0 && fabs((double)h1 / (double)k1 - rate) <= 1e-12 * rate)
            break;
        double frac = x - a;
        if (frac <= 0)
            break;
        x = 1 / frac;
    }
    SIM_ASSERT(k1 > 0 && h1 > 0);
    *num = (int64_t)h1;
    *den = (int64_t)k1;
}

int64_t limiter_ns(double seconds)
{
    double x = seconds * 1e9;
    SIM_ASSERT(isfinite(x) && fabs(x) <= (double)LIM_MAX_NS);
    return llround(x);
}

/* ---------------------------------------------------------------- the hash map */

static size_t map_slot(const struct lim_map *m, uint64_t key)
{
    return (size_t)XXH3_64bits(&key, sizeof key) & (m->cap - 1);
}

static struct lim_entry *map_find(const struct lim_map *m, uint64_t key)
{
    if (m->n == 0)
        return NULL;
    for (size_t i = map_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
        struct lim_entry *e = &m->e[i];
        if (!e->used)
            return NULL;
        if (e->key == key)
            return e;
    }
}

static void map_grow(struct lim_map *m)
{
    struct lim_entry *old = m->e;
    size_t oldcap = m->cap;
    m->cap = oldcap ? 2 * oldcap : 16;
    m->e = sim_xcalloc(m->cap, sizeof *m->e);
    for (size_t j = 0; j < oldcap; j++) {
        if (!old[j].used)
            continue;
        size_t i = map_slot(m, old[j].key);
        while (m->e[i].used)
            i = (i + 1) & (m->cap - 1);
        m->e[i] = old[j];
    }
    free(old);
}

/* The entry for key, inserted zeroed (used, key set) when absent; *created says which. Entry
 * pointers stay valid until the next insertion. */
static struct lim_entry *map_get(struct lim_map *m, uint64_t key, int *created)
{
    struct lim_entry *e = map_find(m, key);
    *created = 0;
    if (e)
        return e;
    if (10 * (m->n + 1) > 7 * m->cap)
        map_grow(m);
    size_t i = map_slot(m, key);
    while (m->e[i].used)
        i = (i + 1) & (m->cap - 1);
    e = &m->e[i];
    memset(e, 0, sizeof *e);
    e->used = 1;
    e->key = key;
    m->n++;
    *created = 1;
    return e;
}

/* ---------------------------------------------------------------- create and free */

int limiter_create(const struct limiter_params *p, const char *path, struct limiter **out,
                   struct sim_error *err)
{
    *out = NULL;
    if (limiter_params_check(p, path, err) != 0)
        return -1;
    struct limiter *l = sim_xcalloc(1, sizeof *l);
    l->p = *p;
    l->track = p->sync == LIMITER_SYNC_EVENTUAL;
    if (is_bucket(p->algorithm)) {
        rate_fraction(p->rate, &l->num, &l->den);
        l->period = (lim_i128)l->den * NS_PER_S;
        l->tau = (lim_i128)(p->capacity - 1) * l->period;
    } else {
        l->w_ns = limiter_ns(p->window);
    }
    *out = l;
    return 0;
}

void limiter_free(struct limiter *l)
{
    if (!l)
        return;
    if (l->p.algorithm == LIMITER_SLIDING_WINDOW_LOG)
        for (size_t i = 0; i < l->map.cap; i++)
            if (l->map.e[i].used)
                free(l->map.e[i].u.log.ts);
    free(l->map.e);
    free(l->scratch.e);
    free(l->dirty.v);
    free(l->slots.v);
    free(l);
}

const struct limiter_params *limiter_get_params(const struct limiter *l)
{
    return &l->p;
}

size_t limiter_keys(const struct limiter *l)
{
    return l->map.n;
}

size_t limiter_memory(const struct limiter *l)
{
    return sizeof *l + (l->map.cap + l->scratch.cap) * sizeof(struct lim_entry) + l->log_bytes +
           (l->dirty.cap + l->slots.cap) * sizeof(uint64_t);
}

/* ---------------------------------------------------------------- arithmetic helpers */

static int64_t floor_div64(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static lim_i128 floor_div128(lim_i128 a, lim_i128 b)
{
    lim_i128 q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static lim_u128 ceil_divu(lim_u128 a, lim_u128 b)
{
    return a / b + (a % b != 0);
}

static lim_i128 ticks(const struct limiter *l, int64_t ns)
{
    return (lim_i128)ns * l->num;
}

/* The ns nearest to a tick count, halves up: floor(x + 1/2). */
static int64_t round_ns(const struct limiter *l, lim_i128 x)
{
    return (int64_t)floor_div128(2 * x + l->num, 2 * (lim_i128)l->num);
}

/* Is the instant x (ticks) reached at now_ns? True when round_ns(x) <= now, i.e. x < now + 1/2
 * ns: times are resolved to the ns (limiter.h). */
static bool reached(const struct limiter *l, lim_i128 x, int64_t now_ns)
{
    return 2 * x < 2 * ticks(l, now_ns) + l->num;
}

/* Where the bucket's clock stands for a request or debit at now_ns: tat when the bucket is
 * busy, now when it has been full (token) or empty (leaky) since before now. An instant in the
 * same ns as now counts as now itself, so tat is kept then: taking the arrival's rounded time
 * instead would shift every later refill by up to 1/2 ns, and on arrivals at k / rate s that
 * drift adds up until on-time requests fail. */
static lim_i128 busy_until(const struct limiter *l, lim_i128 tat, int64_t now_ns)
{
    lim_i128 t = ticks(l, now_ns);
    return 2 * tat >= 2 * t - l->num ? tat : t;
}

/* Window counts as they stand in window w: a count of window w-1 becomes previous, older ones
 * vanish. The caller's times never decrease, so w is never before win. */
static void align(int64_t win, uint64_t cur, uint64_t prev, int64_t w, uint64_t *c, uint64_t *pv)
{
    if (win == w) {
        *c = cur, *pv = prev;
    } else if (win == w - 1) {
        *c = 0, *pv = cur;
    } else {
        *c = 0, *pv = 0;
    }
}

static void roll(struct lim_entry *e, int64_t w)
{
    SIM_ASSERT(e->u.w.win <= w || (e->u.w.cur == 0 && e->u.w.prev == 0));
    align(e->u.w.win, e->u.w.cur, e->u.w.prev, w, &e->u.w.cur, &e->u.w.prev);
    e->u.w.win = w;
}

/* Own plus the others' (last sync) counts in window w, without changing e. */
static void merged(const struct lim_entry *e, int64_t w, uint64_t *c, uint64_t *pv)
{
    uint64_t oc, op, rc, rp;
    align(e->u.w.win, e->u.w.cur, e->u.w.prev, w, &oc, &op);
    align(e->u.w.rwin, e->u.w.rcur, e->u.w.rprev, w, &rc, &rp);
    *c = oc + rc;
    *pv = op + rp;
}

/* The sliding-window-counter test cur + prev * (w - e) / w < limit, in integers:
 * cur * w + prev * (w - e) < limit * w. Counts stay below 2^64 and w below 2^62. */
static bool counter_below(const struct limiter *l, uint64_t cur, uint64_t prev, int64_t e)
{
    lim_u128 w = (lim_u128)l->w_ns;
    return (lim_u128)cur * w + (lim_u128)prev * (w - (lim_u128)e) < (lim_u128)l->p.limit * w;
}

static void entry_init(const struct limiter *l, struct lim_entry *e)
{
    if (is_bucket(l->p.algorithm))
        e->u.b.tat = LIM_TAT_FULL;
}

static struct lim_entry *entry_get(struct limiter *l, uint64_t client)
{
    if (l->p.key == LIMITER_KEY_GLOBAL) {
        if (l->global)
            return l->global;
        client = 0;
    }
    int created;
    struct lim_entry *e = map_get(&l->map, client, &created);
    if (created)
        entry_init(l, e);
    if (l->p.key == LIMITER_KEY_GLOBAL)
        l->global = e; /* the only key, so the table never grows past it */
    return e;
}

static const struct lim_entry *entry_find(const struct limiter *l, uint64_t client)
{
    if (l->p.key == LIMITER_KEY_GLOBAL)
        return l->global;
    return map_find(&l->map, client);
}

static void mark_dirty(struct limiter *l, struct lim_entry *e)
{
    if (l->track && !e->dirty) {
        e->dirty = 1;
        vec_push(&l->dirty, e->key);
    }
}

/* ---------------------------------------------------------------- sliding window log */

static int64_t log_at(const struct lim_entry *e, uint32_t i)
{
    uint32_t j = e->u.log.head + i;
    if (j >= e->u.log.cap)
        j -= e->u.log.cap;
    return e->u.log.ts[j];
}

/* Appends t; when limit times are held the oldest is overwritten. The ring grows by doubling
 * (amortised O(1), memory bounded by limit) and is unrolled when it does. */
static void log_push(struct limiter *l, struct lim_entry *e, int64_t t)
{
    uint32_t limit = (uint32_t)l->p.limit;
    if (e->u.log.len == limit) {
        e->u.log.ts[e->u.log.head] = t;
        if (++e->u.log.head == e->u.log.cap)
            e->u.log.head = 0;
        return;
    }
    if (e->u.log.len == e->u.log.cap) {
        uint64_t want = e->u.log.cap ? 2 * (uint64_t)e->u.log.cap : 4;
        uint32_t ncap = (uint32_t)(want < limit ? want : limit);
        int64_t *ts = sim_xmalloc(ncap * sizeof *ts);
        for (uint32_t i = 0; i < e->u.log.len; i++)
            ts[i] = log_at(e, i);
        free(e->u.log.ts);
        l->log_bytes += (ncap - (size_t)e->u.log.cap) * sizeof *ts;
        e->u.log.ts = ts;
        e->u.log.cap = ncap;
        e->u.log.head = 0;
    }
    uint32_t j = e->u.log.head + e->u.log.len;
    if (j >= e->u.log.cap)
        j -= e->u.log.cap;
    e->u.log.ts[j] = t;
    e->u.log.len++;
}

/* Fewer than limit logged times in (now - w, now]: the ring is not full, or its oldest (the
 * limit-th most recent) is at or before now - w. */
static bool log_room(const struct limiter *l, const struct lim_entry *e, int64_t now)
{
    return e->u.log.len < l->p.limit || log_at(e, 0) <= now - l->w_ns;
}

/* Logged times in (now - w, now], by binary search over the sorted ring. */
static uint32_t log_count(const struct limiter *l, const struct lim_entry *e, int64_t now)
{
    uint32_t lo = 0, hi = e->u.log.len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (log_at(e, mid) <= now - l->w_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return e->u.log.len - lo;
}

/* ---------------------------------------------------------------- decisions */

int limiter_admit_ns(struct limiter *l, uint64_t client, int64_t now, int64_t *depart)
{
    struct lim_entry *e = entry_get(l, client);
    switch (l->p.algorithm) {
    case LIMITER_TOKEN_BUCKET:
    case LIMITER_LEAKY_BUCKET: {
        lim_i128 tat = e->u.b.tat;
        if (!reached(l, tat - l->tau, now))
            return 0;
        /* For the leaky bucket also the instant this request's turn to leak comes. */
        lim_i128 start = busy_until(l, tat, now);
        e->u.b.tat = start + l->period;
        e->u.b.unsynced++;
        mark_dirty(l, e);
        if (depart)
            *depart = l->p.algorithm == LIMITER_LEAKY_BUCKET ? round_ns(l, start) : now;
        return 1;
    }
    case LIMITER_FIXED_WINDOW:
    case LIMITER_SLIDING_WINDOW_COUNTER: {
        int64_t w = floor_div64(now, l->w_ns);
        roll(e, w);
        uint64_t c, pv;
        merged(e, w, &c, &pv);
        bool ok = l->p.algorithm == LIMITER_FIXED_WINDOW
                      ? c < l->p.limit
                      : counter_below(l, c, pv, now - w * l->w_ns);
        if (!ok)
            return 0;
        e->u.w.cur++;
        mark_dirty(l, e);
        if (depart)
            *depart = now;
        return 1;
    }
    case LIMITER_SLIDING_WINDOW_LOG: {
        SIM_ASSERT(e->u.log.len == 0 || log_at(e, e->u.log.len - 1) <= now);
        bool ok = log_room(l, e, now);
        if (ok || !l->p.log_admitted_only)
            log_push(l, e, now);
        if (ok && depart)
            *depart = now;
        return ok;
    }
    case LIMITER_NALGOS:
        break;
    }
    SIM_ASSERT(!"unhandled rate-limit algorithm");
}

int limiter_admit(struct limiter *l, uint64_t client, double now, double *depart)
{
    int64_t d;
    int ok = limiter_admit_ns(l, client, limiter_ns(now), &d);
    if (ok && depart)
        *depart = (double)d * 1e-9;
    return ok;
}

/* Counter: the first time, as an offset from the start of the current window, when
 * cur * w + prev * (w - e) < limit * w holds with no further admissions (limiter.h). */
static int64_t counter_wait(const struct limiter *l, uint64_t c, uint64_t pv, int64_t e)
{
    lim_u128 w = (lim_u128)l->w_ns, lim = l->p.limit;
    if (c < lim) {
        /* Within this window once pv * (w - e') < (limit - c) * w, i.e. from
         * e' = w - ceil((limit - c) * w / pv) + 1, which is at most w: the next window's
         * start, where the estimate is c < limit. pv > 0 since the test fails with c < limit.
         * A k above w would mean the test holds already; the caller asked only when not. */
        lim_u128 k = ceil_divu((lim - c) * w, pv);
        return k > w ? e : (int64_t)(w - k + 1);
    }
    /* In the next window, where c is the previous count and nothing is current: once
     * c * (w - e'') < limit * w, from e'' = w - ceil(limit * w / c) + 1, in [1, w]. */
    return (int64_t)(2 * w - ceil_divu(lim * w, c) + 1);
}

int64_t limiter_retry_after_ns(const struct limiter *l, uint64_t client, int64_t now)
{
    const struct lim_entry *e = entry_find(l, client);
    if (!e)
        return 0;
    switch (l->p.algorithm) {
    case LIMITER_TOKEN_BUCKET:
    case LIMITER_LEAKY_BUCKET: {
        int64_t at = round_ns(l, e->u.b.tat - l->tau);
        return at > now ? at - now : 0;
    }
    case LIMITER_FIXED_WINDOW: {
        int64_t w = floor_div64(now, l->w_ns);
        uint64_t c, pv;
        merged(e, w, &c, &pv);
        return c < l->p.limit ? 0 : (w + 1) * l->w_ns - now;
    }
    case LIMITER_SLIDING_WINDOW_COUNTER: {
        int64_t w = floor_div64(now, l->w_ns);
        uint64_t c, pv;
        merged(e, w, &c, &pv);
        int64_t off = now - w * l->w_ns;
        if (counter_below(l, c, pv, off))
            return 0;
        return counter_wait(l, c, pv, off) - off;
    }
    case LIMITER_SLIDING_WINDOW_LOG:
        return log_room(l, e, now) ? 0 : log_at(e, 0) + l->w_ns - now;
    case LIMITER_NALGOS:
        break;
    }
    SIM_ASSERT(!"unhandled rate-limit algorithm");
}

double limiter_retry_after(const struct limiter *l, uint64_t client, double now)
{
    return (double)limiter_retry_after_ns(l, client, limiter_ns(now)) * 1e-9;
}

double limiter_level(const struct limiter *l, uint64_t client, double now_s)
{
    int64_t now = limiter_ns(now_s);
    const struct lim_entry *e = entry_find(l, client);
    switch (l->p.algorithm) {
    case LIMITER_TOKEN_BUCKET:
    case LIMITER_LEAKY_BUCKET: {
        lim_i128 t = ticks(l, now);
        lim_i128 ahead = e && e->u.b.tat > t ? e->u.b.tat - t : 0; /* ticks */
        if (l->p.algorithm == LIMITER_TOKEN_BUCKET)
            return (double)l->p.capacity - (double)ahead / (double)l->period;
        /* Requests whose leak period has not ended: ceil(ahead / period). */
        return (double)(ahead / l->period + (ahead % l->period != 0));
    }
    case LIMITER_FIXED_WINDOW:
    case LIMITER_SLIDING_WINDOW_COUNTER: {
        if (!e)
            return 0;
        int64_t w = floor_div64(now, l->w_ns);
        uint64_t c, pv;
        merged(e, w, &c, &pv);
        if (l->p.algorithm == LIMITER_FIXED_WINDOW)
            return (double)c;
        int64_t off = now - w * l->w_ns;
        return (double)c + (double)pv * ((double)(l->w_ns - off) / (double)l->w_ns);
    }
    case LIMITER_SLIDING_WINDOW_LOG:
        return e ? (double)log_count(l, e, now) : 0;
    case LIMITER_NALGOS:
        break;
    }
    SIM_ASSERT(!"unhandled rate-limit algorithm");
}

/* ---------------------------------------------------------------- eventual sync */

static bool same_config(const struct limiter *a, const struct limiter *b)
{
    return a->p.algorithm == b->p.algorithm && a->p.key == b->p.key &&
           a->p.capacity == b->p.capacity && a->num == b->num && a->den == b->den &&
           a->p.limit == b->p.limit && a->w_ns == b->w_ns;
}

/* Only keys admitted somewhere since the last sync can change: for the others, every node's
 * own counts and its copy of the others' are as the last sync left them (a window change
 * shifts both alike). So: collect those keys (deduplicated in the first node's scratch map),
 * sum each one's counts over all nodes, then give each node the sum minus its own. Buckets
 * exchange admissions since the previous sync (each node debits the others'); windows
 * exchange the counts of the current and previous windows (each node replaces the others'). */
void limiter_sync_ns(struct limiter *const *nodes, size_t n, int64_t now)
{
    SIM_ASSERT(n >= 1);
    struct limiter *l0 = nodes[0];
    for (size_t i = 0; i < n; i++) {
        SIM_ASSERT(nodes[i]->track && same_config(l0, nodes[i]));
        for (size_t j = 0; j < i; j++)
            SIM_ASSERT(nodes[i] != nodes[j]);
    }
    bool bucket = is_bucket(l0->p.algorithm);
    int64_t w = bucket ? 0 : floor_div64(now, l0->w_ns);
    struct lim_map *sum = &l0->scratch;
    struct lim_vec *slots = &l0->slots;
    int created;
    slots->n = 0;
    for (size_t i = 0; i < n; i++) {
        struct lim_vec *d = &nodes[i]->dirty;
        for (size_t k = 0; k < d->n; k++) {
            map_get(sum, d->v[k], &created);
            if (created)
                vec_push(slots, d->v[k]);
        }
        d->n = 0;
    }
    /* The map no longer changes: turn the keys into their slots, then sum. */
    for (size_t k = 0; k < slots->n; k++)
        slots->v[k] = (uint64_t)(map_find(sum, slots->v[k]) - sum->e);
    for (size_t k = 0; k < slots->n; k++) {
        struct lim_entry *s = &sum->e[slots->v[k]];
        for (size_t i = 0; i < n; i++) {
            struct lim_entry *e = map_find(&nodes[i]->map, s->key);
            if (!e)
                continue;
            e->dirty = 0;
            if (bucket) {
                s->u.b.unsynced += e->u.b.unsynced;
            } else {
                roll(e, w);
                s->u.w.cur += e->u.w.cur;
                s->u.w.prev += e->u.w.prev;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct limiter *l = nodes[i];
        for (size_t k = 0; k < slots->n; k++) {
            const struct lim_entry *s = &sum->e[slots->v[k]];
            struct lim_entry *e = map_find(&l->map, s->key);
            if (!e)
                e = entry_get(l, s->key); /* every key was admitted somewhere: not empty */
            if (bucket) {
                uint64_t others = s->u.b.unsynced - e->u.b.unsynced;
                if (others)
                    e->u.b.tat = busy_until(l, e->u.b.tat, now) + (lim_i128)others * l->period;
                e->u.b.unsynced = 0;
            } else {
                roll(e, w);
                e->u.w.rwin = w;
                e->u.w.rcur = s->u.w.cur - e->u.w.cur;
                e->u.w.rprev = s->u.w.prev - e->u.w.prev;
            }
        }
    }
    /* Empty the scratch map by its used slots only: its size follows the keys touched per
     * sync, which may be far fewer than its capacity. */
    for (size_t k = 0; k < slots->n; k++)
        memset(&sum->e[slots->v[k]], 0, sizeof sum->e[0]);
    sum->n = 0;
}

void limiter_sync(struct limiter *const *nodes, size_t n, double now)
{
    limiter_sync_ns(nodes, n, limiter_ns(now));
}
