/* User-facing errors: a code, where it happened (file, line, JSON path) and a message.
 * Functions that can fail on user input return an int (0 ok, -1 error) and fill a caller-owned
 * struct sim_error; main prints it as FILE:LINE: PATH: message and exits 2. */
#ifndef SIM_ERROR_H
#define SIM_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum sim_error_code {
    SIM_OK = 0,
    SIM_EUSAGE = 2,   /* bad input: command line or scenario; exit status 2 */
    SIM_ERUNTIME = 1, /* the run failed (I/O, resources); exit status 1 */
};

struct sim_error {
    int code;
    char file[256]; /* scenario file, "--set" or empty */
    int line;       /* 1-based; 0 when unknown */
    char path[256]; /* JSON path such as components[2].service.mean; empty when none */
    char msg[768];
};

/* Records an error at a JSON path (may be NULL) and returns -1, so that `return sim_fail(...)`
 * is the whole error branch. Keeps the first error when called twice. */
int sim_fail(struct sim_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int sim_vfail(struct sim_error *err, const char *path, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* Same, with exit status 1: something failed at run time (I/O, memory). */
int sim_fail_runtime(struct sim_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints FILE:LINE: PATH: message (leaving out empty parts) on stderr, prefixed by the program. */
void sim_error_print(const struct sim_error *err);

/* Internal invariants: prints expression, file and line, then aborts. Never compiled out. */
#define SIM_ASSERT(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            sim_assert_fail(#cond, __FILE__, __LINE__);                                            \
    } while (0)
_Noreturn void sim_assert_fail(const char *expr, const char *file, int line);

/* On the definition of an exported function that every request passes through (a link-time
 * optimised build inlines it into its callers in other files too; the out-of-line copy stays
 * for everyone else). Each call saved is a prologue and a register spill per request. */
#define SIM_HOT __attribute__((always_inline)) inline

/* Allocation that cannot fail silently: aborts with a message on out-of-memory. */
void *sim_xmalloc(size_t n);
void *sim_xcalloc(size_t n, size_t size);
void *sim_xrealloc(void *p, size_t n);
char *sim_xstrdup(const char *s);

#endif
