/* version.h: the version of Ariadne (library, programs, reports, pkg-config), one place. */
#ifndef ARIADNE_VERSION_H
#define ARIADNE_VERSION_H

#define AD_VERSION_MAJOR 0
#define AD_VERSION_MINOR 2
#define AD_VERSION_PATCH 0
#define AD_VERSION "0.2.0"

#endif
