/* store_int.h: the store handle and helpers shared by the record files (internal). */
#ifndef AD_STORE_INT_H
#define AD_STORE_INT_H

#include "ariadne/store.h"
#include "db.h"

struct ad_store {
    ad_db *db;
    char url[AD_STORE_URL_MAX];
    char who[128];
    char origin[128]; /* who really runs the program ("os:jdoe") when `who` is only claimed */
    int64_t agency_id;
    int depth;      /* transaction nesting: 1 = BEGIN, deeper = savepoints */
    uint64_t plain; /* nested levels opened without a savepoint (batches) */
    int doomed;     /* a batch failed inside the transaction: its commit must fail */
    int serialised; /* the schema is in place: transactions take the writers' lock */
    ad_read_sink read_sink; /* reads go there instead of audit rows (ad_store_set_read_sink) */
    void *read_sink_ctx;
    char **ix_sql; /* media indexes dropped for a bulk load (media_bulk.c): their text */
    size_t ix_n;
};

/* 1 (the default): a batch upsert takes its shortcuts (media.c: no lookups by MD5 or SHA-1 of
 * records with a SHA-256 when every stored media has one; SQLite's new rows written with their
 * id and gid). Tests set 0 to compare the result with the general path's. */
extern int ad_store_media_shortcuts;
/* 1 (the default): with the shortcuts, PostgreSQL writes a batch's new media and a federation
 * import's links by COPY (media.c, fed/apply.c) instead of one INSERT each; 0: by INSERTs (the
 * benchmark's before, bench_fed --no-copy). */
extern int ad_store_pg_copy;

/* A bulk load's media indexes (media_bulk.c, SQLite, inside the caller's transaction): _off drops
 * those no bulk insert looks up by (MD5, SHA-1, PDQ, gid; the SHA-256 one stays) and keeps their
 * text; _on makes them again from it (nothing when none is off): one sort each instead of a
 * random insert per row. A lookup by one of them (media.c) makes them again first. A rollback
 * puts them back by itself: _forget then drops the kept text. PostgreSQL: nothing (a dropped
 * index would lock the table against every reader until the commit). */
ad_code ad_store_media_ix_off(ad_store *st, ad_err *err);
ad_code ad_store_media_ix_on(ad_store *st, ad_err *err);
void ad_store_media_ix_forget(ad_store *st);
/* Wall-clock Unix seconds. */
int64_t ad_store_time(void);

/* Begins a batch operation: like ad_store_begin, but nested in a caller's transaction it takes
 * no savepoint (they cost a copy of every page the batch touches); if the batch fails, the
 * caller's whole transaction is doomed: its commit rolls back and fails. */
ad_code ad_store_begin_batch(ad_store *st, ad_err *err);

/* Ends an operation begun with ad_store_begin: commits when rc is AD_OK, rolls back otherwise
 * (keeping the message of rc in err). Returns the final code. */
ad_code ad_store_finish(ad_store *st, ad_code rc, ad_err *err);

/* When rc is AD_OK, appends an audit row inside the current transaction (in a transaction of
 * its own when none is open) about object "type:id" ("type" when id is 0, none when type is
 * NULL); detail is printf-style (fmt may be NULL). Returns rc or the audit's failure. */
ad_code ad_store_auditf(ad_store *st, ad_code rc, const char *action, const char *type, int64_t id,
                        ad_err *err, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* A read that leaves an audit row: ad_store_begin_read opens its transaction (nothing when a
 * read sink is set: the read then takes no lock), ad_store_auditr records it (the sink, or a
 * row as ad_store_auditf), ad_store_finish_read ends it. */
ad_code ad_store_begin_read(ad_store *st, ad_err *err);
ad_code ad_store_finish_read(ad_store *st, ad_code rc, ad_err *err);
ad_code ad_store_auditr(ad_store *st, ad_code rc, const char *action, const char *type, int64_t id,
                        ad_err *err, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* The audit row's "who": the actor, and the origin in brackets when there is one. */
void ad_store_who(const ad_store *st, char *out, size_t cap);

/* Begins an operation (ad_store_begin) and takes the statement for sql; on failure nothing is
 * left open. End it with ad_store_finish. */
ad_code ad_store_op(ad_store *st, const char *sql, ad_stmt **s, ad_err *err);
/* Finds a row id by numeric id text (by_id) or by name (by_name); AD_ERR_NOT_FOUND names
 * `what` and the key. */
ad_code ad_store_find_id(ad_store *st, const char *by_id, const char *by_name, const char *what,
                         const char *key, int64_t *id, ad_err *err);

/* Applies pending migrations (schema.c). *fresh is set when the database had no schema. */
ad_code ad_schema_migrate(ad_store *st, int create, ad_err *err);

/* Copies a column's text into a buffer owned by the caller (empty if NULL). */
void ad_col_copy(ad_stmt *s, int i, char *out, size_t size);
/* Numeric id text ("12") to id, else 0. */
int64_t ad_parse_id(const char *s);
/* Text or NULL from a column (valid until next step). */
#define ad_col_str(s, i) ad_col_text((s), (i))

/* Runs `sql` bound to one id, calls row(ctx, stmt) for each row. */
typedef int (*ad_row_fn)(void *ctx, ad_stmt *s);
ad_code ad_store_rows(ad_store *st, const char *sql, int64_t id, ad_row_fn row, void *ctx,
                      ad_err *err);
/* One series as ad_store_series_get gives it, read for another reader (no series.show audit
 * row): the classification naming a merged series' survivor. */
ad_code ad_store_series_row(ad_store *st, int64_t id, ad_series_fn fn, void *ctx, ad_err *err);

/* The ids of a case's current jobs (as ad_store_case_items reads them: per set of roots, the
 * latest finished job, else the latest), oldest first, NULL-terminated, each malloc'd; free with
 * ad_store_strv_free. */
ad_code ad_store_case_current_jobs(ad_store *st, int64_t case_id, char ***jobs, ad_err *err);
void ad_store_strv_free(char **v);
/* Writes a finished job's tally (job_tally, case_summary.c), replacing any; inside the caller's
 * transaction. */
ad_code ad_store_job_tally(ad_store *st, const char *job_id, ad_err *err);
/* One side's consent to a series merge, set when it has none (series_merge.c) */
ad_code ad_store_merge_consent(ad_store *st, int64_t mid, int into, int64_t agency, int64_t at,
                               int *changed, ad_err *err);

#endif
