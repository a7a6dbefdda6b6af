/* Tests for sim/evq_ladder.c: in lockstep with the 4-ary heap, the ladder must hand out exactly
 * the same events in the same order on every workload, through Top transfers, rung spawning,
 * Bottom overflow, the rung limit and times that cannot be split into buckets. */
#include "sim/engine.h"
#include "sim/evq.h"

#include <check.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

/* A heap and a ladder fed the same events; every pop is compared. */
struct pair {
    struct evq heap, ladder;
    uint64_t seq;
    size_t max_rungs;  /* deepest ladder seen */
    size_t max_bottom; /* largest Bottom seen */
};

static void pair_init(struct pair *p)
{
    evq_init_kind(&p->heap, 1, EVQ_HEAP4);
    evq_init_kind(&p->ladder, 1, EVQ_LADDER);
    p->seq = 0;
    p->max_rungs = 0;
    p->max_bottom = 0;
}

static void pair_observe(struct pair *p)
{
    const struct evq_ladder *l = &p->ladder.u.ladder;
    if (l->nrungs > p->max_rungs)
        p->max_rungs = l->nrungs;
    if (l->nbot > p->max_bottom)
        p->max_bottom = l->nbot;
}

/* Check's assertions report every pass to the runner, which costs more than a queue operation;
 * the lockstep loops below do millions of comparisons, so they fail through one call only. */
#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond);                                  \
    } while (0)

static void pair_push_seq(struct pair *p, double t, uint64_t seq)
{
    struct sim_event ev = {.t = t, .seq = seq, .tag = (uint32_t)seq, .node = (uint32_t)(seq >> 32)};
    evq_push(&p->heap, &ev);
    evq_push(&p->ladder, &ev);
    EXPECT(evq_size(&p->heap) == evq_size(&p->ladder));
    pair_observe(p);
}

static void pair_push(struct pair *p, double t)
{
    pair_push_seq(p, t, p->seq++);
}

/* Pops one event from both and checks they agree, peeks included; returns its time. */
static double pair_pop(struct pair *p)
{
    const struct sim_event *a = evq_peek(&p->heap), *b = evq_peek(&p->ladder);
    EXPECT(a && b && a->seq == b->seq);
    struct sim_event x, y;
    EXPECT(evq_pop(&p->heap, &x) == 1);
    EXPECT(evq_pop(&p->ladder, &y) == 1);
    EXPECT(x.seq == y.seq && x.t == y.t);
    EXPECT(y.tag == (uint32_t)y.seq && y.node == (uint32_t)(y.seq >> 32));
    EXPECT(evq_size(&p->heap) == evq_size(&p->ladder));
    pair_observe(p);
    return y.t;
}

static void pair_drain(struct pair *p)
{
    while (evq_size(&p->heap))
        pair_pop(p);
    struct sim_event ev;
    ck_assert_ptr_null(evq_peek(&p->ladder));
    ck_assert_int_eq(evq_pop(&p->ladder, &ev), 0);
}

static void pair_free(struct pair *p)
{
    evq_free(&p->heap);
    evq_free(&p->ladder);
}

enum shape { EXP, BIMODAL, TIES, WIDE };

/* An increment from now: hold-model exponentials; near events with a few far ones (ticks,
 * timeouts); a handful of distinct values; magnitudes from 1e-9 to 1e6. */
static double draw(gsl_rng *r, enum shape shape)
{
    switch (shape) {
    case EXP:
        return gsl_ran_exponential(r, 1.0);
    case BIMODAL:
        return gsl_rng_uniform(r) < 0.02 ? 1000 + gsl_rng_uniform(r)
                                         : gsl_ran_exponential(r, 1e-3);
    case TIES:
        return (double)gsl_rng_uniform_int(r, 4);
    case WIDE:
        return pow(10, -9 + 15 * gsl_rng_uniform(r));
    }
    return 0;
}

/* The hold model at `pending` events, then a random walk of pushes and pops, then a drain. */
static void hold_workload(enum shape shape, size_t pending, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    struct pair p;
    pair_init(&p);
    double now = 0;
    for (size_t i = 0; i < pending; i++)
        pair_push(&p, draw(r, shape));
    for (size_t i = 0; i < 20 * pending; i++) {
        now = pair_pop(&p);
        pair_push(&p, now + draw(r, shape));
    }
    for (size_t i = 0; i < 20 * pending; i++) {
        if (evq_size(&p.heap) && gsl_rng_uniform(r) < 0.5)
            now = pair_pop(&p);
        else
            pair_push(&p, now + draw(r, shape));
    }
    pair_drain(&p);
    /* Every workload here holds more than LADDER_THRES (50) events at once, so Top must have
     * been spread over at least one rung. */
    ck_assert_uint_ge(p.max_rungs, 1);
    pair_free(&p);
    gsl_rng_free(r);
}

START_TEST(test_hold_exponential)
{
    hold_workload(EXP, 100, 1);
    hold_workload(EXP, 5000, 2);
}
END_TEST

START_TEST(test_hold_bimodal)
{
    hold_workload(BIMODAL, 3000, 3);
}
END_TEST

START_TEST(test_hold_ties)
{
    hold_workload(TIES, 2000, 4);
}
END_TEST

START_TEST(test_hold_wide_range)
{
    hold_workload(WIDE, 3000, 5);
}
END_TEST

/* Equal times leave in seq order even when seq does not follow the push order (the engine's
 * ticks carry seq 0 whenever they are pushed), in Bottom, in a rung and in Top. */
START_TEST(test_equal_times_by_seq)
{
    struct pair p;
    pair_init(&p);
    p.seq = 1000;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 200; i++)
            pair_push(&p, (double)(i % 5));
        pair_push_seq(&p, 2.0, (uint64_t)round);
        pair_push_seq(&p, 0.0, (uint64_t)round + 10);
    }
    double prev = -INFINITY;
    for (int pushes = 0; evq_size(&p.heap); pushes++) {
        double t = pair_pop(&p);
        EXPECT(t >= prev);
        prev = t;
        if (pushes < 300 && pushes % 7 == 0) {
            pair_push(&p, t);
            pair_push_seq(&p, t + 1, 5);
        }
    }
    pair_drain(&p);
    pair_free(&p);
}
END_TEST

/* A bucket crowded into a sliver of its width spawns finer rungs, down to the limit of
 * EVQ_LADDER_RUNGS; past it the crowd is sorted instead. Clusters of 60 events (more than
 * LADDER_THRES) inside [0, 10^-k] for k = 0..39 nest deeper than eight rungs. */
START_TEST(test_rung_spawning_and_limit)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 6);
    struct pair p;
    pair_init(&p);
    pair_push(&p, 0);
    for (int k = 0; k < 40; k++)
        for (int i = 0; i < 60; i++)
            pair_push(&p, pow(10, -k) * gsl_rng_uniform_pos(r));
    pair_drain(&p);
    ck_assert_uint_eq(p.max_rungs, EVQ_LADDER_RUNGS);
    pair_free(&p);
    gsl_rng_free(r);
}
END_TEST

/* Events pushed just after the current time, below every rung's current bucket, pile up in
 * Bottom; past its limit Bottom becomes a rung of its own, and the order survives. */
START_TEST(test_bottom_overflow_becomes_rung)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 8);
    struct pair p;
    pair_init(&p);
    pair_push(&p, 0);
    for (int i = 0; i < 1000; i++)
        pair_push(&p, 1 + gsl_rng_uniform(r));
    double now = pair_pop(&p); /* spreads Top over a rung of 1000 buckets */
    now = pair_pop(&p);
    size_t rungs = p.ladder.u.ladder.nrungs;
    ck_assert_uint_ge(rungs, 1);
    /* 500 events between now and the next event: each goes to Bottom. */
    double next = evq_peek(&p.heap)->t;
    for (int i = 0; i < 500; i++)
        pair_push(&p, now + (next - now) * gsl_rng_uniform(r));
    ck_assert_uint_gt(p.ladder.u.ladder.nrungs, rungs);
    ck_assert_uint_le(p.max_bottom, 2 * 2 * 50 + 1);
    pair_drain(&p);
    pair_free(&p);
    gsl_rng_free(r);
}
END_TEST

/* Infinite times cannot be split into buckets: a crowd holding them is sorted whole. */
START_TEST(test_infinite_times)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 9);
    struct pair p;
    pair_init(&p);
    for (int i = 0; i < 300; i++) {
        double u = gsl_rng_uniform(r);
        pair_push(&p, u < 0.1 ? INFINITY : u < 0.2 ? -INFINITY : u * 100);
    }
    for (int i = 0; i < 150; i++)
        pair_pop(&p);
    for (int i = 0; i < 300; i++)
        pair_push(&p, gsl_rng_uniform(r) < 0.1 ? INFINITY : 100 + gsl_rng_uniform(r));
    pair_drain(&p);
    pair_free(&p);
    gsl_rng_free(r);
}
END_TEST

/* Emptying the queue completely and filling it again, many times over. */
START_TEST(test_empty_and_refill)
{
    struct pair p;
    pair_init(&p);
    for (int round = 0; round < 50; round++) {
        size_t n = (size_t)(round * 37 % 200) + 1;
        for (size_t i = 0; i < n; i++)
            pair_push(&p, (double)round + (double)((i * 7919) % n) / (double)n);
        for (size_t i = 0; i < n / 2; i++)
            pair_pop(&p);
        pair_drain(&p);
    }
    pair_free(&p);
}
END_TEST

/* Through the engine: handlers schedule zero-delay events (the FIFO beside the queue) and
 * delayed ones; the ladder's engine dispatches exactly the heap's sequence. */
#define TRACE_MAX 40000

struct trace {
    uint64_t seq[TRACE_MAX];
    size_t n;
    gsl_rng *r;
};

static void trace_dispatch(struct sim *sim, const struct sim_event *ev)
{
    struct trace *tr = sim->world;
    /* Successors stop at 15,000 events; what is pending then (a few hundred, plus their
     * zero-delay extras) still runs, well below TRACE_MAX. */
    EXPECT(tr->n < TRACE_MAX);
    tr->seq[tr->n++] = ev->seq;
    if (tr->n >= 15000)
        return;
    struct sim_event next = {.tag = ev->tag + 1};
    double u = gsl_rng_uniform(tr->r);
    sim_schedule(sim, u < 0.3 ? 0 : u < 0.9 ? gsl_ran_exponential(tr->r, 1.0) : 0.5, &next);
    if (u < 0.1) {
        struct sim_event extra = {.tag = 7};
        sim_schedule(sim, 0, &extra);
    }
}

static void run_trace(struct trace *tr, enum evq_kind kind)
{
    tr->n = 0;
    tr->r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(tr->r, 10);
    struct sim sim;
    sim_init_kind(&sim, trace_dispatch, tr, kind);
    for (int i = 0; i < 300; i++) {
        struct sim_event ev = {.tag = 0};
        sim_schedule(&sim, i % 3 ? gsl_ran_exponential(tr->r, 1.0) : 0, &ev);
    }
    sim_run(&sim, INFINITY);
    sim_free(&sim);
    gsl_rng_free(tr->r);
}

START_TEST(test_engine_with_zero_delay_fifo)
{
    static struct trace a, b;
    run_trace(&a, EVQ_HEAP4);
    run_trace(&b, EVQ_LADDER);
    ck_assert_uint_gt(a.n, 15000);
    ck_assert_uint_eq(a.n, b.n);
    for (size_t i = 0; i < a.n; i++)
        EXPECT(a.seq[i] == b.seq[i]);
}
END_TEST

Suite *evq_ladder_suite(void)
{
    Suite *s = suite_create("evq_ladder");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hold_exponential);
    tcase_add_test(tc, test_hold_bimodal);
    tcase_add_test(tc, test_hold_ties);
    tcase_add_test(tc, test_hold_wide_range);
    tcase_add_test(tc, test_equal_times_by_seq);
    tcase_add_test(tc, test_rung_spawning_and_limit);
    tcase_add_test(tc, test_bottom_overflow_becomes_rung);
    tcase_add_test(tc, test_infinite_times);
    tcase_add_test(tc, test_empty_and_refill);
    tcase_add_test(tc, test_engine_with_zero_delay_fifo);
    suite_add_tcase(s, tc);
    return s;
}
