/* Tests for sim/cli_keymove.c: the JSON object's keys and values against a direct computation
 * with the placement API, the assignment lines, node naming, the --scheme all table, key
 * files, and exit status 2 with a message for bad usage. */
#include "models/placement.h"
#include "sim/cli_keymove.h"
#include "tests/testutil.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct output {
    int rc;
    char *out; /* stdout, caller frees */
    char *err; /* stderr, caller frees */
};

static char *slurp(FILE *f)
{
    long len = ftell(f);
    char *s = malloc((size_t)len + 1);
    rewind(f);
    size_t got = fread(s, 1, (size_t)len, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* Runs `keymove ARGS...` (a NULL-terminated list) with stdout and stderr in temporary files. */
static struct output run(const char *const *args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"keymove";
    while (*args)
        argv[argc++] = (char *)*args++;
    argv[argc] = NULL;
    FILE *fo = tmpfile(), *fe = tmpfile();
    ck_assert(fo && fe);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    dup2(fileno(fo), 1);
    dup2(fileno(fe), 2);
    struct output o;
    o.rc = cli_keymove(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    fseek(fo, 0, SEEK_END);
    fseek(fe, 0, SEEK_END);
    o.out = slurp(fo);
    o.err = slurp(fe);
    return o;
}

static void output_free(struct output *o)
{
    free(o->out);
    free(o->err);
}

static double num(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    ck_assert_msg(cJSON_IsNumber(v), "missing number %s", key);
    return v->valuedouble;
}

/* The contract's nine keys, nothing else without --replication; moved and the balance
 * figures equal a direct count with the placement API over the strings key0 .. key4999. */
START_TEST(test_json_matches_direct_count)
{
    const char *schemes[3] = {"jump", "ketama", "ring"};
    for (int s = 0; s < 3; s++) {
        const char *args[] = {"--scheme", schemes[s], "--nodes", "6", "--add",
                              "2",        "--keys",   "5000",    NULL};
        struct output o = run(args);
        ck_assert_int_eq(o.rc, 0);
        cJSON *j = cJSON_Parse(o.out);
        ck_assert_ptr_nonnull(j);
        static const char *const keys[9] = {"scheme",
                                            "nodes_before",
                                            "nodes_after",
                                            "keys",
                                            "moved",
                                            "moved_fraction",
                                            "ideal_fraction",
                                            "max_over_mean_before",
                                            "max_over_mean_after"};
        ck_assert_int_eq(cJSON_GetArraySize(j), 9);
        for (int k = 0; k < 9; k++)
            ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(j, keys[k]));
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "scheme")->valuestring, schemes[s]);
        ck_assert_double_eq(num(j, "nodes_before"), 6);
        ck_assert_double_eq(num(j, "nodes_after"), 8);
        ck_assert_double_eq(num(j, "keys"), 5000);
        ck_assert_double_eq_tol(num(j, "ideal_fraction"), 2.0 / 8, 1e-15);

        enum placement_scheme sc;
        ck_assert_int_eq(placement_scheme_parse(schemes[s], &sc), 0);
        struct placement *a, *b;
        struct sim_error err = {0};
        ck_assert_int_eq(placement_create(sc, NULL, 6, NULL, &a, &err), 0);
        ck_assert_int_eq(placement_create(sc, NULL, 8, NULL, &b, &err), 0);
        unsigned moved = 0, ca[6] = {0}, cb[8] = {0};
        for (int i = 0; i < 5000; i++) {
            char key[16];
            int len = snprintf(key, sizeof key, "key%d", i);
            uint64_t h = placement_hash_bytes(a, key, (size_t)len);
            uint32_t x = placement_lookup(a, h), y = placement_lookup(b, h);
            moved += x != y;
            ca[x]++;
            cb[y]++;
        }
        unsigned ma = 0, mb = 0;
        for (int i = 0; i < 8; i++) {
            ma = i < 6 && ca[i] > ma ? ca[i] : ma;
            mb = cb[i] > mb ? cb[i] : mb;
        }
        ck_assert_double_eq(num(j, "moved"), moved);
        ck_assert_double_eq_tol(num(j, "moved_fraction"), moved / 5000.0, 1e-15);
        ck_assert_double_eq_tol(num(j, "max_over_mean_before"), ma / (5000.0 / 6), 1e-12);
        ck_assert_double_eq_tol(num(j, "max_over_mean_after"), mb / (5000.0 / 8), 1e-12);
        placement_free(a);
        placement_free(b);
        cJSON_Delete(j);
        output_free(&o);
    }
}
END_TEST

/* One line per key after the JSON; the lines whose owners differ are exactly `moved`. Names
 * come from --node-names, the removed node being the last. */
START_TEST(test_assignments)
{
    const char *args[] = {"--scheme", "rendezvous", "--nodes",      "3",     "--remove",      "1",
                          "--keys",   "400",        "--node-names", "a,b,c", "--assignments", NULL};
    struct output o = run(args);
    ck_assert_int_eq(o.rc, 0);
    char *line = strtok(o.out, "\n");
    cJSON *j = cJSON_Parse(line);
    ck_assert_ptr_nonnull(j);
    int n = 0, differ = 0, from_c = 0;
    while ((line = strtok(NULL, "\n")) != NULL) {
        char key[32], before[8], after[8];
        ck_assert_int_eq(sscanf(line, "%31[^\t]\t%7[^\t]\t%7s", key, before, after), 3);
        char want[32];
        snprintf(want, sizeof want, "key%d", n);
        ck_assert_str_eq(key, want);
        ck_assert(strcmp(after, "c") != 0);
        differ += strcmp(before, after) != 0;
        from_c += strcmp(before, "c") == 0;
        n++;
    }
    ck_assert_int_eq(n, 400);
    ck_assert_double_eq(num(j, "moved"), differ);
    /* Rendezvous moves only the removed node's keys. */
    ck_assert_int_eq(differ, from_c);
    cJSON_Delete(j);
    output_free(&o);
}
END_TEST

/* Names after the first N in --node-names name the added nodes; beyond them, node<i>. */
START_TEST(test_added_node_names)
{
    const char *args[] = {"--scheme", "modulo", "--nodes",      "2",     "--add",         "2",
                          "--keys",   "200",    "--node-names", "x,y,z", "--assignments", NULL};
    struct output o = run(args);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_ptr_nonnull(strstr(o.out, "\tz\n"));
    ck_assert_ptr_nonnull(strstr(o.out, "\tnode3\n"));
    ck_assert_ptr_null(strstr(o.out, "\tnode2\n"));
    output_free(&o);
}
END_TEST

/* Keys from a file: CRLF endings stripped, empty lines skipped. */
START_TEST(test_keys_file)
{
    const char *path = tu_write_temp("alpha\r\n\nbeta\ngamma", ".txt");
    const char *args[] = {"--scheme",    "ketama", "--nodes",       "4", "--add", "1",
                          "--keys-file", path,     "--assignments", NULL};
    struct output o = run(args);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_ptr_nonnull(strstr(o.out, "\"keys\":3"));
    ck_assert_ptr_nonnull(strstr(o.out, "\nalpha\t"));
    ck_assert_ptr_nonnull(strstr(o.out, "\nbeta\t"));
    ck_assert_ptr_nonnull(strstr(o.out, "\ngamma\t"));
    output_free(&o);
    unlink(path);
}
END_TEST

/* --scheme all: a title line, a header, one row per scheme. --replication adds a column. */
START_TEST(test_all_table)
{
    const char *args[] = {"--scheme", "all",   "--nodes",       "10", "--add", "1",
                          "--keys",   "20000", "--replication", "3",  NULL};
    struct output o = run(args);
    ck_assert_int_eq(o.rc, 0);
    int lines = 0;
    for (char *l = o.out; *l; lines++) {
        char *nl = strchr(l, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        if (lines == 1)
            ck_assert_ptr_nonnull(strstr(l, "copies_moved"));
        if (lines >= 2) {
            const char *name = placement_scheme_name((enum placement_scheme)(lines - 2));
            ck_assert_msg(strncmp(l, name, strlen(name)) == 0 && l[strlen(name)] == ' ',
                          "row %d: %s", lines, l);
        }
        l = nl + 1;
    }
    ck_assert_int_eq(lines, 2 + PLACEMENT_NSCHEMES);
    output_free(&o);
}
END_TEST

START_TEST(test_usage_errors)
{
    static const char *const bad[][12] = {
        {NULL},
        {"--scheme", "ring", "--add", "1", NULL},
        {"--scheme", "nope", "--nodes", "3", "--add", "1", NULL},
        {"--scheme", "ring", "--nodes", "3", NULL},
        {"--scheme", "ring", "--nodes", "3", "--add", "1", "--remove", "1", NULL},
        {"--scheme", "ring", "--nodes", "3", "--remove", "3", NULL},
        {"--scheme", "ring", "--nodes", "3x", "--add", "1", NULL},
        {"--scheme", "ring", "--nodes", "3", "--add", "1", "--node-names", "a,b", NULL},
        {"--scheme", "ring", "--nodes", "3", "--add", "1", "--node-names", "a,a,b", NULL},
        {"--scheme", "ring", "--nodes", "3", "--add", "1", "--keys-file", "/nonexistent/k", NULL},
        {"--scheme", "bounded", "--nodes", "3", "--add", "1", "--load-bound", "0.25", NULL},
        {"--scheme", "maglev", "--nodes", "3", "--add", "1", "--table-size", "100", NULL},
        {"--scheme", "all", "--nodes", "3", "--add", "1", "--assignments", NULL},
        {"--scheme", "ring", "--nodes", "3", "--add", "1", "--frobnicate", "1", NULL},
        {"--scheme", "ring", "--nodes", "3", "--add", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct output o = run(bad[i]);
        ck_assert_msg(o.rc == 2, "case %zu: exit %d", i, o.rc);
        ck_assert_msg(strlen(o.err) > 0, "case %zu: no message", i);
        ck_assert_msg(o.out[0] == '\0', "case %zu: wrote to stdout", i);
        output_free(&o);
    }
    const char *help[] = {"--help", NULL};
    struct output o = run(help);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_ptr_nonnull(strstr(o.out, "example:"));
    output_free(&o);
}
END_TEST

Suite *cli_keymove_suite(void)
{
    Suite *s = suite_create("cli_keymove");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_json_matches_direct_count);
    tcase_add_test(tc, test_assignments);
    tcase_add_test(tc, test_added_node_names);
    tcase_add_test(tc, test_keys_file);
    tcase_add_test(tc, test_all_table);
    tcase_add_test(tc, test_usage_errors);
    suite_add_tcase(s, tc);
    return s;
}
