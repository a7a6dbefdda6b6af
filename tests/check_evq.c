/* Tests for the event queue front (sim/evq.c) and both implementations behind it: every popped
 * event must be exactly the pending event that is least in (t, seq), payload included, through
 * slot reuse, growth and ties. Each test runs once per kind (the loop index). */
#include "sim/error.h"
#include "sim/evq.h"

#include <check.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXPEND 600

static struct sim_event pending[MAXPEND];
static size_t npending;

static void assert_same(const struct sim_event *a, const struct sim_event *b)
{
    ck_assert_double_eq(a->t, b->t);
    ck_assert_uint_eq(a->seq, b->seq);
    ck_assert_ptr_eq(a->ptr, b->ptr);
    ck_assert_uint_eq(a->target, b->target);
    ck_assert_uint_eq(a->kind, b->kind);
    ck_assert_uint_eq(a->flags, b->flags);
    ck_assert_uint_eq(a->node, b->node);
    ck_assert_uint_eq(a->tag, b->tag);
}

/* Removes and returns the least pending event of the reference (a linear scan). */
static struct sim_event reference_pop(void)
{
    size_t best = 0;
    for (size_t i = 1; i < npending; i++)
        if (evq_before(&pending[i], &pending[best]))
            best = i;
    struct sim_event ev = pending[best];
    pending[best] = pending[--npending];
    return ev;
}

static void check_against_reference(unsigned long seed, unsigned distinct_times, enum evq_kind kind)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    struct evq q;
    evq_init_kind(&q, 1, kind);
    npending = 0;
    uint64_t seq = 0, pops = 0;
    double now = 0;
    static char payload[8];
    for (int step = 0; step < 20000; step++) {
        /* Pushes win 55% of the time, so the queue grows through several reallocations up to
         * MAXPEND and then hovers there, with freed slots handed out again all along. */
        int push = npending == 0 || (npending < MAXPEND && gsl_rng_uniform(r) < 0.55);
        if (push) {
            uint32_t id = (uint32_t)seq;
            struct sim_event ev = {
                .t = now + (double)gsl_rng_uniform_int(r, distinct_times),
                .seq = seq++,
                .ptr = &payload[id % 8],
                .target = id * 7u,
                .kind = (uint16_t)(id & 0xffff),
                .flags = (uint16_t)(id >> 3),
                .node = id ^ 0x5a5a5a5au,
                .tag = ~id,
            };
            pending[npending++] = ev;
            evq_push(&q, &ev);
        } else {
            struct sim_event want = reference_pop(), got;
            const struct sim_event *top = evq_peek(&q);
            ck_assert_ptr_nonnull(top);
            assert_same(top, &want);
            ck_assert_int_eq(evq_pop(&q, &got), 1);
            assert_same(&got, &want);
            now = got.t;
            pops++;
        }
        ck_assert_uint_eq(evq_size(&q), npending);
    }
    struct sim_event got;
    while (npending) {
        struct sim_event want = reference_pop();
        ck_assert_int_eq(evq_pop(&q, &got), 1);
        assert_same(&got, &want);
    }
    ck_assert_ptr_null(evq_peek(&q));
    ck_assert_int_eq(evq_pop(&q, &got), 0);
    /* Both kinds of step happened many times (each has probability >= 0.45 per step). */
    ck_assert_uint_gt(pops, 5000);
    ck_assert_uint_gt(seq, 5000);
    evq_free(&q);
    gsl_rng_free(r);
}

/* Few distinct times: most comparisons are ties decided by seq. */
START_TEST(test_payloads_with_many_ties)
{
    check_against_reference(3, 4, (enum evq_kind)_i);
}
END_TEST

/* Many distinct times: the tie path is rare and the fast tournament decides. */
START_TEST(test_payloads_with_distinct_times)
{
    check_against_reference(5, 1u << 30, (enum evq_kind)_i);
}
END_TEST

/* Keys are integers derived from the time's bits: negative times must still sort below positive
 * ones, and -0 must tie with +0 so that seq decides between them. */
START_TEST(test_negative_times_and_signed_zeros)
{
    static const double t[] = {3.5, -0.0, -2.0, 0.0, 1e-300, -1e-300, -0.0, 0.0, -INFINITY,
                               INFINITY, -2.5, 0.0};
    const size_t n = sizeof t / sizeof t[0];
    struct evq q;
    evq_init_kind(&q, 4, (enum evq_kind)_i);
    for (size_t i = 0; i < n; i++) {
        struct sim_event ev = {.t = t[i], .seq = i, .tag = (uint32_t)i};
        evq_push(&q, &ev);
    }
    /* The expected order: by value, and among the five zeros by seq (1, 3, 6, 7, 11). */
    static const uint32_t want[] = {8, 10, 2, 5, 1, 3, 6, 7, 11, 4, 0, 9};
    struct sim_event ev;
    for (size_t i = 0; i < n; i++) {
        ck_assert(evq_pop(&q, &ev));
        ck_assert_uint_eq(ev.tag, want[i]);
    }
    ck_assert(!evq_pop(&q, &ev));
    evq_free(&q);
}
END_TEST

/* A queue can be freed and initialised again, and an empty queue reports empty. */
START_TEST(test_reinit)
{
    struct evq q;
    for (int round = 0; round < 2; round++) {
        evq_init_kind(&q, 0, (enum evq_kind)_i);
        ck_assert_uint_eq(evq_size(&q), 0);
        ck_assert_ptr_null(evq_peek(&q));
        for (uint64_t i = 0; i < 100; i++) {
            struct sim_event ev = {.t = (double)(100 - i), .seq = i, .tag = (uint32_t)i};
            evq_push(&q, &ev);
        }
        struct sim_event ev;
        for (uint32_t i = 0; i < 100; i++) {
            ck_assert(evq_pop(&q, &ev));
            ck_assert_uint_eq(ev.tag, 99 - i);
        }
        evq_free(&q);
    }
}
END_TEST

/* CLUSTERSIM_EVQ picks the kind; an unknown name is refused by evq_check_env and, should a
 * queue be built anyway, falls back to the default. */
START_TEST(test_kind_from_environment)
{
    struct sim_error err = {0};
    unsetenv("CLUSTERSIM_EVQ");
    ck_assert_int_eq(evq_default_kind(), EVQ_DEFAULT);
    ck_assert_int_eq(evq_check_env(&err), 0);
    setenv("CLUSTERSIM_EVQ", "heap4", 1);
    ck_assert_int_eq(evq_default_kind(), EVQ_HEAP4);
    struct evq q;
    evq_init(&q, 0);
    ck_assert_int_eq(q.kind, EVQ_HEAP4);
    evq_free(&q);
    setenv("CLUSTERSIM_EVQ", "ladder", 1);
    ck_assert_int_eq(evq_default_kind(), EVQ_LADDER);
    ck_assert_int_eq(evq_check_env(&err), 0);
    setenv("CLUSTERSIM_EVQ", "splay", 1);
    ck_assert_int_eq(evq_default_kind(), EVQ_DEFAULT);
    ck_assert_int_eq(evq_check_env(&err), -1);
    ck_assert_int_eq(err.code, SIM_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.msg, "splay"));
    unsetenv("CLUSTERSIM_EVQ");
    enum evq_kind k;
    ck_assert_int_eq(evq_kind_parse("ladder", &k), 0);
    ck_assert_int_eq(k, EVQ_LADDER);
    ck_assert_str_eq(evq_kind_name(EVQ_HEAP4), "heap4");
    ck_assert_int_eq(evq_kind_parse("", &k), -1);
}
END_TEST

Suite *evq_suite(void)
{
    Suite *s = suite_create("evq");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_payloads_with_many_ties, EVQ_HEAP4, EVQ_LADDER + 1);
    tcase_add_loop_test(tc, test_payloads_with_distinct_times, EVQ_HEAP4, EVQ_LADDER + 1);
    tcase_add_loop_test(tc, test_negative_times_and_signed_zeros, EVQ_HEAP4, EVQ_LADDER + 1);
    tcase_add_loop_test(tc, test_reinit, EVQ_HEAP4, EVQ_LADDER + 1);
    tcase_add_test(tc, test_kind_from_environment);
    suite_add_tcase(s, tc);
    return s;
}
