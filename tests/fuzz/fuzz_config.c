/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config - libFuzzer target for config_load: the raw-line scan,
 * iniparser and the checks of every value.
 *
 * config_load reads a path, so each input is written to a private file
 * (mode 0600, as a real saatja.ini holding passwords). password_get is
 * never called: it would run the input's password_command.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[4096], path[4200];

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof dir, "%s/saatja-fuzz-config.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_config: mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof path, "%s/saatja.ini", dir);
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct buf err = BUF_INIT;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) != 0) {
		perror("fuzz_config: writing the input");
		abort();
	}
	if (config_load(&c, path, &err) == ST_OK) {
		const struct account *a = config_default(&c);

		if (c.naccounts == 0 || (c.default_account && a == NULL)) {
			fprintf(stderr, "loaded without a usable account\n");
			abort();
		}
		for (size_t i = 0; i < c.naccounts; i++) {
			a = &c.accounts[i];
			if (a->host == NULL || a->port == 0 || a->nauth == 0 ||
			    (a->password == NULL) == (a->password_command == NULL)) {
				fprintf(stderr, "account %s left incomplete\n",
				    a->address);
				abort();
			}
		}
		(void)config_alias(&c, "root");
	} else if (err.len == 0) {
		fprintf(stderr, "refused without a reason\n");
		abort();
	}
	config_free(&c);
	buf_free(&err);
	return 0;
}
