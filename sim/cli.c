/* The command-line front: one function per command, the only place in sim/ that knows the
 * model registry. Exit status: 0 done, 1 failed at run time, 2 bad usage or scenario. */
#include "sim/cli.h"
#include "sim/cli_keymove.h"
#include "models/registry.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/schema.h"
#include "sim/world.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SETS 256

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

__attribute__((format(printf, 2, 3))) static int usage_error(const char *cmd,
                                                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clustersim %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'clustersim %s --help')\n", cmd);
    return 2;
}

/* Parses a whole non-negative integer; -1 when malformed. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* ---- run ------------------------------------------------------------------------------- */

static const char run_help[] =
    "usage: clustersim run SCENARIO.json [--out DIR] [--seed N] [--set PATH=VALUE]...\n"
    "                      [--no-plots] [--quiet]\n"
    "\n"
    "Runs one scenario and writes summary.json, timeseries.csv, latency.csv, nodes.csv and\n"
    "keymoves.csv into DIR (default out/<name>/); prints a short summary.\n"
    "\n"
    "  --out DIR          where the results go (written atomically)\n"
    "  --seed N           the seed (default: the scenario's \"seed\", else 1)\n"
    "  --set PATH=VALUE   override one value before validation; PATH names a component\n"
    "                     by id: --set components.web.nodes=8 --set workload.rate=100\n"
    "  --no-plots         do not draw plots\n"
    "  --quiet            print nothing but errors\n"
    "\n"
    "example: clustersim run scenarios/mm1.json --seed 7 --set workload.rate=90\n";

struct run_opts {
    const char *file;
    const char *out;
    int has_seed;
    uint64_t seed;
    const char *sets[MAX_SETS];
    size_t nsets;
    int no_plots;
    int quiet;
};

static void progress_line(void *ctx, const struct world *w, double wall)
{
    (void)ctx;
    double t = w->sim.now, d = w->sc->duration;
    double rate = wall > 0 ? (double)(w->sim.dispatched) / wall : 0;
    double eta = t > 0 ? wall * (d - t) / t : 0;
    fprintf(stderr, "\r%10.6gs of %.6gs simulated (%5.1f%%)  %6.2fM events/s  ETA %5.0fs ", t,
            d, 100 * t / d, rate / 1e6, eta);
}

static int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(run_help, stdout);
            return 1;
        } else if (strcmp(a, "--out") == 0) {
            if (!val || !*val)
                return usage_error("run", "--out needs a folder");
            o->out = val;
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            if (!val || parse_u64(val, 9007199254740991ULL, &o->seed))
                return usage_error("run", "--seed needs a whole number from 0 to 2^53-1, got "
                                          "'%s'", val ? val : "");
            o->has_seed = 1;
            i++;
        } else if (strcmp(a, "--set") == 0) {
            if (!val || !strchr(val, '='))
                return usage_error("run", "--set needs PATH=VALUE, got '%s'", val ? val : "");
            if (o->nsets == MAX_SETS)
                return usage_error("run", "too many --set options");
            o->sets[o->nsets++] = val;
            i++;
        } else if (strcmp(a, "--no-plots") == 0) {
            o->no_plots = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o->quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("run", "unknown option '%s'", a);
        } else if (!o->file) {
            o->file = a;
        } else {
            return usage_error("run", "one scenario at a time (extra argument '%s')", a);
        }
    }
    if (!o->file)
        return usage_error("run", "which scenario? give SCENARIO.json");
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    struct run_opts o;
    int rc = parse_run_opts(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    struct sim_error err = {0};
    struct scenario *sc;
    if (scenario_load(o.file, o.sets, o.nsets, model_registry, &sc, &err)) {
        sim_error_print(&err);
        return 2;
    }
    char dir[3072];
    if (o.out)
        snprintf(dir, sizeof dir, "%s", o.out);
    else
        snprintf(dir, sizeof dir, "out/%s", sc->name);
    struct world *w;
    if (world_create(sc, o.has_seed ? o.seed : sc->seed, &w, &err)) {
        sim_error_print(&err);
        scenario_free(sc);
        return 2;
    }
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old);
    int tty = !o.quiet && isatty(STDERR_FILENO);
    rc = world_run(w, (volatile int *)&interrupted, tty ? progress_line : NULL, NULL, &err);
    sigaction(SIGINT, &old, NULL);
    if (tty)
        fputs("\r\033[K", stderr);
    int status = 0;
    if (rc) {
        sim_error_print(&err);
        status = 1;
    } else {
        cJSON *summary = report_summary(w);
        if (report_write(w, summary, dir, &err)) {
            sim_error_print(&err);
            status = 1;
        } else if (!o.quiet) {
            report_print(summary, stdout);
            printf("results in %s/\n", dir);
        }
        cJSON_Delete(summary);
        if (w->interrupted && status == 0) {
            fprintf(stderr, "clustersim: interrupted; the summary is marked \"interrupted\"\n");
            status = 130;
        }
    }
    world_free(w);
    scenario_free(sc);
    return status;
}

/* ---- validate -------------------------------------------------------------------------- */

static const char validate_help[] =
    "usage: clustersim validate SCENARIO.json...\n"
    "\n"
    "Checks scenarios without running them: exit 0 when all are valid, 2 otherwise, with\n"
    "each error as FILE:LINE: PATH: message.\n"
    "\n"
    "example: clustersim validate scenarios/*.json\n";

static int cmd_validate(int argc, char **argv)
{
    int files = 0, bad = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(validate_help, stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return usage_error("validate", "unknown option '%s'", argv[i]);
    }
    for (int i = 2; i < argc; i++) {
        struct sim_error err = {0};
        struct scenario *sc;
        files++;
        if (scenario_load(argv[i], NULL, 0, model_registry, &sc, &err)) {
            sim_error_print(&err);
            bad++;
            continue;
        }
        printf("%s: ok (%zu components, %zu events)\n", argv[i], sc->ncomp, sc->nevents);
        scenario_free(sc);
    }
    if (!files)
        return usage_error("validate", "which scenarios? give SCENARIO.json...");
    return bad ? 2 : 0;
}

/* ---- help ------------------------------------------------------------------------------ */

static const char main_help[] =
    "usage: clustersim COMMAND [ARGS]   (clustersim COMMAND --help for more)\n"
    "\n"
    "commands:\n"
    "  run SCENARIO.json      simulate a scenario; write summary, CSVs and plots\n"
    "  validate SCENARIO...   check scenarios without running them\n"
    "  types                  list the component types and their fields\n"
    "  keymove --scheme S ... how many keys move when nodes are added or removed\n"
    "  schema                 print the JSON Schema of scenarios\n"
    "\n"
    "example: clustersim run scenarios/web-db.json\n";

static const char types_help[] =
    "usage: clustersim types [TYPE]\n"
    "\n"
    "Lists the component types and, for each, its fields: name, kind, help and default.\n"
    "\n"
    "example: clustersim types service\n";

static int cmd_types(int argc, char **argv)
{
    const char *only = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(types_help, stdout);
            return 0;
        }
        if (argv[i][0] == '-' || only)
            return usage_error("types", "unexpected argument '%s'", argv[i]);
        only = argv[i];
    }
    int shown = 0;
    if (!only) {
        const struct param_spec *common[] = {scenario_common_params(), NULL};
        printf("every component:\n");
        params_print_help(common, stdout);
    }
    for (size_t i = 0; model_registry[i]; i++) {
        const struct model_ops *m = model_registry[i];
        if (only && strcmp(only, m->name) != 0)
            continue;
        shown++;
        printf("%s: %s\n", m->name, m->help);
        const struct param_spec *tabs[] = {m->params, NULL};
        params_print_help(tabs, stdout);
    }
    if (only && !shown)
        return usage_error("types", "no component type '%s'", only);
    return 0;
}

static int cmd_schema(int argc, char **argv)
{
    if (argc > 2) {
        if (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) {
            fputs("usage: clustersim schema\n\nPrints the JSON Schema of scenarios, generated "
                  "from the validator's own tables.\n\nexample: clustersim schema > "
                  "scenarios/schema.json\n",
                  stdout);
            return 0;
        }
        return usage_error("schema", "unexpected argument '%s'", argv[2]);
    }
    cJSON *s = schema_build(model_registry, scenario_common_params());
    char *text = cJSON_Print(s);
    puts(text);
    free(text);
    cJSON_Delete(s);
    return 0;
}

static int cmd_keymove(int argc, char **argv)
{
    return cli_keymove(argc - 1, argv + 1);
}

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
    {"run", cmd_run},
    {"validate", cmd_validate},
    {"types", cmd_types},
    {"schema", cmd_schema},
    {"keymove", cmd_keymove},
    {NULL, NULL},
};

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_help, stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(main_help, stdout);
        return 0;
    }
    for (const struct command *c = commands; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0)
            return c->fn(argc, argv);
    fprintf(stderr, "clustersim: unknown command '%s'\n%s", argv[1], main_help);
    return 2;
}
