/* Running the multi-run commands (sweep, run --replications, capacity) over MPI ranks: rank 0
 * hands out piece indices and collects the texts; the other ranks compute and stay silent.
 * Without CLUSTERSIM_MPI (the default build) every function is a stub: one process, no MPI. */
#ifndef SIM_MPI_H
#define SIM_MPI_H

#include <stddef.h>

struct sim_error;

/* Starts MPI when built with it and launched by mpirun/srun (the launcher's environment says
 * so); ranks other than 0 get stdout and stderr sent to /dev/null. Registers mpi_finish with
 * atexit. Returns 0 (1 when the launcher asked for MPI but the build has none). */
int mpi_start(int *argc, char ***argv);
/* Whether pieces go over MPI: built with MPI, started, and more than one rank. */
int mpi_active(void);
int mpi_rank(void);
int mpi_size(void);
/* Whether this rank has a part in the command: rank 0 always; the others only for the
 * commands that hand out pieces (sweep, capacity, run with --replications above 1). */
int mpi_takes_part(int argc, char **argv);
/* jobs_run_each over the ranks (see sim/jobs.h); needs mpi_active(). On rank 0 the pieces
 * whose results[i] is already set are kept, meanwhile runs while the other ranks start,
 * done(i, text, dctx) is called for each piece as it arrives. Other ranks compute what they
 * are given and return rank 0's results when rank 0 starts its next batch; after rank 0's
 * last batch they exit quietly (status 0) instead of returning. */
int mpi_jobs_run(size_t n, char *(*work)(size_t i, void *ctx), void *ctx, char **results,
                 struct sim_error *err, void (*meanwhile)(void *mctx), void *mctx,
                 void (*done)(size_t i, const char *text, void *dctx), void *dctx);
/* Rank 0 releases the waiting ranks; every rank finalises MPI. Safe to call twice. */
void mpi_finish(void);
/* "MPI" or "built without MPI", for --version style messages. */
const char *mpi_build(void);

#endif
