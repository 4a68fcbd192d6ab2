# %preun of the pxpd .rpm ($1: 0 removal, 1 upgrade): removal stops pxpd
# (only pxpd: KillMode=process leaves running actions to finish). An
# upgrade leaves it running; the new package's %post restarts it.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
	systemctl stop pxpd.service >/dev/null 2>&1 || :
fi
