/* grade_sanitizer.c - one sentence from a sanitizer's report; see grade.h.
 *
 * A sanitizer report is long: two or three stack traces of a dozen frames,
 * most of them in the C library, pthread or the sanitizer itself, then a
 * page of shadow bytes. A participant needs one line: what went wrong, and
 * where in *their* file. So for each stack we keep one frame - the first in
 * the participant's file, else the first outside the sanitizer's runtime -
 * and print it as "worker() at pool.c:42".
 *
 * The reports look like this (GCC 12's libsanitizer):
 *
 *     WARNING: ThreadSanitizer: data race (pid=10955)
 *       Write of size 4 at 0x5648f3ff005c by thread T2:
 *         #0 worker exercises/05-pool/pool.c:42 (races+0x11cf)
 *       Previous read of size 4 at 0x5648f3ff005c by thread T1:
 *         #0 worker exercises/05-pool/pool.c:40 (races+0x11f3)
 *       Location is global 'next' of size 4 at 0x5648f3ff005c (races+0x405c)
 *
 *     ==13052==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020...
 *     READ of size 4 at 0x602000000010 thread T0
 *         #0 0x564a9c3cf246 in worker exercises/05-pool/pool.c:51
 *
 *     Direct leak of 40 byte(s) in 1 object(s) allocated from:
 *         #0 0x7f43ca2b89cf in __interceptor_malloc ../../../../src/libsanitizer/...
 *         #1 0x5589daf4643e in worker exercises/05-pool/pool.c:30
 *
 *     exercises/05-pool/pool.c:12:5: runtime error: signed integer overflow: ...
 */
#include "grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUNC_MAX 128
#define LOC_MAX 256

struct frame {
    char func[FUNC_MAX];
    char loc[LOC_MAX]; /* "pool.c:42", or "" if unknown */
    int in_file;       /* in the participant's file */
    int in_runtime;    /* in the sanitizer, libc or pthread */
};

/* The line starting at s, copied into buf without its newline. */
static const char *line_copy(const char *s, char *buf, size_t cap)
{
    size_t n = strcspn(s, "\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return s;
}

static const char *next_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl != NULL ? nl + 1 : s + strlen(s);
}

/* "exercises/05-pool/pool.c:42:7" -> "pool.c:42" */
static void short_loc(const char *loc, char *out, size_t cap)
{
    const char *base = strrchr(loc, '/');
    base = base != NULL ? base + 1 : loc;
    snprintf(out, cap, "%s", base);
    char *colon = strchr(out, ':');
    if (colon != NULL && (colon = strchr(colon + 1, ':')) != NULL)
        *colon = '\0';
}

/* Parses a stack frame line: "#N [0xADDR in] FUNC LOCATION [(MODULE+0xOFF)]". */
static int parse_frame(const char *line, const char *file, struct frame *f)
{
    char buf[1024], *save;
    line_copy(line, buf, sizeof buf);
    char *tok = strtok_r(buf, " \t", &save);
    if (tok == NULL || tok[0] != '#')
        return 0;
    memset(f, 0, sizeof *f);
    tok = strtok_r(NULL, " \t", &save);
    if (tok != NULL && strncmp(tok, "0x", 2) == 0)
        tok = strtok_r(NULL, " \t", &save);
    if (tok != NULL && strcmp(tok, "in") == 0)
        tok = strtok_r(NULL, " \t", &save);
    if (tok == NULL || tok[0] == '(')
        return 1;
    snprintf(f->func, sizeof f->func, "%s", tok);
    char *where = strtok_r(NULL, " \t", &save);
    if (where != NULL && where[0] != '(' && strchr(where, ':') != NULL) {
        f->in_file = file != NULL && *file != '\0' && strstr(where, file) != NULL;
        f->in_runtime = strstr(where, "libsanitizer") != NULL || strstr(where, "sysdeps") != NULL ||
                        strstr(where, "nptl") != NULL || strstr(where, "csu/") != NULL;
        short_loc(where, f->loc, sizeof f->loc);
    } else {
        f->in_runtime = 1; /* no source line: a library without debug info */
    }
    if (strncmp(f->func, "__interceptor_", 14) == 0 || strncmp(f->func, "__tsan", 6) == 0 ||
        strncmp(f->func, "__asan", 6) == 0)
        f->in_runtime = 1;
    return 1;
}

/* Picks the telling frame of the stack that follows *s, and moves *s past
 * it. Returns 0 if no stack follows. */
static int pick_frame(const char **s, const char *file, struct frame *out)
{
    struct frame f, first_ours = {0}, first = {0};
    int frames = 0, have_ours = 0, have_first = 0;
    const char *p = *s;
    /* Skip to the first frame, but not past a blank line. */
    while (*p != '\0' && *p != '\n' && !parse_frame(p + strspn(p, " "), file, &f))
        p = next_line(p);
    for (; *p != '\0' && parse_frame(p + strspn(p, " "), file, &f); p = next_line(p)) {
        if (frames++ == 0)
            *out = f;
        if (f.in_file && !have_ours) {
            first_ours = f;
            have_ours = 1;
        }
        if (!f.in_runtime && !have_first) {
            first = f;
            have_first = 1;
        }
    }
    *s = p;
    if (have_ours)
        *out = first_ours;
    else if (have_first)
        *out = first;
    return frames > 0;
}

static void frame_text(const struct frame *f, char *buf, size_t cap)
{
    if (f->loc[0] != '\0')
        snprintf(buf, cap, "%s() at %s", f->func, f->loc);
    else if (f->func[0] != '\0')
        snprintf(buf, cap, "%s()", f->func);
    else
        snprintf(buf, cap, "an unknown place");
}

/* "  Previous write of size 4 at 0x... by thread T1:" -> "earlier write",
 * "thread T1". Returns 0 if the line is not the head of an access. */
static int parse_access(const char *line, char *what, size_t wcap, char *who, size_t hcap)
{
    char buf[512];
    line_copy(line + strspn(line, " "), buf, sizeof buf);
    char *size = strstr(buf, " of size ");
    char *by = strstr(buf, " by ");
    if (size == NULL || by == NULL)
        return 0;
    *size = '\0';
    char *end = strpbrk(by + 4, ":(");
    if (end != NULL)
        *end = '\0';
    const char *kind = buf;
    int previous = strncmp(kind, "Previous ", 9) == 0;
    if (previous)
        kind += 9;
    snprintf(what, wcap, "%s%s", previous ? "earlier " : "", kind);
    for (char *c = what; *c != '\0'; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    snprintf(who, hcap, "%s", by + 4);
    size_t n = strlen(who);
    while (n > 0 && who[n - 1] == ' ')
        who[--n] = '\0';
    return 1;
}

int grade_tsan_parse(const char *report, const char *file, char *buf, size_t cap)
{
    static const char tag[] = "WARNING: ThreadSanitizer: ";
    int warnings = 0;
    for (const char *p = strstr(report, tag); p != NULL; p = strstr(p + 1, tag))
        warnings++;
    if (warnings == 0)
        return 0;

    const char *w = strstr(report, tag) + strlen(tag);
    char kind[128];
    line_copy(w, kind, sizeof kind);
    char *pid = strstr(kind, " (pid=");
    if (pid != NULL)
        *pid = '\0';
    const char *end = strstr(w, "SUMMARY:");
    if (end == NULL)
        end = w + strlen(w);

    /* The accesses (or, for other warnings, the first stack). */
    char part[2][GRADE_TEXT_MAX / 2];
    int parts = 0;
    const char *p = next_line(w);
    while (p < end && parts < 2) {
        char what[64], who[64];
        if (parse_access(p, what, sizeof what, who, sizeof who)) {
            struct frame f;
            p = next_line(p);
            if (!pick_frame(&p, file, &f))
                continue;
            char at[FUNC_MAX + LOC_MAX + 16];
            frame_text(&f, at, sizeof at);
            snprintf(part[parts++], sizeof part[0], "%s in %s (%s)", what, at, who);
        } else {
            p = next_line(p);
        }
    }
    if (parts == 0) {
        struct frame f;
        /* No access lines: the first stack of the warning, blank lines and all. */
        p = next_line(w);
        while (p < end && p[strspn(p, " ")] != '#')
            p = next_line(p);
        if (p < end && pick_frame(&p, file, &f)) {
            frame_text(&f, part[0], sizeof part[0]);
            parts = 1;
        }
    }

    /* "Location is global 'next' ...", "... stack of main thread.", "... heap
     * block of size 64 at 0x... allocated by main thread:" and its stack. */
    char on[GRADE_TEXT_MAX / 4] = "";
    const char *loc = strstr(w, "Location is ");
    if (loc != NULL && loc < end) {
        loc += strlen("Location is ");
        char line[256];
        line_copy(loc, line, sizeof line);
        struct frame f;
        const char *after = next_line(loc);
        if (strncmp(line, "global '", 8) == 0 && strncmp(line, "global '<null>'", 15) != 0) {
            snprintf(on, sizeof on, " on global '%.*s'", (int)strcspn(line + 8, "'"), line + 8);
        } else if (strncmp(line, "stack of ", 9) == 0) {
            snprintf(on, sizeof on, " on a local variable of %.*s", (int)strcspn(line + 9, "."),
                     line + 9);
        } else if (strncmp(line, "heap block", 10) == 0 && pick_frame(&after, file, &f)) {
            char at[FUNC_MAX + LOC_MAX + 16];
            frame_text(&f, at, sizeof at);
            snprintf(on, sizeof on, " on memory allocated in %s", at);
        }
    }

    if (parts == 2)
        snprintf(buf, cap, "%s%s: %s and %s", kind, on, part[0], part[1]);
    else if (parts == 1)
        snprintf(buf, cap, "%s%s: %s", kind, on, part[0]);
    else
        snprintf(buf, cap, "%s%s", kind, on);
    return warnings;
}

int grade_asan_parse(const char *report, const char *file, char *buf, size_t cap)
{
    char head[256], at[FUNC_MAX + LOC_MAX + 16];
    struct frame f;

    /* UBSan, recoverable or not, writes "file:line:col: runtime error: ...". */
    const char *ub = strstr(report, ": runtime error: ");
    if (ub != NULL) {
        const char *start = ub;
        while (start > report && start[-1] != '\n')
            start--;
        char where[LOC_MAX], loc[LOC_MAX];
        snprintf(where, sizeof where, "%.*s", (int)(ub - start), start);
        short_loc(where, loc, sizeof loc);
        line_copy(ub + strlen(": runtime error: "), head, sizeof head);
        snprintf(buf, cap, "undefined behaviour at %s: %s", loc, head);
        return 1;
    }

    /* A leak: the first direct leak, where its memory was allocated. */
    const char *leak = strstr(report, "Direct leak of ");
    if (leak == NULL)
        leak = strstr(report, "Indirect leak of ");
    if (leak != NULL) {
        /* "Direct leak of 200 byte(s) in 5 object(s) allocated from:" */
        char *rest;
        long bytes = strtol(strstr(leak, "leak of ") + 8, &rest, 10);
        const char *in = strstr(rest, " in ");
        long blocks = in != NULL && in < next_line(leak) ? strtol(in + 4, NULL, 10) : 1;
        const char *p = next_line(leak);
        if (!pick_frame(&p, file, &f))
            memset(&f, 0, sizeof f);
        frame_text(&f, at, sizeof at);
        const char *sum = strstr(report, "SUMMARY: AddressSanitizer: ");
        char total[160] = "";
        if (sum != NULL) {
            line_copy(sum + strlen("SUMMARY: AddressSanitizer: "), head, sizeof head);
            snprintf(total, sizeof total, " (in all: %s)", head);
        }
        if (blocks > 1)
            snprintf(buf, cap, "leak: %ld bytes in %ld blocks allocated in %s were never freed%s",
                     bytes, blocks, at, total);
        else
            snprintf(buf, cap, "leak: %ld bytes allocated in %s were never freed%s", bytes, at,
                     total);
        return 1;
    }

    /* Any other error: "==PID==ERROR: AddressSanitizer: heap-use-after-free on ..." */
    const char *error = strstr(report, "ERROR: AddressSanitizer: ");
    if (error == NULL)
        error = strstr(report, "ERROR: LeakSanitizer: ");
    if (error != NULL) {
        line_copy(strstr(error, "Sanitizer: ") + strlen("Sanitizer: "), head, sizeof head);
        char *on = strstr(head, " on ");
        if (on != NULL)
            *on = '\0';
        const char *p = next_line(error);
        char access[128] = "";
        /* "READ of size 4 at 0x... thread T0" precedes the stack. */
        if (strncmp(p, "READ of size", 12) == 0 || strncmp(p, "WRITE of size", 13) == 0) {
            line_copy(p, access, sizeof access);
            char *addr = strstr(access, " at ");
            if (addr != NULL)
                strcpy(addr, " ");
        }
        if (!pick_frame(&p, file, &f))
            memset(&f, 0, sizeof f);
        frame_text(&f, at, sizeof at);
        snprintf(buf, cap, "%s: %sin %s", head, access, at);
        return 1;
    }
    return 0;
}
