/* cmd_class.c - `retreat class`: the facilitator's class server, until Ctrl-C.
 *
 * Opens (or creates) the class database, starts the server of
 * class_server.h and prints the one line participants need:
 *
 *     join: make join http://127.0.0.1:8080/c/CODE/
 *
 * The same database restarts the same class: same code, same join URL,
 * every upload kept. Loopback by default, like `retreat serve`: a room is
 * opened only with --public.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "class_server.h"
#include "commands.h"
#include "exercises.h"

static int usage(FILE *out)
{
    fprintf(out,
            "usage: retreat class [OPTIONS]\n"
            "\n"
            "Runs the class server until Ctrl-C: participants who ran `make join URL` post\n"
            "their grade cards here; the URL is also the projector's leaderboard page.\n"
            "\n"
            "  --db FILE      the class database (default class.db); the same file\n"
            "                 restarts the same class, with the same join URL\n"
            "  --port N       TCP port (default 8080; 0 picks a free one)\n"
            "  --public       listen on every interface, not just 127.0.0.1: needed for\n"
            "                 participants on other machines\n"
            "  --exercises F  the exercises accepted (default %s, if present;\n"
            "                 else any id of the form NN-name)\n"
            "\n"
            "See workshop/facilitator.md, \"Class mode\".\n",
            EXERCISES_PATH);
    return out == stdout ? 0 : 2;
}

int cmd_class(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'}, {"port", required_argument, NULL, 'p'},
        {"public", no_argument, NULL, 'P'},   {"exercises", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
    };
    struct class_server_opts o = {.db_path = "class.db", .port = 8080};
    const char *exercises_path = NULL;
    struct err err = {{0}};
    int c, port;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o.db_path = optarg;
            break;
        case 'p':
            if (args_int(optarg, 0, 65535, &port) != 0) {
                fprintf(stderr, "retreat class: --port '%s': expected a number from 0 to 65535\n",
                        optarg);
                return 2;
            }
            o.port = (unsigned)port;
            break;
        case 'P':
            o.any_address = 1;
            break;
        case 'e':
            exercises_path = optarg;
            break;
        case 'h':
            return usage(stdout);
        default:
            return usage(stderr);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "retreat class: unexpected argument '%s'\n", argv[optind]);
        return usage(stderr);
    }

    /* Known exercises make typos and forgeries visible ("not one of this
     * class's exercises"); without the list, the shape NN-name is checked. */
    struct exercise *list = NULL;
    size_t count = 0;
    const char *path = exercises_path ? exercises_path : EXERCISES_PATH;
    if (exercises_load(path, &list, &count, &err) != 0) {
        if (exercises_path != NULL) {
            fprintf(stderr, "retreat class: %s\n", err.msg);
            return 2;
        }
        list = NULL;
        count = 0;
    }
    o.exercises = list;
    o.nexercises = count;

    /* The stop signals are blocked before any thread starts, so that
     * sigwait() below is the one place they arrive (as in cmd_serve.c). */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    struct class_server *srv;
    if (class_server_start(&srv, &o, &err) != 0) {
        fprintf(stderr, "retreat class: %s\n", err.msg);
        free(list);
        return 1;
    }
    char url[CLASS_URL_MAX];
    class_server_url(srv, url, sizeof url);
    printf("join: make join %s\n", url);
    printf("serving class %s at %s (database %s; the page is the same URL)\n",
           o.any_address ? "on every interface" : "on loopback only", url, o.db_path);
    printf("press Ctrl-C to stop\n");
    fflush(stdout);

    int sig;
    sigwait(&stop, &sig);
    printf("stopping (%lu uploads taken, %lu refused)\n", class_server_accepted(srv),
           class_server_refused(srv));
    class_server_stop(srv);
    free(list);
    return 0;
}
