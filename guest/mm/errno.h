/* The Linux errno values the guest kernel returns (negated). */
#ifndef GUEST_MM_ERRNO_H
#define GUEST_MM_ERRNO_H

#ifndef EPERM
#define EPERM   1
#endif
#ifndef ESRCH
#define ESRCH   3
#endif
#ifndef EAGAIN
#define EAGAIN  11
#endif
#ifndef ENOMEM
#define ENOMEM  12
#endif
#ifndef EACCES
#define EACCES  13
#endif
#ifndef EFAULT
#define EFAULT  14
#endif
#ifndef EBUSY
#define EBUSY   16
#endif
#ifndef EEXIST
#define EEXIST  17
#endif
#ifndef EINVAL
#define EINVAL  22
#endif
#ifndef ENOSYS
#define ENOSYS  38
#endif

#endif
