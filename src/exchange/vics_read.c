/* vics_read.c: the streaming VICS reader. It walks the envelope ({"odata.metadata" |
 * "@odata.context", "odata.count", "value": [...]}) and case objects with the tokenizer of
 * json_stream.c, and parses each Media record on its own with json_dom.c, so memory is bounded
 * by one record whatever the file size. Version, profile and form come from the context URL;
 * when the form is not known, an element with a "Media" array is a case, otherwise a Media
 * record. Case members other than Media are kept as JSON text and parsed when needed. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_dom.h"
#include "json_stream.h"
#include "vics_media.h"
#include "xinternal.h"

typedef struct vrd {
    ad_xread r;
    ad_jstream js;
    ad_jbuf val, key, kdec; /* a value; a key as found and decoded */
    ad_jbuf craw, ccopy;    /* a case's members as JSON text; its parsed copy */
    ad_jdom dom, cdom;      /* records and small values; the current case */
    ad_vics_conv conv;
    ad_xinfo info;
    char *context;
    int begun;
} vrd;

ad_cat_scheme ad_vics_profile_scheme(ad_vics_version v, ad_vics_profile p)
{
    if (v != AD_VICS_V2_0 && p == AD_VICS_PNONE)
        return AD_CAT_DHS;
    switch (p) {
    case AD_VICS_UK:
        return AD_CAT_UK;
    case AD_VICS_CUSTOM:
        return AD_CAT_CUSTOM;
    default:
        return AD_CAT_VIC_US;
    }
}

/* Version, profile and form from the context URL (and the key it came under). */
static void parse_context(ad_xinfo *info, const char *url, int v2key)
{
    static const struct {
        const char *tag;
        ad_vics_version v;
    } versions[] = {{"1.1.xml", AD_VICS_V1_1},
                    {"1.2.xml", AD_VICS_V1_2},
                    {"1.3.xml", AD_VICS_V1_3},
                    {"2.0.xml", AD_VICS_V2_0}};
    info->version = v2key ? AD_VICS_V2_0 : AD_VICS_V1_3;
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (strstr(url, versions[i].tag))
            info->version = versions[i].v;
    info->profile = AD_VICS_PNONE;
    const char *x = strstr(url, ".xml/");
    if (info->version == AD_VICS_V2_0 || (x && v2key)) {
        info->profile = AD_VICS_DEFAULT;
        if (x) {
            const char *p = x + 5, *end = strchr(p, '/');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            if (n == 2 && strncasecmp(p, "US", 2) == 0)
                info->profile = AD_VICS_US;
            else if (n == 2 && strncasecmp(p, "UK", 2) == 0)
                info->profile = AD_VICS_UK;
            else if (n && !(n == 7 && strncasecmp(p, "Default", 7) == 0))
                info->profile = AD_VICS_CUSTOM;
        }
    }
    const char *hash = strrchr(url, '#');
    if (hash && strcasecmp(hash, "#Cases") == 0)
        info->form = AD_VICS_CASES;
    else if (hash && strcasecmp(hash, "#Media") == 0)
        info->form = AD_VICS_MEDIA;
}

static ad_code js_fail(vrd *d, uint64_t line, ad_code rc, ad_err *err)
{
    char detail[sizeof err->msg];
    snprintf(detail, sizeof detail, "%s", err ? err->msg : ad_strerror(rc));
    return ad_xread_fatal(&d->r, line, rc, detail, err);
}

static ad_code expect(vrd *d, int c, const char *what, ad_err *err)
{
    if (ad_js_accept(&d->js, c))
        return AD_OK;
    int got = ad_js_peek(&d->js);
    char detail[96];
    if (got < 0)
        snprintf(detail, sizeof detail, "input ends where %s was expected", what);
    else
        snprintf(detail, sizeof detail, "expected %s, found '%c'", what, got);
    return ad_xread_fatal(&d->r, d->js.line, got < 0 ? AD_ERR_TRUNCATED : AD_ERR_PARSE, detail,
                          err);
}

static ad_code capture(vrd *d, ad_jbuf *into, int keep, ad_err *err)
{
    uint64_t line = d->js.line;
    ad_code rc = ad_js_capture(&d->js, into, d->r.max_record, keep, err);
    return rc == AD_OK ? AD_OK : js_fail(d, line, rc, err);
}

/* Parses a small captured value (in d->val) with d->dom; node 0 is the root. */
static ad_code parse_small(vrd *d, uint64_t line, ad_err *err)
{
    ad_err e;
    if (ad_jdom_parse(&d->dom, d->val.p, d->val.len, line, &e) != AD_OK)
        return ad_xread_fatal(&d->r, line, AD_ERR_PARSE, e.msg, err);
    return AD_OK;
}

/* Reads `"key":`: the raw token goes to d->key, its decoded text to d->kdec. */
static ad_code read_key(vrd *d, ad_err *err)
{
    uint64_t line = d->js.line;
    if (ad_js_peek(&d->js) != '"')
        return expect(d, '"', "a key", err);
    ad_code rc = capture(d, &d->key, 1, err);
    if (rc != AD_OK)
        return rc;
    d->val.len = 0;
    if ((rc = ad_jbuf_append(&d->val, d->key.p, d->key.len, SIZE_MAX, err)) != AD_OK ||
        (rc = parse_small(d, line, err)) != AD_OK)
        return rc;
    const ad_jnode *n = &d->dom.nodes[0];
    d->kdec.len = 0;
    if ((rc = ad_jbuf_append(&d->kdec, n->s, n->n, SIZE_MAX, err)) != AD_OK)
        return rc;
    return expect(d, ':', "':'", err);
}

static ad_code begin(vrd *d, ad_err *err)
{
    if (d->begun)
        return AD_OK;
    d->begun = 1;
    d->info.context = d->context;
    d->info.scheme = d->r.sink->scheme ? d->r.sink->scheme
                                       : ad_vics_profile_scheme(d->info.version, d->info.profile);
    d->conv.scheme = d->info.scheme;
    return d->r.sink->begin ? d->r.sink->begin(d->r.ctx, &d->info, err) : AD_OK;
}

/* One Media record whose JSON text is in buf (modified), starting at `line`. */
static ad_code one_media(vrd *d, ad_jbuf *buf, uint64_t line, const char *case_id, ad_err *err)
{
    uint64_t rec = d->r.st.records + d->r.st.bad + 1;
    ad_err e;
    if (ad_jdom_parse(&d->dom, buf->p, buf->len, line, &e) != AD_OK) {
        ad_err_prefix(&e, "invalid JSON");
        return ad_xread_bad(&d->r, rec, line, "(json)", AD_ERR_PARSE, e.msg, err);
    }
    ad_xmedia m;
    if (ad_vics_media_from_dom(&d->conv, &d->dom, 0, &m, &e) != AD_OK)
        return ad_xread_bad(&d->r, rec, line, d->conv.field, e.code, e.msg, err);
    m.record = rec;
    m.line = line;
    m.case_id = case_id;
    return ad_xread_emit(&d->r, &m, err);
}

/* The elements of an array, each handed to fn. */
static ad_code array_each(vrd *d, ad_code (*fn)(vrd *, const char *, ad_err *), const char *case_id,
                          ad_err *err)
{
    ad_code rc = expect(d, '[', "'['", err);
    if (rc != AD_OK || ad_js_accept(&d->js, ']'))
        return rc;
    for (;;) {
        if ((rc = fn(d, case_id, err)) != AD_OK)
            return rc;
        if (ad_js_accept(&d->js, ']'))
            return AD_OK;
        if ((rc = expect(d, ',', "',' or ']'", err)) != AD_OK)
            return rc;
    }
}

static ad_code media_elem(vrd *d, const char *case_id, ad_err *err)
{
    ad_js_peek(&d->js);
    uint64_t line = d->js.line, rec = d->r.st.records + d->r.st.bad + 1;
    ad_code rc = ad_js_capture(&d->js, &d->val, d->r.max_record, 1, err);
    if (rc != AD_OK) { /* structural: stops the read even in skip_bad mode */
        ad_err_prefix(err, "record %llu (from line %llu)", (unsigned long long)rec,
                      (unsigned long long)line);
        return js_fail(d, d->js.line, rc, err);
    }
    return one_media(d, &d->val, line, case_id, err);
}

/* Parses the case members collected so far (d->craw + "}") into c. */
static ad_code case_fields(vrd *d, ad_xcase *c, uint64_t line, ad_err *err)
{
    ad_err e;
    d->ccopy.len = 0;
    if (ad_jbuf_append(&d->ccopy, d->craw.p, d->craw.len, SIZE_MAX, &e) != AD_OK ||
        ad_jbuf_append(&d->ccopy, "}", 1, SIZE_MAX, &e) != AD_OK)
        return ad_err_set(err, AD_ERR_NOMEM, "no memory");
    if (ad_jdom_parse(&d->cdom, d->ccopy.p, d->ccopy.len, line, &e) != AD_OK ||
        ad_vics_case_from_dom(&d->conv, &d->cdom, 0, c, &e) != AD_OK)
        return ad_xread_fatal(&d->r, line, AD_ERR_PARSE, e.msg, err);
    return AD_OK;
}

/* Appends `,"key":value` (raw JSON text of d->key and d->val) to the case members in d->craw. */
static ad_code keep_member(vrd *d, ad_err *err)
{
    ad_code rc = AD_OK;
    if (d->craw.len > 1)
        rc = ad_jbuf_append(&d->craw, ",", 1, d->r.max_record, err);
    if (rc == AD_OK)
        rc = ad_jbuf_append(&d->craw, d->key.p, d->key.len, d->r.max_record, err);
    if (rc == AD_OK)
        rc = ad_jbuf_append(&d->craw, ":", 1, d->r.max_record, err);
    if (rc == AD_OK)
        rc = ad_jbuf_append(&d->craw, d->val.p, d->val.len, d->r.max_record, err);
    return rc;
}

/* A case object (or, when the form is unknown, an element that turns out to be Media): members
 * other than "Media" are kept as JSON text; "Media" is streamed. */
static ad_code case_elem(vrd *d, const char *unused, ad_err *err)
{
    (void)unused;
    ad_js_peek(&d->js);
    uint64_t line = d->js.line;
    ad_code rc = expect(d, '{', "'{' (a case object)", err);
    if (rc != AD_OK)
        return rc;
    ad_xcase c;
    ad_xcase_init(&c);
    int saw_media = 0;
    d->craw.len = 0;
    if ((rc = ad_jbuf_append(&d->craw, "{", 1, SIZE_MAX, err)) != AD_OK)
        return rc;
    if (!ad_js_accept(&d->js, '}'))
        for (;;) {
            if ((rc = read_key(d, err)) != AD_OK)
                return rc;
            if (strcmp(d->kdec.p, "Media") == 0 && ad_js_peek(&d->js) == '[') {
                if (!saw_media) {
                    saw_media = 1;
                    d->r.st.cases++;
                    if ((rc = case_fields(d, &c, line, err)) != AD_OK ||
                        (d->r.sink->begin_case &&
                         (rc = d->r.sink->begin_case(d->r.ctx, &c, err)) != AD_OK))
                        return rc;
                }
                /* c.case_id points into d->ccopy, which stays put while the Media stream */
                uint64_t before = d->r.st.records + d->r.st.bad;
                if ((rc = array_each(d, media_elem, c.case_id, err)) != AD_OK)
                    return rc;
                c.media_count += d->r.st.records + d->r.st.bad - before;
            } else {
                if ((rc = capture(d, &d->val, 1, err)) != AD_OK ||
                    (rc = keep_member(d, err)) != AD_OK)
                    return rc;
            }
            if (ad_js_accept(&d->js, '}'))
                break;
            if ((rc = expect(d, ',', "',' or '}'", err)) != AD_OK)
                return rc;
        }
    if (!saw_media && d->info.form != AD_VICS_CASES) {
        if ((rc = ad_jbuf_append(&d->craw, "}", 1, SIZE_MAX, err)) != AD_OK)
            return rc;
        return one_media(d, &d->craw, line, NULL, err);
    }
    if (!saw_media) {
        d->r.st.cases++;
        if ((rc = case_fields(d, &c, line, err)) != AD_OK ||
            (d->r.sink->begin_case && (rc = d->r.sink->begin_case(d->r.ctx, &c, err)) != AD_OK))
            return rc;
    }
    if ((rc = case_fields(d, &c, line, err)) != AD_OK)
        return rc;
    return d->r.sink->end_case ? d->r.sink->end_case(d->r.ctx, &c, err) : AD_OK;
}

static ad_code value_array(vrd *d, ad_err *err)
{
    ad_code rc = begin(d, err);
    if (rc != AD_OK)
        return rc;
    return array_each(d, d->info.form == AD_VICS_MEDIA ? media_elem : case_elem, NULL, err);
}

/* A scalar envelope member (context or count): captured and decoded. */
static ad_code envelope_scalar(vrd *d, ad_err *err)
{
    int v2 = strcmp(d->kdec.p, "@odata.context") == 0;
    int is_ctx = v2 || strcmp(d->kdec.p, "odata.metadata") == 0;
    uint64_t line = d->js.line;
    ad_code rc = capture(d, &d->val, 1, err);
    if (rc == AD_OK)
        rc = parse_small(d, line, err);
    if (rc != AD_OK)
        return rc;
    const ad_jnode *n = &d->dom.nodes[0];
    if (is_ctx && n->type == AD_J_STR) {
        free(d->context);
        d->context = strdup(n->s);
        if (!d->context)
            return ad_err_set(err, AD_ERR_NOMEM, "no memory");
        parse_context(&d->info, d->context, v2);
    } else if (!is_ctx) {
        int64_t count = -1;
        if (n->type == AD_J_NUM && n->is_int)
            count = n->i;
        else if (n->type == AD_J_STR)
            ad_x_parse_count(n->s, n->n, &count, NULL);
        d->info.declared_count = count; /* informative only; never checked against the records */
    }
    return AD_OK;
}

static ad_code envelope(vrd *d, ad_err *err)
{
    ad_code rc = expect(d, '{', "'{' (a VICS JSON object)", err);
    int saw_value = 0;
    if (rc != AD_OK)
        return rc;
    if (!ad_js_accept(&d->js, '}'))
        for (;;) {
            if ((rc = read_key(d, err)) != AD_OK)
                return rc;
            const char *k = d->kdec.p;
            if (strcmp(k, "value") == 0) {
                saw_value = 1;
                rc = value_array(d, err);
            } else if (strcmp(k, "@odata.context") == 0 || strcmp(k, "odata.metadata") == 0 ||
                       strcmp(k, "@odata.count") == 0 || strcmp(k, "odata.count") == 0) {
                rc = envelope_scalar(d, err);
            } else {
                rc = capture(d, &d->val, 0, err); /* unknown member: skipped, whatever its size */
            }
            if (rc != AD_OK)
                return rc;
            if (ad_js_accept(&d->js, '}'))
                break;
            if ((rc = expect(d, ',', "',' or '}'", err)) != AD_OK)
                return rc;
        }
    if (ad_js_peek(&d->js) >= 0)
        return ad_xread_fatal(&d->r, d->js.line, AD_ERR_PARSE, "content after the end of the JSON",
                              err);
    if (d->js.io_error)
        return ad_xread_fatal(&d->r, d->js.line, AD_ERR_IO, "read error", err);
    if (!saw_value)
        return ad_xread_fatal(&d->r, d->js.line, AD_ERR_CORRUPT,
                              "no \"value\" array: not a VICS file", err);
    return AD_OK;
}

ad_code ad_vics_read(FILE *f, const ad_exchange_sink *sink, void *ctx, ad_err *err)
{
    if (!f || !sink)
        return ad_err_set(err, AD_ERR_ARG, "ad_vics_read: no file or no sink");
    vrd d;
    memset(&d, 0, sizeof d);
    ad_xread_init(&d.r, sink, ctx);
    d.info.format = AD_XFMT_VICS;
    d.info.declared_count = -1;
    ad_code rc = ad_js_open(&d.js, f, err);
    if (rc == AD_OK) {
        if (ad_js_peek(&d.js) < 0)
            rc = ad_xread_fatal(&d.r, 1, AD_ERR_EMPTY, "empty file", err);
        else
            rc = envelope(&d, err);
    }
    d.r.st.lines = d.js.line;
    ad_xread_finish(&d.r);
    ad_js_close(&d.js);
    ad_jbuf *bufs[] = {&d.val, &d.key, &d.kdec, &d.craw, &d.ccopy};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        ad_jbuf_free(bufs[i]);
    ad_jdom_free(&d.dom);
    ad_jdom_free(&d.cdom);
    ad_vics_conv_free(&d.conv);
    free(d.context);
    return rc;
}
