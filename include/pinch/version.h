/*
 * pinch/version.h - the version of libpinch these headers belong to.
 */
#ifndef PINCH_VERSION_H
#define PINCH_VERSION_H

#define PINCH_VERSION_MAJOR 0
#define PINCH_VERSION_MINOR 1
#define PINCH_VERSION_PATCH 0
/* 0xMMmmpp, for compile-time comparisons. */
#define PINCH_VERSION_HEX ((PINCH_VERSION_MAJOR << 16) | (PINCH_VERSION_MINOR << 8) | PINCH_VERSION_PATCH)

#endif
