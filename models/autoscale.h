/* Autoscaling of a pool of nodes (the "autoscale" object of a service): every interval, the
 * pool's utilisation over that interval decides a node count by the proportional rule
 * ceil(busy nodes / target), within min and max and after a cooldown since the last change.
 * Added nodes serve only after the provisioning delay (cold start); removed nodes stop taking
 * requests at once. The owning model keeps the nodes and the events; this module decides,
 * and records every step for summary.json. */
#ifndef MODELS_AUTOSCALE_H
#define MODELS_AUTOSCALE_H

#include "sim/model.h"

struct autoscale_cfg {
    int on;              /* 0: the object was not given */
    double target;       /* utilisation aimed at, 0..1 */
    uint32_t min, max;   /* nodes */
    double interval;     /* s, between decisions */
    double cooldown;     /* s, after a change before the next one */
    double provisioning; /* s, from a scale-out decision until the new nodes serve */
};

/* One change of the node count. */
struct autoscale_step {
    double at;         /* s, the decision */
    uint32_t from, to; /* nodes decided before and after (serving plus provisioning) */
    double util;       /* utilisation over the interval before; NaN for a scale event */
    double active_at;  /* s, when the count took effect (at + provisioning for a scale-out);
                          NaN while the nodes are still provisioning */
};

struct autoscale {
    const struct autoscale_cfg *cfg;
    uint32_t desired;       /* nodes decided: serving plus provisioning */
    uint32_t active;        /* nodes serving */
    uint32_t gen;           /* pending activations carry it; a newer decision cancels them */
    double last_change;     /* s, -inf before the first */
    double t_last;          /* s, start of the interval being measured */
    double busy_last;       /* worker-seconds of the pool's running total at t_last */
    double busy_carry;      /* worker-seconds of the interval lost to a restart (warm-up) */
    struct twavg nodes;     /* serving nodes over time, for the capacity of an interval */
    double nodes_area_last; /* node-seconds at t_last */
    struct autoscale_step *steps;
    size_t nsteps, cap;
};

/* Parses the "autoscale" object at path (json NULL: off) for a pool of `nodes` initial nodes
 * with `workers` per node (-1 unlimited, which has no utilisation: an error). */
int autoscale_parse(const cJSON *json, const char *path, int64_t nodes, int64_t workers,
                    struct autoscale_cfg *cfg, struct sim_error *err);
/* Starts the autoscaler of component c with `nodes` serving; schedules its first decision as
 * an event of kind `kind` to c (activations of new nodes are events of the same kind with
 * flags 1). */
void autoscale_start(struct autoscale *as, const struct autoscale_cfg *cfg, const struct comp *c,
                     struct sim *sim, uint32_t nodes, uint16_t kind);
/* Handles the autoscaler's events (the kind given to autoscale_start). busy is the pool's
 * running total of busy worker-seconds now, workers per node. Returns the number of nodes
 * that must serve from now on (the same as before when nothing changes). */
uint32_t autoscale_handle(struct autoscale *as, struct sim *sim, const struct sim_event *ev,
                          const struct comp *c, double busy, int64_t workers);
/* The running total of busy worker-seconds restarts (the end of the warm-up): busy is its
 * value just before, so that the interval under way keeps what it had. */
void autoscale_restart(struct autoscale *as, double busy);
/* A scale event set the count to `nodes` at once: pending activations are cancelled. */
void autoscale_scaled(struct autoscale *as, double now, uint32_t nodes);
/* "scaling": [{"at_s", "from", "to", "reason", "utilization", "active_at_s"}] into out. */
void autoscale_report(const struct autoscale *as, cJSON *out);
void autoscale_free(struct autoscale *as);

#endif
