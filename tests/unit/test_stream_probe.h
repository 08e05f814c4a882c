/* test_stream_probe.h - what the stream tests share: probing a video with
 * ffprobe, temporary folders, and a test pattern to encode.
 *
 * The stream tests check the encoder's output from the outside, with the
 * same tool a viewer's player trusts: ffprobe reads the file back and prints
 * JSON, which jansson parses into a struct probe.
 */
#ifndef TEST_STREAM_PROBE_H
#define TEST_STREAM_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROBE_MAX_KEYS 64
#define PROBE_MAX_PACKETS 2048 /* video packets kept in pts[] and key[] */

struct probe {
    char vcodec[32], profile[32], pix_fmt[32];
    int width, height;
    long video_packets;
    double video_start;               /* pts of the first video packet, s */
    double video_end;                 /* pts + duration of the last video packet, s */
    int keys;                         /* video keyframes */
    double key_times[PROBE_MAX_KEYS]; /* their pts, s */
    double pts[PROBE_MAX_PACKETS];    /* every video packet's pts, s, in file order */
    char key[PROBE_MAX_PACKETS];      /* and whether it is a keyframe */
    char acodec[32];
    int sample_rate, channels;
    long audio_packets;
    double format_duration;
};

/* Runs ffprobe on path and fills p. Returns 0, or -1 with a reason in why. */
int probe_file(const char *path, struct probe *p, char *why, size_t cap);

/* mkdtemp under /tmp; the path goes into dir (64 bytes). */
void probe_tmpdir(char *dir);

/* Removes dir and everything in it. */
void probe_rmdir(const char *dir);

/* Draws frame i of a moving test pattern into an RGB24 buffer. */
void probe_pattern(uint8_t *rgb, int width, int height, long i);

/* Path of the retreat binary next to the test binary ($BUILD/retreat). */
void probe_retreat_path(char *path, size_t cap);

/* Starts `retreat ARGS...` (args ends with NULL) with stdout and stderr going
 * to log_path. Returns its pid. */
pid_t probe_spawn(const char *log_path, const char *const *args);

/* Waits up to timeout_s for pid; returns its exit status, or -1 if it was
 * killed by a signal or had to be killed for taking too long. */
int probe_wait(pid_t pid, int timeout_s);

/* The whole file as a string (malloc'ed), or NULL. */
char *probe_slurp(const char *path);

/* --- A loopback RTMP server: nginx with libnginx-mod-rtmp ----------------- */

struct rtmp_server {
    char dir[64]; /* its prefix: config, logs, rec/ with the recordings */
    int port;
    pid_t pid;
};

/* A TCP port on 127.0.0.1 nobody listens on right now. */
int probe_free_port(void);

/* Starts nginx from tests/stream/nginx-rtmp.conf.in in a new temporary
 * folder (port 0: a free one; else that port, to restart a server) and waits
 * until it accepts connections. Returns 0 or -1 with why. */
int rtmp_start(struct rtmp_server *s, int port, char *why, size_t cap);

/* Stops nginx (SIGKILL if hard, else SIGTERM) and waits for it; the folder
 * stays, for the recordings. Safe to call twice. */
void rtmp_stop(struct rtmp_server *s, int hard);

/* Paths of the recordings in s->dir/rec, oldest first; returns how many. */
int rtmp_recordings(const struct rtmp_server *s, char paths[][256], int max);

#endif
