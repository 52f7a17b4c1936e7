// What Swift cannot import from <png.h>: its format macros, as constants.
// Only libpng's simplified API is used, so errors arrive in png_image and no
// setjmp/longjmp ever crosses a Swift frame.
#ifndef CLIBPNG_SHIM_H
#define CLIBPNG_SHIM_H

#include <png.h>
#include <stdio.h>

static const png_uint_32 CLibPNG_IMAGE_VERSION = PNG_IMAGE_VERSION;
static const png_uint_32 CLibPNG_FORMAT_GRAY = PNG_FORMAT_GRAY;
static const png_uint_32 CLibPNG_FORMAT_RGB = PNG_FORMAT_RGB;

/// PNG_IMAGE_PNG_SIZE_MAX: an upper bound on the encoded size, so one encode into memory suffices.
static inline png_alloc_size_t CLibPNG_image_png_size_max(const png_image *image) {
  return PNG_IMAGE_PNG_SIZE_MAX(*image);
}

#endif
