/* SPDX-License-Identifier: MIT */
/*
 * account - account choice, the sender rule and the envelope; see
 * account.h.
 *
 * The order of the steps is the order of sendmail(8)'s SENDER RULE:
 * recipients, candidate sender, account, header edits, then the
 * recipients are resolved (aliases, the default account) and made unique.
 * Nothing here touches the network.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "address.h"
#include "i18n.h"
#include "log.h"
#include "util.h"

void
plan_free(struct plan *p)
{
	strlist_free(&p->rcpts);
	free(p->asked_sender);
	free(p->replaced_from);
	memset(p, 0, sizeof *p);
}

int
account_is_local(const struct config *c, const char *domain)
{
	if (domain == NULL)
		return 1;
	return strcasecmp(domain, "localhost") == 0 ||
	    strcasecmp(domain, "localhost.localdomain") == 0 ||
	    strcasecmp(domain, host_name()) == 0 ||
	    strlist_has(&c->local_domains, domain) ||
	    strcasecmp(domain, host_fqdn()) == 0;
}

/* Parses every field called name into out; ST_DATAERR names the field. */
static enum status
parse_fields(const struct message *m, const char *name, size_t from,
    size_t to, struct addrlist *out, struct buf *err)
{
	for (long i = message_find(m, name, from); i >= 0 && (size_t)i < to;
	    i = message_find(m, name, (size_t)i + 1)) {
		char *v = message_value(m, (size_t)i);
		struct buf why = BUF_INIT;
		enum status st = addr_parse_list(v, out, &why);

		if (st != ST_OK) {
			buf_printf(err, _("cannot read the %s header \"%.200s\": %s"),
			    m->hdrs[i].name, v, buf_str(&why));
			free(v);
			buf_free(&why);
			return ST_DATAERR;
		}
		free(v);
		buf_free(&why);
	}
	return ST_OK;
}

/* The newest Resent- block: the first run of Resent-* fields. */
static int
resent_block(const struct message *m, size_t *from, size_t *to)
{
	for (size_t i = 0; i < m->nhdrs; i++) {
		if (strncasecmp(m->hdrs[i].name, "Resent-", 7) != 0)
			continue;
		*from = i;
		while (i < m->nhdrs && strncasecmp(m->hdrs[i].name, "Resent-", 7) == 0)
			i++;
		*to = i;
		return 1;
	}
	return 0;
}

static enum status
collect_recipients(const struct request *r, const struct message *m,
    struct addrlist *rcpts, struct buf *err)
{
	enum status st = ST_OK;

	if (r->headers_give_rcpts) {
		static const char *const plain[] = { "To", "Cc", "Bcc", NULL };
		static const char *const resent[] = { "Resent-To", "Resent-Cc",
		    "Resent-Bcc", NULL };
		size_t from = 0, to = m->nhdrs;
		const char *const *names = plain;

		if (resent_block(m, &from, &to))
			names = resent;
		else
			from = 0, to = m->nhdrs;
		for (; *names && st == ST_OK; names++)
			st = parse_fields(m, *names, from, to, rcpts, err);
	}
	for (size_t i = 0; i < r->rcpts.n && st == ST_OK; i++) {
		struct buf why = BUF_INIT;

		if (addr_parse_list(r->rcpts.v[i], rcpts, &why) != ST_OK) {
			buf_printf(err, _("the recipient argument \"%s\" is not an address: %s"),
			    r->rcpts.v[i], buf_str(&why));
			st = ST_USAGE;
		}
		buf_free(&why);
	}
	return st;
}

/* Where the candidate sender came from (sendmail(8), SENDER RULE 1). */
struct candidate {
	long field;		/* header index, or -1 for -f or none */
	struct mailbox mb;	/* valid when has_mb */
	int has_mb;
};

/* First mailbox of field name, or of sender_name when it holds several. */
static enum status
candidate_from(const struct message *m, const char *name,
    const char *sender_name, struct candidate *cand, struct buf *err)
{
	long i = message_find(m, name, 0);
	struct addrlist l = ADDRLIST_INIT;
	enum status st;

	if (i < 0)
		return ST_OK;
	st = parse_fields(m, name, (size_t)i, (size_t)i + 1, &l, err);
	if (st == ST_OK && l.n > 1) {
		long s = message_find(m, sender_name, 0);

		if (s >= 0) {
			addrlist_free(&l);
			i = s;
			st = parse_fields(m, sender_name, (size_t)s, (size_t)s + 1, &l, err);
		}
	}
	if (st == ST_OK && l.n > 0) {
		cand->field = i;
		cand->mb = l.v[0];
		cand->has_mb = 1;
		l.v[0] = (struct mailbox){ NULL, NULL, NULL, NULL };
	}
	addrlist_free(&l);
	return st;
}

static enum status
find_candidate(const struct request *r, const struct message *m,
    struct candidate *cand, struct buf *err)
{
	enum status st;

	cand->field = -1;
	cand->has_mb = 0;
	st = candidate_from(m, "Resent-From", "Resent-Sender", cand, err);
	if (st == ST_OK && !cand->has_mb)
		st = candidate_from(m, "From", "Sender", cand, err);
	if (st == ST_OK && !cand->has_mb && r->sender) {
		struct buf why = BUF_INIT;

		if (addr_parse_one(r->sender, &cand->mb, &why) != ST_OK) {
			buf_printf(err, _("-f %s is not an address: %s"), r->sender,
			    buf_str(&why));
			st = ST_USAGE;
		} else
			cand->has_mb = 1;
		buf_free(&why);
	}
	return st;
}

static struct account *
need_default(const struct config *c, const char *why_needed, struct buf *err)
{
	struct account *a = config_default(c);

	if (a == NULL)
		buf_printf(err, _("%s: %s, but %s has several accounts and no default; add default = ADDRESS to its [saatja] section"),
		    c->path, why_needed, c->path);
	return a;
}

#define FOREIGN_REFUSED N_("the sender %s has no account in %s, and providers accept mail only from the address you log in with (the sender must be the login name). Add an account [%s], send as one of the configured addresses, or set foreign_from = rewrite")

static enum status
choose_account(struct plan *p, const struct config *c,
    const struct candidate *cand, int *foreign, struct buf *err)
{
	const char *addr = cand->has_mb ? cand->mb.addr : NULL;

	*foreign = 0;
	if (addr && (p->account = config_account(c, addr)) != NULL)
		return ST_OK;
	if (addr && !account_is_local(c, cand->mb.domain)) {
		if (c->foreign_from == FOREIGN_REJECT) {
			/* The log line stays English, whoever reads stderr. */
			log_msg(LOG_WARNING, "refused: " FOREIGN_REFUSED,
			    addr, c->path, addr);
			buf_printf(err, _(FOREIGN_REFUSED), addr, c->path, addr);
			return ST_NOPERM;
		}
		*foreign = 1;
	}
	p->account = need_default(c, addr ?
	    /* TRANSLATORS: the second %s of "%s: %s, but %s has several
	     * accounts and no default" */
	    _("the sender is local or rewritten") :
	    _("the message names no sender"), err);
	return p->account ? ST_OK : ST_CONFIG;
}

/* Rewrites (or adds) the header that chose the account. */
static void
rewrite_sender(struct plan *p, const struct request *r,
    const struct candidate *cand, int foreign, struct message *m)
{
	const char *acct = p->account->address;
	struct buf v = BUF_INIT;

	if (cand->field >= 0) {
		if (addr_equal(cand->mb.addr, acct))
			return;
		/* A local sender with no name ("Logwatch", www-data@host)
		 * lends its local part as the name: it says which program
		 * wrote. */
		addr_format(&v, cand->mb.display ? cand->mb.display :
		    foreign ? NULL : cand->mb.local, acct);
		message_replace(m, (size_t)cand->field, buf_str(&v));
		p->replaced_from = xstrdup(cand->mb.addr);
		if (foreign && message_find(m, "Reply-To", 0) < 0) {
			buf_reset(&v);
			addr_format(&v, cand->mb.display, cand->mb.addr);
			message_append(m, "Reply-To", buf_str(&v));
		}
		buf_free(&v);
		return;
	}
	if (message_find(m, "From", 0) >= 0)
		return;		/* a From of no mailboxes ("group:;") stays */
	{
		const char *name = r->fullname ? r->fullname : caller_full_name();

		if (name && *name) {
			addr_encode_phrase(&v, name);
			buf_printf(&v, " <%s>", acct);
		} else
			buf_adds(&v, acct);
	}
	message_append(m, "From", buf_str(&v));
	buf_free(&v);
}

static void
add_date_and_id(const struct account *a, struct message *m)
{
	static const char days[][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm tm;
	struct buf v = BUF_INIT;

	if (message_find(m, "Date", 0) < 0) {
		long off;

		localtime_r(&now, &tm);
		off = tm.tm_gmtoff / 60;
		buf_printf(&v, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
		    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		    off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
		message_append(m, "Date", buf_str(&v));
	}
	if (message_find(m, "Message-ID", 0) < 0) {
		unsigned char r[8];

		random_bytes(r, sizeof r);
		gmtime_r(&now, &tm);
		buf_reset(&v);
		buf_printf(&v, "<%04d%02d%02d%02d%02d%02d.%ld.",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (long)getpid());
		for (unsigned i = 0; i < sizeof r; i++)
			buf_printf(&v, "%02x", r[i]);
		buf_printf(&v, "@%s>", strrchr(a->address, '@') + 1);
		message_append(m, "Message-ID", buf_str(&v));
	}
	buf_free(&v);
}

/* The account's cc goes into the Cc header too; its bcc only into the
 * envelope. */
static void
add_account_copies(const struct account *a, struct message *m,
    struct addrlist *rcpts)
{
	for (size_t i = 0; i < a->cc.n; i++) {
		long cc = message_find(m, "Cc", 0);
		struct mailbox mb = { NULL, NULL, NULL, NULL };
		int present = 0;

		for (size_t k = 0; k < rcpts->n; k++)
			if (addr_equal(rcpts->v[k].addr, a->cc.v[i]))
				present = 1;
		if (!present && cc >= 0) {
			char *v = message_value(m, (size_t)cc);
			struct buf nv = BUF_INIT;

			buf_printf(&nv, "%s,\r\n %s", v, a->cc.v[i]);
			message_replace(m, (size_t)cc, buf_str(&nv));
			buf_free(&nv);
			free(v);
		} else if (!present)
			message_append(m, "Cc", a->cc.v[i]);
		mb.addr = xstrdup(a->cc.v[i]);
		rcpts->v = xgrow(rcpts->v, &rcpts->cap, rcpts->n + 1, sizeof *rcpts->v);
		rcpts->v[rcpts->n++] = mb;
	}
	for (size_t i = 0; i < a->bcc.n; i++) {
		struct mailbox mb = { NULL, NULL, NULL, xstrdup(a->bcc.v[i]) };

		rcpts->v = xgrow(rcpts->v, &rcpts->cap, rcpts->n + 1, sizeof *rcpts->v);
		rcpts->v[rcpts->n++] = mb;
	}
}

static void
add_rcpt(struct plan *p, const char *addr)
{
	if (!strlist_has(&p->rcpts, addr)) {
		strlist_add(&p->rcpts, addr);
		if (addr_is_8bit(addr))
			p->needs_smtputf8 = 1;
	}
}

/* Local recipients through [aliases], else to the default account. */
static enum status
resolve_recipients(struct plan *p, const struct config *c,
    const struct addrlist *rcpts, struct buf *err)
{
	for (size_t i = 0; i < rcpts->n; i++) {
		const struct mailbox *mb = &rcpts->v[i];
		const char *target;

		if (mb->local == NULL || !account_is_local(c, mb->domain)) {
			add_rcpt(p, mb->addr);
			continue;
		}
		target = config_alias(c, mb->local);
		if (target) {
			struct addrlist t = ADDRLIST_INIT;
			struct buf why = BUF_INIT;

			/* checked when the config was loaded */
			addr_parse_list(target, &t, &why);
			for (size_t k = 0; k < t.n; k++)
				add_rcpt(p, t.v[k].addr);
			addrlist_free(&t);
			buf_free(&why);
		} else {
			struct account *d = need_default(c,
			    _("a local recipient has no alias"), err);

			if (d == NULL)
				return ST_CONFIG;
			add_rcpt(p, d->address);
		}
	}
	return ST_OK;
}

/* Does the -f text (possibly "Name <addr>") name address? */
static int
same_address(const char *text, const char *address)
{
	struct mailbox mb;
	struct buf why = BUF_INIT;
	int same = 0;

	if (addr_parse_one(text, &mb, &why) == ST_OK) {
		same = addr_equal(mb.addr, address);
		addr_free(&mb);
	}
	buf_free(&why);
	return same;
}

enum status
account_plan(struct plan *p, const struct config *c, const struct request *r,
    struct message *m, struct buf *err)
{
	struct addrlist rcpts = ADDRLIST_INIT;
	struct candidate cand;
	enum status st;
	int foreign = 0;

	memset(p, 0, sizeof *p);
	memset(&cand, 0, sizeof cand);
	st = collect_recipients(r, m, &rcpts, err);
	if (st == ST_OK && rcpts.n == 0) {
		buf_adds(err, r->headers_give_rcpts ?
		    _("no recipients: the message has no To, Cc or Bcc and none were given as arguments") :
		    _("no recipients given (name them as arguments, or use -t to read them from the message)"));
		st = ST_USAGE;
	}
	if (st == ST_OK)
		st = find_candidate(r, m, &cand, err);
	if (st == ST_OK)
		st = choose_account(p, c, &cand, &foreign, err);
	if (st == ST_OK) {
		if (r->sender && !same_address(r->sender, p->account->address))
			p->asked_sender = xstrdup(r->sender);
		p->body_type = r->body_type;
		p->dsn_notify = r->dsn_notify;
		p->dsn_ret = r->dsn_ret;
		p->dsn_envid = r->dsn_envid;
		p->notice = r->notice;
		rewrite_sender(p, r, &cand, foreign, m);
		add_date_and_id(p->account, m);
		message_remove(m, "Bcc");
		message_remove(m, "Resent-Bcc");
		message_remove(m, "Return-Path");
		/* A notice is the account's own mail, not its outgoing. */
		if (!r->notice)
			add_account_copies(p->account, m, &rcpts);
		st = resolve_recipients(p, c, &rcpts, err);
		if (addr_is_8bit(p->account->address))
			p->needs_smtputf8 = 1;
	}
	if (cand.has_mb)
		addr_free(&cand.mb);
	addrlist_free(&rcpts);
	return st;
}
