/* Tests for models/autoscale.c on a service pool through whole scenarios: load errors, a load
 * step that the autoscaler answers (the provisioning delay visible in <id>.nodes, p99 back
 * under its target), scale-in with min, cooldown and max, the decisions unchanged by a warm-up,
 * and a scale event that cancels nodes still provisioning. */
#include "models/registry.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/world.h"

#include "tests/testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void load_fails(const char *text, const char *path, const char *msg)
{
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    int rc = scenario_load_text("as.json", text, strlen(text), NULL, 0, model_registry, &sc, &err);
    ck_assert_msg(rc == -1, "loaded: %s", text);
    ck_assert_msg(strcmp(err.path, path) == 0, "path %s, expected %s (%s)", err.path, path,
                  err.msg);
    ck_assert_msg(strstr(err.msg, msg) != NULL, "message \"%s\" lacks \"%s\"", err.msg, msg);
}

/* The timeseries.csv column of that name, or -1. */
static int column(const struct world *w, const char *name)
{
    for (size_t c = 0; c < w->series.ncols; c++)
        if (strcmp(w->series.names[c], name) == 0)
            return (int)c;
    return -1;
}

/* The value of a column in the row ending at time t. */
static double at_time(const struct world *w, int col, double t)
{
    for (size_t r = 0; r < w->series.nrows; r++)
        if (fabs(series_get(&w->series, r, 0) - t) < 1e-9)
            return series_get(&w->series, r, (size_t)col);
    ck_abort_msg("no row at %g s", t);
    return NAN;
}

/* The scaling steps of component id from the summary (owned by s). */
static const cJSON *scaling(const cJSON *s, const char *id)
{
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "components"), id);
    const cJSON *l = cJSON_GetObjectItem(c, "scaling");
    ck_assert_ptr_nonnull(l);
    return l;
}

static double num(const cJSON *steps, int i, const char *field)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetArrayItem(steps, i), field);
    ck_assert_msg(cJSON_IsNumber(v), "scaling[%d].%s is not a number", i, field);
    return v->valuedouble;
}

#define POOL(extra)                                                                                \
    "{\"duration\":\"10s\",\"workload\":{\"rate\":1,\"entry\":\"web\"},\"components\":["           \
    "{\"id\":\"web\",\"type\":\"service\"," extra "}]}"

START_TEST(test_load_errors)
{
    load_fails(POOL("\"workers\":\"unlimited\",\"autoscale\":{}"), "components[0].autoscale",
               "needs a worker limit");
    load_fails(POOL("\"nodes\":2,\"autoscale\":{\"min\":3,\"max\":2}"),
               "components[0].autoscale.min", "is above max");
    load_fails(POOL("\"nodes\":1,\"autoscale\":{\"min\":2,\"max\":5}"), "components[0].autoscale",
               "outside min..max");
    load_fails(POOL("\"autoscale\":{\"targt_utilization\":0.5}"),
               "components[0].autoscale.targt_utilization", "did you mean");
    load_fails(POOL("\"autoscale\":{\"target_utilization\":0}"),
               "components[0].autoscale.target_utilization", "between");
    load_fails(POOL("\"autoscale\":{\"interval\":0}"), "components[0].autoscale.interval",
               "above 0");
    load_fails(POOL("\"autoscale\":[1]"), "components[0].autoscale", "must be an object");
    /* Defaults are enough; a pool without autoscale has no nodes column. */
    struct scenario *sc = tu_load(POOL("\"autoscale\":{}"));
    struct world *w = tu_run(sc, 1);
    ck_assert_int_ge(column(w, "web.nodes"), 0);
    world_free(w);
    scenario_free(sc);
    sc = tu_load(POOL("\"nodes\":2"));
    w = tu_run(sc, 1);
    ck_assert_int_eq(column(w, "web.nodes"), -1);
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* Two single-worker nodes serving in exp(10 ms) at 100 req/s (utilisation 0.5, under the
 * target 0.6), then from 61 s 300 req/s: more than the two can serve, so the queue grows by
 * 100 req/s. The decision at 90 s sees utilisation near 1 and asks for
 * ceil(2 x util / 0.6) = 4 nodes (util between 0.9 and 1 gives 3.0 to 3.33, and the interval
 * from 60 s was saturated from 61 s on), which serve from 112.5 s: the provisioning delay. */
#define STEP_SCENARIO                                                                              \
    "{\"duration\":\"400s\",\"metrics\":{\"interval\":\"5s\"%s},"                                  \
    "\"workload\":{\"rate\":[[\"0s\",100],[\"61s\",300]],\"ramp\":\"step\","                       \
    "\"entry\":\"web\"},\"components\":[{\"id\":\"web\",\"type\":\"service\",\"nodes\":2,"         \
    "\"workers\":1,\"service\":{\"dist\":\"exp\",\"mean\":\"10ms\"},"                              \
    "\"autoscale\":{\"target_utilization\":0.6,\"min\":2,\"max\":20,\"interval\":\"30s\","         \
    "\"cooldown\":\"30s\",\"provisioning\":\"22.5s\"}}],\"events\":[%s]}"

START_TEST(test_step_restores_p99)
{
    char text[2048];
    snprintf(text, sizeof text, STEP_SCENARIO, "", "");
    struct scenario *sc = tu_load(text);
    struct world *w = tu_run(sc, 3);
    cJSON *s = report_summary(w);
    const cJSON *steps = scaling(s, "web");
    ck_assert_int_ge(cJSON_GetArraySize(steps), 2);
    ck_assert_double_eq(num(steps, 0, "at_s"), 90);
    ck_assert_double_eq(num(steps, 0, "from"), 2);
    ck_assert_double_eq(num(steps, 0, "to"), 4);
    ck_assert_double_gt(num(steps, 0, "utilization"), 0.9);
    ck_assert_double_eq(num(steps, 0, "active_at_s"), 90 + 22.5);
    ck_assert_ptr_nonnull(
        strstr(cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 0), "reason")->valuestring, "above"));
    /* The node count seen by the metrics: 2 up to the row ending at 110 s, 4 at 115 s. */
    int nodes = column(w, "web.nodes"), p99 = column(w, "p99_ms");
    ck_assert_int_ge(nodes, 0);
    ck_assert_double_eq(at_time(w, nodes, 60), 2);
    ck_assert_double_eq(at_time(w, nodes, 110), 2);
    ck_assert_double_eq(at_time(w, nodes, 115), 4);
    /* Overloaded until new nodes serve: a queue growing by 100 req/s for 50 s waits seconds. */
    for (double t = 70; t <= 110; t += 5)
        ck_assert_msg(at_time(w, p99, t) > 1000, "p99 %g ms at %g s", at_time(w, p99, t), t);
    /* The load is 3 nodes' worth: at the target the pool settles at ceil(3 / 0.6) = 5 nodes
     * (6 when a noisy interval measures a little above 3). Each node then is at most an
     * M/M/1 at utilisation 0.6 (round robin spreads more evenly than Poisson), whose p99 is
     * ln(100) / (100/s x 0.4) = 115 ms. A row's p99 scatters more than its 1500 requests
     * suggest: the queue forgets its state only in about 1 / (mu (1 - sqrt(rho))^2) = 0.2 s,
     * so a 5 s row holds some 25 independent stretches. Over seeds 1..40 the worst of these
     * 31 rows was 177 ms (median 105 ms); the target, 250 ms, keeps a margin, and the
     * overloaded rows above are over 1000 ms. */
    for (double t = 250; t <= 400; t += 5)
        ck_assert_msg(at_time(w, p99, t) < 250, "p99 %g ms at %g s", at_time(w, p99, t), t);
    ck_assert_double_ge(at_time(w, nodes, 400), 5);
    ck_assert_double_le(at_time(w, nodes, 400), 6);
    ck_assert_double_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "components"), "web"),
                            "nodes")
            ->valuedouble,
        at_time(w, nodes, 400));
    cJSON_Delete(s);
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* The same run with a warm-up ending between two decisions (75 s): the statistics restart,
 * the decisions do not change (the interval under way keeps the work done before). */
START_TEST(test_warmup_keeps_decisions)
{
    char text[2048];
    snprintf(text, sizeof text, STEP_SCENARIO, "", "");
    struct scenario *a = tu_load(text);
    snprintf(text, sizeof text, STEP_SCENARIO, ",\"warmup\":\"75s\"", "");
    struct scenario *b = tu_load(text);
    struct world *wa = tu_run(a, 3), *wb = tu_run(b, 3);
    cJSON *sa = report_summary(wa), *sb = report_summary(wb);
    const cJSON *la = scaling(sa, "web"), *lb = scaling(sb, "web");
    ck_assert_int_eq(cJSON_GetArraySize(la), cJSON_GetArraySize(lb));
    for (int i = 0; i < cJSON_GetArraySize(la); i++) {
        ck_assert_double_eq(num(la, i, "at_s"), num(lb, i, "at_s"));
        ck_assert_double_eq(num(la, i, "to"), num(lb, i, "to"));
        ck_assert_double_eq_tol(num(la, i, "utilization"), num(lb, i, "utilization"), 1e-9);
    }
    cJSON_Delete(sa);
    cJSON_Delete(sb);
    world_free(wa);
    world_free(wb);
    scenario_free(a);
    scenario_free(b);
}
END_TEST

/* Four nodes for one node's worth of load: the first decision (30 s) removes nodes at once,
 * down to min 3 (the rule alone would keep 2). The load then rises to 5 nodes' worth at 40 s,
 * but the cooldown (2 min) holds every decision until 150 s, which asks for
 * ceil(3 x 1 / 0.6) = 5 and gets max 4, serving from 160.5 s. Nothing after: the next
 * change could come at 270 s. */
START_TEST(test_scale_in_min_cooldown_max)
{
    struct scenario *sc =
        tu_load("{\"duration\":\"200s\",\"metrics\":{\"interval\":\"5s\"},"
             "\"workload\":{\"rate\":[[\"0s\",100],[\"40s\",500]],\"ramp\":\"step\","
             "\"entry\":\"web\"},\"components\":[{\"id\":\"web\",\"type\":\"service\",\"nodes\":4,"
             "\"workers\":1,\"service\":{\"dist\":\"exp\",\"mean\":\"10ms\"},"
             "\"autoscale\":{\"target_utilization\":0.6,\"min\":3,\"max\":4,\"interval\":\"30s\","
             "\"cooldown\":\"2m\",\"provisioning\":\"10.5s\"}}]}");
    struct world *w = tu_run(sc, 4);
    cJSON *s = report_summary(w);
    const cJSON *steps = scaling(s, "web");
    ck_assert_int_eq(cJSON_GetArraySize(steps), 2);
    ck_assert_double_eq(num(steps, 0, "at_s"), 30);
    ck_assert_double_eq(num(steps, 0, "from"), 4);
    ck_assert_double_eq(num(steps, 0, "to"), 3);
    ck_assert_double_eq(num(steps, 0, "active_at_s"), 30);
    ck_assert_double_lt(num(steps, 0, "utilization"), 0.6);
    ck_assert_double_eq(num(steps, 1, "at_s"), 150);
    ck_assert_double_eq(num(steps, 1, "from"), 3);
    ck_assert_double_eq(num(steps, 1, "to"), 4);
    ck_assert_double_eq(num(steps, 1, "active_at_s"), 160.5);
    int nodes = column(w, "web.nodes");
    ck_assert_double_eq(at_time(w, nodes, 25), 4);
    ck_assert_double_eq(at_time(w, nodes, 35), 3);
    ck_assert_double_eq(at_time(w, nodes, 160), 3);
    ck_assert_double_eq(at_time(w, nodes, 165), 4);
    /* The pool's utilisation column counts the serving nodes only: saturated at 3 nodes. */
    ck_assert_double_gt(at_time(w, column(w, "web.util"), 100), 0.99);
    cJSON_Delete(s);
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* A scale event at 100 s, while the 2 nodes decided at 90 s are provisioning: the pool has 3
 * at once, and the pending nodes never come (the event overrides the autoscaler). */
START_TEST(test_scale_event_cancels_provisioning)
{
    char text[2048];
    snprintf(text, sizeof text, STEP_SCENARIO, "",
             "{\"at\":\"100s\",\"action\":\"scale\",\"target\":\"web\",\"nodes\":3}");
    struct scenario *sc = tu_load(text);
    struct world *w = tu_run(sc, 3);
    cJSON *s = report_summary(w);
    const cJSON *steps = scaling(s, "web");
    ck_assert_double_eq(num(steps, 0, "at_s"), 90);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 0), "active_at_s")));
    ck_assert_double_eq(num(steps, 1, "at_s"), 100);
    ck_assert_double_eq(num(steps, 1, "from"), 4);
    ck_assert_double_eq(num(steps, 1, "to"), 3);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 1), "reason")->valuestring,
                     "scale event");
    int nodes = column(w, "web.nodes");
    /* The row ending at 100 s is taken before the event of that instant. */
    ck_assert_double_eq(at_time(w, nodes, 100), 2);
    ck_assert_double_eq(at_time(w, nodes, 105), 3);
    ck_assert_double_eq(at_time(w, nodes, 115), 3);
    /* The cooldown runs from the event: the next decision is at 150 s at the earliest. */
    if (cJSON_GetArraySize(steps) > 2)
        ck_assert_double_ge(num(steps, 2, "at_s"), 150);
    cJSON_Delete(s);
    world_free(w);
    scenario_free(sc);
}
END_TEST

Suite *autoscale_suite(void)
{
    Suite *s = suite_create("autoscale");
    TCase *tc = tcase_create("service");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_step_restores_p99);
    tcase_add_test(tc, test_warmup_keeps_decisions);
    tcase_add_test(tc, test_scale_in_min_cooldown_max);
    tcase_add_test(tc, test_scale_event_cancels_provisioning);
    suite_add_tcase(s, tc);
    return s;
}
