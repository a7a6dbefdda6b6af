/* The one static table of component models. A new model adds one line here. */
#include "models/registry.h"

extern const struct model_ops service_ops;
extern const struct model_ops load_balancer_ops;
extern const struct model_ops database_ops;
extern const struct model_ops queue_ops;
extern const struct model_ops cache_ops;
extern const struct model_ops cdn_ops;
extern const struct model_ops geo_dns_ops;
extern const struct model_ops rate_limiter_ops;
extern const struct model_ops external_ops;

const struct model_ops *const model_registry[] = {
    &service_ops,
    &load_balancer_ops,
    &database_ops,
    &queue_ops,
    &cache_ops,
    &cdn_ops,
    &geo_dns_ops,
    &rate_limiter_ops,
    &external_ops,
    NULL,
};
