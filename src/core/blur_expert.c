/* blur_expert.c - the "expert" style: a Gaussian blur whose cost does not
 * grow with sigma, built for speed. It is beyond the ladder: no exercise asks
 * for it, and exercise 08 (stacked box blurs, plain C) is what a learner
 * writes; this file is where its README's "going further" leads. See
 * blur_expert.h for the API.
 *
 * The exact blur does 2(2r+1) multiply-adds per sample, r = 3 sigma: at sigma
 * 10 that is 122. This one does 16 multiplications per sample, for any
 * sigma: 4 in each of its 4 passes (forwards and backwards, along the rows
 * and down the columns). It is a recursive filter: each output is a weighted
 * sum of the input and of the few outputs just before it (iir_step()).
 *
 * Feeding outputs back makes the response to one bright pixel go on forever,
 * dying away; with the right weights its shape is very close to half a bell.
 * Run once forwards and once backwards over the result, the two halves make a
 * whole, symmetric bell: the Gaussian, to within a level or two.
 *
 * The weights come from three poles that van Vliet, Young and Verbeek (1998)
 * fitted to the Gaussian of sigma 2. Raising them to the power 1/q stretches
 * that response q times wider; q is found so that the variance is exactly
 * sigma^2 (iir_for_sigma()). Below sigma 2 the exact kernel has at most 13
 * taps anyway: there blur_expert() runs the reference passes (blur_rows_h/v)
 * on its threads.
 *
 * Borders clamp to the edge, exactly, without padding:
 *  - going forwards, the line is as if its first sample had been repeated
 *    forever: the filter starts in the state it would have settled in
 *    (iir_start());
 *  - going backwards, the last sample repeats forever after the line. Where
 *    the backward pass starts depends on where the forward one ended, through
 *    a small matrix worked out once per sigma (Triggs and Sdika, 2006):
 *    iir_edge_matrix() and iir_turn().
 *
 * Why it is fast, beyond the O(1):
 *  - SIMD across lines: the recursion runs along a line, one step after the
 *    other, so the 8 lanes of an AVX2 register hold 8 different lines. Going
 *    down, those are 8 neighbouring samples of a row: one load. Going along,
 *    tiles of 8 rows by 8 samples are turned on their side in registers
 *    (transpose8()), not gathered sample by sample.
 *  - Registers: each step waits for the previous output of its line, so
 *    several lines are interleaved (the 3 or 4 channels of a pixel, 2
 *    vectors of a strip) to give the processor independent work meanwhile;
 *    but only as many as keep their state in the 16 AVX2 registers.
 *  - Small buffers: the backward pass needs the whole forward result of a
 *    line. It is kept for one block of 8 rows, or one strip of 16 columns, at
 *    a time: a few hundred KB, in the L2 cache. The horizontal result goes
 *    into dst as bytes, and the vertical phase blurs dst in place: no
 *    intermediate image, whose fresh pages the kernel would have to fault in
 *    and zero, 4 KB at a time.
 *  - The hot functions are built twice, for plain x86-64 and for AVX2,
 *    chosen at run time (__builtin_cpu_supports, not ifunc: ifunc resolvers
 *    run before ThreadSanitizer is ready).
 *
 * Threads: blocks of rows are split among them for the horizontal phase;
 * then, after all of them are done (pthread_join), strips of columns for the
 * vertical one. The batch style, blur_expert_run(), does not split one
 * image's blur but runs a pool over images, see the end of the file.
 */
#include "blur_expert.h"

#include <complex.h>
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "blur.h"
#include "path.h"
#include "runlog.h"

/* Below this sigma the exact kernel is used instead, see blur_expert(). */
#define EXPERT_SIGMA_EXACT 2.0f

/* A line's state: the last two outputs of the filter's first section, and
 * the last one of its second (see iir_step()). */
#define EXPERT_STATE 3

/* Lines blurred side by side: the floats of one AVX2 register. */
#define EXPERT_LANES 8

/* Going down, the lines of 2 registers are blurred together: their state
 * takes 6 of the 16 AVX2 registers, and the weights and the samples in
 * flight fit in the others. With 3 or 4 registers of lines, registers run
 * short and the blur measured 8% and 20% slower. So the vertical phase goes
 * down strips of EXPERT_STRIP bytes of every row. */
#define EXPERT_VECS 2
#define EXPERT_STRIP (EXPERT_VECS * EXPERT_LANES)

/* Going down, the rows ahead whose bytes are asked for in advance: each row
 * is a new cache line, too far from the last for the processor to guess. */
#define EXPERT_AHEAD 48

/* Eight floats, one per lane (a GCC vector extension: arithmetic on it works
 * lane by lane, and compiles to SIMD instructions; a float times a v8f
 * multiplies every lane), and eight ints, for the shuffles of transpose8(). */
typedef float v8f __attribute__((vector_size(EXPERT_LANES * sizeof(float))));
typedef int32_t v8i __attribute__((vector_size(EXPERT_LANES * sizeof(int32_t))));

/* --- The filter's weights, worked out once per sigma ------------------------ */

/* The poles fitted to sigma 2 (van Vliet, Young and Verbeek, 1998): a
 * complex pair, d and its conjugate, and a real one. */
static const double complex expert_pair = 1.41650 + 1.00829 * I;
static const double expert_real = 1.86543;

/* The filter is two sections in a row, one per kind of pole:
 *
 *     y[n] = gain x[n] + a1 y[n - 1] + a2 y[n - 2]     (the pair)
 *     z[n] = y[n] + b z[n - 1]                          (the real pole)
 *
 * Each section would need a gain of its own to leave a flat line as it is;
 * the product of the two is applied once, in the first: the same output for
 * one multiplication less per step. The state then settles at different
 * levels on a flat line: settle[]. */
struct expert_iir {
    float gain, a1, a2, b;
    float settle[EXPERT_STATE];             /* the state on a flat line of 1s */
    float edge[EXPERT_STATE][EXPERT_STATE]; /* see iir_edge_matrix() */
};

/* Pole d stretched q times: the response of 1 / (1 - z^-1 / d) decays by
 * 1/|d| per step, that of the stretched one q times more slowly. */
static double complex pole_scaled(double complex d, double q)
{
    return cpow(d, 1.0 / q);
}

/* Variance of the forward-and-backward filter. Each pole d on its own is a
 * geometric decay by 1/d per step, whose variance is d / (d - 1)^2;
 * variances add up over the poles (d and its conjugate: twice the real
 * part), and over the two directions. */
static double iir_variance(double q)
{
    double complex d = pole_scaled(expert_pair, q), r = pole_scaled(expert_real, q);
    return 2.0 * (2.0 * creal(d / ((d - 1.0) * (d - 1.0))) + creal(r / ((r - 1.0) * (r - 1.0))));
}

/* The stretch q whose variance is sigma^2, by bisection: the variance grows
 * with q, and q = 1 at sigma 2 (what the poles were fitted to). */
static double iir_stretch(float sigma)
{
    double lo = 0.25, hi = 2.0 * sigma, want = (double)sigma * sigma;
    for (int i = 0; i < 60; i++) {
        double q = (lo + hi) / 2;
        if (iir_variance(q) < want)
            lo = q;
        else
            hi = q;
    }
    return (lo + hi) / 2;
}

/* One step of the filter in double, for iir_edge_matrix(): the same as
 * iir_step() below. */
static double iir_step_exact(const struct expert_iir *f, double s[EXPERT_STATE], double x)
{
    double y = f->gain * x + f->a2 * s[1] + f->a1 * s[0];
    s[1] = s[0];
    s[0] = y;
    s[2] = y + f->b * s[2];
    return s[2];
}

/* Where the backward pass must start, given where the forward one ended.
 *
 * After the line, its last sample u repeats forever, and both passes
 * settle towards it (their states towards u times settle[]). How far the
 * backward pass's state is from there at the end of the line depends only,
 * and linearly, on how far the forward pass's state was: a 3x3 matrix.
 * Triggs and Sdika (2006) derive it in closed form for a filter of one
 * section; here column j is found by running the filter over what follows
 * the line: forwards from a state 1 away in place j and 0 in the others,
 * the input at u (0 away), for n steps, until what is left is below 1e-9;
 * then backwards over that, from 0 away at the far end. Microseconds, once
 * per blur. */
static int iir_edge_matrix(struct expert_iir *f, double decay)
{
    const int n = (int)ceil(log(1e-9) / log(decay));
    double *w = malloc(sizeof(double) * (size_t)n);
    if (w == NULL)
        return -1;
    for (int j = 0; j < EXPERT_STATE; j++) {
        double s[EXPERT_STATE] = {0};
        s[j] = 1;
        for (int m = 0; m < n; m++)
            w[m] = iir_step_exact(f, s, 0);
        memset(s, 0, sizeof s);
        for (int m = n - 1; m >= 0; m--)
            iir_step_exact(f, s, w[m]);
        for (int i = 0; i < EXPERT_STATE; i++)
            f->edge[i][j] = (float)s[i];
    }
    free(w);
    return 0;
}

/* The weights for sigma. The pair of poles p and conj(p) (p = 1/d,
 * stretched) is 1 / ((1 - p z^-1)(1 - conj(p) z^-1)): multiplied out,
 * a1 = 2 Re(p) and a2 = -|p|^2; the real pole r gives b = r. The gains are
 * computed from the weights as rounded to float, which is what the blur
 * uses, so that a flat image stays flat.
 *
 * Why two sections rather than one recursion of order 3: at large sigma
 * the poles are close to 1, and each output is the difference of large,
 * nearly equal terms, whose rounding errors the recursion keeps feeding
 * back. In float, one recursion is up to 3 levels off blur_gauss() on the
 * workshop photos at sigma 50; the two sections stay within 1. */
static int iir_for_sigma(struct expert_iir *f, float sigma)
{
    const double q = iir_stretch(sigma);
    const double complex p = 1.0 / pole_scaled(expert_pair, q);
    const double r = creal(1.0 / pole_scaled(expert_real, q));
    f->a1 = (float)(2.0 * creal(p));
    f->a2 = (float)(-cabs(p) * cabs(p));
    f->b = (float)r;
    const double pair_gain = 1.0 - (double)f->a1 - (double)f->a2, real_gain = 1.0 - (double)f->b;
    f->gain = (float)(pair_gain * real_gain);
    /* Fed 1s, the pair settles at gain / pair_gain, the real pole at that
     * divided by real_gain: 1. */
    f->settle[0] = f->settle[1] = (float)real_gain;
    f->settle[2] = 1.0f;
    return iir_edge_matrix(f, fmax(cabs(p), r));
}

/* --- The recursion, 8 lines side by side ------------------------------------ */

/* The helpers below take and return v8f, which GCC warns changes the calling
 * convention between builds with and without AVX. They are inlined: there is
 * no call, so no convention to disagree on. */
#pragma GCC diagnostic ignored "-Wpsabi"

/* Before the line, its first sample x repeated forever: the filter has
 * settled. */
__attribute__((always_inline)) static inline void iir_start(const struct expert_iir *f,
                                                            v8f s[EXPERT_STATE], v8f x)
{
    for (int i = 0; i < EXPERT_STATE; i++)
        s[i] = f->settle[i] * x;
}

/* One step: the output for input x. In the first section the newest output
 * is added last: the rest does not have to wait for it. */
__attribute__((always_inline)) static inline v8f iir_step(const struct expert_iir *f,
                                                          v8f s[EXPERT_STATE], v8f x)
{
    v8f y = f->gain * x + f->a2 * s[1] + f->a1 * s[0];
    s[1] = s[0];
    s[0] = y;
    s[2] = y + f->b * s[2];
    return s[2];
}

/* From the end of the forward pass (s, and the last input u) to the start
 * of the backward one, through the edge matrix. */
__attribute__((always_inline)) static inline void iir_turn(const struct expert_iir *f,
                                                           v8f s[EXPERT_STATE], v8f u)
{
    v8f away[EXPERT_STATE];
    for (int j = 0; j < EXPERT_STATE; j++)
        away[j] = s[j] - f->settle[j] * u;
    for (int i = 0; i < EXPERT_STATE; i++) {
        s[i] = f->settle[i] * u;
        for (int j = 0; j < EXPERT_STATE; j++)
            s[i] += f->edge[i][j] * away[j];
    }
}

/* --- Bytes in and out ------------------------------------------------------- */

/* Written plainly (below), these become one conversion per byte with GCC 12,
 * which costs more than the blur itself; AVX2 has instructions that convert
 * 8 or 32 at once. The AVX2 versions are not always_inline: GCC refuses that
 * for AVX2 code in a function built without AVX2 (the plain bodies, which
 * never call them: `avx2` is a constant there, see run_iir()). It inlines
 * them all the same into the AVX2 functions. */
__attribute__((target("avx2"))) static inline v8f load8_avx2(const uint8_t *p)
{
    return (v8f)_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

/* Four vectors to 32 bytes, rounded to the nearest, and clamped to [0, 255]
 * by the packs (the filter's response dips a little below zero far out, so
 * results may overshoot slightly). The packs work within 128-bit halves, so
 * the bytes come out as a0-3 b0-3 c0-3 d0-3 a4-7 b4-7 c4-7 d4-7: a last
 * permutation puts them in order. */
__attribute__((target("avx2"))) static inline __m256i pack4_avx2(v8f a, v8f b, v8f c, v8f d)
{
    __m256i ab = _mm256_packus_epi32(_mm256_cvtps_epi32((__m256)a), _mm256_cvtps_epi32((__m256)b));
    __m256i cd = _mm256_packus_epi32(_mm256_cvtps_epi32((__m256)c), _mm256_cvtps_epi32((__m256)d));
    return _mm256_permutevar8x32_epi32(_mm256_packus_epi16(ab, cd),
                                       _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* 8n bytes from n vectors, n from 2 to 4. */
__attribute__((target("avx2"))) static inline void store_avx2(uint8_t *p, const v8f v[], int n)
{
    __m256i b = pack4_avx2(v[0], v[1], v[n > 2 ? 2 : 0], v[n > 3 ? 3 : 0]);
    if (n == 4) {
        _mm256_storeu_si256((__m256i *)p, b);
        return;
    }
    _mm_storeu_si128((__m128i *)p, _mm256_castsi256_si128(b));
    if (n == 3)
        _mm_storel_epi64((__m128i *)(p + 16), _mm256_extracti128_si256(b, 1));
}

__attribute__((always_inline)) static inline v8f load8(const uint8_t *p, int avx2)
{
    if (avx2)
        return load8_avx2(p);
    v8f v;
    for (int i = 0; i < EXPERT_LANES; i++)
        v[i] = p[i];
    return v;
}

__attribute__((always_inline)) static inline void store(uint8_t *p, const v8f v[], int n, int avx2)
{
    if (avx2) {
        store_avx2(p, v, n);
        return;
    }
    for (int k = 0; k < n; k++)
        for (int i = 0; i < EXPERT_LANES; i++) {
            int b = (int)(v[k][i] + 0.5f);
            p[k * EXPERT_LANES + i] = (uint8_t)(b < 0 ? 0 : b > 255 ? 255 : b);
        }
}

/* n bytes copied into a zeroed buffer of `full`, so that the partial tiles
 * and strips at the end of a line can be loaded as whole ones. */
static inline const uint8_t *padded(uint8_t *buf, size_t full, const uint8_t *p, size_t n)
{
    memset(buf, 0, full);
    memcpy(buf, p, n);
    return buf;
}

/* --- The two phases, each split over threads -------------------------------- */

/* The horizontal result goes straight into dst, rounded to bytes, and the
 * vertical phase blurs dst in place. Rounding in between costs at most half a
 * level, and the vertical blur averages it out further. */
struct expert_job {
    const struct img *src;
    struct img *dst;
    struct expert_iir iir;
    const struct blur_kernel *exact; /* not NULL: small sigma, exact passes instead */
    float *tmp;                      /* exact path: the horizontal result, like blur_gauss */
    int phase;                       /* 0: along rows, 1: along columns */
    int begin, end; /* this thread's part: blocks of rows or strips, rows (exact path) */
    int rc;
    pthread_t tid; /* when started: the thread running this part */
    int started;
};

/* Turns an 8x8 tile on its side: m[r] holds row r, lanes 0..7 its columns;
 * afterwards m[c] holds column c. Three rounds of interleaving pairs of
 * registers, which AVX2 does in one instruction each (single floats, then
 * pairs, then halves): 24 shuffles for 64 samples. */
__attribute__((always_inline)) static inline void transpose8(v8f m[8])
{
    const v8i lo32 = {0, 8, 1, 9, 4, 12, 5, 13}, hi32 = {2, 10, 3, 11, 6, 14, 7, 15};
    const v8i lo64 = {0, 1, 8, 9, 4, 5, 12, 13}, hi64 = {2, 3, 10, 11, 6, 7, 14, 15};
    const v8i lo128 = {0, 1, 2, 3, 8, 9, 10, 11}, hi128 = {4, 5, 6, 7, 12, 13, 14, 15};
    v8f a[8], b[8];
    for (int r = 0; r < 8; r += 2) { /* a[r]: columns 0, 1, 4, 5 of rows r, r + 1 */
        a[r] = __builtin_shuffle(m[r], m[r + 1], lo32);
        a[r + 1] = __builtin_shuffle(m[r], m[r + 1], hi32);
    }
    for (int r = 0; r < 8; r += 4) { /* b[r + c]: columns c and c + 4 of rows r .. r + 3 */
        b[r] = __builtin_shuffle(a[r], a[r + 2], lo64);
        b[r + 1] = __builtin_shuffle(a[r], a[r + 2], hi64);
        b[r + 2] = __builtin_shuffle(a[r + 1], a[r + 3], lo64);
        b[r + 3] = __builtin_shuffle(a[r + 1], a[r + 3], hi64);
    }
    for (int c = 0; c < 4; c++) {
        m[c] = __builtin_shuffle(b[c], b[c + 4], lo128);
        m[c + 4] = __builtin_shuffle(b[c], b[c + 4], hi128);
    }
}

/* Pixels x0 .. x0 + 7 of 8 rows (8 ch samples of each), turned so that t[i]
 * holds sample i of the tile, one row per lane. `np` pixels are left in the
 * rows: if fewer than 8, the rest of the tile is zeros, never used. */
__attribute__((always_inline)) static inline void tile_load(const uint8_t *const row[8], int x0,
                                                            int np, int ch, int avx2, v8f t[])
{
    uint8_t pad[8][4 * 8];
    for (int g = 0; g < ch; g++) {
        v8f m[8];
        for (int r = 0; r < 8; r++) {
            const uint8_t *p = row[r] + (size_t)x0 * ch;
            if (np < 8 && g == 0)
                padded(pad[r], sizeof pad[r], p, (size_t)np * ch);
            m[r] = load8((np < 8 ? pad[r] : p) + g * 8, avx2);
        }
        transpose8(m);
        for (int i = 0; i < 8; i++)
            t[g * 8 + i] = m[i];
    }
}

/* The reverse of tile_load(): t[i] is sample i of the tile for 8 rows, of
 * which `np` pixels are written. */
__attribute__((always_inline)) static inline void tile_store(uint8_t *const row[8], int x0, int np,
                                                             int ch, int avx2, const v8f t[])
{
    v8f m[4][8]; /* m[g][r]: samples 8g .. 8g + 7 of the tile in row r */
    for (int g = 0; g < ch; g++) {
        for (int i = 0; i < 8; i++)
            m[g][i] = t[g * 8 + i];
        transpose8(m[g]);
    }
    for (int r = 0; r < 8; r++) {
        v8f pixels[4];
        uint8_t pad[4 * 8];
        for (int g = 0; g < ch; g++)
            pixels[g] = m[g][r];
        store(np == 8 ? row[r] + (size_t)x0 * ch : pad, pixels, ch, avx2);
        if (np < 8)
            memcpy(row[r] + (size_t)x0 * ch, pad, (size_t)np * ch);
    }
}

/* The recursion over a tile of `np` pixels, its `ch` channels each a line
 * of its own: from t into `out` going forwards, from `in` into t going
 * backwards. */
__attribute__((always_inline)) static inline void tile_forward(const struct expert_iir *f,
                                                               v8f s[][EXPERT_STATE], const v8f t[],
                                                               v8f *out, int np, int ch)
{
    for (int p = 0; p < np; p++)
        for (int c = 0; c < ch; c++)
            out[p * ch + c] = iir_step(f, s[c], t[p * ch + c]);
}

__attribute__((always_inline)) static inline void tile_backward(const struct expert_iir *f,
                                                                v8f s[][EXPERT_STATE],
                                                                const v8f *in, v8f t[], int np,
                                                                int ch)
{
    for (int p = np - 1; p >= 0; p--)
        for (int c = 0; c < ch; c++)
            t[p * ch + c] = iir_step(f, s[c], in[p * ch + c]);
}

/* Horizontal: blocks of 8 rows, one per lane, going along them 8 pixels at
 * a time. The 3 or 4 channels of a pixel are independent steps, which the
 * processor overlaps. The forward result of the block goes into `line`
 * (line[i] is sample i of the 8 rows); the backward pass reads it from the
 * end, and writes bytes into dst. (The last block may have fewer rows: its
 * spare lanes repeat the last row, and so compute exactly its result, which
 * they write there again.) `ch` is the image's channels, passed apart so
 * that it can be a constant: see horizontal_for_channels(). */
__attribute__((always_inline)) static inline void horizontal_body(struct expert_job *j, v8f *line,
                                                                  int ch, int avx2)
{
    const struct expert_iir f = j->iir; /* a copy that no store can change: kept in registers */
    const int w = j->src->width, h = j->src->height;
    for (int blk = j->begin; blk < j->end; blk++) {
        const int y0 = blk * 8, ny = h - y0 < 8 ? h - y0 : 8;
        const uint8_t *in[8];
        uint8_t *out[8];
        for (int r = 0; r < 8; r++) {
            in[r] = img_row(j->src, y0 + (r < ny ? r : ny - 1));
            out[r] = img_row(j->dst, y0 + (r < ny ? r : ny - 1));
        }
        v8f s[4][EXPERT_STATE], t[4 * 8];
        for (int c = 0; c < ch; c++) {
            v8f first; /* channel c of the first pixel of each row */
            for (int r = 0; r < 8; r++)
                first[r] = in[r][c];
            iir_start(&f, s[c], first);
        }
        for (int x0 = 0; x0 < w; x0 += 8) {
            const int np = w - x0 < 8 ? w - x0 : 8;
            tile_load(in, x0, np, ch, avx2, t);
            if (np == 8) /* all but the last: a constant, the loops unroll */
                tile_forward(&f, s, t, line + (size_t)x0 * ch, 8, ch);
            else
                tile_forward(&f, s, t, line + (size_t)x0 * ch, np, ch);
        }
        const int np_last = w - (w - 1) / 8 * 8; /* t still holds the last tile */
        for (int c = 0; c < ch; c++)
            iir_turn(&f, s[c], t[(np_last - 1) * ch + c]);
        for (int x0 = (w - 1) / 8 * 8; x0 >= 0; x0 -= 8) {
            const int np = w - x0 < 8 ? w - x0 : 8;
            if (np == 8)
                tile_backward(&f, s, line + (size_t)x0 * ch, t, 8, ch);
            else
                tile_backward(&f, s, line + (size_t)x0 * ch, t, np, ch);
            tile_store(out, x0, np, ch, avx2, t);
        }
    }
}

/* Vertical, in place in dst: strips of EXPERT_STRIP bytes of every row, going
 * down; each step loads 16 neighbouring bytes, nothing to gather. The
 * forward result of the strip goes into `line`, EXPERT_STRIP floats per row;
 * the backward pass, going up, writes the final bytes over the ones the
 * forward pass has read. (The last strip may be narrower: its spare lanes
 * blur zeros, and are never written.) */
__attribute__((always_inline)) static inline void strip_load(const struct img *im, int y, size_t x0,
                                                             size_t cols, v8f x[], int avx2)
{
    uint8_t pad[EXPERT_STRIP];
    const uint8_t *p = img_row(im, y) + x0;
    if (cols < EXPERT_STRIP)
        p = padded(pad, sizeof pad, p, cols);
    for (int k = 0; k < EXPERT_VECS; k++)
        x[k] = load8(p + k * EXPERT_LANES, avx2);
}

__attribute__((always_inline)) static inline void
strip_store(const struct img *im, int y, size_t x0, size_t cols, const v8f x[], int avx2)
{
    uint8_t pad[EXPERT_STRIP];
    uint8_t *p = img_row(im, y) + x0;
    store(cols < EXPERT_STRIP ? pad : p, x, EXPERT_VECS, avx2);
    if (cols < EXPERT_STRIP)
        memcpy(p, pad, cols);
}

/* One strip, `cols` bytes wide: EXPERT_STRIP, but at the end of the rows.
 * (Unrolled to two rows per turn, its loops measured 5% faster.) */
__attribute__((always_inline)) static inline void vertical_strip(const struct img *im,
                                                                 const struct expert_iir *f,
                                                                 v8f *line, size_t x0, size_t cols,
                                                                 int avx2)
{
    const int h = im->height;
    v8f s[EXPERT_VECS][EXPERT_STATE], x[EXPERT_VECS];
    strip_load(im, 0, x0, cols, x, avx2);
    for (int k = 0; k < EXPERT_VECS; k++)
        iir_start(f, s[k], x[k]);
#pragma GCC unroll 2
    for (int y = 0; y < h; y++) {
        __builtin_prefetch(img_row(im, y + EXPERT_AHEAD < h ? y + EXPERT_AHEAD : h - 1) + x0);
        strip_load(im, y, x0, cols, x, avx2);
        for (int k = 0; k < EXPERT_VECS; k++)
            line[(size_t)y * EXPERT_VECS + k] = iir_step(f, s[k], x[k]);
    }
    for (int k = 0; k < EXPERT_VECS; k++) /* x: the last row's samples */
        iir_turn(f, s[k], x[k]);
#pragma GCC unroll 2
    for (int y = h - 1; y >= 0; y--) {
        for (int k = 0; k < EXPERT_VECS; k++)
            x[k] = iir_step(f, s[k], line[(size_t)y * EXPERT_VECS + k]);
        strip_store(im, y, x0, cols, x, avx2);
    }
}

__attribute__((always_inline)) static inline void vertical_body(struct expert_job *j, v8f *line,
                                                                int avx2)
{
    const struct expert_iir f = j->iir; /* a copy that no store can change: kept in registers */
    const size_t n = (size_t)j->src->width * j->src->channels;
    for (int blk = j->begin; blk < j->end; blk++) {
        const size_t x0 = (size_t)blk * EXPERT_STRIP;
        if (n - x0 >= EXPERT_STRIP) /* a constant width: no test for it in the loops */
            vertical_strip(j->dst, &f, line, x0, EXPERT_STRIP, avx2);
        else
            vertical_strip(j->dst, &f, line, x0, n - x0, avx2);
    }
}

/* Images are RGB or RGBA (img.h): each gets its own copy of
 * horizontal_body(), in which the channel count is a constant, so that the
 * loops over channels and tiles unroll into straight code. */
__attribute__((always_inline)) static inline void horizontal_for_channels(struct expert_job *j,
                                                                          v8f *line, int avx2)
{
    if (j->src->channels == 3)
        horizontal_body(j, line, 3, avx2);
    else
        horizontal_body(j, line, 4, avx2);
}

/* The same functions compiled twice: for any x86-64 (SSE2: 4 lanes at a
 * time, so each v8f takes two instructions), and for processors with AVX2 (8
 * lanes), chosen when run. */
__attribute__((target("avx2"))) static void horizontal_avx2(struct expert_job *j, v8f *line)
{
    horizontal_for_channels(j, line, 1);
}

__attribute__((target("avx2"))) static void vertical_avx2(struct expert_job *j, v8f *line)
{
    vertical_body(j, line, 1);
}

/* This thread's part of a phase. The buffer for the forward result of a
 * block (8 rows) or strip (every row) is allocated once per thread and
 * phase, and reused for every block: a few hundred KB. */
static int run_iir(struct expert_job *j)
{
    const size_t n = (size_t)j->src->width * j->src->channels;
    const size_t vecs = j->phase == 0 ? n : (size_t)j->src->height * EXPERT_VECS;
    v8f *line = aligned_alloc(sizeof(v8f), vecs * sizeof(v8f));
    if (line == NULL)
        return -1;
    /* Over a long dark stretch, the filter's memory of the last bright pixel
     * decays towards 0 without ever reaching it, below 1e-38: "subnormal"
     * floats, on which many processors take a hundred times longer. They
     * cannot change a byte: flush them to zero (in this thread, for now). */
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(csr | _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON);
    const int avx2 = __builtin_cpu_supports("avx2");
    if (j->phase == 0 && avx2)
        horizontal_avx2(j, line);
    else if (j->phase == 0)
        horizontal_for_channels(j, line, 0);
    else if (avx2)
        vertical_avx2(j, line);
    else
        vertical_body(j, line, 0);
    _mm_setcsr(csr);
    free(line);
    return 0;
}

static void *expert_worker(void *arg)
{
    struct expert_job *j = arg;
    if (j->exact != NULL && j->phase == 0)
        j->rc = blur_rows_h(j->src, j->tmp, j->exact, j->begin, j->end, NULL);
    else if (j->exact != NULL)
        j->rc = blur_rows_v(j->tmp, j->dst, j->exact, j->begin, j->end, NULL);
    else
        j->rc = run_iir(j);
    return NULL;
}

/* Runs one phase over `total` rows, blocks or strips, split evenly over up
 * to `threads` threads: part 0 runs in this thread, the others in new ones.
 * Returns -1 if a part failed or there was no memory to start them. */
static int run_phase(const struct expert_job *proto, int phase, int total, int threads)
{
    if (threads > total)
        threads = total;
    struct expert_job *jobs = calloc((size_t)threads, sizeof *jobs);
    if (jobs == NULL)
        return -1;
    for (int t = 0; t < threads; t++) {
        jobs[t] = *proto;
        jobs[t].phase = phase;
        jobs[t].begin = (int)((long)t * total / threads);
        jobs[t].end = (int)((long)(t + 1) * total / threads);
    }
    /* If a thread cannot be started, this thread does its part as well:
     * slower, but still the right picture. */
    for (int t = 1; t < threads; t++) {
        jobs[t].started = pthread_create(&jobs[t].tid, NULL, expert_worker, &jobs[t]) == 0;
        if (!jobs[t].started)
            expert_worker(&jobs[t]);
    }
    expert_worker(&jobs[0]);
    int rc = 0;
    for (int t = 0; t < threads; t++) {
        if (jobs[t].started)
            pthread_join(jobs[t].tid, NULL);
        rc |= jobs[t].rc;
    }
    free(jobs);
    return rc;
}

int blur_expert(const struct img *src, struct img *dst, float sigma, int threads, struct err *err)
{
    if (blur_check_sigma(sigma, err) != 0)
        return -1;
    if (dst->width != src->width || dst->height != src->height || dst->channels != src->channels)
        return err_set(err, "expert blur: destination is %dx%dx%d but source is %dx%dx%d",
                       dst->width, dst->height, dst->channels, src->width, src->height,
                       src->channels);
    struct expert_job job = {.src = src, .dst = dst};
    struct blur_kernel kernel = {0};
    int parts[2]; /* how many pieces each phase is split into */
    int rc;
    if (sigma < EXPERT_SIGMA_EXACT) {
        /* A kernel of at most 2 * 6 + 1 taps: cheap enough, and exact. */
        if (blur_kernel_init(&kernel, sigma, err) != 0)
            return -1;
        job.exact = &kernel;
        job.tmp = blur_tmp_alloc(src, err);
        rc = job.tmp == NULL ? -1 : 0;
        parts[0] = parts[1] = src->height;
    } else {
        rc = iir_for_sigma(&job.iir, sigma);
        size_t n = (size_t)src->width * src->channels;
        parts[0] = (src->height + EXPERT_LANES - 1) / EXPERT_LANES;
        parts[1] = (int)((n + EXPERT_STRIP - 1) / EXPERT_STRIP);
    }
    if (threads < 1)
        threads = 1;
    /* Every horizontal result must be written before any vertical pass reads
     * it: run_phase() returns only when all its threads are done. */
    if (rc == 0)
        rc = run_phase(&job, 0, parts[0], threads);
    if (rc == 0)
        rc = run_phase(&job, 1, parts[1], threads);
    blur_kernel_free(&kernel);
    free(job.tmp);
    if (rc != 0)
        return err_set(err, "expert blur: out of memory for a %dx%d image", src->width,
                       src->height);
    return 0;
}

/* --- The batch style: a pool over images ------------------------------------
 *
 * A camera photo spends about as long in its codecs (libjpeg-turbo, libpng)
 * as in this blur, and a codec runs on one thread. Blurring image after
 * image with the blur split over the threads leaves the other cores idle
 * while an image is decoded and encoded: by Amdahl's law the style could
 * never be much faster than the linear one, however fast the blur. So, as
 * in exercise 05, a pool of workers takes whole images from a shared index
 * and runs all three steps of each, its blur on one thread: the codecs run
 * in parallel too, and no thread waits for another between phases.
 *
 * With fewer images than threads, a worker per image would leave threads
 * idle: then each of the count workers splits its blur over threads / count
 * of them (one image on 2 threads: one worker, a blur on 2). */

struct expert_pool {
    const struct blur_batch *b;
    int blur_threads;     /* threads each worker's blur_expert() may use */
    pthread_mutex_t lock; /* guards next */
    size_t next;          /* the first item no worker has taken */
};

/* Item i, start to end, in this worker: decode, blur (a "blur" span), encode.
 * A failed step is recorded in results[i] by whoever failed. */
static void expert_item(const struct expert_pool *p, size_t i)
{
    const struct blur_batch *b = p->b;
    struct img in, out;
    struct err err;
    if (batch_decode(b, i, &in) != 0)
        return;
    struct runlog_span s;
    runlog_begin(&s, b->style, path_base_name(b->inputs[i]), (long)i, "blur");
    if (img_alloc_like(&out, &in, &err) != 0 ||
        blur_expert(&in, &out, b->sigma, p->blur_threads, &err) != 0) {
        err_prefix(&err, "%s: ", b->inputs[i]);
        runlog_fail(b->log, &s, err.msg);
        batch_fail(b, i, err.msg);
        img_free(&in);
        img_free(&out);
        return;
    }
    runlog_end(b->log, &s);
    img_free(&in); /* before the encode: one image less in memory meanwhile */
    batch_encode(b, i, &out);
    img_free(&out);
}

static void *expert_pool_worker(void *arg)
{
    struct expert_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next;
        if (i < p->b->count)
            p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->b->count)
            return NULL; /* nothing left to take */
        expert_item(p, i);
    }
}

int blur_expert_run(const struct blur_batch *b)
{
    const int threads = b->threads < 1 ? 1 : b->threads;
    int workers = threads;
    if ((size_t)workers > b->count)
        workers = b->count > 0 ? (int)b->count : 1;
    struct expert_pool p = {.b = b, .blur_threads = threads / workers, .next = 0};
    pthread_t *tids = calloc((size_t)workers, sizeof *tids);
    if (tids == NULL) { /* no pool: image after image, each blur on every thread */
        workers = 1;
        p.blur_threads = threads;
    }
    pthread_mutex_init(&p.lock, NULL);
    /* Worker 0 is this thread; if a thread cannot be started, the ones that
     * run take its share of the images: slower, but every image is done. */
    int started = 1;
    while (started < workers && pthread_create(&tids[started], NULL, expert_pool_worker, &p) == 0)
        started++;
    expert_pool_worker(&p);
    for (int t = 1; t < started; t++)
        pthread_join(tids[t], NULL);
    pthread_mutex_destroy(&p.lock);
    free(tids);
    return 0;
}
