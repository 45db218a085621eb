/* witness.c: the audit head a peer witnessed of this instance (docs/federation.md "Witnessed
 * audit heads"): taken from a bundle's manifest signed by the peer (a bundle file, or the
 * latest manifest kept from its bundles), verified with the peer's key, and checked against
 * this store's chain: a chain cut at the end or rewritten from an older row no longer holds
 * the witnessed row with its hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

/* The witness in a manifest line (with its '\n') signed by the signature line, by key pk. */
static ad_code from_manifest(const uint8_t *m, size_t ml, const uint8_t *sl, size_t sn,
                             const char *pk_hex, const char *own, int64_t *seq, char hash[65],
                             ad_err *err)
{
    uint8_t pk[32], sig[64];
    json_t *sj = json_loadb((const char *)sl, sn, JSON_DISABLE_EOF_CHECK, NULL);
    const char *sv = json_string_value(json_object_get(sj, "sig"));
    int ok = sv && strlen(sv) == 128 && ad_hex_decode(sv, 128, sig, 64, NULL) == AD_OK &&
             ad_hex_decode(pk_hex, 64, pk, 32, NULL) == AD_OK &&
             ad_fed_verify(pk, AD_FED_BUNDLE_CONTEXT, m, ml, sig);
    json_decref(sj);
    if (!ok)
        return ad_err_set(err, AD_ERR_PERM,
                          "the witness is not signed by the peer's key (a bundle of another "
                          "sender, or altered)");
    json_t *mj = json_loadb((const char *)m, ml - 1, 0, NULL);
    json_t *w = json_object_get(mj, "witness");
    const char *origin = json_string_value(json_object_get(w, "origin"));
    const char *h = json_string_value(json_object_get(w, "hash"));
    json_t *s = json_object_get(w, "seq");
    ad_code rc = AD_OK;
    if (!origin || strcmp(origin, own) || !h || strlen(h) != 64 || !json_is_integer(s))
        rc = ad_err_set(err, AD_ERR_NOT_FOUND,
                        "the peer's bundle witnesses no audit head of this instance");
    else {
        *seq = json_integer_value(s);
        snprintf(hash, 65, "%s", h);
    }
    json_decref(mj);
    return rc;
}

ad_code ad_fed_witness_check(ad_store *st, const char *peer, const uint8_t *bundle, size_t len,
                             int64_t *seq, char hash[65], ad_err *err)
{
    char own[AD_UUID_LEN + 1], pk[AD_FED_PUBKEY_HEX + 1] = "";
    ad_code rc = ad_fed_own(st, own, NULL, err);
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT p.pubkey, w.manifest FROM fed_peer p LEFT JOIN fed_witnessed w"
                            " ON w.peer_id = p.id WHERE p.name = ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, peer);
    int k = ad_step(s, err);
    uint8_t *proof = NULL;
    size_t plen = 0;
    if (k > 0) {
        ad_col_copy(s, 0, pk, sizeof pk);
        const uint8_t *b = ad_col_null(s, 1) ? NULL : ad_col_blob(s, 1, &plen);
        if (b && plen && (proof = malloc(plen)))
            memcpy(proof, b, plen);
    }
    ad_db_done(s);
    if (k <= 0) {
        free(proof);
        return k < 0 ? (ad_code)-k : ad_err_set(err, AD_ERR_NOT_FOUND, "no peer '%s'", peer);
    }
    const uint8_t *src = bundle ? bundle : proof;
    size_t n = bundle ? len : plen;
    const uint8_t *e = src ? memchr(src, '\n', n) : NULL;
    if (!e || n < 2 || src[n - 1] != '\n') {
        free(proof);
        return ad_err_set(err, AD_ERR_NOT_FOUND,
                          bundle ? "not a bundle: no manifest and signature lines"
                                 : "peer '%s' has witnessed no audit head of this instance yet",
                          peer);
    }
    size_t ml = (size_t)(e - src) + 1, sig_at = n - 1;
    while (sig_at > 0 && src[sig_at - 1] != '\n')
        sig_at--;
    rc = from_manifest(src, ml, src + sig_at, n - 1 - sig_at, pk, own, seq, hash, err);
    free(proof);
    if (rc != AD_OK)
        return rc;
    uint8_t h[32];
    if (ad_hex_decode(hash, 64, h, 32, NULL) != AD_OK)
        return ad_err_set(err, AD_ERR_PARSE, "the witnessed hash is not hex");
    if (*seq == 0)
        return AD_OK;
    rc = ad_store_audit_anchor(st, *seq, h, err);
    if (rc != AD_OK)
        ad_err_prefix(err, "peer '%s' witnessed row %lld", peer, (long long)*seq);
    return rc;
}
