/* The runtime of one simulation run: the engine, the components built from a scenario, the
 * request pool, the workload's arrival process and the end-to-end statistics. */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include "sim/hotkeys.h"
#include "sim/keys.h"
#include "sim/model.h"
#include "sim/scenario.h"
#include "sim/series.h"

#include <gsl/gsl_randist.h>

/* Event kinds every component receives; a model numbers its own from EV_MODEL. */
enum { EV_ARRIVE = 0, EV_RESUME = 1, EV_MODEL = 2 };
/* The kernel's own events (target SIM_KERNEL); a reply to the client is EV_RESUME. */
enum { KEV_ARRIVAL = 2, KEV_TIMEOUT, KEV_TICK, KEV_WARMUP, KEV_SCENARIO, KEV_RETRY };

/* Space-Saving counters for the workload's hot keys when they cannot be counted exactly (a
 * trace, or more than HOTKEYS_EXACT_MAX keys): any key above 1% of the requests is found,
 * and each reported count is within 1% of the requests of the truth. */
#define WORLD_HOT_COUNTERS 100
/* Hot keys listed in the summary. */
#define WORLD_HOT_REPORTED 10

struct op_stats {
    uint64_t completed;
    struct hist latency;
};

/* The arrival rate on one segment of the rate function: r0 + slope x (t - t0) up to end. */
struct rate_segment {
    double t0, end;   /* s */
    double r0, slope; /* req/s, req/s^2 */
    double peak;      /* req/s, the most on the segment; 0: no arrivals */
    double mean;      /* s, 1 / peak on a constant segment with arrivals, else 0 */
};

struct world {
    const struct scenario *sc;
    uint64_t seed;
    struct sim sim;
    size_t ncomp;
    struct comp *comps;

    /* Request pool: slabs that live as long as the world, so events may point into them. */
    struct request *free_list;
    struct request **slabs;
    size_t nslabs;
    uint64_t next_id;
    uint32_t next_serial;
    uint64_t in_flight;

    /* Workload. */
    gsl_rng *rng_arrivals, *rng_ops, *rng_keys, *rng_clients;
    /* Keys drawn two arrivals ahead (the same stream in the same order), for an entry
     * component with a prefetch hook that is the entry of every op: the next arrival's key,
     * then the one after. */
    struct comp *ahead_comp;
    uint64_t ahead_key[2];
    /* The entry of every op when it has an answer hook (sim/model.h) and calls into it take no
     * time and no timeout: arrivals offer it each request before one is allocated. Set by
     * world_create; a test may clear it to send every request the general way. */
    struct comp *answer_comp;
    uint64_t answered; /* requests answer_comp answered at once */
    gsl_ran_discrete_t *op_table;
    gsl_rng *rng_regions;             /* the client's region of each request (workload.regions) */
    gsl_ran_discrete_t *region_table; /* NULL when the workload has no regions */
    gsl_rng *rng_region_net;          /* latencies between regions that are not constant */
    struct keydist keys;
    struct hotkeys *hot;      /* the most requested keys after the warm-up; NULL without keys */
    uint32_t arrival_gen;     /* stale arrival events (after a rate change) carry an old one */
    /* `set` events: each settable path keeps its own value, so that setting one does not
     * undo another (users x rate_per_user). A set rate or users replaces that function of
     * time by a constant. */
    int rate_set, users_set, rpu_set;
    double set_rate;          /* req/s */
    double set_users;         /* active users */
    double set_rpu;           /* req/s per user */
    struct rate_segment seg;  /* the rate function around the last arrival */
    size_t trace_pos;
    unsigned needs;           /* NEEDS_KEYS | NEEDS_CLIENTS over every component */
    /* Uniform arrivals (world.c, uniform_advance): an anchor where the rate's integral from
     * the start is known, and the number of the next arrival. */
    double uni_t;             /* s */
    double uni_area;          /* requests: the integral over [0, uni_t] */
    uint64_t uni_next;
    struct rate_segment uni_seg; /* the rate function from uni_t on */

    /* End-to-end figures for requests that arrived after the warm-up. */
    uint64_t arrived, completed, rejected, failed, timed_out;
    struct hist latency;
    struct op_stats *ops;
    /* The current metrics interval (all requests, warm-up included). Each latency is
     * recorded once: a counted one (arrived after the warm-up) in int_pending until
     * world_flush_latency merges it into `latency`, the others in int_other, where flushed
     * ones go too. The interval's latencies are the union of the two. */
    uint64_t int_offered, int_completed, int_rejected, int_failed;
    struct hist int_pending, int_other;
    struct series series;
    size_t series_row;

    /* "warmup": "auto": what each interval saw, to trim the warm-up MSER-5 finds. */
    struct autowarm {
        size_t n, cap;
        double *lat_sum, *lat_count;      /* completions' latency, by interval */
        double *arrived, *completed, *rejected, *failed, *timed_out;
        struct hist *hists;               /* latencies of the first `kept` intervals */
        size_t kept;
        double detected;                  /* s; the warm-up found */
        double statistic;
        size_t cut;                       /* intervals dropped */
    } autowarm;
    uint64_t int_timed_out;

    int interrupted;
    double wall_s;
};

/* Builds the runtime for a scenario and seed; components are started. */
int world_create(const struct scenario *sc, uint64_t seed, struct world **out,
                 struct sim_error *err);
/* Runs to the scenario's duration (or until *stop becomes nonzero). `progress` is called
 * about every 0.5 s of wall time with the simulated time, when non-NULL. */
int world_run(struct world *w, volatile int *stop,
              void (*progress)(void *ctx, const struct world *w, double wall), void *ctx,
              struct sim_error *err);
void world_free(struct world *w);
/* A request came back to the client: counts its end-to-end outcome and frees it (the work of
 * its EV_RESUME event, which req_reply may do itself). */
void world_client_reply(struct world *w, struct request *req);
/* Brings `latency` up to date with the current interval's counted completions (at every
 * metrics row and at the end of world_run; anything that reads `latency` after driving the
 * engine some other way calls it first). The interval's own figures do not change. */
void world_flush_latency(struct world *w);
double world_users_at(const struct world *w, double t);
double world_rate_at(const struct world *w, double t);

#endif
