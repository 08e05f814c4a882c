/* cmd_trace.c - `retreat trace`: a run log as a trace for Perfetto.
 *
 *     retreat trace build/runs/05-pool-1733329900.jsonl
 *     retreat trace run.jsonl -o pool.json       then open it in ui.perfetto.dev
 *     retreat trace run.jsonl -o -               to standard output
 *
 * The format and the choices behind it (a track per worker, async events
 * for overlapping spans) are in trace.h. The file is written atomically: a
 * run log that cannot be read leaves no trace file at all.
 * Exit status: 0 written, 1 the log or the output failed, 2 usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "trace.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: retreat trace RUNLOG [-o FILE|-]\n"
                 "\n"
                 "Writes the run log RUNLOG (JSON Lines, docs/RUNLOG.md) as Chrome Trace Event\n"
                 "JSON: open it in https://ui.perfetto.dev or chrome://tracing to zoom into\n"
                 "every span, one track per worker.\n"
                 "\n"
                 "  -o FILE   where to write it (default: RUNLOG with .jsonl replaced by\n"
                 "            .trace.json); - writes to standard output\n"
                 "\n"
                 "Exit status: 0 written, 1 failed, 2 usage.\n");
}

/* Parses the command line into *log and *out; 1 for --help, -1 on error. */
static int parse_args(int argc, char **argv, const char **log, const char **out)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 0;
    opterr = 0;
    *log = *out = NULL;
    for (int c; (c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1;) {
        if (c == 'o')
            *out = optarg;
        else if (c == 'h')
            return 1;
        else {
            fprintf(stderr, "retreat trace: %s '%s'\n",
                    c == ':' ? "no value after" : "unknown option", argv[optind - 1]);
            return -1;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "retreat trace: expected one run log, got %d\n", argc - optind);
        return -1;
    }
    *log = argv[optind];
    return 0;
}

static int to_stdout(const char *log, struct err *err)
{
    struct runlog_span *spans;
    size_t count;
    if (runlog_read(log, &spans, &count, err) != 0)
        return -1;
    int rc = trace_write_json(spans, count, stdout, err);
    free(spans);
    return rc;
}

int cmd_trace(int argc, char **argv)
{
    const char *log, *out;
    int rc = parse_args(argc, argv, &log, &out);
    if (rc != 0) {
        if (rc > 0) {
            usage(stdout);
            return 0;
        }
        fprintf(stderr, "run 'retreat trace --help' for usage\n");
        return 2;
    }
    struct err err = {{0}};
    char path[4096];
    if (out != NULL && out[0] == '-' && out[1] == '\0') {
        if (to_stdout(log, &err) != 0) {
            fprintf(stderr, "retreat trace: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    if (out == NULL && trace_path_for(log, path, sizeof path, &err) == 0)
        out = path;
    if (out == NULL || trace_convert_file(log, out, &err) != 0) {
        fprintf(stderr, "retreat trace: %s\n", err.msg);
        return 1;
    }
    printf("retreat trace: wrote %s (open it in https://ui.perfetto.dev)\n", out);
    return 0;
}
