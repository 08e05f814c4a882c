/* retreat.c - the `retreat` command: finds the subcommand and runs it.
 *
 * Every subcommand lives in its own src/cmd_NAME.c; to add one, write it
 * there, declare it below and add a row to the table.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static int usage(FILE *out)
{
    fprintf(out, "usage: retreat COMMAND [ARGS...]\n\ncommands:\n");
    for (const struct command *c = commands; c->name != NULL; c++)
        fprintf(out, "  %-8s %s\n", c->name, c->summary);
    fprintf(out, "\n'retreat COMMAND --help' tells more about one command.\n");
    return out == stdout ? 0 : 2;
}

int cmd_blur(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_comics(int argc, char **argv);
int cmd_stream(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_grade(int argc, char **argv);
int cmd_class(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_leave(int argc, char **argv);
int cmd_trace(int argc, char **argv);

const struct command commands[] = {
    {"blur", "blur photos with any style of the ladder (linear ... fast)", cmd_blur},
    {"bench", "time every blur style on the same photos, side by side", cmd_bench},
    {"comics", "open the new comics of your feeds (or of the embedded server)", cmd_comics},
    {"serve", "serve synthetic webcomics over HTTP (for the fetch track)", cmd_serve},
    {"stream", "render runs to a video file or stream them live (RTMP, Twitch)", cmd_stream},
    {"grade", "grade an exercise: the card of `make exercise N` (also hints, progress)", cmd_grade},
    {"fetch", "GET many URLs with any fetch style, timed (fetch-linear ... fetch-events)",
     cmd_fetch},
    {"class", "the facilitator's class server: cards, leaderboard page, state", cmd_class},
    {"join", "post every grade card to a class (`make join URL`)", cmd_join},
    {"leave", "stop posting grade cards to the class (`make leave`)", cmd_leave},
    {"trace", "a run log as Chrome Trace Event JSON, for ui.perfetto.dev", cmd_trace},
    {NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0)
        return usage(stdout);
    for (const struct command *c = commands; c->name != NULL; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "retreat: unknown command '%s'\n\n", argv[1]);
    return usage(stderr);
}
