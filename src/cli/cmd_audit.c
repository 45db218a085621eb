/* cmd_audit.c: `ariadne audit verify|show`: the tamper-evident audit chain. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "ariadne/util.h"
#include "cli.h"

static int audit_verify(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc =
        ad_cli_start(&a, &st, "audit verify", "audit verify [--json]", argc, argv, NULL, 0, 0, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    int64_t rows = 0, broken = 0;
    uint8_t head[32];
    char hex[65];
    ad_code c = ad_store_audit_verify(st, &rows, &broken, head, &err);
    if (c != AD_OK && c != AD_ERR_CHECKSUM)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    ad_hex_encode(head, 32, hex);
    if (a.json)
        ad_cli_json(json_pack("{s:b, s:I, s:I, s:s, s:s?}", "ok", c == AD_OK, "rows",
                              (json_int_t)rows, "broken", (json_int_t)broken, "head", hex, "error",
                              c == AD_OK ? NULL : err.msg));
    else if (c == AD_OK)
        printf("audit chain intact: %lld rows, head %s\n", (long long)rows, hex);
    if (c != AD_OK)
        ad_cli_error("audit verify", "%s", err.msg);
    return ad_cli_close(st, c == AD_OK ? AD_EXIT_OK : AD_EXIT_FAIL);
}

static int print_row(void *ctx, const ad_audit_row *r)
{
    char t[32], hex[65];
    ad_cli_time(r->time, t);
    ad_hex_encode(r->hash, 32, hex);
    if (*(int *)ctx)
        ad_cli_json(json_pack("{s:I, s:s, s:s, s:I, s:s, s:s?, s:s?, s:s}", "seq",
                              (json_int_t)r->seq, "time", t, "who", r->who, "agency",
                              (json_int_t)r->agency_id, "action", r->action, "object", r->object,
                              "detail", r->detail, "hash", hex));
    else
        printf("%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)r->seq, t, r->who, r->action,
               r->object ? r->object : "-", r->detail ? r->detail : "");
    return 0;
}

static int audit_show(int argc, char **argv)
{
    static const char *const opts[] = {"--after", "--limit", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "audit show", "audit show [--after SEQ] [--limit N] [--json]",
                          argc, argv, opts, 0, 0, 0);
    if (rc >= 0)
        return rc;
    long long after = 0, limit = 0;
    if (ad_cli_int(a.prog, "--after", ad_arg(&a, "--after"), 0, LLONG_MAX, &after) ||
        ad_cli_int(a.prog, "--limit", ad_arg(&a, "--limit"), 0, LLONG_MAX, &limit))
        return ad_cli_close(st, AD_EXIT_USAGE);
    ad_err err;
    if (ad_store_audit_list(st, after, limit, print_row, &a.json, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"verify", audit_verify, "walk the audit chain and name the first broken row"},
    {"show", audit_show, "print audit rows"},
};

int ad_cmd_audit(int argc, char **argv)
{
    return ad_cli_dispatch("audit", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
