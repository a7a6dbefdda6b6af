/* The one validator behind every parameter table: unknown members (with a did-you-mean),
 * types, bounds and defaults, and the --help listing derived from the same table. */
#include "sim/params.h"
#include "sim/dist.h"
#include "sim/error.h"
#include "sim/jsonloc.h"
#include "sim/units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *path_member(char *buf, size_t len, const char *path, const char *member)
{
    if (path && path[0])
        snprintf(buf, len, "%s.%s", path, member);
    else
        snprintf(buf, len, "%s", member);
    return buf;
}

const char *path_index(char *buf, size_t len, const char *path, size_t index)
{
    snprintf(buf, len, "%s[%zu]", path ? path : "", index);
    return buf;
}

const struct param_spec *params_find(const struct param_spec *const *tables, const char *name)
{
    for (size_t t = 0; tables[t]; t++)
        for (const struct param_spec *p = tables[t]; p->name; p++)
            if (strcmp(p->name, name) == 0)
                return p;
    return NULL;
}

static const char *type_name(enum param_type t)
{
    switch (t) {
    case PT_INT:
        return "integer";
    case PT_NUMBER:
        return "number";
    case PT_DURATION:
        return "duration";
    case PT_SIZE:
        return "size";
    case PT_DIST:
        return "distribution";
    case PT_BOOL:
        return "boolean";
    case PT_ENUM:
        return "choice";
    case PT_STRING:
        return "string";
    case PT_LIMIT:
        return "count or \"unlimited\"";
    case PT_JSON:
        return "object";
    case PT_DIST_BY_OP:
        return "distribution or per op";
    }
    return "?";
}

static int check_bounds(const struct param_spec *s, double v, const char *path,
                        struct sim_error *err)
{
    if (!isfinite(v))
        return sim_fail(err, path, "must be a finite number");
    if (v < s->min || v > s->max) {
        if (s->max >= 1e300)
            return sim_fail(err, path, "must be at least %g, got %g", s->min, v);
        return sim_fail(err, path, "must be between %g and %g, got %g", s->min, s->max, v);
    }
    return 0;
}

static int enum_error(const struct param_spec *s, const char *got, const char *path,
                      struct sim_error *err)
{
    char list[512] = "";
    size_t n = 0;
    for (size_t i = 0; s->choices[i] && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", s->choices[i]);
    const char *near = got ? suggest_word(got, s->choices) : NULL;
    if (near)
        return sim_fail(err, path, "unknown value \"%s\" (did you mean \"%s\"? one of: %s)", got,
                        near, list);
    return sim_fail(err, path, "must be one of: %s", list);
}

int params_parse_one(const struct param_spec *s, const cJSON *val, void *cfg, const char *path,
                     struct sim_error *err)
{
    char *field = (char *)cfg + s->offset;
    double v;
    switch (s->type) {
    case PT_INT:
    case PT_LIMIT:
        if (s->type == PT_LIMIT && cJSON_IsString(val) &&
            strcmp(val->valuestring, "unlimited") == 0) {
            *(int64_t *)field = -1;
            return 0;
        }
        if (!cJSON_IsNumber(val))
            return sim_fail(err, path, "must be %s, got %s", s->type == PT_INT ? "an integer" :
                            "an integer or \"unlimited\"", cJSON_IsString(val) ? "a string" :
                            "another type");
        v = val->valuedouble;
        if (v != floor(v))
            return sim_fail(err, path, "must be a whole number, got %g", v);
        if (check_bounds(s, v, path, err))
            return -1;
        *(int64_t *)field = (int64_t)v;
        return 0;
    case PT_NUMBER:
        if (!cJSON_IsNumber(val))
            return sim_fail(err, path, "must be a number");
        if (check_bounds(s, val->valuedouble, path, err))
            return -1;
        *(double *)field = val->valuedouble;
        return 0;
    case PT_DURATION:
    case PT_SIZE:
        if ((s->type == PT_DURATION ? units_duration : units_size)(val, path, &v, err))
            return -1;
        if (check_bounds(s, v, path, err))
            return -1;
        *(double *)field = v;
        return 0;
    case PT_DIST: {
        struct dist d;
        if (dist_compile(&d, val, path, err))
            return -1;
        dist_free((struct dist *)field);
        *(struct dist *)field = d;
        return 0;
    }
    case PT_BOOL:
        if (!cJSON_IsBool(val))
            return sim_fail(err, path, "must be true or false");
        *(int *)field = cJSON_IsTrue(val);
        return 0;
    case PT_ENUM:
        if (!cJSON_IsString(val))
            return enum_error(s, NULL, path, err);
        for (int i = 0; s->choices[i]; i++)
            if (strcmp(s->choices[i], val->valuestring) == 0) {
                *(int *)field = i;
                return 0;
            }
        return enum_error(s, val->valuestring, path, err);
    case PT_STRING:
        if (!cJSON_IsString(val) || !val->valuestring[0])
            return sim_fail(err, path, "must be a non-empty string");
        free(*(char **)field);
        *(char **)field = sim_xstrdup(val->valuestring);
        return 0;
    case PT_JSON:
    case PT_DIST_BY_OP:
        *(const cJSON **)field = val;
        return 0;
    }
    return sim_fail(err, path, "internal: unknown parameter type");
}

static int listed(const char *const *names, const char *name)
{
    for (size_t i = 0; names && names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

static int unknown_member(const struct param_spec *const *tables, const char *const *ignore,
                          const char *name, const char *path, struct sim_error *err)
{
    const char *cands[128];
    size_t n = 0;
    for (size_t t = 0; tables[t]; t++)
        for (const struct param_spec *p = tables[t]; p->name && n < 120; p++)
            cands[n++] = p->name;
    for (size_t i = 0; ignore && ignore[i] && n < 127; i++)
        cands[n++] = ignore[i];
    cands[n] = NULL;
    const char *near = suggest_word(name, cands);
    if (near)
        return sim_fail(err, path, "unknown field \"%s\" (did you mean \"%s\"?)", name, near);
    return sim_fail(err, path, "unknown field \"%s\"", name);
}

int params_only_members(const cJSON *obj, const char *const *allowed, const char *path,
                        const char *what, struct sim_error *err)
{
    char sub[300];
    for (const cJSON *m = obj->child; m; m = m->next) {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            ok |= strcmp(allowed[i], m->string) == 0;
        if (!ok) {
            const char *near = suggest_word(m->string, allowed);
            return sim_fail(err, path_member(sub, sizeof sub, path, m->string),
                            "unknown field \"%s\"%s%s%s%s%s%s", m->string,
                            near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "",
                            what ? " (" : "", what ? what : "", what ? ")" : "");
        }
    }
    return 0;
}

int params_parse(const struct param_spec *const *tables, const char *const *ignore,
                 const cJSON *obj, void *cfg, const char *path, struct sim_error *err)
{
    char sub[512];
    if (!cJSON_IsObject(obj))
        return sim_fail(err, path, "must be an object");
    for (const cJSON *m = obj->child; m; m = m->next) {
        if (listed(ignore, m->string))
            continue;
        if (!params_find(tables, m->string))
            return unknown_member(tables, ignore, m->string,
                                  path_member(sub, sizeof sub, path, m->string), err);
    }
    for (size_t t = 0; tables[t]; t++) {
        for (const struct param_spec *p = tables[t]; p->name; p++) {
            const cJSON *val = cJSON_GetObjectItemCaseSensitive(obj, p->name);
            path_member(sub, sizeof sub, path, p->name);
            if (!val) {
                if (p->flags & PARAM_REQUIRED)
                    return sim_fail(err, path, "missing required field \"%s\" (%s)", p->name,
                                    p->help);
                if (!p->def)
                    continue;
                cJSON *def = cJSON_Parse(p->def);
                SIM_ASSERT(def != NULL);
                int rc = params_parse_one(p, def, cfg, sub, err);
                cJSON_Delete(def);
                SIM_ASSERT(rc == 0);
                continue;
            }
            if (params_parse_one(p, val, cfg, sub, err))
                return -1;
        }
    }
    return 0;
}

void params_free(const struct param_spec *const *tables, void *cfg)
{
    for (size_t t = 0; tables[t]; t++)
        for (const struct param_spec *p = tables[t]; p->name; p++) {
            char *field = (char *)cfg + p->offset;
            if (p->type == PT_DIST)
                dist_free((struct dist *)field);
            else if (p->type == PT_STRING) {
                free(*(char **)field);
                *(char **)field = NULL;
            }
        }
}

void params_print_help(const struct param_spec *const *tables, FILE *out)
{
    for (size_t t = 0; tables[t]; t++)
        for (const struct param_spec *p = tables[t]; p->name; p++) {
            fprintf(out, "  %-18s %-22s %s", p->name, type_name(p->type), p->help);
            if (p->type == PT_ENUM) {
                fputs(" (", out);
                for (size_t i = 0; p->choices[i]; i++)
                    fprintf(out, "%s%s", i ? " | " : "", p->choices[i]);
                fputc(')', out);
            }
            if (p->flags & PARAM_REQUIRED)
                fputs("; required", out);
            else if (p->def)
                fprintf(out, "; default %s", p->def);
            fputc('\n', out);
        }
}
