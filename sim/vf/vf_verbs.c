/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The libibverbs and libmana entry points of the software MANA VF.
 *
 * A PMD built against rdma-core's headers calls exported functions
 * (ibv_open_device, ibv_create_cq, ...: this file defines every one a MANA
 * PMD imports, so a preloaded VF interposes them all and no code of the real
 * libraries ever runs on an emulated context) and static inlines of verbs.h
 * that dispatch through struct verbs_context (ibv_create_wq,
 * ibv_alloc_parent_domain, ibv_create_qp_ex, ibv_query_device_ex...), whose
 * operations the contexts made here fill in.
 *
 * Each rule is enforced where rdma-core v44's providers/mana or Linux
 * mana_ib enforce it, with the errno userspace sees there, and cites it
 * ("rc44 qp.c" = rdma-core v44.0 providers/mana/qp.c; "mana_ib qp.c" = Linux
 * drivers/infiniband/hw/mana/qp.c; "ib core" = drivers/infiniband/core).
 * Sizes follow rdma-core's: pointers returned with errno set on failure,
 * destroys return a positive errno.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <rte_common.h>

#include "vf.h"
#include "vf_sysfs.h"

/* verbs.h wraps these two in macros; this file defines the functions themselves. */
#undef ibv_reg_mr
#undef ibv_query_port

#define VF_LKEY_SLOT_BITS	12	/* log2(VF_MAX_MR) */
#define VF_LKEY_SEQ_MAX		0xfffffu
#define VF_FIRST_QUEUE_ID	0x2001u	/* ids above 1023 exercise the VSQ frame field */
#define VF_VPORT_OFFSET_BASE	0x10u	/* tx_vp_offset of port p: base + p (device's choice) */
#define VF_ACCESS_ALLOWED \
	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ)

static struct vf_device_list vf_devices = TAILQ_HEAD_INITIALIZER(vf_devices);
static uint32_t vf_next_queue_id = VF_FIRST_QUEUE_ID;	/* guarded by vf_lock */
static struct vf_mr *vf_mr_table[VF_MAX_MR];		/* by lkey slot, vf_lock */
static uint32_t vf_mr_seq;

/* ---- locking helpers ---- */

/* vf_lock for a control call: announced, so that the engine yields it between passes. */
void
vf_lock_take(void)
{
	rte_atomic_fetch_add_explicit(&vf_lock_waiters, 1, rte_memory_order_relaxed);
	pthread_mutex_lock(&vf_lock);
	rte_atomic_fetch_sub_explicit(&vf_lock_waiters, 1, rte_memory_order_relaxed);
}

void
vf_lock_release(void)
{
	pthread_mutex_unlock(&vf_lock);
}

static void *
vf_fail_null(int err)
{
	errno = err;
	return NULL;
}

/* ---- the object registry ---- */

struct vf_obj *
vf_obj_find(const void *handle, enum vf_obj_type type)
{
	struct vf_obj *obj;

	if (handle == NULL)
		return NULL;
	/* Pointer comparison only: the handle is not dereferenced unless found. */
	TAILQ_FOREACH(obj, &vf_objects, link) {
		if (obj->handle == handle)
			return obj->type == type ? obj : NULL;
	}
	return NULL;
}

static void
vf_obj_add(struct vf_obj *obj, enum vf_obj_type type, struct vf_ctx *ctx, void *handle)
{
	obj->type = type;
	obj->ctx = ctx;
	obj->handle = handle;
	TAILQ_INSERT_TAIL(&vf_objects, obj, link);
	if (type != VF_OBJ_CTX)
		rte_atomic_fetch_add_explicit(&vf_sh->fn[ctx->fn].objects, 1,
					      rte_memory_order_relaxed);
}

static void
vf_obj_del(struct vf_obj *obj)
{
	TAILQ_REMOVE(&vf_objects, obj, link);
	if (obj->type != VF_OBJ_CTX)
		rte_atomic_fetch_sub_explicit(&vf_sh->fn[obj->ctx->fn].objects, 1,
					      rte_memory_order_relaxed);
	obj->type = 0;
	obj->handle = NULL;
}

/* MANA_SIM_FAULT_FAIL_VERB: the kernel refuses this call of @verb? errno or 0. */
static int
vf_verb_injected(const struct vf_ctx *ctx, enum mana_sim_verb verb)
{
	int err;

	vf_shared_lock();
	err = vf_verb_fault(ctx->fn, verb);
	vf_shared_unlock();
	return err;
}

/* The RC device's identity: it comes and goes on its own during a reset. */
static uint32_t
vf_rc_instance(const struct vf_fn_shared *f)
{
	return f->state == VF_FN_UP ? f->instance : f->instance + 1;
}

/*
 * Whether the context's device instance is still alive; a dead one is
 * disassociated: everything but destroys fails with EIO (ib core
 * rdma_core.c, uverbs_cmd.c).
 */
bool
vf_ctx_instance_alive(const struct vf_ctx *ctx)
{
	const struct vf_fn_shared *f = &vf_sh->fn[ctx->fn];

	if (ctx->rc)
		return f->rc_listed && vf_rc_instance(f) == ctx->instance;
	return f->state == VF_FN_UP && f->instance == ctx->instance;
}

static bool
vf_ctx_alive(struct vf_ctx *ctx)
{
	if (!ctx->dead && !vf_ctx_instance_alive(ctx))
		ctx->dead = true;
	return !ctx->dead;
}

/* Look up a context handle and make sure its device still lives. */
static int
vf_ctx_get(const struct ibv_context *handle, struct vf_ctx **ctxp)
{
	struct vf_obj *obj = vf_obj_find(handle, VF_OBJ_CTX);

	if (obj == NULL)
		return EINVAL;
	*ctxp = obj->ctx;
	vf_shared_lock();
	vf_advance(vf_now_ns());
	vf_ctx_alive(obj->ctx);
	vf_shared_unlock();
	return obj->ctx->dead ? EIO : 0;
}

/* Queues exist only in the process running the device. */
static int
vf_ctx_queues_allowed(const struct vf_ctx *ctx, bool raw)
{
	if (!ctx->owner) {
		VF_LOG(ERR, "%s: queues can only be created in process %d, which runs the "
		       "device", vf_conf.fn[ctx->fn].bdf, vf_sh->owner_pid);
		return EBUSY;
	}
	if (ctx->rc && raw) {
		/* The RC device has no raw packet capability (mana_ib main.c). */
		VF_LOG(ERR, "%s: raw packet queues need the Ethernet device, not %s",
		       vf_conf.fn[ctx->fn].bdf, ctx->device->dev.name);
		return EOPNOTSUPP;
	}
	return 0;
}

static uint32_t
vf_pow2_at_least(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return (uint32_t)p;
}

/* rc44 mana.h align_hw_size: page-aligned, then the next power of two. */
static uint32_t
vf_hw_size(uint64_t size)
{
	return vf_pow2_at_least(RTE_ALIGN_CEIL(size, (uint64_t)VF_PAGE_SIZE));
}

/* rc44 mana.h get_wqe_size: 8-byte DMA OOB, 8-byte inline OOB, the SGEs, 32-byte units. */
static uint32_t
vf_wqe_size(uint32_t sge)
{
	return RTE_ALIGN_CEIL(sge * VF_SGE_SIZE + 16u, VF_WQE_BU);
}

/*
 * PROCMAP_QUERY (Linux 6.11, include/uapi/linux/fs.h): one VMA of the
 * process by address, from an ioctl on its maps file. Debian 12's kernel
 * headers predate it, so the ABI is spelled here; an older kernel answers
 * ENOTTY and the maps text is read instead.
 */
struct vf_procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};

#define VF_PROCMAP_QUERY	_IOWR('f', 17, struct vf_procmap_query)
#define VF_PROCMAP_READABLE	0x01u
#define VF_PROCMAP_WRITABLE	0x02u
#define VF_KERNEL_HALF		(UINT64_C(1) << 63)	/* x86-64, arm64: user space is below */

/* The kernel has no PROCMAP_QUERY (before Linux 6.11): the text is read. */
static RTE_ATOMIC(bool) vf_procmap_query_missing;

/*
 * Walk [pos, end) VMA by VMA with PROCMAP_QUERY. 0 or EFAULT as
 * vf_range_check; ENOTTY when the kernel has no such ioctl.
 */
static int
vf_range_check_query(int fd, uintptr_t pos, uintptr_t end, bool write)
{
	uint64_t need = write ? VF_PROCMAP_WRITABLE : VF_PROCMAP_READABLE;
	struct vf_procmap_query q;

	while (pos < end) {
		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		q.query_addr = pos;	/* the VMA covering pos, whatever its rights */
		if (ioctl(fd, VF_PROCMAP_QUERY, &q) != 0)
			return errno == ENOENT ? EFAULT : errno;
		if ((q.vma_flags & need) != need || q.vma_end <= pos)
			return EFAULT;
		pos = q.vma_end;
	}
	return 0;
}

/*
 * The same walk over the text of /proc/self/maps (lines in address order,
 * "start-end perms offset dev inode path", proc(5)). A line in the kernel
 * half ([vsyscall], r-xp with vsyscall=emulate) is no user memory: the
 * query does not return it and pinning refuses it (above TASK_SIZE_MAX).
 */
static int
vf_range_check_text(int fd, uintptr_t pos, uintptr_t end, bool write)
{
	unsigned long lo, hi;
	char line[512], perms[8];
	bool line_start = true, at_start;
	FILE *f;

	rte_atomic_fetch_add_explicit(&vf_sh->maps_text_reads, 1, rte_memory_order_relaxed);
	f = fdopen(fd, "r");
	if (f == NULL) {
		int err = errno;

		close(fd);
		return err;
	}
	while (pos < end && fgets(line, sizeof(line), f) != NULL) {
		/* A path longer than the buffer: its rest is no mapping. */
		at_start = line_start;
		line_start = strchr(line, '\n') != NULL;
		if (!at_start)
			continue;
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || hi <= pos)
			continue;
		if (lo > pos || lo >= VF_KERNEL_HALF ||
		    (write ? perms[1] != 'w' : perms[0] != 'r'))
			break;
		pos = hi;
	}
	fclose(f);
	return pos >= end ? 0 : EFAULT;
}

/*
 * What ib_umem_get() does before it pins a range (ib core umem.c; mm/gup.c
 * check_vma_flags): every page of [addr, addr + len) must be mapped in this
 * process - writable when the device is to write it (FOLL_WRITE), else
 * readable; EFAULT otherwise, EINVAL for a range that wraps. A range DPDK
 * reserved but has not backed (PROT_NONE) counts as unmapped. That is the
 * rule from Linux 6.2 on: before, a registration without local write was
 * pinned with FOLL_WRITE | FOLL_FORCE, which any private mapping passes
 * (not modelled; the PMD always asks for local write). Not checked:
 * VM_IO/VM_PFNMAP mappings, secretmem, fsdax and the RLIMIT_MEMLOCK charge,
 * which the kernel also refuses. The kernel's check costs what pinning the
 * pages costs; the whole maps text of a DPDK process (a line per hugepage,
 * hundreds of libraries) cost the VF hundreds of microseconds per call, so
 * the VMAs in the range are asked for one by one.
 */
static int
vf_range_check(const struct vf_ctx *ctx, const void *addr, size_t len, bool write)
{
	uintptr_t pos = (uintptr_t)addr & ~(uintptr_t)(VF_PAGE_SIZE - 1);
	uintptr_t end = (uintptr_t)addr + len;
	int fd, ret = ENOTTY;

	if (end < (uintptr_t)addr)
		return EINVAL;
	/* The query keeps no position in the file: the context's fd serves all threads. */
	if (ctx->maps_fd >= 0 && ctx->maps_pid == vf_self_pid() &&
	    !rte_atomic_load_explicit(&vf_procmap_query_missing, rte_memory_order_relaxed))
		ret = vf_range_check_query(ctx->maps_fd, pos, end, write);
	if (ret != ENOTTY)
		return ret;
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (vf_conf.maps_text)
		return vf_range_check_text(fd, pos, end, write);	/* closes fd */
	if (!rte_atomic_load_explicit(&vf_procmap_query_missing, rte_memory_order_relaxed))
		ret = vf_range_check_query(fd, pos, end, write);
	if (ret == ENOTTY) {	/* before Linux 6.11: not asked again */
		rte_atomic_store_explicit(&vf_procmap_query_missing, true,
					  rte_memory_order_relaxed);
		return vf_range_check_text(fd, pos, end, write);	/* closes fd */
	}
	close(fd);
	return ret;
}

/*
 * A queue buffer from the application's allocator (rc44: required for CQ,
 * WQ and RAW QP, EINVAL without); the hardware needs it page-aligned (mana_ib
 * main.c, mana_ib_create_zero_offset_dma_region: EINVAL).
 */
static int
vf_buf_alloc(struct vf_ctx *ctx, uint32_t size, void **buf, void **data)
{
	void *p;

	if (ctx->alloc.alloc == NULL || ctx->alloc.free == NULL)
		return EINVAL;
	p = ctx->alloc.alloc(size, ctx->alloc.data);
	if (p == NULL)
		return ENOMEM;
	if (((uintptr_t)p & (VF_PAGE_SIZE - 1)) != 0) {
		ctx->alloc.free(p, ctx->alloc.data);
		VF_LOG(ERR, "queue buffer %p is not page-aligned", p);
		return EINVAL;
	}
	/* The kernel pins it for the device to write (mana_ib_create_queue). */
	if (vf_range_check(ctx, p, size, true) != 0) {
		ctx->alloc.free(p, ctx->alloc.data);
		VF_LOG(ERR, "queue buffer %p (%u bytes) is not writable memory", p, size);
		return EFAULT;
	}
	*buf = p;
	*data = ctx->alloc.data;
	return 0;
}

static void
vf_buf_free(struct vf_ctx *ctx, void *buf)
{
	/* rc44 frees with the allocator current at destroy time. */
	if (buf != NULL && ctx->alloc.free != NULL)
		ctx->alloc.free(buf, ctx->alloc.data);
}

static bool
vf_queue_id_used(uint32_t id)
{
	const struct vf_obj *obj;

	TAILQ_FOREACH(obj, &vf_objects, link) {
		if (obj->type == VF_OBJ_CQ && ((struct vf_cq *)obj->handle)->id == id)
			return true;
		if (obj->type == VF_OBJ_WQ && ((struct vf_wq *)obj->handle)->ring.id == id)
			return true;
		if (obj->type == VF_OBJ_QP && ((struct vf_qp *)obj->handle)->ring.id == id)
			return true;
	}
	return false;
}

/* 24-bit, nonzero, unique among live queues. */
static uint32_t
vf_queue_id_alloc(void)
{
	uint32_t id;

	do {
		id = vf_next_queue_id;
		vf_next_queue_id = (vf_next_queue_id + 1) & VF_QUEUE_ID_MASK;
		if (vf_next_queue_id == 0)
			vf_next_queue_id = 1;
	} while (vf_queue_id_used(id));
	return id;
}

/* ---- devices ---- */

static struct vf_device *
vf_device_get(uint32_t fn, bool rc, uint32_t index, uint32_t instance)
{
	struct vf_device *d;
	char path[VF_SYSFS_PATH_MAX];
	long cpus;

	TAILQ_FOREACH(d, &vf_devices, link) {
		if (d->fn == fn && d->rc == rc && d->index == index && d->instance == instance)
			return d;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->fn = fn;
	d->rc = rc;
	d->index = index;
	d->instance = instance;
	d->dev.node_type = IBV_NODE_CA;
	d->dev.transport_type = IBV_TRANSPORT_IB;
	/*
	 * mana_ib device.c: the function's queue count, capped by the CPUs
	 * (gdma_main.c), as the kernel counted them when it registered the device.
	 */
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	d->num_comp_vectors = (int)RTE_MIN(vf_conf.fn[fn].max_queues, (uint32_t)cpus);
	vf_ibdev_name(fn, rc, index, d->dev.name, sizeof(d->dev.name));
	snprintf(d->dev.dev_name, sizeof(d->dev.dev_name), "uverbs%u", VF_UVERBS_INDEX(fn, rc));
	/* Lengths were checked when the instance was attached (vf_init). */
	vf_sysfs_ibdev_path(&vf_conf, d->dev.name, path, sizeof(path));
	if ((size_t)snprintf(d->dev.ibdev_path, sizeof(d->dev.ibdev_path), "%s", path) >=
	    sizeof(d->dev.ibdev_path) ||
	    (size_t)snprintf(d->dev.dev_path, sizeof(d->dev.dev_path),
			     "%s/%s/sys/class/infiniband_verbs/%s", vf_conf.root, vf_conf.instance,
			     d->dev.dev_name) >= sizeof(d->dev.dev_path)) {
		free(d);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&vf_devices, d, link);
	return d;
}

static struct vf_device *
vf_device_find(const struct ibv_device *handle)
{
	struct vf_device *d;

	TAILQ_FOREACH(d, &vf_devices, link) {
		if (&d->dev == handle)
			return d;
	}
	return NULL;
}

VF_EXPORT struct ibv_device **
ibv_get_device_list(int *num)
{
	struct ibv_device **list;
	uint32_t fn, n = 0;

	if (num != NULL)
		*num = 0;
	list = calloc(2 * VF_MAX_FNS + 1, sizeof(*list));
	if (list == NULL)
		return vf_fail_null(ENOMEM);
	if (vf_attach_error != 0)
		return list;	/* no device: the error was logged at start */
	rte_atomic_fetch_add_explicit(&vf_sh->device_lists, 1, rte_memory_order_relaxed);
	vf_lock_take();
	vf_shared_lock();
	vf_advance(vf_now_ns());
	for (fn = 0; fn < vf_conf.nb_fns; fn++) {
		const struct vf_fn_shared *f = &vf_sh->fn[fn];
		struct vf_device *d;

		if (f->rc_listed) {
			d = vf_device_get(fn, true, f->rc_index, vf_rc_instance(f));
			if (d != NULL)
				list[n++] = &d->dev;
		}
		if (f->raw_listed && f->state == VF_FN_UP) {
			d = vf_device_get(fn, false, f->raw_index, f->instance);
			if (d != NULL)
				list[n++] = &d->dev;
		}
	}
	vf_shared_unlock();
	vf_lock_release();
	if (num != NULL)
		*num = (int)n;
	return list;
}

VF_EXPORT void
ibv_free_device_list(struct ibv_device **list)
{
	/* The devices themselves live on: contexts keep pointing at them. */
	free(list);
}

VF_EXPORT const char *
ibv_get_device_name(struct ibv_device *device)
{
	return device->name;
}

VF_EXPORT __be64
ibv_get_device_guid(struct ibv_device *device)
{
	struct vf_device *d;
	uint64_t guid = 0;

	vf_lock_take();
	d = vf_device_find(device);
	if (d != NULL)
		guid = 0x02155dfffe000000ull | ((uint64_t)d->fn << 8) | (d->rc ? 1u : 0u);
	vf_lock_release();
	return htobe64(guid);
}

/* ---- contexts ---- */

void
vf_ctx_post_event(struct vf_ctx *ctx, enum ibv_event_type type)
{
	const char byte = 1;

	if (ctx->ev_count == VF_EVENTS_MAX) {
		VF_LOG(WARNING, "%s: async event queue full, event %d dropped",
		       ctx->device->dev.name, (int)type);
		return;
	}
	ctx->events[(ctx->ev_head + ctx->ev_count) % VF_EVENTS_MAX].type = type;
	ctx->ev_count++;
	if (write(ctx->ev_pipe[1], &byte, 1) != 1)
		VF_LOG(WARNING, "%s: async fd write: %s", ctx->device->dev.name, strerror(errno));
	VF_LOG(INFO, "%s: event %d posted to a context of instance %u", ctx->device->dev.name,
	       (int)type, ctx->instance);
}

/*
 * Disassociate: the hardware objects are gone and every mapping of the
 * context's doorbell page is zapped (ib core rdma_core.c); a writable
 * mapping then faults in a zeroed dummy page (uverbs_main.c), so doorbell
 * writes that race with the death land nowhere. The page is cleared here
 * and the engine counts what is written to it after (doorbells_after_revoke).
 * Strict mode goes further once the dead context is closed: see
 * vf_ctx_close_dead().
 */
void
vf_ctx_kill(struct vf_ctx *ctx)
{
	ctx->dead = true;
	if (ctx->revoked || ctx->db_page == NULL)
		return;
	ctx->revoked = true;
	memset(ctx->db_page, 0, VF_PAGE_SIZE);
}

/*
 * Strict mode (MANA_SIM doorbell=strict, the test default): when the
 * process owning a dead context closes it, the page is truncated, so any
 * later doorbell write in any process that still maps it is SIGBUS. A
 * primary lets its dead context go only after every process has stopped
 * using the doorbell (the reset protocol's UNMAP_DB), so a write after that
 * is a protocol violation a test must see. (The kernel would keep the
 * dummy page as long as a mapping holds the uverbs file: realistic mode.)
 */
static void
vf_ctx_close_dead(struct vf_ctx *ctx)
{
	if (!ctx->dead || !vf_conf.doorbell_strict || ctx->db_fd < 0)
		return;
	if (ftruncate(ctx->db_fd, 0) != 0)
		VF_LOG(ERR, "revoking the doorbell page: %s", strerror(errno));
}

static int vf_query_device_ex(struct ibv_context *context,
			      const struct ibv_query_device_ex_input *input,
			      struct ibv_device_attr_ex *attr, size_t attr_size);
static int vf_query_port(struct ibv_context *context, uint8_t port_num,
			 struct ibv_port_attr *attr, size_t attr_len);
static struct ibv_pd *vf_alloc_parent_domain(struct ibv_context *context,
					     struct ibv_parent_domain_init_attr *attr);
static struct ibv_wq *vf_create_wq(struct ibv_context *context, struct ibv_wq_init_attr *attr);
static int vf_modify_wq(struct ibv_wq *wq, struct ibv_wq_attr *attr);
static int vf_destroy_wq(struct ibv_wq *wq);
static struct ibv_rwq_ind_table *vf_create_rwq_ind_table(struct ibv_context *context,
							 struct ibv_rwq_ind_table_init_attr *attr);
static int vf_destroy_rwq_ind_table(struct ibv_rwq_ind_table *table);
static struct ibv_qp *vf_create_qp_ex(struct ibv_context *context,
				      struct ibv_qp_init_attr_ex *attr);

/* Verbs the VF does not implement; rc44 answers EOPNOTSUPP (mana.c). */
static int
vf_poll_cq(struct ibv_cq *cq, int n, struct ibv_wc *wc)
{
	RTE_SET_USED(cq);
	RTE_SET_USED(n);
	RTE_SET_USED(wc);
	return EOPNOTSUPP;	/* rc44 mana.c: positive, as the other verbs */
}

static int
vf_req_notify_cq(struct ibv_cq *cq, int solicited)
{
	RTE_SET_USED(cq);
	RTE_SET_USED(solicited);
	return EOPNOTSUPP;
}

static int
vf_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad)
{
	RTE_SET_USED(qp);
	RTE_SET_USED(wr);
	RTE_SET_USED(bad);	/* rc44 mana.c leaves it */
	return EOPNOTSUPP;
}

static int
vf_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad)
{
	RTE_SET_USED(qp);
	RTE_SET_USED(wr);
	RTE_SET_USED(bad);
	return EOPNOTSUPP;
}

static void
vf_ctx_free(struct vf_ctx *ctx)
{
	if (ctx->db_page != NULL)
		munmap(ctx->db_page, VF_PAGE_SIZE);
	if (ctx->db_fd >= 0)
		close(ctx->db_fd);
	if (ctx->ev_pipe[0] >= 0)
		close(ctx->ev_pipe[0]);
	if (ctx->ev_pipe[1] >= 0)
		close(ctx->ev_pipe[1]);
	if (ctx->maps_fd >= 0)
		close(ctx->maps_fd);
	pthread_mutex_destroy(&ctx->vctx.context.mutex);
	free(ctx);
}

static int
vf_ctx_setup(struct vf_ctx *ctx, struct vf_device *d)
{
	struct ibv_context *ic = &ctx->vctx.context;

	ctx->db_fd = -1;
	ctx->ev_pipe[0] = -1;
	ctx->ev_pipe[1] = -1;
	ctx->maps_fd = -1;
	ctx->device = d;
	ctx->fn = d->fn;
	ctx->rc = d->rc;
	ctx->instance = d->instance;
	TAILQ_INIT(&ctx->qps);
	/*
	 * The doorbell page: the context's command fd, mapped at offset 0 by
	 * the provider (rc44 mana.c: one page, MAP_SHARED) and by any process
	 * the fd is passed to.
	 */
	ctx->db_fd = memfd_create("mana-sim-db", MFD_CLOEXEC);
	if (ctx->db_fd < 0 || ftruncate(ctx->db_fd, VF_PAGE_SIZE) != 0)
		return errno;
	ctx->db_page = mmap(NULL, VF_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ctx->db_fd,
			    0);
	if (ctx->db_page != MAP_FAILED)
		vf_db_file_register(ctx->db_fd, d->fn, d->instance);
	if (ctx->db_page == MAP_FAILED) {
		ctx->db_page = NULL;
		return errno;
	}
	if (pipe2(ctx->ev_pipe, O_CLOEXEC) != 0)
		return errno;
	/*
	 * Kept for the context's life: opening it per check cost more than
	 * the check (a path walk through procfs per queue and MR). It names
	 * the memory of the process that opened it, which ib_umem_get() would
	 * not check for a forked child: there it is opened per check
	 * (maps_pid); -1 too if it cannot be opened now, and with maps=text
	 * (the text is read from its start at every check).
	 */
	if (!vf_conf.maps_text)
		ctx->maps_fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ctx->maps_pid = vf_self_pid();

	ic->device = &d->dev;
	ic->cmd_fd = ctx->db_fd;
	ic->async_fd = ctx->ev_pipe[0];
	ic->num_comp_vectors = d->num_comp_vectors;
	pthread_mutex_init(&ic->mutex, NULL);
	/* What verbs_get_ctx() checks before any static inline dispatches. */
	ic->abi_compat = (void *)UINTPTR_MAX;
	ctx->vctx.sz = sizeof(ctx->vctx);
	ic->ops.poll_cq = vf_poll_cq;
	ic->ops.req_notify_cq = vf_req_notify_cq;
	ic->ops.post_send = vf_post_send;
	ic->ops.post_recv = vf_post_recv;
	ctx->vctx.query_device_ex = vf_query_device_ex;
	ctx->vctx.query_port = vf_query_port;
	ctx->vctx.alloc_parent_domain = vf_alloc_parent_domain;
	ctx->vctx.create_wq = vf_create_wq;
	ctx->vctx.modify_wq = vf_modify_wq;
	ctx->vctx.destroy_wq = vf_destroy_wq;
	ctx->vctx.create_rwq_ind_table = vf_create_rwq_ind_table;
	ctx->vctx.destroy_rwq_ind_table = vf_destroy_rwq_ind_table;
	ctx->vctx.create_qp_ex = vf_create_qp_ex;
	return 0;
}

VF_EXPORT struct ibv_context *
ibv_open_device(struct ibv_device *device)
{
	struct vf_fn_shared *f;
	struct vf_device *d;
	struct vf_ctx *ctx;
	bool start_engine = false;
	int err = 0;

	vf_lock_take();
	d = vf_device_find(device);
	if (d == NULL) {
		vf_lock_release();
		return vf_fail_null(EINVAL);
	}
	vf_shared_lock();
	vf_advance(vf_now_ns());
	f = &vf_sh->fn[d->fn];
	/* A device that is no longer registered: its uverbs cdev is gone. */
	if (d->rc ? !f->rc_listed || vf_rc_instance(f) != d->instance :
		    !f->raw_listed || f->state != VF_FN_UP || f->instance != d->instance)
		err = ENODEV;
	else if (!d->rc && f->fail_open != 0) {
		if (f->fail_open > 0)
			f->fail_open--;
		VF_LOG(INFO, "%s: open fails (injected), %d more", d->dev.name, f->fail_open);
		err = EIO;
	}
	if (err == 0 && !vf_is_owner() && vf_claim_owner() == 0)
		start_engine = true;
	vf_shared_unlock();
	if (err != 0) {
		vf_lock_release();
		return vf_fail_null(err);
	}
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		vf_lock_release();
		return vf_fail_null(ENOMEM);
	}
	err = vf_ctx_setup(ctx, d);
	if (err != 0) {
		vf_ctx_free(ctx);
		vf_lock_release();
		return vf_fail_null(err);
	}
	ctx->owner = vf_is_owner();
	vf_obj_add(&ctx->obj, VF_OBJ_CTX, ctx, &ctx->vctx.context);
	TAILQ_INSERT_TAIL(&vf_ctxs, ctx, link);
	vf_shared_lock();
	if (!d->rc) {
		f->stats.open_contexts++;
		/* Fatal in recovery: armed for an instance newer than the one it was set on. */
		if (f->fir_armed && d->instance > f->fir_after_instance) {
			f->fir_armed = false;
			f->fir_instance = d->instance;
			f->fir_due_ns = vf_ms_after(vf_now_ns(), f->fir_delay_ms);
		}
	}
	vf_shared_unlock();
	vf_lock_release();
	if (start_engine && vf_engine_start() != 0)
		VF_LOG(ERR, "the device engine did not start: queues will not be served");
	return &ctx->vctx.context;
}

static void vf_qp_free(struct vf_ctx *ctx, struct vf_qp *qp);

VF_EXPORT int
ibv_close_device(struct ibv_context *context)
{
	struct vf_obj *obj, *next;
	struct vf_ctx *ctx;

	vf_lock_take();
	obj = vf_obj_find(context, VF_OBJ_CTX);
	if (obj == NULL) {
		vf_lock_release();
		return 0;	/* libibverbs always returns 0 */
	}
	ctx = obj->ctx;
	/*
	 * Whatever the context still holds goes with it, as the kernel does at
	 * file release (DPDK closes with its PDs allocated): QPs first, the
	 * rest after.
	 */
	while (!TAILQ_EMPTY(&ctx->qps))
		vf_qp_free(ctx, TAILQ_FIRST(&ctx->qps));
	for (obj = TAILQ_FIRST(&vf_objects); obj != NULL; obj = next) {
		void *handle = obj->handle;

		next = TAILQ_NEXT(obj, link);
		if (obj->ctx != ctx || obj->type == VF_OBJ_CTX)
			continue;
		if (obj->type == VF_OBJ_MR) {
			vf_mr_table[((struct vf_mr *)handle)->ibv.lkey & (VF_MAX_MR - 1)] = NULL;
		} else if (obj->type == VF_OBJ_CQ) {
			vf_buf_free(ctx, ((struct vf_cq *)handle)->buf);
		} else if (obj->type == VF_OBJ_WQ) {
			vf_buf_free(ctx, ((struct vf_wq *)handle)->ring.buf);
		} else if (obj->type == VF_OBJ_IND) {
			free(((struct vf_ind *)handle)->wq);
		} else if (obj->type == VF_OBJ_PD && ((struct vf_pd *)handle)->parent != NULL) {
			struct vf_pd *base = ((struct vf_pd *)handle)->parent;

			/* A PD freed before its parent domains goes with the last of them. */
			if (--base->children == 0 && base->deallocated)
				free(base);
		} else if (obj->type == VF_OBJ_PD && ((struct vf_pd *)handle)->children > 0) {
			/* Its parent domains, later on the list, free it. */
			((struct vf_pd *)handle)->deallocated = true;
			vf_obj_del(obj);
			continue;
		}
		vf_obj_del(obj);
		free(handle);
	}
	vf_shared_lock();
	if (!ctx->rc && vf_sh->fn[ctx->fn].stats.open_contexts > 0)
		vf_sh->fn[ctx->fn].stats.open_contexts--;
	vf_shared_unlock();
	vf_obj_del(&ctx->obj);
	TAILQ_REMOVE(&vf_ctxs, ctx, link);
	/*
	 * Closing a live context does not revoke its doorbell page: every
	 * mapping holds the uverbs file, and so the context, until it goes
	 * (ib core rdma_core.c). Only a dead device's pages were zapped.
	 */
	vf_ctx_close_dead(ctx);
	vf_ctx_free(ctx);
	vf_lock_release();
	return 0;
}

/* ---- device and port attributes ---- */

static int
vf_query_device_ex(struct ibv_context *context, const struct ibv_query_device_ex_input *input,
		   struct ibv_device_attr_ex *attr, size_t attr_size)
{
	struct ibv_device_attr_ex a;
	const struct vf_fn_conf *c;
	struct vf_ctx *ctx;
	int err;

	if (input != NULL && input->comp_mask != 0)
		return EINVAL;
	vf_lock_take();
	err = vf_ctx_get(context, &ctx);
	vf_lock_release();
	if (err == 0)
		err = vf_verb_injected(ctx, MANA_SIM_VERB_QUERY_DEVICE);
	if (err != 0)
		return err;
	c = &vf_conf.fn[ctx->fn];
	memset(&a, 0, sizeof(a));
	/* mana_ib main.c mana_ib_query_device; values of mana-contract.md 1.2. */
	snprintf(a.orig_attr.fw_ver, sizeof(a.orig_attr.fw_ver), "mana-sim-%u", ctx->instance);
	a.orig_attr.vendor_id = VF_PCI_VENDOR;
	a.orig_attr.vendor_part_id = ctx->rc ? 3 : 2;	/* GDMA_DEVICE_MANA_IB : _MANA */
	a.orig_attr.hw_ver = 1;
	a.orig_attr.max_qp = c->max_queues;
	a.orig_attr.max_qp_wr = VF_MAX_QP_WR;
	a.orig_attr.max_sge = RTE_MIN(VF_MAX_SEND_SGE, VF_MAX_RECV_SGE);
	a.orig_attr.max_cq = VF_MAX_CQ;
	a.orig_attr.max_cqe = VF_MAX_QP_WR;
	a.orig_attr.max_mr = VF_MAX_MR;
	a.orig_attr.max_mr_size = UINT64_MAX;
	a.orig_attr.max_pd = VF_MAX_PD;
	a.orig_attr.page_size_cap = VF_PAGE_SIZE;
	a.orig_attr.phys_port_cnt = (uint8_t)(ctx->rc ? 1 : c->nb_ports);
	a.raw_packet_caps = ctx->rc ? 0 : IBV_RAW_PACKET_CAP_IP_CSUM;
	a.phys_port_cnt_ex = a.orig_attr.phys_port_cnt;
	memcpy(attr, &a, RTE_MIN(attr_size, sizeof(a)));
	return 0;
}

VF_EXPORT int
ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr)
{
	struct ibv_device_attr_ex a;
	int ret = vf_query_device_ex(context, NULL, &a, sizeof(a));

	if (ret == 0)
		*attr = a.orig_attr;
	return ret;
}

static enum ibv_mtu
vf_ibv_mtu(uint32_t mtu)
{
	if (mtu >= 4096)
		return IBV_MTU_4096;
	if (mtu >= 2048)
		return IBV_MTU_2048;
	if (mtu >= 1024)
		return IBV_MTU_1024;
	if (mtu >= 512)
		return IBV_MTU_512;
	return IBV_MTU_256;
}

static int
vf_query_port(struct ibv_context *context, uint8_t port_num, struct ibv_port_attr *attr,
	      size_t attr_len)
{
	struct ibv_port_attr a;
	struct vf_fn_shared *f;
	struct vf_ctx *ctx;
	uint32_t nb_ports;
	int err;

	vf_lock_take();
	err = vf_ctx_get(context, &ctx);
	vf_lock_release();
	if (err != 0)
		return err;
	nb_ports = ctx->rc ? 1 : vf_conf.fn[ctx->fn].nb_ports;
	/* mana_ib main.c: a port without a netdev is EINVAL. */
	if (port_num < 1 || port_num > nb_ports)
		return EINVAL;
	f = &vf_sh->fn[ctx->fn];
	memset(&a, 0, sizeof(a));
	/* ACTIVE only while the kernel netdev has carrier and runs (mana_ib main.c). */
	if (f->port_up[port_num - 1]) {
		a.state = IBV_PORT_ACTIVE;
		a.phys_state = 5;	/* LinkUp */
	} else {
		a.state = IBV_PORT_DOWN;
		a.phys_state = 3;	/* Disabled */
	}
	a.max_mtu = IBV_MTU_4096;
	a.active_mtu = vf_ibv_mtu(f->port_mtu[port_num - 1]);
	a.gid_tbl_len = ctx->rc ? 16 : 0;
	a.pkey_tbl_len = 1;
	a.active_width = 2;		/* 4X */
	a.active_speed = 32;		/* EDR */
	a.link_layer = IBV_LINK_LAYER_ETHERNET;
	memcpy(attr, &a, RTE_MIN(attr_len, sizeof(a)));
	return 0;
}

/* Reached only when a caller bypasses the verbs.h inline (48-byte compat struct). */
VF_EXPORT int
ibv_query_port(struct ibv_context *context, uint8_t port_num, struct _compat_ibv_port_attr *attr)
{
	return vf_query_port(context, port_num, (struct ibv_port_attr *)attr, 48);
}

/* ---- async events ---- */

VF_EXPORT int
ibv_get_async_event(struct ibv_context *context, struct ibv_async_event *event)
{
	struct vf_obj *obj;
	struct vf_ctx *ctx;
	char byte;
	int fd;

	vf_lock_take();
	obj = vf_obj_find(context, VF_OBJ_CTX);
	fd = obj != NULL ? obj->ctx->ev_pipe[0] : -1;
	vf_lock_release();
	if (fd < 0) {
		errno = EINVAL;
		return -1;
	}
	/* Blocking or not as the caller set the fd (DPDK sets O_NONBLOCK). */
	if (read(fd, &byte, 1) != 1)
		return -1;
	vf_lock_take();
	obj = vf_obj_find(context, VF_OBJ_CTX);
	if (obj == NULL || obj->ctx->ev_count == 0) {
		vf_lock_release();
		errno = EAGAIN;
		return -1;
	}
	ctx = obj->ctx;
	memset(event, 0, sizeof(*event));
	event->event_type = ctx->events[ctx->ev_head].type;
	event->element.port_num = 0;
	ctx->ev_head = (ctx->ev_head + 1) % VF_EVENTS_MAX;
	ctx->ev_count--;
	vf_lock_release();
	return 0;
}

VF_EXPORT void
ibv_ack_async_event(struct ibv_async_event *event)
{
	RTE_SET_USED(event);
}

/* ---- protection domains ---- */

static struct vf_pd *
vf_pd_get(const struct ibv_pd *handle)
{
	struct vf_obj *obj = vf_obj_find(handle, VF_OBJ_PD);

	return obj != NULL ? obj->handle : NULL;
}

/* The protection domain objects count against: a parent domain's PD. */
/* A PD or parent domain whose PD the kernel still has (EINVAL otherwise). */
static bool
vf_pd_usable(const struct vf_pd *pd)
{
	return pd->parent == NULL || !pd->parent->deallocated;
}

static struct vf_pd *
vf_pd_base(struct vf_pd *pd)
{
	return pd->parent != NULL ? pd->parent : pd;
}

VF_EXPORT struct ibv_pd *
ibv_alloc_pd(struct ibv_context *context)
{
	struct vf_ctx *ctx;
	struct vf_pd *pd;
	int err;

	vf_lock_take();
	err = vf_ctx_get(context, &ctx);
	if (err == 0)
		err = vf_verb_injected(ctx, MANA_SIM_VERB_ALLOC_PD);
	if (err != 0) {
		vf_lock_release();
		return vf_fail_null(err);
	}
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL) {
		vf_lock_release();
		return vf_fail_null(ENOMEM);
	}
	pd->ibv.context = context;
	vf_shared_lock();
	pd->uid = ((uint64_t)getpid() << 32) | vf_uid();
	vf_shared_unlock();
	pd->ibv.handle = (uint32_t)pd->uid;
	vf_obj_add(&pd->obj, VF_OBJ_PD, ctx, pd);
	vf_lock_release();
	return &pd->ibv;
}

static struct ibv_pd *
vf_alloc_parent_domain(struct ibv_context *context, struct ibv_parent_domain_init_attr *attr)
{
	struct vf_pd *parent, *pd;
	struct vf_ctx *ctx;
	int err;

	vf_lock_take();
	err = vf_ctx_get(context, &ctx);
	if (err == 0)
		err = vf_verb_injected(ctx, MANA_SIM_VERB_ALLOC_PARENT_DOMAIN);
	if (err != 0)
		goto fail;
	/* rc44 mana.c: a PD is required; PD_CONTEXT is the only attribute (else EINVAL). */
	parent = attr != NULL ? vf_pd_get(attr->pd) : NULL;
	if (parent == NULL || parent->parent != NULL || attr->td != NULL) {
		err = EINVAL;
		goto fail;
	}
	/* Another attribute: EINVAL in rc44 mana.c, EOPNOTSUPP since rdma-core 57. */
	if ((attr->comp_mask & ~(uint32_t)IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT) != 0) {
		err = vf_conf.rdma_core >= 57 ? EOPNOTSUPP : EINVAL;
		goto fail;
	}
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL) {
		err = ENOMEM;
		goto fail;
	}
	pd->ibv.context = context;
	pd->ibv.handle = parent->ibv.handle;
	pd->parent = parent;
	parent->children++;
	pd->uid = parent->uid;
	if (attr->comp_mask & IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT)
		pd->pd_context = attr->pd_context;
	vf_obj_add(&pd->obj, VF_OBJ_PD, ctx, pd);
	vf_lock_release();
	return &pd->ibv;
fail:
	vf_lock_release();
	return vf_fail_null(err);
}

VF_EXPORT int
ibv_dealloc_pd(struct ibv_pd *handle)
{
	struct vf_pd *pd;

	vf_lock_take();
	pd = vf_pd_get(handle);
	if (pd == NULL) {
		vf_lock_release();
		return EINVAL;
	}
	/* A parent domain is userspace only: freed, no check (rc44 mana.c). */
	if (pd->parent == NULL && pd->users > 0) {
		vf_lock_release();
		return EBUSY;	/* ib core uverbs_std_types.c: objects still use it */
	}
	vf_obj_del(&pd->obj);
	if (pd->parent != NULL) {
		/* The last parent domain over a freed PD takes it along. */
		if (--pd->parent->children == 0 && pd->parent->deallocated)
			free(pd->parent);
		free(pd);
	} else if (pd->children > 0) {
		/*
		 * The kernel frees the PD; parent domains (userspace) still
		 * name its handle, which the kernel no longer knows (EINVAL
		 * for whatever uses them: vf_pd_usable()).
		 */
		pd->deallocated = true;
	} else {
		free(pd);
	}
	vf_lock_release();
	return 0;
}

/* ---- memory registrations ---- */

struct vf_mr *
vf_mr_lookup(const struct vf_ctx *ctx, uint32_t lkey)
{
	struct vf_mr *mr = vf_mr_table[lkey & (VF_MAX_MR - 1)];

	if (mr == NULL || mr->ibv.lkey != lkey || mr->obj.ctx != ctx)
		return NULL;
	return mr;
}

static struct ibv_mr *
vf_reg_mr(struct ibv_pd *handle, void *addr, size_t length, unsigned int access)
{
	struct vf_ctx *ctx;
	struct vf_pd *pd;
	struct vf_mr *mr;
	uint32_t slot;
	int err;

	vf_lock_take();
	pd = vf_pd_get(handle);
	if (pd == NULL || !vf_pd_usable(pd)) {
		err = EINVAL;
		goto fail;
	}
	err = vf_ctx_get(handle->context, &ctx);
	if (err == 0)
		err = vf_verb_injected(ctx, MANA_SIM_VERB_REG_MR);
	if (err != 0)
		goto fail;
	/*
	 * mana_ib mr.c: local write, remote read and write only; ib core
	 * ib_check_mr_access: remote write needs local write. EINVAL.
	 */
	if ((access & ~(unsigned int)VF_ACCESS_ALLOWED) != 0 ||
	    ((access & IBV_ACCESS_REMOTE_WRITE) && !(access & IBV_ACCESS_LOCAL_WRITE)) ||
	    length == 0 || addr == NULL) {
		err = EINVAL;
		goto fail;
	}
	err = vf_range_check(ctx, addr, length, (access & IBV_ACCESS_LOCAL_WRITE) != 0);
	if (err != 0) {
		VF_LOG(ERR, "MR %p + %zu: %s (ib_umem_get)", addr, length, strerror(err));
		goto fail;
	}
	if (ctx->nb_mr == VF_MAX_MR) {
		err = ENOMEM;
		goto fail;
	}
	for (slot = 0; slot < VF_MAX_MR && vf_mr_table[slot] != NULL; slot++)
		;
	if (slot == VF_MAX_MR) {
		err = ENOMEM;
		goto fail;
	}
	mr = calloc(1, sizeof(*mr));
	if (mr == NULL) {
		err = ENOMEM;
		goto fail;
	}
	vf_mr_seq = (vf_mr_seq + 1) & VF_LKEY_SEQ_MAX;
	mr->pd = vf_pd_base(pd);
	mr->ibv.context = handle->context;
	mr->ibv.pd = handle;
	mr->ibv.addr = addr;
	mr->ibv.length = length;
	mr->ibv.lkey = (vf_mr_seq << VF_LKEY_SLOT_BITS) | slot;
	mr->ibv.rkey = mr->ibv.lkey;
	mr->ibv.handle = mr->ibv.lkey;
	vf_mr_table[slot] = mr;
	mr->pd->users++;
	ctx->nb_mr++;
	vf_obj_add(&mr->obj, VF_OBJ_MR, ctx, mr);
	vf_lock_release();
	return &mr->ibv;
fail:
	vf_lock_release();
	return vf_fail_null(err);
}

VF_EXPORT struct ibv_mr *
ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access)
{
	return vf_reg_mr(pd, addr, length, (unsigned int)access);
}

VF_EXPORT struct ibv_mr *
ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length, uint64_t iova,
		 unsigned int access)
{
	if (iova != (uintptr_t)addr)
		return vf_fail_null(EOPNOTSUPP);	/* the device takes virtual addresses */
	return vf_reg_mr(pd, addr, length, access);
}

VF_EXPORT int
ibv_dereg_mr(struct ibv_mr *handle)
{
	struct vf_obj *obj;
	struct vf_mr *mr;

	vf_lock_take();
	obj = vf_obj_find(handle, VF_OBJ_MR);
	if (obj == NULL) {
		vf_lock_release();
		return EINVAL;
	}
	mr = obj->handle;
	vf_mr_table[mr->ibv.lkey & (VF_MAX_MR - 1)] = NULL;
	mr->pd->users--;
	obj->ctx->nb_mr--;
	vf_obj_del(obj);
	free(mr);
	vf_lock_release();
	return 0;
}

/* ---- completion channels (the VF raises no interrupts) ---- */

struct vf_channel {
	struct ibv_comp_channel ibv;
	int pipe[2];
};

VF_EXPORT struct ibv_comp_channel *
ibv_create_comp_channel(struct ibv_context *context)
{
	struct vf_channel *ch = calloc(1, sizeof(*ch));

	if (ch == NULL)
		return vf_fail_null(ENOMEM);
	if (pipe2(ch->pipe, O_CLOEXEC) != 0) {
		free(ch);
		return NULL;
	}
	ch->ibv.context = context;
	ch->ibv.fd = ch->pipe[0];
	ch->ibv.refcnt = 0;
	return &ch->ibv;
}

VF_EXPORT int
ibv_destroy_comp_channel(struct ibv_comp_channel *channel)
{
	struct vf_channel *ch = container_of(channel, struct vf_channel, ibv);

	if (channel->refcnt != 0)
		return EBUSY;
	close(ch->pipe[0]);
	close(ch->pipe[1]);
	free(ch);
	return 0;
}

VF_EXPORT int
ibv_get_cq_event(struct ibv_comp_channel *channel, struct ibv_cq **cq, void **cq_context)
{
	char byte;

	RTE_SET_USED(cq);
	RTE_SET_USED(cq_context);
	/* Never written: the VF's CQs are not attached to an event queue. */
	if (read(channel->fd, &byte, 1) != 1)
		return -1;
	errno = EIO;
	return -1;
}

VF_EXPORT void
ibv_ack_cq_events(struct ibv_cq *cq, unsigned int nevents)
{
	pthread_mutex_lock(&cq->mutex);
	cq->comp_events_completed += nevents;
	pthread_cond_signal(&cq->cond);
	pthread_mutex_unlock(&cq->mutex);
}

/* ---- completion queues ---- */

/* What manadv_init_obj reports as a CQ's id before a QP assigned one. */
static uint32_t
vf_cq_id_unassigned(void)
{
	/* rdma-core >= 62 presets UINT32_MAX (cq.c); before, the id stays 0. */
	return vf_conf.rdma_core >= 62 ? UINT32_MAX : 0;
}

VF_EXPORT struct ibv_cq *
ibv_create_cq(struct ibv_context *context, int cqe, void *cq_context,
	      struct ibv_comp_channel *channel, int comp_vector)
{
	struct vf_ctx *ctx;
	struct vf_cq *cq;
	void *buf, *data;
	uint32_t size;
	int err;

	vf_lock_take();
	err = vf_ctx_get(context, &ctx);
	if (err == 0)
		err = vf_ctx_queues_allowed(ctx, false);	/* mana_ib cq.c: RNIC CQs too */
	if (err == 0)
		err = vf_verb_injected(ctx, MANA_SIM_VERB_CREATE_CQ);
	if (err != 0)
		goto fail;
	/* rc44 mana.c: at most 256 entries; mana_ib cq.c: at most max_qp_wr. EINVAL. */
	if (cqe <= 0 || (vf_conf.rdma_core < 49 && (uint32_t)cqe > VF_RDMA_CORE_LIMIT) ||
	    (uint32_t)cqe > VF_MAX_QP_WR) {
		VF_LOG(ERR, "CQ of %d entries refused (rdma-core %u: at most %u)", cqe,
		       vf_conf.rdma_core, vf_conf.rdma_core < 49 ? VF_RDMA_CORE_LIMIT :
		       VF_MAX_QP_WR);
		err = EINVAL;
		goto fail;
	}
	/* ib core uverbs_cmd.c: comp_vector below num_comp_vectors. */
	if (comp_vector < 0 || comp_vector >= context->num_comp_vectors) {
		err = EINVAL;
		goto fail;
	}
	/* rc44 mana.c: power of two of cqe * 64 bytes, page-aligned. */
	size = RTE_ALIGN_CEIL(vf_pow2_at_least((uint64_t)cqe * VF_CQE_SIZE), VF_PAGE_SIZE);
	err = vf_buf_alloc(ctx, size, &buf, &data);
	if (err != 0)
		goto fail;
	cq = calloc(1, sizeof(*cq));
	if (cq == NULL) {
		vf_buf_free(ctx, buf);
		err = ENOMEM;
		goto fail;
	}
	cq->buf = buf;
	cq->size = size;
	cq->count = (uint32_t)cqe;
	cq->id = vf_cq_id_unassigned();
	cq->producer = cq->count;
	cq->alloc_data = data;
	cq->ibv.context = context;
	cq->ibv.channel = channel;
	cq->ibv.cq_context = cq_context;
	cq->ibv.cqe = cqe;
	cq->ibv.handle = cq->id;
	pthread_mutex_init(&cq->ibv.mutex, NULL);
	pthread_cond_init(&cq->ibv.cond, NULL);
	if (channel != NULL)
		channel->refcnt++;
	vf_obj_add(&cq->obj, VF_OBJ_CQ, ctx, cq);
	vf_lock_release();
	return &cq->ibv;
fail:
	vf_lock_release();
	return vf_fail_null(err);
}

VF_EXPORT int
ibv_destroy_cq(struct ibv_cq *handle)
{
	struct vf_obj *obj;
	struct vf_cq *cq;

	vf_lock_take();
	obj = vf_obj_find(handle, VF_OBJ_CQ);
	if (obj == NULL) {
		vf_lock_release();
		return EINVAL;
	}
	cq = obj->handle;
	/* ib core verbs.c: a CQ still used by a QP or WQ is EBUSY. */
	if (cq->users > 0) {
		vf_lock_release();
		return EBUSY;
	}
	if (cq->ibv.channel != NULL)
		cq->ibv.channel->refcnt--;
	vf_buf_free(obj->ctx, cq->buf);
	vf_obj_del(obj);
	pthread_mutex_destroy(&cq->ibv.mutex);
	pthread_cond_destroy(&cq->ibv.cond);
	free(cq);
	vf_lock_release();
	return 0;
}

static struct vf_cq *
vf_cq_get(const struct ibv_cq *handle, const struct vf_ctx *ctx)
{
	struct vf_obj *obj = vf_obj_find(handle, VF_OBJ_CQ);

	return obj != NULL && obj->ctx == ctx ? obj->handle : NULL;
}

/* ---- receive work queues and indirection tables ---- */

static struct ibv_wq *
vf_create_wq(struct ibv_context *context, struct ibv_wq_init_attr *attr)
{
	struct vf_ctx *ctx;
	struct vf_pd *pd;
	struct vf_cq *cq;
	struct vf_wq *wq;
	void *buf, *data;
	uint32_t size;
	int err;

	vf_lock_take();
	err = vf_ctx_get(context, &ctx);
	if (err == 0)
		err = vf_ctx_queues_allowed(ctx, true);
	if (err == 0)
		err = vf_verb_injected(ctx, MANA_SIM_VERB_CREATE_WQ);
	if (err != 0)
		goto fail;
	pd = vf_pd_get(attr->pd);
	cq = vf_cq_get(attr->cq, ctx);
	if (attr->wq_type != IBV_WQT_RQ || pd == NULL || !vf_pd_usable(pd) || cq == NULL ||
	    attr->max_wr == 0) {
		err = EINVAL;
		goto fail;
	}
	/*
	 * rc44 wq.c: at most 256 WRs, WQE of at most 256 bytes (15 SGEs), EINVAL;
	 * rdma-core 49 dropped both, and mana_ib wq.c checks neither.
	 */
	if (vf_conf.rdma_core < 49 && (attr->max_wr > VF_RDMA_CORE_LIMIT ||
				       vf_wqe_size(attr->max_sge) > 256 ||
				       attr->max_sge > VF_MAX_RECV_SGE)) {
		VF_LOG(ERR, "WQ of %u WRs, %u SGEs refused", attr->max_wr, attr->max_sge);
		err = EINVAL;
		goto fail;
	}
	size = vf_hw_size((uint64_t)attr->max_wr * vf_wqe_size(attr->max_sge));
	err = vf_buf_alloc(ctx, size, &buf, &data);
	if (err != 0)
		goto fail;
	wq = calloc(1, sizeof(*wq));
	if (wq == NULL) {
		vf_buf_free(ctx, buf);
		err = ENOMEM;
		goto fail;
	}
	wq->pd = vf_pd_base(pd);
	wq->cq = cq;
	wq->max_wr = attr->max_wr;
	wq->ring.buf = buf;
	wq->ring.size = size;
	wq->ring.id = VF_INVALID_QUEUE_ID;
	wq->alloc_data = data;
	wq->ibv.context = context;
	wq->ibv.pd = attr->pd;
	wq->ibv.cq = attr->cq;
	wq->ibv.wq_type = IBV_WQT_RQ;
	wq->ibv.state = IBV_WQS_RESET;
	wq->pd->users++;
	cq->users++;
	vf_obj_add(&wq->obj, VF_OBJ_WQ, ctx, wq);
	vf_lock_release();
	return &wq->ibv;
fail:
	vf_lock_release();
	return vf_fail_null(err);
}

static int
vf_modify_wq(struct ibv_wq *wq, struct ibv_wq_attr *attr)
{
	RTE_SET_USED(wq);
	RTE_SET_USED(attr);
	return EOPNOTSUPP;	/* rc44 wq.c and mana_ib wq.c: no state to change */
}

static int
vf_destroy_wq(struct ibv_wq *handle)
{
	struct vf_obj *obj;
	struct vf_wq *wq;

	vf_lock_take();
	obj = vf_obj_find(handle, VF_OBJ_WQ);
	if (obj == NULL) {
		vf_lock_release();
		return EINVAL;
	}
	wq = obj->handle;
	/* ib core verbs.c: a WQ still named by an indirection table is EBUSY. */
	if (wq->ind_refs > 0) {
		vf_lock_release();
		return EBUSY;
	}
	wq->pd->users--;
	wq->cq->users--;
	vf_buf_free(obj->ctx, wq->ring.buf);
	vf_obj_del(obj);
	free(wq);
	vf_lock_release();
	return 0;
}

static struct ibv_rwq_ind_table *
vf_create_rwq_ind_table(struct ibv_context *context, struct ibv_rwq_ind_table_init_attr *attr)
{
	struct vf_ctx *ctx;
	struct vf_ind *ind;
	uint32_t i, n;
	int err;

	vf_lock_take();
	err = vf_ctx_get(context, &ctx);
	if (err == 0)
		err = vf_verb_injected(ctx, MANA_SIM_VERB_CREATE_IND_TABLE);
	if (err != 0)
		goto fail;
	/* ib core uverbs_cmd.c: comp_mask must be 0 (EOPNOTSUPP), log size <= 13 (EINVAL). */
	if (attr->comp_mask != 0) {
		err = EOPNOTSUPP;
		goto fail;
	}
	if (attr->log_ind_tbl_size > 13 || attr->ind_tbl == NULL) {
		err = EINVAL;
		goto fail;
	}
	/*
	 * mana_ib wq.c creates any table the core accepts; the hardware's 64
	 * entries are checked when the RSS QP is created (mana_ib qp.c).
	 */
	n = 1u << attr->log_ind_tbl_size;
	ind = calloc(1, sizeof(*ind));
	if (ind != NULL)
		ind->wq = calloc(n, sizeof(*ind->wq));
	if (ind == NULL || ind->wq == NULL) {
		free(ind);
		err = ENOMEM;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		struct vf_obj *obj = vf_obj_find(attr->ind_tbl[i], VF_OBJ_WQ);

		if (obj == NULL || obj->ctx != ctx) {
			free(ind->wq);
			free(ind);
			err = EINVAL;
			goto fail;
		}
		ind->wq[i] = obj->handle;
	}
	ind->log_size = attr->log_ind_tbl_size;
	for (i = 0; i < n; i++)
		ind->wq[i]->ind_refs++;
	ind->ibv.context = context;
	ind->ibv.ind_tbl_num = (int)vf_queue_id_alloc();
	ind->ibv.ind_tbl_handle = (int)ind->ibv.ind_tbl_num;
	vf_obj_add(&ind->obj, VF_OBJ_IND, ctx, ind);
	vf_lock_release();
	return &ind->ibv;
fail:
	vf_lock_release();
	return vf_fail_null(err);
}

static int
vf_destroy_rwq_ind_table(struct ibv_rwq_ind_table *handle)
{
	struct vf_obj *obj;
	struct vf_ind *ind;
	uint32_t i;

	vf_lock_take();
	obj = vf_obj_find(handle, VF_OBJ_IND);
	if (obj == NULL) {
		vf_lock_release();
		return EINVAL;
	}
	ind = obj->handle;
	/* ib core uverbs_std_types.c: in use by a QP is EBUSY. */
	if (ind->qp_refs > 0) {
		vf_lock_release();
		return EBUSY;
	}
	for (i = 0; i < (1u << ind->log_size); i++)
		ind->wq[i]->ind_refs--;
	vf_obj_del(obj);
	free(ind->wq);
	free(ind);
	vf_lock_release();
	return 0;
}

/* ---- queue pairs ---- */

/* Port of a QP: the parent domain's pd_context (rc44 qp.c); EINVAL on a plain PD. */
static int
vf_qp_port(struct vf_pd *pd, const struct vf_ctx *ctx, uint32_t *port)
{
	uint32_t nb_ports = ctx->rc ? 1 : vf_conf.fn[ctx->fn].nb_ports;

	if (pd->parent == NULL) {
		VF_LOG(ERR, "a raw packet QP needs a parent domain carrying the port");
		return EINVAL;
	}
	*port = (uint32_t)(uintptr_t)pd->pd_context;
	/* mana_ib qp.c mana_ib_get_netdev: port 1..num_ports, else EINVAL. */
	if (*port < 1 || *port > nb_ports) {
		VF_LOG(ERR, "QP on port %u: the device has ports 1..%u", *port, nb_ports);
		return EINVAL;
	}
	return 0;
}

/* Raw packet QPs need CAP_NET_RAW (ib core uverbs_cmd.c: EPERM). */
static bool
vf_cap_net_raw(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) != 0)
		return true;
	return (data[CAP_NET_RAW / 32].effective & (1u << (CAP_NET_RAW % 32))) != 0;
}

/*
 * The vport of the QP's port is configured for the PD by its first RAW QP
 * (mana_ib main.c mana_ib_cfg_vport, per PD): refused while the kernel
 * netdev of that port is up or another PD holds it (mana_en.c
 * mana_cfg_vport: EBUSY), which mana_ib reports as ENODEV.
 */
static int
vf_vport_claim(struct vf_ctx *ctx, struct vf_pd *pd, uint32_t port)
{
	struct vf_fn_shared *f = &vf_sh->fn[ctx->fn];
	int err = 0;

	if (pd->raw_qps > 0) {
		pd->raw_qps++;
		return 0;
	}
	vf_shared_lock();
	if (f->port_up[port - 1]) {
		VF_LOG(ERR, "%s port %u: vport in use by kernel netdev %s (up)",
		       vf_conf.fn[ctx->fn].bdf, port, vf_conf.fn[ctx->fn].port[port - 1].ifname);
		err = ENODEV;
	} else if (f->vport_pd[port - 1] != 0 && f->vport_pd[port - 1] != pd->uid) {
		VF_LOG(ERR, "%s port %u: vport held by another protection domain",
		       vf_conf.fn[ctx->fn].bdf, port);
		err = ENODEV;
	} else {
		f->vport_pd[port - 1] = pd->uid;
	}
	vf_shared_unlock();
	if (err == 0) {
		pd->raw_qps = 1;
		pd->port = port;
	}
	return err;
}

static void
vf_vport_release(struct vf_ctx *ctx, struct vf_pd *pd)
{
	struct vf_fn_shared *f = &vf_sh->fn[ctx->fn];

	if (pd->raw_qps == 0 || --pd->raw_qps > 0)
		return;
	vf_shared_lock();
	if (f->vport_pd[pd->port - 1] == pd->uid)
		f->vport_pd[pd->port - 1] = 0;
	vf_shared_unlock();
}

static struct ibv_qp *
vf_create_qp_raw(struct vf_ctx *ctx, struct vf_pd *pd, struct ibv_qp_init_attr *attr)
{
	struct vf_pd *base = vf_pd_base(pd);
	uint32_t port, wqe, size;
	struct vf_cq *cq;
	struct vf_qp *qp;
	void *buf, *data;
	int err;

	/* rc44 qp.c: a parent domain (EINVAL); the port is the kernel's to check, later. */
	if (pd->parent == NULL) {
		VF_LOG(ERR, "a raw packet QP needs a parent domain carrying the port");
		return vf_fail_null(EINVAL);
	}
	/* rc44 qp.c: at most 256 WRs, WQEs of at most 512 bytes (30 SGEs). EINVAL. */
	wqe = vf_wqe_size(attr->cap.max_send_sge);
	if ((vf_conf.rdma_core < 49 && attr->cap.max_send_wr > VF_RDMA_CORE_LIMIT) ||
	    wqe > 512 || attr->cap.max_send_wr == 0) {
		VF_LOG(ERR, "send queue of %u WRs, %u SGEs refused", attr->cap.max_send_wr,
		       attr->cap.max_send_sge);
		return vf_fail_null(EINVAL);
	}
	if (ctx->alloc.alloc == NULL || ctx->alloc.free == NULL)
		return vf_fail_null(EINVAL);
	/* The ib core checks CAP_NET_RAW before the driver sees the QP (EPERM). */
	if (!vf_cap_net_raw())
		return vf_fail_null(EPERM);
	err = vf_qp_port(pd, ctx, &port);
	if (err != 0)
		return vf_fail_null(err);
	/* mana_ib qp.c: max_send_wr <= max_qp_wr, max_send_sge <= 30. EINVAL. */
	if (attr->cap.max_send_wr > VF_MAX_QP_WR || attr->cap.max_send_sge > VF_MAX_SEND_SGE)
		return vf_fail_null(EINVAL);
	cq = vf_cq_get(attr->send_cq, ctx);
	if (cq == NULL)
		return vf_fail_null(EINVAL);
	size = vf_hw_size((uint64_t)attr->cap.max_send_wr * wqe);
	err = vf_buf_alloc(ctx, size, &buf, &data);
	if (err != 0)
		return vf_fail_null(err);
	err = vf_vport_claim(ctx, base, port);
	if (err != 0) {
		vf_buf_free(ctx, buf);
		return vf_fail_null(err);
	}
	/*
	 * The CQ's region goes to the hardware SQ object and is consumed
	 * (mana_ib qp.c): a CQ backs one queue; the hardware refuses an
	 * invalid region, which mana_ib reports as EPROTO.
	 */
	if (cq->consumed) {
		vf_vport_release(ctx, base);
		vf_buf_free(ctx, buf);
		VF_LOG(ERR, "CQ already used by a queue: the hardware refuses it");
		return vf_fail_null(EPROTO);
	}
	qp = calloc(1, sizeof(*qp));
	if (qp == NULL) {
		vf_vport_release(ctx, base);
		vf_buf_free(ctx, buf);
		return vf_fail_null(ENOMEM);
	}
	qp->pd = vf_pd_base(pd);
	qp->port = port;
	qp->cq = cq;
	qp->max_send_wr = attr->cap.max_send_wr;
	qp->max_send_sge = attr->cap.max_send_sge;
	/* mana_ib qp.c: the offset of the vport the PD configured (its first port). */
	qp->tx_vp_offset = VF_VPORT_OFFSET_BASE + base->port;
	qp->ring.buf = buf;
	qp->ring.size = size;
	qp->ring.id = vf_queue_id_alloc();
	qp->alloc_data = data;
	cq->consumed = true;
	cq->id = vf_queue_id_alloc();
	cq->users++;
	base->users++;
	qp->ibv.context = &ctx->vctx.context;
	qp->ibv.qp_context = attr->qp_context;
	qp->ibv.pd = &pd->ibv;
	qp->ibv.send_cq = attr->send_cq;
	qp->ibv.recv_cq = attr->recv_cq;
	qp->ibv.qp_num = qp->ring.id;
	qp->ibv.handle = qp->ring.id;
	qp->ibv.state = IBV_QPS_RTS;
	qp->ibv.qp_type = IBV_QPT_RAW_PACKET;
	pthread_mutex_init(&qp->ibv.mutex, NULL);
	pthread_cond_init(&qp->ibv.cond, NULL);
	vf_obj_add(&qp->obj, VF_OBJ_QP, ctx, qp);
	TAILQ_INSERT_TAIL(&ctx->qps, qp, link_qp);
	return &qp->ibv;
}

static struct ibv_qp *
vf_create_qp_rss(struct vf_ctx *ctx, struct vf_pd *pd, struct ibv_qp_init_attr_ex *attr)
{
	struct ibv_rx_hash_conf *hc = &attr->rx_hash_conf;
	struct vf_obj *obj;
	struct vf_ind *ind;
	struct vf_qp *qp;
	uint32_t port, i, n;
	int err;

	/* rc44 qp.c: parent domain, 40-byte key. EINVAL. */
	if (pd->parent == NULL || hc->rx_hash_key_len != sizeof(qp->key) ||
	    hc->rx_hash_key == NULL)
		return vf_fail_null(EINVAL);
	/* ib core uverbs_cmd.c: receive capabilities with an indirection table. EINVAL. */
	if (attr->cap.max_recv_wr != 0 || attr->cap.max_recv_sge != 0 || attr->srq != NULL)
		return vf_fail_null(EINVAL);
	if (!vf_cap_net_raw())
		return vf_fail_null(EPERM);
	obj = vf_obj_find(attr->rwq_ind_tbl, VF_OBJ_IND);
	if (obj == NULL || obj->ctx != ctx)
		return vf_fail_null(EINVAL);
	ind = obj->handle;
	/* mana_ib qp.c: Toeplitz only; table of at most 64 entries. EINVAL. */
	if (hc->rx_hash_function != IBV_RX_HASH_FUNC_TOEPLITZ || ind->log_size > 6)
		return vf_fail_null(EINVAL);
	err = vf_qp_port(pd, ctx, &port);
	if (err != 0)
		return vf_fail_null(err);
	qp = calloc(1, sizeof(*qp));
	if (qp == NULL)
		return vf_fail_null(ENOMEM);
	/*
	 * One hardware receive object per table entry, in order: the WQ's and
	 * its CQ's regions are consumed; an entry whose region is already gone
	 * (a WQ listed twice, or used by an earlier RSS QP) is refused by the
	 * hardware, EPROTO. Regions consumed before the failure stay consumed
	 * (mana_ib qp.c mana_ib_create_qp_rss).
	 */
	n = 1u << ind->log_size;
	for (i = 0; i < n; i++) {
		struct vf_wq *wq = ind->wq[i];

		if (wq->consumed || wq->cq->consumed) {
			VF_LOG(ERR, "RSS entry %u: WQ %p or its CQ already used by a queue: the "
			       "hardware refuses it", i, (void *)wq);
			free(qp);
			return vf_fail_null(EPROTO);
		}
		wq->consumed = true;
		wq->cq->consumed = true;
		wq->ring.id = vf_queue_id_alloc();
		wq->cq->id = vf_queue_id_alloc();
	}
	for (i = 0; i < n; i++)
		ind->wq[i]->live = true;
	qp->pd = vf_pd_base(pd);
	qp->port = port;
	qp->rss = true;
	qp->ind = ind;
	qp->reta_log = ind->log_size;
	qp->hash_fields = hc->rx_hash_fields_mask;
	memcpy(qp->key, hc->rx_hash_key, sizeof(qp->key));
	qp->ring.id = vf_queue_id_alloc();
	ind->qp_refs++;
	vf_pd_base(pd)->users++;
	qp->ibv.context = &ctx->vctx.context;
	qp->ibv.qp_context = attr->qp_context;
	qp->ibv.pd = &pd->ibv;
	qp->ibv.qp_num = qp->ring.id;
	qp->ibv.handle = qp->ring.id;
	qp->ibv.state = IBV_QPS_RTS;
	qp->ibv.qp_type = IBV_QPT_RAW_PACKET;
	pthread_mutex_init(&qp->ibv.mutex, NULL);
	pthread_cond_init(&qp->ibv.cond, NULL);
	vf_obj_add(&qp->obj, VF_OBJ_QP, ctx, qp);
	TAILQ_INSERT_TAIL(&ctx->qps, qp, link_qp);
	return &qp->ibv;
}

static struct ibv_qp *
vf_qp_create(struct ibv_context *context, struct ibv_pd *pd_handle,
	     struct ibv_qp_init_attr_ex *attr)
{
	struct ibv_qp *qp;
	struct vf_ctx *ctx;
	struct vf_pd *pd;
	int err;

	vf_lock_take();
	err = vf_ctx_get(context, &ctx);
	if (err == 0)
		err = vf_ctx_queues_allowed(ctx, true);
	pd = vf_pd_get(pd_handle);
	if (err == 0 && (pd == NULL || pd->obj.ctx != ctx || !vf_pd_usable(pd)))
		err = EINVAL;
	/* rc44 qp.c: raw packet QPs only, EINVAL; EOPNOTSUPP since rdma-core 57. */
	if (err == 0 && attr->qp_type != IBV_QPT_RAW_PACKET)
		err = vf_conf.rdma_core >= 57 ? EOPNOTSUPP : EINVAL;
	if (err == 0)
		err = vf_verb_injected(ctx, (attr->comp_mask & IBV_QP_INIT_ATTR_IND_TABLE) ?
				       MANA_SIM_VERB_CREATE_RSS_QP : MANA_SIM_VERB_CREATE_QP);
	if (err != 0) {
		vf_lock_release();
		return vf_fail_null(err);
	}
	if (attr->comp_mask & IBV_QP_INIT_ATTR_IND_TABLE)
		qp = vf_create_qp_rss(ctx, pd, attr);
	else
		qp = vf_create_qp_raw(ctx, pd, (struct ibv_qp_init_attr *)attr);
	err = errno;
	vf_lock_release();
	/* After the release: the engine it wakes takes vf_lock first thing. */
	if (qp != NULL)
		vf_engine_kick();
	errno = err;
	return qp;
}

VF_EXPORT struct ibv_qp *
ibv_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	struct ibv_qp_init_attr_ex ex;

	if (pd == NULL || attr == NULL)
		return vf_fail_null(EINVAL);
	memset(&ex, 0, sizeof(ex));
	memcpy(&ex, attr, sizeof(*attr));
	ex.comp_mask = IBV_QP_INIT_ATTR_PD;
	ex.pd = pd;
	return vf_qp_create(pd->context, pd, &ex);
}

static struct ibv_qp *
vf_create_qp_ex(struct ibv_context *context, struct ibv_qp_init_attr_ex *attr)
{
	if ((attr->comp_mask & IBV_QP_INIT_ATTR_PD) == 0)
		return vf_fail_null(EINVAL);
	if ((attr->comp_mask & ~(uint32_t)(IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_IND_TABLE |
					   IBV_QP_INIT_ATTR_RX_HASH)) != 0)
		return vf_fail_null(EOPNOTSUPP);
	/*
	 * An indirection table goes with a hash (rc44 qp.c: no 40-byte key,
	 * EINVAL) and a hash with a table (ib core uverbs_cmd.c, EINVAL).
	 */
	if (((attr->comp_mask & IBV_QP_INIT_ATTR_IND_TABLE) != 0) !=
	    ((attr->comp_mask & IBV_QP_INIT_ATTR_RX_HASH) != 0))
		return vf_fail_null(EINVAL);
	return vf_qp_create(context, attr->pd, attr);
}

static void
vf_qp_free(struct vf_ctx *ctx, struct vf_qp *qp)
{
	uint32_t i;

	TAILQ_REMOVE(&ctx->qps, qp, link_qp);
	if (qp->rss) {
		for (i = 0; i < (1u << qp->ind->log_size); i++)
			qp->ind->wq[i]->live = false;
		qp->ind->qp_refs--;
	} else {
		vf_vport_release(ctx, qp->pd);
		qp->cq->users--;
		vf_buf_free(ctx, qp->ring.buf);
	}
	qp->pd->users--;
	vf_obj_del(&qp->obj);
	pthread_mutex_destroy(&qp->ibv.mutex);
	pthread_cond_destroy(&qp->ibv.cond);
	free(qp);
}

VF_EXPORT int
ibv_destroy_qp(struct ibv_qp *handle)
{
	struct vf_obj *obj;

	vf_lock_take();
	obj = vf_obj_find(handle, VF_OBJ_QP);
	if (obj == NULL) {
		vf_lock_release();
		return EINVAL;
	}
	vf_qp_free(obj->ctx, obj->handle);
	vf_lock_release();
	return 0;
}

VF_EXPORT int
ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask)
{
	RTE_SET_USED(qp);
	RTE_SET_USED(attr);
	RTE_SET_USED(attr_mask);
	return EOPNOTSUPP;	/* rc44 qp.c: raw packet QPs have no states */
}

/* ---- libmana ---- */

VF_EXPORT int
manadv_set_context_attr(struct ibv_context *context, enum manadv_set_ctx_attr_type type,
			void *attr)
{
	struct vf_obj *obj;

	if (type != MANADV_CTX_ATTR_BUF_ALLOCATORS)
		return EOPNOTSUPP;	/* rc44 manadv.c */
	vf_lock_take();
	obj = vf_obj_find(context, VF_OBJ_CTX);
	if (obj == NULL || attr == NULL) {
		vf_lock_release();
		return EINVAL;
	}
	obj->ctx->alloc = *(const struct manadv_ctx_allocators *)attr;	/* by value */
	vf_lock_release();
	return 0;
}

/*
 * rc44 manadv.c: copies what the provider knows. Queue ids come from QP
 * creation (rc44 qp.c), so a CQ or WQ not yet used by a QP reports 0
 * (UINT32_MAX for a CQ since rdma-core 62); the doorbell page is the
 * context's one page for every object.
 */
VF_EXPORT int
manadv_init_obj(struct manadv_obj *obj, uint64_t obj_type)
{
	const uint64_t known = MANADV_OBJ_QP | MANADV_OBJ_CQ | MANADV_OBJ_RWQ;
	struct vf_obj *o;
	int err = 0;

	if ((obj_type & ~known) != 0)
		return EINVAL;
	vf_lock_take();
	if (obj_type & MANADV_OBJ_QP) {
		struct vf_qp *qp;

		o = vf_obj_find(obj->qp.in, VF_OBJ_QP);
		qp = o != NULL ? o->handle : NULL;
		if (qp == NULL || qp->rss) {
			err = EINVAL;
			goto out;
		}
		obj->qp.out->sq_buf = qp->ring.buf;
		obj->qp.out->sq_count = qp->max_send_wr;
		obj->qp.out->sq_size = qp->ring.size;
		obj->qp.out->sq_id = qp->ring.id;
		obj->qp.out->tx_vp_offset = qp->tx_vp_offset;
		obj->qp.out->db_page = o->ctx->db_page;
	}
	if (obj_type & MANADV_OBJ_CQ) {
		struct vf_cq *cq;

		o = vf_obj_find(obj->cq.in, VF_OBJ_CQ);
		if (o == NULL) {
			err = EINVAL;
			goto out;
		}
		cq = o->handle;
		obj->cq.out->buf = cq->buf;
		obj->cq.out->count = cq->count;
		obj->cq.out->cq_id = cq->id;
	}
	if (obj_type & MANADV_OBJ_RWQ) {
		struct vf_wq *wq;

		o = vf_obj_find(obj->rwq.in, VF_OBJ_WQ);
		if (o == NULL) {
			err = EINVAL;
			goto out;
		}
		wq = o->handle;
		obj->rwq.out->buf = wq->ring.buf;
		obj->rwq.out->count = wq->max_wr;
		obj->rwq.out->size = wq->ring.size;
		obj->rwq.out->wq_id = wq->ring.id == VF_INVALID_QUEUE_ID ? 0 : wq->ring.id;
		obj->rwq.out->db_page = o->ctx->db_page;
	}
out:
	vf_lock_release();
	return err;
}
