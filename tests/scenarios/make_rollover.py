# ruff: noqa: E501
"""Write the compressed members of the year-rollover-rotated scenario.

Debian's logrotate compresses all but the newest rotated file (``delaycompress``), so
``var/log/syslog.3.gz`` and ``var/log/syslog.2.gz`` are gzip files. Git would store them as
opaque blobs; their text lives here instead, hand-written like the rest of the scenario, and
this script writes them byte for byte the same every time (gzip header time 0)::

    python tests/scenarios/make_rollover.py

``test_scenarios.py`` checks that the committed files hold exactly this text.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent / "year-rollover-rotated" / "var" / "log"

#: 30 Dec 2021 06:25 to 31 Dec 06:25: a kernel upgrade and the reboot into 4.9.0-17.
SYSLOG_3 = """\
Dec 30 06:25:03 edge-gw rsyslogd: [origin software="rsyslogd" swVersion="8.24.0" x-pid="391" x-info="http://www.rsyslog.com"] rsyslogd was HUPed
Dec 30 07:17:01 edge-gw CRON[5453]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 08:17:01 edge-gw CRON[5276]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 09:17:01 edge-gw CRON[5099]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 09:40:12 edge-gw systemd[1]: Starting Daily apt upgrade and clean activities...
Dec 30 09:40:31 edge-gw systemd[1]: Started Daily apt upgrade and clean activities.
Dec 30 10:17:01 edge-gw CRON[5919]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 11:17:01 edge-gw CRON[5742]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 12:17:01 edge-gw CRON[5565]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 13:17:01 edge-gw CRON[6385]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 13:58:02 edge-gw systemd[1]: Started Session 88 of user root.
Dec 30 14:00:40 edge-gw systemd[1]: Stopping System Logging Service...
Dec 30 14:00:40 edge-gw rsyslogd: [origin software="rsyslogd" swVersion="8.24.0" x-pid="391" x-info="http://www.rsyslog.com"] exiting on signal 15.
Dec 30 14:01:36 edge-gw kernel: [    0.000000] Linux version 4.9.0-17-amd64 (debian-kernel@lists.debian.org) (gcc version 6.3.0 20170516 (Debian 6.3.0-18+deb9u1) ) #1 SMP Debian 4.9.290-1 (2021-12-12)
Dec 30 14:01:36 edge-gw kernel: [    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-4.9.0-17-amd64 root=UUID=0b7a2f64-9d3e-4c6b-8e21-5a1f3c9d7e40 ro quiet
Dec 30 14:01:36 edge-gw kernel: [    0.000000] DMI: PC Engines apu4/apu4, BIOS v4.14.0.6 11/18/2021
Dec 30 14:01:36 edge-gw kernel: [    0.361902] NET: Registered protocol family 2
Dec 30 14:01:36 edge-gw kernel: [    1.210773] igb 0000:01:00.0: added PHC on eth0
Dec 30 14:01:36 edge-gw kernel: [    1.244906] igb 0000:02:00.0: added PHC on eth1
Dec 30 14:01:36 edge-gw kernel: [    2.601338] EXT4-fs (sda2): mounted filesystem with ordered data mode. Opts: (null)
Dec 30 14:01:36 edge-gw kernel: [    5.903117] ip_tables: (C) 2000-2006 Netfilter Core Team
Dec 30 14:01:36 edge-gw kernel: [    5.966208] nf_conntrack version 0.5.0 (65536 buckets, 262144 max)
Dec 30 14:01:36 edge-gw kernel: [    6.310002] igb 0000:01:00.0 eth0: igb: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX/TX
Dec 30 14:01:36 edge-gw kernel: [    6.402551] igb 0000:02:00.0 eth1: igb: eth1 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX/TX
Dec 30 14:01:36 edge-gw rsyslogd: [origin software="rsyslogd" swVersion="8.24.0" x-pid="408" x-info="http://www.rsyslog.com"] start
Dec 30 14:01:38 edge-gw systemd[1]: Started Regular background program processing daemon.
Dec 30 14:01:39 edge-gw ntpd[441]: ntpd 4.2.8p10@1.3728-o Sat Mar 10 18:03:33 UTC 2018 (1): Starting
Dec 30 14:01:40 edge-gw systemd[1]: Startup finished in 2.811s (kernel) + 11.402s (userspace) = 14.213s.
Dec 30 14:17:01 edge-gw CRON[6208]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 15:17:01 edge-gw CRON[7028]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 16:17:01 edge-gw CRON[6851]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 17:17:01 edge-gw CRON[6674]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 18:17:01 edge-gw CRON[7494]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 19:17:01 edge-gw CRON[7317]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 20:02:19 edge-gw ntpd[441]: Soliciting pool server 162.159.200.1
Dec 30 20:17:01 edge-gw CRON[8137]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 21:17:01 edge-gw CRON[7960]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 22:17:01 edge-gw CRON[7783]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 30 23:17:01 edge-gw CRON[8603]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 00:17:01 edge-gw CRON[3362]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 01:17:01 edge-gw CRON[4182]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 02:17:01 edge-gw CRON[4005]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 03:17:01 edge-gw CRON[3828]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 04:17:01 edge-gw CRON[4648]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 05:17:01 edge-gw CRON[4471]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 06:17:01 edge-gw CRON[4294]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
"""

#: 31 Dec 2021 06:25 to 1 Jan 2022 06:25: the table fills across midnight.
SYSLOG_2 = """\
Dec 31 06:25:02 edge-gw rsyslogd: [origin software="rsyslogd" swVersion="8.24.0" x-pid="408" x-info="http://www.rsyslog.com"] rsyslogd was HUPed
Dec 31 07:17:01 edge-gw CRON[5114]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 08:17:01 edge-gw CRON[4937]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 09:17:01 edge-gw CRON[5757]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 10:17:01 edge-gw CRON[5580]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 11:17:01 edge-gw CRON[5403]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 11:48:07 edge-gw ntpd[441]: kernel reports TIME_ERROR: 0x2041: Clock Unsynchronized
Dec 31 12:17:01 edge-gw CRON[6223]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 13:17:01 edge-gw CRON[6046]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 14:17:01 edge-gw CRON[6866]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 15:17:01 edge-gw CRON[6689]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 16:17:01 edge-gw CRON[6512]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 17:17:01 edge-gw CRON[7332]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 18:17:01 edge-gw CRON[7155]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 19:17:01 edge-gw CRON[7975]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 20:17:01 edge-gw CRON[7798]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 21:17:01 edge-gw CRON[7621]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 22:17:01 edge-gw CRON[8441]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 23:17:01 edge-gw CRON[8264]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Dec 31 23:41:55 edge-gw dnsmasq[612]: query cache at 98% (9811/10000), evicting
Dec 31 23:58:47 edge-gw kernel: [122240.959000] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:58:49 edge-gw kernel: [122243.173386] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:58:49 edge-gw kernel: [122243.270142] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:58:51 edge-gw kernel: [122245.099179] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:58:53 edge-gw kernel: [122246.896672] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:58:53 edge-gw kernel: [122247.135263] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:58:54 edge-gw kernel: [122248.208136] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:58:54 edge-gw kernel: [122248.505863] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:58:58 edge-gw kernel: [122252.260916] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:00 edge-gw kernel: [122254.032886] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:00 edge-gw kernel: [122254.064661] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:02 edge-gw kernel: [122256.382936] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:03 edge-gw kernel: [122257.271032] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:03 edge-gw kernel: [122257.441415] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:04 edge-gw kernel: [122258.264275] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:05 edge-gw kernel: [122259.158201] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:10 edge-gw kernel: [122264.253582] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:10 edge-gw kernel: [122264.308866] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:10 edge-gw kernel: [122264.494451] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:12 edge-gw kernel: [122265.639758] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:12 edge-gw kernel: [122266.273932] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:12 edge-gw kernel: [122266.393308] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:13 edge-gw kernel: [122266.825277] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:13 edge-gw kernel: [122267.554053] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:14 edge-gw kernel: [122267.855077] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:15 edge-gw kernel: [122268.926838] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:17 edge-gw kernel: [122270.717650] net_ratelimit: 1 callbacks suppressed
Dec 31 23:59:17 edge-gw kernel: [122270.717650] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:17 edge-gw kernel: [122271.377375] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:17 edge-gw kernel: [122271.436699] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:18 edge-gw kernel: [122272.024228] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:21 edge-gw kernel: [122275.365727] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:22 edge-gw kernel: [122275.713393] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:22 edge-gw kernel: [122275.776400] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:22 edge-gw kernel: [122276.118819] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:22 edge-gw kernel: [122276.177897] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:22 edge-gw kernel: [122276.216872] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:23 edge-gw kernel: [122277.367400] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:25 edge-gw kernel: [122279.457605] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:26 edge-gw kernel: [122279.759728] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:28 edge-gw kernel: [122282.256656] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:29 edge-gw kernel: [122282.787251] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:29 edge-gw kernel: [122283.080605] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:30 edge-gw kernel: [122283.888353] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:32 edge-gw kernel: [122286.449858] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:33 edge-gw kernel: [122287.207747] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:34 edge-gw kernel: [122287.922031] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:34 edge-gw kernel: [122288.458355] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:34 edge-gw kernel: [122288.474683] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:36 edge-gw kernel: [122289.971159] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:36 edge-gw kernel: [122290.438203] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:37 edge-gw kernel: [122291.444918] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:38 edge-gw kernel: [122292.139708] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:39 edge-gw kernel: [122292.705465] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:39 edge-gw kernel: [122293.020608] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:39 edge-gw kernel: [122293.074926] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:39 edge-gw kernel: [122293.501971] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:40 edge-gw kernel: [122294.102621] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:42 edge-gw kernel: [122295.605406] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:42 edge-gw kernel: [122295.720468] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:43 edge-gw kernel: [122296.836786] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:43 edge-gw kernel: [122297.040470] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:44 edge-gw kernel: [122298.186918] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:45 edge-gw kernel: [122299.429903] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:45 edge-gw kernel: [122299.433029] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:50 edge-gw kernel: [122304.209128] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:51 edge-gw kernel: [122305.147954] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:52 edge-gw kernel: [122305.633745] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:52 edge-gw kernel: [122306.265567] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:53 edge-gw kernel: [122306.627788] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:53 edge-gw kernel: [122307.043682] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:53 edge-gw kernel: [122307.113748] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:54 edge-gw kernel: [122307.825530] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:55 edge-gw kernel: [122309.052980] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:55 edge-gw kernel: [122309.461179] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:56 edge-gw kernel: [122309.879416] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:58 edge-gw kernel: [122311.742917] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:58 edge-gw kernel: [122311.853342] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:58 edge-gw kernel: [122311.872224] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:58 edge-gw kernel: [122311.982653] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:58 edge-gw kernel: [122312.244043] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:58 edge-gw kernel: [122312.367628] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:59 edge-gw kernel: [122312.659351] nf_conntrack: nf_conntrack: table full, dropping packet
Dec 31 23:59:59 edge-gw kernel: [122313.100201] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:01 edge-gw kernel: [122314.586481] net_ratelimit: 3 callbacks suppressed
Jan  1 00:00:01 edge-gw kernel: [122314.586481] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:01 edge-gw kernel: [122314.589153] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:01 edge-gw kernel: [122314.596321] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:01 edge-gw kernel: [122315.075831] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:02 edge-gw kernel: [122315.647355] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:02 edge-gw kernel: [122315.663909] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:02 edge-gw kernel: [122315.718894] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:02 edge-gw kernel: [122315.889313] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:02 edge-gw kernel: [122315.903289] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:02 edge-gw kernel: [122316.149126] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:06 edge-gw kernel: [122319.849444] net_ratelimit: 16 callbacks suppressed
Jan  1 00:00:06 edge-gw kernel: [122319.849444] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:06 edge-gw kernel: [122320.107680] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:06 edge-gw kernel: [122320.316375] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:06 edge-gw kernel: [122320.437727] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:06 edge-gw kernel: [122320.505397] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:06 edge-gw kernel: [122320.547395] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:07 edge-gw kernel: [122321.064745] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:07 edge-gw kernel: [122321.388750] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:08 edge-gw kernel: [122321.601337] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:08 edge-gw kernel: [122322.142863] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:11 edge-gw kernel: [122325.145361] net_ratelimit: 7 callbacks suppressed
Jan  1 00:00:11 edge-gw kernel: [122325.145361] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:11 edge-gw kernel: [122325.369238] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:12 edge-gw kernel: [122325.972101] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:12 edge-gw kernel: [122326.105069] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:12 edge-gw kernel: [122326.540937] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:13 edge-gw kernel: [122326.657559] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:13 edge-gw kernel: [122326.765962] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:13 edge-gw kernel: [122326.973222] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:13 edge-gw kernel: [122327.158604] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:13 edge-gw kernel: [122327.407235] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:16 edge-gw kernel: [122330.559185] net_ratelimit: 13 callbacks suppressed
Jan  1 00:00:16 edge-gw kernel: [122330.559185] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:17 edge-gw kernel: [122330.594328] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:17 edge-gw kernel: [122330.604168] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:17 edge-gw kernel: [122330.628119] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:17 edge-gw kernel: [122330.855330] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:18 edge-gw kernel: [122332.123020] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:19 edge-gw kernel: [122332.703288] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:19 edge-gw kernel: [122332.755597] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:19 edge-gw kernel: [122333.017130] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:19 edge-gw kernel: [122333.074570] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:22 edge-gw kernel: [122336.226900] net_ratelimit: 9 callbacks suppressed
Jan  1 00:00:22 edge-gw kernel: [122336.226900] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:22 edge-gw kernel: [122336.332806] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:23 edge-gw kernel: [122337.025123] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:23 edge-gw kernel: [122337.462385] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:24 edge-gw kernel: [122337.621872] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:24 edge-gw kernel: [122337.717684] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:24 edge-gw kernel: [122337.881670] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:24 edge-gw kernel: [122338.058634] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:25 edge-gw kernel: [122338.723117] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:25 edge-gw kernel: [122338.926128] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:28 edge-gw kernel: [122342.090318] net_ratelimit: 6 callbacks suppressed
Jan  1 00:00:28 edge-gw kernel: [122342.090318] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:28 edge-gw kernel: [122342.270674] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:28 edge-gw kernel: [122342.431924] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:29 edge-gw kernel: [122342.608663] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:29 edge-gw kernel: [122342.780311] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:29 edge-gw kernel: [122343.365842] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:29 edge-gw kernel: [122343.437032] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:29 edge-gw kernel: [122343.492699] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:29 edge-gw kernel: [122343.579297] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:30 edge-gw kernel: [122343.702136] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:33 edge-gw kernel: [122347.140842] net_ratelimit: 16 callbacks suppressed
Jan  1 00:00:33 edge-gw kernel: [122347.140842] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:33 edge-gw kernel: [122347.398997] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:33 edge-gw kernel: [122347.532258] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:34 edge-gw kernel: [122347.752037] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:34 edge-gw kernel: [122347.864538] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:34 edge-gw kernel: [122348.349170] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:35 edge-gw kernel: [122348.880197] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:35 edge-gw kernel: [122349.312651] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:36 edge-gw kernel: [122349.583478] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:36 edge-gw kernel: [122349.682516] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:39 edge-gw kernel: [122352.954289] net_ratelimit: 8 callbacks suppressed
Jan  1 00:00:39 edge-gw kernel: [122352.954289] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:39 edge-gw kernel: [122353.556204] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:40 edge-gw kernel: [122354.510691] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:41 edge-gw kernel: [122355.315086] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:44 edge-gw kernel: [122357.976403] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:44 edge-gw kernel: [122358.108627] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:45 edge-gw kernel: [122359.259300] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:46 edge-gw kernel: [122359.767483] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:46 edge-gw kernel: [122360.345109] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:46 edge-gw kernel: [122360.501856] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:47 edge-gw kernel: [122360.840765] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:47 edge-gw kernel: [122360.904756] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:47 edge-gw kernel: [122361.055362] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:49 edge-gw kernel: [122363.430167] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:51 edge-gw kernel: [122364.773638] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:51 edge-gw kernel: [122365.101394] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:51 edge-gw kernel: [122365.533049] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:51 edge-gw kernel: [122365.545720] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:52 edge-gw kernel: [122366.533791] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:53 edge-gw kernel: [122366.700778] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:54 edge-gw kernel: [122367.682194] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:54 edge-gw kernel: [122367.724822] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:54 edge-gw kernel: [122367.932891] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:55 edge-gw kernel: [122368.888108] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:00:56 edge-gw kernel: [122369.710015] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:01 edge-gw kernel: [122374.589155] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:02 edge-gw kernel: [122376.027964] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:02 edge-gw kernel: [122376.333431] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:05 edge-gw kernel: [122379.480069] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:08 edge-gw kernel: [122382.308543] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:08 edge-gw kernel: [122382.358605] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:08 edge-gw kernel: [122382.422492] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:08 edge-gw kernel: [122382.478527] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:09 edge-gw kernel: [122383.126397] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:09 edge-gw kernel: [122383.494332] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:10 edge-gw kernel: [122384.055683] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:12 edge-gw kernel: [122385.796996] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:12 edge-gw dnsmasq[612]: query cache at 100% (10000/10000), evicting
Jan  1 00:01:12 edge-gw kernel: [122386.329214] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:12 edge-gw kernel: [122386.481197] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:14 edge-gw kernel: [122388.160237] net_ratelimit: 2 callbacks suppressed
Jan  1 00:01:14 edge-gw kernel: [122388.160237] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:14 edge-gw kernel: [122388.517605] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:16 edge-gw kernel: [122390.129995] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:17 edge-gw kernel: [122390.704934] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:17 edge-gw kernel: [122391.134933] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:17 edge-gw kernel: [122391.335992] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:18 edge-gw kernel: [122391.652048] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:18 edge-gw kernel: [122392.058378] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:19 edge-gw kernel: [122393.228221] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:19 edge-gw kernel: [122393.277842] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:19 edge-gw kernel: [122393.288880] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:21 edge-gw kernel: [122394.759092] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:21 edge-gw kernel: [122395.308538] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:23 edge-gw kernel: [122397.102484] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:24 edge-gw kernel: [122397.982311] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:27 edge-gw kernel: [122401.410517] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:01:29 edge-gw kernel: [122402.796291] nf_conntrack: nf_conntrack: table full, dropping packet
Jan  1 00:12:40 edge-gw ntpd[441]: Soliciting pool server 194.58.200.20
Jan  1 00:17:01 edge-gw CRON[3023]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Jan  1 01:17:01 edge-gw CRON[3843]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Jan  1 02:17:01 edge-gw CRON[3666]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Jan  1 03:17:01 edge-gw CRON[4486]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Jan  1 03:30:21 edge-gw dnsmasq[612]: query cache at 41% (4102/10000)
Jan  1 04:17:01 edge-gw CRON[4309]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Jan  1 05:17:01 edge-gw CRON[4132]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
Jan  1 06:17:01 edge-gw CRON[4952]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)
"""

MEMBERS = {"syslog.3.gz": SYSLOG_3, "syslog.2.gz": SYSLOG_2}


def gz_bytes(name: str, text: str) -> bytes:
    """``text`` gzip-compressed as logrotate would name it, with a zero header time."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name.removesuffix(".gz"), mode="wb", fileobj=buf,
                       mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    return buf.getvalue()


def main() -> None:
    """Write every compressed member."""
    for name, text in MEMBERS.items():
        (HERE / name).write_bytes(gz_bytes(name, text))


if __name__ == "__main__":
    main()
