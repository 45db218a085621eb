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
    if (!ad_arg(&a, "--agency") || !ad_arg(&a, "--role"))
        return ad_cli_close(st, ad_args_usage_error(&a, "--agency and --role are required"));
    ad_err err;
    ad_role role;
    if (ad_role_parse(ad_arg(&a, "--role"), &role, &err) != AD_OK)
        return ad_cli_close(st, ad_args_usage_error(&a, "%s", err.msg));
    int64_t agency;
    if ((rc = ad_cli_agency(&a, st, ad_arg(&a, "--agency"), &agency)) >= 0)
        return ad_cli_close(st, rc);
    ad_identity who;
    ad_call c;
    ad_cli_call(st, &who, &c);
    json_t *doc;
    char aid[32];
    snprintf(aid, sizeof aid, "%lld", (long long)agency);
    if (ad_svc_user_add(&c, a.pos[0], aid, ad_role_name(role), expires, &doc, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    json_object_del(doc, "agency"); /* user-add.schema.json's members */
    if (a.json) {
        ad_cli_json(doc);
    } else {
        char t[32];
        printf("user %lld: %s (%s)%s%s\nAPI key (shown once, keep it safe): %s\n",
               (long long)json_integer_value(json_object_get(doc, "id")), a.pos[0],
               ad_role_name(role), expires ? ", key expires " : "",
               expires ? ad_cli_time(expires, t) : "",
               json_string_value(json_object_get(doc, "api_key")));
        json_decref(doc);
    }
    return ad_cli_close(st, AD_EXIT_OK);
}

static int user_list(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "user list", "user list [--json]", argc, argv, NULL, 0, 0, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    ad_identity who;
    ad_call c;
    ad_cli_call(st, &who, &c);
    json_t *doc, *u;
    if (ad_svc_user_list(&c, &doc, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    size_t i;
    json_array_foreach(json_object_get(doc, "users"), i, u)
    {
        if (a.json) {
            ad_cli_json(json_incref(u));
            continue;
        }
        const char *ex = json_string_value(json_object_get(u, "expires"));
        char now[32];
        ad_cli_time((int64_t)time(NULL), now);
        printf("%lld\t%s\t%s\t%s\t%s\n", (long long)json_integer_value(json_object_get(u, "id")),
               json_string_value(json_object_get(u, "name")),
               json_string_value(json_object_get(u, "agency")),
               json_string_value(json_object_get(u, "role")),
               !json_is_null(json_object_get(u, "revoked")) ? "revoked"
               : ex && strcmp(ex, now) <= 0                 ? "expired"
                                                            : "active");
    }
    json_decref(doc);
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
    ad_identity who;
    ad_call c;
    ad_cli_call(st, &who, &c);
    json_t *doc;
    if (ad_svc_user_revoke(&c, a.pos[0], &doc, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (a.json) {
        ad_cli_json(doc);
    } else {
        printf("user %lld: key revoked\n",
               (long long)json_integer_value(json_object_get(doc, "id")));
        json_decref(doc);
    }
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
