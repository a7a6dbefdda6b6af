/* Independent pieces of work (replications, sweep points) run in parallel processes: each
 * piece returns a text (a JSON object), collected by the parent in index order. Under mpirun
 * with several ranks (make MPI=1), the pieces go to the ranks instead (sim/mpi.h). */
#ifndef SIM_JOBS_H
#define SIM_JOBS_H

#include <stddef.h>

struct sim_error;

/* Computes work(i, ctx) for i in [0, n) with up to `jobs` processes at a time (jobs <= 1: in
 * this process, one after another). work returns a malloc'd string or NULL on failure.
 * results[i] receives each string (caller frees). Returns 0, or -1 with err filled when a
 * piece failed or a process could not be started. */
int jobs_run(size_t n, unsigned jobs, char *(*work)(size_t i, void *ctx), void *ctx,
             char **results, struct sim_error *err);
/* The same, where the parent also works: it starts the first jobs-1 pieces, runs
 * meanwhile(mctx) itself, then goes on with up to `jobs` processes. */
int jobs_run_with(size_t n, unsigned jobs, char *(*work)(size_t i, void *ctx), void *ctx,
                  char **results, struct sim_error *err, void (*meanwhile)(void *mctx),
                  void *mctx);
/* Like jobs_run, but the pieces whose results[i] is already set on entry are kept, not
 * computed (a resumed sweep), and on_done(i, text, dctx), when given, is called in this
 * process as each computed piece arrives, in completion order. On failure every results[i],
 * kept ones included, is freed and set to NULL. */
int jobs_run_each(size_t n, unsigned jobs, char *(*work)(size_t i, void *ctx), void *ctx,
                  char **results, struct sim_error *err,
                  void (*on_done)(size_t i, const char *text, void *dctx), void *dctx);
/* The number of cores this process may use (at least 1). */
unsigned jobs_default(void);

#endif
