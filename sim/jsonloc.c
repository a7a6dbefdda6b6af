/* Finds where things are in the scenario's source text, because cJSON keeps no positions: one
 * iterative JSON scanner (an explicit stack, so no input can exhaust the C stack) serves path
 * lookup and duplicate-key detection. Edit-distance suggestions for misspelt names live here too.
 */
#include "sim/jsonloc.h"

#include "sim/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* The scanner accepts what cJSON 1.7 accepts, so that every document the loader parsed gets a
 * line: any byte <= 32 is whitespace, raw control characters may appear inside strings, numbers
 * follow strtod (leading zeros, "1." and "-.5" pass), a UTF-8 byte order mark is skipped, and
 * whatever follows the root value is ignored. It stops as soon as its answer is known, so text
 * after that point is not checked: the caller has validated the document with cJSON anyway. */

/* Frames kept on the C stack before the scanner allocates; scenarios rarely nest past 6. */
#define JSONLOC_SMALL_STACK 32

struct frame {
    size_t open;   /* byte offset of the '{' or '[' */
    size_t index;  /* members or elements before the current one */
    size_t key;    /* byte offset of the current member's key (its opening quote) */
    size_t serial; /* objects opened before this one, to tell apart objects in the key set */
    int is_object;
};

enum expect {
    EXPECT_VALUE,         /* the root, after ':' and after ',' in an array */
    EXPECT_FIRST_MEMBER,  /* after '{': a key or '}' */
    EXPECT_MEMBER,        /* after ',' in an object: a key */
    EXPECT_FIRST_ELEMENT, /* after '[': a value or ']' */
    EXPECT_AFTER,         /* after a value: ',' or the closing bracket, or the end at depth 0 */
    EXPECT_NOTHING,       /* after an error: every later call fails again */
};

enum event {
    EV_VALUE, /* a value starts at ev_off; its key or index is in stack[ev_depth - 1] */
    EV_END,   /* the container that opened at ev_off has closed */
    EV_DONE,  /* the root value is complete */
    EV_ERROR, /* invalid text, truncated text, or nesting deeper than JSONLOC_MAX_DEPTH */
};

struct walk {
    const unsigned char *s;
    size_t len; /* bytes */
    size_t pos; /* next byte to read */
    struct frame *stack;
    size_t depth; /* open containers */
    size_t cap;   /* frames allocated */
    size_t nobjects;
    enum expect expect;
    size_t ev_off;   /* EV_VALUE: first byte of the value; EV_END: the opening bracket */
    size_t ev_depth; /* containers around that value; 0 for the root */
    int ev_container;
    struct frame small[JSONLOC_SMALL_STACK];
};

static void walk_init(struct walk *w, const char *text, size_t len)
{
    w->s = (const unsigned char *)text;
    w->len = text ? len : 0;
    w->pos = 0;
    if (w->len >= 3 && w->s[0] == 0xEF && w->s[1] == 0xBB && w->s[2] == 0xBF)
        w->pos = 3;
    w->stack = w->small;
    w->depth = 0;
    w->cap = JSONLOC_SMALL_STACK;
    w->nobjects = 0;
    w->expect = EXPECT_VALUE;
    w->ev_off = w->ev_depth = 0;
    w->ev_container = 0;
}

static void walk_free(struct walk *w)
{
    if (w->stack != w->small)
        free(w->stack);
}

/* Four hex digits as cJSON reads them: anything else makes the whole escape 0, not an error. */
static unsigned hex4(const unsigned char *s)
{
    unsigned v = 0;
    for (size_t i = 0; i < 4; i++) {
        unsigned char c = s[i];
        if (c >= '0' && c <= '9')
            v = v * 16 + (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v = v * 16 + (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    return v;
}

static int utf8_encode(unsigned long cp, unsigned char out[4])
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Strings are read in cJSON's two passes, because the passes can disagree on what a backslash
 * escapes: first the closing quote, found by skipping the byte after every backslash; then the
 * body is decoded up to it. Returns the offset of the closing quote, or SIZE_MAX. */
static size_t string_end(const unsigned char *s, size_t len, size_t open)
{
    size_t p = open + 1;
    while (p < len && s[p] != '"') {
        if (s[p] == '\\' && ++p >= len)
            return SIZE_MAX;
        p++;
    }
    return p < len ? p : SIZE_MAX;
}

/* Decodes the character at *pos of a string body that ends at `end` (its closing quote, so
 * s[end] is readable): writes its UTF-8 bytes to out and returns how many; 0 at the end, -1 on
 * an invalid escape. Surrogates must pair up, as cJSON requires. */
static int string_next(const unsigned char *s, size_t end, size_t *pos, unsigned char out[4])
{
    size_t p = *pos;
    if (p >= end)
        return 0;
    if (s[p] != '\\') {
        out[0] = s[p];
        *pos = p + 1;
        return 1;
    }
    unsigned char e = s[p + 1];
    *pos = p + 2;
    switch (e) {
    case '"':
    case '\\':
    case '/':
        out[0] = e;
        return 1;
    case 'b':
        out[0] = '\b';
        return 1;
    case 'f':
        out[0] = '\f';
        return 1;
    case 'n':
        out[0] = '\n';
        return 1;
    case 'r':
        out[0] = '\r';
        return 1;
    case 't':
        out[0] = '\t';
        return 1;
    case 'u':
        break;
    default:
        return -1;
    }
    if (end - p < 6)
        return -1;
    unsigned hi = hex4(s + p + 2);
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return -1;
    if (hi < 0xD800 || hi > 0xDBFF) {
        *pos = p + 6;
        return utf8_encode(hi, out);
    }
    if (end - p < 12 || s[p + 6] != '\\' || s[p + 7] != 'u')
        return -1;
    unsigned lo = hex4(s + p + 8);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return -1;
    *pos = p + 12;
    return utf8_encode(0x10000UL + ((unsigned long)(hi & 0x3FF) << 10) + (lo & 0x3FF), out);
}

/* Skips the string whose opening quote is at w->pos, checking its escapes. */
static int scan_string(struct walk *w)
{
    size_t end = string_end(w->s, w->len, w->pos);
    if (end == SIZE_MAX)
        return 0;
    unsigned char buf[4];
    size_t p = w->pos + 1;
    int n;
    while ((n = string_next(w->s, end, &p, buf)) > 0)
        ;
    w->pos = end + 1;
    return n == 0;
}

/* Keys are compared as cJSON stores them, as C strings: a NUL (raw or \u0000) ends the key. */
static int key_next(const unsigned char *s, size_t end, size_t *pos, unsigned char out[4])
{
    int n = string_next(s, end, pos, out);
    return n == 1 && out[0] == '\0' ? 0 : n;
}

static size_t scan_digits(struct walk *w)
{
    size_t start = w->pos;
    while (w->pos < w->len && w->s[w->pos] >= '0' && w->s[w->pos] <= '9')
        w->pos++;
    return w->pos - start;
}

/* A number as strtod reads it after cJSON's check that it starts with '-' or a digit. An 'e'
 * without digits is left unread, where it then fails as an unexpected byte, as in cJSON. */
static int scan_number(struct walk *w)
{
    if (w->s[w->pos] == '-')
        w->pos++;
    size_t digits = scan_digits(w);
    if (w->pos < w->len && w->s[w->pos] == '.') {
        w->pos++;
        digits += scan_digits(w);
    }
    if (digits == 0)
        return 0;
    if (w->pos < w->len && (w->s[w->pos] == 'e' || w->s[w->pos] == 'E')) {
        size_t mark = w->pos++;
        if (w->pos < w->len && (w->s[w->pos] == '+' || w->s[w->pos] == '-'))
            w->pos++;
        if (scan_digits(w) == 0)
            w->pos = mark;
    }
    return 1;
}

static int scan_word(struct walk *w, const char *word)
{
    size_t n = strlen(word);
    if (w->len - w->pos < n || memcmp(w->s + w->pos, word, n) != 0)
        return 0;
    w->pos += n;
    return 1;
}

static enum event walk_fail(struct walk *w)
{
    w->expect = EXPECT_NOTHING;
    return EV_ERROR;
}

static enum event walk_value(struct walk *w)
{
    unsigned char c = w->s[w->pos];
    w->ev_off = w->pos;
    w->ev_depth = w->depth;
    w->ev_container = c == '{' || c == '[';
    if (w->ev_container) {
        if (w->depth >= JSONLOC_MAX_DEPTH)
            return walk_fail(w);
        if (w->depth == w->cap) {
            size_t cap = w->cap * 2;
            if (w->stack == w->small) {
                w->stack = sim_xmalloc(cap * sizeof *w->stack);
                memcpy(w->stack, w->small, sizeof w->small);
            } else {
                w->stack = sim_xrealloc(w->stack, cap * sizeof *w->stack);
            }
            w->cap = cap;
        }
        struct frame *f = &w->stack[w->depth++];
        f->open = w->pos;
        f->index = 0;
        f->key = 0;
        f->is_object = c == '{';
        f->serial = f->is_object ? w->nobjects++ : 0;
        w->expect = f->is_object ? EXPECT_FIRST_MEMBER : EXPECT_FIRST_ELEMENT;
        w->pos++;
        return EV_VALUE;
    }
    int ok;
    if (c == '"')
        ok = scan_string(w);
    else if (c == '-' || (c >= '0' && c <= '9'))
        ok = scan_number(w);
    else
        ok = scan_word(w, "true") || scan_word(w, "false") || scan_word(w, "null");
    if (!ok)
        return walk_fail(w);
    w->expect = EXPECT_AFTER;
    return EV_VALUE;
}

static enum event walk_close(struct walk *w)
{
    struct frame *f = &w->stack[--w->depth];
    w->ev_off = f->open;
    w->ev_depth = w->depth;
    w->pos++;
    w->expect = EXPECT_AFTER;
    return EV_END;
}

/* Reads up to the next event. */
static enum event walk_next(struct walk *w)
{
    for (;;) {
        if (w->expect == EXPECT_NOTHING)
            return EV_ERROR;
        if (w->expect == EXPECT_AFTER && w->depth == 0)
            return EV_DONE;
        while (w->pos < w->len && w->s[w->pos] <= 32)
            w->pos++;
        if (w->pos >= w->len)
            return walk_fail(w);
        unsigned char c = w->s[w->pos];
        struct frame *top = w->depth ? &w->stack[w->depth - 1] : NULL;
        switch (w->expect) {
        case EXPECT_VALUE:
            return walk_value(w);
        case EXPECT_FIRST_ELEMENT:
            if (c == ']')
                return walk_close(w);
            return walk_value(w);
        case EXPECT_FIRST_MEMBER:
        case EXPECT_MEMBER:
            if (c == '}' && w->expect == EXPECT_FIRST_MEMBER)
                return walk_close(w);
            if (c != '"')
                return walk_fail(w);
            top->key = w->pos;
            if (!scan_string(w))
                return walk_fail(w);
            while (w->pos < w->len && w->s[w->pos] <= 32)
                w->pos++;
            if (w->pos >= w->len || w->s[w->pos] != ':')
                return walk_fail(w);
            w->pos++;
            w->expect = EXPECT_VALUE;
            break;
        case EXPECT_AFTER:
            if (c == ',') {
                w->pos++;
                top->index++;
                w->expect = top->is_object ? EXPECT_MEMBER : EXPECT_VALUE;
            } else if (c == (top->is_object ? '}' : ']')) {
                return walk_close(w);
            } else {
                return walk_fail(w);
            }
            break;
        case EXPECT_NOTHING:
            return EV_ERROR;
        }
    }
}

/* Whether the key whose opening quote is at `key` is exactly want[0 .. n). */
static int key_equals(const struct walk *w, size_t key, const char *want, size_t n)
{
    size_t end = string_end(w->s, w->len, key);
    if (end == SIZE_MAX)
        return 0;
    size_t p = key + 1, got = 0;
    unsigned char buf[4];
    int k;
    while ((k = key_next(w->s, end, &p, buf)) > 0) {
        if ((size_t)k > n - got || memcmp(want + got, buf, (size_t)k) != 0)
            return 0;
        got += (size_t)k;
    }
    return k == 0 && got == n;
}

int jsonloc_offset_line(const char *text, size_t len, size_t offset)
{
    if (!text)
        return 1;
    if (offset > len)
        offset = len;
    int line = 1;
    const char *p = text, *end = text + offset;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        line++;
        p++;
    }
    return line;
}

/* One step of a path: a member name or an array index. */
struct seg {
    const char *name;
    size_t len;   /* bytes of name */
    size_t index; /* when is_index */
    int is_index;
    int bad; /* malformed ("[x]", "[", an index past SIZE_MAX): matches nothing */
};

/* Reads the segment at *rest; returns 0 at the end of the path. */
static int seg_next(const char **rest, struct seg *seg)
{
    const char *p = *rest;
    if (*p == '\0')
        return 0;
    memset(seg, 0, sizeof *seg);
    if (*p == '[') {
        p++;
        seg->is_index = 1;
        const char *digits = p;
        while (*p >= '0' && *p <= '9') {
            size_t d = (size_t)(*p - '0');
            if (seg->index > (SIZE_MAX - d) / 10)
                seg->bad = 1;
            else
                seg->index = seg->index * 10 + d;
            p++;
        }
        if (p == digits || *p != ']')
            seg->bad = 1;
        /* Nothing under a malformed step can match, so the rest of the path is moot. */
        *rest = seg->bad ? p + strlen(p) : p + 1;
        return 1;
    }
    if (*p == '.')
        p++;
    seg->name = p;
    while (*p && *p != '.' && *p != '[')
        p++;
    seg->len = (size_t)(p - seg->name);
    *rest = p;
    return 1;
}

static int seg_matches(const struct walk *w, const struct frame *f, const struct seg *seg)
{
    if (seg->bad)
        return 0;
    if (f->is_object)
        return !seg->is_index && key_equals(w, f->key, seg->name, seg->len);
    return seg->is_index && f->index == seg->index;
}

int jsonloc_line(const char *text, size_t len, const char *path)
{
    struct walk w;
    walk_init(&w, text, len);
    const char *rest = path ? path : "";
    struct seg seg;
    int have_seg = seg_next(&rest, &seg);
    /* The value matched so far (the deepest existing ancestor) sits at depth want - 1 and
     * opened at anc; the next step is looked for among the values at depth `want`. */
    size_t want = 0, anc = 0;
    size_t found = SIZE_MAX;
    for (;;) {
        enum event ev = walk_next(&w);
        if (ev == EV_ERROR || ev == EV_DONE)
            break;
        if (ev == EV_END) {
            if (want > 0 && w.ev_depth == want - 1) {
                found = anc;
                break;
            }
            continue;
        }
        if (w.ev_depth != want)
            continue;
        if (want > 0) {
            if (!seg_matches(&w, &w.stack[want - 1], &seg))
                continue;
            have_seg = seg_next(&rest, &seg);
        }
        if (!have_seg || !w.ev_container) {
            found = w.ev_off;
            break;
        }
        anc = w.ev_off;
        want++;
    }
    walk_free(&w);
    return found == SIZE_MAX ? 0 : jsonloc_offset_line(text, len, found);
}

/* Output that truncates instead of overflowing and is always terminated (when it has room). */
struct out {
    char *buf;
    size_t cap; /* bytes, including the terminator */
    size_t n;
};

static void out_put(struct out *o, const void *bytes, size_t n)
{
    if (o->cap == 0 || o->n >= o->cap - 1)
        return;
    size_t room = o->cap - 1 - o->n;
    if (n > room)
        n = room;
    memcpy(o->buf + o->n, bytes, n);
    o->n += n;
    o->buf[o->n] = '\0';
}

static void out_key(struct out *o, const struct walk *w, size_t key)
{
    size_t end = string_end(w->s, w->len, key);
    if (end == SIZE_MAX)
        return;
    size_t p = key + 1;
    unsigned char buf[4];
    int k;
    while ((k = key_next(w->s, end, &p, buf)) > 0)
        out_put(o, buf, (size_t)k);
}

/* The path of the value whose enclosing containers are stack[0 .. depth). */
static void out_path(struct out *o, const struct walk *w, size_t depth)
{
    for (size_t i = 0; i < depth; i++) {
        const struct frame *f = &w->stack[i];
        if (f->is_object) {
            if (i > 0)
                out_put(o, ".", 1);
            out_key(o, w, f->key);
        } else {
            char idx[32];
            int n = snprintf(idx, sizeof idx, "[%zu]", f->index);
            out_put(o, idx, (size_t)n);
        }
    }
}

/* Keys seen so far in every object, in one open-addressing table: an entry belongs to the
 * object with its serial, so closed objects need no clean-up and lookups stay O(1). */
struct keyslot {
    uint64_t hash;
    size_t serial; /* of the object */
    size_t key;    /* byte offset of the key's opening quote; SIZE_MAX when the slot is empty */
};

struct keyset {
    struct keyslot *slot;
    size_t cap; /* slots, a power of two */
    size_t n;
};

static void keyset_alloc(struct keyset *ks, size_t cap)
{
    ks->slot = sim_xmalloc(cap * sizeof *ks->slot);
    for (size_t i = 0; i < cap; i++)
        ks->slot[i].key = SIZE_MAX;
    ks->cap = cap;
    ks->n = 0;
}

static struct keyslot *keyset_probe(struct keyset *ks, uint64_t hash, size_t serial,
                                    const struct walk *w, const char *key, size_t n)
{
    size_t i = (size_t)hash & (ks->cap - 1);
    for (;;) {
        struct keyslot *s = &ks->slot[i];
        if (s->key == SIZE_MAX ||
            (s->hash == hash && s->serial == serial && key_equals(w, s->key, key, n)))
            return s;
        i = (i + 1) & (ks->cap - 1);
    }
}

static void keyset_grow(struct keyset *ks)
{
    struct keyset old = *ks;
    keyset_alloc(ks, old.cap * 2);
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slot[i].key == SIZE_MAX)
            continue;
        size_t j = (size_t)old.slot[i].hash & (ks->cap - 1);
        while (ks->slot[j].key != SIZE_MAX)
            j = (j + 1) & (ks->cap - 1);
        ks->slot[j] = old.slot[i];
        ks->n++;
    }
    free(old.slot);
}

int jsonloc_find_duplicate(const char *text, size_t len, char *path, size_t pathlen, int *line)
{
    struct out o = {path, path ? pathlen : 0, 0};
    if (o.cap)
        path[0] = '\0';
    if (line)
        *line = 0;
    struct walk w;
    walk_init(&w, text, len);
    struct keyset ks;
    keyset_alloc(&ks, 64);
    char *key = NULL;
    size_t keycap = 0;
    int found = 0;
    for (;;) {
        enum event ev = walk_next(&w);
        if (ev == EV_ERROR || ev == EV_DONE)
            break;
        if (ev != EV_VALUE || w.ev_depth == 0 || !w.stack[w.ev_depth - 1].is_object)
            continue;
        const struct frame *f = &w.stack[w.ev_depth - 1];
        /* The key was validated when scanned, so decoding it cannot fail here; it is copied
         * out to be hashed and compared as the text it stands for, escapes resolved. */
        size_t n = 0, p = f->key + 1, end = string_end(w.s, w.len, f->key);
        unsigned char buf[4];
        int k;
        while ((k = key_next(w.s, end, &p, buf)) > 0) {
            if (n + 4 > keycap) {
                keycap = keycap ? keycap * 2 : 64;
                key = sim_xrealloc(key, keycap);
            }
            memcpy(key + n, buf, (size_t)k);
            n += (size_t)k;
        }
        uint64_t hash = XXH3_64bits_withSeed(key, n, f->serial);
        struct keyslot *s = keyset_probe(&ks, hash, f->serial, &w, key, n);
        if (s->key != SIZE_MAX) {
            out_path(&o, &w, w.ev_depth);
            if (line)
                *line = jsonloc_offset_line(text, len, f->key);
            found = 1;
            break;
        }
        *s = (struct keyslot){hash, f->serial, f->key};
        if (++ks.n * 2 > ks.cap)
            keyset_grow(&ks);
    }
    free(key);
    free(ks.slot);
    walk_free(&w);
    return found;
}

/* Length of the UTF-8 sequence that starts at s[0] (n bytes left), or 0 when it is invalid:
 * the ranges of RFC 3629's table, which exclude overlong forms and surrogates. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

int jsonloc_utf8_valid(const char *s, size_t n, size_t *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(u + i, n - i);
        if (k == 0) {
            if (bad)
                *bad = i;
            return 0;
        }
        i += k;
    }
    return 1;
}

/* Checks the string whose opening quote is at `open` as cJSON will decode it: escapes resolved
 * (a \u escape always yields valid UTF-8, but may yield NUL), raw bytes taken as they are. */
static int string_ok(const struct walk *w, size_t open, char *why, size_t whylen)
{
    size_t end = string_end(w->s, w->len, open);
    if (end == SIZE_MAX)
        return 1; /* not a string the scanner accepted; cJSON has said so already */
    size_t p = open + 1;
    unsigned char buf[4];
    int k;
    while (p < end) {
        if (w->s[p] != '\\') {
            size_t n = utf8_seq(w->s + p, end - p);
            if (n == 0) {
                snprintf(why, whylen, "is not valid UTF-8 (byte 0x%02x)", w->s[p]);
                return 0;
            }
            if (w->s[p] == '\0') {
                snprintf(why, whylen, "holds a NUL byte");
                return 0;
            }
            p += n;
            continue;
        }
        k = string_next(w->s, end, &p, buf);
        if (k <= 0)
            return 1;
        if (k == 1 && buf[0] == '\0') {
            snprintf(why, whylen, "holds \\u0000 (a NUL character, which would cut it short)");
            return 0;
        }
    }
    return 1;
}

int jsonloc_find_bad_string(const char *text, size_t len, char *path, size_t pathlen, int *line,
                            char *why, size_t whylen)
{
    struct out o = {path, path ? pathlen : 0, 0};
    if (o.cap)
        path[0] = '\0';
    if (line)
        *line = 0;
    struct walk w;
    walk_init(&w, text, len);
    int found = 0;
    for (;;) {
        enum event ev = walk_next(&w);
        if (ev == EV_ERROR || ev == EV_DONE)
            break;
        if (ev != EV_VALUE)
            continue;
        size_t at = SIZE_MAX, depth = w.ev_depth;
        char what[96];
        if (depth > 0 && w.stack[depth - 1].is_object &&
            !string_ok(&w, w.stack[depth - 1].key, what, sizeof what)) {
            at = w.stack[depth - 1].key;
            depth--; /* the name itself cannot be printed: name its object */
            snprintf(why, whylen, "a member name %s", what);
        } else if (w.s[w.ev_off] == '"' && !string_ok(&w, w.ev_off, what, sizeof what)) {
            at = w.ev_off;
            snprintf(why, whylen, "the string %s", what);
        }
        if (at != SIZE_MAX) {
            out_path(&o, &w, depth);
            if (line)
                *line = jsonloc_offset_line(text, len, at);
            found = 1;
            break;
        }
    }
    walk_free(&w);
    return found;
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int same_but_case(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
            return 0;
    return *a == *b;
}

/* Optimal string alignment distance: Levenshtein plus the swap of two adjacent characters as
 * one edit, the commonest typing slip. rows holds 3 * (m + 1) entries. */
static size_t osa_distance(const char *a, size_t n, const char *b, size_t m, size_t *rows)
{
    size_t *two = rows, *one = rows + (m + 1), *cur = rows + 2 * (m + 1);
    for (size_t j = 0; j <= m; j++)
        one[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t best = one[j - 1] + (a[i - 1] != b[j - 1]);
            if (one[j] + 1 < best)
                best = one[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                two[j - 2] + 1 < best)
                best = two[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = two;
        two = one;
        one = cur;
        cur = t;
    }
    return one[m];
}

const char *suggest_word(const char *word, const char *const *candidates)
{
    if (!word || !candidates)
        return NULL;
    size_t n = strlen(word), maxm = 0;
    for (const char *const *c = candidates; *c; c++)
        if (strlen(*c) > maxm)
            maxm = strlen(*c);
    size_t limit = n / 3 > 1 ? n / 3 : 1;
    size_t *rows = sim_xmalloc(3 * (maxm + 1) * sizeof *rows);
    const char *best = NULL;
    size_t bestd = limit + 1;
    for (const char *const *c = candidates; *c; c++) {
        size_t m = strlen(*c);
        /* Each edit changes the length by at most one. */
        if ((m > n ? m - n : n - m) > limit)
            continue;
        size_t d;
        /* "Workers" or "WORKERS" for "workers" is one slip (the shift key), not several. */
        if (same_but_case(word, *c))
            d = strcmp(word, *c) != 0;
        else
            d = osa_distance(word, n, *c, m, rows);
        if (d < bestd) {
            best = *c;
            bestd = d;
        }
    }
    free(rows);
    return best;
}
