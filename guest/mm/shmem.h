/*
 * Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS): each mapping's
 * object holds its pages by offset (guest/mm/shmem.c).
 */
#ifndef GUEST_MM_SHMEM_H
#define GUEST_MM_SHMEM_H

#include "guest/mm/mm_types.h"

void shmem_init(void);
/* Another VMA refers to shm (NULL: nothing). */
void shmem_get(struct shmem_object *shm);
/* A VMA referring to shm went; the last one frees the object and the
 * pages only it still holds. */
void shmem_put(struct shmem_object *shm);

#endif
