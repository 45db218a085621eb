/* fuzz_exif.c: libFuzzer target: any bytes through EXIF location (JPEG, TIFF, PNG, WebP, HEIF)
 * and libexif's reading of the fields. Build and run (see fuzz/README.md):
 *   fuzz/build.sh && ./build-fuzz/fuzz_exif -max_total_time=120 /tmp/exif-corpus */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ariadne/exif.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ad_exif x;
    ad_err err;
    ad_exif_read(data, size, &x, &err);
    /* every text field stays terminated inside its buffer */
    if (memchr(x.make, 0, sizeof x.make) == NULL || memchr(x.serial, 0, sizeof x.serial) == NULL)
        __builtin_trap();
    return 0;
}
