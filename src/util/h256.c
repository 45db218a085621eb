/* h256.c: text form of 256-bit hashes (64 hex digits, the reference's byte order). */
#include "ariadne/h256.h"
#include "ariadne/util.h"

ad_code ad_h256_parse(ad_h256 *out, const char *s, size_t len, ad_err *err)
{
    if (len != AD_H256_HEX_LEN)
        return ad_err_set(err, AD_ERR_PARSE, "a 256-bit hash needs 64 hex digits, got %zu characters",
                          len);
    return ad_hex_decode(s, len, out->b, 32, err);
}

char *ad_h256_format(const ad_h256 *h, char out[AD_H256_HEX_LEN + 1])
{
    return ad_hex_encode(h->b, 32, out);
}
