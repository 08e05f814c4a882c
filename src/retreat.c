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

const struct command commands[] = {
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
