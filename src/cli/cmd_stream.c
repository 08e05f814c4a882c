/* cmd_stream.c - `retreat stream`: render run logs to a video file or a live stream.
 *
 *     retreat stream --run-log runs/pool.jsonl -o pool.mp4
 *     retreat stream --live --twitch                # key from $TWITCH_STREAM_KEY
 *     retreat stream --watch build/runs -o rtmp://127.0.0.1/live/test
 *
 * Sources (stream_source.h, a stream_src_*.c file each) feed one show
 * (show.h), whose frames go to one encoder (encoder.h):
 *
 *   --run-log FILE...  finished runs: the whole programme, title to bar chart;
 *                      the photos named in the log are loaded and blurred for
 *                      the before/after scene
 *   --live             runs every blur style of the table this command hands
 *                      in (styles.h), in a worker process, and shows the run
 *                      as it happens
 *   --watch DIR        follows the run logs (*.jsonl) that appear in DIR, for
 *                      example the grader's build/runs/, as they grow
 *   --class URL        adds the class server's scenes: leaderboard, latest
 *                      pass, firsts, latest race
 *
 * This file parses the command line, makes the sources and runs the render
 * loop; it knows no source's insides.
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
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "args.h"
#include "canvas.h"
#include "clock.h"
#include "encoder.h"
#include "pace.h"
#include "photos.h"
#include "show.h"
#include "stream_source.h"
#include "styles.h"
#include "twitch.h"

#define STREAM_MAX_LOGS 64
#define STREAM_MAX_SOURCES 4   /* run logs or live, watch, class */
#define STREAM_LIVE_HOLD_S 3   /* seconds the last frame of --live stays up */
#define STREAM_RETRIES 5       /* reconnect attempts for a live output */
#define STREAM_BACKOFF_MS 1000 /* first wait before reconnecting */

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
    const char *class_url;
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
            "usage: retreat stream [--run-log FILE...] [--live] [--watch DIR] [--class URL]\n"
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
            "                     log names are looked for (default: the workshop\n"
            "                     photos, in %s)\n"
            "  --watch DIR        follow run logs (*.jsonl) appearing in DIR\n"
            "  --class URL|DB     add the class's scenes - the leaderboard, the latest pass,\n"
            "                     firsts, the latest race - from the class server (its\n"
            "                     join URL) or straight from its database file\n"
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
            PHOTOS_DIR, TWITCH_KEY_ENV, TWITCH_INGEST_DEFAULT, ENCODER_BITRATE_MIN,
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

/* An option with a number for a value (--duration, --size, --bitrate,
 * --retries) into o; -1 (said why) if the value is bad. */
static int parse_number(int c, const char *arg, struct stream_opts *o)
{
    struct err err;
    char *end;
    switch (c) {
    case 'd':
        errno = 0;
        o->duration = strtod(arg, &end);
        if (errno == 0 && end != arg && *end == '\0' && o->duration > 0 && o->duration <= 24 * 3600)
            return 0;
        fprintf(stderr, "retreat stream: --duration '%s': expected seconds, > 0\n", arg);
        return -1;
    case 's':
        if (parse_size(arg, &o->width, &o->height) != 0) {
            fprintf(stderr, "retreat stream: --size '%s': expected WIDTHxHEIGHT\n", arg);
            return -1;
        }
        if (encoder_check_size(o->width, o->height, &err) != 0) {
            fprintf(stderr, "retreat stream: --size: %s\n", err.msg);
            return -1;
        }
        return 0;
    case 'b':
        if (args_int(arg, ENCODER_BITRATE_MIN, ENCODER_BITRATE_MAX, &o->bitrate) == 0)
            return 0;
        fprintf(stderr, "retreat stream: --bitrate '%s': expected kbit/s from %d to %d\n", arg,
                ENCODER_BITRATE_MIN, ENCODER_BITRATE_MAX);
        return -1;
    default: /* 'r' */
        if (args_int(arg, 0, 100, &o->retries) == 0)
            return 0;
        fprintf(stderr, "retreat stream: --retries '%s': expected 0 to 100\n", arg);
        return -1;
    }
}

/* One option of the command line into o; -1 (said why) if its value is bad. */
static int parse_option(int c, const char *arg, struct stream_opts *o)
{
    switch (c) {
    case 'l':
        return add_log(o, arg);
    case 'L':
        o->live = 1;
        return 0;
    case 'w':
        o->watch_dir = arg;
        return 0;
    case 'C':
        o->class_url = arg;
        return 0;
    case 'p':
        o->photo_dir = arg;
        return 0;
    case 'o':
        o->output = arg;
        return 0;
    case 'T':
        o->twitch = 1;
        return 0;
    case 'i':
        o->ingest = arg;
        return 0;
    case 'k':
        o->key_file = arg;
        return 0;
    case 'v':
        o->verbose = 1;
        return 0;
    case 'd':
    case 's':
    case 'b':
    case 'r':
        return parse_number(c, arg, o);
    default:
        return -1;
    }
}

/* The options that cannot go together, once all are read. */
static int check_options(struct stream_opts *o)
{
    if (o->nlogs == 0 && !o->live && o->watch_dir == NULL && o->class_url == NULL) {
        fprintf(stderr, "retreat stream: nothing to show: give --run-log FILE, --live, "
                        "--watch DIR or --class URL\n");
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

static int parse_args(int argc, char **argv, struct stream_opts *o, int *help)
{
    static const struct option longopts[] = {
        {"run-log", required_argument, NULL, 'l'},
        {"live", no_argument, NULL, 'L'},
        {"watch", required_argument, NULL, 'w'},
        {"photos", required_argument, NULL, 'p'},
        {"class", required_argument, NULL, 'C'},
        {"twitch", no_argument, NULL, 'T'},
        {"ingest", required_argument, NULL, 'i'},
        {"key-file", required_argument, NULL, 'k'},
        {"duration", required_argument, NULL, 'd'},
        {"size", required_argument, NULL, 's'},
        {"bitrate", required_argument, NULL, 'b'},
        {"retries", required_argument, NULL, 'r'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct stream_opts){.photo_dir = NULL, /* the workshop photos (photos.h) */
                              .width = SHOW_DEFAULT_WIDTH,
                              .height = SHOW_DEFAULT_HEIGHT,
                              .retries = STREAM_RETRIES};
    *help = 0;
    optind = 0;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":o:vh", longopts, NULL)) != -1;) {
        if (c == 'h') {
            *help = 1;
            return 0;
        }
        if (c == ':' || c == '?') {
            if (c == ':')
                fprintf(stderr, "retreat stream: %s needs a value\n", argv[optind - 1]);
            else
                fprintf(stderr, "retreat stream: unknown option '%s'\n", argv[optind - 1]);
            return -1;
        }
        if (parse_option(c, optarg, o) != 0)
            return -1;
    }
    for (int i = optind; i < argc; i++)
        if (add_log(o, argv[i]) != 0)
            return -1;
    return check_options(o);
}

/* --- Sources -------------------------------------------------------------- */

struct sources {
    struct stream_source *src[STREAM_MAX_SOURCES];
    int n;
};

/* Makes the sources the options ask for, and starts them. The live source
 * gets the style table from here: the stream tool does not name styles. */
static int make_sources(const struct stream_opts *o, struct sources *ss, struct show *show,
                        struct err *err)
{
    struct stream_source *src[STREAM_MAX_SOURCES] = {NULL};
    int rc = 0;
    if (o->nlogs > 0)
        rc = stream_src_runlog_new(&src[0], o->logs, (size_t)o->nlogs, o->photo_dir, err);
    if (rc == 0 && o->watch_dir != NULL)
        rc = stream_src_watch_new(&src[1], o->watch_dir, err);
    if (rc == 0 && o->live)
        rc = stream_src_live_new(&src[2], styles, styles_count(), o->photo_dir, err);
    if (rc == 0 && o->class_url != NULL)
        rc = strncmp(o->class_url, "http://", 7) == 0 || strncmp(o->class_url, "https://", 8) == 0
                 ? stream_src_class_new(&src[3], o->class_url, err)
                 : stream_src_class_db_new(&src[3], o->class_url, err);
    /* Made or not, they are the set's now: sources_free() frees them. */
    for (int i = 0; i < STREAM_MAX_SOURCES; i++)
        if (src[i] != NULL)
            ss->src[ss->n++] = src[i];
    for (int i = 0; rc == 0 && i < ss->n; i++) {
        ss->src[i]->fps = ENCODER_FPS;
        rc = ss->src[i]->ops->start(ss->src[i], show, err);
    }
    return rc;
}

static int sources_live(const struct sources *ss)
{
    for (int i = 0; i < ss->n; i++)
        if (ss->src[i]->live)
            return 1;
    return 0;
}

static int sources_poll(struct sources *ss, struct show *show, int64_t frame, struct err *err)
{
    for (int i = 0; i < ss->n; i++)
        if (ss->src[i]->ops->poll(ss->src[i], show, frame, err) != 0)
            return err_prefix(err, "--%s: ", ss->src[i]->ops->name);
    return 0;
}

/* A live source that is done (the --live run ended) ends an open-ended
 * stream; a folder or a class never is. */
static int sources_ended(const struct sources *ss)
{
    for (int i = 0; i < ss->n; i++)
        if (ss->src[i]->live && ss->src[i]->ops->done(ss->src[i]))
            return 1;
    return 0;
}

static void sources_free(struct sources *ss)
{
    for (int i = 0; i < ss->n; i++)
        stream_source_free(ss->src[i]);
    ss->n = 0;
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
    struct sources sources;
    int live; /* a source runs on the wall clock */
    int paced;
    int fps;
    int64_t total; /* frames to render; INT64_MAX: until stopped */
    struct pace pace;
    uint64_t start_ns;
    const char *beyond[8]; /* the styles beyond the ladder, NULL-terminated: the bars say so */
};

/* One line, redrawn in place every second of video on a terminal; in a
 * log file a line after the first second (the stream is up: what a test or
 * a facilitator's script waits for), then one every ten seconds. */
static void show_progress(const struct render *r, int64_t index, int final)
{
    int tty = isatty(STDERR_FILENO);
    if (!final && (index + 1) % (tty ? r->fps : 10 * r->fps) != 0 && index + 1 != r->fps)
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

/* Whether an open-ended live stream should stop: a little after its live
 * source ended, so the last picture stays up for a moment. */
static int held_long_enough(const struct render *r, uint64_t *hold_until)
{
    if (r->total != INT64_MAX || !sources_ended(&r->sources))
        return 0;
    if (*hold_until == 0)
        *hold_until = clock_now_ns() + STREAM_LIVE_HOLD_S * 1000000000ull;
    return clock_now_ns() >= *hold_until;
}

static int render_loop(struct render *r, struct err *err)
{
    /* The first frame of a scene draws its layers and fills the font cache:
     * do that once before the clock starts, or a paced stream begins late. */
    if (r->paced && show_render(r->show, 0.0, &r->frame, err) != 0)
        return -1;
    r->start_ns = clock_now_ns();
    pace_start(&r->pace, r->fps, r->start_ns);
    if (r->live)
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
        if (sources_poll(&r->sources, r->show, i, err) != 0)
            return -1;
        if (action == PACE_RENDER && show_render(r->show, (double)i / r->fps, &r->frame, err) != 0)
            return -1;
        if (encoder_write(r->enc, r->frame.rgb, r->frame.stride, i, err) != 0)
            return -1;
        show_progress(r, i, 0);
        last = i;
        if (held_long_enough(r, &hold_until))
            break;
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

/* The show, its frame, and the sources feeding it; the show is live when a
 * source is, or when only the class is shown to a live output (its scenes
 * then rotate until stopped). */
static int prepare(struct render *r, const struct stream_opts *o, enum encoder_kind kind,
                   struct err *err)
{
    struct show_options so;
    show_options_default(&so);
    so.width = o->width;
    so.height = o->height;
    so.fps = ENCODER_FPS;
    /* The bars label the styles beyond the ladder (the show knows only the
     * names in the run logs; the table is ours to hand in). */
    size_t nbeyond = 0;
    for (const struct style *s = styles; s->name != NULL && nbeyond + 1 < 8; s++)
        if (s->beyond)
            r->beyond[nbeyond++] = s->name;
    r->beyond[nbeyond] = NULL;
    so.beyond = r->beyond;
    if (show_new(&r->show, &so, err) != 0 || canvas_init(&r->frame, o->width, o->height, err) != 0)
        return -1;
    r->live = o->live || o->watch_dir != NULL ||
              (o->class_url != NULL && o->nlogs == 0 && kind == ENCODER_RTMP);
    if (r->live)
        show_set_live(r->show, 1);
    if (make_sources(o, &r->sources, r->show, err) != 0)
        return -1;
    r->live |= sources_live(&r->sources);
    double seconds = o->duration > 0 ? o->duration : show_duration(r->show);
    if (isfinite(seconds))
        r->total = (int64_t)llround(seconds * r->fps);
    return 0;
}

/* Encodes the programme to the output; prints the summary lines. */
static int stream_to(struct render *r, const struct stream_opts *o, char *url, const char *name,
                     enum encoder_kind kind, struct err *err)
{
    catch_signals();
    struct encoder_opts eo = {.output = url,
                              .name = name,
                              .width = o->width,
                              .height = o->height,
                              .fps = r->fps,
                              .bitrate_kbps = o->bitrate,
                              .retries = o->retries,
                              .backoff_ms = STREAM_BACKOFF_MS,
                              .cancel = &stop_requested};
    if (encoder_open(&r->enc, &eo, err) != 0)
        return -1;
    memset(url, 0, TWITCH_URL_MAX); /* the key is in it; the encoder has its copy */
    /* A live output must go out on the wall clock, and so must a live
     * source: its show's time line *is* the wall clock. */
    r->paced = encoder_is_live(r->enc) || r->live;
    if (render_loop(r, err) != 0) {
        encoder_abort(r->enc);
        return -1;
    }
    struct encoder_stats st;
    encoder_stats(r->enc, &st);
    int interrupted = atomic_load(&stop_requested);
    if (encoder_close(r->enc, err) != 0)
        return -1;
    if (r->paced)
        fprintf(stderr,
                "retreat stream: %lld repeated and %lld dropped of %lld frames (%.2f%%), "
                "%d reconnects\n",
                (long long)r->pace.repeated, (long long)r->pace.dropped, (long long)r->pace.next,
                pace_late_percent(&r->pace), st.reconnects);
    /* The last line says where the video is: a full path for a file. */
    char *where = kind == ENCODER_RTMP ? NULL : realpath(name, NULL);
    struct stat fst;
    if (where != NULL && stat(where, &fst) == 0)
        st.bytes = fst.st_size; /* the encoder's count misses the trailer */
    printf("retreat stream: %s %s: %lld frames, %.1f s, %.1f MB%s\n",
           kind == ENCODER_RTMP ? "streamed to" : "wrote", where != NULL ? where : name,
           (long long)st.frames, (double)st.frames / r->fps, st.bytes / 1e6,
           interrupted ? " (interrupted)" : "");
    free(where);
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
    struct render r = {.fps = ENCODER_FPS, .total = INT64_MAX};
    int rc =
        prepare(&r, &o, kind, &err) == 0 && stream_to(&r, &o, url, name, kind, &err) == 0 ? 0 : 1;
    if (rc != 0)
        fprintf(stderr, "retreat stream: %s\n", err.msg);
    memset(url, 0, sizeof url);
    sources_free(&r.sources);
    canvas_free(&r.frame);
    show_free(r.show);
    return rc;
}
