/* test_stream_cmd.c - `retreat stream` end to end: streaming to a real RTMP
 * server on loopback (nginx-rtmp, started and stopped here), reconnecting
 * when it comes back, giving up clearly when it does not, keeping the
 * stream key out of output and /proc, Ctrl-C during a render, --watch, and
 * the inputs it must refuse. The retreat binary is the one built next to
 * this test binary.
 *
 * The tests follow the child by its events, never by the clock: a line it
 * prints ("frame 30," once a second of video went out, "connection lost"),
 * a file it creates, its exec. Waits poll for the event and give up only
 * after a generous bound, as a failure that names what did not happen. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runlog.h"
#include "test_stream_probe.h"

#define KEY "sekrit_live_8472"

/* What a test started, so that the suite's fini stops and removes it even
 * when an assertion ends the test early. Each test runs in a process of its
 * own, so these are per test. */
static struct rtmp_server srv;
static char tmp[64];
static pid_t child;

static void cleanup(void)
{
    if (child > 0) {
        kill(child, SIGKILL);
        probe_wait(child, 5);
    }
    rtmp_stop(&srv, 1);
    if (srv.dir[0] != '\0')
        probe_rmdir(srv.dir);
    if (tmp[0] != '\0')
        probe_rmdir(tmp);
}

TestSuite(stream, .fini = cleanup);

/* A small finished run: "linear" on one worker and "pool" on two, over a
 * workshop photo, so that the show has timelines, bars and before/after. */
static void write_run_log(const char *path)
{
    struct runlog *log;
    struct err err;
    cr_assert_eq(runlog_open(&log, path, &err), 0, "%s", err.msg);
    const char *phases[] = {"decode", "blur", "encode"};
    uint64_t t = 1000000000ull;
    for (int style = 0; style < 2; style++)
        for (long item = 0; item < 4; item++)
            for (int ph = 0; ph < 3; ph++) {
                struct runlog_span s = {.index = item, .ok = 1};
                snprintf(s.style, sizeof s.style, "%s", style == 0 ? "linear" : "pool");
                snprintf(s.item, sizeof s.item, "workshop/images/chelsea.png");
                snprintf(s.phase, sizeof s.phase, "%s", phases[ph]);
                s.worker = style == 0 ? 100 : 200 + item % 2;
                s.pid = 1;
                s.start_ns = t;
                s.end_ns = t + 30000000ull;
                t += style == 0 ? 30000000ull : 15000000ull;
                cr_assert_eq(runlog_append(log, &s), 0);
            }
    runlog_close(log);
}

static int contains(const char *path, const char *text)
{
    char *all = probe_slurp(path);
    int found = all != NULL && strstr(all, text) != NULL;
    free(all);
    return found;
}

#define EVENT_WAIT_S 30 /* the bound on any wait for an event: a failure, not a pace */

/* Waits until the child's output at path contains text; 0, or -1 when the
 * child ended first or EVENT_WAIT_S passed. */
static int wait_for_text(const char *path, const char *text)
{
    for (int i = 0; i < EVENT_WAIT_S * 100; i++) {
        if (contains(path, text))
            return 0;
        /* Ended? WNOWAIT leaves it to be reaped by probe_wait(). */
        siginfo_t info = {0};
        if (child > 0 && waitid(P_PID, (id_t)child, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid == child)
            return contains(path, text) ? 0 : -1;
        usleep(10 * 1000);
    }
    return -1;
}

/* The line that says a second of video has gone out: the stream is up. */
#define FIRST_SECOND "frame 30,"

/* Runs retreat with args and waits; returns the exit status. */
static int run(const char *log_path, const char *const *args, int timeout_s)
{
    return probe_wait(probe_spawn(log_path, args), timeout_s);
}

static void check_recording(const char *path, long frames)
{
    struct probe p;
    char why[512];
    cr_assert_eq(probe_file(path, &p, why, sizeof why), 0, "%s", why);
    cr_expect_str_eq(p.vcodec, "h264");
    cr_expect_str_eq(p.profile, "Main");
    cr_expect_str_eq(p.pix_fmt, "yuv420p");
    cr_expect_eq(p.width, 320);
    cr_expect_eq(p.height, 180);
    cr_expect_str_eq(p.acodec, "aac");
    cr_expect_eq(p.sample_rate, 48000);
    cr_expect_eq(p.channels, 2);
    if (frames > 0)
        cr_expect_eq(p.video_packets, frames, "%ld frames recorded, want %ld", p.video_packets,
                     frames);
    /* The recording starts on a keyframe (forced, after a reconnect), and so
     * does every 2 s slot of the stream's clock that has frames: at 0, 2,
     * 4 ... s, or, when frames were dropped, the first frame after the gap.
     * No other frame is a keyframe. */
    cr_assert(p.video_packets > 0 && p.video_packets <= PROBE_MAX_PACKETS);
    for (long j = 0; j < p.video_packets; j++) {
        int new_slot = j == 0 || floor(p.pts[j] / 2.0 + 1e-6) != floor(p.pts[j - 1] / 2.0 + 1e-6);
        cr_expect_eq(p.key[j], new_slot, "frame at %.3f s: keyframe %d, want %d", p.pts[j],
                     p.key[j], new_slot);
    }
}

Test(stream, rtmp_recording_is_h264_main_with_aac_and_2s_keyframes, .timeout = 60)
{
    char why[512], runs[128], out[128], url[128], rec[4][256];
    cr_assert_eq(rtmp_start(&srv, 0, why, sizeof why), 0, "%s", why);
    snprintf(runs, sizeof runs, "%s/run.jsonl", srv.dir);
    snprintf(out, sizeof out, "%s/out.txt", srv.dir);
    snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/live/test", srv.port);
    write_run_log(runs);
    const char *args[] = {"stream", "--run-log", runs,      "-o",        url,   "--duration",
                          "4.5",    "--size",    "320x180", "--bitrate", "800", NULL};
    int rc = run(out, args, 40);
    rtmp_stop(&srv, 0); /* closes the recording */
    cr_assert_eq(rc, 0, "retreat stream failed, see %s", out);
    cr_expect(contains(out, "streamed to rtmp://127.0.0.1"), "no summary in %s", out);
    cr_assert_eq(rtmp_recordings(&srv, rec, 4), 1);
    check_recording(rec[0], 135);
}

/* The key goes from the environment to the server, and nowhere else: not in
 * our output (even FFmpeg's debug lines, which quote it), not in argv. */
Test(stream, twitch_key_never_leaks, .timeout = 60)
{
    char why[512], runs[128], out[128], ingest[128], rec[4][256];
    cr_assert_eq(rtmp_start(&srv, 0, why, sizeof why), 0, "%s", why);
    snprintf(runs, sizeof runs, "%s/run.jsonl", srv.dir);
    snprintf(out, sizeof out, "%s/out.txt", srv.dir);
    snprintf(ingest, sizeof ingest, "rtmp://127.0.0.1:%d/app", srv.port);
    write_run_log(runs);
    setenv("TWITCH_STREAM_KEY", KEY, 1);
    const char *args[] = {"stream", "--run-log",  runs,  "--twitch", "--ingest", ingest,
                          "-v",     "--duration", "2.5", "--size",   "320x180",  NULL};
    child = probe_spawn(out, args);
    /* Wait for the exec: until then /proc shows the test's own argv, and
     * during it an empty one. */
    char cmdline_path[64], cmdline[4096];
    snprintf(cmdline_path, sizeof cmdline_path, "/proc/%d/cmdline", (int)child);
    int execed = 0;
    for (int i = 0; i < EVENT_WAIT_S * 1000 && !execed; i++) {
        int fd = open(cmdline_path, O_RDONLY);
        cr_assert(fd >= 0, "retreat ended too early, see %s", out);
        ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
        close(fd);
        for (ssize_t k = 0; k < n; k++)
            cmdline[k] = cmdline[k] == '\0' ? ' ' : cmdline[k]; /* arguments are NUL-separated */
        cmdline[n > 0 ? n : 0] = '\0';
        execed = strstr(cmdline, "--twitch") != NULL;
        if (!execed)
            usleep(1000);
    }
    cr_assert(execed, "retreat never started, see %s", out);
    cr_expect(strstr(cmdline, KEY) == NULL, "key in argv: %s", cmdline);
    int rc = probe_wait(child, 40);
    child = 0;
    rtmp_stop(&srv, 0);
    cr_assert_eq(rc, 0, "retreat stream failed, see %s", out);
    cr_expect(!contains(out, KEY), "the key leaked into the output, see %s", out);
    /* FFmpeg's debug log did name the stream: redacted. */
    cr_expect(contains(out, "fname = <key>"), "no redacted FFmpeg line in %s", out);
    /* ... and the server did get the real key: its recording is named after it. */
    cr_assert_eq(rtmp_recordings(&srv, rec, 4), 1);
    cr_expect(strstr(rec[0], "/" KEY "-") != NULL, "recording %s", rec[0]);
    check_recording(rec[0], 75);
}

Test(stream, reconnects_when_the_server_comes_back, .timeout = 90)
{
    char why[512], runs[128], out[128], url[128], rec[4][256];
    cr_assert_eq(rtmp_start(&srv, 0, why, sizeof why), 0, "%s", why);
    snprintf(runs, sizeof runs, "%s/run.jsonl", srv.dir);
    snprintf(out, sizeof out, "%s/out.txt", srv.dir);
    snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/live/test", srv.port);
    write_run_log(runs);
    const char *args[] = {"stream", "--run-log", runs,      "-o",        url, "--duration",
                          "9",      "--size",    "320x180", "--retries", "5", NULL};
    child = probe_spawn(out, args);
    cr_assert_eq(wait_for_text(out, FIRST_SECOND), 0, "the stream never got going, see %s", out);
    rtmp_stop(&srv, 1); /* the server dies mid-stream */
    cr_assert_eq(wait_for_text(out, "connection lost"), 0, "the loss went unnoticed, see %s", out);
    cr_assert_eq(rtmp_start(&srv, srv.port, why, sizeof why), 0, "%s", why);
    int rc = probe_wait(child, 60);
    child = 0;
    rtmp_stop(&srv, 0);
    cr_assert_eq(rc, 0, "retreat stream failed, see %s", out);
    cr_expect(contains(out, "connection lost"), "see %s", out);
    cr_expect(contains(out, "reconnected"), "see %s", out);
    cr_expect(contains(out, "1 reconnects"), "see %s", out);
    /* The outage was skipped, not queued: the stream kept the clock. */
    cr_expect(!contains(out, " 0 dropped of"), "no dropped frames reported, see %s", out);
    int n = rtmp_recordings(&srv, rec, 4);
    cr_assert_eq(n, 2, "%d recordings", n);
    check_recording(rec[1], 0); /* the new connection starts with a keyframe */
}

Test(stream, clear_error_when_the_server_stays_down, .timeout = 60)
{
    char why[512], runs[128], out[128], url[128];
    cr_assert_eq(rtmp_start(&srv, 0, why, sizeof why), 0, "%s", why);
    snprintf(runs, sizeof runs, "%s/run.jsonl", srv.dir);
    snprintf(out, sizeof out, "%s/out.txt", srv.dir);
    snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/live/test", srv.port);
    write_run_log(runs);
    const char *args[] = {"stream", "--run-log", runs,      "-o",        url, "--duration",
                          "30",     "--size",    "320x180", "--retries", "2", NULL};
    child = probe_spawn(out, args);
    cr_assert_eq(wait_for_text(out, FIRST_SECOND), 0, "the stream never got going, see %s", out);
    rtmp_stop(&srv, 1);
    int rc = probe_wait(child, 30);
    child = 0;
    cr_expect_eq(rc, 1, "exit status %d, see %s", rc, out);
    cr_expect(contains(out, "rtmp://127.0.0.1"), "see %s", out);
    cr_expect(contains(out, "2 reconnect attempts failed"), "see %s", out);
}

/* Counts files in dir whose name contains part. */
static int count_files(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        n += strstr(e->d_name, part) != NULL;
    if (d != NULL)
        closedir(d);
    return n;
}

/* Waits until a file whose name contains part is in dir. */
static int wait_for_file(const char *dir, const char *part)
{
    for (int i = 0; i < EVENT_WAIT_S * 100; i++) {
        if (count_files(dir, part) > 0)
            return 0;
        usleep(10 * 1000);
    }
    return -1;
}

Test(stream, sigint_during_a_render_leaves_a_playable_file, .timeout = 60)
{
    const char *dir = tmp;
    char watch[128], out[128], video[128];
    probe_tmpdir(tmp);
    snprintf(watch, sizeof watch, "%s/runs", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(video, sizeof video, "%s/cut.mp4", dir);
    mkdir(watch, 0755);
    /* --watch with no --duration renders until stopped. */
    const char *args[] = {"stream", "--watch", watch, "-o", video, "--size", "320x180", NULL};
    child = probe_spawn(out, args);
    cr_assert_eq(wait_for_text(out, FIRST_SECOND), 0, "no second of video, see %s", out);
    cr_expect_eq(count_files(dir, "cut.mp4.tmp-"), 1, "no temporary file while rendering");
    cr_expect_eq(count_files(dir, "cut.mp4"), 1, "the real name exists before the end");
    kill(child, SIGINT);
    int rc = probe_wait(child, 20);
    child = 0;
    cr_assert_eq(rc, 0, "exit status %d, see %s", rc, out);
    cr_expect(contains(out, "(interrupted)"), "see %s", out);
    cr_expect_eq(count_files(dir, ".tmp-"), 0, "a temporary file was left");
    struct probe p;
    char why[512];
    cr_assert_eq(probe_file(video, &p, why, sizeof why), 0, "%s", why);
    /* What was rendered is in the file: the second we waited for at least,
     * and as many frames as the summary line says. */
    cr_expect(p.video_packets >= 30, "only %ld frames", p.video_packets);
    char said[64];
    snprintf(said, sizeof said, ": %ld frames,", p.video_packets);
    cr_expect(contains(out, said), "the file has %ld frames, the summary says otherwise: see %s",
              p.video_packets, out);
    cr_expect_str_eq(p.acodec, "aac");
    cr_expect(p.keys >= 1 && p.key[0], "the file does not start on a keyframe");
}

Test(stream, watch_follows_new_logs_and_reports_bad_lines, .timeout = 60)
{
    const char *dir = tmp;
    char watch[128], out[128], video[128], runlog[160];
    probe_tmpdir(tmp);
    snprintf(watch, sizeof watch, "%s/runs", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(video, sizeof video, "%s/watch.flv", dir);
    snprintf(runlog, sizeof runlog, "%s/05-pool-1.jsonl", watch);
    mkdir(watch, 0755);
    const char *args[] = {"stream", "--watch", watch,        "-o", video,
                          "--size", "320x180", "--duration", "3",  NULL};
    child = probe_spawn(out, args);
    /* The encoder opens its file after the folder's first look: a log
     * written now is a new run, not an old one. */
    cr_assert_eq(wait_for_file(dir, "watch.flv.tmp-"), 0, "no output file, see %s", out);
    FILE *f = fopen(runlog, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"style\":\"pool\",\"item\":\"a.png\",\"phase\":\"blur\",\"index\":0,"
               "\"worker\":7,\"start_ns\":1,\"end_ns\":2}\n"
               "{\"style\":\"pool\", this is not JSON\n");
    fclose(f);
    int rc = probe_wait(child, 30);
    child = 0;
    cr_assert_eq(rc, 0, "exit status %d, see %s", rc, out);
    cr_expect(contains(out, "05-pool-1.jsonl:2"), "the bad line is not named, see %s", out);
    cr_expect(!contains(out, "05-pool-1.jsonl:1:"), "the good line was refused, see %s", out);
    struct probe p;
    char why[512];
    cr_assert_eq(probe_file(video, &p, why, sizeof why), 0, "%s", why);
    cr_expect_eq(p.video_packets, 90);
}

/* Reliability 7: a run log the grader drops into the watched folder is a
 * finished run; it was shown "running" on an axis that grew with the clock.
 * Now the watch source says it is finished - from the end mark, with the
 * verdict, or, for a log copied in from earlier without one, because its
 * spans are old - and the show draws it over its own duration
 * (show/live_finished_run_keeps_its_own_axis checks the picture). */
Test(stream, watch_shows_finished_runs_as_finished, .timeout = 90)
{
    const char *dir = tmp;
    char watch[128], out[128], video[128], marked[160], copied[160];
    probe_tmpdir(tmp);
    snprintf(watch, sizeof watch, "%s/runs", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(video, sizeof video, "%s/watch.flv", dir);
    snprintf(marked, sizeof marked, "%s/05-pool-1733329900.jsonl", watch);
    snprintf(copied, sizeof copied, "%s/.copy", watch);
    mkdir(watch, 0755);
    const char *args[] = {"stream", "--watch", watch, "-o", video, "--size", "320x180", NULL};
    child = probe_spawn(out, args);
    cr_assert_eq(wait_for_file(dir, "watch.flv.tmp-"), 0, "no output file, see %s", out);

    /* The grader's log: spans on the real clock, then the end mark. */
    struct runlog *log;
    struct err err;
    cr_assert_eq(runlog_open(&log, marked, &err), 0, "%s", err.msg);
    struct runlog_span s;
    runlog_begin(&s, "pool", "a.png", 0, "blur");
    cr_assert_eq(runlog_end(log, &s), 0);
    cr_assert_eq(runlog_mark_end(log, "05-pool", "passed", &err), 0, "%s", err.msg);
    runlog_close(log);
    cr_assert_eq(wait_for_text(out, "run finished (05-pool: passed)"), 0,
                 "the end mark was not seen, see %s", out);

    /* A log from an earlier session, copied in (renamed into place whole):
     * its spans are long past, it has no end mark. */
    write_run_log(copied);
    char target[160];
    snprintf(target, sizeof target, "%s/06-rows-1733000000.jsonl", watch);
    cr_assert_eq(rename(copied, target), 0);
    cr_assert_eq(wait_for_text(out, "run finished (06-rows: no end mark)"), 0,
                 "the old run was not taken as finished, see %s", out);

    kill(child, SIGINT);
    int rc = probe_wait(child, 20);
    child = 0;
    cr_expect_eq(rc, 0, "exit status %d, see %s", rc, out);
}

/* Runs a command that must fail: its status, a phrase in its output, and no
 * video file (real or temporary) left in dir. */
static void expect_failure(const char *dir, const char *const *args, int status, const char *phrase)
{
    char out[128];
    snprintf(out, sizeof out, "%s/out.txt", dir);
    int rc = run(out, args, 30);
    char *text = probe_slurp(out);
    cr_expect_eq(rc, status, "%s %s: exit %d, want %d: %s", args[1], args[2], rc, status, text);
    cr_expect(text != NULL && strstr(text, phrase) != NULL, "'%s' not in: %s", phrase, text);
    free(text);
    cr_expect_eq(count_files(dir, ".mp4"), 0, "a video file was left behind");
}

Test(stream, refuses_bad_inputs_with_a_reason, .timeout = 60)
{
    const char *dir = tmp;
    char bad[128], video[128], good[128], keyfile[128];
    probe_tmpdir(tmp);
    snprintf(bad, sizeof bad, "%s/bad.jsonl", dir);
    snprintf(good, sizeof good, "%s/good.jsonl", dir);
    snprintf(video, sizeof video, "%s/x.mp4", dir);
    snprintf(keyfile, sizeof keyfile, "%s/no-such-key", dir);
    write_run_log(good);
    FILE *f = fopen(bad, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"style\":\"pool\",\"item\":\"a\",\"phase\":\"blur\",\"index\":0,\"worker\":1,"
               "\"start_ns\":1,\"end_ns\":2}\n\n{\"style\":3}\n");
    fclose(f);
    unsetenv("TWITCH_STREAM_KEY");

    const char *missing[] = {"stream", "--run-log", "/nonexistent/run.jsonl", "-o", video, NULL};
    expect_failure(dir, missing, 1, "/nonexistent/run.jsonl");
    const char *folder[] = {"stream", "--run-log", dir, "-o", video, NULL};
    expect_failure(dir, folder, 1, "Is a directory");
    const char *malformed[] = {"stream", "--run-log", bad, "-o", video, NULL};
    expect_failure(dir, malformed, 1, "bad.jsonl:3");
    const char *odd[] = {"stream", "--run-log", good, "--size", "641x360", "-o", video, NULL};
    expect_failure(dir, odd, 2, "641x360");
    const char *scheme[] = {"stream", "--run-log", good, "-o", "http://example.com/live", NULL};
    expect_failure(dir, scheme, 2, "http://example.com/live: unsupported output scheme");
    const char *ext[] = {"stream", "--run-log", good, "-o", "movie.avi", NULL};
    expect_failure(dir, ext, 2, "FILE.mp4, FILE.flv and rtmp://");
    const char *nokey[] = {"stream", "--run-log", good, "--twitch", NULL};
    expect_failure(dir, nokey, 1, "TWITCH_STREAM_KEY");
    const char *nokeyfile[] = {"stream",     "--run-log", good, "--twitch",
                               "--key-file", keyfile,     NULL};
    expect_failure(dir, nokeyfile, 1, "no-such-key: cannot read");
    const char *rate[] = {"stream", "--run-log", good, "--bitrate", "9000", "-o", video, NULL};
    expect_failure(dir, rate, 2, "--bitrate '9000'");
    const char *nothing[] = {"stream", "-o", video, NULL};
    expect_failure(dir, nothing, 2, "nothing to show");
}
