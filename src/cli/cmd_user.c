/* cmd_user.c: `ariadne user add|list|revoke`: people and systems with API keys. The key is
 * printed once, when the user is added; the store keeps only a salted hash. */
#include <stdio.h>

#include "args.h"
#include "cli.h"

static int user_add(int argc, char **argv)
{
    static const char *const opts[] = {"--agency", "--role", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "user add",
                          "user add NAME --agency AGENCY --role "
                          "admin|investigator|analyst|platform|auditor",
                          argc, argv, opts, 1, 1, 0);
    if (rc >= 0)
        return rc;
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
    if (ad_store_user_add(st, agency, a.pos[0], role, &id, key, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "name", a.pos[0],
                              "role", ad_role_name(role), "api_key", key));
    else
        printf("user %lld: %s (%s)\nAPI key (shown once, keep it safe): %s\n", (long long)id,
               a.pos[0], ad_role_name(role), key);
    return ad_cli_close(st, AD_EXIT_OK);
}

static int print_user(void *ctx, const ad_user *u)
{
    char t[32], r[32];
    if (*(int *)ctx)
        ad_cli_json(json_pack(
            "{s:I, s:s, s:s, s:s, s:s, s:s, s:s?}", "id", (json_int_t)u->id, "name", u->name,
            "agency", u->agency_name, "role", ad_role_name(u->role), "key_id", u->key_id, "created",
            ad_cli_time(u->created, t), "revoked", u->revoked ? ad_cli_time(u->revoked, r) : NULL));
    else
        printf("%lld\t%s\t%s\t%s\t%s\n", (long long)u->id, u->name, u->agency_name,
               ad_role_name(u->role), u->revoked ? "revoked" : "active");
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
    int rc = ad_cli_start(&a, &st, "user revoke", "user revoke USER", argc, argv, NULL, 1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    int64_t id;
    if (ad_store_user_find(st, a.pos[0], &id, &err) != AD_OK ||
        ad_store_user_revoke(st, id, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
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
