/* plot suite: which plots apply to a run folder, that gnuplot draws each template into a
 * complete image under its final name, and the ways plotting is skipped (no gnuplot, no data,
 * a failing template) without leaving temporary files. */
#include "sim/plot.h"
#include "tests/testutil.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const fixture_files[] = {"summary.json", "timeseries.csv", "latency.csv",
                                            "nodes.csv", "keymoves.csv"};

/* The plots of a full run, in report order. */
static const char *const all_plots[] = {"latency", "latency_cdf", "throughput", "utilization",
                                        "nodes",   "hit_ratio",   "keymoves",   "scaling"};
#define NPLOTS (sizeof all_plots / sizeof all_plots[0])

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A fresh temporary folder holding a copy of tests/data/<name> (caller frees and removes). */
static char *copy_fixture(const char *name)
{
    char *dir = tu_temp_dir();
    ck_assert_ptr_nonnull(dir);
    for (size_t i = 0; i < sizeof fixture_files / sizeof fixture_files[0]; i++) {
        char src[512];
        snprintf(src, sizeof src, "tests/data/%s/%s", name, fixture_files[i]);
        char *text = tu_read_file(src, NULL);
        if (text)
            write_file(dir, fixture_files[i], text);
        free(text);
    }
    return dir;
}

static int exists(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* Files whose name starts with a dot: the temporary names of unfinished output. */
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

static int count_ext(const char *dir, const char *ext)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    size_t el = strlen(ext);
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        n += len > el && strcmp(e->d_name + len - el, ext) == 0;
    }
    closedir(d);
    return n;
}

/* stderr into a temporary file for the span of a call, to check warnings. */
struct capture {
    int saved;
    char path[256];
};

static void capture_begin(struct capture *c)
{
    snprintf(c->path, sizeof c->path, "%s", tu_write_temp("", ".err"));
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    int fd = open(c->path, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
}

static char *capture_end(struct capture *c)
{
    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    char *text = tu_read_file(c->path, NULL);
    unlink(c->path);
    ck_assert_ptr_nonnull(text);
    return text;
}

/* The gnuplot-dependent assertions of a test run only where gnuplot is installed (the
 * project's dependencies include gnuplot-nox, so they run here); without it the test checks
 * the no-gnuplot behaviour instead. */
#define NEED_GNUPLOT()                                                                             \
    do {                                                                                           \
        if (!plot_find_gnuplot()) {                                                                \
            fprintf(stderr, "plot suite: gnuplot not installed; skipping %s\n", __func__);         \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static void assert_png(const char *dir, const struct plot_file *pf)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, pf->name);
    size_t len = 0;
    char *data = tu_read_file(path, &len);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_gt(len, 1000);
    ck_assert_mem_eq(data, "\x89PNG\r\n\x1a\n", 8);
    free(data);
}

START_TEST(test_fixture_all_plots)
{
    NEED_GNUPLOT();
    char *dir = copy_fixture("run1");
    struct plot_list list;
    struct sim_error err = {0};
    ck_assert_int_eq(plot_run_list(dir, "plots", 0, &list, &err), 0);
    ck_assert_uint_eq(list.failed, 0);
    ck_assert_uint_eq(list.skipped, 0);
    ck_assert_int_eq(list.no_gnuplot, 0);
    ck_assert_uint_eq(list.n, NPLOTS);
    for (size_t i = 0; i < NPLOTS; i++) {
        char want[64];
        snprintf(want, sizeof want, "%s.png", all_plots[i]);
        ck_assert_str_eq(list.files[i].name, want);
        ck_assert(list.files[i].title[0] != '\0');
        assert_png(dir, &list.files[i]);
        /* The size the templates ask for; three components fit the nodes plot in one row. */
        ck_assert_int_eq(list.files[i].width, 1000);
        ck_assert_int_eq(list.files[i].height, 600);
    }
    ck_assert_int_eq(count_ext(dir, ".png"), (int)NPLOTS);
    ck_assert_int_eq(hidden_files(dir), 0);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_svg_replaces_png)
{
    NEED_GNUPLOT();
    char *dir = copy_fixture("run1");
    struct plot_list list;
    struct sim_error err = {0};
    /* PNGs of an earlier run in the same folder. */
    for (size_t i = 0; i < NPLOTS; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.png", all_plots[i]);
        write_file(dir, name, "stale");
    }
    ck_assert_int_eq(plot_run_list(dir, "plots", 1, &list, &err), 0);
    ck_assert_uint_eq(list.n, NPLOTS);
    ck_assert_uint_eq(list.failed, 0);
    for (size_t i = 0; i < NPLOTS; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.svg", dir, all_plots[i]);
        ck_assert_str_eq(list.files[i].name, path + strlen(dir) + 1);
        char *text = tu_read_file(path, NULL);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_nonnull(strstr(text, "<svg"));
        ck_assert_ptr_nonnull(strstr(text, "</svg>"));
        /* No script: the image is embedded in the report as is. */
        ck_assert_ptr_null(strstr(text, "<script"));
        ck_assert_int_eq(list.files[i].width, 0);
        free(text);
    }
    /* The PNGs of the earlier run are gone: the folder never mixes two runs' plots. */
    ck_assert_int_eq(count_ext(dir, ".png"), 0);
    ck_assert_int_eq(count_ext(dir, ".svg"), (int)NPLOTS);
    ck_assert_int_eq(hidden_files(dir), 0);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_inapplicable_plots_skipped)
{
    NEED_GNUPLOT();
    char *dir = copy_fixture("run1");
    struct plot_list list;
    struct sim_error err = {0};
    /* Plots of an earlier run in the same folder, then the same run without key movements
     * and without a cache. */
    write_file(dir, "keymoves.png", "stale");
    write_file(dir, "hit_ratio.svg", "stale");
    char path[4096];
    snprintf(path, sizeof path, "%s/keymoves.csv", dir);
    ck_assert_int_eq(unlink(path), 0);
    write_file(dir, "timeseries.csv",
               "t_s,users,offered_rps,completed_rps,rejected_rps,failed_rps,p50_ms,p99_ms,"
               "web.util,web.queue,web.nodes\n"
               "5,10,1,1,0,0,2.5,9,0.1,0,2\n"
               "10,10,1.2,1.2,0,0,,,0.12,0.01,3\n");
    ck_assert_int_eq(plot_run_list(dir, "plots", 0, &list, &err), 0);
    ck_assert_uint_eq(list.failed, 0);
    ck_assert_uint_eq(list.skipped, 2);
    ck_assert_uint_eq(list.n, NPLOTS - 2);
    for (size_t i = 0; i < list.n; i++) {
        ck_assert_str_ne(list.files[i].name, "keymoves.png");
        ck_assert_str_ne(list.files[i].name, "hit_ratio.png");
        assert_png(dir, &list.files[i]);
    }
    ck_assert(!exists(dir, "keymoves.png") && !exists(dir, "hit_ratio.svg"));
    ck_assert_int_eq(count_ext(dir, ".png"), (int)NPLOTS - 2);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_header_only_files_draw_nothing)
{
    NEED_GNUPLOT();
    char *dir = tu_temp_dir();
    write_file(dir, "timeseries.csv",
               "t_s,users,offered_rps,completed_rps,rejected_rps,failed_rps,p50_ms,p99_ms,"
               "c.util,c.queue,c.hit_ratio\n");
    write_file(dir, "latency.csv", "ms,count,cumulative\n");
    write_file(dir, "nodes.csv", "component,node,requests,utilization,keys\n\n");
    write_file(dir, "keymoves.csv",
               "at_s,component,nodes_before,nodes_after,keys,moved,moved_fraction,"
               "ideal_fraction\n");
    struct plot_list list;
    struct sim_error err = {0};
    ck_assert_int_eq(plot_run_list(dir, "plots", 0, &list, &err), 0);
    ck_assert_uint_eq(list.n, 0);
    ck_assert_uint_eq(list.skipped, NPLOTS);
    ck_assert_uint_eq(list.failed, 0);
    ck_assert_int_eq(count_ext(dir, ".png"), 0);
    ck_assert_int_eq(hidden_files(dir), 0);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* Empty fields everywhere, one interval, one latency bucket, a 20-node component, ten key
 * movements (slanted labels), five components (two rows of panels): every template still
 * draws. */
START_TEST(test_edge_fixture_draws)
{
    NEED_GNUPLOT();
    char *dir = copy_fixture("edge");
    struct plot_list list;
    struct sim_error err = {0};
    struct capture cap;
    capture_begin(&cap);
    int rc = plot_run_list(dir, "plots", 0, &list, &err);
    char *warnings = capture_end(&cap);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(list.failed == 0, "gnuplot failed: %s", warnings);
    ck_assert_uint_eq(list.n, NPLOTS);
    for (size_t i = 0; i < NPLOTS; i++)
        assert_png(dir, &list.files[i]);
    /* Five components: two rows of panels, 70 + 330 px each (nodes.gp). */
    ck_assert_str_eq(list.files[4].name, "nodes.png");
    ck_assert_int_eq(list.files[4].height, 730);
    free(warnings);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* Rows with a time and nothing else, and a population of zero users: every time plot still
 * draws (gnuplot refuses to autoscale an axis without a single value). */
START_TEST(test_no_values_at_all)
{
    NEED_GNUPLOT();
    char *dir = copy_fixture("run1");
    write_file(dir, "timeseries.csv",
               "t_s,users,offered_rps,completed_rps,rejected_rps,failed_rps,p50_ms,p99_ms,"
               "a.util,a.queue,a.hit_ratio,b.util,b.queue,b.nodes\n"
               "5,0,,,,,,,,,,,,\n10,0,,,,,,,,,,,,\n");
    struct plot_list list;
    struct sim_error err = {0};
    struct capture cap;
    capture_begin(&cap);
    int rc = plot_run_list(dir, "plots", 0, &list, &err);
    char *warnings = capture_end(&cap);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(list.failed == 0, "gnuplot failed: %s", warnings);
    ck_assert_uint_eq(list.n, NPLOTS);
    free(warnings);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_no_gnuplot_warns_and_draws_nothing)
{
    char *dir = copy_fixture("run1");
    /* A leftover plot from an earlier run must not survive next to the new data. */
    write_file(dir, "latency.png", "stale");
    char *path = sim_xstrdup(getenv("PATH") ? getenv("PATH") : "");
    ck_assert_int_eq(setenv("PATH", "/nonexistent-clustersim", 1), 0);
    ck_assert_ptr_null(plot_find_gnuplot());
    struct plot_list list;
    struct sim_error err = {0};
    struct capture cap;
    capture_begin(&cap);
    int rc = plot_run_list(dir, "plots", 0, &list, &err);
    char *warnings = capture_end(&cap);
    setenv("PATH", path, 1);
    free(path);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(err.code, SIM_OK);
    ck_assert_uint_eq(list.n, 0);
    ck_assert_int_eq(list.no_gnuplot, 1);
    ck_assert_ptr_nonnull(strstr(warnings, "warning: gnuplot not found"));
    ck_assert_int_eq(count_ext(dir, ".png"), 0);
    ck_assert_int_eq(count_ext(dir, ".svg"), 0);
    ck_assert_int_eq(hidden_files(dir), 0);
    /* The data are untouched. */
    ck_assert(exists(dir, "timeseries.csv") && exists(dir, "summary.json"));
    free(warnings);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* A folder name with quotes, spaces, a leading '<' (a command to gnuplot, were it a file name)
 * and a newline travels as an argument, never as gnuplot or shell text. */
START_TEST(test_hostile_folder_name)
{
    NEED_GNUPLOT();
    char *src = copy_fixture("run1");
    char *parent = tu_temp_dir();
    char cwd[2048];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(parent), 0);
    static const char odd[] = "<touch pwned; it's \"a\" $(dir)\nx";
    int made = rename(src, odd);
    ck_assert_int_eq(made, 0);
    char tpl[4096];
    snprintf(tpl, sizeof tpl, "%s/plots", cwd);
    struct plot_list list;
    struct sim_error err = {0};
    int rc = plot_run_list(odd, tpl, 0, &list, &err);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(list.failed, 0);
    ck_assert_uint_eq(list.n, NPLOTS);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", parent, odd);
    ck_assert_int_eq(count_ext(path, ".png"), (int)NPLOTS);
    ck_assert_int_eq(hidden_files(path), 0);
    ck_assert(!exists(parent, "pwned"));
    tu_remove_tree(parent);
    free(parent);
    free(src);
}
END_TEST

/* A template that draws half an image and then fails: the warning carries gnuplot's message,
 * the half image is not renamed into place, and the other plots go on. */
START_TEST(test_failing_template)
{
    NEED_GNUPLOT();
    char *dir = copy_fixture("run1");
    char *tpl = tu_temp_dir();
    write_file(tpl, "latency.gp",
               "set terminal png size 200,100\nset output ARG2\nplot sin(x)\n"
               "plot no_such_variable_here\n");
    write_file(tpl, "nodes.gp", "set terminal png size 300,200\nset output ARG2\nplot sin(x)\n");
    struct plot_list list;
    struct sim_error err = {0};
    struct capture cap;
    capture_begin(&cap);
    int rc = plot_run_list(dir, tpl, 0, &list, &err);
    char *warnings = capture_end(&cap);
    ck_assert_int_eq(rc, 0);
    /* latency.gp fails; the six templates missing from tpl fail too; nodes.gp draws. */
    ck_assert_uint_eq(list.failed, NPLOTS - 1);
    ck_assert_uint_eq(list.n, 1);
    ck_assert_str_eq(list.files[0].name, "nodes.png");
    ck_assert_int_eq(list.files[0].width, 300);
    ck_assert_int_eq(list.files[0].height, 200);
    ck_assert_ptr_nonnull(strstr(warnings, "warning: plot latency not drawn"));
    ck_assert_ptr_nonnull(strstr(warnings, "no_such_variable_here"));
    ck_assert(!exists(dir, "latency.png"));
    ck_assert_int_eq(hidden_files(dir), 0);
    free(warnings);
    tu_remove_tree(tpl);
    free(tpl);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_decimate_exact)
{
    char *dir = tu_temp_dir();
    /* Ten rows into two buckets of five: a spike in a, b empty through the first bucket, c
     * with one value in the second, CRLF line ends and a blank line that is not a row. */
    write_file(dir, "ts.csv",
               "t_s,a,b,c\r\n"
               "1,5,,\r\n2,4,,\r\n3,100,,\r\n4,6,,\r\n5,5,,\r\n"
               "\n"
               "6,7,1.5,\r\n7,8,2.5,\r\n8,-3,0.5,9\r\n9,7,,\r\n10,7,1,\r\n");
    char src[4096], dst[4096];
    snprintf(src, sizeof src, "%s/ts.csv", dir);
    snprintf(dst, sizeof dst, "%s/out.csv", dir);
    ck_assert_int_eq(plot_decimate(src, dst, 2), 1);
    char *text = tu_read_file(dst, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, "t_s,a,b,c\r\n"
                           "1,4,,\n5,100,,\n"
                           "6,-3,0.5,9\n10,8,2.5,9\n");
    free(text);
    /* Ten rows and five buckets: short enough to plot as it is, nothing written. */
    unlink(dst);
    ck_assert_int_eq(plot_decimate(src, dst, 5), 0);
    ck_assert_int_eq(access(dst, F_OK), -1);
    /* Three buckets for ten rows: four rows each, the last bucket holds the remaining two. */
    ck_assert_int_eq(plot_decimate(src, dst, 3), 1);
    text = tu_read_file(dst, NULL);
    ck_assert_str_eq(text, "t_s,a,b,c\r\n"
                           "1,4,,\n4,100,,\n"
                           "5,-3,0.5,9\n8,8,2.5,9\n"
                           "9,7,1,\n10,7,1,\n");
    free(text);
    snprintf(src, sizeof src, "%s/missing.csv", dir);
    ck_assert_int_eq(plot_decimate(src, dst, 3), -1);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* A long series is plotted from a decimated copy that is removed afterwards. */
START_TEST(test_long_series)
{
    NEED_GNUPLOT();
    char *dir = copy_fixture("run1");
    char path[4096];
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("t_s,users,offered_rps,completed_rps,rejected_rps,failed_rps,p50_ms,p99_ms,"
          "web.util,web.queue,cache.util,cache.queue,cache.hit_ratio,web.nodes\n",
          f);
    for (int i = 1; i <= 5000; i++)
        fprintf(f, "%d,100,%d,%d,0,0,%g,%g,0.5,1,0.2,0,0.8,%d\n", i, 50 + i % 7, 50 + i % 7,
                2 + (i % 13) / 10.0, i == 4321 ? 900.0 : 10 + (i % 11), 2 + i / 1000);
    ck_assert_int_eq(fclose(f), 0);
    struct plot_list list;
    struct sim_error err = {0};
    ck_assert_int_eq(plot_run_list(dir, "plots", 0, &list, &err), 0);
    ck_assert_uint_eq(list.failed, 0);
    ck_assert_uint_eq(list.n, NPLOTS);
    ck_assert_int_eq(hidden_files(dir), 0);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_find_gnuplot_in_path)
{
    char *a = tu_temp_dir(), *b = tu_temp_dir();
    /* Not executable: skipped, as execvp would. */
    write_file(a, "gnuplot", "#!/bin/sh\n");
    write_file(b, "gnuplot", "#!/bin/sh\n");
    char path[4096], want[4096];
    snprintf(path, sizeof path, "%s/gnuplot", b);
    ck_assert_int_eq(chmod(path, 0755), 0);
    snprintf(want, sizeof want, "%s", path);
    char *saved = sim_xstrdup(getenv("PATH") ? getenv("PATH") : "");
    snprintf(path, sizeof path, "/nonexistent-clustersim:%s:%s", a, b);
    setenv("PATH", path, 1);
    const char *found = plot_find_gnuplot();
    char got[4096];
    snprintf(got, sizeof got, "%s", found ? found : "(none)");
    setenv("PATH", saved, 1);
    free(saved);
    ck_assert_str_eq(got, want);
    tu_remove_tree(a);
    tu_remove_tree(b);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_templates_dir_from_environment)
{
    char cwd[2048], want[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(want, sizeof want, "%s/plots", cwd);
    const char *old = getenv("CLUSTERSIM_PLOTS");
    char *saved = old ? sim_xstrdup(old) : NULL;
    setenv("CLUSTERSIM_PLOTS", want, 1);
    const char *found = plot_templates_dir();
    ck_assert_ptr_nonnull(found);
    ck_assert_str_eq(found, want);
    /* A folder without the templates is passed over. */
    char *empty = tu_temp_dir();
    setenv("CLUSTERSIM_PLOTS", empty, 1);
    found = plot_templates_dir();
    ck_assert(!found || strcmp(found, empty) != 0);
    if (saved)
        setenv("CLUSTERSIM_PLOTS", saved, 1);
    else
        unsetenv("CLUSTERSIM_PLOTS");
    free(saved);
    tu_remove_tree(empty);
    free(empty);
}
END_TEST

START_TEST(test_list_existing_prefers_png)
{
    char *dir = tu_temp_dir();
    write_file(dir, "throughput.svg", "<svg/>");
    write_file(dir, "latency.svg", "<svg/>");
    write_file(dir, "latency.png", "not really");
    write_file(dir, "other.png", "not ours");
    struct plot_list list;
    plot_list_existing(dir, &list);
    ck_assert_uint_eq(list.n, 2);
    ck_assert_str_eq(list.files[0].name, "latency.png");
    ck_assert_str_eq(list.files[1].name, "throughput.svg");
    /* Not a PNG: no size rather than a wrong one. */
    ck_assert_int_eq(list.files[0].width, 0);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

Suite *plot_suite(void)
{
    Suite *s = suite_create("plot");
    TCase *tc = tcase_create("gnuplot");
    /* Each drawing test runs gnuplot seven times, about 0.1 s each; generous under ASan. */
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_fixture_all_plots);
    tcase_add_test(tc, test_svg_replaces_png);
    tcase_add_test(tc, test_inapplicable_plots_skipped);
    tcase_add_test(tc, test_header_only_files_draw_nothing);
    tcase_add_test(tc, test_edge_fixture_draws);
    tcase_add_test(tc, test_no_values_at_all);
    tcase_add_test(tc, test_no_gnuplot_warns_and_draws_nothing);
    tcase_add_test(tc, test_failing_template);
    tcase_add_test(tc, test_hostile_folder_name);
    tcase_add_test(tc, test_long_series);
    suite_add_tcase(s, tc);
    TCase *lookup = tcase_create("lookup");
    tcase_add_test(lookup, test_find_gnuplot_in_path);
    tcase_add_test(lookup, test_templates_dir_from_environment);
    tcase_add_test(lookup, test_list_existing_prefers_png);
    tcase_add_test(lookup, test_decimate_exact);
    suite_add_tcase(s, lookup);
    return s;
}
