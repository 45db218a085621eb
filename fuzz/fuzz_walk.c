/* fuzz_walk.c: libFuzzer target: any bytes as a seized file through the ingest walker: archive
 * detection, libarchive with every format and filter, nesting, limits, logical paths.
 * Build and run (see fuzz/README.md):
 *   fuzz/build.sh && ./build-fuzz/fuzz_walk -max_total_time=120 /tmp/walk-corpus */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ariadne/ingest_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        char dir[] = "/tmp/fuzz_walk.XXXXXX";
        if (!mkdtemp(dir))
            abort();
        snprintf(path, sizeof path, "%s/seized", dir);
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    ad_source_opts o;
    ad_source_opts_default(&o);
    o.max_member_bytes = 1 << 20; /* keep each run small */
    o.max_archive_bytes = 16 << 20;
    o.ratio_floor = 1 << 20;
    o.max_members = 2000;
    const char *roots[] = {path};
    ad_source *s;
    if (ad_source_new(&s, roots, 1, &o, NULL) != AD_OK)
        abort();
    const ad_row *row;
    uint64_t n = 0;
    while (ad_source_next(s, &row, NULL) == AD_OK && row) {
        if (row->ordinal != n++ || !row->path || row->chain[row->depth] != NULL ||
            (row->kind == AD_ROW_FILE) != (row->err.code == AD_OK) || strchr(row->path, '\n'))
            __builtin_trap();
    }
    ad_source_free(s);
    return 0;
}
