/* The autoscaler of a pool: the "autoscale" object parsed through a parameter table, the
 * proportional decision at every interval with min, max and cooldown, delayed activation of
 * new nodes (provisioning), and the record of every step. */
#include "models/autoscale.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The object as given; copied into struct autoscale_cfg once checked. */
struct autoscale_json {
    double target;
    int64_t min, max;
    double interval, cooldown, provisioning;
};

static const struct param_spec autoscale_params[] = {
    {"target_utilization", PT_NUMBER, offsetof(struct autoscale_json, target), 0.01, 1, "0.6",
     "utilisation the pool is sized for", NULL, 0},
    {"min", PT_INT, offsetof(struct autoscale_json, min), 1, 100000, "1", "fewest nodes", NULL, 0},
    {"max", PT_INT, offsetof(struct autoscale_json, max), 1, 100000, "100", "most nodes", NULL, 0},
    {"interval", PT_DURATION, offsetof(struct autoscale_json, interval), 0, 1e9, "\"30s\"",
     "time between decisions; each looks at the utilisation over the last interval", NULL, 0},
    {"cooldown", PT_DURATION, offsetof(struct autoscale_json, cooldown), 0, 1e9, "\"2m\"",
     "no change sooner than this after the last one", NULL, 0},
    {"provisioning", PT_DURATION, offsetof(struct autoscale_json, provisioning), 0, 1e9, "0",
     "from a scale-out decision until the new nodes serve (cold start)", NULL, 0},
    PARAM_END,
};

int autoscale_parse(const cJSON *json, const char *path, int64_t nodes, int64_t workers,
                    struct autoscale_cfg *cfg, struct sim_error *err)
{
    char sub[300];
    memset(cfg, 0, sizeof *cfg);
    if (!json)
        return 0;
    if (!cJSON_IsObject(json))
        return sim_fail(err, path,
                        "must be an object such as {\"target_utilization\": 0.6, "
                        "\"min\": 2, \"max\": 20}");
    const struct param_spec *tab[] = {autoscale_params, NULL};
    struct autoscale_json j = {0};
    if (params_parse(tab, NULL, json, &j, path, err))
        return -1;
    if (!(j.interval > 0))
        return sim_fail(err, path_member(sub, sizeof sub, path, "interval"), "must be above 0");
    if (j.min > j.max)
        return sim_fail(err, path_member(sub, sizeof sub, path, "min"),
                        "is above max (%lld > %lld)", (long long)j.min, (long long)j.max);
    if (nodes < j.min || nodes > j.max)
        return sim_fail(err, path,
                        "the pool starts with %lld nodes, outside min..max "
                        "(%lld..%lld)",
                        (long long)nodes, (long long)j.min, (long long)j.max);
    if (workers < 0)
        return sim_fail(err, path,
                        "needs a worker limit: without one there is no "
                        "utilisation to scale on");
    *cfg = (struct autoscale_cfg){.on = 1,
                                  .target = j.target,
                                  .min = (uint32_t)j.min,
                                  .max = (uint32_t)j.max,
                                  .interval = j.interval,
                                  .cooldown = j.cooldown,
                                  .provisioning = j.provisioning};
    return 0;
}

static void schedule_decision(struct autoscale *as, const struct comp *c, struct sim *sim,
                              uint16_t kind)
{
    struct sim_event ev = {.target = c->index, .kind = kind};
    sim_schedule(sim, as->cfg->interval, &ev);
}

void autoscale_start(struct autoscale *as, const struct autoscale_cfg *cfg, const struct comp *c,
                     struct sim *sim, uint32_t nodes, uint16_t kind)
{
    memset(as, 0, sizeof *as);
    as->cfg = cfg;
    as->desired = as->active = nodes;
    as->last_change = -INFINITY;
    as->t_last = sim->now;
    twavg_init(&as->nodes, sim->now, nodes);
    schedule_decision(as, c, sim, kind);
}

static struct autoscale_step *add_step(struct autoscale *as, double at, uint32_t from, uint32_t to,
                                       double util)
{
    if (as->nsteps == as->cap) {
        as->cap = as->cap ? 2 * as->cap : 8;
        as->steps = sim_xrealloc(as->steps, as->cap * sizeof *as->steps);
    }
    struct autoscale_step *s = &as->steps[as->nsteps++];
    *s = (struct autoscale_step){.at = at, .from = from, .to = to, .util = util, .active_at = NAN};
    return s;
}

static void set_active(struct autoscale *as, double now, uint32_t n)
{
    as->active = n;
    twavg_set(&as->nodes, now, n);
}

/* New nodes come into service; a newer scale event may have cancelled them (gen). */
static void activate(struct autoscale *as, double now, const struct sim_event *ev)
{
    if (ev->tag != as->gen || ev->node <= as->active)
        return;
    set_active(as, now, ev->node);
    for (size_t i = as->nsteps; i-- > 0;)
        if (as->steps[i].to == ev->node && isnan(as->steps[i].active_at)) {
            as->steps[i].active_at = now;
            break;
        }
}

uint32_t autoscale_handle(struct autoscale *as, struct sim *sim, const struct sim_event *ev,
                          const struct comp *c, double busy, int64_t workers)
{
    const struct autoscale_cfg *cfg = as->cfg;
    double now = sim->now;
    if (ev->flags) {
        activate(as, now, ev);
        return as->active;
    }
    schedule_decision(as, c, sim, ev->kind);
    /* The interval just ended: work done (worker-seconds) against the capacity that served. */
    double work = busy - as->busy_last + as->busy_carry;
    double node_s = twavg_area(&as->nodes, now) - as->nodes_area_last;
    double dt = now - as->t_last;
    as->busy_last = busy;
    as->busy_carry = 0;
    as->nodes_area_last = twavg_area(&as->nodes, now);
    as->t_last = now;
    if (!(node_s > 0) || !(dt > 0) || workers <= 0 || now < as->last_change + cfg->cooldown)
        return as->active;
    double util = work / ((double)workers * node_s);
    /* The load in nodes' worth of work, and the count that carries it at the target. The
     * small allowance keeps an exact fit (load / target an integer) from rounding up. */
    double load = work / ((double)workers * dt);
    double want = ceil(load / cfg->target - 1e-9);
    uint32_t n = want < cfg->min ? cfg->min : want > cfg->max ? cfg->max : (uint32_t)want;
    if (n > as->desired) {
        add_step(as, now, as->desired, n, util);
        as->desired = n;
        as->last_change = now;
        if (cfg->provisioning > 0) {
            struct sim_event act = {
                .target = c->index, .kind = ev->kind, .flags = 1, .node = n, .tag = as->gen};
            sim_schedule(sim, cfg->provisioning, &act);
        } else {
            set_active(as, now, n);
            as->steps[as->nsteps - 1].active_at = now;
        }
    } else if (n < as->desired && as->active == as->desired) {
        /* Fewer nodes would still stay under the target: they go at once (and finish what
         * they hold). Not while nodes are still provisioning: their effect is not seen yet. */
        add_step(as, now, as->desired, n, util)->active_at = now;
        as->desired = n;
        as->last_change = now;
        set_active(as, now, n);
    }
    return as->active;
}

void autoscale_restart(struct autoscale *as, double busy)
{
    as->busy_carry += busy - as->busy_last;
    as->busy_last = 0;
}

void autoscale_scaled(struct autoscale *as, double now, uint32_t nodes)
{
    add_step(as, now, as->desired, nodes, NAN)->active_at = now;
    as->gen++;
    as->desired = nodes;
    as->last_change = now;
    set_active(as, now, nodes);
}

void autoscale_report(const struct autoscale *as, cJSON *out)
{
    char reason[160];
    cJSON *list = cJSON_AddArrayToObject(out, "scaling");
    for (size_t i = 0; i < as->nsteps; i++) {
        const struct autoscale_step *s = &as->steps[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "at_s", s->at);
        cJSON_AddNumberToObject(o, "from", s->from);
        cJSON_AddNumberToObject(o, "to", s->to);
        if (isnan(s->util))
            snprintf(reason, sizeof reason, "scale event");
        else if (s->to > s->from)
            snprintf(reason, sizeof reason, "utilization %.3f above target %.3g", s->util,
                     as->cfg->target);
        else
            snprintf(reason, sizeof reason,
                     "utilization %.3f: under target %.3g with fewer "
                     "nodes",
                     s->util, as->cfg->target);
        cJSON_AddStringToObject(o, "reason", reason);
        if (isnan(s->util))
            cJSON_AddNullToObject(o, "utilization");
        else
            cJSON_AddNumberToObject(o, "utilization", s->util);
        if (isnan(s->active_at))
            cJSON_AddNullToObject(o, "active_at_s");
        else
            cJSON_AddNumberToObject(o, "active_at_s", s->active_at);
        cJSON_AddItemToArray(list, o);
    }
}

void autoscale_free(struct autoscale *as)
{
    free(as->steps);
    as->steps = NULL;
    as->nsteps = as->cap = 0;
}
