/* The cache store behind the cache and CDN models: uint64 keys, a capacity in entries, one of
 * the lru | lfu | fifo | mru | random eviction policies, an optional TTL and write-back dirty
 * state. Pure algorithm, no engine dependency; every operation is O(1) and allocation-free. */
#ifndef MODELS_EVICTION_H
#define MODELS_EVICTION_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"

enum evict_policy {
    EVICT_LRU,    /* evict the least recently used; a get hit or a put refresh is a use */
    EVICT_LFU,    /* evict the least frequently used, ties least recently used first
                     (O(1) LFU of Shah, Mitra & Matani 2010; counts start at 1 on insertion
                     and are forgotten on eviction) */
    EVICT_FIFO,   /* evict the oldest insertion; hits and refreshes do not reorder */
    EVICT_MRU,    /* evict the most recently used */
    EVICT_RANDOM, /* evict a stored entry drawn uniformly with the store's gsl_rng */
    EVICT_NPOLICIES
};

/* Indices are 32-bit with 0 reserved, and an entry's policy slot has 31 bits. */
#define EVICT_MAX_CAPACITY ((uint64_t)INT32_MAX)

/* Why an entry left the store during evict_get or evict_put. */
enum evict_reason {
    EVICT_NONE = 0,    /* nothing left */
    EVICT_EVICTED = 1, /* pushed out by the policy to make room */
    EVICT_EXPIRED = 2, /* found expired (on a get or put of its key, or as the policy's victim) */
};

/* The entry that left the store, so that a write-back cache can flush it if dirty. */
struct evict_victim {
    int reason; /* enum evict_reason */
    uint64_t key;
    int dirty;          /* 1 when it held a write not yet flushed */
    double dirty_since; /* s; time of the first unflushed write, meaningful when dirty */
};

struct evict_counters {
    uint64_t hits;        /* evict_get found the key stored and not expired */
    uint64_t misses;      /* every other evict_get */
    uint64_t evictions;   /* entries pushed out to make room (reason EVICT_EVICTED) */
    uint64_t expirations; /* entries removed because their TTL had run out */
    uint64_t removals;    /* entries removed by evict_remove */
};

/* One stored key, as passed to the iteration callbacks. */
struct evict_item {
    uint64_t key;
    double expiry; /* s; +inf without TTL */
    int dirty;
    double dirty_since; /* s; the start of the dirty period, 0 when clean */
};

/* Internal layout, visible so that a store can be embedded; read only `count` directly. */
struct evict_entry;
struct evict_link;
struct evict_bucket;
struct evict_store {
    enum evict_policy policy;
    uint32_t capacity;         /* entries */
    uint32_t size;             /* entries stored */
    uint32_t ndirty;           /* stored entries that are dirty */
    double ttl;                /* s; 0 = none */
    gsl_rng *rng;              /* random only; not owned */
    struct evict_entry *e;     /* capacity + 1 (e[0] unused: 0 means none); 64-byte aligned */
    void *e_block;             /* the allocation behind e */
    struct evict_link *links;  /* capacity + 1: the policy's list; links[0] is its sentinel */
    double *expiry;            /* capacity + 1 expiry times (s), only with a TTL */
    double *since;             /* dirty_since of each entry, allocated at the first dirty put */
    uint32_t e_used;           /* entries ever handed out since init or clear */
    uint32_t e_free;           /* free list through next; 0 = empty */
    uint32_t *heads;           /* hash chains; 0 = empty */
    uint32_t mask;             /* hash buckets - 1 */
    struct evict_bucket *bk;   /* lfu only: capacity + 1 frequency buckets; bk[0] sentinel */
    uint32_t bk_used, bk_free; /* lfu bucket pool, as for entries */
    uint32_t *slot;            /* random only: the dense array of stored entries */
    struct evict_counters count;
};

/* Policy by name ("lru", "lfu", "fifo", "mru", "random"); returns 0, or -1 for an unknown
 * name. evict_policy_name returns a static string. */
int evict_policy_parse(const char *name, enum evict_policy *out);
const char *evict_policy_name(enum evict_policy p);
/* The accepted names, comma separated, for error messages and --help. */
extern const char evict_policy_list[];
/* The names indexed by enum evict_policy and ending in NULL, so a parameter table can use it
 * as the choices of an enum parameter whose value is the policy. */
extern const char *const evict_policy_names[EVICT_NPOLICIES + 1];

/* Preallocates everything for `capacity` entries (0 is allowed: every get misses). ttl_s is
 * the lifetime of a put (0 = forever). rng is required for EVICT_RANDOM only and is not owned.
 * Returns 0, or -1 with err filled (capacity above EVICT_MAX_CAPACITY, ttl negative or not
 * finite) and *s zeroed so that evict_free(s) is harmless. */
int evict_init(struct evict_store *s, enum evict_policy policy, uint64_t capacity, double ttl_s,
               gsl_rng *rng, struct sim_error *err);
/* Frees the store's memory; a zeroed store (or NULL) is a no-op. */
void evict_free(struct evict_store *s);
/* Bytes allocated by this store, for reporting; the per-entry figures are in eviction.c. */
size_t evict_memory_bytes(const struct evict_store *s);
/* Bytes evict_init will allocate for a store of this policy, capacity and TTL (s, 0 = none),
 * for the memory limit checked at load, before any store exists. */
double evict_estimate_bytes(enum evict_policy policy, uint64_t capacity, double ttl_s);

/* Looks a key up at time now (s). Returns 1 on a hit, which counts as a use for lru, mru and
 * lfu. An entry is valid while now < put time + ttl: at now >= put time + ttl it is expired,
 * so the get is a miss, the entry is removed and counted as an expiration, and it is reported
 * in *gone (may be NULL) so that a dirty one can be flushed. */
int evict_get(struct evict_store *s, uint64_t key, double now, struct evict_victim *gone);
/* evict_get, then on a miss evict_put of a clean key, as one lookup: a read-through whose fill
 * comes at once (a cache without a backend). The counters and *gone are those of the two
 * calls; at most one entry leaves (an expired entry of the key frees the room). */
int evict_fetch(struct evict_store *s, uint64_t key, double now, struct evict_victim *gone);
/* Stores a key at time now (a fill after a miss, or a write). A stored, unexpired key is
 * refreshed: its TTL restarts, it counts as a use (lru, mru, lfu; not fifo or random), and it
 * becomes dirty if `dirty` (a clean put never clears dirt: only evict_mark_clean does). An
 * expired stored key is removed first (reported as EVICT_EXPIRED). A new key in a full store
 * takes the place of the policy's victim, reported in *gone (may be NULL); a victim already
 * past its TTL is reported and counted as expired, not evicted. With capacity 0 the key itself
 * is reported as evicted, so a dirty write is never silently dropped. At most one entry leaves
 * per call. Returns 1 if the key was stored and unexpired before the call, else 0. */
int evict_put(struct evict_store *s, uint64_t key, double now, int dirty,
              struct evict_victim *gone);
/* Invalidates a key. Returns 1 if it was stored (expired or not), with *was_dirty (may be
 * NULL) set to its dirty flag; 0 if absent. */
int evict_remove(struct evict_store *s, uint64_t key, int *was_dirty);
/* Marks a stored key clean after its write has been flushed; returns 1 if it was dirty. */
int evict_mark_clean(struct evict_store *s, uint64_t key);
/* Whether a key is stored and unexpired at now; changes nothing and counts nothing. */
int evict_contains(const struct evict_store *s, uint64_t key, double now);
/* Whether a key is stored (expired or not), with its entry in *out (may be NULL); changes
 * nothing and counts nothing. A write-back cache uses it to tell one dirty period of a key
 * from the next (dirty_since). */
int evict_lookup(const struct evict_store *s, uint64_t key, struct evict_item *out);
/* What a lookup of a key reads first, for a caller that prefetches it ahead of evict_get or
 * evict_fetch: the key's hash chain head, whose bucket number goes to *bucket; then, once
 * that line is in the cache, evict_probe_entry(bucket) gives the chain's first entry (NULL
 * when the chain is empty) and in *links its list links, which a hit rewrites. All only
 * read; a bucket from before a clear or from another store is harmless (it is masked to this
 * store's range). */
const void *evict_probe_head(const struct evict_store *s, uint64_t key, uint32_t *bucket);
const void *evict_probe_entry(const struct evict_store *s, uint32_t bucket, const void **links);
/* Drops every entry (a node that fails and comes back cold); counters are kept. Returns the
 * number of dirty entries that were lost. O(capacity). */
uint64_t evict_clear(struct evict_store *s);

static inline uint64_t evict_size(const struct evict_store *s)
{
    return s->size;
}
static inline uint64_t evict_capacity(const struct evict_store *s)
{
    return s->capacity;
}
static inline uint64_t evict_dirty_count(const struct evict_store *s)
{
    return s->ndirty;
}

/* Calls fn for every stored entry (expired ones included: the store does not know the time),
 * or for the dirty ones only. The order is deterministic (the policy's order: most recent
 * first for lru, mru and fifo; lowest frequency, oldest first for lfu; the dense array for
 * random). fn must not modify the store. */
typedef void (*evict_item_fn)(void *ctx, const struct evict_item *item);
void evict_foreach(const struct evict_store *s, evict_item_fn fn, void *ctx);
void evict_foreach_dirty(const struct evict_store *s, evict_item_fn fn, void *ctx);

#endif
