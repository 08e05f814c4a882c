/* encoder.c - H.264 + silent AAC into FLV, MP4 or RTMP; see encoder.h.
 *
 * It is a two-stage pipeline, like exercise 07's: the caller's thread
 * converts frame i from RGB to YUV (itself split in bands over two threads)
 * while the encode thread compresses frame i-1 with x264 and writes it out.
 * Two pictures take turns; a mutex and a condition variable hand one over.
 * Without the overlap, one core would idle during every conversion: the
 * render was about 15% slower (tests/bench/stream_vs_ffmpeg.sh).
 *
 * The two encoders live as long as the encoder; the output (the muxer and
 * its connection or file) is separate, so that a dropped RTMP connection can
 * be replaced by a new one without restarting the encoders. Everything that
 * reaches the muxer goes through av_interleaved_write_frame(), which orders
 * audio and video packets by time: players and RTMP servers want the two
 * tracks interleaved, not one after the other.
 */
#include "encoder.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libavutil/samplefmt.h>
#include <libswscale/swscale.h>

#include "clock.h"

/* Converting a 720p frame from RGB to YUV takes about 3 ms on one core,
 * half as long as x264 takes to compress it on two. So the frame is
 * converted in horizontal bands, one thread each, like the rows exercise
 * (06) splits a blur: each band has its own converter, since a SwsContext
 * is not thread-safe. */
#define ENCODER_BANDS 2

struct band {
    struct SwsContext *sws;
    int y0, height; /* rows [y0, y0 + height); y0 even, for the 2x2 chroma */
    const uint8_t *rgb;
    size_t stride;
    AVFrame *picture; /* where this call's YUV goes */
};

struct encoder {
    enum encoder_kind kind;
    char *output;   /* where the bytes go: a URL, or the real file name */
    char *name;     /* the output as messages show it */
    char *tmp_path; /* file outputs: the temporary name written until close */
    int width, height, fps, gop;

    AVCodecContext *video, *audio;
    struct band bands[ENCODER_BANDS];
    AVFrame *pictures[2]; /* YUV 4:2:0: one converted, the other encoded */
    int turn;             /* which picture the next frame is converted into */
    AVFrame *silence;     /* one AAC frame of zeros, sent again and again */
    AVPacket *pkt;

    int64_t last_index; /* last frame index handed to encoder_write, -1 at first */

    /* The encode thread, and what it shares with the caller's thread: a job
     * (the picture to encode, NULL when idle), and the first error it met.
     * Everything below job_err belongs to whichever thread holds the job:
     * the encode thread while job != NULL, the caller's once it is idle. */
    pthread_t worker;
    int worker_started;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* job taken, job done, or quit */
    AVFrame *job;
    int64_t job_index;
    int quit;
    int failed;
    struct err job_err;

    AVFormatContext *mux;  /* NULL while a live output is disconnected */
    int64_t audio_samples; /* silence encoded so far, in samples */
    int64_t last_slot;     /* keyframe slot (index / gop) of the last frame */
    int force_key;         /* the next frame must be a keyframe (after reconnect) */

    int retries;
    unsigned backoff_ms;
    uint64_t io_timeout_ns;
    uint64_t io_deadline_ns;  /* live outputs: when the network wait in progress gives up */
    const atomic_int *cancel; /* read by the encode thread */
    struct encoder_stats stats;
};

/* AVERROR_EXIT only comes from io_interrupt(): say what it means. */
static const char *av_reason(int ret)
{
    static const char timed_out[] = "timed out: the server stopped answering";
    return ret == AVERROR_EXIT ? timed_out : NULL;
}

static int av_fail(struct err *err, const char *name, const char *what, int ret)
{
    const char *reason = av_reason(ret);
    return err_set(err, "%s: %s (%s)", name, what, reason ? reason : av_err2str(ret));
}

/* FFmpeg calls this again and again while it waits on the network; a
 * nonzero answer makes the wait fail with AVERROR_EXIT. */
static int io_interrupt(void *opaque)
{
    const struct encoder *enc = opaque;
    return enc->io_deadline_ns != 0 && clock_now_ns() > enc->io_deadline_ns;
}

/* Starts the clock of one network operation (live outputs only: a local
 * file is never waited on for long, and its trailer must always be written). */
static void io_arm(struct encoder *enc)
{
    if (enc->kind == ENCODER_RTMP)
        enc->io_deadline_ns = clock_now_ns() + enc->io_timeout_ns;
}

int encoder_kind_of(const char *output, const char *name, enum encoder_kind *kind, struct err *err)
{
    if (name == NULL)
        name = output;
    const char *dot = strrchr(output, '.');
    const char *slash = strrchr(output, '/');
    if (strncmp(output, "rtmp://", 7) == 0)
        *kind = ENCODER_RTMP;
    else if (strstr(output, "://") != NULL)
        return err_set(err,
                       "%s: unsupported output scheme; accepted are rtmp://HOST/APP/KEY, "
                       "FILE.mp4 and FILE.flv",
                       name);
    else if (dot != NULL && (slash == NULL || dot > slash) && strcasecmp(dot, ".mp4") == 0)
        *kind = ENCODER_MP4;
    else if (dot != NULL && (slash == NULL || dot > slash) && strcasecmp(dot, ".flv") == 0)
        *kind = ENCODER_FLV;
    else
        return err_set(err,
                       "%s: unknown output type; accepted are FILE.mp4, FILE.flv and "
                       "rtmp://HOST/APP/KEY",
                       name);
    return 0;
}

int encoder_check_size(int width, int height, struct err *err)
{
    if (width < ENCODER_WIDTH_MIN || height < ENCODER_HEIGHT_MIN || width > ENCODER_WIDTH_MAX ||
        height > ENCODER_HEIGHT_MAX)
        return err_set(err, "frame size %dx%d: must be from %dx%d to %dx%d", width, height,
                       ENCODER_WIDTH_MIN, ENCODER_HEIGHT_MIN, ENCODER_WIDTH_MAX,
                       ENCODER_HEIGHT_MAX);
    /* 4:2:0 keeps one chroma sample per 2x2 block of pixels. */
    if (width % 2 != 0 || height % 2 != 0)
        return err_set(err, "frame size %dx%d: width and height must be even (yuv420p)", width,
                       height);
    return 0;
}

/* --- The encoders --------------------------------------------------------- */

static int open_video(struct encoder *enc, int bitrate_kbps, struct err *err)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (codec == NULL)
        return err_set(err, "%s: this FFmpeg has no libx264 encoder", enc->name);
    AVCodecContext *c = avcodec_alloc_context3(codec);
    if (c == NULL)
        return err_set(err, "%s: out of memory", enc->name);
    enc->video = c;

    c->width = enc->width;
    c->height = enc->height;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = (AVRational){1, enc->fps};
    c->framerate = (AVRational){enc->fps, 1};
    /* Constant bitrate: the average, the ceiling and a one-second buffer are
     * the same number, so the stream never bursts above what ingest allows. */
    c->bit_rate = (int64_t)bitrate_kbps * 1000;
    c->rc_max_rate = c->bit_rate;
    c->rc_min_rate = c->bit_rate;
    c->rc_buffer_size = (int)c->bit_rate;
    /* A keyframe every gop frames. x264 clamps keyint_min to gop/2+1, so it is
     * scenecut=0 and our forced keyframes (encoder_write) that make the
     * spacing exact; keyint_min = gop states the intent. */
    c->gop_size = enc->gop;
    c->keyint_min = enc->gop;
    c->max_b_frames = 0;
    /* HD video is BT.709, limited range; say so, and convert that way. */
    c->colorspace = AVCOL_SPC_BT709;
    c->color_primaries = AVCOL_PRI_BT709;
    c->color_trc = AVCOL_TRC_BT709;
    c->color_range = AVCOL_RANGE_MPEG;
    /* FLV and MP4 both keep SPS/PPS in the header, not in every keyframe. */
    c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

    av_opt_set(c->priv_data, "preset", "veryfast", 0);
    av_opt_set(c->priv_data, "tune", "zerolatency", 0);
    av_opt_set(c->priv_data, "profile", "main", 0);
    av_opt_set_int(c->priv_data, "sc_threshold", 0, 0);
    av_opt_set_int(c->priv_data, "forced-idr", 1, 0);
    /* Strict CBR (filler data, HRD signalling) is what ingest servers want;
     * x264 refuses it for MP4, where the VBV limits above are enough. */
    if (enc->kind != ENCODER_MP4)
        av_opt_set(c->priv_data, "nal-hrd", "cbr", 0);

    int ret = avcodec_open2(c, codec, NULL);
    if (ret < 0)
        return av_fail(err, enc->name, "cannot open the libx264 encoder", ret);

    for (int i = 0; i < 2; i++) {
        AVFrame *f = enc->pictures[i] = av_frame_alloc();
        if (f == NULL)
            return err_set(err, "%s: out of memory", enc->name);
        f->format = c->pix_fmt;
        f->width = c->width;
        f->height = c->height;
        ret = av_frame_get_buffer(f, 0);
        if (ret < 0)
            return av_fail(err, enc->name, "cannot allocate a frame", ret);
    }

    /* RGB in, BT.709 limited-range YUV out, matching the tags set above. */
    const int *bt709 = sws_getCoefficients(SWS_CS_ITU709);
    int rows = (c->height / ENCODER_BANDS) & ~1;
    for (int b = 0; b < ENCODER_BANDS; b++) {
        struct band *band = &enc->bands[b];
        band->y0 = b * rows;
        band->height = b == ENCODER_BANDS - 1 ? c->height - band->y0 : rows;
        band->sws = sws_getContext(c->width, band->height, AV_PIX_FMT_RGB24, c->width, band->height,
                                   AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
        if (band->sws == NULL)
            return err_set(err, "%s: cannot set up the RGB to YUV conversion", enc->name);
        sws_setColorspaceDetails(band->sws, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
    }
    return 0;
}

static int open_audio(struct encoder *enc, struct err *err)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (codec == NULL)
        return err_set(err, "%s: this FFmpeg has no AAC encoder", enc->name);
    AVCodecContext *c = avcodec_alloc_context3(codec);
    if (c == NULL)
        return err_set(err, "%s: out of memory", enc->name);
    enc->audio = c;

    c->sample_fmt = AV_SAMPLE_FMT_FLTP; /* the only format FFmpeg's AAC encoder takes */
    c->sample_rate = ENCODER_AUDIO_RATE;
    c->time_base = (AVRational){1, ENCODER_AUDIO_RATE};
    c->bit_rate = 128000;
    c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int ret = av_channel_layout_copy(&c->ch_layout, &(AVChannelLayout)AV_CHANNEL_LAYOUT_STEREO);
    if (ret < 0)
        return av_fail(err, enc->name, "cannot set the audio layout", ret);
    ret = avcodec_open2(c, codec, NULL);
    if (ret < 0)
        return av_fail(err, enc->name, "cannot open the AAC encoder", ret);

    AVFrame *f = av_frame_alloc();
    if (f == NULL)
        return err_set(err, "%s: out of memory", enc->name);
    enc->silence = f;
    f->format = c->sample_fmt;
    f->sample_rate = c->sample_rate;
    f->nb_samples = c->frame_size; /* 1024 for AAC */
    ret = av_channel_layout_copy(&f->ch_layout, &c->ch_layout);
    if (ret >= 0)
        ret = av_frame_get_buffer(f, 0);
    if (ret < 0)
        return av_fail(err, enc->name, "cannot allocate the audio frame", ret);
    av_samples_set_silence(f->extended_data, 0, f->nb_samples, c->ch_layout.nb_channels,
                           c->sample_fmt);
    return 0;
}

/* Converts one band: its rows of RGB into the same rows of the picture
 * (half as many, from y0 / 2, in the two chroma planes). */
static void *convert_band(void *arg)
{
    struct band *b = arg;
    AVFrame *p = b->picture;
    const uint8_t *src[1] = {b->rgb + (size_t)b->y0 * b->stride};
    const int src_stride[1] = {(int)b->stride};
    uint8_t *dst[3] = {p->data[0] + (size_t)b->y0 * p->linesize[0],
                       p->data[1] + (size_t)(b->y0 / 2) * p->linesize[1],
                       p->data[2] + (size_t)(b->y0 / 2) * p->linesize[2]};
    sws_scale(b->sws, src, src_stride, 0, b->height, dst, p->linesize);
    return NULL;
}

/* Converts the whole frame: every band but the first on a thread of its
 * own, the first on ours. If a thread cannot start, we do its band. */
static void convert(struct encoder *enc, const uint8_t *rgb, size_t stride, AVFrame *picture)
{
    pthread_t threads[ENCODER_BANDS];
    int started[ENCODER_BANDS] = {0};
    for (int b = 0; b < ENCODER_BANDS; b++) {
        enc->bands[b].rgb = rgb;
        enc->bands[b].stride = stride;
        enc->bands[b].picture = picture;
    }
    for (int b = 1; b < ENCODER_BANDS; b++)
        started[b] = pthread_create(&threads[b], NULL, convert_band, &enc->bands[b]) == 0;
    convert_band(&enc->bands[0]);
    for (int b = 1; b < ENCODER_BANDS; b++) {
        if (started[b])
            pthread_join(threads[b], NULL);
        else
            convert_band(&enc->bands[b]);
    }
}

/* --- The output ----------------------------------------------------------- */

/* Adds a stream carrying what codec c produces. */
static int add_stream(AVFormatContext *mux, AVCodecContext *c)
{
    AVStream *st = avformat_new_stream(mux, NULL);
    if (st == NULL)
        return AVERROR(ENOMEM);
    st->time_base = c->time_base; /* a hint; the muxer picks its own in write_header */
    return avcodec_parameters_from_context(st->codecpar, c);
}

/* Closes the current output. A live connection that broke gets no trailer:
 * nobody is listening to it any more. */
static void close_output(struct encoder *enc, int write_trailer)
{
    if (enc->mux == NULL)
        return;
    if (write_trailer)
        av_write_trailer(enc->mux);
    if (enc->mux->pb != NULL)
        enc->stats.bytes += avio_tell(enc->mux->pb);
    avio_closep(&enc->mux->pb);
    avformat_free_context(enc->mux);
    enc->mux = NULL;
}

/* Opens the file or the connection and writes the container header. */
static int open_output(struct encoder *enc, struct err *err)
{
    const char *format = enc->kind == ENCODER_MP4 ? "mp4" : "flv";
    const char *target = enc->tmp_path != NULL ? enc->tmp_path : enc->output;
    /* The MP4 muxer reopens the file by this name for its faststart pass. */
    int ret = avformat_alloc_output_context2(&enc->mux, NULL, format, target);
    if (ret < 0)
        return av_fail(err, enc->name, "cannot set up the muxer", ret);
    /* Video is stream 0 and audio stream 1; encoder_write relies on it. */
    if ((ret = add_stream(enc->mux, enc->video)) < 0 ||
        (ret = add_stream(enc->mux, enc->audio)) < 0) {
        close_output(enc, 0);
        return av_fail(err, enc->name, "cannot add the streams", ret);
    }
    enc->mux->interrupt_callback = (AVIOInterruptCB){io_interrupt, enc};
    io_arm(enc);
    ret = avio_open2(&enc->mux->pb, target, AVIO_FLAG_WRITE, &enc->mux->interrupt_callback, NULL);
    if (ret < 0) {
        close_output(enc, 0);
        return av_fail(err, enc->name,
                       enc->kind == ENCODER_RTMP ? "cannot connect" : "cannot create", ret);
    }
    AVDictionary *opts = NULL;
    /* faststart: after the last frame, move the index (moov) to the front of
     * the file, so a browser can start playing before it has all of it. */
    if (enc->kind == ENCODER_MP4)
        av_dict_set(&opts, "movflags", "+faststart", 0);
    /* A stream has no end to seek back to for the final duration and size. */
    if (enc->kind == ENCODER_RTMP)
        av_dict_set(&opts, "flvflags", "no_duration_filesize", 0);
    io_arm(enc);
    ret = avformat_write_header(enc->mux, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        close_output(enc, 0);
        return av_fail(err, enc->name, "cannot write the header", ret);
    }
    return 0;
}

/* Hands every packet the codec has ready to the muxer. Packets that come
 * while a live output is down are dropped; the first failed write closes the
 * connection, and encoder_write reconnects once the frame is done. */
static int drain(struct encoder *enc, AVCodecContext *c, int stream, struct err *err)
{
    for (;;) {
        int ret = avcodec_receive_packet(c, enc->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return av_fail(err, enc->name, "encoding failed", ret);
        if (enc->mux == NULL) {
            av_packet_unref(enc->pkt);
            continue;
        }
        AVStream *st = enc->mux->streams[stream];
        av_packet_rescale_ts(enc->pkt, c->time_base, st->time_base);
        enc->pkt->stream_index = stream;
        io_arm(enc);
        ret = av_interleaved_write_frame(enc->mux, enc->pkt); /* consumes the packet */
        if (ret < 0) {
            if (enc->kind != ENCODER_RTMP)
                return av_fail(err, enc->name, "cannot write", ret);
            const char *reason = av_reason(ret);
            fprintf(stderr, "retreat: %s: connection lost (%s)\n", enc->name,
                    reason ? reason : av_err2str(ret));
            close_output(enc, 0);
        }
    }
}

static int encode(struct encoder *enc, AVCodecContext *c, int stream, AVFrame *frame,
                  struct err *err)
{
    int ret = avcodec_send_frame(c, frame);
    if (ret < 0)
        return av_fail(err, enc->name, "encoding failed", ret);
    return drain(enc, c, stream, err);
}

/* Waits ms milliseconds in short steps, so that the cancel flag is seen. */
static int wait_or_cancel(struct encoder *enc, unsigned ms)
{
    for (unsigned waited = 0; waited < ms; waited += 100) {
        if (enc->cancel != NULL && atomic_load(enc->cancel))
            return -1;
        clock_sleep_ms(ms - waited < 100 ? ms - waited : 100);
    }
    return enc->cancel != NULL && atomic_load(enc->cancel) ? -1 : 0;
}

static int reconnect(struct encoder *enc, struct err *err)
{
    unsigned wait = enc->backoff_ms;
    for (int attempt = 1; attempt <= enc->retries; attempt++) {
        fprintf(stderr, "retreat: %s: reconnecting in %.1f s (attempt %d of %d)\n", enc->name,
                wait / 1000.0, attempt, enc->retries);
        if (wait_or_cancel(enc, wait) != 0)
            return err_set(err, "%s: interrupted while reconnecting", enc->name);
        if (open_output(enc, err) == 0) {
            fprintf(stderr, "retreat: %s: reconnected\n", enc->name);
            enc->stats.reconnects++;
            enc->force_key = 1; /* the new connection has seen no keyframe yet */
            return 0;
        }
        fprintf(stderr, "retreat: %s\n", err->msg);
        wait *= 2;
    }
    if (enc->retries == 0)
        return err_set(err, "%s: connection lost (reconnecting is off)", enc->name);
    return err_set(err, "%s: connection lost and %d reconnect attempt%s failed; giving up",
                   enc->name, enc->retries, enc->retries == 1 ? "" : "s");
}

/* --- The encode thread ---------------------------------------------------- */

/* Encodes one converted picture and writes what comes out: the encode
 * thread's work for one frame. */
static int encode_frame(struct encoder *enc, AVFrame *picture, int64_t index, struct err *err)
{
    /* Keyframes sit on the 2-second grid even when frames were dropped: the
     * first frame of every new slot of gop frames is one. */
    int64_t slot = index / enc->gop;
    int key = slot != enc->last_slot || enc->force_key;
    picture->pict_type = key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    picture->pts = index;
    if (encode(enc, enc->video, 0, picture, err) != 0)
        return -1;
    enc->last_slot = slot;
    enc->force_key = 0;
    enc->stats.frames++;

    /* Silence up to the end of this frame, so audio never lags video. */
    int64_t until = (index + 1) * ENCODER_AUDIO_RATE / enc->fps;
    while (enc->audio_samples < until) {
        /* AAC starts with initial_padding samples of encoder delay, whose
         * packets would get negative times; FLV cannot store those and the
         * muxer would shift the whole file, video too, off the 2 s grid. */
        enc->silence->pts = enc->audio_samples + enc->audio->initial_padding;
        if (encode(enc, enc->audio, 1, enc->silence, err) != 0)
            return -1;
        enc->audio_samples += enc->silence->nb_samples;
    }

    if (enc->mux == NULL && reconnect(enc, err) != 0)
        return -1;
    return 0;
}

/* The encode thread: waits for a job, encodes it, marks itself idle. After
 * an error it keeps taking jobs but skips them; the caller sees the error
 * at its next hand-over. */
static void *encode_worker(void *arg)
{
    struct encoder *enc = arg;
    pthread_mutex_lock(&enc->lock);
    for (;;) {
        while (enc->job == NULL && !enc->quit)
            pthread_cond_wait(&enc->changed, &enc->lock);
        if (enc->job == NULL)
            break; /* quit, and nothing left to do */
        AVFrame *picture = enc->job;
        int64_t index = enc->job_index;
        int skip = enc->failed;
        pthread_mutex_unlock(&enc->lock);

        struct err err;
        int rc = skip ? 0 : encode_frame(enc, picture, index, &err);

        pthread_mutex_lock(&enc->lock);
        if (rc != 0) {
            enc->failed = 1;
            enc->job_err = err;
        }
        enc->job = NULL;
        pthread_cond_broadcast(&enc->changed);
    }
    pthread_mutex_unlock(&enc->lock);
    return NULL;
}

/* Waits until the encode thread is idle; -1 with its error if it failed. */
static int wait_idle(struct encoder *enc, struct err *err)
{
    pthread_mutex_lock(&enc->lock);
    while (enc->job != NULL)
        pthread_cond_wait(&enc->changed, &enc->lock);
    int failed = enc->failed;
    if (failed && err != NULL)
        *err = enc->job_err;
    pthread_mutex_unlock(&enc->lock);
    return failed ? -1 : 0;
}

/* Ends the encode thread once it is idle. Safe to call twice. */
static void stop_worker(struct encoder *enc)
{
    if (!enc->worker_started)
        return;
    pthread_mutex_lock(&enc->lock);
    enc->quit = 1;
    pthread_cond_broadcast(&enc->changed);
    pthread_mutex_unlock(&enc->lock);
    pthread_join(enc->worker, NULL);
    enc->worker_started = 0;
}

/* --- The API -------------------------------------------------------------- */

int encoder_open(struct encoder **out, const struct encoder_opts *o, struct err *err)
{
    *out = NULL;
    const char *name = o->name != NULL ? o->name : o->output;
    enum encoder_kind kind;
    if (encoder_kind_of(o->output, name, &kind, err) != 0)
        return -1;
    if (encoder_check_size(o->width, o->height, err) != 0)
        return err_prefix(err, "%s: ", name);
    int fps = o->fps > 0 ? o->fps : ENCODER_FPS;
    int kbps = o->bitrate_kbps > 0 ? o->bitrate_kbps : ENCODER_BITRATE_DEFAULT;
    if (kbps < ENCODER_BITRATE_MIN || kbps > ENCODER_BITRATE_MAX)
        return err_set(err, "%s: bitrate %d kbit/s: must be from %d to %d", name, kbps,
                       ENCODER_BITRATE_MIN, ENCODER_BITRATE_MAX);

    struct encoder *enc = calloc(1, sizeof *enc);
    if (enc == NULL)
        return err_set(err, "%s: out of memory", name);
    enc->kind = kind;
    enc->width = o->width;
    enc->height = o->height;
    enc->fps = fps;
    enc->gop = fps * ENCODER_KEYINT_SECONDS;
    enc->last_index = -1;
    enc->last_slot = -1;
    enc->retries = o->retries;
    enc->backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : 1000;
    enc->io_timeout_ns =
        (uint64_t)(o->io_timeout_ms > 0 ? o->io_timeout_ms : ENCODER_IO_TIMEOUT_MS) * 1000000u;
    enc->cancel = o->cancel;
    enc->output = strdup(o->output);
    enc->name = strdup(name);
    if (kind != ENCODER_RTMP) {
        /* Same folder as the real name, so the final rename(2) is atomic. */
        size_t len = strlen(o->output) + 32;
        enc->tmp_path = malloc(len);
        if (enc->tmp_path != NULL)
            snprintf(enc->tmp_path, len, "%s.tmp-%ld", o->output, (long)getpid());
    }
    pthread_mutex_init(&enc->lock, NULL);
    pthread_cond_init(&enc->changed, NULL);
    enc->pkt = av_packet_alloc();
    if (enc->output == NULL || enc->name == NULL || enc->pkt == NULL ||
        (kind != ENCODER_RTMP && enc->tmp_path == NULL)) {
        encoder_abort(enc);
        return err_set(err, "%s: out of memory", name);
    }
    if (open_video(enc, kbps, err) != 0 || open_audio(enc, err) != 0 ||
        open_output(enc, err) != 0) {
        encoder_abort(enc);
        return -1;
    }
    int rc = pthread_create(&enc->worker, NULL, encode_worker, enc);
    if (rc != 0) {
        encoder_abort(enc);
        return err_set(err, "%s: cannot start the encode thread (%s)", name, strerror(rc));
    }
    enc->worker_started = 1;
    *out = enc;
    return 0;
}

int encoder_is_live(const struct encoder *enc)
{
    return enc->kind == ENCODER_RTMP;
}

int encoder_write(struct encoder *enc, const uint8_t *rgb, size_t stride, int64_t index,
                  struct err *err)
{
    if (index <= enc->last_index)
        return err_set(err, "%s: frame %lld written after frame %lld", enc->name, (long long)index,
                       (long long)enc->last_index);

    /* Convert into the picture the encode thread is not using: it may be
     * busy with the other one right now. (make_writable only copies if the
     * codec still held a reference, which x264 does not.) */
    AVFrame *picture = enc->pictures[enc->turn];
    int ret = av_frame_make_writable(picture);
    if (ret < 0)
        return av_fail(err, enc->name, "cannot reuse the frame", ret);
    convert(enc, rgb, stride, picture);

    /* Hand it over once the previous frame is done. */
    if (wait_idle(enc, err) != 0)
        return -1;
    pthread_mutex_lock(&enc->lock);
    enc->job = picture;
    enc->job_index = index;
    pthread_cond_broadcast(&enc->changed);
    pthread_mutex_unlock(&enc->lock);
    enc->turn = 1 - enc->turn;
    enc->last_index = index;
    return 0;
}

void encoder_stats(struct encoder *enc, struct encoder_stats *stats)
{
    wait_idle(enc, NULL); /* the counters are the encode thread's while it works */
    *stats = enc->stats;
    if (enc->mux != NULL && enc->mux->pb != NULL)
        stats->bytes += avio_tell(enc->mux->pb);
}

static void free_all(struct encoder *enc)
{
    stop_worker(enc);
    pthread_mutex_destroy(&enc->lock);
    pthread_cond_destroy(&enc->changed);
    close_output(enc, 0);
    avcodec_free_context(&enc->video);
    avcodec_free_context(&enc->audio);
    for (int b = 0; b < ENCODER_BANDS; b++)
        sws_freeContext(enc->bands[b].sws);
    av_frame_free(&enc->pictures[0]);
    av_frame_free(&enc->pictures[1]);
    av_frame_free(&enc->silence);
    av_packet_free(&enc->pkt);
    free(enc->output);
    free(enc->name);
    free(enc->tmp_path);
    free(enc);
}

int encoder_close(struct encoder *enc, struct err *err)
{
    /* The last frame first; then this thread finishes alone. */
    int ret = wait_idle(enc, err);
    stop_worker(enc);
    /* A NULL frame asks each encoder for what it still holds. */
    if (ret == 0)
        ret = encode(enc, enc->video, 0, NULL, err);
    if (ret == 0)
        ret = encode(enc, enc->audio, 1, NULL, err);
    if (ret == 0 && enc->mux != NULL) {
        io_arm(enc);
        int av = av_write_trailer(enc->mux);
        if (av < 0)
            ret = av_fail(err, enc->name, "cannot finish the file", av);
    }
    if (enc->mux != NULL) {
        enc->stats.bytes += avio_tell(enc->mux->pb);
        /* Closing flushes the last buffered bytes; a full disk shows here. */
        int av = avio_closep(&enc->mux->pb);
        if (ret == 0 && av < 0)
            ret = av_fail(err, enc->name, "cannot finish the file", av);
        avformat_free_context(enc->mux);
        enc->mux = NULL;
    }
    if (ret == 0 && enc->tmp_path != NULL && rename(enc->tmp_path, enc->output) != 0)
        ret = err_set(err, "%s: cannot rename %s into place (%s)", enc->name, enc->tmp_path,
                      strerror(errno));
    if (ret != 0 && enc->tmp_path != NULL)
        unlink(enc->tmp_path);
    free_all(enc);
    return ret;
}

void encoder_abort(struct encoder *enc)
{
    if (enc == NULL)
        return;
    stop_worker(enc);
    close_output(enc, 0);
    if (enc->tmp_path != NULL)
        unlink(enc->tmp_path);
    free_all(enc);
}
