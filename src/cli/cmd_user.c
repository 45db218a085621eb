/* cmd_user.c: `ariadne user add|list|revoke|passwd`: people and systems with API keys. The key
 * is printed once, when the user is added; the store keeps only a salted hash. People also sign
 * in to the web interface with a password (`passwd`; Argon2id, docs/web.md). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

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

/* Reads one line of at most cap-1 bytes from standard input into buf, without its newline;
 * on a terminal with the prompt on standard error and without echo. -1 at end of input or for
 * a longer line. */
static int read_secret(const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        fflush(stderr);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *got = fgets(buf, (int)cap, stdin);
    if (tty)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    if (!got)
        return -1;
    size_t n = strcspn(buf, "\n");
    if (!buf[n] && n == cap - 1 && !feof(stdin))
        return -1; /* longer than the buffer */
    buf[n] = 0;
    if (n && buf[n - 1] == '\r')
        buf[n - 1] = 0;
    return 0;
}

static int user_passwd(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "user passwd",
                          "user passwd USER [--json]\n"
                          "\n"
                          "Sets USER's password for the web interface (8 to 1024 bytes; Argon2id).\n"
                          "Read from the terminal without echo (twice), or as one line from\n"
                          "standard input when it is not a terminal. Ends the user's sessions.\n"
                          "Platform users have no password: they use API keys.",
                          argc, argv, NULL, 1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    int64_t uid;
    if (ad_store_user_find(st, a.pos[0], &uid, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    char pw[1026], again[1026];
    int bad = read_secret("New password: ", pw, sizeof pw);
    if (!bad && isatty(STDIN_FILENO)) {
        bad = read_secret("Again: ", again, sizeof again);
        if (!bad && strcmp(pw, again)) {
            sodium_memzero(pw, sizeof pw);
            sodium_memzero(again, sizeof again);
            return ad_cli_close(st, ad_args_usage_error(&a, "the two passwords differ"));
        }
        sodium_memzero(again, sizeof again);
    }
    if (bad) {
        sodium_memzero(pw, sizeof pw);
        return ad_cli_close(st, ad_args_usage_error(&a, "no password read (one line of at most"
                                                        " 1024 bytes)"));
    }
    ad_code c = ad_store_user_set_password(st, uid, pw, &err);
    sodium_memzero(pw, sizeof pw);
    if (c == AD_ERR_ARG)
        return ad_cli_close(st, ad_args_usage_error(&a, "%s", err.msg));
    if (c != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:s, s:b}", "id", (json_int_t)uid, "name", a.pos[0],
                              "password_set", 1));
    else
        printf("user %lld: password set\n", (long long)uid);
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"add", user_add, "add a user and print its API key once"},
    {"list", user_list, "list users"},
    {"revoke", user_revoke, "revoke a user's API key"},
    {"passwd", user_passwd, "set a user's password for the web interface"},
};

int ad_cmd_user(int argc, char **argv)
{
    return ad_cli_dispatch("user", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
