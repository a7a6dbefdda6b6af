/* The "calls" field of thread-per-request servers (services, queue consumers): per op, the
 * downstream components called in order. Parsed and checked in one place for every model. */
#ifndef MODELS_CALLS_H
#define MODELS_CALLS_H

#include "sim/scenario.h"

/* Fills calls[op] (allocated, freed with calls_free) and ncalls[op] for every op of the
 * workload from `json` ({"read": ["cache"], "*": ["db"]}; NULL: no calls). An op without its
 * own list takes the "*" list. Op names must be the workload's or a built-in one; every id
 * must name a component. Returns 0, or -1 with err filled at `path` (the field's path). */
int calls_parse(uint32_t *calls[SCN_MAX_OPS], uint32_t ncalls[SCN_MAX_OPS], const cJSON *json,
                const char *path, const struct scenario *sc, struct sim_error *err);
void calls_free(uint32_t *calls[SCN_MAX_OPS]);

#endif
