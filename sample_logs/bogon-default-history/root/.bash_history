yum update -y
vi /etc/httpd/conf/httpd.conf
service httpd reload
tail -f /var/log/httpd/access_log
df -h
du -sh /var/www/html/*
ls -la /var/www/html
cd /var/www/html
git pull
service httpd reload
top
free -m
tail -n 100 /var/log/httpd/error_log
uptime
cat /etc/redhat-release
chkconfig --list | grep 3:on
ss -s
netstat -ant | grep :80 | wc -l
vi /etc/sysctl.conf
sysctl -p
crontab -l
ls /etc/cron.d/
logout
uptime
df -h
free -m
netstat -ant | wc -l
iptables -L
ls /etc/sysconfig/
iptables -t nat -L
tail /var/log/messages
dmesg | tail -20
service httpd restart
cat /proc/sys/net/netfilter/nf_conntrack_count
reboot
