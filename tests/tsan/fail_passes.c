/* fail_passes.c - makes chosen passes of the reference blur fail, so that the
 * tsan driver can run the error paths of the styles that split an image
 * (06 rows, 08 fast below sigma 4, the expert style below sigma 2) under
 * ThreadSanitizer.
 *
 * The driver is linked with -Wl,--wrap=blur_rows_h,--wrap=blur_rows_v (see
 * the Makefile): every call to those functions, from the solutions too,
 * comes here first. A pass fails when its image has one of the two heights
 * below and its band does not start at row 0, so that in the same image some
 * bands fail and others succeed: the case where one thread writes that its
 * pass failed while the others decide, from those flags, what to do next. A
 * race there was found this way (exercise 06, fixed). Other images pass
 * through untouched: no state, nothing to reset between runs.
 */
#include "fail_passes.h"

int __real_blur_rows_h(const struct img *src, float *tmp, const struct blur_kernel *k, int y0,
                       int y1, struct err *err);
int __real_blur_rows_v(const float *tmp, struct img *dst, const struct blur_kernel *k, int y0,
                       int y1, struct err *err);
int __wrap_blur_rows_h(const struct img *src, float *tmp, const struct blur_kernel *k, int y0,
                       int y1, struct err *err);
int __wrap_blur_rows_v(const float *tmp, struct img *dst, const struct blur_kernel *k, int y0,
                       int y1, struct err *err);

int __wrap_blur_rows_h(const struct img *src, float *tmp, const struct blur_kernel *k, int y0,
                       int y1, struct err *err)
{
    if (src->height == FAIL_H_HEIGHT && y0 > 0)
        return err_set(err, "blur: horizontal pass of rows %d-%d failed (injected)", y0, y1);
    return __real_blur_rows_h(src, tmp, k, y0, y1, err);
}

int __wrap_blur_rows_v(const float *tmp, struct img *dst, const struct blur_kernel *k, int y0,
                       int y1, struct err *err)
{
    if (dst->height == FAIL_V_HEIGHT && y0 > 0)
        return err_set(err, "blur: vertical pass of rows %d-%d failed (injected)", y0, y1);
    return __real_blur_rows_v(tmp, dst, k, y0, y1, err);
}
