/* agency.c: agencies and users; API keys are random, shown once, stored as a salted BLAKE2b
 * hash (libsodium) and checked in constant time. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ariadne/util.h"
#include "store_int.h"

static const char *const role_names[AD_ROLE__COUNT] = {"admin", "investigator", "analyst",
                                                       "platform", "auditor"};

const char *ad_role_name(ad_role r)
{
    return (unsigned)r < AD_ROLE__COUNT ? role_names[r] : "unknown";
}

ad_code ad_role_parse(const char *s, ad_role *out, ad_err *err)
{
    for (int i = 0; i < AD_ROLE__COUNT; i++)
        if (s && !strcmp(s, role_names[i])) {
            *out = (ad_role)i;
            return AD_OK;
        }
    return ad_err_set(err, AD_ERR_ARG,
                      "unknown role '%s' (admin, investigator, analyst, platform, auditor)",
                      s ? s : "");
}

int ad_agency_kind_valid(const char *k)
{
    static const char *const kinds[] = {"police", "hotline", "platform", "hub"};
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(k, kinds[i]))
            return 1;
    return 0;
}

ad_code ad_store_agency_add(ad_store *st, const ad_agency *a, int64_t *id, ad_err *err)
{
    const char *kind = a->kind ? a->kind : "police";
    if (!a->name || !*a->name)
        return ad_err_set(err, AD_ERR_ARG, "agency name is empty");
    if (!ad_agency_kind_valid(kind))
        return ad_err_set(err, AD_ERR_ARG,
                          "unknown agency kind '%s' (police, hotline, "
                          "platform, hub)",
                          kind);
    int64_t existing;
    if (ad_store_agency_find(st, a->name, &existing, NULL) == AD_OK)
        return ad_err_set(err, AD_ERR_EXISTS, "agency '%s' exists (id %lld)", a->name,
                          (long long)existing);
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "INSERT INTO agency (name, country, kind, created)"
                             " VALUES (?, ?, ?, ?) RETURNING id",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    int64_t nid = 0;
    ad_bind_text(s, 1, a->name);
    ad_bind_text_opt(s, 2, a->country);
    ad_bind_text(s, 3, kind);
    ad_bind_int(s, 4, ad_store_time());
    rc = ad_db_int(s, &nid, err);
    rc =
        ad_store_auditf(st, rc, "agency.add", "agency", nid, err, "name=%s kind=%s", a->name, kind);
    if (rc == AD_OK && id)
        *id = nid;
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_agency_find(ad_store *st, const char *id_or_name, int64_t *id, ad_err *err)
{
    return ad_store_find_id(st, "SELECT id FROM agency WHERE id = ?",
                            "SELECT id FROM agency WHERE name = ?", "agency", id_or_name, id, err);
}

ad_code ad_store_agency_list(ad_store *st, ad_agency_fn fn, void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT id, name, country, kind, created FROM agency"
                            " ORDER BY id",
                            err);
    if (!s)
        return AD_ECODE(err);
    int k;
    while ((k = ad_step(s, err)) > 0) {
        ad_agency a = {ad_col_int(s, 0), ad_col_text(s, 1), ad_col_text(s, 2), ad_col_text(s, 3),
                       ad_col_int(s, 4)};
        if (fn(ctx, &a))
            break;
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

/* API key: "ak_" + key id (8 hex) + "_" + secret (64 hex). */
#define KEY_ID_BYTES 4
#define KEY_SECRET_BYTES 32

static void key_digest(const uint8_t salt[16], const char *secret, uint8_t out[32])
{
    crypto_generichash(out, 32, (const uint8_t *)secret, strlen(secret), salt, 16);
}

ad_code ad_store_user_add(ad_store *st, int64_t agency_id, const char *name, ad_role role,
                          int64_t *id, char key_out[AD_API_KEY_MAX], ad_err *err)
{
    if (!name || !*name)
        return ad_err_set(err, AD_ERR_ARG, "user name is empty");
    if ((unsigned)role >= AD_ROLE__COUNT)
        return ad_err_set(err, AD_ERR_ARG, "bad role");
    if (sodium_init() < 0)
        return ad_err_set(err, AD_ERR_INTERNAL, "libsodium failed to start");
    int64_t existing;
    if (ad_store_user_find(st, name, &existing, NULL) == AD_OK)
        return ad_err_set(err, AD_ERR_EXISTS, "user '%s' exists (id %lld)", name,
                          (long long)existing);
    uint8_t kid[KEY_ID_BYTES], secret[KEY_SECRET_BYTES], salt[16], hash[32];
    char kid_hex[2 * KEY_ID_BYTES + 1], sec_hex[2 * KEY_SECRET_BYTES + 1];
    randombytes_buf(kid, sizeof kid);
    randombytes_buf(secret, sizeof secret);
    randombytes_buf(salt, sizeof salt);
    ad_hex_encode(kid, sizeof kid, kid_hex);
    ad_hex_encode(secret, sizeof secret, sec_hex);
    key_digest(salt, sec_hex, hash);
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "INSERT INTO users (agency_id, name, role, key_id, key_salt,"
                             " key_hash, created) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    int64_t nid = 0;
    ad_bind_int(s, 1, agency_id);
    ad_bind_text(s, 2, name);
    ad_bind_text(s, 3, ad_role_name(role));
    ad_bind_text(s, 4, kid_hex);
    ad_bind_blob(s, 5, salt, 16);
    ad_bind_blob(s, 6, hash, 32);
    ad_bind_int(s, 7, ad_store_time());
    rc = ad_db_int(s, &nid, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no agency %lld", (long long)agency_id);
    rc = ad_store_auditf(st, rc, "user.add", "user", nid, err, "name=%s role=%s agency=%lld key=%s",
                         name, ad_role_name(role), (long long)agency_id, kid_hex);
    rc = ad_store_finish(st, rc, err);
    if (rc == AD_OK) {
        if (id)
            *id = nid;
        snprintf(key_out, AD_API_KEY_MAX, "ak_%s_%s", kid_hex, sec_hex);
    }
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(sec_hex, sizeof sec_hex);
    return rc;
}

ad_code ad_store_user_find(ad_store *st, const char *id_or_name, int64_t *id, ad_err *err)
{
    return ad_store_find_id(st, "SELECT id FROM users WHERE id = ?",
                            "SELECT id FROM users WHERE name = ?", "user", id_or_name, id, err);
}

#define USER_COLS                                                                                  \
    "SELECT u.id, u.agency_id, a.name, u.name, u.role, u.key_id, u.created, u.revoked,"            \
    " u.key_salt, u.key_hash, u.expires FROM users u JOIN agency a ON a.id = u.agency_id "

static void user_row(ad_stmt *s, ad_user *u)
{
    u->id = ad_col_int(s, 0);
    u->agency_id = ad_col_int(s, 1);
    u->agency_name = ad_col_text(s, 2);
    u->name = ad_col_text(s, 3);
    ad_role_parse(ad_col_text(s, 4), &u->role, NULL);
    u->key_id = ad_col_text(s, 5);
    u->created = ad_col_int(s, 6);
    u->revoked = ad_col_int(s, 7);
    u->expires = ad_col_int(s, 10);
}

ad_code ad_store_user_list(ad_store *st, ad_user_fn fn, void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, USER_COLS "ORDER BY u.id", err);
    if (!s)
        return AD_ECODE(err);
    int k;
    while ((k = ad_step(s, err)) > 0) {
        ad_user u;
        user_row(s, &u);
        if (fn(ctx, &u))
            break;
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_user_get(ad_store *st, int64_t user_id, ad_user_fn fn, void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, USER_COLS "WHERE u.id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, user_id);
    int k = ad_step(s, err);
    if (k > 0) {
        ad_user u;
        user_row(s, &u);
        fn(ctx, &u);
    }
    ad_db_done(s);
    if (k == 0)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no user %lld", (long long)user_id);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_user_revoke(ad_store *st, int64_t user_id, ad_err *err)
{
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "UPDATE users SET revoked = ? WHERE id = ? AND revoked = 0"
                             " RETURNING id",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_int(s, 1, ad_store_time());
    ad_bind_int(s, 2, user_id);
    rc = ad_db_int(s, NULL, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no active user %lld", (long long)user_id);
    rc = ad_store_auditf(st, rc, "user.revoke", "user", user_id, err, NULL);
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_user_set_expires(ad_store *st, int64_t user_id, int64_t expires, ad_err *err)
{
    if (expires < 0)
        return ad_err_set(err, AD_ERR_ARG, "an expiry is a time (or 0 for never)");
    ad_stmt *s;
    ad_code rc = ad_store_op(st, "UPDATE users SET expires = ? WHERE id = ? RETURNING id", &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_int(s, 1, expires);
    ad_bind_int(s, 2, user_id);
    rc = ad_db_int(s, NULL, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no user %lld", (long long)user_id);
    char when[32];
    rc = ad_store_auditf(st, rc, "user.expires", "user", user_id, err, "expires=%s",
                         expires ? ad_time_iso(expires, when) : "never");
    return ad_store_finish(st, rc, err);
}

static int keep_identity(void *ctx, const ad_user *u)
{
    ad_identity_of_user(ctx, u);
    return 0;
}

ad_code ad_store_identity_auth(ad_store *st, const char *api_key, ad_identity *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    return ad_store_user_auth(st, api_key, keep_identity, out, err);
}

/* Whether api_key has the form of a key ("ak_" + key id + "_" + secret); else an error. */
static ad_code key_form(const char *api_key, ad_err *err)
{
    size_t klen = api_key ? strlen(api_key) : 0;
    if (sodium_init() < 0)
        return ad_err_set(err, AD_ERR_INTERNAL, "libsodium failed to start");
    if (klen != 3 + 2 * KEY_ID_BYTES + 1 + 2 * KEY_SECRET_BYTES || strncmp(api_key, "ak_", 3) ||
        api_key[3 + 2 * KEY_ID_BYTES] != '_')
        return ad_err_set(err, AD_ERR_PERM, "not an API key");
    return AD_OK;
}

/* The key check itself (api_key has the form of a key): *ok says whether the key is valid and
 * not revoked (fn then called), *uid is the user of the key id (0 when none has it). Reads only;
 * the secret is compared in constant time. */
static ad_code key_check(ad_store *st, const char *api_key, ad_user_fn fn, void *ctx, int *ok,
                         int64_t *uid, char kid[2 * KEY_ID_BYTES + 1], ad_err *err)
{
    *ok = 0;
    *uid = 0;
    memcpy(kid, api_key + 3, 2 * KEY_ID_BYTES);
    kid[2 * KEY_ID_BYTES] = 0;
    const char *secret = api_key + 3 + 2 * KEY_ID_BYTES + 1;
    ad_stmt *s = ad_db_stmt(st->db, USER_COLS "WHERE u.key_id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, kid);
    int k = ad_step(s, err);
    if (k > 0) {
        size_t ns, nh;
        const uint8_t *salt = ad_col_blob(s, 8, &ns);
        const uint8_t *hash = ad_col_blob(s, 9, &nh);
        uint8_t h[32];
        if (salt && hash && ns == 16 && nh == 32) {
            key_digest(salt, secret, h);
            *ok = sodium_memcmp(h, hash, 32) == 0;
        }
        ad_user u;
        user_row(s, &u);
        *uid = u.id;
        if (*ok && (u.revoked || (u.expires && ad_store_time() >= u.expires)))
            *ok = 0;
        if (*ok && fn)
            fn(ctx, &u);
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_user_auth(ad_store *st, const char *api_key, ad_user_fn fn, void *ctx, ad_err *err)
{
    char kid[2 * KEY_ID_BYTES + 1];
    int ok;
    int64_t uid;
    ad_code rc = key_form(api_key, err);
    if (rc != AD_OK)
        return rc;
    rc = ad_store_begin_read(st, err);
    if (rc != AD_OK)
        return rc;
    rc = key_check(st, api_key, fn, ctx, &ok, &uid, kid, err);
    if (rc != AD_OK)
        return ad_store_finish_read(st, rc, err);
    rc = ad_store_auditr(st, AD_OK, ok ? "user.auth" : "user.auth_failed", uid ? "user" : NULL, uid,
                         err, "key=%s", kid);
    rc = ad_store_finish_read(st, rc, err);
    if (rc == AD_OK && !ok)
        rc = ad_err_set(err, AD_ERR_PERM, "API key refused");
    return rc;
}

ad_code ad_store_user_key_check(ad_store *st, const char *api_key, ad_user_fn fn, void *ctx,
                                ad_err *err)
{
    char kid[2 * KEY_ID_BYTES + 1];
    int ok;
    int64_t uid;
    ad_code rc = key_form(api_key, err);
    if (rc == AD_OK)
        rc = key_check(st, api_key, fn, ctx, &ok, &uid, kid, err);
    if (rc == AD_OK && !ok)
        rc = ad_err_set(err, AD_ERR_PERM, "API key refused");
    return rc;
}
