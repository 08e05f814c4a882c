/* cmd_join.c - `retreat join URL` and `retreat leave`: class mode, for a
 * participant (what `make join URL` and `make leave` run).
 *
 * Joining asks the class to reserve a display name for a fresh random token,
 * then saves both with the URL (class_client.h). Nothing is ever sent to a
 * class without this step, and leaving undoes it.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "class_client.h"
#include "commands.h"

static int usage(FILE *out)
{
    fprintf(out, "usage: retreat join [--name NAME] URL\n"
                 "       retreat leave\n"
                 "\n"
                 "join: from now on every `make exercise N` posts its card and run log to the\n"
                 "class at URL (as `retreat class` printed it) and says so under the card.\n"
                 "NAME is shown on the class's page (default: $USER, else your login). Saved in\n"
                 "$XDG_CONFIG_HOME/retreat/class (else ~/.config/retreat/class).\n"
                 "leave: stop posting (removes that file).\n");
    return out == stdout ? 0 : 2;
}

int cmd_join(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"name", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *name = getenv("USER");
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'n')
            name = optarg;
        else
            return usage(c == 'h' ? stdout : stderr);
    }
    if (optind != argc - 1) {
        fprintf(stderr, "retreat join: which class? give the URL `retreat class` printed\n");
        return usage(stderr);
    }
    if (name == NULL || name[0] == '\0') {
        /* No $USER (a container, a service): the account's name will do. */
        struct passwd *pw = getpwuid(getuid());
        name = pw != NULL ? pw->pw_name : NULL;
    }
    if (name == NULL || name[0] == '\0') {
        fprintf(stderr, "retreat join: no $USER: give a name with --name NAME\n");
        return 2;
    }
    struct class_config cfg, old;
    struct err err = {{0}};
    int had = class_config_load(&old, &err) == 1;
    if (class_client_join(argv[optind], name, &cfg, &err) != 0) {
        fprintf(stderr, "retreat join: %s\n", err.msg);
        return 1;
    }
    char path[1024];
    class_config_path(path, sizeof path, &err);
    printf("joined the class at %s as %s (saved in %s)\n", cfg.url, cfg.name, path);
    if (had && strcmp(old.url, cfg.url) != 0)
        printf("(this replaces the class at %s)\n", old.url);
    printf("every `make exercise N` now posts its card there; `make leave` stops it\n");
    return 0;
}

int cmd_leave(int argc, char **argv)
{
    struct err err = {{0}};
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0)
            return usage(stdout);
        fprintf(stderr, "retreat leave: takes no arguments\n");
        return 2;
    }
    int rc = class_config_remove(&err);
    if (rc < 0) {
        fprintf(stderr, "retreat leave: %s\n", err.msg);
        return 1;
    }
    printf(rc == 1 ? "left the class: grades are no longer posted\n"
                   : "not in a class: nothing to leave\n");
    return 0;
}
