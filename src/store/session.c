/* session.c: people's sign-in (schema 11, docs/web.md): a user's password as libsodium's
 * Argon2id string, sign-in sessions kept by a BLAKE2b digest of their token only (a stolen
 * database opens no session), their idle timeout, and each user's preferences (the web
 * interface's wellness settings). API keys stay for programs (agency.c). */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "store_int.h"

#define PW_MIN 8
#define PW_MAX 1024
#define TOKEN_BYTES 32
#define SEEN_EVERY 10 /* seconds between two writes of a session's last-seen time */

ad_code ad_store_user_set_password(ad_store *st, int64_t user_id, const char *password,
                                   ad_err *err)
{
    size_t n = password ? strlen(password) : 0;
    if (n < PW_MIN || n > PW_MAX)
        return ad_err_set(err, AD_ERR_ARG, "a password has %d to %d bytes", PW_MIN, PW_MAX);
    if (sodium_init() < 0)
        return ad_err_set(err, AD_ERR_INTERNAL, "libsodium failed to start");
    ad_stmt *s = ad_db_stmt(st->db, "SELECT role FROM users WHERE id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, user_id);
    int k = ad_step(s, err);
    int platform = k > 0 && !strcmp(ad_col_text(s, 0), "platform");
    ad_db_done(s);
    if (k < 0)
        return (ad_code)-k;
    if (k == 0)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no user %lld", (long long)user_id);
    if (platform)
        return ad_err_set(err, AD_ERR_ARG,
                          "a platform user has no password: platforms use API keys and have no "
                          "pages");
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for the password's hash");
    ad_code rc = ad_store_op(st, "UPDATE users SET pw_hash = ? WHERE id = ?", &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_text(s, 1, hash);
    ad_bind_int(s, 2, user_id);
    rc = ad_db_run(s, err);
    rc = ad_store_auditf(st, rc, "user.passwd", "user", user_id, err, NULL);
    /* a new password ends the user's sessions */
    if (rc == AD_OK && (s = ad_db_stmt(st->db,
                                       "UPDATE web_session SET ended = ? WHERE user_id = ?"
                                       " AND ended = 0",
                                       err))) {
        ad_bind_int(s, 1, ad_store_time());
        ad_bind_int(s, 2, user_id);
        rc = ad_db_run(s, err);
    } else if (rc == AD_OK) {
        rc = AD_ECODE(err);
    }
    return ad_store_finish(st, rc, err);
}

/* A password hash of nothing, checked when the user has none (unknown name, no password), so
 * that a refusal takes as long whatever its reason: the answer's time does not tell which names
 * exist. Made once. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    uint8_t r[16];
    randombytes_buf(r, sizeof r);
    if (crypto_pwhash_str(dummy_hash, (const char *)r, sizeof r,
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        dummy_hash[0] = 0;
}

/* The stored digest of a token, and its public id ("s-" + 12 hex digits of the digest). */
static void token_digest(const char *token, uint8_t out[32], char pub[16])
{
    crypto_generichash(out, 32, (const uint8_t *)token, strlen(token), NULL, 0);
    if (pub) {
        char hex[65];
        ad_hex_encode(out, 32, hex);
        snprintf(pub, 16, "s-%.12s", hex);
    }
}

/* A user's columns as session_user reads them (0..6); FROM names u and a. */
#define SESSION_USER "SELECT u.id, u.agency_id, a.name, u.name, u.role, u.revoked, u.expires"

/* The identity of a row of SESSION_USER (columns 0..6); 0 when the user may not sign in now. */
static int session_user(ad_stmt *s, ad_identity *who, const char *pub)
{
    ad_user u = {0};
    u.id = ad_col_int(s, 0);
    u.agency_id = ad_col_int(s, 1);
    u.agency_name = ad_col_text(s, 2);
    u.name = ad_col_text(s, 3);
    if (ad_role_parse(ad_col_text(s, 4), &u.role, NULL) != AD_OK)
        return 0;
    u.revoked = ad_col_int(s, 5);
    u.expires = ad_col_int(s, 6);
    u.key_id = pub;
    if (u.revoked || (u.expires && ad_store_time() >= u.expires) || u.role == AD_ROLE_PLATFORM)
        return 0;
    ad_identity_of_user(who, &u);
    return 1;
}

ad_code ad_store_session_open(ad_store *st, const char *name, const char *password,
                              char token[AD_SESSION_TOKEN_MAX], ad_identity *who, ad_err *err)
{
    memset(who, 0, sizeof *who);
    token[0] = 0;
    if (sodium_init() < 0)
        return ad_err_set(err, AD_ERR_INTERNAL, "libsodium failed to start");
    size_t pl = password ? strlen(password) : 0;
    if (!name || !*name || pl == 0 || pl > PW_MAX)
        return ad_err_set(err, AD_ERR_PERM, "name or password refused");
    uint8_t raw[TOKEN_BYTES], digest[32];
    char hex[2 * TOKEN_BYTES + 1], pub[16];
    randombytes_buf(raw, sizeof raw);
    ad_hex_encode(raw, sizeof raw, hex);
    char tok[AD_SESSION_TOKEN_MAX];
    snprintf(tok, sizeof tok, "as_%s", hex);
    token_digest(tok, digest, pub);
    ad_stmt *s = ad_db_stmt(st->db,
                            SESSION_USER " FROM users u JOIN agency a ON a.id = u.agency_id"
                                         " WHERE u.name = ?",
                            err);
    ad_stmt *h = s ? ad_db_stmt(st->db, "SELECT pw_hash FROM users WHERE name = ?", err) : NULL;
    if (!s || !h) {
        if (s)
            ad_db_done(s);
        return AD_ECODE(err);
    }
    ad_bind_text(h, 1, name);
    int k = ad_step(h, err);
    char stored[crypto_pwhash_STRBYTES] = "";
    if (k > 0 && !ad_col_null(h, 0))
        snprintf(stored, sizeof stored, "%s", ad_col_text(h, 0));
    ad_db_done(h);
    int ok = 0;
    if (k > 0 && stored[0]) {
        ok = crypto_pwhash_str_verify(stored, password, pl) == 0;
    } else if (k >= 0) {
        pthread_once(&dummy_once, make_dummy);
        if (dummy_hash[0] && crypto_pwhash_str_verify(dummy_hash, password, pl) == 0)
            ok = 0; /* a random password: never matches; the time spent is the point */
    }
    if (ok) {
        ad_bind_text(s, 1, name);
        k = ad_step(s, err);
        ok = k > 0 && session_user(s, who, pub);
    }
    ad_db_done(s);
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(hex, sizeof hex);
    if (k < 0) {
        sodium_memzero(tok, sizeof tok);
        return (ad_code)-k;
    }
    if (!ok) {
        sodium_memzero(tok, sizeof tok);
        memset(who, 0, sizeof *who);
        return ad_err_set(err, AD_ERR_PERM, "name or password refused");
    }
    ad_store_set_identity(st, who);
    int64_t now = ad_store_time();
    ad_code rc = ad_store_op(st,
                             "INSERT INTO web_session (token_hash, user_id, created, last_seen)"
                             " VALUES (?, ?, ?, ?)",
                             &s, err);
    if (rc == AD_OK) {
        ad_bind_blob(s, 1, digest, 32);
        ad_bind_int(s, 2, who->user_id);
        ad_bind_int(s, 3, now);
        ad_bind_int(s, 4, now);
        rc = ad_db_run(s, err);
        rc = ad_store_auditf(st, rc, "session.open", "user", who->user_id, err, "session=%s",
                             pub);
        rc = ad_store_finish(st, rc, err);
    }
    if (rc == AD_OK)
        memcpy(token, tok, sizeof tok);
    sodium_memzero(tok, sizeof tok);
    return rc;
}

/* Whether text has a session token's form. */
static int token_form(const char *t)
{
    if (!t || strlen(t) != 3 + 2 * TOKEN_BYTES || strncmp(t, "as_", 3))
        return 0;
    for (const char *p = t + 3; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

/* Sets a session's ended or last_seen column (column names only from this file). */
static ad_code session_set(ad_store *st, const char *column, const uint8_t digest[32],
                           int64_t value, int64_t *changed, ad_err *err)
{
    char sql[128];
    snprintf(sql, sizeof sql,
             "UPDATE web_session SET %s = ? WHERE token_hash = ? AND ended = 0 RETURNING user_id",
             column);
    ad_stmt *s;
    ad_code rc = ad_store_op(st, sql, &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_int(s, 1, value);
    ad_bind_blob(s, 2, digest, 32);
    int64_t uid = 0;
    rc = ad_db_int(s, &uid, err);
    if (changed)
        *changed = rc == AD_OK ? uid : 0;
    return rc;
}

ad_code ad_store_session_check(ad_store *st, const char *token, int64_t idle, ad_identity *who,
                               ad_err *err)
{
    memset(who, 0, sizeof *who);
    if (!token_form(token))
        return ad_err_set(err, AD_ERR_PERM, "session refused");
    uint8_t digest[32];
    char pub[16];
    token_digest(token, digest, pub);
    ad_stmt *s = ad_db_stmt(st->db,
                            SESSION_USER ", w.last_seen FROM web_session w"
                                         " JOIN users u ON u.id = w.user_id"
                                         " JOIN agency a ON a.id = u.agency_id"
                                         " WHERE w.token_hash = ? AND w.ended = 0",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_blob(s, 1, digest, 32);
    int k = ad_step(s, err);
    int ok = k > 0 && session_user(s, who, pub);
    int64_t seen = k > 0 ? ad_col_int(s, 7) : 0;
    ad_db_done(s);
    if (k < 0)
        return (ad_code)-k;
    int64_t now = ad_store_time();
    ad_code rc = AD_OK;
    ad_err ignored;
    if (ok && idle > 0 && now - seen >= idle) {
        ok = 0; /* idle too long: ended (no audit row: nobody acted) */
        rc = session_set(st, "ended", digest, now, NULL, &ignored);
        ad_store_finish(st, rc, &ignored);
    } else if (ok && now - seen >= (idle > 0 && idle / 2 < SEEN_EVERY ? idle / 2 : SEEN_EVERY)) {
        rc = session_set(st, "last_seen", digest, now, NULL, &ignored);
        ad_store_finish(st, rc, &ignored);
    }
    if (!ok) {
        memset(who, 0, sizeof *who);
        return ad_err_set(err, AD_ERR_PERM, "session refused (signed out, expired or unknown)");
    }
    return AD_OK;
}

ad_code ad_store_session_close(ad_store *st, const char *token, ad_err *err)
{
    if (!token_form(token))
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no such session");
    uint8_t digest[32];
    char pub[16];
    token_digest(token, digest, pub);
    int64_t uid = 0;
    ad_code rc = session_set(st, "ended", digest, ad_store_time(), &uid, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no open session");
    rc = ad_store_auditf(st, rc, "session.close", "user", uid, err, "session=%s", pub);
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_user_prefs_get(ad_store *st, int64_t user_id, char **out, ad_err *err)
{
    *out = NULL;
    ad_stmt *s = ad_db_stmt(st->db, "SELECT prefs FROM users WHERE id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, user_id);
    int k = ad_step(s, err);
    if (k > 0)
        *out = strdup(ad_col_null(s, 0) ? "{}" : ad_col_text(s, 0));
    ad_db_done(s);
    if (k < 0)
        return (ad_code)-k;
    if (k == 0)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no user %lld", (long long)user_id);
    return *out ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
}

ad_code ad_store_user_prefs_set(ad_store *st, int64_t user_id, const char *json, ad_err *err)
{
    ad_stmt *s;
    ad_code rc = ad_store_op(st, "UPDATE users SET prefs = ? WHERE id = ? RETURNING id", &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_text(s, 1, json);
    ad_bind_int(s, 2, user_id);
    rc = ad_db_int(s, NULL, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no user %lld", (long long)user_id);
    rc = ad_store_auditf(st, rc, "user.prefs", "user", user_id, err, "%s", json);
    return ad_store_finish(st, rc, err);
}
