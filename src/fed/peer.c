/* peer.c: the peers this instance trusts, each by its Ed25519 public key, with its scope
 * (national: authors its own change sets; hub: also relays other origins' ones) and the origin
 * UUID bound to that key once its first change set has been verified. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

static int name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr("-_.", s[i])))
            return 0;
    return 1;
}

ad_code ad_fed_peer_add(ad_store *st, const ad_fed_peer *p, int64_t *id, ad_err *err)
{
    uint8_t pk[32];
    const char *scope = p->scope ? p->scope : "national";
    if (!name_ok(p->name))
        return ad_err_field(err, AD_ERR_ARG, "name",
                            "a peer's name is 1 to 64 letters, digits, '-', '_' or '.'");
    if (!p->pubkey || strlen(p->pubkey) != 64 || ad_hex_decode(p->pubkey, 64, pk, 32, NULL))
        return ad_err_field(err, AD_ERR_ARG, "key",
                            "a peer's key is its Ed25519 public key, 64 hex digits "
                            "('ariadne instance show' on the peer prints it)");
    if (strcmp(scope, "national") && strcmp(scope, "hub"))
        return ad_err_field(err, AD_ERR_ARG, "scope", "scope is national or hub, not '%s'", scope);
    if (p->url && strncmp(p->url, "http://", 7) && strncmp(p->url, "https://", 8) &&
        strcmp(p->url, "-"))
        return ad_err_field(err, AD_ERR_ARG, "url",
                            "a peer's URL starts with http:// or https:// ('-' for none)");
    char hex[AD_FED_PUBKEY_HEX + 1], own[AD_FED_PUBKEY_HEX + 1];
    ad_hex_encode(pk, 32, hex);
    ad_code rc = ad_store_begin(st, err);
    if (rc == AD_OK)
        rc = ad_fed_own(st, NULL, own, err);
    if (rc == AD_OK && !strcmp(own, hex))
        rc = ad_err_set(err, AD_ERR_ARG, "that key is this instance's own");
    if (rc == AD_OK) {
        ad_stmt *s = ad_db_stmt(st->db,
                                "INSERT INTO fed_peer (name, url, pubkey, scope, origin, added)"
                                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                                err);
        if (!s) {
            rc = AD_ECODE(err);
        } else {
            ad_bind_text(s, 1, p->name);
            ad_bind_text_opt(s, 2, p->url && strcmp(p->url, "-") ? p->url : NULL);
            ad_bind_text(s, 3, hex);
            ad_bind_text(s, 4, scope);
            ad_bind_text_opt(s, 5, p->origin);
            ad_bind_int(s, 6, ad_store_time());
            rc = ad_db_int(s, id, err);
            if (rc != AD_OK && (strstr(err->msg, "UNIQUE") || strstr(err->msg, "unique")))
                rc = ad_err_set(err, AD_ERR_EXISTS, "a peer with that name or key exists");
        }
    }
    rc = ad_store_auditf(st, rc, "peer.add", "peer", rc == AD_OK ? *id : 0, err,
                         "name=%s scope=%s key=%s", p->name, scope, hex);
    return ad_store_finish(st, rc, err);
}

ad_code ad_fed_peer_remove(ad_store *st, const char *name, ad_err *err)
{
    int64_t id = 0;
    ad_code rc = ad_store_begin(st, err);
    if (rc == AD_OK) {
        ad_stmt *s = ad_db_stmt(st->db, "DELETE FROM fed_peer WHERE name = ? RETURNING id", err);
        if (!s) {
            rc = AD_ECODE(err);
        } else {
            ad_bind_text(s, 1, name);
            rc = ad_db_int(s, &id, err);
            if (rc == AD_ERR_NOT_FOUND)
                ad_err_set(err, rc, "no peer '%s'", name);
        }
    }
    rc = ad_store_auditf(st, rc, "peer.remove", "peer", id, err, "name=%s", name);
    return ad_store_finish(st, rc, err);
}

ad_code ad_fed_peer_list(ad_store *st, ad_fed_peer_fn fn, void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT id, name, url, pubkey, scope, origin, added FROM fed_peer"
                            " ORDER BY name",
                            err);
    if (!s)
        return AD_ECODE(err);
    int k;
    while ((k = ad_step(s, err)) > 0) {
        ad_fed_peer p = {ad_col_int(s, 0),  ad_col_text(s, 1), ad_col_text(s, 2), ad_col_text(s, 3),
                         ad_col_text(s, 4), ad_col_text(s, 5), ad_col_int(s, 6)};
        if (fn(ctx, &p))
            break;
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

/* A peer by name (by_key 0) or public key: its id, scope and bound origin; *found 0 if none. */
ad_code ad_fed_peer_find(ad_store *st, const char *what, int by_key, ad_fed_peer_row *p, int *found,
                         ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            by_key ? "SELECT id, scope, origin FROM fed_peer WHERE pubkey = ?"
                                   : "SELECT id, scope, origin FROM fed_peer WHERE name = ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, what);
    int k = ad_step(s, err);
    memset(p, 0, sizeof *p);
    if (k > 0) {
        p->peer_id = ad_col_int(s, 0);
        ad_col_copy(s, 1, p->scope, sizeof p->scope);
        ad_col_copy(s, 2, p->origin, sizeof p->origin);
    }
    ad_db_done(s);
    *found = k > 0;
    return k < 0 ? (ad_code)-k : AD_OK;
}
