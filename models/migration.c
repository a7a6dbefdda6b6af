/* The "migration" object of sharded caches and the copy plan of one scale: the keys in
 * transit, in the order the copy stream takes them, and a lookup of where each is served. */
#include "models/migration.h"
#include "sim/error.h"
#include "sim/params.h"
#include "sim/station.h"
#include "sim/units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* "100MB/s" (a size per second) or a number of bytes per second. */
static int parse_bandwidth(const cJSON *v, const char *path, double *out, struct sim_error *err)
{
    static const char *const expect = "must be a size per second such as \"100MB/s\" or "
                                      "\"1GiB/s\", or a number of bytes per second, above 0";
    if (cJSON_IsNumber(v)) {
        if (!(v->valuedouble > 0) || !isfinite(v->valuedouble))
            return sim_fail(err, path, "%s", expect);
        *out = v->valuedouble;
        return 0;
    }
    if (!cJSON_IsString(v))
        return sim_fail(err, path, "%s", expect);
    size_t len = strlen(v->valuestring);
    char size[64];
    if (len < 3 || len >= sizeof size || strcmp(v->valuestring + len - 2, "/s") != 0)
        return sim_fail(err, path, "%s", expect);
    memcpy(size, v->valuestring, len - 2);
    size[len - 2] = '\0';
    if (units_parse_size(size, out) != 0 || !(*out > 0) || !isfinite(*out))
        return sim_fail(err, path, "%s", expect);
    return 0;
}

int migration_parse(const cJSON *obj, const char *path, struct migration_cfg *out,
                    struct sim_error *err)
{
    static const char *const allowed[] = {"bandwidth", "item_size", "batch", NULL};
    char sub[300];
    *out = (struct migration_cfg){.batch_keys = 10};
    if (!obj || cJSON_IsNull(obj)) /* null: off, e.g. --set components.cache.migration=null */
        return 0;
    if (!cJSON_IsObject(obj))
        return sim_fail(err, path,
                        "must be an object such as {\"bandwidth\": \"100MB/s\", "
                        "\"item_size\": \"1KiB\"}");
    if (params_only_members(obj, allowed, path, NULL, err))
        return -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "bandwidth");
    path_member(sub, sizeof sub, path, "bandwidth");
    if (!v)
        return sim_fail(err, sub, "is required: the copy stream's rate, e.g. \"100MB/s\"");
    if (parse_bandwidth(v, sub, &out->bandwidth, err))
        return -1;
    if ((v = cJSON_GetObjectItemCaseSensitive(obj, "item_size"))) {
        path_member(sub, sizeof sub, path, "item_size");
        if (units_size(v, sub, &out->item_size, err))
            return -1;
        if (!(out->item_size >= 1) || out->item_size > 1e12)
            return sim_fail(err, sub, "must be from 1 byte to 1TB");
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(obj, "batch"))) {
        path_member(sub, sizeof sub, path, "batch");
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
            v->valuedouble > 1e6)
            return sim_fail(err, sub, "must be a whole number of keys from 1 to 1000000");
        out->batch_keys = (uint32_t)v->valuedouble;
    }
    out->on = 1;
    return 0;
}

double migration_item_size(const struct migration_cfg *cfg, double object_size)
{
    if (cfg->item_size > 0)
        return cfg->item_size;
    return object_size > 0 ? object_size : 1024;
}

static int cmp_key(const void *a, const void *b)
{
    uint64_t x = ((const struct mig_item *)a)->key, y = ((const struct mig_item *)b)->key;
    return (x > y) - (x < y);
}

/* Copy order: by source, then target, then key (one slot after the other, as a resharding
 * tool moves them); `idx` is the item's place in the key order. */
struct order_rec {
    uint32_t src, tgt;
    uint64_t key;
    uint32_t idx;
};

static int cmp_order(const void *a, const void *b)
{
    const struct order_rec *x = a, *y = b;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    if (x->tgt != y->tgt)
        return x->tgt < y->tgt ? -1 : 1;
    return (x->key > y->key) - (x->key < y->key);
}

void migration_plan(struct migration *m, struct mig_item *items, size_t n)
{
    migration_free(m);
    qsort(items, n, sizeof *items, cmp_key);
    m->item = items;
    m->n = n;
    m->order = sim_xmalloc((n ? n : 1) * sizeof *m->order);
    m->waiting = sim_xmalloc(n ? n : 1);
    struct order_rec *rec = sim_xmalloc((n ? n : 1) * sizeof *rec);
    for (size_t i = 0; i < n; i++)
        rec[i] = (struct order_rec){items[i].src, items[i].tgt, items[i].key, (uint32_t)i};
    qsort(rec, n, sizeof *rec, cmp_order);
    for (size_t i = 0; i < n; i++)
        m->order[i] = rec[i].idx;
    free(rec);
    memset(m->waiting, 1, n);
    m->next = 0;
    m->in_transit = n;
}

static size_t find(const struct migration *m, uint64_t key)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->item[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n && m->item[lo].key == key ? lo : SIZE_MAX;
}

uint32_t migration_source(const struct migration *m, uint64_t key)
{
    if (!m->in_transit)
        return UINT32_MAX;
    size_t i = find(m, key);
    return i != SIZE_MAX && m->waiting[i] ? m->item[i].src : UINT32_MAX;
}

int migration_next_batch(struct migration *m, uint32_t most, size_t *from, size_t *to)
{
    while (m->next < m->n && !m->waiting[m->order[m->next]])
        m->next++;
    if (m->next == m->n)
        return 0;
    const struct mig_item *first = &m->item[m->order[m->next]];
    size_t end = m->next;
    uint32_t taken = 0;
    while (end < m->n && taken < most) {
        const struct mig_item *it = &m->item[m->order[end]];
        if (it->src != first->src || it->tgt != first->tgt)
            break;
        taken += m->waiting[m->order[end]];
        end++;
    }
    *from = m->next;
    *to = end;
    m->next = end;
    return 1;
}

void migration_settle(struct migration *m, uint32_t idx)
{
    if (m->waiting[idx]) {
        m->waiting[idx] = 0;
        m->in_transit--;
    }
}

size_t migration_drop_source(struct migration *m, uint32_t node)
{
    size_t dropped = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->waiting[i] && m->item[i].src == node) {
            migration_settle(m, (uint32_t)i);
            dropped++;
        }
    return dropped;
}

int mig_batch_begin(struct mig_batch *b, struct station *st, struct sim *sim, uint32_t src,
                    uint32_t tgt, uint64_t keys, uint16_t hold_kind)
{
    b->src = src;
    b->tgt = tgt;
    b->keys = keys;
    b->src_epoch = st->nodes[src].epoch;
    b->tgt_epoch = st->nodes[tgt].epoch;
    b->on = 1;
    b->src_held = station_hold(st, sim, src, hold_kind);
    b->tgt_held = station_hold(st, sim, tgt, hold_kind);
    return b->src_held && b->tgt_held;
}

int mig_batch_held(struct mig_batch *b, uint32_t node)
{
    if (!b->on || (b->src_held && b->tgt_held))
        return 0;
    if (node == b->src && !b->src_held)
        b->src_held = 1;
    else if (node == b->tgt && !b->tgt_held)
        b->tgt_held = 1;
    else
        return 0;
    return b->src_held && b->tgt_held;
}

static int alive(const struct station *st, uint32_t node, uint32_t epoch)
{
    return st->nodes[node].up && st->nodes[node].epoch == epoch;
}

int mig_batch_intact(const struct mig_batch *b, const struct station *st)
{
    return alive(st, b->src, b->src_epoch) && alive(st, b->tgt, b->tgt_epoch);
}

int mig_batch_end(struct mig_batch *b, struct station *st, struct sim *sim)
{
    int intact = mig_batch_intact(b, st);
    if (alive(st, b->src, b->src_epoch))
        station_unhold(st, sim, b->src);
    if (alive(st, b->tgt, b->tgt_epoch))
        station_unhold(st, sim, b->tgt);
    b->on = 0;
    return intact;
}

void migration_free(struct migration *m)
{
    free(m->item);
    free(m->order);
    free(m->waiting);
    *m = (struct migration){0};
}
