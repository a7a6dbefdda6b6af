/* Tests for models/limiter.c: exact admission counts of the five algorithms on the book's
 * examples and on hand-derived bursts, departures and Retry-After values, per-client keys,
 * local/central/eventual counting over nodes, and random traffic against plain reference
 * implementations (explicit token level, explicit FIFO, full timestamp log). */
#include "models/limiter.h"

#include <check.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S 1000000000LL /* ns per s */
#define MS 1000000LL   /* ns per ms */

static struct limiter *mk(enum limiter_algo a, uint64_t cap_or_limit, double rate_or_window,
                          enum limiter_keying key)
{
    struct limiter_params p = {.algorithm = a, .key = key};
    if (a == LIMITER_TOKEN_BUCKET || a == LIMITER_LEAKY_BUCKET) {
        p.capacity = cap_or_limit;
        p.rate = rate_or_window;
    } else {
        p.limit = cap_or_limit;
        p.window = rate_or_window;
    }
    struct sim_error err = {0};
    struct limiter *l = NULL;
    ck_assert_int_eq(limiter_create(&p, "rl", &l, &err), 0);
    ck_assert_ptr_nonnull(l);
    return l;
}

/* A node of an eventual group. */
static struct limiter *mk_ev(enum limiter_algo a, uint64_t cap_or_limit, double rate_or_window,
                             enum limiter_keying key)
{
    struct limiter_params p = {
        .algorithm = a, .key = key, .sync = LIMITER_SYNC_EVENTUAL, .sync_interval = 0.08};
    if (a == LIMITER_TOKEN_BUCKET) {
        p.capacity = cap_or_limit;
        p.rate = rate_or_window;
    } else {
        p.limit = cap_or_limit;
        p.window = rate_or_window;
    }
    struct sim_error err = {0};
    struct limiter *l = NULL;
    ck_assert_int_eq(limiter_create(&p, "rl", &l, &err), 0);
    return l;
}

static struct limiter *mk_log(uint64_t limit, double window, int admitted_only)
{
    struct limiter_params p = {.algorithm = LIMITER_SLIDING_WINDOW_LOG,
                               .key = LIMITER_KEY_CLIENT,
                               .limit = limit,
                               .window = window,
                               .log_admitted_only = admitted_only};
    struct sim_error err = {0};
    struct limiter *l = NULL;
    ck_assert_int_eq(limiter_create(&p, "rl", &l, &err), 0);
    return l;
}

/* n requests of one client at t0, t0 + dt, ...; returns how many were admitted. */
static int burst(struct limiter *l, uint64_t client, double t0, double dt, int n)
{
    int ok = 0;
    for (int i = 0; i < n; i++)
        ok += limiter_admit(l, client, t0 + i * dt, NULL);
    return ok;
}

/* ------------------------------------------------------------------ names and parameters */

START_TEST(test_names_round_trip)
{
    for (int a = 0; a < LIMITER_NALGOS; a++) {
        enum limiter_algo got;
        ck_assert_int_eq(limiter_algo_parse(limiter_algo_name(a), &got), 0);
        ck_assert_int_eq(got, a);
    }
    enum limiter_algo a;
    ck_assert_int_eq(limiter_algo_parse("sliding_window_counter", &a), 0);
    ck_assert_int_eq(a, LIMITER_SLIDING_WINDOW_COUNTER);
    ck_assert_int_eq(limiter_algo_parse("token-bucket", &a), -1);
    ck_assert_int_eq(limiter_algo_parse("", &a), -1);
    ck_assert_int_eq(limiter_algo_parse(NULL, &a), -1);
    enum limiter_keying k;
    ck_assert_int_eq(limiter_keying_parse("client", &k), 0);
    ck_assert_int_eq(k, LIMITER_KEY_CLIENT);
    ck_assert_int_eq(limiter_keying_parse("ip", &k), -1);
    ck_assert_str_eq(limiter_keying_name(LIMITER_KEY_GLOBAL), "global");
    enum limiter_sync_mode m;
    ck_assert_int_eq(limiter_sync_parse("eventual", &m), 0);
    ck_assert_int_eq(m, LIMITER_SYNC_EVENTUAL);
    ck_assert_int_eq(limiter_sync_parse("gossip", &m), -1);
    ck_assert_str_eq(limiter_sync_name(LIMITER_SYNC_CENTRAL), "central");
    ck_assert(limiter_supports_eventual(LIMITER_TOKEN_BUCKET));
    ck_assert(limiter_supports_eventual(LIMITER_FIXED_WINDOW));
    ck_assert(limiter_supports_eventual(LIMITER_SLIDING_WINDOW_COUNTER));
    ck_assert(!limiter_supports_eventual(LIMITER_LEAKY_BUCKET));
    ck_assert(!limiter_supports_eventual(LIMITER_SLIDING_WINDOW_LOG));
}
END_TEST

static void expect_bad(const struct limiter_params *p, const char *path)
{
    struct sim_error err = {0};
    struct limiter *l = (struct limiter *)&err; /* must be reset to NULL */
    ck_assert_int_eq(limiter_create(p, "components[1]", &l, &err), -1);
    ck_assert_ptr_null(l);
    ck_assert_int_eq(err.code, SIM_EUSAGE);
    ck_assert_str_eq(err.path, path);
    ck_assert(strlen(err.msg) > 0);
}

START_TEST(test_params_errors)
{
    struct limiter_params tb = {.algorithm = LIMITER_TOKEN_BUCKET, .capacity = 10, .rate = 5};
    struct limiter_params p = tb;
    p.capacity = 0;
    expect_bad(&p, "components[1].capacity");
    p = tb;
    p.rate = 0;
    expect_bad(&p, "components[1].refill_rate");
    p.rate = NAN;
    expect_bad(&p, "components[1].refill_rate");
    p.rate = 1e13;
    expect_bad(&p, "components[1].refill_rate");
    p = tb;
    p.algorithm = LIMITER_LEAKY_BUCKET;
    p.rate = -1;
    expect_bad(&p, "components[1].leak_rate");
    p = tb;
    p.algorithm = LIMITER_LEAKY_BUCKET;
    p.sync = LIMITER_SYNC_EVENTUAL;
    p.sync_interval = 1;
    expect_bad(&p, "components[1].sync");
    p = tb;
    p.sync = LIMITER_SYNC_EVENTUAL;
    expect_bad(&p, "components[1].sync_interval");
    p = tb;
    p.key = (enum limiter_keying)7;
    expect_bad(&p, "components[1].key");
    p = tb;
    p.algorithm = LIMITER_NALGOS;
    expect_bad(&p, "components[1].algorithm");

    struct limiter_params fw = {.algorithm = LIMITER_FIXED_WINDOW, .limit = 100, .window = 60};
    p = fw;
    p.limit = 0;
    expect_bad(&p, "components[1].limit");
    p = fw;
    p.window = 0;
    expect_bad(&p, "components[1].window");
    p.window = 0.4e-9; /* rounds to 0 ns */
    expect_bad(&p, "components[1].window");
    p.window = INFINITY;
    expect_bad(&p, "components[1].window");
    p = fw;
    p.algorithm = LIMITER_SLIDING_WINDOW_LOG;
    p.limit = (uint64_t)UINT32_MAX + 1;
    expect_bad(&p, "components[1].limit");

    /* Unused fields do not matter; a bare field name when there is no path. */
    struct sim_error err = {0};
    ck_assert_int_eq(limiter_params_check(&tb, "x", &err), 0);
    ck_assert_int_eq(limiter_params_check(&fw, NULL, &err), 0);
    p = fw;
    p.sync = LIMITER_SYNC_EVENTUAL;
    p.sync_interval = 0.5;
    ck_assert_int_eq(limiter_params_check(&p, NULL, &err), 0);
    p.limit = 0;
    ck_assert_int_eq(limiter_params_check(&p, NULL, &err), -1);
    ck_assert_str_eq(err.path, "limit");
}
END_TEST

START_TEST(test_ns_rounding)
{
    ck_assert_int_eq(limiter_ns(0), 0);
    ck_assert_int_eq(limiter_ns(59.999), 59999 * MS);
    ck_assert_int_eq(limiter_ns(1.0 / 3), 333333333);
    ck_assert_int_eq(limiter_ns(2.0 / 3), 666666667);
    ck_assert_int_eq(limiter_ns(1e5 / 3), 33333333333333LL);
    ck_assert_int_eq(limiter_ns(-1.5), -1500 * MS);
}
END_TEST

/* ------------------------------------------------------------------ the examples */

/* 100 requests in the last 100 ms before a minute boundary and 100 in the first 100 ms after
 * it. Fixed window: both windows are empty at their start, 200 admitted. Log: the second 100
 * all see 100 admissions in the last minute, 100 admitted (both log variants). Counter: at
 * 60.000 the estimate is 0 + 100 * 60/60 = 100, not < 100; at 60.001 it is
 * 100 * 59.999/60 = 99.998, admitted; then 1 + 100 * (60 - e)/60 >= 100 for every e <= 99 ms.
 * So 101. */
START_TEST(test_window_edge_burst)
{
    struct limiter *fw = mk(LIMITER_FIXED_WINDOW, 100, 60, LIMITER_KEY_GLOBAL);
    struct limiter *lg = mk_log(100, 60, 0);
    struct limiter *la = mk_log(100, 60, 1);
    struct limiter *sc = mk(LIMITER_SLIDING_WINDOW_COUNTER, 100, 60, LIMITER_KEY_GLOBAL);
    struct limiter *all[] = {fw, lg, la, sc};
    int want_before[] = {100, 100, 100, 100};
    int want_after[] = {100, 0, 0, 1};
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(burst(all[k], 9, 59.900, 0.001, 100), want_before[k]);
        ck_assert_int_eq(burst(all[k], 9, 60.000, 0.001, 100), want_after[k]);
        limiter_free(all[k]);
    }
}
END_TEST

/* Capacity 10, refill 3/s, a request every 1/3000 s for 10 s. The first ten requests (within
 * 3 ms) take the ten initial tokens long before the first refill at 1/3 s, so the bucket is
 * never full again and by time t exactly 10 + floor(3 t) tokens have been available. Every
 * refill instant k/3 s is an arrival (i = 1000 k), so each token is taken the moment it is
 * due: 10 + 29 = 39 admissions up to t = 9.9997 s, and the 30th refill at exactly 10 s is met
 * by the arrival at 10 s: 40. A period rounded up to whole ns (333333334) would miss it. */
START_TEST(test_token_bucket_long_burst)
{
    struct limiter *l = mk(LIMITER_TOKEN_BUCKET, 10, 3, LIMITER_KEY_GLOBAL);
    int ok = 0;
    for (int i = 0; i < 30000; i++)
        ok += limiter_admit(l, 0, i / 3000.0, NULL);
    ck_assert_int_eq(ok, 39);
    ck_assert_int_eq(limiter_admit(l, 0, 30000 / 3000.0, NULL), 1);
    ck_assert_int_eq(limiter_admit(l, 0, 30000 / 3000.0, NULL), 0);
    limiter_free(l);

    /* The same law for a different shape: capacity 50, 5/s, a request every ms for 20 s:
     * 50 + floor(5 * 19.999) = 149 (refills at multiples of 0.2 s, all on the ms grid). */
    l = mk(LIMITER_TOKEN_BUCKET, 50, 5, LIMITER_KEY_GLOBAL);
    ck_assert_int_eq(burst(l, 0, 0, 0.001, 20000), 149);
    limiter_free(l);
}
END_TEST

/* No drift over 300000 refills of 1/3 s: capacity 1, a request 1 us before each refill
 * instant k/3 (the bucket is empty: rejected) and one at k/3 (admitted). A period rounded
 * down to 333333333 ns would run 1 us early after 3000 refills and admit the early ones. */
START_TEST(test_token_bucket_no_drift)
{
    struct limiter *l = mk(LIMITER_TOKEN_BUCKET, 1, 3, LIMITER_KEY_GLOBAL);
    ck_assert_int_eq(limiter_admit(l, 0, 0, NULL), 1);
    int early = 0, on_time = 0;
    for (int k = 1; k <= 300000; k++) {
        early += limiter_admit(l, 0, k / 3.0 - 1e-6, NULL);
        on_time += limiter_admit(l, 0, k / 3.0, NULL);
    }
    ck_assert_int_eq(early, 0);
    ck_assert_int_eq(on_time, 300000);
    limiter_free(l);

    /* Rates given as decimals are exact fractions: 0.1/s refills exactly every 10 s. */
    l = mk(LIMITER_TOKEN_BUCKET, 1, 0.1, LIMITER_KEY_GLOBAL);
    ck_assert_int_eq(limiter_admit(l, 0, 0, NULL), 1);
    for (int k = 1; k <= 1000; k++) {
        ck_assert_int_eq(limiter_admit_ns(l, 0, k * 10 * S - 1, NULL), 0);
        ck_assert_int_eq(limiter_admit_ns(l, 0, k * 10 * S, NULL), 1);
    }
    limiter_free(l);
}
END_TEST

/* Capacity 5, leak 2/s: a burst of 10 at t = 0 fills the queue with 5 that leave at 0, 0.5,
 * 1, 1.5 and 2 s (an idle bucket forwards at once); 5 are dropped. A slot frees when a
 * request's leak period (1/rate) after its departure ends: at 0.5 s the first one's. */
START_TEST(test_leaky_bucket_departures)
{
    struct limiter *l = mk(LIMITER_LEAKY_BUCKET, 5, 2, LIMITER_KEY_GLOBAL);
    int64_t d = -1;
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(limiter_admit_ns(l, 0, 0, &d), 1);
        ck_assert_int_eq(d, i * 500 * MS);
    }
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(limiter_admit_ns(l, 0, 0, &d), 0);
    ck_assert_int_eq(d, 2 * S); /* untouched by the drops */
    ck_assert_double_eq(limiter_level(l, 0, 0), 5);
    ck_assert_double_eq(limiter_level(l, 0, 0.25), 5);
    ck_assert_double_eq(limiter_level(l, 0, 0.5), 4);
    ck_assert_int_eq(limiter_retry_after_ns(l, 0, 400 * MS), 100 * MS);
    ck_assert_int_eq(limiter_admit_ns(l, 0, 500 * MS - 1, &d), 0);
    ck_assert_int_eq(limiter_admit_ns(l, 0, 500 * MS, &d), 1);
    ck_assert_int_eq(d, 2500 * MS);
    /* After the backlog drains (last leaves at 2.5 s, its period ends at 3 s) the bucket is
     * idle again and forwards at once. */
    ck_assert_double_eq(limiter_level(l, 0, 3.0), 0);
    double ds = -1;
    ck_assert_int_eq(limiter_admit(l, 0, 3.25, &ds), 1);
    ck_assert_double_eq_tol(ds, 3.25, 1e-15);
    limiter_free(l);

    /* Leak 3/s, capacity 1000: the k-th of a burst leaves at k/3 s, to the nearest ns, with
     * no drift (the 999th at exactly 333 s); one more is dropped and may retry after
     * 1/3 s. */
    l = mk(LIMITER_LEAKY_BUCKET, 1000, 3, LIMITER_KEY_GLOBAL);
    for (int64_t k = 0; k < 1000; k++) {
        ck_assert_int_eq(limiter_admit_ns(l, 0, 0, &d), 1);
        ck_assert_int_eq(d, (k * S + 1) / 3); /* floor(k S / 3 + 1/2) for k S / 3 in thirds */
    }
    ck_assert_int_eq(d, 333 * S);
    ck_assert_int_eq(limiter_admit_ns(l, 0, 0, &d), 0);
    ck_assert_int_eq(limiter_retry_after_ns(l, 0, 0), 333333333);
    ck_assert_int_eq(limiter_admit_ns(l, 0, 333333332, &d), 0);
    ck_assert_int_eq(limiter_admit_ns(l, 0, 333333333, &d), 1);
    ck_assert_int_eq(d, 333333333333LL);
    limiter_free(l);
}
END_TEST

/* Overflow drops over a long overload: capacity 5, leak 4/s (a slot lasts 0.25 s), a request
 * every 100 ms for 100 s. The bucket stays backlogged, so the k-th admission (from 0) leaves at
 * 0.25 k s and is admitted at the first arrival at or after 0.25 k - 1 s (the moment the
 * bucket holds 4): k = 0..4 at 0 .. 0.4 s, then k up to 0.25 k - 1 <= 99.9, i.e. k <= 403:
 * 404 admitted, the last leaving at 403 * 0.25 s. */
START_TEST(test_leaky_bucket_overload)
{
    struct limiter *l = mk(LIMITER_LEAKY_BUCKET, 5, 4, LIMITER_KEY_GLOBAL);
    int ok = 0;
    int64_t last_depart = -1, d;
    for (int64_t i = 0; i < 1000; i++) {
        if (limiter_admit_ns(l, 0, i * 100 * MS, &d)) {
            ck_assert_int_eq(d, (int64_t)ok * 250 * MS);
            last_depart = d;
            ok++;
        }
    }
    ck_assert_int_eq(last_depart, 403 * 250 * MS);
    ck_assert_int_eq(ok, 404);
    limiter_free(l);
}
END_TEST

/* The book's sliding window counter: 7 per minute, 5 requests in the previous minute and 3
 * in the current one; a request 30% into the current minute sees 3 + 5 * 0.7 = 6.5, rounded
 * down to 6 < 7: admitted. The next one sees 4 + 3.5 = 7.5: rejected. It may retry when
 * 5 * (60 - e) / 60 < 3, i.e. e > 24 s: at 24 s + 1 ns into the minute. */
START_TEST(test_counter_book_example)
{
    struct limiter *l = mk(LIMITER_SLIDING_WINDOW_COUNTER, 7, 60, LIMITER_KEY_CLIENT);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(limiter_admit(l, 1, 10.0 + 10 * i, NULL), 1);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(limiter_admit(l, 1, 61.0 + i, NULL), 1);
    ck_assert_double_eq_tol(limiter_level(l, 1, 78), 6.5, 1e-12);
    ck_assert_int_eq(limiter_admit(l, 1, 78, NULL), 1);
    ck_assert_double_eq_tol(limiter_level(l, 1, 78), 7.5, 1e-12);
    ck_assert_int_eq(limiter_admit(l, 1, 78, NULL), 0);
    ck_assert_int_eq(limiter_retry_after_ns(l, 1, 78 * S), 6 * S + 1);
    ck_assert_double_eq_tol(limiter_retry_after(l, 1, 78), 6.000000001, 1e-12);
    ck_assert_int_eq(limiter_admit_ns(l, 1, 84 * S, NULL), 0);
    ck_assert_int_eq(limiter_admit_ns(l, 1, 84 * S + 1, NULL), 1);
    limiter_free(l);
}
END_TEST

/* The book's sliding window log: 2 per minute; requests at 1:00:01 and 1:00:30 are admitted,
 * 1:00:50 rejected, 1:01:40 admitted (the two oldest have left the window). Both variants
 * agree there. They differ at 1:01:45: the book keeps the rejected 1:00:50 in the log, so the
 * window (1:00:45, 1:01:45] holds 2 entries and the request is rejected; logging admitted
 * requests only, the window holds 1:01:40 alone and the request is admitted. */
START_TEST(test_log_book_example)
{
    for (int admitted_only = 0; admitted_only <= 1; admitted_only++) {
        struct limiter *l = mk_log(2, 60, admitted_only);
        ck_assert_int_eq(limiter_admit(l, 5, 61, NULL), 1);
        ck_assert_int_eq(limiter_admit(l, 5, 90, NULL), 1);
        ck_assert_int_eq(limiter_admit(l, 5, 110, NULL), 0);
        /* Retry: the oldest of the last two logged times leaves the window. Book: log holds
         * 90 and 110, so 90 + 60 = 150; admitted only: 61 + 60 = 121. */
        ck_assert_int_eq(limiter_retry_after_ns(l, 5, 110 * S), admitted_only ? 11 * S : 40 * S);
        ck_assert_double_eq(limiter_level(l, 5, 110), 2);
        ck_assert_int_eq(limiter_admit(l, 5, 160, NULL), 1);
        ck_assert_int_eq(limiter_admit(l, 5, 165, NULL), admitted_only);
        limiter_free(l);
    }
    /* The boundary: the window is (now - 60 s, now]; a time exactly 60 s old has left. */
    struct limiter *l = mk_log(1, 60, 1);
    ck_assert_int_eq(limiter_admit_ns(l, 0, 10 * S, NULL), 1);
    ck_assert_int_eq(limiter_admit_ns(l, 0, 70 * S - 1, NULL), 0);
    ck_assert_int_eq(limiter_retry_after_ns(l, 0, 70 * S - 1), 1);
    ck_assert_int_eq(limiter_admit_ns(l, 0, 70 * S, NULL), 1);
    limiter_free(l);
}
END_TEST

/* A client that keeps sending at twice the limit (10/s, a request every 50 ms for 10 s).
 * Logging admitted requests only: 10 in every second, 100. The book's log: the 10 most recent
 * requests always lie within the last 0.5 s, so after the first 10 nothing passes. */
START_TEST(test_log_sustained_overload)
{
    struct limiter *la = mk_log(10, 1, 1);
    struct limiter *lb = mk_log(10, 1, 0);
    ck_assert_int_eq(burst(la, 3, 0, 0.05, 200), 100);
    ck_assert_int_eq(burst(lb, 3, 0, 0.05, 200), 10);
    /* The book's log holds the last 10 requests, 9.5 .. 9.95 s: the oldest leaves the window
     * at 10.5 s. After a pause of a window the client gets 10 through again, then stalls. */
    ck_assert_int_eq(limiter_retry_after_ns(lb, 3, limiter_ns(9.95)), 550 * MS);
    ck_assert_int_eq(burst(lb, 3, 10.95, 0.05, 20), 10);
    limiter_free(la);
    limiter_free(lb);
}
END_TEST

/* Fixed window: aligned to multiples of the window from t = 0. */
START_TEST(test_fixed_window_alignment_and_retry)
{
    struct limiter *l = mk(LIMITER_FIXED_WINDOW, 3, 10, LIMITER_KEY_CLIENT);
    ck_assert_int_eq(burst(l, 1, 12, 0.5, 5), 3);
    ck_assert_double_eq(limiter_level(l, 1, 14), 3);
    ck_assert_int_eq(limiter_retry_after_ns(l, 1, 14 * S), 6 * S);
    ck_assert_int_eq(limiter_admit_ns(l, 1, 20 * S - 1, NULL), 0);
    ck_assert_int_eq(limiter_admit_ns(l, 1, 20 * S, NULL), 1);
    ck_assert_double_eq(limiter_level(l, 1, 20), 1);
    ck_assert_int_eq(limiter_retry_after_ns(l, 1, 20 * S), 0);
    /* Unknown clients: nothing to wait for, no state created by the queries. */
    ck_assert_int_eq(limiter_retry_after_ns(l, 2, 0), 0);
    ck_assert_double_eq(limiter_level(l, 2, 0), 0);
    ck_assert_uint_eq(limiter_keys(l), 1);
    limiter_free(l);
}
END_TEST

/* Retry-After for the token bucket: capacity 2, 4/s: two at t = 0, a third waits 0.25 s; at
 * 0.1 s, 0.15 s. Token level 0 then 0.4 at 0.1 s. For every algorithm, admitting at
 * now + retry_after succeeds and 1 ns earlier fails (checked by probes that do not change
 * the state: a rejection changes nothing except in the book's log). */
START_TEST(test_retry_after_token)
{
    struct limiter *l = mk(LIMITER_TOKEN_BUCKET, 2, 4, LIMITER_KEY_GLOBAL);
    ck_assert_int_eq(burst(l, 0, 0, 0, 3), 2);
    ck_assert_int_eq(limiter_retry_after_ns(l, 0, 0), 250 * MS);
    ck_assert_int_eq(limiter_retry_after_ns(l, 0, 100 * MS), 150 * MS);
    ck_assert_double_eq_tol(limiter_level(l, 0, 0.1), 0.4, 1e-12);
    ck_assert_double_eq_tol(limiter_retry_after(l, 0, 0.1), 0.15, 1e-12);
    limiter_free(l);

    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    for (int a = 0; a < LIMITER_NALGOS; a++) {
        for (int trial = 0; trial < 200; trial++) {
            double x = 1 + gsl_rng_uniform_int(r, 5);
            struct limiter *m = a == LIMITER_SLIDING_WINDOW_LOG
                                    ? mk_log((uint64_t)x, 0.5 + gsl_rng_uniform(r), 1)
                                    : mk(a, (uint64_t)x,
                                         (a <= LIMITER_LEAKY_BUCKET ? 1 + 9 * gsl_rng_uniform(r)
                                                                    : 0.5 + gsl_rng_uniform(r)),
                                         LIMITER_KEY_GLOBAL);
            int64_t t = 0;
            for (int i = 0; i < 40; i++) {
                t += (int64_t)gsl_rng_uniform_int(r, 200) * MS + (int64_t)gsl_rng_uniform_int(r, 3);
                int64_t wait = limiter_retry_after_ns(m, 0, t);
                if (wait > 0) {
                    ck_assert_int_eq(limiter_admit_ns(m, 0, t, NULL), 0);
                    ck_assert_int_eq(limiter_admit_ns(m, 0, t + wait - 1, NULL), 0);
                    t += wait;
                    ck_assert_int_eq(limiter_retry_after_ns(m, 0, t), 0);
                }
                ck_assert_int_eq(limiter_admit_ns(m, 0, t, NULL), 1);
            }
            limiter_free(m);
        }
    }
    gsl_rng_free(r);
}
END_TEST

/* ------------------------------------------------------------------ keys */

/* Per-client keys do not share state, for every algorithm; global keys share one. */
START_TEST(test_client_isolation)
{
    const uint64_t ids[] = {0, 1, 42, 1ULL << 40, UINT64_MAX};
    for (int a = 0; a < LIMITER_NALGOS; a++) {
        struct limiter *pc = mk(a, 3, a <= LIMITER_LEAKY_BUCKET ? 0.01 : 100, LIMITER_KEY_CLIENT);
        struct limiter *gl = mk(a, 3, a <= LIMITER_LEAKY_BUCKET ? 0.01 : 100, LIMITER_KEY_GLOBAL);
        for (size_t i = 0; i < 5; i++) {
            ck_assert_int_eq(burst(pc, ids[i], 1 + 0.01 * (double)i, 0.001, 5), 3);
            ck_assert_int_eq(burst(gl, ids[i], 1 + 0.01 * (double)i, 0.001, 5), i == 0 ? 3 : 0);
        }
        ck_assert_uint_eq(limiter_keys(pc), 5);
        ck_assert_uint_eq(limiter_keys(gl), 1);
        limiter_free(pc);
        limiter_free(gl);
    }
}
END_TEST

/* 100000 clients through table growth: each one's first request passes, its second (limit 1)
 * does not, in a different order; memory grows with keys, not with requests. */
START_TEST(test_many_clients)
{
    struct limiter *l = mk(LIMITER_FIXED_WINDOW, 1, 3600, LIMITER_KEY_CLIENT);
    const uint64_t n = 100000;
    for (uint64_t c = 0; c < n; c++)
        ck_assert_int_eq(limiter_admit(l, c * 0x9E3779B97F4A7C15ULL, 1, NULL), 1);
    ck_assert_uint_eq(limiter_keys(l), n);
    size_t mem = limiter_memory(l);
    for (uint64_t c = n; c-- > 0;)
        ck_assert_int_eq(limiter_admit(l, c * 0x9E3779B97F4A7C15ULL, 2, NULL), 0);
    ck_assert_uint_eq(limiter_memory(l), mem);
    limiter_free(l);

    /* A log of limit 1000 holds at most 1000 times however many requests pass. */
    l = mk_log(1000, 1, 0);
    burst(l, 1, 0, 0.0001, 1000);
    mem = limiter_memory(l);
    burst(l, 1, 0.1, 0.00001, 100000);
    ck_assert_uint_eq(limiter_memory(l), mem);
    limiter_free(l);
}
END_TEST

/* ------------------------------------------------------------------ several nodes */

#define NODES 4

/* 1000 requests, one per ms from t = 0, spread round-robin over 4 nodes; eventual nodes sync
 * 0.5 ms before every multiple of 80 ms. Returns admissions under local (4 limiters),
 * central (one) and eventual counting. */
static void spread(enum limiter_algo a, uint64_t x, double y, int *local, int *central,
                   int *eventual)
{
    struct limiter *loc[NODES], *ev[NODES];
    for (int i = 0; i < NODES; i++) {
        loc[i] = mk(a, x, y, LIMITER_KEY_GLOBAL);
        ev[i] = mk_ev(a, x, y, LIMITER_KEY_GLOBAL);
    }
    struct limiter *cen = mk(a, x, y, LIMITER_KEY_GLOBAL);
    *local = *central = *eventual = 0;
    for (int64_t i = 0; i < 1000; i++) {
        if (i > 0 && i % 80 == 0)
            limiter_sync_ns(ev, NODES, i * MS - MS / 2);
        *local += limiter_admit_ns(loc[i % NODES], 7, i * MS, NULL);
        *central += limiter_admit_ns(cen, 7, i * MS, NULL);
        *eventual += limiter_admit_ns(ev[i % NODES], 7, i * MS, NULL);
    }
    for (int i = 0; i < NODES; i++) {
        limiter_free(loc[i]);
        limiter_free(ev[i]);
    }
    limiter_free(cen);
}

/* Fixed window 100 per minute (and the counter, identical inside the first window): local
 * admits 4 x 100; central 100. Eventual: the first 80 ms bring 20 requests per node, all
 * admitted; after the sync each node counts 20 own + 60 others and admits 20 more of its next
 * 20 (own < 40); after the second sync every node sees 160 >= 100: 160 in all. */
START_TEST(test_sync_windows)
{
    int lo, ce, ev;
    spread(LIMITER_FIXED_WINDOW, 100, 60, &lo, &ce, &ev);
    ck_assert_int_eq(lo, 400);
    ck_assert_int_eq(ce, 100);
    ck_assert_int_eq(ev, 160);
    spread(LIMITER_SLIDING_WINDOW_COUNTER, 100, 60, &lo, &ce, &ev);
    ck_assert_int_eq(lo, 400);
    ck_assert_int_eq(ce, 100);
    ck_assert_int_eq(ev, 160);
}
END_TEST

/* Token bucket of 100 tokens, 10/s. Central: 100 at once, then one per 100 ms at 0.1 ... 0.9
 * s: 109. Local: a node receiving every 4 ms keeps admitting while 0.1 k - 9.9 <= 0.004 k,
 * i.e. 104 requests, then at 0.5 ... 0.9 s: 109 each, 436. Eventual: 20 per node in the first
 * 80 ms; the sync debits 60 tokens, leaving 20 + 10 t, enough for the next 20; the second
 * debit of 60 leaves about -58 tokens, 5.9 s of refill: 160. */
START_TEST(test_sync_token_bucket)
{
    int lo, ce, ev;
    spread(LIMITER_TOKEN_BUCKET, 100, 10, &lo, &ce, &ev);
    ck_assert_int_eq(lo, 436);
    ck_assert_int_eq(ce, 109);
    ck_assert_int_eq(ev, 160);

    /* Below zero after the debit: level and Retry-After show the debt. */
    struct limiter *n[2] = {mk_ev(LIMITER_TOKEN_BUCKET, 10, 1, LIMITER_KEY_CLIENT),
                            mk_ev(LIMITER_TOKEN_BUCKET, 10, 1, LIMITER_KEY_CLIENT)};
    ck_assert_int_eq(burst(n[0], 4, 0, 0, 10), 10);
    ck_assert_int_eq(burst(n[1], 4, 0, 0, 10), 10);
    limiter_sync(n, 2, 0);
    ck_assert_double_eq(limiter_level(n[0], 4, 0), -10);
    ck_assert_double_eq(limiter_level(n[1], 4, 5), -5);
    ck_assert_int_eq(limiter_retry_after_ns(n[1], 4, 0), 11 * S);
    /* A key seen by one node only is created on the other, already debited. */
    ck_assert_int_eq(burst(n[0], 8, 20, 0, 4), 4);
    limiter_sync(n, 2, 20);
    ck_assert_uint_eq(limiter_keys(n[1]), 2);
    ck_assert_double_eq(limiter_level(n[1], 8, 20), 6);
    ck_assert_double_eq(limiter_level(n[0], 8, 20), 6);
    /* A second sync with nothing new changes nothing. */
    limiter_sync(n, 2, 20);
    ck_assert_double_eq(limiter_level(n[1], 8, 20), 6);
    limiter_free(n[0]);
    limiter_free(n[1]);
}
END_TEST

/* The others' counts move from current to previous when the window changes. Counter of 100
 * per 10 s over 4 nodes, 40 requests (10 per node) at 1 s, a sync at 2 s, then 100 requests
 * per node at 15 s, halfway through the next window. Each node's estimate starts at
 * (10 own + 30 others) * 0.5 = 20: it admits 80 (cur + 20 < 100), 320 in all. Central: 40 * 0.5
 * + cur < 100: 80. Local: 10 * 0.5 + cur < 100: 95 per node, 380. */
START_TEST(test_sync_counter_next_window)
{
    struct limiter *ev[NODES], *loc[NODES];
    struct limiter *cen = mk(LIMITER_SLIDING_WINDOW_COUNTER, 100, 10, LIMITER_KEY_CLIENT);
    for (int i = 0; i < NODES; i++) {
        ev[i] = mk_ev(LIMITER_SLIDING_WINDOW_COUNTER, 100, 10, LIMITER_KEY_CLIENT);
        loc[i] = mk(LIMITER_SLIDING_WINDOW_COUNTER, 100, 10, LIMITER_KEY_CLIENT);
    }
    for (int i = 0; i < 40; i++) {
        limiter_admit(ev[i % NODES], 2, 1, NULL);
        limiter_admit(loc[i % NODES], 2, 1, NULL);
        limiter_admit(cen, 2, 1, NULL);
    }
    limiter_sync(ev, NODES, 2);
    ck_assert_double_eq(limiter_level(ev[3], 2, 2), 40);
    ck_assert_double_eq(limiter_level(ev[3], 2, 15), 20);
    int e = 0, lo = 0, c = 0;
    for (int i = 0; i < 400; i++) {
        e += limiter_admit(ev[i % NODES], 2, 15, NULL);
        lo += limiter_admit(loc[i % NODES], 2, 15, NULL);
        c += limiter_admit(cen, 2, 15, NULL);
    }
    ck_assert_int_eq(e, 320);
    ck_assert_int_eq(lo, 380);
    ck_assert_int_eq(c, 80);
    /* Two windows later the others' counts are gone. */
    ck_assert_double_eq(limiter_level(ev[0], 2, 35), 0);
    for (int i = 0; i < NODES; i++) {
        limiter_free(ev[i]);
        limiter_free(loc[i]);
    }
    limiter_free(cen);
}
END_TEST

/* With a sync right after every decision, eventual nodes admit exactly what one central
 * limiter admits, request by request, on random traffic from several clients. */
START_TEST(test_sync_every_decision_is_central)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    const enum limiter_algo algos[] = {LIMITER_TOKEN_BUCKET, LIMITER_FIXED_WINDOW,
                                       LIMITER_SLIDING_WINDOW_COUNTER};
    for (int k = 0; k < 3; k++) {
        double y = algos[k] == LIMITER_TOKEN_BUCKET ? 3 : 1.5;
        struct limiter *cen = mk(algos[k], 5, y, LIMITER_KEY_CLIENT);
        struct limiter *ev[3];
        for (int i = 0; i < 3; i++)
            ev[i] = mk_ev(algos[k], 5, y, LIMITER_KEY_CLIENT);
        int64_t t = 0;
        int admitted = 0;
        for (int i = 0; i < 20000; i++) {
            t += (int64_t)(gsl_ran_exponential(r, 0.05) * 1e9);
            uint64_t client = gsl_rng_uniform_int(r, 3) * 1000003;
            int c = limiter_admit_ns(cen, client, t, NULL);
            int e = limiter_admit_ns(ev[gsl_rng_uniform_int(r, 3)], client, t, NULL);
            ck_assert_int_eq(e, c);
            admitted += c;
            limiter_sync_ns(ev, 3, t);
        }
        /* Not a degenerate run: both outcomes occur often (offered 20/s, 3 clients). */
        ck_assert_int_gt(admitted, 2000);
        ck_assert_int_lt(admitted, 18000);
        limiter_free(cen);
        for (int i = 0; i < 3; i++)
            limiter_free(ev[i]);
    }
    gsl_rng_free(r);
}
END_TEST

/* ------------------------------------------------------------------ references */

#define NCLIENTS 5
static const uint64_t client_ids[NCLIENTS] = {0, 17, 1ULL << 33, 0xDEADBEEFCAFEULL, UINT64_MAX};

/* Random arrival times in ns: exponential gaps, with a share of repeated times and of times
 * on the grid of half refill periods (rounded to ns), where the boundary cases live. */
static int64_t next_time(gsl_rng *r, int64_t t, double mean_s, int64_t rate)
{
    double u = gsl_rng_uniform(r);
    if (u < 0.2)
        return t;
    if (u < 0.3) {
        int64_t j =
            (int64_t)(((__int128)t * 2 * rate) / S) + 1 + (int64_t)gsl_rng_uniform_int(r, 2);
        return (int64_t)(((__int128)j * S + rate) / (2 * rate)); /* nearest ns of j S / 2r */
    }
    return t + (int64_t)(gsl_ran_exponential(r, mean_s) * 1e9);
}

/* Token bucket as the book draws it: a level refilled continuously at rate r up to C, in
 * units of 1e-9 token so that r units arrive per ns. Times are resolved to the ns (limiter.h):
 * a request takes a whole token when the level reaches one token by now + 1/2 ns, and when the
 * bucket became full after now - 1/2 ns it counts as full at the arrival itself, so the
 * level keeps the refill of that fraction of a ns (at most r/2 units above the cap). */
struct ref_tb {
    int64_t level; /* 1e-9 tokens */
    int64_t last;  /* ns */
};

static int ref_tb_admit(struct ref_tb *b, int64_t C, int64_t rate, int64_t t)
{
    int64_t dt = t - b->last;
    b->last = t;
    /* Full at last + (C S - level) / r; still refilling at t - 1/2 ns? */
    if (dt <= C * S && 2 * (C * S - b->level) >= rate * (2 * dt - 1))
        b->level += rate * dt;
    else
        b->level = C * S;
    if (2 * b->level + rate > 2 * S) {
        b->level -= S;
        return 1;
    }
    return 0;
}

START_TEST(test_token_bucket_vs_reference)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 21);
    const int64_t rates[] = {3, 4, 7};
    for (int k = 0; k < 3; k++) {
        int64_t C = 1 + 2 * k, rate = rates[k];
        struct limiter *l = mk(LIMITER_TOKEN_BUCKET, (uint64_t)C, (double)rate, LIMITER_KEY_CLIENT);
        struct ref_tb ref[NCLIENTS];
        for (int c = 0; c < NCLIENTS; c++)
            ref[c] = (struct ref_tb){.level = C * S, .last = 0};
        int64_t t = 0;
        int admitted = 0;
        for (int i = 0; i < 60000; i++) {
            t = next_time(r, t, 0.05 / (double)rate, rate);
            int c = (int)gsl_rng_uniform_int(r, NCLIENTS);
            int want = ref_tb_admit(&ref[c], C, rate, t);
            ck_assert_int_eq(limiter_admit_ns(l, client_ids[c], t, NULL), want);
            admitted += want;
        }
        ck_assert_int_gt(admitted, 6000);
        ck_assert_int_lt(admitted, 54000);
        limiter_free(l);
    }
    gsl_rng_free(r);
}
END_TEST

/* Leaky bucket as an explicit FIFO: each admitted request leaves at max(now, previous leave +
 * 1/r) (the previous one counting as now when within now's ns) and holds its slot until 1/r
 * after it leaves. Times in ticks of 1/r ns, so 1/r s is S
 * ticks; a slot end e (ticks) has passed at t when 2 e < 2 r t + r (ns resolution). */
#define REF_QMAX 64
struct ref_lb {
    int64_t end[REF_QMAX]; /* slot ends, ticks, oldest first */
    int n;
    int64_t last_end; /* ticks; the previous request's slot end even when gone */
};

static int ref_lb_admit(struct ref_lb *b, int C, int64_t rate, int64_t t, int64_t *depart)
{
    while (b->n > 0 && 2 * b->end[0] < 2 * rate * t + rate) {
        memmove(b->end, b->end + 1, (size_t)(b->n - 1) * sizeof b->end[0]);
        b->n--;
    }
    if (b->n >= C)
        return 0;
    /* Busy until last_end, unless that was before the arrival's ns (as for the token level). */
    int64_t start = 2 * b->last_end >= 2 * rate * t - rate ? b->last_end : rate * t;
    b->end[b->n++] = b->last_end = start + S;
    *depart = (2 * start + rate) / (2 * rate); /* nearest ns, halves up; start >= 0 */
    return 1;
}

START_TEST(test_leaky_bucket_vs_reference)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 22);
    const int64_t rates[] = {3, 4, 7};
    for (int k = 0; k < 3; k++) {
        int C = 1 + 3 * k;
        int64_t rate = rates[k];
        struct limiter *l = mk(LIMITER_LEAKY_BUCKET, (uint64_t)C, (double)rate, LIMITER_KEY_CLIENT);
        struct ref_lb ref[NCLIENTS];
        memset(ref, 0, sizeof ref);
        int64_t t = 0;
        int admitted = 0;
        for (int i = 0; i < 60000; i++) {
            t = next_time(r, t, 0.05 / (double)rate, rate);
            int c = (int)gsl_rng_uniform_int(r, NCLIENTS);
            int64_t want_d = -1, got_d = -2;
            int want = ref_lb_admit(&ref[c], C, rate, t, &want_d);
            ck_assert_int_eq(limiter_admit_ns(l, client_ids[c], t, &got_d), want);
            if (want) {
                ck_assert_int_eq(got_d, want_d);
                admitted++;
            }
        }
        ck_assert_int_gt(admitted, 6000);
        ck_assert_int_lt(admitted, 54000);
        limiter_free(l);
    }
    gsl_rng_free(r);
}
END_TEST

/* Windows against plain bookkeeping: fixed windows count admissions per window index; the
 * log keeps every logged time and counts those in (t - w, t]; the counter keeps every
 * admission's window index. Window 1.5 s, limit 4, ~8 requests per window per client. */
#define REF_MAXT 20000
struct ref_win {
    int64_t times[REF_MAXT]; /* logged (log) or admitted (others) times, ns */
    int n;
};

static uint64_t ref_count_in(const struct ref_win *w, int64_t lo, int64_t hi) /* (lo, hi] */
{
    uint64_t c = 0;
    for (int i = w->n - 1; i >= 0 && w->times[i] > lo; i--)
        c += w->times[i] <= hi;
    return c;
}

static int ref_win_admit(struct ref_win *w, enum limiter_algo a, int admitted_only, uint64_t limit,
                         int64_t wns, int64_t t)
{
    int ok;
    int64_t start = (t >= 0 ? t / wns : -((-t + wns - 1) / wns)) * wns;
    if (a == LIMITER_FIXED_WINDOW) {
        ok = ref_count_in(w, start - 1, t) < limit;
    } else if (a == LIMITER_SLIDING_WINDOW_LOG) {
        ok = ref_count_in(w, t - wns, t) < limit;
        if (!ok && !admitted_only)
            w->times[w->n++] = t;
    } else {
        uint64_t cur = ref_count_in(w, start - 1, t),
                 prev = ref_count_in(w, start - wns - 1, start - 1);
        /* cur + prev (w - e) / w < limit, in exact integers (values are small). */
        ok = (__int128)cur * wns + (__int128)prev * (wns - (t - start)) < (__int128)limit * wns;
    }
    if (ok)
        w->times[w->n++] = t;
    return ok;
}

START_TEST(test_windows_vs_reference)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 23);
    static struct ref_win ref[NCLIENTS];
    for (int k = 0; k < 4; k++) {
        enum limiter_algo a = k == 0   ? LIMITER_FIXED_WINDOW
                              : k == 3 ? LIMITER_SLIDING_WINDOW_COUNTER
                                       : LIMITER_SLIDING_WINDOW_LOG;
        int admitted_only = k == 2;
        struct limiter *l = a == LIMITER_SLIDING_WINDOW_LOG ? mk_log(4, 1.5, admitted_only)
                                                            : mk(a, 4, 1.5, LIMITER_KEY_CLIENT);
        memset(ref, 0, sizeof ref);
        int64_t t = 0;
        int admitted = 0;
        for (int i = 0; i < 15000; i++) {
            /* Grid rate 20: a fifth of the times on multiples of 25 ms, so on window edges. */
            t = next_time(r, t, 0.1, 20);
            int c = (int)gsl_rng_uniform_int(r, NCLIENTS);
            int want = ref_win_admit(&ref[c], a, admitted_only, 4, 1500 * MS, t);
            ck_assert_int_eq(limiter_admit_ns(l, client_ids[c], t, NULL), want);
            admitted += want;
        }
        ck_assert_int_gt(admitted, 1000);
        ck_assert_int_lt(admitted, 14000);
        limiter_free(l);
    }
    gsl_rng_free(r);
}
END_TEST

Suite *limiter_suite(void)
{
    Suite *s = suite_create("limiter");
    TCase *tc = tcase_create("basics");
    tcase_add_test(tc, test_names_round_trip);
    tcase_add_test(tc, test_params_errors);
    tcase_add_test(tc, test_ns_rounding);
    suite_add_tcase(s, tc);
    tc = tcase_create("algorithms");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_window_edge_burst);
    tcase_add_test(tc, test_token_bucket_long_burst);
    tcase_add_test(tc, test_token_bucket_no_drift);
    tcase_add_test(tc, test_leaky_bucket_departures);
    tcase_add_test(tc, test_leaky_bucket_overload);
    tcase_add_test(tc, test_counter_book_example);
    tcase_add_test(tc, test_log_book_example);
    tcase_add_test(tc, test_log_sustained_overload);
    tcase_add_test(tc, test_fixed_window_alignment_and_retry);
    tcase_add_test(tc, test_retry_after_token);
    suite_add_tcase(s, tc);
    tc = tcase_create("keys");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_client_isolation);
    tcase_add_test(tc, test_many_clients);
    suite_add_tcase(s, tc);
    tc = tcase_create("nodes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sync_windows);
    tcase_add_test(tc, test_sync_token_bucket);
    tcase_add_test(tc, test_sync_counter_next_window);
    tcase_add_test(tc, test_sync_every_decision_is_central);
    suite_add_tcase(s, tc);
    tc = tcase_create("reference");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_token_bucket_vs_reference);
    tcase_add_test(tc, test_leaky_bucket_vs_reference);
    tcase_add_test(tc, test_windows_vs_reference);
    suite_add_tcase(s, tc);
    return s;
}
