#1615753940
tail -n 50 /var/log/messages
#1615753961
cat /proc/sys/net/netfilter/nf_conntrack_count
#1615754035
ss -s
#1615754070
vi /etc/rsyslog.conf
#1615754101
service rsyslog restart
#1615754172
tail -n 20 /var/log/messages
#1615754403
exit
