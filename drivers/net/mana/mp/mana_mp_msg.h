/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

#ifndef MANA_MP_MSG_H
#define MANA_MP_MSG_H

/*
 * The message catalogue of net_mana_mpr's multi-process protocol: every message
 * exchanged between the primary and secondaries, its direction, its exact
 * parameter size and the number of file descriptors it carries. Receivers
 * reject anything that does not match this table (mana_mp_validate).
 *
 * Transport (DPDK 22.11 to 25.11):
 *  - Secondary -> primary requests (ATTACH, DETACH, REG_MR, DEREG_MR) use
 *    rte_mp_request_sync on MANA_MP_ACTION_PRIMARY; the primary answers
 *    with rte_mp_reply carrying the same type and a result.
 *  - Primary -> secondary messages (START_RXTX, STOP_RXTX, UNMAP_DB,
 *    REMAP_DB, PORT_CLOSED, EVENT) go to each process they are meant for,
 *    one datagram on the socket that process bound for them
 *    (mana_mp_channel.c: rte_mp has no per-peer send). Rounds are
 *    answered with a one-way ACK over rte_mp_sendmsg naming the process
 *    (pid, slot), the round's sequence number and type: the primary sees
 *    every answer the moment it arrives and knows who has not answered.
 *  - EVENT is one-way and unanswered.
 *  - Receivers check the sender: the primary accepts a message only if the
 *    pid in its header is that of the socket it came from; a secondary
 *    accepts one only from the port's primary (the kernel's credentials).
 */

#include <stdint.h>

#include <rte_common.h>
#include <rte_eal.h>

#define MANA_MP_ACTION_PRIMARY		"net_mana_mpr_p"	/* received by the primary */
#define MANA_MP_ACTION_SECONDARY	"net_mana_mpr_s"	/* received by secondaries */
#define MANA_MP_MAGIC			0x414e414du	/* "MANA" */
/*
 * 2: DEREG_MR. 3: per-process delivery (mana_mp_channel.c). Processes of
 * different versions refuse each other's messages.
 */
#define MANA_MP_VERSION			3

enum mana_mp_type {
	MANA_MP_INVALID = 0,
	/* Secondary -> primary, request and reply. */
	MANA_MP_ATTACH,		/* register; reply: slot, doorbell fd if one is mapped-able */
	MANA_MP_DETACH,		/* leave the registry */
	MANA_MP_REG_MR,		/* register [addr, addr + len) for the device */
	/* Primary -> secondaries, broadcast, answered by ACK. */
	MANA_MP_START_RXTX,	/* install the real burst functions */
	MANA_MP_STOP_RXTX,	/* install the stopped burst functions */
	MANA_MP_UNMAP_DB,	/* drop the doorbell mapping of a generation */
	MANA_MP_REMAP_DB,	/* map the new doorbell region (1 fd) */
	MANA_MP_PORT_CLOSED,	/* the primary is closing the port: release it */
	/* Primary -> secondaries, one-way. */
	MANA_MP_EVENT,		/* deliver an ethdev event to the application */
	/* Secondary -> primary, one-way answer to a broadcast. */
	MANA_MP_ACK,
	/* Secondary -> primary, request and reply. */
	MANA_MP_DEREG_MR,	/* the mempool chunk [addr, addr + len) is being freed */
	MANA_MP_TYPE_MAX,
};

/* Common header of every message. */
struct mana_mp_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;		/* enum mana_mp_type */
	uint16_t port_id;
	uint16_t reserved;
	int32_t pid;		/* sender */
	uint32_t seq;		/* broadcast round or request number, echoed back */
	uint32_t generation;	/* doorbell generation the message is about */
	int32_t result;		/* replies and ACKs: 0 or negative errno */
	uint32_t pad;
};

/* ATTACH request: who is asking (start_time detects pid reuse). */
struct mana_mp_attach_req {
	struct mana_mp_hdr hdr;
	uint64_t start_time;
};

/*
 * ATTACH reply. With hdr.generation != 0 it carries one fd: the doorbell
 * region to map. generation 0: attach unmapped (a reset is in progress; the
 * REMAP_DB of that reset will bring the mapping).
 */
struct mana_mp_attach_rep {
	struct mana_mp_hdr hdr;
	int32_t slot;
	uint32_t db_region_size;
};

struct mana_mp_detach_req {
	struct mana_mp_hdr hdr;
	int32_t slot;
	uint32_t pad;
};

/* REG_MR and DEREG_MR. */
struct mana_mp_reg_mr_req {
	struct mana_mp_hdr hdr;
	uint64_t addr;
	uint64_t len;
};

/* Replies that carry nothing but the header (DETACH, REG_MR, DEREG_MR). */
struct mana_mp_status {
	struct mana_mp_hdr hdr;
};

/*
 * START_RXTX, STOP_RXTX, UNMAP_DB, REMAP_DB, PORT_CLOSED. REMAP_DB carries one fd and
 * hdr.generation is the new generation; UNMAP_DB's hdr.generation is the
 * one being revoked.
 */
struct mana_mp_bcast {
	struct mana_mp_hdr hdr;
	uint32_t db_region_size;
	uint32_t pad;
};

struct mana_mp_event {
	struct mana_mp_hdr hdr;
	uint32_t event;		/* enum rte_eth_event_type */
	uint32_t pad;
};

struct mana_mp_ack {
	struct mana_mp_hdr hdr;	/* hdr.seq/generation echo the broadcast */
	uint16_t acked_type;
	uint16_t pad;
	int32_t slot;
};

/* What a well-formed message of each type looks like. */
struct mana_mp_spec {
	const char *name;
	uint16_t len;		/* len_param, exact */
	uint16_t reply_len;	/* request/reply types: the reply's len_param */
	uint8_t fds;		/* num_fds, exact (requests and broadcasts) */
	uint8_t to_primary;	/* 1: received by the primary */
};

extern const struct mana_mp_spec mana_mp_specs[MANA_MP_TYPE_MAX];

static_assert(sizeof(struct mana_mp_hdr) == 32, "header layout");
static_assert(sizeof(struct mana_mp_ack) <= RTE_MP_MAX_PARAM_LEN, "fits rte_mp");

/*
 * Check @msg against the catalogue for a receiver that is the primary
 * (@at_primary) or a secondary. Does not look at ports or processes.
 * Returns 0 or -EINVAL/-EPROTO with a reason in @why.
 */
int mana_mp_validate(const struct rte_mp_msg *msg, int at_primary, const char **why);

#endif /* MANA_MP_MSG_H */
