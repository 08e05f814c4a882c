/* test_comics.c - `retreat comics`, run as a user would, against a comic server.
 *
 * The tests start the comic server in-process on a free loopback port, write
 * a feeds file pointing at it, and run the built `retreat` binary (beside
 * this test binary, or $RETREAT_BIN) with posix_spawn. $BROWSER is a small
 * shell script that appends its arguments to a file, so we can see what
 * would have been opened, and in which order.
 */
#include <criterion/criterion.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <libgen.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "comicsrv.h"
#include "readstate.h"

extern char **environ;

static char dir[] = "/tmp/retreat-test-comics-XXXXXX";
static char state[256], feeds[256], opened[256], out[256], errs[256], browser[256];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot create %s", path);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return strdup("");
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(state, sizeof state, "%s/state/read.txt", dir);
    snprintf(feeds, sizeof feeds, "%s/feeds.txt", dir);
    snprintf(opened, sizeof opened, "%s/opened.txt", dir);
    snprintf(out, sizeof out, "%s/stdout.txt", dir);
    snprintf(errs, sizeof errs, "%s/stderr.txt", dir);
    snprintf(browser, sizeof browser, "%s/browser.sh", dir);
    char script[512];
    snprintf(script, sizeof script, "#!/bin/sh\necho \"$@\" >> '%s'\n", opened);
    write_text(browser, script);
    cr_assert_eq(chmod(browser, 0755), 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(comics, .init = setup, .fini = teardown, .timeout = 60);

static const char *retreat_bin(void)
{
    static char path[4096];
    const char *env = getenv("RETREAT_BIN");
    if (env != NULL)
        return env;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    cr_assert_gt(n, 0);
    exe[n] = '\0';
    snprintf(path, sizeof path, "%s/retreat", dirname(dirname(exe))); /* build/X/tests/unit */
    return path;
}

/* Starts `retreat comics ARGS...` with stdout and stderr in files. */
static pid_t spawn(const char *const *args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)retreat_bin();
    argv[argc++] = "comics";
    for (; *args != NULL; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, errs, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0, "cannot run %s", argv[0]);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "retreat comics died (signal %d)", WTERMSIG(status));
    return WEXITSTATUS(status);
}

static int run(const char *const *args)
{
    return wait_exit(spawn(args));
}

static struct comicsrv *start_server(unsigned count)
{
    struct comicsrv *srv;
    struct err err = {{0}};
    struct comicsrv_opts o = {.count = count};
    cr_assert_eq(comicsrv_start(&srv, &o, &err), 0, "%s", err.msg);
    return srv;
}

/* The page link the reader should find for comic i (its newest episode). */
static void page_url(struct comicsrv *srv, unsigned i, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/comic/%u/%u.html", i, COMICSRV_EPISODES);
    cr_assert_eq(comicsrv_url(srv, path, buf, size), 0);
}

Test(comics, prints_new_comics_then_remembers_them)
{
    struct comicsrv *srv = start_server(4);
    char text[2048], url[COMICSRV_URL_MAX];
    size_t at = snprintf(text, sizeof text, "# my comics\n\n");
    for (unsigned i = 0; i < 3; i++) {
        comicsrv_feed_url(srv, i, url, sizeof url);
        at += snprintf(text + at, sizeof text - at, "%s\n", url);
    }
    write_text(feeds, text);

    const char *args[] = {"--print", "--state", state, feeds, NULL};
    cr_expect_eq(run(args), 0);
    char *printed = read_text(out);
    for (unsigned i = 0; i < 3; i++) {
        page_url(srv, i, url, sizeof url);
        cr_expect_not_null(strstr(printed, url), "%s missing from:\n%s", url, printed);
    }
    cr_expect_not_null(strstr(printed, "found 3 new, 0 already read, 0 failed"), "%s", printed);
    free(printed);
    char *saved = read_text(state);
    cr_expect_eq(count_lines(saved), 4, "%s", saved); /* a comment and three links */
    free(saved);

    /* The next run finds nothing new; a fourth feed is new. */
    comicsrv_feed_url(srv, 3, url, sizeof url);
    snprintf(text + at, sizeof text - at, "%s\n", url);
    write_text(feeds, text);
    cr_expect_eq(run(args), 0);
    printed = read_text(out);
    page_url(srv, 3, url, sizeof url);
    cr_expect_not_null(strstr(printed, url));
    cr_expect_not_null(strstr(printed, "found 1 new, 3 already read, 0 failed"), "%s", printed);
    cr_expect_eq(count_lines(printed), 2, "%s", printed);
    free(printed);
    comicsrv_stop(srv);
}

Test(comics, failures_are_reported_per_feed_and_line)
{
    struct comicsrv *srv = start_server(2);
    char base[COMICSRV_URL_MAX], text[2048];
    comicsrv_url(srv, "", base, sizeof base);
    snprintf(text, sizeof text,
             "%s/feed/0.xml\n"
             "ftp://example.test/feed.xml\n"
             "%s/feed/1.xml?fault=404\n"
             "%s/feed/1.xml?fault=laughs\n",
             base, base, base);
    write_text(feeds, text);
    const char *args[] = {"--print", "--state", state, "--style", "fetch-pool", feeds, NULL};
    cr_expect_eq(run(args), 1);
    char *printed = read_text(out), *warned = read_text(errs);
    cr_expect_not_null(strstr(printed, "found 1 new, 0 already read, 2 failed"), "%s", printed);
    cr_expect_not_null(strstr(printed, "fault=404"), "%s", printed);
    cr_expect_not_null(strstr(printed, "404"), "%s", printed);
    cr_expect_not_null(strstr(printed, "entities"), "%s", printed);
    cr_expect_not_null(strstr(warned, "feeds.txt:2: 'ftp://example.test/feed.xml' is not an http"),
                       "%s", warned);
    free(printed);
    free(warned);
    comicsrv_stop(srv);
}

Test(comics, opens_in_readiness_order_through_browser)
{
    /* Feed 0 is slow, feed 1 fast: fetch-multi must open comic 1 first. The
     * browser list starts with a command that does not exist: the next one
     * is used. */
    struct comicsrv *srv = start_server(2);
    char base[COMICSRV_URL_MAX], text[1024], list[600];
    comicsrv_url(srv, "", base, sizeof base);
    snprintf(text, sizeof text, "%s/feed/0.xml?latency=800\n%s/feed/1.xml\n", base, base);
    write_text(feeds, text);
    snprintf(list, sizeof list, "/nonexistent/browser %%s:%s --new-tab %%s", browser);
    setenv("BROWSER", list, 1);
    const char *args[] = {"--state", state, feeds, NULL};
    cr_expect_eq(run(args), 0);

    char *got = read_text(opened), want[2 * COMICSRV_URL_MAX + 64], url0[COMICSRV_URL_MAX],
         url1[COMICSRV_URL_MAX];
    page_url(srv, 0, url0, sizeof url0);
    page_url(srv, 1, url1, sizeof url1);
    /* The script runs in the background: give it a moment to write. */
    for (int k = 0; k < 100 && count_lines(got) < 2; k++) {
        free(got);
        clock_sleep_ms(20);
        got = read_text(opened);
    }
    snprintf(want, sizeof want, "--new-tab %s\n--new-tab %s\n", url1, url0);
    cr_expect_str_eq(got, want);
    free(got);
    comicsrv_stop(srv);
}

/* --- A one-feed fixture server --------------------------------------------
 * The comic server writes only good links; this serves one fixed feed at
 * /feed.xml, answers anything else with an empty page, and counts those. */
struct fixture {
    struct MHD_Daemon *d;
    const char *feed;
    atomic_int others; /* requests for anything but /feed.xml */
};

static enum MHD_Result fixture_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls)
{
    struct fixture *fx = cls;
    (void)method, (void)version, (void)upload_data, (void)upload_data_size, (void)req_cls;
    int is_feed = strcmp(url, "/feed.xml") == 0;
    if (!is_feed)
        atomic_fetch_add(&fx->others, 1);
    const char *body = is_feed ? fx->feed : "";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", is_feed ? "application/rss+xml" : "text/html");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* Issue 11, item 3: a feed whose newest link is 5,000 characters long. The
 * link was cut to 2,047, HEAD-requested, opened and recorded as read; now
 * the feed fails, naming the limit, and nothing else is asked for, opened
 * or recorded. */
Test(comics, link_over_the_url_limit_is_not_opened)
{
    char *link = malloc(5001), *feed = malloc(6000);
    cr_assert(link != NULL && feed != NULL);
    memset(link, 'a', 5000);
    link[5000] = '\0';
    struct fixture fx = {.feed = feed};
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    fx.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, fixture_answer, &fx,
                            MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
    cr_assert_not_null(fx.d);
    unsigned port = MHD_get_daemon_info(fx.d, MHD_DAEMON_INFO_BIND_PORT)->port;
    int k = snprintf(link, 5001, "http://127.0.0.1:%u/comic/", port);
    link[k] = 'a';
    sprintf(feed, "<rss version=\"2.0\"><channel><item><link>%s</link></item></channel></rss>",
            link);
    char text[128];
    snprintf(text, sizeof text, "http://127.0.0.1:%u/feed.xml\n", port);
    write_text(feeds, text);
    setenv("BROWSER", browser, 1);

    const char *args[] = {"--state", state, feeds, NULL};
    cr_expect_eq(run(args), 1);
    MHD_stop_daemon(fx.d);
    char *printed = read_text(out);
    cr_expect_not_null(strstr(printed, "opened 0 new, 0 already read, 1 failed"), "%s", printed);
    cr_expect_not_null(strstr(printed, "over the limit of 2047 characters"), "%s", printed);
    free(printed);
    cr_expect_eq(atomic_load(&fx.others), 0, "the cut link was requested");
    cr_expect_neq(access(opened, F_OK), 0, "the browser was started");
    if (access(state, F_OK) == 0) {
        char *saved = read_text(state);
        cr_expect_eq(count_lines(saved), 1, "recorded as read: %.100s", saved); /* the header */
        free(saved);
    }
    free(link);
    free(feed);
}

/* Issue 11, item 8: docs/LIMITS.md said a state that cannot be saved still
 * exits 0. It exits 1, and says which file; this pins it. */
Test(comics, unsaveable_state_exits_1)
{
    struct comicsrv *srv = start_server(1);
    char url[COMICSRV_URL_MAX + 1];
    comicsrv_feed_url(srv, 0, url, sizeof url - 1);
    strcat(url, "\n");
    write_text(feeds, url);
    /* Nobody, not even root, can make a folder in /proc. */
    const char *args[] = {"--print", "--state", "/proc/retreat/read.txt", feeds, NULL};
    cr_expect_eq(run(args), 1);
    char *warned = read_text(errs);
    cr_expect_not_null(strstr(warned, "/proc/retreat/read.txt"), "%s", warned);
    free(warned);
    comicsrv_stop(srv);
}

/* Issue 11, item 4, through the command: a state at its size limit plus a
 * new comic is saved within the limit, the run says what it forgot, and the
 * next run can load it. */
Test(comics, full_state_forgets_the_oldest_and_says_so)
{
    struct comicsrv *srv = start_server(1);
    char url[COMICSRV_URL_MAX + 1];
    comicsrv_feed_url(srv, 0, url, sizeof url - 1);
    strcat(url, "\n");
    write_text(feeds, url);
    char folder[300];
    snprintf(folder, sizeof folder, "%s/state", dir);
    cr_assert_eq(mkdir(folder, 0700), 0);
    FILE *f = fopen(state, "wb");
    cr_assert_not_null(f);
    char id[2001];
    memset(id, 'x', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    /* Lines of 2001 bytes, then one shorter, up to 10 bytes short of the
     * limit once the saved header is counted: no new link fits. */
    size_t total = READSTATE_MAX_BYTES - 80 - 10, n = total / sizeof id - 1;
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(id, sizeof id, "http://old/%zu/", i);
        id[k] = 'x';
        fprintf(f, "%s\n", id);
    }
    size_t rest = total - n * sizeof id; /* 2001 .. 4001 bytes: two lines */
    char a[2100], b[2100];
    memset(a, 'p', sizeof a);
    memset(b, 'p', sizeof b);
    memcpy(a, "http://pad/a", 12);
    memcpy(b, "http://pad/b", 12);
    fprintf(f, "%.*s\n%.*s\n", (int)(rest / 2 - 1), a, (int)(rest - rest / 2 - 1), b);
    cr_assert_eq(fclose(f), 0);

    const char *args[] = {"--print", "--state", state, feeds, NULL};
    cr_expect_eq(run(args), 0);
    char *warned = read_text(errs);
    cr_expect_not_null(strstr(warned, "forgot the 1 oldest comics read"), "%s", warned);
    free(warned);
    /* The next run loads it, and knows the comic as read. */
    cr_expect_eq(run(args), 0);
    char *printed = read_text(out);
    cr_expect_not_null(strstr(printed, "found 0 new, 1 already read"), "%s", printed);
    free(printed);
    comicsrv_stop(srv);
}

Test(comics, browser_that_cannot_start_is_a_failure)
{
    struct comicsrv *srv = start_server(1);
    char url[COMICSRV_URL_MAX];
    comicsrv_feed_url(srv, 0, url, sizeof url);
    strcat(url, "\n");
    write_text(feeds, url);
    setenv("BROWSER", "/nonexistent/browser", 1);
    const char *args[] = {"--state", state, feeds, NULL};
    cr_expect_eq(run(args), 1);
    char *printed = read_text(out);
    cr_expect_not_null(strstr(printed, "cannot run '/nonexistent/browser'"), "%s", printed);
    free(printed);
    char *saved = read_text(state);
    cr_expect_eq(count_lines(saved), 1, "not opened, so not read: %s", saved);
    free(saved);
    comicsrv_stop(srv);
}

Test(comics, embedded_server_serves_until_interrupted)
{
    setenv("BROWSER", browser, 1);
    const char *args[] = {"--state", state, "--port", "0", "--count", "3", "--latency", "0", NULL};
    pid_t pid = spawn(args);

    /* Wait until it says it keeps serving, then load an opened page. */
    char *said = read_text(out);
    for (int k = 0; k < 500 && strstr(said, "press Ctrl-C") == NULL; k++) {
        free(said);
        clock_sleep_ms(20);
        said = read_text(out);
    }
    cr_assert_not_null(strstr(said, "press Ctrl-C"), "stdout:\n%s", said);
    cr_expect_not_null(strstr(said, "opened 3 new"), "%s", said);
    char page[COMICSRV_URL_MAX] = "";
    cr_assert_eq(sscanf(said, "opened %255s", page), 1);
    free(said);

    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, page);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    cr_expect_eq(curl_easy_perform(c), CURLE_OK, "%s is not served", page);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    cr_expect_eq(code, 200);
    curl_easy_cleanup(c);

    kill(pid, SIGINT);
    cr_expect_eq(wait_exit(pid), 0);
}

Test(comics, command_line_errors)
{
    const char *unknown_style[] = {"--style", "fetch-carrier-pigeon", feeds, NULL};
    cr_expect_eq(run(unknown_style), 2);
    char *warned = read_text(errs);
    cr_expect_not_null(strstr(warned, "unknown fetch style 'fetch-carrier-pigeon'"), "%s", warned);
    free(warned);

    const char *two_files[] = {"a.txt", "b.txt", NULL};
    cr_expect_eq(run(two_files), 2);
    const char *bad_port[] = {"--port", "70000", NULL};
    cr_expect_eq(run(bad_port), 2);

    const char *missing[] = {"--state", state, "/nonexistent/feeds.txt", NULL};
    cr_expect_eq(run(missing), 1);
    warned = read_text(errs);
    cr_expect_not_null(strstr(warned, "/nonexistent/feeds.txt: cannot open"), "%s", warned);
    free(warned);

    write_text(feeds, "# nothing here\n");
    const char *empty[] = {"--state", state, feeds, NULL};
    cr_expect_eq(run(empty), 1);
    warned = read_text(errs);
    cr_expect_not_null(strstr(warned, "lists no usable feeds"), "%s", warned);
    free(warned);
}
