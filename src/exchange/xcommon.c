/* xcommon.c: what all exchange readers share: empty records, the reader context with its
 * counters and bad-record reporting, and the tolerant text parsers for flags, counts and hashes. */
#include <string.h>
#include <strings.h>

#include "ariadne/util.h"
#include "xinternal.h"

void ad_xmedia_init(ad_xmedia *m)
{
    memset(m, 0, sizeof *m);
    m->media_id = -1;
    m->size = -1;
    m->submissions = -1;
    m->victim_identified = m->offender_identified = m->is_distributed = m->is_precategorized =
        m->is_suspected = m->self_generated = m->file_available = AD_XUNKNOWN;
}

void ad_xfile_init(ad_xfile *f)
{
    memset(f, 0, sizeof *f);
    f->deleted = f->unallocated = AD_XUNKNOWN;
    f->physical_location = f->parent_physical_location = -1;
}

void ad_xcase_init(ad_xcase *c)
{
    memset(c, 0, sizeof *c);
    c->total_media_files = c->total_precategorized = -1;
}

void ad_xread_init(ad_xread *r, const ad_exchange_sink *sink, void *ctx)
{
    memset(r, 0, sizeof *r);
    r->sink = sink;
    r->ctx = ctx;
    r->name = sink->source_name ? sink->source_name : "input";
    r->max_record = sink->max_record_bytes ? sink->max_record_bytes : AD_X_DEFAULT_MAX_RECORD;
}

void ad_xread_finish(ad_xread *r)
{
    if (r->sink->stats)
        *r->sink->stats = r->st;
}

ad_code ad_xread_bad(ad_xread *r, uint64_t record, uint64_t line, const char *field, ad_code code,
                     const char *detail, ad_err *err)
{
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s: line %llu, record %llu, field %s: %s", r->name,
             (unsigned long long)line, (unsigned long long)record, field, detail);
    if (!r->sink->skip_bad)
        return ad_err_set(err, code, "%s", msg);
    r->st.bad++;
    if (r->sink->stats)
        r->sink->stats->bad = r->st.bad;
    if (!r->sink->bad)
        return AD_OK;
    ad_xbad b = {record, line, field, code, msg};
    return r->sink->bad(r->ctx, &b, err);
}

ad_code ad_xread_fatal(ad_xread *r, uint64_t line, ad_code code, const char *detail, ad_err *err)
{
    return ad_err_set(err, code, "%s: line %llu: %s", r->name, (unsigned long long)line, detail);
}

ad_code ad_xread_emit(ad_xread *r, const ad_xmedia *m, ad_err *err)
{
    r->st.records++;
    if (r->sink->stats)
        r->sink->stats->records = r->st.records;
    return r->sink->media ? r->sink->media(r->ctx, m, err) : AD_OK;
}

ad_code ad_x_flush(FILE *f, const char *writer, ad_err *err)
{
    if (fflush(f) != 0 || ferror(f))
        return ad_err_set(err, AD_ERR_IO, "%s writer: write error", writer);
    return AD_OK;
}

int ad_x_utf8_len(const char *str, size_t avail)
{
    const unsigned char *s = (const unsigned char *)str;
    int n = s[0] < 0x80                    ? 1
            : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
            : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
            : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                           : 0;
    if ((size_t)n > avail)
        return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((n == 3 && s[0] == 0xE0 && s[1] < 0xA0) || (n == 3 && s[0] == 0xED && s[1] >= 0xA0) ||
        (n == 4 && s[0] == 0xF0 && s[1] < 0x90) || (n == 4 && s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return n;
}

int ad_x_utf8_valid(const char *s)
{
    if (!s)
        return 1;
    while (*s) {
        int n = ad_x_utf8_len(s, 4);
        if (!n)
            return 0;
        s += n;
    }
    return 1;
}

void ad_x_trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

static int word_is(const char *s, size_t len, const char *w)
{
    return strlen(w) == len && strncasecmp(s, w, len) == 0;
}

ad_code ad_x_parse_flag(const char *s, size_t len, int8_t *out, ad_err *err)
{
    ad_x_trim(&s, &len);
    if (len == 0)
        *out = AD_XUNKNOWN;
    else if (word_is(s, len, "true") || word_is(s, len, "1") || word_is(s, len, "yes") ||
             word_is(s, len, "y"))
        *out = AD_XTRUE;
    else if (word_is(s, len, "false") || word_is(s, len, "0") || word_is(s, len, "no") ||
             word_is(s, len, "n"))
        *out = AD_XFALSE;
    else
        return ad_err_set(err, AD_ERR_PARSE, "'%.*s' is not a boolean", (int)(len > 40 ? 40 : len),
                          s);
    return AD_OK;
}

ad_code ad_x_parse_count(const char *s, size_t len, int64_t *out, ad_err *err)
{
    ad_x_trim(&s, &len);
    if (len == 0) {
        *out = -1;
        return AD_OK;
    }
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - 9) / 10)
            return ad_err_set(err, AD_ERR_PARSE, "'%.*s' is not a count",
                              (int)(len > 40 ? 40 : len), s);
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return AD_OK;
}

static const struct {
    const char *name;
    size_t bytes;
    unsigned bit;
} hash_kinds[] = {
    [AD_XHASH_MD5] = {"MD5", 16, AD_XHAS_MD5},
    [AD_XHASH_SHA1] = {"SHA1", 20, AD_XHAS_SHA1},
    [AD_XHASH_SHA256] = {"SHA256", 32, AD_XHAS_SHA256},
    [AD_XHASH_PDQ] = {"PDQ", 32, AD_XHAS_PDQ},
};

static uint8_t *hash_bytes(ad_xmedia *m, ad_xhash_kind kind)
{
    switch (kind) {
    case AD_XHASH_MD5:
        return m->md5;
    case AD_XHASH_SHA1:
        return m->sha1;
    case AD_XHASH_SHA256:
        return m->sha256;
    default:
        return m->pdq.b;
    }
}

const char *ad_x_hash_name(ad_xhash_kind kind)
{
    return hash_kinds[kind].name;
}

ad_code ad_x_parse_hash(ad_xmedia *m, ad_xhash_kind kind, const char *s, size_t len, ad_err *err)
{
    ad_x_trim(&s, &len);
    if (ad_hex_decode(s, len, hash_bytes(m, kind), hash_kinds[kind].bytes, err) != AD_OK)
        return AD_ERR_PARSE;
    m->has |= hash_kinds[kind].bit;
    return AD_OK;
}

const char *ad_x_hash_hex(const ad_xmedia *m, ad_xhash_kind kind, char out[65])
{
    if (!(m->has & hash_kinds[kind].bit))
        return NULL;
    return ad_hex_encode(hash_bytes((ad_xmedia *)m, kind), hash_kinds[kind].bytes, out);
}
