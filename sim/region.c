/* Regions: parsing the latency matrix (symmetric, every pair given) and the users' shares
 * into the form req_call reads in O(1): a matrix of compiled distributions. */
#include "sim/region.h"

#include "sim/error.h"
#include "sim/jsonloc.h"
#include "sim/params.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PATHLEN 256

int region_find(const struct region_set *rs, const char *name)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->names[i], name) == 0)
            return (int)i;
    return -1;
}

int region_unknown(const struct region_set *rs, const char *name, const char *path,
                   struct sim_error *err)
{
    if (!rs->n)
        return sim_fail(err, path, "unknown region \"%s\": the scenario has no \"regions\"", name);
    const char *names[REGION_MAX + 1];
    for (size_t i = 0; i < rs->n; i++)
        names[i] = rs->names[i];
    names[rs->n] = NULL;
    const char *near = suggest_word(name, names);
    if (near)
        return sim_fail(err, path, "unknown region \"%s\" (did you mean \"%s\"?)", name, near);
    return sim_fail(err, path, "unknown region \"%s\"", name);
}

static int valid_name(const char *s)
{
    return s[0] && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
                       strlen(s);
}

int region_parse(struct region_set *rs, const cJSON *json, struct sim_error *err)
{
    char path[PATHLEN], sub[PATHLEN];
    memset(rs, 0, sizeof *rs);
    if (!json)
        return 0;
    if (!cJSON_IsObject(json) || !json->child)
        return sim_fail(err, "regions",
                        "must be an object of region name -> {other region: "
                        "latency}, e.g. {\"us\": {\"eu\": \"80ms\"}, \"eu\": {}}");
    size_t n = 0;
    for (const cJSON *m = json->child; m; m = m->next)
        n++;
    if (n > REGION_MAX)
        return sim_fail(err, "regions", "has %zu regions; at most %d are allowed", n, REGION_MAX);
    rs->names = sim_xcalloc(n, sizeof *rs->names);
    rs->latency = sim_xcalloc(n * n, sizeof *rs->latency);
    for (const cJSON *m = json->child; m; m = m->next) {
        path_member(path, sizeof path, "regions", m->string);
        if (!valid_name(m->string))
            return sim_fail(err, path,
                            "\"%s\": region names may use letters, digits, '_' and "
                            "'-' only",
                            m->string);
        if (!cJSON_IsObject(m))
            return sim_fail(err, path,
                            "must be an object of other region -> latency (may be "
                            "empty: {})");
        rs->names[rs->n++] = sim_xstrdup(m->string);
    }
    for (size_t i = 0; i < n; i++)
        dist_const(&rs->latency[i * n + i], 0);
    /* Which pairs were given, and from which side: the value is compiled once per direction
     * (a distribution owns its memory), from the same JSON. */
    const cJSON **given = sim_xcalloc(n * n, sizeof *given);
    int rc = 0;
    size_t i = 0;
    for (const cJSON *m = json->child; m && !rc; m = m->next, i++) {
        path_member(path, sizeof path, "regions", m->string);
        for (const cJSON *o = m->child; o && !rc; o = o->next) {
            path_member(sub, sizeof sub, path, o->string);
            int j = region_find(rs, o->string);
            if (j < 0) {
                rc = region_unknown(rs, o->string, sub, err);
                break;
            }
            if ((size_t)j == i) {
                rc = sim_fail(err, sub, "the latency within a region is 0; leave it out");
                break;
            }
            const cJSON *other = given[(size_t)j * n + i];
            if (other && !cJSON_Compare(other, o, 1)) {
                rc = sim_fail(err, sub,
                              "differs from regions.%s.%s: latencies are the same "
                              "both ways (give each pair once)",
                              o->string, m->string);
                break;
            }
            given[i * n + (size_t)j] = o;
            if (dist_compile(&rs->latency[i * n + (size_t)j], o, sub, err) ||
                dist_compile(&rs->latency[(size_t)j * n + i], o, sub, err))
                rc = -1;
            else if (!isfinite(rs->latency[i * n + (size_t)j].mean))
                rc = sim_fail(err, sub, "needs a finite mean (it decides the nearest region)");
        }
    }
    for (size_t a = 0; a < n && !rc; a++)
        for (size_t b = a + 1; b < n && !rc; b++)
            if (!given[a * n + b] && !given[b * n + a])
                rc = sim_fail(err, path_member(path, sizeof path, "regions", rs->names[a]),
                              "no latency to \"%s\": give every pair of regions, e.g. "
                              "\"%s\": {\"%s\": \"80ms\"}",
                              rs->names[b], rs->names[a], rs->names[b]);
    free(given);
    return rc;
}

int region_parse_shares(struct region_set *rs, const cJSON *json, const char *path,
                        struct sim_error *err)
{
    char sub[PATHLEN];
    if (!json)
        return 0;
    if (!rs->n)
        return sim_fail(err, path, "needs the top-level \"regions\" (names and latencies)");
    if (!cJSON_IsObject(json) || !json->child)
        return sim_fail(err, path,
                        "must be an object of region -> share of the users, e.g. "
                        "{\"us\": 0.6, \"eu\": 0.4}");
    rs->share = sim_xcalloc(rs->n, sizeof *rs->share);
    double total = 0;
    for (const cJSON *m = json->child; m; m = m->next) {
        path_member(sub, sizeof sub, path, m->string);
        int r = region_find(rs, m->string);
        if (r < 0)
            return region_unknown(rs, m->string, sub, err);
        if (!cJSON_IsNumber(m) || !isfinite(m->valuedouble) || m->valuedouble < 0)
            return sim_fail(err, sub, "must be a number at least 0 (a share of the users)");
        rs->share[r] = m->valuedouble;
        total += m->valuedouble;
    }
    if (!(total > 0))
        return sim_fail(err, path, "the shares must not all be zero");
    return 0;
}

void region_free(struct region_set *rs)
{
    for (size_t i = 0; i < rs->n * rs->n && rs->latency; i++)
        dist_free(&rs->latency[i]);
    for (size_t i = 0; i < rs->n; i++)
        free(rs->names[i]);
    free(rs->names);
    free(rs->latency);
    free(rs->share);
    memset(rs, 0, sizeof *rs);
}
