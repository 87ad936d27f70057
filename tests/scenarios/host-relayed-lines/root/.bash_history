service httpd status
tail -n 20 /var/log/httpd/error_log
yum -y update tzdata
exit
uptime
ss -s
netstat -ant | awk '{print $6}' | sort | uniq -c
iptables -t nat -L
tail -n 40 /var/log/messages
cat /proc/sys/net/netfilter/nf_conntrack_count
reboot
