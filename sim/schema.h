/* The JSON Schema of the scenario format, generated from the validator's parameter tables. */
#ifndef SIM_SCHEMA_H
#define SIM_SCHEMA_H

#include "sim/model.h"

#include <cjson/cJSON.h>

/* The whole schema (caller deletes): the top level, the workload, one object per component
 * type from its table plus the common fields, and the events. */
cJSON *schema_build(const struct model_ops *const *registry, const struct param_spec *common);

#endif
