#1718704720
free -m
#1718704742
cat /proc/sys/net/netfilter/nf_conntrack_count
#1718707231
iptables -L -n
#1718707267
sysctl -w net.netfilter.nf_conntrack_max=16384; echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse
#1718707738
tail -n 20 /var/log/messages
#1718707755
sysctl -w net.netfilter.nf_conntrack_max=262144
#1718707802
exit
