/* Tests for sim/world.c: the arrival process (uniform counts exact, Poisson counts within four
 * standard deviations, ramps by rate and by users, steps, `set` events), warm-up, op mix,
 * the time series, trace replay, and run-to-run determinism.
 *
 * Tolerances: a Poisson count with mean m has standard deviation sqrt(m); an op's count among
 * n requests is binomial with standard deviation sqrt(n p (1 - p)). Each statistical check
 * allows four standard deviations (a false alarm about once in 16,000 checks); the seeds are
 * fixed, so the suite is deterministic. */
#include "models/registry.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EPS 1e-12

/* Scenario text is written with single quotes for readability; JSON wants double ones. The
 * text may hold one %s, replaced by the path of a trace file holding `trace`, which is
 * removed again once loaded. */
static struct scenario *load(const char *squoted, const char *trace)
{
    char *text = malloc(strlen(squoted) + 512);
    char *path = NULL;
    const char *hole = strstr(squoted, "%s");
    if (trace) {
        ck_assert_ptr_nonnull(hole);
        path = strdup(tu_write_temp(trace, ".csv"));
        sprintf(text, "%.*s%s%s", (int)(hole - squoted), squoted, path, hole + 2);
    } else {
        strcpy(text, squoted);
    }
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    int rc =
        scenario_load_text("world.json", text, strlen(text), NULL, 0, model_registry, &sc, &err);
    if (rc)
        sim_error_print(&err);
    ck_assert_int_eq(rc, 0);
    if (path)
        unlink(path);
    free(path);
    free(text);
    return sc;
}

struct run {
    struct scenario *sc;
    struct world *w;
};

/* general: every request the general way (the world's answer hook cleared). */
static struct run run_as(const char *squoted, const char *trace, uint64_t seed, int general)
{
    struct run r = {load(squoted, trace), NULL};
    struct sim_error err = {0};
    ck_assert_int_eq(world_create(r.sc, seed, &r.w, &err), 0);
    if (general)
        r.w->answer_comp = NULL;
    ck_assert_int_eq(world_run(r.w, NULL, NULL, NULL, &err), 0);
    return r;
}

static struct run run_seed(const char *squoted, const char *trace, uint64_t seed)
{
    return run_as(squoted, trace, seed, 0);
}

static struct run run_text(const char *squoted)
{
    return run_seed(squoted, NULL, 1);
}

static void run_close(struct run *r)
{
    world_free(r->w);
    scenario_free(r->sc);
}

static size_t column(const struct run *r, const char *name)
{
    for (size_t i = 0; i < r->w->series.ncols; i++)
        if (strcmp(r->w->series.names[i], name) == 0)
            return i;
    ck_abort_msg("no column %s", name);
    return 0;
}

/* Requests offered in rows [from, to) of the time series (offered_rps x the row's length). */
static double offered(const struct run *r, size_t from, size_t to)
{
    size_t c = column(r, "offered_rps");
    double n = 0;
    for (size_t i = from; i < to; i++)
        n += series_get(&r->w->series, i, c) * r->sc->interval;
    return n;
}

/* Every arrival, warm-up included: ids are handed out one per arrival. */
static uint64_t all_arrivals(const struct run *r)
{
    return r->w->next_id;
}

static void assert_within(const char *what, double got, double expect, double sd)
{
    ck_assert_msg(fabs(got - expect) <= 4 * sd, "%s: %g, expected %g +- 4 x %g", what, got, expect,
                  sd);
}

/* An entry that answers at once, so that every arrival completes at its own instant. */
#define SINK "'components':[{'id':'web','type':'service','workers':'unlimited'}]"

/* ---- uniform arrivals ---------------------------------------------------------------------- */

/* Evenly spaced arrivals at a constant rate: exactly rate x duration of them, and exactly
 * rate x interval in every row of the time series. */
START_TEST(test_uniform_count_exact)
{
    static const struct {
        double rate, duration;
    } cases[] = {{10, 10}, {100, 1}, {1000, 1}, {7, 10}, {3, 10}, {12, 10}, {33, 10}, {9, 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{'name':'t','duration':%g,'workload':{'rate':%g,'arrivals':'uniform',"
                 "'entry':'web'}," SINK "}",
                 cases[i].duration, cases[i].rate);
        struct run r = run_text(text);
        uint64_t expect = (uint64_t)(cases[i].rate * cases[i].duration);
        ck_assert_msg(r.w->arrived == expect, "rate %g for %g s: %llu arrivals, expected %llu",
                      cases[i].rate, cases[i].duration, (unsigned long long)r.w->arrived,
                      (unsigned long long)expect);
        ck_assert_uint_eq(r.w->completed, expect);
        ck_assert_uint_eq(r.w->series.nrows, (size_t)cases[i].duration);
        for (size_t row = 0; row < r.w->series.nrows; row++)
            ck_assert_msg(fabs(offered(&r, row, row + 1) - cases[i].rate) < 1e-9,
                          "rate %g: row %zu offered %g", cases[i].rate, row,
                          offered(&r, row, row + 1));
        run_close(&r);
    }
}
END_TEST

/* A step ramp: 100/s for 5 s, then 500/s: every row exact. */
START_TEST(test_uniform_step_ramp)
{
    struct run r =
        run_text("{'name':'t','duration':'10s','workload':{'rate':[['0s',100],"
                 "['5s',500]],'ramp':'step','arrivals':'uniform','entry':'web'}," SINK "}");
    ck_assert_uint_eq(r.w->arrived, 3000);
    for (size_t row = 0; row < 10; row++)
        ck_assert_double_eq_tol(offered(&r, row, row + 1), row < 5 ? 100 : 500, 1e-9);
    run_close(&r);
}
END_TEST

/* A linear ramp by users, 0 to 1000 users over 10 s at 1 request/s each, cut at 9.5 s: the
 * k-th arrival comes when the rate's integral 50 t^2 reaches k, so there are
 * ceil(50 x 9.5^2) = ceil(4512.5) = 4513, and every second's row holds the integral's growth
 * over it to within one. A ramp that starts at zero must not be skipped. */
START_TEST(test_uniform_linear_ramp)
{
    struct run r = run_text("{'name':'t','duration':'9.5s','metrics':{'interval':'0.5s'},"
                            "'workload':{'users':[['0s',0],['10s',1000]],'rate_per_user':1,"
                            "'arrivals':'uniform','entry':'web'}," SINK "}");
    ck_assert_uint_eq(r.w->arrived, 4513);
    ck_assert_uint_eq(r.w->series.nrows, 19);
    for (size_t row = 0; row < 19; row++) {
        double a = 0.5 * (double)row, b = a + 0.5;
        double area = 50 * (b * b - a * a);
        ck_assert_msg(fabs(offered(&r, row, row + 1) - area) <= 1 + 1e-9,
                      "row %zu: %g offered, integral %g", row, offered(&r, row, row + 1), area);
    }
    run_close(&r);
}
END_TEST

/* `set` events change the rate mid-run: 8/s, 16/s from 5 s (on a multiple of the spacing:
 * the arrival due then is not lost), and by users: 100 users x 1/s, rate_per_user 2 from
 * 5 s, 50 users from 7 s. */
START_TEST(test_uniform_set_events)
{
    struct run r = run_text("{'name':'t','duration':'10s','workload':{'rate':8,"
                            "'arrivals':'uniform','entry':'web'}," SINK ","
                            "'events':[{'at':'5s','action':'set','path':'workload.rate',"
                            "'value':16}]}");
    ck_assert_uint_eq(r.w->arrived, 8 * 5 + 16 * 5);
    for (size_t row = 0; row < 10; row++)
        ck_assert_double_eq_tol(offered(&r, row, row + 1), row < 5 ? 8 : 16, 1e-9);
    ck_assert_double_eq(world_rate_at(r.w, 1), 16);
    run_close(&r);

    r = run_text("{'name':'t','duration':'10s','workload':{'users':100,'rate_per_user':1,"
                 "'arrivals':'uniform','entry':'web'}," SINK ","
                 "'events':[{'at':'5s','action':'set','path':'workload.rate_per_user',"
                 "'value':2},{'at':'7s','action':'set','path':'workload.users','value':50}]}");
    ck_assert_uint_eq(r.w->arrived, 100 * 5 + 200 * 2 + 100 * 3);
    for (size_t row = 0; row < 10; row++)
        ck_assert_double_eq_tol(offered(&r, row, row + 1),
                                row < 5   ? 100
                                : row < 7 ? 200
                                          : 100,
                                1e-9);
    ck_assert_double_eq(world_users_at(r.w, 1), 50);
    ck_assert_double_eq(world_rate_at(r.w, 1), 100);
    size_t cu = column(&r, "users");
    ck_assert_double_eq(series_get(&r.w->series, 0, cu), 100);
    ck_assert_double_eq(series_get(&r.w->series, 9, cu), 50);
    run_close(&r);
}
END_TEST

/* A `set` between two arrivals keeps the progress made towards the next one: 10/s for 5.05 s
 * (arrivals at 0, 0.1, ..., 5.0, and half the way to the next), then 20/s: the next comes
 * 0.025 s later, and there are ceil(50.5 + 99) = 150 in all. */
START_TEST(test_uniform_set_between_arrivals)
{
    struct run r = run_text("{'name':'t','duration':'10s','workload':{'rate':10,"
                            "'arrivals':'uniform','entry':'web'}," SINK ","
                            "'events':[{'at':'5.05s','action':'set','path':'workload.rate',"
                            "'value':20}]}");
    ck_assert_uint_eq(r.w->arrived, 150);
    ck_assert_double_eq_tol(offered(&r, 5, 6), 20, 1e-9);
    ck_assert_double_eq_tol(offered(&r, 0, 5), 50, 1e-9);
    run_close(&r);
}
END_TEST

/* A pause: 10/s, 0 from 3.05 s, 10/s again from 6.05 s. The integral is 30.5 at the pause
 * and picks up from there: arrivals at 0, 0.1, ..., 3.0, then at 6.1, 6.2, ..., 9.9: 70 in
 * all. With the last arrival at 9.9 s and 1 s of service, everything has drained by 11 s. */
START_TEST(test_uniform_pause_and_drain)
{
    struct run r = run_text("{'name':'t','duration':'11s','workload':{'rate':10,"
                            "'arrivals':'uniform','entry':'web'},"
                            "'components':[{'id':'web','type':'service','workers':'unlimited',"
                            "'service':'1s'}],"
                            "'events':[{'at':'3.05s','action':'set','path':'workload.rate',"
                            "'value':0},{'at':'6.05s','action':'set','path':'workload.rate',"
                            "'value':10},{'at':'9.95s','action':'set','path':'workload.rate',"
                            "'value':0}]}");
    ck_assert_uint_eq(r.w->arrived, 70);
    ck_assert_double_eq_tol(offered(&r, 3, 6), 1, 1e-9);
    ck_assert_double_eq_tol(offered(&r, 6, 7), 9, 1e-9);
    ck_assert_uint_eq(r.w->completed, 70);
    ck_assert_uint_eq(r.w->in_flight, 0);
    run_close(&r);
}
END_TEST

/* Requests that arrive during the warm-up are served but not counted. */
START_TEST(test_warmup_excluded)
{
    struct run r = run_text("{'name':'t','duration':'10s','metrics':{'warmup':'3s'},"
                            "'workload':{'rate':10,'arrivals':'uniform','entry':'web'}," SINK "}");
    ck_assert_uint_eq(all_arrivals(&r), 100);
    ck_assert_uint_eq(r.w->arrived, 70);
    ck_assert_uint_eq(r.w->completed, 70);
    ck_assert_uint_eq(hist_count(&r.w->latency), 70);
    ck_assert_uint_eq(r.w->comps[0].requests, 70);
    ck_assert_uint_eq(r.w->ops[0].completed, 70);
    /* The time series shows every request, warm-up included. */
    ck_assert_double_eq_tol(offered(&r, 0, 10), 100, 1e-9);
    ck_assert_double_eq_tol(offered(&r, 0, 3), 30, 1e-9);
    run_close(&r);
}
END_TEST

/* ---- Poisson arrivals ---------------------------------------------------------------------- */

START_TEST(test_poisson_count)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct run r = run_seed("{'name':'t','duration':'5s','workload':{'rate':2000,"
                                "'entry':'web'}," SINK "}",
                                NULL, seed);
        assert_within("Poisson count", (double)r.w->arrived, 10000, 100);
        /* Every arrival is in the time series. */
        ck_assert_double_eq_tol(offered(&r, 0, r.w->series.nrows), (double)r.w->arrived, 1e-6);
        run_close(&r);
    }
}
END_TEST

/* Users 100 -> 1000 over 4 s, -> 200 at 8 s, then flat to 10 s, at 1 request/s each: the
 * expected count is the area under the rate, 2200 + 2400 + 400 = 5000, per second the
 * trapezoid over that second. */
START_TEST(test_poisson_linear_ramp)
{
    struct run r = run_text("{'name':'t','duration':'10s','workload':{'users':[['0s',100],"
                            "['4s',1000],['8s',200]],'rate_per_user':1,'entry':'web'}," SINK "}");
    assert_within("ramp total", (double)r.w->arrived, 5000, sqrt(5000));
    for (size_t row = 0; row < 10; row++) {
        double a = world_rate_at(r.w, (double)row), b = world_rate_at(r.w, (double)row + 1);
        double area = (a + b) / 2;
        assert_within("ramp row", offered(&r, row, row + 1), area, sqrt(area));
    }
    /* The rate function itself. */
    ck_assert_double_eq_tol(world_rate_at(r.w, 2), 550, 1e-9);
    ck_assert_double_eq_tol(world_users_at(r.w, 6), 600, 1e-9);
    ck_assert_double_eq_tol(world_rate_at(r.w, 9), 200, 1e-9);
    run_close(&r);
}
END_TEST

/* A ramp from zero: 0 -> 2000 req/s over 10 s: 10,000 expected. */
START_TEST(test_poisson_ramp_from_zero)
{
    struct run r = run_text("{'name':'t','duration':'10s','workload':{'rate':[['0s',0],"
                            "['10s',2000]],'entry':'web'}," SINK "}");
    assert_within("ramp from zero", (double)r.w->arrived, 10000, 100);
    assert_within("first half", offered(&r, 0, 5), 2500, 50);
    run_close(&r);
}
END_TEST

/* A falling ramp, 2000 -> 0 req/s over 10 s, then nothing to 12 s: the inversion's branch where
 * the remaining area runs out. Row k expects the trapezoid 1900 - 200 k; the last two none. */
START_TEST(test_poisson_falling_ramp)
{
    struct run r = run_text("{'name':'t','duration':'12s','workload':{'rate':[['0s',2000],"
                            "['10s',0]],'entry':'web'}," SINK "}");
    assert_within("falling total", (double)r.w->arrived, 10000, 100);
    for (size_t row = 0; row < 10; row++) {
        double area = 1900 - 200 * (double)row;
        assert_within("falling row", offered(&r, row, row + 1), area, sqrt(area));
    }
    ck_assert_double_eq(offered(&r, 10, 12), 0);
    run_close(&r);
}
END_TEST

START_TEST(test_poisson_step_ramp)
{
    struct run r = run_text("{'name':'t','duration':'10s','workload':{'rate':[['0s',100],"
                            "['5s',500]],'ramp':'step','entry':'web'}," SINK "}");
    assert_within("before the step", offered(&r, 0, 5), 500, sqrt(500));
    assert_within("after the step", offered(&r, 5, 10), 2500, 50);
    run_close(&r);
}
END_TEST

START_TEST(test_poisson_set_event)
{
    struct run r = run_text("{'name':'t','duration':'10s','workload':{'rate':1000,"
                            "'entry':'web'}," SINK ","
                            "'events':[{'at':'5s','action':'set','path':'workload.rate',"
                            "'value':3000}]}");
    assert_within("before the set", offered(&r, 0, 5), 5000, sqrt(5000));
    assert_within("after the set", offered(&r, 5, 10), 15000, sqrt(15000));
    run_close(&r);
}
END_TEST

/* Ops drawn by weight 7:2:1, each going to its entry (writes to db, the rest to web). */
START_TEST(test_op_mix)
{
    struct run r = run_text(
        "{'name':'t','duration':'5s','workload':{'rate':2000,'entry':{'write':'db','*':'web'},"
        "'ops':{'read':7,'write':2,'static':1}},"
        "'components':[{'id':'web','type':'service','workers':'unlimited'},"
        "{'id':'db','type':'service','workers':'unlimited'}]}");
    double n = (double)r.w->completed;
    ck_assert_uint_eq(r.w->completed, r.w->arrived);
    static const double p[3] = {0.7, 0.2, 0.1};
    static const char *const names[3] = {"read", "write", "static"};
    for (int i = 0; i < 3; i++)
        assert_within(names[i], (double)r.w->ops[i].completed, n * p[i],
                      sqrt(n * p[i] * (1 - p[i])));
    ck_assert_uint_eq(r.w->comps[1].requests, r.w->ops[1].completed);
    ck_assert_uint_eq(r.w->comps[0].requests, r.w->ops[0].completed + r.w->ops[2].completed);
    run_close(&r);
}
END_TEST

/* ---- the time series ------------------------------------------------------------------------ */

START_TEST(test_series_rows)
{
    struct run r = run_text("{'name':'t','duration':'10s','metrics':{'interval':'0.25s'},"
                            "'workload':{'rate':500,'entry':'web'}," SINK "}");
    ck_assert_uint_eq(r.w->series.nrows, 40);
    size_t ct = column(&r, "t_s"), cc = column(&r, "completed_rps");
    for (size_t i = 0; i < 40; i++)
        ck_assert_double_eq_tol(series_get(&r.w->series, i, ct), 0.25 * (double)(i + 1), 1e-12);
    ck_assert_double_eq_tol(offered(&r, 0, 40), (double)all_arrivals(&r), 1e-6);
    ck_assert_double_eq_tol(series_range_sum(&r.w->series, cc, 0, 40) * 0.25,
                            (double)r.w->completed, 1e-6);
    run_close(&r);
}
END_TEST

/* An interval that does not divide the duration: the last row covers what is left (1 s of
 * 10 s at intervals of 3 s), and its rates are per second of that part. */
START_TEST(test_series_partial_last_row)
{
    struct run r = run_text("{'name':'t','duration':'10s','metrics':{'interval':'3s'},"
                            "'workload':{'rate':10,'arrivals':'uniform','entry':'web'}," SINK "}");
    ck_assert_uint_eq(r.w->series.nrows, 4);
    size_t ct = column(&r, "t_s"), co = column(&r, "offered_rps");
    ck_assert_double_eq(series_get(&r.w->series, 3, ct), 10);
    for (size_t i = 0; i < 4; i++)
        ck_assert_double_eq_tol(series_get(&r.w->series, i, co), 10, 1e-9);
    run_close(&r);
}
END_TEST

/* ---- trace replay ------------------------------------------------------------------------- */

/* The trace drives arrivals exactly: times, ops and entries; rows after the end are not
 * replayed. One worker, 1 s per request: arrivals at 0, 0.5, 3, 3 finish at 1, 2, 4, 5. */
START_TEST(test_trace_replay)
{
    const char *trace = "t_s,op,key,client\n"
                        "0,read,5,1\n"
                        "0.5,write,7,2\n"
                        "# a comment\n"
                        "3,read,9,3\n"
                        "3,write,9,3\n"
                        "12,read,1,1\n";
    struct run r = run_seed(
        "{'name':'t','duration':'10s','workload':{'entry':{'write':'db','*':'web'},"
        "'ops':{'read':1,'write':1},'trace':'%s','keys':{'count':10}},"
        "'components':[{'id':'web','type':'service','service':'1s','calls':{'write':['db']}},"
        "{'id':'db','type':'service','service':'1s'}]}",
        trace, 1);
    struct world *w = r.w;
    ck_assert_uint_eq(w->arrived, 4);
    ck_assert_uint_eq(w->completed, 4);
    ck_assert_uint_eq(w->ops[0].completed, 2);
    ck_assert_uint_eq(w->ops[1].completed, 2);
    /* Writes enter at db; reads at web, which calls nothing for them. */
    ck_assert_uint_eq(w->comps[0].requests, 2);
    ck_assert_uint_eq(w->comps[1].requests, 2);
    /* Reads at 0 and 3 on web: 1 s each; writes at 0.5 and 3 on db: 1 s each. */
    ck_assert_double_eq_tol(hist_mean(&w->latency), 1.0, EPS);
    ck_assert_double_eq_tol(offered(&r, 0, 10), 4, 1e-9);
    ck_assert_double_eq_tol(offered(&r, 3, 4), 2, 1e-9);
    ck_assert_uint_eq(w->in_flight, 0);
    run_close(&r);
}
END_TEST

/* Each latency is recorded once, in the interval's counted or other histogram; the rows see
 * both, the end-to-end histogram only the counted ones, including one that completes at the
 * duration itself, after the last row. One worker, 0.5 s per request, warm-up 3 s in the
 * middle of the row [2, 4): arrivals at 0, 2.25, 2.5 (not counted) take 0.5, 0.5, 0.75 s;
 * those at 3.125, 5 and 9.5 (counted) take 0.625, 0.5, 0.5 s. Every time is a binary
 * fraction, so sums are exact. */
START_TEST(test_latency_recorded_once)
{
    const char *trace = "t_s,op,key,client\n0,read,0,0\n2.25,read,0,0\n2.5,read,0,0\n"
                        "3.125,read,0,0\n5,read,0,0\n9.5,read,0,0\n";
    struct run r = run_seed(
        "{'name':'t','duration':'10s','metrics':{'interval':'2s','warmup':'3s'},"
        "'workload':{'entry':'web','ops':{'read':1},'trace':'%s'},"
        "'components':[{'id':'web','type':'service','workers':1,'service':'0.5s'}]}",
        trace, 1);
    struct world *w = r.w;
    ck_assert_uint_eq(w->completed, 3);
    ck_assert_uint_eq(hist_count(&w->latency), 3);
    ck_assert_double_eq(hist_min(&w->latency), 0.5);
    ck_assert_double_eq(hist_max(&w->latency), 0.625);
    ck_assert_double_eq(hist_mean(&w->latency), (0.625 + 0.5 + 0.5) / 3);
    /* Rows [0,2), [2,4), [4,6): the p99 is the row's maximum, counted or not. */
    size_t c99 = column(&r, "p99_ms"), cc = column(&r, "completed_rps");
    ck_assert_double_eq(series_get(&w->series, 0, c99), 500);
    ck_assert_double_eq(series_get(&w->series, 1, c99), 750);
    ck_assert_double_eq(series_get(&w->series, 1, cc), 1.5);
    ck_assert_double_eq(series_get(&w->series, 2, c99), 500);
    ck_assert(isnan(series_get(&w->series, 4, c99)));
    /* Flushing again adds nothing. */
    world_flush_latency(w);
    ck_assert_uint_eq(hist_count(&w->latency), 3);
    ck_assert_double_eq(hist_mean(&w->latency), (0.625 + 0.5 + 0.5) / 3);
    run_close(&r);
}
END_TEST

/* ---- requests answered at once ------------------------------------------------------------ */

static struct run run_general(const char *squoted, const char *trace)
{
    return run_as(squoted, trace, 1, 1);
}

static char *summary_text(struct world *w);

/* Both runs made the same summary, time series and event count. */
static void assert_same_run(const struct run *a, const struct run *b)
{
    char *ta = summary_text(a->w), *tb = summary_text(b->w);
    size_t at = 0;
    while (ta[at] && ta[at] == tb[at])
        at++;
    ck_assert_msg(ta[at] == tb[at], "summaries differ at %zu: %.80s | %.80s", at, ta + at, tb + at);
    free(ta);
    free(tb);
    /* Every component's latency records (zero latencies make the same percentiles as none). */
    for (size_t i = 0; i < a->w->ncomp; i++)
        ck_assert_uint_eq(hist_count(&a->w->comps[i].latency), hist_count(&b->w->comps[i].latency));
    const struct series *sa = &a->w->series, *sb = &b->w->series;
    ck_assert_uint_eq(sa->nrows, sb->nrows);
    ck_assert_uint_eq(sa->ncols, sb->ncols);
    for (size_t i = 0; i < sa->nrows; i++)
        for (size_t j = 0; j < sa->ncols; j++) {
            double x = series_get(sa, i, j), y = series_get(sb, i, j);
            ck_assert_msg(x == y || (isnan(x) && isnan(y)), "row %zu, %s: %g, %g", i,
                          sa->names[j], x, y);
        }
    ck_assert_uint_eq(a->w->sim.dispatched, b->w->sim.dispatched);
    ck_assert_uint_eq(a->w->next_id, b->w->next_id);
}

/* A cache without a backend at the entry answers reads, writes and other ops at once, with
 * no request object, and the run's figures are those of the general way: through a failure
 * (its requests refused), a recovery, a scale-out with keys migrating and back to one node
 * (where it declines: several nodes, keys in transit), and the warm-up's edge. */
#define ANSWER_SCENARIO                                                                            \
    "{'name':'a','duration':'30s','metrics':{'interval':'5s','warmup':'3s'},"                     \
    "'workload':{'rate':400,'entry':'cache','ops':{'read':6,'write':2,'touch':1},"                \
    "'keys':{'count':500,'dist':'zipf','s':0.9}},"                                                \
    "'components':[{'id':'cache','type':'cache','capacity':50,'eviction':'lru',"                  \
    "'migration':{'bandwidth':'1MB/s','item_size':'4KiB','batch':2}}],"                           \
    "'events':[{'at':'8s','action':'fail','target':'cache'},"                                     \
    "{'at':'10s','action':'recover','target':'cache'},"                                           \
    "{'at':'15s','action':'scale','target':'cache','nodes':3},"                                   \
    "{'at':'22s','action':'scale','target':'cache','nodes':1}]}"

START_TEST(test_answered_at_once)
{
    struct run a = run_text(ANSWER_SCENARIO), b = run_general(ANSWER_SCENARIO, NULL);
    ck_assert_ptr_eq(a.w->answer_comp, &a.w->comps[0]);
    /* Most requests were answered at once, but not those of the failure or the scale-out. */
    uint64_t all = all_arrivals(&a);
    ck_assert_uint_gt(a.w->answered, all / 2);
    ck_assert_uint_lt(a.w->answered, all - 400 * 2);
    ck_assert_uint_eq(b.w->answered, 0);
    cJSON *s = report_summary(a.w);
    const cJSON *c = tu_comp(s, "cache");
    ck_assert_double_gt(tu_num(c, "rejected"), 0);
    ck_assert_double_gt(tu_num(c, "hit_ratio"), 0.3);
    cJSON_Delete(s);
    assert_same_run(&a, &b);
    run_close(&a);
    run_close(&b);
}
END_TEST

/* Trace rows at one instant go the general way. The first of the three at t = 1 could reach
 * the cache directly, but the next row is due at the same instant, so its reply could not
 * run in place: it is delivered directly (req_call_direct) and replies through an event. The
 * other two find events of this instant waiting. A latency or a timeout on the cache turns
 * the hook off. */
START_TEST(test_answer_declined)
{
    const char *trace = "t_s,op,key,client\n"
                        "0.5,read,1,1\n"
                        "1,read,2,1\n"
                        "1,read,2,1\n"
                        "1,write,3,1\n"
                        "2,read,3,1\n";
    const char *sc = "{'name':'t','duration':'5s','workload':{'entry':'cache',"
                     "'ops':{'read':1,'write':1},'trace':'%s','keys':{'count':10}},"
                     "'components':[{'id':'cache','type':'cache','capacity':5}]}";
    struct run a = run_seed(sc, trace, 1), b = run_general(sc, trace);
    ck_assert_uint_eq(a.w->arrived, 5);
    ck_assert_uint_eq(a.w->completed, 5);
    ck_assert_uint_eq(a.w->answered, 2); /* those at 0.5 and 2 */
    assert_same_run(&a, &b);
    run_close(&a);
    run_close(&b);

    a = run_text("{'name':'l','duration':'2s','workload':{'rate':10,'entry':'cache',"
                 "'ops':{'read':1},'keys':{'count':10}},'components':[{'id':'cache',"
                 "'type':'cache','capacity':5,'latency':'1ms'}]}");
    ck_assert_ptr_null(a.w->answer_comp);
    ck_assert_uint_gt(a.w->completed, 5);
    run_close(&a);
    a = run_text("{'name':'o','duration':'2s','workload':{'rate':10,'entry':'cache',"
                 "'ops':{'read':1},'keys':{'count':10}},'components':[{'id':'cache',"
                 "'type':'cache','capacity':5,'timeout':'1s'}]}");
    ck_assert_ptr_null(a.w->answer_comp);
    run_close(&a);
}
END_TEST

/* ---- determinism -------------------------------------------------------------------------- */

static char *summary_text(struct world *w)
{
    cJSON *s = report_summary(w);
    cJSON_DeleteItemFromObject(s, "wall_s");
    char *text = cJSON_PrintUnformatted(s);
    cJSON_Delete(s);
    return text;
}

/* Keys drawn two arrivals ahead for a cache at the entry (its prefetch hook) are the same
 * keys, in the same order, as those drawn at each arrival: behind a load balancer (no hook)
 * the cache counts the same hits and misses, and the hot-key counts agree, warm-up included
 * (a sequence shifted by one arrival would move keys across the warm-up's edge). */
#define KEYS_SCENARIO(entry, lb)                                                                   \
    "{'name':'k','duration':'20s','metrics':{'warmup':'3s'},"                                      \
    "'workload':{'rate':500,'entry':'" entry "','ops':{'read':1},"                                 \
    "'keys':{'count':2000,'dist':'zipf','s':0.9}},'components':[" lb                               \
    "{'id':'cache','type':'cache','capacity':100,'eviction':'lru'}]}"

START_TEST(test_keys_drawn_ahead)
{
    struct run a = run_text(KEYS_SCENARIO("cache", ""));
    struct run b =
        run_text(KEYS_SCENARIO("lb", "{'id':'lb','type':'load_balancer','backend':'cache'},"));
    ck_assert_ptr_eq(a.w->ahead_comp, &a.w->comps[0]);
    ck_assert_ptr_null(b.w->ahead_comp);
    cJSON *sa = report_summary(a.w), *sb = report_summary(b.w);
    const cJSON *ca = tu_comp(sa, "cache"), *cb = tu_comp(sb, "cache");
    ck_assert_double_eq(tu_num(ca, "hit_ratio"), tu_num(cb, "hit_ratio"));
    ck_assert_double_eq(tu_num(ca, "requests"), tu_num(cb, "requests"));
    ck_assert_double_gt(tu_num(ca, "requests"), 8000);
    const cJSON *ha = cJSON_GetObjectItem(sa, "hot_keys");
    const cJSON *hb = cJSON_GetObjectItem(sb, "hot_keys");
    ck_assert_int_gt(cJSON_GetArraySize(ha), 5);
    ck_assert(cJSON_Compare(ha, hb, 1));
    cJSON_Delete(sa);
    cJSON_Delete(sb);
    run_close(&a);
    run_close(&b);
}
END_TEST

#define BUSY_SCENARIO                                                                              \
    "{'name':'t','duration':'20s','metrics':{'warmup':'2s'},"                                      \
    "'workload':{'users':[['0s',200],['15s',900]],'rate_per_user':1,'ops':{'read':3,'write':1},"   \
    "'entry':'web'},"                                                                              \
    "'components':[{'id':'web','type':'service','nodes':2,'workers':4,'queue':20,"                 \
    "'latency':'1ms','timeout':'300ms','service':{'dist':'exp','mean':'2ms'},"                     \
    "'calls':{'*':['db']}},"                                                                       \
    "{'id':'db','type':'service','workers':3,'queue':50,'latency':'2ms','timeout':'100ms',"        \
    "'service':{'dist':'lognormal','mean':'4ms','cv':1.5}}],"                                      \
    "'events':[{'at':'8s','action':'fail','target':'web','node':1},"                               \
    "{'at':'10s','action':'recover','target':'web','node':1},"                                     \
    "{'at':'12s','action':'set','path':'workload.rate_per_user','value':1.5}]}"

START_TEST(test_same_seed_same_results)
{
    struct run a = run_seed(BUSY_SCENARIO, NULL, 7);
    struct run b = run_seed(BUSY_SCENARIO, NULL, 7);
    struct run c = run_seed(BUSY_SCENARIO, NULL, 8);
    char *ta = summary_text(a.w), *tb = summary_text(b.w), *tc = summary_text(c.w);
    ck_assert_str_eq(ta, tb);
    ck_assert_str_ne(ta, tc);
    /* The run is eventful enough for the comparison to mean something. */
    ck_assert_uint_gt(a.w->completed, 5000);
    ck_assert_uint_gt(a.w->timed_out, 0);
    ck_assert_uint_gt(a.w->failed, 0);
    ck_assert_uint_gt(a.w->rejected, 0);
    const struct series *sa = &a.w->series, *sb = &b.w->series;
    ck_assert_uint_eq(sa->nrows, sb->nrows);
    ck_assert_uint_eq(sa->ncols, sb->ncols);
    ck_assert_int_eq(memcmp(sa->rows, sb->rows, sa->nrows * sa->ncols * sizeof(double)), 0);
    free(ta);
    free(tb);
    free(tc);
    run_close(&a);
    run_close(&b);
    run_close(&c);
}
END_TEST

Suite *world_suite(void)
{
    Suite *s = suite_create("world");
    TCase *tc = tcase_create("uniform");
    tcase_add_test(tc, test_uniform_count_exact);
    tcase_add_test(tc, test_uniform_step_ramp);
    tcase_add_test(tc, test_uniform_linear_ramp);
    tcase_add_test(tc, test_uniform_set_events);
    tcase_add_test(tc, test_uniform_set_between_arrivals);
    tcase_add_test(tc, test_uniform_pause_and_drain);
    tcase_add_test(tc, test_warmup_excluded);
    suite_add_tcase(s, tc);
    tc = tcase_create("poisson");
    tcase_add_test(tc, test_poisson_count);
    tcase_add_test(tc, test_poisson_linear_ramp);
    tcase_add_test(tc, test_poisson_ramp_from_zero);
    tcase_add_test(tc, test_poisson_falling_ramp);
    tcase_add_test(tc, test_poisson_step_ramp);
    tcase_add_test(tc, test_poisson_set_event);
    tcase_add_test(tc, test_op_mix);
    suite_add_tcase(s, tc);
    tc = tcase_create("series");
    tcase_add_test(tc, test_series_rows);
    tcase_add_test(tc, test_series_partial_last_row);
    suite_add_tcase(s, tc);
    tc = tcase_create("replay");
    tcase_add_test(tc, test_trace_replay);
    tcase_add_test(tc, test_latency_recorded_once);
    tcase_add_test(tc, test_same_seed_same_results);
    tcase_add_test(tc, test_keys_drawn_ahead);
    tcase_add_test(tc, test_answered_at_once);
    tcase_add_test(tc, test_answer_declined);
    suite_add_tcase(s, tc);
    return s;
}
