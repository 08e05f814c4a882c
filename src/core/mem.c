/* mem.c - the huge-page hint for big pixel buffers; see mem.h. */
#include "mem.h"

#include <stdint.h>
#include <sys/mman.h>

void mem_huge_hint(void *p, size_t size)
{
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1),
              hi = ((uintptr_t)p + size) & ~(huge - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}
