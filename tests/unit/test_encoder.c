/* test_encoder.c - the encoder's files, checked from outside with ffprobe:
 * codec, profile, pixel format, size, keyframes exactly 2 s apart, a silent
 * AAC track, duration and frame count; and the outputs it must refuse. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "clock.h"
#include "encoder.h"
#include "test_stream_probe.h"

#define W 320
#define H 180

/* Each test's temporary folder, removed by the suite's fini even when an
 * assertion ends the test early (each test runs in a process of its own). */
static char dir[64];

/* x264 reports its settings at "info": keep the test output for failures. */
static void quiet(void)
{
    av_log_set_level(AV_LOG_ERROR);
}

static void cleanup(void)
{
    if (dir[0] != '\0')
        probe_rmdir(dir);
}

TestSuite(encoder, .init = quiet, .fini = cleanup);

/* Encodes the frames [0, count) of the test pattern, skipping [skip_from,
 * skip_to) as a paced stream drops slots. */
static void render(const char *path, long count, long skip_from, long skip_to)
{
    struct encoder_opts o = {.output = path, .width = W, .height = H, .bitrate_kbps = 800};
    struct encoder *enc;
    struct err err;
    cr_assert_eq(encoder_open(&enc, &o, &err), 0, "%s", err.msg);
    uint8_t *rgb = malloc((size_t)W * H * 3);
    cr_assert_not_null(rgb);
    for (long i = 0; i < count; i++) {
        if (i >= skip_from && i < skip_to)
            continue;
        probe_pattern(rgb, W, H, i);
        cr_assert_eq(encoder_write(enc, rgb, (size_t)W * 3, i, &err), 0, "%s", err.msg);
    }
    free(rgb);
    cr_assert_eq(encoder_close(enc, &err), 0, "%s", err.msg);
}

/* Only the finished file may be in dir: no temporary leftovers. */
static int files_in(const char *folder)
{
    DIR *d = opendir(folder);
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void check_stream(const char *path, long frames)
{
    struct probe p;
    char why[512];
    cr_assert_eq(probe_file(path, &p, why, sizeof why), 0, "%s", why);
    cr_expect_str_eq(p.vcodec, "h264");
    cr_expect_str_eq(p.profile, "Main");
    cr_expect_str_eq(p.pix_fmt, "yuv420p");
    cr_expect_eq(p.width, W);
    cr_expect_eq(p.height, H);
    cr_expect_eq(p.video_packets, frames, "%ld frames, want %ld", p.video_packets, frames);
    double want = frames / 30.0;
    cr_expect(fabs(p.video_end - want) < 0.01, "video ends at %.3f s, want %.3f", p.video_end,
              want);
    /* A keyframe at 0, 2, 4 ... s and nowhere else. */
    int want_keys = (int)((frames + 59) / 60);
    cr_expect_eq(p.keys, want_keys, "%d keyframes, want %d", p.keys, want_keys);
    for (int k = 0; k < p.keys; k++)
        cr_expect(fabs(p.key_times[k] - 2.0 * k) < 0.001, "keyframe %d at %.3f s, want %.1f", k,
                  p.key_times[k], 2.0 * k);
    cr_expect_str_eq(p.acodec, "aac");
    cr_expect_eq(p.sample_rate, 48000);
    cr_expect_eq(p.channels, 2);
    /* 48000 / 1024 AAC frames a second; the encoder's priming adds one or two. */
    long audio_want = (long)(want * 48000 / 1024);
    cr_expect(p.audio_packets >= audio_want && p.audio_packets <= audio_want + 3,
              "%ld audio packets, want about %ld", p.audio_packets, audio_want);
}

Test(encoder, mp4_is_h264_main_with_keyframes_every_2s_and_aac, .timeout = 60)
{
    char path[128];
    probe_tmpdir(dir);
    snprintf(path, sizeof path, "%s/out.mp4", dir);
    render(path, 135, -1, -1); /* 4.5 s: keyframes at 0, 2 and 4 s */
    check_stream(path, 135);
    cr_expect_eq(files_in(dir), 1, "a temporary file was left behind");
}

Test(encoder, flv_file_has_the_same_streams, .timeout = 60)
{
    char path[128];
    probe_tmpdir(dir);
    snprintf(path, sizeof path, "%s/out.flv", dir);
    render(path, 90, -1, -1);
    check_stream(path, 90);
    /* Strict CBR pads with filler: 3 s at 800 kbit/s is about 300 kB, even
     * for a test pattern x264 could squeeze far smaller. */
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    double kbit_s = st.st_size * 8 / 3.0 / 1000;
    cr_expect(kbit_s > 0.85 * 800 && kbit_s < 1.15 * 800, "%.0f kbit/s, want 800", kbit_s);
}

Test(encoder, dropped_frames_keep_keyframes_on_the_2s_grid, .timeout = 60)
{
    char path[128];
    probe_tmpdir(dir);
    snprintf(path, sizeof path, "%s/gaps.flv", dir);
    render(path, 100, 55, 66); /* frame 60, the 2 s keyframe, is dropped */
    struct probe p;
    char why[512];
    cr_assert_eq(probe_file(path, &p, why, sizeof why), 0, "%s", why);
    cr_expect_eq(p.video_packets, 89);
    cr_assert_eq(p.keys, 2);
    cr_expect(fabs(p.key_times[1] - 66 / 30.0) < 0.001, "second keyframe at %.3f s",
              p.key_times[1]);
}

Test(encoder, abort_leaves_nothing_behind, .timeout = 30)
{
    char path[128];
    probe_tmpdir(dir);
    snprintf(path, sizeof path, "%s/never.mp4", dir);
    struct encoder_opts o = {.output = path, .width = W, .height = H};
    struct encoder *enc;
    struct err err;
    cr_assert_eq(encoder_open(&enc, &o, &err), 0, "%s", err.msg);
    uint8_t *rgb = calloc((size_t)W * H, 3);
    cr_assert_eq(encoder_write(enc, rgb, (size_t)W * 3, 0, &err), 0, "%s", err.msg);
    /* Indexes must increase. */
    cr_expect_eq(encoder_write(enc, rgb, (size_t)W * 3, 0, &err), -1);
    cr_expect(strstr(err.msg, "never.mp4") != NULL, "%s", err.msg);
    free(rgb);
    encoder_abort(enc);
    cr_expect_eq(files_in(dir), 0, "abort left a file");
}

static void expect_refused(const char *output, int w, int h, int kbps, const char *words)
{
    struct encoder_opts o = {.output = output, .width = w, .height = h, .bitrate_kbps = kbps};
    struct encoder *enc = NULL;
    struct err err = {{0}};
    cr_expect_eq(encoder_open(&enc, &o, &err), -1, "%s was accepted", output);
    cr_expect_null(enc);
    cr_expect(strstr(err.msg, words) != NULL, "message '%s' lacks '%s'", err.msg, words);
}

Test(encoder, refuses_unknown_outputs_and_odd_sizes)
{
    expect_refused("http://example.com/x", W, H, 0, "http://example.com/x: unsupported");
    expect_refused("http://example.com/x", W, H, 0, "rtmp://");
    expect_refused("/tmp/out.avi", W, H, 0, "/tmp/out.avi: unknown output type");
    expect_refused("/tmp/out.avi", W, H, 0, "FILE.mp4, FILE.flv");
    expect_refused("/tmp/mp4", W, H, 0, "unknown output type");
    expect_refused("/tmp/x.mp4", 321, 180, 0, "321x180: width and height must be even");
    expect_refused("/tmp/x.mp4", 3840, 2160, 0, "3840x2160: must be from");
    expect_refused("/tmp/x.mp4", W, H, 9000, "bitrate 9000");
    expect_refused("/nonexistent-dir/x.mp4", W, H, 0, "/nonexistent-dir/x.mp4: cannot create");
}

Test(encoder, accepts_720p_and_1080p)
{
    struct err err;
    cr_expect_eq(encoder_check_size(1280, 720, &err), 0, "%s", err.msg);
    cr_expect_eq(encoder_check_size(1920, 1080, &err), 0, "%s", err.msg);
}

Test(encoder, error_messages_use_the_display_name)
{
    struct encoder_opts o = {.output = "rtmp://127.0.0.1:1/app/SECRETKEY",
                             .name = "rtmp://127.0.0.1:1/app/<key>",
                             .width = W,
                             .height = H};
    struct encoder *enc = NULL;
    struct err err;
    cr_assert_eq(encoder_open(&enc, &o, &err), -1);
    cr_expect(strstr(err.msg, "<key>") != NULL, "%s", err.msg);
    cr_expect(strstr(err.msg, "SECRETKEY") == NULL, "key leaked: %s", err.msg);
}

/* A server that takes the connection (the kernel does, from the listen
 * backlog) and then never says a word: the RTMP handshake would wait for
 * ever without the I/O timeout. */
Test(encoder, a_silent_server_times_out, .timeout = 30)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert(fd >= 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 4), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    char url[64];
    snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/live/x", ntohs(a.sin_port));

    struct encoder_opts o = {.output = url, .width = W, .height = H, .io_timeout_ms = 1000};
    struct encoder *enc = NULL;
    struct err err;
    uint64_t start = clock_now_ns();
    cr_expect_eq(encoder_open(&enc, &o, &err), -1);
    double took = clock_seconds(start, clock_now_ns());
    cr_expect(strstr(err.msg, "timed out") != NULL, "%s", err.msg);
    cr_expect(took >= 0.9, "gave up after %.1f s, before the timeout", took);
    close(fd);
}
