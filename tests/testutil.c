/* Helpers shared by the Check suites: temporary files and directories, and reading a file. */
#include "tests/testutil.h"
#include "models/registry.h"

#include <check.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *tu_write_temp(const char *text, const char *suffix)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/clustersim-test-XXXXXX%s", suffix ? suffix : "");
    int fd = mkstemps(path, suffix ? (int)strlen(suffix) : 0);
    if (fd < 0)
        return NULL;
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len) {
        close(fd);
        return NULL;
    }
    close(fd);
    return path;
}

char *tu_temp_dir(void)
{
    char tmpl[] = "/tmp/clustersim-test-dir-XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

struct scenario *tu_load(const char *text)
{
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    int rc = scenario_load_text("test.json", text, strlen(text), NULL, 0, model_registry, &sc,
                                &err);
    if (rc)
        sim_error_print(&err);
    ck_assert_int_eq(rc, 0);
    return sc;
}

void tu_load_bad(const char *text, const char *needle)
{
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    int rc = scenario_load_text("test.json", text, strlen(text), NULL, 0, model_registry, &sc,
                                &err);
    ck_assert_int_ne(rc, 0);
    ck_assert_ptr_null(sc);
    ck_assert_msg(strstr(err.msg, needle) || strstr(err.path, needle),
                  "error \"%s: %s\" lacks \"%s\"", err.path, err.msg, needle);
}

struct world *tu_run(const struct scenario *sc, uint64_t seed)
{
    struct sim_error err = {0};
    struct world *w;
    ck_assert_int_eq(world_create(sc, seed, &w, &err), 0);
    ck_assert_int_eq(world_run(w, NULL, NULL, NULL, &err), 0);
    return w;
}

const cJSON *tu_comp(const cJSON *summary, const char *id)
{
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(summary, "components"), id);
    ck_assert_ptr_nonnull(c);
    return c;
}

double tu_num(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(obj, name);
    ck_assert_msg(cJSON_IsNumber(v), "no number \"%s\"", name);
    return v->valuedouble;
}
