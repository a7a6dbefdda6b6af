/* Scenario loading: reads the JSON file, applies --set overrides, validates every field
 * strictly (errors carry file, line and JSON path), resolves ids and checks the call graph. */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include "sim/dist.h"
#include "sim/model.h"
#include "sim/region.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define SCN_MAX_OPS 32

enum ramp_kind { RAMP_LINEAR, RAMP_STEP };
enum arrival_kind { ARRIVALS_POISSON, ARRIVALS_UNIFORM };

/* A piecewise function of time: (t, value) points, linear or step between them, constant
 * before the first and after the last. */
struct points {
    size_t n;
    double *t; /* s, increasing */
    double *v;
};

struct trace_row {
    double t;     /* s */
    uint16_t op;
    uint64_t key;
    uint32_t client;
};

struct workload {
    int by_users;            /* 1: users x rate_per_user; 0: rate */
    struct points rate;      /* req/s (by_users = 0) */
    struct points users;     /* active users (by_users = 1) */
    double rate_per_user;    /* req/s per user */
    enum ramp_kind ramp;
    enum arrival_kind arrivals;
    size_t nops;
    char *op_names[SCN_MAX_OPS];
    double op_weights[SCN_MAX_OPS];
    uint32_t entry[SCN_MAX_OPS]; /* entry component per op */
    int key_zipf;
    uint64_t key_count;
    double key_s;
    uint64_t hot_keys;
    double hot_share;
    uint64_t clients;
    double object_size;      /* bytes per request's payload, for bandwidth estimates; 0 unknown */
    char *trace_path;
    struct trace_row *trace; /* loaded and checked at scenario load */
    size_t ntrace;
};

enum retry_jitter { JITTER_FULL, JITTER_EQUAL, JITTER_NONE };

/* Callers retry a failed, timed-out or rejected call into a component with "retries". */
struct retry_policy {
    uint32_t max;          /* retries after the first attempt; 0 = none */
    double backoff;        /* s, before the first retry */
    double multiplier;     /* each further retry waits this much longer */
    double max_backoff;    /* s, cap on the wait */
    enum retry_jitter jitter;
    uint8_t on_failed, on_timeout, on_rejected;
};

struct comp_spec {
    char *id;
    const struct model_ops *ops;
    uint32_t index;
    int64_t nodes;        /* initial node count */
    struct dist latency;  /* one-way network delay of a call into this component */
    double timeout;       /* s; 0 = callers never give up */
    struct retry_policy retry; /* how callers retry a failed call into this component */
    char *region;
    uint16_t region_no;   /* 1 + the region's index in scenario.regions; 0: no region */
    void *config;         /* ops->config_size bytes */
    char path[256];       /* "components[3]" */
};

enum event_action { EVA_SCALE, EVA_FAIL, EVA_RECOVER, EVA_SET };

struct scn_event {
    double at;            /* s */
    enum event_action action;
    uint32_t target;      /* component index (scale/fail/recover) */
    int64_t nodes;        /* scale: the new count */
    const char *what;     /* scale: "nodes", "shards", "replicas", "edges" */
    int64_t node;         /* fail/recover: node index, -1 whole component, -2 the primary */
    int64_t shard;        /* fail/recover of a sharded store: shard index, or -1 */
    uint16_t region_no;   /* fail/recover of every component in a region (1 + its index); 0:
                             the target is a component */
    char *set_path;       /* set: workload.rate, workload.rate_per_user, ... */
    double set_value;
    char path[256];       /* "events[2]" */
};

struct scenario {
    char *file;
    char *text;           /* the source, for error lines */
    size_t text_len;
    cJSON *root;
    char *name;
    char *description;
    uint64_t seed;
    double duration;      /* s */
    double interval;      /* s */
    double warmup;        /* s */
    int warmup_auto;      /* "warmup": "auto": detected after the run by MSER-5 */
    uint64_t key_sample;
    struct workload wl;
    struct region_set regions; /* "regions" and workload.regions */
    size_t ncomp;
    struct comp_spec *comps;
    size_t nevents;
    struct scn_event *events;
    uint32_t *topo;       /* component indexes in call order (callers first) */
};

/* Loads and validates a scenario. `sets` are PATH=VALUE overrides applied to the JSON before
 * validation (PATH may name a component by id: components.web.nodes). On error returns -1
 * with err filled (file, line, path, message) and *out NULL. */
int scenario_load(const char *file, const char *const *sets, size_t nsets,
                  const struct model_ops *const *registry, struct scenario **out,
                  struct sim_error *err);
/* The same from text in memory (file names the source in errors). */
int scenario_load_text(const char *file, const char *text, size_t len, const char *const *sets,
                       size_t nsets, const struct model_ops *const *registry,
                       struct scenario **out, struct sim_error *err);
void scenario_free(struct scenario *sc);

/* The fields every component has (id, type, nodes, latency, timeout, region). */
const struct param_spec *scenario_common_params(void);
/* Component index of an id, or -1. */
int scenario_find(const struct scenario *sc, const char *id);
/* Op index of a name, or -1. */
int scenario_op(const struct scenario *sc, const char *op);
/* The points function at time t. */
double points_at(const struct points *p, enum ramp_kind ramp, double t);

#endif
