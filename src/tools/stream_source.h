/* stream_source.h - where `retreat stream` gets what it shows: one interface
 * over every kind of source.
 *
 * The stream command (cmd_stream.c) parses its arguments, makes the
 * sources asked for, and runs one render loop that polls them all between
 * frames. A source hands spans, photos and class data to the show; it never
 * draws. The kinds, a file each:
 *
 *   stream_src_runlog.c   --run-log FILE...: finished runs, read at start,
 *                         with the photos they name (stream_src_photos.c)
 *   stream_src_live.c     --live: the blur styles of a table the command
 *                         hands in, run now in a worker process
 *   stream_src_watch.c    --watch DIR: run logs appearing in a folder
 *   stream_src_class.c    --class URL: the class server's leaderboard, and
 *                         the run logs of its latest pass and latest race
 *
 * Life of a source:
 *
 *     struct stream_source *src;
 *     stream_src_watch_new(&src, "build/runs", &err);
 *     src->ops->start(src, show, &err);        before the encoder exists
 *     while (rendering)
 *         src->ops->poll(src, show, frame, &err);   between frames
 *     if (src->ops->done(src)) ...             nothing more will come
 *     stream_source_free(src);
 *
 * A source that fails in poll() ends the stream (the error names it); a
 * source that meets one bad input (a malformed line, a photo that is gone)
 * reports it on stderr and carries on: a live stream must not die of it.
 */
#ifndef RETREAT_STREAM_SOURCE_H
#define RETREAT_STREAM_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "show.h"

struct style; /* styles.h: the command hands the live source its table */

struct stream_source;

struct stream_source_ops {
    const char *name; /* "run-log", "live", "watch", "class": for messages */
    /* Once, before the encoder starts (no other thread exists yet, so a
     * source may fork). May add everything it has at once (run logs). */
    int (*start)(struct stream_source *src, struct show *show, struct err *err);
    /* Between frames: frame is the index of the frame about to be drawn, at
     * fps frames a second. Sources decide themselves how often to look. */
    int (*poll)(struct stream_source *src, struct show *show, int64_t frame, struct err *err);
    /* 1 once the source will add nothing more (the live run ended); a source
     * that follows something open-ended (a folder, a class) never is. */
    int (*done)(const struct stream_source *src);
    void (*free)(struct stream_source *src);
};

struct stream_source {
    const struct stream_source_ops *ops;
    int live; /* its show runs on the wall clock (live mode of show.h) */
    int fps;  /* frames per second of the stream, for poll() pacing */
};

/* Frees a source; safe on NULL. */
void stream_source_free(struct stream_source *src);

/* --run-log: the run logs at paths (not copied: they must outlive the
 * source, as argv does), read at start; the photos they
 * name are looked for as written, then in photo_dir (stream_src_photos.c). */
int stream_src_runlog_new(struct stream_source **out, const char *const *paths, size_t n,
                          const char *photo_dir, struct err *err);

/* --live: runs each of the nstyles styles on the photos in photo_dir, in a
 * worker process at the lowest priority. The table is the command's: this
 * source never names a style itself. */
int stream_src_live_new(struct stream_source **out, const struct style *styles, size_t nstyles,
                        const char *photo_dir, struct err *err);

/* --watch: follows *.jsonl files appearing in dir (files already there at
 * start count only for what is appended). A run is shown finished when its
 * log ends with an end mark (runlog_mark_end), or when it has not grown for
 * STREAM_WATCH_QUIET_S seconds; a new run of a style replaces the old one. */
#define STREAM_WATCH_QUIET_S 3.0
int stream_src_watch_new(struct stream_source **out, const char *dir, struct err *err);

/* --class: the class server at url (http://HOST:PORT, see class_store.h):
 * GET url/api/state now and every STREAM_CLASS_REFRESH_S seconds in live
 * mode, and url/api/run/<run>/runlog for the latest pass and race. */
#define STREAM_CLASS_REFRESH_S 10.0
int stream_src_class_new(struct stream_source **out, const char *url, struct err *err);

/* Where the class source gets its texts: the HTTP client above, or any
 * other (a local class database, through the class code). Each function
 * returns 0 and a malloc'ed text (the caller frees it), or -1 with err set.
 *   state   the state JSON documented in class_store.h
 *   runlog  run `run`'s run log (JSON Lines, docs/RUNLOG.md)
 *   free    frees ctx when the source is freed (may be NULL) */
struct stream_class_fetcher {
    const char *name; /* for messages: a URL, a file */
    int (*state)(void *ctx, char **text, size_t *len, struct err *err);
    int (*runlog)(void *ctx, long long run, char **text, size_t *len, struct err *err);
    void (*free)(void *ctx);
    void *ctx;
};

/* A class source over any fetcher (copied; ctx becomes the source's). */
int stream_src_class_with(struct stream_source **out, const struct stream_class_fetcher *f,
                          struct err *err);

/* --class FILE.db: the same scenes straight from a class database
 * (stream_src_classdb.c), read-only, while `retreat class` may write it. */
int stream_src_class_db_new(struct stream_source **out, const char *db_path, struct err *err);

/* --- Photos (stream_src_photos.c) -------------------------------------------- */

#define STREAM_MAX_PHOTOS 8   /* photos shown before/after: enough for a minute */
#define STREAM_BLUR_THREADS 2 /* threads blurring the "after" photos */

/* Adds the before/after scenes of the first STREAM_MAX_PHOTOS photos the
 * spans decoded, blurred with the library's reference Gaussian (blur.h).
 * A photo that cannot be found is skipped with a line on stderr. */
void stream_photos_add(struct show *show, const struct runlog_span *spans, size_t count,
                       const char *photo_dir);

/* The .png and .jpg files of dir, sorted by name, as "dir/name" strings
 * (free each and the array). Fails if there are none. */
int stream_photos_list(const char *dir, char ***paths, size_t *count, struct err *err);

#endif
