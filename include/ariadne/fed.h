/* fed.h: federation (issue 15, docs/federation.md): this instance's Ed25519 identity, the peers
 * it trusts, its change log cut into signed, content-addressed change sets, and bundles of
 * change sets verified whole and applied all or nothing with the merge rules. */
#ifndef ARIADNE_FED_H
#define ARIADNE_FED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ariadne/error.h"
#include "ariadne/store.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;

#define AD_FED_PUBKEY_HEX 64 /* an Ed25519 public key as hex */

/* A secret key in memory (libsodium's 64-byte form: seed and public key). */
typedef struct ad_fed_key {
    uint8_t sk[64];
    uint8_t pk[32];
} ad_fed_key;

/* Where the secret key of the store at url lives: `given` when not NULL, else
 * $ARIADNE_FED_KEY, else "<sqlite file>.fed.key" beside an SQLite store (AD_ERR_ARG for a
 * PostgreSQL store without one of the first two). */
ad_code ad_fed_key_path(const char *url, const char *given, char *out, size_t cap, ad_err *err);
/* Makes this instance's key pair: the secret key into a new file at path (mode 0600; an
 * existing file is AD_ERR_EXISTS), the public key and name (NULL: keep) into the instance row.
 * An instance that has a public key already is AD_ERR_EXISTS. Audited (instance.key). */
ad_code ad_fed_keygen(ad_store *st, const char *path, const char *name, ad_err *err);
/* Reads the secret key file and checks it belongs to this store's public key. */
ad_code ad_fed_key_load(ad_store *st, const char *path, ad_fed_key *key, ad_err *err);
void ad_fed_key_wipe(ad_fed_key *key);

typedef struct ad_fed_instance {
    char uuid[AD_UUID_LEN + 1];
    char name[128];
    char pubkey[AD_FED_PUBKEY_HEX + 1]; /* empty: no key yet */
    int64_t last_seq;                   /* the last sequence cut into a change set */
    int64_t pending;                    /* changes logged, not yet cut */
    int64_t change_sets, peers;
} ad_fed_instance;
ad_code ad_fed_instance_get(ad_store *st, ad_fed_instance *out, ad_err *err);

typedef struct ad_fed_peer {
    int64_t id;
    const char *name, *url;
    const char *pubkey; /* 64 hex */
    const char *scope;  /* "national" (authors its own change sets) | "hub" (also relays) */
    const char *origin; /* its instance UUID once seen, else NULL */
    int64_t added;
    /* the policy per peer (docs/federation.md "Policy per peer"): the record kinds sent to it
     * and accepted from it, comma-separated in the kinds' order; NULL: every shareable kind */
    const char *send_kinds, *accept_kinds;
} ad_fed_peer;
/* The shareable record kinds, in their order (a change set holds one kind): media, series,
 * link, person, vote, note, clue, merge (owners merging two series), unlink (a series' media
 * unlinked, schema 18); a set of them is a bit
 * mask (bit i: kind i). */
#define AD_FED_KINDS 9
#define AD_FED_KINDS_ALL 0x1ffu
const char *ad_fed_kind_name(int i);
/* Parses "KIND,KIND..." into a mask (AD_ERR_ARG naming an unknown kind; custody, cases and
 * private notes are no kind: never shared under any setting); formats a mask back (into buf
 * of at least 64 bytes; "" for none). */
ad_code ad_fed_kinds_parse(const char *csv, unsigned *mask, ad_err *err);
const char *ad_fed_kinds_format(unsigned mask, char *buf);
/* Trusts a peer (name unique, key unique and not this instance's own). Audited. */
ad_code ad_fed_peer_add(ad_store *st, const ad_fed_peer *p, int64_t *id, ad_err *err);
/* Changes a peer's policy: the kinds sent to it and accepted from it (masks; a NULL pointer
 * leaves that one as it is). Widening sends nothing withheld before (docs/federation.md).
 * Audited (peer.policy). */
ad_code ad_fed_peer_policy(ad_store *st, const char *name, const unsigned *send,
                           const unsigned *accept, ad_err *err);
ad_code ad_fed_peer_remove(ad_store *st, const char *name, ad_err *err);
typedef int (*ad_fed_peer_fn)(void *ctx, const ad_fed_peer *p); /* non-zero stops */
ad_code ad_fed_peer_list(ad_store *st, ad_fed_peer_fn fn, void *ctx, ad_err *err);

/* Sends this instance's own records of `kinds` again (e.g. after widening a peer's policy):
 * logs them as changed, so the next cut carries their current state to every peer whose
 * policy sends those kinds (a peer that has them changes nothing). Own records only: series,
 * people, votes, notes and clues of this origin's gids; every media, link and series merge (a
 * merge's change carries only this origin's consents). *n: records
 * logged. Audited (fed.resend). */
ad_code ad_fed_resend(ad_store *st, unsigned kinds, int64_t *n, ad_err *err);
/* Cuts the changes logged since the last cut into one signed change set of this origin
 * (*n = its changes; 0: nothing to share, no set made). Audited (fed.cut). */
ad_code ad_fed_cut(ad_store *st, const ad_fed_key *key, int64_t *n, ad_err *err);

/* What a bundle carried or an export wrote. */
typedef struct ad_fed_stats {
    int64_t sets;           /* change sets in the bundle */
    int64_t changes;        /* changes in them */
    int64_t applied;        /* changes applied (new) */
    int64_t skipped;        /* changes already applied earlier (replay, overlap, own origin) */
    int64_t withheld;       /* export: changes not sent by the peer's policy; import: changes the
                             * sender withheld (only their place in the origin's run came) */
    int64_t refused;        /* import: changes refused by this instance's policy for the sender or
                             * author (nothing of them written) */
    unsigned refused_kinds; /* import: their kinds (mask) */
    int64_t bytes;          /* bundle size */
} ad_fed_stats;

/* Writes a bundle for the peer `peer` (cuts pending changes first): this origin's change sets
 * and, for a peer of scope "national" (this instance is its hub), the other origins' ones,
 * each from after what was sent to that peer before (all = 1: everything), as one malloc'd
 * buffer (*out, *len), signed by this instance. Records what was sent. */
ad_code ad_fed_bundle_export(ad_store *st, const ad_fed_key *key, const char *peer, int all,
                             uint8_t **out, size_t *len, ad_fed_stats *stats, ad_err *err);
/* Verifies a whole bundle (every signature and hash, every origin's key and the sender's
 * scope, every run's contiguity and every line's form) before writing anything, then applies
 * it in one transaction with the merge rules. A bundle that fails any check is rejected whole
 * (AD_ERR_PERM for trust: unknown key, bad signature, out of scope, a change its author may
 * not make; AD_ERR_CHECKSUM for a damaged or truncated body; AD_ERR_PARSE for a malformed
 * line; AD_ERR_NOT_FOUND for a gap in an origin's run): nothing is written. Replays change
 * nothing. */
ad_code ad_fed_bundle_import(ad_store *st, const uint8_t *buf, size_t len, ad_fed_stats *stats,
                             ad_err *err);
/* The same from a seekable file, from where it stands to its end, in bounded memory: a first
 * pass verifies everything one change set at a time, a second reads each set again (refused if
 * its bytes changed) and applies it, inside one transaction. */
ad_code ad_fed_bundle_import_file(ad_store *st, FILE *f, ad_fed_stats *stats, ad_err *err);
/* ad_fed_bundle_export written to f as it is made, one change set at a time in memory. */
ad_code ad_fed_bundle_export_file(ad_store *st, const ad_fed_key *key, const char *peer, int all,
                                  FILE *f, ad_fed_stats *stats, ad_err *err);

/* Over HTTP (GET /v1/fed/changes): the requesting peer signs (its key) the serving
 * instance's public key and the time t (Unix seconds); ad_fed_pull checks the signature by a
 * peer's key and that t is within 5 minutes, then exports that peer's bundle with the serving
 * instance's key (ad_fed_key_path of the store: $ARIADNE_FED_KEY or beside an SQLite file). */
void ad_fed_pull_sign(const ad_fed_key *key, const char *server_pub, int64_t t, char sig[129]);
ad_code ad_fed_pull(ad_store *st, const char *peer_pub, int64_t t, const char *sig_hex, int all,
                    uint8_t **out, size_t *len, ad_err *err);
/* ad_fed_pull's checks alone: the peer's name (80 bytes) and the serving instance's key (wipe
 * it), for an answer written as it is made (ad_fed_bundle_export_file: the server's GET). */
ad_code ad_fed_pull_check(ad_store *st, const char *peer_pub, int64_t t, const char *sig_hex,
                          char name[80], ad_fed_key *key, ad_err *err);

/* One exchange with peer `peer` over HTTP, at the URL `peer add` gave (the code path of
 * `ariadne sync PEER` and of `ariadne serve --sync-every`): pushes this instance's bundle for it
 * (POST /v1/fed/changes: what it held counts as sent even when the push fails; all = 1 sends
 * everything held again), then pulls the peer's bundle for this instance and imports it
 * (verified whole, all or nothing). Both are audited as their steps are (bundle.export,
 * bundle.import). cancel (may be NULL) is polled during transfers: non-zero aborts. r->stage
 * says how far it went: AD_FED_SYNC_PEER (no such peer: AD_ERR_NOT_FOUND; no URL: AD_ERR_ARG),
 * _PUSH, _PULL (failed there), _DONE. libcurl must be initialised (curl_global_init). */
enum { AD_FED_SYNC_PEER, AD_FED_SYNC_PUSH, AD_FED_SYNC_PULL, AD_FED_SYNC_DONE };
typedef struct ad_fed_sync_result {
    int stage;
    int requests; /* POSTs of the push: the bundle goes in chunks of at most what the peer
                   * takes (8 MiB first, or what the peer took last time; halved on each 413,
                   * and the smaller size remembered for the peer: fed_peer.push_max), never
                   * held whole in memory */
    int refused;  /* of those, answered 413 (too large for the peer) */
    int pulls;    /* GETs of the pull (0 or 1) */
    int64_t bytes_up, bytes_down; /* request and answer bodies over the wire, every request */
    ad_fed_stats sent, got;
} ad_fed_sync_result;
ad_code ad_fed_sync(ad_store *st, const ad_fed_key *key, const char *peer, int all,
                    int (*cancel)(void *), void *cancel_ctx, ad_fed_sync_result *r, ad_err *err);

/* Sync on a schedule (`ariadne serve --sync-every`): a thread, with a store connection of its
 * own and the key at key_path, that calls ad_fed_sync with every peer that has a URL every
 * `every` seconds (0.1 s to 30 days). A failure goes to log (a line, no newline; log may be
 * NULL) and that peer is retried with backoff (the interval doubled per failure in a row, up to
 * 64 intervals or an hour), everything held being sent again after a failed push; nothing
 * stops the thread but ad_fed_syncer_stop (which aborts a transfer in flight). Actor: "serve".
 * Errors at start: the store, the key (AD_ERR_ARG for a bad interval). */
typedef struct ad_fed_syncer ad_fed_syncer;
typedef void (*ad_fed_log_fn)(void *ctx, const char *line);
ad_code ad_fed_syncer_start(const char *db_url, const char *key_path, double every,
                            ad_fed_log_fn log, void *log_ctx, ad_fed_syncer **out, ad_err *err);
void ad_fed_syncer_stop(ad_fed_syncer *s); /* NULL is allowed */
/* {"every": S, "rounds": N, "peers": [{"peer", "last_try", "last_ok", "next_try" (Unix seconds
 * or null), "result" ("ok", "not yet" or the error), "failures" (in a row), "sent": {"sets",
 * "changes"}, "received": {"sets", "applied", "skipped"}} (of the last try)]}; a new
 * reference (an empty array when s is NULL). */
struct json_t *ad_fed_syncer_status(ad_fed_syncer *s);

/* Where the exchange stands (GET /v1/fed/status): {"uuid", "name", "last_seq" (this origin's
 * last change cut), "pending" (logged, not cut yet), "peers": [{"peer", "url", "scope",
 * "origin", "received_seq" (the last change of its origin held here), "sent": [{"origin",
 * "last_seq"}] (what was sent to it, per origin)}]}. */
ad_code ad_fed_cursors(ad_store *st, struct json_t **out, ad_err *err);

/* Witnessed audit heads: every bundle's manifest carries the head its sender holds of the
 * receiver's origin, signed with the manifest. ad_fed_witness_check checks this store's audit
 * chain against the head that peer witnessed: the one in `bundle` (a bundle file's bytes that
 * the peer sent, NULL: the latest one kept from its bundles), verified with the peer's key;
 * the chain must still hold that row with that hash (ad_store_audit_anchor). AD_ERR_NOT_FOUND
 * when the peer has witnessed nothing yet; AD_ERR_CHECKSUM when the chain lost or changed it. */
ad_code ad_fed_witness_check(ad_store *st, const char *peer, const uint8_t *bundle, size_t len,
                             int64_t *seq, char hash[65], ad_err *err);

#ifdef __cplusplus
}
#endif
#endif
