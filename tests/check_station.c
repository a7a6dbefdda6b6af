/* Tests for sim/station.c (through the service model, its one user so far): workers, waiting
 * room and rejections, FIFO order, exact utilisation and queue averages, scale out and in,
 * and node failure and recovery with exact counts and instants. */
#include "models/registry.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/station.h"
#include "sim/world.h"
#include "tests/testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Times and averages below are sums and ratios of a few decimal constants: equal up to
 * double rounding. */
#define EPS 1e-12
/* Utilisations read at t + 1 ns (run_past) differ from the exact figure by about 1e-9. */
#define UEPS 1e-8

/* Scenario text is written with single quotes for readability; JSON wants double ones. The
 * text may hold one %s, replaced by the path of a trace file holding `trace` (t_s,op,key,
 * client lines), which is removed again once loaded. */
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
        scenario_load_text("station.json", text, strlen(text), NULL, 0, model_registry, &sc, &err);
    if (rc)
        sim_error_print(&err);
    ck_assert_int_eq(rc, 0);
    if (path)
        unlink(path);
    free(path);
    free(text);
    return sc;
}

/* A whole run: scenario events applied by the world, requests from the trace. */
struct run {
    struct scenario *sc;
    struct world *w;
};

static struct run run_whole(const char *squoted, const char *trace)
{
    struct run r = {load(squoted, trace), NULL};
    struct sim_error err = {0};
    ck_assert_int_eq(world_create(r.sc, 1, &r.w, &err), 0);
    ck_assert_int_eq(world_run(r.w, NULL, NULL, NULL, &err), 0);
    return r;
}

static void run_close(struct run *r)
{
    world_free(r->w);
    scenario_free(r->sc);
}

static struct comp *comp_of(struct run *r, const char *id)
{
    int i = scenario_find(r->sc, id);
    ck_assert_int_ge(i, 0);
    return &r->w->comps[i];
}

/* Whether the summary's member at a dotted path (components.web.per_node.0.requests) is a
 * number (its value in *x) or null (NaN in *x). */
static int summary_get(struct run *r, const char *dotted, double *x)
{
    cJSON *s = report_summary(r->w);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", dotted);
    const cJSON *v = s;
    for (char *tok = strtok(buf, "."); tok && v; tok = strtok(NULL, "."))
        v = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, atoi(tok))
                             : cJSON_GetObjectItemCaseSensitive(v, tok);
    int ok = cJSON_IsNumber(v) || cJSON_IsNull(v);
    *x = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    cJSON_Delete(s);
    return ok;
}

static double summary_num(struct run *r, const char *dotted)
{
    double x;
    ck_assert_msg(summary_get(r, dotted, &x) && !isnan(x), "summary has no number at %s", dotted);
    return x;
}

static size_t column(struct run *r, const char *name)
{
    for (size_t i = 0; i < r->w->series.ncols; i++)
        if (strcmp(r->w->series.names[i], name) == 0)
            return i;
    ck_abort_msg("no column %s", name);
    return 0;
}

/* Driving the engine by hand, without world_run: requests injected at chosen instants and
 * topology changes applied directly, so that every instant can be checked. */
static void run_to(struct run *r, double t)
{
    sim_run(&r->w->sim, t);
    ck_assert_double_eq(r->w->sim.now, t);
    world_flush_latency(r->w); /* no metrics rows here: the end-to-end histogram by hand */
}

/* A nanosecond past t: event times that are sums of decimal constants may land an ulp after
 * t, and nothing in these tests happens within 1 us of another instant. */
static void run_past(struct run *r, double t)
{
    run_to(r, t + 1e-9);
}

static struct run rig_open(const char *squoted)
{
    struct run r = {load(squoted, NULL), NULL};
    struct sim_error err = {0};
    ck_assert_int_eq(world_create(r.sc, 1, &r.w, &err), 0);
    return r;
}

static void inject(struct run *r, double t)
{
    struct world *w = r->w;
    run_to(r, t);
    struct request *req = req_alloc(&w->sim);
    req->id = w->next_id++;
    req->t_start = t;
    req->counted = 1;
    req->depth = 1;
    req->frames[0] = (struct frame){.comp = SIM_KERNEL, .node = 0, .t_arrive = t};
    w->arrived++;
    req_call(&w->sim, req, w->sc->wl.entry[0], REQ_ANY_NODE);
}

static void control(struct run *r, const char *id, enum control_action a, int64_t node,
                    int64_t nodes)
{
    struct comp *c = comp_of(r, id);
    struct control ctl = {.action = a, .node = node, .nodes = nodes, .what = "nodes"};
    struct sim_error err = {0};
    ck_assert_int_eq(c->ops->control(c, &r->w->sim, &ctl, &err), 0);
}

static double util_of(struct run *r, const char *id, uint32_t node)
{
    struct comp *c = comp_of(r, id);
    struct node_stats ns = {0};
    c->ops->node_stats(c, &r->w->sim, node, &ns);
    return ns.util;
}

/* n trace lines at time t (op read, key 0, client 0). */
static void trace_add(char *buf, size_t len, double t, int n)
{
    for (int i = 0; i < n; i++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%g,read,0,0\n", t);
}

#define SERVER(fields)                                                                             \
    "{'name':'t','duration':'10s','workload':{'entry':'web','trace':'%s'},"                        \
    "'components':[{'id':'web','type':'service','service':'1s'," fields "}]}"

/* ---- workers and the waiting room -------------------------------------------------------- */

/* Ten requests at once on two workers and three places: two start, three wait, five are
 * refused at once; those served finish at 1, 1, 2, 2 and 3 s. */
START_TEST(test_bounded_queue_rejects_the_rest)
{
    char trace[512] = "";
    trace_add(trace, sizeof trace, 0, 10);
    struct run r = run_whole(SERVER("'workers':2,'queue':3"), trace);
    struct world *w = r.w;
    ck_assert_uint_eq(w->arrived, 10);
    ck_assert_uint_eq(w->rejected, 5);
    ck_assert_uint_eq(w->completed, 5);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_double_eq_tol(hist_mean(&w->latency), (1 + 1 + 2 + 2 + 3) / 5.0, EPS);
    struct comp *web = comp_of(&r, "web");
    ck_assert_uint_eq(web->requests, 10);
    ck_assert_uint_eq(web->rejected, 5);
    ck_assert_uint_eq(web->failed, 0);
    /* Busy 2 on [0, 2) and 1 on [2, 3); waiting 3 on [0, 1) and 1 on [1, 2); over 10 s. */
    ck_assert_double_eq_tol(summary_num(&r, "components.web.busy_mean"), 5.0 / 10, EPS);
    ck_assert_double_eq_tol(summary_num(&r, "components.web.utilization"), 5.0 / 20, EPS);
    ck_assert_double_eq_tol(summary_num(&r, "components.web.queue_mean"), 4.0 / 10, EPS);
    ck_assert_double_eq(summary_num(&r, "requests.rejected"), 5);
    run_close(&r);
}
END_TEST

START_TEST(test_no_waiting_room_rejects_when_busy)
{
    char trace[512] = "";
    trace_add(trace, sizeof trace, 0, 10);
    trace_add(trace, sizeof trace, 0.5, 3);
    trace_add(trace, sizeof trace, 1, 3);
    struct run r = run_whole(SERVER("'workers':2,'queue':0"), trace);
    struct world *w = r.w;
    /* At 0: 2 served, 8 refused; at 0.5 all 3 refused; at 1 s both workers have just been
     * freed (service ends are scheduled before these arrivals): 2 served, 1 refused. */
    ck_assert_uint_eq(w->arrived, 16);
    ck_assert_uint_eq(w->completed, 4);
    ck_assert_uint_eq(w->rejected, 12);
    ck_assert_uint_eq(comp_of(&r, "web")->rejected, 12);
    ck_assert_double_eq_tol(hist_mean(&w->latency), 1.0, EPS);
    ck_assert_double_eq_tol(summary_num(&r, "components.web.queue_mean"), 0, EPS);
    run_close(&r);
}
END_TEST

START_TEST(test_unlimited_workers_never_wait)
{
    char trace[512] = "";
    trace_add(trace, sizeof trace, 0, 10);
    struct run r = run_whole(SERVER("'workers':'unlimited','queue':0"), trace);
    ck_assert_uint_eq(r.w->completed, 10);
    ck_assert_uint_eq(r.w->rejected, 0);
    ck_assert_double_eq_tol(hist_max(&r.w->latency), 1.0, 1e-9);
    /* Ten busy for 1 s of 10; utilisation has no meaning without a worker count (null). */
    ck_assert_double_eq_tol(summary_num(&r, "components.web.busy_mean"), 1.0, EPS);
    double util;
    ck_assert(summary_get(&r, "components.web.utilization", &util));
    ck_assert(isnan(util));
    run_close(&r);
}
END_TEST

/* One worker, three requests at 0: busy on [0, 3), waiting 2 on [0, 1) and 1 on [1, 2). */
START_TEST(test_utilisation_and_queue_exact)
{
    char trace[512] = "";
    trace_add(trace, sizeof trace, 0, 3);
    struct run r = run_whole(SERVER("'workers':1"), trace);
    ck_assert_double_eq_tol(summary_num(&r, "components.web.utilization"), 0.3, EPS);
    ck_assert_double_eq_tol(summary_num(&r, "components.web.per_node.0.utilization"), 0.3, EPS);
    ck_assert_double_eq_tol(summary_num(&r, "components.web.queue_mean"), 0.3, EPS);
    ck_assert_double_eq_tol(summary_num(&r, "components.web.busy_mean"), 0.3, EPS);
    /* The time series: one row per second, interval figures exact. */
    struct series *s = &r.w->series;
    ck_assert_uint_eq(s->nrows, 10);
    size_t cu = column(&r, "web.util"), cq = column(&r, "web.queue");
    const double util[10] = {1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
    const double queue[10] = {2, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < 10; i++) {
        ck_assert_double_eq_tol(series_get(s, i, cu), util[i], EPS);
        ck_assert_double_eq_tol(series_get(s, i, cq), queue[i], EPS);
    }
    run_close(&r);
}
END_TEST

/* With a warm-up of 1.5 s the averages start there: busy on [1.5, 3), waiting 1 on [1.5, 2),
 * over 8.5 s; the requests arrived before it are served but not counted. */
START_TEST(test_averages_start_after_warmup)
{
    char trace[512] = "";
    trace_add(trace, sizeof trace, 0, 3);
    trace_add(trace, sizeof trace, 5, 1);
    struct run r = run_whole("{'name':'t','duration':'10s','metrics':{'warmup':'1.5s'},"
                             "'workload':{'entry':'web','trace':'%s'},"
                             "'components':[{'id':'web','type':'service','service':'1s'}]}",
                             trace);
    ck_assert_double_eq_tol(summary_num(&r, "components.web.utilization"), 2.5 / 8.5, EPS);
    ck_assert_double_eq_tol(summary_num(&r, "components.web.queue_mean"), 0.5 / 8.5, EPS);
    ck_assert_uint_eq(r.w->arrived, 1);
    ck_assert_uint_eq(r.w->completed, 1);
    ck_assert_uint_eq(comp_of(&r, "web")->requests, 1);
    ck_assert_double_eq_tol(summary_num(&r, "components.web.per_node.0.requests"), 1, EPS);
    /* The rows are not cut by the warm-up, which restarts the averages in the middle of the
     * row [1, 2): it still shows a busy worker and one waiting request throughout. */
    struct series *s = &r.w->series;
    size_t cu = column(&r, "web.util"), cq = column(&r, "web.queue");
    const double util[6] = {1, 1, 1, 0, 0, 1}, queue[6] = {2, 1, 0, 0, 0, 0};
    for (size_t i = 0; i < 6; i++) {
        ck_assert_double_eq_tol(series_get(s, i, cu), util[i], EPS);
        ck_assert_double_eq_tol(series_get(s, i, cq), queue[i], EPS);
    }
    run_close(&r);
}
END_TEST

/* FIFO across the ring buffer's growth: ten requests at 0 (ops o0..o9), and at 5.5 s, with
 * o6..o9 still waiting (the ring's head moved on), twenty more (o10..o29), which make the ring
 * wrap and then grow. One worker and 1 s each: op k ends at k + 1 s. */
START_TEST(test_fifo_across_ring_growth)
{
    char ops[1024] = "", trace[2048] = "";
    for (int k = 0; k < 30; k++)
        snprintf(ops + strlen(ops), sizeof ops - strlen(ops), "%s'o%d':1", k ? "," : "", k);
    for (int k = 0; k < 30; k++)
        snprintf(trace + strlen(trace), sizeof trace - strlen(trace), "%g,o%d,0,0\n",
                 k < 10 ? 0 : 5.5, k);
    char text[2048];
    snprintf(text, sizeof text,
             "{'name':'t','duration':'40s','workload':{'entry':'web','trace':'%%s','ops':{%s}},"
             "'components':[{'id':'web','type':'service','service':'1s'}]}",
             ops);
    struct run r = run_whole(text, trace);
    ck_assert_uint_eq(r.w->completed, 30);
    for (int k = 0; k < 30; k++) {
        ck_assert_uint_eq(r.w->ops[k].completed, 1);
        double expect = k + 1 - (k < 10 ? 0 : 5.5);
        ck_assert_msg(fabs(hist_mean(&r.w->ops[k].latency) - expect) < EPS,
                      "op o%d: latency %g, expected %g", k, hist_mean(&r.w->ops[k].latency),
                      expect);
    }
    run_close(&r);
}
END_TEST

/* ---- scale ------------------------------------------------------------------------------- */

/* Scaling out while requests are resident on node 0 (one in service, one waiting) must keep
 * node 0's resident list intact: a failure afterwards fails exactly those two. */
START_TEST(test_scale_out_keeps_residents)
{
    struct run r = rig_open("{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},"
                            "'components':[{'id':'web','type':'service','service':'1s'}]}");
    struct world *w = r.w;
    inject(&r, 0);
    inject(&r, 0);
    run_to(&r, 0.5);
    control(&r, "web", CTL_SCALE, -1, 64);
    run_to(&r, 0.7);
    control(&r, "web", CTL_FAIL, 0, 0);
    run_past(&r, 0.7);
    ck_assert_uint_eq(w->failed, 2);
    run_past(&r, 1);
    ck_assert_uint_eq(w->in_flight, 0);
    /* Round robin goes on from node 0 (down) over the 64 nodes. */
    inject(&r, 2);
    inject(&r, 2);
    inject(&r, 2);
    run_past(&r, 3);
    ck_assert_uint_eq(w->failed, 3);
    ck_assert_uint_eq(w->completed, 2);
    ck_assert_uint_eq(w->in_flight, 0);
    run_close(&r);
}
END_TEST

/* The same with no request resident at the time of the scale: the empty lists must survive
 * the move too. */
START_TEST(test_scale_out_when_idle)
{
    struct run r = rig_open("{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},"
                            "'components':[{'id':'web','type':'service','nodes':2,"
                            "'service':'1s'}]}");
    struct world *w = r.w;
    control(&r, "web", CTL_SCALE, -1, 100);
    for (int i = 0; i < 4; i++)
        inject(&r, 0); /* nodes 0, 1, 2, 3 */
    run_to(&r, 0.5);
    control(&r, "web", CTL_FAIL, 0, 0);
    control(&r, "web", CTL_FAIL, 1, 0);
    run_past(&r, 0.5);
    ck_assert_uint_eq(w->failed, 2);
    run_past(&r, 1);
    ck_assert_uint_eq(w->completed, 2);
    ck_assert_uint_eq(w->in_flight, 0);
    run_close(&r);
}
END_TEST

/* Scale in from 3 to 1 at 0.5 s: the nodes scaled away finish what they hold; later requests
 * all go to node 0, one after another. Scale out to 2 again at 10 s: node 1 comes back. */
START_TEST(test_scale_in_and_out)
{
    char trace[512] = "";
    trace_add(trace, sizeof trace, 0, 3);
    trace_add(trace, sizeof trace, 2, 3);
    trace_add(trace, sizeof trace, 11, 2);
    struct run r =
        run_whole("{'name':'t','duration':'20s','workload':{'entry':'web','trace':'%s'},"
                  "'components':[{'id':'web','type':'service','nodes':3,'service':'1s'}],"
                  "'events':[{'at':'0.5s','action':'scale','target':'web','nodes':1},"
                  "{'at':'10s','action':'scale','target':'web','nodes':2}]}",
                  trace);
    struct world *w = r.w;
    ck_assert_uint_eq(w->completed, 8);
    /* 1, 1, 1 at 0; 1, 2, 3 at 2 s; 1, 1 at 11 s. */
    ck_assert_double_eq_tol(hist_mean(&w->latency), (3 + 6 + 2) / 8.0, EPS);
    ck_assert_double_eq(summary_num(&r, "components.web.nodes"), 2);
    ck_assert_double_eq(summary_num(&r, "components.web.per_node.0.requests"), 5);
    ck_assert_double_eq(summary_num(&r, "components.web.per_node.1.requests"), 2);
    run_close(&r);
}
END_TEST

/* ---- failure ----------------------------------------------------------------------------- */

/* Two nodes of one worker, 100 ms away, 1 s of service. Six requests at 0 (round robin:
 * node 0 gets 0, 2, 4; node 1 gets 1, 3, 5), node 0 fails at 0.5 s: its waiting two fail at
 * once and its one in service too. At 4 s four more: node 0 (down) fails two of them at
 * once, node 1 serves two; node 0 recovers at 6 s and serves one of the two at 7 s. */
START_TEST(test_fail_node_by_event)
{
    char trace[512] = "";
    trace_add(trace, sizeof trace, 0, 6);
    trace_add(trace, sizeof trace, 4, 4);
    trace_add(trace, sizeof trace, 7, 2);
    struct run r =
        run_whole("{'name':'t','duration':'10s','metrics':{'interval':'0.25s'},"
                  "'workload':{'entry':'web','trace':'%s'},"
                  "'components':[{'id':'web','type':'service','nodes':2,'latency':'100ms',"
                  "'service':'1s'}],"
                  "'events':[{'at':'0.5s','action':'fail','target':'web','node':0},"
                  "{'at':'6s','action':'recover','target':'web','node':0}]}",
                  trace);
    struct world *w = r.w;
    ck_assert_uint_eq(w->arrived, 12);
    ck_assert_uint_eq(w->completed, 7);
    ck_assert_uint_eq(w->failed, 5);
    ck_assert_uint_eq(w->rejected + w->timed_out, 0);
    ck_assert_uint_eq(w->in_flight, 0);
    struct comp *web = comp_of(&r, "web");
    ck_assert_uint_eq(web->requests, 12);
    /* Refused by the down node (CLI.md counts them as rejected); failed: the two waiting,
     * the one in service, and the two refused. */
    ck_assert_uint_eq(web->rejected, 2);
    ck_assert_uint_eq(web->failed, 5);
    /* The client hears of the three at 0.6 s (the row [0.5, 0.75)) and of the two refused at
     * 4.2 s (the row [4, 4.25)). */
    struct series *s = &w->series;
    size_t cf = column(&r, "failed_rps");
    ck_assert_uint_eq(s->nrows, 40);
    for (size_t i = 0; i < s->nrows; i++) {
        double expect = i == 2 ? 3 / 0.25 : i == 16 ? 2 / 0.25 : 0;
        ck_assert_msg(fabs(series_get(s, i, cf) - expect) < EPS, "row %zu: failed_rps %g", i,
                      series_get(s, i, cf));
    }
    /* Served: node 1's three from 0 (1.2, 2.2, 3.2 s), node 1's two from 4 s (1.2, 2.2 s),
     * and one on each node at 7 s (1.2 s). */
    ck_assert_double_eq_tol(hist_mean(&w->latency), (1.2 + 2.2 + 3.2 + 1.2 + 2.2 + 1.2 + 1.2) / 7,
                            EPS);
    run_close(&r);
}
END_TEST

/* The same node by hand, to see the instants: the caller hears of each failure one network
 * latency (100 ms) after it; the orphan still in service is dropped when its service ends. */
START_TEST(test_fail_instants)
{
    struct run r = rig_open("{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},"
                            "'components':[{'id':'web','type':'service','latency':'100ms',"
                            "'service':'1s'}]}");
    struct world *w = r.w;
    for (int i = 0; i < 3; i++)
        inject(&r, 0);
    run_to(&r, 0.5);
    control(&r, "web", CTL_FAIL, 0, 0);
    ck_assert_double_eq_tol(util_of(&r, "web", 0), 0.4 / 0.5, EPS);
    run_to(&r, 0.5999);
    ck_assert_uint_eq(w->failed, 0);
    run_past(&r, 0.6);
    ck_assert_uint_eq(w->failed, 3);
    ck_assert_uint_eq(w->in_flight, 1);
    /* A failed node takes no new work: refused on arrival, heard 100 ms later. */
    inject(&r, 0.7);
    run_to(&r, 0.8999);
    ck_assert_uint_eq(w->failed, 3);
    run_past(&r, 0.9);
    ck_assert_uint_eq(w->failed, 4);
    run_to(&r, 1.0999);
    ck_assert_uint_eq(w->in_flight, 1);
    run_past(&r, 1.1);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_double_eq_tol(util_of(&r, "web", 0), 0.4 / (1.1 + 1e-9), UEPS);
    /* Failing a failed node changes nothing; after recovery it serves again. */
    control(&r, "web", CTL_FAIL, 0, 0);
    control(&r, "web", CTL_RECOVER, 0, 0);
    inject(&r, 2);
    inject(&r, 2);
    run_past(&r, 4.2);
    ck_assert_uint_eq(w->completed, 2);
    ck_assert_double_eq_tol(hist_mean(&w->latency), (1.2 + 2.2) / 2, EPS);
    ck_assert_uint_eq(w->failed, 4);
    ck_assert_uint_eq(w->in_flight, 0);
    run_close(&r);
}
END_TEST

/* web (10 ms away, one worker) waits on db (100 ms away, 1 s). A reaches db at 0.11 s; web's
 * node fails at 0.5 s and recovers at 0.6 s; B comes at 0.7 s and holds the worker to 1.91 s;
 * A's late reply reaches web at 1.21 s and must be dropped without freeing B's worker, so C,
 * arriving at 1.51 s, waits until 1.91 s. */
START_TEST(test_fail_while_waiting_downstream)
{
    struct run r = rig_open("{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},"
                            "'components':[{'id':'web','type':'service','latency':'10ms',"
                            "'calls':{'*':['db']}},"
                            "{'id':'db','type':'service','workers':10,'latency':'100ms',"
                            "'service':'1s'}]}");
    struct world *w = r.w;
    inject(&r, 0);
    run_to(&r, 0.5);
    control(&r, "web", CTL_FAIL, 0, 0);
    run_to(&r, 0.5099);
    ck_assert_uint_eq(w->failed, 0);
    run_past(&r, 0.51);
    ck_assert_uint_eq(w->failed, 1);
    ck_assert_uint_eq(w->in_flight, 1);
    run_to(&r, 0.6);
    control(&r, "web", CTL_RECOVER, 0, 0);
    inject(&r, 0.7);
    run_to(&r, 1.2099);
    ck_assert_uint_eq(w->in_flight, 2);
    run_past(&r, 1.21);
    ck_assert_uint_eq(w->in_flight, 1);
    inject(&r, 1.5);
    run_past(&r, 10);
    ck_assert_uint_eq(w->completed, 2);
    ck_assert_uint_eq(w->failed, 1);
    ck_assert_uint_eq(w->in_flight, 0);
    /* B: 1.22 s; C: waits 0.4 s, then 1.22 s. */
    ck_assert_double_eq_tol(hist_min(&w->latency), 1.22, 1e-9);
    ck_assert_double_eq_tol(hist_max(&w->latency), 1.62, 1e-9);
    ck_assert_uint_eq(hist_count(&comp_of(&r, "db")->latency), 3);
    run_close(&r);
}
END_TEST

/* web -> app -> db; app fails while the request waits on db: web hears after app's latency
 * (50 ms), releases its worker and fails the request; db's late reply is dropped at app. */
START_TEST(test_fail_middle_of_chain)
{
    struct run r = rig_open("{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},"
                            "'components':["
                            "{'id':'web','type':'service','calls':{'*':['app']}},"
                            "{'id':'app','type':'service','latency':'50ms',"
                            "'calls':{'*':['db']}},"
                            "{'id':'db','type':'service','latency':'100ms','service':'1s'}]}");
    struct world *w = r.w;
    inject(&r, 0);
    run_to(&r, 0.5);
    control(&r, "app", CTL_FAIL, 0, 0);
    run_to(&r, 0.5499);
    ck_assert_uint_eq(w->failed, 0);
    run_past(&r, 0.55);
    ck_assert_uint_eq(w->failed, 1);
    ck_assert_uint_eq(comp_of(&r, "app")->failed, 1);
    ck_assert_uint_eq(comp_of(&r, "web")->failed, 1);
    ck_assert_uint_eq(w->in_flight, 1);
    run_to(&r, 1.2499);
    ck_assert_uint_eq(w->in_flight, 1);
    run_past(&r, 1.25);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_double_eq_tol(util_of(&r, "web", 0), 0.55 / (1.25 + 1e-9), UEPS);
    ck_assert_uint_eq(w->completed, 0);
    ck_assert_uint_eq(w->failed, 1);
    run_close(&r);
}
END_TEST

/* The whole component (no node named) fails at 0.5 s: three nodes, each with one request in
 * service and one waiting: six fail; three more at 1 s fail at once; after the recovery at
 * 2 s three at 3 s are served. */
START_TEST(test_fail_whole_component)
{
    char trace[512] = "";
    trace_add(trace, sizeof trace, 0, 6);
    trace_add(trace, sizeof trace, 1, 3);
    trace_add(trace, sizeof trace, 3, 3);
    struct run r =
        run_whole("{'name':'t','duration':'10s','workload':{'entry':'web','trace':'%s'},"
                  "'components':[{'id':'web','type':'service','nodes':3,'service':'1s'}],"
                  "'events':[{'at':'0.5s','action':'fail','target':'web'},"
                  "{'at':'2s','action':'recover','target':'web'}]}",
                  trace);
    struct world *w = r.w;
    ck_assert_uint_eq(w->failed, 9);
    ck_assert_uint_eq(w->completed, 3);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_uint_eq(comp_of(&r, "web")->rejected, 3);
    ck_assert_uint_eq(comp_of(&r, "web")->failed, 9);
    ck_assert_double_eq_tol(hist_mean(&w->latency), 1.0, EPS);
    /* Busy: three workers on [0, 0.5) and on [3, 4): 4.5 worker-seconds of 30. */
    ck_assert_double_eq_tol(summary_num(&r, "components.web.utilization"), 0.15, EPS);
    run_close(&r);
}
END_TEST

Suite *station_suite(void)
{
    Suite *s = suite_create("station");
    TCase *tc = tcase_create("workers");
    tcase_add_test(tc, test_bounded_queue_rejects_the_rest);
    tcase_add_test(tc, test_no_waiting_room_rejects_when_busy);
    tcase_add_test(tc, test_unlimited_workers_never_wait);
    tcase_add_test(tc, test_utilisation_and_queue_exact);
    tcase_add_test(tc, test_averages_start_after_warmup);
    tcase_add_test(tc, test_fifo_across_ring_growth);
    suite_add_tcase(s, tc);
    tc = tcase_create("scale");
    tcase_add_test(tc, test_scale_out_keeps_residents);
    tcase_add_test(tc, test_scale_out_when_idle);
    tcase_add_test(tc, test_scale_in_and_out);
    suite_add_tcase(s, tc);
    tc = tcase_create("fail");
    tcase_add_test(tc, test_fail_node_by_event);
    tcase_add_test(tc, test_fail_instants);
    tcase_add_test(tc, test_fail_while_waiting_downstream);
    tcase_add_test(tc, test_fail_middle_of_chain);
    tcase_add_test(tc, test_fail_whole_component);
    suite_add_tcase(s, tc);
    return s;
}
