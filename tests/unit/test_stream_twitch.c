/* test_stream_twitch.c - the stream key: where it may come from, what it may
 * contain, and that messages and FFmpeg's log show "<key>" instead. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "twitch.h"

#define KEY "live_123456_AbCdEf"

Test(twitch, key_from_the_environment_is_trimmed_and_unset)
{
    setenv(TWITCH_KEY_ENV, "  " KEY "\n", 1);
    char key[TWITCH_KEY_MAX];
    struct err err;
    cr_assert_eq(twitch_key_load(NULL, key, sizeof key, &err), 0, "%s", err.msg);
    cr_expect_str_eq(key, KEY);
    cr_expect_null(getenv(TWITCH_KEY_ENV), "child processes would inherit the key");
}

Test(twitch, key_from_a_file)
{
    char path[] = "/tmp/retreat-key-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, KEY "\n", strlen(KEY) + 1), (ssize_t)strlen(KEY) + 1);
    close(fd);
    char key[TWITCH_KEY_MAX];
    struct err err;
    cr_expect_eq(twitch_key_load(path, key, sizeof key, &err), 0, "%s", err.msg);
    cr_expect_str_eq(key, KEY);
    unlink(path);
}

Test(twitch, bad_keys_are_refused_without_showing_them)
{
    char key[TWITCH_KEY_MAX];
    struct err err;
    unsetenv(TWITCH_KEY_ENV);
    cr_expect_eq(twitch_key_load(NULL, key, sizeof key, &err), -1);
    cr_expect(strstr(err.msg, "--key-file") != NULL, "%s", err.msg);

    setenv(TWITCH_KEY_ENV, " \n", 1);
    cr_expect_eq(twitch_key_load(NULL, key, sizeof key, &err), -1);
    cr_expect(strstr(err.msg, "empty") != NULL, "%s", err.msg);

    setenv(TWITCH_KEY_ENV, "live_12/../other", 1);
    cr_expect_eq(twitch_key_load(NULL, key, sizeof key, &err), -1);
    cr_expect(strstr(err.msg, "position 8") != NULL, "%s", err.msg);
    cr_expect(strstr(err.msg, "live_12") == NULL, "key shown: %s", err.msg);

    cr_expect_eq(twitch_key_load("/nonexistent/key", key, sizeof key, &err), -1);
    cr_expect(strstr(err.msg, "/nonexistent/key: cannot read") != NULL, "%s", err.msg);
}

Test(twitch, url_and_its_printable_name)
{
    char url[TWITCH_URL_MAX], name[TWITCH_URL_MAX];
    struct err err;
    cr_assert_eq(twitch_url(TWITCH_INGEST_DEFAULT, KEY, url, name, &err), 0, "%s", err.msg);
    cr_expect_str_eq(url, "rtmp://live.twitch.tv/app/" KEY);
    cr_expect_str_eq(name, "rtmp://live.twitch.tv/app/<key>");
    cr_assert_eq(twitch_url("rtmp://127.0.0.1:1935/app/", KEY, url, name, &err), 0);
    cr_expect_str_eq(url, "rtmp://127.0.0.1:1935/app/" KEY);
    cr_expect_eq(twitch_url("http://live.twitch.tv/app", KEY, url, name, &err), -1);
    cr_expect(strstr(err.msg, "http://live.twitch.tv/app: must be an rtmp:// URL") != NULL, "%s",
              err.msg);
}

Test(twitch, redact_replaces_every_occurrence)
{
    char out[128];
    twitch_redact("path = /app/" KEY ", fname = " KEY "\n", KEY, out, sizeof out);
    cr_expect_str_eq(out, "path = /app/<key>, fname = <key>\n");
    twitch_redact("nothing secret", KEY, out, sizeof out);
    cr_expect_str_eq(out, "nothing secret");
    /* Truncation never leaves half a key either. */
    twitch_redact(KEY KEY, KEY, out, 8);
    cr_expect_str_eq(out, "<key><k");
}

Test(twitch, ffmpeg_log_lines_are_redacted, .init = cr_redirect_stderr)
{
    twitch_log_install(KEY);
    av_log_set_level(AV_LOG_INFO);
    av_log(NULL, AV_LOG_ERROR, "Cannot open rtmp://host/app/%s: refused\n", KEY);
    av_log(NULL, AV_LOG_DEBUG, "below the level: %s\n", KEY);
    fflush(stderr);
    cr_expect_stderr_eq_str("Cannot open rtmp://host/app/<key>: refused\n");
}
