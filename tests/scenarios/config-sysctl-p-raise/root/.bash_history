#1678638002
yum -y update
#1678638880
reboot
#1678769030
sysctl net.netfilter.nf_conntrack_count
#1678769038
sysctl net.netfilter.nf_conntrack_max
#1678769046
vi /etc/sysctl.d/90-conntrack.conf
#1678769084
sysctl -p /etc/sysctl.d/90-conntrack.conf
#1678769102
sysctl net.netfilter.nf_conntrack_count
#1678769120
vi /etc/modprobe.d/nf_conntrack.conf
#1678769165
exit
