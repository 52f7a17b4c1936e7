#ifndef GRIDSTITCH_FUZZ_DRIVER_H
#define GRIDSTITCH_FUZZ_DRIVER_H

/// Hands the process to libFuzzer's driver, fuzzing the target's `LLVMFuzzerTestOneInput`.
/// SwiftPM links every executable's `main` to `<Module>_main`, which `-parse-as-library` leaves
/// undefined; each target defines that symbol as a call to this.
int gridstitch_fuzz_main(int argc, char **argv);

#endif
