/*
 * One hexadecimal digit's value, for every host parser that reads hex (the
 * scenario language's numbers, gdb's remote protocol).  Header only, so
 * that any layer may use it without linking another.
 */
#ifndef VMM_HEX_H
#define VMM_HEX_H

/* The value of hex digit c (either case), or -1 if c is not one. */
static inline int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
