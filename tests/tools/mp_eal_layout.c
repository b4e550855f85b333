/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * mp-eal-layout: how the DPDK this build uses lays out an rte_mp datagram,
 * for tests that write raw datagrams to an EAL socket. EAL sends its private
 * struct mp_msg_internal { int type; struct rte_mp_msg msg; } without the
 * fds[] array (those travel as SCM_RIGHTS), i.e. sizeof - sizeof(fds)
 * bytes (lib/eal/common/eal_common_proc.c, send_msg/read_msg). The layout
 * changed between releases: RTE_MP_MAX_FD_NUM 8 -> 253 (24.11), param[]
 * 8-byte aligned (25.11). Prints one JSON object; needs no EAL.
 */

#include <stddef.h>
#include <stdio.h>

#include <rte_eal.h>

struct mp_eal_datagram {	/* EAL's struct mp_msg_internal */
	int type;
	struct rte_mp_msg msg;
};

int
main(void)
{
	const size_t msg = offsetof(struct mp_eal_datagram, msg);

	printf("{\"size\":%zu,\"type\":%zu,\"name\":%zu,\"len_param\":%zu,\"num_fds\":%zu,"
	       "\"param\":%zu,\"max_fds\":%d,\"max_param\":%d}\n",
	       sizeof(struct mp_eal_datagram) - sizeof(((struct rte_mp_msg *)NULL)->fds),
	       offsetof(struct mp_eal_datagram, type),
	       msg + offsetof(struct rte_mp_msg, name),
	       msg + offsetof(struct rte_mp_msg, len_param),
	       msg + offsetof(struct rte_mp_msg, num_fds),
	       msg + offsetof(struct rte_mp_msg, param), RTE_MP_MAX_FD_NUM,
	       RTE_MP_MAX_PARAM_LEN);
	return 0;
}
