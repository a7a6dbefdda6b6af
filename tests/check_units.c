/* Tests for sim/units.c: every duration and size form of SCENARIO.md, the strictness of the
 * grammar, error messages with their JSON path, and formatting for humans. */
#include "sim/error.h"
#include "sim/units.h"

#include <check.h>
#include <math.h>
#include <string.h>

static const struct {
    const char *text;
    double seconds;
} good_durations[] = {
    /* The forms of SCENARIO.md, exactly as written there. */
    {"250us", 250e-6},
    {"5ms", 5e-3},
    {"2s", 2},
    {"10m", 600},
    {"1h", 3600},
    {"1d", 86400},
    /* Powers of ten fold into the decimal exponent, so fractions come out as the double
     * nearest the true value, equal to the C literal. */
    {"1.5s", 1.5},
    {"0.1ms", 0.1e-3},
    {"2.5us", 2.5e-6},
    {"7ns", 7e-9},
    {"1e3ms", 1},
    {"2E-3s", 2e-3},
    {".5s", 0.5},
    {"5.ms", 5e-3},
    {"5 ms", 5e-3},
    {"1min", 60},
    {"1.5m", 90},
    {"0s", 0},
    {"3\xc2\xb5s", 3e-6},
    {"3\xce\xbcs", 3e-6},
};

START_TEST(test_duration_forms)
{
    double v;
    const char *t = good_durations[_i].text;
    ck_assert_msg(units_parse_duration(t, &v) == 0, "rejected \"%s\"", t);
    ck_assert_msg(v == good_durations[_i].seconds, "\"%s\" gave %.17g", t, v);
}
END_TEST

static const char *const bad_durations[] = {
    "5 parsecs", "",      "ms",     "-1s",     "nan", "inf", "infs", "nans",   "5",  "5MS",  " 5ms",
    "5ms ",      "0x10s", "1e999s", "1e-400s", "+5s", "5e",  "5 ",   "1.2.3s", "s5", "5e+s", "--1s",
};

START_TEST(test_duration_rejects)
{
    double v = 123;
    const char *t = bad_durations[_i];
    ck_assert_msg(units_parse_duration(t, &v) == -1, "accepted \"%s\" as %g", t, v);
    ck_assert_double_eq(v, 123); /* untouched on failure */
}
END_TEST

static const struct {
    const char *text;
    double bytes;
} good_sizes[] = {
    {"512B", 512},    {"4KB", 4000},          {"4KiB", 4096},
    {"10MB", 10e6},   {"1GiB", 1073741824.0}, {"10MiB", 10 * 1048576.0},
    {"2GB", 2e9},     {"1TB", 1e12},          {"1TiB", 1099511627776.0},
    {"1.5KiB", 1536}, {"3kB", 3000},          {"0B", 0},
};

START_TEST(test_size_forms)
{
    double v;
    const char *t = good_sizes[_i].text;
    ck_assert_msg(units_parse_size(t, &v) == 0, "rejected \"%s\"", t);
    ck_assert_msg(v == good_sizes[_i].bytes, "\"%s\" gave %.17g", t, v);
}
END_TEST

START_TEST(test_size_rejects)
{
    static const char *const bad[] = {"10",  "10mb",    "10 parsecs", "",     "B",
                                      "-1B", "1e999GB", "5s",         "nanB", "10Mib"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        ck_assert_msg(units_parse_size(bad[i], &v) == -1, "accepted \"%s\"", bad[i]);
    }
    double v;
    /* Units belong to their own kind: "10m" is ten minutes, not a size. */
    ck_assert_int_eq(units_parse_size("10m", &v), -1);
    ck_assert_int_eq(units_parse_duration("10MB", &v), -1);
}
END_TEST

static int duration_json(const char *json, double *out, struct sim_error *err)
{
    cJSON *j = cJSON_Parse(json);
    ck_assert_ptr_nonnull(j);
    memset(err, 0, sizeof *err);
    int rc = units_duration(j, "components[2].service.mean", out, err);
    cJSON_Delete(j);
    return rc;
}

START_TEST(test_duration_json)
{
    struct sim_error err;
    double v;
    /* JSON numbers are seconds. */
    ck_assert_int_eq(duration_json("0.25", &v, &err), 0);
    ck_assert_double_eq(v, 0.25);
    ck_assert_int_eq(duration_json("0", &v, &err), 0);
    ck_assert_double_eq(v, 0);
    ck_assert_int_eq(duration_json("\"10m\"", &v, &err), 0);
    ck_assert_double_eq(v, 600);

    ck_assert_int_eq(duration_json("\"5 parsecs\"", &v, &err), -1);
    ck_assert_int_eq(err.code, SIM_EUSAGE);
    ck_assert_str_eq(err.path, "components[2].service.mean");
    ck_assert_ptr_nonnull(strstr(err.msg, "expected a duration such as \"5ms\" or a number of "
                                          "seconds, got \"5 parsecs\""));
    ck_assert_ptr_nonnull(strstr(err.msg, "unknown unit \"parsecs\""));

    ck_assert_int_eq(duration_json("-1", &v, &err), -1);
    ck_assert_str_eq(err.path, "components[2].service.mean");
    ck_assert_ptr_nonnull(strstr(err.msg, ">= 0"));
    ck_assert_int_eq(duration_json("\"-1s\"", &v, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, ">= 0"));
    ck_assert_int_eq(duration_json("\"5\"", &v, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "needs a unit"));
    ck_assert_int_eq(duration_json("\"1e999s\"", &v, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "out of range"));
    ck_assert_int_eq(duration_json("true", &v, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "got a boolean"));
    ck_assert_int_eq(duration_json("{\"dist\":\"exp\"}", &v, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "got an object"));
    ck_assert_int_eq(duration_json("null", &v, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "got null"));
    /* cJSON reads an overlong literal as infinity; it must not pass as a duration. */
    ck_assert_int_eq(duration_json("1e999", &v, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "finite"));

    /* A missing value (NULL item) is reported, not dereferenced. */
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(units_duration(NULL, "x", &v, &err), -1);
    ck_assert_str_eq(err.path, "x");
}
END_TEST

START_TEST(test_size_json)
{
    struct sim_error err = {0};
    double v;
    cJSON *j = cJSON_Parse("[4096, \"4KiB\", \"4 parsecs\", -3]");
    ck_assert_int_eq(units_size(cJSON_GetArrayItem(j, 0), "a[0]", &v, &err), 0);
    ck_assert_double_eq(v, 4096);
    ck_assert_int_eq(units_size(cJSON_GetArrayItem(j, 1), "a[1]", &v, &err), 0);
    ck_assert_double_eq(v, 4096);
    ck_assert_int_eq(units_size(cJSON_GetArrayItem(j, 2), "a[2]", &v, &err), -1);
    ck_assert_str_eq(err.path, "a[2]");
    ck_assert_ptr_nonnull(strstr(
        err.msg, "expected a size such as \"4KiB\" or a number of bytes, got \"4 parsecs\""));
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(units_size(cJSON_GetArrayItem(j, 3), "a[3]", &v, &err), -1);
    ck_assert_str_eq(err.path, "a[3]");
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_format_duration)
{
    static const struct {
        double s;
        const char *text;
    } cases[] = {
        {250e-6, "250us"}, {5e-3, "5ms"},    {2, "2s"},          {600, "10m"},   {3600, "1h"},
        {86400, "1d"},     {1.5, "1.5s"},    {90, "1.5m"},       {0, "0s"},      {1e-9, "1ns"},
        {0.9999999, "1s"}, {-0.002, "-2ms"}, {1e-12, "0.001ns"}, {172800, "2d"}, {INFINITY, "inf"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_str_eq(units_format_duration(cases[i].s, buf, sizeof buf), cases[i].text);
    /* Truncates safely into a small buffer. */
    char small[4];
    ck_assert_str_eq(units_format_duration(250e-6, small, sizeof small), "250");
}
END_TEST

/* Formatting keeps six significant digits, so a round trip through the parser is exact to a
 * relative 5e-6 (half a unit in the sixth digit) over a wide range of magnitudes. */
START_TEST(test_format_round_trip)
{
    char buf[32];
    for (double s = 1.234567e-9; s < 1e7; s *= 3.7) {
        double back;
        ck_assert_int_eq(units_parse_duration(units_format_duration(s, buf, sizeof buf), &back), 0);
        ck_assert_msg(fabs(back - s) <= 5e-6 * s, "%g -> %s -> %g", s, buf, back);
    }
}
END_TEST

Suite *units_suite(void)
{
    Suite *s = suite_create("units");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_duration_forms, 0,
                        (int)(sizeof good_durations / sizeof good_durations[0]));
    tcase_add_loop_test(tc, test_duration_rejects, 0,
                        (int)(sizeof bad_durations / sizeof bad_durations[0]));
    tcase_add_loop_test(tc, test_size_forms, 0, (int)(sizeof good_sizes / sizeof good_sizes[0]));
    tcase_add_test(tc, test_size_rejects);
    tcase_add_test(tc, test_duration_json);
    tcase_add_test(tc, test_size_json);
    tcase_add_test(tc, test_format_duration);
    tcase_add_test(tc, test_format_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
