/* Plots of a run, or of a journey, through gnuplot: decides which templates apply to the CSV
 * files of the folder, runs each with fork/exec (paths travel as arguments, never through a
 * shell or a gnuplot command line), and renames each finished image into place. */
#include "sim/plot.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A template that runs longer than this is stuck (a large run plots in seconds): the alarm,
 * which survives exec, ends it and the plot is skipped with a warning. */
#define PLOT_TIMEOUT_S 120
/* The templates exit with this status when their data hold nothing to draw. */
#define PLOT_NOTHING 3
/* A time plot is about 900 px wide: a series of more than two rows per pixel column is drawn
 * from a decimated copy, the least and the largest value of each of this many buckets. That
 * draws the same picture (each pixel column spans its bucket's range) in a fraction of the
 * time: cairo takes minutes over a day of one-second rows. */
#define PLOT_BUCKETS 1000

static const struct plot_def {
    const char *name;   /* template plots/<name>.gp and image <name>.png */
    const char *title;  /* for the report */
    const char *data;   /* the CSV file it reads */
    const char *suffix; /* a header column must end with this; NULL when any file applies */
} defs[PLOT_MAX] = {
    {"latency", "End-to-end latency over time", "timeseries.csv", NULL},
    {"latency_cdf", "Latency distribution", "latency.csv", NULL},
    {"throughput", "Throughput and refusals over time", "timeseries.csv", NULL},
    {"utilization", "Utilisation and queue length per component", "timeseries.csv", ".util"},
    {"nodes", "Load per node", "nodes.csv", NULL},
    {"hit_ratio", "Cache hit ratio over time", "timeseries.csv", ".hit_ratio"},
    {"keymoves", "Key movement per topology change", "keymoves.csv", NULL},
    {"scaling", "Autoscaling: serving nodes over time", "timeseries.csv", ".nodes"},
};

/* The plots of a journey (clustersim journey), in the order its report shows them. */
static const struct plot_def journey_defs[] = {
    {"journey_capacity", "Capacity per stage", "capacity.csv", NULL},
    {"journey_p99", "p99 latency against users, per stage", "journey.csv", NULL},
    {"journey_throughput", "Throughput against users, per stage", "journey.csv", NULL},
    {"journey_keymove", "Keys moved when a node joins, per placement scheme", "keymove.csv", NULL},
};
#define JOURNEY_PLOTS (sizeof journey_defs / sizeof journey_defs[0])
_Static_assert(JOURNEY_PLOTS <= PLOT_MAX, "a plot_list holds every journey plot");

/* A family of plots drawn together into one folder. */
struct plot_set {
    const struct plot_def *defs;
    size_t n;
};
static const struct plot_set run_set = {defs, PLOT_MAX};
static const struct plot_set journey_set = {journey_defs, JOURNEY_PLOTS};

/* The plots of a sweep (clustersim sweep): each headline figure against the first parameter. */
static const struct plot_def sweep_defs[] = {
    {"sweep_throughput", "Throughput against the first parameter", "sweep.csv", NULL},
    {"sweep_latency", "Latency (mean, p50, p99, p99.9) against the first parameter", "sweep.csv",
     NULL},
    {"sweep_errors", "Rejected and failed fractions against the first parameter", "sweep.csv",
     NULL},
};
static const struct plot_set sweep_set = {sweep_defs, sizeof sweep_defs / sizeof sweep_defs[0]};

static int is_file(const char *path, int exec)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, exec ? X_OK : R_OK) == 0;
}

const char *plot_find_gnuplot(void)
{
    static char found[4096];
    const char *path = getenv("PATH");
    if (!path)
        return NULL;
    /* An empty entry in PATH means the current folder, as for execvp. */
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0)
            snprintf(found, sizeof found, "./gnuplot");
        else
            snprintf(found, sizeof found, "%.*s/gnuplot", (int)len, p);
        if (is_file(found, 1))
            return found;
        if (!end)
            return NULL;
        p = end;
    }
}

static int has_template(const char *dir, const char *name)
{
    /* Room for a folder path of 4095 bytes and a template name. */
    char path[4096 + 64];
    snprintf(path, sizeof path, "%s/%s.gp", dir, name);
    return is_file(path, 0);
}

static int has_templates(const char *dir)
{
    return has_template(dir, "latency");
}

const char *plot_templates_dir(void)
{
    static char found[4096];
    const char *env = getenv("CLUSTERSIM_PLOTS");
    if (env && *env && has_templates(env)) {
        snprintf(found, sizeof found, "%s", env);
        return found;
    }
    char exe[3072];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            static const char *const rel[] = {"../plots", "../share/clustersim/plots"};
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                snprintf(found, sizeof found, "%s/%s", exe, rel[i]);
                if (has_templates(found))
                    return found;
            }
        }
    }
    if (has_templates(PLOTS_DIR)) {
        snprintf(found, sizeof found, "%s", PLOTS_DIR);
        return found;
    }
    return NULL;
}

/* Whether a CSV file has a header (with a column ending in suffix, when given) and at least
 * one row after it. */
static int csv_applies(const char *path, const char *suffix)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, f);
    int ok = len > 0;
    if (ok && suffix) {
        line[strcspn(line, "\r\n")] = '\0';
        size_t sl = strlen(suffix);
        ok = 0;
        for (char *save = NULL, *col = strtok_r(line, ",", &save); col && !ok;
             col = strtok_r(NULL, ",", &save)) {
            size_t cl = strlen(col);
            ok = cl > sl && strcmp(col + cl - sl, suffix) == 0;
        }
    }
    if (ok) {
        ok = 0;
        while (!ok && (len = getline(&line, &cap, f)) > 0)
            ok = line[strspn(line, " \t\r\n")] != '\0';
    }
    free(line);
    fclose(f);
    return ok;
}

/* A JSON file of the output folder, parsed (caller deletes); NULL when absent or invalid. */
static cJSON *read_json(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    char buf[8192];
    size_t got;
    while (mem && (got = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, got, mem);
    fclose(f);
    if (!mem)
        return NULL;
    fclose(mem);
    cJSON *json = cJSON_ParseWithLength(text, len);
    free(text);
    return json;
}

/* Scenario name and warm-up from summary.json, for titles and shading; absent is fine. */
static void read_summary(const char *dir, char *name, size_t name_len, char *warmup,
                         size_t warmup_len)
{
    name[0] = warmup[0] = '\0';
    cJSON *s = read_json(dir, "summary.json");
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(s, "scenario");
    const cJSON *wu = cJSON_GetObjectItemCaseSensitive(s, "warmup_s");
    if (cJSON_IsString(sc))
        snprintf(name, name_len, "%s", sc->valuestring);
    if (cJSON_IsNumber(wu) && wu->valuedouble > 0)
        snprintf(warmup, warmup_len, "%.17g", wu->valuedouble);
    cJSON_Delete(s);
}

/* The p99 objective (ms) from journey.json, for the dashed line; empty when absent. */
static void read_journey_slo(const char *dir, char *slo, size_t slo_len)
{
    slo[0] = '\0';
    cJSON *j = read_json(dir, "journey.json");
    const cJSON *p99 =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "slo"), "p99_ms");
    if (cJSON_IsNumber(p99) && p99->valuedouble > 0)
        snprintf(slo, slo_len, "%.17g", p99->valuedouble);
    cJSON_Delete(j);
}

/* Splits a CSV line in place at commas (no quoting: the series holds numbers and names
 * without commas); returns the number of fields, at most n. */
static size_t csv_split(char *line, char **fields, size_t n)
{
    line[strcspn(line, "\r\n")] = '\0';
    size_t k = 0;
    for (char *p = line; k < n;) {
        fields[k++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return k;
}

static void put_value(FILE *f, int first, double v)
{
    if (!first)
        fputc(',', f);
    if (!isnan(v))
        fprintf(f, "%.6g", v);
}

/* The buckets hold consecutive rows: the metrics intervals are of equal length. */
int plot_decimate(const char *src, const char *dst, size_t buckets)
{
    FILE *in = fopen(src, "r");
    if (!in)
        return -1;
    char *line = NULL;
    size_t cap = 0, rows = 0;
    ssize_t len = getline(&line, &cap, in);
    while (len > 0 && getline(&line, &cap, in) > 0)
        rows += line[strspn(line, " \t\r\n")] != '\0';
    if (len <= 0 || rows <= 2 * buckets) {
        free(line);
        fclose(in);
        return len <= 0 ? -1 : 0;
    }
    size_t per = (rows + buckets - 1) / buckets;
    rewind(in);
    FILE *out = fopen(dst, "w");
    int rc = out && getline(&line, &cap, in) > 0 ? 0 : -1;
    size_t ncol = 1;
    for (const char *p = line; rc == 0 && *p; p++)
        ncol += *p == ',';
    char **fields = sim_xmalloc(ncol * sizeof *fields);
    double *lo = sim_xmalloc(ncol * sizeof *lo), *hi = sim_xmalloc(ncol * sizeof *hi);
    if (rc == 0)
        fputs(line, out);
    size_t in_bucket = 0, seen = 0;
    while (rc == 0 && getline(&line, &cap, in) > 0) {
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        size_t n = csv_split(line, fields, ncol);
        if (in_bucket == 0)
            for (size_t c = 0; c < ncol; c++)
                lo[c] = hi[c] = NAN;
        for (size_t c = 0; c < n; c++) {
            char *end;
            double v = strtod(fields[c], &end);
            if (end == fields[c])
                continue;
            /* The time column keeps the bucket's first and last time. */
            if (isnan(lo[c]) || (c > 0 && v < lo[c]))
                lo[c] = v;
            if (c == 0 || isnan(hi[c]) || v > hi[c])
                hi[c] = v;
        }
        in_bucket++;
        seen++;
        if (in_bucket == per || seen == rows) {
            for (size_t c = 0; c < ncol; c++)
                put_value(out, c == 0, lo[c]);
            fputc('\n', out);
            for (size_t c = 0; c < ncol; c++)
                put_value(out, c == 0, hi[c]);
            fputc('\n', out);
            in_bucket = 0;
        }
    }
    free(fields);
    free(lo);
    free(hi);
    free(line);
    fclose(in);
    if (out && (ferror(out) | fclose(out)) != 0)
        rc = -1;
    return rc == 0 ? 1 : -1;
}

/* Reads the size of a PNG from its IHDR chunk; 0 x 0 when it is not a PNG. */
static void png_size(const char *path, int *width, int *height)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char h[24];
    *width = *height = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    size_t got = fread(h, 1, sizeof h, f);
    fclose(f);
    if (got != sizeof h || memcmp(h, sig, 8) != 0 || memcmp(h + 12, "IHDR", 4) != 0)
        return;
    *width = (int)((unsigned)h[16] << 24 | (unsigned)h[17] << 16 | (unsigned)h[18] << 8 | h[19]);
    *height = (int)((unsigned)h[20] << 24 | (unsigned)h[21] << 16 | (unsigned)h[22] << 8 | h[23]);
}

static void add_file(struct plot_list *list, const struct plot_def *d, const char *dir,
                     const char *ext)
{
    struct plot_file *pf = &list->files[list->n++];
    snprintf(pf->name, sizeof pf->name, "%s.%s", d->name, ext);
    snprintf(pf->title, sizeof pf->title, "%s", d->title);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, pf->name);
    png_size(path, &pf->width, &pf->height);
}

/* Runs gnuplot on one template; returns its exit status (PLOT_NOTHING: nothing to draw), or
 * -1 when it could not run or was killed. gnuplot's messages land in msg. */
static int run_gnuplot(const char *gnuplot, char *const argv[], char *msg, size_t msg_len)
{
    int fds[2];
    msg[0] = '\0';
    if (pipe(fds) != 0) {
        snprintf(msg, msg_len, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, msg_len, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        /* The child only rearranges descriptors and execs: async-signal-safe calls only. */
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
        }
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        signal(SIGALRM, SIG_DFL);
        alarm(PLOT_TIMEOUT_S);
        execv(gnuplot, argv);
        _exit(127);
    }
    close(fds[1]);
    /* Read everything so that gnuplot never blocks on a full pipe; keep the start. */
    size_t used = 0;
    char buf[4096];
    ssize_t got;
    while ((got = read(fds[0], buf, sizeof buf)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        size_t take = (size_t)got < msg_len - 1 - used ? (size_t)got : msg_len - 1 - used;
        memcpy(msg + used, buf, take);
        used += take;
    }
    msg[used] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    snprintf(msg + used, msg_len - used, "%sgnuplot ended by signal %d", used ? "\n" : "",
             WTERMSIG(status));
    return -1;
}

/* gnuplot's messages, indented under the warning and without the trailing blank lines. */
static void print_messages(const char *msg)
{
    size_t len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    const char *p = msg, *end = msg + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0)
            fprintf(stderr, "    %.*s\n", (int)n, p);
        p += n + 1;
    }
}

/* Removes the images of plot d that this run did not write (keep: the extension written, or
 * NULL for none), so that a folder never shows plots of an earlier run. */
static void remove_stale(const char *dir, const struct plot_def *d, const char *keep)
{
    static const char *const exts[] = {"png", "svg"};
    char path[4096];
    for (size_t i = 0; i < 2; i++) {
        if (keep && strcmp(keep, exts[i]) == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s.%s", dir, d->name, exts[i]);
        unlink(path);
    }
}

/* Runs every template of set that applies to the folder dir (an absolute path). args: the
 * template arguments after DIR OUT TERM, NULL-terminated, at most PLOT_ARGS of them. */
#define PLOT_ARGS 4
static int draw_set(const struct plot_set *set, const char *dir, const char *templates,
                    const char *gnuplot, const char *ext, const char *const *args,
                    struct plot_list *list, struct sim_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < set->n && rc == 0; i++) {
        const struct plot_def *d = &set->defs[i];
        char data[4096], script[4096], tmp[4096], final[4096], msg[2048];
        snprintf(data, sizeof data, "%s/%s", dir, d->data);
        if (!csv_applies(data, d->suffix)) {
            list->skipped++;
            remove_stale(dir, d, NULL);
            continue;
        }
        snprintf(script, sizeof script, "%s/%s.gp", templates, d->name);
        snprintf(tmp, sizeof tmp, "%s/.%s.%s.tmp%ld", dir, d->name, ext, (long)getpid());
        snprintf(final, sizeof final, "%s/%s.%s", dir, d->name, ext);
        /* -d: no ~/.gnuplot, so that every machine draws the same plots. */
        char *argv[7 + PLOT_ARGS + 1] = {"gnuplot",   "-d", "-c",       script,
                                         (char *)dir, tmp,  (char *)ext};
        for (size_t a = 0; a < PLOT_ARGS && args[a]; a++)
            argv[7 + a] = (char *)args[a];
        int status = run_gnuplot(gnuplot, argv, msg, sizeof msg);
        struct stat st;
        int made = status == 0 && stat(tmp, &st) == 0 && st.st_size > 0;
        if (!made) {
            unlink(tmp);
            remove_stale(dir, d, NULL);
            if (status == PLOT_NOTHING) {
                list->skipped++;
                continue;
            }
            list->failed++;
            if (status < 0)
                fprintf(stderr, "clustersim: warning: plot %s not drawn: gnuplot failed\n",
                        d->name);
            else
                fprintf(stderr, "clustersim: warning: plot %s not drawn: gnuplot exit status %d\n",
                        d->name, status);
            print_messages(msg);
            continue;
        }
        if (rename(tmp, final) != 0) {
            int e = errno;
            unlink(tmp);
            rc = sim_fail_runtime(err, "cannot write %s: %s", final, strerror(e));
            break;
        }
        remove_stale(dir, d, ext);
        add_file(list, d, dir, ext);
    }
    return rc;
}

/* Clears list and finds what drawing set into dir needs: gnuplot (*gnuplot) and the absolute
 * paths of dir and of the template folder (*absdir, *abstpl; the caller frees both). Returns 1
 * when all are there. Otherwise returns 0 after the warning and removing the set's images from
 * dir (no gnuplot or no templates: list->no_gnuplot), or counting every plot skipped (dir does
 * not exist: nothing to plot). */
static int plot_begin(const struct plot_set *set, const char *dir, const char *plots_dir,
                      struct plot_list *list, const char **gnuplot, char **absdir, char **abstpl)
{
    memset(list, 0, sizeof *list);
    *absdir = *abstpl = NULL;
    *gnuplot = plot_find_gnuplot();
    const char *templates = plots_dir ? plots_dir : plot_templates_dir();
    if (!*gnuplot || !templates || !has_template(templates, set->defs[0].name)) {
        if (!*gnuplot)
            fprintf(stderr, "clustersim: warning: gnuplot not found in PATH; no plots drawn "
                            "(the data files are written)\n");
        else
            fprintf(stderr,
                    "clustersim: warning: no plot templates in %s; no plots drawn "
                    "(set CLUSTERSIM_PLOTS to the plots/ folder)\n",
                    templates ? templates
                              : "$CLUSTERSIM_PLOTS, bin/../plots, "
                                "share/clustersim/plots or " PLOTS_DIR);
        list->no_gnuplot = 1;
        for (size_t i = 0; i < set->n; i++)
            remove_stale(dir, &set->defs[i], NULL);
        return 0;
    }
    /* gnuplot reads a file name starting with '<' as a command to run (for data, and for load
     * and -c): absolute paths never do. A folder that does not exist holds nothing to plot. */
    *absdir = realpath(dir, NULL);
    *abstpl = realpath(templates, NULL);
    if (*absdir && *abstpl)
        return 1;
    free(*absdir);
    free(*abstpl);
    *absdir = *abstpl = NULL;
    list->skipped = set->n;
    return 0;
}

int plot_run_list(const char *dir, const char *plots_dir, int svg, struct plot_list *list,
                  struct sim_error *err)
{
    const char *gnuplot;
    char *absdir, *abstpl;
    if (!plot_begin(&run_set, dir, plots_dir, list, &gnuplot, &absdir, &abstpl))
        return 0;
    char name[256], warmup[64], series[4096], decimated[4096];
    read_summary(absdir, name, sizeof name, warmup, sizeof warmup);
    snprintf(series, sizeof series, "%s/timeseries.csv", absdir);
    snprintf(decimated, sizeof decimated, "%s/.timeseries.plot.tmp%ld", absdir, (long)getpid());
    /* Without a decimated copy the templates read the series itself (slowly, if it is long). */
    if (plot_decimate(series, decimated, PLOT_BUCKETS) != 1) {
        unlink(decimated);
        decimated[0] = '\0';
    }
    const char *const args[] = {name, warmup, decimated, NULL};
    int rc = draw_set(&run_set, absdir, abstpl, gnuplot, svg ? "svg" : "png", args, list, err);
    if (decimated[0])
        unlink(decimated);
    free(absdir);
    free(abstpl);
    return rc;
}

int plot_run(const char *dir, const char *plots_dir, int svg, struct sim_error *err)
{
    struct plot_list list;
    return plot_run_list(dir, plots_dir, svg, &list, err);
}

int plot_journey(const char *dir, const char *plots_dir, int svg, struct plot_list *list,
                 struct sim_error *err)
{
    const char *gnuplot;
    char *absdir, *abstpl;
    if (!plot_begin(&journey_set, dir, plots_dir, list, &gnuplot, &absdir, &abstpl))
        return 0;
    char slo[64];
    read_journey_slo(absdir, slo, sizeof slo);
    /* No title prefix: the report's heading names the journey. */
    const char *const args[] = {"", slo, NULL};
    int rc = draw_set(&journey_set, absdir, abstpl, gnuplot, svg ? "svg" : "png", args, list, err);
    free(absdir);
    free(abstpl);
    return rc;
}

/* How the templates draw the first parameter's axis: "category" when a value is not a plain
 * number (a duration such as 10ms, a name), "log" when all are positive and span more than a
 * decade, else "linear". */
static const char *sweep_xmode(const cJSON *points, const char *first)
{
    double lo = INFINITY, hi = -INFINITY;
    for (const cJSON *pt = points ? points->child : NULL; pt; pt = pt->next) {
        const cJSON *v =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pt, "point"), first);
        if (!cJSON_IsString(v))
            return "category";
        char *end;
        double x = strtod(v->valuestring, &end);
        if (end == v->valuestring || *end || !isfinite(x))
            return "category";
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    return lo > 0 && hi > 10 * lo ? "log" : "linear";
}

int plot_sweep(const char *dir, const char *plots_dir, int svg, struct plot_list *list,
               struct sim_error *err)
{
    const char *gnuplot;
    char *absdir, *abstpl;
    if (!plot_begin(&sweep_set, dir, plots_dir, list, &gnuplot, &absdir, &abstpl))
        return 0;
    /* The layout of sweep.csv comes from sweep.json: without it there is nothing to draw. */
    cJSON *sw = read_json(absdir, "sweep.json");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(sw, "params");
    const cJSON *reps = cJSON_GetObjectItemCaseSensitive(sw, "replications");
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(sw, "scenario");
    int np = cJSON_IsArray(params) ? cJSON_GetArraySize(params) : 0;
    int rc = 0;
    if (np == 0 || !cJSON_IsString(params->child)) {
        list->skipped = sweep_set.n;
        for (size_t i = 0; i < sweep_set.n; i++)
            remove_stale(absdir, &sweep_set.defs[i], NULL);
    } else {
        char nparams[16], name[256];
        snprintf(nparams, sizeof nparams, "%d", np);
        snprintf(name, sizeof name, "%s", cJSON_IsString(sc) ? sc->valuestring : "");
        const char *ci = cJSON_IsNumber(reps) && reps->valuedouble > 1 ? "1" : "0";
        const char *xmode = sweep_xmode(cJSON_GetObjectItemCaseSensitive(sw, "points"),
                                        params->child->valuestring);
        const char *const args[] = {name, nparams, ci, xmode, NULL};
        rc = draw_set(&sweep_set, absdir, abstpl, gnuplot, svg ? "svg" : "png", args, list, err);
    }
    cJSON_Delete(sw);
    free(absdir);
    free(abstpl);
    return rc;
}

static void list_existing(const struct plot_set *set, const char *dir, struct plot_list *list)
{
    memset(list, 0, sizeof *list);
    char path[4096];
    for (size_t i = 0; i < set->n; i++) {
        static const char *const exts[] = {"png", "svg"};
        for (size_t e = 0; e < 2; e++) {
            snprintf(path, sizeof path, "%s/%s.%s", dir, set->defs[i].name, exts[e]);
            if (is_file(path, 0)) {
                add_file(list, &set->defs[i], dir, exts[e]);
                break;
            }
        }
    }
}

void plot_list_existing(const char *dir, struct plot_list *list)
{
    list_existing(&run_set, dir, list);
}

void plot_journey_existing(const char *dir, struct plot_list *list)
{
    list_existing(&journey_set, dir, list);
}

void plot_sweep_existing(const char *dir, struct plot_list *list)
{
    list_existing(&sweep_set, dir, list);
}
