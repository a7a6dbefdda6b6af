/* The migration of moved keys at a scale: for a sharded cache the copy plan's order and
 * lookup, the stream's exact duration, no cold-miss dip, the workers it takes on source and
 * target, keys landing on their new owners, failures and a scale in mid-copy, scale-in,
 * write-back, replicas and the outputs; for a sharded database the copy's duration and load,
 * where keys are served meanwhile, the key sample and a primary failing; and the errors for
 * bad fields. */
#include "models/migration.h"
#include "models/placement.h"
#include "models/registry.h"
#include "sim/error.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/series.h"
#include "sim/world.h"
#include "tests/testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the plan -------------------------------------------------------------------------- */

/* Batches follow (source, target, key) order, never mix pairs, skip settled items, and the
 * lookup answers the source until an item is settled. */
START_TEST(test_plan_order)
{
    struct migration m = {0};
    struct mig_item *it = malloc(6 * sizeof *it);
    it[0] = (struct mig_item){50, 1, 0};
    it[1] = (struct mig_item){10, 0, 2};
    it[2] = (struct mig_item){30, 0, 1};
    it[3] = (struct mig_item){20, 0, 2};
    it[4] = (struct mig_item){40, 0, 2};
    it[5] = (struct mig_item){60, 1, 0};
    migration_plan(&m, it, 6);
    ck_assert_uint_eq(m.in_transit, 6);
    ck_assert_uint_eq(migration_source(&m, 40), 0);
    ck_assert_uint_eq(migration_source(&m, 60), 1);
    ck_assert_uint_eq(migration_source(&m, 41), UINT32_MAX);
    size_t from, to;
    /* Pair (0, 1): key 30 alone. */
    ck_assert(migration_next_batch(&m, 2, &from, &to));
    ck_assert_uint_eq(to - from, 1);
    ck_assert_uint_eq(m.item[m.order[from]].key, 30);
    /* Pair (0, 2): keys 10, 20 then 40; settling 20 first leaves 10 and 40 in one batch. */
    migration_settle(&m, m.order[from + 2]);
    ck_assert_uint_eq(migration_source(&m, 20), UINT32_MAX);
    ck_assert(migration_next_batch(&m, 2, &from, &to));
    ck_assert_uint_eq(to - from, 3);
    ck_assert_uint_eq(m.item[m.order[from]].key, 10);
    ck_assert_uint_eq(m.item[m.order[to - 1]].key, 40);
    /* Source 1 fails: its two keys are dropped, and nothing is left. */
    ck_assert_uint_eq(migration_drop_source(&m, 1), 2);
    ck_assert_uint_eq(m.in_transit, 6 - 1 - 2);
    ck_assert(!migration_next_batch(&m, 2, &from, &to));
    migration_free(&m);
    migration_free(&m);
}
END_TEST

/* ---- scenarios ------------------------------------------------------------------------- */

/* One run of a scenario text and its summary; run_end frees them (not the text). */
struct run {
    struct scenario *sc;
    struct world *w;
    cJSON *s;
};

static struct run run_start(const char *text, uint64_t seed)
{
    struct run r = {.sc = tu_load(text)};
    r.w = tu_run(r.sc, seed);
    r.s = report_summary(r.w);
    return r;
}

static void run_end(struct run *r)
{
    cJSON_Delete(r->s);
    world_free(r->w);
    scenario_free(r->sc);
}

/* A trace-driven cache of 2 nodes (modulo, room for every key) scaled at t = 1 s; each of
 * keys 0..99 is read (or written) at 0.1 s + key ms, read at 1.001 s + key x 10 us (during
 * the copy) and at 2 s + key ms. */
struct trace_opts {
    const char *migration; /* the cache's migration member, or "" */
    const char *events;    /* more events, each preceded by a comma, or "" */
    const char *cache;     /* more cache members, each preceded by a comma, or "" */
    const char *comps;     /* more components, each preceded by a comma, or "" */
    int object_size;       /* the workload's, 0: none */
    int nodes_to;          /* the scale's node count; 0: 3 */
    int write_first;       /* the first pass writes */
};

static char *trace_build(const struct trace_opts *o)
{
    static char rows[3 * 100 * 40];
    size_t len = 0;
    for (int k = 0; k < 100; k++)
        len += (size_t)snprintf(rows + len, sizeof rows - len, "%.6f,%s,%d,0\n", 0.1 + k * 1e-3,
                                o->write_first ? "write" : "read", k);
    for (int k = 0; k < 100; k++)
        len += (size_t)snprintf(rows + len, sizeof rows - len, "%.6f,read,%d,0\n", 1.001 + k * 1e-5,
                                k);
    for (int k = 0; k < 100; k++)
        len += (size_t)snprintf(rows + len, sizeof rows - len, "%.6f,read,%d,0\n", 2 + k * 1e-3, k);
    const char *trace = tu_write_temp(rows, ".csv");
    char *text = malloc(4096);
    snprintf(text, 4096,
             "{\"name\":\"t\",\"duration\":\"3s\",\"metrics\":{\"interval\":\"0.5s\","
             "\"key_sample\":100},"
             "\"workload\":{\"trace\":\"%s\",\"entry\":\"cache\",\"ops\":{\"read\":1,"
             "\"write\":1},\"keys\":{\"count\":100}%s},"
             "\"components\":[{\"id\":\"cache\",\"type\":\"cache\",\"nodes\":2,"
             "\"capacity\":1000%s%s%s}%s],"
             "\"events\":[{\"at\":\"1s\",\"action\":\"scale\",\"target\":\"cache\","
             "\"nodes\":%d}%s]}",
             trace, o->object_size ? ",\"object_size\":2000" : "", o->migration[0] ? "," : "",
             o->migration, o->cache, o->comps, o->nodes_to ? o->nodes_to : 3, o->events);
    return text;
}

static char *trace_case(const char *migration, const char *extra_events)
{
    struct trace_opts o = {migration, extra_events, "", "", 0, 0, 0};
    return trace_build(&o);
}

/* The node that owns a key under modulo over n nodes. */
static uint32_t owner_of(uint32_t n, uint64_t key)
{
    struct placement *p;
    ck_assert_int_eq(placement_create(PLACEMENT_MODULO, NULL, n, NULL, &p, NULL), 0);
    uint32_t o = placement_lookup(p, placement_hash_id(p, key));
    placement_free(p);
    return o;
}

/* Each of the n nodes holds exactly the keys (of 0..99) it owns over n nodes. */
static void assert_keys_owned(struct world *w, uint32_t n)
{
    struct comp *cc = &w->comps[0];
    for (uint32_t i = 0; i < n; i++) {
        uint64_t owned = 0;
        for (uint64_t k = 0; k < 100; k++)
            owned += owner_of(n, k) == i;
        struct node_stats ns = {0};
        cc->ops->node_stats(cc, &w->sim, i, &ns);
        ck_assert_uint_eq(ns.keys, owned);
    }
}

static const cJSON *only_move(const cJSON *summary)
{
    const cJSON *moves = cJSON_GetObjectItem(tu_comp(summary, "cache"), "key_moves");
    ck_assert_int_eq(cJSON_GetArraySize(moves), 1);
    return cJSON_GetArrayItem(moves, 0);
}

/* Every key lands on its new owner: the 100 reads after the copy all hit, as do the reads
 * during it (the old node serves a key in transit), where dropping the moved keys makes each
 * of them a miss. Each node then holds exactly the keys it owns. The stream sends
 * moved x 1000 B at 1 MB/s: 1 ms per key, exactly. */
START_TEST(test_keys_land)
{
    uint32_t moved = 0;
    for (uint64_t k = 0; k < 100; k++)
        moved += owner_of(2, k) != owner_of(3, k);
    ck_assert_uint_gt(moved, 0);
    for (int migrate = 0; migrate < 2; migrate++) {
        char *text = trace_case(
            migrate ? "\"migration\":{\"bandwidth\":\"1MB/s\",\"item_size\":1000,\"batch\":4}" : "",
            "");
        struct run r = run_start(text, 1);
        struct world *w = r.w;
        cJSON *s = r.s;
        const cJSON *c = tu_comp(s, "cache"), *m = only_move(s);
        if (!migrate) {
            /* The reads at 1.001 s find the moved keys gone, and refill them. */
            ck_assert_double_eq(tu_num(c, "misses"), 100 + moved);
            ck_assert_ptr_null(cJSON_GetObjectItem(m, "migrated_keys"));
        } else {
            ck_assert_double_eq(tu_num(c, "misses"), 100);
            ck_assert_double_eq(tu_num(c, "hits"), 200);
            ck_assert_double_eq(tu_num(m, "migration_planned"), moved);
            ck_assert_double_eq(tu_num(m, "migrated_keys"), moved);
            ck_assert_double_eq(tu_num(m, "migration_dropped"), 0);
            ck_assert_double_eq(tu_num(m, "migrated_bytes"), moved * 1000.0);
            ck_assert_double_eq(tu_num(m, "migration_start_s"), 1);
            ck_assert_double_eq_tol(tu_num(m, "migration_s"), moved * 1e-3, 1e-12);
            assert_keys_owned(w, 3);
        }
        run_end(&r);
        free(text);
    }
}
END_TEST

/* Node 0 fails 2.5 ms into a copy of 1 key per batch at 1 ms per key, while the stream sends
 * node 0's keys (sources go in order): two have landed, the third batch is lost at its end
 * (at 3 ms: sent, so it counts in the bytes and the time), and node 0's other keys are
 * dropped at the failure. The stream goes on with node 1's keys, but those bound for node 0
 * are dropped at once (the target refuses), without taking any time. */
START_TEST(test_source_fails)
{
    uint32_t from0 = 0, from1 = 0, to0 = 0, per_owner0 = 0;
    for (uint64_t k = 0; k < 100; k++)
        per_owner0 += owner_of(3, k) == 0;
    for (uint64_t k = 0; k < 100; k++)
        if (owner_of(2, k) != owner_of(3, k)) {
            *(owner_of(2, k) == 0 ? &from0 : &from1) += 1;
            to0 += owner_of(3, k) == 0;
        }
    ck_assert_uint_ge(from0, 3);
    char *text =
        trace_case("\"migration\":{\"bandwidth\":\"1MB/s\",\"item_size\":1000,\"batch\":1}",
                   ",{\"at\":\"1.0025s\",\"action\":\"fail\",\"target\":\"cache\",\"node\":0}");
    struct run r = run_start(text, 1);
    struct world *w = r.w;
    cJSON *s = r.s;
    const cJSON *m = only_move(s);
    ck_assert_double_eq(tu_num(m, "migration_planned"), from0 + from1);
    ck_assert_double_eq(tu_num(m, "migrated_keys"), 2 + from1 - to0);
    ck_assert_double_eq(tu_num(m, "migration_dropped"), from0 - 2 + to0);
    ck_assert_double_eq(tu_num(m, "migrated_bytes"), (3 + from1 - to0) * 1000.0);
    ck_assert_double_eq_tol(tu_num(m, "migration_s"), (3 + from1 - to0) * 1e-3, 1e-12);
    /* The failed node holds nothing; the reads at 2 s of the keys it owns fail. */
    ck_assert_double_eq(tu_num(tu_comp(s, "cache"), "failed"), per_owner0);
    struct comp *cc = &w->comps[0];
    struct node_stats ns = {0};
    cc->ops->node_stats(cc, &w->sim, 0, &ns);
    ck_assert_uint_eq(ns.keys, 0);
    run_end(&r);
    free(text);
}
END_TEST

/* The figures when node 1 fails 2.5 ms into a copy of 1 key per batch at 1 ms per key, from
 * 2 nodes (or shards) to 3 under modulo. Pairs go (0,1), (0,2), (1,0), (1,2): two keys of
 * (0,1) have landed, the batch in flight is lost at its end (its bytes and time count), the
 * rest of the pair is dropped at once when its next batch finds the target down, node 1's own
 * keys go with it, and the pair (0,2) is copied in full. */
static void assert_node1_failed(const cJSON *m)
{
    uint32_t n01 = 0, n02 = 0, n1 = 0;
    for (uint64_t k = 0; k < 100; k++) {
        uint32_t a = owner_of(2, k), b = owner_of(3, k);
        n01 += a == 0 && b == 1;
        n02 += a == 0 && b == 2;
        n1 += a == 1 && b != 1;
    }
    ck_assert_uint_ge(n01, 3);
    ck_assert_double_eq(tu_num(m, "migration_planned"), n01 + n02 + n1);
    ck_assert_double_eq(tu_num(m, "migrated_keys"), 2 + n02);
    ck_assert_double_eq(tu_num(m, "migration_dropped"), n01 - 2 + n1);
    ck_assert_double_eq(tu_num(m, "migrated_bytes"), (3 + n02) * 1000.0);
    ck_assert_double_eq_tol(tu_num(m, "migration_s"), (3 + n02) * 1e-3, 1e-12);
}

/* A cache's node 1 fails: a target of node 0's first keys, and a source. */
START_TEST(test_target_fails)
{
    char *text =
        trace_case("\"migration\":{\"bandwidth\":\"1MB/s\",\"item_size\":1000,\"batch\":1}",
                   ",{\"at\":\"1.0025s\",\"action\":\"fail\",\"target\":\"cache\",\"node\":1}");
    struct run r = run_start(text, 1);
    cJSON *s = r.s;
    assert_node1_failed(only_move(s));
    run_end(&r);
    free(text);
}
END_TEST

/* Scaling in from 2 nodes to 1: node 1, out of the placement, keeps serving its keys until
 * they are copied, so every read hits after the first pass; then node 0 holds all 100. */
START_TEST(test_scale_in)
{
    uint32_t on1 = 0;
    for (uint64_t k = 0; k < 100; k++)
        on1 += owner_of(2, k) == 1;
    struct trace_opts o = {
        "\"migration\":{\"bandwidth\":\"1MB/s\",\"item_size\":1000}", "", "", "", 0, 1, 0};
    char *text = trace_build(&o);
    struct run r = run_start(text, 1);
    struct world *w = r.w;
    cJSON *s = r.s;
    const cJSON *m = only_move(s);
    ck_assert_double_eq(tu_num(m, "migrated_keys"), on1);
    ck_assert_double_eq(tu_num(tu_comp(s, "cache"), "misses"), 100);
    ck_assert_double_eq(tu_num(tu_comp(s, "cache"), "hits"), 200);
    struct comp *cc = &w->comps[0];
    for (uint32_t i = 0; i < 2; i++) {
        struct node_stats ns = {0};
        cc->ops->node_stats(cc, &w->sim, i, &ns);
        ck_assert_uint_eq(ns.keys, i == 0 ? 100 : 0);
    }
    run_end(&r);
    free(text);
}
END_TEST

/* Write-back: the 100 keys are written (dirty, flushed only after 10 s, past the run's end).
 * A dirty key that migrates is flushed from its old node as it lands, so the flushes are
 * exactly the migrated keys, and nothing is lost; the keys that stay are still dirty. */
START_TEST(test_write_back)
{
    uint32_t moved = 0;
    for (uint64_t k = 0; k < 100; k++)
        moved += owner_of(2, k) != owner_of(3, k);
    struct trace_opts o = {"\"migration\":{\"bandwidth\":\"1MB/s\",\"item_size\":1000}",
                           "",
                           ",\"backend\":\"db\",\"write_policy\":\"write_back\","
                           "\"flush_after\":\"10s\"",
                           ",{\"id\":\"db\",\"type\":\"service\",\"workers\":\"unlimited\"}",
                           0,
                           0,
                           1};
    char *text = trace_build(&o);
    struct run r = run_start(text, 1);
    cJSON *s = r.s;
    const cJSON *c = tu_comp(s, "cache");
    ck_assert_double_eq(tu_num(only_move(s), "migrated_keys"), moved);
    ck_assert_double_eq(tu_num(c, "flushes"), moved);
    ck_assert_double_eq(tu_num(c, "lost_writes"), 0);
    ck_assert_double_eq(tu_num(c, "hits"), 200);
    ck_assert_double_eq(tu_num(tu_comp(s, "db"), "requests"), moved);
    run_end(&r);
    free(text);
}
END_TEST

/* Ring placement, replication factor 2, on 2 nodes then 3. Reads fill only the node that
 * serves them (the primary), so each key is held once. A key whose new primary lacks it is
 * copied there once, also when its holder stays an owner (a replica, which keeps it); other
 * copies on nodes that no longer own the key are removed. Every read after the first pass
 * hits, and no node holds more keys than it owns. */
START_TEST(test_replicated)
{
    struct trace_opts o = {"\"migration\":{\"bandwidth\":\"1MB/s\",\"item_size\":1000}",
                           "",
                           ",\"sharding\":{\"scheme\":\"ring\",\"replication_factor\":2}",
                           "",
                           0,
                           0,
                           0};
    char *text = trace_build(&o);
    struct run r = run_start(text, 1);
    struct world *w = r.w;
    cJSON *s = r.s;
    ck_assert_double_eq(tu_num(tu_comp(s, "cache"), "hits"), 200);
    ck_assert_double_eq(tu_num(only_move(s), "migration_dropped"), 0);
    struct placement *p;
    ck_assert_int_eq(placement_create(PLACEMENT_RING, NULL, 3, NULL, &p, NULL), 0);
    uint64_t owned[3] = {0}, held = 0;
    for (uint64_t k = 0; k < 100; k++) {
        uint32_t own[2];
        size_t n = placement_lookup_n(p, placement_hash_id(p, k), own, 2);
        for (size_t j = 0; j < n; j++)
            owned[own[j]]++;
    }
    placement_free(p);
    struct comp *cc = &w->comps[0];
    for (uint32_t i = 0; i < 3; i++) {
        struct node_stats ns = {0};
        cc->ops->node_stats(cc, &w->sim, i, &ns);
        ck_assert_uint_le(ns.keys, owned[i]);
        held += ns.keys;
    }
    /* Each key is on at least its primary. */
    ck_assert_uint_ge(held, 100);
    run_end(&r);
    free(text);
}
END_TEST

/* A second scale 2.5 ms into the copy ends the first migration there; the keys not yet copied
 * are planned again under the new placement, and in the end every node holds exactly the
 * keys it owns over 4 nodes: no key is lost or left behind. */
START_TEST(test_scale_during_copy)
{
    char *text =
        trace_case("\"migration\":{\"bandwidth\":\"1MB/s\",\"item_size\":1000,\"batch\":1}",
                   ",{\"at\":\"1.0025s\",\"action\":\"scale\",\"target\":\"cache\",\"nodes\":4}");
    struct run r = run_start(text, 1);
    struct world *w = r.w;
    cJSON *s = r.s;
    const cJSON *moves = cJSON_GetObjectItem(tu_comp(s, "cache"), "key_moves");
    ck_assert_int_eq(cJSON_GetArraySize(moves), 2);
    const cJSON *a = cJSON_GetArrayItem(moves, 0), *b = cJSON_GetArrayItem(moves, 1);
    ck_assert_double_eq(tu_num(a, "migration_end_s"), 1.0025);
    ck_assert_double_eq(tu_num(a, "migrated_keys"), 2);
    ck_assert_double_eq(tu_num(b, "migration_dropped"), 0);
    ck_assert_double_eq(tu_num(tu_comp(s, "cache"), "misses"), 100);
    assert_keys_owned(w, 4);
    run_end(&r);
    free(text);
}
END_TEST

/* A cache of 4 x 10000 entries over 100000 uniform keys read at 200000/s, scaled to 5 nodes
 * at 1 s (as in the cache suite's dip test, whose reasoning gives a steady hit ratio of 0.4
 * before the scale and standard errors under 0.008 per interval of 4000 reads). Each node has
 * one worker and lookups take no time, so its busy time is the migration's alone. */
#define SCALE_AT 1.0
#define SCALE_ROW 50 /* the interval [1.00, 1.02) */
static char *load_case(char *buf, size_t len, int migrate)
{
    snprintf(buf, len,
             "{\"name\":\"mig\",\"duration\":\"2s\",\"metrics\":{\"interval\":\"0.02s\","
             "\"key_sample\":100000},\"workload\":{\"rate\":200000,\"entry\":\"cache\","
             "\"ops\":{\"read\":1},\"keys\":{\"count\":100000}},"
             "\"components\":[{\"id\":\"cache\",\"type\":\"cache\",\"capacity\":10000,"
             "\"nodes\":4,\"workers\":1,\"service\":0%s}],"
             "\"events\":[{\"at\":\"%gs\",\"action\":\"scale\",\"target\":\"cache\","
             "\"nodes\":5}]}",
             migrate ? ",\"migration\":{\"bandwidth\":\"100MB/s\",\"item_size\":\"1KB\","
                       "\"batch\":10}"
                     : "",
             SCALE_AT);
    return buf;
}

static size_t column(const struct world *w, const char *name)
{
    for (size_t i = 0; i < w->series.ncols; i++)
        if (strcmp(w->series.names[i], name) == 0)
            return i;
    ck_abort_msg("no column %s", name);
    return 0;
}

/* Without migration the first interval after the scale dips by about 0.31 (the cache suite's
 * derivation: 4/5 of the cached keys are gone). With it, the moved keys are still served by
 * their old nodes, so the expected ratio is the steady 0.4 less what the old nodes evict of
 * their keys in transit while they refill keys they now own (at most the interval's misses,
 * 0.6 x 4000 of 32000 keys in transit, under 0.03 of the reads): asserted within 0.06 of
 * before, i.e. the 0.03 plus 4 standard errors of the difference of two interval means
 * (0.008 each).
 *
 * The stream sends bytes / bandwidth, exactly: the holds never wait (lookups take no time).
 * Each batch holds one worker on its source and one on its target, so the busy time summed
 * over the nodes is exactly twice the migration's duration, and without migration it is
 * zero. A request that finds its node held waits for the rest of one batch (10 KB at 100 MB/s
 * = 100 us) and never more: the batch's next hold queues behind it. */
START_TEST(test_no_dip_and_load)
{
    double after[2], before[2], busy[2], mean_wait[2], max_wait[2];
    for (int migrate = 0; migrate < 2; migrate++) {
        char text[2048];
        struct run r = run_start(load_case(text, sizeof text, migrate), 3);
        struct world *w = r.w;
        cJSON *s = r.s;
        size_t col = column(w, "cache.hit_ratio");
        before[migrate] = series_range_mean(&w->series, col, SCALE_ROW - 25, SCALE_ROW);
        after[migrate] = series_get(&w->series, SCALE_ROW, col);
        struct comp *cc = &w->comps[0];
        busy[migrate] = 0;
        for (uint32_t i = 0; i < 5; i++) {
            struct node_stats ns = {0};
            cc->ops->node_stats(cc, &w->sim, i, &ns);
            /* One worker, over the 2 s run; node 4 exists from the scale on. */
            busy[migrate] += ns.util * (i < 4 ? 2.0 : 2.0 - SCALE_AT);
        }
        mean_wait[migrate] = hist_mean(&cc->latency);
        max_wait[migrate] = hist_max(&cc->latency);
        fprintf(stderr,
                "migration %d: hit ratio %.4f before, %.4f after; busy %.6f s; "
                "cache latency mean %.3g s, max %.3g s\n",
                migrate, before[migrate], after[migrate], busy[migrate], mean_wait[migrate],
                max_wait[migrate]);
        if (migrate) {
            const cJSON *m = only_move(s);
            double bytes = tu_num(m, "migrated_bytes"), dur = tu_num(m, "migration_s");
            fprintf(stderr, "migration: %.0f of %.0f keys, %.0f bytes in %.6f s\n",
                    tu_num(m, "migrated_keys"), tu_num(m, "migration_planned"), bytes, dur);
            ck_assert_double_eq_tol(dur, bytes / 100e6, 1e-9 * dur);
            ck_assert_double_eq_tol(busy[1], 2 * dur, 1e-6 * dur);
            ck_assert_double_eq(tu_num(m, "migrated_keys") + tu_num(m, "migration_dropped"),
                                tu_num(m, "migration_planned"));
            /* Not all make it: the old nodes are full, and the keys they now own that they
             * fill evict the least recently used, often keys still waiting for the stream. */
            ck_assert_double_gt(tu_num(m, "migrated_keys"), 0);
        }
        run_end(&r);
    }
    ck_assert_msg(after[0] < before[0] - 0.2, "no dip without migration");
    ck_assert_msg(after[1] > before[1] - 0.06, "a dip with migration: %.4f then %.4f", before[1],
                  after[1]);
    ck_assert_double_eq(busy[0], 0);
    ck_assert_double_eq(max_wait[0], 0);
    ck_assert_double_gt(mean_wait[1], 0);
    ck_assert_double_le(max_wait[1], 100e-6 * (1 + 1e-9));
}
END_TEST

/* keymoves.csv carries the migration columns, and the timeseries the keys in transit, which
 * are all copied by the end. Without an item_size, a key weighs the workload's object_size. */
START_TEST(test_outputs)
{
    struct trace_opts o = {
        "\"migration\":{\"bandwidth\":\"1MB/s\",\"batch\":4}", "", "", "", 1, 0, 0};
    char *text = trace_build(&o);
    struct run r = run_start(text, 1);
    struct world *w = r.w;
    cJSON *s = r.s;
    const cJSON *m = only_move(s);
    ck_assert_double_eq(tu_num(m, "migrated_bytes"), 2000 * tu_num(m, "migrated_keys"));
    char *dir = tu_temp_dir();
    struct sim_error err = {0};
    ck_assert_int_eq(report_write(w, s, dir, &err), 0);
    char path[512], row[512];
    snprintf(path, sizeof path, "%s/keymoves.csv", dir);
    size_t len;
    char *csv = tu_read_file(path, &len);
    ck_assert_ptr_nonnull(csv);
    snprintf(row, sizeof row,
             "\n1,cache,2,3,100,%.9g,%.9g,0.333333333,%.9g,%.9g,%.9g,0,1,%.9g,%.9g\n",
             tu_num(m, "moved"), tu_num(m, "moved_fraction"), tu_num(m, "migration_planned"),
             tu_num(m, "migrated_keys"), tu_num(m, "migrated_bytes"), tu_num(m, "migration_end_s"),
             tu_num(m, "migration_s"));
    ck_assert_msg(strstr(csv, row), "%s lacks %s", csv, row);
    free(csv);
    size_t col = column(w, "cache.in_transit");
    ck_assert_double_eq(series_get(&w->series, 0, col), 0);
    ck_assert_double_eq(series_get(&w->series, w->series.nrows - 1, col), 0);
    tu_remove_tree(dir);
    free(dir);
    run_end(&r);
    free(text);
}
END_TEST

/* ---- databases ------------------------------------------------------------------------- */

/* A database of 2 shards (no replicas, one worker, no service time) scaled to 3 at 0.9995 s,
 * whose 100 evenly spaced keys (of `count`) are read at 0.1 s + i ms, at 1 s + i us (before
 * the first batch lands) and at 2 s + i ms; `extra` more events. */
static char *db_case(const char *migration, const char *extra, int count)
{
    static char buf[3 * 100 * 40];
    size_t len = 0;
    for (int pass = 0; pass < 3; pass++)
        for (int k = 0; k < 100; k++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%.6f,read,%d,0\n",
                                    pass == 0   ? 0.1 + k * 1e-3
                                    : pass == 1 ? 1 + k * 1e-6
                                                : 2 + k * 1e-3,
                                    k * (count / 100));
    const char *path = tu_write_temp(buf, ".csv");
    char *text = malloc(4096);
    snprintf(
        text, 4096,
        "{\"name\":\"t\",\"duration\":\"3s\",\"metrics\":{\"interval\":\"0.5s\","
        "\"key_sample\":100},"
        "\"workload\":{\"trace\":\"%s\",\"entry\":\"db\",\"ops\":{\"read\":1,\"write\":1},"
        "\"keys\":{\"count\":%d}},"
        "\"components\":[{\"id\":\"db\",\"type\":\"database\",\"shards\":2,\"workers\":1%s%s}],"
        "\"events\":[{\"at\":\"0.9995s\",\"action\":\"scale\",\"target\":\"db\","
        "\"shards\":3}%s]}",
        path, count, migration[0] ? "," : "", migration, extra);
    return text;
}

static const cJSON *db_move(const cJSON *summary)
{
    const cJSON *moves = cJSON_GetObjectItem(tu_comp(summary, "db"), "key_moves");
    ck_assert_int_eq(cJSON_GetArraySize(moves), 1);
    return cJSON_GetArrayItem(moves, 0);
}

/* The moved keys (all 100 are known: no more than key_sample) are copied in 1 ms each; the
 * busy time over the primaries is exactly twice that (each batch holds both ends), and the
 * new shard (node 2) serves its keys only once they are copied: the reads at 1 s, before the
 * first batch lands, go to the old shards, where without migration they go to node 2. */
START_TEST(test_db_copy)
{
    uint32_t moved = 0, to2 = 0;
    for (uint64_t k = 0; k < 100; k++) {
        moved += owner_of(2, k) != owner_of(3, k);
        to2 += owner_of(3, k) == 2;
    }
    for (int migrate = 0; migrate < 2; migrate++) {
        char *text = db_case(migrate ? "\"migration\":{\"bandwidth\":\"1MB/s\",\"item_size\":1000,"
                                       "\"batch\":1}"
                                     : "",
                             "", 100);
        struct run r = run_start(text, 1);
        struct world *w = r.w;
        cJSON *s = r.s;
        const cJSON *m = db_move(s);
        struct comp *cc = &w->comps[0];
        double busy = 0;
        uint64_t node2 = 0;
        for (uint32_t i = 0; i < 3; i++) {
            struct node_stats ns = {0};
            cc->ops->node_stats(cc, &w->sim, i, &ns);
            busy += ns.util * (i < 2 ? 3.0 : 3.0 - 0.9995);
            if (i == 2)
                node2 = ns.requests;
        }
        if (migrate) {
            ck_assert_double_eq(tu_num(m, "migration_planned"), moved);
            ck_assert_double_eq(tu_num(m, "migrated_keys"), moved);
            ck_assert_double_eq(tu_num(m, "migrated_bytes"), moved * 1000.0);
            ck_assert_double_eq_tol(tu_num(m, "migration_s"), moved * 1e-3, 1e-12);
            ck_assert_double_eq_tol(busy, 2 * moved * 1e-3, 1e-9);
            ck_assert_uint_eq(node2, to2);
        } else {
            ck_assert_ptr_null(cJSON_GetObjectItem(m, "migrated_keys"));
            ck_assert_double_eq(busy, 0);
            ck_assert_uint_eq(node2, 2 * to2);
        }
        run_end(&r);
        free(text);
    }
}
END_TEST

/* With 1000 keys and a sample of 100 (every tenth key), each sampled key stands for 10: the
 * plan is 10 x the sampled keys that move. */
START_TEST(test_db_sampled)
{
    uint32_t moved = 0;
    for (uint64_t i = 0; i < 100; i++)
        moved += owner_of(2, 10 * i) != owner_of(3, 10 * i);
    char *text = db_case("\"migration\":{\"bandwidth\":\"10MB/s\",\"item_size\":1000}", "", 1000);
    struct run r = run_start(text, 1);
    cJSON *s = r.s;
    const cJSON *m = db_move(s);
    ck_assert_double_eq(tu_num(m, "migration_planned"), 10 * moved);
    ck_assert_double_eq(tu_num(m, "migrated_keys"), 10 * moved);
    ck_assert_double_eq_tol(tu_num(m, "migration_s"), 10 * moved * 1e-4, 1e-12);
    run_end(&r);
    free(text);
}
END_TEST

/* Shard 1's primary (node 1) fails as the cache's node 1 does in test_target_fails (the
 * database scales at 0.9995 s: 2.5 ms in is 1.002 s); its keys move without their data. */
START_TEST(test_db_primary_fails)
{
    char *text =
        db_case("\"migration\":{\"bandwidth\":\"1MB/s\",\"item_size\":1000,\"batch\":1}",
                ",{\"at\":\"1.002s\",\"action\":\"fail\",\"target\":\"db\",\"node\":1}", 100);
    struct run r = run_start(text, 1);
    cJSON *s = r.s;
    assert_node1_failed(db_move(s));
    run_end(&r);
    free(text);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------------- */

/* A bad migration field is reported at its own line and path. */
static void bad(const char *member, int line, const char *path, const char *needle)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\n"
             "  \"name\": \"t\",\n"
             "  \"duration\": \"10s\",\n"
             "  \"workload\": {\"rate\": 10, \"entry\": \"cache\"},\n"
             "  \"components\": [\n"
             "    {\"id\": \"cache\", \"type\": \"cache\", \"capacity\": 10,\n"
             "     %s}\n"
             "  ]\n"
             "}\n",
             member);
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    int rc = scenario_load_text("t.json", text, strlen(text), NULL, 0, model_registry, &sc, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_null(sc);
    ck_assert_msg(strcmp(err.path, path) == 0, "path '%s', expected '%s' (%s)", err.path, path,
                  err.msg);
    ck_assert_msg(err.line == line, "line %d, expected %d (%s)", err.line, line, err.msg);
    ck_assert_msg(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
}

START_TEST(test_errors)
{
    const char *m = "components[0].migration";
    bad("\"migration\": 5", 7, m, "must be an object");
    bad("\"migration\": {\"item_size\": 10}", 7, "components[0].migration.bandwidth",
        "is required");
    bad("\"migration\": {\n\"bandwith\": \"1MB/s\"}", 8, "components[0].migration.bandwith",
        "did you mean \"bandwidth\"");
    bad("\"migration\": {\n\"bandwidth\": \"100MB\"}", 8, "components[0].migration.bandwidth",
        "size per second");
    bad("\"migration\": {\n\"bandwidth\": 0}", 8, "components[0].migration.bandwidth", "above 0");
    bad("\"migration\": {\n\"bandwidth\": \"fastMB/s\"}", 8, "components[0].migration.bandwidth",
        "size per second");
    bad("\"migration\": {\"bandwidth\": \"1MB/s\",\n\"item_size\": \"4 parsecs\"}", 8,
        "components[0].migration.item_size", "size");
    bad("\"migration\": {\"bandwidth\": \"1MB/s\",\n\"item_size\": 0}", 8,
        "components[0].migration.item_size", "from 1 byte");
    bad("\"migration\": {\"bandwidth\": \"1MB/s\",\n\"batch\": 0.5}", 8,
        "components[0].migration.batch", "whole number");
    bad("\"placement\": \"sidecar\",\n\"migration\": {\"bandwidth\": \"1MB/s\"}", 8, m, "sidecar");
    /* A database's migration is the same object. */
    const char *db = "{\n"
                     "  \"name\": \"t\",\n"
                     "  \"duration\": \"10s\",\n"
                     "  \"workload\": {\"rate\": 10, \"entry\": \"db\"},\n"
                     "  \"components\": [\n"
                     "    {\"id\": \"db\", \"type\": \"database\", \"shards\": 2,\n"
                     "     \"migration\": {\"bandwidth\": \"1MB/s\",\n"
                     "                   \"batch\": -1}}\n"
                     "  ]\n"
                     "}\n";
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    ck_assert_int_eq(
        scenario_load_text("t.json", db, strlen(db), NULL, 0, model_registry, &sc, &err), -1);
    ck_assert_str_eq(err.path, "components[0].migration.batch");
    ck_assert_int_eq(err.line, 8);
}
END_TEST

Suite *migration_suite(void)
{
    Suite *s = suite_create("migration");
    TCase *tc = tcase_create("plan");
    tcase_add_test(tc, test_plan_order);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("statistical");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_keys_land);
    tcase_add_test(tc, test_source_fails);
    tcase_add_test(tc, test_target_fails);
    tcase_add_test(tc, test_scale_in);
    tcase_add_test(tc, test_write_back);
    tcase_add_test(tc, test_replicated);
    tcase_add_test(tc, test_db_copy);
    tcase_add_test(tc, test_db_sampled);
    tcase_add_test(tc, test_db_primary_fails);
    tcase_add_test(tc, test_scale_during_copy);
    tcase_add_test(tc, test_no_dip_and_load);
    tcase_add_test(tc, test_outputs);
    suite_add_tcase(s, tc);
    return s;
}
