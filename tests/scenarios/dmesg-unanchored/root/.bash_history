#1678802031
uptime
#1678802042
ss -s
#1678802068
iptables -t nat -L -n
#1678802560
tail -n 50 /var/log/messages
#1678802695
dmesg > /root/dmesg
