/* journey_plot suite: the journey's plots (plot_journey with the plots/journey_*.gp templates)
 * drawn from the fixture journey in tests/data/journey, what they show (read from the SVG
 * text), and the journey report (html_journey): every stage with its capacity, the sentences
 * derived from the data, the plots as data URIs, and nothing that reaches outside the file. */
#include "sim/html.h"
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

static const char *const fixture_files[] = {"journey.csv", "capacity.csv", "keymove.csv",
                                            "journey.json"};
static const char *const final_files[] = {"summary.json", "timeseries.csv", "latency.csv",
                                          "nodes.csv"};

/* The journey plots in report order. */
static const char *const journey_plots[] = {"journey_capacity", "journey_p99", "journey_throughput",
                                            "journey_keymove"};
#define NJPLOTS (sizeof journey_plots / sizeof journey_plots[0])

/* The fixture's stages: name, capacity as the report prints it, bottleneck. */
static const struct {
    const char *name;
    const char *capacity;
    const char *bottleneck;
} stages[] = {
    {"01-single-server", "46,416", "app"},    {"02-database-tier", "68,129", "web"},
    {"03-load-balancer", "146,780", "db"},    {"04-read-replicas", "215,443", "web"},
    {"05-cache", "464,159", "web"},           {"06-cdn", "681,292", "web"},
    {"07-stateless-web", "1,000,000", "db"},  {"08-data-centers", "1,467,799", "db"},
    {"09-message-queue", "3,162,278", "web"}, {"10-sharding", "4,641,589", "web"},
};
#define NSTAGES (sizeof stages / sizeof stages[0])

#define HAS(hay, needle) ck_assert_msg(strstr(hay, needle) != NULL, "missing: %s", needle)

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static void copy_files(const char *from, const char *to, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char src[512];
        snprintf(src, sizeof src, "%s/%s", from, names[i]);
        char *text = tu_read_file(src, NULL);
        ck_assert_msg(text != NULL, "cannot read %s", src);
        write_file(to, names[i], text);
        free(text);
    }
}

/* A fresh temporary folder holding a copy of the fixture journey, with its final/ run folder
 * when final is set (caller removes and frees). */
static char *copy_fixture(int final)
{
    char *dir = tu_temp_dir();
    ck_assert_ptr_nonnull(dir);
    copy_files("tests/data/journey", dir, fixture_files, 4);
    if (final) {
        char fdir[4096];
        snprintf(fdir, sizeof fdir, "%s/final", dir);
        ck_assert_int_eq(mkdir(fdir, 0755), 0);
        copy_files("tests/data/journey/final", fdir, final_files, 4);
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

static int count(const char *hay, const char *needle)
{
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = hay; (p = strstr(p, needle)); p += len)
        n++;
    return n;
}

static char *read_in(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = tu_read_file(path, len);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    return text;
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

/* The gnuplot-dependent tests run only where gnuplot is installed (the project's dependencies
 * include gnuplot-nox, so they run here). */
#define NEED_GNUPLOT()                                                                             \
    do {                                                                                           \
        if (!plot_find_gnuplot()) {                                                                \
            fprintf(stderr, "journey_plot suite: gnuplot not installed; skipping %s\n", __func__); \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static cJSON *load_journey(const char *dir)
{
    char *text = read_in(dir, "journey.json", NULL);
    cJSON *j = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(j);
    return j;
}

/* Writes report.html for journey into dir and returns its text (caller frees). */
static char *journey_report(const char *dir, const cJSON *journey, const struct plot_list *plots)
{
    struct sim_error err = {0};
    ck_assert_int_eq(html_journey(dir, journey, plots, &err), 0);
    ck_assert_int_eq(err.code, SIM_OK);
    return read_in(dir, "report.html", NULL);
}

/* ---- plots ---------------------------------------------------------------------------- */

START_TEST(test_four_pngs)
{
    NEED_GNUPLOT();
    char *dir = copy_fixture(0);
    struct plot_list list;
    struct sim_error err = {0};
    struct capture cap;
    capture_begin(&cap);
    int rc = plot_journey(dir, "plots", 0, &list, &err);
    char *warnings = capture_end(&cap);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(list.failed == 0, "gnuplot failed: %s", warnings);
    ck_assert_str_eq(warnings, "");
    ck_assert_uint_eq(list.skipped, 0);
    ck_assert_int_eq(list.no_gnuplot, 0);
    ck_assert_uint_eq(list.n, NJPLOTS);
    for (size_t i = 0; i < NJPLOTS; i++) {
        char want[64];
        snprintf(want, sizeof want, "%s.png", journey_plots[i]);
        ck_assert_str_eq(list.files[i].name, want);
        ck_assert(list.files[i].title[0] != '\0');
        /* The size the templates ask for, read back from the PNG header. */
        ck_assert_int_eq(list.files[i].width, 1000);
        ck_assert_int_eq(list.files[i].height, 600);
        size_t len = 0;
        char *png = read_in(dir, want, &len);
        ck_assert_uint_gt(len, 24);
        ck_assert_mem_eq(png, "\x89PNG\r\n\x1a\n", 8);
        free(png);
    }
    /* Four images and the four data files; no temporary file left. */
    ck_assert_int_eq(count_ext(dir, ".png"), (int)NJPLOTS);
    ck_assert_int_eq(hidden_files(dir), 0);
    free(warnings);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* SVG keeps the text of the plots, so what they show can be read: the SLO line's label, every
 * stage in the legend, the capacity labels with "≥" on the one lower bound, the bottlenecks,
 * the failed points numbered, every scheme. The SVGs replace PNGs of an earlier journey. */
START_TEST(test_svg_content)
{
    NEED_GNUPLOT();
    char *dir = copy_fixture(0);
    for (size_t i = 0; i < NJPLOTS; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.png", journey_plots[i]);
        write_file(dir, name, "stale");
    }
    struct plot_list list;
    struct sim_error err = {0};
    ck_assert_int_eq(plot_journey(dir, "plots", 1, &list, &err), 0);
    ck_assert_uint_eq(list.n, NJPLOTS);
    ck_assert_uint_eq(list.failed, 0);
    ck_assert_int_eq(count_ext(dir, ".png"), 0);
    ck_assert_int_eq(count_ext(dir, ".svg"), (int)NJPLOTS);
    ck_assert_int_eq(hidden_files(dir), 0);

    char *p99 = read_in(dir, "journey_p99.svg", NULL);
    HAS(p99, ">SLO: p99 200 ms<");
    for (size_t i = 0; i < NSTAGES; i++) {
        char want[64];
        snprintf(want, sizeof want, ">%s<", stages[i].name);
        ck_assert_int_eq(count(p99, want), 1);
    }
    free(p99);

    char *capacity = read_in(dir, "journey_capacity.svg", NULL);
    static const char *const labels[] = {">46.4k<", ">68.1k<", ">147k<",  ">215k<", ">464k<",
                                         ">681k<",  ">1M<",    ">1.47M<", ">3.16M<"};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        HAS(capacity, labels[i]);
    /* Only stage 10 is a lower bound: its label and the legend's are the two "≥". */
    HAS(capacity, ">\u22654.64M<");
    ck_assert_int_eq(count(capacity, "\u2265"), 2);
    ck_assert_int_eq(count(capacity, ">app<"), 1);
    ck_assert_int_eq(count(capacity, ">db<"), 3);
    ck_assert_int_eq(count(capacity, ">web<"), 6);
    for (size_t i = 0; i < NSTAGES; i++) {
        char want[64];
        snprintf(want, sizeof want, ">%s<", stages[i].name);
        ck_assert_int_eq(count(capacity, want), 1);
    }
    free(capacity);

    /* Stages 1 to 9 each end on a failed point, numbered; stage 10 never failed. */
    char *thr = read_in(dir, "journey_throughput.svg", NULL);
    for (int k = 1; k <= 9; k++) {
        char want[16];
        snprintf(want, sizeof want, ">%d<", k);
        HAS(thr, want);
    }
    ck_assert_ptr_null(strstr(thr, ">10<"));
    free(thr);

    char *km = read_in(dir, "journey_keymove.svg", NULL);
    static const char *const schemes[] = {">modulo<",  ">ring<",         ">ketama<",
                                          ">jump<",    ">rendezvous<",   ">maglev<",
                                          ">bounded<", ">ideal 1/(n+1)<"};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        ck_assert_int_eq(count(km, schemes[i]), 1);
    free(km);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* Without journey.json the p99 plot has no SLO line; without keymove.csv its plot is skipped
 * and an earlier one removed. */
START_TEST(test_missing_inputs)
{
    NEED_GNUPLOT();
    char *dir = copy_fixture(0);
    char path[4096];
    snprintf(path, sizeof path, "%s/journey.json", dir);
    ck_assert_int_eq(unlink(path), 0);
    snprintf(path, sizeof path, "%s/keymove.csv", dir);
    ck_assert_int_eq(unlink(path), 0);
    write_file(dir, "journey_keymove.svg", "stale");
    struct plot_list list;
    struct sim_error err = {0};
    ck_assert_int_eq(plot_journey(dir, "plots", 1, &list, &err), 0);
    ck_assert_uint_eq(list.failed, 0);
    ck_assert_uint_eq(list.skipped, 1);
    ck_assert_uint_eq(list.n, NJPLOTS - 1);
    ck_assert(!exists(dir, "journey_keymove.svg"));
    char *p99 = read_in(dir, "journey_p99.svg", NULL);
    ck_assert_ptr_null(strstr(p99, "SLO"));
    free(p99);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* One stage of one point that passed, the capacity a lower bound, a single scheme at n = 2:
 * every template still draws (a label plot of nothing but NaN crashes gnuplot 5.4). */
START_TEST(test_single_rows_draw)
{
    NEED_GNUPLOT();
    char *dir = tu_temp_dir();
    write_file(dir, "journey.csv",
               "stage,index,users,offered_rps,throughput_rps,mean_ms,p50_ms,p99_ms,errors_frac,"
               "pass\n01-x,1,10000,200,200,10,8,20,0,1\n");
    write_file(dir, "capacity.csv",
               "stage,index,capacity_users,capacity_rps,bounded,bottleneck,estimate_users\n"
               "01-x,1,10000,200,0,web,20000\n");
    write_file(dir, "keymove.csv",
               "scheme,nodes_before,nodes_after,moved_fraction,"
               "ideal_fraction\nring,2,3,0.3,0.333333\n");
    struct plot_list list;
    struct sim_error err = {0};
    struct capture cap;
    capture_begin(&cap);
    int rc = plot_journey(dir, "plots", 0, &list, &err);
    char *warnings = capture_end(&cap);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(list.failed == 0, "gnuplot failed: %s", warnings);
    ck_assert_uint_eq(list.n, NJPLOTS);
    free(warnings);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* clustersim journey writes "nan" for a stage where nothing passed (no capacity, no estimate)
 * and "-" for no bottleneck: the stage still gets its label, "none". */
START_TEST(test_capacity_none)
{
    NEED_GNUPLOT();
    char *dir = tu_temp_dir();
    write_file(dir, "capacity.csv",
               "stage,index,capacity_users,capacity_rps,bounded,bottleneck,estimate_users\n"
               "01-a,1,nan,nan,0,-,nan\n02-b,2,13000,260,1,web,20000\n");
    struct plot_list list;
    struct sim_error err = {0};
    ck_assert_int_eq(plot_journey(dir, "plots", 1, &list, &err), 0);
    ck_assert_uint_eq(list.failed, 0);
    ck_assert_uint_eq(list.n, 1);
    char *svg = read_in(dir, "journey_capacity.svg", NULL);
    HAS(svg, ">none<");
    HAS(svg, ">-<");
    HAS(svg, ">13k<");
    ck_assert_ptr_null(strstr(svg, "nan"));
    free(svg);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* Header-only files: nothing to plot, nothing drawn, nothing failed. */
START_TEST(test_header_only_draws_nothing)
{
    NEED_GNUPLOT();
    char *dir = tu_temp_dir();
    write_file(dir, "journey.csv",
               "stage,index,users,offered_rps,throughput_rps,mean_ms,p50_ms,"
               "p99_ms,errors_frac,pass\n");
    write_file(dir, "capacity.csv",
               "stage,index,capacity_users,capacity_rps,bounded,bottleneck,estimate_users\n");
    struct plot_list list;
    struct sim_error err = {0};
    ck_assert_int_eq(plot_journey(dir, "plots", 0, &list, &err), 0);
    ck_assert_uint_eq(list.n, 0);
    ck_assert_uint_eq(list.skipped, NJPLOTS);
    ck_assert_uint_eq(list.failed, 0);
    ck_assert_int_eq(hidden_files(dir), 0);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_no_gnuplot_warns)
{
    char *dir = copy_fixture(0);
    write_file(dir, "journey_p99.png", "stale");
    char *path = sim_xstrdup(getenv("PATH") ? getenv("PATH") : "");
    ck_assert_int_eq(setenv("PATH", "/nonexistent-clustersim", 1), 0);
    struct plot_list list;
    struct sim_error err = {0};
    struct capture cap;
    capture_begin(&cap);
    int rc = plot_journey(dir, "plots", 0, &list, &err);
    char *warnings = capture_end(&cap);
    setenv("PATH", path, 1);
    free(path);
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(list.n, 0);
    ck_assert_int_eq(list.no_gnuplot, 1);
    ck_assert_ptr_nonnull(strstr(warnings, "warning: gnuplot not found"));
    ck_assert_int_eq(count_ext(dir, ".png"), 0);
    ck_assert(exists(dir, "journey.csv") && exists(dir, "journey.json"));
    free(warnings);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* A template folder of run plots only (an older install): a warning naming the folder, no
 * plots, and no attempt at each template. */
START_TEST(test_templates_missing)
{
    NEED_GNUPLOT();
    char *dir = copy_fixture(0);
    char *tpl = tu_temp_dir();
    write_file(tpl, "latency.gp", "exit\n");
    struct plot_list list;
    struct sim_error err = {0};
    struct capture cap;
    capture_begin(&cap);
    int rc = plot_journey(dir, tpl, 0, &list, &err);
    char *warnings = capture_end(&cap);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(list.no_gnuplot, 1);
    ck_assert_uint_eq(list.failed, 0);
    HAS(warnings, "no plot templates in");
    HAS(warnings, tpl);
    free(warnings);
    tu_remove_tree(tpl);
    free(tpl);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_existing_list)
{
    char *dir = tu_temp_dir();
    write_file(dir, "journey_p99.svg", "<svg/>");
    write_file(dir, "journey_keymove.png", "x");
    write_file(dir, "journey_keymove.svg", "<svg/>");
    write_file(dir, "latency.png", "x");
    struct plot_list list;
    plot_journey_existing(dir, &list);
    /* Report order; PNG preferred; run plots are not journey plots. */
    ck_assert_uint_eq(list.n, 2);
    ck_assert_str_eq(list.files[0].name, "journey_p99.svg");
    ck_assert_str_eq(list.files[1].name, "journey_keymove.png");
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* ---- report --------------------------------------------------------------------------- */

/* Nothing that loads from elsewhere; every href is an anchor in the page or final/report.html,
 * every src a data URI. */
static void assert_self_contained(const char *html)
{
    static const char *const banned[] = {"http:", "https:",  "<link",   "<script", "@import",
                                         "url(",  "<iframe", "<object", "<embed",  "file:"};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
        ck_assert_msg(strstr(html, banned[i]) == NULL, "report contains %s", banned[i]);
    for (const char *p = html; (p = strstr(p, "href=\"")); p++) {
        p += strlen("href=\"");
        ck_assert_msg(strncmp(p, "#stage-", 7) == 0 || strncmp(p, "final/report.html\"", 18) == 0,
                      "href to %.40s", p);
    }
    for (const char *p = html; (p = strstr(p, "src=\"")); p++)
        ck_assert_int_eq(strncmp(p + 5, "data:image/", 11), 0);
    size_t len = strlen(html);
    ck_assert_str_eq(html + len - 8, "</html>\n");
    static const char *const tags[][2] = {
        {"<table", "</table>"}, {"<tr>", "</tr>"}, {"<h2>", "</h2>"},           {"<h3", "</h3>"},
        {"<div", "</div>"},     {"<a ", "</a>"},   {"<details>", "</details>"}, {"<p", "</p>"}};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        ck_assert_int_eq(count(html, tags[i][0]), count(html, tags[i][1]));
}

/* Plot files whose contents are RFC 4648 test vectors: each data URI must be exactly the RFC's
 * encoding. No final/ folder: no section about it. */
START_TEST(test_report_story)
{
    char *dir = copy_fixture(0);
    static const char *const text[] = {"f", "fo", "foo", "foob"};
    static const char *const b64[] = {"Zg==", "Zm8=", "Zm9v", "Zm9vYg=="};
    for (size_t i = 0; i < NJPLOTS; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.svg", journey_plots[i]);
        write_file(dir, name, text[i]);
    }
    struct plot_list list;
    plot_journey_existing(dir, &list);
    ck_assert_uint_eq(list.n, NJPLOTS);
    cJSON *j = load_journey(dir);
    char *html = journey_report(dir, j, &list);
    assert_self_contained(html);

    /* The objectives. */
    HAS(html, "objectives: p99 &le; 200 ms, errors &le; 1.0%");
    HAS(html, "p99 end-to-end latency stays at or under 200 ms and at most 1.0% of requests");
    /* Every stage: in the table (anchor, capacity, bottleneck) and with a section. */
    for (size_t i = 0; i < NSTAGES; i++) {
        char want[256];
        snprintf(want, sizeof want, "<a href=\"#stage-%zu\">%s</a>", i + 1, stages[i].name);
        HAS(html, want);
        snprintf(want, sizeof want, "<h3 id=\"stage-%zu\">%zu. %s</h3>", i + 1, i + 1,
                 stages[i].name);
        HAS(html, want);
        snprintf(want, sizeof want, "%s%s</td>", i + 1 == NSTAGES ? "&ge;&nbsp;" : "",
                 stages[i].capacity);
        HAS(html, want);
        snprintf(want, sizeof want, "<td class=\"l\">%s</td>", stages[i].bottleneck);
        HAS(html, want);
        snprintf(want, sizeof want, "Capacity: <b>%s%s users</b>",
                 i + 1 == NSTAGES ? "&ge;&nbsp;" : "", stages[i].capacity);
        HAS(html, want);
    }
    /* Descriptions come from the scenarios, escaped (an apostrophe in stage 3's). */
    HAS(html, "<p>Stage 3: a load balancer in front of four web servers (sticky sessions: each "
              "user&#39;s session lives on one web server).");
    /* Why: the bottleneck moved in stages 2, 3, 4, 7 and 9 and stayed in 5, 6, 8 and 10. */
    ck_assert_int_eq(count(html, "The bottleneck moved from "), 5);
    ck_assert_int_eq(count(html, "The bottleneck stayed at "), 4);
    HAS(html, "The bottleneck moved from <b>web</b> to <b>db</b>: this stage relieved web, and "
              "db now saturates first. Capacity grew &times;2.15 over stage 2, from 68,129 to "
              "146,780 users.");
    HAS(html, "The bottleneck moved from <b>app</b> to <b>web</b>");
    HAS(html, "The bottleneck stayed at <b>web</b>: this stage gave it more room without moving "
              "the limit elsewhere. Capacity grew &times;2.15 over stage 4, from 215,443 to "
              "464,159 users.");
    /* The last capacity is a lower bound, so the factor is too. */
    HAS(html, "Capacity grew at least &times;1.47 over stage 9, from 3,162,278 to &ge;&nbsp;"
              "4,641,589 users.");
    HAS(html, "<td>&ge;&nbsp;&times;1.47</td>");
    HAS(html, "From stage 1 to stage 10 the capacity grew from 46,416 to &ge;&nbsp;4,641,589 "
              "users: at least &times;100.");
    /* The points at and past the capacity, and the estimate: 46,416 / 64,000 = 72.5%. */
    HAS(html, "Capacity: <b>46,416 users</b> (932.8 req/s), where the p99 was 107.4 ms. At "
              "68,129 users the p99 reached 987.8 ms with 8.5% of requests failing (4.94&times; "
              "the objective). The back-of-envelope estimate put app&#39;s saturation at 64,000 "
              "users; the capacity found is 73% of that.");
    HAS(html, "Every user count tried passed: the capacity is only a lower bound.");
    ck_assert_int_eq(count(html, "<details>"), (int)NSTAGES);
    HAS(html, "<summary>The 17 user counts tried</summary>");
    /* The plots, exactly, in order. */
    const char *at = html;
    for (size_t i = 0; i < NJPLOTS; i++) {
        char want[256];
        snprintf(want, sizeof want, "<img src=\"data:image/svg+xml;base64,%s\" alt=\"%s\">", b64[i],
                 list.files[i].title);
        const char *p = strstr(at, want);
        ck_assert_msg(p != NULL, "missing or out of order: %s", want);
        at = p;
    }
    ck_assert_int_eq(count(html, "<img "), (int)NJPLOTS);
    ck_assert_ptr_null(strstr(html, "final/report.html"));
    ck_assert_int_eq(hidden_files(dir), 0);
    free(html);
    cJSON_Delete(j);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* The whole journey with real plots and the final run folder drawn and reported as
 * clustersim journey would: five PNG data URIs, the link to the final report. */
START_TEST(test_report_real_plots_and_final)
{
    NEED_GNUPLOT();
    char *dir = copy_fixture(1);
    char fdir[4096];
    snprintf(fdir, sizeof fdir, "%s/final", dir);
    struct plot_list list, flist;
    struct sim_error err = {0};
    ck_assert_int_eq(plot_run_list(fdir, "plots", 0, &flist, &err), 0);
    ck_assert_uint_gt(flist.n, 0);
    ck_assert_int_eq(plot_journey(dir, "plots", 0, &list, &err), 0);
    ck_assert_uint_eq(list.n, NJPLOTS);
    cJSON *j = load_journey(dir);
    char *html = journey_report(dir, j, &list);
    assert_self_contained(html);
    /* iVBORw0KGgo is the base64 of the PNG signature. */
    ck_assert_int_eq(count(html, "<img src=\"data:image/png;base64,iVBORw0KGgo"), NJPLOTS + 1);
    ck_assert_int_eq(count(html, "<img "), NJPLOTS + 1);
    /* The whole file is there: base64 of n bytes is 4 * ceil(n / 3) characters. */
    const char *uri = html;
    for (size_t i = 0; i < NJPLOTS; i++) {
        size_t n = 0;
        free(read_in(dir, list.files[i].name, &n));
        uri = strstr(uri, "<img src=\"data:image/png;base64,") + 32;
        ck_assert_uint_eq(strcspn(uri, "\""), 4 * ((n + 2) / 3));
    }
    size_t n = 0;
    free(read_in(fdir, "nodes.png", &n));
    uri = strstr(uri, "<img src=\"data:image/png;base64,") + 32;
    ck_assert_uint_eq(strcspn(uri, "\""), 4 * ((n + 2) / 3));
    HAS(html, "(final/nodes.png)</figcaption>");
    /* The final run's figures, from its summary.json. */
    HAS(html, "<h2>The last stage at its capacity</h2>");
    HAS(html, "The last stage, <b>10-sharding</b>, run once more at its capacity: 92,761 req/s "
              "completed, p50 12.55 ms, p99 79.43 ms.");
    ck_assert_int_eq(count(html, "<a href=\"final/report.html\">final/report.html</a>"), 1);
    free(html);
    cJSON_Delete(j);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* Journeys the fixture does not cover: a stage where nothing passed, lower bounds on both
 * sides of a ratio, bottlenecks missing, names to escape, a bottleneck that stayed without
 * the capacity growing. */
START_TEST(test_report_edge_cases)
{
    static const char journey[] =
        "{\"slo\": {\"p99_ms\": 150, \"max_errors\": 0.005}, \"users\": [100, 1000],"
        " \"stages\": ["
        "  {\"index\": 1, \"name\": \"a<b>\", \"capacity_users\": 0, \"bounded\": 1,"
        "   \"bottleneck\": \"web\", \"points\": [{\"users\": 100, \"p99_ms\": 900,"
        "   \"errors_frac\": 0.2, \"pass\": false}]},"
        "  {\"index\": 2, \"name\": \"b\", \"capacity_users\": 1000, \"bounded\": 0,"
        "   \"bottleneck\": \"web\"},"
        "  {\"index\": 3, \"name\": \"c\", \"capacity_users\": 1000, \"bounded\": 0},"
        "  {\"index\": 4, \"name\": \"d\", \"capacity_users\": 500, \"bounded\": 1,"
        "   \"bottleneck\": \"db\", \"capacity_rps\": 10},"
        "  {\"index\": 5, \"name\": \"e\", \"capacity_users\": 500, \"bounded\": true,"
        "   \"bottleneck\": \"db\"}"
        "]}";
    cJSON *j = cJSON_Parse(journey);
    ck_assert_ptr_nonnull(j);
    char *dir = tu_temp_dir();
    char *html = journey_report(dir, j, NULL);
    assert_self_contained(html);
    HAS(html, "objectives: p99 &le; 150 ms, errors &le; 0.5%");
    HAS(html, "1. a&lt;b&gt;</h3>");
    ck_assert_ptr_null(strstr(html, "a<b>"));
    HAS(html, "Capacity: <b>none</b>: no user count tried met the objectives. At 100 users the "
              "p99 reached 900 ms with 20.0% of requests failing (6&times; the objective).");
    /* Stage 2 after a stage where nothing passed. */
    HAS(html, "The previous stage met the objectives at no user count tried; this one does up "
              "to &ge;&nbsp;1,000 users.");
    /* Stages 2 and 3 are both lower bounds: no ratio. */
    HAS(html, "The estimate names no bottleneck for this stage. Both capacities are lower "
              "bounds (every count tried passed), so their ratio is unknown.");
    /* Stage 4 after a lower bound: the ratio is an upper bound. */
    HAS(html, "The bottleneck is now <b>db</b> (the previous stage&#39;s estimate named none). "
              "Capacity fell to at most &times;0.5 of stage 3&#39;s, from &ge;&nbsp;1,000 to 500 "
              "users.");
    HAS(html, "<td>&le;&nbsp;&times;0.5</td>");
    /* Stage 5: the same bottleneck and the same capacity. */
    HAS(html, "The bottleneck stayed at <b>db</b>, and this stage did not relieve it. Capacity "
              "stayed the same as stage 4&#39;s (&times;1), from 500 to 500 users.");
    /* Stage 2: the same bottleneck, but no ratio to say whether this stage relieved it. */
    HAS(html, "The bottleneck stayed at <b>web</b>. The previous stage");
    /* No plots given, no final folder: neither section. */
    ck_assert_ptr_null(strstr(html, "<h2>Plots</h2>"));
    ck_assert_ptr_null(strstr(html, "<img"));
    free(html);
    cJSON_Delete(j);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* Points as capacity_point records them (the user count as "value", figures under "figures"),
 * a capacity between two grid points (bisected), a stage where nothing passed (capacity null,
 * no bottleneck: "-"), as clustersim journey writes them. */
START_TEST(test_report_capacity_point_format)
{
    static const char journey[] =
        "{\"slo\": {\"p99_ms\": 200, \"max_errors\": 0.01}, \"users\": [1000, 2000],"
        " \"stages\": ["
        "  {\"index\": 1, \"name\": \"one\", \"capacity_users\": 1500, \"capacity_rps\": 30,"
        "   \"bounded\": true, \"bottleneck\": \"web\", \"estimate_users\": 2400,"
        "   \"points\": [{\"value\": 1000, \"pass\": true, \"figures\": {\"throughput_rps\": 20,"
        "   \"latency_ms.p99\": 50.5, \"errors_frac\": 0.001}}, {\"value\": 2000,"
        "   \"pass\": false, \"figures\": {\"throughput_rps\": 36, \"latency_ms.p99\": 800,"
        "   \"errors_frac\": 0.1}}]},"
        "  {\"index\": 2, \"name\": \"two\", \"capacity_users\": null, \"capacity_rps\": null,"
        "   \"bounded\": false, \"bottleneck\": \"-\", \"estimate_users\": null,"
        "   \"points\": [{\"value\": 1000, \"pass\": false, \"figures\": {"
        "   \"throughput_rps\": 0, \"latency_ms.p99\": null, \"errors_frac\": 1}}]}"
        "]}";
    cJSON *j = cJSON_Parse(journey);
    ck_assert_ptr_nonnull(j);
    char *dir = tu_temp_dir();
    char *html = journey_report(dir, j, NULL);
    assert_self_contained(html);
    /* 1,500 users is no grid point: no p99 "at" the capacity. 1500 / 2400 = 62.5%. */
    HAS(html, "Capacity: <b>1,500 users</b> (30 req/s). At 2,000 users the p99 reached 800 ms "
              "with 10.0% of requests failing (4&times; the objective). The back-of-envelope "
              "estimate put web&#39;s saturation at 2,400 users; the capacity found is 62% of "
              "that.");
    HAS(html, "<tr><td>1,000</td><td>20</td><td>50.5</td><td>0.1%</td><td class=\"l\">met</td>"
              "</tr>");
    HAS(html, "<tr><td>2,000</td><td>36</td><td>800</td><td>10.0%</td><td class=\"l\">missed"
              "</td></tr>");
    /* Nothing completed: no p99, every request an error. */
    HAS(html, "Capacity: <b>none</b>: no user count tried met the objectives. At 1,000 users no "
              "request completed, with 100.0% of requests failing.");
    HAS(html, "The estimate names no bottleneck for this stage. No user count tried met the "
              "objectives in this stage.");
    HAS(html, "<td class=\"l\">&ndash;</td>");
    ck_assert_ptr_null(strstr(html, ">-<"));
    free(html);
    cJSON_Delete(j);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_report_no_gnuplot_note)
{
    cJSON *j = cJSON_Parse("{\"stages\": []}");
    struct plot_list list = {.no_gnuplot = 1};
    char *dir = tu_temp_dir();
    char *html = journey_report(dir, j, &list);
    assert_self_contained(html);
    HAS(html, "<h2>Plots</h2>\n<p class=\"note\">No plots: gnuplot or the plot templates were "
              "not found");
    HAS(html, "0 stages");
    free(html);
    cJSON_Delete(j);
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_report_unwritable_fails)
{
    cJSON *j = cJSON_Parse("{\"stages\": []}");
    /* A regular file where the folder should be. */
    char path[256];
    snprintf(path, sizeof path, "%s", tu_write_temp("x", ".notadir"));
    struct sim_error err = {0};
    ck_assert_int_eq(html_journey(path, j, NULL, &err), -1);
    ck_assert_int_eq(err.code, SIM_ERUNTIME);
    ck_assert(err.msg[0] != '\0');
    cJSON_Delete(j);
    unlink(path);
}
END_TEST

Suite *journey_plot_suite(void)
{
    Suite *s = suite_create("journey_plot");
    TCase *tc = tcase_create("journey_plot");
    /* The slowest test runs gnuplot eleven times; generous under ASan. */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_four_pngs);
    tcase_add_test(tc, test_svg_content);
    tcase_add_test(tc, test_missing_inputs);
    tcase_add_test(tc, test_single_rows_draw);
    tcase_add_test(tc, test_capacity_none);
    tcase_add_test(tc, test_header_only_draws_nothing);
    tcase_add_test(tc, test_no_gnuplot_warns);
    tcase_add_test(tc, test_templates_missing);
    tcase_add_test(tc, test_existing_list);
    tcase_add_test(tc, test_report_story);
    tcase_add_test(tc, test_report_real_plots_and_final);
    tcase_add_test(tc, test_report_edge_cases);
    tcase_add_test(tc, test_report_capacity_point_format);
    tcase_add_test(tc, test_report_no_gnuplot_note);
    tcase_add_test(tc, test_report_unwritable_fails);
    suite_add_tcase(s, tc);
    return s;
}
