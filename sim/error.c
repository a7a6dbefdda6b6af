/* User-facing error records and the allocation/assert helpers every module shares. */
#include "sim/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sim_vfail(struct sim_error *err, const char *path, const char *fmt, va_list ap)
{
    if (!err || err->code != SIM_OK)
        return -1;
    err->code = SIM_EUSAGE;
    snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return -1;
}

int sim_fail(struct sim_error *err, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sim_vfail(err, path, fmt, ap);
    va_end(ap);
    return -1;
}

int sim_fail_runtime(struct sim_error *err, const char *fmt, ...)
{
    if (!err || err->code != SIM_OK)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    sim_vfail(err, NULL, fmt, ap);
    va_end(ap);
    err->code = SIM_ERUNTIME;
    return -1;
}

void sim_error_print(const struct sim_error *err)
{
    char where[600] = "";
    size_t n = 0;
    if (err->file[0]) {
        n += (size_t)snprintf(where + n, sizeof where - n, "%s:", err->file);
        if (err->line > 0)
            n += (size_t)snprintf(where + n, sizeof where - n, "%d:", err->line);
        n += (size_t)snprintf(where + n, sizeof where - n, " ");
    }
    if (err->path[0] && n < sizeof where)
        snprintf(where + n, sizeof where - n, "%s: ", err->path);
    fprintf(stderr, "clustersim: %s%s\n", where, err->msg);
}

void sim_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "clustersim: internal error: %s:%d: assertion failed: %s\n", file, line, expr);
    abort();
}

static void *check_alloc(void *p, size_t n)
{
    if (!p && n) {
        fprintf(stderr, "clustersim: out of memory (%zu bytes)\n", n);
        abort();
    }
    return p;
}

void *sim_xmalloc(size_t n)
{
    return check_alloc(malloc(n ? n : 1), n);
}

void *sim_xcalloc(size_t n, size_t size)
{
    return check_alloc(calloc(n ? n : 1, size ? size : 1), n * size);
}

void *sim_xrealloc(void *p, size_t n)
{
    return check_alloc(realloc(p, n ? n : 1), n);
}

char *sim_xstrdup(const char *s)
{
    return check_alloc(strdup(s), strlen(s) + 1);
}
