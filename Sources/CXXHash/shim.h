// Debian's libxxhash (libxxhash-dev): XXH3-64, and its run-time dispatch to the widest vector
// unit the CPU has (AVX2 here), which the plain XXH3_64bits does not do.
#include <xxhash.h>
#include <xxh_x86dispatch.h>
