/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * This process's mapping of the doorbell page. Every process, the primary
 * included, maps it itself from the context's verbs command fd through this
 * one path, and drops it before the primary closes the context: closing
 * revokes the page. The context has one doorbell page, at offset 0 of the
 * command fd (rdma-core providers/mana/mana.c maps it so for
 * manadv_init_obj's db_page; Linux mana_ib_mmap accepts offset 0 only and
 * exactly one page); every queue rings it at its GDMA offset, its id in the
 * value. A second mapping of the same fd and offset is the same page.
 */

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "mana.h"
#include "mana_guard.h"
#include "mp/mana_mp.h"

struct mana_fast mana_fast[RTE_MAX_ETHPORTS];

/*
 * Publish the generation this process maps in its registry slot; none
 * before the primary's ATTACH answer gave it one (slot -1).
 */
static void
mana_db_publish(struct mana_local *lp, uint32_t generation)
{
	if (lp->slot >= 0 && lp->slot < MANA_MAX_PROCS)
		rte_atomic_store_explicit(&lp->priv->procs[lp->slot].db_generation, generation,
					  rte_memory_order_release);
}

/* Drop the current mapping. Caller holds map_lock; our bursts are out. */
static void
mana_db_drop(struct mana_local *lp) __mana_requires(&lp->map_lock)
{
	struct mana_fast *fast = &mana_fast[lp->port_id];

	munmap(fast->db_base, lp->db_len);
	fast->db_base = NULL;
	lp->db_len = 0;
	lp->db_generation = 0;
	mana_db_publish(lp, 0);
}

/*
 * Make sure no burst of this process is inside a queue before its mapping
 * goes. The primary quiesced every queue before asking, so this normally
 * finds nothing; a burst still inside means this process is stuck and the
 * mapping must stay (the caller reports failure).
 */
static int
mana_db_quiesce_own(struct rte_eth_dev *dev)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_fast *fast = &mana_fast[lp->port_id];
	struct mana_quiesce_result res;

	rte_atomic_store_explicit(&fast->burst_word, MANA_BURST_WORD_NONE,
				  rte_memory_order_relaxed);
	mana_quiesce_barrier();
	return mana_quiesce_wait(dev, fast->busy_tag, lp->priv->args.quiesce_timeout_ms,
				 &res);
}

/*
 * Map @len bytes (one page) of @fd as doorbell generation @generation. The
 * fd stays open (the caller owns it). A generation this process was already
 * told to drop is refused: its page is being revoked.
 */
int
mana_db_map(struct rte_eth_dev *dev, int fd, uint32_t generation, size_t len)
{
	struct mana_local *lp = mana_local(dev);
	struct mana_fast *fast = &mana_fast[lp->port_id];
	void *addr;
	int ret = 0;

	mana_mutex_lock(&lp->map_lock);
	if (generation == 0 || generation <= lp->db_revoked) {
		ret = -ESTALE;
		goto out;
	}
	if (lp->db_generation == generation) {
		/* Already mapped; the registry may have been reset meanwhile. */
		mana_db_publish(lp, generation);
		goto out;
	}
	/* Write-only, shared, offset 0: as rdma-core and upstream DPDK map it. */
	addr = mmap(NULL, len, PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		ret = -errno;
		DRV_LOG(ERR, "port %u: mapping doorbell generation %u failed: %s",
			lp->port_id, generation, strerror(errno));
		goto out;
	}
	if (lp->db_generation != 0) {
		/* Never told to unmap the old one (we were evicted): replace it. */
		if (mana_db_quiesce_own(dev) != 0) {
			munmap(addr, len);
			ret = -EBUSY;
			goto out;
		}
		mana_db_drop(lp);
	}
	fast->db_base = addr;
	lp->db_len = len;
	lp->db_generation = generation;
	mana_db_publish(lp, generation);
	rte_atomic_store_explicit(&fast->burst_word, mana_state_word(generation, MANA_DEV_ACTIVE),
			 rte_memory_order_release);
	DRV_LOG(INFO, "port %u: doorbell generation %u mapped at %p", lp->port_id,
		generation, addr);
out:
	mana_mutex_unlock(&lp->map_lock);
	return ret;
}

/*
 * Drop the mapping of @generation or older (0: whatever is mapped) and
 * remember not to map it again. Returns 0, or -EBUSY when a burst of this
 * process is stuck inside a queue (the mapping is kept).
 */
int
mana_db_unmap(struct rte_eth_dev *dev, uint32_t generation)
{
	struct mana_local *lp = mana_local(dev);
	int ret = 0;

	mana_mutex_lock(&lp->map_lock);
	if (generation == 0)
		generation = lp->db_generation;
	if (generation > lp->db_revoked)
		lp->db_revoked = generation;
	if (lp->db_generation == 0 || lp->db_generation > generation)
		goto out;
	if (rte_atomic_load_explicit(&lp->test_keep_doorbell, rte_memory_order_relaxed)) {
		DRV_LOG(WARNING, "port %u: test hook: keeping doorbell generation %u",
			lp->port_id, lp->db_generation);
		goto out;
	}
	ret = mana_db_quiesce_own(dev);
	if (ret != 0) {
		DRV_LOG(ERR, "port %u: a burst of this process is stuck; doorbell kept",
			lp->port_id);
		ret = -EBUSY;
		goto out;
	}
	DRV_LOG(INFO, "port %u: doorbell generation %u unmapped", lp->port_id,
		lp->db_generation);
	mana_db_drop(lp);
out:
	mana_mutex_unlock(&lp->map_lock);
	return ret;
}
