/* category.c: the category schemes (Project VIC US, older DHS six classes, UK A/B/C, Interpol-style
 * baseline, VICS CUSTOM), their labels and code text, and the explicit mapping tables between
 * them. Codes of different schemes are only ever related through the table below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ariadne/exchange.h"

static const char *const scheme_names[AD_CAT__COUNT] = {"none", "vics-us",  "dhs",
                                                        "uk",   "baseline", "custom"};

static const char *const vic_us_labels[] = {
    "Non-Pertinent", "CAM", "Child Exploitive/Age Difficult", "CGI/Animation", "Comparison"};
static const char *const dhs_labels[] = {
    "Uncategorized", "CE Illegal",          "CE Non-Illegal/Age Difficult",
    "CGI/Animation", "Exemplar/Comparison", "Non-Pertinent"};
static const char *const uk_labels[] = {"Uncategorised", "A", "B", "C", "Not indecent"};
static const char *const baseline_labels[] = {"Not baseline", "Baseline"};

static const struct {
    const char *const *labels;
    int n;
} scheme_codes[AD_CAT__COUNT] = {
    [AD_CAT_VIC_US] = {vic_us_labels, 5},
    [AD_CAT_DHS] = {dhs_labels, 6},
    [AD_CAT_UK] = {uk_labels, 5},
    [AD_CAT_BASELINE] = {baseline_labels, 2},
};

/* The mapping table: (from scheme, code) -> (to scheme, code). A pair missing here has no
 * mapping. DHS 0 "Uncategorized" and UK 0 "Uncategorised" mean no category in any scheme. UK
 * grades and baseline are all child abuse material, but CAM says nothing about a UK grade or
 * baseline, and "not indecent"/"not baseline" may be non-pertinent or exploitive. */
static const struct {
    ad_cat_scheme from;
    int from_code;
    ad_cat_scheme to;
    int to_code;
} cat_map[] = {
    {AD_CAT_DHS, 0, AD_CAT_NONE, 0},        {AD_CAT_UK, 0, AD_CAT_NONE, 0},
    {AD_CAT_DHS, 1, AD_CAT_VIC_US, 1},      {AD_CAT_DHS, 2, AD_CAT_VIC_US, 2},
    {AD_CAT_DHS, 3, AD_CAT_VIC_US, 3},      {AD_CAT_DHS, 4, AD_CAT_VIC_US, 4},
    {AD_CAT_DHS, 5, AD_CAT_VIC_US, 0},      {AD_CAT_VIC_US, 0, AD_CAT_DHS, 5},
    {AD_CAT_VIC_US, 1, AD_CAT_DHS, 1},      {AD_CAT_VIC_US, 2, AD_CAT_DHS, 2},
    {AD_CAT_VIC_US, 3, AD_CAT_DHS, 3},      {AD_CAT_VIC_US, 4, AD_CAT_DHS, 4},
    {AD_CAT_UK, 1, AD_CAT_VIC_US, 1},       {AD_CAT_UK, 2, AD_CAT_VIC_US, 1},
    {AD_CAT_UK, 3, AD_CAT_VIC_US, 1},       {AD_CAT_UK, 1, AD_CAT_DHS, 1},
    {AD_CAT_UK, 2, AD_CAT_DHS, 1},          {AD_CAT_UK, 3, AD_CAT_DHS, 1},
    {AD_CAT_BASELINE, 1, AD_CAT_VIC_US, 1}, {AD_CAT_BASELINE, 1, AD_CAT_DHS, 1},
};

const char *ad_cat_scheme_name(ad_cat_scheme s)
{
    return (unsigned)s < AD_CAT__COUNT ? scheme_names[s] : "unknown";
}

ad_code ad_cat_scheme_parse(const char *name, ad_cat_scheme *out, ad_err *err)
{
    for (int i = 0; i < AD_CAT__COUNT; i++)
        if (strcasecmp(name, scheme_names[i]) == 0) {
            *out = (ad_cat_scheme)i;
            return AD_OK;
        }
    if (strcasecmp(name, "vic-us") == 0) { /* an alias: older docs and files spelled it so */
        *out = AD_CAT_VIC_US;
        return AD_OK;
    }
    return ad_err_set(err, AD_ERR_PARSE,
                      "unknown category scheme '%s' (vics-us, dhs, uk, baseline, custom)", name);
}

int ad_category_is_valid(ad_category c)
{
    if (c.scheme == AD_CAT_NONE || c.scheme == AD_CAT_CUSTOM)
        return 1;
    if ((unsigned)c.scheme >= AD_CAT__COUNT)
        return 0;
    return c.code >= 0 && c.code < scheme_codes[c.scheme].n;
}

const char *ad_category_label(ad_category c)
{
    if (c.scheme == AD_CAT_NONE)
        return "none";
    if (c.scheme == AD_CAT_CUSTOM)
        return "custom";
    if (!ad_category_is_valid(c))
        return "?";
    return scheme_codes[c.scheme].labels[c.code];
}

const char *ad_category_code_text(ad_category c, char buf[16])
{
    if (c.scheme == AD_CAT_UK && c.code >= 1 && c.code <= 3)
        snprintf(buf, 16, "%c", 'A' + c.code - 1);
    else
        snprintf(buf, 16, "%d", c.code);
    return buf;
}

ad_code ad_category_parse(const char *s, ad_cat_scheme bare, ad_category *out, ad_err *err)
{
    ad_category c = {bare, 0};
    const char *colon = strchr(s, ':');
    if (colon) {
        char name[32];
        size_t n = (size_t)(colon - s);
        if (n >= sizeof name)
            return ad_err_set(err, AD_ERR_PARSE, "unknown category scheme in '%s'", s);
        memcpy(name, s, n);
        name[n] = 0;
        if (ad_cat_scheme_parse(name, &c.scheme, err) != AD_OK)
            return AD_ERR_PARSE;
        s = colon + 1;
    }
    if ((s[0] == 'A' || s[0] == 'B' || s[0] == 'C' || s[0] == 'a' || s[0] == 'b' || s[0] == 'c') &&
        s[1] == 0 && (!colon || c.scheme == AD_CAT_UK)) {
        c.scheme = AD_CAT_UK;
        c.code = (s[0] | 0x20) - 'a' + 1;
    } else {
        char *end;
        long v = strtol(s, &end, 10);
        if (!*s || *end || v < -1000000 || v > 1000000)
            return ad_err_set(err, AD_ERR_PARSE, "category '%s' is not a code", s);
        c.code = (int)v;
    }
    if (c.scheme == AD_CAT_NONE)
        return ad_err_set(err, AD_ERR_PARSE, "category '%s' has no scheme", s);
    if (!ad_category_is_valid(c))
        return ad_err_set(err, AD_ERR_PARSE, "category %s is not a code of scheme %s", s,
                          ad_cat_scheme_name(c.scheme));
    *out = c;
    return AD_OK;
}

int ad_category_equal(ad_category a, ad_category b)
{
    if (a.scheme != b.scheme)
        return 0;
    return a.scheme == AD_CAT_NONE || a.code == b.code;
}

ad_code ad_category_map(ad_category c, ad_cat_scheme to, ad_category *out, ad_err *err)
{
    if (c.scheme == to || c.scheme == AD_CAT_NONE) {
        *out = c.scheme == AD_CAT_NONE ? (ad_category){AD_CAT_NONE, 0} : c;
        return AD_OK;
    }
    for (size_t i = 0; i < sizeof cat_map / sizeof cat_map[0]; i++)
        if (cat_map[i].from == c.scheme && cat_map[i].from_code == c.code &&
            (cat_map[i].to == to || cat_map[i].to == AD_CAT_NONE)) {
            *out = (ad_category){cat_map[i].to, cat_map[i].to_code};
            return AD_OK;
        }
    return ad_err_set(err, AD_ERR_NOT_FOUND, "no mapping of category %s:%d (%s) to scheme %s",
                      ad_cat_scheme_name(c.scheme), c.code, ad_category_label(c),
                      ad_cat_scheme_name(to));
}
