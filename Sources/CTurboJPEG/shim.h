// libturbojpeg's TurboJPEG API (Debian: libturbojpeg0-dev). It reports errors through return
// codes and tjGetErrorStr2, so no setjmp/longjmp ever crosses a Swift frame.
#ifndef CTURBOJPEG_SHIM_H
#define CTURBOJPEG_SHIM_H

#include <turbojpeg.h>

static const int CTurboJPEG_FLAG_FASTDCT = TJFLAG_FASTDCT;
static const int CTurboJPEG_FLAG_NOREALLOC = TJFLAG_NOREALLOC;

#endif
