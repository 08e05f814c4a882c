/* test_cmd_blur.c - `retreat blur` and `retreat bench`, run as a user would.
 *
 * The commands are tested from the outside: the built `retreat` binary is run
 * with posix_spawn, its stdout and stderr go to files, and we check the exit
 * status, the messages and the files it wrote. That covers what a unit test
 * of the pieces cannot: option parsing, exit codes, and that one bad photo
 * among good ones is reported - naming the file and the reason - while the
 * others are still blurred, in every style.
 *
 * The binary is build/<dir>/retreat beside build/<dir>/tests/unit (both are
 * built by `make unit`), or $RETREAT_BIN if set. Images are small (48x32) so
 * that running every style stays quick.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blur.h"
#include "photos.h"
#include "img.h"
#include "runlog.h"
#include "styles.h"

extern char **environ;

/* The fixture folder: good and bad inputs, made fresh for every test. */
static char dir[] = "/tmp/retreat-test-cmd-XXXXXX";

static char *path_in(const char *name)
{
    static char buf[32][512]; /* enough for one command line of fixtures */
    static int next;
    char *p = buf[next++ % 32];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static void write_bytes(const char *name, const void *data, size_t len)
{
    FILE *f = fopen(path_in(name), "wb");
    cr_assert_not_null(f, "cannot create fixture %s", name);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, (cap *= 2) + 1);
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* A PNG signature and an IHDR chunk claiming width x height, and no pixels:
 * enough for a decoder to read the size, and for nothing else. */
static void write_png_header(const char *name, unsigned width, unsigned height)
{
    unsigned char h[] = {0x89,
                         'P',
                         'N',
                         'G',
                         '\r',
                         '\n',
                         0x1a,
                         '\n',
                         0,
                         0,
                         0,
                         13,
                         'I',
                         'H',
                         'D',
                         'R',
                         width >> 24,
                         width >> 16,
                         width >> 8,
                         width,
                         height >> 24,
                         height >> 16,
                         height >> 8,
                         height,
                         8,
                         2,
                         0,
                         0,
                         0,
                         0,
                         0,
                         0,
                         0};
    write_bytes(name, h, sizeof h);
}

static void make_fixtures(void)
{
    cr_assert_not_null(mkdtemp(dir));
    struct img im;
    struct err err;
    cr_assert_eq(img_alloc(&im, 48, 32, 3, &err), 0, "%s", err.msg);
    for (int y = 0; y < im.height; y++)
        for (int x = 0; x < im.width * 3; x++)
            img_row(&im, y)[x] = (uint8_t)((x * 37) ^ (y * 11));
    cr_assert_eq(img_save(path_in("good1.png"), &im, &err), 0, "%s", err.msg);
    cr_assert_eq(img_save(path_in("good2.png"), &im, &err), 0, "%s", err.msg);
    cr_assert_eq(img_save(path_in("good3.jpg"), &im, &err), 0, "%s", err.msg);
    img_free(&im);

    size_t len;
    char *png = read_all(path_in("good1.png"), &len);
    write_bytes("truncated.png", png, len / 2);
    free(png);
    write_bytes("notimage.png", "just some text\n", 15);
    write_bytes("empty.png", "", 0);
    write_png_header("zero.png", 0, 32);
    write_png_header("huge.png", 33000, 10);    /* over IMG_MAX_SIDE */
    write_png_header("bomb.png", 12000, 12000); /* over IMG_MAX_PIXELS, in 33 bytes */
}

static void remove_tree(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    cr_assert_eq(system(cmd), 0);
}

static void cleanup(void)
{
    remove_tree(dir);
}

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
    /* build/<dir>/tests/unit -> build/<dir>/retreat */
    snprintf(path, sizeof path, "%s/retreat", dirname(dirname(exe)));
    cr_assert_eq(access(path, X_OK), 0, "%s not found: build it (make unit does)", path);
    return path;
}

struct result {
    int status; /* exit status, or -1 if it did not exit normally */
    char *out, *err;
};

/* Runs retreat with args (NULL-terminated), capturing stdout and stderr. */
static struct result run(const char *const *args)
{
    const char *argv[32] = {retreat_bin()};
    size_t n = 1;
    while (args[n - 1] != NULL && n < 31) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, path_in("stdout.txt"), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&fa, 2, path_in("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char **)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "cannot run %s: %s", argv[0], strerror(rc));
    int ws;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    struct result r = {WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, read_all(path_in("stdout.txt"), NULL),
                       read_all(path_in("stderr.txt"), NULL)};
    cr_assert_neq(r.status, -1, "retreat crashed (signal %d); stderr:\n%s",
                  WIFSIGNALED(ws) ? WTERMSIG(ws) : 0, r.err);
    return r;
}

static void result_free(struct result *r)
{
    free(r->out);
    free(r->err);
}

/* 1 if one line of text contains both a and b. */
static int has_line_with(const char *text, const char *a, const char *b)
{
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[1024];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        if (strstr(buf, a) != NULL && strstr(buf, b) != NULL)
            return 1;
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

static size_t count_occurrences(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Asserts that out/name is the exact reference blur of the input name. */
static void assert_blurred(const char *out_dir, const char *name, float sigma, int tolerance)
{
    char out_path[1024];
    snprintf(out_path, sizeof out_path, "%s/%s", out_dir, name);
    struct img in, want, got;
    struct err err;
    cr_assert_eq(img_load(path_in(name), &in, &err), 0, "%s", err.msg);
    cr_assert_eq(img_alloc_like(&want, &in, &err), 0, "%s", err.msg);
    cr_assert_eq(blur_gauss(&in, &want, sigma, &err), 0, "%s", err.msg);
    cr_assert_eq(img_load(out_path, &got, &err), 0, "%s", err.msg);
    struct img_diff d;
    cr_assert_eq(img_compare(&got, &want, &d, &err), 0, "%s", err.msg);
    cr_assert_leq(d.max_abs, tolerance, "%s differs from the reference by %d at (%d,%d)", out_path,
                  d.max_abs, d.x, d.y);
    img_free(&in);
    img_free(&want);
    img_free(&got);
}

/* No half-written files (img_save's NAME.tmp.XXXXXX) may stay behind. */
static void assert_no_temp_files(const char *folder)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -q '\\.tmp\\.'", folder);
    cr_assert_neq(system(cmd), 0, "temporary files left in %s", folder);
}

TestSuite(cmd_blur, .init = make_fixtures, .fini = cleanup, .timeout = 60);

Test(cmd_blur, bad_inputs_are_reported_and_the_rest_blurred_in_every_style)
{
    static const struct {
        const char *file, *reason;
    } bad[] = {
        {"missing.png", "No such file"}, {"notimage.png", "not an image"},
        {"empty.png", "empty file"},     {"truncated.png", "truncated"},
        {"zero.png", "empty image"},     {"huge.png", "larger than the limit"},
        {"bomb.png", "megapixels"},
    };
    for (const struct style *s = styles; s->name != NULL; s++) {
        char out[600];
        snprintf(out, sizeof out, "%s/out-%s", dir, s->name);
        const char *args[] = {"blur",
                              "--style",
                              s->name,
                              "--threads",
                              "2",
                              "--sigma",
                              "1.5",
                              "-o",
                              out,
                              path_in("good1.png"),
                              path_in("missing.png"),
                              path_in("notimage.png"),
                              path_in("empty.png"),
                              path_in("good2.png"),
                              path_in("truncated.png"),
                              path_in("zero.png"),
                              path_in("huge.png"),
                              path_in("bomb.png"),
                              path_in("good3.jpg"),
                              NULL};
        struct result r = run(args);
        cr_assert_eq(r.status, 1, "%s: exit %d, want 1; stderr:\n%s", s->name, r.status, r.err);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
            cr_assert(has_line_with(r.err, bad[i].file, bad[i].reason),
                      "%s: no line naming %s with '%s'; stderr:\n%s", s->name, bad[i].file,
                      bad[i].reason, r.err);
        cr_assert(strstr(r.out, "3 blurred, 7 failed") != NULL, "%s: summary: %s", s->name, r.out);
        int tolerance = strcmp(s->name, "fast") == 0 ? 4 : 0;
        assert_blurred(out, "good1.png", 1.5f, tolerance);
        assert_blurred(out, "good2.png", 1.5f, tolerance);
        char path[1024];
        snprintf(path, sizeof path, "%s/good3.jpg", out);
        cr_assert_eq(access(path, F_OK), 0, "%s: no output for the JPEG input", s->name);
        snprintf(path, sizeof path, "%s/truncated.png", out);
        cr_assert_neq(access(path, F_OK), 0, "%s: wrote an output for a bad input", s->name);
        assert_no_temp_files(out);
        result_free(&r);
    }
}

Test(cmd_blur, all_good_exits_zero)
{
    char out[600];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *args[] = {"blur", "--style", "linear", "-o", out, path_in("good1.png"), NULL};
    struct result r = run(args);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    cr_assert_str_eq(r.err, "", "nothing to complain about, and no bar off a terminal");
    cr_assert(strstr(r.out, "linear: 1 blurred, 0 failed") != NULL, "%s", r.out);
    assert_blurred(out, "good1.png", BLUR_SIGMA_DEFAULT, 0);
    result_free(&r);
}

/* On a terminal, a bar is drawn while the style runs and wiped at the end.
 * stderr is made a pseudo-terminal, which we read until the child closes it. */
Test(cmd_blur, progress_bar_on_a_terminal)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert_geq(master, 0, "no pseudo-terminal: %s", strerror(errno));
    cr_assert_eq(grantpt(master), 0);
    cr_assert_eq(unlockpt(master), 0);
    char out[600];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *argv[] = {
        retreat_bin(),        "blur", "--style", "pool", "-o", out, path_in("good1.png"),
        path_in("good2.png"), NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, path_in("stdout.txt"), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&fa, 2, ptsname(master), O_RDWR | O_NOCTTY, 0);
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, (char **)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);

    char tty[8192];
    size_t len = 0;
    ssize_t got;
    /* Linux answers EIO once the last holder of the other side has gone. */
    while (len < sizeof tty - 1 && (got = read(master, tty + len, sizeof tty - 1 - len)) > 0)
        len += (size_t)got;
    tty[len] = '\0';
    close(master);
    int ws;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "stderr:\n%s", tty);
    cr_assert(strstr(tty, "pool") != NULL && strstr(tty, "/2") != NULL, "no bar in: %s", tty);
    const char *wipe = "\r\033[K";
    cr_assert(len >= strlen(wipe) && strcmp(tty + len - strlen(wipe), wipe) == 0,
              "the bar was not wiped at the end");
}

Test(cmd_blur, unwritable_output_folder)
{
    /* root ignores permission bits, so as root use /proc/self: a folder in
     * which nobody can create a file. */
    char ro[600];
    snprintf(ro, sizeof ro, "%s/readonly", dir);
    const char *out = ro;
    if (geteuid() == 0)
        out = "/proc/self";
    else
        cr_assert_eq(mkdir(ro, 0555), 0);
    const char *args[] = {"blur", "-o", out, path_in("good1.png"), path_in("good2.png"), NULL};
    struct result r = run(args);
    cr_assert_eq(r.status, 1, "stderr:\n%s", r.err);
    cr_assert(has_line_with(r.err, "good1.png", "cannot create output file"), "%s", r.err);
    cr_assert(has_line_with(r.err, "good2.png", "cannot create output file"), "%s", r.err);
    cr_assert(strstr(r.out, "0 blurred, 2 failed") != NULL, "%s", r.out);
    result_free(&r);
}

Test(cmd_blur, output_folder_that_cannot_be_created)
{
    const char *args[] = {"blur", "-o", "/nonexistent/deep/out", path_in("good1.png"), NULL};
    struct result r = run(args);
    cr_assert_eq(r.status, 1);
    cr_assert(has_line_with(r.err, "/nonexistent/deep/out", "cannot create output folder"), "%s",
              r.err);
    result_free(&r);

    const char *onto_file[] = {"blur", "-o", path_in("good2.png"), path_in("good1.png"), NULL};
    r = run(onto_file);
    cr_assert_eq(r.status, 1);
    cr_assert(has_line_with(r.err, "good2.png", "not a folder"), "%s", r.err);
    result_free(&r);
}

Test(cmd_blur, refuses_to_overwrite_its_input)
{
    size_t before_len, after_len;
    char *before = read_all(path_in("good1.png"), &before_len);
    const char *args[] = {"blur", "-o", dir, path_in("good1.png"), NULL};
    struct result r = run(args);
    cr_assert_eq(r.status, 2, "stderr:\n%s", r.err);
    cr_assert(has_line_with(r.err, "good1.png", "overwrite"), "%s", r.err);
    char *after = read_all(path_in("good1.png"), &after_len);
    cr_assert(before_len == after_len && memcmp(before, after, before_len) == 0,
              "the input was changed");
    free(before);
    free(after);
    result_free(&r);

    /* Two inputs of the same name in different folders: one result would be lost. */
    char sub[600], same[700], out[600];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(same, sizeof same, "%s/good1.png", sub);
    snprintf(out, sizeof out, "%s/out", dir);
    cr_assert_eq(mkdir(sub, 0755), 0);
    cr_assert_eq(link(path_in("good1.png"), same), 0);
    const char *twice[] = {"blur", "-o", out, path_in("good1.png"), same, NULL};
    r = run(twice);
    cr_assert_eq(r.status, 2, "stderr:\n%s", r.err);
    cr_assert(has_line_with(r.err, "sub/good1.png", "both be written to"), "%s", r.err);
    result_free(&r);
}

Test(cmd_blur, usage_errors_exit_2)
{
    static const char *const cases[][8] = {
        {"blur", "--style", "turbo", "x.png", NULL}, {"blur", NULL},
        {"blur", "--threads", "0", "x.png", NULL},   {"blur", "--threads", "2x", "x.png", NULL},
        {"blur", "--sigma", "99", "x.png", NULL},    {"blur", "--sigma", "soft", "x.png", NULL},
        {"blur", "--frobnicate", "x.png", NULL},     {"blur", "x.png", "--style", NULL},
    };
    static const char *const expect[] = {
        "known styles: linear, processes, threads, pool, rows, pipeline, fast",
        "no image files given",
        "--threads '0'",
        "--threads '2x'",
        "sigma 99 is out of range",
        "--sigma 'soft'",
        "unknown option '--frobnicate'",
        "--style needs a value",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct result r = run(cases[i]);
        cr_assert_eq(r.status, 2, "case %zu: exit %d; stderr:\n%s", i, r.status, r.err);
        cr_assert(strstr(r.err, expect[i]) != NULL, "case %zu: want '%s' in:\n%s", i, expect[i],
                  r.err);
        result_free(&r);
    }
    const char *help[] = {"blur", "--help", NULL};
    struct result r = run(help);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "usage: retreat blur") != NULL, "%s", r.out);
    result_free(&r);
}

Test(cmd_blur, run_log_has_every_item)
{
    char out[600], log[600];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(log, sizeof log, "%s/run.jsonl", dir);
    const char *args[] = {"blur",
                          "--style",
                          "pool",
                          "--threads",
                          "2",
                          "--run-log",
                          log,
                          "-o",
                          out,
                          path_in("good1.png"),
                          path_in("missing.png"),
                          path_in("good2.png"),
                          NULL};
    struct result r = run(args);
    cr_assert_eq(r.status, 1, "stderr:\n%s", r.err);
    struct runlog_span *spans;
    size_t count;
    struct err err;
    cr_assert_eq(runlog_read(log, &spans, &count, &err), 0, "%s", err.msg);
    int encoded[3] = {0}, failed[3] = {0};
    for (size_t i = 0; i < count; i++) {
        cr_assert_str_eq(spans[i].style, "pool");
        cr_assert(spans[i].index >= 0 && spans[i].index < 3);
        encoded[spans[i].index] += spans[i].ok && strcmp(spans[i].phase, "encode") == 0;
        failed[spans[i].index] += !spans[i].ok;
    }
    cr_assert(encoded[0] == 1 && encoded[2] == 1, "each good image is encoded once");
    cr_assert(encoded[1] == 0 && failed[1] == 1, "the missing one fails once");
    free(spans);
    result_free(&r);

    const char *bad_log[] = {"blur", "--run-log", "/nonexistent/run.jsonl", path_in("good1.png"),
                             NULL};
    r = run(bad_log);
    cr_assert_eq(r.status, 2);
    cr_assert(has_line_with(r.err, "/nonexistent/run.jsonl", "cannot open run log"), "%s", r.err);
    result_free(&r);
}

/* --- Output formats, and inputs that are not files (issues 9 and 11) --------- */

/* Runs retreat like run(), but in a child under alarm(): alarms survive
 * execve, so a retreat that hangs is killed by SIGALRM instead of hanging the
 * suite (and staying behind). A guard against a hang, not a measure of
 * speed: a run here takes a fraction of a second. */
static struct result run_guarded(const char *const *args, unsigned guard_s)
{
    const char *argv[32] = {retreat_bin()};
    size_t n = 1;
    while (args[n - 1] != NULL && n < 31) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    char out_path[600], err_path[600];
    snprintf(out_path, sizeof out_path, "%s", path_in("stdout.txt"));
    snprintf(err_path, sizeof err_path, "%s", path_in("stderr.txt"));
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        alarm(guard_s);
        execv(argv[0], (char **)argv);
        _exit(127);
    }
    int ws;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    struct result r = {WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, read_all(out_path, NULL),
                       read_all(err_path, NULL)};
    cr_assert(!(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM),
              "retreat never finished (killed by the %u s guard); stderr:\n%s", guard_s, r.err);
    cr_assert_neq(r.status, -1, "retreat crashed (signal %d); stderr:\n%s",
                  WIFSIGNALED(ws) ? WTERMSIG(ws) : 0, r.err);
    return r;
}

/* What a file is, by its first bytes: "png", "jpeg" or "other". */
static const char *format_of(const char *path)
{
    unsigned char head[8] = {0};
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s was not written", path);
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    if (got == 8 && memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "png";
    if (got >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
        return "jpeg";
    return "other";
}

/* out_dir/out_name against the reference blur of input in_name: at most
 * tolerance apart, or (tolerance < 0) a PSNR of at least -tolerance dB.
 * Returns the PSNR. */
static double assert_blurred_as(const char *out_dir, const char *in_name, const char *out_name,
                                float sigma, int tolerance)
{
    char out_path[1024];
    snprintf(out_path, sizeof out_path, "%s/%s", out_dir, out_name);
    struct img in, want, got;
    struct err err;
    struct img_diff d;
    cr_assert_eq(img_load(path_in(in_name), &in, &err), 0, "%s", err.msg);
    cr_assert_eq(img_alloc_like(&want, &in, &err), 0, "%s", err.msg);
    cr_assert_eq(blur_gauss(&in, &want, sigma, &err), 0, "%s", err.msg);
    cr_assert_eq(img_load(out_path, &got, &err), 0, "%s", err.msg);
    cr_assert_eq(img_compare(&got, &want, &d, &err), 0, "%s", err.msg);
    if (tolerance >= 0)
        cr_assert_leq(d.max_abs, tolerance, "%s differs from the reference by %d at (%d,%d)",
                      out_path, d.max_abs, d.x, d.y);
    else
        cr_assert_geq(d.psnr, -tolerance, "%s: PSNR %.1f dB against the reference", out_path,
                      d.psnr);
    img_free(&in);
    img_free(&want);
    img_free(&got);
    return d.psnr;
}

/* Without --format, each result has its input's name and format. */
Test(cmd_blur, output_format_follows_the_input)
{
    char out[600];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *args[] = {"blur",
                          "--style",
                          "linear",
                          "--sigma",
                          "1.5",
                          "-o",
                          out,
                          path_in("good1.png"),
                          path_in("good3.jpg"),
                          NULL};
    struct result r = run(args);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    char path[1024];
    snprintf(path, sizeof path, "%s/good1.png", out);
    cr_expect_str_eq(format_of(path), "png");
    snprintf(path, sizeof path, "%s/good3.jpg", out);
    cr_expect_str_eq(format_of(path), "jpeg");
    assert_blurred_as(out, "good1.png", "good1.png", 1.5f, 0);
    assert_blurred_as(out, "good3.jpg", "good3.jpg", 1.5f, -30);
    result_free(&r);
}

/* --format converts, and the name's extension follows. */
Test(cmd_blur, format_option_converts_and_renames)
{
    char out[600];
    snprintf(out, sizeof out, "%s/jpg", dir);
    const char *to_jpg[] = {"blur",
                            "--style",
                            "pool",
                            "--threads",
                            "2",
                            "--sigma",
                            "1.5",
                            "--format",
                            "jpg",
                            "-o",
                            out,
                            path_in("good1.png"),
                            path_in("good3.jpg"),
                            NULL};
    struct result r = run(to_jpg);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    char path[1024];
    snprintf(path, sizeof path, "%s/good1.jpg", out);
    cr_expect_str_eq(format_of(path), "jpeg");
    snprintf(path, sizeof path, "%s/good1.png", out);
    cr_expect_neq(access(path, F_OK), 0, "good1.png written despite --format jpg");
    assert_blurred_as(out, "good1.png", "good1.jpg", 1.5f, -30);
    result_free(&r);

    snprintf(out, sizeof out, "%s/png", dir);
    const char *to_png[] = {"blur",     "--style", "linear", "--sigma", "1.5",
                            "--format", "png",     "-o",     out,       path_in("good3.jpg"),
                            NULL};
    r = run(to_png);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    snprintf(path, sizeof path, "%s/good3.png", out);
    cr_expect_str_eq(format_of(path), "png");
    assert_blurred_as(out, "good3.jpg", "good3.png", 1.5f, 0); /* PNG: exact */
    result_free(&r);
}

/* --quality reaches the encoder: a lower one makes a smaller, rougher file. */
Test(cmd_blur, quality_option_sets_the_jpeg_quality)
{
    char low[600], high[600];
    snprintf(low, sizeof low, "%s/q10", dir);
    snprintf(high, sizeof high, "%s/q98", dir);
    const char *args_low[] = {"blur",      "--style", "linear", "--sigma", "0.5",
                              "--quality", "10",      "-o",     low,       path_in("good3.jpg"),
                              NULL};
    const char *args_high[] = {"blur",      "--style", "linear", "--sigma", "0.5",
                               "--quality", "98",      "-o",     high,      path_in("good3.jpg"),
                               NULL};
    struct result r = run(args_low);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    result_free(&r);
    r = run(args_high);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    result_free(&r);
    char lp[1024], hp[1024];
    snprintf(lp, sizeof lp, "%s/good3.jpg", low);
    snprintf(hp, sizeof hp, "%s/good3.jpg", high);
    struct stat ls, hs;
    cr_assert_eq(stat(lp, &ls), 0);
    cr_assert_eq(stat(hp, &hs), 0);
    cr_expect_lt(ls.st_size, hs.st_size, "--quality 10: %lld bytes, --quality 98: %lld bytes",
                 (long long)ls.st_size, (long long)hs.st_size);
    double psnr_low = assert_blurred_as(low, "good3.jpg", "good3.jpg", 0.5f, -10);
    double psnr_high = assert_blurred_as(high, "good3.jpg", "good3.jpg", 0.5f, -10);
    cr_expect_gt(psnr_high, psnr_low, "PSNR at --quality 98: %.1f dB, at 10: %.1f dB", psnr_high,
                 psnr_low);
}

Test(cmd_blur, format_and_quality_usage_errors)
{
    static const char *const cases[][6] = {
        {"blur", "--format", "gif", "x.png", NULL},  {"blur", "--quality", "0", "x.png", NULL},
        {"blur", "--quality", "101", "x.png", NULL}, {"blur", "--quality", "high", "x.png", NULL},
        {"blur", "x.png", "--format", NULL},
    };
    static const char *const expect[] = {
        "--format 'gif': expected png or jpg",
        "--quality '0'",
        "--quality '101'",
        "--quality 'high'",
        "--format needs a value",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct result r = run(cases[i]);
        cr_assert_eq(r.status, 2, "case %zu: exit %d; stderr:\n%s", i, r.status, r.err);
        cr_assert(strstr(r.err, expect[i]) != NULL, "case %zu: want '%s' in:\n%s", i, expect[i],
                  r.err);
        result_free(&r);
    }
}

/* Issue 11, reliability 1: a FIFO named x.png made `retreat blur` hang
 * forever (open() waited for a writer); with 2 threads the other photos were
 * written but the process never exited. Now it is one bad file among good
 * ones, named with the reason. */
Test(cmd_blur, fifo_input_is_refused_and_the_run_ends)
{
    cr_assert_eq(mkfifo(path_in("x.png"), 0644), 0, "mkfifo: %s", strerror(errno));
    char out[600];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *args[] = {"blur",
                          "--style",
                          "pool",
                          "--threads",
                          "2",
                          "--sigma",
                          "1.5",
                          "-o",
                          out,
                          path_in("good1.png"),
                          path_in("x.png"),
                          path_in("good2.png"),
                          NULL};
    struct result r = run_guarded(args, 30);
    cr_assert_eq(r.status, 1, "exit %d; stderr:\n%s", r.status, r.err);
    cr_assert(has_line_with(r.err, "x.png", "not a regular file (a FIFO)"), "stderr:\n%s", r.err);
    cr_assert(strstr(r.out, "2 blurred, 1 failed") != NULL, "%s", r.out);
    assert_blurred(out, "good1.png", 1.5f, 0);
    assert_blurred(out, "good2.png", 1.5f, 0);
    result_free(&r);
}

/* --- retreat bench ----------------------------------------------------------- */

TestSuite(cmd_bench, .init = make_fixtures, .fini = cleanup, .timeout = 60);

/* Splits one CSV line in place into at most max fields. */
static int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    for (char *save, *f = strtok_r(line, ",", &save); f && n < max; f = strtok_r(NULL, ",", &save))
        fields[n++] = f;
    return n;
}

Test(cmd_bench, csv_has_a_row_per_style_with_consistent_figures)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    cr_assert_eq(mkdir(tmp, 0755), 0);
    setenv("TMPDIR", tmp, 1); /* this test runs in a process of its own */
    /* With --repeat 2 every style runs twice: the figures must come from
     * the spans of the reported run only, or the phases would outlast it. */
    const char *args[] = {"bench",
                          "--csv",
                          "--repeat",
                          "2",
                          "--style",
                          "pool",
                          "--style",
                          "linear",
                          "--threads",
                          "2",
                          "--sigma",
                          "2",
                          path_in("good1.png"),
                          path_in("good2.png"),
                          path_in("good3.jpg"),
                          NULL};
    struct result r = run(args);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);

    char *save, *line = strtok_r(r.out, "\n", &save);
    cr_assert_str_eq(line, "style,exercise,images,blurred,failed,decode_s,blur_s,encode_s,"
                           "wall_s,speedup,mpix_per_s,cpu_percent,workers,at_once");
    const char *want_style[] = {"linear", "pool"}; /* ladder order, whatever the order asked */
    for (int k = 0; k < 2; k++) {
        line = strtok_r(NULL, "\n", &save);
        cr_assert_not_null(line, "missing the %s row", want_style[k]);
        char *f[16];
        cr_assert_eq(split_csv(line, f, 16), 14, "not 14 fields: %s", line);
        cr_assert_str_eq(f[0], want_style[k]);
        cr_assert_str_eq(f[2], "3");
        cr_assert_str_eq(f[3], "3", "%s blurred %s of 3", f[0], f[3]);
        cr_assert_str_eq(f[4], "0");
        double decode = atof(f[5]), blur = atof(f[6]), encode = atof(f[7]), wall = atof(f[8]);
        cr_assert_gt(wall, 0);
        cr_assert(decode > 0 && blur > 0 && encode > 0, "every phase took some time: %s", line);
        /* Every span lies within the run, so no phase can outlast it; in the
         * linear style they are one after the other, so even their sum cannot. */
        cr_assert_leq(blur, wall);
        if (k == 0) {
            cr_assert_leq(decode + blur + encode, wall, "linear: %s", line);
            cr_assert_str_eq(f[9], "1.000", "linear against itself");
            cr_assert_str_eq(f[12], "1", "linear ran on one worker");
            cr_assert_str_eq(f[13], "1", "linear did one thing at a time");
        } else {
            cr_assert_leq(atoi(f[12]), 2, "pool used more workers than --threads 2");
            cr_assert_leq(atoi(f[13]), 2, "pool ran more than 2 items at once");
        }
        cr_assert_gt(atof(f[10]), 0, "megapixels per second");
    }
    cr_assert_null(strtok_r(NULL, "\n", &save), "more rows than styles asked for");
    result_free(&r);

    char cmd[700];
    snprintf(cmd, sizeof cmd, "[ -z \"$(ls -A '%s')\" ]", tmp);
    cr_assert_eq(system(cmd), 0, "the temporary output folder was not removed");
}

/* --list names the photos a run would blur and blurs none; with no photo
 * named, those are the workshop photos' baseline copies, made in the cache. */
Test(cmd_bench, list_prints_the_photos_and_blurs_nothing)
{
    const char *named[] = {"bench", "--list", path_in("good1.png"), path_in("good3.jpg"), NULL};
    struct result r = run(named);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    char want[1300];
    snprintf(want, sizeof want, "%s\n%s\n", path_in("good1.png"), path_in("good3.jpg"));
    cr_expect_str_eq(r.out, want);
    result_free(&r);

    char cache[600], first[800];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("XDG_CACHE_HOME", cache, 1); /* this test runs in a process of its own */
    snprintf(first, sizeof first, "%s/%s", PHOTOS_DIR, photos_workshop_names[0]);
    if (access(first, R_OK) != 0)
        cr_skip_test("the workshop photos are not installed (%s)", PHOTOS_PACKAGES);
    const char *workshop[] = {"bench", "--list", NULL};
    r = run(workshop);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    snprintf(want, sizeof want, "%s/retreat/photos/%s\n", cache, photos_workshop_names[0]);
    cr_expect_eq(strncmp(r.out, want, strlen(want)), 0, "got:\n%s", r.out);
    cr_expect(strstr(r.err, "made baseline copies of 8 workshop photos"), "stderr:\n%s", r.err);
    snprintf(first, sizeof first, "%s/retreat/photos/%s", cache, photos_workshop_names[0]);
    cr_expect_eq(access(first, R_OK), 0, "no copy in the cache");
    result_free(&r);
}

/* With --repeat, the run log holds each style's reported run only: the
 * stream draws a style's extent, which spans from every run would stretch
 * over the whole bench. Two images, three phases: six spans a style. */
Test(cmd_bench, run_log_holds_the_reported_run_of_each_style)
{
    char log[600];
    snprintf(log, sizeof log, "%s/bench.jsonl", dir);
    const char *args[] = {"bench",
                          "--repeat",
                          "3",
                          "--style",
                          "linear",
                          "--style",
                          "pool",
                          "--run-log",
                          log,
                          path_in("good1.png"),
                          path_in("good3.jpg"),
                          NULL};
    struct result r = run(args);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    result_free(&r);
    char *text = read_all(log, NULL);
    cr_expect_eq(count_occurrences(text, "\"style\":\"linear\""), 6, "%s", text);
    cr_expect_eq(count_occurrences(text, "\"style\":\"pool\""), 6, "%s", text);
    free(text);
}

Test(cmd_bench, table_and_failures)
{
    char out[600];
    snprintf(out, sizeof out, "%s/kept", dir);
    const char *args[] = {"bench",
                          "--style",
                          "linear",
                          "--style",
                          "threads",
                          "-o",
                          out,
                          path_in("good1.png"),
                          path_in("missing.png"),
                          NULL};
    struct result r = run(args);
    cr_assert_eq(r.status, 1, "stderr:\n%s", r.err);
    cr_assert(strstr(r.out, "2 images") != NULL, "%s", r.out);
    cr_assert(has_line_with(r.out, "style", "speedup"), "no table header:\n%s", r.out);
    cr_assert(has_line_with(r.out, "linear", "1.00x"), "%s", r.out);
    cr_assert(has_line_with(r.out, "threads", "x"), "%s", r.out);
    /* The same failure in both styles is reported once. */
    cr_assert_eq(count_occurrences(r.err, "missing.png"), 1, "stderr:\n%s", r.err);
    cr_assert(has_line_with(r.err, "missing.png", "No such file"), "%s", r.err);
    assert_blurred(out, "good1.png", BLUR_SIGMA_DEFAULT, 0); /* -o keeps the results */
    result_free(&r);

    const char *onto_input[] = {"bench", "-o", dir, path_in("good1.png"), NULL};
    r = run(onto_input);
    cr_assert_eq(r.status, 2, "bench -o onto its inputs; stderr:\n%s", r.err);
    cr_assert(has_line_with(r.err, "good1.png", "overwrite"), "%s", r.err);
    result_free(&r);

    const char *no_repeat[] = {"bench", "--repeat", "0", NULL};
    r = run(no_repeat);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--repeat '0'") != NULL, "%s", r.err);
    result_free(&r);

    const char *unknown[] = {"bench", "--style", "warp", NULL};
    r = run(unknown);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "unknown style 'warp'") != NULL, "%s", r.err);
    result_free(&r);
}
