/* args.c: argument parsing, store opening and output helpers shared by the record commands. */
#include "args.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include "ariadne/util.h"
#include "cli.h"

static int takes_value(const char *opt, const char *const *value_opts)
{
    if (!strcmp(opt, "--db") || !strcmp(opt, "--as"))
        return 1;
    for (size_t i = 0; value_opts && value_opts[i]; i++)
        if (!strcmp(opt, value_opts[i]))
            return 1;
    return 0;
}

int ad_args_usage_error(const ad_args *a, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ariadne %s: ", a->prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: ariadne %s\n", a->usage);
    return AD_EXIT_USAGE;
}

int ad_args_parse(ad_args *a, const char *prog, const char *usage, int argc, char **argv,
                  const char *const *value_opts, int min_pos, int max_pos)
{
    memset(a, 0, sizeof *a);
    a->prog = prog;
    a->usage = usage;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (only_pos || s[0] != '-' || !s[1]) {
            if (a->npos >= AD_ARGS_MAX)
                return ad_args_usage_error(a, "too many arguments");
            a->pos[a->npos++] = s;
        } else if (!strcmp(s, "--")) {
            only_pos = 1;
        } else if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            printf("usage: ariadne %s\n\ncommon options: --db URL (sqlite:PATH, PATH or "
                   "postgresql://...; default $ARIADNE_DB or %s), --as USER (who is acting; "
                   "default $ARIADNE_USER), --json\n",
                   usage, AD_STORE_DEFAULT_URL);
            return AD_EXIT_OK;
        } else if (!strcmp(s, "--json")) {
            a->json = 1;
        } else if (takes_value(s, value_opts)) {
            if (i + 1 >= argc)
                return ad_args_usage_error(a, "%s needs a value", s);
            if (a->nkv >= AD_ARGS_MAX)
                return ad_args_usage_error(a, "too many options");
            a->keys[a->nkv] = s;
            a->vals[a->nkv++] = argv[++i];
        } else {
            return ad_args_usage_error(a, "unknown option %s", s);
        }
    }
    if (a->npos < min_pos)
        return ad_args_usage_error(a, "missing argument");
    if (a->npos > max_pos)
        return ad_args_usage_error(a, "too many arguments");
    return -1;
}

const char *ad_arg(const ad_args *a, const char *name)
{
    const char *v = NULL;
    for (int i = 0; i < a->nkv; i++)
        if (!strcmp(a->keys[i], name))
            v = a->vals[i];
    return v;
}

int ad_cli_fail(const ad_args *a, const ad_err *err)
{
    ad_cli_error(a->prog, "%s", err->msg);
    return AD_EXIT_FAIL;
}

int ad_cli_close(ad_store *st, int rc)
{
    ad_store_close(st);
    return rc;
}

typedef struct {
    int64_t uid, agency;
} actor_ctx;

static int on_actor(void *ctx, const ad_user *u)
{
    actor_ctx *c = ctx;
    if (u->id != c->uid)
        return 0;
    c->agency = u->agency_id;
    return 1;
}

int ad_cli_open(const ad_args *a, ad_store **st, int flags)
{
    ad_err err;
    if (ad_store_open(st, ad_arg(a, "--db"), flags, &err) != AD_OK)
        return ad_cli_fail(a, &err);
    const char *who = ad_arg(a, "--as");
    if (!who)
        who = getenv("ARIADNE_USER");
    char local[160];
    if (!who || !*who) {
        const char *u = getenv("USER");
        struct passwd *pw = (!u || !*u) ? getpwuid(getuid()) : NULL;
        if (pw)
            u = pw->pw_name;
        snprintf(local, sizeof local, "local:%s", u && *u ? u : "unknown");
        ad_store_set_actor(*st, local, 0);
        return -1;
    }
    /* a known user acts for its agency */
    actor_ctx c = {0, 0};
    if (ad_store_user_find(*st, who, &c.uid, NULL) == AD_OK)
        ad_store_user_list(*st, on_actor, &c, NULL);
    ad_store_set_actor(*st, who, c.agency);
    return -1;
}

int ad_cli_start(ad_args *a, ad_store **st, const char *prog, const char *usage, int argc,
                 char **argv, const char *const *value_opts, int min_pos, int max_pos, int flags)
{
    int rc = ad_args_parse(a, prog, usage, argc, argv, value_opts, min_pos, max_pos);
    return rc >= 0 ? rc : ad_cli_open(a, st, flags);
}

int ad_cli_media(const ad_args *a, ad_store *st, const char *hex, int64_t *id)
{
    ad_err err;
    ad_code rc;
    if (!strncmp(hex, "pdq:", 4)) {
        ad_h256 h;
        rc = ad_h256_parse(&h, hex + 4, strlen(hex + 4), &err);
        if (rc == AD_OK)
            rc = ad_store_media_find(st, AD_HASH_PDQ, h.b, id, &err);
    } else {
        rc = ad_store_media_find_hex(st, hex, id, &err);
    }
    return rc == AD_OK ? -1 : ad_cli_fail(a, &err);
}

int ad_cli_agency(const ad_args *a, ad_store *st, const char *name, int64_t *id)
{
    ad_err err;
    *id = 0;
    if (!name)
        return -1;
    if (ad_store_agency_find(st, name, id, &err) != AD_OK)
        return ad_cli_fail(a, &err);
    return -1;
}

void ad_cli_json(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (s) {
        puts(s);
        free(s);
    }
    json_decref(v);
}

json_t *ad_cli_json_hex(const uint8_t *b, size_t n, int has)
{
    if (!has)
        return json_null();
    char hex[2 * 64 + 1];
    if (n > 64)
        n = 64;
    return json_string(ad_hex_encode(b, n, hex));
}

const char *ad_cli_time(int64_t t, char buf[32])
{
    buf[0] = 0;
    if (t > 0) {
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    return buf;
}

int ad_cli_dispatch(const char *cmd, int argc, char **argv, const ad_subcmd *subs, size_t n)
{
    int help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    if (argc < 2 || help) {
        FILE *out = help ? stdout : stderr;
        fprintf(out, "usage: ariadne %s <sub-command> [options]\n\nsub-commands:\n", cmd);
        for (size_t i = 0; i < n; i++)
            fprintf(out, "  %-10s %s\n", subs[i].name, subs[i].help);
        fprintf(out, "\n'ariadne %s <sub-command> --help' describes each.\n", cmd);
        return help ? AD_EXIT_OK : AD_EXIT_USAGE;
    }
    for (size_t i = 0; i < n; i++)
        if (!strcmp(argv[1], subs[i].name))
            return subs[i].fn(argc - 1, argv + 1);
    ad_cli_error(cmd, "unknown sub-command '%s' (see 'ariadne %s --help')", argv[1], cmd);
    return AD_EXIT_USAGE;
}

int ad_args_take_flag(int *argc, char **argv, const char *name)
{
    int found = 0, o = 0;
    for (int i = 0; i < *argc; i++) {
        if (!strcmp(argv[i], name))
            found = 1;
        else
            argv[o++] = argv[i];
    }
    argv[o] = NULL;
    *argc = o;
    return found;
}
