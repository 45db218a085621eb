/* jcheck.c: request bodies: parsed with jansson (duplicates refused, nesting bounded) and checked
 * by a small strict checker of our own against the route's schema (required members, types,
 * ranges, no unknown members), so that bad input never reaches the library. */
#include <ctype.h>
#include <string.h>

#include "ariadne/json.h"
#include "server/http.h"

/* Deepest nesting of [ and { outside strings; stops counting past limit. */
static int depth_over(const char *s, size_t n, int limit)
{
    int d = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++d > limit)
                return 1;
        } else if (c == ']' || c == '}') {
            d--;
        }
    }
    return 0;
}

ad_code ad_json_parse_body(const char *buf, size_t len, json_t **out, ad_err *err)
{
    *out = NULL;
    if (len == 0)
        return ad_err_set(err, AD_ERR_PARSE, "the request body is empty (a JSON document was "
                                             "expected)");
    if (!ad_utf8_valid(buf, len))
        return ad_err_set(err, AD_ERR_PARSE, "the request body is not valid UTF-8");
    if (depth_over(buf, len, AD_J_DEPTH_MAX))
        return ad_err_set(err, AD_ERR_PARSE, "the JSON document is nested deeper than %d levels",
                          AD_J_DEPTH_MAX);
    json_error_t je;
    json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return ad_err_set(err, AD_ERR_PARSE, "malformed JSON at byte %d: %s", je.position,
                          je.text);
    *out = v;
    return AD_OK;
}

static const char *kind_name(ad_jkind k)
{
    switch (k) {
    case AD_J_OBJECT:
        return "an object";
    case AD_J_ARRAY:
        return "an array";
    case AD_J_STRING:
        return "a string";
    case AD_J_HEX:
        return "a string of hex digits";
    case AD_J_INT:
        return "a whole number";
    case AD_J_NUMBER:
        return "a number";
    case AD_J_BOOL:
        return "true or false";
    }
    return "?";
}

/* Appends "/" and a JSON Pointer token (~ and / escaped) to the pointer of length *n. */
static void ptr_push(char *field, size_t cap, size_t *n, const char *tok)
{
    if (*n + 1 >= cap)
        return;
    field[(*n)++] = '/';
    for (; *tok && *n + 2 < cap; tok++) {
        if (*tok == '~' || *tok == '/') {
            field[(*n)++] = '~';
            field[(*n)++] = *tok == '~' ? '0' : '1';
        } else {
            field[(*n)++] = *tok;
        }
    }
    field[*n] = 0;
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static ad_code check(const json_t *v, const ad_jschema *s, char *field, size_t cap, size_t n,
                     ad_err *err)
{
    field[n < cap ? n : cap - 1] = 0;
    int ok;
    switch (s->kind) {
    case AD_J_OBJECT:
        ok = json_is_object(v);
        break;
    case AD_J_ARRAY:
        ok = json_is_array(v);
        break;
    case AD_J_STRING:
    case AD_J_HEX:
        ok = json_is_string(v);
        break;
    case AD_J_INT:
        ok = json_is_integer(v);
        break;
    case AD_J_NUMBER:
        ok = json_is_number(v);
        break;
    case AD_J_BOOL:
        ok = json_is_boolean(v);
        break;
    default:
        ok = 0;
    }
    if (!ok)
        return ad_err_set(err, AD_ERR_ARG, "%s must be %s", *field ? field : "the body",
                          kind_name(s->kind));
    const char *at = *field ? field : "the body";
    if (s->kind == AD_J_OBJECT) {
        const char *key;
        json_t *m;
        json_object_foreach((json_t *)v, key, m) {
            const ad_jmember *d = s->members;
            while (d && d->name && strcmp(d->name, key))
                d++;
            size_t k = n;
            ptr_push(field, cap, &k, key);
            if (!d || !d->name)
                return ad_err_set(err, AD_ERR_ARG, "unknown member %s", field);
            ad_code rc = check(m, d->schema, field, cap, k, err);
            if (rc != AD_OK)
                return rc;
            field[n] = 0;
        }
        for (const ad_jmember *d = s->members; d && d->name; d++)
            if (d->required && !json_object_get(v, d->name)) {
                size_t k = n;
                ptr_push(field, cap, &k, d->name);
                return ad_err_set(err, AD_ERR_ARG, "%s is required", field);
            }
        return AD_OK;
    }
    if (s->kind == AD_J_ARRAY) {
        size_t len = json_array_size(v);
        if ((long long)len < s->min || (s->max && (long long)len > s->max))
            return ad_err_set(err, AD_ERR_ARG, "%s must hold %lld to %lld items, not %zu", at,
                              s->min, s->max, len);
        for (size_t i = 0; i < len; i++) {
            char tok[24];
            snprintf(tok, sizeof tok, "%zu", i);
            size_t k = n;
            ptr_push(field, cap, &k, tok);
            ad_code rc = check(json_array_get(v, i), s->items, field, cap, k, err);
            if (rc != AD_OK)
                return rc;
            field[n] = 0;
        }
        return AD_OK;
    }
    if (s->kind == AD_J_STRING || s->kind == AD_J_HEX) {
        const char *t = json_string_value(v);
        size_t len = json_string_length(v);
        long long max = s->max ? s->max : AD_J_STRING_MAX;
        if (strlen(t) != len)
            return ad_err_set(err, AD_ERR_ARG, "%s holds a NUL character", at);
        if (s->kind == AD_J_HEX) {
            if (!is_hex(t, len) || len % 2 || (long long)len < s->min || (long long)len > max)
                return ad_err_set(err, AD_ERR_ARG,
                                  s->min == max ? "%s must be %lld hex digits"
                                                : "%s must be %lld to %lld hex digits",
                                  at, s->min, max);
            return AD_OK;
        }
        if ((long long)len < s->min || (long long)len > max)
            return ad_err_set(err, AD_ERR_ARG, "%s must be %lld to %lld bytes long", at, s->min,
                              max);
        if (s->choices) {
            for (const char *const *c = s->choices; *c; c++)
                if (!strcmp(*c, t))
                    return AD_OK;
            return ad_err_set(err, AD_ERR_ARG, "%s is not one of the values it may take", at);
        }
        return AD_OK;
    }
    if (s->kind == AD_J_INT) {
        long long x = json_integer_value(v);
        if (x < s->min || x > s->max)
            return ad_err_set(err, AD_ERR_ARG, "%s must be from %lld to %lld", at, s->min,
                              s->max);
    } else if (s->kind == AD_J_NUMBER) {
        double x = json_number_value(v);
        if (!(x >= (double)s->min && x <= (double)s->max))
            return ad_err_set(err, AD_ERR_ARG, "%s must be from %lld to %lld", at, s->min,
                              s->max);
    }
    return AD_OK;
}

ad_code ad_jcheck(const json_t *v, const ad_jschema *s, char *field, size_t cap, ad_err *err)
{
    if (!cap)
        return ad_err_set(err, AD_ERR_INTERNAL, "no room for the field");
    field[0] = 0;
    return check(v, s, field, cap, 0, err);
}
