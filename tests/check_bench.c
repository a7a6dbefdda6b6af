/* Tests for sim/bench.c: the hold model dispatches exactly the requested number of events,
 * keeps the queue at its size, and advances the clock as a superposition of Poisson streams. */
#include "sim/bench.h"

#include <check.h>
#include <math.h>

/* P tokens, each rescheduled after Exp(1), form P independent unit-rate Poisson processes (the
 * Exp(1) prefill is their stationary start), so the K-th event falls at a Gamma(K, rate P) time:
 * mean K/P, relative standard deviation 1/sqrt(K). With a ring of R draws the mean increment is
 * itself an average of R Exp(1) draws (relative sd 1/sqrt(R)). Five combined standard
 * deviations leave a false-failure chance below 1e-6. */
static void check_clock(const struct bench_hold_config *cfg, const struct bench_hold_result *res)
{
    double k = (double)(cfg->warmup + cfg->events);
    double rel = 1 / k;
    if (cfg->rng == BENCH_RNG_RING)
        rel += 1 / (double)cfg->ring;
    double mean = k / (double)cfg->pending;
    ck_assert_double_eq_tol(res->sim_end, mean, 5 * sqrt(rel) * mean);
}

/* Once per event queue (the loop index). */
START_TEST(test_hold_counts_events_ring)
{
    struct bench_hold_config cfg;
    struct bench_hold_result res;
    bench_hold_defaults(&cfg, 100, 10000, 42);
    cfg.warmup = 500;
    cfg.evq = (enum evq_kind)_i;
    bench_hold_run(&cfg, &res);
    ck_assert_uint_eq(res.dispatched, 10000);
    ck_assert_uint_eq(res.min_pending, 100);
    ck_assert_uint_eq(res.max_pending, 100);
    ck_assert(res.wall_s >= 0);
    ck_assert(res.cpu_s >= 0);
    check_clock(&cfg, &res);
}
END_TEST

START_TEST(test_hold_counts_events_live)
{
    struct bench_hold_config cfg;
    struct bench_hold_result res;
    bench_hold_defaults(&cfg, 37, 5003, 7);
    cfg.rng = BENCH_RNG_LIVE;
    bench_hold_run(&cfg, &res);
    ck_assert_uint_eq(res.dispatched, 5003);
    ck_assert_uint_eq(res.min_pending, 37);
    ck_assert_uint_eq(res.max_pending, 37);
    check_clock(&cfg, &res);
}
END_TEST

/* Warm-up events are run but neither timed nor counted. */
START_TEST(test_hold_warmup_not_counted)
{
    struct bench_hold_config cfg;
    struct bench_hold_result res;
    bench_hold_defaults(&cfg, 10, 1, 1);
    cfg.warmup = 999;
    bench_hold_run(&cfg, &res);
    ck_assert_uint_eq(res.dispatched, 1);
    ck_assert_uint_eq(res.min_pending, 10);
    ck_assert_uint_eq(res.max_pending, 10);
    /* 1000 holds over 10 tokens put the clock near 100 (see check_clock). */
    check_clock(&cfg, &res);
}
END_TEST

START_TEST(test_hold_zero_events)
{
    struct bench_hold_config cfg;
    struct bench_hold_result res;
    bench_hold_defaults(&cfg, 5, 0, 1);
    bench_hold_run(&cfg, &res);
    ck_assert_uint_eq(res.dispatched, 0);
    ck_assert_uint_eq(res.min_pending, 5);
    ck_assert_uint_eq(res.max_pending, 5);
    ck_assert_double_eq(res.events_per_s, 0);
}
END_TEST

START_TEST(test_hold_short_form)
{
    double rate = bench_hold(64, 20000, 3);
    ck_assert(isfinite(rate));
    ck_assert(rate > 0);
}
END_TEST

Suite *bench_suite(void)
{
    Suite *s = suite_create("bench");
    TCase *tc = tcase_create("hold");
    tcase_add_loop_test(tc, test_hold_counts_events_ring, EVQ_HEAP4, EVQ_LADDER + 1);
    tcase_add_test(tc, test_hold_counts_events_live);
    tcase_add_test(tc, test_hold_warmup_not_counted);
    tcase_add_test(tc, test_hold_zero_events);
    tcase_add_test(tc, test_hold_short_form);
    suite_add_tcase(s, tc);
    return s;
}
