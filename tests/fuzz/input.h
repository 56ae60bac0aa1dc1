/* Shared by the fuzzers whose target reads a NUL-terminated string (the
 * hook's stdin, meta.json): libFuzzer's input is not terminated. */
#ifndef VT_FUZZ_INPUT_H
#define VT_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated copy of the input, or NULL; the caller frees it. */
static inline char *vt_fuzz_cstring(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}

#endif
