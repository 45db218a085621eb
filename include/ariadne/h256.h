/* h256.h: the 256-bit hash value (PDQ and vPDQ frame hashes) and its text form.
 *
 * Bytes are stored in the order of the 64-character hex text (byte i = hex digits 2i, 2i+1),
 * which is the reference's big-endian reading: the first 4 hex digits are PDQ DCT row 15.
 * PDQ bit k (k = i*16 + j for DCT row i, column j) is bit (k & 7) of byte 31 - k/8. */
#ifndef ARIADNE_H256_H
#define ARIADNE_H256_H

#include <stdint.h>
#include <string.h>

#include "ariadne/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ad_h256 {
    uint8_t b[32];
} ad_h256;

#define AD_H256_HEX_LEN 64

/* Parses exactly 64 hex digits (either case) from s[0..len). Anything else is AD_ERR_PARSE. */
ad_code ad_h256_parse(ad_h256 *out, const char *s, size_t len, ad_err *err);
/* Writes 64 lower-case hex digits and a NUL to out (65 bytes). Returns out. */
char *ad_h256_format(const ad_h256 *h, char out[AD_H256_HEX_LEN + 1]);

static inline int ad_h256_get_bit(const ad_h256 *h, int k)
{
    return (h->b[31 - (k >> 3)] >> (k & 7)) & 1;
}

static inline void ad_h256_set_bit(ad_h256 *h, int k)
{
    h->b[31 - (k >> 3)] |= (uint8_t)(1u << (k & 7));
}

static inline int ad_h256_distance(const ad_h256 *a, const ad_h256 *b)
{
    uint64_t x[4], y[4];
    memcpy(x, a->b, 32);
    memcpy(y, b->b, 32);
    return __builtin_popcountll(x[0] ^ y[0]) + __builtin_popcountll(x[1] ^ y[1]) +
           __builtin_popcountll(x[2] ^ y[2]) + __builtin_popcountll(x[3] ^ y[3]);
}

static inline int ad_h256_popcount(const ad_h256 *a)
{
    uint64_t x[4];
    memcpy(x, a->b, 32);
    return __builtin_popcountll(x[0]) + __builtin_popcountll(x[1]) + __builtin_popcountll(x[2]) +
           __builtin_popcountll(x[3]);
}

static inline int ad_h256_equal(const ad_h256 *a, const ad_h256 *b)
{
    return memcmp(a->b, b->b, 32) == 0;
}

#ifdef __cplusplus
}
#endif
#endif
