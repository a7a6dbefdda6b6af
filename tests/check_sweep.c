/* sweep suite: --param parsing, the point count and order, sweep.csv from a sweep result, a
 * small sweep run end to end, and its plots (plot_sweep) and report (html_sweep). */
#include "models/registry.h"
#include "sim/html.h"
#include "sim/plot.h"
#include "sim/sweep.h"
#include "tests/testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HAS(hay, needle) ck_assert_msg(strstr(hay, needle) != NULL, "missing: %s", needle)

START_TEST(test_parse_param)
{
    struct sweep_param p;
    struct sim_error err = {0};
    ck_assert_int_eq(sweep_parse_param("workload.rate=10,20,5e2", &p, &err), 0);
    ck_assert_str_eq(p.path, "workload.rate");
    ck_assert_uint_eq(p.nvalues, 3);
    ck_assert_str_eq(p.values[0], "10");
    ck_assert_str_eq(p.values[1], "20");
    ck_assert_str_eq(p.values[2], "5e2");
    sweep_param_free(&p);
    ck_assert_int_eq(sweep_parse_param("a=x", &p, &err), 0);
    ck_assert_uint_eq(p.nvalues, 1);
    sweep_param_free(&p);
    static const char *const bad[] = {"noequals", "=1,2", "a=", "a=1,,2", "a=1,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(sweep_parse_param(bad[i], &p, &err) == -1, "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_points)
{
    char *v3[] = {"1", "2", "3"}, *v2[] = {"a", "b"}, *v4[] = {"w", "x", "y", "z"};
    struct sweep_param ps[] = {{"p", v3, 3}, {"q", v2, 2}, {"r", v4, 4}};
    ck_assert_uint_eq(sweep_points(ps, 3), 24);
    ck_assert_uint_eq(sweep_points(ps, 1), 3);
    ck_assert_uint_eq(sweep_points(ps, 0), 1);
}
END_TEST

/* A sweep result as sweep_run builds it: 2 x 2 points, with or without replications. */
static cJSON *fake_result(int reps)
{
    static const char fmt[] =
        "{\"scenario\":\"fake\",\"replications\":%d,\"seed\":7,"
        "\"params\":[\"workload.rate\",\"components.web.nodes\"],\"points\":["
        "{\"point\":{\"workload.rate\":\"10\",\"components.web.nodes\":\"1\"},"
        "\"figures\":{\"throughput_rps\":10,\"mean_ms\":5,\"p50_ms\":4,\"p99_ms\":20,"
        "\"p999_ms\":30,\"rejected_frac\":0,\"failed_frac\":0},"
        "\"ci95\":{\"throughput_rps\":0.5,\"latency_ms.mean\":0.25,\"latency_ms.p50\":0.125,"
        "\"latency_ms.p99\":2}},"
        "{\"point\":{\"workload.rate\":\"10\",\"components.web.nodes\":\"2\"},"
        "\"figures\":{\"throughput_rps\":10,\"mean_ms\":4,\"p50_ms\":3,\"p99_ms\":15,"
        "\"p999_ms\":25,\"rejected_frac\":0,\"failed_frac\":0},"
        "\"ci95\":{\"throughput_rps\":0.5,\"latency_ms.mean\":0.25,\"latency_ms.p50\":0.125,"
        "\"latency_ms.p99\":2}},"
        "{\"point\":{\"workload.rate\":\"1000\",\"components.web.nodes\":\"1\"},"
        "\"figures\":{\"throughput_rps\":500,\"mean_ms\":900,\"p50_ms\":800,\"p99_ms\":3000,"
        "\"p999_ms\":4000,\"rejected_frac\":0.5,\"failed_frac\":0.125},"
        "\"ci95\":{\"throughput_rps\":4,\"latency_ms.mean\":50,\"latency_ms.p50\":40,"
        "\"latency_ms.p99\":300}},"
        "{\"point\":{\"workload.rate\":\"1000\",\"components.web.nodes\":\"2\"},"
        "\"figures\":{\"throughput_rps\":990,\"mean_ms\":6,\"p50_ms\":5,\"p99_ms\":null,"
        "\"p999_ms\":40,\"rejected_frac\":0,\"failed_frac\":0.25},"
        "\"ci95\":{\"throughput_rps\":3,\"latency_ms.mean\":1,\"latency_ms.p50\":0.5}}]}";
    char text[4096];
    snprintf(text, sizeof text, fmt, reps);
    cJSON *r = cJSON_Parse(text);
    ck_assert_ptr_nonnull(r);
    return r;
}

static char *csv_text(const cJSON *result)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(sweep_write_csv(result, f), 0);
    fclose(f);
    return buf;
}

START_TEST(test_csv)
{
    cJSON *r = fake_result(3);
    char *csv = csv_text(r);
    ck_assert_str_eq(csv,
                     "workload.rate,components.web.nodes,throughput_rps,throughput_rps_ci95,"
                     "mean_ms,mean_ms_ci95,p50_ms,p50_ms_ci95,p99_ms,p99_ms_ci95,p999_ms,"
                     "rejected_frac,failed_frac\n"
                     "10,1,10,0.5,5,0.25,4,0.125,20,2,30,0,0\n"
                     "10,2,10,0.5,4,0.25,3,0.125,15,2,25,0,0\n"
                     "1000,1,500,4,900,50,800,40,3000,300,4000,0.5,0.125\n"
                     "1000,2,990,3,6,1,5,0.5,,,40,0,0.25\n");
    free(csv);
    cJSON_Delete(r);
    /* One replication: no _ci95 columns. */
    r = fake_result(1);
    csv = csv_text(r);
    ck_assert_str_eq(csv,
                     "workload.rate,components.web.nodes,throughput_rps,mean_ms,p50_ms,p99_ms,"
                     "p999_ms,rejected_frac,failed_frac\n"
                     "10,1,10,5,4,20,30,0,0\n"
                     "10,2,10,4,3,15,25,0,0\n"
                     "1000,1,500,900,800,3000,4000,0.5,0.125\n"
                     "1000,2,990,6,5,,40,0,0.25\n");
    free(csv);
    cJSON_Delete(r);
}
END_TEST

static const char tiny[] =
    "{\"name\": \"tiny\", \"seed\": 3, \"duration\": \"20s\","
    " \"metrics\": {\"interval\": \"1s\"},"
    " \"workload\": {\"rate\": 10, \"entry\": \"server\"},"
    " \"components\": [{\"id\": \"server\", \"type\": \"service\", \"workers\": 1,"
    " \"service\": {\"dist\": \"const\", \"value\": \"1ms\"}}]}";

/* A 2 x 2 sweep with two replications, run in one process: points in order (the first
 * parameter varies slowest), each with its values, figures and ci95. */
START_TEST(test_run)
{
    struct sweep_param ps[2];
    struct sim_error err = {0};
    ck_assert_int_eq(sweep_parse_param("workload.rate=10,40", &ps[0], &err), 0);
    ck_assert_int_eq(sweep_parse_param("components.server.workers=1,2", &ps[1], &err), 0);
    struct sweep_request rq = {.file = tu_write_temp(tiny, ".json"), .params = ps,
                               .nparams = 2, .replications = 2, .jobs = 1, .seed = 5};
    struct scenario **scs;
    ck_assert_msg(sweep_load(&rq, model_registry, &scs, &err) == 0, "%s", err.msg);
    cJSON *result = NULL;
    ck_assert_msg(sweep_run(&rq, scs, NULL, &result, &err) == 0, "%s", err.msg);
    const cJSON *points = cJSON_GetObjectItem(result, "points");
    ck_assert_int_eq(cJSON_GetArraySize(points), 4);
    static const char *const rate[] = {"10", "10", "40", "40"}, *const workers[] = {"1", "2", "1", "2"};
    int i = 0;
    for (const cJSON *pt = points->child; pt; pt = pt->next, i++) {
        const cJSON *v = cJSON_GetObjectItem(pt, "point");
        ck_assert_str_eq(cJSON_GetObjectItem(v, "workload.rate")->valuestring, rate[i]);
        ck_assert_str_eq(cJSON_GetObjectItem(v, "components.server.workers")->valuestring,
                         workers[i]);
        /* Constant 1 ms service, at most 40/s: utilisation 0.04, so queueing is rare and
         * the mean latency is within 1 ms of the service time. */
        double mean = cJSON_GetObjectItem(cJSON_GetObjectItem(pt, "figures"), "mean_ms")->valuedouble;
        ck_assert_msg(mean >= 1 && mean < 2, "mean %g ms", mean);
        ck_assert_ptr_nonnull(cJSON_GetObjectItem(pt, "ci95"));
    }
    char *csv = csv_text(result);
    ck_assert_msg(strncmp(csv, "workload.rate,components.server.workers,throughput_rps,"
                               "throughput_rps_ci95,", 75) == 0, "%s", csv);
    free(csv);
    cJSON_Delete(result);
    for (size_t p = 0; p < 4; p++)
        scenario_free(scs[p]);
    free(scs);
    sweep_param_free(&ps[0]);
    sweep_param_free(&ps[1]);
}
END_TEST

static void write_result(const char *dir, const cJSON *r)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sweep.csv", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(sweep_write_csv(r, f), 0);
    fclose(f);
    snprintf(path, sizeof path, "%s/sweep.json", dir);
    f = fopen(path, "w");
    char *text = cJSON_Print(r);
    fputs(text, f);
    free(text);
    fclose(f);
}

/* The plots and the report from the fake result: three SVGs, one line per number of nodes
 * (the legend names them), a log x axis (10 to 1000), and a page with the table, the
 * confidence intervals and the plots embedded. */
START_TEST(test_plots_and_report)
{
    char *dir = tu_temp_dir();
    cJSON *r = fake_result(3);
    write_result(dir, r);
    struct plot_list list;
    struct sim_error err = {0};
    ck_assert_int_eq(plot_sweep(dir, "plots", 1, &list, &err), 0);
    if (plot_find_gnuplot()) {
        ck_assert_uint_eq(list.failed, 0);
        ck_assert_uint_eq(list.n, 3);
        ck_assert_str_eq(list.files[0].name, "sweep_throughput.svg");
        ck_assert_str_eq(list.files[1].name, "sweep_latency.svg");
        ck_assert_str_eq(list.files[2].name, "sweep_errors.svg");
        char path[4096];
        snprintf(path, sizeof path, "%s/sweep_latency.svg", dir);
        char *svg = tu_read_file(path, NULL);
        ck_assert_ptr_nonnull(svg);
        HAS(svg, "nodes=1");
        HAS(svg, "nodes=2");
        HAS(svg, "components.web.nodes");
        HAS(svg, "workload.rate (log scale)");
        free(svg);
    } else {
        ck_assert_int_eq(list.no_gnuplot, 1);
    }
    ck_assert_int_eq(html_sweep(dir, r, &list, &err), 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *html = tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(html);
    HAS(html, "<h1>fake: sweep</h1>");
    HAS(html, "<th class=\"l\">components.web.nodes</th>");
    HAS(html, "<td>3000 &plusmn; 300</td>");
    HAS(html, "<td>50.0%</td>");
    HAS(html, "<td>&ndash;</td>");
    if (list.n > 0)
        HAS(html, "data:image/svg+xml;base64,");
    ck_assert_ptr_null(strstr(html, "http"));
    free(html);
    cJSON_Delete(r);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_parse_param);
    tcase_add_test(tc, test_points);
    tcase_add_test(tc, test_csv);
    tcase_add_test(tc, test_run);
    tcase_add_test(tc, test_plots_and_report);
    suite_add_tcase(s, tc);
    return s;
}
