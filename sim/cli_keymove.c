/* `clustersim keymove`: builds the placement before and after adding or removing nodes, places
 * every key in both and counts the keys whose owner changed, against the ideal |dn|/max(n,n').
 * Like the rest of the command-line front it knows the models, here only models/placement. */
#include "sim/cli_keymove.h"

#include "models/placement.h"
#include "sim/error.h"
#include "sim/limits.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_KEYS 100000
#define MAX_KEYS 100000000ULL
#define MAX_NODES 1000000ULL
#define MAX_REPLICATION 64

static const char usage[] =
    "usage: clustersim keymove --scheme SCHEME --nodes N (--add K | --remove K)\n"
    "                          [--vnodes V] [--keys COUNT | --keys-file FILE]\n"
    "                          [--node-names a,b,c] [--assignments]\n"
    "                          [--load-bound C] [--replication R] [--table-size M]\n"
    "\n"
    "Places keys on N nodes and again after adding or removing K nodes, and prints one JSON\n"
    "object: scheme, nodes_before, nodes_after, keys, moved, moved_fraction, ideal_fraction\n"
    "(|dn| / max(n, n')), max_over_mean_before, max_over_mean_after.\n"
    "\n"
    "  --scheme S       modulo, ring, ketama, jump, rendezvous, maglev, bounded, or all (a table)\n"
    "  --nodes N        nodes before the change, named node0 .. node<N-1>\n"
    "  --add K          adds K nodes, named node<N> .. (or the names after N in --node-names)\n"
    "  --remove K       removes the last K nodes\n"
    "  --vnodes V       ring and bounded points per node (default 160; ketama is always 160)\n"
    "  --keys COUNT     keys key0 .. key<COUNT-1> (default 100000)\n"
    "  --keys-file F    one key per line instead (empty lines skipped; - reads stdin)\n"
    "  --node-names L   comma-separated names of the N nodes, then optionally of added nodes\n"
    "  --assignments    after the JSON, one line per key: key<TAB>node_before<TAB>node_after\n"
    "  --load-bound C   bounded: no node above ceil(C * keys / nodes) (default 1.25)\n"
    "  --replication R  also count replica copies to create: each key on R distinct nodes\n"
    "  --table-size M   maglev table size, a prime (default 65537 up to 655 nodes)\n"
    "\n"
    "Keys hash with XXH3 (ketama: md5, as libketama). Bounded places keys in order, each\n"
    "under the cap of the moment.\n"
    "\n"
    "example:\n"
    "  clustersim keymove --scheme ring --nodes 10 --add 1 --keys 1000000\n"
    "  clustersim keymove --scheme all --nodes 100 --remove 1\n";

struct opts {
    int all;
    enum placement_scheme scheme;
    unsigned long long nodes;
    unsigned long long add;
    unsigned long long remove;
    unsigned vnodes;
    unsigned long long keys;
    const char *keys_file;
    const char *node_names;
    int assignments;
    double load_bound;
    unsigned long long replication;
    uint32_t table_size;
};

/* The keys: generated (key<i>) or read from a file; hashes are computed per hash family. */
struct keyset {
    size_t count;
    char *text;    /* file contents, lines cut at '\n' into strings; NULL when generated */
    char **line;   /* start of each file key */
    uint64_t *xxh; /* XXH3 of each key, or NULL until needed */
    uint64_t *md5; /* ketama hash of each key, or NULL until needed */
};

struct result {
    uint64_t moved;
    uint64_t copies_moved; /* replica copies on a node that did not hold them before */
    double mom_before;     /* max over mean keys per node */
    double mom_after;
    uint32_t *before; /* keys x R owners when --assignments, else NULL */
    uint32_t *after;
};

static int parse_u64(const char *flag, const char *s, unsigned long long lo, unsigned long long hi,
                     unsigned long long *out, struct sim_error *err)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || errno || v < lo || v > hi)
        return sim_fail(err, flag, "'%s' is not an integer from %llu to %llu", s, lo, hi);
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o, int *help, struct sim_error *err)
{
    *o = (struct opts){.vnodes = PLACEMENT_DEFAULT_VNODES,
                       .keys = DEFAULT_KEYS,
                       .load_bound = PLACEMENT_DEFAULT_LOAD_BOUND,
                       .replication = 1};
    int have_scheme = 0, have_nodes = 0, have_keys = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = 1;
            return 0;
        }
        if (strcmp(a, "--assignments") == 0) {
            o->assignments = 1;
            continue;
        }
        /* Every other flag takes a value, as "--flag value" or "--flag=value". */
        char flag[32];
        const char *val;
        const char *eq = strchr(a, '=');
        if (strncmp(a, "--", 2) != 0)
            return sim_fail(err, NULL, "unexpected argument '%s'", a);
        if (eq) {
            snprintf(flag, sizeof flag, "%.*s", (int)(eq - a), a);
            val = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", a);
            if (i + 1 >= argc)
                return sim_fail(err, flag, "needs a value");
            val = argv[++i];
        }
        unsigned long long v;
        if (strcmp(flag, "--scheme") == 0) {
            have_scheme = 1;
            o->all = strcmp(val, "all") == 0;
            if (!o->all && placement_scheme_parse(val, &o->scheme))
                return sim_fail(err, flag,
                                "unknown scheme '%s' (modulo, ring, ketama, jump, rendezvous, "
                                "maglev, bounded, all)",
                                val);
        } else if (strcmp(flag, "--nodes") == 0) {
            have_nodes = 1;
            if (parse_u64(flag, val, 1, MAX_NODES, &o->nodes, err))
                return -1;
        } else if (strcmp(flag, "--add") == 0) {
            if (parse_u64(flag, val, 1, MAX_NODES, &o->add, err))
                return -1;
        } else if (strcmp(flag, "--remove") == 0) {
            if (parse_u64(flag, val, 1, MAX_NODES, &o->remove, err))
                return -1;
        } else if (strcmp(flag, "--vnodes") == 0) {
            if (parse_u64(flag, val, 1, 100000, &v, err))
                return -1;
            o->vnodes = (unsigned)v;
        } else if (strcmp(flag, "--keys") == 0) {
            have_keys = 1;
            if (parse_u64(flag, val, 1, MAX_KEYS, &o->keys, err))
                return -1;
        } else if (strcmp(flag, "--keys-file") == 0) {
            o->keys_file = val;
        } else if (strcmp(flag, "--node-names") == 0) {
            o->node_names = val;
        } else if (strcmp(flag, "--load-bound") == 0) {
            char *end;
            errno = 0;
            o->load_bound = strtod(val, &end);
            /* The same range as a scenario's sharding.load_bound. */
            if (!*val || *end || errno || !(o->load_bound >= 1) || !(o->load_bound <= 100) ||
                !((val[0] >= '0' && val[0] <= '9') || val[0] == '.'))
                return sim_fail(err, flag,
                                "'%s' is not a factor from 1 to 100 (1.25 allows 25%% above the "
                                "mean)",
                                val);
        } else if (strcmp(flag, "--replication") == 0) {
            if (parse_u64(flag, val, 1, MAX_REPLICATION, &o->replication, err))
                return -1;
        } else if (strcmp(flag, "--table-size") == 0) {
            if (parse_u64(flag, val, 2, UINT32_MAX, &v, err))
                return -1;
            o->table_size = (uint32_t)v;
        } else {
            return sim_fail(err, NULL, "unknown flag '%s' (see clustersim keymove --help)", flag);
        }
    }
    if (!have_scheme)
        return sim_fail(err, "--scheme", "is required");
    if (!have_nodes)
        return sim_fail(err, "--nodes", "is required");
    if ((o->add > 0) == (o->remove > 0))
        return sim_fail(err, NULL, "give exactly one of --add K or --remove K");
    if (o->remove >= o->nodes)
        return sim_fail(err, "--remove", "%llu of %llu nodes would leave none", o->remove,
                        o->nodes);
    if (o->nodes + o->add > MAX_NODES)
        return sim_fail(err, "--add", "more than %llu nodes", MAX_NODES);
    if (have_keys && o->keys_file)
        return sim_fail(err, NULL, "give --keys or --keys-file, not both");
    if (o->all && o->assignments)
        return sim_fail(err, "--assignments", "needs one scheme, not all");
    /* What grows with the flags, as a scenario's estimate does (sim/limits.h): two hashes per
     * key, the owners per key and copy with --assignments, and two placements of up to
     * vnodes (or 160 ketama) points of 16 bytes per node. A keys file is known only later. */
    double limit, nodes = (double)(o->nodes + o->add), keys = (double)o->keys;
    if (limits_memory_limit(&limit, err))
        return -1;
    double need = keys * 16 + (o->assignments ? keys * (double)o->replication * 8 : 0) +
                  2 * nodes * (o->vnodes > 160 ? o->vnodes : 160) * 16;
    if (need > limit) {
        char a[32], b[32];
        return sim_fail(err, NULL,
                        "this would need about %s of memory, more than the limit of "
                        "%s (set %s to change it)",
                        limits_format_bytes(need, a, sizeof a),
                        limits_format_bytes(limit, b, sizeof b), LIMITS_MEMORY_ENV);
    }
    return 0;
}

/* Splits the comma list and completes it with node<i> up to total names. The list must name
 * at least the n nodes before the change; extra names only name added nodes. */
static char **make_names(const struct opts *o, size_t total, char **store, size_t *given_out,
                         struct sim_error *err)
{
    char **names = sim_xcalloc(total, sizeof *names);
    size_t given = 0;
    *store = NULL;
    if (o->node_names) {
        *store = sim_xstrdup(o->node_names);
        char *s = *store;
        for (;;) {
            char *comma = strchr(s, ',');
            if (comma)
                *comma = '\0';
            if (given == total) {
                sim_fail(err, "--node-names", "lists more than the %zu nodes %s", total,
                         o->add ? "after adding" : "before removing");
                goto fail;
            }
            names[given++] = s;
            if (!comma)
                break;
            s = comma + 1;
        }
        if (given < o->nodes) {
            sim_fail(err, "--node-names", "lists %zu names for %llu nodes", given, o->nodes);
            goto fail;
        }
    }
    for (size_t i = given; i < total; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "node%zu", i);
        names[i] = sim_xstrdup(buf);
    }
    *given_out = given;
    return names;
fail:
    free(names);
    free(*store);
    *store = NULL;
    return NULL;
}

/* The first `given` names point into the --node-names copy; the rest were duplicated. */
static void free_names(char **names, size_t total, size_t given)
{
    if (!names)
        return;
    for (size_t i = given; i < total; i++)
        free(names[i]);
    free(names);
}

static int read_keys(const char *path, struct keyset *ks, struct sim_error *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return sim_fail(err, "--keys-file", "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = sim_xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0)
            buf = sim_xrealloc(buf, cap *= 2);
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        free(buf);
        return sim_fail(err, "--keys-file", "cannot read '%s'", path);
    }
    buf[len] = '\0';
    size_t n = 0, lcap = 1024;
    char **line = sim_xmalloc(lcap * sizeof *line);
    for (char *s = buf; s < buf + len;) {
        char *nl = memchr(s, '\n', (size_t)(buf + len - s));
        char *end = nl ? nl : buf + len;
        if (end > s && end[-1] == '\r')
            end--;
        *end = '\0';
        if (end > s) {
            if (n == lcap)
                line = sim_xrealloc(line, (lcap *= 2) * sizeof *line);
            line[n++] = s;
        }
        s = nl ? nl + 1 : buf + len;
    }
    if (n == 0) {
        free(buf);
        free(line);
        return sim_fail(err, "--keys-file", "'%s' holds no keys", path);
    }
    ks->count = n;
    ks->text = buf;
    ks->line = line;
    return 0;
}

/* The text of key i: the file line, or key<i> written into tmp. */
static const char *key_text(const struct keyset *ks, size_t i, char *tmp, size_t cap, size_t *len)
{
    if (ks->text) {
        *len = strlen(ks->line[i]);
        return ks->line[i];
    }
    *len = (size_t)snprintf(tmp, cap, "key%zu", i);
    return tmp;
}

static const uint64_t *key_hashes(struct keyset *ks, int md5)
{
    uint64_t **h = md5 ? &ks->md5 : &ks->xxh;
    if (!*h) {
        *h = sim_xmalloc(ks->count * sizeof **h);
        char tmp[32];
        for (size_t i = 0; i < ks->count; i++) {
            size_t len = 0;
            const char *k = key_text(ks, i, tmp, sizeof tmp, &len);
            (*h)[i] = md5 ? placement_md5_hash(k, len) : placement_hash_str(k, len);
        }
    }
    return *h;
}

static void keyset_free(struct keyset *ks)
{
    free(ks->text);
    free(ks->line);
    free(ks->xxh);
    free(ks->md5);
}

/* Error paths of placement parameters, shown as the flags that set them. */
static void flag_path(struct sim_error *err)
{
    static const char *const map[][2] = {
        {"vnodes", "--vnodes"},         {"load_bound", "--load-bound"},
        {"table_size", "--table-size"}, {"node_names", "--node-names"},
        {"nodes", "--nodes"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(err->path, map[i][0]) == 0)
            snprintf(err->path, sizeof err->path, "%s", map[i][1]);
}

static double max_over_mean(const uint64_t *count, size_t n, size_t keys)
{
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++)
        max = count[i] > max ? count[i] : max;
    return (double)max / ((double)keys / (double)n);
}

static int run_scheme(enum placement_scheme s, const struct opts *o, char **names,
                      struct keyset *ks, struct result *res, struct sim_error *err)
{
    size_t n1 = o->nodes, n2 = o->add ? o->nodes + o->add : o->nodes - o->remove;
    size_t r = o->replication;
    struct placement_params prm = {
        .vnodes = o->vnodes, .load_bound = o->load_bound, .table_size = o->table_size};
    struct placement *a = NULL, *b = NULL;
    *res = (struct result){0};
    if (placement_create(s, (const char *const *)names, n1, &prm, &a, err) ||
        placement_create(s, (const char *const *)names, n2, &prm, &b, err)) {
        flag_path(err);
        placement_free(a);
        return -1;
    }
    const uint64_t *h = key_hashes(ks, s == PLACEMENT_KETAMA);
    uint64_t *ca = sim_xcalloc(n1, sizeof *ca), *cb = sim_xcalloc(n2, sizeof *cb);
    if (o->assignments) {
        res->before = sim_xmalloc(ks->count * r * sizeof *res->before);
        res->after = sim_xmalloc(ks->count * r * sizeof *res->after);
    }
    uint32_t xs[MAX_REPLICATION], ys[MAX_REPLICATION];
    size_t ra = r < n1 ? r : n1, rb = r < n2 ? r : n2;
    for (size_t i = 0; i < ks->count; i++) {
        /* lookup_n's first node is the one acquire takes, so take the set before acquiring. */
        if (r > 1) {
            placement_lookup_n(a, h[i], xs, ra);
            placement_lookup_n(b, h[i], ys, rb);
        }
        uint32_t x = placement_acquire(a, h[i]);
        uint32_t y = placement_acquire(b, h[i]);
        ca[x]++;
        cb[y]++;
        res->moved += x != y;
        xs[0] = x;
        ys[0] = y;
        for (size_t j = 0; r > 1 && j < rb; j++) {
            int held = 0;
            for (size_t k = 0; k < ra; k++)
                held |= xs[k] == ys[j];
            res->copies_moved += !held;
        }
        if (res->before) {
            for (size_t j = 0; j < r; j++) {
                res->before[i * r + j] = j < ra ? xs[j] : UINT32_MAX;
                res->after[i * r + j] = j < rb ? ys[j] : UINT32_MAX;
            }
        }
    }
    res->mom_before = max_over_mean(ca, n1, ks->count);
    res->mom_after = max_over_mean(cb, n2, ks->count);
    free(ca);
    free(cb);
    placement_free(a);
    placement_free(b);
    return 0;
}

static void print_set(FILE *out, char **names, const uint32_t *set, size_t r)
{
    for (size_t j = 0; j < r && set[j] != UINT32_MAX; j++) {
        if (j)
            fputc(',', out);
        fputs(names[set[j]], out);
    }
}

static int print_json(const struct opts *o, enum placement_scheme s, const struct keyset *ks,
                      const struct result *res, struct sim_error *err)
{
    size_t n1 = o->nodes, n2 = o->add ? o->nodes + o->add : o->nodes - o->remove;
    double ideal = (double)(o->add + o->remove) / (double)(n1 > n2 ? n1 : n2);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "scheme", placement_scheme_name(s));
    cJSON_AddNumberToObject(j, "nodes_before", (double)n1);
    cJSON_AddNumberToObject(j, "nodes_after", (double)n2);
    cJSON_AddNumberToObject(j, "keys", (double)ks->count);
    cJSON_AddNumberToObject(j, "moved", (double)res->moved);
    cJSON_AddNumberToObject(j, "moved_fraction", (double)res->moved / (double)ks->count);
    cJSON_AddNumberToObject(j, "ideal_fraction", ideal);
    cJSON_AddNumberToObject(j, "max_over_mean_before", res->mom_before);
    cJSON_AddNumberToObject(j, "max_over_mean_after", res->mom_after);
    if (o->replication > 1) {
        size_t r2 = o->replication < n2 ? o->replication : n2;
        cJSON_AddNumberToObject(j, "replication", (double)o->replication);
        cJSON_AddNumberToObject(j, "copies_moved", (double)res->copies_moved);
        cJSON_AddNumberToObject(j, "copies_moved_fraction",
                                (double)res->copies_moved / ((double)ks->count * (double)r2));
    }
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!text)
        return sim_fail_runtime(err, "out of memory printing JSON");
    puts(text);
    cJSON_free(text);
    return 0;
}

static void print_table_row(const struct opts *o, enum placement_scheme s, size_t keys,
                            const struct result *res)
{
    size_t n1 = o->nodes, n2 = o->add ? o->nodes + o->add : o->nodes - o->remove;
    double ideal = (double)(o->add + o->remove) / (double)(n1 > n2 ? n1 : n2);
    double frac = (double)res->moved / (double)keys;
    printf("%-10s  %10" PRIu64 "  %14.6f  %14.6f  %8.3f  %11.4f  %10.4f", placement_scheme_name(s),
           res->moved, frac, ideal, frac / ideal, res->mom_before, res->mom_after);
    if (o->replication > 1) {
        size_t r2 = o->replication < n2 ? o->replication : n2;
        printf("  %13.6f", (double)res->copies_moved / ((double)keys * (double)r2));
    }
    putchar('\n');
}

int cli_keymove(int argc, char **argv)
{
    struct sim_error err = {0};
    struct opts o;
    int help = 0;
    if (parse_opts(argc, argv, &o, &help, &err)) {
        sim_error_print(&err);
        fprintf(stderr, "see: clustersim keymove --help\n");
        return SIM_EUSAGE;
    }
    if (help) {
        fputs(usage, stdout);
        return 0;
    }
    size_t total = o.nodes + o.add;
    char *store = NULL;
    size_t given = 0;
    char **names = make_names(&o, total, &store, &given, &err);
    struct keyset ks = {.count = o.keys};
    int rc = 0;
    if (!names || (o.keys_file && read_keys(o.keys_file, &ks, &err))) {
        rc = -1;
        goto done;
    }
    if (o.all) {
        printf("keymove: %llu -> %llu nodes, %zu keys", o.nodes,
               o.add ? o.nodes + o.add : o.nodes - o.remove, ks.count);
        if (o.replication > 1)
            printf(", replication %llu", o.replication);
        printf("\n%-10s  %10s  %14s  %14s  %8s  %11s  %10s%s\n", "scheme", "moved",
               "moved_fraction", "ideal_fraction", "vs_ideal", "max/mean_bf", "max/mean_af",
               o.replication > 1 ? "  copies_moved" : "");
        for (int s = 0; s < PLACEMENT_NSCHEMES && rc == 0; s++) {
            struct result res;
            rc = run_scheme((enum placement_scheme)s, &o, names, &ks, &res, &err);
            if (rc == 0)
                print_table_row(&o, (enum placement_scheme)s, ks.count, &res);
        }
        goto done;
    }
    struct result res;
    rc = run_scheme(o.scheme, &o, names, &ks, &res, &err);
    if (rc == 0)
        rc = print_json(&o, o.scheme, &ks, &res, &err);
    if (rc == 0 && res.before) {
        char tmp[32];
        size_t r = o.replication;
        for (size_t i = 0; i < ks.count; i++) {
            size_t len = 0;
            const char *key = key_text(&ks, i, tmp, sizeof tmp, &len);
            fwrite(key, 1, len, stdout);
            fputc('\t', stdout);
            print_set(stdout, names, res.before + i * r, r);
            fputc('\t', stdout);
            print_set(stdout, names, res.after + i * r, r);
            fputc('\n', stdout);
        }
    }
    free(res.before);
    free(res.after);
done:
    keyset_free(&ks);
    free_names(names, total, given);
    free(store);
    if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
        rc = sim_fail_runtime(&err, "cannot write the output: %s", strerror(errno));
    if (rc != 0) {
        sim_error_print(&err);
        return err.code == SIM_ERUNTIME ? SIM_ERUNTIME : SIM_EUSAGE;
    }
    return 0;
}
