/*
 * Shared anonymous memory objects.  Not implemented yet: mmap refuses
 * MAP_SHARED before any VMA could refer to one, so no VMA holds an object.
 */
#include "guest/mm/shmem.h"

void shmem_init(void)
{
}

void shmem_get(struct shmem_object *shm)
{
	if (shm)
		panic("shmem_get: no shared objects exist");
}

void shmem_put(struct shmem_object *shm)
{
	if (shm)
		panic("shmem_put: no shared objects exist");
}
