/* The optional "migration" of a sharded cache: at a scale, the keys that change owner are
 * copied from their old node to their new one by one stream of transfer batches at a set
 * bandwidth, instead of being dropped; this holds the plan and answers where a key in transit
 * is served. */
#ifndef MODELS_MIGRATION_H
#define MODELS_MIGRATION_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct sim;
struct sim_error;
struct station;

struct migration_cfg {
    int on;              /* 0: moved keys are dropped at the scale (cold misses) */
    double bandwidth;    /* bytes/s of the cluster's one copy stream */
    double item_size;    /* bytes per key copied; 0: not given (migration_item_size) */
    uint32_t batch_keys; /* keys per transfer batch */
};

/* Parses obj (NULL or JSON null: off) at path, e.g. {"bandwidth": "100MB/s", "item_size":
 * "4KiB", "batch": 10}; errors name the field's path. */
int migration_parse(const cJSON *obj, const char *path, struct migration_cfg *out,
                    struct sim_error *err);
/* Bytes per key: item_size, else the workload's object size (bytes, 0 when unknown), else
 * 1 KiB. */
double migration_item_size(const struct migration_cfg *cfg, double object_size);

/* One key to copy: its old node (which serves it until the copy lands) and its new owner. */
struct mig_item {
    uint64_t key;
    uint32_t src, tgt;
};

/* A zeroed plan is empty and valid. */
struct migration {
    struct mig_item *item; /* sorted by key */
    uint32_t *order;       /* item indexes in copy order: by source, target, key */
    uint8_t *waiting;      /* per item: 1 until it is copied or dropped */
    size_t n, next;        /* items; next position in order */
    size_t in_transit;     /* items still waiting */
};

/* Replaces the plan with items[0..n) (taken over; keys distinct). */
void migration_plan(struct migration *m, struct mig_item *items, size_t n);
/* The node that serves a key in transit, or UINT32_MAX when it is not in transit. */
uint32_t migration_source(const struct migration *m, uint64_t key);
/* The next batch: up to `most` waiting items of one source and target, in copy order, as
 * positions [*from, *to) of m->order (items that are no longer waiting in between are skipped
 * and stay so). Returns 0 when nothing is left. */
int migration_next_batch(struct migration *m, uint32_t most, size_t *from, size_t *to);
/* Marks an item copied or dropped (no longer served by its source). */
void migration_settle(struct migration *m, uint32_t idx);
/* Drops every waiting item whose source is `node` (it failed: its copies are gone); returns
 * how many. */
size_t migration_drop_source(struct migration *m, uint32_t node);
void migration_free(struct migration *m);

/* A transfer batch of the stream: it asks its source and target nodes for a worker each, in
 * line with their requests, is sent once it has both, and holds them until it ends. */
struct mig_batch {
    uint32_t src, tgt;             /* station nodes */
    uint32_t src_epoch, tgt_epoch; /* their lives when the batch began */
    uint64_t keys;
    int on;                 /* waiting for its workers or being sent */
    int src_held, tgt_held; /* has the worker (or the node failed: no wait for it) */
    int stale;              /* a scale replaced the plan it belongs to */
};

/* Begins a batch of `keys` keys; the model receives an event of hold_kind for a node whose
 * worker comes later. Returns 1 when it has both workers at once (send it). */
int mig_batch_begin(struct mig_batch *b, struct station *st, struct sim *sim, uint32_t src,
                    uint32_t tgt, uint64_t keys, uint16_t hold_kind);
/* A worker came (the hold event), or the node failed and is no longer waited for; returns 1
 * when the batch has just got its last one (send it). */
int mig_batch_held(struct mig_batch *b, uint32_t node);
/* Both nodes are still in the lives they had when the batch began. */
int mig_batch_intact(const struct mig_batch *b, const struct station *st);
/* Ends the batch: the nodes still in those lives get their workers back. Returns whether it
 * was intact. */
int mig_batch_end(struct mig_batch *b, struct station *st, struct sim *sim);

#endif
