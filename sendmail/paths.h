/* SPDX-License-Identifier: MIT */
/*
 * paths - the places outside saatja's own files that more than one
 * module knows: the system spool, and the files that say a queue runner
 * is enabled (configure.ac defines them for saatja-runner too).
 */
#ifndef SAATJA_PATHS_H
#define SAATJA_PATHS_H

/* The spool of the system config: 2770 root:saatja in a set-group-ID
 * install (sendmail(8), FILES). */
#define PATH_SYSTEM_SPOOL LOCALSTATEDIR "/spool/saatja"

/* saatja-runner enable makes one of these; they run the system spool. */
#define PATH_RUNNER_TIMER SAATJA_TIMER_WANTS "/saatja-queue.timer"
#define PATH_RUNNER_CRON SAATJA_CRON_FILE

#endif
