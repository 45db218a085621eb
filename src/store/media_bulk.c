/* media_bulk.c: the media table's secondary indexes during a bulk load (a federation import
 * bringing more media than the store holds): dropped inside the load's transaction and made
 * again from their own stored text before it commits, so that SQLite builds each by one sort
 * instead of a random B-tree insert per row past its page cache. The SHA-256 index stays (the
 * load's lookups use it). The transaction makes this all-or-nothing: a rollback restores the
 * indexes with everything else; other connections never see them missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static const char *const bulk_ix[] = {"media_gid", "media_md5", "media_pdq", "media_sha1"};
#define NIX (sizeof bulk_ix / sizeof bulk_ix[0])

void ad_store_media_ix_forget(ad_store *st)
{
    for (size_t i = 0; i < st->ix_n; i++)
        free(st->ix_sql[i]);
    free(st->ix_sql);
    st->ix_sql = NULL;
    st->ix_n = 0;
}

ad_code ad_store_media_ix_off(ad_store *st, ad_err *err)
{
    if (st->db->is_pg || st->ix_n)
        return AD_OK;
    if (st->depth < 1)
        return ad_err_set(err, AD_ERR_INTERNAL, "media indexes dropped outside a transaction");
    if (!(st->ix_sql = calloc(NIX, sizeof *st->ix_sql)))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = AD_OK;
    for (size_t i = 0; i < NIX && rc == AD_OK; i++) {
        ad_stmt *s = ad_db_stmt(
            st->db, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", err);
        if (!s) {
            rc = AD_ECODE(err);
            break;
        }
        ad_bind_text(s, 1, bulk_ix[i]);
        int k = ad_step(s, err);
        const char *sql = k > 0 ? ad_col_text(s, 0) : NULL;
        char *copy = sql ? strdup(sql) : NULL;
        ad_db_done(s);
        if (k < 0) {
            rc = (ad_code)-k;
            break;
        }
        if (!sql)
            continue; /* not in this schema: nothing to drop */
        if (!copy) {
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            break;
        }
        st->ix_sql[st->ix_n++] = copy;
        char drop[96];
        snprintf(drop, sizeof drop, "DROP INDEX \"%s\"", bulk_ix[i]);
        rc = st->db->ops->exec(st->db, drop, err);
    }
    return rc; /* on failure the caller rolls back, which restores what was dropped */
}

ad_code ad_store_media_ix_on(ad_store *st, ad_err *err)
{
    ad_code rc = AD_OK;
    for (size_t i = 0; i < st->ix_n && rc == AD_OK; i++)
        rc = st->db->ops->exec(st->db, st->ix_sql[i], err);
    ad_store_media_ix_forget(st);
    return rc;
}
