/* alloc_fail.c - allocation-failure injection, as SQLite's test suite does it.
 *
 *     build/alloc/alloc_fail tests/alloc        (or: make test-alloc)
 *
 * Out of memory is the error nobody sees in a test run, so its handling is
 * the least tested code there is. Here each scenario - decoding a small PNG
 * and a JPEG, rewriting the JPEG as a baseline one (no file may be left
 * behind), parsing an RSS and an Atom feed,
 * reading a run log, loading and saving a read state - is run again and
 * again: run N makes the Nth allocation fail, for N = 1, 2, ... until a run
 * ends without reaching its Nth allocation (it needed fewer: every
 * allocation has been failed once). Every run must then
 *
 *  - not crash (AddressSanitizer stops the program on a bad access);
 *  - succeed, or fail with an error message (struct err) - never silently;
 *  - leak nothing: LeakSanitizer looks for unreachable blocks after each run
 *    (__lsan_do_recoverable_leak_check), so a leak is pinned to its N.
 *
 * Which allocations are counted: every malloc, calloc, realloc and strdup
 * called from retreat's own code and from stb_image (compiled in here from
 * tests/fuzz/stb.c), through the linker's --wrap (see the Makefile's
 * test-alloc); libxml2's, through xmlMemSetup(); jansson's, through
 * json_set_alloc_funcs(). Allocations inside libc itself (getline, fopen)
 * are not counted: they are not ours to fail.
 *
 * The counters are globals because the allocator hooks take no user
 * pointer; the program is single-threaded.
 */
#include <errno.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xmlmemory.h>
#include <sanitizer/lsan_interface.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"
#include "img.h"
#include "readstate.h"
#include "runlog.h"

/* --- The failing allocator ------------------------------------------------ */

static long fail_at;   /* the allocation to fail, 1-based; 0: none */
static long calls;     /* allocations counted in this run */
static int has_failed; /* 1 once allocation fail_at has been refused */

static int refuse(void)
{
    calls++;
    if (fail_at != 0 && calls == fail_at) {
        has_failed = 1;
        return 1;
    }
    return 0;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
    return refuse() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return refuse() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return refuse() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    if (refuse())
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = __real_malloc(n);
    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

/* libxml2's and jansson's hooks: the same counter. */
static char *xml_strdup(const char *s)
{
    return __wrap_strdup(s);
}

/* libxml2's error printer, silenced. */
static void quiet(void *ctx, const char *fmt, ...)
{
    (void)ctx, (void)fmt;
}

/* --- Scenarios ------------------------------------------------------------ */

struct fixtures {
    const char *dir;
    char png[512], jpeg[512], runlog[512], state_src[512], state[512], copy[512];
    char *rss, *atom; /* feed bodies, read before any counting */
    size_t rss_size, atom_size;
};

/* Decoding only. Encoding is not swept: img_encode_png goes through
 * stb_image_write, whose buffer growth asserts on a failed allocation
 * (stbiw__sbgrowf: "Assertion `p' failed", an abort), so an out-of-memory
 * encode cannot end in a clean error until img.c encodes another way. */
static int image(const char *path, struct err *err)
{
    struct img im = {0};
    if (img_load(path, &im, err) != 0)
        return -1;
    img_free(&im);
    return 0;
}

static int scenario_png(const struct fixtures *fx, struct err *err)
{
    return image(fx->png, err);
}

static int scenario_jpeg(const struct fixtures *fx, struct err *err)
{
    return image(fx->jpeg, err);
}

/* The baseline rewrite of the workshop photos (photos.h): read, rewrite,
 * write atomically. A refused allocation must leave no file behind. */
static int scenario_baseline(const struct fixtures *fx, struct err *err)
{
    unlink(fx->copy);
    int rc = img_jpeg_rewrite_baseline(fx->jpeg, fx->copy, err);
    if (rc != 0 && access(fx->copy, F_OK) == 0) {
        fprintf(stderr, "alloc_fail: baseline: %s was left behind\n", fx->copy);
        abort();
    }
    return rc;
}

static int scenario_rss(const struct fixtures *fx, struct err *err)
{
    struct feed_entry e;
    return feed_parse(fx->rss, fx->rss_size, "http://example.test/feed.xml", &e, err);
}

static int scenario_atom(const struct fixtures *fx, struct err *err)
{
    struct feed_entry e;
    return feed_parse(fx->atom, fx->atom_size, "http://example.test/atom.xml", &e, err);
}

static int scenario_runlog(const struct fixtures *fx, struct err *err)
{
    struct runlog_span *spans = NULL;
    size_t count = 0;
    int rc = runlog_read(fx->runlog, &spans, &count, err);
    free(spans);
    return rc;
}

/* Copies the fixture state over the working one (not counted). */
static int reset_state(const struct fixtures *fx)
{
    FILE *in = fopen(fx->state_src, "rb"), *out = fopen(fx->state, "wb");
    char buf[4096];
    size_t n;
    int ok = in != NULL && out != NULL;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in != NULL)
        fclose(in);
    if (out != NULL && fclose(out) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

static int scenario_readstate(const struct fixtures *fx, struct err *err)
{
    struct readstate *rs;
    if (readstate_load(&rs, fx->state, err) != 0)
        return -1;
    int rc = 0;
    for (int i = 4; rc == 0 && i < 40; i++) { /* enough to grow the table */
        char id[64];
        snprintf(id, sizeof id, "http://example.test/comic/%d.html", i);
        rc = readstate_add(rs, id, err);
    }
    if (rc == 0)
        rc = readstate_save(rs, err);
    readstate_free(rs);
    return rc;
}

struct scenario {
    const char *name;
    int (*run)(const struct fixtures *fx, struct err *err);
    int (*reset)(const struct fixtures *fx); /* before each run, not counted; or NULL */
};

/* Runs s with the Nth allocation failing, for every N. Returns the number of
 * problems found. */
static int sweep(const struct scenario *s, const struct fixtures *fx)
{
    int problems = 0;
    for (long n = 1;; n++) {
        struct err err = {{0}};
        if (s->reset != NULL && s->reset(fx) != 0) {
            fprintf(stderr, "alloc_fail: %s: cannot reset its fixture\n", s->name);
            return problems + 1;
        }
        calls = 0;
        has_failed = 0;
        fail_at = n;
        int rc = s->run(fx, &err);
        fail_at = 0;
        if (__lsan_do_recoverable_leak_check() != 0) {
            fprintf(stderr, "alloc_fail: %s: leak when allocation %ld failed (report above)\n",
                    s->name, n);
            problems++;
        }
        if (rc != 0 && err.msg[0] == '\0') {
            fprintf(stderr, "alloc_fail: %s: failed without a message (allocation %ld)\n", s->name,
                    n);
            problems++;
        }
        if (!has_failed) { /* it needed fewer than n allocations: all were failed once */
            if (rc != 0) {
                fprintf(stderr, "alloc_fail: %s: fails with no allocation failing: %s\n", s->name,
                        err.msg);
                problems++;
            }
            printf("alloc_fail: %-10s %4ld allocations, each failed once: %s\n", s->name, calls,
                   problems ? "PROBLEMS" : "clean errors, no leak");
            return problems;
        }
    }
}

/* Reads a whole small file with the real allocator, before any counting. */
static char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = __real_malloc(1 << 16);
    *size = buf != NULL ? fread(buf, 1, 1 << 16, f) : 0;
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: alloc_fail FIXTURES_DIR (tests/alloc)\n");
        return 2;
    }
    struct fixtures fx = {.dir = argv[1]};
    snprintf(fx.png, sizeof fx.png, "%s/rgb.png", fx.dir);
    snprintf(fx.jpeg, sizeof fx.jpeg, "%s/rgb.jpg", fx.dir);
    snprintf(fx.runlog, sizeof fx.runlog, "%s/run.jsonl", fx.dir);
    snprintf(fx.state_src, sizeof fx.state_src, "%s/read.txt", fx.dir);
    char tmp[] = "/tmp/retreat-alloc-XXXXXX";
    if (mkdtemp(tmp) == NULL) {
        perror("alloc_fail: mkdtemp");
        return 1;
    }
    snprintf(fx.state, sizeof fx.state, "%s/read.txt", tmp);
    snprintf(fx.copy, sizeof fx.copy, "%s/copy.jpg", tmp);
    char feed[512];
    snprintf(feed, sizeof feed, "%s/feed.xml", fx.dir);
    fx.rss = slurp(feed, &fx.rss_size);
    snprintf(feed, sizeof feed, "%s/atom.xml", fx.dir);
    fx.atom = slurp(feed, &fx.atom_size);
    if (fx.rss == NULL || fx.atom == NULL) {
        fprintf(stderr, "alloc_fail: cannot read the feeds in %s: %s\n", fx.dir, strerror(errno));
        return 1;
    }

    /* The hooks go in before either library allocates anything, and
     * libxml2's one-time initialisation is done now, uncounted: failing it
     * would break every later run, which is not what is being tested. */
    xmlMemSetup(free, __wrap_malloc, __wrap_realloc, xml_strdup);
    json_set_alloc_funcs(__wrap_malloc, free);
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet); /* "Memory allocation failed", hundreds of times */

    static const struct scenario scenarios[] = {
        {"png", scenario_png, NULL},
        {"jpeg", scenario_jpeg, NULL},
        {"baseline", scenario_baseline, NULL},
        {"rss", scenario_rss, NULL},
        {"atom", scenario_atom, NULL},
        {"runlog", scenario_runlog, NULL},
        {"readstate", scenario_readstate, reset_state},
    };
    int problems = 0;
    for (size_t k = 0; k < sizeof scenarios / sizeof scenarios[0]; k++)
        problems += sweep(&scenarios[k], &fx);

    free(fx.rss);
    free(fx.atom);
    unlink(fx.state);
    unlink(fx.copy);
    rmdir(tmp);
    if (problems > 0)
        printf("alloc_fail: %d problem(s)\n", problems);
    return problems > 0;
}
