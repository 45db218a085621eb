/* classify.c: what a media is, per the architecture's table: known-unidentified (in a series with
 * an unidentified victim, or whose victims are not on record), known-identified (in series whose
 * victims are all identified), ignorable (known non-pertinent), known-unseriesed, or new. */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

const char *ad_class_name(ad_class c)
{
    switch (c) {
    case AD_CLASS_NEW:
        return "new";
    case AD_CLASS_KNOWN_UNIDENTIFIED:
        return "known-unidentified";
    case AD_CLASS_KNOWN_IDENTIFIED:
        return "known-identified";
    case AD_CLASS_KNOWN_UNSERIESED:
        return "known-unseriesed";
    case AD_CLASS_IGNORABLE:
        return "ignorable";
    }
    return "unknown";
}

typedef struct {
    ad_classification *out;
    unsigned flags;
} cls_ctx;

static void take_series(ad_classification *o, const ad_series *s)
{
    o->series_id = s->id;
    snprintf(o->series_name, sizeof o->series_name, "%s", s->name ? s->name : "");
    o->owner_agency_id = s->owner_agency_id;
    snprintf(o->owner_agency, sizeof o->owner_agency, "%s",
             s->owner_agency_name ? s->owner_agency_name : "");
    snprintf(o->contact, sizeof o->contact, "%s", s->contact ? s->contact : "");
    o->victims = (int)s->victims;
    o->victims_unidentified = (int)s->victims_unidentified;
}

ad_class ad_series_class(const ad_series *s, unsigned media_flags)
{
    int unidentified = s->victims_unidentified > 0 ||
                       (s->victims == 0 && !(media_flags & AD_MEDIA_VICTIM_IDENTIFIED));
    return unidentified ? AD_CLASS_KNOWN_UNIDENTIFIED : AD_CLASS_KNOWN_IDENTIFIED;
}

/* Per series: unidentified wins over identified; the first such series decides. */
static int on_series(void *p, const ad_series *s)
{
    cls_ctx *c = p;
    if (ad_series_class(s, c->flags) == AD_CLASS_KNOWN_UNIDENTIFIED) {
        c->out->cls = AD_CLASS_KNOWN_UNIDENTIFIED;
        take_series(c->out, s);
        return 1;
    }
    if (!c->out->series_id) {
        c->out->cls = AD_CLASS_KNOWN_IDENTIFIED;
        take_series(c->out, s);
    }
    return 0;
}

static int on_media(void *p, const ad_media *m)
{
    *(unsigned *)p = m->flags;
    return 0;
}

static ad_code classify(ad_store *st, int64_t media_id, ad_classification *out, ad_err *err)
{
    unsigned flags = 0;
    ad_code rc = ad_store_media_get(st, media_id, on_media, &flags, NULL);
    if (rc != AD_OK)
        return AD_OK; /* new */
    out->media_id = media_id;
    out->cls = AD_CLASS_KNOWN_UNSERIESED;
    cls_ctx c = {out, flags};
    if ((rc = ad_store_media_series(st, media_id, on_series, &c, err)) != AD_OK)
        return rc;
    if (out->series_id)
        return AD_OK;
    int64_t ignorable = 0;
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT COUNT(*) FROM trusted_category WHERE media_id = ? AND"
                            " ((scheme = 'vics-us' AND code = '0') OR (scheme = 'dhs' AND"
                            " code = '5'))",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, media_id);
    if ((rc = ad_db_int(s, &ignorable, err)) != AD_OK)
        return rc;
    if (ignorable || (flags & AD_MEDIA_IGNORABLE))
        out->cls = AD_CLASS_IGNORABLE;
    else if (flags & AD_MEDIA_VICTIM_IDENTIFIED)
        out->cls = AD_CLASS_KNOWN_IDENTIFIED;
    return AD_OK;
}

static int on_survivor(void *p, const ad_series *s)
{
    ad_classification *o = p;
    int64_t from = o->series_id;
    char name[256];
    snprintf(name, sizeof name, "%s", o->series_name);
    int v = o->victims, vu = o->victims_unidentified;
    take_series(o, s);
    o->victims = v, o->victims_unidentified = vu; /* the class stays the linked series' */
    o->merged_from_id = from;
    snprintf(o->merged_from, sizeof o->merged_from, "%s", name);
    return 1;
}

/* A decided series merged into another is named by its survivor (docs/federation.md
 * "Merging two series"): series, owner and contact are the survivor's. */
static ad_code survivor(ad_store *st, ad_classification *out, ad_err *err)
{
    int64_t sv = 0;
    ad_code rc = out->series_id ? ad_store_series_survivor(st, out->series_id, &sv, err) : AD_OK;
    if (rc == AD_OK && sv && sv != out->series_id)
        rc = ad_store_series_row(st, sv, on_survivor, out, err);
    return rc;
}

ad_code ad_store_classify(ad_store *st, int64_t media_id, ad_classification *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    out->cls = AD_CLASS_NEW;
    ad_code rc = ad_store_begin_read(st, err);
    if (rc != AD_OK)
        return rc;
    if (media_id > 0)
        rc = classify(st, media_id, out, err);
    if (rc == AD_OK)
        rc = survivor(st, out, err);
    rc = ad_store_auditr(st, rc, "media.classify", "media", media_id, err, "%s series=%lld",
                         ad_class_name(out->cls), (long long)out->series_id);
    return ad_store_finish_read(st, rc, err);
}
