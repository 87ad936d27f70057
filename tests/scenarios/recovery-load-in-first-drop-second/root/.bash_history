#1615298860
tail -n 30 /var/log/messages
#1615298882
lsmod | grep conntrack
#1615298895
iptables -S
#1615298970
modprobe -r iptable_nat nf_nat nf_conntrack_ipv4 nf_conntrack
#1615298984
lsmod | grep conntrack
#1615299130
exit
