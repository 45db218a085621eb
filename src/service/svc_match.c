/* svc_match.c: platforms match hashes against the lists granted to their agency (POST
 * /v1/match): the request's parser (ad_match_request_parse) and ad_svc_match, which searches
 * the live index and answers list entries only: list name, entry id, distance, the form that
 * matched; never a media record, a series or anything else. Entries newly held back by the
 * hold rule are recorded in the store (every server follows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/h256.h"
#include "ariadne/json.h"
#include "ariadne/pdq.h"
#include "ariadne/util.h"
#include "ariadne/vpdq.h"
#include "svc_internal.h"

void ad_match_request_free(ad_match_request *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].frames);
        free(r->v[i].quality);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

static ad_code bad(ad_err *err, ad_code code, size_t i, const char *member, const char *msg)
{
    char field[64];
    if (member)
        snprintf(field, sizeof field, "/hashes/%zu/%s", i, member);
    else
        snprintf(field, sizeof field, "/hashes/%zu", i);
    return ad_err_field(err, code, field, "hashes[%zu]: %s", i, msg);
}

static ad_code hex_member(const json_t *v, size_t i, const char *member, uint8_t *out, size_t n,
                          ad_err *err)
{
    const char *s = json_string_value(v);
    char msg[96];
    if (!s || strlen(s) != 2 * n || ad_hex_decode(s, 2 * n, out, n, NULL) != AD_OK) {
        snprintf(msg, sizeof msg, "%s must be %zu hex digits", member, 2 * n);
        return bad(err, AD_ERR_ARG, i, member, msg);
    }
    return AD_OK;
}

/* An integer member in [lo, hi], or def when absent. */
static ad_code int_member(const json_t *h, size_t i, const char *member, int lo, int hi, int def,
                          int *out, ad_err *err)
{
    const json_t *v = json_object_get(h, member);
    if (!v) {
        *out = def;
        return AD_OK;
    }
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be an integer from %d to %d", member, lo, hi);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return bad(err, AD_ERR_ARG, i, member, msg);
    *out = (int)json_integer_value(v);
    return AD_OK;
}

/* A vPDQ file's text ("frame,quality,hex,timestamp" lines, as the reference and `ariadne vpdq`
 * write them) as the query's frames. */
static ad_code parse_text(const json_t *t, size_t i, ad_match_hash *h, size_t *total,
                          ad_err *err)
{
    ad_vpdq_video v;
    memset(&v, 0, sizeof v);
    ad_err e;
    if (ad_vpdq_parse(json_string_value(t), json_string_length(t), &v, &e) != AD_OK) {
        ad_vpdq_video_free(&v);
        char msg[200];
        snprintf(msg, sizeof msg, "text is no vPDQ frame list: %s", e.msg);
        return bad(err, AD_ERR_ARG, i, "text", msg);
    }
    ad_code rc = AD_OK;
    if (v.n == 0)
        rc = bad(err, AD_ERR_ARG, i, "text", "text has no frames");
    else if ((*total += v.n) > AD_MATCH_MAX_FRAMES)
        rc = ad_err_field(err, AD_ERR_LIMIT, "/hashes",
                          "more than %d vPDQ frames in one request", AD_MATCH_MAX_FRAMES);
    else if (!(h->frames = malloc(v.n * sizeof *h->frames)) ||
             !(h->quality = malloc(v.n * sizeof *h->quality)))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    for (size_t k = 0; rc == AD_OK && k < v.n; k++) {
        h->frames[k] = v.frames[k].hash;
        h->quality[k] = v.frames[k].quality;
    }
    if (rc == AD_OK)
        h->nframes = v.n;
    ad_vpdq_video_free(&v);
    return rc;
}

static ad_code parse_frames(const json_t *fr, size_t i, ad_match_hash *h, size_t *total,
                            ad_err *err)
{
    size_t n = json_array_size(fr);
    if (!json_is_array(fr) || n == 0)
        return bad(err, AD_ERR_ARG, i, "frames", "frames must be a non-empty array");
    if ((*total += n) > AD_MATCH_MAX_FRAMES)
        return ad_err_field(err, AD_ERR_LIMIT, "/hashes", "more than %d vPDQ frames in one request",
                            AD_MATCH_MAX_FRAMES);
    h->frames = malloc(n * sizeof *h->frames);
    h->quality = malloc(n * sizeof *h->quality);
    if (!h->frames || !h->quality)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    h->nframes = n;
    for (size_t k = 0; k < n; k++) {
        const json_t *f = json_array_get(fr, k);
        const json_t *q = json_object_get(f, "quality");
        char member[48];
        snprintf(member, sizeof member, "frames/%zu/pdq", k);
        ad_code rc = hex_member(json_object_get(f, "pdq"), i, member, h->frames[k].b, 32, err);
        if (rc != AD_OK)
            return rc;
        snprintf(member, sizeof member, "frames/%zu/quality", k);
        if (!json_is_integer(q) || json_integer_value(q) < 0 || json_integer_value(q) > 100)
            return bad(err, AD_ERR_ARG, i, member, "a frame's quality is an integer 0 to 100");
        h->quality[k] = (int)json_integer_value(q);
    }
    return AD_OK;
}

/* The members each type takes. */
static ad_code check_members(const json_t *h, size_t i, const char *const *allowed, ad_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)h, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, key);
        if (!ok) {
            char msg[160];
            snprintf(msg, sizeof msg, "'%.60s' does not apply to this type of hash", key);
            return bad(err, AD_ERR_ARG, i, key, msg);
        }
    }
    return AD_OK;
}

static ad_code parse_one(const json_t *j, size_t i, ad_match_hash *h, size_t *frames, ad_err *err)
{
    static const char *const digest_m[] = {"type", "value", NULL};
    static const char *const pdq_m[] = {"type", "value", "dihedral", "radius", NULL};
    static const char *const vpdq_m[] = {"type", "frames", "text", "radius", "min_pct", NULL};
    if (!json_is_object(j))
        return bad(err, AD_ERR_ARG, i, NULL, "a hash is an object");
    const char *type = json_string_value(json_object_get(j, "type"));
    ad_code rc;
    if (!type)
        return bad(err, AD_ERR_ARG, i, "type", "type is md5, sha1, sha256, pdq or vpdq");
    if (!strcmp(type, "md5") || !strcmp(type, "sha1") || !strcmp(type, "sha256")) {
        h->type = type[1] == 'd' ? AD_MATCH_MD5 : type[3] == '1' ? AD_MATCH_SHA1 : AD_MATCH_SHA256;
        size_t n = h->type == AD_MATCH_MD5 ? 16 : h->type == AD_MATCH_SHA1 ? 20 : 32;
        if ((rc = check_members(j, i, digest_m, err)) != AD_OK)
            return rc;
        return hex_member(json_object_get(j, "value"), i, "value", h->digest, n, err);
    }
    if (!strcmp(type, "pdq")) {
        h->type = AD_MATCH_PDQ;
        if ((rc = check_members(j, i, pdq_m, err)) != AD_OK ||
            (rc = int_member(j, i, "radius", 0, AD_MATCH_RADIUS_MAX, AD_MATCH_RADIUS_MAX,
                             &h->radius, err)) != AD_OK)
            return rc;
        const json_t *v = json_object_get(j, "value"), *d = json_object_get(j, "dihedral");
        if (!v == !d)
            return bad(err, AD_ERR_ARG, i, v ? "dihedral" : "value",
                       "a PDQ hash has a value (one hash) or dihedral (its 8 forms), one of them");
        if (v) {
            h->npdq = 1;
            return hex_member(v, i, "value", h->pdq[0].b, 32, err);
        }
        if (!json_is_array(d) || json_array_size(d) != 8)
            return bad(err, AD_ERR_ARG, i, "dihedral",
                       "dihedral is the 8 forms of a file's PDQ, the original first");
        h->npdq = 8;
        for (size_t k = 0; k < 8; k++) {
            char member[24];
            snprintf(member, sizeof member, "dihedral/%zu", k);
            if ((rc = hex_member(json_array_get(d, k), i, member, h->pdq[k].b, 32, err)) != AD_OK)
                return rc;
        }
        return AD_OK;
    }
    if (!strcmp(type, "vpdq")) {
        h->type = AD_MATCH_VPDQ;
        if ((rc = check_members(j, i, vpdq_m, err)) != AD_OK ||
            (rc = int_member(j, i, "radius", 0, AD_MATCH_RADIUS_MAX, AD_MATCH_RADIUS_MAX,
                             &h->radius, err)) != AD_OK ||
            (rc = int_member(j, i, "min_pct", 1, 100, 80, &h->min_pct, err)) != AD_OK)
            return rc;
        const json_t *fr = json_object_get(j, "frames"), *tx = json_object_get(j, "text");
        if (!fr == !tx)
            return bad(err, AD_ERR_ARG, i, fr ? "text" : "frames",
                       "a vPDQ hash has frames or text (a vPDQ file's lines), one of them");
        return fr ? parse_frames(fr, i, h, frames, err) : parse_text(tx, i, h, frames, err);
    }
    return bad(err, AD_ERR_ARG, i, "type", "type is md5, sha1, sha256, pdq or vpdq");
}

ad_code ad_match_request_parse(const json_t *body, ad_match_request *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    const json_t *hs = json_object_get(body, "hashes");
    if (!json_is_object(body) || !json_is_array(hs))
        return ad_err_field(err, AD_ERR_ARG, "/hashes", "the body is {\"hashes\": [...]}");
    size_t n = json_array_size(hs);
    if (n == 0)
        return ad_err_field(err, AD_ERR_ARG, "/hashes", "no hashes to match");
    if (n > AD_MATCH_MAX_HASHES)
        return ad_err_field(err, AD_ERR_LIMIT, "/hashes", "%zu hashes: at most %d in one request",
                            n, AD_MATCH_MAX_HASHES);
    if (!(out->v = calloc(n, sizeof *out->v)))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    out->n = n;
    size_t frames = 0;
    for (size_t i = 0; i < n; i++) {
        ad_code rc = parse_one(json_array_get(hs, i), i, &out->v[i], &frames, err);
        if (rc != AD_OK) {
            ad_match_request_free(out);
            return rc;
        }
    }
    return AD_OK;
}

/* ---- matching --------------------------------------------------------------------------- */

void ad_svc_entry_id(int64_t list_id, int64_t media_id, char *out, size_t cap)
{
    snprintf(out, cap, "%lld:%lld", (long long)list_id, (long long)media_id);
}

ad_code ad_svc_entry_parse(const char *text, int64_t *list_id, int64_t *media_id, ad_err *err)
{
    long long l = 0, m = 0;
    int used = 0;
    if (!text || sscanf(text, "%lld:%lld%n", &l, &m, &used) != 2 || text[used] || l <= 0 ||
        m <= 0 || !strchr("0123456789", text[0]))
        return ad_err_field(err, AD_ERR_ARG, "entry",
                            "an entry is named LIST:MEDIA, as a match gives it");
    *list_id = l;
    *media_id = m;
    return AD_OK;
}

/* The answer's text as it is written. */
typedef struct text {
    char *p;
    size_t n, cap;
    int oom;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->n + n > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->n + n)
            cap *= 2;
        char *p = t->oom ? NULL : realloc(t->p, cap);
        if (!p) {
            t->oom = 1;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
}

#define PUT(t, lit) put(t, lit, sizeof(lit) - 1)

/* v in decimal at out (at most 20 bytes); its length. */
static size_t dec(char *out, unsigned long long v)
{
    char d[20];
    size_t k = sizeof d;
    do
        d[--k] = (char)('0' + v % 10);
    while ((v /= 10));
    memcpy(out, d + k, sizeof d - k);
    return sizeof d - k;
}

/* A whole number in decimal. */
static void put_int(text *t, long long v)
{
    char d[24];
    size_t k = 0;
    if (v < 0)
        d[k++] = '-';
    k += dec(d + k, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v);
    put(t, d, k);
}

/* A list's name as a JSON string (ad_json_string), kept per thread for the next answers: a
 * platform's matches name the same few lists over and over. */
static void put_list_name(text *t, ad_live *lv, int64_t list_id)
{
    static _Thread_local struct {
        char raw[128];
        char json[6 * 128 + 3]; /* every byte escaped, quoted */
        size_t len;
    } last;
    char raw[128] = "";
    ad_live_list(lv, list_id, raw, sizeof raw, NULL);
    if (!last.len || strcmp(raw, last.raw)) {
        char *json = NULL;
        size_t len = 0;
        FILE *o = open_memstream(&json, &len);
        if (o)
            ad_json_string(o, raw, strlen(raw));
        if (!o || fclose(o) != 0 || len > sizeof last.json) {
            free(json);
            t->oom = 1;
            return;
        }
        memcpy(last.json, json, len);
        free(json);
        last.len = len;
        memcpy(last.raw, raw, sizeof raw);
    }
    put(t, last.json, last.len);
}

/* One match: {"list", "entry", "distance", "variant"[, "frames", "pct"]}. */
static void hit_text(text *t, ad_live *lv, const ad_match_hash *h, const ad_live_hit *x)
{
    PUT(t, "{\"list\":");
    put_list_name(t, lv, x->list_id);
    PUT(t, ",\"entry\":\"");
    put_int(t, x->list_id);
    PUT(t, ":");
    put_int(t, x->media_id);
    PUT(t, "\",\"distance\":");
    put_int(t, x->distance);
    PUT(t, ",\"variant\":");
    if (h->type == AD_MATCH_PDQ && x->variant >= 0 && x->variant < AD_PDQ_NVARIANTS) {
        PUT(t, "\"");
        put(t, ad_pdq_variant_names[x->variant], strlen(ad_pdq_variant_names[x->variant]));
        PUT(t, "\"");
    } else {
        PUT(t, "null");
    }
    if (h->type == AD_MATCH_VPDQ) {
        PUT(t, ",\"frames\":");
        put_int(t, x->frames);
        PUT(t, ",\"pct\":");
        put_int(t, x->used ? x->frames * 100 / x->used : 0);
    }
    PUT(t, "}");
}

/* The matches of n hashes as the answer's text, written straight from the hits (no JSON tree:
 * building, writing and freeing one was a fifth of a one-hash request's time); the newly held
 * entries recorded; one read event. */
static ad_code match_text(const ad_call *c, const ad_match_hash *v, size_t n, char **out,
                          size_t *len, ad_err *err)
{
    *out = NULL;
    *len = 0;
    if (!c->live)
        return ad_err_set(err, AD_ERR_IO, "the live index is not loaded yet: try again");
    int64_t agency = c->id ? c->id->agency_id : 0;
    ad_live_hits held = {0};
    ad_live_hits *hits = calloc(n ? n : 1, sizeof *hits);
    size_t matched = 0;
    ad_code rc = hits ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    /* one hash (the common request) needs no batch's bookkeeping */
    if (rc == AD_OK)
        rc = n == 1 ? ad_live_match(c->live, agency, v, hits, &held, err)
                    : ad_live_match_batch(c->live, agency, v, n, hits, &held, err);
    text t = {0};
    PUT(&t, "{\"results\":[");
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        if (i)
            PUT(&t, ",");
        PUT(&t, "{\"matches\":[");
        for (size_t k = 0; k < hits[i].n; k++) {
            if (k)
                PUT(&t, ",");
            hit_text(&t, c->live, &v[i], &hits[i].v[k]);
        }
        PUT(&t, "]}");
        matched += hits[i].n;
    }
    PUT(&t, "]}");
    if (rc == AD_OK && t.oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    *out = t.p;
    *len = t.n;
    /* entries the rule has just held back: recorded, so that every server leaves them out */
    for (size_t k = 0; k < held.n && rc == AD_OK; k++) {
        char reason[96];
        snprintf(reason, sizeof reason, "rate: matched far over its baseline (agency %lld)",
                 (long long)agency);
        rc = ad_store_entry_hold(c->st, held.v[k].list_id, held.v[k].media_id, reason, err);
    }
    if (rc == AD_OK) {
        char detail[96]; /* "hashes=N matches=N held=N" (no printf on the hot path) */
        size_t k = 0;
        memcpy(detail, "hashes=", 7);
        k = 7 + dec(detail + 7, n);
        memcpy(detail + k, " matches=", 9);
        k += 9 + dec(detail + k + 9, matched);
        memcpy(detail + k, " held=", 6);
        k += 6 + dec(detail + k + 6, held.n);
        detail[k] = 0;
        rc = ad_store_audit_read(c->st, "platform.match", NULL, detail, err);
    }
    for (size_t i = 0; hits && i < n; i++)
        ad_live_hits_free(&hits[i]);
    free(hits);
    ad_live_hits_free(&held);
    if (rc != AD_OK) {
        free(*out);
        *out = NULL;
        *len = 0;
    }
    return rc;
}

ad_code ad_svc_match_hashes(const ad_call *c, const ad_match_hash *v, size_t n, json_t **out,
                            ad_err *err)
{
    *out = NULL;
    char *text;
    size_t len;
    ad_code rc = match_text(c, v, n, &text, &len, err);
    if (rc != AD_OK)
        return rc;
    json_error_t je;
    *out = json_loadb(text, len, 0, &je);
    free(text);
    return *out ? AD_OK : ad_err_set(err, AD_ERR_INTERNAL, "the match answer: %s", je.text);
}

ad_code ad_svc_match_text(const ad_call *c, const ad_match_request *r, char **out, size_t *len,
                          ad_err *err)
{
    *out = NULL;
    *len = 0;
    ad_code rc = ad_svc_start(c, AD_ACT_MATCH, 0, err);
    if (rc != AD_OK)
        return rc;
    return match_text(c, r->v, r->n, out, len, err);
}

ad_code ad_svc_match(const ad_call *c, const ad_match_request *r, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_MATCH, 0, err);
    if (rc != AD_OK)
        return rc;
    return ad_svc_match_hashes(c, r->v, r->n, out, err);
}
