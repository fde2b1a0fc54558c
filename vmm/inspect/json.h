/*
 * The little JSON the inspection commands print (docs/inspection.md): one
 * object per answer, on one line; 64-bit addresses as "0x..." strings
 * (JSON numbers lose precision above 2^53), counts as numbers.
 */
#ifndef VMM_INSPECT_JSON_H
#define VMM_INSPECT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* "true" or "false". */
static inline const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

/* s as a JSON string, quotes included: '"' and '\\' escaped, control
 * bytes and bytes above 0x7e as \u00XX (the text comes from host format
 * strings, but a guest value could one day reach one). */
void json_str(FILE *out, const char *s);

#endif
