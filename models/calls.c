/* The "calls" field of thread-per-request servers: per op, the downstream components called
 * in order, checked against the workload's ops and the scenario's ids. */
#include "models/calls.h"
#include "sim/jsonloc.h"

#include <stdlib.h>
#include <string.h>

static int parse_call_list(uint32_t *calls[SCN_MAX_OPS], uint32_t ncalls[SCN_MAX_OPS],
                           size_t op, const cJSON *list, const char *path,
                           const struct scenario *sc, struct sim_error *err)
{
    char sub[300];
    if (!cJSON_IsArray(list))
        return sim_fail(err, path, "must be a list of component ids");
    int n = cJSON_GetArraySize(list);
    calls[op] = sim_xcalloc((size_t)n + 1, sizeof(uint32_t));
    ncalls[op] = 0;
    int i = 0;
    for (const cJSON *id = list->child; id; id = id->next, i++) {
        path_index(sub, sizeof sub, path, (size_t)i);
        if (!cJSON_IsString(id))
            return sim_fail(err, sub, "must be a component id (a string)");
        int to = scenario_find(sc, id->valuestring);
        if (to < 0)
            return sim_fail(err, sub, "unknown component \"%s\"", id->valuestring);
        calls[op][ncalls[op]++] = (uint32_t)to;
    }
    return 0;
}

int calls_parse(uint32_t *calls[SCN_MAX_OPS], uint32_t ncalls[SCN_MAX_OPS], const cJSON *json,
                const char *path, const struct scenario *sc, struct sim_error *err)
{
    static const char *const builtin[] = {"read", "write", "static", "*", NULL};
    char sub[300];
    if (!json)
        return 0;
    if (!cJSON_IsObject(json))
        return sim_fail(err, path, "must be an object of op -> list of component ids");
    for (const cJSON *m = json->child; m; m = m->next) {
        path_member(sub, sizeof sub, path, m->string);
        int known = scenario_op(sc, m->string) >= 0;
        for (size_t i = 0; builtin[i]; i++)
            known |= strcmp(builtin[i], m->string) == 0;
        if (!known) {
            const char *cands[SCN_MAX_OPS + 5];
            size_t n = 0;
            for (size_t i = 0; i < sc->wl.nops; i++)
                cands[n++] = sc->wl.op_names[i];
            for (size_t i = 0; builtin[i]; i++)
                cands[n++] = builtin[i];
            cands[n] = NULL;
            const char *near = suggest_word(m->string, cands);
            return sim_fail(err, sub, "unknown op \"%s\"%s%s%s", m->string,
                            near ? " (did you mean \"" : " (not in workload.ops)",
                            near ? near : "", near ? "\"?)" : "");
        }
    }
    const cJSON *star = cJSON_GetObjectItemCaseSensitive(json, "*");
    for (size_t op = 0; op < sc->wl.nops; op++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(json, sc->wl.op_names[op]);
        const char *name = sc->wl.op_names[op];
        if (!list) {
            list = star;
            name = "*";
        }
        if (list && parse_call_list(calls, ncalls, op, list,
                                    path_member(sub, sizeof sub, path, name), sc, err))
            return -1;
    }
    /* Lists for ops the workload does not have are still checked. */
    for (const cJSON *m = json->child; m; m = m->next) {
        if (scenario_op(sc, m->string) >= 0 || strcmp(m->string, "*") == 0)
            continue;
        uint32_t *scratch[SCN_MAX_OPS] = {0};
        uint32_t nscratch[SCN_MAX_OPS] = {0};
        int rc = parse_call_list(scratch, nscratch, 0, m,
                                 path_member(sub, sizeof sub, path, m->string), sc, err);
        free(scratch[0]);
        if (rc)
            return -1;
    }
    return 0;
}

void calls_free(uint32_t *calls[SCN_MAX_OPS])
{
    for (size_t op = 0; op < SCN_MAX_OPS; op++) {
        free(calls[op]);
        calls[op] = NULL;
    }
}
