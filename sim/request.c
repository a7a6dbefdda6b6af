/* Pooled requests and the request's walk: req_call pushes a frame and delivers the request
 * after the callee's network latency; req_reply pops it and resumes the caller after the same
 * latency. A caller's timeout clones the request up to the caller and leaves the original to
 * finish below as an orphan, whose late reply is dropped. */
#include "sim/request.h"
#include "sim/world.h"

#include <string.h>

#define SLAB_REQUESTS 1024

struct request *req_alloc(struct sim *sim)
{
    struct world *w = sim->world;
    if (!w->free_list) {
        struct request *slab = sim_xcalloc(SLAB_REQUESTS, sizeof *slab);
        w->slabs = sim_xrealloc(w->slabs, (w->nslabs + 1) * sizeof *w->slabs);
        w->slabs[w->nslabs++] = slab;
        for (size_t i = SLAB_REQUESTS; i-- > 0;) {
            slab[i].next_free = w->free_list;
            w->free_list = &slab[i];
        }
    }
    struct request *req = w->free_list;
    w->free_list = req->next_free;
    w->in_flight++;
    req->status = REQ_OK;
    req->depth = 0;
    req->orphan_at = 0;
    req->counted = 0;
    return req;
}

void req_free(struct sim *sim, struct request *req)
{
    struct world *w = sim->world;
    /* Frames keep their serials until overwritten, so mark them: a pending timeout event
     * must not mistake a recycled request for its own. */
    for (uint8_t i = 0; i < req->depth; i++)
        req->frames[i].serial = 0;
    req->depth = 0;
    req->next_free = w->free_list;
    w->free_list = req;
    w->in_flight--;
}

void req_call(struct sim *sim, struct request *req, uint32_t to, uint32_t node)
{
    struct world *w = sim->world;
    struct comp *c = &w->comps[to];
    SIM_ASSERT(req->depth < REQ_MAX_DEPTH);
    double net = c->spec->latency.kind == DIST_CONST ? c->spec->latency.p[0]
                                                      : dist_sample(&c->spec->latency, c->rng_net);
    uint32_t idx = req->depth++;
    struct frame *f = &req->frames[idx];
    f->comp = to;
    f->node = node;
    f->t_arrive = sim->now + net;
    f->step = 0;
    f->net = net;
    f->aux = 0;
    f->serial = 0;
    if (c->spec->timeout > 0) {
        if (++w->next_serial == 0)
            w->next_serial = 1;
        f->serial = w->next_serial;
        struct sim_event tev = {.ptr = req, .target = SIM_KERNEL, .kind = KEV_TIMEOUT,
                                .node = idx, .tag = f->serial};
        sim_schedule(sim, c->spec->timeout, &tev);
    }
    struct sim_event ev = {.ptr = req, .target = to, .kind = EV_ARRIVE, .node = node};
    sim_schedule(sim, net, &ev);
}

void req_reply(struct sim *sim, struct request *req)
{
    struct world *w = sim->world;
    SIM_ASSERT(req->depth >= 2);
    uint32_t idx = req->depth - 1u;
    struct frame *f = &req->frames[idx];
    struct comp *c = &w->comps[f->comp];
    if (req->counted && req->status == REQ_OK)
        hist_record(&c->latency, sim->now - f->t_arrive);
    if (req->status == REQ_FAILED && req->counted)
        c->failed++;
    f->serial = 0;
    req->depth--;
    if (req->orphan_at == idx) {
        /* The caller gave up on this call long ago; nobody waits for this reply. */
        req_free(sim, req);
        return;
    }
    const struct frame *caller = req_top(req);
    struct sim_event ev = {.ptr = req,
                           .target = req->depth == 1 ? SIM_KERNEL : caller->comp,
                           .kind = EV_RESUME,
                           .node = caller->node};
    sim_schedule(sim, f->net, &ev);
}
