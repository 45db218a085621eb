/* fuzz_hash.c: libFuzzer target: any bytes through type probing, every image decoder and PDQ.
 * Build and run (see fuzz/README.md):
 *   fuzz/build.sh && ./build-fuzz/fuzz_hash -max_total_time=60 fuzz/corpus */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ariadne/hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ad_hasher *h;
    if (!h) {
        ad_hash_opts o;
        ad_hash_opts_default(&o);
        o.dihedral = 1;
        o.limits.max_pixels = 4000000; /* keep each run small */
        o.limits.max_memory = 256u << 20;
        if (ad_hasher_new(&h, &o, NULL) != AD_OK)
            abort();
    }
    ad_file_hash fh;
    ad_err err;
    ad_hasher_buffer(h, data, size, &fh, &err);
    return 0;
}
