/* cmd_audit.c: `ariadne audit verify|show`: the tamper-evident audit chain; rows shown one a
 * line in escaped columns, or as JSON Lines (docs/schemas/audit-show.schema.json). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "ariadne/fed.h"
#include "ariadne/util.h"
#include "cli.h"
#include "textout.h"

/* "SEQ:HEX" (as `audit verify` and reports print it) into seq and hash; -1 if malformed. */
static int parse_anchor(const char *text, int64_t *seq, uint8_t hash[32])
{
    const char *colon = strchr(text, ':');
    long long v;
    char num[24];
    if (!colon || (size_t)(colon - text) >= sizeof num)
        return -1;
    memcpy(num, text, (size_t)(colon - text));
    num[colon - text] = 0;
    if (ad_cli_parse_int(num, 1, LLONG_MAX, &v) || strlen(colon + 1) != 64 ||
        ad_hex_decode(colon + 1, 64, hash, 32, NULL) != AD_OK)
        return -1;
    *seq = v;
    return 0;
}

/* --witness PEER [--witness-file BUNDLE]: the head PEER witnessed (ad_fed_witness_check). */
static ad_code witness_check(const ad_args *a, ad_store *st, char *out, size_t cap, ad_err *err)
{
    const char *file = ad_arg(a, "--witness-file");
    uint8_t *buf = NULL;
    size_t len = 0;
    if (file) {
        FILE *f = fopen(file, "rb");
        long n = -1;
        if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
            (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
            len = (size_t)n;
        if (f)
            fclose(f);
        if (!len) {
            free(buf);
            return ad_err_set(err, AD_ERR_IO, "cannot read %s", file);
        }
    }
    int64_t seq = 0;
    char hash[65];
    ad_code c = ad_fed_witness_check(st, ad_arg(a, "--witness"), buf, len, &seq, hash, err);
    free(buf);
    if (c == AD_OK)
        snprintf(out, cap, "%lld:%s", (long long)seq, hash);
    return c;
}

static int audit_verify(int argc, char **argv)
{
    static const char *const opts[] = {"--anchor", "--witness", "--witness-file", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_args_parse(&a, "audit verify",
                           "audit verify [--anchor SEQ:HASH] [--witness PEER [--witness-file "
                           "BUNDLE]] [--json]\n"
                           "  Walks the whole chain and names the first broken row. It prints the "
                           "head as an anchor,\n  SEQ:HASH: recorded outside the database (reports "
                           "carry one), --anchor checks later\n  that this row is still in the "
                           "chain with that hash (nothing up to it was cut or rewritten).\n  --witness "
                           "PEER checks the head PEER signed into its latest bundle to us (or "
                           "into\n  BUNDLE, a bundle file PEER sent: docs/federation.md) the "
                           "same way.",
                           argc, argv, opts, 0, 0);
    if (rc >= 0)
        return rc;
    int64_t aseq = 0;
    uint8_t ahash[32];
    const char *anchor = ad_arg(&a, "--anchor");
    if (anchor && parse_anchor(anchor, &aseq, ahash))
        return ad_args_usage_error(&a,
                                   "--anchor takes SEQ:HASH (a row number, ':' and 64 hex), "
                                   "not '%s'",
                                   anchor);
    if ((rc = ad_cli_open(&a, &st, 0)) >= 0)
        return rc;
    ad_err err;
    int64_t rows = 0, broken = 0;
    uint8_t head[32];
    char hex[65];
    /* the chain, then the file under it (SQLite: integrity_check, every page and index) */
    ad_code c = ad_store_audit_verify(st, &rows, &broken, head, &err);
    if (c == AD_OK)
        c = ad_store_check(st, 1, &err);
    if (c != AD_OK && c != AD_ERR_CHECKSUM && c != AD_ERR_CORRUPT)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (c == AD_OK && anchor)
        c = ad_store_audit_anchor(st, aseq, ahash, &err);
    char witness[96] = "";
    if (c == AD_OK && ad_arg(&a, "--witness"))
        c = witness_check(&a, st, witness, sizeof witness, &err);
    ad_hex_encode(head, 32, hex);
    if (a.json)
        ad_cli_json(json_pack("{s:b, s:I, s:I, s:s, s:s?, s:s?, s:s?}", "ok", c == AD_OK,
                              "rows", (json_int_t)rows, "broken", (json_int_t)broken, "head", hex,
                              "anchor", anchor, "witness", *witness ? witness : NULL, "error",
                              c == AD_OK ? NULL : err.msg));
    else if (c == AD_OK)
        printf("audit chain intact: %lld rows, head %s\n%s%s%s%sanchor: %lld:%s\n",
               (long long)rows, hex, anchor ? "the anchored row is in the chain with its hash\n" : "",
               *witness ? "the row witnessed by the peer is in the chain with its hash: " : "",
               witness, *witness ? "\n" : "", (long long)rows, hex);
    if (c != AD_OK)
        ad_cli_error("audit verify", "%s", err.msg);
    return ad_cli_close(st, c == AD_OK ? AD_EXIT_OK : AD_EXIT_FAIL);
}

/* Text columns: seq, time, who, action, object, then the detail; every value escaped, so one
 * row is one line whatever it holds. */
#define W_SEQ 6
#define W_TIME 20
#define W_WHO 18
#define W_ACTION 20
#define W_OBJECT 14

static void print_header(void)
{
    printf("%*s  %-*s  %-*s  %-*s  %-*s  %s\n", W_SEQ, "SEQ", W_TIME, "TIME (UTC)", W_WHO, "WHO",
           W_ACTION, "ACTION", W_OBJECT, "OBJECT", "DETAIL");
}

static int print_row(void *ctx, const ad_audit_row *r)
{
    char t[32];
    ad_cli_time(r->time, t);
    if (*(int *)ctx) {
        ad_cli_json(ad_svc_audit_row_json(r));
        return 0;
    }
    printf("%*lld  %-*s  ", W_SEQ, (long long)r->seq, W_TIME, t);
    ad_txt_pad(stdout, r->who, W_WHO);
    fputs("  ", stdout);
    ad_txt_pad(stdout, r->action, W_ACTION);
    fputs("  ", stdout);
    ad_txt_pad(stdout, r->object, W_OBJECT);
    fputs("  ", stdout);
    ad_txt_put(stdout, r->detail ? r->detail : "");
    putchar('\n');
    return 0;
}

static int audit_show(int argc, char **argv)
{
    static const char *const opts[] = {"--after", "--limit", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_args_parse(&a, "audit show", "audit show [--after SEQ] [--limit N] [--json]", argc,
                           argv, opts, 0, 0);
    if (rc >= 0)
        return rc;
    long long after = 0, limit = 0;
    if (ad_cli_int(a.prog, "--after", ad_arg(&a, "--after"), 0, LLONG_MAX, &after) ||
        ad_cli_int(a.prog, "--limit", ad_arg(&a, "--limit"), 0, LLONG_MAX, &limit))
        return AD_EXIT_USAGE;
    if ((rc = ad_cli_open(&a, &st, 0)) >= 0)
        return rc;
    ad_err err;
    if (!a.json)
        print_header();
    if (ad_store_audit_list(st, after, limit, print_row, &a.json, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"verify", audit_verify,
     "walk the audit chain and name the first broken row; check the SQLite file"},
    {"show", audit_show, "print audit rows"},
};

int ad_cmd_audit(int argc, char **argv)
{
    return ad_cli_dispatch("audit", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
