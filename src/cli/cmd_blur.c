/* cmd_blur.c - `retreat blur`: blur photos with any style of the ladder.
 *
 *     retreat blur --style pool --threads 2 --sigma 5 -o out/ photos/a.jpg photos/b.jpg
 *
 * Each result has its input's name and format (a.jpg -> out/a.jpg) unless
 * --format says otherwise; --quality sets the JPEG quality.
 *
 * The styles are the reference solutions of exercises 02-08 (styles.h), so
 * this is also how to watch a style you just wrote do real work. A bad photo
 * is that photo's problem: the style carries on with the others, and at the
 * end we print one line per failed photo with its reason, then a summary.
 * Exit status: 0 all blurred, 1 some photo failed, 2 the command line is wrong.
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
#include "runlog.h"
#include "styles.h"

#define BLUR_THREADS_MAX 256

struct blur_opts {
    const struct style *style;
    int threads;
    float sigma;
    const char *out_dir;
    const char *run_log;
    enum img_format format; /* IMG_FORMAT_AUTO: each input's own */
    int quality;            /* of JPEG outputs */
};

static void usage(FILE *out)
{
    fprintf(out, "usage: retreat blur [--style NAME] [--threads N] [--sigma S] [-o DIR]\n"
                 "                    [--format png|jpg] [--quality Q] [--run-log FILE] FILE...\n"
                 "\n"
                 "Blurs every FILE with a Gaussian of the given sigma into DIR, keeping its\n"
                 "name and format (a format other than PNG or JPEG is written as PNG).\n"
                 "\n"
                 "  --style NAME     how to share out the work (default pool), one of:\n");
    styles_print(out, "      ");
    fprintf(out,
            "  --threads N      workers a concurrent style may use (default: CPUs, %ld)\n"
            "  --sigma S        blur strength, %.1f to %.1f (default %.1f)\n"
            "  -o DIR           output folder, created if missing (default out)\n"
            "  --format F       write every result as png or jpg, whatever the input\n"
            "                   (the name's extension changes to match)\n"
            "  --quality Q      JPEG quality, 1 to 100 (default %d; chroma at half\n"
            "                   resolution, 4:2:0, as cameras do)\n"
            "  --run-log FILE   append the run's spans (JSON Lines, docs/RUNLOG.md) to FILE\n"
            "\n"
            "Exit status: 0 all blurred, 1 some file failed, 2 usage error.\n",
            sysconf(_SC_NPROCESSORS_ONLN), BLUR_SIGMA_MIN, BLUR_SIGMA_MAX, BLUR_SIGMA_DEFAULT,
            IMG_JPEG_QUALITY);
}

/* Fills opts from argv; on a usage error prints why and returns -1. On
 * success, argv[optind..argc) are the files. */
static int parse_args(int argc, char **argv, struct blur_opts *o, int *help)
{
    static const struct option longopts[] = {
        {"style", required_argument, NULL, 's'},  {"threads", required_argument, NULL, 't'},
        {"sigma", required_argument, NULL, 'g'},  {"run-log", required_argument, NULL, 'l'},
        {"format", required_argument, NULL, 'f'}, {"quality", required_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct err err;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (struct blur_opts){.style = styles_find("pool"),
                            .threads = cpus > 0 ? (int)cpus : 1,
                            .sigma = BLUR_SIGMA_DEFAULT,
                            .out_dir = "out",
                            .quality = IMG_JPEG_QUALITY};
    *help = 0;
    optind = 0; /* glibc: rescan from the start, even if called before (tests do) */
    opterr = 0; /* we say what is wrong ourselves, as "retreat blur: ..." */
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (styles_lookup(optarg, &o->style, &err) != 0) {
                fprintf(stderr, "retreat blur: %s\n", err.msg);
                return -1;
            }
            break;
        case 't':
            if (args_int(optarg, 1, BLUR_THREADS_MAX, &o->threads) != 0) {
                fprintf(stderr,
                        "retreat blur: --threads '%s': expected a whole number from 1 to %d\n",
                        optarg, BLUR_THREADS_MAX);
                return -1;
            }
            break;
        case 'g':
            if (args_float(optarg, &o->sigma) != 0) {
                fprintf(stderr, "retreat blur: --sigma '%s': expected a number\n", optarg);
                return -1;
            }
            if (blur_check_sigma(o->sigma, &err) != 0) {
                fprintf(stderr, "retreat blur: %s\n", err.msg);
                return -1;
            }
            break;
        case 'o':
            o->out_dir = optarg;
            break;
        case 'l':
            o->run_log = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "png") == 0) {
                o->format = IMG_FORMAT_PNG;
            } else if (strcmp(optarg, "jpg") == 0 || strcmp(optarg, "jpeg") == 0) {
                o->format = IMG_FORMAT_JPEG;
            } else {
                fprintf(stderr, "retreat blur: --format '%s': expected png or jpg\n", optarg);
                return -1;
            }
            break;
        case 'q':
            if (args_int(optarg, 1, 100, &o->quality) != 0) {
                fprintf(stderr,
                        "retreat blur: --quality '%s': expected a whole number from 1 to 100\n",
                        optarg);
                return -1;
            }
            break;
        case 'h':
            *help = 1;
            return 0;
        case ':':
            fprintf(stderr, "retreat blur: %s needs a value\n", argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "retreat blur: unknown option '%s'\n", argv[optind - 1]);
            return -1;
        }
    }
    if (optind == argc) {
        fprintf(stderr, "retreat blur: no image files given\n");
        return -1;
    }
    return 0;
}

/* Appends the spans of the run, held in memory, to the --run-log file. */
static int save_run_log(struct runlog *file, const char *path, const struct runlog_span *spans,
                        size_t count, struct err *err)
{
    for (size_t i = 0; i < count; i++)
        if (runlog_append(file, &spans[i]) != 0)
            return err_set(err, "%s: cannot write run log", path);
    return 0;
}

int cmd_blur(int argc, char **argv)
{
    struct blur_opts o;
    int help;
    if (parse_args(argc, argv, &o, &help) != 0) {
        fprintf(stderr, "Try 'retreat blur --help'.\n");
        return 2;
    }
    if (help) {
        usage(stdout);
        return 0;
    }

    struct err err;
    struct blur_batch b = {
        .style = o.style->name,
        .inputs = (const char *const *)argv + optind,
        .count = (size_t)(argc - optind),
        .out_dir = o.out_dir,
        .sigma = o.sigma,
        .threads = o.threads,
        .format = o.format,
        .jpeg_quality = o.quality,
    };
    if (styles_check_overwrite(&b, &err) != 0) {
        fprintf(stderr, "retreat blur: %s\n", err.msg);
        return 2;
    }
    /* Opened before the run, so that a wrong path costs no work. */
    struct runlog *file_log = NULL;
    if (o.run_log != NULL && runlog_open(&file_log, o.run_log, &err) != 0) {
        fprintf(stderr, "retreat blur: %s\n", err.msg);
        return 2;
    }
    if (styles_make_out_dir(o.out_dir, &err) != 0) {
        fprintf(stderr, "retreat blur: %s\n", err.msg);
        runlog_close(file_log);
        return 1;
    }
    /* The style logs into memory: the progress bar reads it back while the
     * style runs, and --run-log gets a copy at the end. */
    b.results = calloc(b.count, sizeof *b.results);
    if (b.results == NULL || runlog_open_memory(&b.log, &err) != 0) {
        fprintf(stderr, "retreat blur: %s\n", b.results ? err.msg : "out of memory");
        free(b.results);
        runlog_close(file_log);
        return 1;
    }

    struct style_run m;
    styles_run(o.style, &b, &m);

    int failed = 0;
    for (size_t i = 0; i < b.count; i++) {
        if (b.results[i].status == BLUR_FAILED) {
            fprintf(stderr, "retreat blur: %s\n", b.results[i].error);
            failed++;
        } else if (b.results[i].status == BLUR_PENDING) {
            /* Only a broken style leaves an item untouched; say so. */
            fprintf(stderr, "retreat blur: %s: not processed (the %s style never finished it)\n",
                    b.inputs[i], o.style->name);
            failed++;
        }
    }
    if (m.rc != 0)
        fprintf(stderr,
                "retreat blur: the %s style could not run (no threads, processes or memory left)\n",
                o.style->name);

    /* The log says how many threads or processes really worked (the threads
     * style starts one per image, whatever --threads says), and it is what
     * --run-log asked for. */
    struct runlog_span *spans = NULL;
    size_t count = 0, workers = 0;
    int log_failed = runlog_snapshot(b.log, &spans, &count, &err) != 0 ||
                     (file_log != NULL && save_run_log(file_log, o.run_log, spans, count, &err));
    if (log_failed)
        fprintf(stderr, "retreat blur: %s\n", err.msg);
    workers = runlog_workers(spans, count, o.style->name, NULL);
    free(spans);

    printf("%s: %zu blurred, %d failed in %.2f s on %zu worker%s (sigma %g); results in %s\n",
           o.style->name, batch_count(&b, BLUR_DONE), failed, m.wall_s, workers,
           workers == 1 ? "" : "s", o.sigma, o.out_dir);

    runlog_close(file_log);
    runlog_close(b.log);
    free(b.results);
    return failed > 0 || m.rc != 0 || log_failed ? 1 : 0;
}
