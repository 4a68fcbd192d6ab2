# %postun of the pxpd .rpm ($1: 0 removal, 1 upgrade): systemd forgets
# the unit. rpm keeps a changed /etc/pxpd/pxpd.conf as .rpmsave; the spool
# and logs stay (rpm has no purge): rm -rf /var/lib/pxpd /var/log/pxpd.
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null 2>&1 || :
fi
