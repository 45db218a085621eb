/* key.c: this instance's federation identity: the Ed25519 key pair (libsodium), the secret key
 * in a file beside the store (mode 0600, never in the database, so a dump cannot sign), the
 * public key and name in the instance row; signatures with a context, canonical JSON. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ariadne/util.h"
#include "fed_int.h"

char *ad_fed_canon(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
}

static void ctx_hash(const char *ctx, const uint8_t *msg, size_t n, uint8_t out[32])
{
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const uint8_t *)ctx, strlen(ctx) + 1);
    crypto_hash_sha256_update(&h, msg, n);
    crypto_hash_sha256_final(&h, out);
}

void ad_fed_sign(const ad_fed_key *key, const char *ctx, const uint8_t *msg, size_t n,
                 uint8_t sig[64])
{
    uint8_t h[32];
    ctx_hash(ctx, msg, n, h);
    crypto_sign_detached(sig, NULL, h, sizeof h, key->sk);
}

int ad_fed_verify(const uint8_t pk[32], const char *ctx, const uint8_t *msg, size_t n,
                  const uint8_t sig[64])
{
    uint8_t h[32];
    ctx_hash(ctx, msg, n, h);
    return crypto_sign_verify_detached(sig, h, sizeof h, pk) == 0;
}

ad_code ad_fed_key_path(const char *url, const char *given, char *out, size_t cap, ad_err *err)
{
    const char *env = getenv("ARIADNE_FED_KEY");
    if (given && *given) {
        snprintf(out, cap, "%s", given);
        return AD_OK;
    }
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return AD_OK;
    }
    url = ad_store_resolve_url(url);
    if (!strncmp(url, "postgres", 8))
        return ad_err_set(err, AD_ERR_ARG,
                          "a PostgreSQL store keeps its federation key where --fed-key or "
                          "$ARIADNE_FED_KEY says");
    if (!strncmp(url, "sqlite:", 7))
        url += 7;
    if ((size_t)snprintf(out, cap, "%s.fed.key", url) >= cap)
        return ad_err_set(err, AD_ERR_ARG, "the store's path is too long for its key file");
    return AD_OK;
}

ad_code ad_fed_own(ad_store *st, char uuid[AD_UUID_LEN + 1], char pubkey[AD_FED_PUBKEY_HEX + 1],
                   ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT uuid, pubkey FROM instance WHERE id = 1", err);
    if (!s)
        return AD_ECODE(err);
    int k = ad_step(s, err);
    if (k > 0) {
        if (uuid)
            ad_col_copy(s, 0, uuid, AD_UUID_LEN + 1);
        if (pubkey)
            ad_col_copy(s, 1, pubkey, AD_FED_PUBKEY_HEX + 1);
    }
    ad_db_done(s);
    if (k < 0)
        return (ad_code)-k;
    return k ? AD_OK : ad_err_set(err, AD_ERR_NOT_FOUND, "this database has no instance row");
}

ad_code ad_fed_keygen(ad_store *st, const char *path, const char *name, ad_err *err)
{
    if (sodium_init() < 0)
        return ad_err_set(err, AD_ERR_INTERNAL, "libsodium failed to start");
    char pub[AD_FED_PUBKEY_HEX + 1];
    ad_code rc = ad_store_begin(st, err);
    if (rc == AD_OK)
        rc = ad_fed_own(st, NULL, pub, err);
    if (rc == AD_OK && *pub)
        rc = ad_err_set(err, AD_ERR_EXISTS, "this instance has a key already (%s)", pub);
    ad_fed_key key;
    crypto_sign_keypair(key.pk, key.sk);
    int fd = -1;
    if (rc == AD_OK) {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            rc = ad_err_set(err, errno == EEXIST ? AD_ERR_EXISTS : AD_ERR_IO,
                            "cannot create the key file %s: %s", path, strerror(errno));
    }
    if (rc == AD_OK) {
        char hex[129];
        ad_hex_encode(key.sk, 64, hex);
        hex[128] = '\n';
        if (write(fd, hex, sizeof hex) != (ssize_t)sizeof hex || fsync(fd) != 0)
            rc = ad_err_set(err, AD_ERR_IO, "cannot write the key file %s: %s", path,
                            strerror(errno));
        sodium_memzero(hex, sizeof hex);
    }
    if (fd >= 0)
        close(fd);
    ad_hex_encode(key.pk, 32, pub);
    if (rc == AD_OK) {
        ad_stmt *s = ad_db_stmt(st->db,
                                "UPDATE instance SET pubkey = ?, name = COALESCE(?, name)"
                                " WHERE id = 1",
                                err);
        if (!s) {
            rc = AD_ECODE(err);
        } else {
            ad_bind_text(s, 1, pub);
            ad_bind_text_opt(s, 2, name);
            rc = ad_db_run(s, err);
        }
    }
    rc = ad_store_auditf(st, rc, "instance.key", "instance", 1, err, "pubkey=%s", pub);
    if (rc != AD_OK && fd >= 0)
        unlink(path); /* the database does not name this key: it must not stay */
    ad_fed_key_wipe(&key);
    return ad_store_finish(st, rc, err);
}

void ad_fed_key_wipe(ad_fed_key *key)
{
    sodium_memzero(key, sizeof *key);
}

ad_code ad_fed_key_load(ad_store *st, const char *path, ad_fed_key *key, ad_err *err)
{
    if (sodium_init() < 0)
        return ad_err_set(err, AD_ERR_INTERNAL, "libsodium failed to start");
    char pub[AD_FED_PUBKEY_HEX + 1];
    ad_code rc = ad_fed_own(st, NULL, pub, err);
    if (rc != AD_OK)
        return rc;
    if (!*pub)
        return ad_err_set(err, AD_ERR_NOT_FOUND,
                          "this instance has no federation key (run 'ariadne instance init')");
    FILE *f = fopen(path, "re");
    if (!f)
        return ad_err_set(err, errno == ENOENT ? AD_ERR_NOT_FOUND : AD_ERR_IO,
                          "cannot read the federation key %s: %s", path, strerror(errno));
    struct stat sb;
    char hex[132] = {0};
    size_t n = fread(hex, 1, sizeof hex - 1, f);
    int mode_ok = fstat(fileno(f), &sb) == 0 && !(sb.st_mode & 077);
    fclose(f);
    if (!mode_ok)
        rc = ad_err_set(err, AD_ERR_PERM,
                        "the federation key %s may be read by others: make it mode 0600", path);
    else if (n < 128 || ad_hex_decode(hex, 128, key->sk, 64, NULL) != AD_OK)
        rc = ad_err_set(err, AD_ERR_CORRUPT, "%s is not a federation key", path);
    sodium_memzero(hex, sizeof hex);
    if (rc == AD_OK) {
        crypto_sign_ed25519_sk_to_pk(key->pk, key->sk);
        char have[AD_FED_PUBKEY_HEX + 1];
        ad_hex_encode(key->pk, 32, have);
        if (strcmp(have, pub))
            rc = ad_err_set(err, AD_ERR_PERM,
                            "the federation key %s is not this instance's (its public key is %s)",
                            path, pub);
    }
    if (rc != AD_OK)
        ad_fed_key_wipe(key);
    return rc;
}

static ad_code count(ad_store *st, const char *sql, int64_t *v, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, sql, err);
    return s ? ad_db_int(s, v, err) : AD_ECODE(err);
}

ad_code ad_fed_instance_get(ad_store *st, ad_fed_instance *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    ad_stmt *s = ad_db_stmt(st->db, "SELECT uuid, name, pubkey FROM instance WHERE id = 1", err);
    if (!s)
        return AD_ECODE(err);
    int k = ad_step(s, err);
    if (k > 0) {
        ad_col_copy(s, 0, out->uuid, sizeof out->uuid);
        ad_col_copy(s, 1, out->name, sizeof out->name);
        ad_col_copy(s, 2, out->pubkey, sizeof out->pubkey);
    }
    ad_db_done(s);
    if (k <= 0)
        return k < 0 ? (ad_code)-k : ad_err_set(err, AD_ERR_NOT_FOUND, "no instance row");
    ad_stmt *q = ad_db_stmt(
        st->db, "SELECT COALESCE(MAX(last_seq), 0) FROM change_set WHERE origin = ?", err);
    if (!q)
        return AD_ECODE(err);
    ad_bind_text(q, 1, out->uuid);
    ad_code rc = ad_db_int(q, &out->last_seq, err);
    if (rc == AD_OK)
        rc = count(st,
                   "SELECT COUNT(*) FROM change_log WHERE seq IS NULL AND id >"
                   " (SELECT COALESCE(MAX(upto), 0) FROM fed_cut)",
                   &out->pending, err);
    if (rc == AD_OK)
        rc = count(st, "SELECT COUNT(*) FROM change_set", &out->change_sets, err);
    if (rc == AD_OK)
        rc = count(st, "SELECT COUNT(*) FROM fed_peer", &out->peers, err);
    return rc;
}
