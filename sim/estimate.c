/* Back-of-envelope figures: rates flow forward along the call graph (callers first), response
 * times come back (callees first), and each tier with a worker limit is treated as an M/G/c
 * queue per node: Erlang C for the probability of waiting, scaled by (1 + cs^2) / 2 for the
 * service-time variability (Allen-Cunneen; exact for M/M/c and M/G/1), Erlang B where there is
 * no waiting room. The simulation shows where queueing, skew and time variation make these
 * figures wrong; `estimate --compare` puts the two side by side. */
#include "sim/estimate.h"
#include "sim/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void est_call(struct est_comp *self, uint32_t to, size_t op, double rate, double share)
{
    if (self->ncalls == EST_MAX_CALLS || !(rate > 0 || share > 0))
        return;
    self->calls[self->ncalls].to = to;
    self->calls[self->ncalls].op = op;
    self->calls[self->ncalls].rate = rate;
    self->calls[self->ncalls].share = share;
    self->ncalls++;
}

double erlang_b(double c, double a)
{
    /* The recurrence B(k) = a B(k-1) / (k + a B(k-1)) is stable for any size. */
    double b = 1;
    for (double k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return b;
}

double erlang_c(double c, double a)
{
    if (a >= c)
        return 1;
    double b = erlang_b(c, a), rho = a / c;
    return b / (1 - rho + rho * b);
}

/* The offered rate at t, `set` events included (the last one at or before t wins). */
static double rate_at(const struct scenario *sc, double t)
{
    const struct workload *wl = &sc->wl;
    double users = wl->by_users ? points_at(&wl->users, wl->ramp, t) : 0;
    double rpu = wl->rate_per_user, rate = wl->by_users ? 0 : points_at(&wl->rate, wl->ramp, t);
    for (size_t i = 0; i < sc->nevents; i++) {
        const struct scn_event *e = &sc->events[i];
        if (e->action != EVA_SET || e->at > t)
            continue;
        if (strcmp(e->set_path, "workload.rate") == 0)
            rate = e->set_value;
        else if (strcmp(e->set_path, "workload.users") == 0)
            users = e->set_value;
        else
            rpu = e->set_value;
    }
    return wl->by_users ? users * rpu : rate;
}

double estimate_average_rate(const struct scenario *sc, double from, double to)
{
    if (sc->wl.trace) {
        size_t n = 0;
        for (size_t i = 0; i < sc->wl.ntrace; i++)
            n += sc->wl.trace[i].t >= from && sc->wl.trace[i].t <= to;
        return to > from ? (double)n / (to - from) : 0;
    }
    /* Midpoint rule on a fine grid: exact for constant and step rates away from the points,
     * and within a hair of exact for linear ramps. */
    const size_t steps = 20000;
    double sum = 0;
    for (size_t i = 0; i < steps; i++)
        sum += rate_at(sc, from + (to - from) * ((double)i + 0.5) / (double)steps);
    return sum / (double)steps;
}

double estimate_peak_rate(const struct scenario *sc, double *at)
{
    /* The rate is piecewise linear between points and events: its maximum is at one of them
     * (taken just after an event, which applies from its instant on). */
    const struct workload *wl = &sc->wl;
    const struct points *p = wl->by_users ? &wl->users : &wl->rate;
    double best = rate_at(sc, 0), when = 0;
    for (size_t i = 0; i < p->n + sc->nevents; i++) {
        double t = i < p->n ? p->t[i] : sc->events[i - p->n].at;
        t = fmin(t, sc->duration);
        double r = rate_at(sc, t);
        if (r > best) {
            best = r;
            when = t;
        }
    }
    if (wl->trace)
        best = estimate_average_rate(sc, 0, sc->duration);
    if (at)
        *at = when;
    return best;
}

static void queueing(struct est_comp *e, const struct comp_spec *cs)
{
    double hold = e->service + (e->holds_downstream ? e->downstream : 0);
    double per_node = e->nodes ? e->total / e->nodes : e->total;
    e->wait = 0;
    e->loss = 0;
    if (!(e->workers < INFINITY) || hold <= 0 || per_node <= 0) {
        e->util = e->workers < INFINITY && e->workers > 0 ? per_node * hold / e->workers : 0;
        snprintf(e->model, sizeof e->model, "%s", hold > 0 ? "M/G/inf (delay)" : "-");
    } else {
        double a = per_node * hold, c = e->workers;
        e->util = a / c;
        snprintf(e->model, sizeof e->model, "M/%s/%.0f%s",
                 e->scv == 1 ? "M" : e->scv == 0 ? "D" : "G", c, e->queue == 0 ? "/0" : "");
        if (e->queue == 0) {
            e->loss = erlang_b(c, a);
        } else if (a >= c) {
            e->wait = INFINITY;
        } else {
            e->wait = erlang_c(c, a) / (c / hold - per_node) * (1 + e->scv) / 2;
        }
    }
    double net = cs->latency.mean;
    e->response =
        e->async ? 2 * net : 2 * net + e->wait + e->service + e->downstream + e->delay;
}

void estimate_at(const struct scenario *sc, double rate, double users, struct estimate *out)
{
    memset(out, 0, sizeof *out);
    out->rate = rate;
    out->users = users;
    out->ncomp = sc->ncomp;
    out->comps = sim_xcalloc(sc->ncomp, sizeof *out->comps);
    double wsum = 0;
    for (size_t op = 0; op < sc->wl.nops; op++)
        wsum += sc->wl.op_weights[op];
    for (size_t op = 0; op < sc->wl.nops; op++) {
        struct est_comp *e = &out->comps[sc->wl.entry[op]];
        e->rate[op] += rate * sc->wl.op_weights[op] / wsum;
    }
    /* Forward: callers first, so each component knows its arrivals before it passes them on. */
    for (size_t k = 0; k < sc->ncomp; k++) {
        uint32_t i = sc->topo[k];
        const struct comp_spec *cs = &sc->comps[i];
        struct est_comp *e = &out->comps[i];
        e->total = 0;
        for (size_t op = 0; op < sc->wl.nops; op++)
            e->total += e->rate[op];
        e->nodes = (uint32_t)cs->nodes;
        e->workers = INFINITY;
        e->queue = INFINITY;
        e->scv = 1;
        e->hit_ratio = NAN;
        if (cs->ops->estimate)
            cs->ops->estimate(cs, sc, e);
        else
            snprintf(e->note, sizeof e->note, "no estimate for a %s", cs->ops->name);
        for (size_t c = 0; c < e->ncalls; c++)
            out->comps[e->calls[c].to].rate[e->calls[c].op] += e->calls[c].rate;
    }
    /* Backward: callees first, so each caller can add the time its calls take. */
    for (size_t k = sc->ncomp; k-- > 0;) {
        uint32_t i = sc->topo[k];
        struct est_comp *e = &out->comps[i];
        double down = 0;
        for (size_t c = 0; c < e->ncalls; c++) {
            /* share is per request of that op; weigh by the op's part of the arrivals. */
            double part = e->total > 0 ? e->rate[e->calls[c].op] / e->total : 0;
            down += part * e->calls[c].share * out->comps[e->calls[c].to].response;
        }
        e->downstream = down;
        queueing(e, &sc->comps[i]);
    }
    double resp = 0;
    for (size_t op = 0; op < sc->wl.nops; op++)
        resp += sc->wl.op_weights[op] / wsum * out->comps[sc->wl.entry[op]].response;
    out->end_to_end = resp;
    /* The bottleneck: the finite tier whose utilisation grows fastest with the load. */
    out->max_rate = INFINITY;
    out->bottleneck = UINT32_MAX;
    for (size_t i = 0; i < sc->ncomp; i++) {
        const struct est_comp *e = &out->comps[i];
        if (e->workers < INFINITY && e->util > 0 && rate > 0) {
            double m = rate / e->util;
            if (m < out->max_rate) {
                out->max_rate = m;
                out->bottleneck = (uint32_t)i;
            }
        }
    }
}

void estimate_free(struct estimate *e)
{
    free(e->comps);
    e->comps = NULL;
}

static void fmt_ms(char *buf, size_t len, double s)
{
    if (isinf(s))
        snprintf(buf, len, "inf");
    else if (isnan(s))
        snprintf(buf, len, "-");
    else if (s < 5e-7)
        snprintf(buf, len, "0"); /* below a microsecond: nothing to read in it */
    else
        snprintf(buf, len, "%.4g", s * 1e3);
}

static void print_table(const struct scenario *sc, const struct estimate *e, FILE *out)
{
    fprintf(out, "%-14s %-14s %6s %8s %10s %10s %10s %7s %-14s %9s %11s  %s\n", "component",
            "type", "nodes", "workers", "req/s", "per node", "hold ms", "util", "model",
            "wait ms", "response ms", "notes");
    for (size_t k = 0; k < sc->ncomp; k++) {
        uint32_t i = sc->topo[k];
        const struct est_comp *c = &e->comps[i];
        char workers[16], hold[16], wait[16], resp[16];
        if (c->workers < INFINITY)
            snprintf(workers, sizeof workers, "%.0f", c->workers);
        else
            snprintf(workers, sizeof workers, "-");
        fmt_ms(hold, sizeof hold, c->service + (c->holds_downstream ? c->downstream : 0));
        fmt_ms(wait, sizeof wait, c->wait);
        fmt_ms(resp, sizeof resp, c->response);
        char note[256];
        snprintf(note, sizeof note, "%s%s%s", c->note,
                 c->util >= 1 ? (c->note[0] ? "; OVERLOADED" : "OVERLOADED") : "",
                 c->loss > 0 ? "; some rejected (Erlang B)" : "");
        if (c->loss > 0) {
            size_t n = strlen(note);
            snprintf(note + n, sizeof note - n, " %.2f%%", 100 * c->loss);
        }
        fprintf(out, "%-14s %-14s %6u %8s %10.6g %10.6g %10s %7.3f %-14s %9s %11s  %s\n",
                sc->comps[i].id, sc->comps[i].ops->name, c->nodes, workers, c->total,
                c->nodes ? c->total / c->nodes : c->total, hold, c->util, c->model, wait, resp,
                note);
    }
    char resp[16];
    fmt_ms(resp, sizeof resp, e->end_to_end);
    fprintf(out, "end to end: mean response %s ms", resp);
    if (e->bottleneck != UINT32_MAX)
        fprintf(out, "; bottleneck %s, saturated at about %.6g req/s (%.2fx this load)",
                sc->comps[e->bottleneck].id, e->max_rate, e->max_rate / e->rate);
    fputc('\n', out);
}

static const char *human_bytes(double b, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    size_t u = 0;
    while (b >= 1000 && u < 5) {
        b /= 1000;
        u++;
    }
    snprintf(buf, len, "%.3g %s", b, units[u]);
    return buf;
}

void estimate_print(const struct scenario *sc, FILE *out)
{
    double at, peak = estimate_peak_rate(sc, &at);
    double avg = estimate_average_rate(sc, sc->warmup, sc->duration);
    const struct workload *wl = &sc->wl;
    fprintf(out, "estimate for %s\n", sc->name);
    fprintf(out, "load: %.6g req/s at peak (at %.6g s), %.6g req/s on average after the "
                 "warm-up",
            peak, at, avg);
    if (wl->by_users) {
        double most = 0;
        for (size_t i = 0; i < wl->users.n; i++)
            most = fmax(most, wl->users.v[i]);
        fprintf(out, "; up to %.6g users at %.6g req/s each", most, wl->rate_per_user);
    }
    fputc('\n', out);
    fprintf(out, "per day at the average: %.4g million requests\n", avg * 86400 / 1e6);
    double wsum = 0, writes = 0;
    for (size_t op = 0; op < wl->nops; op++) {
        wsum += wl->op_weights[op];
        if (strcmp(wl->op_names[op], "write") == 0)
            writes += wl->op_weights[op];
    }
    if (wl->object_size > 0) {
        char a[32], b[32], c[32];
        fprintf(out, "bandwidth: %s/s at the average, %s/s at peak (%s objects); storage "
                     "written per day: %s\n",
                human_bytes(avg * wl->object_size, a, sizeof a),
                human_bytes(peak * wl->object_size, b, sizeof b),
                human_bytes(wl->object_size, c, sizeof c),
                human_bytes(avg * (wsum > 0 ? writes / wsum : 0) * wl->object_size * 86400, c,
                            sizeof c));
    } else {
        fprintf(out, "bandwidth and storage: set workload.object_size (e.g. \"10KB\") to "
                     "estimate them\n");
    }
    struct estimate e;
    fprintf(out, "\nat the average load (%.6g req/s):\n", avg);
    estimate_at(sc, avg, 0, &e);
    print_table(sc, &e, out);
    estimate_free(&e);
    if (peak > avg * 1.001) {
        fprintf(out, "\nat the peak load (%.6g req/s):\n", peak);
        estimate_at(sc, peak, 0, &e);
        print_table(sc, &e, out);
        estimate_free(&e);
    }
}
