/* SPDX-License-Identifier: MIT */
/*
 * status - outcome to exit code mapping; see status.h.
 */
#include "autoconf.h"

#include <sysexits.h>

#include "status.h"

int
status_exit_code(enum status s)
{
	switch (s) {
	case ST_OK:		return EX_OK;
	case ST_USAGE:		return EX_USAGE;
	case ST_DATAERR:	return EX_DATAERR;
	case ST_NOUSER:		return EX_NOUSER;
	case ST_UNAVAILABLE:	return EX_UNAVAILABLE;
	case ST_OSERR:		return EX_OSERR;
	case ST_CANTCREAT:	return EX_CANTCREAT;
	case ST_IOERR:		return EX_IOERR;
	case ST_PROTOCOL:	return EX_PROTOCOL;
	case ST_NOPERM:		return EX_NOPERM;
	case ST_CONFIG:		return EX_CONFIG;
	/* Only when nothing was queued (sendmail(8), EXIT STATUS). */
	case ST_TEMP_SERVER:	return EX_UNAVAILABLE;
	case ST_TEMP_NETWORK:	return EX_IOERR;
	case ST_TEMP_PROTOCOL:	return EX_PROTOCOL;
	}
	return EX_SOFTWARE;
}

int
status_is_temporary(enum status s)
{
	return s == ST_TEMP_SERVER || s == ST_TEMP_NETWORK ||
	    s == ST_TEMP_PROTOCOL;
}

const char *
status_name(enum status s)
{
	switch (s) {
	case ST_OK:		return "ok";
	case ST_USAGE:		return "usage error";
	case ST_DATAERR:	return "unusable message";
	case ST_NOUSER:		return "all recipients refused";
	case ST_UNAVAILABLE:	return "refused by the server";
	case ST_OSERR:		return "system error";
	case ST_CANTCREAT:	return "cannot create file";
	case ST_IOERR:		return "input/output error";
	case ST_PROTOCOL:	return "protocol error";
	case ST_NOPERM:		return "not permitted";
	case ST_CONFIG:		return "configuration error";
	case ST_TEMP_SERVER:	return "temporary server failure";
	case ST_TEMP_NETWORK:	return "network failure";
	case ST_TEMP_PROTOCOL:	return "connection failure";
	}
	return "unknown";
}
