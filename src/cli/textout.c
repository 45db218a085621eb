/* textout.c: escaped text output for people (see textout.h). */
#include "textout.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/json.h"
#include "ariadne/service.h"
#include "ariadne/util.h"

/* Decodes one UTF-8 code point at s (n bytes left): its length, or 0 when the bytes are not
 * well-formed UTF-8 (overlong forms, surrogates and values over U+10FFFF included). */
static int utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    int len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)len > n)
        return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Code points that are invisible or change how the text around them is shown. */
static int hidden(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/* Writes (f non-NULL) or only counts the escaped form; keep_backslash for text that is already
 * escaped this way (the logical paths ingest stores). */
static int escape(FILE *f, const char *str, int keep_backslash)
{
    if (!str)
        str = "-";
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    int cols = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int len = utf8_next(s + i, n - i, &cp);
        int bad = !len || cp < 0x20 || cp == 0x7f || hidden(cp);
        if (!len)
            len = 1;
        if (bad) {
            for (int k = 0; k < len; k++)
                if (f)
                    fprintf(f, "\\x%02x", s[i + k]);
            cols += 4 * len;
        } else if (cp == '\\' && !keep_backslash) {
            if (f)
                fputs("\\\\", f);
            cols += 2;
        } else {
            if (f)
                fwrite(s + i, 1, (size_t)len, f);
            cols++;
        }
        i += (size_t)len;
    }
    return cols;
}

int ad_txt_put(FILE *f, const char *s)
{
    return escape(f, s, 0);
}

int ad_txt_put_path(FILE *f, const char *s)
{
    return escape(f, s, 1);
}

void ad_txt_pad(FILE *f, const char *s, int width)
{
    for (int c = escape(f, s, 0); c < width; c++)
        fputc(' ', f);
}

char *ad_txt_utf8(const char *str, int *lossy)
{
    return ad_utf8_sanitize(str, lossy);
}

void ad_txt_json_set(json_t *o, const char *key, const char *s, const char *hex_key)
{
    ad_json_set_text(o, key, s, hex_key);
}
