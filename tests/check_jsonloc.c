/* Tests for sim/jsonloc.c: exact lines of paths in a sample scenario (LF and CRLF), invalid and
 * truncated text, random mutations checked against cJSON, deep nesting, duplicate keys, and
 * typo suggestions. */
#include "sim/jsonloc.h"

#include <check.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>
#include <string.h>

/* Line i + 1 of the sample is sample_lines[i]. */
static const char *const sample_lines[] = {
    "{",                                                                           /* 1 */
    "  \"name\": \"stage-4\",",                                                    /* 2 */
    "  \"seed\": 42, \"duration\": \"10m\",",                                      /* 3 */
    "  \"metrics\": {\"interval\": \"1s\", \"warmup\": \"30s\"},",                 /* 4 */
    "  \"workload\": {",                                                           /* 5 */
    "    \"rate\": 80,",                                                           /* 6 */
    "    \"ops\": {\"read\": 0.9,",                                                /* 7 */
    "            \"write\": 0.1},",                                                /* 8 */
    "    \"entry\": \"lb\"",                                                       /* 9 */
    "  },",                                                                        /* 10 */
    "  \"components\": [",                                                         /* 11 */
    "    {",                                                                       /* 12 */
    "      \"id\": \"lb\", \"comment\": \"{\\\"backends\\\": [\\\"x\\\"]} [\",",   /* 13 */
    "      \"type\": \"load_balancer\",",                                          /* 14 */
    "      \"backends\": [\"web\", \"web2\"]",                                     /* 15 */
    "    },",                                                                      /* 16 */
    "    {\"id\": \"web\", \"type\": \"service\",",                                /* 17 */
    "     \"service\": {\"dist\": \"exp\", \"mean\": \"10ms\"},",                  /* 18 */
    "     \"workers\":",                                                           /* 19 */
    "       8,",                                                                   /* 20 */
    "     \"note\": \"brackets [ ] { } \\\" quotes . dots \\\\ , \\\"id\\\": 5\"", /* 21 */
    "    },",                                                                      /* 22 */
    "    {",                                                                       /* 23 */
    "      \"id\": \"db\", \"empty_obj\": {}, \"empty_arr\": [],",                 /* 24 */
    "      \"we\\\"ird\": 1, \"back\\\\slash\": 2, \"a\\/b\": 3,",                 /* 25 */
    "      \"caf\\u00e9\": \"latte\", \"smile\\ud83d\\ude00\": -1.5e3,",           /* 26 */
    "      \"tab\\tkey\": true, \"dots.in.key\": false,",                          /* 27 */
    "      \"nested\": [[1, 2], [3, [4,",                                          /* 28 */
    "                           5]]],",                                            /* 29 */
    "      \"last\": null",                                                        /* 30 */
    "    }",                                                                       /* 31 */
    "  ],",                                                                        /* 32 */
    "  \"events\": []",                                                            /* 33 */
    "}",                                                                           /* 34 */
};
#define SAMPLE_LINES ((int)(sizeof sample_lines / sizeof sample_lines[0]))

struct expect_line {
    const char *path;
    int line;
};

/* Every path with the line the value (or its deepest existing ancestor) starts on. */
static const struct expect_line sample_expect[] = {
    {"", 1},
    {"name", 2},
    {".name", 2},
    {"seed", 3},
    {"duration", 3},
    {"metrics", 4},
    {"metrics.warmup", 4},
    {"workload", 5},
    {"workload.rate", 6},
    {"workload.ops", 7},
    {"workload.ops.read", 7},
    {"workload.ops.write", 8},
    {"workload.entry", 9},
    {"components", 11},
    {"components[0]", 12},
    {"components[0].id", 13},
    {"components[0].comment", 13},
    {"components[0].type", 14},
    {"components[0].backends", 15},
    {"components[0].backends[1]", 15},
    {"components[1]", 17},
    {"components[1].type", 17},
    {"components[1].service", 18},
    {"components[1].service.mean", 18},
    {"components[1].workers", 20}, /* the value, not its key on line 19 */
    {"components[1].note", 21},
    {"components[2]", 23},
    {"components[2].id", 24},
    {"components[2].empty_obj", 24},
    {"components[2].empty_arr", 24},
    {"components[2].we\"ird", 25},
    {"components[2].back\\slash", 25},
    {"components[2].a/b", 25},
    {"components[2].caf\xc3\xa9", 26},
    {"components[2].smile\xf0\x9f\x98\x80", 26},
    {"components[2].tab\tkey", 27},
    {"components[2].nested", 28},
    {"components[2].nested[1]", 28},
    {"components[2].nested[1][1]", 28},
    {"components[2].nested[1][1][0]", 28},
    {"components[2].nested[1][1][1]", 29},
    {"components[2].last", 30},
    {"events", 33},
    /* Missing steps: the deepest existing ancestor. */
    {"nope", 1},
    {"nam", 1},
    {"name2", 1},
    {"workload.missing", 5},
    {"workload.ops.missing", 7},
    {"workload.ops.read.deeper", 7},
    {"workload.rate[0]", 6},
    {"components[3]", 11},
    {"components[3].id", 11},
    {"components[0].backends[2]", 15},
    {"components[1].service.cv", 18},
    {"components[1].workers.x", 20},
    {"components[2].empty_obj.x", 24},
    {"components[2].empty_arr[0]", 24},
    {"components[2].nested[1][1][2]", 28},
    {"components[2].caf", 23},
    {"components[2].we", 23},
    {"components[2].dots", 23}, /* keys with dots cannot be named by a path */
    {"events[0]", 33},
    /* Wrong kind of step for the container, or a malformed step. */
    {"components.id", 11},
    {"workload[0]", 5},
    {"[0]", 1},
    {"components[x]", 11},
    {"components[", 11},
    {"components[1", 11},
    {"components[]", 11},
    {"components[99999999999999999999999999].id", 11},
};
#define SAMPLE_EXPECT (sizeof sample_expect / sizeof sample_expect[0])

/* The sample joined with eol, in an exact-size heap block (no terminator) so that ASan catches
 * any read past len. */
static char *sample_text(const char *eol, size_t *len)
{
    size_t n = 0;
    for (int i = 0; i < SAMPLE_LINES; i++)
        n += strlen(sample_lines[i]) + strlen(eol);
    char *t = malloc(n), *p = t;
    for (int i = 0; i < SAMPLE_LINES; i++) {
        memcpy(p, sample_lines[i], strlen(sample_lines[i]));
        p += strlen(sample_lines[i]);
        memcpy(p, eol, strlen(eol));
        p += strlen(eol);
    }
    *len = n;
    return t;
}

static char *copy_exact(const char *s, size_t len)
{
    char *t = malloc(len ? len : 1);
    memcpy(t, s, len);
    return t;
}

static int count_lines(const char *t, size_t len)
{
    int n = 1;
    for (size_t i = 0; i < len; i++)
        n += t[i] == '\n';
    return n;
}

static void check_sample(const char *eol)
{
    size_t len;
    char *t = sample_text(eol, &len);
    /* The sample must itself be what it claims: valid JSON for cJSON, with the escaped keys
     * decoding to the paths used above. */
    cJSON *root = cJSON_ParseWithLength(t, len);
    ck_assert_ptr_nonnull(root);
    cJSON *c2 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "components"), 2);
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(c2, "smile\xf0\x9f\x98\x80"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(c2, "we\"ird"));
    cJSON_Delete(root);
    for (size_t i = 0; i < SAMPLE_EXPECT; i++) {
        int got = jsonloc_line(t, len, sample_expect[i].path);
        ck_assert_msg(got == sample_expect[i].line, "path '%s': line %d, want %d",
                      sample_expect[i].path, got, sample_expect[i].line);
    }
    free(t);
}

START_TEST(test_sample_lines_lf)
{
    check_sample("\n");
}
END_TEST

START_TEST(test_sample_lines_crlf)
{
    check_sample("\r\n");
}
END_TEST

START_TEST(test_leading_space_and_bom)
{
    const char *t = "\n\n  \xef\xbb\xbf";
    /* A byte order mark only counts at the very start; elsewhere it is garbage. */
    ck_assert_int_eq(jsonloc_line(t, strlen(t), ""), 0);
    const char *u = "\xef\xbb\xbf\n\n [1,\n2]";
    ck_assert_int_eq(jsonloc_line(u, strlen(u), ""), 3);
    ck_assert_int_eq(jsonloc_line(u, strlen(u), "[1]"), 4);
    ck_assert_int_eq(jsonloc_line("\n\n7", 3, ""), 3);
    ck_assert_int_eq(jsonloc_line("\n\n7", 3, "a"), 3);
    /* Text after the root value is ignored, as cJSON_Parse ignores it. */
    ck_assert_int_eq(jsonloc_line("{\"a\":1}\n}}garbage", 17, "b"), 1);
    ck_assert_int_eq(jsonloc_line("{\"a\":1}", 7, NULL), 1);
}
END_TEST

START_TEST(test_cjson_leniency)
{
    /* Accepted by cJSON 1.7, so they must get lines too: leading zeros, "1." and "-.5",
     * control bytes as whitespace, a raw tab and newline inside a string, bad hex digits in
     * \u (read as 0), and a \u whose four bytes end in a backslash: cJSON's end-quote pass
     * pairs that backslash with the next quote, its decoding pass does not. */
    const char *ok[] = {"{\"a\": 007, \"b\": 1., \"c\": -.5, \"d\": 1E+2, \"z\": 0}",
                        "{\"a\":\x01\x1f 1,\"b\":2,\"c\":3,\"d\":4,\"z\":0}",
                        "{\"a\": \"x\ty\", \"b\": \"p\nq\", \"c\": 0, \"d\": 0, \"z\": 0}",
                        "{\"a\": \"\\u12g4\", \"b\": \"\\ud83\\ude00\", \"z\": 0}",
                        "{\"a\": \"\\uabc\\\"\", \"b\": \"\\uabc\\\\\", \"z\": 0}"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cJSON *root = cJSON_Parse(ok[i]);
        ck_assert_ptr_nonnull(root);
        cJSON_Delete(root);
        ck_assert_int_eq(jsonloc_line(ok[i], strlen(ok[i]), "missing"), 1);
    }
    /* The raw newline in "b" moves z to line 2. */
    ck_assert_int_eq(jsonloc_line(ok[2], strlen(ok[2]), "z"), 2);
    /* cJSON keeps keys as C strings, so "a\u0000b" is the key "a". */
    const char *nul = "{\"a\\u0000b\":\n 1}";
    cJSON *root = cJSON_Parse(nul);
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(root, "a"));
    cJSON_Delete(root);
    ck_assert_int_eq(jsonloc_line(nul, strlen(nul), "a"), 2);
}
END_TEST

START_TEST(test_invalid_json)
{
    /* Each is rejected by cJSON too; "missing" makes the scanner read the whole root. */
    const char *bad[] = {
        "",
        "  \n ",
        "{",
        "[",
        "]",
        "}",
        "{\"a\" 1}",
        "{\"a\": 1,}",
        "[1,]",
        "[1 2]",
        "{\"a\": 1 \"b\": 2}",
        "{\"a\": tru}",
        "{\"a\": nul}",
        "{\"a\": True}",
        "{\"a\": \"\\x\"}",
        "{\"a\": \"\\u12\"}",
        "{\"a\": \"\\ud800\\u12\"}",
        "{\"a\": \"\\ud800\"}",
        "{\"a\": \"\\ud800\\u0041\"}",
        "{\"a\": \"\\udc00\"}",
        "{1: 2}",
        "{'a': 2}",
        "{\"a\": 1]",
        "[1}",
        "\"unterminated",
        "{\"a\": \"unterminated}",
        "{\"a\": -}",
        "{\"a\": +1}",
        "{\"a\": .5}",
        "{\"a\": 1e}",
        "{\"a\": 1.5.5}",
        "{\"a\": 0x10}",
        "{\"a\": NaN}",
        "{\"a\": 1, /* comment */ \"b\": 2}",
        "{,}",
        "[,1]",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\"::1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *t = copy_exact(bad[i], strlen(bad[i]));
        cJSON *root = cJSON_ParseWithLength(t, strlen(bad[i]));
        ck_assert_msg(root == NULL, "cJSON accepts bad[%zu] = %s", i, bad[i]);
        ck_assert_msg(jsonloc_line(t, strlen(bad[i]), "missing") == 0, "bad[%zu] = %s", i, bad[i]);
        free(t);
    }
    /* An error before the value makes it unreachable. */
    ck_assert_int_eq(jsonloc_line("{\"a\" 1,\n\"b\": 2}", 15, "b"), 0);
    ck_assert_int_eq(jsonloc_line("[1,,\n2]", 7, "[1]"), 0);
    /* NULL text reads as empty. */
    ck_assert_int_eq(jsonloc_line(NULL, 10, ""), 0);
}
END_TEST

/* For any prefix of the sample, a value is found exactly when the prefix reaches past its
 * first byte (the scanner stops there), and nothing else is ever returned. */
START_TEST(test_truncated_prefixes)
{
    size_t len;
    char *t = sample_text("\n", &len);
    const char *eight = strstr(t, "       8,") + 7; /* components[1].workers */
    size_t off = (size_t)(eight - t);
    const char *brace = strstr(t, "\"service\": {") + 11; /* components[1].service */
    size_t boff = (size_t)(brace - t);
    const char *wend = strstr(t, "\n  },\n  \"components\"") + 3; /* closes workload */
    size_t woff = (size_t)(wend - t);
    for (size_t n = 0; n <= len; n++) {
        char *p = copy_exact(t, n);
        ck_assert_int_eq(jsonloc_line(p, n, "components[1].workers"), n > off ? 20 : 0);
        ck_assert_int_eq(jsonloc_line(p, n, "components[1].service"), n > boff ? 18 : 0);
        /* A missing member needs the whole object: only the full text has it. */
        ck_assert_int_eq(jsonloc_line(p, n, "workload.missing"), n > woff ? 5 : 0);
        ck_assert_int_eq(jsonloc_line(p, n, ""), n > 0 ? 1 : 0);
        char path[64];
        int line = -1;
        ck_assert_int_eq(jsonloc_find_duplicate(p, n, path, sizeof path, &line), 0);
        ck_assert_int_eq(line, 0);
        free(p);
    }
    free(t);
}
END_TEST

static const char *const fuzz_paths[] = {
    "",
    "workload.ops.write",
    "components[1].workers",
    "components[2].nested[1][1][1]",
    "nope",
    "components[2].caf\xc3\xa9",
    "events[0]",
    "components[9]",
};

/* Checks every answer on one text; returns whether cJSON accepts it, after checking that the
 * scanner agrees (a line >= 1 for a path that makes it read the whole root value). Accepting
 * more than cJSON would be harmless; accepting less would lose lines. The known differences
 * (numbers over 63 bytes, nesting past cJSON's 1000, a byte order mark in a text shorter than
 * 5 bytes) cannot arise from the fuzz tests' inputs. */
static int check_bounds(const char *t, size_t len)
{
    int nlines = count_lines(t, len);
    for (size_t k = 0; k < sizeof fuzz_paths / sizeof fuzz_paths[0]; k++) {
        int line = jsonloc_line(t, len, fuzz_paths[k]);
        ck_assert_int_ge(line, 0);
        ck_assert_int_le(line, nlines);
    }
    char path[24];
    int line = -1;
    int dup = jsonloc_find_duplicate(t, len, path, sizeof path, &line);
    ck_assert(dup == 0 || dup == 1);
    ck_assert(dup ? line >= 1 && line <= nlines : line == 0);
    ck_assert_uint_lt(strlen(path), sizeof path);
    ck_assert_int_eq(jsonloc_offset_line(t, len, len), nlines);
    cJSON *root = cJSON_ParseWithLength(t, len);
    int mine = jsonloc_line(t, len, "\x01missing") >= 1;
    ck_assert_msg(mine == (root != NULL), "cJSON %s, jsonloc %s: %.*s",
                  root ? "accepts" : "rejects", mine ? "accepts" : "rejects", (int)len, t);
    cJSON_Delete(root);
    return root != NULL;
}

/* 5000 random mutations of the sample (fixed seed): byte changes, deletions, insertions of
 * structural bytes, and cut-and-repeat of spans. Every answer must lie in [0, lines], and the
 * scanner must accept exactly what cJSON accepts. */
START_TEST(test_fuzz_mutations)
{
    static const char structural[] = "{}[]\",:\\ \n-0123456789eEtfnu.";
    size_t len;
    char *base = sample_text("\n", &len);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20240607);
    size_t cap = 4 * len;
    char *buf = malloc(cap);
    int accepted = 0;
    for (int iter = 0; iter < 5000; iter++) {
        size_t n = len;
        memcpy(buf, base, len);
        int edits = 1 + (int)gsl_rng_uniform_int(r, 4);
        for (int e = 0; e < edits; e++) {
            size_t at = n ? gsl_rng_uniform_int(r, n) : 0;
            switch (gsl_rng_uniform_int(r, 5)) {
            case 0:
                if (n)
                    buf[at] = (char)gsl_rng_uniform_int(r, 256);
                break;
            case 1:
                if (n) {
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                }
                break;
            case 2:
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = structural[gsl_rng_uniform_int(r, sizeof structural - 1)];
                n++;
                break;
            case 3:
                if (n)
                    buf[at] = structural[gsl_rng_uniform_int(r, sizeof structural - 1)];
                break;
            default: {
                size_t span = n - at < 40 ? n - at : 40;
                if (span && n + span <= cap) {
                    memmove(buf + at + span, buf + at, n - at);
                    n += span;
                }
                break;
            }
            }
            if (n > cap - 50)
                break;
        }
        char *t = copy_exact(buf, n);
        check_bounds(t, n);
        accepted += check_bounds(t, n);
        free(t);
    }
    /* The comparison with cJSON must cover both outcomes: some mutations (inside strings,
     * digits for digits) keep the text valid. With this seed 969 of 5000 do. */
    ck_assert_int_gt(accepted, 100);
    free(buf);
    gsl_rng_free(r);
    free(base);
}
END_TEST

START_TEST(test_fuzz_garbage)
{
    static const char alphabet[] = "{}[]\"\\,:0-e.tn \nu";
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 77);
    int accepted = 0;
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = gsl_rng_uniform_int(r, 200);
        char *t = malloc(n ? n : 1);
        /* Half pure random bytes, half drawn from JSON's own punctuation to get deeper. */
        for (size_t i = 0; i < n; i++)
            t[i] = iter % 2 ? (char)gsl_rng_uniform_int(r, 256)
                            : alphabet[gsl_rng_uniform_int(r, sizeof alphabet - 1)];
        accepted += check_bounds(t, n);
        free(t);
    }
    /* Both outcomes must occur for the comparison with cJSON to mean something; text that
     * starts with a scalar is valid whatever follows. With this seed 230 of 3000 are. */
    ck_assert_int_gt(accepted, 100);
    ck_assert_int_lt(accepted, 2900);
    gsl_rng_free(r);
}
END_TEST

static char *repeat(const char *open, size_t nopen, const char *close, size_t nclose, size_t *len)
{
    size_t lo = strlen(open), lc = strlen(close);
    *len = nopen * lo + nclose * lc;
    char *t = malloc(*len ? *len : 1), *p = t;
    for (size_t i = 0; i < nopen; i++, p += lo)
        memcpy(p, open, lo);
    for (size_t i = 0; i < nclose; i++, p += lc)
        memcpy(p, close, lc);
    return t;
}

START_TEST(test_deep_nesting)
{
    size_t len;
    char path[64];
    int line;
    /* 100000 '[' with no end: the root is found at once, anything deeper fails cleanly. */
    char *t = repeat("[", 100000, "", 0, &len);
    ck_assert_int_eq(jsonloc_line(t, len, ""), 1);
    ck_assert_int_eq(jsonloc_line(t, len, "missing"), 0);
    ck_assert_int_eq(jsonloc_line(t, len, "[0][0][0][0]"), 1);
    ck_assert_int_eq(jsonloc_line(t, len, "[0][0][0][1]"), 0);
    ck_assert_int_eq(jsonloc_find_duplicate(t, len, path, sizeof path, &line), 0);
    free(t);
    /* Balanced but deeper than the limit: invalid for us (and for cJSON, whose limit is 1000). */
    t = repeat("[", 100000, "]", 100000, &len);
    ck_assert_int_eq(jsonloc_line(t, len, "missing"), 0);
    free(t);
    t = repeat("{\"a\":", 100000, "}", 100000, &len);
    ck_assert_int_eq(jsonloc_line(t, len, "missing"), 0);
    ck_assert_int_eq(jsonloc_find_duplicate(t, len, path, sizeof path, &line), 0);
    free(t);
    /* Exactly at the limit it still works, one deeper it does not. */
    t = repeat("[\n", JSONLOC_MAX_DEPTH, "]", JSONLOC_MAX_DEPTH, &len);
    ck_assert_int_eq(jsonloc_line(t, len, "missing"), 1);
    ck_assert_int_eq(jsonloc_line(t, len, "[0][0][0]"), 4);
    ck_assert_int_eq(jsonloc_line(t, len, "[0][0][1]"), 3);
    free(t);
    t = repeat("[\n", JSONLOC_MAX_DEPTH + 1, "]", JSONLOC_MAX_DEPTH + 1, &len);
    ck_assert_int_eq(jsonloc_line(t, len, "missing"), 0);
    free(t);
}
END_TEST

START_TEST(test_offset_line)
{
    const char *t = "a\nb\r\nc";
    ck_assert_int_eq(jsonloc_offset_line(t, 6, 0), 1);
    ck_assert_int_eq(jsonloc_offset_line(t, 6, 1), 1); /* the '\n' ends line 1 */
    ck_assert_int_eq(jsonloc_offset_line(t, 6, 2), 2);
    ck_assert_int_eq(jsonloc_offset_line(t, 6, 4), 2);
    ck_assert_int_eq(jsonloc_offset_line(t, 6, 5), 3);
    ck_assert_int_eq(jsonloc_offset_line(t, 6, 1000), 3);
    ck_assert_int_eq(jsonloc_offset_line(t, 3, 1000), 2); /* clamped to len, not to the text */
    ck_assert_int_eq(jsonloc_offset_line(NULL, 0, 5), 1);

    /* With cJSON's error pointer, as the scenario loader uses it. */
    const char *bad = "{\n  \"a\": 1,\n  \"b\" 2\n}";
    ck_assert_ptr_null(cJSON_ParseWithLength(bad, strlen(bad)));
    const char *ep = cJSON_GetErrorPtr();
    ck_assert_ptr_nonnull(ep);
    ck_assert_int_eq(jsonloc_offset_line(bad, strlen(bad), (size_t)(ep - bad)), 3);
}
END_TEST

struct dup_case {
    const char *text;
    const char *path; /* NULL: no duplicate */
    int line;
};

START_TEST(test_duplicates)
{
    static const struct dup_case cases[] = {
        {"{\"a\": 1,\n \"b\": 2,\n \"a\": 3}", "a", 3},
        {"{\n  \"components\": [\n    {\"id\": \"a\"},\n    {\"id\": \"b\",\n     \"service\": 1,\n"
         "     \"service\": 2}\n  ]\n}",
         "components[1].service", 6},
        /* Document order of the second occurrence: the inner one comes first here... */
        {"{\"x\": 1,\n \"o\": {\"k\": 1,\n \"k\": 2},\n \"x\": 2}", "o.k", 3},
        /* ...and the outer one here. */
        {"{\"x\": 1,\n \"x\": 2,\n \"o\": {\"k\": 1, \"k\": 2}}", "x", 2},
        /* Keys compare decoded, and the path shows the decoded key. */
        {"{\"a\\u0062\": 1,\n \"ab\": 2}", "ab", 2},
        {"{\"a\\u0000x\": 1,\n \"a\": 2}", "a", 2},
        {"{\"q\": [[{}, {\"w\\\"x\": 1, \"w\\u0022x\": 2}]]}", "q[0][1].w\"x", 1},
        /* The same key in different objects, parent and child, siblings: no duplicate. */
        {"{\"a\": {\"a\": 1}, \"b\": [{\"a\": 1}, {\"a\": 2}], \"c\": {\"b\": {}, \"c\": []}}",
         NULL, 0},
        {"{\"ab\": 1, \"a\\\"b\": 2, \"a\": 3, \"b\": 4, \"AB\": 5, \"\": 6}", NULL, 0},
        {"[1, 1, \"a\", \"a\"]", NULL, 0},
        /* Invalid text, even with a duplicate after the error. */
        {"{\"a\": 1 \"a\": 2}", NULL, 0},
        {"{\"a\": , \"a\": 2}", NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[128] = "junk";
        int line = -1;
        size_t len = strlen(cases[i].text);
        char *t = copy_exact(cases[i].text, len);
        int got = jsonloc_find_duplicate(t, len, path, sizeof path, &line);
        ck_assert_msg(got == (cases[i].path != NULL), "case %zu", i);
        ck_assert_str_eq(path, cases[i].path ? cases[i].path : "");
        ck_assert_int_eq(line, cases[i].line);
        free(t);
    }
    /* The sample repeats "id" and "type" only across objects. */
    size_t len;
    char *t = sample_text("\r\n", &len);
    char path[64];
    int line = -1;
    ck_assert_int_eq(jsonloc_find_duplicate(t, len, path, sizeof path, &line), 0);
    free(t);
}
END_TEST

START_TEST(test_duplicate_path_truncated)
{
    const char *t = "{\"components\": [0, {\"service\": 1, \"service\": 2}]}";
    char path[5];
    int line = 0;
    ck_assert_int_eq(jsonloc_find_duplicate(t, strlen(t), path, sizeof path, &line), 1);
    ck_assert_str_eq(path, "comp");
    ck_assert_int_eq(line, 1);
    /* No buffer and no line wanted: only the answer. */
    ck_assert_int_eq(jsonloc_find_duplicate(t, strlen(t), NULL, 0, NULL), 1);
}
END_TEST

/* Many keys in one object and many objects with the same key exercise the key table's growth
 * and its separation of objects. */
START_TEST(test_duplicates_many_keys)
{
    size_t cap = 200000, n = 0;
    char *t = malloc(cap);
    n += (size_t)snprintf(t + n, cap - n, "{\"big\": {");
    for (int i = 0; i < 5000; i++)
        n += (size_t)snprintf(t + n, cap - n, "\"k%d\": %d,\n", i, i);
    n += (size_t)snprintf(t + n, cap - n, "\"k4321\": 0},\n\"many\": [");
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(t + n, cap - n, "{\"k\": 1},");
    n += (size_t)snprintf(t + n, cap - n, "{}]}");
    char path[64];
    int line = 0;
    ck_assert_int_eq(jsonloc_find_duplicate(t, n, path, sizeof path, &line), 1);
    ck_assert_str_eq(path, "big.k4321");
    ck_assert_int_eq(line, 5001);
    /* Without the repeated key, nothing. */
    char *k = strstr(t, "\"k4321\": 0}");
    memcpy(k, "\"k5000\"", 7);
    ck_assert_int_eq(jsonloc_find_duplicate(t, n, path, sizeof path, &line), 0);
    free(t);
}
END_TEST

START_TEST(test_suggest_word)
{
    static const char *const names[] = {"workers", "service", "rate", "latency", "capacity",
                                        "queue",   "rates",   "name", NULL};
    ck_assert_str_eq(suggest_word("workres", names), "workers");
    ck_assert_str_eq(suggest_word("sevice", names), "service");
    /* "ratee" is one edit from both "rate" and "rates": the first listed wins. */
    ck_assert_str_eq(suggest_word("ratee", names), "rate");
    ck_assert_ptr_null(suggest_word("xyz", names));
    ck_assert_str_eq(suggest_word("lantecy", names), "latency");
    /* With 4 letters only one edit is allowed: a swap counts one (plain Levenshtein gives 2). */
    ck_assert_str_eq(suggest_word("rtae", names), "rate");
    ck_assert_str_eq(suggest_word("naem", names), "name");
    ck_assert_ptr_null(suggest_word("nmea", names));
    /* A difference of case alone is one edit, however many letters. */
    ck_assert_str_eq(suggest_word("WORKERS", names), "workers");
    ck_assert_str_eq(suggest_word("Rate", names), "rate");
    ck_assert_str_eq(suggest_word("queue", names), "queue");
    /* Limits: 9 letters allow 3 edits, 8 allow 2. */
    ck_assert_str_eq(suggest_word("cpacitxyz", names), "capacity");
    ck_assert_ptr_null(suggest_word("cpactxyz", names));
    ck_assert_ptr_null(suggest_word("", names));
    ck_assert_str_eq(suggest_word("q", (const char *const[]){"", "ab", NULL}), "");
    ck_assert_ptr_null(suggest_word("workers", (const char *const[]){NULL}));
    ck_assert_ptr_null(suggest_word(NULL, names));
    ck_assert_ptr_null(suggest_word("rate", NULL));
}
END_TEST

Suite *jsonloc_suite(void)
{
    Suite *s = suite_create("jsonloc");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sample_lines_lf);
    tcase_add_test(tc, test_sample_lines_crlf);
    tcase_add_test(tc, test_leading_space_and_bom);
    tcase_add_test(tc, test_cjson_leniency);
    tcase_add_test(tc, test_invalid_json);
    tcase_add_test(tc, test_truncated_prefixes);
    tcase_add_test(tc, test_fuzz_mutations);
    tcase_add_test(tc, test_fuzz_garbage);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_offset_line);
    tcase_add_test(tc, test_duplicates);
    tcase_add_test(tc, test_duplicate_path_truncated);
    tcase_add_test(tc, test_duplicates_many_keys);
    tcase_add_test(tc, test_suggest_word);
    suite_add_tcase(s, tc);
    return s;
}
