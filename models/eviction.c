/* The cache store: a chained hash map over a preallocated entry array, plus the policy's
 * intrusive structure (one recency list, LFU frequency buckets, or a dense array for random),
 * so that get, put, remove and eviction are O(1) with no allocation after init. */
#include "models/eviction.h"
#include "sim/mix.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Memory per entry (x86-64): 16 bytes of entry, 8 of list links, 4-8 bytes of hash heads (a
 * power of two >= capacity), plus 24 bytes of frequency bucket for lfu or 4 bytes of dense
 * slot for random: lru, fifo, mru 28-32, random 32-36, lfu 52-56 bytes per entry of capacity;
 * 8 more with a TTL (the expiry array), and 8 more once an entry has been dirty (the
 * dirty_since array, allocated at the first dirty put). */
/* What a lookup reads: 16 bytes on a 64-byte boundary, so an entry never straddles two cache
 * lines. The list links live apart, in an array half the size, because a hit moves its
 * entry to the front of the list: the entries before and after it in the list are random
 * ones, and relinking them writes their links, which in a dense array of links stay in a
 * core's cache far more often than whole entries did (32 bytes each, links and expiry in). */
struct evict_entry {
    uint64_t key;
    uint32_t hnext;    /* hash chain; the free list runs through it too */
    uint32_t aux : 31; /* lfu: bucket index; random: position in slot[] */
    uint32_t dirty : 1;
};

/* The policy list (lfu: the bucket's ring) through entry indexes; links[0] is the sentinel. */
struct evict_link {
    uint32_t prev, next;
};

/* One frequency of the lfu list; its entries form a ring, head the least recently used. */
struct evict_bucket {
    uint64_t freq;       /* uses of each entry in the bucket since insertion */
    uint32_t head;       /* oldest entry; 0 = empty */
    uint32_t prev, next; /* neighbouring buckets in increasing frequency; bk[0] is the sentinel */
};

/* Mixed into the key before hashing. Placement hashes keys with XXH3 (seed 0), and a node of
 * a modulo-placed cache holds only keys whose hash is congruent to its index: the store's
 * hash must be a different function, or most of its buckets would stay empty. */
#define EVICT_HASH_SEED UINT64_C(0x6576696374696f6e)

_Static_assert(sizeof(struct evict_entry) == 16, "an entry fills a quarter of a cache line");

const char *const evict_policy_names[EVICT_NPOLICIES + 1] = {
    [EVICT_LRU] = "lru", [EVICT_LFU] = "lfu",       [EVICT_FIFO] = "fifo",
    [EVICT_MRU] = "mru", [EVICT_RANDOM] = "random", [EVICT_NPOLICIES] = NULL,
};

const char evict_policy_list[] = "lru, lfu, fifo, mru, random";

int evict_policy_parse(const char *name, enum evict_policy *out)
{
    for (int p = 0; p < EVICT_NPOLICIES; p++)
        if (name && strcmp(name, evict_policy_names[p]) == 0) {
            *out = (enum evict_policy)p;
            return 0;
        }
    return -1;
}

const char *evict_policy_name(enum evict_policy p)
{
    return (unsigned)p < EVICT_NPOLICIES ? evict_policy_names[p] : "?";
}

static inline uint32_t hash_bucket(const struct evict_store *s, uint64_t key)
{
    return (uint32_t)mix_fmix64(key ^ EVICT_HASH_SEED) & s->mask;
}

/* When entry i stops counting as stored (s); without a TTL there is no array and never. */
static inline double expiry_of(const struct evict_store *s, uint32_t i)
{
    return s->expiry ? s->expiry[i] : INFINITY;
}

/* The entry holding key in hash chain h, or 0. */
static inline uint32_t find_in(const struct evict_store *s, uint32_t h, uint64_t key)
{
    uint32_t i = s->heads[h];
    while (i && s->e[i].key != key)
        i = s->e[i].hnext;
    return i;
}

static inline uint32_t find(const struct evict_store *s, uint64_t key)
{
    return find_in(s, hash_bucket(s, key), key);
}

static void hash_unlink(struct evict_store *s, uint32_t i)
{
    uint32_t *pp = &s->heads[hash_bucket(s, s->e[i].key)];
    while (*pp != i)
        pp = &s->e[*pp].hnext;
    *pp = s->e[i].hnext;
}

/* The recency list is a ring through the sentinel links[0]: links[0].next is the newest entry. */
static inline void list_unlink(struct evict_link *l, uint32_t i)
{
    l[l[i].prev].next = l[i].next;
    l[l[i].next].prev = l[i].prev;
}

static inline void list_push_front(struct evict_link *l, uint32_t i)
{
    l[i].prev = 0;
    l[i].next = l[0].next;
    l[l[0].next].prev = i;
    l[0].next = i;
}

/* LFU bucket rings. Entries join at the tail (just before head), so head is the entry that
 * has held this frequency longest: the least recently used of the tie. */
static void ring_append(struct evict_store *s, uint32_t b, uint32_t i)
{
    struct evict_link *l = s->links;
    uint32_t h = s->bk[b].head;
    s->e[i].aux = b;
    if (!h) {
        s->bk[b].head = i;
        l[i].prev = l[i].next = i;
        return;
    }
    uint32_t t = l[h].prev;
    l[i].prev = t;
    l[i].next = h;
    l[t].next = i;
    l[h].prev = i;
}

/* Removes i from its bucket's ring; returns 1 if the bucket is left empty. */
static int ring_remove(struct evict_store *s, uint32_t b, uint32_t i)
{
    struct evict_link *l = s->links;
    if (l[i].next == i) {
        s->bk[b].head = 0;
        return 1;
    }
    list_unlink(l, i);
    if (s->bk[b].head == i)
        s->bk[b].head = l[i].next;
    return 0;
}

static uint32_t bucket_alloc(struct evict_store *s, uint64_t freq, uint32_t after)
{
    uint32_t b = s->bk_free;
    if (b)
        s->bk_free = s->bk[b].next;
    else
        b = s->bk_used++;
    /* At most one bucket per stored entry is live, and the pool has one per entry of
     * capacity, so this holds by construction. */
    SIM_ASSERT(b <= s->capacity);
    struct evict_bucket *bk = s->bk;
    bk[b].freq = freq;
    bk[b].head = 0;
    bk[b].prev = after;
    bk[b].next = bk[after].next;
    bk[bk[after].next].prev = b;
    bk[after].next = b;
    return b;
}

static void bucket_release(struct evict_store *s, uint32_t b)
{
    struct evict_bucket *bk = s->bk;
    bk[bk[b].prev].next = bk[b].next;
    bk[bk[b].next].prev = bk[b].prev;
    bk[b].next = s->bk_free;
    s->bk_free = b;
}

/* One more use of i: move it to the bucket of the next frequency, creating that bucket or,
 * when i is alone in its bucket and nothing is in the way, relabelling the bucket. */
static void lfu_bump(struct evict_store *s, uint32_t i)
{
    struct evict_bucket *bk = s->bk;
    uint32_t b = s->e[i].aux;
    uint64_t f = bk[b].freq;
    uint32_t nb = bk[b].next;
    int next_fits = nb != 0 && bk[nb].freq == f + 1;
    if (!next_fits && s->links[i].next == i) {
        bk[b].freq = f + 1;
        return;
    }
    if (!next_fits)
        nb = bucket_alloc(s, f + 1, b);
    if (ring_remove(s, b, i))
        bucket_release(s, b);
    ring_append(s, nb, i);
}

/* A use of a stored entry (get hit or put refresh), per policy. */
static inline void touch(struct evict_store *s, uint32_t i)
{
    switch (s->policy) {
    case EVICT_LRU:
    case EVICT_MRU:
        if (s->links[0].next != i) {
            list_unlink(s->links, i);
            list_push_front(s->links, i);
        }
        break;
    case EVICT_LFU:
        lfu_bump(s, i);
        break;
    default:
        break;
    }
}

static void policy_link(struct evict_store *s, uint32_t i)
{
    switch (s->policy) {
    case EVICT_LFU: {
        uint32_t b = s->bk[0].next;
        if (b == 0 || s->bk[b].freq != 1)
            b = bucket_alloc(s, 1, 0);
        ring_append(s, b, i);
        break;
    }
    case EVICT_RANDOM:
        s->slot[s->size] = i;
        s->e[i].aux = s->size;
        break;
    default:
        list_push_front(s->links, i);
        break;
    }
}

static void policy_unlink(struct evict_store *s, uint32_t i)
{
    switch (s->policy) {
    case EVICT_LFU: {
        uint32_t b = s->e[i].aux;
        if (ring_remove(s, b, i))
            bucket_release(s, b);
        break;
    }
    case EVICT_RANDOM: {
        /* Swap-remove: the last slot fills the hole, so slot[0 .. size-1] stays dense. */
        uint32_t pos = s->e[i].aux, last = s->slot[s->size - 1];
        s->slot[pos] = last;
        s->e[last].aux = pos;
        break;
    }
    default:
        list_unlink(s->links, i);
        break;
    }
}

static uint32_t policy_victim(const struct evict_store *s)
{
    switch (s->policy) {
    case EVICT_LRU:
    case EVICT_FIFO:
        return s->links[0].prev;
    case EVICT_MRU:
        return s->links[0].next;
    case EVICT_LFU:
        return s->bk[s->bk[0].next].head;
    case EVICT_RANDOM:
        return s->slot[gsl_rng_uniform_int(s->rng, s->size)];
    default:
        SIM_ASSERT(!"unknown eviction policy");
    }
}

/* The start of entry i's dirty period, or 0 when it is clean. */
static double dirty_since(const struct evict_store *s, uint32_t i)
{
    return s->e[i].dirty ? s->since[i] : 0.0;
}

static void set_dirty(struct evict_store *s, uint32_t i, double now)
{
    if (!s->since)
        s->since = sim_xmalloc(((size_t)s->capacity + 1) * sizeof *s->since);
    s->e[i].dirty = 1;
    s->since[i] = now;
    s->ndirty++;
}

static void report(const struct evict_store *s, uint32_t i, int reason, struct evict_victim *gone)
{
    if (!gone)
        return;
    gone->reason = reason;
    gone->key = s->e[i].key;
    gone->dirty = s->e[i].dirty;
    gone->dirty_since = dirty_since(s, i);
}

/* Takes entry i out of every structure and returns it to the free list. */
static void drop(struct evict_store *s, uint32_t i)
{
    hash_unlink(s, i);
    policy_unlink(s, i);
    s->size--;
    s->ndirty -= s->e[i].dirty;
    s->e[i].dirty = 0;
    s->e[i].hnext = s->e_free;
    s->e_free = i;
}

static void reset(struct evict_store *s)
{
    memset(s->heads, 0, ((size_t)s->mask + 1) * sizeof *s->heads);
    s->size = 0;
    s->ndirty = 0;
    s->e_used = 1;
    s->e_free = 0;
    s->links[0].prev = s->links[0].next = 0;
    if (s->bk) {
        s->bk[0].prev = s->bk[0].next = 0;
        s->bk[0].freq = 0;
        s->bk_used = 1;
        s->bk_free = 0;
    }
}

int evict_init(struct evict_store *s, enum evict_policy policy, uint64_t capacity, double ttl_s,
               gsl_rng *rng, struct sim_error *err)
{
    memset(s, 0, sizeof *s);
    SIM_ASSERT((unsigned)policy < EVICT_NPOLICIES);
    SIM_ASSERT(policy != EVICT_RANDOM || rng != NULL);
    if (capacity > EVICT_MAX_CAPACITY)
        return sim_fail(err, NULL, "cache capacity %llu is above the maximum %llu",
                        (unsigned long long)capacity, (unsigned long long)EVICT_MAX_CAPACITY);
    if (!(ttl_s >= 0) || !isfinite(ttl_s))
        return sim_fail(err, NULL, "cache ttl must be a finite number of seconds >= 0");
    s->policy = policy;
    s->capacity = (uint32_t)capacity;
    s->ttl = ttl_s;
    s->rng = rng;
    /* A power of two >= capacity keeps chains at one entry on average. calloc leaves the
     * untouched part of a huge store unbacked until it is used. */
    size_t nheads = 1;
    while (nheads < capacity)
        nheads <<= 1;
    s->mask = (uint32_t)(nheads - 1);
    s->heads = sim_xcalloc(nheads, sizeof *s->heads);
    /* Aligned by hand inside a block one line longer (malloc promises 16 bytes). */
    s->e_block = sim_xcalloc(((size_t)capacity + 1) * sizeof *s->e + 64, 1);
    s->e = (struct evict_entry *)(((uintptr_t)s->e_block + 63) & ~(uintptr_t)63);
    s->links = sim_xcalloc((size_t)capacity + 1, sizeof *s->links);
    if (ttl_s > 0)
        s->expiry = sim_xcalloc((size_t)capacity + 1, sizeof *s->expiry);
    if (policy == EVICT_LFU)
        s->bk = sim_xcalloc((size_t)capacity + 1, sizeof *s->bk);
    if (policy == EVICT_RANDOM)
        s->slot = sim_xcalloc(capacity ? capacity : 1, sizeof *s->slot);
    reset(s);
    return 0;
}

void evict_free(struct evict_store *s)
{
    if (!s)
        return;
    free(s->heads);
    free(s->e_block);
    free(s->links);
    free(s->expiry);
    free(s->since);
    free(s->bk);
    free(s->slot);
    memset(s, 0, sizeof *s);
}

size_t evict_memory_bytes(const struct evict_store *s)
{
    if (!s->e)
        return 0;
    /* The estimate counts dirty_since as allocated, which it is from the first dirty put. */
    double bytes = evict_estimate_bytes(s->policy, s->capacity, s->ttl);
    if (!s->since)
        bytes -= ((double)s->capacity + 1) * sizeof *s->since;
    return (size_t)bytes;
}

double evict_estimate_bytes(enum evict_policy policy, uint64_t capacity, double ttl_s)
{
    const struct evict_store *s = NULL; /* only for the element sizes */
    double heads = 1, n = (double)capacity + 1;
    while (heads < (double)capacity)
        heads *= 2;
    /* dirty_since counted as if some entry will be dirty: an upper bound. */
    double bytes =
        heads * sizeof *s->heads + n * (sizeof *s->e + sizeof *s->links + sizeof *s->since) + 64;
    if (ttl_s > 0)
        bytes += n * sizeof *s->expiry;
    if (policy == EVICT_LFU)
        bytes += n * sizeof *s->bk;
    if (policy == EVICT_RANDOM)
        bytes += (capacity ? (double)capacity : 1) * sizeof *s->slot;
    return bytes;
}

/* The next eviction of lru or fifo takes the list's tail t out of its hash chain (the chain's
 * head, by t's key) and out of the list (its predecessor's next). Both are random lines of the
 * store, cold by the policy's nature; fetching them now, while the requests before the next
 * miss run, takes two cache misses off that miss's path (t's entry comes with the first).
 * Always inline: GCC 12 finds that a function doing nothing but prefetches has no side
 * effect and deletes the call. */
__attribute__((always_inline)) static inline void prefetch_next_victim(const struct evict_store *s)
{
    uint32_t t = s->links[0].prev;
    __builtin_prefetch(&s->links[s->links[t].prev], 1);
    __builtin_prefetch(&s->heads[hash_bucket(s, s->e[t].key)], 1);
}

/* Stores a key that is not in the store, in hash chain h, making room first when the store is
 * full (the victim is reported in *gone); with capacity 0 the key itself is reported. */
static void insert_new(struct evict_store *s, uint32_t h, uint64_t key, double now, double expiry,
                       int dirty, struct evict_victim *gone)
{
    if (s->capacity == 0) {
        if (gone)
            *gone = (struct evict_victim){.reason = EVICT_EVICTED,
                                          .key = key,
                                          .dirty = dirty != 0,
                                          .dirty_since = dirty ? now : 0.0};
        s->count.evictions++;
        return;
    }
    if (s->size == s->capacity) {
        uint32_t v = policy_victim(s);
        int expired = now >= expiry_of(s, v);
        report(s, v, expired ? EVICT_EXPIRED : EVICT_EVICTED, gone);
        drop(s, v);
        if (expired)
            s->count.expirations++;
        else
            s->count.evictions++;
        if (s->policy == EVICT_LRU || s->policy == EVICT_FIFO)
            prefetch_next_victim(s);
    }
    uint32_t i = s->e_free;
    if (i)
        s->e_free = s->e[i].hnext;
    else
        i = s->e_used++;
    struct evict_entry *x = &s->e[i];
    x->key = key;
    if (s->expiry)
        s->expiry[i] = expiry;
    x->dirty = 0;
    if (dirty)
        set_dirty(s, i, now);
    x->hnext = s->heads[h];
    s->heads[h] = i;
    policy_link(s, i);
    s->size++;
}

int evict_get(struct evict_store *s, uint64_t key, double now, struct evict_victim *gone)
{
    if (gone)
        gone->reason = EVICT_NONE;
    uint32_t i = find(s, key);
    if (!i) {
        s->count.misses++;
        return 0;
    }
    if (now >= expiry_of(s, i)) {
        report(s, i, EVICT_EXPIRED, gone);
        drop(s, i);
        s->count.expirations++;
        s->count.misses++;
        return 0;
    }
    s->count.hits++;
    touch(s, i);
    return 1;
}

int evict_put(struct evict_store *s, uint64_t key, double now, int dirty, struct evict_victim *gone)
{
    if (gone)
        gone->reason = EVICT_NONE;
    double expiry = s->ttl > 0 ? now + s->ttl : INFINITY;
    uint32_t h = hash_bucket(s, key);
    uint32_t i = find_in(s, h, key);
    if (i && now >= expiry_of(s, i)) {
        report(s, i, EVICT_EXPIRED, gone);
        drop(s, i);
        s->count.expirations++;
        i = 0;
    }
    if (i) {
        struct evict_entry *x = &s->e[i];
        if (s->expiry)
            s->expiry[i] = expiry;
        if (dirty && !x->dirty)
            set_dirty(s, i, now);
        touch(s, i);
        return 1;
    }
    insert_new(s, h, key, now, expiry, dirty, gone);
    return 0;
}

int evict_fetch(struct evict_store *s, uint64_t key, double now, struct evict_victim *gone)
{
    if (gone)
        gone->reason = EVICT_NONE;
    uint32_t h = hash_bucket(s, key);
    uint32_t i = find_in(s, h, key);
    if (i && now < expiry_of(s, i)) {
        s->count.hits++;
        touch(s, i);
        return 1;
    }
    if (i) {
        /* The store has room after this, so the insertion below evicts nothing and *gone
         * keeps this entry. */
        report(s, i, EVICT_EXPIRED, gone);
        drop(s, i);
        s->count.expirations++;
    }
    s->count.misses++;
    insert_new(s, h, key, now, s->ttl > 0 ? now + s->ttl : INFINITY, 0, gone);
    return 0;
}

int evict_remove(struct evict_store *s, uint64_t key, int *was_dirty)
{
    uint32_t i = find(s, key);
    if (was_dirty)
        *was_dirty = i ? (int)s->e[i].dirty : 0;
    if (!i)
        return 0;
    drop(s, i);
    s->count.removals++;
    return 1;
}

int evict_mark_clean(struct evict_store *s, uint64_t key)
{
    uint32_t i = find(s, key);
    if (!i || !s->e[i].dirty)
        return 0;
    s->e[i].dirty = 0;
    s->ndirty--;
    return 1;
}

int evict_contains(const struct evict_store *s, uint64_t key, double now)
{
    uint32_t i = find(s, key);
    return i && now < expiry_of(s, i);
}

int evict_lookup(const struct evict_store *s, uint64_t key, struct evict_item *out)
{
    uint32_t i = find(s, key);
    if (!i)
        return 0;
    if (out) {
        const struct evict_entry *x = &s->e[i];
        *out = (struct evict_item){.key = x->key,
                                   .expiry = expiry_of(s, i),
                                   .dirty = x->dirty,
                                   .dirty_since = dirty_since(s, i)};
    }
    return 1;
}

const void *evict_probe_head(const struct evict_store *s, uint64_t key, uint32_t *bucket)
{
    *bucket = hash_bucket(s, key);
    return &s->heads[*bucket];
}

const void *evict_probe_entry(const struct evict_store *s, uint32_t bucket, const void **links)
{
    uint32_t i = s->heads[bucket & s->mask];
    *links = i ? &s->links[i] : NULL;
    return i ? (const void *)&s->e[i] : NULL;
}

uint64_t evict_clear(struct evict_store *s)
{
    uint64_t lost = s->ndirty;
    reset(s);
    return lost;
}

static void visit(const struct evict_store *s, uint32_t i, int dirty_only, evict_item_fn fn,
                  void *ctx)
{
    const struct evict_entry *x = &s->e[i];
    if (dirty_only && !x->dirty)
        return;
    struct evict_item it = {
        .key = x->key, .expiry = expiry_of(s, i), .dirty = x->dirty, .dirty_since = dirty_since(s, i)};
    fn(ctx, &it);
}

static void walk(const struct evict_store *s, int dirty_only, evict_item_fn fn, void *ctx)
{
    if (!s->e)
        return;
    switch (s->policy) {
    case EVICT_LFU:
        for (uint32_t b = s->bk[0].next; b; b = s->bk[b].next) {
            uint32_t h = s->bk[b].head, i = h;
            do {
                visit(s, i, dirty_only, fn, ctx);
                i = s->links[i].next;
            } while (i != h);
        }
        break;
    case EVICT_RANDOM:
        for (uint32_t p = 0; p < s->size; p++)
            visit(s, s->slot[p], dirty_only, fn, ctx);
        break;
    default:
        for (uint32_t i = s->links[0].next; i; i = s->links[i].next)
            visit(s, i, dirty_only, fn, ctx);
        break;
    }
}

void evict_foreach(const struct evict_store *s, evict_item_fn fn, void *ctx)
{
    walk(s, 0, fn, ctx);
}

void evict_foreach_dirty(const struct evict_store *s, evict_item_fn fn, void *ctx)
{
    walk(s, 1, fn, ctx);
}
