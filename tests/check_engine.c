/* Tests for sim/engine.c and the event queue: ordering by (time, seq), ties in schedule order,
 * the run horizon, and the heap against a sorted reference. */
#include "sim/engine.h"

#include <check.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#define MAXLOG 20000
static double log_t[MAXLOG];
static uint32_t log_tag[MAXLOG];
static size_t nlog;

static void record(struct sim *sim, const struct sim_event *ev)
{
    ck_assert_double_eq(sim->now, ev->t);
    log_t[nlog] = ev->t;
    log_tag[nlog] = ev->tag;
    nlog++;
}

START_TEST(test_ties_run_in_schedule_order)
{
    struct sim sim;
    sim_init(&sim, record, NULL);
    nlog = 0;
    for (uint32_t i = 0; i < 100; i++) {
        struct sim_event ev = {.tag = i};
        sim_schedule(&sim, (i % 3) * 1.0, &ev);
    }
    ck_assert_uint_eq(sim_run(&sim, 10), 100);
    /* Times 0,1,2 in blocks; inside a block the tags ascend (schedule order). */
    for (size_t i = 1; i < nlog; i++) {
        ck_assert(log_t[i - 1] <= log_t[i]);
        if (log_t[i - 1] == log_t[i])
            ck_assert_uint_lt(log_tag[i - 1], log_tag[i]);
    }
    ck_assert_double_eq(sim.now, 10);
    sim_free(&sim);
}
END_TEST

START_TEST(test_horizon_leaves_later_events)
{
    struct sim sim;
    sim_init(&sim, record, NULL);
    nlog = 0;
    struct sim_event a = {.tag = 1}, b = {.tag = 2};
    sim_schedule(&sim, 5, &a);
    sim_schedule(&sim, 15, &b);
    ck_assert_uint_eq(sim_run(&sim, 10), 1);
    ck_assert_uint_eq(evq_size(&sim.q), 1);
    ck_assert_double_eq(sim.now, 10);
    ck_assert_uint_eq(sim_run(&sim, 20), 1);
    ck_assert_uint_eq(log_tag[1], 2);
    sim_free(&sim);
}
END_TEST

/* The engine's cached earliest time must equal the queue's after every push and pop, and
 * sim_next_is_now must agree with its definition read off the queue itself. The handler
 * schedules 0-3 successors at delays of 0, 0.5 or 1 s, so that ties, zero delays and an empty
 * queue all occur. */
static gsl_rng *next_rng;

static void check_next_t(const struct sim *sim)
{
    const struct sim_event *next = evq_peek(&sim->q);
    ck_assert(next ? sim->next_t == next->t : sim->next_t == INFINITY);
    int now = !sim->stop && sim->now_q.len == 0 && (!next || next->t > sim->now);
    ck_assert_int_eq(sim_next_is_now(sim), now);
}

static void branch(struct sim *sim, const struct sim_event *ev)
{
    check_next_t(sim);
    nlog++;
    size_t k = nlog < 5000 ? gsl_rng_uniform_int(next_rng, 4) : 0;
    for (size_t i = 0; i < k; i++) {
        struct sim_event e = {.tag = ev->tag + 1};
        sim_schedule(sim, 0.5 * (double)gsl_rng_uniform_int(next_rng, 3), &e);
        check_next_t(sim);
    }
}

START_TEST(test_next_t_tracks_queue)
{
    static const enum evq_kind kinds[] = {EVQ_HEAP4, EVQ_LADDER};
    for (size_t j = 0; j < 2; j++) {
        struct sim sim;
        sim_init_kind(&sim, branch, NULL, kinds[j]);
        next_rng = gsl_rng_alloc(gsl_rng_mt19937);
        nlog = 0;
        for (uint32_t i = 0; i < 50; i++) {
            struct sim_event ev = {.tag = 0};
            sim_schedule(&sim, 0.25 * i, &ev);
            check_next_t(&sim);
        }
        sim_run(&sim, 1e9);
        check_next_t(&sim);
        ck_assert_uint_eq(sim_pending(&sim), 0);
        ck_assert_uint_ge(nlog, 5000);
        gsl_rng_free(next_rng);
        sim_free(&sim);
    }
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The heap must hand back random times in sorted order, interleaving pushes and pops. */
START_TEST(test_heap_matches_sort)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    struct evq q;
    evq_init(&q, 4);
    static double ref[MAXLOG];
    size_t nref = 0, out = 0;
    static double popped[MAXLOG];
    uint64_t seq = 0;
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 300; i++) {
            struct sim_event ev = {.t = round + gsl_rng_uniform(r) * 10, .seq = seq++};
            ref[nref++] = ev.t;
            evq_push(&q, &ev);
        }
        for (int i = 0; i < 100; i++) {
            struct sim_event ev;
            ck_assert(evq_pop(&q, &ev));
            popped[out++] = ev.t;
        }
    }
    struct sim_event ev;
    while (evq_pop(&q, &ev))
        popped[out++] = ev.t;
    ck_assert_uint_eq(out, nref);
    /* Pops between pushes are each the minimum of what was pending, so each phase's output
     * is sorted; the global multiset must equal the reference. */
    qsort(ref, nref, sizeof ref[0], cmp_double);
    qsort(popped, out, sizeof popped[0], cmp_double);
    for (size_t i = 0; i < out; i++)
        ck_assert_double_eq(ref[i], popped[i]);
    evq_free(&q);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_pop_order_is_nondecreasing)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    struct evq q;
    evq_init(&q, 4);
    for (uint64_t i = 0; i < 10000; i++) {
        struct sim_event ev = {.t = (double)gsl_rng_uniform_int(r, 50), .seq = i};
        evq_push(&q, &ev);
    }
    struct sim_event prev, ev;
    ck_assert(evq_pop(&q, &prev));
    while (evq_pop(&q, &ev)) {
        ck_assert(evq_before(&prev, &ev));
        prev = ev;
    }
    evq_free(&q);
    gsl_rng_free(r);
}
END_TEST

Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_ties_run_in_schedule_order);
    tcase_add_test(tc, test_horizon_leaves_later_events);
    tcase_add_test(tc, test_heap_matches_sort);
    tcase_add_test(tc, test_pop_order_is_nondecreasing);
    tcase_add_test(tc, test_next_t_tracks_queue);
    suite_add_tcase(s, tc);
    return s;
}
