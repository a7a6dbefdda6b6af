/* report.html: the summary of a run as tables, its plots embedded as base64 data URIs and its
 * scenario, in one page with inline CSS, so that the file can be mailed or archived alone. */
#include "sim/html.h"
#include "sim/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char css[] =
    "body{margin:0;background:#f4f5f7;color:#1d2330;"
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
    "main{max-width:1080px;margin:0 auto;padding:20px 32px 40px;background:#fff;"
    "box-shadow:0 0 0 1px #e3e5e8}"
    "h1{font-size:1.6em;margin:8px 0 2px}"
    "h2{font-size:1.2em;margin:30px 0 8px;padding-bottom:4px;border-bottom:1px solid #dde0e4}"
    ".meta{color:#505866;margin:0 0 4px}"
    ".note{color:#505866;font-size:.9em;margin:2px 0 10px}"
    ".warn{background:#fff4e5;border-left:4px solid #f0a020;padding:8px 12px;margin:12px 0}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;margin:6px 0 6px;font-variant-numeric:tabular-nums}"
    "th,td{padding:4px 10px;border-bottom:1px solid #e6e8eb;text-align:right;white-space:nowrap}"
    "th{background:#f1f3f6;font-weight:600}"
    "th.l,td.l{text-align:left}"
    "td.w{white-space:normal;max-width:52em}"
    "tbody tr:nth-child(even) td{background:#fafbfc}"
    "figure{margin:22px 0}"
    "figure img{display:block;max-width:100%;height:auto;border:1px solid #e6e8eb}"
    "figcaption{color:#505866;font-size:.92em;margin-top:4px}"
    "details{margin:10px 0}"
    "summary{cursor:pointer;font-weight:600}"
    "pre{background:#f6f8fa;border:1px solid #e6e8eb;padding:12px;overflow:auto;font-size:13px}"
    "footer{color:#7a8190;font-size:.85em;margin-top:36px}";

/* ---- text ------------------------------------------------------------------------------ */

static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static void put_base64(FILE *f, const unsigned char *p, size_t n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4];
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[0] = digits[v >> 18 & 63];
        out[1] = digits[v >> 12 & 63];
        out[2] = i + 1 < n ? digits[v >> 6 & 63] : '=';
        out[3] = i + 2 < n ? digits[v & 63] : '=';
        fwrite(out, 1, 4, f);
    }
}

/* ---- numbers --------------------------------------------------------------------------- */

static const cJSON *get(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static double num(const cJSON *obj, const char *name)
{
    const cJSON *v = get(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* A count with thousands separated by commas; a dash when absent. */
static void put_count(FILE *f, double v)
{
    if (!isfinite(v)) {
        fputs("&ndash;", f);
        return;
    }
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", fabs(v));
    size_t n = strlen(digits);
    if (v < 0 && digits[0] != '0')
        fputc('-', f);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            fputc(',', f);
        fputc(digits[i], f);
    }
}

/* A measured figure to four significant digits; from five digits on, rounded to a whole
 * number with separators rather than in exponent form. */
static void put_num(FILE *f, double v)
{
    if (!isfinite(v))
        fputs("&ndash;", f);
    else if (fabs(v) >= 1e4)
        put_count(f, v);
    else
        fprintf(f, "%.4g", v);
}

static void put_percent(FILE *f, double fraction)
{
    if (!isfinite(fraction))
        fputs("&ndash;", f);
    else
        fprintf(f, "%.1f%%", 100 * fraction);
}

/* "± half-width" of a 95% confidence interval from the summary's ci95 object, when present. */
static void put_ci(FILE *f, const cJSON *summary, const char *key)
{
    double ci = num(get(summary, "ci95"), key);
    if (num(summary, "replications") > 1 && isfinite(ci)) {
        fputs(" &plusmn; ", f);
        put_num(f, ci);
    }
}

/* ---- sections -------------------------------------------------------------------------- */

static void put_header(FILE *f, const cJSON *s)
{
    const cJSON *name = get(s, "scenario");
    const char *title = cJSON_IsString(name) ? name->valuestring : "run";
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    put_escaped(f, title);
    fprintf(f, " &middot; clustersim report</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n",
            css);
    fputs("<h1>", f);
    put_escaped(f, title);
    fputs("</h1>\n<p class=\"meta\">seed ", f);
    put_count(f, num(s, "seed"));
    fputs(" &middot; ", f);
    double simulated = num(s, "simulated_s");
    put_num(f, isfinite(simulated) ? simulated : num(s, "duration_s"));
    fputs(" s simulated (warm-up ", f);
    put_num(f, num(s, "warmup_s"));
    fputs(" s) &middot; ", f);
    put_count(f, num(s, "events"));
    fputs(" events in ", f);
    fprintf(f, "%.3g", num(s, "wall_s"));
    fputs(" s wall", f);
    double reps = num(s, "replications");
    if (reps > 1) {
        fputs(" &middot; ", f);
        put_count(f, reps);
        fputs(" replications (&plusmn;: 95% confidence half-width)", f);
    }
    fputs("</p>\n", f);
    if (cJSON_IsTrue(get(s, "interrupted")))
        fputs("<p class=\"warn\">This run was interrupted: the figures cover the simulated time "
              "up to the interruption.</p>\n",
              f);
}

static void put_requests(FILE *f, const cJSON *s)
{
    const cJSON *r = get(s, "requests");
    static const char *const keys[] = {"arrived", "completed", "rejected",
                                       "failed",  "timed_out", "in_flight"};
    static const char *const heads[] = {"arrived", "completed", "rejected",
                                        "failed",  "timed out", "in flight"};
    fputs("<h2>Requests</h2>\n<div class=\"scroll\"><table>\n<thead><tr>", f);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (i < 5 || get(r, keys[i]))
            fprintf(f, "<th>%s</th>", heads[i]);
    fputs("<th>throughput (req/s)</th></tr></thead>\n<tbody><tr>", f);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (i >= 5 && !get(r, keys[i]))
            continue;
        fputs("<td>", f);
        put_count(f, num(r, keys[i]));
        fputs("</td>", f);
    }
    fputs("<td>", f);
    put_num(f, num(s, "throughput_rps"));
    put_ci(f, s, "throughput_rps");
    fputs("</td></tr></tbody>\n</table></div>\n", f);
    fputs("<p class=\"note\">Throughput: completed requests per simulated second after the "
          "warm-up.</p>\n",
          f);
}

static void put_latency(FILE *f, const cJSON *s)
{
    const cJSON *lat = get(s, "latency_ms");
    static const char *const keys[] = {"mean", "p50", "p90", "p95", "p99", "p999", "max"};
    static const char *const heads[] = {"mean", "p50", "p90", "p95", "p99", "p99.9", "max"};
    fputs("<h2>End-to-end latency (ms)</h2>\n<div class=\"scroll\"><table>\n<thead><tr>", f);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        fprintf(f, "<th>%s</th>", heads[i]);
    fputs("</tr></thead>\n<tbody><tr>", f);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        fputs("<td>", f);
        put_num(f, num(lat, keys[i]));
        if (strcmp(keys[i], "mean") == 0)
            put_ci(f, s, "latency_ms.mean");
        else if (strcmp(keys[i], "p99") == 0)
            put_ci(f, s, "latency_ms.p99");
        fputs("</td>", f);
    }
    fputs("</tr></tbody>\n</table></div>\n", f);
    fputs("<p class=\"note\">From a request&#39;s arrival to its completion at the client, for "
          "requests that arrived after the warm-up and completed; rejected, failed and timed-out "
          "requests are counted above, never averaged in.</p>\n",
          f);
    const cJSON *ops = get(s, "ops");
    if (!ops || !ops->child)
        return;
    fputs("<div class=\"scroll\"><table>\n<thead><tr><th class=\"l\">operation</th>"
          "<th>completed</th><th>mean ms</th><th>p99 ms</th></tr></thead>\n<tbody>\n",
          f);
    for (const cJSON *op = ops->child; op; op = op->next) {
        const cJSON *ol = get(op, "latency_ms");
        fputs("<tr><td class=\"l\">", f);
        put_escaped(f, op->string);
        fputs("</td><td>", f);
        put_count(f, num(op, "completed"));
        fputs("</td><td>", f);
        put_num(f, num(ol, "mean"));
        fputs("</td><td>", f);
        put_num(f, num(ol, "p99"));
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);
}

/* The component fields that have their own column; every other one goes to "other". */
static int has_column(const char *key)
{
    static const char *const known[] = {"type",     "nodes",     "requests",   "utilization",
                                        "rejected", "failed",    "latency_ms", "per_node",
                                        "skew",     "hit_ratio", "key_moves"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(key, known[i]) == 0)
            return 1;
    return 0;
}

static int has_other(const cJSON *c)
{
    for (const cJSON *v = c->child; v; v = v->next)
        if (!has_column(v->string))
            return 1;
    return 0;
}

/* Model-specific figures (admitted, lost_writes, evictions, delay_ms.p99, failovers, ...):
 * numbers and flags as they are, one level of nested numbers, arrays by their length. */
static void put_other(FILE *f, const cJSON *c)
{
    int first = 1;
    for (const cJSON *v = c->child; v; v = v->next) {
        if (has_column(v->string))
            continue;
        if (cJSON_IsObject(v)) {
            for (const cJSON *w = v->child; w; w = w->next) {
                if (!cJSON_IsNumber(w))
                    continue;
                fputs(first ? "" : "; ", f);
                put_escaped(f, v->string);
                fputc('.', f);
                put_escaped(f, w->string);
                fputc(' ', f);
                put_num(f, w->valuedouble);
                first = 0;
            }
            continue;
        }
        fputs(first ? "" : "; ", f);
        first = 0;
        put_escaped(f, v->string);
        fputc(' ', f);
        if (cJSON_IsNumber(v))
            put_num(f, v->valuedouble);
        else if (cJSON_IsBool(v))
            fputs(cJSON_IsTrue(v) ? "yes" : "no", f);
        else if (cJSON_IsString(v))
            put_escaped(f, v->valuestring);
        else if (cJSON_IsArray(v))
            fprintf(f, "&times;%d", cJSON_GetArraySize(v));
        else
            fputs("&ndash;", f);
    }
}

static void put_components(FILE *f, const cJSON *s)
{
    const cJSON *comps = get(s, "components");
    if (!comps || !comps->child)
        return;
    int hits = 0, other = 0;
    for (const cJSON *c = comps->child; c; c = c->next) {
        hits |= get(c, "hit_ratio") != NULL;
        other |= has_other(c);
    }
    fputs("<h2>Components</h2>\n<div class=\"scroll\"><table>\n<thead><tr>"
          "<th class=\"l\">component</th><th class=\"l\">type</th><th>nodes</th>"
          "<th>requests</th><th>utilisation</th><th>rejected</th><th>failed</th>"
          "<th>mean ms</th><th>p99 ms</th><th>max/mean</th><th>CoV</th>",
          f);
    if (hits)
        fputs("<th>hit ratio</th>", f);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (const cJSON *c = comps->child; c; c = c->next) {
        const cJSON *type = get(c, "type"), *lat = get(c, "latency_ms"), *skew = get(c, "skew");
        fputs("<tr><td class=\"l\">", f);
        put_escaped(f, c->string);
        fputs("</td><td class=\"l\">", f);
        put_escaped(f, cJSON_IsString(type) ? type->valuestring : "");
        fputs("</td><td>", f);
        put_count(f, num(c, "nodes"));
        fputs("</td><td>", f);
        put_count(f, num(c, "requests"));
        fputs("</td><td>", f);
        put_percent(f, num(c, "utilization"));
        fputs("</td><td>", f);
        put_count(f, num(c, "rejected"));
        fputs("</td><td>", f);
        put_count(f, num(c, "failed"));
        fputs("</td><td>", f);
        put_num(f, num(lat, "mean"));
        fputs("</td><td>", f);
        put_num(f, num(lat, "p99"));
        fputs("</td><td>", f);
        double mom = num(skew, "max_over_mean"), cov = num(skew, "cov");
        if (isfinite(mom))
            fprintf(f, "%.3f", mom);
        else
            fputs("&ndash;", f);
        fputs("</td><td>", f);
        if (isfinite(cov))
            fprintf(f, "%.3f", cov);
        else
            fputs("&ndash;", f);
        fputs("</td>", f);
        if (hits) {
            fputs("<td>", f);
            put_percent(f, num(c, "hit_ratio"));
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);
    fputs("<p class=\"note\">Requests: arrivals at the component. Rejected: what it refused "
          "(full queue, rate limit, quota, failed node). Skew: the largest per-node request "
          "count over the mean (max/mean) and the coefficient of variation over the nodes "
          "(CoV).</p>\n",
          f);
    /* Model-specific figures vary by type: a table of their own, where long lists wrap. */
    if (other) {
        fputs("<table>\n<thead><tr><th class=\"l\">component</th>"
              "<th class=\"l\">other figures</th></tr></thead>\n<tbody>\n",
              f);
        for (const cJSON *c = comps->child; c; c = c->next) {
            if (!has_other(c))
                continue;
            fputs("<tr><td class=\"l\">", f);
            put_escaped(f, c->string);
            fputs("</td><td class=\"l w\">", f);
            put_other(f, c);
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody>\n</table>\n", f);
    }
}

/* A move's copy stream: "81,486 of 81,592 keys, 333.8 MB in 7.044 s, 106 dropped"; a dash
 * when the moved keys were dropped (no migration). */
static void put_migration(FILE *f, const cJSON *m)
{
    if (!cJSON_IsNumber(get(m, "migrated_keys"))) {
        fputs("&ndash;", f);
        return;
    }
    put_count(f, num(m, "migrated_keys"));
    fputs(" of ", f);
    put_count(f, num(m, "migration_planned"));
    fprintf(f, " keys, %.4g MB ", num(m, "migrated_bytes") / 1e6);
    if (cJSON_IsNumber(get(m, "migration_s")))
        fprintf(f, "in %.4g s", num(m, "migration_s"));
    else
        fputs("(still copying at the end)", f);
    fputs(", ", f);
    put_count(f, num(m, "migration_dropped"));
    fputs(" dropped", f);
}

static void put_key_moves(FILE *f, const cJSON *s)
{
    const cJSON *comps = get(s, "components");
    int any = 0;
    for (const cJSON *c = comps ? comps->child : NULL; c; c = c->next) {
        const cJSON *moves = get(c, "key_moves");
        for (const cJSON *m = cJSON_IsArray(moves) ? moves->child : NULL; m; m = m->next) {
            if (!any)
                fputs("<h2>Key movement</h2>\n<div class=\"scroll\"><table>\n<thead><tr>"
                      "<th class=\"l\">component</th><th>at (s)</th><th>nodes</th>"
                      "<th>keys</th><th>moved</th><th>moved fraction</th>"
                      "<th>ideal fraction</th><th class=\"l\">migration</th></tr></thead>\n"
                      "<tbody>\n",
                      f);
            any = 1;
            fputs("<tr><td class=\"l\">", f);
            put_escaped(f, c->string);
            fputs("</td><td>", f);
            put_num(f, num(m, "at_s"));
            fputs("</td><td>", f);
            put_count(f, num(m, "nodes_before"));
            fputs(" &rarr; ", f);
            put_count(f, num(m, "nodes_after"));
            fputs("</td><td>", f);
            put_count(f, num(m, "keys"));
            fputs("</td><td>", f);
            put_count(f, num(m, "moved"));
            fputs("</td><td>", f);
            put_percent(f, num(m, "moved_fraction"));
            fputs("</td><td>", f);
            put_percent(f, num(m, "ideal_fraction"));
            fputs("</td><td class=\"l\">", f);
            put_migration(f, m);
            fputs("</td></tr>\n", f);
        }
    }
    if (any)
        fputs("</tbody>\n</table></div>\n<p class=\"note\">Ideal fraction: the least that any "
              "placement must move, |change| over the larger node count.</p>\n",
              f);
}

/* One plot as an <img> with a data URI; a plot file that cannot be read becomes a note. */
static void put_plot(FILE *f, const char *dir, const struct plot_file *pf)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, pf->name);
    FILE *in = fopen(path, "rb");
    unsigned char *data = NULL;
    size_t len = 0, cap = 0;
    if (in) {
        for (;;) {
            if (len == cap) {
                cap = cap ? 2 * cap : 1 << 16;
                data = sim_xrealloc(data, cap);
            }
            size_t got = fread(data + len, 1, cap - len, in);
            if (got == 0)
                break;
            len += got;
        }
        if (ferror(in))
            len = 0;
        fclose(in);
    }
    fputs("<figure>", f);
    if (len == 0) {
        fputs("<p class=\"warn\">Plot ", f);
        put_escaped(f, pf->name);
        fputs(" could not be read.</p>", f);
    } else {
        size_t n = strlen(pf->name);
        int svg = n > 4 && strcmp(pf->name + n - 4, ".svg") == 0;
        fprintf(f, "<img src=\"data:%s;base64,", svg ? "image/svg+xml" : "image/png");
        put_base64(f, data, len);
        fputs("\" alt=\"", f);
        put_escaped(f, pf->title);
        fputc('"', f);
        if (pf->width > 0 && pf->height > 0)
            fprintf(f, " width=\"%d\" height=\"%d\"", pf->width, pf->height);
        fputs(">", f);
    }
    fputs("<figcaption>", f);
    put_escaped(f, pf->title);
    fputs(" (", f);
    put_escaped(f, pf->name);
    fputs(")</figcaption></figure>\n", f);
    free(data);
}

static void put_plots(FILE *f, const char *dir, const struct plot_list *plots)
{
    if (!plots || (plots->n == 0 && !plots->no_gnuplot))
        return;
    fputs("<h2>Plots</h2>\n", f);
    if (plots->n == 0) {
        fputs("<p class=\"note\">No plots: gnuplot or the plot templates were not found when "
              "this report was written. The data are in the CSV files next to it.</p>\n",
              f);
        return;
    }
    fputs("<p class=\"note\">Shaded on time axes: the warm-up, left out of every figure "
          "above.</p>\n",
          f);
    for (size_t i = 0; i < plots->n; i++)
        put_plot(f, dir, &plots->files[i]);
}

static void put_scenario(FILE *f, const char *text)
{
    if (!text)
        return;
    fputs("<h2>Scenario</h2>\n<details>\n<summary>Scenario file (JSON)</summary>\n<pre>", f);
    put_escaped(f, text);
    fputs("</pre>\n</details>\n", f);
}

int html_report(const char *dir, const cJSON *summary, const char *scenario_text,
                const struct plot_list *plots, struct sim_error *err)
{
    struct outset o;
    if (outset_open(&o, dir, err))
        return -1;
    FILE *f = outset_file(&o, "report.html");
    if (f) {
        put_header(f, summary);
        put_requests(f, summary);
        put_latency(f, summary);
        put_components(f, summary);
        put_key_moves(f, summary);
        put_plots(f, dir, plots);
        put_scenario(f, scenario_text);
        fputs("<footer>Written by clustersim. The figures come from summary.json; the plots "
              "from timeseries.csv, latency.csv, nodes.csv and keymoves.csv in the same "
              "folder.</footer>\n</main>\n</body>\n</html>\n",
              f);
        outset_close_file(&o);
    }
    return outset_commit(&o, err);
}

/* ---- journey ----------------------------------------------------------------------------- */

static const char journey_css[] =
    "h3{font-size:1.05em;margin:26px 0 4px}"
    ".why{border-left:4px solid #1f77b4;background:#f3f7fb;padding:8px 12px;margin:8px 0}"
    ".file{color:#7a8190;font-size:.85em}"
    "td.lb{color:#7a5a00}";

/* A flag of journey.json: true, or a non-zero number (the CSV files write 1 and 0). */
static int flag(const cJSON *obj, const char *name)
{
    const cJSON *v = get(obj, name);
    return cJSON_IsTrue(v) || (cJSON_IsNumber(v) && v->valuedouble != 0);
}

static double item_num(const cJSON *array, int i)
{
    const cJSON *v = cJSON_GetArrayItem(array, i);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *text(const cJSON *obj, const char *name)
{
    const cJSON *v = get(obj, name);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* The bottleneck a stage's estimate names; NULL when none ("-" or absent). */
static const char *neck_of(const cJSON *stage)
{
    const char *id = text(stage, "bottleneck");
    return id && strcmp(id, "-") != 0 ? id : NULL;
}

/* A figure of a point of the sweep: a field of its own ("users", "p99_ms", ...), or as
 * capacity_point records it (the user count as "value", the rest under "figures"). */
static double point_num(const cJSON *p, const char *name, const char *figure)
{
    double v = num(p, name);
    if (isfinite(v))
        return v;
    return strcmp(name, "users") == 0 ? num(p, "value") : num(get(p, "figures"), figure);
}

static double point_users(const cJSON *p)
{
    return point_num(p, "users", NULL);
}

static double point_p99(const cJSON *p)
{
    return point_num(p, "p99_ms", "latency_ms.p99");
}

/* A stage's capacity in users: "≥ " before a lower bound, "none" when no point passed. */
static void put_capacity(FILE *f, const cJSON *stage)
{
    double users = num(stage, "capacity_users");
    if (!(users > 0)) {
        fputs("none", f);
        return;
    }
    if (!flag(stage, "bounded"))
        fputs("&ge;&nbsp;", f);
    put_count(f, users);
}

/* How a stage's capacity compares with the previous one's: the ratio, qualified when either
 * capacity is a lower bound. Returns 0 when there is no meaningful ratio. */
struct factor {
    double ratio;
    int bound; /* 0: exact; 1: a lower bound (at least); -1: an upper bound (at most) */
};

static const char *factor_words(const struct factor *fa)
{
    return fa->bound > 0 ? "at least " : (fa->bound < 0 ? "at most " : "");
}

static int stage_factor(const cJSON *prev, const cJSON *cur, struct factor *out)
{
    double p = num(prev, "capacity_users"), c = num(cur, "capacity_users");
    int pb = flag(prev, "bounded"), cb = flag(cur, "bounded");
    if (!(p > 0) || !(c > 0) || (!pb && !cb))
        return 0;
    out->ratio = c / p;
    /* A lower bound now makes the ratio a lower bound; one before makes it an upper bound. */
    out->bound = pb && cb ? 0 : (cb ? -1 : 1);
    return 1;
}

static void put_factor_cell(FILE *f, const cJSON *prev, const cJSON *cur)
{
    struct factor fa;
    if (!prev || !stage_factor(prev, cur, &fa)) {
        fputs("&ndash;", f);
        return;
    }
    if (fa.bound)
        fputs(fa.bound > 0 ? "&ge;&nbsp;" : "&le;&nbsp;", f);
    fprintf(f, "&times;%.3g", fa.ratio);
}

static void put_stage_table(FILE *f, const cJSON *stages)
{
    fputs("<h2>Stages</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th>#</th>"
          "<th class=\"l\">stage</th><th>capacity (users)</th><th>capacity (req/s)</th>"
          "<th class=\"l\">bottleneck</th><th>&times; previous</th><th>estimate (users)</th>"
          "</tr></thead>\n<tbody>\n",
          f);
    const cJSON *prev = NULL;
    int pos = 1;
    for (const cJSON *st = stages ? stages->child : NULL; st; prev = st, st = st->next, pos++) {
        const char *name = text(st, "name"), *neck = neck_of(st);
        fputs("<tr><td>", f);
        put_count(f, num(st, "index"));
        fprintf(f, "</td><td class=\"l\"><a href=\"#stage-%d\">", pos);
        put_escaped(f, name ? name : "?");
        fprintf(f, "</a></td><td%s>", flag(st, "bounded") ? "" : " class=\"lb\"");
        put_capacity(f, st);
        fputs("</td><td>", f);
        if (!flag(st, "bounded") && num(st, "capacity_rps") > 0)
            fputs("&ge;&nbsp;", f);
        put_num(f, num(st, "capacity_rps"));
        fputs("</td><td class=\"l\">", f);
        if (neck)
            put_escaped(f, neck);
        else
            fputs("&ndash;", f);
        fputs("</td><td>", f);
        put_factor_cell(f, prev, st);
        fputs("</td><td>", f);
        put_count(f, num(st, "estimate_users") > 0 ? num(st, "estimate_users") : NAN);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n<p class=\"note\">Capacity: the most users tried whose run "
          "met the objectives; &ge; marks a lower bound, when every count tried passed. "
          "Bottleneck: the component the back-of-envelope estimate finds saturating first, at "
          "the estimate&#39;s user count. &times; previous: capacity over the previous "
          "stage&#39;s.</p>\n",
          f);
}

static void put_b(FILE *f, const char *s)
{
    fputs("<b>", f);
    put_escaped(f, s);
    fputs("</b>", f);
}

/* Why the capacity changed from the previous stage, derived from the data: where the
 * bottleneck went, and by what factor the capacity moved. */
static void put_why(FILE *f, const cJSON *prev, const cJSON *cur)
{
    fputs("<p class=\"why\">", f);
    if (!prev) {
        fputs("The first stage: the baseline the others are measured against.", f);
        const char *neck = neck_of(cur);
        if (neck) {
            fputs(" Its bottleneck is ", f);
            put_b(f, neck);
            fputs(".", f);
        }
        fputs("</p>\n", f);
        return;
    }
    const char *pn = neck_of(prev), *cn = neck_of(cur);
    struct factor fa;
    int has_factor = stage_factor(prev, cur, &fa);
    /* Whether the capacity is known to have grown, or known not to have. */
    int grew = has_factor && fa.bound >= 0 && fa.ratio > 1.005;
    int flat = has_factor && fa.bound <= 0 && fa.ratio <= 1.005;
    if (pn && cn && strcmp(pn, cn) != 0) {
        fputs("The bottleneck moved from ", f);
        put_b(f, pn);
        fputs(" to ", f);
        put_b(f, cn);
        fputs(": this stage relieved ", f);
        put_escaped(f, pn);
        fputs(", and ", f);
        put_escaped(f, cn);
        fputs(" now saturates first.", f);
    } else if (pn && cn) {
        fputs("The bottleneck stayed at ", f);
        put_b(f, cn);
        fputs(grew   ? ": this stage gave it more room without moving the limit elsewhere."
              : flat ? ", and this stage did not relieve it."
                     : ".",
              f);
    } else if (cn) {
        fputs("The bottleneck is now ", f);
        put_b(f, cn);
        fputs(" (the previous stage&#39;s estimate named none).", f);
    } else {
        fputs("The estimate names no bottleneck for this stage.", f);
    }
    fputs(" ", f);
    if (has_factor) {
        double r = fa.ratio;
        if (fa.bound == 0 && r > 1.005)
            fprintf(f, "Capacity grew &times;%.3g over stage ", r);
        else if (fa.bound == 0 && r < 0.995)
            fprintf(f, "Capacity fell to &times;%.3g of stage ", r);
        else if (fa.bound == 0)
            fputs("Capacity stayed the same as stage ", f);
        else if (fa.bound > 0 && r > 1.005)
            fprintf(f, "Capacity grew at least &times;%.3g over stage ", r);
        else if (fa.bound < 0 && r < 0.995)
            fprintf(f, "Capacity fell to at most &times;%.3g of stage ", r);
        else
            fprintf(f, "Capacity is %s&times;%.3g of stage ", factor_words(&fa), r);
        put_count(f, num(prev, "index"));
        if (fa.bound == 0 && r >= 0.995 && r <= 1.005)
            fprintf(f, "&#39;s (&times;%.3g)", r);
        else if (!(fa.bound >= 0 && r > 1.005))
            fputs("&#39;s", f);
        fputs(", from ", f);
        put_capacity(f, prev);
        fputs(" to ", f);
        put_capacity(f, cur);
        fputs(" users.", f);
    } else if (!(num(cur, "capacity_users") > 0)) {
        fputs("No user count tried met the objectives in this stage.", f);
    } else if (!(num(prev, "capacity_users") > 0)) {
        fputs("The previous stage met the objectives at no user count tried; this one does up "
              "to ",
              f);
        put_capacity(f, cur);
        fputs(" users.", f);
    } else {
        fputs("Both capacities are lower bounds (every count tried passed), so their ratio is "
              "unknown.",
              f);
    }
    fputs("</p>\n", f);
}

/* The point tried at the capacity and the first one that failed, from the stage's points. */
static void put_points_summary(FILE *f, const cJSON *st, const cJSON *slo)
{
    const cJSON *points = get(st, "points"), *at = NULL, *failed = NULL;
    double cap = num(st, "capacity_users");
    for (const cJSON *p = cJSON_IsArray(points) ? points->child : NULL; p; p = p->next) {
        if (point_users(p) == cap)
            at = p;
        if (!failed && !flag(p, "pass"))
            failed = p;
    }
    fputs("<p>Capacity: <b>", f);
    put_capacity(f, st);
    if (cap > 0) {
        fputs(" users</b>", f);
        if (num(st, "capacity_rps") > 0) {
            fputs(" (", f);
            put_num(f, num(st, "capacity_rps"));
            fputs(" req/s)", f);
        }
        if (at) {
            fputs(", where the p99 was ", f);
            put_num(f, point_p99(at));
            fputs(" ms", f);
        }
        fputs(".", f);
    } else {
        fputs("</b>: no user count tried met the objectives.", f);
    }
    if (failed) {
        fputs(" At ", f);
        put_count(f, point_users(failed));
        if (isfinite(point_p99(failed))) {
            fputs(" users the p99 reached ", f);
            put_num(f, point_p99(failed));
            fputs(" ms with ", f);
        } else {
            fputs(" users no request completed, with ", f);
        }
        put_percent(f, point_num(failed, "errors_frac", "errors_frac"));
        fputs(" of requests failing", f);
        double limit = num(slo, "p99_ms");
        if (limit > 0 && point_p99(failed) > limit)
            fprintf(f, " (%.3g&times; the objective)", point_p99(failed) / limit);
        fputs(".", f);
    } else if (cap > 0) {
        fputs(" Every user count tried passed: the capacity is only a lower bound.", f);
    }
    double est = num(st, "estimate_users");
    const char *neck = neck_of(st);
    if (est > 0 && cap > 0) {
        fputs(" The back-of-envelope estimate put ", f);
        if (neck) {
            put_escaped(f, neck);
            fputs("&#39;s saturation", f);
        } else {
            fputs("saturation", f);
        }
        fputs(" at ", f);
        put_count(f, est);
        fprintf(f, " users; the capacity found is %s%.0f%% of that.",
                flag(st, "bounded") ? "" : "at least ", 100 * cap / est);
    }
    fputs("</p>\n", f);
}

static void put_points_table(FILE *f, const cJSON *st)
{
    const cJSON *points = get(st, "points");
    int n = cJSON_IsArray(points) ? cJSON_GetArraySize(points) : 0;
    if (n == 0)
        return;
    fprintf(f,
            "<details>\n<summary>The %d user count%s tried</summary>\n<div class=\"scroll\">"
            "<table>\n<thead><tr><th>users</th><th>throughput (req/s)</th><th>p99 ms</th>"
            "<th>errors</th><th class=\"l\">objectives</th></tr></thead>\n<tbody>\n",
            n, n == 1 ? "" : "s");
    for (const cJSON *p = points->child; p; p = p->next) {
        fputs("<tr><td>", f);
        put_count(f, point_users(p));
        fputs("</td><td>", f);
        put_num(f, point_num(p, "throughput_rps", "throughput_rps"));
        fputs("</td><td>", f);
        put_num(f, point_p99(p));
        fputs("</td><td>", f);
        put_percent(f, point_num(p, "errors_frac", "errors_frac"));
        fprintf(f, "</td><td class=\"l\">%s</td></tr>\n", flag(p, "pass") ? "met" : "missed");
    }
    fputs("</tbody>\n</table></div>\n</details>\n", f);
}

static void put_stages(FILE *f, const cJSON *stages, const cJSON *slo)
{
    fputs("<h2>Stage by stage</h2>\n", f);
    const cJSON *prev = NULL;
    int pos = 1;
    for (const cJSON *st = stages ? stages->child : NULL; st; prev = st, st = st->next, pos++) {
        const char *name = text(st, "name"), *desc = text(st, "description");
        const char *file = text(st, "file");
        /* Anchors by position: unique even when an index is missing or repeated. */
        fprintf(f, "<h3 id=\"stage-%d\">", pos);
        put_count(f, num(st, "index"));
        fputs(". ", f);
        put_escaped(f, name ? name : "?");
        fputs("</h3>\n", f);
        if (file) {
            fputs("<p class=\"file\">", f);
            put_escaped(f, file);
            fputs("</p>\n", f);
        }
        if (desc) {
            fputs("<p>", f);
            put_escaped(f, desc);
            fputs("</p>\n", f);
        }
        put_points_summary(f, st, slo);
        put_why(f, prev, st);
        put_points_table(f, st);
    }
}

static void put_journey_plots(FILE *f, const char *dir, const struct plot_list *plots)
{
    if (!plots || (plots->n == 0 && !plots->no_gnuplot))
        return;
    fputs("<h2>Plots</h2>\n", f);
    if (plots->n == 0) {
        fputs("<p class=\"note\">No plots: gnuplot or the plot templates were not found when "
              "this report was written. The data are in journey.csv, capacity.csv and "
              "keymove.csv next to it.</p>\n",
              f);
        return;
    }
    fputs("<p class=\"note\">Latency and throughput against users: one line per stage, filled "
          "points met the objectives, open ones missed them. Key movement: the share of keys "
          "that change node when one node joins, per placement scheme: what adding a cache or "
          "database node costs.</p>\n",
          f);
    for (size_t i = 0; i < plots->n; i++)
        put_plot(f, dir, &plots->files[i]);
}

/* A whole small file (caller frees); NULL when it cannot be read. */
static char *slurp(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 2) {
            cap = cap ? 2 * cap : 1 << 14;
            data = sim_xrealloc(data, cap);
        }
        size_t got = fread(data + len, 1, cap - len - 1, in);
        if (got == 0)
            break;
        len += got;
    }
    int bad = ferror(in);
    fclose(in);
    if (bad) {
        free(data);
        return NULL;
    }
    data[len] = '\0';
    return data;
}

/* The last stage's run at its capacity (dir/final): its headline figures, a relative link to
 * its own report and its per-node load plot. */
static void put_final(FILE *f, const char *dir, const cJSON *stages)
{
    char fdir[4096], path[4200];
    snprintf(fdir, sizeof fdir, "%s/final", dir);
    snprintf(path, sizeof path, "%s/summary.json", fdir);
    char *summary_text = slurp(path);
    struct plot_list fplots;
    plot_list_existing(fdir, &fplots);
    const struct plot_file *nodes = NULL;
    for (size_t i = 0; i < fplots.n; i++)
        if (strncmp(fplots.files[i].name, "nodes.", 6) == 0)
            nodes = &fplots.files[i];
    if (!summary_text && !nodes) {
        free(summary_text);
        return;
    }
    const cJSON *last = NULL;
    for (const cJSON *st = stages ? stages->child : NULL; st; st = st->next)
        last = st;
    fputs("<h2>The last stage at its capacity</h2>\n<p>", f);
    const char *name = text(last, "name");
    fputs("The last stage", f);
    if (name) {
        fputs(", ", f);
        put_b(f, name);
        fputs(",", f);
    }
    fputs(" run once more at its capacity", f);
    cJSON *s = summary_text ? cJSON_Parse(summary_text) : NULL;
    free(summary_text);
    const cJSON *lat = get(s, "latency_ms");
    if (s && isfinite(num(s, "throughput_rps"))) {
        fputs(": ", f);
        put_num(f, num(s, "throughput_rps"));
        fputs(" req/s completed, p50 ", f);
        put_num(f, num(lat, "p50"));
        fputs(" ms, p99 ", f);
        put_num(f, num(lat, "p99"));
        fputs(" ms", f);
    }
    cJSON_Delete(s);
    fputs(". Its full report, with every figure and plot of the run: "
          "<a href=\"final/report.html\">final/report.html</a>.</p>\n",
          f);
    if (nodes) {
        /* Named from the journey folder, so that the caption says where the file is. */
        struct plot_file pf = *nodes;
        snprintf(pf.name, sizeof pf.name, "final/%.24s", nodes->name);
        snprintf(pf.title, sizeof pf.title, "Load per node in the last stage's run");
        put_plot(f, dir, &pf);
    }
}

int html_journey(const char *dir, const cJSON *journey, const struct plot_list *plots,
                 struct sim_error *err)
{
    const cJSON *slo = get(journey, "slo"), *stages = get(journey, "stages");
    const cJSON *users = get(journey, "users");
    if (!cJSON_IsArray(stages))
        stages = NULL;
    struct outset o;
    if (outset_open(&o, dir, err))
        return -1;
    FILE *f = outset_file(&o, "report.html");
    if (f) {
        fprintf(f,
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<title>From zero to millions of users &middot; clustersim journey</title>\n"
                "<style>%s%s</style>\n</head>\n<body>\n<main>\n"
                "<h1>From zero to millions of users</h1>\n<p class=\"meta\">",
                css, journey_css);
        int nst = stages ? cJSON_GetArraySize(stages) : 0;
        fprintf(f, "%d stage%s &middot; objectives: p99 &le; ", nst, nst == 1 ? "" : "s");
        put_num(f, num(slo, "p99_ms"));
        fputs(" ms, errors &le; ", f);
        put_percent(f, num(slo, "max_errors"));
        int nu = cJSON_IsArray(users) ? cJSON_GetArraySize(users) : 0;
        if (nu > 0) {
            fputs(" &middot; ", f);
            put_count(f, nu);
            fputs(" user counts tried per stage, ", f);
            put_count(f, item_num(users, 0));
            fputs(" to ", f);
            put_count(f, item_num(users, nu - 1));
        }
        fputs("</p>\n", f);
        /* The story in general terms; the stages themselves come from the data. */
        const cJSON *st0 = stages ? stages->child : NULL, *stn = NULL;
        for (const cJSON *st = st0; st; st = st->next)
            stn = st;
        fputs("<p>The journey rebuilds, one stage at a time, how a web site grows from a single "
              "server to millions of users (the path of &ldquo;Scale from Zero to Millions of "
              "Users&rdquo;): each stage changes the architecture of the one before and is a "
              "scenario of its own",
              f);
        if (st0 && stn != st0 && text(st0, "name") && text(stn, "name")) {
            fputs(", from ", f);
            put_b(f, text(st0, "name"));
            fputs(" to ", f);
            put_b(f, text(stn, "name"));
        }
        fputs(". For each stage the number of users is swept over log-spaced values, and its "
              "<b>capacity</b> is the most users for which the p99 end-to-end latency stays at "
              "or under ",
              f);
        put_num(f, num(slo, "p99_ms"));
        fputs(" ms and at most ", f);
        put_percent(f, num(slo, "max_errors"));
        fputs(" of requests are rejected, fail or time out. The <b>bottleneck</b> is the "
              "component a back-of-envelope estimate (clustersim estimate) finds saturating "
              "first; each section below says how the stage moved it.</p>\n",
              f);
        /* The whole journey in one sentence: the first and last stages that passed at all. */
        const cJSON *first = NULL, *last = NULL;
        for (const cJSON *st = stages ? stages->child : NULL; st; st = st->next)
            if (num(st, "capacity_users") > 0) {
                first = first ? first : st;
                last = st;
            }
        struct factor fa;
        if (first && last && first != last && stage_factor(first, last, &fa)) {
            fputs("<p>From stage ", f);
            put_count(f, num(first, "index"));
            fputs(" to stage ", f);
            put_count(f, num(last, "index"));
            fputs(" the capacity grew from ", f);
            put_capacity(f, first);
            fputs(" to ", f);
            put_capacity(f, last);
            fprintf(f, " users: %s&times;%.3g.</p>\n", factor_words(&fa), fa.ratio);
        }
        put_stage_table(f, stages);
        put_stages(f, stages, slo);
        put_journey_plots(f, dir, plots);
        put_final(f, dir, stages);
        fputs("<footer>Written by clustersim journey. The figures come from journey.json; the "
              "plots from journey.csv, capacity.csv and keymove.csv in the same folder, and "
              "the last stage&#39;s run from final/.</footer>\n</main>\n</body>\n</html>\n",
              f);
        outset_close_file(&o);
    }
    return outset_commit(&o, err);
}

/* ---- sweep ------------------------------------------------------------------------------- */

/* The sweep table's figures: key in a point's "figures", its "ci95" key (NULL: none), heading,
 * and whether it is a fraction shown in percent. */
static const struct {
    const char *key;
    const char *ci;
    const char *heading;
    int percent;
} sweep_cols[] = {
    {"throughput_rps", "throughput_rps", "throughput (req/s)", 0},
    {"mean_ms", "latency_ms.mean", "mean (ms)", 0},
    {"p50_ms", "latency_ms.p50", "p50 (ms)", 0},
    {"p99_ms", "latency_ms.p99", "p99 (ms)", 0},
    {"p999_ms", NULL, "p99.9 (ms)", 0},
    {"rejected_frac", NULL, "rejected", 1},
    {"failed_frac", NULL, "failed or timed out", 1},
};

static void put_sweep_table(FILE *f, const cJSON *result)
{
    const cJSON *params = get(result, "params"), *points = get(result, "points");
    int reps = (int)num(result, "replications");
    fputs("<h2>Points</h2>\n<div class=\"scroll\"><table>\n<thead><tr>", f);
    for (const cJSON *p = params ? params->child : NULL; p; p = p->next) {
        fputs("<th class=\"l\">", f);
        put_escaped(f, cJSON_IsString(p) ? p->valuestring : "");
        fputs("</th>", f);
    }
    for (size_t k = 0; k < sizeof sweep_cols / sizeof sweep_cols[0]; k++)
        fprintf(f, "<th>%s</th>", sweep_cols[k].heading);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (const cJSON *pt = points ? points->child : NULL; pt; pt = pt->next) {
        const cJSON *values = get(pt, "point"), *fig = get(pt, "figures");
        const cJSON *ci = get(pt, "ci95");
        fputs("<tr>", f);
        for (const cJSON *p = params ? params->child : NULL; p; p = p->next) {
            const cJSON *v = cJSON_IsString(p) ? get(values, p->valuestring) : NULL;
            fputs("<td class=\"l\">", f);
            if (cJSON_IsString(v))
                put_escaped(f, v->valuestring);
            else
                fputs("&ndash;", f);
            fputs("</td>", f);
        }
        for (size_t k = 0; k < sizeof sweep_cols / sizeof sweep_cols[0]; k++) {
            double v = num(fig, sweep_cols[k].key);
            fputs("<td>", f);
            if (sweep_cols[k].percent)
                put_percent(f, v);
            else
                put_num(f, v);
            double h = sweep_cols[k].ci ? num(ci, sweep_cols[k].ci) : NAN;
            if (reps > 1 && isfinite(v) && isfinite(h)) {
                fputs(" &plusmn; ", f);
                put_num(f, h);
            }
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);
    if (reps > 1)
        fprintf(f,
                "<p class=\"note\">Each figure is the mean over %d replications (seeds seed to "
                "seed + %d, the same at every point), &plusmn; the half-width of its 95%% "
                "confidence interval. The fractions are of the arrived requests.</p>\n",
                reps, reps - 1);
    else
        fputs("<p class=\"note\">One run per point, so no confidence interval: run with "
              "--replications R for them. The fractions are of the arrived requests.</p>\n",
              f);
}

int html_sweep(const char *dir, const cJSON *result, const struct plot_list *plots,
               struct sim_error *err)
{
    const cJSON *name = get(result, "scenario"), *params = get(result, "params");
    const cJSON *points = get(result, "points");
    const char *title = cJSON_IsString(name) ? name->valuestring : "sweep";
    struct outset o;
    if (outset_open(&o, dir, err))
        return -1;
    FILE *f = outset_file(&o, "report.html");
    if (f) {
        fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<title>",
              f);
        put_escaped(f, title);
        fprintf(f, " &middot; clustersim sweep</title>\n<style>%s</style>\n</head>\n<body>\n"
                   "<main>\n<h1>",
                css);
        put_escaped(f, title);
        fputs(": sweep</h1>\n<p class=\"meta\">", f);
        int np = cJSON_IsArray(points) ? cJSON_GetArraySize(points) : 0;
        put_count(f, np);
        fprintf(f, " point%s over ", np == 1 ? "" : "s");
        int first = 1;
        for (const cJSON *p = params ? params->child : NULL; p; p = p->next, first = 0) {
            fputs(first ? "" : " &times; ", f);
            fputs("<b>", f);
            put_escaped(f, cJSON_IsString(p) ? p->valuestring : "");
            fputs("</b>", f);
        }
        fputs(" &middot; replications ", f);
        put_count(f, num(result, "replications"));
        fputs(" &middot; seed ", f);
        put_count(f, num(result, "seed"));
        fputs("</p>\n", f);
        put_sweep_table(f, result);
        if (plots && (plots->n > 0 || plots->no_gnuplot)) {
            fputs("<h2>Plots</h2>\n", f);
            if (plots->n == 0)
                fputs("<p class=\"note\">No plots: gnuplot or the plot templates were not found "
                      "when this report was written. The data are in sweep.csv next to "
                      "it.</p>\n",
                      f);
            else
                fputs("<p class=\"note\">Each figure against the first parameter, one line per "
                      "combination of the others.</p>\n",
                      f);
            for (size_t i = 0; i < plots->n; i++)
                put_plot(f, dir, &plots->files[i]);
        }
        fputs("<footer>Written by clustersim sweep. The figures come from sweep.json; the "
              "plots from sweep.csv in the same folder.</footer>\n</main>\n</body>\n</html>\n",
              f);
        outset_close_file(&o);
    }
    return outset_commit(&o, err);
}
