/* vics_read.c: the streaming VICS reader. It walks the envelope ({"odata.metadata" |
 * "@odata.context", "odata.count", "value": [...]}) and case objects with the tokenizer of
 * json_stream.c, and hands each Media record's bytes to jansson, so memory is bounded by one
 * record whatever the file size. Version, profile and form come from the context URL; when the
 * form is not known, an element with a "Media" array is a case, otherwise a Media record. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "json_stream.h"
#include "vics_media.h"
#include "xinternal.h"

typedef struct vrd {
    ad_xread r;
    ad_jstream js;
    ad_jbuf val, key;
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

/* Reads `"key":` into d->key. */
static ad_code read_key(vrd *d, ad_err *err)
{
    uint64_t line = d->js.line;
    ad_code rc = ad_js_string(&d->js, &d->key, 4096, err);
    if (rc != AD_OK)
        return js_fail(d, line, rc, err);
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

/* One Media record whose bytes are in d->val, starting at `line`. */
static ad_code one_media(vrd *d, json_t *obj, uint64_t line, const char *case_id, ad_err *err)
{
    uint64_t rec = d->r.st.records + d->r.st.bad + 1;
    ad_code rc;
    json_error_t je;
    if (!obj) {
        obj = json_loadb(d->val.p, d->val.len, 0, &je);
        if (!obj) {
            char detail[256];
            snprintf(detail, sizeof detail, "invalid JSON at line %llu: %s",
                     (unsigned long long)(line + (je.line > 0 ? (uint64_t)je.line - 1 : 0)),
                     je.text);
            return ad_xread_bad(&d->r, rec, line, "(json)", AD_ERR_PARSE, detail, err);
        }
    }
    ad_xmedia m;
    ad_err e;
    rc = ad_vics_media_from_json(&d->conv, obj, &m, &e);
    if (rc != AD_OK) {
        rc = ad_xread_bad(&d->r, rec, line, d->conv.field, rc, e.msg, err);
    } else {
        m.record = rec;
        m.line = line;
        m.case_id = case_id;
        rc = ad_xread_emit(&d->r, &m, err);
    }
    json_decref(obj);
    return rc;
}

static ad_code capture(vrd *d, int keep, ad_err *err)
{
    uint64_t line = d->js.line;
    ad_code rc = ad_js_capture(&d->js, &d->val, d->r.max_record, keep, err);
    return rc == AD_OK ? AD_OK : js_fail(d, line, rc, err);
}

/* The elements of an array, each handed to fn. */
static ad_code array_each(vrd *d, ad_code (*fn)(vrd *, void *, ad_err *), void *arg, ad_err *err)
{
    ad_code rc = expect(d, '[', "'['", err);
    if (rc != AD_OK || ad_js_accept(&d->js, ']'))
        return rc;
    for (;;) {
        if ((rc = fn(d, arg, err)) != AD_OK)
            return rc;
        if (ad_js_accept(&d->js, ']'))
            return AD_OK;
        if ((rc = expect(d, ',', "',' or ']'", err)) != AD_OK)
            return rc;
    }
}

static ad_code media_elem(vrd *d, void *case_id, ad_err *err)
{
    ad_js_peek(&d->js);
    uint64_t line = d->js.line;
    ad_code rc = capture(d, 1, err);
    return rc != AD_OK ? rc : one_media(d, NULL, line, case_id, err);
}

/* A case object (or, when the form is unknown, an element that turns out to be Media): members
 * other than "Media" are parsed one by one and kept; "Media" is streamed. */
static ad_code case_elem(vrd *d, void *unused, ad_err *err)
{
    (void)unused;
    ad_js_peek(&d->js);
    uint64_t line = d->js.line;
    ad_code rc = expect(d, '{', "'{' (a case object)", err);
    if (rc != AD_OK)
        return rc;
    json_t *obj = json_object();
    ad_xcase c;
    ad_xcase_init(&c);
    int saw_media = 0;
    ad_err e;
    if (!obj)
        return ad_err_set(err, AD_ERR_NOMEM, "no memory");
    if (ad_js_accept(&d->js, '}'))
        goto done;
    for (;;) {
        if ((rc = read_key(d, err)) != AD_OK)
            goto out;
        if (strcmp(d->key.p, "Media") == 0 && ad_js_peek(&d->js) == '[') {
            if (!saw_media) {
                saw_media = 1;
                d->r.st.cases++;
                if (ad_vics_case_from_json(&d->conv, obj, &c, &e) != AD_OK) {
                    rc = ad_xread_fatal(&d->r, line, AD_ERR_PARSE, e.msg, err);
                    goto out;
                }
                if (d->r.sink->begin_case &&
                    (rc = d->r.sink->begin_case(d->r.ctx, &c, err)) != AD_OK)
                    goto out;
            }
            /* the CaseID string stays alive in obj while the Media stream */
            const char *cid = json_string_value(json_object_get(obj, "CaseID"));
            uint64_t before = d->r.st.records + d->r.st.bad;
            if ((rc = array_each(d, media_elem, (void *)cid, err)) != AD_OK)
                goto out;
            c.media_count += d->r.st.records + d->r.st.bad - before;
        } else {
            if ((rc = capture(d, 1, err)) != AD_OK)
                goto out;
            json_error_t je;
            json_t *v = json_loadb(d->val.p, d->val.len, JSON_DECODE_ANY, &je);
            if (!v) {
                char detail[256];
                snprintf(detail, sizeof detail, "member \"%s\": invalid JSON: %s", d->key.p,
                         je.text);
                rc = ad_xread_fatal(&d->r, d->js.line, AD_ERR_PARSE, detail, err);
                goto out;
            }
            json_object_set_new(obj, d->key.p, v);
        }
        if (ad_js_accept(&d->js, '}'))
            break;
        if ((rc = expect(d, ',', "',' or '}'", err)) != AD_OK)
            goto out;
    }
done:
    if (!saw_media && d->info.form != AD_VICS_CASES)
        return one_media(d, obj, line, NULL, err); /* takes obj */
    if (!saw_media) {
        d->r.st.cases++;
        if (d->r.sink->begin_case) {
            if (ad_vics_case_from_json(&d->conv, obj, &c, &e) != AD_OK) {
                rc = ad_xread_fatal(&d->r, line, AD_ERR_PARSE, e.msg, err);
                goto out;
            }
            if ((rc = d->r.sink->begin_case(d->r.ctx, &c, err)) != AD_OK)
                goto out;
        }
    }
    if (ad_vics_case_from_json(&d->conv, obj, &c, &e) != AD_OK)
        rc = ad_xread_fatal(&d->r, line, AD_ERR_PARSE, e.msg, err);
    else if (d->r.sink->end_case)
        rc = d->r.sink->end_case(d->r.ctx, &c, err);
out:
    json_decref(obj);
    return rc;
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
    int v2 = strcmp(d->key.p, "@odata.context") == 0;
    int is_ctx = v2 || strcmp(d->key.p, "odata.metadata") == 0;
    ad_code rc = capture(d, 1, err);
    if (rc != AD_OK)
        return rc;
    json_t *v = json_loadb(d->val.p, d->val.len, JSON_DECODE_ANY, NULL);
    if (is_ctx && json_is_string(v)) {
        free(d->context);
        d->context = strdup(json_string_value(v));
        if (!d->context)
            rc = ad_err_set(err, AD_ERR_NOMEM, "no memory");
        else
            parse_context(&d->info, d->context, v2);
    } else if (!is_ctx) {
        int64_t n = -1;
        if (json_is_integer(v))
            n = json_integer_value(v);
        else if (json_is_string(v))
            ad_x_parse_count(json_string_value(v), json_string_length(v), &n, NULL);
        d->info.declared_count = n; /* informative only; never checked against the records */
    }
    json_decref(v);
    return rc;
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
            const char *k = d->key.p;
            if (strcmp(k, "value") == 0) {
                saw_value = 1;
                rc = value_array(d, err);
            } else if (strcmp(k, "@odata.context") == 0 || strcmp(k, "odata.metadata") == 0 ||
                       strcmp(k, "@odata.count") == 0 || strcmp(k, "odata.count") == 0) {
                rc = envelope_scalar(d, err);
            } else {
                rc = capture(d, 0, err); /* unknown member: skipped, whatever its size */
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
    ad_xread_finish(&d.r);
    ad_js_close(&d.js);
    ad_jbuf_free(&d.val);
    ad_jbuf_free(&d.key);
    ad_vics_conv_free(&d.conv);
    free(d.context);
    return rc;
}
