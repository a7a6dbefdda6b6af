/* Helpers shared by the Check suites: temporary files and directories, and reading a file. */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <stddef.h>

/* Writes text to a new temporary file and returns its path (static storage, overwritten by
 * the next call). */
const char *tu_write_temp(const char *text, const char *suffix);
/* Makes a new empty temporary directory; returns its path (caller frees). */
char *tu_temp_dir(void);
/* Reads a whole file; caller frees; NULL when it cannot be read. */
char *tu_read_file(const char *path, size_t *len);
/* Removes a directory and everything in it. */
void tu_remove_tree(const char *path);

#endif

/* Scenario helpers shared by the suites that run whole scenarios. */
#include "sim/scenario.h"
#include "sim/world.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* Loads scenario text, failing the test (with the error printed) when it is invalid. */
struct scenario *tu_load(const char *text);
/* Expects scenario text to be refused with `needle` in the error's message or path. */
void tu_load_bad(const char *text, const char *needle);
/* Builds and runs a world to the end, failing the test on any error. */
struct world *tu_run(const struct scenario *sc, uint64_t seed);
/* A component's object in a summary, and a number member of an object (both must exist). */
const cJSON *tu_comp(const cJSON *summary, const char *id);
double tu_num(const cJSON *obj, const char *name);
