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
    char func[FUNC_MAX]; /* "" when the report has no name (<null>) */
    char loc[LOC_MAX];   /* "pool.c:42", or "" if unknown */
    char module[64];     /* "libcurl.so.4" for code without source lines */
    int in_file;         /* in the participant's file */
    int in_runtime;      /* in the sanitizer, libc or pthread */
    int in_driver;       /* in the grader's driver (tests/grade/): never the cause */
    int in_ours;         /* in the project's library (src/) */
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

/* "(/lib/x86_64-linux-gnu/libcurl.so.4+0x5dbb3)" -> "libcurl.so.4"; the C
 * library, pthread and the sanitizers' own libraries are runtime. */
static void parse_module(const char *tok, struct frame *f)
{
    const char *start = tok + (tok[0] == '(');
    const char *slash = strrchr(start, '/');
    start = slash != NULL ? slash + 1 : start;
    size_t n = strcspn(start, "+)");
    snprintf(f->module, sizeof f->module, "%.*s", (int)n, start);
    static const char *const runtime[] = {"libc.so", "libpthread", "ld-linux",
                                          "libtsan", "libasan",    "libubsan",
                                          "liblsan", "libstdc++",  "libgcc_s"};
    f->in_runtime = f->module[0] == '\0';
    for (size_t i = 0; i < sizeof runtime / sizeof *runtime; i++)
        f->in_runtime |= strncmp(f->module, runtime[i], strlen(runtime[i])) == 0;
}

/* Parses a stack frame line: "#N [0xADDR in] FUNC LOCATION [(MODULE+0xOFF)]",
 * "#N 0xADDR  (MODULE+0xOFF)" or TSan's "#N <null> <null> (MODULE+0xOFF)". */
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
    if (tok == NULL) {
        f->in_runtime = 1;
        return 1;
    }
    if (tok[0] == '(') { /* no name: only the module */
        parse_module(tok, f);
        return 1;
    }
    if (strcmp(tok, "<null>") != 0)
        snprintf(f->func, sizeof f->func, "%s", tok);
    char *where = strtok_r(NULL, " \t", &save);
    if (where != NULL && strcmp(where, "<null>") == 0)
        where = strtok_r(NULL, " \t", &save);
    if (where != NULL && where[0] != '(' && strchr(where, ':') != NULL) {
        f->in_file = file != NULL && *file != '\0' && strstr(where, file) != NULL;
        f->in_runtime = strstr(where, "libsanitizer") != NULL || strstr(where, "sysdeps") != NULL ||
                        strstr(where, "nptl") != NULL || strstr(where, "csu/") != NULL ||
                        strstr(where, "sanitizer_common") != NULL;
        f->in_driver = !f->in_file && strstr(where, "tests/grade/") != NULL;
        f->in_ours = !f->in_file && !f->in_runtime &&
                     (strncmp(where, "src/", 4) == 0 || strstr(where, "/src/") != NULL);
        short_loc(where, f->loc, sizeof f->loc);
    } else if (where != NULL && where[0] == '(') {
        parse_module(where, f); /* a library without debug info */
    } else {
        f->in_runtime = 1;
    }
    if (strncmp(f->func, "__interceptor_", 14) == 0 || strncmp(f->func, "__tsan", 6) == 0 ||
        strncmp(f->func, "__asan", 6) == 0 || strncmp(f->func, "__sanitizer", 11) == 0)
        f->in_runtime = 1;
    return 1;
}

/* The telling frame of one stack, and the library call it was in. */
struct pick {
    struct frame at;  /* the participant's frame, else the best there is */
    struct frame api; /* the library function the participant called, if named */
    int have_api;
};

/* Picks the telling frame of the stack that follows *s, and moves *s past
 * it. Returns 0 if no stack follows. In order of preference: the first frame
 * in the participant's file (with the named library function nearest below
 * it: what they called); the first named function of a library (ours in
 * src/, or libcurl's); the first frame of a library without symbols; the
 * first frame that is not the sanitizer's runtime or the grader's driver;
 * the first frame. */
static int pick_stack(const char **s, const char *file, struct pick *out)
{
    struct frame f, named_lib = {0}, bare_lib = {0}, plain = {0}, api = {0};
    int frames = 0, have_ours = 0, have_named = 0, have_bare = 0, have_plain = 0, have_api = 0;
    memset(out, 0, sizeof *out);
    const char *p = *s;
    /* Skip to the first frame, but not past a blank line. */
    while (*p != '\0' && *p != '\n' && !parse_frame(p + strspn(p, " "), file, &f))
        p = next_line(p);
    for (; *p != '\0' && parse_frame(p + strspn(p, " "), file, &f); p = next_line(p)) {
        if (frames++ == 0)
            out->at = f;
        if (have_ours)
            continue;
        if (f.in_file) {
            out->at = f;
            out->api = api;
            out->have_api = have_api;
            have_ours = 1;
            continue;
        }
        int lib = !f.in_runtime && !f.in_driver && (f.in_ours || f.module[0] != '\0');
        if (lib && f.func[0] != '\0') {
            api = f; /* the latest named library function below the caller */
            have_api = 1;
            if (!have_named)
                named_lib = f, have_named = 1;
        }
        if (lib && f.func[0] == '\0' && !have_bare)
            bare_lib = f, have_bare = 1;
        if (!f.in_runtime && !f.in_driver && !have_plain)
            plain = f, have_plain = 1;
    }
    *s = p;
    if (!have_ours) {
        if (have_named)
            out->at = named_lib;
        else if (have_bare)
            out->at = bare_lib;
        else if (have_plain)
            out->at = plain;
    }
    return frames > 0;
}

/* For the callers that only want the one frame. */
static int pick_frame(const char **s, const char *file, struct frame *out)
{
    struct pick pk;
    int rc = pick_stack(s, file, &pk);
    *out = pk.at;
    return rc;
}

/* "libcurl.so.4" -> "libcurl" */
static void module_name(const char *module, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.*s", (int)strcspn(module, "."), module);
}

static void frame_text(const struct frame *f, char *buf, size_t cap)
{
    char mod[64];
    module_name(f->module, mod, sizeof mod);
    if (f->func[0] != '\0' && f->loc[0] != '\0')
        snprintf(buf, cap, "%s() at %s", f->func, f->loc);
    else if (f->func[0] != '\0' && mod[0] != '\0')
        snprintf(buf, cap, "%s() in %s", f->func, mod);
    else if (f->func[0] != '\0')
        snprintf(buf, cap, "%s()", f->func);
    else if (mod[0] != '\0')
        snprintf(buf, cap, "%s", mod); /* a library without symbols: its name is all */
    else
        snprintf(buf, cap, "an unknown place");
}

/* frame_text, plus the library call it was in: "worker() at fetch_pool.c:55
 * (in curl_easy_perform())". */
static void pick_text(const struct pick *pk, char *buf, size_t cap)
{
    frame_text(&pk->at, buf, cap);
    size_t n = strlen(buf);
    if (pk->have_api && pk->at.in_file && n < cap)
        snprintf(buf + n, cap - n, " (in %s())", pk->api.func);
}

/* What a library function in a report means, for the functions a
 * participant meets: the handle it made, and who frees it. */
static const char *meaning(const char *func)
{
    static const struct {
        const char *func, *means;
    } table[] = {
        {"curl_share_init", "a share handle: curl_share_cleanup() frees it, once every worker "
                            "is joined (and check what it returns)"},
        {"curl_easy_init", "an easy handle: fetch_xfer_cleanup() (or curl_easy_cleanup) frees it"},
        {"curl_easy_duphandle", "an easy handle: curl_easy_cleanup() frees it"},
        {"curl_multi_init", "a multi handle: curl_multi_cleanup() frees it, after its easy "
                            "handles are removed"},
        {"fetch_xfer_init", "a transfer's handle and buffers: fetch_xfer_cleanup() frees them"},
        {"on_body", "a response body being received: fetch_xfer_cleanup() frees it"},
        {"img_alloc", "an image's pixels: img_free() frees them"},
        {"img_alloc_like", "an image's pixels: img_free() frees them"},
        {"img_load", "a decoded image: img_free() frees it"},
        {"chan_open", "a channel: chan_free() frees it, once nobody uses it"},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(func, table[i].func) == 0)
            return table[i].means;
    return NULL;
}

/* The meaning of the library function in pk, if it has one. */
static const char *pick_meaning(const struct pick *pk)
{
    const char *m = pk->have_api ? meaning(pk->api.func) : NULL;
    return m != NULL ? m : meaning(pk->at.func);
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

/* "==13769==ERROR: ThreadSanitizer: SEGV on unknown address (pc 0x.. bp 0x..
 * sp 0x.. T13773)": TSan names the thread by its kernel id, the process by
 * its pid; a thread id other than the pid is a worker. Returns 1 and writes
 * the sentence if the report is such a crash. */
static int tsan_segv(const char *report, const char *file, char *buf, size_t cap)
{
    const char *e = strstr(report, "ERROR: ThreadSanitizer: SEGV");
    if (e == NULL)
        return 0;
    long pid = 0;
    const char *start = e;
    while (start > report && start[-1] != '\n')
        start--;
    if (strncmp(start, "==", 2) == 0)
        pid = strtol(start + 2, NULL, 10);
    char line[512];
    line_copy(e, line, sizeof line);
    char *t = strrchr(line, 'T');
    long tid = t != NULL && t[1] >= '0' && t[1] <= '9' ? strtol(t + 1, NULL, 10) : 0;
    const char *p = next_line(e);
    struct pick pk;
    char at[2 * FUNC_MAX + LOC_MAX + 32];
    if (!pick_stack(&p, file, &pk))
        memset(&pk, 0, sizeof pk);
    pick_text(&pk, at, sizeof at);
    if (tid != 0 && tid != pid && !pk.at.in_file)
        snprintf(buf, cap,
                 "SEGV in a thread other than main: in %s - a thread still ran after its data "
                 "was freed: was it joined?",
                 at);
    else if (tid != 0 && tid != pid)
        snprintf(buf, cap,
                 "SEGV in a thread other than main: in %s - is what it uses still alive? A "
                 "thread that is not joined can outlive the data it was given",
                 at);
    else
        snprintf(buf, cap, "SEGV: in %s", at);
    return 1;
}

int grade_tsan_parse(const char *report, const char *file, char *buf, size_t cap)
{
    static const char tag[] = "WARNING: ThreadSanitizer: ";
    int warnings = 0;
    for (const char *p = strstr(report, tag); p != NULL; p = strstr(p + 1, tag))
        warnings++;
    if (warnings == 0)
        return tsan_segv(report, file, buf, cap);

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
    int parts = 0, ours = 0; /* accesses in the participant's file */
    char lib[64] = "";       /* a library an access was in */
    const char *p = next_line(w);
    while (p < end && parts < 2) {
        char what[64], who[64];
        if (parse_access(p, what, sizeof what, who, sizeof who)) {
            struct pick pk;
            p = next_line(p);
            if (!pick_stack(&p, file, &pk))
                continue;
            char at[2 * FUNC_MAX + LOC_MAX + 32];
            pick_text(&pk, at, sizeof at);
            snprintf(part[parts++], sizeof part[0], "%s in %s (%s)", what, at, who);
            ours += pk.at.in_file;
            if (pk.at.module[0] != '\0' && !pk.at.in_runtime)
                module_name(pk.at.module, lib, sizeof lib);
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
            char at[FUNC_MAX + LOC_MAX + 32];
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

    /* A race inside a library, with no access in the participant's file: say
     * what that usually means, and where the threads were started. */
    if (parts > 0 && ours == 0 && lib[0] != '\0') {
        size_t n = strlen(buf);
        if (strcmp(lib, "libcurl") == 0)
            snprintf(buf + n, cap - n,
                     " - two threads used one piece of libcurl's data at once: a share handle "
                     "without lock functions (CURLSHOPT_LOCKFUNC, CURLSHOPT_UNLOCKFUNC), or an "
                     "easy handle used by two threads?");
        else
            snprintf(buf + n, cap - n, " - two threads used %s's data at once, unlocked", lib);
        const char *created = strstr(w, " created by ");
        struct pick pk;
        if (created != NULL && created < end) {
            const char *q = next_line(created);
            if (pick_stack(&q, file, &pk) && pk.at.in_file) {
                char at[2 * FUNC_MAX + LOC_MAX + 32];
                frame_text(&pk.at, at, sizeof at);
                n = strlen(buf);
                snprintf(buf + n, cap - n, " (threads started in %s)", at);
            }
        }
    }
    return warnings;
}

/* The thread an ASan error happened in: "READ of size 8 at 0x... thread T3"
 * or, for a SEGV, the "(pc ... T3)" at the end of the error line. */
static void error_thread(const char *error, const char *access, char *buf, size_t cap)
{
    const char *t = strstr(access, " thread ");
    if (t != NULL) {
        snprintf(buf, cap, "%.*s", (int)strcspn(t + 8, " \n"), t + 8);
        return;
    }
    char line[512];
    line_copy(error, line, sizeof line);
    char *close = strrchr(line, ')');
    if (close == NULL)
        return;
    *close = '\0';
    char *sp = strrchr(line, ' ');
    if (sp != NULL && sp[1] == 'T' && sp[2] >= '0' && sp[2] <= '9')
        snprintf(buf, cap, "%s", sp + 1);
}

int grade_asan_parse(const char *report, const char *file, char *buf, size_t cap)
{
    char head[256], at[2 * FUNC_MAX + LOC_MAX + 32];

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
        /* A struct pointer that is misaligned was not made by malloc: it
         * points into memory freed and reused - typically by a thread that
         * outlived the data it was given. */
        if (strstr(head, "misaligned address") != NULL) {
            size_t n = strlen(buf);
            snprintf(
                buf + n, cap - n,
                " - a pointer into memory that was freed and reused. Did a thread still run after "
                "its data was freed: was it joined?");
        }
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
        struct pick pk;
        if (!pick_stack(&p, file, &pk))
            memset(&pk, 0, sizeof pk);
        const char *by = "in";
        if (pk.have_api && pk.at.in_file) { /* "by curl_share_init() from run() at x.c:70" */
            char from[FUNC_MAX + LOC_MAX + 16];
            frame_text(&pk.at, from, sizeof from);
            snprintf(at, sizeof at, "%s() from %s", pk.api.func, from);
            by = "by";
        } else {
            pick_text(&pk, at, sizeof at);
        }
        const char *means = pick_meaning(&pk);
        const char *sum = strstr(report, "SUMMARY: AddressSanitizer: ");
        char total[160] = "";
        if (sum != NULL) {
            line_copy(sum + strlen("SUMMARY: AddressSanitizer: "), head, sizeof head);
            snprintf(total, sizeof total, " (in all: %s)", head);
        }
        if (blocks > 1)
            snprintf(buf, cap, "leak: %ld bytes in %ld blocks allocated %s %s were never freed%s",
                     bytes, blocks, by, at, total);
        else
            snprintf(buf, cap, "leak: %ld bytes allocated %s %s were never freed%s", bytes, by, at,
                     total);
        if (means != NULL) {
            size_t n = strlen(buf);
            snprintf(buf + n, cap - n, " - %s", means);
        }
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
        char access[128] = "", raw[128] = "";
        /* "READ of size 4 at 0x... thread T0" precedes the stack. */
        if (strncmp(p, "READ of size", 12) == 0 || strncmp(p, "WRITE of size", 13) == 0) {
            line_copy(p, access, sizeof access);
            line_copy(p, raw, sizeof raw);
            char *addr = strstr(access, " at ");
            if (addr != NULL)
                strcpy(addr, " ");
        }
        struct pick pk;
        if (!pick_stack(&p, file, &pk))
            memset(&pk, 0, sizeof pk);
        pick_text(&pk, at, sizeof at);
        snprintf(buf, cap, "%s: %sin %s", head, access, at);
        /* Which thread faulted, and which freed the memory: a worker that
         * touches what another thread freed, or faults somewhere unknown,
         * is almost always a thread that outlived its data. */
        char thread[16] = "", freer[16] = "";
        error_thread(error, raw, thread, sizeof thread);
        const char *freed = strstr(error, "freed by thread ");
        if (freed != NULL)
            snprintf(freer, sizeof freer, "%.*s", (int)strcspn(freed + 16, " \n"), freed + 16);
        int worker = thread[0] == 'T' && strcmp(thread, "T0") != 0;
        int outlived =
            worker && ((freer[0] != '\0' && strcmp(freer, thread) != 0) || !pk.at.in_file);
        if (worker && !outlived && strncmp(head, "SEGV", 4) == 0) {
            snprintf(buf, cap,
                     "%s in thread %s: %sin %s - is what it uses still alive? A thread that is "
                     "not joined can outlive the data it was given",
                     head, thread, access, at);
        }
        if (outlived) {
            snprintf(buf, cap,
                     "%s in thread %s: %sin %s - a thread still ran after its data was "
                     "freed: was it joined?",
                     head, thread, access, at);
            if (freer[0] != '\0') {
                const char *q = next_line(freed);
                struct pick fp;
                char where[2 * FUNC_MAX + LOC_MAX + 32];
                if (pick_stack(&q, file, &fp) && fp.at.in_file) {
                    frame_text(&fp.at, where, sizeof where);
                    size_t n = strlen(buf);
                    snprintf(buf + n, cap - n, " (freed by thread %s in %s)", freer, where);
                }
            }
        }
        return 1;
    }
    return 0;
}
