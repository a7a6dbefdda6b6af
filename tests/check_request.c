/* Tests for sim/request.c: the pool, resident lists, the call/reply walk with exact latencies,
 * and timeouts (orphans, nested timeouts at two depths, failures of nodes holding orphans),
 * driven by hand through the engine so that every instant can be checked. */
#include "models/registry.h"
#include "sim/scenario.h"
#include "sim/station.h"
#include "sim/world.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Simulated times below are sums of a few decimal constants: equal up to double rounding. */
#define EPS 1e-12
/* Utilisations read at t + 1 ns (run_past) differ from the exact figure by about 1e-9. */
#define UEPS 1e-8

struct rig {
    struct scenario *sc;
    struct world *w;
};

/* Scenario text is written with single quotes for readability; JSON wants double ones. */
static struct rig rig_open(const char *squoted)
{
    char *text = strdup(squoted);
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    struct sim_error err = {0};
    struct rig r = {0};
    int rc = scenario_load_text("request.json", text, strlen(text), NULL, 0, model_registry, &r.sc,
                                &err);
    if (rc)
        sim_error_print(&err);
    ck_assert_int_eq(rc, 0);
    free(text);
    ck_assert_int_eq(world_create(r.sc, 1, &r.w, &err), 0);
    return r;
}

static void rig_close(struct rig *r)
{
    world_free(r->w);
    scenario_free(r->sc);
}

/* Runs every event up to and including time t. */
static void run_to(struct rig *r, double t)
{
    sim_run(&r->w->sim, t);
    ck_assert_double_eq(r->w->sim.now, t);
    world_flush_latency(r->w); /* no metrics rows here: the end-to-end histogram by hand */
}

/* Runs a nanosecond past t: event times that are sums of decimal constants may land an ulp
 * after t itself, and nothing in these tests happens within 1 us of another instant. */
static void run_past(struct rig *r, double t)
{
    run_to(r, t + 1e-9);
}

/* A request at the client at the current time, as the workload would make it (no world_run
 * here, so the workload itself generates nothing), before its first call. */
static struct request *client_request(struct rig *r)
{
    struct world *w = r->w;
    struct request *req = req_alloc(&w->sim);
    req->id = w->next_id++;
    req->t_start = w->sim.now;
    req->counted = 1;
    req->op = 0;
    req->depth = 1;
    req->frames[0] = (struct frame){.comp = SIM_KERNEL, .node = 0, .t_arrive = w->sim.now};
    w->arrived++;
    return req;
}

/* A request from the client at time t, sent to the entry component. */
static struct request *inject(struct rig *r, double t)
{
    run_to(r, t);
    struct request *req = client_request(r);
    req_call(&r->w->sim, req, r->w->sc->wl.entry[0], REQ_ANY_NODE);
    return req;
}

static struct comp *comp_of(struct rig *r, const char *id)
{
    int i = scenario_find(r->sc, id);
    ck_assert_int_ge(i, 0);
    return &r->w->comps[i];
}

/* Utilisation of one node since the start, at the current time. */
static double util_of(struct rig *r, const char *id, uint32_t node)
{
    struct comp *c = comp_of(r, id);
    struct node_stats ns = {0};
    c->ops->node_stats(c, &r->w->sim, node, &ns);
    return ns.util;
}

static void control(struct rig *r, const char *id, enum control_action a, int64_t node)
{
    struct comp *c = comp_of(r, id);
    struct control ctl = {.action = a, .node = node, .what = "nodes"};
    struct sim_error err = {0};
    ck_assert_int_eq(c->ops->control(c, &r->w->sim, &ctl, &err), 0);
}

#define ONE_SERVER                                                                                 \
    "{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},"                           \
    "'components':[{'id':'web','type':'service'}]}"

/* ---- pool and resident lists ----------------------------------------------------------- */

START_TEST(test_pool_grows_by_slabs_and_reuses)
{
    struct rig r = rig_open(ONE_SERVER);
    struct world *w = r.w;
    enum { N = 2500 };
    struct request **all = malloc(N * sizeof *all);
    for (int i = 0; i < N; i++) {
        all[i] = req_alloc(&w->sim);
        all[i]->depth = 3;
        all[i]->status = REQ_FAILED;
        all[i]->orphan_at = 2;
        all[i]->counted = 1;
    }
    ck_assert_uint_eq(w->in_flight, N);
    ck_assert_uint_eq(w->nslabs, 3); /* 1024 per slab */
    for (int i = 0; i < N; i++)
        req_free(&w->sim, all[i]);
    ck_assert_uint_eq(w->in_flight, 0);
    /* Reallocation comes from the free list: no new slab, and every field a request's life
     * depends on starts afresh. */
    for (int i = 0; i < N; i++) {
        all[i] = req_alloc(&w->sim);
        ck_assert_uint_eq(all[i]->depth, 0);
        ck_assert_uint_eq(all[i]->status, REQ_OK);
        ck_assert_uint_eq(all[i]->orphan_at, 0);
        ck_assert_uint_eq(all[i]->counted, 0);
    }
    ck_assert_uint_eq(w->nslabs, 3);
    for (int i = 0; i < N; i++)
        req_free(&w->sim, all[i]);
    ck_assert_uint_eq(w->in_flight, 0);
    free(all);
    rig_close(&r);
}
END_TEST

static size_t list_len(struct residents *res)
{
    size_t n = 0;
    for (struct frame *f = res->head.res_next; f != &res->head; f = f->res_next) {
        ck_assert_ptr_eq(f->res_next->res_prev, f);
        n++;
    }
    return n;
}

START_TEST(test_residents_link_and_unlink_on_free)
{
    struct rig r = rig_open(ONE_SERVER);
    struct world *w = r.w;
    struct residents res;
    residents_init(&res);
    ck_assert_uint_eq(list_len(&res), 0);
    struct request *q[3];
    for (int i = 0; i < 3; i++) {
        q[i] = req_alloc(&w->sim);
        q[i]->depth = (uint8_t)(i + 2);
        for (int j = 0; j < q[i]->depth; j++)
            q[i]->frames[j] = (struct frame){.index = (uint32_t)j};
        residents_add(&res, q[i]);
    }
    ck_assert_uint_eq(list_len(&res), 3);
    /* In arrival order, and each frame leads back to its request. */
    struct frame *f = res.head.res_next;
    for (int i = 0; i < 3; i++, f = f->res_next) {
        ck_assert_ptr_eq(req_of_frame(f), q[i]);
        ck_assert_ptr_eq(f, req_top(q[i]));
    }
    req_free(&w->sim, q[1]); /* from the middle */
    ck_assert_uint_eq(list_len(&res), 2);
    ck_assert_ptr_eq(req_of_frame(res.head.res_next), q[0]);
    ck_assert_ptr_eq(req_of_frame(res.head.res_prev), q[2]);
    req_free(&w->sim, q[0]);
    req_free(&w->sim, q[2]);
    ck_assert_uint_eq(list_len(&res), 0);
    ck_assert_ptr_eq(res.head.res_next, &res.head);
    ck_assert_uint_eq(w->in_flight, 0);
    rig_close(&r);
}
END_TEST

/* ---- call and reply -------------------------------------------------------------------- */

/* web -> app -> db with one-way latencies 1, 3, 7 ms and service 2, 5, 11 ms. */
#define CHAIN(web_workers)                                                                         \
    "{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},'components':["             \
    "{'id':'web','type':'service','workers':" #web_workers ",'latency':'1ms','service':'2ms',"     \
    "'calls':{'*':['app']}},"                                                                      \
    "{'id':'app','type':'service','latency':'3ms','service':'5ms','calls':{'*':['db']}},"          \
    "{'id':'db','type':'service','latency':'7ms','service':'11ms'}]}"

START_TEST(test_chain_latency_is_sum_of_hops)
{
    struct rig r = rig_open(CHAIN(1));
    struct world *w = r.w;
    inject(&r, 0);
    /* 2 x (1 + 3 + 7) ms of network and 2 + 5 + 11 ms of service: 40 ms. */
    run_past(&r, 0.0399);
    ck_assert_uint_eq(w->completed, 0);
    ck_assert_uint_eq(w->in_flight, 1);
    run_past(&r, 0.040);
    ck_assert_uint_eq(w->completed, 1);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_double_eq_tol(hist_mean(&w->latency), 0.040, EPS);
    /* Each component's own latency runs from its arrival to its reply. */
    ck_assert_double_eq_tol(hist_mean(&comp_of(&r, "db")->latency), 0.011, EPS);
    ck_assert_double_eq_tol(hist_mean(&comp_of(&r, "app")->latency), 0.005 + 0.014 + 0.011, EPS);
    ck_assert_double_eq_tol(hist_mean(&comp_of(&r, "web")->latency), 0.002 + 0.020 + 0.016, EPS);
    ck_assert_uint_eq(comp_of(&r, "web")->requests, 1);
    ck_assert_uint_eq(comp_of(&r, "db")->requests, 1);
    rig_close(&r);
}
END_TEST

/* Thread-per-request: the web worker is held from the start of its service (1 ms) to its
 * reply (39 ms), so a second request that arrives with the first waits 38 ms. */
START_TEST(test_worker_held_during_downstream_calls)
{
    struct rig r = rig_open(CHAIN(1));
    struct world *w = r.w;
    inject(&r, 0);
    inject(&r, 0);
    run_past(&r, 1);
    ck_assert_uint_eq(w->completed, 2);
    ck_assert_double_eq_tol(hist_min(&w->latency), 0.040, 1e-9);
    ck_assert_double_eq_tol(hist_max(&w->latency), 0.078, 1e-9);
    ck_assert_double_eq_tol(hist_mean(&w->latency), (0.040 + 0.078) / 2, EPS);
    /* Busy 1 ms .. 77 ms on web's one worker. */
    ck_assert_double_eq_tol(util_of(&r, "web", 0), 0.076, UEPS);
    ck_assert_uint_eq(w->in_flight, 0);
    rig_close(&r);
}
END_TEST

/* With two web workers both go through web at once and meet at app, whose one worker is
 * held 30 ms per request: the second finishes 30 ms after the first. */
START_TEST(test_second_tier_holds_its_worker)
{
    struct rig r = rig_open(CHAIN(2));
    struct world *w = r.w;
    inject(&r, 0);
    inject(&r, 0);
    run_past(&r, 1);
    ck_assert_uint_eq(w->completed, 2);
    ck_assert_double_eq_tol(hist_min(&w->latency), 0.040, 1e-9);
    ck_assert_double_eq_tol(hist_max(&w->latency), 0.070, 1e-9);
    ck_assert_double_eq_tol(util_of(&r, "app", 0), 0.060, UEPS);
    rig_close(&r);
}
END_TEST

/* Calls in order while the worker is held: 1 ms at web, then a (2 ms away, 3 ms), then b
 * (4 ms away, 5 ms): 1 + 2 x 2 + 3 + 2 x 4 + 5 = 21 ms. */
#define TWO_CALLS                                                                                  \
    "{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},'components':["             \
    "{'id':'web','type':'service','service':'1ms','calls':{'*':['a','b']}},"                       \
    "{'id':'a','type':'service','latency':'2ms','service':'3ms'},"                                 \
    "{'id':'b','type':'service','latency':'4ms','service':'5ms'}]}"

START_TEST(test_calls_in_order)
{
    struct rig r = rig_open(TWO_CALLS);
    struct world *w = r.w;
    inject(&r, 0);
    run_to(&r, 0.0209);
    ck_assert_uint_eq(w->completed, 0);
    run_past(&r, 0.021);
    ck_assert_uint_eq(w->completed, 1);
    ck_assert_double_eq_tol(hist_mean(&w->latency), 0.021, EPS);
    ck_assert_uint_eq(comp_of(&r, "a")->requests, 1);
    ck_assert_uint_eq(comp_of(&r, "b")->requests, 1);
    rig_close(&r);
}
END_TEST

/* a fails while it serves the request (at 4 ms): web hears at 6 ms and fails the request
 * without calling b; the orphan's service end at a (6 ms) is dropped. */
START_TEST(test_failed_call_skips_the_rest)
{
    struct rig r = rig_open(TWO_CALLS);
    struct world *w = r.w;
    inject(&r, 0);
    run_to(&r, 0.004);
    control(&r, "a", CTL_FAIL, 0);
    run_to(&r, 0.0059);
    ck_assert_uint_eq(w->failed, 0);
    run_past(&r, 0.006);
    ck_assert_uint_eq(w->failed, 1);
    ck_assert_uint_eq(w->in_flight, 0);
    run_past(&r, 1);
    ck_assert_uint_eq(comp_of(&r, "b")->requests, 0);
    ck_assert_uint_eq(comp_of(&r, "a")->failed, 1);
    ck_assert_uint_eq(comp_of(&r, "web")->failed, 1);
    ck_assert_uint_eq(w->completed, 0);
    rig_close(&r);
}
END_TEST

/* A refusal below comes back as the request's status: db has one worker and no waiting
 * room, web two workers; of two requests at once one is served (1 s), one refused at once. */
START_TEST(test_rejection_propagates)
{
    struct rig r =
        rig_open("{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},'components':["
                 "{'id':'web','type':'service','workers':2,'calls':{'*':['db']}},"
                 "{'id':'db','type':'service','queue':0,'service':'1s'}]}");
    struct world *w = r.w;
    inject(&r, 0);
    inject(&r, 0);
    run_past(&r, 0);
    ck_assert_uint_eq(w->rejected, 1);
    ck_assert_uint_eq(comp_of(&r, "db")->rejected, 1);
    ck_assert_uint_eq(comp_of(&r, "web")->rejected, 0);
    run_past(&r, 1);
    ck_assert_uint_eq(w->completed, 1);
    ck_assert_uint_eq(w->in_flight, 0);
    /* web held one worker for 1 s and the other not at all. */
    ck_assert_double_eq_tol(util_of(&r, "web", 0), 0.5, UEPS);
    rig_close(&r);
}
END_TEST

/* ---- timeouts ------------------------------------------------------------------------ */

/* web calls db (10 ms away, 1 s of service) and gives up after 100 ms. */
#define SLOW_DB                                                                                    \
    "{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},'components':["             \
    "{'id':'web','type':'service','calls':{'*':['db']}},"                                          \
    "{'id':'db','type':'service','latency':'10ms','timeout':'100ms','service':'1s'}]}"

START_TEST(test_timeout_then_orphan_is_freed)
{
    struct rig r = rig_open(SLOW_DB);
    struct world *w = r.w;
    inject(&r, 0);
    run_past(&r, 0.0999);
    ck_assert_uint_eq(w->timed_out, 0);
    run_past(&r, 0.1);
    /* The caller's copy went back to the client; the original still occupies db. */
    ck_assert_uint_eq(w->timed_out, 1);
    ck_assert_uint_eq(w->in_flight, 1);
    /* web's worker was freed at 100 ms: a second request is not stuck behind the first. */
    inject(&r, 0.2);
    run_past(&r, 0.2999);
    ck_assert_uint_eq(w->timed_out, 1);
    run_past(&r, 0.3);
    ck_assert_uint_eq(w->timed_out, 2);
    ck_assert_double_eq_tol(util_of(&r, "web", 0), 0.2 / 0.3, UEPS);
    /* db serves the first orphan 10 ms .. 1.01 s and the second (queued) to 2.01 s; each
     * reply is dropped where the caller gave up, and the request goes back to the pool. */
    run_past(&r, 1.0099);
    ck_assert_uint_eq(w->in_flight, 2);
    run_past(&r, 1.01);
    ck_assert_uint_eq(w->in_flight, 1);
    run_past(&r, 2.01);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_uint_eq(w->completed, 0);
    ck_assert_uint_eq(w->failed, 0);
    ck_assert_uint_eq(w->timed_out, 2);
    /* db did serve them: its own latency counts both (1 s and 1.8 s). */
    ck_assert_uint_eq(hist_count(&comp_of(&r, "db")->latency), 2);
    ck_assert_double_eq_tol(hist_mean(&comp_of(&r, "db")->latency), (1.0 + 1.8) / 2, EPS);
    rig_close(&r);
}
END_TEST

/* The timeout runs until the reply reaches the caller. db is 10 ms away and web gives up
 * after 100 ms: a reply sent at 95 ms (85 ms of service) would arrive at 105 ms, so web
 * hears of the timeout at 100 ms; one sent at 85 ms (75 ms) arrives in time, at 95 ms. */
START_TEST(test_timeout_counts_the_way_back)
{
    static const char *const texts[2] = {
        "{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},'components':["
        "{'id':'web','type':'service','calls':{'*':['db']}},"
        "{'id':'db','type':'service','latency':'10ms','timeout':'100ms','service':'85ms'}]}",
        "{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},'components':["
        "{'id':'web','type':'service','calls':{'*':['db']}},"
        "{'id':'db','type':'service','latency':'10ms','timeout':'100ms','service':'75ms'}]}"};
    struct rig r = rig_open(texts[0]);
    struct world *w = r.w;
    inject(&r, 0);
    run_to(&r, 0.0999);
    ck_assert_uint_eq(w->timed_out + w->completed, 0);
    run_past(&r, 0.1);
    ck_assert_uint_eq(w->timed_out, 1);
    ck_assert_uint_eq(w->completed, 0);
    ck_assert_uint_eq(w->in_flight, 0);
    /* db did answer: its own latency counts the 85 ms. */
    ck_assert_double_eq_tol(hist_mean(&comp_of(&r, "db")->latency), 0.085, EPS);
    rig_close(&r);

    r = rig_open(texts[1]);
    w = r.w;
    inject(&r, 0);
    run_past(&r, 0.095);
    ck_assert_uint_eq(w->completed, 1);
    run_past(&r, 1);
    ck_assert_uint_eq(w->timed_out, 0);
    ck_assert_double_eq_tol(hist_mean(&w->latency), 0.095, EPS);
    rig_close(&r);
}
END_TEST

/* An answered call's timeout event is stale; it must not hit the request object that the
 * pool hands out next (the free list gives back the same one). */
START_TEST(test_stale_timeout_spares_recycled_request)
{
    struct rig r = rig_open(
        "{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},'components':["
        "{'id':'web','type':'service','calls':{'*':['db']}},"
        "{'id':'db','type':'service','latency':'10ms','timeout':'100ms','service':'50ms'}]}");
    struct world *w = r.w;
    struct request *a = inject(&r, 0);
    run_past(&r, 0.07);
    ck_assert_uint_eq(w->completed, 1);
    struct request *b = inject(&r, 0.08); /* a's timeout is due at 0.1 */
    ck_assert_ptr_eq(a, b);
    run_past(&r, 0.149);
    ck_assert_uint_eq(w->completed, 1);
    run_past(&r, 0.15);
    ck_assert_uint_eq(w->completed, 2);
    run_past(&r, 1);
    ck_assert_uint_eq(w->timed_out, 0);
    ck_assert_uint_eq(w->in_flight, 0);
    rig_close(&r);
}
END_TEST

/* Orphans keep the callee busy: db (one worker, 80 ms) gets requests at 0, 50 and 120 ms,
 * each abandoned after 100 ms. The first is served 0..80 ms in time; the second waits and
 * is served 80..160 ms, abandoned at 150 ms; the third waits behind that orphan, is served
 * 160..240 ms and abandoned at 220 ms. */
START_TEST(test_orphans_hold_the_callee)
{
    struct rig r =
        rig_open("{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},'components':["
                 "{'id':'web','type':'service','workers':10,'calls':{'*':['db']}},"
                 "{'id':'db','type':'service','timeout':'100ms','service':'80ms'}]}");
    struct world *w = r.w;
    inject(&r, 0);
    inject(&r, 0.05);
    inject(&r, 0.12);
    run_past(&r, 0.1499);
    ck_assert_uint_eq(w->completed, 1);
    ck_assert_uint_eq(w->timed_out, 0);
    run_past(&r, 0.15);
    ck_assert_uint_eq(w->timed_out, 1);
    run_past(&r, 0.2199);
    ck_assert_uint_eq(w->timed_out, 1);
    run_past(&r, 0.22);
    ck_assert_uint_eq(w->timed_out, 2);
    ck_assert_uint_eq(w->in_flight, 1);
    run_past(&r, 0.24);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_double_eq_tol(hist_mean(&w->latency), 0.08, EPS);
    ck_assert_double_eq_tol(util_of(&r, "db", 0), 1.0, UEPS);
    rig_close(&r);
}
END_TEST

/* Timeouts at two depths. web (0 ms away) is abandoned by the client after 450 ms; app is
 * 200 ms away from web; db is 10 ms away from app, which gives up on it after 100 ms; db
 * takes 2 s. The request reaches db at 210 ms; app gives up at 300 ms (inner), and its
 * timed-out reply is on the way back to web (arriving at 500 ms) when the client gives up on
 * web at 450 ms (outer). The outer timeout was armed on the original; the inner one moved
 * it to the copy, where it must fire exactly once. */
#define NESTED(web_timeout)                                                                        \
    "{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},'components':["             \
    "{'id':'web','type':'service','timeout':'" web_timeout "','calls':{'*':['app']}},"             \
    "{'id':'app','type':'service','latency':'200ms','calls':{'*':['db']}},"                        \
    "{'id':'db','type':'service','latency':'10ms','timeout':'100ms','service':'2s'}]}"

START_TEST(test_nested_timeouts_inner_first)
{
    struct rig r = rig_open(NESTED("450ms"));
    struct world *w = r.w;
    inject(&r, 0);
    run_past(&r, 0.2999);
    ck_assert_uint_eq(w->in_flight, 1);
    run_past(&r, 0.3);
    /* The inner copy heads back to web; the original stays at db. */
    ck_assert_uint_eq(w->in_flight, 2);
    ck_assert_uint_eq(w->timed_out, 0);
    run_past(&r, 0.4499);
    ck_assert_uint_eq(w->timed_out, 0);
    run_past(&r, 0.45);
    ck_assert_uint_eq(w->timed_out, 1);
    ck_assert_uint_eq(w->in_flight, 2);
    /* The copy reaches web, which replies into the dropped frame: freed, not a second
     * answer to the client; web's worker is released once. */
    run_past(&r, 0.5);
    ck_assert_uint_eq(w->in_flight, 1);
    ck_assert_uint_eq(w->timed_out, 1);
    run_past(&r, 1);
    ck_assert_double_eq_tol(util_of(&r, "web", 0), 0.5, UEPS);
    ck_assert_double_eq_tol(util_of(&r, "app", 0), 0.1 / 1.0, UEPS);
    /* The original leaves db at 2.21 s and is dropped at app's frame. */
    run_past(&r, 2.2099);
    ck_assert_uint_eq(w->in_flight, 1);
    run_past(&r, 2.21);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_uint_eq(w->timed_out, 1);
    ck_assert_uint_eq(w->completed + w->failed + w->rejected, 0);
    /* Everything is idle again: a new request meets the same fate at the same instants. */
    inject(&r, 3);
    run_past(&r, 3.4499);
    ck_assert_uint_eq(w->timed_out, 1);
    run_past(&r, 3.45);
    ck_assert_uint_eq(w->timed_out, 2);
    run_past(&r, 6);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_uint_eq(w->timed_out, 2);
    rig_close(&r);
}
END_TEST

/* The same chain with the outer timeout first (150 ms): the client gives up while the request
 * is on its way to app; the orphan goes on, reaches db at 210 ms, app gives up on db at
 * 300 ms, and that copy (still an orphan above) climbs to web at 500 ms, where it is dropped
 * after web releases its worker. */
START_TEST(test_nested_timeouts_outer_first)
{
    struct rig r = rig_open(NESTED("150ms"));
    struct world *w = r.w;
    inject(&r, 0);
    run_past(&r, 0.1499);
    ck_assert_uint_eq(w->timed_out, 0);
    run_past(&r, 0.15);
    ck_assert_uint_eq(w->timed_out, 1);
    ck_assert_uint_eq(w->in_flight, 1);
    run_past(&r, 0.3);
    ck_assert_uint_eq(w->in_flight, 2);
    run_past(&r, 0.4999);
    ck_assert_uint_eq(w->in_flight, 2);
    run_past(&r, 0.5);
    ck_assert_uint_eq(w->in_flight, 1);
    run_past(&r, 1);
    ck_assert_double_eq_tol(util_of(&r, "web", 0), 0.5, UEPS);
    run_past(&r, 2.21);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_uint_eq(w->timed_out, 1);
    ck_assert_uint_eq(w->completed + w->failed + w->rejected, 0);
    rig_close(&r);
}
END_TEST

/* Both timeouts on the same path at the moment of the failure: web gives up on app after
 * 100 ms and app's node fails at 500 ms while it still serves the orphan. Nobody waits for
 * that request any more, so the failure must not answer web a second time. */
START_TEST(test_failing_node_holding_an_orphan)
{
    struct rig r = rig_open(
        "{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},'components':["
        "{'id':'web','type':'service','calls':{'*':['app']}},"
        "{'id':'app','type':'service','latency':'10ms','timeout':'100ms','service':'1s'}]}");
    struct world *w = r.w;
    inject(&r, 0);
    run_past(&r, 0.5);
    ck_assert_uint_eq(w->timed_out, 1);
    ck_assert_uint_eq(w->in_flight, 1);
    control(&r, "app", CTL_FAIL, 0);
    run_past(&r, 0.6);
    ck_assert_uint_eq(w->failed, 0);
    ck_assert_uint_eq(w->timed_out, 1);
    /* The orphan's service ends at 1.01 s on a dead node: it is dropped there. */
    run_past(&r, 1.0099);
    ck_assert_uint_eq(w->in_flight, 1);
    run_past(&r, 1.01);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_double_eq_tol(util_of(&r, "web", 0), 0.1 / 1.01, UEPS);
    /* web was released once (at 100 ms): it serves the next request normally. */
    control(&r, "app", CTL_RECOVER, 0);
    inject(&r, 2);
    run_past(&r, 2.0999);
    ck_assert_uint_eq(w->timed_out, 1);
    run_past(&r, 2.1);
    ck_assert_uint_eq(w->timed_out, 2);
    ck_assert_uint_eq(w->failed, 0);
    rig_close(&r);
}
END_TEST

/* The client gives up on web after 100 ms; web's node fails at 500 ms while the orphan waits
 * on db below it. The client already has its answer (timed out), so the failure adds none,
 * and db's late reply (at 1.01 s) is dropped at web. */
START_TEST(test_failing_caller_of_an_orphan)
{
    struct rig r =
        rig_open("{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},'components':["
                 "{'id':'web','type':'service','timeout':'100ms','calls':{'*':['db']}},"
                 "{'id':'db','type':'service','latency':'10ms','service':'1s'}]}");
    struct world *w = r.w;
    inject(&r, 0);
    run_past(&r, 0.1);
    ck_assert_uint_eq(w->timed_out, 1);
    run_past(&r, 0.5);
    control(&r, "web", CTL_FAIL, 0);
    run_past(&r, 0.6);
    ck_assert_uint_eq(w->failed, 0);
    ck_assert_uint_eq(w->timed_out, 1);
    ck_assert_uint_eq(w->in_flight, 1);
    run_past(&r, 1.0199);
    ck_assert_uint_eq(w->in_flight, 1);
    run_past(&r, 1.02);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_uint_eq(w->failed + w->completed, 0);
    rig_close(&r);
}
END_TEST

/* The client gives up on web after 100 ms; later app (below web) fails while it serves the
 * orphan. The failure reaches web (10 ms later), which releases its worker and replies into
 * the dropped frame: no answer to the client, nothing left in the pool. */
START_TEST(test_failure_below_an_orphan)
{
    struct rig r =
        rig_open("{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},'components':["
                 "{'id':'web','type':'service','timeout':'100ms','calls':{'*':['app']}},"
                 "{'id':'app','type':'service','latency':'10ms','service':'1s'}]}");
    struct world *w = r.w;
    inject(&r, 0);
    run_past(&r, 0.5);
    ck_assert_uint_eq(w->timed_out, 1);
    control(&r, "app", CTL_FAIL, 0);
    ck_assert_uint_eq(w->in_flight, 2); /* the orphan, and its failed copy heading to web */
    run_past(&r, 0.5099);
    ck_assert_uint_eq(w->in_flight, 2);
    run_past(&r, 0.51);
    ck_assert_uint_eq(w->in_flight, 1);
    ck_assert_double_eq_tol(util_of(&r, "web", 0), 1.0, UEPS);
    run_past(&r, 1.01);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_double_eq_tol(util_of(&r, "web", 0), 0.51 / 1.01, UEPS);
    ck_assert_uint_eq(w->failed + w->completed, 0);
    ck_assert_uint_eq(w->timed_out, 1);
    rig_close(&r);
}
END_TEST

/* ---- events a handler runs itself ------------------------------------------------------ */

/* A spy on the engine's dispatch: what each event was, and how many requests had completed
 * when it ran. */
static struct {
    sim_dispatch_fn inner;
    size_t n;
    uint32_t target[32];
    uint16_t kind[32];
    uint64_t completed[32];
} spy;

static void spy_dispatch(struct sim *sim, const struct sim_event *ev)
{
    struct world *w = sim->world;
    ck_assert_uint_lt(spy.n, 32);
    spy.target[spy.n] = ev->target;
    spy.kind[spy.n] = ev->kind;
    spy.completed[spy.n++] = w->completed;
    spy.inner(sim, ev);
}

static void spy_on(struct rig *r)
{
    spy.n = 0;
    spy.inner = r->w->sim.dispatch;
    r->w->sim.dispatch = spy_dispatch;
}

/* A request from the client at the current time through req_call_first; returns its result. */
static int first_call(struct rig *r, struct request **out)
{
    *out = client_request(r);
    return req_call_first(&r->w->sim, *out, r->w->sc->wl.entry[0], REQ_ANY_NODE);
}

#define TWO_WORKERS                                                                                \
    "{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},"                           \
    "'components':[{'id':'web','type':'service','workers':2,'service':'2ms'}]}"

/* With nothing else due, the call's arrival event would run next: req_call_first schedules
 * nothing and counts the event, and the caller hands the request over. Its reply to the client
 * is then done inside the service-end event: 3 events counted, 1 through the queue. */
START_TEST(test_first_call_direct_when_nothing_is_due)
{
    struct rig r = rig_open(TWO_WORKERS);
    struct world *w = r.w;
    struct comp *web = comp_of(&r, "web");
    spy_on(&r);
    struct request *req;
    ck_assert_int_eq(first_call(&r, &req), 1);
    ck_assert_uint_eq(sim_pending(&w->sim), 0);
    ck_assert_uint_eq(w->sim.dispatched, 1);
    web->ops->arrive(web, &w->sim, req);
    run_past(&r, 0.002);
    ck_assert_uint_eq(w->completed, 1);
    ck_assert_uint_eq(w->in_flight, 0);
    ck_assert_uint_eq(w->sim.dispatched, 3);
    ck_assert_uint_eq(spy.n, 1);
    ck_assert_uint_eq(spy.target[0], web->index);
    ck_assert_double_eq_tol(hist_mean(&w->latency), 0.002, EPS);
    rig_close(&r);
}
END_TEST

/* An event already due at this instant runs first, so the call goes through the queue. */
START_TEST(test_first_call_queued_behind_a_due_event)
{
    struct rig r = rig_open(TWO_WORKERS);
    struct world *w = r.w;
    spy_on(&r);
    struct sim_event due = {.target = SIM_KERNEL, .kind = KEV_WARMUP};
    sim_schedule(&w->sim, 0, &due);
    struct request *req;
    ck_assert_int_eq(first_call(&r, &req), 0);
    ck_assert_uint_eq(sim_pending(&w->sim), 2);
    run_past(&r, 0.002);
    ck_assert_uint_eq(w->completed, 1);
    ck_assert_uint_eq(w->sim.dispatched, 4);
    ck_assert_uint_eq(spy.n, 3);
    ck_assert_uint_eq(spy.kind[0], KEV_WARMUP);
    ck_assert_uint_eq(spy.kind[1], EV_ARRIVE);
    rig_close(&r);
}
END_TEST

/* A call that takes time is an event as before. */
START_TEST(test_first_call_with_latency_is_queued)
{
    struct rig r = rig_open("{'name':'t','duration':'100s','workload':{'rate':1,'entry':'web'},"
                            "'components':[{'id':'web','type':'service','latency':'1ms'}]}");
    struct world *w = r.w;
    struct request *req;
    ck_assert_int_eq(first_call(&r, &req), 0);
    ck_assert_uint_eq(sim_pending(&w->sim), 1);
    ck_assert_uint_eq(w->sim.dispatched, 0);
    run_past(&r, 0.002);
    ck_assert_uint_eq(w->completed, 1);
    rig_close(&r);
}
END_TEST

/* req_call_direct is req_call_first's direct case taken on the caller's word: the frame is
 * pushed and the event counted even with another event due now (which req_call_first would
 * have queued the call behind), and the caller hands the request over. */
START_TEST(test_call_direct)
{
    struct rig r = rig_open(TWO_WORKERS);
    struct world *w = r.w;
    struct comp *web = comp_of(&r, "web");
    struct sim_event due = {.target = SIM_KERNEL, .kind = KEV_WARMUP};
    sim_schedule(&w->sim, 0, &due);
    struct request *req = client_request(&r);
    req_call_direct(&w->sim, req, web->index);
    ck_assert_uint_eq(req->depth, 2);
    ck_assert_uint_eq(req_top(req)->comp, web->index);
    ck_assert_uint_eq(req_top(req)->node, REQ_ANY_NODE);
    ck_assert_double_eq(req_top(req)->t_arrive, w->sim.now);
    ck_assert_uint_eq(sim_pending(&w->sim), 1);
    ck_assert_uint_eq(w->sim.dispatched, 1);
    web->ops->arrive(web, &w->sim, req);
    run_past(&r, 0.002);
    ck_assert_uint_eq(w->completed, 1);
    ck_assert_double_eq_tol(hist_mean(&w->latency), 0.002, EPS);
    rig_close(&r);
}
END_TEST

/* Two services end at the same instant: the first reply finds the second service-end due and
 * waits behind it in the queue, so the second request's event still sees no completion, and
 * both replies run as events, in reply order. */
START_TEST(test_reply_queued_behind_a_tie)
{
    struct rig r = rig_open(TWO_WORKERS);
    struct world *w = r.w;
    struct comp *web = comp_of(&r, "web");
    spy_on(&r);
    inject(&r, 0);
    inject(&r, 0);
    run_past(&r, 0.002);
    ck_assert_uint_eq(w->completed, 2);
    ck_assert_uint_eq(w->sim.dispatched, 6);
    ck_assert_uint_eq(spy.n, 6);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_uint_eq(spy.kind[i], EV_ARRIVE);
        ck_assert_uint_eq(spy.target[2 + i], web->index);
        ck_assert_uint_eq(spy.completed[2 + i], 0);
        ck_assert_uint_eq(spy.target[4 + i], SIM_KERNEL);
        ck_assert_uint_eq(spy.kind[4 + i], EV_RESUME);
        ck_assert_uint_eq(spy.completed[4 + i], i);
    }
    rig_close(&r);
}
END_TEST

Suite *request_suite(void)
{
    Suite *s = suite_create("request");
    TCase *tc = tcase_create("pool");
    tcase_add_test(tc, test_pool_grows_by_slabs_and_reuses);
    tcase_add_test(tc, test_residents_link_and_unlink_on_free);
    suite_add_tcase(s, tc);
    tc = tcase_create("walk");
    tcase_add_test(tc, test_chain_latency_is_sum_of_hops);
    tcase_add_test(tc, test_worker_held_during_downstream_calls);
    tcase_add_test(tc, test_second_tier_holds_its_worker);
    tcase_add_test(tc, test_calls_in_order);
    tcase_add_test(tc, test_failed_call_skips_the_rest);
    tcase_add_test(tc, test_rejection_propagates);
    suite_add_tcase(s, tc);
    tc = tcase_create("timeout");
    tcase_add_test(tc, test_timeout_then_orphan_is_freed);
    tcase_add_test(tc, test_timeout_counts_the_way_back);
    tcase_add_test(tc, test_stale_timeout_spares_recycled_request);
    tcase_add_test(tc, test_orphans_hold_the_callee);
    tcase_add_test(tc, test_nested_timeouts_inner_first);
    tcase_add_test(tc, test_nested_timeouts_outer_first);
    tcase_add_test(tc, test_failing_node_holding_an_orphan);
    tcase_add_test(tc, test_failing_caller_of_an_orphan);
    tcase_add_test(tc, test_failure_below_an_orphan);
    suite_add_tcase(s, tc);
    tc = tcase_create("direct");
    tcase_add_test(tc, test_first_call_direct_when_nothing_is_due);
    tcase_add_test(tc, test_first_call_queued_behind_a_due_event);
    tcase_add_test(tc, test_first_call_with_latency_is_queued);
    tcase_add_test(tc, test_call_direct);
    tcase_add_test(tc, test_reply_queued_behind_a_tie);
    suite_add_tcase(s, tc);
    return s;
}
