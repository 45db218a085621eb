/* svc_user.c: an agency's users and their API keys (admins of that agency; the local operator
 * any agency): add a user with a role (its key is in the answer, once), list them, revoke a key,
 * set when a key expires. `ariadne user ...` and /v1/admin/users call these. */
#include <string.h>

#include <sodium.h>

#include "svc_internal.h"

static json_t *user_json(const ad_user *u)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(u->id));
    ad_json_set_text(o, "name", u->name, NULL);
    ad_json_set_text(o, "agency", u->agency_name, NULL);
    json_object_set_new(o, "role", json_string(ad_role_name(u->role)));
    ad_json_set_text(o, "key_id", u->key_id, NULL);
    json_object_set_new(o, "created", ad_json_time(u->created));
    json_object_set_new(o, "revoked", ad_json_time(u->revoked));
    json_object_set_new(o, "expires", ad_json_time(u->expires));
    return o;
}

struct users {
    const ad_call *c;
    json_t *list;
};

static int on_user(void *ctx, const ad_user *u)
{
    struct users *x = ctx;
    if (ad_svc_own(x->c, u->agency_id))
        json_array_append_new(x->list, user_json(u));
    return 0;
}

ad_code ad_svc_user_list(const ad_call *c, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_ADMIN, 0, err);
    if (rc != AD_OK)
        return rc;
    struct users x = {c, json_array()};
    rc = ad_store_user_list(c->st, on_user, &x, err);
    json_t *doc = rc == AD_OK ? json_pack("{s:o}", "users", x.list) : NULL;
    if (!doc)
        json_decref(x.list);
    return ad_svc_done(rc, doc, out);
}

static int on_agency_of(void *ctx, const ad_user *u)
{
    *(int64_t *)ctx = u->agency_id;
    return 0;
}

/* The user named by key (id or name), if the caller administers its agency. */
static ad_code find_user(const ad_call *c, const char *key, int64_t *id, ad_err *err)
{
    if (!key || !*key)
        return ad_err_field(err, AD_ERR_ARG, "user", "no user named");
    ad_code rc = ad_store_user_find(c->st, key, id, err);
    if (rc != AD_OK) {
        if (err)
            strcpy(err->field, "user");
        return rc;
    }
    int64_t agency_id = 0;
    rc = ad_store_user_get(c->st, *id, on_agency_of, &agency_id, err);
    if (rc == AD_ERR_NOT_FOUND)
        rc = ad_err_field(err, AD_ERR_NOT_FOUND, "user", "no user %s", key);
    if (rc == AD_OK)
        rc = ad_svc_check(c, AD_ACT_ADMIN, agency_id ? agency_id : -1, err);
    return rc;
}

struct agname {
    int64_t id;
    json_t *doc;
};

static int on_agency(void *ctx, const ad_agency *a)
{
    struct agname *an = ctx;
    if (a->id == an->id)
        ad_json_set_text(an->doc, "agency", a->name, NULL);
    return 0;
}

ad_code ad_svc_user_add(const ad_call *c, const char *name, const char *agency, const char *role,
                        int64_t expires, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_ADMIN, 0, err);
    if (rc != AD_OK)
        return rc;
    ad_role r;
    int64_t aid = c->id->agency_id, id = 0;
    if (!name || !*name)
        return ad_err_field(err, AD_ERR_ARG, "name", "a user needs a name");
    if (ad_role_parse(role, &r, err) != AD_OK) {
        strcpy(err->field, "role");
        return AD_ERR_ARG;
    }
    if (expires < 0)
        return ad_err_field(err, AD_ERR_ARG, "expires", "an expiry is a time, or 0 for never");
    if (agency && *agency) {
        rc = ad_svc_find_agency(c, agency, "agency", &aid, err);
        if (rc == AD_OK)
            rc = ad_svc_check(c, AD_ACT_ADMIN, aid, err);
        if (rc != AD_OK)
            return rc;
    }
    if (!aid)
        return ad_err_field(err, AD_ERR_ARG, "agency", "a user belongs to an agency: name it");
    char key[AD_API_KEY_MAX];
    /* the user and its expiry land together or not at all */
    rc = ad_store_begin(c->st, err);
    if (rc != AD_OK)
        return rc;
    rc = ad_store_user_add(c->st, aid, name, r, &id, key, err);
    if (rc == AD_OK && expires)
        rc = ad_store_user_set_expires(c->st, id, expires, err);
    if (rc == AD_OK)
        rc = ad_store_commit(c->st, err);
    else
        ad_store_rollback(c->st, NULL);
    if (rc == AD_ERR_EXISTS && err)
        strcpy(err->field, "name");
    json_t *doc = NULL;
    if (rc == AD_OK) {
        doc = json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)id, "name", name, "role",
                        ad_role_name(r), "api_key", key, "expires", ad_json_time(expires));
        struct agname an = {aid, doc};
        ad_store_agency_list(c->st, on_agency, &an, NULL);
    }
    sodium_memzero(key, sizeof key);
    return ad_svc_done(rc, doc, out);
}

ad_code ad_svc_user_revoke(const ad_call *c, const char *user, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_ADMIN, 0, err);
    int64_t id = 0;
    if (rc == AD_OK)
        rc = find_user(c, user, &id, err);
    if (rc == AD_OK)
        rc = ad_store_user_revoke(c->st, id, err);
    json_t *doc = NULL;
    if (rc == AD_OK)
        doc = json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", "revoked");
    return ad_svc_done(rc, doc, out);
}

ad_code ad_svc_user_expires(const ad_call *c, const char *user, int64_t expires, json_t **out,
                            ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_ADMIN, 0, err);
    int64_t id = 0;
    if (rc == AD_OK && expires < 0)
        rc = ad_err_field(err, AD_ERR_ARG, "expires", "an expiry is a time, or null for never");
    if (rc == AD_OK)
        rc = find_user(c, user, &id, err);
    if (rc == AD_OK)
        rc = ad_store_user_set_expires(c->st, id, expires, err);
    json_t *doc = NULL;
    if (rc == AD_OK)
        doc = json_pack("{s:I, s:o}", "id", (json_int_t)id, "expires", ad_json_time(expires));
    return ad_svc_done(rc, doc, out);
}
