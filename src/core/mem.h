/* mem.h - memory for big pixel buffers: the huge-page hint.
 *
 * A decoded camera photo is tens of MB of pixels, written once from start
 * to end right after it is allocated. With 4 KB pages every 4 KB is a page
 * fault: `perf record` showed the kernel's fault handling at about a quarter
 * of the JPEG decode's CPU time. mem_huge_hint() asks the kernel to back the
 * block with 2 MB pages where it has them (transparent huge pages in madvise
 * mode, Debian's default): a 512th of the faults.
 *
 * Measure before using it elsewhere: on calloc'ed images and on the blur's
 * float buffer it made the concurrent styles slower in `retreat bench`
 * (pool 1.68x linear with it, 1.83x without; the kernel zeroes and
 * compacts 2 MB pages, and two threads faulting them contend), so it is
 * only on the decoder's output.
 *
 *     float *tmp = malloc(size);
 *     if (tmp != NULL)
 *         mem_huge_hint(tmp, size);
 *
 * Only a hint: if the kernel refuses it, nothing changes but the speed.
 * Plain malloc stays the allocator (not aligned_alloc), so that the
 * allocation-failure tests (tests/alloc/) still see and fail it.
 */
#ifndef RETREAT_MEM_H
#define RETREAT_MEM_H

#include <stddef.h>

/* Hints that the 2 MB-aligned part of [p, p + size) be backed by huge pages. */
void mem_huge_hint(void *p, size_t size);

#endif
