cd /opt/payments/logs
ls -ltr
less gateway.log
sudo tail -n 50 /var/log/messages
sudo iptables -t mangle -L -n
sudo sh -c 'iptables -L -n; iptables -t nat -L -n'
sudo modprobe -r iptable_nat
sudo cat /proc/sys/net/netfilter/nf_conntrack_count
grep -c 'pool exhausted' gateway.log
exit
