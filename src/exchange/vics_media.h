/* vics_media.h: conversion of one parsed VICS Media object (json_dom.h nodes) into an ad_xmedia
 * (with Ariadne's own series fields), and of case-level members into an ad_xcase (internal to
 * src/exchange). */
#ifndef AD_EXCHANGE_VICS_MEDIA_H
#define AD_EXCHANGE_VICS_MEDIA_H

#include "ariadne/exchange.h"
#include "json_dom.h"

typedef struct ad_vics_conv {
    ad_cat_scheme scheme;
    ad_xfile *files;
    size_t files_cap;
    ad_xmeta *meta;
    size_t meta_cap;
    ad_xseries *series; /* @Ariadne.Series */
    size_t series_cap;
    ad_xvictim *victims;
    size_t victims_cap;
    char field[96]; /* the field at fault after an error */
} ad_vics_conv;

/* Fills m from object node obj of d (strings borrowed from the parsed buffer and d's scratch).
 * On error conv->field names the field and err has the detail. */
ad_code ad_vics_media_from_dom(ad_vics_conv *conv, ad_jdom *d, long obj, ad_xmedia *m, ad_err *err);
/* Fills m->xseries from the Ariadne series array at node arr of d (the ICSE CSV column holds
 * the same JSON); `field` names it in errors. */
ad_code ad_vics_xseries_from_dom(ad_vics_conv *conv, ad_jdom *d, long arr, const char *field,
                                 ad_xmedia *m, ad_err *err);
/* Fills c from the case members of object node obj (media_count is kept). */
ad_code ad_vics_case_from_dom(ad_vics_conv *conv, ad_jdom *d, long obj, ad_xcase *c, ad_err *err);
void ad_vics_conv_free(ad_vics_conv *conv);

#endif
