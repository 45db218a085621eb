/* dihedral.c: the 8 PDQ dihedral variants from one 16x16 DCT (the reference's dct16OriginalTo*):
 * rotations and flips of the image permute and negate DCT coefficients, so all 8 hashes come
 * from one blur and one DCT. Each variant is thresholded against its own median. */
#include "ariadne/pdq.h"

void ad_pdq_dihedral_from_dct(const float a[16][16], ad_h256 out[AD_PDQ_NVARIANTS])
{
    float b[16][16];
    ad_pdq_bits_from_dct(a, &out[AD_PDQ_ORIG]);
    for (int v = AD_PDQ_ROT90; v < AD_PDQ_NVARIANTS; v++) {
        for (int i = 0; i < 16; i++)
            for (int j = 0; j < 16; j++) {
                const float x = a[i][j];
                switch (v) {
                case AD_PDQ_ROT90:
                    b[j][i] = (j & 1) ? x : -x;
                    break;
                case AD_PDQ_ROT180:
                    b[i][j] = ((i + j) & 1) ? -x : x;
                    break;
                case AD_PDQ_ROT270:
                    b[j][i] = (i & 1) ? x : -x;
                    break;
                case AD_PDQ_FLIPX:
                    b[i][j] = (i & 1) ? x : -x;
                    break;
                case AD_PDQ_FLIPY:
                    b[i][j] = (j & 1) ? x : -x;
                    break;
                case AD_PDQ_FLIPP:
                    b[j][i] = x;
                    break;
                default: /* AD_PDQ_FLIPM */
                    b[j][i] = ((i + j) & 1) ? -x : x;
                    break;
                }
            }
        ad_pdq_bits_from_dct((const float(*)[16])b, &out[v]);
    }
}
