/* report_html.h: the pieces the HTML report's files share (internal): escaping, table cells,
 * times, the class colours, and the location section (report_map.c). */
#ifndef AD_REPORT_HTML_H
#define AD_REPORT_HTML_H

#include <stdint.h>
#include <stdio.h>

#include "ariadne/report.h"

/* Text with & < > " ' escaped and control bytes replaced (U+FFFD); NULL writes nothing. */
void ad_html_esc(FILE *o, const char *s);
/* Unix seconds as ISO 8601 UTC ("2026-12-04T16:48:28Z"), a dash when unknown. */
void ad_html_time(FILE *o, int64_t t);
/* A capture time as the camera gave it: with its UTC offset, or marked as the camera's clock
 * with no zone; a dash when unknown. */
void ad_html_captured(FILE *o, const ad_report_item *x);
/* Table cells: escaped text (cls: an optional class), a file (thumbnail and path), a time. */
void ad_html_td(FILE *o, const char *cls, const char *text);
void ad_html_td_file(FILE *o, const ad_report_item *x);
void ad_html_td_time(FILE *o, int64_t t);
void ad_html_td_captured(FILE *o, const ad_report_item *x);
/* The colour of a class in the chart, the summary and the map. */
const char *ad_html_class_color(ad_report_class c);

/* The location section: the GPS positions over the world basemap, numbered, then the table. */
void ad_report_html_locations(FILE *o, const ad_report *r);
/* The possible links (report_links.c): files sharing a scene with a known picture. */
void ad_report_html_links(FILE *o, const ad_report *r);

#endif
