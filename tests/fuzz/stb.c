/* stb.c - stb_image compiled into the image fuzz target.
 *
 * The rest of retreat links Debian's prebuilt libstb. The fuzzer instead
 * compiles the decoder from its header with coverage and AddressSanitizer, so
 * that it can steer inputs deep into the BMP/TGA/GIF code paths and catch
 * out-of-bounds reads there, not only in img.c. (JPEG and PNG go to
 * libjpeg-turbo and libpng, never to stb; stb_image_write is no longer used.)
 *
 * One difference, for speed only: this copy refuses images wider or higher
 * than 2048 pixels. img.c allows up to 100 megapixels, and a 43-byte RLE TGA
 * can declare 8224x8224; decoding that is allowed, takes a second natively and
 * over ten under ASan, and would make the fuzzer time out on an input that is
 * not a bug. Images over img.c's limits still reach img.c's own checks when
 * stb's header reader (stbi_info) does not apply this one (TGA, BMP, GIF).
 */
#define STBI_MAX_DIMENSIONS 2048
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
