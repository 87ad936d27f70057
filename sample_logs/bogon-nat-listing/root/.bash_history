#1492507631
yum update -y
#1492538891
vi /etc/httpd/conf/httpd.conf
#1492544831
service httpd reload
#1492572131
tail -f /var/log/httpd/access_log
#1492586291
df -h
#1492595231
du -sh /var/www/html/*
#1492619951
ls -la /var/www/html
#1492645511
cd /var/www/html
#1492659671
git pull
#1492662011
service httpd reload
#1492694231
top
#1492716191
free -m
#1492719131
tail -n 100 /var/log/httpd/error_log
#1492725371
uptime
#1492741571
cat /etc/redhat-release
#1492768271
chkconfig --list | grep 3:on
#1492780391
ss -s
#1492793711
netstat -ant | grep :80 | wc -l
#1492815011
vi /etc/sysctl.conf
#1492829051
sysctl -p
#1492860611
crontab -l
#1492863491
ls /etc/cron.d/
#1492869371
logout
#1493222301
uptime
#1493222307
df -h
#1493222313
free -m
#1493222332
netstat -ant | wc -l
#1493222380
iptables -L
#1493222430
ls /etc/sysconfig/
#1493222601
iptables -t nat -L
#1493222632
tail /var/log/messages
#1493222659
dmesg | tail -20
#1493222710
service httpd restart
#1493222822
cat /proc/sys/net/netfilter/nf_conntrack_count
#1493222974
reboot
