/* Parallel processes for independent pieces of work: fork, let each child compute one piece
 * and write its text to a pipe, and collect the texts in the parent. Processes, not threads:
 * the simulator keeps no shared state to lock, and a crash stays inside its piece. */
#include "sim/jobs.h"
#include "sim/error.h"
#include "sim/mpi.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

unsigned jobs_default(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

struct child {
    pid_t pid;
    int fd;
    size_t index;
    char *buf;
    size_t len, cap;
};

static void write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(3);
        s += w;
        len -= (size_t)w;
    }
}

static int start_child(struct child *ch, size_t i, char *(*work)(size_t, void *), void *ctx)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        char *text = work(i, ctx);
        if (!text)
            _exit(2);
        write_all(p[1], text, strlen(text));
        _exit(0);
    }
    close(p[1]);
    *ch = (struct child){.pid = pid, .fd = p[0], .index = i};
    return 0;
}

/* Reads what is available; returns 1 at end of file. */
static int drain(struct child *ch)
{
    if (ch->cap - ch->len < 65536) {
        ch->cap = ch->cap ? 2 * ch->cap : 131072;
        ch->buf = sim_xrealloc(ch->buf, ch->cap + 1);
    }
    ssize_t r = read(ch->fd, ch->buf + ch->len, ch->cap - ch->len);
    if (r < 0 && errno == EINTR)
        return 0;
    if (r <= 0)
        return 1;
    ch->len += (size_t)r;
    return 0;
}

int jobs_run(size_t n, unsigned jobs, char *(*work)(size_t i, void *ctx), void *ctx,
             char **results, struct sim_error *err)
{
    return jobs_run_with(n, jobs, work, ctx, results, err, NULL, NULL);
}

static int run_pieces(size_t n, unsigned jobs, char *(*work)(size_t i, void *ctx), void *ctx,
                      char **results, struct sim_error *err, void (*meanwhile)(void *mctx),
                      void *mctx, void (*on_done)(size_t i, const char *text, void *dctx),
                      void *dctx);

int jobs_run_with(size_t n, unsigned jobs, char *(*work)(size_t i, void *ctx), void *ctx,
                  char **results, struct sim_error *err, void (*meanwhile)(void *mctx),
                  void *mctx)
{
    for (size_t i = 0; i < n; i++)
        results[i] = NULL;
    return run_pieces(n, jobs, work, ctx, results, err, meanwhile, mctx, NULL, NULL);
}

int jobs_run_each(size_t n, unsigned jobs, char *(*work)(size_t i, void *ctx), void *ctx,
                  char **results, struct sim_error *err,
                  void (*on_done)(size_t i, const char *text, void *dctx), void *dctx)
{
    return run_pieces(n, jobs, work, ctx, results, err, NULL, NULL, on_done, dctx);
}

static void free_all(size_t n, char **results)
{
    for (size_t i = 0; i < n; i++) {
        free(results[i]);
        results[i] = NULL;
    }
}

static int run_pieces(size_t n, unsigned jobs, char *(*work)(size_t i, void *ctx), void *ctx,
                      char **results, struct sim_error *err, void (*meanwhile)(void *mctx),
                      void *mctx, void (*on_done)(size_t i, const char *text, void *dctx),
                      void *dctx)
{
    /* Under mpirun with several ranks, the ranks take the place of the processes. */
    if (mpi_active())
        return mpi_jobs_run(n, work, ctx, results, err, meanwhile, mctx, on_done, dctx);
    size_t ntodo = 0;
    for (size_t i = 0; i < n; i++)
        ntodo += results[i] == NULL;
    if (jobs <= 1 || ntodo == 0) {
        if (meanwhile)
            meanwhile(mctx);
        for (size_t i = 0; i < n; i++) {
            if (results[i])
                continue;
            if (!(results[i] = work(i, ctx))) {
                free_all(n, results);
                return sim_fail_runtime(err, "piece %zu of %zu failed", i + 1, n);
            }
            if (on_done)
                on_done(i, results[i], dctx);
        }
        return 0;
    }
    if (jobs > ntodo + (meanwhile != NULL))
        jobs = (unsigned)ntodo + (meanwhile != NULL);
    /* While the parent works, it is one of the `jobs` processes. */
    unsigned limit = meanwhile ? jobs - 1 : jobs;
    struct child *kids = sim_xcalloc(jobs, sizeof *kids);
    struct pollfd *fds = sim_xcalloc(jobs, sizeof *fds);
    size_t next = 0, done = 0;
    unsigned running = 0;
    int failed = 0;
    while (done < ntodo) {
        while (!failed && running < limit && next < n) {
            if (results[next]) {
                next++;
                continue;
            }
            if (start_child(&kids[running], next, work, ctx) != 0) {
                failed = 1;
                sim_fail_runtime(err, "cannot start a process: %s", strerror(errno));
                break;
            }
            next++;
            running++;
        }
        if (meanwhile) {
            meanwhile(mctx);
            meanwhile = NULL;
            limit = jobs;
            continue;
        }
        if (running == 0)
            break;
        for (unsigned k = 0; k < running; k++)
            fds[k] = (struct pollfd){.fd = kids[k].fd, .events = POLLIN};
        if (poll(fds, running, -1) < 0) {
            if (errno == EINTR)
                continue;
            failed = 1;
            break;
        }
        for (unsigned k = 0; k < running;) {
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)) || !drain(&kids[k])) {
                k++;
                continue;
            }
            struct child *ch = &kids[k];
            close(ch->fd);
            int status = 0;
            while (waitpid(ch->pid, &status, 0) < 0 && errno == EINTR)
                ;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && ch->len > 0) {
                ch->buf[ch->len] = '\0';
                results[ch->index] = ch->buf;
                if (on_done)
                    on_done(ch->index, ch->buf, dctx);
            } else {
                free(ch->buf);
                if (!failed)
                    sim_fail_runtime(err, "piece %zu of %zu failed (%s %d)", ch->index + 1, n,
                                     WIFSIGNALED(status) ? "signal" : "exit status",
                                     WIFSIGNALED(status) ? WTERMSIG(status)
                                                         : WEXITSTATUS(status));
                failed = 1;
            }
            done++;
            /* Keep the running children packed at the front. */
            kids[k] = kids[--running];
            fds[k] = fds[running];
        }
        if (failed && running == 0)
            break;
    }
    free(kids);
    free(fds);
    if (failed) {
        free_all(n, results);
        return -1;
    }
    return 0;
}
