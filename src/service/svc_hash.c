/* svc_hash.c: an upload hashed in memory (POST /v1/hash): digests, type, PDQ with its quality
 * and 8 dihedral forms for images, vPDQ for videos (decoded from the buffer through FFmpeg's
 * custom I/O: no file is written, nothing is stored), and with match the platform's matches
 * (as ad_svc_match) or, for investigators, the lookup's class, series, owner and contact. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/lookup.h"
#include "ariadne/pdq.h"
#include "ariadne/vpdq.h"
#include "svc_internal.h"

static json_t *h256_json(const ad_h256 *h)
{
    char hex[65];
    return json_string(ad_h256_format(h, hex));
}

/* The platform's hashes of the upload, matched as ad_svc_match would. */
static ad_code match_upload(const ad_call *c, const ad_file_hash *fh, const ad_vpdq_video *v,
                            json_t *doc, ad_err *err)
{
    ad_match_hash q[5];
    size_t n = 0;
    memset(q, 0, sizeof q);
    q[n].type = AD_MATCH_MD5;
    memcpy(q[n++].digest, fh->digests.md5, 16);
    q[n].type = AD_MATCH_SHA1;
    memcpy(q[n++].digest, fh->digests.sha1, 20);
    q[n].type = AD_MATCH_SHA256;
    memcpy(q[n++].digest, fh->digests.sha256, 32);
    if (fh->has_pdq && fh->pdq.quality >= 50) {
        q[n].type = AD_MATCH_PDQ;
        q[n].radius = AD_MATCH_RADIUS_MAX;
        q[n].npdq = fh->pdq.has_dihedral ? 8 : 1;
        if (fh->pdq.has_dihedral)
            memcpy(q[n].pdq, fh->pdq.dihedral, sizeof q[n].pdq);
        else
            q[n].pdq[0] = fh->pdq.hash;
        n++;
    }
    int *quality = NULL;
    ad_h256 *frames = NULL;
    if (v && v->n) {
        frames = malloc(v->n * sizeof *frames);
        quality = malloc(v->n * sizeof *quality);
        if (!frames || !quality) {
            free(frames);
            free(quality);
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < v->n; i++) {
            frames[i] = v->frames[i].hash;
            quality[i] = v->frames[i].quality;
        }
        q[n].type = AD_MATCH_VPDQ;
        q[n].radius = AD_MATCH_RADIUS_MAX;
        q[n].min_pct = 80;
        q[n].frames = frames;
        q[n].quality = quality;
        q[n++].nframes = v->n;
    }
    json_t *res = NULL;
    ad_code rc = ad_svc_check(c, AD_ACT_MATCH, 0, err);
    if (rc == AD_OK)
        rc = ad_svc_match_hashes(c, q, n, &res, err);
    free(frames);
    free(quality);
    if (rc != AD_OK)
        return rc;
    /* one list of entries, each once (its best distance first found: exact before PDQ) */
    json_t *all = json_array(), *seen = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(res, "results"), i, r)
    {
        size_t k;
        json_t *m;
        json_array_foreach(json_object_get(r, "matches"), k, m)
        {
            const char *e = json_string_value(json_object_get(m, "entry"));
            if (!e || json_object_get(seen, e))
                continue;
            json_object_set_new(seen, e, json_true());
            json_t *x = json_deep_copy(m);
            json_object_set_new(x, "by", json_string(i == 0   ? "md5"
                                                     : i == 1 ? "sha1"
                                                     : i == 2 ? "sha256"
                                                     : q[i].type == AD_MATCH_PDQ ? "pdq"
                                                                                 : "vpdq"));
            json_array_append_new(all, x);
        }
    }
    json_decref(seen);
    json_decref(res);
    json_object_set_new(doc, "matches", all);
    return AD_OK;
}

/* An investigator's lookup of the upload: the class as triage decides it. */
static ad_code lookup_upload(const ad_call *c, const ad_file_hash *fh, json_t *doc, ad_err *err)
{
    ad_code rc = ad_svc_check(c, AD_ACT_READ_SHARED, 0, err);
    if (rc != AD_OK)
        return rc;
    ad_lookup_query q;
    ad_lookup_query_init(&q);
    q.has_sha256 = q.has_md5 = q.has_sha1 = 1;
    memcpy(q.sha256, fh->digests.sha256, 32);
    memcpy(q.md5, fh->digests.md5, 16);
    memcpy(q.sha1, fh->digests.sha1, 20);
    ad_lookup_query_file(&q, fh); /* its PDQ forms, trimmed and area PDQs (issue 13) */
    ad_lookup_opts o;
    ad_lookup_opts_default(&o);
    o.max_neighbours = 0;
    ad_lookup_result res;
    memset(&res, 0, sizeof res);
    if (c->live)
        ad_live_read_lock(c->live);
    rc = ad_lookup(c->st, c->live ? ad_live_index(c->live) : NULL, &q, &o, &res, err);
    if (c->live)
        ad_live_read_unlock(c->live);
    if (rc == AD_OK) {
        const ad_classification *d = &res.decided;
        json_t *l = json_object();
        json_object_set_new(l, "class", json_string(ad_class_name(res.cls)));
        json_object_set_new(l, "media_id", res.media_id ? json_integer(res.media_id)
                                                        : json_null());
        ad_json_set_text(l, "series", d->series_id ? d->series_name : NULL, NULL);
        ad_json_set_text(l, "owner", d->owner_agency_id ? d->owner_agency : NULL, NULL);
        ad_json_set_text(l, "contact", d->contact[0] ? d->contact : NULL, NULL);
        json_object_set_new(doc, "lookup", l);
    }
    ad_lookup_result_free(&res);
    return rc;
}

ad_code ad_svc_hash_buffer(const ad_call *c, const uint8_t *data, size_t len, int match,
                           json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_HASH, 0, err);
    if (rc != AD_OK)
        return rc;
    if (!data || len == 0)
        return ad_err_set(err, AD_ERR_EMPTY, "the upload is empty");
    ad_hasher *h = c->hasher;
    if (!h) {
        ad_hash_opts ho;
        ad_hash_opts_default(&ho);
        ho.dihedral = 1;
        ho.more = 1;
        if ((rc = ad_hasher_new(&h, &ho, err)) != AD_OK)
            return rc;
    }
    ad_file_hash fh;
    memset(&fh, 0, sizeof fh);
    rc = ad_hasher_buffer(h, data, len, &fh, err);
    ad_vpdq_video v;
    memset(&v, 0, sizeof v);
    int video = rc == AD_OK && fh.type == AD_MEDIA_VIDEO;
    if (video) /* decoded from the buffer itself (FFmpeg custom I/O): no file */
        rc = ad_vpdq_hash_memory(data, len, NULL, &v, err);
    json_t *doc = NULL;
    if (rc == AD_OK) {
        doc = json_object();
        json_object_set_new(doc, "size", json_integer((json_int_t)fh.size));
        json_object_set_new(doc, "type", json_string(ad_media_type_name(fh.type)));
        json_object_set_new(doc, "mime", json_string(fh.mime));
        json_object_set_new(doc, "md5", ad_json_hex(fh.digests.md5, 16, 1));
        json_object_set_new(doc, "sha1", ad_json_hex(fh.digests.sha1, 20, 1));
        json_object_set_new(doc, "sha256", ad_json_hex(fh.digests.sha256, 32, 1));
        json_object_set_new(doc, "pdq", fh.has_pdq ? h256_json(&fh.pdq.hash) : json_null());
        json_object_set_new(doc, "quality", fh.has_pdq ? json_integer(fh.pdq.quality)
                                                       : json_null());
        json_t *dih = json_array();
        for (int k = 0; fh.has_pdq && fh.pdq.has_dihedral && k < AD_PDQ_NVARIANTS; k++)
            json_array_append_new(dih, h256_json(&fh.pdq.dihedral[k]));
        json_object_set_new(doc, "dihedral", fh.has_pdq && fh.pdq.has_dihedral ? dih
                                                                                : json_null());
        if (!(fh.has_pdq && fh.pdq.has_dihedral))
            json_decref(dih);
        json_t *frames = json_array();
        for (size_t i = 0; i < v.n; i++)
            json_array_append_new(frames, json_pack("{s:I, s:i, s:o, s:f}", "frame",
                                                    (json_int_t)v.frames[i].frame_number,
                                                    "quality", v.frames[i].quality, "pdq",
                                                    h256_json(&v.frames[i].hash), "timestamp",
                                                    v.frames[i].timestamp));
        json_object_set_new(doc, "vpdq", video ? frames : json_null());
        if (!video)
            json_decref(frames);
    }
    if (rc == AD_OK && match)
        rc = c->id && c->id->role == AD_ROLE_PLATFORM ? match_upload(c, &fh, &v, doc, err)
                                                      : lookup_upload(c, &fh, doc, err);
    if (rc == AD_OK && !match) {
        char detail[64];
        snprintf(detail, sizeof detail, "size=%zu type=%s", len, ad_media_type_name(fh.type));
        rc = ad_store_audit_read(c->st, "upload.hash", NULL, detail, err);
    }
    ad_vpdq_video_free(&v);
    if (!c->hasher)
        ad_hasher_free(h);
    return ad_svc_done(rc, doc, out);
}
