#1659346110
reboot
#1659543624
wc -l /proc/net/nf_conntrack
#1659543631
vi /etc/sysctl.d/95-conntrack.conf
#1659543652
sysctl --system
#1659543690
sysctl net.netfilter.nf_conntrack_max
#1659543729
exit
