/* Back-of-envelope figures from a scenario, before simulating: request rates per tier from
 * the workload, utilisation per node, queueing delay where a tier is M/M/c-like (Erlang C,
 * with the Allen-Cunneen correction for general service times), Erlang B loss where there
 * is no waiting room, response times composed along the call graph, storage and bandwidth. */
#ifndef SIM_ESTIMATE_H
#define SIM_ESTIMATE_H

#include "sim/scenario.h"

#include <cjson/cJSON.h>
#include <stdio.h>

#define EST_MAX_CALLS 64

/* One component's figures at a given offered load. Models fill the middle block in their
 * estimate hook; the kernel fills the rest. */
struct est_comp {
    double rate[SCN_MAX_OPS];  /* req/s arriving, per op */
    double total;              /* req/s arriving */
    /* Set by the model: */
    uint32_t nodes;
    double workers;            /* per node; INFINITY: unlimited (no queueing) */
    double queue;              /* waiting room per node; INFINITY unbounded, 0 none */
    double service;            /* s, mean time a worker is held, downstream calls excluded */
    double scv;                /* squared coefficient of variation of that time */
    int holds_downstream;      /* thread-per-request: the worker waits for downstream calls */
    int async;                 /* a queue: callers wait only for acceptance (two network legs);
                                  the workers (consumers) and their wait concern the messages */
    double hit_ratio;          /* NaN when not a cache */
    double delay;              /* s, mean time a request spends on the model's own legs outside
                                  its workers and calls (a CDN's trips to its origin); added
                                  to the response */
    char note[160];
    /* Filled by the kernel: */
    double downstream;         /* s, mean time spent in downstream calls per request */
    double util;               /* per worker, 0..1 (>= 1: overloaded) */
    double wait;               /* s, mean queueing delay */
    double loss;               /* fraction rejected for want of a worker (queue 0) */
    double response;           /* s, arrival at the component to its reply, with networks */
    char model[32];            /* the queueing model used: "M/M/8", "M/G/1", "delay" */
    /* Calls declared by the model: to, op, rate and how many such calls a request waits for. */
    size_t ncalls;
    struct {
        uint32_t to;
        size_t op;
        double rate;
        double share;
    } calls[EST_MAX_CALLS];
};

/* Declares traffic from component `self` to `to`: `rate` req/s of op `op`, of which each of
 * this component's requests of that op waits for `share` responses (1 for a plain call, the
 * miss ratio for a cache's backend, 0 for fire-and-forget). */
void est_call(struct est_comp *self, uint32_t to, size_t op, double rate, double share);

struct estimate {
    double rate;               /* req/s offered at the moment estimated */
    double users;
    double end_to_end;         /* s, mean response of a request at the entry */
    size_t ncomp;
    struct est_comp *comps;
    uint32_t bottleneck;       /* the component that saturates first */
    double max_rate;           /* req/s at which the bottleneck reaches utilisation 1 */
};

/* Estimates the system at offered rate `rate` (req/s, split over ops by the workload). */
void estimate_at(const struct scenario *sc, double rate, double users, struct estimate *out);
void estimate_free(struct estimate *e);
/* Erlang B loss and Erlang C waiting probability for c servers offered a Erlangs. */
double erlang_b(double c, double a);
double erlang_c(double c, double a);
/* The whole report: average and peak load, the table, storage and bandwidth. */
void estimate_print(const struct scenario *sc, FILE *out);
/* The average offered rate over [from, to] and the peak rate (and when), from the workload. */
double estimate_average_rate(const struct scenario *sc, double from, double to);
double estimate_peak_rate(const struct scenario *sc, double *at);

#endif
