/* cmd_serve.c - `retreat serve`: the comic server, until Ctrl-C.
 *
 * Serves the synthetic comics of comicsrv.h so that the fetch track, a
 * browser or curl can read them without the internet. Prints where it
 * listens (handy with --port 0, which picks a free port) and runs until
 * SIGINT or SIGTERM. With --public the query overrides are off unless
 * --allow-overrides says otherwise (see comicsrv.h).
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comicsrv.h"
#include "commands.h"

static int usage(FILE *out)
{
    fprintf(out,
            "usage: retreat serve [OPTIONS]\n"
            "\n"
            "Serves synthetic webcomics (feeds, pages, images) over HTTP, until Ctrl-C.\n"
            "\n"
            "  --port N       TCP port (default 8080; 0 picks a free one)\n"
            "  --count N      number of comics, 1-%d (default %d)\n"
            "  --latency MS   mean delay of a comic's requests (default 200; some comics\n"
            "                 are faster, some slower)\n"
            "  --jitter MS    up to this much more per URL (default 50)\n"
            "  --seed N       chooses the delays (default 1): same seed, same delays\n"
            "  --fault SPEC   break some feeds; SPEC is KIND[:n=N][:every=N], KIND one of\n"
            "                 404 500 503 reset slow truncate redirect loop malformed\n"
            "                 laughs huge type (may be given up to %d times)\n"
            "  --public       listen on every interface, not just 127.0.0.1; the\n"
            "                 ?latency= and ?fault= overrides are then refused\n"
            "  --allow-overrides  with --public, honour ?latency= and ?fault= anyway\n"
            "\n"
            "Any URL also takes ?latency=MS (up to %d) and ?fault=SPEC, which let a\n"
            "client ask for a 10-minute wait or a 1 GiB body. Start at /feeds.txt.\n",
            COMICSRV_MAX_COUNT, COMICSRV_DEFAULT_COUNT, COMICSRV_MAX_FAULTS,
            COMICSRV_MAX_LATENCY_MS);
    return out == stdout ? 0 : 2;
}

/* Parses a whole decimal number within [0, max]. */
static int parse_number(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || v > max) {
        fprintf(stderr, "retreat serve: %s '%s': expected a number from 0 to %lu\n", opt, s, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},    {"count", required_argument, NULL, 'n'},
        {"latency", required_argument, NULL, 'l'}, {"jitter", required_argument, NULL, 'j'},
        {"seed", required_argument, NULL, 's'},    {"fault", required_argument, NULL, 'f'},
        {"public", no_argument, NULL, 'P'},        {"allow-overrides", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    struct comicsrv_opts o = {.port = 8080, .latency_ms = 200, .jitter_ms = 50, .seed = 1};
    unsigned long v;
    struct err err = {{0}};
    int c, allow_overrides = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        const char *opt = longopts[0].name;
        for (const struct option *lo = longopts; lo->name; lo++)
            if (lo->val == c)
                opt = lo->name;
        switch (c) {
        case 'p':
            if (parse_number(opt, optarg, 65535, &v) != 0)
                return 2;
            o.port = (unsigned)v;
            break;
        case 'n':
            if (parse_number(opt, optarg, COMICSRV_MAX_COUNT, &v) != 0)
                return 2;
            if (v == 0) {
                fprintf(stderr, "retreat serve: --count must be at least 1\n");
                return 2;
            }
            o.count = (unsigned)v;
            break;
        case 'l':
        case 'j':
            if (parse_number(opt, optarg, COMICSRV_MAX_LATENCY_MS / 3, &v) != 0)
                return 2;
            if (c == 'l')
                o.latency_ms = (unsigned)v;
            else
                o.jitter_ms = (unsigned)v;
            break;
        case 's':
            if (parse_number(opt, optarg, 0xffffffffUL, &v) != 0)
                return 2;
            o.seed = v;
            break;
        case 'f':
            if (o.nfaults == COMICSRV_MAX_FAULTS) {
                fprintf(stderr, "retreat serve: at most %d --fault options\n", COMICSRV_MAX_FAULTS);
                return 2;
            }
            if (comicsrv_fault_parse(optarg, &o.faults[o.nfaults++], &err) != 0) {
                fprintf(stderr, "retreat serve: %s\n", err.msg);
                return 2;
            }
            break;
        case 'P':
            o.any_address = 1;
            break;
        case 'A':
            allow_overrides = 1;
            break;
        case 'h':
            return usage(stdout);
        default:
            return usage(stderr);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "retreat serve: unexpected argument '%s'\n", argv[optind]);
        return usage(stderr);
    }
    if (allow_overrides && !o.any_address) {
        fprintf(stderr, "retreat serve: --allow-overrides goes with --public (on 127.0.0.1 "
                        "the overrides are always on)\n");
        return 2;
    }
    /* Anyone who can reach a public server could make it hold a connection
     * ten minutes or send a gigabyte: the overrides are for tests, and off
     * on a public server (comicsrv_overrides_on) unless allowed here. */
    if (allow_overrides)
        o.overrides = COMICSRV_OVERRIDES_ON;

    /* Block the stop signals before any thread starts, so that every thread
     * inherits the mask and sigwait() below is the one place they arrive. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    struct comicsrv *srv;
    if (comicsrv_start(&srv, &o, &err) != 0) {
        fprintf(stderr, "retreat serve: %s\n", err.msg);
        return 1;
    }
    char url[COMICSRV_URL_MAX];
    comicsrv_url(srv, "/feeds.txt", url, sizeof url);
    printf("serving %u comics at %s\n", comicsrv_count(srv), url);
    if (!comicsrv_overrides_on(&o))
        printf("public: ?latency= and ?fault= are refused (--allow-overrides allows them)\n");
    printf("press Ctrl-C to stop\n");
    fflush(stdout);

    int sig;
    sigwait(&stop, &sig);
    printf("stopping (%lu requests served)\n", comicsrv_requests(srv));
    comicsrv_stop(srv);
    return 0;
}
