/* The interface between the kernel and the component models: one const struct model_ops per
 * component type (a table of hooks plus sizes; the kernel owns config and state), and the
 * runtime view of a component that every hook receives. Models include this one header. */
#ifndef SIM_MODEL_H
#define SIM_MODEL_H

#include "sim/dist.h"
#include "sim/engine.h"
#include "sim/error.h"
#include "sim/params.h"
#include "sim/request.h"
#include "sim/rng.h"
#include "sim/stats.h"

#include <cjson/cJSON.h>
#include <stdint.h>

struct scenario;
struct comp_spec;
struct est_comp;
struct comp;
struct world;

/* A topology change from an event (scale, fail, recover) or the command line. */
enum control_action { CTL_SCALE, CTL_FAIL, CTL_RECOVER };
struct control {
    enum control_action action;
    int64_t nodes;   /* CTL_SCALE: the new count */
    int64_t node;    /* CTL_FAIL/RECOVER: node index, -1 for the whole component, -2 for a
                        database's primary */
    const char *what; /* CTL_SCALE: "nodes", "shards", "replicas", "edges" */
    int64_t shard;   /* CTL_FAIL/RECOVER of a sharded store: the shard named, -1 when none */
};

/* Per-interval figures a component contributes to timeseries.csv. */
struct comp_sample {
    double util;      /* busy workers / workers over the interval, 0..1 */
    double queue;     /* mean waiting requests over the interval */
    double hit_ratio; /* NaN when the component has none */
    double nodes;     /* nodes serving at the sample (a pool that scales itself); NaN: not
                         reported (no <id>.nodes column) */
    double in_transit; /* keys a migration has still to copy at the sample; NaN: not reported
                          (no <id>.in_transit column) */
};

/* Per-node figures for nodes.csv and the skew measures. */
struct node_stats {
    uint64_t requests;
    double util;
    uint64_t keys;
};

/* What a component reads from requests, so that the workload draws only what is used. */
#define NEEDS_KEYS 1u
#define NEEDS_CLIENTS 2u

struct model_ops {
    const char *name;                 /* the "type" in scenarios */
    const char *help;                 /* one line for `--help` */
    const struct param_spec *params;  /* the model's own fields, PARAM_END-terminated */
    size_t config_size;
    /* Optional: checks beyond the table and resolves ids to component indexes (other
     * components are known by then: scenario_find). */
    int (*parse)(struct comp_spec *cs, const cJSON *obj, const struct scenario *sc,
                 struct sim_error *err);
    /* Optional: the components this one calls (for the call graph's cycle check). */
    void (*edges)(const struct comp_spec *cs, void (*fn)(void *ctx, uint32_t to), void *ctx);
    void (*free_config)(void *config); /* optional: what parse allocated */
    /* Optional: back-of-envelope figures (sim/estimate.h): from self->rate, set nodes,
     * workers, queue, service time and its scv, and declare downstream traffic (est_call). */
    void (*estimate)(const struct comp_spec *cs, const struct scenario *sc,
                     struct est_comp *self);
    /* Optional: NEEDS_KEYS | NEEDS_CLIENTS for this configuration; absent means both. */
    unsigned (*needs)(const struct comp_spec *cs);

    size_t state_size;
    int (*start)(struct comp *c, struct sim *sim);
    /* A request reached the component (req_top(req)->comp is this component). */
    void (*arrive)(struct comp *c, struct sim *sim, struct request *req);
    /* A downstream call of this component returned (req->status tells how). */
    void (*resume)(struct comp *c, struct sim *sim, struct request *req);
    /* The component's own events (ev->target is this component). */
    void (*handle)(struct comp *c, struct sim *sim, const struct sim_event *ev);
    /* Optional: scale/fail/recover; returns -1 with err when the action does not apply. */
    int (*control)(struct comp *c, struct sim *sim, const struct control *ctl,
                   struct sim_error *err);
    /* Interval figures; called at every metrics tick, which also starts the next interval. */
    void (*sample)(struct comp *c, struct sim *sim, struct comp_sample *out);
    /* Restart the component's averages (end of warm-up). */
    void (*reset_stats)(struct comp *c, struct sim *sim);
    /* The current number of nodes, and whether one works (what a health check sees). */
    uint32_t (*node_count)(const struct comp *c);
    int (*node_up)(const struct comp *c, uint32_t node);
    void (*node_stats)(struct comp *c, struct sim *sim, uint32_t node, struct node_stats *out);
    /* Optional: adds model-specific members to the component's summary object. */
    void (*report)(struct comp *c, struct sim *sim, cJSON *out);
    void (*free_state)(struct comp *c);
    /* Optional: rough bytes the component's nodes and tables will need during the run, for
     * the memory limit checked at load (sim/limits.h); without it, the peak node count x
     * LIMITS_NODE_BYTES. (This interface grows by appending, as SQLite's modules do.) */
    double (*memory)(const struct comp_spec *cs, const struct scenario *sc);
    /* Optional: checks that need the whole scenario, events included (e.g. that a placement
     * over the most nodes the run reaches can be built, so that nothing fails mid-run); called
     * once everything else is valid. */
    int (*check)(const struct comp_spec *cs, const struct scenario *sc, struct sim_error *err);
    /* Optional, for an entry component: called at every arrival, in order, with the key of
     * the arrival after the next. The model may fetch into the CPU's cache what finding that
     * key will read, in stages over the arrivals between (a hash bucket now, the entry it
     * leads to at the next call). Only a hint: it must change no result. */
    void (*prefetch)(struct comp *c, uint64_t key);
    /* Optional, for an entry component: a request of the workload (op, key, counted after the
     * warm-up) reaches the component with no time taken on the way, and the reply would reach
     * the client with none either. When the component can answer it at once with a success,
     * with no queue, downstream call or event scheduled, it does all its work for it (all
     * but `requests` and the latency record, which the world makes) and returns 1; no request
     * is allocated. Otherwise it returns 0 having changed nothing, and the request takes the
     * usual way (`arrive`). The figures must come out as that way would make them. */
    int (*answer)(struct comp *c, struct sim *sim, uint16_t op, uint64_t key, int counted);
};

/* The runtime view of one component. */
struct comp {
    const struct comp_spec *spec;
    const struct model_ops *ops;
    const void *config;     /* the parsed parameter struct (owned by the scenario) */
    void *state;            /* state_size bytes, zeroed, owned by the world */
    uint32_t index;
    struct world *world;
    gsl_rng *rng_net;       /* network latency draws */
    gsl_rng *rng_retry;     /* retry jitter of calls into it */
    /* Figures the kernel keeps for every component. */
    uint64_t requests;      /* arrivals (after warm-up) */
    uint64_t rejected;      /* refused (after warm-up) */
    uint64_t failed;
    uint64_t retries;       /* calls into it that were retries (after warm-up) */
    struct hist latency;    /* arrival at the component to its reply, counted requests */
    int has_hit_ratio;      /* its timeseries.csv columns include <id>.hit_ratio */
    int has_nodes;          /* ... and <id>.nodes */
    int has_in_transit;     /* ... and <id>.in_transit */
};

/* Services the kernel offers to models. */
uint64_t world_seed(const struct world *w);
double world_warmup(const struct world *w);
/* A new RNG stream for (this component, node, purpose); freed by the caller. */
gsl_rng *comp_rng(const struct comp *c, uint32_t node, const char *purpose);
/* The op index of a name in the workload ("read"...), or -1. */
int world_op_index(const struct world *w, const char *op);
size_t world_op_count(const struct world *w);

#endif
