/* The "sharding" object of scenarios (caches, databases, hash load balancing): the placement
 * scheme and its parameters, parsed and checked in one place for every model. */
#ifndef MODELS_SHARDING_H
#define MODELS_SHARDING_H

#include "models/placement.h"

#include <cjson/cJSON.h>

struct sharding_cfg {
    enum placement_scheme scheme;
    struct placement_params params;
    uint32_t replication_factor; /* copies of each key on distinct nodes; 1 = no replicas */
};

/* One recorded key movement of a sharded component (a scale of its nodes or shards). */
struct key_move {
    double at;              /* s */
    uint32_t before, after; /* nodes or shards */
    uint64_t keys, moved;   /* keys examined, and those whose owner changed */
    /* With a migration (copy stream) configured: */
    int migrating;
    uint64_t planned;  /* keys held on a node that lost them, to be copied */
    uint64_t migrated; /* copied to their new owner */
    uint64_t dropped;  /* in transit but not copied (evicted, invalidated, a failure) */
    double bytes;      /* bytes the stream sent */
    double start, end; /* s; end is NaN while the copy runs */
};

/* Adds "key_moves": [{at_s, nodes_before, nodes_after, keys, moved, moved_fraction,
 * ideal_fraction}] to a component's summary object; ideal is |n' - n| / max(n, n'). A
 * migrating move adds migration_planned, migrated_keys, migrated_bytes, migration_dropped,
 * migration_start_s, migration_end_s and migration_s (null while unfinished). */
void sharding_report_moves(cJSON *out, const struct key_move *moves, size_t n);

/* Parses obj (NULL gives the default: modulo, one copy) at path. */
int sharding_parse(const cJSON *obj, const char *path, struct sharding_cfg *out,
                   struct sim_error *err);
/* Checks at load that the placement can be built over up to `nodes` nodes (the most the run
 * reaches), so that no rebuild fails mid-run; the error names path (the sharding object). */
int sharding_check(const struct sharding_cfg *cfg, int64_t nodes, const char *path,
                   struct sim_error *err);
/* Rough bytes of the placement over `nodes` nodes. */
double sharding_memory(const struct sharding_cfg *cfg, int64_t nodes);

#endif
