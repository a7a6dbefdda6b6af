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
