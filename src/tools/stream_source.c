/* stream_source.c - what every stream source shares; see stream_source.h.
 * The sources themselves are in stream_src_*.c, one kind a file. */
#include "stream_source.h"

void stream_source_free(struct stream_source *src)
{
    if (src != NULL)
        src->ops->free(src);
}
