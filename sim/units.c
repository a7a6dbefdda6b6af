/* Durations and sizes as scenarios write them: "250us", "10m", "4KiB", or plain JSON numbers
 * (seconds, bytes). Parsing is strict so that a typo is an error, not a silent default. */
#include "sim/units.h"

#include "sim/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A unit scales the number either by a power of ten (folded into the decimal exponent, so
 * that "0.1ms" is the double nearest 1e-4, exactly like the literal) or by an exact factor
 * (60, 3600, powers of two), which costs one rounding at most. */
struct unit {
    const char *name;
    int pow10;
    double factor;
};

/* "\xc2\xb5s" and "\xce\xbcs" are "µs" written with U+00B5 (micro sign) and U+03BC (Greek mu). */
static const struct unit duration_units[] = {
    {"ns", -9, 1},  {"us", -6, 1},   {"\xc2\xb5s", -6, 1}, {"\xce\xbcs", -6, 1},
    {"ms", -3, 1},  {"s", 0, 1},     {"m", 0, 60},         {"min", 0, 60},
    {"h", 0, 3600}, {"d", 0, 86400}, {NULL, 0, 0},
};

static const struct unit size_units[] = {
    {"B", 0, 1},
    {"KB", 3, 1},
    {"kB", 3, 1},
    {"MB", 6, 1},
    {"GB", 9, 1},
    {"TB", 12, 1},
    {"PB", 15, 1},
    {"KiB", 0, 1024.0},
    {"MiB", 0, 1024.0 * 1024},
    {"GiB", 0, 1024.0 * 1024 * 1024},
    {"TiB", 0, 1024.0 * 1024 * 1024 * 1024},
    {"PiB", 0, 1024.0 * 1024 * 1024 * 1024 * 1024},
    {NULL, 0, 0},
};

enum parse_status {
    PARSE_OK,
    PARSE_NO_NUMBER, /* "", "ms", "nan", "inf", "0x10s" */
    PARSE_NEGATIVE,  /* "-1s" */
    PARSE_NO_UNIT,   /* "5" */
    PARSE_BAD_UNIT,  /* "5 parsecs" */
    PARSE_RANGE,     /* too large or too small for a double */
};

/* Longest number text accepted; longer digit strings carry no extra precision anyway. */
#define NUMBER_MAX 64

/* Grammar: DIGITS [. DIGITS] [(e|E) [+|-] DIGITS], then optional spaces, then a unit from the
 * table. strtod alone would also take "nan", "inf", hex floats and leading blanks, so the
 * number is scanned here first and strtod only converts text already known to be decimal. */
static enum parse_status parse_with_units(const char *s, const struct unit *units, double *out,
                                          const char **unit_text)
{
    const char *p = s;
    *unit_text = NULL;
    if (*p == '-')
        return PARSE_NEGATIVE;
    const char *mant = p;
    size_t ndigits = 0;
    while (*p >= '0' && *p <= '9')
        p++, ndigits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, ndigits++;
    }
    if (ndigits == 0)
        return PARSE_NO_NUMBER;
    size_t mant_len = (size_t)(p - mant);
    long exp10 = 0;
    if ((*p == 'e' || *p == 'E') &&
        ((p[1] >= '0' && p[1] <= '9') ||
         ((p[1] == '+' || p[1] == '-') && p[2] >= '0' && p[2] <= '9'))) {
        p++;
        int neg = *p == '-';
        if (*p == '+' || *p == '-')
            p++;
        while (*p >= '0' && *p <= '9') {
            if (exp10 < 100000)
                exp10 = exp10 * 10 + (*p - '0');
            p++;
        }
        if (neg)
            exp10 = -exp10;
    }
    while (*p == ' ')
        p++;
    if (*p == '\0')
        return PARSE_NO_UNIT;
    const struct unit *u = units;
    while (u->name && strcmp(u->name, p) != 0)
        u++;
    if (!u->name) {
        *unit_text = p;
        return PARSE_BAD_UNIT;
    }
    if (mant_len > NUMBER_MAX)
        return PARSE_RANGE;
    char buf[NUMBER_MAX + 32];
    snprintf(buf, sizeof buf, "%.*se%ld", (int)mant_len, mant, exp10 + u->pow10);
    errno = 0;
    char *end;
    double v = strtod(buf, &end);
    if (*end != '\0')
        return PARSE_NO_NUMBER;
    /* Underflow to zero or a subnormal would silently lose the value; a nonzero mantissa
     * that ends up as 0 is as wrong as one that overflows. */
    if (errno == ERANGE)
        return PARSE_RANGE;
    v *= u->factor;
    if (!isfinite(v))
        return PARSE_RANGE;
    *out = v;
    return PARSE_OK;
}

int units_parse_duration(const char *s, double *out)
{
    const char *unit;
    double v;
    if (!s || parse_with_units(s, duration_units, &v, &unit) != PARSE_OK)
        return -1;
    *out = v;
    return 0;
}

int units_parse_size(const char *s, double *out)
{
    const char *unit;
    double v;
    if (!s || parse_with_units(s, size_units, &v, &unit) != PARSE_OK)
        return -1;
    *out = v;
    return 0;
}

static const char *json_type_name(const cJSON *j)
{
    if (!j)
        return "nothing";
    if (cJSON_IsBool(j))
        return "a boolean";
    if (cJSON_IsNull(j))
        return "null";
    if (cJSON_IsArray(j))
        return "an array";
    if (cJSON_IsObject(j))
        return "an object";
    if (cJSON_IsString(j))
        return "a string";
    return "a number";
}

/* Shared by durations and sizes: `what` is "duration" or "size", `example` and `plain` finish
 * the sentence `expected a duration such as "5ms" or a number of seconds`. */
static int units_value(const cJSON *j, const char *path, double *out, struct sim_error *err,
                       const struct unit *units, const char *what, const char *example,
                       const char *plain, const char *unit_list)
{
    if (cJSON_IsNumber(j)) {
        double v = j->valuedouble;
        if (!isfinite(v))
            return sim_fail(err, path, "expected a finite %s, got %g", what, v);
        if (v < 0)
            return sim_fail(err, path, "a %s must be >= 0, got %g", what, v);
        *out = v;
        return 0;
    }
    if (!cJSON_IsString(j) || !j->valuestring)
        return sim_fail(err, path, "expected a %s such as \"%s\" or a number of %s, got %s", what,
                        example, plain, json_type_name(j));
    const char *s = j->valuestring;
    const char *unit;
    double v;
    switch (parse_with_units(s, units, &v, &unit)) {
    case PARSE_OK:
        *out = v;
        return 0;
    case PARSE_NEGATIVE:
        return sim_fail(err, path, "a %s must be >= 0, got \"%s\"", what, s);
    case PARSE_NO_UNIT:
        return sim_fail(err, path,
                        "expected a %s such as \"%s\" or a number of %s, got \"%s\" (a string "
                        "needs a unit: %s; or write a JSON number)",
                        what, example, plain, s, unit_list);
    case PARSE_BAD_UNIT:
        return sim_fail(err, path,
                        "expected a %s such as \"%s\" or a number of %s, got \"%s\" (unknown "
                        "unit \"%s\"; use %s)",
                        what, example, plain, s, unit, unit_list);
    case PARSE_RANGE:
        return sim_fail(err, path, "%s \"%s\" is out of range", what, s);
    case PARSE_NO_NUMBER:
        break;
    }
    return sim_fail(err, path, "expected a %s such as \"%s\" or a number of %s, got \"%s\"", what,
                    example, plain, s);
}

int units_duration(const cJSON *j, const char *path, double *out, struct sim_error *err)
{
    return units_value(j, path, out, err, duration_units, "duration", "5ms", "seconds",
                       "ns, us, ms, s, m (or min), h or d");
}

int units_size(const cJSON *j, const char *path, double *out, struct sim_error *err)
{
    return units_value(j, path, out, err, size_units, "size", "4KiB", "bytes",
                       "B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)");
}

/* Picks the largest unit that keeps the number >= 1 after rounding to six significant digits,
 * so 0.9999999 s prints as "1s" rather than "1000ms". */
const char *units_format_duration(double s, char *buf, unsigned len)
{
    static const struct {
        const char *name;
        double size; /* s */
    } steps[] = {{"d", 86400}, {"h", 3600},  {"m", 60},   {"s", 1},
                 {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}};
    if (!buf || len == 0)
        return buf;
    if (isnan(s) || isinf(s)) {
        snprintf(buf, len, "%s", isnan(s) ? "nan" : s > 0 ? "inf" : "-inf");
        return buf;
    }
    if (s == 0) {
        snprintf(buf, len, "0s");
        return buf;
    }
    const char *sign = s < 0 ? "-" : "";
    double a = fabs(s);
    size_t i = 0;
    const size_t last = sizeof steps / sizeof steps[0] - 1;
    while (i < last && a < steps[i].size * (1 - 5e-7))
        i++;
    snprintf(buf, len, "%s%.6g%s", sign, a / steps[i].size, steps[i].name);
    return buf;
}
