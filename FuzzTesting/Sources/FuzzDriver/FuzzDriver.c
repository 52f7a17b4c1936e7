#include "FuzzDriver.h"

#include <stddef.h>
#include <stdint.h>

// Both from libFuzzer: the target's entry (each fuzz target defines it in Swift) and the driver
// its own `main` would call.
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int gridstitch_fuzz_main(int argc, char **argv) {
  return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
