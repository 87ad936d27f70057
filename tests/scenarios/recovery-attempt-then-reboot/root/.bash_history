#1615716151
tail -n 40 /var/log/messages
#1615716185
cat /proc/sys/net/netfilter/nf_conntrack_count
#1615716192
sysctl net.netfilter.nf_conntrack_max
#1615716307
sysctl -w net.netfilter.nf_conntrack_max=131072
#1615716418
cat /proc/sys/net/netfilter/nf_conntrack_count
#1615716760
tail -n 40 /var/log/messages
#1615717852
reboot
