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
                      "<th>ideal fraction</th></tr></thead>\n<tbody>\n",
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
