/* exif.h: EXIF clues of a picture held in memory (libexif): the camera (make, model, serial
 * number), its lens, the capture time, GPS position, software, orientation and the image's
 * unique id. Reads JPEG (APP1), TIFF, PNG (eXIf), WebP (EXIF chunk) and HEIF/AVIF (Exif item).
 * Hostile EXIF gives an error or a partial result, never a crash. */
#ifndef ARIADNE_EXIF_H
#define ARIADNE_EXIF_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Text fields are printable ASCII (other bytes become '?'), trimmed, "" when absent. */
typedef struct ad_exif {
    char make[64], model[64];
    char serial[64]; /* BodySerialNumber (0xa431), else CameraSerialNumber (0xc62f) */
    char lens_make[64], lens_model[96], lens_serial[64];
    char software[96];
    char artist[96];    /* Artist (0x013b) */
    char owner[96];     /* CameraOwnerName (0xa430) */
    char unique_id[72]; /* ImageUniqueID (0xa420) */

    /* DateTimeOriginal (else DateTimeDigitized) as ISO 8601 "2021-07-04T15:30:00", followed by
     * the offset ("+02:00") when OffsetTimeOriginal (else OffsetTimeDigitized) gives it. */
    char capture_time[32];
    int has_capture;
    int capture_has_offset;
    int64_t capture_unix; /* seconds since 1970 UTC when the offset is known; else the
                             clock time read as if it were UTC */

    int orientation; /* 1..8, 0 when absent or invalid */

    int has_gps; /* latitude and longitude, decimal degrees, south and west < 0 */
    double latitude, longitude;
    int has_altitude;
    double altitude; /* metres, below sea level < 0 */

    int fields; /* how many of the fields above were found */
} ad_exif;

/* Reads the EXIF of a picture in data[0..len). AD_OK when EXIF was found and read (some fields
 * may still be missing or invalid: out->fields counts those found); AD_ERR_NOT_FOUND when the
 * file has no EXIF; AD_ERR_CORRUPT when it has EXIF that cannot be read. */
ad_code ad_exif_read(const uint8_t *data, size_t len, ad_exif *out, ad_err *err);

/* Finds the EXIF block (TIFF header onwards) in a JPEG, TIFF, PNG, WebP or HEIF file. AD_OK
 * with *tiff set: either pointing into data, or (HEIF) malloc'd into *owned, which the caller
 * frees. AD_ERR_NOT_FOUND when there is none. */
ad_code ad_exif_locate(const uint8_t *data, size_t len, const uint8_t **tiff, size_t *tiff_len,
                       uint8_t **owned, ad_err *err);

#ifdef __cplusplus
}
#endif
#endif
