/* Tests for sim/engine.c and the event queue: ordering by (time, seq), ties in schedule order,
 * the run horizon, the heap against a sorted reference, and the lane against the plain queue. */
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

/* The lane in lockstep with the plain queue: two engines run the same random model, one with
 * its stream of "lane" events (tag 1) in the lane, the other with them in the queue through
 * sim_schedule_at. Every handler draws from its engine's own generator with the same seed, so
 * the engines stay in step only while they dispatch the same events in the same order: any
 * difference in order shows up as a difference in the logs. Delays are mostly multiples of
 * 0.5 s (0 included), so that the lane's events tie with queued and zero-delay ones; a lane event
 * sometimes schedules two successors, the first of which is displaced to the queue; the runs
 * go in slices of 0.75 s, so that the horizon falls between and on event times. */
#define LANE_EVENTS 20000

struct lane_log {
    double t;
    uint64_t seq;
    uint32_t tag;
    int next_is_now;
    size_t pending;
};

struct lane_model {
    gsl_rng *rng;
    int use_lane;
    size_t n, max_pending;
    struct lane_log log[4 * LANE_EVENTS];
};

static void lane_next(struct sim *sim, struct lane_model *m, double delay)
{
    struct sim_event e = {.tag = 1};
    if (m->use_lane)
        sim_lane_at(sim, sim->now + delay, &e);
    else
        sim_schedule_at(sim, sim->now + delay, &e);
}

static void lane_handler(struct sim *sim, const struct sim_event *ev)
{
    struct lane_model *m = sim->world;
    ck_assert_double_eq(sim->now, ev->t);
    ck_assert_uint_lt(m->n, 4 * LANE_EVENTS);
    m->log[m->n++] = (struct lane_log){ev->t, ev->seq, ev->tag, sim_next_is_now(sim),
                                       sim_pending(sim)};
    if (m->n >= LANE_EVENTS)
        return;
    if (ev->tag == 1) {
        if (gsl_rng_uniform_int(m->rng, 8) == 0)
            lane_next(sim, m, 0.5 * (double)gsl_rng_uniform_int(m->rng, 4));
        lane_next(sim, m, 0.5 * (double)gsl_rng_uniform_int(m->rng, 4));
    }
    /* 0-2 others, one on average, in the first half (the queue grows to hundreds, past the
     * ladder's small path); 0-1, one in three on average, in the second (it drains to a
     * handful, where zero-delay events often run next). */
    size_t k = m->n < LANE_EVENTS / 2 ? gsl_rng_uniform_int(m->rng, 3)
                                       : gsl_rng_uniform_int(m->rng, 3) == 0;
    if (sim_pending(sim) > m->max_pending)
        m->max_pending = sim_pending(sim);
    for (size_t i = 0; i < k; i++) {
        struct sim_event e = {.tag = 2};
        double d = gsl_rng_uniform_int(m->rng, 2) ? 0.5 * (double)gsl_rng_uniform_int(m->rng, 3)
                                                  : gsl_rng_uniform(m->rng);
        sim_schedule(sim, d, &e);
    }
}

/* The lane's events go to lane_dispatch, the displaced ones to dispatch. */
static void lane_only_handler(struct sim *sim, const struct sim_event *ev)
{
    ck_assert_uint_eq(ev->tag, 1);
    lane_handler(sim, ev);
}

/* The same, then every lane event that is the next to run is taken and run here. */
static size_t taken;
static void lane_taking_handler(struct sim *sim, const struct sim_event *ev)
{
    struct sim_event next;
    lane_only_handler(sim, ev);
    while (sim_lane_take(sim, &next)) {
        taken++;
        lane_only_handler(sim, &next);
    }
}

static void lane_run(struct lane_model *m, enum evq_kind kind, int use_lane)
{
    struct sim sim;
    sim_init_kind(&sim, lane_handler, m, kind);
    if (use_lane)
        sim_lane_init(&sim, use_lane == 2 ? lane_taking_handler : lane_only_handler);
    m->rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(m->rng, 17);
    m->use_lane = use_lane;
    m->n = m->max_pending = 0;
    uint64_t dispatched = 0;
    for (uint32_t i = 0; i < 20; i++) {
        struct sim_event ev = {.tag = 2};
        sim_schedule(&sim, 0.5 * i, &ev);
    }
    lane_next(&sim, m, 0);
    for (double t = 0; sim_pending(&sim) > 0; t += 0.75) {
        dispatched += sim_run(&sim, t);
        ck_assert_double_eq(sim.now, t);
    }
    ck_assert_uint_ge(m->n, LANE_EVENTS);
    ck_assert_uint_eq(dispatched, m->n); /* taken events counted too */
    ck_assert_uint_eq(sim.dispatched, m->n);
    gsl_rng_free(m->rng);
    sim_free(&sim);
}

/* Every event of run b as in run a. */
static void assert_same_log(const struct lane_model *a, const struct lane_model *b)
{
    ck_assert_uint_eq(b->n, a->n);
    for (size_t i = 0; i < a->n; i++) {
        ck_assert_double_eq(b->log[i].t, a->log[i].t);
        ck_assert_uint_eq(b->log[i].seq, a->log[i].seq);
        ck_assert_uint_eq(b->log[i].tag, a->log[i].tag);
        ck_assert_int_eq(b->log[i].next_is_now, a->log[i].next_is_now);
        ck_assert_uint_eq(b->log[i].pending, a->log[i].pending);
    }
}

START_TEST(test_lane_in_lockstep_with_queue)
{
    static struct lane_model plain, lane, taking;
    enum evq_kind kind = (enum evq_kind)_i;
    lane_run(&plain, kind, 0);
    lane_run(&lane, kind, 1);
    assert_same_log(&plain, &lane);
    /* The lane's handler taking the next lane events itself (sim_lane_take) changes nothing
     * either, and takes some: ties with queued events and slice ends are left to the loop. */
    taken = 0;
    lane_run(&taking, kind, 2);
    assert_same_log(&plain, &taking);
    ck_assert_uint_gt(taken, 0);
    size_t lane_events = 0, now_inline = 0;
    for (size_t i = 0; i < plain.n; i++) {
        lane_events += plain.log[i].tag == 1;
        now_inline += (size_t)plain.log[i].next_is_now;
    }
    ck_assert_uint_lt(taken, lane_events);
    /* The model exercised what it is for: lane events, and both answers of sim_next_is_now. */
    ck_assert_uint_gt(plain.max_pending, 100);
    ck_assert_uint_gt(lane_events, 1000);
    ck_assert_uint_gt(now_inline, 100);
    ck_assert_uint_gt(plain.n - now_inline, 100);
}
END_TEST

/* A lane handler that schedules its successor 1 s later, then takes what it may. */
static size_t lane_took;
static void lane_chain(struct sim *sim, const struct sim_event *ev)
{
    struct sim_event next = *ev;
    for (;;) {
        record(sim, &next);
        struct sim_event e = {.tag = next.tag + 1};
        sim_lane_at(sim, sim->now + 1, &e);
        if (!sim_lane_take(sim, &next))
            return;
        lane_took++;
    }
}

/* sim_lane_take takes the lane's event only when it is strictly the next to run and within
 * the horizon: lane events at 1, 2, 3, ... and queued ones at 2.5 and 5 (a tie); a run to 4
 * takes 2 (before 2.5), leaves 3 to the loop (2.5 comes first), takes 4, and stops at the
 * horizon; the next run to 6 leaves the lane's 5 to the loop (a tie with the queued 5, which
 * was scheduled first), then takes 6. */
START_TEST(test_lane_take)
{
    struct sim sim;
    sim_init_kind(&sim, record, NULL, (enum evq_kind)_i);
    sim_lane_init(&sim, lane_chain);
    nlog = 0;
    lane_took = 0;
    struct sim_event q1 = {.tag = 100}, q2 = {.tag = 200}, first = {.tag = 1};
    sim_schedule_at(&sim, 2.5, &q1);
    sim_schedule_at(&sim, 5, &q2);
    sim_lane_at(&sim, 1, &first);
    struct sim_event none;
    ck_assert(!sim_lane_take(&sim, &none)); /* outside sim_run */
    ck_assert_uint_eq(sim_run(&sim, 4), 5);
    ck_assert_uint_eq(lane_took, 2);
    ck_assert_double_eq(sim.lane.t, 5);
    ck_assert_uint_eq(sim_run(&sim, 6), 3);
    ck_assert_uint_eq(lane_took, 3);
    static const double t[] = {1, 2, 2.5, 3, 4, 5, 5, 6};
    static const uint32_t tag[] = {1, 2, 100, 3, 4, 200, 5, 6};
    ck_assert_uint_eq(nlog, 8);
    for (size_t i = 0; i < 8; i++) {
        ck_assert_double_eq(log_t[i], t[i]);
        ck_assert_uint_eq(log_tag[i], tag[i]);
    }
    ck_assert_uint_eq(sim.dispatched, 8);
    sim_free(&sim);
}
END_TEST

/* A time in the past means now, as for sim_schedule_at; the lane counts in sim_pending and
 * keeps sim_next_is_now false while its event is due now. */
START_TEST(test_lane_past_time_is_now)
{
    struct sim sim;
    sim_init_kind(&sim, record, NULL, (enum evq_kind)_i);
    sim_lane_init(&sim, NULL);
    nlog = 0;
    struct sim_event a = {.tag = 1}, b = {.tag = 2};
    sim_schedule(&sim, 2, &a);
    ck_assert_uint_eq(sim_run(&sim, 3), 1);
    ck_assert(sim_next_is_now(&sim));
    sim_lane_at(&sim, 1, &b);
    ck_assert_double_eq(sim.lane.t, 3);
    ck_assert_uint_eq(sim_pending(&sim), 1);
    ck_assert(!sim_next_is_now(&sim));
    ck_assert_uint_eq(sim_run(&sim, 3), 1);
    ck_assert_uint_eq(log_tag[1], 2);
    ck_assert_uint_eq(sim_pending(&sim), 0);
    ck_assert(sim_next_is_now(&sim));
    sim_free(&sim);
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
    tcase_add_loop_test(tc, test_lane_in_lockstep_with_queue, EVQ_HEAP4, EVQ_LADDER + 1);
    tcase_add_loop_test(tc, test_lane_past_time_is_now, EVQ_HEAP4, EVQ_LADDER + 1);
    tcase_add_loop_test(tc, test_lane_take, EVQ_HEAP4, EVQ_LADDER + 1);
    suite_add_tcase(s, tc);
    return s;
}
