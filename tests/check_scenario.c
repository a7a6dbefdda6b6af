/* Tests for sim/scenario.c: every shipped scenario loads; each class of malformed input is
 * an error with the right line, JSON path and message; --set overrides; the call graph. */
#include "models/registry.h"
#include "sim/scenario.h"

#include <check.h>
#include <glob.h>
#include <string.h>

static struct scenario *load_ok(const char *text)
{
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    int rc = scenario_load_text("t.json", text, strlen(text), NULL, 0, model_registry, &sc, &err);
    if (rc)
        sim_error_print(&err);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(sc);
    return sc;
}

/* Loads text expecting an error at `line` and `path` whose message contains `needle`. */
static void load_bad_set(const char *text, const char *const *sets, size_t nsets, int line,
                         const char *path, const char *needle)
{
    struct sim_error err = {0};
    struct scenario *sc = (struct scenario *)1;
    int rc = scenario_load_text("t.json", text, strlen(text), sets, nsets, model_registry, &sc,
                                &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_null(sc);
    ck_assert_int_eq(err.code, SIM_EUSAGE);
    ck_assert_msg(strcmp(err.path, path) == 0, "path '%s', expected '%s' (%s)", err.path, path,
                  err.msg);
    ck_assert_msg(err.line == line, "line %d, expected %d (%s: %s)", err.line, line, err.path,
                  err.msg);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
}

static void load_bad(const char *text, int line, const char *path, const char *needle)
{
    load_bad_set(text, NULL, 0, line, path, needle);
}

#define HEAD                                                                                     \
    "{\n"                                                                                        \
    "  \"name\": \"t\",\n"                                                                       \
    "  \"duration\": \"100s\",\n"                                                                \
    "  \"workload\": {\"rate\": 10, \"entry\": \"web\"},\n"

static const char good[] = HEAD "  \"components\": [\n"
                                "    {\"id\": \"web\", \"type\": \"service\", \"workers\": 4,\n"
                                "     \"calls\": {\"*\": [\"db\"]}},\n"
                                "    {\"id\": \"db\", \"type\": \"service\",\n"
                                "     \"service\": {\"dist\": \"exp\", \"mean\": \"5ms\"}}\n"
                                "  ]\n"
                                "}\n";

START_TEST(test_good_scenario)
{
    struct scenario *sc = load_ok(good);
    ck_assert_str_eq(sc->name, "t");
    ck_assert_double_eq(sc->duration, 100);
    ck_assert_uint_eq(sc->ncomp, 2);
    ck_assert_int_eq(scenario_find(sc, "db"), 1);
    ck_assert_uint_eq(sc->wl.nops, 1);
    ck_assert_uint_eq(sc->wl.entry[0], 0);
    /* Callers first in the call graph's order. */
    ck_assert_uint_eq(sc->topo[0], 0);
    ck_assert_uint_eq(sc->topo[1], 1);
    scenario_free(sc);
}
END_TEST

START_TEST(test_shipped_scenarios_load)
{
    glob_t g;
    ck_assert_int_eq(glob("scenarios/*.json", 0, NULL, &g), 0);
    glob("scenarios/*/*.json", GLOB_APPEND, NULL, &g);
    size_t loaded = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        if (strstr(g.gl_pathv[i], "schema.json"))
            continue;
        struct sim_error err = {0};
        struct scenario *sc;
        int rc = scenario_load(g.gl_pathv[i], NULL, 0, model_registry, &sc, &err);
        if (rc)
            sim_error_print(&err);
        ck_assert_msg(rc == 0, "%s does not load", g.gl_pathv[i]);
        scenario_free(sc);
        loaded++;
    }
    globfree(&g);
    ck_assert_uint_ge(loaded, 4);
}
END_TEST

START_TEST(test_invalid_json)
{
    load_bad("{\n  \"name\": \"t\",\n  \"duration\": 10,,\n}\n", 3, "", "invalid JSON");
}
END_TEST

START_TEST(test_duplicate_key)
{
    load_bad("{\n  \"duration\": 10,\n  \"duration\": 20\n}\n", 3, "duration", "twice");
}
END_TEST

START_TEST(test_unknown_field_did_you_mean)
{
    load_bad(HEAD "  \"components\": [\n"
                  "    {\"id\": \"web\", \"type\": \"service\",\n"
                  "     \"workres\": 4}\n"
                  "  ]\n}\n",
             7, "components[0].workres", "did you mean \"workers\"");
    load_bad("{\n  \"duraton\": \"10s\"\n}\n", 2, "duraton", "did you mean \"duration\"");
}
END_TEST

START_TEST(test_unknown_id)
{
    load_bad(HEAD "  \"components\": [\n"
                  "    {\"id\": \"web\", \"type\": \"service\",\n"
                  "     \"calls\": {\"*\": [\"dbb\"]}},\n"
                  "    {\"id\": \"db\", \"type\": \"service\"}\n"
                  "  ]\n}\n",
             7, "components[0].calls.*[0]", "unknown component \"dbb\"");
    load_bad("{\n  \"duration\": \"10s\",\n  \"workload\": {\"rate\": 1,\n   \"entry\": \"wbe\"},\n"
             "  \"components\": [{\"id\": \"web\", \"type\": \"service\"}]\n}\n",
             4, "workload.entry", "did you mean \"web\"");
}
END_TEST

START_TEST(test_unknown_type)
{
    load_bad(HEAD "  \"components\": [\n"
                  "    {\"id\": \"web\", \"type\": \"servce\"}\n"
                  "  ]\n}\n",
             6, "components[0].type", "did you mean \"service\"");
}
END_TEST

START_TEST(test_wrong_type)
{
    load_bad(HEAD "  \"components\": [\n"
                  "    {\"id\": \"web\", \"type\": \"service\",\n"
                  "     \"workers\": \"many\"}\n"
                  "  ]\n}\n",
             7, "components[0].workers", "integer");
    load_bad("{\n  \"duration\": true\n}\n", 2, "duration", "duration");
}
END_TEST

START_TEST(test_out_of_range)
{
    load_bad(HEAD "  \"components\": [\n"
                  "    {\"id\": \"web\", \"type\": \"service\",\n"
                  "     \"workers\": 0}\n"
                  "  ]\n}\n",
             7, "components[0].workers", "between 1 and");
    load_bad(HEAD "  \"components\": [\n"
                  "    {\"id\": \"web\", \"type\": \"service\", \"service\":\n"
                  "      {\"dist\": \"lognormal\", \"mean\": \"5ms\",\n"
                  "       \"cv\": -1}}\n"
                  "  ]\n}\n",
             8, "components[0].service.cv", "");
    load_bad("{\n  \"duration\": \"10s\",\n  \"workload\": {\"rate\": -5, \"entry\": \"web\"},\n"
             "  \"components\": [{\"id\": \"web\", \"type\": \"service\"}]\n}\n",
             3, "workload.rate", "between 0 and");
}
END_TEST

START_TEST(test_bad_unit)
{
    load_bad("{\n  \"duration\": \"10 parsecs\"\n}\n", 2, "duration", "");
}
END_TEST

START_TEST(test_missing_required)
{
    load_bad("{\n  \"name\": \"t\"\n}\n", 1, "", "duration");
    load_bad("{\n  \"duration\": \"10s\",\n  \"components\": [{\"id\": \"web\", "
             "\"type\": \"service\"}]\n}\n",
             1, "", "workload");
}
END_TEST

START_TEST(test_cycle_is_named)
{
    load_bad(HEAD "  \"components\": [\n"
                  "    {\"id\": \"web\", \"type\": \"service\", \"calls\": {\"*\": [\"app\"]}},\n"
                  "    {\"id\": \"app\", \"type\": \"service\", \"calls\": {\"*\": [\"db\"]}},\n"
                  "    {\"id\": \"db\", \"type\": \"service\", \"calls\": {\"*\": [\"app\"]}}\n"
                  "  ]\n}\n",
             7, "components[1]", "cycle: app -> db -> app");
}
END_TEST

START_TEST(test_set_overrides)
{
    const char *sets[] = {"components.web.workers=16", "workload.rate=25"};
    struct sim_error err = {0};
    struct scenario *sc;
    ck_assert_int_eq(scenario_load_text("t.json", good, strlen(good), sets, 2, model_registry,
                                        &sc, &err),
                     0);
    ck_assert_double_eq(sc->wl.rate.v[0], 25);
    const cJSON *web = cJSON_GetArrayItem(cJSON_GetObjectItem(sc->root, "components"), 0);
    ck_assert_int_eq(cJSON_GetObjectItem(web, "workers")->valueint, 16);
    scenario_free(sc);
}
END_TEST

START_TEST(test_set_errors_name_the_option)
{
    const char *bad_value[] = {"components.web.workers=-3"};
    load_bad_set(good, bad_value, 1, 0, "components[0].workers", "between 1 and");
    struct sim_error err = {0};
    struct scenario *sc;
    const char *no_comp[] = {"components.nosuch.workers=3"};
    ck_assert_int_eq(scenario_load_text("t.json", good, strlen(good), no_comp, 1,
                                        model_registry, &sc, &err),
                     -1);
    ck_assert_str_eq(err.file, "--set");
    ck_assert_ptr_nonnull(strstr(err.msg, "nosuch"));
}
END_TEST

START_TEST(test_events)
{
    load_bad(HEAD "  \"components\": [{\"id\": \"web\", \"type\": \"service\"}],\n"
                  "  \"events\": [\n"
                  "    {\"at\": \"200s\", \"action\": \"set\", \"path\": \"workload.rate\", "
                  "\"value\": 3}\n"
                  "  ]\n}\n",
             7, "events[0].at", "after the end");
    load_bad(HEAD "  \"components\": [{\"id\": \"web\", \"type\": \"service\"}],\n"
                  "  \"events\": [\n"
                  "    {\"at\": \"20s\", \"action\": \"sett\"}\n"
                  "  ]\n}\n",
             7, "events[0].action", "did you mean \"set\"");
    load_bad(HEAD "  \"components\": [{\"id\": \"web\", \"type\": \"service\"}],\n"
                  "  \"events\": [\n"
                  "    {\"at\": \"20s\", \"action\": \"set\", \"path\": \"workload.rate_per_user\","
                  " \"value\": 1}\n"
                  "  ]\n}\n",
             7, "events[0].path", "does not apply");
}
END_TEST

START_TEST(test_points_must_increase)
{
    load_bad("{\n  \"duration\": \"10m\",\n  \"workload\": {\"users\": [[\"0s\", 1],\n"
             "     [\"0s\", 5]], \"rate_per_user\": 1, \"entry\": \"web\"},\n"
             "  \"components\": [{\"id\": \"web\", \"type\": \"service\"}]\n}\n",
             4, "workload.users[1][0]", "increase");
}
END_TEST

START_TEST(test_points_function)
{
    double t[] = {0, 10, 20}, v[] = {0, 100, 50};
    struct points p = {3, t, v};
    ck_assert_double_eq(points_at(&p, RAMP_LINEAR, -1), 0);
    ck_assert_double_eq(points_at(&p, RAMP_LINEAR, 5), 50);
    ck_assert_double_eq(points_at(&p, RAMP_LINEAR, 15), 75);
    ck_assert_double_eq(points_at(&p, RAMP_STEP, 15), 100);
    ck_assert_double_eq(points_at(&p, RAMP_LINEAR, 30), 50);
}
END_TEST

Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, test_good_scenario);
    tcase_add_test(tc, test_shipped_scenarios_load);
    tcase_add_test(tc, test_invalid_json);
    tcase_add_test(tc, test_duplicate_key);
    tcase_add_test(tc, test_unknown_field_did_you_mean);
    tcase_add_test(tc, test_unknown_id);
    tcase_add_test(tc, test_unknown_type);
    tcase_add_test(tc, test_wrong_type);
    tcase_add_test(tc, test_out_of_range);
    tcase_add_test(tc, test_bad_unit);
    tcase_add_test(tc, test_missing_required);
    tcase_add_test(tc, test_cycle_is_named);
    tcase_add_test(tc, test_set_overrides);
    tcase_add_test(tc, test_set_errors_name_the_option);
    tcase_add_test(tc, test_events);
    tcase_add_test(tc, test_points_must_increase);
    tcase_add_test(tc, test_points_function);
    suite_add_tcase(s, tc);
    return s;
}
