/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The registry of processes using a port: one slot per process in shared
 * memory (mana_priv.procs), slot 0 being the primary. Only the primary
 * writes it, under registry_lock, except db_generation which each process
 * writes for itself. A slot's pid together with the process start time
 * identifies a process even after its pid is reused.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mana_mp.h"

/* Field 22 (starttime) of /proc/<pid>/stat, or 0; *state gets field 3. */
static uint64_t
mana_proc_stat(int32_t pid, char *state)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	const char *p;
	size_t n;
	FILE *f;
	int field;

	*state = '?';
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';

	/* The command name may hold spaces and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return 0;
	p += 2;
	*state = *p;
	for (field = 3; field < 22 && p != NULL; field++) {
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	if (p == NULL || sscanf(p, "%llu", &start) != 1)
		return 0;
	return start;
}

uint64_t
mana_proc_start_time(int32_t pid)
{
	char state;

	return mana_proc_stat(pid, &state);
}

/*
 * Can the process run? Its state is field 3 of /proc/<pid>/stat
 * (Documentation/filesystems/proc.rst, fs/proc/array.c task_state_array):
 * Z (zombie) and X (dead) have exited, T (stopped by a signal) and t
 * (stopped by a tracer) cannot run until someone continues them. The state
 * read is that of the main thread, which a group stop (SIGSTOP) stops with
 * the rest. A pid whose start time differs is another process: ours is gone.
 */
enum mana_proc_run
mana_proc_runnable(int32_t pid, uint64_t start_time)
{
	uint64_t now_start;
	char state;

	if (pid <= 0)
		return MANA_PROC_GONE;
	now_start = mana_proc_stat(pid, &state);
	if (now_start == 0 || state == 'Z' || state == 'X' ||
	    (start_time != 0 && now_start != start_time))
		return MANA_PROC_GONE;
	if (state == 'T' || state == 't')
		return MANA_PROC_STOPPED;
	return MANA_PROC_RUNS;
}

/* A zombie has exited: its queues are not in a burst any more. */
bool
mana_proc_alive(int32_t pid, uint64_t start_time)
{
	return mana_proc_runnable(pid, start_time) != MANA_PROC_GONE;
}

static void
mana_slot_clear(struct mana_proc_slot *s)
{
	memset(s, 0, sizeof(*s));
}

void
mana_registry_init(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_local *lp = mana_local(dev);
	struct mana_proc_slot *s = &priv->procs[0];
	int i;

	mana_mutex_lock(&lp->registry_lock);
	for (i = 0; i < MANA_MAX_PROCS; i++)
		mana_slot_clear(&priv->procs[i]);
	s->pid = getpid();
	s->start_time = mana_proc_start_time(s->pid);
	s->state = MANA_PROC_ATTACHED;
	s->attached_ns = mana_now_ns();
	mana_mutex_unlock(&lp->registry_lock);
	lp->slot = 0;
}

/*
 * Give @pid a slot (its old one if it attaches again). Slots of dead
 * processes are reclaimed. Returns the slot or -ENOSPC.
 */
int
mana_registry_attach(struct rte_eth_dev *dev, int32_t pid, uint64_t start_time)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_local *lp = mana_local(dev);
	int i, slot = -ENOSPC;

	mana_mutex_lock(&lp->registry_lock);
	for (i = 1; i < MANA_MAX_PROCS; i++) {
		struct mana_proc_slot *s = &priv->procs[i];

		if (s->state != MANA_PROC_FREE && s->pid == pid && s->start_time == start_time) {
			slot = i;
			break;
		}
	}
	for (i = 1; slot < 0 && i < MANA_MAX_PROCS; i++) {
		struct mana_proc_slot *s = &priv->procs[i];

		if (s->state == MANA_PROC_FREE) {
			slot = i;
		} else if (!mana_proc_alive(s->pid, s->start_time)) {
			priv->registry_deaths++;
			slot = i;
		}
	}
	if (slot > 0) {
		struct mana_proc_slot *s = &priv->procs[slot];

		/*
		 * A process attaching again (re-synchronising after eviction)
		 * keeps what it published (its mapped generation) and its
		 * answers; a new one starts clean.
		 */
		if (s->state == MANA_PROC_FREE || s->pid != pid || s->start_time != start_time) {
			mana_slot_clear(s);
			s->pid = pid;
			s->start_time = start_time;
			s->attached_ns = mana_now_ns();
		}
		s->state = MANA_PROC_ATTACHED;
	}
	mana_mutex_unlock(&lp->registry_lock);
	return slot;
}

void
mana_registry_detach(struct rte_eth_dev *dev, int slot, int32_t pid)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_local *lp = mana_local(dev);

	if (slot <= 0 || slot >= MANA_MAX_PROCS)
		return;
	mana_mutex_lock(&lp->registry_lock);
	if (priv->procs[slot].pid == pid)
		mana_slot_clear(&priv->procs[slot]);
	mana_mutex_unlock(&lp->registry_lock);
}

int
mana_registry_find(struct rte_eth_dev *dev, int32_t pid)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_local *lp = mana_local(dev);
	int i, slot = -ENOENT;

	mana_mutex_lock(&lp->registry_lock);
	for (i = 1; i < MANA_MAX_PROCS; i++) {
		if (priv->procs[i].state != MANA_PROC_FREE && priv->procs[i].pid == pid) {
			slot = i;
			break;
		}
	}
	mana_mutex_unlock(&lp->registry_lock);
	return slot;
}

/* Secondaries that must answer a broadcast (bit per slot). */
uint64_t
mana_registry_members(struct rte_eth_dev *dev, bool with_evicted)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_local *lp = mana_local(dev);
	uint64_t mask = 0;
	int i;

	mana_mutex_lock(&lp->registry_lock);
	for (i = 1; i < MANA_MAX_PROCS; i++) {
		uint32_t st = priv->procs[i].state;

		if (st == MANA_PROC_ATTACHED || (with_evicted && st == MANA_PROC_EVICTED))
			mask |= UINT64_C(1) << i;
	}
	mana_mutex_unlock(&lp->registry_lock);
	return mask;
}

unsigned int
mana_registry_count(struct rte_eth_dev *dev)
{
	return (unsigned int)__builtin_popcountll(mana_registry_members(dev, true));
}

void
mana_registry_release_dead(struct rte_eth_dev *dev, uint64_t slots)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_local *lp = mana_local(dev);
	int32_t pids[MANA_MAX_PROCS];
	int i, n = 0;

	mana_mutex_lock(&lp->registry_lock);
	for (i = 1; i < MANA_MAX_PROCS; i++) {
		if ((slots & (UINT64_C(1) << i)) == 0 || priv->procs[i].state == MANA_PROC_FREE)
			continue;
		priv->registry_deaths++;
		pids[n++] = priv->procs[i].pid;
		mana_slot_clear(&priv->procs[i]);
	}
	mana_mutex_unlock(&lp->registry_lock);
	/* The socket files they leave (a killed process unlinks nothing). */
	for (i = 0; i < n; i++)
		mana_mp_channel_forget(pids[i]);
}

void
mana_registry_evict(struct rte_eth_dev *dev, uint64_t slots)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_local *lp = mana_local(dev);
	int i;

	mana_mutex_lock(&lp->registry_lock);
	for (i = 1; i < MANA_MAX_PROCS; i++) {
		if (slots & (UINT64_C(1) << i)) {
			priv->procs[i].state = MANA_PROC_EVICTED;
			priv->procs[i].missed_acks++;
		}
	}
	mana_mutex_unlock(&lp->registry_lock);
}

enum mana_proc_run
mana_registry_slot_runnable(struct rte_eth_dev *dev, int slot)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_local *lp = mana_local(dev);
	int32_t pid;
	uint64_t start;

	if (slot < 0 || slot >= MANA_MAX_PROCS)
		return MANA_PROC_GONE;
	mana_mutex_lock(&lp->registry_lock);
	pid = priv->procs[slot].pid;
	start = priv->procs[slot].start_time;
	mana_mutex_unlock(&lp->registry_lock);
	return mana_proc_runnable(pid, start);
}

bool
mana_registry_slot_alive(struct rte_eth_dev *dev, int slot)
{
	return mana_registry_slot_runnable(dev, slot) != MANA_PROC_GONE;
}

/*
 * Record an answer. A successful REMAP_DB of the current doorbell generation
 * re-admits an evicted process: it is mapped like everyone else again. So
 * does a successful START_RXTX or STOP_RXTX from one that maps the current
 * generation outside a reset (evicted in such a round while it was
 * stopped: nothing of a reset tells it to attach again).
 */
void
mana_registry_note_answer(struct rte_eth_dev *dev, int slot, uint16_t type, int32_t result,
			  uint32_t generation, uint64_t latency_ns)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_local *lp = mana_local(dev);
	struct mana_proc_slot *s;
	uint32_t current;
	uint64_t word;

	if (slot <= 0 || slot >= MANA_MAX_PROCS)
		return;
	s = &priv->procs[slot];
	mana_mutex_lock(&lp->registry_lock);
	s->last_msg = type;
	s->last_result = result;
	s->last_answer_ns = mana_now_ns();
	if (latency_ns != 0)
		s->last_latency_ns = latency_ns;
	if (type == MANA_MP_UNMAP_DB) {
		s->unmap_result = result;
		s->unmap_generation = generation;
		s->unmap_latency_ns = latency_ns;
	} else if (type == MANA_MP_REMAP_DB) {
		s->remap_result = result;
		s->remap_generation = generation;
		s->remap_latency_ns = latency_ns;
	}
	current = rte_atomic_load_explicit(&priv->db_generation, rte_memory_order_acquire);
	word = mana_state_load(priv);
	if (s->state == MANA_PROC_EVICTED && result == 0 &&
	    ((type == MANA_MP_REMAP_DB && generation == current) ||
	     ((type == MANA_MP_START_RXTX || type == MANA_MP_STOP_RXTX) &&
	      (mana_word_state(word) == MANA_DEV_ACTIVE ||
	       mana_word_state(word) == MANA_DEV_STOPPED) &&
	      mana_word_generation(word) == current &&
	      rte_atomic_load_explicit(&s->db_generation, rte_memory_order_acquire) == current)))
		s->state = MANA_PROC_ATTACHED;
	mana_mutex_unlock(&lp->registry_lock);
}
