/* twitch.c - stream key handling; see twitch.h.
 *
 * Global state, because FFmpeg demands it: av_log_set_callback()
 * takes a plain function, with no pointer for our data, so the secret the
 * callback must hide has to sit in a static variable.
 */
#include "twitch.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

static char log_secret[TWITCH_KEY_MAX];
/* FFmpeg builds some lines from several av_log calls; only the first part
 * gets the "[rtmp @ 0x...]" prefix, so whether one is due carries over. */
static int log_print_prefix = 1;

/* Keys are short tokens like live_123456_AbC; refusing anything else keeps
 * a stray space or slash from silently building a different URL. */
static int key_char_ok(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '?' || c == '=' || c == '&';
}

static int check_key(char *key, const char *where, struct err *err)
{
    /* Trim white space at both ends: files usually end with a newline. */
    size_t len = strlen(key);
    while (len > 0 && isspace((unsigned char)key[len - 1]))
        key[--len] = '\0';
    size_t skip = strspn(key, " \t\r\n");
    memmove(key, key + skip, len - skip + 1);
    if (key[0] == '\0')
        return err_set(err, "%s: the stream key is empty", where);
    for (const char *p = key; *p != '\0'; p++)
        if (!key_char_ok((unsigned char)*p))
            return err_set(err,
                           "%s: the stream key has a character that cannot be in a URL "
                           "(position %d)",
                           where, (int)(p - key) + 1);
    return 0;
}

int twitch_key_load(const char *key_file, char *key, size_t cap, struct err *err)
{
    if (key_file == NULL) {
        const char *env = getenv(TWITCH_KEY_ENV);
        if (env == NULL)
            return err_set(err, "no stream key: set %s in the environment or pass --key-file FILE",
                           TWITCH_KEY_ENV);
        if (strlen(env) >= cap)
            return err_set(err, "%s: the stream key is longer than %zu characters", TWITCH_KEY_ENV,
                           cap - 1);
        snprintf(key, cap, "%s", env);
        unsetenv(TWITCH_KEY_ENV); /* children must not inherit it */
        return check_key(key, TWITCH_KEY_ENV, err);
    }
    FILE *f = fopen(key_file, "r");
    if (f == NULL)
        return err_set(err, "%s: cannot read the stream key file (%s)", key_file, strerror(errno));
    size_t n = fread(key, 1, cap - 1, f);
    int more = fgetc(f) != EOF;
    int bad = ferror(f);
    fclose(f);
    key[n] = '\0';
    if (bad)
        return err_set(err, "%s: cannot read the stream key file", key_file);
    if (more)
        return err_set(err, "%s: longer than a stream key (%zu characters at most)", key_file,
                       cap - 1);
    return check_key(key, key_file, err);
}

int twitch_url(const char *ingest, const char *key, char *url, char *name, struct err *err)
{
    if (strncmp(ingest, "rtmp://", 7) != 0)
        return err_set(err, "--ingest %s: must be an rtmp:// URL such as %s", ingest,
                       TWITCH_INGEST_DEFAULT);
    size_t len = strlen(ingest);
    const char *sep = len > 0 && ingest[len - 1] == '/' ? "" : "/";
    if (snprintf(url, TWITCH_URL_MAX, "%s%s%s", ingest, sep, key) >= TWITCH_URL_MAX)
        return err_set(err, "--ingest %s: URL too long", ingest);
    snprintf(name, TWITCH_URL_MAX, "%s%s%s", ingest, sep, TWITCH_REDACTED);
    return 0;
}

void twitch_redact(const char *text, const char *secret, char *out, size_t cap)
{
    size_t slen = strlen(secret), o = 0;
    if (cap == 0)
        return;
    while (*text != '\0' && o + 1 < cap) {
        if (slen > 0 && strncmp(text, secret, slen) == 0) {
            o += (size_t)snprintf(out + o, cap - o, "%s", TWITCH_REDACTED);
            if (o >= cap)
                o = cap - 1;
            text += slen;
        } else {
            out[o++] = *text++;
        }
    }
    out[o] = '\0';
}

static void redacting_log(void *avcl, int level, const char *fmt, va_list vl)
{
    if (level > av_log_get_level())
        return;
    /* Format exactly as FFmpeg would (with its "[rtmp @ 0x...]" prefix),
     * then hide the key, then print. */
    char line[2048], clean[2048];
    av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &log_print_prefix);
    twitch_redact(line, log_secret, clean, sizeof clean);
    fputs(clean, stderr);
}

void twitch_log_install(const char *secret)
{
    snprintf(log_secret, sizeof log_secret, "%s", secret);
    av_log_set_callback(redacting_log);
}
