#1678788601
cd /var/lib/postgresql
#1678788730
df -h /var/lib/postgresql
#1678789290
iptables -t nat \
  -L -n
#1678789330
dmesg | tail
#1678789420
for c in 1 2 3; do
  sysctl net.netfilter.nf_conntrack_count
  sleep 5
done
