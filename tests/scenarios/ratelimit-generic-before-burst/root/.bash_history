#1667916372
ip -s link show eth0
#1667916520
tcpdump -ni eth0 -c 20 host 10.0.0.1
#1667916665
cat /proc/sys/net/ipv4/conf/eth0/log_martians
#1667916770
ip route get 10.0.0.1
#1667916805
iptables -t nat -L -n
#1667916870
dmesg | tail -20
#1667917000
sysctl net.netfilter.nf_conntrack_count
