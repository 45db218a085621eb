/* hex.c: hex encoding and strict decoding. */
#include "ariadne/util.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *ad_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}

ad_code ad_hex_decode(const char *s, size_t len, uint8_t *out, size_t n, ad_err *err)
{
    if (len != 2 * n)
        return ad_err_set(err, AD_ERR_PARSE, "expected %zu hex digits, got %zu characters", 2 * n, len);
    for (size_t i = 0; i < n; i++) {
        int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return ad_err_set(err, AD_ERR_PARSE, "not a hex digit at position %zu",
                              hi < 0 ? 2 * i + 1 : 2 * i + 2);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return AD_OK;
}
