/* fuzz_vpdq.c: libFuzzer target: any bytes as a vPDQ frame list (parse, write, match with itself
 * with flips) and as a video in memory (probing, decoding, sampling, PDQ) under small limits.
 * Build and run (see fuzz/README.md):
 *   fuzz/build.sh && ./build-fuzz/fuzz_vpdq -max_total_time=60 tests/vectors/vpdq/videos */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ariadne/vpdq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ad_vpdq_video v;
    if (ad_vpdq_parse((const char *)data, size, &v, NULL) == AD_OK) {
        ad_vpdq_match_result r;
        if (ad_vpdq_match(&v, &v, NULL, &r, NULL) == AD_OK)
            ad_vpdq_match_result_free(&r);
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            ad_vpdq_write(null, &v, NULL);
            fclose(null);
        }
    }
    ad_vpdq_video_free(&v);

    ad_vpdq_opts o;
    ad_vpdq_opts_default(&o);
    o.seconds_per_hash = 0.1;
    o.want_dihedral = 1;
    o.limits.max_pixels = 1 << 20; /* keep each run small */
    o.limits.time_limit = 10;
    if (ad_vpdq_hash_memory(data, size, &o, &v, NULL) == AD_OK && v.n > 0) {
        ad_vpdq_match_opts mo;
        ad_vpdq_match_opts_default(&mo);
        mo.dihedral = 1;
        ad_vpdq_match_result r;
        if (ad_vpdq_match(&v, &v, &mo, &r, NULL) == AD_OK)
            ad_vpdq_match_result_free(&r);
    }
    ad_vpdq_video_free(&v);
    return 0;
}
