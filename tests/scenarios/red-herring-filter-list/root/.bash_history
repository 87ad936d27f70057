#1686319331
yum -y update
#1686320440
systemctl status tomcat
#1686320462
firewall-cmd --list-all
#1686573004
uptime
#1686573012
free -m
#1686573040
ss -s
#1686573065
journalctl -u tomcat --since '-15min' | tail -n 40
#1686573100
iptables -L
#1686573182
tail -n 20 /var/log/messages
#1686573225
cat /proc/sys/net/netfilter/nf_conntrack_count
#1686573245
sysctl net.netfilter.nf_conntrack_max
#1686573460
cat /proc/sys/net/netfilter/nf_conntrack_count
#1686574078
exit
