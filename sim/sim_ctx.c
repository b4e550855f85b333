/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Contexts and verbs-like objects of the software MANA device, and the
 * struct mana_hw_ops table that exposes them.
 *
 * Doorbell region: a memfd of 4 * max_queues pages; every CQ, receive WQ and
 * SQ gets a page of its own and its byte offset is returned in db_offset. A
 * memory-backed region cannot serialise concurrent stores to one address the
 * way MMIO does (two processes ringing two queues through one 8-byte slot
 * would overwrite each other), so, like mlx5 UARs, each queue has its own
 * page. The PMD takes each queue's doorbell location from the init-obj
 * output, so the same PMD code works on real hardware where all queues of a
 * context share one page (db_offset 0).
 *
 * Every handle passed in is looked up on sim_objects before it is used, so a
 * stale, foreign or wrongly typed handle gets -EINVAL instead of a crash.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "sim_internal.h"

#define SIM_LKEY_SLOT_BITS	12	/* log2(SIM_MAX_MR) */
#define SIM_LKEY_SEQ_MAX	0xfffffu
#define SIM_FIRST_QUEUE_ID	0x2001u	/* ids above 1023 exercise the VSQ frame check */
#define SIM_ALL_RSS_FIELDS \
	(MANA_HW_RSS_IPV4 | MANA_HW_RSS_IPV6 | MANA_HW_RSS_TCP | MANA_HW_RSS_UDP)

static uint32_t sim_next_queue_id = SIM_FIRST_QUEUE_ID;	/* guarded by sim_lock */

struct sim_obj *
sim_obj_find(const void *handle, enum sim_obj_type type)
{
	struct sim_obj *obj;

	if (handle == NULL)
		return NULL;
	/* Pointer comparison only: the handle is not dereferenced unless found. */
	TAILQ_FOREACH(obj, &sim_objects, link) {
		if ((const void *)obj == handle)
			return obj->type == type ? obj : NULL;
	}
	return NULL;
}

static void
sim_obj_add(struct sim_obj *obj, enum sim_obj_type type, struct mana_hw_ctx *ctx)
{
	obj->type = type;
	obj->ctx = ctx;
	TAILQ_INSERT_TAIL(&sim_objects, obj, link);
}

static void
sim_obj_del(struct sim_obj *obj)
{
	TAILQ_REMOVE(&sim_objects, obj, link);
	obj->type = 0;
}

void
sim_ctx_post_event(struct mana_hw_ctx *ctx, enum mana_hw_event event)
{
	uint64_t one = 1;

	if (ctx->ev_count == SIM_EVENTS_MAX) {
		SIM_LOG(WARNING, "%s: event queue full, event %d dropped", ctx->dev->name,
			(int)event);
		return;
	}
	ctx->events[(ctx->ev_head + ctx->ev_count) % SIM_EVENTS_MAX] = event;
	ctx->ev_count++;
	if (write(ctx->ev_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		SIM_LOG(WARNING, "%s: eventfd write failed: %s", ctx->dev->name,
			strerror(errno));
	SIM_LOG(INFO, "%s: event %d posted to context of instance %u", ctx->dev->name,
		(int)event, ctx->instance);
}

struct mana_hw_mr *
sim_mr_lookup(const struct mana_hw_ctx *ctx, uint32_t lkey, const struct mana_hw_pd *pd)
{
	struct mana_hw_mr *mr = ctx->mr_table[lkey & (SIM_MAX_MR - 1)];

	if (mr == NULL || mr->lkey != lkey || mr->pd != pd)
		return NULL;
	return mr;
}

static uint32_t
sim_pow2_at_least(uint64_t v, uint32_t min)
{
	uint64_t p = min;

	while (p < v)
		p <<= 1;
	return (uint32_t)p;
}

/* Validated context of a new object: -EINVAL if not a context, -EIO if it is dead. */
static int
sim_ctx_usable(const struct mana_hw_ctx *handle, struct mana_hw_ctx **ctxp)
{
	struct sim_obj *obj = sim_obj_find(handle, SIM_OBJ_CTX);

	if (obj == NULL)
		return -EINVAL;
	*ctxp = obj->ctx;
	return obj->ctx->dead ? -EIO : 0;
}

static bool
sim_queue_id_used(const struct mana_hw_ctx *ctx, uint32_t id)
{
	const struct mana_hw_cq *cq;
	const struct mana_hw_wq *wq;
	const struct mana_hw_sq *sq;

	TAILQ_FOREACH(cq, &ctx->cqs, link)
		if (cq->id == id)
			return true;
	TAILQ_FOREACH(wq, &ctx->wqs, link)
		if (wq->ring.id == id)
			return true;
	TAILQ_FOREACH(sq, &ctx->sqs, link)
		if (sq->ring.id == id)
			return true;
	return false;
}

/* 24-bit, nonzero, unique inside the context even after the counter wraps. */
static uint32_t
sim_queue_id_alloc(const struct mana_hw_ctx *ctx)
{
	uint32_t id;

	do {
		id = sim_next_queue_id;
		sim_next_queue_id = (sim_next_queue_id + 1) & SIM_QUEUE_ID_MASK;
		if (sim_next_queue_id == 0)
			sim_next_queue_id = 1;
	} while (sim_queue_id_used(ctx, id));
	return id;
}

/* Give the queue a doorbell page of its own; the page starts zeroed. */
static int
sim_db_page_alloc(struct mana_hw_ctx *ctx, uint32_t own_slot, struct sim_db_watch *db)
{
	uint32_t i;

	for (i = 0; i < ctx->db_pages; i++) {
		if ((ctx->db_page_used[i / 64] & (1ull << (i % 64))) == 0)
			break;
	}
	if (i == ctx->db_pages)
		return -ENOSPC;
	ctx->db_page_used[i / 64] |= 1ull << (i % 64);
	memset(ctx->db_map + (size_t)i * SIM_PAGE_SIZE, 0, SIM_PAGE_SIZE);
	memset(db, 0, sizeof(*db));
	db->page = ctx->db_map + (size_t)i * SIM_PAGE_SIZE;
	db->page_idx = i;
	db->own_slot = own_slot;
	return 0;
}

static void
sim_db_page_free(struct mana_hw_ctx *ctx, const struct sim_db_watch *db)
{
	ctx->db_page_used[db->page_idx / 64] &= ~(1ull << (db->page_idx % 64));
}

/* ---- contexts ---- */

static void
sim_ctx_free_resources(struct mana_hw_ctx *ctx)
{
	if (ctx->db_map != NULL)
		munmap(ctx->db_map, ctx->db_size);
	if (ctx->db_fd >= 0)
		close(ctx->db_fd);
	if (ctx->ev_fd >= 0)
		close(ctx->ev_fd);
	free(ctx->mr_table);
	free(ctx);
}

static int
sim_ctx_create(struct mana_hw_dev *dev, struct mana_hw_ctx **ctxp)
{
	struct mana_hw_ctx *ctx;
	void *map;
	int ret;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return -ENOMEM;
	ctx->db_fd = -1;
	ctx->ev_fd = -1;
	ctx->dev = dev;
	ctx->instance = dev->instance;
	ctx->vport = 1 + (dev->instance & 7);	/* changes across resets: must be re-read */
	ctx->db_pages = 4 * dev->conf.max_queues;
	ctx->db_size = ctx->db_pages * SIM_PAGE_SIZE;
	ctx->fatal_due_ns = SIM_TIME_NEVER;
	TAILQ_INIT(&ctx->pds);
	TAILQ_INIT(&ctx->cqs);
	TAILQ_INIT(&ctx->wqs);
	TAILQ_INIT(&ctx->sqs);

	ctx->mr_table = calloc(SIM_MAX_MR, sizeof(*ctx->mr_table));
	if (ctx->mr_table == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	ctx->db_fd = memfd_create("mana-sim-db", MFD_CLOEXEC);
	if (ctx->db_fd < 0 || ftruncate(ctx->db_fd, ctx->db_size) != 0) {
		ret = -errno;
		SIM_LOG(ERR, "%s: doorbell memfd: %s", dev->name, strerror(errno));
		goto fail;
	}
	map = mmap(NULL, ctx->db_size, PROT_READ | PROT_WRITE, MAP_SHARED, ctx->db_fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		SIM_LOG(ERR, "%s: doorbell mmap: %s", dev->name, strerror(errno));
		goto fail;
	}
	ctx->db_map = map;
	ctx->ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ctx->ev_fd < 0) {
		ret = -errno;
		SIM_LOG(ERR, "%s: eventfd: %s", dev->name, strerror(errno));
		goto fail;
	}
	*ctxp = ctx;
	return 0;

fail:
	sim_ctx_free_resources(ctx);
	return ret;
}

static int
sim_open(struct mana_hw_dev *dev, struct mana_hw_ctx **ctxp)
{
	struct mana_hw_ctx *ctx = NULL;
	uint64_t now;
	int ret;

	if (ctxp == NULL)
		return -EINVAL;
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	if (!sim_dev_valid(dev)) {
		ret = -EINVAL;
		goto unlock;
	}
	now = sim_now_ns();
	ret = sim_dev_admit_open(dev, now);
	if (ret != 0)
		goto unlock;
	ret = sim_ctx_create(dev, &ctx);
	if (ret != 0)
		goto unlock;
	sim_obj_add(&ctx->obj, SIM_OBJ_CTX, ctx);
	sim_dev_ctx_opened(dev, ctx, now);
	SIM_LOG(INFO, "%s: context opened on instance %u (doorbell fd %d, %u bytes)",
		dev->name, ctx->instance, ctx->db_fd, ctx->db_size);
	*ctxp = ctx;
unlock:
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static int
sim_query(struct mana_hw_ctx *handle, struct mana_hw_caps *caps)
{
	struct mana_hw_ctx *ctx;
	int ret;

	if (caps == NULL)
		return -EINVAL;
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	ret = sim_ctx_usable(handle, &ctx);
	if (ret == 0) {
		const struct mana_hw_dev *dev = ctx->dev;

		memset(caps, 0, sizeof(*caps));
		caps->mac = dev->conf.mac;
		caps->max_queues = dev->conf.max_queues;
		caps->max_rx_desc = SIM_MAX_DESC;
		caps->max_tx_desc = SIM_MAX_DESC;
		caps->max_send_sge = SIM_MAX_SEND_SGE;
		caps->max_recv_sge = SIM_MAX_RECV_SGE;
		caps->max_mr = SIM_MAX_MR;
		caps->max_mr_size = SIM_MAX_MR_SIZE;
		caps->link_speed_mbps = dev->conf.link_mbps;
		caps->link_up = !ctx->dead;
		caps->db_region_size = ctx->db_size;
	}
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static int
sim_doorbell_fd(struct mana_hw_ctx *handle)
{
	struct sim_obj *obj;
	int ret;

	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	obj = sim_obj_find(handle, SIM_OBJ_CTX);
	ret = obj != NULL ? obj->ctx->db_fd : -EINVAL;
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static int
sim_async_fd(struct mana_hw_ctx *handle)
{
	struct sim_obj *obj;
	int ret;

	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	obj = sim_obj_find(handle, SIM_OBJ_CTX);
	ret = obj != NULL ? obj->ctx->ev_fd : -EINVAL;
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static int
sim_get_async_event(struct mana_hw_ctx *handle, enum mana_hw_event *event)
{
	struct mana_hw_ctx *ctx;
	struct sim_obj *obj;
	uint64_t counter;
	int ret = 0;

	if (event == NULL)
		return -EINVAL;
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	obj = sim_obj_find(handle, SIM_OBJ_CTX);
	if (obj == NULL) {
		ret = -EINVAL;
		goto unlock;
	}
	ctx = obj->ctx;
	if (ctx->ev_count == 0) {
		/* Drained: reset the counter so the fd stops polling readable. */
		if (read(ctx->ev_fd, &counter, sizeof(counter)) < 0 && errno != EAGAIN)
			SIM_LOG(WARNING, "%s: eventfd read: %s", ctx->dev->name, strerror(errno));
		ret = -EAGAIN;
		goto unlock;
	}
	*event = ctx->events[ctx->ev_head];
	ctx->ev_head = (ctx->ev_head + 1) % SIM_EVENTS_MAX;
	ctx->ev_count--;
unlock:
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

/* ---- protection domains and memory registrations ---- */

static int
sim_alloc_pd(struct mana_hw_ctx *handle, struct mana_hw_pd **pdp)
{
	struct mana_hw_ctx *ctx;
	struct mana_hw_pd *pd;
	int ret;

	if (pdp == NULL)
		return -EINVAL;
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	ret = sim_ctx_usable(handle, &ctx);
	if (ret != 0)
		goto unlock;
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL) {
		ret = -ENOMEM;
		goto unlock;
	}
	sim_obj_add(&pd->obj, SIM_OBJ_PD, ctx);
	TAILQ_INSERT_TAIL(&ctx->pds, pd, link);
	*pdp = pd;
unlock:
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static void
sim_pd_free(struct mana_hw_pd *pd)
{
	TAILQ_REMOVE(&pd->obj.ctx->pds, pd, link);
	sim_obj_del(&pd->obj);
	free(pd);
}

static int
sim_dealloc_pd(struct mana_hw_pd *handle)
{
	struct sim_obj *obj;
	struct mana_hw_pd *pd;
	int ret = 0;

	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	obj = sim_obj_find(handle, SIM_OBJ_PD);
	if (obj == NULL) {
		ret = -EINVAL;
		goto unlock;
	}
	pd = container_of(obj, struct mana_hw_pd, obj);
	if (pd->users > 0) {
		ret = -EBUSY;
		goto unlock;
	}
	sim_pd_free(pd);
unlock:
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static int
sim_reg_mr(struct mana_hw_pd *handle, void *addr, size_t len, struct mana_hw_mr **mrp,
	   uint32_t *lkey)
{
	struct mana_hw_ctx *ctx;
	struct mana_hw_pd *pd;
	struct mana_hw_mr *mr;
	struct sim_obj *obj;
	uint32_t slot;
	int ret;

	if (mrp == NULL || lkey == NULL || addr == NULL || len == 0 || len > SIM_MAX_MR_SIZE ||
	    (uintptr_t)addr + len < (uintptr_t)addr)
		return -EINVAL;
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	obj = sim_obj_find(handle, SIM_OBJ_PD);
	if (obj == NULL) {
		ret = -EINVAL;
		goto unlock;
	}
	pd = container_of(obj, struct mana_hw_pd, obj);
	ctx = obj->ctx;
	if (ctx->dead) {
		ret = -EIO;
		goto unlock;
	}
	for (slot = 0; slot < SIM_MAX_MR; slot++) {
		if (ctx->mr_table[slot] == NULL)
			break;
	}
	if (slot == SIM_MAX_MR) {
		ret = -ENOMEM;
		goto unlock;
	}
	mr = calloc(1, sizeof(*mr));
	if (mr == NULL) {
		ret = -ENOMEM;
		goto unlock;
	}
	/* A sequence number above the slot makes a stale key of a reused slot invalid. */
	ctx->mr_seq = ctx->mr_seq % SIM_LKEY_SEQ_MAX + 1;
	mr->pd = pd;
	mr->addr = (uintptr_t)addr;
	mr->len = len;
	mr->lkey = (ctx->mr_seq << SIM_LKEY_SLOT_BITS) | slot;
	ctx->mr_table[slot] = mr;
	ctx->n_mr++;
	pd->users++;
	sim_obj_add(&mr->obj, SIM_OBJ_MR, ctx);
	*mrp = mr;
	*lkey = mr->lkey;
	ret = 0;
unlock:
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static void
sim_mr_free(struct mana_hw_mr *mr)
{
	struct mana_hw_ctx *ctx = mr->obj.ctx;

	ctx->mr_table[mr->lkey & (SIM_MAX_MR - 1)] = NULL;
	ctx->n_mr--;
	mr->pd->users--;
	sim_obj_del(&mr->obj);
	free(mr);
}

static int
sim_dereg_mr(struct mana_hw_mr *handle)
{
	struct sim_obj *obj;
	int ret = 0;

	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	obj = sim_obj_find(handle, SIM_OBJ_MR);
	if (obj == NULL)
		ret = -EINVAL;
	else
		sim_mr_free(container_of(obj, struct mana_hw_mr, obj));
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

/* ---- completion queues ---- */

static int
sim_create_cq(struct mana_hw_ctx *handle, uint32_t count, int socket,
	      struct mana_hw_cq **cqp, struct mana_hw_queue_info *info)
{
	struct mana_hw_ctx *ctx;
	struct mana_hw_cq *cq;
	uint32_t entries;
	int ret;

	if (cqp == NULL || info == NULL || count == 0 || count > SIM_CQ_MAX)
		return -EINVAL;
	entries = sim_pow2_at_least(count, SIM_CQ_MIN);
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	ret = sim_ctx_usable(handle, &ctx);
	if (ret != 0)
		goto unlock;
	if (ctx->n_cq >= 2 * ctx->dev->conf.max_queues) {
		SIM_LOG(ERR, "%s: more than %u CQs", ctx->dev->name,
			2 * ctx->dev->conf.max_queues);
		ret = -ENOSPC;
		goto unlock;
	}
	cq = calloc(1, sizeof(*cq));
	if (cq == NULL) {
		ret = -ENOMEM;
		goto unlock;
	}
	cq->buf = rte_zmalloc_socket("mana_sim_cq", (size_t)entries * SIM_CQE_SIZE,
				     SIM_PAGE_SIZE, socket);
	if (cq->buf == NULL) {
		ret = -ENOMEM;
		goto free_cq;
	}
	ret = sim_db_page_alloc(ctx, SIM_DB_SLOT_CQ, &cq->db);
	if (ret != 0)
		goto free_ring;
	cq->count = entries;
	/* Owner bits of the first lap are 1, so zeroed memory reads as empty. */
	cq->producer = entries;
	cq->id = sim_queue_id_alloc(ctx);
	sim_obj_add(&cq->obj, SIM_OBJ_CQ, ctx);
	TAILQ_INSERT_TAIL(&ctx->cqs, cq, link);
	ctx->n_cq++;

	memset(info, 0, sizeof(*info));
	info->buf = cq->buf;
	info->count = entries;
	info->size = entries * SIM_CQE_SIZE;
	info->id = cq->id;
	info->db_offset = cq->db.page_idx * SIM_PAGE_SIZE;
	*cqp = cq;
	goto unlock;

free_ring:
	rte_free(cq->buf);
free_cq:
	free(cq);
unlock:
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static void
sim_cq_free(struct mana_hw_cq *cq)
{
	struct mana_hw_ctx *ctx = cq->obj.ctx;

	TAILQ_REMOVE(&ctx->cqs, cq, link);
	ctx->n_cq--;
	sim_db_page_free(ctx, &cq->db);
	sim_obj_del(&cq->obj);
	rte_free(cq->buf);
	free(cq);
}

static int
sim_destroy_cq(struct mana_hw_cq *handle)
{
	struct mana_hw_cq *cq;
	struct sim_obj *obj;
	int ret = 0;

	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	obj = sim_obj_find(handle, SIM_OBJ_CQ);
	if (obj == NULL) {
		ret = -EINVAL;
		goto unlock;
	}
	cq = container_of(obj, struct mana_hw_cq, obj);
	if (cq->users > 0) {
		ret = -EBUSY;
		goto unlock;
	}
	sim_cq_free(cq);
unlock:
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

/* ---- work queues ---- */

/* PD and CQ of a new work queue: both valid, same context, context alive. */
static int
sim_wq_parents(const struct mana_hw_pd *pd_handle, const struct mana_hw_cq *cq_handle,
	       struct mana_hw_pd **pdp, struct mana_hw_cq **cqp)
{
	struct sim_obj *pd_obj = sim_obj_find(pd_handle, SIM_OBJ_PD);
	struct sim_obj *cq_obj = sim_obj_find(cq_handle, SIM_OBJ_CQ);

	if (pd_obj == NULL || cq_obj == NULL || pd_obj->ctx != cq_obj->ctx)
		return -EINVAL;
	if (pd_obj->ctx->dead)
		return -EIO;
	*pdp = container_of(pd_obj, struct mana_hw_pd, obj);
	*cqp = container_of(cq_obj, struct mana_hw_cq, obj);
	return 0;
}

static int
sim_ring_alloc(struct mana_hw_ctx *ctx, uint32_t bytes, int socket, uint32_t slot,
	       struct sim_ring *ring)
{
	int ret;

	memset(ring, 0, sizeof(*ring));
	ring->buf = rte_zmalloc_socket("mana_sim_wq", bytes, SIM_PAGE_SIZE, socket);
	if (ring->buf == NULL)
		return -ENOMEM;
	ret = sim_db_page_alloc(ctx, slot, &ring->db);
	if (ret != 0) {
		rte_free(ring->buf);
		ring->buf = NULL;
		return ret;
	}
	ring->size = bytes;
	ring->id = sim_queue_id_alloc(ctx);
	return 0;
}

static void
sim_ring_free(struct mana_hw_ctx *ctx, struct sim_ring *ring)
{
	sim_db_page_free(ctx, &ring->db);
	rte_free(ring->buf);
	ring->buf = NULL;
}

static void
sim_ring_info(const struct sim_ring *ring, struct mana_hw_queue_info *info)
{
	memset(info, 0, sizeof(*info));
	info->buf = ring->buf;
	info->count = ring->size / SIM_WQE_BU;
	info->size = ring->size;
	info->id = ring->id;
	info->db_offset = ring->db.page_idx * SIM_PAGE_SIZE;
}

static int
sim_create_wq(struct mana_hw_pd *pd_handle, struct mana_hw_cq *cq_handle, uint32_t count,
	      int socket, struct mana_hw_wq **wqp, struct mana_hw_queue_info *info)
{
	struct mana_hw_ctx *ctx;
	struct mana_hw_pd *pd;
	struct mana_hw_cq *cq;
	struct mana_hw_wq *wq;
	uint32_t bytes;
	int ret;

	if (wqp == NULL || info == NULL || count == 0 || count > SIM_MAX_DESC)
		return -EINVAL;
	/* A one-SGE receive WQE is one 32-byte unit. */
	bytes = sim_pow2_at_least((uint64_t)count * SIM_WQE_BU, SIM_RING_MIN);
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	ret = sim_wq_parents(pd_handle, cq_handle, &pd, &cq);
	if (ret != 0)
		goto unlock;
	ctx = pd->obj.ctx;
	if (ctx->n_wq >= ctx->dev->conf.max_queues) {
		SIM_LOG(ERR, "%s: more than %u receive WQs", ctx->dev->name,
			ctx->dev->conf.max_queues);
		ret = -ENOSPC;
		goto unlock;
	}
	wq = calloc(1, sizeof(*wq));
	if (wq == NULL) {
		ret = -ENOMEM;
		goto unlock;
	}
	ret = sim_ring_alloc(ctx, bytes, socket, SIM_DB_SLOT_RQ, &wq->ring);
	if (ret != 0) {
		free(wq);
		goto unlock;
	}
	wq->pd = pd;
	wq->cq = cq;
	pd->users++;
	cq->users++;
	ctx->n_wq++;
	sim_obj_add(&wq->obj, SIM_OBJ_WQ, ctx);
	TAILQ_INSERT_TAIL(&ctx->wqs, wq, link);
	sim_ring_info(&wq->ring, info);
	*wqp = wq;
unlock:
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static void
sim_wq_free(struct mana_hw_wq *wq)
{
	struct mana_hw_ctx *ctx = wq->obj.ctx;

	TAILQ_REMOVE(&ctx->wqs, wq, link);
	ctx->n_wq--;
	wq->pd->users--;
	wq->cq->users--;
	sim_ring_free(ctx, &wq->ring);
	sim_obj_del(&wq->obj);
	free(wq);
}

static int
sim_destroy_wq(struct mana_hw_wq *handle)
{
	struct mana_hw_wq *wq;
	struct sim_obj *obj;
	int ret = 0;

	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	obj = sim_obj_find(handle, SIM_OBJ_WQ);
	if (obj == NULL) {
		ret = -EINVAL;
		goto unlock;
	}
	wq = container_of(obj, struct mana_hw_wq, obj);
	if (wq->rss_refs > 0) {
		ret = -EBUSY;
		goto unlock;
	}
	sim_wq_free(wq);
unlock:
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static int
sim_create_sq(struct mana_hw_pd *pd_handle, struct mana_hw_cq *cq_handle, uint32_t count,
	      uint32_t max_sge, int socket, struct mana_hw_sq **sqp,
	      struct mana_hw_queue_info *info)
{
	struct mana_hw_ctx *ctx;
	struct mana_hw_pd *pd;
	struct mana_hw_cq *cq;
	struct mana_hw_sq *sq;
	uint32_t wqe_bytes, bytes;
	int ret;

	if (sqp == NULL || info == NULL || count == 0 || count > SIM_MAX_DESC ||
	    max_sge == 0 || max_sge > SIM_MAX_SEND_SGE)
		return -EINVAL;
	/* Header + short OOB (16 bytes) + the SGEs, in 32-byte units. */
	wqe_bytes = RTE_ALIGN(16 + SIM_SGE_SIZE * max_sge, SIM_WQE_BU);
	bytes = sim_pow2_at_least((uint64_t)count * wqe_bytes, SIM_RING_MIN);
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	ret = sim_wq_parents(pd_handle, cq_handle, &pd, &cq);
	if (ret != 0)
		goto unlock;
	ctx = pd->obj.ctx;
	if (ctx->n_sq >= ctx->dev->conf.max_queues) {
		SIM_LOG(ERR, "%s: more than %u SQs", ctx->dev->name, ctx->dev->conf.max_queues);
		ret = -ENOSPC;
		goto unlock;
	}
	sq = calloc(1, sizeof(*sq));
	if (sq == NULL) {
		ret = -ENOMEM;
		goto unlock;
	}
	ret = sim_ring_alloc(ctx, bytes, socket, SIM_DB_SLOT_SQ, &sq->ring);
	if (ret != 0) {
		free(sq);
		goto unlock;
	}
	sq->pd = pd;
	sq->cq = cq;
	sq->max_sge = max_sge;
	sq->vport = ctx->vport;
	sq->frame = (sq->ring.id >> 10) & 0x3fff;
	pd->users++;
	cq->users++;
	ctx->n_sq++;
	sim_obj_add(&sq->obj, SIM_OBJ_SQ, ctx);
	TAILQ_INSERT_TAIL(&ctx->sqs, sq, link);
	sim_ring_info(&sq->ring, info);
	info->tx_vp_offset = sq->vport;
	*sqp = sq;
unlock:
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static void
sim_sq_free(struct mana_hw_sq *sq)
{
	struct mana_hw_ctx *ctx = sq->obj.ctx;

	TAILQ_REMOVE(&ctx->sqs, sq, link);
	ctx->n_sq--;
	sq->pd->users--;
	sq->cq->users--;
	sim_ring_free(ctx, &sq->ring);
	sim_obj_del(&sq->obj);
	free(sq);
}

static int
sim_destroy_sq(struct mana_hw_sq *handle)
{
	struct sim_obj *obj;
	int ret = 0;

	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	obj = sim_obj_find(handle, SIM_OBJ_SQ);
	if (obj == NULL)
		ret = -EINVAL;
	else
		sim_sq_free(container_of(obj, struct mana_hw_sq, obj));
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

/* ---- receive side (RSS) ---- */

static int
sim_create_rss(struct mana_hw_pd *pd_handle, struct mana_hw_wq *const *reta,
	       uint32_t log_size, const uint8_t key[MANA_HW_RSS_KEY_LEN],
	       uint32_t hash_fields, struct mana_hw_rss **rssp)
{
	struct mana_hw_wq *table[SIM_RETA_MAX];
	struct mana_hw_ctx *ctx;
	struct mana_hw_rss *rss;
	struct sim_obj *obj;
	uint32_t i, n;
	int ret = 0;

	if (reta == NULL || key == NULL || rssp == NULL || log_size > MANA_HW_RETA_LOG_MAX ||
	    (hash_fields & ~SIM_ALL_RSS_FIELDS) != 0)
		return -EINVAL;
	n = 1u << log_size;
	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	obj = sim_obj_find(pd_handle, SIM_OBJ_PD);
	if (obj == NULL) {
		ret = -EINVAL;
		goto unlock;
	}
	ctx = obj->ctx;
	if (ctx->dead) {
		ret = -EIO;
		goto unlock;
	}
	if (ctx->rss != NULL) {
		ret = -EBUSY;
		goto unlock;
	}
	for (i = 0; i < n; i++) {
		struct sim_obj *wq_obj = sim_obj_find(reta[i], SIM_OBJ_WQ);

		if (wq_obj == NULL || wq_obj->ctx != ctx) {
			SIM_LOG(ERR, "%s: RSS entry %u is not a WQ of this context",
				ctx->dev->name, i);
			ret = -EINVAL;
			goto unlock;
		}
		table[i] = container_of(wq_obj, struct mana_hw_wq, obj);
	}
	rss = calloc(1, sizeof(*rss));
	if (rss == NULL) {
		ret = -ENOMEM;
		goto unlock;
	}
	rss->pd = container_of(obj, struct mana_hw_pd, obj);
	rss->log_size = log_size;
	rss->hash_fields = hash_fields;
	memcpy(rss->key, key, MANA_HW_RSS_KEY_LEN);
	for (i = 0; i < n; i++) {
		rss->reta[i] = table[i];
		table[i]->rss_refs++;
	}
	rss->pd->users++;
	ctx->rss = rss;
	sim_obj_add(&rss->obj, SIM_OBJ_RSS, ctx);
	*rssp = rss;
unlock:
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static void
sim_rss_free(struct mana_hw_rss *rss)
{
	uint32_t i;

	for (i = 0; i < (1u << rss->log_size); i++)
		rss->reta[i]->rss_refs--;
	rss->pd->users--;
	rss->obj.ctx->rss = NULL;
	sim_obj_del(&rss->obj);
	free(rss);
}

static int
sim_destroy_rss(struct mana_hw_rss *handle)
{
	struct sim_obj *obj;
	int ret = 0;

	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	obj = sim_obj_find(handle, SIM_OBJ_RSS);
	if (obj == NULL)
		ret = -EINVAL;
	else
		sim_rss_free(container_of(obj, struct mana_hw_rss, obj));
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

/* ---- close ---- */

static void
sim_ctx_destroy_objects(struct mana_hw_ctx *ctx)
{
	uint32_t slot;

	if (ctx->rss != NULL)
		sim_rss_free(ctx->rss);
	while (!TAILQ_EMPTY(&ctx->sqs))
		sim_sq_free(TAILQ_FIRST(&ctx->sqs));
	while (!TAILQ_EMPTY(&ctx->wqs))
		sim_wq_free(TAILQ_FIRST(&ctx->wqs));
	while (!TAILQ_EMPTY(&ctx->cqs))
		sim_cq_free(TAILQ_FIRST(&ctx->cqs));
	for (slot = 0; slot < SIM_MAX_MR && ctx->n_mr > 0; slot++) {
		if (ctx->mr_table[slot] != NULL)
			sim_mr_free(ctx->mr_table[slot]);
	}
	while (!TAILQ_EMPTY(&ctx->pds))
		sim_pd_free(TAILQ_FIRST(&ctx->pds));
}

static int
sim_close(struct mana_hw_ctx *handle)
{
	struct mana_hw_ctx *ctx;
	struct mana_hw_dev *dev;
	struct sim_obj *obj;
	int ret = 0;

	sim_lock_wait_announce();
	pthread_mutex_lock(&sim_lock);
	sim_lock_wait_done();
	obj = sim_obj_find(handle, SIM_OBJ_CTX);
	if (obj == NULL) {
		ret = -EINVAL;
		goto unlock;
	}
	ctx = obj->ctx;
	dev = ctx->dev;
	/* Off the device's list: the engine no longer sees it after this pass boundary. */
	TAILQ_REMOVE(&dev->ctxs, ctx, dev_link);
	sim_ctx_destroy_objects(ctx);
	sim_obj_del(&ctx->obj);
	/*
	 * Revoke: with the memfd truncated to 0, every mapping of the region in
	 * every process faults (SIGBUS) on its next access.
	 */
	if (ftruncate(ctx->db_fd, 0) != 0)
		SIM_LOG(ERR, "%s: doorbell revoke failed: %s", dev->name, strerror(errno));
	SIM_LOG(INFO, "%s: context of instance %u closed, doorbell revoked", dev->name,
		ctx->instance);
	sim_ctx_free_resources(ctx);
	sim_dev_ctx_closed(dev);
unlock:
	pthread_mutex_unlock(&sim_lock);
	return ret;
}

static const struct mana_hw_ops sim_hw_ops = {
	.name = "mana_sim",
	.get_device = sim_get_device,
	.put_device = sim_put_device,
	.open = sim_open,
	.close = sim_close,
	.query = sim_query,
	.doorbell_fd = sim_doorbell_fd,
	.async_fd = sim_async_fd,
	.get_async_event = sim_get_async_event,
	.alloc_pd = sim_alloc_pd,
	.dealloc_pd = sim_dealloc_pd,
	.reg_mr = sim_reg_mr,
	.dereg_mr = sim_dereg_mr,
	.create_cq = sim_create_cq,
	.destroy_cq = sim_destroy_cq,
	.create_wq = sim_create_wq,
	.destroy_wq = sim_destroy_wq,
	.create_rss = sim_create_rss,
	.destroy_rss = sim_destroy_rss,
	.create_sq = sim_create_sq,
	.destroy_sq = sim_destroy_sq,
};

const struct mana_hw_ops *
mana_sim_hw_ops(void)
{
	return &sim_hw_ops;
}
