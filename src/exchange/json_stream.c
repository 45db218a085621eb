/* json_stream.c: the incremental JSON tokenizer for the outer structure of VICS files (see
 * json_stream.h). Decision (docs/formats.md): the tokenizer walks only the envelope and case
 * objects; each Media record's bytes go to the record parser of json_dom.c. */
#include <stdlib.h>
#include <string.h>

#include "json_stream.h"

#define JS_BUF (64 * 1024)

ad_code ad_js_open(ad_jstream *s, FILE *f, ad_err *err)
{
    memset(s, 0, sizeof *s);
    s->f = f;
    s->line = 1;
    s->buf = malloc(JS_BUF);
    if (!s->buf)
        return ad_err_set(err, AD_ERR_NOMEM, "no memory for the read buffer");
    s->len = fread(s->buf, 1, JS_BUF, f);
    if (s->len < JS_BUF) {
        s->eof = 1;
        s->io_error = ferror(f) != 0;
    }
    if (s->len >= 3 && memcmp(s->buf, "\xEF\xBB\xBF", 3) == 0)
        s->pos = 3;
    return AD_OK;
}

void ad_js_close(ad_jstream *s)
{
    free(s->buf);
    s->buf = NULL;
}

void ad_jbuf_free(ad_jbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static int refill(ad_jstream *s)
{
    if (s->pos < s->len)
        return 1;
    if (s->eof)
        return 0;
    s->pos = 0;
    s->len = fread(s->buf, 1, JS_BUF, s->f);
    if (s->len < JS_BUF) {
        s->eof = 1;
        if (ferror(s->f))
            s->io_error = 1;
    }
    return s->len > 0;
}

int ad_js_peek(ad_jstream *s)
{
    for (;;) {
        if (!refill(s))
            return -1;
        char c = s->buf[s->pos];
        if (c == '\n')
            s->line++;
        else if (c != ' ' && c != '\t' && c != '\r')
            return (unsigned char)c;
        s->pos++;
    }
}

int ad_js_accept(ad_jstream *s, int c)
{
    if (ad_js_peek(s) != c)
        return 0;
    s->pos++;
    return 1;
}

ad_code ad_jbuf_append(ad_jbuf *b, const char *p, size_t n, size_t max, ad_err *err)
{
    if (b->len + n > max)
        return ad_err_set(err, AD_ERR_LIMIT, "value longer than %zu bytes", max);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return ad_err_set(err, AD_ERR_NOMEM, "no memory for a %zu-byte value", cap);
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
    return AD_OK;
}

static int is_scalar_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '+' || c == '.';
}

ad_code ad_js_capture(ad_jstream *s, ad_jbuf *out, size_t max, int keep, ad_err *err)
{
    if (keep) {
        out->len = 0;
        if (ad_jbuf_append(out, "", 0, max, err) != AD_OK)
            return AD_ERR_NOMEM;
    }
    int c = ad_js_peek(s);
    if (c < 0)
        return ad_err_set(err, AD_ERR_TRUNCATED, "input ends where a value was expected");
    int scalar = c != '{' && c != '[' && c != '"';
    if (scalar && !is_scalar_char((char)c))
        return ad_err_set(err, AD_ERR_PARSE, "unexpected character '%c'", c);
    long long depth = 0;
    int instr = 0, esc = 0, done = 0;
    ad_code rc;
    while (!done) {
        if (!refill(s)) {
            if (scalar)
                break;
            return ad_err_set(err, s->io_error ? AD_ERR_IO : AD_ERR_TRUNCATED,
                              s->io_error ? "read error" : "input ends inside a value");
        }
        size_t start = s->pos, i = s->pos;
        const char *b = s->buf;
        if (scalar) {
            while (i < s->len && is_scalar_char(b[i]))
                i++;
            done = i < s->len;
        } else {
            for (; i < s->len; i++) {
                char ch = b[i];
                if (ch == '\n')
                    s->line++;
                if (instr) {
                    if (esc)
                        esc = 0;
                    else if (ch == '\\')
                        esc = 1;
                    else if (ch == '"')
                        instr = 0;
                } else if (ch == '"') {
                    instr = 1;
                } else if (ch == '{' || ch == '[') {
                    depth++;
                } else if (ch == '}' || ch == ']') {
                    depth--;
                    if (depth < 0)
                        return ad_err_set(err, AD_ERR_PARSE, "unbalanced '%c'", ch);
                }
                if (!instr && depth == 0) {
                    i++;
                    done = 1;
                    break;
                }
            }
        }
        s->pos = i;
        if (keep && (rc = ad_jbuf_append(out, b + start, i - start, max, err)) != AD_OK)
            return rc;
    }
    return AD_OK;
}
