service iptables status
chkconfig --list iptables
yum -y update openssl
service httpd graceful
tail -n 100 /var/log/httpd/error_log
df -h
du -sh /var/www/shop/var/cache
rm -rf /var/www/shop/var/cache/*
service httpd graceful
exit
uptime
free -m
netstat -ant | wc -l
iptables -L -n
iptables -t nat -L
tail -n 30 /var/log/messages
service httpd restart
cat /proc/sys/net/netfilter/nf_conntrack_count
reboot
