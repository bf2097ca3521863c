/* Not a parser: a target that fails on the input "boom", so ctest can
 * check that run-fuzzer.sh turns a finding into a failed test (libFuzzer's
 * default exit code for one, 77, is what ctest reads as "skipped"). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size == 4 && memcmp(data, "boom", 4) == 0)
                fuzz_fail("boom (expected: the runner must report this as a failure)");
        return 0;
}
