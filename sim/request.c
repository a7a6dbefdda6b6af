/* Pooled requests and the request's walk: req_call pushes a frame and delivers the request
 * after the callee's network latency; req_reply pops it and resumes the caller after the same
 * latency. A caller's timeout clones the request up to the caller and leaves the original to
 * finish below as an orphan, whose late reply is dropped. */
#include "sim/request.h"
#include "sim/world.h"

#include <math.h>
#include <string.h>

#define SLAB_REQUESTS 1024

SIM_HOT struct request *req_alloc(struct sim *sim)
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
    req->retry_after = 0;
    return req;
}

struct request *req_spawn(struct sim *sim, uint32_t comp, uint32_t node, uint64_t key,
                          uint16_t op)
{
    struct world *w = sim->world;
    struct request *req = req_alloc(sim);
    req->id = w->next_id++;
    req->t_start = sim->now;
    req->key = key;
    req->client = 0;
    req->op = op;
    req->counted = sim->now >= w->sc->warmup;
    req->depth = 2;
    req->frames[0] = (struct frame){.comp = SIM_KERNEL, .node = 0, .t_arrive = sim->now};
    req->frames[1] = (struct frame){.comp = comp, .node = node, .t_arrive = sim->now, .index = 1};
    return req;
}

void residents_init(struct residents *r)
{
    r->head = (struct frame){0};
    r->head.res_prev = r->head.res_next = &r->head;
}

void residents_add(struct residents *r, struct request *req)
{
    struct frame *f = req_top(req);
    SIM_ASSERT(!f->res_next);
    f->res_next = &r->head;
    f->res_prev = r->head.res_prev;
    r->head.res_prev->res_next = f;
    r->head.res_prev = f;
}

/* Unlinks a frame from whatever resident list holds it (a no-op when it is in none). */
static void unlink_frame(struct frame *f)
{
    if (!f->res_next)
        return;
    f->res_prev->res_next = f->res_next;
    f->res_next->res_prev = f->res_prev;
    f->res_prev = f->res_next = NULL;
}

/* The copy's frame takes the original's place in its resident list. */
static void move_frame_link(struct frame *from, struct frame *to)
{
    if (!from->res_next) {
        to->res_prev = to->res_next = NULL;
        return;
    }
    to->res_prev = from->res_prev;
    to->res_next = from->res_next;
    to->res_prev->res_next = to;
    to->res_next->res_prev = to;
    from->res_prev = from->res_next = NULL;
}

SIM_HOT void req_free(struct sim *sim, struct request *req)
{
    struct world *w = sim->world;
    /* Frames keep their serials until overwritten, so mark them: a pending timeout event
     * must not mistake a recycled request for its own. */
    for (uint8_t i = 0; i < req->depth; i++) {
        req->frames[i].serial = 0;
        unlink_frame(&req->frames[i]);
    }
    req->depth = 0;
    req->next_free = w->free_list;
    w->free_list = req;
    w->in_flight--;
}

/* Schedules the timeout of the call in frame idx at its deadline, under a new serial. */
static void arm_timeout(struct sim *sim, struct request *req, uint32_t idx, double deadline)
{
    struct world *w = sim->world;
    struct frame *f = &req->frames[idx];
    if (++w->next_serial == 0)
        w->next_serial = 1;
    f->serial = w->next_serial;
    struct sim_event tev = {.ptr = req, .target = SIM_KERNEL, .kind = KEV_TIMEOUT, .node = idx,
                            .tag = f->serial};
    sim_schedule_at(sim, deadline, &tev);
}

void req_call(struct sim *sim, struct request *req, uint32_t to, uint32_t node)
{
    req_top(req)->attempt = 0;
    req_call_again(sim, req, to, node);
}

/* Pushes the callee's frame (and arms the caller's timeout); returns the call's one-way
 * latency (s), after which the request must reach the callee. Inlined into both callers: a
 * call of its own costs the first call of every request a second prologue. */
__attribute__((always_inline)) static inline double push_frame(struct sim *sim, struct request *req,
                                                               uint32_t to, uint32_t node)
{
    struct world *w = sim->world;
    struct comp *c = &w->comps[to];
    SIM_ASSERT(req->depth < REQ_MAX_DEPTH);
    struct frame *caller = req_top(req);
    caller->callee = to;
    req->retry_after = 0;
    double net = c->spec->latency.kind == DIST_CONST ? c->spec->latency.p[0]
                                                      : dist_sample(&c->spec->latency, c->rng_net);
    /* Between regions the pair's latency comes on top, both ways (the reply pays f->net). A
     * caller with a region of its own calls from there, whatever its frame says (a request a
     * component started itself). A callee without a region runs where its caller is. */
    unsigned from = caller->comp != SIM_KERNEL && w->comps[caller->comp].spec->region_no
                        ? w->comps[caller->comp].spec->region_no
                        : caller->region;
    unsigned in = c->spec->region_no ? c->spec->region_no : from;
    if (in != from)
        net += region_delay(&w->sc->regions, from, in, w->rng_region_net);
    uint32_t idx = req->depth++;
    struct frame *f = &req->frames[idx];
    f->comp = to;
    f->node = node;
    f->t_arrive = sim->now + net;
    f->step = 0;
    f->net = net;
    f->aux = 0;
    f->serial = 0;
    f->res_prev = f->res_next = NULL;
    f->epoch = 0;
    f->index = idx;
    f->region = (uint16_t)in;
    if (c->spec->timeout > 0)
        arm_timeout(sim, req, idx, sim->now + c->spec->timeout);
    return net;
}

void req_call_again(struct sim *sim, struct request *req, uint32_t to, uint32_t node)
{
    double net = push_frame(sim, req, to, node);
    struct sim_event ev = {.ptr = req, .target = to, .kind = EV_ARRIVE, .node = node};
    sim_schedule(sim, net, &ev);
}

void req_call_direct(struct sim *sim, struct request *req, uint32_t to)
{
    SIM_ASSERT(req->depth == 1);
    req_top(req)->attempt = 0;
    double net = push_frame(sim, req, to, REQ_ANY_NODE);
    SIM_ASSERT(sim->now + net == sim->now);
    sim->dispatched++;
}

int req_call_first(struct sim *sim, struct request *req, uint32_t to, uint32_t node)
{
    SIM_ASSERT(req->depth == 1);
    req_top(req)->attempt = 0;
    double net = push_frame(sim, req, to, node);
    if (sim->now + net == sim->now && sim_next_is_now(sim)) {
        sim->dispatched++;
        return 1;
    }
    struct sim_event ev = {.ptr = req, .target = to, .kind = EV_ARRIVE, .node = node};
    sim_schedule(sim, net, &ev);
    return 0;
}

void req_drop(struct sim *sim, struct request *req)
{
    SIM_ASSERT(req->depth >= 2 && req->orphan_at == req->depth - 1u);
    req_free(sim, req);
}

void req_abandon(struct sim *sim, struct request *req, uint32_t idx, enum req_status st,
                 double delay)
{
    struct world *w = sim->world;
    SIM_ASSERT(idx >= 1 && idx < req->depth);
    /* The caller already gave up on this very call (a timeout, then a failure of the node
     * that still holds the orphan): it has had its answer, and a second one would resume it
     * twice. The orphan's reply through idx is dropped as before. */
    if (req->orphan_at == idx)
        return;
    /* A failure ends the call at frame idx as a failed reply would; req_reply counts those at
     * the replying component, so this one counts there too. */
    if (st == REQ_FAILED && req->counted)
        w->comps[req->frames[idx].comp].failed++;
    struct request *copy = req_alloc(sim);
    copy->id = req->id;
    copy->t_start = req->t_start;
    copy->key = req->key;
    copy->client = req->client;
    copy->op = req->op;
    copy->counted = req->counted;
    /* An orphan mark above idx belongs to the copy's part of the stack. */
    copy->orphan_at = req->orphan_at < idx ? req->orphan_at : 0;
    copy->depth = (uint8_t)idx;
    memcpy(copy->frames, req->frames, idx * sizeof req->frames[0]);
    copy->status = (uint8_t)st;
    /* The part above idx now lives in the copy: its resident links and its pending timeouts
     * (whose events point at the original) move over. */
    for (uint32_t j = 0; j < idx; j++) {
        move_frame_link(&req->frames[j], &copy->frames[j]);
        if (req->frames[j].serial) {
            const struct frame *f = &req->frames[j];
            arm_timeout(sim, copy, j, f->t_arrive - f->net + w->comps[f->comp].spec->timeout);
            req->frames[j].serial = 0;
        }
    }
    req->orphan_at = (uint8_t)idx;
    req->frames[idx].serial = 0;
    const struct frame *caller = req_top(copy);
    struct sim_event ev = {.ptr = copy,
                           .target = copy->depth == 1 ? SIM_KERNEL : caller->comp,
                           .kind = EV_RESUME,
                           .node = caller->node};
    sim_schedule(sim, delay, &ev);
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
    /* The caller's timeout runs until the reply reaches it: one that would arrive after the
     * deadline finds the caller gone, and the caller hears of the timeout at the deadline. */
    if (f->serial) {
        double deadline = f->t_arrive - f->net + c->spec->timeout;
        if (sim->now + f->net > deadline)
            req_abandon(sim, req, idx, REQ_TIMEOUT, fmax(deadline - sim->now, 0));
    }
    f->serial = 0;
    unlink_frame(f);
    req->depth--;
    if (req->orphan_at == idx) {
        /* The caller gave up on this call long ago; nobody waits for this reply. */
        req_free(sim, req);
        return;
    }
    /* A success back at the client only updates the end-to-end figures, which no other
     * event at this instant reads: when its event would run next anyway, it is done here. */
    if (req->depth == 1 && req->status == REQ_OK && sim->now + f->net == sim->now &&
        sim_next_is_now(sim)) {
        sim->dispatched++;
        world_client_reply(w, req);
        return;
    }
    const struct frame *caller = req_top(req);
    struct sim_event ev = {.ptr = req,
                           .target = req->depth == 1 ? SIM_KERNEL : caller->comp,
                           .kind = EV_RESUME,
                           .node = caller->node};
    sim_schedule(sim, f->net, &ev);
}
