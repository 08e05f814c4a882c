/* stream_src_class.c - --class: the class scenes, from the class's state.
 *
 * The state JSON (documented in class_store.h) gives the leaderboard, the firsts and the
 * latest pass and race (stream_class.h parses it); the run logs of those
 * two runs give their timelines. Where the texts come from is a fetcher
 * (stream_source.h): the class server over HTTP (stream_class_http.c), or
 * a local class database. The state is read at start - a class that cannot
 * be read is an error before anything is encoded - and, in a live show,
 * again every STREAM_CLASS_REFRESH_S seconds; a refresh that fails keeps
 * the scenes as they were and says so on stderr. Run logs are read once
 * per run: a run does not change.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runlog.h"
#include "stream_class.h"
#include "stream_source.h"

/* One class run's log, kept while the state names the same run. */
struct run_cache {
    long long run; /* -1: none */
    struct runlog_span *spans;
    size_t n;
};

struct src_class {
    struct stream_source base;
    struct stream_class_fetcher f;
    struct run_cache runs[2]; /* latest pass, latest race */
    long long updated;        /* of the state shown; -1: none yet */
};

/* The run log text, line by line (runlog_parse_line: the format of
 * docs/RUNLOG.md). A bad line makes the whole log unusable: half a run
 * would draw a misleading timeline. */
static int parse_runlog(const char *text, size_t len, const char *name, struct run_cache *rc,
                        struct err *err)
{
    size_t cap = 0;
    long lineno = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl != NULL ? nl : end) - p);
        char where[600];
        snprintf(where, sizeof where, "%s:%ld", name, ++lineno);
        if (n > 0 && rc->n == cap) {
            cap = cap ? cap * 2 : 256;
            struct runlog_span *grown = realloc(rc->spans, cap * sizeof *grown);
            if (grown == NULL)
                return err_set(err, "%s: out of memory", name);
            rc->spans = grown;
        }
        if (n > RUNLOG_LINE_MAX)
            return err_set(err, "%s: line longer than %d bytes", where, RUNLOG_LINE_MAX);
        if (n > 0 && runlog_parse_line(p, n, &rc->spans[rc->n++], where, err) != 0)
            return -1;
        p += n + 1;
    }
    return 0;
}

/* Fetches a run's log unless it is the one cached already. A log that
 * cannot be had leaves the cache empty: the scene goes without timeline. */
static void fetch_run(struct src_class *c, const struct stream_class_run *run,
                      struct run_cache *cache)
{
    if (!run->present || cache->run == run->run)
        return;
    free(cache->spans);
    *cache = (struct run_cache){.run = run->run};
    char name[600], *text = NULL;
    size_t len = 0;
    snprintf(name, sizeof name, "%s run %lld", c->f.name, run->run);
    struct err err;
    if (c->f.runlog(c->f.ctx, run->run, &text, &len, &err) != 0 ||
        parse_runlog(text, len, name, cache, &err) != 0) {
        fprintf(stderr, "\nretreat stream: class: %s (the scene goes without its timeline)\n",
                err.msg);
        cache->n = 0;
    }
    free(text);
}

/* One look at the class: the state, the runs it names, the show updated. */
static int refresh(struct src_class *c, struct show *show, struct err *err)
{
    char *text;
    size_t len;
    if (c->f.state(c->f.ctx, &text, &len, err) != 0)
        return -1;
    struct stream_class st;
    int rc = stream_class_parse(text, len, c->f.name, &st, err);
    free(text);
    if (rc != 0)
        return -1;
    fetch_run(c, &st.pass, &c->runs[0]);
    fetch_run(c, &st.race, &c->runs[1]);
    if (show_set_class(show, &st, c->runs[0].spans, c->runs[0].n, c->runs[1].spans, c->runs[1].n,
                       err) != 0)
        return -1;
    if (st.updated != c->updated)
        fprintf(stderr,
                "\nretreat stream: class %s: %d participants, %zu on the leaderboard, "
                "latest pass %s, latest race %s\n",
                c->f.name, st.participants, st.nleaderboard,
                st.pass.present ? st.pass.exercise : "none",
                st.race.present ? st.race.exercise : "none");
    c->updated = st.updated;
    return 0;
}

static int class_start(struct stream_source *src, struct show *show, struct err *err)
{
    struct src_class *c = (struct src_class *)src;
    return refresh(c, show, err) == 0 ? 0 : err_prefix(err, "--class: ");
}

static int class_poll(struct stream_source *src, struct show *show, int64_t frame, struct err *err)
{
    (void)err;
    struct src_class *c = (struct src_class *)src;
    int64_t every = (int64_t)(STREAM_CLASS_REFRESH_S * (src->fps > 0 ? src->fps : 30));
    /* A finished programme was planned with this state: keep it. */
    if (frame == 0 || frame % every != 0 || isfinite(show_duration(show)))
        return 0;
    struct err why;
    if (refresh(c, show, &why) != 0)
        fprintf(stderr, "\nretreat stream: class: %s (keeping the scenes as they were)\n", why.msg);
    return 0;
}

static int class_done(const struct stream_source *src)
{
    (void)src;
    return 0;
}

static void class_free(struct stream_source *src)
{
    struct src_class *c = (struct src_class *)src;
    if (c->f.free != NULL)
        c->f.free(c->f.ctx);
    free(c->runs[0].spans);
    free(c->runs[1].spans);
    free(c);
}

static const struct stream_source_ops class_ops = {"class", class_start, class_poll, class_done,
                                                   class_free};

int stream_src_class_with(struct stream_source **out, const struct stream_class_fetcher *f,
                          struct err *err)
{
    struct src_class *c = calloc(1, sizeof *c);
    if (c == NULL) {
        if (f->free != NULL)
            f->free(f->ctx);
        return err_set(err, "out of memory for --class");
    }
    c->base.ops = &class_ops;
    c->f = *f;
    c->runs[0].run = c->runs[1].run = -1;
    c->updated = -1;
    *out = &c->base;
    return 0;
}
