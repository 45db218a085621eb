/* fed_bundle.h (tests): a bundle made by hand around change lines, signed by a peer's key, for
 * the tests that send what a well-behaved exporter never writes (test_fed, test_fed_fast). */
#ifndef TD_FED_BUNDLE_H
#define TD_FED_BUNDLE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/fed.h"
#include "ariadne/util.h"
#include "fed/fed_int.h"

/* One set of the n canonical lines (seq from 1) of origin `uuid`, in a bundle from it whose
 * manifest names its key `pub`: malloc'd, its length in *len; NULL if encoding fails (err). */
static inline uint8_t *td_fed_bundle(const ad_fed_key *key, const char *uuid, const char *pub,
                                     const char *const *lines, size_t n, size_t *len,
                                     ad_err *err)
{
    uint8_t *set;
    size_t sn;
    *len = 0;
    char id[65], zero[65];
    memset(zero, '0', 64);
    zero[64] = 0;
    if (ad_fed_set_encode(key, uuid, 1, lines, n, NULL, 0, zero, &set, &sn, id, err) != AD_OK)
        return NULL;
    char manifest[600];
    snprintf(manifest, sizeof manifest,
             "{\"created\":1,\"format\":\"ariadne-bundle/1\",\"from\":\"%s\",\"from_key\":"
             "\"%s\",\"sets\":[{\"id\":\"%s\",\"len\":%zu}]}\n",
             uuid, pub, id, sn);
    uint8_t sig[64];
    char sh[129];
    ad_fed_sign(key, AD_FED_BUNDLE_CONTEXT, (const uint8_t *)manifest, strlen(manifest), sig);
    ad_hex_encode(sig, 64, sh);
    size_t cap = strlen(manifest) + sn + 140, o = strlen(manifest);
    uint8_t *bun = malloc(cap);
    if (bun) {
        memcpy(bun, manifest, o);
        memcpy(bun + o, set, sn);
        o += sn;
        o += (size_t)snprintf((char *)bun + o, cap - o, "{\"sig\":\"%s\"}\n", sh);
    }
    free(set);
    *len = o;
    return bun;
}

#endif
