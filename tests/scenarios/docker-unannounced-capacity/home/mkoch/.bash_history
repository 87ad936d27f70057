#1707809233
docker compose -f /srv/edge/compose.yaml pull
#1707809301
docker compose -f /srv/edge/compose.yaml up -d
#1707809342
docker ps
#1709621412
sudo apt update
#1709621444
sudo apt full-upgrade -y
#1709621822
cat /var/run/reboot-required.pkgs
#1709621851
sudo reboot
#1709816551
docker ps
#1709816575
docker stats --no-stream
#1709816620
ss -s
#1709816652
sudo conntrack -S
#1709816690
cat /proc/sys/net/netfilter/nf_conntrack_count
#1709816698
cat /proc/sys/net/netfilter/nf_conntrack_max
#1709816730
docker logs --since 10m edge-proxy 2>&1 | tail -n 50
#1709816800
sudo dmesg -T | tail -n 20
#1709816835
ss -s
#1709816872
docker ps
#1709816945
docker logs --since 5m edge-proxy 2>&1 | grep -c ' 502 '
#1709817160
cat /proc/sys/net/netfilter/nf_conntrack_count
#1709817182
docker ps
