/* pull.c: a peer fetching its bundle over HTTP (GET /v1/fed/changes): the request is signed
 * with the peer's Ed25519 key over the serving instance's public key and the time, so it needs
 * no API key and cannot be replayed to another instance or after five minutes; the answer is
 * the bundle ad_fed_bundle_export makes for that peer, signed by the serving instance (the
 * server streams it: ad_fed_pull_check, then ad_fed_bundle_export_file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

#define PULL_CONTEXT "ariadne-pull-v1"
#define PULL_SKEW 300 /* seconds a signed request stays valid either way */

static size_t pull_message(char *m, size_t cap, const char *server_pub, int64_t t)
{
    return (size_t)snprintf(m, cap, "GET /v1/fed/changes\n%s\n%lld", server_pub, (long long)t);
}

void ad_fed_pull_sign(const ad_fed_key *key, const char *server_pub, int64_t t, char sig[129])
{
    char m[160];
    size_t n = pull_message(m, sizeof m, server_pub, t);
    uint8_t s[64];
    ad_fed_sign(key, PULL_CONTEXT, (const uint8_t *)m, n, s);
    ad_hex_encode(s, 64, sig);
}

ad_code ad_fed_pull_check(ad_store *st, const char *peer_pub, int64_t t, const char *sig_hex,
                          char name[80], ad_fed_key *key, ad_err *err)
{
    char own_pub[AD_FED_PUBKEY_HEX + 1], m[160], path[AD_STORE_URL_MAX + 16];
    uint8_t pk[32], sig[64];
    name[0] = 0;
    ad_code rc = ad_fed_own(st, NULL, own_pub, err);
    if (rc != AD_OK)
        return rc;
    if (!peer_pub || strlen(peer_pub) != 64 || ad_hex_decode(peer_pub, 64, pk, 32, NULL) ||
        !sig_hex || strlen(sig_hex) != 128 || ad_hex_decode(sig_hex, 128, sig, 64, NULL))
        return ad_err_field(err, AD_ERR_ARG, peer_pub ? "sig" : "peer",
                            "peer (64 hex), t and sig (128 hex) are required");
    int64_t now = ad_store_time();
    if (t < now - PULL_SKEW || t > now + PULL_SKEW)
        return ad_err_set(err, AD_ERR_PERM, "the request's time is more than %d s off", PULL_SKEW);
    ad_stmt *s = ad_db_stmt(st->db, "SELECT name FROM fed_peer WHERE pubkey = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, peer_pub);
    int k = ad_step(s, err);
    if (k > 0)
        ad_col_copy(s, 0, name, 80);
    ad_db_done(s);
    if (k < 0)
        return (ad_code)-k;
    size_t n = pull_message(m, sizeof m, own_pub, t);
    if (!k || !ad_fed_verify(pk, PULL_CONTEXT, (const uint8_t *)m, n, sig))
        return ad_err_set(err, AD_ERR_PERM, "not a request signed by a peer's key");
    rc = ad_fed_key_path(st->url, NULL, path, sizeof path, err);
    if (rc == AD_OK)
        rc = ad_fed_key_load(st, path, key, err);
    return rc;
}

ad_code ad_fed_pull(ad_store *st, const char *peer_pub, int64_t t, const char *sig_hex, int all,
                    uint8_t **out, size_t *len, ad_err *err)
{
    char name[80];
    ad_fed_key key;
    ad_code rc = ad_fed_pull_check(st, peer_pub, t, sig_hex, name, &key, err);
    if (rc != AD_OK)
        return rc;
    ad_fed_stats stats;
    rc = ad_fed_bundle_export(st, &key, name, all, out, len, &stats, err);
    ad_fed_key_wipe(&key);
    return rc;
}
