/* Hotspot measures: Gini coefficient of per-node loads and the heaviest keys: exact counts in
 * a flat array over a moderate key space, else Space-Saving, whose counters sit in a min-heap
 * by count (the one to evict is the root) with an open-addressing index from key to heap
 * slot, so each key costs O(log k). */
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

struct hotkeys {
    size_t k; /* Space-Saving counters; 0 in exact mode */
    uint64_t total;
    uint64_t nkeys;  /* exact mode: keys 0 .. nkeys-1; 0 in Space-Saving mode */
    uint64_t *count; /* exact mode: one counter per key */
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

struct hotkeys *hotkeys_create(size_t k, uint64_t nkeys)
{
    SIM_ASSERT(k >= 1 && k < (1u << 24));
    struct hotkeys *h = sim_xcalloc(1, sizeof *h);
    if (nkeys > 0 && nkeys <= HOTKEYS_EXACT_MAX) {
        h->nkeys = nkeys;
        /* calloc: the pages of keys never requested are never touched. */
        h->count = sim_xcalloc(nkeys, sizeof *h->count);
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
    h->count[key]++;
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

/* Exact mode: one pass over the counters keeps the best max in a sorted array (max is a
 * handful, and after the first few thousand keys almost every key fails the first test). */
static size_t exact_top(const struct hotkeys *h, struct hotkey *out, size_t max)
{
    size_t n = 0;
    for (uint64_t key = 0; key < h->nkeys && max > 0; key++) {
        uint64_t c = h->count[key];
        struct hotkey x = {.key = key, .count = c, .error = 0};
        if (c == 0 || (n == max && !ranks_before(&x, &out[n - 1])))
            continue;
        size_t i = n < max ? n++ : n - 1;
        for (; i > 0 && ranks_before(&x, &out[i - 1]); i--)
            out[i] = out[i - 1];
        out[i] = x;
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
