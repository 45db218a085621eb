/* peer.c: the peers this instance trusts, each by its Ed25519 public key, with its scope
 * (national: authors its own change sets; hub: also relays other origins' ones), the origin
 * UUID bound to that key once its first change set has been verified, and its policy: the
 * record kinds sent to it and accepted from it (docs/federation.md "Policy per peer"). */
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

ad_code ad_fed_kinds_parse(const char *csv, unsigned *mask, ad_err *err)
{
    *mask = 0;
    const char *p = csv ? csv : "";
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char k[16];
        int i = 0;
        if (n > 0 && n < sizeof k) {
            memcpy(k, p, n);
            k[n] = 0;
            i = ad_fed_kind_known(k);
        }
        if (!i)
            return ad_err_set(
                err, AD_ERR_ARG,
                "'%.*s' is no record kind: the kinds are media, series, link, "
                "person, vote, note, clue, merge, unlink (custody, cases and private notes "
                "are never shared)",
                (int)(n > 40 ? 40 : n), p);
        *mask |= 1u << (i - 1);
        p += n + (e ? 1 : 0);
    }
    return AD_OK;
}

const char *ad_fed_kinds_format(unsigned mask, char *buf)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < AD_FED_KINDS; i++)
        if (mask & (1u << i))
            o += (size_t)sprintf(buf + o, "%s%s", o ? "," : "", ad_fed_kind_name(i));
    return buf;
}

unsigned ad_fed_kinds_col(ad_stmt *s, int col)
{
    unsigned m = AD_FED_KINDS_ALL;
    if (!ad_col_null(s, col) && ad_fed_kinds_parse(ad_col_text(s, col), &m, NULL) != AD_OK)
        m = 0; /* unreadable: nothing (never more than was set) */
    return m;
}

/* A mask as the column holds it: NULL for every kind. buf (64 bytes) must outlive the
 * statement's run: the text is bound without a copy. */
static void bind_kinds(ad_stmt *s, int i, unsigned mask, char *buf)
{
    ad_bind_text_opt(s, i, mask == AD_FED_KINDS_ALL ? NULL : ad_fed_kinds_format(mask, buf));
}

static ad_code kinds_arg(const char *csv, const char *field, unsigned *mask, ad_err *err)
{
    *mask = AD_FED_KINDS_ALL;
    if (!csv)
        return AD_OK;
    ad_code rc = ad_fed_kinds_parse(csv, mask, err);
    if (rc != AD_OK)
        snprintf(err->field, sizeof err->field, "%s", field);
    return rc;
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
    unsigned send, accept;
    ad_code rc = kinds_arg(p->send_kinds, "send", &send, err);
    if (rc == AD_OK)
        rc = kinds_arg(p->accept_kinds, "accept", &accept, err);
    if (rc != AD_OK)
        return rc;
    char hex[AD_FED_PUBKEY_HEX + 1], own[AD_FED_PUBKEY_HEX + 1], sk[64], ak[64];
    ad_hex_encode(pk, 32, hex);
    rc = ad_store_begin(st, err);
    if (rc == AD_OK)
        rc = ad_fed_own(st, NULL, own, err);
    if (rc == AD_OK && !strcmp(own, hex))
        rc = ad_err_set(err, AD_ERR_ARG, "that key is this instance's own");
    if (rc == AD_OK) {
        ad_stmt *s = ad_db_stmt(st->db,
                                "INSERT INTO fed_peer (name, url, pubkey, scope, origin, added,"
                                " send_kinds, accept_kinds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                                " RETURNING id",
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
            bind_kinds(s, 7, send, sk);
            bind_kinds(s, 8, accept, ak);
            rc = ad_db_int(s, id, err);
            if (rc != AD_OK && (strstr(err->msg, "UNIQUE") || strstr(err->msg, "unique")))
                rc = ad_err_set(err, AD_ERR_EXISTS, "a peer with that name or key exists");
        }
    }
    rc = ad_store_auditf(st, rc, "peer.add", "peer", rc == AD_OK ? *id : 0, err,
                         "name=%s scope=%s key=%s send=%s accept=%s", p->name, scope, hex,
                         ad_fed_kinds_format(send, sk), ad_fed_kinds_format(accept, ak));
    return ad_store_finish(st, rc, err);
}

ad_code ad_fed_peer_policy(ad_store *st, const char *name, const unsigned *send,
                           const unsigned *accept, ad_err *err)
{
    int64_t id = 0;
    unsigned now_send = 0, now_accept = 0;
    char sk[64], ak[64];
    ad_code rc = ad_store_begin(st, err);
    ad_stmt *s = rc == AD_OK ? ad_db_stmt(st->db,
                                          "SELECT id, send_kinds, accept_kinds FROM fed_peer"
                                          " WHERE name = ?",
                                          err)
                             : NULL;
    if (rc == AD_OK && !s)
        rc = AD_ECODE(err);
    if (s) {
        ad_bind_text(s, 1, name);
        int k = ad_step(s, err);
        if (k > 0) {
            id = ad_col_int(s, 0);
            now_send = send ? *send : ad_fed_kinds_col(s, 1);
            now_accept = accept ? *accept : ad_fed_kinds_col(s, 2);
        }
        ad_db_done(s);
        if (k < 0)
            rc = (ad_code)-k;
        else if (k == 0)
            rc = ad_err_set(err, AD_ERR_NOT_FOUND, "no peer '%s' ('ariadne peer list')", name);
    }
    if (rc == AD_OK) {
        s = ad_db_stmt(st->db, "UPDATE fed_peer SET send_kinds = ?, accept_kinds = ? WHERE id = ?",
                       err);
        if (!s) {
            rc = AD_ECODE(err);
        } else {
            bind_kinds(s, 1, now_send, sk);
            bind_kinds(s, 2, now_accept, ak);
            ad_bind_int(s, 3, id);
            rc = ad_db_run(s, err);
        }
    }
    rc = ad_store_auditf(st, rc, "peer.policy", "peer", id, err, "name=%s send=%s accept=%s", name,
                         ad_fed_kinds_format(now_send, sk), ad_fed_kinds_format(now_accept, ak));
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
                            "SELECT id, name, url, pubkey, scope, origin, added, send_kinds,"
                            " accept_kinds FROM fed_peer ORDER BY name",
                            err);
    if (!s)
        return AD_ECODE(err);
    int k;
    while ((k = ad_step(s, err)) > 0) {
        ad_fed_peer p = {ad_col_int(s, 0),  ad_col_text(s, 1), ad_col_text(s, 2),
                         ad_col_text(s, 3), ad_col_text(s, 4), ad_col_text(s, 5),
                         ad_col_int(s, 6),  ad_col_text(s, 7), ad_col_text(s, 8)};
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
                            by_key ? "SELECT id, scope, origin, send_kinds, accept_kinds"
                                     " FROM fed_peer WHERE pubkey = ?"
                                   : "SELECT id, scope, origin, send_kinds, accept_kinds"
                                     " FROM fed_peer WHERE name = ?",
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
        p->send = ad_fed_kinds_col(s, 3);
        p->accept = ad_fed_kinds_col(s, 4);
    }
    ad_db_done(s);
    *found = k > 0;
    return k < 0 ? (ad_code)-k : AD_OK;
}
