/* Locating JSON values in the source text, because cJSON keeps no positions: the line of the
 * value at a JSON path, the line of a byte offset, and duplicate keys (which cJSON accepts). */
#ifndef SIM_JSONLOC_H
#define SIM_JSONLOC_H

#include <stddef.h>

/* Deepest nesting of arrays and objects the scanner follows (cJSON stops at 1000); deeper text
 * counts as invalid, so hostile input cannot exhaust memory. */
#define JSONLOC_MAX_DEPTH 10000

/* Line (1-based) of the value at `path` (syntax: name, .name, [index], e.g.
 * "components[2].service.mean"; "" is the root). When the path does not exist in full, the
 * line of its deepest existing ancestor (a missing member is reported on its object). Returns
 * 0 only when the text is not valid JSON. */
int jsonloc_line(const char *text, size_t len, const char *path);
/* Line (1-based) of byte `offset` in text. */
int jsonloc_offset_line(const char *text, size_t len, size_t offset);
/* Finds the first object member whose key repeats an earlier key of the same object. Returns 1
 * and writes its path (e.g. "workload.rate") and line, or 0 when there is none. */
int jsonloc_find_duplicate(const char *text, size_t len, char *path, size_t pathlen, int *line);

/* Finds the first string (member name or value) that is not valid UTF-8 or that holds a NUL
 * character (raw or \u0000, which cJSON would silently cut the string at). Returns 1 and
 * writes its path (for a member name: the object's), its line and what is wrong, or 0. */
int jsonloc_find_bad_string(const char *text, size_t len, char *path, size_t pathlen, int *line,
                            char *why, size_t whylen);
/* Whether s[0 .. n) is valid UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF); when not, *bad is the offset of the first byte that is wrong. */
int jsonloc_utf8_valid(const char *s, size_t n, size_t *bad);

/* The candidate closest to `word` by edit distance, when close enough to be a likely typo
 * (distance <= max(1, strlen(word) / 3)); NULL otherwise. candidates ends with NULL. */
const char *suggest_word(const char *word, const char *const *candidates);

#endif
