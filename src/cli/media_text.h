/* media_text.h: `ariadne media show` for people: its JSON document as labelled sections. */
#ifndef AD_CLI_MEDIA_TEXT_H
#define AD_CLI_MEDIA_TEXT_H

#include <jansson.h>

/* Prints the document (docs/schemas/media-show.schema.json) on stdout: Media, Classification,
 * Series, Matches, Sightings, Votes, Notes, Clues, Lists; every stored text escaped. */
void ad_cli_media_text(json_t *doc);

#endif
