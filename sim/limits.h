/* Resource limits a scenario must fit before anything runs: a rough estimate of the memory a
 * run needs, summed over its parts, against a limit (CLUSTERSIM_MEMORY_LIMIT, default 8 GiB),
 * so that a scenario too big for the machine is refused with both figures, never run out of
 * memory. */
#ifndef SIM_LIMITS_H
#define SIM_LIMITS_H

#include <stddef.h>
#include <stdint.h>

struct scenario;
struct sim_error;

#define LIMITS_MEMORY_DEFAULT (8.0 * 1024 * 1024 * 1024) /* bytes */
#define LIMITS_MEMORY_ENV "CLUSTERSIM_MEMORY_LIMIT"
/* One mt19937 stream: 624 words of state plus GSL's wrapper and the allocator's overhead. */
#define LIMITS_RNG_BYTES 5120.0
/* A server node: its record, its RNG stream and its entry in the summary. */
#define LIMITS_NODE_BYTES (LIMITS_RNG_BYTES + 1024.0)

/* The limit in bytes: the environment variable (a size such as "2GiB", or bytes) or the
 * default. Returns -1 with err when the variable is not a size. */
int limits_memory_limit(double *bytes, struct sim_error *err);
/* Rough bytes a run of sc needs: the kernel's parts (components, ops, time series, key
 * distribution, trace) plus each component's own (its model's memory hook, or nodes x
 * LIMITS_NODE_BYTES). The largest part's JSON path and description go to path and what. */
double limits_memory_estimate(const struct scenario *sc, char *path, size_t pathlen, char *what,
                              size_t whatlen);
/* Refuses (-1, err at the largest part's path) a scenario whose estimate exceeds the limit. */
int limits_check(const struct scenario *sc, struct sim_error *err);
/* The largest `what` ("nodes", "shards", "replicas", "edges") component `comp` has during
 * the run: `initial` or a larger count in a scale event of that kind. */
int64_t limits_peak(const struct scenario *sc, uint32_t comp, const char *what, int64_t initial);
/* limits_peak of "nodes" from the component's own count. */
int64_t limits_peak_nodes(const struct scenario *sc, uint32_t comp);
/* The highest request rate the workload reaches (req/s), `set` events included; 0 for a
 * trace. */
double limits_peak_rate(const struct scenario *sc);
/* The most requests a run can see: a trace's rows, or the peak rate over the whole duration
 * (an upper bound for tables that grow with what arrives, such as per-client state). */
double limits_max_requests(const struct scenario *sc);
/* Formats bytes for messages ("512 MiB", "8 GiB"); returns buf. */
const char *limits_format_bytes(double bytes, char *buf, size_t len);

#endif
