/* html suite: report.html holds the summary figures as formatted, every plot as an exact base64
 * data URI, the scenario escaped, and nothing that reaches outside the file. */
#include "sim/html.h"
#include "sim/plot.h"
#include "tests/testutil.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char summary_text[] =
    "{\"scenario\": \"a<b\", \"seed\": 42, \"duration_s\": 600, \"warmup_s\": 30,"
    " \"simulated_s\": 600, \"events\": 9876543, \"wall_s\": 1.87,"
    " \"requests\": {\"arrived\": 1234567, \"completed\": 1200000, \"rejected\": 30001,"
    "   \"failed\": 4321, \"timed_out\": 245, \"in_flight\": 0},"
    " \"throughput_rps\": 2105.2632,"
    " \"latency_ms\": {\"mean\": 6.2141, \"p50\": 1.43, \"p90\": 10.9, \"p95\": 15.7,"
    "   \"p99\": 212.44, \"p999\": 1033.0, \"max\": 4410.2},"
    " \"ops\": {\"read\": {\"completed\": 1080000, \"latency_ms\": {\"mean\": 5.1, \"p99\": "
    "180.2}}},"
    " \"components\": {"
    "   \"web\": {\"type\": \"service\", \"nodes\": 4, \"requests\": 1234560, \"rejected\": 0,"
    "     \"failed\": 0, \"utilization\": 0.0142, \"latency_ms\": {\"mean\": 5.9, \"p99\": 205.1},"
    "     \"per_node\": [{\"node\": 0, \"requests\": 1}],"
    "     \"skew\": {\"max_over_mean\": 1.0041, \"cov\": 0.0061}},"
    "   \"cache\": {\"type\": \"cache\", \"nodes\": 5, \"requests\": 1000000, \"rejected\": 0,"
    "     \"failed\": 0, \"utilization\": 0.0061, \"latency_ms\": {\"mean\": 0.31, \"p99\": 1.2},"
    "     \"skew\": {\"max_over_mean\": 1.452, \"cov\": 0.2281}, \"hit_ratio\": 0.8127,"
    "     \"evictions\": 41234, \"key_moves\": [{\"at_s\": 300, \"nodes_before\": 4,"
    "     \"nodes_after\": 5, \"keys\": 100000, \"moved\": 19873, \"moved_fraction\": 0.19873,"
    "     \"ideal_fraction\": 0.2}, {\"at_s\": 400, \"nodes_before\": 5, \"nodes_after\": 6,"
    "     \"keys\": 100000, \"moved\": 16667, \"moved_fraction\": 0.16667,"
    "     \"ideal_fraction\": 0.16667, \"migration_planned\": 81592, \"migrated_keys\": 81486,"
    "     \"migrated_bytes\": 333766656, \"migration_dropped\": 106, \"migration_start_s\": 400,"
    "     \"migration_end_s\": 407.044, \"migration_s\": 7.044}]},"
    "   \"db\": {\"type\": \"database\", \"nodes\": 1, \"requests\": 250000, \"rejected\": 30001,"
    "     \"failed\": 4321, \"utilization\": 0.412, \"latency_ms\": {\"mean\": 18.7, \"p99\": "
    "null},"
    "     \"lost_writes\": 3, \"stale_reads\": 17, \"delay_ms\": {\"mean\": 2.5, \"p99\": 9.75},"
    "     \"failovers\": [{\"at_s\": 60, \"unavailable_s\": 5.0}]}"
    " },"
    " \"replications\": 3, \"ci95\": {\"latency_ms.mean\": 0.25, \"latency_ms.p99\": 7.5,"
    "   \"throughput_rps\": 1.5}}";

/* Writes report.html for summary_text into a new folder and returns its text (caller frees);
 * *dirp receives the folder (caller removes and frees). */
static char *report(const char *scenario, const struct plot_list *plots, char **dirp, char *dir)
{
    cJSON *s = cJSON_Parse(summary_text);
    ck_assert_ptr_nonnull(s);
    if (!dir)
        dir = tu_temp_dir();
    struct sim_error err = {0};
    ck_assert_int_eq(html_report(dir, s, scenario, plots, &err), 0);
    cJSON_Delete(s);
    char path[4096];
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *html = tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(html);
    *dirp = dir;
    return html;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = hay; (p = strstr(p, needle)); p += len)
        n++;
    return n;
}

static int hidden_files(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

#define HAS(html, s) ck_assert_msg(strstr(html, s) != NULL, "report lacks: %s", s)

START_TEST(test_summary_figures)
{
    char *dir;
    char *html = report(NULL, NULL, &dir, NULL);
    /* Header: escaped name, seed, simulated time, events with separators, replications. */
    HAS(html, "<h1>a&lt;b</h1>");
    HAS(html, "<title>a&lt;b &middot; clustersim report</title>");
    HAS(html, "seed 42 &middot; 600 s simulated (warm-up 30 s) &middot; 9,876,543 events in "
              "1.87 s wall &middot; 3 replications");
    /* Requests, in CLI.md order, then throughput with its confidence half-width. */
    HAS(html, "<td>1,234,567</td><td>1,200,000</td><td>30,001</td><td>4,321</td><td>245</td>"
              "<td>0</td><td>2105 &plusmn; 1.5</td>");
    /* Latency percentiles to four significant digits; mean and p99 with their half-widths. */
    HAS(html, "<td>6.214 &plusmn; 0.25</td><td>1.43</td><td>10.9</td><td>15.7</td>"
              "<td>212.4 &plusmn; 7.5</td><td>1033</td><td>4410</td>");
    HAS(html, "<td class=\"l\">read</td><td>1,080,000</td><td>5.1</td><td>180.2</td>");
    /* Components: utilisation and hit ratio as percentages, skew to three decimals, a dash
     * for a null figure and for a missing hit ratio. */
    HAS(html, "<td class=\"l\">web</td><td class=\"l\">service</td><td>4</td><td>1,234,560</td>"
              "<td>1.4%</td><td>0</td><td>0</td><td>5.9</td><td>205.1</td><td>1.004</td>"
              "<td>0.006</td><td>&ndash;</td></tr>");
    HAS(html, "<td class=\"l\">cache</td><td class=\"l\">cache</td><td>5</td><td>1,000,000</td>"
              "<td>0.6%</td><td>0</td><td>0</td><td>0.31</td><td>1.2</td><td>1.452</td>"
              "<td>0.228</td><td>81.3%</td></tr>");
    HAS(html, "<td>41.2%</td><td>30,001</td><td>4,321</td><td>18.7</td><td>&ndash;</td>");
    /* Model-specific figures, including nested numbers and an array by its length; web has
     * none and gets no row. */
    HAS(html, "<td class=\"l w\">evictions 41,234</td>");
    HAS(html, "<td class=\"l w\">lost_writes 3; stale_reads 17; delay_ms.mean 2.5; "
              "delay_ms.p99 9.75; failovers &times;1</td>");
    ck_assert_int_eq(count(html, "<td class=\"l w\">"), 2);
    /* Key movement. */
    HAS(html, "<td class=\"l\">cache</td><td>300</td><td>4 &rarr; 5</td><td>100,000</td>"
              "<td>19,873</td><td>19.9%</td><td>20.0%</td><td class=\"l\">&ndash;</td>");
    HAS(html, "<td>16.7%</td><td class=\"l\">81,486 of 81,592 keys, 333.8 MB in 7.044 s, 106 "
              "dropped</td>");
    /* No plot list: no plot section. */
    ck_assert_ptr_null(strstr(html, "<h2>Plots</h2>"));
    ck_assert_ptr_null(strstr(html, "<img"));
    ck_assert_ptr_null(strstr(html, "<h2>Scenario</h2>"));
    free(html);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_scenario_escaped)
{
    char *dir;
    const char *scenario = "{\"description\": \"<script>alert(\\\"x\\\")</script> & 'q' > 1\"}";
    char *html = report(scenario, NULL, &dir, NULL);
    HAS(html, "<details>\n<summary>Scenario file (JSON)</summary>\n<pre>{&quot;description&quot;: "
              "&quot;&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt; &amp; &#39;q&#39; "
              "&gt; 1&quot;}</pre>\n</details>");
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "alert(\\\"x"));
    free(html);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_self_contained_and_well_formed)
{
    char *dir;
    char *html = report("{}", NULL, &dir, NULL);
    ck_assert_int_eq(strncmp(html,
                             "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                             "<meta charset=\"utf-8\">",
                             60),
                     0);
    size_t len = strlen(html);
    ck_assert_str_eq(html + len - 8, "</html>\n");
    /* Nothing that loads from elsewhere: no links, scripts, imports or remote URLs. */
    static const char *const banned[] = {"src=\"http", "href=", "<link",   "<script",
                                         "@import",    "url(",  "<iframe", "//fonts."};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
        ck_assert_msg(strstr(html, banned[i]) == NULL, "report contains %s", banned[i]);
    /* Every element opened is closed. */
    static const char *const tags[][2] = {
        {"<table", "</table>"}, {"<tr>", "</tr>"}, {"<td", "</td>"},   {"<th", "</th>"},
        {"<p ", "</p>"},        {"<h2>", "</h2>"}, {"<div", "</div>"}, {"<details>", "</details>"}};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        ck_assert_int_eq(count(html, tags[i][0]) -
                             (strcmp(tags[i][0], "<th") == 0 ? count(html, "<thead>") : 0),
                         count(html, tags[i][1]));
    /* Requests, latency, operations, components, other figures, key movement. */
    ck_assert_int_eq(count(html, "<table"), 6);
    /* Written under a temporary name and renamed: nothing else left in the folder. */
    ck_assert_int_eq(hidden_files(dir), 0);
    free(html);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* Six "images" whose contents are the RFC 4648 test vectors: each data URI must be exactly the
 * RFC's encoding, padding included. An empty file is reported instead of embedded. */
START_TEST(test_data_uris_exact)
{
    static const char *const names[] = {"latency.svg",     "latency_cdf.svg", "throughput.svg",
                                        "utilization.svg", "nodes.svg",       "hit_ratio.svg",
                                        "keymoves.svg"};
    static const char *const text[] = {"f", "fo", "foo", "foob", "fooba", "foobar", ""};
    static const char *const b64[] = {"Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char *dir = tu_temp_dir();
    for (size_t i = 0; i < 7; i++)
        write_file(dir, names[i], text[i]);
    struct plot_list list;
    plot_list_existing(dir, &list);
    ck_assert_uint_eq(list.n, 7);
    char *unused;
    char *html = report(NULL, &list, &unused, dir);
    HAS(html, "<h2>Plots</h2>");
    for (size_t i = 0; i < 6; i++) {
        char want[256];
        snprintf(want, sizeof want,
                 "<figure><img src=\"data:image/svg+xml;base64,%s\" alt=\"%s\">"
                 "<figcaption>%s (%s)</figcaption></figure>",
                 b64[i], list.files[i].title, list.files[i].title, names[i]);
        HAS(html, want);
    }
    HAS(html, "<p class=\"warn\">Plot keymoves.svg could not be read.</p>");
    ck_assert_int_eq(count(html, "<img "), 6);
    free(html);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_real_plots_embedded)
{
    if (!plot_find_gnuplot()) {
        fprintf(stderr, "html suite: gnuplot not installed; skipping %s\n", __func__);
        return;
    }
    char *dir = tu_temp_dir();
    static const char *const files[] = {"summary.json", "timeseries.csv", "latency.csv",
                                        "nodes.csv", "keymoves.csv"};
    for (size_t i = 0; i < 5; i++) {
        char src[256];
        snprintf(src, sizeof src, "tests/data/run1/%s", files[i]);
        char *text = tu_read_file(src, NULL);
        ck_assert_ptr_nonnull(text);
        write_file(dir, files[i], text);
        free(text);
    }
    struct plot_list list;
    struct sim_error err = {0};
    ck_assert_int_eq(plot_run_list(dir, "plots", 0, &list, &err), 0);
    ck_assert_uint_eq(list.n, 8);
    char *unused;
    char *html = report(NULL, &list, &unused, dir);
    /* iVBORw0KGgo is the base64 of the PNG signature: each image is a PNG data URI. */
    ck_assert_int_eq(count(html, "<img src=\"data:image/png;base64,iVBORw0KGgo"), 8);
    ck_assert_int_eq(count(html, "width=\"1000\" height=\"600\">"), 8);
    for (size_t i = 0; i < list.n; i++) {
        char cap[128];
        snprintf(cap, sizeof cap, "(%s)</figcaption>", list.files[i].name);
        HAS(html, cap);
        /* The whole file is there: base64 of n bytes is 4 * ceil(n / 3) characters. */
        char path[4096];
        size_t n = 0;
        snprintf(path, sizeof path, "%s/%s", dir, list.files[i].name);
        free(tu_read_file(path, &n));
        const char *uri = strstr(html, "<img src=\"data:image/png;base64,");
        for (size_t k = 0; k < i; k++)
            uri = strstr(uri + 1, "<img src=\"data:image/png;base64,");
        uri += strlen("<img src=\"data:image/png;base64,");
        ck_assert_uint_eq(strcspn(uri, "\""), 4 * ((n + 2) / 3));
    }
    ck_assert_ptr_null(strstr(html, "src=\"http"));
    free(html);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_no_gnuplot_note)
{
    struct plot_list list = {.no_gnuplot = 1};
    char *dir;
    char *html = report(NULL, &list, &dir, NULL);
    HAS(html, "<h2>Plots</h2>\n<p class=\"note\">No plots: gnuplot or the plot templates were "
              "not found");
    ck_assert_ptr_null(strstr(html, "<img"));
    free(html);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_unwritable_folder_fails)
{
    cJSON *s = cJSON_Parse(summary_text);
    /* A regular file where the folder should be. */
    const char *file = tu_write_temp("x", ".notadir");
    char path[256];
    snprintf(path, sizeof path, "%s", file);
    struct sim_error err = {0};
    ck_assert_int_eq(html_report(path, s, NULL, NULL, &err), -1);
    ck_assert_int_eq(err.code, SIM_ERUNTIME);
    ck_assert(err.msg[0] != '\0');
    cJSON_Delete(s);
    unlink(path);
}
END_TEST

Suite *html_suite(void)
{
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("report");
    /* One test runs gnuplot seven times; generous under ASan. */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_summary_figures);
    tcase_add_test(tc, test_scenario_escaped);
    tcase_add_test(tc, test_self_contained_and_well_formed);
    tcase_add_test(tc, test_data_uris_exact);
    tcase_add_test(tc, test_real_plots_embedded);
    tcase_add_test(tc, test_no_gnuplot_note);
    tcase_add_test(tc, test_unwritable_folder_fails);
    suite_add_tcase(s, tc);
    return s;
}
