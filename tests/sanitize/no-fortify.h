/* Force-included (-include) into every translation unit of the sanitizer
 * build. The Makefile adds -D_FORTIFY_SOURCE=2 (at -O1), which turns memcpy,
 * strcpy, strcat, memmove ... with a known destination size into glibc's
 * __memcpy_chk, __strcpy_chk ..., which AddressSanitizer does not intercept
 * (libasan.so.8 intercepts only the printf-family _chk functions): an
 * overflow through them would meet fortify's coarser object-size check at
 * best. A forced include is read after every -D of the command line, so
 * this undoes the flag before <features.h> looks at it. */
#undef _FORTIFY_SOURCE
