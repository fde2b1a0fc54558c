/*
 * Heap accounting: see memcount.h.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "tests/inspect/memcount.h"

static atomic_bool counting;
static atomic_llong held, peak;

static void count_alloc(size_t n)
{
	if (!atomic_load(&counting))
		return;
	long long now = atomic_fetch_add(&held, (long long)n) + (long long)n;
	long long p = atomic_load(&peak);
	while (now > p && !atomic_compare_exchange_weak(&peak, &p, now))
		;
}

static void count_free(size_t n)
{
	if (atomic_load(&counting))
		atomic_fetch_sub(&held, (long long)n);
}

#if defined(__SANITIZE_ADDRESS__)

/* The sanitizer's allocator interface (<sanitizer/allocator_interface.h>,
 * which GCC does not install). */
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
					      void (*f)(const volatile void *));
size_t __sanitizer_get_allocated_size(const volatile void *p);

static void malloc_hook(const volatile void *p, size_t n)
{
	(void)p;
	count_alloc(n);
}

/* Called before the block is released: its size is still known. */
static void free_hook(const volatile void *p)
{
	if (p)
		count_free(__sanitizer_get_allocated_size(p));
}

static void install(void)
{
	static bool done;
	if (!done)
		__sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
	done = true;
}

#else

#include <errno.h>
#include <malloc.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);
void __libc_free(void *p);

static void install(void)
{
}

static void *counted(void *p)
{
	if (p)
		count_alloc(malloc_usable_size(p));
	return p;
}

void *malloc(size_t n)
{
	return counted(__libc_malloc(n));
}

void *calloc(size_t n, size_t m)
{
	return counted(__libc_calloc(n, m));
}

void free(void *p)
{
	if (p)
		count_free(malloc_usable_size(p));
	__libc_free(p);
}

void *realloc(void *p, size_t n)
{
	size_t old = p ? malloc_usable_size(p) : 0;
	void *q = __libc_realloc(p, n);

	/* The new block first: realloc may have held both while copying. */
	counted(q);
	if (q || n == 0)
		count_free(old);
	return q;
}

void *aligned_alloc(size_t align, size_t n)
{
	return counted(__libc_memalign(align, n));
}

void *memalign(size_t align, size_t n)
{
	return counted(__libc_memalign(align, n));
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);

	if (!p)
		return ENOMEM;
	*out = counted(p);
	return 0;
}

#endif

void memcount_start(void)
{
	install();
	atomic_store(&held, 0);
	atomic_store(&peak, 0);
	atomic_store(&counting, true);
}

size_t memcount_stop(void)
{
	atomic_store(&counting, false);
	return (size_t)atomic_load(&peak);
}
