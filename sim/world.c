/* The runtime of one run: builds the components from a scenario, generates the workload's
 * arrivals, dispatches events to models, handles timeouts, metrics ticks and scenario events,
 * and keeps the end-to-end statistics. */
#include "sim/world.h"
#include "sim/clock.h"
#include "sim/mser.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t world_seed(const struct world *w)
{
    return w->seed;
}

double world_warmup(const struct world *w)
{
    return w->sc->warmup;
}

gsl_rng *comp_rng(const struct comp *c, uint32_t node, const char *purpose)
{
    return rng_stream(c->world->seed, c->spec->id, node, purpose);
}

int world_op_index(const struct world *w, const char *op)
{
    return scenario_op(w->sc, op);
}

size_t world_op_count(const struct world *w)
{
    return w->sc->wl.nops;
}

/* ---- the workload ---------------------------------------------------------------------- */

double world_users_at(const struct world *w, double t)
{
    const struct workload *wl = &w->sc->wl;
    if (!wl->by_users)
        return 0;
    if (w->users_set)
        return w->set_users;
    return points_at(&wl->users, wl->ramp, t);
}

double world_rate_at(const struct world *w, double t)
{
    const struct workload *wl = &w->sc->wl;
    if (!wl->by_users) {
        if (w->rate_set)
            return w->set_rate;
        return points_at(&wl->rate, wl->ramp, t);
    }
    double rpu = w->rpu_set ? w->set_rpu : wl->rate_per_user;
    return world_users_at(w, t) * rpu;
}

/* The next time the rate function may change slope or value (a point), or +inf. */
static double next_breakpoint(const struct world *w, double t)
{
    const struct workload *wl = &w->sc->wl;
    if (wl->by_users ? w->users_set : w->rate_set)
        return INFINITY;
    const struct points *p = wl->by_users ? &wl->users : &wl->rate;
    for (size_t i = 0; i < p->n; i++)
        if (p->t[i] > t)
            return p->t[i];
    return INFINITY;
}

/* The workload has one arrival pending at a time: it waits in the engine's lane, not the queue.
 * After a `set`, the stale one is displaced to the queue and ignored when it comes. */
__attribute__((always_inline)) static inline void schedule_arrival_at(struct world *w, double t)
{
    struct sim_event ev = {.target = SIM_KERNEL, .kind = KEV_ARRIVAL, .tag = w->arrival_gen};
    sim_lane_at(&w->sim, t, &ev);
}

/* The rate function on the segment from t: constant or linear up to the next point, so
 * that each arrival costs a multiply instead of a search. */
static void load_segment(const struct world *w, double t, struct rate_segment *g)
{
    const struct workload *wl = &w->sc->wl;
    double bp = next_breakpoint(w, t), end = w->sc->duration;
    double r0 = world_rate_at(w, t);
    double r1 = bp < INFINITY ? world_rate_at(w, fmin(bp, end)) : r0;
    g->t0 = t;
    g->end = bp;
    g->r0 = r0;
    g->slope = wl->ramp == RAMP_STEP || !(bp < INFINITY) || fmin(bp, end) <= t
                   ? 0
                   : (r1 - r0) / (fmin(bp, end) - t);
    g->peak = wl->ramp == RAMP_STEP ? r0 : fmax(r0, r1);
    g->mean = g->slope == 0 && g->peak > 0 ? 1.0 / g->peak : 0;
}

static inline double segment_rate(const struct rate_segment *g, double t)
{
    return g->r0 + g->slope * (t - g->t0);
}

/* The rate's integral over the first d seconds of a segment. */
static inline double segment_area(const struct rate_segment *g, double d)
{
    return (g->r0 + g->slope * d / 2) * d;
}

/* How long a rate that starts at r and changes by `slope` per second takes to accumulate
 * `area` > 0 arrivals: the root of r d + slope d^2 / 2 = area, in the form that stays exact when
 * r = 0; +inf when a falling rate never gets there. */
static inline double segment_reach(double r, double slope, double area)
{
    if (slope == 0)
        return r > 0 ? area / r : INFINITY;
    double disc = r * r + 2 * slope * area;
    return disc >= 0 ? 2 * area / (r + sqrt(disc)) : INFINITY;
}

/* Uniform arrivals are the rate's integral made deterministic: arrival k (from 0) comes where
 * the integral from the start reaches k. Times are computed from an anchor (the start, a
 * breakpoint already passed, or a `set`) where the integral is known, never by adding up
 * spacings, which would drift. This is the segment from the anchor (cached). */
static const struct rate_segment *uniform_segment(struct world *w)
{
    if (w->uni_seg.end == -INFINITY || w->uni_seg.t0 != w->uni_t)
        load_segment(w, w->uni_t, &w->uni_seg);
    return &w->uni_seg;
}

/* Moves the uniform anchor over the breakpoints up to t. */
static void uniform_advance(struct world *w, double t)
{
    for (const struct rate_segment *g; (g = uniform_segment(w))->end <= t;) {
        w->uni_area += segment_area(g, g->end - g->t0);
        w->uni_t = g->end;
    }
}

/* When uniform arrival number uni_next comes (+inf: not before `end`). */
static double uniform_time(struct world *w, double end)
{
    struct rate_segment g = *uniform_segment(w);
    double area = w->uni_area;
    while (g.t0 < end) {
        double need = fmax((double)w->uni_next - area, 0);
        if (g.r0 > 0 || g.slope > 0) {
            if (need == 0)
                return g.t0;
            double d = segment_reach(g.r0, g.slope, need);
            if (g.t0 + d < g.end)
                return g.t0 + d;
        }
        if (!(g.end < INFINITY))
            break;
        area += segment_area(&g, g.end - g.t0);
        load_segment(w, g.end, &g);
    }
    return INFINITY;
}

/* Finds the next arrival after `t`. Poisson arrivals follow the (piecewise linear or step)
 * rate exactly by inversion: the rate's integral from t is quadratic on a linear segment, so
 * the time at which it reaches an Exp(1) draw is one square root away (one draw per arrival;
 * thinning against the peak rate took two draws and a logarithm per candidate, and twice as
 * many candidates as arrivals on a ramp from zero). A constant segment keeps its exponential
 * draw at the mean spacing. An arrival past the segment's end restarts from there with a fresh
 * draw, which the memoryless property makes exact. Uniform arrivals: uniform_advance. Arrivals
 * lie in [0, duration): the last row of the time series ends at the duration and counts what
 * came before it. */
__attribute__((noinline)) static void plan_next_arrival_slow(struct world *w, double t)
{
    const struct workload *wl = &w->sc->wl;
    double end = w->sc->duration;
    if (wl->trace) {
        if (w->trace_pos < wl->ntrace && wl->trace[w->trace_pos].t < end)
            schedule_arrival_at(w, wl->trace[w->trace_pos].t);
        return;
    }
    if (wl->arrivals == ARRIVALS_UNIFORM) {
        uniform_advance(w, t);
        double next = uniform_time(w, end);
        if (next < end)
            schedule_arrival_at(w, next);
        return;
    }
    struct rate_segment *g = &w->seg;
    while (t <= end) {
        if (t >= g->end || t < g->t0)
            load_segment(w, t, g);
        if (!(g->peak > 0)) {
            t = g->end;
            continue;
        }
        double cand;
        if (g->slope == 0) {
            cand = t + gsl_ran_exponential(w->rng_arrivals, 1.0 / g->peak);
        } else {
            /* A zero draw (probability 2^-32) is an arrival right now, not 0/0; a rate that
             * falls to zero may round to just below it. */
            double e = gsl_ran_exponential(w->rng_arrivals, 1.0);
            double r = fmax(segment_rate(g, t), 0);
            cand = t + (e > 0 ? segment_reach(r, g->slope, e) : 0);
        }
        if (cand >= g->end) {
            t = g->end;
            continue;
        }
        if (cand >= end)
            return;
        schedule_arrival_at(w, cand);
        return;
    }
}

/* plan_next_arrival_slow's first step for Poisson arrivals on a constant segment (seg.mean set
 * only then) that t is on, inline: the same draw and the same outcome, without the call and the
 * tests of the general case. Anything else goes the general way. */
static inline void plan_next_arrival(struct world *w, double t)
{
    const struct rate_segment *g = &w->seg;
    double end = w->sc->duration;
    if (g->mean > 0 && t >= g->t0 && t < g->end && t <= end) {
        double cand = t + gsl_ran_exponential(w->rng_arrivals, g->mean);
        if (cand < g->end) {
            if (cand < end)
                schedule_arrival_at(w, cand);
            return;
        }
        t = g->end;
    }
    plan_next_arrival_slow(w, t);
}

/* A request reaches a component (an EV_ARRIVE event). */
static inline void deliver(struct world *w, struct comp *c, struct request *req)
{
    c->requests += req->counted;
    c->ops->arrive(c, &w->sim, req);
}

/* A request of the workload's, as the client sends it (its first call not made yet). */
static inline __attribute__((always_inline)) struct request *
new_request(struct world *w, uint16_t op, uint64_t key, uint32_t client, uint16_t region,
            int counted)
{
    struct sim *sim = &w->sim;
    struct request *req = req_alloc(sim);
    req->id = w->next_id++;
    req->t_start = sim->now;
    req->counted = (uint8_t)counted;
    req->op = op;
    req->key = key;
    req->client = client;
    req->depth = 1;
    req->frames[0] =
        (struct frame){.comp = SIM_KERNEL, .node = 0, .t_arrive = sim->now, .region = region};
    return req;
}

/* The end-to-end figures of a success back at the client, `lat` seconds after it arrived. */
static SIM_HOT void client_ok(struct world *w, uint16_t op, int counted, double lat)
{
    uint64_t ns = hist_ns(lat);
    w->int_completed++;
    if (counted) {
        w->completed++;
        hist_record_ns(&w->int_pending, ns, lat);
        w->ops[op].completed++;
        /* With one op its histogram would equal the overall one (merged at the end). */
        if (w->sc->wl.nops > 1)
            hist_record_ns(&w->ops[op].latency, ns, lat);
    } else {
        hist_record_ns(&w->int_other, ns, lat);
    }
}

/* An arrival for answer_comp whose call into it would be direct (it takes no time and its
 * arrival event would run next). When the reply would be direct too (the next arrival,
 * planned first as on the general way, is not at this instant) and the component answers at
 * once, no request is made, and the figures are those the general way would make. Otherwise
 * the request goes the general way, directly delivered. */
static inline __attribute__((always_inline)) void offer(struct world *w, uint16_t op,
                                                        uint64_t key, uint32_t client,
                                                        uint16_t region, int counted)
{
    struct sim *sim = &w->sim;
    struct comp *c = w->answer_comp;
    w->uni_next++;
    plan_next_arrival(w, sim->now);
    uint64_t seq = sim->seq;
    if (sim_next_is_now(sim) && c->ops->answer(c, sim, op, key, counted)) {
        SIM_ASSERT(sim->seq == seq); /* the hook scheduled nothing */
        w->answered++;
        w->next_id++;         /* the id the request would have had */
        sim->dispatched += 2; /* its arrival and reply events, run in place */
        c->requests += (unsigned)counted;
        if (counted)
            hist_record(&c->latency, 0);
        client_ok(w, op, counted, 0);
        return;
    }
    struct request *req = new_request(w, op, key, client, region, counted);
    req_call_direct(sim, req, c->index);
    deliver(w, c, req);
}

/* One arrival of the workload, at the current time. next_is_now: sim_next_is_now is known to
 * hold (the arrival was taken from the lane by sim_lane_take, and drawing schedules
 * nothing). */
static inline void arrive(struct world *w, int next_is_now)
{
    struct sim *sim = &w->sim;
    const struct workload *wl = &w->sc->wl;
    const int counted = sim->now >= w->sc->warmup;
    uint16_t op;
    uint64_t key;
    uint32_t client;
    if (wl->trace) {
        const struct trace_row *row = &wl->trace[w->trace_pos++];
        op = row->op;
        key = row->key;
        client = row->client;
    } else {
        op = w->op_table ? (uint16_t)gsl_ran_discrete(w->rng_ops, w->op_table) : 0;
        /* Only what some component reads is drawn; each has its own stream, so skipping one
         * changes no other draw. */
        if (!(w->needs & NEEDS_KEYS)) {
            key = 0;
        } else if (w->ahead_comp) {
            key = w->ahead_key[0];
            w->ahead_key[0] = w->ahead_key[1];
            w->ahead_key[1] = keydist_draw(&w->keys, w->rng_keys);
            w->ahead_comp->ops->prefetch(w->ahead_comp, w->ahead_key[1]);
        } else {
            key = keydist_draw(&w->keys, w->rng_keys);
        }
        client = w->needs & NEEDS_CLIENTS
                     ? (uint32_t)gsl_rng_uniform_int(w->rng_clients, wl->clients)
                     : 0;
    }
    /* Drawn for trace replays too: a trace names no region. */
    uint16_t region =
        w->region_table ? (uint16_t)(1 + gsl_ran_discrete(w->rng_regions, w->region_table)) : 0;
    w->int_offered++;
    if (counted)
        w->arrived++;
    /* The key's hot-key counter is fetched now and counted last (the count is read only at
     * the end), so that the cache miss overlaps the work between. */
    const int hot = counted && w->hot;
    if (hot)
        hotkeys_prefetch(w->hot, key);
    if (w->answer_comp && (next_is_now || sim_next_is_now(sim))) {
        offer(w, op, key, client, region, counted);
    } else {
        uint32_t entry = wl->entry[op];
        struct request *req = new_request(w, op, key, client, region, counted);
        int direct = req_call_first(sim, req, entry, REQ_ANY_NODE);
        w->uni_next++;
        plan_next_arrival(w, sim->now);
        /* The arrival event would have run next, after the above: its work comes last. */
        if (direct)
            deliver(w, &w->comps[entry], req);
    }
    if (hot)
        hotkeys_add(w->hot, key);
}

/* An arrival event, then the arrivals whose events are the next to run (sim_lane_take), here
 * rather than through the run loop: a cache that answers at once leaves nothing between
 * them. Events of an older arrival generation (before a rate change) are dropped. */
static void on_arrival(struct world *w, const struct sim_event *ev)
{
    struct sim_event next;
    int due = ev->tag == w->arrival_gen, taken = 0;
    for (;;) {
        if (due)
            arrive(w, taken);
        if (!sim_lane_take(&w->sim, &next))
            return;
        due = next.tag == w->arrival_gen;
        taken = 1;
    }
}

/* The lane's handler (sim/engine.h): arrivals skip dispatch's tests. */
static void lane_dispatch(struct sim *sim, const struct sim_event *ev)
{
    on_arrival(sim->world, ev);
}

SIM_HOT void world_client_reply(struct world *w, struct request *req)
{
    double now = w->sim.now;
    switch (req->status) {
    case REQ_OK:
        client_ok(w, req->op, req->counted, now - req->t_start);
        break;
    case REQ_REJECTED:
        w->int_rejected++;
        w->rejected += req->counted;
        break;
    case REQ_TIMEOUT:
        w->int_failed++;
        w->int_timed_out++;
        w->timed_out += req->counted;
        break;
    default:
        w->int_failed++;
        w->failed += req->counted;
        break;
    }
    req_free(&w->sim, req);
}

/* The caller at frame idx-1 gives up on the call in frame idx. */
static void on_timeout(struct world *w, const struct sim_event *ev)
{
    struct request *req = ev->ptr;
    uint32_t idx = ev->node;
    if (req->depth <= idx || req->frames[idx].serial != ev->tag)
        return; /* answered in time (or the request is long gone) */
    req_abandon(&w->sim, req, idx, REQ_TIMEOUT, 0);
}

/* ---- metrics --------------------------------------------------------------------------- */

void world_flush_latency(struct world *w)
{
    if (hist_count(&w->int_pending) == 0)
        return;
    hist_merge(&w->latency, &w->int_pending);
    hist_merge(&w->int_other, &w->int_pending);
    hist_reset(&w->int_pending);
}

static double quantile_ms(const struct hist *h, double q)
{
    return hist_count(h) ? hist_quantile(h, q) * 1e3 : NAN;
}

static void setup_series(struct world *w)
{
    static const char *const base[] = {"t_s",         "users",      "offered_rps",
                                       "completed_rps", "rejected_rps", "failed_rps",
                                       "p50_ms",      "p99_ms",     NULL};
    char name[300];
    series_init(&w->series);
    for (size_t i = 0; base[i]; i++)
        series_add_column(&w->series, base[i]);
    for (size_t i = 0; i < w->ncomp; i++) {
        const char *id = w->comps[i].spec->id;
        snprintf(name, sizeof name, "%s.util", id);
        series_add_column(&w->series, name);
        snprintf(name, sizeof name, "%s.queue", id);
        series_add_column(&w->series, name);
        if (w->comps[i].ops->sample) {
            struct comp_sample probe = {0, 0, NAN, NAN, NAN};
            /* Only components that have a hit ratio (a node count, keys in transit) get the
             * column: asked once, at t = 0. */
            w->comps[i].ops->sample(&w->comps[i], &w->sim, &probe);
            w->comps[i].has_hit_ratio = !isnan(probe.hit_ratio);
            w->comps[i].has_nodes = !isnan(probe.nodes);
            w->comps[i].has_in_transit = !isnan(probe.in_transit);
            if (w->comps[i].has_hit_ratio) {
                snprintf(name, sizeof name, "%s.hit_ratio", id);
                series_add_column(&w->series, name);
            }
            if (w->comps[i].has_nodes) {
                snprintf(name, sizeof name, "%s.nodes", id);
                series_add_column(&w->series, name);
            }
            if (w->comps[i].has_in_transit) {
                snprintf(name, sizeof name, "%s.in_transit", id);
                series_add_column(&w->series, name);
            }
        }
    }
}

/* Ticks run first among the events of their instant, however early those were scheduled (a
 * trace arrival planned seconds ahead), so that a row always covers [t - interval, t). They
 * carry sequence number 0, which no other event has: world_create starts the count at 1. */
static void schedule_tick(struct world *w, double t)
{
    struct sim_event ev = {.t = t, .seq = 0, .target = SIM_KERNEL, .kind = KEV_TICK};
    sim_push_queue(&w->sim, &ev);
}

/* Intervals whose latency histograms are kept for the trim: MSER-5 never cuts past half the
 * run, and memory stays bounded (58 KiB each) however long the run. */
#define AUTOWARM_MAX_HISTS 512

static void autowarm_record(struct world *w)
{
    struct autowarm *a = &w->autowarm;
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 256;
        double **cols[] = {&a->lat_sum, &a->lat_count, &a->arrived, &a->completed,
                           &a->rejected, &a->failed, &a->timed_out};
        for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
            *cols[i] = sim_xrealloc(*cols[i], a->cap * sizeof **cols[i]);
    }
    /* on_tick gathered the interval's latencies in int_pending. With "auto" every request
     * counts and int_other is empty, so the sum is added in completion order as before. */
    a->lat_sum[a->n] = w->int_pending.sum_s;
    a->lat_count[a->n] = (double)hist_count(&w->int_pending);
    a->arrived[a->n] = (double)w->int_offered;
    a->completed[a->n] = (double)w->int_completed;
    a->rejected[a->n] = (double)w->int_rejected;
    a->failed[a->n] = (double)(w->int_failed - w->int_timed_out);
    a->timed_out[a->n] = (double)w->int_timed_out;
    size_t limit = (size_t)ceil(w->sc->duration / w->sc->interval / 2) + 1;
    if (a->kept < AUTOWARM_MAX_HISTS && a->n < limit) {
        if (!a->hists)
            a->hists = sim_xcalloc(AUTOWARM_MAX_HISTS, sizeof *a->hists);
        hist_init(&a->hists[a->kept]);
        hist_merge(&a->hists[a->kept], &w->int_pending);
        a->kept++;
    }
    a->n++;
}

/* After the run: find the warm-up with MSER-5 on the intervals' mean latencies, then take the
 * dropped intervals out of the end-to-end figures: the latency histogram (the kept interval
 * histograms are subtracted) and the request counts. Per-op and per-component figures still
 * count from the start. Intervals are by completion time for latencies and outcomes, by
 * arrival for arrivals. */
static void autowarm_apply(struct world *w)
{
    struct autowarm *a = &w->autowarm;
    size_t cut = mser5(a->lat_sum, a->lat_count, a->n, &a->statistic);
    if (cut > a->kept)
        cut = a->kept; /* only what was kept can be taken out */
    a->cut = cut;
    a->detected = fmin((double)cut * w->sc->interval, w->sim.now);
    for (size_t i = 0; i < cut; i++) {
        struct hist *h = &a->hists[i];
        for (size_t b = 0; b < HIST_BUCKETS; b++)
            w->latency.counts[b] -= h->counts[b];
        w->latency.total -= h->total;
        w->latency.sum_s -= h->sum_s;
        w->arrived -= (uint64_t)a->arrived[i];
        w->completed -= (uint64_t)a->completed[i];
        w->rejected -= (uint64_t)a->rejected[i];
        w->failed -= (uint64_t)a->failed[i];
        w->timed_out -= (uint64_t)a->timed_out[i];
    }
    /* The exact minimum and maximum of what is left: the edges of its lowest and highest
     * occupied buckets, clamped to the run's own extremes. */
    if (cut > 0 && w->latency.total > 0) {
        size_t lo = 0, hi = HIST_BUCKETS - 1;
        while (lo < HIST_BUCKETS && w->latency.counts[lo] == 0)
            lo++;
        while (hi > 0 && w->latency.counts[hi] == 0)
            hi--;
        uint64_t lo_ns = hist_bucket_lo(lo), hi_ns = hist_bucket_lo(hi) + hist_bucket_width(hi) - 1;
        w->latency.min_ns = lo_ns > w->latency.min_ns ? lo_ns : w->latency.min_ns;
        w->latency.max_ns = hi_ns < w->latency.max_ns ? hi_ns : w->latency.max_ns;
    }
}

static void on_tick(struct world *w)
{
    /* Rows end at the multiples of the interval and at the duration, so the last one may be
     * shorter: its rates are per second of what it covers. */
    double now = w->sim.now, end = w->sc->duration, tol = 1e-9 * end;
    double start = w->sc->interval * (double)w->series_row;
    double dt = now < start + w->sc->interval - tol ? now - start : w->sc->interval;
    double *row = sim_xmalloc(w->series.ncols * sizeof *row);
    size_t k = 0;
    row[k++] = now;
    row[k++] = world_users_at(w, now);
    row[k++] = (double)w->int_offered / dt;
    row[k++] = (double)w->int_completed / dt;
    row[k++] = (double)w->int_rejected / dt;
    row[k++] = (double)w->int_failed / dt;
    /* The counted latencies go to the end-to-end histogram, then int_pending takes the
     * interval's others (none, most of the time) and is the whole interval, until the reset
     * below: one pass over the occupied buckets rather than world_flush_latency's two. */
    hist_merge(&w->latency, &w->int_pending);
    hist_merge(&w->int_pending, &w->int_other);
    row[k++] = quantile_ms(&w->int_pending, 0.50);
    row[k++] = quantile_ms(&w->int_pending, 0.99);
    for (size_t i = 0; i < w->ncomp; i++) {
        struct comp *c = &w->comps[i];
        struct comp_sample s = {0, 0, NAN, NAN, NAN};
        if (c->ops->sample)
            c->ops->sample(c, &w->sim, &s);
        row[k++] = s.util;
        row[k++] = s.queue;
        if (c->has_hit_ratio)
            row[k++] = s.hit_ratio;
        if (c->has_nodes)
            row[k++] = s.nodes;
        if (c->has_in_transit)
            row[k++] = s.in_transit;
    }
    SIM_ASSERT(k == w->series.ncols);
    series_append(&w->series, row);
    free(row);
    if (w->sc->warmup_auto)
        autowarm_record(w);
    w->int_offered = w->int_completed = w->int_rejected = w->int_failed = 0;
    w->int_timed_out = 0;
    hist_reset(&w->int_pending);
    hist_reset(&w->int_other);
    double next = w->sc->interval * (double)(++w->series_row + 1);
    if (now < end - tol)
        schedule_tick(w, next > end - tol ? end : next);
}

static void on_warmup(struct world *w)
{
    for (size_t i = 0; i < w->ncomp; i++) {
        struct comp *c = &w->comps[i];
        if (c->ops->reset_stats)
            c->ops->reset_stats(c, &w->sim);
    }
}

/* A region fails or recovers: every component placed in it, whole, in component order. */
static void on_region_event(struct world *w, const struct scn_event *e)
{
    struct control ctl = {
        .action = e->action == EVA_FAIL ? CTL_FAIL : CTL_RECOVER, .node = -1, .shard = -1};
    for (size_t i = 0; i < w->ncomp; i++) {
        struct comp *c = &w->comps[i];
        struct sim_error err = {0};
        if (c->spec->region_no != e->region_no)
            continue;
        if (c->ops->control(c, &w->sim, &ctl, &err)) {
            sim_error_print(&err);
            w->sim.stop = 1;
            w->interrupted = 2;
            return;
        }
    }
}

static void on_scenario_event(struct world *w, const struct sim_event *ev)
{
    const struct scn_event *e = &w->sc->events[ev->tag];
    if (e->action == EVA_SET) {
        /* Uniform arrivals keep the progress made towards the next one: the anchor moves to
         * now under the old rate, and the new rate goes on from there. */
        double now = w->sim.now;
        uniform_advance(w, now);
        w->uni_area += segment_area(uniform_segment(w), now - w->uni_t);
        w->uni_t = now;
        if (strcmp(e->set_path, "workload.rate") == 0) {
            w->rate_set = 1;
            w->set_rate = e->set_value;
        } else if (strcmp(e->set_path, "workload.users") == 0) {
            w->users_set = 1;
            w->set_users = e->set_value;
        } else {
            w->rpu_set = 1;
            w->set_rpu = e->set_value;
        }
        /* Poisson arrivals are memoryless: drop the pending candidate and start afresh.
         * The pending uniform arrival is planned again from the new anchor. */
        w->arrival_gen++;
        w->seg.end = w->uni_seg.end = -INFINITY;
        plan_next_arrival(w, w->sim.now);
        return;
    }
    if (e->region_no) {
        on_region_event(w, e);
        return;
    }
    struct comp *c = &w->comps[e->target];
    struct control ctl = {
        .nodes = e->nodes, .node = e->node, .what = e->what, .shard = e->shard};
    ctl.action = e->action == EVA_SCALE ? CTL_SCALE : e->action == EVA_FAIL ? CTL_FAIL
                                                                              : CTL_RECOVER;
    struct sim_error err = {0};
    if (c->ops->control(c, &w->sim, &ctl, &err)) {
        /* The scenario was validated, so a refusal here is a model's runtime limit. */
        sim_error_print(&err);
        w->sim.stop = 1;
        w->interrupted = 2;
    }
}

/* ---- retries --------------------------------------------------------------------------- */

/* A call came back failed, timed out or rejected: when the callee's retry policy allows
 * another attempt, the caller waits the backoff (at least the Retry-After of a 429) and calls
 * again, to `node` of the callee. */
int req_retry_allowed(struct sim *sim, const struct request *req)
{
    struct world *w = sim->world;
    if (req->status == REQ_OK)
        return 0;
    const struct frame *caller = &req->frames[req->depth - 1];
    const struct retry_policy *rp = &w->comps[caller->callee].spec->retry;
    if (caller->attempt >= rp->max)
        return 0;
    return (req->status == REQ_FAILED && rp->on_failed) ||
           (req->status == REQ_TIMEOUT && rp->on_timeout) ||
           (req->status == REQ_REJECTED && rp->on_rejected);
}

int req_retry(struct sim *sim, struct request *req, uint32_t node)
{
    struct world *w = sim->world;
    if (!req_retry_allowed(sim, req))
        return 0;
    struct frame *caller = req_top(req);
    struct comp *callee = &w->comps[caller->callee];
    const struct retry_policy *rp = &callee->spec->retry;
    double wait = fmin(rp->max_backoff, rp->backoff * pow(rp->multiplier, caller->attempt));
    if (rp->jitter == JITTER_FULL)
        wait *= gsl_rng_uniform(callee->rng_retry);
    else if (rp->jitter == JITTER_EQUAL)
        wait = wait / 2 + gsl_rng_uniform(callee->rng_retry) * wait / 2;
    /* A 429 that says when to come back (Retry-After) is honoured: no earlier than that. */
    wait = fmax(wait, req->retry_after);
    caller->attempt++;
    callee->retries += req->counted;
    struct sim_event ev = {.ptr = req, .target = SIM_KERNEL, .kind = KEV_RETRY, .node = node};
    sim_schedule(&w->sim, wait, &ev);
    return 1;
}

static void on_retry(struct world *w, struct request *req, uint32_t node)
{
    /* The caller itself was failed or gave up during the backoff: nobody waits any more. */
    if (req->depth > 1 && req->orphan_at == req->depth - 1u) {
        req_reply(&w->sim, req);
        return;
    }
    req->status = REQ_OK;
    req_call_again(&w->sim, req, req_top(req)->callee, node);
}

/* ---- dispatch -------------------------------------------------------------------------- */

/* The kernel's own events. Out of line, so that the component events' path through dispatch
 * saves no registers for the kernel handlers inlined here. */
__attribute__((noinline)) static void dispatch_kernel(struct world *w, const struct sim_event *ev)
{
    switch (ev->kind) {
    case EV_RESUME:
        /* A success is never retried: skip the call on the common path. */
        if (((const struct request *)ev->ptr)->status == REQ_OK ||
            !req_retry(&w->sim, ev->ptr, REQ_ANY_NODE))
            world_client_reply(w, ev->ptr);
        break;
    case KEV_RETRY:
        on_retry(w, ev->ptr, ev->node);
        break;
    case KEV_ARRIVAL:
        on_arrival(w, ev);
        break;
    case KEV_TIMEOUT:
        on_timeout(w, ev);
        break;
    case KEV_TICK:
        on_tick(w);
        break;
    case KEV_WARMUP:
        on_warmup(w);
        break;
    case KEV_SCENARIO:
        on_scenario_event(w, ev);
        break;
    default:
        SIM_ASSERT(!"unknown kernel event");
    }
}

static void dispatch(struct sim *sim, const struct sim_event *ev)
{
    struct world *w = sim->world;
    if (ev->target == SIM_KERNEL) {
        dispatch_kernel(w, ev);
        return;
    }
    struct comp *c = &w->comps[ev->target];
    switch (ev->kind) {
    case EV_ARRIVE:
        deliver(w, c, ev->ptr);
        return;
    case EV_RESUME:
        c->ops->resume(c, sim, ev->ptr);
        return;
    default:
        c->ops->handle(c, sim, ev);
        return;
    }
}

/* ---- life cycle ------------------------------------------------------------------------ */

/* The entry component of every op, or NULL when ops enter at different components. */
static struct comp *one_entry(struct world *w)
{
    const struct workload *wl = &w->sc->wl;
    for (size_t i = 1; i < wl->nops; i++)
        if (wl->entry[i] != wl->entry[0])
            return NULL;
    return &w->comps[wl->entry[0]];
}

int world_create(const struct scenario *sc, uint64_t seed, struct world **out,
                 struct sim_error *err)
{
    *out = NULL;
    struct world *w = sim_xcalloc(1, sizeof *w);
    w->sc = sc;
    w->seed = seed;
    w->seg.end = w->uni_seg.end = -INFINITY;
    sim_init(&w->sim, dispatch, w);
    sim_lane_init(&w->sim, lane_dispatch);
    w->sim.seq = 1; /* 0 is the ticks' (schedule_tick) */
    hist_init(&w->latency);
    hist_init(&w->int_pending);
    hist_init(&w->int_other);
    w->ops = sim_xcalloc(sc->wl.nops, sizeof *w->ops);
    for (size_t i = 0; i < sc->wl.nops; i++)
        hist_init(&w->ops[i].latency);
    const struct workload *wl = &sc->wl;
    w->rng_arrivals = rng_stream(seed, "", 0, "arrivals");
    w->rng_ops = rng_stream(seed, "", 0, "ops");
    w->rng_keys = rng_stream(seed, "", 0, "keys");
    w->rng_clients = rng_stream(seed, "", 0, "clients");
    if (wl->nops > 1)
        w->op_table = gsl_ran_discrete_preproc(wl->nops, wl->op_weights);
    w->rng_regions = rng_stream(seed, "", 0, "regions");
    w->rng_region_net = rng_stream(seed, "", 0, "region_latency");
    if (sc->regions.share)
        w->region_table = gsl_ran_discrete_preproc(sc->regions.n, sc->regions.share);
    char msg[256];
    if (keydist_init(&w->keys, wl->key_count, wl->key_zipf, wl->key_s, wl->hot_keys,
                     wl->hot_share, msg, sizeof msg)) {
        sim_fail(err, "workload.keys", "%s", msg);
        world_free(w);
        return -1;
    }
    w->ncomp = sc->ncomp;
    w->comps = sim_xcalloc(sc->ncomp, sizeof *w->comps);
    for (size_t i = 0; i < sc->ncomp; i++)
        w->needs |= sc->comps[i].ops->needs ? sc->comps[i].ops->needs(&sc->comps[i])
                                            : NEEDS_KEYS | NEEDS_CLIENTS;
    for (size_t i = 0; i < sc->ncomp; i++) {
        struct comp *c = &w->comps[i];
        c->spec = &sc->comps[i];
        c->ops = c->spec->ops;
        c->config = c->spec->config;
        c->index = (uint32_t)i;
        c->world = w;
        c->state = sim_xcalloc(1, c->ops->state_size ? c->ops->state_size : 1);
        c->rng_net = comp_rng(c, 0, "latency");
        c->rng_retry = comp_rng(c, 0, "retry");
        hist_init(&c->latency);
    }
    /* Callees start before their callers, so a caller may look at its backends. */
    for (size_t k = sc->ncomp; k-- > 0;) {
        struct comp *c = &w->comps[sc->topo[k]];
        if (c->ops->start && c->ops->start(c, &w->sim)) {
            sim_fail(err, c->spec->path, "could not start %s", c->spec->id);
            world_free(w);
            return -1;
        }
    }
    /* Drawn keys are 0 .. count-1, counted exactly when there are not too many; a trace's
     * keys may be anything. */
    if (w->needs & NEEDS_KEYS || wl->trace)
        w->hot = hotkeys_create(WORLD_HOT_COUNTERS, wl->trace ? 0 : wl->key_count);
    setup_series(w);
    /* An entry with an answer hook is offered each request first when the client's call into
     * it changes nothing but the stack: no latency (not even between regions), no timeout. */
    struct comp *entry = one_entry(w);
    if (entry && entry->ops->answer && entry->spec->latency.kind == DIST_CONST &&
        entry->spec->latency.p[0] == 0 && !(entry->spec->timeout > 0) &&
        entry->spec->region_no == 0)
        w->answer_comp = entry;
    *out = w;
    return 0;
}

void world_free(struct world *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->ncomp; i++) {
        struct comp *c = &w->comps[i];
        if (c->ops->free_state && c->state)
            c->ops->free_state(c);
        free(c->state);
        gsl_rng_free(c->rng_net);
        gsl_rng_free(c->rng_retry);
        hist_free(&c->latency);
    }
    free(w->comps);
    for (size_t i = 0; i < w->nslabs; i++)
        free(w->slabs[i]);
    free(w->slabs);
    if (w->rng_arrivals) {
        gsl_rng_free(w->rng_arrivals);
        gsl_rng_free(w->rng_ops);
        gsl_rng_free(w->rng_keys);
        gsl_rng_free(w->rng_clients);
    }
    if (w->op_table)
        gsl_ran_discrete_free(w->op_table);
    if (w->region_table)
        gsl_ran_discrete_free(w->region_table);
    if (w->rng_regions) {
        gsl_rng_free(w->rng_regions);
        gsl_rng_free(w->rng_region_net);
    }
    keydist_free(&w->keys);
    hotkeys_free(w->hot);
    hist_free(&w->latency);
    hist_free(&w->int_pending);
    hist_free(&w->int_other);
    for (size_t i = 0; w->ops && i < w->sc->wl.nops; i++)
        hist_free(&w->ops[i].latency);
    free(w->ops);
    series_free(&w->series);
    struct autowarm *a = &w->autowarm;
    for (size_t i = 0; i < a->kept; i++)
        hist_free(&a->hists[i]);
    free(a->hists);
    free(a->lat_sum);
    free(a->lat_count);
    free(a->arrived);
    free(a->completed);
    free(a->rejected);
    free(a->failed);
    free(a->timed_out);
    sim_free(&w->sim);
    free(w);
}

int world_run(struct world *w, volatile int *stop,
              void (*progress)(void *ctx, const struct world *w, double wall), void *ctx,
              struct sim_error *err)
{
    const struct scenario *sc = w->sc;
    struct sim *sim = &w->sim;
    struct sim_event ev = {.target = SIM_KERNEL};
    /* Kernel events are scheduled first, so at equal times the warm-up and scenario events
     * (in file order) come before any request event of that instant; ticks come before all
     * (schedule_tick). */
    if (sc->warmup > 0) {
        ev.kind = KEV_WARMUP;
        sim_schedule_at(sim, sc->warmup, &ev);
    }
    for (size_t i = 0; i < sc->nevents; i++) {
        ev.kind = KEV_SCENARIO;
        ev.tag = (uint32_t)i;
        sim_schedule_at(sim, sc->events[i].at, &ev);
    }
    schedule_tick(w, fmin(sc->interval, sc->duration));
    /* An entry component with a prefetch hook (sim/model.h), the entry of every op, sees the
     * keys two arrivals ahead: the first two are drawn now, then one at each arrival. */
    struct comp *entry = one_entry(w);
    if (w->needs & NEEDS_KEYS && !sc->wl.trace && entry && entry->ops->prefetch) {
        w->ahead_comp = entry;
        for (int i = 0; i < 2; i++) {
            w->ahead_key[i] = keydist_draw(&w->keys, w->rng_keys);
            entry->ops->prefetch(entry, w->ahead_key[i]);
        }
    }
    plan_next_arrival(w, 0);

    double start = clock_wall_s(), last = start;
    /* Run in slices of simulated time so that progress and interruption are noticed: at most
     * 1/200 of the run, starting small and doubled while a slice takes under 10 ms of wall
     * time, halved while one takes over 50 ms, so that Ctrl-C stops even a very busy run
     * promptly. Where slices end does not change the results. The floor keeps t + slice above
     * t (the clock's resolution is 2^-52 of the duration). */
    double most = sc->duration / 200, least = sc->duration * 1e-12;
    double slice = fmax(least, most / 4096);
    double t = 0;
    while (t < sc->duration && !sim->stop) {
        t = fmin(sc->duration, t + slice);
        double began = clock_wall_s();
        sim_run(sim, t);
        if (stop && *stop) {
            w->interrupted = 1;
            break;
        }
        double now = clock_wall_s();
        if (now - began > 0.05)
            slice = fmax(least, slice / 2);
        else if (now - began < 0.01)
            slice = fmin(most, slice * 2);
        if (progress && now - last >= 0.5) {
            progress(ctx, w, now - start);
            last = now;
        }
    }
    w->wall_s = clock_wall_s() - start;
    /* What completed after the last row (at the duration itself, or before an interruption). */
    world_flush_latency(w);
    if (sc->warmup_auto && !w->interrupted)
        autowarm_apply(w);
    if (w->interrupted == 2)
        return sim_fail_runtime(err, "the run stopped: a topology event could not be applied");
    return 0;
}
