/* MPI hand-out of independent pieces: rank 0 gives the next piece index to whichever rank is
 * free, computes its own share in a forked child (so that it stays free to answer), and
 * collects the texts. Results go back to the other ranks only so that they can follow rank 0
 * into its next batch (a capacity search chooses each batch from the last one). */
#include "sim/mpi.h"
#include "sim/error.h"

#include <stdlib.h>
#include <string.h>

#ifdef CLUSTERSIM_MPI
#include <errno.h>
#include <mpi.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

enum { TAG_WORK = 1, TAG_RESULT, TAG_SYNC, TAG_EXIT };

static int started, finished, shared, rank, size;
/* Rank 0: the last batch packed for the other ranks, sent when the next batch starts. */
static char *pending;
static size_t pending_len;

static int launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                       "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

int mpi_start(int *argc, char ***argv)
{
    if (!launched())
        return 0;
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    started = 1;
    atexit(mpi_finish);
    /* Every rank parses the same command line; only rank 0 speaks. */
    if (rank > 0 && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)))
        return 1;
    return 0;
}

int mpi_active(void)
{
    return started && !finished && shared && size > 1;
}

int mpi_rank(void)
{
    return rank;
}

int mpi_size(void)
{
    return started ? size : 1;
}

const char *mpi_build(void)
{
    return "MPI";
}

void mpi_finish(void)
{
    if (!started || finished)
        return;
    finished = 1;
    /* The other ranks may be waiting for orders (or, if they stopped where rank 0 did, the
     * message is never read; a small send completes without its receiver). */
    if (rank == 0 && shared)
        for (int r = 1; r < size; r++)
            MPI_Send(NULL, 0, MPI_BYTE, r, TAG_EXIT, MPI_COMM_WORLD);
    free(pending);
    pending = NULL;
    fflush(NULL);
    MPI_Finalize();
}

static void pack_put(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n > *cap) {
        *cap = 2 * (*len + n) + 64;
        *buf = sim_xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, p, n);
    *len += n;
}

/* rc, n, then each text as length and bytes. */
static void pack_batch(int rc, size_t n, char **results)
{
    size_t len = 0, cap = 0;
    char *buf = NULL;
    uint64_t h[2] = {(uint64_t)(rc != 0), n};
    pack_put(&buf, &len, &cap, h, sizeof h);
    for (size_t i = 0; i < n; i++) {
        uint64_t l = results[i] ? strlen(results[i]) : 0;
        pack_put(&buf, &len, &cap, &l, sizeof l);
        if (l)
            pack_put(&buf, &len, &cap, results[i], l);
    }
    free(pending);
    pending = buf;
    pending_len = len;
}

static void send_pending(void)
{
    if (!pending)
        return;
    for (int r = 1; r < size; r++)
        MPI_Send(pending, (int)pending_len, MPI_BYTE, r, TAG_SYNC, MPI_COMM_WORLD);
    free(pending);
    pending = NULL;
}

static char *recv_text(int src, int tag, size_t *len)
{
    MPI_Status st;
    int count = 0;
    MPI_Probe(src, tag, MPI_COMM_WORLD, &st);
    MPI_Get_count(&st, MPI_BYTE, &count);
    char *buf = sim_xmalloc((size_t)count + 1);
    MPI_Recv(buf, count, MPI_BYTE, st.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    buf[count] = '\0';
    *len = (size_t)count;
    return buf;
}

/* Ranks other than 0: compute until rank 0 starts another batch (return its results) or
 * ends (exit quietly). */
static int worker_run(size_t n, char *(*work)(size_t, void *), void *ctx, char **results,
                      struct sim_error *err)
{
    for (;;) {
        MPI_Status st;
        MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        if (st.MPI_TAG == TAG_WORK) {
            uint64_t i;
            MPI_Recv(&i, 1, MPI_UINT64_T, 0, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            char *text = i < n ? work((size_t)i, ctx) : NULL;
            MPI_Send(text ? text : "", text ? (int)strlen(text) : 0, MPI_BYTE, 0, TAG_RESULT,
                     MPI_COMM_WORLD);
            free(text);
        } else if (st.MPI_TAG == TAG_SYNC) {
            size_t len;
            char *buf = recv_text(0, TAG_SYNC, &len), *p = buf + 2 * sizeof(uint64_t);
            uint64_t h[2], l;
            memcpy(h, buf, sizeof h);
            for (size_t i = 0; i < n; i++) {
                free(results[i]);
                results[i] = NULL;
                if (h[1] != n || h[0])
                    continue;
                memcpy(&l, p, sizeof l);
                p += sizeof l;
                results[i] = sim_xmalloc(l + 1);
                memcpy(results[i], p, l);
                results[i][l] = '\0';
                p += l;
            }
            free(buf);
            if (h[1] != n || h[0])
                return sim_fail_runtime(err, "the batch failed on rank 0");
            return 0;
        } else {
            MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG_EXIT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            mpi_finish();
            _exit(0);
        }
    }
}

/* Rank 0's own piece: a child process computing into a pipe. */
struct local {
    pid_t pid; /* 0 when idle */
    int fd;
    size_t index;
    char *buf;
    size_t len, cap;
};

static int local_start(struct local *l, size_t i, char *(*work)(size_t, void *), void *ctx)
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
        for (size_t off = 0, n = strlen(text); off < n;) {
            ssize_t w = write(p[1], text + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                _exit(3);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(p[1]);
    *l = (struct local){.pid = pid, .fd = p[0], .index = i};
    return 0;
}

/* Waits up to 1 ms for the child; returns 1 when it has finished (its text in l->buf, or
 * l->buf NULL when it failed). */
static int local_poll(struct local *l)
{
    struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
    if (poll(&pfd, 1, 1) <= 0)
        return 0;
    if (l->cap - l->len < 65536) {
        l->cap = l->cap ? 2 * l->cap : 131072;
        l->buf = sim_xrealloc(l->buf, l->cap + 1);
    }
    ssize_t r = read(l->fd, l->buf + l->len, l->cap - l->len);
    if (r < 0 && errno == EINTR)
        return 0;
    if (r > 0) {
        l->len += (size_t)r;
        return 0;
    }
    close(l->fd);
    int status = 0;
    while (waitpid(l->pid, &status, 0) < 0 && errno == EINTR)
        ;
    l->pid = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && l->len > 0) {
        l->buf[l->len] = '\0';
    } else {
        free(l->buf);
        l->buf = NULL;
    }
    return 1;
}

static int root_run(size_t n, char *(*work)(size_t, void *), void *ctx, char **results,
                    struct sim_error *err, void (*meanwhile)(void *), void *mctx,
                    void (*done)(size_t, const char *, void *), void *dctx)
{
    send_pending();
    size_t *todo = sim_xcalloc(n + 1, sizeof *todo), ntodo = 0, next = 0;
    for (size_t i = 0; i < n; i++)
        if (!results[i])
            todo[ntodo++] = i;
    size_t *busy = sim_xcalloc((size_t)size, sizeof *busy);
    size_t outstanding = 0;
    int failed = 0;
    for (int r = 1; r < size && next < ntodo; r++) {
        uint64_t i = busy[r] = todo[next++];
        MPI_Send(&i, 1, MPI_UINT64_T, r, TAG_WORK, MPI_COMM_WORLD);
        outstanding++;
    }
    if (meanwhile)
        meanwhile(mctx);
    struct local l = {0};
    while ((!failed && next < ntodo) || outstanding > 0 || l.pid) {
        if (!l.pid && !failed && next < ntodo) {
            if (local_start(&l, todo[next], work, ctx) != 0) {
                failed = 1;
                sim_fail_runtime(err, "cannot start a process: %s", strerror(errno));
                continue;
            }
            next++;
        }
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
        if (flag) {
            int src = st.MPI_SOURCE;
            size_t len, i = busy[src];
            char *text = recv_text(src, TAG_RESULT, &len);
            outstanding--;
            if (len == 0) {
                free(text);
                if (!failed)
                    sim_fail_runtime(err, "piece %zu of %zu failed on rank %d", i + 1, n, src);
                failed = 1;
            } else {
                results[i] = text;
                if (done)
                    done(i, text, dctx);
            }
            if (!failed && next < ntodo) {
                uint64_t j = busy[src] = todo[next++];
                MPI_Send(&j, 1, MPI_UINT64_T, src, TAG_WORK, MPI_COMM_WORLD);
                outstanding++;
            }
            continue;
        }
        if (!l.pid) {
            poll(NULL, 0, 1);
        } else if (local_poll(&l)) {
            if (l.buf) {
                results[l.index] = l.buf;
                if (done)
                    done(l.index, l.buf, dctx);
            } else {
                if (!failed)
                    sim_fail_runtime(err, "piece %zu of %zu failed", l.index + 1, n);
                failed = 1;
            }
            l = (struct local){0};
        }
    }
    free(todo);
    free(busy);
    if (failed)
        for (size_t i = 0; i < n; i++) {
            free(results[i]);
            results[i] = NULL;
        }
    pack_batch(failed, n, results);
    return failed ? -1 : 0;
}

int mpi_jobs_run(size_t n, char *(*work)(size_t i, void *ctx), void *ctx, char **results,
                 struct sim_error *err, void (*meanwhile)(void *mctx), void *mctx,
                 void (*done)(size_t i, const char *text, void *dctx), void *dctx)
{
    if (rank == 0)
        return root_run(n, work, ctx, results, err, meanwhile, mctx, done, dctx);
    return worker_run(n, work, ctx, results, err);
}

#else

#include <stdio.h>

/* Launched as several ranks by a build that cannot share the work: each rank would run the
 * whole command and write the same files, so refuse instead. */
int mpi_start(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && strtoul(v, NULL, 10) > 1) {
            fputs("clustersim: built without MPI; rebuild with make MPI=1 to run under "
                  "mpirun\n", stderr);
            return 1;
        }
    }
    return 0;
}

int mpi_active(void)
{
    return 0;
}

int mpi_rank(void)
{
    return 0;
}

int mpi_size(void)
{
    return 1;
}

void mpi_finish(void)
{
}

const char *mpi_build(void)
{
    return "built without MPI";
}

int mpi_jobs_run(size_t n, char *(*work)(size_t i, void *ctx), void *ctx, char **results,
                 struct sim_error *err, void (*meanwhile)(void *mctx), void *mctx,
                 void (*done)(size_t i, const char *text, void *dctx), void *dctx)
{
    (void)n;
    (void)work;
    (void)ctx;
    (void)results;
    (void)meanwhile;
    (void)mctx;
    (void)done;
    (void)dctx;
    return sim_fail_runtime(err, "clustersim was built without MPI (make MPI=1)");
}

#endif

int mpi_takes_part(int argc, char **argv)
{
    int part = argc > 1 && (strcmp(argv[1], "sweep") == 0 || strcmp(argv[1], "capacity") == 0);
    if (argc > 1 && strcmp(argv[1], "run") == 0)
        for (int i = 2; i + 1 < argc; i++)
            if (strcmp(argv[i], "--replications") == 0 && strtoul(argv[i + 1], NULL, 10) > 1)
                part = 1;
#ifdef CLUSTERSIM_MPI
    shared = part;
#endif
    return part || mpi_rank() == 0;
}
