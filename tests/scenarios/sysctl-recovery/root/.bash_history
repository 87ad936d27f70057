#1704471602
yum -y update haproxy
#1704471700
systemctl restart haproxy
#1704471722
systemctl status haproxy
#1704471790
exit
#1704832961
tail -n 30 /var/log/messages
#1704832982
cat /proc/sys/net/netfilter/nf_conntrack_count
#1704832990
sysctl net.netfilter.nf_conntrack_max
#1704833011
sysctl -w net.netfilter.nf_conntrack_max=262144
#1704833060
echo 'net.netfilter.nf_conntrack_max = 262144' > /etc/sysctl.d/90-conntrack.conf
#1704833071
sysctl -p /etc/sysctl.d/90-conntrack.conf
#1704833162
cat /proc/sys/net/netfilter/nf_conntrack_count
#1704833500
exit
