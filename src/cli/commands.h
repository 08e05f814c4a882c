/* commands.h - the subcommands of `retreat`, one cmd_NAME.c file each.
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and
 * returns the process exit status: 0 success, 1 some input failed, 2 usage.
 */
#ifndef RETREAT_COMMANDS_H
#define RETREAT_COMMANDS_H

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

/* The table, in src/cli/retreat.c. */
extern const struct command commands[];

#endif
