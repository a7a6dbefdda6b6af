/* Hostile input for the scenario loader: every input here must be refused with a clean error
 * that names the file, the line and the JSON path (or load, where noted), never crash, hang or
 * exhaust memory. The inputs: the table `cases` (one line each), then the generated ones
 * (deep nesting, NUL bytes, many components, long --set paths, 32 ops), --set strings, the
 * memory limit, trace files, files that are not scenarios, and the fuzzer's findings. */
#include "models/registry.h"
#include "sim/hotkeys.h"
#include "sim/limits.h"
#include "sim/scenario.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/testutil.h"

#include <check.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Loads len bytes expecting an error at `line` and `path` whose message holds `needle`. */
static void refused_len(const char *text, size_t len, const char *const *sets, size_t nsets,
                        int line, const char *path, const char *needle)
{
    struct sim_error err = {0};
    struct scenario *sc = (struct scenario *)1;
    int rc = scenario_load_text("h.json", text, len, sets, nsets, model_registry, &sc, &err);
    ck_assert_msg(rc == -1, "accepted; expected an error at %s (%s)", path, needle);
    ck_assert_ptr_null(sc);
    ck_assert_int_eq(err.code, SIM_EUSAGE);
    ck_assert_msg(strcmp(err.path, path) == 0, "path '%s', expected '%s' (%s)", err.path, path,
                  err.msg);
    ck_assert_msg(err.line == line, "line %d, expected %d (%s: %s)", err.line, line, err.path,
                  err.msg);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
}

static void refused(const char *text, int line, const char *path, const char *needle)
{
    refused_len(text, strlen(text), NULL, 0, line, path, needle);
}

static void refused_set(const char *text, const char *set, const char *path, const char *needle)
{
    struct sim_error err = {0};
    struct scenario *sc = (struct scenario *)1;
    const char *sets[] = {set};
    int rc = scenario_load_text("h.json", text, strlen(text), sets, 1, model_registry, &sc, &err);
    ck_assert_msg(rc == -1, "--set '%.40s' accepted", set);
    ck_assert_ptr_null(sc);
    ck_assert_int_eq(err.code, SIM_EUSAGE);
    ck_assert_str_eq(err.file, "--set");
    ck_assert_msg(strcmp(err.path, path) == 0, "path '%s', expected '%s' (%s)", err.path, path,
                  err.msg);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
}

static struct scenario *loads(const char *text, size_t len)
{
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    int rc = scenario_load_text("h.json", text, len, NULL, 0, model_registry, &sc, &err);
    if (rc)
        sim_error_print(&err);
    ck_assert_int_eq(rc, 0);
    return sc;
}

/* Line 1 "{", line 2 the duration, line 3 the workload, line 4 the components. */
#define TOP(dur) "{\n  \"duration\": " dur ",\n"
#define WL "  \"workload\": {\"rate\": 10, \"entry\": \"web\"},\n"
#define WLX(x) "  \"workload\": {\"rate\": 10, \"entry\": \"web\"" x "},\n"
#define WEB(x) "  \"components\": [{\"id\": \"web\", \"type\": \"service\"" x "}]\n"
#define END "}\n"
#define OK TOP("10") WL WEB("") END
/* Line 4 a load balancer over web, line 5 web. */
#define LB(x)                                                                                      \
    TOP("10")                                                                                      \
    "  \"workload\": {\"rate\": 10, \"entry\": \"lb\"},\n"                                         \
    "  \"components\": [{\"id\": \"lb\", \"type\": \"load_balancer\", \"backend\": "               \
    "\"web\"" x "},\n"                                                                             \
    "    {\"id\": \"web\", \"type\": \"service\"}]\n" END
/* Line 5 the events. */
#define EVENT(x)                                                                                   \
    TOP("10")                                                                                      \
    WL "  \"components\": [{\"id\": \"web\", \"type\": \"service\"}],\n"                           \
       "  \"events\": [" x "]\n" END

static const struct {
    const char *what;
    const char *text;
    int line;
    const char *path;
    const char *needle;
} cases[] = {
    /* Numbers cJSON reads as infinities, NaN that JSON cannot express, overflow. */
    {"duration 1e999 (cJSON: inf)", TOP("1e999") WL WEB("") END, 2, "duration", "finite"},
    {"duration -1e999", TOP("-1e999") WL WEB("") END, 2, "duration", "finite"},
    {"duration \"1e999s\"", TOP("\"1e999s\"") WL WEB("") END, 2, "duration", "out of range"},
    {"duration \"1e9d\" (past 1e9 s)", TOP("\"1e9d\"") WL WEB("") END, 2, "duration",
     "at most 1e9 s, got 8.64e+13 s"},
    {"duration 0", TOP("0") WL WEB("") END, 2, "duration", "above 0"},
    {"duration NaN (not JSON)", TOP("NaN") WL WEB("") END, 2, "", "invalid JSON near \"NaN"},
    {"duration Infinity (not JSON)", TOP("Infinity") WL WEB("") END, 2, "", "invalid JSON"},
    {"duration 0x10 (not JSON)", TOP("0x10") WL WEB("") END, 2, "", "invalid JSON"},
    {"seed 1e999", TOP("10") "  \"seed\": 1e999,\n" WL WEB("") END, 3, "seed", "got inf"},
    {"seed -1", TOP("10") "  \"seed\": -1,\n" WL WEB("") END, 3, "seed", "between 0 and"},
    {"seed 2^53 + 1", TOP("10") "  \"seed\": 9007199254740993,\n" WL WEB("") END, 3, "seed",
     "between 0 and"},
    {"seed 1.5", TOP("10") "  \"seed\": 1.5,\n" WL WEB("") END, 3, "seed", "whole number"},
    {"nodes 1e999", TOP("10") WL WEB(", \"nodes\": 1e999") END, 4, "components[0].nodes", "finite"},
    {"nodes 1e6", TOP("10") WL WEB(", \"nodes\": 1e6") END, 4, "components[0].nodes",
     "between 1 and 100000"},
    {"workers -1", TOP("10") WL WEB(", \"workers\": -1") END, 4, "components[0].workers",
     "between 1 and"},
    {"workers 1.5", TOP("10") WL WEB(", \"workers\": 1.5") END, 4, "components[0].workers",
     "whole number"},
    {"queue 1e999", TOP("10") WL WEB(", \"queue\": 1e999") END, 4, "components[0].queue", "finite"},
    {"timeout 1e999", TOP("10") WL WEB(", \"timeout\": 1e999") END, 4, "components[0].timeout",
     "finite"},
    {"latency \"-5ms\"", TOP("10") WL WEB(", \"latency\": \"-5ms\"") END, 4,
     "components[0].latency", ">= 0"},
    {"service mean 1e999",
     TOP("10") WL WEB(", \"service\": {\"dist\": \"exp\", \"mean\": 1e999}") END, 4,
     "components[0].service.mean", "finite"},
    {"service 1e10 s (samples would leave any run)",
     TOP("10") WL WEB(", \"service\": \"1e10s\"") END, 4, "components[0].service",
     "at most 1e+09 s"},
    {"lognormal cv 1e300 (samples would be NaN)",
     TOP("10") WL WEB(", \"service\": {\"dist\": \"lognormal\", \"mean\": \"1ms\", \"cv\": 1e300}")
         END,
     4, "components[0].service.cv", "from 0 to 1000"},
    {"pareto shape 0.01 (samples would be inf)",
     TOP("10") WL WEB(", \"service\": {\"dist\": \"pareto\", \"shape\": 0.01, \"scale\": 1}") END,
     4, "components[0].service.shape", "from 0.1 to"},
    {"empirical value 1e300",
     TOP("10") WL WEB(", \"service\": {\"dist\": \"empirical\", \"values\": [1, 1e300]}") END, 4,
     "components[0].service.values[1]", "at most 1e+09 s"},
    {"normal sd 1e999",
     TOP("10") WL WEB(", \"service\": {\"dist\": \"normal\", \"mean\": 1, \"sd\": 1e999}") END, 4,
     "components[0].service.sd", "finite"},
    {"speed 1e-300 (service time / speed = inf)", TOP("10") WL WEB(", \"speeds\": [1e-300]") END, 4,
     "components[0].speeds[0]", "from 1e-6 to 1e6"},
    {"retry backoff 1e300", TOP("10") WL WEB(", \"retries\": {\"backoff\": 1e300}") END, 4,
     "components[0].retries.backoff", "at most 1e+09 s"},
    {"retry max 1e9", TOP("10") WL WEB(", \"retries\": {\"max\": 1e9}") END, 4,
     "components[0].retries.max", "between 0 and 100"},
    {"metrics interval 1e-300 (1e301 rows)",
     TOP("10") "  \"metrics\": {\"interval\": 1e-300},\n" WL WEB("") END, 3, "metrics.interval",
     "1e+301 time-series rows"},
    {"warmup as long as the run", TOP("10") "  \"metrics\": {\"warmup\": 10},\n" WL WEB("") END, 3,
     "metrics.warmup", "shorter"},
    {"key_sample 1e999", TOP("10") "  \"metrics\": {\"key_sample\": 1e999},\n" WL WEB("") END, 3,
     "metrics.key_sample", "got inf"},
    {"rate 1e999", TOP("10") "  \"workload\": {\"rate\": 1e999, \"entry\": \"web\"},\n" WEB("") END,
     3, "workload.rate", "got inf"},
    {"rate_per_user 1e999",
     TOP("10") "  \"workload\": {\"users\": 5, \"rate_per_user\": 1e999, "
               "\"entry\": \"web\"},\n" WEB("") END,
     3, "workload.rate_per_user", "got inf"},
    {"users point at time 1e999",
     TOP("10") "  \"workload\": {\"users\": [[1e999, 5]], "
               "\"rate_per_user\": 1, \"entry\": \"web\"},\n" WEB("") END,
     3, "workload.users[0][0]", "finite"},
    {"keys count 1e16", TOP("10") WLX(", \"keys\": {\"count\": 1e16}") WEB("") END, 3,
     "workload.keys.count", "between 1 and 1e+15"},
    {"zipf s 1e999", TOP("10") WLX(", \"keys\": {\"dist\": \"zipf\", \"s\": 1e999}") WEB("") END, 3,
     "workload.keys.s", "got inf"},
    {"clients 2^32", TOP("10") WLX(", \"clients\": 4294967296") WEB("") END, 3, "workload.clients",
     "between 1 and"},
    {"op weight 1e999", TOP("10") WLX(", \"ops\": {\"read\": 1e999}") WEB("") END, 3,
     "workload.ops.read", "got inf"},
    {"1e9 req/s for 1e9 s (time would stop advancing)",
     TOP("1e9") "  \"metrics\": {\"interval\": 1000},\n"
                "  \"workload\": {\"rate\": 1e9, \"arrivals\": \"uniform\", \"entry\": "
                "\"web\"},\n" WEB("") END,
     4, "workload", "clock's resolution"},
    {"set event rate 2e9 (above workload.rate's bound)",
     EVENT("{\"at\": 1, \"action\": \"set\", \"path\": \"workload.rate\", \"value\": 2e9}"), 5,
     "events[0].value", "between 0 and 1e+09"},
    {"event at 1e999", EVENT("{\"at\": 1e999, \"action\": \"fail\", \"target\": \"web\"}"), 5,
     "events[0].at", "finite"},
    {"scale to 1e6 nodes",
     EVENT("{\"at\": 1, \"action\": \"scale\", \"target\": \"web\", "
           "\"nodes\": 1e6}"),
     5, "events[0].nodes", "between 0 and 100000"},
    {"fail node 1e999",
     EVENT("{\"at\": 1, \"action\": \"fail\", \"target\": \"web\", "
           "\"node\": 1e999}"),
     5, "events[0].node", "got inf"},
    {"health check every 1e-300 s (time would stop)",
     LB(", \"health_check\": {\"interval\": 1e-300}"), 4, "components[0].health_check.interval",
     "from 1us to 1e9 s"},
    {"vnodes 1e9",
     LB(", \"policy\": \"hash\", \"sharding\": {\"scheme\": \"ring\", \"vnodes\": 1e9}"), 4,
     "components[0].sharding.vnodes", "from 1 to 100000"},
    /* Strings: NUL characters, which cJSON would silently cut at, and invalid UTF-8. */
    {"\\u0000 in a value", TOP("10") "  \"description\": \"a\\u0000b\",\n" WL WEB("") END, 3,
     "description", "\\u0000"},
    {"\\u0000 in an id",
     TOP("10") WL "  \"components\": [{\"id\": \"web\\u0000x\", \"type\": \"service\"}]\n" END, 4,
     "components[0].id", "\\u0000"},
    {"\\u0000 in a member name", "{\n  \"dura\\u0000tion\": 10\n}\n", 2, "", "a member name"},
    {"\\uZZZZ (cJSON reads NUL)", TOP("10") "  \"description\": \"\\uZZZZ\",\n" WL WEB("") END, 3,
     "description", "\\u0000"},
    {"byte 0xff", TOP("10") "  \"description\": \"caf\xff\",\n" WL WEB("") END, 3, "description",
     "not valid UTF-8 (byte 0xff)"},
    {"overlong '/' (c0 af)", TOP("10") "  \"description\": \"\xc0\xaf\",\n" WL WEB("") END, 3,
     "description", "byte 0xc0"},
    {"UTF-16 surrogate as UTF-8 (ed a0 80)",
     TOP("10") "  \"description\": \"\xed\xa0\x80\",\n" WL WEB("") END, 3, "description",
     "byte 0xed"},
    {"past U+10FFFF (f4 90 80 80)",
     TOP("10") "  \"description\": \"\xf4\x90\x80\x80\",\n" WL WEB("") END, 3, "description",
     "byte 0xf4"},
    {"sequence cut by the quote (e2 82)",
     TOP("10") "  \"description\": \"\xe2\x82\",\n" WL WEB("") END, 3, "description", "byte 0xe2"},
    {"stray continuation byte 0x80", TOP("10") "  \"description\": \"\x80\",\n" WL WEB("") END, 3,
     "description", "byte 0x80"},
    {"invalid UTF-8 in a member name", TOP("10") "  \"workload\": {\"r\xffte\": 10},\n" WEB("") END,
     3, "workload", "a member name is not valid UTF-8"},
    {"lone surrogate escape \\ud800", TOP("10") "  \"description\": \"\\ud800\",\n" WL WEB("") END,
     3, "", "invalid JSON"},
    /* Texts that are not scenarios. */
    {"empty file", "", 1, "", "empty"},
    {"whitespace only", " \n\t\n", 1, "", "empty"},
    {"truncated object", "{\n  \"duration\": 10,\n  \"workload\": {\"rate\"", 3, "",
     "invalid JSON"},
    {"an array", "[1, 2]", 1, "", "a scenario is a JSON object"},
    {"a string", "\"scenario\"", 1, "", "a scenario is a JSON object"},
    {"a member twice", "{\n  \"duration\": 10,\n  \"duration\": 20\n}\n", 3, "duration", "twice"},
    {"cycle with a node behind it (named x -> x before the fix)",
     TOP("10") "  \"workload\": {\"rate\": 10, \"entry\": \"a\"},\n  \"components\": [\n"
               "    {\"id\": \"x\", \"type\": \"service\"},\n"
               "    {\"id\": \"a\", \"type\": \"service\", \"calls\": {\"*\": [\"b\", \"x\"]}},\n"
               "    {\"id\": \"b\", \"type\": \"service\", \"calls\": {\"*\": [\"a\"]}}]\n" END,
     6, "components[1]", "cycle: a -> b -> a"},
};

START_TEST(test_hostile_table)
{
    refused(cases[_i].text, cases[_i].line, cases[_i].path, cases[_i].needle);
}
END_TEST

START_TEST(test_the_base_text_loads)
{
    /* The table's inputs differ from this valid one only in what they test. */
    scenario_free(loads(OK, strlen(OK)));
    scenario_free(loads(LB(""), strlen(LB(""))));
}
END_TEST

/* A text of `depth` nested arrays inside a scenario member. */
static char *nested(size_t depth)
{
    const char *head = "{\n  \"duration\": 10,\n  \"description\": ";
    size_t hl = strlen(head), n = hl + 2 * depth + 3;
    char *t = malloc(n + 1);
    memcpy(t, head, hl);
    memset(t + hl, '[', depth);
    memset(t + hl + depth, ']', depth);
    memcpy(t + hl + 2 * depth, "\n}\n", 4);
    return t;
}

START_TEST(test_deep_nesting)
{
    /* cJSON stops at CJSON_NESTING_LIMIT (1000) levels; deeper text is refused as such. */
    char *t = nested(CJSON_NESTING_LIMIT + 1);
    refused(t, 3, "", "nest deeper than 1000 levels");
    free(t);
    t = nested(200000);
    refused(t, 3, "", "nest deeper than 1000 levels");
    free(t);
    /* At the limit cJSON parses it, and the loader finds the real error. */
    t = nested(CJSON_NESTING_LIMIT - 1);
    refused(t, 3, "description", "must be a string");
    free(t);
}
END_TEST

START_TEST(test_nul_byte)
{
    static const char text[] = "{\n  \"duration\": 10,\n  \"description\": \"a\0b\"\n}\n";
    refused_len(text, sizeof text - 1, NULL, 0, 3, "", "NUL byte (at byte 39)");
    refused_len("\0", 1, NULL, 0, 1, "", "NUL byte (at byte 0)");
}
END_TEST

START_TEST(test_too_many_components)
{
    size_t n = 10001, cap = n * 48 + 128, len = 0;
    char *t = malloc(cap);
    len += (size_t)snprintf(t + len, cap - len, "{\"duration\": 10, \"components\": [");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(t + len, cap - len, "%s{\"id\": \"c%zu\"}", i ? "," : "", i);
    len += (size_t)snprintf(t + len, cap - len, "]}");
    refused(t, 1, "components", "has 10001 components; at most 10000");
    free(t);
}
END_TEST

START_TEST(test_long_id_loads)
{
    /* Ids are not bounded, paths in messages are (256 bytes): a long id must load and keep
     * its whole name. */
    size_t n = 5000;
    char *id = malloc(n + 1), *t = malloc(2 * n + 256);
    memset(id, 'a', n);
    id[n] = '\0';
    snprintf(t, 2 * n + 256,
             "{\"duration\": 10, \"workload\": {\"rate\": 1, \"entry\": \"%s\"}, "
             "\"components\": [{\"id\": \"%s\", \"type\": \"service\", \"workres\": 1}]}",
             id, id);
    refused(t, 1, "components[0].workres", "did you mean \"workers\"");
    char *fix = strstr(t, "workres");
    memcpy(fix, "workers", 7);
    struct scenario *sc = loads(t, strlen(t));
    ck_assert_uint_eq(strlen(sc->comps[0].id), n);
    scenario_free(sc);
    free(id);
    free(t);
}
END_TEST

/* 32 ops (SCN_MAX_OPS) left the op-name list without its NULL end, and an unknown op in a
 * per-op entry then made suggest_word read past it: a crash before the fix. */
START_TEST(test_32_ops_unknown_entry_op)
{
    char t[4096];
    size_t len = (size_t)snprintf(t, sizeof t,
                                  "{\"duration\": 10, \"workload\": {\"rate\": 1, "
                                  "\"ops\": {");
    for (int i = 0; i < SCN_MAX_OPS; i++)
        len += (size_t)snprintf(t + len, sizeof t - len, "%s\"op%d\": 1", i ? ", " : "", i);
    snprintf(t + len, sizeof t - len,
             "},\n\"entry\": {\"zz\": \"web\", \"*\": \"web\"}}, "
             "\"components\": [{\"id\": \"web\", \"type\": \"service\"}]}");
    refused(t, 2, "workload.entry.zz", "unknown op \"zz\"");
    /* A near miss is still suggested. */
    char *zz = strstr(t, "\"zz\"");
    memcpy(zz, "\"op\"", 4);
    refused(t, 2, "workload.entry.op", "did you mean \"op0\"");
}
END_TEST

START_TEST(test_set_strings)
{
    refused_set(OK, "description=a\xff", "", "not valid UTF-8 (byte 0xff at offset 13)");
    refused_set(OK, "description=\"a\\u0000b\"", "description", "\\u0000");
    refused_set(OK, "no-equals-sign", "", "PATH=VALUE");
    refused_set(OK, "=5", "", "PATH=VALUE");
    refused_set(OK, "components[x].nodes=2", "components[x].nodes", "bad index");
    refused_set(OK, "components[-1].nodes=2", "components[-1].nodes", "bad index");
    refused_set(OK, "components[99].nodes=2", "components[99].nodes", "no element [99]");
    refused_set(OK, "components.nosuch.nodes=2", "components.nosuch.nodes", "no component");
    refused_set(OK, "components[0]=2", "components[0]", "must end in a field name");
    refused_set(OK, "duration.x=2", "duration.x", "not inside an object");
    refused_set(OK, "a..b=2", "a..b", "empty name");
    char longpath[400];
    memset(longpath, 'a', 300);
    strcpy(longpath + 300, "=1");
    refused_set(OK, longpath, "", "path too long");
    /* A value past a bound is an error at --set, not in the file. */
    refused_set(OK, "components.web.nodes=1e999", "components[0].nodes", "finite");
}
END_TEST

/* "components.w" becomes "components[1000]": a path that fits as given could outgrow the
 * canonical buffer, which was then written past its end (the last --set's row). */
START_TEST(test_set_path_outgrows_canonical_form)
{
    size_t n = 1001, cap = n * 48 + 256, len = 0;
    char *t = malloc(cap);
    len += (size_t)snprintf(t + len, cap - len,
                            "{\"duration\": 10, \"workload\": {\"rate\": 1, "
                            "\"entry\": \"c0\"}, \"components\": [");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(t + len, cap - len, "%s{\"id\": \"%s%zu\", \"type\": \"service\"}",
                                i ? "," : "", i + 1 == n ? "w" : "c", i + 1 == n ? (size_t)0 : i);
    /* The entry is fine; the --set fails before anything else is looked at. */
    snprintf(t + len, cap - len, "]}");
    char set[300] = "components.w0";
    while (strlen(set) < 253)
        strcat(set, ".abcdefgh");
    set[253] = '\0';
    strcat(set, ".x=1");
    ck_assert_uint_eq(strlen(set), 257); /* a 255-byte path: short enough as given */
    set[255] = '\0';
    char path[256];
    strcpy(path, set);
    set[255] = '=';
    refused_set(t, set, path, "path too long");
    free(t);
}
END_TEST

/* ---- the memory limit ------------------------------------------------------------------ */

static void with_limit(const char *limit)
{
    if (limit)
        setenv(LIMITS_MEMORY_ENV, limit, 1);
    else
        unsetenv(LIMITS_MEMORY_ENV);
}

START_TEST(test_memory_limits)
{
    with_limit(NULL);
    /* 10000 shards x 101 nodes, each a server record and two RNG streams: 10.6 GiB. */
    refused(TOP("10") "  \"workload\": {\"rate\": 10, \"entry\": \"db\"},\n"
                      "  \"components\": [{\"id\": \"db\", \"type\": \"database\",\n"
                      "    \"shards\": 10000, \"replicas\": 100}]\n" END,
            4, "components[0]", "about 10.6 GiB of memory, more than the limit of 8 GiB");
    with_limit("100MiB");
    /* 20000 nodes x LIMITS_NODE_BYTES (6 KiB) = 117 MiB. */
    refused(TOP("10") WL WEB(", \"nodes\": 20000") END, 4, "components[0]",
            "web (service, 20000 nodes at most)");
    /* The same through a scale event. */
    refused(EVENT("{\"at\": 1, \"action\": \"scale\", \"target\": \"web\", \"nodes\": 20000}"), 4,
            "components[0]", "20000 nodes at most");
    /* 1e6 rows x 11 columns, twice, in an array of 2^20 rows: 176 MiB. */
    refused(TOP("1e6") WL WEB("") END, 1, "metrics.interval", "the time series (1000002 rows");
    /* 4e6 keys read by a cache: exact hot-key counts of 1 byte per key, 3.81 MiB (the Zipf
     * table stays near KEYDIST_TABLE_MAX outcomes, under 400 KiB). */
    with_limit("3MiB");
    refused(TOP("10") WLX(", \"keys\": {\"count\": 4e6, \"dist\": \"zipf\"}")
                "  \"components\": [{\"id\": \"web\", \"type\": \"cache\", \"capacity\": 10}]\n" END,
            3, "workload.keys.count", "the hot-key counts of 4000000 keys: about 3.81 MiB");
    /* Sticky sessions for 4e7 clients: 153 MiB of slots. */
    with_limit("100MiB");
    refused(
        TOP("10") "  \"workload\": {\"rate\": 10, \"entry\": \"lb\", \"clients\": 40000000},\n"
                  "  \"components\": [{\"id\": \"lb\", \"type\": \"load_balancer\", \"backend\": "
                  "\"web\", \"policy\": \"sticky\"},\n    {\"id\": \"web\", \"type\": "
                  "\"service\"}]\n" END,
        4, "components[0]", "lb (load_balancer");
    with_limit("lots");
    refused(OK, 1, "", "CLUSTERSIM_MEMORY_LIMIT=\"lots\" is not a size");
    with_limit("0");
    refused(OK, 1, "", "is not a size");
    with_limit("-5GiB");
    refused(OK, 1, "", "is not a size");
    with_limit("1GiB");
    scenario_free(loads(OK, strlen(OK)));
    with_limit("1073741824");
    scenario_free(loads(OK, strlen(OK)));
    with_limit(NULL);
}
END_TEST

START_TEST(test_memory_estimate_per_node)
{
    /* Each node adds exactly LIMITS_NODE_BYTES to a service's estimate. */
    struct scenario *a = loads(TOP("10") WL WEB(", \"nodes\": 100") END,
                               strlen(TOP("10") WL WEB(", \"nodes\": 100") END));
    struct scenario *b = loads(TOP("10") WL WEB(", \"nodes\": 300") END,
                               strlen(TOP("10") WL WEB(", \"nodes\": 300") END));
    char path[64], what[160];
    double ea = limits_memory_estimate(a, NULL, 0, NULL, 0);
    double eb = limits_memory_estimate(b, path, sizeof path, what, sizeof what);
    ck_assert_double_eq(eb - ea, 200 * LIMITS_NODE_BYTES);
    ck_assert_str_eq(path, "components[0]");
    ck_assert_msg(strstr(what, "web (service, 300 nodes at most): about 1.") != NULL, "%s", what);
    scenario_free(a);
    scenario_free(b);
}
END_TEST

START_TEST(test_memory_estimate_hot_key_counts)
{
    /* A cache reads keys, so each uniform key adds the 2 bytes of its exact hot-key count
     * (no Zipf table: the keys are uniform); past HOTKEYS_EXACT_MAX keys there are none. */
#define CACHE_KEYS(n)                                                                              \
    TOP("10") WLX(", \"keys\": {\"count\": " n "}")                                                \
    "  \"components\": [{\"id\": \"web\", \"type\": \"cache\", \"capacity\": 10}]\n" END
    const char *txt[3] = {CACHE_KEYS("1000"), CACHE_KEYS("3000"), CACHE_KEYS("5e6")};
#undef CACHE_KEYS
    double e[3];
    for (int i = 0; i < 3; i++) {
        struct scenario *sc = loads(txt[i], strlen(txt[i]));
        e[i] = limits_memory_estimate(sc, NULL, 0, NULL, 0);
        scenario_free(sc);
    }
    ck_assert_double_eq(e[1] - e[0], 2000.0 * HOTKEYS_EXACT_BYTES);
    ck_assert_double_eq(e[2], e[0] - 1000.0 * HOTKEYS_EXACT_BYTES);
}
END_TEST

/* A placement that could not be built when the run reaches its most nodes used to stop the
 * run on an assertion (placement_create refuses over 2^26 ring points); it is a load error. */
START_TEST(test_placement_at_peak_nodes)
{
    with_limit(NULL);
    refused(TOP("10") "  \"workload\": {\"rate\": 10, \"entry\": \"lb\"},\n"
                      "  \"components\": [{\"id\": \"lb\", \"type\": \"load_balancer\", "
                      "\"backend\": \"web\","
                      "\n    \"policy\": \"hash\", \"sharding\": {\"scheme\": \"ring\", "
                      "\"vnodes\": 100000}},\n"
                      "    {\"id\": \"web\", \"type\": \"service\", \"nodes\": 1000}]\n" END,
            5, "components[0].sharding.vnodes",
            "100000000 ring points is too many (at most 67108864), with the 1000 nodes");
    /* The same reached only by a scale event. */
    refused(TOP("10") "  \"workload\": {\"rate\": 10, \"entry\": \"lb\"},\n"
                      "  \"components\": [{\"id\": \"lb\", \"type\": \"load_balancer\", "
                      "\"backend\": \"web\","
                      "\n    \"policy\": \"hash\", \"sharding\": {\"scheme\": \"ring\", "
                      "\"vnodes\": 100000}},\n"
                      "    {\"id\": \"web\", \"type\": \"service\"}],\n"
                      "  \"events\": [{\"at\": 1, \"action\": \"scale\", \"target\": \"web\", "
                      "\"nodes\": 700}]\n" END,
            5, "components[0].sharding.vnodes", "with the 700 nodes the run reaches");
    refused(TOP("10") "  \"workload\": {\"rate\": 10, \"entry\": \"c\"},\n"
                      "  \"components\": [{\"id\": \"c\", \"type\": \"cache\", \"nodes\": 1000,\n"
                      "    \"capacity\": 10, \"sharding\": {\"scheme\": \"bounded\", \"vnodes\": "
                      "100000}}]\n" END,
            5, "components[0].sharding.vnodes", "ring points is too many");
    refused(
        TOP("10") "  \"workload\": {\"rate\": 10, \"entry\": \"db\"},\n"
                  "  \"components\": [{\"id\": \"db\", \"type\": \"database\", \"shards\": 1000,\n"
                  "    \"sharding\": {\"scheme\": \"ring\", \"vnodes\": 100000}}]\n" END,
        5, "components[0].sharding.vnodes", "ring points is too many");
    refused(TOP("10") "  \"workload\": {\"rate\": 10, \"entry\": \"q\"},\n"
                      "  \"components\": [{\"id\": \"q\", \"type\": \"queue\", \"nodes\": 1000,\n"
                      "    \"routing\": \"hash\", \"sharding\": {\"scheme\": \"ring\", \"vnodes\": "
                      "100000}}]\n" END,
            5, "components[0].sharding.vnodes", "ring points is too many");
    /* 671 nodes x 100000 points fit (67100000 <= 2^26). */
    static const char fits[] =
        TOP("10") "  \"workload\": {\"rate\": 10, \"entry\": \"lb\"},\n"
                  "  \"components\": [{\"id\": \"lb\", \"type\": \"load_balancer\", \"backend\": "
                  "\"web\","
                  "\n    \"policy\": \"hash\", \"sharding\": {\"scheme\": \"ring\", \"vnodes\": "
                  "100000}},\n"
                  "    {\"id\": \"web\", \"type\": \"service\", \"nodes\": 671}]\n" END;
    scenario_free(loads(fits, sizeof fits - 1));
}
END_TEST

/* A cache allocates its whole store per node at start: capacity counts, not use. */
START_TEST(test_cache_capacity_counts)
{
    with_limit(NULL);
    refused(TOP("10") "  \"workload\": {\"rate\": 10, \"entry\": \"c\"},\n"
                      "  \"components\": [{\"id\": \"c\", \"type\": \"cache\", \"nodes\": 10,\n"
                      "    \"capacity\": 2147483647}]\n" END,
            4, "components[0]", "c (cache): about");
    /* A sidecar has one store per node of each caller: 2000 web nodes x 1e5 entries. */
    with_limit("4GiB");
    refused(
        TOP("10") "  \"workload\": {\"rate\": 10, \"entry\": \"web\"},\n"
                  "  \"components\": [{\"id\": \"web\", \"type\": \"service\", \"nodes\": 2000, "
                  "\"calls\": {\"*\": [\"c\"]}},\n"
                  "    {\"id\": \"c\", \"type\": \"cache\", \"placement\": \"sidecar\", "
                  "\"capacity\": 100000}]\n" END,
        5, "components[1]", "c (cache)");
    /* A CDN allocates one store per edge the same way. */
    with_limit(NULL);
    refused(TOP("10") "  \"workload\": {\"rate\": 10, \"entry\": \"cdn\"},\n"
            "  \"components\": [{\"id\": \"cdn\", \"type\": \"cdn\", \"edges\": 100,\n"
            "    \"capacity\": 100000000, \"origin\": \"o\"}, {\"id\": \"o\", \"type\": \"service\"}]\n"
            END, 4, "components[0]", "cdn (cdn): about");
}
END_TEST

/* Per-client limiter state is made as clients appear: bounded by clients and by requests. */
START_TEST(test_rate_limiter_keys)
{
    with_limit(NULL);
    /* 4e9 clients but 1000 requests: a few hundred KiB. */
    static const char few[] =
        TOP("10") "  \"workload\": {\"rate\": 100, \"entry\": \"rl\", \"clients\": 4e9},\n"
        "  \"components\": [{\"id\": \"rl\", \"type\": \"rate_limiter\", \"nodes\": 10,\n"
        "    \"key\": \"client\", \"limit\": 10, \"window\": \"1s\", \"backend\": \"s\"},\n"
        "    {\"id\": \"s\", \"type\": \"service\"}]\n" END;
    scenario_free(loads(few, sizeof few - 1));
    /* 1e6 req/s for an hour may bring 3.6e9 client keys: hundreds of GiB. */
    refused(TOP("3600") "  \"workload\": {\"rate\": 1e6, \"entry\": \"rl\", \"clients\": 4e9},\n"
            "  \"components\": [{\"id\": \"rl\", \"type\": \"rate_limiter\", \"nodes\": 10,\n"
            "    \"key\": \"client\", \"limit\": 10, \"window\": \"1s\", \"backend\": \"s\"},\n"
            "    {\"id\": \"s\", \"type\": \"service\"}]\n" END,
            4, "components[0]", "rl (rate_limiter): about");
}
END_TEST

/* ---- trace files ----------------------------------------------------------------------- */

/* Writes `csv` (len bytes) as DIR/t.csv and loads a scenario in DIR that replays it; the
 * "trace" member is on line 3. */
static int load_trace(const char *csv, size_t len, const char *trace_name, struct scenario **sc,
                      struct sim_error *err)
{
    char *dir = tu_temp_dir(), file[512], csvpath[512], text[1024];
    snprintf(file, sizeof file, "%s/t.json", dir);
    snprintf(csvpath, sizeof csvpath, "%s/t.csv", dir);
    FILE *f = fopen(csvpath, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(csv, 1, len, f), len);
    fclose(f);
    snprintf(text, sizeof text,
             "{\n  \"duration\": 10,\n  \"workload\": {\"trace\": \"%s\",\n"
             "    \"entry\": \"web\", \"ops\": {\"read\": 1, \"write\": 1}, \"keys\": {\"count\": "
             "100}},\n"
             "  \"components\": [{\"id\": \"web\", \"type\": \"service\"}]\n}\n",
             trace_name ? trace_name : "t.csv");
    memset(err, 0, sizeof *err);
    int rc = scenario_load_text(file, text, strlen(text), NULL, 0, model_registry, sc, err);
    tu_remove_tree(dir);
    free(dir);
    return rc;
}

static void trace_refused(const char *csv, size_t len, const char *trace_name, const char *needle)
{
    struct scenario *sc;
    struct sim_error err;
    ck_assert_int_eq(load_trace(csv, len, trace_name, &sc, &err), -1);
    ck_assert_str_eq(err.path, "workload.trace");
    ck_assert_int_eq(err.line, 3);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
}

#define TRACE_BAD(csv, needle) trace_refused(csv, sizeof csv - 1, NULL, needle)

START_TEST(test_trace_lines)
{
    TRACE_BAD("t_s,op,key,client\n0.5,read,1,2\n0.7,read,x,2\n",
              "t.csv:3: expected t_s,op,key,client (e.g. 0.5,read,42,7), got \"0.7,read,x,2\"");
    TRACE_BAD("0.5,read,1,2\n0.4,read,1,2\n", "t.csv:2: times must not decrease");
    TRACE_BAD("0.5,read,1,2\n\n# note\n0.6,delete,1,2\n", "t.csv:4: op \"delete\" is not in");
    TRACE_BAD("0.5,read,100,2\n", "t.csv:1: key must be below workload.keys.count (100)");
    TRACE_BAD("0.5,read,-1,2\n", "t.csv:1: key must be below");
    TRACE_BAD("0.5,read,1,4294967296\n", "t.csv:1: key must be below workload.keys.count (100) "
                                         "and client below 2^32");
    TRACE_BAD("0.5,read,1,2\nnan,read,1,2\n", "t.csv:2: expected");
    TRACE_BAD("0.5,read,1,2\ninf,read,1,2\n", "t.csv:2: expected");
    TRACE_BAD("0.5,read,1,2\n1e999,read,1,2\n", "t.csv:2: expected");
    TRACE_BAD("-0.5,read,1,2\n", "t.csv:1: expected");
    TRACE_BAD(" 0.5,read,1,2\n", "t.csv:1: expected");
    TRACE_BAD("0.5,read,1,2,9\n", "t.csv:1: expected");
    TRACE_BAD("0.5,read,1,2\n0.6,read,1,2\0\n", "t.csv:2: the line holds a NUL byte");
    TRACE_BAD("0.5,re\xff"
              "ad,1,2\n",
              "t.csv:1: op \"re\\xffad\" is not in");
    char longline[3000];
    memset(longline, '1', sizeof longline);
    memcpy(longline, "0.5,read,1,", 11);
    trace_refused(longline, sizeof longline, NULL, "t.csv:1: the line is longer than 1023 bytes");
}
END_TEST

START_TEST(test_trace_good_lines)
{
    /* A header, comments, blank lines and CRLF endings are fine. */
    static const char csv[] = "t_s,op,key,client\r\n# replay\r\n\r\n0.5,read,1,2\r\n"
                              ".75,write,99,4294967295\r\n";
    struct scenario *sc;
    struct sim_error err;
    ck_assert_int_eq(load_trace(csv, sizeof csv - 1, NULL, &sc, &err), 0);
    ck_assert_uint_eq(sc->wl.ntrace, 2);
    ck_assert_double_eq(sc->wl.trace[1].t, 0.75);
    ck_assert_uint_eq(sc->wl.trace[1].op, 1);
    ck_assert_uint_eq(sc->wl.trace[1].key, 99);
    ck_assert_uint_eq(sc->wl.trace[1].client, 4294967295u);
    scenario_free(sc);
}
END_TEST

START_TEST(test_trace_files)
{
    /* Devices, pipes and folders are refused before anything is read from them (reading
     * /dev/zero used to loop for ever: its lines are empty). */
    trace_refused("", 0, "/dev/zero", "cannot read trace \"/dev/zero\": not a regular file");
    trace_refused("", 0, "/dev/stdin", "not a regular file");
    trace_refused("", 0, "/", "not a regular file");
    trace_refused("", 0, "no-such.csv", "No such file or directory");
    char *dir = tu_temp_dir(), fifo[512];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    trace_refused("", 0, fifo, "not a regular file");
    tu_remove_tree(dir);
    free(dir);
    /* More rows than the memory limit holds (32 bytes a row). */
    with_limit("64");
    TRACE_BAD("0.5,read,1,2\n0.6,read,1,2\n0.7,read,1,2\n", "t.csv:3: more than 2 rows");
    with_limit(NULL);
}
END_TEST

/* ---- scenario files -------------------------------------------------------------------- */

static void file_refused(const char *file, const char *needle)
{
    struct sim_error err = {0};
    struct scenario *sc = (struct scenario *)1;
    ck_assert_int_eq(scenario_load(file, NULL, 0, model_registry, &sc, &err), -1);
    ck_assert_ptr_null(sc);
    ck_assert_int_eq(err.code, SIM_EUSAGE);
    ck_assert_str_eq(err.file, file);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
}

START_TEST(test_scenario_files)
{
    char *dir = tu_temp_dir(), path[512];
    /* 64 MiB + 1 byte, sparse: refused from its size, before any of it is read. */
    snprintf(path, sizeof path, "%s/big.json", dir);
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (64 << 20) + 1), 0);
    close(fd);
    file_refused(path, "larger than 64 MiB (67108865 bytes)");
    snprintf(path, sizeof path, "%s/fifo.json", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    file_refused(path, "not a regular file");
    file_refused(dir, "not a regular file");
    file_refused("/dev/zero", "not a regular file");
    snprintf(path, sizeof path, "%s/none.json", dir);
    file_refused(path, "No such file or directory");
    tu_remove_tree(dir);
    free(dir);
}
END_TEST

/* ---- the fuzzer's findings ------------------------------------------------------------- */

START_TEST(test_fuzz_regressions)
{
    /* Each file reproduced a crash, a hang or a wrong message (the names say which); read as
     * the fuzzer reads its inputs, it now meets a clean error. */
    glob_t g;
    ck_assert_int_eq(glob("tests/fuzz/regress/*", 0, NULL, &g), 0);
    ck_assert_uint_ge(g.gl_pathc, 6);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        size_t len;
        char *data = tu_read_file(g.gl_pathv[i], &len);
        ck_assert_ptr_nonnull(data);
        struct fuzz_input in;
        fuzz_input_split((const uint8_t *)data, len, &in);
        struct sim_error err = {0};
        struct scenario *sc = (struct scenario *)1;
        int rc = scenario_load_text("regress.json", in.text, in.len, (const char *const *)in.sets,
                                    in.nsets, model_registry, &sc, &err);
        ck_assert_msg(rc == -1 && sc == NULL, "%s: accepted", g.gl_pathv[i]);
        ck_assert_msg(err.code == SIM_EUSAGE && err.msg[0], "%s: no message", g.gl_pathv[i]);
        fuzz_input_free(&in);
        free(data);
    }
    globfree(&g);
}
END_TEST

Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_hostile_table, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_the_base_text_loads);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_nul_byte);
    tcase_add_test(tc, test_too_many_components);
    tcase_add_test(tc, test_long_id_loads);
    tcase_add_test(tc, test_32_ops_unknown_entry_op);
    tcase_add_test(tc, test_set_strings);
    tcase_add_test(tc, test_set_path_outgrows_canonical_form);
    tcase_add_test(tc, test_memory_limits);
    tcase_add_test(tc, test_memory_estimate_per_node);
    tcase_add_test(tc, test_memory_estimate_hot_key_counts);
    tcase_add_test(tc, test_placement_at_peak_nodes);
    tcase_add_test(tc, test_cache_capacity_counts);
    tcase_add_test(tc, test_rate_limiter_keys);
    tcase_add_test(tc, test_trace_lines);
    tcase_add_test(tc, test_trace_good_lines);
    tcase_add_test(tc, test_trace_files);
    tcase_add_test(tc, test_scenario_files);
    tcase_add_test(tc, test_fuzz_regressions);
    suite_add_tcase(s, tc);
    return s;
}
