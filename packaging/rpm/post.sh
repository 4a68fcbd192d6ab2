# %post of the pxpd .rpm ($1: 1 install, 2 upgrade; packaging/README.md).
# The directories of tmpfiles.d/pxpd.conf, systemd told of the new unit,
# and on an upgrade a restart of pxpd if it runs: KillMode=process, so
# running actions live on and the new pxpd adopts them. A first install
# neither enables nor starts pxpd (it needs a broker and certificates in
# /etc/pxpd/pxpd.conf). Without systemd only the directories are made.
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	systemd-tmpfiles --create pxpd.conf >/dev/null 2>&1 || :
fi
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null 2>&1 || :
	if [ "$1" -gt 1 ]; then
		systemctl try-restart pxpd.service >/dev/null 2>&1 || :
	fi
fi
