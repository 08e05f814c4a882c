/* encoder.h - RGB frames in, an H.264 + AAC stream out: a file or a live RTMP output.
 *
 * The stream tool draws every frame into a plain RGB24 buffer; this module
 * does everything after that, with FFmpeg's libraries:
 *
 *   RGB24 --libswscale--> YUV 4:2:0 --libx264--> H.264 --+
 *                                                        +--> FLV or MP4
 *   silence -------------------------------> AAC -------+
 *
 * Video is what Twitch's ingest expects: H.264 Main profile, yuv420p, x264
 * preset veryfast tuned for zero latency (no B-frames, no lookahead, so each
 * frame comes out as soon as it goes in), constant bitrate, and an IDR
 * keyframe every ENCODER_KEYINT_SECONDS exactly, never at scene changes, so a
 * viewer who joins can start within two seconds. Audio is a silent stereo
 * 48 kHz AAC track, because players and Twitch misbehave on video-only input.
 *
 * The output decides the container:
 *   rtmp://host/app/key   FLV over RTMP, a live output (see encoder_is_live)
 *   NAME.flv              FLV file
 *   NAME.mp4              MP4 file, moov atom at the front (faststart) so it
 *                         plays while it downloads
 * File outputs are written to a temporary name next to the real one and
 * renamed by encoder_close(), so an interrupted render never leaves a broken
 * file under the real name. (Only FLV and RTMP get x264's strict CBR, with
 * filler data; x264 refuses it for MP4, whose bitrate is a ceiling instead.)
 *
 * A live output whose connection drops - a write fails, or the server takes
 * nothing for io_timeout_ms - is reconnected by encoder_write() itself: up to
 * `retries` times, waiting backoff_ms, then twice as long, and so on. The
 * first frame after a reconnect is forced to a keyframe, because the new
 * connection cannot decode anything before one.
 *
 *     struct encoder_opts o = {.output = "demo.mp4", .width = 1280, .height = 720};
 *     struct encoder *enc;
 *     if (encoder_open(&enc, &o, &err) != 0) ...
 *     for (int64_t i = 0; i < 300; i++) {
 *         draw(rgb, i);
 *         if (encoder_write(enc, rgb, 1280 * 3, i, &err) != 0) { encoder_abort(enc); ... }
 *     }
 *     if (encoder_close(enc, &err) != 0) ...   // flush, trailer, rename
 */
#ifndef RETREAT_ENCODER_H
#define RETREAT_ENCODER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define ENCODER_FPS 30
#define ENCODER_KEYINT_SECONDS 2
#define ENCODER_BITRATE_DEFAULT 3000 /* kbit/s, right for 720p30 */
#define ENCODER_BITRATE_MIN 300
#define ENCODER_BITRATE_MAX 6000 /* Twitch's ceiling for ingest */
#define ENCODER_WIDTH_MIN 160
#define ENCODER_HEIGHT_MIN 90
#define ENCODER_WIDTH_MAX 1920
#define ENCODER_HEIGHT_MAX 1080
#define ENCODER_AUDIO_RATE 48000
#define ENCODER_IO_TIMEOUT_MS 10000 /* default of encoder_opts.io_timeout_ms */

enum encoder_kind {
    ENCODER_MP4,  /* a .mp4 file */
    ENCODER_FLV,  /* a .flv file */
    ENCODER_RTMP, /* an rtmp:// URL: live */
};

struct encoder_opts {
    const char *output;  /* file path or rtmp:// URL */
    const char *name;    /* how the output is named in messages; NULL: output itself.
                            Set it whenever the URL holds a secret (a stream key). */
    int width, height;   /* even, within the limits above */
    int fps;             /* 0: ENCODER_FPS */
    int bitrate_kbps;    /* 0: ENCODER_BITRATE_DEFAULT */
    int retries;         /* live outputs: reconnect attempts after a drop (0: none) */
    unsigned backoff_ms; /* wait before the first reconnect attempt; doubles after each */
    /* Live outputs: the longest a connect or a write may wait for the server
     * (0: ENCODER_IO_TIMEOUT_MS). A server that stops reading, or a network
     * that silently drops everything, would otherwise block us forever; past
     * this, the connection counts as lost. */
    unsigned io_timeout_ms;
    /* If not NULL and set while reconnecting, encoder_write gives up at once:
     * the caller's SIGINT flag, so Ctrl-C is not stuck behind the backoff. */
    const atomic_int *cancel;
};

/* What happened so far; read it with encoder_stats() before closing. */
struct encoder_stats {
    int64_t frames; /* video frames encoded */
    int64_t bytes;  /* bytes written to the output (all connections) */
    int reconnects; /* successful reconnects of a live output */
};

struct encoder;

/* Picks the container from the output's scheme or extension. An unknown one
 * is an error naming the output and listing what is accepted. */
int encoder_kind_of(const char *output, const char *name, enum encoder_kind *kind, struct err *err);

/* Checks a frame size: even (4:2:0 halves both), within the limits above. */
int encoder_check_size(int width, int height, struct err *err);

/* Opens the encoders and the output, and writes the container header. */
int encoder_open(struct encoder **enc, const struct encoder_opts *opts, struct err *err);

/* 1 if the output is live (RTMP): the caller should pace it to real time. */
int encoder_is_live(const struct encoder *enc);

/* Encodes one RGB24 frame (width x height, rows `stride` bytes apart) shown at
 * frame number `index` (time index / fps). Indexes must increase; a gap means
 * frames were dropped, and the audio track fills it with silence. A frame
 * whose index is a multiple of fps * ENCODER_KEYINT_SECONDS is a keyframe.
 * The frame is converted before this returns (rgb may be redrawn at once);
 * it is compressed and written in the background, so an error doing that
 * is returned by the next call, or by encoder_close(). */
int encoder_write(struct encoder *enc, const uint8_t *rgb, size_t stride, int64_t index,
                  struct err *err);

/* Copies the counters out (after the frame in progress is done). */
void encoder_stats(struct encoder *enc, struct encoder_stats *stats);

/* Flushes both encoders, writes the trailer, renames a file output into
 * place, and frees everything - also when it fails. */
int encoder_close(struct encoder *enc, struct err *err);

/* Frees everything and removes the temporary file: nothing is left behind.
 * Safe on NULL. */
void encoder_abort(struct encoder *enc);

#endif
