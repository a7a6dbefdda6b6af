/* Declarative parameter tables: a model lists its fields (name, type, offset, bounds, default,
 * help) and one validator parses, checks and fills them, and prints --help for the model. */
#ifndef SIM_PARAMS_H
#define SIM_PARAMS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sim_error;

enum param_type {
    PT_INT,      /* int64_t; JSON integer within [min, max] */
    PT_NUMBER,   /* double; finite, within [min, max] */
    PT_DURATION, /* double s; number or "5ms"; within [min, max] */
    PT_SIZE,     /* double bytes; number or "4KiB"; within [min, max] */
    PT_DIST,     /* struct dist; a duration or a {"dist": ...} object */
    PT_BOOL,     /* int 0/1 */
    PT_ENUM,     /* int index into choices */
    PT_STRING,   /* char * (owned by the config; freed by params_free) */
    PT_LIMIT,    /* int64_t; a non-negative integer, or "unlimited" (stored as -1) */
    PT_JSON,     /* const cJSON *: checked by the model's own parse hook */
    PT_DIST_BY_OP, /* const cJSON *: a distribution, or op -> distribution with "*" (the model
                      compiles it; the type tells the schema its shape) */
};

#define PARAM_REQUIRED 1u
#define PARAM_SETTABLE 2u /* may change at run time through a `set` event */

struct param_spec {
    const char *name;
    enum param_type type;
    size_t offset;        /* into the model's config struct */
    double min, max;      /* bounds for numbers, durations, sizes and integers */
    const char *def;      /* default as JSON text; NULL: no default (0 / NULL) */
    const char *help;
    const char *const *choices; /* PT_ENUM: NULL-terminated names */
    unsigned flags;
};

#define PARAM_END {NULL, PT_INT, 0, 0, 0, NULL, NULL, NULL, 0}

/* Parses the members of `obj` named in the tables (each NULL-name terminated) into cfg.
 * Members named in `ignore` (NULL-terminated, may be NULL) are skipped: they belong to the
 * caller. An unknown member is an error with a did-you-mean over every table. */
int params_parse(const struct param_spec *const *tables, const char *const *ignore,
                 const cJSON *obj, void *cfg, const char *path, struct sim_error *err);
/* Checks that every member of the object `obj` at `path` is one of `allowed` (NULL-terminated);
 * an unknown one is an error at its own path, with a did-you-mean and, unless NULL, the hint
 * `what` in parentheses. */
int params_only_members(const cJSON *obj, const char *const *allowed, const char *path,
                        const char *what, struct sim_error *err);
/* Parses one value for one spec (used by --set and `set` events too). */
int params_parse_one(const struct param_spec *spec, const cJSON *val, void *cfg,
                     const char *path, struct sim_error *err);
const struct param_spec *params_find(const struct param_spec *const *tables, const char *name);
void params_free(const struct param_spec *const *tables, void *cfg);
/* Prints one line per parameter: name, type, default, bounds and help. */
void params_print_help(const struct param_spec *const *tables, FILE *out);

/* Appends ".member" or "[i]" to a path in a caller buffer; returns buf. */
const char *path_member(char *buf, size_t len, const char *path, const char *member);
const char *path_index(char *buf, size_t len, const char *path, size_t index);

#endif
