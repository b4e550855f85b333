/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * MANA_SIM parser (syntax and defaults: vf_config.h). The string is parsed
 * into a local configuration which is copied out only when all of it is
 * valid. Every refusal names the item and key and says what is accepted.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vf_config.h"

#define VF_ERR_PREFIX		"MANA_SIM: "
#define VF_DEF_PORTS		2u
#define VF_DEF_MTU		1500u
#define VF_MIN_MTU		68u
#define VF_MAX_MTU		9000u
#define VF_DEF_QUEUES		64u
#define VF_MAX_QUEUES		64u
#define VF_DEF_DOWN_MS		200u
#define VF_MIN_RDMA_CORE	44u
#define VF_MAX_RDMA_CORE	99u
#define VF_MAX_NUMA		7
#define VF_MAC_OUI0		0x00
#define VF_MAC_OUI1		0x15
#define VF_MAC_OUI2		0x5d

#define VF_GLOBAL_KEYS		"instance, root, rdma_core, doorbell, down_ms, rename, maps, fn, " \
				"wire"
#define VF_FN_KEYS		"device, ports, macN, ifN, upN, mtuN, rc, rc_lead_ms, queues, " \
				"numa, faults (N: port 1..8)"
#define VF_FAULT_FORMS		"reset@T[:DOWN], remove@T, add@T, failopen@T:N|inf, " \
				"fatalrec@T:DELAY[:DOWN], evdelay@T:DELAY"

/* Global items that may appear once. */
enum vf_global {
	VF_G_INSTANCE,
	VF_G_ROOT,
	VF_G_RDMA_CORE,
	VF_G_DOORBELL,
	VF_G_DOWN_MS,
	VF_G_RENAME,
	VF_G_MAPS,
	VF_G_NUM,
};

static const char *const vf_global_names[VF_G_NUM] = {
	[VF_G_INSTANCE] = "instance",
	[VF_G_ROOT] = "root",
	[VF_G_RDMA_CORE] = "rdma_core",
	[VF_G_DOORBELL] = "doorbell",
	[VF_G_DOWN_MS] = "down_ms",
	[VF_G_RENAME] = "rename",
	[VF_G_MAPS] = "maps",
};

/* Keys of fn= that are not per port. */
enum vf_fn_key {
	VF_K_DEVICE,
	VF_K_PORTS,
	VF_K_RC,
	VF_K_RC_LEAD_MS,
	VF_K_QUEUES,
	VF_K_NUMA,
	VF_K_FAULTS,
	VF_K_NUM,
};

static const char *const vf_fn_key_names[VF_K_NUM] = {
	[VF_K_DEVICE] = "device",
	[VF_K_PORTS] = "ports",
	[VF_K_RC] = "rc",
	[VF_K_RC_LEAD_MS] = "rc_lead_ms",
	[VF_K_QUEUES] = "queues",
	[VF_K_NUMA] = "numa",
	[VF_K_FAULTS] = "faults",
};

/* Keys of fn= that name a port: macN, ifN, upN, mtuN. */
enum vf_port_key {
	VF_P_MAC,
	VF_P_IF,
	VF_P_UP,
	VF_P_MTU,
	VF_P_NUM,
};

static const char *const vf_port_key_names[VF_P_NUM] = {
	[VF_P_MAC] = "mac",
	[VF_P_IF] = "if",
	[VF_P_UP] = "up",
	[VF_P_MTU] = "mtu",
};

struct vf_parse {
	struct vf_config c;
	char *err;
	size_t errlen;
	uint32_t globals_seen;		/* bit per enum vf_global */
	/* per function: bit (port - 1) of each enum vf_port_key given explicitly */
	uint8_t port_set[VF_MAX_FNS][VF_P_NUM];
	const char *wire_text[VF_MAX_WIRES];	/* wire= values, resolved at the end */
	uint32_t n_wire_text;
};

static int
vf_err(struct vf_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
vf_err(struct vf_parse *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err == NULL || p->errlen == 0)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s", VF_ERR_PREFIX);
	if (n < 0 || (size_t)n >= p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Strict decimal: digits only, no sign, no leading zero, whole string, <= max. */
static int
vf_parse_dec(const char *s, uint32_t max, uint32_t *val)
{
	uint64_t v = 0;
	const char *c;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	if (s[0] == '0' && s[1] != '\0')
		return -EINVAL;
	for (c = s; *c != '\0'; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*c - '0');
		if (v > max)
			return -EINVAL;
	}
	*val = (uint32_t)v;
	return 0;
}

/* Strict decimal in min..max. */
static int
vf_parse_range(const char *s, uint32_t min, uint32_t max, uint32_t *val)
{
	uint32_t v;

	if (vf_parse_dec(s, max, &v) != 0 || v < min)
		return -EINVAL;
	*val = v;
	return 0;
}

/* "0" or "1". */
static int
vf_parse_bool(const char *s, bool *val)
{
	if (strcmp(s, "0") == 0) {
		*val = false;
		return 0;
	}
	if (strcmp(s, "1") == 0) {
		*val = true;
		return 0;
	}
	return -EINVAL;
}

static int
vf_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly @n hex digits at @s. */
static int
vf_parse_hex_n(const char *s, unsigned int n, uint32_t *val)
{
	uint32_t v = 0;
	unsigned int i;
	int d;

	for (i = 0; i < n; i++) {
		d = vf_hex_digit(s[i]);
		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint32_t)d;
	}
	*val = v;
	return 0;
}

/* "dddd:bb:dd.f", hex, either case; device 0..1f, function 0..7. */
static int
vf_parse_bdf(const char *s, struct vf_pci_addr *addr)
{
	uint32_t dom, bus, dev, fn;

	if (strlen(s) != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.')
		return -EINVAL;
	if (vf_parse_hex_n(s, 4, &dom) != 0 || vf_parse_hex_n(s + 5, 2, &bus) != 0 ||
	    vf_parse_hex_n(s + 8, 2, &dev) != 0 || vf_parse_hex_n(s + 11, 1, &fn) != 0)
		return -EINVAL;
	if (dev > 0x1f || fn > 7)
		return -EINVAL;
	addr->domain = dom;
	addr->bus = (uint8_t)bus;
	addr->dev = (uint8_t)dev;
	addr->fn = (uint8_t)fn;
	return 0;
}

static bool
vf_addr_equal(const struct vf_pci_addr *a, const struct vf_pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev && a->fn == b->fn;
}

/* "xx:xx:xx:xx:xx:xx", hex, either case. */
static int
vf_parse_mac(const char *s, uint8_t mac[6])
{
	uint32_t b;
	unsigned int i;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (i > 0 && s[i * 3 - 1] != ':')
			return -EINVAL;
		if (vf_parse_hex_n(s + i * 3, 2, &b) != 0)
			return -EINVAL;
		mac[i] = (uint8_t)b;
	}
	return 0;
}

static bool
vf_mac_is_zero(const uint8_t mac[6])
{
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

bool
vf_config_name_ok(const char *s, size_t max)
{
	size_t len = strnlen(s, max + 1);
	size_t i;

	if (len == 0 || len > max || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Global items                                                        */
/* ------------------------------------------------------------------ */

static int
vf_parse_root(struct vf_parse *p, const char *v)
{
	size_t len = strlen(v);
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return vf_err(p, "root: the path has a control character; accepted: "
				      "an absolute path of printable characters");
	/* Trailing '/' are dropped, except for the root directory itself. */
	while (len > 1 && v[len - 1] == '/')
		len--;
	if (v[0] != '/' || len >= VF_PATH_MAX)
		return vf_err(p, "root: '%s' is not an absolute path of at most %d characters",
			      v, VF_PATH_MAX - 1);
	memcpy(p->c.root, v, len);
	p->c.root[len] = '\0';
	return 0;
}

static int
vf_parse_global(struct vf_parse *p, enum vf_global g, const char *v)
{
	struct vf_config *c = &p->c;
	uint32_t u;

	if (p->globals_seen & (1u << g))
		return vf_err(p, "%s: given twice; each global item is accepted once",
			      vf_global_names[g]);
	p->globals_seen |= 1u << g;

	switch (g) {
	case VF_G_INSTANCE:
		if (!vf_config_name_ok(v, VF_NAME_MAX - 1))
			return vf_err(p, "instance: '%s' is not a name of 1..%d characters "
				      "[A-Za-z0-9_.-] (not '.' or '..')", v, VF_NAME_MAX - 1);
		strcpy(c->instance, v);
		return 0;
	case VF_G_ROOT:
		return vf_parse_root(p, v);
	case VF_G_RDMA_CORE:
		if (vf_parse_range(v, VF_MIN_RDMA_CORE, VF_MAX_RDMA_CORE, &c->rdma_core) != 0)
			return vf_err(p, "rdma_core: '%s' is not a decimal number in %u..%u", v,
				      VF_MIN_RDMA_CORE, VF_MAX_RDMA_CORE);
		return 0;
	case VF_G_DOORBELL:
		if (strcmp(v, "strict") == 0)
			c->doorbell_strict = true;
		else if (strcmp(v, "realistic") == 0)
			c->doorbell_strict = false;
		else
			return vf_err(p, "doorbell: '%s' is not strict or realistic", v);
		return 0;
	case VF_G_DOWN_MS:
		if (vf_parse_dec(v, VF_MAX_MS, &u) != 0)
			return vf_err(p, "down_ms: '%s' is not a decimal number in 0..%u", v,
				      VF_MAX_MS);
		c->down_ms = u;
		return 0;
	case VF_G_RENAME:
		if (vf_parse_bool(v, &c->rename) != 0)
			return vf_err(p, "rename: '%s' is not 0 or 1", v);
		return 0;
	case VF_G_MAPS:
		if (strcmp(v, "query") == 0)
			c->maps_text = false;
		else if (strcmp(v, "text") == 0)
			c->maps_text = true;
		else
			return vf_err(p, "maps: '%s' is not query or text", v);
		return 0;
	case VF_G_NUM:
		break;
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Fault schedule                                                      */
/* ------------------------------------------------------------------ */

/* One event "kind@T[:a[:b]]" (modified in place). */
static int
vf_parse_event(struct vf_parse *p, const char *bdf, char *ev, struct vf_sched_event *out)
{
	char *fields[3] = { NULL, NULL, NULL };
	uint32_t val[3] = { 0, 0, 0 };
	unsigned int n = 0;
	char *at = strchr(ev, '@');
	char *s;
	bool fail_inf = false;
	unsigned int i;

	if (at == NULL)
		return vf_err(p, "fn=%s: faults: event '%s' has no '@T'; accepted: %s", bdf, ev,
			      VF_FAULT_FORMS);
	*at = '\0';
	for (s = at + 1;;) {
		if (n == 3)
			return vf_err(p, "fn=%s: faults: event '%s' has too many ':' fields; "
				      "accepted: %s", bdf, ev, VF_FAULT_FORMS);
		fields[n++] = s;
		s = strchr(s, ':');
		if (s == NULL)
			break;
		*s++ = '\0';
	}

	memset(out, 0, sizeof(*out));
	if (strcmp(ev, "reset") == 0 && n <= 2) {
		out->fault.kind = VF_FAULT_RESET;
	} else if (strcmp(ev, "remove") == 0 && n == 1) {
		out->fault.kind = VF_FAULT_REMOVE;
	} else if (strcmp(ev, "add") == 0 && n == 1) {
		out->fault.kind = VF_FAULT_ADD;
	} else if (strcmp(ev, "failopen") == 0 && n == 2) {
		out->fault.kind = VF_FAULT_FAIL_OPEN;
	} else if (strcmp(ev, "fatalrec") == 0 && (n == 2 || n == 3)) {
		out->fault.kind = VF_FAULT_FATAL_IN_RECOVERY;
	} else if (strcmp(ev, "evdelay") == 0 && n == 2) {
		out->fault.kind = VF_FAULT_EVENT_DELAY;
	} else {
		return vf_err(p, "fn=%s: faults: '%s' with %u field(s) after '@' is not an event; "
			      "accepted: %s", bdf, ev, n, VF_FAULT_FORMS);
	}

	if (vf_parse_dec(fields[0], VF_MAX_MS, &val[0]) != 0)
		return vf_err(p, "fn=%s: faults: %s: time '%s' is not a decimal number of ms in "
			      "0..%u", bdf, ev, fields[0], VF_MAX_MS);
	for (i = 1; i < n; i++) {
		if (out->fault.kind == VF_FAULT_FAIL_OPEN) {
			if (strcmp(fields[i], "inf") == 0) {
				fail_inf = true;
				continue;
			}
			if (vf_parse_range(fields[i], 1, INT32_MAX, &val[i]) != 0)
				return vf_err(p, "fn=%s: faults: failopen: count '%s' is not "
					      "1..%d or inf", bdf, fields[i], INT32_MAX);
			continue;
		}
		if (vf_parse_dec(fields[i], VF_MAX_MS, &val[i]) != 0)
			return vf_err(p, "fn=%s: faults: %s: '%s' is not a decimal number of ms "
				      "in 0..%u", bdf, ev, fields[i], VF_MAX_MS);
	}

	out->at_ms = val[0];
	switch (out->fault.kind) {
	case VF_FAULT_RESET:
		out->fault.down_ms = val[1];
		break;
	case VF_FAULT_FAIL_OPEN:
		out->fault.count = fail_inf ? -1 : (int32_t)val[1];
		break;
	case VF_FAULT_FATAL_IN_RECOVERY:
		out->fault.delay_ms = val[1];
		out->fault.down_ms = val[2];
		break;
	case VF_FAULT_EVENT_DELAY:
		out->fault.delay_ms = val[1];
		break;
	case VF_FAULT_REMOVE:
	case VF_FAULT_ADD:
	case VF_FAULT_FAIL_VERB:	/* not a schedule event */
		break;
	}
	return 0;
}

/* "EV[/EV...]" (modified in place), sorted by time, stable. */
static int
vf_parse_faults(struct vf_parse *p, struct vf_fn_conf *fn, char *v)
{
	char *ev = v;
	char *slash;
	uint32_t i, j;
	int ret;

	fn->n_sched = 0;
	for (;;) {
		slash = strchr(ev, '/');
		if (slash != NULL)
			*slash = '\0';
		if (*ev == '\0')
			return vf_err(p, "fn=%s: faults: empty event (a '/' at the start or end, "
				      "or '//'); accepted: EV[/EV...]", fn->bdf);
		if (fn->n_sched == VF_SCHED_MAX)
			return vf_err(p, "fn=%s: faults: more than %d events", fn->bdf,
				      VF_SCHED_MAX);
		ret = vf_parse_event(p, fn->bdf, ev, &fn->sched[fn->n_sched]);
		if (ret != 0)
			return ret;
		fn->n_sched++;
		if (slash == NULL)
			break;
		ev = slash + 1;
	}

	/* Execution order is by time; equal times keep their written order. */
	for (i = 1; i < fn->n_sched; i++) {
		struct vf_sched_event tmp = fn->sched[i];

		for (j = i; j > 0 && fn->sched[j - 1].at_ms > tmp.at_ms; j--)
			fn->sched[j] = fn->sched[j - 1];
		fn->sched[j] = tmp;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* fn= items                                                           */
/* ------------------------------------------------------------------ */

static void
vf_fn_defaults(struct vf_fn_conf *fn)
{
	uint32_t i;

	memset(fn, 0, sizeof(*fn));
	fn->device_id = VF_PCI_DEVICE_VF;
	fn->nb_ports = VF_DEF_PORTS;
	fn->rc = true;
	fn->rc_lead_ms = 0;
	fn->max_queues = VF_DEF_QUEUES;
	fn->numa = -1;
	for (i = 0; i < VF_MAX_PORTS; i++) {
		fn->port[i].up = i == 0;
		fn->port[i].mtu = VF_DEF_MTU;
	}
}

/* Add a function with address @bdf_text and the defaults. */
static int
vf_add_fn(struct vf_parse *p, const char *bdf_text, struct vf_fn_conf **out)
{
	struct vf_pci_addr addr;
	struct vf_fn_conf *fn;
	uint32_t i;

	if (vf_parse_bdf(bdf_text, &addr) != 0)
		return vf_err(p, "fn=%s: not a PCI address; accepted: dddd:bb:dd.f (hex; "
			      "device 00..1f, function 0..7)", bdf_text);
	for (i = 0; i < p->c.nb_fns; i++)
		if (vf_addr_equal(&p->c.fn[i].addr, &addr))
			return vf_err(p, "fn=%s: PCI address given twice; each fn= needs its own",
				      p->c.fn[i].bdf);
	if (p->c.nb_fns == VF_MAX_FNS)
		return vf_err(p, "fn=%s: more than %d fn= items", bdf_text, VF_MAX_FNS);
	fn = &p->c.fn[p->c.nb_fns];
	vf_fn_defaults(fn);
	fn->addr = addr;
	snprintf(fn->bdf, sizeof(fn->bdf), "%04x:%02x:%02x.%x", addr.domain, addr.bus, addr.dev,
		 addr.fn);
	p->c.nb_fns++;
	*out = fn;
	return 0;
}

/* The port number of a key "<prefix>N": 1..VF_MAX_PORTS, or 0 when malformed. */
static uint32_t
vf_key_port(const char *key, const char *prefix)
{
	size_t len = strlen(prefix);
	uint32_t port;

	if (strncmp(key, prefix, len) != 0 || key[len] == '\0')
		return 0;
	if (vf_parse_range(key + len, 1, VF_MAX_PORTS, &port) != 0)
		return UINT32_MAX;
	return port;
}

static int
vf_parse_port_key(struct vf_parse *p, struct vf_fn_conf *fn, enum vf_port_key k,
		  uint32_t port, const char *key, const char *v)
{
	uint32_t fi = (uint32_t)(fn - p->c.fn);
	struct vf_port_conf *pc = &fn->port[port - 1];

	if (p->port_set[fi][k] & (1u << (port - 1)))
		return vf_err(p, "fn=%s: %s: given twice; each key is accepted once", fn->bdf,
			      key);
	p->port_set[fi][k] |= (uint8_t)(1u << (port - 1));

	switch (k) {
	case VF_P_MAC:
		if (vf_parse_mac(v, pc->mac) != 0)
			return vf_err(p, "fn=%s: %s: '%s' is not a MAC xx:xx:xx:xx:xx:xx (hex)",
				      fn->bdf, key, v);
		if ((pc->mac[0] & 1) != 0 || vf_mac_is_zero(pc->mac))
			return vf_err(p, "fn=%s: %s: '%s' is not a unicast address (accepted: "
				      "bit 0 of the first byte clear, not all zero)", fn->bdf, key,
				      v);
		return 0;
	case VF_P_IF:
		if (!vf_config_name_ok(v, VF_IFNAME_MAX - 1))
			return vf_err(p, "fn=%s: %s: '%s' is not a netdev name of 1..%d characters "
				      "[A-Za-z0-9_.-] (not '.' or '..')", fn->bdf, key, v,
				      VF_IFNAME_MAX - 1);
		strcpy(pc->ifname, v);
		return 0;
	case VF_P_UP:
		if (vf_parse_bool(v, &pc->up) != 0)
			return vf_err(p, "fn=%s: %s: '%s' is not 0 or 1", fn->bdf, key, v);
		return 0;
	case VF_P_MTU:
		if (vf_parse_range(v, VF_MIN_MTU, VF_MAX_MTU, &pc->mtu) != 0)
			return vf_err(p, "fn=%s: %s: '%s' is not a decimal number in %u..%u",
				      fn->bdf, key, v, VF_MIN_MTU, VF_MAX_MTU);
		return 0;
	case VF_P_NUM:
		break;
	}
	return -EINVAL;
}

static int
vf_parse_fn_key(struct vf_parse *p, struct vf_fn_conf *fn, uint32_t *seen, const char *key,
		char *v)
{
	uint32_t u;
	int k;

	for (k = 0; k < VF_K_NUM; k++)
		if (strcmp(key, vf_fn_key_names[k]) == 0)
			break;
	if (k == VF_K_NUM) {
		for (k = 0; k < VF_P_NUM; k++) {
			uint32_t port = vf_key_port(key, vf_port_key_names[k]);

			if (port == 0)
				continue;
			if (port == UINT32_MAX)
				return vf_err(p, "fn=%s: %s: not a key; accepted: %sN with N a "
					      "port 1..%d", fn->bdf, key, vf_port_key_names[k],
					      VF_MAX_PORTS);
			return vf_parse_port_key(p, fn, (enum vf_port_key)k, port, key, v);
		}
		return vf_err(p, "fn=%s: %s: unknown key; accepted: %s", fn->bdf, key, VF_FN_KEYS);
	}

	if (*seen & (1u << k))
		return vf_err(p, "fn=%s: %s: given twice; each key is accepted once", fn->bdf, key);
	*seen |= 1u << k;

	switch ((enum vf_fn_key)k) {
	case VF_K_DEVICE:
		if (strcmp(v, "vf") == 0)
			fn->device_id = VF_PCI_DEVICE_VF;
		else if (strcmp(v, "pf") == 0)
			fn->device_id = VF_PCI_DEVICE_PF;
		else
			return vf_err(p, "fn=%s: device: '%s' is not vf or pf", fn->bdf, v);
		return 0;
	case VF_K_PORTS:
		if (vf_parse_range(v, 1, VF_MAX_PORTS, &fn->nb_ports) != 0)
			return vf_err(p, "fn=%s: ports: '%s' is not a decimal number in 1..%d",
				      fn->bdf, v, VF_MAX_PORTS);
		return 0;
	case VF_K_RC:
		if (vf_parse_bool(v, &fn->rc) != 0)
			return vf_err(p, "fn=%s: rc: '%s' is not 0 or 1", fn->bdf, v);
		return 0;
	case VF_K_RC_LEAD_MS:
		if (vf_parse_dec(v, VF_MAX_MS, &fn->rc_lead_ms) != 0)
			return vf_err(p, "fn=%s: rc_lead_ms: '%s' is not a decimal number in 0..%u",
				      fn->bdf, v, VF_MAX_MS);
		return 0;
	case VF_K_QUEUES:
		if (vf_parse_range(v, 1, VF_MAX_QUEUES, &fn->max_queues) != 0)
			return vf_err(p, "fn=%s: queues: '%s' is not a decimal number in 1..%u",
				      fn->bdf, v, VF_MAX_QUEUES);
		return 0;
	case VF_K_NUMA:
		if (strcmp(v, "-1") == 0) {
			fn->numa = -1;
			return 0;
		}
		if (vf_parse_dec(v, VF_MAX_NUMA, &u) != 0)
			return vf_err(p, "fn=%s: numa: '%s' is not -1 or a decimal number in 0..%d",
				      fn->bdf, v, VF_MAX_NUMA);
		fn->numa = (int32_t)u;
		return 0;
	case VF_K_FAULTS:
		return vf_parse_faults(p, fn, v);
	case VF_K_NUM:
		break;
	}
	return -EINVAL;
}

/* "BDF[,key=value...]" (modified in place). */
static int
vf_parse_fn(struct vf_parse *p, char *v)
{
	struct vf_fn_conf *fn;
	uint32_t seen = 0;
	char *key, *val, *comma;
	uint32_t fi, port;
	int ret, k;

	comma = strchr(v, ',');
	if (comma != NULL)
		*comma = '\0';
	ret = vf_add_fn(p, v, &fn);
	if (ret != 0)
		return ret;
	fi = (uint32_t)(fn - p->c.fn);

	while (comma != NULL) {
		key = comma + 1;
		comma = strchr(key, ',');
		if (comma != NULL)
			*comma = '\0';
		if (*key == '\0')
			return vf_err(p, "fn=%s: empty key (',,' or a ',' at the end); accepted: "
				      "fn=BDF[,key=value...]", fn->bdf);
		val = strchr(key, '=');
		if (val == NULL)
			return vf_err(p, "fn=%s: %s: not key=value; accepted keys: %s", fn->bdf,
				      key, VF_FN_KEYS);
		*val++ = '\0';
		ret = vf_parse_fn_key(p, fn, &seen, key, val);
		if (ret != 0)
			return ret;
	}

	/* Keys of ports beyond ports= (which may come after them). */
	for (k = 0; k < VF_P_NUM; k++) {
		for (port = fn->nb_ports + 1; port <= VF_MAX_PORTS; port++) {
			if ((p->port_set[fi][k] & (1u << (port - 1))) == 0)
				continue;
			return vf_err(p, "fn=%s: %s%u: port %u does not exist (ports=%u); "
				      "accepted: N in 1..%u", fn->bdf, vf_port_key_names[k], port,
				      port, fn->nb_ports, fn->nb_ports);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Whole-configuration checks and defaults                             */
/* ------------------------------------------------------------------ */

static bool
vf_port_given(const struct vf_parse *p, uint32_t fi, enum vf_port_key k, uint32_t port)
{
	return (p->port_set[fi][k] & (1u << (port - 1))) != 0;
}

/* Default netdev names, then every name unique across the configuration. */
static int
vf_finish_ifnames(struct vf_parse *p)
{
	struct vf_config *c = &p->c;
	uint32_t fi, pi, fj, pj, k = 0;

	for (fi = 0; fi < c->nb_fns; fi++)
		for (pi = 1; pi <= c->fn[fi].nb_ports; pi++, k++)
			if (!vf_port_given(p, fi, VF_P_IF, pi))
				snprintf(c->fn[fi].port[pi - 1].ifname, VF_IFNAME_MAX, "eth%u", k);

	for (fi = 0; fi < c->nb_fns; fi++) {
		for (pi = 1; pi <= c->fn[fi].nb_ports; pi++) {
			const char *name = c->fn[fi].port[pi - 1].ifname;

			for (fj = 0; fj <= fi; fj++) {
				for (pj = 1; pj <= c->fn[fj].nb_ports; pj++) {
					if (fj == fi && pj >= pi)
						break;
					if (strcmp(name, c->fn[fj].port[pj - 1].ifname) != 0)
						continue;
					return vf_err(p, "fn=%s: if%u: netdev name '%s'%s is also "
						"the name of port %u of fn=%s; accepted: names "
						"unique across all functions", c->fn[fi].bdf, pi,
						name, vf_port_given(p, fi, VF_P_IF, pi) ? "" :
						" (the default)", pj, c->fn[fj].bdf);
				}
			}
		}
	}
	return 0;
}

/* Whether @mac is already a MAC of a port before (@fi, @pi), or given explicitly anywhere. */
static bool
vf_mac_taken(const struct vf_parse *p, const uint8_t mac[6], uint32_t fi, uint32_t pi)
{
	const struct vf_config *c = &p->c;
	uint32_t fj, pj;

	for (fj = 0; fj < c->nb_fns; fj++) {
		for (pj = 1; pj <= c->fn[fj].nb_ports; pj++) {
			bool before = fj < fi || (fj == fi && pj < pi);

			if (fj == fi && pj == pi)
				continue;
			if (!before && !vf_port_given(p, fj, VF_P_MAC, pj))
				continue;
			if (memcmp(mac, c->fn[fj].port[pj - 1].mac, 6) == 0)
				return true;
		}
	}
	return false;
}

static uint32_t
vf_fnv1a(uint32_t h, const void *data, size_t len)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

/*
 * 00:15:5d:XX:YY:ZZ with XX:YY:ZZ from FNV-1a of (instance, function index,
 * port, attempt); the attempt grows while the address is taken.
 */
static void
vf_default_mac(const struct vf_parse *p, uint32_t fi, uint32_t pi, uint8_t mac[6])
{
	uint32_t attempt, h;
	uint8_t tail[4 * 3];
	unsigned int i;

	for (attempt = 0;; attempt++) {
		for (i = 0; i < 4; i++) {
			tail[i] = (uint8_t)(fi >> (8 * i));
			tail[4 + i] = (uint8_t)(pi >> (8 * i));
			tail[8 + i] = (uint8_t)(attempt >> (8 * i));
		}
		h = vf_fnv1a(2166136261u, p->c.instance, strlen(p->c.instance) + 1);
		h = vf_fnv1a(h, tail, sizeof(tail));
		h ^= h >> 24;
		mac[0] = VF_MAC_OUI0;
		mac[1] = VF_MAC_OUI1;
		mac[2] = VF_MAC_OUI2;
		mac[3] = (uint8_t)(h >> 16);
		mac[4] = (uint8_t)(h >> 8);
		mac[5] = (uint8_t)h;
		if (!vf_mac_taken(p, mac, fi, pi))
			return;
	}
}

static int
vf_finish_macs(struct vf_parse *p)
{
	struct vf_config *c = &p->c;
	uint32_t fi, pi, fj, pj;

	/* Explicit addresses must differ from each other. */
	for (fi = 0; fi < c->nb_fns; fi++) {
		for (pi = 1; pi <= c->fn[fi].nb_ports; pi++) {
			const uint8_t *mac = c->fn[fi].port[pi - 1].mac;

			if (!vf_port_given(p, fi, VF_P_MAC, pi))
				continue;
			for (fj = 0; fj <= fi; fj++) {
				for (pj = 1; pj <= c->fn[fj].nb_ports; pj++) {
					if (fj == fi && pj >= pi)
						break;
					if (!vf_port_given(p, fj, VF_P_MAC, pj) ||
					    memcmp(mac, c->fn[fj].port[pj - 1].mac, 6) != 0)
						continue;
					return vf_err(p, "fn=%s: mac%u: %02x:%02x:%02x:%02x:%02x:"
						"%02x is also the MAC of port %u of fn=%s; "
						"accepted: addresses unique across all functions",
						c->fn[fi].bdf, pi, mac[0], mac[1], mac[2], mac[3],
						mac[4], mac[5], pj, c->fn[fj].bdf);
				}
			}
		}
	}

	/* Defaults avoid every explicit address and the defaults before them. */
	for (fi = 0; fi < c->nb_fns; fi++)
		for (pi = 1; pi <= c->fn[fi].nb_ports; pi++)
			if (!vf_port_given(p, fi, VF_P_MAC, pi))
				vf_default_mac(p, fi, pi, c->fn[fi].port[pi - 1].mac);
	return 0;
}

/* One end "BDF/P" of wire @text (modified in place). */
static int
vf_parse_wire_end(struct vf_parse *p, const char *text, char *s, struct vf_wire_end *end)
{
	struct vf_pci_addr addr;
	char *slash = strchr(s, '/');
	uint32_t i, port;

	if (slash == NULL)
		return vf_err(p, "wire=%s: '%s' is not BDF/P; accepted: wire=BDF/P-BDF/P", text,
			      s);
	*slash = '\0';
	if (vf_parse_bdf(s, &addr) != 0)
		return vf_err(p, "wire=%s: '%s' is not a PCI address dddd:bb:dd.f (hex; device "
			      "00..1f, function 0..7)", text, s);
	for (i = 0; i < p->c.nb_fns; i++)
		if (vf_addr_equal(&p->c.fn[i].addr, &addr))
			break;
	if (i == p->c.nb_fns)
		return vf_err(p, "wire=%s: function %s does not exist; accepted: the address of "
			      "a fn= item (or %s without any)", text, s, VF_DEFAULT_BDF);
	if (vf_parse_dec(slash + 1, UINT32_MAX, &port) != 0 || port == 0 ||
	    port > p->c.fn[i].nb_ports)
		return vf_err(p, "wire=%s: port '%s' does not exist (fn=%s has ports=%u); "
			      "accepted: 1..%u", text, slash + 1, p->c.fn[i].bdf,
			      p->c.fn[i].nb_ports, p->c.fn[i].nb_ports);
	end->fn = i;
	end->port = port;
	return 0;
}

static bool
vf_end_equal(const struct vf_wire_end *a, const struct vf_wire_end *b)
{
	return a->fn == b->fn && a->port == b->port;
}

static int
vf_finish_wires(struct vf_parse *p)
{
	struct vf_config *c = &p->c;
	char buf[128];
	char *dash;
	uint32_t i, j;
	int ret;

	for (i = 0; i < p->n_wire_text; i++) {
		const char *text = p->wire_text[i];
		struct vf_wire *w = &c->wire[c->nb_wires];

		if (strlen(text) >= sizeof(buf))
			return vf_err(p, "wire=%.40s...: too long; accepted: wire=BDF/P-BDF/P",
				      text);
		strcpy(buf, text);
		dash = strchr(buf, '-');
		if (dash == NULL || strchr(dash + 1, '-') != NULL)
			return vf_err(p, "wire=%s: not two ends; accepted: wire=BDF/P-BDF/P", text);
		*dash = '\0';
		ret = vf_parse_wire_end(p, text, buf, &w->a);
		if (ret != 0)
			return ret;
		ret = vf_parse_wire_end(p, text, dash + 1, &w->b);
		if (ret != 0)
			return ret;
		if (vf_end_equal(&w->a, &w->b))
			return vf_err(p, "wire=%s: both ends are the same port; accepted: two "
				      "different ports (an unwired port loops back)", text);
		for (j = 0; j < c->nb_wires; j++) {
			const struct vf_wire *o = &c->wire[j];
			const struct vf_wire_end *e = NULL;

			if (vf_end_equal(&o->a, &w->a) || vf_end_equal(&o->b, &w->a))
				e = &w->a;
			else if (vf_end_equal(&o->a, &w->b) || vf_end_equal(&o->b, &w->b))
				e = &w->b;
			if (e != NULL)
				return vf_err(p, "wire=%s: port %u of fn=%s is already wired; "
					      "accepted: each port on one wire at most", text,
					      e->port, c->fn[e->fn].bdf);
		}
		c->nb_wires++;
	}
	return 0;
}

static int
vf_parse_item(struct vf_parse *p, char *item)
{
	char *v = strchr(item, '=');
	int g;

	if (v == NULL)
		return vf_err(p, "item '%s' is not key=value; accepted: %s", item,
			      VF_GLOBAL_KEYS);
	*v++ = '\0';
	if (strcmp(item, "fn") == 0)
		return vf_parse_fn(p, v);
	if (strcmp(item, "wire") == 0) {
		if (p->n_wire_text == VF_MAX_WIRES)
			return vf_err(p, "wire=%s: more than %d wire= items", v, VF_MAX_WIRES);
		p->wire_text[p->n_wire_text++] = v;
		return 0;
	}
	for (g = 0; g < VF_G_NUM; g++)
		if (strcmp(item, vf_global_names[g]) == 0)
			return vf_parse_global(p, (enum vf_global)g, v);
	return vf_err(p, "%s: unknown item; accepted: %s", item, VF_GLOBAL_KEYS);
}

static int
vf_parse_all(struct vf_parse *p, char *text)
{
	struct vf_fn_conf *fn;
	char *item = text;
	char *semi;
	uint32_t fi;
	int ret;

	/* "" is the default configuration, anything else is item[;item...]. */
	while (item != NULL && text[0] != '\0') {
		semi = strchr(item, ';');
		if (semi != NULL)
			*semi++ = '\0';
		if (*item == '\0')
			return vf_err(p, "empty item (';;', or a ';' at the start or end); "
				      "accepted: item[;item...]");
		ret = vf_parse_item(p, item);
		if (ret != 0)
			return ret;
		item = semi;
	}

	if (p->c.nb_fns == 0) {
		ret = vf_add_fn(p, VF_DEFAULT_BDF, &fn);
		if (ret != 0)
			return ret;
	}
	/* Ports beyond ports= hold nothing. */
	for (fi = 0; fi < p->c.nb_fns; fi++) {
		fn = &p->c.fn[fi];
		memset(&fn->port[fn->nb_ports], 0,
		       sizeof(fn->port[0]) * (VF_MAX_PORTS - fn->nb_ports));
	}
	ret = vf_finish_ifnames(p);
	if (ret != 0)
		return ret;
	ret = vf_finish_macs(p);
	if (ret != 0)
		return ret;
	return vf_finish_wires(p);
}

int
vf_config_parse(const char *text, uint32_t default_rdma_core, struct vf_config *conf,
		char *err, size_t errlen)
{
	struct vf_parse *p;
	char *copy;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (conf == NULL)
		return -EINVAL;
	/* Every process compares its text with the one the instance keeps. */
	if (text != NULL && strnlen(text, VF_CONFIG_TEXT_MAX) >= VF_CONFIG_TEXT_MAX) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%sthe text is longer than %d bytes", VF_ERR_PREFIX,
				 VF_CONFIG_TEXT_MAX - 1);
		return -E2BIG;
	}
	p = calloc(1, sizeof(*p));
	copy = strdup(text != NULL ? text : "");
	if (p == NULL || copy == NULL) {
		free(p);
		free(copy);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%sout of memory", VF_ERR_PREFIX);
		return -ENOMEM;
	}
	p->err = err;
	p->errlen = errlen;
	strcpy(p->c.instance, VF_DEFAULT_INSTANCE);
	strcpy(p->c.root, VF_DEFAULT_ROOT);
	p->c.rdma_core = default_rdma_core;
	p->c.doorbell_strict = true;
	p->c.down_ms = VF_DEF_DOWN_MS;
	p->c.rename = false;
	p->c.maps_text = false;

	ret = vf_parse_all(p, copy);
	if (ret == 0)
		*conf = p->c;
	free(copy);
	free(p);
	return ret;
}

struct vf_wire_end
vf_config_peer(const struct vf_config *conf, uint32_t fn, uint32_t port)
{
	struct vf_wire_end self = { .fn = fn, .port = port };
	uint32_t i;

	for (i = 0; i < conf->nb_wires; i++) {
		if (vf_end_equal(&conf->wire[i].a, &self))
			return conf->wire[i].b;
		if (vf_end_equal(&conf->wire[i].b, &self))
			return conf->wire[i].a;
	}
	return self;
}

int
vf_config_find_fn(const struct vf_config *conf, const char *bdf)
{
	struct vf_pci_addr addr;
	uint32_t i;

	if (conf == NULL || bdf == NULL || vf_parse_bdf(bdf, &addr) != 0)
		return -1;
	for (i = 0; i < conf->nb_fns; i++)
		if (vf_addr_equal(&conf->fn[i].addr, &addr))
			return (int)i;
	return -1;
}
