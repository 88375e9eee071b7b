/*
 * banned.h - functions pinch must not call. Include it last in a .c file.
 * Unbounded string copies, locale- and thread-unsafe time and tokenizing
 * calls become compile errors (the idea is git's banned.h).
 */
#ifndef PINCH_CORE_BANNED_H
#define PINCH_CORE_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef ctime
#define ctime(t) BANNED(ctime)
#undef asctime
#define asctime(t) BANNED(asctime)
#undef gettimeofday
#define gettimeofday(t, z) BANNED(gettimeofday)

#endif
