/* test_photos.c - the baseline copies of the workshop photos (photos.h):
 * made once, made again when the original changes, and never in the way:
 * a cache that cannot be written means the originals, with a reason. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <turbojpeg.h>

#include "img.h"
#include "photos.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/retreat-test-photos-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(photos, .init = make_dir, .fini = remove_dir);

/* Writes a small progressive JPEG to path, as the wallpaper packages ship. */
static void write_progressive(const char *path, int seed)
{
    struct img im;
    struct err err;
    cr_assert_eq(img_alloc(&im, 96, 64, 3, &err), 0, "%s", err.msg);
    for (int y = 0; y < im.height; y++)
        for (int x = 0; x < im.width * 3; x++)
            img_row(&im, y)[x] = (uint8_t)(x * seed + y * 5);
    unsigned char *jpg, *prog = NULL;
    size_t size;
    unsigned long prog_size = 0;
    cr_assert_eq(img_encode_jpeg(&im, 90, &jpg, &size, &err), 0, "%s", err.msg);
    img_free(&im);
    tjhandle tj = tjInitTransform();
    tjtransform xf = {.op = TJXOP_NONE, .options = TJXOPT_PROGRESSIVE};
    cr_assert_eq(tjTransform(tj, jpg, size, 1, &prog, &prog_size, &xf, 0), 0);
    tjDestroy(tj);
    free(jpg);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(prog, 1, prog_size, f), prog_size);
    fclose(f);
    tjFree(prog);
}

static void expect_same_pixels(const char *a_path, const char *b_path)
{
    struct img a, b;
    struct img_diff d;
    struct err err;
    cr_assert_eq(img_load(a_path, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(img_load(b_path, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(img_compare(&a, &b, &d, &err), 0, "%s", err.msg);
    cr_expect_eq(d.max_abs, 0, "%s and %s differ", a_path, b_path);
    img_free(&a);
    img_free(&b);
}

Test(photos, copies_are_made_once_and_again_when_the_original_changes)
{
    char a[128], b[128], cache[128];
    snprintf(a, sizeof a, "%s/one.jpg", dir);
    snprintf(b, sizeof b, "%s/two.jpg", dir);
    snprintf(cache, sizeof cache, "%s/cache/retreat/photos", dir); /* made on the way */
    write_progressive(a, 3);
    write_progressive(b, 7);
    const char *sources[] = {a, b};

    char **paths;
    struct photos_ready ready;
    struct err err;
    cr_assert_eq(photos_prepare(sources, 2, cache, &paths, &ready, &err), 0, "%s", err.msg);
    cr_expect_eq(ready.made, 2);
    cr_expect_not(ready.originals, "%s", ready.why.msg);
    char want[160];
    snprintf(want, sizeof want, "%s/two.jpg", cache);
    cr_expect_str_eq(paths[1], want);
    expect_same_pixels(a, paths[0]);
    expect_same_pixels(b, paths[1]);
    photos_free(paths, 2);

    /* Fresh copies are kept. */
    cr_assert_eq(photos_prepare(sources, 2, cache, &paths, &ready, &err), 0, "%s", err.msg);
    cr_expect_eq(ready.made, 0);
    photos_free(paths, 2);

    /* A changed original (a new time stamp) is copied again, and only it. */
    write_progressive(b, 11);
    struct timespec later[2] = {{.tv_sec = 2000000000}, {.tv_sec = 2000000000}};
    cr_assert_eq(utimensat(AT_FDCWD, b, later, 0), 0);
    cr_assert_eq(photos_prepare(sources, 2, cache, &paths, &ready, &err), 0, "%s", err.msg);
    cr_expect_eq(ready.made, 1);
    expect_same_pixels(b, paths[1]);
    photos_free(paths, 2);
}

/* A cache folder that cannot be made gives the originals and says why. */
Test(photos, an_unusable_cache_gives_the_originals_with_the_reason)
{
    char a[128], file[128], cache[160];
    snprintf(a, sizeof a, "%s/one.jpg", dir);
    snprintf(file, sizeof file, "%s/plain-file", dir);
    snprintf(cache, sizeof cache, "%s/cache", file); /* a folder inside a file */
    write_progressive(a, 3);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    const char *sources[] = {a};

    char **paths;
    struct photos_ready ready;
    struct err err;
    cr_assert_eq(photos_prepare(sources, 1, cache, &paths, &ready, &err), 0, "%s", err.msg);
    cr_expect(ready.originals);
    cr_expect_str_eq(paths[0], a);
    cr_expect(strstr(ready.why.msg, "using the original photos") &&
                  strstr(ready.why.msg, "plain-file"),
              "got: %s", ready.why.msg);
    photos_free(paths, 1);
}

/* A damaged original is not copied; the originals go on, so that loading
 * it gives the usual per-file error in the run itself. */
Test(photos, a_damaged_original_is_named_and_the_originals_are_used)
{
    char a[128], bad[128], cache[128];
    snprintf(a, sizeof a, "%s/one.jpg", dir);
    snprintf(bad, sizeof bad, "%s/broken.jpg", dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    write_progressive(a, 3);
    FILE *f = fopen(bad, "w");
    cr_assert_not_null(f);
    fputs("no photo here", f);
    fclose(f);
    const char *sources[] = {a, bad};

    char **paths;
    struct photos_ready ready;
    struct err err;
    cr_assert_eq(photos_prepare(sources, 2, cache, &paths, &ready, &err), 0, "%s", err.msg);
    cr_expect(ready.originals);
    cr_expect_str_eq(paths[1], bad);
    cr_expect(strstr(ready.why.msg, "broken.jpg: not a JPEG"), "got: %s", ready.why.msg);
    photos_free(paths, 2);
}

/* With no place for a cache at all, the workshop set is still found. */
Test(photos, no_home_means_the_originals_or_the_packages_to_install)
{
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    char **paths;
    size_t n;
    struct photos_ready ready;
    struct err err;
    char first[256];
    snprintf(first, sizeof first, "%s/%s", PHOTOS_DIR, photos_workshop_names[0]);
    if (access(first, R_OK) != 0) {
        cr_expect_eq(photos_workshop(&paths, &n, &ready, &err), -1);
        cr_expect(strstr(err.msg, PHOTOS_PACKAGES), "got: %s", err.msg);
        return;
    }
    cr_assert_eq(photos_workshop(&paths, &n, &ready, &err), 0, "%s", err.msg);
    cr_expect(ready.originals);
    cr_expect(strstr(ready.why.msg, "HOME"), "got: %s", ready.why.msg);
    cr_expect_str_eq(paths[0], first);
    photos_free(paths, n);
}
