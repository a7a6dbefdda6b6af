/* Pooled requests with a call stack. req_call pushes a frame and delivers the request to a
 * component after that component's network latency; req_reply pops the frame and resumes the
 * caller after the same latency. Nested calls need nothing else.
 *
 * A frame can also be resident on a node (linked into the node's list while the request is
 * there or below it), so that a node failure can fail exactly the requests it holds. */
#ifndef SIM_REQUEST_H
#define SIM_REQUEST_H

#include <stddef.h>
#include <stdint.h>

struct sim;

#define REQ_MAX_DEPTH 16 /* the call graph's longest path must be shorter */
#define REQ_ANY_NODE UINT32_MAX /* let the callee choose its node */

enum req_status {
    REQ_OK = 0,
    REQ_REJECTED, /* refused: full queue, rate limit, quota (429/503) */
    REQ_FAILED,   /* a failed node or component, or a failed downstream call */
    REQ_TIMEOUT,  /* the caller gave up */
};

/* One level of the call stack: the component handling the request at that depth. */
struct frame {
    uint32_t comp;    /* component index; frame 0 is the client */
    uint32_t node;    /* node inside the component, REQ_ANY_NODE until it picks one */
    double t_arrive;  /* s, when the request reached this component */
    uint32_t step;    /* the model's progress, e.g. the index of the next downstream call */
    uint32_t serial;  /* identifies this call for its timeout event */
    double net;       /* s, the one-way latency drawn for this call, paid again by the reply */
    struct frame *res_prev, *res_next; /* the node's resident list; NULL when not linked */
    uint32_t epoch;   /* the node's life when the request arrived; a failure starts a new one */
    uint32_t index;   /* this frame's index in the request's stack */
    uint32_t callee;  /* the component this frame's last call went to */
    uint32_t attempt; /* retries of that call so far */
    uint16_t region;  /* the region the request is in at this depth: the component's, or for one
                         without a region (and the client) the caller's; 1 + index, 0 none */
    uint64_t aux;     /* free for the model */
};

/* A node's resident list: a circular list through frames with this sentinel. */
struct residents {
    struct frame head;
};

struct request {
    uint64_t id;
    double t_start;     /* s, arrival at the system */
    uint64_t key;       /* key index, 0 = most popular */
    uint32_t client;    /* client id */
    uint16_t op;        /* index into the workload's op names */
    uint8_t status;     /* enum req_status */
    uint8_t counted;    /* arrived after the warm-up: its latency counts */
    uint8_t depth;      /* frames in use; frames[depth-1] is the current component */
    uint8_t orphan_at;  /* when nonzero: the caller at this depth gave up; a reply that pops
                           frame orphan_at is dropped and the request freed */
    double retry_after; /* s: the Retry-After of a 429 (set by the rate limiter that refused
                           the request); 0 = none. Each new call clears it; req_retry waits at
                           least this long */
    struct frame frames[REQ_MAX_DEPTH];
    struct request *next_free;
};

static inline struct frame *req_top(struct request *req)
{
    return &req->frames[req->depth - 1];
}

/* The request a frame belongs to. */
static inline struct request *req_of_frame(struct frame *f)
{
    return (struct request *)((char *)(f - f->index) - offsetof(struct request, frames));
}

void residents_init(struct residents *r);
/* Links the request's top frame into the list (it arrived at that node). */
void residents_add(struct residents *r, struct request *req);

/* Allocation from the world's pool (never malloc per request once warm). */
struct request *req_alloc(struct sim *sim);
void req_free(struct sim *sim, struct request *req);

/* A request that a component starts on its own (a write-back flush, a refresh): the client
 * frame, then a frame for component `comp` on `node`, from which the component makes its
 * req_call. Its replies come back to the component (never to the client), which ends the
 * request with req_free; so it loads the components it calls and counts there (after the
 * warm-up), but never counts end to end. */
struct request *req_spawn(struct sim *sim, uint32_t comp, uint32_t node, uint64_t key,
                          uint16_t op);
/* req_call from the client (the kernel's arrivals). When the call takes no time and its
 * arrival event would be the next to run (sim_next_is_now), no event is scheduled and this
 * returns 1: the caller then hands the request to the component itself (world.c), after all
 * else it does. Returns 0 when the arrival event is scheduled as usual. */
int req_call_first(struct sim *sim, struct request *req, uint32_t to, uint32_t node);
/* req_call_first's direct case, which the caller has established (the call takes no time, and
 * sim_next_is_now held before anything else was scheduled at this instant): pushes the frame
 * and counts the arrival event, which the caller then runs itself. */
void req_call_direct(struct sim *sim, struct request *req, uint32_t to);
/* Sends req from its current component to component `to` (node REQ_ANY_NODE lets it choose).
 * If `to` declares a timeout, the caller gives up after it and resumes with REQ_TIMEOUT. */
void req_call(struct sim *sim, struct request *req, uint32_t to, uint32_t node);
/* The same call once more (a retry): the attempt count of the caller's frame is kept. */
void req_call_again(struct sim *sim, struct request *req, uint32_t to, uint32_t node);
/* A downstream call came back with a failure (req->status): if the callee's "retries" policy
 * allows another attempt, schedules it after the backoff, or after req->retry_after when that
 * is longer (a 429's Retry-After), to `node` of the callee (or REQ_ANY_NODE) and returns 1:
 * the model then just returns. Returns 0 when the failure stands.
 * The client retries calls into the entry component by itself. */
int req_retry(struct sim *sim, struct request *req, uint32_t node);
/* Whether req_retry would retry (for models whose choice of node has side effects). */
int req_retry_allowed(struct sim *sim, const struct request *req);
/* Ends the current component's part: pops its frame and resumes the caller (status as set). */
void req_reply(struct sim *sim, struct request *req);
/* Gives up on the call in frame idx (idx >= 1) on behalf of the caller: the caller resumes
 * after `delay` with a copy of the request cut at its own depth and status `st`, while the
 * original goes on below as an orphan whose reply through frame idx is dropped. A call the
 * caller already gave up on (frame idx is the orphan's mark) is left as it is. Models must
 * not keep pointers to a request that is in flight below them (they may be orphaned). */
void req_abandon(struct sim *sim, struct request *req, uint32_t idx, enum req_status st,
                 double delay);
/* Discards a request whose node failed after it arrived (station_alive is false): its caller
 * has already been answered, and nothing of it is counted. */
void req_drop(struct sim *sim, struct request *req);
/* Ends the current component's part with a status (rejected, failed). */
static inline void req_reply_status(struct sim *sim, struct request *req, enum req_status st)
{
    req->status = (uint8_t)st;
    req_reply(sim, req);
}

#endif
