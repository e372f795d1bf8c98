# saatja: retry queued mail every five minutes where systemd does not run
# (under systemd, saatja-queue.timer does it and this line does nothing).
# The test for saatja's template keeps a removed, unpurged saatja quiet.
*/5 * * * *	root	[ ! -d /run/systemd/system ] && [ -e /usr/share/saatja/saatja.ini ] && /usr/sbin/sendmail -q --due
