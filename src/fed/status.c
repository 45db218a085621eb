/* status.c: where the exchange with each peer stands (GET /v1/fed/status): per peer, what was
 * sent to it of each origin (fed_sent) and the last change of its own origin held here; and this
 * instance's own last sequence cut and changes pending. */
#include <string.h>

#include "fed_int.h"

static json_t *sent_of(ad_store *st, int64_t peer_id, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT origin, last_seq FROM fed_sent WHERE peer_id = ?"
                            " ORDER BY origin",
                            err);
    if (!s)
        return NULL;
    ad_bind_int(s, 1, peer_id);
    json_t *a = json_array();
    int k;
    while ((k = ad_step(s, err)) > 0)
        json_array_append_new(a, json_pack("{s:s, s:I}", "origin", ad_col_text(s, 0), "last_seq",
                                           (json_int_t)ad_col_int(s, 1)));
    ad_db_done(s);
    if (k < 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

ad_code ad_fed_cursors(ad_store *st, json_t **out, ad_err *err)
{
    *out = NULL;
    ad_fed_instance fi;
    ad_code rc = ad_fed_instance_get(st, &fi, err);
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT p.id, p.name, p.url, p.scope, p.origin,"
                            " (SELECT MAX(c.last_seq) FROM change_set c WHERE c.origin = p.origin)"
                            " FROM fed_peer p ORDER BY p.name",
                            err);
    if (!s)
        return AD_ECODE(err);
    json_t *peers = json_array();
    struct row {
        int64_t id;
        json_t *o;
    } rows[256];
    size_t n = 0;
    int k;
    while ((k = ad_step(s, err)) > 0 && n < 256) {
        json_t *o = json_pack("{s:s, s:o, s:s, s:o, s:I}", "peer", ad_col_text(s, 1), "url",
                              ad_col_null(s, 2) ? json_null() : json_string(ad_col_text(s, 2)),
                              "scope", ad_col_text(s, 3), "origin",
                              ad_col_null(s, 4) ? json_null() : json_string(ad_col_text(s, 4)),
                              "received_seq", (json_int_t)(ad_col_null(s, 5) ? 0 : ad_col_int(s, 5)));
        rows[n++] = (struct row){ad_col_int(s, 0), o};
    }
    ad_db_done(s);
    rc = k < 0 ? (ad_code)-k : AD_OK;
    for (size_t i = 0; i < n; i++) {
        json_t *sent = rc == AD_OK ? sent_of(st, rows[i].id, err) : NULL;
        if (!sent && rc == AD_OK)
            rc = AD_ECODE(err);
        if (sent)
            json_object_set_new(rows[i].o, "sent", sent);
        json_array_append_new(peers, rows[i].o);
    }
    if (rc != AD_OK) {
        json_decref(peers);
        return rc;
    }
    *out = json_pack("{s:s, s:s, s:I, s:I, s:o}", "uuid", fi.uuid, "name", fi.name, "last_seq",
                     (json_int_t)fi.last_seq, "pending", (json_int_t)fi.pending, "peers", peers);
    return AD_OK;
}
