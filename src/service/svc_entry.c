/* svc_entry.c: list entries after a match: a platform's feedback (confirmed, false positive),
 * the list owner's review of its entries (feedback and holds) and the release of an entry held
 * back by the hold rule (docs/server.md, "Feedback", "Held-back entries"). */
#include <stdio.h>
#include <string.h>

#include "svc_internal.h"

static int on_grant(void *ctx, const ad_list_grant *g)
{
    (void)g;
    *(int *)ctx = 1;
    return 1;
}

ad_code ad_svc_feedback(const ad_call *c, const char *entry, const char *verdict, json_t **out,
                        ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_FEEDBACK, 0, err);
    int64_t list = 0, media = 0, fp = 0, ok = 0;
    int granted = c->id && c->id->local;
    if (rc == AD_OK)
        rc = ad_svc_entry_parse(entry, &list, &media, err);
    /* (an agency of 0 would list every agency's grants: a caller without one has none) */
    if (rc == AD_OK && !granted && c->id && c->id->agency_id > 0)
        rc = ad_store_list_grants(c->st, list, c->id->agency_id, on_grant, &granted, err);
    /* an entry of a list not granted is as unknown as one that does not exist */
    if (rc == AD_OK && !granted)
        rc = ad_err_field(err, AD_ERR_NOT_FOUND, "entry", "no entry %s in the lists granted to "
                          "your agency", entry);
    if (rc == AD_OK) {
        rc = ad_store_entry_feedback(c->st, list, media, verdict, &fp, &ok, err);
        if (rc == AD_ERR_NOT_FOUND)
            ad_err_field(err, rc, "entry", "no entry %s in the lists granted to your agency",
                         entry);
    }
    json_t *doc = NULL;
    if (rc == AD_OK)
        doc = json_pack("{s:s, s:s, s:I, s:I, s:b}", "entry", entry, "verdict", verdict,
                        "false_positives", (json_int_t)fp, "confirmations", (json_int_t)ok,
                        "flagged", fp > ok && fp >= AD_ENTRY_FLAG_MIN);
    return ad_svc_done(rc, doc, out);
}

struct list_of {
    int64_t agency;
    char name[256];
};

static int on_list(void *ctx, const ad_list *l)
{
    struct list_of *o = ctx;
    o->agency = l->agency_id ? l->agency_id : -1;
    snprintf(o->name, sizeof o->name, "%s", l->name ? l->name : "");
    return 0;
}

/* The list named by key, checked as the caller's agency's (admins). */
static ad_code owned_list(const ad_call *c, const char *key, int64_t *id, struct list_of *o,
                          ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_ADMIN, 0, err);
    if (rc == AD_OK)
        rc = ad_svc_find_list(c, key, "list", id, err);
    if (rc == AD_OK)
        rc = ad_store_list_get(c->st, *id, on_list, o, err);
    if (rc == AD_OK)
        rc = ad_svc_check(c, AD_ACT_ADMIN, o->agency, err);
    return rc;
}

ad_code ad_svc_entry_release(const ad_call *c, const char *list, const char *entry, json_t **out,
                             ad_err *err)
{
    int64_t id = 0, el = 0, media = 0;
    struct list_of o = {0, ""};
    ad_code rc = owned_list(c, list, &id, &o, err);
    if (rc == AD_OK)
        rc = ad_svc_entry_parse(entry, &el, &media, err);
    if (rc == AD_OK && el != id)
        rc = ad_err_field(err, AD_ERR_NOT_FOUND, "entry", "entry %s is not of list %s", entry,
                          o.name);
    if (rc == AD_OK) {
        rc = ad_store_entry_release(c->st, id, media, err);
        if (rc != AD_OK && err)
            snprintf(err->field, sizeof err->field, "entry");
    }
    json_t *doc = NULL;
    if (rc == AD_OK)
        doc = json_pack("{s:s, s:s, s:b}", "list", o.name, "entry", entry, "held", 0);
    return ad_svc_done(rc, doc, out);
}

static int on_review(void *ctx, const ad_entry_review *r)
{
    char entry[48];
    ad_svc_entry_id(r->list_id, r->media_id, entry, sizeof entry);
    json_t *o = json_object();
    json_object_set_new(o, "entry", json_string(entry));
    json_object_set_new(o, "sha256", ad_json_hex(r->sha256, 32, r->has_sha256));
    json_object_set_new(o, "false_positives", json_integer(r->false_positives));
    json_object_set_new(o, "confirmations", json_integer(r->confirmations));
    json_object_set_new(o, "flagged", json_boolean(r->false_positives > r->confirmations &&
                                                   r->false_positives >= AD_ENTRY_FLAG_MIN));
    json_object_set_new(o, "held", json_boolean(r->held));
    json_object_set_new(o, "held_since", r->held ? ad_json_time(r->held_since) : json_null());
    json_object_set_new(o, "released", ad_json_time(r->released));
    ad_json_set_text(o, "reason", r->reason, NULL);
    json_array_append_new(ctx, o);
    return 0;
}

ad_code ad_svc_list_review(const ad_call *c, const char *list, json_t **out, ad_err *err)
{
    int64_t id = 0;
    struct list_of o = {0, ""};
    ad_code rc = owned_list(c, list, &id, &o, err);
    json_t *entries = json_array();
    if (rc == AD_OK)
        rc = ad_store_entry_review(c->st, id, on_review, entries, err);
    json_t *doc = NULL;
    if (rc == AD_OK)
        doc = json_pack("{s:s, s:I, s:o}", "list", o.name, "list_id", (json_int_t)id, "entries",
                        entries);
    else
        json_decref(entries);
    return ad_svc_done(rc, doc, out);
}
