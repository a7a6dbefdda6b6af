/* The table of component models, by type name; only the command-line front includes it. */
#ifndef MODELS_REGISTRY_H
#define MODELS_REGISTRY_H

#include "sim/model.h"

/* NULL-terminated; each type name appears once (checked by the registry's test). */
extern const struct model_ops *const model_registry[];

#endif
