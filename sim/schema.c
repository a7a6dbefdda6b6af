/* The JSON Schema of the scenario format, generated from the same parameter tables the
 * validator uses, so scenarios/schema.json cannot drift from what clustersim accepts. */
#include "sim/schema.h"
#include "sim/dist.h"

#include <string.h>

static cJSON *ref(const char *name)
{
    cJSON *o = cJSON_CreateObject();
    char buf[128];
    snprintf(buf, sizeof buf, "#/$defs/%s", name);
    cJSON_AddStringToObject(o, "$ref", buf);
    return o;
}

static cJSON *typed(const char *type)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", type);
    return o;
}

static cJSON *string_enum(const char *const *names)
{
    cJSON *o = typed("string");
    cJSON *e = cJSON_AddArrayToObject(o, "enum");
    for (size_t i = 0; names[i]; i++)
        cJSON_AddItemToArray(e, cJSON_CreateString(names[i]));
    return o;
}

static void bounds(cJSON *o, const struct param_spec *p)
{
    cJSON_AddNumberToObject(o, "minimum", p->min);
    if (p->max < 1e300)
        cJSON_AddNumberToObject(o, "maximum", p->max);
}

static cJSON *param_schema(const struct param_spec *p)
{
    cJSON *o;
    switch (p->type) {
    case PT_INT:
        o = typed("integer");
        bounds(o, p);
        break;
    case PT_NUMBER:
        o = typed("number");
        bounds(o, p);
        break;
    case PT_DURATION:
        o = ref("duration");
        break;
    case PT_SIZE:
        o = ref("size");
        break;
    case PT_DIST:
        o = ref("distribution");
        break;
    case PT_BOOL:
        o = typed("boolean");
        break;
    case PT_ENUM:
        o = string_enum(p->choices);
        break;
    case PT_STRING:
        o = typed("string");
        cJSON_AddNumberToObject(o, "minLength", 1);
        break;
    case PT_LIMIT: {
        o = cJSON_CreateObject();
        cJSON *any = cJSON_AddArrayToObject(o, "oneOf");
        cJSON *n = typed("integer");
        bounds(n, p);
        cJSON_AddItemToArray(any, n);
        cJSON *u = cJSON_CreateObject();
        cJSON_AddStringToObject(u, "const", "unlimited");
        cJSON_AddItemToArray(any, u);
        break;
    }
    case PT_DIST_BY_OP: {
        o = cJSON_CreateObject();
        cJSON *any = cJSON_AddArrayToObject(o, "oneOf");
        cJSON_AddItemToArray(any, ref("distribution"));
        cJSON *byop = typed("object");
        cJSON_AddItemToObject(byop, "additionalProperties", ref("distribution"));
        cJSON *no_dist = cJSON_AddObjectToObject(byop, "not");
        cJSON *req = cJSON_AddArrayToObject(no_dist, "required");
        cJSON_AddItemToArray(req, cJSON_CreateString("dist"));
        cJSON_AddItemToArray(any, byop);
        break;
    }
    default:
        o = cJSON_CreateObject();
        break;
    }
    cJSON_AddStringToObject(o, "description", p->help);
    return o;
}

static cJSON *defs(void)
{
    cJSON *d = cJSON_CreateObject();
    cJSON *dur = cJSON_AddObjectToObject(d, "duration");
    cJSON_AddStringToObject(dur, "description",
                            "seconds, or a string with a unit: 250us, 5ms, 2s, 10m, 1h, 1d");
    cJSON *any = cJSON_AddArrayToObject(dur, "oneOf");
    cJSON *num = typed("number");
    cJSON_AddNumberToObject(num, "minimum", 0);
    cJSON_AddItemToArray(any, num);
    cJSON *str = typed("string");
    cJSON_AddStringToObject(str, "pattern",
                            "^[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)? ?(ns|us|µs|ms|s|m|min|h|d)$");
    cJSON_AddItemToArray(any, str);

    cJSON *size = cJSON_AddObjectToObject(d, "size");
    cJSON_AddStringToObject(size, "description", "bytes, or 512B, 4KB, 4KiB, 10MB, 1GiB");
    any = cJSON_AddArrayToObject(size, "oneOf");
    num = typed("number");
    cJSON_AddNumberToObject(num, "minimum", 0);
    cJSON_AddItemToArray(any, num);
    str = typed("string");
    cJSON_AddStringToObject(str, "pattern",
                            "^[0-9]+(\\.[0-9]*)? ?(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)$");
    cJSON_AddItemToArray(any, str);

    cJSON *dist = cJSON_AddObjectToObject(d, "distribution");
    cJSON_AddStringToObject(dist, "description",
                            "a duration (constant) or {\"dist\": ...}; see SCENARIO.md");
    any = cJSON_AddArrayToObject(dist, "oneOf");
    cJSON_AddItemToArray(any, ref("duration"));
    static const struct {
        const char *name;
        const char *fields[4];
        const char *required[3];
    } kinds[] = {
        {"exp", {"mean"}, {"mean"}},
        {"const", {"value"}, {"value"}},
        {"lognormal", {"mean", "cv"}, {"mean", "cv"}},
        {"gamma", {"mean", "cv"}, {"mean", "cv"}},
        {"uniform", {"min", "max"}, {"min", "max"}},
        {"normal", {"mean", "sd"}, {"mean", "sd"}},
        {"pareto", {"shape", "scale"}, {"shape", "scale"}},
        {"empirical", {"values"}, {"values"}},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        cJSON *o = typed("object");
        cJSON *props = cJSON_AddObjectToObject(o, "properties");
        cJSON *name = cJSON_AddObjectToObject(props, "dist");
        cJSON_AddStringToObject(name, "const", kinds[k].name);
        cJSON *req = cJSON_AddArrayToObject(o, "required");
        cJSON_AddItemToArray(req, cJSON_CreateString("dist"));
        for (size_t f = 0; kinds[k].fields[f]; f++) {
            const char *fn = kinds[k].fields[f];
            cJSON *fs;
            if (strcmp(fn, "cv") == 0 || strcmp(fn, "shape") == 0) {
                fs = typed("number");
                cJSON_AddNumberToObject(fs, "exclusiveMinimum", 0);
            } else if (strcmp(fn, "values") == 0) {
                fs = typed("array");
                cJSON_AddItemToObject(fs, "items", ref("duration"));
                cJSON_AddNumberToObject(fs, "minItems", 1);
            } else {
                fs = ref("duration");
            }
            cJSON_AddItemToObject(props, fn, fs);
        }
        for (size_t f = 0; kinds[k].required[f]; f++)
            cJSON_AddItemToArray(req, cJSON_CreateString(kinds[k].required[f]));
        cJSON_AddFalseToObject(o, "additionalProperties");
        cJSON_AddItemToArray(any, o);
    }

    cJSON *points = cJSON_AddObjectToObject(d, "points");
    cJSON_AddStringToObject(points, "description",
                            "a number, or [time, value] pairs with increasing times");
    any = cJSON_AddArrayToObject(points, "oneOf");
    num = typed("number");
    cJSON_AddNumberToObject(num, "minimum", 0);
    cJSON_AddItemToArray(any, num);
    cJSON *arr = typed("array");
    cJSON_AddNumberToObject(arr, "minItems", 1);
    cJSON *pair = typed("array");
    cJSON_AddNumberToObject(pair, "minItems", 2);
    cJSON_AddNumberToObject(pair, "maxItems", 2);
    cJSON *pitems = cJSON_AddArrayToObject(pair, "prefixItems");
    cJSON_AddItemToArray(pitems, ref("duration"));
    cJSON *val = typed("number");
    cJSON_AddNumberToObject(val, "minimum", 0);
    cJSON_AddItemToArray(pitems, val);
    cJSON_AddItemToObject(arr, "items", pair);
    cJSON_AddItemToArray(any, arr);
    return d;
}

static cJSON *workload_schema(void)
{
    static const char *const ramps[] = {"linear", "step", NULL};
    static const char *const arrivals[] = {"poisson", "uniform", NULL};
    static const char *const key_dists[] = {"zipf", "uniform", NULL};
    cJSON *w = typed("object");
    cJSON *p = cJSON_AddObjectToObject(w, "properties");
    cJSON_AddItemToObject(p, "rate", ref("points"));
    cJSON_AddItemToObject(p, "users", ref("points"));
    cJSON *rpu = typed("number");
    cJSON_AddNumberToObject(rpu, "minimum", 0);
    cJSON_AddItemToObject(p, "rate_per_user", rpu);
    cJSON_AddItemToObject(p, "ramp", string_enum(ramps));
    cJSON_AddItemToObject(p, "arrivals", string_enum(arrivals));
    cJSON *entry = cJSON_AddObjectToObject(p, "entry");
    cJSON *any = cJSON_AddArrayToObject(entry, "oneOf");
    cJSON_AddItemToArray(any, typed("string"));
    cJSON *byop = typed("object");
    cJSON_AddItemToObject(byop, "additionalProperties", typed("string"));
    cJSON_AddItemToArray(any, byop);
    cJSON *ops = typed("object");
    cJSON *weight = typed("number");
    cJSON_AddNumberToObject(weight, "minimum", 0);
    cJSON_AddItemToObject(ops, "additionalProperties", weight);
    cJSON_AddItemToObject(p, "ops", ops);
    cJSON *keys = typed("object");
    cJSON *kp = cJSON_AddObjectToObject(keys, "properties");
    cJSON *count = typed("integer");
    cJSON_AddNumberToObject(count, "minimum", 1);
    cJSON_AddItemToObject(kp, "count", count);
    cJSON_AddItemToObject(kp, "dist", string_enum(key_dists));
    cJSON *s = typed("number");
    cJSON_AddNumberToObject(s, "minimum", 0);
    cJSON_AddItemToObject(kp, "s", s);
    cJSON *hot = typed("object");
    cJSON *hp = cJSON_AddObjectToObject(hot, "properties");
    cJSON *hk = typed("integer");
    cJSON_AddNumberToObject(hk, "minimum", 1);
    cJSON_AddItemToObject(hp, "keys", hk);
    cJSON *share = typed("number");
    cJSON_AddNumberToObject(share, "minimum", 0);
    cJSON_AddNumberToObject(share, "maximum", 1);
    cJSON_AddItemToObject(hp, "share", share);
    cJSON_AddFalseToObject(hot, "additionalProperties");
    cJSON_AddItemToObject(kp, "hot", hot);
    cJSON_AddFalseToObject(keys, "additionalProperties");
    cJSON_AddItemToObject(p, "keys", keys);
    cJSON *clients = typed("integer");
    cJSON_AddNumberToObject(clients, "minimum", 1);
    cJSON_AddItemToObject(p, "clients", clients);
    cJSON_AddItemToObject(p, "trace", typed("string"));
    cJSON_AddItemToObject(p, "object_size", ref("size"));
    cJSON *shares = typed("object");
    cJSON_AddStringToObject(shares, "description",
                            "where the users are: region -> share (a weight) of the requests");
    cJSON *weight_r = typed("number");
    cJSON_AddNumberToObject(weight_r, "minimum", 0);
    cJSON_AddItemToObject(shares, "additionalProperties", weight_r);
    cJSON_AddNumberToObject(shares, "minProperties", 1);
    cJSON_AddItemToObject(p, "regions", shares);
    cJSON *req = cJSON_AddArrayToObject(w, "required");
    cJSON_AddItemToArray(req, cJSON_CreateString("entry"));
    cJSON_AddFalseToObject(w, "additionalProperties");
    return w;
}

static cJSON *component_schema(const struct model_ops *m, const struct param_spec *common)
{
    cJSON *c = typed("object");
    cJSON_AddStringToObject(c, "description", m->help);
    cJSON *p = cJSON_AddObjectToObject(c, "properties");
    for (const struct param_spec *s = common; s->name; s++)
        cJSON_AddItemToObject(p, s->name, param_schema(s));
    cJSON *type = cJSON_GetObjectItem(p, "type");
    cJSON_AddStringToObject(type, "const", m->name);
    for (const struct param_spec *s = m->params; s && s->name; s++)
        cJSON_AddItemToObject(p, s->name, param_schema(s));
    cJSON *req = cJSON_AddArrayToObject(c, "required");
    for (const struct param_spec *s = common; s->name; s++)
        if (s->flags & PARAM_REQUIRED)
            cJSON_AddItemToArray(req, cJSON_CreateString(s->name));
    for (const struct param_spec *s = m->params; s && s->name; s++)
        if (s->flags & PARAM_REQUIRED)
            cJSON_AddItemToArray(req, cJSON_CreateString(s->name));
    cJSON_AddFalseToObject(c, "additionalProperties");
    return c;
}

static cJSON *event_schema(void)
{
    static const char *const actions[] = {"scale", "fail", "recover", "set", NULL};
    cJSON *e = typed("object");
    cJSON *p = cJSON_AddObjectToObject(e, "properties");
    cJSON_AddItemToObject(p, "at", ref("duration"));
    cJSON_AddItemToObject(p, "action", string_enum(actions));
    cJSON *target = typed("string");
    cJSON_AddStringToObject(target, "description",
                            "a component id, or for fail and recover a region (every component "
                            "placed in it)");
    cJSON_AddItemToObject(p, "target", target);
    static const char *const counts[] = {"nodes", "shards", "replicas", "edges", "shard", NULL};
    for (size_t i = 0; counts[i]; i++) {
        cJSON *n = typed("integer");
        cJSON_AddNumberToObject(n, "minimum", 0);
        cJSON_AddItemToObject(p, counts[i], n);
    }
    cJSON *node = cJSON_AddObjectToObject(p, "node");
    cJSON *any = cJSON_AddArrayToObject(node, "oneOf");
    cJSON *idx = typed("integer");
    cJSON_AddNumberToObject(idx, "minimum", 0);
    cJSON_AddItemToArray(any, idx);
    cJSON *primary = cJSON_CreateObject();
    cJSON_AddStringToObject(primary, "const", "primary");
    cJSON_AddItemToArray(any, primary);
    cJSON_AddItemToObject(p, "path", typed("string"));
    cJSON_AddItemToObject(p, "value", typed("number"));
    cJSON *req = cJSON_AddArrayToObject(e, "required");
    cJSON_AddItemToArray(req, cJSON_CreateString("at"));
    cJSON_AddItemToArray(req, cJSON_CreateString("action"));
    cJSON_AddFalseToObject(e, "additionalProperties");
    return e;
}

cJSON *schema_build(const struct model_ops *const *registry, const struct param_spec *common)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "$schema", "https://json-schema.org/draft/2020-12/schema");
    cJSON_AddStringToObject(s, "title", "clustersim scenario");
    cJSON_AddStringToObject(s, "description",
                            "Generated by `clustersim schema` from the validator's own tables; "
                            "see SCENARIO.md for the meaning of each field.");
    cJSON_AddStringToObject(s, "type", "object");
    cJSON *p = cJSON_AddObjectToObject(s, "properties");
    cJSON_AddItemToObject(p, "$schema", typed("string"));
    cJSON_AddItemToObject(p, "name", typed("string"));
    cJSON_AddItemToObject(p, "description", typed("string"));
    cJSON *seed = typed("integer");
    cJSON_AddNumberToObject(seed, "minimum", 0);
    cJSON_AddItemToObject(p, "seed", seed);
    cJSON_AddItemToObject(p, "duration", ref("duration"));
    cJSON *metrics = typed("object");
    cJSON *mp = cJSON_AddObjectToObject(metrics, "properties");
    cJSON_AddItemToObject(mp, "interval", ref("duration"));
    cJSON *warm = cJSON_AddObjectToObject(mp, "warmup");
    cJSON *warm_any = cJSON_AddArrayToObject(warm, "oneOf");
    cJSON_AddItemToArray(warm_any, ref("duration"));
    cJSON *warm_auto = cJSON_CreateObject();
    cJSON_AddStringToObject(warm_auto, "const", "auto");
    cJSON_AddItemToArray(warm_any, warm_auto);
    cJSON *ks = typed("integer");
    cJSON_AddNumberToObject(ks, "minimum", 1);
    cJSON_AddItemToObject(mp, "key_sample", ks);
    cJSON_AddFalseToObject(metrics, "additionalProperties");
    cJSON_AddItemToObject(p, "metrics", metrics);
    cJSON_AddItemToObject(p, "workload", workload_schema());
    cJSON *regions = typed("object");
    cJSON_AddStringToObject(regions, "description",
                            "regions (data centers): name -> {other region: one-way latency}; "
                            "every pair once, the same both ways");
    cJSON_AddNumberToObject(regions, "minProperties", 1);
    cJSON *pairs = typed("object");
    cJSON_AddItemToObject(pairs, "additionalProperties", ref("distribution"));
    cJSON_AddItemToObject(regions, "additionalProperties", pairs);
    cJSON *names = cJSON_AddObjectToObject(regions, "propertyNames");
    cJSON_AddStringToObject(names, "pattern", "^[A-Za-z0-9_-]+$");
    cJSON_AddItemToObject(p, "regions", regions);
    cJSON *comps = typed("array");
    cJSON_AddNumberToObject(comps, "minItems", 1);
    cJSON *items = cJSON_AddObjectToObject(comps, "items");
    cJSON *one = cJSON_AddArrayToObject(items, "oneOf");
    for (size_t i = 0; registry[i]; i++)
        cJSON_AddItemToArray(one, component_schema(registry[i], common));
    cJSON_AddItemToObject(p, "components", comps);
    cJSON *events = typed("array");
    cJSON_AddItemToObject(events, "items", event_schema());
    cJSON_AddItemToObject(p, "events", events);
    cJSON *req = cJSON_AddArrayToObject(s, "required");
    cJSON_AddItemToArray(req, cJSON_CreateString("duration"));
    cJSON_AddItemToArray(req, cJSON_CreateString("workload"));
    cJSON_AddItemToArray(req, cJSON_CreateString("components"));
    cJSON_AddFalseToObject(s, "additionalProperties");
    cJSON_AddItemToObject(s, "$defs", defs());
    return s;
}
