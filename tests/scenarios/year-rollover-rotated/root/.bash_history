#1640872690
apt-get update
#1640872742
apt-get -y upgrade
#1640872839
reboot
#1641114652
uptime
#1641114680
zgrep -c 'table full' /var/log/syslog.2.gz
#1641114718
zgrep 'callbacks suppressed' /var/log/syslog.2.gz | tail -n 3
#1641114722
conntrack -S
#1641114820
sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max
#1641115211
exit
