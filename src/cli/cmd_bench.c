/* cmd_bench.c - `retreat bench`: every blur style on the same photos, timed.
 *
 *     retreat bench                       the workshop photos, every style
 *     retreat bench --style linear --style pool --threads 2 --csv a.png b.jpg
 *
 * All styles run one after the other in this one process, on the same files,
 * so they compete on equal terms: same machine, same minute, same disk cache
 * (every photo is read once before the first style, which would otherwise pay
 * for a cold cache alone).
 *
 * The total wall time of a style says how long it took; its run log says
 * where the time went. Each style logs into one in-memory run log, and the
 * table shows, per phase, the wall time during which at least one image was
 * in that phase: in the linear style the three add up to the total, in a
 * concurrent style they overlap - which is the whole point of it. CPU
 * utilisation comes from getrusage, not from the log: user + system time over
 * wall time, so 200% means both cores were busy all along.
 *
 * A busy machine slows whichever style happens to be running: --repeat N runs
 * the styles N times, taking turns, and keeps each style's fastest run.
 *
 * Results are written to a temporary folder that is removed afterwards (or to
 * -o DIR, and kept), so the encode phase is real work and the repo stays
 * clean. The folder is in memory (/dev/shm) unless $TMPDIR says otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "batch.h"
#include "blur.h"
#include "img.h"
#include "photos.h"
#include "runlog.h"
#include "styles.h"

#define BENCH_THREADS_MAX 256
#define BENCH_REPEAT_MAX 100

struct bench_opts {
    float sigma;
    int threads;
    int repeat; /* runs of each style; the fastest one is reported */
    int csv;
    int list; /* --list: print the photos' paths and stop */
    const char *run_log;
    const char *out_dir; /* NULL: a temporary folder */
    int *selected;       /* one flag per row of the style table; all 0: every style */
};

/* What one style did, for one row of the table. */
struct bench_row {
    const struct style *style;
    struct style_run m;          /* its fastest run */
    struct blur_result *results; /* what that run did with each image */
    size_t done;
    double mpix;       /* megapixels of the images it blurred */
    size_t workers;    /* distinct threads or processes seen in its spans */
    size_t at_once;    /* the most spans in progress at one instant, on distinct workers */
    double phase_s[3]; /* decode, blur, encode: wall time with that phase in progress */
};

static const char *const phases[3] = {"decode", "blur", "encode"};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: retreat bench [--sigma S] [--threads N] [--style NAME]... [--repeat N]\n"
            "                     [--csv] [--list] [--run-log FILE] [-o DIR] [FILE...]\n"
            "\n"
            "Runs every blur style (or each one named with --style) on the same images\n"
            "(default: the eight workshop photos, 8 to 20 megapixels, in %s,\n"
            "from the packages %s, as baseline JPEGs like a camera's: see\n"
            "~/.cache/retreat/photos) and prints a table of timings.\n"
            "\n"
            "  --style NAME     run this style (repeatable; default: all), one of:\n",
            PHOTOS_DIR, PHOTOS_PACKAGES);
    styles_print(out, "      ");
    fprintf(out,
            "  --threads N      workers a concurrent style may use (default: CPUs, %ld)\n"
            "  --sigma S        blur strength, %.1f to %.1f (default %.1f)\n"
            "  --repeat N       run the styles N times, in turn, and report the fastest\n"
            "                   run of each (default 1)\n"
            "  --csv            print the table as CSV, with a header row\n"
            "  --list           print the paths of the photos it would blur, one a line,\n"
            "                   and stop (the workshop photos' baseline copies are made)\n"
            "  --run-log FILE   append the spans (JSON Lines) of each style's reported run\n"
            "                   to FILE\n"
            "  -o DIR           keep the blurred images in DIR (default: a temporary\n"
            "                   folder, removed afterwards)\n"
            "\n"
            "Exit status: 0 all blurred, 1 some image or style failed, 2 usage error.\n",
            sysconf(_SC_NPROCESSORS_ONLN), BLUR_SIGMA_MIN, BLUR_SIGMA_MAX, BLUR_SIGMA_DEFAULT);
}

/* Fills o from argv; prints why and returns -1 on a usage error. */
static int parse_args(int argc, char **argv, struct bench_opts *o, int *help)
{
    static const struct option longopts[] = {
        {"style", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},
        {"sigma", required_argument, NULL, 'g'},
        {"run-log", required_argument, NULL, 'l'},
        {"repeat", required_argument, NULL, 'r'},
        {"csv", no_argument, NULL, 'c'},
        {"list", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct err err;
    const struct style *s;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->sigma = BLUR_SIGMA_DEFAULT;
    o->threads = cpus > 0 ? (int)cpus : 1;
    o->repeat = 1;
    *help = 0;
    optind = 0; /* glibc: rescan from the start, even if called before (tests do) */
    opterr = 0; /* we say what is wrong ourselves, as "retreat bench: ..." */
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (styles_lookup(optarg, &s, &err) != 0) {
                fprintf(stderr, "retreat bench: %s\n", err.msg);
                return -1;
            }
            o->selected[s - styles] = 1;
            break;
        case 't':
            if (args_int(optarg, 1, BENCH_THREADS_MAX, &o->threads) != 0) {
                fprintf(stderr,
                        "retreat bench: --threads '%s': expected a whole number from 1 to %d\n",
                        optarg, BENCH_THREADS_MAX);
                return -1;
            }
            break;
        case 'g':
            if (args_float(optarg, &o->sigma) != 0) {
                fprintf(stderr, "retreat bench: --sigma '%s': expected a number\n", optarg);
                return -1;
            }
            if (blur_check_sigma(o->sigma, &err) != 0) {
                fprintf(stderr, "retreat bench: %s\n", err.msg);
                return -1;
            }
            break;
        case 'r':
            if (args_int(optarg, 1, BENCH_REPEAT_MAX, &o->repeat) != 0) {
                fprintf(stderr,
                        "retreat bench: --repeat '%s': expected a whole number from 1 to %d\n",
                        optarg, BENCH_REPEAT_MAX);
                return -1;
            }
            break;
        case 'c':
            o->csv = 1;
            break;
        case 'L':
            o->list = 1;
            break;
        case 'l':
            o->run_log = optarg;
            break;
        case 'o':
            o->out_dir = optarg;
            break;
        case 'h':
            *help = 1;
            return 0;
        case ':':
            fprintf(stderr, "retreat bench: %s needs a value\n", argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "retreat bench: unknown option '%s'\n", argv[optind - 1]);
            return -1;
        }
    }
    return 0;
}

/* Megapixels of every input (0 for those that do not load). Reading each file
 * here also puts it in the page cache before the first style is timed. */
static double *measure_inputs(const char *const *inputs, size_t count)
{
    double *mpix = calloc(count ? count : 1, sizeof *mpix);
    for (size_t i = 0; mpix != NULL && i < count; i++) {
        struct img im;
        if (img_load(inputs[i], &im, NULL) == 0) {
            mpix[i] = (double)im.width * im.height / 1e6;
            img_free(&im);
        }
    }
    return mpix;
}

struct interval {
    uint64_t start_ns, end_ns;
};

static int cmp_start(const void *a, const void *b)
{
    const struct interval *x = a, *y = b;
    return (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
}

/* Seconds during which at least one span of (style, phase) was running: the
 * length of the union of their intervals. For spans one after the other this
 * is their sum; for spans that overlap, each instant counts once. */
static double phase_wall_s(const struct runlog_span *spans, size_t count, const char *style,
                           const char *phase)
{
    struct interval *iv = malloc((count ? count : 1) * sizeof *iv);
    if (iv == NULL)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (strcmp(spans[i].style, style) == 0 && strcmp(spans[i].phase, phase) == 0)
            iv[n++] = (struct interval){spans[i].start_ns, spans[i].end_ns};
    /* Sweep in order of start, growing the current interval while the next
     * one starts inside it, and adding its length when there is a gap. */
    qsort(iv, n, sizeof *iv, cmp_start);
    uint64_t total = 0, cur_start = 0, cur_end = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || iv[i].start_ns > cur_end) {
            total += cur_end - cur_start;
            cur_start = iv[i].start_ns;
            cur_end = iv[i].end_ns;
        } else if (iv[i].end_ns > cur_end) {
            cur_end = iv[i].end_ns;
        }
    }
    total += cur_end - cur_start;
    free(iv);
    return (double)total / 1e9;
}

/* Where the temporary results go: $TMPDIR if set, else /dev/shm, which is in
 * memory. img_save() calls fsync(), and on a disk that alone can take longer
 * than the blur: the table would time the disk, not the styles. */
static const char *temp_root(void)
{
    const char *env = getenv("TMPDIR");
    if (env != NULL && env[0] != '\0')
        return env;
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return "/tmp";
}

/* Removes what the styles wrote into the temporary folder, then the folder. */
static void remove_outputs(const struct blur_batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        char path[4096];
        if (batch_output_path(b, i, path, sizeof path, NULL) == 0)
            unlink(path);
    }
    if (rmdir(b->out_dir) != 0)
        fprintf(stderr, "retreat bench: %s: cannot remove temporary folder (%s)\n", b->out_dir,
                strerror(errno));
}

static void print_table(const struct bench_opts *o, const struct bench_row *rows, size_t n,
                        const struct bench_row *linear, size_t images, double mpix,
                        const char *out_dir)
{
    if (o->csv) {
        printf("style,exercise,images,blurred,failed,decode_s,blur_s,encode_s,wall_s,speedup,"
               "mpix_per_s,cpu_percent,workers,at_once\n");
    } else {
        printf("retreat bench: %zu images, %.1f megapixels, sigma %g, %d threads, %ld CPUs\n",
               images, mpix, o->sigma, o->threads, sysconf(_SC_NPROCESSORS_ONLN));
        printf("results written to %s%s\n", out_dir, o->out_dir ? "" : " (removed afterwards)");
        if (o->repeat > 1)
            printf("each style ran %d times, in turn with the others; its fastest run is shown\n",
                   o->repeat);
        printf("\n");
        printf("%-10s %8s %8s %8s %8s %8s %7s %5s %7s %7s %6s\n", "style", "decode s", "blur s",
               "encode s", "wall s", "speedup", "MP/s", "CPU", "workers", "at once", "failed");
    }
    for (size_t r = 0; r < n; r++) {
        const struct bench_row *row = &rows[r];
        if (!o->csv && row->style->beyond && (r == 0 || !rows[r - 1].style->beyond))
            printf("-- %s: library code, not an exercise --\n", STYLES_BEYOND);
        double wall = row->m.wall_s;
        double mps = wall > 0 ? row->mpix / wall : 0;
        double cpu = wall > 0 ? 100.0 * row->m.cpu_s / wall : 0;
        char speedup[32] = "-";
        if (linear != NULL && wall > 0)
            snprintf(speedup, sizeof speedup, o->csv ? "%.3f" : "%.2fx", linear->m.wall_s / wall);
        size_t failed = images - row->done;
        if (o->csv)
            printf("%s,%d,%zu,%zu,%zu,%.6f,%.6f,%.6f,%.6f,%s,%.3f,%.1f,%zu,%zu\n", row->style->name,
                   row->style->exercise, images, row->done, failed, row->phase_s[0],
                   row->phase_s[1], row->phase_s[2], wall, linear != NULL ? speedup : "", mps, cpu,
                   row->workers, row->at_once);
        else
            printf("%-10s %8.3f %8.3f %8.3f %8.3f %8s %7.2f %4.0f%% %7zu %7zu %6zu\n",
                   row->style->name, row->phase_s[0], row->phase_s[1], row->phase_s[2], wall,
                   speedup, mps, cpu, row->workers, row->at_once, failed);
    }
    if (!o->csv)
        printf("\n"
               "decode, blur, encode: seconds during which at least one image was in that\n"
               "phase; in linear they add up to the wall time, concurrent styles overlap them.\n"
               "speedup: linear's wall time / this one. MP/s: megapixels blurred per second.\n"
               "CPU: user + system time / wall time; 100%% is one core busy all along.\n"
               "workers: distinct threads or processes that worked; at once: the most that\n"
               "worked at the same instant (run log). fast and expert are approximate\n"
               "(within 4 levels), the others exact.\n");
}

/* One line per failure; an image that fails the same way in every style
 * (a missing file) is reported once, with the first style. */
static void print_failures(const struct bench_row *rows, size_t n, const char *const *inputs,
                           size_t count)
{
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < count; i++) {
            const struct blur_result *res = &rows[r].results[i];
            if (res->status == BLUR_DONE)
                continue;
            const char *why = res->status == BLUR_FAILED ? res->error : "not processed";
            if (r > 0 && rows[0].results[i].status == res->status &&
                strcmp(rows[0].results[i].error, res->error) == 0)
                continue;
            if (res->status == BLUR_FAILED)
                fprintf(stderr, "retreat bench: %s: %s\n", rows[r].style->name, why);
            else
                fprintf(stderr, "retreat bench: %s: %s: %s\n", rows[r].style->name, inputs[i], why);
        }
}

/* Runs the selected styles on b, o->repeat times in turn (so that a busy
 * moment of the machine does not fall on one style only), and keeps each
 * style's fastest run in rows. Returns the number of rows. */
static size_t run_styles(const struct bench_opts *o, struct blur_batch *b, const double *mpix,
                         struct bench_row *rows, int *broken)
{
    size_t n = 0, all = styles_count();
    int any = 0;
    for (size_t k = 0; k < all; k++)
        any |= o->selected[k];
    for (size_t k = 0; k < all; k++)
        if (!any || o->selected[k])
            rows[n++].style = &styles[k];

    struct blur_result *scratch = calloc(b->count ? b->count : 1, sizeof *scratch);
    for (size_t r = 0; r < n; r++) {
        rows[r].results = calloc(b->count ? b->count : 1, sizeof *rows[r].results);
        if (scratch == NULL || rows[r].results == NULL) {
            fprintf(stderr, "retreat bench: out of memory\n");
            free(scratch);
            *broken = 1;
            return r + (rows[r].results != NULL);
        }
    }
    for (int rep = 0; rep < o->repeat; rep++)
        for (size_t r = 0; r < n; r++) {
            struct bench_row *row = &rows[r];
            struct style_run m;
            memset(scratch, 0, b->count * sizeof *scratch);
            b->results = scratch;
            if (styles_run(row->style, b, &m) != 0 && rep == 0) {
                fprintf(stderr,
                        "retreat bench: the %s style could not run (no threads, "
                        "processes or memory left)\n",
                        row->style->name);
                *broken = 1;
            }
            if (rep == 0 || m.wall_s < row->m.wall_s) {
                row->m = m;
                memcpy(row->results, scratch, b->count * sizeof *scratch);
            }
        }
    free(scratch);

    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < b->count; i++)
            if (rows[r].results[i].status == BLUR_DONE) {
                rows[r].done++;
                rows[r].mpix += mpix[i];
            }
    return n;
}

/* Fills each row's figures from the spans of its fastest run: those of its
 * style that lie within that run's start and end. Only those go to the run
 * log file: with --repeat, a style's spans from every run would stretch its
 * extent over the whole bench, and the stream draws that extent. */
static int add_log_figures(struct runlog *log, struct bench_row *rows, size_t n,
                           struct runlog *file_log, const char *file_name, struct err *err)
{
    struct runlog_span *spans, *mine;
    size_t count;
    if (runlog_snapshot(log, &spans, &count, err) != 0)
        return -1;
    if ((mine = malloc((count ? count : 1) * sizeof *mine)) == NULL) {
        free(spans);
        return err_set(err, "run log: out of memory");
    }
    int rc = 0;
    for (size_t r = 0; r < n; r++) {
        const char *style = rows[r].style->name;
        size_t k = 0;
        for (size_t i = 0; i < count; i++)
            if (strcmp(spans[i].style, style) == 0 && spans[i].start_ns >= rows[r].m.start_ns &&
                spans[i].end_ns <= rows[r].m.end_ns)
                mine[k++] = spans[i];
        rows[r].workers = runlog_workers(mine, k, style, NULL);
        rows[r].at_once = runlog_max_overlap(mine, k, style, NULL);
        for (int p = 0; p < 3; p++)
            rows[r].phase_s[p] = phase_wall_s(mine, k, style, phases[p]);
        for (size_t i = 0; file_log != NULL && i < k && rc == 0; i++)
            if (runlog_append(file_log, &mine[i]) != 0)
                rc = err_set(err, "%s: cannot write run log", file_name);
    }
    free(mine);
    free(spans);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    struct bench_opts o = {.selected = calloc(styles_count(), sizeof(int))};
    int help;
    if (o.selected == NULL) {
        fprintf(stderr, "retreat bench: out of memory\n");
        return 1;
    }
    if (parse_args(argc, argv, &o, &help) != 0 || help) {
        if (help)
            usage(stdout);
        else
            fprintf(stderr, "Try 'retreat bench --help'.\n");
        free(o.selected);
        return help ? 0 : 2;
    }

    char **workshop = NULL;
    size_t nworkshop = 0;
    const char *const *inputs = (const char *const *)argv + optind;
    size_t count = (size_t)(argc - optind);
    if (count == 0) {
        struct err perr;
        struct photos_ready ready;
        if (photos_workshop(&workshop, &nworkshop, &ready, &perr) != 0) {
            free(o.selected);
            fprintf(stderr, "retreat bench: %s; or name the photos to blur\n", perr.msg);
            return 2;
        }
        if (ready.originals)
            fprintf(stderr, "retreat bench: note: %s\n", ready.why.msg);
        else if (ready.made > 0)
            fprintf(stderr,
                    "retreat bench: made baseline copies of %zu workshop photos in %s "
                    "(once, before timing)\n",
                    ready.made, ready.dir);
        inputs = (const char *const *)workshop;
        count = nworkshop;
    }
    if (o.list) {
        for (size_t i = 0; i < count; i++)
            printf("%s\n", inputs[i]);
        photos_free(workshop, nworkshop);
        free(o.selected);
        return 0;
    }

    struct err err;
    int status = 0, broken = 0;
    struct runlog *log = NULL, *file_log = NULL;
    char tmp_dir[4096];
    snprintf(tmp_dir, sizeof tmp_dir, "%s/retreat-bench-XXXXXX", temp_root());
    double *mpix = NULL;
    struct bench_row *rows = calloc(styles_count(), sizeof *rows);
    size_t n = 0;
    if (o.run_log != NULL && runlog_open(&file_log, o.run_log, &err) != 0) {
        fprintf(stderr, "retreat bench: %s\n", err.msg);
        status = 2;
        goto out;
    }
    if (o.out_dir != NULL) {
        struct blur_batch kept = {.inputs = inputs, .count = count, .out_dir = o.out_dir};
        if (styles_check_overwrite(&kept, &err) != 0) {
            fprintf(stderr, "retreat bench: %s\n", err.msg);
            status = 2;
            goto out;
        }
        if (styles_make_out_dir(o.out_dir, &err) != 0) {
            fprintf(stderr, "retreat bench: %s\n", err.msg);
            status = 1;
            goto out;
        }
    }
    if (o.out_dir == NULL && mkdtemp(tmp_dir) == NULL) {
        fprintf(stderr, "retreat bench: %s: cannot create temporary folder (%s)\n", tmp_dir,
                strerror(errno));
        status = 1;
        goto out;
    }
    mpix = measure_inputs(inputs, count);
    if (rows == NULL || mpix == NULL || runlog_open_memory(&log, &err) != 0) {
        fprintf(stderr, "retreat bench: %s\n", rows && mpix ? err.msg : "out of memory");
        status = 1;
        goto out_dir;
    }

    struct blur_batch b = {
        .inputs = inputs,
        .count = count,
        .out_dir = o.out_dir ? o.out_dir : tmp_dir,
        .sigma = o.sigma,
        .threads = o.threads,
        .log = log,
    };
    n = run_styles(&o, &b, mpix, rows, &broken);
    if (add_log_figures(log, rows, n, file_log, o.run_log, &err) != 0) {
        fprintf(stderr, "retreat bench: %s\n", err.msg);
        broken = 1;
    }

    const struct bench_row *linear = NULL;
    double total_mpix = 0;
    for (size_t r = 0; r < n; r++)
        if (strcmp(rows[r].style->name, "linear") == 0)
            linear = &rows[r];
    for (size_t i = 0; i < count; i++)
        total_mpix += mpix[i];
    print_table(&o, rows, n, linear, count, total_mpix, b.out_dir);
    fflush(stdout);
    print_failures(rows, n, inputs, count);
    for (size_t r = 0; r < n; r++)
        if (rows[r].done < count)
            broken = 1;
    status = broken ? 1 : 0;

out_dir:
    if (o.out_dir == NULL) {
        struct blur_batch tmp = {.inputs = inputs, .count = count, .out_dir = tmp_dir};
        remove_outputs(&tmp);
    }
out:
    for (size_t r = 0; rows != NULL && r < n; r++)
        free(rows[r].results);
    free(rows);
    free(mpix);
    free(o.selected);
    runlog_close(log);
    runlog_close(file_log);
    photos_free(workshop, nworkshop);
    return status;
}
