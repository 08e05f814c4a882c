/* blurtime.c - times one blur of retreat on one image, for the benchmark
 * scripts (tests/bench/blur_vs_opencv.py).
 *
 *     build/bench/blurtime BLUR IMAGE SIGMA REPEATS [THREADS] [OUT.png]
 *
 * BLUR is "gauss" (the exact reference, blur_gauss = exercise 01), "fast"
 * (exercise 08's fast_blur, the box cascade) or "expert" (blur_expert, the
 * library's style beyond the ladder). The image is decoded once; then the blur runs
 * REPEATS times and the result of the last run is optionally written to
 * OUT.png, so a script can check its accuracy. Prints one JSON object:
 *
 *     {"blur": "fast", "width": 4000, "height": 3000, "channels": 3,
 *      "sigma": 5, "threads": 1, "seconds": [0.031, 0.030, 0.030],
 *      "cpu_seconds": [0.031, 0.030, 0.030]}
 *
 * Decoding and encoding are outside the timings: only the blur is measured.
 * "seconds" is wall time; "cpu_seconds" the CPU time of the whole process
 * (all its threads) during the same runs. On a busy machine the wall time of
 * a one-thread run includes the time other processes had the core; its CPU
 * time does not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blur.h"
#include "blur_expert.h"
#include "clock.h"
#include "img.h"
#include "ladder.h"

/* CPU time used so far by every thread of this process. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "usage: blurtime gauss|fast|expert IMAGE SIGMA REPEATS [THREADS] [OUT.png]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 7)
        return usage();
    const char *blur = argv[1], *path = argv[2];
    char *end;
    float sigma = strtof(argv[3], &end);
    if (*end != '\0')
        return usage();
    long repeats = strtol(argv[4], &end, 10);
    if (*end != '\0' || repeats < 1 || repeats > 1000)
        return usage();
    long threads = argc > 5 ? strtol(argv[5], &end, 10) : 1;
    if (argc > 5 && (*end != '\0' || threads < 1 || threads > 256))
        return usage();
    int fast = strcmp(blur, "fast") == 0, expert = strcmp(blur, "expert") == 0;
    if (!fast && !expert && strcmp(blur, "gauss") != 0)
        return usage();
    if (!fast && !expert && threads != 1) {
        fprintf(stderr, "blurtime: the gauss blur runs on one thread only\n");
        return 2;
    }

    struct err err = {0};
    struct img src = {0}, dst = {0};
    if (img_load(path, &src, &err) != 0 || img_alloc_like(&dst, &src, &err) != 0) {
        fprintf(stderr, "blurtime: %s\n", err.msg);
        img_free(&src);
        return 1;
    }
    printf("{\"blur\": \"%s\", \"width\": %d, \"height\": %d, \"channels\": %d, "
           "\"sigma\": %g, \"threads\": %ld, \"seconds\": [",
           blur, src.width, src.height, src.channels, (double)sigma, threads);
    double cpu[1000];
    int rc = 0;
    long done = 0;
    for (; done < repeats && rc == 0; done++) {
        uint64_t t0 = clock_now_ns();
        double c0 = cpu_seconds();
        rc = fast     ? fast_blur(&src, &dst, sigma, (int)threads, &err)
             : expert ? blur_expert(&src, &dst, sigma, (int)threads, &err)
                      : blur_gauss(&src, &dst, sigma, &err);
        cpu[done] = cpu_seconds() - c0;
        printf("%s%.6f", done ? ", " : "", clock_seconds(t0, clock_now_ns()));
    }
    printf("], \"cpu_seconds\": [");
    for (long i = 0; i < done; i++)
        printf("%s%.6f", i ? ", " : "", cpu[i]);
    printf("]}\n");
    if (rc == 0 && argc > 6)
        rc = img_save(argv[6], &dst, &err);
    if (rc != 0)
        fprintf(stderr, "blurtime: %s\n", err.msg);
    img_free(&src);
    img_free(&dst);
    return rc == 0 ? 0 : 1;
}
