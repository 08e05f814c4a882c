/* cmd_stream.c - `retreat stream`: render run logs to a video file or a live stream.
 *
 *     retreat stream --run-log runs/pool.jsonl -o pool.mp4
 *     retreat stream --live --twitch                # key from $TWITCH_STREAM_KEY
 *     retreat stream --watch build/runs -o rtmp://127.0.0.1/live/test
 *
 * Three kinds of source feed one show (show.h), whose frames go to one
 * encoder (encoder.h):
 *
 *   --run-log FILE...  finished runs: the whole programme, title to bar chart;
 *                      the photos named in the log are loaded and blurred for
 *                      the before/after scene
 *   --live             runs every blur style now, in a worker process, and
 *                      shows the run as it happens
 *   --watch DIR        follows the run logs (*.jsonl) that appear in DIR, for
 *                      example the grader's build/runs/, as they grow
 *
 * A finished run renders as fast as the CPU allows. A live source, or a live
 * output, runs on the wall clock (pace.h): frame n goes out n/30 s after the
 * start. The blur worker of --live runs at a lower priority (nice), so that
 * when the two cores are busy it is the blur that waits, not the stream.
 *
 * Ctrl-C (SIGINT) or SIGTERM ends the render cleanly: the encoders are
 * flushed, the trailer written and the file renamed into place, so what was
 * rendered so far is a playable file. A second Ctrl-C kills at once.
 *
 * Exit status: 0 done, 1 a source or the output failed, 2 usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "args.h"
#include "batch.h"
#include "blur.h"
#include "canvas.h"
#include "clock.h"
#include "encoder.h"
#include "img.h"
#include "blur_expert.h"
#include "pace.h"
#include "runlog.h"
#include "show.h"
#include "styles.h"
#include "twitch.h"

#define STREAM_MAX_LOGS 64
#define STREAM_MAX_PHOTOS 8    /* photos shown before/after: enough for a minute */
#define STREAM_LIVE_NICE 19    /* the blur worker's nice value under --live: the lowest */
#define STREAM_LIVE_HOLD_S 3   /* seconds the last frame of --live stays up */
#define STREAM_RETRIES 5       /* reconnect attempts for a live output */
#define STREAM_BACKOFF_MS 1000 /* first wait before reconnecting */
#define STREAM_WATCH_EVERY 15  /* frames between two looks at the watched folder */
#define STREAM_PHOTO_DIR "workshop/images"
#define STREAM_BLUR_THREADS 2 /* for the before/after photos */

/* Set by the signal handler, read by the render loop and by the encoder's
 * thread. A signal handler may only touch a volatile sig_atomic_t or a
 * lock-free atomic (C11 7.14.1.1); an atomic is also safe between threads,
 * which a volatile is not. */
static atomic_int stop_requested;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler needs a lock-free atomic_int");

struct stream_opts {
    const char *logs[STREAM_MAX_LOGS];
    int nlogs;
    int live;
    const char *watch_dir;
    const char *photo_dir;
    const char *output;
    int twitch;
    const char *ingest;
    const char *key_file;
    double duration; /* seconds; 0: the programme's own length */
    int width, height, bitrate, retries;
    int verbose; /* FFmpeg's own log at "debug": the RTMP handshake and more */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: retreat stream [--run-log FILE...] [--live] [--watch DIR]\n"
            "                      [-o FILE|URL | --twitch [--ingest URL] [--key-file FILE]]\n"
            "                      [--duration S] [--size WxH] [--bitrate K] [--retries N] [-v]\n"
            "\n"
            "Renders runs of the blur and fetch styles as a video with timing overlays,\n"
            "to a file or live to an RTMP server (Twitch).\n"
            "\n"
            "Sources:\n"
            "  --run-log FILE...  finished run logs (JSON Lines); further FILE arguments\n"
            "                     are run logs too\n"
            "  --live             run every blur style on the photos of --photos now and\n"
            "                     show the run as it happens\n"
            "  --photos DIR       the photos: what --live blurs, and where photos a run\n"
            "                     log names are looked for (default %s)\n"
            "  --watch DIR        follow run logs (*.jsonl) appearing in DIR\n"
            "Output:\n"
            "  -o FILE|URL        FILE.mp4, FILE.flv or rtmp://HOST/APP/NAME (default demo.mp4)\n"
            "  --twitch           stream to Twitch; the key comes from $%s or --key-file,\n"
            "                     never from the command line, where anyone can read it\n"
            "  --ingest URL       Twitch ingest server (default %s)\n"
            "  --key-file FILE    read the stream key from FILE\n"
            "  --duration S       stop after S seconds (default: the whole programme;\n"
            "                     live sources: until the run ends or Ctrl-C)\n"
            "  --size WxH         frame size, even numbers (default 1280x720; 1920x1080)\n"
            "  --bitrate K        video bitrate in kbit/s, %d to %d (default %d)\n"
            "  --retries N        reconnect attempts when a live output drops (default %d)\n"
            "  -v, --verbose      FFmpeg's debug log: the RTMP handshake, encoder settings\n"
            "\n"
            "Ctrl-C finishes the file cleanly. Exit status: 0 done, 1 failed, 2 usage.\n",
            STREAM_PHOTO_DIR, TWITCH_KEY_ENV, TWITCH_INGEST_DEFAULT, ENCODER_BITRATE_MIN,
            ENCODER_BITRATE_MAX, ENCODER_BITRATE_DEFAULT, STREAM_RETRIES);
}

/* --- Command line --------------------------------------------------------- */

static int parse_size(const char *s, int *w, int *h)
{
    char *x;
    errno = 0;
    long lw = strtol(s, &x, 10);
    if (errno != 0 || x == s || (*x != 'x' && *x != 'X'))
        return -1;
    char *end;
    long lh = strtol(x + 1, &end, 10);
    if (errno != 0 || end == x + 1 || *end != '\0' || lw <= 0 || lh <= 0 || lw > 100000 ||
        lh > 100000)
        return -1;
    *w = (int)lw;
    *h = (int)lh;
    return 0;
}

static int add_log(struct stream_opts *o, const char *path)
{
    if (o->nlogs == STREAM_MAX_LOGS) {
        fprintf(stderr, "retreat stream: more than %d run logs\n", STREAM_MAX_LOGS);
        return -1;
    }
    o->logs[o->nlogs++] = path;
    return 0;
}

static int parse_args(int argc, char **argv, struct stream_opts *o, int *help)
{
    static const struct option longopts[] = {
        {"run-log", required_argument, NULL, 'l'},  {"live", no_argument, NULL, 'L'},
        {"watch", required_argument, NULL, 'w'},    {"photos", required_argument, NULL, 'p'},
        {"twitch", no_argument, NULL, 'T'},         {"ingest", required_argument, NULL, 'i'},
        {"key-file", required_argument, NULL, 'k'}, {"duration", required_argument, NULL, 'd'},
        {"size", required_argument, NULL, 's'},     {"bitrate", required_argument, NULL, 'b'},
        {"retries", required_argument, NULL, 'r'},  {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    *o = (struct stream_opts){.photo_dir = STREAM_PHOTO_DIR,
                              .width = SHOW_DEFAULT_WIDTH,
                              .height = SHOW_DEFAULT_HEIGHT,
                              .retries = STREAM_RETRIES};
    *help = 0;
    optind = 0;
    opterr = 0;
    struct err err;
    char *end;
    int c;
    while ((c = getopt_long(argc, argv, ":o:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (add_log(o, optarg) != 0)
                return -1;
            break;
        case 'L':
            o->live = 1;
            break;
        case 'w':
            o->watch_dir = optarg;
            break;
        case 'p':
            o->photo_dir = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'T':
            o->twitch = 1;
            break;
        case 'i':
            o->ingest = optarg;
            break;
        case 'k':
            o->key_file = optarg;
            break;
        case 'd':
            errno = 0;
            o->duration = strtod(optarg, &end);
            if (errno != 0 || end == optarg || *end != '\0' || !(o->duration > 0) ||
                o->duration > 24 * 3600) {
                fprintf(stderr, "retreat stream: --duration '%s': expected seconds, > 0\n", optarg);
                return -1;
            }
            break;
        case 's':
            if (parse_size(optarg, &o->width, &o->height) != 0) {
                fprintf(stderr, "retreat stream: --size '%s': expected WIDTHxHEIGHT\n", optarg);
                return -1;
            }
            if (encoder_check_size(o->width, o->height, &err) != 0) {
                fprintf(stderr, "retreat stream: --size: %s\n", err.msg);
                return -1;
            }
            break;
        case 'b':
            if (args_int(optarg, ENCODER_BITRATE_MIN, ENCODER_BITRATE_MAX, &o->bitrate) != 0) {
                fprintf(stderr, "retreat stream: --bitrate '%s': expected kbit/s from %d to %d\n",
                        optarg, ENCODER_BITRATE_MIN, ENCODER_BITRATE_MAX);
                return -1;
            }
            break;
        case 'r':
            if (args_int(optarg, 0, 100, &o->retries) != 0) {
                fprintf(stderr, "retreat stream: --retries '%s': expected 0 to 100\n", optarg);
                return -1;
            }
            break;
        case 'v':
            o->verbose = 1;
            break;
        case 'h':
            *help = 1;
            return 0;
        case ':':
            fprintf(stderr, "retreat stream: %s needs a value\n", argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "retreat stream: unknown option '%s'\n", argv[optind - 1]);
            return -1;
        }
    }
    for (int i = optind; i < argc; i++)
        if (add_log(o, argv[i]) != 0)
            return -1;
    if (o->nlogs == 0 && !o->live && o->watch_dir == NULL) {
        fprintf(stderr, "retreat stream: nothing to show: give --run-log FILE, --live or "
                        "--watch DIR\n");
        return -1;
    }
    if (o->nlogs > 0 && (o->live || o->watch_dir != NULL)) {
        fprintf(stderr, "retreat stream: finished run logs and a live source (--live, "
                        "--watch) cannot be mixed\n");
        return -1;
    }
    if (o->twitch && o->output != NULL) {
        fprintf(stderr, "retreat stream: --twitch and -o both name the output; pick one\n");
        return -1;
    }
    if (!o->twitch && (o->ingest != NULL || o->key_file != NULL)) {
        fprintf(stderr, "retreat stream: --ingest and --key-file go with --twitch\n");
        return -1;
    }
    if (o->output == NULL)
        o->output = "demo.mp4";
    return 0;
}

/* --- Finished runs: spans and photos -------------------------------------- */

/* Finds a photo the run log names: as written (a path from where the run
 * was started) or, since styles may log only the file name, in photo_dir. */
static int load_photo(const char *item, const char *photo_dir, struct img *im, struct err *err)
{
    if (access(item, R_OK) == 0)
        return img_load(item, im, err);
    const char *base = strrchr(item, '/');
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", photo_dir, base != NULL ? base + 1 : item);
    return img_load(path, im, err);
}

/* Blurred photos make the before/after scene. The run log names the photos
 * it worked on; we load the first few that can be found and blur them with
 * the library's expert blur (blur_expert.h, never a solution, which a
 * participant may be rewriting): on screen it looks the same as the exact
 * Gaussian, and it keeps the wait before the first frame short. A photo
 * that is gone is skipped: the timelines do not need it. */
static void add_photos(struct show *show, const struct runlog_span *spans, size_t count,
                       const char *photo_dir)
{
    const char *done[STREAM_MAX_PHOTOS];
    int ndone = 0;
    for (size_t i = 0; i < count && ndone < STREAM_MAX_PHOTOS; i++) {
        const char *item = spans[i].item;
        if (strcmp(spans[i].phase, "decode") != 0 || !spans[i].ok)
            continue;
        int seen = 0;
        for (int k = 0; k < ndone; k++)
            seen |= strcmp(done[k], item) == 0;
        if (seen)
            continue;
        done[ndone++] = item;
        struct img before = {0}, after = {0};
        struct err err;
        if (load_photo(item, photo_dir, &before, &err) != 0 ||
            img_alloc_like(&after, &before, &err) != 0 ||
            blur_expert(&before, &after, BLUR_SIGMA_DEFAULT, STREAM_BLUR_THREADS, &err) != 0 ||
            show_add_images(show, item, &before, &after, &err) != 0)
            fprintf(stderr, "retreat stream: skipping photo: %s\n", err.msg);
        img_free(&before);
        img_free(&after);
    }
}

static int load_logs(struct show *show, const struct stream_opts *o, struct err *err)
{
    for (int i = 0; i < o->nlogs; i++) {
        struct runlog_span *spans;
        size_t count;
        if (runlog_read(o->logs[i], &spans, &count, err) != 0)
            return -1;
        int rc = show_add_spans(show, spans, count, err);
        if (rc == 0)
            add_photos(show, spans, count, o->photo_dir);
        free(spans);
        if (rc != 0)
            return err_prefix(err, "%s: ", o->logs[i]);
    }
    return 0;
}

/* --- --live: the blur styles in a worker process -------------------------- */

/* The worker is a process, not a thread, and that matters for the stream.
 * A thread shares the process's locks: malloc's arenas, and the kernel's
 * lock on the address space, taken by every mmap of a big image buffer and
 * every page fault. A blur thread at the lowest priority that is preempted
 * while it holds one stalls the encoder that waits for it (priority
 * inversion); measured, that was tens of repeated frames a minute. A forked
 * process shares only what we give it: the in-memory run log (a memfd,
 * inherited across fork) that the render loop reads back. */
struct live {
    pid_t pid;          /* the worker; 0 once it has been waited for */
    struct runlog *log; /* in memory, written by the worker, read here */
    char **photos;
    size_t nphotos;
    int done;    /* the worker has finished every style */
    size_t seen; /* spans already handed to the show */
};

static int has_photo_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot != NULL && (strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 ||
                           strcasecmp(dot, ".jpeg") == 0);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_photos(struct live *lv, const char *dir, struct err *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return err_set(err, "--photos %s: cannot open the folder (%s)", dir, strerror(errno));
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' || !has_photo_ext(e->d_name))
            continue;
        char **grown = realloc(lv->photos, (lv->nphotos + 1) * sizeof *grown);
        if (grown == NULL)
            break;
        lv->photos = grown;
        if (asprintf(&lv->photos[lv->nphotos], "%s/%s", dir, e->d_name) < 0)
            break;
        lv->nphotos++;
    }
    closedir(d);
    if (lv->nphotos == 0)
        return err_set(err, "--photos %s: no .png or .jpg photos in it", dir);
    qsort(lv->photos, lv->nphotos, sizeof *lv->photos, by_name);
    return 0;
}

/* Runs in the worker process: every style, one after the other, then exits.
 * Everything it starts - the threads and processes of a style - inherits its
 * nice value, so all the blur work yields to the encoder. */
static void live_worker(struct live *lv)
{
    if (setpriority(PRIO_PROCESS, 0, STREAM_LIVE_NICE) != 0)
        perror("retreat stream: setpriority");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct blur_result *results = calloc(lv->nphotos, sizeof *results);
    for (const struct style *s = styles; results != NULL && s->name != NULL; s++) {
        memset(results, 0, lv->nphotos * sizeof *results);
        struct blur_batch b = {.style = s->name,
                               .inputs = (const char *const *)lv->photos,
                               .count = lv->nphotos,
                               .sigma = BLUR_SIGMA_DEFAULT,
                               .threads = cpus > 0 ? (int)cpus : 1,
                               .log = lv->log,
                               .results = results};
        if (s->run(&b) != 0)
            fprintf(stderr, "retreat stream: style %s could not run\n", s->name);
    }
    _exit(results != NULL ? 0 : 1); /* _exit: the parent's stdio and atexit are not ours */
}

/* Starts the worker. Call it before the encoder exists: fork() copies only
 * the calling thread, so the process should have no other threads yet. */
static int live_start(struct live *lv, const char *photo_dir, struct err *err)
{
    if (list_photos(lv, photo_dir, err) != 0 || runlog_open_memory(&lv->log, err) != 0)
        return -1;
    fflush(NULL); /* or buffered output would be written twice */
    lv->pid = fork();
    if (lv->pid < 0) {
        lv->pid = 0;
        return err_set(err, "cannot start the blur worker (%s)", strerror(errno));
    }
    if (lv->pid == 0)
        live_worker(lv);
    return 0;
}

/* Hands the spans written since the last call to the show, and notes
 * when the worker has finished. */
static int live_poll(struct live *lv, struct show *show, struct err *err)
{
    int status;
    if (lv->pid > 0 && waitpid(lv->pid, &status, WNOHANG) == lv->pid) {
        lv->pid = 0;
        lv->done = 1;
    }
    struct runlog_span *spans;
    size_t count;
    if (runlog_snapshot(lv->log, &spans, &count, err) != 0)
        return -1;
    int rc = 0;
    if (count > lv->seen)
        rc = show_add_spans(show, spans + lv->seen, count - lv->seen, err);
    lv->seen = count;
    free(spans);
    return rc;
}

/* Stops the worker if it still runs (a style cannot be interrupted more
 * gently; its spans so far are in the log) and frees what --live holds. */
static void live_stop(struct live *lv)
{
    if (lv->pid > 0) {
        kill(lv->pid, SIGTERM);
        waitpid(lv->pid, NULL, 0);
    }
    runlog_close(lv->log);
    for (size_t i = 0; i < lv->nphotos; i++)
        free(lv->photos[i]);
    free(lv->photos);
}

/* --- --watch: run logs appearing in a folder ------------------------------ */

struct watched {
    char *path;
    off_t offset; /* bytes read and parsed so far: whole lines only */
    long lineno;
};

struct watch {
    const char *dir;
    struct watched *files; /* grows: a day of grading makes hundreds of logs */
    int nfiles;
};

static int is_jsonl(const char *name)
{
    size_t len = strlen(name);
    return name[0] != '.' && len > 6 && strcmp(name + len - 6, ".jsonl") == 0;
}

/* Starts following new *.jsonl files. At the first look (initial = 1) the
 * files already there are old runs: only what is appended to them counts. */
static void watch_scan(struct watch *w, int initial)
{
    DIR *d = opendir(w->dir);
    if (d == NULL)
        return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!is_jsonl(e->d_name))
            continue;
        char *path;
        if (asprintf(&path, "%s/%s", w->dir, e->d_name) < 0)
            break;
        int known = 0;
        for (int i = 0; i < w->nfiles && !known; i++)
            known = strcmp(w->files[i].path, path) == 0;
        struct stat st;
        if (known || stat(path, &st) != 0) {
            free(path);
            continue;
        }
        struct watched *grown = realloc(w->files, (size_t)(w->nfiles + 1) * sizeof *grown);
        if (grown == NULL) {
            free(path);
            break;
        }
        w->files = grown;
        w->files[w->nfiles++] = (struct watched){.path = path, .offset = initial ? st.st_size : 0};
    }
    closedir(d);
}

/* Reads the whole lines appended to one file since the last call. A line
 * still being written (no newline yet) waits for the next call. A malformed
 * line is reported with its number and skipped: one bad line must not end a
 * live stream. */
static void watch_read(struct watched *f, struct show *show)
{
    struct stat st;
    if (stat(f->path, &st) != 0 || st.st_size <= f->offset)
        return; /* nothing new: the common case, without opening the file */
    FILE *fp = fopen(f->path, "r");
    if (fp == NULL || fseeko(fp, f->offset, SEEK_SET) != 0) {
        if (fp != NULL)
            fclose(fp);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, fp)) > 0) {
        if (line[len - 1] != '\n')
            break; /* still being written: read it whole next time */
        f->offset += len;
        f->lineno++;
        if (len == 1)
            continue;
        char where[300];
        snprintf(where, sizeof where, "%s:%ld", f->path, f->lineno);
        struct runlog_span span;
        struct err err;
        if (len - 1 > RUNLOG_LINE_MAX)
            err_set(&err, "%s: line longer than %d bytes", where, RUNLOG_LINE_MAX);
        if (len - 1 > RUNLOG_LINE_MAX ||
            runlog_parse_line(line, (size_t)len - 1, &span, where, &err) != 0 ||
            show_add_spans(show, &span, 1, &err) != 0)
            fprintf(stderr, "\nretreat stream: skipping %s\n", err.msg);
    }
    free(line);
    fclose(fp);
}

static void watch_poll(struct watch *w, struct show *show)
{
    watch_scan(w, 0);
    for (int i = 0; i < w->nfiles; i++)
        watch_read(&w->files[i], show);
}

static void watch_free(struct watch *w)
{
    for (int i = 0; i < w->nfiles; i++)
        free(w->files[i].path);
    free(w->files);
}

/* --- Rendering ------------------------------------------------------------ */

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_requested, 1);
}

/* SIGINT and SIGTERM ask the loop to stop; SA_RESETHAND makes a second one
 * kill the process, should the clean stop itself hang. */
static void catch_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A peer that hangs up must be an error from write(), not a silent death. */
    signal(SIGPIPE, SIG_IGN);
}

struct render {
    struct show *show;
    struct encoder *enc;
    struct canvas frame;
    struct live *live;   /* NULL unless --live */
    struct watch *watch; /* NULL unless --watch */
    int paced;
    int fps;
    int64_t total; /* frames to render; INT64_MAX: until stopped */
    struct pace pace;
    uint64_t start_ns;
};

/* One line, redrawn in place every second of video on a terminal; a new
 * line every ten seconds in a log file. */
static void show_progress(const struct render *r, int64_t index, int final)
{
    int tty = isatty(STDERR_FILENO);
    if (!final && (index + 1) % (tty ? r->fps : 10 * r->fps) != 0)
        return;
    double video = (double)(index + 1) / r->fps;
    double wall = clock_seconds(r->start_ns, clock_now_ns());
    char total[32] = "";
    if (r->total != INT64_MAX)
        snprintf(total, sizeof total, " of %.0f", (double)r->total / r->fps);
    fprintf(stderr, "%sretreat stream: frame %lld, %.1f%s s of video, %.2fx real time",
            tty ? "\r" : "", (long long)(index + 1), video, total, wall > 0 ? video / wall : 0.0);
    if (r->paced)
        fprintf(stderr, ", %lld repeated, %lld dropped", (long long)r->pace.repeated,
                (long long)r->pace.dropped);
    fprintf(stderr, final || !tty ? "\n" : "  ");
}

static int render_loop(struct render *r, struct err *err)
{
    /* The first frame of a scene draws its layers and fills the font cache:
     * do that once before the clock starts, or a paced stream begins late. */
    if (r->paced && show_render(r->show, 0.0, &r->frame, err) != 0)
        return -1;
    r->start_ns = clock_now_ns();
    pace_start(&r->pace, r->fps, r->start_ns);
    if (r->live != NULL || r->watch != NULL)
        show_set_live_origin(r->show, r->start_ns);
    int64_t n = 0, last = -1;
    uint64_t hold_until = 0;
    while (!atomic_load(&stop_requested)) {
        enum pace_action action = PACE_RENDER;
        if (r->paced && r->pace.next >= r->total)
            break;
        int64_t i = r->paced ? pace_next(&r->pace, &action) : n++;
        if (i >= r->total)
            break;
        if (r->live != NULL && live_poll(r->live, r->show, err) != 0)
            return -1;
        if (r->watch != NULL && i % STREAM_WATCH_EVERY == 0)
            watch_poll(r->watch, r->show);
        if (action == PACE_RENDER && show_render(r->show, (double)i / r->fps, &r->frame, err) != 0)
            return -1;
        if (encoder_write(r->enc, r->frame.rgb, r->frame.stride, i, err) != 0)
            return -1;
        show_progress(r, i, 0);
        last = i;
        /* --live without --duration ends a little after the last style. */
        if (r->live != NULL && r->total == INT64_MAX && r->live->done) {
            if (hold_until == 0)
                hold_until = clock_now_ns() + STREAM_LIVE_HOLD_S * 1000000000ull;
            else if (clock_now_ns() >= hold_until)
                break;
        }
    }
    if (last >= 0)
        show_progress(r, last, 1);
    return 0;
}

/* Works out the output: -o as given, or Twitch's ingest with the key. */
static int resolve_output(const struct stream_opts *o, char *url, char *name, struct err *err)
{
    if (!o->twitch) {
        snprintf(url, TWITCH_URL_MAX, "%s", o->output);
        snprintf(name, TWITCH_URL_MAX, "%s", o->output);
        return 0;
    }
    char key[TWITCH_KEY_MAX];
    if (twitch_key_load(o->key_file, key, sizeof key, err) != 0 ||
        twitch_url(o->ingest != NULL ? o->ingest : TWITCH_INGEST_DEFAULT, key, url, name, err) != 0)
        return -1;
    twitch_log_install(key);
    memset(key, 0, sizeof key);
    return 0;
}

int cmd_stream(int argc, char **argv)
{
    struct stream_opts o;
    int help;
    if (parse_args(argc, argv, &o, &help) != 0) {
        fprintf(stderr, "run 'retreat stream --help' for usage\n");
        return 2;
    }
    if (help) {
        usage(stdout);
        return 0;
    }
    /* x264 and the muxers are chatty at "info"; keep their warnings. The
     * RTMP client names the stream key in its debug lines (-v):
     * twitch_log_install() hides it. */
    av_log_set_level(o.verbose ? AV_LOG_DEBUG : AV_LOG_WARNING);

    struct err err = {{0}};
    char url[TWITCH_URL_MAX], name[TWITCH_URL_MAX];
    if (resolve_output(&o, url, name, &err) != 0) {
        fprintf(stderr, "retreat stream: %s\n", err.msg);
        return 1;
    }
    enum encoder_kind kind;
    if (encoder_kind_of(url, name, &kind, &err) != 0) {
        fprintf(stderr, "retreat stream: %s\n", err.msg);
        return 2;
    }

    struct show_options so;
    show_options_default(&so);
    so.width = o.width;
    so.height = o.height;
    so.fps = ENCODER_FPS;
    /* The bars label the styles beyond the ladder (the show knows only the
     * names in the run logs; the table is ours to hand in). */
    const char *beyond[8] = {0};
    size_t nbeyond = 0;
    for (const struct style *s = styles; s->name != NULL && nbeyond + 1 < 8; s++)
        if (s->beyond)
            beyond[nbeyond++] = s->name;
    so.beyond = beyond;
    struct render r = {.fps = ENCODER_FPS, .total = INT64_MAX};
    struct live live = {0};
    struct watch watch = {.dir = o.watch_dir};
    int rc = 1;
    if (show_new(&r.show, &so, &err) != 0 || canvas_init(&r.frame, o.width, o.height, &err) != 0)
        goto out;
    if (load_logs(r.show, &o, &err) != 0)
        goto out;
    if (o.watch_dir != NULL) {
        DIR *d = opendir(o.watch_dir);
        if (d == NULL) {
            err_set(&err, "--watch %s: cannot open the folder (%s)", o.watch_dir, strerror(errno));
            goto out;
        }
        closedir(d);
        watch_scan(&watch, 1);
        r.watch = &watch;
        show_set_live(r.show, 1);
    }
    if (o.live) {
        show_set_live(r.show, 1);
        if (live_start(&live, o.photo_dir, &err) != 0)
            goto out;
        r.live = &live;
    }

    double seconds = o.duration > 0 ? o.duration : show_duration(r.show);
    if (isfinite(seconds))
        r.total = (int64_t)llround(seconds * r.fps);

    catch_signals();
    struct encoder_opts eo = {.output = url,
                              .name = name,
                              .width = o.width,
                              .height = o.height,
                              .fps = r.fps,
                              .bitrate_kbps = o.bitrate,
                              .retries = o.retries,
                              .backoff_ms = STREAM_BACKOFF_MS,
                              .cancel = &stop_requested};
    if (encoder_open(&r.enc, &eo, &err) != 0)
        goto out;
    memset(url, 0, sizeof url); /* the key is in it; the encoder has its copy */
    /* A live output must go out on the wall clock, and so must a live
     * source: its show's time line *is* the wall clock. */
    r.paced = encoder_is_live(r.enc) || r.live != NULL || r.watch != NULL;

    if (render_loop(&r, &err) != 0) {
        encoder_abort(r.enc);
        r.enc = NULL;
        goto out;
    }
    struct encoder_stats st;
    encoder_stats(r.enc, &st);
    int interrupted = atomic_load(&stop_requested);
    if (encoder_close(r.enc, &err) != 0) {
        r.enc = NULL;
        goto out;
    }
    r.enc = NULL;
    if (r.paced)
        fprintf(stderr,
                "retreat stream: %lld repeated and %lld dropped of %lld frames (%.2f%%), "
                "%d reconnects\n",
                (long long)r.pace.repeated, (long long)r.pace.dropped, (long long)r.pace.next,
                pace_late_percent(&r.pace), st.reconnects);
    /* The last line says where the video is: a full path for a file. */
    char *where = kind == ENCODER_RTMP ? NULL : realpath(name, NULL);
    struct stat fst;
    if (where != NULL && stat(where, &fst) == 0)
        st.bytes = fst.st_size; /* the encoder's count misses the trailer */
    printf("retreat stream: %s %s: %lld frames, %.1f s, %.1f MB%s\n",
           kind == ENCODER_RTMP ? "streamed to" : "wrote", where != NULL ? where : name,
           (long long)st.frames, (double)st.frames / r.fps, st.bytes / 1e6,
           interrupted ? " (interrupted)" : "");
    free(where);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "retreat stream: %s\n", err.msg);
    live_stop(&live);
    watch_free(&watch);
    canvas_free(&r.frame);
    show_free(r.show);
    return rc;
}
