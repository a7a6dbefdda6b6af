/* The "sharding" object of scenarios, parsed once for every model that places keys. */
#include "models/sharding.h"
#include "sim/error.h"
#include "sim/params.h"

#include <math.h>
#include <string.h>

int sharding_parse(const cJSON *obj, const char *path, struct sharding_cfg *out,
                   struct sim_error *err)
{
    static const char *const allowed[] = {"scheme", "vnodes", "replication_factor",
                                          "load_bound", NULL};
    char sub[300];
    memset(out, 0, sizeof *out);
    out->scheme = PLACEMENT_MODULO;
    out->replication_factor = 1;
    if (!obj)
        return 0;
    if (!cJSON_IsObject(obj))
        return sim_fail(err, path, "must be an object such as {\"scheme\": \"ring\"}");
    if (params_only_members(obj, allowed, path, NULL, err))
        return -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "scheme");
    if (v) {
        path_member(sub, sizeof sub, path, "scheme");
        if (!cJSON_IsString(v) || placement_scheme_parse(v->valuestring, &out->scheme) != 0)
            return sim_fail(err, sub, "must be one of modulo, ring, ketama, jump, rendezvous, "
                                      "maglev, bounded");
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(obj, "vnodes"))) {
        path_member(sub, sizeof sub, path, "vnodes");
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
            v->valuedouble < 1 || v->valuedouble > 100000)
            return sim_fail(err, sub, "must be a whole number from 1 to 100000");
        out->params.vnodes = (unsigned)v->valuedouble;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(obj, "replication_factor"))) {
        path_member(sub, sizeof sub, path, "replication_factor");
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
            v->valuedouble < 1 || v->valuedouble > 16)
            return sim_fail(err, sub, "must be a whole number from 1 to 16");
        out->replication_factor = (uint32_t)v->valuedouble;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(obj, "load_bound"))) {
        path_member(sub, sizeof sub, path, "load_bound");
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1) || v->valuedouble > 100)
            return sim_fail(err, sub, "must be a number from 1 (no slack) to 100; 1.25 allows "
                                      "25%% above the mean");
        out->params.load_bound = v->valuedouble;
    }
    return 0;
}


void sharding_report_moves(cJSON *out, const struct key_move *moves, size_t n)
{
    cJSON *arr = cJSON_AddArrayToObject(out, "key_moves");
    for (size_t i = 0; i < n; i++) {
        const struct key_move *m = &moves[i];
        cJSON *o = cJSON_CreateObject();
        uint32_t most = m->before > m->after ? m->before : m->after;
        uint32_t diff = m->before > m->after ? m->before - m->after : m->after - m->before;
        cJSON_AddNumberToObject(o, "at_s", m->at);
        cJSON_AddNumberToObject(o, "nodes_before", m->before);
        cJSON_AddNumberToObject(o, "nodes_after", m->after);
        cJSON_AddNumberToObject(o, "keys", (double)m->keys);
        cJSON_AddNumberToObject(o, "moved", (double)m->moved);
        cJSON_AddNumberToObject(o, "moved_fraction",
                                m->keys ? (double)m->moved / (double)m->keys : 0);
        cJSON_AddNumberToObject(o, "ideal_fraction", most ? (double)diff / most : 0);
        if (m->migrating) {
            cJSON_AddNumberToObject(o, "migration_planned", (double)m->planned);
            cJSON_AddNumberToObject(o, "migrated_keys", (double)m->migrated);
            cJSON_AddNumberToObject(o, "migrated_bytes", m->bytes);
            cJSON_AddNumberToObject(o, "migration_dropped", (double)m->dropped);
            cJSON_AddNumberToObject(o, "migration_start_s", m->start);
            if (isnan(m->end)) {
                cJSON_AddNullToObject(o, "migration_end_s");
                cJSON_AddNullToObject(o, "migration_s");
            } else {
                cJSON_AddNumberToObject(o, "migration_end_s", m->end);
                cJSON_AddNumberToObject(o, "migration_s", m->end - m->start);
            }
        }
        cJSON_AddItemToArray(arr, o);
    }
}

int sharding_check(const struct sharding_cfg *cfg, int64_t nodes, const char *path,
                   struct sim_error *err)
{
    struct sim_error why = {0};
    char sub[300];
    if (placement_check(cfg->scheme, nodes > 0 ? (size_t)nodes : 1, &cfg->params, &why) == 0)
        return 0;
    return sim_fail(err, why.path[0] ? path_member(sub, sizeof sub, path, why.path) : path,
                    "%s, with the %lld nodes the run reaches", why.msg, (long long)nodes);
}

double sharding_memory(const struct sharding_cfg *cfg, int64_t nodes)
{
    return placement_memory(cfg->scheme, nodes > 0 ? (size_t)nodes : 1, &cfg->params);
}
