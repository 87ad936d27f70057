#1678801950
uptime
#1678801968
systemctl status firewalld
#1678801985
firewall-cmd --state
#1678802000
firewall-cmd --get-active-zones
#1678802021
firewall-cmd --list-all
#1678802070
iptables -t nat -L -n
#1678802518
tail -n 30 /var/log/messages
#1678802529
iptables -F
#1678802560
cat /proc/sys/net/netfilter/nf_conntrack_count
#1678802702
exit
