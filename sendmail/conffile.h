/* SPDX-License-Identifier: MIT */
/*
 * conffile - writes an account section into a config file the way a
 * person would: the rest of the file (other sections, comments, blank
 * lines, the order) stays as it was, and the file is replaced at once
 * (a new file beside it, synced, renamed over it), with the owner, group
 * and mode of the old one, so a reader sees either the old file or the
 * new one and never half of each.
 */
#ifndef SAATJA_CONFFILE_H
#define SAATJA_CONFFILE_H

#include <sys/types.h>

#include "buf.h"
#include "status.h"

/* Whether text has a section [name] (case-blind). */
int conffile_has_section(const char *text, const char *name);

/*
 * Writes into out the text with section [name] replaced by section (the
 * header line and its keys, each line ending in LF), or with section
 * appended after a blank line when there is none. Comment and blank
 * lines just before the next section stay with it. Returns 1 when a
 * section was replaced, 0 when one was added.
 */
int conffile_put_section(const char *text, const char *name,
    const char *section, struct buf *out);

/*
 * Writes text into a new file beside path (its name in *temp, to be
 * freed), synced, with the owner, group and mode of path when path
 * exists, else with mode and group (-1: the caller's). ST_CANTCREAT or
 * ST_IOERR with the reason in err.
 */
enum status conffile_write_temp(const char *path, const char *text,
    mode_t mode, gid_t group, char **temp, struct buf *err);

/* Renames temp over path and syncs the directory. ST_IOERR on failure
 * (temp is removed). */
enum status conffile_commit(const char *temp, const char *path,
    struct buf *err);

#endif
