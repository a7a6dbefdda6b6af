/* Scenario loading: read, apply --set overrides, validate every field strictly, resolve ids,
 * check the call graph (Kahn's topological order; a cycle is reported by name). Every error
 * carries a JSON path; the line is found in the source text at the end. */
#include "sim/scenario.h"
#include "sim/evq.h"
#include "sim/jsonloc.h"
#include "sim/limits.h"
#include "sim/units.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCN_MAX_FILE (64u << 20) /* bytes; larger scenario files are refused */
#define SCN_MAX_POINTS 100000
#define SCN_MAX_ROWS 1000000     /* time-series rows: duration / interval */
#define SCN_MAX_COMPONENTS 10000
#define SCN_MAX_EVENTS 100000
#define SCN_MAX_RATE 1e9 /* req/s */
#define SCN_MAX_USERS 1e10
#define SCN_MAX_RATE_PER_USER 1e6 /* req/s */
/* Arrivals a run may expect (peak rate x duration). At this many the mean gap between two
 * arrivals is still about 45 times the clock's resolution at the end of the run (2^-52 of the
 * duration); far beyond, gaps would round to nothing and simulated time would stop. No run that
 * finishes in a human lifetime gets near it. */
#define SCN_MAX_REQUESTS 1e14
#define PATHLEN 256

/* ---- small helpers --------------------------------------------------------------------- */

static const cJSON *member(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static int check_members(const cJSON *obj, const char *const *allowed, const char *path,
                         struct sim_error *err)
{
    char sub[PATHLEN];
    if (!cJSON_IsObject(obj))
        return sim_fail(err, path, "must be an object");
    for (const cJSON *m = obj->child; m; m = m->next) {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            ok |= strcmp(allowed[i], m->string) == 0;
        if (ok)
            continue;
        const char *near = suggest_word(m->string, allowed);
        path_member(sub, sizeof sub, path, m->string);
        if (near)
            return sim_fail(err, sub, "unknown field \"%s\" (did you mean \"%s\"?)", m->string,
                            near);
        return sim_fail(err, sub, "unknown field \"%s\"", m->string);
    }
    return 0;
}

static int get_number(const cJSON *v, const char *path, double min, double max, double *out,
                      struct sim_error *err)
{
    if (!cJSON_IsNumber(v))
        return sim_fail(err, path, "must be a number");
    double x = v->valuedouble;
    if (!isfinite(x) || x < min || x > max) {
        if (max >= 1e300)
            return sim_fail(err, path, "must be at least %g, got %g", min, x);
        return sim_fail(err, path, "must be between %g and %g, got %g", min, max, x);
    }
    *out = x;
    return 0;
}

static int get_count(const cJSON *v, const char *path, double min, double max, uint64_t *out,
                     struct sim_error *err)
{
    double x;
    if (get_number(v, path, min, max, &x, err))
        return -1;
    if (x != floor(x))
        return sim_fail(err, path, "must be a whole number, got %g", x);
    *out = (uint64_t)x;
    return 0;
}

static int get_duration(const cJSON *v, const char *path, double *out, struct sim_error *err)
{
    return units_duration(v, path, out, err);
}

static int get_bounded_duration(const cJSON *v, const char *path, double max, double *out,
                                struct sim_error *err)
{
    if (units_duration(v, path, out, err))
        return -1;
    if (*out > max)
        return sim_fail(err, path, "must be at most %g s, got %g s", max, *out);
    return 0;
}

int scenario_find(const struct scenario *sc, const char *id)
{
    for (size_t i = 0; i < sc->ncomp; i++)
        if (sc->comps[i].id && strcmp(sc->comps[i].id, id) == 0)
            return (int)i;
    return -1;
}

int scenario_op(const struct scenario *sc, const char *op)
{
    for (size_t i = 0; i < sc->wl.nops; i++)
        if (strcmp(sc->wl.op_names[i], op) == 0)
            return (int)i;
    return -1;
}

static int resolve_id(const struct scenario *sc, const cJSON *v, const char *path, uint32_t *out,
                      struct sim_error *err)
{
    if (!cJSON_IsString(v))
        return sim_fail(err, path, "must be a component id (a string)");
    int i = scenario_find(sc, v->valuestring);
    if (i >= 0) {
        *out = (uint32_t)i;
        return 0;
    }
    const char *ids[SCN_MAX_COMPONENTS + 1];
    size_t n = 0;
    for (size_t k = 0; k < sc->ncomp; k++)
        ids[n++] = sc->comps[k].id;
    ids[n] = NULL;
    const char *near = suggest_word(v->valuestring, ids);
    if (near)
        return sim_fail(err, path, "unknown component \"%s\" (did you mean \"%s\"?)",
                        v->valuestring, near);
    return sim_fail(err, path, "unknown component \"%s\"", v->valuestring);
}

/* Text for a message (as much as fits in buf), with control and non-ASCII bytes written as \xNN so
 * that hostile bytes never reach the terminal. */
static const char *printable(const char *text, size_t len, char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 5 < cap; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c < 0x7f)
            buf[n++] = (char)c;
        else
            n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", c);
    }
    buf[n] = '\0';
    return buf;
}

/* ---- points ---------------------------------------------------------------------------- */

double points_at(const struct points *p, enum ramp_kind ramp, double t)
{
    if (p->n == 0)
        return 0;
    if (t <= p->t[0])
        return p->v[0];
    if (t >= p->t[p->n - 1])
        return p->v[p->n - 1];
    size_t lo = 0, hi = p->n - 1; /* p->t[lo] <= t < p->t[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (p->t[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    if (ramp == RAMP_STEP)
        return p->v[lo];
    double f = (t - p->t[lo]) / (p->t[hi] - p->t[lo]);
    return p->v[lo] + f * (p->v[hi] - p->v[lo]);
}

static void points_free(struct points *p)
{
    free(p->t);
    free(p->v);
    p->t = p->v = NULL;
    p->n = 0;
}

/* A number (a constant) or a list of [time, value] pairs with increasing times. */
static int parse_points(const cJSON *v, const char *path, double max, struct points *out,
                        struct sim_error *err)
{
    char sub[PATHLEN], sub2[PATHLEN];
    points_free(out);
    if (cJSON_IsNumber(v)) {
        double x;
        if (get_number(v, path, 0, max, &x, err))
            return -1;
        out->n = 1;
        out->t = sim_xmalloc(sizeof(double));
        out->v = sim_xmalloc(sizeof(double));
        out->t[0] = 0;
        out->v[0] = x;
        return 0;
    }
    if (!cJSON_IsArray(v))
        return sim_fail(err, path, "must be a number or a list of [time, value] points");
    int n = cJSON_GetArraySize(v);
    if (n < 1)
        return sim_fail(err, path, "needs at least one [time, value] point");
    if (n > SCN_MAX_POINTS)
        return sim_fail(err, path, "has %d points; at most %d are allowed", n, SCN_MAX_POINTS);
    out->t = sim_xcalloc((size_t)n, sizeof(double));
    out->v = sim_xcalloc((size_t)n, sizeof(double));
    int i = 0;
    for (const cJSON *pt = v->child; pt; pt = pt->next, i++) {
        path_index(sub, sizeof sub, path, (size_t)i);
        if (!cJSON_IsArray(pt) || cJSON_GetArraySize(pt) != 2)
            return sim_fail(err, sub, "must be a [time, value] pair such as [\"10m\", 1000]");
        if (get_duration(pt->child, path_index(sub2, sizeof sub2, sub, 0), &out->t[i], err))
            return -1;
        if (get_number(pt->child->next, path_index(sub2, sizeof sub2, sub, 1), 0, max,
                       &out->v[i], err))
            return -1;
        if (i > 0 && out->t[i] <= out->t[i - 1])
            return sim_fail(err, path_index(sub2, sizeof sub2, sub, 0),
                            "times must increase from point to point");
        out->n = (size_t)i + 1;
    }
    return 0;
}

/* ---- workload -------------------------------------------------------------------------- */

static int parse_trace(struct scenario *sc, const char *path, struct sim_error *err);

static int parse_ops(struct scenario *sc, const cJSON *ops, const char *path,
                     struct sim_error *err)
{
    struct workload *wl = &sc->wl;
    char sub[PATHLEN];
    if (!ops) {
        wl->nops = 1;
        wl->op_names[0] = sim_xstrdup("read");
        wl->op_weights[0] = 1;
        return 0;
    }
    if (!cJSON_IsObject(ops) || !ops->child)
        return sim_fail(err, path, "must be an object of op name -> weight, e.g. "
                                   "{\"read\": 0.9, \"write\": 0.1}");
    double total = 0;
    for (const cJSON *m = ops->child; m; m = m->next) {
        path_member(sub, sizeof sub, path, m->string);
        if (wl->nops == SCN_MAX_OPS)
            return sim_fail(err, sub, "too many ops (at most %d)", SCN_MAX_OPS);
        if (!m->string[0] || strcmp(m->string, "*") == 0)
            return sim_fail(err, sub, "an op needs a name (\"*\" is reserved)");
        double w;
        if (get_number(m, sub, 0, 1e300, &w, err))
            return -1;
        wl->op_names[wl->nops] = sim_xstrdup(m->string);
        wl->op_weights[wl->nops] = w;
        wl->nops++;
        total += w;
    }
    if (!(total > 0))
        return sim_fail(err, path, "the op weights must not all be zero");
    return 0;
}

static int parse_entry(struct scenario *sc, const cJSON *entry, const char *path,
                       struct sim_error *err)
{
    struct workload *wl = &sc->wl;
    char sub[PATHLEN];
    if (!entry)
        return sim_fail(err, path[0] ? "workload" : path,
                        "missing required field \"entry\" (the component that receives requests)");
    if (cJSON_IsString(entry)) {
        uint32_t c;
        if (resolve_id(sc, entry, path, &c, err))
            return -1;
        for (size_t i = 0; i < wl->nops; i++)
            wl->entry[i] = c;
        return 0;
    }
    if (!cJSON_IsObject(entry))
        return sim_fail(err, path, "must be a component id or an object of op -> id with \"*\"");
    const cJSON *star = member(entry, "*");
    for (const cJSON *m = entry->child; m; m = m->next) {
        path_member(sub, sizeof sub, path, m->string);
        if (strcmp(m->string, "*") != 0 && scenario_op(sc, m->string) < 0) {
            /* op_names is full (no NULL after it) when the workload has SCN_MAX_OPS ops. */
            const char *names[SCN_MAX_OPS + 1];
            for (size_t i = 0; i < wl->nops; i++)
                names[i] = wl->op_names[i];
            names[wl->nops] = NULL;
            const char *near = suggest_word(m->string, names);
            return sim_fail(err, sub, "unknown op \"%s\"%s%s%s", m->string,
                            near ? " (did you mean \"" : " (not in workload.ops)",
                            near ? near : "", near ? "\"?)" : "");
        }
        uint32_t c;
        if (resolve_id(sc, m, sub, &c, err))
            return -1;
    }
    for (size_t i = 0; i < wl->nops; i++) {
        const cJSON *e = member(entry, wl->op_names[i]);
        if (!e)
            e = star;
        if (!e)
            return sim_fail(err, path, "no entry for op \"%s\" (add it or \"*\")",
                            wl->op_names[i]);
        resolve_id(sc, e, path, &wl->entry[i], err);
    }
    return 0;
}

static int parse_keys(struct scenario *sc, const cJSON *keys, const char *path,
                      struct sim_error *err)
{
    static const char *const allowed[] = {"count", "dist", "s", "hot", NULL};
    static const char *const hot_allowed[] = {"keys", "share", NULL};
    struct workload *wl = &sc->wl;
    char sub[PATHLEN], sub2[PATHLEN];
    wl->key_count = 1000000;
    wl->key_zipf = 0;
    wl->key_s = 0.99;
    if (!keys)
        return 0;
    if (check_members(keys, allowed, path, err))
        return -1;
    const cJSON *v;
    if ((v = member(keys, "count")) &&
        get_count(v, path_member(sub, sizeof sub, path, "count"), 1, 1e15, &wl->key_count, err))
        return -1;
    if ((v = member(keys, "dist"))) {
        path_member(sub, sizeof sub, path, "dist");
        if (!cJSON_IsString(v) ||
            (strcmp(v->valuestring, "zipf") != 0 && strcmp(v->valuestring, "uniform") != 0))
            return sim_fail(err, sub, "must be \"zipf\" or \"uniform\"");
        wl->key_zipf = strcmp(v->valuestring, "zipf") == 0;
    }
    if ((v = member(keys, "s"))) {
        path_member(sub, sizeof sub, path, "s");
        if (!wl->key_zipf)
            return sim_fail(err, sub, "\"s\" applies only to \"dist\": \"zipf\"");
        if (get_number(v, sub, 0, 20, &wl->key_s, err))
            return -1;
    }
    if ((v = member(keys, "hot"))) {
        path_member(sub, sizeof sub, path, "hot");
        if (check_members(v, hot_allowed, sub, err))
            return -1;
        const cJSON *k = member(v, "keys"), *s = member(v, "share");
        if (!k || !s)
            return sim_fail(err, sub, "needs \"keys\" and \"share\", e.g. "
                                      "{\"keys\": 3, \"share\": 0.2}");
        if (get_count(k, path_member(sub2, sizeof sub2, sub, "keys"), 1, (double)wl->key_count,
                      &wl->hot_keys, err))
            return -1;
        if (get_number(s, path_member(sub2, sizeof sub2, sub, "share"), 0, 1, &wl->hot_share,
                       err))
            return -1;
    }
    return 0;
}

static int parse_workload(struct scenario *sc, const cJSON *w, struct sim_error *err)
{
    static const char *const allowed[] = {"rate",    "users",  "rate_per_user", "ramp",
                                          "arrivals", "entry",  "ops",           "keys",
                                          "clients",  "trace",  "object_size",   "regions",
                                          NULL};
    struct workload *wl = &sc->wl;
    const char *path = "workload";
    char sub[PATHLEN];
    if (!w)
        return sim_fail(err, "", "missing required field \"workload\"");
    if (check_members(w, allowed, path, err))
        return -1;
    const cJSON *rate = member(w, "rate"), *users = member(w, "users"),
                *rpu = member(w, "rate_per_user"), *v;
    if (rate && users)
        return sim_fail(err, "workload.users", "give either \"rate\" or \"users\", not both");
    if (!rate && !users && !member(w, "trace"))
        return sim_fail(err, path, "needs \"rate\" (requests/s) or \"users\" with "
                                   "\"rate_per_user\"");
    if (rate && parse_points(rate, "workload.rate", SCN_MAX_RATE, &wl->rate, err))
        return -1;
    if (rate && rpu)
        return sim_fail(err, "workload.rate_per_user", "goes with \"users\", not \"rate\"");
    if (users) {
        wl->by_users = 1;
        if (parse_points(users, "workload.users", SCN_MAX_USERS, &wl->users, err))
            return -1;
        if (!rpu)
            return sim_fail(err, path, "\"users\" needs \"rate_per_user\" (requests/s per user)");
    }
    if (rpu && get_number(rpu, "workload.rate_per_user", 0, SCN_MAX_RATE_PER_USER,
                          &wl->rate_per_user, err))
        return -1;
    if ((v = member(w, "ramp"))) {
        if (!cJSON_IsString(v) || (strcmp(v->valuestring, "linear") != 0 &&
                                   strcmp(v->valuestring, "step") != 0))
            return sim_fail(err, "workload.ramp", "must be \"linear\" or \"step\"");
        wl->ramp = strcmp(v->valuestring, "step") == 0 ? RAMP_STEP : RAMP_LINEAR;
    }
    if ((v = member(w, "arrivals"))) {
        if (!cJSON_IsString(v) || (strcmp(v->valuestring, "poisson") != 0 &&
                                   strcmp(v->valuestring, "uniform") != 0))
            return sim_fail(err, "workload.arrivals", "must be \"poisson\" or \"uniform\"");
        wl->arrivals = strcmp(v->valuestring, "uniform") == 0 ? ARRIVALS_UNIFORM : ARRIVALS_POISSON;
    }
    if (parse_entry(sc, member(w, "entry"), "workload.entry", err))
        return -1;
    if (parse_keys(sc, member(w, "keys"), "workload.keys", err))
        return -1;
    if ((v = member(w, "clients"))) {
        if (get_count(v, "workload.clients", 1, 4294967295.0, &wl->clients, err))
            return -1;
    } else if (wl->by_users) {
        double most = 1;
        for (size_t i = 0; i < wl->users.n; i++)
            most = fmax(most, wl->users.v[i]);
        wl->clients = (uint64_t)fmin(ceil(most), 4294967295.0);
    } else {
        wl->clients = 10000;
    }
    if ((v = member(w, "object_size")) &&
        units_size(v, "workload.object_size", &wl->object_size, err))
        return -1;
    if ((v = member(w, "trace"))) {
        if (!cJSON_IsString(v) || !v->valuestring[0])
            return sim_fail(err, "workload.trace", "must be a file name");
        wl->trace_path = sim_xstrdup(v->valuestring);
        if (parse_trace(sc, "workload.trace", err))
            return -1;
    }
    (void)sub;
    return 0;
}

/* Opens a regular file for reading without blocking on a FIFO or a device first (a scenario
 * or trace named /dev/zero or a pipe must be refused, not read forever). NULL with errno set;
 * EINVAL stands for "not a regular file". */
static FILE *open_regular(const char *name, struct stat *st)
{
    int fd = open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        int e = S_ISREG(st->st_mode) ? errno : EINVAL;
        close(fd);
        errno = e;
        return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f)
        close(fd);
    return f;
}

/* Reads one line (without its newline) of at most cap - 1 bytes into buf. Returns 1 for a
 * line, 0 at the end of the file, -1 for a line too long; *nul says whether it held a NUL. */
static int read_line(FILE *f, char *buf, size_t cap, size_t *len, int *nul)
{
    size_t n = 0;
    int c;
    *nul = 0;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (n + 1 >= cap)
            return -1;
        *nul |= c == 0;
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    *len = n;
    return c == EOF && n == 0 ? 0 : 1;
}

/* The trace is read and checked completely at load, so a bad line stops the run before it
 * starts. A relative name is taken from the scenario's folder. Rows are capped by the memory
 * limit, so that a huge trace is refused rather than exhausting memory while it loads. */
static int parse_trace(struct scenario *sc, const char *path, struct sim_error *err)
{
    struct workload *wl = &sc->wl;
    char full[4096];
    const char *name = wl->trace_path;
    const char *slash = strrchr(sc->file, '/');
    if (name[0] != '/' && slash)
        snprintf(full, sizeof full, "%.*s/%s", (int)(slash - sc->file), sc->file, name);
    else
        snprintf(full, sizeof full, "%s", name);
    double limit;
    if (limits_memory_limit(&limit, err))
        return -1;
    size_t max_rows = (size_t)fmin(limit / sizeof *wl->trace, (double)(SIZE_MAX / 2));
    struct stat st;
    FILE *f = open_regular(full, &st);
    if (!f)
        return sim_fail(err, path, "cannot read trace \"%s\": %s", full,
                        errno == EINVAL ? "not a regular file" : strerror(errno));
    char line[1024], shown[128];
    size_t cap = 0, lineno = 0, len;
    int rc = 0, nul, got;
    while ((got = read_line(f, line, sizeof line, &len, &nul)) != 0) {
        lineno++;
        if (got < 0) {
            rc = sim_fail(err, path, "%s:%zu: the line is longer than %zu bytes", full, lineno,
                          sizeof line - 1);
            break;
        }
        if (nul) {
            rc = sim_fail(err, path, "%s:%zu: the line holds a NUL byte", full, lineno);
            break;
        }
        while (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (len == 0 || line[0] == '#' || (lineno == 1 && strncmp(line, "t_s", 3) == 0))
            continue;
        char op[128];
        double t;
        unsigned long long key, client;
        int used = 0;
        if (sscanf(line, "%lf,%127[^,],%llu,%llu%n", &t, op, &key, &client, &used) != 4 ||
            (size_t)used != len || !isfinite(t) || t < 0 ||
            !((line[0] >= '0' && line[0] <= '9') || line[0] == '.')) {
            rc = sim_fail(err, path,
                          "%s:%zu: expected t_s,op,key,client (e.g. 0.5,read,42,7), "
                          "got \"%s\"",
                          full, lineno, printable(line, len, shown, sizeof shown));
            break;
        }
        int opi = scenario_op(sc, op);
        if (opi < 0) {
            rc = sim_fail(err, path, "%s:%zu: op \"%s\" is not in workload.ops", full, lineno,
                          printable(op, strlen(op), shown, sizeof shown));
            break;
        }
        if (wl->ntrace && t < wl->trace[wl->ntrace - 1].t) {
            rc = sim_fail(err, path, "%s:%zu: times must not decrease", full, lineno);
            break;
        }
        if (key >= wl->key_count || client > 4294967295ULL) {
            rc = sim_fail(err, path, "%s:%zu: key must be below workload.keys.count (%llu) and "
                                     "client below 2^32", full, lineno,
                          (unsigned long long)wl->key_count);
            break;
        }
        if (wl->ntrace == max_rows) {
            char a[32];
            rc = sim_fail(err, path,
                          "%s:%zu: more than %zu rows would need more than the memory "
                          "limit of %s (set %s to change it)",
                          full, lineno, max_rows, limits_format_bytes(limit, a, sizeof a),
                          LIMITS_MEMORY_ENV);
            break;
        }
        if (wl->ntrace == cap) {
            cap = cap ? 2 * cap : 1024;
            if (cap > max_rows)
                cap = max_rows;
            wl->trace = sim_xrealloc(wl->trace, cap * sizeof *wl->trace);
        }
        wl->trace[wl->ntrace++] = (struct trace_row){t, (uint16_t)opi, key, (uint32_t)client};
    }
    if (!rc && ferror(f))
        rc = sim_fail(err, path, "error reading trace \"%s\"", full);
    fclose(f);
    return rc;
}

/* ---- components ------------------------------------------------------------------------ */

struct common_cfg {
    char *id;
    char *type;
    int64_t nodes;
    struct dist latency;
    double timeout;
    const cJSON *retries;
    char *region;
};

static const struct param_spec common_params[] = {
    {"id", PT_STRING, offsetof(struct common_cfg, id), 0, 0, NULL, "unique component id", NULL,
     PARAM_REQUIRED},
    {"type", PT_STRING, offsetof(struct common_cfg, type), 0, 0, NULL, "component type", NULL,
     PARAM_REQUIRED},
    {"nodes", PT_INT, offsetof(struct common_cfg, nodes), 1, 100000, "1",
     "identical instances", NULL, PARAM_SETTABLE},
    {"latency", PT_DIST, offsetof(struct common_cfg, latency), 0, 0, "0",
     "one-way network delay of a call into it (and of the reply)", NULL, 0},
    {"timeout", PT_DURATION, offsetof(struct common_cfg, timeout), 0, 1e9, "0",
     "the caller gives up after this long (0: never)", NULL, 0},
    {"retries", PT_JSON, offsetof(struct common_cfg, retries), 0, 0, NULL,
     "callers retry failed calls into it: {\"max\": 3, \"backoff\": \"50ms\", "
     "\"multiplier\": 2, \"max_backoff\": \"2s\", \"jitter\": \"full\", "
     "\"on\": [\"failed\", \"timeout\", \"rejected\"]}",
     NULL, 0},
    {"region", PT_STRING, offsetof(struct common_cfg, region), 0, 0, NULL,
     "region (data center) it runs in, one of the top-level \"regions\"; calls from another "
     "region pay the latency between the two",
     NULL, 0},
    PARAM_END,
};

const struct param_spec *scenario_common_params(void)
{
    return common_params;
}

static int parse_retries(const cJSON *obj, const char *path, struct retry_policy *rp,
                         struct sim_error *err)
{
    static const char *const allowed[] = {"max",    "backoff", "multiplier", "max_backoff",
                                          "jitter", "on",      NULL};
    static const char *const jitters[] = {"full", "equal", "none", NULL};
    static const char *const statuses[] = {"failed", "timeout", "rejected", NULL};
    char sub[PATHLEN];
    *rp = (struct retry_policy){.backoff = 0.05, .multiplier = 2, .max_backoff = 10,
                                .on_failed = 1, .on_timeout = 1, .on_rejected = 1};
    if (!obj)
        return 0;
    if (check_members(obj, allowed, path, err))
        return -1;
    const cJSON *v;
    uint64_t max = 3;
    if ((v = member(obj, "max")) &&
        get_count(v, path_member(sub, sizeof sub, path, "max"), 0, 100, &max, err))
        return -1;
    rp->max = (uint32_t)max;
    if ((v = member(obj, "backoff")) &&
        get_bounded_duration(v, path_member(sub, sizeof sub, path, "backoff"), 1e9, &rp->backoff,
                             err))
        return -1;
    if ((v = member(obj, "multiplier")) &&
        get_number(v, path_member(sub, sizeof sub, path, "multiplier"), 1, 100, &rp->multiplier,
                   err))
        return -1;
    if ((v = member(obj, "max_backoff")) &&
        get_bounded_duration(v, path_member(sub, sizeof sub, path, "max_backoff"), 1e9,
                             &rp->max_backoff, err))
        return -1;
    if ((v = member(obj, "jitter"))) {
        int k = -1;
        for (int i = 0; jitters[i] && cJSON_IsString(v); i++)
            if (strcmp(jitters[i], v->valuestring) == 0)
                k = i;
        if (k < 0)
            return sim_fail(err, path_member(sub, sizeof sub, path, "jitter"),
                            "must be \"full\", \"equal\" or \"none\"");
        rp->jitter = (enum retry_jitter)k;
    }
    if ((v = member(obj, "on"))) {
        path_member(sub, sizeof sub, path, "on");
        if (!cJSON_IsArray(v))
            return sim_fail(err, sub, "must be a list of \"failed\", \"timeout\", "
                                      "\"rejected\"");
        rp->on_failed = rp->on_timeout = rp->on_rejected = 0;
        for (const cJSON *s = v->child; s; s = s->next) {
            int k = -1;
            for (int i = 0; statuses[i] && cJSON_IsString(s); i++)
                if (strcmp(statuses[i], s->valuestring) == 0)
                    k = i;
            if (k < 0)
                return sim_fail(err, sub, "must list only \"failed\", \"timeout\", "
                                          "\"rejected\"");
            if (k == 0)
                rp->on_failed = 1;
            else if (k == 1)
                rp->on_timeout = 1;
            else
                rp->on_rejected = 1;
        }
    }
    return 0;
}

static const struct model_ops *find_model(const struct model_ops *const *registry,
                                          const char *type)
{
    for (size_t i = 0; registry[i]; i++)
        if (strcmp(registry[i]->name, type) == 0)
            return registry[i];
    return NULL;
}

static int parse_components(struct scenario *sc, const cJSON *arr,
                            const struct model_ops *const *registry, struct sim_error *err)
{
    char path[PATHLEN], sub[PATHLEN];
    if (!arr)
        return sim_fail(err, "", "missing required field \"components\"");
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1)
        return sim_fail(err, "components", "must be a non-empty list of components");
    int n = cJSON_GetArraySize(arr);
    if (n > SCN_MAX_COMPONENTS)
        return sim_fail(err, "components", "has %d components; at most %d are allowed", n,
                        SCN_MAX_COMPONENTS);
    sc->comps = sim_xcalloc((size_t)n, sizeof *sc->comps);
    /* First pass: ids and types, so that later fields may name any component. */
    int i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        struct comp_spec *cs = &sc->comps[i];
        path_index(path, sizeof path, "components", (size_t)i);
        snprintf(cs->path, sizeof cs->path, "%s", path);
        cs->index = (uint32_t)i;
        sc->ncomp = (size_t)i + 1;
        if (!cJSON_IsObject(c))
            return sim_fail(err, path, "must be an object with \"id\" and \"type\"");
        const cJSON *id = member(c, "id"), *type = member(c, "type");
        if (!cJSON_IsString(id) || !id->valuestring[0])
            return sim_fail(err, id ? path_member(sub, sizeof sub, path, "id") : path,
                            "needs an \"id\": a non-empty string");
        const char *s = id->valuestring;
        if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
            strlen(s))
            return sim_fail(err, path_member(sub, sizeof sub, path, "id"),
                            "\"%s\": ids may use letters, digits, '_' and '-' only", s);
        if (scenario_find(sc, s) >= 0)
            return sim_fail(err, path_member(sub, sizeof sub, path, "id"),
                            "duplicate id \"%s\"", s);
        cs->id = sim_xstrdup(s);
        if (!cJSON_IsString(type))
            return sim_fail(err, type ? path_member(sub, sizeof sub, path, "type") : path,
                            "needs a \"type\" (a string)");
        cs->ops = find_model(registry, type->valuestring);
        if (!cs->ops) {
            const char *names[64];
            size_t k = 0;
            for (; registry[k] && k < 63; k++)
                names[k] = registry[k]->name;
            names[k] = NULL;
            const char *near = suggest_word(type->valuestring, names);
            char list[512] = "";
            size_t len = 0;
            for (size_t j = 0; names[j] && len < sizeof list; j++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "",
                                        names[j]);
            return sim_fail(err, path_member(sub, sizeof sub, path, "type"),
                            "unknown type \"%s\"%s%s%s (known: %s)", type->valuestring,
                            near ? " (did you mean \"" : "", near ? near : "",
                            near ? "\"?)" : "", list);
        }
    }
    /* Second pass: every field, through the common table and the model's table. Each
     * table fills its own struct; each pass skips the other's names, so an unknown field is
     * one that neither table knows. */
    i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        struct comp_spec *cs = &sc->comps[i];
        const struct param_spec *common_tab[] = {common_params, NULL};
        const struct param_spec *model_tab[] = {cs->ops->params, NULL};
        const char *common_names[16], *model_names[128];
        size_t k = 0;
        for (const struct param_spec *p = common_params; p->name; p++)
            common_names[k++] = p->name;
        common_names[k] = NULL;
        k = 0;
        for (const struct param_spec *p = cs->ops->params; p && p->name && k < 127; p++)
            model_names[k++] = p->name;
        model_names[k] = NULL;

        struct common_cfg common = {0};
        int rc = params_parse(common_tab, model_names, c, &common, cs->path, err);
        cs->nodes = common.nodes;
        cs->latency = common.latency;
        common.latency = (struct dist){0};
        cs->timeout = common.timeout;
        char rpath[PATHLEN];
        if (!rc && parse_retries(common.retries, path_member(rpath, sizeof rpath, cs->path,
                                                             "retries"),
                                 &cs->retry, err))
            rc = -1;
        cs->region = common.region;
        common.region = NULL;
        params_free(common_tab, &common);
        if (rc)
            return -1;
        if (cs->region) {
            int r = region_find(&sc->regions, cs->region);
            if (r < 0)
                return region_unknown(&sc->regions, cs->region,
                                      path_member(sub, sizeof sub, cs->path, "region"), err);
            cs->region_no = (uint16_t)(r + 1);
        }
        cs->config = sim_xcalloc(1, cs->ops->config_size ? cs->ops->config_size : 1);
        if (cs->ops->params && params_parse(model_tab, common_names, c, cs->config, cs->path, err))
            return -1;
    }
    /* Third pass: the models' own checks, which may resolve other components' ids. */
    i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        struct comp_spec *cs = &sc->comps[i];
        if (cs->ops->parse && cs->ops->parse(cs, c, sc, err))
            return -1;
    }
    (void)sub;
    return 0;
}

/* ---- events ---------------------------------------------------------------------------- */

static int parse_set_event(struct scenario *sc, struct scn_event *ev, const cJSON *e,
                           const char *path, struct sim_error *err)
{
    static const char *const settable[] = {"workload.rate", "workload.rate_per_user",
                                           "workload.users", NULL};
    char sub[PATHLEN];
    const cJSON *p = member(e, "path"), *v = member(e, "value");
    if (!cJSON_IsString(p))
        return sim_fail(err, path, "a \"set\" needs \"path\" (e.g. \"workload.rate_per_user\")");
    path_member(sub, sizeof sub, path, "path");
    int known = 0;
    for (size_t i = 0; settable[i]; i++)
        known |= strcmp(settable[i], p->valuestring) == 0;
    if (!known) {
        const char *near = suggest_word(p->valuestring, settable);
        return sim_fail(err, sub, "\"%s\" cannot change during a run%s%s%s (settable: "
                        "workload.rate, workload.rate_per_user, workload.users)",
                        p->valuestring, near ? "; did you mean \"" : "", near ? near : "",
                        near ? "\"?" : "");
    }
    int wants_users = strcmp(p->valuestring, "workload.rate") != 0;
    if (wants_users != sc->wl.by_users)
        return sim_fail(err, sub, "\"%s\" does not apply: the workload is given by \"%s\"",
                        p->valuestring, sc->wl.by_users ? "users" : "rate");
    if (!v)
        return sim_fail(err, path, "a \"set\" needs \"value\"");
    /* The same bounds as the workload's own fields. */
    double max = strcmp(p->valuestring, "workload.rate") == 0    ? SCN_MAX_RATE
                 : strcmp(p->valuestring, "workload.users") == 0 ? SCN_MAX_USERS
                                                                 : SCN_MAX_RATE_PER_USER;
    if (get_number(v, path_member(sub, sizeof sub, path, "value"), 0, max, &ev->set_value, err))
        return -1;
    ev->set_path = sim_xstrdup(p->valuestring);
    ev->action = EVA_SET;
    return 0;
}

static int parse_node_ref(const cJSON *v, const char *path, int64_t *out, struct sim_error *err)
{
    if (cJSON_IsString(v) && strcmp(v->valuestring, "primary") == 0) {
        *out = -2;
        return 0;
    }
    uint64_t n;
    if (!cJSON_IsNumber(v))
        return sim_fail(err, path, "must be a node index or \"primary\"");
    if (get_count(v, path, 0, 1e6, &n, err))
        return -1;
    *out = (int64_t)n;
    return 0;
}

/* A fail or recover of a region: every component placed there (names of regions and
 * components never clash, so the target is one or the other). */
static int parse_region_event(struct scenario *sc, struct scn_event *ev, const cJSON *e,
                              const cJSON *target, const char *path, struct sim_error *err)
{
    char sub[PATHLEN];
    path_member(sub, sizeof sub, path, "target");
    int r = region_find(&sc->regions, target->valuestring);
    if (r < 0) {
        /* Neither a component nor a region: suggest from both. */
        const char *names[SCN_MAX_COMPONENTS + REGION_MAX + 1];
        size_t n = 0;
        for (size_t k = 0; k < sc->ncomp; k++)
            names[n++] = sc->comps[k].id;
        for (size_t k = 0; k < sc->regions.n; k++)
            names[n++] = sc->regions.names[k];
        names[n] = NULL;
        const char *near = suggest_word(target->valuestring, names);
        if (near)
            return sim_fail(err, sub,
                            "unknown component or region \"%s\" (did you mean "
                            "\"%s\"?)",
                            target->valuestring, near);
        return sim_fail(err, sub, "unknown component or region \"%s\"", target->valuestring);
    }
    if (ev->action == EVA_SCALE)
        return sim_fail(err, sub,
                        "a region cannot be scaled (fail or recover it, or scale "
                        "its components)");
    if (member(e, "node") || member(e, "shard"))
        return sim_fail(err,
                        path_member(sub, sizeof sub, path, member(e, "node") ? "node" : "shard"),
                        "a region fails or recovers as a whole (no node or shard)");
    ev->region_no = (uint16_t)(r + 1);
    for (size_t k = 0; k < sc->ncomp; k++)
        if (sc->comps[k].region_no == ev->region_no && !sc->comps[k].ops->control)
            return sim_fail(err, sub, "%s in region %s cannot fail (a %s has no control)",
                            sc->comps[k].id, target->valuestring, sc->comps[k].ops->name);
    return 0;
}

static int parse_events(struct scenario *sc, const cJSON *arr, struct sim_error *err)
{
    static const char *const actions[] = {"scale", "fail", "recover", "set", NULL};
    static const char *const allowed[] = {"at",     "action", "target",   "nodes", "shards",
                                          "replicas", "edges", "node",    "shard", "path",
                                          "value",  NULL};
    static const char *const scale_fields[] = {"nodes", "shards", "replicas", "edges", NULL};
    char path[PATHLEN], sub[PATHLEN];
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return sim_fail(err, "events", "must be a list of events");
    int n = cJSON_GetArraySize(arr);
    if (n > SCN_MAX_EVENTS)
        return sim_fail(err, "events", "has %d events; at most %d are allowed", n,
                        SCN_MAX_EVENTS);
    sc->events = sim_xcalloc((size_t)n + 1, sizeof *sc->events);
    int i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        struct scn_event *ev = &sc->events[i];
        sc->nevents = (size_t)i + 1;
        path_index(path, sizeof path, "events", (size_t)i);
        snprintf(ev->path, sizeof ev->path, "%s", path);
        ev->node = -1;
        ev->shard = -1;
        if (check_members(e, allowed, path, err))
            return -1;
        const cJSON *at = member(e, "at"), *action = member(e, "action");
        if (!at)
            return sim_fail(err, path, "needs \"at\" (when it happens)");
        if (get_duration(at, path_member(sub, sizeof sub, path, "at"), &ev->at, err))
            return -1;
        if (ev->at > sc->duration)
            return sim_fail(err, sub, "is after the end of the run (duration %gs)", sc->duration);
        path_member(sub, sizeof sub, path, "action");
        if (!cJSON_IsString(action))
            return sim_fail(err, action ? sub : path,
                            "needs \"action\": scale, fail, recover or set");
        int a = -1;
        for (int k = 0; actions[k]; k++)
            if (strcmp(actions[k], action->valuestring) == 0)
                a = k;
        if (a < 0) {
            const char *near = suggest_word(action->valuestring, actions);
            return sim_fail(err, sub, "unknown action \"%s\"%s%s%s (scale, fail, recover, set)",
                            action->valuestring, near ? "; did you mean \"" : "",
                            near ? near : "", near ? "\"?" : "");
        }
        if (a == 3) {
            if (parse_set_event(sc, ev, e, path, err))
                return -1;
            continue;
        }
        ev->action = a == 0 ? EVA_SCALE : a == 1 ? EVA_FAIL : EVA_RECOVER;
        const cJSON *target = member(e, "target");
        if (!target)
            return sim_fail(err, path, "needs \"target\" (a component id or a region)");
        path_member(sub, sizeof sub, path, "target");
        if (cJSON_IsString(target) && scenario_find(sc, target->valuestring) < 0 && sc->regions.n) {
            if (parse_region_event(sc, ev, e, target, path, err))
                return -1;
            continue;
        }
        if (resolve_id(sc, target, sub, &ev->target, err))
            return -1;
        const struct comp_spec *cs = &sc->comps[ev->target];
        if (!cs->ops->control)
            return sim_fail(err, sub, "a %s cannot be scaled, failed or recovered",
                            cs->ops->name);
        if (ev->action == EVA_SCALE) {
            const cJSON *count = NULL;
            for (size_t k = 0; scale_fields[k]; k++) {
                const cJSON *f = member(e, scale_fields[k]);
                if (f && count)
                    return sim_fail(err, path, "a scale changes one of nodes, shards, replicas "
                                               "or edges at a time");
                if (f) {
                    count = f;
                    ev->what = scale_fields[k];
                }
            }
            if (!count)
                return sim_fail(err, path, "a scale needs the new \"nodes\" (or \"shards\", "
                                           "\"replicas\", \"edges\")");
            uint64_t nodes;
            if (get_count(count, path_member(sub, sizeof sub, path, ev->what), 0, 100000, &nodes,
                          err))
                return -1;
            ev->nodes = (int64_t)nodes;
        } else {
            const cJSON *node = member(e, "node"), *shard = member(e, "shard");
            if (node && parse_node_ref(node, path_member(sub, sizeof sub, path, "node"),
                                       &ev->node, err))
                return -1;
            uint64_t sh;
            if (shard) {
                if (get_count(shard, path_member(sub, sizeof sub, path, "shard"), 0, 1e6, &sh,
                              err))
                    return -1;
                ev->shard = (int64_t)sh;
            }
            if (ev->node >= 0 && ev->node >= cs->nodes && strcmp(cs->ops->name, "database"))
                return sim_fail(err, path_member(sub, sizeof sub, path, "node"),
                                "%s has nodes 0..%lld", cs->id, (long long)cs->nodes - 1);
        }
    }
    return 0;
}

/* The peak request rate over the run, `set` events included, times the duration. */
static int check_requests(const struct scenario *sc, struct sim_error *err)
{
    if (sc->wl.trace)
        return 0;
    double peak = limits_peak_rate(sc);
    if (peak * sc->duration > SCN_MAX_REQUESTS)
        return sim_fail(err, "workload",
                        "a peak of %g requests/s over %g s gives up to %g "
                        "requests; at most %g fit the clock's resolution",
                        peak, sc->duration, peak * sc->duration, SCN_MAX_REQUESTS);
    return 0;
}

/* ---- the call graph -------------------------------------------------------------------- */

struct edge_list {
    uint32_t *to;
    size_t n, cap;
};

static void add_edge(void *ctx, uint32_t to)
{
    struct edge_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4;
        l->to = sim_xrealloc(l->to, l->cap * sizeof *l->to);
    }
    l->to[l->n++] = to;
}

/* Kahn's algorithm gives the order callers-first; what it cannot order lies on or behind a
 * cycle, which a walk along remaining edges then finds and names. */
static int check_graph(struct scenario *sc, struct sim_error *err)
{
    size_t n = sc->ncomp;
    struct edge_list *out = sim_xcalloc(n, sizeof *out);
    uint32_t *indeg = sim_xcalloc(n, sizeof *indeg);
    for (size_t i = 0; i < n; i++)
        if (sc->comps[i].ops->edges)
            sc->comps[i].ops->edges(&sc->comps[i], add_edge, &out[i]);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < out[i].n; k++)
            indeg[out[i].to[k]]++;
    sc->topo = sim_xcalloc(n, sizeof *sc->topo);
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < n; i++)
        if (indeg[i] == 0)
            sc->topo[tail++] = (uint32_t)i;
    while (head < tail) {
        uint32_t u = sc->topo[head++];
        for (size_t k = 0; k < out[u].n; k++)
            if (--indeg[out[u].to[k]] == 0)
                sc->topo[tail++] = out[u].to[k];
    }
    int rc = 0;
    if (tail == n) {
        /* The longest chain of calls must fit the request's call stack (one frame for the
         * client, one per component on the chain). */
        uint32_t *longest = sim_xcalloc(n, sizeof *longest);
        for (size_t k = n; k-- > 0;) {
            uint32_t u = sc->topo[k], most = 0;
            for (size_t e = 0; e < out[u].n; e++)
                if (longest[out[u].to[e]] > most)
                    most = longest[out[u].to[e]];
            longest[u] = most + 1;
            if (longest[u] + 1 > REQ_MAX_DEPTH && !rc)
                rc = sim_fail(err, sc->comps[u].path, "the chain of calls from %s is %u "
                              "components long; at most %d are supported", sc->comps[u].id,
                              longest[u], REQ_MAX_DEPTH - 1);
        }
        free(longest);
    }
    if (tail < n) {
        /* Every remaining node has a remaining predecessor (its indeg counts exactly those),
         * so walking predecessors must revisit a node, and that loop is a cycle. Walking
         * successors instead could end at a node that merely lies behind a cycle. */
        uint32_t *pred = sim_xcalloc(n, sizeof *pred), *seen = sim_xcalloc(n, sizeof *seen);
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; indeg[i] > 0 && k < out[i].n; k++)
                if (indeg[out[i].to[k]] > 0)
                    pred[out[i].to[k]] = (uint32_t)i;
        uint32_t u = 0;
        while (indeg[u] == 0)
            u++;
        while (!seen[u]) {
            seen[u] = 1;
            u = pred[u];
        }
        /* The cycle through u, backwards; printed forwards. */
        size_t len = 0, m = 0;
        uint32_t *cyc = sim_xcalloc(n + 1, sizeof *cyc);
        uint32_t v = u;
        do {
            cyc[m++] = v;
            v = pred[v];
        } while (v != u);
        char msg[600];
        msg[0] = '\0';
        for (size_t k = m + 1; k-- > 0 && len < sizeof msg;)
            len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s", k < m ? " -> " : "",
                                    sc->comps[cyc[k % m]].id);
        rc = sim_fail(err, sc->comps[u].path, "the call graph has a cycle: %s", msg);
        free(cyc);
        free(seen);
        free(pred);
    }
    for (size_t i = 0; i < n; i++)
        free(out[i].to);
    free(out);
    free(indeg);
    return rc;
}

/* ---- --set overrides ------------------------------------------------------------------- */

/* Resolves PATH (dots and [i]; "components.ID" names a component by id) to the parent object
 * and the member name, creating missing objects on the way. Writes the canonical path. */
static int apply_set(cJSON *root, const char *assign, char *canon, size_t canon_len,
                     struct sim_error *err)
{
    size_t bad;
    if (!jsonloc_utf8_valid(assign, strlen(assign), &bad))
        return sim_fail(err, NULL, "not valid UTF-8 (byte 0x%02x at offset %zu)",
                        (unsigned char)assign[bad], bad);
    const char *eq = strchr(assign, '=');
    if (!eq || eq == assign)
        return sim_fail(err, NULL, "--set takes PATH=VALUE, got \"%s\"", assign);
    char path[PATHLEN];
    size_t plen = (size_t)(eq - assign);
    if (plen >= sizeof path)
        return sim_fail(err, NULL, "--set path too long");
    memcpy(path, assign, plen);
    path[plen] = '\0';
    const char *value = eq + 1;

    cJSON *node = root, *parent = NULL;
    char seg[PATHLEN];
    const char *p = path;
    size_t cl = 0;
    canon[0] = '\0';
    const char *last_name = NULL;
    char namebuf[PATHLEN];
    while (*p) {
        if (*p == '.')
            p++;
        size_t n = strcspn(p, ".[");
        if (*p == '[') {
            char *end;
            long idx = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || idx < 0)
                return sim_fail(err, path, "--set: bad index in path");
            if (!cJSON_IsArray(node) || idx >= cJSON_GetArraySize(node))
                return sim_fail(err, path, "--set: no element [%ld] here", idx);
            parent = node;
            node = cJSON_GetArrayItem(node, (int)idx);
            cl += (size_t)snprintf(canon + cl, canon_len - cl, "[%ld]", idx);
            if (cl >= canon_len)
                return sim_fail(err, path, "--set path too long");
            p = end + 1;
            last_name = NULL;
            continue;
        }
        if (n == 0)
            return sim_fail(err, path, "--set: empty name in path");
        memcpy(seg, p, n);
        seg[n] = '\0';
        p += n;
        if (cJSON_IsArray(node) && parent == root && cl >= 10 &&
            strcmp(canon, "components") == 0) {
            /* components.ID: find the component with that id. */
            int idx = 0, found = -1;
            for (cJSON *c = node->child; c; c = c->next, idx++) {
                cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
                if (cJSON_IsString(id) && strcmp(id->valuestring, seg) == 0)
                    found = idx;
            }
            if (found < 0)
                return sim_fail(err, path, "--set: no component with id \"%s\"", seg);
            parent = node;
            node = cJSON_GetArrayItem(node, found);
            cl += (size_t)snprintf(canon + cl, canon_len - cl, "[%d]", found);
            if (cl >= canon_len)
                return sim_fail(err, path, "--set path too long");
            last_name = NULL;
            continue;
        }
        if (!cJSON_IsObject(node))
            return sim_fail(err, path, "--set: \"%s\" is not inside an object", seg);
        cl += (size_t)snprintf(canon + cl, canon_len - cl, "%s%s", cl ? "." : "", seg);
        /* The canonical path can outgrow the given one ("components.w" -> "[1000]"). */
        if (cl >= canon_len)
            return sim_fail(err, path, "--set path too long");
        snprintf(namebuf, sizeof namebuf, "%s", seg);
        last_name = namebuf;
        parent = node;
        cJSON *next = cJSON_GetObjectItemCaseSensitive(node, seg);
        if (!next && *p) {
            next = cJSON_AddObjectToObject(node, seg);
        }
        node = next;
    }
    if (!last_name || !parent)
        return sim_fail(err, path, "--set: the path must end in a field name");
    /* The whole value must be JSON (so "300s" is a string, not the number 300). */
    cJSON *val = cJSON_ParseWithOpts(value, NULL, 1);
    char where[PATHLEN], why[128];
    int line;
    if (val && jsonloc_find_bad_string(value, strlen(value), where, sizeof where, &line, why,
                                       sizeof why)) {
        cJSON_Delete(val);
        return sim_fail(err, path, "in the value, %s", why);
    }
    if (!val)
        val = cJSON_CreateString(value);
    if (cJSON_GetObjectItemCaseSensitive(parent, last_name))
        cJSON_ReplaceItemInObjectCaseSensitive(parent, last_name, val);
    else
        cJSON_AddItemToObject(parent, last_name, val);
    return 0;
}

/* ---- top level ------------------------------------------------------------------------- */

static int parse_top(struct scenario *sc, const struct model_ops *const *registry,
                     struct sim_error *err)
{
    static const char *const allowed[] = {"name",    "description", "seed",       "duration",
                                          "metrics", "workload",    "components", "events",
                                          "regions", "$schema",     NULL};
    static const char *const metrics_allowed[] = {"interval", "warmup", "key_sample", NULL};
    const cJSON *root = sc->root, *v;
    if (!cJSON_IsObject(root))
        return sim_fail(err, "", "a scenario is a JSON object");
    if (check_members(root, allowed, "", err))
        return -1;
    v = member(root, "name");
    if (v) {
        if (!cJSON_IsString(v) || !v->valuestring[0] ||
            strspn(v->valuestring, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"
                                   "789_-.") != strlen(v->valuestring) ||
            v->valuestring[0] == '.')
            return sim_fail(err, "name", "must be a non-empty name of letters, digits, '_', "
                                         "'-' and '.' (it names the output folder)");
        sc->name = sim_xstrdup(v->valuestring);
    } else {
        const char *base = strrchr(sc->file, '/');
        base = base ? base + 1 : sc->file;
        size_t len = strcspn(base, ".");
        sc->name = sim_xmalloc(len + 1);
        memcpy(sc->name, base, len);
        sc->name[len] = '\0';
        if (!len) {
            free(sc->name);
            sc->name = sim_xstrdup("scenario");
        }
    }
    if ((v = member(root, "description"))) {
        if (!cJSON_IsString(v))
            return sim_fail(err, "description", "must be a string");
        sc->description = sim_xstrdup(v->valuestring);
    }
    sc->seed = 1;
    if ((v = member(root, "seed")) && get_count(v, "seed", 0, 9007199254740991.0, &sc->seed, err))
        return -1;
    if (!(v = member(root, "duration")))
        return sim_fail(err, "", "missing required field \"duration\" (e.g. \"10m\")");
    if (get_duration(v, "duration", &sc->duration, err))
        return -1;
    if (!(sc->duration > 0) || sc->duration > 1e9)
        return sim_fail(err, "duration", "must be above 0 and at most 1e9 s, got %g s",
                        sc->duration);
    sc->interval = 1;
    sc->warmup = 0;
    sc->key_sample = 100000;
    if ((v = member(root, "metrics"))) {
        if (check_members(v, metrics_allowed, "metrics", err))
            return -1;
        const cJSON *m;
        if ((m = member(v, "interval")) && get_duration(m, "metrics.interval", &sc->interval, err))
            return -1;
        if (!(sc->interval > 0))
            return sim_fail(err, "metrics.interval", "must be above 0");
        m = member(v, "warmup");
        if (cJSON_IsString(m) && strcmp(m->valuestring, "auto") == 0)
            sc->warmup_auto = 1; /* everything counts during the run; trimmed at the end */
        else if (m && get_duration(m, "metrics.warmup", &sc->warmup, err))
            return -1;
        if (sc->warmup >= sc->duration)
            return sim_fail(err, "metrics.warmup", "must be shorter than the duration");
        if ((m = member(v, "key_sample")) &&
            get_count(m, "metrics.key_sample", 1, 1e8, &sc->key_sample, err))
            return -1;
    }
    if (sc->duration / sc->interval > SCN_MAX_ROWS)
        return sim_fail(err, "metrics.interval",
                        "gives %.3g time-series rows; at most %d are "
                        "allowed (use a longer interval)",
                        sc->duration / sc->interval, SCN_MAX_ROWS);
    /* Components first: the workload and the events name them. Ops first of all, since
     * models' calls name ops. */
    const cJSON *w = member(root, "workload");
    if (parse_ops(sc, cJSON_IsObject(w) ? member(w, "ops") : NULL, "workload.ops", err))
        return -1;
    /* Regions before components too: components are placed in them, and models look at where
     * the users are. */
    if (region_parse(&sc->regions, member(root, "regions"), err))
        return -1;
    if (region_parse_shares(&sc->regions, cJSON_IsObject(w) ? member(w, "regions") : NULL,
                            "workload.regions", err))
        return -1;
    if (parse_components(sc, member(root, "components"), registry, err))
        return -1;
    char rpath[PATHLEN];
    for (size_t i = 0; i < sc->regions.n; i++)
        if (scenario_find(sc, sc->regions.names[i]) >= 0)
            return sim_fail(err, path_member(rpath, sizeof rpath, "regions", sc->regions.names[i]),
                            "\"%s\" names both a region and a component; events could not "
                            "tell them apart",
                            sc->regions.names[i]);
    if (parse_workload(sc, w, err))
        return -1;
    if (parse_events(sc, member(root, "events"), err))
        return -1;
    if (check_requests(sc, err))
        return -1;
    if (check_graph(sc, err))
        return -1;
    for (size_t i = 0; i < sc->ncomp; i++)
        if (sc->comps[i].ops->check && sc->comps[i].ops->check(&sc->comps[i], sc, err))
            return -1;
    if (evq_check_env(err))
        return -1;
    return limits_check(sc, err);
}

static void locate_error(const struct scenario *sc, const char *file, char set_paths[][PATHLEN],
                         size_t nsets, struct sim_error *err)
{
    for (size_t i = 0; i < nsets; i++) {
        size_t n = strlen(set_paths[i]);
        if (n && strncmp(err->path, set_paths[i], n) == 0 &&
            (err->path[n] == '\0' || err->path[n] == '.' || err->path[n] == '[')) {
            snprintf(err->file, sizeof err->file, "--set");
            err->line = 0;
            return;
        }
    }
    snprintf(err->file, sizeof err->file, "%s", file);
    if (sc && sc->text)
        err->line = jsonloc_line(sc->text, sc->text_len, err->path);
}

/* Open arrays and objects at byte `off`, strings skipped: how deep the text nests there. */
static size_t nesting_at(const char *text, size_t off)
{
    size_t depth = 0;
    int in_string = 0;
    for (size_t i = 0; i < off; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\' && i + 1 < off)
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return depth;
}

/* An error in the text itself (before --set applies): file and line, nothing else to free. */
static int text_error_line(struct scenario *sc, const char *file, int line,
                           char (*set_paths)[PATHLEN], struct sim_error *err)
{
    snprintf(err->file, sizeof err->file, "%s", file);
    err->line = line;
    free(set_paths);
    scenario_free(sc);
    return -1;
}

static int text_error(struct scenario *sc, const char *file, size_t off, char (*set_paths)[PATHLEN],
                      struct sim_error *err)
{
    return text_error_line(sc, file, jsonloc_offset_line(sc->text, sc->text_len, off), set_paths,
                           err);
}

int scenario_load_text(const char *file, const char *text, size_t len, const char *const *sets,
                       size_t nsets, const struct model_ops *const *registry,
                       struct scenario **out, struct sim_error *err)
{
    *out = NULL;
    struct scenario *sc = sim_xcalloc(1, sizeof *sc);
    sc->file = sim_xstrdup(file);
    sc->text = sim_xmalloc(len + 1);
    memcpy(sc->text, text, len);
    sc->text[len] = '\0';
    sc->text_len = len;
    char (*set_paths)[PATHLEN] = sim_xcalloc(nsets + 1, PATHLEN);
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        sim_fail(err, NULL, "the file contains a NUL byte (at byte %zu): not a JSON text",
                 (size_t)(nul - text));
        return text_error(sc, file, (size_t)(nul - text), set_paths, err);
    }
    const char *end = NULL;
    sc->root = cJSON_ParseWithLengthOpts(sc->text, len, &end, 0);
    if (!sc->root) {
        const char *at = end ? end : cJSON_GetErrorPtr();
        size_t off = at && at >= sc->text && at <= sc->text + len ? (size_t)(at - sc->text) : len;
        char shown[96];
        if (strspn(sc->text, " \t\r\n") == len) {
            sim_fail(err, NULL, "the file is empty: a scenario is a JSON object");
            off = 0;
        } else if (off >= len) {
            sim_fail(err, NULL, "invalid JSON: the text ends too soon");
        } else if (nesting_at(sc->text, off) >= CJSON_NESTING_LIMIT) {
            sim_fail(err, NULL, "arrays and objects nest deeper than %d levels",
                     CJSON_NESTING_LIMIT);
        } else {
            sim_fail(
                err, NULL, "invalid JSON near \"%s\"",
                printable(sc->text + off, len - off < 20 ? len - off : 20, shown, sizeof shown));
        }
        return text_error(sc, file, off, set_paths, err);
    }
    char where[PATHLEN], why[128];
    int where_line;
    if (jsonloc_find_duplicate(sc->text, len, where, sizeof where, &where_line)) {
        /* The path names both copies; the line is the second one's. */
        sim_fail(err, where, "this field appears twice in the same object");
        return text_error_line(sc, file, where_line, set_paths, err);
    }
    if (jsonloc_find_bad_string(sc->text, len, where, sizeof where, &where_line, why, sizeof why)) {
        sim_fail(err, where, "%s", why);
        return text_error_line(sc, file, where_line, set_paths, err);
    }
    for (size_t i = 0; i < nsets; i++)
        if (apply_set(sc->root, sets[i], set_paths[i], PATHLEN, err)) {
            snprintf(err->file, sizeof err->file, "--set");
            free(set_paths);
            scenario_free(sc);
            return -1;
        }
    if (parse_top(sc, registry, err))
        goto fail;
    free(set_paths);
    *out = sc;
    return 0;
fail:
    locate_error(sc, file, set_paths, nsets, err);
    free(set_paths);
    scenario_free(sc);
    return -1;
}

int scenario_load(const char *file, const char *const *sets, size_t nsets,
                  const struct model_ops *const *registry, struct scenario **out,
                  struct sim_error *err)
{
    *out = NULL;
    struct stat st;
    FILE *f = open_regular(file, &st);
    if (!f) {
        snprintf(err->file, sizeof err->file, "%s", file);
        return sim_fail(err, NULL, "cannot read the scenario: %s",
                        errno == EINVAL ? "not a regular file" : strerror(errno));
    }
    if ((uint64_t)st.st_size > SCN_MAX_FILE) {
        fclose(f);
        snprintf(err->file, sizeof err->file, "%s", file);
        return sim_fail(err, NULL, "the file is larger than 64 MiB (%llu bytes)",
                        (unsigned long long)st.st_size);
    }
    size_t len = (size_t)st.st_size;
    char *text = sim_xmalloc(len + 1);
    size_t got = fread(text, 1, len, f);
    fclose(f);
    if (got != len) {
        free(text);
        snprintf(err->file, sizeof err->file, "%s", file);
        return sim_fail(err, NULL, "could not read the whole file");
    }
    int rc = scenario_load_text(file, text, len, sets, nsets, registry, out, err);
    free(text);
    return rc;
}

void scenario_free(struct scenario *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < sc->ncomp; i++) {
        struct comp_spec *cs = &sc->comps[i];
        if (cs->config && cs->ops) {
            if (cs->ops->free_config)
                cs->ops->free_config(cs->config);
            const struct param_spec *tab[] = {cs->ops->params, NULL};
            if (cs->ops->params)
                params_free(tab, cs->config);
        }
        free(cs->config);
        free(cs->id);
        free(cs->region);
        dist_free(&cs->latency);
    }
    free(sc->comps);
    for (size_t i = 0; i < sc->nevents; i++)
        free(sc->events[i].set_path);
    free(sc->events);
    for (size_t i = 0; i < sc->wl.nops; i++)
        free(sc->wl.op_names[i]);
    points_free(&sc->wl.rate);
    points_free(&sc->wl.users);
    free(sc->wl.trace_path);
    free(sc->wl.trace);
    free(sc->topo);
    region_free(&sc->regions);
    cJSON_Delete(sc->root);
    free(sc->text);
    free(sc->file);
    free(sc->name);
    free(sc->description);
    free(sc);
}
