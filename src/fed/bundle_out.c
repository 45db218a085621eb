/* bundle_out.c: writing a bundle for a peer (docs/federation.md "Bundles"): a manifest line
 * (sender, its key, its audit head, the head it holds of the peer, the ids and lengths of the
 * sets), the sets byte for byte, a signature of the manifest; what was sent is remembered per
 * peer and origin. A set of a kind the peer's policy does not send, or one this instance holds
 * the place of only (fed_withheld), goes as its place: a "withheld" entry without bytes
 * ("Policy per peer"). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

static ad_code peer_get(ad_store *st, const char *name, ad_fed_peer_row *p, ad_err *err)
{
    int found;
    ad_code rc = ad_fed_peer_find(st, name, 0, p, &found, err);
    if (rc == AD_OK && !found)
        rc = ad_err_set(err, AD_ERR_NOT_FOUND, "no peer '%s' ('ariadne peer list')", name);
    return rc;
}

static ad_code sent_set(ad_store *st, int64_t peer, const char *origin, int64_t last, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "INSERT INTO fed_sent (peer_id, origin, last_seq) VALUES (?, ?, ?)"
                            " ON CONFLICT (peer_id, origin) DO UPDATE SET last_seq ="
                            " excluded.last_seq WHERE excluded.last_seq > fed_sent.last_seq",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, peer);
    ad_bind_text(s, 2, origin);
    ad_bind_int(s, 3, last);
    return ad_db_run(s, err);
}

/* The audit head this instance holds of origin (from its change sets), as {origin, seq, hash}. */
static ad_code witness_of(ad_store *st, const char *origin, json_t **out, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT seq, hash FROM witness WHERE origin = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, origin);
    int k = ad_step(s, err);
    *out = k > 0 ? json_pack("{s:s, s:I, s:s}", "origin", origin, "seq",
                             (json_int_t)ad_col_int(s, 0), "hash", ad_col_text(s, 1))
                 : NULL;
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

/* The manifest entry of a set that is not sent: its place in its origin's run. */
static json_t *withheld_entry(const char *id, const char *origin, int64_t first, int64_t last,
                              const char *kinds, const char *key, const char *prev)
{
    return json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s?, s:b}", "id", id, "origin", origin,
                     "first", (json_int_t)first, "last", (json_int_t)last, "kinds",
                     kinds ? kinds : "mixed", "origin_key", key, "prev",
                     prev && *prev ? prev : NULL, "withheld", 1);
}

/* The origin key and prev of a change set, from its header line (the set was verified when it
 * was cut or received). */
static int header_of(const uint8_t *b, size_t n, char key[65], char prev[65])
{
    const uint8_t *e = memchr(b, '\n', n);
    json_t *h = e ? json_loadb((const char *)b, (size_t)(e - b), 0, NULL) : NULL;
    const char *k = json_string_value(json_object_get(h, "origin_key"));
    const char *p = json_string_value(json_object_get(h, "prev"));
    int ok = k && strlen(k) == 64;
    if (ok) {
        snprintf(key, 65, "%s", k);
        snprintf(prev, 65, "%s", p ? p : "");
    }
    json_decref(h);
    return ok;
}

ad_code ad_fed_bundle_export(ad_store *st, const ad_fed_key *key, const char *peer, int all,
                             uint8_t **out, size_t *len, ad_fed_stats *stats, ad_err *err)
{
    memset(stats, 0, sizeof *stats);
    *out = NULL;
    *len = 0;
    int64_t cut = 0;
    ad_code rc = ad_fed_cut(st, key, &cut, err);
    if (rc != AD_OK)
        return rc;
    ad_fed_peer_row p = {0};
    char own[AD_UUID_LEN + 1], pk[AD_FED_PUBKEY_HEX + 1];
    ad_fed_buf sets = {0};
    json_t *list = json_array();
    rc = ad_store_begin(st, err);
    if (rc == AD_OK)
        rc = peer_get(st, peer, &p, err);
    if (rc == AD_OK)
        rc = ad_fed_own(st, own, NULL, err);
    /* this origin's sets; others' only to a peer this instance is the hub of (national) */
    ad_stmt *s = NULL;
    if (rc == AD_OK) {
        s = ad_db_stmt(st->db,
                       "SELECT c.id, c.origin, c.first_seq, c.last_seq, c.bytes, c.kinds,"
                       " c.origin_key, c.prev FROM (SELECT id, origin, first_seq, last_seq, bytes,"
                       " kinds, NULL AS origin_key, NULL AS prev FROM change_set UNION ALL"
                       " SELECT id, origin, first_seq, last_seq, NULL, kinds, origin_key, prev"
                       " FROM fed_withheld) c"
                       " LEFT JOIN fed_sent f ON f.peer_id = ? AND f.origin = c.origin"
                       " WHERE (c.origin = ? OR ? = 'national') AND c.origin <> ?"
                       " AND (? = 1 OR c.last_seq > COALESCE(f.last_seq, 0))"
                       " ORDER BY c.origin, c.first_seq",
                       err);
        if (!s)
            rc = AD_ECODE(err);
    }
    if (rc == AD_OK) {
        ad_bind_int(s, 1, p.peer_id);
        ad_bind_text(s, 2, own);
        ad_bind_text(s, 3, p.scope);
        ad_bind_text(s, 4, p.origin);
        ad_bind_int(s, 5, all ? 1 : 0);
        int k;
        while ((k = ad_step(s, err)) > 0) {
            size_t n = 0;
            const uint8_t *b = ad_col_null(s, 4) ? NULL : ad_col_blob(s, 4, &n);
            /* a set cut before schema 16 mixes kinds: sent only to a peer sent every kind */
            unsigned kinds = ad_fed_kinds_col(s, 5);
            int64_t changes = ad_col_int(s, 3) - ad_col_int(s, 2) + 1;
            json_t *ent;
            char okey[65] = "", oprev[65] = "";
            if (b && !(kinds & ~p.send)) {
                ent = json_pack("{s:s, s:I}", "id", ad_col_text(s, 0), "len", (json_int_t)n);
                if (ad_fed_put(&sets, b, n)) {
                    json_decref(ent);
                    ent = NULL;
                }
                stats->changes += changes;
                stats->sets++;
            } else {
                if (b && !header_of(b, n, okey, oprev)) {
                    k = -ad_err_set(err, AD_ERR_CHECKSUM, "change set %s has no header",
                                    ad_col_text(s, 0));
                    break;
                }
                ent = withheld_entry(ad_col_text(s, 0), ad_col_text(s, 1), ad_col_int(s, 2),
                                     ad_col_int(s, 3), ad_col_text(s, 5),
                                     b ? okey : ad_col_text(s, 6), b ? oprev : ad_col_text(s, 7));
                stats->withheld += changes;
            }
            if (!ent || json_array_append_new(list, ent)) {
                k = -AD_ERR_NOMEM;
                ad_err_set(err, AD_ERR_NOMEM, "out of memory");
                break;
            }
        }
        ad_db_done(s);
        if (k < 0)
            rc = (ad_code)-k;
    }
    /* what was sent, per origin (the manifest order is by origin, then first) */
    if (rc == AD_OK) {
        s = ad_db_stmt(st->db,
                       "SELECT origin, MAX(last_seq) FROM (SELECT origin, last_seq FROM"
                       " change_set UNION ALL SELECT origin, last_seq FROM fed_withheld) c"
                       " WHERE (origin = ? OR ? = 'national') AND origin <> ? GROUP BY origin",
                       err);
        rc = s ? AD_OK : AD_ECODE(err);
        typedef struct {
            char origin[AD_UUID_LEN + 1];
            int64_t last;
        } ol;
        ol *v = NULL;
        size_t nv = 0;
        if (rc == AD_OK) {
            ad_bind_text(s, 1, own);
            ad_bind_text(s, 2, p.scope);
            ad_bind_text(s, 3, p.origin);
            int k;
            while ((k = ad_step(s, err)) > 0) {
                ol *nvp = realloc(v, (nv + 1) * sizeof *v);
                if (!nvp) {
                    k = -ad_err_set(err, AD_ERR_NOMEM, "out of memory");
                    break;
                }
                v = nvp;
                ad_col_copy(s, 0, v[nv].origin, sizeof v[nv].origin);
                v[nv++].last = ad_col_int(s, 1);
            }
            ad_db_done(s);
            if (k < 0)
                rc = (ad_code)-k;
        }
        for (size_t i = 0; i < nv && rc == AD_OK; i++)
            rc = sent_set(st, p.peer_id, v[i].origin, v[i].last, err);
        free(v);
    }
    ad_fed_buf b = {0};
    json_t *wit = NULL;
    if (rc == AD_OK && p.origin[0])
        rc = witness_of(st, p.origin, &wit, err);
    int64_t head_seq = 0;
    char head_hash[65];
    if (rc == AD_OK)
        rc = ad_fed_audit_head(st, &head_seq, head_hash, err);
    if (rc == AD_OK) {
        json_t *m = json_pack(
            "{s:s, s:s, s:s, s:I, s:o, s:{s:I, s:s}}", "format", AD_FED_BUNDLE_FORMAT, "from", own,
            "from_key", ad_hex_encode(key->pk, 32, pk), "created", (json_int_t)ad_store_time(),
            "sets", json_incref(list), "head", "seq", (json_int_t)head_seq, "hash", head_hash);
        if (m && wit)
            json_object_set_new(m, "witness", wit);
        else
            json_decref(wit);
        char *line = m ? ad_fed_canon(m) : NULL;
        json_decref(m);
        uint8_t sig[64];
        char sh[129], sl[160];
        if (line) {
            size_t ln = strlen(line);
            line[ln] = 0;
            ad_fed_buf tmp = {0};
            if (ad_fed_put(&tmp, line, ln) || ad_fed_put(&tmp, "\n", 1)) {
                rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            } else {
                ad_fed_sign(key, AD_FED_BUNDLE_CONTEXT, (const uint8_t *)tmp.p, tmp.n, sig);
                snprintf(sl, sizeof sl, "{\"sig\":\"%s\"}\n", ad_hex_encode(sig, 64, sh));
                if (ad_fed_put(&b, tmp.p, tmp.n) || ad_fed_put(&b, sets.p, sets.n) ||
                    ad_fed_put(&b, sl, strlen(sl)))
                    rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            }
            free(tmp.p);
        } else {
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        }
        free(line);
    }
    free(sets.p);
    json_decref(list);
    rc = ad_store_auditf(st, rc, "bundle.export", "peer", p.peer_id, err,
                         "sets=%lld changes=%lld withheld=%lld all=%d", (long long)stats->sets,
                         (long long)stats->changes, (long long)stats->withheld, all);
    rc = ad_store_finish(st, rc, err);
    if (rc != AD_OK) {
        free(b.p);
        return rc;
    }
    *out = (uint8_t *)b.p;
    *len = b.n;
    stats->bytes = (int64_t)b.n;
    return AD_OK;
}
