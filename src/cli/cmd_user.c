/* cmd_user.c: `ariadne user add|list|revoke`: people and systems with API keys. The key is
 * printed once, when the user is added; the store keeps only a salted hash. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cli.h"

/* --expires DATE (YYYY-MM-DD: the key works through that day, UTC) or DAYS (from now): the
 * time the key stops working; 0 when the text is neither. */
static int64_t parse_expires(const char *s)
{
    long long days;
    if (!ad_cli_parse_int(s, 1, 36500, &days))
        return (int64_t)time(NULL) + days * 86400;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%d", &tm);
    if (!end || *end || strlen(s) != 10)
        return 0;
    int mon = tm.tm_mon, mday = tm.tm_mday;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mon != mon || tm.tm_mday != mday) /* 2026-02-30 */
        return 0;
    return (int64_t)t + 86400;
}

static int user_add(int argc, char **argv)
{
    static const char *const opts[] = {"--agency", "--role", "--expires", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "user add",
                          "user add NAME --agency AGENCY --role "
                          "admin|investigator|analyst|platform|auditor [--expires DATE|DAYS]\n"
                          "\n"
                          "--expires: the key works through DATE (YYYY-MM-DD, UTC), or for DAYS\n"
                          "days from now (1 to 36500); default: until revoked.",
                          argc, argv, opts, 1, 1, 0);
    if (rc >= 0)
        return rc;
    int64_t expires = 0;
    const char *ex = ad_arg(&a, "--expires");
    if (ex && !(expires = parse_expires(ex)))
        return ad_cli_close(st, ad_args_usage_error(&a,
                                                    "--expires takes a date (YYYY-MM-DD) or a "
                                                    "number of days from 1 to 36500, not '%s'",
                                                    ex));
    ad_err err;
    ad_role role;
    int64_t agency, id;
    char key[AD_API_KEY_MAX];
    if (!ad_arg(&a, "--agency") || !ad_arg(&a, "--role"))
        return ad_cli_close(st, ad_args_usage_error(&a, "--agency and --role are required"));
    if (ad_role_parse(ad_arg(&a, "--role"), &role, &err) != AD_OK)
        return ad_cli_close(st, ad_args_usage_error(&a, "%s", err.msg));
    if ((rc = ad_cli_agency(&a, st, ad_arg(&a, "--agency"), &agency)) >= 0)
        return ad_cli_close(st, rc);
    /* the user and its expiry land together or not at all */
    ad_code k = ad_store_begin(st, &err);
    if (k == AD_OK)
        k = ad_store_user_add(st, agency, a.pos[0], role, &id, key, &err);
    if (k == AD_OK && expires)
        k = ad_store_user_set_expires(st, id, expires, &err);
    if (k == AD_OK)
        k = ad_store_commit(st, &err);
    else
        ad_store_rollback(st, NULL);
    if (k != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    char t[32];
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:s, s:s, s:s, s:s?}", "id", (json_int_t)id, "name",
                              a.pos[0], "role", ad_role_name(role), "api_key", key, "expires",
                              expires ? ad_cli_time(expires, t) : NULL));
    else
        printf("user %lld: %s (%s)%s%s\nAPI key (shown once, keep it safe): %s\n", (long long)id,
               a.pos[0], ad_role_name(role), expires ? ", key expires " : "",
               expires ? ad_cli_time(expires, t) : "", key);
    return ad_cli_close(st, AD_EXIT_OK);
}

static int print_user(void *ctx, const ad_user *u)
{
    char t[32], r[32], x[32];
    int expired = u->expires && u->expires <= (int64_t)time(NULL);
    if (*(int *)ctx)
        ad_cli_json(json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}", "id",
                              (json_int_t)u->id, "name", u->name, "agency", u->agency_name, "role",
                              ad_role_name(u->role), "key_id", u->key_id, "created",
                              ad_cli_time(u->created, t), "revoked",
                              u->revoked ? ad_cli_time(u->revoked, r) : NULL, "expires",
                              u->expires ? ad_cli_time(u->expires, x) : NULL));
    else
        printf("%lld\t%s\t%s\t%s\t%s\n", (long long)u->id, u->name, u->agency_name,
               ad_role_name(u->role),
               u->revoked ? "revoked"
               : expired  ? "expired"
                          : "active");
    return 0;
}

static int user_list(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "user list", "user list [--json]", argc, argv, NULL, 0, 0, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    if (ad_store_user_list(st, print_user, &a.json, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    return ad_cli_close(st, AD_EXIT_OK);
}

static int user_revoke(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "user revoke", "user revoke USER [--json]", argc, argv, NULL, 1,
                          1, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    int64_t id;
    if (ad_store_user_find(st, a.pos[0], &id, &err) != AD_OK ||
        ad_store_user_revoke(st, id, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", "revoked"));
    else
        printf("user %lld: key revoked\n", (long long)id);
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"add", user_add, "add a user and print its API key once"},
    {"list", user_list, "list users"},
    {"revoke", user_revoke, "revoke a user's API key"},
};

int ad_cmd_user(int argc, char **argv)
{
    return ad_cli_dispatch("user", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
