/* fuzz_fedcanon.c: libFuzzer target: the strict reader of canonical change lines
 * (src/fed/canon_scan.c) against the general way: whatever the reader accepts, jansson parses
 * and ad_fed_canon prints back byte for byte, with as many members as the reader found.
 * Build and run (see fuzz/README.md): fuzz/build.sh && ./build-fuzz/fuzz_fedcanon
 * -max_total_time=60 fuzz/corpus/fuzz_fedcanon */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fed/fed_int.h"

/* abort() even where NDEBUG removes assert (the replay tests' builds) */
#define MUST(c)                                                                                    \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ad_fed_member mem[32];
    int k = ad_fed_canon_scan((const char *)data, size, mem, 32);
    if (k < 0)
        return 0;
    json_error_t je;
    json_t *v = json_loadb((const char *)data, size,
                           JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &je);
    MUST(v && json_is_object(v) && json_object_size(v) == (size_t)k);
    char *c = ad_fed_canon(v);
    MUST(c && strlen(c) == size && !memcmp(c, data, size));
    for (int i = 0; i < k; i++)
        MUST(mem[i].key >= (const char *)data && mem[i].val + mem[i].vlen <= (const char *)data + size);
    free(c);
    json_decref(v);
    return 0;
}
