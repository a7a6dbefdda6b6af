/* The shared server mechanics that every server-like model reuses: per node a number of
 * workers, a FIFO waiting room (bounded, unbounded or none), service times, and the
 * utilisation and queue-length accounting. The model decides when a worker is released:
 * thread-per-request servers hold it through their downstream calls, event-driven ones not. */
#ifndef SIM_STATION_H
#define SIM_STATION_H

#include "sim/model.h"

/* The fields of a server in scenarios (workers, queue, service), parsed by a model's table. */
struct station_cfg {
    int64_t workers;  /* per node; -1 unlimited */
    int64_t queue;    /* waiting room per node; -1 unbounded, 0 none */
};

struct station_node {
    uint32_t busy;          /* workers serving or holding a request */
    uint32_t up;            /* 1 while the node works */
    uint32_t epoch;         /* the node's life: a failure starts the next one */
    struct residents residents; /* requests at this node or below it */
    /* FIFO of waiting requests: a ring buffer that grows when unbounded. Its capacity is a
     * power of two, so that positions wrap with a mask instead of a division. */
    struct request **wait;
    uint32_t head, len, cap;
    uint64_t arrivals, rejected, served;
    struct twavg busy_avg, queue_avg;   /* since the end of the warm-up */
    struct twmark busy_int, queue_int;  /* the current metrics interval, off the above */
};

struct station {
    struct station_cfg cfg;
    uint32_t comp;          /* the owning component's index: target of service events */
    uint16_t done_kind;     /* event kind the model receives when a service ends */
    uint32_t nnodes;
    struct station_node *nodes;
    struct dist service;    /* a copy of the model's service time (not owned) */
    gsl_rng **rng;          /* one stream per node: (component, node, "service") */
    double *speed;          /* relative speed per node (service time / speed); NULL: all 1 */
    const struct dist *by_op; /* service time per op (indexed by req->op), or NULL: service */
    uint32_t nspeed;
    const struct comp *owner;
    uint16_t hold_kind; /* event kind for a waiting hold that gets its worker */
};

enum station_result { STATION_STARTED, STATION_QUEUED, STATION_REJECTED, STATION_DOWN };

void station_init(struct station *st, const struct comp *owner, const struct station_cfg *cfg,
                  const struct dist *service, uint32_t nodes, uint16_t done_kind, double now);
void station_free(struct station *st);
/* A request arrives at a node. STARTED: a worker took it and its service-end event is
 * scheduled (kind done_kind, ptr req, node); QUEUED: it waits; REJECTED: no room; DOWN: the
 * node has failed (for both, the caller of this function replies). A service time of zero
 * still passes through the event queue, so ordering stays the same whatever the
 * distribution. A started or queued request is resident on the node until it replies. */
enum station_result station_arrive(struct station *st, struct sim *sim, uint32_t node,
                                   struct request *req);
/* For an event-driven server whose service takes no time and whose workers are unlimited:
 * the request enters the node as with station_arrive (counted, resident until it replies)
 * but takes no worker and no service event, so the model serves it at once. STATION_STARTED,
 * or STATION_DOWN when the node has failed (the caller replies). */
enum station_result station_enter(struct station *st, uint32_t node, struct request *req);
/* station_enter for a request the model answers before it returns (nothing it does waits):
 * counted the same, but never resident, since no failure can come in between. */
static inline enum station_result station_pass(struct station *st, uint32_t node)
{
    struct station_node *n = &st->nodes[node];
    n->arrivals++;
    if (!n->up) {
        n->rejected++;
        return STATION_DOWN;
    }
    n->served++;
    return STATION_STARTED;
}
/* Whether a request's event at this node still belongs to the node's current life: after a
 * failure the node's old requests were failed towards their callers, and whatever comes
 * back for them must only be dropped (req_reply frees such an orphan). */
static inline int station_alive(const struct station *st, struct request *req)
{
    const struct frame *f = req_top(req);
    const struct station_node *n = &st->nodes[f->node];
    return n->up && f->epoch == n->epoch;
}
/* Fails a node: the requests waiting there fail at once, and every request it holds (in
 * service, or waiting on a downstream call) fails towards its caller, which hears of it
 * after the network latency. Figures are kept. */
void station_fail(struct station *st, struct sim *sim, uint32_t node);
void station_recover(struct station *st, struct sim *sim, uint32_t node);
/* Relative speeds of the first n nodes (a node at 0.5 takes twice as long); others run at 1. */
void station_set_speeds(struct station *st, const double *speeds, uint32_t n);
/* station_arrive at the request's node, answering for the station when it cannot take the
 * request: a full waiting room is a rejection (REQ_REJECTED), a failed node a failure
 * (REQ_FAILED); both count in c->rejected. */
void station_admit(struct station *st, struct comp *c, struct sim *sim, struct request *req);
/* Starts service for req on a worker the caller already holds (e.g. a second phase). */
void station_serve(struct station *st, struct sim *sim, uint32_t node, struct request *req,
                   const struct dist *service);
/* Frees a worker of the node; the next waiting request, if any, starts. */
void station_release(struct station *st, struct sim *sim, uint32_t node);
/* Work of the model's own that is no request (a data copy at a scale) asks for a worker of a
 * working node, in line with the requests: returns 1 when it took one at once; otherwise (0)
 * it waits in the queue (beyond its limit, and counted in its length) and when a worker is
 * free the model receives an event of `kind` for the node (ptr NULL). A failure of the node
 * discards a waiting hold without an event. The worker counts in the busy time, not in the
 * requests served. */
int station_hold(struct station *st, struct sim *sim, uint32_t node, uint16_t kind);
/* Ends a hold that has its worker, within the same life of the node (a failure frees every
 * worker): the worker goes to the head of the queue, if any. */
void station_unhold(struct station *st, struct sim *sim, uint32_t node);
/* Grows the number of node records (scale out); new nodes start idle. Records are never
 * dropped, so a node scaled away keeps its figures; the model stops routing to it. */
void station_resize(struct station *st, struct sim *sim, uint32_t nodes);
/* Restarts the since-warm-up averages. */
void station_reset(struct station *st, double now);
/* Interval figures (mean over nodes), restarting the interval averages. */
void station_sample(struct station *st, double now, double *util, double *queue);
/* One node's mean busy workers and queue length over the current interval (until the next
 * station_sample), for a model that averages over some of its nodes only. */
double station_interval_busy(const struct station *st, uint32_t node, double now);
double station_interval_queue(const struct station *st, uint32_t node, double now);
void station_node_stats(const struct station *st, double now, uint32_t node,
                        struct node_stats *out);
/* Mean utilisation over all nodes since warm-up (NaN when workers are unlimited). */
double station_utilization(const struct station *st, double now);
double station_queue_mean(const struct station *st, double now);
/* Mean busy workers per node since warm-up. */
double station_busy_mean(const struct station *st, double now);
uint64_t station_rejected(const struct station *st);

#endif
