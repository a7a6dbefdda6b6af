/* The database: per shard a primary and its read replicas (thread-per-request nodes); reads go
 * where read_from says, writes to the primary, which copies each write to the replicas after a
 * lag; failover promotes the most up-to-date replica. Counts the stale reads and lost writes. */
#include "models/migration.h"
#include "models/sharding.h"
#include "sim/jsonloc.h"
#include "sim/limits.h"
#include "sim/scenario.h"
#include "sim/estimate.h"
#include "sim/station.h"
#include "sim/units.h"
#include "sim/world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Modelling choices, beyond SCENARIO.md:
 * - Every op but "write" is a read. Nodes are numbered shard-major at the start (shard s has
 *   nodes s(1+R) .. s(1+R)+R, the first its primary); nodes added later take the next numbers.
 * - A write's copy reaches each replica after its own lag, independently (so copies of one key
 *   may overtake each other; a replica keeps the newest version). Copies still on their way
 *   when the primary fails are lost with it. Replicas spend no worker time applying copies.
 * - Sync replication holds the primary's worker until the last copy has arrived; a replica that
 *   is down still counts as having applied it (it catches up when it returns).
 * - Clients learn of a failed node `failover.detect` after the failure and then route around
 *   it; a recovered node is used again at once. Without `failover`, nothing is ever detected.
 *   When no replica works at the moment of detection, the primary stays down until it recovers.
 * - After a failover, and when a primary returns before it was replaced, the replicas are
 *   treated as caught up with the (new) primary. Data does not move when shards are added or
 *   removed (key_moves reports what would), unless a "migration" copies it: then the keys
 *   that change shard are copied pair of shards after pair, in key order, by one stream of
 *   batches whose each holds a worker on both shards' primaries for bytes / bandwidth, and a
 *   key is served by its old shard until copied (keys count by an evenly spaced sample of
 *   key_sample keys, each standing for count / sample keys). A batch whose primary fails is
 *   lost and its keys move at once, as do the rest of a pair whose primary is down when its
 *   batch would start; a second scale during a migration moves the keys not yet copied at
 *   once.
 * - With "replica_regions", replica i of every shard (slot i, i >= 1) is placed in the i-th
 *   region listed, the first primary (slot 0) and unlisted replicas where the component is: a
 *   copy between two regions takes the lag plus the latency between them. Calls into the
 *   database pay the latency to the component's region whichever node serves them.
 * - Events name a node as "primary" (with "shard" when sharded; a recover of "primary" means
 *   the primary that failed last), as an index within a shard with "shard" (0 = the node that
 *   started as its primary), or as a node number (per_node's) without "shard". */

enum { EV_DB_DONE = EV_MODEL, EV_DB_APPLY, EV_DB_DETECT, EV_DB_HOLD, EV_DB_MIGRATED };

/* Where a request stands at its node (frame step). */
enum { STEP_START, STEP_SERVE, STEP_SYNC_WAIT };

enum db_read_from { READ_PRIMARY, READ_REPLICAS, READ_ANY };
static const char *const read_from_names[] = {"primary", "replicas", "any", NULL};

#define DB_MAX_REPLICAS 100
#define DB_MAX_SHARDS 10000
#define DB_NONE UINT32_MAX
#define DB_MAP_SEED 0x9e3779b97f4a7c15ULL

struct database_cfg {
    struct station_cfg st;
    const cJSON *service_json;
    int64_t replicas;
    int read_from;
    const cJSON *replication_json;
    const cJSON *failover_json;
    int64_t shards;
    const cJSON *sharding_json;
    const cJSON *replica_regions_json;
    const cJSON *migration_json;
    /* Resolved by the parse hook. */
    uint16_t *replica_region; /* region number of replica i + 1 (slot i + 1); see slot_region */
    uint32_t nreplica_regions;
    struct dist read_service, write_service;
    int same_service; /* one distribution for both: served in one phase */
    int sync;         /* replication mode: 1 sync, 0 async */
    struct dist lag;  /* s; primary to replica */
    int has_failover;
    double detect; /* s; from a node's failure until clients know of it */
    struct sharding_cfg sharding;
    uint32_t max_slots; /* 1 + the most replicas the scenario ever asks for */
    struct migration_cfg migration;
};

/* The keys that move from one shard to another at a scale: the sampled ones, in key order,
 * each standing for `weight` keys; `total` keys in all, `copied` of them done. */
struct db_pair {
    uint32_t src, tgt; /* shards */
    uint64_t *keys;
    size_t n;
    uint64_t total, copied;
};

/* The copy stream of the last scale (migration on), pair by pair, and its batch in flight. */
struct db_migration {
    struct placement *old; /* the placement before the scale; NULL when no copy runs */
    struct db_pair *pairs; /* by source, then target */
    uint32_t npairs, pair; /* the pair being copied */
    struct mig_batch batch;
};

/* A key whose replication is in flight, in its shard's map. Versions count the key's writes
 * since the entry was made: it goes as soon as no write of the key is still replicating, so
 * the map holds only keys with writes in flight, and an absent key is consistent everywhere. */
struct db_entry {
    uint64_t key;       /* the key; the next free entry + 1 while on the free list */
    uint32_t version;   /* writes the primary has applied */
    uint32_t acked;     /* the newest version acknowledged to a client */
    uint32_t inflight;  /* write records of this key that some replica has yet to apply */
    uint32_t applied[]; /* per slot: the newest version that node holds */
};

/* Open addressing with linear probing over a pool of fixed-size entries. */
struct db_keymap {
    uint32_t *table; /* entry index + 1, 0 = empty; size mask + 1, a power of two */
    uint32_t mask;
    uint32_t count;
    char *pool; /* entries of `stride` bytes */
    size_t stride;
    uint32_t used, cap;
    uint32_t free_head; /* index + 1 of a free entry, 0 = none */
};

/* One primary+replica group. A slot is a place in the group: slot 0 starts as the primary,
 * the others as replicas; failover moves the primary role, never the slots. */
struct db_shard {
    uint32_t *node;          /* per slot: the station node */
    uint8_t *active;         /* per slot: 1 in the group, 0 scaled away */
    uint64_t *behind;        /* per slot: writes sent to it and not yet applied */
    uint32_t nslots;         /* slots made so far */
    uint32_t primary;        /* slot */
    uint32_t failed_primary; /* slot of the primary that failed last */
    uint32_t rr;             /* the next slot to try for a read */
    uint32_t gen;            /* the primary's replication stream: a primary failure ends it */
    int in_use;              /* 0 once the shard count was scaled below it */
    double down_since;       /* s; when the primary failed; NaN while it works or was replaced */
    struct db_keymap map;
};

/* A write being copied to the replicas. */
struct db_write {
    uint64_t key;
    struct request *req; /* sync: the write waiting for every copy; otherwise NULL */
    uint32_t shard;
    uint32_t version;
    uint32_t gen;       /* the stream it was sent on */
    uint32_t remaining; /* copies not yet arrived; the next free record + 1 when free */
};

struct db_failover {
    double at;                /* s; when the primary failed */
    double unavailable;       /* s; until the replica took over */
    uint64_t lost;            /* acknowledged writes the promoted replica did not have */
    uint32_t shard, from, to; /* shard; old and new primary's nodes */
    uint32_t ncand;
    uint32_t *cand_node;   /* the live replicas it chose from */
    uint64_t *cand_behind; /* and the writes each was missing */
};

struct database {
    struct station st;
    struct db_shard *shards;
    uint32_t nshards;     /* shards in use: 0 .. nshards-1 */
    uint32_t shards_made; /* shard records; one scaled away keeps its nodes and figures */
    uint32_t replicas;    /* per shard, now */
    struct placement *place;
    int write_op; /* op index of "write"; every other op is a read */
    /* Per station node. */
    uint32_t *node_shard, *node_slot;
    uint8_t *known_down; /* clients know it failed (after `detect`) */
    gsl_rng **lag_rng;   /* replication lag of the copies sent to it */
    uint32_t nodes_cap;
    /* Write records, by index (events carry it). */
    struct db_write *writes;
    uint32_t writes_used, writes_cap, writes_free;
    uint32_t writes_live; /* records in use: writes still replicating */
    /* Figures (requests after the warm-up). */
    uint64_t reads, nwrites, replica_reads, stale_reads, lost_writes;
    struct db_failover *failovers;
    size_t nfailovers;
    struct key_move *moves;
    size_t nmoves;
    struct db_migration mig;
    double item_size; /* bytes per key in the copy stream */
};

static const struct param_spec database_params[] = {
    {"workers", PT_LIMIT, offsetof(struct database_cfg, st.workers), 1, 1e6, "1",
     "concurrent queries per node (a sync write holds its worker until every replica has it)", NULL,
     0},
    {"queue", PT_LIMIT, offsetof(struct database_cfg, st.queue), 0, 1e9, "\"unlimited\"",
     "waiting room per node; 0 = none (reject when every worker is busy)", NULL, 0},
    {"service", PT_JSON, offsetof(struct database_cfg, service_json), 0, 0, NULL,
     "time to serve one query: a distribution, or {\"read\": dist, \"write\": dist} (default 0)",
     NULL, 0},
    {"replicas", PT_INT, offsetof(struct database_cfg, replicas), 0, DB_MAX_REPLICAS, "0",
     "read replicas per shard", NULL, 0},
    {"read_from", PT_ENUM, offsetof(struct database_cfg, read_from), 0, 0, "\"primary\"",
     "where reads go: the primary; the replicas in turn (the primary when none is known to "
     "work); or any node of the shard in turn",
     read_from_names, 0},
    {"replication", PT_JSON, offsetof(struct database_cfg, replication_json), 0, 0, NULL,
     "{\"mode\": \"async\"|\"sync\", \"lag\": dist}: a write reaches each replica after the "
     "lag; async acknowledges it once the primary applied it, sync once every replica has "
     "(default async, lag 0)",
     NULL, 0},
    {"failover", PT_JSON, offsetof(struct database_cfg, failover_json), 0, 0, NULL,
     "{\"detect\": \"10s\"}: clients learn of a failed node after detect, and a failed primary "
     "is then replaced by the live replica that applied the most writes (default: none; a "
     "failed primary stays down until it recovers)",
     NULL, 0},
    {"shards", PT_INT, offsetof(struct database_cfg, shards), 1, DB_MAX_SHARDS, "1",
     "primary+replica groups; a key lives in one (size: shards x (1 + replicas) nodes)", NULL, 0},
    {"sharding", PT_JSON, offsetof(struct database_cfg, sharding_json), 0, 0, NULL,
     "placement of keys on shards (default {\"scheme\": \"modulo\"})", NULL, 0},
    {"replica_regions", PT_JSON, offsetof(struct database_cfg, replica_regions_json), 0, 0, NULL,
     "regions of the replicas, e.g. [\"eu\", \"ap\"] (replica i of each shard in the i-th; "
     "unlisted ones where the database is): copies between regions add their latency to the lag",
     NULL, 0},
    {"migration", PT_JSON, offsetof(struct database_cfg, migration_json), 0, 0, NULL,
     "{\"bandwidth\": \"100MB/s\", \"item_size\": \"1KiB\", \"batch\": 10}: at a shards scale, "
     "the keys that change shard are copied by one stream of batches at this total bandwidth "
     "(item_size bytes per key, default workload.object_size or 1KiB), served by their old "
     "shard until copied; each batch holds a worker on both shards' primaries for its "
     "transfer time (default: none: keys change shard at once)",
     NULL, 0},
    PARAM_END,
};

/* ---- the key map ----------------------------------------------------------------------- */

static void km_init(struct db_keymap *m, uint32_t slots)
{
    memset(m, 0, sizeof *m);
    size_t size = sizeof(struct db_entry) + slots * sizeof(uint32_t);
    m->stride = (size + 7) & ~(size_t)7;
}

static void km_free(struct db_keymap *m)
{
    free(m->table);
    free(m->pool);
    m->table = NULL;
    m->pool = NULL;
}

static struct db_entry *km_at(const struct db_keymap *m, uint32_t i)
{
    return (struct db_entry *)(m->pool + (size_t)i * m->stride);
}

static uint32_t km_home(const struct db_keymap *m, uint64_t key)
{
    return (uint32_t)XXH3_64bits_withSeed(&key, sizeof key, DB_MAP_SEED) & m->mask;
}

static struct db_entry *km_find(const struct db_keymap *m, uint64_t key)
{
    if (!m->count)
        return NULL;
    for (uint32_t i = km_home(m, key);; i = (i + 1) & m->mask) {
        uint32_t v = m->table[i];
        if (!v)
            return NULL;
        struct db_entry *e = km_at(m, v - 1);
        if (e->key == key)
            return e;
    }
}

static void km_place(struct db_keymap *m, uint32_t idx)
{
    uint32_t i = km_home(m, km_at(m, idx)->key);
    while (m->table[i])
        i = (i + 1) & m->mask;
    m->table[i] = idx + 1;
}

/* Adds an absent key with every version at 0. The pool may move: entry pointers taken before
 * do not survive. */
static struct db_entry *km_insert(struct db_keymap *m, uint64_t key)
{
    if (!m->table || 2 * (m->count + 1) > m->mask + 1) {
        uint32_t old = m->table ? m->mask + 1 : 0, size = old ? 2 * old : 16;
        uint32_t *prev = m->table;
        m->table = sim_xcalloc(size, sizeof *m->table);
        m->mask = size - 1;
        for (uint32_t i = 0; i < old; i++)
            if (prev[i])
                km_place(m, prev[i] - 1);
        free(prev);
    }
    uint32_t idx;
    if (m->free_head) {
        idx = m->free_head - 1;
        m->free_head = (uint32_t)km_at(m, idx)->key;
    } else {
        if (m->used == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 16;
            m->pool = sim_xrealloc(m->pool, m->cap * m->stride);
        }
        idx = m->used++;
    }
    struct db_entry *e = km_at(m, idx);
    memset(e, 0, m->stride);
    e->key = key;
    km_place(m, idx);
    m->count++;
    return e;
}

static void km_remove(struct db_keymap *m, uint64_t key)
{
    uint32_t i = km_home(m, key);
    while (km_at(m, m->table[i] - 1)->key != key)
        i = (i + 1) & m->mask;
    uint32_t idx = m->table[i] - 1;
    /* Backward shift: later members of the probe run move into the hole when their home
     * slot does not lie cyclically between the hole and their position. */
    for (uint32_t j = (i + 1) & m->mask; m->table[j]; j = (j + 1) & m->mask) {
        uint32_t home = km_home(m, km_at(m, m->table[j] - 1)->key);
        int between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            m->table[i] = m->table[j];
            i = j;
        }
    }
    m->table[i] = 0;
    m->count--;
    km_at(m, idx)->key = m->free_head;
    m->free_head = idx + 1;
}

static void km_clear(struct db_keymap *m)
{
    if (m->table)
        memset(m->table, 0, (m->mask + 1) * sizeof *m->table);
    m->count = 0;
    m->used = 0;
    m->free_head = 0;
}

/* ---- parsing --------------------------------------------------------------------------- */

static int parse_service(struct database_cfg *cfg, const char *cpath, struct sim_error *err)
{
    static const char *const allowed[] = {"read", "write", NULL};
    char path[300], sub[300];
    const cJSON *j = cfg->service_json;
    path_member(path, sizeof path, cpath, "service");
    dist_const(&cfg->read_service, 0);
    dist_const(&cfg->write_service, 0);
    cfg->same_service = 1;
    if (!j)
        return 0;
    if (cJSON_IsObject(j) && !cJSON_GetObjectItemCaseSensitive(j, "dist")) {
        if (params_only_members(j, allowed, path,
                                "service is a distribution, or {\"read\": dist, \"write\": dist}",
                                err))
            return -1;
        cfg->same_service = 0;
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "read");
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "write");
        if (r &&
            dist_compile(&cfg->read_service, r, path_member(sub, sizeof sub, path, "read"), err))
            return -1;
        if (w &&
            dist_compile(&cfg->write_service, w, path_member(sub, sizeof sub, path, "write"), err))
            return -1;
        return 0;
    }
    /* One distribution for both; compiled twice so that each copy owns its values. */
    if (dist_compile(&cfg->read_service, j, path, err) ||
        dist_compile(&cfg->write_service, j, path, err))
        return -1;
    return 0;
}

static int parse_replication(struct database_cfg *cfg, const char *cpath, struct sim_error *err)
{
    static const char *const allowed[] = {"mode", "lag", NULL};
    char path[300], sub[300];
    const cJSON *j = cfg->replication_json;
    path_member(path, sizeof path, cpath, "replication");
    dist_const(&cfg->lag, 0);
    cfg->sync = 0;
    if (!j)
        return 0;
    if (!cJSON_IsObject(j))
        return sim_fail(err, path,
                        "must be an object such as {\"mode\": \"async\", \"lag\": "
                        "\"50ms\"}");
    if (params_only_members(j, allowed, path, "replication has \"mode\" and \"lag\"", err))
        return -1;
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(j, "mode");
    if (mode) {
        path_member(sub, sizeof sub, path, "mode");
        if (!cJSON_IsString(mode) ||
            (strcmp(mode->valuestring, "async") != 0 && strcmp(mode->valuestring, "sync") != 0))
            return sim_fail(err, sub, "must be \"async\" or \"sync\"");
        cfg->sync = strcmp(mode->valuestring, "sync") == 0;
    }
    const cJSON *lag = cJSON_GetObjectItemCaseSensitive(j, "lag");
    if (lag && dist_compile(&cfg->lag, lag, path_member(sub, sizeof sub, path, "lag"), err))
        return -1;
    return 0;
}

static int parse_failover(struct database_cfg *cfg, const char *cpath, struct sim_error *err)
{
    static const char *const allowed[] = {"detect", NULL};
    char path[300], sub[300];
    const cJSON *j = cfg->failover_json;
    path_member(path, sizeof path, cpath, "failover");
    cfg->has_failover = 0;
    cfg->detect = 0;
    if (!j)
        return 0;
    if (!cJSON_IsObject(j))
        return sim_fail(err, path, "must be an object such as {\"detect\": \"10s\"}");
    if (params_only_members(j, allowed, path, "failover has \"detect\"", err))
        return -1;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "detect");
    if (!d)
        return sim_fail(err, path, "needs \"detect\": how long until a failure is noticed");
    if (units_duration(d, path_member(sub, sizeof sub, path, "detect"), &cfg->detect, err))
        return -1;
    cfg->has_failover = 1;
    return 0;
}

static int parse_replica_regions(const struct comp_spec *cs, struct database_cfg *cfg,
                                 const struct scenario *sc, struct sim_error *err)
{
    char path[300], sub[300];
    const cJSON *j = cfg->replica_regions_json;
    if (!j)
        return 0;
    path_member(path, sizeof path, cs->path, "replica_regions");
    if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) > DB_MAX_REPLICAS)
        return sim_fail(err, path, "must be a list of region names, one per replica");
    if (!cs->region_no)
        return sim_fail(err, path, "needs the database's \"region\" (where the primaries are)");
    cfg->replica_region =
        sim_xcalloc((size_t)cJSON_GetArraySize(j) + 1, sizeof *cfg->replica_region);
    size_t i = 0;
    for (const cJSON *r = j->child; r; r = r->next, i++) {
        path_index(sub, sizeof sub, path, i);
        if (!cJSON_IsString(r))
            return sim_fail(err, sub, "must be a region name (a string)");
        int k = region_find(&sc->regions, r->valuestring);
        if (k < 0)
            return region_unknown(&sc->regions, r->valuestring, sub, err);
        cfg->replica_region[cfg->nreplica_regions++] = (uint16_t)(k + 1);
    }
    return 0;
}

static int whole_number(const cJSON *v, double lo, double hi, int64_t *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi)
        return 0;
    *out = (int64_t)v->valuedouble;
    return 1;
}

/* The scenario's events on this database, checked here because only the model knows what a
 * database's scale and node names mean. Values of the wrong kind are left to the event
 * parser, which names them. Also finds the most replicas ever asked for. */
static int check_events(const struct comp_spec *cs, struct database_cfg *cfg,
                        const struct scenario *sc, struct sim_error *err)
{
    char path[300], sub[300];
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(sc->root, "events");
    int64_t most_replicas = cfg->replicas, most_shards = cfg->shards, v;
    for (int pass = 0; pass < 2; pass++) {
        size_t i = 0;
        for (const cJSON *e = cJSON_IsArray(events) ? events->child : NULL; e; e = e->next, i++) {
            const cJSON *target = cJSON_GetObjectItemCaseSensitive(e, "target");
            const cJSON *action = cJSON_GetObjectItemCaseSensitive(e, "action");
            if (!cJSON_IsString(target) || strcmp(target->valuestring, cs->id) != 0 ||
                !cJSON_IsString(action))
                continue;
            path_index(path, sizeof path, "events", i);
            const cJSON *node = cJSON_GetObjectItemCaseSensitive(e, "node");
            const cJSON *shard = cJSON_GetObjectItemCaseSensitive(e, "shard");
            if (strcmp(action->valuestring, "scale") == 0 && pass == 0) {
                const char *wrong = cJSON_GetObjectItemCaseSensitive(e, "nodes")   ? "nodes"
                                    : cJSON_GetObjectItemCaseSensitive(e, "edges") ? "edges"
                                                                                   : NULL;
                if (wrong)
                    return sim_fail(err, path_member(sub, sizeof sub, path, wrong),
                                    "a database scales by \"shards\" or \"replicas\" (its size "
                                    "is shards x (1 + replicas))");
                const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "replicas");
                if (r && whole_number(r, 0, 1e9, &v)) {
                    if (v > DB_MAX_REPLICAS)
                        return sim_fail(err, path_member(sub, sizeof sub, path, "replicas"),
                                        "at most %d replicas per shard", DB_MAX_REPLICAS);
                    most_replicas = v > most_replicas ? v : most_replicas;
                }
                const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "shards");
                if (s && whole_number(s, 0, 1e9, &v)) {
                    if (v < 1 || v > DB_MAX_SHARDS)
                        return sim_fail(err, path_member(sub, sizeof sub, path, "shards"),
                                        "must be from 1 to %d", DB_MAX_SHARDS);
                    most_shards = v > most_shards ? v : most_shards;
                }
            }
            if (pass == 1 && (strcmp(action->valuestring, "fail") == 0 ||
                              strcmp(action->valuestring, "recover") == 0)) {
                if (cJSON_IsString(node) && strcmp(node->valuestring, "primary") == 0 && !shard &&
                    most_shards > 1)
                    return sim_fail(err, path, "%s is sharded: name the primary's \"shard\"",
                                    cs->id);
                if (shard && whole_number(shard, 0, 1e9, &v) && v >= most_shards)
                    return sim_fail(err, path_member(sub, sizeof sub, path, "shard"),
                                    "%s has shards 0..%lld", cs->id, (long long)most_shards - 1);
                if (shard && node && whole_number(node, 0, 1e9, &v) && v > most_replicas)
                    return sim_fail(err, path_member(sub, sizeof sub, path, "node"),
                                    "a shard of %s has nodes 0..%lld (0 started as its primary)",
                                    cs->id, (long long)most_replicas);
            }
        }
    }
    cfg->max_slots = (uint32_t)most_replicas + 1;
    return 0;
}

static int database_parse(struct comp_spec *cs, const cJSON *obj, const struct scenario *sc,
                          struct sim_error *err)
{
    struct database_cfg *cfg = cs->config;
    char path[300];
    if (cJSON_GetObjectItemCaseSensitive(obj, "nodes"))
        return sim_fail(err, path_member(path, sizeof path, cs->path, "nodes"),
                        "a database has no \"nodes\": its size is shards x (1 + replicas); set "
                        "\"shards\" and \"replicas\"");
    if (parse_service(cfg, cs->path, err) || parse_replication(cfg, cs->path, err) ||
        parse_failover(cfg, cs->path, err) || parse_replica_regions(cs, cfg, sc, err))
        return -1;
    path_member(path, sizeof path, cs->path, "sharding");
    if (sharding_parse(cfg->sharding_json, path, &cfg->sharding, err))
        return -1;
    if (cfg->sharding.replication_factor != 1)
        return sim_fail(err, path,
                        "a database keeps copies with \"replicas\"; its "
                        "replication_factor must be 1");
    if (migration_parse(cfg->migration_json, path_member(path, sizeof path, cs->path, "migration"),
                        &cfg->migration, err))
        return -1;
    if (check_events(cs, cfg, sc, err))
        return -1;
    if (cfg->read_from == READ_REPLICAS && cfg->max_slots == 1)
        return sim_fail(err, path_member(path, sizeof path, cs->path, "read_from"),
                        "\"replicas\" needs replicas (set \"replicas\" to 1 or more)");
    return 0;
}

static void database_free_config(void *config)
{
    struct database_cfg *cfg = config;
    dist_free(&cfg->read_service);
    dist_free(&cfg->write_service);
    dist_free(&cfg->lag);
    free(cfg->replica_region);
}

/* The region number of a slot (see the modelling choices). */
static unsigned slot_region(const struct comp *c, uint32_t slot)
{
    const struct database_cfg *cfg = c->config;
    return slot >= 1 && slot <= cfg->nreplica_regions ? cfg->replica_region[slot - 1]
                                                      : c->spec->region_no;
}

/* ---- nodes and shards ------------------------------------------------------------------ */

static struct db_shard *shard_of_node(struct database *s, uint32_t node)
{
    return &s->shards[s->node_shard[node]];
}

/* Marks every key with writes in flight as applied on the slot: a node that joins the group
 * starts up to date. */
static void slot_up_to_date(struct db_shard *sh, uint32_t slot)
{
    struct db_keymap *m = &sh->map;
    for (uint32_t i = 0; m->table && i <= m->mask; i++)
        if (m->table[i]) {
            struct db_entry *e = km_at(m, m->table[i] - 1);
            e->applied[slot] = e->version;
        }
}

static void add_slot(struct comp *c, struct sim *sim, uint32_t shard)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    struct db_shard *sh = &s->shards[shard];
    SIM_ASSERT(sh->nslots < cfg->max_slots);
    uint32_t node = s->st.nnodes, slot = sh->nslots++;
    station_resize(&s->st, sim, node + 1);
    if (node >= s->nodes_cap) {
        s->nodes_cap = s->nodes_cap ? 2 * s->nodes_cap : 16;
        s->node_shard = sim_xrealloc(s->node_shard, s->nodes_cap * sizeof *s->node_shard);
        s->node_slot = sim_xrealloc(s->node_slot, s->nodes_cap * sizeof *s->node_slot);
        s->known_down = sim_xrealloc(s->known_down, s->nodes_cap * sizeof *s->known_down);
        s->lag_rng = sim_xrealloc(s->lag_rng, s->nodes_cap * sizeof *s->lag_rng);
    }
    s->node_shard[node] = shard;
    s->node_slot[node] = slot;
    s->known_down[node] = 0;
    s->lag_rng[node] = comp_rng(c, node, "lag");
    sh->node[slot] = node;
    sh->active[slot] = 1;
    sh->behind[slot] = 0;
    slot_up_to_date(sh, slot);
}

static uint32_t replica_count(const struct db_shard *sh)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < sh->nslots; k++)
        n += sh->active[k] && k != sh->primary;
    return n;
}

/* Scales the shard's replicas to r: the highest slots leave first, and a slot that joins
 * (again) starts up to date. */
static void set_replicas(struct comp *c, struct sim *sim, uint32_t shard, uint32_t r)
{
    struct database *s = c->state;
    struct db_shard *sh = &s->shards[shard];
    uint32_t n = replica_count(sh);
    for (uint32_t k = sh->nslots; k-- > 0 && n > r;)
        if (sh->active[k] && k != sh->primary) {
            sh->active[k] = 0;
            n--;
        }
    for (uint32_t k = 0; k < sh->nslots && n < r; k++)
        if (!sh->active[k]) {
            sh->active[k] = 1;
            slot_up_to_date(sh, k);
            n++;
        }
    for (; n < r; n++)
        add_slot(c, sim, shard);
}

static void make_shard(struct comp *c, struct sim *sim)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    uint32_t idx = s->shards_made++;
    s->shards = sim_xrealloc(s->shards, s->shards_made * sizeof *s->shards);
    struct db_shard *sh = &s->shards[idx];
    *sh = (struct db_shard){.in_use = 1, .down_since = NAN};
    sh->node = sim_xcalloc(cfg->max_slots, sizeof *sh->node);
    sh->active = sim_xcalloc(cfg->max_slots, sizeof *sh->active);
    sh->behind = sim_xcalloc(cfg->max_slots, sizeof *sh->behind);
    km_init(&sh->map, cfg->max_slots);
    add_slot(c, sim, idx);
    set_replicas(c, sim, idx, s->replicas);
}

static struct placement *make_placement(const struct database_cfg *cfg, uint32_t n)
{
    struct placement *p = NULL;
    struct sim_error err = {0};
    /* The parameters were checked at load; n >= 1 default-named nodes cannot fail. */
    int rc = placement_create(cfg->sharding.scheme, NULL, n, &cfg->sharding.params, &p, &err);
    if (rc)
        sim_error_print(&err);
    SIM_ASSERT(rc == 0);
    return p;
}

static uint32_t key_shard(const struct database *s, uint64_t key)
{
    return placement_lookup(s->place, placement_hash_id(s->place, key));
}

static int pair_cmp(uint32_t src, uint32_t tgt, const struct db_pair *p)
{
    if (src != p->src)
        return src < p->src ? -1 : 1;
    return (tgt > p->tgt) - (tgt < p->tgt);
}

/* The shard that serves a key: its old one while its copy is pending. Within the pair being
 * copied, the keys go in key order: those from the next sampled key not yet covered on. */
static uint32_t serving_shard(const struct database *s, uint64_t key)
{
    uint32_t now = key_shard(s, key);
    const struct db_migration *m = &s->mig;
    if (!m->old)
        return now;
    uint32_t was = placement_lookup(m->old, placement_hash_id(m->old, key));
    if (was == now)
        return now;
    uint32_t lo = 0, hi = m->npairs;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (pair_cmp(was, now, &m->pairs[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* A moved key outside the sample's pairs moves at once. */
    if (lo == m->npairs || pair_cmp(was, now, &m->pairs[lo]) != 0 || lo < m->pair)
        return now;
    const struct db_pair *p = &m->pairs[lo];
    if (lo > m->pair)
        return was;
    size_t next = (size_t)((double)p->copied * (double)p->n / (double)p->total);
    return next < p->n && key >= p->keys[next] ? was : now;
}

/* The replicas have caught up with the primary (a new primary, or the old one back): nothing
 * is in flight on the new stream. */
static void resync(struct db_shard *sh)
{
    memset(sh->behind, 0, sh->nslots * sizeof *sh->behind);
    km_clear(&sh->map);
}

/* ---- limits ---------------------------------------------------------------------------- */

/* Shards x (1 + replicas) nodes at the run's peak, each with a server record and a lag RNG
 * stream, plus per shard its slot tables, and the placement over the shards. The per-key maps
 * of writes in flight grow with the load, not with the scenario's numbers. */
static double database_memory(const struct comp_spec *cs, const struct scenario *sc)
{
    const struct database_cfg *cfg = cs->config;
    double shards = (double)limits_peak(sc, cs->index, "shards", cfg->shards);
    double per_shard =
        sizeof(struct db_shard) + cfg->max_slots * (LIMITS_NODE_BYTES + LIMITS_RNG_BYTES + 32.0);
    /* A migration keeps the moved keys of the sample. */
    double sample =
        cfg->migration.on
            ? 8.0 * (double)(sc->wl.key_count < sc->key_sample ? sc->wl.key_count : sc->key_sample)
            : 0;
    return shards * per_shard + sample +
           sharding_memory(&cfg->sharding, limits_peak(sc, cs->index, "shards", cfg->shards));
}

static int database_check(const struct comp_spec *cs, const struct scenario *sc,
                          struct sim_error *err)
{
    const struct database_cfg *cfg = cs->config;
    char path[300];
    return sharding_check(&cfg->sharding, limits_peak(sc, cs->index, "shards", cfg->shards),
                          path_member(path, sizeof path, cs->path, "sharding"), err);
}

static int database_start(struct comp *c, struct sim *sim)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    struct dist zero;
    dist_const(&zero, 0);
    s->write_op = world_op_index(c->world, "write");
    s->item_size = migration_item_size(&cfg->migration, c->world->sc->wl.object_size);
    s->replicas = (uint32_t)cfg->replicas;
    /* With separate read and write times the station's own phase takes no time and the
     * request's real service follows on the same worker. */
    station_init(&s->st, c, &cfg->st, cfg->same_service ? &cfg->read_service : &zero, 0, EV_DB_DONE,
                 sim->now);
    for (int64_t i = 0; i < cfg->shards; i++)
        make_shard(c, sim);
    s->nshards = (uint32_t)cfg->shards;
    s->place = make_placement(cfg, s->nshards);
    return 0;
}

/* ---- requests -------------------------------------------------------------------------- */

static int is_write(const struct database *s, const struct request *req)
{
    return (int)req->op == s->write_op;
}

static uint32_t pick_read(struct database *s, const struct database_cfg *cfg, struct db_shard *sh)
{
    if (cfg->read_from != READ_PRIMARY)
        for (uint32_t k = 0; k < sh->nslots; k++) {
            uint32_t slot = (sh->rr + k) % sh->nslots;
            if (!sh->active[slot] || s->known_down[sh->node[slot]] ||
                (slot == sh->primary && cfg->read_from == READ_REPLICAS))
                continue;
            sh->rr = slot + 1 >= sh->nslots ? 0 : slot + 1;
            return sh->node[slot];
        }
    return sh->node[sh->primary];
}

static void database_arrive(struct comp *c, struct sim *sim, struct request *req)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    struct frame *f = req_top(req);
    int write = is_write(s, req);
    if (req->counted) {
        s->nwrites += (uint64_t)write;
        s->reads += (uint64_t)!write;
    }
    /* The key decides the node, whatever node the caller asked for. */
    struct db_shard *sh =
        &s->shards[s->mig.old ? serving_shard(s, req->key) : key_shard(s, req->key)];
    f->node = write ? sh->node[sh->primary] : pick_read(s, cfg, sh);
    f->step = STEP_START;
    station_admit(&s->st, c, sim, req);
}

static void finish(struct comp *c, struct sim *sim, struct request *req)
{
    struct database *s = c->state;
    station_release(&s->st, sim, req_top(req)->node);
    req_reply(sim, req);
}

static void read_done(struct comp *c, struct sim *sim, struct request *req)
{
    struct database *s = c->state;
    uint32_t node = req_top(req)->node, slot = s->node_slot[node];
    struct db_shard *sh = shard_of_node(s, node);
    if (slot != sh->primary) {
        s->replica_reads += req->counted;
        const struct db_entry *e = km_find(&sh->map, req->key);
        if (e && e->applied[slot] < e->acked)
            s->stale_reads += req->counted;
    }
    finish(c, sim, req);
}

static uint32_t write_alloc(struct database *s)
{
    if (s->writes_free) {
        uint32_t i = s->writes_free - 1;
        s->writes_free = s->writes[i].remaining;
        return i;
    }
    if (s->writes_used == s->writes_cap) {
        s->writes_cap = s->writes_cap ? 2 * s->writes_cap : 64;
        s->writes = sim_xrealloc(s->writes, s->writes_cap * sizeof *s->writes);
    }
    return s->writes_used++;
}

/* The primary has applied a write: it sends the write to every replica of the group, and
 * acknowledges it now (async) or when the last copy has arrived (sync). */
static void write_applied(struct comp *c, struct sim *sim, struct request *req)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    struct frame *f = req_top(req);
    uint32_t shard = s->node_shard[f->node];
    struct db_shard *sh = &s->shards[shard];
    /* Only a failure moves the primary role, and a failure ends every request on the node. */
    SIM_ASSERT(s->node_slot[f->node] == sh->primary);
    uint32_t n = replica_count(sh);
    if (n == 0) {
        finish(c, sim, req);
        return;
    }
    struct db_entry *e = km_find(&sh->map, req->key);
    if (!e)
        e = km_insert(&sh->map, req->key);
    SIM_ASSERT(e->version < UINT32_MAX);
    uint32_t v = ++e->version;
    e->applied[sh->primary] = v;
    e->inflight++;
    if (!cfg->sync)
        e->acked = v;
    uint32_t w = write_alloc(s);
    s->writes_live++;
    s->writes[w] = (struct db_write){.key = req->key,
                                     .req = cfg->sync ? req : NULL,
                                     .shard = shard,
                                     .version = v,
                                     .gen = sh->gen,
                                     .remaining = n};
    for (uint32_t k = 0; k < sh->nslots; k++) {
        if (!sh->active[k] || k == sh->primary)
            continue;
        sh->behind[k]++;
        struct sim_event ev = {.target = c->index, .kind = EV_DB_APPLY, .node = k, .tag = w};
        gsl_rng *r = s->lag_rng[sh->node[k]];
        double lag = dist_sample(&cfg->lag, r);
        lag +=
            region_delay(&c->world->sc->regions, slot_region(c, sh->primary), slot_region(c, k), r);
        sim_schedule(sim, lag, &ev);
    }
    if (cfg->sync) {
        f->step = STEP_SYNC_WAIT; /* the worker stays held until the last copy */
        return;
    }
    finish(c, sim, req);
}

/* A copy of write w reached the replica in `slot`. Copies sent on a stream that has ended
 * (the primary failed) never arrive: they only release their record. A replica that is
 * down still takes its copies, as if it caught up on them when it comes back. */
static void apply(struct comp *c, struct sim *sim, uint32_t w, uint32_t slot)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    struct db_write *rec = &s->writes[w];
    struct db_shard *sh = &s->shards[rec->shard];
    int current = rec->gen == sh->gen;
    if (current) {
        sh->behind[slot]--;
        struct db_entry *e = km_find(&sh->map, rec->key);
        SIM_ASSERT(e != NULL);
        if (e->applied[slot] < rec->version)
            e->applied[slot] = rec->version;
    }
    if (--rec->remaining > 0)
        return;
    if (current) {
        struct db_entry *e = km_find(&sh->map, rec->key);
        if (cfg->sync && e->acked < rec->version)
            e->acked = rec->version;
        if (--e->inflight == 0)
            km_remove(&sh->map, rec->key);
    }
    struct request *req = rec->req;
    rec->remaining = s->writes_free;
    s->writes_free = w + 1;
    s->writes_live--;
    if (!req)
        return;
    if (station_alive(&s->st, req))
        finish(c, sim, req);
    else
        req_reply(sim, req); /* the primary failed meanwhile: nobody waits for this */
}

/* ---- migration ------------------------------------------------------------------------ */

static struct key_move *db_mig_record(struct database *s)
{
    return &s->moves[s->nmoves - 1];
}

static void mig_free(struct db_migration *m)
{
    placement_free(m->old);
    for (uint32_t i = 0; i < m->npairs; i++)
        free(m->pairs[i].keys);
    free(m->pairs);
    m->old = NULL;
    m->pairs = NULL;
    m->npairs = m->pair = 0;
}

static void db_batch_start(struct comp *c, struct sim *sim);

/* Both workers are there (or a node failed): the batch is sent in bytes / bandwidth; one
 * whose node failed is lost at once. */
static void db_batch_send(struct comp *c, struct sim *sim)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    struct mig_batch *b = &s->mig.batch;
    double dt = 0;
    if (!b->stale && mig_batch_intact(b, &s->st)) {
        double bytes = (double)b->keys * s->item_size;
        db_mig_record(s)->bytes += bytes;
        dt = bytes / cfg->migration.bandwidth;
    }
    struct sim_event ev = {.target = c->index, .kind = EV_DB_MIGRATED};
    sim_schedule(sim, dt, &ev);
}

/* A worker the batch waited for came, or its node failed: sent once it has both. */
static void db_batch_held(struct comp *c, struct sim *sim, uint32_t node)
{
    struct database *s = c->state;
    if (mig_batch_held(&s->mig.batch, node))
        db_batch_send(c, sim);
}

/* The batch is over: its keys are copied, or (a node failed) move without their data. */
static void db_batch_done(struct comp *c, struct sim *sim)
{
    struct database *s = c->state;
    struct db_migration *m = &s->mig;
    int intact = mig_batch_end(&m->batch, &s->st, sim);
    if (!m->batch.stale) {
        m->pairs[m->pair].copied += m->batch.keys;
        if (intact)
            db_mig_record(s)->migrated += m->batch.keys;
        else
            db_mig_record(s)->dropped += m->batch.keys;
    }
    m->batch.stale = 0;
    db_batch_start(c, sim);
}

/* The next batch of the pair being copied (the next pair when it is done), sent once it has
 * a worker on both shards' primaries. A pair whose primary is down moves its remaining keys
 * at once. With nothing left, the migration ends. */
static void db_batch_start(struct comp *c, struct sim *sim)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    struct db_migration *m = &s->mig;
    if (!m->old)
        return;
    while (m->pair < m->npairs) {
        struct db_pair *p = &m->pairs[m->pair];
        const struct db_shard *a = &s->shards[p->src], *b = &s->shards[p->tgt];
        uint32_t src = a->node[a->primary], tgt = b->node[b->primary];
        if (p->copied == p->total) {
            m->pair++;
            continue;
        }
        if (!s->st.nodes[src].up || !s->st.nodes[tgt].up) {
            db_mig_record(s)->dropped += p->total - p->copied;
            p->copied = p->total;
            continue;
        }
        uint64_t left = p->total - p->copied;
        if (mig_batch_begin(&m->batch, &s->st, sim, src, tgt,
                            left < cfg->migration.batch_keys ? left : cfg->migration.batch_keys,
                            EV_DB_HOLD))
            db_batch_send(c, sim);
        return;
    }
    db_mig_record(s)->end = sim->now;
    mig_free(m);
}

static int cmp_db_pair(const void *a, const void *b)
{
    const struct db_pair *x = a, *y = b;
    return pair_cmp(x->src, x->tgt, y);
}

/* Plans the copy from `before` to the new placement over an evenly spaced sample of the
 * keys (all of them when there are no more than key_sample), and starts the stream. A copy
 * still running ends now: its keys not yet copied move at once. */
static void db_migration_begin(struct comp *c, struct sim *sim, struct placement *before)
{
    struct database *s = c->state;
    const struct scenario *sc = c->world->sc;
    struct db_migration *m = &s->mig;
    if (m->old) {
        m->batch.stale = m->batch.on;
        s->moves[s->nmoves - 2].end = sim->now;
        mig_free(m);
    }
    uint64_t count = sc->wl.key_count;
    uint64_t n = count < sc->key_sample ? count : sc->key_sample;
    double step = (double)count / (double)n;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t key = (uint64_t)((double)i * step);
        uint32_t a = placement_lookup(before, placement_hash_id(before, key)),
                 b = key_shard(s, key);
        if (a == b)
            continue;
        uint32_t j = 0;
        while (j < m->npairs && (m->pairs[j].src != a || m->pairs[j].tgt != b))
            j++;
        if (j == m->npairs) {
            m->pairs = sim_xrealloc(m->pairs, (m->npairs + 1) * sizeof *m->pairs);
            m->pairs[m->npairs++] = (struct db_pair){.src = a, .tgt = b};
        }
        struct db_pair *p = &m->pairs[j];
        if ((p->n & (p->n - 1)) == 0)
            p->keys = sim_xrealloc(p->keys, (p->n ? 2 * p->n : 1) * sizeof *p->keys);
        p->keys[p->n++] = key;
    }
    qsort(m->pairs, m->npairs, sizeof *m->pairs, cmp_db_pair);
    uint64_t planned = 0;
    for (uint32_t j = 0; j < m->npairs; j++) {
        m->pairs[j].total = (uint64_t)llround((double)m->pairs[j].n * step);
        planned += m->pairs[j].total;
    }
    m->old = before;
    struct key_move *rec = db_mig_record(s);
    rec->migrating = 1;
    rec->planned = planned;
    rec->start = sim->now;
    rec->end = NAN;
    if (!m->batch.on)
        db_batch_start(c, sim);
}

/* ---- failures -------------------------------------------------------------------------- */

static void promote(struct comp *c, struct sim *sim, uint32_t shard)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    struct db_shard *sh = &s->shards[shard];
    uint32_t best = DB_NONE, ncand = 0;
    for (uint32_t k = 0; k < sh->nslots; k++)
        if (sh->active[k] && k != sh->primary && s->st.nodes[sh->node[k]].up) {
            ncand++;
            if (best == DB_NONE || sh->behind[k] < sh->behind[best])
                best = k;
        }
    if (best == DB_NONE)
        return; /* no live replica: the primary stays down until it recovers */
    s->failovers = sim_xrealloc(s->failovers, (s->nfailovers + 1) * sizeof *s->failovers);
    struct db_failover *fo = &s->failovers[s->nfailovers++];
    /* Async writes were acknowledged when sent, so those the new primary lacks are lost;
     * a sync write is acknowledged only once every replica has it. */
    *fo = (struct db_failover){.at = sh->down_since,
                               .unavailable = sim->now - sh->down_since,
                               .lost = cfg->sync ? 0 : sh->behind[best],
                               .shard = shard,
                               .from = sh->node[sh->primary],
                               .to = sh->node[best],
                               .ncand = ncand};
    fo->cand_node = sim_xmalloc(ncand * sizeof *fo->cand_node);
    fo->cand_behind = sim_xmalloc(ncand * sizeof *fo->cand_behind);
    ncand = 0;
    for (uint32_t k = 0; k < sh->nslots; k++)
        if (sh->active[k] && k != sh->primary && s->st.nodes[sh->node[k]].up) {
            fo->cand_node[ncand] = sh->node[k];
            fo->cand_behind[ncand++] = sh->behind[k];
        }
    s->lost_writes += fo->lost;
    sh->primary = best;
    sh->down_since = NAN;
    resync(sh);
}

static void detect(struct comp *c, struct sim *sim, uint32_t node, uint32_t epoch)
{
    struct database *s = c->state;
    const struct station_node *n = &s->st.nodes[node];
    if (n->up || n->epoch != epoch)
        return; /* it came back meanwhile */
    s->known_down[node] = 1;
    struct db_shard *sh = shard_of_node(s, node);
    if (sh->in_use && s->node_slot[node] == sh->primary)
        promote(c, sim, s->node_shard[node]);
}

static void fail_node(struct comp *c, struct sim *sim, uint32_t node)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    if (!s->st.nodes[node].up)
        return;
    struct db_shard *sh = shard_of_node(s, node);
    if (s->node_slot[node] == sh->primary) {
        /* The replication stream ends: copies on their way are lost with the primary. */
        sh->gen++;
        sh->down_since = sim->now;
        sh->failed_primary = sh->primary;
    }
    station_fail(&s->st, sim, node);
    db_batch_held(c, sim, node); /* its worker is no longer waited for */
    if (cfg->has_failover) {
        struct sim_event ev = {
            .target = c->index, .kind = EV_DB_DETECT, .node = node, .tag = s->st.nodes[node].epoch};
        sim_schedule(sim, cfg->detect, &ev);
    }
}

static void recover_node(struct comp *c, struct sim *sim, uint32_t node)
{
    struct database *s = c->state;
    if (s->st.nodes[node].up)
        return;
    station_recover(&s->st, sim, node);
    s->known_down[node] = 0;
    struct db_shard *sh = shard_of_node(s, node);
    if (s->node_slot[node] == sh->primary) {
        /* The primary is back before anyone replaced it, with every write it acknowledged;
         * the replicas resync from it. */
        sh->down_since = NAN;
        resync(sh);
    }
    /* A replica, or an old primary that was replaced, rejoins as a replica: it took every
     * copy sent while it was down. */
}

/* ---- topology events ------------------------------------------------------------------- */

static void record_key_move(struct comp *c, struct sim *sim, const struct placement *before,
                            const struct placement *after)
{
    struct database *s = c->state;
    const struct scenario *sc = c->world->sc;
    uint64_t keys = sc->wl.key_count < sc->key_sample ? sc->wl.key_count : sc->key_sample;
    uint64_t moved = 0;
    for (uint64_t k = 0; k < keys; k++)
        moved += placement_lookup(before, placement_hash_id(before, k)) !=
                 placement_lookup(after, placement_hash_id(after, k));
    s->moves = sim_xrealloc(s->moves, (s->nmoves + 1) * sizeof *s->moves);
    s->moves[s->nmoves++] = (struct key_move){
        .at = sim->now,
        .before = (uint32_t)placement_nodes(before),
        .after = (uint32_t)placement_nodes(after),
        .keys = keys,
        .moved = moved,
    };
}

static void reshard(struct comp *c, struct sim *sim, uint32_t n)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    if (n == s->nshards)
        return;
    struct placement *next = make_placement(cfg, n), *before = s->place;
    record_key_move(c, sim, before, next);
    s->place = next;
    if (cfg->migration.on)
        db_migration_begin(c, sim, before);
    else
        placement_free(before);
    /* Data does not migrate in the model: a key's replication state stays on the shard that
     * had it, and a shard that comes back keeps its nodes. */
    for (uint32_t i = s->nshards; i < n; i++) {
        if (i < s->shards_made) {
            s->shards[i].in_use = 1;
            set_replicas(c, sim, i, s->replicas);
        } else {
            make_shard(c, sim);
        }
    }
    for (uint32_t i = n; i < s->nshards; i++)
        s->shards[i].in_use = 0;
    s->nshards = n;
}

static int shard_index(struct comp *c, int64_t shard, struct sim_error *err)
{
    struct database *s = c->state;
    if (shard < 0)
        shard = 0;
    if (shard >= s->nshards)
        return sim_fail(err, c->spec->path, "%s has shards 0..%u now, not %lld", c->spec->id,
                        s->nshards - 1, (long long)shard);
    return (int)shard;
}

static int database_control(struct comp *c, struct sim *sim, const struct control *ctl,
                            struct sim_error *err)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    if (ctl->action == CTL_SCALE) {
        if (strcmp(ctl->what, "shards") == 0) {
            if (ctl->nodes < 1 || ctl->nodes > DB_MAX_SHARDS)
                return sim_fail(err, c->spec->path, "shards must be from 1 to %d", DB_MAX_SHARDS);
            reshard(c, sim, (uint32_t)ctl->nodes);
            return 0;
        }
        if (strcmp(ctl->what, "replicas") == 0) {
            if (ctl->nodes < 0 || ctl->nodes >= cfg->max_slots)
                return sim_fail(err, c->spec->path, "replicas must be from 0 to %u",
                                cfg->max_slots - 1);
            s->replicas = (uint32_t)ctl->nodes;
            for (uint32_t i = 0; i < s->nshards; i++)
                set_replicas(c, sim, i, s->replicas);
            return 0;
        }
        return sim_fail(err, c->spec->path, "a database scales by \"shards\" or \"replicas\"");
    }
    void (*act)(struct comp *, struct sim *, uint32_t) =
        ctl->action == CTL_FAIL ? fail_node : recover_node;
    if (ctl->node == -2) {
        int i = shard_index(c, ctl->shard, err);
        if (i < 0)
            return -1;
        const struct db_shard *sh = &s->shards[i];
        act(c, sim, sh->node[ctl->action == CTL_FAIL ? sh->primary : sh->failed_primary]);
        return 0;
    }
    if (ctl->shard >= 0) {
        int i = shard_index(c, ctl->shard, err);
        if (i < 0)
            return -1;
        const struct db_shard *sh = &s->shards[i];
        if (ctl->node >= (int64_t)sh->nslots)
            return sim_fail(err, c->spec->path, "shard %d of %s has nodes 0..%u", i, c->spec->id,
                            sh->nslots - 1);
        for (uint32_t k = 0; k < sh->nslots; k++)
            if (ctl->node < 0 || (uint32_t)ctl->node == k)
                act(c, sim, sh->node[k]);
        return 0;
    }
    if (ctl->node >= (int64_t)s->st.nnodes)
        return sim_fail(err, c->spec->path, "%s has nodes 0..%u", c->spec->id, s->st.nnodes - 1);
    for (uint32_t i = 0; i < s->st.nnodes; i++)
        if (ctl->node < 0 || (uint32_t)ctl->node == i)
            act(c, sim, i);
    return 0;
}

/* ---- the kernel's hooks ---------------------------------------------------------------- */

static void database_handle(struct comp *c, struct sim *sim, const struct sim_event *ev)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    if (ev->kind == EV_DB_APPLY) {
        apply(c, sim, ev->tag, ev->node);
        return;
    }
    if (ev->kind == EV_DB_DETECT) {
        detect(c, sim, ev->node, ev->tag);
        return;
    }
    if (ev->kind == EV_DB_HOLD) {
        db_batch_held(c, sim, ev->node);
        return;
    }
    if (ev->kind == EV_DB_MIGRATED) {
        db_batch_done(c, sim);
        return;
    }
    SIM_ASSERT(ev->kind == EV_DB_DONE);
    struct request *req = ev->ptr;
    if (!station_alive(&s->st, req)) {
        req_reply(sim, req);
        return;
    }
    struct frame *f = req_top(req);
    int write = is_write(s, req);
    if (!cfg->same_service && f->step == STEP_START) {
        f->step = STEP_SERVE;
        station_serve(&s->st, sim, f->node, req, write ? &cfg->write_service : &cfg->read_service);
        return;
    }
    if (write)
        write_applied(c, sim, req);
    else
        read_done(c, sim, req);
}

/* A database makes no downstream calls, so nothing resumes at it. */
static void database_resume(struct comp *c, struct sim *sim, struct request *req)
{
    (void)c;
    req_reply(sim, req);
}

static void database_sample(struct comp *c, struct sim *sim, struct comp_sample *out)
{
    struct database *s = c->state;
    station_sample(&s->st, sim->now, &out->util, &out->queue);
    out->hit_ratio = NAN;
    if (((const struct database_cfg *)c->config)->migration.on) {
        uint64_t left = 0;
        for (uint32_t j = s->mig.pair; s->mig.old && j < s->mig.npairs; j++)
            left += s->mig.pairs[j].total - s->mig.pairs[j].copied;
        out->in_transit = (double)left;
    }
}

static void database_reset(struct comp *c, struct sim *sim)
{
    struct database *s = c->state;
    station_reset(&s->st, sim->now);
}

/* Every node the database ever had, so that the report covers nodes scaled away too. */
static uint32_t database_node_count(const struct comp *c)
{
    const struct database *s = c->state;
    return s->st.nnodes;
}

static int database_node_up(const struct comp *c, uint32_t node)
{
    const struct database *s = c->state;
    return node < s->st.nnodes && s->st.nodes[node].up;
}

static void database_node_stats(struct comp *c, struct sim *sim, uint32_t node,
                                struct node_stats *out)
{
    struct database *s = c->state;
    station_node_stats(&s->st, sim->now, node, out);
}

static const char *node_role(const struct database *s, uint32_t node)
{
    const struct db_shard *sh = &s->shards[s->node_shard[node]];
    uint32_t slot = s->node_slot[node];
    if (!sh->in_use || !sh->active[slot])
        return "retired";
    return slot == sh->primary ? "primary" : "replica";
}

/* Where the workload's hottest keys live: their shard and its primary's node (the
 * requests are the workload's for the key, not only those that reached the database). */
static void report_hot(const struct database *s, const struct hotkeys *hot, cJSON *arr)
{
    struct hotkey top[WORLD_HOT_REPORTED];
    size_t n = hotkeys_top(hot, top, WORLD_HOT_REPORTED);
    for (size_t i = 0; i < n; i++) {
        uint32_t shard = key_shard(s, top[i].key);
        const struct db_shard *sh = &s->shards[shard];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "key", (double)top[i].key);
        cJSON_AddNumberToObject(o, "shard", shard);
        cJSON_AddNumberToObject(o, "node", sh->node[sh->primary]);
        cJSON_AddNumberToObject(o, "requests", (double)top[i].count);
        cJSON_AddItemToArray(arr, o);
    }
}

static void database_report(struct comp *c, struct sim *sim, cJSON *out)
{
    struct database *s = c->state;
    const struct database_cfg *cfg = c->config;
    cJSON_AddNumberToObject(out, "shards", s->nshards);
    cJSON_AddNumberToObject(out, "replicas", s->replicas);
    if (s->nshards > 1 && c->world->hot)
        report_hot(s, c->world->hot, cJSON_AddArrayToObject(out, "hot_keys"));
    cJSON_AddStringToObject(out, "read_from", read_from_names[cfg->read_from]);
    cJSON_AddStringToObject(out, "replication", cfg->sync ? "sync" : "async");
    cJSON_AddNumberToObject(out, "reads", (double)s->reads);
    cJSON_AddNumberToObject(out, "writes", (double)s->nwrites);
    cJSON_AddNumberToObject(out, "replica_reads", (double)s->replica_reads);
    cJSON_AddNumberToObject(out, "stale_reads", (double)s->stale_reads);
    if (s->replica_reads)
        cJSON_AddNumberToObject(out, "stale_read_ratio",
                                (double)s->stale_reads / (double)s->replica_reads);
    else
        cJSON_AddNullToObject(out, "stale_read_ratio");
    cJSON_AddNumberToObject(out, "lost_writes", (double)s->lost_writes);
    cJSON *fos = cJSON_AddArrayToObject(out, "failovers");
    for (size_t i = 0; i < s->nfailovers; i++) {
        const struct db_failover *fo = &s->failovers[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "at_s", fo->at);
        cJSON_AddNumberToObject(o, "unavailable_s", fo->unavailable);
        cJSON_AddNumberToObject(o, "lost_writes", (double)fo->lost);
        cJSON_AddNumberToObject(o, "shard", fo->shard);
        cJSON_AddNumberToObject(o, "from_node", fo->from);
        cJSON_AddNumberToObject(o, "to_node", fo->to);
        cJSON *cands = cJSON_AddArrayToObject(o, "candidates");
        for (uint32_t k = 0; k < fo->ncand; k++) {
            cJSON *cand = cJSON_CreateObject();
            cJSON_AddNumberToObject(cand, "node", fo->cand_node[k]);
            cJSON_AddNumberToObject(cand, "behind", (double)fo->cand_behind[k]);
            cJSON_AddItemToArray(cands, cand);
        }
        cJSON_AddItemToArray(fos, o);
    }
    sharding_report_moves(out, s->moves, s->nmoves);
    /* What replication holds in memory at the end: writes still being copied, and the keys
     * they touch (the only keys the model keeps versions for). */
    uint64_t keys = 0;
    for (uint32_t i = 0; i < s->shards_made; i++)
        keys += s->shards[i].map.count;
    cJSON_AddNumberToObject(out, "in_flight_writes", s->writes_live);
    cJSON_AddNumberToObject(out, "in_flight_keys", (double)keys);
    cJSON_AddNumberToObject(out, "busy_mean", station_busy_mean(&s->st, sim->now));
    cJSON_AddNumberToObject(out, "queue_mean", station_queue_mean(&s->st, sim->now));
    /* Which shard each node serves and in what role, beside its figures. */
    cJSON *per = cJSON_GetObjectItemCaseSensitive(out, "per_node");
    uint32_t i = 0;
    for (cJSON *n = per ? per->child : NULL; n && i < s->st.nnodes; n = n->next, i++) {
        cJSON_AddNumberToObject(n, "shard", s->node_shard[i]);
        cJSON_AddStringToObject(n, "role", node_role(s, i));
        cJSON_AddBoolToObject(n, "up", s->st.nodes[i].up);
    }
}

static void database_free_state(struct comp *c)
{
    struct database *s = c->state;
    for (uint32_t i = 0; i < s->shards_made; i++) {
        free(s->shards[i].node);
        free(s->shards[i].active);
        free(s->shards[i].behind);
        km_free(&s->shards[i].map);
    }
    for (uint32_t i = 0; i < s->st.nnodes; i++)
        gsl_rng_free(s->lag_rng[i]);
    station_free(&s->st);
    free(s->shards);
    placement_free(s->place);
    free(s->node_shard);
    free(s->node_slot);
    free(s->known_down);
    free(s->lag_rng);
    free(s->writes);
    for (size_t i = 0; i < s->nfailovers; i++) {
        free(s->failovers[i].cand_node);
        free(s->failovers[i].cand_behind);
    }
    free(s->failovers);
    free(s->moves);
    mig_free(&s->mig);
}

/* Back-of-envelope: every node is an M/G/c queue with the database's workers. Writes go to
 * the primaries; reads to the primaries, the replicas or both (read_from), spread evenly; the
 * busiest kind of node sets the figures shown, and keys are assumed spread evenly over
 * shards. Synchronous writes also hold a worker for the replication lag. */
static void database_estimate(const struct comp_spec *cs, const struct scenario *sc,
                              struct est_comp *self)
{
    const struct database_cfg *cfg = cs->config;
    double shards = (double)cfg->shards, replicas = (double)cfg->replicas;
    int write_op = scenario_op(sc, "write");
    double writes = write_op >= 0 ? self->rate[write_op] : 0, reads = self->total - writes;
    double ws = cfg->write_service.mean + (cfg->sync ? cfg->lag.mean : 0);
    double rs = cfg->read_service.mean;
    double read_nodes = cfg->read_from == READ_PRIMARY || replicas == 0 ? 1
                        : cfg->read_from == READ_REPLICAS ? replicas
                                                          : replicas + 1;
    /* Per node of each kind: the primary's and a read replica's arrival rate and work. */
    double p_reads = cfg->read_from == READ_PRIMARY || replicas == 0 ? reads / shards
                     : cfg->read_from == READ_ANY ? reads / shards / read_nodes
                                                  : 0;
    double p_rate = writes / shards + p_reads, p_work = writes / shards * ws + p_reads * rs;
    double r_rate = replicas > 0 && cfg->read_from != READ_PRIMARY ? reads / shards / read_nodes
                                                                     : 0;
    double r_work = r_rate * rs;
    int primary_busier = p_work >= r_work;
    double rate = primary_busier ? p_rate : r_rate, work = primary_busier ? p_work : r_work;
    self->workers = cfg->st.workers < 0 ? INFINITY : (double)cfg->st.workers;
    self->queue = cfg->st.queue < 0 ? INFINITY : (double)cfg->st.queue;
    self->service = rate > 0 ? work / rate : rs;
    self->scv = primary_busier && writes > 0 ? cfg->write_service.scv : cfg->read_service.scv;
    /* The queueing model divides the total by nodes: make that the busiest node's rate. */
    self->nodes = rate > 0 ? (uint32_t)fmax(1, round(self->total / rate)) : 1;
    snprintf(self->note, sizeof self->note, "%s per %s: %.4g req/s; %g shard(s) x (1 + %g)",
             primary_busier ? "primary" : "replica", "node", rate, shards, replicas);
}

const struct model_ops database_ops = {
    .estimate = database_estimate,
    .name = "database",
    .help = "a primary with read replicas per shard; async or sync replication, failover; "
            "thread-per-request",
    .params = database_params,
    .config_size = sizeof(struct database_cfg),
    .parse = database_parse,
    .free_config = database_free_config,
    .state_size = sizeof(struct database),
    .start = database_start,
    .arrive = database_arrive,
    .resume = database_resume,
    .handle = database_handle,
    .control = database_control,
    .sample = database_sample,
    .reset_stats = database_reset,
    .node_count = database_node_count,
    .node_up = database_node_up,
    .node_stats = database_node_stats,
    .report = database_report,
    .free_state = database_free_state,
    .memory = database_memory,
    .check = database_check,
};
