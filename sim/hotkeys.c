/* Hotspot measures: Gini coefficient of per-node loads and the heaviest keys: exact counts in
 * a flat array over a moderate key space, else Space-Saving, whose counters sit in a min-heap
 * by count (the one to evict is the root) with an open-addressing index from key to heap
 * slot, so each key costs O(log k). The exact counts keep 16 bits per key, plus a small map of
 * the high part of the few keys that wrapped. */
#include "sim/hotkeys.h"
#include "sim/error.h"
#include "sim/mix.h"

#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double hotkeys_gini(const double *load, size_t n)
{
    if (n == 0)
        return NAN;
    double *x = sim_xmalloc(n * sizeof *x);
    memcpy(x, load, n * sizeof *x);
    gsl_sort(x, 1, n);
    /* G = sum_i (2i - n - 1) x_(i) / (n sum x), i = 1..n over the sorted loads. */
    double num = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        num += (2.0 * (double)(i + 1) - (double)n - 1) * x[i];
        sum += x[i];
    }
    free(x);
    return sum > 0 ? num / ((double)n * sum) : NAN;
}

#define SLOT_EMPTY UINT32_MAX

/* The exact counts: every request increments a random key's counter, so the array's size is
 * what the request path pays in cache misses. 8 bits a key: 1 MB for 1M keys, half a core's
 * L2 cache of 2 MB, which 16 bits filled (on the cache-only benchmark the counters' L2 misses
 * fell from 413k to 311k in cachegrind; 64 bits took 8 MB). A counter that wraps adds one to
 * its key's entry in the carry map, which only keys with 256 requests or more ever reach:
 * under Zipf(0.99) over 1M keys and 2M requests, the top 540 or so, each wrapping once per
 * 256 of its requests. */
typedef uint8_t low_count;
#define LOW_BITS (8 * HOTKEYS_EXACT_BYTES)
_Static_assert(sizeof(low_count) == HOTKEYS_EXACT_BYTES, "the counter is HOTKEYS_EXACT_BYTES");
#define CARRY_EMPTY UINT64_MAX /* never a key: exact keys are below HOTKEYS_EXACT_MAX */

struct hotkeys {
    size_t k; /* Space-Saving counters; 0 in exact mode */
    uint64_t total;
    uint64_t nkeys;   /* exact mode: keys 0 .. nkeys-1; 0 in Space-Saving mode */
    low_count *count; /* exact mode: the low LOW_BITS of each key's count */
    uint64_t *carry_key;  /* exact mode: open addressing, CARRY_EMPTY or a key that wrapped */
    uint64_t *carry_high; /* its count >> LOW_BITS */
    size_t carry_mask, carry_used;
    /* Space-Saving mode. */
    size_t used;         /* counters in use */
    struct hotkey *heap; /* min-heap by count */
    uint32_t *pos;       /* index slot of each heap slot, so a sift needs no lookups */
    uint32_t *index;     /* open addressing: heap slot of a key, or SLOT_EMPTY */
    size_t mask;         /* index size - 1 (a power of two >= 2k) */
};

static size_t home(const struct hotkeys *h, uint64_t key)
{
    return (size_t)mix_fmix64(key) & h->mask;
}

static size_t find(const struct hotkeys *h, uint64_t key)
{
    for (size_t i = home(h, key);; i = (i + 1) & h->mask) {
        uint32_t s = h->index[i];
        if (s == SLOT_EMPTY || h->heap[s].key == key)
            return i;
    }
}

static void set_index(struct hotkeys *h, size_t i, uint32_t slot)
{
    h->index[i] = slot;
    h->pos[slot] = (uint32_t)i;
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void unindex(struct hotkeys *h, uint64_t key)
{
    size_t i = find(h, key);
    h->index[i] = SLOT_EMPTY;
    for (size_t j = (i + 1) & h->mask; h->index[j] != SLOT_EMPTY; j = (j + 1) & h->mask) {
        size_t want = home(h, h->heap[h->index[j]].key);
        /* Move j back to the hole i unless its home lies cyclically within (i, j]. */
        if (((j - want) & h->mask) >= ((j - i) & h->mask)) {
            set_index(h, i, h->index[j]);
            h->index[j] = SLOT_EMPTY;
            i = j;
        }
    }
}

static void swap(struct hotkeys *h, size_t a, size_t b)
{
    struct hotkey t = h->heap[a];
    h->heap[a] = h->heap[b];
    h->heap[b] = t;
    uint32_t ia = h->pos[a], ib = h->pos[b];
    set_index(h, ia, (uint32_t)b);
    set_index(h, ib, (uint32_t)a);
}

static void sift_down(struct hotkeys *h, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->used)
            return;
        if (c + 1 < h->used && h->heap[c + 1].count < h->heap[c].count)
            c++;
        if (h->heap[c].count >= h->heap[i].count)
            return;
        swap(h, i, c);
        i = c;
    }
}

static size_t carry_slot(const struct hotkeys *h, uint64_t key)
{
    size_t i = (size_t)mix_fmix64(key) & h->carry_mask;
    while (h->carry_key[i] != CARRY_EMPTY && h->carry_key[i] != key)
        i = (i + 1) & h->carry_mask;
    return i;
}

static void carry_reset(struct hotkeys *h, size_t size)
{
    free(h->carry_key);
    free(h->carry_high);
    h->carry_key = sim_xmalloc(size * sizeof *h->carry_key);
    h->carry_high = sim_xcalloc(size, sizeof *h->carry_high);
    memset(h->carry_key, 0xff, size * sizeof *h->carry_key); /* every byte 0xff: CARRY_EMPTY */
    h->carry_mask = size - 1;
    h->carry_used = 0;
}

/* The high part of a key's count (0 for a key that never wrapped). */
static uint64_t carry_get(const struct hotkeys *h, uint64_t key)
{
    return h->carry_high[carry_slot(h, key)];
}

/* A key's low counter wrapped to 0: one more unit of 2^LOW_BITS. Out of line: it runs once
 * per HOTKEYS_WRAP requests of a key. The map stays at most half full. */
__attribute__((noinline)) static void carry_add(struct hotkeys *h, uint64_t key)
{
    size_t i = carry_slot(h, key);
    if (h->carry_key[i] == CARRY_EMPTY) {
        if (2 * (h->carry_used + 1) > h->carry_mask + 1) {
            size_t old_size = h->carry_mask + 1;
            uint64_t *keys = h->carry_key, *high = h->carry_high;
            h->carry_key = h->carry_high = NULL;
            carry_reset(h, 2 * old_size);
            for (size_t j = 0; j < old_size; j++) {
                if (keys[j] == CARRY_EMPTY)
                    continue;
                size_t to = carry_slot(h, keys[j]);
                h->carry_key[to] = keys[j];
                h->carry_high[to] = high[j];
                h->carry_used++;
            }
            free(keys);
            free(high);
            i = carry_slot(h, key);
        }
        h->carry_key[i] = key;
        h->carry_used++;
    }
    h->carry_high[i]++;
}

struct hotkeys *hotkeys_create(size_t k, uint64_t nkeys)
{
    SIM_ASSERT(k >= 1 && k < (1u << 24));
    struct hotkeys *h = sim_xcalloc(1, sizeof *h);
    if (nkeys > 0 && nkeys <= HOTKEYS_EXACT_MAX) {
        h->nkeys = nkeys;
        /* calloc: the pages of keys never requested are never touched. */
        h->count = sim_xcalloc(nkeys, sizeof *h->count);
        carry_reset(h, 16);
        return h;
    }
    h->k = k;
    h->heap = sim_xcalloc(k, sizeof *h->heap);
    h->pos = sim_xcalloc(k, sizeof *h->pos);
    size_t size = 4;
    while (size < 2 * k)
        size *= 2;
    h->mask = size - 1;
    h->index = sim_xmalloc(size * sizeof *h->index);
    hotkeys_clear(h);
    return h;
}

void hotkeys_free(struct hotkeys *h)
{
    if (!h)
        return;
    free(h->count);
    free(h->carry_key);
    free(h->carry_high);
    free(h->heap);
    free(h->pos);
    free(h->index);
    free(h);
}

void hotkeys_clear(struct hotkeys *h)
{
    h->total = 0;
    if (h->nkeys) {
        memset(h->count, 0, h->nkeys * sizeof *h->count);
        carry_reset(h, 16);
        return;
    }
    h->used = 0;
    memset(h->index, 0xff, (h->mask + 1) * sizeof *h->index);
}

static void space_saving_add(struct hotkeys *h, uint64_t key)
{
    size_t i = find(h, key);
    if (h->index[i] != SLOT_EMPTY) {
        size_t s = h->index[i];
        h->heap[s].count++;
        sift_down(h, s);
        return;
    }
    if (h->used < h->k) {
        /* A count of 1 is the least there is: it rises above every larger count on the
         * path to the root. */
        size_t s = h->used++;
        h->heap[s] = (struct hotkey){.key = key, .count = 1, .error = 0};
        set_index(h, i, (uint32_t)s);
        for (; s > 0 && h->heap[(s - 1) / 2].count > 1; s = (s - 1) / 2)
            swap(h, s, (s - 1) / 2);
        return;
    }
    /* Full: the key takes over the least counter and inherits its count as error. */
    unindex(h, h->heap[0].key);
    uint64_t min = h->heap[0].count;
    h->heap[0] = (struct hotkey){.key = key, .count = min + 1, .error = min};
    set_index(h, find(h, key), 0);
    sift_down(h, 0);
}

void hotkeys_add(struct hotkeys *h, uint64_t key)
{
    h->total++;
    if (!h->nkeys) {
        space_saving_add(h, key);
        return;
    }
    SIM_ASSERT(key < h->nkeys);
    if (__builtin_expect(++h->count[key] == 0, 0))
        carry_add(h, key);
}

void hotkeys_prefetch(const struct hotkeys *h, uint64_t key)
{
    if (key < h->nkeys)
        __builtin_prefetch(&h->count[key], 1);
}

uint64_t hotkeys_total(const struct hotkeys *h)
{
    return h->total;
}

/* Whether x ranks before y in the report: more requests first, ties by key. */
static int ranks_before(const struct hotkey *x, const struct hotkey *y)
{
    return x->count != y->count ? x->count > y->count : x->key < y->key;
}

static int by_rank(const void *a, const void *b)
{
    const struct hotkey *x = a, *y = b;
    return ranks_before(x, y) ? -1 : ranks_before(y, x);
}

/* Puts x into the sorted best-max list out[0 .. *n-1] if it belongs there. */
static void keep_best(struct hotkey *out, size_t *n, size_t max, struct hotkey x)
{
    if (*n == max && !ranks_before(&x, &out[*n - 1]))
        return;
    size_t i = *n < max ? (*n)++ : *n - 1;
    for (; i > 0 && ranks_before(&x, &out[i - 1]); i--)
        out[i] = out[i - 1];
    out[i] = x;
}

/* Exact mode: the keys that wrapped first (each count is at least 2^LOW_BITS, above every
 * other), then one pass over the low counters keeps the best max in a sorted array (max is a
 * handful, and after the first few thousand keys almost every key fails the first test); only
 * a key that would get in is looked up in the carry map, to skip the wrapped ones. */
static size_t exact_top(const struct hotkeys *h, struct hotkey *out, size_t max)
{
    size_t n = 0;
    if (max == 0)
        return 0;
    for (size_t j = 0; j <= h->carry_mask; j++) {
        uint64_t key = h->carry_key[j];
        if (key != CARRY_EMPTY)
            keep_best(out, &n, max,
                      (struct hotkey){.key = key,
                                      .count = h->carry_high[j] << LOW_BITS | h->count[key]});
    }
    for (uint64_t key = 0; key < h->nkeys; key++) {
        struct hotkey x = {.key = key, .count = h->count[key], .error = 0};
        if (x.count == 0 || (n == max && !ranks_before(&x, &out[n - 1])))
            continue;
        if (h->carry_used && carry_get(h, key))
            continue;
        keep_best(out, &n, max, x);
    }
    return n;
}

size_t hotkeys_top(const struct hotkeys *h, struct hotkey *out, size_t max)
{
    if (h->nkeys)
        return exact_top(h, out, max);
    struct hotkey *all = sim_xmalloc((h->used ? h->used : 1) * sizeof *all);
    memcpy(all, h->heap, h->used * sizeof *all);
    qsort(all, h->used, sizeof *all, by_rank);
    size_t n = h->used < max ? h->used : max;
    memcpy(out, all, n * sizeof *out);
    free(all);
    return n;
}
