/* json_write.c: the tiny JSON writer used by the VICS writer: keys in the order they are
 * written, strings escaped per RFC 8259 (control characters as \u00XX), no pretty-printing. */
#include <inttypes.h>
#include <string.h>

#include "xinternal.h"

void ad_jw_raw(ad_jw *w, const char *s)
{
    fputs(s, w->f);
}

static void comma(ad_jw *w)
{
    if (w->need_comma)
        putc(',', w->f);
    w->need_comma = 0;
}

void ad_jw_open(ad_jw *w, char brace)
{
    comma(w);
    putc(brace, w->f);
    w->need_comma = 0;
}

void ad_jw_close(ad_jw *w, char brace)
{
    putc(brace, w->f);
    w->need_comma = 1;
}

void ad_jw_string_value(ad_jw *w, const char *s)
{
    FILE *f = w->f;
    putc('"', f);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x80) {
            int n = ad_x_utf8_len(s, 4);
            if (!n)
                w->bad_utf8 = 1;
            else
                s += n - 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        fwrite(run, 1, (size_t)(s - run), f);
        run = s + 1;
        switch (c) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            fprintf(f, "\\u%04x", c);
        }
    }
    fwrite(run, 1, (size_t)(s - run), f);
    putc('"', f);
    w->need_comma = 1;
}

void ad_jw_key(ad_jw *w, const char *key)
{
    comma(w);
    putc('"', w->f);
    fputs(key, w->f);
    fputs("\":", w->f);
}

void ad_jw_str(ad_jw *w, const char *key, const char *val)
{
    if (!val)
        return;
    ad_jw_key(w, key);
    ad_jw_string_value(w, val);
}

void ad_jw_int(ad_jw *w, const char *key, int64_t val)
{
    ad_jw_key(w, key);
    fprintf(w->f, "%" PRId64, val);
    w->need_comma = 1;
}

void ad_jw_count(ad_jw *w, const char *key, int64_t val)
{
    if (val >= 0)
        ad_jw_int(w, key, val);
}

void ad_jw_flag(ad_jw *w, const char *key, int8_t val)
{
    if (val == AD_XUNKNOWN)
        return;
    ad_jw_key(w, key);
    fputs(val ? "true" : "false", w->f);
    w->need_comma = 1;
}
