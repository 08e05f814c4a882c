/* test_class_cmd.c - `retreat class`, `retreat join` and `retreat leave` as
 * a facilitator and a participant type them.
 *
 * The commands are run from beside this test binary ($BUILD/retreat), with
 * $XDG_CONFIG_HOME pointing into a fresh folder. The test waits for the
 * server's "press Ctrl-C" line (an event, not a delay) before joining.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_stream_probe.h"

/* Runs retreat with args, output into log; returns its exit status. */
static int run(const char *log, const char *const *args)
{
    return probe_wait(probe_spawn(log, args), 60);
}

/* Waits until the server's output says it serves; returns the join URL. */
static char *wait_join_url(const char *log, pid_t server)
{
    for (int i = 0; i < 600; i++) {
        char *text = probe_slurp(log);
        if (text != NULL && strstr(text, "press Ctrl-C") != NULL) {
            char *url = strstr(text, "join: make join ");
            cr_assert_not_null(url, "no join line: %s", text);
            url += strlen("join: make join ");
            url[strcspn(url, "\n")] = '\0';
            char *copy = strdup(url);
            free(text);
            return copy;
        }
        free(text);
        cr_assert_eq(kill(server, 0), 0, "retreat class exited early");
        usleep(100 * 1000);
    }
    cr_assert_fail("retreat class did not start");
    return NULL;
}

Test(class_cmd, class_join_leave_as_typed)
{
    char dir[64], db[128], log[128], jlog[128], cfg[128], other[128];
    snprintf(dir, sizeof dir, "/tmp/retreat-class-cmd-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/class.db", dir);
    snprintf(log, sizeof log, "%s/class.txt", dir);
    snprintf(jlog, sizeof jlog, "%s/join.txt", dir);
    snprintf(cfg, sizeof cfg, "%s/ann", dir);
    snprintf(other, sizeof other, "%s/bob", dir);
    setenv("XDG_CONFIG_HOME", cfg, 1);

    const char *const server_args[] = {"class", "--port", "0", "--db", db, NULL};
    pid_t server = probe_spawn(log, server_args);
    char *url = wait_join_url(log, server);
    cr_expect(strncmp(url, "http://127.0.0.1:", 17) == 0, "loopback by default: %s", url);

    const char *const join[] = {"join", "--name", "ann", url, NULL};
    cr_expect_eq(run(jlog, join), 0);
    char *said = probe_slurp(jlog);
    cr_expect(strstr(said, "joined the class at") != NULL, "%s", said);
    free(said);
    char path[256];
    struct stat sb;
    snprintf(path, sizeof path, "%s/retreat/class", cfg);
    cr_expect_eq(stat(path, &sb), 0);

    /* Another participant cannot be ann too. */
    setenv("XDG_CONFIG_HOME", other, 1);
    cr_expect_eq(run(jlog, join), 1);
    said = probe_slurp(jlog);
    cr_expect(strstr(said, "the name ann is taken in this class") != NULL, "%s", said);
    free(said);
    snprintf(path, sizeof path, "%s/retreat/class", other);
    cr_expect_neq(stat(path, &sb), 0, "a refused join saves nothing");

    setenv("XDG_CONFIG_HOME", cfg, 1);
    const char *const leave[] = {"leave", NULL};
    cr_expect_eq(run(jlog, leave), 0);
    said = probe_slurp(jlog);
    cr_expect(strstr(said, "left the class") != NULL, "%s", said);
    free(said);
    snprintf(path, sizeof path, "%s/retreat/class", cfg);
    cr_expect_neq(stat(path, &sb), 0);

    kill(server, SIGINT);
    cr_expect_eq(probe_wait(server, 60), 0);
    said = probe_slurp(log);
    cr_expect(strstr(said, "stopping (0 uploads taken") != NULL, "%s", said);
    free(said);
    free(url);
    probe_rmdir(dir);
}

Test(class_cmd, bad_options_are_usage_errors)
{
    char dir[64], log[128];
    snprintf(dir, sizeof dir, "/tmp/retreat-class-cmd-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(log, sizeof log, "%s/out.txt", dir);
    const char *const port[] = {"class", "--port", "70000", NULL};
    cr_expect_eq(run(log, port), 2);
    const char *const nourl[] = {"join", "--name", "ann", NULL};
    cr_expect_eq(run(log, nourl), 2);
    const char *const badurl[] = {"join", "--name", "ann", "http://127.0.0.1:1/feeds.txt", NULL};
    cr_expect_eq(run(log, badurl), 1);
    char *said = probe_slurp(log);
    cr_expect(strstr(said, "is not a class URL") != NULL, "%s", said);
    free(said);
    probe_rmdir(dir);
}
