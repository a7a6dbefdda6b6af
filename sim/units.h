/* Units in scenarios: durations ("250us", "5ms", "2s", "10m", "1h", "1d" or seconds) and
 * sizes ("512B", "4KB", "4KiB", "10MB", "1GiB" or bytes). */
#ifndef SIM_UNITS_H
#define SIM_UNITS_H

#include <cjson/cJSON.h>

struct sim_error;

/* Parse a string; return 0 and set *out (seconds / bytes), or -1 when malformed. */
int units_parse_duration(const char *s, double *out);
int units_parse_size(const char *s, double *out);
/* A JSON number or string at `path`; errors name the path and say what was expected.
 * Values must be finite and >= 0. */
int units_duration(const cJSON *j, const char *path, double *out, struct sim_error *err);
int units_size(const cJSON *j, const char *path, double *out, struct sim_error *err);
/* Formats a duration for humans ("250us", "1.5s"); returns buf. */
const char *units_format_duration(double s, char *buf, unsigned len);

#endif
