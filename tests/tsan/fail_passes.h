/* fail_passes.h - the images whose row passes fail in the tsan driver; see
 * fail_passes.c. */
#ifndef RETREAT_FAIL_PASSES_H
#define RETREAT_FAIL_PASSES_H

#include "blur.h"

#define FAIL_H_HEIGHT 33 /* images this tall: horizontal passes of bands > 0 fail */
#define FAIL_V_HEIGHT 34 /* images this tall: vertical passes of bands > 0 fail */

#endif
