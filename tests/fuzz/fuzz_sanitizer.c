/* fuzz_sanitizer.c - libFuzzer target: the grader's sanitizer report readers.
 *
 * grade_tsan_parse and grade_asan_parse read the output of a program built
 * from the participant's file: its own printf()s are mixed with the report,
 * so the text is untrusted. Both must stay within the buffer they are given
 * (a small one here, so truncation paths run) and leave a NUL-terminated
 * sentence.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *report = malloc(size + 1);
    if (report == NULL)
        return 0;
    memcpy(report, data, size);
    report[size] = '\0';

    /* Exactly-sized heap buffers: ASan catches a write one byte past them. */
    size_t caps[] = {1, 40, GRADE_TEXT_MAX};
    for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
        char *buf = malloc(caps[k]);
        if (buf == NULL)
            break;
        buf[0] = '\0';
        int n = grade_tsan_parse(report, "pool.c", buf, caps[k]);
        if (n < 0 || memchr(buf, '\0', caps[k]) == NULL)
            abort();
        buf[0] = '\0';
        int found = grade_asan_parse(report, "pool.c", buf, caps[k]);
        if ((found != 0 && found != 1) || memchr(buf, '\0', caps[k]) == NULL)
            abort();
        free(buf);
    }
    free(report);
    return 0;
}
