/*
 * Per-container firewall inside the guest kernel: rules become the guest's
 * own iptables "filter" table, so the host's netfilter is never touched.
 *
 * The table is written in one IPT_SO_SET_REPLACE, the same call iptables
 * makes: INPUT, FORWARD, OUTPUT each hold their rules then an ACCEPT policy,
 * and an ERROR entry ends the table. Rules arrive as tokens:
 *   fw in|out tcp|udp|icmp PORT|- ADDRESS PREFIX accept|drop
 * PORT is "N" or "N:M"; ADDRESS/PREFIX is the remote end (source for "in",
 * destination for "out").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ip_tables.h>

#include "runu-fail.h"
#include "runu-firewall.h"

#define MAX_RULES 64

struct rule {
	int hook;
	int proto;
	unsigned short port_lo, port_hi;
	struct in_addr net, mask;
	int verdict;
};

struct standard_entry {
	struct ipt_entry e;
	struct xt_standard_target t;
};

struct error_entry {
	struct ipt_entry e;
	struct xt_error_target t;
};

static struct rule rules[MAX_RULES];
static int nrules;

void firewall_add(const char *direction, const char *proto, const char *port,
		  const char *address, const char *prefix, const char *action)
{
	struct rule *r;
	int bits = atoi(prefix);

	if (nrules == MAX_RULES)
		die(126, "firewall: more than %d rules", MAX_RULES);
	r = &rules[nrules++];
	r->hook = !strcmp(direction, "in") ? NF_INET_LOCAL_IN : NF_INET_LOCAL_OUT;
	r->proto = !strcmp(proto, "tcp") ? IPPROTO_TCP : !strcmp(proto, "udp") ? IPPROTO_UDP : IPPROTO_ICMP;
	r->port_lo = 0;
	r->port_hi = 0xffff;
	if (strcmp(port, "-")) {
		const char *colon = strchr(port, ':');

		r->port_lo = atoi(port);
		r->port_hi = colon ? atoi(colon + 1) : r->port_lo;
	}
	if (inet_pton(AF_INET, address, &r->net) != 1)
		die(126, "firewall: bad address %s", address);
	r->mask.s_addr = bits ? htonl(~0U << (32 - bits)) : 0;
	r->net.s_addr &= r->mask.s_addr;
	r->verdict = !strcmp(action, "accept") ? -NF_ACCEPT - 1 : -NF_DROP - 1;
}

static void standard_target(struct xt_standard_target *t, int verdict)
{
	t->target.u.user.target_size = XT_ALIGN(sizeof(*t));
	t->verdict = verdict;
}

/* The match's payload size decides the entry's layout: the kernel checks it exactly. */
static size_t match_payload(int proto)
{
	return proto == IPPROTO_TCP ? sizeof(struct xt_tcp) :
	       proto == IPPROTO_UDP ? sizeof(struct xt_udp) : sizeof(struct ipt_icmp);
}

static size_t rule_size(const struct rule *r)
{
	return sizeof(struct ipt_entry) + XT_ALIGN(sizeof(struct xt_entry_match) + match_payload(r->proto)) +
	       XT_ALIGN(sizeof(struct xt_standard_target));
}

static void put_rule(unsigned char *at, const struct rule *r)
{
	struct ipt_entry *e = (struct ipt_entry *)at;
	struct xt_entry_match *m = (struct xt_entry_match *)e->elems;
	size_t msize = XT_ALIGN(sizeof(*m) + match_payload(r->proto));

	e->ip.proto = r->proto;
	if (r->hook == NF_INET_LOCAL_IN) {
		e->ip.src = r->net;
		e->ip.smsk = r->mask;
	} else {
		e->ip.dst = r->net;
		e->ip.dmsk = r->mask;
	}
	e->target_offset = sizeof(*e) + msize;
	e->next_offset = rule_size(r);
	m->u.user.match_size = msize;
	if (r->proto == IPPROTO_TCP) {
		struct xt_tcp *tcp = (struct xt_tcp *)m->data;

		strcpy(m->u.user.name, "tcp");
		tcp->spts[1] = 0xffff;
		tcp->dpts[0] = r->port_lo;
		tcp->dpts[1] = r->port_hi;
	} else if (r->proto == IPPROTO_UDP) {
		struct xt_udp *udp = (struct xt_udp *)m->data;

		strcpy(m->u.user.name, "udp");
		udp->spts[1] = 0xffff;
		udp->dpts[0] = r->port_lo;
		udp->dpts[1] = r->port_hi;
	} else {
		struct ipt_icmp *icmp = (struct ipt_icmp *)m->data;

		strcpy(m->u.user.name, "icmp");
		icmp->type = 0xff; /* any type */
		icmp->code[1] = 0xff;
	}
	standard_target((struct xt_standard_target *)(at + e->target_offset), r->verdict);
}

static void put_policy(struct standard_entry *se)
{
	memset(se, 0, sizeof(*se));
	se->e.target_offset = offsetof(struct standard_entry, t);
	se->e.next_offset = sizeof(*se);
	standard_target(&se->t, -NF_ACCEPT - 1);
}

void firewall_apply(void)
{
	static const int hooks[] = { NF_INET_LOCAL_IN, NF_INET_FORWARD, NF_INET_LOCAL_OUT };
	struct ipt_getinfo info = { .name = "filter" };
	socklen_t len = sizeof(info);
	size_t size = 3 * sizeof(struct standard_entry) + sizeof(struct error_entry);
	struct ipt_replace *repl;
	unsigned char *p;
	int s;

	if (!nrules)
		return;
	for (int i = 0; i < nrules; i++)
		size += rule_size(&rules[i]);
	s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (s < 0 || getsockopt(s, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len) < 0)
		die(126, "firewall: the guest kernel has no iptables filter table: %s", strerror(errno));
	repl = calloc(1, sizeof(*repl) + size);
	if (!repl)
		die(126, "firewall: out of memory");
	strcpy(repl->name, "filter");
	repl->valid_hooks = info.valid_hooks;
	repl->size = size;
	repl->num_counters = info.num_entries;
	repl->counters = calloc(info.num_entries, sizeof(struct xt_counters));
	p = (unsigned char *)repl->entries;
	for (int h = 0; h < 3; h++) {
		repl->hook_entry[hooks[h]] = p - (unsigned char *)repl->entries;
		for (int i = 0; i < nrules; i++) {
			if (rules[i].hook != hooks[h])
				continue;
			put_rule(p, &rules[i]);
			p += rule_size(&rules[i]);
			repl->num_entries++;
		}
		repl->underflow[hooks[h]] = p - (unsigned char *)repl->entries;
		put_policy((struct standard_entry *)p);
		p += sizeof(struct standard_entry);
		repl->num_entries++;
	}
	struct error_entry *err = (struct error_entry *)p;
	memset(err, 0, sizeof(*err));
	err->e.target_offset = offsetof(struct error_entry, t);
	err->e.next_offset = sizeof(*err);
	err->t.target.u.user.target_size = XT_ALIGN(sizeof(err->t));
	strcpy(err->t.target.u.user.name, XT_ERROR_TARGET);
	strcpy(err->t.errorname, "ERROR");
	repl->num_entries++;
	if (setsockopt(s, IPPROTO_IP, IPT_SO_SET_REPLACE, repl, sizeof(*repl) + size) < 0)
		die(126, "firewall: install rules: %s", strerror(errno));
	close(s);
	free(repl->counters);
	free(repl);
}
