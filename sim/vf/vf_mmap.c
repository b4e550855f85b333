/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The doorbell page as mmap(2) of a context's command fd sees it. On the
 * kernel that fd is the uverbs file, and mapping it is checked (Linux
 * drivers/infiniband/core/ib_core_uverbs.c rdma_user_mmap_io, mana_ib
 * main.c mana_ib_mmap): one page (EINVAL otherwise), at offset 0 (EINVAL),
 * shared (EINVAL), and not once the device is gone (uverbs_main.c
 * ib_uverbs_mmap on a disassociated context: EIO). The VF's command fd is a
 * memfd, which would map any way: the library interposes mmap() and
 * mmap64(), recognises the doorbell files of every process of the instance
 * by device and inode (a fd passed over SCM_RIGHTS is the same file) and
 * applies those rules; every other mapping goes to the C library unchanged.
 */

/*
 * Both names are defined here: without this, glibc's headers would make the
 * definition of mmap() the symbol mmap64 (off_t is 64 bits either way on
 * the 64-bit targets DPDK supports).
 */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vf.h"

typedef void *(*vf_mmap_fn)(void *addr, size_t len, int prot, int flags, int fd, off_t off);

static vf_mmap_fn vf_libc_mmap;

/* Remember @fd as the doorbell file of (@fn, @instance); takes the shared lock. */
void
vf_db_file_register(int fd, uint32_t fn, uint32_t instance)
{
	struct vf_db_file *e;
	struct stat st;

	if (fstat(fd, &st) != 0)
		return;
	vf_shared_lock();
	e = &vf_sh->db_files[vf_sh->next_db_file++ % VF_DB_FILES];
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->fn = fn;
	e->instance = instance;
	vf_shared_unlock();
}

/* 0 to map, or the errno the kernel gives this mapping of a doorbell file. */
static int
vf_db_map_check(int fd, size_t len, int flags, off_t off)
{
	const struct vf_fn_shared *f;
	struct stat st;
	int err = 0;
	unsigned int i;

	if (vf_sh == NULL || fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	vf_shared_lock();
	for (i = 0; i < VF_DB_FILES; i++) {
		const struct vf_db_file *e = &vf_sh->db_files[i];

		if (e->instance == 0 || e->ino != (uint64_t)st.st_ino ||
		    e->dev != (uint64_t)st.st_dev)
			continue;
		vf_advance(vf_now_ns());
		f = &vf_sh->fn[e->fn];
		if (f->state != VF_FN_UP || f->instance != e->instance)
			err = EIO;
		else if (len != VF_PAGE_SIZE || off != 0 || !(flags & MAP_SHARED))
			err = EINVAL;
		break;
	}
	vf_shared_unlock();
	return err;
}

static void *
vf_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	int err;

	if (vf_libc_mmap == NULL) {
		vf_libc_mmap = (vf_mmap_fn)dlsym(RTLD_NEXT, "mmap64");
		if (vf_libc_mmap == NULL) {
			errno = ENOSYS;
			return MAP_FAILED;
		}
	}
	if (!(flags & MAP_ANONYMOUS)) {
		err = vf_db_map_check(fd, len, flags, off);
		if (err != 0) {
			VF_LOG(DEBUG, "mmap of doorbell fd %d (%zu bytes at %jd): %s", fd, len,
			       (intmax_t)off, strerror(err));
			errno = err;
			return MAP_FAILED;
		}
	}
	return vf_libc_mmap(addr, len, prot, flags, fd, off);
}

VF_EXPORT void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return vf_mmap(addr, len, prot, flags, fd, off);
}

VF_EXPORT void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return vf_mmap(addr, len, prot, flags, fd, off);
}
