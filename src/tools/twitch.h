/* twitch.h - the stream key: loading it, building the ingest URL, hiding it.
 *
 * Whoever has the stream key can broadcast on the channel, so it is handled
 * like a password:
 *  - it is read from the environment (TWITCH_STREAM_KEY) or from a file
 *    (--key-file), never from the command line, where every user of the
 *    machine can read it in /proc/PID/cmdline or `ps`;
 *  - it is removed from the environment once read, so that programs this
 *    process starts do not inherit it;
 *  - messages name the output as "rtmp://live.twitch.tv/app/<key>", and
 *    FFmpeg's own log lines, which may quote the full URL, pass through a
 *    filter that blanks the key out (twitch_log_install).
 *
 *     char key[TWITCH_KEY_MAX], url[TWITCH_URL_MAX], name[TWITCH_URL_MAX];
 *     if (twitch_key_load(key_file, key, sizeof key, &err) != 0 ||
 *         twitch_url(TWITCH_INGEST_DEFAULT, key, url, name, &err) != 0) ...
 *     twitch_log_install(key);
 */
#ifndef RETREAT_TWITCH_H
#define RETREAT_TWITCH_H

#include <stddef.h>

#include "err.h"

#define TWITCH_INGEST_DEFAULT "rtmp://live.twitch.tv/app"
#define TWITCH_KEY_ENV "TWITCH_STREAM_KEY"
#define TWITCH_KEY_MAX 256
#define TWITCH_URL_MAX 1024
#define TWITCH_REDACTED "<key>"

/* Loads the key from key_file, or from $TWITCH_STREAM_KEY when key_file is
 * NULL (and then unsets the variable). Surrounding white space is trimmed;
 * an empty key, or one with characters that cannot be in a URL path, is an
 * error. Errors name the file or the variable, never the key. */
int twitch_key_load(const char *key_file, char *key, size_t cap, struct err *err);

/* Builds url = ingest "/" key (TWITCH_URL_MAX bytes) and name, the same
 * with the key replaced by TWITCH_REDACTED, for messages. The ingest must be
 * an rtmp:// URL. */
int twitch_url(const char *ingest, const char *key, char *url, char *name, struct err *err);

/* Copies text into out (cap bytes), replacing every occurrence of secret by
 * TWITCH_REDACTED. */
void twitch_redact(const char *text, const char *secret, char *out, size_t cap);

/* Routes FFmpeg's log (av_log) through twitch_redact with this secret, to
 * stderr, at FFmpeg's current log level. Call it once, before opening the
 * output; the secret is copied. */
void twitch_log_install(const char *secret);

#endif
