/*
 * A small strict JSON reader for the trace tests: checks that a text is
 * one JSON value (RFC 8259 syntax) and finds members of objects, so that
 * the tests parse what the trace writes instead of matching strings.
 */
#ifndef TESTS_TRACE_JSON_CHECK_H
#define TESTS_TRACE_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* Is s (len bytes) exactly one JSON value, with only white space around? */
bool json_valid(const char *s, size_t len);

/* In the JSON object at obj (valid), the value of member key: a pointer to
 * its first character and its length in *vlen, or NULL if absent. */
const char *json_member(const char *obj, const char *key, size_t *vlen);

/* The elements of the JSON array at arr (valid): calls fn on each value
 * (pointer, length); returns the count. */
size_t json_array_each(const char *arr, void (*fn)(void *ctx, const char *v, size_t len),
		       void *ctx);

#endif
