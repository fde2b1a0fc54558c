/*
 * See json_check.h.  A recursive-descent recogniser: every function takes
 * the position and returns the position after what it read, or NULL.
 */
#include <ctype.h>
#include <string.h>

#include "tests/trace/json_check.h"

static const char *value(const char *p, const char *end, int depth);

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static const char *string(const char *p, const char *end)
{
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			if (++p >= end)
				return NULL;
			if (*p == 'u') {
				for (int i = 0; i < 4; i++)
					if (++p >= end || !isxdigit((unsigned char)*p))
						return NULL;
			} else if (!strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return NULL;
}

static const char *digits(const char *p, const char *end)
{
	const char *s = p;

	while (p < end && isdigit((unsigned char)*p))
		p++;
	return p > s ? p : NULL;
}

static const char *number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (!(p = digits(p, end)))
		return NULL;
	if (p < end && *p == '.' && !(p = digits(p + 1, end)))
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!(p = digits(p, end)))
			return NULL;
	}
	return p;
}

static const char *seq(const char *p, const char *end, char close, bool obj, int depth)
{
	p = ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			if (!(p = string(p, end)))
				return NULL;
			p = ws(p, end);
			if (p >= end || *p != ':')
				return NULL;
			p = ws(p + 1, end);
		}
		if (!(p = value(p, end, depth + 1)))
			return NULL;
		p = ws(p, end);
		if (p < end && *p == ',') {
			p = ws(p + 1, end);
			continue;
		}
		return p < end && *p == close ? p + 1 : NULL;
	}
}

static const char *word(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(end - p) >= n && memcmp(p, w, n) == 0 ? p + n : NULL;
}

static const char *value(const char *p, const char *end, int depth)
{
	if (p >= end || depth > 64)
		return NULL;
	switch (*p) {
	case '{': return seq(p, end, '}', true, depth);
	case '[': return seq(p, end, ']', false, depth);
	case '"': return string(p, end);
	case 't': return word(p, end, "true");
	case 'f': return word(p, end, "false");
	case 'n': return word(p, end, "null");
	default: return number(p, end);
	}
}

bool json_valid(const char *s, size_t len)
{
	const char *end = s + len, *p = value(ws(s, end), end, 0);

	return p && ws(p, end) == end;
}

const char *json_member(const char *obj, const char *key, size_t *vlen)
{
	const char *end = obj + strlen(obj), *p = ws(obj, end);
	size_t klen = strlen(key);

	if (p >= end || *p != '{')
		return NULL;
	p = ws(p + 1, end);
	while (p < end && *p == '"') {
		const char *k = p + 1, *v, *ve;
		p = string(p, end);
		bool match = p && (size_t)(p - 1 - k) == klen && memcmp(k, key, klen) == 0;
		if (!p)
			return NULL;
		v = ws(ws(p, end) + 1, end);
		if (!(ve = value(v, end, 1)))
			return NULL;
		if (match) {
			*vlen = (size_t)(ve - v);
			return v;
		}
		p = ws(ve, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
	}
	return NULL;
}

size_t json_array_each(const char *arr, void (*fn)(void *ctx, const char *v, size_t len),
		       void *ctx)
{
	const char *end = arr + strlen(arr), *p = ws(arr, end);
	size_t n = 0;

	if (p >= end || *p != '[')
		return 0;
	p = ws(p + 1, end);
	while (p < end && *p != ']') {
		const char *ve = value(p, end, 1);
		if (!ve)
			break;
		fn(ctx, p, (size_t)(ve - p));
		n++;
		p = ws(ve, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
	}
	return n;
}
