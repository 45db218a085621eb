/* svc_list.c: lists and their grants (admins of the list's agency): which lists a platform
 * agency matches against; the agency's lists with their grants (the admin page's list of
 * lists), and a new list. */
#include <stdio.h>
#include <string.h>

#include "svc_internal.h"

struct list_info {
    json_t *doc;
    int64_t agency_id;
};

static int on_list(void *ctx, const ad_list *l)
{
    struct list_info *li = ctx;
    li->agency_id = l->agency_id;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(l->id));
    ad_json_set_text(o, "name", l->name, NULL);
    ad_json_set_text(o, "description", l->description, NULL);
    ad_json_set_text(o, "source", l->source, NULL);
    json_object_set_new(o, "agency_id", l->agency_id ? json_integer(l->agency_id) : json_null());
    json_object_set_new(o, "entries", json_integer(l->entries));
    json_object_set_new(o, "created", ad_json_time(l->created));
    li->doc = o;
    return 0;
}

/* The list's record and the agency holding it (-1: none). */
static ad_code get_list(const ad_call *c, const char *key, int64_t *id, struct list_info *li,
                        ad_err *err)
{
    ad_code rc = ad_svc_find_list(c, key, "list", id, err);
    if (rc == AD_OK)
        rc = ad_store_list_get(c->st, *id, on_list, li, err);
    if (rc == AD_OK && !li->agency_id)
        li->agency_id = -1;
    return rc;
}

static int on_grant(void *ctx, const ad_list_grant *g)
{
    json_t *o = json_object();
    json_object_set_new(o, "agency_id", json_integer(g->agency_id));
    ad_json_set_text(o, "agency", g->agency_name, NULL);
    json_object_set_new(o, "granted", ad_json_time(g->granted));
    ad_json_set_text(o, "granted_by", g->granted_by, NULL);
    json_array_append_new(ctx, o);
    return 0;
}

ad_code ad_svc_list_show(const ad_call *c, const char *list, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_ADMIN, 0, err);
    int64_t id = 0;
    struct list_info li = {NULL, 0};
    if (rc == AD_OK)
        rc = get_list(c, list, &id, &li, err);
    if (rc == AD_OK)
        rc = ad_svc_check(c, AD_ACT_ADMIN, li.agency_id, err);
    json_t *grants = json_array();
    if (rc == AD_OK)
        rc = ad_store_list_grants(c->st, id, 0, on_grant, grants, err);
    if (li.doc)
        json_object_set_new(li.doc, "grants", grants);
    else
        json_decref(grants);
    return ad_svc_done(rc, li.doc, out);
}

ad_code ad_svc_list_grant(const ad_call *c, const char *list, const char *agency, int grant,
                          json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_ADMIN, 0, err);
    int64_t id = 0, aid = 0;
    struct list_info li = {NULL, 0};
    if (rc == AD_OK)
        rc = get_list(c, list, &id, &li, err);
    if (rc == AD_OK)
        rc = ad_svc_check(c, AD_ACT_ADMIN, li.agency_id, err);
    if (rc == AD_OK)
        rc = ad_svc_find_agency(c, agency, "agency", &aid, err);
    if (rc == AD_OK)
        rc = grant ? ad_store_list_grant(c->st, id, aid, err)
                   : ad_store_list_revoke(c->st, id, aid, err);
    json_t *doc = NULL;
    if (rc == AD_OK)
        doc = json_pack("{s:I, s:O, s:I, s:b}", "list_id", (json_int_t)id, "list",
                        json_object_get(li.doc, "name"), "agency_id", (json_int_t)aid, "granted",
                        grant);
    json_decref(li.doc);
    return ad_svc_done(rc, doc, out);
}

struct lists {
    const ad_call *c;
    json_t *lists; /* the caller's agency's lists, by id (text) */
    json_t *order;
};

static int on_own_list(void *ctx, const ad_list *l)
{
    struct lists *ls = ctx;
    if (!ad_svc_own(ls->c, l->agency_id))
        return 0;
    struct list_info li = {NULL, 0};
    on_list(&li, l);
    json_object_set_new(li.doc, "grants", json_array());
    char k[24];
    snprintf(k, sizeof k, "%lld", (long long)l->id);
    json_object_set(ls->lists, k, li.doc);
    json_array_append_new(ls->order, li.doc);
    return 0;
}

static int on_any_grant(void *ctx, const ad_list_grant *g)
{
    struct lists *ls = ctx;
    char k[24];
    snprintf(k, sizeof k, "%lld", (long long)g->list_id);
    json_t *l = json_object_get(ls->lists, k);
    return l ? on_grant(json_object_get(l, "grants"), g) : 0;
}

ad_code ad_svc_list_list(const ad_call *c, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_ADMIN, c->id ? c->id->agency_id : 0, err);
    struct lists ls = {c, json_object(), json_array()};
    if (rc == AD_OK)
        rc = ad_store_list_list(c->st, on_own_list, &ls, err);
    if (rc == AD_OK)
        rc = ad_store_list_grants(c->st, 0, 0, on_any_grant, &ls, err);
    json_decref(ls.lists);
    json_t *doc = NULL;
    if (rc == AD_OK)
        doc = json_pack("{s:o}", "lists", ls.order);
    else
        json_decref(ls.order);
    return ad_svc_done(rc, doc, out);
}

ad_code ad_svc_list_create(const ad_call *c, const char *name, const char *description,
                           json_t **out, ad_err *err)
{
    int64_t agency = c->id ? c->id->agency_id : 0, id = 0;
    ad_code rc = ad_svc_start(c, AD_ACT_ADMIN, agency, err);
    if (rc == AD_OK && (!name || !*name || strlen(name) > 200))
        rc = ad_err_field(err, AD_ERR_ARG, "name", "a list's name is 1 to 200 bytes");
    if (rc == AD_OK && ad_store_list_find(c->st, name, &id, NULL) == AD_OK)
        rc = ad_err_field(err, AD_ERR_EXISTS, "name", "a list named '%s' exists already", name);
    if (rc == AD_OK) {
        ad_list l = {.name = name, .description = description, .source = "web",
                     .agency_id = agency};
        rc = ad_store_list_ensure(c->st, &l, &id, err);
    }
    struct list_info li = {NULL, 0};
    if (rc == AD_OK)
        rc = ad_store_list_get(c->st, id, on_list, &li, err);
    if (rc == AD_OK)
        json_object_set_new(li.doc, "grants", json_array());
    return ad_svc_done(rc, li.doc, out);
}
