/* A clock read in seconds, for timing runs and benchmarks; simulated time never uses it. */
#ifndef SIM_CLOCK_H
#define SIM_CLOCK_H

#include <time.h>

/* CLOCK_MONOTONIC for elapsed time, CLOCK_PROCESS_CPUTIME_ID for the process's CPU time. */
static inline double clock_seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Elapsed (wall) time from an arbitrary origin. */
static inline double clock_wall_s(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

#endif
