#1708049551
iptables -t nat -S POSTROUTING
#1708049582
conntrack -C
#1708049600
sysctl net.netfilter.nf_conntrack_max
#1708049748
exit
#1708475920
apt-get -y dist-upgrade
#1708475980
reboot
